"""zmq.sugar.tracker: MessageTracker, as pyzmq's."""

import threading
import time

from ..error import NotDone
from ._common import SLICE_MS
from .frame import Frame


class MessageTracker:
    """pyzmq's MessageTracker: done once every watched frame is done.
    `MessageTracker(*towatch)` watches Frames made with track=True, other
    trackers, or threading.Events. A Frame is done when nothing can hand
    its buffer to the library any more, i.e. when the Frame is gone (the
    library copies what it sends at once)."""

    def __init__(self, *towatch):
        self.events = set()
        self.peers = set()
        for obj in towatch:
            if isinstance(obj, threading.Event):
                self.events.add(obj)
            elif isinstance(obj, MessageTracker):
                self.peers.add(obj)
            elif isinstance(obj, Frame):
                if obj.tracker is None:
                    raise ValueError("Not a tracked message")
                self.peers.add(obj.tracker)
            else:
                raise TypeError(f"Require Events or Message Frames, not {type(obj)}")

    @property
    def done(self):
        return all(e.is_set() for e in self.events) and all(p.done for p in self.peers)

    def wait(self, timeout=-1):
        """Wait until done (timeout in seconds, -1 = no limit: in bounded
        slices); raises NotDone if it is not done in time."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        for e in list(self.events):
            while not e.is_set():
                left = SLICE_MS / 1000 if deadline is None else min(deadline - time.monotonic(), SLICE_MS / 1000)
                if left <= 0:
                    raise NotDone
                e.wait(left)
        for p in list(self.peers):
            p.wait(-1 if deadline is None else max(0.0, deadline - time.monotonic()))


_FINISHED_TRACKER = MessageTracker()  # what a copying send returns when track=True

__all__ = ["MessageTracker", "_FINISHED_TRACKER"]
