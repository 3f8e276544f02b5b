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
import itertools
import warnings
import errno as _errno
import json
import os
import pickle
import sys
import random
import threading
import time
import weakref
from array import array as _array
from collections import deque
from ctypes import addressof, byref, c_char, c_int32, c_int64, c_size_t, c_void_p, create_string_buffer, sizeof

from ... import _ffi
from ..._ffi import (F, HB_BUFFER_TOO_SMALL, HB_BUSY, HB_CONFIG, HB_INTERRUPTED, HB_INVALID_ARGUMENT, HB_INVALID_HANDLE,
                    HB_OK, HB_STOPPED, HB_TIMEOUT, HB_ZMQ, PollItem, ProxyStatsC, RecvArgs, SendArgs, SocketEventC)
from .. import constants as C
from ..error import Again, ContextTerminated, ZMQBindError, ZMQError, NotDone

_BIG_MSG = 1 << 20  # a message bigger than this is received into a buffer of its own (see Socket._take_big)
C_COPY_THRESHOLD = 65536  # zmq.COPY_THRESHOLD: Frames below it are copied (here: all are)
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



def _error(status, sock=None, what=None, addr=None):
    """The pyzmq exception for a failed hb_socket_* call (`addr`: the
    endpoint of a bind/connect, always named in the message)."""
    st, errno, msg = _ffi.error_info(None)
    if st != status:
        errno, msg = 0, _ffi.STATUS_NAMES[status] if 0 <= status < len(_ffi.STATUS_NAMES) else str(status)
    if what and (status != HB_ZMQ or (addr is not None and str(addr) not in msg)):
        msg = f"{what}: {msg}"
    if sock is not None and status != HB_TIMEOUT:
        if sock._closed:
            return ZMQError(C.ENOTSOCK, detail="the socket is closed")
        if sock._terminated:
            return ContextTerminated(detail="the socket's context was terminated")
    if status == HB_TIMEOUT:
        return Again(detail=msg)
    if status in (HB_STOPPED, HB_INVALID_HANDLE):
        return ZMQError(C.ENOTSOCK, detail=msg if sock is None or not sock._closed else "the socket is closed")
    if status in (HB_ZMQ, HB_CONFIG) and errno:
        if errno == C.ETERM:
            return ContextTerminated(detail=msg)
        if errno == C.EAGAIN:
            return Again(detail=msg)
        a = addr.decode("utf-8", "replace") if isinstance(addr, bytes) else addr
        if isinstance(a, str) and a.startswith("ipc://"):
            path = a[6:]
            if errno == _errno.ENAMETOOLONG:
                return ZMQError(errno, f'ipc path "{path}" is longer than {C.IPC_PATH_MAX_LEN} characters '
                                       "(sizeof(sockaddr_un.sun_path)).", detail=msg)
            if errno == _errno.ENOENT:
                return ZMQError(errno, f'No such file or directory for ipc path "{path}".', detail=msg)
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

