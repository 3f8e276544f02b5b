"""hypobus.zmq: pyzmq's API on the library's sockets, per pattern and per
piece of the compatibility surface, over real sockets on 127.0.0.1 (free
ports) and inproc. Every wait is bounded."""

import errno
import json
import os
import threading
import time

import pytest

import hypobus
import hypobus.zmq as zmq

EP = "tcp://127.0.0.1:*"


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def pair(ctx, a, b, ep=EP):
    x = ctx.socket(a)
    x.bind(ep)
    y = ctx.socket(b)
    y.connect(x.last_endpoint.decode())
    return x, y


def test_installed_package_is_used():
    # run-tests.sh installs the package; the tests must exercise that copy.
    assert "site-packages" in hypobus.__file__, hypobus.__file__
    assert "site-packages" in hypobus.LIB_PATH and "_libhypobus" in hypobus.LIB_PATH, hypobus.LIB_PATH


def test_versions_and_constants():
    assert zmq.zmq_version_info()[0] == 4
    assert zmq.zmq_version() == "%d.%d.%d" % zmq.zmq_version_info()
    assert zmq.pyzmq_version() == zmq.__version__
    assert zmq.pyzmq_version_info()[0] >= 20
    assert (
        zmq.PAIR,
        zmq.PUB,
        zmq.SUB,
        zmq.REQ,
        zmq.REP,
        zmq.DEALER,
        zmq.ROUTER,
        zmq.PULL,
        zmq.PUSH,
        zmq.XPUB,
        zmq.XSUB,
        zmq.STREAM,
    ) == tuple(range(12))
    assert (zmq.NOBLOCK, zmq.DONTWAIT, zmq.SNDMORE, zmq.RCVMORE, zmq.POLLIN, zmq.POLLOUT) == (1, 1, 2, 13, 1, 2)
    assert zmq.EAGAIN == 11 and zmq.EFSM == 156384763 and zmq.ETERM == 156384765 and zmq.ENOTSOCK == 88
    assert zmq.LINGER == 17 and zmq.SUBSCRIBE == 6 and zmq.IDENTITY == zmq.ROUTING_ID == 5
    assert issubclass(zmq.Again, zmq.ZMQError) and issubclass(zmq.ContextTerminated, zmq.ZMQError)
    assert zmq.strerror(zmq.EFSM) == "Operation cannot be accomplished in current state"


def test_req_rep_and_rcvmore(ctx):
    rep, req = pair(ctx, zmq.REP, zmq.REQ)
    req.send(b"Hello")
    assert rep.recv() == b"Hello" and rep.rcvmore is False and rep.getsockopt(zmq.RCVMORE) == 0
    rep.send_multipart([b"a", b"", b"c"])
    assert req.recv() == b"a"
    assert req.rcvmore is True and req.getsockopt(zmq.RCVMORE) == 1
    assert req.recv() == b""
    assert req.recv() == b"c" and not req.rcvmore
    # EFSM: REQ must not send twice / REP must not recv twice.
    req.send(b"x")
    with pytest.raises(zmq.ZMQError) as e:
        req.send(b"y")
    assert e.value.errno == zmq.EFSM and "state" in str(e.value)
    assert rep.recv() == b"x"
    with pytest.raises(zmq.ZMQError) as e:
        rep.recv(zmq.NOBLOCK)
    assert e.value.errno == zmq.EFSM


