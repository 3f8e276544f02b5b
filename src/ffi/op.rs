//! `hb_op_*` (operation node calling a C function on a callback thread) and
//! `hb_op_pull_*` (operation node driven by the caller's thread).

use super::callback::{Callback, CallbackThread};
use super::security::{curve_arg, HbCurveConfig};
use super::{
    brokers_arg, ffi_entry, free, get, lock, put_sized, read_sized, register, str_arg, wait_until, Failure, HbStatus, Look, Object, Out,
    Step, StrOut, TypeTag, HB_POLLIN,
};
use crate::lab::op::{DeferredOp, OpConfig, OpNode, OpPull, OpStats, Operation};
use std::ffi::{c_char, c_void};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// An operation computed in C: read `x`, write the result to `*out` and
/// return 0; any other return value is a failure, answered to the calc node
/// as the error `"operation failed (code N)"` (which then computes that
/// square itself). A result that is not finite and non-negative is also
/// answered as an error.
///
/// Called on the node's callback thread (a thread of its own, `hypobus-cb`),
/// one request at a time. It may call any library function, also
/// `hb_op_stop` or `hb_op_free` on its own node: the node stops, and the
/// callback is not called again once it returns. A callback that does not
/// return within 2 s gets its request answered with an error (the calc node
/// computes that square itself); later requests wait for it.
/// Declared `C-unwind`: a thread exit inside the callback (Python shutting
/// down) ends only the callback thread.
pub type HbOpFn = Option<unsafe extern "C-unwind" fn(user: *mut c_void, x: f64, out: *mut f64) -> i32>;

/// An operation node's counters (`hb_op_stats`, `hb_op_pull_stats`). Set
/// `size` to `sizeof(hb_op_stats_t)` before the call (see `hb_broker_stats_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbOpStats {
    /// Set by the caller: `sizeof(hb_op_stats_t)`.
    pub size: u32,
    /// 1 while a callback call is running (`hb_op` only): after
    /// `hb_op_stop` returned with a callback still running (it did not
    /// return within 500 ms), `user` must stay valid until this is 0.
    pub callback_running: u32,
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
        HbOpStats { size: 0, callback_running: 0, requests: s.requests, replies: s.replies, errors: s.errors, ignored: s.ignored }
    }
}

/// An operation node running on its own thread (opaque). Create with
/// `hb_op_new`, release with `hb_op_free`. Any thread may use it.
pub struct HbOp {
    inner: Mutex<OpNode>,
    cb: Option<Arc<CallbackThread>>,
}

impl HbOp {
    /// Stop the node's thread (never waits for a callback), then let the
    /// callback thread go: wait up to 500 ms for a running callback unless
    /// this is that callback calling.
    fn stop(&self) -> super::FfiResult {
        let r = lock(&self.inner, "hb_op")?.stop();
        if let Some(cb) = &self.cb {
            cb.quit(true);
        }
        Ok(r?)
    }
}

impl Object for HbOp {
    const TAG: TypeTag = TypeTag::Op;
    fn close(&self) {
        let _ = self.stop();
    }
}

/// The callback thread as the node's deferred operation.
struct CallbackOp(Arc<CallbackThread>);

impl DeferredOp for CallbackOp {
    fn begin(&mut self, x: f64) -> Option<u64> {
        self.0.call_op(x)
    }
    fn fd(&self) -> RawFd {
        self.0.done_fd()
    }
    fn finish(&mut self, n: u64) -> Option<Result<f64, String>> {
        self.0.take_done(n)
    }
}

/// Connect an operation node to the brokers and serve `lane` on a
/// background thread named `hypobus-op`.
///
/// * `brokers`: a broker list (see BROKER LISTS at the top of this header;
///   NULL or `""` = `127.0.0.1` on the default ports 5555/5556).
/// * `lane`: 1 serves cathetus a (`calc.square.request.1`), 2 cathetus b;
///   any lane >= 1 works.
/// * `op`: the operation, called on the node's callback thread with `user`
///   (see `hb_op_fn`); NULL = the built-in square, exact for integers and
///   short decimals (no callback thread). `user` is never read by the
///   library; it must stay valid until `hb_op_stop` or `hb_op_free` returns
///   (and, if a callback was still running then, until it returns: see
///   `hb_op_stats_t.callback_running`).
/// * `out`: receives the new handle (release with `hb_op_free`).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list, lane 0);
/// `HB_INVALID_ARGUMENT` (`out` NULL, bad UTF-8); `HB_ZMQ`. Any thread;
/// never waits (the node connects in the background).
#[no_mangle]
pub extern "C" fn hb_op_new(brokers: *const c_char, lane: u32, op: HbOpFn, user: *mut c_void, out: *mut *mut HbOp) -> HbStatus {
    ffi_entry!("hb_op_new", { start(&plain_config(brokers, lane), op, user, out) })
}

