//! `hb_op_*` (operation node calling a C function on its own thread) and
//! `hb_op_pull_*` (operation node driven by the caller's thread).

use super::{brokers_arg, ffi_entry, free, get, lock, register, str_arg, Failure, Object, HbStatus, Out, StrOut, TypeTag};
use crate::op::{OpConfig, OpNode, OpPull, OpStats, Operation};
use std::ffi::{c_char, c_void};
use std::sync::Mutex;

/// An operation computed in C: read `x`, write the result to `*out` and
/// return 0; any other return value is a failure, answered to the calc node
/// as the error `"operation failed (code N)"` (which then computes that
/// square itself). A result that is not finite and non-negative is also
/// answered as an error.
///
/// Called on the operation node's own thread (named `hypobus-op`), one
/// request at a time, never concurrently for one node. It must not call
/// `hb_op_stop`, `hb_op_stats` or `hb_op_free` on its own node.
pub type HbOpFn = Option<unsafe extern "C" fn(user: *mut c_void, x: f64, out: *mut f64) -> i32>;

/// An operation node's counters (`hb_op_stats`, `hb_op_pull_stats`). Set
/// `size` to `sizeof(hb_op_stats_t)` before the call (see `hb_broker_stats_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbOpStats {
    /// Set by the caller: `sizeof(hb_op_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Well-formed requests received.
    pub requests: u64,
    /// Answers published (values and errors).
    pub replies: u64,
    /// Error answers among them, plus bad classic requests dropped.
    pub errors: u64,
    /// Messages that were not for this lane or not well-formed at all.
    pub ignored: u64,
}

impl From<OpStats> for HbOpStats {
    fn from(s: OpStats) -> Self {
        HbOpStats { size: 0, reserved: 0, requests: s.requests, replies: s.replies, errors: s.errors, ignored: s.ignored }
    }
}

/// An operation node running on its own thread (opaque). Create with
/// `hb_op_new`, release with `hb_op_free`. Safe to use from several threads.
pub struct HbOp {
    inner: Mutex<OpNode>,
}

impl Object for HbOp {
    const TAG: TypeTag = TypeTag::Op;
}

/// The C callback and its user pointer, moved to the node's thread.
struct CallbackOp {
    f: unsafe extern "C" fn(*mut c_void, f64, *mut f64) -> i32,
    user: *mut c_void,
}

// SAFETY: the user pointer is only passed back to the C callback, on the
// node's thread; `hb_op_new` documents that the callback runs there.
unsafe impl Send for CallbackOp {}

impl CallbackOp {
    fn call(&self, x: f64) -> Result<f64, String> {
        let mut y = f64::NAN;
        // SAFETY: a C function pointer given to hb_op_new, called as documented.
        let rc = unsafe { (self.f)(self.user, x, &mut y) };
        if rc == 0 {
            Ok(y)
        } else {
            Err(format!("operation failed (code {rc})"))
        }
    }
}

/// Connect an operation node to the brokers and serve `lane` on a
/// background thread named `hypobus-op`.
///
/// * `brokers`: `"HOST[:XSUB_PORT:XPUB_PORT],..."` (NULL or `""` = `127.0.0.1`
///   on the default ports 5555/5556).
/// * `lane`: 1 serves cathetus a (`calc.square.request.1`), 2 cathetus b;
///   any lane >= 1 works.
/// * `op`: the operation, called on the `hypobus-op` thread with `user`
///   (see `hb_op_fn`); NULL = the built-in square, exact for integers and
///   short decimals. `user` is never read by the library; it must stay valid
///   until `hb_op_stop` or `hb_op_free` returns.
/// * `out`: receives the new handle (release with `hb_op_free`).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list, lane 0);
/// `HB_INVALID_ARGUMENT` (`out` NULL, bad UTF-8); `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_op_new(brokers: *const c_char, lane: u32, op: HbOpFn, user: *mut c_void, out: *mut *mut HbOp) -> HbStatus {
    ffi_entry!("hb_op_new", {
        let out = Out::new(out, "out")?;
        let cfg = OpConfig { brokers: brokers_arg(brokers)?, lane };
        let operation = match op {
            None => Operation::Square,
            Some(f) => {
                let cb = CallbackOp { f, user };
                Operation::Custom(Box::new(move |x| cb.call(x)))
            }
        };
        let node = OpNode::start(cfg, operation)?;
        out.set(register(HbOp { inner: Mutex::new(node) })?);
        Ok(())
    })
}

