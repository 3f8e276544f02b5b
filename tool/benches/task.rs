//! `cargo bench --bench task`: requests/s and latency through a task broker.
//!
//! One load generator for every broker: client DEALER sockets speaking the
//! course's REQ frames (`['', request]`), 64 requests in flight in all, and
//! 32 course workers (REQ frames: register with an empty request, answer
//! `[client, '', reply]`, one request at a time each), on two threads of
//! this process. The broker is a process of its own, the same way for each:
//!
//! * `hypobus task-broker`, lru, memory journal;
//! * the same with an SQLite journal (`--db`: WAL, a commit per batch);
//! * the same with a PostgreSQL journal (`--store postgres://…`: one round
//!   trip per batch each way), a fresh database of the server at
//!   `$HYPOBUS_PG_URL` per run (`bash scripts/pg.sh cargo bench --bench task`
//!   starts one); the row says "not run" without it; and once more with
//!   `--full-sync` (a fifth of the requests), and SQLite and PostgreSQL
//!   with our protocol (below), whose ids the journal must look up;
//! * the course's router/router broker in pyzmq (`benches/task_pyzmq_broker.py`,
//!   run with `$HB_PYTHON`, else `target/test-venv/bin/python`, else `python3`).
//!
//! Besides requests/s and latency (which on a small machine are bounded by
//! the load generator, which does as much ZeroMQ work as the broker), each
//! row gives the broker process's own CPU time per request (user + system,
//! from /proc) and what that makes per core: the broker's capacity.
//! A fourth row runs our own client and worker (`TaskClient`, one
//! `TaskWorker` with 32 handler threads: one connection each, many requests
//! batched on it) against the memory broker process. Prints a
//! Markdown table. Env: HB_TASK_N (requests per run, default 100000; the
//! pyzmq row runs a third of them), HB_TASK_RUNS (runs per row, default 3;
//! the median by wall time is shown), HB_TASK_WINDOW (requests in flight,
//! default 64), HB_TASK_WORKERS (course workers, default 32), HB_TASK_ONLY=native
//! (only the last row, for profiling), HB_TASK_ONLY=stores (only the three
//! journals: memory, SQLite, PostgreSQL).

use hypobus::task::client::{Outcome, TaskClient, TaskClientConfig};
use hypobus::task::worker::{Job, TaskWorker, WorkerConfig};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
static WINDOW: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| env("HB_TASK_WINDOW", 64));
static WORKERS: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| env("HB_TASK_WORKERS", 32));

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Clone, Copy, Default)]
struct Run {
    wall: Duration,
    p50: Duration,
    p99: Duration,
    n: usize,
    /// The broker process's CPU time during the run (None: in-process).
    cpu: Option<Duration>,
}

/// user + system CPU time of a process, from /proc/PID/stat.
fn cpu_of(pid: u32) -> Duration {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the name.
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    // SAFETY: plain sysconf call.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(ticks * 1_000_000 / hz)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len().saturating_sub(1)) as f64 * p).round() as usize).copied().unwrap_or_default()
}

fn finish(mut lat: Vec<Duration>, wall: Duration) -> Run {
    lat.sort();
    Run { wall, p50: pct(&lat, 0.5), p99: pct(&lat, 0.99), n: lat.len(), cpu: None }
}

/// Course workers on one thread: echo every request; stop when told.
fn course_workers(backend: String, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let ctx = zmq::Context::new();
        let socks: Vec<zmq::Socket> = (0..*WORKERS)
            .map(|i| {
                let s = ctx.socket(zmq::DEALER).unwrap();
                s.set_linger(0).unwrap();
                s.set_identity(format!("W{i}").as_bytes()).unwrap();
                s.connect(&backend).unwrap();
                // A REQ worker's empty request, as it looks on the wire.
                s.send_multipart([&b""[..], b"", b"", b""], 0).unwrap();
                s
            })
            .collect();
        let mut items: Vec<zmq::PollItem> = socks.iter().map(|s| s.as_poll_item(zmq::POLLIN)).collect();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if zmq::poll(&mut items, 50).unwrap() == 0 {
                continue;
            }
            let ready: Vec<usize> = items.iter().enumerate().filter(|(_, i)| i.is_readable()).map(|(k, _)| k).collect();
            for k in ready {
                while let Ok(m) = socks[k].recv_multipart(zmq::DONTWAIT) {
                    // ['', client, '', request] -> ['', client, '', reply]
                    socks[k].send_multipart([&b""[..], &m[1], b"", &m[3]], 0).unwrap();
                }
            }
        }
    })
}

