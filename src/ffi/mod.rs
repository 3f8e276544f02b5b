//! The C ABI: a thin layer over the typed Rust API, described for C by
//! `include/hypobus.h` (generated from this module by cbindgen in `build.rs`).
//!
//! Conventions, the same for every exported function:
//!
//! * Every function returns an [`HbStatus`] and writes its results through
//!   out-pointers. On any status other than `HB_OK` a message describing the
//!   failure is kept per thread: read it with [`hb_last_error`].
//! * Handles are opaque. They are registered in a global table with their
//!   type; every call checks that its handle is live and of the right type
//!   (else `HB_INVALID_HANDLE`), so a freed, foreign or NULL handle never
//!   crashes. Handle values are never reused within a process.
//! * Strings in are NUL-terminated UTF-8; strings out go to caller buffers
//!   (`buf`, `len`, `out_len`). No memory allocated by the library is ever
//!   handed to the caller.
//! * No panic crosses the boundary (`HB_PANIC`), no signal handler is
//!   installed.
//!
//! This module holds the shared machinery (status, last error, the entry
//! macro, the handle registry, argument helpers); one file per role holds
//! that role's functions.

#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod broker;
pub mod calc;
pub mod client;
pub mod failover;
pub mod op;
pub mod wait;

use crate::error::Error;
use crate::net::BrokerAddr;
use once_cell::sync::Lazy;
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What a call did. Every exported function returns one.
///
/// When the status is not `HB_OK`, `hb_last_error()` on the same thread
/// gives a one-line explanation.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HbStatus {
    /// Success.
    HB_OK = 0,
    /// Nothing arrived, or the request did not finish, before the deadline.
    HB_TIMEOUT = 1,
    /// A bad argument: a NULL pointer where one is required, a string that
    /// is not UTF-8, a value that is not a valid number, an unknown id.
    HB_INVALID_ARGUMENT = 2,
    /// A NULL, freed, never-created or wrong-type handle.
    HB_INVALID_HANDLE = 3,
    /// A bad setting: endpoint that cannot be bound, bad broker list, lane 0.
    HB_CONFIG = 4,
    /// The remote side answered with an error (the reason is in the last error).
    HB_REMOTE = 5,
    /// A ZeroMQ call failed.
    HB_ZMQ = 6,
    /// The role was stopped, or its thread is gone.
    HB_STOPPED = 7,
    /// A caller buffer is too small; `*out_len` tells the length needed
    /// (without the terminating NUL).
    HB_BUFFER_TOO_SMALL = 8,
    /// A bug in the library: a panic was caught at the boundary.
    HB_PANIC = 9,
}

use HbStatus::*;

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
        }
    }

    fn from_i32(v: i32) -> Option<HbStatus> {
        [HB_OK, HB_TIMEOUT, HB_INVALID_ARGUMENT, HB_INVALID_HANDLE, HB_CONFIG, HB_REMOTE, HB_ZMQ, HB_STOPPED, HB_BUFFER_TOO_SMALL, HB_PANIC]
            .into_iter()
            .find(|s| *s as i32 == v)
    }
}

/// The status for each library error: the one place where errors map to statuses.
pub(crate) fn status_of(e: &Error) -> HbStatus {
    match e {
        Error::Config(_) => HB_CONFIG,
        Error::Wire(_) => HB_INVALID_ARGUMENT,
        Error::Remote(_) => HB_REMOTE,
        Error::Timeout(_) => HB_TIMEOUT,
        Error::Zmq(_) => HB_ZMQ,
        Error::Stopped => HB_STOPPED,
    }
}

/// A failed call: its status and the message for `hb_last_error`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: HbStatus,
    pub msg: String,
}

impl Failure {
    pub(crate) fn new(status: HbStatus, msg: impl Into<String>) -> Failure {
        Failure { status, msg: msg.into() }
    }
    pub(crate) fn arg(msg: impl Into<String>) -> Failure {
        Failure::new(HB_INVALID_ARGUMENT, msg)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure { status: status_of(&e), msg: e.to_string() }
    }
}

/// What an entry point's body returns.
pub(crate) type FfiResult = std::result::Result<(), Failure>;

// ------------------------------------------------------------ last error

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(msg: &str) {
    LAST_ERROR.with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.push_str(msg);
    });
}

// ------------------------------------------------------------ the entry macro

