//! Task brokers (the course's request/reply brokers as components): a
//! [`broker::TaskBroker`] between many clients and pools of workers, with
//! `lru` / `load` dispatch and typed services, answer time-outs and
//! heartbeats, a durable journal ([`store`]) and peering between brokers;
//! a [`worker::TaskWorker`] (a bounded pool of handler threads, or pull
//! style); a lazy-pirate [`client::TaskClient`]. Frames: [`crate::wire::task`]
//! and `docs/PROTOCOL.md`.
//!
//! ```no_run
//! use hypobus::task::{broker::*, worker::*, client::*};
//! let b = TaskBroker::start(TaskBrokerConfig::default()).unwrap();
//! let ep = b.endpoints().clone();
//! let _w = TaskWorker::serve(WorkerConfig::new(&ep.backend), |job: &Job| Ok(job.body.to_ascii_uppercase())).unwrap();
//! let c = TaskClient::new(TaskClientConfig::new(&ep.frontend)).unwrap();
//! assert_eq!(c.request("", b"hello", std::time::Duration::from_secs(5)).unwrap(), b"HELLO");
//! ```

pub mod broker;
pub mod client;
pub mod store;
pub mod worker;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// A Linux eventfd used as a level: readable from `raise` until `lower`.
pub(crate) struct EventFd(OwnedFd);

impl EventFd {
    pub(crate) fn new() -> crate::Result<EventFd> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(crate::Error::Config(format!("eventfd failed: {}", std::io::Error::last_os_error())));
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        Ok(EventFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    pub(crate) fn raise(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our own eventfd.
        unsafe { libc::write(self.0.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    pub(crate) fn lower(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64 from our own non-blocking eventfd.
        unsafe { libc::read(self.0.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Private wake-ups for threads waiting on one object (the C ABI's waits):
/// each waiter registers an eventfd of its own, raised on every change, and
/// only its owner lowers it, so no waiter can swallow another's wake-up.
#[derive(Default)]
pub(crate) struct Waiters {
    list: std::sync::Mutex<Vec<std::sync::Arc<EventFd>>>,
}

/// A registered waiter (unregistered when dropped).
pub struct Waiter<'a> {
    owner: &'a Waiters,
    fd: std::sync::Arc<EventFd>,
}

impl Waiters {
    pub(crate) fn register(&self) -> crate::Result<Waiter<'_>> {
        let fd = std::sync::Arc::new(EventFd::new()?);
        self.list.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(fd.clone());
        Ok(Waiter { owner: self, fd })
    }

    pub(crate) fn wake_all(&self) {
        for w in self.list.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            w.raise();
        }
    }
}

impl Waiter<'_> {
    /// Lower it before looking (then a change after the look raises it again).
    pub fn drain(&self) {
        self.fd.lower();
    }
    /// The descriptor to sleep on.
    pub fn fd(&self) -> RawFd {
        self.fd.fd()
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.owner.list.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|w| !std::sync::Arc::ptr_eq(w, &self.fd));
    }
}




/// A fast non-cryptographic hasher (the Fx hash of rustc) for the broker's
/// own maps: their keys come from the broker itself or are only looked up,
/// so flooding them is not a concern worth SipHash's cost per request.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A HashMap with [`FxHasher`].
pub(crate) type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
