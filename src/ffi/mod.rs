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
//! One file per role holds that role's functions.

#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod broker;
pub(crate) mod callback;
pub mod calc;
pub mod client;
pub mod failover;
pub mod libzmq;
pub mod op;
pub mod proxy;
pub mod socket;
pub mod task;
pub mod wait;
pub mod watch;

use crate::error::Error;
use crate::sys::fork::PerProcess;
use crate::lab::brokers::BrokerAddr;
use once_cell::sync::OnceCell;
use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

// ------------------------------------------------------------ constants

/// Major version of the C ABI. A binding built for another major version
/// must not use this library (see `hb_abi_version`).
pub const HB_ABI_VERSION_MAJOR: u32 = 1;
/// Minor version of the C ABI: grows when functions or struct fields are added.
pub const HB_ABI_VERSION_MINOR: u32 = 2;
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

// ------------------------------------------------------------ status

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
    fn name(self) -> &'static str {
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

    fn from_i32(v: i32) -> Option<HbStatus> {
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

// ------------------------------------------------------------ failures

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
    status: HbStatus,
    errno: i32,
    msg: String,
}

impl ErrInfo {
    const fn empty() -> ErrInfo {
        ErrInfo { status: HB_OK, errno: 0, msg: String::new() }
    }

    fn set(&mut self, f: &Failure) {
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
    static LAST_ERROR: RefCell<ErrInfo> = const { RefCell::new(ErrInfo::empty()) };
}

fn record(f: &Failure, key: Option<usize>) {
    LAST_ERROR.with(|e| e.borrow_mut().set(f));
    if let Some(key) = key {
        if let Some(h) = registry().get(&key).map(|e| e.dynh.clone()) {
            h.common().err.lock().unwrap_or_else(PoisonError::into_inner).set(f);
        }
    }
}

// ------------------------------------------------------------ the entry macro

/// Wraps the body of every exported function: runs it under
/// `catch_unwind`, turns its `Err(Failure)` into a status and records the
/// failure (this thread's last error, and the handle's when one is named),
/// and a panic into `HB_PANIC`.
///
/// `ffi_entry!("hb_name", { ...; Ok(()) })`, `ffi_entry!(handle; "hb_name", {...})`
/// (also record on `handle`'s own error), `ffi_entry!(quiet "hb_name", {...})`
/// (record nothing: for the functions that read errors).
macro_rules! ffi_entry {
    (quiet $name:literal, $body:block) => {
        $crate::ffi::run_entry($name, false, None, move || -> $crate::ffi::FfiResult { $body })
    };
    ($h:expr; $name:literal, $body:block) => {{
        let key = ($h).addr();
        $crate::ffi::run_entry($name, true, Some(key), move || -> $crate::ffi::FfiResult { $body })
    }};
    ($name:literal, $body:block) => {
        $crate::ffi::run_entry($name, true, None, move || -> $crate::ffi::FfiResult { $body })
    };
}
pub(crate) use ffi_entry;

pub(crate) fn run_entry(name: &str, record_it: bool, key: Option<usize>, body: impl FnOnce() -> FfiResult) -> HbStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => HB_OK,
        Ok(Err(f)) => {
            if record_it {
                record(&f, key);
            }
            f.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            // Dropping the payload could itself panic; keep it away from the boundary.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            let f = Failure::new(HB_PANIC, format!("internal error (panic) in {name}: {what}"));
            let _ = catch_unwind(AssertUnwindSafe(|| record(&f, key)));
            HB_PANIC
        }
    }
}

// ------------------------------------------------------------ notifier

pub(crate) use crate::sys::notify::Notifier;

// ------------------------------------------------------------ handle registry

/// The kind of object behind a handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeTag {
    Broker,
    Op,
    OpPull,
    Calc,
    Client,
    Failover,
    Socket,
    Proxy,
    TaskBroker,
    TaskWorker,
    TaskClient,
    Watch,
}

impl TypeTag {
    pub(crate) fn c_name(self) -> &'static str {
        match self {
            TypeTag::Broker => "hb_broker",
            TypeTag::Op => "hb_op",
            TypeTag::OpPull => "hb_op_pull",
            TypeTag::Calc => "hb_calc",
            TypeTag::Client => "hb_client",
            TypeTag::Failover => "hb_failover",
            TypeTag::Socket => "hb_socket",
            TypeTag::Proxy => "hb_proxy",
            TypeTag::TaskBroker => "hb_task_broker",
            TypeTag::TaskWorker => "hb_task_worker",
            TypeTag::TaskClient => "hb_task_client",
            TypeTag::Watch => "hb_watch",
        }
    }
}

/// What a look at a handle found (for `hb_poll`): the events ready now and
/// when a timer of the handle is due (a resend, a time-out).
pub(crate) struct Look {
    pub revents: i16,
    pub timer: Option<Instant>,
}

