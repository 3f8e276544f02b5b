"""Fixtures for the Python binding's tests: the repository, the hypobus
CLI, processes that are always ended by PID, free ports, and a check that
no test leaves a thread of the binding (or any non-daemon thread) behind.

The tests use the INSTALLED package (run-tests.sh installs it with pip into
a fresh virtualenv); child processes run with a working directory outside
the source tree so that they import it too."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PKG_SRC = HERE.parent
REPO = PKG_SRC.parent.parent
CLASSIC = REPO / "tests" / "classic"
ORIGINAL = PKG_SRC / "hypobus" / "examples" / "original"  # the original lab's programs (orig_*.py)
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")  # where cargo put the library and the CLI
WORKDIR = Path(tempfile.mkdtemp(prefix="hypobus-py-tests-"))


def child_env(**extra):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def hypobus_bin():
    path = Path(os.environ.get("HYPOBUS_BIN", TARGET / "release" / "hypobus"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: run-tests.sh builds it (cargo build --release)")
    return str(path)


_NEXT = [20000 + (os.getpid() * 131) % 10000]


def free_ports(n):
    """n distinct free TCP ports below the ephemeral range (no outgoing
    connection can take one between this check and its use)."""
    out = []
    while len(out) < n:
        p = _NEXT[0] % 12000 + 20000
        _NEXT[0] += 1
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", p))
            out.append(p)
        except OSError:
            pass
        finally:
            s.close()
    return out


class Proc:
    """A child process; its stdout lines are collected by a thread so a test
    can wait (bounded) for a line."""

    def __init__(self, name, argv, env=None, cwd=None, stdin=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.lines, self.err = [], []
        self._cv = threading.Condition()
        self.p = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env or child_env(),
            cwd=cwd or WORKDIR,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        )
        self._threads = [
            threading.Thread(target=self._read, args=(self.p.stdout, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.p.stderr, self.err), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _read(self, stream, into):
        for line in stream:
            with self._cv:
                into.append(line.rstrip("\n"))
                self._cv.notify_all()
        with self._cv:
            self._cv.notify_all()

    @property
    def pid(self):
        return self.p.pid

    def wait_line(self, pattern, timeout=10.0, start=0):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for line in self.lines[start:]:
                    if rx.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.p.poll() is not None and not any(t.is_alive() for t in self._threads)):
                    pytest.fail(f"{self.name}: no line matching {pattern!r} within {timeout} s\n{self.report()}")
                self._cv.wait(min(left, 0.1))

    def wait_exit(self, timeout):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} still running after {timeout} s\n{self.report()}")
        for t in self._threads:
            t.join(5)
        return rc

    def stop(self, sig=signal.SIGINT, timeout=5.0):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        for t in self._threads:
            t.join(2)
        for f in (self.p.stdout, self.p.stderr, self.p.stdin):
            if f:
                try:
                    f.close()
                except Exception:
                    pass
        return self.p.returncode

    def report(self):
        out = "\n".join(f"    {l}" for l in self.lines[-40:])
        err = "\n".join(f"    {l}" for l in self.err[-40:])
        return f"--- {self.name} (pid {self.pid}, exit {self.p.poll()}) {' '.join(self.argv)}\n  stdout:\n{out}\n  stderr:\n{err}"


class Procs:
    def __init__(self):
        self.all = []

    def start(self, name, argv, **kw):
        p = Proc(name, argv, **kw)
        self.all.append(p)
        return p

    def python(self, name, *args, **kw):
        """A Python child (the test's interpreter, so the installed package); args after -u."""
        return self.start(name, [sys.executable, "-u", *args], **kw)

    def example(self, name, *args, **kw):
        return self.python(name, "-m", f"hypobus.examples.{name}", *args, **kw)

    def classic(self, name, script, *args, **kw):
        """A classic peer with real pyzmq: an original program (orig_*.py) or a course program of tests/classic."""
        path = ORIGINAL / script if script.startswith("orig_") else CLASSIC / script
        return self.python(name, str(path), *args, **kw)

    def stop_all(self):
        for p in reversed(self.all):
            p.stop(signal.SIGTERM if "orig_" in " ".join(p.argv) else signal.SIGINT)

    def report(self):
        return "\n".join(p.report() for p in self.all)


@pytest.fixture
def procs(request):
    ps = Procs()
    try:
        yield ps
    finally:
        ps.stop_all()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(ps.report())


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


# Threads a test may leave: the reader threads of Proc (daemon, end with
# their process) and the binding's one deferred-send flusher (idle when
# nothing is deferred).
_ALLOWED = ("hypobus-zmq-flush",)


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        left = [
            t
            for t in threading.enumerate()
            if t not in before
            and t.is_alive()
            and t.name not in _ALLOWED
            and not (t.daemon and t.name.startswith("Thread-") and "_read" in t.name)
        ]
        left = [
            t
            for t in left
            if not (
                t.daemon and getattr(t, "_target", None) is not None and getattr(t._target, "__name__", "") == "_read"
            )
        ]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not left, f"threads left behind: {[t.name for t in left]}"


@pytest.fixture
def lab():
    import hypobus

    with hypobus.Lab() as lab:
        yield lab
