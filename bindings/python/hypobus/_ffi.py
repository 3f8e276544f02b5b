"""The C ABI of libhypobus (include/hypobus.h, ABI 1.1 or a later 1.x) declared for ctypes.

Finds the library, checks its ABI version, gives every function its
argtypes and restype, and turns a failed status into an exception carrying
the library's own explanation (hb_error_info). Nothing else in the package
touches ctypes' CDLL.

Where the library comes from, in order:
  1. $HYPOBUS_LIB (a path to libhypobus.so);
  2. the copy inside this package (_libhypobus*.so, put there by
     `pip install` / the wheel);
  3. the repository's target/release/libhypobus.so (running from a checkout).
"""

from __future__ import annotations

import ctypes
import glob
import os
import pathlib
import sys
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char_p, c_double, c_int16, c_int32, c_int64, c_size_t,
                    c_uint32, c_uint64, c_void_p, create_string_buffer)

from .errors import error_for

ABI_MAJOR = 1
ABI_MINOR_NEEDED = 3  # 1.1: hb_socket_recv_many, _send_many, _send_args, _recv_args; 1.2: HB_FORKED; 1.3: hb_socket_monitor_endpoint
TEXT_MAX = 512

HERE = pathlib.Path(__file__).resolve().parent


class LibraryNotFound(ImportError):
    """libhypobus could not be loaded from any of the places tried."""


def candidates():
    """The paths the loader tries, in order, with where each came from."""
    out = []
    env = os.environ.get("HYPOBUS_LIB")
    if env:
        out.append(("$HYPOBUS_LIB", env))
    packaged = sorted(glob.glob(str(HERE / "_libhypobus*.so"))) + sorted(glob.glob(str(HERE / "libhypobus*.so")))
    if packaged:
        out.extend(("the package", p) for p in packaged)
    else:
        out.append(("the package", str(HERE / "_libhypobus<EXT_SUFFIX>.so")))
    # bindings/python/hypobus/_ffi.py -> the repository root is 3 levels up.
    repo = HERE.parents[2]
    out.append(("the repository", str(repo / "target" / "release" / "libhypobus.so")))
    return out


def _load():
    tried = []
    for where, path in candidates():
        if not os.path.isfile(path):
            tried.append(f"{path} ({where}: no such file)")
            if where == "$HYPOBUS_LIB":
                # An explicit choice that is wrong is an error, not a hint to look elsewhere.
                break
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({where}: {e})")
            if where == "$HYPOBUS_LIB":
                break
            continue
        return lib, path
    raise LibraryNotFound(
        "cannot load libhypobus; tried:\n  " + "\n  ".join(tried) +
        "\nInstall the package (pip install ./bindings/python), build the library "
        "(cargo build --release in the repository), or set HYPOBUS_LIB to the path of libhypobus.so.")


lib, LIB_PATH = _load()

S = c_int32  # hb_status
P = POINTER

# Callback types (hb_op_fn, hb_failover_event_fn). The binding itself uses the
# pull-style calls; these are declared so every function has its argtypes.
OP_FN = CFUNCTYPE(c_int32, c_void_p, c_double, P(c_double))
EVENT_FN = CFUNCTYPE(None, c_void_p, c_uint64, c_int32, c_char_p)
# hb_task_fn: (user, service, req, req_len, const uint8_t **reply, size_t *reply_len) -> int32. The binding's
# TaskWorker pulls jobs (hb_task_worker_recv) on Python threads instead; declared for completeness.
TASK_FN = CFUNCTYPE(c_int32, c_void_p, c_char_p, c_void_p, c_size_t, c_void_p, c_void_p)


class BrokerConfig(Structure):
    _fields_ = [("size", c_uint32), ("hb_interval_ms", c_uint32), ("xsub", c_char_p), ("xpub", c_char_p),
                ("hb", c_char_p), ("inproc_name", c_char_p), ("start_passive", c_int32), ("reserved", c_uint32)]


class BrokerStatsC(Structure):
    _fields_ = [("size", c_uint32), ("reserved", c_uint32), ("forwarded", c_uint64), ("dropped_passive", c_uint64),
                ("subscriptions", c_uint64), ("unsubscriptions", c_uint64), ("heartbeats", c_uint64)]


class CalcStatsC(Structure):
    _fields_ = [("size", c_uint32), ("reserved", c_uint32), ("requests", c_uint64), ("classic_requests", c_uint64),
                ("results", c_uint64), ("errors", c_uint64), ("fallbacks", c_uint64), ("squares_received", c_uint64),
                ("duplicates", c_uint64), ("bad_messages", c_uint64), ("expired", c_uint64), ("in_flight", c_uint64)]


