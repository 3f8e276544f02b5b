"""Context, Socket, Poller and proxy: pyzmq's API on libhypobus's sockets
(hb_socket_*, hb_poll, hb_proxy_*).

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
"""

from __future__ import annotations

import atexit
import errno as _errno
import json
import os
import pickle
import random
import threading
import time
import weakref
from array import array as _array
from collections import deque
from ctypes import addressof, byref, c_char, c_int32, c_int64, c_size_t, c_void_p, create_string_buffer, sizeof

from .. import _ffi
from .._ffi import (F, HB_BUFFER_TOO_SMALL, HB_BUSY, HB_CONFIG, HB_INTERRUPTED, HB_INVALID_ARGUMENT, HB_INVALID_HANDLE,
                    HB_OK, HB_STOPPED, HB_TIMEOUT, HB_ZMQ, PollItem, ProxyStatsC, RecvArgs, SendArgs, SocketEventC)
from . import constants as C
from .error import Again, ContextTerminated, ZMQBindError, ZMQError, NotDone

SLICE_MS = 100  # the longest single wait: how soon a signal on another thread is noticed
_INIT_BUF = 65536
_INIT_FRAMES = 256
_MAX_MSGS = 256

_send = F.hb_socket_send
_send_args = F.hb_socket_send_args
_recv_args = F.hb_socket_recv_args
_send_many = F.hb_socket_send_many
_SEND_BUF = 65536  # messages up to this size are copied into the socket's send buffer (one-argument call)

# Deferred sends (see Socket.send): sends on these socket types that come
# less than COALESCE_S apart are handed to the library in bursts of up to
# BATCH_MSGS messages of at most DEFER_MAX bytes (one hb_socket_send_many call),
# at the latest FLUSH_S later (by a binding thread), and before any other
# receive, poll or option call and any direct send of this process.
DEFER_TYPES = frozenset((C.PUSH, C.PUB, C.DEALER, C.PAIR, C.XPUB, C.XSUB))
COALESCE_S = 0.0002
FLUSH_S = 0.001
BATCH_MSGS = 64
DEFER_MAX = 8192  # larger messages are never deferred (a burst holds at most 64 x 8 KiB)
_mono = time.monotonic
_SZ = next(t for t in "LQI" if _array(t).itemsize == sizeof(c_size_t))  # array typecode of size_t
_ONES = [1] * BATCH_MSGS
_dirty = set()          # sockets with deferred sends
_flush_cv = threading.Condition()
_flusher = None


def _flusher_main():
    try:
        import signal
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except (ValueError, OSError, AttributeError):
        pass
    while True:
        with _flush_cv:
            while not _dirty:
                _flush_cv.wait()
        time.sleep(FLUSH_S)
        for s in list(_dirty):
            try:
                s._flush(False, True)
            except Exception as e:  # kept for the socket's next call
                s._flush_error = e
                s._sq.clear()
                _dirty.discard(s)


def _arm(sock):
    global _flusher
    sock._armed = True
    _dirty.add(sock)
    if _flusher is None:
        _flusher = threading.Thread(target=_flusher_main, name="hypobus-zmq-flush", daemon=True)
        _flusher.start()
    with _flush_cv:
        _flush_cv.notify()


def _after_fork_in_child():
    # The flusher thread does not exist in a forked child, and the parent's
    # deferred sends are the parent's to flush: start afresh.
    global _flusher, _dirty, _flush_cv
    _flusher, _dirty, _flush_cv = None, set(), threading.Condition()


os.register_at_fork(after_in_child=_after_fork_in_child)


def flush_all(block=False):
    """Hand every deferred send of this process to the library now (what
    fits now; block=True waits for room). A socket another thread is
    flushing at the moment is left to that thread."""
    for s in list(_dirty):
        s._flush(block, True)



def _error(status, sock=None, what=None):
    """The pyzmq exception for a failed hb_socket_* call."""
    st, errno, msg = _ffi.error_info(None)
    if st != status:
        errno, msg = 0, _ffi.STATUS_NAMES[status] if 0 <= status < len(_ffi.STATUS_NAMES) else str(status)
    if what and status != HB_ZMQ:
        msg = f"{what}: {msg}"
    if status == HB_TIMEOUT:
        return Again(detail=msg)
    if status in (HB_STOPPED, HB_INVALID_HANDLE):
        if sock is not None and sock._terminated:
            return ContextTerminated(detail="the socket's context was terminated")
        return ZMQError(C.ENOTSOCK, detail=msg if sock is None or not sock._closed else "the socket is closed")
    if status in (HB_ZMQ, HB_CONFIG) and errno:
        if errno == C.ETERM:
            return ContextTerminated(detail=msg)
        if errno == C.EAGAIN:
            return Again(detail=msg)
        return ZMQError(errno, detail=msg)
    if status == HB_BUSY:
        return ZMQError(_errno.EBUSY, detail=msg)
    if status == _ffi.HB_FORKED:  # a parent's socket in a forked child
        return ZMQError(C.ENOTSOCK, detail=msg)
    return ZMQError(errno or C.EINVAL, detail=msg)


