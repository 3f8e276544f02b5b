"""Deferred sends: sends on these socket types that come less than
COALESCE_S apart are handed to the library in bursts of up to BATCH_MSGS
messages of at most DEFER_MAX bytes (one hb_socket_send_many call), at the
latest FLUSH_S later (by a binding thread), and before any other receive,
poll or option call and any direct send of this process.

Socket.send queues a message in the socket's `_sq` and arms the flusher
(`_arm`); this module hands the queue to the library: `_flush` (the
flusher thread, a full burst, an option call), `flush_all` (before a
direct send, a receive or a poll), `_flush_at_close` (close(), and
interpreter exit). A forked child starts with no deferred sends and no
flusher thread."""

import os
import threading
import time
from array import array as _array
from ctypes import c_size_t, sizeof

from ..._ffi import HB_INTERRUPTED, HB_OK, HB_TIMEOUT, F
from .. import constants as C
from ..error import Again, ZMQError
from ._common import SLICE_MS, _error

_send_many = F.hb_socket_send_many
DEFER_TYPES = frozenset((C.PUSH, C.PUB, C.DEALER, C.PAIR, C.XPUB, C.XSUB))
COALESCE_S = 0.0002
FLUSH_S = 0.001
BATCH_MSGS = 64
DEFER_MAX = 8192  # larger messages are never deferred (a burst holds at most 64 x 8 KiB)
_mono = time.monotonic
_SZ = next(t for t in "LQI" if _array(t).itemsize == sizeof(c_size_t))  # array typecode of size_t
_ONES = [1] * BATCH_MSGS
_dirty = set()  # sockets with deferred sends
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
                _flush(s, False, True)
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
    # deferred sends are the parent's to flush: start afresh. (_dirty is
    # emptied, not replaced: the socket modules hold it by name.)
    global _flusher, _flush_cv
    _flusher, _flush_cv = None, threading.Condition()
    _dirty.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def flush_all(block=False):
    """Hand every deferred send of this process to the library now (what
    fits now; block=True waits for room). A socket another thread is
    flushing at the moment is left to that thread."""
    for s in list(_dirty):
        _flush(s, block, True)


def _flush_at_close(sock, linger):
    """Deferred sends go out before the socket closes, waiting for room
    at most LINGER ms (capped at 2 s); with LINGER 0 they are dropped."""
    if linger is None:
        try:
            linger = sock.getsockopt(C.LINGER)
        except ZMQError:
            linger = 0
    if linger == 0:
        sock._sq.clear()
        _dirty.discard(sock)
        return
    deadline = _mono() + (2.0 if linger < 0 else min(linger / 1000, 2.0))
    try:
        while sock._sq and _mono() < deadline:
            _flush(sock, False)
            if sock._sq:
                time.sleep(0.001)
    except ZMQError:
        pass
    sock._sq.clear()
    _dirty.discard(sock)


def _flush(sock, block, try_lock=False):
    """Hand the deferred sends to the library (hb_socket_send_many), in
    order; block=True waits for room (in slices), else takes what fits
    now. try_lock: return at once if another thread is flushing it."""
    if try_lock:
        if not sock._flock.acquire(blocking=False):
            return
        try:
            _flush_locked(sock, block)
        finally:
            sock._flock.release()
        return
    with sock._flock:
        _flush_locked(sock, block)


def _flush_locked(sock, block):
    sock._armed = False
    sq = sock._sq
    k = len(sq)
    if not k:
        _dirty.discard(sock)
        return
    items = [sq.popleft() for _ in range(k)]
    multi = sock._sq_multi
    sock._sq_multi = False
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
    sent = sock._sent
    st = _send_many(
        sock._h, data, sizes.buffer_info()[0], counts.buffer_info()[0], k, 0, SLICE_MS if block else 0, sock._sent_p
    )
    if st != HB_OK:
        _flush_rest(sock, st, block, items, frames, sizes, counts, data, sent.value)
    if not sq:
        _dirty.discard(sock)
    else:
        sock._armed = True


def _flush_rest(sock, st, block, items, frames, sizes, counts, data, done):
    """A burst that did not go whole: wait for room (block) or put the rest back first in line."""
    k = len(items)
    sq = sock._sq
    while True:
        if st == HB_OK:
            return
        if st != HB_TIMEOUT and st != HB_INTERRUPTED:
            raise _error(st, sock, "send")
        if not block:
            for m in reversed(items[done:]):
                sq.appendleft(m)
                if m.__class__ is not bytes:
                    sock._sq_multi = True
            sock._armed = True
            _dirty.add(sock)
            return
        f0 = sum(counts[:done])
        b0 = sum(sizes[:f0])
        st = _send_many(
            sock._h,
            data[b0:],
            sizes.buffer_info()[0] + f0 * sizes.itemsize,
            counts.buffer_info()[0] + done * counts.itemsize,
            k - done,
            0,
            SLICE_MS,
            sock._sent_p,
        )
        done += sock._sent.value


def _flush_before(sock, flags):
    """Before a direct send: deferred sends of this process go first
    (order and causality as if nothing had been deferred)."""
    flush_all(False)
    if sock._sq:
        if flags & C.NOBLOCK:
            raise Again(detail="no room to send (earlier sends of this socket still wait for room)")
        _flush(sock, True)
    if sock._flush_error is not None:
        _raise_flush_error(sock)


def _raise_flush_error(sock):
    e, sock._flush_error = sock._flush_error, None
    raise e


def _flush_at_exit():
    # Interpreter exit: deferred sends go out (each socket lingers as its LINGER says).
    # Registered with atexit by _socketbase.py, after context.py's own exit hook.
    for s in list(_dirty):
        try:
            _flush_at_close(s, None)
        except Exception:
            pass