/// Clients with WINDOW requests in flight in all; latency per request.
fn course_clients(frontend: &str, n: usize) -> Run {
    let ctx = zmq::Context::new();
    let socks: Vec<zmq::Socket> = (0..CLIENTS)
        .map(|_| {
            let s = ctx.socket(zmq::DEALER).unwrap();
            s.set_linger(0).unwrap();
            s.set_sndhwm(0).unwrap();
            s.set_rcvhwm(0).unwrap();
            s.connect(frontend).unwrap();
            s
        })
        .collect();
    // Warm up: every connection carries one request.
    for s in &socks {
        s.send_multipart([&b""[..], b"warm"], 0).unwrap();
        s.recv_multipart(0).unwrap();
    }
    let mut sent_at: HashMap<u64, Instant> = HashMap::with_capacity(*WINDOW * 2);
    let mut lat = Vec::with_capacity(n);
    let (mut next, mut done) = (0u64, 0usize);
    let t0 = Instant::now();
    let mut items: Vec<zmq::PollItem> = socks.iter().map(|s| s.as_poll_item(zmq::POLLIN)).collect();
    while done < n {
        while (next as usize) < n && sent_at.len() < *WINDOW {
            let s = &socks[next as usize % CLIENTS];
            s.send_multipart([&b""[..], &next.to_le_bytes()], 0).unwrap();
            sent_at.insert(next, Instant::now());
            next += 1;
        }
        assert!(zmq::poll(&mut items, 10_000).unwrap() > 0, "no answer in 10 s ({done} of {n})");
        let ready: Vec<usize> = items.iter().enumerate().filter(|(_, i)| i.is_readable()).map(|(k, _)| k).collect();
        for k in ready {
            while let Ok(m) = socks[k].recv_multipart(zmq::DONTWAIT) {
                let id = u64::from_le_bytes(m[1][..8].try_into().unwrap());
                let at = sent_at.remove(&id).expect("an answer to a request in flight");
                lat.push(at.elapsed());
                done += 1;
            }
        }
    }
    finish(lat, t0.elapsed())
}

/// A broker process printing a line starting with `ready` once bound.
fn broker_process(cmd: &mut Command, ready: &str) -> Option<std::process::Child> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().ok()?;
    let mut line = String::new();
    use std::io::BufRead;
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).ok()?;
    if !line.starts_with(ready) {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    // Keep reading (and dropping) its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    Some(child)
}

/// Drive a broker process at `fe`/`be` and measure its CPU during the run.
fn drive(mut child: std::process::Child, fe: u16, be: u16, n: usize) -> Run {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w = course_workers(format!("tcp://127.0.0.1:{be}"), stop.clone());
    std::thread::sleep(Duration::from_millis(500)); // the 32 registrations
    let c0 = cpu_of(child.id());
    let mut r = course_clients(&format!("tcp://127.0.0.1:{fe}"), n);
    r.cpu = Some(cpu_of(child.id()).saturating_sub(c0));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    w.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    r
}

/// A `hypobus task-broker` process on free ports, `--store store` (None:
/// memory) and further flags: (the process, frontend port, backend port).
fn our_broker(store: Option<&str>, flags: &[&str]) -> (std::process::Child, u16, u16) {
    let (fe, be) = (hypobus::sys::ctx::free_port().unwrap(), hypobus::sys::ctx::free_port().unwrap());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hypobus"));
    cmd.args(["task-broker", "--quiet", "--frontend", &format!("tcp://127.0.0.1:{fe}"), "--backend", &format!("tcp://127.0.0.1:{be}")]);
    if let Some(s) = store {
        cmd.args(["--store", s]);
    }
    cmd.args(flags);
    (broker_process(&mut cmd, "task-broker ready").expect("hypobus task-broker starts"), fe, be)
}

