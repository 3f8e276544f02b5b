//! Helpers shared by the integration tests (each test file uses some).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `hypobus` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_hypobus");

/// A free TCP port (see [`hypobus::sys::ctx::free_port`]).
pub fn free_port() -> u16 {
    hypobus::sys::ctx::free_port().expect("a free port")
}

/// A child process whose stdout lines are collected; SIGKILLed when dropped.
pub struct Proc {
    pub child: Child,
    pub lines: Arc<Mutex<Vec<String>>>,
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
