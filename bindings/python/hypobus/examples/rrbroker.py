#!/usr/bin/env python3
"""router/dealer broker (course pattern 5): clients' REQ sockets connect
to a ROUTER frontend, REP workers to a DEALER backend, and zmq.proxy
passes requests and replies between them (round robin, asynchronous).

usage: python -m hypobus.examples.rrbroker broker FRONT_ENDPOINT BACK_ENDPOINT
       python -m hypobus.examples.rrbroker worker NAME BACK_ENDPOINT
       python -m hypobus.examples.rrbroker client NAME N FRONT_ENDPOINT
       python -m hypobus.examples.rrbroker       (broker, 2 workers, 3 clients on free ports)
"""

import sys
import threading

import hypobus.zmq as zmq


def broker(front_ep, back_ep, ctx=None, ready=None):
    ctx = ctx or zmq.Context.instance()
    frontend = ctx.socket(zmq.ROUTER)
    backend = ctx.socket(zmq.DEALER)
    frontend.bind(front_ep)
    backend.bind(back_ep)
    if ready:
        ready(frontend.last_endpoint.decode(), backend.last_endpoint.decode())
    try:
        zmq.proxy(frontend, backend)  # until the context is terminated
    except zmq.ContextTerminated:
        pass
    finally:
        frontend.close()  # term() waits for the sockets to be closed, as in pyzmq
        backend.close()


def worker(name, back_ep, stop=None):
    ctx = zmq.Context.instance()
    rep = ctx.socket(zmq.REP)
    rep.connect(back_ep)
    rep.rcvtimeo = 100
    while not (stop and stop.is_set()):
        try:
            req = rep.recv_string()
        except zmq.Again:
            continue
        rep.send_string(f"{req} done by {name}")
    rep.close()


def client(name, n, front_ep, out=None):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.connect(front_ep)
    for i in range(n):
        req.send_string(f"{name}-{i}")
        reply = req.recv_string()
        print(reply, flush=True)
        assert reply.startswith(f"{name}-{i} done by "), reply
        if out is not None:
            out.append(reply.rsplit(" ", 1)[-1])
    req.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "broker":
        broker(args[1], args[2])
    elif args and args[0] == "worker":
        worker(args[1], args[2])
    elif args and args[0] == "client":
        client(args[1], int(args[2]), args[3])
    elif not args:
        bctx = zmq.Context()
        eps = []
        ev, stop = threading.Event(), threading.Event()
        b = threading.Thread(
            target=broker,
            args=("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", bctx, lambda f, k: (eps.extend([f, k]), ev.set())),
        )
        b.start()
        ev.wait(5)
        ws = [threading.Thread(target=worker, args=(f"W{i}", eps[1], stop)) for i in range(2)]
        got = []
        cs = [threading.Thread(target=client, args=(f"C{i}", 4, eps[0], got)) for i in range(3)]
        for t in ws + cs:
            t.start()
        for t in cs:
            t.join(20)
        stop.set()
        for t in ws:
            t.join(5)
        bctx.term()  # ends zmq.proxy with ContextTerminated, as in pyzmq
        b.join(5)
        assert len(got) == 12, got
        print("router/dealer broker ok:", {w: got.count(w) for w in sorted(set(got))})
    else:
        sys.exit(__doc__)
