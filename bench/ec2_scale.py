#!/usr/bin/python3
"""EC2 Describe at scale: per-request time with 10 and with 10,000 resources.

    DRYDOCK_BIN=build/drydock /usr/bin/python3 bench/ec2_scale.py [--requests N]

Starts its own `drydock serve --state :memory:` and measures, through boto3:
  - DescribeSubnets filtered by vpc-id (the VPC holding 2 subnets), and
  - DescribeSecurityGroups filtered by group-name,
first with about 10 of each resource, then after growing to 10,000 of each
(spread over many VPCs). The issue's budget: the per-request time may not
grow more than 2x. Exits non-zero when it does.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness  # noqa: E402  (the same emulator launcher and clean environment as the tests)

PER_VPC = 200  # subnets and groups per VPC while growing (AWS's default quota is 200 subnets per VPC)


def grow(ec2, vpcs, target):
    """Adds VPCs of PER_VPC /28 subnets and PER_VPC groups until `target` of each exist."""
    subnets = sum(len(v["subnets"]) for v in vpcs)
    while subnets < target:
        i = len(vpcs)
        vid = ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"]
        entry = {"id": vid, "subnets": [], "groups": []}
        vpcs.append(entry)
        n = min(PER_VPC, target - subnets) if i else 2  # the measured VPC keeps 2 subnets
        for k in range(n):
            cidr = "10.%d.%d.%d/28" % (i, k // 16, (k % 16) * 16)
            entry["subnets"].append(ec2.create_subnet(VpcId=vid, CidrBlock=cidr)["Subnet"]["SubnetId"])
            entry["groups"].append(ec2.create_security_group(GroupName="g-%d-%d" % (i, k), Description="bench",
                                                             VpcId=vid)["GroupId"])
        subnets += n


def measure(ec2, vpc_id, group_name, requests):
    """Mean seconds per request of each call."""
    calls = {
        "DescribeSubnets(vpc-id)": lambda: ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]),
        "DescribeSecurityGroups(group-name)": lambda: ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [group_name]}]),
    }
    out = {}
    for name, call in calls.items():
        for _ in range(20):  # warm up connections and statement caches
            call()
        start = time.perf_counter()
        for _ in range(requests):
            call()
        out[name] = (time.perf_counter() - start) / requests
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--resources", type=int, default=10000)
    args = ap.parse_args()
    emulator = harness.Emulator().start()
    try:
        ec2 = harness.client(emulator.endpoint, "ec2")
        vpcs = []
        grow(ec2, vpcs, 10)
        small = measure(ec2, vpcs[0]["id"], "g-0-1", args.requests)
        t0 = time.perf_counter()
        grow(ec2, vpcs, args.resources)
        built = time.perf_counter() - t0
        large = measure(ec2, vpcs[0]["id"], "g-0-1", args.requests)
    finally:
        emulator.stop()
    print("ec2_scale: built %d subnets + %d security groups in %.1fs" % (
        sum(len(v["subnets"]) for v in vpcs), sum(len(v["groups"]) for v in vpcs), built))
    worst = 0.0
    for name in small:
        ratio = large[name] / small[name]
        worst = max(worst, ratio)
        print("%-38s %8.3f ms @10   %8.3f ms @%d   ratio %.2f" % (
            name, small[name] * 1e3, large[name] * 1e3, args.resources, ratio))
    ok = worst <= 2.0
    print("ec2_scale: %s (worst ratio %.2f, budget 2.00)" % ("PASS" if ok else "FAIL", worst))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
