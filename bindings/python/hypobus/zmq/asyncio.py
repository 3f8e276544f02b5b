"""pyzmq's zmq.asyncio on libhypobus: sockets whose recv/send/poll return
asyncio futures, driven by the event loop (loop.add_reader on the socket's
hb_handle_fd descriptor while something waits): no polling thread, an idle
program uses no CPU.

    import hypobus.zmq as zmq
    import hypobus.zmq.asyncio as azmq
    ctx = azmq.Context()
    s = ctx.socket(zmq.PULL)
    msg = await s.recv_multipart()

Like pyzmq, a call that can complete at once does so before it returns
(send() puts the message on its way even if nobody awaits the future); a
call that fails at once (zmq.DONTWAIT with nothing to receive, a bad
argument) returns a future holding the exception; close() cancels the
futures still pending. Futures of one socket complete in the order they
were made (recv() twice on a two-frame message: the first gets frame 1).
"""

from __future__ import annotations

import asyncio
import json
import pickle
from collections import deque

from .. import _ffi
from . import constants as C
from . import sugar
from .error import Again, ZMQError

__all__ = ["Context", "Socket", "Poller"]


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


class _AsyncSocket(sugar.Socket):
    """The machinery of futures on a socket (asyncio's and tornado's)."""

    __slots__ = ("_aloop", "_afd", "_reading", "_recv_futures", "_send_futures", "_listeners", "_ioloop")

    def __init__(self, ctx_or_socket=None, socket_type=0, **kwargs):
        self._ioloop = None  # tornado's IOLoop the socket is registered with (zmq.eventloop.future)
        super().__init__(ctx_or_socket, socket_type, **kwargs)
        self._defer = False  # async sends go out at once (no deferred bursts)
        self._aloop = None  # the asyncio loop the descriptor is watched on
        self._afd = None
        self._reading = False
        self._recv_futures = deque()  # (future, function) waiting for a message
        self._send_futures = deque()  # (future, function) waiting for room
        self._listeners = {}  # poll futures watching this socket: check function -> future

    def _get_loop(self):
        """The loop futures of this socket belong to (the running one)."""
        return _running_loop()

    # -------------------------------------------------------- event loop plumbing

    def _arm(self):
        loop = _running_loop()
        if self._reading:
            if self._aloop is loop:
                return
            self._unwatch()  # a new loop (the old one may be closed): move there
        if self._afd is None:
            self._afd = _ffi.handle_fd(self._h)
        loop.add_reader(self._afd, self._on_fd)
        self._aloop = loop
        self._reading = True

    def _unwatch(self):
        if self._reading:
            self._reading = False
            try:
                if not self._aloop.is_closed():
                    self._aloop.remove_reader(self._afd)
            except Exception:
                pass

    def _disarm(self):
        if self._reading and not self._recv_futures and not self._send_futures and not self._listeners:
            self._unwatch()

    def _on_fd(self):
        self._serve()
        for cb in list(self._listeners):
            cb()

    def _serve(self):
        if self._closed:
            return
        for waiters in (self._recv_futures, self._send_futures):
            while waiters:
                fut, fn = waiters[0]
                if fut.done():
                    waiters.popleft()
                    continue
                try:
                    r = fn()
                except Again:
                    break
                except Exception as e:
                    waiters.popleft()
                    fut.set_exception(e)
                    continue
                waiters.popleft()
                fut.set_result(r)
        self._disarm()

    def _start(self, waiters, fn, flags, timeo):
        loop = _running_loop()
        fut = loop.create_future()
        if self._closed or self._terminated:
            try:
                self._check_open()
            except ZMQError as e:
                fut.set_exception(e)
                return fut
        while waiters and waiters[0][0].done():  # timed out or cancelled meanwhile
            waiters.popleft()
        if not waiters:
            try:
                fut.set_result(fn())
                return fut
            except Again as e:
                if flags & C.NOBLOCK:
                    fut.set_exception(e)
                    return fut
            except Exception as e:
                fut.set_exception(e)
                return fut
        waiters.append((fut, fn))
        self._arm()
        # The descriptor signals changes, not state: look once more soon, in
        # case what we wait for came between the try above and arming.
        loop.call_soon(self._serve)
        if timeo >= 0:
            what = f"no message within {timeo} ms" if waiters is self._recv_futures else f"no room within {timeo} ms"
            h = loop.call_later(timeo / 1000, lambda: fut.done() or fut.set_exception(Again(detail=what)))
            fut.add_done_callback(lambda f: h.cancel())
        fut.add_done_callback(self._future_done)
        return fut

    def _future_done(self, fut):
        if not self._closed:
            for waiters in (self._recv_futures, self._send_futures):
                while waiters and waiters[0][0].done():
                    waiters.popleft()
            self._disarm()

    def close(self, linger=None):
        """Close the socket; futures still pending are cancelled, as in pyzmq."""
        if self._closed:
            return
        self._unwatch()
        super().close(linger)
        for waiters in (self._recv_futures, self._send_futures):
            while waiters:
                fut, _fn = waiters.popleft()
                if not fut.done():
                    fut.cancel()
        for fut in list(self._listeners.values()):
            if not fut.done():
                fut.cancel()
        self._listeners.clear()

    def _on_term(self):
        super()._on_term()
        loop = self._aloop
        if loop is not None and self._reading and not loop.is_closed():
            # Waiters in the loop fail now with ContextTerminated.
            loop.call_soon_threadsafe(self._serve_term)

    def _serve_term(self):
        for waiters in (self._recv_futures, self._send_futures):
            while waiters:
                fut, _fn = waiters.popleft()
                if not fut.done():
                    fut.set_exception(sugar.ContextTerminated(detail="the socket's context was terminated"))
        self._disarm()

    # -------------------------------------------------------- receiving

    def _recv_future(self, fn, flags):
        return self._start(self._recv_futures, fn, flags, self._rcvtimeo)

    def recv(self, flags=0, copy=True, track=False):
        return self._recv_future(lambda: sugar.Socket.recv(self, flags | C.NOBLOCK, copy), flags)

    def recv_multipart(self, flags=0, copy=True, track=False):
        return self._recv_future(lambda: sugar.Socket.recv_multipart(self, flags | C.NOBLOCK, copy), flags)

    def recv_string(self, flags=0, encoding="utf-8"):
        return self._recv_future(lambda: sugar.Socket.recv(self, flags | C.NOBLOCK).decode(encoding), flags)

    recv_unicode = recv_string

    def recv_json(self, flags=0, **kwargs):
        return self._recv_future(lambda: json.loads(sugar.Socket.recv(self, flags | C.NOBLOCK), **kwargs), flags)

    def recv_pyobj(self, flags=0):
        return self._recv_future(lambda: pickle.loads(sugar.Socket.recv(self, flags | C.NOBLOCK)), flags)

    def recv_serialized(self, deserialize, flags=0, copy=True):
        return self._recv_future(lambda: deserialize(sugar.Socket.recv_multipart(self, flags | C.NOBLOCK, copy)), flags)

    def recv_into(self, buffer, nbytes=0, flags=0):
        return self._recv_future(lambda: sugar.Socket.recv_into(self, buffer, nbytes, flags | C.NOBLOCK), flags)

    # -------------------------------------------------------- sending

    def _send_future(self, fn, flags):
        return self._start(self._send_futures, fn, flags, self._sndtimeo)

    def _failed(self, e):
        fut = _running_loop().create_future()
        fut.set_exception(e)
        return fut

    def send(self, data, flags=0, copy=True, track=False, **kwargs):
        return self._send_future(lambda: sugar.Socket.send(self, data, flags | C.NOBLOCK, copy, track), flags)

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False, **kwargs):
        parts = list(msg_parts)
        return self._send_future(
            lambda: sugar.Socket.send_multipart(self, parts, flags | C.NOBLOCK, copy, track), flags
        )

    def send_string(self, u, flags=0, copy=True, encoding="utf-8", **kwargs):
        if not isinstance(u, str):
            return self._failed(TypeError("str objects only"))
        return self.send(u.encode(encoding), flags)

    send_unicode = send_string

    def send_json(self, obj, flags=0, **kwargs):
        try:
            data = json.dumps(obj, **kwargs).encode("utf8")
        except Exception as e:
            return self._failed(e)
        return self.send(data, flags)

    def send_pyobj(self, obj, flags=0, protocol=C.DEFAULT_PROTOCOL, **kwargs):
        try:
            data = pickle.dumps(obj, protocol if protocol != -1 else pickle.DEFAULT_PROTOCOL)
        except Exception as e:
            return self._failed(e)
        return self.send(data, flags)

    def send_serialized(self, msg, serialize, flags=0, copy=True, **kwargs):
        try:
            frames = serialize(msg)
        except Exception as e:
            return self._failed(e)
        return self.send_multipart(frames, flags, copy)

    # -------------------------------------------------------- poll

    def poll(self, timeout=None, flags=C.POLLIN):
        """A future of the events ready (0 after `timeout` ms)."""
        p = self._poller_class()
        p.register(self, flags)
        inner = p.poll(timeout)
        loop = _running_loop()
        out = loop.create_future()

        def done(f):
            if out.done():
                return
            if f.cancelled():
                out.cancel()
            elif f.exception() is not None:
                out.set_exception(f.exception())
            else:
                out.set_result(dict(f.result()).get(self, 0))

        if inner.done():
            done(inner)
        else:
            inner.add_done_callback(done)
            out.add_done_callback(lambda o: o.cancelled() and inner.cancel())
        return out


