"""pyzmq's exceptions: ZMQError (errno, strerror), Again, ContextTerminated,
ZMQBindError, NotDone, ZMQVersionError, InterruptedSystemCall."""

import os

from . import constants as C

_ZMQ_STRERROR = {
    C.EFSM: "Operation cannot be accomplished in current state",
    C.ENOCOMPATPROTO: "The protocol is not compatible with the socket type",
    C.ETERM: "Context was terminated",
    C.EMTHREAD: "No thread available",
}


def strerror(errno):
    """The text of an errno, as zmq.strerror gives it."""
    if errno in _ZMQ_STRERROR:
        return _ZMQ_STRERROR[errno]
    return os.strerror(errno)


class ZMQBaseError(Exception):
    """Base of every exception of this module."""


class ZMQError(ZMQBaseError):
    """A ZeroMQ error: `errno` (e.g. zmq.EAGAIN, zmq.EFSM) and `strerror`
    as in pyzmq. `detail` is libhypobus's own explanation of the failure
    (which call, which endpoint, which option); str() shows both."""

    errno = None

    def __init__(self, errno=None, msg=None, detail=None):
        if errno is None:
            errno = C.EINVAL
        self.errno = errno
        self.strerror = msg if msg is not None else strerror(errno)
        self.detail = detail
        super().__init__(self.errno, self.strerror)

    def __str__(self):
        d = self.detail
        if not d or d == self.strerror:
            return self.strerror
        if self.strerror in d:
            return d
        return f"{self.strerror} ({d})"

    def __repr__(self):
        return f"{type(self).__name__}({self.__str__()!r})"


class ZMQBindError(ZMQBaseError):
    """bind_to_random_port found no free port in its range."""


class NotDone(ZMQBaseError):
    """A MessageTracker wait timed out."""


class DraftFDWarning(RuntimeWarning):
    """A draft socket type's FD is not what an event loop can wait on (pyzmq's warning)."""

    def __init__(self, msg=""):
        if not msg:
            msg = "This socket has no FD an event loop can wait on (draft socket types)."
        super().__init__(msg)


class ZMQVersionError(NotImplementedError):
    """A feature needs a newer libzmq."""

    def __init__(self, min_version, msg="Feature"):
        self.min_version = min_version
        self.msg = msg
        super().__init__(f"{msg} requires libzmq >= {min_version}")


class Again(ZMQError):
    """EAGAIN: nothing to receive, no room to send, or RCVTIMEO/SNDTIMEO ran out."""

    def __init__(self, errno=C.EAGAIN, msg=None, detail=None):
        super().__init__(errno, msg, detail)


class ContextTerminated(ZMQError):
    """ETERM: the socket's context was terminated (ctx.term())."""

    def __init__(self, errno=C.ETERM, msg=None, detail=None):
        super().__init__(errno, msg, detail)


class InterruptedSystemCall(ZMQError, InterruptedError):
    """EINTR (pyzmq retries these itself; so does this module)."""

    def __init__(self, errno=C.EINTR, msg=None, detail=None):
        super().__init__(errno, msg, detail)


def _check_rc(rc, errno=None):
    if rc < 0:
        raise ZMQError(errno)


_BY_ERRNO = {C.EAGAIN: Again, C.ETERM: ContextTerminated, C.EINTR: InterruptedSystemCall}


def zmq_error(errno, detail=None):
    return _BY_ERRNO.get(errno, ZMQError)(errno, None, detail)
