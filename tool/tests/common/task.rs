//! Task brokers, workers and clients as `hypobus` processes for the process
//! tests (task_process.rs, task_pg.rs): spawned with their stdout lines
//! collected, waited on by their counters lines, killed by PID.
#![allow(dead_code)] // each test file uses part of it

use super::free_port;
use hypobus::task::client::{TaskClient, TaskClientConfig};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hypobus");

/// A child process whose stdout lines are collected; SIGKILLed when dropped.
pub struct Proc {
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    pub name: String,
}

impl Proc {
    pub fn spawn(name: &str, args: &[String]) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if std::env::var("HB_LOG").is_ok() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .expect("spawn hypobus");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let l = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l.lock().unwrap().push(line);
            }
        });
        Proc { child, lines, name: name.into() }
    }

    /// The first line (from the end when `last`) satisfying `pred`, waiting at most `within`.
    pub fn wait_line(&self, within: Duration, last: bool, pred: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + within;
        loop {
            {
                let l = self.lines.lock().unwrap();
                let found = if last { l.iter().rev().find(|s| pred(s)) } else { l.iter().find(|s| pred(s)) };
                if let Some(s) = found {
                    return s.clone();
                }
            }
            assert!(Instant::now() < until, "{}: no such line within {within:?}; got {:?}", self.name, self.lines.lock().unwrap());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn signal(&mut self, sig: i32) {
        // SAFETY: kill(2) on our own child's PID.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    pub fn sigkill(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }

    /// SIGINT, wait for the exit, return the final counters line.
    pub fn stop(&mut self) -> String {
        self.signal(libc::SIGINT);
        let until = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < until, "{} did not stop", self.name);
            std::thread::sleep(Duration::from_millis(10));
        }
        self.wait_line(Duration::from_secs(2), true, |l| l.starts_with("final "))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.sigkill();
        }
    }
}

/// `name=<n>` in a counters line.
pub fn counter(line: &str, name: &str) -> u64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
}

pub struct Ports {
    pub fe: u16,
    pub be: u16,
}

pub fn task_broker(name: &str, p: &Ports, extra: &[&str]) -> Proc {
    let mut args: Vec<String> = vec![
        "task-broker".into(),
        "--frontend".into(),
        format!("tcp://127.0.0.1:{}", p.fe),
        "--backend".into(),
        format!("tcp://127.0.0.1:{}", p.be),
        "--hb-interval-ms".into(),
        "100".into(),
        "--stats-every-ms".into(),
        "50".into(),
        "--name".into(),
        name.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let b = Proc::spawn(name, &args);
    b.wait_line(Duration::from_secs(10), false, |l| l.starts_with("task-broker ready:"));
    b
}

pub fn worker(name: &str, p: &Ports, extra: &[&str]) -> Proc {
    let mut args: Vec<String> = vec![
        "worker".into(),
        "--broker".into(),
        format!("tcp://127.0.0.1:{}", p.be),
        "--hb-interval-ms".into(),
        "100".into(),
        "--tag".into(),
        name.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let w = Proc::spawn(name, &args);
    w.wait_line(Duration::from_secs(10), false, |l| l.starts_with("worker ready:"));
    w
}

pub fn client(p: &Ports, timeout_ms: u64, tries: u32) -> TaskClient {
    let mut cfg = TaskClientConfig::new(&format!("tcp://127.0.0.1:{}", p.fe));
    cfg.timeout = Duration::from_millis(timeout_ms);
    cfg.tries = tries;
    TaskClient::new(cfg).unwrap()
}

/// Wait until the broker's latest counters line satisfies `pred`.
pub fn wait_stats(b: &Proc, within: Duration, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let until = Instant::now() + within;
    loop {
        let l = b.wait_line(Duration::from_secs(2), true, |l| l.starts_with("stats task-broker:"));
        if pred(&l) {
            return l;
        }
        assert!(Instant::now() < until, "{}: never {what}; last {l}", b.name);
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Ports {
    pub fn free() -> Ports {
        Ports { fe: free_port(), be: free_port() }
    }
}
