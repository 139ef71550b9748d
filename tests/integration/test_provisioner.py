"""The provisioner: `drydock validate|plan|apply|destroy|outputs|state list|graph` on tests/templates/,
against a running emulator (--endpoint), checked with the AWS CLI and boto3; and the embedded mode."""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SRC = os.environ.get("DRYDOCK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
NETWORK = os.path.join(SRC, "tests", "templates", "network.yaml")
INVALID = os.path.join(SRC, "tests", "templates", "invalid.yaml")
FARGATE_WEB = os.path.join(SRC, "tests", "templates", "fargate-web.yaml")
ALARM = os.path.join(SRC, "tests", "templates", "alarm.yaml")


def drydock(*args, cwd=None, env=None):
    e = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    e.update(env or {})
    return subprocess.run([harness.DRYDOCK] + list(args), capture_output=True, text=True, cwd=cwd, env=e,
                          timeout=300)


class StackTest(harness.EmulatorTest):
    """Runs drydock in a fresh directory (its state) against the class's emulator."""

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="drydock-prov-")

    def run_dd(self, *args, rc=0, template=None):
        p = drydock(*args, cwd=self.dir)
        self.assertEqual(p.returncode, rc, "drydock %s:\n%s\n%s" % (" ".join(args), p.stdout, p.stderr))
        return p


