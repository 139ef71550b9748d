#!/usr/bin/python3
"""CloudWatch at scale: metric writes and reads, and 1,000 alarms evaluated on the clock.

    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRYDOCK_TESTS=OFF
    cmake --build build-bench --target drydock
    DRYDOCK_BIN=build-bench/drydock /usr/bin/python3 bench/alarms_scale.py [--metrics N] [--alarms N]

Starts its own `drydock serve --state :memory: --manual-clock --log-level warn`
on a free loopback port and measures, through boto3:
  (a) PutMetricData: a day of one-minute datapoints for each of 100 metrics
      (1,440 x 100 values, 1,000 datums a call), the last
      10 minutes of it ahead of the clock: mean latency per call;
  (b) GetMetricStatistics over that day at a 5-minute period (288 datapoints,
      Average/Maximum/p99) and over the last hour at 1 minute: p50/p99;
  (c) 1,000 alarms on those metrics (10 per metric, thresholds spread so that
      some fire), then 10 minutes of clock: 10,000 evaluations in one advance,
      the wall time and the cost per evaluation; checks that the alarms left
      INSUFFICIENT_DATA and that both ALARM and OK were reached.
Every loop is bounded; it only talks to 127.0.0.1. Exits non-zero when a check fails.
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness  # noqa: E402  (the same emulator launcher and clean environment as the tests)

UTC = datetime.timezone.utc
MINUTES = 1440
ADVANCE_SECONDS = 600


def admin(emulator, method, path, body=None, timeout=1800):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(emulator.endpoint + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def when(ts):
    return datetime.datetime.fromtimestamp(ts, UTC)


def put_day(cw, metrics, end):
    """(a): a day of datapoints per metric up to `end`; each metric's value is its index + a wave."""
    times = []
    start = end - MINUTES * 60
    for m in range(metrics):
        data = [{"MetricName": "Latency", "Dimensions": [{"Name": "Route", "Value": "r%03d" % m}],
                 "Timestamp": when(start + i * 60), "Value": float(m % 100 + (i % 60)), "Unit": "Milliseconds"}
                for i in range(MINUTES)]
        for i in range(0, len(data), 1000):
            t0 = time.perf_counter()
            cw.put_metric_data(Namespace="Bench", MetricData=data[i:i + 1000])
            times.append(time.perf_counter() - t0)
    return times


def raw(endpoint, params):
    """One signed query call, timed to the last byte of the answer without parsing it: boto3's
    XML parsing of hundreds of datapoints costs more than the emulator's whole answer."""
    body = urllib.parse.urlencode(dict(params, Action="GetMetricStatistics", Version="2010-08-01"))
    req = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "monitoring",
                            harness.REGION).add_auth(req)
    prepared = req.prepare()
    t0 = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body.encode(),
                                                       headers=dict(prepared.headers), method="POST")) as r:
        r.read()
    return time.perf_counter() - t0


def read_raw(endpoint, metrics, end):
    """(b) again, without boto3: the emulator's own latency for the day query."""
    times = []
    for m in range(metrics):
        times.append(raw(endpoint, {
            "Namespace": "Bench", "MetricName": "Latency", "Dimensions.member.1.Name": "Route",
            "Dimensions.member.1.Value": "r%03d" % m, "StartTime": when(end - MINUTES * 60).isoformat(),
            "EndTime": when(end).isoformat(), "Period": "300", "Statistics.member.1": "Average",
            "Statistics.member.2": "Maximum", "ExtendedStatistics.member.1": "p99"}))
    return times


