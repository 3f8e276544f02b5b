//! `hypobus-soak [SECONDS] [--seed N]`: the chaos soak (`scripts/soak.sh`).
//!
//! Runs the whole lab as `hypobus` processes — a failover broker pair
//! (primary + backup), the calc node, the op nodes of lanes 1 and 2 — and a
//! task broker journaling to SQLite with two workers, under 4 streaming lab
//! clients (`hypobus::lab::client::Client`) and 4 streaming task clients
//! (`hypobus::task::client::TaskClient`) in this process, so every resend
//! is the library's own. Every 2–5 s (seeded, the seed is printed) one role,
//! picked at random among all of them, is SIGKILLed and restarted with the
//! same arguments, or SIGSTOPped and SIGCONTed, after 0.2–1.5 s down. The
//! resident memory (VmRSS) of every role is sampled every 250 ms.
//!
//! At the end it prints what was accepted, answered right, wrong, lost and
//! doubled (definitions in `docs/RELIABILITY.md`, "Chaos soak"), the p99
//! latency of requests in flight during a fault, each role's peak and final
//! RSS, and the faults. Exit status 1 when anything was wrong, lost or
//! doubled, or a role could not be run.
//!
//! Every process it starts is ended by its PID (SIGCONT, then SIGKILL) at
//! the end, on SIGINT/SIGTERM and when it panics; every wait is bounded.

use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::client::{Client, ClientConfig};
use hypobus::task::client::{Outcome, TaskClient, TaskClientConfig};
use hypobus::wire::{self, Number};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

// ------------------------------------------------------------------ options

struct Opts {
    seconds: u64,
    seed: u64,
    /// Requests per second of each lab client / each task client.
    lab_rate: f64,
    task_rate: f64,
    /// At most this many requests of one client in flight.
    window: usize,
    /// A lab request's lifetime; a task request's tries × 1 s.
    lifetime: Duration,
    hb_ms: u64,
    dir: PathBuf,
    exe: PathBuf,
}

const USAGE: &str = "usage: hypobus-soak [SECONDS] [--seed N] [--lab-rate R] [--task-rate R] [--window N]
                    [--lifetime-ms N] [--hb-ms N] [--dir DIR] [--hypobus EXE]

  SECONDS          how long faults are injected (default 60)
  --seed N         the fault schedule's seed (default: from the clock; printed)
  --lab-rate R     requests/s of each of the 4 lab clients (default 200)
  --task-rate R    requests/s of each of the 4 task clients (default 100)
  --window N       most requests one client has in flight (default 32)
  --lifetime-ms N  a request's lifetime: the lab client's time-out, the task
                   client's tries x 1000 ms (default 20000)
  --hb-ms N        heartbeats of the brokers and workers (default 100)
  --dir DIR        logs and the SQLite journal (default /tmp/hb-soak-PID)
  --hypobus EXE    the hypobus binary (default: next to this one)";

fn parse_opts() -> Result<Opts, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut o = Opts {
        seconds: 60,
        seed: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) % 1_000_000_007,
        lab_rate: 200.0,
        task_rate: 100.0,
        window: 32,
        lifetime: Duration::from_secs(20),
        hb_ms: 100,
        dir: std::env::temp_dir().join(format!("hb-soak-{}", std::process::id())),
        exe: me.with_file_name("hypobus"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--seed" => o.seed = val("--seed")?.parse().map_err(|_| "--seed: a number")?,
            "--lab-rate" => o.lab_rate = val("--lab-rate")?.parse().map_err(|_| "--lab-rate: a number")?,
            "--task-rate" => o.task_rate = val("--task-rate")?.parse().map_err(|_| "--task-rate: a number")?,
            "--window" => o.window = val("--window")?.parse().map_err(|_| "--window: a number")?,
            "--lifetime-ms" => o.lifetime = Duration::from_millis(val("--lifetime-ms")?.parse().map_err(|_| "--lifetime-ms: a number")?),
            "--hb-ms" => o.hb_ms = val("--hb-ms")?.parse().map_err(|_| "--hb-ms: a number")?,
            "--dir" => o.dir = val("--dir")?.into(),
            "--hypobus" => o.exe = val("--hypobus")?.into(),
            s if !s.starts_with('-') => o.seconds = s.parse().map_err(|_| format!("SECONDS: not a number: {s}"))?,
            s => return Err(format!("unknown option {s}")),
        }
    }
    if o.window == 0 || o.lab_rate <= 0.0 || o.task_rate <= 0.0 || o.hb_ms == 0 {
        return Err("--window, --lab-rate, --task-rate and --hb-ms must be > 0".into());
    }
    Ok(o)
}

