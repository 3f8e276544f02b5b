"""zmq.sugar.frame: Frame (alias Message), as pyzmq's."""

import threading
import weakref

from .. import constants as C
from ..error import ZMQError


def _frame_done(event):
    event.set()


class Frame(bytearray):
    """pyzmq's Frame: a message frame to send, or one received with
    recv(copy=False). It holds its own copy of the bytes (a bytearray:
    `memoryview(frame)` and `frame.buffer` work, writable as in pyzmq);
    `frame.bytes` is a bytes copy made once; `more` tells whether more
    frames of the message follow; `get(zmq.MORE)`.
    With track=True, `frame.tracker` is done once the Frame is gone."""

    more = False
    tracker = None
    _src = None  # weakref to the socket that received it (copy=False): where its metadata is asked
    _bytes = None
    _buffer = None

    def __init__(self, data=b"", track=False, copy=None, copy_threshold=None):
        if isinstance(data, str):
            raise TypeError("Str objects not allowed. Only: bytes, buffer interfaces.")
        if data.__class__ is not bytes:
            try:
                mv = memoryview(data)
            except TypeError:
                raise TypeError(f"Frame data must support the buffer interface, not {type(data).__name__}") from None
            if not mv.contiguous:
                raise BufferError("Frame data must be a contiguous buffer")
            data = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
        super().__init__(data)
        if track:
            from .tracker import MessageTracker  # tracker.py imports Frame (pyzmq's Frame also finds it late)

            ev = threading.Event()
            self.tracker = MessageTracker(ev)
            weakref.finalize(self, _frame_done, ev)

    @property
    def bytes(self):
        """The frame's bytes (copied once, then the same object)."""
        b = self._bytes
        if b is None:
            b = self._bytes = builtins_bytes(self)
        return b

    @property
    def buffer(self):
        """A memoryview of the frame (the same object each time)."""
        b = self._buffer
        if b is None:
            b = self._buffer = memoryview(self)
        return b

    def get(self, option):
        """Frame properties: zmq.MORE / "more"."""
        if option in (C.MORE, "more"):
            return int(self.more)
        if isinstance(option, (str, builtins_bytes)):
            sock = self._src() if self._src is not None else None
            if sock is None:
                raise ZMQError(
                    C.EINVAL,
                    detail=f"frame property {option!r}: only a frame received with copy=False, whose socket is open, has metadata",
                )
            return sock._msg_property(option)
        raise ZMQError(C.EINVAL, detail=f"frame option {option!r} is not supported")

    def set(self, option, value):
        raise ZMQError(C.EINVAL, detail=f"frame option {option!r} cannot be set")

    def __getitem__(self, k):
        if isinstance(k, str):
            return self.get(k)
        return bytearray.__getitem__(self, k)

    def __copy__(self):
        f = Frame(self)
        f.tracker = self.tracker
        f.more = self.more
        return f

    fast_copy = __copy__

    def __deepcopy__(self, memo):
        return self.__copy__()

    __hash__ = object.__hash__

    def __repr__(self):
        n = len(self)
        if n > 16:
            head = builtins_bytes(memoryview(self)[:12])
            if n >= 1e9:
                suffix = f"...{n // 1e9:.0f}GB"
            elif n >= 2**20:
                suffix = f"...{n // 1e6:.0f}MB"
            elif n >= 1e3:
                suffix = f"...{n // 1e3:.0f}kB"
            else:
                suffix = f"...{n}B"
        else:
            head, suffix = builtins_bytes(self), ""
        cls = type(self)
        name = "zmq.Frame" if cls is Frame else f"{cls.__module__}.{cls.__name__}"
        return f"<{name}({head!r}{suffix})>"

    __str__ = __repr__


Message = Frame
builtins_bytes = bytes

__all__ = ["Frame", "Message"]
