//! `hb_failover_*`: a broker with a Binary-Star-style failover monitor
//! (primary or backup), over [`crate::lab::failover::FailoverBroker`].
//!
//! Events reach C two ways: an optional callback (`hb_failover_event_fn`,
//! run on a callback thread of its own, see `ffi::callback`) and a queue
//! read with `hb_failover_next_event` (pull style: filled whether or not a
//! callback is set). The monitor only queues: it never waits for the
//! callback, so a callback may call anything, also stop or free its own
//! broker. The queue has a notifier, so waiting for an event sleeps on a
//! descriptor (also `hb_poll` and `hb_handle_fd`), and a stop wakes it.
//!
//! Locking: the core broker sits in a `Mutex<Option<_>>` (it is `Send`, not
//! `Sync`), held only briefly by each call. A stop takes the broker out under
//! the lock and stops it outside the lock (joining the monitor thread), then
//! puts it back for the final counters.

use super::callback::{Callback, CallbackThread};
use super::security::{curve_arg, HbCurveConfig};
use super::{
    ffi_entry, free, get, lock, opt_str_arg, put_sized, read_sized, register, str_arg, wait_until, Failure, FfiResult, HbStatus, Look,
    Notifier, Object, Out, Step, StrOut, TypeTag, HB_POLLIN, HB_TEXT_MAX,
};
use crate::lab::failover::{Event, EventCallback, FailoverBroker, FailoverConfig, FailoverStats, Role};
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
/// * `reason`: why, in words (NUL-terminated UTF-8, shorter than
///   `HB_TEXT_MAX`), valid only during the call.
///
/// Called on the broker's callback thread (a thread of its own,
/// `hypobus-cb`), one event at a time, in order, after the event was
/// queued for `hb_failover_next_event`. The monitor never waits for it, so
/// a slow callback delays nothing but later callbacks, and it may call any
/// library function, also `hb_failover_stop` / `hb_failover_free` on its
/// own broker. Declared `C-unwind`: a thread exit inside it (an interpreter
/// shutting down) ends only the callback thread.
pub type HbFailoverEventFn = Option<unsafe extern "C-unwind" fn(user: *mut c_void, at_ms: u64, active: i32, reason: *const c_char)>;

/// Events the monitor queued, for `hb_failover_next_event`.
struct Events {
    q: Mutex<EventQueue>,
    /// Readable while the queue is not empty, or once it ended.
    notifier: Notifier,
}

struct EventQueue {
    q: VecDeque<Event>,
    /// The broker stopped: no event will come after the queued ones.
    ended: bool,
}

/// Most events kept unread; the oldest are dropped beyond this.
const MAX_EVENTS: usize = 4096;

impl Events {
    fn lock(&self) -> std::sync::MutexGuard<'_, EventQueue> {
        self.q.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, ev: &Event) {
        let mut ev = ev.clone();
        if ev.reason.len() >= HB_TEXT_MAX {
            let mut n = HB_TEXT_MAX - 1;
            while !ev.reason.is_char_boundary(n) {
                n -= 1;
            }
            ev.reason.truncate(n);
        }
        let mut q = self.lock();
        if q.q.len() >= MAX_EVENTS {
            q.q.pop_front();
        }
        q.q.push_back(ev);
        self.notifier.poke();
    }

    fn end(&self) {
        self.lock().ended = true;
        self.notifier.poke();
    }
}

/// A broker with a failover monitor, primary or backup (opaque). Create with
/// `hb_failover_new`, release with `hb_failover_free`. Any thread may use
/// it; no call holds it while it waits.
pub struct HbFailover {
    /// The broker; `None` only while `hb_failover_stop` runs (or if a stop panicked).
    fb: Mutex<Option<FailoverBroker>>,
    /// Serializes stops, so a second stop returns once the first is done.
    stopping: Mutex<()>,
    stopped: AtomicBool,
    events: Arc<Events>,
    cb: Option<Arc<CallbackThread>>,
    /// Bound XSUB and XPUB endpoints.
    endpoints: (String, String),
}

