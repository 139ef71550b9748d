#!/usr/bin/python3
"""ECS at scale: a 500-task service reaching steady state, and DescribeTasks /
ListTasks latency with 10,000 tasks in a cluster.

    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRYDOCK_TESTS=OFF
    cmake --build build-bench --target drydock
    DRYDOCK_BIN=build-bench/drydock /usr/bin/python3 bench/ecs_scale.py [--tasks N] [--service-tasks N]

Starts its own `drydock serve --state :memory: --manual-clock --log-level warn`
on a free loopback port and measures, through boto3:
  (a) a Fargate service of 500 tasks (a /16 VPC of /20 subnets, one security
      group, a cluster, a task definition): the wall time of CreateService plus
      the one clock advance that brings it to steady state; then checks that
      500 tasks are RUNNING;
  (b) 10,000 tasks in another cluster (RunTask count=10, 1,000 calls, then one
      clock advance): per-request p50/p99 of DescribeTasks (batches of 100)
      and of ListTasks (every page of 100).
Every loop is bounded; it only talks to 127.0.0.1. Exits non-zero when a
check fails (tasks not RUNNING, steady state not reported).
"""
import argparse
import json
import os
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness  # noqa: E402  (the same emulator launcher and clean environment as the tests)

SUBNETS = 8  # /20 subnets of 10.0.0.0/16: 8 x 4,091 addresses, room for 10,500 task ENIs
ADVANCE_SECONDS = 600  # simulation time for every task to walk PROVISIONING -> RUNNING
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def admin(emulator, path, body, timeout=1800):
    """An admin call with a long timeout: one clock advance runs thousands of events."""
    req = urllib.request.Request(emulator.endpoint + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def world(endpoint):
    """A /16 VPC with /20 subnets, a security group, an execution role and a task definition."""
    ec2 = harness.client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/20" % (i * 16),
                                 AvailabilityZone="us-east-1" + "abcdef"[i % 6])["Subnet"]["SubnetId"]
               for i in range(SUBNETS)]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="bench", Description="bench")["GroupId"]
    harness.client(endpoint, "iam").create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=TRUST)
    ecs = harness.client(endpoint, "ecs")
    ecs.register_task_definition(
        family="bench", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        executionRoleArn="arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
        containerDefinitions=[{"name": "web", "image": "nginx:1.25", "essential": True,
                               "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}])
    return {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg], "assignPublicIp": "DISABLED"}}


def all_task_arns(ecs, cluster, **kw):
    """Every task ARN via ListTasks pages of 100, with each page's latency (s)."""
    arns, times, token = [], [], None
    for _ in range(100000):  # bounded: far more pages than any run here has
        args = dict(cluster=cluster, maxResults=100, **kw)
        if token:
            args["nextToken"] = token
        t0 = time.perf_counter()
        out = ecs.list_tasks(**args)
        times.append(time.perf_counter() - t0)
        arns += out["taskArns"]
        token = out.get("nextToken")
        if not token:
            break
    return arns, times


def running(ecs, cluster, arns):
    n = 0
    for i in range(0, len(arns), 100):
        n += sum(t["lastStatus"] == "RUNNING" for t in ecs.describe_tasks(cluster=cluster,
                                                                          tasks=arns[i:i + 100])["tasks"])
    return n


def service_run(emulator, ecs, netconf, count):
    """(a): CreateService + one clock advance; returns the figures and whether the checks held."""
    ecs.create_cluster(clusterName="svc")
    t0 = time.perf_counter()
    ecs.create_service(cluster="svc", serviceName="web", taskDefinition="bench", desiredCount=count,
                       launchType="FARGATE", networkConfiguration=netconf)
    t1 = time.perf_counter()
    admin(emulator, "/_drydock/clock", {"advance_seconds": ADVANCE_SECONDS})
    t2 = time.perf_counter()
    arns, _ = all_task_arns(ecs, "svc", desiredStatus="RUNNING")
    n_running = running(ecs, "svc", arns)
    svc = ecs.describe_services(cluster="svc", services=["web"])["services"][0]
    steady = any("has reached a steady state" in e["message"] for e in svc["events"])
    return {"create": t1 - t0, "advance": t2 - t1, "running": n_running, "runningCount": svc["runningCount"],
            "steady": steady}


def tasks_run(emulator, ecs, netconf, total):
    """(b): `total` tasks via RunTask count=10, one clock advance, then the latencies."""
    ecs.create_cluster(clusterName="big")
    t0 = time.perf_counter()
    calls = total // 10
    for i in range(calls):
        out = ecs.run_task(cluster="big", taskDefinition="bench", launchType="FARGATE", count=10,
                           networkConfiguration=netconf, startedBy="bench-%d" % (i % 10))
        if out["failures"]:
            raise RuntimeError("RunTask failed: %s" % out["failures"])
    t1 = time.perf_counter()
    admin(emulator, "/_drydock/clock", {"advance_seconds": ADVANCE_SECONDS})
    t2 = time.perf_counter()
    arns, list_times = all_task_arns(ecs, "big")
    for _ in range(2):  # more ListTasks samples: every page, three times over
        list_times += all_task_arns(ecs, "big")[1]
    describe_times, n_running = [], 0
    for _ in range(3):
        for i in range(0, len(arns), 100):
            s = time.perf_counter()
            out = ecs.describe_tasks(cluster="big", tasks=arns[i:i + 100])
            describe_times.append(time.perf_counter() - s)
            n_running += sum(t["lastStatus"] == "RUNNING" for t in out["tasks"])
    return {"runtask": (t1 - t0) / calls, "runtask_total": t1 - t0, "advance": t2 - t1, "tasks": len(arns),
            "running": n_running // 3, "list": list_times, "describe": describe_times}


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--service-tasks", type=int, default=500)
    ap.add_argument("--tasks", type=int, default=10000)
    args = ap.parse_args()
    emulator = harness.Emulator(extra_args=["--manual-clock", "--log-level", "warn"]).start()
    try:
        netconf = world(emulator.endpoint)
        ecs = harness.client(emulator.endpoint, "ecs")
        a = service_run(emulator, ecs, netconf, args.service_tasks)
        b = tasks_run(emulator, ecs, netconf, args.tasks)
    finally:
        rc = emulator.stop()
    ms = 1e3
    print("| measure | figure |")
    print("|---|---|")
    print("| (a) CreateService, desiredCount %d | %.1f ms |" % (args.service_tasks, a["create"] * ms))
    print("| (a) clock advance %d s to steady state | %.2f s |" % (ADVANCE_SECONDS, a["advance"]))
    print("| (a) CreateService + advance | %.2f s |" % (a["create"] + a["advance"]))
    print("| (a) tasks RUNNING / runningCount / steady-state event | %d / %d / %s |" % (
        a["running"], a["runningCount"], "yes" if a["steady"] else "no"))
    print("| (b) RunTask count=10, mean of %d calls | %.1f ms |" % (args.tasks // 10, b["runtask"] * ms))
    print("| (b) clock advance %d s, %d tasks to RUNNING | %.2f s |" % (ADVANCE_SECONDS, b["tasks"], b["advance"]))
    print("| (b) tasks RUNNING | %d |" % b["running"])
    for name, key in (("DescribeTasks (100 tasks)", "describe"), ("ListTasks (page of 100)", "list")):
        t = b[key]
        print("| (b) %s p50 / p99 / mean, n=%d | %.2f / %.2f / %.2f ms |" % (
            name, len(t), pct(t, 50) * ms, pct(t, 99) * ms, statistics.mean(t) * ms))
    ok = (a["running"] == args.service_tasks and a["steady"] and b["running"] == args.tasks and rc == 0)
    print("ecs_scale: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
