#!/usr/bin/env python3
"""Client of the original hypotenuse lab, as the students wrote it,
running unchanged on libhypobus: the original pyzmq program
(hypobus/examples/original/orig_client.py, byte for byte) run with `import zmq`
giving hypobus.zmq.

usage: python -m hypobus.examples.client A B BROKER [BROKER2]
BROKER is HOST:XSUB_PORT:XPUB_PORT (e.g. 127.0.0.1:5555:5556).

Publishes cathetus A on calc.request.1 and B on calc.request.2, waits for one
message on calc.hypotenuse.result and prints its value. Only change from the
original: the wait is bounded (10 s), then it exits with status 1.
"""

from hypobus.examples._original import run

if __name__ == "__main__":
    run("orig_client")
