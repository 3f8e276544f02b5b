#!/usr/bin/env python3
"""Backup broker of the original hypotenuse lab, as the students wrote it.

usage: orig_backup.py PRIMARY_HB_ENDPOINT XSUB_PORT XPUB_PORT [HOST]

Subscribes to everything on the primary's heartbeat socket. If 3 s pass
without a message it assumes the primary is dead, binds its own XSUB/XPUB
ports and runs the proxy itself (and never hands back).
"""
import sys

import zmq

if len(sys.argv) not in (4, 5):
    sys.exit(__doc__)
primary_hb, xsub_port, xpub_port = sys.argv[1:4]
host = sys.argv[4] if len(sys.argv) == 5 else "*"

ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect(primary_hb)
print("backup standby: watching", primary_hb, flush=True)

while True:
    if sub.poll(3000):
        msg = sub.recv()
        if msg == b"HB":
            print("backup standby: heartbeat", flush=True)
        continue
    print("backup taking over: no heartbeat for 3 s", flush=True)
    break

xsub = ctx.socket(zmq.XSUB)
xpub = ctx.socket(zmq.XPUB)
xsub.bind(f"tcp://{host}:{xsub_port}")
xpub.bind(f"tcp://{host}:{xpub_port}")
print(f"backup broker active: xsub {xsub_port} xpub {xpub_port}", flush=True)
zmq.proxy(xsub, xpub)
