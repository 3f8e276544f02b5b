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

/// Send without ever blocking the I/O thread: a message that finds the
/// queue toward the broker full (200 000 messages: the broker is gone) is
/// dropped, and the resend timer (client) or the broker's re-dispatch
/// (worker) makes up for it.
pub(crate) fn send_all(s: &zmq::Socket, frames: &[&[u8]]) -> crate::Result<()> {
    let last = frames.len() - 1;
    for (i, f) in frames.iter().enumerate() {
        match crate::sys::ctx::no_eintr(|| s.send(*f, if i < last { zmq::SNDMORE | zmq::DONTWAIT } else { zmq::DONTWAIT })) {
            Ok(()) => {}
            // Only the first frame can find the queue full (the rest of a message always goes).
            Err(zmq::Error::EAGAIN) if i == 0 => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
