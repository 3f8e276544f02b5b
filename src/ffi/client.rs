//! `hb_client_*`: asks for hypotenuses.
//!
//! A thin layer over [`crate::lab::client::Client`], whose calls never block:
//! every wait here is [`wait_until`] with a step that locks the client only
//! to look (one non-blocking [`Client::progress`], then what it found), so
//! other threads' calls on the same handle go ahead meanwhile and a free
//! ends the wait at once.
//!
//! Waking: a waiter sleeps on the SUB socket's `ZMQ_FD` (edge-triggered),
//! the handle's notifier and a private eventfd of its own. A step that
//! changes the client (took messages in, finished or sent requests) pokes
//! the other waiters' private eventfds (and the handle's notifier for
//! `hb_poll`), because it may have taken in what they wait for: their
//! `ZMQ_FD` edge is gone. A private eventfd is drained only by its owner,
//! so no poke is lost to another waiter's drain.
//!
//! For event loops (`hb_handle_fd`) the handle keeps a Linux timerfd armed
//! to the client's earliest timer (resend, time-out, start-up probe),
//! re-armed after every step: the one descriptor wakes for answers *and*
//! for timers, and an idle client (nothing in flight) arms nothing.

use super::security::{curve_arg, HbCurveConfig};
use super::{
    brokers_arg, ffi_entry, free, get, lock, number_arg, read_sized, register, status_of, wait_until, Common, Failure, HbStatus, Notifier,
    Object, Out, Slot, Step, StrOut, TypeTag,
};
use crate::lab::client::{Client, ClientConfig, ClientStats, Mode};
use crate::wire::Number;
use std::ffi::c_char;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A hypotenuse client (opaque). Create with `hb_client_new` or
/// `hb_client_new_ex`, release with `hb_client_free`. No background thread: all work happens inside the
/// calls (and only while one runs: between calls nothing is resent). Any
/// thread may use it; calls lock it only for short non-blocking steps, so a
/// call waiting on one thread never holds up another thread's call.
pub struct HbClient {
    inner: Mutex<Inner>,
    timer: TimerFd,
    /// Private wakers of the calls waiting on this client now.
    waiters: Mutex<Vec<Arc<Notifier>>>,
}

struct Inner {
    /// `None` once freed (the sockets are closed).
    client: Option<Client>,
    /// What the timerfd is armed to.
    armed: Option<Instant>,
}

/// A Linux timerfd (monotonic clock, like `Instant`).
struct TimerFd(OwnedFd);

