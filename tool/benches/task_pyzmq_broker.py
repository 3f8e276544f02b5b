"""The course's router/router load-balancing broker in pyzmq (the
comparison point of `cargo bench --bench task`): a queue of ready workers,
a queue of pending requests, frames [client, '', request] from clients and
[worker, '', client, '', reply] from workers; a worker's empty request
registers it.

    python3 task_pyzmq_broker.py FRONTEND_PORT BACKEND_PORT

Prints "ready" when bound; runs until killed."""

import sys
from collections import deque

import zmq

ctx = zmq.Context()
front = ctx.socket(zmq.ROUTER)
back = ctx.socket(zmq.ROUTER)
for s in (front, back):
    s.setsockopt(zmq.SNDHWM, 200000)
    s.setsockopt(zmq.RCVHWM, 200000)
front.bind(f"tcp://127.0.0.1:{sys.argv[1]}")
back.bind(f"tcp://127.0.0.1:{sys.argv[2]}")
workers, pending = deque(), deque()
poller = zmq.Poller()
poller.register(front, zmq.POLLIN)
poller.register(back, zmq.POLLIN)
print("ready", flush=True)
while True:
    for sock, _ in poller.poll():
        if sock is back:
            w, _, c, *rest = back.recv_multipart()
            if c:
                front.send_multipart([c, b"", rest[-1]])
            if pending:
                cl, req = pending.popleft()
                back.send_multipart([w, b"", cl, b"", req])
            else:
                workers.append(w)
        else:
            c, _, req = front.recv_multipart()
            if workers:
                back.send_multipart([workers.popleft(), b"", c, b"", req])
            else:
                pending.append((c, req))
