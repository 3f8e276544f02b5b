//! The roles over real sockets on loopback: correctness under concurrency,
//! the local fallback, bad input, duplicates, clean stop. Every wait is bounded.

use hypobus::lab::broker::{Broker, BrokerConfig};
use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig, Mode};
use hypobus::lab::op::{OpConfig, OpNode, OpPull, Operation};
use hypobus::lab::{Lab, LabConfig};
use hypobus::wire::{self, Number};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn expected(a: &str, b: &str) -> String {
    wire::hypot(&Number::parse(a.as_bytes()).unwrap(), &Number::parse(b.as_bytes()).unwrap()).unwrap()
}

fn lab(calc_timeout_ms: u64) -> Lab {
    Lab::start(&LabConfig { calc_timeout: Duration::from_millis(calc_timeout_ms), ..Default::default() }).unwrap()
}

/// A raw peer on the broker, for sending what a well-behaved client never would.
struct Raw {
    _ctx: zmq::Context,
    publ: zmq::Socket,
    sub: zmq::Socket,
}

impl Raw {
    fn new(addr: &BrokerAddr, subscribe: &str) -> Raw {
        let ctx = zmq::Context::new();
        let publ = ctx.socket(zmq::PUB).unwrap();
        let sub = ctx.socket(zmq::SUB).unwrap();
        publ.set_linger(0).unwrap();
        sub.set_linger(0).unwrap();
        sub.set_subscribe(subscribe.as_bytes()).unwrap();
        publ.connect(&addr.xsub).unwrap();
        sub.connect(&addr.xpub).unwrap();
        Raw { _ctx: ctx, publ, sub }
    }

    fn send(&self, frames: &[&[u8]]) {
        self.publ.send_multipart(frames.iter().copied(), 0).unwrap();
    }

    fn recv(&self, ms: i64) -> Option<Vec<Vec<u8>>> {
        (self.sub.poll(zmq::POLLIN, ms).unwrap() > 0).then(|| self.sub.recv_multipart(0).unwrap())
    }

    /// Send `frames` every 50 ms until a message arrives (slow joiners), at most 5 s.
    fn ask(&self, frames: &[&[u8]]) -> Vec<Vec<u8>> {
        self.ask_all(&[frames])
    }

    /// Send all `messages` every 50 ms until a message arrives, at most 5 s.
    fn ask_all(&self, messages: &[&[&[u8]]]) -> Vec<Vec<u8>> {
        let frames = messages[messages.len() - 1];
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            for m in messages {
                self.send(m);
            }
            if let Some(m) = self.recv(50) {
                return m;
            }
        }
        panic!("no answer to {:?}", frames.iter().map(|f| wire::excerpt(f)).collect::<Vec<_>>());
    }
}

#[test]
fn lab_values() {
    let lab = lab(2000);
    let mut c = lab.client(Mode::Tagged).unwrap();
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");
    assert_eq!(c.hypot("3", "4").unwrap(), "5.0000");
    assert_eq!(c.hypot("1.5", "2").unwrap(), "2.5000");
    assert_eq!(c.hypot("3000000000000000", "4000000000000000").unwrap(), "5000000000000000.0000");
    let s = lab.calc.stats();
    assert_eq!(s.fallbacks, 0, "both operation nodes answered: {s:?}");
    assert_eq!(s.squares_received, 8);
    assert!(lab.broker.stats().forwarded > 0);
    assert!(lab.broker.stats().subscriptions >= 5);
}

#[test]
fn lab_over_loopback_tcp_only() {
    // The lab's own nodes over TCP instead of inproc: same answers.
    let lab = Lab::start(&LabConfig { inproc: false, ..Default::default() }).unwrap();
    assert_eq!(lab.local, lab.addr);
    let mut c = lab.client(Mode::Tagged).unwrap();
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");
    let mut k = lab.client(Mode::Classic).unwrap();
    assert_eq!(k.hypot("3", "4").unwrap(), "5.0000");
}

