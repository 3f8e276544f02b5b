"""zmq.auth.ioloop: IOLoopAuthenticator, pyzmq's deprecated name for the
asyncio authenticator (tornado's IOLoop runs on asyncio)."""

import warnings

from .asyncio import AsyncioAuthenticator


class IOLoopAuthenticator(AsyncioAuthenticator):
    """AsyncioAuthenticator, with pyzmq's deprecated `io_loop` argument."""

    def __init__(self, context=None, encoding="utf-8", log=None, io_loop=None):
        if io_loop is not None:
            warnings.warn(
                f"{self.__class__.__name__}(io_loop) is deprecated and ignored", DeprecationWarning, stacklevel=2
            )
        super().__init__(context=context, encoding=encoding, log=log)


__all__ = ["IOLoopAuthenticator"]
