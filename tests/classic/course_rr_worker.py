"""A worker of the course's router/router load-balancing broker, as the
course writes it (pyzmq): a REQ socket with an identity, announces itself
with an empty request, then answers each [client, '', request] with
[client, '', reply].

    python3 course_rr_worker.py BACKEND_EP NAME [DELAY_S] [HANG_AFTER]

Replies `NAME:<request>` after DELAY_S seconds; with HANG_AFTER = n, the
(n+1)th request is never answered (a stuck worker)."""

import sys
import time

import zmq

backend, name = sys.argv[1], sys.argv[2]
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
hang_after = int(sys.argv[4]) if len(sys.argv) > 4 else -1

ctx = zmq.Context()
req = ctx.socket(zmq.REQ)
req.setsockopt(zmq.IDENTITY, name.encode())
req.connect(backend)
req.send_multipart([b"", b"", b""])  # the course: req.send(['','',''])
print("ready", flush=True)
n = 0
while True:
    client, sep, msg = req.recv_multipart()
    if n == hang_after:
        print("hanging on", msg.decode(), flush=True)
        time.sleep(3600)
    n += 1
    if delay:
        time.sleep(delay)
    req.send_multipart([client, b"", name.encode() + b":" + msg])
    print("answered", msg.decode(), flush=True)