impl Object for HbFailover {
    const TAG: TypeTag = TypeTag::Failover;
    fn look(&self, _events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        let q = self.events.lock();
        let ready = !q.q.is_empty() || q.ended;
        if !ready {
            self.events.notifier.drain();
        }
        fds.push(self.events.notifier.fd());
        Ok(Look { revents: if ready { HB_POLLIN } else { 0 }, timer: None })
    }
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(Some(vec![self.events.notifier.fd()]))
    }
    fn close(&self) {
        let _ = self.stop();
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
        // Outside the lock: joining the monitor thread (which never waits
        // for the callback, so this may run inside the callback too).
        let r = fb.stop();
        *lock(&self.fb, "hb_failover")? = Some(fb);
        self.events.end();
        if let Some(cb) = &self.cb {
            cb.quit(false);
        }
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
/// * `xsub_ep`, `xpub_ep`: ZeroMQ endpoints to bind, e.g.
///   `tcp://127.0.0.1:5555`; NULL means the lab's defaults: every interface,
///   ports 5555 and 5556. Wildcard ports (`tcp://127.0.0.1:*`) pick free
///   ports, read back with `hb_failover_endpoint`.
/// * `hb_ep`: the heartbeat endpoint to bind; NULL = `tcp://127.0.0.1:5560`
///   (loopback only: name the address for a peer on another host, e.g.
///   `tcp://0.0.0.0:5560`). It should be a fixed one: the peer must know it.
/// * `hb_interval_ms`: this broker's heartbeat period; 0 means 1000.
/// * `peer_hb_ep`: the peer's heartbeat endpoint to connect to (required),
///   e.g. `tcp://10.0.0.2:5560`. It need not be up yet.
/// * `peer_interval_ms`: the peer's heartbeat period; 0 means the same as
///   `hb_interval_ms` (an original primary beats every 1000 ms).
/// * `misses`: heartbeat periods of silence after which the peer counts as
///   dead; 0 means 3.
/// * `ctl_ep`: an optional control endpoint to bind (REP: answers `status`
///   and `handback`, as `hypobus ctl` sends them); NULL or `""` = none.
/// * `cb`: called on the broker's callback thread for every state change
///   (see `hb_failover_event_fn`); NULL = none. Events are queued for
///   `hb_failover_next_event` either way.
/// * `user`: passed to `cb`, never read by the library; must stay valid until
///   `hb_failover_stop` or `hb_failover_free` returns.
/// * `out`: receives the new handle (release with `hb_failover_free`).
///   Untouched on failure.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` or `peer_hb_ep` NULL, a role
/// other than 0 or 1, a string that is not UTF-8); `HB_CONFIG` (an endpoint
/// cannot be bound or connected); `HB_ZMQ` for other ZeroMQ failures.
/// Any thread; waits only for the binds (the monitor and the broker run on
/// their own threads).
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
        let cfg = HbFailoverConfig {
            size: std::mem::size_of::<HbFailoverConfig>() as u32,
            role,
            xsub: xsub_ep,
            xpub: xpub_ep,
            hb: hb_ep,
            peer_hb: peer_hb_ep,
            ctl: ctl_ep,
            hb_interval_ms,
            peer_interval_ms,
            misses,
            reserved: 0,
            curve: std::ptr::null(),
        };
        start(&cfg, cb, user, out)
    })
}

/// How `hb_failover_new_ex` starts a failover broker: `hb_failover_new`'s
/// arguments (but the callback), and the broker's own CURVE keys. Set
/// `size` to `sizeof(hb_failover_config_t)` and every field you do not use
/// to 0 / NULL (zero means the default). Since ABI 1.5.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbFailoverConfig {
    /// Set by the caller: `sizeof(hb_failover_config_t)`.
    pub size: u32,
    /// `HB_ROLE_PRIMARY` (0) or `HB_ROLE_BACKUP` (1).
    pub role: i32,
    /// XSUB endpoint to bind; NULL = port 5555 on every interface.
    pub xsub: *const c_char,
    /// XPUB endpoint to bind; NULL = port 5556 on every interface.
    pub xpub: *const c_char,
    /// Heartbeat endpoint to bind; NULL = `tcp://127.0.0.1:5560`.
    pub hb: *const c_char,
    /// The peer's heartbeat endpoint (required).
    pub peer_hb: *const c_char,
    /// Control endpoint (REP) to bind; NULL or `""` = none.
    pub ctl: *const c_char,
    /// This broker's heartbeat period; 0 = 1000 ms.
    pub hb_interval_ms: u32,
    /// The peer's heartbeat period; 0 = `hb_interval_ms`.
    pub peer_interval_ms: u32,
    /// Periods of silence after which the peer counts as dead; 0 = 3.
    pub misses: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// This broker's own CURVE keys (see `hb_curve_config_t`), for its
    /// endpoints and its link to the peer (the two brokers of a pair share
    /// one certificate: without `server`, its own public key is the
    /// peer's); NULL = the process default (`hb_curve_set_default`).
    pub curve: *const HbCurveConfig,
}