class ClientStatsC(Structure):
    _fields_ = [("size", c_uint32), ("reserved", c_uint32), ("requests", c_uint64), ("resent", c_uint64),
                ("answers", c_uint64), ("duplicates", c_uint64), ("timeouts", c_uint64), ("cancelled", c_uint64),
                ("queued", c_uint64)]


class FailoverStatsC(Structure):
    _fields_ = [("size", c_uint32), ("active", c_uint32), ("activations", c_uint64), ("deactivations", c_uint64),
                ("heartbeats", c_uint64), ("peer_heartbeats", c_uint64), ("peer_silent_ms", c_uint64)]


class OpStatsC(Structure):
    _fields_ = [("size", c_uint32), ("callback_running", c_uint32), ("requests", c_uint64), ("replies", c_uint64),
                ("errors", c_uint64), ("ignored", c_uint64)]


class ProxyStatsC(Structure):
    _fields_ = [("size", c_uint32), ("paused", c_uint32), ("running", c_uint32), ("reserved", c_uint32),
                ("to_backend_msgs", c_uint64), ("to_backend_bytes", c_uint64), ("to_frontend_msgs", c_uint64),
                ("to_frontend_bytes", c_uint64), ("dropped", c_uint64)]


class SocketEventC(Structure):
    _fields_ = [("size", c_uint32), ("event", c_int32), ("value", c_int64), ("dropped", c_uint64)]


class SendArgs(Structure):
    _fields_ = [("size", c_uint32), ("flags", c_int32), ("timeout_ms", c_int32), ("reserved", c_uint32),
                ("socket", c_void_p), ("data", c_void_p), ("sizes", c_void_p), ("nframes", c_size_t)]


class RecvArgs(Structure):
    _fields_ = [("size", c_uint32), ("timeout_ms", c_int32), ("socket", c_void_p), ("buf", c_void_p),
                ("len", c_size_t), ("sizes", c_void_p), ("max_frames", c_size_t), ("counts", c_void_p),
                ("max_msgs", c_size_t), ("nmsgs", c_size_t), ("nframes", c_size_t), ("total", c_size_t)]


class TaskBrokerConfig(Structure):
    _fields_ = [("size", c_uint32), ("policy", c_int32), ("frontend", c_char_p), ("backend", c_char_p),
                ("store", c_char_p), ("name", c_char_p), ("state", c_char_p), ("peers", c_char_p),
                ("answer_timeout_ms", c_uint32), ("max_attempts", c_uint32), ("hb_interval_ms", c_uint32),
                ("liveness", c_uint32), ("service_wait_ms", c_uint32), ("peer_interval_ms", c_uint32),
                ("full_sync", c_int32), ("reserved", c_uint32)]


class TaskBrokerStatsC(Structure):
    _fields_ = [("size", c_uint32), ("reserved", c_uint32), ("requests", c_uint64), ("recovered", c_uint64),
                ("resends", c_uint64), ("replies", c_uint64), ("errors", c_uint64), ("dispatched", c_uint64),
                ("timeouts", c_uint64), ("late", c_uint64), ("registered", c_uint64), ("purged", c_uint64),
                ("workers", c_uint64), ("pending", c_uint64), ("forwarded", c_uint64), ("from_peers", c_uint64),
                ("malformed", c_uint64), ("commits", c_uint64)]


class TaskWorkerConfig(Structure):
    _fields_ = [("size", c_uint32), ("threads", c_uint32), ("broker", c_char_p), ("services", c_char_p),
                ("name", c_char_p), ("hb_interval_ms", c_uint32), ("liveness", c_uint32)]


class TaskWorkerStatsC(Structure):
    _fields_ = [("size", c_uint32), ("load", c_uint32), ("callbacks_running", c_uint32), ("reserved", c_uint32),
                ("jobs", c_uint64), ("replies", c_uint64), ("errors", c_uint64), ("dropped", c_uint64),
                ("reconnects", c_uint64), ("held", c_uint64)]


class TaskClientConfig(Structure):
    _fields_ = [("size", c_uint32), ("tries", c_uint32), ("broker", c_char_p), ("name", c_char_p),
                ("timeout_ms", c_uint32), ("reserved", c_uint32)]


