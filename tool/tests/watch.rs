//! The observer (`hypobus::watch`) over real sockets: it reconstructs each
//! request's path from the wire alone. A normal request, the fallback with
//! lane 1's operation node stopped, a failover with the primary broker
//! SIGKILLed (brokers as `hypobus broker --role …` processes), the classic
//! wire, 8 concurrent clients kept apart by tag, sampling under load, and
//! the exports. Every wait is bounded; processes are killed by PID.

use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig, Mode};
use hypobus::lab::failover::Role as FoRole;
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use hypobus::lab::{Lab, LabConfig};
use hypobus::watch::{
    render, Fallback, HopKind, Impl, Mark, Observer, Outcome, Role, Sampling, Trace, WatchBroker, WatchConfig, WatchEvent,
};
use hypobus::wire::{self, Number};
use hypobus_tool::{BrokerPorts, BrokerProcess, BrokerProcessConfig};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

/// The rate test (`sampling_under_load`) runs alone: it compares the
/// observer's estimate with the real rate, which another test of this file
/// sharing the two cores would bend. Every other test holds it shared.
static SERIAL: RwLock<()> = RwLock::new(());

const BIN: &str = env!("CARGO_BIN_EXE_hypobus");

fn lab(calc_timeout_ms: u64) -> Lab {
    Lab::start(&LabConfig { calc_timeout: Duration::from_millis(calc_timeout_ms), inproc: false, ..Default::default() }).expect("lab")
}

fn watch_lab(lab: &Lab) -> Observer {
    let mut cfg = WatchConfig::new(WatchBroker::list(std::slice::from_ref(&lab.addr), std::slice::from_ref(&lab.hb)));
    cfg.sampling = Sampling::Full;
    Observer::start(cfg).expect("observer")
}

fn client(lab: &Lab) -> Client {
    Client::new(ClientConfig { brokers: vec![lab.addr.clone()], ..Default::default() }).expect("client")
}

/// Send requests until the observer has seen one whole (it connected and
/// subscribed), then forget what it saw. Bounded.
fn warm_up(obs: &Observer, c: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert_eq!(c.hypot("3", "4").unwrap(), "5.0000");
        if obs.next_trace(Duration::from_millis(500)).is_some_and(|t| t.hops.len() >= 7) {
            break;
        }
        assert!(Instant::now() < deadline, "the observer saw no whole request within 10 s");
    }
    while obs.next(Duration::from_millis(300)).is_some() {}
}

/// The next trace whose catheti are `a` and `b`.
fn trace_of(obs: &Observer, a: &str, b: &str, within: Duration) -> Trace {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let t = obs.next_trace(left).unwrap_or_else(|| panic!("no trace of hypot({a}, {b}) within {within:?}"));
        if t.a.as_deref() == Some(a) && t.b.as_deref() == Some(b) {
            return t;
        }
    }
}

fn kinds(t: &Trace) -> Vec<HopKind> {
    t.hops.iter().filter(|h| h.mark == Mark::First).map(|h| h.kind).collect()
}

fn check_path(t: &Trace) {
    let k = kinds(t);
    // Both catheti before their square requests, squares after their
    // requests, the answer last.
    let pos = |x: HopKind| k.iter().position(|y| *y == x).unwrap_or_else(|| panic!("no {x:?} in {k:?}"));
    for l in 1..=2 {
        assert!(pos(HopKind::Request(l)) < pos(HopKind::SquareRequest(l)), "{k:?}");
        assert!(pos(HopKind::SquareRequest(l)) < pos(HopKind::SquareResult(l)), "{k:?}");
        assert!(pos(HopKind::SquareResult(l)) < pos(HopKind::Answer), "{k:?}");
    }
    let mut prev = 0;
    for h in &t.hops {
        assert!(h.at_us >= prev, "hops in time order");
        prev = h.at_us;
    }
}

