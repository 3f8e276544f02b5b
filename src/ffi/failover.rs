//! `hb_failover_*`: a broker with a Binary-Star-style failover monitor
//! (primary or backup), over [`crate::failover::FailoverBroker`].
//!
//! Events reach C two ways: an optional callback (`hb_failover_event_fn`,
//! called on the monitor thread) and a queue read with
//! `hb_failover_next_event` (pull style: filled whether or not a callback is
//! set). The handle keeps its own queue, fed by a Rust callback given to the
//! core, so that waiting for an event never blocks the other calls on the
//! handle and a stop wakes the waiter.
//!
//! Locking: the core broker sits in a `Mutex<Option<_>>` (it is `Send`, not
//! `Sync`), held briefly by each call; only `hb_failover_handback` holds it
//! while it waits, bounded by its time limit. A stop takes the broker out
//! under the lock and stops it *outside* the lock (joining the monitor
//! thread), then puts it back for the final counters. Because the monitor
//! runs the C callback, and a hand-back makes the monitor call it while the
//! caller of `hb_failover_handback` holds the lock, the callback may not use
//! its own handle, and may not stop, free or hand back any failover broker:
//! those calls are refused, not deadlocked.

use super::{ffi_entry, free, get, lock, opt_str_arg, register, str_arg, Failure, FfiResult, Object, HbStatus, Out, StrOut, TypeTag};
use crate::failover::{Event, EventCallback, FailoverBroker, FailoverConfig, FailoverStats, Role};
use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The configured role of a failover broker (the `role` argument of
/// `hb_failover_new`, passed as an `int32_t`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HbRole {
    /// Takes the traffic at start unless it finds the backup active.
    HB_ROLE_PRIMARY = 0,
    /// Watches the primary; takes over when it falls silent, yields to an
    /// active primary, hands back on request (`hb_failover_handback`).
    HB_ROLE_BACKUP = 1,
}

/// A failover broker's counters (`hb_failover_stats`). Set `size` to
/// `sizeof(hb_failover_stats_t)` before the call (see `hb_broker_stats_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbFailoverStats {
    /// Set by the caller: `sizeof(hb_failover_stats_t)`.
    pub size: u32,
    /// 1 when this broker forwards now.
    pub active: u32,
    /// Times it became active.
    pub activations: u64,
    /// Times it became passive.
    pub deactivations: u64,
    /// Heartbeats sent (each is `HB` plus the state message).
    pub heartbeats: u64,
    /// Heartbeat messages received from the peer.
    pub peer_heartbeats: u64,
    /// Milliseconds since the peer was last heard (UINT64_MAX: never).
    pub peer_silent_ms: u64,
}

impl From<FailoverStats> for HbFailoverStats {
    fn from(s: FailoverStats) -> Self {
        HbFailoverStats {
            size: 0,
            active: s.active,
            activations: s.activations,
            deactivations: s.deactivations,
            heartbeats: s.heartbeats,
            peer_heartbeats: s.peer_heartbeats,
            peer_silent_ms: s.peer_silent_ms,
        }
    }
}

/// Called for every state change of a failover broker:
///
/// * `user`: the pointer given to `hb_failover_new`, never read by the library;
/// * `at_ms`: when it happened, in milliseconds since the Unix epoch;
/// * `active`: the new state, 1 = active (forwarding), 0 = passive;
/// * `reason`: why, in words (NUL-terminated UTF-8), valid only during the call.
///
/// Called on the broker's monitor thread (named `hypobus-failover`), one
/// event at a time, before the same event is queued for
/// `hb_failover_next_event`. It must return quickly: the monitor sends no
/// heartbeat while it runs. Its arguments carry the new state: inside it,
/// every `hb_failover_*` call on the same handle, and `hb_failover_stop`,
/// `hb_failover_free` or `hb_failover_handback` on any failover broker,
/// return `HB_INVALID_ARGUMENT` (they would wait for the monitor thread that
/// is running the callback). Other library calls are allowed.
///
/// Bindings whose runtime cannot take calls on a foreign thread easily
/// (Python's ctypes, Node's ffi) should pass NULL and read events with
/// `hb_failover_next_event` instead.
pub type HbFailoverEventFn = Option<unsafe extern "C" fn(user: *mut c_void, at_ms: u64, active: i32, reason: *const c_char)>;

