"""zmq.sugar.stopwatch: Stopwatch, as pyzmq's (deprecated there)."""

import time

from .. import constants as C
from ..error import ZMQError


class Stopwatch:
    """A stopwatch in microseconds (pyzmq's zmq.Stopwatch): start(), stop() -> µs elapsed."""

    def __init__(self):
        self._start = None

    def start(self):
        if self._start is not None:
            raise ZMQError(C.EINVAL, detail="Stopwatch is already running")
        self._start = time.perf_counter()

    def stop(self):
        if self._start is None:
            raise ZMQError(C.EINVAL, detail="Must start the Stopwatch before calling stop.")
        t = time.perf_counter() - self._start
        self._start = None
        return int(t * 1e6)


__all__ = ["Stopwatch"]
