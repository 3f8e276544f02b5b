#!/usr/bin/env python3
"""An operation node whose operation is a plain Python function.

usage: python -m hypobus.examples.op_function LANE BROKER [BROKER2]
BROKER is HOST:XSUB_PORT:XPUB_PORT (e.g. 127.0.0.1:5555:5556).

Serves calc.square.request.LANE like the lab's operation server, but the
square is computed by `square` below, in Python, on a thread of the
binding: it gets the value exactly (an int, or a Decimal for "1.5") and its
int/Decimal answer goes back as exact decimal text, so 12345678901234567890
squared stays exact. A bad value or an exception in the function becomes an
error answer (the calc node computes that square itself); the node never
dies. Runs until Ctrl-C, then prints its counters.
"""

import signal
import sys
import threading

import hypobus


def square(x):
    print(f"{x}^2 = {x * x}", flush=True)
    return x * x


if len(sys.argv) < 3:
    sys.exit(__doc__)
lane = int(sys.argv[1])
brokers = sys.argv[2:]

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with hypobus.OpNode(lane, fn=square, brokers=brokers) as node:
    print(f"operation node {lane} (Python function) ready", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    print(node.stats(), flush=True)
