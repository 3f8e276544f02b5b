"""zmq.auth.thread: ThreadAuthenticator, as pyzmq's: the ZAP handler in a
thread of its own (its coroutine callbacks run in that thread's loop)."""

import asyncio
import threading

from .base import Authenticator

_POLL_MS = 100  # how soon stop() is noticed


class AuthenticationThread(threading.Thread):
    """The thread that answers ZAP requests for a ThreadAuthenticator."""

    def __init__(self, authenticator):
        super().__init__(name="zmq.auth", daemon=True)
        self.authenticator = authenticator
        self.stopping = threading.Event()

    def run(self):
        auth = self.authenticator
        loop = asyncio.new_event_loop()
        try:
            sock = auth.zap_socket
            while not self.stopping.is_set():
                if not sock.poll(_POLL_MS):
                    continue
                msg = sock.recv_multipart()
                try:
                    loop.run_until_complete(auth.handle_zap_message(msg))
                except Exception:
                    auth.log.exception("ZAP request failed: %r", msg)
        finally:
            loop.close()


class ThreadAuthenticator(Authenticator):
    """Run ZAP authentication in a background thread."""

    thread = None

    def start(self):
        super().start()
        self.thread = AuthenticationThread(self)
        self.thread.start()

    def stop(self):
        t, self.thread = self.thread, None
        if t is not None:
            t.stopping.set()
            t.join(timeout=5)
        super().stop()

    def is_alive(self):
        return self.thread is not None and self.thread.is_alive()


__all__ = ["ThreadAuthenticator", "AuthenticationThread"]