thread_local! {
    /// On a monitor thread inside a C event callback: the handle value of
    /// the broker whose callback runs (0 = not in a callback).
    static IN_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

/// The object behind a live `hb_failover` handle, unless called from that
/// broker's own event callback.
fn handle(f: *const HbFailover, name: &str) -> std::result::Result<Arc<super::Slot<HbFailover>>, Failure> {
    let obj = get(f)?;
    if IN_CALLBACK.with(Cell::get) == f.addr() {
        return Err(Failure::arg(format!("{name} cannot be called on a failover broker from inside its own event callback")));
    }
    Ok(obj)
}

/// Refuse calls that wait for a monitor thread, from inside any event callback.
fn not_in_callback(name: &str) -> FfiResult {
    if IN_CALLBACK.with(Cell::get) != 0 {
        return Err(Failure::arg(format!("{name} cannot be called from inside an hb_failover_event_fn callback")));
    }
    Ok(())
}

/// The C callback and its user pointer, moved to the monitor thread.
struct CallbackEvent {
    f: unsafe extern "C" fn(*mut c_void, u64, i32, *const c_char),
    user: *mut c_void,
    /// The handle value, set before `hb_failover_new` hands it out.
    key: Arc<AtomicUsize>,
}

// SAFETY: the user pointer is only passed back to the C callback, on the
// monitor thread; `hb_failover_event_fn` documents that the callback runs there.
unsafe impl Send for CallbackEvent {}

impl CallbackEvent {
    fn call(&self, ev: &Event) {
        let reason = CString::new(ev.reason.replace('\0', " ")).unwrap_or_default();
        // Before hb_failover_new stored the handle value (no caller has the
        // handle yet), still mark the thread as inside a callback.
        let key = match self.key.load(Ordering::SeqCst) {
            0 => usize::MAX,
            k => k,
        };
        let before = IN_CALLBACK.with(|c| c.replace(key));
        // SAFETY: a C function pointer given to hb_failover_new, called as documented;
        // `reason` outlives the call.
        unsafe { (self.f)(self.user, ev.at_ms, ev.active.into(), reason.as_ptr()) };
        IN_CALLBACK.with(|c| c.set(before));
    }
}

/// A broker with a failover monitor, primary or backup (opaque). Create with
/// `hb_failover_new`, release with `hb_failover_free`. Safe to use from
/// several threads.
pub struct HbFailover {
    /// The broker; `None` only while `hb_failover_stop` runs (or if a stop panicked).
    fb: Mutex<Option<FailoverBroker>>,
    /// Serializes stops, so a second stop returns once the first is done.
    stopping: Mutex<()>,
    stopped: AtomicBool,
    /// State changes, fed on the monitor thread; disconnected once it ended.
    events: Mutex<mpsc::Receiver<Event>>,
    /// An event taken off `events` by `hb_wait_any` to see that one is
    /// there; `hb_failover_next_event` returns it first.
    peeked: Mutex<Option<Event>>,
    /// Bound XSUB and XPUB endpoints.
    endpoints: (String, String),
}

impl HbFailover {
    /// Whether an event is waiting (for `hb_wait_any`), without losing it.
    pub(crate) fn has_event(&self) -> bool {
        let mut peeked = self.peeked.lock().unwrap_or_else(PoisonError::into_inner);
        if peeked.is_none() {
            if let Ok(rx) = self.events.try_lock() {
                *peeked = rx.try_recv().ok();
            }
        }
        peeked.is_some()
    }
}

impl Object for HbFailover {
    const TAG: TypeTag = TypeTag::Failover;
    fn look(&self, _events: i16, _fds: &mut Vec<std::os::fd::RawFd>) -> Result<super::Look, Failure> {
        let r = self.has_event();
        Ok(super::Look { revents: if r { super::HB_POLLIN } else { 0 }, timer: Some(std::time::Instant::now() + Duration::from_millis(20)) })
    }
}

impl HbFailover {
    /// Run `f` on the broker, unless it is being stopped.
    fn with<R>(&self, f: impl FnOnce(&FailoverBroker) -> std::result::Result<R, Failure>) -> std::result::Result<R, Failure> {
        let g = lock(&self.fb, "hb_failover")?;
        match g.as_ref() {
            Some(fb) => f(fb),
            None => Err(Failure::new(HbStatus::HB_STOPPED, "the failover broker is being stopped")),
        }
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Stop the monitor and the broker; harmless when already stopped.
    fn stop(&self) -> FfiResult {
        let _one_at_a_time = self.stopping.lock().unwrap_or_else(PoisonError::into_inner);
        if self.stopped.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let taken = lock(&self.fb, "hb_failover")?.take();
        let Some(mut fb) = taken else { return Ok(()) };
        // Outside the lock: joining the monitor thread waits for a callback
        // in progress, which may be calling into another handle.
        let r = fb.stop();
        *lock(&self.fb, "hb_failover")? = Some(fb);
        Ok(r?)
    }
}

fn duration_ms(ms: u32) -> Duration {
    Duration::from_millis(ms.into())
}

/// Start a failover broker: bind its XSUB endpoint (publishers connect
/// here), its XPUB endpoint (subscribers connect here) and its heartbeat
/// PUB endpoint, connect to the peer's heartbeat endpoint, and run the
/// broker (thread `hypobus-broker`) and its monitor (thread
/// `hypobus-failover`). The broker starts passive; the monitor makes it
/// active or keeps it passive by the Binary Star rules:
///
/// * a backup takes over when the primary has been silent for `misses`
///   heartbeat periods, yields when an active primary is heard (an original
///   primary that only sends `HB` counts as active), and hands back on
///   request (`hb_failover_handback`) to a live, passive primary;
/// * a primary becomes active at start unless it finds the backup active (then
///   it stays passive until the backup hands back or falls silent).
///
/// Heartbeats sent: the classic one frame `HB`, then `[HB.state, role, state]`.
///
/// * `role`: an `hb_role` value, `HB_ROLE_PRIMARY` (0) or `HB_ROLE_BACKUP` (1).
/// * `xsub_ep`, `xpub_ep`, `hb_ep`: ZeroMQ endpoints to bind, e.g.
///   `tcp://127.0.0.1:5555`; NULL means the lab's defaults: every interface,
///   ports 5555, 5556 and 5560. Wildcard XSUB/XPUB ports (`tcp://127.0.0.1:*`)
///   pick free ports, read back with `hb_failover_endpoint`. The heartbeat
///   endpoint should be a fixed one: the peer must know it.
/// * `hb_interval_ms`: this broker's heartbeat period; 0 means 1000.
/// * `peer_hb_ep`: the peer's heartbeat endpoint to connect to (required),
///   e.g. `tcp://10.0.0.2:5560`. It need not be up yet.
/// * `peer_interval_ms`: the peer's heartbeat period; 0 means the same as
///   `hb_interval_ms` (an original primary beats every 1000 ms).
/// * `misses`: heartbeat periods of silence after which the peer counts as
///   dead; 0 means 3.
/// * `ctl_ep`: an optional control endpoint to bind (REP: answers `status`
///   and `handback`, as `hypobus ctl` sends them); NULL or `""` = none.
/// * `cb`: called on the monitor thread for every state change (see
///   `hb_failover_event_fn`); NULL = none. Events are queued for
///   `hb_failover_next_event` either way.
/// * `user`: passed to `cb`, never read by the library; must stay valid until
///   `hb_failover_stop` or `hb_failover_free` returns.
/// * `out`: receives the new handle (release with `hb_failover_free`).
///   Untouched on failure.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` or `peer_hb_ep` NULL, a role
/// other than 0 or 1, a string that is not UTF-8); `HB_CONFIG` (an endpoint
/// cannot be bound or connected); `HB_ZMQ` for other ZeroMQ failures.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn hb_failover_new(
    role: i32,
    xsub_ep: *const c_char,
    xpub_ep: *const c_char,
    hb_ep: *const c_char,
    hb_interval_ms: u32,
    peer_hb_ep: *const c_char,
    peer_interval_ms: u32,
    misses: u32,
    ctl_ep: *const c_char,
    cb: HbFailoverEventFn,
    user: *mut c_void,
    out: *mut *mut HbFailover,
) -> HbStatus {
    ffi_entry!("hb_failover_new", {
        let out = Out::new(out, "out")?;
        let role = match role {
            r if r == HbRole::HB_ROLE_PRIMARY as i32 => Role::Primary,
            r if r == HbRole::HB_ROLE_BACKUP as i32 => Role::Backup,
            _ => return Err(Failure::arg(format!("role must be HB_ROLE_PRIMARY (0) or HB_ROLE_BACKUP (1), not {role}"))),
        };
        let mut cfg = FailoverConfig::new(role, str_arg(peer_hb_ep, "peer_hb_ep")?);
        if let Some(ep) = opt_str_arg(xsub_ep, "xsub_ep")? {
            cfg.xsub = ep.to_string();
        }
        if let Some(ep) = opt_str_arg(xpub_ep, "xpub_ep")? {
            cfg.xpub = ep.to_string();
        }
        if let Some(ep) = opt_str_arg(hb_ep, "hb_ep")? {
            cfg.hb = ep.to_string();
        }
        if hb_interval_ms > 0 {
            cfg.hb_interval = duration_ms(hb_interval_ms);
        }
        if peer_interval_ms > 0 {
            cfg.peer_interval = Some(duration_ms(peer_interval_ms));
        }
        if misses > 0 {
            cfg.misses = misses;
        }
        cfg.ctl = opt_str_arg(ctl_ep, "ctl_ep")?.filter(|s| !s.is_empty()).map(str::to_string);

        let (tx, rx) = mpsc::channel::<Event>();
        let key = Arc::new(AtomicUsize::new(0));
        let c_cb = cb.map(|f| CallbackEvent { f, user, key: key.clone() });
        let on_event: EventCallback = Box::new(move |ev: &Event| {
            if let Some(c) = c_cb.as_ref() {
                c.call(ev);
            }
            let _ = tx.send(ev.clone());
        });
        let fb = FailoverBroker::start(cfg, Some(on_event))?;
        let endpoints = fb.endpoints();
        let h = register(HbFailover {
            fb: Mutex::new(Some(fb)),
            stopping: Mutex::new(()),
            stopped: AtomicBool::new(false),
            events: Mutex::new(rx),
            peeked: Mutex::new(None),
            endpoints,
        })?;
        key.store(h.addr(), Ordering::SeqCst);
        out.set(h);
        Ok(())
    })
}

/// Take the next state change, waiting at most `timeout_ms` milliseconds
/// (0 = just look; negative = until one comes or the broker is stopped).
/// Events are queued from the start, whether or not a callback is set, and
/// each is returned once.
///
/// On `HB_OK`: `*at_ms` = when it happened (milliseconds since the Unix
/// epoch), `*active` = the new state (1 active, 0 passive), and `reason`
/// (`len` bytes) receives why, NUL-terminated, its length in `*out_len`
/// (optional). `reason` may be NULL with `len` 0 to skip the text.
///
/// Returns `HB_OK`; `HB_TIMEOUT` when no event came in time (outputs
/// untouched); `HB_STOPPED` once the broker is stopped and every queued
/// event was taken; `HB_BUFFER_TOO_SMALL` when `reason` is too small (the
/// event is still taken: `*at_ms` and `*active` are set, the text is cut,
/// `*out_len` = full length); `HB_INVALID_ARGUMENT` (`at_ms` or `active`
/// NULL, `reason` NULL with `len` > 0, called from this broker's own event
/// callback); `HB_INVALID_HANDLE`. Calls from several threads take turns.
#[no_mangle]
pub extern "C" fn hb_failover_next_event(
    f: *const HbFailover,
    timeout_ms: i32,
    at_ms: *mut u64,
    active: *mut i32,
    reason: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!("hb_failover_next_event", {
        let f = handle(f, "hb_failover_next_event")?;
        let at_ms = Out::new(at_ms, "at_ms")?;
        let active = Out::new(active, "active")?;
        let text = StrOut::new(reason, len, out_len, "reason")?;
        let rx = f.events.lock().unwrap_or_else(PoisonError::into_inner);
        let peeked = f.peeked.lock().unwrap_or_else(PoisonError::into_inner).take();
        let got = match timeout_ms {
            _ if peeked.is_some() => Ok(peeked.expect("checked")),
            0 => rx.try_recv().map_err(|e| match e {
                TryRecvError::Empty => RecvTimeoutError::Timeout,
                TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
            }),
            t if t < 0 => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            t => rx.recv_timeout(Duration::from_millis(t as u64)),
        };
        drop(rx);
        let ev = match got {
            Ok(ev) => ev,
            Err(RecvTimeoutError::Timeout) => {
                return Err(Failure::new(HbStatus::HB_TIMEOUT, format!("no failover event within {timeout_ms} ms")));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Failure::new(HbStatus::HB_STOPPED, "the failover broker is stopped and no event is left"));
            }
        };
        at_ms.set(ev.at_ms);
        active.set(ev.active.into());
        if reason.is_null() && len == 0 {
            if !out_len.is_null() {
                // SAFETY: non-NULL; the caller passes a pointer to a writable size_t.
                unsafe { out_len.write(ev.reason.len()) };
            }
            return Ok(());
        }
        text.put(&ev.reason)
    })
}

