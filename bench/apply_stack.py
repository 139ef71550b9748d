#!/usr/bin/python3
"""The provisioner against the emulator: apply and destroy of tests/templates/fargate-web.yaml.

Starts `drydock serve` (a Release build, fast clock) on a free loopback port, then times
`drydock apply` (30 resources, up to the service's steady state with healthy targets) and
`drydock destroy`, RUNS times each, and prints wall time and the API calls the provisioner's
transport counted (from its summary line). Exits 1 when a run fails.

    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDRYDOCK_TESTS=OFF
    cmake --build build-bench --target drydock
    DRYDOCK_BIN=build-bench/drydock /usr/bin/python3 bench/apply_stack.py
"""
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BIN = os.path.abspath(os.environ.get("DRYDOCK_BIN", os.path.join(ROOT, "build-bench", "drydock")))
TEMPLATE = os.path.join(ROOT, "tests", "templates", "fargate-web.yaml")
RUNS = int(os.environ.get("RUNS", "5"))
SUMMARY = re.compile(r"(Apply|Destroy) complete: .* in ([\d.]+)s \((\d+) API calls, (\d+) writes\)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit("the emulator did not start")


def run(cmd, cwd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": cwd})
    wall = time.monotonic() - t0
    m = SUMMARY.search(p.stdout)
    if p.returncode != 0 or not m:
        sys.exit("%s failed (%d):\n%s\n%s" % (" ".join(cmd[:2]), p.returncode, p.stdout[-3000:], p.stderr[-2000:]))
    return wall, int(m.group(3)), int(m.group(4))


def main():
    port = free_port()
    endpoint = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([BIN, "serve", "--state", ":memory:", "--port", str(port), "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {"apply": [], "destroy": []}
    try:
        wait_ready(port)
        for i in range(RUNS):
            d = tempfile.mkdtemp(prefix="drydock-bench-")
            stack = ["--stack", "bench%d" % i, "--endpoint", endpoint]
            results["apply"].append(run([BIN, "apply", TEMPLATE] + stack, d))
            results["destroy"].append(run([BIN, "destroy"] + stack, d))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("fargate-web.yaml (30 resources), %d runs, emulator %s (fast clock)" % (RUNS, BIN))
    print("%-8s %10s %10s %10s %8s %8s" % ("", "median s", "min s", "max s", "calls", "writes"))
    for verb, rows in results.items():
        walls = [r[0] for r in rows]
        print("%-8s %10.2f %10.2f %10.2f %8d %8d" % (verb, statistics.median(walls), min(walls), max(walls),
                                                     round(statistics.median(r[1] for r in rows)),
                                                     round(statistics.median(r[2] for r in rows))))


if __name__ == "__main__":
    main()
