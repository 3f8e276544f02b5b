"""Failover with original-style programs (SPEC section 2, "Failover done right"):
our backup watching an original primary that only sends `HB` every second,
and an original backup watching our primary.

Run: python3 -m pytest tests/classic -q
"""

import signal
import subprocess
import time

from conftest import free_ports
from test_classic import our_client


def ctl(bin_, ep, cmd="status"):
    """`hypobus ctl EP CMD`: the broker's answer, or None."""
    r = subprocess.run([bin_, "ctl", ep, cmd, "--timeout-ms", "500"], capture_output=True, text=True, timeout=10)
    return r.stdout.strip() if r.returncode == 0 else None


def wait_status(bin_, ep, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = ctl(bin_, ep)
        if got == want:
            return
        time.sleep(0.05)
    raise AssertionError(f"{ep}: status {got!r}, wanted {want!r} within {timeout} s")


def our_nodes_on_both(procs, bin_, primary, backup):
    """Our operation nodes (lanes 1, 2) and calc node, connected to both
    brokers; returns a function that runs our client (also on both) for a, b."""
    both = ["--broker", primary, "--broker", backup]
    for lane in (1, 2):
        procs.start(f"op{lane}", [bin_, "op", "--lane", lane, *both]).wait_line(r"^op lane \d ready")
    procs.start("calc", [bin_, "calc", *both]).wait_line(r"^calc ready")
    return lambda a, b: our_client(procs, bin_, primary, a, b, "--broker", backup)


def test_our_backup_watching_an_original_primary(procs, hypobus_bin):
    pxsub, pxpub, phb = free_ports(3)
    orig = procs.python("orig_primary", "orig_primary.py", pxsub, pxpub, phb, "127.0.0.1")
    orig.wait_line(r"^primary broker ready")
    bxsub, bxpub, bhb, bctl = free_ports(4)
    backup = procs.start(
        "backup",
        [
            hypobus_bin,
            "broker",
            "--role",
            "backup",
            "--xsub",
            f"tcp://127.0.0.1:{bxsub}",
            "--xpub",
            f"tcp://127.0.0.1:{bxpub}",
            "--hb",
            f"tcp://127.0.0.1:{bhb}",
            "--ctl",
            f"tcp://127.0.0.1:{bctl}",
            "--peer-hb",
            f"tcp://127.0.0.1:{phb}",
            "--peer-interval-ms",
            "1000",
        ],
    )
    ctl_ep = f"tcp://127.0.0.1:{bctl}"
    wait_status(hypobus_bin, ctl_ep, "backup passive")
    ask = our_nodes_on_both(procs, hypobus_bin, f"127.0.0.1:{pxsub}:{pxpub}", f"127.0.0.1:{bxsub}:{bxpub}")
    assert ask("12", "13") == ["17.6918"]
    # Standby while the original beats (its window is 3 x 1 s): watch past one window.
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        assert ctl(hypobus_bin, ctl_ep) == "backup passive"
        time.sleep(0.25)
    # The original primary dies: our backup takes over, requests work through it.
    orig.stop(signal.SIGKILL)
    wait_status(hypobus_bin, ctl_ep, "backup active", timeout=8)
    assert ask("3", "4") == ["5.0000"]
    backup.wait_line(r"^event backup: active")


def test_original_backup_watching_our_primary(procs, hypobus_bin):
    pxsub, pxpub, phb, pctl, unused_hb = free_ports(5)
    ctl_ep = f"tcp://127.0.0.1:{pctl}"
    primary = procs.start(
        "primary",
        [
            hypobus_bin,
            "broker",
            "--role",
            "primary",
            "--xsub",
            f"tcp://127.0.0.1:{pxsub}",
            "--xpub",
            f"tcp://127.0.0.1:{pxpub}",
            "--hb",
            f"tcp://127.0.0.1:{phb}",
            "--ctl",
            ctl_ep,
            # The original backup sends no heartbeat of its own.
            "--peer-hb",
            f"tcp://127.0.0.1:{unused_hb}",
        ],
    )
    bxsub, bxpub = free_ports(2)
    orig = procs.python("orig_backup", "orig_backup.py", f"tcp://127.0.0.1:{phb}", bxsub, bxpub, "127.0.0.1")
    orig.wait_line(r"^backup standby: watching")
    wait_status(hypobus_bin, ctl_ep, "primary active")
    ask = our_nodes_on_both(procs, hypobus_bin, f"127.0.0.1:{pxsub}:{pxpub}", f"127.0.0.1:{bxsub}:{bxpub}")
    assert ask("12", "13") == ["17.6918"]
    # The original backup hears our `HB` and stays in standby past its 3 s window.
    start = len(orig.lines)
    orig.wait_line(r"^backup standby: heartbeat", timeout=3, start=start)
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        assert not any("taking over" in l for l in orig.lines), orig.report()
        time.sleep(0.25)
    # Our primary dies: the original backup takes over, and our nodes follow it.
    primary.stop(signal.SIGKILL)
    orig.wait_line(r"^backup broker active", timeout=8)
    assert ask("3", "4") == ["5.0000"]
