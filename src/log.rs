//! One-line event logs, off by default in the library (an embedding program
//! decides) and on in the CLI. Lines go to stderr, or to a bounded queue
//! that a program pulls from (`hb_log_next` in the C ABI: Python and Node
//! route them to their own logging), or both.

use crate::sys::fork::PerProcess;
use crate::sys::notify::Notifier;
use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

static STDERR: AtomicBool = AtomicBool::new(false);
static QUEUED: AtomicBool = AtomicBool::new(false);

/// Lines kept for [`take_line`] at most; older ones are dropped beyond it.
pub const MAX_QUEUED: usize = 1024;
/// Lines are cut to fewer bytes than this.
pub const MAX_LINE: usize = 512;

struct Queue {
    lines: Mutex<(VecDeque<String>, u64)>,
    /// Readable while lines are queued (None: no eventfd could be made).
    fd: Option<Notifier>,
}

/// One queue per process: a forked child neither reads the parent's lines
/// nor touches its eventfd (which the parent's event loop watches).
static QUEUE: PerProcess<Queue> = PerProcess::new(|| Queue { lines: Mutex::new((VecDeque::new(), 0)), fd: Notifier::new().ok() });

impl Queue {
    fn signal(&self, on: bool) {
        match (&self.fd, on) {
            (Some(n), true) => n.poke(),
            (Some(n), false) => n.drain(),
            (None, _) => {}
        }
    }
}

/// Turn event logging to stderr on or off for the whole process.
pub fn set_enabled(on: bool) {
    STDERR.store(on, Ordering::Relaxed);
}

/// Turn queueing of log lines (for [`take_line`]) on or off. Turning it
/// off drops what is queued.
pub fn set_queued(on: bool) {
    QUEUED.store(on, Ordering::Relaxed);
    if !on {
        let q = QUEUE.get();
        q.lines.lock().unwrap_or_else(PoisonError::into_inner).0.clear();
        q.signal(false);
    }
}

/// Whether event logging (to stderr or the queue) is on.
pub fn enabled() -> bool {
    STDERR.load(Ordering::Relaxed) || QUEUED.load(Ordering::Relaxed)
}

/// Milliseconds since the Unix epoch (event timestamps).
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Write `"<unix-s.ms> <role>: <message>"` to stderr and/or the queue.
pub fn event(role: &str, msg: std::fmt::Arguments<'_>) {
    if !enabled() {
        return;
    }
    let t = now_ms();
    let mut line = format!("{}.{:03} {role}: {msg}", t / 1000, t % 1000);
    if STDERR.load(Ordering::Relaxed) {
        eprintln!("{line}");
    }
    if QUEUED.load(Ordering::Relaxed) {
        if line.len() >= MAX_LINE {
            let mut n = MAX_LINE - 1;
            while !line.is_char_boundary(n) {
                n -= 1;
            }
            line.truncate(n);
        }
        let q = QUEUE.get();
        let mut g = q.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if g.0.len() >= MAX_QUEUED {
            g.0.pop_front();
            g.1 += 1;
        }
        g.0.push_back(line);
        q.signal(true);
    }
}

/// Take the oldest queued line if `fits(len)` says the caller can take it
/// (else leave it and return `Err(len)`). Lines dropped because the queue
/// was full are reported by a line of their own, first.
pub fn take_line(fits: impl FnOnce(usize) -> bool) -> Result<Option<String>, usize> {
    let q = QUEUE.get();
    let mut g = q.lines.lock().unwrap_or_else(PoisonError::into_inner);
    if g.1 > 0 {
        let note = format!("{} log lines were dropped (the queue holds {MAX_QUEUED})", g.1);
        g.0.push_front(note);
        g.1 = 0;
    }
    let Some(front) = g.0.front() else {
        q.signal(false);
        return Ok(None);
    };
    if !fits(front.len()) {
        return Err(front.len());
    }
    let line = g.0.pop_front();
    if g.0.is_empty() {
        q.signal(false);
    }
    Ok(line)
}

/// The descriptor that is readable while lines are queued.
pub fn queue_fd() -> Option<RawFd> {
    QUEUE.get().fd.as_ref().map(Notifier::fd)
}

/// `log!("calc", "fallback for {tag}")`
#[macro_export]
macro_rules! log {
    ($role:expr, $($arg:tt)*) => { $crate::log::event($role, format_args!($($arg)*)) };
}

/// `0.042 ms`, `3.10 ms`, `312 ms`, `1.25 s`.
pub fn fmt_duration(d: std::time::Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}