/// Wraps the body of every exported function: runs it under
/// `catch_unwind`, turns its `Err(Failure)` into a status and the thread's
/// last error, and a panic into `HB_PANIC`.
///
/// `ffi_entry!("hb_name", { ...; Ok(()) })`; `ffi_entry!(quiet "hb_name", {...})`
/// does not record failures in the last error (for `hb_last_error` itself).
macro_rules! ffi_entry {
    (quiet $name:literal, $body:block) => {
        $crate::ffi::run_entry($name, false, move || -> $crate::ffi::FfiResult { $body })
    };
    ($name:literal, $body:block) => {
        $crate::ffi::run_entry($name, true, move || -> $crate::ffi::FfiResult { $body })
    };
}
pub(crate) use ffi_entry;

pub(crate) fn run_entry(name: &str, record: bool, body: impl FnOnce() -> FfiResult) -> HbStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => HB_OK,
        Ok(Err(f)) => {
            if record {
                set_last_error(&f.msg);
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
            set_last_error(&format!("internal error (panic) in {name}: {what}"));
            HB_PANIC
        }
    }
}

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
}

impl TypeTag {
    fn c_name(self) -> &'static str {
        match self {
            TypeTag::Broker => "hb_broker",
            TypeTag::Op => "hb_op",
            TypeTag::OpPull => "hb_op_pull",
            TypeTag::Calc => "hb_calc",
            TypeTag::Client => "hb_client",
            TypeTag::Failover => "hb_failover",
        }
    }
}

/// An object that C holds through an opaque handle.
pub(crate) trait Handle: Any + Send + Sync {
    const TAG: TypeTag;
}

struct Entry {
    tag: TypeTag,
    obj: Arc<dyn Any + Send + Sync>,
}

/// Live handles: handle value → type and object. The handle value is a key,
/// never a memory address that is dereferenced.
static HANDLES: Lazy<Mutex<HashMap<usize, Entry>>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// Next handle value. Values are never reused, so a stale handle stays
/// invalid even after new handles are created.
static NEXT_HANDLE: AtomicUsize = AtomicUsize::new(0x10_0000);
const HANDLE_STEP: usize = 16;

fn handles() -> MutexGuard<'static, HashMap<usize, Entry>> {
    HANDLES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Register `obj` and return its handle for C.
pub(crate) fn register<T: Handle>(obj: T) -> *mut T {
    let key = NEXT_HANDLE.fetch_add(HANDLE_STEP, Ordering::Relaxed);
    handles().insert(key, Entry { tag: T::TAG, obj: Arc::new(obj) });
    std::ptr::without_provenance_mut(key)
}

fn check_entry(reg: &HashMap<usize, Entry>, key: usize, want: TypeTag) -> FfiResult {
    if key == 0 {
        return Err(Failure::new(HB_INVALID_HANDLE, format!("{} handle is NULL", want.c_name())));
    }
    match reg.get(&key) {
        None => Err(Failure::new(
            HB_INVALID_HANDLE,
            format!("{:#x} is not a live {} handle (already freed, or never created)", key, want.c_name()),
        )),
        Some(e) if e.tag != want => {
            Err(Failure::new(HB_INVALID_HANDLE, format!("expected an {} handle, got an {} handle", want.c_name(), e.tag.c_name())))
        }
        Some(_) => Ok(()),
    }
}

/// The object behind a live handle of type `T` (kept alive for the call even
/// if another thread frees the handle meanwhile).
pub(crate) fn get<T: Handle>(h: *const T) -> std::result::Result<Arc<T>, Failure> {
    let reg = handles();
    check_entry(&reg, h.addr(), T::TAG)?;
    let obj = reg[&h.addr()].obj.clone();
    drop(reg);
    obj.downcast::<T>().map_err(|_| Failure::new(HB_INVALID_HANDLE, format!("{} handle of the wrong type", T::TAG.c_name())))
}

/// The type and object behind a live handle of any type (for calls that take
/// handles of several kinds, like `hb_wait_any`).
pub(crate) fn get_any(key: usize) -> std::result::Result<(TypeTag, Arc<dyn Any + Send + Sync>), Failure> {
    let reg = handles();
    match reg.get(&key) {
        Some(e) => Ok((e.tag, e.obj.clone())),
        None if key == 0 => Err(Failure::new(HB_INVALID_HANDLE, "handle is NULL")),
        None => Err(Failure::new(HB_INVALID_HANDLE, format!("{key:#x} is not a live handle (already freed, or never created)"))),
    }
}

