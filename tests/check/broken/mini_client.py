#!/usr/bin/env python3
"""A small classic client written for the checker's tests (pyzmq), with one
optional deliberate flaw.

usage: mini_client.py A B [none|wrong-topic]
Brokers: $HYPOBUS_BROKERS (HOST:XSUB:XPUB,...).

  wrong-topic   subscribes to calc.hypot.result instead of calc.hypotenuse.result
"""

import os
import sys
import time

import zmq

a, b = sys.argv[1], sys.argv[2]
FLAW = sys.argv[3] if len(sys.argv) > 3 else "none"
brokers = [x.split(":") for x in os.environ["HYPOBUS_BROKERS"].split(",")]

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
sub = ctx.socket(zmq.SUB)
pub.setsockopt(zmq.IMMEDIATE, 1)
for s in (pub, sub):
    s.setsockopt(zmq.LINGER, 0)
for host, xs, xp in brokers:
    pub.connect(f"tcp://{host}:{xs}")
    sub.connect(f"tcp://{host}:{xp}")
sub.setsockopt(zmq.SUBSCRIBE, b"calc.hypot.result" if FLAW == "wrong-topic" else b"calc.hypotenuse.result")
time.sleep(1)  # slow joiner, as the original
pub.send_multipart([b"calc.request.1", a.encode()])
pub.send_multipart([b"calc.request.2", b.encode()])
if not sub.poll(8000):
    print("no result within 8 s", file=sys.stderr)
    sys.exit(1)
print(sub.recv_multipart()[1].decode())