/// An object that C holds through an opaque handle.
pub(crate) trait Object: Send + Sync + 'static {
    const TAG: TypeTag;

    /// For `hb_poll`: which of `events` are ready now, without waiting;
    /// push the descriptors that signal a change onto `fds`.
    fn look(&self, _events: i16, _fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        Err(Failure::arg(format!("{} handles cannot be polled", Self::TAG.c_name())))
    }

    /// The descriptors that signal a change, for the handle's event-loop fd
    /// (`hb_handle_fd`); `None` when the handle has nothing to wait for.
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(None)
    }

    /// Called once when the handle is freed, after it was unregistered and
    /// every wait on it was woken: stop background work. Calls still running
    /// on other threads keep the object alive until they return.
    fn close(&self) {}
}

/// What every handle has besides its object: its last error, its notifier,
/// whether it was freed, the waits sleeping on it.
pub(crate) struct Common {
    err: Mutex<ErrInfo>,
    pub notifier: Notifier,
    closed: AtomicBool,
    waiters: AtomicUsize,
    wake_requested: AtomicBool,
    epoll: OnceCell<OwnedFd>,
}

impl Common {
    fn new() -> Result<Common, Failure> {
        Ok(Common {
            err: Mutex::new(ErrInfo::empty()),
            notifier: Notifier::new().map_err(|e| Failure::new(HB_ZMQ, e.to_string()))?,
            closed: AtomicBool::new(false),
            waiters: AtomicUsize::new(0),
            wake_requested: AtomicBool::new(false),
            epoll: OnceCell::new(),
        })
    }

    /// Mark closed and wake every wait (the notifier stays readable).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.notifier.poke();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Wake waits sleeping on this handle (if any), so they look again:
    /// call after taking something from a socket that a waiter on another
    /// thread might have been told about.
    pub(crate) fn poke_waiters(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.notifier.poke();
        }
    }

    /// Whether another wait sleeps on this handle now.
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::SeqCst) > 0
    }
}

/// A registered object with its [`Common`] part.
pub(crate) struct Slot<T> {
    pub common: Common,
    pub obj: T,
}

impl<T> std::ops::Deref for Slot<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.obj
    }
}

/// The type-independent view of a slot, for calls that take handles of any kind.
pub(crate) trait DynSlot: Send + Sync {
    fn common(&self) -> &Common;
    fn tag(&self) -> TypeTag;
    fn look(&self, events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure>;
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure>;
    fn close_obj(&self);
}

impl<T: Object> DynSlot for Slot<T> {
    fn common(&self) -> &Common {
        &self.common
    }
    fn tag(&self) -> TypeTag {
        T::TAG
    }
    fn look(&self, events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        self.obj.look(events, fds)
    }
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        self.obj.watch_fds()
    }
    fn close_obj(&self) {
        self.obj.close()
    }
}

struct Entry {
    any: Arc<dyn Any + Send + Sync>,
    dynh: Arc<dyn DynSlot>,
}

/// Live handles: handle value → object. The handle value is a key, never a
/// memory address that is dereferenced. One registry per process: a forked
/// child starts with an empty one (the parent's is never touched there, not
/// even its lock, which a parent thread may have held at the fork).
static HANDLES: PerProcess<RwLock<HashMap<usize, Entry>>> = PerProcess::new(|| {
    crate::sys::fork::track_keys(&NEXT_HANDLE);
    RwLock::new(HashMap::new())
});

/// Next handle value. Values are never reused, so a stale handle stays
/// invalid even after new handles are created.
static NEXT_HANDLE: AtomicUsize = AtomicUsize::new(0x10_0000);
const HANDLE_STEP: usize = 16;

fn registry() -> std::sync::RwLockReadGuard<'static, HashMap<usize, Entry>> {
    HANDLES.get().read().unwrap_or_else(PoisonError::into_inner)
}

fn registry_mut() -> std::sync::RwLockWriteGuard<'static, HashMap<usize, Entry>> {
    HANDLES.get().write().unwrap_or_else(PoisonError::into_inner)
}

/// Register `obj` and return its handle for C.
pub(crate) fn register<T: Object>(obj: T) -> Result<*mut T, Failure> {
    let slot = Arc::new(Slot { common: Common::new()?, obj });
    let key = NEXT_HANDLE.fetch_add(HANDLE_STEP, Ordering::Relaxed);
    let any: Arc<dyn Any + Send + Sync> = slot.clone();
    registry_mut().insert(key, Entry { any, dynh: slot });
    Ok(std::ptr::without_provenance_mut(key))
}

