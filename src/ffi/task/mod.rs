//! `hb_task_broker_*` ([`broker`]), `hb_task_worker_*` ([`worker`]),
//! `hb_task_client_*` ([`client`]): the task brokers of [`crate::task`] for
//! C. Thin: arguments are converted here, the work is done by the Rust
//! types, waits go through [`super::wait_until`].

use super::Failure;
use std::ffi::c_void;
use std::time::Duration;

pub mod broker;
pub mod worker;
pub mod client;

pub use broker::*;
pub use client::*;
pub use worker::*;

// ------------------------------------------------------------ constants

/// `hb_task_broker_config_t.policy`: the least recently used ready worker (the course's router/router broker).
pub const HB_TASK_LRU: i32 = 0;
/// `hb_task_broker_config_t.policy`: the ready worker reporting the least load (a min-heap).
pub const HB_TASK_LOAD: i32 = 1;
/// `hb_task_broker_endpoint` `which`: the frontend (clients connect here).
pub const HB_TASK_FRONTEND: i32 = 0;
/// `hb_task_broker_endpoint` `which`: the backend (workers connect here).
pub const HB_TASK_BACKEND: i32 = 1;
/// `hb_task_broker_endpoint` `which`: the capacity publication (peering; empty without).
pub const HB_TASK_STATE: i32 = 2;
/// `hb_task_client_next` outcome: the worker's result is in the buffer.
pub const HB_TASK_OK: i32 = 0;
/// `hb_task_client_next` outcome: the task failed; the reason (UTF-8) is in the buffer.
pub const HB_TASK_FAILED: i32 = 1;
/// `hb_task_client_next` outcome: no answer after the client's tries; the reason is in the buffer.
pub const HB_TASK_GAVE_UP: i32 = 2;
/// `hb_task_client_next` outcome: a fetch of an id the broker does not know (empty buffer).
pub const HB_TASK_UNKNOWN: i32 = 3;

pub(crate) fn bytes_in<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    super::bytes_arg(p, len, what)
}

pub(crate) fn ms(v: u32, default_ms: u64) -> Duration {
    Duration::from_millis(if v == 0 { default_ms } else { v.into() })
}
