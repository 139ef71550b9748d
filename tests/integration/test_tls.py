"""The HTTPS path, offline: `drydock serve --tls-cert/--tls-key` with a certificate from a throwaway
test CA (made with the openssl CLI at test time), driven by the AWS CLI, boto3 and the provisioner,
each trusting that CA explicitly and refusing the server without it."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import boto3  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402

SRC = os.environ.get("DRYDOCK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
NETWORK = os.path.join(SRC, "tests", "templates", "network.yaml")
OPENSSL = "/usr/bin/openssl"


def openssl(*args, cwd):
    p = subprocess.run([OPENSSL] + list(args), capture_output=True, text=True, cwd=cwd, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr))


def make_ca_and_server_cert(d):
    """A CA (ca.pem) and a server certificate for 127.0.0.1 / localhost it signed (server.pem, server.key)."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "1", "-subj", "/CN=drydock test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "1", "-extfile", "server.ext", cwd=d)
    return tuple(os.path.join(d, n) for n in ("ca.pem", "server.pem", "server.key"))


def drydock(*args, cwd, env=None):
    e = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    e.update(env or {})
    return subprocess.run([harness.DRYDOCK] + list(args), capture_output=True, text=True, cwd=cwd, env=e,
                          timeout=300)


class TlsTest(harness.EmulatorTest):
    @classmethod
    def setUpClass(cls):
        if not os.access(OPENSSL, os.X_OK):
            raise unittest.SkipTest("the openssl CLI is not installed (scripts/install-deps.sh installs it)")
        cls.certs = tempfile.mkdtemp(prefix="drydock-tls-")
        cls.ca, cert, key = make_ca_and_server_cert(cls.certs)
        cls.emulator = harness.Emulator(extra_args=["--tls-cert", cert, "--tls-key", key], ca=cls.ca).start()
        cls.endpoint = cls.emulator.endpoint

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certs, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="drydock-tls-prov-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()

    def boto(self, service, verify):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=harness.REGION, verify=verify,
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=botocore.config.Config(retries={"max_attempts": 1}))

    def test_serves_https_and_says_so(self):
        self.assertTrue(self.endpoint.startswith("https://"))
        self.assertIn("listening on https://127.0.0.1:%d" % self.emulator.port, self.emulator.output())

    def test_aws_cli_trusts_only_with_the_ca_bundle(self):
        who = self.aws("--ca-bundle", self.ca, "sts", "get-caller-identity")
        self.assertEqual(who["Account"], "000000000000")
        p = self.aws("sts", "get-caller-identity", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("CERTIFICATE_VERIFY_FAILED", p.stderr)

    def test_boto3_with_verify(self):
        ssm = self.boto("ssm", verify=self.ca)
        ssm.put_parameter(Name="/tls/a", Value="over-https", Type="SecureString")
        got = ssm.get_parameter(Name="/tls/a", WithDecryption=True)["Parameter"]["Value"]
        self.assertEqual(got, "over-https")
        with self.assertRaises(botocore.exceptions.SSLError):
            self.boto("sts", verify=True).get_caller_identity()

    def test_provisioner_over_https(self):
        env = {"AWS_CA_BUNDLE": self.ca}
        p = drydock("apply", NETWORK, "--stack", "net", "--endpoint", self.endpoint, cwd=self.dir, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Apply complete: 24 added, 0 changed, 0 replaced, 0 deleted", p.stdout)
        ec2 = self.boto("ec2", verify=self.ca)
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["net-vpc"]}])["Vpcs"]
        self.assertEqual([v["CidrBlock"] for v in vpcs], ["10.0.0.0/16"])
        self.assertEqual(self.boto("ssm", verify=self.ca).get_parameter(Name="/net/env")["Parameter"]["Value"],
                         "development")

        # Without the CA the certificate is refused, clearly, before any change.
        vpcs_before = len(ec2.describe_vpcs()["Vpcs"])
        other = tempfile.mkdtemp(prefix="drydock-tls-noca-", dir=self.dir)
        p = drydock("apply", NETWORK, "--stack", "net2", "--endpoint", self.endpoint, cwd=other)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("TLS failure talking to " + self.endpoint, p.stdout + p.stderr)
        self.assertIn("certificate", p.stdout + p.stderr)
        self.assertEqual(len(ec2.describe_vpcs()["Vpcs"]), vpcs_before)
        self.assertIn("cannot use the target", p.stderr)
        # plan too: one clear error, not a plan built on values it could not read
        p = drydock("plan", NETWORK, "--stack", "net2", "--endpoint", self.endpoint, cwd=other)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("cannot use the target: RequestError: TLS failure", p.stderr)
        self.assertNotIn("Plan:", p.stdout)

        p = drydock("destroy", "--stack", "net", "--endpoint", self.endpoint, cwd=self.dir, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["net-vpc"]}])["Vpcs"], [])


if __name__ == "__main__":
    harness.main()
