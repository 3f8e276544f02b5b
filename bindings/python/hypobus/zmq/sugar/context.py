"""zmq.sugar.context: the Context class (hypobus.zmq.sugar)."""
from . import Context

SyncContext = Context
__all__ = ["Context", "SyncContext"]
