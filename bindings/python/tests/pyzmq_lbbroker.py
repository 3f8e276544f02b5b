"""The course's router/router load-balancing broker, written with real
pyzmq (not hypobus): a queue of ready workers, requests read only while a
worker is free, frames [client, '', request] and [worker, '', client, '',
reply]. Binds the two endpoints given, prints "ready", runs until killed.

    python pyzmq_lbbroker.py FRONTEND_EP BACKEND_EP"""

import sys

import zmq

ctx = zmq.Context()
frontend, backend = ctx.socket(zmq.ROUTER), ctx.socket(zmq.ROUTER)
frontend.bind(sys.argv[1])
backend.bind(sys.argv[2])
print("ready", zmq.pyzmq_version(), zmq.__file__, flush=True)
workers = []
poll_workers, poll_both = zmq.Poller(), zmq.Poller()
poll_workers.register(backend, zmq.POLLIN)
poll_both.register(backend, zmq.POLLIN)
poll_both.register(frontend, zmq.POLLIN)
while True:
    socks = dict((poll_both if workers else poll_workers).poll())
    if socks.get(backend) == zmq.POLLIN:
        worker, empty, client, *rest = backend.recv_multipart()
        workers.append(worker)
        if client:
            empty2, reply = rest
            frontend.send_multipart([client, b"", reply])
    if workers and socks.get(frontend) == zmq.POLLIN:
        client, empty, request = frontend.recv_multipart()
        backend.send_multipart([workers.pop(0), b"", client, b"", request])
