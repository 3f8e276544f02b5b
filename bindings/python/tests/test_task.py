"""Task brokers from Python (hypobus.TaskBroker, TaskWorker, TaskClient over
hb_task_*): real sockets on 127.0.0.1, free ports, bounded waits, child
processes ended by PID (the procs fixture)."""

import asyncio
import collections
import select
import signal
import threading
import time

import pytest
from conftest import free_ports

import hypobus
import hypobus.asyncio

ANY = "tcp://127.0.0.1:*"


def wait_for(cond, timeout=10.0, what="condition"):
    """Wait (bounded) until cond() is true; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout} s")
        time.sleep(0.005)


def tagger(tag):
    return lambda job: tag.encode() + b":" + job.body


@pytest.fixture
def broker():
    with hypobus.TaskBroker(ANY, ANY) as b:
        yield b


# ------------------------------------------------------------ basics


def test_request_reply_and_the_bound_endpoints(broker):
    assert broker.frontend_endpoint.startswith("tcp://127.0.0.1:") and not broker.frontend_endpoint.endswith("*")
    assert (
        broker.backend_endpoint.startswith("tcp://127.0.0.1:") and broker.backend_endpoint != broker.frontend_endpoint
    )
    assert broker.state_endpoint is None and broker.journal == "memory" and broker.policy == "lru"
    with hypobus.TaskWorker(broker, handler=lambda job: job.body.upper(), threads=3) as w, hypobus.TaskClient(
        broker
    ) as c:
        assert c.request(b"hello", timeout=10) == b"HELLO"
        assert c.request("text is UTF-8 \u00e9", timeout=10) == "TEXT IS UTF-8 \u00e9".encode()
        assert c.request(bytearray(b"\x00binary\x00"), timeout=10) == b"\x00BINARY\x00"
        assert c.request(b"", timeout=10) == b""
        s = broker.stats()
        assert isinstance(s, hypobus.TaskBrokerStats) and s.requests == 4 and s.replies == 4 and s.workers == 1
        ws = w.stats()
        assert isinstance(ws, hypobus.TaskWorkerStats) and ws.jobs == 4 and ws.replies == 4 and ws.calls == 4
        cs = c.stats()
        assert isinstance(cs, hypobus.TaskClientStats) and cs.submitted == 4 and cs.completed == 4
        assert c.in_flight == 0
        assert "TaskBroker lru" in repr(broker) and "handler threads 3" in repr(w)


def test_pull_worker_jobs_replies_errors(broker):
    with hypobus.TaskWorker(broker.workers_connect_to, threads=2) as w, hypobus.TaskClient(broker) as c:
        rid = c.submit(b"pull me")
        job = w.recv(timeout=10)
        assert isinstance(job, hypobus.TaskJob)
        assert job.id == rid and job.service == "" and job.body == b"pull me" and not job.answered
        assert w.stats().held == 1
        job.reply(b"pulled")
        assert job.answered
        with pytest.raises(hypobus.InvalidArgument):
            job.reply(b"again")
        r = c.next_result(timeout=10)
        assert r == hypobus.TaskResult(rid, "ok", b"pulled", None) and r.ok and r.unwrap() == b"pulled"
        # an error answer
        rid = c.submit(b"refuse me")
        job = w.recv(timeout=10)
        job.error("not today")
        r = c.next_result(timeout=10)
        assert r.id == rid and r.status == "failed" and r.error == "not today" and not r.ok
        with pytest.raises(hypobus.TaskFailed) as e:
            r.unwrap()
        assert e.value.task_id == rid and isinstance(e.value, hypobus.Remote)
        # request() raises it
        t = threading.Thread(target=lambda: w.recv(timeout=10).error("no way"))
        t.start()
        with pytest.raises(hypobus.TaskFailed, match="no way"):
            c.request(b"x", timeout=10)
        t.join(10)
        # nothing waiting: a bounded wait
        t0 = time.monotonic()
        with pytest.raises(hypobus.Timeout):
            w.recv(timeout=0.2)
        assert 0.15 < time.monotonic() - t0 < 2
        with pytest.raises(hypobus.Timeout):
            w.recv(timeout=0)
        assert list(w.jobs(timeout=0.05)) == []


def test_the_worker_fd_turns_readable_when_a_job_waits(broker):
    with hypobus.TaskWorker(broker) as w, hypobus.TaskClient(broker) as c:
        fd = w.fileno()
        assert select.select([fd], [], [], 0.05)[0] == []
        c.submit(b"ping")
        assert select.select([fd], [], [], 10)[0] == [fd]
        w.recv(timeout=1).reply(b"pong")
        assert c.next_result(timeout=10).body == b"pong"
        assert select.select([c.fileno()], [], [], 0)[0] == []


def test_big_bodies_grow_the_buffers_and_nothing_is_lost(broker):
    big = bytes(range(256)) * (3 * 4096 + 7)  # about 3 MiB, past every first buffer
    with hypobus.TaskWorker(broker) as pull, hypobus.TaskClient(broker) as c:
        rid = c.submit(big)
        job = pull.recv(timeout=10)
        assert job.body == big
        job.reply(big[::-1])
        r = c.next_result(timeout=10)
        assert r.id == rid and r.body == big[::-1] and c.stats().completed == 1
    with hypobus.TaskWorker(broker, handler=lambda job: job.body + b"!", threads=2), hypobus.TaskClient(broker) as c:
        assert c.request(big, timeout=20) == big + b"!"
        ids = [c.submit(big[: 100000 * (i + 1)]) for i in range(4)]
        got = {r.id: r.body for r in c.results(timeout=20)}
        assert [len(got[i]) for i in ids] == [100001, 200001, 300001, 400001]


# ------------------------------------------------------------ many clients, many workers


def test_4_clients_x_200_requests_over_4_workers(broker):
    workers = [hypobus.TaskWorker(broker, handler=tagger(f"W{i}"), threads=2) for i in range(4)]
    try:
        wait_for(lambda: broker.stats().workers == 4, what="4 workers registered")
        results, errors = {}, []

        def client(k):
            try:
                with hypobus.TaskClient(broker, name=f"cl{k}") as c:
                    got = []
                    # half one at a time (request), half in flight (submit + results)
                    for i in range(100):
                        body = f"c{k}-{i}".encode()
                        got.append((body, c.request(body, timeout=20)))
                    sent = {c.submit(f"c{k}-{i}"): f"c{k}-{i}".encode() for i in range(100, 200)}
                    seen = collections.Counter()
                    for r in c.results(timeout=20):
                        seen[r.id] += 1
                        got.append((sent[r.id], r.unwrap()))
                    assert set(seen) == set(sent) and max(seen.values()) == 1
                    results[k] = got
            except BaseException as e:  # noqa: B036
                errors.append(e)

        ts = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        assert not errors, errors
        by_worker = collections.Counter()
        for k in range(4):
            got = results[k]
            assert len(got) == 200
            assert sorted(b for b, _ in got) == sorted(f"c{k}-{i}".encode() for i in range(200))
            for body, answer in got:
                who, _, echoed = answer.partition(b":")
                assert echoed == body, (body, answer)  # each answer to its own sender's request
                by_worker[who] += 1
        assert sum(by_worker.values()) == 800 and set(by_worker) == {b"W0", b"W1", b"W2", b"W3"}
        s = broker.stats()
        assert s.requests == 800 and s.replies == 800 and s.dispatched == 800 and s.late == 0 and s.errors == 0
        assert sum(w.stats().jobs for w in workers) == 800  # none ran twice
    finally:
        for w in workers:
            w.close()


# ------------------------------------------------------------ fault tolerance


def test_a_worker_process_sigkilled_mid_request(procs):
    with hypobus.TaskBroker(ANY, ANY, answer_timeout_ms=1500) as b, hypobus.TaskClient(b, timeout=5, tries=3) as c:
        child = procs.example("task_worker", b.workers_connect_to, "--tag", "child", "--threads", "1")
        child.wait_line("^task worker ready", 10)
        wait_for(lambda: b.stats().workers == 1, what="the child worker registered")
        t0 = time.monotonic()
        rid = c.submit(b"sleep:30")
        child.wait_line(rf"^working on {rid}", 10)
        with hypobus.TaskWorker(b, handler=tagger("survivor")) as survivor:
            wait_for(lambda: b.stats().workers == 2, what="the second worker registered")
            child.stop(signal.SIGKILL)
            r = c.next_result(timeout=10)
            took = time.monotonic() - t0
            assert r.id == rid and r.body == b"survivor:sleep:30", r
            assert took < 1.5 + 1.0, f"answered {took:.2f} s after the dispatch (answer time-out 1.5 s)"
            # nothing else comes: one outcome per request
            with pytest.raises(hypobus.Timeout):
                c.next_result(timeout=0.5)
            assert c.request(b"after", timeout=10) == b"survivor:after"
            assert survivor.stats().jobs == 2
        s = b.stats()
        assert s.replies == 2 and s.requests == 2 and c.stats().duplicates == 0


def test_a_slow_workers_late_answer_is_never_delivered_twice():
    with hypobus.TaskBroker(ANY, ANY, answer_timeout_ms=300) as b, hypobus.TaskClient(b) as c:
        slow = hypobus.TaskWorker(b, name="slow")
        try:
            wait_for(lambda: b.stats().workers == 1)
            rid = c.submit(b"work")
            job = slow.recv(timeout=10)  # taken, held past the answer time-out
            with hypobus.TaskWorker(b, handler=tagger("fast")):
                r = c.next_result(timeout=10)
                assert r.id == rid and r.body == b"fast:work"
                job.reply(b"slow:work")  # the late answer
                wait_for(lambda: b.stats().late == 1, what="the late answer counted")
                with pytest.raises(hypobus.Timeout):
                    c.next_result(timeout=0.3)
                s = b.stats()
                assert s.timeouts == 1 and s.replies == 1 and s.dispatched == 2
        finally:
            slow.close()


def test_lazy_pirate_client_gives_up_then_reaches_a_late_broker():
    fe, be = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
    with hypobus.TaskClient(fe, timeout=0.2, tries=2) as c:
        t0 = time.monotonic()
        with pytest.raises(hypobus.TaskGaveUp) as e:
            c.request(b"anyone?")
        assert 0.3 < time.monotonic() - t0 < 3 and "2 tries" in str(e.value)
        assert c.stats().gave_up == 1
    with hypobus.TaskClient(fe, timeout=0.2, tries=50) as c:
        rid = c.submit(b"wait for me")
        wait_for(lambda: c.stats().resent >= 2, what="resends while no broker runs")
        with hypobus.TaskBroker(fe, be, hb_interval_ms=200) as b, hypobus.TaskWorker(b, handler=tagger("late")) as w:
            r = c.next_result(timeout=10)
            assert r.id == rid and r.body == b"late:wait for me"
            assert c.stats().reconnects >= 1 and w.stats().jobs == 1
            # the heartbeating worker registers again after a broker restart (same ports)
            b.close()
            with hypobus.TaskBroker(fe, be, hb_interval_ms=200) as b2:
                wait_for(lambda: b2.stats().workers == 1, what="the worker registered again")
                assert c.request(b"again", timeout=10) == b"late:again"
                assert w.stats().reconnects >= 1


# ------------------------------------------------------------ policies and services


def _spread(policy):
    with hypobus.TaskBroker(ANY, ANY, policy=policy) as b, hypobus.TaskWorker(
        b, handler=tagger("busy"), load=90
    ) as busy, hypobus.TaskWorker(b, handler=tagger("idle"), load=10) as idle, hypobus.TaskClient(b) as c:
        wait_for(lambda: b.stats().workers == 2)
        who = collections.Counter(c.request(b"x", timeout=10).split(b":")[0] for _ in range(100))
        assert busy.stats().load == 90 and idle.stats().load == 10
        return who


def test_load_policy_sends_fewer_requests_to_a_loaded_worker():
    lru = _spread("lru")
    load = _spread("load")
    assert lru[b"busy"] > 30 and lru[b"idle"] > 30, lru  # lru ignores the load
    assert load[b"busy"] <= 10 and load[b"idle"] >= 90, load  # load prefers the least loaded


def test_load_can_change_while_serving():
    with hypobus.TaskBroker(ANY, ANY, policy="load") as b, hypobus.TaskWorker(
        b, handler=tagger("a"), load=5
    ) as a, hypobus.TaskWorker(b, handler=tagger("b"), load=50) as wb, hypobus.TaskClient(b) as c:
        wait_for(lambda: b.stats().workers == 2)
        first = collections.Counter(c.request(b"x", timeout=10)[:1] for _ in range(40))
        a.set_load(95)
        wb.set_load(None)  # automatic: the share of slots in use (0 when idle)
        c.request(b"x", timeout=10)  # the new loads travel with the next answers and heartbeats
        c.request(b"x", timeout=10)
        second = collections.Counter(c.request(b"x", timeout=10)[:1] for _ in range(40))
        assert first[b"a"] >= 36 and second[b"b"] >= 36, (first, second)
        with pytest.raises(hypobus.InvalidArgument):
            a.set_load(-5)
        with pytest.raises(TypeError):
            a.set_load("high")


def test_typed_routing_and_a_service_nobody_serves():
    with hypobus.TaskBroker(ANY, ANY, policy="typed", service_wait_ms=300) as b, hypobus.TaskWorker(
        b, handler=tagger("A1"), services="A"
    ) as _a1, hypobus.TaskWorker(b, handler=tagger("B1"), services=["B"]) as _b1, hypobus.TaskWorker(
        b, handler=tagger("B2"), services=["B", "C.x"], threads=2
    ) as b2, hypobus.TaskWorker(b, handler=tagger("D1")) as _default, hypobus.TaskClient(b) as c:
        assert b2.services == ["B", "C.x"]
        wait_for(lambda: b.stats().workers == 4)
        ids = {c.submit(b"%d" % i, service="B"): "B" for i in range(60)}
        ids.update({c.submit(b"%d" % i, service="A"): "A" for i in range(20)})
        ids.update({c.submit(b"%d" % i): "" for i in range(20)})
        by = collections.defaultdict(collections.Counter)
        for r in c.results(timeout=20):
            by[ids[r.id]][r.unwrap().split(b":")[0]] += 1
        assert set(by["B"]) == {b"B1", b"B2"} and sum(by["B"].values()) == 60
        assert by["A"] == {b"A1": 20} and by[""] == {b"D1": 20}
        assert c.request(b"q", service="C.x", timeout=10) == b"B2:q"
        t0 = time.monotonic()
        with pytest.raises(hypobus.TaskFailed) as e:
            c.request(b"q", service="Z", timeout=10)
        assert 'no worker serves service "Z"' in str(e.value), e.value
        assert 0.25 < time.monotonic() - t0 < 3
        with pytest.raises(hypobus.ConfigError, match="service"):
            c.submit(b"q", service="bad name!")


# ------------------------------------------------------------ handler errors


def test_handler_exceptions_and_bad_return_values_become_error_replies(broker):
    def handler(job):
        if job.body == b"raise":
            raise ValueError("bad input")
        if job.body == b"exit":
            raise SystemExit(3)
        if job.body == b"int":
            return 42
        if job.body == b"none":
            return None
        if job.body == b"dict":
            return {"a": 1}
        if job.body == b"self":
            job.reply(b"answered by myself")
            return b"ignored"
        if job.body == b"str":
            return "a str answer"
        return memoryview(b"ok " + job.body)

    with hypobus.TaskWorker(broker, handler=handler, threads=2) as w, hypobus.TaskClient(broker) as c:
        expect = {
            b"raise": "handler raised ValueError: bad input",
            b"exit": "handler raised SystemExit: 3",
            b"int": "handler returned an int, not bytes or str",
            b"none": "handler returned None, not bytes or str",
            b"dict": "handler returned a dict, not bytes or str",
        }
        for body, msg in expect.items():
            with pytest.raises(hypobus.TaskFailed) as e:
                c.request(body, timeout=10)
            assert str(e.value) == msg
            assert c.request(b"fine", timeout=10) == b"ok fine"  # and it goes on serving
        assert c.request(b"self", timeout=10) == b"answered by myself"
        assert c.request(b"str", timeout=10) == b"a str answer"
        s = w.stats()
        assert s.handler_errors == 5 and s.errors == 5 and s.calls == 12 and s.replies == 12
        with pytest.raises(hypobus.Busy):
            w.recv(timeout=0.1)


# ------------------------------------------------------------ durability


def test_sqlite_journal_broker_sigkilled_and_restarted(procs, tmp_path):
    db = tmp_path / "tasks.db"
    fe, be = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
    argv = ["--frontend", fe, "--backend", be, "--db", str(db), "--stats-every", "0.05"]
    first = procs.example("task_broker", *argv)
    first.wait_line("^task-broker ready: .* journal sqlite:", 10)
    ids = [f"job-{i}" for i in range(20)]
    with hypobus.TaskClient(fe, timeout=0.5, tries=60) as c:
        for i, rid in enumerate(ids):
            c.submit(f"body {i}", id=rid)
        line = first.wait_line(r"^stats .*requests=20 ", 10)
        first.wait_line(r"^stats ", 5, start=first.lines.index(line) + 1)  # one more batch: committed
        first.stop(signal.SIGKILL)
        second = procs.example("task_broker", *argv)
        second.wait_line("^task-broker ready: .* recovered 20$", 10)
        with hypobus.TaskWorker(be, handler=lambda job: b"done " + job.body, threads=4) as w:
            got = collections.Counter()
            bodies = {}
            for r in c.results(timeout=20):
                got[r.id] += 1
                bodies[r.id] = r.unwrap()
            assert set(got) == set(ids) and max(got.values()) == 1
            assert all(bodies[f"job-{i}"] == f"done body {i}".encode() for i in range(20))
            assert w.stats().jobs == 20  # each ran once
            assert c.stats().duplicates == 0
    # a new client fetches a stored result by id; an unknown id is "unknown"
    with hypobus.TaskClient(fe) as other:
        r = other.fetch("job-7", timeout=10)
        assert r.ok and r.body == b"done body 7"
        assert other.fetch("no-such-job", timeout=10).status == "unknown"
        with pytest.raises(hypobus.TaskUnknown):
            other.fetch("no-such-job", timeout=10).unwrap()
        other.fetch("job-8", wait=False)
        assert [x.body for x in other.results(timeout=10)] == [b"done body 8"]
    second.stop(signal.SIGINT)
    assert any(l.startswith("stats ") and "recovered=20" in l for l in second.lines)


def test_journal_argument_forms(tmp_path):
    for j, shown in (
        (None, "memory"),
        ("memory", "memory"),
        (tmp_path / "a.db", f"sqlite:{tmp_path / 'a.db'}"),
        (str(tmp_path / "b.db"), f"sqlite:{tmp_path / 'b.db'}"),
        (f"sqlite:{tmp_path / 'c.db'}", f"sqlite:{tmp_path / 'c.db'}"),
    ):
        with hypobus.TaskBroker(ANY, ANY, journal=j) as b:
            assert b.journal == shown
    assert (tmp_path / "a.db").exists() and (tmp_path / "c.db").exists()
    with pytest.raises(hypobus.InvalidArgument):
        hypobus.TaskBroker(ANY, ANY, journal="")
    with pytest.raises(hypobus.ConfigError):
        hypobus.TaskBroker(ANY, ANY, journal=tmp_path / "no-such-dir" / "x.db")
    # A PostgreSQL URL goes to the library as it is (nothing listens on port 1).
    with pytest.raises(hypobus.ConfigError, match=r"task store postgresql://nobody@127\.0\.0\.1:1/x"):
        hypobus.TaskBroker(ANY, ANY, journal="postgresql://nobody@127.0.0.1:1/x?connect_timeout=2")


# ------------------------------------------------------------ peering


def test_peering_passes_requests_to_a_broker_with_free_workers():
    sa, fa, sb, fb = (f"tcp://127.0.0.1:{p}" for p in free_ports(4))
    with hypobus.TaskBroker(
        fa, ANY, name="A", state=sa, peers=[(sb, fb)], peer_interval_ms=100
    ) as a, hypobus.TaskBroker(
        fb, ANY, name="B", state=sb, peers=f"{sa}|{fa}", peer_interval_ms=100
    ) as b, hypobus.TaskWorker(b, handler=tagger("at-B")), hypobus.TaskClient(a) as c:
        assert a.state_endpoint == sa and b.state_endpoint == sb
        wait_for(lambda: b.stats().workers == 1)
        assert c.request(b"far", timeout=10) == b"at-B:far"
        assert a.stats().forwarded == 1 and b.stats().from_peers == 1


# ------------------------------------------------------------ asyncio


def test_asyncio_task_client(broker):
    async def main():
        async with hypobus.asyncio.TaskClient(broker) as c:
            assert await c.request(b"one") == b"ONE"
            answers = await asyncio.gather(*(c.request(b"n%d" % i) for i in range(300)))
            assert answers == [b"N%d" % i for i in range(300)]
            with pytest.raises(hypobus.TaskFailed, match="handler raised"):
                await c.request(b"boom")
            rid = c.submit(b"later", id="async-1")
            assert (await c.result_of(rid)).body == b"LATER"
            assert (await c.fetch("async-1")).body == b"LATER"
            assert (await c.fetch("nobody")).status == "unknown"
            with pytest.raises(hypobus.Timeout):
                await c.request(b"x", service="nobody-serves", timeout=0.2)
            assert c.stats().completed >= 304

    def handler(job):
        if job.body == b"boom":
            raise RuntimeError("boom")
        return job.body.upper()

    with hypobus.TaskWorker(broker, handler=handler, threads=4):
        asyncio.run(main())


# ------------------------------------------------------------ bad input, closing


def test_bad_arguments_are_clear_exceptions(broker):
    with pytest.raises(hypobus.InvalidArgument, match="policy"):
        hypobus.TaskBroker(ANY, ANY, policy="fifo")
    with pytest.raises(hypobus.ConfigError) as e:
        hypobus.TaskBroker("tcp://256.1.1.1:1", ANY)
    assert e.value.message and "256.1.1.1" in str(e.value)
    with pytest.raises(TypeError):
        hypobus.TaskBroker(ANY, ANY, answer_timeout_ms=1.5)
    with pytest.raises(hypobus.InvalidArgument):
        hypobus.TaskBroker(ANY, ANY, max_attempts=-1)
    with pytest.raises(TypeError):
        hypobus.TaskBroker(ANY, ANY, peers=[42])
    with pytest.raises(hypobus.InvalidArgument):
        hypobus.TaskWorker(broker, threads=0)
    with pytest.raises(TypeError):
        hypobus.TaskWorker(broker, handler=5)
    with pytest.raises(TypeError):
        hypobus.TaskWorker(42)
    with pytest.raises(hypobus.ConfigError):
        hypobus.TaskWorker(broker, services="bad service!")
    with pytest.raises(hypobus.ConfigError):
        hypobus.TaskClient("not an endpoint")
    with pytest.raises(hypobus.InvalidArgument):
        hypobus.TaskClient(broker, timeout=-1)
    with hypobus.TaskClient(broker) as c:
        with pytest.raises(TypeError):
            c.submit(123)
        with pytest.raises(TypeError):
            c.submit(None)
        with pytest.raises(hypobus.ConfigError, match="id"):
            c.submit(b"x", id="has space")
        with pytest.raises(TypeError):
            c.submit(b"x", id=7)
        with pytest.raises(hypobus.InvalidArgument):
            c.request(b"x", timeout=-1)
        with pytest.raises(TypeError):
            c.fetch(None)
        with pytest.raises(hypobus.Timeout, match="no request in flight"):
            c.next_result()
        assert list(c.results()) == []
    with hypobus.TaskWorker(broker) as w:
        with pytest.raises(hypobus.InvalidArgument):
            w.recv(timeout=-0.5)
    for obj in (c, w):
        with pytest.raises(hypobus.Stopped):
            obj.stats()
    with pytest.raises(hypobus.Stopped):
        c.submit(b"x")
    with pytest.raises(hypobus.Stopped):
        w.recv(timeout=0.1)
    with hypobus.TaskWorker(broker, handler=lambda j: b"still fine"), hypobus.TaskClient(broker) as c2:
        assert c2.request(b"?", timeout=10) == b"still fine"


def test_close_wakes_waiters_and_is_idempotent(broker):
    w = hypobus.TaskWorker(broker)
    c = hypobus.TaskClient(broker)
    out = []

    def wait_worker():
        try:
            w.recv(timeout=30)
        except hypobus.HypobusError as e:
            out.append(type(e))

    def wait_client():
        try:
            c.request(b"x", timeout=30, service="nobody")
        except hypobus.HypobusError as e:
            out.append(type(e))

    ts = [threading.Thread(target=wait_worker), threading.Thread(target=wait_client)]
    for t in ts:
        t.start()
    time.sleep(0.2)  # both are inside their waits
    t0 = time.monotonic()
    w.close()
    c.close()
    for t in ts:
        t.join(5)
    assert time.monotonic() - t0 < 1.5 and sorted(x.__name__ for x in out) == ["Stopped", "Stopped"]
    w.close()
    c.close()
    broker.stop()
    broker.stop()
    assert broker.stats().requests >= 0  # stats stay readable after stop()
    broker.close()
    broker.close()
    with pytest.raises(hypobus.Stopped):
        broker.stats()


def test_a_handler_worker_closes_while_handlers_run(broker):
    started = threading.Event()

    def slow(job):
        started.set()
        time.sleep(0.3)
        return b"finished"

    with hypobus.TaskClient(broker) as c:
        w = hypobus.TaskWorker(broker, handler=slow, threads=2)
        rid = c.submit(b"x")
        assert started.wait(10)
        w.close()  # lets the running call finish and answer
        r = c.next_result(timeout=10)
        assert r.id == rid and r.body == b"finished"


def test_a_broker_restarted_at_once_on_the_same_ports():
    """A closed TaskBroker's ports are free when close() returns (the library
    ends the broker's own ZeroMQ context), so an in-process restart binds them
    at once; a real conflict is raised at once."""
    import socket

    fe, be = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
    for _ in range(4):
        b = hypobus.TaskBroker(fe, be)
        with hypobus.TaskWorker(b, handler=tagger("w"), hb_interval_ms=200), hypobus.TaskClient(fe) as c:
            assert c.request(b"x", timeout=10) == b"w:x"
            b.close()
            with hypobus.TaskBroker(fe, be) as b2:
                assert c.request(b"y", timeout=10) == b"w:y"
                assert b2.stats().workers == 1 and b2.stats().replies == 1
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        s.listen()
        t0 = time.monotonic()
        with pytest.raises(hypobus.ConfigError, match="Address already in use"):
            hypobus.TaskBroker(f"tcp://127.0.0.1:{s.getsockname()[1]}", ANY)
        assert time.monotonic() - t0 < 0.5
    finally:
        s.close()
