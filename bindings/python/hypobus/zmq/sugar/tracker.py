"""zmq.sugar.tracker: MessageTracker (hypobus.zmq.sugar)."""
from . import _FINISHED_TRACKER, MessageTracker

__all__ = ["MessageTracker", "_FINISHED_TRACKER"]
