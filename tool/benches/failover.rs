//! `cargo bench --bench failover`: broker failover with real processes.
//!
//! Each run starts `hypobus broker --role primary` and `--role backup` as two
//! processes on loopback, two operation nodes, a calc node and 4 streaming
//! clients in this process (connected to both brokers), then SIGKILLs the
//! primary mid-stream and measures the gap (kill → next answered request,
//! over all clients), lost and duplicated answers; then restarts the primary
//! (it must stay passive) and hands back. Runs at 100 ms heartbeats and at
//! the original lab's 1000 ms, and prints a Markdown table beside the
//! theoretical detection time (misses × interval).
//!
//! The brokers are the `hypobus` binary of this build (cargo builds it for
//! benches; if it is missing, `cargo build --release --bin hypobus` is run).
//! Env vars: HB_FAILOVER_RUNS (runs per interval, default 5),
//! HB_FAILOVER_INTERVALS (ms, comma-separated, default `100,1000`),
//! HB_FAILOVER_MISSES (default 3).

use hypobus_tool::{failover_trial, FailoverTrial, FailoverTrialConfig};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// The `hypobus` executable: the one cargo built for this bench, else
/// `<target>/release/hypobus` next to this bench's own binary (built if missing).
fn hypobus_exe() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_hypobus") {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    let me = std::env::current_exe().expect("current_exe");
    // <target>/release/deps/failover-<hash> → <target>/release/hypobus
    let dir = me.parent().and_then(Path::parent).expect("target dir");
    let exe = dir.join("hypobus");
    if !exe.exists() {
        eprintln!("{} is missing: cargo build --release --bin hypobus", exe.display());
        let ok = std::process::Command::new(env!("CARGO"))
            .args(["build", "--release", "--bin", "hypobus"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok && exe.exists(), "could not build {}", exe.display());
    }
    exe
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

/// min / median / max.
fn spread(mut v: Vec<Duration>) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort();
    format!("{} / {} / {}", ms(v[0]), ms(v[v.len() / 2]), ms(v[v.len() - 1]))
}

fn main() {
    let exe = hypobus_exe();
    let runs: usize = env_or("HB_FAILOVER_RUNS", "5").parse().expect("HB_FAILOVER_RUNS");
    let misses: u32 = env_or("HB_FAILOVER_MISSES", "3").parse().expect("HB_FAILOVER_MISSES");
    let intervals: Vec<u64> =
        env_or("HB_FAILOVER_INTERVALS", "100,1000").split(',').map(|s| s.trim().parse().expect("HB_FAILOVER_INTERVALS")).collect();
    eprintln!("brokers: {}", exe.display());

    let mut table = Vec::new();
    let mut failures = Vec::new();
    for &iv in &intervals {
        let cfg = FailoverTrialConfig { hb_interval: Duration::from_millis(iv), misses, ..FailoverTrialConfig::new(exe.clone()) };
        let mut trials: Vec<FailoverTrial> = Vec::new();
        for run in 1..=runs {
            let t0 = Instant::now();
            let t = failover_trial(&cfg).unwrap_or_else(|e| panic!("run {run} at {iv} ms could not start: {e}"));
            eprintln!(
                "{iv} ms, run {run}: gap {} ms, take-over {} ms, lost {}, dup {}, {} answers, {} resends, hand-back pause {} ms ({:.1} s){}",
                t.gap.map_or("-".into(), ms),
                t.takeover_ms.map_or("-".into(), |m| m.to_string()),
                t.lost,
                t.duplicates,
                t.answered,
                t.resent,
                t.handback_pause.map_or("-".into(), ms),
                t0.elapsed().as_secs_f64(),
                if t.passed() { "" } else { "  FAILED" }
            );
            for f in t.failures() {
                failures.push(format!("{iv} ms, run {run}: {f}"));
            }
            trials.push(t);
        }
        let window = Duration::from_millis(iv) * misses;
        let gaps: Vec<Duration> = trials.iter().filter_map(|t| t.gap).collect();
        let takeovers: Vec<Duration> = trials.iter().filter_map(|t| t.takeover_ms).map(Duration::from_millis).collect();
        let pauses: Vec<Duration> = trials.iter().filter_map(|t| t.handback_pause).collect();
        let lost: usize = trials.iter().map(|t| t.lost).sum();
        let dup: usize = trials.iter().map(|t| t.duplicates).sum();
        let answered: usize = trials.iter().map(|t| t.answered).sum();
        let passed = trials.iter().filter(|t| t.passed()).count();
        table.push(format!(
            "| {iv} ms × {misses} | {} ms | {} | {} | {} | {lost} | {dup} | {answered} | {} | {passed}/{runs} |",
            ms(window),
            spread(takeovers),
            spread(gaps.clone()),
            gaps.iter().filter(|g| **g < Duration::from_millis(500)).count(),
            spread(pauses),
        ));
    }

    println!("| heartbeat × misses | detection (theory) | take-over ms (min / median / max) | gap ms (min / median / max) | runs with gap < 500 ms | lost | duplicated | answers | hand-back pause ms (min / median / max) | runs passing every check |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for row in &table {
        println!("{row}");
    }
    println!();
    println!(
        "{runs} runs per row, {} streaming clients (one request at a time, 1 ms pause); gap = SIGKILL of the primary → the next answered request over all clients; \
         take-over = SIGKILL → the backup's `active` event; lost = requests that failed; duplicated = answers delivered twice to the application.",
        FailoverTrialConfig::new(exe.clone()).clients
    );
    if !failures.is_empty() {
        println!();
        println!("Failed checks:");
        for f in &failures {
            println!("- {f}");
        }
        std::process::exit(1);
    }
}