#[test]
fn eight_clients_get_only_their_own_answers() {
    let lab = lab(2000);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let mut c = lab.client(Mode::Tagged).unwrap();
            std::thread::spawn(move || {
                // All 200 in flight at once, then collect: answers may come in any order.
                let mut want = HashMap::new();
                for j in 0..200u32 {
                    let (a, b) = (format!("{}", 1000 * i + j + 1), format!("{}.{}", j + 1, i));
                    let id = c.submit(&a, &b).unwrap();
                    want.insert(id, expected(&a, &b));
                }
                let deadline = Instant::now() + Duration::from_secs(30);
                while !want.is_empty() && Instant::now() < deadline {
                    if let Some((id, r)) = c.next(1000).unwrap() {
                        let w = want.remove(&id).unwrap_or_else(|| panic!("client {i}: answer for unknown or repeated id {id}"));
                        assert_eq!(r.unwrap(), w, "client {i} request {id}");
                    }
                }
                assert!(want.is_empty(), "client {i}: {} unanswered", want.len());
                // Nothing else arrives for this client.
                assert!(c.next(100).unwrap().is_none());
                c.stats()
            })
        })
        .collect();
    for t in threads {
        let s = t.join().unwrap();
        assert_eq!(s.answers, 200);
    }
    assert!(lab.calc.stats().requests >= 1600);
}

#[test]
fn sequential_clients_interleaved() {
    // Two clients alternating single requests: each gets its own value.
    let lab = lab(2000);
    let mut c1 = lab.client(Mode::Tagged).unwrap();
    let mut c2 = lab.client(Mode::Tagged).unwrap();
    for j in 1..50 {
        let a = c1.submit(&j.to_string(), "1").unwrap();
        let b = c2.submit("1", &(j * 2).to_string()).unwrap();
        let (ia, ra) = c1.next(5000).unwrap().unwrap();
        let (ib, rb) = c2.next(5000).unwrap().unwrap();
        assert_eq!((ia, ra.unwrap()), (a, expected(&j.to_string(), "1")));
        assert_eq!((ib, rb.unwrap()), (b, expected("1", &(j * 2).to_string())));
    }
}

#[test]
fn fallback_when_an_operation_node_is_down() {
    let mut lab = lab(300);
    let mut c = lab.client(Mode::Tagged).unwrap();
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");
    lab.stop_op(1).unwrap();
    let before = lab.calc.stats().fallbacks;
    for (a, b) in [("12", "13"), ("3", "4"), ("1.5", "2")] {
        let t = Instant::now();
        assert_eq!(c.hypot(a, b).unwrap(), expected(a, b));
        assert!(t.elapsed() < Duration::from_millis(2000), "answered within the client time-out");
    }
    let s = lab.calc.stats();
    assert_eq!(s.fallbacks - before, 3, "lane 1 computed locally each time: {s:?}");
    assert_eq!(lab.ops[1].as_ref().unwrap().stats().requests, 4, "lane 2 still served");
}

#[test]
fn bad_input_gets_error_answers_and_nodes_survive() {
    let lab = lab(300);
    let raw = Raw::new(&lab.addr, "calc.hypotenuse.reply#raw");
    let big = vec![b'7'; 1 << 20];
    let cases: Vec<(&str, Vec<&[u8]>, &str)> = vec![
        ("raw.1", vec![b"abc"], "not a decimal number"),
        ("raw.2", vec![b""], "empty value"),
        ("raw.3", vec![b"nan"], "not a finite number"),
        ("raw.4", vec![b"inf"], "not a finite number"),
        ("raw.5", vec![b"-3"], "negative length"),
        ("raw.6", vec![&big], "too long"),
        ("raw.7", vec![b"3", b"4"], "expected 2 frames, got 3"),
        ("raw.8", vec![], "expected 2 frames, got 1"),
    ];
    for (tag, values, why) in &cases {
        let topic = format!("calc.request.1#{tag}");
        let mut frames: Vec<&[u8]> = vec![topic.as_bytes()];
        frames.extend(values.iter().copied());
        let answer = raw.ask(&frames);
        assert_eq!(answer[0], format!("calc.hypotenuse.reply#{tag}").as_bytes());
        let text = String::from_utf8_lossy(&answer[1]);
        assert!(text.starts_with("ERR ") && text.contains(why), "{tag}: {text}");
    }
    // Garbage that cannot be answered: bad topics, bad tags, classic garbage.
    raw.send(&[b"calc.request.1x", b"3"]);
    raw.send(&[b"calc.request.1#bad tag", b"3"]);
    raw.send(&[b"calc.request.2", b"abc"]);
    raw.send(&[b"calc.square.result.1", b"\xff\xfe"]);
    // The operation node answers a bad tagged square request with an error.
    let op_raw = Raw::new(&lab.addr, "calc.square.result.1#raw");
    let answer = op_raw.ask(&[b"calc.square.request.1#raw.op", b"abc"]);
    assert!(answer[1].starts_with(b"ERR "), "{:?}", String::from_utf8_lossy(&answer[1]));
    let answer = op_raw.ask(&[b"calc.square.request.1#raw.op2", b"12"]);
    assert_eq!(answer[1], b"144");
    // Every node is still there and the next good request works, tagged and classic.
    let mut c = lab.client(Mode::Tagged).unwrap();
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");
    let mut k = lab.client(Mode::Classic).unwrap();
    assert_eq!(k.hypot("3", "4").unwrap(), "5.0000");
    assert!(lab.calc.stats().errors >= cases.len() as u64);
    assert!(lab.calc.stats().bad_messages >= 2);
    assert!(lab.ops[0].as_ref().unwrap().stats().errors >= 1);
    // A bad value is refused by the client before it is sent.
    assert!(c.hypot("abc", "3").is_err());
}

