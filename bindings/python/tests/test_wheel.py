"""`python -m build --wheel` makes a wheel that installs and runs in a
fresh virtualenv on a PATH without cargo (the library is inside it)."""

import os
import shutil
import subprocess
import sys
import venv

from conftest import PKG_SRC, child_env


def test_wheel_installs_and_runs_without_cargo(tmp_path):
    dist = tmp_path / "dist"
    b = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(PKG_SRC)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    for junk in ("build", "hypobus.egg-info"):
        shutil.rmtree(PKG_SRC / junk, ignore_errors=True)
    assert b.returncode == 0, b.stdout[-3000:] + b.stderr[-3000:]
    wheels = list(dist.glob("hypobus-*.whl"))
    assert len(wheels) == 1, wheels
    assert "linux" in wheels[0].name

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    # A PATH with the virtualenv and the system's directories, none holding cargo.
    path = [str(env_dir / "bin")] + [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and not os.path.exists(os.path.join(d, "cargo")) and ".cargo" not in d
    ]
    env = child_env(PATH=os.pathsep.join(path))
    env.pop("HYPOBUS_LIB", None)
    env.pop("CARGO_HOME", None)
    assert shutil.which("cargo", path=env["PATH"]) is None
    py = str(env_dir / "bin" / "python")
    r = subprocess.run(
        [py, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", "-q", str(wheels[0])],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [py, "-c", "import hypobus; print(hypobus.LIB_PATH)"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 0 and r.stdout.startswith(str(env_dir)), (r.stdout, r.stderr)
    r = subprocess.run(
        [py, "-m", "hypobus.examples.lab_roles", "12", "13"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 0 and r.stdout == "17.6918\n", (r.stdout, r.stderr)
    # The wheel's library was built with libzmq's Linux features (.cargo/config.toml):
    # a new socket's mailbox is an eventfd, not a socketpair.
    probe = (
        "import os, hypobus.zmq as zmq\n"
        "def fds():\n"
        "    return {n: os.readlink(f'/proc/self/fd/{n}') for n in os.listdir('/proc/self/fd')"
        " if os.path.exists(f'/proc/self/fd/{n}')}\n"
        "c = zmq.Context(); a = c.socket(zmq.PAIR); before = fds(); b = c.socket(zmq.REQ)\n"
        "new = [t for n, t in fds().items() if n not in before]\n"
        "print('socketpairs', sum(t.startswith('socket:') for t in new))\n"
    )
    r = subprocess.run([py, "-c", probe], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "socketpairs 0\n", (r.stdout, r.stderr)
