"""Every task example end to end, as a user runs it (python -m
hypobus.examples.NAME), each bounded in time; and the broker, worker and
client examples as separate processes."""

import re
import signal

import pytest
from conftest import free_ports

import hypobus

DEMOS = {
    "task_course_brokers": "^course brokers ok$",
    "task_client": "^task client ok$",
    "task_durable": "^durable journal ok$",
}


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_task_demo(procs, name):
    p = procs.example(name)
    p.wait_line(DEMOS[name], 40)
    assert p.wait_exit(10) == 0, p.report()


def test_course_brokers_example_says_what_each_stage_did(procs):
    p = procs.example("task_course_brokers")
    assert p.wait_exit(40) == 0, p.report()
    assert re.match(r"^1\. router/dealer \(zmq\.proxy\): 15 requests, REP1 \d+, REP2 \d+$", p.lines[0])
    assert re.match(r"^2\. router/router \(TaskBroker lru, the course's frames\): 15 requests", p.lines[1])
    assert "16 requests answered by GOOD" in p.lines[2] and "late answer dropped (1)" in p.lines[2]
    assert "registered again" in p.lines[3]


def test_durable_example_on_a_given_file(procs, tmp_path):
    db = tmp_path / "orders.db"
    p = procs.example("task_durable", str(db))
    assert p.wait_exit(40) == 0, p.report()
    assert db.exists() and any("took up 5 requests" in l for l in p.lines)


def test_broker_worker_and_client_examples_as_processes(procs):
    fe, be = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
    broker = procs.example(
        "task_broker",
        "--frontend",
        fe,
        "--backend",
        be,
        "--policy",
        "typed",
        "--service-wait-ms",
        "300",
        "--stats-every",
        "0.05",
    )
    broker.wait_line(
        f"^task-broker ready: frontend {re.escape(fe)} backend {re.escape(be)} policy typed journal memory"
    )
    w1 = procs.example("task_worker", be, "--tag", "one", "--threads", "2")
    w2 = procs.example("task_worker", be, "--tag", "two", "--threads", "2", "--services", "img")
    for w in (w1, w2):
        w.wait_line("^task worker ready", 10)
    broker.wait_line(r"^stats .* workers=2 ", 10)
    c = procs.example("task_client", fe, "300")
    assert c.wait_exit(30) == 0, c.report()
    assert re.match(r"^300 requests, 300 answered in .* by worker: one 300$", c.lines[0]), c.lines
    c = procs.example("task_client", fe, "50", "--service", "img")
    assert c.wait_exit(30) == 0, c.report()
    assert c.lines[0].endswith("by worker: two 50"), c.lines  # only "two" serves img
    with hypobus.TaskClient(fe) as tc:
        with pytest.raises(hypobus.TaskFailed, match="handler raised ValueError: this worker refuses 'fail'"):
            tc.request(b"fail", timeout=10)
        assert tc.request(b"fine", timeout=10) == b"one:FINE"
        with pytest.raises(hypobus.TaskFailed, match='no worker serves service "video"'):
            tc.request(b"x", service="video", timeout=10)
    for w in (w1, w2):
        w.stop(signal.SIGINT)
        assert any(l.startswith("TaskWorkerStats(") for l in w.lines), w.report()
    broker.stop(signal.SIGTERM)
    last = broker.lines[-1]
    assert last.startswith("stats ") and " requests=353 " in last and " errors=2 " in last, broker.report()
