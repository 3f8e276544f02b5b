#!/usr/bin/env python3
"""req/rep 1:n (course pattern 1): one REQ socket connected to two REP
servers; requests go round robin, each server answers with its name.

usage: python -m hypobus.examples.reqrep_1ton server NAME ENDPOINT
       python -m hypobus.examples.reqrep_1ton client N ENDPOINT1 ENDPOINT2 ...
       python -m hypobus.examples.reqrep_1ton          (two servers and a client on free ports)
"""

import sys
import threading

import hypobus.zmq as zmq


def server(name, endpoint, n=None, ready=None):
    ctx = zmq.Context.instance()
    rep = ctx.socket(zmq.REP)
    rep.bind(endpoint)
    if ready:
        ready(rep.last_endpoint.decode())
    served = 0
    while n is None or served < n:
        req = rep.recv_string()
        rep.send_string(f"{req} served by {name}")
        served += 1
    rep.close()


def client(n, endpoints):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    for ep in endpoints:
        req.connect(ep)
    who = []
    for i in range(n):
        req.send_string(f"request {i}")
        reply = req.recv_string()
        print(reply, flush=True)
        who.append(reply.rsplit(" ", 1)[-1])
    req.close()
    return who


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "server":
        server(args[1], args[2])
    elif args and args[0] == "client":
        client(int(args[1]), args[2:])
    elif not args:
        eps, threads = [], []
        for name in ("A", "B"):
            ev = threading.Event()
            t = threading.Thread(
                target=server, args=(name, "tcp://127.0.0.1:*", 3, lambda ep, ev=ev: (eps.append(ep), ev.set()))
            )
            t.start()
            ev.wait(5)
            threads.append(t)
        who = client(6, eps)
        for t in threads:
            t.join(5)
        assert sorted(who) == ["A", "A", "A", "B", "B", "B"], who
        print("req/rep 1:n ok: round robin", who)
    else:
        sys.exit(__doc__)