/// How `hb_op_new_ex` and `hb_op_pull_new_ex` start an operation node:
/// `hb_op_new`'s `brokers` and `lane`, and the node's own CURVE keys. Set
/// `size` to `sizeof(hb_op_config_t)` and every field you do not use to 0 /
/// NULL. Since ABI 1.5.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbOpConfig {
    /// Set by the caller: `sizeof(hb_op_config_t)`.
    pub size: u32,
    /// The lane served: 1 = cathetus a, 2 = cathetus b (>= 1; 0 is refused).
    pub lane: u32,
    /// A broker list (see BROKER LISTS); NULL or `""` = `127.0.0.1`.
    pub brokers: *const c_char,
    /// This node's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`).
    pub curve: *const HbCurveConfig,
}

const NO_OP_CONFIG: HbOpConfig = HbOpConfig { size: 0, lane: 0, brokers: std::ptr::null(), curve: std::ptr::null() };

fn plain_config(brokers: *const c_char, lane: u32) -> HbOpConfig {
    HbOpConfig { size: std::mem::size_of::<HbOpConfig>() as u32, lane, brokers, curve: std::ptr::null() }
}

fn op_config(c: &HbOpConfig) -> Result<OpConfig, Failure> {
    let mut cfg = OpConfig::new(brokers_arg(c.brokers)?, c.lane);
    cfg.curve = curve_arg(c.curve)?;
    Ok(cfg)
}

/// `hb_op_new` with `brokers` and `lane` in a struct (see `hb_op_config_t`),
/// including the node's own CURVE keys; `op`, `user` and `out` as in
/// `hb_op_new` (the callback runs on the node's callback thread).
///
/// Returns as `hb_op_new`; also `HB_INVALID_ARGUMENT` when `cfg` is NULL
/// or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when a
/// CURVE key or file of `cfg->curve` is bad (the message names it). Since
/// ABI 1.5. Any thread; waits only on the key files (the node connects in
/// the background).
#[no_mangle]
pub extern "C" fn hb_op_new_ex(cfg: *const HbOpConfig, op: HbOpFn, user: *mut c_void, out: *mut *mut HbOp) -> HbStatus {
    ffi_entry!("hb_op_new_ex", { start(&read_sized(cfg, NO_OP_CONFIG, "cfg")?, op, user, out) })
}

fn start(c: &HbOpConfig, op: HbOpFn, user: *mut c_void, out: *mut *mut HbOp) -> super::FfiResult {
    let out = Out::new(out, "out")?;
    let cfg = op_config(c)?;
    let key = Arc::new(AtomicUsize::new(0));
    let (operation, cb) = match op {
        None => (Operation::Square, None),
        Some(f) => {
            let t = Arc::new(CallbackThread::start(Callback::Op(f), user)?);
            (Operation::Deferred(Box::new(CallbackOp(t.clone()))), Some(t))
        }
    };
    let node = OpNode::start(cfg, operation)?;
    let h = register(HbOp { inner: Mutex::new(node), cb })?;
    key.store(h.addr(), Ordering::SeqCst);
    out.set(h);
    Ok(())
}

/// Copy the node's counters into `*out` (also after `hb_op_stop`); set
/// `out->size` first.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL, `out->size` not set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_op_stats(op: *const HbOp, out: *mut HbOpStats) -> HbStatus {
    ffi_entry!(op; "hb_op_stats", {
        let op = get(op)?;
        let mut s: HbOpStats = lock(&op.inner, "hb_op")?.stats().into();
        s.callback_running = op.cb.as_ref().is_some_and(|c| c.running()).into();
        put_sized(out, s, "out")
    })
}

