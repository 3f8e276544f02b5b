"""The C ABI driven from Python's ctypes as a binding author would: each
test is a defect the review found (issue 10, part A), and fails on the ABI
before it was fixed."""

import os
import signal
import subprocess
import sys
import threading
import time
from ctypes import byref, c_double, c_int32, c_size_t, c_uint32, c_uint64, c_void_p, create_string_buffer

import hbabi as hb
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def alarm():
    """Arm SIGALRM with a Python handler after `s` seconds (like any Python
    program with a signal handler: Ctrl-C, a timer)."""
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(time.monotonic()))

    def arm(s):
        signal.setitimer(signal.ITIMER_REAL, s)

    yield arm, fired
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


def backup_alone():
    """A failover backup whose primary never answers: no further event after the take-over."""
    f = c_void_p()
    hb.check(
        hb.hb_failover_new(
            1,
            b"tcp://127.0.0.1:*",
            b"tcp://127.0.0.1:*",
            b"inproc://hb-test-none-" + str(time.time_ns()).encode(),
            50,
            b"inproc://hb-test-nobody",
            50,
            2,
            None,
            hb.EVENTFN(),
            None,
            byref(f),
        ),
        "failover backup",
    )
    return f


def next_event(f, timeout_ms, buf_len=256):
    at, active, n = c_uint64(), c_int32(), c_size_t()
    buf = create_string_buffer(buf_len) if buf_len else None
    st = hb.hb_failover_next_event(f, timeout_ms, byref(at), byref(active), buf, buf_len, byref(n))
    return st, active.value, (buf.value.decode() if buf and st == hb.HB_OK else None), n.value


def test_item1_failover_next_event_is_bounded_interruptible_and_woken_by_free(alarm):
    arm, fired = alarm
    f = backup_alone()
    try:
        st, active, reason, _ = next_event(f, 5000)
        assert st == hb.HB_OK and active == 1, (st, reason)  # the take-over
        # "forever" no longer exists: a negative time-out is refused at once.
        t0 = time.monotonic()
        assert next_event(f, -1)[0] == hb.HB_INVALID_ARGUMENT
        assert time.monotonic() - t0 < 0.1
        # A signal ends the wait at once with its own status.
        arm(0.2)
        t0 = time.monotonic()
        st = next_event(f, 10000)[0]
        took = time.monotonic() - t0
        assert st == hb.HB_INTERRUPTED and fired, st
        assert took < 0.6, took
        # Freeing the handle on another thread wakes the wait.
        res = {}

        def waiter():
            t = time.monotonic()
            res["st"] = next_event(f, 10000)[0]
            res["took"] = time.monotonic() - t

        th = threading.Thread(target=waiter)
        th.start()
        time.sleep(0.2)  # let the waiter block; what is tested is how fast the free wakes it
        t0 = time.monotonic()
        assert hb.hb_failover_free(f) == hb.HB_OK
        f = None
        th.join(5)
        assert not th.is_alive()
        assert res["st"] == hb.HB_STOPPED, res
        assert time.monotonic() - t0 < 1.0
    finally:
        if f:
            hb.hb_failover_free(f)


@pytest.mark.parametrize("run", range(5))
def test_item2_exit_with_a_busy_python_op_callback_is_clean(run):
    p = subprocess.run(
        [sys.executable, os.path.join(HERE, "child_exit_busy.py")], cwd=HERE, capture_output=True, timeout=60
    )
    err = p.stderr.decode(errors="replace")
    assert "FATAL" not in err and p.returncode == 0, (p.returncode, p.stdout.decode(), err)
    assert b"callback calls before exit" in p.stdout


def test_item5_wait_any_bounds_n():
    one = (c_void_p * 1)(None)
    ready = c_size_t()
    for n in (2**40, 2**62, 4097):
        t0 = time.monotonic()
        assert hb.hb_wait_any(one, n, 0, byref(ready)) == hb.HB_INVALID_ARGUMENT, n
        assert "HB_WAIT_MAX" in hb.last_error()
        assert time.monotonic() - t0 < 0.1
    items = (hb.PollItem * 1)()
    assert hb.hb_poll(items, 2**62, 0, None) == hb.HB_INVALID_ARGUMENT


