"""The course's router/router broker frames (SPEC section 3, items 6-7) with
original-style pyzmq programs as real peers of `hypobus task-broker` (lru):
course REQ workers and REQ clients, mixed with our own `hypobus worker` and
`hypobus task`, a stuck course worker (answer time-out: another answers, the
late answer never reaches the client) and a course worker killed mid-request.

Run: python3 -m pytest tests/classic -q    (HYPOBUS_BIN=path overrides the binary)
"""

import re
import signal
import subprocess

from conftest import free_ports


def task_broker(procs, bin_, *extra):
    fe, be = free_ports(2)
    b = procs.start(
        "task-broker",
        [
            bin_,
            "task-broker",
            "--frontend",
            f"tcp://127.0.0.1:{fe}",
            "--backend",
            f"tcp://127.0.0.1:{be}",
            "--stats-every-ms",
            "50",
            *extra,
        ],
    )
    b.wait_line(r"^task-broker ready:")
    return b, f"tcp://127.0.0.1:{fe}", f"tcp://127.0.0.1:{be}"


def stats(broker, start=0):
    line = broker.wait_line(r"^stats task-broker:", start=start)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def wait_workers(broker, n, timeout=5.0):
    broker.wait_line(rf"^stats task-broker:.* workers={n} ", timeout=timeout)


def test_course_workers_and_clients(procs, hypobus_bin):
    b, fe, be = task_broker(procs, hypobus_bin)
    for name in ("W1", "W2"):
        procs.python(name, "course_rr_worker.py", be, name).wait_line(r"^ready")
    wait_workers(b, 2)
    clients = [procs.python(f"c{i}", "course_rr_client.py", fe, f"c{i}", 20) for i in range(3)]
    for i, c in enumerate(clients):
        c.wait_line(r"^done", timeout=10)
        replies = [l.split(" ", 1)[1] for l in c.lines if l.startswith("reply ")]
        assert len(replies) == 20
        for n, r in enumerate(replies):
            who, body = r.split(":", 1)
            assert who in ("W1", "W2") and body == f"c{i}-{n}", r
    s = stats(b, start=len(b.lines) - 1)
    assert s["timeouts"] == 0 and s["late"] == 0


def test_course_peers_mixed_with_ours(procs, hypobus_bin):
    b, fe, be = task_broker(procs, hypobus_bin)
    procs.python("W1", "course_rr_worker.py", be, "W1").wait_line(r"^ready")
    wait_workers(b, 1)
    # Our client, a course worker.
    out = subprocess.run(
        [hypobus_bin, "task", "--broker", fe, "one", "two"], capture_output=True, text=True, timeout=20
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["W1:one", "W1:two"]
    # Our worker, a course client (the course worker stays registered: lru spreads them).
    procs.start("ours", [hypobus_bin, "worker", "--broker", be, "--tag", "ours"]).wait_line(r"^worker ready")
    wait_workers(b, 2)
    c = procs.python("c", "course_rr_client.py", fe, "x", 10)
    c.wait_line(r"^done", timeout=10)
    who = {l.split(" ", 1)[1].split(":")[0] for l in c.lines if l.startswith("reply ")}
    assert who == {"W1", "ours"}, c.lines


def test_a_stuck_course_worker_is_routed_around(procs, hypobus_bin):
    b, fe, be = task_broker(procs, hypobus_bin, "--answer-timeout-ms", "500")
    stuck = procs.python("stuck", "course_rr_worker.py", be, "STUCK", "0", "0")
    stuck.wait_line(r"^ready")
    wait_workers(b, 1)
    c = procs.python("c", "course_rr_client.py", fe, "q", 1)
    stuck.wait_line(r"^hanging on q-0")
    procs.python("good", "course_rr_worker.py", be, "GOOD").wait_line(r"^ready")
    c.wait_line(r"^done", timeout=10)
    assert [l for l in c.lines if l.startswith("reply ")] == ["reply GOOD:q-0"]
    b.wait_line(r"^stats task-broker:.* timeouts=1 ", timeout=5)


def test_a_course_worker_killed_mid_request(procs, hypobus_bin):
    b, fe, be = task_broker(procs, hypobus_bin, "--answer-timeout-ms", "700")
    slow = procs.python("slow", "course_rr_worker.py", be, "SLOW", "30")
    slow.wait_line(r"^ready")
    wait_workers(b, 1)
    c = procs.python("c", "course_rr_client.py", fe, "k", 3, "5")
    b.wait_line(r"^stats task-broker:.* dispatched=1 ", timeout=5)
    procs.python("fast", "course_rr_worker.py", be, "FAST").wait_line(r"^ready")
    slow.p.send_signal(signal.SIGKILL)
    c.wait_line(r"^done", timeout=10)
    replies = [l for l in c.lines if l.startswith("reply ")]
    assert replies == ["reply FAST:k-0", "reply FAST:k-1", "reply FAST:k-2"], c.lines
    assert not any(l.startswith("no reply") for l in c.lines), "answered within the client's first try"
