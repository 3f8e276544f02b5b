//! `cargo bench --bench watch`: what `hypobus watch` costs the lab. The
//! lab (nodes over inproc, as `hypobus lab` runs them) under a pipelined
//! client (512 in flight), side by side in one run: rounds without an
//! observer and with one (connected over loopback TCP to the broker's XPUB
//! and heartbeat ports, as `hypobus watch` is), alternating, so drift of
//! the machine hits both alike. Also one request at a time (latency), and
//! the observer with sampling off (`--full`) for information. Prints a
//! Markdown table.
//!
//! Each timed round follows an untimed burst of load (0.3 s), in both
//! kinds of round alike: the observer meets the load as a running
//! `hypobus watch` does, having switched to sampling already. The verdict
//! is the median over the rounds of the ratio with / without of
//! neighbouring rounds (other work on the machine moves both).
//!
//! Knobs: HB_WATCH_BENCH_N (requests per round, default 100000: a round
//! lasts longer than the sampling period), HB_WATCH_BENCH_ROUNDS (rounds
//! of each kind, default 6),
//! HB_WATCH_BENCH_WINDOW (in flight, default 512).

use hypobus::lab::client::{Client, Mode};
use hypobus::lab::{Lab, LabConfig};
use hypobus::watch::{Observer, Sampling, WatchBroker, WatchConfig};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// CPU time of this process (every thread: the lab's and the observer's), µs.
fn cpu_us() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 * 1e6 + tv.tv_usec as f64;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// CPU time (ns) of this process's threads by kind: the
/// observer's thread (`hypobus-watch`), libzmq's I/O threads (unnamed
/// threads other than the main one: with the lab's nodes over inproc,
/// their only traffic is the observer's TCP connection and the
/// heartbeats), and all threads.
fn thread_ticks() -> (u64, u64, u64) {
    let (mut watch, mut io, mut all) = (0, 0, 0);
    let me = std::process::id().to_string();
    let main_name = std::fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return (0, 0, 0) };
    for t in dir.flatten() {
        let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        // The kernel's per-thread CPU clock of another thread of this
        // process (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)): ns resolution.
        let clock = ((!tid) << 3) | 6;
        // SAFETY: clock_gettime writes the zeroed timespec it is given.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        if unsafe { libc::clock_gettime(clock as libc::clockid_t, &mut ts) } != 0 {
            continue;
        }
        let ns = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
        let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        all += ns;
        if name.trim() == "hypobus-watch" {
            watch += ns;
        } else if name == main_name && t.file_name().to_string_lossy() != me {
            io += ns;
        }
    }
    (watch, io, all)
}

