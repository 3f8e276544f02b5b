#!/usr/bin/env python3
"""Client of the original hypotenuse lab, as the students wrote it (pyzmq).

usage: orig_client.py A B BROKER [BROKER2]
BROKER is HOST:XSUB_PORT:XPUB_PORT (e.g. 127.0.0.1:5555:5556).

Publishes cathetus A on calc.request.1 and B on calc.request.2, waits for one
message on calc.hypotenuse.result and prints its value. Only change from the
original: the wait is bounded (10 s), then it exits with status 1.
"""
import sys
import time

import zmq

if len(sys.argv) < 4:
    sys.exit(__doc__)
a, b = sys.argv[1], sys.argv[2]
brokers = [s.split(":") for s in sys.argv[3:]]

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
sub = ctx.socket(zmq.SUB)
pub.setsockopt(zmq.IMMEDIATE, 1)  # nothing queues toward a broker that is not there
for s in (pub, sub):
    s.setsockopt(zmq.LINGER, 0)
for host, xsub_port, xpub_port in brokers:
    pub.connect(f"tcp://{host}:{xsub_port}")
    sub.connect(f"tcp://{host}:{xpub_port}")
sub.setsockopt(zmq.SUBSCRIBE, b"calc.hypotenuse.result")

time.sleep(1)  # slow joiner: give the subscription time to reach the broker

pub.send_multipart([b"calc.request.1", a.encode()])
pub.send_multipart([b"calc.request.2", b.encode()])

poller = zmq.Poller()
poller.register(sub, zmq.POLLIN)
if not poller.poll(10_000):
    print("no result within 10 s", file=sys.stderr)
    sys.exit(1)
topic, value = sub.recv_multipart()
print(value.decode())