fn ours(store: Option<String>, flags: &[&str], n: usize) -> Run {
    let (child, fe, be) = our_broker(store.as_deref(), flags);
    drive(child, fe, be, n)
}

fn python() -> String {
    if let Ok(p) = std::env::var("HB_PYTHON") {
        return p;
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/test-venv/bin/python");
    if std::path::Path::new(venv).exists() {
        venv.to_string()
    } else {
        "python3".to_string()
    }
}

fn pyzmq(n: usize) -> Option<Run> {
    let (fe, be) = (hypobus::sys::ctx::free_port().unwrap(), hypobus::sys::ctx::free_port().unwrap());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/task_pyzmq_broker.py");
    let Some(child) = broker_process(Command::new(python()).args([script, &fe.to_string(), &be.to_string()]), "ready") else {
        eprintln!("the pyzmq broker did not start (is pyzmq installed for {}?)", python());
        return None;
    };
    Some(drive(child, fe, be, n))
}

/// Our client (WINDOW in flight) and a TaskWorker with WORKERS handler
/// threads (one connection each, requests batched on it) against a
/// `hypobus task-broker` process.
fn ours_native(store: Option<String>, n: usize) -> Run {
    let (mut child, fe, be) = our_broker(store.as_deref(), &[]);
    let mut wc = WorkerConfig::new(&format!("tcp://127.0.0.1:{be}"));
    wc.capacity = *WORKERS as u32;
    let _w = TaskWorker::serve(wc, |j: &Job| Ok(j.body.clone())).unwrap();
    let c = TaskClient::new(TaskClientConfig::new(&format!("tcp://127.0.0.1:{fe}"))).unwrap();
    c.request("", b"warm", Duration::from_secs(10)).unwrap();
    let mut sent_at = HashMap::with_capacity(*WINDOW * 2);
    let mut lat = Vec::with_capacity(n);
    let (mut next, mut done) = (0usize, 0usize);
    let c0 = cpu_of(child.id());
    let t0 = Instant::now();
    while done < n {
        while next < n && sent_at.len() < *WINDOW {
            let id = c.submit("", &next.to_le_bytes()).unwrap();
            sent_at.insert(id, Instant::now());
            next += 1;
        }
        let d = c.next(Duration::from_secs(10)).expect("an answer in 10 s");
        assert!(matches!(d.outcome, Outcome::Ok(_)));
        lat.push(sent_at.remove(&d.id).unwrap().elapsed());
        done += 1;
    }
    let mut r = finish(lat, t0.elapsed());
    r.cpu = Some(cpu_of(child.id()).saturating_sub(c0));
    let _ = child.kill();
    let _ = child.wait();
    r
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|r| r.wall);
    runs[runs.len() / 2]
}

fn row(name: &str, r: Run) -> String {
    let rate = r.n as f64 / r.wall.as_secs_f64();
    let (cpu, cap) = match r.cpu {
        Some(c) if !c.is_zero() => (format!("{:.1}", c.as_secs_f64() * 1e6 / r.n as f64), format!("{:.0}", r.n as f64 / c.as_secs_f64())),
        _ => ("-".into(), "-".into()),
    };
    format!("| {name} | {} | {:.0} | {:.2} | {:.2} | {cpu} | {cap} |", r.n, rate, r.p50.as_secs_f64() * 1e3, r.p99.as_secs_f64() * 1e3)
}

/// Requests per second of broker CPU.
fn capacity(r: &Run) -> f64 {
    r.cpu.map_or(0.0, |c| r.n as f64 / c.as_secs_f64().max(1e-9))
}

