"""What the sugar modules share: the longest single wait (SLICE_MS), the
pyzmq exception for a failed hb_* call, and the bytes of a frame."""

import errno as _errno

from ... import _ffi
from ..._ffi import HB_BUSY, HB_CONFIG, HB_INVALID_HANDLE, HB_STOPPED, HB_TIMEOUT, HB_ZMQ
from .. import constants as C
from ..error import Again, ContextTerminated, ZMQError

SLICE_MS = 100  # the longest single wait: how soon a signal on another thread is noticed


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
                return ZMQError(
                    errno,
                    f'ipc path "{path}" is longer than {C.IPC_PATH_MAX_LEN} characters (sizeof(sockaddr_un.sun_path)).',
                    detail=msg,
                )
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
        raise TypeError("unicode not allowed, use send_string")
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"{what} {data!r:.40} does not support the buffer interface") from None