/// Copy the node's counters into `*out` (also after `hb_op_stop`).
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out` NULL).
#[no_mangle]
pub extern "C" fn hb_op_stats(op: *const HbOp, out: *mut HbOpStats) -> HbStatus {
    ffi_entry!(op; "hb_op_stats", {
        let op = get(op)?;
        let s = lock(&op.inner, "hb_op")?.stats();
        super::put_sized(out, s.into(), "out")
    })
}

/// Stop serving, close the sockets and join the node's thread; once this
/// returns the callback is never called again. The handle stays valid
/// (stats remain readable) until `hb_op_free`. Stopping twice is harmless.
/// Must not be called from the node's own callback.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the node's thread
/// ended with (`HB_ZMQ`, ...).
#[no_mangle]
pub extern "C" fn hb_op_stop(op: *const HbOp) -> HbStatus {
    ffi_entry!("hb_op_stop", {
        let op = get(op)?;
        lock(&op.inner, "hb_op")?.stop()?;
        Ok(())
    })
}

/// Stop the node (if running) and release the handle. NULL is a no-op
/// (`HB_OK`); a freed handle (second free) is `HB_INVALID_HANDLE`. Must not
/// be called from the node's own callback.
#[no_mangle]
pub extern "C" fn hb_op_free(op: *mut HbOp) -> HbStatus {
    ffi_entry!("hb_op_free", { free(op) })
}

// ------------------------------------------------------------ pull style

/// An operation node driven by the caller (opaque): take requests with
/// `hb_op_pull_recv`, answer them with `hb_op_pull_reply` or
/// `hb_op_pull_reply_error`. Nothing runs in the background and no user code
/// is called by the library. Usable from several threads; calls on one
/// handle are serialized (a waiting `hb_op_pull_recv` holds the handle).
pub struct HbOpPull {
    pub(crate) inner: Mutex<OpPull>,
}

impl Object for HbOpPull {
    const TAG: TypeTag = TypeTag::OpPull;
    fn look(&self, _events: i16, fds: &mut Vec<std::os::fd::RawFd>) -> Result<super::Look, Failure> {
        let (r, fd) = lock(&self.inner, "hb_op_pull")?.wait_state()?;
        fds.push(fd);
        Ok(super::Look { revents: if r { super::HB_POLLIN } else { 0 }, timer: None })
    }
}

/// Connect a pull-style operation node for `lane` (see `hb_op_new` for
/// `brokers` and `lane`). `*out` receives the handle (release with
/// `hb_op_pull_free`).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list, lane 0);
/// `HB_INVALID_ARGUMENT` (`out` NULL, bad UTF-8); `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_op_pull_new(brokers: *const c_char, lane: u32, out: *mut *mut HbOpPull) -> HbStatus {
    ffi_entry!("hb_op_pull_new", {
        let out = Out::new(out, "out")?;
        let node = OpPull::new(OpConfig { brokers: brokers_arg(brokers)?, lane })?;
        out.set(register(HbOpPull { inner: Mutex::new(node) })?);
        Ok(())
    })
}

