//! `cargo bench --bench burst`: 10 000 requests submitted at once by one
//! client, answered by the whole lab in this process (broker, two operation
//! nodes, calc node), with the client's window of requests on the wire set
//! to 256 (the default), 64, 1024 and unbounded; beside it the unbounded
//! window with a fixed 100 ms resend timer (about the pre-1.0 client) and an
//! application that keeps 256 requests in flight itself. Prints a Markdown
//! table: the median run (by wall time) of each row.
//!
//! Env vars: HB_BURST_N (requests per burst, default 10000), HB_BURST_RUNS
//! (runs per row, default 3), HB_BURST_ONLY (run only the rows whose
//! "<transport> <client>" contains this text, e.g. `TCP window 256`).

use hypobus::lab::client::{Client, ClientConfig, Mode};
use hypobus::lab::{Lab, LabConfig};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Clone, Copy)]
struct Setup {
    name: &'static str,
    window: usize,
    /// Fixed resend timer (retry = max_retry).
    fixed_timer: Option<Duration>,
    /// The application keeps at most this many submitted and unanswered.
    app_window: Option<usize>,
}

#[derive(Default, Clone)]
struct Run {
    wall: Duration,
    p50: Duration,
    p99: Duration,
    resent: u64,
    duplicates: u64,
    calc_duplicates: u64,
    failed: u64,
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len().saturating_sub(1)) as f64 * p).round() as usize).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn run(inproc: bool, s: Setup, n: usize) -> Run {
    let lab = Lab::start(&LabConfig { inproc, ..Default::default() }).unwrap();
    let mut cfg = ClientConfig {
        brokers: vec![lab.local.clone()],
        mode: Mode::Tagged,
        window: s.window,
        timeout: Duration::from_secs(60),
        ..Default::default()
    };
    if let Some(t) = s.fixed_timer {
        cfg.retry = t;
        cfg.max_retry = t;
    }
    let mut c = Client::new(cfg).unwrap();
    for _ in 0..200 {
        c.hypot("12", "13").unwrap(); // probe, round-trip estimate, warm caches
    }
    let (before, calc_before) = (c.stats(), lab.calc.stats());
    let mut sent_at = std::collections::HashMap::with_capacity(n);
    let mut lat = Vec::with_capacity(n);
    let (mut submitted, mut done, mut failed) = (0, 0, 0);
    let t = Instant::now();
    while done < n {
        let ahead = s.app_window.unwrap_or(n);
        while submitted < n && sent_at.len() < ahead {
            let a = (submitted % 997 + 1).to_string();
            sent_at.insert(c.submit(&a, "13").unwrap(), Instant::now());
            submitted += 1;
        }
        let (id, r) = c.next(10_000).unwrap().expect("stalled");
        if r.is_err() {
            failed += 1;
        }
        lat.push(sent_at.remove(&id).expect("known id").elapsed());
        done += 1;
    }
    let wall = t.elapsed();
    lat.sort();
    let (after, calc_after) = (c.stats(), lab.calc.stats());
    drop(c);
    // Calc node, operation nodes, then the broker (dropping a Lab closes the broker first).
    let mut lab = lab;
    lab.stop().unwrap();
    Run {
        wall,
        p50: pct(&lat, 0.5),
        p99: pct(&lat, 0.99),
        resent: after.resent - before.resent,
        duplicates: after.duplicates - before.duplicates,
        calc_duplicates: calc_after.duplicates - calc_before.duplicates,
        failed,
    }
}

fn main() {
    let n = env("HB_BURST_N", 10_000);
    let runs = env("HB_BURST_RUNS", 3).max(1);
    let only = std::env::var("HB_BURST_ONLY").unwrap_or_default();
    let setups = [
        Setup { name: "window 256 (default)", window: 256, fixed_timer: None, app_window: None },
        Setup { name: "window 64", window: 64, fixed_timer: None, app_window: None },
        Setup { name: "window 1024", window: 1024, fixed_timer: None, app_window: None },
        Setup { name: "unbounded window", window: 0, fixed_timer: None, app_window: None },
        Setup {
            name: "unbounded, fixed 100 ms timer (≈ pre-1.0)",
            window: 0,
            fixed_timer: Some(Duration::from_millis(100)),
            app_window: None,
        },
        Setup { name: "application keeps 256 in flight", window: 0, fixed_timer: None, app_window: Some(256) },
    ];
    println!(
        "| nodes over | client | wall ms (min–max) | req/s | p50 ms | p99 ms | resends | client duplicates | calc duplicates | failed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for inproc in [true, false] {
        for s in setups {
            let transport = if inproc { "inproc" } else { "TCP" };
            if !format!("{transport} {}", s.name).contains(&only) {
                continue;
            }
            let mut all: Vec<Run> = (0..runs).map(|_| run(inproc, s, n)).collect();
            all.sort_by_key(|r| r.wall);
            let r = &all[all.len() / 2];
            println!(
                "| {} | {} | {} ({}–{}) | {:.0} | {} | {} | {} | {} | {} | {} |",
                transport,
                s.name,
                ms(r.wall),
                ms(all[0].wall),
                ms(all[all.len() - 1].wall),
                n as f64 / r.wall.as_secs_f64(),
                ms(r.p50),
                ms(r.p99),
                r.resent,
                r.duplicates,
                r.calc_duplicates,
                r.failed
            );
        }
    }
    println!();
    println!("{n} requests submitted at once per run (after 200 warm-up requests); median of {runs} runs by wall time; latency = submit → answer.");
}
