#!/usr/bin/env python3
"""Backup broker of the original hypotenuse lab, as the students wrote it,
running unchanged on libhypobus: the original pyzmq program
(hypobus/examples/original/orig_backup.py, byte for byte) run with `import zmq`
giving hypobus.zmq.

usage: python -m hypobus.examples.broker_backup PRIMARY_HB_ENDPOINT XSUB_PORT XPUB_PORT [HOST]

Subscribes to everything on the primary's heartbeat socket. If 3 s pass
without a message it assumes the primary is dead, binds its own XSUB/XPUB
ports and runs the proxy itself (and never hands back).
"""

from hypobus.examples._original import run

if __name__ == "__main__":
    run("orig_backup")
