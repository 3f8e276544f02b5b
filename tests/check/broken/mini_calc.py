#!/usr/bin/env python3
"""A small calc server written for the checker's tests (pyzmq, tagged and
classic wire, docs/PROTOCOL.md), with one optional deliberate flaw.

usage: mini_calc.py [none|rounding|first-client]
Brokers: $HYPOBUS_BROKERS (HOST:XSUB:XPUB,...).

  rounding      answers with 2 decimals instead of 4
  first-client  while a request is in progress, drops every other one
"""

import math
import os
import sys
import time

import zmq

FLAW = sys.argv[1] if len(sys.argv) > 1 else "none"
brokers = [b.split(":") for b in os.environ["HYPOBUS_BROKERS"].split(",")]

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
sub = ctx.socket(zmq.SUB)
pub.setsockopt(zmq.IMMEDIATE, 1)
for s in (pub, sub):
    s.setsockopt(zmq.LINGER, 0)
for host, xs, xp in brokers:
    pub.connect(f"tcp://{host}:{xs}")
    sub.connect(f"tcp://{host}:{xp}")
for t in (b"calc.request.", b"calc.square.result."):
    sub.setsockopt(zmq.SUBSCRIBE, t)

pending = {}  # tag -> {"a", "b", "sq": {1: x, 2: y}, "deadline", "classic"}
answered = {}  # tag -> answer text
classic_a, classic_b = [], []
n = 0


def number(v):
    x = float(v)
    if not math.isfinite(x) or x < 0 or v.strip() == b"":
        raise ValueError(v)
    return x


def answer(tag, text):
    answered[tag] = text
    req = pending.pop(tag)
    topic = b"calc.hypotenuse.result" if req["classic"] else b"calc.hypotenuse.reply#" + tag
    pub.send_multipart([topic, text.encode()])


def finish(tag):
    req = pending[tag]
    sq1 = req["sq"].get(1, req["a"] ** 2)
    sq2 = req["sq"].get(2, req["b"] ** 2)
    h = math.sqrt(sq1 + sq2)
    answer(tag, f"{h:.2f}" if FLAW == "rounding" else f"{h:.4f}")


def start(tag, a, b, classic):
    if FLAW == "first-client" and pending:
        return
    try:
        x, y = number(a), number(b)
    except ValueError:
        if not classic:
            pub.send_multipart([b"calc.hypotenuse.reply#" + tag, b"ERR not a number"])
        return
    pending[tag] = {"a": x, "b": y, "sq": {}, "deadline": time.monotonic() + 2.0, "classic": classic}
    pub.send_multipart([b"calc.square.request.1#" + tag, a])
    pub.send_multipart([b"calc.square.request.2#" + tag, b])


halves = {}  # tag -> {1: a, 2: b}
print("mini calc ready", flush=True)
while True:
    now = time.monotonic()
    for tag in [t for t, r in pending.items() if r["deadline"] <= now]:
        finish(tag)
    wait = min([r["deadline"] for r in pending.values()], default=now + 1.0) - now
    if not sub.poll(max(1, int(wait * 1000))):
        continue
    frames = sub.recv_multipart()
    if len(frames) != 2:
        continue
    topic, value = frames
    base, _, tag = topic.partition(b"#")
    if base in (b"calc.request.1", b"calc.request.2"):
        lane = int(base[-1:])
        if not tag:
            (classic_a if lane == 1 else classic_b).append(value)
            if classic_a and classic_b:
                n += 1
                start(b"c.mini.%d" % n, classic_a.pop(0), classic_b.pop(0), True)
            continue
        if tag in answered:
            pub.send_multipart([b"calc.hypotenuse.reply#" + tag, answered[tag].encode()])
            continue
        if tag in pending:
            continue
        h = halves.setdefault(tag, {})
        h[lane] = value
        if 1 in h and 2 in h:
            del halves[tag]
            start(tag, h[1], h[2], False)
    elif base in (b"calc.square.result.1", b"calc.square.result.2") and tag in pending:
        lane = int(base[-1:])
        req = pending[tag]
        if lane in req["sq"]:
            continue  # a duplicate square
        try:
            req["sq"][lane] = number(value)
        except ValueError:
            continue
        if len(req["sq"]) == 2:
            finish(tag)