class MessageTracker:
    """pyzmq's MessageTracker: done once every watched frame is done.
    `MessageTracker(*towatch)` watches Frames made with track=True, other
    trackers, or threading.Events. A Frame is done when nothing can hand
    its buffer to the library any more, i.e. when the Frame is gone (the
    library copies what it sends at once)."""

    def __init__(self, *towatch):
        self.events = set()
        self.peers = set()
        for obj in towatch:
            if isinstance(obj, threading.Event):
                self.events.add(obj)
            elif isinstance(obj, MessageTracker):
                self.peers.add(obj)
            elif isinstance(obj, Frame):
                if obj.tracker is None:
                    raise ValueError("Not a tracked message")
                self.peers.add(obj.tracker)
            else:
                raise TypeError(f"Require Events or Message Frames, not {type(obj)}")

    @property
    def done(self):
        return all(e.is_set() for e in self.events) and all(p.done for p in self.peers)

    def wait(self, timeout=-1):
        """Wait until done (timeout in seconds, -1 = no limit: in bounded
        slices); raises NotDone if it is not done in time."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        for e in list(self.events):
            while not e.is_set():
                left = SLICE_MS / 1000 if deadline is None else min(deadline - time.monotonic(), SLICE_MS / 1000)
                if left <= 0:
                    raise NotDone
                e.wait(left)
        for p in list(self.peers):
            p.wait(-1 if deadline is None else max(0.0, deadline - time.monotonic()))


_FINISHED_TRACKER = MessageTracker()  # what a copying send returns when track=True


def _frame_done(event):
    event.set()


class Frame(bytearray):
    """pyzmq's Frame: a message frame to send, or one received with
    recv(copy=False). It holds its own copy of the bytes (a bytearray:
    `memoryview(frame)` and `frame.buffer` work, writable as in pyzmq);
    `frame.bytes` is a bytes copy made once; `more` tells whether more
    frames of the message follow; `get(zmq.MORE)`.
    With track=True, `frame.tracker` is done once the Frame is gone."""

    more = False
    tracker = None
    _bytes = None
    _buffer = None

    def __init__(self, data=b"", track=False, copy=None, copy_threshold=None):
        if isinstance(data, str):
            raise TypeError("Str objects not allowed. Only: bytes, buffer interfaces.")
        if data.__class__ is not bytes:
            try:
                mv = memoryview(data)
            except TypeError:
                raise TypeError(f"Frame data must support the buffer interface, not {type(data).__name__}") from None
            if not mv.contiguous:
                raise BufferError("Frame data must be a contiguous buffer")
            data = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
        super().__init__(data)
        if track:
            ev = threading.Event()
            self.tracker = MessageTracker(ev)
            weakref.finalize(self, _frame_done, ev)

    @property
    def bytes(self):
        """The frame's bytes (copied once, then the same object)."""
        b = self._bytes
        if b is None:
            b = self._bytes = builtins_bytes(self)
        return b

    @property
    def buffer(self):
        """A memoryview of the frame (the same object each time)."""
        b = self._buffer
        if b is None:
            b = self._buffer = memoryview(self)
        return b

    def get(self, option):
        """Frame properties: zmq.MORE / "more"."""
        if option in (C.MORE, "more"):
            return int(self.more)
        if isinstance(option, (str, builtins_bytes)):
            raise ZMQError(C.EINVAL, detail=f"frame property {option!r}: the binding keeps no message metadata")
        raise ZMQError(C.EINVAL, detail=f"frame option {option!r} is not supported")

    def set(self, option, value):
        raise ZMQError(C.EINVAL, detail=f"frame option {option!r} cannot be set")

    def __getitem__(self, k):
        if isinstance(k, str):
            return self.get(k)
        return bytearray.__getitem__(self, k)

    def __copy__(self):
        f = Frame(self)
        f.tracker = self.tracker
        f.more = self.more
        return f

    fast_copy = __copy__

    def __deepcopy__(self, memo):
        return self.__copy__()

    __hash__ = object.__hash__

    def __repr__(self):
        n = len(self)
        if n > 16:
            head = builtins_bytes(memoryview(self)[:12])
            if n >= 1e9:
                suffix = f"...{n // 1e9:.0f}GB"
            elif n >= 2 ** 20:
                suffix = f"...{n // 1e6:.0f}MB"
            elif n >= 1e3:
                suffix = f"...{n // 1e3:.0f}kB"
            else:
                suffix = f"...{n}B"
        else:
            head, suffix = builtins_bytes(self), ""
        cls = type(self)
        name = "zmq.Frame" if cls is Frame else f"{cls.__module__}.{cls.__name__}"
        return f"<{name}({head!r}{suffix})>"

    __str__ = __repr__


Message = Frame
builtins_bytes = bytes


class _Big(list):
    """A received message whose frames are Frames over a buffer of their own (see Socket._take_big)."""


# ------------------------------------------------------------ option attributes

class _Opt:
    """sock.linger, sock.rcvtimeo, sock.identity ...: an option as an attribute."""

    __slots__ = ("num",)

    def __init__(self, num):
        self.num = num

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        try:
            return obj.getsockopt(self.num)
        except ZMQError as e:
            if e.errno in (C.EINVAL, C.EFAULT):  # a write-only option (as pyzmq says it)
                raise AttributeError(f"{C.OPTION_NAMES.get(self.num, self.num).lower()} attribute is write-only")
            raise

    def __set__(self, obj, value):
        if isinstance(value, str) and C.OPTION_KIND.get(self.num) in ("bytes", "str", "key"):
            obj.setsockopt_string(self.num, value)
        else:
            obj.setsockopt(self.num, value)


def _class_has(cls, key):
    for k in cls.__mro__:
        if key in k.__dict__ or key in getattr(k, "__annotations__", ()):
            return True
    return False


# ------------------------------------------------------------ Context

_exiting = False


def _notice_exit():
    global _exiting
    _exiting = True


atexit.register(_notice_exit)


class _Core:
    """What a Context and its shadows share (libzmq's context, as far as
    Python sees it): the open sockets, whether term() began, the context
    options, the running proxies."""

    def __init__(self, io_threads):
        self.terminated = False
        self.sockets = weakref.WeakSet()
        self.cv = threading.Condition()
        self.proxies = set()
        self.pid = os.getpid()
        self.opts = {C.IO_THREADS: io_threads, C.MAX_SOCKETS: 1023, C.SOCKET_LIMIT: 65535,
                     C.THREAD_PRIORITY: -1, C.THREAD_SCHED_POLICY: -1, C.MAX_MSGSZ: 2 ** 31 - 1,
                     C.MSG_T_SIZE: 64, C.BLOCKY: 1, 42: 0}

    def forget(self, sock):
        with self.cv:
            self.sockets.discard(sock)
            self.cv.notify_all()


