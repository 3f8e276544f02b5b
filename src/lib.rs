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
//! | [`ffi`] | the C ABI (`include/hypobus.h`) |
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

pub mod broker;
pub mod calc;
pub mod client;
pub mod error;
pub mod failover;
pub mod ffi;
pub mod lab;
pub mod log;
pub mod net;
pub mod op;
pub mod runner;
pub mod wire;

pub use error::{Error, Result};
