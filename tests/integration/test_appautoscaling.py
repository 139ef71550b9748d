"""Application Auto Scaling: scalable targets, policies, scheduled actions and activities for ECS services.

Runs on a manual clock (nothing sleeps: the clock is advanced through the admin API). A few
calls go through the real AWS CLI v2, the rest through boto3. Target tracking and alarm ->
policy -> desired count run end to end through CloudWatch.
"""
import datetime
import json
import os
import re
import sys
import unittest
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
REGION = harness.REGION
NS, DIM = "ecs", "ecs:service:DesiredCount"
RID = "service/main/web"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
EXEC_ROLE = "arn:aws:iam::%s:role/ecsTaskExecutionRole" % ACCOUNT
SLR = ("arn:aws:iam::%s:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
       "AWSServiceRoleForApplicationAutoScaling_ECSService" % ACCOUNT)
POLICY_ARN = re.compile(r"^arn:aws:autoscaling:%s:%s:scalingPolicy:[0-9a-f-]{36}:resource/ecs/%s:policyName/%s$")
ACTION_ARN = re.compile(r"^arn:aws:autoscaling:%s:%s:scheduledAction:[0-9a-f-]{36}:resource/ecs/%s"
                        r":scheduledActionName/%s$")
STEP_UP = {"AdjustmentType": "ChangeInCapacity", "Cooldown": 60, "MetricAggregationType": "Average",
           "StepAdjustments": [{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                               {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 3}]}
CPU_TT = {"TargetValue": 50.0,
          "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
MAX_BELOW_MIN = "Maximum capacity cannot be less than minimum capacity"


class AppAutoScalingTest(harness.ManualClockTest):
    def setUp(self):
        super().setUp()
        self.ecs = self.client("ecs")
        self.aas = self.client("application-autoscaling")

    def now(self):
        return self.emulator.admin("GET", "/_drydock/clock")["now_ms"] / 1000.0

    # ---- the world: an ECS service --------------------------------------------------------------

    def service(self, count=2, name="web"):
        ec2 = self.client("ec2")
        if not hasattr(self, "subnets"):
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            self.subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (i + 1),
                                              AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                            for i, az in enumerate("ab")]
            self.sg = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
            self.client("iam").create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=TRUST)
            self.ecs.create_cluster(clusterName="main")
            self.ecs.register_task_definition(
                family="web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
                executionRoleArn=EXEC_ROLE,
                containerDefinitions=[{"name": "web", "image": "nginx:1.27", "essential": True,
                                       "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}])
        self.ecs.create_service(
            cluster="main", serviceName=name, taskDefinition="web", desiredCount=count, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": self.subnets, "securityGroups": [self.sg],
                                                          "assignPublicIp": "DISABLED"}})

    def desired(self, name="web"):
        return self.ecs.describe_services(cluster="main", services=[name])["services"][0]["desiredCount"]

    def register(self, mn=1, mx=10, rid=RID, **kw):
        self.aas.register_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM,
                                          MinCapacity=mn, MaxCapacity=mx, **kw)

    def targets(self, **kw):
        return self.aas.describe_scalable_targets(ServiceNamespace=NS, **kw)["ScalableTargets"]

    def activities(self):
        return self.aas.describe_scaling_activities(ServiceNamespace=NS, ResourceId=RID,
                                                    ScalableDimension=DIM)["ScalingActivities"]

    def put_policy(self, name="up", kind="StepScaling", config=STEP_UP, rid=RID):
        member = "StepScalingPolicyConfiguration" if kind == "StepScaling" \
            else "TargetTrackingScalingPolicyConfiguration"
        return self.aas.put_scaling_policy(PolicyName=name, ServiceNamespace=NS, ResourceId=rid,
                                           ScalableDimension=DIM, PolicyType=kind, **{member: config})

    def put_action(self, name, schedule, **kw):
        self.aas.put_scheduled_action(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM,
                                      ScheduledActionName=name, Schedule=schedule, **kw)

    # ---- scalable targets -----------------------------------------------------------------------

    def test_register_describe_deregister_cli(self):
        self.service()
        self.aas.describe_scalable_targets(ServiceNamespace=NS)
        out = self.aws("application-autoscaling", "register-scalable-target", "--service-namespace", NS,
                       "--scalable-dimension", DIM, "--resource-id", RID, "--min-capacity", "1",
                       "--max-capacity", "5")
        self.assertEqual(out, {})
        d = self.aws("application-autoscaling", "describe-scalable-targets", "--service-namespace", NS)
        [t] = d["ScalableTargets"]
        self.assertEqual((t["ServiceNamespace"], t["ResourceId"], t["ScalableDimension"]), (NS, RID, DIM))
        self.assertEqual((t["MinCapacity"], t["MaxCapacity"]), (1, 5))
        self.assertEqual(t["RoleARN"], SLR)
        self.assertEqual(t["SuspendedState"], {"DynamicScalingInSuspended": False,
                                               "DynamicScalingOutSuspended": False,
                                               "ScheduledScalingSuspended": False})
        self.assertIn("CreationTime", t)
        # an update changes only what it names
        self.aas.register_scalable_target(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM, MaxCapacity=8,
                                          SuspendedState={"DynamicScalingInSuspended": True})
        [t] = self.targets(ResourceIds=[RID], ScalableDimension=DIM)
        self.assertEqual((t["MinCapacity"], t["MaxCapacity"]), (1, 8))
        self.assertTrue(t["SuspendedState"]["DynamicScalingInSuspended"])
        self.assertFalse(t["SuspendedState"]["DynamicScalingOutSuspended"])
        self.assertEqual(self.targets(ResourceIds=["service/main/other"]), [])
        self.assertEqual(self.aas.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"], [])
        self.aws("application-autoscaling", "deregister-scalable-target", "--service-namespace", NS,
                 "--scalable-dimension", DIM, "--resource-id", RID)
        self.assertEqual(self.targets(), [])
        with self.assertAwsError("ObjectNotFoundException", message=(
                "No scalable target found for service namespace: ecs, resource ID: service/main/web, "
                "scalable dimension: ecs:service:DesiredCount")):
            self.aws("application-autoscaling", "deregister-scalable-target", "--service-namespace", NS,
                     "--scalable-dimension", DIM, "--resource-id", RID)

    def test_register_validation(self):
        self.service()
        with self.assertAwsError("ValidationException", 400, "ECS service doesn't exist: service/main/ghost"):
            self.register(rid="service/main/ghost")
        with self.assertAwsError("ValidationException", 400, "ECS service doesn't exist: service/nocluster/web"):
            self.register(rid="service/nocluster/web")
        with self.assertAwsError("ValidationException",
                                 message="Unsupported service namespace, resource type or scalable dimension"):
            self.aas.register_scalable_target(ServiceNamespace="ecs", ResourceId="table/web",
                                              ScalableDimension="dynamodb:table:ReadCapacityUnits",
                                              MinCapacity=1, MaxCapacity=2)
        with self.assertAwsError("ValidationException",
                                 message="Unsupported service namespace, resource type or scalable dimension"):
            self.register(rid="cluster/main/web")
        # other namespaces name resources drydock does not have
        with self.assertAwsError("ValidationException", message="doesn't exist: table/orders"):
            self.aas.register_scalable_target(ServiceNamespace="dynamodb", ResourceId="table/orders",
                                              ScalableDimension="dynamodb:table:ReadCapacityUnits",
                                              MinCapacity=1, MaxCapacity=2)
        with self.assertAwsError("ValidationException", message="MaxCapacity"):
            self.aas.register_scalable_target(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM,
                                              MinCapacity=1)
        with self.assertAwsError("ValidationException", message=MAX_BELOW_MIN):
            self.register(mn=5, mx=2)
        with self.assertAwsError("ValidationException", message="Minimum capacity cannot be less than 0"):
            self.register(mn=-1, mx=2)
        # the model's own checks
        with self.assertAwsError("ValidationException"):
            self.aas.register_scalable_target(ServiceNamespace=NS, ResourceId=RID, ScalableDimension="ecs:nope",
                                              MinCapacity=1, MaxCapacity=2)
        self.assertEqual(self.targets(), [])

    def test_register_brings_desired_count_inside_limits(self):
        self.service(count=2)
        self.register(mn=3, mx=6)
        self.assertEqual(self.desired(), 3)
        [a] = self.activities()
        self.assertEqual(a["Description"], "Setting desired count to 3.")
        self.assertEqual(a["StatusCode"], "Successful")
        self.assertEqual(a["StatusMessage"],
                         "Successfully set desired count to 3. Change successfully fulfilled by ecs.")
        self.assertEqual((a["ServiceNamespace"], a["ResourceId"], a["ScalableDimension"]), (NS, RID, DIM))
        self.assertRegex(a["ActivityId"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertIn("StartTime", a)
        self.assertIn("EndTime", a)
        self.register(mn=1, mx=2)
        self.assertEqual(self.desired(), 2)
        self.assertEqual(self.activities()[0]["Description"], "Setting desired count to 2.")
        self.register(mn=1, mx=4)  # inside: nothing to do
        self.assertEqual(len(self.activities()), 2)
        self.assertEqual(self.desired(), 2)
        other = self.aas.describe_scaling_activities(ServiceNamespace=NS, ResourceId="service/main/other")
        self.assertEqual(other["ScalingActivities"], [])

    # ---- scaling policies ------------------------------------------------------------------------

    def test_step_policy_lifecycle(self):
        self.service()
        with self.assertAwsError("ObjectNotFoundException", message=(
                "No scalable target registered for service namespace: ecs, resource ID: service/main/web, "
                "scalable dimension: ecs:service:DesiredCount")):
            self.put_policy()
        self.register()
        out = self.aws("application-autoscaling", "put-scaling-policy", "--service-namespace", NS,
                       "--scalable-dimension", DIM, "--resource-id", RID, "--policy-name", "up",
                       "--policy-type", "StepScaling", "--step-scaling-policy-configuration", json.dumps(STEP_UP))
        self.assertRegex(out["PolicyARN"], POLICY_ARN.pattern % (REGION, ACCOUNT, RID, "up"))
        self.assertNotIn("Alarms", out)
        [p] = self.aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"]
        self.assertEqual(p["PolicyARN"], out["PolicyARN"])
        self.assertEqual((p["PolicyName"], p["PolicyType"], p["ResourceId"]), ("up", "StepScaling", RID))
        self.assertEqual(p["StepScalingPolicyConfiguration"], STEP_UP)
        self.assertIn("CreationTime", p)
        # an update keeps the ARN; members not given are unchanged
        again = self.aas.put_scaling_policy(PolicyName="up", ServiceNamespace=NS, ResourceId=RID,
                                            ScalableDimension=DIM,
                                            StepScalingPolicyConfiguration={"Cooldown": 120})
        self.assertEqual(again["PolicyARN"], out["PolicyARN"])
        [p] = self.aas.describe_scaling_policies(ServiceNamespace=NS, PolicyNames=["up"])["ScalingPolicies"]
        self.assertEqual(p["StepScalingPolicyConfiguration"]["Cooldown"], 120)
        self.assertEqual(p["StepScalingPolicyConfiguration"]["StepAdjustments"], STEP_UP["StepAdjustments"])
        self.put_policy(name="down", config={"AdjustmentType": "PercentChangeInCapacity", "MinAdjustmentMagnitude": 1,
                                             "StepAdjustments": [{"MetricIntervalUpperBound": 0,
                                                                  "ScalingAdjustment": -50}]})
        names = [p["PolicyName"] for p in self.aas.describe_scaling_policies(
            ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM)["ScalingPolicies"]]
        self.assertEqual(sorted(names), ["down", "up"])
        page = self.aas.describe_scaling_policies(ServiceNamespace=NS, MaxResults=1)
        self.assertEqual(len(page["ScalingPolicies"]), 1)
        rest = self.aas.describe_scaling_policies(ServiceNamespace=NS, MaxResults=1, NextToken=page["NextToken"])
        self.assertEqual(len(rest["ScalingPolicies"]), 1)
        self.assertNotIn("NextToken", rest)
        self.aas.delete_scaling_policy(PolicyName="up", ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM)
        with self.assertAwsError("ObjectNotFoundException", message=(
                "No scaling policy found for service namespace: ecs, resource ID: service/main/web, "
                "scalable dimension: ecs:service:DesiredCount, policy name: up")):
            self.aas.delete_scaling_policy(PolicyName="up", ServiceNamespace=NS, ResourceId=RID,
                                           ScalableDimension=DIM)
        # deregistering deletes the target's policies
        self.aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM)
        self.assertEqual(self.aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"], [])

    def test_step_adjustment_rules(self):
        self.service()
        self.register()

        def rejects(message, config):
            with self.assertAwsError("ValidationException", 400, message):
                self.put_policy(name="bad", config=config)

        def steps(*s, kind="ChangeInCapacity", **kw):
            return dict(AdjustmentType=kind, StepAdjustments=list(s), **kw)

        with self.assertAwsError("ValidationException", message="StepScaling policy configuration must be specified"):
            self.aas.put_scaling_policy(PolicyName="bad", ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM)
        rejects("Adjustment type must be specified",
                {"StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})
        rejects("There must be at least one step adjustment", steps())
        rejects("Both lower and upper bounds of a step adjustment cannot be left unspecified",
                steps({"ScalingAdjustment": 1}))
        rejects("At most one step adjustment may have an unspecified upper bound",
                steps({"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1},
                      {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}))
        rejects("At most one step adjustment may have an unspecified lower bound",
                steps({"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1},
                      {"MetricIntervalUpperBound": -10, "ScalingAdjustment": -2}))
        rejects("Step adjustment intervals cannot overlap",
                steps({"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                      {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}))
        rejects("Step adjustment intervals cannot have gaps between them",
                steps({"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                      {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}))
        rejects("There must be a step adjustment with an unspecified upper bound when one step adjustment has a "
                "positive upper bound",
                steps({"MetricIntervalLowerBound": 1, "MetricIntervalUpperBound": 2, "ScalingAdjustment": 1}))
        rejects("There must be a step adjustment with an unspecified lower bound when one step adjustment has a "
                "negative lower bound",
                steps({"MetricIntervalLowerBound": -10, "MetricIntervalUpperBound": 0, "ScalingAdjustment": -1}))
        rejects("upper bound of a step adjustment must be greater than its lower bound",
                steps({"MetricIntervalLowerBound": 5, "MetricIntervalUpperBound": 5, "ScalingAdjustment": 1}))
        rejects("Scaling adjustment cannot be less than 0 when adjustment type is ExactCapacity",
                steps({"MetricIntervalLowerBound": 0, "ScalingAdjustment": -1}, kind="ExactCapacity"))
        rejects("Minimum adjustment magnitude is only allowed for adjustment type PercentChangeInCapacity",
                steps({"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}, MinAdjustmentMagnitude=2))
        rejects("There can be at most 20 step adjustments per scaling policy",
                steps(*[{"MetricIntervalLowerBound": i, "MetricIntervalUpperBound": i + 1, "ScalingAdjustment": 1}
                        for i in range(20)], {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}))
        # a scale-in policy below the threshold and a two-sided one are fine
        self.put_policy(name="in", config=steps({"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1}))
        self.put_policy(name="both", config=steps(
            {"MetricIntervalUpperBound": -10, "ScalingAdjustment": -2},
            {"MetricIntervalLowerBound": -10, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 0},
            {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}))
        names = sorted(p["PolicyName"] for p in self.aas.describe_scaling_policies(
            ServiceNamespace=NS)["ScalingPolicies"])
        self.assertEqual(names, ["both", "in"])

    def test_target_tracking_metric_rules(self):
        self.service()
        self.register()
        with self.assertAwsError("ValidationException",
                                 message="PredefinedMetricSpecification or CustomizedMetricSpecification must be set"):
            self.put_policy(name="tt", kind="TargetTrackingScaling", config={"TargetValue": 50.0})
        with self.assertAwsError("ValidationException", message="Only one of PredefinedMetricSpecification or "
                                                                "CustomizedMetricSpecification can be set"):
            self.put_policy(name="tt", kind="TargetTrackingScaling", config=dict(CPU_TT, CustomizedMetricSpecification={
                "MetricName": "m", "Namespace": "n", "Statistic": "Average"}))
        with self.assertAwsError("ValidationException", message="Scalable dimension ecs:service:DesiredCount only "
                                                                "supports the following predefined metric types"):
            self.put_policy(name="tt", kind="TargetTrackingScaling", config={
                "TargetValue": 50.0, "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "DynamoDBReadCapacityUtilization"}})
        with self.assertAwsError("ValidationException", message="ResourceLabel"):
            self.put_policy(name="tt", kind="TargetTrackingScaling", config={
                "TargetValue": 1000.0, "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ALBRequestCountPerTarget"}})
        with self.assertAwsError("ValidationException",
                                 message="TargetTrackingScaling policy configuration must be specified"):
            self.aas.put_scaling_policy(PolicyName="tt", ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM,
                                        PolicyType="TargetTrackingScaling")
        self.assertEqual(self.aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"], [])

    def test_target_tracking_alarms(self):
        self.service()
        self.register()
        cw = self.client("cloudwatch")
        out = self.aws("application-autoscaling", "put-scaling-policy", "--service-namespace", NS,
                       "--scalable-dimension", DIM, "--resource-id", RID, "--policy-name", "cpu50",
                       "--policy-type", "TargetTrackingScaling",
                       "--target-tracking-scaling-policy-configuration", json.dumps(CPU_TT))
        arn = out["PolicyARN"]
        self.assertRegex(arn, POLICY_ARN.pattern % (REGION, ACCOUNT, RID, "cpu50"))
        high, low = out["Alarms"]
        self.assertRegex(high["AlarmName"], r"^TargetTracking-service/main/web-AlarmHigh-[0-9a-f-]{36}$")
        self.assertRegex(low["AlarmName"], r"^TargetTracking-service/main/web-AlarmLow-[0-9a-f-]{36}$")
        self.assertEqual(high["AlarmARN"], "arn:aws:cloudwatch:%s:%s:alarm:%s" % (REGION, ACCOUNT, high["AlarmName"]))
        alarms = {a["AlarmName"]: a for a in cw.describe_alarms(
            AlarmNames=[high["AlarmName"], low["AlarmName"]])["MetricAlarms"]}
        h, lo = alarms[high["AlarmName"]], alarms[low["AlarmName"]]
        for a in (h, lo):
            self.assertEqual(a["AlarmDescription"], "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy %s." % arn)
            self.assertEqual(a["AlarmActions"], [arn])
            self.assertEqual((a["Namespace"], a["MetricName"], a["Statistic"], a["Period"]),
                             ("AWS/ECS", "CPUUtilization", "Average", 60))
            self.assertEqual(sorted((d["Name"], d["Value"]) for d in a["Dimensions"]),
                             [("ClusterName", "main"), ("ServiceName", "web")])
        self.assertEqual((h["ComparisonOperator"], h["Threshold"], h["EvaluationPeriods"], h["DatapointsToAlarm"]),
                         ("GreaterThanThreshold", 50.0, 3, 3))
        self.assertEqual((lo["ComparisonOperator"], lo["Threshold"], lo["EvaluationPeriods"], lo["DatapointsToAlarm"]),
                         ("LessThanThreshold", 45.0, 15, 15))
        [p] = self.aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"]
        self.assertEqual(p["Alarms"], out["Alarms"])
        # an update replaces the alarms; DisableScaleIn has no AlarmLow
        again = self.put_policy(name="cpu50", kind="TargetTrackingScaling", config=dict(CPU_TT, DisableScaleIn=True))
        self.assertEqual(again["PolicyARN"], arn)
        [only] = again["Alarms"]
        self.assertIn("-AlarmHigh-", only["AlarmName"])
        names = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="TargetTracking-")["MetricAlarms"]]
        self.assertEqual(names, [only["AlarmName"]])
        # ALB request count per target
        label = "app/web/0123456789abcdef/targetgroup/web/fedcba9876543210"
        alb = self.put_policy(name="alb", kind="TargetTrackingScaling", config={
            "TargetValue": 1000.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}})
        [a] = cw.describe_alarms(AlarmNames=[alb["Alarms"][0]["AlarmName"]])["MetricAlarms"]
        self.assertEqual((a["Namespace"], a["MetricName"], a["Statistic"]),
                         ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"))
        self.assertEqual(a["Dimensions"], [{"Name": "TargetGroup", "Value": "targetgroup/web/fedcba9876543210"}])
        # deleting the policy, or deregistering the target, deletes its alarms
        self.aas.delete_scaling_policy(PolicyName="cpu50", ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM)
        self.aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM)
        self.assertEqual(cw.describe_alarms(AlarmNamePrefix="TargetTracking-")["MetricAlarms"], [])

    def test_step_policy_scales_when_alarm_fires(self):
        self.service(count=2)
        self.register(mn=1, mx=6)
        arn = self.put_policy(name="up")["PolicyARN"]
        cw = self.client("cloudwatch")
        cw.put_metric_alarm(AlarmName="queue-high", Namespace="App", MetricName="Backlog", Statistic="Average",
                            Period=60, EvaluationPeriods=1, Threshold=100, ComparisonOperator="GreaterThanThreshold",
                            AlarmActions=[arn])

        def minute():
            # 130 is 30 above the threshold: the second step, +3
            cw.put_metric_data(Namespace="App", MetricData=[{
                "MetricName": "Backlog", "Value": 130,
                "Timestamp": datetime.datetime.fromtimestamp(self.now(), datetime.timezone.utc)}])
            self.advance(60)

        for _ in range(3):
            minute()
            if self.desired() != 2:
                break
        self.assertEqual(self.desired(), 5)
        a = self.activities()[0]
        self.assertEqual(a["Description"], "Setting desired count to 5.")
        self.assertEqual(a["Cause"], "monitor alarm queue-high in state ALARM triggered policy up")
        # the alarm stays in ALARM and invokes the policy again every minute: after the 60 s cooldown it adds
        # 3 more, which the maximum caps
        minute()
        minute()
        self.assertEqual(self.desired(), 6)
        self.assertEqual([a["Description"] for a in self.activities()][:2],
                         ["Setting desired count to 6.", "Setting desired count to 5."])

    def test_target_tracking_scales_out_on_cpu(self):
        self.service(count=2)
        self.register(mn=1, mx=10)
        self.put_policy(name="cpu50", kind="TargetTrackingScaling", config=CPU_TT)
        self.advance(120)  # tasks running
        self.emulator.admin("POST", "/_drydock/ecs/load", {"cluster": "main", "service": "web", "cpu": 90})
        for _ in range(8):
            self.advance(60)
            if self.desired() != 2:
                break
        self.assertEqual(self.desired(), 4)  # ceil(2 * 90 / 50)
        self.assertRegex(self.activities()[0]["Cause"],
                         r"^monitor alarm TargetTracking-service/main/web-AlarmHigh-[0-9a-f-]{36} in state ALARM "
                         r"triggered policy cpu50$")

    def test_target_tracking_scales_in_after_fifteen_low_minutes(self):
        self.service(count=4)
        self.register(mn=1, mx=10)
        self.put_policy(name="cpu50", kind="TargetTrackingScaling", config=CPU_TT)
        self.advance(120)
        self.emulator.admin("POST", "/_drydock/ecs/load", {"cluster": "main", "service": "web", "cpu": 20})
        self.advance(10 * 60)
        self.assertEqual(self.desired(), 4)  # AlarmLow needs 15 low minutes
        for _ in range(10):
            self.advance(60)
            if self.desired() != 4:
                break
        self.assertEqual(self.desired(), 2)  # ceil(4 * 20 / 50)
        # with scale-in suspended nothing moves
        self.register(mn=1, mx=10, SuspendedState={"DynamicScalingInSuspended": True})
        self.emulator.admin("POST", "/_drydock/ecs/load", {"cluster": "main", "service": "web", "cpu": 5})
        self.advance(25 * 60)
        self.assertEqual(self.desired(), 2)

    # ---- scheduled actions -----------------------------------------------------------------------

    def test_scheduled_rate_changes_capacity(self):
        self.service(count=2)
        self.register(mn=1, mx=10)
        self.aws("application-autoscaling", "put-scheduled-action", "--service-namespace", NS,
                 "--scalable-dimension", DIM, "--resource-id", RID, "--scheduled-action-name", "floor",
                 "--schedule", "rate(5 minutes)", "--scalable-target-action", "MinCapacity=4,MaxCapacity=8")
        d = self.aws("application-autoscaling", "describe-scheduled-actions", "--service-namespace", NS)
        [a] = d["ScheduledActions"]
        self.assertRegex(a["ScheduledActionARN"], ACTION_ARN.pattern % (REGION, ACCOUNT, RID, "floor"))
        self.assertEqual((a["ScheduledActionName"], a["Schedule"], a["ResourceId"], a["ScalableDimension"]),
                         ("floor", "rate(5 minutes)", RID, DIM))
        self.assertEqual(a["ScalableTargetAction"], {"MinCapacity": 4, "MaxCapacity": 8})
        self.assertIn("CreationTime", a)
        self.advance(290)
        self.assertEqual(self.desired(), 2)
        self.advance(20)
        self.assertEqual(self.desired(), 4)
        [t] = self.targets()
        self.assertEqual((t["MinCapacity"], t["MaxCapacity"]), (4, 8))
        [act] = self.activities()
        self.assertEqual(act["Description"], "Setting desired count to 4.")
        self.assertEqual(act["Cause"], "scheduled action name floor was triggered")
        # it keeps running; once inside the limits a run changes nothing
        self.advance(300)
        self.assertEqual(len(self.activities()), 1)
        self.aas.delete_scheduled_action(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM,
                                         ScheduledActionName="floor")
        self.assertEqual(self.aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"], [])
        with self.assertAwsError("ObjectNotFoundException"):
            self.aas.delete_scheduled_action(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM,
                                             ScheduledActionName="floor")

    def test_scheduled_at_runs_once(self):
        self.service(count=3)
        self.register(mn=1, mx=10)
        when = datetime.datetime.fromtimestamp(self.now() + 600, datetime.timezone.utc)
        schedule = when.strftime("at(%Y-%m-%dT%H:%M:%S)")
        self.put_action("night", schedule, ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 1})
        self.advance(590)
        self.assertEqual(self.desired(), 3)
        self.advance(20)
        self.assertEqual(self.desired(), 1)
        [t] = self.targets()
        self.assertEqual((t["MinCapacity"], t["MaxCapacity"]), (0, 1))
        self.assertEqual(self.activities()[0]["Cause"], "scheduled action name night was triggered")
        [a] = self.aas.describe_scheduled_actions(ServiceNamespace=NS, ScheduledActionNames=["night"])[
            "ScheduledActions"]
        self.assertEqual(a["Schedule"], schedule)

    def test_scheduled_cron_in_timezone(self):
        self.service(count=2)
        self.register(mn=1, mx=10)
        paris = zoneinfo.ZoneInfo("Europe/Paris")
        now = datetime.datetime.fromtimestamp(self.now(), paris)
        fire = (now + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
        self.put_action("morning", "cron(%d %d * * ? *)" % (fire.minute, fire.hour), Timezone="Europe/Paris",
                        ScalableTargetAction={"MinCapacity": 5})
        [a] = self.aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"]
        self.assertEqual(a["Timezone"], "Europe/Paris")
        wait = fire.timestamp() - self.now()
        self.advance(wait - 30)
        self.assertEqual(self.desired(), 2)
        self.advance(60)
        self.assertEqual(self.desired(), 5)

    def test_scheduled_suspended_and_bounded(self):
        self.service(count=2)
        self.register(mn=1, mx=10, SuspendedState={"ScheduledScalingSuspended": True})
        now = self.now()
        self.put_action("up", "rate(1 minute)", ScalableTargetAction={"MinCapacity": 3},
                        StartTime=datetime.datetime.fromtimestamp(now + 120, datetime.timezone.utc),
                        EndTime=datetime.datetime.fromtimestamp(now + 3600, datetime.timezone.utc))
        [a] = self.aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"]
        self.assertAlmostEqual(a["StartTime"].timestamp(), now + 120, delta=1)
        self.advance(180)
        self.assertEqual(self.desired(), 2)  # suspended
        self.register(SuspendedState={"ScheduledScalingSuspended": False}, mn=1, mx=10)
        self.advance(60)
        self.assertEqual(self.desired(), 3)

    def test_scheduled_action_validation(self):
        self.service()
        with self.assertAwsError("ObjectNotFoundException", message="No scalable target registered"):
            self.put_action("a", "rate(1 hour)", ScalableTargetAction={"MinCapacity": 1})
        self.register()
        for schedule in ["rate(0 minutes)", "rate(5 weeks)", "every day", "cron(0 12 * * * *)", "cron(0 12 * *)",
                         "at(2030-13-01T00:00:00)", "cron(0 25 * * ? *)"]:
            with self.assertAwsError("ValidationException", message="Invalid schedule expression"):
                self.put_action("a", schedule, ScalableTargetAction={"MinCapacity": 1})
        with self.assertAwsError("ValidationException", message="Invalid timezone"):
            self.put_action("a", "cron(0 12 * * ? *)", Timezone="Mars/Olympus", ScalableTargetAction={"MinCapacity": 1})
        with self.assertAwsError("ValidationException",
                                 message="At least one of minimum capacity and maximum capacity should be provided"):
            self.put_action("a", "rate(1 hour)", ScalableTargetAction={})
        with self.assertAwsError("ValidationException", message=MAX_BELOW_MIN):
            self.put_action("a", "rate(1 hour)", ScalableTargetAction={"MinCapacity": 3, "MaxCapacity": 2})
        with self.assertAwsError("ValidationException", message="ScalableTargetAction"):
            self.put_action("a", "rate(1 hour)")
        now = self.now()
        with self.assertAwsError("ValidationException", message="StartTime must be before EndTime"):
            self.put_action("a", "rate(1 hour)", ScalableTargetAction={"MinCapacity": 1},
                            StartTime=datetime.datetime.fromtimestamp(now + 7200, datetime.timezone.utc),
                            EndTime=datetime.datetime.fromtimestamp(now + 3600, datetime.timezone.utc))
        self.assertEqual(self.aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"], [])
        # valid forms
        self.put_action("b", "cron(0/15 8-18 ? * MON-FRI *)", ScalableTargetAction={"MaxCapacity": 4})
        self.put_action("c", "cron(30 2 1,15 JAN,JUL ? 2030-2035)", ScalableTargetAction={"MaxCapacity": 4})
        self.put_action("d", "rate(1 day)", Timezone="America/New_York", ScalableTargetAction={"MaxCapacity": 4})
        self.assertEqual(len(self.aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"]), 3)
        self.aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=RID, ScalableDimension=DIM)
        self.assertEqual(self.aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"], [])


if __name__ == "__main__":
    harness.main()
