"""EC2 instances: RunInstances with the real AWS CLI, the lifecycle on the
manual clock, AWS's validation errors, launch templates and their versions,
the public SSM AMI parameters, instance types and images, filters and paging,
user data and the CPU metric of the simulated load (boto3).
"""
import base64
import json

import harness

ECS_AL2023 = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"


class Ec2InstancesTest(harness.ManualClockTest):
    def setUp(self):
        super().setUp()
        self.ec2 = self.client("ec2")
        self.ami = self.client("ssm").get_parameter(Name=ECS_AL2023)["Parameter"]["Value"]

    def run1(self, **kw):
        args = {"ImageId": self.ami, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
        args.update(kw)
        return self.ec2.run_instances(**args)["Instances"]

    def state(self, iid):
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]

    def network(self):
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                                        AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        sg = self.ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
        return vpc, subnet, sg

    # ---- the main flow, with the AWS CLI ------------------------------------------------

    def test_cli_lifecycle(self):
        vpc, subnet, sg = self.network()
        out = self.aws("ec2", "run-instances", "--image-id", self.ami, "--instance-type", "t3.medium",
                       "--count", "2", "--subnet-id", subnet, "--security-group-ids", sg,
                       "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=node}]")
        self.assertRegex(out["ReservationId"], r"^r-[0-9a-f]{17}$")
        self.assertEqual(out["OwnerId"], "000000000000")
        insts = out["Instances"]
        self.assertEqual(len(insts), 2)
        i = insts[0]
        self.assertRegex(i["InstanceId"], r"^i-[0-9a-f]{17}$")
        self.assertEqual(i["State"], {"Code": 0, "Name": "pending"})
        self.assertEqual(i["PrivateIpAddress"], "10.0.1.4")
        self.assertEqual(i["PrivateDnsName"], "ip-10-0-1-4.ec2.internal")
        self.assertEqual(insts[1]["PrivateIpAddress"], "10.0.1.5")
        self.assertEqual(i["SubnetId"], subnet)
        self.assertEqual(i["VpcId"], vpc)
        self.assertEqual(i["Placement"]["AvailabilityZone"], "us-east-1a")
        self.assertEqual(i["SecurityGroups"], [{"GroupId": sg, "GroupName": "web"}])
        self.assertEqual(i["Architecture"], "x86_64")
        self.assertEqual([x["AmiLaunchIndex"] for x in insts], [0, 1])
        self.assertNotIn("PublicIpAddress", i)  # the subnet does not map public IPs
        self.assertEqual({t["Key"]: t["Value"] for t in i["Tags"]}, {"Name": "node"})
        eni = i["NetworkInterfaces"][0]
        enis = self.ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])
        self.assertEqual(enis["NetworkInterfaces"][0]["Attachment"]["InstanceId"], i["InstanceId"])
        self.assertEqual(enis["NetworkInterfaces"][0]["Status"], "in-use")
        self.assertFalse(enis["NetworkInterfaces"][0]["RequesterManaged"])
        ids = [x["InstanceId"] for x in insts]

        self.advance(1)
        desc = self.aws("ec2", "describe-instances", "--instance-ids", *ids)
        self.assertEqual(len(desc["Reservations"]), 1)
        self.assertEqual({x["State"]["Name"] for x in desc["Reservations"][0]["Instances"]}, {"running"})

        stop = self.aws("ec2", "stop-instances", "--instance-ids", ids[0])["StoppingInstances"][0]
        self.assertEqual(stop["PreviousState"]["Name"], "running")
        self.assertEqual(stop["CurrentState"], {"Code": 64, "Name": "stopping"})
        got = self.ec2.describe_instances(InstanceIds=[ids[0]])["Reservations"][0]["Instances"][0]
        self.assertRegex(got["StateTransitionReason"], r"^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$")
        self.assertEqual(got["StateReason"]["Code"], "Client.UserInitiatedShutdown")
        self.advance(1)
        self.assertEqual(self.state(ids[0]), "stopped")
        start = self.aws("ec2", "start-instances", "--instance-ids", ids[0])["StartingInstances"][0]
        self.assertEqual(start["CurrentState"]["Name"], "pending")
        self.advance(1)
        self.assertEqual(self.state(ids[0]), "running")
        self.aws("ec2", "reboot-instances", "--instance-ids", ids[0])
        self.assertEqual(self.state(ids[0]), "running")

        # the instance's interface keeps its subnet, group and VPC
        with self.assertAwsError("DependencyViolation"):
            self.ec2.delete_subnet(SubnetId=subnet)
        with self.assertAwsError("DependencyViolation"):
            self.ec2.delete_security_group(GroupId=sg)
        with self.assertAwsError("DependencyViolation"):
            self.ec2.delete_vpc(VpcId=vpc)
        with self.assertAwsError("InvalidParameterValue", message="is currently in use"):
            self.ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])

        term = self.aws("ec2", "terminate-instances", "--instance-ids", *ids)["TerminatingInstances"]
        self.assertEqual({t["CurrentState"]["Name"] for t in term}, {"shutting-down"})
        self.advance(1)
        gone = self.ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"]
        self.assertEqual({x["State"]["Name"] for x in gone}, {"terminated"})
        self.assertEqual(gone[0]["NetworkInterfaces"], [])
        with self.assertAwsError("IncorrectInstanceState"):
            self.ec2.start_instances(InstanceIds=[ids[0]])
        self.ec2.delete_security_group(GroupId=sg)
        self.ec2.delete_subnet(SubnetId=subnet)
        self.ec2.delete_vpc(VpcId=vpc)
        # terminated instances stay visible for about an hour
        self.advance(3700)
        self.assertEqual(self.ec2.describe_instances()["Reservations"], [])
        with self.assertAwsError("InvalidInstanceID.NotFound", message="The instance ID '%s' does not exist" % ids[0]):
            self.ec2.describe_instances(InstanceIds=[ids[0]])

    def test_default_subnet_public_ip_and_idempotency(self):
        i = self.run1(ClientToken="tok-1")[0]
        default_vpc = [v for v in self.ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]][0]["VpcId"]
        self.assertEqual(i["VpcId"], default_vpc)
        self.assertTrue(i["PrivateIpAddress"].startswith("172.31."))
        self.assertRegex(i["PublicIpAddress"], r"^\d+\.\d+\.\d+\.\d+$")
        self.assertTrue(i["PublicDnsName"].endswith(".compute-1.amazonaws.com"))
        self.assertEqual([g["GroupName"] for g in i["SecurityGroups"]], ["default"])
        # a stop releases the public address, a start brings a new one
        self.advance(1)
        self.ec2.stop_instances(InstanceIds=[i["InstanceId"]])
        self.advance(1)
        stopped = self.ec2.describe_instances(InstanceIds=[i["InstanceId"]])["Reservations"][0]["Instances"][0]
        self.assertNotIn("PublicIpAddress", stopped)
        self.assertEqual(stopped["PublicDnsName"], "")
        self.ec2.start_instances(InstanceIds=[i["InstanceId"]])
        started = self.ec2.describe_instances(InstanceIds=[i["InstanceId"]])["Reservations"][0]["Instances"][0]
        self.assertIn("PublicIpAddress", started)
        again = self.run1(ClientToken="tok-1")[0]
        self.assertEqual(again["InstanceId"], i["InstanceId"])
        self.assertEqual(len(self.ec2.describe_instances()["Reservations"]), 1)
        with self.assertAwsError("DryRunOperation"):
            self.run1(DryRun=True)
        self.assertEqual(len(self.ec2.describe_instances()["Reservations"]), 1)
        wanted = i["PrivateIpAddress"].rsplit(".", 1)[0] + ".200"
        named = self.run1(SecurityGroups=["default"], PrivateIpAddress=wanted, SubnetId=i["SubnetId"])[0]
        self.assertTrue(named["PrivateIpAddress"].endswith(".200"))

    # ---- validation ---------------------------------------------------------------------

    def test_validation_errors(self):
        vpc, subnet, sg = self.network()
        with self.assertAwsError("InvalidAMIID.Malformed", message='Invalid id: "ami-xyz"'):
            self.run1(ImageId="ami-xyz")
        with self.assertAwsError("InvalidAMIID.NotFound",
                                 message="The image id '[ami-0123456789abcdef0]' does not exist"):
            self.run1(ImageId="ami-0123456789abcdef0")
        with self.assertAwsError("InvalidParameterValue", message="Invalid value 'p3.2xlarge' for InstanceType."):
            self.run1(InstanceType="p3.2xlarge")  # a type of the model drydock does not offer
        with self.assertAwsError("InvalidParameterValue",
                                 message="The architecture 'arm64' of the specified instance type"):
            self.run1(InstanceType="t4g.small")
        with self.assertAwsError("InvalidSubnetID.NotFound"):
            self.run1(SubnetId="subnet-0123456789abcdef0")
        with self.assertAwsError("InvalidGroup.NotFound"):
            self.run1(SubnetId=subnet, SecurityGroupIds=["sg-0123456789abcdef0"])
        with self.assertAwsError("InvalidGroup.NotFound", message="does not exist in default VPC"):
            self.run1(SecurityGroups=["web"])  # "web" lives in another VPC
        with self.assertAwsError("InvalidParameter", message="belong to different networks"):
            self.run1(SecurityGroupIds=[sg])  # default subnet, group of another VPC
        with self.assertAwsError("InvalidParameterValue",
                                 message="Value (nope) for parameter iamInstanceProfile.name is invalid. "
                                         "Invalid IAM Instance Profile name"):
            self.run1(IamInstanceProfile={"Name": "nope"})
        with self.assertAwsError("InvalidKeyPair.NotFound", message="The key pair 'nokey' does not exist"):
            self.run1(KeyName="nokey")
        with self.assertAwsError("InvalidParameterValue"):
            self.run1(MinCount=3, MaxCount=2)
        with self.assertAwsError("InvalidParameterValue", message="not a valid taggable resource type"):
            self.run1(TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}])
        with self.assertAwsError("InvalidParameterValue", message="reserved for internal use"):
            self.run1(TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "aws:x", "Value": "b"}]}])
        with self.assertAwsError("InvalidIPAddress.InUse"):
            self.run1(SubnetId=subnet, PrivateIpAddress="10.0.1.9")
            self.run1(SubnetId=subnet, PrivateIpAddress="10.0.1.9")
        with self.assertAwsError("InvalidInstanceID.Malformed"):
            self.ec2.stop_instances(InstanceIds=["i-zz"])
        with self.assertAwsError("InvalidInstanceID.NotFound"):
            self.ec2.terminate_instances(InstanceIds=["i-0123456789abcdef0"])
        # nothing of the failed calls stayed behind
        self.assertEqual(len(self.ec2.describe_instances()["Reservations"]), 1)

    def test_profile_key_metadata_and_tags(self):
        iam = self.client("iam")
        iam.create_instance_profile(InstanceProfileName="ecs-node")
        arn = iam.get_instance_profile(InstanceProfileName="ecs-node")["InstanceProfile"]["Arn"]
        self.ec2.create_key_pair(KeyName="ops")
        i = self.run1(IamInstanceProfile={"Name": "ecs-node"}, KeyName="ops",
                      MetadataOptions={"HttpTokens": "optional", "HttpPutResponseHopLimit": 1},
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "a"}]},
                                         {"ResourceType": "volume", "Tags": [{"Key": "team", "Value": "a"}]},
                                         {"ResourceType": "network-interface",
                                          "Tags": [{"Key": "nic", "Value": "1"}]}])[0]
        self.assertEqual(i["IamInstanceProfile"]["Arn"], arn)
        self.assertEqual(i["KeyName"], "ops")
        self.assertEqual(i["MetadataOptions"]["HttpTokens"], "optional")
        self.assertEqual(i["MetadataOptions"]["HttpPutResponseHopLimit"], 1)
        eni = self.ec2.describe_network_interfaces(
            NetworkInterfaceIds=[i["NetworkInterfaces"][0]["NetworkInterfaceId"]])["NetworkInterfaces"][0]
        self.assertEqual(eni["TagSet"], [{"Key": "nic", "Value": "1"}])
        by_arn = self.ec2.describe_instances(Filters=[{"Name": "iam-instance-profile.arn", "Values": [arn]}])
        self.assertEqual(len(by_arn["Reservations"]), 1)
        with self.assertAwsError("InvalidParameterValue", message="iamInstanceProfile.arn is invalid"):
            self.run1(IamInstanceProfile={"Arn": arn + "x"})
        # the instance's tags through the tag operations
        self.ec2.create_tags(Resources=[i["InstanceId"]], Tags=[{"Key": "env", "Value": "ci"}])
        tags = self.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [i["InstanceId"]]}])["Tags"]
        self.assertEqual({(t["Key"], t["ResourceType"]) for t in tags}, {("team", "instance"), ("env", "instance")})
        self.ec2.delete_tags(Resources=[i["InstanceId"]], Tags=[{"Key": "team"}])
        got = self.ec2.describe_instances(Filters=[{"Name": "tag:env", "Values": ["ci"]}])["Reservations"]
        self.assertEqual([t["Key"] for t in got[0]["Instances"][0]["Tags"]], ["env"])

    # ---- describe: filters and paging ------------------------------------------------------

    def test_filters_and_paging(self):
        vpc, subnet, sg = self.network()
        a = self.run1(SubnetId=subnet, MinCount=3, MaxCount=3)
        b = self.run1(InstanceType="t3.small", TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "role", "Value": "db"}]}])
        self.advance(1)
        self.ec2.stop_instances(InstanceIds=[a[0]["InstanceId"]])

        def ids(filters):
            res = self.ec2.describe_instances(Filters=filters)["Reservations"]
            return sorted(i["InstanceId"] for r in res for i in r["Instances"])

        a_ids = sorted(i["InstanceId"] for i in a)
        self.assertEqual(ids([{"Name": "vpc-id", "Values": [vpc]}]), a_ids)
        self.assertEqual(ids([{"Name": "subnet-id", "Values": [subnet]}]), a_ids)
        self.assertEqual(ids([{"Name": "instance-type", "Values": ["t3.small"]}]), [b[0]["InstanceId"]])
        self.assertEqual(ids([{"Name": "instance-state-name", "Values": ["stopping"]}]), [a[0]["InstanceId"]])
        self.assertEqual(ids([{"Name": "private-ip-address", "Values": ["10.0.1.5"]}]), [a[1]["InstanceId"]])
        self.assertEqual(ids([{"Name": "image-id", "Values": [self.ami]}]), sorted(a_ids + [b[0]["InstanceId"]]))
        self.assertEqual(ids([{"Name": "tag-key", "Values": ["role"]}]), [b[0]["InstanceId"]])
        self.assertEqual(ids([{"Name": "instance-id", "Values": [a[2]["InstanceId"]]}]), [a[2]["InstanceId"]])
        with self.assertAwsError("InvalidParameterValue", message="The filter 'bogus' is invalid"):
            ids([{"Name": "bogus", "Values": ["x"]}])
        # paging: MaxResults 5..1000, not with InstanceIds
        more = self.run1(MinCount=4, MaxCount=4)
        seen, token = [], None
        while True:
            kw = {"MaxResults": 5}
            if token:
                kw["NextToken"] = token
            page = self.ec2.describe_instances(**kw)
            seen += [i["InstanceId"] for r in page["Reservations"] for i in r["Instances"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(len(seen), 8)
        self.assertEqual(len(set(seen)), 8)
        with self.assertAwsError("InvalidParameterValue"):
            self.ec2.describe_instances(MaxResults=3)
        with self.assertAwsError("InvalidParameterCombination"):
            self.ec2.describe_instances(MaxResults=5, InstanceIds=[more[0]["InstanceId"]])
        status = self.ec2.describe_instance_status()["InstanceStatuses"]
        self.assertEqual(len(status), 3)  # running only: one stopping, four pending
        self.assertEqual(status[0]["InstanceStatus"]["Status"], "ok")
        every = self.ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
        self.assertEqual(len(every), 8)

    # ---- user data and attributes ------------------------------------------------------------

    def test_user_data_and_attributes(self):
        script = "#!/bin/bash\necho ECS_CLUSTER=web >> /etc/ecs/ecs.config\n"
        i = self.run1(UserData=script)[0]  # boto3 base64-encodes it
        iid = i["InstanceId"]
        got = self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
        self.assertEqual(base64.b64decode(got).decode(), script)
        t = self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")["InstanceType"]["Value"]
        self.assertEqual(t, "t3.micro")
        with self.assertAwsError("IncorrectInstanceState", message="is not in the 'stopped' state"):
            self.ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.large"})
        self.advance(1)
        self.ec2.stop_instances(InstanceIds=[iid])
        self.advance(1)
        with self.assertAwsError("InvalidParameterValue", message="of architecture 'x86_64'"):
            self.ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t4g.large"})
        self.ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.large"})
        self.ec2.modify_instance_attribute(InstanceId=iid, UserData={"Value": b"new data"})
        self.assertEqual(self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")
                         ["InstanceType"]["Value"], "t3.large")
        got = self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
        self.assertEqual(base64.b64decode(got), b"new data")
        sg = self.ec2.create_security_group(GroupName="extra", Description="x")["GroupId"]
        self.ec2.modify_instance_attribute(InstanceId=iid, Groups=[sg])
        groups = self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="groupSet")["Groups"]
        self.assertEqual([g["GroupId"] for g in groups], [sg])
        with self.assertAwsError("DependencyViolation"):
            self.ec2.delete_security_group(GroupId=sg)
        # the CLI sends user data the same way
        out = self.aws("ec2", "run-instances", "--image-id", self.ami, "--instance-type", "t3.micro",
                       "--user-data", "hello")
        cid = out["Instances"][0]["InstanceId"]
        got = self.ec2.describe_instance_attribute(InstanceId=cid, Attribute="userData")["UserData"]["Value"]
        self.assertEqual(base64.b64decode(got), b"hello")

    # ---- launch templates ------------------------------------------------------------------------

    def test_launch_templates(self):
        vpc, subnet, sg = self.network()
        lt = self.ec2.create_launch_template(
            LaunchTemplateName="nodes", VersionDescription="v1",
            LaunchTemplateData={"ImageId": self.ami, "InstanceType": "t3.small", "SecurityGroupIds": [sg],
                                "UserData": base64.b64encode(b"v1").decode(),
                                "TagSpecifications": [{"ResourceType": "instance",
                                                       "Tags": [{"Key": "from", "Value": "lt"}]}]})["LaunchTemplate"]
        self.assertRegex(lt["LaunchTemplateId"], r"^lt-[0-9a-f]{17}$")
        self.assertEqual((lt["DefaultVersionNumber"], lt["LatestVersionNumber"]), (1, 1))
        with self.assertAwsError("InvalidLaunchTemplateName.AlreadyExistsException"):
            self.ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData={"ImageId": self.ami})
        # lenient at creation: a bad AMI is a warning, and fails at launch
        bad = self.ec2.create_launch_template(LaunchTemplateName="bad",
                                              LaunchTemplateData={"ImageId": "ami-0000000000000000f"})
        self.assertEqual([e["Code"] for e in bad["Warning"]["Errors"]], ["InvalidAMIID.NotFound"])
        self.assertNotIn("Warning", self.ec2.create_launch_template_version(
            LaunchTemplateName="bad", LaunchTemplateData={"ImageId": self.ami}))
        with self.assertAwsError("InvalidAMIID.NotFound"):
            self.ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "bad"})
        v2 = self.ec2.create_launch_template_version(
            LaunchTemplateId=lt["LaunchTemplateId"], SourceVersion="1",
            LaunchTemplateData={"InstanceType": "t3.medium"})["LaunchTemplateVersion"]
        self.assertEqual(v2["VersionNumber"], 2)
        self.assertFalse(v2["DefaultVersion"])
        self.assertEqual(v2["LaunchTemplateData"]["ImageId"], self.ami)  # from the source version
        self.assertEqual(v2["LaunchTemplateData"]["InstanceType"], "t3.medium")
        versions = self.ec2.describe_launch_template_versions(LaunchTemplateName="nodes")["LaunchTemplateVersions"]
        self.assertEqual(sorted(v["VersionNumber"] for v in versions), [1, 2])
        latest = self.ec2.describe_launch_template_versions(LaunchTemplateName="nodes", Versions=["$Latest"])
        self.assertEqual(latest["LaunchTemplateVersions"][0]["VersionNumber"], 2)
        dflt = self.ec2.describe_launch_template_versions(LaunchTemplateName="nodes", Versions=["$Default"])
        self.assertEqual(dflt["LaunchTemplateVersions"][0]["VersionNumber"], 1)
        filt = self.ec2.describe_launch_template_versions(
            LaunchTemplateName="nodes", Filters=[{"Name": "instance-type", "Values": ["t3.medium"]}])
        self.assertEqual([v["VersionNumber"] for v in filt["LaunchTemplateVersions"]], [2])
        # launches: $Default, then an explicit version with the call's own members on top
        i = self.ec2.run_instances(MinCount=1, MaxCount=1, SubnetId=subnet,
                                   LaunchTemplate={"LaunchTemplateName": "nodes"})["Instances"][0]
        self.assertEqual(i["InstanceType"], "t3.small")
        self.assertEqual(i["SecurityGroups"][0]["GroupId"], sg)
        self.assertEqual({t["Key"]: t["Value"] for t in i["Tags"]}, {"from": "lt"})
        j = self.ec2.run_instances(MinCount=1, MaxCount=1, SubnetId=subnet, InstanceType="t3.large",
                                   LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"],
                                                   "Version": "$Latest"})["Instances"][0]
        self.assertEqual(j["InstanceType"], "t3.large")
        ud = self.ec2.describe_instance_attribute(InstanceId=j["InstanceId"], Attribute="userData")
        self.assertEqual(base64.b64decode(ud["UserData"]["Value"]), b"v1")
        with self.assertAwsError("InvalidLaunchTemplateId.VersionNotFound"):
            self.ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "nodes",
                                                                           "Version": "9"})
        with self.assertAwsError("InvalidLaunchTemplateName.NotFoundException"):
            self.ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "nope"})
        with self.assertAwsError("InvalidLaunchTemplateId.NotFound"):
            self.ec2.describe_launch_templates(LaunchTemplateIds=["lt-0123456789abcdef0"])
        mod = self.ec2.modify_launch_template(LaunchTemplateName="nodes", DefaultVersion="2")["LaunchTemplate"]
        self.assertEqual(mod["DefaultVersionNumber"], 2)
        dele = self.ec2.delete_launch_template_versions(LaunchTemplateName="nodes", Versions=["1", "2", "7"])
        self.assertEqual([v["VersionNumber"] for v in dele["SuccessfullyDeletedLaunchTemplateVersions"]], [1])
        errs = {v["VersionNumber"]: v["ResponseError"]["Code"]
                for v in dele["UnsuccessfullyDeletedLaunchTemplateVersions"]}
        self.assertEqual(errs, {2: "launchTemplateVersionIsDefault", 7: "launchTemplateVersionDoesNotExist"})
        named = self.ec2.describe_launch_templates(LaunchTemplateNames=["nodes"])["LaunchTemplates"]
        self.assertEqual(named[0]["LaunchTemplateId"], lt["LaunchTemplateId"])
        self.assertEqual(len(self.ec2.describe_launch_templates()["LaunchTemplates"]), 2)
        self.ec2.delete_launch_template(LaunchTemplateId=lt["LaunchTemplateId"])
        self.assertEqual([t["LaunchTemplateName"] for t in self.ec2.describe_launch_templates()["LaunchTemplates"]],
                         ["bad"])

    # ---- SSM public parameters, instance types, images ---------------------------------------

    def test_ssm_ami_parameters_and_images(self):
        ssm = self.client("ssm")
        arm = ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id")
        arm_ami = arm["Parameter"]["Value"]
        rec = json.loads(ssm.get_parameter(
            Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")["Parameter"]["Value"])
        al2023 = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        with self.assertAwsError("ParameterNotFound"):
            ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/nope/image_id")
        for ami in (self.ami, arm_ami, rec["image_id"], al2023["Parameter"]["Value"]):
            img = self.ec2.describe_images(ImageIds=[ami])["Images"]
            self.assertEqual(len(img), 1, ami)
        self.assertEqual(self.ec2.describe_images(ImageIds=[arm_ami])["Images"][0]["Architecture"], "arm64")
        self.assertEqual(self.ec2.describe_images(ImageIds=[rec["image_id"]])["Images"][0]["Name"], rec["image_name"])
        i = self.run1(ImageId=arm_ami, InstanceType="t4g.medium")[0]
        self.assertEqual(i["Architecture"], "arm64")
        with self.assertAwsError("InvalidParameterValue", message="does not match the architecture 'arm64'"):
            self.run1(ImageId=arm_ami, InstanceType="m5.large")
        amazon = self.ec2.describe_images(Owners=["amazon"])["Images"]
        self.assertTrue(all(x["ImageOwnerAlias"] == "amazon" for x in amazon))
        self.assertEqual(self.ec2.describe_images(Owners=["self"])["Images"], [])
        ecs = self.ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-ecs-*"]},
                                                                   {"Name": "architecture", "Values": ["x86_64"]}])
        self.assertEqual([x["ImageId"] for x in ecs["Images"]], [self.ami])
        ubuntu = self.ec2.describe_images(Owners=["099720109477"],
                                          Filters=[{"Name": "name", "Values": ["*jammy-22.04-amd64*"]}])["Images"]
        self.assertEqual(len(ubuntu), 1)
        with self.assertAwsError("InvalidAMIID.NotFound"):
            self.ec2.describe_images(ImageIds=["ami-0123456789abcdef0"])

    def test_instance_types(self):
        types = self.ec2.describe_instance_types(InstanceTypes=["t3.micro", "t4g.xlarge"])["InstanceTypes"]
        by = {t["InstanceType"]: t for t in types}
        self.assertEqual(by["t3.micro"]["VCpuInfo"]["DefaultVCpus"], 2)
        self.assertEqual(by["t3.micro"]["MemoryInfo"]["SizeInMiB"], 1024)
        self.assertEqual(by["t4g.xlarge"]["ProcessorInfo"]["SupportedArchitectures"], ["arm64"])
        self.assertEqual(by["t4g.xlarge"]["MemoryInfo"]["SizeInMiB"], 16384)
        with self.assertAwsError("InvalidInstanceType"):
            self.ec2.describe_instance_types(InstanceTypes=["p3.2xlarge"])
        arm = self.ec2.describe_instance_types(
            Filters=[{"Name": "processor-info.supported-architecture", "Values": ["arm64"]}])["InstanceTypes"]
        self.assertTrue(arm and all(t["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"] for t in arm))
        names, token = [], None
        while True:
            kw = {"MaxResults": 10}
            if token:
                kw["NextToken"] = token
            page = self.ec2.describe_instance_types(**kw)
            names += [t["InstanceType"] for t in page["InstanceTypes"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(len(names), len(set(names)))
        self.assertIn("r5.4xlarge", names)
        self.assertIn("c6i.large", names)

    # ---- metrics ---------------------------------------------------------------------------------

    def test_cpu_metric_from_load(self):
        i = self.run1()[0]
        iid = i["InstanceId"]
        self.advance(1)
        self.emulator.admin("POST", "/_drydock/ec2/load", {"instance_id": iid, "cpu": 73})
        self.advance(180)
        cw = self.client("cloudwatch")
        clock = self.emulator.admin("GET", "/_drydock/clock")
        now = clock.get("now_ms", clock.get("now", 0))
        now = now / 1000 if now > 1e11 else now
        stats = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization",
                                         Dimensions=[{"Name": "InstanceId", "Value": iid}],
                                         StartTime=now - 600, EndTime=now + 60, Period=60,
                                         Statistics=["Average"])["Datapoints"]
        self.assertTrue(stats)
        self.assertIn(73.0, [d["Average"] for d in stats])
        with self.assertRaises(Exception):
            self.emulator.admin("POST", "/_drydock/ec2/load", {"instance_id": "i-0123456789abcdef0", "cpu": 1})


if __name__ == "__main__":
    harness.main()