/// Write 1 to `*out` when the broker forwards publications now (active),
/// else 0 (passive, or stopped).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, or called from this
/// broker's own event callback); `HB_INVALID_HANDLE`; `HB_STOPPED` while
/// `hb_failover_stop` runs on another thread.
#[no_mangle]
pub extern "C" fn hb_failover_is_active(f: *const HbFailover, out: *mut i32) -> HbStatus {
    ffi_entry!("hb_failover_is_active", {
        let f = handle(f, "hb_failover_is_active")?;
        let out = Out::new(out, "out")?;
        let active = f.with(|fb| Ok(fb.is_active()))? && !f.is_stopped();
        out.set(active.into());
        Ok(())
    })
}

/// Ask an active backup to hand the traffic back to its primary, which must
/// be alive and passive; waits at most `timeout_ms` milliseconds for the
/// monitor's answer (0 or negative = 2000). On `HB_OK` the backup is passive
/// and the primary becomes active within about one heartbeat period.
///
/// Returns `HB_OK`; `HB_CONFIG` when refused, with the reason in
/// `hb_last_error` (this broker is the primary, the backup is not active,
/// the primary is not running or is already active); `HB_TIMEOUT`;
/// `HB_STOPPED` (the broker was stopped); `HB_INVALID_ARGUMENT` (called from
/// inside an event callback); `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_failover_handback(f: *const HbFailover, timeout_ms: i32) -> HbStatus {
    ffi_entry!("hb_failover_handback", {
        let f = handle(f, "hb_failover_handback")?;
        not_in_callback("hb_failover_handback")?;
        if f.is_stopped() {
            return Err(crate::Error::Stopped.into());
        }
        let limit = if timeout_ms > 0 { Duration::from_millis(timeout_ms as u64) } else { Duration::from_millis(2000) };
        f.with(|fb| Ok(fb.handback(limit)?))
    })
}

