"""STS AssumeRole: temporary credentials the emulator then accepts and verifies."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
OTHER = "111111111111"


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


class AssumeRoleTest(harness.EmulatorTest):
    def setUp(self):
        super().setUp()
        self.iam = self.client("iam")
        self.sts = self.client("sts")

    def make_role(self, name="deployer", principal=None, account_key="test", **kw):
        iam = self.client("iam", access_key=account_key)
        principal = principal or {"AWS": "arn:aws:iam::%s:root" % ACCOUNT}
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(principal), **kw)["Role"]

    def assume(self, arn, session="ci", **kw):
        return self.sts.assume_role(RoleArn=arn, RoleSessionName=session, **kw)

    def session_client(self, creds, service="sts", token=None):
        return self.client(service, access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                           token=token if token is not None else creds["SessionToken"])

    def test_assume_role_and_get_caller_identity(self):
        role = self.make_role()
        out = self.assume(role["Arn"], DurationSeconds=900)
        creds = out["Credentials"]
        self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z0-9]{16}$")
        self.assertEqual(len(creds["SecretAccessKey"]), 40)
        self.assertTrue(creds["SessionToken"])
        self.assertEqual(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/deployer/ci" % ACCOUNT)
        self.assertEqual(out["AssumedRoleUser"]["AssumedRoleId"], role["RoleId"] + ":ci")
        ident = self.session_client(creds).get_caller_identity()
        self.assertEqual(ident["Arn"], "arn:aws:sts::%s:assumed-role/deployer/ci" % ACCOUNT)
        self.assertEqual(ident["UserId"], role["RoleId"] + ":ci")
        self.assertEqual(ident["Account"], ACCOUNT)

    def test_assume_role_with_cli_and_use_credentials(self):
        role = self.make_role(Path="/ci/")
        out = self.aws("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli")
        creds = out["Credentials"]
        # the temporary credentials work on other services too (json protocol)
        ssm = self.session_client(creds, "ssm")
        ssm.put_parameter(Name="/from/role", Value="v", Type="String")
        self.assertEqual(self.client("ssm").get_parameter(Name="/from/role")["Parameter"]["Value"], "v")

    def test_tampered_session_token_refused(self):
        creds = self.assume(self.make_role()["Arn"])["Credentials"]
        token = creds["SessionToken"]
        bad = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        with self.assertAwsError("InvalidClientTokenId", status=403,
                                 message="The security token included in the request is invalid."):
            self.session_client(creds, token=bad).get_caller_identity()
        with self.assertAwsError("UnrecognizedClientException", status=400,
                                 message="The security token included in the request is invalid."):
            self.session_client(creds, "ssm", token=bad).describe_parameters()
        # a missing token is refused the same way
        no_token = self.client("sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
        with self.assertAwsError("InvalidClientTokenId"):
            no_token.get_caller_identity()

    def test_wrong_secret_refused(self):
        creds = dict(self.assume(self.make_role()["Arn"])["Credentials"], SecretAccessKey="x" * 40)
        with self.assertAwsError("SignatureDoesNotMatch", status=403):
            self.session_client(creds).get_caller_identity()

    def test_expired_credentials_refused(self):
        creds = self.assume(self.make_role()["Arn"], DurationSeconds=900)["Credentials"]
        self.session_client(creds).get_caller_identity()
        # the emulator clock (which every service reads) moves past the expiry
        self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 901})
        with self.assertAwsError("ExpiredToken", status=403,
                                 message="The security token included in the request is expired"):
            self.session_client(creds).get_caller_identity()
        with self.assertAwsError("ExpiredTokenException", status=400):
            self.session_client(creds, "ssm").describe_parameters()

    def test_trust_policy_must_allow_caller(self):
        svc_role = self.make_role("task-role", principal={"Service": "ecs-tasks.amazonaws.com"})
        with self.assertAwsError("AccessDenied", status=403,
                                 message="User: arn:aws:iam::%s:root is not authorized to perform: sts:AssumeRole "
                                         "on resource: %s" % (ACCOUNT, svc_role["Arn"])):
            self.assume(svc_role["Arn"])
        with self.assertAwsError("AccessDenied"):
            self.assume("arn:aws:iam::%s:role/ghost" % ACCOUNT)
        # the account id form of a principal, and "*"
        self.assume(self.make_role("by-id", principal={"AWS": ACCOUNT})["Arn"])
        self.assume(self.make_role("anyone", principal={"AWS": "*"})["Arn"])

    def test_cross_account(self):
        role = self.make_role("shared", principal={"AWS": "arn:aws:iam::%s:root" % ACCOUNT}, account_key=OTHER)
        self.assertEqual(role["Arn"], "arn:aws:iam::%s:role/shared" % OTHER)
        creds = self.assume(role["Arn"])["Credentials"]
        ident = self.session_client(creds).get_caller_identity()
        self.assertEqual(ident["Account"], OTHER)
        self.assertEqual(ident["Arn"], "arn:aws:sts::%s:assumed-role/shared/ci" % OTHER)
        # a third account is not trusted
        other_sts = self.client("sts", access_key="222222222222")
        with self.assertAwsError("AccessDenied"):
            other_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="xy")

    def test_duration_limits(self):
        role = self.make_role(MaxSessionDuration=7200)
        self.assume(role["Arn"], DurationSeconds=7200)
        with self.assertAwsError("ValidationError", status=400,
                                 message="The requested DurationSeconds exceeds the MaxSessionDuration set for "
                                         "this role."):
            self.assume(role["Arn"], DurationSeconds=7201)

    def test_role_chaining(self):
        first = self.make_role("first")
        second = self.make_role("second", principal={"AWS": first["Arn"]}, MaxSessionDuration=7200)
        creds = self.assume(first["Arn"])["Credentials"]
        chained = self.session_client(creds)
        out = chained.assume_role(RoleArn=second["Arn"], RoleSessionName="hop")
        self.assertEqual(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/second/hop" % ACCOUNT)
        with self.assertAwsError("ValidationError", message="1 hour session limit"):
            chained.assume_role(RoleArn=second["Arn"], RoleSessionName="hop", DurationSeconds=7200)

    def test_bad_session_name(self):
        role = self.make_role()
        with self.assertAwsError("ValidationError", message="roleSessionName"):
            self.assume(role["Arn"], session="has space")


if __name__ == "__main__":
    harness.main()