/// `hb_failover_new` with its settings in a struct (see
/// `hb_failover_config_t`), including the broker's own CURVE keys; `cb`,
/// `user` and `out` as in `hb_failover_new` (`cb` runs on the broker's
/// callback thread).
///
/// Returns as `hb_failover_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
/// NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG`
/// when a CURVE key or file of `cfg->curve` is bad (the message names it).
/// Since ABI 1.5. Any thread; waits only for the binds (and the key files).
#[no_mangle]
pub extern "C" fn hb_failover_new_ex(
    cfg: *const HbFailoverConfig,
    cb: HbFailoverEventFn,
    user: *mut c_void,
    out: *mut *mut HbFailover,
) -> HbStatus {
    ffi_entry!("hb_failover_new_ex", {
        let dflt = HbFailoverConfig {
            size: 0,
            role: 0,
            xsub: std::ptr::null(),
            xpub: std::ptr::null(),
            hb: std::ptr::null(),
            peer_hb: std::ptr::null(),
            ctl: std::ptr::null(),
            hb_interval_ms: 0,
            peer_interval_ms: 0,
            misses: 0,
            reserved: 0,
            curve: std::ptr::null(),
        };
        start(&read_sized(cfg, dflt, "cfg")?, cb, user, out)
    })
}

fn start(c: &HbFailoverConfig, cb: HbFailoverEventFn, user: *mut c_void, out: *mut *mut HbFailover) -> FfiResult {
    let out = Out::new(out, "out")?;
    let role = match c.role {
        r if r == HbRole::HB_ROLE_PRIMARY as i32 => Role::Primary,
        r if r == HbRole::HB_ROLE_BACKUP as i32 => Role::Backup,
        r => return Err(Failure::arg(format!("role must be HB_ROLE_PRIMARY (0) or HB_ROLE_BACKUP (1), not {r}"))),
    };
    let mut cfg = FailoverConfig::new(role, str_arg(c.peer_hb, "peer_hb_ep")?);
    if let Some(ep) = opt_str_arg(c.xsub, "xsub_ep")? {
        cfg.xsub = ep.to_string();
    }
    if let Some(ep) = opt_str_arg(c.xpub, "xpub_ep")? {
        cfg.xpub = ep.to_string();
    }
    cfg.hb = match opt_str_arg(c.hb, "hb_ep")? {
        Some(ep) => ep.to_string(),
        None => format!("tcp://127.0.0.1:{}", crate::wire::HB_PORT),
    };
    if c.hb_interval_ms > 0 {
        cfg.hb_interval = duration_ms(c.hb_interval_ms);
    }
    if c.peer_interval_ms > 0 {
        cfg.peer_interval = Some(duration_ms(c.peer_interval_ms));
    }
    if c.misses > 0 {
        cfg.misses = c.misses;
    }
    cfg.ctl = opt_str_arg(c.ctl, "ctl_ep")?.filter(|s| !s.is_empty()).map(str::to_string);
    cfg.curve = curve_arg(c.curve)?;

    let key = Arc::new(AtomicUsize::new(0));
    let events = Arc::new(Events { q: Mutex::new(EventQueue { q: VecDeque::new(), ended: false }), notifier: Notifier::new()? });
    let c_cb = match cb {
        Some(f) => Some(Arc::new(CallbackThread::start(Callback::Event(f), user)?)),
        None => None,
    };
    let (ev, cbt) = (events.clone(), c_cb.clone());
    let on_event: EventCallback = Box::new(move |e: &Event| {
        ev.push(e);
        if let Some(c) = cbt.as_ref() {
            c.post_event(e.at_ms, e.active, &e.reason);
        }
    });
    let fb = FailoverBroker::start(cfg, Some(on_event))?;
    let endpoints = fb.endpoints();
    let h = register(HbFailover {
        fb: Mutex::new(Some(fb)),
        stopping: Mutex::new(()),
        stopped: AtomicBool::new(false),
        events,
        cb: c_cb,
        endpoints,
    })?;
    key.store(h.addr(), Ordering::SeqCst);
    out.set(h);
    Ok(())
}

