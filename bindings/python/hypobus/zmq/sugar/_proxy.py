"""zmq.proxy, zmq.proxy_steerable and zmq.device (pyzmq has them in
zmq.backend), on the library's proxy thread (hb_proxy_*)."""

import sys
import threading
from ctypes import byref, c_void_p, sizeof

from ..._ffi import HB_INTERRUPTED, HB_OK, HB_TIMEOUT, F, ProxyStatsC
from .. import constants as C
from ..error import ContextTerminated, ZMQError
from ._common import SLICE_MS, _error
from .socket import Socket

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
        vals = (
            s.to_backend_msgs,
            s.to_backend_bytes,
            s.to_frontend_msgs,
            s.to_frontend_bytes,
            s.to_frontend_msgs,
            s.to_frontend_bytes,
            s.to_backend_msgs,
            s.to_backend_bytes,
        )
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


def device(device_type, frontend, backend):
    """zmq.device (old name of proxy)."""
    return proxy(frontend, backend)


QUEUE, FORWARDER, STREAMER = 3, 2, 1


__all__ = ["proxy", "proxy_steerable", "device", "QUEUE", "FORWARDER", "STREAMER"]
