"""pyzmq's zmq.asyncio on libhypobus: sockets whose recv/send/poll return
awaitables, driven by the event loop (loop.add_reader on the socket's
hb_handle_fd descriptor): no polling thread, an idle program uses no CPU.

    import hypobus.zmq as zmq
    import hypobus.zmq.asyncio as azmq
    ctx = azmq.Context()
    s = ctx.socket(zmq.PULL)
    msg = await s.recv_multipart()

Like pyzmq, a call that can complete at once does so before it returns
(send() puts the message on its way even if nobody awaits the future).
"""

from __future__ import annotations

import asyncio
from collections import deque

from .. import _ffi
from . import constants as C
from . import sugar
from .error import Again, ZMQError

__all__ = ["Context", "Socket", "Poller"]


def _loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


class Socket(sugar.Socket):
    """A socket whose recv*/send*/poll return asyncio futures."""

    def __init__(self, ctx_or_socket=None, socket_type=None, **kwargs):
        super().__init__(ctx_or_socket, socket_type, **kwargs)
        self._defer = False            # async sends go out at once (no deferred bursts)
        self._aloop = None
        self._afd = None
        self._reading = False
        self._rwait = deque()          # (future, function) waiting for a message
        self._swait = deque()          # (future, function) waiting for room
        self._listeners = set()        # pollers watching this socket

    # -------------------------------------------------------- event loop plumbing

    def _arm(self):
        if self._reading:
            return
        loop = _loop()
        if self._aloop is not None and self._aloop is not loop:
            raise RuntimeError("an asyncio socket is used from one event loop")
        self._aloop = loop
        if self._afd is None:
            self._afd = _ffi.handle_fd(self._h)
        loop.add_reader(self._afd, self._on_fd)
        self._reading = True

    def _disarm(self):
        if self._reading and not self._rwait and not self._swait and not self._listeners:
            self._aloop.remove_reader(self._afd)
            self._reading = False

    def _on_fd(self):
        self._serve()
        for cb in list(self._listeners):
            cb()

    def _serve(self):
        for waiters in (self._rwait, self._swait):
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
        loop = _loop()
        fut = loop.create_future()
        if self._closed:
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
            except Again:
                if flags & C.NOBLOCK:
                    raise
            except Exception as e:
                fut.set_exception(e)
                return fut
        waiters.append((fut, fn))
        self._arm()
        # The descriptor signals changes, not state: look once more soon, in
        # case what we wait for came between the try above and arming.
        loop.call_soon(self._serve)
        if timeo >= 0:
            h = loop.call_later(timeo / 1000, lambda: fut.done() or fut.set_exception(
                Again(detail=f"no message within {timeo} ms" if waiters is self._rwait else f"no room within {timeo} ms")))
            fut.add_done_callback(lambda f: h.cancel())
        fut.add_done_callback(lambda f: self._disarm() if not self._closed else None)
        return fut

    def close(self, linger=None):
        if self._reading and self._aloop is not None:
            try:
                self._aloop.remove_reader(self._afd)
            except Exception:
                pass
            self._reading = False
        terminated = self._terminated
        super().close(linger)
        for waiters in (self._rwait, self._swait):
            while waiters:
                fut, _fn = waiters.popleft()
                if not fut.done():
                    e = sugar.ContextTerminated() if terminated else ZMQError(C.ENOTSOCK, detail="the socket was closed")
                    fut.set_exception(e)

    # -------------------------------------------------------- receiving

    def _recv_future(self, fn, flags):
        return self._start(self._rwait, fn, flags, self._rcvtimeo)

    def recv(self, flags=0, copy=True, track=False):
        return self._recv_future(lambda: sugar.Socket.recv(self, flags | C.NOBLOCK, copy), flags)

    def recv_multipart(self, flags=0, copy=True, track=False):
        return self._recv_future(lambda: sugar.Socket.recv_multipart(self, flags | C.NOBLOCK, copy), flags)

    def recv_string(self, flags=0, encoding="utf-8"):
        return self._recv_future(lambda: sugar.Socket.recv(self, flags | C.NOBLOCK).decode(encoding), flags)

    def recv_json(self, flags=0, **kwargs):
        import json
        return self._recv_future(lambda: json.loads(sugar.Socket.recv(self, flags | C.NOBLOCK), **kwargs), flags)

    def recv_pyobj(self, flags=0):
        import pickle
        return self._recv_future(lambda: pickle.loads(sugar.Socket.recv(self, flags | C.NOBLOCK)), flags)

    # -------------------------------------------------------- sending

    def _send_future(self, fn, flags):
        return self._start(self._swait, fn, flags, self._sndtimeo)

    def send(self, data, flags=0, copy=True, track=False, **kwargs):
        return self._send_future(lambda: sugar.Socket.send(self, data, flags | C.NOBLOCK, copy, track), flags)

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False, **kwargs):
        parts = list(msg_parts)
        return self._send_future(lambda: sugar.Socket.send_multipart(self, parts, flags | C.NOBLOCK, copy, track),
                                 flags)

    def send_string(self, u, flags=0, copy=True, encoding="utf-8", **kwargs):
        if not isinstance(u, str):
            raise TypeError("str objects only")
        return self.send(u.encode(encoding), flags)

    def send_json(self, obj, flags=0, **kwargs):
        import json
        return self.send(json.dumps(obj, **kwargs).encode("utf8"), flags)

    def send_pyobj(self, obj, flags=0, protocol=C.DEFAULT_PROTOCOL, **kwargs):
        import pickle
        return self.send(pickle.dumps(obj, protocol if protocol != -1 else pickle.DEFAULT_PROTOCOL), flags)

    # -------------------------------------------------------- poll

    def poll(self, timeout=None, flags=C.POLLIN):
        """A future of the events ready (0 after `timeout` ms)."""
        p = Poller()
        p.register(self, flags)
        fut = p.poll(timeout)
        out = _loop().create_future()

        def done(f):
            if out.done():
                return
            if f.exception() is not None:
                out.set_exception(f.exception())
            else:
                out.set_result(dict(f.result()).get(self, 0))
        fut.add_done_callback(done)
        return out


class Context(sugar.Context):
    """A Context whose sockets are asyncio sockets."""
    _socket_class = Socket


class Poller(sugar.Poller):
    """poll() returns a future of [(socket, events)]."""

    def poll(self, timeout=None):
        loop = _loop()
        fut = loop.create_future()
        try:
            now = sugar.Poller.poll(self, 0)
        except Exception as e:
            fut.set_exception(e)
            return fut
        if now or timeout == 0:
            fut.set_result(now)
            return fut
        watched, raw = [], []

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

        for s, _f in self.sockets:
            if isinstance(s, Socket):
                s._listeners.add(check)
                s._arm()
                watched.append(s)
            else:
                fd = _ffi.handle_fd(s._h) if isinstance(s, sugar.Socket) else (s if isinstance(s, int) else s.fileno())
                loop.add_reader(fd, check)
                raw.append(fd)
        timer = None
        if timeout is not None and timeout >= 0:
            timer = loop.call_later(timeout / 1000, lambda: fut.done() or fut.set_result([]))

        def cleanup(_f):
            if timer is not None:
                timer.cancel()
            for s in watched:
                s._listeners.discard(check)
                if not s._closed:
                    s._disarm()
            for fd in raw:
                loop.remove_reader(fd)
        fut.add_done_callback(cleanup)
        return fut
