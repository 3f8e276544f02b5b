#!/usr/bin/env python3
"""req/rep n:1 (course pattern 1): two clients, one server; every client
gets the answers to its own requests.

usage: python -m hypobus.examples.reqrep_nto1 server ENDPOINT
       python -m hypobus.examples.reqrep_nto1 client NAME N ENDPOINT
       python -m hypobus.examples.reqrep_nto1          (a server and two clients on a free port)
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
        name, i = rep.recv_multipart()
        rep.send_multipart([name, i, b"answer for " + name + b" #" + i])
        served += 1
    rep.close()


def client(name, n, endpoint, out=None):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.connect(endpoint)
    for i in range(n):
        req.send_multipart([name.encode(), str(i).encode()])
        who, j, text = req.recv_multipart()
        assert who.decode() == name and int(j) == i, (who, j)
        print(f"{name}: {text.decode()}", flush=True)
        if out is not None:
            out.append((name, i))
    req.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "server":
        server(args[1])
    elif args and args[0] == "client":
        client(args[1], int(args[2]), args[3])
    elif not args:
        eps = []
        ev = threading.Event()
        srv = threading.Thread(target=server, args=("tcp://127.0.0.1:*", 6, lambda ep: (eps.append(ep), ev.set())))
        srv.start()
        ev.wait(5)
        got = []
        cs = [threading.Thread(target=client, args=(name, 3, eps[0], got)) for name in ("alice", "bob")]
        for t in cs:
            t.start()
        for t in cs + [srv]:
            t.join(10)
        assert sorted(got) == [("alice", 0), ("alice", 1), ("alice", 2), ("bob", 0), ("bob", 1), ("bob", 2)], got
        print("req/rep n:1 ok")
    else:
        sys.exit(__doc__)