#[test]
fn normal_request() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    let lab = lab(2000);
    let obs = watch_lab(&lab);
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");
    let t = trace_of(&obs, "12", "13", Duration::from_secs(5));
    assert_eq!(t.hops.len(), 7, "{:#?}", t.hops);
    check_path(&t);
    assert_eq!(t.outcome, Outcome::Answer("17.6918".into()));
    let tag = t.tag.clone().expect("tagged");
    assert!(tag.starts_with(c.id()), "tag {tag} of client {}", c.id());
    assert_eq!(t.client, format!("client {}", &c.id()[..6]));
    for h in &t.hops {
        assert!(h.topic.ends_with(&format!("#{tag}")), "{} not of tag {tag}", h.topic);
    }
    let v = |k: HopKind| t.hops.iter().find(|h| h.kind == k).map(|h| h.value.clone()).unwrap();
    assert_eq!((v(HopKind::SquareRequest(1)), v(HopKind::SquareResult(1))), ("12".into(), "144".into()));
    assert_eq!((v(HopKind::SquareRequest(2)), v(HopKind::SquareResult(2))), ("13".into(), "169".into()));
    assert_eq!(t.fallback, [Fallback::No, Fallback::No]);
    assert_eq!(t.impls, [Impl::Tagged; 4]);
    assert_eq!(t.roles(), vec![Role::Client, Role::Calc, Role::Op(1), Role::Op(2)]);
    assert_eq!((t.resends, t.duplicates), (0, 0));
    let total = t.total_us().unwrap();
    assert!(total > 0 && total < 2_000_000, "total {total} µs");
    assert_eq!(t.brokers(), vec![0]);
    // The broker is seen alive and active (classic heartbeat: HB only).
    let snap = obs.snapshot();
    assert!(snap.brokers[0].alive && snap.brokers[0].active, "{:?}", snap.brokers);
    assert_eq!(snap.summary.active, "broker");
    // An error answer.
    let mut raw = RawPub::new(&lab);
    raw.request("obs-bad.1", b"abc", b"4", &obs);
    let t = obs.next_trace(Duration::from_secs(5)).expect("trace of the bad request");
    assert!(matches!(&t.outcome, Outcome::Error(e) if e.contains("abc")), "{:?}", t.outcome);
    assert!(t.notes.iter().any(|n| n.role == "calc" && n.text.starts_with("refused")), "{:?}", t.notes);
    let text = render::terminal(&t, &["broker".into()], &[]);
    assert!(text.contains("ERR"), "{text}");
}

/// A raw PUB socket for messages no client would send.
struct RawPub {
    _ctx: zmq::Context,
    publ: zmq::Socket,
}

impl RawPub {
    fn new(lab: &Lab) -> RawPub {
        let ctx = zmq::Context::new();
        let publ = ctx.socket(zmq::PUB).unwrap();
        publ.set_linger(0).unwrap();
        publ.connect(&lab.addr.xsub).unwrap();
        RawPub { _ctx: ctx, publ }
    }
    /// Publish `frames` again and again until the observer got something
    /// (the PUB socket's connection is a slow joiner), bounded.
    fn send_until_seen(&mut self, frames: &[&[&[u8]]], obs: &Observer) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let seen = obs.messages();
        while obs.messages() == seen {
            assert!(Instant::now() < deadline, "the observer never saw the raw publisher");
            for f in frames {
                self.publ.send_multipart(f.iter().copied(), 0).unwrap();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    fn request(&mut self, tag: &str, a: &[u8], b: &[u8], obs: &Observer) {
        let t1 = wire::with_tag(&wire::request_topic(1), Some(tag));
        let t2 = wire::with_tag(&wire::request_topic(2), Some(tag));
        self.send_until_seen(&[&[t1.as_bytes(), a], &[t2.as_bytes(), b]], obs);
    }
}

#[test]
fn fallback_with_op_lane_1_stopped() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    let mut lab = lab(250);
    let obs = watch_lab(&lab);
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    lab.stop_op(1).unwrap();
    assert_eq!(c.hypot("5", "12").unwrap(), "13.0000");
    let t = trace_of(&obs, "5", "12", Duration::from_secs(5));
    check_fallback(&t);
    // Without the calc node's event, the observer infers it from the wire alone.
    assert!(render::notes(&t).iter().any(|n| n.contains("lane 1")), "{:?}", render::notes(&t));
}

fn check_fallback(t: &Trace) {
    let k = kinds(t);
    assert!(k.contains(&HopKind::SquareRequest(1)) && !k.contains(&HopKind::SquareResult(1)), "{k:?}");
    assert!(k.contains(&HopKind::SquareResult(2)), "{k:?}");
    assert!(matches!(&t.fallback[0], Fallback::Confirmed(why) if why.contains("lane=1")), "{:?}", t.fallback);
    assert_eq!(t.fallback[1], Fallback::No);
    assert!(t.resends >= 1, "the calc node asks lane 1 again before falling back: {:?}", t.hops);
    let total = t.total_us().unwrap();
    assert!(total >= 250_000, "the answer waited for the calc time-out: {total} µs");
    assert_eq!(t.outcome, Outcome::Answer("13.0000".into()));
}

#[test]
fn fallback_inferred_from_the_wire_alone() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    // The tracker with the calc node's event removed: a pure-wire view.
    use hypobus::watch::trace::{Output, Tracker, TrackerConfig};
    let mut lab = lab(200);
    let obs = watch_lab(&lab);
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    lab.stop_op(2).unwrap();
    assert_eq!(c.hypot("8", "15").unwrap(), "17.0000");
    let t = trace_of(&obs, "8", "15", Duration::from_secs(5));
    assert!(matches!(&t.fallback[1], Fallback::Confirmed(_)), "{:?}", t.fallback);
    let mut tr = Tracker::new(TrackerConfig::default());
    for h in &t.hops {
        tr.on_message(h.at_us, h.broker, &[h.topic.as_bytes(), h.value.as_bytes()]);
    }
    tr.on_time(u64::MAX / 2);
    let Some(Output::Trace(again)) = tr.drain().next() else { panic!("no trace") };
    assert_eq!(again.fallback, [Fallback::No, Fallback::Inferred]);
}