class ProvisionerTest(StackTest):
    def apply(self, template=NETWORK, *extra):
        return self.run_dd("apply", template, "--stack", "net", "--endpoint", self.endpoint, *extra)

    def plan(self, template=NETWORK, *extra):
        return self.run_dd("plan", template, "--stack", "net", "--endpoint", self.endpoint, *extra).stdout

    def vpcs(self):
        return self.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["net-vpc"]}])["Vpcs"]

    def test_apply_replan_update_replace_destroy(self):
        out = self.apply().stdout
        self.assertIn("Apply complete: 24 added, 0 changed, 0 replaced, 0 deleted", out)
        self.assertRegex(out, r"\+ Vpc \(AWS::EC2::VPC\): created vpc-[0-9a-f]+ \(\d+\.\d+s\)")
        self.assertIn("NatGateway (nat-", out)  # waited for available
        # The resources, as the real AWS CLI sees them.
        vpc = self.vpcs()[0]
        self.assertEqual(vpc["CidrBlock"], "10.0.0.0/16")
        subnets = self.aws("ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=" + vpc["VpcId"])["Subnets"]
        self.assertEqual(sorted(s["CidrBlock"] for s in subnets),
                         ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"])
        self.assertEqual(len({s["AvailabilityZone"] for s in subnets}), 2)
        nat = self.client("ec2").describe_nat_gateways()["NatGateways"][0]
        self.assertEqual(nat["State"], "available")
        sgs = self.client("ec2").describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]
        alb = [g for g in sgs if g["Description"] == "ALB ingress from the internet"][0]
        app = [g for g in sgs if g["Description"].startswith("App tasks")][0]
        self.assertEqual(alb["IpPermissions"][0]["FromPort"], 80)
        self.assertEqual(app["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"], alb["GroupId"])
        roles = [r for r in self.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("net-ExecutionRole-")]
        self.assertEqual(len(roles), 1)
        attached = self.client("iam").list_attached_role_policies(RoleName=roles[0]["RoleName"])["AttachedPolicies"]
        self.assertEqual(len(attached), 1)
        self.assertEqual(self.client("iam").list_role_policies(RoleName=roles[0]["RoleName"])["PolicyNames"],
                         ["read-secrets"])
        group = self.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/net")["logGroups"][0]
        self.assertEqual(group["retentionInDays"], 7)
        self.assertEqual(self.client("ssm").get_parameter(Name="/net/env")["Parameter"]["Value"], "development")
        self.assertIn("VpcId = " + vpc["VpcId"] + "  (export net-VpcId)", out)

        # Re-apply: nothing to do, no writes.
        self.assertIn("No changes. 0 to add, 0 to change, 0 to replace, 0 to delete.", self.plan())
        out = self.apply().stdout
        self.assertIn("0 added, 0 changed, 0 replaced, 0 deleted", out)
        self.assertIn(" 0 writes)", out)

        # In-place updates.
        plan = self.plan(NETWORK, "--param", "Retention=14", "--param", "Env=prod")
        self.assertIn("~ AppLogGroup (AWS::Logs::LogGroup)", plan)
        self.assertIn("~ RetentionInDays: \"7\" -> \"14\"", plan)
        self.assertIn("Plan: 0 to add, 2 to change, 0 to replace, 0 to delete.", plan)
        self.apply(NETWORK, "--param", "Retention=14", "--param", "Env=prod")
        self.assertEqual(self.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/net")["logGroups"][0]
                         ["retentionInDays"], 14)
        self.assertEqual(self.client("ssm").get_parameter(Name="/net/env")["Parameter"]["Value"], "production")

        # A replacement-only property: the subnet is replaced, its association follows.
        with open(NETWORK) as f:
            changed = f.read().replace("CidrBlock: 10.0.3.0/24", "CidrBlock: 10.0.5.0/24")
        path = os.path.join(self.dir, "network.yaml")
        with open(path, "w") as f:
            f.write(changed)
        plan = self.plan(path, "--param", "Retention=14", "--param", "Env=prod")
        self.assertIn("-/+ PrivateSubnetB (AWS::EC2::Subnet) replace because of: CidrBlock", plan)
        self.assertIn("-/+ PrivateAssocB (AWS::EC2::SubnetRouteTableAssociation)", plan)
        self.assertIn("Plan: 0 to add, 0 to change, 2 to replace, 0 to delete.", plan)
        self.apply(path, "--param", "Retention=14", "--param", "Env=prod")
        cidrs = sorted(s["CidrBlock"] for s in self.aws("ec2", "describe-subnets", "--filters",
                                                          "Name=vpc-id,Values=" + vpc["VpcId"])["Subnets"])
        self.assertEqual(cidrs, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.5.0/24"])

        # outputs and state list
        out = self.run_dd("outputs", "--stack", "net").stdout
        self.assertIn("VpcId = " + vpc["VpcId"], out)
        listed = self.run_dd("state", "list", "--stack", "net").stdout
        self.assertEqual(len(listed.strip().splitlines()), 24)

        # destroy: dependents first, nothing left
        out = self.run_dd("destroy", "--stack", "net", "--endpoint", self.endpoint).stdout
        self.assertIn("24 deleted", out)
        lines = [l for l in out.splitlines() if l.endswith(")") and ": deleted" in l]
        order = [re.search(r"- (\w+)", l).group(1) for l in lines]
        self.assertLess(order.index("PrivateRoute"), order.index("NatGateway"))
        self.assertLess(order.index("NatGateway"), order.index("PublicSubnetA"))
        self.assertLess(order.index("PublicSubnetA"), order.index("Vpc"))
        self.assertEqual(self.vpcs(), [])
        self.assertEqual(self.client("ec2").describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"], [])
        self.assertEqual([r for r in self.client("iam").list_roles()["Roles"]
                          if r["RoleName"].startswith("net-")], [])
        self.assertEqual(self.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/net")["logGroups"], [])
        with self.assertAwsError("ParameterNotFound"):
            self.client("ssm").get_parameter(Name="/net/env")
        self.assertEqual(self.run_dd("state", "list", "--stack", "net").stdout, "")

    def test_failed_apply_records_what_exists(self):
        bad = os.path.join(self.dir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("Resources:\n  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
                    "  Sub: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 192.168.0.0/24}}\n")
        p = self.run_dd("apply", bad, "--endpoint", self.endpoint, rc=1)
        self.assertIn("x Sub (AWS::EC2::Subnet): failed", p.stdout)
        self.assertIn("Apply FAILED", p.stdout)
        listed = self.run_dd("state", "list", "--stack", "bad").stdout
        self.assertIn("Vpc", listed)
        self.assertNotIn("Sub", listed)
        with open(bad, "w") as f:
            f.write("Resources:\n  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
                    "  Sub: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24}}\n")
        out = self.run_dd("apply", bad, "--endpoint", self.endpoint).stdout
        self.assertIn("1 added", out)
        self.run_dd("destroy", "--stack", "bad", "--endpoint", self.endpoint)

    def test_validate(self):
        p = self.run_dd("validate", NETWORK)
        self.assertIn("valid (24 resources", p.stdout)
        p = self.run_dd("validate", INVALID, rc=1)
        self.assertIn("Fn: unsupported resource type AWS::Lambda::Function", p.stderr)
        self.assertIn("A: circular dependency", p.stderr)
        self.assertIn("B: circular dependency", p.stderr)
        self.assertIn("Fn: refers to Missing", p.stderr)
        self.assertIn("Sg: AWS::EC2::SecurityGroup requires the property GroupDescription", p.stderr)
        p = self.run_dd("plan", INVALID, "--endpoint", self.endpoint, rc=1)
        self.assertIn("unsupported resource type", p.stderr)
        p = self.run_dd("plan", NETWORK, "--endpoint", self.endpoint, "--param", "Env=qa", rc=1)
        self.assertIn("Parameter 'Env' must be one of AllowedValues", p.stderr)

    def test_graph(self):
        out = self.run_dd("graph", NETWORK).stdout
        self.assertTrue(out.startswith('digraph "network" {'))
        self.assertIn('"PublicSubnetA" -> "Vpc";', out)
        self.assertIn('"PublicRoute" -> "IgwAttachment";', out)

    def test_usage_errors(self):
        self.run_dd("apply", rc=2)
        self.run_dd("plan", NETWORK, "--bogus", rc=2)
        self.run_dd("state", "show", rc=2)
        self.run_dd("apply", NETWORK, "--param", "novalue", rc=2)
        self.run_dd("apply", NETWORK, "--endpoint", "localhost:1", rc=2)
        self.run_dd("nonsense", rc=2)

    def test_alarm_update_in_place_and_replace(self):
        def apply(*params):
            args = []
            for p in params:
                args += ["--param", p]
            return self.run_dd("apply", ALARM, "--stack", "alarm", "--endpoint", self.endpoint, *args).stdout

        cw = self.client("cloudwatch")
        out = apply("Owner=ops")
        self.assertIn("Apply complete: 1 added", out)
        alarm = cw.describe_alarms(AlarmNames=["queue-depth-high"])["MetricAlarms"][0]
        self.assertEqual((alarm["Threshold"], alarm["DatapointsToAlarm"], alarm["TreatMissingData"]),
                         (80.0, 2, "notBreaching"))
        self.assertEqual(alarm["Dimensions"], [{"Name": "Queue", "Value": "jobs"}])
        outs = self.run_dd("outputs", ALARM, "--stack", "alarm", "--endpoint", self.endpoint).stdout
        self.assertIn(alarm["AlarmArn"], outs)
        self.assertEqual(cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"],
                         [{"Key": "team", "Value": "web"}, {"Key": "owner", "Value": "ops"}])
        # threshold and tags change in place: same alarm, new configuration, "owner" untagged
        out = apply("Threshold=120", "Team=platform")
        self.assertIn("1 changed, 0 replaced", out)
        again = cw.describe_alarms(AlarmNames=["queue-depth-high"])["MetricAlarms"][0]
        self.assertEqual(again["Threshold"], 120.0)
        self.assertEqual(cw.list_tags_for_resource(ResourceARN=again["AlarmArn"])["Tags"],
                         [{"Key": "team", "Value": "platform"}])
        # a new name replaces it
        out = apply("Threshold=120", "Team=platform", "AlarmName=queue-depth-critical")
        self.assertIn("0 changed, 1 replaced", out)
        names = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="queue-depth")["MetricAlarms"]]
        self.assertEqual(names, ["queue-depth-critical"])
        self.run_dd("destroy", ALARM, "--stack", "alarm", "--endpoint", self.endpoint)
        self.assertEqual(cw.describe_alarms(AlarmNamePrefix="queue-depth")["MetricAlarms"], [])


class FargateWebTest(StackTest):
    """The issue's full stack: VPC, NAT, SG chain, ALB with an IP target group, ECS Fargate service behind it."""

    def web(self, verb, template=FARGATE_WEB, *extra):
        return self.run_dd(verb, template, "--stack", "web", "--endpoint", self.endpoint, *extra).stdout

    def outputs(self):
        out = self.run_dd("outputs", "--stack", "web").stdout
        return dict(line.split(" = ", 1) for line in out.strip().splitlines())

    def service(self, outs):
        ecs = self.client("ecs")
        return ecs.describe_services(cluster=outs["ClusterArn"], services=[outs["ServiceName"]])["services"][0]

    def assert_steady(self, svc, desired=2):
        self.assertEqual(svc["status"], "ACTIVE")
        self.assertEqual(svc["runningCount"], desired)
        self.assertEqual(len(svc["deployments"]), 1, svc["deployments"])
        self.assertEqual(svc["deployments"][0]["status"], "PRIMARY")
        self.assertEqual(svc["deployments"][0]["rolloutState"], "COMPLETED")

    def assert_healthy(self, tg_arn, count=2):
        health = self.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        self.assertEqual([h["TargetHealth"]["State"] for h in health], ["healthy"] * count, health)
        self.assertEqual({h["Target"]["Port"] for h in health}, {8000})

    def test_fargate_web_lifecycle(self):
        self.assertIn("valid (30 resources, 5 parameters, 7 outputs)", self.run_dd("validate", FARGATE_WEB).stdout)
        self.assertIn("Plan: 30 to add, 0 to change, 0 to replace, 0 to delete.", self.web("plan"))

        # apply: the service reaches a steady state behind a healthy target group
        out = self.web("apply")
        self.assertIn("Apply complete: 30 added, 0 changed, 0 replaced, 0 deleted", out)
        self.assertIn("LoadBalancer (arn:aws:elasticloadbalancing:", out)  # waited for active
        self.assertRegex(out, r"\+ Service \(AWS::ECS::Service\): created arn:aws:ecs:[^ ]+ \(\d+\.\d+s\)")
        outs = self.outputs()
        elbv2 = self.client("elbv2")
        lb = elbv2.describe_load_balancers()["LoadBalancers"][0]
        self.assertEqual(outs["LoadBalancerDns"], lb["DNSName"])
        self.assertEqual((lb["Scheme"], lb["Type"], lb["State"]["Code"]), ("internet-facing", "application", "active"))
        self.assertEqual(len(lb["AvailabilityZones"]), 2)
        tg = elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"][0]
        self.assertEqual((tg["TargetType"], tg["Port"], tg["HealthCheckPath"]), ("ip", 8000, "/health"))
        self.assertEqual(tg["TargetGroupName"], outs["TargetGroupName"])
        listener = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
        self.assertEqual(listener["Port"], 80)
        self.assertEqual(listener["DefaultActions"][0]["TargetGroupArn"], tg["TargetGroupArn"])
        svc = self.service(outs)
        self.assert_steady(svc)
        self.assertEqual(svc["launchType"], "FARGATE")
        self.assertEqual(svc["loadBalancers"][0]["targetGroupArn"], tg["TargetGroupArn"])
        self.assert_healthy(tg["TargetGroupArn"])
        ecs = self.client("ecs")
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        self.assertEqual((td["cpu"], td["memory"], td["networkMode"]), ("256", "512", "awsvpc"))
        container = td["containerDefinitions"][0]
        self.assertEqual(container["image"], "public.ecr.aws/docker/library/python:3.12-slim")
        self.assertEqual(container["secrets"][0]["name"], "SECRET_KEY")
        self.assertEqual(container["logConfiguration"]["options"]["awslogs-group"], "/ecs/web")
        cluster = ecs.describe_clusters(clusters=[outs["ClusterArn"]])["clusters"][0]
        self.assertEqual(sorted(cluster["capacityProviders"]), ["FARGATE", "FARGATE_SPOT"])

        # re-apply: nothing to do, no writes
        self.assertIn("No changes.", self.web("plan"))
        out = self.web("apply")
        self.assertIn("0 added, 0 changed, 0 replaced, 0 deleted", out)
        self.assertIn(" 0 writes)", out)

        # a new image: a new task definition revision, the service rolls to it in place
        image = ["--param", "Image=public.ecr.aws/docker/library/python:3.13-slim"]
        plan = self.web("plan", FARGATE_WEB, *image)
        self.assertIn("-/+ TaskDefinition (AWS::ECS::TaskDefinition) replace because of: ContainerDefinitions", plan)
        self.assertIn("~ Service (AWS::ECS::Service)", plan)
        out = self.web("apply", FARGATE_WEB, *image)
        self.assertIn("0 added, 1 changed, 1 replaced, 1 deleted", out)
        rolled = self.service(outs)
        self.assertNotEqual(rolled["taskDefinition"], svc["taskDefinition"])
        self.assertTrue(rolled["taskDefinition"].endswith(":2"), rolled["taskDefinition"])
        self.assert_steady(rolled)
        td = ecs.describe_task_definition(taskDefinition=rolled["taskDefinition"])["taskDefinition"]
        self.assertEqual(td["containerDefinitions"][0]["image"], "public.ecr.aws/docker/library/python:3.13-slim")
        old = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        self.assertEqual(old["status"], "INACTIVE")
        self.assert_healthy(tg["TargetGroupArn"])

        # a replacement-only property: the target group's port; the listener and the service follow in place
        with open(FARGATE_WEB) as f:
            text = f.read()
        self.assertIn("      Port: !Ref ContainerPort\n      VpcId", text)
        path = os.path.join(self.dir, "fargate-web.yaml")
        with open(path, "w") as f:
            f.write(text.replace("      Port: !Ref ContainerPort\n      VpcId", "      Port: 8080\n      VpcId"))
        plan = self.web("plan", path, *image)
        self.assertIn("-/+ TargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup) replace because of: Port", plan)
        self.assertIn("~ HttpListener (AWS::ElasticLoadBalancingV2::Listener)", plan)
        self.assertIn("Plan: 0 to add, 2 to change, 1 to replace, 0 to delete.", plan)
        out = self.web("apply", path, *image)
        self.assertIn("0 added, 2 changed, 1 replaced, 1 deleted", out)
        groups = elbv2.describe_target_groups()["TargetGroups"]
        self.assertEqual(len(groups), 1)
        new_tg = groups[0]
        self.assertNotEqual(new_tg["TargetGroupArn"], tg["TargetGroupArn"])
        self.assertEqual(new_tg["Port"], 8080)
        listener = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
        self.assertEqual(listener["DefaultActions"][0]["TargetGroupArn"], new_tg["TargetGroupArn"])
        moved = self.service(outs)
        self.assertEqual(moved["loadBalancers"][0]["targetGroupArn"], new_tg["TargetGroupArn"])
        self.assert_steady(moved)
        self.assert_healthy(new_tg["TargetGroupArn"])
        with self.assertAwsError("TargetGroupNotFound"):
            elbv2.describe_target_groups(TargetGroupArns=[tg["TargetGroupArn"]])

        # destroy: the service is scaled in and deleted first; nothing is left
        out = self.run_dd("destroy", "--stack", "web", "--endpoint", self.endpoint).stdout
        self.assertIn("30 deleted", out)
        order = [re.search(r"- (\w+)", l).group(1) for l in out.splitlines() if ": deleted (" in l]
        self.assertLess(order.index("Service"), order.index("HttpListener"))
        self.assertLess(order.index("Service"), order.index("Cluster"))
        self.assertLess(order.index("HttpListener"), order.index("TargetGroup"))
        self.assertLess(order.index("LoadBalancer"), order.index("PublicSubnetA"))
        clusters = ecs.describe_clusters(clusters=[outs["ClusterArn"]])["clusters"]
        self.assertTrue(all(c["status"] == "INACTIVE" for c in clusters), clusters)
        with self.assertAwsError("ClusterNotFoundException"):  # as AWS answers for a deleted cluster
            ecs.describe_services(cluster=outs["ClusterArn"], services=[outs["ServiceName"]])
        self.assertEqual(ecs.list_clusters()["clusterArns"], [])
        self.assertEqual(elbv2.describe_load_balancers()["LoadBalancers"], [])
        self.assertEqual(elbv2.describe_target_groups()["TargetGroups"], [])
        self.assertEqual(self.client("ec2").describe_vpcs(
            Filters=[{"Name": "tag:Name", "Values": ["web-vpc"]}])["Vpcs"], [])
        self.assertEqual(self.client("ec2").describe_nat_gateways(
            Filter=[{"Name": "state", "Values": ["available", "pending"]}])["NatGateways"], [])
        self.assertEqual(self.client("ecs").list_task_definitions(familyPrefix="web-web", status="ACTIVE")
                         ["taskDefinitionArns"], [])
        self.assertEqual(self.run_dd("state", "list", "--stack", "web").stdout, "")


class EmbeddedTest(unittest.TestCase):
    def test_embedded_emulator_keeps_state(self):
        d = tempfile.mkdtemp(prefix="drydock-emb-")
        p = drydock("apply", NETWORK, cwd=d)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("using the embedded emulator", p.stderr)
        self.assertIn("24 added", p.stdout)
        self.assertTrue(os.path.exists(os.path.join(d, ".drydock", "state.db")))
        self.assertTrue(os.path.exists(os.path.join(d, ".drydock", "emulator.db")))
        p = drydock("plan", NETWORK, cwd=d)
        self.assertIn("No changes.", p.stdout)
        p = drydock("destroy", cwd=d)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("24 deleted", p.stdout)


if __name__ == "__main__":
    harness.main()
