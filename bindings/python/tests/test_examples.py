"""Every example end to end, as a user runs it (python -m hypobus.examples.NAME),
each bounded in time."""

import signal
import time

import pytest
from conftest import free_ports

import hypobus

DEMOS = {
    "reqrep_1to1": "req/rep 1:1 ok",
    "reqrep_1ton": "req/rep 1:n ok",
    "reqrep_nto1": "req/rep n:1 ok",
    "pipeline_1to1": "pipeline 1:1 ok",
    "pipeline_fan": "pipeline 1:n:1 ok",
    "pubsub": "pub/sub ok",
    "chat": "chat ok",
    "rrbroker": "router/dealer broker ok",
    "lbbroker": "load-balancing broker ok",
    "failover_roles": "^backup FailoverStats",
}


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_demo(procs, name):
    p = procs.example(name)
    p.wait_line(DEMOS[name], 40)
    assert p.wait_exit(10) == 0, p.report()


def test_lab_roles_prints_the_hypotenuse(procs):
    p = procs.example("lab_roles", "12", "13")
    assert p.wait_exit(30) == 0, p.report()
    assert p.lines == ["17.6918"], p.report()


def test_reqrep_in_two_processes(procs):
    (port,) = free_ports(1)
    ep = f"tcp://127.0.0.1:{port}"
    srv = procs.example("reqrep_1to1", "server", ep)
    cli = procs.example("reqrep_1to1", "client", ep, "3")
    assert cli.wait_exit(20) == 0, cli.report()
    assert cli.lines == ["client 0: World", "client 1: World", "client 2: World"]
    srv.wait_line("server got Hello", 5)


def test_pubsub_in_four_processes(procs):
    (port,) = free_ports(1)
    ep = f"tcp://127.0.0.1:{port}"
    pub = procs.example("pubsub", "publisher", ep, "0.05")
    subs = [procs.example("pubsub", "subscriber", t, ep, "2") for t in ("uno", "dos", "tres")]
    for s, t in zip(subs, ("uno", "dos", "tres")):
        assert s.wait_exit(20) == 0, s.report()
        assert len(s.lines) == 2 and all(
            l.startswith(f"subscriber {t}: ") and l.endswith(f"about {t}") for l in s.lines
        )
    pub.stop()


def test_chat_server_and_a_client_process(procs):
    a, b = free_ports(2)
    ins, outs = f"tcp://127.0.0.1:{a}", f"tcp://127.0.0.1:{b}"
    procs.example("chat", "server", ins, outs)
    c = procs.example("chat", "client", "zoe", ins, outs, stdin=True)
    c.wait_line(r"\[zoe sees\] server: HI zoe", 10)
    c.p.stdin.write("hello all\n")
    c.p.stdin.close()
    assert c.wait_exit(10) == 0, c.report()


def lab_ports():
    xsub, xpub, hb = free_ports(3)
    return xsub, xpub, hb, f"127.0.0.1:{xsub}:{xpub}"


def test_the_original_lab_programs_on_hypobus_zmq(procs):
    xsub, xpub, hb, broker = lab_ports()
    procs.example("broker_primary", xsub, xpub, hb, "127.0.0.1").wait_line("primary broker ready")
    ops = [procs.example("op_server", lane, broker) for lane in ("1", "2")]
    calc = procs.example("calc_server", broker)
    for p in ops + [calc]:
        p.wait_line("ready")
    cli = procs.example("client", "12", "13", broker)
    assert cli.wait_exit(20) == 0, cli.report()
    assert cli.lines == ["17.6918"]
    ops[0].wait_line(r"^12\^2 = 144$")
    ops[1].wait_line(r"^13\^2 = 169$")
    calc.wait_line("hypotenuse 17.6918")


def test_the_original_backup_takes_over(procs):
    """broker_backup.py watches broker_primary.py's heartbeats; when the
    primary dies it binds its own ports and runs the proxy (zmq.proxy)."""
    pxsub, pxpub, phb, pbroker = lab_ports()
    bxsub, bxpub, _bhb, bbroker = lab_ports()
    primary = procs.example("broker_primary", pxsub, pxpub, phb, "127.0.0.1")
    primary.wait_line("primary broker ready")
    backup = procs.example("broker_backup", f"tcp://127.0.0.1:{phb}", bxsub, bxpub, "127.0.0.1")
    backup.wait_line("backup standby: heartbeat", 5)
    for lane in ("1", "2"):
        procs.example("op_server", lane, pbroker, bbroker).wait_line("ready")
    procs.example("calc_server", pbroker, bbroker).wait_line("ready")
    primary.stop(signal.SIGKILL)
    t = time.monotonic()
    backup.wait_line("backup broker active", 8)
    # The backup gives up 3 s after the last heartbeat it got, which came at
    # most 1 s (the primary's period) before the kill: 2 to 3 s after it.
    assert 1.9 < time.monotonic() - t < 6
    cli = procs.example("client", "12", "13", pbroker, bbroker)
    assert cli.wait_exit(20) == 0, cli.report()
    assert cli.lines == ["17.6918"]


def test_op_function_example(procs):
    with hypobus.Lab(ops=(), calc_timeout_ms=5000) as lab:
        ops = [procs.example("op_function", lane, lab.brokers) for lane in ("1", "2")]
        for p in ops:
            p.wait_line("ready", 10)
        with hypobus.Client(lab) as c:
            assert c.hypot(12, 13, timeout=8) == "17.6918"
            assert c.hypot(12345678901234567890, 1, timeout=8) == "12345678901234567890.0000"
        ops[0].wait_line(r"^12\^2 = 144$")
        ops[0].wait_line(r"^12345678901234567890\^2 = 152415787532388367501905199875019052100$")
        assert lab.calc.stats().fallbacks == 0
        for p in ops:
            p.stop(signal.SIGINT)
            assert any("OpStats(" in l for l in p.lines), p.report()
