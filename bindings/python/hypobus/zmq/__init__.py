"""pyzmq's API on libhypobus: `import hypobus.zmq as zmq` and a pyzmq
program runs on the library's sockets (hb_socket_*), without pyzmq.

    import hypobus.zmq as zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.REQ)
    s.connect("tcp://127.0.0.1:5555")
    s.send(b"Hello")
    print(s.recv())

What differs from pyzmq is listed in bindings/python/README.md.
"""

from .. import _ffi
from . import constants
from .constants import *  # noqa: F401,F403
from .error import (Again, ContextTerminated, InterruptedSystemCall, NotDone, ZMQBaseError, ZMQBindError, ZMQError,
                    ZMQVersionError, strerror)
from .sugar import (FORWARDER, QUEUE, STREAMER, Context, Frame, Message, MessageTracker, Poller, Socket, device, proxy,
                    proxy_steerable, select)

__version__ = "27.1.0"  # the pyzmq API level this module follows (pyzmq_version())
__hypobus_version__ = _ffi.version()

COPY_THRESHOLD = 65536
DRAFT_API = False


def zmq_version_info():
    """The version of the libzmq inside libhypobus, e.g. (4, 3, 4)."""
    return _ffi.zmq_version_info()


def zmq_version():
    return "%i.%i.%i" % zmq_version_info()


def pyzmq_version_info():
    return tuple(int(x) for x in __version__.split("."))


def pyzmq_version():
    """The pyzmq version whose API this module follows."""
    return __version__


def has(capability):
    """zmq.has: the transports and features this libzmq offers."""
    return capability in ("ipc", "tcp", "inproc")


def curve_keypair():
    raise NotImplementedError("CURVE key generation is not offered by libhypobus")


def get_includes():
    import os
    return [os.path.join(os.path.dirname(_ffi.HERE), "include")]


__all__ = ["Context", "Socket", "Poller", "Frame", "Message", "MessageTracker", "proxy", "proxy_steerable", "device",
           "select", "ZMQError", "ZMQBaseError", "Again", "ContextTerminated", "ZMQBindError", "NotDone",
           "ZMQVersionError", "InterruptedSystemCall", "strerror", "zmq_version", "zmq_version_info",
           "pyzmq_version", "pyzmq_version_info", "has", "constants"] + [n for n in dir(constants) if n.isupper()]
