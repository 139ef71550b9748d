"""The provisioner's drivers for a stack's images, data and compute: AWS::ECR::Repository,
AWS::RDS::DBSubnetGroup / DBInstance, AWS::EC2::Instance / LaunchTemplate and
AWS::AutoScaling::AutoScalingGroup / ScalingPolicy, applied, updated in place, replaced and
destroyed with `drydock` against a running emulator, and checked with boto3."""
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_provisioner import SRC, StackTest  # noqa: E402

REPOSITORY = os.path.join(SRC, "tests", "templates", "repository.yaml")
POSTGRES = os.path.join(SRC, "tests", "templates", "postgres.yaml")
COMPUTE = os.path.join(SRC, "tests", "templates", "compute.yaml")


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class DataStackTest(StackTest):
    def dd(self, verb, template, stack, *params, rc=0):
        args = [verb, template, "--stack", stack, "--endpoint", self.endpoint]
        for p in params:
            args += ["--param", p]
        return self.run_dd(*args, rc=rc).stdout

    def push(self, repo, tag):
        """One image (a config blob, one layer) pushed as docker does it through the API."""
        ecr = self.client("ecr")
        config, layer = b'{"architecture": "amd64", "os": "linux"}', b"layer bytes " * 10
        for blob in (config, layer):
            up = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
            ecr.upload_layer_part(repositoryName=repo, uploadId=up, partFirstByte=0, partLastByte=len(blob) - 1,
                                  layerPartBlob=blob)
            ecr.complete_layer_upload(repositoryName=repo, uploadId=up, layerDigests=[sha(blob)])
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
                               "digest": sha(config)},
                    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer),
                                "digest": sha(layer)}]}
        ecr.put_image(repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag)

    def test_repository(self):
        ecr = self.client("ecr")
        out = self.dd("apply", REPOSITORY, "images")
        self.assertIn("Apply complete: 1 added", out)
        outs = self.dd("outputs", REPOSITORY, "images")
        name = re.search(r"Name\s*=?\s*(\S+)", outs).group(1).strip('"')
        self.assertRegex(name, r"^images-repository-[a-z0-9]{12}$")  # generated, lowercase
        repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        self.assertIn(repo["repositoryArn"], outs)
        self.assertIn(repo["repositoryUri"], outs)
        self.assertEqual(repo["imageScanningConfiguration"], {"scanOnPush": True})
        self.assertEqual(repo["imageTagMutability"], "MUTABLE")
        rules = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])["rules"]
        self.assertEqual(rules[0]["selection"]["countNumber"], 10)
        policy = json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])
        self.assertEqual(policy["Statement"][0]["Sid"], "pull")
        self.assertEqual(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"],
                         [{"Key": "team", "Value": "web"}])
        # mutability and tags change in place
        out = self.dd("apply", REPOSITORY, "images", "Mutability=IMMUTABLE", "Team=platform")
        self.assertIn("1 changed, 0 replaced", out)
        repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        self.assertEqual(repo["imageTagMutability"], "IMMUTABLE")
        self.assertEqual(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"],
                         [{"Key": "team", "Value": "platform"}])
        # a repository holding images is not deleted unless EmptyOnDelete says so
        self.push(name, "v1")
        out = self.dd("destroy", REPOSITORY, "images", rc=1)
        self.assertIn("RepositoryNotEmptyException", out)
        self.dd("apply", REPOSITORY, "images", "Mutability=IMMUTABLE", "Team=platform", "EmptyOnDelete=true")
        self.dd("destroy", REPOSITORY, "images")
        with self.assertAwsError("RepositoryNotFoundException"):
            ecr.describe_repositories(repositoryNames=[name])

    def test_database_final_snapshot(self):
        ec2, rds = self.client("ec2"), self.client("rds")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.%d.0/24" % i, AvailabilityZone="us-east-1" + z)
                   ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
        out = self.dd("apply", POSTGRES, "pg", "Subnets=" + ",".join(subnets))
        self.assertIn("Apply complete: 2 added", out)
        outs = self.dd("outputs", POSTGRES, "pg")
        ident = re.search(r"Id\s*=?\s*(\S+)", outs).group(1).strip('"')
        self.assertRegex(ident, r"^pg-database-[a-z0-9]{12}$")
        db = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        self.assertEqual((db["DBInstanceStatus"], db["AllocatedStorage"]), ("available", 20))
        self.assertIn(db["Endpoint"]["Address"], outs)
        self.assertEqual(db["DBSubnetGroup"]["VpcId"], vpc)
        # storage grows in place (ModifyDBInstance, ApplyImmediately) and the driver waits for it
        out = self.dd("apply", POSTGRES, "pg", "Subnets=" + ",".join(subnets), "Storage=50")
        self.assertIn("1 changed, 0 replaced", out)
        db = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        self.assertEqual((db["DBInstanceStatus"], db["AllocatedStorage"]), ("available", 50))
        # no DeletionPolicy: CloudFormation's Snapshot default leaves a final snapshot behind
        self.dd("destroy", POSTGRES, "pg")
        with self.assertAwsError("DBInstanceNotFound"):
            rds.describe_db_instances(DBInstanceIdentifier=ident)
        snaps = rds.describe_db_snapshots()["DBSnapshots"]
        self.assertEqual([s["DBInstanceIdentifier"] for s in snaps], [ident])
        self.assertRegex(snaps[0]["DBSnapshotIdentifier"], r"^pg-database-[a-z0-9]{12}-snapshot$")
        self.assertEqual(snaps[0]["SnapshotType"], "manual")
        # the subnets are free again
        for s in subnets:
            ec2.delete_subnet(SubnetId=s)

    def output(self, outs, name):
        return re.search(r"%s\s*=?\s*(\S+)" % name, outs).group(1).strip('"')

    def test_instance_group_and_policy(self):
        ec2, asg, cw = self.client("ec2"), self.client("autoscaling"), self.client("cloudwatch")
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        out = self.dd("apply", COMPUTE, "compute", "SubnetId=" + subnet)
        self.assertIn("Apply complete: 4 added", out)
        outs = self.dd("outputs", COMPUTE, "compute")
        iid, group = self.output(outs, "InstanceId"), self.output(outs, "GroupName")
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertEqual((inst["State"]["Name"], inst["InstanceType"], inst["SubnetId"]), ("running", "t3.micro", subnet))
        self.assertIn(inst["PrivateIpAddress"], outs)
        self.assertEqual(self.output(outs, "TemplateVersion"), "1")
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
        self.assertEqual([i["LifecycleState"] for i in g["Instances"]], ["InService"])
        policy = asg.describe_policies(AutoScalingGroupName=group)["ScalingPolicies"][0]
        self.assertEqual(policy["PolicyARN"], self.output(outs, "PolicyArn"))
        self.assertEqual(policy["TargetTrackingConfiguration"]["TargetValue"], 60.0)
        self.assertEqual(len(cw.describe_alarms(AlarmNamePrefix="TargetTracking-" + group)["MetricAlarms"]), 2)
        # tags and the policy's target change in place; the same instance and policy
        out = self.dd("apply", COMPUTE, "compute", "SubnetId=" + subnet, "Role=batch", "TargetCpu=40")
        self.assertIn("2 changed, 0 replaced", out)
        tags = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["Tags"]
        self.assertEqual(tags, [{"Key": "role", "Value": "batch"}])
        policy = asg.describe_policies(AutoScalingGroupName=group)["ScalingPolicies"][0]
        self.assertEqual((policy["PolicyARN"], policy["TargetTrackingConfiguration"]["TargetValue"]),
                         (self.output(outs, "PolicyArn"), 40.0))
        self.dd("destroy", COMPUTE, "compute")
        self.assertEqual(ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"],
                         "terminated")
        self.assertEqual(asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"], [])
        self.assertEqual(cw.describe_alarms(AlarmNamePrefix="TargetTracking-" + group)["MetricAlarms"], [])
        with self.assertAwsError("InvalidLaunchTemplateId.NotFound"):
            ec2.describe_launch_templates(LaunchTemplateIds=[g["LaunchTemplate"]["LaunchTemplateId"]])


if __name__ == "__main__":
    harness.main()