fn not_live(key: usize, want: &str) -> Failure {
    if crate::sys::fork::inherited_key(key) {
        Failure::new(
            HB_FORKED,
            format!("{key:#x} is an {want} handle of the parent process: it was created before this process forked, and a forked child cannot use it (make a new one)"),
        )
    } else if key == 0 {
        Failure::new(HB_INVALID_HANDLE, format!("{want} handle is NULL"))
    } else {
        Failure::new(HB_INVALID_HANDLE, format!("{key:#x} is not a live {want} handle (already freed, or never created)"))
    }
}

/// The object behind a live handle of type `T` (kept alive for the call even
/// if another thread frees the handle meanwhile).
pub(crate) fn get<T: Object>(h: *const T) -> Result<Arc<Slot<T>>, Failure> {
    let key = h.addr();
    let any = {
        let reg = registry();
        let e = reg.get(&key).ok_or_else(|| not_live(key, T::TAG.c_name()))?;
        if e.dynh.tag() != T::TAG {
            return Err(Failure::new(
                HB_INVALID_HANDLE,
                format!("expected an {} handle, got an {} handle", T::TAG.c_name(), e.dynh.tag().c_name()),
            ));
        }
        e.any.clone()
    };
    any.downcast::<Slot<T>>().map_err(|_| Failure::new(HB_INVALID_HANDLE, format!("{} handle of the wrong type", T::TAG.c_name())))
}

/// The object behind a live handle of any type.
pub(crate) fn get_dyn(key: usize) -> Result<Arc<dyn DynSlot>, Failure> {
    registry().get(&key).map(|e| e.dynh.clone()).ok_or_else(|| not_live(key, "library"))
}

/// Unregister a handle, wake every wait on it, stop its work, and drop it
/// (once no call uses it any more). NULL is a no-op; a freed or wrong-type
/// handle is `HB_INVALID_HANDLE`.
pub(crate) fn free<T: Object>(h: *mut T) -> FfiResult {
    if h.is_null() || crate::sys::fork::inherited_key(h.addr()) {
        // A parent's handle in a forked child: nothing of it is ours to stop or close.
        return Ok(());
    }
    get(h)?; // type check
    let entry = registry_mut().remove(&h.addr()).ok_or_else(|| not_live(h.addr(), T::TAG.c_name()))?;
    entry.dynh.common().close();
    // Outside the registry lock: stopping a role joins its thread.
    entry.dynh.close_obj();
    drop(entry);
    Ok(())
}

/// Lock a handle's contents. A mutex poisoned by an earlier caught panic
/// makes the handle unusable (`HB_PANIC`); it can still be freed.
pub(crate) fn lock<'a, T>(m: &'a Mutex<T>, what: &str) -> Result<MutexGuard<'a, T>, Failure> {
    m.lock().map_err(|_| Failure::new(HB_PANIC, format!("an earlier call on this {what} panicked; free the handle")))
}

// ------------------------------------------------------------ waiting

/// The timeout rule (see the header): `timeout_ms` >= 0, 0 = do not wait.
pub(crate) fn deadline(timeout_ms: i32) -> Result<Instant, Failure> {
    if timeout_ms < 0 {
        return Err(Failure::arg(format!(
            "timeout_ms must be >= 0, not {timeout_ms}: nothing waits without a bound (0 = do not wait); to wait longer, call again in a loop"
        )));
    }
    Ok(Instant::now() + Duration::from_millis(timeout_ms as u64))
}

/// What one look of a wait found.
pub(crate) enum Step<R> {
    /// Done: return this.
    Ready(R),
    /// Not yet: sleep until a descriptor pushed onto `fds` signals, or
    /// until this time (a timer of the handle), or the deadline.
    Wait(Option<Instant>),
}

/// Sleep on `fds` (and the notifier) until one signals or `until`.
/// `HB_INTERRUPTED` when a signal arrives.
pub(crate) fn sleep_on(common: Option<&Common>, fds: &[RawFd], until: Instant) -> FfiResult {
    let mut pfds: Vec<libc::pollfd> = fds.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
    if let Some(c) = common {
        pfds.push(libc::pollfd { fd: c.notifier.fd(), events: libc::POLLIN, revents: 0 });
        c.waiters.fetch_add(1, Ordering::SeqCst);
    }
    let left = until.saturating_duration_since(Instant::now());
    let ts = libc::timespec { tv_sec: left.as_secs().min(i32::MAX as u64) as libc::time_t, tv_nsec: left.subsec_nanos() as libc::c_long };
    // SAFETY: pfds is a valid array of pfds.len() pollfd structures; ts is valid; no signal mask change.
    let rc = unsafe { libc::ppoll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, &ts, std::ptr::null()) };
    let err = std::io::Error::last_os_error();
    if let Some(c) = common {
        c.waiters.fetch_sub(1, Ordering::SeqCst);
    }
    if rc < 0 {
        if err.kind() == std::io::ErrorKind::Interrupted {
            return Err(Failure::interrupted());
        }
        return Err(Failure::new(HB_ZMQ, format!("poll failed: {err}")));
    }
    Ok(())
}

