"""The lab's roles as Python objects, over real sockets on loopback."""

import asyncio
import decimal
import fractions
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import WORKDIR, child_env, free_ports

import hypobus
import hypobus.asyncio

ANY = "tcp://127.0.0.1:*"


def test_lab_and_client_answers(lab):
    with hypobus.Client(lab) as c:
        assert c.hypot(12, 13) == "17.6918"
        assert c.hypot("12", "13", timeout=5) == "17.6918"
        assert c.hypot_float(3, 4) == 5.0
        assert c.hypot(1.5, decimal.Decimal("2")) == "2.5000"
        assert c.hypot(fractions.Fraction(3, 2), 2) == "2.5000"
        st = c.stats()
        assert isinstance(st, hypobus.ClientStats) and st.requests == 5 and st.answers == 5
    calc = lab.calc.stats()
    assert isinstance(calc, hypobus.CalcStats) and calc.results >= 5
    assert lab.broker.stats().forwarded > 0
    assert lab.ops[0].stats().requests >= 5


def test_bad_input_is_a_clear_error_and_nothing_is_sent(lab):
    with hypobus.Client(lab) as c:
        for bad in ("abc", "", "-3", "NaN", "inf"):
            with pytest.raises(hypobus.InvalidArgument) as e:
                c.hypot(bad, 1)
            assert "a" in str(e.value) and e.value.status == 2 and e.value.name == "HB_INVALID_ARGUMENT"
        with pytest.raises(hypobus.InvalidArgument):
            c.hypot(float("nan"), 1)
        with pytest.raises(TypeError):
            c.hypot(None, 1)
        with pytest.raises(TypeError):
            c.hypot(True, 1)
        assert c.stats().requests == 0
        # The calc node refuses what overflows: a Remote error with its reason.
        huge = "17" + "0" * 307  # the hypotenuse of two of these is past the largest double
        with pytest.raises(hypobus.Remote) as e:
            c.hypot(huge, huge)
        assert "cannot compute" in str(e.value) and e.value.name == "HB_REMOTE"
        assert isinstance(e.value, hypobus.HypobusError)
        assert c.hypot(12, 13) == "17.6918"  # and the lab is fine


def test_many_in_flight_with_submit_and_results(lab):
    with hypobus.Client(lab) as c:
        ids = {c.submit(i, 13): i for i in range(1, 301)}
        assert c.in_flight > 0
        got = {}
        for r in c.results(timeout=20):
            assert r.ok, r
            got[r.id] = r.value
        assert set(got) == set(ids)
        for rid, a in ids.items():
            assert got[rid] == f"{(a * a + 169) ** 0.5:.4f}"
        assert list(c.results(timeout=1)) == []
        rid = c.submit(5, 12)
        c.cancel(rid)
        with pytest.raises(hypobus.InvalidArgument):
            c.cancel(rid)


