#!/usr/bin/env python3
"""Calculation server of the original hypotenuse lab, as the students wrote it.

usage: orig_calc.py BROKER [BROKER2]
BROKER is HOST:XSUB_PORT:XPUB_PORT (e.g. 127.0.0.1:5555:5556).

Collects one cathetus on calc.request.1 and one on calc.request.2, republishes
them on calc.square.request.1/2, waits up to 2 s for calc.square.result.1/2
(ignoring duplicates), computes any missing square itself, and publishes
sqrt(a^2 + b^2) with 4 decimals on calc.hypotenuse.result. One request at a
time, paired in arrival order: the original's design.
"""
import math
import sys
import time

import zmq

if len(sys.argv) < 2:
    sys.exit(__doc__)
brokers = [s.split(":") for s in sys.argv[1:]]

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
sub = ctx.socket(zmq.SUB)
pub.setsockopt(zmq.IMMEDIATE, 1)  # nothing queues toward a broker that is not there
for s in (pub, sub):
    s.setsockopt(zmq.LINGER, 0)
for host, xsub_port, xpub_port in brokers:
    pub.connect(f"tcp://{host}:{xsub_port}")
    sub.connect(f"tcp://{host}:{xpub_port}")
for t in (b"calc.request.1", b"calc.request.2", b"calc.square.result.1", b"calc.square.result.2"):
    sub.setsockopt(zmq.SUBSCRIBE, t)
poller = zmq.Poller()
poller.register(sub, zmq.POLLIN)
print("calculation server ready", flush=True)

while True:
    a = b = None
    while a is None or b is None:
        topic, value = sub.recv_multipart()
        if topic == b"calc.request.1" and a is None:
            a = value
        elif topic == b"calc.request.2" and b is None:
            b = value
    print(f"request: a={a.decode()} b={b.decode()}", flush=True)
    pub.send_multipart([b"calc.square.request.1", a])
    pub.send_multipart([b"calc.square.request.2", b])

    sq1 = sq2 = None
    deadline = time.time() + 2.0
    while (sq1 is None or sq2 is None) and time.time() < deadline:
        if not poller.poll(max(1, int((deadline - time.time()) * 1000))):
            continue
        topic, value = sub.recv_multipart()
        if topic == b"calc.square.result.1" and sq1 is None:
            sq1 = float(value)
        elif topic == b"calc.square.result.2" and sq2 is None:
            sq2 = float(value)
    if sq1 is None:
        print("no square from operation server 1: computing it here", flush=True)
        sq1 = float(a) ** 2
    if sq2 is None:
        print("no square from operation server 2: computing it here", flush=True)
        sq2 = float(b) ** 2
    h = math.sqrt(sq1 + sq2)
    print(f"hypotenuse {h:.4f}", flush=True)
    pub.send_multipart([b"calc.hypotenuse.result", f"{h:.4f}".encode()])
