"""zmq.backend: the low-level objects pyzmq's backends offer. In
hypobus.zmq the "backend" is libhypobus's C ABI through ctypes; these are
the same classes as zmq.Socket, zmq.Context, ... (no second layer)."""

from ..constants import IPC_PATH_MAX_LEN
from ..error import strerror
from ..sugar import Context, Frame, Message, MessageTracker, Socket, device, proxy, proxy_steerable, zmq_poll
from ..sugar.version import zmq_version_info


def zmq_errno():
    """The errno of this thread's last failed library call (hb_error_info;
    0 when it carried none), as libzmq's zmq_errno() for its calls."""
    from ... import _ffi

    return _ffi.error_info(None)[1] or 0


def has(capability):
    from .. import has as _has

    return _has(capability)


def curve_keypair():
    from .. import curve_keypair as _kp

    return _kp()


def curve_public(secret_key):
    from .. import curve_public as _cp

    return _cp(secret_key)


__all__ = [
    "Context",
    "Socket",
    "Frame",
    "Message",
    "MessageTracker",
    "device",
    "proxy",
    "proxy_steerable",
    "zmq_poll",
    "strerror",
    "zmq_errno",
    "has",
    "curve_keypair",
    "curve_public",
    "zmq_version_info",
    "IPC_PATH_MAX_LEN",
]
