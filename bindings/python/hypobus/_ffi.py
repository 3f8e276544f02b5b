"""The C ABI of libhypobus (include/hypobus.h, its ABI version or a later 1.x) declared for ctypes.

Finds the library, checks its ABI version, gives every function its
argtypes and restype (from _abi.py, generated from the header by
scripts/gen-bindings.py), and turns a failed status into an exception
carrying the library's own explanation (hb_error_info). Nothing else in
the package touches ctypes' CDLL.

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
import platform
from ctypes import byref, c_int32, c_size_t, c_uint32, create_string_buffer

# The generated constants (HB_OK, HB_POLLIN, ...), structs (BrokerConfig,
# BrokerStatsC, ...) and callback types (OP_FN, ...) are this module's names.
from ._abi import *  # noqa: F403
from ._abi import FUNCTIONS, HB_ABI_VERSION_MAJOR, HB_ABI_VERSION_MINOR, HB_OK, HB_TEXT_MAX, STATUS_NAMES
from .errors import error_for

# Every function of the header is declared, so the library must be of the
# header's ABI: the same major version and at least its minor one.
ABI_MAJOR = HB_ABI_VERSION_MAJOR
ABI_MINOR_NEEDED = HB_ABI_VERSION_MINOR
TEXT_MAX = HB_TEXT_MAX

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
        "cannot load libhypobus; tried:\n  "
        + "\n  ".join(tried)
        + f"\nOn {platform.system().lower()}-{platform.machine()}: install a release wheel "
        "(hypobus-*-py3-none-manylinux_2_17_x86_64 / _aarch64.whl, Linux with glibc 2.17 or later), "
        "install the package from a checkout (pip install ./bindings/python), build the library "
        "(cargo build --release in the repository), or set HYPOBUS_LIB to the path of libhypobus.so."
    )


lib, LIB_PATH = _load()

# Every function of the header, with the restype and argtypes the generated
# table gives it (_abi.py, from include/hypobus.h by scripts/gen-bindings.py):
# pointer arguments are c_void_p (the binding passes None, byref(...), a
# ctypes object, or a precomputed address as an int, which is the cheapest
# for ctypes to convert on the hot path); input strings and bytes are
# c_char_p. tests/test_ffi.py checks the table against the header.


class _Funcs:
    """The declared functions as attributes (ffi.hb_socket_send ...)."""


F = _Funcs()
_missing = []
for _name, (_restype, _args) in FUNCTIONS.items():
    try:
        _f = getattr(lib, _name)
    except AttributeError:
        _missing.append(_name)
        continue
    _f.argtypes = _args
    _f.restype = _restype
    setattr(F, _name, _f)

# ------------------------------------------------------------ ABI version

_maj, _min = c_uint32(), c_uint32()
F.hb_abi_version(byref(_maj), byref(_min))
ABI_VERSION = (_maj.value, _min.value)
if _maj.value != ABI_MAJOR or _min.value < ABI_MINOR_NEEDED:
    raise LibraryNotFound(
        f"{LIB_PATH} has C ABI {_maj.value}.{_min.value}; this binding needs {ABI_MAJOR}.{ABI_MINOR_NEEDED} or a "
        f"later {ABI_MAJOR}.x: install the package again or point HYPOBUS_LIB at a matching libhypobus.so"
    )
if _missing:
    raise LibraryNotFound(
        f"{LIB_PATH} (ABI {_maj.value}.{_min.value}) lacks {', '.join(_missing)}: it is older than "
        "this binding; rebuild it (cargo build --release) or install the package again"
    )

# ------------------------------------------------------------ statuses and errors

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
