"""Fork safety from Python: a program that used the library (a lab, sockets
with traffic in flight) starts children with multiprocessing's fork,
forkserver and spawn start methods, and with a bare os.fork(); each child
opens sockets and a client of its own and refuses what it inherited. The
scenario runs in a process of its own (fork_scenario.py), because the old
failure killed the parent (SIGABRT from libzmq, in 15 of 20 runs)."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import WORKDIR, child_env

SCENARIO = Path(__file__).resolve().parent / "fork_scenario.py"


@pytest.mark.parametrize("method,rounds", [("fork", 50), ("os.fork", 50), ("forkserver", 30), ("spawn", 10)])
def test_children_use_the_library_and_the_parent_goes_on(method, rounds):
    p = subprocess.run(
        [sys.executable, "-u", str(SCENARIO), method, str(rounds)],
        cwd=WORKDIR,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert p.returncode == 0 and f"ok {rounds} rounds ({method})" in p.stdout, (
        f"exit {p.returncode}\nstdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-3000:]}"
    )
