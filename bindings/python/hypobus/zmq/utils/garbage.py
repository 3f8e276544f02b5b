"""zmq.utils.garbage: pyzmq's keeper of Python buffers that libzmq still
uses after a zero-copy send (`gc.refs`). hypobus.zmq never lends a Python
buffer to the library: every send copies its bytes into the library
before the call returns, so nothing is ever kept here (`refs` stays
empty); it is there for code that looks at it."""

import threading


class GarbageCollector:
    """What pyzmq's garbage collector offers; its `refs` stay empty here
    (see the module's docstring)."""

    def __init__(self, context=None):
        self.refs = {}
        self.context = context
        self.lock = threading.Lock()

    @property
    def is_alive(self):
        return False

    def start(self):
        pass

    def stop(self):
        pass

    def store(self, obj, event=None):
        """pyzmq keeps `obj` until libzmq is done with it; the binding
        copies at once, so it is done now: the event (if any) is set."""
        if event is not None:
            event.set()
        return 0


gc = GarbageCollector()

__all__ = ["GarbageCollector", "gc"]
