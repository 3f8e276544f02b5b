//! The C ABI: a thin layer over the typed Rust API, described for C by
//! `include/hypobus.h` (generated from this module by cbindgen in `build.rs`).
//! The rules every exported function follows are written once, in the
//! header's preamble (`cbindgen.toml`); this module holds the machinery that
//! enforces them:
//!
//! * status, failure and error text: [`HbStatus`], [`Failure`], the entry
//!   macro [`ffi_entry!`] (no panic crosses the boundary; the text of a
//!   failure is kept per thread *and* per handle, so a caller whose call ran
//!   on a pool thread can still read it);
//! * the handle registry: handles are keys, never dereferenced addresses,
//!   so a NULL, freed or wrong-type handle is an error, never a crash;
//! * waiting: [`wait_until`] is the one wait loop (the timeout rule, signal
//!   interruption, wake-up when the handle is freed), used by every call that
//!   can wait; no handle is locked while it sleeps;
//! * argument and output helpers (outputs that do not fit are never lost).
//!
//! The machinery lives in `error.rs` (statuses, failures, error text),
//! `entry.rs` (the entry macro: the one panic boundary), `handle.rs` (the
//! registry and what every handle has), `wait.rs` (the one wait loop,
//! `hb_poll`, `hb_wait_any`), `args.rs` (arguments and outputs) and
//! `library.rs` (the library-wide functions); one file per handle kind
//! holds that kind's functions.

#![allow(clippy::not_unsafe_ptr_arg_deref)]

// The shared machinery first (cbindgen writes the header in this order:
// the status enum and the library-wide functions before the roles').
pub mod error;
pub mod library;
mod args;
mod entry;
mod handle;
pub mod wait;
// One file per handle kind.
pub mod broker;
pub mod calc;
pub(crate) mod callback;
pub mod client;
pub mod failover;
pub mod libzmq;
pub mod op;
pub mod proxy;
pub mod security;
pub mod socket;
pub mod task;
pub mod watch;

pub(crate) use args::*;
pub(crate) use entry::{ffi_entry, run_entry};
pub use error::HbStatus;
pub(crate) use error::{status_of, Failure, FfiResult};
pub(crate) use handle::*;
pub use library::*;
pub(crate) use wait::{deadline, sleep_on, wait_until, Step};

// ------------------------------------------------------------ constants

/// Major version of the C ABI. A binding built for another major version
/// must not use this library (see `hb_abi_version`).
pub const HB_ABI_VERSION_MAJOR: u32 = 1;
/// Minor version of the C ABI: grows when functions or struct fields are added.
pub const HB_ABI_VERSION_MINOR: u32 = 5;
/// Every text the library writes (an answer, an error reason, an event
/// reason, a request's value, a log line) is shorter than this many bytes,
/// NUL included: a buffer of `HB_TEXT_MAX` bytes always fits.
pub const HB_TEXT_MAX: usize = 512;
/// Error messages (`hb_last_error`, `hb_error_info`) are cut to fit this
/// many bytes, NUL included.
pub const HB_ERROR_MAX: usize = 512;
/// The most handles one `hb_poll` or `hb_wait_any` call takes.
pub const HB_WAIT_MAX: usize = 4096;
/// `hb_poll` events: a message (request, answer, event) can be taken now.
pub const HB_POLLIN: i16 = 1;
/// `hb_poll` events: a socket can send now.
pub const HB_POLLOUT: i16 = 2;
/// `hb_poll` revents: the handle was freed or stopped (or is not valid).
pub const HB_POLLERR: i16 = 4;
/// `hb_poll` events (sockets): a socket event (`hb_socket_next_event`) can be taken now.
pub const HB_POLLMON: i16 = 8;
/// `hb_poll` revents: another thread called `hb_wake` on the handle.
pub const HB_POLLWAKE: i16 = 16;
