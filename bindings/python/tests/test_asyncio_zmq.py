"""hypobus.zmq.asyncio: awaitable sockets and Poller on loop.add_reader."""

import asyncio
import time

import pytest

import hypobus.zmq as zmq
import hypobus.zmq.asyncio as azmq


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_send_recv_multipart_many_concurrently():
    async def main():
        ctx = azmq.Context()
        pull = ctx.socket(zmq.PULL)
        pull.bind("tcp://127.0.0.1:*")
        push = ctx.socket(zmq.PUSH)
        push.connect(pull.last_endpoint.decode())

        async def produce():
            for i in range(2000):
                await push.send_multipart([b"m", b"%d" % i])

        async def consume():
            return [await pull.recv_multipart() for _ in range(2000)]

        _, got = await asyncio.gather(produce(), consume())
        assert got == [[b"m", b"%d" % i] for i in range(2000)]
        ctx.destroy(linger=0)

    run(main())


def test_req_rep_strings_json_and_send_without_await():
    async def main():
        ctx = azmq.Context()
        rep = ctx.socket(zmq.REP)
        rep.bind("tcp://127.0.0.1:*")
        req = ctx.socket(zmq.REQ)
        req.connect(rep.last_endpoint.decode())
        req.send_string("hello")  # not awaited: goes out all the same, as in pyzmq
        assert await rep.recv_string() == "hello"
        await rep.send_json({"ok": 1})
        assert await req.recv_json() == {"ok": 1}
        ctx.destroy(linger=0)

    run(main())


def test_recv_waits_without_cpu_then_wakes():
    async def main():
        ctx = azmq.Context()
        pull = ctx.socket(zmq.PULL)
        pull.bind("tcp://127.0.0.1:*")
        push = ctx.socket(zmq.PUSH)
        push.connect(pull.last_endpoint.decode())
        fut = pull.recv()
        cpu = time.process_time()
        await asyncio.sleep(0.5)
        assert time.process_time() - cpu < 0.1, "an idle waiting socket must not use CPU"
        assert not fut.done()
        await push.send(b"wake")
        assert await asyncio.wait_for(fut, 5) == b"wake"
        ctx.destroy(linger=0)

    run(main())


def test_rcvtimeo_poller_and_close_while_waiting():
    async def main():
        ctx = azmq.Context()
        pull = ctx.socket(zmq.PULL)
        pull.bind("tcp://127.0.0.1:*")
        pull.rcvtimeo = 200
        t = time.monotonic()
        with pytest.raises(zmq.Again):
            await pull.recv()
        assert 0.15 < time.monotonic() - t < 2
        pull.rcvtimeo = -1
        poller = azmq.Poller()
        poller.register(pull, zmq.POLLIN)
        assert await poller.poll(100) == []
        push = ctx.socket(zmq.PUSH)
        push.connect(pull.last_endpoint.decode())
        await push.send(b"x")
        assert await poller.poll(5000) == [(pull, zmq.POLLIN)]
        assert await pull.poll(1000) == zmq.POLLIN
        assert await pull.recv() == b"x"
        fut = pull.recv()
        pull.close()
        with pytest.raises(asyncio.CancelledError):  # close() cancels what waits, as in pyzmq
            await fut
        assert fut.cancelled()
        ctx.destroy(linger=0)

    run(main())
