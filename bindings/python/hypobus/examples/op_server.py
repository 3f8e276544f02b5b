#!/usr/bin/env python3
"""Operation server of the original hypotenuse lab, as the students wrote it,
running unchanged on libhypobus: the original pyzmq program
(hypobus/examples/original/orig_op.py, byte for byte) run with `import zmq`
giving hypobus.zmq.

usage: python -m hypobus.examples.op_server LANE BROKER [BROKER2]
BROKER is HOST:XSUB_PORT:XPUB_PORT (e.g. 127.0.0.1:5555:5556).

Subscribes to calc.square.request.LANE (a prefix: tagged topics such as
calc.square.request.1#tag match too), squares int(value) and publishes it on
the plain calc.square.result.LANE. Faithful to the original flaw: a value that
int() refuses ("1.5", "abc") raises and the server dies.
"""

from hypobus.examples._original import run

if __name__ == "__main__":
    run("orig_op")