/// Wait for the next request, up to `timeout_ms` milliseconds (0 = just
/// look). Nothing waits without a limit: call it in a loop, which keeps a
/// Python or Node caller interruptible. Malformed requests are answered
/// with an error on the way and never returned.
///
/// On `HB_OK`: `*id` identifies the request for the reply, `*value` is its
/// value, and `text` (if not NULL) receives the value exactly as sent, e.g.
/// `"12"`, NUL-terminated, its length in `*text_out_len` (optional; `text`
/// NULL with `text_len` 0 skips the text).
/// Every request taken must be answered once with `hb_op_pull_reply` or
/// `hb_op_pull_reply_error`.
///
/// Returns `HB_OK`; `HB_TIMEOUT` when nothing came in time (outputs
/// untouched); `HB_BUFFER_TOO_SMALL` when `text` is too small (the request
/// is still taken: `*id` and `*value` are set, the text is cut);
/// `HB_INVALID_ARGUMENT` (`id` or `value` NULL, `text` NULL with
/// `text_len` > 0, `timeout_ms` negative); `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_op_pull_recv(
    p: *const HbOpPull,
    timeout_ms: i32,
    id: *mut u64,
    value: *mut f64,
    text: *mut c_char,
    text_len: usize,
    text_out_len: *mut usize,
) -> HbStatus {
    ffi_entry!("hb_op_pull_recv", {
        let p = get(p)?;
        let id = Out::new(id, "id")?;
        let value = Out::new(value, "value")?;
        let text = StrOut::new(text, text_len, text_out_len, "text")?;
        if timeout_ms < 0 {
            return Err(Failure::arg(format!("timeout_ms must be >= 0, not {timeout_ms}: nothing waits without a limit; call it in a loop")));
        }
        let req = lock(&p.inner, "hb_op_pull")?.recv(timeout_ms.into())?;
        let Some(req) = req else {
            return Err(Failure::new(HbStatus::HB_TIMEOUT, format!("no request within {timeout_ms} ms")));
        };
        id.set(req.id);
        value.set(req.value);
        text.put(&req.text)
    })
}

fn reply(p: *const HbOpPull, id: u64, result: Result<f64, String>) -> super::FfiResult {
    let p = get(p)?;
    let mut g = lock(&p.inner, "hb_op_pull")?;
    if !g.is_pending(id) {
        return Err(Failure::arg(format!("no request with id {id} is waiting for an answer")));
    }
    g.reply(id, result)?;
    Ok(())
}

/// Answer request `id` (from `hb_op_pull_recv`) with `value`. A value that
/// is not finite and non-negative is sent as an error answer instead.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` when no request `id` is waiting
/// (never taken, or already answered); `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_op_pull_reply(p: *const HbOpPull, id: u64, value: f64) -> HbStatus {
    ffi_entry!("hb_op_pull_reply", { reply(p, id, Ok(value)) })
}

/// Answer request `id` with an error; `reason` (UTF-8, required) is sent to
/// the calc node, which then computes the square itself.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`reason` NULL or not UTF-8, no
/// request `id` waiting); `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_op_pull_reply_error(p: *const HbOpPull, id: u64, reason: *const c_char) -> HbStatus {
    ffi_entry!("hb_op_pull_reply_error", {
        let reason = str_arg(reason, "reason")?;
        reply(p, id, Err(reason.to_string()))
    })
}

/// Copy the node's counters into `*out`.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out` NULL).
#[no_mangle]
pub extern "C" fn hb_op_pull_stats(p: *const HbOpPull, out: *mut HbOpStats) -> HbStatus {
    ffi_entry!(p; "hb_op_pull_stats", {
        let p = get(p)?;
        let s = lock(&p.inner, "hb_op_pull")?.stats();
        super::put_sized(out, s.into(), "out")
    })
}

/// Close the node and release the handle. Requests taken and not answered
/// are dropped (the calc node computes those squares itself). NULL is a
/// no-op (`HB_OK`); a freed handle is `HB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn hb_op_pull_free(p: *mut HbOpPull) -> HbStatus {
    ffi_entry!("hb_op_pull_free", { free(p) })
}