/// Stop serving, close the sockets and join the node's thread; no callback
/// starts after this returns. A callback call still running is waited for
/// at most 500 ms (never when the callback itself calls this): a callback
/// that waits for the calling thread — a Node or Python callback whose
/// interpreter thread is the one stopping — finishes later, its answer
/// dropped. The handle stays valid (stats remain readable) until
/// `hb_op_free`. Stopping twice is harmless.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the node's thread
/// ended with (`HB_ZMQ`, ...). Any thread, also the node's own callback;
/// waits for the node's thread (it ends at once) and at most 500 ms for a
/// running callback.
#[no_mangle]
pub extern "C" fn hb_op_stop(op: *const HbOp) -> HbStatus {
    ffi_entry!(op; "hb_op_stop", { get(op)?.stop() })
}

/// Stop the node (see `hb_op_stop`) and release the handle. NULL is a
/// no-op (`HB_OK`); a freed handle (second free) is `HB_INVALID_HANDLE`.
/// Any thread, also the node's own callback; waits as `hb_op_stop`.
#[no_mangle]
pub extern "C" fn hb_op_free(op: *mut HbOp) -> HbStatus {
    ffi_entry!("hb_op_free", { free(op) })
}

// ------------------------------------------------------------ pull style

/// An operation node driven by the caller (opaque): take requests with
/// `hb_op_pull_recv`, answer them with `hb_op_pull_reply`,
/// `hb_op_pull_reply_text` or `hb_op_pull_reply_error`. Nothing runs in the
/// background and no user code is called by the library. Any thread may
/// use it; a waiting `hb_op_pull_recv` does not hold it.
pub struct HbOpPull {
    pub(crate) inner: Mutex<OpPull>,
}

impl Object for HbOpPull {
    const TAG: TypeTag = TypeTag::OpPull;
    fn look(&self, _events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        let (r, fd) = lock(&self.inner, "hb_op_pull")?.wait_state()?;
        fds.push(fd);
        Ok(Look { revents: if r { HB_POLLIN } else { 0 }, timer: None })
    }
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(Some(vec![lock(&self.inner, "hb_op_pull")?.wait_state()?.1]))
    }
}

/// Connect a pull-style operation node for `lane` (see `hb_op_new` for
/// `brokers` and `lane`). `*out` receives the handle (release with
/// `hb_op_pull_free`).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list, lane 0);
/// `HB_INVALID_ARGUMENT` (`out` NULL, bad UTF-8); `HB_ZMQ`. Any thread;
/// never waits.
#[no_mangle]
pub extern "C" fn hb_op_pull_new(brokers: *const c_char, lane: u32, out: *mut *mut HbOpPull) -> HbStatus {
    ffi_entry!("hb_op_pull_new", { pull_start(&plain_config(brokers, lane), out) })
}

/// `hb_op_pull_new` with `brokers` and `lane` in a struct (see
/// `hb_op_config_t`), including the node's own CURVE keys.
///
/// Returns as `hb_op_pull_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
/// NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when
/// a CURVE key or file of `cfg->curve` is bad (the message names it). Since
/// ABI 1.5. Any thread; waits only on the key files.
#[no_mangle]
pub extern "C" fn hb_op_pull_new_ex(cfg: *const HbOpConfig, out: *mut *mut HbOpPull) -> HbStatus {
    ffi_entry!("hb_op_pull_new_ex", { pull_start(&read_sized(cfg, NO_OP_CONFIG, "cfg")?, out) })
}

fn pull_start(c: &HbOpConfig, out: *mut *mut HbOpPull) -> super::FfiResult {
    let out = Out::new(out, "out")?;
    let node = OpPull::new(op_config(c)?)?;
    out.set(register(HbOpPull { inner: Mutex::new(node) })?);
    Ok(())
}