/// Take the next state change, waiting at most `timeout_ms` (the timeout
/// rule). Events are queued from the start, whether or not a callback is
/// set, and each is returned once, in order.
///
/// On `HB_OK`: `*at_ms` = when it happened (milliseconds since the Unix
/// epoch), `*active` = the new state (1 active, 0 passive), and `reason`
/// (`len` bytes) receives why, NUL-terminated (shorter than `HB_TEXT_MAX`),
/// its length in `*out_len` (optional). `reason` may be NULL with `len` 0
/// to skip the text.
///
/// Returns `HB_OK`; `HB_TIMEOUT` when no event came in time (outputs
/// untouched); `HB_INTERRUPTED`; `HB_STOPPED` once the broker is stopped
/// (or freed) and every queued event was taken; `HB_BUFFER_TOO_SMALL` when
/// `reason` is too small (the event is NOT taken; `*out_len` = the length
/// needed); `HB_INVALID_ARGUMENT` (`at_ms` or `active` NULL, `reason` NULL
/// with `len` > 0, a negative time-out); `HB_INVALID_HANDLE`. Any thread;
/// waits for an event without holding the handle; a stop or free on
/// another thread ends the wait at once.
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
    ffi_entry!(f; "hb_failover_next_event", {
        let f = get(f)?;
        let at_ms = Out::new(at_ms, "at_ms")?;
        let active = Out::new(active, "active")?;
        let text = StrOut::new(reason, len, out_len, "reason")?;
        let ev = wait_until(&f.common, timeout_ms, "failover event", |fds| {
            let mut q = f.events.lock();
            match q.q.front() {
                Some(ev) if !text.fits(ev.reason.len()) => Err(text.too_small(ev.reason.len())),
                Some(_) => Ok(Step::Ready(q.q.pop_front().expect("front"))),
                None if q.ended => Err(Failure::stopped("the failover broker is stopped and no event is left")),
                None => {
                    f.events.notifier.drain();
                    fds.push(f.events.notifier.fd());
                    Ok(Step::Wait(None))
                }
            }
        })?;
        at_ms.set(ev.at_ms);
        active.set(ev.active.into());
        text.put(&ev.reason)
    })
}

/// Write 1 to `*out` when the broker forwards publications now (active),
/// else 0 (passive, or stopped).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL); `HB_INVALID_HANDLE`;
/// `HB_STOPPED` while `hb_failover_stop` runs on another thread. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_failover_is_active(f: *const HbFailover, out: *mut i32) -> HbStatus {
    ffi_entry!(f; "hb_failover_is_active", {
        let f = get(f)?;
        let out = Out::new(out, "out")?;
        let active = f.with(|fb| Ok(fb.is_active()))? && !f.is_stopped();
        out.set(active.into());
        Ok(())
    })
}

