"""The base of the binding's role objects (hypobus.roles, hypobus.task):
a C handle closed once (also by close_all() at interpreter exit), the
open roles of this process, their threads' signal mask."""

import dataclasses
import os
import threading
import weakref
from ctypes import byref, sizeof

from ._ffi import check
from .errors import Stopped

SLICE_MS = 100  # the longest single wait of a binding thread or of a "forever" wait

_live = weakref.WeakSet()
_live_lock = threading.Lock()


def _after_fork_in_child():
    # The parent's roles are the parent's: close_all at the child's exit leaves them be.
    global _live, _live_lock
    _live, _live_lock = weakref.WeakSet(), threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _block_signals():
    """Binding threads leave SIGINT/SIGTERM to the application's threads."""
    try:
        import signal

        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except (ValueError, OSError, AttributeError):
        pass


class _Role:
    _free = None  # the hb_*_free function
    _kind = "role"

    def __init__(self):
        self._h = None
        self._closed = False
        self._lock = threading.Lock()

    def _register(self, h):
        self._h = h
        with _live_lock:
            _live.add(self)

    @property
    def handle(self):
        """The C handle (an int), for the C ABI."""
        return self._h

    @property
    def closed(self):
        return self._closed

    def _live_h(self):
        if self._closed:
            raise Stopped(f"the {self._kind} is closed")
        return self._h

    def close(self):
        """Stop and release (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            h, self._h = self._h, None
        self._before_free()
        if h:
            (getattr(self, "_freefn", None) or type(self)._free)(h)
        self._after_free()
        with _live_lock:
            _live.discard(self)

    def _before_free(self):
        pass

    def _after_free(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if not self._closed and self._h:
                self.close()
        except Exception:
            pass

    def __repr__(self):
        return f"<hypobus.{type(self).__name__}{' closed' if self._closed else ''}>"


def _live_roles():
    """The role objects of this process still open."""
    with _live_lock:
        return list(_live)


def _stats_class(name, cstruct, doc, types=None, extra=()):
    """A frozen dataclass for the counters of a C stats struct: one field per
    field of `cstruct` (but `size` and `reserved`), in the header's order, so
    a counter added to the C struct appears here by itself. `types` gives a
    field another annotation than int; `extra`: (name, type, default) fields
    the binding adds."""
    types = types or {}
    fields = [(n, types.get(n, int)) for n, _t in cstruct._fields_ if n not in ("size", "reserved")]
    fields += [(n, t, dataclasses.field(default=d)) for n, t, d in extra]
    cls = dataclasses.make_dataclass(name, fields, frozen=True)
    cls.__doc__ = doc
    cls.__module__ = "hypobus"  # where programs (and pickle) find it
    return cls


def _read_stats(fn, h, cstruct, what):
    s = cstruct()
    s.size = sizeof(cstruct)
    check(fn(h, byref(s)), h, what)
    return {name: getattr(s, name) for name, _t in cstruct._fields_ if name not in ("size", "reserved")}


def _loopback(ep):
    """An endpoint bound on every interface, as a peer on this host reaches it."""
    return ep.replace("tcp://0.0.0.0:", "tcp://127.0.0.1:").replace("tcp://*:", "tcp://127.0.0.1:")
