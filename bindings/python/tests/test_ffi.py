"""The ctypes layer: every function of the header is declared with
argtypes and restype matching the header; the loader's order, its error
naming every path tried, and its ABI check."""

import ctypes
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import PKG_SRC, REPO, TARGET, WORKDIR, child_env

import hypobus
from hypobus import _ffi

HEADER = (REPO / "include" / "hypobus.h").read_text()


def header_functions():
    body = HEADER[HEADER.index('extern "C" {') :]
    out = {}
    for name, args in re.findall(r"\nhb_status (hb_\w+)\(([^)]*)\);", body, re.S):
        out[name] = [" ".join(a.split()) for a in args.split(",")]
    return out


def kind(c_arg):
    t = c_arg.rsplit(" ", 1)[0] if not c_arg.endswith("*") else c_arg
    if "*" in c_arg or c_arg.split()[0] in ("hb_op_fn", "hb_failover_event_fn", "hb_task_fn"):
        return "ptr"
    return {"size_t": "u64", "uint64_t": "u64", "int64_t": "i64", "int32_t": "i32", "uint32_t": "u32", "double": "f64"}[
        t.split()[0]
    ]


def pykind(t):
    if (
        t in (ctypes.c_void_p, ctypes.c_char_p)
        or getattr(t, "_type_", None) is not None
        and t.__name__.startswith("CFunctionType")
    ):
        return "ptr"
    if isinstance(t, type) and issubclass(t, ctypes._CFuncPtr):
        return "ptr"
    return {
        ctypes.c_size_t: "u64",
        ctypes.c_uint64: "u64",
        ctypes.c_int64: "i64",
        ctypes.c_int32: "i32",
        ctypes.c_uint32: "u32",
        ctypes.c_double: "f64",
    }[t]


def test_every_header_function_is_declared_with_matching_types():
    hdr = header_functions()
    assert len(hdr) > 70
    table = dict(_ffi.FUNCTIONS)
    assert set(table) == set(hdr), (set(hdr) - set(table), set(table) - set(hdr))
    for name, c_args in hdr.items():
        f = getattr(_ffi.F, name)
        assert f.restype is ctypes.c_int32, name
        assert len(f.argtypes) == len(c_args), name
        for i, (c, p) in enumerate(zip(c_args, f.argtypes)):
            assert kind(c) == pykind(p), f"{name} argument {i}: {c} declared as {p}"


STRUCTS = {
    "hb_broker_stats_t": "BrokerStatsC",
    "hb_calc_stats_t": "CalcStatsC",
    "hb_client_stats_t": "ClientStatsC",
    "hb_failover_stats_t": "FailoverStatsC",
    "hb_op_stats_t": "OpStatsC",
    "hb_proxy_stats_t": "ProxyStatsC",
    "hb_socket_event_t": "SocketEventC",
    "hb_send_args_t": "SendArgs",
    "hb_recv_args_t": "RecvArgs",
    "hb_broker_config_t": "BrokerConfig",
    "hb_poll_item": "PollItem",
    "hb_task_broker_config_t": "TaskBrokerConfig",
    "hb_task_broker_stats_t": "TaskBrokerStatsC",
    "hb_task_worker_config_t": "TaskWorkerConfig",
    "hb_task_worker_stats_t": "TaskWorkerStatsC",
    "hb_task_client_config_t": "TaskClientConfig",
    "hb_task_client_stats_t": "TaskClientStatsC",
}


def test_structs_have_the_sizes_and_offsets_a_c_compiler_gives(tmp_path):
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.fail("gcc is needed for this test")
    lines = ["#include <stdio.h>", "#include <stddef.h>", '#include "hypobus.h"', "int main(void) {"]
    for c, py in STRUCTS.items():
        lines.append(f'    printf("{c} %zu\\n", sizeof({c}));')
        for field, _t in getattr(_ffi, py)._fields_:
            lines.append(f'    printf("{c}.{field} %zu\\n", offsetof({c}, {field}));')
    lines += ["    return 0;", "}"]
    src = tmp_path / "sizes.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "sizes"
    subprocess.run([gcc, "-I", str(REPO / "include"), str(src), "-o", str(exe)], check=True, timeout=60)
    c_says = dict(
        l.split() for l in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    )
    for c, py in STRUCTS.items():
        cls = getattr(_ffi, py)
        assert ctypes.sizeof(cls) == int(c_says[c]), c
        for field, _t in cls._fields_:
            assert getattr(cls, field).offset == int(c_says[f"{c}.{field}"]), f"{c}.{field}"