/// Unregister a handle and drop the object (once no call uses it any more).
/// NULL is a no-op; a freed or wrong-type handle is `HB_INVALID_HANDLE`.
pub(crate) fn free<T: Handle>(h: *mut T) -> FfiResult {
    if h.is_null() {
        return Ok(());
    }
    let entry = {
        let mut reg = handles();
        check_entry(&reg, h.addr(), T::TAG)?;
        reg.remove(&h.addr())
    };
    // Dropped outside the registry lock: stopping a role joins its thread.
    drop(entry);
    Ok(())
}

/// Lock a handle's contents. A mutex poisoned by an earlier caught panic
/// makes the handle unusable (`HB_PANIC`); it can still be freed.
pub(crate) fn lock<'a, T>(m: &'a Mutex<T>, what: &str) -> std::result::Result<MutexGuard<'a, T>, Failure> {
    m.lock().map_err(|_| Failure::new(HB_PANIC, format!("an earlier call on this {what} panicked; free the handle")))
}

// ------------------------------------------------------------ arguments

/// A required string argument.
pub(crate) fn str_arg<'a>(p: *const c_char, what: &str) -> std::result::Result<&'a str, Failure> {
    opt_str_arg(p, what)?.ok_or_else(|| Failure::arg(format!("{what} is NULL")))
}

/// An optional string argument (NULL = `None`).
pub(crate) fn opt_str_arg<'a>(p: *const c_char, what: &str) -> std::result::Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| Failure::arg(format!("{what} is not valid UTF-8")))
}

/// A required out-pointer, checked before any work is done.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(p: *mut T, what: &str) -> std::result::Result<Out<T>, Failure> {
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

/// A caller's string buffer: `buf` of `len` bytes, optional `out_len`.
pub(crate) struct StrOut {
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
}

impl StrOut {
    /// `buf` may be NULL only when `len` is 0 (a size query).
    pub(crate) fn new(buf: *mut c_char, len: usize, out_len: *mut usize, what: &str) -> std::result::Result<StrOut, Failure> {
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("{what} is NULL but its length is {len}")));
        }
        Ok(StrOut { buf, len, out_len })
    }

    /// Like [`StrOut::write`], but a NULL buffer of length 0 means "the
    /// caller does not want the text": only `*out_len` is set, and it is
    /// not an error.
    pub(crate) fn write_optional(&self, s: &str) -> FfiResult {
        if self.buf.is_null() && self.len == 0 {
            if !self.out_len.is_null() {
                // SAFETY: non-NULL, the caller passes a pointer to a writable size_t.
                unsafe { self.out_len.write(s.len()) };
            }
            return Ok(());
        }
        self.write(s)
    }

    /// Write `s` with a NUL. Too small: as much as fits (cut at a UTF-8
    /// boundary, NUL-terminated if `len` > 0) and `HB_BUFFER_TOO_SMALL`.
    /// Either way `*out_len` (if given) is the full length of `s`.
    pub(crate) fn write(&self, s: &str) -> FfiResult {
        if !self.out_len.is_null() {
            // SAFETY: non-NULL, the caller passes a pointer to a writable size_t.
            unsafe { self.out_len.write(s.len()) };
        }
        let fits = s.len() < self.len;
        if self.len > 0 {
            let mut n = s.len().min(self.len - 1);
            while !s.is_char_boundary(n) {
                n -= 1;
            }
            // SAFETY: buf is non-NULL (len > 0, checked in `new`) and holds `len` bytes; n + 1 <= len.
            unsafe {
                std::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.cast::<u8>(), n);
                self.buf.add(n).write(0);
            }
        }
        if fits {
            Ok(())
        } else {
            Err(Failure::new(
                HB_BUFFER_TOO_SMALL,
                format!("buffer too small: {} bytes needed (with the NUL), {} given", s.len() + 1, self.len),
            ))
        }
    }
}

