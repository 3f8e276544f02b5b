//! libhypobus: the ZeroMQ "hypotenuse lab" as a library.
//!
//! The layers, bottom to top (`ARCHITECTURE.md` tells how a request flows):
//!
//! | module | what lives there |
//! |---|---|
//! | [`wire`] | every protocol's bytes: the lab's ([`wire::lab`]), the observer's, the task brokers' |
//! | [`sys`] | process plumbing: the ZeroMQ context and socket set-up, raw libzmq calls, fork safety, the eventfd notifier, role threads |
//! | [`lab`] | the hypotenuse lab's roles: broker, failover monitor, operation node, calc node, client; broker lists; the in-process [`lab::Lab`] |
//! | [`task`] | task brokers (lru / load / typed, fault tolerant, durable, peering), workers, lazy-pirate clients |
//! | [`watch`] | the passive observer: each request's path from the wire, diagrams |
//! | [`socket`], [`proxy`] | generic ZeroMQ sockets (every type the course uses) and a proxy thread, for the bindings |
//! | [`ffi`] | the C ABI (`include/hypobus.h`) over all of the above |
//! | [`log`], [`error`] | event logs, the error type |
//!
//! ```no_run
//! use hypobus::lab::{broker::*, brokers::BrokerAddr, calc::*, client::*, op::*};
//! let _broker = Broker::start(BrokerConfig::default()).unwrap();
//! let brokers = vec![BrokerAddr::default()];
//! let _sq1 = OpNode::start(OpConfig::new(brokers.clone(), 1), Operation::Square).unwrap();
//! let _sq2 = OpNode::start(OpConfig::new(brokers.clone(), 2), Operation::Square).unwrap();
//! let _calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
//! let mut client = Client::new(ClientConfig { brokers, ..Default::default() }).unwrap();
//! assert_eq!(client.hypot("12", "13").unwrap(), "17.6918");
//! ```

// cbindgen reads only `ffi` (the C API); the other modules are the Rust API.
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
pub mod lab;
/// cbindgen:ignore
pub mod log;
/// cbindgen:ignore
pub mod proxy;
/// cbindgen:ignore
pub mod security;
/// cbindgen:ignore
pub mod socket;
/// cbindgen:ignore
pub mod sys;
/// cbindgen:ignore
pub mod task;
/// cbindgen:ignore
pub mod watch;
/// cbindgen:ignore
pub mod wire;
pub mod ffi;

pub use error::{Error, Result};
