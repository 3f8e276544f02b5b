//! Failover with the brokers as real `hypobus broker` processes: SIGKILL of
//! the primary under load, restart (stays passive), explicit hand-back with
//! `hypobus ctl`, death of the backup, and a network partition between the
//! two brokers only, made with network namespaces. Every wait is bounded and
//! every process is killed by its PID when the test ends.

use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig};
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use hypobus::wire::{self, Number};
use std::collections::HashSet;
mod common;
use common::free_port;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hypobus");
const HB_MS: u64 = 100;

/// A child process, killed (SIGKILL) and reaped when dropped.
struct Proc {
    child: Child,
}

impl Proc {
    fn spawn(cmd: &mut Command) -> Proc {
        Proc { child: cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("spawn") }
    }
    fn pid(&self) -> i32 {
        self.child.id() as i32
    }
    fn sigkill(&mut self) {
        // SAFETY: plain kill(2) on our own child's PID.
        unsafe {
            libc::kill(self.pid(), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.sigkill();
        }
    }
}

/// Where one broker listens: `host` is how others reach it.
#[derive(Clone)]
struct Site {
    host: String,
    xsub: u16,
    xpub: u16,
    hb: u16,
    ctl: u16,
}

impl Site {
    fn local() -> Site {
        Site { host: "127.0.0.1".into(), xsub: free_port(), xpub: free_port(), hb: free_port(), ctl: free_port() }
    }
    fn addr(&self) -> BrokerAddr {
        BrokerAddr::new(&self.host, self.xsub, self.xpub)
    }
    fn ctl_ep(&self) -> String {
        format!("tcp://{}:{}", self.host, self.ctl)
    }
}

/// `hypobus broker --role ROLE` for `me`, watching `peer_hb`; `netns` runs it
/// inside a network namespace.
fn broker(role: &str, me: &Site, peer_hb: &str, netns: Option<&str>) -> Proc {
    let ep = |p: u16| format!("tcp://*:{p}");
    let args = [
        "broker".to_string(),
        "--role".into(),
        role.into(),
        "--xsub".into(),
        ep(me.xsub),
        "--xpub".into(),
        ep(me.xpub),
        "--hb".into(),
        ep(me.hb),
        "--hb-interval-ms".into(),
        HB_MS.to_string(),
        "--peer-hb".into(),
        peer_hb.into(),
        "--ctl".into(),
        ep(me.ctl),
        if std::env::var("HB_LOG").is_ok() { "--stats-every-ms=100000".into() } else { "--quiet".into() },
    ];
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, BIN]);
            c
        }
        None => Command::new(BIN),
    };
    cmd.args(args);
    Proc::spawn(&mut cmd)
}

/// One request on a broker's control socket; `None` when no answer in 500 ms.
fn ctl(ep: &str, cmd: &str) -> Option<String> {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REQ).unwrap();
    s.set_linger(0).unwrap();
    s.connect(ep).unwrap();
    s.send(cmd, 0).unwrap();
    (s.poll(zmq::POLLIN, 500).unwrap() > 0).then(|| s.recv_string(0).unwrap().unwrap())
}

fn wait_status(site: &Site, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = ctl(&site.ctl_ep(), "status");
        if got.as_deref() == Some(want) {
            return;
        }
        assert!(Instant::now() < deadline, "{} never reported {want:?} (last: {got:?})", site.ctl_ep());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Nodes and `n` clients streaming requests (2 in flight each) until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Stream>>,
    /// Completion times of every answer, all clients.
    answered: Arc<Mutex<Vec<(Instant, Instant)>>>,
    _nodes: (OpNode, OpNode, CalcNode),
}

#[derive(Debug, Default)]
struct Stream {
    ok: u64,
    wrong: u64,
    failed: Vec<String>,
    duplicates: u64,
}

fn expected(a: &str, b: &str) -> String {
    wire::hypot(&Number::parse(a.as_bytes()).unwrap(), &Number::parse(b.as_bytes()).unwrap()).unwrap()
}

