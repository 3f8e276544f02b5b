//! libhypobus: the ZeroMQ "hypotenuse lab" as a library.
//!
//! | module | what lives there |
//! |---|---|
//! | [`wire`] | topics, tags, frames, number parsing and formatting |
//! | [`net`] | broker addresses and the socket set-up every node shares |
//! | [`broker`] | the XSUB/XPUB broker with heartbeats |
//! | [`failover`] | primary/backup brokers: heartbeats with state, take-over, hand-back |
//! | [`op`] | operation nodes (square by default, or any operation) |
//! | [`calc`] | the calculation node |
//! | [`client`] | the client |
//! | [`lab`] | the whole lab on loopback, as `hypobus lab` runs it, and the failover trial |
//! | [`socket`] | generic ZeroMQ sockets (every type the course uses), for the bindings |
//! | [`proxy`] | a proxy on a library thread (XPUB/XSUB, ROUTER/DEALER brokers) |
//! | [`task`] | task brokers (lru / load / typed, fault tolerant, durable, peering), workers, lazy-pirate clients |
//! | [`watch`] | the passive observer: each request's path from the wire, diagrams, the live page |
//! | [`ffi`] | the C ABI (`include/hypobus.h`) |
//! | [`zsys`] | the few raw libzmq calls the `zmq` crate does not expose |
//! | [`runner`], [`log`], [`error`] | role threads, event logs, the error type |
//!
//! ```no_run
//! use hypobus::{broker::*, op::*, calc::*, client::*, net::BrokerAddr};
//! let _broker = Broker::start(BrokerConfig::default()).unwrap();
//! let brokers = vec![BrokerAddr::default()];
//! let _sq1 = OpNode::start(OpConfig { brokers: brokers.clone(), lane: 1 }, Operation::Square).unwrap();
//! let _sq2 = OpNode::start(OpConfig { brokers: brokers.clone(), lane: 2 }, Operation::Square).unwrap();
//! let _calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
//! let mut client = Client::new(ClientConfig { brokers, ..Default::default() }).unwrap();
//! assert_eq!(client.hypot("12", "13").unwrap(), "17.6918");
//! ```

// cbindgen reads only `ffi` (the C API); the other modules are the Rust API.
/// cbindgen:ignore
pub mod broker;
/// cbindgen:ignore
pub mod calc;
/// cbindgen:ignore
pub mod client;
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
pub mod failover;
/// cbindgen:ignore
pub mod fork;
/// cbindgen:ignore
pub mod lab;
/// cbindgen:ignore
pub mod log;
/// cbindgen:ignore
pub mod net;
/// cbindgen:ignore
pub(crate) mod notify;
/// cbindgen:ignore
pub mod op;
/// cbindgen:ignore
pub mod proxy;
/// cbindgen:ignore
pub mod runner;
/// cbindgen:ignore
pub mod socket;
/// cbindgen:ignore
pub mod task;
/// cbindgen:ignore
pub mod watch;
/// cbindgen:ignore
pub mod wire;
/// cbindgen:ignore
pub mod zsys;
pub mod ffi;

pub use error::{Error, Result};
