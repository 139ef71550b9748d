"""IAM roles, policies and instance profiles, driven by the real AWS CLI v2 and boto3."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ECS_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
READ_PARAMS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameters", "secretsmanager:GetSecretValue"],
                   "Resource": "arn:aws:ssm:us-east-1:000000000000:parameter/app/*"}],
}


def doc(d):
    return json.dumps(d)


class IamTest(harness.EmulatorTest):
    def setUp(self):
        super().setUp()
        self.iam = self.client("iam")

    def role(self, name, trust=ECS_TASKS_TRUST, **kw):
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(trust), **kw)["Role"]

    def policy(self, name, document=READ_PARAMS, **kw):
        return self.iam.create_policy(PolicyName=name, PolicyDocument=doc(document), **kw)["Policy"]

    # ---- the seeds' execution and task roles ----------------------------------------------------

    def test_seed_execution_and_task_roles_with_cli(self):
        out = self.aws("iam", "create-role", "--role-name", "app-execution-role",
                       "--assume-role-policy-document", doc(ECS_TASKS_TRUST))["Role"]
        self.assertEqual(out["Arn"], "arn:aws:iam::%s:role/app-execution-role" % ACCOUNT)
        self.assertRegex(out["RoleId"], r"^AROA[A-Z0-9]{17}$")
        self.assertEqual(out["Path"], "/")
        self.assertEqual(out["AssumeRolePolicyDocument"], ECS_TASKS_TRUST)  # decoded by the CLI
        self.assertEqual(out["MaxSessionDuration"], 3600)
        self.aws("iam", "attach-role-policy", "--role-name", "app-execution-role", "--policy-arn", EXEC_POLICY)
        self.aws("iam", "create-role", "--role-name", "app-task-role", "--path", "/app/",
                 "--assume-role-policy-document", doc(ECS_TASKS_TRUST))
        self.aws("iam", "put-role-policy", "--role-name", "app-task-role", "--policy-name", "read-params",
                 "--policy-document", doc(READ_PARAMS))
        attached = self.aws("iam", "list-attached-role-policies", "--role-name", "app-execution-role")
        self.assertEqual(attached["AttachedPolicies"],
                         [{"PolicyName": "AmazonECSTaskExecutionRolePolicy", "PolicyArn": EXEC_POLICY}])
        got = self.aws("iam", "get-role-policy", "--role-name", "app-task-role", "--policy-name", "read-params")
        self.assertEqual(got["PolicyDocument"], READ_PARAMS)
        self.assertEqual(self.aws("iam", "list-role-policies", "--role-name", "app-task-role")["PolicyNames"],
                         ["read-params"])
        role = self.aws("iam", "get-role", "--role-name", "app-task-role")["Role"]
        self.assertEqual(role["Arn"], "arn:aws:iam::%s:role/app/app-task-role" % ACCOUNT)
        self.assertEqual(role["RoleLastUsed"], {})

    def test_documents_are_url_encoded_on_the_wire(self):
        self.role("r1")
        raw = self.iam.meta.events  # botocore decodes documents; look at the raw body instead
        bodies = []
        raw.register("after-call.iam.GetRole", lambda http_response, **kw: bodies.append(http_response.text))
        self.iam.get_role(RoleName="r1")
        self.assertIn("<AssumeRolePolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22%2C%20", bodies[0])

    def test_role_names_unique_regardless_of_case(self):
        self.role("Worker")
        with self.assertAwsError("EntityAlreadyExists", status=409, message="Role with name worker already exists."):
            self.role("worker")

    def test_no_such_role(self):
        with self.assertAwsError("NoSuchEntity", status=404, message="The role with name ghost cannot be found."):
            self.iam.get_role(RoleName="ghost")
        with self.assertAwsError("NoSuchEntity"):
            self.aws("iam", "delete-role", "--role-name", "ghost")

    def test_update_role_and_trust(self):
        self.role("r", Description="first", MaxSessionDuration=7200)
        self.iam.update_role(RoleName="r", Description="second", MaxSessionDuration=14400)
        role = self.iam.get_role(RoleName="r")["Role"]
        self.assertEqual((role["Description"], role["MaxSessionDuration"]), ("second", 14400))
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]}
        self.iam.update_assume_role_policy(RoleName="r", PolicyDocument=doc(trust))
        self.assertEqual(self.iam.get_role(RoleName="r")["Role"]["AssumeRolePolicyDocument"], trust)
        with self.assertAwsError("MalformedPolicyDocument"):
            self.iam.update_assume_role_policy(RoleName="r", PolicyDocument="{")

    def test_role_tags(self):
        self.role("r", Tags=[{"Key": "team", "Value": "core"}])
        self.iam.tag_role(RoleName="r", Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "edge"}])
        tags = self.iam.list_role_tags(RoleName="r")["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("env", "prod"), ("team", "edge")])
        self.iam.untag_role(RoleName="r", TagKeys=["team"])
        self.assertEqual(self.iam.get_role(RoleName="r")["Role"]["Tags"], [{"Key": "env", "Value": "prod"}])
        with self.assertAwsError("InvalidInput"):
            self.iam.tag_role(RoleName="r", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
        with self.assertAwsError("LimitExceeded"):
            self.iam.tag_role(RoleName="r", Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])

    def test_list_roles_pagination_and_path_prefix(self):
        for i in range(5):
            self.role("role-%d" % i, Path="/svc/" if i % 2 else "/")
        page = self.iam.list_roles(MaxItems=2)
        self.assertTrue(page["IsTruncated"])
        names = [r["RoleName"] for r in page["Roles"]]
        while page["IsTruncated"]:
            page = self.iam.list_roles(MaxItems=2, Marker=page["Marker"])
            names += [r["RoleName"] for r in page["Roles"]]
        self.assertEqual(names, ["role-%d" % i for i in range(5)])
        svc = self.iam.list_roles(PathPrefix="/svc/")
        self.assertFalse(svc["IsTruncated"])
        self.assertEqual([r["RoleName"] for r in svc["Roles"]], ["role-1", "role-3"])
        # the CLI paginates by itself
        out = self.aws("iam", "list-roles", "--page-size", "2")
        self.assertEqual(len(out["Roles"]), 5)

    def test_invalid_names_and_paths(self):
        with self.assertAwsError("ValidationError"):
            self.role("bad name")
        with self.assertAwsError("ValidationError"):
            self.role("ok", Path="no-slashes")

    # ---- policy grammar -----------------------------------------------------------------------

    def test_malformed_trust_policies(self):
        cases = [
            ("not json", "This policy contains invalid Json"),
            (doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                                          "Action": "sts:AssumeRole", "Resource": "*"}]}),
             "Has prohibited field Resource"),
            (doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
             "Missing required field Principal"),
            (doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                                          "Action": "s3:GetObject"}]}),
             "AssumeRole policy may only specify STS AssumeRole actions."),
            (doc({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*",
                                                          "Action": "sts:AssumeRole"}]}),
             "Syntax errors in policy."),
        ]
        for text, message in cases:
            with self.subTest(message=message):
                with self.assertAwsError("MalformedPolicyDocument", status=400, message=message):
                    self.iam.create_role(RoleName="r", AssumeRolePolicyDocument=text)
        with self.assertAwsError("MalformedPolicyDocument", message="This policy contains invalid Json"):
            self.aws("iam", "create-role", "--role-name", "r", "--assume-role-policy-document", "{oops")

    def test_malformed_identity_policies(self):
        stmt = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}
        cases = [
            ("This is not a json document", "Syntax errors in policy."),
            (doc({"Statement": stmt}), "Policy document must be version 2012-10-17 or greater."),
            (doc({"Version": "2013-10-17", "Statement": stmt}), "Syntax errors in policy."),
            (doc({"Version": "2012-10-17"}), "Syntax errors in policy."),
            (doc({"Version": "2012-10-17", "Statement": []}), "Syntax errors in policy."),
            (doc({"Version": "2012-10-17", "Statement": dict(stmt, Extra=1)}), "Syntax errors in policy."),
            (doc({"Version": "2012-10-17", "Statement": dict(stmt, Action="invalid")}),
             "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
            (doc({"Version": "2012-10-17", "Statement": dict(stmt, Action="s3:List:Bucket")}),
             "Actions/Condition can contain only one colon."),
            (doc({"Version": "2012-10-17", "Statement": dict(stmt, Action="a a:ListBucket")}), "Vendor a a is not valid"),
            (doc({"Version": "2012-10-17", "Statement": dict(stmt, Resource="invalid resource")}),
             'Resource invalid resource must be in ARN format or "*".'),
            (doc({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket"}}),
             "Policy statement must contain resources."),
            (doc({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}}),
             "Policy statement must contain actions."),
            (doc({"Version": "2012-10-17", "Statement": dict(stmt, Principal="*")}),
             "Policy document should not specify a principal."),
            (doc({"Version": "2012-10-17", "Statement": [dict(stmt, Sid="a"), dict(stmt, Sid="a")]}),
             "Statement IDs (SID) in a single policy must be unique."),
            (doc({"Version": "2012-10-17", "Statement": dict(stmt, Condition={"a": "b"})}), "Syntax errors in policy."),
        ]
        for text, message in cases:
            with self.subTest(message=message, text=text):
                with self.assertAwsError("MalformedPolicyDocument", status=400, message=message):
                    self.iam.create_policy(PolicyName="p", PolicyDocument=text)
        self.role("r")
        with self.assertAwsError("MalformedPolicyDocument", message="Syntax errors in policy."):
            self.aws("iam", "put-role-policy", "--role-name", "r", "--policy-name", "p", "--policy-document", "[]")

    # ---- managed policies -----------------------------------------------------------------------

    def test_aws_managed_policies_exist(self):
        p = self.iam.get_policy(PolicyArn=EXEC_POLICY)["Policy"]
        self.assertEqual(p["PolicyName"], "AmazonECSTaskExecutionRolePolicy")
        self.assertEqual(p["Path"], "/service-role/")
        self.assertTrue(p["IsAttachable"])
        for arn in ["arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
                    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                    "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess", "arn:aws:iam::aws:policy/AdministratorAccess",
                    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
                    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]:
            pol = self.iam.get_policy(PolicyArn=arn)["Policy"]
            v = self.iam.get_policy_version(PolicyArn=arn, VersionId=pol["DefaultVersionId"])["PolicyVersion"]
            self.assertEqual(v["Document"]["Version"], "2012-10-17")
        aws = self.aws("iam", "list-policies", "--scope", "AWS")["Policies"]
        self.assertIn(EXEC_POLICY, [p["Arn"] for p in aws])
        with self.assertAwsError("NoSuchEntity"):
            self.iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")

    def test_customer_policy_lifecycle(self):
        p = self.policy("read-params", Path="/app/", Description="reads parameters")
        self.assertRegex(p["PolicyId"], r"^ANPA[A-Z0-9]{17}$")
        self.assertEqual(p["Arn"], "arn:aws:iam::%s:policy/app/read-params" % ACCOUNT)
        self.assertEqual((p["DefaultVersionId"], p["AttachmentCount"]), ("v1", 0))
        with self.assertAwsError("EntityAlreadyExists", status=409):
            self.policy("read-params")
        local = self.iam.list_policies(Scope="Local")["Policies"]
        self.assertEqual([x["PolicyName"] for x in local], ["read-params"])
        self.assertEqual(self.iam.get_policy(PolicyArn=p["Arn"])["Policy"]["Description"], "reads parameters")
        v1 = self.iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
        self.assertEqual(v1["Document"], READ_PARAMS)
        self.assertTrue(v1["IsDefaultVersion"])

    def test_policy_versions_limit_and_default(self):
        arn = self.policy("p")["Arn"]
        for i in range(2, 6):
            v = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(READ_PARAMS),
                                               SetAsDefault=(i == 3))["PolicyVersion"]
            self.assertEqual(v["VersionId"], "v%d" % i)
        with self.assertAwsError("LimitExceeded", status=409,
                                 message="A managed policy can have up to 5 versions."):
            self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(READ_PARAMS))
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v3")
        with self.assertAwsError("DeleteConflict", message="Cannot delete the default version of a policy."):
            self.iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
        self.iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
        self.iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
        versions = self.iam.list_policy_versions(PolicyArn=arn)["Versions"]
        self.assertEqual([(v["VersionId"], v["IsDefaultVersion"]) for v in versions],
                         [("v5", True), ("v4", False), ("v3", False), ("v2", False)])
        v6 = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(READ_PARAMS))["PolicyVersion"]
        self.assertEqual(v6["VersionId"], "v6")
        with self.assertAwsError("NoSuchEntity"):
            self.iam.get_policy_version(PolicyArn=arn, VersionId="v1")

    def test_attached_policy_limit(self):
        self.role("r")
        arns = [self.policy("p%d" % i)["Arn"] for i in range(11)]
        for arn in arns[:10]:
            self.iam.attach_role_policy(RoleName="r", PolicyArn=arn)
        with self.assertAwsError("LimitExceeded", status=409):
            self.iam.attach_role_policy(RoleName="r", PolicyArn=arns[10])
        self.assertEqual(self.iam.get_policy(PolicyArn=arns[0])["Policy"]["AttachmentCount"], 1)
        page = self.iam.list_attached_role_policies(RoleName="r", MaxItems=4)
        self.assertTrue(page["IsTruncated"])
        self.assertEqual(len(page["AttachedPolicies"]), 4)

    def test_attach_errors(self):
        self.role("r")
        with self.assertAwsError("NoSuchEntity", message="does not exist or is not attachable"):
            self.iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::000000000000:policy/ghost")
        with self.assertAwsError("NoSuchEntity"):
            self.iam.attach_role_policy(RoleName="ghost", PolicyArn=EXEC_POLICY)
        with self.assertAwsError("NoSuchEntity"):
            self.iam.detach_role_policy(RoleName="r", PolicyArn=EXEC_POLICY)
        with self.assertAwsError("NoSuchEntity", message="The role policy with name nope cannot be found."):
            self.iam.get_role_policy(RoleName="r", PolicyName="nope")
        with self.assertAwsError("NoSuchEntity"):
            self.iam.delete_role_policy(RoleName="r", PolicyName="nope")

    # ---- every DeleteConflict ------------------------------------------------------------------

    def test_delete_role_conflicts(self):
        self.role("r")
        self.iam.attach_role_policy(RoleName="r", PolicyArn=EXEC_POLICY)
        with self.assertAwsError("DeleteConflict", status=409,
                                 message="Cannot delete entity, must detach all policies first."):
            self.aws("iam", "delete-role", "--role-name", "r")
        self.iam.detach_role_policy(RoleName="r", PolicyArn=EXEC_POLICY)
        self.iam.put_role_policy(RoleName="r", PolicyName="inline", PolicyDocument=doc(READ_PARAMS))
        with self.assertAwsError("DeleteConflict", message="Cannot delete entity, must delete policies first."):
            self.iam.delete_role(RoleName="r")
        self.iam.delete_role_policy(RoleName="r", PolicyName="inline")
        self.iam.create_instance_profile(InstanceProfileName="ip")
        self.iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")
        with self.assertAwsError("DeleteConflict",
                                 message="Cannot delete entity, must remove roles from instance profile first."):
            self.iam.delete_role(RoleName="r")
        with self.assertAwsError("DeleteConflict",
                                 message="Cannot delete entity, must remove roles from instance profile first."):
            self.iam.delete_instance_profile(InstanceProfileName="ip")
        self.iam.remove_role_from_instance_profile(InstanceProfileName="ip", RoleName="r")
        self.iam.delete_instance_profile(InstanceProfileName="ip")
        self.iam.delete_role(RoleName="r")
        with self.assertAwsError("NoSuchEntity"):
            self.iam.get_role(RoleName="r")

    def test_delete_policy_conflicts(self):
        self.role("r")
        arn = self.policy("p")["Arn"]
        self.iam.attach_role_policy(RoleName="r", PolicyArn=arn)
        with self.assertAwsError("DeleteConflict", status=409, message="Cannot delete a policy attached to entities."):
            self.aws("iam", "delete-policy", "--policy-arn", arn)
        self.iam.detach_role_policy(RoleName="r", PolicyArn=arn)
        self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(READ_PARAMS))
        with self.assertAwsError("DeleteConflict", message="This policy has more than one version."):
            self.iam.delete_policy(PolicyArn=arn)
        self.iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
        self.iam.delete_policy(PolicyArn=arn)
        with self.assertAwsError("NoSuchEntity"):
            self.iam.get_policy(PolicyArn=arn)

    # ---- instance profiles and service-linked roles ------------------------------------------------

    def test_instance_profiles(self):
        self.role("ecs-instance")
        ip = self.aws("iam", "create-instance-profile", "--instance-profile-name", "ecs-ip")["InstanceProfile"]
        self.assertRegex(ip["InstanceProfileId"], r"^AIPA[A-Z0-9]{17}$")
        self.assertEqual(ip["Arn"], "arn:aws:iam::%s:instance-profile/ecs-ip" % ACCOUNT)
        self.assertEqual(ip["Roles"], [])
        with self.assertAwsError("EntityAlreadyExists"):
            self.iam.create_instance_profile(InstanceProfileName="ecs-ip")
        self.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "ecs-ip",
                 "--role-name", "ecs-instance")
        self.role("other")
        with self.assertAwsError("LimitExceeded", status=409):
            self.iam.add_role_to_instance_profile(InstanceProfileName="ecs-ip", RoleName="other")
        got = self.iam.get_instance_profile(InstanceProfileName="ecs-ip")["InstanceProfile"]
        self.assertEqual([r["RoleName"] for r in got["Roles"]], ["ecs-instance"])
        for_role = self.iam.list_instance_profiles_for_role(RoleName="ecs-instance")["InstanceProfiles"]
        self.assertEqual([p["InstanceProfileName"] for p in for_role], ["ecs-ip"])
        self.assertEqual(len(self.iam.list_instance_profiles()["InstanceProfiles"]), 1)
        with self.assertAwsError("NoSuchEntity", message="Instance Profile ghost cannot be found."):
            self.iam.get_instance_profile(InstanceProfileName="ghost")

    def test_service_linked_roles(self):
        role = self.iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
        self.assertEqual(role["RoleName"], "AWSServiceRoleForECS")
        self.assertEqual(role["Path"], "/aws-service-role/ecs.amazonaws.com/")
        self.assertEqual(role["Arn"],
                         "arn:aws:iam::%s:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS" % ACCOUNT)
        self.assertEqual(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
                         ["ecs.amazonaws.com"])
        with self.assertAwsError("InvalidInput", message="has been taken in this account"):
            self.iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
        names = {"elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
                 "rds.amazonaws.com": "AWSServiceRoleForRDS",
                 "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
                 "ecs.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_ECSService"}
        for service, name in names.items():
            out = self.aws("iam", "create-service-linked-role", "--aws-service-name", service)
            self.assertEqual(out["Role"]["RoleName"], name)
        with self.assertAwsError("UnmodifiableEntity"):
            self.iam.delete_role(RoleName="AWSServiceRoleForECS")


if __name__ == "__main__":
    harness.main()
