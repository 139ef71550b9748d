"""Every implemented operation of every service, called with inputs built from AWS's own model:
once with the required members only, once with every member the model allows, with plausible
values of the right type (enums take a valid value, strings their minimum length, numbers inside
their range). Whatever the handler thinks of the values, the answer must be AWS's: a 2xx or a
4xx carrying an error code in the service's shape, never a 5xx, and the emulator must stay up.
The requests are serialized by botocore's own serializers and signed with SigV4."""
import json
import os
import random
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.model  # noqa: E402
import botocore.serialize  # noqa: E402
import botocore.session  # noqa: E402

SESSION = botocore.session.get_session()


def value(shape, depth, full, rnd):
    """A plausible value for `shape`."""
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, member in shape.members.items():
            if name in shape.required_members or (full and depth < 4 and rnd.random() < 0.7):
                out[name] = value(member, depth + 1, full, rnd)
        return out
    if t == "list":
        n = max(shape.metadata.get("min", 0), 1 if full else 0)
        return [value(shape.member, depth + 1, full, rnd) for _ in range(min(n, 2))]
    if t == "map":
        return {"k": value(shape.value, depth + 1, full, rnd)} if full else {}
    if t == "string":
        if shape.enum:
            return rnd.choice(shape.enum)
        n = max(shape.metadata.get("min", 1), 1)
        return ("x" * n)[: shape.metadata.get("max", n)]
    if t in ("integer", "long"):
        lo = shape.metadata.get("min", 1)
        return int(lo)
    if t in ("float", "double"):
        return float(shape.metadata.get("min", 1))
    if t == "boolean":
        return rnd.random() < 0.5
    if t == "timestamp":
        return 1700000000
    if t == "blob":
        return b"x"
    return None


class EveryOperationTest(harness.EmulatorTest):
    def call(self, model, op, params):
        ser = botocore.serialize.create_serializer(model.metadata["protocol"], include_validation=False)
        req = ser.serialize_to_request(params, op)
        url = self.endpoint + req["url_path"]
        if req["query_string"]:
            url += "?" + urllib.parse.urlencode(req["query_string"], doseq=True)
        body = req["body"]
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body, doseq=True)
        if isinstance(body, str):
            body = body.encode()
        aws = botocore.awsrequest.AWSRequest(method=req["method"], url=url, data=body, headers=dict(req["headers"]))
        botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"),
                                model.metadata.get("signingName", model.metadata["endpointPrefix"]),
                                harness.REGION).add_auth(aws)
        p = aws.prepare()
        try:
            with urllib.request.urlopen(urllib.request.Request(p.url, data=p.body, headers=dict(p.headers),
                                                               method=p.method), timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_every_operation(self):
        implemented = self.emulator.admin("GET", "/_drydock/services")
        rnd = random.Random(8)
        seen, problems = 0, []
        for service, ops in sorted(implemented.items()):
            model = SESSION.get_service_model(service)
            for name in sorted(ops):
                op = model.operation_model(name)
                for full in (False, True):
                    params = value(op.input_shape, 0, full, rnd) if op.input_shape else {}
                    status, body = self.call(model, op, params)
                    seen += 1
                    text = body.decode(errors="replace")
                    if status >= 500 or (status >= 400 and not any(k in text for k in ("__type", "<Code>", "code"))):
                        problems.append("%s %s (%s): %d %s" % (service, name, "full" if full else "required",
                                                              status, text[:200]))
                    if not self.emulator.alive():
                        self.fail("the emulator died on %s %s: %s" % (service, name, self.emulator.output()[-3000:]))
        self.assertGreater(seen, 400)
        self.assertEqual(problems, [], "\n".join(problems))


if __name__ == "__main__":
    harness.main()
