"""CURVE from Python: certificates, the library's authenticator on
hypobus.zmq sockets, the lab's roles with keys (hypobus.set_curve), and
interop over CURVE with real pyzmq both ways (a pyzmq program on our
broker; our client on a pyzmq server guarded by pyzmq's zmq.auth), and
per-role keys (curve=hypobus.Curve(...)): two labs in one process."""

import shutil

import pytest
from conftest import free_ports
from test_interop import pyzmq_prog

import hypobus
import hypobus.zmq as zmq
import hypobus.zmq.auth


@pytest.fixture
def certs(tmp_path):
    """broker, client, stranger certificates; allowed/ lists the client."""
    (tmp_path / "allowed").mkdir()
    keys = {}
    for name in ("broker", "client", "stranger"):
        public = hypobus.keygen(tmp_path / name, {"name": name})
        keys[name] = (public, hypobus.load_certificate(tmp_path / f"{name}_secret")[1])
    shutil.copy(tmp_path / "client", tmp_path / "allowed" / "client")
    return tmp_path, keys


def test_certificates_round_trip_and_read_as_pyzmq_does(certs):
    d, keys = certs
    pub, sec = keys["client"]
    assert len(pub) == len(sec) == 40
    assert hypobus.load_certificate(d / "client") == (pub, None)
    assert hypobus.zmq.auth.load_certificate(str(d / "client_secret")) == (pub.encode(), sec.encode())
    assert zmq.curve_public(sec.encode()) == pub.encode()
    with pytest.raises(hypobus.ConfigError):
        hypobus.load_certificate(d / "missing")
    (d / "junk").write_text("not a certificate\n")
    with pytest.raises(hypobus.InvalidArgument, match="no public-key"):
        hypobus.load_certificate(d / "junk")


def _curve_server(ctx, kind, secret):
    s = ctx.socket(kind)
    s.linger = 0
    s.curve_server = True
    s.curve_secretkey = secret.encode()
    return s


def _curve_client(ctx, kind, server_public, keys):
    s = ctx.socket(kind)
    s.linger = 0
    s.curve_serverkey = server_public.encode()
    s.curve_publickey, s.curve_secretkey = (k.encode() for k in keys)
    return s


def test_library_authenticator_on_generic_sockets(certs):
    d, keys = certs
    ctx = zmq.Context.instance()
    with hypobus.Authenticator(curve_dir=d / "allowed") as auth:
        server = _curve_server(ctx, zmq.PULL, keys["broker"][1])
        port = server.bind_to_random_port("tcp://127.0.0.1")
        stranger = _curve_client(ctx, zmq.PUSH, keys["broker"][0], keys["stranger"])
        stranger.connect(f"tcp://127.0.0.1:{port}")
        stranger.send(b"from the stranger")
        listed = _curve_client(ctx, zmq.PUSH, keys["broker"][0], keys["client"])
        listed.connect(f"tcp://127.0.0.1:{port}")
        listed.send(b"from the client")
        assert server.poll(5000) and server.recv() == b"from the client"
        assert server.poll(300) == 0, "the stranger's message got through"
        s = auth.stats()
        assert s.allowed >= 1 and s.denied >= 1, s
        # Listed now: after a reload it gets in (libzmq gives up a connection
        # that failed authentication: the stranger connects again).
        shutil.copy(d / "stranger", d / "allowed" / "stranger")
        auth.reload()
        again = _curve_client(ctx, zmq.PUSH, keys["broker"][0], keys["stranger"])
        again.connect(f"tcp://127.0.0.1:{port}")
        again.send(b"listed now")
        assert server.poll(5000) and server.recv() == b"listed now"
        assert auth.stats().reloads == 1
        with pytest.raises(hypobus.ConfigError, match="one per context"):
            hypobus.Authenticator(curve_any=True)
        for s in (server, stranger, listed, again):
            s.close()
    with pytest.raises(hypobus.InvalidArgument, match="allow and deny"):
        hypobus.Authenticator(allow=["127.0.0.1"], deny=["10.0.0.1"])


def test_lab_roles_with_curve(certs):
    d, keys = certs
    try:
        hypobus.set_curve(cert=d / "broker_secret", allow=d / "allowed")
        broker = hypobus.Broker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", hb="")
        hypobus.set_curve(cert=d / "client_secret", server=d / "broker")
        with broker, hypobus.OpNode(1, brokers=broker), hypobus.OpNode(2, brokers=broker), hypobus.CalcNode(
            brokers=broker
        ):
            with hypobus.Client(brokers=broker, timeout=10) as c:
                assert c.hypot(12, 13) == "17.6918"
            hypobus.set_curve(server=d / "broker")  # encrypted, but not on the list
            with hypobus.Client(brokers=broker, timeout=1.5) as c, pytest.raises(hypobus.Timeout):
                c.hypot(3, 4)
            hypobus.set_curve()
            with hypobus.Client(brokers=broker, timeout=1.5) as c, pytest.raises(hypobus.Timeout):
                c.hypot(3, 4)
    finally:
        hypobus.set_curve()
    with pytest.raises(hypobus.ConfigError, match="no secret key"):
        hypobus.set_curve(cert=d / "client")


