"""Original-style pyzmq programs of the hypotenuse lab as real peers of
libhypobus's `hypobus` binary (SPEC section 2: classic compatibility).

Run: python3 -m pytest tests/classic -q    (HYPOBUS_BIN=path overrides the binary)
"""

import re
import time

from conftest import free_ports

# Broker counters line, printed by `hypobus broker --stats-every-ms N`.
SUBS = re.compile(r"subscriptions=(\d+)")


def kv(line):
    """`calc: a=1 b=2` -> {"a": 1, "b": 2}"""
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def our_broker(procs, bin_):
    xsub, xpub, hb = free_ports(3)
    b = procs.start(
        "broker",
        [
            bin_,
            "broker",
            "--xsub",
            f"tcp://127.0.0.1:{xsub}",
            "--xpub",
            f"tcp://127.0.0.1:{xpub}",
            "--hb",
            f"tcp://127.0.0.1:{hb}",
            "--stats-every-ms",
            "50",
        ],
    )
    b.wait_line(r"^broker ready:")
    return b, f"127.0.0.1:{xsub}:{xpub}"


def orig_broker(procs):
    xsub, xpub, hb = free_ports(3)
    b = procs.python("orig_primary", "orig_primary.py", xsub, xpub, hb, "127.0.0.1")
    b.wait_line(r"^primary broker ready")
    return b, f"127.0.0.1:{xsub}:{xpub}"


def wait_subscriptions(broker, n, timeout=5.0):
    """Wait until our broker has seen n distinct subscriptions (every node's
    subscription reached it: no slow joiner left). The broker prints its
    counters every 50 ms."""
    deadline = time.monotonic() + timeout
    start = 0
    while True:
        line = broker.wait_line(r"subscriptions=", timeout=max(0.05, deadline - time.monotonic()), start=start)
        start = broker.lines.index(line, start) + 1
        if int(SUBS.search(line).group(1)) >= n:
            return
        assert time.monotonic() < deadline, f"broker saw fewer than {n} subscriptions in {timeout} s: {line}"


def our_ops(procs, bin_, broker):
    for lane in (1, 2):
        procs.start(f"op{lane}", [bin_, "op", "--lane", lane, "--broker", broker]).wait_line(r"^op lane \d ready")


def orig_ops(procs, broker):
    """Original operation servers for lanes 1 and 2, started and ready."""
    ops = [procs.python(f"orig_op{lane}", "orig_op.py", lane, broker) for lane in (1, 2)]
    for op in ops:
        op.wait_line(r"ready")
    return ops


def our_calc(procs, bin_, broker, *extra):
    c = procs.start("calc", [bin_, "calc", "--broker", broker, *extra])
    c.wait_line(r"^calc ready")
    return c


def our_client(procs, bin_, broker, a, b, *extra, timeout=10):
    c = procs.start("client", [bin_, "client", a, b, "--broker", broker, *extra])
    rc = c.wait_exit(timeout)
    assert rc == 0, c.report()
    return c.lines


def orig_client(procs, broker, a="12", b="13"):
    c = procs.python("orig_client", "orig_client.py", a, b, broker)
    rc = c.wait_exit(13)
    assert rc == 0, c.report()
    return c.lines


def test_a_original_client_with_our_nodes(procs, hypobus_bin):
    broker, addr = our_broker(procs, hypobus_bin)
    our_ops(procs, hypobus_bin, addr)
    calc = our_calc(procs, hypobus_bin, addr)
    wait_subscriptions(broker, 6)  # calc 4 + op 2
    assert orig_client(procs, addr) == ["17.6918"]
    calc.stop()
    stats = kv(calc.wait_line(r"^final calc:"))
    assert stats["classic_requests"] == 1 and stats["fallbacks"] == 0, stats


def test_b_our_classic_client_with_original_calc_and_ops(procs, hypobus_bin):
    broker, addr = our_broker(procs, hypobus_bin)
    ops = orig_ops(procs, addr)
    calc = procs.python("orig_calc", "orig_calc.py", addr)
    calc.wait_line(r"ready")
    wait_subscriptions(broker, 6)  # calc 4 + op 2
    assert our_client(procs, hypobus_bin, addr, "12", "13", "--classic") == ["17.6918"]
    calc.wait_line(r"^hypotenuse 17\.6918")
    assert not any("computing it here" in l for l in calc.lines), calc.report()
    ops[0].wait_line(r"^12\^2 = 144$")
    ops[1].wait_line(r"^13\^2 = 169$")


def test_c_our_client_and_calc_with_original_ops(procs, hypobus_bin):
    broker, addr = our_broker(procs, hypobus_bin)
    ops = orig_ops(procs, addr)
    calc = our_calc(procs, hypobus_bin, addr)
    wait_subscriptions(broker, 6)
    assert our_client(procs, hypobus_bin, addr, "12", "13") == ["17.6918"]
    ops[0].wait_line(r"^12\^2 = 144$")
    ops[1].wait_line(r"^13\^2 = 169$")
    assert calc.stop() == 0
    stats = kv(calc.wait_line(r"^final calc:"))
    assert stats["squares_received"] == 2 and stats["fallbacks"] == 0 and stats["results"] == 1, stats


def test_d_original_client_through_original_primary(procs, hypobus_bin):
    _, addr = orig_broker(procs)
    our_ops(procs, hypobus_bin, addr)
    calc = our_calc(procs, hypobus_bin, addr, "--stats-every-ms", "50")
    # The original broker reports nothing: a tagged request (which retries)
    # shows that the whole chain forwards before the original client starts.
    assert our_client(procs, hypobus_bin, addr, "3", "4") == ["5.0000"]
    assert orig_client(procs, addr) == ["17.6918"]
    calc.stop()
    stats = kv(calc.wait_line(r"^final calc:"))
    assert stats["classic_requests"] == 1 and stats["results"] == 2, stats


def test_e_decimals_kill_an_original_op_and_our_calc_falls_back(procs, hypobus_bin):
    broker, addr = our_broker(procs, hypobus_bin)
    ops = orig_ops(procs, addr)
    calc = our_calc(procs, hypobus_bin, addr)
    wait_subscriptions(broker, 6)
    assert our_client(procs, hypobus_bin, addr, "1.5", "2") == ["2.5000"]
    # The original flaw, faithfully: int(b"1.5") raised and operation server 1 died.
    assert ops[0].wait_exit(5) != 0
    assert any("ValueError" in l for l in ops[0].err), ops[0].report()
    ops[1].wait_line(r"^2\^2 = 4$")
    assert calc.stop() == 0
    stats = kv(calc.wait_line(r"^final calc:"))
    assert stats["fallbacks"] == 1 and stats["squares_received"] == 1, stats
