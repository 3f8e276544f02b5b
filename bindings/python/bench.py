#!/usr/bin/env python3
"""Benchmark (not a test): pyzmq beside hypobus.zmq in one run, the same
loops with `import zmq` and with `import hypobus.zmq as zmq`, and the lab's
requests/s driven from Python (Client.submit/results).

  python bindings/python/bench.py [--rtt N] [--flood N] [--rounds R] [--lab N]

Loops (TCP loopback; the peer runs in a child process using the same module):
  REQ/REP round trip of 1 byte: N round trips, µs each;
  PUSH/PULL flood of 10-byte messages: N messages, k msg/s at the receiver.
Each round runs both modules back to back (order alternating); the table
shows the median and best of the rounds and the median of the per-round
ratios. Needs pyzmq installed for the pyzmq column.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load(modname):
    if modname == "pyzmq":
        import zmq

        return zmq
    import hypobus.zmq as zmq

    return zmq


# ------------------------------------------------------------ peers (child processes)


def peer(kind, modname, endpoint, n):
    zmq = load(modname)
    ctx = zmq.Context()
    if kind == "rep":
        s = ctx.socket(zmq.REP)
        s.connect(endpoint)
        for _ in range(n + 1):
            s.send(s.recv())
    elif kind == "push":
        s = ctx.socket(zmq.PUSH)
        s.sndhwm = 0
        s.connect(endpoint)
        msg = b"0123456789"
        send = s.send
        send(b"go")
        for _ in range(n):
            send(msg)
        send(b"end")
        time.sleep(0.2)
    s.close(linger=2000)
    ctx.term()


def spawn(kind, modname, endpoint, n):
    return subprocess.Popen(
        [sys.executable, __file__, "--peer", kind, modname, endpoint, str(n)],
        env=dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([os.environ.get("PYTHONPATH", ""), os.path.dirname(HERE)]).strip(os.pathsep),
        ),
    )


# ------------------------------------------------------------ measured loops


def rtt(modname, n):
    zmq = load(modname)
    ctx = zmq.Context()
    s = ctx.socket(zmq.REQ)
    port = s.bind_to_random_port("tcp://127.0.0.1")
    p = spawn("rep", modname, f"tcp://127.0.0.1:{port}", n)
    try:
        s.send(b"x")
        s.recv()  # connected, peer warm
        send, recv = s.send, s.recv
        t = time.perf_counter()
        for _ in range(n):
            send(b"x")
            recv()
        dt = time.perf_counter() - t
    finally:
        p.wait(30)
        s.close(linger=0)
        ctx.term()
    return dt / n * 1e6


def flood(modname, n):
    zmq = load(modname)
    ctx = zmq.Context()
    s = ctx.socket(zmq.PULL)
    s.rcvhwm = 0
    port = s.bind_to_random_port("tcp://127.0.0.1")
    p = spawn("push", modname, f"tcp://127.0.0.1:{port}", n)
    try:
        assert s.recv() == b"go"
        recv = s.recv
        t = time.perf_counter()
        for _ in range(n):
            recv()
        dt = time.perf_counter() - t
        assert recv() == b"end"
    finally:
        p.wait(30)
        s.close(linger=0)
        ctx.term()
    return n / dt / 1e3


def lab(n):
    import hypobus

    with hypobus.Lab() as lab, hypobus.Client(lab.brokers) as c:
        c.hypot(12, 13, timeout=5)
        t = time.perf_counter()
        ids = [c.submit(i % 100 + 1, 13, timeout=30) for i in range(n)]
        got = 0
        for r in c.results(timeout=60):
            if r.error:
                raise SystemExit(f"lab request failed: {r.error}")
            got += 1
            if got == n:
                break
        dt = time.perf_counter() - t
        assert got == len(ids)
    return n / dt


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--peer":
        sys.path.insert(0, os.path.dirname(HERE))
        peer(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rtt", type=int, default=5000)
    ap.add_argument("--flood", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--lab", type=int, default=5000)
    a = ap.parse_args()
    try:
        import zmq  # noqa: F401

        mods = ["pyzmq", "hypobus"]
    except ImportError:
        print("pyzmq is not installed: only hypobus.zmq is measured", file=sys.stderr)
        mods = ["hypobus"]
    res = {(m, k): [] for m in mods for k in ("rtt", "flood")}
    for r in range(a.rounds):
        order = mods if r % 2 == 0 else mods[::-1]
        for m in order:
            res[(m, "rtt")].append(rtt(m, a.rtt))
        for m in order:
            res[(m, "flood")].append(flood(m, a.flood))
        print(
            f"round {r + 1}: "
            + ", ".join(f"{m} rtt {res[(m, 'rtt')][-1]:.1f} us flood {res[(m, 'flood')][-1]:.0f} k/s" for m in mods),
            file=sys.stderr,
            flush=True,
        )
    labrate = lab(a.lab) if a.lab else None
    import platform

    import hypobus

    print()
    print(
        f"Python {platform.python_version()}, hypobus {hypobus.__version__} (libzmq "
        f"{'.'.join(map(str, hypobus.zmq.zmq_version_info()))})"
        + (
            f", pyzmq {__import__('zmq').pyzmq_version()} (libzmq {__import__('zmq').zmq_version()})"
            if "pyzmq" in mods
            else ""
        )
        + f", {a.rounds} rounds"
    )
    print()
    print(
        "| loop (TCP loopback, peer in a child process) | pyzmq: median (best) | hypobus.zmq: median (best) | hypobus.zmq / pyzmq (median of per-round ratios) |"
    )
    print("|---|---|---|---|")
    for k, label, unit, better in (
        ("rtt", f"REQ/REP round trip, 1 byte ({a.rtt} per round)", "µs", min),
        ("flood", f"PUSH/PULL flood, 10 bytes ({a.flood} per round)", "k msg/s", max),
    ):
        cells = []
        for m in ("pyzmq", "hypobus"):
            v = res.get((m, k))
            cells.append(f"{statistics.median(v):.1f} {unit} ({better(v):.1f})" if v else "-")
        if "pyzmq" in mods:
            if k == "rtt":  # speed ratio: pyzmq time / our time
                ratios = [p / h for p, h in zip(res[("pyzmq", k)], res[("hypobus", k)])]
            else:
                ratios = [h / p for p, h in zip(res[("pyzmq", k)], res[("hypobus", k)])]
            cells.append(f"{statistics.median(ratios):.2f}x speed")
        else:
            cells.append("-")
        print(f"| {label} | " + " | ".join(cells) + " |")
    if labrate:
        print(
            f"| the lab from Python: Client.submit/results, {a.lab} requests (broker, calc, 2 op nodes in-process) | - | {labrate:.0f} requests/s | - |"
        )


if __name__ == "__main__":
    main()
