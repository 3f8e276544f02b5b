"""zmq.sugar: pyzmq's Context, Socket, Poller, Frame, MessageTracker and
proxy on libhypobus's sockets (hb_socket_*, hb_poll, hb_proxy_*), split as
pyzmq splits its zmq/sugar:

  context.py      Context (and the core its shadows share)
  socket.py       Socket: pyzmq's sugar on SocketBase
  _socketbase.py  SocketBase: the hb_socket, send/recv and their hot paths,
                  options, endpoints, close
  _deferred.py    deferred sends: the flusher thread, flush_all, the fork reset
  poll.py         Poller, select, zmq_poll
  frame.py        Frame (Message)
  tracker.py      MessageTracker
  _proxy.py       proxy, proxy_steerable, device
  _options.py     options as attributes
  _common.py      SLICE_MS (the longest single wait), hb status -> pyzmq exception
  stopwatch.py    Stopwatch
  version.py      pyzmq_version, zmq_version ...

Where hypobus.zmq differs from pyzmq: bindings/python/README.md.
"""

from ..error import Again, ContextTerminated, NotDone, ZMQBindError, ZMQError
from . import context, frame, poll, socket, stopwatch, tracker, version
from ._common import SLICE_MS
from ._deferred import BATCH_MSGS, COALESCE_S, DEFER_MAX, DEFER_TYPES, FLUSH_S, flush_all
from ._proxy import FORWARDER, QUEUE, STREAMER, device, proxy, proxy_steerable
from ._socketbase import C_COPY_THRESHOLD
from .context import Context
from .frame import Frame, Message
from .poll import Poller, select, zmq_poll
from .socket import Socket
from .stopwatch import Stopwatch
from .tracker import _FINISHED_TRACKER, MessageTracker

__all__ = [
    "Again",
    "BATCH_MSGS",
    "COALESCE_S",
    "C_COPY_THRESHOLD",
    "Context",
    "ContextTerminated",
    "DEFER_MAX",
    "DEFER_TYPES",
    "FLUSH_S",
    "FORWARDER",
    "Frame",
    "Message",
    "MessageTracker",
    "NotDone",
    "Poller",
    "QUEUE",
    "SLICE_MS",
    "STREAMER",
    "Socket",
    "Stopwatch",
    "ZMQBindError",
    "ZMQError",
    "_FINISHED_TRACKER",
    "context",
    "device",
    "flush_all",
    "frame",
    "poll",
    "proxy",
    "proxy_steerable",
    "select",
    "socket",
    "stopwatch",
    "tracker",
    "version",
    "zmq_poll",
]