_cores = weakref.WeakValueDictionary()   # Context.underlying -> _Core, for Context.shadow(address)
_core_ids = itertools.count(0x10000)


class Context:
    """pyzmq's Context. Every Context of a process shares libhypobus's one
    ZeroMQ context (so inproc:// names are process-wide); a Context object
    keeps its sockets, default socket options and its options, and term()
    behaves as pyzmq's: blocking calls on its sockets raise
    ContextTerminated, then it waits until every socket is closed."""

    _instance = None
    _instance_lock = threading.Lock()
    _instance_pid = None
    _shadow = False
    _shadow_obj = None
    _warn_destroy_close = False
    _repr_cls = "zmq.Context"
    _socket_class = None  # set below to Socket
    closed = False
    sockopts = None

    def __init__(self, io_threads=1, shadow=0, **kwargs):
        if isinstance(io_threads, Context):
            shadow, io_threads = io_threads, 1
        if shadow:
            core = None
            if isinstance(shadow, Context):
                core = shadow._core
            else:
                addr = getattr(shadow, "underlying", shadow)
                if isinstance(addr, int):
                    core = _cores.get(addr)
                if core is None:
                    raise ZMQError(C.EFAULT, detail=f"no context at address {addr!r} in this process")
            self._shadow = True
            self._shadow_obj = shadow
        else:
            if not isinstance(io_threads, int) or isinstance(io_threads, bool) or io_threads < 0:
                raise ZMQError(C.EINVAL, detail=f"io_threads must be a non-negative int, not {io_threads!r}")
            core = _Core(io_threads)
            core.addr = next(_core_ids)
            _cores[core.addr] = core
        self._core = core
        self._pid = os.getpid()
        self.sockopts = {}
        self._sockets = weakref.WeakSet()
        self._lock = threading.Lock()
        self.closed = False

    @classmethod
    def instance(cls, io_threads=1):
        """The process's global Context of this class (a new one after
        term(), and in a forked child)."""
        inst = cls._instance
        if inst is None or cls._instance_pid != os.getpid() or inst.closed:
            with cls._instance_lock:
                inst = cls._instance
                if inst is None or cls._instance_pid != os.getpid() or inst.closed:
                    inst = cls(io_threads=io_threads)
                    cls._instance = inst
                    cls._instance_pid = os.getpid()
        return inst

    @classmethod
    def shadow(cls, address):
        """A Context sharing another's sockets and termination (address:
        a Context or its `underlying` number)."""
        return cls(shadow=address)

    def __copy__(self, memo=None):
        return self.__class__.shadow(self.underlying)

    __deepcopy__ = __copy__

    @property
    def underlying(self):
        """The number that names this context's core in this process (for Context.shadow)."""
        return self._core.addr

    def socket(self, socket_type, socket_class=None, **kwargs):
        """A new socket of this context (socket_class: another Socket class, e.g. zmq.asyncio.Socket)."""
        if self.closed:
            raise ZMQError(C.ENOTSUP, detail="the context was terminated")
        if self._core.terminated:
            raise ZMQError(C.EFAULT, detail="the context (shadowed) was terminated")
        cls = socket_class or self._socket_class
        s = cls(self, socket_type, **kwargs)
        for opt, value in self.sockopts.items():
            try:
                s.setsockopt(opt, value)
            except ZMQError:
                pass  # an option this socket type does not have (pyzmq ignores these too)
        return s

    def _add_socket(self, s):
        core = self._core
        with core.cv:
            if core.terminated:
                return False
            core.sockets.add(s)
        self._sockets.add(s)
        return True

    def _rm_socket(self, s):
        self._sockets.discard(s)
        self._core.forget(s)

    def term(self):
        """Terminate the context, as pyzmq's term(): blocking calls on its
        sockets (any thread) raise ContextTerminated, so do later calls
        other than close(); then wait until every socket of the context is
        closed (a loop of bounded waits: Ctrl-C works). Closed sockets
        linger in the background as their LINGER says."""
        if self.closed:
            return
        core = self._core
        if self._pid != os.getpid() or core.pid != os.getpid():
            self.closed = True  # the parent's context: nothing of it is ours to wait for
            return
        with core.cv:
            core.terminated = True
            socks = list(core.sockets)
            proxies = list(core.proxies)
        for p in proxies:
            F.hb_proxy_stop(p)
        for s in socks:
            s._on_term()
        with core.cv:
            while any(not s._closed for s in core.sockets):
                core.cv.wait(SLICE_MS / 1000)
        self.closed = True

    def destroy(self, linger=None):
        """Close every socket made by this Context (with `linger` ms if
        given), then term()."""
        if self.closed:
            return
        for s in list(self._sockets):
            if s is not None and not s._closed:
                if self._warn_destroy_close:
                    warnings.warn(f"Destroying context with unclosed socket {s}", ResourceWarning, stacklevel=3,
                                  source=s)
                s.close(linger=linger)
        self.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._warn_destroy_close = True
        self.destroy()

    def __del__(self):
        try:
            if not self._shadow and not _exiting and not self.closed and self._pid == os.getpid():
                self._warn_destroy_close = True
                warnings.warn(f"Unclosed context {self}", ResourceWarning, stacklevel=2, source=self)
                self.destroy()
        except Exception:
            pass

    # context options
    def set(self, option, value):
        """Set a context option (zmq.IO_THREADS, zmq.MAX_SOCKETS, ...). The
        process shares one libzmq context: the values are kept and read back,
        they change nothing in it."""
        if option in (C.SOCKET_LIMIT, C.MSG_T_SIZE) or option not in self._core.opts:
            raise ZMQError(C.EINVAL, detail=f"context option {option!r} cannot be set")
        if not isinstance(value, int):
            raise TypeError(f"context option values are ints, not {type(value).__name__}")
        self._core.opts[option] = value

    def get(self, option):
        opts = self._core.opts
        if option not in opts:
            raise ZMQError(C.EINVAL, detail=f"context option {option!r} is not known")
        return opts[option]

    def setsockopt(self, option, value):
        """A default option for the sockets this context makes from now on."""
        self.sockopts[option] = value

    def getsockopt(self, option):
        return self.sockopts[option]

    def __setattr__(self, key, value):
        if key[:1] == "_" or key in self.__dict__ or _class_has(type(self), key):
            object.__setattr__(self, key, value)
            return
        upper = key.upper()
        if upper in C.ContextOption.__members__:
            self.set(C.ContextOption[upper], value)
        elif upper in C.SocketOption.__members__:
            self.sockopts[C.SocketOption[upper]] = value
        else:
            raise AttributeError(f"{type(self).__name__} has no such option: {upper}")

    def __getattr__(self, key):
        if key.startswith("__") or key in ("_core", "sockopts"):
            raise AttributeError(key)
        upper = key.upper()
        if upper in C.ContextOption.__members__:
            try:
                return self.get(C.ContextOption[upper])
            except ZMQError as e:
                raise AttributeError(f"{key}: {e}") from None
        if upper in C.SocketOption.__members__:
            opt = C.SocketOption[upper]
            if opt in self.sockopts:
                return self.sockopts[opt]
            raise AttributeError(key)
        raise AttributeError(f"{type(self).__name__} has no such option: {upper}")

    def __delattr__(self, key):
        if key in self.__dict__:
            del self.__dict__[key]
            return
        upper = key.upper()
        if upper not in C.SocketOption.__members__:
            raise AttributeError(f"No such socket option: {upper!r}")
        opt = C.SocketOption[upper]
        if opt not in self.sockopts:
            raise AttributeError(key)
        del self.sockopts[opt]

    def __dir__(self):
        return dir(type(self)) + list(C.ContextOption.__members__)

    def __repr__(self):
        cls = type(self)
        name = cls.__dict__.get("_repr_cls") or f"{cls.__module__}.{cls.__name__}"
        n = len(self._sockets) if "_sockets" in self.__dict__ else 0
        socks = f"{n} socket{'s' if n > 1 else ''}" if n else ""
        return f"<{name}({socks}) at {id(self):#x}{' closed' if self.closed else ''}>"


