"""Amazon RDS: the seeds' database built with the real AWS CLI (a subnet group across two
private subnets, a security group allowing 5432 from the app's group, a postgres db.t3.micro
going creating -> backing-up -> available on a manual clock with AWS-like delays, its
endpoint, EC2 refusing to delete the subnet and the group while it exists, deletion); then
boto3 for every rule AWS enforces (each named validation error with its code and message),
modifications applied at once or pending, stop/start/reboot, final snapshots and restores,
deletion protection, parameter groups, tags, engine versions and paging.
"""
import re

import harness

PW = "Secret-pass1"


class RdsTest(harness.ManualClockTest):
    emulator_args = ("--pace", "aws")

    def rds(self):
        return self.client("rds")

    def network(self, zones=("us-east-1a", "us-east-1b")):
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (10 + i), AvailabilityZone=z)
                   ["Subnet"]["SubnetId"] for i, z in enumerate(zones)]
        sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
        return {"vpc": vpc, "subnets": subnets, "sg": sg}

    def db(self, n=None, ident="appdb", wait=True, **kw):
        n = n or self.network()
        if "DBSubnetGroupName" not in kw:
            self.rds().create_db_subnet_group(DBSubnetGroupName=ident + "-subnets", DBSubnetGroupDescription="d",
                                              SubnetIds=n["subnets"])
            kw["DBSubnetGroupName"] = ident + "-subnets"
        args = dict(DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.t3.micro",
                    AllocatedStorage=20, MasterUsername="app", MasterUserPassword=PW,
                    VpcSecurityGroupIds=[n["sg"]])
        args.update(kw)
        out = self.rds().create_db_instance(**args)["DBInstance"]
        if wait:
            self.advance(600)
        return out

    def status(self, ident="appdb"):
        return self.rds().describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["DBInstanceStatus"]

    # ---- the seeds' database, with the AWS CLI -----------------------------------------------

    def test_seed_database_with_the_cli(self):
        cli = self.aws
        vpc = cli("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
        private = [cli("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.%d.0/24" % (10 + i),
                       "--availability-zone", z)["Subnet"]["SubnetId"] for i, z in enumerate(["us-east-1a", "us-east-1b"])]
        app_sg = cli("ec2", "create-security-group", "--group-name", "app", "--description", "app", "--vpc-id", vpc)["GroupId"]
        db_sg = cli("ec2", "create-security-group", "--group-name", "db", "--description", "db", "--vpc-id", vpc)["GroupId"]
        cli("ec2", "authorize-security-group-ingress", "--group-id", db_sg, "--protocol", "tcp", "--port", "5432",
            "--source-group", app_sg)

        group = cli("rds", "create-db-subnet-group", "--db-subnet-group-name", "Seed-DB-Subnets",
                    "--db-subnet-group-description", "private subnets", "--subnet-ids", *private)["DBSubnetGroup"]
        self.assertEqual(group["DBSubnetGroupName"], "seed-db-subnets")
        self.assertEqual((group["VpcId"], group["SubnetGroupStatus"]), (vpc, "Complete"))
        self.assertEqual(sorted(s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]),
                         ["us-east-1a", "us-east-1b"])
        self.assertEqual(group["DBSubnetGroupArn"], "arn:aws:rds:us-east-1:000000000000:subgrp:seed-db-subnets")

        db = cli("rds", "create-db-instance", "--db-instance-identifier", "SeedDB", "--engine", "postgres",
                 "--db-instance-class", "db.t3.micro", "--allocated-storage", "20", "--master-username", "app",
                 "--master-user-password", PW, "--db-name", "app", "--db-subnet-group-name", "seed-db-subnets",
                 "--vpc-security-group-ids", db_sg, "--no-publicly-accessible",
                 "--tags", "Key=env,Value=dev")["DBInstance"]
        self.assertEqual(db["DBInstanceIdentifier"], "seeddb")
        self.assertEqual(db["DBInstanceStatus"], "creating")
        self.assertNotIn("Endpoint", db)
        self.assertEqual(db["PendingModifiedValues"], {"MasterUserPassword": "****"})
        self.assertEqual((db["Engine"], db["EngineVersion"], db["LicenseModel"]), ("postgres", "16.6", "postgresql-license"))
        self.assertEqual(db["DBInstanceArn"], "arn:aws:rds:us-east-1:000000000000:db:seeddb")
        self.assertRegex(db["DbiResourceId"], r"^db-[A-Z2-7]{26}$")
        self.assertEqual(db["VpcSecurityGroups"], [{"VpcSecurityGroupId": db_sg, "Status": "active"}])
        self.assertEqual(db["DBParameterGroups"], [{"DBParameterGroupName": "default.postgres16",
                                                    "ParameterApplyStatus": "in-sync"}])
        self.assertEqual(db["OptionGroupMemberships"][0]["OptionGroupName"], "default:postgres-16")
        self.assertEqual(db["DBSubnetGroup"]["DBSubnetGroupName"], "seed-db-subnets")
        self.assertEqual((db["DBName"], db["StorageType"], db["BackupRetentionPeriod"], db["MultiAZ"],
                          db["PubliclyAccessible"]), ("app", "gp2", 1, False, False))
        self.assertEqual(db["TagList"], [{"Key": "env", "Value": "dev"}])
        enis = cli("ec2", "describe-network-interfaces", "--filters", "Name=vpc-id,Values=" + vpc)["NetworkInterfaces"]
        self.assertEqual(len(enis), 1)
        self.assertEqual(enis[0]["Description"], "RDSNetworkInterface")
        self.assertTrue(enis[0]["RequesterManaged"])
        self.assertEqual(enis[0]["Groups"][0]["GroupId"], db_sg)
        self.assertIn(enis[0]["SubnetId"], private)

        def describe():
            return cli("rds", "describe-db-instances", "--db-instance-identifier", "seeddb")["DBInstances"][0]

        self.advance(239)
        self.assertEqual(describe()["DBInstanceStatus"], "creating")
        self.advance(1)
        db = describe()
        self.assertEqual(db["DBInstanceStatus"], "backing-up")
        self.assertRegex(db["Endpoint"]["Address"], r"^seeddb\.c[a-z0-9]{11}\.us-east-1\.rds\.amazonaws\.com$")
        self.assertEqual((db["Endpoint"]["Port"], db["Endpoint"]["HostedZoneId"]), (5432, "Z2R2ITUGPM61AM"))
        self.assertIn("InstanceCreateTime", db)
        self.assertEqual(db["PendingModifiedValues"], {})
        self.advance(120)
        self.assertEqual(describe()["DBInstanceStatus"], "available")

        # EC2 refuses to remove what the database lives on
        with self.assertAwsError("DependencyViolation"):
            cli("ec2", "delete-subnet", "--subnet-id", enis[0]["SubnetId"])
        with self.assertAwsError("DependencyViolation"):
            cli("ec2", "delete-security-group", "--group-id", db_sg)
        with self.assertAwsError("DependencyViolation"):
            cli("ec2", "delete-vpc", "--vpc-id", vpc)
        with self.assertAwsError("InvalidParameterValue", message="is currently in use"):
            cli("ec2", "delete-network-interface", "--network-interface-id", enis[0]["NetworkInterfaceId"])
        with self.assertAwsError("InvalidDBSubnetGroupStateFault",
                                 message="Cannot delete the subnet group 'seed-db-subnets' because at least one "
                                         "database instance: seeddb is still using it."):
            cli("rds", "delete-db-subnet-group", "--db-subnet-group-name", "seed-db-subnets")

        out = cli("rds", "delete-db-instance", "--db-instance-identifier", "seeddb", "--skip-final-snapshot")
        self.assertEqual(out["DBInstance"]["DBInstanceStatus"], "deleting")
        self.assertEqual(describe()["DBInstanceStatus"], "deleting")
        self.advance(60)
        with self.assertAwsError("DBInstanceNotFound", message="DBInstance seeddb not found."):
            describe()
        cli("ec2", "delete-security-group", "--group-id", db_sg)
        cli("rds", "delete-db-subnet-group", "--db-subnet-group-name", "seed-db-subnets")
        cli("ec2", "delete-subnet", "--subnet-id", private[0])

    # ---- subnet groups -----------------------------------------------------------------------

    def test_subnet_group_rules(self):
        n = self.network(zones=("us-east-1a", "us-east-1a"))
        rds = self.rds()
        with self.assertAwsError("DBSubnetGroupDoesNotCoverEnoughAZs",
                                 message="The DB subnet group doesn't meet Availability Zone (AZ) coverage "
                                         "requirement. Current AZ coverage: us-east-1a. Add subnets to cover at "
                                         "least 2 AZs."):
            rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d", SubnetIds=n["subnets"])
        with self.assertAwsError("InvalidSubnet"):
            rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d",
                                       SubnetIds=["subnet-0123456789abcdef0", n["subnets"][0]])
        other = self.network(zones=("us-east-1b",))
        with self.assertAwsError("InvalidSubnet"):
            rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d",
                                       SubnetIds=[n["subnets"][0], other["subnets"][0]])
        ec2 = self.client("ec2")
        extra = ec2.create_subnet(VpcId=n["vpc"], CidrBlock="10.0.20.0/24", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
        g = rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d",
                                       SubnetIds=[n["subnets"][0], extra])["DBSubnetGroup"]
        self.assertEqual(g["VpcId"], n["vpc"])
        with self.assertAwsError("DBSubnetGroupAlreadyExists", message="The DB subnet group 'g' already exists."):
            rds.create_db_subnet_group(DBSubnetGroupName="G", DBSubnetGroupDescription="d",
                                       SubnetIds=[n["subnets"][0], extra])
        with self.assertAwsError("DBSubnetGroupNotFoundFault", status=404):
            rds.describe_db_subnet_groups(DBSubnetGroupName="nope")
        g = rds.modify_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="new",
                                       SubnetIds=n["subnets"] + [extra])["DBSubnetGroup"]
        self.assertEqual((g["DBSubnetGroupDescription"], len(g["Subnets"])), ("new", 3))
        with self.assertAwsError("DBSubnetGroupDoesNotCoverEnoughAZs"):
            rds.modify_db_subnet_group(DBSubnetGroupName="g", SubnetIds=n["subnets"])
        rds.delete_db_subnet_group(DBSubnetGroupName="g")
        with self.assertAwsError("DBSubnetGroupNotFoundFault"):
            rds.delete_db_subnet_group(DBSubnetGroupName="g")

    def test_default_subnet_group_from_the_default_vpc(self):
        db = self.rds().create_db_instance(DBInstanceIdentifier="d1", Engine="mysql", DBInstanceClass="db.t4g.micro",
                                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword=PW)["DBInstance"]
        self.assertEqual(db["DBSubnetGroup"]["DBSubnetGroupName"], "default")
        default_vpc = self.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
        self.assertEqual(db["DBSubnetGroup"]["VpcId"], default_vpc["VpcId"])
        self.assertTrue(db["PubliclyAccessible"])
        self.assertEqual((db["EngineVersion"], db["DBParameterGroups"][0]["DBParameterGroupName"]),
                         ("8.0.40", "default.mysql8.0"))
        groups = self.rds().describe_db_subnet_groups()["DBSubnetGroups"]
        self.assertEqual([g["DBSubnetGroupName"] for g in groups], ["default"])
        self.advance(600)
        self.assertEqual(self.status("d1"), "available")
        self.assertEqual(self.rds().describe_db_instances(DBInstanceIdentifier="d1")["DBInstances"][0]["Endpoint"]
                         ["Port"], 3306)

    # ---- CreateDBInstance's rules ----------------------------------------------------------------

    def test_create_validation(self):
        n = self.network()
        rds = self.rds()
        rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d", SubnetIds=n["subnets"])
        base = dict(DBInstanceIdentifier="x1", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                    MasterUsername="app", MasterUserPassword=PW, DBSubnetGroupName="g")

        def bad(code, message=None, **kw):
            args = dict(base)
            args.update(kw)
            args = {k: v for k, v in args.items() if v is not None}
            with self.assertAwsError(code, message=message):
                rds.create_db_instance(**args)

        ident = ("The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter; "
                 "must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain "
                 "two consecutive hyphens.")
        for value in ("1db", "db-", "d--b", "d_b", "a" * 64):
            bad("InvalidParameterValue", ident, DBInstanceIdentifier=value)
        bad("InvalidParameterValue", "Invalid DB engine: oracle-xe", Engine="oracle-xe")
        bad("InvalidParameterCombination", "Cannot find version 9.6.1 for postgres", EngineVersion="9.6.1")
        bad("InvalidParameterCombination",
            "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.nano, "
            "Engine=postgres, EngineVersion=16.6, LicenseModel=postgresql-license.", DBInstanceClass="db.t2.nano")
        bad("InvalidParameterCombination", "Invalid storage size for engine name postgres and storage type gp2: 10",
            AllocatedStorage=10)
        bad("InvalidParameterCombination", "Invalid storage size for engine name postgres and storage type io1: 50",
            AllocatedStorage=50, StorageType="io1", Iops=1000)
        bad("InvalidParameterCombination", "Invalid storage size for engine name mysql and storage type gp2: 70000",
            AllocatedStorage=70000, Engine="mysql")
        bad("InvalidParameterValue", "The parameter MasterUsername must be provided and must not be blank.",
            MasterUsername=None)
        bad("InvalidParameterValue", "MasterUsername admin cannot be used as it is a reserved word used by the engine",
            MasterUsername="admin")
        bad("InvalidParameterValue", "MasterUsername must begin with a letter", MasterUsername="1app")
        bad("InvalidParameterValue", "MasterUsername must begin with a letter", MasterUsername="a" * 17,
            Engine="mariadb")
        bad("InvalidParameterValue", "The parameter MasterUserPassword must be provided and must not be blank.",
            MasterUserPassword=None)
        bad("InvalidParameterValue",
            "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.",
            MasterUserPassword="short")
        bad("InvalidParameterValue",
            "The parameter MasterUserPassword is not a valid password because it is longer than 41 characters.",
            MasterUserPassword="p" * 42, Engine="mysql")
        for pw in ("with/slash", "with@at123", 'with"quote', "with space"):
            bad("InvalidParameterValue", "The parameter MasterUserPassword is not a valid password. Only printable "
                "ASCII characters besides '/', '@', '\"', ' ' may be used.", MasterUserPassword=pw)
        bad("InvalidParameterValue", "DBName must begin with a letter and contain only alphanumeric characters.",
            DBName="1app")
        bad("InvalidParameterValue", "DBName must begin with a letter", DBName="my_app", Engine="mysql")
        bad("DBSubnetGroupNotFoundFault", DBSubnetGroupName="nope")
        bad("DBParameterGroupNotFound", "DBParameterGroup not found: nope", DBParameterGroupName="nope")
        bad("InvalidParameterCombination",
            "The Parameter Group default.mysql8.0 with DBParameterGroupFamily mysql8.0 cannot be used for this "
            "instance. Please use a Parameter Group with DBParameterGroupFamily postgres16",
            DBParameterGroupName="default.mysql8.0")
        other = self.client("ec2").create_security_group(GroupName="o", Description="o")["GroupId"]
        bad("InvalidParameterCombination", "The DB instance and EC2 security group are in different VPCs. The DB "
            "instance is in %s and the EC2 security group is in" % n["vpc"], VpcSecurityGroupIds=[other])
        bad("InvalidParameterValue", "Invalid security group , groupId= sg-0123456789abcdef0, groupName=.",
            VpcSecurityGroupIds=["sg-0123456789abcdef0"])
        bad("InvalidParameterValue", "Requesting a specific availability zone is not valid for Multi-AZ instances.",
            MultiAZ=True, AvailabilityZone="us-east-1a")
        bad("InvalidParameterValue", BackupRetentionPeriod=36)
        rds.create_db_instance(**base)
        bad("DBInstanceAlreadyExists", "DB Instance already exists", DBInstanceIdentifier="X1")
        with self.assertAwsError("DBInstanceNotFound", status=404, message="DBInstance nope not found."):
            rds.describe_db_instances(DBInstanceIdentifier="nope")

    def test_engine_versions_and_options(self):
        n = self.network()
        db = self.db(n, ident="pg15", EngineVersion="15", MultiAZ=True, StorageType="gp3", StorageEncrypted=True,
                     wait=False)
        self.assertEqual(db["EngineVersion"], "15.12")
        self.assertEqual(db["DBParameterGroups"][0]["DBParameterGroupName"], "default.postgres15")
        self.assertEqual((db["MultiAZ"], db["StorageType"], db["StorageThroughput"], db["StorageEncrypted"]),
                         (True, "gp3", 125, True))
        self.assertNotEqual(db["SecondaryAvailabilityZone"], db["AvailabilityZone"])
        self.assertRegex(db["KmsKeyId"], r"^arn:aws:kms:us-east-1:000000000000:key/")
        rds = self.rds()
        versions = rds.describe_db_engine_versions(Engine="postgres", DefaultOnly=True)["DBEngineVersions"]
        self.assertEqual([(v["EngineVersion"], v["DBParameterGroupFamily"]) for v in versions], [("16.6", "postgres16")])
        v = rds.describe_db_engine_versions(Engine="mysql", EngineVersion="8.0.39")["DBEngineVersions"][0]
        self.assertIn({"Engine": "mysql", "EngineVersion": "8.4.4", "Description": "8.4.4", "AutoUpgrade": False,
                       "IsMajorVersionUpgrade": True}, v["ValidUpgradeTarget"])
        fams = {v["DBParameterGroupFamily"] for v in rds.describe_db_engine_versions(Engine="mariadb")["DBEngineVersions"]}
        self.assertEqual(fams, {"mariadb11.4", "mariadb10.11", "mariadb10.6"})
        opts = rds.describe_orderable_db_instance_options(Engine="postgres", EngineVersion="16.6",
                                                          DBInstanceClass="db.t3.micro")["OrderableDBInstanceOptions"]
        self.assertEqual({o["StorageType"]: o["MinStorageSize"] for o in opts}["gp2"], 20)

    # ---- modifications ---------------------------------------------------------------------------------

    def test_modify_immediate_and_pending(self):
        self.db()
        rds = self.rds()
        out = rds.modify_db_instance(DBInstanceIdentifier="appdb", DBInstanceClass="db.t3.small",
                                     AllocatedStorage=30)["DBInstance"]
        self.assertEqual(out["DBInstanceStatus"], "available")
        self.assertEqual(out["PendingModifiedValues"], {"DBInstanceClass": "db.t3.small", "AllocatedStorage": 30})
        self.assertEqual(out["DBInstanceClass"], "db.t3.micro")
        # the maintenance window applies what waits
        self.emulator.admin("POST", "/_drydock/rds/apply-pending", {"db_instance_identifier": "appdb"})
        self.assertEqual(self.status(), "modifying")
        self.advance(60)
        db = rds.describe_db_instances(DBInstanceIdentifier="appdb")["DBInstances"][0]
        self.assertEqual((db["DBInstanceStatus"], db["DBInstanceClass"], db["AllocatedStorage"],
                          db["PendingModifiedValues"]), ("available", "db.t3.small", 30, {}))

        out = rds.modify_db_instance(DBInstanceIdentifier="appdb", DBInstanceClass="db.m5.large", ApplyImmediately=True,
                                     BackupRetentionPeriod=7, DeletionProtection=True)["DBInstance"]
        self.assertEqual((out["DBInstanceStatus"], out["PendingModifiedValues"]),
                         ("modifying", {"DBInstanceClass": "db.m5.large"}))
        self.assertEqual((out["BackupRetentionPeriod"], out["DeletionProtection"]), (7, True))
        with self.assertAwsError("InvalidDBInstanceState", message="Instance appdb is not in available state."):
            rds.modify_db_instance(DBInstanceIdentifier="appdb", AllocatedStorage=40, ApplyImmediately=True)
        self.advance(60)
        self.assertEqual(rds.describe_db_instances(DBInstanceIdentifier="appdb")["DBInstances"][0]["DBInstanceClass"],
                         "db.m5.large")

        out = rds.modify_db_instance(DBInstanceIdentifier="appdb", MasterUserPassword="Another-pass2")["DBInstance"]
        self.assertEqual((out["DBInstanceStatus"], out["PendingModifiedValues"]),
                         ("resetting-master-credentials", {"MasterUserPassword": "****"}))
        self.advance(30)
        self.assertEqual(self.status(), "available")

        with self.assertAwsError("InvalidParameterCombination", message="Cannot upgrade postgres from 16.6 to 15.12"):
            rds.modify_db_instance(DBInstanceIdentifier="appdb", EngineVersion="15.12")
        with self.assertAwsError("InvalidParameterCombination", message="The AllowMajorVersionUpgrade flag must be "
                                 "present when upgrading to a new major version."):
            rds.modify_db_instance(DBInstanceIdentifier="appdb", EngineVersion="17.4", ApplyImmediately=True)
        with self.assertAwsError("InvalidParameterCombination", message="RDS does not support creating a DB instance"):
            rds.modify_db_instance(DBInstanceIdentifier="appdb", DBInstanceClass="db.x9.huge")
        with self.assertAwsError("InvalidParameterValue"):
            rds.modify_db_instance(DBInstanceIdentifier="appdb", AllocatedStorage=20)
        out = rds.modify_db_instance(DBInstanceIdentifier="appdb", EngineVersion="17.4", AllowMajorVersionUpgrade=True,
                                     ApplyImmediately=True)["DBInstance"]
        self.advance(60)
        db = rds.describe_db_instances(DBInstanceIdentifier="appdb")["DBInstances"][0]
        self.assertEqual((db["EngineVersion"], db["OptionGroupMemberships"][0]["OptionGroupName"]),
                         ("17.4", "default:postgres-17"))

    def test_modify_security_groups(self):
        n = self.network()
        self.db(n)
        ec2 = self.client("ec2")
        sg2 = ec2.create_security_group(GroupName="db2", Description="db2", VpcId=n["vpc"])["GroupId"]
        out = self.rds().modify_db_instance(DBInstanceIdentifier="appdb", VpcSecurityGroupIds=[sg2])["DBInstance"]
        self.assertEqual(out["VpcSecurityGroups"], [{"VpcSecurityGroupId": sg2, "Status": "active"}])
        eni = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [n["vpc"]]}])["NetworkInterfaces"][0]
        self.assertEqual([g["GroupId"] for g in eni["Groups"]], [sg2])
        ec2.delete_security_group(GroupId=n["sg"])  # released by the database
        with self.assertAwsError("DependencyViolation"):
            ec2.delete_security_group(GroupId=sg2)

    # ---- stop / start / reboot -----------------------------------------------------------------------------

    def test_stop_start_reboot(self):
        self.db(wait=False)
        rds = self.rds()
        with self.assertAwsError("InvalidDBInstanceState", message="Instance appdb is not in available state."):
            rds.stop_db_instance(DBInstanceIdentifier="appdb")
        with self.assertAwsError("InvalidDBInstanceState", message="Instance appdb is not in available state."):
            rds.reboot_db_instance(DBInstanceIdentifier="appdb")
        self.advance(600)
        with self.assertAwsError("InvalidDBInstanceState"):
            rds.start_db_instance(DBInstanceIdentifier="appdb")
        with self.assertAwsError("InvalidParameterCombination"):
            rds.reboot_db_instance(DBInstanceIdentifier="appdb", ForceFailover=True)
        self.assertEqual(rds.reboot_db_instance(DBInstanceIdentifier="appdb")["DBInstance"]["DBInstanceStatus"],
                         "rebooting")
        self.advance(30)
        self.assertEqual(self.status(), "available")
        self.assertEqual(rds.stop_db_instance(DBInstanceIdentifier="appdb", DBSnapshotIdentifier="before-stop")
                         ["DBInstance"]["DBInstanceStatus"], "stopping")
        self.advance(60)
        self.assertEqual(self.status(), "stopped")
        self.assertEqual(rds.describe_db_snapshots(DBSnapshotIdentifier="before-stop")["DBSnapshots"][0]["Status"],
                         "available")
        with self.assertAwsError("InvalidDBInstanceState"):
            rds.modify_db_instance(DBInstanceIdentifier="appdb", AllocatedStorage=40)
        self.assertEqual(rds.start_db_instance(DBInstanceIdentifier="appdb")["DBInstance"]["DBInstanceStatus"],
                         "starting")
        self.advance(120)
        self.assertEqual(self.status(), "available")
        with self.assertAwsError("DBInstanceNotFound"):
            rds.reboot_db_instance(DBInstanceIdentifier="nope")

    # ---- deletion, snapshots, restores ------------------------------------------------------------------------

    def test_delete_rules_and_final_snapshot(self):
        n = self.network()
        self.db(n, DeletionProtection=True, Tags=[{"Key": "team", "Value": "core"}], CopyTagsToSnapshot=True)
        rds = self.rds()
        with self.assertAwsError("InvalidParameterCombination", message="Cannot delete protected DB Instance, please "
                                 "disable deletion protection and try again."):
            rds.delete_db_instance(DBInstanceIdentifier="appdb", SkipFinalSnapshot=True)
        rds.modify_db_instance(DBInstanceIdentifier="appdb", DeletionProtection=False)
        with self.assertAwsError("InvalidParameterCombination", message="FinalDBSnapshotIdentifier is required unless "
                                 "SkipFinalSnapshot is specified."):
            rds.delete_db_instance(DBInstanceIdentifier="appdb")
        with self.assertAwsError("InvalidParameterValue", message="The parameter DBSnapshotIdentifier is not a valid "
                                 "identifier."):
            rds.delete_db_instance(DBInstanceIdentifier="appdb", FinalDBSnapshotIdentifier="bad--name")
        rds.create_db_snapshot(DBInstanceIdentifier="appdb", DBSnapshotIdentifier="manual-1")
        with self.assertAwsError("DBSnapshotAlreadyExists", message="Cannot create the snapshot because a snapshot "
                                 "with the identifier manual-1 already exists."):
            rds.delete_db_instance(DBInstanceIdentifier="appdb", FinalDBSnapshotIdentifier="manual-1")
        out = rds.delete_db_instance(DBInstanceIdentifier="appdb", FinalDBSnapshotIdentifier="final-1")["DBInstance"]
        self.assertEqual(out["DBInstanceStatus"], "deleting")
        with self.assertAwsError("InvalidDBInstanceState"):
            rds.delete_db_instance(DBInstanceIdentifier="appdb", SkipFinalSnapshot=True)
        snap = rds.describe_db_snapshots(DBSnapshotIdentifier="final-1")["DBSnapshots"][0]
        self.assertEqual((snap["Status"], snap["DBInstanceIdentifier"], snap["SnapshotType"], snap["Engine"],
                          snap["VpcId"], snap["TagList"]),
                         ("creating", "appdb", "manual", "postgres", n["vpc"], [{"Key": "team", "Value": "core"}]))
        with self.assertAwsError("InvalidDBSnapshotState"):
            rds.delete_db_snapshot(DBSnapshotIdentifier="final-1")
        self.advance(60)
        with self.assertAwsError("DBInstanceNotFound"):
            rds.describe_db_instances(DBInstanceIdentifier="appdb")
        snaps = rds.describe_db_snapshots(DBInstanceIdentifier="appdb")["DBSnapshots"]
        self.assertEqual(sorted((s["DBSnapshotIdentifier"], s["Status"]) for s in snaps),
                         [("final-1", "available"), ("manual-1", "available")])
        self.assertEqual(self.client("ec2").describe_network_interfaces(
            Filters=[{"Name": "vpc-id", "Values": [n["vpc"]]}])["NetworkInterfaces"], [])

        db = rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="restored", DBSnapshotIdentifier="final-1",
                                                      VpcSecurityGroupIds=[n["sg"]])["DBInstance"]
        self.assertEqual((db["DBInstanceStatus"], db["Engine"], db["EngineVersion"], db["MasterUsername"],
                          db["AllocatedStorage"], db["DBSubnetGroup"]["DBSubnetGroupName"], db["DBInstanceClass"]),
                         ("creating", "postgres", "16.6", "app", 20, "appdb-subnets", "db.t3.micro"))
        self.assertEqual(rds.delete_db_snapshot(DBSnapshotIdentifier="manual-1")["DBSnapshot"]["Status"], "deleted")
        with self.assertAwsError("DBSnapshotNotFound", status=404, message="DBSnapshot not found: manual-1"):
            rds.describe_db_snapshots(DBSnapshotIdentifier="manual-1")

    def test_snapshot_requires_available_instance(self):
        self.db(wait=False)
        with self.assertAwsError("InvalidDBInstanceState"):
            self.rds().create_db_snapshot(DBInstanceIdentifier="appdb", DBSnapshotIdentifier="s1")
        with self.assertAwsError("DBInstanceNotFound"):
            self.rds().create_db_snapshot(DBInstanceIdentifier="nope", DBSnapshotIdentifier="s1")

    # ---- parameter groups ----------------------------------------------------------------------------------

    def test_parameter_groups(self):
        rds = self.rds()
        g = rds.create_db_parameter_group(DBParameterGroupName="App-PG", DBParameterGroupFamily="postgres16",
                                          Description="app")["DBParameterGroup"]
        self.assertEqual(g, {"DBParameterGroupName": "app-pg", "DBParameterGroupFamily": "postgres16",
                             "Description": "app",
                             "DBParameterGroupArn": "arn:aws:rds:us-east-1:000000000000:pg:app-pg"})
        with self.assertAwsError("DBParameterGroupAlreadyExists", message="Parameter group app-pg already exists"):
            rds.create_db_parameter_group(DBParameterGroupName="app-pg", DBParameterGroupFamily="postgres16",
                                          Description="x")
        with self.assertAwsError("InvalidParameterValue"):
            rds.create_db_parameter_group(DBParameterGroupName="x", DBParameterGroupFamily="postgres9", Description="x")
        d = rds.describe_db_parameter_groups(DBParameterGroupName="default.postgres16")["DBParameterGroups"][0]
        self.assertEqual(d["Description"], "Default parameter group for postgres16")
        with self.assertAwsError("DBParameterGroupNotFound", status=404, message="DBParameterGroup not found: nope"):
            rds.describe_db_parameter_groups(DBParameterGroupName="nope")

        params = {p["ParameterName"]: p for p in rds.describe_db_parameters(DBParameterGroupName="app-pg")["Parameters"]}
        self.assertEqual(params["max_connections"]["Source"], "engine-default")
        self.assertEqual((params["max_connections"]["ApplyType"], params["work_mem"]["ApplyType"]), ("static", "dynamic"))
        self.assertFalse(params["data_directory"]["IsModifiable"])

        def modify(**p):
            return rds.modify_db_parameter_group(DBParameterGroupName="app-pg", Parameters=[p])
        with self.assertAwsError("InvalidParameterValue", message="Could not find parameter with name: nope"):
            modify(ParameterName="nope", ParameterValue="1", ApplyMethod="immediate")
        with self.assertAwsError("InvalidParameterValue"):
            modify(ParameterName="data_directory", ParameterValue="/x", ApplyMethod="pending-reboot")
        with self.assertAwsError("InvalidParameterCombination",
                                 message="cannot use immediate apply method for static parameter"):
            modify(ParameterName="max_connections", ParameterValue="200", ApplyMethod="immediate")
        with self.assertAwsError("InvalidParameterValue"):
            modify(ParameterName="max_connections", ParameterValue="2", ApplyMethod="pending-reboot")
        with self.assertAwsError("InvalidParameterValue"):
            modify(ParameterName="log_statement", ParameterValue="some", ApplyMethod="immediate")
        with self.assertAwsError("InvalidParameterValue", message="Cannot modify a default parameter group."):
            rds.modify_db_parameter_group(DBParameterGroupName="default.postgres16", Parameters=[
                {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"}])

        self.db(DBParameterGroupName="app-pg")
        self.assertEqual(modify(ParameterName="work_mem", ParameterValue="8192", ApplyMethod="immediate"),
                         {"DBParameterGroupName": "app-pg", "ResponseMetadata": self.ANY})
        db = rds.describe_db_instances(DBInstanceIdentifier="appdb")["DBInstances"][0]
        self.assertEqual(db["DBParameterGroups"], [{"DBParameterGroupName": "app-pg", "ParameterApplyStatus": "in-sync"}])
        modify(ParameterName="max_connections", ParameterValue="200", ApplyMethod="pending-reboot")
        db = rds.describe_db_instances(DBInstanceIdentifier="appdb")["DBInstances"][0]
        self.assertEqual(db["DBParameterGroups"][0]["ParameterApplyStatus"], "pending-reboot")
        user = rds.describe_db_parameters(DBParameterGroupName="app-pg", Source="user")["Parameters"]
        self.assertEqual(sorted((p["ParameterName"], p["ParameterValue"], p["ApplyMethod"]) for p in user),
                         [("max_connections", "200", "pending-reboot"), ("work_mem", "8192", "immediate")])
        rds.reboot_db_instance(DBInstanceIdentifier="appdb")
        self.advance(30)
        db = rds.describe_db_instances(DBInstanceIdentifier="appdb")["DBInstances"][0]
        self.assertEqual(db["DBParameterGroups"][0]["ParameterApplyStatus"], "in-sync")
        rds.reset_db_parameter_group(DBParameterGroupName="app-pg", ResetAllParameters=True)
        self.assertEqual(rds.describe_db_parameters(DBParameterGroupName="app-pg", Source="user")["Parameters"], [])

        with self.assertAwsError("InvalidDBParameterGroupState", message="One or more database instances are still "
                                 "members of this parameter group app-pg, so the group cannot be deleted"):
            rds.delete_db_parameter_group(DBParameterGroupName="app-pg")
        with self.assertAwsError("InvalidDBParameterGroupState",
                                 message="Default DBParameterGroup cannot be deleted: default.postgres16"):
            rds.delete_db_parameter_group(DBParameterGroupName="default.postgres16")
        names = [g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]]
        self.assertEqual(names, ["app-pg"])

    class _Any:
        def __eq__(self, other):
            return True
    ANY = _Any()

    # ---- tags and paging ------------------------------------------------------------------------------------

    def test_tags(self):
        self.db(Tags=[{"Key": "a", "Value": "1"}])
        rds = self.rds()
        arn = "arn:aws:rds:us-east-1:000000000000:db:appdb"
        rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
        self.assertEqual(rds.list_tags_for_resource(ResourceName=arn)["TagList"],
                         [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}])
        rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["a"])
        self.assertEqual(rds.describe_db_instances(DBInstanceIdentifier="appdb")["DBInstances"][0]["TagList"],
                         [{"Key": "b", "Value": "2"}])
        sg_arn = "arn:aws:rds:us-east-1:000000000000:subgrp:appdb-subnets"
        rds.add_tags_to_resource(ResourceName=sg_arn, Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(rds.list_tags_for_resource(ResourceName=sg_arn)["TagList"], [{"Key": "k", "Value": "v"}])
        rds.create_db_parameter_group(DBParameterGroupName="p", DBParameterGroupFamily="mysql8.0", Description="p",
                                      Tags=[{"Key": "x", "Value": "y"}])
        self.assertEqual(rds.list_tags_for_resource(ResourceName="arn:aws:rds:us-east-1:000000000000:pg:p")["TagList"],
                         [{"Key": "x", "Value": "y"}])
        with self.assertAwsError("DBInstanceNotFound"):
            rds.list_tags_for_resource(ResourceName="arn:aws:rds:us-east-1:000000000000:db:nope")
        with self.assertAwsError("DBSnapshotNotFound"):
            rds.add_tags_to_resource(ResourceName="arn:aws:rds:us-east-1:000000000000:snapshot:nope",
                                     Tags=[{"Key": "k", "Value": "v"}])

    def test_paging_and_filters(self):
        n = self.network()
        rds = self.rds()
        rds.create_db_subnet_group(DBSubnetGroupName="g", DBSubnetGroupDescription="d", SubnetIds=n["subnets"])
        for i in range(23):
            rds.create_db_instance(DBInstanceIdentifier="db%02d" % i, Engine="mysql" if i % 2 else "postgres",
                                   DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="app",
                                   MasterUserPassword=PW, DBSubnetGroupName="g")
        with self.assertAwsError("InvalidParameterValue"):
            rds.describe_db_instances(MaxRecords=5)
        page = rds.describe_db_instances(MaxRecords=20)
        self.assertEqual(len(page["DBInstances"]), 20)
        rest = rds.describe_db_instances(MaxRecords=20, Marker=page["Marker"])
        self.assertEqual([d["DBInstanceIdentifier"] for d in rest["DBInstances"]], ["db20", "db21", "db22"])
        self.assertNotIn("Marker", rest)
        ids = [d["DBInstanceIdentifier"] for p in rds.get_paginator("describe_db_instances").paginate(
            PaginationConfig={"PageSize": 20}) for d in p["DBInstances"]]
        self.assertEqual(len(ids), 23)
        mysql = rds.describe_db_instances(Filters=[{"Name": "engine", "Values": ["mysql"]}])["DBInstances"]
        self.assertEqual(len(mysql), 11)
        one = rds.describe_db_instances(Filters=[{"Name": "db-instance-id",
                                                  "Values": ["arn:aws:rds:us-east-1:000000000000:db:db03"]}])
        self.assertEqual([d["DBInstanceIdentifier"] for d in one["DBInstances"]], ["db03"])
        with self.assertAwsError("InvalidParameterValue"):
            rds.describe_db_instances(Filters=[{"Name": "bogus", "Values": ["x"]}])
        cli = self.aws("rds", "describe-db-instances", "--page-size", "20")
        self.assertEqual(len(cli["DBInstances"]), 23)
        self.assertTrue(re.match(r"^db\d\d$", cli["DBInstances"][0]["DBInstanceIdentifier"]))


if __name__ == "__main__":
    harness.main()
