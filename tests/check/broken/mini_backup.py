#!/usr/bin/env python3
"""A small backup broker written for the checker's tests (pyzmq), with one
optional deliberate flaw.

usage: mini_backup.py [none|slow]
Watches the primary's heartbeats ($HYPOBUS_HB); after 3 heartbeat periods
($HYPOBUS_HB_INTERVAL_MS) of silence it binds $HYPOBUS_BACKUP_XSUB/_XPUB
and forwards; when it hears the primary again it stops and unbinds (hands
back).

  slow          waits 8 s of silence instead, too slow a take-over
"""

import os
import sys
import time

import zmq

FLAW = sys.argv[1] if len(sys.argv) > 1 else "none"
period = int(os.environ["HYPOBUS_HB_INTERVAL_MS"]) / 1000
silence = 8.0 if FLAW == "slow" else 3 * period

ctx = zmq.Context()
hb = ctx.socket(zmq.SUB)
hb.setsockopt(zmq.SUBSCRIBE, b"HB")
hb.connect(os.environ["HYPOBUS_HB"])
print("mini backup standby", flush=True)

last = time.monotonic()
xsub = xpub = None
while True:
    socks = [hb] + ([xsub, xpub] if xsub else [])
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)
    ready = dict(poller.poll(int(period * 1000)))
    if hb in ready:
        while hb.poll(0):
            hb.recv_multipart()
        last = time.monotonic()
        if xsub:  # the primary is back: hand back
            xsub.close(0)
            xpub.close(0)
            xsub = xpub = None
            print("primary back: handed back", flush=True)
        continue
    if xsub is None and time.monotonic() - last > silence:
        xsub, xpub = ctx.socket(zmq.XSUB), ctx.socket(zmq.XPUB)
        for s in (xsub, xpub):
            s.setsockopt(zmq.LINGER, 0)
        xsub.bind(os.environ["HYPOBUS_BACKUP_XSUB"])
        xpub.bind(os.environ["HYPOBUS_BACKUP_XPUB"])
        print("no heartbeat: forwarding", flush=True)
        continue
    if xsub is not None:
        if xsub in ready:
            xpub.send_multipart(xsub.recv_multipart())
        if xpub in ready:
            xsub.send_multipart(xpub.recv_multipart())
