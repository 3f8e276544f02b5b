#!/usr/bin/env python3
"""chat (course pattern 4): clients PUSH [nick, text] to the server, which
PUBlishes every message to everyone; a client joins with HI and leaves
with BYE, which the server announces as ["server", "HI nick"] / ["server", "BYE nick"].

usage: python -m hypobus.examples.chat server IN_ENDPOINT OUT_ENDPOINT
       python -m hypobus.examples.chat client NICK IN_ENDPOINT OUT_ENDPOINT   (lines from stdin; EOF = BYE)
       python -m hypobus.examples.chat          (a server and two clients talking, on free ports)
"""

import sys
import threading

import hypobus.zmq as zmq


def server(in_ep, out_ep, stop=None, ready=None):
    ctx = zmq.Context.instance()
    pull = ctx.socket(zmq.PULL)
    pull.bind(in_ep)
    pub = ctx.socket(zmq.PUB)
    pub.bind(out_ep)
    if ready:
        ready(pull.last_endpoint.decode(), pub.last_endpoint.decode())
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    while not (stop and stop.is_set()):
        if not poller.poll(100):
            continue
        nick, text = pull.recv_multipart()
        if text in (b"HI", b"BYE"):
            pub.send_multipart([b"server", text + b" " + nick])
        else:
            pub.send_multipart([nick, text])
    pull.close()
    pub.close()


class ChatClient:
    def __init__(self, nick, in_ep, out_ep):
        ctx = zmq.Context.instance()
        self.nick = nick.encode()
        self.push = ctx.socket(zmq.PUSH)
        self.push.connect(in_ep)
        self.sub = ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.sub.connect(out_ep)
        self.sub.rcvtimeo = 100

    def say(self, text):
        self.push.send_multipart([self.nick, text.encode()])

    def join(self):
        # A subscriber that joins late misses what was published before it
        # (slow joiner): say HI until our own announcement comes back.
        while True:
            self.say("HI")
            try:
                if self.wait_for("server", "HI " + self.nick.decode(), 0.1):
                    return
            except TimeoutError:
                continue

    def wait_for(self, author, text, timeout=5.0):
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                who, what = self.sub.recv_multipart()
            except zmq.Again:
                continue
            print(f"[{self.nick.decode()} sees] {who.decode()}: {what.decode()}", flush=True)
            if who.decode() == author and what.decode() == text:
                return True
        raise TimeoutError(f"{self.nick.decode()} never saw [{author}, {text}]")

    def leave(self):
        self.say("BYE")
        self.push.close(linger=2000)
        self.sub.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "server":
        server(args[1], args[2])
    elif args and args[0] == "client":
        c = ChatClient(args[1], args[2], args[3])
        c.join()
        for line in sys.stdin:
            c.say(line.rstrip("\n"))
        c.leave()
    elif not args:
        eps = []
        ev, stop = threading.Event(), threading.Event()
        srv = threading.Thread(
            target=server,
            args=("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", stop, lambda a, b: (eps.extend([a, b]), ev.set())),
        )
        srv.start()
        ev.wait(5)
        ana, ben = ChatClient("ana", *eps), ChatClient("ben", *eps)
        ana.join()
        ben.join()
        ana.wait_for("server", "HI ben")
        ana.say("hola ben")
        ben.wait_for("ana", "hola ben")
        ben.leave()
        ana.wait_for("server", "BYE ben")
        ana.leave()
        stop.set()
        srv.join(5)
        print("chat ok")
    else:
        sys.exit(__doc__)
