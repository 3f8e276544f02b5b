#!/usr/bin/env python3
"""pub/sub (course pattern 3): a publisher rotates through the topics uno,
dos and tres, one message a second; three subscribers, each on one prefix.

usage: python -m hypobus.examples.pubsub publisher ENDPOINT [INTERVAL_S [COUNT]]
       python -m hypobus.examples.pubsub subscriber TOPIC ENDPOINT [COUNT]
       python -m hypobus.examples.pubsub       (all four, on a free port, 0.05 s apart, until each got 3)
"""

import sys
import threading
import time

import hypobus.zmq as zmq

TOPICS = ["uno", "dos", "tres"]


def publisher(endpoint, interval=1.0, count=None, stop=None, ready=None):
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.bind(endpoint)
    if ready:
        ready(pub.last_endpoint.decode())
    i = 0
    while (count is None or i < count) and not (stop and stop.is_set()):
        topic = TOPICS[i % 3]
        pub.send_multipart([topic.encode(), f"message {i} about {topic}".encode()])
        i += 1
        time.sleep(interval)
    pub.close()


def subscriber(topic, endpoint, count=None, got=None):
    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.connect(endpoint)
    sub.subscribe(topic)
    n = 0
    while count is None or n < count:
        t, text = sub.recv_multipart()
        assert t.decode() == topic, (t, topic)
        print(f"subscriber {topic}: {text.decode()}", flush=True)
        n += 1
        if got is not None:
            got.append(topic)
    sub.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "publisher":
        publisher(args[1], float(args[2]) if len(args) > 2 else 1.0, int(args[3]) if len(args) > 3 else None)
    elif args and args[0] == "subscriber":
        subscriber(args[1], args[2], int(args[3]) if len(args) > 3 else None)
    elif not args:
        eps, got = [], []
        ev, stop = threading.Event(), threading.Event()
        p = threading.Thread(
            target=publisher, args=("tcp://127.0.0.1:*", 0.05, 600, stop, lambda ep: (eps.append(ep), ev.set()))
        )
        p.start()
        ev.wait(5)
        subs = [threading.Thread(target=subscriber, args=(t, eps[0], 3, got)) for t in TOPICS]
        for s in subs:
            s.start()
        for s in subs:
            s.join(20)
        stop.set()
        p.join(5)
        assert sorted(got) == sorted(TOPICS * 3), got
        print("pub/sub ok: each subscriber got only its topic")
    else:
        sys.exit(__doc__)
