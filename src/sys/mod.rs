//! Process plumbing under everything else: the ZeroMQ context and socket
//! set-up ([`ctx`]), raw libzmq calls the `zmq` crate does not offer
//! ([`libzmq`]), fork safety ([`fork`]), the eventfd wake-up ([`notify`]),
//! role threads ([`runner`]).

pub mod ctx;
pub mod fork;
pub mod libzmq;
pub(crate) mod notify;
pub mod runner;
