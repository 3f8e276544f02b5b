//! One-line event logs on stderr, off by default in the library (an embedding
//! program decides) and on in the CLI.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turn event logging to stderr on or off for the whole process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether event logging is on.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Milliseconds since the Unix epoch (event timestamps).
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Write `"<unix-ms> <role>: <message>"` to stderr when logging is on.
pub fn event(role: &str, msg: std::fmt::Arguments<'_>) {
    if enabled() {
        let t = now_ms();
        eprintln!("{}.{:03} {role}: {msg}", t / 1000, t % 1000);
    }
}

/// `log!("calc", "fallback for {tag}")`
#[macro_export]
macro_rules! log {
    ($role:expr, $($arg:tt)*) => { $crate::log::event($role, format_args!($($arg)*)) };
}
