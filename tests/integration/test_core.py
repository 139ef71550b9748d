"""The emulator core: routing, auth, bad input, admin API, STS.

Every bad request must get AWS's error shape and code for its protocol, and
the server must go on serving the next request.
"""
import datetime
import http.client
import json
import os
import socket
import tempfile
import urllib.request
import xml.etree.ElementTree as ET

import harness
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

JSON11 = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


class RawClient:
    """Signs arbitrary bytes with botocore's signer and sends them with http.client."""

    def __init__(self, endpoint, key="test", secret="test"):
        self.endpoint = endpoint
        self.creds = Credentials(key, secret)
        self.host = endpoint.split("//")[1]

    def send(self, service, body, headers, sign=True, region="us-east-1", method="POST", path="/",
             tamper=None, when=None):
        req = AWSRequest(method=method, url=self.endpoint + path, data=body, headers=dict(headers))
        if sign:
            signer = SigV4Auth(self.creds, service, region)
            if when is not None:
                # botocore reads the time when it signs; move it by patching the request's timestamp
                import botocore.auth as ba
                real = ba.datetime.datetime

                class Fixed(real):
                    @classmethod
                    def utcnow(cls):
                        return when
                ba.datetime.datetime = Fixed
                try:
                    signer.add_auth(req)
                finally:
                    ba.datetime.datetime = real
            else:
                signer.add_auth(req)
        prepared = req.prepare()
        data = prepared.body
        if tamper:
            data = tamper(data)
        conn = http.client.HTTPConnection(self.host, timeout=30)
        hdrs = dict(prepared.headers)
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        out = resp.status, dict(resp.getheaders()), resp.read()
        conn.close()
        return out


def json_error(body):
    doc = json.loads(body)
    return doc["__type"], doc.get("message", doc.get("Message"))


def xml_error(body):
    root = ET.fromstring(body)
    code = root.find(".//{*}Code")
    if code is None:
        code = root.find(".//Code")
    msg = root.find(".//{*}Message")
    if msg is None:
        msg = root.find(".//Message")
    return code.text, msg.text if msg is not None else None