def _bytes_of(data, what="message"):
    """The bytes of a frame given as bytes, bytearray, memoryview, Frame or
    any object with the buffer protocol; str is refused as pyzmq does."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        raise TypeError(f"unicode not allowed, use send_string")
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"{what} {data!r:.40} does not support the buffer interface") from None


# ------------------------------------------------------------ Frame, MessageTracker

class Frame(bytes):
    """A received frame (recv(copy=False)) or a frame to send: the bytes
    themselves (a bytes subclass), with pyzmq's Frame attributes."""

    more = False
    tracker = None

    def __new__(cls, data=b"", track=False, copy=None, copy_threshold=None):
        f = super().__new__(cls, _bytes_of(data) if not isinstance(data, bytes) else data)
        return f

    @property
    def bytes(self):
        return bytes.__bytes__(self) if hasattr(bytes, "__bytes__") else bytes(self)

    @property
    def buffer(self):
        return memoryview(self)

    def get(self, option):
        if option in (C.MORE, "more"):
            return int(self.more)
        raise ZMQError(C.EINVAL, detail=f"frame option {option!r} is not supported")

    def __getitem__(self, k):
        if isinstance(k, str):
            return self.get(k)
        return bytes.__getitem__(self, k)

    def fast_copy(self):
        return Frame(self)


Message = Frame


class MessageTracker:
    """pyzmq's tracker of a zero-copy send. Sends here always copy, so
    every tracker is done at once."""

    def __init__(self, *towatch):
        self.done = True

    def wait(self, timeout=-1):
        return None


_DONE = MessageTracker()


# ------------------------------------------------------------ option attributes

class _Opt:
    """sock.linger, sock.rcvtimeo, sock.identity ...: an option as an attribute."""

    __slots__ = ("num",)

    def __init__(self, num):
        self.num = num

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        return obj.getsockopt(self.num)

    def __set__(self, obj, value):
        if isinstance(value, str) and C.OPTION_KIND.get(self.num) in ("bytes", "str", "key"):
            obj.setsockopt_string(self.num, value)
        else:
            obj.setsockopt(self.num, value)


# ------------------------------------------------------------ Context

