"""zmq.sugar.socket: the Socket class, as pyzmq's: SocketBase (the
hb_socket, send/recv, options: _socketbase.py) with pyzmq's sugar: options
as attributes, bind/connect as context managers, send_string/json/pyobj/
serialized and their recv_*, poll, get_monitor_socket, shadow, context
manager."""

import errno as _errno
import itertools
import json
import pickle
import random
import time
import weakref
from ctypes import byref, create_string_buffer

from ... import _ffi
from ..._ffi import HB_INTERRUPTED, HB_OK, HB_TIMEOUT, F, SocketEventC
from .. import constants as C
from ..error import ZMQBindError, ZMQError
from ._common import SLICE_MS, _error
from ._options import _checked_setattr, _Opt, _Sub
from ._socketbase import SocketBase
from .context import Context
from .poll import Poller

_monitor_ids = itertools.count(1)


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


class Socket(SocketBase):
    """pyzmq's Socket on an hb_socket. Make it with ctx.socket(zmq.TYPE).
    Use it from one thread at a time, as with pyzmq."""

    __slots__ = ()  # no __dict__, no slot of its own (see SocketBase)

    _repr_cls = "zmq.Socket"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__slots__" not in cls.__dict__ and "__setattr__" not in cls.__dict__:
            cls.__setattr__ = _checked_setattr

    @classmethod
    def shadow(cls, address):
        """A Socket object on the same library socket as `address` (a
        Socket, or its `underlying` handle number)."""
        return cls(shadow=address)

    def __copy__(self, memo=None):
        return self.__class__.shadow(self.underlying)

    __deepcopy__ = __copy__

    def __dir__(self):
        return dir(type(self)) + list(C.SocketOption.__members__)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

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

    def send_string(self, u, flags=0, copy=True, encoding="utf-8", **kwargs):
        if not isinstance(u, str):
            raise TypeError("str objects only")
        return self.send(u.encode(encoding), flags=flags, copy=copy, **kwargs)

    send_unicode = send_string

    def send_json(self, obj, flags=0, **kwargs):
        send_kwargs = {k: kwargs.pop(k) for k in ("routing_id", "group") if k in kwargs}
        return self.send(json.dumps(obj, **kwargs).encode("utf8"), flags=flags, **send_kwargs)

    def send_pyobj(self, obj, flags=0, protocol=C.DEFAULT_PROTOCOL, **kwargs):
        return self.send(
            pickle.dumps(obj, protocol if protocol != -1 else pickle.DEFAULT_PROTOCOL), flags=flags, **kwargs
        )

    def send_serialized(self, msg, serialize, flags=0, copy=True, **kwargs):
        return self.send_multipart(serialize(msg), flags=flags, copy=copy, **kwargs)

    def recv_string(self, flags=0, encoding="utf-8"):
        return self.recv(flags).decode(encoding)

    recv_unicode = recv_string

    def recv_json(self, flags=0, **kwargs):
        return json.loads(self.recv(flags), **kwargs)

    def recv_pyobj(self, flags=0):
        return pickle.loads(self.recv(flags))

    def recv_serialized(self, deserialize, flags=0, copy=True):
        return deserialize(self.recv_multipart(flags, copy))

    # -------------------------------------------------------- poll, monitor

    def poll(self, timeout=None, flags=C.POLLIN):
        """Wait (timeout ms; None = forever) until the socket can do `flags`; returns the events ready (0 if none)."""
        self._check_open()
        p = Poller()
        p.register(self, flags)
        evts = dict(p.poll(timeout))
        return evts.get(self, 0)

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
SyncSocket = Socket

Socket.subscribe = _Sub(C.SUBSCRIBE, Socket.subscribe)
Socket.unsubscribe = _Sub(C.UNSUBSCRIBE, Socket.unsubscribe)

for _name, (_num, _kind) in C.OPTIONS.items():
    _opt = _Opt(_num)
    if _name.lower() not in ("subscribe", "unsubscribe", "type", "rcvmore", "hwm"):
        setattr(Socket, _name.lower(), _opt)
    setattr(Socket, _name, _opt)  # sock.FD, sock.IDENTITY ... as pyzmq's uppercase attributes


__all__ = ["Socket", "SyncSocket"]