/// `"HOST[:XSUB_PORT:XPUB_PORT],..."`; NULL or empty = `127.0.0.1`.
pub(crate) fn brokers_arg(p: *const c_char) -> std::result::Result<Vec<BrokerAddr>, Failure> {
    let s = opt_str_arg(p, "brokers")?.unwrap_or("").trim();
    if s.is_empty() {
        return Ok(vec![BrokerAddr::default()]);
    }
    Ok(s.split(',').map(|b| BrokerAddr::parse(b.trim())).collect::<crate::Result<Vec<_>>>()?)
}

/// A cathetus given as text: checked here so a bad number is `HB_INVALID_ARGUMENT`.
pub(crate) fn number_arg<'a>(p: *const c_char, which: char) -> std::result::Result<&'a str, Failure> {
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
/// Returns `HB_OK`, `HB_BUFFER_TOO_SMALL` (the text is cut to fit and
/// `*out_len` is the full length), or `HB_INVALID_ARGUMENT` (`buf` NULL
/// with `len` > 0).
#[no_mangle]
pub extern "C" fn hb_version(buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_version", { StrOut::new(buf, len, out_len, "buf")?.write(env!("CARGO_PKG_VERSION")) })
}

/// Write the message of the last failed call made on this thread into `buf`
/// (an empty string if no call failed yet).
///
/// The message is kept per thread and replaced by each failing call;
/// successful calls leave it as it was. Reading it does not clear it, and
/// this function never changes it.
///
/// Same buffer rules as `hb_version`: `HB_OK`, or `HB_BUFFER_TOO_SMALL` with
/// the message cut to fit (NUL-terminated) and `*out_len` = full length, or
/// `HB_INVALID_ARGUMENT` when `buf` is NULL with `len` > 0.
#[no_mangle]
pub extern "C" fn hb_last_error(buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(quiet "hb_last_error", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        LAST_ERROR.with(|e| out.write(&e.borrow()))
    })
}

/// Write the name of a status value (e.g. `"HB_TIMEOUT"`) into `buf`;
/// `"HB_UNKNOWN"` for a value that is not an `hb_status`.
///
/// Same buffer rules and statuses as `hb_version`.
#[no_mangle]
pub extern "C" fn hb_status_name(status: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_status_name", {
        let name = HbStatus::from_i32(status).map_or("HB_UNKNOWN", HbStatus::name);
        StrOut::new(buf, len, out_len, "buf")?.write(name)
    })
}

/// Turn the library's one-line event log on stderr on (`on` != 0) or off
/// (`on` == 0) for the whole process. Off by default. Always `HB_OK`.
#[no_mangle]
pub extern "C" fn hb_log_enable(on: i32) -> HbStatus {
    ffi_entry!("hb_log_enable", {
        crate::log::set_enabled(on != 0);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn last_error() -> String {
        let mut buf = [0 as c_char; 512];
        let mut n = 0usize;
        assert_eq!(hb_last_error(buf.as_mut_ptr(), buf.len(), &mut n), HB_OK);
        // SAFETY: NUL-terminated by hb_last_error.
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string()
    }

    #[test]
    fn buffers() {
        let mut buf = [0 as c_char; 3];
        let mut n = 0usize;
        assert_eq!(hb_version(buf.as_mut_ptr(), buf.len(), &mut n), HB_BUFFER_TOO_SMALL);
        assert_eq!(n, env!("CARGO_PKG_VERSION").len());
        assert!(last_error().contains("buffer too small"));
        assert_eq!(hb_version(null_mut(), 0, &mut n), HB_BUFFER_TOO_SMALL);
        assert_eq!(hb_version(null_mut(), 4, null_mut()), HB_INVALID_ARGUMENT);
        let mut big = [0 as c_char; 32];
        assert_eq!(hb_version(big.as_mut_ptr(), big.len(), null_mut()), HB_OK);
        assert_eq!(hb_status_name(1, big.as_mut_ptr(), big.len(), &mut n), HB_OK);
        assert_eq!(n, "HB_TIMEOUT".len());
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
    fn handles_and_brokers() {
        assert!(brokers_arg(null()).unwrap() == vec![BrokerAddr::default()]);
        let b = c"h:1:2, k".as_ptr();
        assert_eq!(brokers_arg(b).unwrap().len(), 2);
        assert_eq!(brokers_arg(c"h:1".as_ptr()).unwrap_err().status, HB_CONFIG);
        assert_eq!(number_arg(c"abc".as_ptr(), 'a').unwrap_err().status, HB_INVALID_ARGUMENT);
    }
}