class Context:
    """pyzmq's Context. All sockets live in libhypobus's one process-wide
    ZeroMQ context (shared with the library's roles, so inproc:// reaches
    them); a Context object keeps track of the sockets it made, for term()
    and destroy(), and of default socket options (ctx.linger = 0 ...)."""

    _instance = None
    _instance_lock = threading.Lock()

    def __init__(self, io_threads=1, shadow=0, **kwargs):
        if not isinstance(io_threads, int) or io_threads < 0:
            raise ZMQError(C.EINVAL, detail=f"io_threads must be a non-negative int, not {io_threads!r}")
        self._sockets = weakref.WeakSet()
        self._proxies = set()
        self._opts = {}
        self._ctx_opts = {C.IO_THREADS: io_threads, C.MAX_SOCKETS: 1023}
        self.closed = False
        self._lock = threading.Lock()

    @classmethod
    def instance(cls, io_threads=1):
        with cls._instance_lock:
            if cls._instance is None or cls._instance.closed:
                cls._instance = cls(io_threads)
            return cls._instance

    @property
    def underlying(self):
        return 0

    def socket(self, socket_type, socket_class=None, **kwargs):
        if self.closed:
            raise ContextTerminated(detail="the context was terminated")
        cls = socket_class or self._socket_class
        s = cls(self, socket_type, **kwargs)
        for opt, value in self._opts.items():
            try:
                s.setsockopt(opt, value)
            except ZMQError:
                pass  # an option this socket type does not have (pyzmq ignores these too)
        with self._lock:
            self._sockets.add(s)
        return s

    _socket_class = None  # set below to Socket

    def term(self):
        """Close every socket of this context that is still open and mark the
        context terminated. pyzmq's term() waits until the application has
        closed its sockets; here it closes them (each lingers in the
        background as its LINGER says) and returns at once. Calls blocked on
        those sockets raise ContextTerminated, as in pyzmq."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            socks = list(self._sockets)
            proxies = list(self._proxies)
        for p in proxies:
            F.hb_proxy_stop(p)
        for s in socks:
            s._terminated = True
            s.close()

    def destroy(self, linger=None):
        """Close every socket (with `linger` ms if given), then term()."""
        with self._lock:
            socks = list(self._sockets)
        for s in socks:
            if not s.closed:
                s.close(linger=linger)
        self.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.term()

    def __del__(self):
        pass  # sockets free themselves when collected; nothing to terminate

    # context options
    def set(self, option, value):
        self._ctx_opts[option] = value

    def get(self, option):
        if option not in self._ctx_opts:
            raise ZMQError(C.EINVAL, detail=f"context option {option} is not known")
        return self._ctx_opts[option]

    def setsockopt(self, option, value):
        """A default option for the sockets this context makes from now on."""
        self._opts[option] = value

    def getsockopt(self, option):
        return self._opts[option]

    def __setattr__(self, key, value):
        if not key.startswith("_") and key not in ("closed",):
            opt = C.OPTIONS.get(key.upper())
            if opt is not None:
                self._opts[opt[0]] = value
                return
            if key.upper() in ("IO_THREADS", "MAX_SOCKETS"):
                self._ctx_opts[getattr(C, key.upper())] = value
                return
        object.__setattr__(self, key, value)

    def __getattr__(self, key):
        opt = C.OPTIONS.get(key.upper())
        if opt is not None and opt[0] in self.__dict__.get("_opts", {}):
            return self._opts[opt[0]]
        if key.upper() in ("IO_THREADS", "MAX_SOCKETS"):
            return self._ctx_opts[getattr(C, key.upper())]
        raise AttributeError(f"Context has no attribute {key!r}")

    def __repr__(self):
        return f"<hypobus.zmq.Context({'closed' if self.closed else f'{len(self._sockets)} sockets'})>"


# ------------------------------------------------------------ Socket

class _EndpointCM:
    """What bind()/connect() return: usable as a context manager that
    unbinds/disconnects on exit, as in pyzmq."""

    __slots__ = ("sock", "addr", "kind")

    def __init__(self, sock, addr, kind):
        self.sock, self.addr, self.kind = sock, addr, kind

    def __enter__(self):
        return self.sock

    def __exit__(self, *exc):
        if self.sock.closed:
            return
        try:
            if self.kind == "bind":
                self.sock.unbind(self.sock.last_endpoint.decode() if "*" in self.addr else self.addr)
            else:
                self.sock.disconnect(self.addr)
        except ZMQError:
            pass


class Socket:
    """pyzmq's Socket on an hb_socket. Make it with ctx.socket(zmq.TYPE).
    Use it from one thread at a time, as with pyzmq."""

    # Slots for the attributes the hot paths read (an instance with more
    # than 30 attributes in its __dict__ loses CPython's fast attribute
    # access); __dict__ stays for anything else a program or subclass sets.
    __slots__ = (
        '_armed', '_batch', '_buf', '_buf_mv', '_closed', '_counts', '_counts_mv', '_cur', '_defer',
        '_flock', '_flush_error', '_h', '_ibuf', '_ibuf_addr', '_q', '_ra', '_ra_i', '_ra_n', '_ra_p',
        '_rcvtimeo', '_rtimeout', '_sa', '_sa_i', '_sa_n', '_sa_p', '_sbuf', '_sbuf_mv', '_sent', '_sent_p',
        '_sflags', '_sizes', '_sizes_mv', '_sndtimeo', '_sq', '_sq_multi', '_ssz', '_ssz_addr', '_ssz_mv',
        '_terminated', '_tlast', 'context', 'socket_type', '__dict__', '__weakref__',
    )

    def __init__(self, ctx_or_socket=None, socket_type=None, *, copy_threshold=None, shadow=None):
        if isinstance(ctx_or_socket, int) and socket_type is None:
            ctx_or_socket, socket_type = None, ctx_or_socket
        if socket_type is None:
            raise TypeError("Socket() needs a socket type")
        if not isinstance(socket_type, int) or isinstance(socket_type, bool):
            raise TypeError(f"socket type must be an int such as zmq.REQ, not {socket_type!r}")
        self._closed = True  # until the handle exists (for __del__)
        self._terminated = False
        h = c_void_p()
        st = F.hb_socket_new(socket_type, byref(h))
        if st != HB_OK:
            raise _error(st, None, f"socket type {socket_type}")
        self._h = h.value
        self._closed = False
        self.context = ctx_or_socket
        self.socket_type = socket_type
        self._q = deque()      # whole messages taken from the library: bytes (one frame) or list of frames
        self._cur = None       # the rest of a message recv() is handing out frame by frame (reversed list): rcvmore
        self._rcvtimeo = -1
        self._sndtimeo = -1
        self._batch = socket_type not in (C.REQ, C.REP)
        self._defer = socket_type in DEFER_TYPES
        self._sq = deque()       # deferred sends: bytes or tuple of frames
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
        self._sa = SendArgs(size=sizeof(SendArgs), flags=0, timeout_ms=SLICE_MS, socket=self._h,
                            data=addressof(self._sbuf), sizes=self._ssz_addr, nframes=1)
        self._sa_p = c_void_p(addressof(self._sa))
        self._sa_i = memoryview(self._sa).cast("B").cast("i")   # [1] flags, [2] timeout_ms
        self._sa_n = memoryview(self._sa).cast("B").cast("N")   # [5] nframes
        self._sflags = 0
        self._ra = RecvArgs(size=sizeof(RecvArgs), timeout_ms=0, socket=self._h,
                            max_msgs=_MAX_MSGS if self._batch else 1)
        self._ra_p = c_void_p(addressof(self._ra))
        self._ra_i = memoryview(self._ra).cast("B").cast("i")   # [1] timeout_ms
        self._ra_n = memoryview(self._ra).cast("B").cast("N")   # [8] nmsgs, [9] nframes, [10] total
        self._rtimeout = 0
        self._alloc(_INIT_BUF, _INIT_FRAMES)
        self._ibuf = c_int64()
        self._ibuf_addr = addressof(self._ibuf)

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
        return self._closed

    @property
    def underlying(self):
        """The hb_socket handle (an int), for the C ABI."""
        return self._h

    @property
    def handle(self):
        return self._h

    def close(self, linger=None):
        """Close the socket (hb_socket_free): waits on it end at once.
        Messages not sent yet go out in the background as LINGER says (set
        `linger` in ms; 0 drops them). Messages received by the library but
        not read yet are dropped, as libzmq drops them."""
        if self._closed:
            return
        if linger is not None:
            try:
                self.setsockopt(C.LINGER, linger)
            except ZMQError:
                pass
        if self._sq:
            self._flush_at_close(linger)
        self._closed = True
        self._q.clear()
        self._cur = None
        F.hb_socket_free(self._h)

    def _flush_at_close(self, linger):
        """Deferred sends go out before the socket closes, waiting for room
        at most LINGER ms (capped at 2 s); with LINGER 0 they are dropped."""
        if linger is None:
            try:
                linger = self.getsockopt(C.LINGER)
            except ZMQError:
                linger = 0
        if linger == 0:
            self._sq.clear()
            _dirty.discard(self)
            return
        deadline = _mono() + (2.0 if linger < 0 else min(linger / 1000, 2.0))
        try:
            while self._sq and _mono() < deadline:
                self._flush(False)
                if self._sq:
                    time.sleep(0.001)
        except ZMQError:
            pass
        self._sq.clear()
        _dirty.discard(self)

    def __del__(self):
        try:
            if not self._closed:
                self._closed = True
                F.hb_socket_free(self._h)
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self._closed:
            if self._terminated:
                raise ContextTerminated(detail="the socket's context was terminated")
            raise ZMQError(C.ENOTSOCK, detail="the socket is closed")

    def __repr__(self):
        name = {v: k for k, v in C.SOCKET_TYPES.items()}.get(self.socket_type, str(self.socket_type))
        return f"<hypobus.zmq.Socket(zmq.{name}){' closed' if self._closed else ''} at {id(self):#x}>"

    # -------------------------------------------------------- endpoints

    def bind(self, addr):
        self._check_open()
        a = _ffi.as_bytes_arg(addr, "address")
        out = create_string_buffer(_ffi.TEXT_MAX)
        st = F.hb_socket_bind(self._h, a, out, _ffi.TEXT_MAX, None)
        if st != HB_OK:
            raise _error(st, self, f"bind {addr!r}")
        return _EndpointCM(self, addr if isinstance(addr, str) else addr.decode(), "bind")

    def bind_to_random_port(self, addr, min_port=49152, max_port=65536, max_tries=100):
        """Bind to a free port of `addr` (e.g. "tcp://127.0.0.1") and return it."""
        if min_port == 49152 and max_port == 65536:
            self.bind(f"{addr}:*")
            return int(self.last_endpoint.decode().rsplit(":", 1)[-1])
        for _ in range(max_tries):
            port = random.randrange(min_port, max_port)
            try:
                self.bind(f"{addr}:{port}")
            except ZMQError as e:
                if e.errno in (C.EADDRINUSE, _errno.EACCES):
                    continue
                raise
            return port
        raise ZMQBindError("Could not bind socket to random port.")

    def unbind(self, addr):
        self._check_open()
        st = F.hb_socket_unbind(self._h, _ffi.as_bytes_arg(addr, "address"))
        if st != HB_OK:
            raise _error(st, self, f"unbind {addr!r}")

    def connect(self, addr):
        self._check_open()
        st = F.hb_socket_connect(self._h, _ffi.as_bytes_arg(addr, "address"))
        if st != HB_OK:
            raise _error(st, self, f"connect {addr!r}")
        return _EndpointCM(self, addr if isinstance(addr, str) else addr.decode(), "connect")

    def disconnect(self, addr):
        self._check_open()
        st = F.hb_socket_disconnect(self._h, _ffi.as_bytes_arg(addr, "address"))
        if st != HB_OK:
            raise _error(st, self, f"disconnect {addr!r}")

    # -------------------------------------------------------- options

    def setsockopt(self, option, value):
        self._check_open()
        if self._sq:
            self._flush(True)
        if option == C.HWM:
            self.setsockopt(C.SNDHWM, value)
            self.setsockopt(C.RCVHWM, value)
            return
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
        if option == C.RCVTIMEO:
            self._rcvtimeo = value
        elif option == C.SNDTIMEO:
            self._sndtimeo = value
            self._sa_i[2] = SLICE_MS if value < 0 else min(value, SLICE_MS)

    set = setsockopt

    def getsockopt(self, option):
        self._check_open()
        if self._sq:
            self._flush(True)
        if option == C.RCVMORE:
            return 1 if self._cur else 0
        if option == C.HWM:
            return self.getsockopt(C.SNDHWM)
        kind = C.OPTION_KIND.get(option)
        if kind in ("bytes", "str", "key"):
            n = c_size_t()
            buf = create_string_buffer(1024)
            st = F.hb_socket_getopt(self._h, option, buf, len(buf), byref(n))
            if st != HB_OK:
                raise _error(st, self, f"getsockopt({C.OPTION_NAMES.get(option, option)})")
            return buf.raw[:n.value]
        st = F.hb_socket_getopt_int(self._h, option, self._ibuf_addr)
        if st != HB_OK:
            raise _error(st, self, f"getsockopt({C.OPTION_NAMES.get(option, option)})")
        v = self._ibuf.value
        if option == C.EVENTS and (self._q or self._cur):
            v |= C.POLLIN
        return v

    get = getsockopt

    def setsockopt_string(self, option, optval, encoding="utf-8"):
        if not isinstance(optval, str):
            raise TypeError(f"expected str, got {type(optval).__name__}")
        self.setsockopt(option, optval.encode(encoding))

    set_string = setsockopt_string

    def getsockopt_string(self, option, encoding="utf-8"):
        if C.OPTION_KIND.get(option) not in ("bytes", "str", "key"):
            raise TypeError(f"option {C.OPTION_NAMES.get(option, option)} is not a string option")
        return self.getsockopt(option).decode(encoding)

    get_string = getsockopt_string

    def subscribe(self, topic):
        if isinstance(topic, str):
            topic = topic.encode("utf-8")
        self.setsockopt(C.SUBSCRIBE, topic)

    def unsubscribe(self, topic):
        if isinstance(topic, str):
            topic = topic.encode("utf-8")
        self.setsockopt(C.UNSUBSCRIBE, topic)

    @property
    def rcvmore(self):
        """Whether more frames of the message recv() is handing out follow."""
        return bool(self._cur)

    @property
    def type(self):
        return self.socket_type

    def fileno(self):
        """A descriptor that becomes readable when the socket may have
        something to take (hb_handle_fd; not libzmq's ZMQ_FD)."""
        self._check_open()
        return _ffi.handle_fd(self._h)

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
                st = _send(h, data, arr, n, flags, SLICE_MS)
        else:
            deadline = time.monotonic() + self._sndtimeo / 1000
            while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    if st == HB_INTERRUPTED:
                        continue
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
                return _DONE if track else None
        if sq and not flags and data.__class__ is bytes and len(data) <= DEFER_MAX:
            # A burst is being deferred: join it (the hot path of a flood).
            sq.append(data)
            if len(sq) >= BATCH_MSGS:
                self._flush(True)
            elif not self._armed:
                _arm(self)
            return _DONE if track else None
        return self._send1(data, flags, track)

    def _send1(self, data, flags, track):
        if data.__class__ is not bytes:
            if isinstance(data, (list, tuple)):
                raise TypeError("send() takes one frame; use send_multipart for a list")
            data = _bytes_of(data)
        n = len(data)
        if self._defer and not flags and self._sndtimeo < 0 and n <= DEFER_MAX:
            t = _mono()
            if t - self._tlast < COALESCE_S:
                # Sends come fast: defer this one, the next ones join it.
                self._tlast = t
                if self._flush_error is not None:
                    self._raise_flush_error()
                sq = self._sq
                sq.append(data)
                if len(sq) >= BATCH_MSGS:
                    self._flush(True)
                elif not self._armed:
                    _arm(self)
                return _DONE if track else None
            self._tlast = t
        if _dirty:
            self._flush_before(flags)
        if n > _SEND_BUF:
            self._send_big((data,), data, flags)
            return _DONE if track else None
        self._sbuf_mv[:n] = data
        self._ssz_mv[0] = n
        if flags != self._sflags:
            self._set_sflags(flags)
        st = _send_args(self._sa_p)
        if st:
            self._send_wait(st, data, (n,), flags)
        return _DONE if track else None

    def _flush(self, block, try_lock=False):
        """Hand the deferred sends to the library (hb_socket_send_many), in
        order; block=True waits for room (in slices), else takes what fits
        now. try_lock: return at once if another thread is flushing it."""
        if try_lock:
            if not self._flock.acquire(blocking=False):
                return
            try:
                self._flush_locked(block)
            finally:
                self._flock.release()
            return
        with self._flock:
            self._flush_locked(block)

    def _flush_locked(self, block):
        if True:
            self._armed = False
            sq = self._sq
            k = len(sq)
            if not k:
                _dirty.discard(self)
                return
            items = [sq.popleft() for _ in range(k)]
            multi = self._sq_multi
            self._sq_multi = False
            data = None
            if not multi:
                try:
                    data = b"".join(items)
                except TypeError:  # a multipart message came in meanwhile
                    pass
            if data is not None:
                frames = items
                counts = _array(_SZ, _ONES[:k]) if k <= BATCH_MSGS else _array(_SZ, [1]) * k
            else:
                frames = []
                counts = _array(_SZ)
                for m in items:
                    if m.__class__ is bytes:
                        frames.append(m)
                        counts.append(1)
                    else:
                        frames.extend(m)
                        counts.append(len(m))
                data = b"".join(frames)
            sizes = _array(_SZ, map(len, frames))
            sent = self._sent
            st = _send_many(self._h, data, sizes.buffer_info()[0], counts.buffer_info()[0], k, 0,
                            SLICE_MS if block else 0, self._sent_p)
            if st != HB_OK:
                self._flush_rest(st, block, items, frames, sizes, counts, data, sent.value)
            if not sq:
                _dirty.discard(self)
            else:
                self._armed = True

    def _flush_rest(self, st, block, items, frames, sizes, counts, data, done):
        """A burst that did not go whole: wait for room (block) or put the rest back first in line."""
        k = len(items)
        sq = self._sq
        while True:
            if st == HB_OK:
                return
            if st != HB_TIMEOUT and st != HB_INTERRUPTED:
                raise _error(st, self, "send")
            if not block:
                for m in reversed(items[done:]):
                    sq.appendleft(m)
                    if m.__class__ is not bytes:
                        self._sq_multi = True
                self._armed = True
                _dirty.add(self)
                return
            f0 = sum(counts[:done])
            b0 = sum(sizes[:f0])
            st = _send_many(self._h, data[b0:], sizes.buffer_info()[0] + f0 * sizes.itemsize,
                            counts.buffer_info()[0] + done * counts.itemsize, k - done, 0, SLICE_MS, self._sent_p)
            done += self._sent.value

    def _flush_before(self, flags):
        """Before a direct send: deferred sends of this process go first
        (order and causality as if nothing had been deferred)."""
        flush_all(False)
        if self._sq:
            if flags & C.NOBLOCK:
                raise Again(detail="no room to send (earlier sends of this socket still wait for room)")
            self._flush(True)
        if self._flush_error is not None:
            self._raise_flush_error()

    def _raise_flush_error(self):
        e, self._flush_error = self._flush_error, None
        raise e

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
                    self._raise_flush_error()
                self._sq_multi = True
                sq.append(tuple(parts))
                if len(sq) >= BATCH_MSGS:
                    self._flush(True)
                elif not self._armed:
                    _arm(self)
                return _DONE if track else None
            self._tlast = t
        if _dirty:
            self._flush_before(flags)
        data = b"".join(parts)
        total = len(data)
        if total > _SEND_BUF or n > 64:
            self._send_big(parts, data, flags)
            return _DONE if track else None
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
        return _DONE if track else None

    def send_string(self, u, flags=0, copy=True, encoding="utf-8", **kwargs):
        if not isinstance(u, str):
            raise TypeError("str objects only")
        return self.send(u.encode(encoding), flags=flags, copy=copy, **kwargs)

    send_unicode = send_string

    def send_json(self, obj, flags=0, **kwargs):
        send_kwargs = {k: kwargs.pop(k) for k in ("routing_id", "group") if k in kwargs}
        return self.send(json.dumps(obj, **kwargs).encode("utf8"), flags=flags, **send_kwargs)

    def send_pyobj(self, obj, flags=0, protocol=C.DEFAULT_PROTOCOL, **kwargs):
        return self.send(pickle.dumps(obj, protocol if protocol != -1 else pickle.DEFAULT_PROTOCOL), flags=flags,
                         **kwargs)

    def send_serialized(self, msg, serialize, flags=0, copy=True, **kwargs):
        return self.send_multipart(serialize(msg), flags=flags, copy=copy, **kwargs)

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
            self._grow(o[10], o[9])
            return self._take(0)
        return st

    def _parse(self):
        """Queue the messages the last receive call wrote into the buffers."""
        o = self._ra_n
        nm = o[8]
        nf = o[9]
        data = self._buf_mv[:o[10]].tobytes()
        q = self._q
        if nf == 1:
            q.append(data)
            return HB_OK
        sizes = self._sizes_mv[:nf].tolist()
        off = 0
        if nf == nm:
            for n in sizes:
                end = off + n
                q.append(data[off:end])
                off = end
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
                for n in sizes[i:i + c]:
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
                    return self._buf_mv[:o[10]].tobytes()
                self._parse()
                m = q.popleft()
                if m.__class__ is bytes:
                    return m
                return self._first_frame(m)
        return self._recv1(flags, copy)

    def _first_frame(self, m):
        """Start handing out a multipart message frame by frame (rcvmore is True until its last)."""
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
                f = self._first_frame(m)
                more = True
        if copy:
            return f
        fr = Frame(f)
        fr.more = more
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
            return msg
        out = []
        last = len(msg) - 1
        for i, f in enumerate(msg):
            fr = Frame(f)
            fr.more = i < last
            out.append(fr)
        return out

    def recv_string(self, flags=0, encoding="utf-8"):
        return self.recv(flags).decode(encoding)

    recv_unicode = recv_string

    def recv_json(self, flags=0, **kwargs):
        return json.loads(self.recv(flags), **kwargs)

    def recv_pyobj(self, flags=0):
        return pickle.loads(self.recv(flags))

    def recv_serialized(self, deserialize, flags=0, copy=True):
        return deserialize(self.recv_multipart(flags, copy))

    def recv_into(self, buffer, nbytes=0, flags=0):
        """Receive one frame into `buffer`; returns the frame's full size (it is cut to fit)."""
        f = self.recv(flags)
        mv = memoryview(buffer).cast("B")
        n = min(len(f), nbytes or len(mv), len(mv))
        mv[:n] = f[:n]
        return len(f)

    def _pending(self):
        """Whether messages taken from the library wait in this socket's queue."""
        return bool(self._q or self._cur)

    # -------------------------------------------------------- poll, monitor

    def poll(self, timeout=None, flags=C.POLLIN):
        """Wait (timeout ms; None = forever) until the socket can do `flags`; returns the events ready (0 if none)."""
        self._check_open()
        p = Poller()
        p.register(self, flags)
        evts = dict(p.poll(timeout))
        return evts.get(self, 0)

    def get_monitor_socket(self, events=None, addr=None):
        raise NotImplementedError("monitor sockets are not available: use sock.monitor_events() (hb_socket_monitor)")

    def monitor_events(self, events=C.EVENT_ALL):
        """Start reporting socket events (hb_socket_monitor); take them with next_event()."""
        self._check_open()
        st = F.hb_socket_monitor(self._h, events)
        if st != HB_OK:
            raise _error(st, self, "monitor")

    def next_event(self, timeout=1000):
        """The next socket event as a dict like zmq.utils.monitor.recv_monitor_message gives:
        {'event', 'value', 'endpoint'}; raises Again after `timeout` ms."""
        self._check_open()
        ev = SocketEventC()
        ev.size = 24
        buf = create_string_buffer(_ffi.TEXT_MAX)
        deadline = time.monotonic() + timeout / 1000
        while True:
            left = max(0, int((deadline - time.monotonic()) * 1000))
            st = F.hb_socket_next_event(self._h, min(left, SLICE_MS), byref(ev), buf, _ffi.TEXT_MAX, None)
            if st == HB_OK:
                return {"event": ev.event, "value": ev.value, "endpoint": buf.value}
            if (st == HB_TIMEOUT and left > 0) or st == HB_INTERRUPTED:
                continue
            raise _error(st, self, "next_event")


Context._socket_class = Socket

for _name, (_num, _kind) in C.OPTIONS.items():
    _attr = _name.lower()
    if _attr in ("subscribe", "unsubscribe", "type", "rcvmore"):
        continue
    setattr(Socket, _attr, _Opt(_num))
Socket.hwm = _Opt(C.HWM)


# ------------------------------------------------------------ Poller

class Poller:
    """pyzmq's Poller over hb_poll: register sockets (and file descriptors
    or objects with fileno()), poll(timeout ms) returns [(socket, events)]."""

    def __init__(self):
        self.sockets = []
        self._map = {}
        self._items = None

    def register(self, socket, flags=C.POLLIN | C.POLLOUT):
        if flags:
            if socket in self._map:
                self.sockets[self._map[socket]] = (socket, flags)
            else:
                self._map[socket] = len(self.sockets)
                self.sockets.append((socket, flags))
        elif socket in self._map:
            self.unregister(socket)
        self._items = None

    def modify(self, socket, flags=C.POLLIN | C.POLLOUT):
        self.register(socket, flags)

    def unregister(self, socket):
        idx = self._map.pop(socket)
        self.sockets.pop(idx)
        for s, i in self._map.items():
            if i > idx:
                self._map[s] = i - 1
        self._items = None

    def _build(self):
        socks = [(s, f) for s, f in self.sockets if isinstance(s, Socket)]
        fds = [(s, f) for s, f in self.sockets if not isinstance(s, Socket)]
        arr = (PollItem * max(1, len(socks)))()
        for i, (s, f) in enumerate(socks):
            s._check_open()
            arr[i].handle = s._h
            arr[i].events = f & (C.POLLIN | C.POLLOUT)
        self._items = (socks, fds, arr)
        return self._items

    def poll(self, timeout=None):
        """Wait at most `timeout` ms (None or negative: until something is
        ready, in bounded slices) and return [(socket, events)]."""
        if timeout is None or timeout < 0:
            timeout = -1
        else:
            timeout = int(timeout)
        for s, _f in self.sockets:
            if isinstance(s, Socket) and s._closed:
                s._check_open()
        socks, fds, arr = self._items or self._build()
        if not socks and not fds:
            if timeout > 0:
                time.sleep(timeout / 1000)
            return []
        # Messages already taken from the library count as POLLIN now.
        ready_now = any(f & C.POLLIN and s._pending() for s, f in socks)
        if fds:
            return self._poll_mixed(socks, fds, 0 if ready_now else timeout)
        n = len(socks)
        nready = c_size_t()
        wait = 0 if ready_now else timeout
        if wait < 0:
            st = F.hb_poll(arr, n, SLICE_MS, byref(nready))
            while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                st = F.hb_poll(arr, n, SLICE_MS, byref(nready))
        elif wait == 0:
            st = F.hb_poll(arr, n, 0, byref(nready))
            while st == HB_INTERRUPTED:
                st = F.hb_poll(arr, n, 0, byref(nready))
        else:
            deadline = time.monotonic() + wait / 1000
            st = F.hb_poll(arr, n, min(wait, SLICE_MS), byref(nready))
            while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                left = int((deadline - time.monotonic()) * 1000 + 0.999)
                if left <= 0:
                    break
                st = F.hb_poll(arr, n, min(left, SLICE_MS), byref(nready))
        if st not in (HB_OK, HB_TIMEOUT):
            raise _error(st, None, "poll")
        out = []
        for i, (s, f) in enumerate(socks):
            rev = arr[i].revents if st == HB_OK else 0
            if f & C.POLLIN and s._pending():
                rev |= C.POLLIN
            if rev & _ffi.HB_POLLERR:
                s._check_open()
                raise ZMQError(C.ENOTSOCK, detail="poll: a socket was closed")
            rev &= f
            if rev:
                out.append((s, rev))
        return out

    def _poll_mixed(self, socks, fds, timeout):
        """Sockets and plain descriptors: wait on the sockets' hb_handle_fd
        descriptors and the others with select.poll, then look at the sockets."""
        import select
        deadline = None if timeout < 0 else time.monotonic() + timeout / 1000
        while True:
            out = []
            if socks:
                out = Poller._sub(socks).poll(0)
            sp = select.poll()
            fdmap = {}
            for s, f in fds:
                fd = s if isinstance(s, int) else s.fileno()
                fdmap[fd] = (s, f)
                mask = (select.POLLIN if f & C.POLLIN else 0) | (select.POLLOUT if f & C.POLLOUT else 0)
                sp.register(fd, mask)
            for s, _f in socks:
                sp.register(_ffi.handle_fd(s._h), select.POLLIN)
            wait = 0 if out else (SLICE_MS if deadline is None else
                                  max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000))))
            for fd, ev in sp.poll(wait):
                if fd in fdmap:
                    s, f = fdmap[fd]
                    rev = (C.POLLIN if ev & select.POLLIN else 0) | (C.POLLOUT if ev & select.POLLOUT else 0) | \
                          (C.POLLERR if ev & (select.POLLERR | select.POLLHUP) else 0)
                    rev &= f | C.POLLERR
                    if rev:
                        out.append((s, rev))
            if socks and not out:
                out = Poller._sub(socks).poll(0)
            if out or (deadline is not None and time.monotonic() >= deadline):
                return out

    @staticmethod
    def _sub(socks):
        p = Poller()
        for s, f in socks:
            p.register(s, f)
        return p