def test_sndmore_frames_build_one_message(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    push.send(b"a", zmq.SNDMORE)
    push.send_string("b", zmq.SNDMORE)
    push.send(memoryview(b"c"))
    assert pull.recv_multipart() == [b"a", b"b", b"c"]


def test_string_json_pyobj(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    push.send_string("héllo")
    push.send_json({"a": [1, 2]})
    push.send_pyobj({"x": (1, 2)})
    push.send_serialized({"k": 1}, lambda m: [json.dumps(m).encode()])
    assert pull.recv_string() == "héllo"
    assert pull.recv_json() == {"a": [1, 2]}
    assert pull.recv_pyobj() == {"x": (1, 2)}
    assert pull.recv_serialized(lambda fs: json.loads(fs[0])) == {"k": 1}


def test_copy_false_frames_and_track(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    tracker = push.send(b"abc", copy=False, track=True)
    assert tracker.done
    push.send_multipart([b"x", b"y"], copy=False)
    f = pull.recv(copy=False)
    assert isinstance(f, zmq.Frame) and f.bytes == b"abc" and bytes(f.buffer) == b"abc" and not f.more
    fs = pull.recv_multipart(copy=False)
    assert [x.bytes for x in fs] == [b"x", b"y"] and fs[0].more and not fs[1].more
    push.send(zmq.Frame(b"frame"))
    assert pull.recv() == b"frame"


def test_bad_arguments_raise_like_pyzmq(ctx):
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(TypeError):
        s.send("text")
    with pytest.raises(TypeError):
        s.send_multipart([b"a", "b"])
    with pytest.raises(TypeError):
        s.send(12)
    with pytest.raises(TypeError):
        s.setsockopt(zmq.LINGER, "x")
    with pytest.raises(TypeError):
        s.setsockopt(zmq.SUBSCRIBE, "x")
    with pytest.raises(zmq.ZMQError) as e:
        s.setsockopt(9999, 1)
    assert e.value.errno == zmq.EINVAL
    with pytest.raises(zmq.ZMQError) as e:
        s.connect("nonsense")
    assert e.value.errno in (zmq.EINVAL, zmq.EPROTONOSUPPORT), e.value
    with pytest.raises(zmq.ZMQError) as e:
        s.bind("tcp://127.0.0.1:notaport")
    with pytest.raises(zmq.ZMQError):
        ctx.socket(99)
    with pytest.raises(zmq.ZMQError) as e:
        ctx.socket(zmq.SUB).send(b"x")
    assert e.value.errno == zmq.ENOTSUP
    with pytest.raises(zmq.ZMQError) as e:
        ctx.socket(zmq.PUB).recv(zmq.NOBLOCK)
    assert e.value.errno == zmq.ENOTSUP


def test_address_in_use_and_random_port(ctx):
    a = ctx.socket(zmq.PULL)
    port = a.bind_to_random_port("tcp://127.0.0.1")
    b = ctx.socket(zmq.PULL)
    with pytest.raises(zmq.ZMQError) as e:
        b.bind(f"tcp://127.0.0.1:{port}")
    assert e.value.errno == zmq.EADDRINUSE
    p2 = b.bind_to_random_port("tcp://127.0.0.1", min_port=30000, max_port=32000, max_tries=200)
    assert 30000 <= p2 < 32000
    assert b.last_endpoint == f"tcp://127.0.0.1:{p2}".encode()
    c = ctx.socket(zmq.PULL)
    with pytest.raises(zmq.ZMQBindError):
        c.bind_to_random_port("tcp://127.0.0.1", min_port=port, max_port=port + 1, max_tries=3)


def test_closed_socket_raises_enotsock(ctx):
    s = ctx.socket(zmq.PUSH)
    s.close()
    s.close()  # twice is fine
    assert s.closed
    for call in (lambda: s.send(b"x"), lambda: s.recv(), lambda: s.bind(EP), lambda: s.getsockopt(zmq.LINGER)):
        with pytest.raises(zmq.ZMQError) as e:
            call()
        assert e.value.errno == zmq.ENOTSOCK


def test_options_as_calls_and_attributes(ctx):
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    assert s.linger == 0 and s.getsockopt(zmq.LINGER) == 0
    s.setsockopt(zmq.SNDHWM, 77)
    assert s.sndhwm == 77
    s.hwm = 55
    assert s.rcvhwm == 55 and s.sndhwm == 55
    s.identity = b"me"
    assert s.identity == b"me" and s.routing_id == b"me"
    s.setsockopt_string(zmq.IDENTITY, "you")
    assert s.getsockopt_string(zmq.IDENTITY) == "you"
    s.rcvtimeo = 250
    assert s.rcvtimeo == 250 and s.getsockopt(zmq.RCVTIMEO) == 250
    assert s.type == zmq.DEALER and s.getsockopt(zmq.TYPE) == zmq.DEALER
    s.set(zmq.IMMEDIATE, 1)
    assert s.get(zmq.IMMEDIATE) == 1
    sub = ctx.socket(zmq.SUB)
    sub.subscribe("x")
    sub.subscribe(b"y")
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.unsubscribe("x")
    with pytest.raises(zmq.ZMQError):
        sub.getsockopt(zmq.SUBSCRIBE)  # write-only, as in libzmq
    assert s.getsockopt(zmq.EVENTS) & zmq.POLLOUT == 0  # not connected: no room


def test_context_default_options_and_attributes():
    with zmq.Context() as ctx:
        ctx.linger = 0
        ctx.setsockopt(zmq.SNDHWM, 123)
        s = ctx.socket(zmq.PUSH)
        assert s.linger == 0 and s.sndhwm == 123
        assert ctx.linger == 0 and ctx.get(zmq.IO_THREADS) == 1
    assert ctx.closed and s.closed
    assert zmq.Context(1).closed is False
    a, b = zmq.Context.instance(), zmq.Context.instance()
    assert a is b


def test_rcvtimeo_raises_again_after_the_timeout(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    pull.rcvtimeo = 300
    t = time.monotonic()
    with pytest.raises(zmq.Again) as e:
        pull.recv()
    took = time.monotonic() - t
    assert 0.28 <= took < 1.5, took
    assert e.value.errno == zmq.EAGAIN
    with pytest.raises(zmq.Again):
        pull.recv_multipart(zmq.NOBLOCK)
    push.send(b"late")
    assert pull.recv() == b"late"


def test_sndtimeo_raises_again_when_no_peer(ctx):
    push = ctx.socket(zmq.PUSH)  # no peer: no room
    push.sndtimeo = 200
    t = time.monotonic()
    with pytest.raises(zmq.Again):
        push.send(b"x")
    assert 0.18 <= time.monotonic() - t < 1.5
    with pytest.raises(zmq.Again):
        push.send(b"x", zmq.NOBLOCK)


def test_pub_sub_prefixes_and_xpub_xsub(ctx):
    pub = ctx.socket(zmq.PUB)
    pub.bind(EP)
    sub = ctx.socket(zmq.SUB)
    sub.connect(pub.last_endpoint.decode())
    sub.subscribe(b"uno")
    sub.rcvtimeo = 5000
    # Slow joiner: publish until the subscription arrived.
    deadline = time.monotonic() + 5
    got = None
    while got is None and time.monotonic() < deadline:
        pub.send_multipart([b"dos", b"no"])
        pub.send_multipart([b"uno", b"yes"])
        if sub.poll(50):
            got = sub.recv_multipart()
    assert got == [b"uno", b"yes"]
    xpub = ctx.socket(zmq.XPUB)
    xpub.bind(EP)
    xsub = ctx.socket(zmq.XSUB)
    xsub.connect(xpub.last_endpoint.decode())
    xsub.send(b"\x01topic")
    xpub.rcvtimeo = 5000
    assert xpub.recv() == b"\x01topic"


def test_router_dealer_envelopes(ctx):
    router, dealer = pair(ctx, zmq.ROUTER, zmq.DEALER)
    dealer.identity = b"D1"
    dealer.disconnect(router.last_endpoint.decode())
    dealer.connect(router.last_endpoint.decode())
    dealer.send_multipart([b"", b"req"])
    router.rcvtimeo = 5000
    ident, empty, body = router.recv_multipart()
    assert (ident, empty, body) == (b"D1", b"", b"req")
    router.send_multipart([ident, b"", b"rep"])
    dealer.rcvtimeo = 5000
    assert dealer.recv_multipart() == [b"", b"rep"]
    router.router_mandatory = 1
    with pytest.raises(zmq.ZMQError) as e:
        router.send_multipart([b"nobody", b"x"])
    assert e.value.errno == zmq.EHOSTUNREACH


def test_pair_inproc_and_big_messages(ctx):
    a, b = pair(ctx, zmq.PAIR, zmq.PAIR, "inproc://big")
    big = os.urandom(3 * 1024 * 1024)
    a.send_multipart([b"head", big, b""])
    b.rcvtimeo = 5000
    assert b.recv_multipart() == [b"head", big, b""]
    many = [bytes([i % 256]) * i for i in range(300)]  # more frames than the initial size array
    b.send_multipart(many)
    a.rcvtimeo = 5000
    assert a.recv_multipart() == many


def test_unbind_and_disconnect(ctx):
    pull = ctx.socket(zmq.PULL)
    pull.bind(EP)
    ep = pull.last_endpoint.decode()
    pull.unbind(ep)
    with pytest.raises(zmq.ZMQError) as e:
        pull.unbind(ep)
    assert e.value.errno == errno.ENOENT
    push = ctx.socket(zmq.PUSH)
    push.connect(ep)
    push.disconnect(ep)
    with pytest.raises(zmq.ZMQError):
        push.disconnect(ep)
    with pull.bind(EP):
        pass  # bind() is a context manager that unbinds


def test_many_messages_in_order_through_batches_and_deferred_sends(ctx):
    """A flood mixing single-frame and multipart messages arrives whole and
    in order (receive batches, deferred send bursts), and the last burst
    is flushed without any further call."""
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    pull.rcvhwm = 0
    push.sndhwm = 0
    n = 20000
    for i in range(n):
        if i % 7 == 0:
            push.send_multipart([b"m", str(i).encode()])
        else:
            push.send(str(i).encode())
    pull.rcvtimeo = 5000
    for i in range(n):
        if i % 7 == 0:
            assert pull.recv_multipart() == [b"m", str(i).encode()]
        else:
            assert pull.recv() == str(i).encode()
    # A short burst then silence: the binding's flusher hands it over within milliseconds.
    for i in range(10):
        push.send(b"burst%d" % i)
    t = time.monotonic()
    pull.rcvtimeo = 2000
    assert [pull.recv() for _ in range(10)] == [b"burst%d" % i for i in range(10)]
    assert time.monotonic() - t < 0.5


def test_deferred_sends_keep_causality_across_sockets(ctx):
    """Sends deferred on one socket go out before a later send on another
    socket of the process (a peer that reacts to the second sees the first)."""
    data_pull, data_push = pair(ctx, zmq.PULL, zmq.PUSH)
    note_pull, note_push = pair(ctx, zmq.PULL, zmq.PUSH)
    data_pull.rcvtimeo = note_pull.rcvtimeo = 5000
    for _ in range(3):
        for i in range(5):
            data_push.send(b"%d" % i)
        note_push.send(b"done")
        assert note_pull.recv() == b"done"
        assert [data_pull.recv(zmq.NOBLOCK) if data_pull.poll(2000) else None for _ in range(5)] == [
            b"%d" % i for i in range(5)
        ]


def test_send_blocks_at_hwm_and_resumes(ctx):
    pull = ctx.socket(zmq.PULL)
    pull.rcvhwm = 5
    pull.bind("inproc://hwm")  # no kernel buffers in between: the HWMs alone bound the queue
    push = ctx.socket(zmq.PUSH)
    push.sndhwm = 5
    push.connect("inproc://hwm")
    sent = []

    def flood():
        for i in range(200):
            push.send(b"%d" % i)
            sent.append(i)

    t = threading.Thread(target=flood)
    t.start()
    time.sleep(0.3)
    assert len(sent) < 200, "a full peer must make send() wait"
    pull.rcvtimeo = 5000
    got = [pull.recv() for _ in range(200)]
    t.join(5)
    assert got == [b"%d" % i for i in range(200)] and len(sent) == 200


def test_poller_register_modify_unregister(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    poller.register(push, zmq.POLLOUT)
    t = time.monotonic()
    evts = dict(poller.poll(2000))
    assert evts.get(push) == zmq.POLLOUT and pull not in evts
    poller.modify(push, 0)  # flags 0 = unregister, as pyzmq
    t = time.monotonic()
    assert poller.poll(200) == []
    assert 0.18 <= time.monotonic() - t < 1.5
    push.send(b"x")
    assert dict(poller.poll(2000)) == {pull: zmq.POLLIN}
    # A message already taken into the socket's queue still counts as POLLIN.
    push.send(b"y")
    assert pull.recv() == b"x"
    assert pull.poll(2000) == zmq.POLLIN
    assert pull.recv() == b"y"
    poller.unregister(pull)
    assert poller.poll(0) == []
    with pytest.raises(KeyError):
        poller.unregister(pull)
    # Plain descriptors too.
    r, w = os.pipe()
    try:
        poller.register(r, zmq.POLLIN)
        poller.register(pull, zmq.POLLIN)
        assert poller.poll(100) == []
        os.write(w, b"!")
        assert dict(poller.poll(2000)) == {r: zmq.POLLIN}
    finally:
        os.close(r)
        os.close(w)
    assert zmq.select([pull], [], [], 0.05) == ([], [], [])


def test_poll_forever_returns_when_a_message_comes(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    threading.Timer(0.3, lambda: push.send(b"wake")).start()
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    t = time.monotonic()
    assert poller.poll() == [(pull, zmq.POLLIN)]
    assert time.monotonic() - t < 3


def test_term_wakes_blocked_calls_then_waits_for_the_sockets():
    # As pyzmq's term(): calls blocked on the context's sockets raise
    # ContextTerminated at once, later calls too, and term() returns once
    # every socket is closed.
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.bind(EP)
    push = ctx.socket(zmq.PUSH)
    errors, woke = [], []

    def blocked():
        try:
            pull.recv()
        except zmq.ZMQError as e:
            woke.append(time.monotonic())
            errors.append(e)
            time.sleep(0.3)
            pull.close()

    t = threading.Thread(target=blocked)
    t.start()
    time.sleep(0.2)
    closer = threading.Timer(0.5, push.close)
    closer.start()
    t0 = time.monotonic()
    ctx.term()
    took = time.monotonic() - t0
    t.join(3)
    closer.join(3)
    assert not t.is_alive()
    assert isinstance(errors[0], zmq.ContextTerminated) and errors[0].errno == zmq.ETERM
    assert woke[0] - t0 < 0.25, "the blocked recv woke at once"
    assert 0.4 < took < 2, f"term() returned after {took:.2f} s: once both sockets were closed"
    assert pull.closed and push.closed and ctx.closed
    with pytest.raises(zmq.ZMQError) as e:
        ctx.socket(zmq.PUSH)
    assert e.value.errno == zmq.ENOTSUP
    with pytest.raises(zmq.ZMQError) as e:
        pull.recv()
    assert e.value.errno == zmq.ENOTSOCK


def test_calls_after_term_began_raise_context_terminated():
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUSH)
    t = threading.Thread(target=ctx.term)
    t.start()
    time.sleep(0.1)
    assert t.is_alive(), "term() waits for the open socket"
    for call in (lambda: s.send(b"x"), lambda: s.setsockopt(zmq.LINGER, 0), lambda: s.bind(EP)):
        with pytest.raises(zmq.ContextTerminated):
            call()
    s.close()
    t.join(2)
    assert not t.is_alive() and ctx.closed


def test_proxy_blocks_until_term(ctx):
    pctx = zmq.Context()
    front = pctx.socket(zmq.ROUTER)
    back = pctx.socket(zmq.DEALER)
    front.bind(EP)
    back.bind(EP)
    # Sockets run by a proxy belong to it (calls on them raise EBUSY): read the endpoints first.
    front_ep, back_ep = front.last_endpoint.decode(), back.last_endpoint.decode()
    result = []

    def run():
        try:
            zmq.proxy(front, back)
        except zmq.ContextTerminated as e:
            result.append(e)
        finally:
            front.close()  # term() waits for them, as in pyzmq
            back.close()

    t = threading.Thread(target=run)
    t.start()
    rep = ctx.socket(zmq.REP)
    rep.connect(back_ep)
    req = ctx.socket(zmq.REQ)
    req.connect(front_ep)
    req.rcvtimeo = rep.rcvtimeo = 5000
    req.send(b"ping")
    assert rep.recv() == b"ping"
    rep.send(b"pong")
    assert req.recv() == b"pong"
    assert t.is_alive()
    pctx.term()
    t.join(3)
    assert not t.is_alive() and result and isinstance(result[0], zmq.ContextTerminated)
    assert front.closed and back.closed


def test_socket_and_context_managers(ctx):
    with ctx.socket(zmq.PUSH) as s:
        s.bind(EP)
    assert s.closed
    with zmq.Context() as c2:
        s2 = c2.socket(zmq.PULL)
    assert s2.closed


def test_monitor_events(ctx):
    pull = ctx.socket(zmq.PULL)
    pull.monitor_events(zmq.EVENT_LISTENING)
    pull.bind(EP)
    ev = pull.next_event(timeout=2000)
    assert ev["event"] == zmq.EVENT_LISTENING and ev["endpoint"] == pull.last_endpoint


def test_monitor_socket_in_a_poller_and_its_reader_closed_first(ctx):
    # get_monitor_socket(): a PAIR polled like any socket. Its queue has no
    # limit and closing it stops the monitor first: a socket that keeps
    # producing events (reconnecting every ms to a dead port) never makes
    # libzmq's I/O thread, which every socket of the process shares, wait.
    import socket as pysocket

    from hypobus.zmq.utils.monitor import recv_monitor_message

    with pysocket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    noisy = ctx.socket(zmq.DEALER)
    noisy.reconnect_ivl = noisy.reconnect_ivl_max = 1
    mon = noisy.get_monitor_socket()
    assert noisy.get_monitor_socket() is mon
    noisy.connect(f"tcp://127.0.0.1:{dead}")
    poller = zmq.Poller()
    poller.register(mon, zmq.POLLIN)
    assert dict(poller.poll(5000)).get(mon) == zmq.POLLIN
    assert recv_monitor_message(mon)["event"] in (zmq.EVENT_CONNECT_DELAYED, zmq.EVENT_CONNECT_RETRIED)
    time.sleep(1.0)  # ~1000 events nobody reads: the reader's queue takes them all
    mon.close()  # stops the monitor, then closes the reader
    assert not noisy.closed
    time.sleep(0.3)  # retries go on: their events would go to a reader that is gone
    a, b = pair(ctx, zmq.PAIR, zmq.PAIR)
    a.send(b"still alive")
    b.rcvtimeo = 5000
    assert b.recv() == b"still alive"
    t0 = time.monotonic()
    noisy.close()
    assert time.monotonic() - t0 < 1


def test_a_forked_child_leaves_the_parents_sockets_and_context_alone():
    # As pyzmq (which records the pid): in a forked child, the parent's
    # sockets and context are only marked closed, the library is not called
    # for them; Context.instance() is a new one; the child's own sockets work.
    from hypobus import _ffi

    parent_ctx = zmq.Context.instance()
    a, b = pair(parent_ctx, zmq.PAIR, zmq.PAIR)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            freed = []
            real_free = _ffi.F.hb_socket_free
            _ffi.F.hb_socket_free = lambda h: freed.append(h) or real_free(h)
            inherited = a.underlying
            child_ctx = zmq.Context.instance()
            a.close()
            del b
            import gc

            gc.collect()  # b's __del__ too
            parent_ctx.term()  # returns at once: nothing of it is the child's
            x, y = pair(child_ctx, zmq.PAIR, zmq.PAIR, "inproc://forked-child")
            x.send(b"mine")
            y.rcvtimeo = 5000
            ok = (
                child_ctx is not parent_ctx
                and a.closed
                and parent_ctx.closed
                and y.recv() == b"mine"
                and inherited not in freed
                and len(freed) == 0
            )
            x.close()
            y.close()
            ok = ok and len(freed) == 2  # the child's own sockets are freed
            child_ctx.term()
            os.write(w, b"ok" if ok else repr((freed, inherited)).encode()[:200])
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        got = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0 and got == b"ok", got
    assert not a.closed and not parent_ctx.closed
    a.send(b"still the parent's")
    b.rcvtimeo = 5000
    assert b.recv() == b"still the parent's"
    a.close()
    b.close()


def test_threads_each_with_their_socket(ctx):
    pull = ctx.socket(zmq.PULL)
    pull.bind(EP)
    ep = pull.last_endpoint.decode()

    def sender(k):
        s = ctx.socket(zmq.PUSH)
        s.connect(ep)
        for i in range(500):
            s.send_multipart([b"%d" % k, b"%d" % i])
        s.close(linger=5000)

    ts = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    pull.rcvtimeo = 5000
    seen = {k: [] for k in range(4)}
    for _ in range(2000):
        k, i = pull.recv_multipart()
        seen[int(k)].append(int(i))
    for t in ts:
        t.join(5)
    assert all(v == list(range(500)) for v in seen.values())