ANY = "tcp://127.0.0.1:*"


def _wait(cond, timeout=10.0):
    import time

    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_per_role_keys_two_labs_in_one_process(certs):
    """Lab A with keys and an allow-list, lab B plain, while a process
    default that fits neither is on: each role's own keys win."""
    d, keys = certs
    hypobus.keygen(d / "outsider")
    Curve = hypobus.Curve
    mine = Curve(cert=d / "client_secret", server=d / "broker")
    off = Curve()
    try:
        hypobus.set_curve(cert=d / "stranger_secret", server=d / "stranger")
        a = hypobus.Broker(ANY, ANY, hb="", curve=Curve(cert=d / "broker_secret", allow=d / "allowed"))
        b = hypobus.Broker(ANY, ANY, hb="", curve=off)
        with a, b, hypobus.OpNode(1, brokers=a, curve=mine), hypobus.OpNode(
            # a Python operation (the pull-style node), keys given as a dict and as Z85 text
            2,
            fn=lambda x: x * x,
            brokers=a,
            curve={"cert": keys["client"][1], "server": keys["broker"][0]},
        ), hypobus.CalcNode(brokers=a, curve=mine), hypobus.OpNode(1, brokers=b, curve=off), hypobus.OpNode(
            2, brokers=b, curve=off
        ), hypobus.CalcNode(brokers=b, curve=off):
            with hypobus.Client(brokers=a, timeout=10, curve=mine) as c:
                assert c.hypot(12, 13) == "17.6918"
            with hypobus.Client(brokers=b, timeout=10, curve=off) as c:
                assert c.hypot(3, 4) == "5.0000", "plain, beside a process default that is on"
            strangers = [
                (a, Curve(cert=d / "client_secret", server=d / "stranger")),  # a wrong server key
                (a, off),  # plain
                (a, Curve(cert=d / "outsider_secret", server=d / "broker")),  # not on the list
                (b, None),  # the process default: CURVE to a plain broker
            ]
            for broker, curve in strangers:
                with hypobus.Client(brokers=broker, timeout=1.5, curve=curve) as c, pytest.raises(hypobus.Timeout):
                    c.hypot(5, 12)
            with hypobus.Client(brokers=a, timeout=10, curve=mine) as c:
                assert c.hypot(20, 21) == "29.0000", "lab A still answers its own"
    finally:
        hypobus.set_curve()


def test_per_role_keys_task_roles_and_failover_pair(certs):
    d, _ = certs
    Curve = hypobus.Curve
    mine = Curve(cert=d / "client_secret", server=d / "broker")
    serving = Curve(cert=d / "broker_secret", allow=d / "allowed")
    with hypobus.TaskBroker(ANY, ANY, curve=serving, hb_interval_ms=100) as tb, hypobus.TaskWorker(
        tb, handler=lambda job: job.body.upper(), curve=mine, hb_interval_ms=100
    ):
        with hypobus.TaskClient(tb, curve=mine) as tc:
            assert tc.request(b"over curve", timeout=10) == b"OVER CURVE"
        with hypobus.TaskClient(tb, curve=Curve(), timeout=0.5, tries=1) as tc, pytest.raises(
            (hypobus.TaskGaveUp, hypobus.Timeout)
        ):
            tc.request(b"in clear", timeout=3)
    p_hb, b_hb = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
    with hypobus.FailoverBroker(
        "primary", peer_hb=b_hb, hb=p_hb, xsub=ANY, xpub=ANY, hb_interval_ms=100, curve=serving
    ) as p, hypobus.FailoverBroker(
        "backup", peer_hb=p_hb, hb=b_hb, xsub=ANY, xpub=ANY, hb_interval_ms=100, curve=serving
    ) as bk:
        assert _wait(lambda: p.stats().peer_heartbeats > 0 and bk.stats().peer_heartbeats > 0), (
            "no heartbeats over CURVE"
        )
        assert _wait(lambda: p.stats().active and not bk.stats().active)


