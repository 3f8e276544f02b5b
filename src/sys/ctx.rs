//! The process's ZeroMQ context and the socket set-up every role and
//! socket shares: the context itself (one per process, fork-safe), EINTR
//! retries, common options, whole-message receives, poll deadlines, free
//! ports for servers and tests.

use crate::error::{Error, Result};
use std::time::{Duration, Instant};

/// The process's one ZeroMQ context, shared by every role and client in it:
/// one I/O thread for all of them instead of one each, which on a small
/// machine cuts both threads and latency. Sockets are closed one by one when
/// their role stops, so the context itself is never torn down. A forked
/// child gets a context of its own (the parent's is never touched there:
/// see [`crate::sys::fork`]).
pub fn context() -> zmq::Context {
    static CTX: crate::sys::fork::PerProcess<zmq::Context> = crate::sys::fork::PerProcess::new(zmq::Context::new);
    CTX.get().clone()
}

/// Run a libzmq call that does not wait (a connect, a bind, a send to a
/// PUB socket) again when a signal interrupted it (`EINTR`: libzmq was
/// processing its commands when a handler ran). Such calls must neither
/// fail nor be left half-done because a Python or Node program got a
/// signal; waits are the only calls that report `HB_INTERRUPTED`.
pub fn no_eintr<T>(mut f: impl FnMut() -> std::result::Result<T, zmq::Error>) -> std::result::Result<T, zmq::Error> {
    let mut tries = 0;
    loop {
        match f() {
            Err(zmq::Error::EINTR) if tries < 1000 => tries += 1,
            r => return r,
        }
    }
}

/// A fresh `inproc://` endpoint name for a socket pair inside this
/// process (control channels, monitors): `inproc://hypobus-<kind>-<pid>-<n>`.
pub fn inproc_endpoint(kind: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("inproc://hypobus-{kind}-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// A free TCP port for a server of this process or a child it starts (the
/// lab's failover trial, the tests). Ports come from below the kernel's
/// ephemeral range (32768+), so no outgoing connection (ZeroMQ reconnects,
/// other tests) can take one between this check and the bind that follows;
/// each process starts at its own offset and never hands out a port twice.
pub fn free_port() -> Result<u16> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let base = 20_000 + (std::process::id() * 97) % 10_000;
    for _ in 0..12_000 {
        let p = (base + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) % 12_000 + 20_000;
        if std::net::TcpListener::bind(("0.0.0.0", p as u16)).is_ok() {
            return Ok(p as u16);
        }
    }
    Err(Error::Config("no free TCP port in 20000..32000".into()))
}

/// High-water mark for every socket: generous, so bursts of many requests in
/// flight are not silently dropped by a PUB socket.
pub const HWM: i32 = 200_000;

/// Common options: no lingering on close, big queues.
pub fn tune(sock: &zmq::Socket) -> Result<()> {
    sock.set_linger(0)?;
    sock.set_sndhwm(HWM)?;
    sock.set_rcvhwm(HWM)?;
    Ok(())
}

/// Receive every frame of one message (the socket must be readable or the
/// call blocks). Frames past `max_frames` are read and dropped, and the count
/// returned is the real one, so a bad sender cannot grow our memory.
pub fn recv_frames(sock: &zmq::Socket, flags: i32, out: &mut Vec<Vec<u8>>, max_frames: usize) -> Result<usize> {
    out.clear();
    let mut n = 0;
    loop {
        let f = sock.recv_bytes(flags)?;
        n += 1;
        if out.len() < max_frames {
            out.push(f);
        }
        if !sock.get_rcvmore()? {
            return Ok(n);
        }
    }
}

/// Milliseconds until `deadline` for `zmq::poll` (0 if past, capped).
pub fn ms_until(deadline: Instant) -> i64 {
    let now = Instant::now();
    if deadline <= now {
        0
    } else {
        (deadline - now).as_millis().min(i64::MAX as u128) as i64 + 1
    }
}

/// A monotonic deadline `ms` from now.
pub fn deadline_in(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}