def test_item6_callback_frees_its_own_node():
    lab = hb.Lab(op_lanes=(2,))
    state = {"calls": 0, "st": None}
    op = c_void_p()

    def frees_itself(_user, x, out):
        state["calls"] += 1
        if state["st"] is None:
            state["st"] = hb.hb_op_free(op)
        out[0] = x * x
        return 0

    cb = hb.OPFN(frees_itself)
    client = c_void_p()
    try:
        hb.check(hb.hb_op_new(lab.brokers, 1, cb, None, byref(op)), "op")
        hb.check(hb.hb_client_new(lab.brokers, 0, 3000, byref(client)), "client")
        buf = create_string_buffer(hb.HB_TEXT_MAX)
        # The first request reaches the callback, which frees the node: the
        # calc node falls back to its own square, so the answer is still right.
        assert hb.hb_client_hypot(client, b"3", b"4", 5000, buf, len(buf), None) == hb.HB_OK
        assert buf.value == b"5.0000"
        assert state["st"] == hb.HB_OK, hb.STATUS[state["st"]]
        for a in (b"5", b"8"):
            hb.hb_client_hypot(client, a, b"1", 5000, buf, len(buf), None)
        assert state["calls"] == 1, "the callback is not called after its node was freed"
        assert hb.hb_op_stats(op, byref(hb.OpStats(size=40))) == hb.HB_INVALID_HANDLE
    finally:
        hb.hb_client_free(client)
        lab.close()


def pull_node(lab_brokers=b"tcp://127.0.0.1:1|tcp://127.0.0.1:2"):
    p = c_void_p()
    hb.check(hb.hb_op_pull_new(lab_brokers, 1, byref(p)), "op_pull")
    return p


def pull_recv(p, timeout_ms, text_len=64):
    rid, value, n = c_uint64(), c_double(), c_size_t()
    text = create_string_buffer(text_len) if text_len else None
    st = hb.hb_op_pull_recv(p, timeout_ms, byref(rid), byref(value), text, text_len, byref(n))
    return st, rid.value, (text.value if text and st == hb.HB_OK else None), n.value


def test_item7_waits_return_interrupted_promptly(alarm):
    arm, fired = alarm
    p = pull_node()
    try:
        for call in ("pull_recv", "wait_any", "poll"):
            fired.clear()
            arm(0.15)
            t0 = time.monotonic()
            if call == "pull_recv":
                st = pull_recv(p, 10000)[0]
            elif call == "wait_any":
                hs = (c_void_p * 1)(p)
                st = hb.hb_wait_any(hs, 1, 10000, byref(c_size_t()))
            else:
                items = (hb.PollItem * 1)(hb.PollItem(p, hb.HB_POLLIN, 0))
                st = hb.hb_poll(items, 1, 10000, None)
            took = time.monotonic() - t0
            assert st == hb.HB_INTERRUPTED, (call, hb.STATUS[st])
            assert fired and took < 0.5, (call, took)
    finally:
        hb.hb_op_pull_free(p)


def test_item8_one_timeout_rule():
    p = pull_node()
    f = backup_alone()
    try:
        assert next_event(f, 5000)[0] == hb.HB_OK  # the take-over; no event after it
        hs = (c_void_p * 1)(p)
        items = (hb.PollItem * 1)(hb.PollItem(p, hb.HB_POLLIN, 0))
        for name, call in [
            ("hb_op_pull_recv", lambda t: pull_recv(p, t)[0]),
            ("hb_failover_next_event", lambda t: next_event(f, t)[0]),
            ("hb_wait_any", lambda t: hb.hb_wait_any(hs, 1, t, byref(c_size_t()))),
            ("hb_poll", lambda t: hb.hb_poll(items, 1, t, None)),
        ]:
            assert call(-1) == hb.HB_INVALID_ARGUMENT, name
            assert "timeout_ms must be >= 0" in hb.last_error(), name
            t0 = time.monotonic()
            assert call(0) == hb.HB_TIMEOUT, name
            assert time.monotonic() - t0 < 0.1, name
            t0 = time.monotonic()
            assert call(120) == hb.HB_TIMEOUT, name
            assert 0.1 <= time.monotonic() - t0 < 1.0, name
    finally:
        hb.hb_op_pull_free(p)
        hb.hb_failover_free(f)


def test_item9_error_text_of_a_call_on_another_thread_reaches_its_caller():
    p = pull_node()
    try:

        def pool_call():  # as koffi .async runs a call on a libuv pool thread
            assert pull_recv(p, 30)[0] == hb.HB_TIMEOUT

        th = threading.Thread(target=pool_call)
        th.start()
        th.join(5)
        # Meanwhile this thread failed differently; its own last error is its own.
        assert hb.hb_op_pull_reply(p, 999, 1.0) == hb.HB_INVALID_ARGUMENT
        mine = hb.last_error()
        assert "no request with id 999" in mine
        th = threading.Thread(target=pool_call)
        th.start()
        th.join(5)
        st, errno, msg = hb.handle_error(p)
        assert st == hb.HB_TIMEOUT and "no request within 30 ms" in msg, (st, msg)
        assert hb.last_error() == mine
    finally:
        hb.hb_op_pull_free(p)