# ------------------------------------------------------------ Socket

class _EndpointCM:
    """What bind()/connect() return: usable as a context manager that
    unbinds/disconnects on exit, as in pyzmq."""

    __slots__ = ("sock", "addr", "kind", "resolved")

    def __init__(self, sock, addr, kind, resolved=None):
        self.sock, self.addr, self.kind, self.resolved = sock, addr, kind, resolved or addr

    def __enter__(self):
        return self.sock

    def __exit__(self, *exc):
        if self.sock.closed:
            return
        try:
            if self.kind == "bind":
                self.sock.unbind(self.resolved)
            else:
                self.sock.disconnect(self.addr)
        except ZMQError:
            pass

    def __repr__(self):
        return f"<{type(self).__name__}({self.sock!r}, {self.kind}={self.addr!r})>"


_monitor_ids = itertools.count(1)
_live = weakref.WeakValueDictionary()   # handle -> the Socket that owns it (for Socket.shadow(address))


class Socket:
    """pyzmq's Socket on an hb_socket. Make it with ctx.socket(zmq.TYPE).
    Use it from one thread at a time, as with pyzmq."""

    # Every attribute is a slot and the class has no __setattr__ or
    # __getattr__, so that CPython specializes the hot paths' attribute
    # accesses; and, with no __dict__, setting a name that is neither an
    # attribute nor an option (a misspelt option) raises AttributeError,
    # pyzmq's rule. Options are attributes by descriptors (lower and upper
    # case); subscribe/unsubscribe are methods that can also be assigned.
    # A subclass without __slots__ gets pyzmq's rule by a __setattr__ (see
    # __init_subclass__).
    __slots__ = (
        '_armed', '_batch', '_buf', '_buf_mv', '_closed', '_counts', '_counts_mv', '_cur', '_defer',
        '_flock', '_flush_error', '_h', '_ibuf', '_ibuf_addr', '_q', '_ra', '_ra_i', '_ra_n', '_ra_p',
        '_rcvtimeo', '_rtimeout', '_sa', '_sa_i', '_sa_n', '_sa_p', '_sbuf', '_sbuf_mv', '_sent', '_sent_p',
        '_sflags', '_sizes', '_sizes_mv', '_sndtimeo', '_sq', '_sq_multi', '_ssz', '_ssz_addr', '_ssz_mv',
        '_terminated', '_tlast', '_pid', '_core', '_monitor_socket', '_monitored', '_shadow', '_shadow_obj',
        'context', 'socket_type', 'copy_threshold', '__weakref__',
    )

    _repr_cls = "zmq.Socket"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__slots__" not in cls.__dict__ and "__setattr__" not in cls.__dict__:
            cls.__setattr__ = _checked_setattr

    def __init__(self, ctx_or_socket=None, socket_type=0, *, shadow=0, copy_threshold=None):
        _osa = object.__setattr__
        _osa(self, "_closed", True)  # until the handle exists (for __del__)
        _osa(self, "_shadow", False)
        _osa(self, "_shadow_obj", None)
        if isinstance(ctx_or_socket, Socket):
            shadow, ctx_or_socket = ctx_or_socket, None
        base = None
        if shadow:
            if isinstance(shadow, Socket):
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
        self._cur = None       # the rest of a message recv() is handing out frame by frame (reversed list): rcvmore
        self._rcvtimeo = -1
        self._sndtimeo = -1
        self._batch = socket_type not in (C.REQ, C.REP)
        self._defer = socket_type in DEFER_TYPES and base is None
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
        self._closed = False
        if base is not None:
            for opt in (C.RCVTIMEO, C.SNDTIMEO):
                self._note_opt(opt, self.getsockopt(opt))

    @classmethod
    def shadow(cls, address):
        """A Socket object on the same library socket as `address` (a
        Socket, or its `underlying` handle number)."""
        return cls(shadow=address)

    def __copy__(self, memo=None):
        return self.__class__.shadow(self.underlying)

    __deepcopy__ = __copy__

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

    def __dir__(self):
        return dir(type(self)) + list(C.SocketOption.__members__)

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
                self._flush_at_close(linger)
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
        self._sa.socket = None   # the hot paths' calls now fail (HB_INVALID_HANDLE -> ContextTerminated)
        self._ra.socket = None
        self._q.clear()
        self._cur = None
        F.hb_wake(self._h)

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
                if not self._shadow and self._pid == os.getpid():
                    F.hb_socket_free(self._h)
                    self._forget()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self._closed or self._terminated:
            if self._closed:
                raise ZMQError(C.ENOTSOCK, detail="the socket is closed")
            raise ContextTerminated(detail="the socket's context was terminated")

    def __repr__(self):
        cls = type(self)
        name = cls.__dict__.get("_repr_cls") or f"{cls.__module__}.{cls.__name__}"
        st = self.socket_type
        tname = st.name if isinstance(st, C.SocketType) else str(st)
        return f"<{name}(zmq.{tname}) at {id(self):#x}{' closed' if self._closed else ''}>"

    # -------------------------------------------------------- endpoints

    def bind(self, addr):
        """Bind to `addr`; returns a context manager that unbinds on exit."""
        self._check_open()
        a = _ffi.as_bytes_arg(addr, "address")
        out = create_string_buffer(_ffi.TEXT_MAX)
        st = F.hb_socket_bind(self._h, a, out, _ffi.TEXT_MAX, None)
        if st != HB_OK:
            raise _error(st, self, f"bind {addr!r}", addr)
        addr = addr if isinstance(addr, str) else addr.decode()
        return _EndpointCM(self, addr, "bind", out.value.decode("utf-8", "replace") or addr)

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
            raise _error(st, self, f"unbind {addr!r}", addr)

    def connect(self, addr):
        """Connect to `addr`; returns a context manager that disconnects on exit."""
        self._check_open()
        st = F.hb_socket_connect(self._h, _ffi.as_bytes_arg(addr, "address"))
        if st != HB_OK:
            raise _error(st, self, f"connect {addr!r}", addr)
        return _EndpointCM(self, addr if isinstance(addr, str) else addr.decode(), "connect")

    def disconnect(self, addr):
        self._check_open()
        st = F.hb_socket_disconnect(self._h, _ffi.as_bytes_arg(addr, "address"))
        if st != HB_OK:
            raise _error(st, self, f"disconnect {addr!r}", addr)

    # -------------------------------------------------------- options

    def setsockopt(self, option, value):
        """Set a socket option (an int, or bytes for the bytes options, as pyzmq)."""
        self._check_open()
        if self._sq:
            self._flush(True)
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
            self._flush(True)
        if option == C.RCVMORE:
            return 1 if self._cur else 0
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
        """Set a bytes option from a str (encoded with `encoding`)."""
        if not isinstance(optval, str):
            raise TypeError(f"strings only, not {type(optval)}: {optval!r}")
        self.setsockopt(option, optval.encode(encoding))

    set_string = setsockopt_unicode = setsockopt_string

    def getsockopt_string(self, option, encoding="utf-8"):
        """Read a bytes option as a str."""
        if C.OPTION_KIND.get(option) not in ("bytes", "str", "key"):
            raise TypeError(f"option {C.OPTION_NAMES.get(option, option)} will not return a string to be decoded")
        return self.getsockopt(option).decode(encoding)

    get_string = getsockopt_unicode = getsockopt_string

    @property
    def hwm(self):
        """SNDHWM (setting it sets both SNDHWM and RCVHWM), as pyzmq's."""
        return self.getsockopt(C.SNDHWM)

    @hwm.setter
    def hwm(self, value):
        self.setsockopt(C.SNDHWM, value)
        self.setsockopt(C.RCVHWM, value)

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
                self._flush(True)
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
                    self._raise_flush_error()
                sq = self._sq
                sq.append(data)
                if len(sq) >= BATCH_MSGS:
                    self._flush(True)
                elif not self._armed:
                    _arm(self)
                return tracker
            self._tlast = t
        if _dirty:
            self._flush_before(flags)
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
                return _FINISHED_TRACKER if track else None
            self._tlast = t
        if _dirty:
            self._flush_before(flags)
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
        st = F.hb_socket_recv(self._h, 0, (c_char * total).from_buffer(big), total, sizes, nframes, byref(n),
                              byref(tot))
        if st != HB_OK:
            return st
        if n.value == 1:
            self._q.append(_Big((big,)))
            return HB_OK
        frames, off, mv = _Big(), 0, memoryview(big)
        for z in sizes[:n.value]:
            frames.append(Frame(mv[off:off + z]))
            off += z
        mv.release()
        self._q.append(frames)
        return HB_OK

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
        for i, f in enumerate(msg):
            fr = f if f.__class__ is Frame else Frame(f)
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
        f = Socket.recv(self, flags)
        n = min(len(f), nbytes or mv.nbytes)
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

    def get_monitor_socket(self, events=None, addr=None):
        """A PAIR socket receiving this socket's events (the same one until
        disable_monitor()); read it with recv_monitor_message. Its queue
        has no limit (RCVHWM 0, connected before the monitor starts), so
        libzmq never waits on it; closing it stops the monitor first."""
        self._check_open()
        m = self._monitor_socket
        if m is not None:
            if not m.closed:
                return m
            self._monitor_socket = None
        if addr is None:
            addr = f"inproc://monitor.s-{self._h:x}-{next(_monitor_ids)}"
        if events is None:
            events = C.EVENT_ALL
        ctx = self.context if isinstance(self.context, Context) else Context.instance()
        m = ctx.socket(C.PAIR)
        try:
            m.setsockopt(C.RCVHWM, 0)
            m.setsockopt(C.LINGER, 0)
            m.connect(addr)
            self.monitor(addr, events)
        except BaseException:
            m.close()
            raise
        m._monitored = weakref.ref(self)
        self._monitor_socket = m
        return m

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