/// Ask an active backup to hand the traffic back to its primary, which must
/// be alive and passive, and wait at most `timeout_ms` (the timeout rule)
/// for the monitor's answer. On `HB_OK` the backup is passive and the
/// primary becomes active within about one heartbeat period.
///
/// The request is sent at once; with `timeout_ms` 0, or when the wait ends
/// early (`HB_TIMEOUT`, `HB_INTERRUPTED`), the monitor may still carry it
/// out: the events (`hb_failover_next_event`) tell.
///
/// Returns `HB_OK`; `HB_CONFIG` when refused, with the reason in the error
/// text (this broker is the primary, the backup is not active, the primary
/// is not running or is already active); `HB_TIMEOUT`; `HB_INTERRUPTED`;
/// `HB_STOPPED` (the broker was stopped or freed); `HB_INVALID_HANDLE`;
/// `HB_ZMQ`. Any thread, also an event callback; waits for the monitor's
/// answer without holding the handle.
#[no_mangle]
pub extern "C" fn hb_failover_handback(f: *const HbFailover, timeout_ms: i32) -> HbStatus {
    ffi_entry!(f; "hb_failover_handback", {
        let f = get(f)?;
        super::deadline(timeout_ms)?;
        if f.is_stopped() {
            return Err(crate::Error::Stopped.into());
        }
        f.with(|fb| Ok(fb.handback_send()?))?;
        let answer = wait_until(&f.common, timeout_ms, "hand-back answer", |fds| {
            f.with(|fb| match fb.handback_answer()? {
                Some(r) => Ok(Step::Ready(r)),
                None => {
                    fds.push(fb.handback_fd()?);
                    Ok(Step::Wait(None))
                }
            })
        })?;
        Ok(answer?)
    })
}

/// Copy the failover counters into `*out` (also after `hb_failover_stop`:
/// the final counts, with `active` 0); set `out->size` first.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, `out->size` not
/// set); `HB_INVALID_HANDLE`; `HB_STOPPED` while `hb_failover_stop` runs on
/// another thread. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_failover_stats(f: *const HbFailover, out: *mut HbFailoverStats) -> HbStatus {
    ffi_entry!(f; "hb_failover_stats", {
        let f = get(f)?;
        let mut s = f.with(|fb| Ok(fb.stats()))?;
        if f.is_stopped() {
            s.active = 0;
        }
        put_sized(out, s.into(), "out")
    })
}

/// Copy the forwarding counters of the broker inside into `*out` (also
/// after `hb_failover_stop`); set `out->size` first. `dropped_passive`
/// counts the publications held while passive.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, `out->size` not
/// set); `HB_INVALID_HANDLE`; `HB_STOPPED` while `hb_failover_stop` runs on
/// another thread. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_failover_broker_stats(f: *const HbFailover, out: *mut super::broker::HbBrokerStats) -> HbStatus {
    ffi_entry!(f; "hb_failover_broker_stats", {
        let f = get(f)?;
        let s = f.with(|fb| Ok(fb.broker_stats()))?;
        put_sized(out, s.into(), "out")
    })
}

/// Write an endpoint the broker bound (wildcard ports resolved, e.g.
/// `tcp://127.0.0.1:40123`) into `buf`. `which`: 0 = XSUB, 1 = XPUB.
/// (The heartbeat endpoint is the one given to `hb_failover_new`.)
///
/// `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
/// (optional) its length without the NUL. Also valid after `hb_failover_stop`.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (only `*out_len` = the length
/// needed is set); `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with
/// `len` > 0); `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_failover_endpoint(f: *const HbFailover, which: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(f; "hb_failover_endpoint", {
        let f = get(f)?;
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
/// joined; no callback starts after this returns (one still running is
/// waited for at most 500 ms, and not at all from inside the callback). A
/// `hb_failover_next_event` waiting on another thread returns the events
/// still queued, then `HB_STOPPED`. The handle stays valid (counters and
/// endpoints remain readable) until `hb_failover_free`. Stopping twice is
/// harmless.
///
/// Returns `HB_OK`; `HB_INVALID_HANDLE`; or the error a thread ended with
/// (`HB_ZMQ`, ...). Any thread, also the broker's own event callback; waits
/// for the broker's threads (they run no user code) and as said for a
/// callback.
#[no_mangle]
pub extern "C" fn hb_failover_stop(f: *const HbFailover) -> HbStatus {
    ffi_entry!(f; "hb_failover_stop", { get(f)?.stop() })
}

/// Stop the failover broker (if running, see `hb_failover_stop`) and
/// release the handle. NULL is a no-op (`HB_OK`). After this call the handle
/// is invalid: any use, including a second free, returns
/// `HB_INVALID_HANDLE`; waits on other threads end at once with
/// `HB_STOPPED`. Any thread, also the broker's own event callback; waits as
/// `hb_failover_stop`.
#[no_mangle]
pub extern "C" fn hb_failover_free(f: *mut HbFailover) -> HbStatus {
    ffi_entry!("hb_failover_free", { free(f) })
}
