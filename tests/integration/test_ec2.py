"""EC2 networking: the seeds' network built with the real AWS CLI, AWS's rules
(dependency order, conflicts, duplicates, malformed and unknown ids), DryRun,
the NAT gateway lifecycle on the manual clock, tags, filters and pagination
over more than a thousand resources (boto3).
"""
import base64
import re
import subprocess
import tempfile

import harness


class Ec2Test(harness.EmulatorTest):
    def ec2(self):
        return self.client("ec2")

    def cli(self, *args):
        return self.aws("ec2", *args)

    def tags(self, obj, key="Tags"):
        return {t["Key"]: t["Value"] for t in obj.get(key, [])}

    # ---- the account's default network -----------------------------------------

    def test_default_vpc(self):
        ec2 = self.ec2()
        vpcs = ec2.describe_vpcs()["Vpcs"]
        self.assertEqual(len(vpcs), 1)
        vpc = vpcs[0]
        self.assertTrue(vpc["IsDefault"])
        self.assertEqual(vpc["CidrBlock"], "172.31.0.0/16")
        self.assertRegex(vpc["VpcId"], r"^vpc-[0-9a-f]{17}$")
        self.assertEqual(vpc["OwnerId"], "000000000000")
        zones = ec2.describe_availability_zones()["AvailabilityZones"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
        self.assertEqual(len(subnets), len(zones))
        self.assertEqual({s["AvailabilityZone"] for s in subnets}, {z["ZoneName"] for z in zones})
        for s in subnets:
            self.assertTrue(s["DefaultForAz"])
            self.assertTrue(s["MapPublicIpOnLaunch"])
            self.assertEqual(s["AvailableIpAddressCount"], 4096 - 5)
            self.assertTrue(s["CidrBlock"].endswith("/20"))
        sgs = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]
        self.assertEqual([g["GroupName"] for g in sgs], ["default"])
        rtbs = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]}])["RouteTables"]
        self.assertEqual(len(rtbs), 1)
        routes = {r["DestinationCidrBlock"]: r for r in rtbs[0]["Routes"]}
        self.assertEqual(routes["172.31.0.0/16"]["GatewayId"], "local")
        self.assertTrue(routes["0.0.0.0/0"]["GatewayId"].startswith("igw-"))
        igws = ec2.describe_internet_gateways()["InternetGateways"]
        self.assertEqual(igws[0]["Attachments"], [{"State": "available", "VpcId": vpc["VpcId"]}])
        acls = ec2.describe_network_acls()["NetworkAcls"]
        self.assertEqual(len(acls), 1)
        self.assertEqual(len(acls[0]["Associations"]), len(subnets))
        attrs = {a["AttributeName"]: a["AttributeValues"][0]["AttributeValue"]
                 for a in ec2.describe_account_attributes()["AccountAttributes"]}
        self.assertEqual(attrs["default-vpc"], vpc["VpcId"])
        # reset empties everything; the next call finds a new default VPC
        self.emulator.admin("POST", "/_drydock/reset")
        again = ec2.describe_vpcs()["Vpcs"]
        self.assertEqual(len(again), 1)
        self.assertNotEqual(again[0]["VpcId"], vpc["VpcId"])

    def test_regions_and_zones(self):
        ec2 = self.ec2()
        regions = {r["RegionName"]: r for r in ec2.describe_regions()["Regions"]}
        self.assertIn("us-east-1", regions)
        self.assertIn("eu-west-1", regions)
        self.assertNotIn("af-south-1", regions)  # opt-in region
        self.assertEqual(regions["us-east-1"]["Endpoint"], "ec2.us-east-1.amazonaws.com")
        every = ec2.describe_regions(AllRegions=True)["Regions"]
        self.assertEqual({r["OptInStatus"] for r in every if r["RegionName"] == "af-south-1"}, {"not-opted-in"})
        zones = ec2.describe_availability_zones(ZoneNames=["us-east-1a"])["AvailabilityZones"]
        self.assertEqual(zones[0]["ZoneId"], "use1-az6")
        eu = self.client("ec2", region="eu-west-1").describe_availability_zones()["AvailabilityZones"]
        self.assertEqual([z["ZoneName"] for z in eu], ["eu-west-1a", "eu-west-1b", "eu-west-1c"])
        with self.assertAwsError("InvalidParameterValue"):
            ec2.describe_availability_zones(ZoneNames=["us-east-1z"])
        with self.assertAwsError("InvalidParameterValue", message="The filter 'nope' is invalid"):
            ec2.describe_regions(Filters=[{"Name": "nope", "Values": ["x"]}])

    def test_regions_and_accounts_are_isolated(self):
        west = self.client("ec2", region="us-west-2")
        vpc = west.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        with self.assertAwsError("InvalidVpcID.NotFound"):
            self.ec2().describe_vpcs(VpcIds=[vpc])
        other = self.client("ec2", access_key="111122223333")
        with self.assertAwsError("InvalidVpcID.NotFound"):
            other.describe_vpcs(VpcIds=[vpc])
        self.assertEqual(other.describe_vpcs()["Vpcs"][0]["OwnerId"], "111122223333")

    # ---- the seeds' network, with the AWS CLI ---------------------------------------

    def build_network(self):
        """2 AZs x public+private subnets, IGW, EIP + NAT, route tables, ALB -> app -> db groups."""
        n = {}
        vpc = self.cli("create-vpc", "--cidr-block", "10.0.0.0/16", "--tag-specifications",
                       "ResourceType=vpc,Tags=[{Key=Name,Value=seed-vpc}]")["Vpc"]
        n["vpc"] = vpc["VpcId"]
        self.assertEqual(vpc["State"], "available")
        self.assertEqual(self.tags(vpc), {"Name": "seed-vpc"})
        self.cli("modify-vpc-attribute", "--vpc-id", n["vpc"], "--enable-dns-hostnames", '{"Value":true}')
        attr = self.cli("describe-vpc-attribute", "--vpc-id", n["vpc"], "--attribute", "enableDnsHostnames")
        self.assertTrue(attr["EnableDnsHostnames"]["Value"])
        for i, (kind, az) in enumerate([("public", "a"), ("public", "b"), ("private", "a"), ("private", "b")]):
            s = self.cli("create-subnet", "--vpc-id", n["vpc"], "--cidr-block", "10.0.%d.0/24" % (i + 1),
                         "--availability-zone", "us-east-1" + az, "--tag-specifications",
                         "ResourceType=subnet,Tags=[{Key=Name,Value=%s-%s},{Key=tier,Value=%s}]" % (kind, az, kind))
            s = s["Subnet"]
            self.assertEqual(s["AvailableIpAddressCount"], 251)
            self.assertEqual(s["SubnetArn"], "arn:aws:ec2:us-east-1:000000000000:subnet/" + s["SubnetId"])
            n["%s-%s" % (kind, az)] = s["SubnetId"]
        for az in "ab":
            self.cli("modify-subnet-attribute", "--subnet-id", n["public-" + az], "--map-public-ip-on-launch")
        n["igw"] = self.cli("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
        self.cli("attach-internet-gateway", "--internet-gateway-id", n["igw"], "--vpc-id", n["vpc"])
        n["eip"] = self.cli("allocate-address", "--domain", "vpc")["AllocationId"]
        nat = self.cli("create-nat-gateway", "--subnet-id", n["public-a"], "--allocation-id", n["eip"])["NatGateway"]
        n["nat"] = nat["NatGatewayId"]
        self.assertEqual(nat["State"], "pending")
        n["rtb-public"] = self.cli("create-route-table", "--vpc-id", n["vpc"])["RouteTable"]["RouteTableId"]
        n["rtb-private"] = self.cli("create-route-table", "--vpc-id", n["vpc"])["RouteTable"]["RouteTableId"]
        self.cli("create-route", "--route-table-id", n["rtb-public"], "--destination-cidr-block", "0.0.0.0/0",
                 "--gateway-id", n["igw"])
        self.cli("create-route", "--route-table-id", n["rtb-private"], "--destination-cidr-block", "0.0.0.0/0",
                 "--nat-gateway-id", n["nat"])
        for az in "ab":
            n["assoc-public-" + az] = self.cli("associate-route-table", "--route-table-id", n["rtb-public"],
                                               "--subnet-id", n["public-" + az])["AssociationId"]
            n["assoc-private-" + az] = self.cli("associate-route-table", "--route-table-id", n["rtb-private"],
                                                "--subnet-id", n["private-" + az])["AssociationId"]
        for name in ("alb", "app", "db"):
            n["sg-" + name] = self.cli("create-security-group", "--group-name", "seed-" + name, "--description",
                                       name + " tier", "--vpc-id", n["vpc"])["GroupId"]
        for port in ("80", "443"):
            self.cli("authorize-security-group-ingress", "--group-id", n["sg-alb"], "--protocol", "tcp",
                     "--port", port, "--cidr", "0.0.0.0/0")
            self.cli("authorize-security-group-ingress", "--group-id", n["sg-app"], "--protocol", "tcp",
                     "--port", port, "--source-group", n["sg-alb"])
        self.cli("authorize-security-group-ingress", "--group-id", n["sg-db"], "--ip-permissions",
                 "IpProtocol=tcp,FromPort=3306,ToPort=3306,UserIdGroupPairs=[{GroupId=%s,Description=app}]"
                 % n["sg-app"])
        return n

    def test_seed_network(self):
        n = self.build_network()
        subnets = self.cli("describe-subnets", "--filters", "Name=vpc-id,Values=" + n["vpc"])["Subnets"]
        self.assertEqual(len(subnets), 4)
        by_id = {s["SubnetId"]: s for s in subnets}
        self.assertTrue(by_id[n["public-a"]]["MapPublicIpOnLaunch"])
        self.assertFalse(by_id[n["private-a"]]["MapPublicIpOnLaunch"])
        self.assertEqual(by_id[n["public-b"]]["AvailabilityZoneId"], "use1-az1")
        # the NAT gateway's interface took an address of its subnet
        self.assertEqual(by_id[n["public-a"]]["AvailableIpAddressCount"], 250)
        tier = self.cli("describe-subnets", "--filters", "Name=tag:tier,Values=priv*",
                        "Name=vpc-id,Values=" + n["vpc"])["Subnets"]
        self.assertEqual({s["SubnetId"] for s in tier}, {n["private-a"], n["private-b"]})

        rtbs = self.cli("describe-route-tables", "--filters", "Name=vpc-id,Values=" + n["vpc"])["RouteTables"]
        self.assertEqual(len(rtbs), 3)
        public = next(r for r in rtbs if r["RouteTableId"] == n["rtb-public"])
        self.assertEqual({a["SubnetId"] for a in public["Associations"]}, {n["public-a"], n["public-b"]})
        self.assertEqual([(r["DestinationCidrBlock"], r.get("GatewayId")) for r in public["Routes"]],
                         [("10.0.0.0/16", "local"), ("0.0.0.0/0", n["igw"])])
        private = self.cli("describe-route-tables", "--filters",
                           "Name=association.subnet-id,Values=" + n["private-b"])["RouteTables"]
        self.assertEqual(private[0]["Routes"][1]["NatGatewayId"], n["nat"])
        main = [r for r in rtbs if any(a["Main"] for a in r["Associations"])]
        self.assertEqual(len(main), 1)

        sgs = {g["GroupId"]: g for g in self.cli("describe-security-groups", "--filters",
                                                   "Name=vpc-id,Values=" + n["vpc"])["SecurityGroups"]}
        self.assertEqual(len(sgs), 4)  # default + 3
        alb = sgs[n["sg-alb"]]
        self.assertEqual(sorted((p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in alb["IpPermissions"]),
                         [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")])
        self.assertEqual(alb["IpPermissionsEgress"][0]["IpProtocol"], "-1")
        self.assertEqual(alb["IpPermissionsEgress"][0]["IpRanges"], [{"CidrIp": "0.0.0.0/0"}])
        db = sgs[n["sg-db"]]["IpPermissions"][0]
        self.assertEqual(db["UserIdGroupPairs"], [{"GroupId": n["sg-app"], "UserId": "000000000000",
                                                   "Description": "app"}])
        refs = self.cli("describe-security-groups", "--filters",
                        "Name=ip-permission.group-id,Values=" + n["sg-alb"])["SecurityGroups"]
        self.assertEqual([g["GroupId"] for g in refs], [n["sg-app"]])
        rules = self.cli("describe-security-group-rules", "--filters",
                         "Name=group-id,Values=" + n["sg-app"])["SecurityGroupRules"]
        self.assertEqual(len(rules), 3)  # 80, 443 and the default egress
        self.assertTrue(all(r["SecurityGroupRuleId"].startswith("sgr-") for r in rules))

        addresses = self.cli("describe-addresses")["Addresses"]
        self.assertEqual(addresses[0]["AllocationId"], n["eip"])
        self.assertTrue(addresses[0]["NetworkInterfaceId"].startswith("eni-"))
        enis = self.cli("describe-network-interfaces", "--filters",
                        "Name=subnet-id,Values=" + n["public-a"])["NetworkInterfaces"]
        self.assertEqual(enis[0]["InterfaceType"], "nat_gateway")
        self.assertEqual(enis[0]["PrivateIpAddress"], "10.0.1.4")
        self.assertEqual(enis[0]["Association"]["PublicIp"], addresses[0]["PublicIp"])

        self.teardown_wrong_order(n)
        self.teardown(n)

    def expect(self, code, *args):
        with self.assertAwsError(code):
            self.cli(*args)

    def teardown_wrong_order(self, n):
        dv = "DependencyViolation"
        self.expect(dv, "delete-vpc", "--vpc-id", n["vpc"])
        self.expect(dv, "delete-subnet", "--subnet-id", n["public-a"])
        self.expect(dv, "delete-internet-gateway", "--internet-gateway-id", n["igw"])
        self.expect(dv, "detach-internet-gateway", "--internet-gateway-id", n["igw"], "--vpc-id", n["vpc"])
        self.expect(dv, "delete-route-table", "--route-table-id", n["rtb-public"])
        self.expect(dv, "delete-security-group", "--group-id", n["sg-alb"])
        self.expect(dv, "delete-security-group", "--group-id", n["sg-app"])
        self.expect("InvalidIPAddress.InUse", "release-address", "--allocation-id", n["eip"])
        with self.assertAwsError(dv, message="The vpc '%s' has dependencies and cannot be deleted." % n["vpc"]):
            self.cli("delete-vpc", "--vpc-id", n["vpc"])

    def teardown(self, n):
        self.emulator.admin("POST", "/_drydock/clock", {"mode": "manual"})
        try:
            self.cli("delete-nat-gateway", "--nat-gateway-id", n["nat"])
            self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 120})
            nat = self.cli("describe-nat-gateways", "--nat-gateway-ids", n["nat"])["NatGateways"][0]
            self.assertEqual(nat["State"], "deleted")
        finally:
            self.emulator.admin("POST", "/_drydock/clock", {"mode": "real"})
        self.cli("release-address", "--allocation-id", n["eip"])
        for name in ("db", "app", "alb"):
            self.cli("delete-security-group", "--group-id", n["sg-" + name])
        for key in ("assoc-public-a", "assoc-public-b", "assoc-private-a", "assoc-private-b"):
            self.cli("disassociate-route-table", "--association-id", n[key])
        self.cli("delete-route-table", "--route-table-id", n["rtb-public"])
        self.cli("delete-route-table", "--route-table-id", n["rtb-private"])
        self.cli("detach-internet-gateway", "--internet-gateway-id", n["igw"], "--vpc-id", n["vpc"])
        self.cli("delete-internet-gateway", "--internet-gateway-id", n["igw"])
        for key in ("public-a", "public-b", "private-a", "private-b"):
            self.cli("delete-subnet", "--subnet-id", n[key])
        self.cli("delete-vpc", "--vpc-id", n["vpc"])
        self.assertEqual(self.cli("describe-vpcs", "--filters", "Name=vpc-id,Values=" + n["vpc"])["Vpcs"], [])
        # what came with the VPC went with it
        self.assertEqual(self.cli("describe-security-groups", "--filters",
                                  "Name=vpc-id,Values=" + n["vpc"])["SecurityGroups"], [])
        self.assertEqual(self.cli("describe-route-tables", "--filters",
                                  "Name=vpc-id,Values=" + n["vpc"])["RouteTables"], [])

    # ---- NAT gateways on the manual clock ---------------------------------------------

    def test_nat_gateway_lifecycle(self):
        ec2 = self.ec2()
        self.emulator.admin("POST", "/_drydock/clock", {"mode": "manual"})
        try:
            vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
            nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc,
                                         TagSpecifications=[{"ResourceType": "natgateway",
                                                             "Tags": [{"Key": "Name", "Value": "n1"}]}])["NatGateway"]
            nid = nat["NatGatewayId"]
            self.assertRegex(nid, r"^nat-[0-9a-f]{17}$")
            self.assertEqual(nat["State"], "pending")
            self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 0.1})
            self.assertEqual(ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"], "pending")
            self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 120})
            got = ec2.describe_nat_gateways(Filter=[{"Name": "state", "Values": ["available"]}])["NatGateways"]
            self.assertEqual([g["NatGatewayId"] for g in got], [nid])
            self.assertEqual(got[0]["NatGatewayAddresses"][0]["AllocationId"], alloc)
            self.assertEqual(self.tags(got[0]), {"Name": "n1"})
            with self.assertAwsError("Resource.AlreadyAssociated"):
                ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)
            # a private NAT gateway needs no address
            private = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")["NatGateway"]
            self.assertEqual(private["ConnectivityType"], "private")
            ec2.delete_nat_gateway(NatGatewayId=nid)
            self.assertEqual(ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"], "deleting")
            self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 120})
            gone = ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]
            self.assertEqual(gone["State"], "deleted")
            self.assertIn("DeleteTime", gone)
            self.assertNotIn("AssociationId", ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0])
            # a deleted gateway disappears after an hour
            self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 3700})
            with self.assertAwsError("NatGatewayNotFound"):
                ec2.describe_nat_gateways(NatGatewayIds=[nid])
            # without an internet gateway a public NAT gateway fails
            vpc2 = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
            sub2 = ec2.create_subnet(VpcId=vpc2, CidrBlock="10.2.0.0/24")["Subnet"]["SubnetId"]
            failed = ec2.create_nat_gateway(SubnetId=sub2, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
            self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 120})
            f = ec2.describe_nat_gateways(NatGatewayIds=[failed])["NatGateways"][0]
            self.assertEqual((f["State"], f["FailureCode"]), ("failed", "Gateway.NotAttached"))
        finally:
            self.emulator.admin("POST", "/_drydock/clock", {"mode": "real"})

    def test_nat_gateway_real_time(self):
        ec2 = self.ec2()
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nid = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
        waiter = ec2.get_waiter("nat_gateway_available")
        waiter.wait(NatGatewayIds=[nid], WaiterConfig={"Delay": 1, "MaxAttempts": 10})

    # ---- errors ----------------------------------------------------------------------------

    def test_not_found_and_malformed(self):
        ec2 = self.ec2()
        missing = "0123456789abcdef0"
        cases = [
            ("InvalidVpcID.NotFound", lambda: ec2.describe_vpcs(VpcIds=["vpc-" + missing])),
            ("InvalidVpcID.Malformed", lambda: ec2.describe_vpcs(VpcIds=["nope"])),
            ("InvalidVpcID.NotFound", lambda: ec2.delete_vpc(VpcId="vpc-" + missing)),
            ("InvalidSubnetID.NotFound", lambda: ec2.describe_subnets(SubnetIds=["subnet-" + missing])),
            ("InvalidSubnetID.Malformed", lambda: ec2.delete_subnet(SubnetId="subnet-xyz")),
            ("InvalidInternetGatewayID.NotFound",
             lambda: ec2.describe_internet_gateways(InternetGatewayIds=["igw-" + missing])),
            ("InvalidRouteTableID.NotFound", lambda: ec2.describe_route_tables(RouteTableIds=["rtb-" + missing])),
            ("InvalidRouteTableID.Malformed", lambda: ec2.delete_route_table(RouteTableId="rtb-zz")),
            ("InvalidGroup.NotFound", lambda: ec2.describe_security_groups(GroupIds=["sg-" + missing])),
            ("InvalidGroupId.Malformed", lambda: ec2.describe_security_groups(GroupIds=["group1"])),
            ("InvalidGroup.NotFound", lambda: ec2.describe_security_groups(GroupNames=["nope"])),
            ("InvalidNetworkInterfaceID.NotFound",
             lambda: ec2.describe_network_interfaces(NetworkInterfaceIds=["eni-" + missing])),
            ("InvalidNetworkInterfaceID.Malformed",
             lambda: ec2.delete_network_interface(NetworkInterfaceId="eni-q")),
            ("InvalidAllocationID.NotFound", lambda: ec2.release_address(AllocationId="eipalloc-" + missing)),
            ("InvalidAllocationID.Malformed", lambda: ec2.describe_addresses(AllocationIds=["eipalloc-q"])),
            ("InvalidAddress.NotFound", lambda: ec2.describe_addresses(PublicIps=["1.2.3.4"])),
            ("InvalidAssociationID.NotFound", lambda: ec2.disassociate_address(AssociationId="eipassoc-" + missing)),
            ("InvalidAssociationID.NotFound",
             lambda: ec2.disassociate_route_table(AssociationId="rtbassoc-" + missing)),
            ("NatGatewayNotFound", lambda: ec2.delete_nat_gateway(NatGatewayId="nat-" + missing)),
            ("InvalidKeyPair.NotFound", lambda: ec2.describe_key_pairs(KeyNames=["nope"])),
            ("InvalidSecurityGroupRuleId.NotFound",
             lambda: ec2.describe_security_group_rules(SecurityGroupRuleIds=["sgr-" + missing])),
            ("InvalidID", lambda: ec2.create_tags(Resources=["bogus"], Tags=[{"Key": "a", "Value": "b"}])),
            ("InvalidVpcID.NotFound",
             lambda: ec2.create_tags(Resources=["vpc-" + missing], Tags=[{"Key": "a", "Value": "b"}])),
        ]
        for code, call in cases:
            with self.subTest(code=code):
                with self.assertAwsError(code, status=400):
                    call()
        with self.assertAwsError("InvalidVpcID.NotFound", message="The vpc ID 'vpc-%s' does not exist" % missing):
            self.cli("describe-vpcs", "--vpc-ids", "vpc-" + missing)

    def test_conflicts_and_duplicates(self):
        ec2 = self.ec2()
        with self.assertAwsError("InvalidVpc.Range", message="The CIDR '10.0.0.0/8' is invalid."):
            ec2.create_vpc(CidrBlock="10.0.0.0/8")
        with self.assertAwsError("InvalidVpc.Range"):
            ec2.create_vpc(CidrBlock="10.0.0.0/29")
        with self.assertAwsError("InvalidParameterValue"):
            ec2.create_vpc(CidrBlock="10.0.0/16")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZoneId="use1-az1")
        with self.assertAwsError("InvalidSubnet.Conflict", message="The CIDR '10.0.0.0/25' conflicts with another subnet"):
            ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/25")
        with self.assertAwsError("InvalidSubnet.Range"):
            ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")
        with self.assertAwsError("InvalidSubnet.Range"):
            ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/29")
        with self.assertAwsError("InvalidParameterValue"):
            ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1z")
        # a second CIDR block makes room for more subnets
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")

        sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        with self.assertAwsError("InvalidGroup.Duplicate",
                                 message="The security group 'web' already exists for VPC '%s'" % vpc):
            ec2.create_security_group(GroupName="web", Description="again", VpcId=vpc)
        ec2.create_security_group(GroupName="web", Description="other vpc")  # default VPC: fine
        perm = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
        out = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perm)
        self.assertEqual(out["SecurityGroupRules"][0]["FromPort"], 22)
        with self.assertAwsError("InvalidPermission.Duplicate",
                                 message='the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, '
                                         'ALLOW" already exists'):
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perm)
        with self.assertAwsError("InvalidPermission.Duplicate"):
            ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perm)
        with self.assertAwsError("InvalidPermission.NotFound"):
            ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perm)
        with self.assertAwsError("InvalidParameterValue"):
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        # revoke by rule id; egress back to nothing
        rule = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])
        ids = [r["SecurityGroupRuleId"] for r in rule["SecurityGroupRules"] if r["IsEgress"]]
        ec2.revoke_security_group_egress(GroupId=sg, SecurityGroupRuleIds=ids)
        g = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
        self.assertEqual((g["IpPermissions"], g["IpPermissionsEgress"]), ([], []))
        default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                        {"Name": "group-name", "Values": ["default"]}])
        with self.assertAwsError("CannotDelete"):
            ec2.delete_security_group(GroupId=default["SecurityGroups"][0]["GroupId"])
        with self.assertAwsError("InvalidParameterValue"):
            ec2.create_security_group(GroupName="default", Description="x", VpcId=vpc)

        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        with self.assertAwsError("Resource.AlreadyAssociated"):
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        igw2 = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        with self.assertAwsError("InvalidParameterValue"):
            ec2.attach_internet_gateway(InternetGatewayId=igw2, VpcId=vpc)
        with self.assertAwsError("Gateway.NotAttached"):
            ec2.detach_internet_gateway(InternetGatewayId=igw2, VpcId=vpc)

        rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        with self.assertAwsError("RouteAlreadyExists"):
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        with self.assertAwsError("InvalidGatewayID.NotFound"):
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="1.0.0.0/8", GatewayId="igw-0123456789abcdef0")
        with self.assertAwsError("InvalidParameterValue"):  # igw2 is not attached to this VPC
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="1.0.0.0/8", GatewayId=igw2)
        with self.assertAwsError("InvalidRoute.NotFound"):
            ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="9.9.9.0/24")
        with self.assertAwsError("InvalidParameterValue"):
            ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16")
        sub = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=sub)
        with self.assertAwsError("Resource.AlreadyAssociated"):
            ec2.associate_route_table(RouteTableId=rtb, SubnetId=sub)
        other = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
        with self.assertAwsError("InvalidParameterValue"):
            ec2.associate_route_table(RouteTableId=rtb, SubnetId=other["SubnetId"])
        main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "association.main", "Values": ["true"]}])
        main_assoc = [a for a in main["RouteTables"][0]["Associations"] if a["Main"]][0]
        with self.assertAwsError("InvalidParameterValue"):
            ec2.disassociate_route_table(AssociationId=main_assoc["RouteTableAssociationId"])
        # the main association can move to another table
        new = ec2.replace_route_table_association(AssociationId=main_assoc["RouteTableAssociationId"],
                                                  RouteTableId=rtb)["NewAssociationId"]
        now_main = ec2.describe_route_tables(Filters=[{"Name": "association.route-table-association-id",
                                                       "Values": [new]}])["RouteTables"]
        self.assertEqual(now_main[0]["RouteTableId"], rtb)
        ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        with self.assertAwsError("InvalidParameterValue"):
            ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="8.8.8.0/24", GatewayId=igw)

        key = ec2.create_key_pair(KeyName="k1")
        with self.assertAwsError("InvalidKeyPair.Duplicate"):
            ec2.create_key_pair(KeyName="k1")
        self.assertTrue(key["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----"))

    def test_dry_run(self):
        ec2 = self.ec2()
        with self.assertAwsError("DryRunOperation", status=412,
                                 message="Request would have succeeded, but DryRun flag is set."):
            ec2.create_vpc(CidrBlock="10.0.0.0/16", DryRun=True)
        self.assertEqual(len(ec2.describe_vpcs()["Vpcs"]), 1)  # nothing was created
        with self.assertAwsError("InvalidVpc.Range"):  # a call that would fail says why
            ec2.create_vpc(CidrBlock="10.0.0.0/8", DryRun=True)
        with self.assertAwsError("DryRunOperation"):
            ec2.describe_subnets(DryRun=True)
        with self.assertAwsError("DryRunOperation"):
            self.cli("create-security-group", "--group-name", "x", "--description", "x", "--dry-run")

    # ---- tags, filters and pagination -----------------------------------------------------

    def test_tags(self):
        ec2 = self.ec2()
        vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "one"}, {"Key": "env", "Value": "dev"}]}])["Vpc"]
        vid = vpc["VpcId"]
        ec2.create_tags(Resources=[vid], Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}])
        got = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]
        self.assertEqual(self.tags(got), {"Name": "one", "env": "prod", "team": "core"})
        ec2.delete_tags(Resources=[vid], Tags=[{"Key": "team"}, {"Key": "env", "Value": "dev"}])
        self.assertEqual(self.tags(ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]), {"Name": "one", "env": "prod"})
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vid]}])["Tags"]
        self.assertEqual(sorted((t["Key"], t["ResourceType"]) for t in tags), [("Name", "vpc"), ("env", "vpc")])
        for name, values, hit in [("tag:env", ["prod"], True), ("tag:env", ["p?od"], True),
                                  ("tag:env", ["dev"], False), ("tag-key", ["N*"], True),
                                  ("tag-value", ["on?"], True), ("tag-value", ["x*"], False)]:
            found = ec2.describe_vpcs(Filters=[{"Name": name, "Values": values}])["Vpcs"]
            self.assertEqual([v["VpcId"] for v in found], [vid] if hit else [], (name, values))
        with self.assertAwsError("InvalidParameterValue"):
            ec2.create_vpc(CidrBlock="10.4.0.0/16", TagSpecifications=[
                {"ResourceType": "subnet", "Tags": [{"Key": "a", "Value": "b"}]}])
        eni_subnet = ec2.create_subnet(VpcId=vid, CidrBlock="10.3.0.0/28")["Subnet"]
        self.assertEqual(eni_subnet["AvailableIpAddressCount"], 11)
        eni = ec2.create_network_interface(SubnetId=eni_subnet["SubnetId"], Description="task", TagSpecifications=[
            {"ResourceType": "network-interface", "Tags": [{"Key": "k", "Value": "v"}]}])["NetworkInterface"]
        self.assertEqual(self.tags(eni, "TagSet"), {"k": "v"})
        self.assertEqual(eni["PrivateIpAddress"], "10.3.0.4")
        self.assertEqual(eni["PrivateDnsName"], "ip-10-3-0-4.ec2.internal")
        self.assertEqual(eni["Groups"][0]["GroupName"], "default")
        fixed = ec2.create_network_interface(SubnetId=eni_subnet["SubnetId"], PrivateIpAddress="10.3.0.9")
        self.assertEqual(fixed["NetworkInterface"]["PrivateIpAddress"], "10.3.0.9")
        with self.assertAwsError("InvalidIPAddress.InUse"):
            ec2.create_network_interface(SubnetId=eni_subnet["SubnetId"], PrivateIpAddress="10.3.0.9")
        sub = ec2.describe_subnets(SubnetIds=[eni_subnet["SubnetId"]])["Subnets"][0]
        self.assertEqual(sub["AvailableIpAddressCount"], 9)
        with self.assertAwsError("DependencyViolation",
                                 message="The subnet '%s' has dependencies" % eni_subnet["SubnetId"]):
            ec2.delete_subnet(SubnetId=eni_subnet["SubnetId"])
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
        sub = ec2.describe_subnets(SubnetIds=[eni_subnet["SubnetId"]])["Subnets"][0]
        self.assertEqual(sub["AvailableIpAddressCount"], 10)

    def test_key_pairs(self):
        ec2 = self.ec2()
        rsa = ec2.create_key_pair(KeyName="rsa-key")
        self.assertRegex(rsa["KeyFingerprint"], r"^([0-9a-f]{2}:){19}[0-9a-f]{2}$")
        self.assertRegex(rsa["KeyPairId"], r"^key-[0-9a-f]{17}$")
        ed = ec2.create_key_pair(KeyName="ed-key", KeyType="ed25519")
        self.assertNotIn(":", ed["KeyFingerprint"])
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", d + "/k"], check=True)
            with open(d + "/k.pub") as f:
                pub = f.read()
            out = subprocess.run(["ssh-keygen", "-e", "-m", "PKCS8", "-f", d + "/k.pub"], capture_output=True,
                                 text=True, check=True).stdout
        der = base64.b64decode("".join(line for line in out.splitlines() if not line.startswith("-----")))
        import hashlib
        expected = ":".join(re.findall("..", hashlib.md5(der).hexdigest()))
        imported = self.cli("import-key-pair", "--key-name", "mine", "--public-key-material",
                            base64.b64encode(pub.encode()).decode())
        self.assertEqual(imported["KeyFingerprint"], expected)
        with self.assertAwsError("InvalidKey.Format"):
            ec2.import_key_pair(KeyName="bad", PublicKeyMaterial=b"not a key")
        keys = ec2.describe_key_pairs(IncludePublicKey=True)["KeyPairs"]
        self.assertEqual(sorted(k["KeyName"] for k in keys), ["ed-key", "mine", "rsa-key"])
        mine = [k for k in keys if k["KeyName"] == "mine"][0]
        self.assertTrue(mine["PublicKey"].startswith("ssh-rsa "))
        self.assertEqual(ec2.describe_key_pairs(Filters=[{"Name": "key-type", "Values": ["ed25519"]}])["KeyPairs"][0]
                         ["KeyName"], "ed-key")
        ec2.delete_key_pair(KeyName="rsa-key")
        ec2.delete_key_pair(KeyName="rsa-key")  # idempotent, as in AWS
        self.assertEqual(len(ec2.describe_key_pairs()["KeyPairs"]), 2)

    def test_pagination_and_filters_at_scale(self):
        ec2 = self.ec2()
        vpcs = [ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"] for i in (10, 11)]
        created = []
        for i in range(1100):
            vpc = vpcs[i % 2]
            s = ec2.create_subnet(VpcId=vpc, CidrBlock="10.%d.%d.%d/28" % (10 + i % 2, (i // 2) // 16,
                                                                           ((i // 2) % 16) * 16),
                                  TagSpecifications=[{"ResourceType": "subnet",
                                                      "Tags": [{"Key": "n", "Value": "s%04d" % i}]}])
            created.append(s["Subnet"]["SubnetId"])
        # every page of a filtered listing, in order, nothing lost or repeated
        paginator = ec2.get_paginator("describe_subnets")
        seen, pages = [], 0
        for page in paginator.paginate(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]]}],
                                       PaginationConfig={"PageSize": 100}):
            pages += 1
            self.assertLessEqual(len(page["Subnets"]), 100)
            seen += [s["SubnetId"] for s in page["Subnets"]]
        self.assertEqual(seen, created[0::2])
        self.assertEqual(pages, 6)
        everything = [s["SubnetId"] for p in paginator.paginate(PaginationConfig={"PageSize": 1000})
                      for s in p["Subnets"]]
        self.assertEqual(len(everything), 1100 + 6)
        wild = ec2.describe_subnets(Filters=[{"Name": "tag:n", "Values": ["s10?0", "s00*7"]}])["Subnets"]
        self.assertEqual(len(wild), 10 + 10)
        one = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.11.1.16/28"]}])["Subnets"]
        self.assertEqual(len(one), 1)
        tags = [t for p in ec2.get_paginator("describe_tags").paginate(
            Filters=[{"Name": "resource-type", "Values": ["subnet"]}], PaginationConfig={"PageSize": 300})
            for t in p["Tags"]]
        self.assertEqual(len(tags), 1100)
        # a thousand groups, by name, by page
        for i in range(1000):
            ec2.create_security_group(GroupName="g%04d" % i, Description="d", VpcId=vpcs[i % 2])
        byname = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["g0421"]}])
        self.assertEqual(len(byname["SecurityGroups"]), 1)
        groups = [g for p in ec2.get_paginator("describe_security_groups").paginate(
            Filters=[{"Name": "vpc-id", "Values": [vpcs[1]]}], PaginationConfig={"PageSize": 200})
            for g in p["SecurityGroups"]]
        self.assertEqual(len(groups), 501)
        with self.assertAwsError("InvalidParameterValue"):
            ec2.describe_subnets(NextToken="garbage")


if __name__ == "__main__":
    harness.main()
