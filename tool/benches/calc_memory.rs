//! `cargo bench --bench calc_memory`: what each lab role's memory does
//! under a sustained flood, measured on real processes.
//!
//! Starts `hypobus broker`, `op --lane 1`, `op --lane 2` and `calc` as
//! processes on loopback, then HB_MEM_CLIENTS (6) client threads of this
//! process each send HB_MEM_REQUESTS (200 000) requests with HB_MEM_WINDOW
//! (512) in flight, every one with new catheti (a new tag each). Samples
//! each role's resident memory (VmRSS) every 250 ms and prints a Markdown
//! table: the rate, and per role its memory at the start, its peak, and at
//! the end of the flood. The calc node remembers each answered tag (so a
//! resend is answered again, never computed twice): this shows what that
//! costs per request.
//!
//! HB_BIN runs another `hypobus` executable (e.g. one built from an older
//! commit) for a side-by-side comparison.

use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::client::{Client, ClientConfig, Mode};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// HB_BIN, else `<target>/release/hypobus` next to this bench (built if missing).
fn hypobus_exe() -> PathBuf {
    if let Ok(p) = std::env::var("HB_BIN") {
        return p.into();
    }
    if let Some(p) = option_env!("CARGO_BIN_EXE_hypobus") {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    let me = std::env::current_exe().expect("current_exe");
    let exe = me.parent().and_then(Path::parent).expect("target dir").join("hypobus");
    if !exe.exists() {
        let ok = Command::new(env!("CARGO"))
            .args(["build", "--release", "--bin", "hypobus"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok && exe.exists(), "could not build {}", exe.display());
    }
    exe
}

/// A role process, ended (SIGTERM, then SIGKILL) when dropped.
struct Role {
    name: &'static str,
    child: Child,
}

impl Role {
    fn start(exe: &Path, name: &'static str, args: &[String]) -> Role {
        let child = Command::new(exe)
            .args(args)
            .arg("--quiet")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("HB_MEM_STDERR").is_some() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Role { name, child }
    }

    /// Resident memory in KiB (VmRSS), `None` once the process is gone.
    fn rss_kib(&self) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        s.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        // SAFETY: signals our own child by its PID.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn main() {
    let (clients, per_client, window) = (env("HB_MEM_CLIENTS", 6), env("HB_MEM_REQUESTS", 200_000), env("HB_MEM_WINDOW", 512) as usize);
    let exe = hypobus_exe();
    let port = |what| hypobus::sys::ctx::free_port().unwrap_or_else(|e| panic!("a free port for {what}: {e}"));
    let (xsub, xpub) = (port("xsub"), port("xpub"));
    let list = format!("127.0.0.1:{xsub}:{xpub}");
    let mut roles = vec![Role::start(
        &exe,
        "broker",
        &["broker", "--xsub", &format!("tcp://127.0.0.1:{xsub}"), "--xpub", &format!("tcp://127.0.0.1:{xpub}"), "--no-hb"]
            .map(String::from),
    )];
    for lane in ["1", "2"] {
        roles.push(Role::start(
            &exe,
            if lane == "1" { "op 1" } else { "op 2" },
            &["op", "--lane", lane, "--broker", &list].map(String::from),
        ));
    }
    roles.push(Role::start(&exe, "calc", &["calc", "--broker", &list].map(String::from)));

    // Every role up: one answer through the whole lab (bounded).
    let addr = BrokerAddr::parse(&list).expect("broker list");
    let cfg = ClientConfig { brokers: vec![addr], mode: Mode::Tagged, window, ..Default::default() };
    let mut probe = Client::new(cfg.clone()).expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    while probe.hypot("12", "13").is_err() {
        assert!(Instant::now() < deadline, "the lab did not answer within 20 s");
    }
    let start: Vec<u64> = roles.iter().map(|r| r.rss_kib().unwrap_or(0)).collect();

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|k| {
            let (cfg, done, errors) = (cfg.clone(), done.clone(), errors.clone());
            std::thread::spawn(move || {
                let mut c = Client::new(cfg).expect("client");
                let (mut sent, mut answered, mut in_flight) = (0u64, 0u64, 0usize);
                while answered < per_client {
                    while sent < per_client && in_flight < window {
                        // New catheti each time: every request is a new tag and a new answer.
                        c.submit(&format!("{}.{}", k + 1, sent), "13").expect("submit");
                        sent += 1;
                        in_flight += 1;
                    }
                    match c.next(10_000).expect("next") {
                        Some((_, r)) => {
                            if r.is_err() {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            answered += 1;
                            in_flight -= 1;
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        None => panic!("client {k} stalled with {in_flight} in flight"),
                    }
                }
            })
        })
        .collect();

    let mut peak = start.clone();
    let mut rows = Vec::new();
    let mut next_row = Instant::now() + Duration::from_secs(5);
    let mut last = (Instant::now(), 0u64);
    while threads.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(Duration::from_millis(250));
        let now: Vec<u64> = roles.iter().map(|r| r.rss_kib().unwrap_or(0)).collect();
        for (p, n) in peak.iter_mut().zip(&now) {
            *p = (*p).max(*n);
        }
        if Instant::now() >= next_row {
            let d = done.load(Ordering::Relaxed);
            let rate = (d - last.1) as f64 / last.0.elapsed().as_secs_f64();
            rows.push((t.elapsed().as_secs(), d, rate, now[3]));
            last = (Instant::now(), d);
            next_row += Duration::from_secs(5);
        }
    }
    for h in threads {
        h.join().expect("a client thread panicked");
    }
    let took = t.elapsed();
    let end: Vec<u64> = roles.iter().map(|r| r.rss_kib().unwrap_or(0)).collect();
    let total = done.load(Ordering::Relaxed);

    println!(
        "\n`cargo bench --bench calc_memory` ({}; {clients} clients × {per_client} requests, {window} in flight each)\n",
        exe.display()
    );
    println!(
        "{total} requests in {:.1} s: {:.0} req/s, {} errors\n",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    println!("| time | answered | req/s (last 5 s) | calc RSS |\n|---|---|---|---|");
    for (s, d, rate, calc) in rows {
        println!("| {s} s | {d} | {rate:.0} | {} |", mib(calc));
    }
    println!("\n| role | RSS at start | peak | at the end |\n|---|---|---|---|");
    for (i, r) in roles.iter().enumerate() {
        println!("| {} | {} | {} | {} |", r.name, mib(start[i]), mib(peak[i]), mib(end[i]));
    }
    let grown = peak[3].saturating_sub(start[3]) as f64 * 1024.0;
    println!("\ncalc: {:.0} bytes of peak growth per request answered", grown / total.max(1) as f64);
    drop(roles);
}