/// The one wait loop of the library. Calls `step` (which locks what it
/// needs, only for the look) until it is `Ready`, the deadline of
/// `timeout_ms` passes (`HB_TIMEOUT`, "nothing ... within N ms" with
/// `what`), a signal arrives (`HB_INTERRUPTED`) or the handle is freed
/// (`HB_STOPPED`). `step` runs at least once, also with a zero time-out.
pub(crate) fn wait_until<R>(
    common: &Common,
    timeout_ms: i32,
    what: &str,
    mut step: impl FnMut(&mut Vec<RawFd>) -> Result<Step<R>, Failure>,
) -> Result<R, Failure> {
    let deadline = deadline(timeout_ms)?;
    let mut fds = Vec::with_capacity(4);
    loop {
        if common.is_closed() {
            return Err(Failure::stopped("the handle was freed or stopped"));
        }
        if !common.wake_requested.load(Ordering::SeqCst) {
            common.notifier.drain();
        }
        fds.clear();
        let timer = match step(&mut fds)? {
            Step::Ready(r) => return Ok(r),
            Step::Wait(t) => t,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(Failure::timeout(if timeout_ms == 0 { format!("no {what} ready now") } else { format!("no {what} within {timeout_ms} ms") }));
        }
        sleep_on(Some(common), &fds, timer.map_or(deadline, |t| t.min(deadline)))?;
    }
}

// ------------------------------------------------------------ arguments

/// A required string argument.
pub(crate) fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    opt_str_arg(p, what)?.ok_or_else(|| Failure::arg(format!("{what} is NULL")))
}

/// An optional string argument (NULL = `None`).
pub(crate) fn opt_str_arg<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| Failure::arg(format!("{what} is not valid UTF-8")))
}

/// A byte buffer argument: `p` of `len` bytes (NULL allowed only with 0).
pub(crate) fn bytes_arg<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::arg(format!("{what} is NULL but its length is {len}")));
    }
    // SAFETY: the caller passes `len` readable bytes that outlive the call.
    Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// A required out-pointer, checked before any work is done.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(p: *mut T, what: &str) -> Result<Out<T>, Failure> {
        if p.is_null() {
            Err(Failure::arg(format!("{what} is NULL")))
        } else {
            Ok(Out(p))
        }
    }
    pub(crate) fn set(&self, v: T) {
        // SAFETY: non-NULL (checked in `new`); the caller passes a pointer to writable `T`.
        unsafe { self.0.write(v) }
    }
}

/// An optional out-pointer (NULL = not wanted).
pub(crate) fn set_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL; the caller passes a pointer to writable `T`.
        unsafe { p.write(v) }
    }
}

/// A caller's string buffer: `buf` of `len` bytes, optional `out_len`.
/// Text is written whole or not at all: a text that does not fit is
/// `HB_BUFFER_TOO_SMALL` with the length needed, and the caller's item is
/// not taken (the caller checks [`StrOut::fits`] before taking it).
pub(crate) struct StrOut {
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
}

impl StrOut {
    /// `buf` may be NULL only when `len` is 0 (a size query).
    pub(crate) fn new(buf: *mut c_char, len: usize, out_len: *mut usize, what: &str) -> Result<StrOut, Failure> {
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("{what} is NULL but its length is {len}")));
        }
        Ok(StrOut { buf, len, out_len })
    }

    /// True when the caller wants no text (NULL buffer, length 0).
    pub(crate) fn skipped(&self) -> bool {
        self.buf.is_null() && self.len == 0
    }

    /// Whether a text of `n` bytes fits (with its NUL), or is not wanted.
    pub(crate) fn fits(&self, n: usize) -> bool {
        self.skipped() || n < self.len
    }

    /// The failure for a text of `n` bytes that does not fit; `*out_len` = `n`.
    pub(crate) fn too_small(&self, n: usize) -> Failure {
        set_opt(self.out_len, n);
        if self.len > 0 {
            // SAFETY: buf holds at least one byte (len > 0, non-NULL checked in `new`).
            unsafe { self.buf.write(0) };
        }
        Failure::new(HB_BUFFER_TOO_SMALL, format!("buffer too small: {} bytes needed (with the NUL), {} given; nothing was taken", n + 1, self.len))
    }

    /// Write `s` with its NUL and set `*out_len`; if it does not fit, nothing
    /// but an empty string is written and the result is `HB_BUFFER_TOO_SMALL`.
    /// A skipped buffer only gets `*out_len`.
    pub(crate) fn put(&self, s: &str) -> FfiResult {
        if !self.fits(s.len()) {
            return Err(self.too_small(s.len()));
        }
        set_opt(self.out_len, s.len());
        if !self.skipped() {
            // SAFETY: buf is non-NULL and holds `len` > s.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.cast::<u8>(), s.len());
                self.buf.add(s.len()).write(0);
            }
        }
        Ok(())
    }
}

