"""zmq.eventloop.future: Context, Socket and Poller whose calls return
futures that tornado coroutines await (tornado >= 5 runs on asyncio, so
these are zmq.asyncio's futures on the IOLoop's asyncio loop). A socket
attaches itself to the current IOLoop (IOLoop.add_handler) the first time
it is used there, and is closed by IOLoop.close(all_fds=True) as pyzmq's are."""

from asyncio import CancelledError  # noqa: F401  (pyzmq offers it here)

from tornado.ioloop import IOLoop

from ... import _ffi
from .. import asyncio as _aio
from .. import sugar


class Poller(_aio._AsyncPoller):
    """poll() returns a future of [(socket, events)] on the current IOLoop."""


class Socket(_aio._AsyncSocket):
    """A socket whose recv*/send*/poll return futures for tornado."""

    __slots__ = ()
    _repr_cls = "zmq.eventloop.future.Socket"
    _poller_class = Poller

    def _get_loop(self):
        """The current IOLoop; the socket's descriptor is registered with it
        (watched for reading only while a future waits)."""
        loop = IOLoop.current()
        if self._ioloop is not loop and not self._closed:
            self._detach()
            if self._afd is None:
                self._afd = _ffi.handle_fd(self._h)
            loop.add_handler(self, lambda fd, events: self._on_fd(), 0)
            self._ioloop = loop
        return loop

    def _arm(self):
        loop = self._get_loop()
        if not self._reading:
            loop.update_handler(self._afd, IOLoop.READ)
            self._reading = True
            self._aloop = _aio._running_loop()

    def _unwatch(self):
        if self._reading:
            self._reading = False
            try:
                self._ioloop.update_handler(self._afd, 0)
            except Exception:
                pass

    def _detach(self):
        loop, self._ioloop = self._ioloop, None
        if loop is not None:
            self._reading = False
            try:
                loop.remove_handler(self._afd)
            except Exception:
                pass

    def close(self, linger=None):
        if not self._closed:
            self._detach()
        super().close(linger)


class Context(sugar.Context):
    """A Context whose sockets are zmq.eventloop.future sockets."""

    _socket_class = Socket
    _instance = None
    _instance_pid = None
    _repr_cls = "zmq.eventloop.future.Context"


__all__ = ["Context", "Socket", "Poller", "CancelledError"]
