//! What a C call did: the one status enum ([`HbStatus`]), a failure with
//! its errno and text ([`Failure`]), and the error text kept per thread.

use crate::error::Error;
use std::borrow::Cow;
use std::cell::RefCell;

use super::HB_ERROR_MAX;

/// What a call did. Every exported function returns one.
///
/// When the status is not `HB_OK`, `hb_last_error()` on the same thread,
/// or `hb_error_info()` with the handle the call was made on, explains it.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HbStatus {
    /// Success.
    HB_OK = 0,
    /// Nothing arrived, or the work did not finish, before the time-out ran
    /// out (also: a socket had nothing to receive or could not send now,
    /// libzmq's `EAGAIN`).
    HB_TIMEOUT = 1,
    /// A bad argument: a NULL pointer where one is required, a string that
    /// is not UTF-8, a value that is not a valid number, an unknown id, a
    /// negative time-out.
    HB_INVALID_ARGUMENT = 2,
    /// A NULL, freed, never-created or wrong-type handle.
    HB_INVALID_HANDLE = 3,
    /// A bad setting: endpoint that cannot be bound, bad broker list, lane 0.
    HB_CONFIG = 4,
    /// The remote side answered with an error (the reason is in the error text).
    HB_REMOTE = 5,
    /// A ZeroMQ call failed; `hb_error_info` gives libzmq's errno (for
    /// example `EFSM` for a REQ socket sending twice, `EHOSTUNREACH` for a
    /// ROUTER_MANDATORY socket and an unknown peer).
    HB_ZMQ = 6,
    /// The handle was freed or stopped (by this or another thread, also while
    /// the call waited), or the role's thread is gone.
    HB_STOPPED = 7,
    /// A caller buffer is too small: `*out_len` (or the call's own size
    /// output) tells the size needed. Nothing was taken: the same call with
    /// a big enough buffer returns the same item.
    HB_BUFFER_TOO_SMALL = 8,
    /// A bug in the library: a panic was caught at the boundary.
    HB_PANIC = 9,
    /// A signal arrived while the call waited (`EINTR`): the call returns
    /// at once, having taken and left nothing half-done; call it again
    /// once the signal is handled (e.g. Python's Ctrl-C).
    HB_INTERRUPTED = 10,
    /// The handle is busy with something that excludes this call (a socket
    /// that a proxy runs, a role calling this from its own callback in a
    /// way that would wait for itself).
    HB_BUSY = 11,
    /// The handle was created before this process was forked: it belongs to
    /// the parent (its threads and sockets do not exist here), so a forked
    /// child cannot use it. Freeing it in the child is `HB_OK` and touches
    /// nothing; make new handles instead.
    HB_FORKED = 12,
}

use HbStatus::*;

const ALL_STATUSES: [HbStatus; 13] = [
    HB_OK,
    HB_TIMEOUT,
    HB_INVALID_ARGUMENT,
    HB_INVALID_HANDLE,
    HB_CONFIG,
    HB_REMOTE,
    HB_ZMQ,
    HB_STOPPED,
    HB_BUFFER_TOO_SMALL,
    HB_PANIC,
    HB_INTERRUPTED,
    HB_BUSY,
    HB_FORKED,
];

impl HbStatus {
    pub(crate) fn name(self) -> &'static str {
        match self {
            HB_OK => "HB_OK",
            HB_TIMEOUT => "HB_TIMEOUT",
            HB_INVALID_ARGUMENT => "HB_INVALID_ARGUMENT",
            HB_INVALID_HANDLE => "HB_INVALID_HANDLE",
            HB_CONFIG => "HB_CONFIG",
            HB_REMOTE => "HB_REMOTE",
            HB_ZMQ => "HB_ZMQ",
            HB_STOPPED => "HB_STOPPED",
            HB_BUFFER_TOO_SMALL => "HB_BUFFER_TOO_SMALL",
            HB_PANIC => "HB_PANIC",
            HB_INTERRUPTED => "HB_INTERRUPTED",
            HB_BUSY => "HB_BUSY",
            HB_FORKED => "HB_FORKED",
        }
    }

    /// The status with this number, if there is one.
    pub fn from_i32(v: i32) -> Option<HbStatus> {
        ALL_STATUSES.into_iter().find(|s| *s as i32 == v)
    }
}