def test_concurrent_clients_get_their_own_answers(lab):
    out = {}

    def ask(k):
        with hypobus.Client(lab) as c:
            out[k] = [c.hypot(k, j) for j in range(1, 6)]

    ts = [threading.Thread(target=ask, args=(k,)) for k in range(1, 6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    for k in range(1, 6):
        assert out[k] == [f"{(k * k + j * j) ** 0.5:.4f}" for j in range(1, 6)]


def test_timeout_when_no_lab_answers():
    xsub, xpub = free_ports(2)
    with hypobus.Client(f"127.0.0.1:{xsub}:{xpub}") as c:
        t = time.monotonic()
        with pytest.raises(hypobus.Timeout) as e:
            c.hypot(12, 13, timeout=0.5)
        assert isinstance(e.value, TimeoutError)
        assert 0.4 < time.monotonic() - t < 3
        rid = c.submit(1, 2, timeout=0.3)
        r = c.next_result(timeout=5)
        assert r.id == rid and r.status == "timeout" and r.error and not r.ok
        with pytest.raises(ValueError):
            float(r)


def test_op_node_with_a_python_function_is_exact(lab_no_ops):
    calls = []

    def square(x):
        calls.append(x)
        return x * x

    with hypobus.OpNode(1, fn=square, brokers=lab_no_ops), hypobus.OpNode(
        2, fn=square, brokers=lab_no_ops
    ) as o2, hypobus.Client(lab_no_ops) as c:
        assert c.hypot(12, 13) == "17.6918"
        assert c.hypot("1.5", "2.5") == "2.9155"
        big = 12345678901234567890
        assert c.hypot(big, 0) == f"{big}.0000"
        assert 12 in calls and 13 in calls and decimal.Decimal("1.5") in calls and big in calls
        st = o2.stats()
        assert isinstance(st, hypobus.OpStats) and st.calls >= 3 and st.fn_errors == 0 and st.replies >= 3
    assert lab_no_ops.calc.stats().fallbacks == 0


@pytest.fixture
def lab_no_ops():
    with hypobus.Lab(ops=(), calc_timeout_ms=300) as lab:
        yield lab


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: 1 / 0,
        lambda x: None,
        lambda x: "abc",
        lambda x: -1,
        lambda x: float("inf"),
        lambda x: object(),
        lambda x: True,
        lambda x: [x],
    ],
)
def test_op_function_failures_become_error_answers(lab_no_ops, fn):
    with hypobus.OpNode(1, fn=fn, brokers=lab_no_ops) as o1, hypobus.OpNode(2, brokers=lab_no_ops), hypobus.Client(
        lab_no_ops
    ) as c:
        # The calc node computes the refused square itself: the answer is still right.
        assert c.hypot(12, 13) == "17.6918"
        st = o1.stats()
        assert st.calls >= 1 and st.fn_errors >= 1 and st.errors >= 1
        assert c.hypot(5, 12) == "13.0000"  # the node is still serving
    assert lab_no_ops.calc.stats().fallbacks >= 2


def test_op_function_float_and_fraction_answers(lab_no_ops):
    with hypobus.OpNode(1, fn=lambda x: float(x) ** 2, brokers=lab_no_ops), hypobus.OpNode(
        2, fn=lambda x: fractions.Fraction(x) ** 2, brokers=lab_no_ops
    ), hypobus.OpNode(3, fn=lambda x: x, numbers="float", brokers=lab_no_ops) as o3, hypobus.Client(lab_no_ops) as c:
        assert c.hypot("0.5", "0.25") == "0.5590"
        assert o3.lane == 3


def test_classic_client(lab):
    with hypobus.Client(lab, classic=True) as c:
        assert c.hypot(12, 13) == "17.6918"


def test_roles_close_cleanly_and_refuse_use_after_close():
    b = hypobus.Broker(ANY, ANY, hb="")
    c = hypobus.Client(b)
    o = hypobus.OpNode(1, fn=lambda x: x * x, brokers=b)
    for r in (c, o, b):
        r.close()
        r.close()
        assert r.closed
    with pytest.raises(hypobus.Stopped):
        c.hypot(1, 2)
    with pytest.raises(hypobus.Stopped):
        b.stats()
    with pytest.raises(hypobus.ConfigError) as e:
        hypobus.Broker("tcp://nonsense", ANY, hb="")
    assert "nonsense" in str(e.value)
    with pytest.raises(hypobus.ConfigError):
        hypobus.OpNode(1, brokers="not a broker list :::")
    with pytest.raises(hypobus.InvalidArgument):
        hypobus.OpNode(0)
    with pytest.raises(TypeError):
        hypobus.OpNode(1, fn=42)