/// Copy a counters struct to a caller's struct whose first field, `size`,
/// the caller set to `sizeof` its struct: as many bytes as both know are
/// written, and `size` is set to that count. So an older caller (smaller
/// struct) and a newer library, or the other way round, never overrun.
///
/// `T` must be `#[repr(C)]` with `size: u32` first.
pub(crate) fn put_sized<T: Copy>(out: *mut T, mut v: T, what: &str) -> FfiResult {
    if out.is_null() {
        return Err(Failure::arg(format!("{what} is NULL")));
    }
    // SAFETY: the caller passes a struct that starts with its u32 size.
    let size = unsafe { out.cast::<u32>().read_unaligned() } as usize;
    if size < 8 {
        return Err(Failure::arg(format!("{what}->size must be set to sizeof the struct (at least 8), not {size}")));
    }
    let n = size.min(std::mem::size_of::<T>());
    // SAFETY: `T` starts with a u32 size (documented requirement of this function).
    unsafe { (&mut v as *mut T).cast::<u32>().write(n as u32) };
    // SAFETY: the caller's struct holds `size` >= n bytes; `v` holds size_of::<T>() >= n bytes.
    unsafe { std::ptr::copy_nonoverlapping((&v as *const T).cast::<u8>(), out.cast::<u8>(), n) };
    Ok(())
}

/// The `size` a caller wrote at the start of its sized struct (NULL refused).
fn caller_size<T>(p: *const T, what: &str) -> Result<usize, Failure> {
    if p.is_null() {
        return Err(Failure::arg(format!("{what} is NULL")));
    }
    // SAFETY: the caller passes a struct that starts with its u32 size.
    Ok(unsafe { p.cast::<u32>().read_unaligned() } as usize)
}

/// Read a caller's sized input struct: the fields past its `size` take the
/// values of `dflt`. `T` is `#[repr(C)]` with `size: u32` first.
pub(crate) fn read_sized<T: Copy>(p: *const T, dflt: T, what: &str) -> Result<T, Failure> {
    let size = caller_size(p, what)?;
    if size < 8 {
        return Err(Failure::arg(format!("{what}->size must be set to sizeof the struct, not {size}")));
    }
    let mut v = dflt;
    let n = size.min(std::mem::size_of::<T>());
    // SAFETY: the caller's struct holds `size` >= n bytes, `v` holds size_of::<T>() >= n.
    unsafe { std::ptr::copy_nonoverlapping(p.cast::<u8>(), (&mut v as *mut T).cast::<u8>(), n) };
    Ok(v)
}

/// Read a caller's sized struct whose every field is required (an
/// argument struct: pointers have no default): `size` must cover it all.
pub(crate) fn read_whole<T: Copy>(p: *const T, what: &str) -> Result<T, Failure> {
    let size = caller_size(p, what)?;
    if size < std::mem::size_of::<T>() {
        return Err(Failure::arg(format!("{what}->size must be set to sizeof the struct ({}), not {size}", std::mem::size_of::<T>())));
    }
    // SAFETY: the struct holds at least size_of::<T>() bytes.
    Ok(unsafe { p.read_unaligned() })
}

/// `"HOST[:XSUB_PORT:XPUB_PORT],..."` and the other forms of
/// [`BrokerAddr::parse`]; NULL or empty = `127.0.0.1`.
pub(crate) fn brokers_arg(p: *const c_char) -> Result<Vec<BrokerAddr>, Failure> {
    Ok(BrokerAddr::parse_list(opt_str_arg(p, "brokers")?.unwrap_or(""))?)
}

/// A cathetus given as text: checked here so a bad number is `HB_INVALID_ARGUMENT`.
pub(crate) fn number_arg<'a>(p: *const c_char, which: char) -> Result<&'a str, Failure> {
    let s = str_arg(p, &format!("cathetus {which}"))?;
    crate::wire::Number::parse(s.as_bytes()).map_err(|e| Failure::arg(format!("cathetus {which}: {e}")))?;
    Ok(s)
}

// ------------------------------------------------------------ library-wide functions

/// Write the library version (e.g. `"0.1.0"`) into `buf`.
///
/// `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
/// (optional, may be NULL) receives its length without the NUL. `buf` may
/// be NULL when `len` is 0, to ask for the length.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written but an empty
/// string; `*out_len` = the length needed); `HB_INVALID_ARGUMENT` (`buf`
/// NULL with `len` > 0). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_version(buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_version", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        if out.skipped() {
            return Err(out.too_small(env!("CARGO_PKG_VERSION").len()));
        }
        out.put(env!("CARGO_PKG_VERSION"))
    })
}