def select(rlist, wlist, xlist, timeout=None):
    """zmq.select: sockets (or descriptors) ready to read / write / in error."""
    p = Poller()
    for s in rlist:
        p.register(s, C.POLLIN)
    for s in wlist:
        p.register(s, (p.sockets[p._map[s]][1] if s in p._map else 0) | C.POLLOUT)
    for s in xlist:
        p.register(s, (p.sockets[p._map[s]][1] if s in p._map else 0) | C.POLLERR)
    ev = dict(p.poll(None if timeout is None else timeout * 1000))
    return ([s for s in rlist if ev.get(s, 0) & C.POLLIN], [s for s in wlist if ev.get(s, 0) & C.POLLOUT],
            [s for s in xlist if ev.get(s, 0) & C.POLLERR])


# ------------------------------------------------------------ proxy

_running_proxies = set()
_proxies_lock = threading.Lock()


def _flush_pending(src, dst):
    """Messages a socket took from the library but nobody read go to the
    other side before the proxy takes the sockets over."""
    while src._pending():
        dst.send_multipart(src.recv_multipart())


def proxy(frontend, backend, capture=None):
    """zmq.proxy: forward messages between frontend and backend (and copy
    them to capture) until the context is terminated; blocks like pyzmq's
    (a loop of bounded hb_proxy_wait calls: Ctrl-C interrupts it). The
    forwarding runs on a library thread (hb_proxy_new)."""
    for s in (frontend, backend) + ((capture,) if capture is not None else ()):
        if not isinstance(s, Socket):
            raise TypeError(f"proxy() takes hypobus.zmq sockets, not {type(s).__name__}")
        s._check_open()
    _flush_pending(frontend, backend)
    _flush_pending(backend, frontend)
    p = c_void_p()
    st = F.hb_proxy_new(frontend._h, backend._h, capture._h if capture is not None else None, byref(p))
    if st != HB_OK:
        raise _error(st, frontend, "proxy")
    ctxs = {s.context for s in (frontend, backend) if isinstance(s.context, Context)}
    with _proxies_lock:
        _running_proxies.add(p.value)
    for c in ctxs:
        with c._lock:
            c._proxies.add(p.value)
    try:
        while True:
            st = F.hb_proxy_wait(p, SLICE_MS)
            if st == HB_TIMEOUT or st == HB_INTERRUPTED:
                continue
            break
    finally:
        with _proxies_lock:
            _running_proxies.discard(p.value)
        for c in ctxs:
            with c._lock:
                c._proxies.discard(p.value)
        F.hb_proxy_free(p)
    if any(c.closed for c in ctxs) or frontend._terminated or backend._terminated:
        raise ContextTerminated(detail="proxy: the context was terminated")
    raise ZMQError(C.ETERM if st == HB_OK else C.ENOTSOCK, detail="proxy stopped")


