"""ECS on EC2: container instances, EC2 launch type placement, draining and host loss.

EC2 instances launched with ECS_CLUSTER user data and an instance profile join
the cluster when they reach running (manual clock: nothing sleeps). boto3 for
most calls, the AWS CLI for a few.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
REGION = harness.REGION
ECS_AMI = "ami-0e8a4f2c6b1d3e5f7"  # al2023-ami-ecs-hvm x86_64 (fixtures/ec2_images.json)
ECS_AMI_ARM = "ami-0a2c4e6f8b1d3f5a7"  # al2023-ami-ecs-hvm arm64
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
RESERVED_PORTS = ["22", "2375", "2376", "51678", "51679"]


def user_data(cluster):
    return "#!/bin/bash\necho ECS_CLUSTER=%s >> /etc/ecs/ecs.config\n" % cluster


def resource(ci, name, kind="remainingResources"):
    res = [x for x in ci[kind] if x["name"] == name][0]
    return res["stringSetValue"] if res["type"] == "STRINGSET" else res["integerValue"]


def attribute(ci, name):
    return [a.get("value") for a in ci["attributes"] if a["name"] == name][0]


class EcsEc2Test(harness.ManualClockTest):
    def setUp(self):
        super().setUp()
        self.ecs = self.client("ecs")
        self.ec2 = self.client("ec2")



    # ---- the world ------------------------------------------------------------------------------

    def world(self, cluster="ecs"):
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (i + 1),
                                               AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                        for i, az in enumerate("ab")]
        self.vpc = vpc
        iam = self.client("iam")
        iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=EC2_TRUST)
        iam.create_instance_profile(InstanceProfileName="ecsInstanceProfile")
        iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceProfile", RoleName="ecsInstanceRole")
        if cluster:
            self.ecs.create_cluster(clusterName=cluster)

    def launch(self, cluster="ecs", itype="t3.medium", subnet=0, profile=True, data=True, ami=ECS_AMI):
        args = dict(ImageId=ami, InstanceType=itype, MinCount=1, MaxCount=1, SubnetId=self.subnets[subnet])
        if data:
            args["UserData"] = user_data(cluster) if data is True else data
        if profile:
            args["IamInstanceProfile"] = {"Name": "ecsInstanceProfile"}
        iid = self.ec2.run_instances(**args)["Instances"][0]["InstanceId"]
        self.advance(60)
        return iid

    def instances(self, cluster="ecs", **kw):
        arns = self.ecs.list_container_instances(cluster=cluster, **kw)["containerInstanceArns"]
        if not arns:
            return []
        return self.ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]

    def by_ec2(self, iid, cluster="ecs"):
        return [ci for ci in self.instances(cluster) if ci["ec2InstanceId"] == iid][0]

    def register(self, family="web", cpu=256, memory=512, port=80, host_port=0, mode="bridge", **kw):
        c = {"name": "web", "image": "nginx:1.25", "essential": True, "cpu": cpu, "memory": memory,
             "portMappings": [{"containerPort": port, "hostPort": host_port, "protocol": "tcp"}]}
        args = dict(family=family, networkMode=mode, requiresCompatibilities=["EC2"], containerDefinitions=[c])
        args.update(kw)
        return self.ecs.register_task_definition(**args)["taskDefinition"]

    def run_task(self, count=1, **kw):
        args = dict(cluster="ecs", taskDefinition="web", launchType="EC2", count=count)
        args.update(kw)
        return self.ecs.run_task(**args)

    def tasks(self, cluster="ecs", **kw):
        arns = self.ecs.list_tasks(cluster=cluster, **kw)["taskArns"]
        if not arns:
            return []
        return self.ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]

    # ---- the agent ------------------------------------------------------------------------------

    def test_agent_registers_container_instances(self):
        self.world()
        iid = self.launch(itype="t3.medium")
        ci = self.by_ec2(iid)
        self.assertRegex(ci["containerInstanceArn"],
                         r"^arn:aws:ecs:us-east-1:%s:container-instance/ecs/[0-9a-f]{32}$" % ACCOUNT)
        self.assertEqual(ci["status"], "ACTIVE")
        self.assertTrue(ci["agentConnected"])
        self.assertEqual(resource(ci, "CPU", "registeredResources"), 2048)
        self.assertEqual(resource(ci, "MEMORY", "registeredResources"), 4096 * 7985 // 8192)
        self.assertEqual(sorted(resource(ci, "PORTS", "registeredResources")), sorted(RESERVED_PORTS))
        self.assertEqual(resource(ci, "PORTS_UDP"), [])
        self.assertEqual(attribute(ci, "ecs.instance-type"), "t3.medium")
        self.assertEqual(attribute(ci, "ecs.availability-zone"), "us-east-1a")
        self.assertEqual(attribute(ci, "ecs.os-type"), "linux")
        self.assertEqual(attribute(ci, "ecs.ami-id"), ECS_AMI)
        self.assertEqual(attribute(ci, "ecs.cpu-architecture"), "x86_64")
        self.assertIn("agentVersion", ci["versionInfo"])
        self.assertEqual((ci["runningTasksCount"], ci["pendingTasksCount"]), (0, 0))
        cluster = self.ecs.describe_clusters(clusters=["ecs"])["clusters"][0]
        self.assertEqual(cluster["registeredContainerInstancesCount"], 1)
        # no instance profile: the agent has no credentials; an unknown cluster: it keeps retrying
        self.launch(profile=False)
        self.launch(cluster="nope")
        self.assertEqual(len(self.instances()), 1)
        # no ECS_CLUSTER line: the "default" cluster
        self.ecs.create_cluster(clusterName="default")
        other = self.launch(data="#!/bin/bash\nyum update -y\n", itype="t4g.small", subnet=1,
                            ami=ECS_AMI_ARM)
        ci = self.by_ec2(other, cluster="default")
        self.assertEqual(attribute(ci, "ecs.cpu-architecture"), "arm64")
        self.assertEqual(attribute(ci, "ecs.availability-zone"), "us-east-1b")
        # a cluster with container instances cannot be deleted
        with self.assertAwsError("ClusterContainsContainerInstancesException"):
            self.ecs.delete_cluster(cluster="ecs")
        out = self.ecs.describe_container_instances(cluster="ecs", containerInstances=["0" * 32])
        self.assertEqual(out["failures"][0]["reason"], "MISSING")
        # the CLI lists them too
        listed = self.aws("ecs", "list-container-instances", "--cluster", "ecs")
        self.assertEqual(len(listed["containerInstanceArns"]), 1)

    def test_register_container_instance_api(self):
        self.world()
        doc = json.dumps({"instanceId": "i-0123456789abcdef0", "availabilityZone": "us-east-1a",
                          "instanceType": "m5.large", "imageId": ECS_AMI, "region": REGION})
        ci = self.ecs.register_container_instance(
            cluster="ecs", instanceIdentityDocument=doc,
            totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                            {"name": "MEMORY", "type": "INTEGER", "integerValue": 7680}],
            attributes=[{"name": "stack", "value": "blue"}])["containerInstance"]
        self.assertEqual(ci["ec2InstanceId"], "i-0123456789abcdef0")
        self.assertEqual(resource(ci, "MEMORY"), 7680)
        self.assertEqual(attribute(ci, "stack"), "blue")
        self.register()
        out = self.run_task()
        self.assertEqual(out["failures"], [])
        task = out["tasks"][0]
        self.assertEqual(task["containerInstanceArn"], ci["containerInstanceArn"])
        self.assertEqual(task["launchType"], "EC2")

    # ---- placement ------------------------------------------------------------------------------

    def test_run_task_resources_and_release(self):
        self.world()
        self.register()
        self.assertEqual(self.run_task()["failures"],
                         [{"reason": "No Container Instances were found in your cluster."}])
        iid = self.launch(itype="t3.medium")  # 2048 CPU, 3992 MiB
        big = self.register(family="big", cpu=512, memory=1500)
        out = self.run_task(count=3, taskDefinition=big["taskDefinitionArn"])
        self.assertEqual(len(out["tasks"]), 2)
        self.assertEqual(out["failures"][0]["reason"], "RESOURCE:MEMORY")
        self.assertIn(":container-instance/ecs/", out["failures"][0]["arn"])
        ci = self.by_ec2(iid)
        self.assertEqual(resource(ci, "CPU"), 2048 - 1024)
        self.assertEqual(resource(ci, "MEMORY"), 3992 - 3000)
        self.assertEqual(ci["pendingTasksCount"], 2)
        self.advance(5)
        ci = self.by_ec2(iid)
        self.assertEqual((ci["runningTasksCount"], ci["pendingTasksCount"]), (2, 0))
        hog = self.register(family="cpu", cpu=2048, memory=16)
        out = self.run_task(taskDefinition=hog["taskDefinitionArn"])
        self.assertEqual(out["failures"][0]["reason"], "RESOURCE:CPU")
        # containerInstance filter of ListTasks, and DescribeTasks' containerInstanceArn
        mine = self.ecs.list_tasks(cluster="ecs", containerInstance=ci["containerInstanceArn"])["taskArns"]
        self.assertEqual(len(mine), 2)
        by_id = self.ecs.list_tasks(cluster="ecs", containerInstance=ci["containerInstanceArn"].split("/")[-1])
        self.assertEqual(len(by_id["taskArns"]), 2)
        # stopping gives the resources back
        for arn in mine:
            self.ecs.stop_task(cluster="ecs", task=arn)
        self.advance(5)
        ci = self.by_ec2(iid)
        self.assertEqual((resource(ci, "CPU"), resource(ci, "MEMORY")), (2048, 3992))
        self.assertEqual(len(self.run_task(taskDefinition=hog["taskDefinitionArn"])["tasks"]), 1)

    def test_host_ports(self):
        self.world()
        iid = self.launch()
        self.register(family="dyn", host_port=0)
        tasks = self.run_task(count=2, taskDefinition="dyn")["tasks"]
        ports = sorted(t["containers"][0]["networkBindings"][0]["hostPort"] for t in tasks)
        self.assertEqual(ports, [32768, 32769])
        b = tasks[0]["containers"][0]["networkBindings"][0]
        self.assertEqual((b["bindIP"], b["containerPort"], b["protocol"]), ("0.0.0.0", 80, "tcp"))
        self.register(family="static", host_port=8080)
        self.assertEqual(len(self.run_task(taskDefinition="static")["tasks"]), 1)
        self.assertIn("8080", resource(self.by_ec2(iid), "PORTS"))
        out = self.run_task(taskDefinition="static")
        self.assertEqual(out["failures"][0]["reason"], "RESOURCE:PORTS")
        # a reserved port of the agent is never free
        self.register(family="ssh", port=22, host_port=22)
        self.assertEqual(self.run_task(taskDefinition="ssh")["failures"][0]["reason"], "RESOURCE:PORTS")
        # host mode binds the container port itself
        self.register(family="host", port=9000, host_port=9000, mode="host")
        task = self.run_task(taskDefinition="host")["tasks"][0]
        self.assertEqual(task["containers"][0]["networkBindings"][0]["hostPort"], 9000)

    def test_strategies_and_constraints(self):
        self.world()
        a = self.launch(itype="t3.medium", subnet=0)
        b = self.launch(itype="t3.large", subnet=1)
        ca, cb = self.by_ec2(a), self.by_ec2(b)
        self.register()
        # binpack on memory: the instance with the least memory left, while it fits
        out = self.run_task(count=3, placementStrategy=[{"type": "binpack", "field": "memory"}])
        self.assertEqual({t["containerInstanceArn"] for t in out["tasks"]}, {ca["containerInstanceArn"]})
        # spread over instances: the emptier one first
        out = self.run_task(count=2, placementStrategy=[{"type": "spread", "field": "instanceId"}])
        self.assertEqual([t["containerInstanceArn"] for t in out["tasks"]], [cb["containerInstanceArn"]] * 2)
        out = self.run_task(placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}])
        self.assertEqual(out["tasks"][0]["availabilityZone"], "us-east-1b")  # 3 tasks in a, 2 in b
        # memberOf on a built-in attribute, then on a custom one
        out = self.run_task(count=2, placementConstraints=[
            {"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t3.large*"}])
        self.assertEqual({t["containerInstanceArn"] for t in out["tasks"]}, {cb["containerInstanceArn"]})
        out = self.run_task(placementConstraints=[{"type": "memberOf", "expression": "attribute:stack == blue"}])
        self.assertEqual(out["tasks"], [])
        self.assertEqual({f["reason"] for f in out["failures"]}, {"MemberOf placement constraint unsatisfied."})
        self.ecs.put_attributes(cluster="ecs", attributes=[
            {"name": "stack", "value": "blue", "targetType": "container-instance",
             "targetId": ca["containerInstanceArn"]}])
        listed = self.ecs.list_attributes(cluster="ecs", targetType="container-instance", attributeName="stack")
        self.assertEqual([(x["value"], x["targetId"]) for x in listed["attributes"]],
                         [("blue", ca["containerInstanceArn"])])
        out = self.run_task(placementConstraints=[{"type": "memberOf", "expression": "attribute:stack == blue"}])
        self.assertEqual(out["tasks"][0]["containerInstanceArn"], ca["containerInstanceArn"])
        filtered = self.ecs.list_container_instances(cluster="ecs", filter="attribute:stack == blue")
        self.assertEqual(filtered["containerInstanceArns"], [ca["containerInstanceArn"]])
        self.ecs.delete_attributes(cluster="ecs", attributes=[
            {"name": "stack", "targetType": "container-instance", "targetId": ca["containerInstanceArn"]}])
        self.assertEqual(self.ecs.list_attributes(cluster="ecs", targetType="container-instance",
                                                  attributeName="stack")["attributes"], [])
        # distinctInstance: one task of the group per instance
        self.register(family="solo")
        out = self.run_task(count=3, taskDefinition="solo", placementConstraints=[{"type": "distinctInstance"}])
        self.assertEqual(len({t["containerInstanceArn"] for t in out["tasks"]}), 2)
        self.assertEqual(len(out["tasks"]), 2)
        self.assertIn("DistinctInstance placement constraint unsatisfied.", {f["reason"] for f in out["failures"]})

    def test_cluster_reservation_metrics(self):
        self.world()
        self.launch(itype="t3.large")  # 2048 CPU, 7985 MiB
        self.register(cpu=512, memory=1000)
        self.run_task(count=2)
        since = self.emulator.admin("GET", "/_drydock/clock")["now_ms"] // 1000
        self.advance(180)
        cw = self.client("cloudwatch")

        def points(metric):
            out = cw.get_metric_statistics(Namespace="AWS/ECS", MetricName=metric, StartTime=since - 600,
                                           EndTime=since + 3600, Period=60, Statistics=["Average"],
                                           Dimensions=[{"Name": "ClusterName", "Value": "ecs"}])
            return [round(p["Average"], 2) for p in sorted(out["Datapoints"], key=lambda p: p["Timestamp"])]
        # the last minutes have both tasks reserved (the first one may have had none yet)
        self.assertEqual(points("CPUReservation")[-2:], [50.0, 50.0])
        self.assertEqual(points("MemoryReservation")[-1], round(100 * 2000 / 7985, 2))

    # ---- services ---------------------------------------------------------------------------------

    def service_tasks(self):
        self.advance(10)
        return [t for t in self.tasks(serviceName="web") if t["lastStatus"] == "RUNNING"]

    def test_service_drain_and_host_loss(self):
        self.world()
        a = self.launch(subnet=0)
        b = self.launch(subnet=1)
        ca, cb = self.by_ec2(a), self.by_ec2(b)
        self.register()
        self.ecs.create_service(cluster="ecs", serviceName="web", taskDefinition="web", desiredCount=4,
                                launchType="EC2")
        tasks = self.service_tasks()
        self.assertEqual(len(tasks), 4)
        per = [t["containerInstanceArn"] for t in tasks]
        self.assertEqual(sorted(per.count(x) for x in set(per)), [2, 2])
        # draining A: its service tasks move to B, nothing new lands on A
        out = self.ecs.update_container_instances_state(cluster="ecs", containerInstances=[ca["containerInstanceArn"]],
                                                        status="DRAINING")
        self.assertEqual(out["containerInstances"][0]["status"], "DRAINING")
        tasks = self.service_tasks()
        self.assertEqual(len(tasks), 4)
        self.assertEqual({t["containerInstanceArn"] for t in tasks}, {cb["containerInstanceArn"]})
        self.assertEqual(self.by_ec2(a)["runningTasksCount"], 0)
        draining = self.ecs.list_container_instances(cluster="ecs", status="DRAINING")["containerInstanceArns"]
        self.assertEqual(draining, [ca["containerInstanceArn"]])
        self.ecs.update_container_instances_state(cluster="ecs", containerInstances=[ca["containerInstanceArn"]],
                                                  status="ACTIVE")
        # B terminates: its tasks stop with the host, the service starts them on A
        self.ec2.terminate_instances(InstanceIds=[b])
        self.advance(10)
        stopped = self.tasks(serviceName="web", desiredStatus="STOPPED")
        self.assertTrue(stopped)
        self.assertIn("Host EC2 (instance %s) stopped/terminated." % b, {t["stoppedReason"] for t in stopped})
        tasks = self.service_tasks()
        self.assertEqual(len(tasks), 4)
        self.assertEqual({t["containerInstanceArn"] for t in tasks}, {ca["containerInstanceArn"]})
        inactive = self.ecs.describe_container_instances(cluster="ecs", containerInstances=[cb["containerInstanceArn"]])
        self.assertEqual(inactive["containerInstances"][0]["status"], "INACTIVE")
        self.assertEqual(len(self.instances()), 1)

    def test_service_waits_for_capacity(self):
        self.world()
        self.register(cpu=1024, memory=1024)
        self.ecs.create_service(cluster="ecs", serviceName="web", taskDefinition="web", desiredCount=3,
                                launchType="EC2")
        self.advance(5)
        events = [e["message"] for e in self.ecs.describe_services(cluster="ecs", services=["web"])
                  ["services"][0]["events"]]
        self.assertIn("No Container Instances were found in your cluster.", events[0])
        iid = self.launch()  # 2048 CPU: room for 2 of the 3
        self.assertEqual(len(self.service_tasks()), 2)
        svc = self.ecs.describe_services(cluster="ecs", services=["web"])["services"][0]
        ci = self.by_ec2(iid)
        words = ("(service web) was unable to place a task because no container instance met all of its "
                 "requirements. The closest matching (container-instance %s) has insufficient CPU units available."
                 % ci["containerInstanceArn"].split("/")[-1])
        self.assertTrue(any(e["message"].startswith(words) for e in svc["events"]), svc["events"])
        self.launch(subnet=1)
        self.assertEqual(len(self.service_tasks()), 3)

    def test_service_behind_alb_instance_targets(self):
        self.world()
        sg = self.ec2.create_security_group(VpcId=self.vpc, GroupName="alb", Description="alb")["GroupId"]
        a = self.launch(subnet=0)
        b = self.launch(subnet=1)
        elb = self.client("elbv2")
        lb = elb.create_load_balancer(Name="web", Subnets=self.subnets, SecurityGroups=[sg])["LoadBalancers"][0]
        tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=self.vpc, TargetType="instance",
                                     HealthCheckPath="/")["TargetGroups"][0]["TargetGroupArn"]
        ip_tg = elb.create_target_group(Name="ips", Protocol="HTTP", Port=80, VpcId=self.vpc, TargetType="ip",
                                        HealthCheckPath="/")["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        self.register()
        with self.assertAwsError("InvalidParameterException", message="has target type ip, which is incompatible"):
            self.ecs.create_service(cluster="ecs", serviceName="web", taskDefinition="web", desiredCount=2,
                                    launchType="EC2", loadBalancers=[
                                        {"targetGroupArn": ip_tg, "containerName": "web", "containerPort": 80}])
        strategy = [{"type": "spread", "field": "attribute:ecs.availability-zone"},
                    {"type": "binpack", "field": "memory"}]
        svc = self.ecs.create_service(cluster="ecs", serviceName="web", taskDefinition="web", desiredCount=2,
                                      launchType="EC2", placementStrategy=strategy, loadBalancers=[
                                          {"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
        self.assertEqual((svc["service"]["launchType"], svc["service"]["placementStrategy"]), ("EC2", strategy))
        self.advance(120)
        self.assertEqual({t["availabilityZone"] for t in self.tasks(serviceName="web")}, {"us-east-1a", "us-east-1b"})
        health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        targets = sorted((t["Target"]["Id"], t["Target"]["Port"]) for t in health)
        bindings = sorted((self.by_ec2(a if t["containerInstanceArn"] == self.by_ec2(a)["containerInstanceArn"]
                                       else b)["ec2InstanceId"],
                           t["containers"][0]["networkBindings"][0]["hostPort"]) for t in self.tasks(serviceName="web"))
        self.assertEqual(targets, bindings)
        self.assertEqual({t["TargetHealth"]["State"] for t in health}, {"healthy"})
        svc = self.ecs.describe_services(cluster="ecs", services=["web"])["services"][0]
        self.assertEqual(svc["events"][0]["message"], "(service web) has reached a steady state.")

    def test_awsvpc_task_on_ec2(self):
        self.world()
        iid = self.launch(subnet=1)
        self.register(family="vpc", mode="awsvpc", host_port=80)
        task = self.run_task(taskDefinition="vpc", networkConfiguration={"awsvpcConfiguration": {
            "subnets": self.subnets}})["tasks"][0]
        self.advance(5)
        task = self.ecs.describe_tasks(cluster="ecs", tasks=[task["taskArn"]])["tasks"][0]
        self.assertEqual(task["lastStatus"], "RUNNING")
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        self.assertEqual(details["subnetId"], self.subnets[1])  # the instance's own subnet
        self.assertEqual(task["containers"][0]["networkBindings"], [])
        self.assertEqual(task["containerInstanceArn"], self.by_ec2(iid)["containerInstanceArn"])

    # ---- API rules ----------------------------------------------------------------------------------

    def test_start_task_on_named_instances(self):
        self.world()
        a = self.by_ec2(self.launch(subnet=0))
        b = self.by_ec2(self.launch(subnet=1))
        self.register(cpu=1024, memory=512)
        out = self.ecs.start_task(cluster="ecs", taskDefinition="web",
                                  containerInstances=[a["containerInstanceArn"],
                                                      b["containerInstanceArn"].split("/")[-1]])
        self.assertEqual(sorted(t["containerInstanceArn"] for t in out["tasks"]),
                         sorted([a["containerInstanceArn"], b["containerInstanceArn"]]))
        self.assertEqual({t["launchType"] for t in out["tasks"]}, {"EC2"})
        out = self.ecs.start_task(cluster="ecs", taskDefinition="web",
                                  containerInstances=[a["containerInstanceArn"], a["containerInstanceArn"],
                                                      "0" * 32])
        self.assertEqual(len(out["tasks"]), 1)
        self.assertEqual([f["reason"] for f in out["failures"]], ["RESOURCE:CPU", "MISSING"])

    def test_deregister_and_validation(self):
        self.world()
        iid = self.launch()
        ci = self.by_ec2(iid)
        self.register()
        self.run_task()
        with self.assertAwsError("InvalidParameterException", message="Use force"):
            self.ecs.deregister_container_instance(cluster="ecs", containerInstance=ci["containerInstanceArn"])
        with self.assertAwsError("InvalidParameterException"):
            self.ecs.update_container_instances_state(cluster="ecs", containerInstances=[ci["containerInstanceArn"]],
                                                      status="REGISTERING")
        with self.assertAwsError("InvalidParameterException"):
            self.aws("ecs", "deregister-container-instance", "--cluster", "ecs", "--container-instance", "0" * 32)
        out = self.ecs.deregister_container_instance(cluster="ecs", containerInstance=ci["containerInstanceArn"],
                                                     force=True)
        self.assertEqual(out["containerInstance"]["status"], "INACTIVE")
        self.assertEqual(self.instances(), [])
        self.assertEqual(self.ecs.describe_clusters(clusters=["ecs"])["clusters"][0]
                         ["registeredContainerInstancesCount"], 0)

    def test_stopped_instance_disconnects_agent(self):
        self.world()
        iid = self.launch()
        self.register()
        task = self.run_task()["tasks"][0]
        self.advance(5)
        self.ec2.stop_instances(InstanceIds=[iid])
        self.advance(60)
        ci = self.by_ec2(iid)
        self.assertFalse(ci["agentConnected"])
        self.assertEqual(ci["status"], "ACTIVE")
        stopped = self.ecs.describe_tasks(cluster="ecs", tasks=[task["taskArn"]])["tasks"][0]
        self.assertEqual(stopped["lastStatus"], "STOPPED")
        self.assertEqual(stopped["stoppedReason"], "Host EC2 (instance %s) stopped/terminated." % iid)
        self.assertEqual(self.run_task()["failures"][0]["reason"], "AGENT")
        self.ec2.start_instances(InstanceIds=[iid])
        self.advance(60)
        self.assertTrue(self.by_ec2(iid)["agentConnected"])
        self.assertEqual(len(self.run_task()["tasks"]), 1)


if __name__ == "__main__":
    harness.main()
