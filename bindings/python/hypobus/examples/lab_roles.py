#!/usr/bin/env python3
"""The whole hypotenuse lab with libhypobus's role classes, in a few lines.

usage: python -m hypobus.examples.lab_roles [A B]        -> 17.6918 for 12 13

Starts a broker on free loopback ports, the two operation nodes (lane 1
with the library's built-in square, lane 2 with a Python function), the
calculation node, then asks a client for the hypotenuse and prints it.
With BROKERS in the environment (e.g. 127.0.0.1:5555:5556) it only runs
the client against that lab.
"""

import os
import sys

import hypobus

a, b = sys.argv[1:3] if len(sys.argv) >= 3 else ("12", "13")

if os.environ.get("BROKERS"):
    with hypobus.Client(os.environ["BROKERS"]) as client:
        print(client.hypot(a, b))
    sys.exit(0)

with hypobus.Broker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", hb="") as broker, hypobus.OpNode(
    1, brokers=broker
), hypobus.OpNode(2, fn=lambda x: x * x, brokers=broker), hypobus.CalcNode(broker), hypobus.Client(broker) as client:
    print(client.hypot(a, b))
