#!/usr/bin/env python3
"""push/pull pipeline 1:n:1 (course pattern 2): a ventilator PUSHes tasks
to three workers, each worker PUSHes [worker, n] to a sink that collects
them all.

usage: python -m hypobus.examples.pipeline_fan              (everything, on free ports)
       python -m hypobus.examples.pipeline_fan worker NAME VENT_ENDPOINT SINK_ENDPOINT
"""

import collections
import sys
import threading
import time

import hypobus.zmq as zmq

TASKS = 30


def worker(name, vent_ep, sink_ep):
    ctx = zmq.Context.instance()
    pull = ctx.socket(zmq.PULL)
    pull.connect(vent_ep)
    push = ctx.socket(zmq.PUSH)
    push.connect(sink_ep)
    while True:
        n = pull.recv()
        if n == b"END":
            break
        push.send_multipart([name.encode(), n])
    pull.close()
    push.close(linger=5000)


def main():
    ctx = zmq.Context.instance()
    sink = ctx.socket(zmq.PULL)
    sink.bind("tcp://127.0.0.1:*")
    vent = ctx.socket(zmq.PUSH)
    vent.bind("tcp://127.0.0.1:*")
    vent_ep, sink_ep = vent.last_endpoint.decode(), sink.last_endpoint.decode()
    workers = [threading.Thread(target=worker, args=(f"w{i}", vent_ep, sink_ep)) for i in range(3)]
    for w in workers:
        w.start()
    # Slow joiner: give the three workers time to connect before fanning out,
    # else the first one to connect gets most tasks (as in the course).
    time.sleep(0.3)
    for n in range(TASKS):
        vent.send_string(str(n))
    per = collections.Counter()
    got = set()
    sink.rcvtimeo = 10000
    for _ in range(TASKS):
        who, n = sink.recv_multipart()
        per[who.decode()] += 1
        got.add(int(n))
    for _ in workers:
        vent.send(b"END")
    for w in workers:
        w.join(10)
    print("sink collected", len(got), "results:", dict(sorted(per.items())), flush=True)
    assert got == set(range(TASKS)), got
    vent.close()
    sink.close()
    print("pipeline 1:n:1 ok")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "worker":
        worker(args[1], args[2], args[3])
    elif not args:
        main()
    else:
        sys.exit(__doc__)
