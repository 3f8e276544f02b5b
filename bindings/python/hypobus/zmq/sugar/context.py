"""zmq.sugar.context: the Context class, as pyzmq's."""

import atexit
import itertools
import os
import threading
import warnings
import weakref

from ..._ffi import F
from .. import constants as C
from ..error import ZMQError
from ._common import SLICE_MS
from ._options import _class_has

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
        self.opts = {
            C.IO_THREADS: io_threads,
            C.MAX_SOCKETS: 1023,
            C.SOCKET_LIMIT: 65535,
            C.THREAD_PRIORITY: -1,
            C.THREAD_SCHED_POLICY: -1,
            C.MAX_MSGSZ: 2**31 - 1,
            C.MSG_T_SIZE: 64,
            C.BLOCKY: 1,
            42: 0,
        }

    def forget(self, sock):
        with self.cv:
            self.sockets.discard(sock)
            self.cv.notify_all()


_cores = weakref.WeakValueDictionary()  # Context.underlying -> _Core, for Context.shadow(address)
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
    _socket_class = None  # set by socket.py: Socket
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
                    warnings.warn(
                        f"Destroying context with unclosed socket {s}", ResourceWarning, stacklevel=3, source=s
                    )
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


SyncContext = Context
__all__ = ["Context", "SyncContext"]
