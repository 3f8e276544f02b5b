#!/usr/bin/env python3
"""req/rep 1:1 (course pattern 1): a client says Hello, the server answers World.

usage: python -m hypobus.examples.reqrep_1to1 server ENDPOINT     (binds, e.g. tcp://127.0.0.1:5555)
       python -m hypobus.examples.reqrep_1to1 client ENDPOINT [N]  (connects, N requests, default 5)
       python -m hypobus.examples.reqrep_1to1                      (both, on a free port)
"""

import sys
import threading

import hypobus.zmq as zmq


def server(endpoint, n=None, ready=None):
    ctx = zmq.Context.instance()
    rep = ctx.socket(zmq.REP)
    rep.bind(endpoint)
    if ready:
        ready(rep.last_endpoint.decode())
    served = 0
    while n is None or served < n:
        msg = rep.recv()
        print(f"server got {msg.decode()}", flush=True)
        rep.send(b"World")
        served += 1
    rep.close()


def client(endpoint, n=5):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.connect(endpoint)
    for i in range(n):
        req.send(b"Hello")
        reply = req.recv()
        print(f"client {i}: {reply.decode()}", flush=True)
        assert reply == b"World"
    req.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "server":
        server(args[1])
    elif args and args[0] == "client":
        client(args[1], int(args[2]) if len(args) > 2 else 5)
    elif not args:
        eps = []
        got = threading.Event()
        t = threading.Thread(target=server, args=("tcp://127.0.0.1:*", 5, lambda ep: (eps.append(ep), got.set())))
        t.start()
        got.wait(5)
        client(eps[0], 5)
        t.join(5)
        print("req/rep 1:1 ok")
    else:
        sys.exit(__doc__)
