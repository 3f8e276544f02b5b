"""A client of the course's router/router broker (pyzmq): a REQ socket that
sends each request and waits for its reply, printing `reply <text>`. With
a time-out it behaves as the course's lazy pirate client: after TIMEOUT_S
without a reply it closes the socket, opens a new one and sends again, and
gives up after 3 tries.

    python3 course_rr_client.py FRONTEND_EP PREFIX COUNT [TIMEOUT_S]"""

import sys

import zmq

frontend, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
ctx = zmq.Context()


def connect():
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(frontend)
    return s


req = connect()
for i in range(count):
    msg = f"{prefix}-{i}".encode()
    for _attempt in range(3):
        req.send(msg)
        if not timeout or req.poll(int(timeout * 1000)):
            reply = req.recv()
            print("reply", reply.decode(), flush=True)
            break
        print("no reply, retrying", flush=True)
        req.close()
        req = connect()
    else:
        print("giving up", flush=True)
        sys.exit(1)
print("done", flush=True)
