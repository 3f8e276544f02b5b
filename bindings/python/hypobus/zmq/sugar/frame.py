"""zmq.sugar.frame: Frame (alias Message) (hypobus.zmq.sugar)."""
from . import Frame, Message

__all__ = ["Frame", "Message"]
