#!/usr/bin/env python3
"""A small primary broker written for the checker's tests (pyzmq), with one
optional deliberate flaw.

usage: mini_broker.py [none|no-hb]
Binds $HYPOBUS_XSUB, $HYPOBUS_XPUB and $HYPOBUS_HB, forwards between the
first two and sends a one-frame HB every second on the third.

  no-hb         binds the heartbeat socket but never sends a heartbeat
"""

import os
import sys
import threading
import time

import zmq

FLAW = sys.argv[1] if len(sys.argv) > 1 else "none"
ctx = zmq.Context()
xsub, xpub, hb = ctx.socket(zmq.XSUB), ctx.socket(zmq.XPUB), ctx.socket(zmq.PUB)
xsub.bind(os.environ["HYPOBUS_XSUB"])
xpub.bind(os.environ["HYPOBUS_XPUB"])
hb.bind(os.environ["HYPOBUS_HB"])
threading.Thread(target=zmq.proxy, args=(xsub, xpub), daemon=True).start()
print("mini broker ready", flush=True)
while True:
    if FLAW != "no-hb":
        hb.send(b"HB")
    time.sleep(1)
