"""The mixed-language lab (the issue's acceptance): the broker from the
CLI (target/release/hypobus broker), the calc node in Python, operation
lane 1 a Python function, operation lane 2 a C program (tests/c/op_node.c,
built with gcc against include/hypobus.h and target/release/libhypobus.so),
a Python client -> 17.6918, and the original-style pyzmq client
(hypobus/examples/original/orig_client.py) -> 17.6918."""

import shutil
import subprocess

import pytest
from conftest import HERE, REPO, TARGET, WORKDIR, free_ports

import hypobus


@pytest.fixture(scope="module")
def c_op_node():
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.fail("gcc is needed to build the C operation node")
    out = WORKDIR / "op_node"
    lib = TARGET / "release"
    subprocess.run(
        [
            gcc,
            "-Wall",
            "-Wextra",
            "-Werror",
            "-std=c11",
            "-I",
            str(REPO / "include"),
            str(HERE / "c" / "op_node.c"),
            "-o",
            str(out),
            "-L",
            str(lib),
            "-lhypobus",
            f"-Wl,-rpath,{lib}",
        ],
        check=True,
        timeout=120,
    )
    return str(out)


def test_mixed_lab(procs, hypobus_bin, c_op_node):
    xsub, xpub, hb = free_ports(3)
    broker = procs.start(
        "cli-broker",
        [
            hypobus_bin,
            "broker",
            "--xsub",
            f"tcp://127.0.0.1:{xsub}",
            "--xpub",
            f"tcp://127.0.0.1:{xpub}",
            "--hb",
            f"tcp://127.0.0.1:{hb}",
        ],
    )
    brokers = f"127.0.0.1:{xsub}:{xpub}"
    c_node = procs.start("c-op-node", [c_op_node, "2", brokers], stdin=True)
    c_node.wait_line("C op node lane 2 ready", 10)
    seen = []

    def square(x):
        seen.append(x)
        return x * x

    with hypobus.CalcNode(brokers) as calc, hypobus.OpNode(1, fn=square, brokers=brokers) as op1, hypobus.Client(
        brokers
    ) as client:
        assert client.hypot(12, 13, timeout=10) == "17.6918"
        orig = procs.classic("orig-client", "orig_client.py", "12", "13", brokers)
        assert orig.wait_exit(20) == 0, orig.report()
        assert orig.lines == ["17.6918"]
        assert seen.count(12) >= 2, seen
        c_node.wait_line(r"^C square 13$", 5)
        assert calc.stats().fallbacks == 0, calc.stats()
        assert calc.stats().classic_requests >= 1
        assert op1.stats().calls >= 2
    c_node.p.stdin.close()
    assert c_node.wait_exit(10) == 0
    c_node.wait_line(r"C op node: requests [2-9]")
    assert broker.p.poll() is None, broker.report()
