"""One exception hierarchy for libhypobus: HypobusError and one subclass
per status of the C ABI. Each carries the library's own message (from
hb_error_info), the status number and name, and libzmq's errno when the
failure was a ZeroMQ one."""

from __future__ import annotations

import builtins


class HypobusError(Exception):
    """A libhypobus call failed. `status` is the hb_status number, `name`
    its name (e.g. "HB_TIMEOUT"), `errno` libzmq's errno (0 when not a
    ZeroMQ failure), `message` the library's explanation."""

    status = -1
    name = "HB_UNKNOWN"

    def __init__(self, message="", errno=0, status=None):
        super().__init__(message)
        self.message = message
        self.errno = errno
        if status is not None:
            self.status = status

    def __str__(self):
        return self.message or self.name


class Timeout(HypobusError, builtins.TimeoutError):
    """Nothing came before the time-out (HB_TIMEOUT); also a TimeoutError."""

    status, name = 1, "HB_TIMEOUT"


class InvalidArgument(HypobusError, ValueError):
    """A bad argument (HB_INVALID_ARGUMENT); also a ValueError."""

    status, name = 2, "HB_INVALID_ARGUMENT"


class InvalidHandle(HypobusError):
    """A freed or never-created object (HB_INVALID_HANDLE)."""

    status, name = 3, "HB_INVALID_HANDLE"


class ConfigError(HypobusError):
    """A bad setting: an endpoint that cannot be bound, a bad broker list (HB_CONFIG)."""

    status, name = 4, "HB_CONFIG"


class Remote(HypobusError):
    """The remote side answered with an error (HB_REMOTE): e.g. the calc
    node refused a value that is not a number."""

    status, name = 5, "HB_REMOTE"


class ZmqFailure(HypobusError):
    """A ZeroMQ call failed (HB_ZMQ); `errno` is libzmq's."""

    status, name = 6, "HB_ZMQ"


class Stopped(HypobusError):
    """The object was stopped or closed, also while the call waited (HB_STOPPED)."""

    status, name = 7, "HB_STOPPED"


class BufferTooSmall(HypobusError):
    """An output did not fit (HB_BUFFER_TOO_SMALL; the binding sizes its buffers, so this is rare)."""

    status, name = 8, "HB_BUFFER_TOO_SMALL"


class Panic(HypobusError):
    """A bug in the library, caught at the boundary (HB_PANIC)."""

    status, name = 9, "HB_PANIC"


class Interrupted(HypobusError):
    """A signal ended a wait (HB_INTERRUPTED); the binding retries after
    Python ran the signal's handler, so this is rarely seen."""

    status, name = 10, "HB_INTERRUPTED"


class Busy(HypobusError):
    """The object is busy with something that excludes this call (HB_BUSY), e.g. a socket run by a proxy."""

    status, name = 11, "HB_BUSY"


class Forked(HypobusError):
    """The object belongs to the parent process: it was made before this
    process forked, and a forked child cannot use it (HB_FORKED). Make a new one."""

    status, name = 12, "HB_FORKED"


class TaskFailed(Remote):
    """A task ended with an error: the worker answered one (a handler's
    exception, job.error(...)), or the broker failed the request (no worker
    serves its service, no answer after max_attempts dispatches). `task_id`
    is the request's id."""

    def __init__(self, message="", errno=0, status=None, task_id=None):
        super().__init__(message, errno, status)
        self.task_id = task_id


class TaskGaveUp(TaskFailed):
    """A task client gave up on a request: no answer from the broker after its tries (lazy pirate)."""


class TaskUnknown(TaskFailed):
    """A fetch of a request id the broker does not know."""


BY_STATUS = {
    c.status: c
    for c in (
        Timeout,
        InvalidArgument,
        InvalidHandle,
        ConfigError,
        Remote,
        ZmqFailure,
        Stopped,
        BufferTooSmall,
        Panic,
        Interrupted,
        Busy,
        Forked,
    )
}


def error_for(status, message, errno=0):
    cls = BY_STATUS.get(status)
    if cls is None:
        return HypobusError(message, errno, status)
    return cls(message, errno)
