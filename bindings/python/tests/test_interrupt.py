"""Ctrl-C: a child blocked in a call of the binding gets SIGINT and raises
KeyboardInterrupt within 0.2 s, as with pyzmq; also when the signal is
delivered to another thread of the child (the binding waits in slices)."""

import signal
import textwrap
import time

import pytest
from conftest import free_ports

BLOCKED = {
    "recv": """
        s = ctx.socket(zmq.PULL); s.bind("tcp://127.0.0.1:*")
        ready(); s.recv()""",
    "recv_multipart_sub": """
        s = ctx.socket(zmq.SUB); s.subscribe(b""); s.connect("tcp://127.0.0.1:1")
        ready(); s.recv_multipart()""",
    "poller": """
        s = ctx.socket(zmq.PULL); s.bind("tcp://127.0.0.1:*"); p = zmq.Poller(); p.register(s, zmq.POLLIN)
        ready(); p.poll()""",
    "send_no_room": """
        s = ctx.socket(zmq.PUSH); s.immediate = 1; s.connect("tcp://127.0.0.1:1")
        ready(); s.send(b"x")""",
    "term": """
        s = ctx.socket(zmq.PULL)
        ready(); ctx.term()""",
    "proxy": """
        a = ctx.socket(zmq.XSUB); b = ctx.socket(zmq.XPUB); a.bind("tcp://127.0.0.1:*"); b.bind("tcp://127.0.0.1:*")
        ready(); zmq.proxy(a, b)""",
    "client_hypot": """
        c = hypobus.Client("127.0.0.1:%(x)d:%(y)d", timeout=30)
        ready(); c.hypot(12, 13)""",
    "task_client_request": """
        c = hypobus.TaskClient("tcp://127.0.0.1:%(x)d", timeout=30)
        ready(); c.request(b"x")""",
    "task_client_results": """
        c = hypobus.TaskClient("tcp://127.0.0.1:%(x)d", timeout=30); c.submit(b"a"); c.submit(b"b")
        ready(); list(c.results())""",
    "task_worker_recv": """
        w = hypobus.TaskWorker("tcp://127.0.0.1:%(x)d")
        ready(); w.recv()""",
    "failover_event": """
        f = hypobus.FailoverBroker("backup", peer_hb="tcp://127.0.0.1:%(x)d", hb="tcp://127.0.0.1:%(y)d",
                                   xsub="tcp://127.0.0.1:*", xpub="tcp://127.0.0.1:*", misses=1000)
        ready(); f.next_event()""",
}

PRELUDE = """
import os, signal, sys, threading, time
import hypobus, hypobus.zmq as zmq
ctx = zmq.Context()
other = threading.Event()
def ready():
    print("ready", flush=True)
    if os.environ.get("SIGNAL_TO_OTHER_THREAD"):
        # Deliver the SIGINT to another thread of this process, not the one that waits.
        # The main thread is blocked in its call by the time this thread
        # (which reads the test's "go" meanwhile) sends the signal to itself.
        def kick():
            sys.stdin.readline()
            time.sleep(0.3)
            print("kick", time.time(), flush=True)
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        threading.Thread(target=kick, daemon=True).start()
try:
%s
except KeyboardInterrupt:
    print("KeyboardInterrupt", time.time(), flush=True)
    sys.exit(3)
"""


@pytest.mark.parametrize("other_thread", [False, True], ids=["main-thread", "other-thread"])
@pytest.mark.parametrize("what", sorted(BLOCKED))
def test_sigint_interrupts_a_blocked_call(procs, what, other_thread):
    x, y = free_ports(2)
    body = textwrap.indent(textwrap.dedent(BLOCKED[what] % {"x": x, "y": y}).strip(), "    ")
    env = None
    if other_thread:
        from conftest import child_env

        env = child_env(SIGNAL_TO_OTHER_THREAD="1")
    p = procs.python(f"blocked-{what}", "-c", PRELUDE % body, env=env, stdin=other_thread)
    p.wait_line("^ready$", 10)
    time.sleep(0.3)  # let it settle into its wait
    t = time.time()
    if other_thread:
        p.p.stdin.write("go\n")
        p.p.stdin.flush()
    else:
        p.p.send_signal(signal.SIGINT)
    line = p.wait_line("^KeyboardInterrupt", 3)
    if other_thread:
        t = float(p.wait_line("^kick ", 1).split()[1])
    took = float(line.split()[1]) - t
    assert p.wait_exit(5) == 3
    assert took < 0.2, f"KeyboardInterrupt {took:.3f} s after SIGINT"