class CoreTest(harness.EmulatorTest):
    def setUp(self):
        super().setUp()
        self.raw = RawClient(self.endpoint)

    def assertStillServing(self):
        out = self.client("sts").get_caller_identity()
        self.assertEqual(out["Account"], "000000000000")

    def ssm_raw(self, body, target="AmazonSSM.GetParameter", **kw):
        return self.raw.send("ssm", body, {"Content-Type": JSON11, "X-Amz-Target": target}, **kw)

    # --- STS and accounts -------------------------------------------------
    def test_get_caller_identity_cli(self):
        out = self.aws("sts", "get-caller-identity")
        self.assertEqual(out, {"UserId": "000000000000", "Account": "000000000000",
                               "Arn": "arn:aws:iam::000000000000:root"})

    def test_twelve_digit_key_is_its_account(self):
        out = self.aws("sts", "get-caller-identity", access_key="123456789012")
        self.assertEqual(out["Account"], "123456789012")
        self.assertEqual(out["Arn"], "arn:aws:iam::123456789012:root")

    def test_request_id_header(self):
        status, headers, body = self.raw.send("sts", "Action=GetCallerIdentity&Version=2011-06-15",
                                              {"Content-Type": FORM})
        self.assertEqual(status, 200)
        rid = {k.lower(): v for k, v in headers.items()}["x-amzn-requestid"]
        self.assertRegex(rid, r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        root = ET.fromstring(body)
        self.assertTrue(root.tag.endswith("GetCallerIdentityResponse"))
        self.assertEqual(root.find(".//{*}RequestId").text, rid)

    def test_get_over_query_string(self):
        status, _, body = self.raw.send("sts", b"", {}, method="GET",
                                        path="/?Action=GetCallerIdentity&Version=2011-06-15")
        self.assertEqual(status, 200, body)
        self.assertIn(b"<Account>000000000000</Account>", body)

    def test_presigned_url(self):
        # A GET presigned the way EKS-style tokens are: SigV4 in the query string.
        from botocore.auth import SigV4QueryAuth
        req = AWSRequest(method="GET", url=self.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15")
        SigV4QueryAuth(Credentials("test", "test"), "sts", "us-east-1", expires=60).add_auth(req)
        url = req.prepare().url
        self.assertIn("X-Amz-Signature=", url)
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(b"<Account>000000000000</Account>", r.read())
        sig = url.rsplit("X-Amz-Signature=", 1)[1]
        bad = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(bad, timeout=10)
        self.assertEqual(cm.exception.code, 403)
        self.assertEqual(xml_error(cm.exception.read())[0], "SignatureDoesNotMatch")

    # --- auth ---------------------------------------------------------------
    def test_missing_auth_json(self):
        status, _, body = self.ssm_raw(b'{"Name":"x"}', sign=False)
        self.assertEqual(status, 400)
        self.assertEqual(json_error(body)[0], "MissingAuthenticationTokenException")
        self.assertStillServing()

    def test_missing_auth_query(self):
        status, _, body = self.raw.send("sts", "Action=GetCallerIdentity&Version=2011-06-15",
                                        {"Content-Type": FORM}, sign=False)
        self.assertEqual(status, 403)
        self.assertEqual(xml_error(body)[0], "MissingAuthenticationToken")

    def test_bad_signature_query(self):
        with self.assertAwsError("SignatureDoesNotMatch", status=403):
            self.client("sts", secret_key="wrong").get_caller_identity()
        self.assertStillServing()

    def test_bad_signature_json_cli(self):
        with self.assertAwsError("InvalidSignatureException"):
            self.aws("ssm", "get-parameter", "--name", "x", secret_key="wrong")

    def test_body_changed_after_signing(self):
        status, _, body = self.ssm_raw(b'{"Name":"abc"}', tamper=lambda b: b.replace(b"abc", b"abd"))
        self.assertEqual(status, 400)
        self.assertEqual(json_error(body)[0], "InvalidSignatureException")

    def test_expired_signature(self):
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        status, _, body = self.ssm_raw(b'{"Name":"abc"}', when=old)
        self.assertEqual(status, 400)
        code, msg = json_error(body)
        self.assertEqual(code, "InvalidSignatureException")
        self.assertIn("Signature expired", msg)

    def test_future_signature(self):
        later = datetime.datetime.utcnow() + datetime.timedelta(minutes=20)
        status, _, body = self.raw.send("sts", "Action=GetCallerIdentity&Version=2011-06-15",
                                        {"Content-Type": FORM}, when=later)
        self.assertEqual(status, 403)
        code, msg = xml_error(body)
        self.assertEqual(code, "SignatureDoesNotMatch")
        self.assertIn("Signature not yet current", msg)

    def test_malformed_authorization_header(self):
        conn = http.client.HTTPConnection(self.raw.host, timeout=10)
        conn.request("POST", "/", body=b"{}", headers={
            "Content-Type": JSON11, "X-Amz-Target": "AmazonSSM.GetParameter",
            "Authorization": "AWS4-HMAC-SHA256 garbage", "X-Amz-Date": "20250101T000000Z"})
        resp = conn.getresponse()
        body = resp.read()
        self.assertEqual(resp.status, 400)
        self.assertEqual(json_error(body)[0], "IncompleteSignatureException")
        self.assertStillServing()

    def test_unknown_key_accepted_without_require_auth(self):
        out = self.client("sts", access_key="AKIDUNKNOWN", secret_key="anything").get_caller_identity()
        self.assertEqual(out["Account"], "000000000000")

    # --- routing ------------------------------------------------------------
    def test_unknown_target(self):
        status, _, body = self.ssm_raw(b"{}", target="AmazonSSM.NoSuchOperation")
        self.assertEqual(status, 400)
        self.assertEqual(json_error(body)[0], "UnknownOperationException")
        self.assertStillServing()

    def test_unknown_action(self):
        status, _, body = self.raw.send("sts", "Action=NoSuchThing&Version=2011-06-15", {"Content-Type": FORM})
        self.assertEqual(status, 400)
        code, msg = xml_error(body)
        self.assertEqual(code, "InvalidAction")
        self.assertIn("NoSuchThing", msg)

    def test_unknown_action_ec2(self):
        status, _, body = self.raw.send("ec2", "Action=NoSuchThing&Version=2016-11-15", {"Content-Type": FORM})
        self.assertEqual(status, 400)
        self.assertEqual(xml_error(body), ("InvalidAction", "The action NoSuchThing is not valid for this web service."))

    def test_missing_parameter_ec2(self):
        status, _, body = self.raw.send("ec2", "Action=DeleteVpc&Version=2016-11-15", {"Content-Type": FORM})
        self.assertEqual(status, 400)
        self.assertEqual(xml_error(body), ("MissingParameter", "The request must contain the parameter VpcId"))

    def test_validation_error_query(self):
        status, _, body = self.raw.send("sts", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=session",
                                        {"Content-Type": FORM})
        self.assertEqual(status, 400)
        code, msg = xml_error(body)
        self.assertEqual(code, "ValidationError")
        self.assertEqual(msg, "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
                              "Member must not be null")

    def test_validation_error_json(self):
        status, _, body = self.ssm_raw(b'{"Name": "/x", "Value": "v", "Type": "Nope"}', target="AmazonSSM.PutParameter")
        self.assertEqual(status, 400)
        self.assertEqual(json_error(body), ("ValidationException",
                         "1 validation error detected: Value 'Nope' at 'type' failed to satisfy constraint: "
                         "Member must satisfy enum value set: [String, StringList, SecureString]"))

    def test_missing_action(self):
        status, _, body = self.raw.send("sts", "Version=2011-06-15", {"Content-Type": FORM})
        self.assertEqual(status, 400)
        self.assertEqual(xml_error(body)[0], "MissingAction")

    def test_not_implemented_operation(self):
        with self.assertAwsError("NotImplemented", status=501, message="AssumeRoleWithSAML"):
            self.client("sts").assume_role_with_saml(RoleArn="arn:aws:iam::000000000000:role/r" * 1,
                                                     PrincipalArn="arn:aws:iam::000000000000:saml-provider/p",
                                                     SAMLAssertion="x" * 8)
        self.assertStillServing()

    def test_not_implemented_ec2(self):
        with self.assertAwsError("NotImplemented", status=501):
            self.client("ec2").describe_vpn_gateways()

    # --- bad bodies -----------------------------------------------------------
    def test_malformed_json(self):
        status, _, body = self.ssm_raw(b'{"Name": "x"')
        self.assertEqual(status, 400)
        self.assertEqual(json_error(body)[0], "SerializationException")
        self.assertStillServing()

    def test_json_not_an_object(self):
        status, _, body = self.ssm_raw(b'[1,2,3]')
        self.assertEqual(status, 400)
        self.assertEqual(json_error(body)[0], "SerializationException")

    def test_invalid_utf8_json(self):
        status, _, body = self.ssm_raw(b'{"Name": "\xff\xfe"}')
        self.assertEqual(status, 400)
        self.assertEqual(json_error(body)[0], "SerializationException")
        self.assertStillServing()

    def test_malformed_form(self):
        status, _, body = self.raw.send("sts", "Action=GetCallerIdentity&Version=2011-06-15&X=%zz",
                                        {"Content-Type": FORM})
        self.assertEqual(status, 400, body)
        self.assertTrue(body.startswith(b"<") and b"<Code>" in body)
        self.assertStillServing()

    def test_invalid_utf8_form(self):
        status, _, body = self.raw.send("sts", "Action=GetCallerIdentity&Version=2011-06-15&X=%ff%fe",
                                        {"Content-Type": FORM})
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>", body)
        self.assertStillServing()

    def test_huge_body_json(self):
        big = b'{"Name":"' + b"a" * (17 * 1024 * 1024) + b'"}'
        status, _, body = self.ssm_raw(big)
        self.assertEqual(status, 413)
        self.assertEqual(json_error(body)[0], "RequestEntityTooLargeException")
        self.assertStillServing()

    def test_huge_body_query(self):
        big = "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + "a" * (17 * 1024 * 1024)
        status, _, body = self.raw.send("sts", big, {"Content-Type": FORM})
        self.assertEqual(status, 413)
        self.assertEqual(xml_error(body)[0], "RequestEntityTooLarge")
        self.assertStillServing()

    def test_garbage_bytes_on_socket(self):
        with socket.create_connection(("127.0.0.1", self.emulator.port), timeout=5) as s:
            s.sendall(b"\x00\x01\x02 NOT HTTP AT ALL\r\n\r\n")
            try:
                s.recv(4096)
            except OSError:
                pass
        self.assertStillServing()

    # --- admin API ----------------------------------------------------------------
    def test_health(self):
        h = self.emulator.admin("GET", "/_drydock/health")
        self.assertEqual(h["status"], "running")
        self.assertIn("version", h)
        self.assertGreaterEqual(h["uptime_seconds"], 0)
        self.assertEqual(h["services"]["sts"]["protocol"], "query")
        self.assertGreater(h["services"]["ec2"]["operations"], 400)
        self.assertGreaterEqual(h["services"]["sts"]["implemented"], 1)

    def test_services_lists_implemented_operations(self):
        s = self.emulator.admin("GET", "/_drydock/services")
        self.assertIn("GetCallerIdentity", s["sts"])
        self.assertIn("PutParameter", s["ssm"])
        self.assertNotIn("AssumeRoleWithSAML", s["sts"])
        h = self.emulator.admin("GET", "/_drydock/health")
        for svc, ops in s.items():
            self.assertEqual(len(ops), h["services"][svc]["implemented"])

    def test_admin_unknown_path(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.emulator.admin("GET", "/_drydock/nothing")
        self.assertEqual(cm.exception.code, 404)

    def test_clock_manual_and_advance(self):
        c = self.emulator.admin("POST", "/_drydock/clock", {"mode": "manual"})
        self.assertEqual(c["mode"], "manual")
        c2 = self.emulator.admin("POST", "/_drydock/clock", {"advance_seconds": 3600})
        self.assertEqual(c2["now_ms"] - c["now_ms"], 3600 * 1000)
        c3 = self.emulator.admin("GET", "/_drydock/clock")
        self.assertEqual(c3["now_ms"], c2["now_ms"])
        self.emulator.admin("POST", "/_drydock/clock", {"mode": "real"})


class RequireAuthTest(harness.EmulatorTest):
    emulator_args = ("--require-auth",)

    def test_unknown_key_refused_query(self):
        with self.assertAwsError("InvalidClientTokenId", status=403):
            self.client("sts", access_key="AKIDUNKNOWN").get_caller_identity()

    def test_unknown_key_refused_json(self):
        with self.assertAwsError("UnrecognizedClientException"):
            self.aws("ssm", "get-parameter", "--name", "x", access_key="AKIDUNKNOWN")

    def test_known_key_accepted(self):
        self.assertEqual(self.aws("sts", "get-caller-identity")["Account"], "000000000000")


class KeysFileTest(harness.EmulatorTest):
    keys = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump({"AKIAEXAMPLEKEY": {"secret": "s3cret", "account": "222222222222"}}, keys)
    keys.close()
    emulator_args = ("--require-auth", "--keys", keys.name)

    def test_configured_key_and_account(self):
        out = self.client("sts", access_key="AKIAEXAMPLEKEY", secret_key="s3cret").get_caller_identity()
        self.assertEqual(out["Account"], "222222222222")
        with self.assertAwsError("SignatureDoesNotMatch"):
            self.client("sts", access_key="AKIAEXAMPLEKEY", secret_key="nope").get_caller_identity()


class StartupTest(harness.unittest.TestCase):
    def test_binds_loopback_by_default(self):
        e = harness.Emulator().start()
        try:
            out = open("/proc/net/tcp").read()
            port_hex = ":%04X" % e.port
            listening = [l for l in out.splitlines()[1:] if l.split()[1].endswith(port_hex) and l.split()[3] == "0A"]
            self.assertTrue(listening)
            self.assertTrue(all(l.split()[1].startswith("0100007F") for l in listening))
        finally:
            self.assertEqual(e.stop(), 0)

    def test_bad_arguments(self):
        import subprocess
        p = subprocess.run([harness.DRYDOCK, "serve", "--port", "notaport"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad --port", p.stderr)
        p = subprocess.run([harness.DRYDOCK, "frobnicate"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    harness.main()