class TaskClientStatsC(Structure):
    _fields_ = [("size", c_uint32), ("reserved", c_uint32), ("submitted", c_uint64), ("resent", c_uint64),
                ("reconnects", c_uint64), ("completed", c_uint64), ("failed", c_uint64), ("gave_up", c_uint64),
                ("duplicates", c_uint64), ("pending_notices", c_uint64), ("in_flight", c_uint64)]


class PollItem(Structure):
    _fields_ = [("handle", c_void_p), ("events", c_int16), ("revents", c_int16)]


# Every function of the header: name, argtypes. Pointer arguments are
# c_void_p (the binding passes None, byref(...), a ctypes object, or a
# precomputed address as an int, which is the cheapest for ctypes to
# convert on the hot path); input strings are c_char_p. Every function
# returns an hb_status. tests/test_ffi.py checks this table against the
# header's declarations.
V = c_void_p
FUNCTIONS = [
    ("hb_version", [c_char_p, c_size_t, V]),
    ("hb_abi_version", [V, V]),
    ("hb_zmq_version", [V, V, V]),
    ("hb_last_error", [V, c_size_t, V]),
    ("hb_error_info", [V, V, V, V, c_size_t, V]),
    ("hb_status_name", [c_int32, V, c_size_t, V]),
    ("hb_log_enable", [c_int32]),
    ("hb_log_next", [c_int32, V, c_size_t, V]),
    ("hb_log_fd", [V]),
    ("hb_wake", [V]),
    ("hb_handle_fd", [V, V]),
    ("hb_broker_new", [c_char_p, c_char_p, c_char_p, c_uint32, V]),
    ("hb_broker_new_ex", [V, V]),
    ("hb_broker_endpoint", [V, c_int32, V, c_size_t, V]),
    ("hb_broker_stats", [V, V]),
    ("hb_broker_set_active", [V, c_int32]),
    ("hb_broker_is_active", [V, V]),
    ("hb_broker_stop", [V]),
    ("hb_broker_free", [V]),
    ("hb_calc_new", [c_char_p, c_uint32, V]),
    ("hb_calc_stats", [V, V]),
    ("hb_calc_stop", [V]),
    ("hb_calc_free", [V]),
    ("hb_client_new", [c_char_p, c_int32, c_uint32, V]),
    ("hb_client_hypot", [V, c_char_p, c_char_p, c_int32, V, c_size_t, V]),
    ("hb_client_hypot_f64", [V, c_double, c_double, c_int32, V]),
    ("hb_client_submit", [V, c_char_p, c_char_p, c_int32, V]),
    ("hb_client_cancel", [V, c_uint64]),
    ("hb_client_next", [V, c_int32, V, V, V, c_size_t, V]),
    ("hb_client_in_flight", [V, V]),
    ("hb_client_stats", [V, V]),
    ("hb_client_free", [V]),
    ("hb_failover_new", [c_int32, c_char_p, c_char_p, c_char_p, c_uint32, c_char_p, c_uint32, c_uint32, c_char_p,
                         EVENT_FN, V, V]),
    ("hb_failover_next_event", [V, c_int32, V, V, V, c_size_t, V]),
    ("hb_failover_is_active", [V, V]),
    ("hb_failover_handback", [V, c_int32]),
    ("hb_failover_stats", [V, V]),
    ("hb_failover_broker_stats", [V, V]),
    ("hb_failover_endpoint", [V, c_int32, V, c_size_t, V]),
    ("hb_failover_stop", [V]),
    ("hb_failover_free", [V]),
    ("hb_op_new", [c_char_p, c_uint32, OP_FN, V, V]),
    ("hb_op_stats", [V, V]),
    ("hb_op_stop", [V]),
    ("hb_op_free", [V]),
    ("hb_op_pull_new", [c_char_p, c_uint32, V]),
    ("hb_op_pull_recv", [V, c_int32, V, V, V, c_size_t, V]),
    ("hb_op_pull_reply", [V, c_uint64, c_double]),
    ("hb_op_pull_reply_text", [V, c_uint64, c_char_p]),
    ("hb_op_pull_reply_error", [V, c_uint64, c_char_p]),
    ("hb_op_pull_stats", [V, V]),
    ("hb_op_pull_free", [V]),
    ("hb_proxy_new", [V, V, V, V]),
    ("hb_proxy_pause", [V]),
    ("hb_proxy_resume", [V]),
    ("hb_proxy_stop", [V]),
    ("hb_proxy_wait", [V, c_int32]),
    ("hb_proxy_stats", [V, V]),
    ("hb_proxy_free", [V]),
    ("hb_socket_new", [c_int32, V]),
    ("hb_socket_free", [V]),
    ("hb_socket_bind", [V, c_char_p, V, c_size_t, V]),
    ("hb_socket_unbind", [V, c_char_p]),
    ("hb_socket_connect", [V, c_char_p]),
    ("hb_socket_disconnect", [V, c_char_p]),
    ("hb_socket_setopt", [V, c_int32, c_char_p, c_size_t]),
    ("hb_socket_setopt_int", [V, c_int32, c_int64]),
    ("hb_socket_getopt", [V, c_int32, V, c_size_t, V]),
    ("hb_socket_getopt_int", [V, c_int32, V]),
    ("hb_socket_send", [V, c_char_p, V, c_size_t, c_int32, c_int32]),
    ("hb_socket_recv", [V, c_int32, V, c_size_t, V, c_size_t, V, V]),
    ("hb_socket_recv_many", [V, c_int32, V, c_size_t, V, c_size_t, V, c_size_t, V, V]),
    ("hb_socket_send_many", [V, c_char_p, V, V, c_size_t, c_int32, c_int32, V]),
    ("hb_socket_send_args", [V]),
    ("hb_socket_recv_args", [V]),
    ("hb_socket_events", [V, V]),
    ("hb_socket_monitor", [V, c_int32]),
    ("hb_socket_next_event", [V, c_int32, V, V, c_size_t, V]),
    ("hb_socket_monitor_endpoint", [V, c_char_p, c_int32]),
    ("hb_poll", [V, c_size_t, c_int32, V]),
    ("hb_wait_any", [V, c_size_t, c_int32, V]),
    # ABI 1.2: libzmq's texts and capabilities, the process context's options
    ("hb_strerror", [c_int32, V, c_size_t, V]),
    ("hb_zmq_has", [c_char_p, V]),
    ("hb_context_set", [c_int32, c_int32]),
    ("hb_context_get", [c_int32, V]),
    ("hb_task_broker_new", [V, V]),
    ("hb_task_broker_endpoint", [V, c_int32, V, c_size_t, V]),
    ("hb_task_broker_stats", [V, V]),
    ("hb_task_broker_stop", [V]),
    ("hb_task_broker_free", [V]),
    ("hb_task_worker_new", [V, TASK_FN, V, V]),
    ("hb_task_worker_recv", [V, c_int32, V, V, c_size_t, V]),
    ("hb_task_worker_job_info", [V, c_uint64, V, c_size_t, V, V, c_size_t, V]),
    ("hb_task_worker_reply", [V, c_uint64, c_char_p, c_size_t]),
    ("hb_task_worker_reply_error", [V, c_uint64, c_char_p]),
    ("hb_task_worker_set_load", [V, c_int32]),
    ("hb_task_worker_stats", [V, V]),
    ("hb_task_worker_stop", [V]),
    ("hb_task_worker_free", [V]),
    ("hb_task_client_new", [V, V]),
    ("hb_task_client_submit", [V, c_char_p, c_char_p, c_size_t, V, c_size_t, V]),
    ("hb_task_client_submit_id", [V, c_char_p, c_char_p, c_char_p, c_size_t]),
    ("hb_task_client_fetch", [V, c_char_p]),
    ("hb_task_client_next", [V, c_int32, V, c_size_t, V, V, V, c_size_t, V]),
    ("hb_task_client_request", [V, c_char_p, c_char_p, c_size_t, c_int32, V, c_size_t, V]),
    ("hb_task_client_stats", [V, V]),
    ("hb_task_client_free", [V]),
    # The observer (hypobus watch); the binding has no class for it yet, but every function is declared.
    ("hb_watch_new", [c_char_p, c_char_p, c_uint32, V]),
    ("hb_watch_next", [V, c_int32, V, V, c_size_t, V]),
    ("hb_watch_hop", [V, c_uint64, c_uint32, V, V, c_size_t, V]),
    ("hb_watch_summary", [V, V]),
    ("hb_watch_export", [V, c_int32, c_uint32, c_char_p]),
    ("hb_watch_stop", [V]),
    ("hb_watch_free", [V]),
]


