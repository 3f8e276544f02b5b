"""zmq.sugar.socket: the Socket class (hypobus.zmq.sugar)."""
from . import Socket

SyncSocket = Socket
__all__ = ["Socket", "SyncSocket"]
