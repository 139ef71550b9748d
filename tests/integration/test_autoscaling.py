"""EC2 Auto Scaling: groups of EC2 instances kept at their desired capacity, target groups,
scaling policies (simple, step, target tracking through CloudWatch), processes, tags, activities.

Runs on a manual clock (nothing sleeps: the clock is advanced through the admin API). The main
flow goes through the real AWS CLI v2, the rest through boto3.
"""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
REGION = harness.REGION
GROUP_ARN = re.compile(r"^arn:aws:autoscaling:%s:%s:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName/web$"
                       % (REGION, ACCOUNT))
POLICY_ARN = r"^arn:aws:autoscaling:%s:%s:scalingPolicy:[0-9a-f-]{36}:autoScalingGroupName/web:policyName/%s$"
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


class AutoScalingTest(harness.ManualClockTest):
    def setUp(self):
        super().setUp()
        self.asg = self.client("autoscaling")
        self.ec2 = self.client("ec2")



    # ---- the world: a VPC, a launch template, a target group ------------------------------------

    def world(self):
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.vpc = vpc
        self.subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (i + 1),
                                               AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                        for i, az in enumerate("ab")]
        image = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.lt = self.ec2.create_launch_template(
            LaunchTemplateName="ecs", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})[
            "LaunchTemplate"]["LaunchTemplateId"]

    def target_group(self, vpc=None, name="app"):
        return self.client("elbv2").create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc or self.vpc,
                                                        TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]

    def create(self, mn=1, mx=4, desired=2, **kw):
        args = dict(AutoScalingGroupName="web", MinSize=mn, MaxSize=mx, DesiredCapacity=desired,
                    LaunchTemplate={"LaunchTemplateId": self.lt, "Version": "$Latest"},
                    VPCZoneIdentifier=",".join(self.subnets))
        args.update(kw)
        self.asg.create_auto_scaling_group(**args)

    def group(self, name="web"):
        [g] = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        return g

    def states(self):
        return sorted(i["LifecycleState"] for i in self.group()["Instances"])

    def in_service(self):
        return [i["InstanceId"] for i in self.group()["Instances"] if i["LifecycleState"] == "InService"]

    def activities(self):
        return self.asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]

    def ec2_state(self, iid):
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]

    # ---- validation ------------------------------------------------------------------------------

    def test_create_validation(self):
        self.world()
        launch = {"LaunchTemplateId": self.lt}
        with self.assertAwsError("ValidationError", 400, "Valid requests must contain either LaunchTemplate, "
                                                         "LaunchConfigurationName, InstanceId or MixedInstancesPolicy"):
            self.asg.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=1, MaxSize=2,
                                               VPCZoneIdentifier=self.subnets[0])
        with self.assertAwsError("ValidationError", message="Max bound, 1, must be greater than or equal to min "
                                                            "bound, 2"):
            self.create(mn=2, mx=1, desired=2)
        with self.assertAwsError("ValidationError", message="Desired capacity:5 must be between the specified min "
                                                            "size:1 and max size:4"):
            self.create(desired=5)
        with self.assertAwsError("ValidationError", message="The subnet ID 'subnet-0000000000000000f' does not exist"):
            self.create(VPCZoneIdentifier="subnet-0000000000000000f")
        with self.assertAwsError("ValidationError", message="At least one Availability Zone or VPC Subnet is "
                                                            "required."):
            self.asg.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=1, MaxSize=2, LaunchTemplate=launch)
        with self.assertAwsError("ValidationError", message="Launch configuration name not found"):
            self.asg.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=1, MaxSize=2,
                                               LaunchConfigurationName="old", VPCZoneIdentifier=self.subnets[0])
        self.assertEqual(self.asg.describe_auto_scaling_groups()["AutoScalingGroups"], [])
        self.create(desired=1)
        with self.assertAwsError("AlreadyExists", 400, "AutoScalingGroup by this name already exists - A group with "
                                                       "the name web already exists"):
            self.create(desired=1)
        for call in (lambda: self.asg.set_desired_capacity(AutoScalingGroupName="nope", DesiredCapacity=1),
                     lambda: self.asg.update_auto_scaling_group(AutoScalingGroupName="nope", MaxSize=3),
                     lambda: self.asg.delete_auto_scaling_group(AutoScalingGroupName="nope")):
            with self.assertAwsError("ValidationError", message="AutoScalingGroup name not found - AutoScalingGroup "
                                                                "nope not found"):
                call()
        with self.assertAwsError("ValidationError", message="New SetDesiredCapacity value 9 is above max value 4 for "
                                                            "the AutoScalingGroup."):
            self.asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=9)
        with self.assertAwsError("ValidationError", message="below min value 1"):
            self.asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=0)
        g = self.group()
        self.assertRegex(g["AutoScalingGroupARN"], GROUP_ARN)
        self.assertEqual((g["MinSize"], g["MaxSize"], g["DesiredCapacity"], g["DefaultCooldown"]), (1, 4, 1, 300))
        self.assertEqual(g["HealthCheckType"], "EC2")
        self.assertEqual(g["AvailabilityZones"], ["us-east-1a", "us-east-1b"])
        self.assertEqual(g["TerminationPolicies"], ["Default"])
        self.assertEqual(self.asg.describe_lifecycle_hooks(AutoScalingGroupName="web")["LifecycleHooks"], [])

    # ---- the main flow, with the AWS CLI ---------------------------------------------------------

    def test_group_lifecycle_cli(self):
        self.world()
        tg = self.target_group()
        self.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "web",
                 "--launch-template", "LaunchTemplateId=%s,Version=$Latest" % self.lt, "--min-size", "1",
                 "--max-size", "4", "--desired-capacity", "2", "--vpc-zone-identifier", ",".join(self.subnets),
                 "--target-group-arns", tg, "--tags",
                 "Key=team,Value=web,PropagateAtLaunch=true", "Key=cost,Value=x,PropagateAtLaunch=false")
        out = self.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "web")
        [g] = out["AutoScalingGroups"]
        self.assertEqual(g["TargetGroupARNs"], [tg])
        self.assertEqual({t["Key"]: t["PropagateAtLaunch"] for t in g["Tags"]}, {"team": True, "cost": False})
        self.assertEqual(self.states(), ["Pending", "Pending"])
        self.advance(10)
        self.assertEqual(self.states(), ["InService", "InService"])
        insts = self.group()["Instances"]
        self.assertEqual(sorted(i["AvailabilityZone"] for i in insts), ["us-east-1a", "us-east-1b"])
        self.assertTrue(all(i["HealthStatus"] == "Healthy" and not i["ProtectedFromScaleIn"] for i in insts))
        self.assertEqual(insts[0]["LaunchTemplate"]["LaunchTemplateId"], self.lt)
        # the instances carry the group's tags
        tags = self.ec2.describe_instances(InstanceIds=[insts[0]["InstanceId"]])["Reservations"][0]["Instances"][0][
            "Tags"]
        tags = {t["Key"]: t["Value"] for t in tags}
        self.assertEqual(tags["aws:autoscaling:groupName"], "web")
        self.assertEqual(tags["team"], "web")
        self.assertNotIn("cost", tags)
        # ... and are registered in the target group
        health = self.client("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        self.assertEqual(sorted(h["Target"]["Id"] for h in health), sorted(i["InstanceId"] for i in insts))
        self.assertTrue(all(h["Target"]["Port"] == 80 for h in health))
        acts = self.activities()
        self.assertEqual(len(acts), 2)
        for a in acts:
            self.assertRegex(a["Description"], r"^Launching a new EC2 instance: i-[0-9a-f]{17}$")
            self.assertRegex(a["Cause"], r"^At %s a user request created an AutoScalingGroup changing the desired "
                                         r"capacity from 0 to 2\.  At %s an instance was started in response to a "
                                         r"difference between desired and actual capacity, increasing the capacity "
                                         r"from 0 to 2\.$" % (ISO, ISO))
            self.assertEqual((a["StatusCode"], a["Progress"]), ("Successful", 100))
        # DescribeAutoScalingInstances
        d = self.aws("autoscaling", "describe-auto-scaling-instances")["AutoScalingInstances"]
        self.assertEqual({(i["AutoScalingGroupName"], i["HealthStatus"]) for i in d}, {("web", "HEALTHY")})
        # more capacity: an update of the constraints
        self.aws("autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "web", "--min-size", "1",
                 "--max-size", "4", "--desired-capacity", "3")
        self.advance(10)
        self.assertEqual(self.states(), ["InService"] * 3)
        self.assertRegex(self.activities()[0]["Cause"],
                         r"^At %s a user request update of AutoScalingGroup constraints to min: 1, max: 4, desired: 3 "
                         r"changing the desired capacity from 2 to 3\.  At %s an instance was started in response "
                         r"to a difference between desired and actual capacity, increasing the capacity from 2 to 3\.$"
                         % (ISO, ISO))
        # scale in to 1: the oldest of the fullest zone goes first
        oldest = self.group()["Instances"][0]["InstanceId"]
        self.aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "web", "--desired-capacity", "1")
        self.assertEqual(self.states().count("Terminating"), 2)
        self.assertIn(oldest, [i["InstanceId"] for i in self.group()["Instances"]
                               if i["LifecycleState"] == "Terminating"])
        a = self.activities()[0]
        self.assertRegex(a["Description"], r"^Terminating EC2 instance: i-")
        self.assertRegex(a["Cause"], r"^At %s a user request explicitly set group desired capacity changing the "
                                     r"desired capacity from 3 to 1\.  At %s an instance was taken out of service in "
                                     r"response to a difference between desired and actual capacity, shrinking the "
                                     r"capacity from 3 to 1\.  At %s instance i-[0-9a-f]+ was selected for "
                                     r"termination\.$" % (ISO, ISO, ISO))
        # deleting a group with instances
        with self.assertAwsError("ScalingActivityInProgress", message="You cannot delete an AutoScalingGroup while "
                                                                      "there are scaling activities in progress."):
            self.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "web")
        self.advance(120)
        self.assertEqual(self.states(), ["InService"])
        with self.assertAwsError("ResourceInUse", message="You cannot delete an AutoScalingGroup while there are "
                                                          "instances"):
            self.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "web")
        [left] = self.in_service()
        self.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "web", "--force-delete")
        self.assertEqual(self.group()["Status"], "Delete in progress")
        self.advance(120)
        self.assertEqual(self.asg.describe_auto_scaling_groups()["AutoScalingGroups"], [])
        self.assertEqual(self.ec2_state(left), "terminated")

    def test_empty_group_deletes_at_once(self):
        self.world()
        self.create(mn=0, desired=0)
        self.asg.delete_auto_scaling_group(AutoScalingGroupName="web")
        self.assertEqual(self.asg.describe_auto_scaling_groups()["AutoScalingGroups"], [])

    # ---- instances -----------------------------------------------------------------------------

    def test_replaces_an_instance_terminated_outside(self):
        self.world()
        self.create(desired=2)
        self.advance(10)
        victim = self.in_service()[0]
        self.ec2.terminate_instances(InstanceIds=[victim])
        self.advance(40)
        self.assertEqual(self.states(), ["InService", "InService"])
        self.assertNotIn(victim, self.in_service())
        causes = [a["Cause"] for a in self.activities()]
        self.assertTrue(any(re.search(r"an instance was taken out of service in response to an EC2 health check "
                                      r"indicating it has been terminated or stopped\.$", c) for c in causes))
        self.assertRegex(causes[0], r"^At %s an instance was started in response to a difference between desired "
                                    r"and actual capacity, increasing the capacity from 1 to 2\.$" % ISO)

    def test_terminate_protect_and_health(self):
        self.world()
        self.create(mn=1, desired=3)
        self.advance(10)
        a, b, c = self.in_service()
        out = self.asg.terminate_instance_in_auto_scaling_group(InstanceId=a, ShouldDecrementDesiredCapacity=True)
        self.assertEqual(out["Activity"]["Description"], "Terminating EC2 instance: %s" % a)
        self.assertRegex(out["Activity"]["Cause"], r"^At %s instance %s was taken out of service in response to a "
                                                   r"user request, shrinking the capacity from 3 to 2\.$" % (ISO, a))
        self.assertEqual(self.group()["DesiredCapacity"], 2)
        self.advance(60)
        self.assertEqual(sorted(self.in_service()), sorted([b, c]))
        # without decrementing, a replacement comes
        self.asg.terminate_instance_in_auto_scaling_group(InstanceId=b, ShouldDecrementDesiredCapacity=False)
        self.advance(60)
        self.assertEqual(len(self.in_service()), 2)
        self.assertNotIn(b, self.in_service())
        with self.assertAwsError("ValidationError", message="No managed instance found for instance ID: i-0"):
            self.asg.terminate_instance_in_auto_scaling_group(InstanceId="i-0", ShouldDecrementDesiredCapacity=True)
        # protection from scale-in keeps an instance through a scale-in
        self.asg.set_instance_protection(AutoScalingGroupName="web", InstanceIds=[c], ProtectedFromScaleIn=True)
        self.asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
        self.advance(60)
        self.assertEqual(self.in_service(), [c])
        # an unhealthy instance is replaced
        self.asg.set_instance_health(InstanceId=c, HealthStatus="Unhealthy")
        self.advance(60)
        [d] = self.in_service()
        self.assertNotEqual(d, c)

    def test_target_groups_attach_detach(self):
        self.world()
        tg = self.target_group()
        self.create(desired=1)
        self.advance(10)
        [iid] = self.in_service()
        self.asg.attach_load_balancer_target_groups(AutoScalingGroupName="web", TargetGroupARNs=[tg])
        self.assertEqual(self.group()["TargetGroupARNs"], [tg])
        elb = self.client("elbv2")
        [h] = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        self.assertEqual(h["Target"], {"Id": iid, "Port": 80})
        d = self.asg.describe_load_balancer_target_groups(AutoScalingGroupName="web")["LoadBalancerTargetGroups"]
        self.assertEqual(d, [{"LoadBalancerTargetGroupARN": tg, "State": "InService"}])
        self.asg.detach_load_balancer_target_groups(AutoScalingGroupName="web", TargetGroupARNs=[tg])
        self.assertEqual(self.group()["TargetGroupARNs"], [])
        self.assertEqual(elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"], [])

    # ---- processes and tags ------------------------------------------------------------------

    def test_suspend_resume(self):
        self.world()
        self.create(mn=0, desired=0)
        self.asg.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Launch"])
        self.asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
        [p] = self.group()["SuspendedProcesses"]
        self.assertEqual(p["ProcessName"], "Launch")
        self.assertRegex(p["SuspensionReason"], r"^User suspended at %s$" % ISO)
        self.advance(60)
        self.assertEqual(self.group()["Instances"], [])
        with self.assertAwsError("ValidationError", message="Process Nope is invalid"):
            self.asg.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Nope"])
        self.asg.resume_processes(AutoScalingGroupName="web")
        self.assertEqual(self.group()["SuspendedProcesses"], [])
        self.advance(10)
        self.assertEqual(self.states(), ["InService"])
        self.asg.suspend_processes(AutoScalingGroupName="web")
        self.assertEqual(len(self.group()["SuspendedProcesses"]), 9)

    def test_tags(self):
        self.world()
        self.create(desired=0, mn=0)
        self.asg.create_or_update_tags(Tags=[{"ResourceId": "web", "ResourceType": "auto-scaling-group", "Key": "a",
                                              "Value": "1", "PropagateAtLaunch": True}])
        self.asg.create_or_update_tags(Tags=[{"ResourceId": "web", "ResourceType": "auto-scaling-group", "Key": "a",
                                              "Value": "2", "PropagateAtLaunch": False}])
        [t] = self.asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": ["web"]}])["Tags"]
        self.assertEqual(t, {"ResourceId": "web", "ResourceType": "auto-scaling-group", "Key": "a", "Value": "2",
                             "PropagateAtLaunch": False})
        self.assertEqual(len(self.asg.describe_auto_scaling_groups(
            Filters=[{"Name": "tag:a", "Values": ["2"]}])["AutoScalingGroups"]), 1)
        self.assertEqual(self.asg.describe_auto_scaling_groups(
            Filters=[{"Name": "tag:a", "Values": ["1"]}])["AutoScalingGroups"], [])
        self.asg.delete_tags(Tags=[{"ResourceId": "web", "ResourceType": "auto-scaling-group", "Key": "a"}])
        self.assertEqual(self.asg.describe_tags()["Tags"], [])

    # ---- scaling policies ----------------------------------------------------------------------

    def test_target_tracking_end_to_end(self):
        self.world()
        self.create(mn=1, mx=4, desired=1)
        out = self.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "web", "--policy-name",
                       "cpu50", "--policy-type", "TargetTrackingScaling", "--target-tracking-configuration",
                       json.dumps({"TargetValue": 50.0, "PredefinedMetricSpecification": {
                           "PredefinedMetricType": "ASGAverageCPUUtilization"}}))
        self.assertRegex(out["PolicyARN"], POLICY_ARN % (REGION, ACCOUNT, "cpu50"))
        names = sorted(a["AlarmName"] for a in out["Alarms"])
        self.assertRegex(names[0], r"^TargetTracking-web-AlarmHigh-[0-9a-f-]{36}$")
        self.assertRegex(names[1], r"^TargetTracking-web-AlarmLow-[0-9a-f-]{36}$")
        cw = self.client("cloudwatch")
        alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
        high, low = alarms[names[0]], alarms[names[1]]
        self.assertEqual((high["Namespace"], high["MetricName"], high["Statistic"]),
                         ("AWS/EC2", "CPUUtilization", "Average"))
        self.assertEqual(high["Dimensions"], [{"Name": "AutoScalingGroupName", "Value": "web"}])
        self.assertEqual((high["Threshold"], high["EvaluationPeriods"], high["ComparisonOperator"]),
                         (50.0, 3, "GreaterThanThreshold"))
        self.assertEqual((low["Threshold"], low["EvaluationPeriods"], low["ComparisonOperator"]),
                         (45.0, 15, "LessThanThreshold"))
        self.assertEqual(high["AlarmActions"], [out["PolicyARN"]])
        [p] = self.asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"]
        self.assertEqual((p["PolicyName"], p["PolicyType"], p["Enabled"]), ("cpu50", "TargetTrackingScaling", True))
        self.assertEqual(len(p["Alarms"]), 2)
        # load: the instance runs at 90% CPU
        self.advance(10)
        [iid] = self.in_service()
        self.emulator.admin("POST", "/_drydock/ec2/load", {"instance_id": iid, "cpu": 90})
        self.advance(5 * 60)
        self.assertEqual(self.group()["DesiredCapacity"], 2)
        causes = [a["Cause"] for a in self.activities()]
        self.assertTrue(any(re.match(r"^At %s a monitor alarm TargetTracking-web-AlarmHigh-[0-9a-f-]{36} in state ALARM "
                                     r"triggered policy cpu50 changing the desired capacity from 1 to 2\.  At %s an "
                                     r"instance was started" % (ISO, ISO), c) for c in causes), causes)
        # deleting the policy deletes its alarms
        self.asg.delete_policy(AutoScalingGroupName="web", PolicyName="cpu50")
        self.assertEqual(cw.describe_alarms(AlarmNames=names)["MetricAlarms"], [])
        self.assertEqual(self.asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"], [])
        with self.assertAwsError("ValidationError"):
            self.asg.delete_policy(AutoScalingGroupName="web", PolicyName="cpu50")

    def test_alb_request_count_policy(self):
        self.world()
        self.create(desired=0, mn=0)
        label = "app/web/0123456789abcdef/targetgroup/app/0123456789abcdef"
        out = self.asg.put_scaling_policy(
            AutoScalingGroupName="web", PolicyName="rps", PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration={"TargetValue": 100.0, "DisableScaleIn": True, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}})
        [a] = out["Alarms"]
        [alarm] = self.client("cloudwatch").describe_alarms(AlarmNames=[a["AlarmName"]])["MetricAlarms"]
        self.assertEqual((alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]),
                         ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"))
        self.assertEqual(alarm["Dimensions"], [{"Name": "TargetGroup",
                                                "Value": "targetgroup/app/0123456789abcdef"}])
        with self.assertAwsError("ValidationError", message="Resource label"):
            self.asg.put_scaling_policy(
                AutoScalingGroupName="web", PolicyName="rps2", PolicyType="TargetTrackingScaling",
                TargetTrackingConfiguration={"TargetValue": 100.0, "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ALBRequestCountPerTarget"}})
        with self.assertAwsError("ValidationError", message="AutoScalingGroup name not found"):
            self.asg.put_scaling_policy(AutoScalingGroupName="nope", PolicyName="x", AdjustmentType="ChangeInCapacity",
                                        ScalingAdjustment=1)

    def test_simple_and_step_policies(self):
        self.world()
        self.create(mn=1, mx=6, desired=1, DefaultCooldown=120)
        up = self.asg.put_scaling_policy(AutoScalingGroupName="web", PolicyName="up",
                                         AdjustmentType="ChangeInCapacity", ScalingAdjustment=2)["PolicyARN"]
        self.assertRegex(up, POLICY_ARN % (REGION, ACCOUNT, "up"))
        cw = self.client("cloudwatch")
        cw.put_metric_alarm(AlarmName="busy", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                            Dimensions=[{"Name": "AutoScalingGroupName", "Value": "web"}], Period=60,
                            EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold",
                            AlarmActions=[up])
        cw.set_alarm_state(AlarmName="busy", StateValue="ALARM", StateReason="test")
        self.assertEqual(self.group()["DesiredCapacity"], 3)
        self.assertRegex(self.activities()[0]["Cause"],
                         r"^At %s a monitor alarm busy in state ALARM triggered policy up changing the desired "
                         r"capacity from 1 to 3\." % ISO)
        # the cooldown (the group's 120 s): an execution honouring it does nothing
        self.asg.execute_policy(AutoScalingGroupName="web", PolicyName="up", HonorCooldown=True)
        self.assertEqual(self.group()["DesiredCapacity"], 3)
        self.asg.execute_policy(AutoScalingGroupName="web", PolicyName="up")
        self.assertEqual(self.group()["DesiredCapacity"], 5)
        self.asg.execute_policy(AutoScalingGroupName="web", PolicyName="up")  # clamped to max
        self.assertEqual(self.group()["DesiredCapacity"], 6)
        # a step policy: the step is chosen by the distance from the threshold
        self.asg.put_scaling_policy(
            AutoScalingGroupName="web", PolicyName="down", PolicyType="StepScaling",
            AdjustmentType="PercentChangeInCapacity", StepAdjustments=[
                {"MetricIntervalUpperBound": -20, "ScalingAdjustment": -50},
                {"MetricIntervalLowerBound": -20, "MetricIntervalUpperBound": 0, "ScalingAdjustment": -10}])
        with self.assertAwsError("ValidationError", message="MetricValue and BreachThreshold"):
            self.asg.execute_policy(AutoScalingGroupName="web", PolicyName="down")
        self.asg.execute_policy(AutoScalingGroupName="web", PolicyName="down", MetricValue=10, BreachThreshold=40)
        self.assertEqual(self.group()["DesiredCapacity"], 3)
        self.asg.execute_policy(AutoScalingGroupName="web", PolicyName="down", MetricValue=35, BreachThreshold=40)
        self.assertEqual(self.group()["DesiredCapacity"], 2)
        types = {p["PolicyName"]: p["PolicyType"] for p in self.asg.describe_policies(
            AutoScalingGroupName="web")["ScalingPolicies"]}
        self.assertEqual(types, {"up": "SimpleScaling", "down": "StepScaling"})
        # AlarmNotification suspended: alarms do nothing
        self.asg.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["AlarmNotification"])
        self.advance(600)
        cw.set_alarm_state(AlarmName="busy", StateValue="OK", StateReason="test")
        cw.set_alarm_state(AlarmName="busy", StateValue="ALARM", StateReason="test")
        self.assertEqual(self.group()["DesiredCapacity"], 2)
        with self.assertAwsError("ValidationError", message="StepAdjustments"):
            self.asg.put_scaling_policy(AutoScalingGroupName="web", PolicyName="bad", PolicyType="StepScaling",
                                        AdjustmentType="ChangeInCapacity")


if __name__ == "__main__":
    harness.main()