fn catheti(ci: usize, i: usize) -> (String, String) {
    (format!("{}", 100 * (ci + 1) + i), format!("{}.{}", ci + 1, i))
}

#[test]
fn eight_concurrent_clients_kept_apart() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    let lab = lab(2000);
    let obs = watch_lab(&lab);
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    let n = 20;
    let threads: Vec<_> = (0..8)
        .map(|ci| {
            let addr = lab.addr.clone();
            std::thread::spawn(move || {
                let mut c = Client::new(ClientConfig { brokers: vec![addr], ..Default::default() }).unwrap();
                for i in 0..n {
                    let (a, b) = catheti(ci, i);
                    let want = wire::hypot(&Number::parse(a.as_bytes()).unwrap(), &Number::parse(b.as_bytes()).unwrap()).unwrap();
                    assert_eq!(c.hypot(&a, &b).unwrap(), want);
                }
                c.id().to_string()
            })
        })
        .collect();
    let ids: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut seen = std::collections::HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < 8 * n && Instant::now() < deadline {
        if let Some(t) = obs.next_trace(Duration::from_millis(500)) {
            seen.insert(t.tag.clone().unwrap(), t);
        }
    }
    assert_eq!(seen.len(), 8 * n, "traces seen");
    for (tag, t) in &seen {
        let ci = ids.iter().position(|id| tag.starts_with(id.as_str())).unwrap_or_else(|| panic!("tag {tag} of no client"));
        let seq: usize = tag.rsplit('.').next().unwrap().parse().unwrap();
        let (a, b) = catheti(ci, seq - 1);
        let n = |s: &str| Number::parse(s.as_bytes()).unwrap().format();
        let (a, b) = (n(&a), n(&b));
        assert_eq!((t.a.as_deref(), t.b.as_deref()), (Some(a.as_str()), Some(b.as_str())), "tag {tag}");
        assert_eq!(t.hops.len(), 7, "tag {tag}: {:?}", t.hops);
        check_path(t);
        for h in &t.hops {
            assert!(h.topic.ends_with(&format!("#{tag}")), "hop {} in the trace of {tag}", h.topic);
        }
        let x = |s: &str| Number::parse(s.as_bytes()).unwrap();
        let sq = |k| t.hops.iter().find(|h| h.kind == k).unwrap().value.clone();
        assert!(x(&sq(HopKind::SquareResult(1))).is_square_of(&x(&a)), "tag {tag}");
        assert!(x(&sq(HopKind::SquareResult(2))).is_square_of(&x(&b)), "tag {tag}");
        assert_eq!(t.outcome, Outcome::Answer(wire::hypot(&x(&a), &x(&b)).unwrap()));
    }
    let s = obs.snapshot();
    let clients = s.roles.iter().filter(|(name, _)| name.starts_with("client ")).count();
    assert!(clients >= 8, "{:?}", s.roles);
}

#[test]
fn classic_client_through_our_calc() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    let lab = lab(2000);
    let obs = watch_lab(&lab);
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    let mut k = Client::new(ClientConfig { brokers: vec![lab.addr.clone()], mode: Mode::Classic, ..Default::default() }).unwrap();
    assert_eq!(k.hypot("12", "13").unwrap(), "17.6918");
    let t = trace_of(&obs, "12", "13", Duration::from_secs(5));
    assert!(t.classic() && t.client == "classic client");
    assert_eq!(t.hops.len(), 7, "{:#?}", t.hops);
    check_path(&t);
    assert_eq!(t.impls, [Impl::Classic, Impl::Tagged, Impl::Tagged, Impl::Tagged]);
    assert!(t.link.as_deref().is_some_and(|l| l.starts_with("c.")), "{:?}", t.link);
    assert_eq!(t.outcome, Outcome::Answer("17.6918".into()));
}