/// `n` requests with `window` in flight; requests per second.
fn pipelined(c: &mut Client, n: usize, window: usize) -> f64 {
    let (mut sent, mut done, mut in_flight) = (0, 0, 0);
    let t = Instant::now();
    while done < n {
        while sent < n && in_flight < window {
            let a = (sent % 1000 + 1).to_string();
            c.submit(&a, "13").unwrap();
            sent += 1;
            in_flight += 1;
        }
        if let Some((_, r)) = c.next(5000).unwrap() {
            r.expect("an answer");
            done += 1;
            in_flight -= 1;
        }
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// `n` requests one at a time; the median latency (µs).
fn sequential(c: &mut Client, n: usize) -> f64 {
    let mut lat: Vec<Duration> = (0..n)
        .map(|i| {
            let s = Instant::now();
            c.hypot(&(i % 100 + 1).to_string(), "13").unwrap();
            s.elapsed()
        })
        .collect();
    lat.sort();
    lat[n / 2].as_secs_f64() * 1e6
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn observer(lab: &Lab, sampling: Sampling) -> Observer {
    let mut cfg = WatchConfig::new(WatchBroker::list(std::slice::from_ref(&lab.addr), std::slice::from_ref(&lab.hb)));
    cfg.sampling = sampling;
    let obs = Observer::start(cfg).unwrap();
    // Until it is subscribed (it saw a whole request).
    let mut c = lab.client(Mode::Tagged).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while obs.messages() < 7 {
        c.hypot("3", "4").unwrap();
        assert!(Instant::now() < deadline, "the observer never saw the lab");
        std::thread::sleep(Duration::from_millis(20));
    }
    obs
}

fn main() {
    let n = env("HB_WATCH_BENCH_N", 100_000);
    let rounds = env("HB_WATCH_BENCH_ROUNDS", 6);
    let window = env("HB_WATCH_BENCH_WINDOW", 512);
    let lab = Lab::start(&LabConfig::default()).unwrap();
    let mut c = lab.client(Mode::Tagged).unwrap();
    pipelined(&mut c, 5000, window); // warm-up

    let burst = |c: &mut Client| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(300) {
            pipelined(c, 2000, window);
        }
    };
    let (mut without, mut with, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cpu_without, mut cpu_with) = (Vec::new(), Vec::new());
    // Thread CPU time (ns) in the timed rounds: (observer, I/O, all) with and without.
    let (mut tk_with, mut tk_without) = ((0u64, 0u64, 0u64), (0u64, 0u64, 0u64));
    let add = |acc: &mut (u64, u64, u64), a: (u64, u64, u64), b: (u64, u64, u64)| {
        acc.0 += b.0.saturating_sub(a.0);
        acc.1 += b.1.saturating_sub(a.1);
        acc.2 += b.2.saturating_sub(a.2);
    };
    let mut estimates = Vec::new();
    for i in 0..rounds {
        // Alternate which kind goes first, so a trend hits both alike.
        let mut pair = [0.0; 2];
        for k in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
            if k == 0 {
                burst(&mut c);
                let (c0, t0) = (cpu_us(), thread_ticks());
                pair[0] = pipelined(&mut c, n, window);
                cpu_without.push((cpu_us() - c0) / n as f64);
                add(&mut tk_without, t0, thread_ticks());
            } else {
                let obs = observer(&lab, Sampling::default());
                burst(&mut c);
                let (c0, t0) = (cpu_us(), thread_ticks());
                let r = pipelined(&mut c, n, window);
                cpu_with.push((cpu_us() - c0) / n as f64);
                add(&mut tk_with, t0, thread_ticks());
                pair[1] = r;
                let s = obs.summary();
                estimates.push((r, s.rate, s.sampling, s.p50_us, s.p99_us));
            }
        }
        without.push(pair[0]);
        with.push(pair[1]);
        ratios.push(pair[1] / pair[0]);
    }
    let mut full = Vec::new();
    for _ in 0..rounds.min(3) {
        let obs = observer(&lab, Sampling::Full);
        burst(&mut c);
        full.push(pipelined(&mut c, n, window));
        drop(obs);
    }
    let seq_n = 3000;
    let seq_without = sequential(&mut c, seq_n);
    let obs = observer(&lab, Sampling::default());
    let seq_with = sequential(&mut c, seq_n);
    let seq_sum = obs.summary();
    drop(obs);

    let (mw, mo, mf) = (median(&mut without.clone()), median(&mut with.clone()), median(&mut full.clone()));
    let mr = median(&mut ratios.clone());
    let fmt = |v: &[f64]| v.iter().map(|x| format!("{:.0}", x)).collect::<Vec<_>>().join(", ");
    println!("| measurement | req/s (median) | rounds | vs. without |");
    println!("|---|---|---|---|");
    println!("| lab, {window} in flight, no observer | {mw:.0} | {} | 1.00 |", fmt(&without));
    println!(
        "| lab, {window} in flight, `hypobus watch` observer (default: samples under load) | {mo:.0} | {} | {mr:.3} ({:+.1} %), median of the per-pair ratios {} |",
        fmt(&with),
        (mr - 1.0) * 100.0,
        ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
    );
    println!(
        "| lab, {window} in flight, observer with `--full` (every message, for information) | {mf:.0} | {} | {:.3} ({:+.1} %) |",
        fmt(&full),
        mf / mw,
        (mf / mw - 1.0) * 100.0
    );
    let (cw, co) = (median(&mut cpu_without.clone()), median(&mut cpu_with.clone()));
    println!(
        "| CPU time of the whole process per request (lab + observer), median | {cw:.1} µs without, {co:.1} µs with | {} / {} | {:+.1} % |",
        cpu_without.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", "),
        cpu_with.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", "),
        (co / cw - 1.0) * 100.0
    );
    let pct = |x: u64, all: u64| if all == 0 { 0.0 } else { x as f64 * 100.0 / all as f64 };
    println!(
        "| CPU of the observer's thread + libzmq's I/O threads (its TCP connection), share of the process's CPU in the timed rounds | {:.2} % + {:.2} % with the observer | {:.2} % + {:.2} % without | the observer's direct cost |",
        pct(tk_with.0, tk_with.2),
        pct(tk_with.1, tk_with.2),
        pct(tk_without.0, tk_without.2),
        pct(tk_without.1, tk_without.2)
    );
    println!("| one request at a time, no observer | p50 {seq_without:.0} µs | {seq_n} requests | |");
    println!(
        "| one request at a time, with the observer (every message at this rate) | p50 {seq_with:.0} µs | {seq_n} requests | {:+.1} % latency; observer saw {} requests, p50 {} µs |",
        (seq_with / seq_without - 1.0) * 100.0,
        seq_sum.requests,
        seq_sum.p50_us
    );
    println!();
    println!("Observer's own estimates, per round with it (real req/s, estimated req/s, sampling, p50, p99):");
    for (r, e, s, p50, p99) in estimates {
        println!("- {r:.0} real, {e:.0} estimated, sampling {s}, p50 {p50} µs, p99 {p99} µs");
    }
}
