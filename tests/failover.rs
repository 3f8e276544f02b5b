//! Failover between two in-process brokers over loopback: take-over, no
//! split brain on restart, explicit hand-back, classic `HB`-only peers.
//! (Tests with the primary as a separate process killed by SIGKILL are in
//! tests/classic/ and tests/failover_process.rs.)

use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig};
use hypobus::lab::failover::{FailoverBroker, FailoverConfig, Role};
use hypobus::lab::op::{OpConfig, OpNode, Operation};
mod common;
use common::free_port;
use std::time::{Duration, Instant};

struct Ports {
    xsub: u16,
    xpub: u16,
    hb: u16,
}

impl Ports {
    fn new() -> Ports {
        Ports { xsub: free_port(), xpub: free_port(), hb: free_port() }
    }
    fn addr(&self) -> BrokerAddr {
        BrokerAddr::new("127.0.0.1", self.xsub, self.xpub)
    }
}

const HB_MS: u64 = 50;

fn start(role: Role, me: &Ports, peer: &Ports) -> FailoverBroker {
    let ep = |p: u16| format!("tcp://127.0.0.1:{p}");
    let mut cfg = FailoverConfig::new(role, &ep(peer.hb));
    cfg.xsub = ep(me.xsub);
    cfg.xpub = ep(me.xpub);
    cfg.hb = ep(me.hb);
    cfg.hb_interval = Duration::from_millis(HB_MS);
    FailoverBroker::start(cfg, None).unwrap()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn takeover_restart_stays_passive_and_handback() {
    let (pp, bp) = (Ports::new(), Ports::new());
    let mut primary = start(Role::Primary, &pp, &bp);
    let backup = start(Role::Backup, &bp, &pp);
    wait_for("primary active", || primary.is_active());
    assert!(!backup.is_active());

    let brokers = vec![pp.addr(), bp.addr()];
    let _o1 = OpNode::start(OpConfig::new(brokers.clone(), 1), Operation::Square).unwrap();
    let _o2 = OpNode::start(OpConfig::new(brokers.clone(), 2), Operation::Square).unwrap();
    let _calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    let mut c = Client::new(ClientConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");

    // The primary dies: the backup takes over; a request sent at once is
    // answered soon after (the backup's announcement triggers the resend).
    let t = Instant::now();
    primary.stop().unwrap();
    drop(primary);
    assert_eq!(c.hypot("5", "12").unwrap(), "13.0000");
    let gap = t.elapsed();
    let ev = backup.next_event(Duration::from_secs(3)).expect("take-over event");
    assert!(ev.active, "{ev:?}");
    assert!(gap < Duration::from_millis(HB_MS * 3 + 250), "gap {gap:?}");
    assert!(c.stats().resent >= 1);
    for j in 1..=20 {
        assert_eq!(c.hypot(&j.to_string(), "13").unwrap(), hypot(j, 13));
    }

    // The primary comes back: it stays passive (the backup is active).
    let primary = start(Role::Primary, &pp, &bp);
    wait_for("primary decided", || primary.stats().peer_heartbeats > 3);
    std::thread::sleep(Duration::from_millis(HB_MS * 4));
    assert!(!primary.is_active(), "restarted primary must stay passive");
    assert!(backup.is_active());
    for j in 1..=10 {
        assert_eq!(c.hypot(&j.to_string(), "4").unwrap(), hypot(j, 4));
    }
    let extra = c.next(100).unwrap();
    assert!(extra.is_none(), "no duplicate delivered, got {extra:?}");

    // Explicit hand-back: traffic moves to the primary, nothing lost.
    backup.handback(Duration::from_secs(2)).unwrap();
    wait_for("primary active after hand-back", || primary.is_active());
    assert!(!backup.is_active());
    for j in 1..=10 {
        assert_eq!(c.hypot(&j.to_string(), "5").unwrap(), hypot(j, 5));
    }
    assert!(primary.broker_stats().forwarded > 0);
    // A second hand-back is refused with a reason.
    assert!(backup.handback(Duration::from_secs(2)).is_err());
}

#[test]
fn backup_death_changes_nothing() {
    let (pp, bp) = (Ports::new(), Ports::new());
    let primary = start(Role::Primary, &pp, &bp);
    let mut backup = start(Role::Backup, &bp, &pp);
    wait_for("primary active", || primary.is_active());
    backup.stop().unwrap();
    std::thread::sleep(Duration::from_millis(HB_MS * 5));
    assert!(primary.is_active());
    assert_eq!(primary.stats().deactivations, 0);
}

#[test]
fn classic_primary_only_sending_hb() {
    // An original primary: a PUB that sends one frame `HB` per interval.
    let (pp, bp) = (Ports::new(), Ports::new());
    let ctx = zmq::Context::new();
    let orig = ctx.socket(zmq::PUB).unwrap();
    orig.set_linger(0).unwrap();
    orig.bind(&format!("tcp://127.0.0.1:{}", pp.hb)).unwrap();
    let backup = start(Role::Backup, &bp, &pp);
    let beat_until = |until: Instant| {
        while Instant::now() < until {
            orig.send("HB", 0).unwrap();
            std::thread::sleep(Duration::from_millis(HB_MS));
        }
    };
    beat_until(Instant::now() + Duration::from_millis(HB_MS * 8));
    assert!(!backup.is_active(), "stays in standby while the original primary beats");
    // It dies (stops beating): take-over.
    let ev = backup.next_event(Duration::from_secs(3)).expect("take-over");
    assert!(ev.active);
    // It comes back (an original primary always forwards): the backup yields.
    let ctx2 = orig;
    let deadline = Instant::now() + Duration::from_secs(3);
    while backup.is_active() && Instant::now() < deadline {
        ctx2.send("HB", 0).unwrap();
        std::thread::sleep(Duration::from_millis(HB_MS));
    }
    assert!(!backup.is_active(), "yields to a returning original primary");
}

fn hypot(a: u32, b: u32) -> String {
    format!("{:.4}", (a as f64).hypot(b as f64))
}
