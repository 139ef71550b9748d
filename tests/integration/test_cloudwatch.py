"""CloudWatch metrics and alarms: PutMetricData and the statistics read back
(periods, percentiles, units), GetMetricData with metric math and paging,
ListMetrics filters and paging, every validation error with its code, alarms
going INSUFFICIENT_DATA -> ALARM -> OK on a manual clock (M of N, each
TreatMissingData mode), SetAlarmState, history, actions, tags, composite
alarms and dashboards. The AWS CLI drives a few calls, boto3 the rest.
"""
import datetime
import json
import unittest

import harness

UTC = datetime.timezone.utc


class CloudWatchTest(harness.ManualClockTest):
    def setUp(self):
        super().setUp()
        self.cw = self.client("cloudwatch")

    def now(self):
        return self.emulator.admin("GET", "/_drydock/clock")["now_ms"] / 1000.0

    def to_minute(self, second=0):
        """Advances the clock to the next time that is `second` seconds past a whole minute; returns it."""
        now_ms = self.emulator.admin("GET", "/_drydock/clock")["now_ms"]
        target = (now_ms // 60000) * 60000 + second * 1000
        if target <= now_ms:
            target += 60000
        self.advance((target - now_ms) / 1000.0 + 0.0004)  # the admin API truncates to whole ms
        return target // 1000

    def put(self, value, ts=None, name="Latency", dims=None, **kw):
        datum = dict(MetricName=name, Value=value, **kw)
        if dims is not None:
            datum["Dimensions"] = dims
        if ts is not None:
            datum["Timestamp"] = datetime.datetime.fromtimestamp(ts, UTC)
        self.cw.put_metric_data(Namespace="App", MetricData=[datum])

    def alarm(self, name="high", **kw):
        args = dict(AlarmName=name, Namespace="App", MetricName="Latency", Statistic="Average", Period=60,
                    EvaluationPeriods=1, Threshold=50.0, ComparisonOperator="GreaterThanThreshold")
        args.update(kw)
        self.cw.put_metric_alarm(**{k: v for k, v in args.items() if v is not None})

    def state(self, name="high"):
        return self.cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]

    # ---- metrics --------------------------------------------------------------------------------

    def test_statistics_periods_and_percentiles(self):
        t0 = self.to_minute() - 600
        for i in range(1, 101):
            self.put(float(i), ts=t0 + (i % 2) * 60, Unit="Milliseconds")
        out = self.cw.get_metric_statistics(
            Namespace="App", MetricName="Latency", StartTime=datetime.datetime.fromtimestamp(t0, UTC),
            EndTime=datetime.datetime.fromtimestamp(t0 + 300, UTC), Period=60,
            Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"], ExtendedStatistics=["p50", "p99"])
        self.assertEqual(out["Label"], "Latency")
        points = sorted(out["Datapoints"], key=lambda d: d["Timestamp"])
        self.assertEqual(len(points), 2)
        even, odd = points  # t0 holds the even values, t0+60 the odd ones
        self.assertEqual(even["SampleCount"], 50.0)
        self.assertEqual(even["Sum"], sum(range(2, 101, 2)))
        self.assertEqual((even["Minimum"], even["Maximum"]), (2.0, 100.0))
        self.assertEqual(even["Average"], 51.0)
        self.assertEqual(even["Unit"], "Milliseconds")
        self.assertEqual(even["ExtendedStatistics"], {"p50": 50.0, "p99": 100.0})
        self.assertEqual(odd["ExtendedStatistics"]["p50"], 49.0)
        # one 5-minute period aggregates both minutes
        out = self.cw.get_metric_statistics(
            Namespace="App", MetricName="Latency", StartTime=datetime.datetime.fromtimestamp(t0, UTC),
            EndTime=datetime.datetime.fromtimestamp(t0 + 300, UTC), Period=300, Statistics=["SampleCount", "Average"],
            ExtendedStatistics=["p90"])
        self.assertEqual(len(out["Datapoints"]), 1)
        self.assertEqual(out["Datapoints"][0]["SampleCount"], 100.0)
        self.assertEqual(out["Datapoints"][0]["Average"], 50.5)
        self.assertEqual(out["Datapoints"][0]["ExtendedStatistics"]["p90"], 90.0)
        # the unit filter
        out = self.cw.get_metric_statistics(
            Namespace="App", MetricName="Latency", StartTime=datetime.datetime.fromtimestamp(t0, UTC),
            EndTime=datetime.datetime.fromtimestamp(t0 + 300, UTC), Period=300, Statistics=["Sum"], Unit="Seconds")
        self.assertEqual(out["Datapoints"], [])

    def test_values_counts_and_statistic_sets(self):
        t0 = self.to_minute() - 120
        when = datetime.datetime.fromtimestamp(t0, UTC)
        self.cw.put_metric_data(Namespace="App", MetricData=[
            {"MetricName": "Size", "Values": [1.0, 10.0], "Counts": [3.0, 1.0], "Timestamp": when},
            {"MetricName": "Set", "StatisticValues": {"SampleCount": 4, "Sum": 20, "Minimum": 2, "Maximum": 8},
             "Timestamp": when}])
        size = self.cw.get_metric_statistics(Namespace="App", MetricName="Size", StartTime=when,
                                             EndTime=when + datetime.timedelta(minutes=1), Period=60,
                                             Statistics=["SampleCount", "Sum"], ExtendedStatistics=["p75", "p100"])
        dp = size["Datapoints"][0]
        self.assertEqual((dp["SampleCount"], dp["Sum"]), (4.0, 13.0))
        self.assertEqual(dp["ExtendedStatistics"], {"p75": 1.0, "p100": 10.0})
        stats = self.cw.get_metric_statistics(Namespace="App", MetricName="Set", StartTime=when,
                                              EndTime=when + datetime.timedelta(minutes=1), Period=60,
                                              Statistics=["Average", "Maximum"], ExtendedStatistics=["p50"])
        dp = stats["Datapoints"][0]
        self.assertEqual((dp["Average"], dp["Maximum"]), (5.0, 8.0))
        self.assertNotIn("ExtendedStatistics", dp)  # a statistic set's values are unknown

    def test_get_metric_data_and_math(self):
        t0 = self.to_minute() - 300
        for i in range(5):
            self.put(10.0 * (i + 1), ts=t0 + 60 * i, name="A")
            self.put(1.0, ts=t0 + 60 * i, name="B")
        start = datetime.datetime.fromtimestamp(t0, UTC)
        end = start + datetime.timedelta(minutes=5)

        def stat(name):
            return {"Metric": {"Namespace": "App", "MetricName": name}, "Period": 60, "Stat": "Sum"}
        queries = [{"Id": "a", "MetricStat": stat("A"), "ReturnData": False},
                   {"Id": "b", "MetricStat": stat("B"), "Label": "bees"},
                   {"Id": "e", "Expression": "(a + b) * 2"},
                   {"Id": "s", "Expression": "SUM([a, b])", "Label": "total"},
                   {"Id": "m", "Expression": "MAX(a)"}]
        out = self.cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end,
                                      ScanBy="TimestampAscending")
        results = {r["Id"]: r for r in out["MetricDataResults"]}
        self.assertEqual(sorted(results), ["b", "e", "m", "s"])
        self.assertEqual(results["b"]["Label"], "bees")
        self.assertEqual(results["e"]["Values"], [22.0, 42.0, 62.0, 82.0, 102.0])
        self.assertEqual(results["s"]["Values"], [11.0, 21.0, 31.0, 41.0, 51.0])
        self.assertEqual(results["m"]["Values"], [50.0] * 5)
        self.assertEqual(results["e"]["StatusCode"], "Complete")
        self.assertEqual(results["e"]["Timestamps"][0], start)
        # descending by default, paged by MaxDatapoints
        out = self.cw.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat("A")}], StartTime=start,
                                      EndTime=end, MaxDatapoints=3)
        self.assertEqual(out["MetricDataResults"][0]["Values"], [50.0, 40.0, 30.0])
        self.assertEqual(out["MetricDataResults"][0]["StatusCode"], "PartialData")
        out = self.cw.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat("A")}], StartTime=start,
                                      EndTime=end, MaxDatapoints=3, NextToken=out["NextToken"])
        self.assertEqual(out["MetricDataResults"][0]["Values"], [20.0, 10.0])
        self.assertNotIn("NextToken", out)
        with self.assertAwsError("InvalidParameterValue", message="unknown metric id zz"):
            self.cw.get_metric_data(MetricDataQueries=[{"Id": "e", "Expression": "zz * 2"}], StartTime=start,
                                    EndTime=end)
        with self.assertAwsError("ValidationError", message="MetricDataQueries.member.1.MetricStat is required"):
            self.cw.get_metric_data(MetricDataQueries=[{"Id": "q"}], StartTime=start, EndTime=end)
        with self.assertAwsError("InvalidNextToken"):
            self.cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, NextToken="bogus")

    def test_list_metrics_filters_and_paging(self):
        self.aws("cloudwatch", "put-metric-data", "--namespace", "Web", "--metric-name", "Requests", "--value", "1",
                 "--dimensions", "Service=api,Stage=prod")
        self.put(1.0, name="Requests", dims=[{"Name": "Service", "Value": "web"}])
        self.put(1.0, name="Errors", dims=[{"Name": "Service", "Value": "api"}])
        names = lambda out: sorted((m["Namespace"], m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"]))
                                   for m in out["Metrics"])
        out = self.aws("cloudwatch", "list-metrics", "--namespace", "Web")
        self.assertEqual(names(out), [("Web", "Requests", (("Service", "api"), ("Stage", "prod")))])
        out = self.cw.list_metrics(Dimensions=[{"Name": "Service", "Value": "api"}])
        self.assertEqual([m["MetricName"] for m in out["Metrics"]], ["Errors", "Requests"])
        out = self.cw.list_metrics(MetricName="Requests", Dimensions=[{"Name": "Service"}])
        self.assertEqual(len(out["Metrics"]), 2)
        self.assertEqual(len(self.cw.list_metrics(RecentlyActive="PT3H")["Metrics"]), 3)
        self.advance(4 * 3600)
        self.assertEqual(self.cw.list_metrics(RecentlyActive="PT3H")["Metrics"], [])
        self.assertEqual(len(self.cw.list_metrics()["Metrics"]), 3)
        # 500 a page
        data = [{"MetricName": "M%03d" % i, "Value": 1.0} for i in range(520)]
        for i in range(0, 520, 100):
            self.cw.put_metric_data(Namespace="Many", MetricData=data[i:i + 100])
        page = self.cw.list_metrics(Namespace="Many")
        self.assertEqual(len(page["Metrics"]), 500)
        rest = self.cw.list_metrics(Namespace="Many", NextToken=page["NextToken"])
        self.assertEqual(len(rest["Metrics"]), 20)
        self.assertNotIn("NextToken", rest)

    def test_metric_validation(self):
        now = self.now() // 60 * 60
        cw = self.cw
        with self.assertAwsError("InvalidParameterCombination", 400,
                                 "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues "
                                 "are mutually exclusive and you have specified both."):
            cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "x", "Value": 1, "StatisticValues": {
                "SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
        with self.assertAwsError("InvalidParameterValue",
                                 message="The parameter MetricData.member.1.Timestamp must specify a time within the "
                                         "past two weeks."):
            self.put(1.0, ts=now - 15 * 86400)
        with self.assertAwsError("InvalidParameterValue", message="no more than two hours in the future"):
            self.put(1.0, ts=now + 3 * 3600)
        with self.assertAwsError("InvalidParameterValue", message="must be of the same size"):
            cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "x", "Values": [1, 2], "Counts": [1]}])
        with self.assertAwsError("InvalidParameterValue", message="StorageResolution"):
            cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "x", "Value": 1, "StorageResolution": 5}])
        with self.assertAwsError("InvalidParameterValue", message="Namespace"):
            cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "x", "Value": 1}])
        with self.assertAwsError("ValidationError", message="at 'metricData.1.member.metricName'"):
            cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "x" * 256, "Value": 1}])
        start = datetime.datetime.fromtimestamp(now - 86400 * 2, UTC)
        end = datetime.datetime.fromtimestamp(now, UTC)
        with self.assertAwsError("InvalidParameterCombination", 400,
                                 "You have requested up to 2880 datapoints, which exceeds the limit of 1440. You may "
                                 "reduce the datapoints requested by increasing Period, or decreasing the time range."):
            cw.get_metric_statistics(Namespace="App", MetricName="x", StartTime=start, EndTime=end, Period=60,
                                     Statistics=["Sum"])
        with self.assertAwsError("InvalidParameterValue", message="The parameter StartTime must not equal parameter EndTime."):
            cw.get_metric_statistics(Namespace="App", MetricName="x", StartTime=end, EndTime=end, Period=60,
                                     Statistics=["Sum"])
        with self.assertAwsError("InvalidParameterValue", message="Period"):
            cw.get_metric_statistics(Namespace="App", MetricName="x", StartTime=start, EndTime=end, Period=90,
                                     Statistics=["Sum"])
        with self.assertAwsError("InvalidParameterCombination", message="Must specify either Statistics or ExtendedStatistics"):
            cw.get_metric_statistics(Namespace="App", MetricName="x", StartTime=start, EndTime=end, Period=3600)
        with self.assertAwsError("InvalidParameterValue", message="p101"):
            cw.get_metric_statistics(Namespace="App", MetricName="x", StartTime=start, EndTime=end, Period=3600,
                                     ExtendedStatistics=["p101"])
        with self.assertAwsError("ValidationError", message="Member must satisfy enum value set"):
            cw.get_metric_statistics(Namespace="App", MetricName="x", StartTime=start, EndTime=end, Period=3600,
                                     Statistics=["Median"])
        with self.assertAwsError("InvalidParameterValue", message="NextToken"):
            cw.list_metrics(NextToken="nope")

    # ---- alarms ---------------------------------------------------------------------------------

    def test_alarm_lifecycle_with_history(self):
        self.to_minute(5)
        self.aws("cloudwatch", "put-metric-alarm", "--alarm-name", "high", "--namespace", "App", "--metric-name",
                 "Latency", "--statistic", "Average", "--period", "60", "--evaluation-periods", "1", "--threshold",
                 "50", "--comparison-operator", "GreaterThanThreshold", "--dimensions", "Name=Service,Value=api")
        a = self.aws("cloudwatch", "describe-alarms", "--alarm-names", "high")["MetricAlarms"][0]
        self.assertEqual(a["StateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(a["StateReason"], "Unchecked: Initial alarm creation")
        self.assertEqual(a["AlarmArn"], "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high")
        self.assertTrue(a["ActionsEnabled"])
        dims = [{"Name": "Service", "Value": "api"}]
        t = self.to_minute(10)
        self.put(90.0, ts=t - 70, dims=dims)  # the minute that just ended
        self.to_minute(31)  # the evaluation at :30 sees the minute that just ended
        a = self.state()
        self.assertEqual(a["StateValue"], "ALARM")
        stamp = datetime.datetime.fromtimestamp(t - 70, UTC).strftime("%d/%m/%y %H:%M:%S")
        self.assertEqual(a["StateReason"], "Threshold Crossed: 1 datapoint [90.0 (%s)] was greater than the "
                                           "threshold (50.0)." % stamp)
        data = json.loads(a["StateReasonData"])
        self.assertEqual((data["version"], data["statistic"], data["period"], data["threshold"]),
                         ("1.0", "Average", 60, 50.0))
        self.assertEqual(data["recentDatapoints"], [90.0])
        self.assertEqual(data["evaluatedDatapoints"][0]["value"], 90.0)
        t = self.to_minute(10)
        self.put(20.0, ts=t - 70, dims=dims)
        self.to_minute(31)
        a = self.state()
        self.assertEqual(a["StateValue"], "OK")
        self.assertIn("was not greater than the threshold (50.0).", a["StateReason"])
        history = self.cw.describe_alarm_history(AlarmName="high")["AlarmHistoryItems"]
        self.assertEqual([h["HistorySummary"] for h in history],
                         ["Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM",
                          'Alarm "high" created'])
        update = json.loads(history[1]["HistoryData"])
        self.assertEqual(update["oldState"], {"stateValue": "INSUFFICIENT_DATA",
                                              "stateReason": "Unchecked: Initial alarm creation"})
        self.assertEqual(update["newState"]["stateValue"], "ALARM")
        self.assertEqual(json.loads(history[2]["HistoryData"])["type"], "Create")
        asc = self.cw.describe_alarm_history(AlarmName="high", ScanBy="TimestampAscending",
                                             HistoryItemType="StateUpdate", MaxRecords=1)
        self.assertEqual(asc["AlarmHistoryItems"][0]["HistorySummary"], "Alarm updated from INSUFFICIENT_DATA to ALARM")
        nxt = self.cw.describe_alarm_history(AlarmName="high", ScanBy="TimestampAscending",
                                             HistoryItemType="StateUpdate", MaxRecords=1, NextToken=asc["NextToken"])
        self.assertEqual(nxt["AlarmHistoryItems"][0]["HistorySummary"], "Alarm updated from ALARM to OK")
        # no data any more: missing data goes INSUFFICIENT_DATA
        self.to_minute(31)
        a = self.state()
        self.assertEqual(a["StateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(a["StateReason"], "Insufficient Data: 1 datapoint was unknown.")

    def test_m_of_n(self):
        self.to_minute(5)
        self.alarm(EvaluationPeriods=3, DatapointsToAlarm=2)
        for v in (90.0, 10.0):
            t = self.to_minute(10)
            self.put(v, ts=t - 70)
        self.to_minute(31)
        self.assertEqual(self.state()["StateValue"], "OK")  # 1 of 2 breaching
        t = self.to_minute(10)
        self.put(95.0, ts=t - 70)
        self.to_minute(31)
        a = self.state()
        self.assertEqual(a["StateValue"], "ALARM")
        self.assertRegex(a["StateReason"], r"^Threshold Crossed: 2 out of the last 3 datapoints \[95\.0 \(.*\), "
                                           r"10\.0 \(.*\), 90\.0 \(.*\)\] were greater than the threshold \(50\.0\) "
                                           r"\(minimum 2 datapoints for OK -> ALARM transition\)\.$")

    def test_treat_missing_data(self):
        self.to_minute(5)
        for mode in ("missing", "ignore", "breaching", "notBreaching"):
            self.alarm(name=mode, TreatMissingData=mode)
        self.to_minute(31)
        states = {m: self.state(m)["StateValue"] for m in ("missing", "ignore", "breaching", "notBreaching")}
        self.assertEqual(states, {"missing": "INSUFFICIENT_DATA", "ignore": "INSUFFICIENT_DATA",
                                  "breaching": "ALARM", "notBreaching": "OK"})
        self.assertEqual(self.state("breaching")["StateReason"],
                         "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
                         "treated as [Breaching].")
        self.cw.set_alarm_state(AlarmName="ignore", StateValue="OK", StateReason="testing")
        self.to_minute(31)
        self.assertEqual(self.state("ignore")["StateValue"], "OK")  # ignore keeps the state

    def test_set_alarm_state_actions_and_enable(self):
        self.to_minute(5)
        topic = "arn:aws:sns:us-east-1:000000000000:alerts"
        self.alarm(AlarmActions=[topic], OKActions=[topic], Tags=[{"Key": "team", "Value": "web"}])
        self.cw.set_alarm_state(AlarmName="high", StateValue="ALARM", StateReason="testing",
                                StateReasonData='{"why": 1}')
        a = self.state()
        self.assertEqual((a["StateValue"], a["StateReason"], a["StateReasonData"]), ("ALARM", "testing", '{"why": 1}'))
        actions = self.cw.describe_alarm_history(AlarmName="high", HistoryItemType="Action")["AlarmHistoryItems"]
        self.assertEqual(len(actions), 1)
        self.assertEqual(actions[0]["HistorySummary"], "Failed to execute action " + topic)
        self.assertEqual(json.loads(actions[0]["HistoryData"])["actionState"], "Failed")
        self.cw.disable_alarm_actions(AlarmNames=["high", "nope"])
        self.assertFalse(self.state()["ActionsEnabled"])
        self.cw.set_alarm_state(AlarmName="high", StateValue="OK", StateReason="again")
        self.assertEqual(len(self.cw.describe_alarm_history(AlarmName="high", HistoryItemType="Action")
                             ["AlarmHistoryItems"]), 1)
        self.cw.enable_alarm_actions(AlarmNames=["high"])
        self.assertTrue(self.state()["ActionsEnabled"])
        # the state holds until the next evaluation (no data: INSUFFICIENT_DATA)
        self.to_minute(31)
        self.assertEqual(self.state()["StateValue"], "INSUFFICIENT_DATA")
        with self.assertAwsError("ResourceNotFound", 404):
            self.cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
        with self.assertAwsError("InvalidFormat"):
            self.cw.set_alarm_state(AlarmName="high", StateValue="OK", StateReason="x", StateReasonData="{")
        # tags
        arn = self.state()["AlarmArn"]
        self.assertEqual(self.cw.list_tags_for_resource(ResourceARN=arn)["Tags"], [{"Key": "team", "Value": "web"}])
        self.cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}])
        self.cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
        self.assertEqual(self.cw.list_tags_for_resource(ResourceARN=arn)["Tags"], [{"Key": "env", "Value": "dev"}])
        with self.assertAwsError("ResourceNotFoundException"):
            self.cw.list_tags_for_resource(ResourceARN=arn + "x")

    def test_describe_filters_update_and_delete(self):
        topic = "arn:aws:sns:us-east-1:000000000000:ops"
        for i in range(3):
            self.alarm(name="web-%d" % i, AlarmActions=[topic] if i == 0 else [])
        self.alarm(name="db", Namespace="Db", MetricName="Cpu", Dimensions=[{"Name": "Id", "Value": "x"}])
        self.assertEqual([a["AlarmName"] for a in self.cw.describe_alarms(AlarmNamePrefix="web")["MetricAlarms"]],
                         ["web-0", "web-1", "web-2"])
        self.assertEqual([a["AlarmName"] for a in self.cw.describe_alarms(ActionPrefix="arn:aws:sns")["MetricAlarms"]],
                         ["web-0"])
        self.assertEqual(len(self.cw.describe_alarms(StateValue="INSUFFICIENT_DATA")["MetricAlarms"]), 4)
        self.assertEqual(self.cw.describe_alarms(StateValue="OK")["MetricAlarms"], [])
        page = self.cw.describe_alarms(MaxRecords=3)
        self.assertEqual(len(page["MetricAlarms"]), 3)
        self.assertEqual(len(self.cw.describe_alarms(MaxRecords=3, NextToken=page["NextToken"])["MetricAlarms"]), 1)
        out = self.cw.describe_alarms_for_metric(Namespace="Db", MetricName="Cpu",
                                                 Dimensions=[{"Name": "Id", "Value": "x"}])
        self.assertEqual([a["AlarmName"] for a in out["MetricAlarms"]], ["db"])
        # an update keeps the state and records a ConfigurationUpdate
        self.cw.set_alarm_state(AlarmName="db", StateValue="ALARM", StateReason="x")
        self.alarm(name="db", Namespace="Db", MetricName="Cpu", Threshold=75.0)
        a = self.state("db")
        self.assertEqual((a["StateValue"], a["Threshold"]), ("ALARM", 75.0))
        upd = self.cw.describe_alarm_history(AlarmName="db", HistoryItemType="ConfigurationUpdate",
                                             MaxRecords=1)["AlarmHistoryItems"][0]
        self.assertEqual(upd["HistorySummary"], 'Alarm "db" updated')
        self.assertEqual(json.loads(upd["HistoryData"])["originalUpdatedFields"]["threshold"], 50.0)
        self.cw.delete_alarms(AlarmNames=["web-0", "does-not-exist"])
        self.assertEqual(len(self.cw.describe_alarms()["MetricAlarms"]), 3)
        self.to_minute(31)  # the deleted alarm's evaluation does not run
        self.assertEqual(self.cw.describe_alarms(AlarmNames=["web-0"])["MetricAlarms"], [])

    def test_alarm_validation(self):
        with self.assertAwsError("ValidationError", message="Period must be 10, 30 or a multiple of 60"):
            self.alarm(Period=45)
        with self.assertAwsError("ValidationError", message="Exactly one element of the statistic and extendedStatistic"):
            self.alarm(ExtendedStatistic="p99")
        with self.assertAwsError("ValidationError", message="MetricName must not be null"):
            self.cw.put_metric_alarm(AlarmName="x", EvaluationPeriods=1, Threshold=1.0,
                                     ComparisonOperator="GreaterThanThreshold", Statistic="Sum", Period=60,
                                     Namespace="App")
        with self.assertAwsError("ValidationError", message="Statistic should not be set if list of Metrics is set."):
            self.alarm(Metrics=[{"Id": "m", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "L"},
                                                           "Period": 60, "Stat": "Sum"}}],
                       MetricName=None, Namespace=None, Period=None)
        with self.assertAwsError("ValidationError", message="DatapointsToAlarm"):
            self.alarm(EvaluationPeriods=2, DatapointsToAlarm=3)
        with self.assertAwsError("ValidationError", message="TreatMissingData"):
            self.alarm(TreatMissingData="sometimes")
        with self.assertAwsError("ValidationError", message="Threshold and ThresholdMetricId cannot both be set"):
            self.alarm(ThresholdMetricId="ad1")
        with self.assertAwsError("ValidationError", message="ThresholdMetricId"):
            self.alarm(ComparisonOperator="LessThanLowerThreshold")
        with self.assertAwsError("ValidationError", message="EvaluationPeriods * Period"):
            self.alarm(EvaluationPeriods=1441)
        with self.assertAwsError("InvalidParameterValue", message="ExtendedStatistic"):
            self.alarm(Statistic=None, ExtendedStatistic="median")
        with self.assertAwsError("ValidationError", message="Member must satisfy enum value set"):
            self.alarm(ComparisonOperator="Bigger")

    def test_metric_math_alarm(self):
        self.to_minute(5)
        self.cw.put_metric_alarm(
            AlarmName="ratio", EvaluationPeriods=1, Threshold=0.5, ComparisonOperator="GreaterThanThreshold",
            Metrics=[{"Id": "e", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors"},
                                                "Period": 60, "Stat": "Sum"}, "ReturnData": False},
                     {"Id": "r", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Requests"},
                                                "Period": 60, "Stat": "Sum"}, "ReturnData": False},
                     {"Id": "ratio", "Expression": "e / r", "Label": "error ratio"}])
        t = self.to_minute(10)
        self.put(3.0, ts=t - 70, name="Errors")
        self.put(4.0, ts=t - 70, name="Requests")
        self.to_minute(31)
        self.assertEqual(self.state("ratio")["StateValue"], "ALARM")

    def test_composite_alarm(self):
        self.to_minute(5)
        self.alarm(name="a", TreatMissingData="ignore")
        self.alarm(name="b", TreatMissingData="ignore")
        self.cw.put_composite_alarm(AlarmName="both", AlarmRule='ALARM("a") AND (ALARM(b) OR FALSE)')
        with self.assertAwsError("ValidationError", message="Could not save the composite alarm as alarms [zz]"):
            self.cw.put_composite_alarm(AlarmName="bad", AlarmRule="ALARM(zz)")
        comp = self.cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
        self.assertEqual((comp["AlarmName"], comp["StateValue"]), ("both", "INSUFFICIENT_DATA"))
        self.cw.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="x")
        self.to_minute(1)
        self.assertEqual(self.cw.describe_alarms(AlarmNames=["both"], AlarmTypes=["CompositeAlarm"])
                         ["CompositeAlarms"][0]["StateValue"], "OK")
        self.cw.set_alarm_state(AlarmName="b", StateValue="ALARM", StateReason="x")
        self.assertEqual(self.cw.describe_alarms(AlarmNames=["both"], AlarmTypes=["CompositeAlarm"])
                         ["CompositeAlarms"][0]["StateValue"], "ALARM")
        parents = self.cw.describe_alarms(ParentsOfAlarmName="a", AlarmTypes=["CompositeAlarm", "MetricAlarm"])
        self.assertEqual([c["AlarmName"] for c in parents["CompositeAlarms"]], ["both"])

    def test_scaling_policy_actions_repeat_while_in_state(self):
        # An Auto Scaling action runs again at every evaluation while the alarm stays in its
        # state; other actions run once, on the transition. Neither target exists here, so
        # each attempt is a failed Action history item.
        policy = ("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:0b8e4d1c-1111-2222-3333-444455556666"
                  ":resource/ecs/service/main/web:policyName/up")
        topic = "arn:aws:sns:us-east-1:000000000000:ops"
        self.alarm(AlarmActions=[policy, topic])
        start = self.to_minute(1)
        for m in range(1, 5):
            self.put(90.0, ts=start - 60 + m * 60)
            self.to_minute(31)
        self.assertEqual(self.state()["StateValue"], "ALARM")
        actions = self.cw.describe_alarm_history(AlarmName="high", HistoryItemType="Action")["AlarmHistoryItems"]
        on_policy = [a for a in actions if policy in a["HistorySummary"]]
        on_topic = [a for a in actions if topic in a["HistorySummary"]]
        self.assertGreaterEqual(len(on_policy), 3)
        self.assertEqual(len(on_topic), 1)
        self.assertEqual(on_policy[0]["HistorySummary"], "Failed to execute action " + policy)
        data = json.loads(on_policy[0]["HistoryData"])
        self.assertEqual((data["actionState"], data["error"]), ("Failed", "The scaling policy does not exist."))
        # with actions disabled nothing more is attempted
        self.cw.disable_alarm_actions(AlarmNames=["high"])
        self.put(90.0, ts=self.now())
        self.to_minute(31)
        after = self.cw.describe_alarm_history(AlarmName="high", HistoryItemType="Action")["AlarmHistoryItems"]
        self.assertEqual(len(after), len(actions))

    # ---- dashboards ------------------------------------------------------------------------------

    def test_dashboards(self):
        body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
                                        "properties": {"markdown": "hi"}}]})
        out = self.aws("cloudwatch", "put-dashboard", "--dashboard-name", "main", "--dashboard-body", body)
        self.assertEqual(out["DashboardValidationMessages"], [])
        self.cw.put_dashboard(DashboardName="other", DashboardBody=body)
        got = self.cw.get_dashboard(DashboardName="main")
        self.assertEqual(got["DashboardBody"], body)
        self.assertEqual(got["DashboardArn"], "arn:aws:cloudwatch::000000000000:dashboard/main")
        entries = self.cw.list_dashboards(DashboardNamePrefix="ma")["DashboardEntries"]
        self.assertEqual([(e["DashboardName"], e["Size"]) for e in entries], [("main", len(body))])
        with self.assertAwsError("InvalidParameterInput"):
            self.cw.put_dashboard(DashboardName="bad", DashboardBody="{")
        with self.assertAwsError("InvalidParameterInput", message="widgets"):
            self.cw.put_dashboard(DashboardName="bad", DashboardBody="{}")
        with self.assertAwsError("ResourceNotFound", 404):
            self.cw.delete_dashboards(DashboardNames=["main", "nope"])
        self.cw.delete_dashboards(DashboardNames=["main", "other"])
        with self.assertAwsError("ResourceNotFound", 404):
            self.cw.get_dashboard(DashboardName="main")
        self.assertEqual(self.cw.list_dashboards()["DashboardEntries"], [])


if __name__ == "__main__":
    harness.main()