#[test]
fn duplicate_tags_compute_once() {
    let lab = lab(2000);
    let raw = Raw::new(&lab.addr, "calc.hypotenuse.reply#dup");
    // Lane 1 three times per round, then lane 2, until answered: lane 1's repeats are duplicates.
    let a: &[&[u8]] = &[b"calc.request.1#dup.1", b"12"];
    let answer = raw.ask_all(&[a, a, a, &[b"calc.request.2#dup.1", b"13"]]);
    assert_eq!(answer, vec![b"calc.hypotenuse.reply#dup.1".to_vec(), b"17.6918".to_vec()]);
    let s = lab.calc.stats();
    assert_eq!(s.requests, 1, "one job for one tag: {s:?}");
    assert!(s.duplicates >= 2, "{s:?}");
    // A resend after the answer is answered again (idempotent), not recomputed.
    raw.send(&[b"calc.request.1#dup.1", b"12"]);
    let again = raw.recv(2000).expect("re-answer");
    assert_eq!(again[1], b"17.6918");
    assert_eq!(lab.calc.stats().requests, 1);
}

#[test]
fn two_active_brokers_still_one_answer_each() {
    // Nodes connected to two brokers that both forward: every message arrives
    // twice; tags keep answers single for the application.
    let b1 =
        Broker::start(BrokerConfig { xsub: "tcp://127.0.0.1:*".into(), xpub: "tcp://127.0.0.1:*".into(), hb: None, ..Default::default() })
            .unwrap();
    let b2 =
        Broker::start(BrokerConfig { xsub: "tcp://127.0.0.1:*".into(), xpub: "tcp://127.0.0.1:*".into(), hb: None, ..Default::default() })
            .unwrap();
    let addr = |b: &Broker| BrokerAddr { xsub: b.endpoints.0.clone(), xpub: b.endpoints.1.clone() };
    let brokers = vec![addr(&b1), addr(&b2)];
    let _o1 = OpNode::start(OpConfig::new(brokers.clone(), 1), Operation::Square).unwrap();
    let _o2 = OpNode::start(OpConfig::new(brokers.clone(), 2), Operation::Custom(Box::new(|x| Ok(x * x)))).unwrap();
    let calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    let mut c = Client::new(ClientConfig { brokers, ..Default::default() }).unwrap();
    for j in 1..=20 {
        let (a, b) = (j.to_string(), (j + 7).to_string());
        assert_eq!(c.hypot(&a, &b).unwrap(), expected(&a, &b));
    }
    assert!(c.next(200).unwrap().is_none(), "no duplicate reaches the application");
    assert_eq!(c.stats().answers, 20);
    assert!(calc.stats().duplicates > 0 || c.stats().duplicates > 0, "duplicates were seen and dropped");
}

#[test]
fn pull_style_operation_node() {
    let lab = lab(5000);
    let mut lab = lab;
    lab.stop_op(2).unwrap();
    let mut pull = OpPull::new(OpConfig::new(vec![lab.addr.clone()], 2)).unwrap();
    let mut c = lab.client(Mode::Tagged).unwrap();
    let id = c.submit("12", "13").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut answer = None;
    while answer.is_none() && Instant::now() < deadline {
        if let Some(req) = pull.recv(50).unwrap() {
            assert_eq!(req.value, 13.0);
            pull.reply(req.id, Ok(req.value * req.value)).unwrap();
        }
        answer = c.next(10).unwrap();
    }
    let (got, r) = answer.expect("answered");
    assert_eq!((got, r.unwrap()), (id, "17.6918".to_string()));
    assert_eq!(lab.calc.stats().fallbacks, 0);
    assert!(pull.reply(9999, Ok(1.0)).is_err(), "unknown id is refused");
}

