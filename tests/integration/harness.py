"""Shared harness for drydock's integration tests.

Starts a real `drydock serve` on a free loopback port and drives it with the
real AWS CLI v2 (Debian's /usr/bin/aws) and boto3 (Debian's python3-boto3).
Each test module is a unittest module ending with `harness.main()`, which
prints the plain closing line `N passed, N failed`.

    class SsmTest(harness.EmulatorTest):
        def test_put(self):
            out = self.aws("ssm", "put-parameter", "--name", "/a", "--value", "v", "--type", "String")
            self.assertEqual(out["Version"], 1)
            with self.assertAwsError("ParameterNotFound"):
                self.client("ssm").get_parameter(Name="/nope")
"""
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

DRYDOCK = os.environ.get("DRYDOCK_BIN", "build/drydock")
AWS_CLI = "/usr/bin/aws"
REGION = "us-east-1"

# Never let the developer's own AWS configuration leak into a test.
for var in list(os.environ):
    if var.startswith("AWS_"):
        del os.environ[var]

import boto3  # noqa: E402  (after the environment is clean)
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """One drydock process. `state` is a path or ':memory:'. With `ca` (a PEM file), the
    emulator is expected to serve HTTPS (pass --tls-cert/--tls-key in extra_args) with a
    certificate that CA issued; health checks and admin calls then verify against it."""

    def __init__(self, state=":memory:", extra_args=(), env=None, ca=None):
        self.state = state
        self.extra_args = list(extra_args)
        self.env = env
        self.ca = ca
        self.port = None
        self.proc = None
        self.log = None

    @property
    def endpoint(self):
        return "%s://127.0.0.1:%d" % ("https" if self.ca else "http", self.port)

    def _urlopen(self, req, timeout):
        context = ssl.create_default_context(cafile=self.ca) if self.ca else None
        return urllib.request.urlopen(req, timeout=timeout, context=context)

    def start(self, port=None):
        self.port = port or free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="drydock-", suffix=".log", delete=False)
        args = [DRYDOCK, "serve", "--port", str(self.port), "--state", self.state] + self.extra_args
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("drydock exited with %s:\n%s" % (self.proc.returncode, self.output()))
            try:
                with self._urlopen(self.endpoint + "/_drydock/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("drydock did not start:\n" + self.output())

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        if not self.log:
            return ""
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method)
        with self._urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")


def client(endpoint, service, access_key="test", secret_key="test", region=REGION, token=None):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=region,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=token,
        config=botocore.config.Config(retries={"max_attempts": 1}))


def aws(endpoint, *args, access_key="test", secret_key="test", region=REGION, check=True):
    """Runs the AWS CLI; returns parsed JSON output (or {}), raises AwsCliError on failure."""
    env = {"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir(),
           "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key,
           "AWS_DEFAULT_REGION": region, "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    cmd = [AWS_CLI, "--endpoint-url", endpoint, "--output", "json"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    if p.returncode != 0:
        if check:
            raise AwsCliError(p.returncode, p.stderr)
        return p
    return json.loads(p.stdout) if p.stdout.strip() else {}


class AwsCliError(Exception):
    def __init__(self, rc, stderr):
        super().__init__("aws exited %d: %s" % (rc, stderr.strip()))
        self.rc = rc
        self.stderr = stderr

    @property
    def code(self):
        # "An error occurred (ParameterNotFound) when calling the GetParameter operation: ..."
        s = self.stderr
        i = s.find("An error occurred (")
        return s[i + 19:s.index(")", i)] if i >= 0 else None


class EmulatorTest(unittest.TestCase):
    """A test case with one emulator for the whole class, reset between tests."""

    emulator_args = ()

    @classmethod
    def setUpClass(cls):
        cls.emulator = Emulator(extra_args=cls.emulator_args).start()
        cls.endpoint = cls.emulator.endpoint

    @classmethod
    def tearDownClass(cls):
        rc = cls.emulator.stop()
        # A clean stop exits 0; sanitizer findings (leaks, UB) make it non-zero.
        if rc != 0:
            raise AssertionError("drydock exited with %s:\n%s" % (rc, cls.emulator.output()[-6000:]))

    def setUp(self):
        self.emulator.admin("POST", "/_drydock/reset")

    def tearDown(self):
        self.assertTrue(self.emulator.alive(), "drydock died:\n" + self.emulator.output()[-4000:])

    def client(self, service, **kw):
        return client(self.endpoint, service, **kw)

    def aws(self, *args, **kw):
        return aws(self.endpoint, *args, **kw)

    @contextlib.contextmanager
    def assertAwsError(self, code, status=None, message=None):
        """Expects a boto3 ClientError or an AwsCliError with this code."""
        try:
            yield
        except botocore.exceptions.ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], code, e.response)
            if status is not None:
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], status)
            if message is not None:
                self.assertIn(message, e.response["Error"]["Message"])
        except AwsCliError as e:
            self.assertEqual(e.code, code, e.stderr)
            if message is not None:
                self.assertIn(message, e.stderr)
        else:
            self.fail("expected AWS error %s" % code)


class ManualClockTest(EmulatorTest):
    """An EmulatorTest on the manual clock: nothing happens until advance() moves it, and the
    advance runs every simulation event due by then before it returns."""

    def setUp(self):
        super().setUp()
        self.emulator.admin("POST", "/_drydock/clock", {"mode": "manual"})

    def tearDown(self):
        self.emulator.admin("POST", "/_drydock/clock", {"mode": "real"})
        super().tearDown()

    def advance(self, seconds):
        return self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": seconds})


class _Result(unittest.TextTestResult):
    pass


def main():
    runner = unittest.TextTestRunner(verbosity=2, resultclass=_Result, stream=sys.stdout)
    program = unittest.main(testRunner=runner, exit=False)
    r = program.result
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    passed = r.testsRun - failed - len(r.skipped)
    print("%d passed, %d failed" % (passed, failed) + (", %d skipped" % len(r.skipped) if r.skipped else ""))
    sys.exit(0 if failed == 0 and r.testsRun > 0 else 1)