#[test]
fn failover_primary_killed() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    let (pp, bp) = BrokerPorts::free_pair().unwrap();
    let cfg = |role, me: BrokerPorts, peer: BrokerPorts| BrokerProcessConfig {
        exe: BIN.into(),
        role,
        ports: me,
        peer_hb: peer.hb_endpoint(),
        hb_interval: Duration::from_millis(100),
        misses: 3,
        stats_every: Duration::from_millis(1000),
    };
    let mut primary = BrokerProcess::spawn(&cfg(FoRole::Primary, pp, bp), Duration::from_secs(5)).unwrap();
    let mut backup = BrokerProcess::spawn(&cfg(FoRole::Backup, bp, pp), Duration::from_secs(5)).unwrap();
    assert!(primary.next_event(Instant::now() + Duration::from_secs(5)).is_some_and(|e| e.active), "primary active");
    let brokers = vec![pp.addr(), bp.addr()];
    let mut wcfg = WatchConfig::new(WatchBroker::list(&brokers, &[pp.hb_endpoint(), bp.hb_endpoint()]));
    wcfg.sampling = Sampling::Full;
    let obs = Observer::start(wcfg).unwrap();
    let op = |lane| OpNode::start(OpConfig::new(brokers.clone(), lane), Operation::Square).unwrap();
    let (_op1, _op2) = (op(1), op(2));
    let _calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    let mut c = Client::new(ClientConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    warm_up(&obs, &mut c);
    // The observer knows who is active from the heartbeats' state.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !(obs.snapshot().brokers[0].active && obs.snapshot().brokers[1].alive) {
        assert!(Instant::now() < deadline, "{:?}", obs.snapshot().brokers);
        std::thread::sleep(Duration::from_millis(20));
    }
    let snap = obs.snapshot();
    assert!(!snap.brokers[1].active && snap.brokers[0].reported == "primary" && snap.brokers[1].reported == "backup", "{:?}", snap.brokers);
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");
    let before = trace_of(&obs, "12", "13", Duration::from_secs(5));
    assert_eq!(before.brokers(), vec![0], "through the primary");

    let t_kill = Instant::now();
    primary.kill().unwrap();
    // A request in the gap: resent by the client until the backup forwards.
    assert_eq!(c.hypot("20", "21").unwrap(), "29.0000");
    let during = trace_of(&obs, "20", "21", Duration::from_secs(10));
    assert!(during.brokers().contains(&1), "answered through the backup: {:?}", during.hops);
    assert_eq!(during.outcome, Outcome::Answer("29.0000".into()));
    let mut backup_active = None;
    let mut primary_silent = false;
    let deadline = Instant::now() + Duration::from_secs(5);
    while (backup_active.is_none() || !primary_silent) && Instant::now() < deadline {
        for e in obs.snapshot().timeline {
            if e.name == "primary" && !e.alive {
                primary_silent = true;
            }
            if e.name == "backup" && e.active && e.alive {
                backup_active.get_or_insert(e);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let ev = backup_active.expect("a 'backup active' event");
    assert!(primary_silent, "{:?}", obs.snapshot().timeline);
    assert!(t_kill.elapsed() < Duration::from_secs(10));
    assert_eq!(obs.summary().active, "backup");
    // The failover shows in the exports of the request that spanned it.
    let names: Vec<String> = obs.brokers().iter().map(|b| b.name.clone()).collect();
    let tl = obs.snapshot().timeline;
    let doc = render::mermaid_doc("failover", &[before, during.clone()], &names, &tl);
    assert!(doc.contains("backup active"), "{doc}");
    assert!(ev.reason.contains("heartbeat") || ev.reason.contains("said") || ev.reason.contains("announced"), "{}", ev.reason);
    let after_c = c.hypot("3", "4").unwrap();
    assert_eq!(after_c, "5.0000");
    backup.kill().unwrap();
}

#[test]
fn sampling_under_load() {
    let _serial = SERIAL.write().unwrap_or_else(PoisonError::into_inner);
    let lab = lab(2000);
    let mut cfg = WatchConfig::new(WatchBroker::list(std::slice::from_ref(&lab.addr), std::slice::from_ref(&lab.hb)));
    cfg.sampling = Sampling::Auto { threshold: 500, window: Duration::from_millis(100), period: Duration::from_millis(500) };
    let obs = Observer::start(cfg).unwrap();
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    let t0 = Instant::now();
    let mut done = 0;
    let mut in_flight = 0;
    while t0.elapsed() < Duration::from_secs(3) {
        while in_flight < 64 {
            c.submit("3", "4").unwrap();
            in_flight += 1;
        }
        if let Some((_, r)) = c.next(1000).unwrap() {
            assert_eq!(r.unwrap(), "5.0000");
            in_flight -= 1;
            done += 1;
        }
    }
    let rate = done as f64 / t0.elapsed().as_secs_f64();
    let s = obs.summary();
    assert!(s.sampling, "{s:?}");
    // From the tagged clients' request numbers: near the real rate, not only
    // what the observer could follow in its windows (that ran 10-40 % under).
    assert!(s.rate > rate * 0.7 && s.rate < rate * 1.4, "estimated {} req/s, real {rate:.0}", s.rate);
    assert!(s.p50_us > 0 && s.p99_us >= s.p50_us, "{s:?}");
    assert_eq!(s.lost, 0, "a sampled request cut by a window is not lost: {s:?}");
    let line = render::summary_line(&s);
    assert!(line.contains("req/s") && line.contains("(sampling)"), "{line}");
    while c.next(2000).unwrap().is_some() {}
}

#[test]
fn exports_are_well_formed() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    let mut lab = lab(200);
    let obs = watch_lab(&lab);
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    c.hypot("12", "13").unwrap();
    let a = trace_of(&obs, "12", "13", Duration::from_secs(5));
    lab.stop_op(1).unwrap();
    c.hypot("5", "12").unwrap();
    let b = trace_of(&obs, "5", "12", Duration::from_secs(5));
    let names = vec!["broker".to_string()];
    let svg = render::svg(&[a.clone(), b.clone()], &names, &[]);
    assert_eq!(svg.matches("<g class=\"trace\"").count(), 2);
    assert_eq!(svg.matches("<g class=\"arrow\"").count(), a.hops.len() + b.hops.len());
    assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    let md = render::mermaid_doc("lab", &[a, b], &names, &[]);
    assert_eq!(md.matches("```mermaid").count(), 2);
    assert!(md.contains("Note over calc: the calc node computed the square of lane 1 itself"), "{md}");
}

#[test]
fn observer_events_and_stop() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    let lab = lab(2000);
    let mut obs = watch_lab(&lab);
    let mut c = client(&lab);
    warm_up(&obs, &mut c);
    // A request still open when the observer stops is handed out as lost.
    let mut raw = RawPub::new(&lab);
    raw.send_until_seen(&[&[b"calc.request.1#half.1", b"3"]], &obs);
    obs.stop().unwrap();
    let mut lost = false;
    while let Some(e) = obs.next(Duration::from_millis(100)) {
        if let WatchEvent::Trace(t) = e {
            lost |= t.outcome == Outcome::Lost && t.tag.as_deref() == Some("half.1");
        }
    }
    assert!(lost, "the half request is handed out as lost at the end");
    assert!(obs.next(Duration::from_millis(10)).is_none());
}

