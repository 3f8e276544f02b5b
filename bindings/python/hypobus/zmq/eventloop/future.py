"""zmq.eventloop.future: Context, Socket and Poller whose calls return
futures that tornado coroutines await (tornado >= 5 runs on asyncio, so
these are zmq.asyncio's futures on the IOLoop's asyncio loop)."""

from asyncio import CancelledError  # noqa: F401  (pyzmq offers it here)

from tornado.ioloop import IOLoop

from .. import asyncio as _aio
from .. import sugar


class Poller(_aio._AsyncPoller):
    """poll() returns a future of [(socket, events)] on the current IOLoop."""


class Socket(_aio._AsyncSocket):
    """A socket whose recv*/send*/poll return futures for tornado."""
    _repr_cls = "zmq.eventloop.future.Socket"
    _poller_class = Poller

    def _get_loop(self):
        return IOLoop.current()


class Context(sugar.Context):
    """A Context whose sockets are zmq.eventloop.future sockets."""
    _socket_class = Socket
    _instance = None
    _instance_pid = None
    _repr_cls = "zmq.eventloop.future.Context"


__all__ = ["Context", "Socket", "Poller", "CancelledError"]