/// Copy the failover counters into `*out` (also after `hb_failover_stop`:
/// the final counts, with `active` 0).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, or called from this
/// broker's own event callback); `HB_INVALID_HANDLE`; `HB_STOPPED` while
/// `hb_failover_stop` runs on another thread.
#[no_mangle]
pub extern "C" fn hb_failover_stats(f: *const HbFailover, out: *mut HbFailoverStats) -> HbStatus {
    ffi_entry!("hb_failover_stats", {
        let f = handle(f, "hb_failover_stats")?;
        let mut s = f.with(|fb| Ok(fb.stats()))?;
        if f.is_stopped() {
            s.active = 0;
        }
        super::put_sized(out, s.into(), "out")
    })
}

/// Copy the forwarding counters of the broker inside into `*out` (also
/// after `hb_failover_stop`). `dropped_passive` counts the publications held
/// while passive.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, or called from this
/// broker's own event callback); `HB_INVALID_HANDLE`; `HB_STOPPED` while
/// `hb_failover_stop` runs on another thread.
#[no_mangle]
pub extern "C" fn hb_failover_broker_stats(f: *const HbFailover, out: *mut super::broker::HbBrokerStats) -> HbStatus {
    ffi_entry!(f; "hb_failover_broker_stats", {
        let f = handle(f, "hb_failover_broker_stats")?;
        let s = f.with(|fb| Ok(fb.broker_stats()))?;
        super::put_sized(out, s.into(), "out")
    })
}

