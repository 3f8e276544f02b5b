"""pyzmq's API on libhypobus: `import hypobus.zmq as zmq` and a pyzmq
program runs on the library's sockets (hb_socket_*), without pyzmq.

    import hypobus.zmq as zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.REQ)
    s.connect("tcp://127.0.0.1:5555")
    s.send(b"Hello")
    print(s.recv())

Submodules as in pyzmq: zmq.asyncio, zmq.constants, zmq.error,
zmq.sugar, zmq.backend, zmq.utils (jsonapi, z85, monitor, strtypes,
garbage, interop), zmq.devices, zmq.decorators, zmq.log.handlers,
zmq.eventloop.future (tornado). What differs from pyzmq is listed in
bindings/python/README.md.
"""

import os as _os

from .. import _ffi
from . import backend, constants, error, sugar, utils  # noqa: F401 (zmq.sugar, zmq.error... as attributes, as in pyzmq)
from .constants import *  # noqa: F403
from .constants import EACCES, EBUSY, EINTR, EINVAL, ENODEV, ENOENT, ENOMEM, ENOTSUP, IPC_PATH_MAX_LEN  # noqa: F401 (errno values the binding has always offered)
from .error import (
    Again,
    ContextTerminated,
    DraftFDWarning,
    InterruptedSystemCall,
    NotDone,
    ZMQBaseError,
    ZMQBindError,
    ZMQError,
    ZMQVersionError,
    strerror,
)
from .sugar import (
    _FINISHED_TRACKER,
    Context,
    Frame,
    Message,
    MessageTracker,
    Poller,
    Socket,
    Stopwatch,
    device,
    proxy,
    proxy_steerable,
    select,
    zmq_poll,
)
from .sugar import FORWARDER as FORWARDER  # sugar's values, over constants'
from .sugar import QUEUE as QUEUE
from .sugar import STREAMER as STREAMER
from .sugar.version import __revision__, __version__, pyzmq_version, pyzmq_version_info, zmq_version, zmq_version_info

__hypobus_version__ = _ffi.version()

COPY_THRESHOLD = 65536
DRAFT_API = PYZMQ_DRAFT_API = False
SyncContext = Context
SyncSocket = Socket


def zmq_errno():
    """The errno of this thread's last failure."""
    return backend.zmq_errno()


def has(capability):
    """zmq.has: libzmq's zmq_has() for the libzmq inside libhypobus
    ("ipc", "pgm", "tipc", "norm", "curve", "gssapi", "draft"; any other
    name is False, as in libzmq)."""
    import ctypes

    out = ctypes.c_int32()
    name = capability.encode() if isinstance(capability, str) else bytes(capability)
    _ffi.check(_ffi.F.hb_zmq_has(name, ctypes.byref(out)))
    return bool(out.value)


def _curve_error():
    st, errno, msg = _ffi.error_info(None)
    return ZMQError(ENOTSUP if st == _ffi.HB_CONFIG else EINVAL, detail=msg)


def curve_keypair():
    """A new CURVE key pair (public, secret): two 40-byte Z85 bytes, from
    the libzmq (with libsodium) inside libhypobus."""
    import ctypes

    pub, sec = ctypes.create_string_buffer(41), ctypes.create_string_buffer(41)
    if _ffi.F.hb_curve_keypair(pub, 41, sec, 41) != _ffi.HB_OK:
        raise _curve_error()
    return pub.value, sec.value


def curve_public(secret_key):
    """The public key (40-byte Z85 bytes) of a Z85 secret key."""
    import ctypes

    if isinstance(secret_key, str):
        secret_key = secret_key.encode("ascii")
    if not isinstance(secret_key, bytes):
        raise TypeError(f"secret_key must be bytes, not {type(secret_key).__name__}")
    pub = ctypes.create_string_buffer(41)
    if b"\0" in secret_key:
        raise ZMQError(EINVAL, detail="a Z85 secret key has no NUL byte")
    if _ffi.F.hb_curve_public(secret_key, pub, 41) != _ffi.HB_OK:
        raise _curve_error()
    return pub.value


def get_includes():
    """The folders holding the C headers (libhypobus's hypobus.h, from a checkout)."""
    return [str(_ffi.HERE.parents[2] / "include")]


def get_library_dirs():
    """The folder of the libhypobus library in use."""
    return [_os.path.dirname(_ffi.LIB_PATH)]


__all__ = [
    "Again",
    "COPY_THRESHOLD",
    "Context",
    "ContextTerminated",
    "DRAFT_API",
    "DraftFDWarning",
    "Frame",
    "IPC_PATH_MAX_LEN",
    "InterruptedSystemCall",
    "Message",
    "MessageTracker",
    "NotDone",
    "PYZMQ_DRAFT_API",
    "Poller",
    "Socket",
    "Stopwatch",
    "SyncContext",
    "SyncSocket",
    "ZMQBaseError",
    "ZMQBindError",
    "ZMQError",
    "ZMQVersionError",
    "_FINISHED_TRACKER",
    "__revision__",
    "__version__",
    "curve_keypair",
    "curve_public",
    "device",
    "get_includes",
    "has",
    "proxy",
    "proxy_steerable",
    "pyzmq_version",
    "pyzmq_version_info",
    "select",
    "strerror",
    "zmq_errno",
    "zmq_poll",
    "zmq_version",
    "zmq_version_info",
] + constants.__all__
