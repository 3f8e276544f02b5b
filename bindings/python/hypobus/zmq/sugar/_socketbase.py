"""The core of pyzmq's Socket on an hb_socket: the handle and its
buffers, send/recv (their hot paths), options, close. zmq.Socket
(socket.py) adds pyzmq's sugar on top, as pyzmq's zmq.sugar.socket.Socket
does on zmq.backend.Socket.

How it maps (and where it differs from pyzmq, see bindings/python/README.md):

* hb_socket_recv takes a WHOLE message in one call; recv() hands its frames
  out one by one (rcvmore tells whether more follow), recv_multipart() all
  at once. Sockets other than REQ/REP take every message already queued in
  one call (hb_socket_recv_many) into a queue of their own, which recv()
  empties first: one C call per batch instead of one per message.
* Every wait is bounded: a "forever" (RCVTIMEO -1, poll(None)) is a loop of
  waits of at most 100 ms, so Ctrl-C is noticed at once (the library returns
  HB_INTERRUPTED on EINTR) and also when the signal went to another thread.
* ctx.term() closes the context's sockets (pyzmq waits for the application
  to close them); calls blocked on them raise ContextTerminated.
* Sends on PUSH/PUB/DEALER/PAIR/XPUB/XSUB that come fast are deferred and
  handed to the library in bursts (_deferred.py).
"""

import atexit
import os
import threading
import time
import weakref
from collections import deque
from ctypes import addressof, byref, c_char, c_int64, c_size_t, c_void_p, create_string_buffer, sizeof
from itertools import accumulate as _accumulate

from ... import _ffi
from ..._ffi import HB_BUFFER_TOO_SMALL, HB_INTERRUPTED, HB_OK, HB_TIMEOUT, F, RecvArgs, SendArgs
from .. import constants as C
from ..error import Again, ContextTerminated, ZMQError
from ._common import SLICE_MS, _bytes_of, _error
from ._deferred import (
    BATCH_MSGS,
    COALESCE_S,
    DEFER_MAX,
    DEFER_TYPES,
    _arm,
    _dirty,
    _flush,
    _flush_at_close,
    _flush_at_exit,
    _flush_before,
    _mono,
    _raise_flush_error,
    flush_all,
)
from .context import Context
from .frame import Frame
from .tracker import _FINISHED_TRACKER

_BIG_MSG = 1 << 20  # a message bigger than this is received into a buffer of its own (see SocketBase._take_big)
C_COPY_THRESHOLD = 65536  # zmq.COPY_THRESHOLD: Frames below it are copied (here: all are)
_INIT_BUF = 65536
_INIT_FRAMES = 256
_MAX_MSGS = 256

_send = F.hb_socket_send
_send_args = F.hb_socket_send_args
_recv_args = F.hb_socket_recv_args
_SEND_BUF = 65536  # messages up to this size are copied into the socket's send buffer (one-argument call)


class _Big(list):
    """A received message whose frames are Frames over a buffer of their own (see SocketBase._take_big)."""


_live = weakref.WeakValueDictionary()  # handle -> the Socket that owns it (for Socket.shadow(address))


