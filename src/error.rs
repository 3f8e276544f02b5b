//! The library's error type.

use crate::wire::WireError;

/// Everything that can go wrong in libhypobus.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad setting: endpoint, lane, option value.
    #[error("configuration error: {0}")]
    Config(String),
    /// A value or frame that does not follow the wire format.
    #[error("invalid input: {0}")]
    Wire(#[from] WireError),
    /// The remote side answered with an error (`ERR <reason>` on the wire).
    #[error("remote error: {0}")]
    Remote(String),
    /// Nothing arrived before the deadline.
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// A ZeroMQ call failed.
    #[error("zeromq error: {0}")]
    Zmq(#[from] zmq::Error),
    /// The role was stopped, or its thread is gone.
    #[error("stopped")]
    Stopped,
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
