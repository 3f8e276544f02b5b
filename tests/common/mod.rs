//! Helpers shared by the integration tests.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// A free TCP port below the kernel's ephemeral range (32768+), so that no
/// outgoing connection (ZeroMQ reconnects, parallel tests) can take it
/// between this check and the bind that follows. Each test process starts
/// at its own offset.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = 20_000 + (std::process::id() * 97) % 10_000;
    loop {
        let p = (base + NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000 + 20_000;
        if TcpListener::bind(("0.0.0.0", p as u16)).is_ok() {
            return p as u16;
        }
    }
}