#[test]
fn client_times_out_without_a_calc_node() {
    let b =
        Broker::start(BrokerConfig { xsub: "tcp://127.0.0.1:*".into(), xpub: "tcp://127.0.0.1:*".into(), hb: None, ..Default::default() })
            .unwrap();
    let brokers = vec![BrokerAddr { xsub: b.endpoints.0.clone(), xpub: b.endpoints.1.clone() }];
    let mut c = Client::new(ClientConfig { brokers, timeout: Duration::from_millis(300), ..Default::default() }).unwrap();
    let t = Instant::now();
    assert!(matches!(c.hypot("3", "4"), Err(hypobus::Error::Timeout(300))));
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(c.stats().resent >= 1);
}

#[test]
fn broker_stops_cleanly_and_port_is_reusable() {
    let mut b = Broker::start(BrokerConfig {
        xsub: "tcp://127.0.0.1:*".into(),
        xpub: "tcp://127.0.0.1:*".into(),
        hb: Some("tcp://127.0.0.1:*".into()),
        hb_interval: Duration::from_millis(10),
        active: true,
        ..Default::default()
    })
    .unwrap();
    let (xs, xp, hb) = b.endpoints.clone();
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::SUB).unwrap();
    s.set_subscribe(b"").unwrap();
    s.connect(hb.as_ref().unwrap()).unwrap();
    assert!(s.poll(zmq::POLLIN, 3000).unwrap() > 0);
    assert_eq!(s.recv_multipart(0).unwrap(), vec![b"HB".to_vec()]);
    b.stop().unwrap();
    assert!(!b.is_running());
    b.stop().unwrap();
    // Same endpoints bind again: nothing was leaked.
    let b2 =
        Broker::start(BrokerConfig { xsub: xs, xpub: xp, hb, hb_interval: Duration::from_millis(10), active: true, ..Default::default() })
            .unwrap();
    assert!(b2.is_running());
}

#[test]
fn bad_configuration_is_an_error_not_a_crash() {
    assert!(Broker::start(BrokerConfig { xsub: "nonsense".into(), ..Default::default() }).is_err());
    assert!(OpNode::start(OpConfig::new(vec![], 1), Operation::Square).is_err());
    assert!(OpNode::start(OpConfig::new(vec![BrokerAddr::default()], 0), Operation::Square).is_err());
    assert!(
        Client::new(ClientConfig { brokers: vec![BrokerAddr { xsub: "bad".into(), xpub: "bad".into() }], ..Default::default() }).is_err()
    );
}

#[test]
fn a_resend_after_its_answer_was_forgotten_is_answered_again() {
    // The answer of `fg.1` is forgotten after 100 ms, long before its
    // dispatch's 1 s deadline: a resend then starts a new job under the same
    // tag while the old job's timers are still queued. Once, those timers
    // took the new half job for the old one and the calc node's thread died.
    let b =
        Broker::start(BrokerConfig { xsub: "tcp://127.0.0.1:*".into(), xpub: "tcp://127.0.0.1:*".into(), hb: None, ..Default::default() })
            .unwrap();
    let brokers = vec![BrokerAddr { xsub: b.endpoints.0.clone(), xpub: b.endpoints.1.clone() }];
    let _o1 = OpNode::start(OpConfig::new(brokers.clone(), 1), Operation::Square).unwrap();
    let _o2 = OpNode::start(OpConfig::new(brokers.clone(), 2), Operation::Square).unwrap();
    let calc = CalcNode::start(CalcConfig {
        brokers: brokers.clone(),
        timeout: Duration::from_millis(1000),
        answered_ttl: Duration::from_millis(100),
        ..Default::default()
    })
    .unwrap();
    let raw = Raw::new(&brokers[0], "calc.hypotenuse.reply#fg");
    let (a, bb): (&[&[u8]], &[&[u8]]) = (&[b"calc.request.1#fg.1", b"12"], &[b"calc.request.2#fg.1", b"13"]);
    assert_eq!(raw.ask_all(&[a, bb])[1], b"17.6918");
    let dispatched = Instant::now();
    // Resend lane 1 until it is no longer answered from memory: a new half job.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        raw.send(a);
        if raw.recv(50).is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the answer was never forgotten");
    }
    // Past the first dispatch's deadline, the calc node is alive and
    // completes the new job with the other cathetus.
    while dispatched.elapsed() < Duration::from_millis(1500) {
        assert!(raw.recv(50).is_none(), "half a request got an answer");
    }
    assert!(calc.is_running(), "the calc node's thread ended");
    raw.send(bb);
    let again = raw.recv(5000).expect("the new job is answered");
    assert_eq!(again, vec![b"calc.hypotenuse.reply#fg.1".to_vec(), b"17.6918".to_vec()]);
}
