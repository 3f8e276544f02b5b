"""Arguments of the task classes (hypobus.task): texts, bodies, numbers,
times in seconds, lists, the journal, and a growable receive buffer."""

import os
import time
from ctypes import create_string_buffer

from ._role import SLICE_MS
from .errors import InvalidArgument

FIRST_BUF = 64 * 1024  # the first body buffer of a receiving thread; grows to what the library asks for
U32_MAX = 2**32 - 1


def _text(x, name, allow_none=True):
    if x is None:
        if allow_none:
            return None
        raise TypeError(f"{name} is required")
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, bytes):
        return x
    raise TypeError(f"{name} must be str, not {type(x).__name__}")


def _body(x, name="body"):
    """A request or reply body: bytes-like, or str (sent as UTF-8)."""
    if isinstance(x, bytes):
        return x
    if isinstance(x, (bytearray, memoryview)):
        return bytes(x)
    if isinstance(x, str):
        return x.encode()
    raise TypeError(f"{name} must be bytes, bytearray, memoryview or str, not {type(x).__name__}")


def _uint(x, name, lo=0, hi=U32_MAX):
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{name} must be an int, not {type(x).__name__}")
    if x < lo or x > hi:
        raise InvalidArgument(f"{name} must be between {lo} and {hi}, not {x}")
    return x


def _seconds_ms(s, name):
    """Seconds (int/float, > 0) as milliseconds for a config field."""
    if isinstance(s, bool) or not isinstance(s, (int, float)):
        raise TypeError(f"{name} is a number of seconds, not {type(s).__name__}")
    if not s > 0 or s * 1000 > U32_MAX:
        raise InvalidArgument(f"{name} must be a number of seconds > 0, not {s}")
    return max(1, int(round(s * 1000)))


def _deadline(timeout, name="timeout"):
    """A wait's deadline (time.monotonic()) or None (no limit)."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"{name} is a number of seconds, not {type(timeout).__name__}")
    if timeout < 0 or timeout != timeout:
        raise InvalidArgument(f"{name} must be a number of seconds >= 0, not {timeout}")
    return time.monotonic() + timeout


def _slice(deadline):
    """The next bounded wait (ms) toward `deadline`."""
    if deadline is None:
        return SLICE_MS
    return max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000 + 0.999)))


def _list_arg(x, name):
    """None, "a,b" or a list of str -> comma-joined bytes (None stays None)."""
    if x is None:
        return None
    if isinstance(x, (str, bytes)):
        return _text(x, name)
    if isinstance(x, (list, tuple, set, frozenset)):
        parts = []
        for p in x:
            if not isinstance(p, str):
                raise TypeError(f"{name} must hold strings, not {type(p).__name__}")
            parts.append(p)
        return ",".join(parts).encode()
    raise TypeError(f"{name} must be a string or a list of strings, not {type(x).__name__}")


def _journal(j):
    if j is None:
        return None
    if isinstance(j, os.PathLike):
        j = os.fspath(j)
    if isinstance(j, bytes):
        j = j.decode()
    what = "'memory', an SQLite path, 'sqlite:PATH' or a 'postgres://' URL"
    if not isinstance(j, str):
        raise TypeError(f"journal must be {what}, not {type(j).__name__}")
    if j == "":
        raise InvalidArgument(f"journal must be {what}, not ''")
    if j == "memory" or j.startswith(("sqlite:", "postgres://", "postgresql://")):
        return j.encode()
    return ("sqlite:" + j).encode()


class _Buf:
    """A growable receive buffer (one per thread that receives)."""

    __slots__ = ("b", "n")

    def __init__(self, n=FIRST_BUF):
        self.n = n
        self.b = create_string_buffer(n)

    def grow(self, need):
        if need + 1 > self.n:
            self.n = max(need + 1, self.n * 2)
            self.b = create_string_buffer(self.n)
