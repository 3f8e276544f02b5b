"""`hypobus watch` observing the original-style pyzmq programs of the lab
(classic wire, no tags, no observability events): it reconstructs each
request's path from the wire alone.

Run: python3 -m pytest tests/classic -q    (HYPOBUS_BIN=path overrides the binary)
"""

import json
import time

from conftest import free_ports
from test_classic import orig_broker, orig_ops, our_broker


def watch(procs, bin_, broker, hb=None):
    argv = [bin_, "watch", "--broker", broker, "--json", "--full"]
    if hb:
        argv += ["--hb", hb]
    w = procs.start("watch", argv)
    w.wait_line(r"^watch ready:")
    return w


def traces(w, n, timeout=15.0):
    """The first n trace objects `hypobus watch --json` printed."""
    deadline = time.monotonic() + timeout
    start = 0
    out = []
    while len(out) < n:
        line = w.wait_line(r'^\{"type":"trace"', timeout=max(0.05, deadline - time.monotonic()), start=start)
        start = w.lines.index(line, start) + 1
        out.append(json.loads(line))
    return out


def kinds(t):
    return [(h["from"], h["to"], h["topic"].split("#")[0]) for h in t["hops"] if h["mark"] == "first"]


def test_all_original_programs(procs, hypobus_bin):
    xsub, xpub, hb = free_ports(3)
    b = procs.python("orig_primary", "orig_primary.py", xsub, xpub, hb, "127.0.0.1")
    b.wait_line(r"^primary broker ready")
    broker = f"127.0.0.1:{xsub}:{xpub}"
    w = watch(procs, hypobus_bin, broker, f"tcp://127.0.0.1:{hb}")
    orig_ops(procs, broker)
    procs.python("orig_calc", "orig_calc.py", broker).wait_line(r"ready")
    c = procs.python("orig_client", "orig_client.py", "12", "13", broker)
    assert c.wait_exit(15) == 0, c.report()
    assert c.lines[-1] == "17.6918"
    (t,) = traces(w, 1)
    assert (t["a"], t["b"], t["outcome"], t["result"]) == ("12", "13", "answer", "17.6918"), t
    assert t["tag"] is None and t["client"] == "classic client"
    assert t["impls"] == {"client": "classic", "calc": "classic", "op1": "classic", "op2": "classic"}, t
    assert len(t["hops"]) == 7, t["hops"]
    k = kinds(t)
    assert ("client", "calc", "calc.request.1") in k and ("calc", "op 1", "calc.square.request.1") in k
    assert ("op 2", "calc", "calc.square.result.2") in k and k[-1] == ("calc", "client", "calc.hypotenuse.result")
    values = {h["topic"]: h["value"] for h in t["hops"]}
    assert values["calc.square.result.1"] == "144" and values["calc.square.result.2"] == "169"
    assert t["fallback"] == [None, None] and t["total_us"] > 0
    # The original primary sends HB only: a classic broker, active while it beats.
    w.wait_line(r'^\{"type":"broker".*"active":true,"alive":true', timeout=5)


def test_original_client_and_ops_under_our_calc(procs, hypobus_bin):
    b, broker = our_broker(procs, hypobus_bin)
    w = watch(procs, hypobus_bin, broker)
    orig_ops(procs, broker)
    procs.start("calc", [hypobus_bin, "calc", "--broker", broker]).wait_line(r"^calc ready")
    c = procs.python("orig_client", "orig_client.py", "3", "4", broker)
    assert c.wait_exit(15) == 0, c.report()
    (t,) = traces(w, 1)
    assert (t["a"], t["b"], t["result"]) == ("3", "4", "5.0000"), t
    # Our calc tags its square requests (c.<node>.<n>); the original ops answer untagged.
    assert t["impls"] == {"client": "classic", "calc": "tagged", "op1": "classic", "op2": "classic"}, t
    assert any(h["topic"].startswith("calc.square.request.1#c.") for h in t["hops"]), t["hops"]
    assert len([h for h in t["hops"] if h["mark"] == "first"]) == 7


def test_original_calc_fallback_inferred(procs, hypobus_bin):
    b, broker = orig_broker(procs)
    w = watch(procs, hypobus_bin, broker)
    # Only lane 2 runs: the original calc computes lane 1's square after 2 s.
    op2 = procs.python("orig_op2", "orig_op.py", "2", broker)
    op2.wait_line(r"ready")
    procs.python("orig_calc", "orig_calc.py", broker).wait_line(r"ready")
    c = procs.python("orig_client", "orig_client.py", "5", "12", broker)
    assert c.wait_exit(20) == 0, c.report()
    assert c.lines[-1] == "13.0000"
    (t,) = traces(w, 1)
    assert t["fallback"] == ["inferred", None], t
    assert t["total_us"] >= 1_900_000, t["total_us"]
    assert not any(h["topic"].startswith("calc.square.result.1") for h in t["hops"])
