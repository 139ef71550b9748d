#!/usr/bin/python3
"""Prints SigV4 test vectors signed by botocore's own signer, as JSON.

Run with Debian's /usr/bin/python3 (python3-botocore). test_sigv4.c runs this
and checks that protocol/sigv4.c reproduces every signature exactly.

Each vector: name, method, path, query (raw, without '?'), headers (list of
[name, value] as sent, Authorization included for the header form), body,
secret, access_key, region, service, token, amz_date, presigned and the
signature botocore computed. "sign" vectors were signed by botocore with the
headers sigv4_sign() adds (Host given, X-Amz-Content-SHA256 = sha256(body)),
so the C signer must produce the same Authorization value.
"""
import datetime
import hashlib
import json
import sys
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token=="
NOW = datetime.datetime(2023, 1, 1, 12, 34, 56)


class FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return cls(NOW.year, NOW.month, NOW.day, NOW.hour, NOW.minute, NOW.second)


def sign(name, method, url, headers=(), body=b"", service="ssm", region="us-east-1", token=None,
         presign=None, extra=None):
    creds = Credentials(ACCESS_KEY, SECRET, token)
    req = AWSRequest(method=method, url=url, data=body)
    req.headers["Host"] = urlsplit(url).netloc
    for k, v in headers:
        req.headers[k] = v  # HTTPHeaders appends: a repeated name is sent twice
    if presign is None:
        signer = SigV4Auth(creds, service, region)
    else:
        signer = SigV4QueryAuth(creds, service, region, expires=presign)
    with mock.patch("botocore.auth.datetime.datetime", FixedDatetime):
        signer.add_auth(req)
    parts = urlsplit(req.url)
    if presign is None:
        signature = req.headers["Authorization"].rsplit("Signature=", 1)[1]
    else:
        signature = parts.query.rsplit("X-Amz-Signature=", 1)[1]
    body_bytes = req.body or b""
    if isinstance(body_bytes, str):
        body_bytes = body_bytes.encode()
    vector = {
        "name": name,
        "method": method,
        "path": parts.path,
        "query": parts.query,
        "headers": [[k, v] for k, v in req.headers.items()],
        "body": body_bytes.decode("utf-8"),
        "secret": SECRET,
        "access_key": ACCESS_KEY,
        "region": region,
        "service": service,
        "token": token or "",
        "amz_date": NOW.strftime("%Y%m%dT%H%M%SZ"),
        "epoch": int(NOW.replace(tzinfo=datetime.timezone.utc).timestamp()),
        "presigned": presign is not None,
        "expires": presign or 0,
        "signature": signature,
        "authorization": req.headers.get("Authorization", ""),
    }
    if extra:
        vector.update(extra)
    return vector


def sign_vector(name, url, headers, body, service, region, token=None):
    """A request as sigv4_sign() would send it, signed by botocore; `client_headers` is what the C client passes."""
    sha = hashlib.sha256(body).hexdigest()
    v = sign(name, "POST", url, list(headers) + [("X-Amz-Content-SHA256", sha)], body, service, region, token)
    v["client_headers"] = [["Host", urlsplit(url).netloc]] + [[k, val] for k, val in headers]
    v["sign"] = True
    return v


def main():
    ssm_body = b'{"Name": "/app/db/password", "WithDecryption": true}'
    vectors = [
        sign("ssm-json", "POST", "http://localhost:4566/",
             [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonSSM.GetParameter")],
             ssm_body),
        sign("sts-query-token", "POST", "http://localhost:4566/",
             [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
             b"Action=GetCallerIdentity&Version=2011-06-15", service="sts", region="eu-west-1", token=TOKEN),
        sign("ec2-query-get", "GET",
             "http://ec2.ap-southeast-2.localhost:4566/?Version=2016-11-15&Action=DescribeVpcs"
             "&Filter.1.Value.1=vpc-0123&Filter.1.Name=vpc-id",
             service="ec2", region="ap-southeast-2"),
        sign("path-special", "GET",
             "http://localhost:4566/foo%20bar/./baz//qux/../a%2Fb/~x!y*'()=:@,$&;+/",
             service="ecs", region="us-west-2"),
        sign("path-dotdot-root", "GET", "http://localhost:4566/a/../../b/./c", service="logs"),
        sign("query-repeated-unsorted", "GET",
             "http://localhost:4566/items?b=2&a=3&a=1&c%20d=e%2Ff&empty=&novalue&Z=upper&a-b=x&%C3%A9t%C3%A9=%E2%82%AC",
             service="ecr", region="eu-central-1"),
        sign("header-spaces-dup", "POST", "http://localhost:4566/",
             [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "  AmazonSSM.PutParameter "),
              ("X-Custom", "  a   b \t c  "), ("X-Dup", "one"), ("X-Dup", "  two   three ")],
             b'{"Name":"x","Value":"y  z"}'),
        sign("empty-body-post", "POST", "http://localhost:4566/",
             [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters")],
             b"", service="ecs"),
        sign("unsigned-payload", "POST", "http://localhost:4566/",
             [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")],
             b'{"logGroupName":"g"}', service="logs"),
        sign("date-header", "GET", "http://localhost:4566/?Action=ListUsers&Version=2010-05-08",
             [("Date", "placeholder")], service="iam"),
        sign("presigned-sts-token", "GET",
             "http://sts.localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15",
             [("x-k8s-aws-id", "my-cluster")], service="sts", token=TOKEN, presign=60),
        sign("presigned-ec2", "GET",
             "http://localhost:4566/?Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1",
             service="ec2", region="us-east-2", presign=3600),
        sign_vector("sign-ssm", "http://localhost:4566/",
                    [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonSSM.GetParameter")],
                    ssm_body, "ssm", "us-east-1"),
        sign_vector("sign-sts-token", "http://localhost:4566/",
                    [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                    b"Action=GetCallerIdentity&Version=2011-06-15", "sts", "eu-west-1", TOKEN),
    ]
    json.dump(vectors, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