class _AsyncPoller(sugar.Poller):
    """poll() returns a future of [(socket, events)]."""

    def poll(self, timeout=None):
        loop = _running_loop()
        fut = loop.create_future()
        try:
            now = sugar.Poller.poll(self, 0)
        except Exception as e:
            fut.set_exception(e)
            return fut
        if now or timeout == 0:
            fut.set_result(now)
            return fut
        watched, readers, writers = [], [], []

        def check():
            if fut.done():
                return
            try:
                r = sugar.Poller.poll(self, 0)
            except Exception as e:
                fut.set_exception(e)
                return
            if r:
                fut.set_result(r)

        try:
            for s, f in self.sockets:
                if isinstance(s, _AsyncSocket):
                    s._listeners[check] = fut
                    watched.append(s)
                    s._arm()
                elif isinstance(s, sugar.Socket):
                    fd = _ffi.handle_fd(s._h)
                    loop.add_reader(fd, check)
                    readers.append(fd)
                else:
                    fd = s if isinstance(s, int) else s.fileno()
                    if f & C.POLLIN:
                        loop.add_reader(fd, check)
                        readers.append(fd)
                    if f & C.POLLOUT:
                        loop.add_writer(fd, check)
                        writers.append(fd)
        except Exception as e:
            fut.set_exception(e)
        timer = None
        if timeout is not None and timeout >= 0:
            timer = loop.call_later(timeout / 1000, lambda: fut.done() or fut.set_result([]))
        # What came between the first look and watching.
        loop.call_soon(check)

        def cleanup(_f):
            if timer is not None:
                timer.cancel()
            for s in watched:
                s._listeners.pop(check, None)
                if not s._closed:
                    s._disarm()
            if not loop.is_closed():
                for fd in readers:
                    loop.remove_reader(fd)
                for fd in writers:
                    loop.remove_writer(fd)

        fut.add_done_callback(cleanup)
        return fut


class Poller(_AsyncPoller):
    """zmq.asyncio.Poller: poll() returns an asyncio future of [(socket, events)]."""


class Socket(_AsyncSocket):
    """zmq.asyncio.Socket: recv*/send*/poll return asyncio futures."""

    __slots__ = ()
    _repr_cls = "zmq.asyncio.Socket"
    _poller_class = Poller


class Context(sugar.Context):
    """zmq.asyncio.Context: a Context whose sockets are zmq.asyncio sockets."""

    _socket_class = Socket
    _instance = None
    _instance_pid = None
    _repr_cls = "zmq.asyncio.Context"


_ = Again