def read(cw, metrics, end):
    """(b): GetMetricStatistics over the day (5 min) and the last hour (1 min) for each metric."""
    day, hour = [], []
    for m in range(metrics):
        dims = [{"Name": "Route", "Value": "r%03d" % m}]
        t0 = time.perf_counter()
        out = cw.get_metric_statistics(Namespace="Bench", MetricName="Latency", Dimensions=dims,
                                       StartTime=when(end - MINUTES * 60), EndTime=when(end), Period=300,
                                       Statistics=["Average", "Maximum"], ExtendedStatistics=["p99"])
        day.append(time.perf_counter() - t0)
        if len(out["Datapoints"]) != MINUTES // 5:
            raise RuntimeError("expected %d datapoints, got %d" % (MINUTES // 5, len(out["Datapoints"])))
        t0 = time.perf_counter()
        cw.get_metric_statistics(Namespace="Bench", MetricName="Latency", Dimensions=dims,
                                 StartTime=when(end - 3600), EndTime=when(end), Period=60, Statistics=["Average"])
        hour.append(time.perf_counter() - t0)
    return day, hour


def alarms(emulator, cw, metrics, count):
    """(c): `count` alarms, then one clock advance of 10 minutes while datapoints keep coming."""
    for a in range(count):
        m = a % metrics
        cw.put_metric_alarm(AlarmName="a%04d" % a, Namespace="Bench", MetricName="Latency",
                            Dimensions=[{"Name": "Route", "Value": "r%03d" % m}], Statistic="Average", Period=60,
                            EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=float(a % 150),
                            ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    t0 = time.perf_counter()
    out = admin(emulator, "POST", "/_drydock/clock", {"advance_seconds": ADVANCE_SECONDS})
    elapsed = time.perf_counter() - t0
    states = {}
    token = None
    for _ in range(1000):  # bounded paging
        kw = {"MaxRecords": 100}
        if token:
            kw["NextToken"] = token
        page = cw.describe_alarms(AlarmNamePrefix="a", **kw)
        for al in page["MetricAlarms"]:
            states[al["StateValue"]] = states.get(al["StateValue"], 0) + 1
        token = page.get("NextToken")
        if not token:
            break
    return {"elapsed": elapsed, "events": out.get("events_run", 0), "states": states}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--metrics", type=int, default=100)
    ap.add_argument("--alarms", type=int, default=1000)
    args = ap.parse_args()
    emulator = harness.Emulator(extra_args=["--manual-clock", "--log-level", "warn"]).start()
    try:
        cw = harness.client(emulator.endpoint, "cloudwatch")
        # The day of data runs into the 10 minutes the alarms are evaluated over (PutMetricData
        # takes timestamps up to two hours ahead), so they keep seeing data as the clock moves.
        end = admin(emulator, "GET", "/_drydock/clock")["now_ms"] // 1000 // 60 * 60 + ADVANCE_SECONDS
        puts = put_day(cw, args.metrics, end)
        day, hour = read(cw, args.metrics, end)
        day_raw = read_raw(emulator.endpoint, args.metrics, end)
        c = alarms(emulator, cw, args.metrics, args.alarms)
    finally:
        rc = emulator.stop()
    ms = 1e3
    evaluations = args.alarms * (ADVANCE_SECONDS // 60)
    print("| measure | figure |")
    print("|---|---|")
    print("| (a) PutMetricData, 1,000 datums a call, mean of %d calls | %.1f ms |" % (len(puts),
                                                                                   statistics.mean(puts) * ms))
    for name, t in (("(b) GetMetricStatistics, a day at 5 min (288 points, p99)", day),
                    ("(b) the same day query, raw HTTP (no boto3 parsing)", day_raw),
                    ("(b) GetMetricStatistics, an hour at 1 min", hour)):
        print("| %s p50 / p99, n=%d | %.2f / %.2f ms |" % (name, len(t), pct(t, 50) * ms, pct(t, 99) * ms))
    print("| (c) %d alarms, clock +%d s: events run | %d |" % (args.alarms, ADVANCE_SECONDS, c["events"]))
    print("| (c) wall time of that advance | %.2f s (%.0f us per evaluation) |" % (
        c["elapsed"], c["elapsed"] / max(evaluations, 1) * 1e6))
    print("| (c) alarm states after | %s |" % ", ".join("%s %d" % kv for kv in sorted(c["states"].items())))
    ok = (rc == 0 and c["events"] >= evaluations and c["states"].get("ALARM", 0) > 0 and
          c["states"].get("OK", 0) > 0 and "INSUFFICIENT_DATA" not in c["states"])
    print("alarms_scale: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
