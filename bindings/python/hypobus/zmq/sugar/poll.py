"""zmq.sugar.poll: Poller, select and zmq_poll, as pyzmq's, over hb_poll."""

import time
from ctypes import byref, c_size_t

from ... import _ffi
from ..._ffi import HB_INTERRUPTED, HB_OK, HB_TIMEOUT, F, PollItem
from .. import constants as C
from ..error import ContextTerminated, ZMQError
from ._common import SLICE_MS, _error
from ._socketbase import SocketBase


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
        socks = [(s, f) for s, f in self.sockets if isinstance(s, SocketBase)]
        fds = [(s, f) for s, f in self.sockets if not isinstance(s, SocketBase)]
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
            if isinstance(s, SocketBase) and (s._closed or s._terminated):
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
            wait = (
                0
                if out
                else (
                    SLICE_MS if deadline is None else max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000)))
                )
            )
            for fd, ev in sp.poll(wait):
                if fd in fdmap:
                    f = fdmap[fd]
                    rev = (
                        (C.POLLIN if ev & select.POLLIN else 0)
                        | (C.POLLOUT if ev & select.POLLOUT else 0)
                        | (C.POLLERR if ev & (select.POLLERR | select.POLLHUP) else 0)
                    )
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
    return (
        [s for s in rlist if ev.get(s, 0) & C.POLLIN],
        [s for s in wlist if ev.get(s, 0) & C.POLLOUT],
        [s for s in xlist if ev.get(s, 0) & C.POLLERR],
    )


def zmq_poll(sockets, timeout=None):
    """pyzmq's zmq_poll: [(socket or descriptor, flags)] -> [(socket or descriptor, events)]."""
    p = Poller()
    for s, f in sockets:
        p.register(s, f)
    return p.poll(timeout)


__all__ = ["Poller", "select", "zmq_poll"]