def _checked_setattr(self, key, value, _osa=object.__setattr__):
    """pyzmq's attribute rule for Socket subclasses that have a __dict__:
    names the instance or its class know are set as usual, an option's name
    sets the option, anything else raises AttributeError."""
    if key[:1] == "_" or key in self.__dict__ or _class_has(type(self), key):
        _osa(self, key, value)
        return
    upper = key.upper()
    if upper in C.SocketOption.__members__:
        _Opt(int(C.SocketOption[upper])).__set__(self, value)
        return
    raise AttributeError(f"{type(self).__name__} has no such option: {upper}")


class _Sub:
    """sock.subscribe / sock.unsubscribe: the method, and assignable
    (`sock.subscribe = b"topic"` subscribes, as in pyzmq)."""

    __slots__ = ("opt", "func")

    def __init__(self, opt, func):
        self.opt, self.func = opt, func

    def __get__(self, obj, cls=None):
        return self.func if obj is None else self.func.__get__(obj, cls)

    def __set__(self, obj, value):
        if isinstance(value, str):
            value = value.encode("utf8")
        obj.setsockopt(self.opt, value)


Socket.subscribe = _Sub(C.SUBSCRIBE, Socket.subscribe)
Socket.unsubscribe = _Sub(C.UNSUBSCRIBE, Socket.unsubscribe)

