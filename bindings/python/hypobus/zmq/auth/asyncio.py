"""zmq.auth.asyncio: AsyncioAuthenticator, as pyzmq's: the ZAP handler as
a task of the running asyncio loop."""

import asyncio

from .. import constants as C
from .base import Authenticator


class AsyncioAuthenticator(Authenticator):
    """ZAP authentication in the asyncio event loop (start() inside it)."""

    __task = None

    def _zap_socket(self):
        from ..asyncio import Socket

        return self.context.socket(C.REP, socket_class=Socket)

    def start(self):
        super().start()
        self.__task = asyncio.ensure_future(self.__serve())

    async def __serve(self):
        while True:
            msg = await self.zap_socket.recv_multipart()
            try:
                await self.handle_zap_message(msg)
            except Exception:
                self.log.exception("ZAP request failed: %r", msg)

    def stop(self):
        t, self.__task = self.__task, None
        if t is not None:
            t.cancel()
        super().stop()


__all__ = ["AsyncioAuthenticator"]
