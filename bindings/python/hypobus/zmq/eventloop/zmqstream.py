"""zmq.eventloop.zmqstream: ZMQStream, a socket driven by tornado's IOLoop
with callbacks: on_recv(callback) is called with each message received
(a list of frames), send*/send_multipart queue a message that goes out
when the socket has room (on_send(callback) is told), close() unregisters.

The stream watches the socket's descriptor (hb_handle_fd) on the IOLoop
while it receives or has something to send; each wake takes what is ready
without waiting, so an idle stream uses no CPU."""

import asyncio
import inspect
import pickle
import warnings
from collections import deque

from tornado.ioloop import IOLoop
from tornado.log import gen_log

from .. import constants as C
from ..error import Again, ContextTerminated, ZMQError
from ..sugar import Socket
from ..utils import jsonapi

_BATCH = 100  # messages handled per wake before the loop gets a turn


class ZMQStream:
    """A ZeroMQ socket on tornado's IOLoop, with callbacks (pyzmq's ZMQStream)."""

    def __init__(self, socket, io_loop=None):
        from ..asyncio import _AsyncSocket

        if isinstance(socket, _AsyncSocket):
            warnings.warn(
                f"ZMQStream only supports the base zmq.Socket class; use zmq.Socket(shadow=other_socket) "
                f"(a shadow of {socket} is used)",
                RuntimeWarning,
                stacklevel=2,
            )
            socket = Socket(shadow=socket)
        self.socket = socket
        self.io_loop = io_loop or IOLoop.current()
        self._recv_callback = None
        self._send_callback = None
        self._close_callback = None
        self._recv_copy = True
        self._send_queue = deque()
        self._watching = False
        self._scheduled = False
        self._fd = socket.fileno()
        self.io_loop.add_handler(self._fd, self._on_fd, 0)

    # -------------------------------------------------------- the socket's own calls

    def __getattr__(self, name):
        # bind, connect, setsockopt, getsockopt, bind_to_random_port ... are the socket's
        if name.startswith("_") or name in ("socket", "io_loop"):
            raise AttributeError(name)
        if name in _SOCKET_CALLS:
            self._check_closed()
            return getattr(self.socket, name)
        raise AttributeError(f"ZMQStream has no attribute {name!r}")

    # -------------------------------------------------------- callbacks

    def on_recv(self, callback, copy=True):
        """Call `callback(msg)` with each message received (a list of bytes,
        or of Frames with copy=False); None stops receiving."""
        self._check_closed()
        assert callback is None or callable(callback), "callback must be callable"
        self._recv_callback = callback
        self._recv_copy = copy
        self._update()

    def on_recv_stream(self, callback, copy=True):
        """As on_recv, calling `callback(stream, msg)`."""
        self._check_closed()
        assert callback is None or callable(callback), "callback must be callable"
        self.on_recv(None if callback is None else (lambda msg: callback(self, msg)), copy=copy)

    def on_send(self, callback):
        """Call `callback(msg, status)` after each message went out."""
        self._check_closed()
        assert callback is None or callable(callback), "callback must be callable"
        self._send_callback = callback

    def on_send_stream(self, callback):
        """As on_send, calling `callback(stream, msg, status)`."""
        self._check_closed()
        assert callback is None or callable(callback), "callback must be callable"
        self.on_send(None if callback is None else (lambda msg, status: callback(self, msg, status)))

    def stop_on_recv(self):
        self.on_recv(None)

    def stop_on_send(self):
        self.on_send(None)

    def set_close_callback(self, callback):
        """Call `callback()` when the stream is closed."""
        self._close_callback = callback

    # -------------------------------------------------------- sending

    def send(self, msg, flags=0, copy=True, track=False, callback=None, **kwargs):
        """Queue a one-frame message; it goes when the socket has room."""
        return self.send_multipart([msg], flags=flags, copy=copy, track=track, callback=callback, **kwargs)

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False, callback=None, **kwargs):
        """Queue a message (a list of frames); it goes when the socket has room."""
        self._check_closed()
        if callback is not None:
            self.on_send(callback)
        kwargs.update(flags=flags, copy=copy, track=track)
        self._send_queue.append((list(msg_parts), kwargs))
        self._update()

    def send_string(self, u, flags=0, encoding="utf-8", callback=None, **kwargs):
        if not isinstance(u, str):
            raise TypeError("unicode/str objects only")
        return self.send(u.encode(encoding), flags=flags, callback=callback, **kwargs)

    send_unicode = send_string

    def send_json(self, obj, flags=0, callback=None, **kwargs):
        return self.send(jsonapi.dumps(obj), flags=flags, callback=callback, **kwargs)

    def send_pyobj(self, obj, flags=0, protocol=-1, callback=None, **kwargs):
        return self.send(
            pickle.dumps(obj, protocol if protocol != -1 else pickle.DEFAULT_PROTOCOL),
            flags=flags,
            callback=callback,
            **kwargs,
        )

    # -------------------------------------------------------- state

    def receiving(self):
        return self._recv_callback is not None

    def sending(self):
        return bool(self._send_queue)

    def closed(self):
        return self.socket is None or self.socket.closed

    def _check_closed(self):
        if self.socket is None:
            raise OSError("Stream is closed")

    def close(self, linger=None):
        """Unregister from the IOLoop and close the socket."""
        s = self.socket
        if s is None:
            return
        try:
            self.io_loop.remove_handler(self._fd)
        except Exception:
            pass
        if s.closed:
            warnings.warn(
                f"Unregistering FD {self._fd} after closing socket. This could result in unregistering "
                "handlers for the wrong socket. Please use stream.close() instead of closing the socket "
                "directly.",
                RuntimeWarning,
                stacklevel=2,
            )
        else:
            s.close(linger)
        self.socket = None
        self._send_queue.clear()
        if self._close_callback is not None:
            self._run_callback(self._close_callback)

    # -------------------------------------------------------- the loop's side

    def flush(self, flag=C.POLLIN | C.POLLOUT, limit=None):
        """Receive (with a callback set) and send what can go now, without
        waiting; returns how many callbacks ran."""
        n = 0
        if flag & C.POLLIN and self._recv_callback is not None:
            n += self._handle_recv(limit)
        if flag & C.POLLOUT:
            n += self._handle_send(None if limit is None else max(0, limit - n))
        self._update()
        return n

    def _update(self):
        """Watch the descriptor while something is to be done; look at once
        (what is ready already does not wake the descriptor)."""
        if self.socket is None:
            return
        want = self._recv_callback is not None or bool(self._send_queue)
        if want != self._watching:
            self._watching = want
            try:
                self.io_loop.update_handler(self._fd, IOLoop.READ if want else 0)
            except Exception:
                pass
        if want and not self._scheduled:
            self._scheduled = True
            self.io_loop.add_callback(self._on_fd, self._fd, 0)

    def _on_fd(self, fd, events):
        self._scheduled = False
        s = self.socket
        if s is None:
            gen_log.warning("Got events for closed stream %s", self)
            return
        if s.closed:
            gen_log.warning("Got events for stream %s attached to closed socket", self)
            self._watching = False
            try:
                self.io_loop.remove_handler(self._fd)
            except Exception:
                pass
            return
        try:
            busy = 0
            if self._recv_callback is not None:
                busy += self._handle_recv(_BATCH)
            if self._send_queue:
                busy += self._handle_send(_BATCH)
        except ContextTerminated:
            gen_log.warning("ZMQStream %s: the context was terminated", self)
            return
        except ZMQError as e:
            if e.errno == C.ENOTSOCK:
                gen_log.warning("Got events for stream %s attached to closed socket: %s", self, e)
                return
            raise
        if busy >= _BATCH and not self._scheduled and self.socket is not None:
            # More may be ready: another turn after the loop's other work.
            self._scheduled = True
            self.io_loop.add_callback(self._on_fd, self._fd, 0)
        elif self.socket is not None:
            self._update()

    def _handle_recv(self, limit):
        n = 0
        while self._recv_callback is not None and self.socket is not None and (limit is None or n < limit):
            try:
                msg = self.socket.recv_multipart(C.NOBLOCK, copy=self._recv_copy)
            except Again:
                break
            n += 1
            self._run_callback(self._recv_callback, msg)
        return n

    def _handle_send(self, limit):
        n = 0
        while self._send_queue and self.socket is not None and (limit is None or n < limit):
            msg, kwargs = self._send_queue[0]
            kw = dict(kwargs)
            kw["flags"] = kw.get("flags", 0) | C.NOBLOCK
            try:
                status = self.socket.send_multipart(msg, **kw)
            except Again:
                break
            except ZMQError as e:
                self._send_queue.popleft()
                gen_log.error("SEND Error: %s", e)
                status = e
            else:
                self._send_queue.popleft()
            n += 1
            if self._send_callback is not None:
                self._run_callback(self._send_callback, msg, status)
        return n

    def _run_callback(self, callback, *args):
        try:
            result = callback(*args)
        except Exception:
            gen_log.error("Uncaught exception in ZMQStream callback", exc_info=True)
            raise
        if inspect.isawaitable(result):
            fut = asyncio.ensure_future(result)

            def done(f):
                if not f.cancelled() and f.exception() is not None:
                    gen_log.error("Uncaught exception in ZMQStream callback", exc_info=f.exception())

            fut.add_done_callback(done)

    def __repr__(self):
        return f"<ZMQStream {self.socket!r}>"


_SOCKET_CALLS = frozenset(
    (
        "bind",
        "bind_to_random_port",
        "connect",
        "unbind",
        "disconnect",
        "setsockopt",
        "getsockopt",
        "setsockopt_string",
        "getsockopt_string",
        "setsockopt_unicode",
        "getsockopt_unicode",
        "set",
        "get",
        "set_string",
        "get_string",
        "subscribe",
        "unsubscribe",
        "monitor",
        "disable_monitor",
        "get_monitor_socket",
        "fileno",
        "poll",
        "type",
        "hwm",
        "rcvmore",
        "linger",
        "identity",
        "last_endpoint",
    )
)

__all__ = ["ZMQStream"]