fn main() {
    let n = env("HB_TASK_N", 100_000);
    let runs = env("HB_TASK_RUNS", 3).max(1);
    let dir = std::env::temp_dir().join(format!("hb-task-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();
    let only = std::env::var("HB_TASK_ONLY").unwrap_or_default();
    if only == "native" {
        let r = ours_native(None, n);
        println!("{}", row("our protocol", r));
        return;
    }
    let mem = median((0..runs).map(|_| ours(None, &[], n)).collect());
    rows.push(row("hypobus task-broker, lru, memory journal", mem));
    let sqlite = |i| format!("sqlite:{}", dir.join(format!("run{i}.db")).display());
    let sql = median((0..runs).map(|i| ours(Some(sqlite(i)), &[], n)).collect());
    rows.push(row("hypobus task-broker, lru, SQLite journal (WAL, batched)", sql));
    let pg_db = |i: usize| hypobus::task::store::pg::test_url(&format!("bench{i}"));
    let pg = std::env::var("HYPOBUS_PG_URL").is_ok().then(|| median((0..runs).map(|i| ours(pg_db(i), &[], n)).collect()));
    match pg {
        Some(p) => {
            rows.push(row("hypobus task-broker, lru, PostgreSQL journal (batched, synchronous_commit off: like SQLite's NORMAL)", p));
            // Every commit on disk: a fifth of the requests, it is slow.
            let full = median((0..runs).map(|i| ours(pg_db(10 + i), &["--full-sync"], n / 5)).collect());
            rows.push(row(
                "hypobus task-broker, lru, PostgreSQL journal, --full-sync (synchronous_commit on: a disk flush per commit)",
                full,
            ));
            // Our protocol: client-made ids, looked up in the journal once per batch.
            let sql_native = median((0..runs).map(|i| ours_native(Some(sqlite(20 + i)), n)).collect());
            rows.push(row("hypobus task-broker, SQLite journal, our protocol (TaskClient + TaskWorker)", sql_native));
            let pg_native = median((0..runs).map(|i| ours_native(pg_db(20 + i), n)).collect());
            rows.push(row(
                "hypobus task-broker, PostgreSQL journal, our protocol (TaskClient + TaskWorker: ids looked up per batch)",
                pg_native,
            ));
        }
        None => rows.push("| hypobus task-broker, PostgreSQL journal | not run: no HYPOBUS_PG_URL (scripts/pg.sh) | | | | | |".into()),
    }
    let (py, native) = if only == "stores" {
        (None, None)
    } else {
        let py = (0..runs).map(|_| pyzmq(n / 3)).collect::<Option<Vec<_>>>().map(median);
        match py {
            Some(p) => rows.push(row("pyzmq router/router broker (the course's)", p)),
            None => rows.push("| pyzmq router/router broker | not run: no pyzmq | | | | | |".into()),
        }
        let native = median((0..runs).map(|_| ours_native(None, n)).collect());
        rows.push(row("hypobus task-broker, memory journal, our protocol: TaskClient + TaskWorker (ids, lazy pirate, credits)", native));
        (py, Some(native))
    };
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "\n{CLIENTS} client sockets with {} requests in flight in all, {} workers (echo), one machine, median of {runs} runs\n",
        *WINDOW, *WORKERS
    );
    println!("| broker | requests | requests/s | p50 ms | p99 ms | broker CPU µs/request | requests/s per broker core |");
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        println!("{r}");
    }
    let rate = |r: &Run| r.n as f64 / r.wall.as_secs_f64();
    if let Some(p) = pg {
        println!(
            "\njournals: SQLite {:.2}x slower than memory, PostgreSQL {:.2}x slower than SQLite in requests/s; broker CPU per request: SQLite {:.2}x memory, PostgreSQL {:.2}x SQLite",
            rate(&mem) / rate(&sql),
            rate(&sql) / rate(&p),
            capacity(&mem) / capacity(&sql),
            capacity(&sql) / capacity(&p)
        );
    }
    if let (Some(p), Some(native)) = (py, native) {
        println!(
            "\nthroughput: memory journal {:.1}x the pyzmq broker, SQLite {:.2}x slower than memory; broker capacity (per core): memory {:.1}x pyzmq, SQLite {:.2}x slower than memory",
            rate(&mem) / rate(&p),
            rate(&mem) / rate(&sql),
            capacity(&mem) / capacity(&p),
            capacity(&mem) / capacity(&sql)
        );
        println!("broker capacity with our protocol: {:.1}x the pyzmq broker's with the course's frames", capacity(&native) / capacity(&p));
    }
}
