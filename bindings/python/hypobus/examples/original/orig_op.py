#!/usr/bin/env python3
"""Operation server of the original hypotenuse lab, as the students wrote it.

usage: orig_op.py LANE BROKER [BROKER2]
BROKER is HOST:XSUB_PORT:XPUB_PORT (e.g. 127.0.0.1:5555:5556).

Subscribes to calc.square.request.LANE (a prefix: tagged topics such as
calc.square.request.1#tag match too), squares int(value) and publishes it on
the plain calc.square.result.LANE. Faithful to the original flaw: a value that
int() refuses ("1.5", "abc") raises and the server dies.
"""
import sys

import zmq

if len(sys.argv) < 3:
    sys.exit(__doc__)
lane = sys.argv[1]
brokers = [s.split(":") for s in sys.argv[2:]]

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
sub = ctx.socket(zmq.SUB)
pub.setsockopt(zmq.IMMEDIATE, 1)  # nothing queues toward a broker that is not there
for s in (pub, sub):
    s.setsockopt(zmq.LINGER, 0)
for host, xsub_port, xpub_port in brokers:
    pub.connect(f"tcp://{host}:{xsub_port}")
    sub.connect(f"tcp://{host}:{xpub_port}")
sub.setsockopt(zmq.SUBSCRIBE, f"calc.square.request.{lane}".encode())
print(f"operation server {lane} ready", flush=True)

while True:
    topic, value = sub.recv_multipart()
    n = int(value)
    sq = n ** 2
    print(f"{value.decode()}^2 = {sq}", flush=True)
    pub.send_multipart([f"calc.square.result.{lane}".encode(), str(sq).encode()])
