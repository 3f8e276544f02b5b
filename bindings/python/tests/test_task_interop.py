"""The task broker and real pyzmq in both directions, with the course's
frames (SPEC section 3, items 6-7): course-style pyzmq REQ workers and REQ
clients (tests/classic/course_rr_*.py, unchanged) against the binding's
TaskBroker(policy="lru"), mixed with the binding's TaskWorker and
TaskClient; and the course's router/router broker written with pyzmq
serving the binding's course-style REQ workers and clients (hypobus.zmq).
TaskWorker and TaskClient themselves speak our protocol (ids, services,
heartbeats): they need a task broker, not the course's script."""

import signal
import time

import pytest
from conftest import free_ports

import hypobus
import hypobus.zmq as hzmq

ANY = "tcp://127.0.0.1:*"


def wait_for(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout} s")
        time.sleep(0.005)


def replies(client):
    return [l.split(" ", 1)[1] for l in client.lines if l.startswith("reply ")]


def test_pyzmq_course_workers_and_clients_on_the_binding_broker(procs):
    with hypobus.TaskBroker(ANY, ANY, policy="lru") as b:
        for name in ("W1", "W2"):
            procs.classic(name, "course_rr_worker.py", b.workers_connect_to, name).wait_line("^ready")
        wait_for(lambda: b.stats().workers == 2, what="2 course workers registered")
        clients = [procs.classic(f"c{i}", "course_rr_client.py", b.clients_connect_to, f"c{i}", 30) for i in range(3)]
        who = set()
        for i, c in enumerate(clients):
            assert c.wait_exit(20) == 0, c.report()
            got = replies(c)
            assert len(got) == 30
            for n, r in enumerate(got):
                w, body = r.split(":", 1)
                assert w in ("W1", "W2") and body == f"c{i}-{n}", r
                who.add(w)
        assert who == {"W1", "W2"}
        s = b.stats()
        assert s.replies == 90 and s.timeouts == 0 and s.late == 0 and s.malformed == 0


def test_pyzmq_course_worker_answers_the_binding_client(procs):
    with hypobus.TaskBroker(ANY, ANY) as b, hypobus.TaskClient(b) as c:
        procs.classic("W1", "course_rr_worker.py", b.workers_connect_to, "W1").wait_line("^ready")
        wait_for(lambda: b.stats().workers == 1)
        assert c.request(b"one", timeout=10) == b"W1:one"
        ids = {c.submit(f"m{i}"): f"m{i}" for i in range(50)}
        for r in c.results(timeout=20):
            assert r.unwrap() == b"W1:" + ids.pop(r.id).encode()
        assert not ids


def test_binding_worker_answers_pyzmq_course_clients(procs):
    with hypobus.TaskBroker(ANY, ANY) as b, hypobus.TaskWorker(
        b, handler=lambda job: b"ours:" + job.body, threads=2
    ) as w:
        procs.classic("W1", "course_rr_worker.py", b.workers_connect_to, "W1").wait_line("^ready")
        wait_for(lambda: b.stats().workers == 2)
        cs = [procs.classic(f"c{i}", "course_rr_client.py", b.clients_connect_to, f"x{i}", 20) for i in range(2)]
        who = set()
        for i, c in enumerate(cs):
            assert c.wait_exit(20) == 0, c.report()
            got = replies(c)
            assert [r.split(":", 1)[1] for r in got] == [f"x{i}-{n}" for n in range(20)]
            who |= {r.split(":")[0] for r in got}
        assert who == {"W1", "ours"} and w.stats().jobs > 0


def test_a_stuck_pyzmq_worker_is_routed_around(procs):
    with hypobus.TaskBroker(ANY, ANY, answer_timeout_ms=500) as b:
        stuck = procs.classic("stuck", "course_rr_worker.py", b.workers_connect_to, "STUCK", "0", "0")
        stuck.wait_line("^ready")
        wait_for(lambda: b.stats().workers == 1)
        c = procs.classic("c", "course_rr_client.py", b.clients_connect_to, "q", 1)
        stuck.wait_line("^hanging on q-0")
        with hypobus.TaskWorker(b, handler=lambda job: b"GOOD:" + job.body):
            assert c.wait_exit(10) == 0, c.report()
            assert replies(c) == ["GOOD:q-0"]
            wait_for(lambda: b.stats().timeouts == 1, what="the answer time-out counted")


def test_a_pyzmq_worker_killed_mid_request(procs):
    with hypobus.TaskBroker(ANY, ANY, answer_timeout_ms=700) as b, hypobus.TaskClient(b) as tc:
        slow = procs.classic("slow", "course_rr_worker.py", b.workers_connect_to, "SLOW", "30")
        slow.wait_line("^ready")
        wait_for(lambda: b.stats().workers == 1)
        rid = tc.submit(b"k-0")
        wait_for(lambda: b.stats().dispatched == 1, what="the dispatch to the slow worker")
        with hypobus.TaskWorker(b, handler=lambda job: b"FAST:" + job.body):
            slow.stop(signal.SIGKILL)
            r = tc.next_result(timeout=10)
            assert r.id == rid and r.body == b"FAST:k-0"
            with pytest.raises(hypobus.Timeout):
                tc.next_result(timeout=0.3)


def test_pyzmq_course_broker_serves_the_bindings_course_style_peers(procs):
    fe, be = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
    broker = procs.python("pyzmq-lbbroker", __file__.replace("test_task_interop.py", "pyzmq_lbbroker.py"), fe, be)
    line = broker.wait_line("^ready", 10)
    assert "hypobus" not in line and "site-packages/zmq" in line  # real pyzmq
    ctx = hzmq.Context()
    try:
        workers = []
        for name in (b"HW1", b"HW2"):
            w = ctx.socket(hzmq.REQ)
            w.identity = name
            w.linger = 0
            w.rcvtimeo = 5000
            w.connect(be)
            w.send(b"")  # ready (the course's lbbroker: any first message)
            workers.append(w)
        clients = []
        for _ in range(3):
            c = ctx.socket(hzmq.REQ)
            c.linger = 0
            c.rcvtimeo = 5000
            c.connect(fe)
            clients.append(c)
        served = {b"HW1": 0, b"HW2": 0}
        for rnd in range(10):
            for i, c in enumerate(clients):
                c.send(b"r%d-%d" % (rnd, i))
            # the broker hands the requests to the ready workers in turn
            pending = len(clients)
            while pending:
                poller = hzmq.Poller()
                for w in workers:
                    poller.register(w, hzmq.POLLIN)
                ready = dict(poller.poll(5000))
                assert ready, "no request reached a worker"
                for w in workers:
                    if ready.get(w):
                        client, empty, request = w.recv_multipart()
                        w.send_multipart([client, b"", request + b" by " + w.identity])
                        served[w.identity] += 1
                        pending -= 1
            for i, c in enumerate(clients):
                assert c.recv() in (b"r%d-%d by HW1" % (rnd, i), b"r%d-%d by HW2" % (rnd, i))
        assert served[b"HW1"] > 0 and served[b"HW2"] > 0 and sum(served.values()) == 30
        for s in workers + clients:
            s.close()
    finally:
        ctx.destroy(linger=0)