impl TimerFd {
    fn new() -> Result<TimerFd, Failure> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(Failure::new(HbStatus::HB_ZMQ, format!("timerfd_create failed: {}", std::io::Error::last_os_error())));
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        Ok(TimerFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Readable from `at` on (at once if past) until re-armed; `None` disarms.
    /// Re-arming also makes it unreadable again (the kernel resets its count).
    fn arm(&self, at: Option<Instant>) {
        // SAFETY: itimerspec is plain data; all-zero is "disarmed".
        let mut spec: libc::itimerspec = unsafe { std::mem::zeroed() };
        if let Some(t) = at {
            let d = t.saturating_duration_since(Instant::now()).max(Duration::from_nanos(1));
            spec.it_value = libc::timespec { tv_sec: d.as_secs() as libc::time_t, tv_nsec: d.subsec_nanos() as libc::c_long };
        }
        // SAFETY: our own timerfd; spec is a valid itimerspec; no old value wanted.
        unsafe { libc::timerfd_settime(self.0.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
    }
}

impl HbClient {
    /// Run `f` on the client under the lock, then re-arm the timerfd and,
    /// if `f` changed the client, wake the other waiters (all but `me`).
    fn with<R>(
        &self,
        common: &Common,
        me: Option<&Arc<Notifier>>,
        f: impl FnOnce(&mut Client) -> Result<R, Failure>,
    ) -> Result<R, Failure> {
        let mut g = lock(&self.inner, "hb_client")?;
        let Inner { client, armed } = &mut *g;
        let c = client.as_mut().ok_or_else(|| Failure::stopped("the client was freed"))?;
        let before = c.changes();
        let r = f(c);
        let changed = c.changes() != before;
        let at = c.wake_at();
        if at != *armed {
            self.timer.arm(at);
            *armed = at;
        }
        drop(g);
        if changed {
            for w in self.waiters.lock().unwrap_or_else(PoisonError::into_inner).iter() {
                if !me.is_some_and(|m| Arc::ptr_eq(m, w)) {
                    w.poke();
                }
            }
            common.poke_waiters();
        }
        r
    }
}

/// One waiting call's private waker, registered with its client while the call runs.
struct Waiter<'a> {
    owner: &'a HbClient,
    me: Option<Arc<Notifier>>,
}

impl<'a> Waiter<'a> {
    /// Registered at once when the call may sleep (`timeout_ms` > 0), so no
    /// change between its first look and its first sleep goes unnoticed.
    fn new(owner: &'a HbClient, timeout_ms: i32) -> Result<Waiter<'a>, Failure> {
        let me = if timeout_ms > 0 {
            let n = Arc::new(Notifier::new()?);
            owner.waiters.lock().unwrap_or_else(PoisonError::into_inner).push(n.clone());
            Some(n)
        } else {
            None
        };
        Ok(Waiter { owner, me })
    }

    fn drain(&self) {
        if let Some(n) = &self.me {
            n.drain();
        }
    }

    fn push_fd(&self, fds: &mut Vec<RawFd>) {
        if let Some(n) = &self.me {
            fds.push(n.fd());
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Some(me) = self.me.take() {
            self.owner.waiters.lock().unwrap_or_else(PoisonError::into_inner).retain(|w| !Arc::ptr_eq(w, &me));
        }
    }
}

impl Object for HbClient {
    const TAG: TypeTag = TypeTag::Client;

    /// `HB_POLLIN` when `hb_client_next` with a zero time-out would make
    /// progress: a completion ready, a message readable, a timer due.
    fn look(&self, _events: i16, fds: &mut Vec<RawFd>) -> Result<super::Look, Failure> {
        let g = lock(&self.inner, "hb_client")?;
        let c = g.client.as_ref().ok_or_else(|| Failure::stopped("the client was freed"))?;
        let (ready, fd, timer) = c.wait_state()?;
        fds.push(fd);
        Ok(super::Look { revents: if ready { super::HB_POLLIN } else { 0 }, timer })
    }

    /// The SUB socket's `ZMQ_FD` and the timerfd armed to the earliest timer.
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        let g = lock(&self.inner, "hb_client")?;
        let c = g.client.as_ref().ok_or_else(|| Failure::stopped("the client was freed"))?;
        Ok(Some(vec![c.fd()?, self.timer.0.as_raw_fd()]))
    }

    /// Close the sockets (requests in flight are abandoned).
    fn close(&self) {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.client = None;
        g.armed = None;
        self.timer.arm(None);
    }
}

/// A client's counters (`hb_client_stats`). Set `size` to
/// `sizeof(hb_client_stats_t)` before the call (see `hb_broker_stats_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbClientStats {
    /// Set by the caller: `sizeof(hb_client_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Requests submitted.
    pub requests: u64,
    /// Resends of unanswered requests.
    pub resent: u64,
    /// Answers delivered to the application (values and errors).
    pub answers: u64,
    /// Duplicate or stray answers dropped (also late answers of cancelled requests).
    pub duplicates: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Requests cancelled (`hb_client_cancel`, or an `hb_client_hypot` that
    /// gave up: time-out, signal, free).
    pub cancelled: u64,
    /// Requests submitted and not sent yet, now: waiting for a slot of the
    /// window (256 requests on the wire at most) or for the start-up probe.
    pub queued: u64,
}

impl From<ClientStats> for HbClientStats {
    fn from(s: ClientStats) -> Self {
        HbClientStats {
            size: 0,
            reserved: 0,
            requests: s.requests,
            resent: s.resent,
            answers: s.answers,
            duplicates: s.duplicates,
            timeouts: s.timeouts,
            cancelled: s.cancelled,
            queued: s.queued,
        }
    }
}

/// Connect a client to the brokers.
///
/// * `brokers`: `"HOST[:XSUB_PORT:XPUB_PORT],..."` (NULL or `""` = `127.0.0.1`
///   on the default ports 5555/5556).
/// * `classic`: 0 = tagged mode (private answers, many requests in flight,
///   retries across a broker failover); non-zero = the original lab's
///   untagged wire (one request at a time, for original calc servers).
/// * `timeout_ms`: the default lifetime of a request (see
///   `hb_client_submit`); 0 means 5000.
/// * `out`: receives the new handle (release with `hb_client_free`).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list); `HB_INVALID_ARGUMENT`
/// (`out` NULL, bad UTF-8); `HB_ZMQ`.
///
/// Any thread; never waits (the connection is made in the background; the
/// first requests wait in the client until the path through a broker is
/// proven, within their own lifetimes).
#[no_mangle]
pub extern "C" fn hb_client_new(brokers: *const c_char, classic: i32, timeout_ms: u32, out: *mut *mut HbClient) -> HbStatus {
    ffi_entry!("hb_client_new", {
        let cfg = HbClientConfig {
            size: std::mem::size_of::<HbClientConfig>() as u32,
            timeout_ms,
            brokers,
            classic,
            reserved: 0,
            curve: std::ptr::null(),
        };
        start(&cfg, out)
    })
}

/// How `hb_client_new_ex` starts a client: `hb_client_new`'s arguments,
/// and the client's own CURVE keys. Set `size` to
/// `sizeof(hb_client_config_t)` and every field you do not use to 0 / NULL
/// (zero means the default). Since ABI 1.5.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbClientConfig {
    /// Set by the caller: `sizeof(hb_client_config_t)`.
    pub size: u32,
    /// As `hb_client_new`'s `timeout_ms`; 0 = 5000.
    pub timeout_ms: u32,
    /// A broker list (see BROKER LISTS); NULL or `""` = `127.0.0.1`.
    pub brokers: *const c_char,
    /// As `hb_client_new`'s `classic`: 0 = tagged, non-zero = classic.
    pub classic: i32,
    /// Reserved, 0.
    pub reserved: u32,
    /// This client's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`).
    pub curve: *const HbCurveConfig,
}

/// `hb_client_new` with its settings in a struct (see
/// `hb_client_config_t`), including the client's own CURVE keys.
///
/// Returns as `hb_client_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
/// NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when
/// a CURVE key or file of `cfg->curve` is bad (the message names it). Since
/// ABI 1.5. Any thread; waits only on the key files (the connection is made
/// in the background).
#[no_mangle]
pub extern "C" fn hb_client_new_ex(cfg: *const HbClientConfig, out: *mut *mut HbClient) -> HbStatus {
    ffi_entry!("hb_client_new_ex", {
        let dflt = HbClientConfig { size: 0, timeout_ms: 0, brokers: std::ptr::null(), classic: 0, reserved: 0, curve: std::ptr::null() };
        let cfg = read_sized(cfg, dflt, "cfg")?;
        start(&cfg, out)
    })
}

fn start(c: &HbClientConfig, out: *mut *mut HbClient) -> super::FfiResult {
    let out = Out::new(out, "out")?;
    let mode = if c.classic != 0 { Mode::Classic } else { Mode::Tagged };
    let mut cfg = ClientConfig { brokers: brokers_arg(c.brokers)?, mode, curve: curve_arg(c.curve)?, ..Default::default() };
    if c.timeout_ms > 0 {
        cfg.timeout = Duration::from_millis(c.timeout_ms.into());
    }
    let client = Client::new(cfg)?;
    let obj = HbClient {
        inner: Mutex::new(Inner { client: Some(client), armed: None }),
        timer: TimerFd::new()?,
        waiters: Mutex::new(Vec::new()),
    };
    out.set(register(obj)?);
    Ok(())
}

/// Submit a request held for the caller, wait for its outcome at most
/// `timeout_ms` (its lifetime too; 0 = the client's default lifetime and
/// one look), and cancel it if the wait fails.
fn hypot_wait(c: &Slot<HbClient>, a: &Number, b: &Number, timeout_ms: i32) -> Result<(u64, crate::Result<String>), Failure> {
    super::deadline(timeout_ms)?; // a negative time-out is refused before anything is sent
    let id = c.with(&c.common, None, |cl| {
        let life = if timeout_ms > 0 { Duration::from_millis(timeout_ms as u64) } else { cl.config().timeout };
        Ok(cl.submit_held(a, b, life)?)
    })?;
    let w = Waiter::new(c, timeout_ms)?;
    let r = wait_until(&c.common, timeout_ms, "answer", |fds| {
        w.drain();
        let step = c.with(&c.common, w.me.as_ref(), |cl| {
            cl.progress()?;
            if let Some(r) = cl.take(id) {
                return Ok(Step::Ready(r));
            }
            fds.push(cl.fd()?);
            Ok(Step::Wait(cl.wake_at()))
        })?;
        w.push_fd(fds);
        Ok(step)
    });
    drop(w);
    match r {
        Ok(r) => Ok((id, r)),
        Err(f) => {
            // Time-out, signal, free or a failed step: nothing of this call
            // stays behind (a late answer is dropped as a duplicate).
            let _ = c.with(&c.common, None, |cl| {
                cl.abandon(id);
                Ok(())
            });
            Err(f)
        }
    }
}

/// The hypotenuse of `a` and `b` (decimal text such as `"12"` or `"1.5"`),
/// waiting at most `timeout_ms` milliseconds, which is also the request's
/// lifetime (the timeout rule: 0 = one look without waiting, which for a
/// new request means `HB_TIMEOUT`; negative refused before anything is
/// sent). Writes it with four decimals (e.g. `"17.6918"`) into `out` (`len`
/// bytes, NUL-terminated; length without NUL in `*out_len`, optional). A
/// buffer of `HB_TEXT_MAX` bytes always fits. Answers of requests submitted
/// earlier that arrive meanwhile are kept for `hb_client_next`.
///
/// When the call does not return `HB_OK`, `HB_REMOTE` or
/// `HB_BUFFER_TOO_SMALL` (a time-out, `HB_INTERRUPTED`, `HB_STOPPED`, ...)
/// its request is cancelled: `hb_client_next` never returns it and a late
/// answer is dropped (counted in `duplicates`).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a or b NULL, not UTF-8, or not a
/// non-negative finite decimal number, negative `timeout_ms`: nothing is
/// sent; `out` NULL with `len` > 0); `HB_REMOTE` when the calc node answered
/// an error (the reason is in `hb_last_error`); `HB_TIMEOUT`;
/// `HB_INTERRUPTED` (a signal handler ran); `HB_STOPPED` (freed meanwhile);
/// `HB_BUFFER_TOO_SMALL`: `*out_len` = the answer's length, and the answer
/// is NOT lost: it becomes the first completion `hb_client_next` returns
/// (with the request's id); `HB_CONFIG` (classic mode with a request
/// already in flight); `HB_INVALID_HANDLE`; `HB_ZMQ`.
///
/// Any thread; waits for the answer (the timeout rule) without holding the
/// client: other threads may use the client meanwhile, and freeing it ends
/// the wait with `HB_STOPPED`.
#[no_mangle]
pub extern "C" fn hb_client_hypot(
    c: *const HbClient,
    a: *const c_char,
    b: *const c_char,
    timeout_ms: i32,
    out: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(c; "hb_client_hypot", {
        let c = get(c)?;
        let (a, b) = (number_arg(a, 'a')?, number_arg(b, 'b')?);
        let out = StrOut::new(out, len, out_len, "out")?;
        let (id, r) = hypot_wait(&c, &a, &b, timeout_ms)?;
        let h = r?;
        if !out.fits(h.len()) {
            let f = out.too_small(h.len());
            c.with(&c.common, None, |cl| {
                cl.release(id, Ok(h));
                Ok(())
            })?;
            return Err(f);
        }
        out.put(&h)
    })
}

/// A length given as a double, as wire text.
fn length_number(x: f64, which: char) -> Result<Number, Failure> {
    if !x.is_finite() || x < 0.0 {
        return Err(Failure::arg(format!("cathetus {which}: not a non-negative finite number: {x}")));
    }
    Number::from_f64(x + 0.0).map_err(|e| Failure::arg(format!("cathetus {which}: {e}")))
    // + 0.0 turns -0.0 into 0.0
}

/// `hb_client_hypot` with doubles: writes the hypotenuse (the four-decimal
/// answer, parsed) to `*out`. `a` and `b` must be finite and non-negative.
/// Same time-out and cancelling as `hb_client_hypot`.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (bad a or b, `out` NULL, negative
/// `timeout_ms`); `HB_REMOTE` (reason in `hb_last_error`); `HB_TIMEOUT`;
/// `HB_INTERRUPTED`; `HB_STOPPED`; `HB_CONFIG`; `HB_INVALID_HANDLE`; `HB_ZMQ`.
///
/// Any thread; waits for the answer (the timeout rule) without holding the client.
#[no_mangle]
pub extern "C" fn hb_client_hypot_f64(c: *const HbClient, a: f64, b: f64, timeout_ms: i32, out: *mut f64) -> HbStatus {
    ffi_entry!(c; "hb_client_hypot_f64", {
        let c = get(c)?;
        let out = Out::new(out, "out")?;
        let (a, b) = (length_number(a, 'a')?, length_number(b, 'b')?);
        let (_, r) = hypot_wait(&c, &a, &b, timeout_ms)?;
        let h = r?;
        let v = h.parse::<f64>().map_err(|_| Failure::new(HbStatus::HB_REMOTE, format!("answer is not a number: {}", crate::wire::excerpt(h.as_bytes()))))?;
        out.set(v);
        Ok(())
    })
}

/// Submit a request for the hypotenuse of `a` and `b` (decimal text);
/// `*id` receives its id. Collect the outcome with `hb_client_next` (or
/// drop it with `hb_client_cancel`).
///
/// `limit_ms` is the request's LIFETIME, not a wait: this call never waits.
/// When no answer came `limit_ms` after this call, the request finishes
/// with `HB_TIMEOUT` (as a completion of `hb_client_next`). 0 = the client's
/// default lifetime (`hb_client_new`); negative refused. Meanwhile the
/// request may wait in the client (for the start-up probe, or for a free
/// slot of the window of 256 requests on the wire) and is resent when its
/// answer is overdue, but only while some call runs on this client
/// (`hb_client_next`, `hb_client_hypot`, `hb_poll`'s caller then calling
/// `hb_client_next`): there is no background thread.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a or b NULL, not UTF-8, or not a
/// valid number: nothing is sent; `id` NULL; negative `limit_ms`);
/// `HB_CONFIG` (classic mode with a request already in flight);
/// `HB_INVALID_HANDLE`; `HB_ZMQ`.
///
/// Any thread; never waits (locks the client briefly).
#[no_mangle]
pub extern "C" fn hb_client_submit(c: *const HbClient, a: *const c_char, b: *const c_char, limit_ms: i32, id: *mut u64) -> HbStatus {
    ffi_entry!(c; "hb_client_submit", {
        let c = get(c)?;
        let (a, b) = (number_arg(a, 'a')?, number_arg(b, 'b')?);
        let id = Out::new(id, "id")?;
        if limit_ms < 0 {
            return Err(Failure::arg(format!("limit_ms must be >= 0 (0 = the client's default lifetime), not {limit_ms}")));
        }
        let n = c.with(&c.common, None, |cl| {
            let life = if limit_ms > 0 { Duration::from_millis(limit_ms as u64) } else { cl.config().timeout };
            Ok(cl.submit_numbers(&a, &b, life)?)
        })?;
        id.set(n);
        Ok(())
    })
}

/// Cancel request `id` (from `hb_client_submit`): whether it is waiting,
/// on the wire, or finished and not yet taken by `hb_client_next`, it is
/// forgotten; `hb_client_next` never returns it, and a late answer is
/// dropped (counted in `duplicates`).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (an unknown id: never submitted,
/// already returned by `hb_client_next`, or already cancelled);
/// `HB_INVALID_HANDLE`; `HB_STOPPED`.
///
/// Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_client_cancel(c: *const HbClient, id: u64) -> HbStatus {
    ffi_entry!(c; "hb_client_cancel", {
        let c = get(c)?;
        c.with(&c.common, None, |cl| {
            if cl.cancel(id) {
                Ok(())
            } else {
                Err(Failure::arg(format!("unknown request id {id} (never submitted, already taken by hb_client_next, or cancelled)")))
            }
        })
    })
}

/// Take the next finished request, waiting for one at most `timeout_ms`
/// milliseconds (the timeout rule: 0 = just look; negative refused). While
/// it waits, it also does the client's work: takes in answers, resends
/// overdue requests, fails expired ones, sends waiting ones.
///
/// On `HB_OK` a request finished: `*id` is its id and `*result` its own
/// outcome: `HB_OK` with the hypotenuse in `out` (e.g. `"17.6918"`), or
/// `HB_REMOTE` / `HB_TIMEOUT` with the error text in `out`. Every such
/// text is shorter than `HB_TEXT_MAX`: a buffer of `HB_TEXT_MAX` bytes
/// always fits. `out` may be NULL with `len` 0 when the text is not wanted
/// (the completion is then taken; `*out_len` still gets the text's length).
///
/// Returns `HB_OK`; `HB_TIMEOUT` when nothing finished in time (outputs
/// untouched); `HB_BUFFER_TOO_SMALL`: `*id`, `*result` and `*out_len` (the
/// text's length) are set and the completion is KEPT: the next call
/// returns it again; `HB_INTERRUPTED`; `HB_STOPPED` (freed meanwhile);
/// `HB_INVALID_ARGUMENT` (`id` or `result` NULL, `out` NULL with `len` > 0,
/// negative `timeout_ms`); `HB_INVALID_HANDLE`; `HB_ZMQ`.
///
/// Any thread; waits for a completion (the timeout rule) without holding
/// the client: other threads may submit, cancel or free meanwhile (a free
/// ends the wait with `HB_STOPPED`). Completions go to one caller each.
#[no_mangle]
pub extern "C" fn hb_client_next(
    c: *const HbClient,
    timeout_ms: i32,
    id: *mut u64,
    result: *mut HbStatus,
    out: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(c; "hb_client_next", {
        let c = get(c)?;
        let id = Out::new(id, "id")?;
        let result = Out::new(result, "result")?;
        let out = StrOut::new(out, len, out_len, "out")?;
        super::deadline(timeout_ms)?;
        let w = Waiter::new(&c, timeout_ms)?;
        wait_until(&c.common, timeout_ms, "finished request", |fds| {
            w.drain();
            let step = c.with(&c.common, w.me.as_ref(), |cl| {
                cl.progress()?;
                if let Some((n, r)) = cl.peek() {
                    let (st, text) = match r {
                        Ok(h) => (HbStatus::HB_OK, std::borrow::Cow::Borrowed(h.as_str())),
                        Err(e) => (status_of(e), std::borrow::Cow::Owned(e.to_string())),
                    };
                    id.set(*n);
                    result.set(st);
                    out.put(&text)?; // too small: an error, and the completion stays
                    cl.pop();
                    return Ok(Step::Ready(()));
                }
                fds.push(cl.fd()?);
                Ok(Step::Wait(cl.wake_at()))
            })?;
            w.push_fd(fds);
            Ok(step)
        })
    })
}

/// Write the number of requests submitted and not yet finished (on the
/// wire or waiting in the client) to `*out`.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, `HB_STOPPED`, or
/// `HB_INVALID_ARGUMENT` (`out` NULL). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_client_in_flight(c: *const HbClient, out: *mut u32) -> HbStatus {
    ffi_entry!(c; "hb_client_in_flight", {
        let c = get(c)?;
        let out = Out::new(out, "out")?;
        let n = c.with(&c.common, None, |cl| Ok(cl.in_flight()))?;
        out.set(u32::try_from(n).unwrap_or(u32::MAX));
        Ok(())
    })
}

/// Copy the client's counters into `*out` (see `hb_client_stats_t`).
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, `HB_STOPPED`, or
/// `HB_INVALID_ARGUMENT` (`out` NULL or `out->size` not set). Any thread;
/// never waits.
#[no_mangle]
pub extern "C" fn hb_client_stats(c: *const HbClient, out: *mut HbClientStats) -> HbStatus {
    ffi_entry!(c; "hb_client_stats", {
        let c = get(c)?;
        let s = c.with(&c.common, None, |cl| Ok(cl.stats()))?;
        super::put_sized(out, s.into(), "out")
    })
}

/// Close the client and release the handle; requests in flight are
/// abandoned. Calls waiting on it on other threads return `HB_STOPPED` at
/// once. NULL is a no-op (`HB_OK`); a freed handle (second free) is
/// `HB_INVALID_HANDLE`.
///
/// Any thread; waits only for another thread's short step on the client to end.
#[no_mangle]
pub extern "C" fn hb_client_free(c: *mut HbClient) -> HbStatus {
    ffi_entry!("hb_client_free", { free(c) })
}