for _name, (_num, _kind) in C.OPTIONS.items():
    _opt = _Opt(_num)
    if _name.lower() not in ("subscribe", "unsubscribe", "type", "rcvmore", "hwm"):
        setattr(Socket, _name.lower(), _opt)
    setattr(Socket, _name, _opt)   # sock.FD, sock.IDENTITY ... as pyzmq's uppercase attributes


# ------------------------------------------------------------ Poller

class Poller:
    """pyzmq's Poller over hb_poll: register sockets (and file descriptors
    or objects with fileno()), poll(timeout ms) returns [(socket, events)]
    (a descriptor comes back as its number, as in pyzmq)."""

    def __init__(self):
        self.sockets = []
        self._map = {}
        self._items = None

    def __contains__(self, socket):
        return socket in self._map

    def register(self, socket, flags=C.POLLIN | C.POLLOUT):
        """Watch `socket` for `flags` (0 stops watching it)."""
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
            if isinstance(s, Socket) and (s._closed or s._terminated):
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
        deadline = None if wait <= 0 else time.monotonic() + wait / 1000
        while True:
            if wait < 0:
                st = F.hb_poll(arr, n, SLICE_MS, byref(nready))
                while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                    self._check_term(socks)
                    st = F.hb_poll(arr, n, SLICE_MS, byref(nready))
            elif wait == 0:
                st = F.hb_poll(arr, n, 0, byref(nready))
                while st == HB_INTERRUPTED:
                    st = F.hb_poll(arr, n, 0, byref(nready))
            else:
                st = F.hb_poll(arr, n, min(wait, SLICE_MS), byref(nready))
                while st == HB_TIMEOUT or st == HB_INTERRUPTED:
                    self._check_term(socks)
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
            if out or st != HB_OK or wait == 0:
                return out
            # Woken with nothing to report (hb_wake: e.g. the context is terminating): look again.
            self._check_term(socks)
            if deadline is not None:
                wait = int((deadline - time.monotonic()) * 1000 + 0.999)
                if wait <= 0:
                    return out

    @staticmethod
    def _check_term(socks):
        for s, _f in socks:
            if s._terminated:
                raise ContextTerminated(detail="poll: a socket's context was terminated")

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
                fdmap[fd] = f
                mask = (select.POLLIN if f & C.POLLIN else 0) | (select.POLLOUT if f & C.POLLOUT else 0)
                sp.register(fd, mask)
            for s, _f in socks:
                sp.register(_ffi.handle_fd(s._h), select.POLLIN)
            wait = 0 if out else (SLICE_MS if deadline is None else
                                  max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000))))
            for fd, ev in sp.poll(wait):
                if fd in fdmap:
                    f = fdmap[fd]
                    rev = (C.POLLIN if ev & select.POLLIN else 0) | (C.POLLOUT if ev & select.POLLOUT else 0) | \
                          (C.POLLERR if ev & (select.POLLERR | select.POLLHUP) else 0)
                    rev &= f | C.POLLERR
                    if rev:
                        out.append((fd, rev))
            if socks and not out:
                out = Poller._sub(socks).poll(0)
            if out or (deadline is not None and time.monotonic() >= deadline):
                return out
            self._check_term(socks)

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


