"""`drydock run SCENARIO`: every scenario in scenarios/ passes against the embedded emulator (manual
clock) and one against a running emulator (--endpoint); a failing scenario exits 1 and its JUnit
report marks the failed step; a malformed scenario is refused before anything runs."""
import glob
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SRC = os.environ.get("DRYDOCK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCENARIOS = sorted(glob.glob(os.path.join(SRC, "scenarios", "*.yaml")))
FAILING = os.path.join(SRC, "tests", "scenarios", "failing.yaml")


def run(*args, cwd=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    return subprocess.run([harness.DRYDOCK, "run"] + list(args), capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)


def junit(path):
    suite = ET.parse(path).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    return suite, cases


class EmbeddedTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="drydock-scen-")
        self.report = os.path.join(self.dir, "report.xml")

    def check_passes(self, scenario):
        p = run(scenario, "--junit", self.report, cwd=self.dir)
        self.assertEqual(p.returncode, 0, "%s:\n%s\n%s" % (scenario, p.stdout, p.stderr))
        self.assertIn("Target: the embedded emulator", p.stdout)
        self.assertRegex(p.stdout, r"Scenario \S+ passed: \d+ passed, 0 failed, 0 skipped in \d+\.\d\ds")
        suite, cases = junit(self.report)
        self.assertEqual(suite.get("failures"), "0")
        self.assertGreater(int(suite.get("tests")), 3)
        self.assertEqual(len(cases), int(suite.get("tests")))
        for name, case in cases.items():
            self.assertIsNone(case.find("failure"), name)
        # The embedded emulator's state lived in a temporary directory, now gone; nothing in the cwd.
        self.assertEqual(os.listdir(self.dir), ["report.xml"])
        return p

    def test_scenarios_present(self):
        names = {os.path.basename(s) for s in SCENARIOS}
        self.assertTrue({"network.yaml", "alb-one-subnet.yaml", "fargate-web.yaml", "secrets-missing.yaml",
                         "fargate-autoscale.yaml", "step-scaling.yaml", "fargate-web-db.yaml", "ecs-on-ec2.yaml",
                         "ecs-capacity-provider.yaml"}
                        <= names, names)

    def test_network(self):
        p = self.check_passes(os.path.join(SRC, "scenarios", "network.yaml"))
        self.assertRegex(p.stdout, r"\[ 4/10\] the NAT gateway is available +ok +\d+\.\d\ds \(clock \+\d+s, \d+ tr")

    def test_alb_one_subnet(self):
        self.check_passes(os.path.join(SRC, "scenarios", "alb-one-subnet.yaml"))

    def test_fargate_web(self):
        self.check_passes(os.path.join(SRC, "scenarios", "fargate-web.yaml"))

    def test_secrets_missing(self):
        self.check_passes(os.path.join(SRC, "scenarios", "secrets-missing.yaml"))

    def test_fargate_autoscale(self):
        p = self.check_passes(os.path.join(SRC, "scenarios", "fargate-autoscale.yaml"))
        self.assertRegex(p.stdout, r"the service scales out to 4 running tasks +ok")

    def test_fargate_web_db(self):
        p = self.check_passes(os.path.join(SRC, "scenarios", "fargate-web-db.yaml"))
        self.assertRegex(p.stdout, r"EC2 will not delete a subnet the database lives in +ok")

    def test_ecs_on_ec2(self):
        p = self.check_passes(os.path.join(SRC, "scenarios", "ecs-on-ec2.yaml"))
        self.assertRegex(p.stdout, r"the group replaces it +ok")

    def test_ecs_capacity_provider(self):
        p = self.check_passes(os.path.join(SRC, "scenarios", "ecs-capacity-provider.yaml"))
        self.assertRegex(p.stdout, r"managed scaling grows the group +ok")

    def test_step_scaling(self):
        self.check_passes(os.path.join(SRC, "scenarios", "step-scaling.yaml"))

    def test_failing_scenario(self):
        p = run(FAILING, "--junit", self.report, cwd=self.dir)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('$.Parameter.Value: expected "never", got "real"', p.stdout)
        self.assertIn("Scenario failing FAILED: 2 passed, 1 failed, 1 skipped", p.stdout)
        suite, cases = junit(self.report)
        self.assertEqual((suite.get("tests"), suite.get("failures"), suite.get("skipped")), ("4", "1", "1"))
        failure = cases["03 the value is wrong"].find("failure")
        self.assertIsNotNone(failure)
        self.assertIn('expected "never", got "real"', failure.get("message"))
        self.assertIsNone(cases["01 the account is there"].find("failure"))
        self.assertIsNotNone(cases["04 advance 10s"].find("skipped"))

    def test_malformed_scenario_is_refused(self):
        bad = os.path.join(self.dir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("name: bad\nsteps:\n  - call: ec2 DescribeVpc\n")
        p = run(bad, cwd=self.dir)
        self.assertEqual(p.returncode, 2)
        self.assertIn("step 1: ec2 has no operation DescribeVpc", p.stderr)
        p = run(cwd=self.dir)
        self.assertEqual(p.returncode, 2)
        self.assertIn("run needs a SCENARIO", p.stderr)


class EndpointTest(harness.EmulatorTest):
    """The same file against an emulator that is already running: its clock is made manual for the
    run, then put back."""

    def test_network_against_endpoint(self):
        d = tempfile.mkdtemp(prefix="drydock-scen-")
        report = os.path.join(d, "report.xml")
        p = run(os.path.join(SRC, "scenarios", "network.yaml"), "--endpoint", self.endpoint, "--junit", report,
                "--state-dir", os.path.join(d, "state"), cwd=d)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Target: the emulator at " + self.endpoint, p.stdout)
        suite, _ = junit(report)
        self.assertEqual(suite.get("failures"), "0")
        self.assertEqual(self.emulator.admin("GET", "/_drydock/clock")["mode"], "real")
        self.assertEqual(self.client("ec2").describe_vpcs(
            Filters=[{"Name": "tag:Name", "Values": ["net-vpc"]}])["Vpcs"], [])

    def test_failing_against_endpoint(self):
        d = tempfile.mkdtemp(prefix="drydock-scen-")
        p = run(FAILING, "--endpoint", self.endpoint, "--state-dir", os.path.join(d, "state"), cwd=d)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("[ 3/4] the value is wrong", p.stdout)


if __name__ == "__main__":
    harness.main()