impl Load {
    fn start(brokers: Vec<BrokerAddr>, n: usize) -> Load {
        let op = |lane| OpNode::start(OpConfig::new(brokers.clone(), lane), Operation::Square).unwrap();
        let nodes = (op(1), op(2), CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let threads = (0..n)
            .map(|i| {
                let (stop, answered) = (stop.clone(), answered.clone());
                let mut c =
                    Client::new(ClientConfig { brokers: brokers.clone(), timeout: Duration::from_secs(10), ..Default::default() }).unwrap();
                std::thread::spawn(move || {
                    let mut s = Stream::default();
                    let mut want = std::collections::HashMap::new();
                    let mut seen = HashSet::new();
                    let mut k = 0u64;
                    while !stop.load(Ordering::Relaxed) || !want.is_empty() {
                        while want.len() < 2 && !stop.load(Ordering::Relaxed) {
                            k += 1;
                            let (a, b) = ((i as u64 * 100_000 + k).to_string(), (k % 97 + 1).to_string());
                            let id = c.submit(&a, &b).unwrap();
                            want.insert(id, (expected(&a, &b), Instant::now()));
                        }
                        if let Some((id, r)) = c.next(200).unwrap() {
                            if !seen.insert(id) {
                                s.duplicates += 1;
                                continue;
                            }
                            let (w, sent) = want.remove(&id).expect("answer to a request of ours");
                            match r {
                                Ok(v) if v == w => {
                                    s.ok += 1;
                                    answered.lock().unwrap().push((sent, Instant::now()));
                                }
                                Ok(_) => s.wrong += 1,
                                Err(e) => s.failed.push(e.to_string()),
                            }
                        }
                    }
                    // Nothing more may arrive for this client.
                    while let Some((id, _)) = c.next(100).unwrap() {
                        if !seen.insert(id) {
                            s.duplicates += 1;
                        }
                    }
                    s
                })
            })
            .collect();
        Load { stop, threads, answered, _nodes: nodes }
    }

    fn answers(&self) -> usize {
        self.answered.lock().unwrap().len()
    }

    /// Wait until `n` more answers have arrived (bounded).
    fn wait_more(&self, n: usize) {
        let target = self.answers() + n;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.answers() < target {
            assert!(Instant::now() < deadline, "requests stopped flowing ({} answers)", self.answers());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Time from `t` to the first answer of a request sent after `t`.
    fn gap_after(&self, t: Instant) -> Option<Duration> {
        self.answered.lock().unwrap().iter().filter(|(sent, _)| *sent >= t).map(|(_, done)| *done - t).min()
    }

    fn finish(self) -> Vec<Stream> {
        self.stop.store(true, Ordering::Relaxed);
        self.threads.into_iter().map(|t| t.join().unwrap()).collect()
    }
}

fn assert_clean(streams: &[Stream]) {
    for (i, s) in streams.iter().enumerate() {
        assert!(s.ok > 0, "client {i} got no answer");
        assert_eq!(s.wrong, 0, "client {i}: wrong answers");
        assert!(s.failed.is_empty(), "client {i}: lost requests: {:?}", s.failed);
        assert_eq!(s.duplicates, 0, "client {i}: duplicates delivered");
    }
}

#[test]
fn sigkill_primary_under_load_then_restart_and_handback() {
    let (p, b) = (Site::local(), Site::local());
    let hb = |s: &Site| format!("tcp://127.0.0.1:{}", s.hb);
    let mut primary = broker("primary", &p, &hb(&b), None);
    let _backup = broker("backup", &b, &hb(&p), None);
    wait_status(&p, "primary active");
    wait_status(&b, "backup passive");

    let load = Load::start(vec![p.addr(), b.addr()], 4);
    load.wait_more(200);

    // SIGKILL the primary in the middle of the stream.
    let killed = Instant::now();
    primary.sigkill();
    wait_status(&b, "backup active");
    load.wait_more(200);
    let gap = load.gap_after(killed).expect("answers after the kill");
    eprintln!("failover gap: {} ms (heartbeat {HB_MS} ms, 3 misses)", gap.as_millis());
    assert!(gap < Duration::from_millis(3 * 3 * HB_MS), "gap {gap:?} is over 3 heartbeat time-outs");

    // The primary comes back: it stays passive; traffic keeps flowing.
    let _primary = broker("primary", &p, &hb(&b), None);
    std::thread::sleep(Duration::from_millis(HB_MS * 8)); // let it hear the backup and decide
    wait_status(&p, "primary passive");
    wait_status(&b, "backup active");
    load.wait_more(200);

    // Explicit hand-back with the CLI: traffic moves back, nothing lost.
    let out = Command::new(BIN).args(["ctl", &b.ctl_ep(), "handback"]).output().unwrap();
    assert!(out.status.success(), "handback: {}", String::from_utf8_lossy(&out.stderr));
    wait_status(&p, "primary active");
    wait_status(&b, "backup passive");
    load.wait_more(200);
    assert_clean(&load.finish());
}

#[test]
fn backup_death_changes_nothing() {
    let (p, b) = (Site::local(), Site::local());
    let hb = |s: &Site| format!("tcp://127.0.0.1:{}", s.hb);
    let _primary = broker("primary", &p, &hb(&b), None);
    let mut backup = broker("backup", &b, &hb(&p), None);
    wait_status(&p, "primary active");
    wait_status(&b, "backup passive");
    let load = Load::start(vec![p.addr(), b.addr()], 4);
    load.wait_more(100);
    backup.sigkill();
    load.wait_more(300);
    wait_status(&p, "primary active");
    assert_clean(&load.finish());
}

/// Runs `ip ARGS...`, panicking with its stderr on failure.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(out.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// Two namespaces, one per broker, each linked to this (root) namespace for
/// the nodes and clients, and linked to each other directly for heartbeats.
/// Removed on drop.
struct Netns {
    a: String,
    b: String,
}

impl Netns {
    fn try_new() -> Option<Netns> {
        let tag = format!("hb{}", std::process::id() % 100_000);
        let (a, b) = (format!("{tag}a"), format!("{tag}b"));
        // Leftovers of an earlier run that died with the same PID: remove them.
        for ns in [&a, &b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).stderr(Stdio::null()).status();
        }
        if !Command::new("ip").args(["netns", "add", &a]).status().map(|s| s.success()).unwrap_or(false) {
            return None;
        }
        let n = Netns { a: a.clone(), b: b.clone() };
        ip(&["netns", "add", &b]);
        // A unique /24 per test run, inside the namespaces this test made.
        let net = 200 + (std::process::id() % 50);
        let (ra, rb, ab) = (format!("{tag}ra"), format!("{tag}rb"), format!("{tag}ab"));
        ip(&["link", "add", &ra, "type", "veth", "peer", "name", "eth0", "netns", &a]);
        ip(&["link", "add", &rb, "type", "veth", "peer", "name", "eth0", "netns", &b]);
        ip(&["-n", &a, "link", "add", &ab, "type", "veth", "peer", "name", "peer0", "netns", &b]);
        let addr = |x: u32, y: u32| format!("10.{net}.{x}.{y}/24");
        ip(&["addr", "add", &addr(1, 1), "dev", &ra]);
        ip(&["addr", "add", &addr(2, 1), "dev", &rb]);
        ip(&["-n", &a, "addr", "add", &addr(1, 2), "dev", "eth0"]);
        ip(&["-n", &b, "addr", "add", &addr(2, 2), "dev", "eth0"]);
        ip(&["-n", &a, "addr", "add", &addr(3, 1), "dev", &ab]);
        ip(&["-n", &b, "addr", "add", &addr(3, 2), "dev", "peer0"]);
        for (ns, devs) in [(&a, vec!["lo", "eth0", ab.as_str()]), (&b, vec!["lo", "eth0", "peer0"])] {
            for d in devs {
                ip(&["-n", ns, "link", "set", d, "up"]);
            }
        }
        ip(&["link", "set", &ra, "up"]);
        ip(&["link", "set", &rb, "up"]);
        Some(n)
    }

    fn net(&self) -> u32 {
        200 + (std::process::id() % 50)
    }

    /// Cut (or restore) only the link between the two brokers.
    fn partition(&self, cut: bool) {
        let tag = &self.a[..self.a.len() - 1];
        ip(&["-n", &self.a, "link", "set", &format!("{tag}ab"), if cut { "down" } else { "up" }]);
        ip(&["-n", &self.b, "link", "set", "peer0", if cut { "down" } else { "up" }]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting a namespace removes its veth ends and their peers.
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

#[test]
fn partition_between_brokers_only() {
    let Some(ns) = Netns::try_new() else {
        // scripts/test-all.sh sets this when it runs as root: there the test must run.
        assert!(std::env::var_os("HYPOBUS_REQUIRE_NETNS").is_none(), "cannot create network namespaces (needs root and iproute2)");
        eprintln!("SKIPPED: cannot create network namespaces here (needs root and iproute2)");
        return;
    };
    let n = ns.net();
    let site = |x: u32| Site { host: format!("10.{n}.{x}.2"), xsub: 5555, xpub: 5556, hb: 5560, ctl: 5561 };
    let (p, b) = (site(1), site(2));
    // Heartbeats go over the direct link between the namespaces.
    let _primary = broker("primary", &p, &format!("tcp://10.{n}.3.2:5560"), Some(&ns.a));
    let _backup = broker("backup", &b, &format!("tcp://10.{n}.3.1:5560"), Some(&ns.b));
    wait_status(&p, "primary active");
    wait_status(&b, "backup passive");
    let load = Load::start(vec![p.addr(), b.addr()], 4);
    load.wait_more(100);

    // Cut only the brokers' link: each thinks the other is dead. The backup
    // takes over while the primary keeps forwarding (both are reachable by
    // the nodes): messages travel twice, and tags keep the application's
    // view single.
    ns.partition(true);
    wait_status(&b, "backup active");
    wait_status(&p, "primary active");
    load.wait_more(300);

    // Heal: the backup hears an active primary and yields; one forwarder again.
    ns.partition(false);
    wait_status(&b, "backup passive");
    wait_status(&p, "primary active");
    load.wait_more(200);
    assert_clean(&load.finish());
}