/// Write the C ABI version of this library: `*major` =
/// `HB_ABI_VERSION_MAJOR`, `*minor` = `HB_ABI_VERSION_MINOR` (either may be
/// NULL). A binding checks that the major version is the one it was written
/// for, and that the minor version is at least the one it needs.
///
/// Always `HB_OK`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_abi_version(major: *mut u32, minor: *mut u32) -> HbStatus {
    ffi_entry!("hb_abi_version", {
        set_opt(major, HB_ABI_VERSION_MAJOR);
        set_opt(minor, HB_ABI_VERSION_MINOR);
        Ok(())
    })
}

/// Write the version of the libzmq inside this library (e.g. 4, 3, 5); any
/// pointer may be NULL. Always `HB_OK`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_zmq_version(major: *mut i32, minor: *mut i32, patch: *mut i32) -> HbStatus {
    ffi_entry!("hb_zmq_version", {
        let (a, b, c) = zmq::version();
        set_opt(major, a);
        set_opt(minor, b);
        set_opt(patch, c);
        Ok(())
    })
}

fn write_err(e: &ErrInfo, status: *mut i32, zmq_errno: *mut i32, out: &StrOut) -> FfiResult {
    set_opt(status, e.status as i32);
    set_opt(zmq_errno, e.errno);
    out.put(&e.msg)
}

/// Write the message of the last failed call made on this thread into `buf`
/// (an empty string if no call failed yet).
///
/// The message is kept per thread and replaced by each failing call;
/// successful calls leave it as it was. Reading it does not clear it, and
/// this function never changes it. It is shorter than `HB_ERROR_MAX` bytes.
/// A call that ran on another thread (a Node `.async` call, a thread pool):
/// read its failure with `hb_error_info` and the handle instead.
///
/// Same buffer rules as `hb_version`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_last_error(buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(quiet "hb_last_error", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        LAST_ERROR.with(|e| write_err(&e.borrow(), std::ptr::null_mut(), std::ptr::null_mut(), &out))
    })
}

/// The explanation of the last failed call made *on a handle* (from any
/// thread), or with `handle` NULL, of the last failed call made on this
/// thread: `*status` = its status, `*zmq_errno` = libzmq's errno when it
/// was a ZeroMQ failure (else 0), `buf` = the message (shorter than
/// `HB_ERROR_MAX` bytes). Any output may be NULL (`buf` only with `len` 0).
///
/// Made for calls that ran on a pool thread (koffi `.async`): the caller
/// reads the explanation of its own failure from the handle it used, on
/// whatever thread. If several threads fail on one handle at the same
/// time, it is the last one's.
///
/// Returns `HB_OK`; `HB_INVALID_HANDLE` (a handle that is not live: its
/// errors are gone with it); `HB_BUFFER_TOO_SMALL` (only `*out_len`, the
/// status and the errno are set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_error_info(
    handle: *const c_void,
    status: *mut i32,
    zmq_errno: *mut i32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(quiet "hb_error_info", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        if handle.is_null() {
            return LAST_ERROR.with(|e| write_err(&e.borrow(), status, zmq_errno, &out));
        }
        let h = get_dyn(handle.addr())?;
        let e = h.common().err.lock().unwrap_or_else(PoisonError::into_inner).clone();
        write_err(&e, status, zmq_errno, &out)
    })
}

/// Write the name of a status value (e.g. `"HB_TIMEOUT"`) into `buf`;
/// `"HB_UNKNOWN"` for a value that is not an `hb_status`.
///
/// Same buffer rules and statuses as `hb_version`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_status_name(status: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_status_name", {
        let name = HbStatus::from_i32(status).map_or("HB_UNKNOWN", HbStatus::name);
        StrOut::new(buf, len, out_len, "buf")?.put(name)
    })
}

/// `hb_log_enable` mode bit: log lines go to stderr.
pub const HB_LOG_STDERR: i32 = 1;
/// `hb_log_enable` mode bit: log lines are queued for `hb_log_next` (at
/// most 1024; older ones are dropped and a line says how many).
pub const HB_LOG_QUEUE: i32 = 2;

/// Set where the library's one-line event log goes, for the whole process:
/// `mode` = 0 (off, the default), `HB_LOG_STDERR`, `HB_LOG_QUEUE`, or both
/// (`HB_LOG_STDERR | HB_LOG_QUEUE`). Turning the queue off drops what is in
/// it.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` for other bits. Any thread; never
/// waits.
#[no_mangle]
pub extern "C" fn hb_log_enable(mode: i32) -> HbStatus {
    ffi_entry!("hb_log_enable", {
        if mode & !(HB_LOG_STDERR | HB_LOG_QUEUE) != 0 {
            return Err(Failure::arg(format!("mode must be a combination of HB_LOG_STDERR (1) and HB_LOG_QUEUE (2), not {mode}")));
        }
        crate::log::set_enabled(mode & HB_LOG_STDERR != 0);
        crate::log::set_queued(mode & HB_LOG_QUEUE != 0);
        Ok(())
    })
}

