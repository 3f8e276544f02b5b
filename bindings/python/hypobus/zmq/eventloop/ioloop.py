"""zmq.eventloop.ioloop: tornado's IOLoop (pyzmq's own IOLoop is long
gone; tornado >= 5 needs nothing installed to poll ZeroMQ sockets)."""

import warnings

from tornado.ioloop import IOLoop

ZMQIOLoop = IOLoop


def install():
    """Nothing to install any more (deprecated in pyzmq 17)."""
    warnings.warn(
        "zmq.eventloop.ioloop.install is deprecated: tornado's IOLoop needs nothing installed",
        DeprecationWarning,
        stacklevel=2,
    )


__all__ = ["IOLoop", "ZMQIOLoop", "install"]