/// The status for each library error: the one place where errors map to statuses.
pub(crate) fn status_of(e: &Error) -> HbStatus {
    match e {
        Error::Config(_) => HB_CONFIG,
        Error::Wire(_) => HB_INVALID_ARGUMENT,
        Error::Remote(_) => HB_REMOTE,
        Error::Timeout(_) => HB_TIMEOUT,
        Error::Zmq(zmq::Error::EINTR) => HB_INTERRUPTED,
        Error::Zmq(zmq::Error::EAGAIN) => HB_TIMEOUT,
        Error::Zmq(zmq::Error::ETERM) => HB_STOPPED,
        Error::Zmq(_) => HB_ZMQ,
        Error::Stopped => HB_STOPPED,
    }
}

/// A failed call: its status, libzmq's errno (0 if none) and the message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: HbStatus,
    pub errno: i32,
    pub msg: Cow<'static, str>,
}

impl Failure {
    pub(crate) fn new(status: HbStatus, msg: impl Into<Cow<'static, str>>) -> Failure {
        Failure { status, errno: 0, msg: msg.into() }
    }
    pub(crate) fn arg(msg: impl Into<Cow<'static, str>>) -> Failure {
        Failure::new(HB_INVALID_ARGUMENT, msg)
    }
    pub(crate) fn timeout(msg: impl Into<Cow<'static, str>>) -> Failure {
        Failure::new(HB_TIMEOUT, msg)
    }
    pub(crate) fn stopped(msg: impl Into<Cow<'static, str>>) -> Failure {
        Failure::new(HB_STOPPED, msg)
    }
    pub(crate) fn interrupted() -> Failure {
        Failure { status: HB_INTERRUPTED, errno: libc::EINTR, msg: Cow::Borrowed("interrupted by a signal while waiting") }
    }
    /// A libzmq failure, with its errno.
    pub(crate) fn zmq(e: zmq::Error, context: &str) -> Failure {
        let status = status_of(&Error::Zmq(e));
        Failure { status, errno: e.to_raw(), msg: Cow::Owned(format!("{context}: {}", e.message())) }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let errno = match &e {
            Error::Zmq(z) => z.to_raw(),
            _ => 0,
        };
        Failure { status: status_of(&e), errno, msg: Cow::Owned(e.to_string()) }
    }
}

impl From<zmq::Error> for Failure {
    fn from(e: zmq::Error) -> Failure {
        Error::Zmq(e).into()
    }
}

/// What an entry point's body returns.
pub(crate) type FfiResult = std::result::Result<(), Failure>;

/// The explanation of a failure, as kept per thread and per handle.
#[derive(Debug, Clone)]
pub(crate) struct ErrInfo {
    pub(crate) status: HbStatus,
    pub(crate) errno: i32,
    pub(crate) msg: String,
}

impl ErrInfo {
    pub(crate) const fn empty() -> ErrInfo {
        ErrInfo { status: HB_OK, errno: 0, msg: String::new() }
    }

    pub(crate) fn set(&mut self, f: &Failure) {
        self.status = f.status;
        self.errno = f.errno;
        self.msg.clear();
        let mut n = f.msg.len().min(HB_ERROR_MAX - 1);
        while !f.msg.is_char_boundary(n) {
            n -= 1;
        }
        self.msg.push_str(&f.msg[..n]);
    }
}

thread_local! {
    pub(crate) static LAST_ERROR: RefCell<ErrInfo> = const { RefCell::new(ErrInfo::empty()) };
}
