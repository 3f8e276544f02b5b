"""The hypotenuse client for asyncio: `await client.hypot(a, b)`, many
requests at once, on the client's hb_handle_fd descriptor watched by the
event loop (loop.add_reader): no thread, no polling.

    import asyncio, hypobus.asyncio
    async def main():
        async with hypobus.asyncio.Client(brokers) as c:
            print(await c.hypot(12, 13))                                    # 17.6918
            print(await asyncio.gather(*(c.hypot(i, 13) for i in range(1, 100))))

and the task client the same way (hypobus.TaskClient's arguments):

        async with hypobus.asyncio.TaskClient(broker) as tc:
            print(await tc.request(b"hello"))
            print(await asyncio.gather(*(tc.request(b"%d" % i) for i in range(100))))
"""

from __future__ import annotations

import asyncio as _asyncio
from ctypes import create_string_buffer

from . import _ffi, roles
from . import task as _task
from ._ffi import HB_OK, TEXT_MAX
from .errors import Remote, Timeout

__all__ = ["Client", "TaskClient"]


class _FdWaiter:
    """What both asyncio clients share: futures by request id, resolved by
    the subclass's `_drain` when the event loop finds the client's
    hb_handle_fd readable; the loop watches it only while a future waits."""

    _closed_text = "the client was closed"

    def __init__(self, sync):
        self._c = sync
        self._fd = _ffi.handle_fd(sync.handle)
        self._futs = {}
        self._loop = None
        self._reading = False

    @property
    def sync(self):
        """The underlying synchronous client (stats(), in_flight, ...)."""
        return self._c

    def _arm(self):
        if not self._reading:
            self._loop = _asyncio.get_running_loop()
            self._loop.add_reader(self._fd, self._drain)
            self._reading = True

    def _resolve(self, rid, r):
        fut = self._futs.pop(rid, None)
        if fut is not None and not fut.done():
            fut.set_result(r)

    def _disarm_if_idle(self):
        if not self._futs and self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False

    def stats(self):
        return self._c.stats()

    def close(self):
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False
        for fut in self._futs.values():
            if not fut.done():
                fut.set_exception(roles.Stopped(self._closed_text))
        self._futs.clear()
        self._c.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Client(_FdWaiter):
    """hypobus.Client for asyncio (same arguments)."""

    def __init__(self, brokers=None, classic=False, timeout=5.0):
        super().__init__(roles.Client(brokers, classic, timeout))
        self._buf = create_string_buffer(TEXT_MAX)

    def _drain(self):
        h = self._c.handle
        if h is None:
            return
        while True:
            st, r = self._c._next(h, 0, self._buf)
            if st != HB_OK:
                break
            self._resolve(r.id, r)
        self._disarm_if_idle()

    async def result_of(self, rid):
        """Wait for request `rid` (from submit()) and return its Result."""
        fut = _asyncio.get_running_loop().create_future()
        self._futs[rid] = fut
        self._arm()
        self._drain()  # does the client's work once (sends what waits) and takes what is there
        try:
            return await fut
        except _asyncio.CancelledError:
            self._futs.pop(rid, None)
            try:
                self._c.cancel(rid)
            except Exception:
                pass
            raise

    def submit(self, a, b, timeout=None):
        """Send a request at once; returns its id (see result_of)."""
        return self._c.submit(a, b, timeout)

    async def hypot(self, a, b, timeout=None):
        """The hypotenuse ("17.6918"); raises Remote, Timeout, InvalidArgument as hypobus.Client.hypot."""
        r = await self.result_of(self._c.submit(a, b, timeout))
        if r.value is not None:
            return r.value
        raise Timeout(r.error) if r.status == "timeout" else Remote(r.error)

    async def hypot_float(self, a, b, timeout=None):
        return float(await self.hypot(a, b, timeout))


class TaskClient(_FdWaiter):
    """hypobus.TaskClient for asyncio (same arguments): `await request(body)`,
    `await result_of(submit(body))`, `await fetch(id)`, many at once. The
    event loop watches the client's hb_handle_fd descriptor (add_reader)
    while a request is awaited: no thread, no polling. Use it from the
    loop's thread only."""

    _closed_text = "the task client was closed"

    def __init__(self, broker=None, timeout=2.5, tries=3, name=None):
        super().__init__(_task.TaskClient(broker, timeout, tries, name))

    def _drain(self):
        c = self._c
        h = c.handle
        if h is None:
            return
        while True:
            st, r = c._pump(h, 0)
            if st != HB_OK:
                break
            if r.id in c._abandoned:
                c._abandoned.discard(r.id)
                continue
            c._outstanding.discard(r.id)
            self._resolve(r.id, r)
        self._disarm_if_idle()

    async def result_of(self, rid, timeout=None):
        """Wait for the outcome of request `rid` (from submit()) and return its
        TaskResult; `timeout` (s) bounds the wait (asyncio.TimeoutError ->
        hypobus.Timeout; the outcome is then dropped)."""
        c = self._c
        r = c._done.pop(rid, None)
        if r is not None:
            c._outstanding.discard(rid)
            return r
        fut = _asyncio.get_running_loop().create_future()
        self._futs[rid] = fut
        self._arm()
        self._drain()  # what is there already
        try:
            if timeout is None:
                return await fut
            return await _asyncio.wait_for(fut, timeout)
        except (_asyncio.CancelledError, _asyncio.TimeoutError) as e:
            if self._futs.pop(rid, None) is not None or not fut.done():
                c._outstanding.discard(rid)
                c._abandoned.add(rid)
            self._disarm_if_idle()
            if isinstance(e, _asyncio.TimeoutError):
                raise Timeout(f"no outcome for request {rid} within {timeout} s") from None
            raise

    def submit(self, body, id=None, service=None):
        """Send a request at once; returns its id (see result_of)."""
        return self._c.submit(body, id=id, service=service)

    async def request(self, body, timeout=None, service=None):
        """The answer (bytes); raises TaskFailed, TaskGaveUp, Timeout as hypobus.TaskClient.request."""
        r = await self.result_of(self._c.submit(body, service=service), timeout)
        return r.unwrap()

    async def fetch(self, id, timeout=None):
        """The outcome of request `id` as a TaskResult (status "unknown" if the broker does not know it)."""
        self._c.fetch(id, wait=False)
        return await self.result_of(id, timeout)