/// Take the oldest queued log line (see `HB_LOG_QUEUE`), waiting at most
/// `timeout_ms` (the timeout rule). The line, e.g. `"1764633600.123 op: lane
/// 1 serving"`, goes to `buf` (shorter than `HB_TEXT_MAX`), its length to
/// `*out_len` (optional).
///
/// Returns `HB_OK`; `HB_TIMEOUT` (no line); `HB_INTERRUPTED`;
/// `HB_BUFFER_TOO_SMALL` (the line is NOT taken; `*out_len` = its length);
/// `HB_INVALID_ARGUMENT` (`buf` NULL with `len` > 0, a negative
/// time-out). Any thread; waits for a line (the log queue's descriptor).
#[no_mangle]
pub extern "C" fn hb_log_next(timeout_ms: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_log_next", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        let deadline = deadline(timeout_ms)?;
        loop {
            match crate::log::take_line(|n| out.fits(n)) {
                Ok(Some(line)) => return out.put(&line),
                Err(n) => return Err(out.too_small(n)),
                Ok(None) => {}
            }
            if Instant::now() >= deadline {
                return Err(Failure::timeout(format!("no log line within {timeout_ms} ms")));
            }
            let fds: Vec<RawFd> = crate::log::queue_fd().into_iter().collect();
            sleep_on(None, &fds, deadline)?;
        }
    })
}

/// Write to `*fd` the descriptor that is readable while log lines are
/// queued (for an event loop: when readable, call `hb_log_next` with a zero
/// time-out until `HB_TIMEOUT`). It belongs to the library: do not read or
/// close it.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`fd` NULL); `HB_ZMQ` when the
/// system had no descriptor to give. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_log_fd(fd: *mut i32) -> HbStatus {
    ffi_entry!("hb_log_fd", {
        let out = Out::new(fd, "fd")?;
        out.set(crate::log::queue_fd().ok_or_else(|| Failure::new(HB_ZMQ, "no eventfd for the log queue"))?);
        Ok(())
    })
}

/// Wake the waits on a handle of any kind: an `hb_poll` or `hb_wait_any`
/// that includes it returns at once and reports it (`HB_POLLWAKE`), once
/// per call of this function. Made for a thread that must make a poll on
/// another thread look again (for example to change its set).
///
/// Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_wake(handle: *const c_void) -> HbStatus {
    ffi_entry!("hb_wake", {
        let h = get_dyn(handle.addr())?;
        h.common().wake_requested.store(true, Ordering::SeqCst);
        h.common().notifier.poke();
        Ok(())
    })
}

/// Write to `*fd` a file descriptor that becomes readable when the handle
/// may have something to take (a message, a request, an answer, an event,
/// a due resend or time-out) or was freed: for an event loop (libuv through
/// `koffi.node.poll`, asyncio `loop.add_reader`), so an idle program uses no
/// CPU. When it is readable, make the handle's taking call with a zero
/// time-out until it returns `HB_TIMEOUT` (`hb_socket_recv`,
/// `hb_client_next`, `hb_op_pull_recv`, `hb_failover_next_event`); the fd
/// may also wake when there turns out to be nothing, which is harmless.
/// Read nothing from it and do not close it: it belongs to the handle and
/// is closed when the handle is freed (stop watching it first). Each call
/// returns the same descriptor.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`fd` NULL, a handle kind with
/// nothing to wait for: broker, calc, op, proxy); `HB_INVALID_HANDLE`;
/// `HB_ZMQ`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_handle_fd(handle: *const c_void, fd: *mut i32) -> HbStatus {
    ffi_entry!(handle; "hb_handle_fd", {
        let out = Out::new(fd, "fd")?;
        let h = get_dyn(handle.addr())?;
        let c = h.common();
        let ep = c.epoll.get_or_try_init(|| -> Result<OwnedFd, Failure> {
            let Some(fds) = h.watch_fds()? else {
                return Err(Failure::arg(format!("{} handles have nothing to wait for, so no descriptor", h.tag().c_name())));
            };
            make_epoll(fds.into_iter().chain([c.notifier.fd()]))
        })?;
        out.set(ep.as_raw_fd());
        Ok(())
    })
}

/// An epoll descriptor that is readable while any of `fds` is.
pub(crate) fn make_epoll(fds: impl Iterator<Item = RawFd>) -> Result<OwnedFd, Failure> {
    let os = |what: &str| Failure::new(HB_ZMQ, format!("{what} failed: {}", std::io::Error::last_os_error()));
    // SAFETY: plain syscall; the result is checked.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(os("epoll_create1"));
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let ep = unsafe { OwnedFd::from_raw_fd(ep) };
    for fd in fds {
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
        // SAFETY: valid epoll and target descriptors; ev is a valid epoll_event.
        if unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
            return Err(os("epoll_ctl"));
        }
    }
    Ok(ep)
}

