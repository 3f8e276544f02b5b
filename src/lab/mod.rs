//! The hypotenuse lab's roles: the broker ([`broker`]) and the failover
//! pair's monitor ([`failover`]), the operation node ([`op`]), the
//! calculation node ([`calc`]), the client ([`client`]); how nodes reach
//! their brokers ([`brokers`]); the whole lab in one process ([`Lab`], for
//! tests, benchmarks and the tool). Their bytes are [`crate::wire::lab`].

mod answered;
pub mod broker;
pub mod brokers;
pub mod calc;
pub mod client;
pub mod failover;
mod inproc;
pub mod op;

pub use inproc::{Lab, LabConfig};
