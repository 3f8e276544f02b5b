"""zmq.sugar.poll: Poller and select (hypobus.zmq.sugar)."""
from . import Poller, select

__all__ = ["Poller", "select"]
