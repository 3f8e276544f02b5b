#!/usr/bin/env python3
"""The course's request/reply brokers expressed with the library, with
course-style REQ clients and workers (hypobus.zmq, pyzmq's API) and the
task classes, all on free loopback ports in this process:

1. router/dealer (course pattern 5): REQ clients -> ROUTER, DEALER -> REP
   workers; the broker is zmq.proxy (round robin, asynchronous). The task
   broker has no DEALER backend, so this one is the proxy.
2. router/router load balancing (pattern 6): hypobus.TaskBroker(policy="lru").
   Workers are REQ sockets that announce themselves with an empty request
   and answer [client, "", reply], clients plain REQ sockets: the course's
   frames, byte for byte.
3. fault tolerant (patterns 7 and 10): the same broker with a 300 ms answer
   time-out and heartbeats; a lazy-pirate hypobus.TaskClient (resends with
   the same id, on a fresh socket when the broker was silent, gives up after
   its tries) and a heartbeating hypobus.TaskWorker. One worker takes a
   request and never answers: another answers it, and the stuck one's late
   answer is dropped. Then the broker itself restarts: the worker registers
   again by itself and the client's request sent meanwhile is answered.

usage: python -m hypobus.examples.task_course_brokers
Prints what each stage did and "course brokers ok".
"""

import socket
import threading
import time

import hypobus
import hypobus.zmq as zmq

CLIENTS, PER_CLIENT = 3, 5


def course_req_worker(name, back_ep, out):
    """The course's router/router worker: REQ, empty registration, [client, '', reply]."""
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.identity = name.encode()
    req.linger = 0
    req.connect(back_ep)
    req.send_multipart([b"", b"", b""])  # the course: req.send(['', '', ''])
    req.rcvtimeo = 1500
    while True:
        try:
            client, empty, request = req.recv_multipart()
        except zmq.Again:
            break  # no more work
        req.send_multipart([client, b"", request + b" by " + name.encode()])
        out.append(name)
    req.close()


def course_rep_worker(name, back_ep, out, stop):
    ctx = zmq.Context.instance()
    rep = ctx.socket(zmq.REP)
    rep.linger = 0
    rep.connect(back_ep)
    rep.rcvtimeo = 100
    while not stop.is_set():
        try:
            request = rep.recv()
        except zmq.Again:
            continue
        rep.send(request + b" by " + name.encode())
        out.append(name)
    rep.close()


def course_req_client(name, front_ep, got):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = 5000
    req.connect(front_ep)
    for i in range(PER_CLIENT):
        text = f"{name}-{i}".encode()
        req.send(text)
        reply = req.recv()
        assert reply.startswith(text + b" by "), (text, reply)
        got.append(reply)
    req.close()


def run_clients(front_ep):
    got = []
    cs = [threading.Thread(target=course_req_client, args=(f"C{i}", front_ep, got)) for i in range(CLIENTS)]
    for t in cs:
        t.start()
    for t in cs:
        t.join(30)
    assert len(got) == CLIENTS * PER_CLIENT, got
    return got


def router_dealer():
    ctx = zmq.Context()
    frontend, backend = ctx.socket(zmq.ROUTER), ctx.socket(zmq.DEALER)
    frontend.bind("tcp://127.0.0.1:*")
    backend.bind("tcp://127.0.0.1:*")
    front_ep, back_ep = frontend.last_endpoint.decode(), backend.last_endpoint.decode()
    proxy = threading.Thread(target=lambda: _proxy(frontend, backend))
    proxy.start()
    served, stop = [], threading.Event()
    ws = [threading.Thread(target=course_rep_worker, args=(f"REP{i}", back_ep, served, stop)) for i in (1, 2)]
    for t in ws:
        t.start()
    run_clients(front_ep)
    stop.set()
    for t in ws:
        t.join(5)
    ctx.term()  # ends zmq.proxy
    proxy.join(5)
    print(
        f"1. router/dealer (zmq.proxy): {len(served)} requests, REP1 {served.count('REP1')}, "
        f"REP2 {served.count('REP2')}",
        flush=True,
    )


def _proxy(frontend, backend):
    try:
        zmq.proxy(frontend, backend)
    except zmq.ContextTerminated:
        pass
    frontend.close()
    backend.close()


def router_router():
    with hypobus.TaskBroker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", policy="lru") as broker:
        served = []
        ws = [
            threading.Thread(target=course_req_worker, args=(f"W{i}", broker.workers_connect_to, served))
            for i in (1, 2)
        ]
        for t in ws:
            t.start()
        run_clients(broker.clients_connect_to)
        for t in ws:
            t.join(10)
        s = broker.stats()
        assert s.replies == CLIENTS * PER_CLIENT and s.registered == 2, s
        print(
            f"2. router/router (TaskBroker lru, the course's frames): {s.replies} requests, "
            f"W1 {served.count('W1')}, W2 {served.count('W2')}",
            flush=True,
        )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fault_tolerant():
    fe, be = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    settings = dict(answer_timeout_ms=300, hb_interval_ms=200)
    broker = hypobus.TaskBroker(fe, be, **settings)
    # The stuck worker registers first, so the first request goes to it; it takes it and never answers.
    stuck = hypobus.TaskWorker(be, name="STUCK", hb_interval_ms=200)
    while broker.stats().workers < 1:
        time.sleep(0.01)
    client = hypobus.TaskClient(fe, timeout=0.5, tries=10)  # lazy pirate
    first = client.submit(b"first")
    job = stuck.recv(timeout=5)  # taken, never answered (for now)
    good = hypobus.TaskWorker(be, handler=lambda j: b"GOOD:" + j.body, name="GOOD", hb_interval_ms=200)
    answers = [client.request(f"r{i}".encode(), timeout=10) for i in range(CLIENTS * PER_CLIENT)]
    r = client.next_result(timeout=5)
    assert r.id == first and r.body == b"GOOD:first", r
    job.reply(b"STUCK:first (late)")  # too late: the broker drops it
    while broker.stats().late < 1:
        time.sleep(0.01)
    s = broker.stats()
    assert all(a.startswith(b"GOOD:") for a in answers) and s.timeouts >= 1 and s.late == 1, (answers, s)
    print(
        f"3. fault tolerant (answer time-out 300 ms): {len(answers) + 1} requests answered by GOOD, "
        f"{s.timeouts} re-dispatched after a time-out, the late answer dropped ({s.late})",
        flush=True,
    )
    stuck.close()

    # The broker restarts; the heartbeating worker registers again, the lazy-pirate client resends.
    broker.close()
    pending = client.submit(b"during the restart")
    time.sleep(0.3)
    broker = hypobus.TaskBroker(fe, be, **settings)
    r = client.next_result(timeout=10)
    assert r.id == pending and r.body == b"GOOD:during the restart", r
    w, c = good.stats(), client.stats()
    print(
        f"   broker restarted: the worker registered again ({w.reconnects} reconnection), the client resent "
        f"({c.resent} resends, {c.reconnects} fresh sockets) and got its answer",
        flush=True,
    )
    client.close()
    good.close()
    broker.close()


def main():
    router_dealer()
    router_router()
    fault_tolerant()
    print("course brokers ok", flush=True)


if __name__ == "__main__":
    main()