/// Take the next request, waiting at most `timeout_ms` (the timeout rule).
/// Malformed requests are answered with an error on the way and never
/// returned.
///
/// On `HB_OK`: `*id` identifies the request for the reply, `*value` is its
/// value, and `text` (if not NULL) receives the value exactly as sent,
/// e.g. `"12"` (shorter than `HB_TEXT_MAX`), its length in `*text_out_len`
/// (optional; `text` NULL with `text_len` 0 skips the text). Every request
/// taken must be answered once (`hb_op_pull_reply*`).
///
/// Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED` (freed
/// meanwhile); `HB_BUFFER_TOO_SMALL` when `text` is too small (the request
/// is NOT taken, `*text_out_len` = its length: call again with a bigger
/// buffer); `HB_INVALID_ARGUMENT` (`id` or `value` NULL, `text` NULL with
/// `text_len` > 0, a negative time-out); `HB_INVALID_HANDLE`; `HB_ZMQ`.
/// Any thread; waits for a request (the node's socket) without holding the
/// handle.
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
    ffi_entry!(p; "hb_op_pull_recv", {
        let p = get(p)?;
        let id = Out::new(id, "id")?;
        let value = Out::new(value, "value")?;
        let text = StrOut::new(text, text_len, text_out_len, "text")?;
        let req = wait_until(&p.common, timeout_ms, "request", |fds| {
            let mut g = lock(&p.inner, "hb_op_pull")?;
            match g.recv(0)? {
                Some(req) if !text.fits(req.text.len()) => {
                    let n = req.text.len();
                    g.unrecv(req);
                    Err(text.too_small(n))
                }
                Some(req) => {
                    if p.common.has_waiters() && g.wait_state()?.0 {
                        p.common.poke_waiters();
                    }
                    Ok(Step::Ready(req))
                }
                None => {
                    fds.push(g.wait_state()?.1);
                    Ok(Step::Wait(None))
                }
            }
        })?;
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
/// (never taken, or already answered); `HB_INVALID_HANDLE`; `HB_ZMQ`. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_op_pull_reply(p: *const HbOpPull, id: u64, value: f64) -> HbStatus {
    ffi_entry!(p; "hb_op_pull_reply", { reply(p, id, Ok(value)) })
}

/// Answer request `id` with a value given as decimal text, sent exactly as
/// given (e.g. `"152415787532388367501905199875019052100"`, the square of
/// 12345678901234567890, which a double would round).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`text` NULL, not UTF-8 or not a
/// non-negative decimal number: the request stays waiting, answer it again;
/// no request `id` waiting); `HB_INVALID_HANDLE`; `HB_ZMQ`. Any thread;
/// never waits.
#[no_mangle]
pub extern "C" fn hb_op_pull_reply_text(p: *const HbOpPull, id: u64, text: *const c_char) -> HbStatus {
    ffi_entry!(p; "hb_op_pull_reply_text", {
        let text = str_arg(text, "text")?;
        let p = get(p)?;
        let mut g = lock(&p.inner, "hb_op_pull")?;
        if !g.is_pending(id) {
            return Err(Failure::arg(format!("no request with id {id} is waiting for an answer")));
        }
        g.reply_text(id, text).map_err(|e| match e {
            crate::Error::Wire(w) => Failure::arg(format!("answer text: {w} (the request is still waiting)")),
            e => e.into(),
        })
    })
}

/// Answer request `id` with an error; `reason` (UTF-8, required) is sent to
/// the calc node, which then computes the square itself.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`reason` NULL or not UTF-8, no
/// request `id` waiting); `HB_INVALID_HANDLE`; `HB_ZMQ`. Any thread; never
/// waits.
#[no_mangle]
pub extern "C" fn hb_op_pull_reply_error(p: *const HbOpPull, id: u64, reason: *const c_char) -> HbStatus {
    ffi_entry!(p; "hb_op_pull_reply_error", {
        let reason = str_arg(reason, "reason")?;
        reply(p, id, Err(reason.to_string()))
    })
}

/// Copy the node's counters into `*out`; set `out->size` first.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL, `out->size` not set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_op_pull_stats(p: *const HbOpPull, out: *mut HbOpStats) -> HbStatus {
    ffi_entry!(p; "hb_op_pull_stats", {
        let p = get(p)?;
        let s = lock(&p.inner, "hb_op_pull")?.stats();
        put_sized(out, s.into(), "out")
    })
}

/// Close the node and release the handle; a `hb_op_pull_recv` waiting on
/// another thread returns `HB_STOPPED` at once. Requests taken and not
/// answered are dropped (the calc node computes those squares itself).
/// NULL is a no-op (`HB_OK`); a freed handle is `HB_INVALID_HANDLE`. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_op_pull_free(p: *mut HbOpPull) -> HbStatus {
    ffi_entry!("hb_op_pull_free", { free(p) })
}