def test_abi_version_checked():
    assert hypobus.ABI_VERSION[0] == 1 and hypobus.ABI_VERSION[1] >= 1
    assert hypobus.__version__ == _ffi.version()


def run(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=child_env(**env), cwd=WORKDIR
    )


def test_loader_prefers_hypobus_lib_then_the_package():
    repo_lib = str(TARGET / "release" / "libhypobus.so")
    p = run("import hypobus; print(hypobus.LIB_PATH)", HYPOBUS_LIB=repo_lib)
    assert p.returncode == 0 and p.stdout.strip() == repo_lib, p.stderr
    p = run("import hypobus; print(hypobus.LIB_PATH)")
    assert p.returncode == 0 and "_libhypobus" in p.stdout and "site-packages" in p.stdout, p.stderr
    p = run("import hypobus", HYPOBUS_LIB="/nonexistent/libhypobus.so")
    assert p.returncode != 0 and "/nonexistent/libhypobus.so" in p.stderr and "HYPOBUS_LIB" in p.stderr


def test_loader_error_names_every_path_tried(tmp_path):
    # The package sources without a library, away from any repository.
    shutil.copytree(
        PKG_SRC / "hypobus",
        tmp_path / "a" / "b" / "c" / "hypobus",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    p = subprocess.run(
        [sys.executable, "-c", "import hypobus"],
        capture_output=True,
        text=True,
        timeout=30,
        env=child_env(PYTHONPATH=str(tmp_path / "a" / "b" / "c")),
        cwd=WORKDIR,
    )
    assert p.returncode != 0
    assert "LibraryNotFound" in p.stderr and "tried:" in p.stderr
    assert str(tmp_path / "a" / "b" / "c" / "hypobus" / "_libhypobus") in p.stderr
    assert str(tmp_path / "a" / "target" / "release" / "libhypobus.so") in p.stderr
    assert "pip install ./bindings/python" in p.stderr


def test_loader_refuses_another_abi_major(tmp_path):
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.fail("gcc is needed for this test")
    src = tmp_path / "fake.c"
    src.write_text(
        "#include <stdint.h>\nint hb_abi_version(uint32_t *a, uint32_t *b) { if (a) *a = 2; if (b) *b = 0; return 0; }\n"
    )
    lib = tmp_path / "libfake.so"
    subprocess.run([gcc, "-shared", "-fPIC", str(src), "-o", str(lib)], check=True, timeout=60)
    p = run("import hypobus", HYPOBUS_LIB=str(lib))
    need = f"needs {_ffi.HB_ABI_VERSION_MAJOR}.{_ffi.HB_ABI_VERSION_MINOR}"
    assert p.returncode != 0 and "C ABI 2.0" in p.stderr and need in p.stderr, p.stderr


def test_errors_carry_the_library_message():
    with pytest.raises(hypobus.ConfigError) as e:
        hypobus.Broker("tcp://256.1.1.1:1", "tcp://127.0.0.1:*", hb="")
    err = e.value
    assert isinstance(err, hypobus.HypobusError) and err.status == 4 and err.name == "HB_CONFIG"
    assert "256.1.1.1" in str(err)
    assert issubclass(hypobus.Timeout, TimeoutError) and issubclass(hypobus.InvalidArgument, ValueError)


def test_the_packaged_library_signals_with_eventfd():
    """The library pip built into the package has libzmq's Linux features
    (.cargo/config.toml): a new socket's mailbox is an eventfd, not a
    socketpair (two unix-socket syscalls more per message)."""
    import hypobus.zmq as zmq

    def fds():
        out = {}
        for n in os.listdir("/proc/self/fd"):
            try:
                out[n] = os.readlink(f"/proc/self/fd/{n}")
            except OSError:
                pass
        return out

    ctx = zmq.Context()
    first = ctx.socket(zmq.PAIR)  # the process-wide context and its threads exist from here on
    before = fds()
    s = ctx.socket(zmq.REQ)
    try:
        new = {n: t for n, t in fds().items() if n not in before}
        assert any("eventfd" in t for t in new.values()), new
        assert not [t for t in new.values() if t.startswith("socket:")], f"socketpair signalers: {new}"
    finally:
        s.close(linger=0)
        first.close(linger=0)
