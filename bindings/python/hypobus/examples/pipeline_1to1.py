#!/usr/bin/env python3
"""push/pull pipeline 1:1 (course pattern 2): a producer PUSHes
multi-frame messages, a consumer PULLs them whole.

usage: python -m hypobus.examples.pipeline_1to1 consumer ENDPOINT N   (binds)
       python -m hypobus.examples.pipeline_1to1 producer ENDPOINT N   (connects)
       python -m hypobus.examples.pipeline_1to1                       (both, on a free port)
"""

import sys
import threading

import hypobus.zmq as zmq


def consumer(endpoint, n, ready=None):
    ctx = zmq.Context.instance()
    pull = ctx.socket(zmq.PULL)
    pull.bind(endpoint)
    if ready:
        ready(pull.last_endpoint.decode())
    for i in range(n):
        frames = pull.recv_multipart()
        print("consumer got", [f.decode() for f in frames], flush=True)
        assert frames == [b"task", str(i).encode(), b"payload"], frames
    pull.close()


def producer(endpoint, n):
    ctx = zmq.Context.instance()
    push = ctx.socket(zmq.PUSH)
    push.connect(endpoint)
    for i in range(n):
        push.send(b"task", zmq.SNDMORE)  # frame by frame, as the course shows it
        push.send_string(str(i), zmq.SNDMORE)
        push.send(b"payload")
    push.close(linger=5000)


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 3 and args[0] in ("consumer", "producer"):
        (consumer if args[0] == "consumer" else producer)(args[1], int(args[2]))
    elif not args:
        eps = []
        ev = threading.Event()
        t = threading.Thread(target=consumer, args=("tcp://127.0.0.1:*", 5, lambda ep: (eps.append(ep), ev.set())))
        t.start()
        ev.wait(5)
        producer(eps[0], 5)
        t.join(10)
        print("pipeline 1:1 ok")
    else:
        sys.exit(__doc__)
