"""The C ABI of libhypobus declared for ctypes, as a binding author would,
for the ABI tests in this folder (the real Python binding lives in
bindings/python). Loads target/release/libhypobus.so, or $HYPOBUS_LIB."""

import ctypes
import importlib.util
import os
import pathlib
from ctypes import (
    POINTER,
    Structure,
    byref,
    c_char_p,
    c_double,
    c_int16,
    c_int32,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
    create_string_buffer,
)

ROOT = pathlib.Path(__file__).resolve().parents[3]
LIB_PATH = os.environ.get("HYPOBUS_LIB") or str(ROOT / "target" / "release" / "libhypobus.so")
lib = ctypes.CDLL(LIB_PATH)


def _generated_abi():
    """The table generated from the header (bindings/python/hypobus/_abi.py, ctypes only), read by
    path: importing the hypobus package would load its own library."""
    path = ROOT / "bindings" / "python" / "hypobus" / "_abi.py"
    spec = importlib.util.spec_from_file_location("hb_generated_abi", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_ABI = _generated_abi()
STATUS = list(_ABI.STATUS_NAMES)
HB_OK, HB_TIMEOUT, HB_INVALID_ARGUMENT, HB_INVALID_HANDLE, HB_CONFIG, HB_REMOTE, HB_ZMQ = (
    _ABI.HB_OK,
    _ABI.HB_TIMEOUT,
    _ABI.HB_INVALID_ARGUMENT,
    _ABI.HB_INVALID_HANDLE,
    _ABI.HB_CONFIG,
    _ABI.HB_REMOTE,
    _ABI.HB_ZMQ,
)
HB_STOPPED, HB_BUFFER_TOO_SMALL, HB_PANIC, HB_INTERRUPTED, HB_BUSY, HB_FORKED = (
    _ABI.HB_STOPPED,
    _ABI.HB_BUFFER_TOO_SMALL,
    _ABI.HB_PANIC,
    _ABI.HB_INTERRUPTED,
    _ABI.HB_BUSY,
    _ABI.HB_FORKED,
)
HB_TEXT_MAX = 512
HB_POLLIN = 1

OPFN = ctypes.CFUNCTYPE(c_int32, c_void_p, c_double, POINTER(c_double))
EVENTFN = ctypes.CFUNCTYPE(None, c_void_p, c_uint64, c_int32, c_char_p)


class OpStats(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("callback_running", c_uint32),
        ("requests", c_uint64),
        ("replies", c_uint64),
        ("errors", c_uint64),
        ("ignored", c_uint64),
    ]


class PollItem(Structure):
    _fields_ = [("handle", c_void_p), ("events", c_int16), ("revents", c_int16)]


def _fn(name, restype, *args):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(args)
    return f


S = c_int32  # hb_status
hb_last_error = _fn("hb_last_error", S, c_char_p, c_size_t, POINTER(c_size_t))
hb_error_info = _fn(
    "hb_error_info", S, c_void_p, POINTER(c_int32), POINTER(c_int32), c_char_p, c_size_t, POINTER(c_size_t)
)
hb_broker_new = _fn("hb_broker_new", S, c_char_p, c_char_p, c_char_p, c_uint32, POINTER(c_void_p))
hb_broker_endpoint = _fn("hb_broker_endpoint", S, c_void_p, c_int32, c_char_p, c_size_t, POINTER(c_size_t))
hb_broker_free = _fn("hb_broker_free", S, c_void_p)
hb_calc_new = _fn("hb_calc_new", S, c_char_p, c_uint32, POINTER(c_void_p))
hb_calc_free = _fn("hb_calc_free", S, c_void_p)
hb_op_new = _fn("hb_op_new", S, c_char_p, c_uint32, OPFN, c_void_p, POINTER(c_void_p))
hb_op_stats = _fn("hb_op_stats", S, c_void_p, POINTER(OpStats))
hb_op_stop = _fn("hb_op_stop", S, c_void_p)
hb_op_free = _fn("hb_op_free", S, c_void_p)
hb_op_pull_new = _fn("hb_op_pull_new", S, c_char_p, c_uint32, POINTER(c_void_p))
hb_op_pull_recv = _fn(
    "hb_op_pull_recv", S, c_void_p, c_int32, POINTER(c_uint64), POINTER(c_double), c_char_p, c_size_t, POINTER(c_size_t)
)
hb_op_pull_reply = _fn("hb_op_pull_reply", S, c_void_p, c_uint64, c_double)
hb_op_pull_free = _fn("hb_op_pull_free", S, c_void_p)
hb_client_new = _fn("hb_client_new", S, c_char_p, c_int32, c_uint32, POINTER(c_void_p))
hb_client_hypot = _fn(
    "hb_client_hypot", S, c_void_p, c_char_p, c_char_p, c_int32, c_char_p, c_size_t, POINTER(c_size_t)
)
hb_client_submit = _fn("hb_client_submit", S, c_void_p, c_char_p, c_char_p, c_int32, POINTER(c_uint64))
hb_client_next = _fn(
    "hb_client_next", S, c_void_p, c_int32, POINTER(c_uint64), POINTER(c_int32), c_char_p, c_size_t, POINTER(c_size_t)
)
hb_client_in_flight = _fn("hb_client_in_flight", S, c_void_p, POINTER(c_uint32))
hb_client_free = _fn("hb_client_free", S, c_void_p)
hb_failover_new = _fn(
    "hb_failover_new",
    S,
    c_int32,
    c_char_p,
    c_char_p,
    c_char_p,
    c_uint32,
    c_char_p,
    c_uint32,
    c_uint32,
    c_char_p,
    EVENTFN,
    c_void_p,
    POINTER(c_void_p),
)
hb_failover_next_event = _fn(
    "hb_failover_next_event",
    S,
    c_void_p,
    c_int32,
    POINTER(c_uint64),
    POINTER(c_int32),
    c_char_p,
    c_size_t,
    POINTER(c_size_t),
)
hb_failover_free = _fn("hb_failover_free", S, c_void_p)
hb_wait_any = _fn("hb_wait_any", S, POINTER(c_void_p), c_size_t, c_int32, POINTER(c_size_t))
hb_poll = _fn("hb_poll", S, POINTER(PollItem), c_size_t, c_int32, POINTER(c_size_t))


def last_error():
    buf = create_string_buffer(512)
    hb_last_error(buf, len(buf), None)
    return buf.value.decode()


def handle_error(h):
    st, errno = c_int32(), c_int32()
    buf = create_string_buffer(512)
    assert hb_error_info(h, byref(st), byref(errno), buf, len(buf), None) == HB_OK
    return st.value, errno.value, buf.value.decode()


def check(st, what):
    if st != HB_OK:
        raise AssertionError(f"{what}: {STATUS[st] if 0 <= st < len(STATUS) else st}: {last_error()}")


class Lab:
    """A broker on free loopback ports, a calc node and the built-in op
    nodes for the lanes not given, all in this process through the ABI."""

    def __init__(self, op_lanes=(1, 2), calc_timeout_ms=2000):
        self.broker = c_void_p()
        check(hb_broker_new(b"tcp://127.0.0.1:*", b"tcp://127.0.0.1:*", b"", 0, byref(self.broker)), "broker")
        eps = []
        for which in (0, 1):
            buf = create_string_buffer(256)
            check(hb_broker_endpoint(self.broker, which, buf, len(buf), None), "endpoint")
            eps.append(buf.value.decode())
        self.brokers = f"{eps[0]}|{eps[1]}".encode()
        self.calc = c_void_p()
        check(hb_calc_new(self.brokers, calc_timeout_ms, byref(self.calc)), "calc")
        self.ops = []
        for lane in op_lanes:
            op = c_void_p()
            check(hb_op_new(self.brokers, lane, OPFN(), None, byref(op)), f"op {lane}")
            self.ops.append(op)

    def close(self):
        for op in self.ops:
            hb_op_free(op)
        hb_calc_free(self.calc)
        hb_broker_free(self.broker)