def test_broker_endpoints_activity_and_stats():
    with hypobus.Broker(ANY, ANY, hb=ANY, hb_interval_ms=50) as b:
        assert b.xsub_endpoint.startswith("tcp://127.0.0.1:") and b.hb_endpoint.startswith("tcp://127.0.0.1:")
        assert b.active
        b.set_active(False)
        assert not b.active
        b.set_active(True)
        deadline = time.monotonic() + 5
        while b.stats().heartbeats < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert b.stats().heartbeats >= 2
        b.stop()
        assert isinstance(b.stats(), hypobus.BrokerStats)


def test_failover_events_by_callback_and_iterator():
    php, bhp = free_ports(2)
    p_hb, b_hb = f"tcp://127.0.0.1:{php}", f"tcp://127.0.0.1:{bhp}"
    seen = []
    got = threading.Event()

    def on_event(ev):
        seen.append((ev, threading.current_thread().name))
        if ev.active:
            got.set()
        raise RuntimeError("a callback that raises must not stop the events")

    with hypobus.FailoverBroker(
        "backup", peer_hb=p_hb, hb=b_hb, xsub=ANY, xpub=ANY, hb_interval_ms=50, on_event=on_event
    ) as backup:
        primary = hypobus.FailoverBroker("primary", peer_hb=b_hb, hb=p_hb, xsub=ANY, xpub=ANY, hb_interval_ms=50)
        ev = primary.next_event(timeout=5)
        assert ev.active and isinstance(ev, hypobus.FailoverEvent) and ev.reason and ev.at > 1e9
        with hypobus.OpNode(1, brokers=[primary, backup]), hypobus.OpNode(
            2, brokers=[primary, backup]
        ), hypobus.CalcNode([primary, backup]), hypobus.Client([primary, backup]) as c:
            assert c.hypot(12, 13) == "17.6918"
            primary.close()
            assert got.wait(5), "the backup takes over"
            assert seen[0][1] == "hypobus-failover-events" and seen[0][0].active
            assert backup.active and backup.stats().activations == 1
            assert c.hypot(12, 13, timeout=10) == "17.6918"
            # The same events come through the iterator too.
            assert next(backup.events(timeout=1)).active
        with pytest.raises(hypobus.ConfigError):
            backup.handback(timeout=0.5)  # the primary is gone
        assert isinstance(backup.broker_stats(), hypobus.BrokerStats)
    with pytest.raises(hypobus.InvalidArgument):
        hypobus.FailoverBroker("middle", peer_hb=p_hb)


def test_asyncio_client_many_at_once(lab):
    async def main():
        async with hypobus.asyncio.Client(lab) as c:
            assert await c.hypot(12, 13) == "17.6918"
            rs = await asyncio.gather(*(c.hypot(i, 13) for i in range(1, 201)))
            assert rs == [f"{(i * i + 169) ** 0.5:.4f}" for i in range(1, 201)]
            with pytest.raises(hypobus.InvalidArgument):
                await c.hypot("abc", 1)
            with pytest.raises(hypobus.Remote):
                await c.hypot("17" + "0" * 307, "17" + "0" * 307)
            assert c.stats().answers >= 202

    asyncio.run(main())


def test_exit_with_roles_running_is_clean():
    """The interpreter exits with a lab, a Python op node and a failover
    broker still running: the atexit hook closes them; exit 0, no traceback."""
    php, bhp = free_ports(2)
    code = textwrap.dedent(f"""
        import hypobus
        lab = hypobus.Lab(ops=(1,))
        op = hypobus.OpNode(2, fn=lambda x: x * x, brokers=lab)
        fo = hypobus.FailoverBroker("backup", peer_hb="tcp://127.0.0.1:{php}", hb="tcp://127.0.0.1:{bhp}",
                                    xsub="tcp://127.0.0.1:*", xpub="tcp://127.0.0.1:*", on_event=print)
        c = hypobus.Client(lab)
        print(c.hypot(12, 13), flush=True)
    """)
    t = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=child_env(), cwd=WORKDIR
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("17.6918") and "Traceback" not in p.stderr, (p.stdout, p.stderr)
    assert time.monotonic() - t < 10