def test_curve_argument_errors(certs):
    d, _ = certs
    with pytest.raises(TypeError, match="unknown keys"):
        hypobus.Client(curve={"cert": None, "bogus": 1})
    with pytest.raises(TypeError, match="hypobus.Curve"):
        hypobus.CalcNode(curve="broker")
    with pytest.raises(hypobus.ConfigError, match="missing"):
        hypobus.Client(curve=hypobus.Curve(server=d / "missing"))
    with pytest.raises(hypobus.ConfigError, match="no secret key"):
        hypobus.Broker(ANY, ANY, hb="", curve=hypobus.Curve(cert=d / "broker"))
    with pytest.raises(hypobus.ConfigError, match="not a directory"):
        hypobus.TaskBroker(ANY, ANY, curve=hypobus.Curve(cert=d / "broker_secret", allow=d / "broker"))
    assert "secret key" in repr(hypobus.Curve(cert="x" * 40))
    assert hypobus.Curve.of({"server": "s"}) == hypobus.Curve(server="s")


def test_pyzmq_program_on_our_curve_broker(certs, procs):
    """A pyzmq publisher and subscriber, CURVE with a listed certificate, through our broker."""
    d, keys = certs
    try:
        hypobus.set_curve(cert=d / "broker_secret", allow=d / "allowed")
        broker = hypobus.Broker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", hb="")
    finally:
        hypobus.set_curve()
    with broker:
        p = pyzmq_prog(
            procs,
            "pyzmq-curve-peer",
            """
            import zmq.auth
            server_public, _ = zmq.auth.load_certificate(sys.argv[1])
            public, secret = zmq.auth.load_certificate(sys.argv[2])
            ctx = zmq.Context()
            def curve(kind):
                s = ctx.socket(kind)
                s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server_public, public, secret
                return s
            sub = curve(zmq.SUB); sub.subscribe(b"to-pyzmq"); sub.connect(sys.argv[4])
            pub = curve(zmq.PUB); pub.connect(sys.argv[3])
            print("ready", flush=True)
            sub.rcvtimeo = 10000
            deadline = time.time() + 10
            while time.time() < deadline:
                pub.send_multipart([b"from-pyzmq", b"hello"])
                if sub.poll(100):
                    print("got", sub.recv_multipart()[1].decode(), flush=True)
                    break
        """,
            str(d / "broker"),
            str(d / "client_secret"),
            broker.xsub_endpoint,
            broker.xpub_endpoint,
        )
        p.wait_line("ready")
        ctx = zmq.Context.instance()
        sub = _curve_client(ctx, zmq.SUB, keys["broker"][0], keys["client"])
        sub.subscribe(b"from-pyzmq")
        sub.connect(broker.xpub_endpoint)
        pub = _curve_client(ctx, zmq.PUB, keys["broker"][0], keys["client"])
        pub.connect(broker.xsub_endpoint)
        assert sub.poll(10000), "nothing from the pyzmq program"
        assert sub.recv_multipart() == [b"from-pyzmq", b"hello"]
        for _ in range(100):
            pub.send_multipart([b"to-pyzmq", b"hi from hypobus"])
            if p.lines and p.lines[-1].startswith("got"):
                break
            sub.poll(50)
        p.wait_line("got hi from hypobus")
        assert p.wait_exit(10) == 0, p.report()
        sub.close()
        pub.close()


def test_our_client_on_a_pyzmq_server_with_zmq_auth(certs, procs):
    d, keys = certs
    (port,) = free_ports(1)
    # pyzmq's authenticator reads the *.key files of its directory (its naming).
    (d / "pyzmq-allowed").mkdir()
    shutil.copy(d / "client", d / "pyzmq-allowed" / "client.key")
    p = pyzmq_prog(
        procs,
        "pyzmq-curve-server",
        """
        import zmq.auth
        from zmq.auth.thread import ThreadAuthenticator
        ctx = zmq.Context()
        auth = ThreadAuthenticator(ctx); auth.start()
        auth.configure_curve(domain="*", location=sys.argv[2])
        _, secret = zmq.auth.load_certificate(sys.argv[1])
        s = ctx.socket(zmq.REP); s.curve_server = True; s.curve_secretkey = secret
        s.bind(sys.argv[3]); print("ready", flush=True)
        while True:
            m = s.recv(copy=False); s.send(b"re:" + m.bytes + b" from " + m.get("User-Id").encode())
    """,
        str(d / "broker_secret"),
        str(d / "pyzmq-allowed"),
        f"tcp://127.0.0.1:{port}",
    )
    p.wait_line("ready")
    ctx = zmq.Context.instance()
    req = _curve_client(ctx, zmq.REQ, keys["broker"][0], keys["client"])
    req.rcvtimeo = 10000
    req.connect(f"tcp://127.0.0.1:{port}")
    req.send(b"hello")
    assert req.recv() == b"re:hello from " + keys["client"][0].encode()
    stranger = _curve_client(ctx, zmq.REQ, keys["broker"][0], keys["stranger"])
    stranger.connect(f"tcp://127.0.0.1:{port}")
    stranger.send(b"hello")
    assert stranger.poll(500) == 0, "pyzmq's authenticator let the stranger in"
    req.close()
    stranger.close()
