//! The lab with CURVE keys, as real `hypobus` processes: keys made by
//! `hypobus keygen`, a broker with an allow-list, nodes and clients with
//! their certificates. Strangers stay out: a publisher without a key or
//! with an unlisted one changes no answer and reaches no subscriber, a
//! subscriber without a listed key receives nothing, and a byte tap
//! between a client and the broker never sees a topic or a cathetus in
//! clear. A failover pair with keys survives a SIGKILL of its primary
//! with nothing lost. Every wait is bounded; every process is killed by
//! its PID when the test ends.

use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig};
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use hypobus::security::{curve_keypair, Certificate, Curve, KeyPair};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
mod common;
use common::free_port;
use common::task::Proc;

const BIN: &str = env!("CARGO_BIN_EXE_hypobus");

/// A folder of certificates made with `hypobus keygen`, removed at the end.
struct Keys(PathBuf);

impl Keys {
    fn new(tag: &str) -> Keys {
        let d = std::env::temp_dir().join(format!("hb-curve-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("allowed")).unwrap();
        Keys(d)
    }
    /// `hypobus keygen NAME`; `allow` copies the public file into `allowed/`.
    fn make(&self, name: &str, allow: bool) -> KeyPair {
        let out = std::process::Command::new(BIN).arg("keygen").arg(self.0.join(name)).output().unwrap();
        assert!(out.status.success(), "keygen: {}", String::from_utf8_lossy(&out.stderr));
        if allow {
            std::fs::copy(self.0.join(name), self.0.join("allowed").join(name)).unwrap();
        }
        let c = Certificate::load(&self.0.join(format!("{name}_secret"))).unwrap();
        KeyPair { public: c.public, secret: c.secret.unwrap() }
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A TCP relay from a local port to `to`, keeping every byte it passes on.
struct Tap {
    port: u16,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Tap {
    fn start(to: u16) -> Tap {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        std::thread::spawn(move || {
            for c in l.incoming().map_while(Result::ok) {
                let Ok(up) = TcpStream::connect(("127.0.0.1", to)) else { continue };
                for (mut from, mut into) in [(c.try_clone().unwrap(), up.try_clone().unwrap()), (up, c)] {
                    let seen = s2.clone();
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 4096];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || into.write_all(&buf[..n]).is_err() {
                                break;
                            }
                            seen.lock().unwrap().extend_from_slice(&buf[..n]);
                        }
                        let _ = into.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Tap { port, seen }
    }
    fn bytes(&self) -> Vec<u8> {
        self.seen.lock().unwrap().clone()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A ZeroMQ socket of the test's own, CURVE with `keys` when given.
fn zsock(ctx: &zmq::Context, kind: zmq::SocketType, server: &str, keys: Option<&KeyPair>) -> zmq::Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_linger(0).unwrap();
    if let Some(k) = keys {
        s.set_curve_serverkey(server.as_bytes()).unwrap();
        s.set_curve_publickey(k.public.as_bytes()).unwrap();
        s.set_curve_secretkey(k.secret.as_bytes()).unwrap();
    }
    s
}

#[test]
fn lab_with_keys_keeps_strangers_out() {
    let keys = Keys::new("lab");
    let broker_keys = keys.make("broker", false);
    for n in ["calc", "op", "client"] {
        keys.make(n, true);
    }
    let watcher = keys.make("watcher", true); // listed before the broker reads the list
    let unlisted = keys.make("unlisted", false);
    let (xsub, xpub) = (free_port(), free_port());
    let broker = Proc::spawn(
        "broker",
        &s(&[
            "broker",
            "--xsub",
            &format!("tcp://127.0.0.1:{xsub}"),
            "--xpub",
            &format!("tcp://127.0.0.1:{xpub}"),
            "--no-hb",
            "--curve-cert",
            &keys.path("broker_secret"),
            "--curve-allow",
            &keys.path("allowed"),
        ]),
    );
    broker.wait_line(Duration::from_secs(10), false, |l| l.starts_with("broker ready"));
    let list = format!("127.0.0.1:{xsub}:{xpub}");
    let node = |args: &[&str], cert: &str| {
        let mut a = s(args);
        a.extend(s(&["--broker", &list, "--curve-server", &keys.path("broker"), "--curve-cert", &keys.path(cert)]));
        Proc::spawn(args[0], &a)
    };
    let (op1, op2, calc) =
        (node(&["op", "--lane", "1"], "op_secret"), node(&["op", "--lane", "2"], "op_secret"), node(&["calc"], "calc_secret"));
    for p in [&op1, &op2, &calc] {
        p.wait_line(Duration::from_secs(10), false, |l| l.contains("ready"));
    }

    // A listed subscriber of the test's own sees everything the broker forwards.
    let ctx = zmq::Context::new();
    let listener = zsock(&ctx, zmq::SUB, &broker_keys.public, Some(&watcher));
    listener.set_subscribe(b"").unwrap();
    listener.connect(&format!("tcp://127.0.0.1:{xpub}")).unwrap();
    // Strangers: subscribers and publishers with no key (NULL) and with an unlisted key.
    let stranger_subs: Vec<zmq::Socket> = [None, Some(&unlisted)]
        .into_iter()
        .map(|k| {
            let s = zsock(&ctx, zmq::SUB, &broker_keys.public, k);
            s.set_subscribe(b"").unwrap();
            s.connect(&format!("tcp://127.0.0.1:{xpub}")).unwrap();
            s
        })
        .collect();
    let rogues: Vec<zmq::Socket> = [None, Some(&unlisted)]
        .into_iter()
        .map(|k| {
            let s = zsock(&ctx, zmq::PUB, &broker_keys.public, k);
            s.connect(&format!("tcp://127.0.0.1:{xsub}")).unwrap();
            s
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            // Fake squares for the calc node and fake answers on every
            // result topic a client could be listening to.
            while !stop.load(Ordering::Relaxed) {
                for r in &rogues {
                    for topic in ["calc.square.result.1", "calc.square.result.2", "calc.result", "client.result"] {
                        let _ = r.send_multipart([topic.as_bytes(), b"ROGUE 1"], zmq::DONTWAIT);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    // The client goes through a byte tap: two distinctive catheti.
    let (tx, tp) = (Tap::start(xsub), Tap::start(xpub));
    let (a, b) = ("123456.789", "98765.4321");
    let want =
        hypobus::wire::hypot(&hypobus::wire::Number::parse(a.as_bytes()).unwrap(), &hypobus::wire::Number::parse(b.as_bytes()).unwrap())
            .unwrap();
    for _ in 0..3 {
        let client = Proc::spawn(
            "client",
            &s(&[
                "client",
                a,
                b,
                "--broker",
                &format!("127.0.0.1:{}:{}", tx.port, tp.port),
                "--curve-server",
                &keys.path("broker"),
                "--curve-cert",
                &keys.path("client_secret"),
            ]),
        );
        let line = client.wait_line(Duration::from_secs(15), false, |_| true);
        assert_eq!(line, want, "the answer, untouched by the rogues");
    }

    // What the listed listener got: the lab's traffic, never a rogue frame.
    let until = Instant::now() + Duration::from_millis(500);
    let mut heard = 0;
    while Instant::now() < until {
        if listener.poll(zmq::POLLIN, 50).unwrap() > 0 {
            let m = listener.recv_multipart(0).unwrap();
            assert!(!m.iter().any(|f| contains(f, b"ROGUE")), "a rogue frame was forwarded: {m:?}");
            heard += 1;
        }
    }
    let mut more = 0;
    while let Ok(m) = listener.recv_multipart(zmq::DONTWAIT) {
        assert!(!m.iter().any(|f| contains(f, b"ROGUE")), "a rogue frame was forwarded: {m:?}");
        more += 1;
    }
    assert!(heard + more > 0, "the listed subscriber heard the lab's traffic");
    for (i, sub) in stranger_subs.iter().enumerate() {
        assert_eq!(sub.poll(zmq::POLLIN, 0).unwrap(), 0, "stranger subscriber {i} received something");
    }
    stop.store(true, Ordering::Relaxed);
    flood.join().unwrap();

    // On the wire between the client and the broker: traffic, but nothing in clear.
    let (up, down) = (tx.bytes(), tp.bytes());
    assert!(up.len() > 200 && down.len() > 200, "the tap saw the traffic ({} and {} bytes)", up.len(), down.len());
    for wire in [&up, &down] {
        for clear in [&b"calc."[..], a.as_bytes(), b.as_bytes(), want.as_bytes()] {
            assert!(!contains(wire, clear), "{:?} crossed the tap in clear", String::from_utf8_lossy(clear));
        }
    }
    drop((op1, op2, calc, broker));
}

/// The lab's nodes in this process, CURVE clients of `brokers` with `keys`.
fn nodes(brokers: &[BrokerAddr], curve: &Curve) -> (OpNode, OpNode, CalcNode) {
    let op = |lane| {
        let mut c = OpConfig::new(brokers.to_vec(), lane);
        c.curve = curve.clone();
        OpNode::start(c, Operation::Square).unwrap()
    };
    let calc = CalcNode::start(CalcConfig { brokers: brokers.to_vec(), curve: curve.clone(), ..Default::default() }).unwrap();
    (op(1), op(2), calc)
}

/// A CURVE request to a failover broker's control endpoint.
fn ctl(ep: &str, server: &str, keys: &KeyPair) -> Option<String> {
    let ctx = zmq::Context::new();
    let s = zsock(&ctx, zmq::REQ, server, Some(keys));
    s.connect(ep).unwrap();
    s.send("status", 0).unwrap();
    (s.poll(zmq::POLLIN, 500).unwrap() > 0).then(|| s.recv_string(0).unwrap().unwrap())
}

fn wait_status(ep: &str, server: &str, keys: &KeyPair, want: &str) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let got = ctl(ep, server, keys);
        if got.as_deref() == Some(want) {
            return;
        }
        assert!(Instant::now() < until, "{ep} never reported {want:?} (last: {got:?})");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn pair_member(role: &str, keys: &Keys, me: [u16; 4], peer_hb: u16) -> Proc {
    let ep = |p: u16| format!("tcp://127.0.0.1:{p}");
    Proc::spawn(
        role,
        &s(&[
            "broker",
            "--role",
            role,
            "--xsub",
            &ep(me[0]),
            "--xpub",
            &ep(me[1]),
            "--hb",
            &ep(me[2]),
            "--ctl",
            &ep(me[3]),
            "--hb-interval-ms",
            "100",
            "--peer-hb",
            &ep(peer_hb),
            "--curve-cert",
            &keys.path("pair_secret"),
            "--curve-allow",
            &keys.path("allowed"),
        ]),
    )
}

#[test]
fn failover_pair_with_keys_loses_nothing() {
    let keys = Keys::new("pair");
    let pair = keys.make("pair", false);
    let node_keys = keys.make("node", true);
    let (p, b) = ([free_port(), free_port(), free_port(), free_port()], [free_port(), free_port(), free_port(), free_port()]);
    let mut primary = pair_member("primary", &keys, p, b[2]);
    let _backup = pair_member("backup", &keys, b, p[2]);
    let ctl_ep = |x: [u16; 4]| format!("tcp://127.0.0.1:{}", x[3]);
    wait_status(&ctl_ep(p), &pair.public, &node_keys, "primary active");
    wait_status(&ctl_ep(b), &pair.public, &node_keys, "backup passive");
    // A control request without a listed key is not answered.
    assert_eq!(ctl(&ctl_ep(p), &pair.public, &curve_keypair().unwrap()), None, "an unlisted key reached the control endpoint");

    let brokers = vec![BrokerAddr::new("127.0.0.1", p[0], p[1]), BrokerAddr::new("127.0.0.1", b[0], b[1])];
    let curve = Curve { keys: Some(node_keys.clone()), server_key: Some(pair.public.clone()), allow: None };
    let _nodes = nodes(&brokers, &curve);
    let mut client =
        Client::new(ClientConfig { brokers: brokers.clone(), curve, timeout: Duration::from_secs(10), ..Default::default() }).unwrap();
    let mut ids = std::collections::HashMap::new();
    let mut answered = 0;
    for round in 0..40u32 {
        if round == 15 {
            primary.sigkill();
        }
        for k in 0..5u32 {
            let (x, y) = ((round * 10 + k + 1).to_string(), "7".to_string());
            ids.insert(
                client.submit(&x, &y).unwrap(),
                hypobus::wire::hypot(&hypobus::wire::Number::parse(x.as_bytes()).unwrap(), &hypobus::wire::Number::parse(b"7").unwrap())
                    .unwrap(),
            );
        }
        let until = Instant::now() + Duration::from_secs(10);
        while answered < ids.len() {
            assert!(Instant::now() < until, "answers stopped at {answered} of {}", ids.len());
            if let Some((id, r)) = client.next(200).unwrap() {
                let want = ids.get(&id).expect("an answer to a request of ours");
                assert_eq!(r.as_deref().ok(), Some(want.as_str()), "request {id}");
                answered += 1;
            }
        }
    }
    wait_status(&ctl_ep(b), &pair.public, &node_keys, "backup active");
    assert_eq!(answered, 200);
    assert!(Path::new(&keys.path("pair_secret")).exists());
}

#[test]
fn task_roles_with_keys() {
    use common::task::{counter, task_broker, wait_stats, worker, Ports};
    use hypobus::task::client::{TaskClient, TaskClientConfig};
    let keys = Keys::new("task");
    keys.make("broker", false);
    let client_keys = keys.make("client", true);
    keys.make("worker", true);
    let p = Ports::free();
    let curve = |cert: &str| vec!["--curve-server".to_string(), keys.path("broker"), "--curve-cert".into(), keys.path(cert)];
    let b = task_broker("tb-curve", &p, &["--curve-cert", &keys.path("broker_secret"), "--curve-allow", &keys.path("allowed")]);
    let w_args = curve("worker_secret");
    let _w = worker("w1", &p, &w_args.iter().map(String::as_str).collect::<Vec<_>>());
    wait_stats(&b, Duration::from_secs(10), "1 worker over CURVE", |l| counter(l, "workers") == 1);
    let server_key = Certificate::load(Path::new(&keys.path("broker"))).unwrap().public;
    let client = |keys: Option<KeyPair>| {
        let mut cfg = TaskClientConfig::new(&format!("tcp://127.0.0.1:{}", p.fe));
        cfg.timeout = Duration::from_millis(700);
        cfg.tries = 2;
        cfg.curve = Curve { keys, server_key: Some(server_key.clone()), allow: None };
        TaskClient::new(cfg).unwrap()
    };
    let listed = client(Some(client_keys));
    assert_eq!(listed.request("", b"hello", Duration::from_secs(10)).unwrap(), b"w1:hello");
    let stranger = client(None); // encrypted, with a key on no list
    assert!(stranger.request("", b"hello", Duration::from_secs(3)).is_err(), "a client off the list was answered");
    let requests = counter(&wait_stats(&b, Duration::from_secs(2), "stats", |_| true), "requests");
    assert_eq!(requests, 1, "only the listed client's request reached the broker");
}
