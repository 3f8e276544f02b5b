#!/usr/bin/env python3
"""Primary broker of the original hypotenuse lab, as the students wrote it.

usage: orig_primary.py [XSUB_PORT XPUB_PORT HB_PORT [HOST]]
(defaults 5555 5556 5560 and HOST * for every interface)

Binds an XSUB socket (publishers connect) and an XPUB socket (subscribers
connect) and runs zmq.proxy between them in a thread; a PUB socket sends the
one-frame heartbeat b"HB" every second.
"""
import sys
import threading
import time

import zmq

args = sys.argv[1:]
if len(args) not in (0, 3, 4):
    sys.exit(__doc__)
xsub_port, xpub_port, hb_port = (args[:3] if args else ["5555", "5556", "5560"])
host = args[3] if len(args) == 4 else "*"

ctx = zmq.Context()
xsub = ctx.socket(zmq.XSUB)
xpub = ctx.socket(zmq.XPUB)
hb = ctx.socket(zmq.PUB)
xsub.bind(f"tcp://{host}:{xsub_port}")
xpub.bind(f"tcp://{host}:{xpub_port}")
hb.bind(f"tcp://{host}:{hb_port}")

threading.Thread(target=zmq.proxy, args=(xsub, xpub), daemon=True).start()
print(f"primary broker ready: xsub {xsub_port} xpub {xpub_port} hb {hb_port}", flush=True)

while True:
    hb.send(b"HB")
    time.sleep(1)