def _proxy_checked(frontend, backend, capture, control=None):
    for s in (frontend, backend, capture, control):
        if s is not None:
            if not isinstance(s, Socket):
                raise TypeError(f"proxy() takes hypobus.zmq sockets, not {type(s).__name__}")
            s._check_open()


def _proxy_one(sock, capture):
    """libzmq's proxy with one socket as both sides: each message goes back
    out of the socket it came from (e.g. an echo REP), copied to capture."""
    while True:
        msg = sock.recv_multipart()
        if capture is not None:
            capture.send_multipart(msg)
        sock.send_multipart(msg)


def _run_proxy(frontend, backend, capture, control):
    _proxy_checked(frontend, backend, capture, control)
    if frontend is backend:
        return _proxy_one(frontend, capture)
    _flush_pending(frontend, backend)
    _flush_pending(backend, frontend)
    p = c_void_p()
    st = F.hb_proxy_new(frontend._h, backend._h, capture._h if capture is not None else None, byref(p))
    if st != HB_OK:
        raise _error(st, frontend, "proxy")
    cores = {s._core for s in (frontend, backend) if s._core is not None}
    with _proxies_lock:
        _running_proxies.add(p.value)
    for core in cores:
        with core.cv:
            core.proxies.add(p.value)
    stopped_by_control = False
    try:
        if any(core.terminated for core in cores):
            F.hb_proxy_stop(p)
        while True:
            if control is not None:
                if control.poll(SLICE_MS):
                    if _steer(p, control):
                        stopped_by_control = True
                        break
                st = F.hb_proxy_wait(p, 0)
                if st == HB_TIMEOUT or st == HB_INTERRUPTED:
                    continue
                break
            st = F.hb_proxy_wait(p, SLICE_MS)
            if st == HB_TIMEOUT or st == HB_INTERRUPTED:
                continue
            break
    finally:
        with _proxies_lock:
            _running_proxies.discard(p.value)
        for core in cores:
            with core.cv:
                core.proxies.discard(p.value)
        F.hb_proxy_free(p)
    if stopped_by_control:
        return None
    if any(core.terminated for core in cores) or frontend._terminated or backend._terminated:
        raise ContextTerminated(detail="proxy: the context was terminated")
    raise ZMQError(C.ENOTSOCK, detail="proxy stopped: a socket was closed")