// ------------------------------------------------------------------ random numbers

/// splitmix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

// ------------------------------------------------------------------ roles as processes

/// One role: its arguments (the same at every restart) and its process.
struct Role {
    name: String,
    args: Vec<String>,
    child: Option<Child>,
    /// Start time of each incarnation (process), in order.
    starts: Vec<Instant>,
    /// (incarnation, time, VmRSS in kB).
    rss: Vec<(usize, Instant, u64)>,
    kills: u32,
    stops: u32,
    /// Exits nobody asked for (a crash).
    died: Vec<String>,
    stopped: bool,
}

impl Role {
    fn pid(&self) -> Option<i32> {
        self.child.as_ref().map(|c| c.id() as i32)
    }

    fn spawn(&mut self, exe: &Path, dir: &Path) -> std::io::Result<()> {
        let n = self.starts.len();
        let out = File::create(dir.join(format!("{}.{n}.out", self.name)))?;
        let err = File::create(dir.join(format!("{}.{n}.err", self.name)))?;
        let child = Command::new(exe).args(&self.args).stdin(Stdio::null()).stdout(out).stderr(err).spawn()?;
        self.child = Some(child);
        self.starts.push(Instant::now());
        self.stopped = false;
        Ok(())
    }

    fn signal(&self, sig: i32) {
        if let Some(pid) = self.pid() {
            // SAFETY: kill(2) on the PID of our own child, not yet reaped.
            unsafe { libc::kill(pid, sig) };
        }
    }

    /// SIGKILL (it ends a stopped process too), SIGCONT, reap: bounded, as
    /// SIGKILL cannot be caught.
    fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        self.signal(libc::SIGCONT);
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
        self.stopped = false;
    }

    /// Did it exit by itself? Then say how (and forget the process).
    fn exited(&mut self) -> Option<String> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        Some(format!("{status}"))
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Kills every role by its PID when `run` ends in any way (an error, a
/// panic), even while the sampler thread still holds the roles.
struct KillAll(Arc<Mutex<Vec<Role>>>);

impl Drop for KillAll {
    fn drop(&mut self) {
        for r in self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter_mut() {
            r.kill();
        }
    }
}

/// A request on a failover broker's control socket; `None` without an answer in 500 ms.
fn ctl(ep: &str, cmd: &str) -> Option<String> {
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REQ).ok()?;
    s.set_linger(0).ok()?;
    s.connect(ep).ok()?;
    s.send(cmd, 0).ok()?;
    (s.poll(zmq::POLLIN, 500).ok()? > 0).then(|| s.recv_string(0).ok()?.ok())?
}

fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) -> Result<(), String> {
    let until = Instant::now() + within;
    while !ok() {
        if Instant::now() >= until || interrupted() {
            return Err(format!("{what}: not within {within:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn port() -> u16 {
    hypobus::sys::ctx::free_port().expect("a free TCP port")
}

fn vm_rss_kb(pid: i32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

// ------------------------------------------------------------------ streaming clients

/// What one client saw.
#[derive(Default)]
struct Tally {
    accepted: u64,
    refused: u64,
    right: u64,
    wrong: u64,
    /// Failed outcomes (errors, time-outs, gave up) and requests without an outcome at the end.
    lost: u64,
    /// Outcomes delivered a second time (or for an id never submitted).
    doubled: u64,
    /// (submitted, answered) of every right answer.
    latencies: Vec<(Instant, Instant)>,
    /// The client library's own counters: resends, and copies of answers it dropped.
    resent: u64,
    dropped: u64,
    /// Requests without an outcome when the run was interrupted (not counted as lost).
    cut: u64,
    /// A few examples of what went wrong.
    notes: Vec<String>,
}

impl Tally {
    fn note(&mut self, s: String) {
        if self.notes.len() < 5 {
            self.notes.push(s);
        }
    }
    fn add(&mut self, o: Tally) {
        self.accepted += o.accepted;
        self.refused += o.refused;
        self.right += o.right;
        self.wrong += o.wrong;
        self.lost += o.lost;
        self.doubled += o.doubled;
        self.resent += o.resent;
        self.dropped += o.dropped;
        self.cut += o.cut;
        self.latencies.extend(o.latencies);
        for n in o.notes {
            self.note(n);
        }
    }
}

/// Paces submissions: how many may have been sent by now at `rate`/s.
fn due(t0: Instant, rate: f64) -> u64 {
    (t0.elapsed().as_secs_f64() * rate) as u64
}

fn lab_client(i: usize, brokers: Vec<BrokerAddr>, o: &Opts, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Tally> {
    let (rate, window, lifetime) = (o.lab_rate, o.window, o.lifetime);
    let mut c = Client::new(ClientConfig { brokers, timeout: lifetime, ..Default::default() }).expect("lab client");
    std::thread::spawn(move || {
        let mut t = Tally::default();
        let mut want: HashMap<u64, (String, Instant)> = HashMap::new();
        let mut done: HashSet<u64> = HashSet::new();
        let t0 = Instant::now();
        let mut k: u64 = 0;
        let mut on = |t: &mut Tally, want: &mut HashMap<u64, (String, Instant)>, (id, r): hypobus::lab::client::Completion| {
            if !done.insert(id) {
                t.doubled += 1;
                t.note(format!("lab client {i}: request {id} answered twice"));
                return;
            }
            let Some((w, sent)) = want.remove(&id) else {
                t.doubled += 1;
                t.note(format!("lab client {i}: an answer for request {id}, never submitted"));
                return;
            };
            match r {
                Ok(v) if v == w => {
                    t.right += 1;
                    t.latencies.push((sent, Instant::now()));
                }
                Ok(v) => {
                    t.wrong += 1;
                    t.note(format!("lab client {i}: request {id}: {v}, want {w}"));
                }
                Err(e) => {
                    t.lost += 1;
                    t.note(format!("lab client {i}: request {id} failed after {:?}: {e}", sent.elapsed()));
                }
            }
        };
        while !stop.load(Ordering::Relaxed) {
            while want.len() < window && k < due(t0, rate) {
                k += 1;
                let (a, b) = ((i as u64 * 1_000_000_000 + k).to_string(), (k % 997 + 1).to_string());
                let w = wire::hypot(&Number::parse(a.as_bytes()).unwrap(), &Number::parse(b.as_bytes()).unwrap()).unwrap();
                match c.submit(&a, &b) {
                    Ok(id) => {
                        t.accepted += 1;
                        want.insert(id, (w, Instant::now()));
                    }
                    Err(e) => {
                        t.refused += 1;
                        t.note(format!("lab client {i}: submit refused: {e}"));
                    }
                }
            }
            match c.next(5) {
                Ok(Some(done)) => on(&mut t, &mut want, done),
                Ok(None) => {}
                Err(e) => t.note(format!("lab client {i}: next: {e}")),
            }
        }
        // Drain: every request ends within its lifetime.
        let until = Instant::now() + lifetime + Duration::from_secs(5);
        while !want.is_empty() && Instant::now() < until && !interrupted() {
            if let Ok(Some(done)) = c.next(100) {
                on(&mut t, &mut want, done);
            }
        }
        // Anything more now is a second delivery.
        while let Ok(Some(done)) = c.next(500) {
            on(&mut t, &mut want, done);
        }
        if interrupted() {
            t.cut += want.len() as u64;
        } else if !want.is_empty() {
            t.lost += want.len() as u64;
            t.note(format!("lab client {i}: {} requests without an outcome at the end", want.len()));
        }
        let st = c.stats();
        (t.resent, t.dropped) = (st.resent, st.duplicates);
        t
    })
}

fn task_client(i: usize, frontend: String, tags: Vec<String>, o: &Opts, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Tally> {
    let (rate, window, lifetime) = (o.task_rate, o.window, o.lifetime);
    let mut cfg = TaskClientConfig::new(&frontend);
    cfg.timeout = Duration::from_millis(1000);
    cfg.tries = (lifetime.as_millis() / 1000).max(1) as u32;
    cfg.name = format!("soak{i}");
    let c = TaskClient::new(cfg).expect("task client");
    std::thread::spawn(move || {
        let mut t = Tally::default();
        let mut want: HashMap<String, (String, Instant)> = HashMap::new();
        let mut done: HashSet<String> = HashSet::new();
        let t0 = Instant::now();
        let mut k: u64 = 0;
        let on = |t: &mut Tally,
                  want: &mut HashMap<String, (String, Instant)>,
                  done: &mut HashSet<String>,
                  d: hypobus::task::client::Completion| {
            if !done.insert(d.id.clone()) {
                t.doubled += 1;
                t.note(format!("task client {i}: {} answered twice", d.id));
                return;
            }
            let Some((body, sent)) = want.remove(&d.id) else {
                t.doubled += 1;
                t.note(format!("task client {i}: an answer for {}, never submitted", d.id));
                return;
            };
            match d.outcome {
                Outcome::Ok(r) => {
                    let r = String::from_utf8_lossy(&r).into_owned();
                    let right = r.split_once(':').is_some_and(|(tag, b)| b == body && tags.iter().any(|w| w == tag));
                    if right {
                        t.right += 1;
                        t.latencies.push((sent, Instant::now()));
                    } else {
                        t.wrong += 1;
                        t.note(format!("task client {i}: {}: {r:?}, want TAG:{body}", d.id));
                    }
                }
                other => {
                    t.lost += 1;
                    t.note(format!("task client {i}: {} after {:?}: {other:?}", d.id, sent.elapsed()));
                }
            }
        };
        while !stop.load(Ordering::Relaxed) {
            while want.len() < window && k < due(t0, rate) {
                k += 1;
                let body = format!("c{i}n{k}");
                match c.submit("", body.as_bytes()) {
                    Ok(id) => {
                        t.accepted += 1;
                        want.insert(id, (body, Instant::now()));
                    }
                    Err(e) => {
                        t.refused += 1;
                        t.note(format!("task client {i}: submit refused: {e}"));
                    }
                }
            }
            if let Some(d) = c.next(Duration::from_millis(5)) {
                on(&mut t, &mut want, &mut done, d);
            }
        }
        // Drain: a request gives up after tries x 1 s without any answer.
        let until = Instant::now() + lifetime + Duration::from_secs(10);
        while !want.is_empty() && Instant::now() < until && !interrupted() {
            if let Some(d) = c.next(Duration::from_millis(100)) {
                on(&mut t, &mut want, &mut done, d);
            }
        }
        while let Some(d) = c.next(Duration::from_millis(500)) {
            on(&mut t, &mut want, &mut done, d);
        }
        if interrupted() {
            t.cut += want.len() as u64;
        } else if !want.is_empty() {
            t.lost += want.len() as u64;
            t.note(format!("task client {i}: {} requests without an outcome at the end", want.len()));
        }
        let st = c.stats();
        (t.resent, t.dropped) = (st.resent, st.duplicates);
        t
    })
}

// ------------------------------------------------------------------ the soak

#[derive(Clone, Copy, PartialEq)]
enum Action {
    Kill,
    Stop,
}

struct Fault {
    at: Instant,
    action: Action,
    /// When the role was back (restarted, or SIGCONT).
    back: Instant,
}

fn percentile(v: &mut [Duration], p: f64) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    Some(v[i])
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.0}", d.as_secs_f64() * 1000.0))
}

fn mb(kb: u64) -> String {
    format!("{:.1}", kb as f64 / 1024.0)
}

fn main() {
    let o = match parse_opts() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("hypobus-soak: {e}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores an atomic.
        unsafe { libc::signal(sig, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    }
    match run(&o) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("hypobus-soak: {e}");
            std::process::exit(1);
        }
    }
}

fn run(o: &Opts) -> Result<bool, String> {
    if !o.exe.exists() {
        return Err(format!("{} is missing (cargo build --release -p hypobus-tool)", o.exe.display()));
    }
    std::fs::create_dir_all(&o.dir).map_err(|e| format!("{}: {e}", o.dir.display()))?;
    println!("chaos soak: {} s of faults, seed {}, logs in {}", o.seconds, o.seed, o.dir.display());
    let mut rng = Rng(o.seed);
    let hb = o.hb_ms.to_string();

    // Ports (the same for every restart).
    let (p, b) = ([port(), port(), port(), port()], [port(), port(), port(), port()]);
    let (fe, be) = (port(), port());
    let tcp = |p: u16| format!("tcp://127.0.0.1:{p}");
    let brokers = vec![BrokerAddr::new("127.0.0.1", p[0], p[1]), BrokerAddr::new("127.0.0.1", b[0], b[1])];
    let list = format!("127.0.0.1:{}:{},127.0.0.1:{}:{}", p[0], p[1], b[0], b[1]);
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let broker_args = |role: &str, me: &[u16; 4], peer: &[u16; 4]| {
        s(&[
            "broker",
            "--role",
            role,
            "--xsub",
            &tcp(me[0]),
            "--xpub",
            &tcp(me[1]),
            "--hb",
            &tcp(me[2]),
            "--ctl",
            &tcp(me[3]),
            "--peer-hb",
            &tcp(peer[2]),
            "--hb-interval-ms",
            &hb,
        ])
    };
    let db = o.dir.join("tasks.db");
    let _ = std::fs::remove_file(&db);
    let tags: Vec<String> = (1..=2).map(|i| format!("w{i}")).collect();
    let mut specs: Vec<(String, Vec<String>)> = vec![
        ("primary".into(), broker_args("primary", &p, &b)),
        ("backup".into(), broker_args("backup", &b, &p)),
        ("calc".into(), s(&["calc", "--broker", &list])),
        ("op1".into(), s(&["op", "--lane", "1", "--broker", &list])),
        ("op2".into(), s(&["op", "--lane", "2", "--broker", &list])),
        (
            "task-broker".into(),
            s(&[
                "task-broker",
                "--frontend",
                &tcp(fe),
                "--backend",
                &tcp(be),
                "--db",
                db.to_str().unwrap(),
                "--hb-interval-ms",
                &hb,
                "--answer-timeout-ms",
                "2000",
                "--max-attempts",
                "20",
                "--name",
                "soak",
            ]),
        ),
    ];
    for tag in &tags {
        specs.push((
            tag.clone(),
            s(&["worker", "--broker", &tcp(be), "--threads", "2", "--delay-ms", "2", "--hb-interval-ms", &hb, "--tag", tag, "--name", tag]),
        ));
    }
    let roles: Arc<Mutex<Vec<Role>>> = Arc::new(Mutex::new(
        specs
            .into_iter()
            .map(|(name, args)| Role {
                name,
                args,
                child: None,
                starts: vec![],
                rss: vec![],
                kills: 0,
                stops: 0,
                died: vec![],
                stopped: false,
            })
            .collect(),
    ));
    let _kill_all = KillAll(roles.clone());
    let started = Instant::now();
    for r in roles.lock().unwrap().iter_mut() {
        r.spawn(&o.exe, &o.dir).map_err(|e| format!("spawn {}: {e}", r.name))?;
    }
    println!("roles: {}", {
        let rs = roles.lock().unwrap();
        rs.iter().map(|r| format!("{}={}", r.name, r.pid().unwrap_or(0))).collect::<Vec<_>>().join(" ")
    });
    wait_for("the primary active", Duration::from_secs(15), || ctl(&tcp(p[3]), "status").as_deref() == Some("primary active"))?;
    wait_for("the backup passive", Duration::from_secs(15), || ctl(&tcp(b[3]), "status").as_deref() == Some("backup passive"))?;
    let ready = o.dir.join("task-broker.0.out");
    wait_for("the task broker ready", Duration::from_secs(15), || {
        std::fs::read_to_string(&ready).is_ok_and(|s| s.contains("task-broker ready:"))
    })?;

    // Memory: every role every 250 ms.
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (roles, sampling) = (roles.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                for r in roles.lock().unwrap().iter_mut() {
                    if let Some(kb) = r.pid().and_then(vm_rss_kb) {
                        let n = r.starts.len() - 1;
                        r.rss.push((n, Instant::now(), kb));
                    }
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };

    // Clients.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients: Vec<(&str, std::thread::JoinHandle<Tally>)> = Vec::new();
    for i in 0..4 {
        clients.push(("lab", lab_client(i, brokers.clone(), o, stop.clone())));
        clients.push(("task", task_client(i, tcp(fe), tags.clone(), o, stop.clone())));
    }
    println!(
        "4 lab clients x {} req/s, 4 task clients x {} req/s, at most {} in flight each, lifetime {:?}",
        o.lab_rate, o.task_rate, o.window, o.lifetime
    );

    // Faults.
    let faults_from = Instant::now();
    let end = faults_from + Duration::from_secs(o.seconds);
    let mut faults: Vec<Fault> = Vec::new();
    let mut next = faults_from + Duration::from_millis(rng.range(2000, 5000));
    let mut failure: Option<String> = None;
    let nroles = roles.lock().unwrap().len() as u64;
    let check_exits = |roles: &Arc<Mutex<Vec<Role>>>, failure: &mut Option<String>| {
        if interrupted() {
            return; // the roles got the signal too
        }
        for r in roles.lock().unwrap().iter_mut() {
            if let Some(how) = r.exited() {
                let t = faults_from.elapsed().as_secs_f64();
                println!("{t:7.1} s  {} exited by itself ({how}): restarted", r.name);
                r.died.push(format!("{t:.1} s: {how}"));
                if let Err(e) = r.spawn(&o.exe, &o.dir) {
                    *failure = Some(format!("restart {}: {e}", r.name));
                }
            }
        }
    };
    while Instant::now() < end && !interrupted() && failure.is_none() {
        if Instant::now() < next {
            check_exits(&roles, &mut failure);
            std::thread::sleep(Duration::from_millis(20).min(next.saturating_duration_since(Instant::now())));
            continue;
        }
        let at = Instant::now();
        next = at + Duration::from_millis(rng.range(2000, 5000));
        let idx = rng.range(0, nroles - 1) as usize;
        let action = if rng.next().is_multiple_of(2) { Action::Kill } else { Action::Stop };
        let down = Duration::from_millis(rng.range(200, 1500));
        let name = {
            let mut rs = roles.lock().unwrap();
            let r = &mut rs[idx];
            match action {
                Action::Kill => {
                    r.kill();
                    r.kills += 1;
                }
                Action::Stop => {
                    r.signal(libc::SIGSTOP);
                    r.stopped = true;
                    r.stops += 1;
                }
            }
            r.name.clone()
        };
        std::thread::sleep(down);
        {
            let mut rs = roles.lock().unwrap();
            let r = &mut rs[idx];
            match action {
                Action::Kill => {
                    if let Err(e) = r.spawn(&o.exe, &o.dir) {
                        failure = Some(format!("restart {}: {e}", r.name));
                    }
                }
                Action::Stop => {
                    r.signal(libc::SIGCONT);
                    r.stopped = false;
                }
            }
        }
        let back = Instant::now();
        println!(
            "{:7.1} s  {:<11} {} for {} ms",
            (at - faults_from).as_secs_f64(),
            name,
            if action == Action::Kill { "SIGKILL, restarted" } else { "SIGSTOP, SIGCONT" },
            (back - at).as_millis()
        );
        faults.push(Fault { at, action, back });
    }
    check_exits(&roles, &mut failure);
    let faults_end = Instant::now();
    if interrupted() {
        println!("interrupted: stopping the clients and every role");
    }

    // Stop submitting; let every accepted request end (bounded by its lifetime).
    stop.store(true, Ordering::Relaxed);
    let mut lab = Tally::default();
    let mut task = Tally::default();
    for (kind, h) in clients {
        let t = h.join().map_err(|_| "a client thread panicked".to_string())?;
        if kind == "lab" {
            lab.add(t);
        } else {
            task.add(t);
        }
    }
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let total_s = started.elapsed().as_secs_f64();
    let mut rs = std::mem::take(&mut *roles.lock().unwrap());
    for r in rs.iter_mut() {
        r.kill();
    }

    // ---------------------------------------------------------------- report
    let windows: Vec<(Instant, Instant)> = faults.iter().map(|f| (f.at, f.back)).collect();
    let in_fault = |(s, e): (Instant, Instant)| windows.iter().any(|(a, b)| s <= *b && e >= *a);
    let lat = |t: &Tally, during: bool| -> Vec<Duration> {
        t.latencies.iter().filter(|x| in_fault(**x) == during).map(|(s, e)| *e - *s).collect()
    };
    println!();
    println!(
        "Chaos soak: {} s of faults ({:.0} s in all with start-up and drain), seed {}, {} faults ({} SIGKILL + restart, {} SIGSTOP + SIGCONT)",
        (faults_end - faults_from).as_secs(),
        total_s,
        o.seed,
        faults.len(),
        faults.iter().filter(|f| f.action == Action::Kill).count(),
        faults.iter().filter(|f| f.action == Action::Stop).count()
    );
    println!();
    println!(
        "| clients | accepted | answered right | wrong | lost | answered twice | refused at submit | resends (library) | copies dropped (library) | p50 ms | p99 ms during faults | p99 ms outside faults | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut all = Tally::default();
    let row = |name: &str, t: &Tally| {
        let mut every: Vec<Duration> = t.latencies.iter().map(|(s, e)| *e - *s).collect();
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            t.accepted,
            t.right,
            t.wrong,
            t.lost,
            t.doubled,
            t.refused,
            t.resent,
            t.dropped,
            ms(percentile(&mut every, 0.5)),
            ms(percentile(&mut lat(t, true), 0.99)),
            ms(percentile(&mut lat(t, false), 0.99)),
            ms(every.iter().max().copied())
        );
    };
    row("4 lab clients", &lab);
    row("4 task clients", &task);
    let notes: Vec<String> = lab.notes.iter().chain(task.notes.iter()).cloned().collect();
    all.add(lab);
    all.add(task);
    row("all", &all);
    println!();
    println!(
        "| role | SIGKILL | SIGSTOP | processes | peak RSS MB, 1st minute | peak RSS MB after it | growth after the 1st minute | final RSS MB | growth of a process after its 1st minute (worst, lived >= 2 min) | exits nobody asked for |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut grew = Vec::new();
    let mut by_minute = Vec::new();
    let mut csv = String::from("role,process,ms,vmrss_kb\n");
    let minute = started + Duration::from_secs(60);
    for r in &rs {
        let warm = r.rss.iter().filter(|x| x.1 < minute).map(|x| x.2).max();
        let after = r.rss.iter().filter(|x| x.1 >= minute).map(|x| x.2).max();
        let last = r.rss.last().map(|x| x.2).unwrap_or(0);
        let role_growth = warm.zip(after).map(|(w, a)| a as f64 / w as f64 - 1.0);
        // Per process that lived 2 minutes or more: its RSS one minute after
        // its start, and its peak after that.
        let mut growth: Option<f64> = None;
        for (n, t0) in r.starts.iter().enumerate() {
            let mine: Vec<&(usize, Instant, u64)> = r.rss.iter().filter(|x| x.0 == n).collect();
            let Some(base) = mine.iter().find(|x| x.1 >= *t0 + Duration::from_secs(60)) else { continue };
            if mine.last().is_some_and(|x| x.1 >= *t0 + Duration::from_secs(120)) {
                let after = mine.iter().filter(|x| x.1 >= base.1).map(|x| x.2).max().unwrap_or(base.2);
                let g = after as f64 / base.2 as f64 - 1.0;
                growth = Some(growth.map_or(g, |x: f64| x.max(g)));
            }
        }
        if role_growth.is_some_and(|g| g > 0.10) || growth.is_some_and(|g| g > 0.10) {
            grew.push(r.name.clone());
        }
        let mut peaks: Vec<u64> = Vec::new();
        for x in &r.rss {
            let m = (x.1 - started).as_secs() as usize / 60;
            if peaks.len() <= m {
                peaks.resize(m + 1, 0);
            }
            peaks[m] = peaks[m].max(x.2);
            csv.push_str(&format!("{},{},{},{}\n", r.name, x.0, (x.1 - started).as_millis(), x.2));
        }
        by_minute.push(format!("{}: {}", r.name, peaks.iter().map(|k| mb(*k)).collect::<Vec<_>>().join(" ")));
        let pct = |g: f64| format!("{:+.1} %", g * 100.0);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.kills,
            r.stops,
            r.starts.len(),
            warm.map_or("-".into(), mb),
            after.map_or("-".into(), mb),
            role_growth.map_or("-".into(), pct),
            mb(last),
            growth.map_or("-".into(), pct),
            if r.died.is_empty() { "0".into() } else { r.died.join("; ") }
        );
    }
    println!();
    println!("peak RSS MB of each minute of the run, per role (every process of the role):");
    for l in &by_minute {
        println!("  {l}");
    }
    let _ = std::fs::write(o.dir.join("rss.csv"), csv);
    println!();
    println!(
        "accepted: submit returned an id; right: the one outcome delivered is the correct value; lost: the outcome was an error, time-out or \
         give-up, or none came within the request's lifetime ({:?}) plus the drain; answered twice: an outcome delivered to the application \
         again for an id already answered. During faults: requests in flight while a role was down or stopped.",
        o.lifetime
    );
    if all.cut > 0 {
        println!("interrupted: {} requests were still in flight (not counted as lost)", all.cut);
    }
    for n in &notes {
        println!("note: {n}");
    }
    let died = rs.iter().any(|r| !r.died.is_empty());
    drop(rs);
    if let Some(f) = &failure {
        println!("FAILED: {f}");
    }
    if interrupted() {
        println!("FAILED: interrupted");
    }
    let bad = all.wrong + all.lost + all.doubled;
    if bad > 0 {
        println!("FAILED: {} wrong, {} lost, {} answered twice", all.wrong, all.lost, all.doubled);
    }
    if !grew.is_empty() {
        println!("memory: RSS grew by more than 10 % after the first minute: {}", grew.join(", "));
    }
    if died {
        println!("FAILED: a role exited by itself");
    }
    Ok(bad == 0 && failure.is_none() && !interrupted() && !died && all.right > 0)
}