def test_item10_and_11_pull_requests_are_kept_and_waits_hold_nothing():
    lab = hb.Lab(op_lanes=(2,))
    p = pull_node(lab.brokers)
    client = c_void_p()
    try:
        hb.check(hb.hb_client_new(lab.brokers, 0, 5000, byref(client)), "client")
        rid = c_uint64()
        hb.check(hb.hb_client_submit(client, b"123456789.25", b"1", 5000, byref(rid)), "submit")
        got, result = c_uint64(), c_int32()
        buf = create_string_buffer(hb.HB_TEXT_MAX)
        until = time.monotonic() + 5
        st = hb.HB_TIMEOUT
        while st == hb.HB_TIMEOUT and time.monotonic() < until:
            hb.hb_client_next(client, 0, byref(got), byref(result), buf, len(buf), None)  # drives the client
            st, _, _, need = pull_recv(p, 20, text_len=4)
        assert st == hb.HB_BUFFER_TOO_SMALL and need == len("123456789.25"), (hb.STATUS[st], need)
        st, r, text, _ = pull_recv(p, 0, text_len=64)
        assert st == hb.HB_OK and text == b"123456789.25", "the request was kept"
        assert hb.hb_op_pull_reply(p, r, 123456789.25**2) == hb.HB_OK

        # A recv waiting 10 s on another thread holds nothing: stats/replies
        # here go on at once; freeing wakes it.
        res = {}

        def waiter():
            t = time.monotonic()
            res["st"] = pull_recv(p, 10000)[0]
            res["took"] = time.monotonic() - t

        th = threading.Thread(target=waiter)
        th.start()
        time.sleep(0.1)  # let it block: what is measured is the other calls
        t0 = time.monotonic()
        assert hb.hb_op_pull_reply(p, 12345, 1.0) == hb.HB_INVALID_ARGUMENT
        assert time.monotonic() - t0 < 0.05
        t0 = time.monotonic()
        assert hb.hb_op_pull_free(p) == hb.HB_OK
        p = None
        th.join(5)
        assert res["st"] == hb.HB_STOPPED and time.monotonic() - t0 < 0.5, res
    finally:
        if p:
            hb.hb_op_pull_free(p)
        hb.hb_client_free(client)
        lab.close()


def test_item7_client_waits_interrupted_and_nothing_orphaned(alarm):
    arm, fired = alarm
    # A lab without a calc node: nothing answers, so hypot and next wait.
    broker = c_void_p()
    hb.check(hb.hb_broker_new(b"tcp://127.0.0.1:*", b"tcp://127.0.0.1:*", b"", 0, byref(broker)), "broker")
    eps = []
    for which in (0, 1):
        buf = create_string_buffer(256)
        hb.check(hb.hb_broker_endpoint(broker, which, buf, len(buf), None), "endpoint")
        eps.append(buf.value.decode())
    client = c_void_p()
    try:
        hb.check(hb.hb_client_new(f"{eps[0]}|{eps[1]}".encode(), 0, 10000, byref(client)), "client")
        buf = create_string_buffer(hb.HB_TEXT_MAX)
        # The first submit never waits (and so never sees EINTR).
        rid = c_uint64()
        arm(0.05)
        t0 = time.monotonic()
        assert hb.hb_client_submit(client, b"3", b"4", 10000, byref(rid)) == hb.HB_OK
        assert time.monotonic() - t0 < 0.05
        signal.setitimer(signal.ITIMER_REAL, 0)
        inflight = c_uint32()
        # hypot: interrupted promptly, and its request is cancelled.
        fired.clear()
        arm(0.15)
        t0 = time.monotonic()
        st = hb.hb_client_hypot(client, b"12", b"13", 10000, buf, len(buf), None)
        assert st == hb.HB_INTERRUPTED and fired and time.monotonic() - t0 < 0.5, hb.STATUS[st]
        assert hb.hb_client_in_flight(client, byref(inflight)) == hb.HB_OK
        assert inflight.value == 1, "only the submitted request is left; the interrupted hypot left nothing"
        # next: interrupted promptly, takes nothing.
        fired.clear()
        arm(0.15)
        got, result = c_uint64(), c_int32()
        t0 = time.monotonic()
        st = hb.hb_client_next(client, 10000, byref(got), byref(result), buf, len(buf), None)
        assert st == hb.HB_INTERRUPTED and time.monotonic() - t0 < 0.5, hb.STATUS[st]
        assert hb.hb_client_in_flight(client, byref(inflight)) == hb.HB_OK and inflight.value == 1
    finally:
        hb.hb_client_free(client)
        hb.hb_broker_free(broker)