class SocketBase:
    """What every zmq.Socket is made of (zmq.Socket is the class to use:
    ctx.socket(zmq.TYPE)). Use a socket from one thread at a time, as with
    pyzmq."""

    # Every attribute is a slot and the class has no __setattr__ or
    # __getattr__, so that CPython specializes the hot paths' attribute
    # accesses; and, with no __dict__, setting a name that is neither an
    # attribute nor an option (a misspelt option) raises AttributeError,
    # pyzmq's rule. zmq.Socket adds no slot (options are attributes by
    # descriptors there); a subclass of it without __slots__ gets pyzmq's
    # rule by a __setattr__ (see Socket.__init_subclass__).
    __slots__ = (
        "_armed",
        "_batch",
        "_buf",
        "_buf_mv",
        "_closed",
        "_counts",
        "_counts_mv",
        "_cur",
        "_defer",
        "_flock",
        "_flush_error",
        "_h",
        "_ibuf",
        "_ibuf_addr",
        "_q",
        "_ra",
        "_ra_i",
        "_ra_n",
        "_ra_p",
        "_rcvtimeo",
        "_rtimeout",
        "_sa",
        "_sa_i",
        "_sa_n",
        "_sa_p",
        "_sbuf",
        "_sbuf_mv",
        "_sent",
        "_sent_p",
        "_sflags",
        "_sizes",
        "_sizes_mv",
        "_sndtimeo",
        "_sq",
        "_sq_multi",
        "_ssz",
        "_ssz_addr",
        "_ssz_mv",
        "_terminated",
        "_tlast",
        "_wself",
        "_pid",
        "_core",
        "_monitor_socket",
        "_monitored",
        "_shadow",
        "_shadow_obj",
        "context",
        "socket_type",
        "copy_threshold",
        "__weakref__",
    )

    def __init__(self, ctx_or_socket=None, socket_type=0, *, shadow=0, copy_threshold=None):
        _osa = object.__setattr__
        _osa(self, "_closed", True)  # until the handle exists (for __del__)
        _osa(self, "_shadow", False)
        _osa(self, "_shadow_obj", None)
        if isinstance(ctx_or_socket, SocketBase):
            shadow, ctx_or_socket = ctx_or_socket, None
        base = None
        if shadow:
            if isinstance(shadow, SocketBase):
                base = shadow
            else:
                addr = getattr(shadow, "underlying", shadow)
                base = _live.get(addr) if isinstance(addr, int) else None
                if base is None:
                    raise ZMQError(C.ENOTSOCK, detail=f"no open socket at address {addr!r} in this process")
            if base._closed:
                raise ZMQError(C.ENOTSOCK, detail="cannot shadow a closed socket")
            _osa(self, "_shadow", True)
            _osa(self, "_shadow_obj", shadow)
            h = base._h
            socket_type = base.socket_type
            ctx_or_socket = base.context
        else:
            if not isinstance(socket_type, int) or isinstance(socket_type, bool):
                raise TypeError(f"socket type must be an int such as zmq.REQ, not {socket_type!r}")
            hh = c_void_p()
            st = F.hb_socket_new(socket_type, byref(hh))
            if st != HB_OK:
                raise _error(st, None, f"socket type {socket_type}")
            h = hh.value
        try:
            socket_type = C.SocketType(socket_type)
        except ValueError:
            pass
        self._setup(h, ctx_or_socket, socket_type, base)
        self.copy_threshold = C_COPY_THRESHOLD if copy_threshold is None else copy_threshold
        if base is None:
            _live[h] = self
        ctx = ctx_or_socket
        # A shadow is another handle on a socket its context already counts (term() waits for that one).
        if base is None and isinstance(ctx, Context) and not ctx._add_socket(self):
            if base is None:
                self._closed = True
                F.hb_socket_free(h)
            raise ZMQError(C.EFAULT, detail="the context was terminated")

    def _setup(self, h, ctx, socket_type, base):
        self._terminated = False
        self._h = h
        self._pid = os.getpid()
        self._core = ctx._core if isinstance(ctx, Context) else None
        self._monitor_socket = None
        self._monitored = None
        self.context = ctx
        self.socket_type = socket_type
        # whole messages taken from the library: bytes (one frame) or list of frames (a shadow shares its socket's)
        self._q = base._q if base is not None else deque()
        self._cur = None  # the rest of a message recv() is handing out frame by frame (reversed list): rcvmore
        self._rcvtimeo = -1
        self._sndtimeo = -1
        self._batch = socket_type not in (C.REQ, C.REP)
        self._wself = weakref.ref(self)  # what frames received with copy=False point back to (Frame.get)
        self._defer = socket_type in DEFER_TYPES and base is None
        self._sq = deque()  # deferred sends: bytes or tuple of frames
        self._armed = False
        self._tlast = 0.0
        self._flush_error = None
        self._flock = threading.Lock()
        self._sq_multi = False
        self._sent = c_size_t()
        self._sent_p = c_void_p(addressof(self._sent))
        # The hot path: one C call per send (hb_socket_send_args) and per
        # batch of received messages (hb_socket_recv_args), each with ONE
        # argument, a struct built here once; a call only changes the
        # fields that vary (through memoryviews over the structs).
        self._sbuf = (c_char * _SEND_BUF)()
        self._sbuf_mv = memoryview(self._sbuf).cast("B")
        self._ssz = (c_size_t * 64)()
        self._ssz_mv = memoryview(self._ssz).cast("B").cast("N")
        self._ssz_addr = addressof(self._ssz)
        self._sa = SendArgs(
            size=sizeof(SendArgs),
            flags=0,
            timeout_ms=SLICE_MS,
            socket=self._h,
            data=addressof(self._sbuf),
            sizes=self._ssz_addr,
            nframes=1,
        )
        self._sa_p = c_void_p(addressof(self._sa))
        self._sa_i = memoryview(self._sa).cast("B").cast("i")  # [1] flags, [2] timeout_ms
        self._sa_n = memoryview(self._sa).cast("B").cast("N")  # [5] nframes
        self._sflags = 0
        self._ra = RecvArgs(
            size=sizeof(RecvArgs), timeout_ms=0, socket=self._h, max_msgs=_MAX_MSGS if self._batch else 1
        )
        self._ra_p = c_void_p(addressof(self._ra))
        self._ra_i = memoryview(self._ra).cast("B").cast("i")  # [1] timeout_ms
        self._ra_n = memoryview(self._ra).cast("B").cast("N")  # [8] nmsgs, [9] nframes, [10] total
        self._rtimeout = 0
        self._alloc(_INIT_BUF, _INIT_FRAMES)
        self._ibuf = c_int64()
        self._ibuf_addr = addressof(self._ibuf)
        self._closed = False
        if base is not None:
            for opt in (C.RCVTIMEO, C.SNDTIMEO):
                self._note_opt(opt, self.getsockopt(opt))

    def _alloc(self, nbytes, nframes):
        self._buf = (c_char * nbytes)()
        self._buf_mv = memoryview(self._buf).cast("B")
        self._sizes = (c_size_t * nframes)()
        self._sizes_mv = memoryview(self._sizes).cast("B").cast("N")
        self._counts = (c_size_t * _MAX_MSGS)()
        self._counts_mv = memoryview(self._counts).cast("B").cast("N")
        ra = self._ra
        ra.buf = addressof(self._buf)
        ra.len = nbytes
        ra.sizes = addressof(self._sizes)
        ra.max_frames = nframes
        ra.counts = addressof(self._counts)

    # -------------------------------------------------------- life

    @property
    def closed(self):
        """Whether the socket is closed (a shadow: also when the socket it
        shadows was closed)."""
        if self._closed:
            return True
        if self._shadow:
            base = _live.get(self._h)
            if base is None or base._closed:
                return True
        return False

    @property
    def underlying(self):
        """The hb_socket handle (an int), for the C ABI and Socket.shadow."""
        return self._h

    @property
    def handle(self):
        return self._h

    def close(self, linger=None):
        """Close the socket (hb_socket_free): waits on it end at once.
        Messages not sent yet go out in the background as LINGER says (set
        `linger` in ms; 0 drops them). Messages received by the library but
        not read yet are dropped, as libzmq drops them. In a forked child,
        a socket of the parent is only marked closed."""
        if self._closed:
            return
        mine = self._pid == os.getpid()
        if mine:
            mon = self._monitor_socket
            if mon is not None:
                self._monitor_socket = None
            watched = self._monitored() if self._monitored is not None else None
            if watched is not None and watched._monitor_socket is self and not watched._closed:
                # A monitor's reader goes: stop the monitor first (libzmq's sends to a
                # reader that is gone would wait forever).
                watched.disable_monitor()
            if linger is not None:
                try:
                    self.setsockopt(C.LINGER, linger)
                except ZMQError:
                    pass
            if self._sq:
                _flush_at_close(self, linger)
        self._closed = True
        self._q.clear()
        self._cur = None
        if mine:
            if self._shadow:
                base = _live.get(self._h)
                if base is not None and base is not self:
                    base._closed = True
                    base._q.clear()
            F.hb_socket_free(self._h)
        self._forget()

    def _forget(self):
        ctx = self.context
        if isinstance(ctx, Context):
            ctx._rm_socket(self)

    def _on_term(self):
        """The context began term(): calls other than close() raise
        ContextTerminated, waits in other threads end at once."""
        self._terminated = True
        if self._closed or self._pid != os.getpid():
            return
        self._sa.socket = None  # the hot paths' calls now fail (HB_INVALID_HANDLE -> ContextTerminated)
        self._ra.socket = None
        self._q.clear()
        self._cur = None
        F.hb_wake(self._h)

    def __del__(self):
        try:
            if not self._closed:
                self._closed = True
                if not self._shadow and self._pid == os.getpid():
                    F.hb_socket_free(self._h)
                    self._forget()
        except Exception:
            pass

    def _check_open(self):
        if self._closed or self._terminated:
            if self._closed:
                raise ZMQError(C.ENOTSOCK, detail="the socket is closed")
            raise ContextTerminated(detail="the socket's context was terminated")

    # -------------------------------------------------------- options

    def setsockopt(self, option, value):
        """Set a socket option (an int, or bytes for the bytes options, as pyzmq)."""
        self._check_open()
        if self._sq:
            _flush(self, True)
        kind = C.OPTION_KIND.get(option)
        if kind in ("bytes", "str", "key"):
            if isinstance(value, str):
                raise TypeError("unicode not allowed, use setsockopt_string")
            v = _bytes_of(value, "option value")
            st = F.hb_socket_setopt(self._h, option, v, len(v))
        else:
            if isinstance(value, bool):
                value = int(value)
            if not isinstance(value, int):
                raise TypeError(f"option {C.OPTION_NAMES.get(option, option)} takes an int, not {type(value).__name__}")
            st = F.hb_socket_setopt_int(self._h, option, value)
        if st != HB_OK:
            raise _error(st, self, f"setsockopt({C.OPTION_NAMES.get(option, option)})")
        self._note_opt(option, value)

    def _note_opt(self, option, value):
        if option == C.RCVTIMEO:
            self._rcvtimeo = value
        elif option == C.SNDTIMEO:
            self._sndtimeo = value
            self._sa_i[2] = SLICE_MS if value < 0 else min(value, SLICE_MS)

    set = setsockopt

    def getsockopt(self, option):
        """Read a socket option (int, or bytes for the bytes options)."""
        self._check_open()
        if self._sq:
            _flush(self, True)
        if option == C.RCVMORE:
            return 1 if self._cur else 0
        kind = C.OPTION_KIND.get(option)
        if kind in ("bytes", "str", "key"):
            n = c_size_t()
            buf = create_string_buffer(1024)
            st = F.hb_socket_getopt(self._h, option, buf, len(buf), byref(n))
            if st != HB_OK:
                raise _error(st, self, f"getsockopt({C.OPTION_NAMES.get(option, option)})")
            return buf.raw[: n.value]
        st = F.hb_socket_getopt_int(self._h, option, self._ibuf_addr)
        if st != HB_OK:
            raise _error(st, self, f"getsockopt({C.OPTION_NAMES.get(option, option)})")
        v = self._ibuf.value
        if option == C.EVENTS and (self._q or self._cur):
            v |= C.POLLIN
        return v

    get = getsockopt

    # -------------------------------------------------------- sending

    def _send_wait(self, st, data, sizes, flags):
        """A send that could not go at once: wait for room, in slices, as
        SNDTIMEO says (-1: until there is room)."""
        if st != HB_TIMEOUT and st != HB_INTERRUPTED:
            raise _error(st, self, "send")
        if flags & C.NOBLOCK or self._sndtimeo == 0:
            raise _error(st, self, "send")
        n = len(sizes)
        arr = (c_size_t * n)(*sizes)
        h = self._h
        if self._sndtimeo < 0:
            while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                if self._terminated:
                    raise ContextTerminated(detail="send: the socket's context was terminated")
                st = _send(h, data, arr, n, flags, SLICE_MS)
        else:
            deadline = time.monotonic() + self._sndtimeo / 1000
            while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                if self._terminated:
                    raise ContextTerminated(detail="send: the socket's context was terminated")
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    raise Again(detail=f"no room to send within SNDTIMEO {self._sndtimeo} ms")
                st = _send(h, data, arr, n, flags, min(left, SLICE_MS))
        if st != HB_OK:
            raise _error(st, self, "send")

    def _send_big(self, parts, data, flags):
        """A message that does not fit the send buffer (or has many frames): hb_socket_send with its own arrays."""
        n = len(parts)
        sizes = [len(p) for p in parts]
        arr = (c_size_t * n)(*sizes)
        st = _send(self._h, data, arr, n, flags, self._sa_i[2])
        if st:
            self._send_wait(st, data, sizes, flags)

    def send(self, data, flags=0, copy=True, track=False, routing_id=None, group=None):
        """Send one frame (bytes or any buffer; SNDMORE: more frames follow)."""
        sq = self._sq
        if not sq and not flags and not self._defer and data.__class__ is bytes and not _dirty and not self._sflags:
            # The hot path of REQ/REP/ROUTER...: one call, one argument.
            n = len(data)
            if n <= _SEND_BUF:
                self._sbuf_mv[:n] = data
                self._ssz_mv[0] = n
                st = _send_args(self._sa_p)
                if st:
                    self._send_wait(st, data, (n,), flags)
                return _FINISHED_TRACKER if track else None
        if sq and not flags and data.__class__ is bytes and len(data) <= DEFER_MAX:
            # A burst is being deferred: join it (the hot path of a flood).
            sq.append(data)
            if len(sq) >= BATCH_MSGS:
                _flush(self, True)
            elif not self._armed:
                _arm(self)
            return _FINISHED_TRACKER if track else None
        return self._send1(data, flags, track, copy)

    def _send1(self, data, flags, track, copy=True):
        tracker = _FINISHED_TRACKER if track else None
        if data.__class__ is not bytes:
            if isinstance(data, Frame):
                if track and data.tracker is None:
                    raise ValueError("Not a tracked message")
                if not copy:
                    tracker = data.tracker
            elif isinstance(data, (list, tuple)):
                raise TypeError("send() takes one frame; use send_multipart for a list")
            data = _bytes_of(data)
        n = len(data)
        if self._defer and not flags and self._sndtimeo < 0 and n <= DEFER_MAX:
            t = _mono()
            if t - self._tlast < COALESCE_S:
                # Sends come fast: defer this one, the next ones join it.
                self._tlast = t
                if self._flush_error is not None:
                    _raise_flush_error(self)
                sq = self._sq
                sq.append(data)
                if len(sq) >= BATCH_MSGS:
                    _flush(self, True)
                elif not self._armed:
                    _arm(self)
                return tracker
            self._tlast = t
        if _dirty:
            _flush_before(self, flags)
        if n > _SEND_BUF:
            self._send_big((data,), data, flags)
            return tracker
        self._sbuf_mv[:n] = data
        self._ssz_mv[0] = n
        if flags != self._sflags:
            self._set_sflags(flags)
        st = _send_args(self._sa_p)
        if st:
            self._send_wait(st, data, (n,), flags)
        return tracker

    def _set_sflags(self, flags):
        if not isinstance(flags, int):
            raise TypeError(f"flags must be an int, not {type(flags).__name__}")
        self._sa_i[1] = flags
        self._sflags = flags

    def send_multipart(self, msg_parts, flags=0, copy=True, track=False, **kwargs):
        """Send a whole message (a list of frames) in one call."""
        parts = []
        for i, p in enumerate(msg_parts):
            if p.__class__ is not bytes:
                if isinstance(p, str):
                    raise TypeError(f"Frame {i} ({p!r:.32}) is str: unicode not allowed, use send_string")
                try:
                    p = memoryview(p).tobytes()
                except TypeError:
                    raise TypeError(f"Frame {i} ({p!r:.32}) does not support the buffer interface.") from None
            parts.append(p)
        n = len(parts)
        if n == 0:
            raise ZMQError(C.EINVAL, detail="send_multipart needs at least one frame")
        if self._defer and not flags and self._sndtimeo < 0:
            sq = self._sq
            t = _mono()
            if (sq or t - self._tlast < COALESCE_S) and sum(map(len, parts)) <= DEFER_MAX:
                self._tlast = t
                if not sq and self._flush_error is not None:
                    _raise_flush_error(self)
                self._sq_multi = True
                sq.append(tuple(parts))
                if len(sq) >= BATCH_MSGS:
                    _flush(self, True)
                elif not self._armed:
                    _arm(self)
                return _FINISHED_TRACKER if track else None
            self._tlast = t
        if _dirty:
            _flush_before(self, flags)
        data = b"".join(parts)
        total = len(data)
        if total > _SEND_BUF or n > 64:
            self._send_big(parts, data, flags)
            return _FINISHED_TRACKER if track else None
        self._sbuf_mv[:total] = data
        mv = self._ssz_mv
        for i, p in enumerate(parts):
            mv[i] = len(p)
        self._sa_n[5] = n
        if flags != self._sflags:
            self._set_sflags(flags)
        st = _send_args(self._sa_p)
        self._sa_n[5] = 1
        if st:
            self._send_wait(st, data, [len(p) for p in parts], flags)
        return _FINISHED_TRACKER if track else None

    # -------------------------------------------------------- receiving

    def _take(self, timeout):
        """One receive call (at most `timeout` ms): queue what came. Returns a status."""
        if timeout != self._rtimeout:
            self._ra_i[1] = timeout
            self._rtimeout = timeout
        st = _recv_args(self._ra_p)
        if st == HB_OK:
            self._parse()
            return HB_OK
        if st == HB_BUFFER_TOO_SMALL:
            o = self._ra_n
            if o[10] > _BIG_MSG:
                return self._take_big(o[10], o[9])
            self._grow(o[10], o[9])
            return self._take(0)
        return st

    def _take_big(self, total, nframes):
        """A message bigger than _BIG_MSG (the library kept it): received
        straight into a buffer of its own, the frame(s) handed out from it
        (a single frame is that buffer, so recv(copy=False) copies nothing);
        the socket's receive buffer does not grow for it."""
        big = Frame.__new__(Frame)
        bytearray.__init__(big, total)
        sizes = (c_size_t * max(1, nframes))()
        n, tot = c_size_t(), c_size_t()
        st = F.hb_socket_recv(
            self._h, 0, (c_char * total).from_buffer(big), total, sizes, nframes, byref(n), byref(tot)
        )
        if st != HB_OK:
            return st
        if n.value == 1:
            self._q.append(_Big((big,)))
            return HB_OK
        frames, off, mv = _Big(), 0, memoryview(big)
        for z in sizes[: n.value]:
            frames.append(Frame(mv[off : off + z]))
            off += z
        mv.release()
        self._q.append(frames)
        return HB_OK

    def _parse(self):
        """Queue the messages the last receive call wrote into the buffers."""
        o = self._ra_n
        nm = o[8]
        nf = o[9]
        data = self._buf_mv[: o[10]].tobytes()
        q = self._q
        if nf == 1:
            q.append(data)
            return HB_OK
        sizes = self._sizes_mv[:nf].tolist()
        off = 0
        if nf == nm:
            # One frame each (a flood): cut them in C, no bytecode per message.
            ends = list(_accumulate(sizes))
            q.extend(map(data.__getitem__, map(slice, [0, *ends], ends)))
            return HB_OK
        i = 0
        for c in self._counts_mv[:nm].tolist():
            if c == 1:
                end = off + sizes[i]
                q.append(data[off:end])
                off = end
                i += 1
            else:
                frames = []
                for n in sizes[i : i + c]:
                    end = off + n
                    frames.append(data[off:end])
                    off = end
                i += c
                q.append(frames)
        return HB_OK

    def _grow(self, nbytes, nframes):
        nb = self._ra.len
        while nb < nbytes:
            nb *= 2
        nf = self._ra.max_frames
        while nf < nframes:
            nf *= 2
        self._alloc(nb, nf)

    def _fill(self, flags):
        """Wait for at least one message (as NOBLOCK / RCVTIMEO say) and queue it; raise Again on time-out."""
        if _dirty:
            flush_all()
        if flags & C.NOBLOCK or self._rcvtimeo == 0:
            st = self._take(0)
            while st == HB_INTERRUPTED:
                st = self._take(0)
        elif self._rcvtimeo < 0:
            st = self._take(SLICE_MS)
            while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                # Between two bounded waits Python runs its signal handlers (Ctrl-C).
                st = self._take(SLICE_MS)
        else:
            deadline = time.monotonic() + self._rcvtimeo / 1000
            st = self._take(min(self._rcvtimeo, SLICE_MS))
            while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                left = int((deadline - time.monotonic()) * 1000 + 0.999)
                if left <= 0:
                    raise Again(detail=f"no message within RCVTIMEO {self._rcvtimeo} ms")
                st = self._take(min(left, SLICE_MS))
        if st != HB_OK:
            raise _error(st, self, "recv")

    def recv(self, flags=0, copy=True, track=False):
        """Receive one frame: bytes (copy=True) or a Frame (copy=False)."""
        q = self._q
        if q:
            if copy and not self._cur:
                # The hot path: a message already taken from the library.
                m = q.popleft()
                if m.__class__ is bytes:
                    return m
                return self._first_frame(m)
        elif not flags and copy and not self._cur and self._rcvtimeo < 0 and not _dirty:
            # The other hot path: wait (one slice) for the next message(s).
            if self._rtimeout != SLICE_MS:
                self._ra_i[1] = self._rtimeout = SLICE_MS
            if _recv_args(self._ra_p) == HB_OK:
                o = self._ra_n
                if o[9] == 1:
                    return self._buf_mv[: o[10]].tobytes()
                self._parse()
                m = q.popleft()
                if m.__class__ is bytes:
                    return m
                return self._first_frame(m)
        return self._recv1(flags, copy)

    def _first_frame(self, m, copy=True):
        """Start handing out a multipart message frame by frame (rcvmore is True until its last)."""
        if m.__class__ is _Big:
            m = [bytes(f) for f in m] if copy else list(m)
        m.reverse()
        f = m.pop()
        self._cur = m
        return f

    def _recv1(self, flags, copy):
        cur = self._cur
        if cur:
            f = cur.pop()
            more = bool(cur)
            if not more:
                self._cur = None
        else:
            q = self._q
            if not q:
                self._fill(flags)
            m = q.popleft()
            if m.__class__ is bytes:
                f = m
                more = False
            else:
                f = self._first_frame(m, copy)
                more = bool(self._cur)
                if not more:
                    self._cur = None
        if copy:
            return f if f.__class__ is bytes else bytes(f)
        fr = f if f.__class__ is Frame else Frame(f)
        fr.more = more
        fr._src = self._wself
        return fr

    def recv_multipart(self, flags=0, copy=True, track=False):
        """Receive a whole message: a list of frames (bytes, or Frames with copy=False)."""
        cur = self._cur
        if cur:
            cur.reverse()
            msg = cur
            self._cur = None
        else:
            q = self._q
            if not q:
                self._fill(flags)
            m = q.popleft()
            msg = [m] if m.__class__ is bytes else m
        if copy:
            if msg.__class__ is _Big or (msg and msg[0].__class__ is Frame):
                return [f if f.__class__ is bytes else bytes(f) for f in msg]
            return msg
        out = []
        last = len(msg) - 1
        wself = self._wself
        for i, f in enumerate(msg):
            fr = f if f.__class__ is Frame else Frame(f)
            fr.more = i < last
            fr._src = wself
            out.append(fr)
        return out

    def _msg_property(self, name):
        """A metadata property of the last message received (Frame.get)."""
        self._check_open()
        if self._q:
            raise ZMQError(
                C.EINVAL,
                detail="message metadata is kept only for the last message received: ask before receiving more (messages wait in this socket's queue)",
            )
        key = name.encode() if isinstance(name, str) else bytes(name)
        n = c_size_t()
        buf = create_string_buffer(_ffi.HB_TEXT_MAX)
        st = F.hb_socket_msg_property(self._h, key, buf, len(buf), byref(n))
        if st != HB_OK:
            raise _error(st, self, f"frame property {name!r}")
        return buf.raw[: n.value].decode("utf-8", "replace")

    def recv_into(self, buffer, nbytes=0, flags=0):
        """Receive one frame into `buffer` (a writable, contiguous buffer);
        returns the frame's full size (what does not fit is dropped)."""
        if nbytes < 0:
            raise ValueError(f"nbytes={nbytes!r} must be non-negative")
        try:
            mv = memoryview(buffer)
        except TypeError:
            raise TypeError(f"recv_into needs a buffer, not {type(buffer).__name__}") from None
        if mv.readonly:
            raise BufferError("recv_into needs a writable buffer")
        if not mv.c_contiguous:
            raise BufferError("recv_into needs a contiguous buffer")
        mv = mv.cast("B")
        if nbytes > mv.nbytes:
            raise ValueError(f"nbytes={nbytes} is larger than the buffer ({mv.nbytes} bytes)")
        f = SocketBase.recv(self, flags)
        n = min(len(f), nbytes or mv.nbytes)
        mv[:n] = f[:n]
        return len(f)

    def _pending(self):
        """Whether messages taken from the library wait in this socket's queue."""
        return bool(self._q or self._cur)

    def monitor(self, addr, events=C.EVENT_ALL):
        """libzmq's socket monitor (pyzmq's Socket.monitor): the events in
        `events` go, as two-frame messages, to a PAIR socket that libzmq
        binds at `addr` (an inproc:// address); `addr` None stops it. Read
        them with zmq.utils.monitor.recv_monitor_message from a PAIR
        connected to `addr`, and keep reading: libzmq's I/O thread waits on
        a reader whose queue is full (get_monitor_socket() makes a reader
        whose queue has no limit)."""
        self._check_open()
        if events is None:
            events = C.EVENT_ALL
        a = None if addr is None else _ffi.as_bytes_arg(addr, "address")
        st = F.hb_socket_monitor_endpoint(self._h, a, int(events))
        if st != HB_OK:
            raise _error(st, self, f"monitor {addr!r}", addr)

    def disable_monitor(self):
        """Stop the socket's monitor (it sends EVENT_MONITOR_STOPPED if watched)."""
        self._monitor_socket = None
        self.monitor(None, 0)


# Interpreter exit: deferred sends go out. Registered here, after context.py
# registered its own exit hook, so that it runs first (atexit: last in, first out).
atexit.register(_flush_at_exit)
