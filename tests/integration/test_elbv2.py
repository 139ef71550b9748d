"""Elastic Load Balancing v2: the seeds' application load balancer built with the
real AWS CLI (two public subnets in two zones, a security group, an IP target
group on port 8000 with a health check path, an HTTP listener forwarding, an
HTTPS listener with a certificate, a path rule), targets going initial ->
healthy and draining on a manual clock with AWS-like delays, deletion in the
wrong order and the right one; then boto3 for every rule AWS enforces (each
named validation error with its code and message), attributes, tags,
pagination, network load balancers and the admin target-health action.
"""
import re

import harness

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/0b6f5c2e-1111-2222-3333-444455556666"


class Elbv2Test(harness.ManualClockTest):
    # AWS-like delays: health checks take HealthyThresholdCount x interval seconds.
    emulator_args = ("--pace", "aws")

    def elb(self):
        return self.client("elbv2")

    def network(self, cidr="10.0.0.0/16", zones=("us-east-1a", "us-east-1b")):
        """A VPC with one subnet per zone and a security group (boto3)."""
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        prefix = cidr.split(".")[0] + "." + cidr.split(".")[1]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="%s.%d.0/24" % (prefix, i), AvailabilityZone=z)
                   ["Subnet"]["SubnetId"] for i, z in enumerate(zones)]
        sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
        return {"vpc": vpc, "subnets": subnets, "sg": sg}

    def alb(self, n, name="web"):
        return self.elb().create_load_balancer(Name=name, Subnets=n["subnets"], SecurityGroups=[n["sg"]])[
            "LoadBalancers"][0]

    def tg(self, n, name="app", **kw):
        args = dict(Name=name, Protocol="HTTP", Port=8000, VpcId=n["vpc"], TargetType="ip")
        args.update(kw)
        return self.elb().create_target_group(**args)["TargetGroups"][0]

    def listener(self, lb, tg, port=80):
        return self.elb().create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])[
            "Listeners"][0]

    def health(self, tg, **kw):
        out = self.elb().describe_target_health(TargetGroupArn=tg["TargetGroupArn"], **kw)
        return {(d["Target"]["Id"], d["Target"].get("Port")): d["TargetHealth"] for d in out["TargetHealthDescriptions"]}

    # ---- the seeds' application load balancer, with the AWS CLI ---------------------------

    def test_seed_alb_with_the_cli(self):
        cli = self.aws
        vpc = cli("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [cli("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.%d.0/24" % i,
                       "--availability-zone", z)["Subnet"]["SubnetId"] for i, z in enumerate(["us-east-1a", "us-east-1b"])]
        igw = cli("ec2", "create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
        cli("ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
        sg = cli("ec2", "create-security-group", "--group-name", "alb-sg", "--description", "ALB", "--vpc-id", vpc)["GroupId"]
        cli("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "80",
            "--cidr", "0.0.0.0/0")

        lb = cli("elbv2", "create-load-balancer", "--name", "seed-alb", "--subnets", *subnets, "--security-groups", sg,
                 "--tags", "Key=env,Value=dev")["LoadBalancers"][0]
        lb_arn = lb["LoadBalancerArn"]
        self.assertRegex(lb_arn, r"^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/seed-alb/[0-9a-f]{16}$")
        self.assertRegex(lb["DNSName"], r"^seed-alb-\d+\.us-east-1\.elb\.amazonaws\.com$")
        self.assertEqual(lb["CanonicalHostedZoneId"], "Z35SXDOTRQ7X7K")
        self.assertEqual(lb["State"], {"Code": "provisioning"})
        self.assertEqual((lb["Type"], lb["Scheme"], lb["VpcId"], lb["IpAddressType"]),
                         ("application", "internet-facing", vpc, "ipv4"))
        self.assertEqual(lb["SecurityGroups"], [sg])
        self.assertEqual(sorted(z["SubnetId"] for z in lb["AvailabilityZones"]), sorted(subnets))
        self.assertEqual(sorted(z["ZoneName"] for z in lb["AvailabilityZones"]), ["us-east-1a", "us-east-1b"])
        enis = cli("ec2", "describe-network-interfaces", "--filters", "Name=vpc-id,Values=" + vpc)["NetworkInterfaces"]
        self.assertEqual(sorted(e["SubnetId"] for e in enis), sorted(subnets))
        self.assertTrue(all(e["Description"] == "ELB app/seed-alb/" + lb_arn.rsplit("/", 1)[1] for e in enis))
        self.assertTrue(all(e["RequesterManaged"] and e["Groups"][0]["GroupId"] == sg for e in enis))
        self.advance(179)
        self.assertEqual(cli("elbv2", "describe-load-balancers", "--names", "seed-alb")["LoadBalancers"][0]["State"]["Code"],
                         "provisioning")
        self.advance(1)
        self.assertEqual(cli("elbv2", "describe-load-balancers", "--load-balancer-arns", lb_arn)["LoadBalancers"][0]
                         ["State"]["Code"], "active")

        tg = cli("elbv2", "create-target-group", "--name", "seed-tg", "--protocol", "HTTP", "--port", "8000",
                 "--vpc-id", vpc, "--target-type", "ip", "--health-check-path", "/health",
                 "--health-check-interval-seconds", "10", "--healthy-threshold-count", "3")["TargetGroups"][0]
        tg_arn = tg["TargetGroupArn"]
        self.assertRegex(tg_arn, r"^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/seed-tg/[0-9a-f]{16}$")
        self.assertEqual((tg["HealthCheckPath"], tg["HealthCheckPort"], tg["HealthCheckProtocol"], tg["Matcher"]),
                         ("/health", "traffic-port", "HTTP", {"HttpCode": "200"}))
        self.assertEqual(tg["LoadBalancerArns"], [])

        http = cli("elbv2", "create-listener", "--load-balancer-arn", lb_arn, "--protocol", "HTTP", "--port", "80",
                   "--default-actions", "Type=forward,TargetGroupArn=" + tg_arn)["Listeners"][0]
        self.assertRegex(http["ListenerArn"], r":listener/app/seed-alb/[0-9a-f]{16}/[0-9a-f]{16}$")
        self.assertEqual(http["DefaultActions"][0]["ForwardConfig"]["TargetGroups"],
                         [{"TargetGroupArn": tg_arn, "Weight": 1}])
        https = cli("elbv2", "create-listener", "--load-balancer-arn", lb_arn, "--protocol", "HTTPS", "--port", "443",
                    "--certificates", "CertificateArn=" + CERT,
                    "--default-actions", "Type=forward,TargetGroupArn=" + tg_arn)["Listeners"][0]
        self.assertEqual(https["Certificates"], [{"CertificateArn": CERT}])
        self.assertEqual(https["SslPolicy"], "ELBSecurityPolicy-2016-08")
        rule = cli("elbv2", "create-rule", "--listener-arn", https["ListenerArn"], "--priority", "10",
                   "--conditions", "Field=path-pattern,Values=/api/*",
                   "--actions", "Type=forward,TargetGroupArn=" + tg_arn)["Rules"][0]
        self.assertRegex(rule["RuleArn"], r":listener-rule/app/seed-alb/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}$")
        self.assertEqual(rule["Conditions"][0]["PathPatternConfig"], {"Values": ["/api/*"]})
        rules = cli("elbv2", "describe-rules", "--listener-arn", https["ListenerArn"])["Rules"]
        self.assertEqual([r["Priority"] for r in rules], ["10", "default"])
        self.assertEqual(cli("elbv2", "describe-target-groups", "--names", "seed-tg")["TargetGroups"][0]
                         ["LoadBalancerArns"], [lb_arn])

        # targets: initial for HealthyThresholdCount x interval (3 x 10 s), then healthy
        cli("elbv2", "register-targets", "--target-group-arn", tg_arn, "--targets", "Id=10.0.0.10", "Id=10.0.1.10")
        health = cli("elbv2", "describe-target-health", "--target-group-arn", tg_arn)["TargetHealthDescriptions"]
        self.assertEqual(len(health), 2)
        for d in health:
            self.assertEqual(d["Target"]["Port"], 8000)
            self.assertEqual(d["HealthCheckPort"], "8000")
            self.assertEqual(d["TargetHealth"], {"State": "initial", "Reason": "Elb.RegistrationInProgress",
                                                 "Description": "Target registration is in progress"})
        self.advance(29)
        self.assertEqual({d["TargetHealth"]["State"] for d in cli("elbv2", "describe-target-health", "--target-group-arn",
                                                                   tg_arn)["TargetHealthDescriptions"]}, {"initial"})
        self.advance(1)
        self.assertEqual([d["TargetHealth"] for d in cli("elbv2", "describe-target-health", "--target-group-arn",
                                                          tg_arn)["TargetHealthDescriptions"]],
                         [{"State": "healthy"}, {"State": "healthy"}])

        # deregistered: draining for the deregistration delay (300 s by default), then gone
        cli("elbv2", "deregister-targets", "--target-group-arn", tg_arn, "--targets", "Id=10.0.1.10")
        one = cli("elbv2", "describe-target-health", "--target-group-arn", tg_arn, "--targets", "Id=10.0.1.10")
        self.assertEqual(one["TargetHealthDescriptions"][0]["TargetHealth"],
                         {"State": "draining", "Reason": "Target.DeregistrationInProgress",
                          "Description": "Target deregistration is in progress"})
        self.advance(299)
        self.assertEqual(len(cli("elbv2", "describe-target-health", "--target-group-arn", tg_arn)
                             ["TargetHealthDescriptions"]), 2)
        self.advance(1)
        left = cli("elbv2", "describe-target-health", "--target-group-arn", tg_arn)["TargetHealthDescriptions"]
        self.assertEqual([d["Target"]["Id"] for d in left], ["10.0.0.10"])

        # the wrong order first: the group is in use, the subnets hold the load balancer
        with self.assertAwsError("ResourceInUse", message="Target group '%s' is currently in use by a listener or a rule"
                                 % tg_arn):
            cli("elbv2", "delete-target-group", "--target-group-arn", tg_arn)
        with self.assertAwsError("DependencyViolation"):
            cli("ec2", "delete-subnet", "--subnet-id", subnets[0])
        # the right order: rule, listeners, target group, load balancer, then the network
        cli("elbv2", "delete-rule", "--rule-arn", rule["RuleArn"])
        cli("elbv2", "delete-listener", "--listener-arn", https["ListenerArn"])
        with self.assertAwsError("ResourceInUse"):
            cli("elbv2", "delete-target-group", "--target-group-arn", tg_arn)
        cli("elbv2", "delete-listener", "--listener-arn", http["ListenerArn"])
        # nothing forwards to the group any more: its target is unused
        left = cli("elbv2", "describe-target-health", "--target-group-arn", tg_arn)["TargetHealthDescriptions"]
        self.assertEqual(left[0]["TargetHealth"]["Reason"], "Target.NotInUse")
        cli("elbv2", "delete-target-group", "--target-group-arn", tg_arn)
        cli("elbv2", "delete-load-balancer", "--load-balancer-arn", lb_arn)
        self.assertEqual(cli("elbv2", "describe-load-balancers")["LoadBalancers"], [])
        self.assertEqual(cli("ec2", "describe-network-interfaces", "--filters", "Name=vpc-id,Values=" + vpc)
                         ["NetworkInterfaces"], [])
        for s in subnets:
            cli("ec2", "delete-subnet", "--subnet-id", s)

    # ---- load balancers ------------------------------------------------------------------

    def test_load_balancer_subnet_rules(self):
        elb, n = self.elb(), self.network()
        with self.assertAwsError("ValidationError", message="At least two subnets in two different Availability Zones "
                                                            "must be specified"):
            elb.create_load_balancer(Name="one", Subnets=n["subnets"][:1])
        same = self.client("ec2").create_subnet(VpcId=n["vpc"], CidrBlock="10.0.9.0/24",
                                                AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        with self.assertAwsError("InvalidConfigurationRequest", message="A load balancer cannot be attached to multiple "
                                                                        "subnets in the same Availability Zone"):
            elb.create_load_balancer(Name="twin", Subnets=[n["subnets"][0], same, n["subnets"][1]])
        with self.assertAwsError("SubnetNotFound", message="The subnet ID 'subnet-0123456789abcdef0' is not valid"):
            elb.create_load_balancer(Name="ghost", Subnets=[n["subnets"][0], "subnet-0123456789abcdef0"])
        other = self.network(cidr="10.1.0.0/16")
        with self.assertAwsError("InvalidConfigurationRequest", message="All subnets must belong to the same VPC"):
            elb.create_load_balancer(Name="split", Subnets=[n["subnets"][0], other["subnets"][1]])
        with self.assertAwsError("InvalidSecurityGroup", message="Security group '%s' does not belong to VPC '%s'"
                                 % (other["sg"], n["vpc"])):
            elb.create_load_balancer(Name="sg", Subnets=n["subnets"], SecurityGroups=[other["sg"]])
        with self.assertAwsError("InvalidSecurityGroup", message="Security group 'sg-0123456789abcdef0' does not exist"):
            elb.create_load_balancer(Name="sg", Subnets=n["subnets"], SecurityGroups=["sg-0123456789abcdef0"])
        # SubnetMappings are subnets too; with no groups an ALB takes the VPC's default group
        lb = elb.create_load_balancer(Name="mapped", SubnetMappings=[{"SubnetId": s} for s in n["subnets"]],
                                      Scheme="internal")["LoadBalancers"][0]
        self.assertRegex(lb["DNSName"], r"^internal-mapped-\d+\.us-east-1\.elb\.amazonaws\.com$")
        default_sg = self.client("ec2").describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [n["vpc"]]}, {"Name": "group-name", "Values": ["default"]}])[
            "SecurityGroups"][0]["GroupId"]
        self.assertEqual(lb["SecurityGroups"], [default_sg])

    def test_load_balancer_names(self):
        elb, n = self.elb(), self.network()
        cases = [
            ("a" * 33, "The load balancer name '%s' cannot be longer than '32' characters" % ("a" * 33)),
            ("web_1", "The load balancer name 'web_1' can only contain characters that are alphanumeric characters "
                      "and hyphens(-)"),
            ("-web", "The load balancer name '-web' cannot begin with a hyphen(-)"),
            ("web-", "The load balancer name 'web-' cannot end with a hyphen(-)"),
            ("internal-web", "The load balancer name 'internal-web' cannot begin with 'internal-'"),
        ]
        for name, message in cases:
            with self.subTest(name=name), self.assertAwsError("ValidationError", message=message):
                elb.create_load_balancer(Name=name, Subnets=n["subnets"])
        lb = self.alb(n)
        # the same name and settings answer the same load balancer; other settings are a duplicate
        self.assertEqual(self.alb(n)["LoadBalancerArn"], lb["LoadBalancerArn"])
        with self.assertAwsError("DuplicateLoadBalancerName",
                                 message="A load balancer with the same name 'web' exists, but with different settings"):
            elb.create_load_balancer(Name="web", Subnets=n["subnets"], Scheme="internal")
        self.assertEqual(len(elb.describe_load_balancers()["LoadBalancers"]), 1)

    def test_describe_errors(self):
        elb = self.elb()
        with self.assertAwsError("LoadBalancerNotFound", message="Load balancers '[ghost]' not found"):
            elb.describe_load_balancers(Names=["ghost"])
        with self.assertAwsError("ValidationError", message="'nope' is not a valid load balancer ARN"):
            elb.describe_load_balancers(LoadBalancerArns=["nope"])
        with self.assertAwsError("ValidationError", message="'nope' is not a valid target group ARN"):
            elb.describe_target_groups(TargetGroupArns=["nope"])
        with self.assertAwsError("TargetGroupNotFound", message="One or more target groups not found"):
            elb.describe_target_groups(Names=["ghost"])
        missing = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ghost/0123456789abcdef"
        with self.assertAwsError("TargetGroupNotFound"):
            elb.describe_target_health(TargetGroupArn=missing)
        # an ARN of another region is not an ARN this region knows
        with self.assertAwsError("ValidationError", message="is not a valid target group ARN"):
            elb.describe_target_groups(TargetGroupArns=[missing.replace("us-east-1", "eu-west-1")])
        with self.assertAwsError("ValidationError", message="You must specify either listener ARNs or a load balancer ARN"):
            elb.describe_listeners()
        with self.assertAwsError("ValidationError", message="You must specify either listener rule ARNs or a listener ARN"):
            elb.describe_rules()

    def test_attributes_and_deletion_protection(self):
        elb, n = self.elb(), self.network()
        arn = self.alb(n)["LoadBalancerArn"]
        attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        self.assertEqual(attrs["deletion_protection.enabled"], "false")
        self.assertEqual(attrs["idle_timeout.timeout_seconds"], "60")
        self.assertEqual(attrs["routing.http2.enabled"], "true")
        self.assertEqual(attrs["access_logs.s3.enabled"], "false")
        out = elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
            {"Key": "deletion_protection.enabled", "Value": "true"}, {"Key": "idle_timeout.timeout_seconds", "Value": "120"}])
        self.assertIn({"Key": "idle_timeout.timeout_seconds", "Value": "120"}, out["Attributes"])
        with self.assertAwsError("ValidationError", message="Load balancer attribute key 'nope' is not recognized"):
            elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "nope", "Value": "1"}])
        for key, value in (("idle_timeout.timeout_seconds", "0"), ("idle_timeout.timeout_seconds", "4001"),
                           ("idle_timeout.timeout_seconds", "ten"), ("routing.http2.enabled", "yes")):
            with self.assertAwsError("ValidationError",
                                     message="Load balancer attribute '%s' has an invalid value '%s'" % (key, value)):
                elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": key, "Value": value}])
        tg = self.tg(n)["TargetGroupArn"]
        for key, value in (("deregistration_delay.timeout_seconds", "3601"),
                           ("load_balancing.algorithm.type", "fastest"), ("stickiness.enabled", "on")):
            with self.assertAwsError("ValidationError",
                                     message="Target group attribute '%s' has an invalid value '%s'" % (key, value)):
                elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{"Key": key, "Value": value}])
        out = elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"},
            {"Key": "deregistration_delay.timeout_seconds", "Value": "0"}])
        self.assertIn({"Key": "deregistration_delay.timeout_seconds", "Value": "0"}, out["Attributes"])
        with self.assertAwsError("OperationNotPermitted",
                                 message="Load balancer '%s' cannot be deleted because deletion protection is enabled"
                                 % arn):
            elb.delete_load_balancer(LoadBalancerArn=arn)
        elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
            {"Key": "deletion_protection.enabled", "Value": "false"}])
        elb.delete_load_balancer(LoadBalancerArn=arn)
        elb.delete_load_balancer(LoadBalancerArn=arn)  # already gone: success, as AWS answers

    def test_set_security_groups_subnets_and_ip_type(self):
        elb, n, ec2 = self.elb(), self.network(zones=("us-east-1a", "us-east-1b", "us-east-1c")), self.client("ec2")
        lb = elb.create_load_balancer(Name="web", Subnets=n["subnets"][:2], SecurityGroups=[n["sg"]])["LoadBalancers"][0]
        arn = lb["LoadBalancerArn"]
        sg2 = ec2.create_security_group(GroupName="two", Description="two", VpcId=n["vpc"])["GroupId"]
        self.assertEqual(elb.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[sg2])["SecurityGroupIds"], [sg2])
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [n["vpc"]]}])["NetworkInterfaces"]
        self.assertEqual({e["Groups"][0]["GroupId"] for e in enis}, {sg2})
        out = elb.set_subnets(LoadBalancerArn=arn, Subnets=n["subnets"][1:])
        self.assertEqual(sorted(z["SubnetId"] for z in out["AvailabilityZones"]), sorted(n["subnets"][1:]))
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [n["vpc"]]}])["NetworkInterfaces"]
        self.assertEqual(sorted(e["SubnetId"] for e in enis), sorted(n["subnets"][1:]))
        with self.assertAwsError("ValidationError", message="At least two subnets in two different Availability Zones"):
            elb.set_subnets(LoadBalancerArn=arn, Subnets=n["subnets"][:1])
        self.assertEqual(elb.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="dualstack")["IpAddressType"],
                         "dualstack")

    def test_network_load_balancer(self):
        elb, n = self.elb(), self.network()
        lb = elb.create_load_balancer(Name="nlb", Type="network", Subnets=n["subnets"][:1])["LoadBalancers"][0]
        self.assertRegex(lb["LoadBalancerArn"], r":loadbalancer/net/nlb/[0-9a-f]{16}$")
        self.assertRegex(lb["DNSName"], r"^nlb-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$")
        self.assertEqual(lb["CanonicalHostedZoneId"], "Z26RNL4JYFTOTI")
        self.assertNotIn("SecurityGroups", lb)
        tg = self.tg(n, name="tcp", Protocol="TCP", Port=5432)
        self.assertEqual((tg["HealthCheckProtocol"], tg["HealthCheckTimeoutSeconds"], tg["HealthCheckIntervalSeconds"]),
                         ("TCP", 10, 30))
        self.assertNotIn("HealthCheckPath", tg)
        attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
            TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
        self.assertEqual((attrs["stickiness.type"], attrs["preserve_client_ip.enabled"]), ("source_ip", "false"))
        with self.assertAwsError("ValidationError", message="Listener protocol 'HTTP' must be one of 'TCP_UDP, UDP, TLS, TCP'"):
            elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=5432,
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        self.assertRegex(listener["Listeners"][0]["ListenerArn"], r":listener/net/nlb/")
        lattrs = {a["Key"] for a in elb.describe_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
        self.assertIn("load_balancing.cross_zone.enabled", lattrs)
        self.assertNotIn("idle_timeout.timeout_seconds", lattrs)

    # ---- target groups -----------------------------------------------------------------------

    def test_target_group_rules(self):
        elb, n = self.elb(), self.network()
        cases = [
            (dict(Name="a" * 33), "Target group name '%s' cannot be longer than '32' characters" % ("a" * 33)),
            (dict(Name="app_1"), "Target group name 'app_1' can only contain characters that are alphanumeric "
                                 "characters or hyphens(-)"),
            (dict(Name="-app"), "Target group name '-app' cannot begin or end with '-'"),
            (dict(Name="app", Protocol=None), "A protocol must be specified"),
            (dict(Name="app", Port=None), "A port must be specified"),
            (dict(Name="app", VpcId=None), "A VPC ID must be specified"),
            (dict(Name="app", VpcId="vpc-0123456789abcdef0"), "The VPC ID 'vpc-0123456789abcdef0' is not found"),
            (dict(Name="app", HealthCheckIntervalSeconds=10, HealthCheckTimeoutSeconds=10),
             "Health check interval must be greater than the timeout."),
            (dict(Name="app", Matcher={"HttpCode": "600"}), "HttpCode must be like 200 | 200-399 | 200,201 ..."),
            (dict(Name="fn", TargetType="lambda", Protocol=None, VpcId=None),
             "Port cannot be specified for target groups with target type 'lambda'"),
        ]
        for kw, message in cases:
            args = dict(Name="app", Protocol="HTTP", Port=8000, VpcId=n["vpc"], TargetType="ip")
            args.update(kw)
            args = {k: v for k, v in args.items() if v is not None}
            with self.subTest(kw=kw), self.assertAwsError("ValidationError", message=message):
                elb.create_target_group(**args)
        tg = self.tg(n)
        self.assertEqual((tg["Protocol"], tg["Port"], tg["VpcId"], tg["TargetType"], tg["ProtocolVersion"]),
                         ("HTTP", 8000, n["vpc"], "ip", "HTTP1"))
        self.assertEqual((tg["HealthCheckProtocol"], tg["HealthCheckPort"], tg["HealthCheckEnabled"],
                          tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"], tg["HealthyThresholdCount"],
                          tg["UnhealthyThresholdCount"], tg["HealthCheckPath"], tg["Matcher"]),
                         ("HTTP", "traffic-port", True, 30, 6, 5, 2, "/", {"HttpCode": "200"}))
        self.assertEqual(self.tg(n)["TargetGroupArn"], tg["TargetGroupArn"])  # same settings: the same group
        with self.assertAwsError("DuplicateTargetGroupName",
                                 message="A target group with the same name 'app' exists, but with different settings"):
            self.tg(n, Port=9000)
        fn = elb.create_target_group(Name="fn", TargetType="lambda")["TargetGroups"][0]
        self.assertEqual((fn["HealthCheckEnabled"], fn["HealthCheckIntervalSeconds"], fn["HealthCheckTimeoutSeconds"]),
                         (False, 35, 30))
        modified = elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], HealthCheckPath="/ping",
                                           HealthyThresholdCount=2)["TargetGroups"][0]
        self.assertEqual((modified["HealthCheckPath"], modified["HealthyThresholdCount"]), ("/ping", 2))
        with self.assertAwsError("ValidationError", message="Health check interval must be greater than the timeout."):
            elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], HealthCheckTimeoutSeconds=60)

        attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
            TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
        self.assertEqual((attrs["deregistration_delay.timeout_seconds"], attrs["stickiness.enabled"],
                          attrs["stickiness.type"], attrs["load_balancing.algorithm.type"]),
                         ("300", "false", "lb_cookie", "round_robin"))
        out = elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
        self.assertIn({"Key": "deregistration_delay.timeout_seconds", "Value": "30"}, out["Attributes"])
        with self.assertAwsError("ValidationError", message="Target group attribute key 'nope' is not recognized"):
            elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[{"Key": "nope", "Value": "1"}])
        elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
        with self.assertAwsError("TargetGroupNotFound"):
            elb.describe_target_groups(TargetGroupArns=[tg["TargetGroupArn"]])

    def test_register_target_rules(self):
        elb, n = self.elb(), self.network()
        tg = self.tg(n)
        arn = tg["TargetGroupArn"]
        with self.assertAwsError("ValidationError", message="The Availability Zone is required for IP address "
                                                            "'192.168.1.5' because it is not in the VPC"):
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "192.168.1.5"}])
        with self.assertAwsError("ValidationError", message="The Availability Zone 'all' is only valid for IP addresses "
                                                            "outside the VPC"):
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.0.5", "AvailabilityZone": "all"}])
        with self.assertAwsError("ValidationError", message="The IP address 'web' is not a valid IPv4 address"):
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "web"}])
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "192.168.1.5", "AvailabilityZone": "all"},
                                                          {"Id": "10.0.0.5", "Port": 9000}])
        health = self.health(tg)
        self.assertEqual(set(health), {("192.168.1.5", 8000), ("10.0.0.5", 9000)})
        instances = self.tg(n, name="inst", TargetType="instance")
        with self.assertAwsError("InvalidTarget", message="The following targets are not valid instances: "
                                                          "'i-0123456789abcdef0'"):
            elb.register_targets(TargetGroupArn=instances["TargetGroupArn"], Targets=[{"Id": "i-0123456789abcdef0"}])

    def test_instance_targets(self):
        elb, ec2, n = self.elb(), self.client("ec2"), self.network()
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

        def run(subnet):
            return ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                     SubnetId=subnet)["Instances"][0]["InstanceId"]

        tg = self.tg(n, name="inst", TargetType="instance")
        arn = tg["TargetGroupArn"]
        iid = run(n["subnets"][0])
        with self.assertAwsError("InvalidTarget", message="The following targets are not in a running state and "
                                                          "cannot be registered: '%s'" % iid):
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": iid}])
        self.advance(60)
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": iid}, {"Id": iid, "Port": 9000}])
        self.assertEqual(set(self.health(tg)), {(iid, 8000), (iid, 9000)})
        self.assertEqual(self.health(tg)[(iid, 8000)]["State"], "unused")
        lb = self.alb(n)
        self.listener(lb, tg)
        self.assertEqual(self.health(tg)[(iid, 8000)]["State"], "initial")
        self.advance(5 * 30)
        self.assertEqual(self.health(tg)[(iid, 8000)], {"State": "healthy"})
        # an instance of another VPC
        other = self.network(cidr="10.1.0.0/16")
        stranger = run(other["subnets"][0])
        self.advance(60)
        with self.assertAwsError("InvalidTarget", message="The following targets are not in the target group VPC "
                                                          "'%s': '%s'" % (n["vpc"], stranger)):
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": stranger}])
        # a stopped instance cannot be registered
        ec2.stop_instances(InstanceIds=[stranger])
        tg2 = self.tg(other, name="other", TargetType="instance")
        with self.assertAwsError("InvalidTarget", message="not in a running state"):
            elb.register_targets(TargetGroupArn=tg2["TargetGroupArn"], Targets=[{"Id": stranger}])
        elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": iid, "Port": 9000}])

    def test_target_health_lifecycle(self):
        elb, n = self.elb(), self.network()
        lb, tg = self.alb(n), self.tg(n)
        arn = tg["TargetGroupArn"]
        # no listener forwards to the group: its targets are unused
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.0.5"}])
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)], {
            "State": "unused", "Reason": "Target.NotInUse",
            "Description": "Target group is not configured to receive traffic from the load balancer"})
        self.assertEqual(self.health(tg, Targets=[{"Id": "10.0.0.99"}])[("10.0.0.99", 8000)], {
            "State": "unused", "Reason": "Target.NotRegistered",
            "Description": "Target is not registered to the target group"})
        listener = self.listener(lb, tg)
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)]["State"], "initial")
        self.advance(5 * 30)
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)], {"State": "healthy"})
        # the admin API fails the health checks, and restores them
        h = self.emulator.admin("POST", "/_drydock/elbv2/target-health",
                                {"target_group_arn": arn, "target_id": "10.0.0.5", "state": "unhealthy"})
        self.assertEqual(h["TargetHealthDescription"]["TargetHealth"]["State"], "unhealthy")
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)], {
            "State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
            "Description": "Health checks failed with these codes: [502]"})
        self.emulator.admin("POST", "/_drydock/elbv2/target-health",
                            {"target_group_arn": arn, "target_id": "10.0.0.5", "port": 8000, "state": "unhealthy",
                             "reason": "Target.Timeout"})
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)]["Description"], "Request timed out")
        self.emulator.admin("POST", "/_drydock/elbv2/target-health",
                            {"target_group_arn": arn, "target_id": "10.0.0.5", "state": "healthy"})
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)], {"State": "healthy"})
        # a shorter deregistration delay; registering again while draining brings the target back
        elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "20"}])
        elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.0.5"}])
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)]["State"], "draining")
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.0.5"}])
        self.assertEqual(self.health(tg)[("10.0.0.5", 8000)]["State"], "initial")
        elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.0.5"}])
        self.advance(20)
        self.assertEqual(self.health(tg), {})
        # health checks off: targets are unavailable
        elb.modify_target_group(TargetGroupArn=arn, HealthCheckEnabled=False)
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.0.6"}])
        self.listener(lb, tg)
        self.assertEqual(self.health(tg)[("10.0.0.6", 8000)], {
            "State": "unavailable", "Reason": "Target.HealthCheckDisabled", "Description": "Health checks are disabled"})

    # ---- listeners and rules -------------------------------------------------------------------

    def test_listener_rules(self):
        elb, n = self.elb(), self.network()
        lb, tg = self.alb(n), self.tg(n)
        lb_arn, tg_arn = lb["LoadBalancerArn"], tg["TargetGroupArn"]
        fwd = [{"Type": "forward", "TargetGroupArn": tg_arn}]
        self.listener(lb, tg)
        with self.assertAwsError("DuplicateListener", message="A listener already exists on this port for this load "
                                                              "balancer '%s'" % lb_arn):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=fwd)
        with self.assertAwsError("ValidationError", message="A certificate must be specified for HTTPS listeners"):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, DefaultActions=fwd)
        with self.assertAwsError("SSLPolicyNotFound", message="SSL policy 'ELBSecurityPolicy-nope' not found"):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, DefaultActions=fwd,
                                Certificates=[{"CertificateArn": CERT}], SslPolicy="ELBSecurityPolicy-nope")
        with self.assertAwsError("CertificateNotFound", message="Certificate 'arn:aws:acm:eu-west-1:000000000000:"
                                                                "certificate/x' not found"):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, DefaultActions=fwd,
                                Certificates=[{"CertificateArn": "arn:aws:acm:eu-west-1:000000000000:certificate/x"}])
        with self.assertAwsError("ValidationError", message="Listener protocol 'TCP' must be one of 'HTTPS, HTTP'"):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="TCP", Port=81, DefaultActions=fwd)
        ghost = tg_arn.replace("/app/", "/ghost/")
        with self.assertAwsError("TargetGroupNotFound", message="Target group '%s' not found" % ghost):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=81,
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": ghost}])
        tcp = self.tg(n, name="tcp", Protocol="TCP", Port=5432)
        with self.assertAwsError("IncompatibleProtocols", message="Listener protocol 'HTTP' is not supported with a "
                                                                  "target group with the protocol 'TCP'"):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=81,
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp["TargetGroupArn"]}])
        with self.assertAwsError("ValidationError", message="failed to satisfy constraint: Member must satisfy regular "
                                                            "expression pattern: ^(2|4|5)\\d\\d$"):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=81, DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "302"}}])
        with self.assertAwsError("InvalidLoadBalancerAction", message="The ContentType must be one of:'text/html', "
                                                                      "'application/json', 'application/javascript', "
                                                                      "'text/css', 'text/plain'"):
            elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=81, DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "image/png"}}])
        other = elb.create_load_balancer(Name="other", Subnets=n["subnets"])["LoadBalancers"][0]
        with self.assertAwsError("TargetGroupAssociationLimit", message="The following target groups cannot be "
                                                                        "associated with more than one load balancer: "
                                                                        + tg_arn):
            elb.create_listener(LoadBalancerArn=other["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=fwd)
        # redirect and fixed-response listeners, weighted forwarding
        redirect = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=8080, DefaultActions=[
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
        self.assertEqual(redirect["Listeners"][0]["DefaultActions"][0]["RedirectConfig"],
                         {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
                          "Query": "#{query}", "StatusCode": "HTTP_301"})
        blue = self.tg(n, name="blue")
        weighted = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=8081, DefaultActions=[
            {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg_arn, "Weight": 90},
                                                                   {"TargetGroupArn": blue["TargetGroupArn"],
                                                                    "Weight": 10}]}}])["Listeners"][0]
        self.assertNotIn("TargetGroupArn", weighted["DefaultActions"][0])
        self.assertEqual(elb.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"][0]["LoadBalancerArns"],
                         [lb_arn])
        self.assertEqual(len(elb.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"]), 2)
        listeners = elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
        self.assertEqual([l["Port"] for l in listeners], [80, 8080, 8081])
        modified = elb.modify_listener(ListenerArn=weighted["ListenerArn"], Port=8082)["Listeners"][0]
        self.assertEqual(modified["Port"], 8082)
        with self.assertAwsError("DuplicateListener"):
            elb.modify_listener(ListenerArn=weighted["ListenerArn"], Port=80)
        with self.assertAwsError("ListenerNotFound"):
            elb.delete_listener(ListenerArn=weighted["ListenerArn"][:-16] + "0123456789abcdef")

    def test_https_listener_certificates_and_ssl_policies(self):
        elb, n = self.elb(), self.network()
        lb, tg = self.alb(n), self.tg(n)
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                       Certificates=[{"CertificateArn": CERT}], SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])[
            "Listeners"][0]
        self.assertEqual(listener["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06")
        extra = CERT[:-1] + "7"
        elb.add_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": extra}])
        certs = elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
        self.assertEqual(certs, [{"CertificateArn": CERT, "IsDefault": True}, {"CertificateArn": extra, "IsDefault": False}])
        with self.assertAwsError("OperationNotPermitted", message="The default certificate cannot be removed"):
            elb.remove_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": CERT}])
        elb.remove_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": extra}])
        self.assertEqual(len(elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]), 1)
        policies = elb.describe_ssl_policies()["SslPolicies"]
        names = [p["Name"] for p in policies]
        self.assertIn("ELBSecurityPolicy-2016-08", names)
        one = elb.describe_ssl_policies(Names=["ELBSecurityPolicy-TLS13-1-3-2021-06"])["SslPolicies"][0]
        self.assertEqual(one["SslProtocols"], ["TLSv1.3"])
        self.assertEqual(one["Ciphers"][0], {"Name": "TLS_AES_128_GCM_SHA256", "Priority": 1})
        with self.assertAwsError("SSLPolicyNotFound"):
            elb.describe_ssl_policies(Names=["nope"])

    def test_rules(self):
        elb, n = self.elb(), self.network()
        lb, tg = self.alb(n), self.tg(n)
        listener = self.listener(lb, tg)
        larn = listener["ListenerArn"]
        fwd = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]

        def rule(priority, conditions, actions=fwd):
            return elb.create_rule(ListenerArn=larn, Priority=priority, Conditions=conditions, Actions=actions)["Rules"][0]

        api = rule(10, [{"Field": "path-pattern", "Values": ["/api/*"]}])
        host = rule(20, [{"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com", "b.example.com"]}},
                         {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}])
        self.assertEqual(host["Conditions"][0]["Values"], ["a.example.com", "b.example.com"])
        rule(5, [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}},
                 {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}},
                 {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["dev"]}}],
             [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain",
                                                                 "MessageBody": "no"}}])
        cases = [
            ("PriorityInUse", "Priority '10' is currently in use", 10, [{"Field": "path-pattern", "Values": ["/x"]}]),
            ("ValidationError", "Condition field 'cookie' must be one of '[path-pattern,host-header,http-header,"
                                "http-request-method,query-string,source-ip]'", 30, [{"Field": "cookie", "Values": ["a"]}]),
            ("ValidationError", "The 'path-pattern' field contains too many values; the limit is '1'", 30,
             [{"Field": "path-pattern", "Values": ["/a", "/b"]}]),
            ("ValidationError", "The 'Values' field is not compatible with 'http-header'", 30,
             [{"Field": "http-header", "Values": ["a"]}]),
            ("ValidationError", "A 'HttpHeaderConfig' must be specified with 'http-header'", 30,
             [{"Field": "http-header"}]),
            ("ValidationError", "The 'host-header' value is too long; the limit is '128'", 30,
             [{"Field": "host-header", "Values": ["h" * 129]}]),
            ("ValidationError", "The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen "
                                "and underscore", 30,
             [{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["get"]}}]),
            ("ValidationError", "A condition value must be specified", 30, [{"Field": "path-pattern",
                                                                             "PathPatternConfig": {"Values": []}}]),
            ("ValidationError", "A rule can only have '5' condition values", 30,
             [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/1", "/2", "/3"]}},
              {"Field": "host-header", "HostHeaderConfig": {"Values": ["a", "b", "c"]}}]),
        ]
        for code, message, priority, conditions in cases:
            with self.subTest(message=message), self.assertAwsError(code, message=message):
                rule(priority, conditions)
        rules = elb.describe_rules(ListenerArn=larn)["Rules"]
        self.assertEqual([r["Priority"] for r in rules], ["5", "10", "20", "default"])
        default = rules[-1]
        self.assertTrue(default["IsDefault"])
        self.assertEqual(default["Actions"][0]["TargetGroupArn"], tg["TargetGroupArn"])
        page = elb.describe_rules(ListenerArn=larn, PageSize=2)
        self.assertEqual(len(page["Rules"]), 2)
        rest = elb.describe_rules(ListenerArn=larn, PageSize=2, Marker=page["NextMarker"])
        self.assertEqual([r["Priority"] for r in rest["Rules"]], ["20", "default"])
        self.assertNotIn("NextMarker", rest)
        # priorities move together; a taken one, a repeated one or the default rule are refused
        out = elb.set_rule_priorities(RulePriorities=[{"RuleArn": api["RuleArn"], "Priority": 20},
                                                      {"RuleArn": host["RuleArn"], "Priority": 10}])
        self.assertEqual({r["RuleArn"]: r["Priority"] for r in out["Rules"]}, {api["RuleArn"]: "20", host["RuleArn"]: "10"})
        with self.assertAwsError("PriorityInUse"):
            elb.set_rule_priorities(RulePriorities=[{"RuleArn": api["RuleArn"], "Priority": 5}])
        with self.assertAwsError("ValidationError", message="Priority '7' was provided multiple times"):
            elb.set_rule_priorities(RulePriorities=[{"RuleArn": api["RuleArn"], "Priority": 7},
                                                    {"RuleArn": host["RuleArn"], "Priority": 7}])
        with self.assertAwsError("OperationNotPermitted"):
            elb.set_rule_priorities(RulePriorities=[{"RuleArn": default["RuleArn"], "Priority": 99}])
        with self.assertAwsError("OperationNotPermitted", message="Default rule '%s' cannot be deleted" % default["RuleArn"]):
            elb.delete_rule(RuleArn=default["RuleArn"])
        with self.assertAwsError("ValidationError", message="Either conditions or actions must be specified"):
            elb.modify_rule(RuleArn=api["RuleArn"])
        changed = elb.modify_rule(RuleArn=api["RuleArn"], Conditions=[{"Field": "path-pattern", "Values": ["/v2/*"]}])
        self.assertEqual(changed["Rules"][0]["Conditions"][0]["Values"], ["/v2/*"])
        # the default rule's actions are the listener's
        elb.modify_rule(RuleArn=default["RuleArn"], Actions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])
        self.assertEqual(elb.describe_listeners(ListenerArns=[larn])["Listeners"][0]["DefaultActions"][0]["Type"],
                         "fixed-response")
        elb.delete_rule(RuleArn=api["RuleArn"])
        self.assertEqual(len(elb.describe_rules(ListenerArn=larn)["Rules"]), 3)
        with self.assertAwsError("RuleNotFound"):
            elb.describe_rules(RuleArns=[api["RuleArn"]])

    # ---- tags, pagination, limits ---------------------------------------------------------------

    def test_tags(self):
        elb, n = self.elb(), self.network()
        lb = elb.create_load_balancer(Name="web", Subnets=n["subnets"], Tags=[{"Key": "env", "Value": "dev"}])[
            "LoadBalancers"][0]
        tg = self.tg(n, Tags=[{"Key": "team", "Value": "a"}])
        listener = self.listener(lb, tg)
        rule = elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=1,
                               Conditions=[{"Field": "path-pattern", "Values": ["/a"]}],
                               Actions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
                               Tags=[{"Key": "r", "Value": "1"}])["Rules"][0]
        arns = [lb["LoadBalancerArn"], tg["TargetGroupArn"], listener["ListenerArn"], rule["RuleArn"]]
        elb.add_tags(ResourceArns=arns, Tags=[{"Key": "owner", "Value": "me"}])
        got = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]}
               for d in elb.describe_tags(ResourceArns=arns)["TagDescriptions"]}
        self.assertEqual(got[lb["LoadBalancerArn"]], {"env": "dev", "owner": "me"})
        self.assertEqual(got[tg["TargetGroupArn"]], {"team": "a", "owner": "me"})
        self.assertEqual(got[listener["ListenerArn"]], {"owner": "me"})
        self.assertEqual(got[rule["RuleArn"]], {"r": "1", "owner": "me"})
        elb.remove_tags(ResourceArns=[lb["LoadBalancerArn"]], TagKeys=["env"])
        self.assertEqual(elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"],
                         [{"Key": "owner", "Value": "me"}])
        with self.assertAwsError("DuplicateTagKeys", message="Tag key was specified more than once: k"):
            elb.add_tags(ResourceArns=[lb["LoadBalancerArn"]], Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])
        with self.assertAwsError("TooManyTags"):
            elb.add_tags(ResourceArns=[lb["LoadBalancerArn"]],
                         Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
        with self.assertAwsError("LoadBalancerNotFound"):
            elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"][:-16] + "0123456789abcdef"])

    def test_pagination(self):
        elb, n = self.elb(), self.network()
        for i in range(5):
            self.tg(n, name="tg-%d" % i)
        seen, marker, pages = [], None, 0
        while True:
            kw = {"PageSize": 2}
            if marker:
                kw["Marker"] = marker
            out = elb.describe_target_groups(**kw)
            seen += [t["TargetGroupName"] for t in out["TargetGroups"]]
            pages += 1
            marker = out.get("NextMarker")
            if not marker:
                break
        self.assertEqual((seen, pages), (["tg-%d" % i for i in range(5)], 3))
        # the CLI pages on its own (PageSize is a manual page for it, as on AWS)
        cli = self.aws("elbv2", "describe-target-groups", "--max-items", "3")
        self.assertEqual(len(cli["TargetGroups"]), 3)
        rest = self.aws("elbv2", "describe-target-groups", "--starting-token", cli["NextToken"])
        self.assertEqual([t["TargetGroupName"] for t in rest["TargetGroups"]], ["tg-3", "tg-4"])
        with self.assertAwsError("ValidationError", message="at 'pageSize' failed to satisfy constraint"):
            elb.describe_target_groups(PageSize=401)

    def test_account_limits(self):
        limits = {l["Name"]: l["Max"] for l in self.elb().describe_account_limits()["Limits"]}
        self.assertEqual(limits["application-load-balancers"], "50")
        self.assertEqual(limits["target-groups"], "3000")
        self.assertEqual(limits["condition-values-per-alb-rule"], "5")

    def test_admin_target_health_errors(self):
        n = self.network()
        tg = self.tg(n)
        for body in ({"target_group_arn": tg["TargetGroupArn"], "target_id": "10.0.0.5", "state": "sick"},
                     {"target_group_arn": tg["TargetGroupArn"], "target_id": "10.0.0.5", "state": "unhealthy"}):
            with self.assertRaises(Exception) as e:
                self.emulator.admin("POST", "/_drydock/elbv2/target-health", body)
            self.assertIn(getattr(e.exception, "code", 0), (400, 409))


if __name__ == "__main__":
    harness.main()
