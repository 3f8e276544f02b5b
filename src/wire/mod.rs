//! Every protocol's bytes, one module per protocol. Roles import these;
//! these import no role, so what goes over a socket is defined once and
//! the roles, the observer and the C ABI agree on it (`docs/PROTOCOL.md`
//! says the same for humans).
//!
//! - [`lab`]: the hypotenuse lab's topics, tags, frames, numbers, the
//!   brokers' heartbeats and state (re-exported here: `wire::Number`...).
//! - [`obs`]: the observability topics roles publish for `hypobus watch`.
//! - [`task`]: the task brokers' frames (clients, workers, peers).

pub mod lab;
pub mod obs;
pub mod task;

pub use lab::*;
