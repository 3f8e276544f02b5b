#!/usr/bin/env python3
"""router/router load-balancing broker (course pattern 6). Workers are REQ
sockets that announce themselves with an empty first message; the broker
keeps a queue of ready workers and reads client requests only while a
worker is free. Frames: from a client [client, "", request]; to a worker
[worker, "", client, "", request]; from a worker [worker, "", client, "",
reply]; to the client [client, "", reply].

usage: python -m hypobus.examples.lbbroker       (broker, 2 workers, 3 clients on free ports)
"""

import sys
import threading

import hypobus.zmq as zmq

CLIENTS, PER_CLIENT, WORKERS = 3, 3, 2


def worker(name, back_ep):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.identity = name.encode()
    req.connect(back_ep)
    req.send(b"")  # ready
    while True:
        client, empty, request = req.recv_multipart()
        if request == b"END":
            break
        req.send_multipart([client, b"", request + b" by " + name.encode()])
    req.close()


def client(name, front_ep, out):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.identity = name.encode()
    req.connect(front_ep)
    for i in range(PER_CLIENT):
        req.send_string(f"{name}-{i}")
        reply = req.recv_string()
        print(reply, flush=True)
        assert reply.startswith(f"{name}-{i} by W"), reply
        out.append(reply)
    req.close()


def main():
    ctx = zmq.Context.instance()
    frontend = ctx.socket(zmq.ROUTER)
    backend = ctx.socket(zmq.ROUTER)
    frontend.bind("tcp://127.0.0.1:*")
    backend.bind("tcp://127.0.0.1:*")
    front_ep, back_ep = frontend.last_endpoint.decode(), backend.last_endpoint.decode()
    ws = [threading.Thread(target=worker, args=(f"W{i}", back_ep)) for i in range(WORKERS)]
    got = []
    cs = [threading.Thread(target=client, args=(f"C{i}", front_ep, got)) for i in range(CLIENTS)]
    for t in ws + cs:
        t.start()

    ready = []  # workers waiting for work
    poller_workers = zmq.Poller()
    poller_workers.register(backend, zmq.POLLIN)
    poller_both = zmq.Poller()
    poller_both.register(backend, zmq.POLLIN)
    poller_both.register(frontend, zmq.POLLIN)
    answered = 0
    while answered < CLIENTS * PER_CLIENT:
        socks = dict((poller_both if ready else poller_workers).poll(10000))
        if not socks:
            raise SystemExit("lbbroker: nothing happened for 10 s")
        if socks.get(backend) == zmq.POLLIN:
            worker_id, empty, client_id, *rest = backend.recv_multipart()
            ready.append(worker_id)
            if client_id:  # not just "ready": a reply
                empty2, reply = rest
                frontend.send_multipart([client_id, b"", reply])
                answered += 1
        if ready and socks.get(frontend) == zmq.POLLIN:
            client_id, empty, request = frontend.recv_multipart()
            backend.send_multipart([ready.pop(0), b"", client_id, b"", request])
    for t in cs:
        t.join(10)
    for _ in range(WORKERS):
        if not ready:
            worker_id, *_rest = backend.recv_multipart()
            ready.append(worker_id)
        backend.send_multipart([ready.pop(0), b"", b"", b"", b"END"])
    for t in ws:
        t.join(10)
    frontend.close()
    backend.close()
    assert len(got) == CLIENTS * PER_CLIENT, got
    print("load-balancing broker ok")


if __name__ == "__main__":
    if sys.argv[1:]:
        sys.exit(__doc__)
    main()
