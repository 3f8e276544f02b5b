#!/usr/bin/env python3
"""Primary broker of the original hypotenuse lab, as the students wrote it,
running unchanged on libhypobus: the original pyzmq program
(hypobus/examples/original/orig_primary.py, byte for byte) run with `import zmq`
giving hypobus.zmq.

usage: python -m hypobus.examples.broker_primary [XSUB_PORT XPUB_PORT HB_PORT [HOST]]
(defaults 5555 5556 5560 and HOST * for every interface)

Binds an XSUB socket (publishers connect) and an XPUB socket (subscribers
connect) and runs zmq.proxy between them in a thread; a PUB socket sends the
one-frame heartbeat b"HB" every second.
"""

from hypobus.examples._original import run

if __name__ == "__main__":
    run("orig_primary")
