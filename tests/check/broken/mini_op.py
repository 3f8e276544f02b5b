#!/usr/bin/env python3
"""A small operation server written for the checker's tests (pyzmq), with
one optional deliberate flaw.

usage: mini_op.py [none|crash-empty]
Lane: $HYPOBUS_LANE; brokers: $HYPOBUS_BROKERS (HOST:XSUB:XPUB,...).

  crash-empty   skips values that are not numbers, but dies on an empty one
"""

import math
import os
import sys

import zmq

FLAW = sys.argv[1] if len(sys.argv) > 1 else "none"
lane = os.environ["HYPOBUS_LANE"].encode()
brokers = [b.split(":") for b in os.environ["HYPOBUS_BROKERS"].split(",")]

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
sub = ctx.socket(zmq.SUB)
pub.setsockopt(zmq.IMMEDIATE, 1)
for s in (pub, sub):
    s.setsockopt(zmq.LINGER, 0)
for host, xs, xp in brokers:
    pub.connect(f"tcp://{host}:{xs}")
    sub.connect(f"tcp://{host}:{xp}")
request = b"calc.square.request." + lane
sub.setsockopt(zmq.SUBSCRIBE, request)
print(f"mini op lane {lane.decode()} ready", flush=True)

while True:
    frames = sub.recv_multipart()
    if len(frames) != 2:
        continue
    topic, value = frames
    base, sep, tag = topic.partition(b"#")
    if base != request:
        continue
    if FLAW == "crash-empty" and not chr(value[0]).isdigit():  # value[0]: IndexError on b""
        continue
    try:
        x = float(value)
    except ValueError:
        continue
    if not math.isfinite(x) or x < 0:
        continue
    sq = x * x
    text = str(int(sq)) if sq.is_integer() and sq < 2**53 else repr(sq)
    pub.send_multipart([b"calc.square.result." + lane + sep + tag, text.encode()])