/// Write an endpoint the broker bound (wildcard ports resolved, e.g.
/// `tcp://127.0.0.1:40123`) into `buf`. `which`: 0 = XSUB, 1 = XPUB.
/// (The heartbeat endpoint is the one given to `hb_failover_new`.)
///
/// `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
/// (optional) its length without the NUL. Also valid after `hb_failover_stop`.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (text cut to fit, `*out_len` = full
/// length); `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with `len` > 0,
/// called from this broker's own event callback); `HB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn hb_failover_endpoint(f: *const HbFailover, which: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_failover_endpoint", {
        let f = handle(f, "hb_failover_endpoint")?;
        let out = StrOut::new(buf, len, out_len, "buf")?;
        let ep = match which {
            0 => &f.endpoints.0,
            1 => &f.endpoints.1,
            _ => return Err(Failure::arg(format!("which must be 0 (xsub) or 1 (xpub), not {which}"))),
        };
        out.put(ep)
    })
}

/// Stop the monitor and the broker: no more heartbeats, nothing forwarded,
/// every socket closed (the ports are free again on return), both threads
/// joined; once this returns the callback is never called again. A
/// `hb_failover_next_event` waiting on another thread returns the events
/// still queued, then `HB_STOPPED`. The handle stays valid (counters and
/// endpoints remain readable) until `hb_failover_free`. Stopping twice is
/// harmless.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (called from inside an event
/// callback); `HB_INVALID_HANDLE`; or the error a thread ended with
/// (`HB_ZMQ`, ...).
#[no_mangle]
pub extern "C" fn hb_failover_stop(f: *const HbFailover) -> HbStatus {
    ffi_entry!("hb_failover_stop", {
        let f = handle(f, "hb_failover_stop")?;
        not_in_callback("hb_failover_stop")?;
        f.stop()
    })
}

/// Stop the failover broker (if running) and release the handle. NULL is a
/// no-op (`HB_OK`). After this call the handle is invalid: any use,
/// including a second free, returns `HB_INVALID_HANDLE`. Calls still running
/// on other threads return soon (a waiting `hb_failover_next_event` returns
/// `HB_STOPPED` once the queue is empty). Returns `HB_INVALID_ARGUMENT` when
/// called from inside an event callback (nothing is freed).
#[no_mangle]
pub extern "C" fn hb_failover_free(f: *mut HbFailover) -> HbStatus {
    ffi_entry!("hb_failover_free", {
        if f.is_null() {
            return Ok(());
        }
        let obj = handle(f, "hb_failover_free")?;
        not_in_callback("hb_failover_free")?;
        free(f)?;
        // Stop now rather than when the last call using the handle returns:
        // that wakes a waiting hb_failover_next_event and frees the ports.
        let _ = obj.stop();
        Ok(())
    })
}