mod c_abi {
    use super::*;
    use hypobus::ffi::watch::*;
    use hypobus::ffi::HbStatus::{self, *};
    use std::ffi::{c_char, CStr, CString};
    use std::ptr::{null, null_mut};

    fn ev() -> HbWatchEvent {
        HbWatchEvent { size: std::mem::size_of::<HbWatchEvent>() as u32, ..Default::default() }
    }

    /// The next trace event through the C ABI, with its text.
    fn next_trace(w: *mut HbWatch, within: Duration) -> (HbWatchEvent, String) {
        let deadline = Instant::now() + within;
        loop {
            let mut e = ev();
            let mut buf = [0 as c_char; 512];
            let mut n = 0usize;
            match hb_watch_next(w, 200, &mut e, buf.as_mut_ptr(), buf.len(), &mut n) {
                HB_OK if e.kind == HB_WATCH_TRACE => {
                    // SAFETY: NUL-terminated by the library.
                    let s = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string();
                    assert_eq!(s.len(), n);
                    return (e, s);
                }
                HB_OK | HB_TIMEOUT => assert!(Instant::now() < deadline, "no trace through the C ABI"),
                other => panic!("hb_watch_next: {other:?}"),
            }
        }
    }

    #[test]
    fn pull_style() {
        let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
        let lab = lab(2000);
        let brokers = CString::new(format!("{}|{}", lab.addr.xsub, lab.addr.xpub)).unwrap();
        let hb = CString::new(lab.hb.clone()).unwrap();
        let mut w: *mut HbWatch = null_mut();
        assert_eq!(hb_watch_new(brokers.as_ptr(), hb.as_ptr(), 7, &mut w), HB_INVALID_ARGUMENT);
        assert_eq!(hb_watch_new(c"h:1".as_ptr(), null(), 0, &mut w), HB_CONFIG);
        assert_eq!(hb_watch_new(brokers.as_ptr(), hb.as_ptr(), HB_WATCH_FULL, &mut w), HB_OK);
        let mut e = ev();
        assert_eq!(hb_watch_next(w, -1, &mut e, null_mut(), 0, null_mut()), HB_INVALID_ARGUMENT, "the timeout rule");
        assert_eq!(hb_watch_next(w, 0, null_mut(), null_mut(), 0, null_mut()), HB_INVALID_ARGUMENT);
        let mut c = client(&lab);
        // Warm up: until a whole request went through the observer.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            c.hypot("3", "4").unwrap();
            let (e, _) = next_trace(w, Duration::from_secs(5));
            if e.hops == 7 {
                break;
            }
            assert!(Instant::now() < deadline);
        }
        let mut e = ev();
        while hb_watch_next(w, 300, &mut e, null_mut(), 0, null_mut()) == HB_OK {}
        c.hypot("12", "13").unwrap();
        // A buffer too small: the event stays for the next call.
        let mut small = [0 as c_char; 8];
        let mut need = 0usize;
        let deadline = Instant::now() + Duration::from_secs(5);
        let st = loop {
            let st = hb_watch_next(w, 200, &mut e, small.as_mut_ptr(), small.len(), &mut need);
            if st != HB_TIMEOUT || Instant::now() >= deadline {
                break st;
            }
        };
        assert_eq!(st, HB_BUFFER_TOO_SMALL);
        assert!(need > 8 && need < 512);
        let (mut e, text) = next_trace(w, Duration::from_secs(1));
        assert_eq!(text.len(), need);
        assert!(text.contains("hypot(12, 13) = 17.6918"), "{text}");
        assert_eq!((e.hops, e.flags, e.resends), (7, 0, 0));
        assert!(e.total_us > 0 && e.id > 0);
        // Its hops.
        let mut h = HbWatchHop { size: std::mem::size_of::<HbWatchHop>() as u32, ..Default::default() };
        let mut buf = [0 as c_char; 512];
        assert_eq!(hb_watch_hop(w, e.id, 0, &mut h, buf.as_mut_ptr(), buf.len(), null_mut()), HB_OK);
        assert_eq!((h.from, h.to, h.lane, h.mark), (HB_WATCH_CLIENT, HB_WATCH_CALC, 1, 0));
        // SAFETY: NUL-terminated by the library.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
        assert!(s.starts_with("calc.request.1#") && s.ends_with(" 12"), "{s}");
        assert_eq!(hb_watch_hop(w, e.id, 6, &mut h, buf.as_mut_ptr(), buf.len(), null_mut()), HB_OK);
        assert_eq!((h.from, h.to, h.lane), (HB_WATCH_CALC, HB_WATCH_CLIENT, 0));
        assert_eq!(hb_watch_hop(w, e.id, 7, &mut h, buf.as_mut_ptr(), buf.len(), null_mut()), HB_INVALID_ARGUMENT);
        assert_eq!(hb_watch_hop(w, 999_999, 0, &mut h, buf.as_mut_ptr(), buf.len(), null_mut()), HB_INVALID_ARGUMENT);
        let mut s = HbWatchSummary { size: std::mem::size_of::<HbWatchSummary>() as u32, ..Default::default() };
        assert_eq!(hb_watch_summary(w, &mut s), HB_OK);
        assert!(s.requests >= 2 && s.answers >= 2 && s.active_broker == 0 && s.messages >= 14, "{s:?}");
        // Exports.
        let dir = std::env::temp_dir().join(format!("hb-watch-abi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let md = CString::new(dir.join("x.md").to_str().unwrap()).unwrap();
        assert_eq!(hb_watch_export(w, HB_WATCH_MERMAID, 1, md.as_ptr()), HB_OK);
        assert!(std::fs::read_to_string(dir.join("x.md")).unwrap().contains("```mermaid"));
        assert_eq!(hb_watch_export(w, 9, 1, md.as_ptr()), HB_INVALID_ARGUMENT);
        assert_eq!(hb_watch_export(w, HB_WATCH_SVG, 0, c"/nonexistent/dir/x.svg".as_ptr()), HB_CONFIG);
        let _ = std::fs::remove_dir_all(&dir);
        // The event-loop descriptor.
        let mut fd = -1;
        assert_eq!(hypobus::ffi::hb_handle_fd(w.cast(), &mut fd), HB_OK);
        assert!(fd >= 0);
        // A free ends a wait on another thread at once.
        let key = w as usize;
        let waiter = std::thread::spawn(move || {
            let mut e = ev();
            let t = Instant::now();
            let st = hb_watch_next(key as *const HbWatch, 10_000, &mut e, null_mut(), 0, null_mut());
            (st, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(hb_watch_free(w), HB_OK);
        let (st, waited): (HbStatus, Duration) = waiter.join().unwrap();
        assert!(st == HB_STOPPED || st == HB_OK, "{st:?}");
        assert!(waited < Duration::from_secs(5));
        assert_eq!(hb_watch_next(w, 0, &mut e, null_mut(), 0, null_mut()), HB_INVALID_HANDLE);
        assert_eq!(hb_watch_free(w), HB_INVALID_HANDLE);
        assert_eq!(hb_watch_free(null_mut()), HB_OK);
    }
}

mod cli {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;

    /// A child process killed (by PID) and reaped when dropped; its stdout lines on a channel.
    struct Proc {
        child: Child,
        lines: mpsc::Receiver<String>,
    }

    impl Proc {
        fn spawn(args: &[&str]) -> Proc {
            let mut child =
                Command::new(BIN).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
            let out = child.stdout.take().unwrap();
            let (tx, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(out).lines().map_while(|l| l.ok()) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
            Proc { child, lines }
        }
        fn line(&self, pred: impl Fn(&str) -> bool, within: Duration) -> Option<String> {
            let deadline = Instant::now() + within;
            while let Ok(l) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                if pred(&l) {
                    return Some(l);
                }
            }
            None
        }
        fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
            let deadline = Instant::now() + within;
            while Instant::now() < deadline {
                if let Ok(Some(s)) = self.child.try_wait() {
                    return Some(s);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            None
        }
    }

    impl Drop for Proc {
        fn drop(&mut self) {
            if let Ok(None) = self.child.try_wait() {
                // SAFETY: kill(2) on our own child, not reaped yet.
                unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
                let _ = self.child.wait();
            }
        }
    }

    #[test]
    fn watch_json_and_exports() {
        let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
        let lab = lab(2000);
        let dir = std::env::temp_dir().join(format!("hb-watch-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (md, svg) = (dir.join("w.md"), dir.join("w.svg"));
        let b = format!("{}|{}", lab.addr.xsub, lab.addr.xpub);
        let mut p = Proc::spawn(&[
            "watch",
            "--broker",
            &b,
            "--hb",
            &lab.hb,
            "--json",
            "--full",
            "--record",
            "2",
            "--mermaid",
            md.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
            "--duration-ms",
            "30000",
        ]);
        assert!(p.line(|l| l.starts_with("watch ready: 1 broker(s): broker "), Duration::from_secs(5)).is_some());
        let mut c = client(&lab);
        let mut traces = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        while traces.len() < 2 && Instant::now() < deadline {
            c.hypot("12", "13").unwrap();
            if let Some(l) = p.line(|l| l.starts_with(r#"{"type":"trace""#), Duration::from_millis(500)) {
                traces.push(l);
            }
        }
        assert_eq!(traces.len(), 2, "two trace lines");
        assert!(traces.iter().any(|l| l.contains(r#""a":"12","b":"13","outcome":"answer","result":"17.6918""#)), "{traces:?}");
        let st = p.wait(Duration::from_secs(5)).expect("watch ends after --record 2");
        assert!(st.success());
        let md = std::fs::read_to_string(&md).unwrap();
        assert_eq!(md.matches("```mermaid").count(), 2, "{md}");
        let svg = std::fs::read_to_string(&svg).unwrap();
        assert!(svg.starts_with("<?xml") && svg.matches("<g class=\"trace\"").count() == 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn lab_scenario_fallback_writes_diagrams() {
        let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
        let dir = std::env::temp_dir().join(format!("hb-watch-lab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (md, svg) = (dir.join("f.md"), dir.join("f.svg"));
        let mut p = Proc::spawn(&["lab", "--scenario", "fallback", "--mermaid", md.to_str().unwrap(), "--svg", svg.to_str().unwrap()]);
        assert!(p.line(|l| l.contains("hypot(5, 12) = 13.0000"), Duration::from_secs(20)).is_some());
        assert!(p.wait(Duration::from_secs(10)).expect("lab --scenario ends").success());
        let md = std::fs::read_to_string(&md).unwrap();
        assert!(md.contains("sequenceDiagram") && md.contains("computed the square of lane 1 itself"), "{md}");
        assert!(std::fs::read_to_string(&svg).unwrap().contains("class=\"lifeline\""));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

mod web {
    use super::*;
    use hypobus_tool::http::WebServer;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::Arc;

    fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn page_state_and_a_rate_limited_event_stream_under_load() {
        let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
        let lab = lab(2000);
        let mut cfg = WatchConfig::new(WatchBroker::list(std::slice::from_ref(&lab.addr), std::slice::from_ref(&lab.hb)));
        cfg.sampling = Sampling::default();
        let obs = Arc::new(Observer::start(cfg).unwrap());
        let mut web = WebServer::start("127.0.0.1:0", obs.clone()).unwrap();
        let addr = web.addr();
        let page = get(addr, "/");
        assert!(page.starts_with("HTTP/1.1 200 OK") && page.contains("new EventSource(\"/events\")"), "{}", &page[..200.min(page.len())]);
        assert!(!page.contains("http://") && !page.contains("https://"), "the page loads nothing from the network");
        assert!(get(addr, "/nope").starts_with("HTTP/1.1 404"));
        // Load: a client with 128 in flight for 2 s, while an event stream is read.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (st, a) = (stop.clone(), lab.addr.clone());
        let load = std::thread::spawn(move || {
            let mut c = Client::new(ClientConfig { brokers: vec![a], ..Default::default() }).unwrap();
            let (mut n, mut inflight) = (0u64, 0);
            while !st.load(std::sync::atomic::Ordering::SeqCst) {
                while inflight < 128 {
                    c.submit("3", "4").unwrap();
                    inflight += 1;
                }
                if let Some((_, r)) = c.next(1000).unwrap() {
                    r.unwrap();
                    inflight -= 1;
                    n += 1;
                }
            }
            while inflight > 0 && c.next(2000).unwrap().is_some() {
                inflight -= 1;
            }
            n
        });
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        write!(s, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let t0 = Instant::now();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 65536];
        while t0.elapsed() < Duration::from_secs(3) {
            match s.read(&mut chunk) {
                Ok(0) => break,
                Ok(k) => buf.extend_from_slice(&chunk[..k]),
                Err(_) => {}
            }
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let done = load.join().unwrap();
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream"), "{}", &text[..100.min(text.len())]);
        let updates: Vec<&str> = text.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).collect();
        // At most 4 a second (plus one at the start), however many requests.
        assert!((3..=14).contains(&updates.len()), "{} updates in 3 s for {done} requests", updates.len());
        assert!(done > 1000, "load: {done} requests");
        let last = updates.last().unwrap();
        assert!(last.contains(r#""diagram":"<svg"#) && last.contains(r#""sampling":true"#), "{}", &last[..300.min(last.len())]);
        assert!(last.len() < 200_000, "an update stays small: {} bytes", last.len());
        let state = get(addr, "/state");
        assert!(state.contains(r#""summary":{"type":"summary""#));
        web.stop();
    }
}

#[test]
fn two_brokers_forwarding_at_once_show_duplicates() {
    let _serial = SERIAL.read().unwrap_or_else(PoisonError::into_inner);
    use hypobus::lab::broker::{Broker, BrokerConfig};
    let b = || {
        Broker::start(BrokerConfig { xsub: "tcp://127.0.0.1:*".into(), xpub: "tcp://127.0.0.1:*".into(), hb: None, ..Default::default() })
            .unwrap()
    };
    let (b1, b2) = (b(), b());
    let addr = |b: &Broker| hypobus::lab::brokers::BrokerAddr::parse(&format!("{}|{}", b.endpoints.0, b.endpoints.1)).unwrap();
    let brokers = vec![addr(&b1), addr(&b2)];
    let mut cfg = WatchConfig::new(WatchBroker::list(&brokers, &[]));
    cfg.sampling = Sampling::Full;
    let obs = Observer::start(cfg).unwrap();
    let op = |lane| OpNode::start(OpConfig::new(brokers.clone(), lane), Operation::Square).unwrap();
    let (_o1, _o2) = (op(1), op(2));
    let _calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    let mut c = Client::new(ClientConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    warm_up(&obs, &mut c);
    assert_eq!(c.hypot("7", "24").unwrap(), "25.0000");
    let t = trace_of(&obs, "7", "24", Duration::from_secs(5));
    // Every message came through both brokers: the copies are duplicates.
    assert!(
        t.duplicates >= 4,
        "{} duplicates: {:?}",
        t.duplicates,
        t.hops.iter().map(|h| (h.short_topic().to_string(), h.broker, h.mark)).collect::<Vec<_>>()
    );
    assert_eq!(t.brokers(), vec![0, 1]);
    assert_eq!(t.outcome, Outcome::Answer("25.0000".into()));
    assert!(t.hops.iter().any(|h| h.mark == Mark::Duplicate && h.broker != t.hops[0].broker));
    // Both forward: the summary says so.
    let deadline = Instant::now() + Duration::from_secs(3);
    while obs.summary().active != "primary+backup" {
        assert!(Instant::now() < deadline, "{:?}", obs.snapshot().brokers);
        std::thread::sleep(Duration::from_millis(20));
    }
}