/// Consume a pending `hb_wake` on `common` (for the polls).
pub(crate) fn take_wake(common: &Common) -> bool {
    common.wake_requested.swap(false, Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn last_error() -> String {
        let mut buf = [0 as c_char; HB_ERROR_MAX];
        let mut n = 0usize;
        assert_eq!(hb_last_error(buf.as_mut_ptr(), buf.len(), &mut n), HB_OK);
        // SAFETY: NUL-terminated by hb_last_error.
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string()
    }

    #[test]
    fn buffers_keep_nothing_half_written() {
        let mut buf = [b'x' as c_char; 3];
        let mut n = 0usize;
        assert_eq!(hb_version(buf.as_mut_ptr(), buf.len(), &mut n), HB_BUFFER_TOO_SMALL);
        assert_eq!(n, env!("CARGO_PKG_VERSION").len());
        assert_eq!(buf[0], 0, "a too-small buffer gets an empty string, not a cut text");
        assert!(last_error().contains("buffer too small"));
        assert_eq!(hb_version(null_mut(), 0, &mut n), HB_BUFFER_TOO_SMALL);
        assert_eq!(hb_version(null_mut(), 4, null_mut()), HB_INVALID_ARGUMENT);
        let mut big = [0 as c_char; 32];
        assert_eq!(hb_version(big.as_mut_ptr(), big.len(), null_mut()), HB_OK);
        assert_eq!(hb_status_name(1, big.as_mut_ptr(), big.len(), &mut n), HB_OK);
        assert_eq!(n, "HB_TIMEOUT".len());
        assert_eq!(hb_status_name(10, big.as_mut_ptr(), big.len(), &mut n), HB_OK);
        assert_eq!(n, "HB_INTERRUPTED".len());
    }

    #[test]
    fn error_text_is_capped() {
        let long = "é".repeat(HB_ERROR_MAX);
        let st = ffi_entry!("hb_test", { Err(Failure::arg(long.clone())) });
        assert_eq!(st, HB_INVALID_ARGUMENT);
        let e = last_error();
        assert!(e.len() < HB_ERROR_MAX && e.len() > HB_ERROR_MAX - 4, "{}", e.len());
        let (mut s, mut errno) = (0, -1);
        let mut buf = [0 as c_char; HB_ERROR_MAX];
        assert_eq!(hb_error_info(null(), &mut s, &mut errno, buf.as_mut_ptr(), buf.len(), null_mut()), HB_OK);
        assert_eq!((s, errno), (HB_INVALID_ARGUMENT as i32, 0));
    }

    #[test]
    fn panics_stop_at_the_boundary() {
        let st = ffi_entry!("hb_test", {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            Ok(())
        });
        assert_eq!(st, HB_PANIC);
        assert_eq!(last_error(), "internal error (panic) in hb_test: boom");
    }

    #[test]
    fn timeout_rule() {
        assert!(deadline(0).is_ok());
        assert_eq!(deadline(-1).unwrap_err().status, HB_INVALID_ARGUMENT);
    }

    #[test]
    fn sized_structs() {
        #[repr(C)]
        #[derive(Clone, Copy)]
        struct S {
            size: u32,
            _r: u32,
            a: u64,
            b: u64,
        }
        // An older caller knows only `a`.
        #[repr(C)]
        struct Old {
            size: u32,
            _r: u32,
            a: u64,
        }
        let mut old = [Old { size: std::mem::size_of::<Old>() as u32, _r: 0, a: 0 }, Old { size: 0xdead, _r: 0, a: 0xdead }];
        put_sized(old.as_mut_ptr().cast::<S>(), S { size: 0, _r: 0, a: 7, b: 9 }, "out").unwrap();
        assert_eq!((old[0].size, old[0].a), (16, 7));
        assert_eq!((old[1].size, old[1].a), (0xdead, 0xdead), "nothing past the caller's struct is written");
        let mut zero = S { size: 0, _r: 0, a: 0, b: 0 };
        assert_eq!(put_sized(&mut zero, zero, "out").unwrap_err().status, HB_INVALID_ARGUMENT);
    }

    #[test]
    fn handles_and_brokers() {
        assert!(brokers_arg(null()).unwrap() == vec![BrokerAddr::default()]);
        let b = c"h:1:2, k".as_ptr();
        assert_eq!(brokers_arg(b).unwrap().len(), 2);
        assert_eq!(brokers_arg(c"h:1".as_ptr()).unwrap_err().status, HB_CONFIG);
        assert_eq!(number_arg(c"abc".as_ptr(), 'a').unwrap_err().status, HB_INVALID_ARGUMENT);
        assert_eq!(hb_wake(std::ptr::without_provenance(0x42)), HB_INVALID_HANDLE);
    }
}
