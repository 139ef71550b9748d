"""SSM Parameter Store, driven by the real AWS CLI v2 and boto3."""
import base64
import json
import os
import signal
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import boto3  # noqa: E402
import botocore.config  # noqa: E402

ACCOUNT = "000000000000"
REGION = harness.REGION


def raw_client(endpoint, access_key="test", region=REGION):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return boto3.client(
        "ssm", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=access_key, aws_secret_access_key="test",
        config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False))


class SsmTest(harness.EmulatorTest):
    def setUp(self):
        super().setUp()
        self.ssm = self.client("ssm")

    def put(self, name, value, type_="String", **kw):
        return self.ssm.put_parameter(Name=name, Value=value, Type=type_, **kw)

    def names(self, params):
        return [p["Name"] for p in params]

    # ---- PutParameter / GetParameter ------------------------------------------------------

    def test_put_and_get_with_cli(self):
        out = self.aws("ssm", "put-parameter", "--name", "/app/db/host", "--value", "db.internal",
                       "--type", "String", "--description", "database host")
        self.assertEqual(out, {"Version": 1, "Tier": "Standard"})
        p = self.aws("ssm", "get-parameter", "--name", "/app/db/host")["Parameter"]
        self.assertEqual(p["Name"], "/app/db/host")
        self.assertEqual(p["Type"], "String")
        self.assertEqual(p["Value"], "db.internal")
        self.assertEqual(p["Version"], 1)
        self.assertEqual(p["DataType"], "text")
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1:%s:parameter/app/db/host" % ACCOUNT)
        self.assertIn("LastModifiedDate", p)
        self.assertNotIn("Selector", p)

    def test_arn_of_a_name_without_slash(self):
        self.put("plain-name", "v")
        p = self.ssm.get_parameter(Name="plain-name")["Parameter"]
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1:%s:parameter/plain-name" % ACCOUNT)
        # the ARN works as a name
        p = self.ssm.get_parameter(Name=p["ARN"])["Parameter"]
        self.assertEqual(p["Value"], "v")

    def test_get_by_arn(self):
        self.put("/a/b", "v")
        arn = "arn:aws:ssm:us-east-1:%s:parameter/a/b" % ACCOUNT
        self.assertEqual(self.ssm.get_parameter(Name=arn)["Parameter"]["Name"], "/a/b")
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.get_parameter(Name="arn:aws:ssm:us-east-1:123456789012:parameter/a/b")

    def test_overwrite_increments_version(self):
        self.aws("ssm", "put-parameter", "--name", "/cfg", "--value", "one", "--type", "String")
        with self.assertAwsError("ParameterAlreadyExists",
                                 message="The parameter already exists. To overwrite this value, set the "
                                         "overwrite option in the request to true."):
            self.aws("ssm", "put-parameter", "--name", "/cfg", "--value", "two", "--type", "String")
        out = self.aws("ssm", "put-parameter", "--name", "/cfg", "--value", "two", "--overwrite")
        self.assertEqual(out["Version"], 2)
        out = self.ssm.put_parameter(Name="/cfg", Value="three", Overwrite=True)
        self.assertEqual(out["Version"], 3)
        p = self.ssm.get_parameter(Name="/cfg")["Parameter"]
        self.assertEqual((p["Value"], p["Version"], p["Type"]), ("three", 3, "String"))

    def test_overwrite_keeps_description_and_type(self):
        self.put("/d", "1", Description="kept")
        self.ssm.put_parameter(Name="/d", Value="2", Overwrite=True)
        meta = self.ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/d"]}])["Parameters"][0]
        self.assertEqual(meta["Description"], "kept")
        self.assertEqual(meta["Type"], "String")
        self.assertEqual(meta["Version"], 2)

    def test_type_change_is_refused(self):
        self.put("/t", "v")
        with self.assertAwsError("HierarchyTypeMismatchException"):
            self.put("/t", "v", "SecureString", Overwrite=True)

    def test_type_required_on_create(self):
        with self.assertAwsError("ValidationException",
                                 message="A parameter type is required when you create a parameter."):
            self.ssm.put_parameter(Name="/no-type", Value="v")

    def test_bad_type_enum(self):
        with self.assertAwsError(
                "ValidationException", 400,
                message="1 validation error detected: Value 'Foo' at 'type' failed to satisfy constraint: "
                        "Member must satisfy enum value set: [String, StringList, SecureString]"):
            raw_client(self.endpoint).put_parameter(Name="/x", Value="v", Type="Foo")

    def test_missing_name(self):
        with self.assertAwsError("ValidationException",
                                 message="Value null at 'name' failed to satisfy constraint: "
                                         "Member must not be null"):
            raw_client(self.endpoint).get_parameter()

    def test_empty_value(self):
        with self.assertAwsError("ValidationException"):
            raw_client(self.endpoint).put_parameter(Name="/empty", Value="", Type="String")

    def test_not_found(self):
        with self.assertAwsError("ParameterNotFound", 400):
            self.aws("ssm", "get-parameter", "--name", "/does/not/exist")
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.get_parameter(Name="/does/not/exist")

    def test_string_list(self):
        self.aws("ssm", "put-parameter", "--name", "/list", "--value", "a,b,c", "--type", "StringList")
        p = self.aws("ssm", "get-parameter", "--name", "/list")["Parameter"]
        self.assertEqual((p["Type"], p["Value"]), ("StringList", "a,b,c"))

    # ---- SecureString ------------------------------------------------------------------------

    def test_secure_string(self):
        self.aws("ssm", "put-parameter", "--name", "/app/secret", "--value", "s3cr3t-value", "--type",
                 "SecureString")
        p = self.aws("ssm", "get-parameter", "--name", "/app/secret")["Parameter"]
        self.assertEqual(p["Type"], "SecureString")
        self.assertNotIn("s3cr3t-value", p["Value"])
        base64.b64decode(p["Value"], validate=True)  # an opaque ciphertext blob
        p = self.aws("ssm", "get-parameter", "--name", "/app/secret", "--with-decryption")["Parameter"]
        self.assertEqual(p["Value"], "s3cr3t-value")
        meta = self.ssm.describe_parameters()["Parameters"][0]
        self.assertEqual(meta["KeyId"], "alias/aws/ssm")
        self.assertNotIn("Value", meta)
        # GetParameters and GetParametersByPath decrypt the same way
        got = self.ssm.get_parameters(Names=["/app/secret"], WithDecryption=True)["Parameters"]
        self.assertEqual(got[0]["Value"], "s3cr3t-value")
        got = self.ssm.get_parameters_by_path(Path="/app", WithDecryption=True)["Parameters"]
        self.assertEqual(got[0]["Value"], "s3cr3t-value")
        got = self.ssm.get_parameters_by_path(Path="/app")["Parameters"]
        self.assertNotEqual(got[0]["Value"], "s3cr3t-value")

    def test_key_id(self):
        self.put("/k1", "v", "SecureString", KeyId="alias/my-key")
        self.put("/k2", "v", "SecureString", KeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
        metas = {m["Name"]: m for m in self.ssm.describe_parameters()["Parameters"]}
        self.assertEqual(metas["/k1"]["KeyId"], "alias/my-key")
        self.assertEqual(metas["/k2"]["KeyId"], "1234abcd-12ab-34cd-56ef-1234567890ab")
        self.assertEqual(self.ssm.get_parameter(Name="/k1", WithDecryption=True)["Parameter"]["Value"], "v")
        with self.assertAwsError("InvalidKeyId"):
            self.put("/k3", "v", "SecureString", KeyId="not-a-key")
        with self.assertAwsError("ValidationException"):
            self.put("/k4", "v", "String", KeyId="alias/my-key")
        found = self.ssm.describe_parameters(
            ParameterFilters=[{"Key": "KeyId", "Values": ["alias/my-key"]}])["Parameters"]
        self.assertEqual(self.names(found), ["/k1"])

    # ---- selectors, GetParameters ---------------------------------------------------------------

    def test_version_and_label_selectors(self):
        for i in range(1, 4):
            self.ssm.put_parameter(Name="/sel", Value="v%d" % i, Type="String", Overwrite=True)
        p = self.aws("ssm", "get-parameter", "--name", "/sel:1")["Parameter"]
        self.assertEqual((p["Value"], p["Version"], p["Selector"], p["Name"]), ("v1", 1, ":1", "/sel"))
        self.ssm.label_parameter_version(Name="/sel", ParameterVersion=2, Labels=["prod"])
        p = self.ssm.get_parameter(Name="/sel:prod")["Parameter"]
        self.assertEqual((p["Value"], p["Version"], p["Selector"]), ("v2", 2, ":prod"))
        with self.assertAwsError("ParameterVersionNotFound",
                                 message="Systems Manager could not find version 9 of /sel. "
                                         "Verify the version and try again."):
            self.ssm.get_parameter(Name="/sel:9")
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.get_parameter(Name="/sel:nolabel")
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.get_parameter(Name="/nothing:1")

    def test_get_parameters(self):
        for n in ("/p/a", "/p/b", "/p/c"):
            self.put(n, n.upper())
        out = self.aws("ssm", "get-parameters", "--names", "/p/a", "/p/b", "/missing", "/p/c", "/p/a:1",
                       "/p/a:7", "/gone")
        self.assertEqual(self.names(out["Parameters"]), ["/p/a", "/p/b", "/p/c", "/p/a"])
        self.assertEqual([p["Value"] for p in out["Parameters"]], ["/P/A", "/P/B", "/P/C", "/P/A"])
        self.assertEqual(out["Parameters"][3]["Selector"], ":1")
        self.assertEqual(sorted(out["InvalidParameters"]), ["/gone", "/missing", "/p/a:7"])

    def test_get_parameters_limit(self):
        with self.assertAwsError("ValidationException"):
            raw_client(self.endpoint).get_parameters(Names=["/n%d" % i for i in range(11)])

    # ---- GetParametersByPath -----------------------------------------------------------------------

    def tree(self):
        self.put("/app/a", "1")
        self.put("/app/b", "2", "SecureString")
        self.put("/app/sub/c", "3")
        self.put("/app/sub/deeper/d", "4")
        self.put("/apple", "5")
        self.put("/other/x", "6")

    def test_by_path(self):
        self.tree()
        out = self.aws("ssm", "get-parameters-by-path", "--path", "/app")
        self.assertEqual(self.names(out["Parameters"]), ["/app/a", "/app/b"])
        out = self.aws("ssm", "get-parameters-by-path", "--path", "/app/", "--recursive")
        self.assertEqual(self.names(out["Parameters"]), ["/app/a", "/app/b", "/app/sub/c", "/app/sub/deeper/d"])
        out = self.ssm.get_parameters_by_path(Path="/app/sub", Recursive=True)
        self.assertEqual(self.names(out["Parameters"]), ["/app/sub/c", "/app/sub/deeper/d"])
        out = self.ssm.get_parameters_by_path(Path="/")
        self.assertEqual(self.names(out["Parameters"]), ["/apple"])
        self.assertEqual(self.ssm.get_parameters_by_path(Path="/nothing")["Parameters"], [])
        p = self.ssm.get_parameters_by_path(Path="/app")["Parameters"][0]
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1:%s:parameter/app/a" % ACCOUNT)

    def test_by_path_filters(self):
        self.tree()
        out = self.ssm.get_parameters_by_path(
            Path="/app", Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
        self.assertEqual(self.names(out["Parameters"]), ["/app/b"])
        out = self.ssm.get_parameters_by_path(
            Path="/app", Recursive=True,
            ParameterFilters=[{"Key": "Type", "Option": "BeginsWith", "Values": ["Str"]}])
        self.assertEqual(self.names(out["Parameters"]), ["/app/a", "/app/sub/c", "/app/sub/deeper/d"])
        out = self.ssm.get_parameters_by_path(
            Path="/app", Recursive=True, ParameterFilters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}])
        self.assertEqual(self.names(out["Parameters"]), ["/app/b"])
        # Label: the labeled version is returned
        self.ssm.put_parameter(Name="/app/a", Value="1b", Overwrite=True)
        self.ssm.label_parameter_version(Name="/app/a", ParameterVersion=1, Labels=["stable"])
        out = self.ssm.get_parameters_by_path(
            Path="/app", ParameterFilters=[{"Key": "Label", "Option": "Equals", "Values": ["stable"]}])
        self.assertEqual([(p["Name"], p["Version"], p["Value"]) for p in out["Parameters"]], [("/app/a", 1, "1")])
        for key in ("Name", "Path", "Tier", "DataType", "tag:Env"):
            with self.assertAwsError("InvalidFilterKey"):
                self.ssm.get_parameters_by_path(Path="/app", ParameterFilters=[{"Key": key, "Values": ["x"]}])
        with self.assertAwsError("InvalidFilterOption"):
            self.ssm.get_parameters_by_path(
                Path="/app", ParameterFilters=[{"Key": "Label", "Option": "BeginsWith", "Values": ["s"]}])
        with self.assertAwsError("InvalidFilterOption"):
            self.ssm.get_parameters_by_path(
                Path="/app", ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["S"]}])
        with self.assertAwsError("InvalidFilterValue"):
            self.ssm.get_parameters_by_path(Path="/app", ParameterFilters=[{"Key": "Type", "Values": ["Nope"]}])

    def test_by_path_validation(self):
        with self.assertAwsError("ValidationException"):
            raw_client(self.endpoint).get_parameters_by_path(Path="/app", MaxResults=11)
        with self.assertAwsError("ValidationException"):
            self.ssm.get_parameters_by_path(Path="no-slash")
        with self.assertAwsError("ValidationException"):
            self.ssm.get_parameters_by_path(Path="/a b")

    def test_by_path_pagination(self):
        names = ["/many/p%02d" % i for i in range(25)]
        for n in names:
            self.put(n, n)
        self.put("/many/sub/deep", "x")
        seen, token, pages = [], None, []
        while True:
            kw = {"NextToken": token} if token else {}
            out = self.ssm.get_parameters_by_path(Path="/many", MaxResults=10, **kw)
            pages.append(len(out["Parameters"]))
            seen += self.names(out["Parameters"])
            token = out.get("NextToken")
            if not token:
                break
        self.assertEqual(seen, names)
        self.assertEqual(pages, [10, 10, 5])
        # the CLI walks the same pages by itself
        out = self.aws("ssm", "get-parameters-by-path", "--path", "/many", "--recursive", "--page-size", "7")
        self.assertEqual(self.names(out["Parameters"]), names + ["/many/sub/deep"])
        with self.assertAwsError("InvalidNextToken"):
            self.ssm.get_parameters_by_path(Path="/many", NextToken="bogus-token")

    # ---- DescribeParameters ----------------------------------------------------------------------------

    def describe(self, **kw):
        out = self.ssm.describe_parameters(**kw)
        return self.names(out["Parameters"])

    def test_describe_parameters(self):
        self.put("/svc/api/url", "u", Description="the url", AllowedPattern="^u$")
        self.put("/svc/api/key", "k", "SecureString", Tags=[{"Key": "Env", "Value": "prod"}])
        self.put("/svc/web/list", "a,b", "StringList", Tier="Advanced", Tags=[{"Key": "Env", "Value": "dev"}])
        self.put("/svc/ami", "ami-0123456789abcdef0", DataType="aws:ec2:image")
        self.put("plain", "p")
        out = self.aws("ssm", "describe-parameters")
        metas = {m["Name"]: m for m in out["Parameters"]}
        self.assertEqual(sorted(metas), ["/svc/ami", "/svc/api/key", "/svc/api/url", "/svc/web/list", "plain"])
        url = metas["/svc/api/url"]
        self.assertEqual(url["Description"], "the url")
        self.assertEqual(url["AllowedPattern"], "^u$")
        self.assertEqual(url["Tier"], "Standard")
        self.assertEqual(url["Version"], 1)
        self.assertEqual(url["LastModifiedUser"], "arn:aws:iam::%s:root" % ACCOUNT)
        self.assertNotIn("Value", url)
        self.assertEqual(metas["/svc/web/list"]["Tier"], "Advanced")
        self.assertEqual(metas["/svc/ami"]["DataType"], "aws:ec2:image")

        pf = lambda key, values, option=None: [dict({"Key": key, "Values": values},  # noqa: E731
                                                    **({"Option": option} if option else {}))]
        self.assertEqual(self.describe(ParameterFilters=pf("Name", ["/svc/api/url"])), ["/svc/api/url"])
        self.assertEqual(self.describe(ParameterFilters=pf("Name", ["svc/api/url"])), ["/svc/api/url"])
        self.assertEqual(self.describe(ParameterFilters=pf("Name", ["/svc/api"], "BeginsWith")),
                         ["/svc/api/key", "/svc/api/url"])
        self.assertEqual(self.describe(ParameterFilters=pf("Name", ["web"], "Contains")), ["/svc/web/list"])
        self.assertEqual(self.describe(ParameterFilters=pf("Type", ["SecureString", "StringList"])),
                         ["/svc/api/key", "/svc/web/list"])
        self.assertEqual(self.describe(ParameterFilters=pf("Path", ["/svc"])), ["/svc/ami"])
        self.assertEqual(self.describe(ParameterFilters=pf("Path", ["/svc/api"], "OneLevel")),
                         ["/svc/api/key", "/svc/api/url"])
        self.assertEqual(self.describe(ParameterFilters=pf("Path", ["/svc"], "Recursive")),
                         ["/svc/ami", "/svc/api/key", "/svc/api/url", "/svc/web/list"])
        self.assertEqual(self.describe(ParameterFilters=pf("Tier", ["Advanced"])), ["/svc/web/list"])
        self.assertEqual(self.describe(ParameterFilters=pf("DataType", ["aws:ec2:image"])), ["/svc/ami"])
        self.assertEqual(self.describe(ParameterFilters=pf("tag:Env", ["prod"])), ["/svc/api/key"])
        self.assertEqual(self.describe(ParameterFilters=[{"Key": "tag:Env"}]), ["/svc/api/key", "/svc/web/list"])
        self.assertEqual(self.describe(ParameterFilters=pf("tag:Env", ["d"], "BeginsWith")), ["/svc/web/list"])
        # filters combine with AND
        self.assertEqual(self.describe(ParameterFilters=pf("Path", ["/svc"], "Recursive") + pf("Type", ["String"])),
                         ["/svc/ami", "/svc/api/url"])
        # the older Filters
        self.assertEqual(self.describe(Filters=[{"Key": "Name", "Values": ["/svc/api"]}]),
                         ["/svc/api/key", "/svc/api/url"])
        self.assertEqual(self.describe(Filters=[{"Key": "Type", "Values": ["StringList"]}]), ["/svc/web/list"])

    def test_describe_filter_errors(self):
        with self.assertAwsError("InvalidFilterKey"):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
        with self.assertAwsError(
                "ValidationException",
                message="Value 'Foo' at 'parameterFilters.1.member.key' failed to satisfy constraint"):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Foo", "Values": ["x"]}])
        with self.assertAwsError("InvalidFilterOption",
                                 message="The following filter option is not valid: Contains."):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["S"]}])
        with self.assertAwsError("InvalidFilterOption"):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Equals", "Values": ["/a"]}])
        with self.assertAwsError("InvalidFilterValue"):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Type", "Values": ["Bogus"]}])
        with self.assertAwsError("InvalidFilterValue"):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Name"}])
        with self.assertAwsError("InvalidFilterKey"):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["a"]},
                                                           {"Key": "Name", "Values": ["b"]}])
        with self.assertAwsError("ValidationException"):
            self.ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": ["/aws/service"]}])
        with self.assertAwsError("ValidationException"):
            self.ssm.describe_parameters(Filters=[{"Key": "Name", "Values": ["a"]}],
                                         ParameterFilters=[{"Key": "Name", "Values": ["a"]}])
        with self.assertAwsError("ValidationException",
                                 message="Value '51' at 'maxResults' failed to satisfy constraint: Member must have "
                                         "value less than or equal to 50"):
            raw_client(self.endpoint).describe_parameters(MaxResults=51)
        with self.assertAwsError("ValidationException"):
            raw_client(self.endpoint).describe_parameters(MaxResults=0)
        with self.assertAwsError("InvalidNextToken"):
            self.ssm.describe_parameters(NextToken="AAAA")

    def test_describe_pagination(self):
        names = sorted("/pg/%s%d" % (c, i) for c in "ab" for i in range(12))
        for n in names:
            self.put(n, "v")
        seen, token, pages = [], None, 0
        while True:
            kw = {"NextToken": token} if token else {}
            out = self.ssm.describe_parameters(MaxResults=5, **kw)
            pages += 1
            self.assertLessEqual(len(out["Parameters"]), 5)
            seen += self.names(out["Parameters"])
            token = out.get("NextToken")
            if not token:
                break
        self.assertEqual(seen, names)
        self.assertEqual(pages, 5)
        # and with a filter applied across pages
        paginator = self.ssm.get_paginator("describe_parameters")
        got = []
        for page in paginator.paginate(ParameterFilters=[{"Key": "Name", "Option": "Contains", "Values": ["b"]}],
                                       PaginationConfig={"PageSize": 4}):
            got += self.names(page["Parameters"])
        self.assertEqual(got, [n for n in names if "b" in n])

    # ---- history and labels ---------------------------------------------------------------------------------

    def test_history(self):
        self.put("/h", "v1", "SecureString", Description="first")
        self.ssm.put_parameter(Name="/h", Value="v2", Overwrite=True, Description="second")
        self.ssm.put_parameter(Name="/h", Value="v3", Overwrite=True)
        self.ssm.label_parameter_version(Name="/h", ParameterVersion=2, Labels=["blue", "green"])
        out = self.aws("ssm", "get-parameter-history", "--name", "/h", "--with-decryption")
        hist = out["Parameters"]
        self.assertEqual([h["Version"] for h in hist], [1, 2, 3])
        self.assertEqual([h["Value"] for h in hist], ["v1", "v2", "v3"])
        self.assertEqual([h["Labels"] for h in hist], [[], ["blue", "green"], []])
        self.assertEqual([h.get("Description") for h in hist], ["first", "second", "second"])
        self.assertTrue(all(h["KeyId"] == "alias/aws/ssm" and h["Type"] == "SecureString" for h in hist))
        enc = self.ssm.get_parameter_history(Name="/h")["Parameters"]
        self.assertNotIn("v1", [h["Value"] for h in enc])
        # pages
        page1 = self.ssm.get_parameter_history(Name="/h", MaxResults=2)
        self.assertEqual([h["Version"] for h in page1["Parameters"]], [1, 2])
        page2 = self.ssm.get_parameter_history(Name="/h", MaxResults=2, NextToken=page1["NextToken"])
        self.assertEqual([h["Version"] for h in page2["Parameters"]], [3])
        self.assertNotIn("NextToken", page2)
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.get_parameter_history(Name="/nope")
        with self.assertAwsError("InvalidNextToken"):
            self.ssm.get_parameter_history(Name="/h", NextToken="garbage!")

    def test_labels_move_between_versions(self):
        for i in range(3):
            self.ssm.put_parameter(Name="/l", Value="v%d" % i, Type="String", Overwrite=True)
        out = self.aws("ssm", "label-parameter-version", "--name", "/l", "--parameter-version", "1",
                       "--labels", "prod", "beta")
        self.assertEqual(out["ParameterVersion"], 1)
        self.assertEqual(out.get("InvalidLabels", []), [])
        # no version: the latest
        out = self.ssm.label_parameter_version(Name="/l", Labels=["prod"])
        self.assertEqual(out["ParameterVersion"], 3)
        hist = {h["Version"]: h["Labels"] for h in self.ssm.get_parameter_history(Name="/l")["Parameters"]}
        self.assertEqual(hist, {1: ["beta"], 2: [], 3: ["prod"]})
        self.assertEqual(self.ssm.get_parameter(Name="/l:prod")["Parameter"]["Version"], 3)

    def test_label_errors(self):
        self.put("/le", "v")
        out = self.ssm.label_parameter_version(Name="/le", Labels=["1abc", "awsx", "SSMy", "bad label", "ok-1.x_y"])
        self.assertEqual(out["InvalidLabels"], ["1abc", "awsx", "SSMy", "bad label"])
        hist = self.ssm.get_parameter_history(Name="/le")["Parameters"]
        self.assertEqual(hist[0]["Labels"], ["ok-1.x_y"])
        with self.assertAwsError("ParameterVersionNotFound"):
            self.ssm.label_parameter_version(Name="/le", ParameterVersion=9, Labels=["x"])
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.label_parameter_version(Name="/missing", Labels=["x"])
        self.ssm.label_parameter_version(Name="/le", Labels=["l%d" % i for i in range(9)])
        with self.assertAwsError("ParameterVersionLabelLimitExceeded"):
            self.ssm.label_parameter_version(Name="/le", Labels=["one-too-many"])
        # relabeling existing labels is not "more"
        self.ssm.label_parameter_version(Name="/le", Labels=["l0", "l1"])

    def test_unlabel(self):
        self.put("/u", "v")
        self.ssm.label_parameter_version(Name="/u", Labels=["a", "b"])
        out = self.aws("ssm", "unlabel-parameter-version", "--name", "/u", "--parameter-version", "1",
                       "--labels", "a", "zzz")
        self.assertEqual(out["RemovedLabels"], ["a"])
        self.assertEqual(out["InvalidLabels"], ["zzz"])
        self.assertEqual(self.ssm.get_parameter_history(Name="/u")["Parameters"][0]["Labels"], ["b"])
        with self.assertAwsError("ParameterVersionNotFound"):
            self.ssm.unlabel_parameter_version(Name="/u", ParameterVersion=5, Labels=["b"])
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.unlabel_parameter_version(Name="/none", ParameterVersion=1, Labels=["b"])

    def test_version_limit(self):
        for i in range(100):
            self.ssm.put_parameter(Name="/vl", Value="v%d" % (i + 1), Type="String", Overwrite=True)
        self.ssm.label_parameter_version(Name="/vl", ParameterVersion=1, Labels=["pinned"])
        with self.assertAwsError("ParameterMaxVersionLimitExceeded"):
            self.ssm.put_parameter(Name="/vl", Value="v101", Overwrite=True)
        self.ssm.unlabel_parameter_version(Name="/vl", ParameterVersion=1, Labels=["pinned"])
        self.assertEqual(self.ssm.put_parameter(Name="/vl", Value="v101", Overwrite=True)["Version"], 101)
        versions = []
        for page in self.ssm.get_paginator("get_parameter_history").paginate(Name="/vl"):
            versions += [h["Version"] for h in page["Parameters"]]
        self.assertEqual(versions, list(range(2, 102)))
        with self.assertAwsError("ParameterVersionNotFound"):
            self.ssm.get_parameter(Name="/vl:1")

    # ---- rules on values and names -------------------------------------------------------------------------

    def test_allowed_pattern(self):
        with self.assertAwsError("ParameterPatternMismatchException"):
            self.put("/num", "abc", AllowedPattern=r"^\d+$")
        self.put("/num", "123", AllowedPattern=r"^\d+$")
        with self.assertAwsError("ParameterPatternMismatchException"):  # the stored pattern still applies
            self.ssm.put_parameter(Name="/num", Value="12a", Overwrite=True)
        self.ssm.put_parameter(Name="/num", Value="456", Overwrite=True)
        with self.assertAwsError("InvalidAllowedPatternException"):
            self.put("/bad-pattern", "x", AllowedPattern="(unclosed")
        self.put("/words", "hello_world", AllowedPattern=r"^[\w]+$")

    def test_tiers_and_sizes(self):
        big = "x" * 5000
        with self.assertAwsError("ValidationException",
                                 message="Standard tier parameters support a maximum parameter value of 4096"):
            self.put("/big", big)
        self.assertEqual(self.put("/big", big, Tier="Advanced")["Tier"], "Advanced")
        self.assertEqual(self.put("/small-it", "x", Tier="Intelligent-Tiering")["Tier"], "Standard")
        self.assertEqual(self.put("/big-it", big, Tier="Intelligent-Tiering")["Tier"], "Advanced")
        self.assertEqual(self.put("/edge", "y" * 4096)["Tier"], "Standard")
        with self.assertAwsError("ValidationException"):
            self.ssm.put_parameter(Name="/big", Value="small", Tier="Standard", Overwrite=True)
        # omitted Tier on overwrite keeps Advanced
        self.assertEqual(self.ssm.put_parameter(Name="/big", Value="small", Overwrite=True)["Tier"], "Advanced")
        with self.assertAwsError("ValidationException"):
            self.put("/huge", "z" * 9000, Tier="Advanced")

    def test_policies(self):
        policy = json.dumps([{"Type": "Expiration", "Version": "1.0",
                              "Attributes": {"Timestamp": "2030-01-01T00:00:00.000Z"}}])
        with self.assertAwsError("ValidationException"):
            self.put("/pol", "v", Tier="Standard", Policies=policy)
        self.put("/pol", "v", Tier="Advanced", Policies=policy)
        meta = self.ssm.describe_parameters()["Parameters"][0]
        self.assertEqual(meta["Policies"][0]["PolicyType"], "Expiration")
        with self.assertAwsError("InvalidPolicyTypeException"):
            self.put("/pol2", "v", Tier="Advanced", Policies=json.dumps([{"Type": "Nope", "Attributes": {}}]))

    def test_data_types(self):
        self.put("/img", "ami-0123456789abcdef0", DataType="aws:ec2:image")
        self.assertEqual(self.ssm.get_parameter(Name="/img")["Parameter"]["DataType"], "aws:ec2:image")
        with self.assertAwsError("ValidationException",
                                 message="The following data type is not supported: text2 "
                                         "(Data type names are all lowercase.)"):
            self.put("/dt", "x", DataType="text2")
        # AWS checks aws:ec2:image values after answering: acknowledged, never created
        out = self.put("/not-an-image", "banana", DataType="aws:ec2:image")
        self.assertEqual(out["Version"], 1)
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.get_parameter(Name="/not-an-image")

    def test_name_rules(self):
        ok = "".join("/l%d" % i for i in range(15))
        self.assertEqual(self.put(ok, "v")["Version"], 1)
        with self.assertAwsError("HierarchyLevelLimitExceededException"):
            self.put(ok + "/l15", "v")
        with self.assertAwsError("ValidationException",
                                 message="Parameter name: can't be prefixed with \"aws\" or \"ssm\" "
                                         "(case-insensitive)."):
            self.put("awsThing", "v")
        with self.assertAwsError("ValidationException"):
            self.put("SSMthing", "v")
        with self.assertAwsError("ValidationException"):
            self.put("/ssm/thing", "v")
        with self.assertAwsError("AccessDeniedException",
                                 message="No access to reserved parameter name: /aws/service/mine."):
            self.put("/aws/service/mine", "v")
        with self.assertAwsError("ValidationException", message="Parameter name must be a fully qualified name."):
            self.put("relative/path", "v")
        for bad in ("/has space", "/semi;colon", "/double//slash", "/trailing/"):
            with self.assertAwsError("ValidationException"):
                self.put(bad, "v")
        with self.assertAwsError("ValidationException"):
            self.put("/" + "n" * 1000, "v")

    # ---- delete ----------------------------------------------------------------------------------------------

    def test_delete(self):
        self.put("/del/a", "1")
        self.put("/del/b", "2")
        self.put("/del/c", "3", Tags=[{"Key": "k", "Value": "v"}])
        self.ssm.label_parameter_version(Name="/del/c", Labels=["x"])
        self.aws("ssm", "delete-parameter", "--name", "/del/a")
        with self.assertAwsError("ParameterNotFound", message="Parameter /del/a not found."):
            self.aws("ssm", "delete-parameter", "--name", "/del/a")
        out = self.aws("ssm", "delete-parameters", "--names", "/del/b", "/del/zz", "/del/c")
        self.assertEqual(sorted(out["DeletedParameters"]), ["/del/b", "/del/c"])
        self.assertEqual(out["InvalidParameters"], ["/del/zz"])
        self.assertEqual(self.ssm.describe_parameters()["Parameters"], [])
        # a re-created parameter starts over: version 1, no labels, no tags
        self.assertEqual(self.put("/del/c", "new")["Version"], 1)
        self.assertEqual(self.ssm.get_parameter_history(Name="/del/c")["Parameters"][0]["Labels"], [])
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/del/c")["TagList"]
        self.assertEqual(tags, [])

    # ---- tags ------------------------------------------------------------------------------------------------

    def test_tags(self):
        self.put("/tg", "v", Tags=[{"Key": "Env", "Value": "prod"}, {"Key": "Team", "Value": "core"}])
        out = self.aws("ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", "/tg")
        self.assertEqual(out["TagList"], [{"Key": "Env", "Value": "prod"}, {"Key": "Team", "Value": "core"}])
        self.aws("ssm", "add-tags-to-resource", "--resource-type", "Parameter", "--resource-id", "/tg",
                 "--tags", "Key=Env,Value=dev", "Key=Owner,Value=me")
        self.aws("ssm", "remove-tags-from-resource", "--resource-type", "Parameter", "--resource-id", "/tg",
                 "--tag-keys", "Team", "Absent")
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tg")["TagList"]
        self.assertEqual(tags, [{"Key": "Env", "Value": "dev"}, {"Key": "Owner", "Value": "me"}])
        arn = "arn:aws:ssm:us-east-1:%s:parameter/tg" % ACCOUNT
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=arn)["TagList"]
        self.assertEqual(len(tags), 2)
        with self.assertAwsError("ValidationException"):
            self.ssm.put_parameter(Name="/tg", Value="v2", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
        with self.assertAwsError("InvalidResourceId"):
            self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/none")
        with self.assertAwsError("InvalidResourceId"):
            self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/none",
                                          Tags=[{"Key": "a", "Value": "b"}])
        with self.assertAwsError("InvalidResourceId"):
            self.ssm.list_tags_for_resource(ResourceType="Document", ResourceId="/tg")

    def test_too_many_tags(self):
        self.put("/many-tags", "v", Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(48)])
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/many-tags",
                                      Tags=[{"Key": "k%d" % i, "Value": "w"} for i in range(40, 50)])
        with self.assertAwsError("TooManyTagsError"):
            self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/many-tags",
                                          Tags=[{"Key": "extra", "Value": "v"}])
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/many-tags")["TagList"]
        self.assertEqual(len(tags), 50)
        with self.assertAwsError("TooManyTagsError"):
            self.put("/too-many", "v", Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])
        with self.assertAwsError("ParameterNotFound"):  # the refused put left nothing behind
            self.ssm.get_parameter(Name="/too-many")

    # ---- isolation ---------------------------------------------------------------------------------------------

    def test_account_isolation(self):
        other = self.client("ssm", access_key="111111111111")
        self.put("/shared/name", "mine")
        with self.assertAwsError("ParameterNotFound"):
            other.get_parameter(Name="/shared/name")
        other.put_parameter(Name="/shared/name", Value="theirs", Type="SecureString")
        p = other.get_parameter(Name="/shared/name", WithDecryption=True)["Parameter"]
        self.assertEqual(p["Value"], "theirs")
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1:111111111111:parameter/shared/name")
        self.assertEqual(self.ssm.get_parameter(Name="/shared/name")["Parameter"]["Value"], "mine")
        self.assertEqual(len(self.ssm.describe_parameters()["Parameters"]), 1)
        out = self.aws("ssm", "describe-parameters", access_key="111111111111")
        self.assertEqual([m["Type"] for m in out["Parameters"]], ["SecureString"])
        other.delete_parameter(Name="/shared/name")
        self.assertEqual(self.ssm.get_parameter(Name="/shared/name")["Parameter"]["Value"], "mine")

    def test_region_isolation(self):
        west = self.client("ssm", region="us-west-2")
        self.put("/regional", "east")
        with self.assertAwsError("ParameterNotFound"):
            west.get_parameter(Name="/regional")
        west.put_parameter(Name="/regional", Value="west", Type="String")
        p = west.get_parameter(Name="/regional")["Parameter"]
        self.assertEqual((p["Value"], p["ARN"]), ("west", "arn:aws:ssm:us-west-2:%s:parameter/regional" % ACCOUNT))
        self.assertEqual(self.ssm.get_parameter(Name="/regional")["Parameter"]["Value"], "east")
        out = self.aws("ssm", "get-parameters-by-path", "--path", "/", region="us-west-2")
        self.assertEqual([p["Value"] for p in out["Parameters"]], ["west"])

    # ---- public parameters -------------------------------------------------------------------------------------

    def test_public_parameters(self):
        name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        p = self.aws("ssm", "get-parameter", "--name", name)["Parameter"]
        self.assertRegex(p["Value"], r"^ami-[0-9a-f]{17}$")
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1::parameter" + name)
        self.assertEqual(p["DataType"], "aws:ec2:image")
        rec = self.ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")["Parameter"]
        image = self.ssm.get_parameter(
            Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id")["Parameter"]["Value"]
        self.assertEqual(json.loads(rec["Value"])["image_id"], image)
        p = self.ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")
        self.assertTrue(p["Parameter"]["Value"].startswith("ami-0"))
        self.ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")
        # by path
        out = self.aws("ssm", "get-parameters-by-path", "--path",
                       "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")
        names = self.names(out["Parameters"])
        self.assertIn("/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id", names)
        self.assertNotIn("/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id", names)
        out = self.ssm.get_parameters_by_path(Path="/aws/service/ami-amazon-linux-latest", MaxResults=3)
        self.assertEqual(len(out["Parameters"]), 3)
        self.assertIn("NextToken", out)
        # GetParameters mixes public, own and missing names
        self.put("/mine", "m")
        out = self.ssm.get_parameters(Names=[name, "/mine", "/aws/service/nope"])
        self.assertEqual(self.names(out["Parameters"]), [name, "/mine"])
        self.assertEqual(out["InvalidParameters"], ["/aws/service/nope"])
        # read-only, and not part of the account's own parameters
        with self.assertAwsError("AccessDeniedException"):
            self.ssm.put_parameter(Name=name, Value="ami-0000000000000000", Type="String", Overwrite=True)
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.delete_parameter(Name=name)
        self.assertEqual(self.names(self.ssm.describe_parameters()["Parameters"]), ["/mine"])
        with self.assertAwsError("ParameterNotFound"):
            self.ssm.get_parameter(Name="/aws/service/does-not-exist")
        # the same in any account and region
        west = self.client("ssm", region="eu-west-1", access_key="111111111111")
        self.assertEqual(west.get_parameter(Name=name)["Parameter"]["ARN"], "arn:aws:ssm:eu-west-1::parameter" + name)


def sqlite_text(path):
    """Every byte the database holds: main file and WAL."""
    data = b""
    for suffix in ("", "-wal"):
        if os.path.exists(path + suffix):
            with open(path + suffix, "rb") as f:
                data += f.read()
    return data


class SsmStateTest(unittest.TestCase):
    """SSM state on a real file: encrypted at rest, surviving a crash."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="drydock-ssm-")
        self.state = os.path.join(self.dir.name, "state.db")
        self.emulator = None

    def tearDown(self):
        if self.emulator:
            self.emulator.stop()
        self.dir.cleanup()

    def start(self):
        self.emulator = harness.Emulator(state=self.state).start()
        return harness.client(self.emulator.endpoint, "ssm")

    def test_secure_string_encrypted_at_rest(self):
        secret = "pl41ntext-S3CRET-%s" % os.getpid()
        ssm = self.start()
        harness.aws(self.emulator.endpoint, "ssm", "put-parameter", "--name", "/db/password",
                    "--value", secret, "--type", "SecureString")
        ssm.put_parameter(Name="/db/password", Value=secret + "-v2", Overwrite=True)
        ssm.put_parameter(Name="/db/user", Value="plain-user", Type="String")
        self.assertEqual(ssm.get_parameter(Name="/db/password", WithDecryption=True)["Parameter"]["Value"],
                         secret + "-v2")
        # while running (WAL not yet checkpointed) and after a clean stop
        self.assertNotIn(secret.encode(), sqlite_text(self.state))
        self.emulator.stop()
        self.assertNotIn(secret.encode(), sqlite_text(self.state))
        self.assertNotIn(secret, self.emulator.output())  # nor in any log line
        with sqlite3.connect(self.state) as db:
            rows = db.execute("SELECT type, value FROM ssm_parameter_version ORDER BY name, version").fetchall()
        self.assertEqual(len(rows), 3)
        for type_, value in rows:
            if type_ == "SecureString":
                self.assertTrue(value.startswith("v1:"), value)
                self.assertNotIn(secret, value)
            else:
                self.assertEqual(value, "plain-user")
        key = self.state + ".key"
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        self.assertEqual(os.path.getsize(key), 32)

    def test_state_survives_sigkill(self):
        ssm = self.start()
        ssm.put_parameter(Name="/svc/url", Value="http://svc", Type="String")
        ssm.put_parameter(Name="/svc/url", Value="http://svc2", Overwrite=True)
        ssm.put_parameter(Name="/svc/secret", Value="hunter2", Type="SecureString", KeyId="alias/app")
        ssm.put_parameter(Name="/svc/list", Value="a,b", Type="StringList", Tags=[{"Key": "Env", "Value": "ci"}])
        ssm.label_parameter_version(Name="/svc/url", ParameterVersion=1, Labels=["old"])
        west = harness.client(self.emulator.endpoint, "ssm", region="us-west-2", access_key="111111111111")
        west.put_parameter(Name="/svc/url", Value="west", Type="String")
        self.emulator.stop(signal.SIGKILL)  # right after the acknowledged writes

        ssm = self.start()
        got = ssm.get_parameters_by_path(Path="/svc", WithDecryption=True)["Parameters"]
        self.assertEqual({p["Name"]: (p["Value"], p["Version"]) for p in got},
                         {"/svc/url": ("http://svc2", 2), "/svc/secret": ("hunter2", 1), "/svc/list": ("a,b", 1)})
        self.assertEqual(ssm.get_parameter(Name="/svc/url:old")["Parameter"]["Value"], "http://svc")
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/svc/list")["TagList"]
        self.assertEqual(tags, [{"Key": "Env", "Value": "ci"}])
        meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/svc/secret"]}])["Parameters"]
        self.assertEqual(meta[0]["KeyId"], "alias/app")
        west = harness.client(self.emulator.endpoint, "ssm", region="us-west-2", access_key="111111111111")
        self.assertEqual(west.get_parameter(Name="/svc/url")["Parameter"]["Value"], "west")
        # and it keeps counting versions where it left off
        self.assertEqual(ssm.put_parameter(Name="/svc/url", Value="v3", Overwrite=True)["Version"], 3)


if __name__ == "__main__":
    harness.main()