def _steer(p, control):
    """One command of a steerable proxy's control socket; True for TERMINATE."""
    cmd = control.recv()
    if cmd == b"PAUSE":
        F.hb_proxy_pause(p)
    elif cmd == b"RESUME":
        F.hb_proxy_resume(p)
    elif cmd == b"TERMINATE":
        return True
    elif cmd == b"STATISTICS":
        s = ProxyStatsC()
        s.size = sizeof(ProxyStatsC)
        F.hb_proxy_stats(p, byref(s))
        # libzmq's reply: frontend messages in, bytes in, messages out, bytes out; the same for the backend.
        vals = (s.to_backend_msgs, s.to_backend_bytes, s.to_frontend_msgs, s.to_frontend_bytes,
                s.to_frontend_msgs, s.to_frontend_bytes, s.to_backend_msgs, s.to_backend_bytes)
        control.send_multipart([v.to_bytes(8, sys.byteorder) for v in vals])
    return False


def proxy(frontend, backend, capture=None):
    """zmq.proxy: forward messages between frontend and backend (and copy
    them to capture) until the context is terminated (then it raises
    ContextTerminated, as pyzmq's); a loop of bounded hb_proxy_wait calls,
    so Ctrl-C interrupts it. The forwarding runs on a library thread
    (hb_proxy_new); one socket as both sides is forwarded here."""
    return _run_proxy(frontend, backend, capture, None)


def proxy_steerable(frontend, backend, capture=None, control=None):
    """zmq.proxy_steerable: as proxy(), also obeying PAUSE, RESUME,
    TERMINATE (it then returns) and STATISTICS on the `control` socket."""
    return _run_proxy(frontend, backend, capture, control)


def zmq_poll(sockets, timeout=None):
    """pyzmq's zmq_poll: [(socket or descriptor, flags)] -> [(socket or descriptor, events)]."""
    p = Poller()
    for s, f in sockets:
        p.register(s, f)
    return p.poll(timeout)


class Stopwatch:
    """A stopwatch in microseconds (pyzmq's zmq.Stopwatch): start(), stop() -> µs elapsed."""

    def __init__(self):
        self._start = None

    def start(self):
        if self._start is not None:
            raise ZMQError(C.EINVAL, detail="Stopwatch is already running")
        self._start = time.perf_counter()

    def stop(self):
        if self._start is None:
            raise ZMQError(C.EINVAL, detail="Must start the Stopwatch before calling stop.")
        t = time.perf_counter() - self._start
        self._start = None
        return int(t * 1e6)


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


# pyzmq's submodules of zmq.sugar (zmq.sugar.context.Context ...)
from . import context, frame, poll, socket, tracker, version  # noqa: E402,F401
