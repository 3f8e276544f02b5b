"""Fixtures for the classic-peer tests: the hypobus binary, free ports, and
processes that are always ended (by PID) when a test finishes."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# The original lab's programs (orig_*.py), one copy, shipped with the Python package.
ORIGINAL = REPO / "bindings" / "python" / "hypobus" / "examples" / "original"


@pytest.fixture(scope="session")
def hypobus_bin():
    """Path of the `hypobus` binary: $HYPOBUS_BIN, or target/release/hypobus
    (built with `cargo build --release` if it is missing)."""
    env = os.environ.get("HYPOBUS_BIN")
    if env:
        path = Path(env)
        if not path.is_file():
            pytest.fail(f"HYPOBUS_BIN={env} is not a file")
        return str(path)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    path = target / "release" / "hypobus"
    if not path.is_file():
        subprocess.run(["cargo", "build", "--release", "--bin", "hypobus"], cwd=REPO, check=True, timeout=900)
    if not path.is_file():
        pytest.fail(f"{path} was not built")
    return str(path)


_NEXT_PORT = [20000 + (os.getpid() * 97) % 10000]


def free_ports(n):
    """n distinct free TCP ports below the kernel's ephemeral range (32768+),
    so no outgoing connection can take one between this check and its use."""
    ports = []
    while len(ports) < n:
        p = _NEXT_PORT[0] % 12000 + 20000
        _NEXT_PORT[0] += 1
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", p))
            ports.append(p)
        except OSError:
            pass
        finally:
            s.close()
    return ports


class Proc:
    """A child process whose stdout lines are collected by a thread, so a test
    can wait (bounded) for a line, and whose stderr is kept for reports."""

    def __init__(self, name, argv):
        self.name = name
        self.argv = argv
        self.lines = []
        self.err = []
        self._cv = threading.Condition()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
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

    def wait_line(self, pattern, timeout=5.0, start=0):
        """The first stdout line (from index `start`) matching the regex
        `pattern`, waiting at most `timeout` s; fails the test otherwise."""
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
        # The exit comes before the readers took its last lines: wait for
        # them (bounded), or a caller reads `lines` too early under load.
        for t in self._threads:
            t.join(5)
        return rc

    def stop(self, sig=signal.SIGINT, timeout=5.0):
        """Send `sig` to this process (by PID), wait for it, kill it if it
        hangs; returns the exit status."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        for t in self._threads:
            t.join(2)
        return self.p.returncode

    def report(self):
        out = "\n".join(f"    {l}" for l in self.lines[-30:])
        err = "\n".join(f"    {l}" for l in self.err[-30:])
        return f"--- {self.name} (pid {self.pid}, exit {self.p.poll()}) {' '.join(self.argv)}\n  stdout:\n{out}\n  stderr:\n{err}"


class Procs:
    def __init__(self):
        self.all = []

    def start(self, name, argv):
        p = Proc(name, [str(a) for a in argv])
        self.all.append(p)
        return p

    def python(self, name, script, *args):
        path = ORIGINAL / script if script.startswith("orig_") else HERE / script
        return self.start(name, [sys.executable, "-u", str(path), *args])

    def stop_all(self):
        for p in reversed(self.all):
            # The original scripts have no clean stop: SIGTERM them; ours stop on SIGINT.
            p.stop(signal.SIGTERM if p.argv[0] == sys.executable else signal.SIGINT)

    def report(self):
        return "\n".join(p.report() for p in self.all)


@pytest.fixture
def procs(request):
    """Start processes with procs.start(...)/procs.python(...); every one is
    ended by its PID when the test ends, and their output is shown if it failed."""
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
