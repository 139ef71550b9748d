#!/usr/bin/env python3
"""Prints the README's "Status" tables from a running drydock.

usage: support-tables.py [DRYDOCK_BIN]

Starts `drydock serve --state :memory:` on a free port, asks the admin API
which operations each service implements (GET /_drydock/services) and how
many its model has (GET /_drydock/health), and prints one Markdown table per
service. Paste the output into README.md under "Status".
"""
import json
import socket
import subprocess
import sys
import time
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else "build/drydock"
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
proc = subprocess.Popen([binary, "serve", "--port", str(port), "--state", ":memory:", "--log-level", "error"])
try:
    base = "http://127.0.0.1:%d/_drydock" % port
    for _ in range(200):
        try:
            health = json.load(urllib.request.urlopen(base + "/health"))
            break
        except OSError:
            time.sleep(0.02)
    services = json.load(urllib.request.urlopen(base + "/services"))
finally:
    proc.terminate()
    proc.wait()

for svc in sorted(services, key=lambda s: health["services"][s]["service_id"].lower()):
    info = health["services"][svc]
    ops = services[svc]
    print("### %s (%s protocol)\n" % (info["service_id"], info["protocol"]))
    print("| operation | status |\n|---|---|")
    for op in ops:
        print("| %s | supported |" % op)
    rest = info["operations"] - len(ops)
    if rest:
        print("| the model's %d other operations | `501 NotImplemented` |" % rest)
    print()
