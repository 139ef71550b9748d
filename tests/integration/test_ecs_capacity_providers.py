"""ECS capacity providers backed by an EC2 Auto Scaling group, and their managed scaling.

The group's launch template gives its instances ECS_CLUSTER user data and an instance
profile, so they join the cluster when they reach running; managed scaling drives the
group through the CapacityProviderReservation target tracking policy (manual clock:
nothing sleeps). boto3 for most calls, the AWS CLI for a few.
"""
import base64
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
REGION = harness.REGION
ECS_AMI = "ami-0e8a4f2c6b1d3e5f7"  # al2023-ami-ecs-hvm x86_64 (fixtures/ec2_images.json)
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class EcsCapacityProviderTest(harness.ManualClockTest):
    def setUp(self):
        super().setUp()
        self.ecs = self.client("ecs")
        self.ec2 = self.client("ec2")
        self.asg = self.client("autoscaling")
        self.cw = self.client("cloudwatch")



    # ---- the world: a VPC, an instance profile, a launch template, groups -------------------------

    def world(self, cluster="ecs"):
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (i + 1),
                                               AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                        for i, az in enumerate("ab")]
        iam = self.client("iam")
        iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=EC2_TRUST)
        iam.create_instance_profile(InstanceProfileName="ecsInstanceProfile")
        iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceProfile", RoleName="ecsInstanceRole")
        data = "#!/bin/bash\necho ECS_CLUSTER=%s >> /etc/ecs/ecs.config\n" % cluster
        self.lt = self.ec2.create_launch_template(LaunchTemplateName="ecs", LaunchTemplateData={
            "ImageId": ECS_AMI, "InstanceType": "t3.medium", "IamInstanceProfile": {"Name": "ecsInstanceProfile"},
            "UserData": base64.b64encode(data.encode()).decode()})["LaunchTemplate"]["LaunchTemplateId"]
        self.ecs.create_cluster(clusterName=cluster)

    def group(self, name="asg", mn=0, mx=4, desired=0, protect=True):
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=mn, MaxSize=mx, DesiredCapacity=desired,
            LaunchTemplate={"LaunchTemplateId": self.lt, "Version": "$Latest"},
            VPCZoneIdentifier=",".join(self.subnets), NewInstancesProtectedFromScaleIn=protect)
        return self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0][
            "AutoScalingGroupARN"]

    def provider(self, name="cp", group="asg", scaling=None, mtp="ENABLED"):
        arn = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0][
            "AutoScalingGroupARN"]
        ms = {"status": "ENABLED", "targetCapacity": 100}
        if scaling is not None:
            ms = scaling
        return self.ecs.create_capacity_provider(name=name, autoScalingGroupProvider={
            "autoScalingGroupArn": arn, "managedScaling": ms, "managedTerminationProtection": mtp})[
            "capacityProvider"]

    def register(self, cpu=1024, memory=512):
        c = {"name": "web", "image": "nginx:1.25", "essential": True, "cpu": cpu, "memory": memory}
        self.ecs.register_task_definition(family="web", networkMode="bridge", requiresCompatibilities=["EC2"],
                                          containerDefinitions=[c])

    def tasks(self, cluster="ecs", **kw):
        arns = self.ecs.list_tasks(cluster=cluster, **kw)["taskArns"]
        return self.ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []

    def instances(self, name="asg"):
        g = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        return [i for i in g["Instances"] if i["LifecycleState"] != "Terminating"]

    def reservation(self, cluster="ecs", provider="cp"):
        now = self.emulator.admin("GET", "/_drydock/clock")["now_ms"] // 1000
        out = self.cw.get_metric_statistics(
            Namespace="AWS/ECS/ManagedScaling", MetricName="CapacityProviderReservation",
            Dimensions=[{"Name": "ClusterName", "Value": cluster}, {"Name": "CapacityProviderName", "Value": provider}],
            StartTime=now - 1200, EndTime=now + 60, Period=60, Statistics=["Average"])["Datapoints"]
        return [d["Average"] for d in sorted(out, key=lambda d: d["Timestamp"])]

    # ---- the API --------------------------------------------------------------------------------

    def test_create_validation(self):
        self.world()
        arn = self.group()
        asgp = {"autoScalingGroupArn": arn}
        for name in ("aws-cp", "ecs-cp", "fargate-cp", "FARGATE"):
            with self.assertAwsError("ClientException", message="cannot begin with"):
                self.ecs.create_capacity_provider(name=name, autoScalingGroupProvider=asgp)
        missing = arn.replace("autoScalingGroupName/asg", "autoScalingGroupName/nope")
        with self.assertAwsError("ClientException", message="Auto Scaling group ARN is invalid"):
            self.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": missing})
        for bad in ({"minimumScalingStepSize": 5, "maximumScalingStepSize": 2},):
            with self.assertAwsError("InvalidParameterException"):
                self.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider=dict(
                    asgp, managedScaling=dict(bad, status="ENABLED")))
        self.group(name="open", protect=False)
        open_arn = arn.replace("autoScalingGroupName/asg", "autoScalingGroupName/open")
        with self.assertAwsError("ClientException", message="instance protection from scale in"):
            self.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
                "autoScalingGroupArn": open_arn, "managedScaling": {"status": "ENABLED"},
                "managedTerminationProtection": "ENABLED"})
        cp = self.provider()
        self.assertEqual(cp["capacityProviderArn"], "arn:aws:ecs:%s:%s:capacity-provider/cp" % (REGION, ACCOUNT))
        self.assertEqual(cp["status"], "ACTIVE")
        ms = cp["autoScalingGroupProvider"]["managedScaling"]
        self.assertEqual((ms["status"], ms["targetCapacity"], ms["minimumScalingStepSize"],
                          ms["maximumScalingStepSize"], ms["instanceWarmupPeriod"]), ("ENABLED", 100, 1, 10000, 300))
        with self.assertAwsError("ClientException", message="already exists"):
            self.provider()
        with self.assertAwsError("ClientException", message="already being used by another capacity provider"):
            self.provider(name="cp2")

    def test_lifecycle_and_association(self):
        self.world()
        self.ecs.create_cluster(clusterName="other")
        self.group()
        self.provider(scaling={"status": "DISABLED"}, mtp="DISABLED")
        names = [p["name"] for p in self.ecs.describe_capacity_providers()["capacityProviders"]]
        self.assertEqual(names, ["FARGATE", "FARGATE_SPOT", "cp"])
        out = self.ecs.describe_capacity_providers(capacityProviders=["cp", "nope"])
        self.assertEqual([p["name"] for p in out["capacityProviders"]], ["cp"])
        self.assertEqual(out["failures"][0]["reason"], "MISSING")
        # the CLI: update
        out = self.aws("ecs", "update-capacity-provider", "--name", "cp", "--auto-scaling-group-provider",
                       json.dumps({"managedScaling": {"status": "ENABLED", "targetCapacity": 80}}))
        self.assertEqual(out["capacityProvider"]["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"], 80)
        with self.assertAwsError("InvalidParameterException"):
            self.ecs.put_cluster_capacity_providers(cluster="ecs", capacityProviders=["nope"],
                                                    defaultCapacityProviderStrategy=[])
        out = self.ecs.put_cluster_capacity_providers(
            cluster="ecs", capacityProviders=["cp", "FARGATE"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])["cluster"]
        self.assertEqual(out["capacityProviders"], ["cp", "FARGATE"])
        # associated: ECS made the group's managed policy
        [policy] = self.asg.describe_policies(AutoScalingGroupName="asg")["ScalingPolicies"]
        self.assertRegex(policy["PolicyName"], r"^ECSManagedAutoScalingPolicy-[0-9a-f-]{36}$")
        cfg = policy["TargetTrackingConfiguration"]
        self.assertEqual(cfg["TargetValue"], 80.0)
        self.assertEqual(cfg["CustomizedMetricSpecification"]["MetricName"], "CapacityProviderReservation")
        self.assertEqual(cfg["CustomizedMetricSpecification"]["Namespace"], "AWS/ECS/ManagedScaling")
        # one cluster only; not deletable while associated
        with self.assertAwsError("InvalidParameterException", message="another cluster"):
            self.ecs.put_cluster_capacity_providers(cluster="other", capacityProviders=["cp"],
                                                    defaultCapacityProviderStrategy=[])
        # DeleteCapacityProvider answers, but the delete fails while the provider is associated
        out = self.ecs.delete_capacity_provider(capacityProvider="cp")["capacityProvider"]
        self.assertEqual((out["status"], out["updateStatus"]), ("ACTIVE", "DELETE_FAILED"))
        self.assertEqual(out["updateStatusReason"], "The capacity provider cannot be deleted because it is associated "
                         "with cluster: ecs. Remove the capacity provider from the cluster and try again.")
        # a service using it keeps it on the cluster
        self.register()
        self.ecs.create_service(cluster="ecs", serviceName="web", taskDefinition="web", desiredCount=0)
        with self.assertAwsError("ResourceInUseException", message="is in use and cannot be removed"):
            self.ecs.put_cluster_capacity_providers(cluster="ecs", capacityProviders=[],
                                                    defaultCapacityProviderStrategy=[])
        self.ecs.delete_service(cluster="ecs", service="web")
        self.advance(60)
        self.ecs.put_cluster_capacity_providers(cluster="ecs", capacityProviders=[],
                                                defaultCapacityProviderStrategy=[])
        self.assertEqual(self.asg.describe_policies(AutoScalingGroupName="asg")["ScalingPolicies"], [])
        out = self.ecs.delete_capacity_provider(capacityProvider="cp")["capacityProvider"]
        self.assertEqual(out["status"], "INACTIVE")
        self.assertEqual([p["name"] for p in self.ecs.describe_capacity_providers()["capacityProviders"]],
                         ["FARGATE", "FARGATE_SPOT"])
        with self.assertAwsError("ClientException", message="does not exist"):
            self.ecs.delete_capacity_provider(capacityProvider="cp")

    def test_tasks_only_on_the_providers_instances(self):
        self.world()
        self.group(desired=1, protect=False)
        self.group(name="other", desired=1, protect=False)
        self.provider(scaling={"status": "DISABLED"}, mtp="DISABLED")
        self.advance(120)
        self.ecs.put_cluster_capacity_providers(cluster="ecs", capacityProviders=["cp"],
                                                defaultCapacityProviderStrategy=[])
        self.register(cpu=256)
        mine = self.instances()[0]["InstanceId"]
        out = self.ecs.run_task(cluster="ecs", taskDefinition="web", count=4,
                                capacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
        self.assertEqual(len(out["tasks"]), 4)
        self.assertEqual({t["capacityProviderName"] for t in out["tasks"]}, {"cp"})
        self.assertEqual({t["launchType"] for t in out["tasks"]}, {"EC2"})
        arns = {t["containerInstanceArn"] for t in out["tasks"]}
        cis = self.ecs.describe_container_instances(cluster="ecs", containerInstances=list(arns))
        self.assertEqual({c["ec2InstanceId"] for c in cis["containerInstances"]}, {mine})
        self.assertEqual({c["capacityProviderName"] for c in cis["containerInstances"]}, {"cp"})
        # without managed scaling, no room is a failure
        out = self.ecs.run_task(cluster="ecs", taskDefinition="web", count=8,
                                capacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
        self.assertEqual(len(out["tasks"]), 3)  # 3992 MiB: room for 7 of 512
        self.assertTrue(out["failures"])

    # ---- managed scaling end to end ----------------------------------------------------------------

    def test_managed_scaling_end_to_end(self):
        self.world()
        self.group(mn=0, mx=4, desired=0)
        self.provider()
        self.ecs.put_cluster_capacity_providers(cluster="ecs", capacityProviders=["cp"],
                                                defaultCapacityProviderStrategy=[{"capacityProvider": "cp"}])
        self.register(cpu=1024)  # t3.medium: 2048 CPU, two tasks an instance
        self.ecs.create_service(cluster="ecs", serviceName="web", taskDefinition="web", desiredCount=4)
        self.advance(5)
        tasks = self.tasks(serviceName="web")
        self.assertEqual(len(tasks), 4)
        self.assertEqual({(t["lastStatus"], t["capacityProviderName"]) for t in tasks}, {("PROVISIONING", "cp")})
        self.advance(60)
        self.assertEqual(self.reservation()[-1], 200.0)
        # three minutes above 100: the group scales out; its instances join and run the tasks
        self.advance(600)
        self.assertGreaterEqual(len(self.instances()), 2)
        running = [t for t in self.tasks(serviceName="web") if t["lastStatus"] == "RUNNING"]
        self.assertEqual(len(running), 4)
        self.advance(300)
        self.assertEqual(self.reservation()[-1], 100.0)
        acts = [a["Cause"] for a in self.asg.describe_scaling_activities(AutoScalingGroupName="asg")["Activities"]]
        self.assertTrue(any(re.search(r"ECSManagedAutoScalingPolicy-", c) for c in acts), acts)
        # instances running tasks are protected from scale-in
        self.assertTrue(all(i["ProtectedFromScaleIn"] for i in self.instances()))
        # the service scales in: the metric falls, empty instances go, busy ones stay
        n = len(self.instances())
        self.ecs.update_service(cluster="ecs", service="web", desiredCount=1)
        self.advance(180)
        self.assertLess(self.reservation()[-1], 100.0)
        self.advance(1800)
        left = self.instances()
        self.assertLess(len(left), n)
        busy = {c["ec2InstanceId"] for c in self.ecs.describe_container_instances(
            cluster="ecs", containerInstances=[t["containerInstanceArn"] for t in self.tasks(serviceName="web")])[
            "containerInstances"]}
        self.assertTrue(busy <= {i["InstanceId"] for i in left})
        self.assertEqual(len([t for t in self.tasks(serviceName="web") if t["lastStatus"] == "RUNNING"]), 1)


if __name__ == "__main__":
    harness.main()
