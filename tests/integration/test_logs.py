"""CloudWatch Logs: groups, retention, tags, streams and events, via the AWS CLI v2 and boto3."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
REGION = harness.REGION


def now_ms():
    return int(time.time() * 1000)


class LogsTest(harness.EmulatorTest):
    def setUp(self):
        super().setUp()
        self.logs = self.client("logs")

    def group(self, name="/ecs/app", **kw):
        self.logs.create_log_group(logGroupName=name, **kw)
        return name

    def stream(self, group="/ecs/app", name="web/web/abc"):
        self.logs.create_log_stream(logGroupName=group, logStreamName=name)
        return name

    def put(self, messages, group="/ecs/app", stream="web/web/abc", start=None):
        start = start if start is not None else now_ms() - 10000
        events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
        return self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    # ---- groups ---------------------------------------------------------------------------------

    def test_log_group_with_retention_cli(self):
        self.aws("logs", "create-log-group", "--log-group-name", "/ecs/app")
        self.aws("logs", "put-retention-policy", "--log-group-name", "/ecs/app", "--retention-in-days", "14")
        groups = self.aws("logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/")["logGroups"]
        self.assertEqual(len(groups), 1)
        g = groups[0]
        self.assertEqual(g["logGroupName"], "/ecs/app")
        self.assertEqual(g["retentionInDays"], 14)
        self.assertEqual(g["arn"], "arn:aws:logs:%s:%s:log-group:/ecs/app:*" % (REGION, ACCOUNT))
        self.assertEqual(g["storedBytes"], 0)
        self.assertAlmostEqual(g["creationTime"], now_ms(), delta=60000)
        self.aws("logs", "delete-retention-policy", "--log-group-name", "/ecs/app")
        g = self.logs.describe_log_groups()["logGroups"][0]
        self.assertNotIn("retentionInDays", g)

    def test_retention_only_allowed_values(self):
        self.group()
        for days in (1, 3, 731, 1096, 3653):
            self.logs.put_retention_policy(logGroupName="/ecs/app", retentionInDays=days)
        with self.assertAwsError("InvalidParameterException", status=400,
                                 message="Value '2' at 'retentionInDays' failed to satisfy constraint: Member must "
                                         "satisfy enum value set: [1, 3, 5, 7, 14, 30"):
            self.aws("logs", "put-retention-policy", "--log-group-name", "/ecs/app", "--retention-in-days", "2")
        with self.assertAwsError("ResourceNotFoundException"):
            self.logs.put_retention_policy(logGroupName="/nope", retentionInDays=7)

    def test_group_errors(self):
        self.group()
        with self.assertAwsError("ResourceAlreadyExistsException", status=400,
                                 message="The specified log group already exists"):
            self.aws("logs", "create-log-group", "--log-group-name", "/ecs/app")
        with self.assertAwsError("ResourceNotFoundException", message="The specified log group does not exist."):
            self.logs.delete_log_group(logGroupName="/ecs/ghost")
        with self.assertAwsError("InvalidParameterException", message="regular expression pattern"):
            self.logs.create_log_group(logGroupName="bad name!")
        self.logs.delete_log_group(logGroupName="/ecs/app")
        self.assertEqual(self.logs.describe_log_groups()["logGroups"], [])

    def test_describe_log_groups_pagination_and_pattern(self):
        for i in range(7):
            self.group("/svc/g%d" % i)
        self.group("/other/APP")
        page = self.logs.describe_log_groups(logGroupNamePrefix="/svc/", limit=3)
        names = [g["logGroupName"] for g in page["logGroups"]]
        while "nextToken" in page:
            page = self.logs.describe_log_groups(logGroupNamePrefix="/svc/", limit=3, nextToken=page["nextToken"])
            names += [g["logGroupName"] for g in page["logGroups"]]
        self.assertEqual(names, ["/svc/g%d" % i for i in range(7)])
        pat = self.logs.describe_log_groups(logGroupNamePattern="app")["logGroups"]
        self.assertEqual([g["logGroupName"] for g in pat], ["/other/APP"])
        self.assertEqual(len(self.aws("logs", "describe-log-groups", "--page-size", "2")["logGroups"]), 8)

    def test_tags_both_apis(self):
        self.group(tags={"team": "core"})
        arn = "arn:aws:logs:%s:%s:log-group:/ecs/app" % (REGION, ACCOUNT)
        self.logs.tag_resource(resourceArn=arn, tags={"env": "prod"})
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=arn)["tags"], {"team": "core", "env": "prod"})
        self.logs.tag_log_group(logGroupName="/ecs/app", tags={"cost": "1"})
        self.logs.untag_resource(resourceArn=arn, tagKeys=["team"])
        self.assertEqual(self.logs.list_tags_log_group(logGroupName="/ecs/app")["tags"], {"env": "prod", "cost": "1"})
        self.logs.untag_log_group(logGroupName="/ecs/app", tags=["cost"])
        self.assertEqual(self.aws("logs", "list-tags-log-group", "--log-group-name", "/ecs/app")["tags"],
                         {"env": "prod"})
        with self.assertAwsError("ResourceNotFoundException"):
            self.logs.list_tags_for_resource(resourceArn=arn + "-ghost")
        with self.assertAwsError("TooManyTagsException"):
            self.logs.tag_resource(resourceArn=arn, tags={"k%d" % i: "v" for i in range(50)})

    # ---- streams and events --------------------------------------------------------------------

    def test_write_and_read_events_cli(self):
        self.aws("logs", "create-log-group", "--log-group-name", "/ecs/app")
        self.aws("logs", "create-log-stream", "--log-group-name", "/ecs/app", "--log-stream-name", "web/web/abc")
        t = now_ms() - 5000
        out = self.aws("logs", "put-log-events", "--log-group-name", "/ecs/app", "--log-stream-name", "web/web/abc",
                       "--log-events", "timestamp=%d,message=hello" % t, "timestamp=%d,message=world" % (t + 1))
        self.assertIn("nextSequenceToken", out)
        self.assertNotIn("rejectedLogEventsInfo", out)
        got = self.aws("logs", "get-log-events", "--log-group-name", "/ecs/app", "--log-stream-name", "web/web/abc",
                       "--start-from-head")
        self.assertEqual([e["message"] for e in got["events"]], ["hello", "world"])
        self.assertEqual(got["events"][0]["timestamp"], t)
        self.assertIn("ingestionTime", got["events"][0])
        self.assertTrue(got["nextForwardToken"].startswith("f/"))
        self.assertTrue(got["nextBackwardToken"].startswith("b/"))
        streams = self.aws("logs", "describe-log-streams", "--log-group-name", "/ecs/app")["logStreams"]
        self.assertEqual(streams[0]["logStreamName"], "web/web/abc")
        self.assertEqual((streams[0]["firstEventTimestamp"], streams[0]["lastEventTimestamp"]), (t, t + 1))
        self.assertEqual(streams[0]["arn"],
                         "arn:aws:logs:%s:%s:log-group:/ecs/app:log-stream:web/web/abc" % (REGION, ACCOUNT))
        tail = self.aws("logs", "filter-log-events", "--log-group-name", "/ecs/app")
        self.assertEqual([e["message"] for e in tail["events"]], ["hello", "world"])
        self.assertEqual(tail["events"][0]["logStreamName"], "web/web/abc")

    def test_get_log_events_tokens(self):
        self.group()
        self.stream()
        self.put(["m%d" % i for i in range(10)])
        # newest first by default: the last `limit` events
        tail = self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", limit=3)
        self.assertEqual([e["message"] for e in tail["events"]], ["m7", "m8", "m9"])
        back = self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", limit=3,
                                        nextToken=tail["nextBackwardToken"])
        self.assertEqual([e["message"] for e in back["events"]], ["m4", "m5", "m6"])
        # forward from the head, page by page, until the same token comes back
        seen, token = [], None
        while True:
            kw = {"nextToken": token} if token else {}
            page = self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", limit=4,
                                            startFromHead=True, **kw)
            seen += [e["message"] for e in page["events"]]
            if page["nextForwardToken"] == token:
                break
            token = page["nextForwardToken"]
        self.assertEqual(seen, ["m%d" % i for i in range(10)])
        # events arriving later are found from the last forward token
        self.put(["late"], start=now_ms())
        page = self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", nextToken=token,
                                        startFromHead=True)
        self.assertEqual([e["message"] for e in page["events"]], ["late"])
        with self.assertAwsError("InvalidParameterException"):
            self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", nextToken="garbage")

    def test_time_range(self):
        self.group()
        self.stream()
        t = now_ms() - 100000
        self.put(["a", "b", "c", "d"], start=t)
        got = self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", startTime=t + 1,
                                       endTime=t + 3, startFromHead=True)
        self.assertEqual([e["message"] for e in got["events"]], ["b", "c"])
        got = self.logs.filter_log_events(logGroupName="/ecs/app", startTime=t + 1, endTime=t + 3)
        self.assertEqual([e["message"] for e in got["events"]], ["b", "c", "d"])

    def test_rejected_events(self):
        self.group()
        self.stream()
        now = now_ms()
        events = [{"timestamp": now - 15 * 86400 * 1000, "message": "ancient"},
                  {"timestamp": now - 1000, "message": "fine"},
                  {"timestamp": now + 3 * 3600 * 1000, "message": "future"}]
        out = self.logs.put_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", logEvents=events[:1])
        self.assertEqual(out["rejectedLogEventsInfo"], {"tooOldLogEventEndIndex": 1})
        with self.assertAwsError("InvalidParameterException", message="The batch of log events in a single "
                                 "PutLogEvents request cannot span more than 24 hours."):
            self.logs.put_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", logEvents=events)
        out = self.logs.put_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", logEvents=events[1:])
        self.assertEqual(out["rejectedLogEventsInfo"], {"tooNewLogEventStartIndex": 1})
        got = self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc")
        self.assertEqual([e["message"] for e in got["events"]], ["fine"])
        with self.assertAwsError("InvalidParameterException", message="chronological order"):
            self.logs.put_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc",
                                     logEvents=[{"timestamp": now, "message": "b"},
                                                {"timestamp": now - 5, "message": "a"}])

    def test_retention_expires_old_events(self):
        self.group()
        self.stream()
        self.logs.put_retention_policy(logGroupName="/ecs/app", retentionInDays=1)
        out = self.put(["old"], start=now_ms() - 2 * 86400 * 1000)
        self.assertEqual(out["rejectedLogEventsInfo"], {"expiredLogEventEndIndex": 1})

    def test_sequence_tokens_are_ignored(self):
        self.group()
        self.stream()
        first = self.put(["a"])
        out = self.logs.put_log_events(logGroupName="/ecs/app", logStreamName="web/web/abc", sequenceToken="123",
                                       logEvents=[{"timestamp": now_ms(), "message": "b"}])
        self.assertNotEqual(out["nextSequenceToken"], first["nextSequenceToken"])

    def test_stream_errors(self):
        with self.assertAwsError("ResourceNotFoundException", message="The specified log group does not exist."):
            self.logs.create_log_stream(logGroupName="/nope", logStreamName="s")
        self.group()
        self.stream()
        with self.assertAwsError("ResourceAlreadyExistsException", message="The specified log stream already exists"):
            self.stream()
        with self.assertAwsError("ResourceNotFoundException", message="The specified log stream does not exist."):
            self.put(["x"], stream="ghost")
        with self.assertAwsError("ResourceNotFoundException"):
            self.logs.get_log_events(logGroupName="/ecs/app", logStreamName="ghost")
        with self.assertAwsError("InvalidParameterException"):
            self.logs.create_log_stream(logGroupName="/ecs/app", logStreamName="a:b")
        self.logs.delete_log_stream(logGroupName="/ecs/app", logStreamName="web/web/abc")
        with self.assertAwsError("ResourceNotFoundException"):
            self.logs.delete_log_stream(logGroupName="/ecs/app", logStreamName="web/web/abc")

    def test_describe_log_streams_order_and_prefix(self):
        self.group()
        for name in ("b", "a", "c"):
            self.stream(name=name)
        t = now_ms() - 1000
        self.put(["x"], stream="c", start=t - 500)
        self.put(["y"], stream="a", start=t)
        names = [s["logStreamName"] for s in self.logs.describe_log_streams(logGroupName="/ecs/app")["logStreams"]]
        self.assertEqual(names, ["a", "b", "c"])
        desc = self.logs.describe_log_streams(logGroupName="/ecs/app", orderBy="LastEventTime", descending=True)
        self.assertEqual([s["logStreamName"] for s in desc["logStreams"]][:2], ["a", "c"])
        pre = self.logs.describe_log_streams(logGroupName="/ecs/app", logStreamNamePrefix="b")["logStreams"]
        self.assertEqual([s["logStreamName"] for s in pre], ["b"])
        with self.assertAwsError("InvalidParameterException"):
            self.logs.describe_log_streams(logGroupName="/ecs/app", orderBy="LastEventTime", logStreamNamePrefix="b")
        page = self.logs.describe_log_streams(logGroupName="/ecs/app", limit=2)
        self.assertEqual(len(page["logStreams"]), 2)
        rest = self.logs.describe_log_streams(logGroupName="/ecs/app", limit=2, nextToken=page["nextToken"])
        self.assertEqual([s["logStreamName"] for s in rest["logStreams"]], ["c"])

    def test_filter_log_events(self):
        self.group()
        self.stream(name="web/1")
        self.stream(name="worker/1")
        t = now_ms() - 10000
        self.put(["GET /health 200", "GET /api 500 ERROR boom"], stream="web/1", start=t)
        self.put(["job started", "job ERROR timeout", "WARN slow"], stream="worker/1", start=t + 10)

        def messages(**kw):
            return [e["message"] for e in self.logs.filter_log_events(logGroupName="/ecs/app", **kw)["events"]]

        self.assertEqual(messages(filterPattern="ERROR"), ["GET /api 500 ERROR boom", "job ERROR timeout"])
        self.assertEqual(messages(filterPattern="ERROR timeout"), ["job ERROR timeout"])
        self.assertEqual(messages(filterPattern='"job started"'), ["job started"])
        self.assertEqual(messages(filterPattern="?WARN ?boom"), ["GET /api 500 ERROR boom", "WARN slow"])
        self.assertEqual(messages(filterPattern="job -ERROR"), ["job started"])
        self.assertEqual(messages(logStreamNames=["web/1"]), ["GET /health 200", "GET /api 500 ERROR boom"])
        self.assertEqual(messages(logStreamNamePrefix="work"), ["job started", "job ERROR timeout", "WARN slow"])
        # pagination
        got, token = [], None
        while True:
            kw = {"nextToken": token} if token else {}
            page = self.logs.filter_log_events(logGroupName="/ecs/app", limit=2, **kw)
            got += [e["message"] for e in page["events"]]
            token = page.get("nextToken")
            if not token:
                break
        self.assertEqual(len(got), 5)
        self.assertEqual(got[0], "GET /health 200")
        with self.assertAwsError("ResourceNotFoundException"):
            self.logs.filter_log_events(logGroupName="/ghost")

    def test_delete_group_removes_streams_and_events(self):
        self.group()
        self.stream()
        self.put(["a"])
        self.logs.delete_log_group(logGroupName="/ecs/app")
        self.group()
        self.assertEqual(self.logs.describe_log_streams(logGroupName="/ecs/app")["logStreams"], [])
        self.assertEqual(self.logs.filter_log_events(logGroupName="/ecs/app")["events"], [])


if __name__ == "__main__":
    harness.main()