class _Funcs:
    """The declared functions as attributes (ffi.hb_socket_send ...)."""


F = _Funcs()
_missing = []
for _name, _args in FUNCTIONS:
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        _missing.append(_name)
        continue
    _f.argtypes = _args
    _f.restype = S
    setattr(F, _name, _f)

# ------------------------------------------------------------ ABI version

_maj, _min = c_uint32(), c_uint32()
F.hb_abi_version(byref(_maj), byref(_min))
ABI_VERSION = (_maj.value, _min.value)
if _maj.value != ABI_MAJOR or _min.value < ABI_MINOR_NEEDED:
    raise LibraryNotFound(
        f"{LIB_PATH} has C ABI {_maj.value}.{_min.value}; this binding needs {ABI_MAJOR}.{ABI_MINOR_NEEDED} or a "
        f"later {ABI_MAJOR}.x: install the package again or point HYPOBUS_LIB at a matching libhypobus.so")
if _missing:
    raise LibraryNotFound(f"{LIB_PATH} (ABI {_maj.value}.{_min.value}) lacks {', '.join(_missing)}: it is older than "
                          "this binding; rebuild it (cargo build --release) or install the package again")

# ------------------------------------------------------------ statuses and errors

STATUS_NAMES = ["HB_OK", "HB_TIMEOUT", "HB_INVALID_ARGUMENT", "HB_INVALID_HANDLE", "HB_CONFIG", "HB_REMOTE", "HB_ZMQ",
                "HB_STOPPED", "HB_BUFFER_TOO_SMALL", "HB_PANIC", "HB_INTERRUPTED", "HB_BUSY", "HB_FORKED"]