def proxy_steerable(frontend, backend, capture=None, control=None):
    """zmq.proxy_steerable: as proxy(), also obeying PAUSE / RESUME / TERMINATE
    (and STATISTICS) on the `control` socket."""
    if control is None:
        return proxy(frontend, backend, capture)
    _flush_pending(frontend, backend)
    _flush_pending(backend, frontend)
    p = c_void_p()
    st = F.hb_proxy_new(frontend._h, backend._h, capture._h if capture is not None else None, byref(p))
    if st != HB_OK:
        raise _error(st, frontend, "proxy")
    try:
        while True:
            if control.poll(SLICE_MS):
                cmd = control.recv()
                if cmd == b"PAUSE":
                    F.hb_proxy_pause(p)
                elif cmd == b"RESUME":
                    F.hb_proxy_resume(p)
                elif cmd == b"TERMINATE":
                    return
                elif cmd == b"STATISTICS":
                    s = ProxyStatsC()
                    s.size = 56
                    F.hb_proxy_stats(p, byref(s))
                    control.send_multipart([x.to_bytes(8, "little") for x in (
                        s.to_backend_msgs, s.to_backend_bytes, 0, 0, s.to_frontend_msgs, s.to_frontend_bytes, 0, 0)])
            if F.hb_proxy_wait(p, 0) == HB_OK:
                break
    finally:
        F.hb_proxy_free(p)
    raise ContextTerminated(detail="proxy stopped")


def device(device_type, frontend, backend):
    """zmq.device (old name of proxy)."""
    return proxy(frontend, backend)


QUEUE, FORWARDER, STREAMER = 3, 2, 1


@atexit.register
def _flush_at_exit():
    # Interpreter exit: deferred sends go out (each socket lingers as its LINGER says).
    for s in list(_dirty):
        try:
            s._flush_at_close(None)
        except Exception:
            pass


_ = (c_int32, NotDone, HB_INVALID_ARGUMENT)