(HB_OK, HB_TIMEOUT, HB_INVALID_ARGUMENT, HB_INVALID_HANDLE, HB_CONFIG, HB_REMOTE, HB_ZMQ, HB_STOPPED,
 HB_BUFFER_TOO_SMALL, HB_PANIC, HB_INTERRUPTED, HB_BUSY, HB_FORKED) = range(13)

HB_POLLIN, HB_POLLOUT, HB_POLLERR, HB_POLLMON, HB_POLLWAKE = 1, 2, 4, 8, 16
HB_SNDMORE, HB_DONTWAIT = 2, 1
HB_TASK_LRU, HB_TASK_LOAD = 0, 1
HB_TASK_FRONTEND, HB_TASK_BACKEND, HB_TASK_STATE = 0, 1, 2
HB_TASK_OK, HB_TASK_FAILED, HB_TASK_GAVE_UP, HB_TASK_UNKNOWN = 0, 1, 2, 3

_tls_status, _tls_errno, _tls_len = c_int32(), c_int32(), c_size_t()


def error_info(handle=None):
    """(status, errno, message) of the last failure on `handle` (from any
    thread), or of this thread's last failure when `handle` is None."""
    st, errno = c_int32(), c_int32()
    buf = create_string_buffer(TEXT_MAX)
    if F.hb_error_info(handle, byref(st), byref(errno), buf, TEXT_MAX, None) != HB_OK:
        return None, 0, ""
    return st.value, errno.value, buf.value.decode("utf-8", "replace")


def failure(status, handle=None, what=None):
    """The exception for a failed call (not raised), with the library's
    message: every call records its failure for the calling thread, so this
    thread's record is the call's own (the handle's record, which another
    thread may overwrite, is the fallback)."""
    st, errno, msg = error_info(None)
    if st != status and handle is not None:
        st, errno, msg = error_info(handle)
    if st != status:
        errno, msg = 0, STATUS_NAMES[status] if 0 <= status < len(STATUS_NAMES) else f"status {status}"
    if what:
        msg = f"{what}: {msg}"
    return error_for(status, msg, errno)


def check(status, handle=None, what=None):
    if status != HB_OK:
        raise failure(status, handle, what)


def text_out(fn, *args):
    """Call fn(*args, buf, len, &out_len) for a text output and return it."""
    buf = create_string_buffer(TEXT_MAX)
    check(fn(*args, buf, TEXT_MAX, None), args[0] if args and isinstance(args[0], int) else None)
    return buf.value.decode("utf-8", "replace")


def version():
    buf = create_string_buffer(64)
    check(F.hb_version(buf, 64, None))
    return buf.value.decode()


def zmq_version_info():
    a, b, c = c_int32(), c_int32(), c_int32()
    F.hb_zmq_version(byref(a), byref(b), byref(c))
    return a.value, b.value, c.value


def handle_fd(h):
    fd = c_int32()
    check(F.hb_handle_fd(h, byref(fd)), h, "hb_handle_fd")
    return fd.value


def as_bytes_arg(x, name):
    """A string argument for the ABI: str (UTF-8) or bytes; None stays None."""
    if x is None:
        return None
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    raise TypeError(f"{name} must be str or bytes, not {type(x).__name__}")


__all__ = ["lib", "F", "LIB_PATH", "ABI_VERSION", "check", "failure", "error_info", "candidates", "LibraryNotFound"]
_ = (sys, c_int16)
