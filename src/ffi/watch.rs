//! `hb_watch_*`: the passive observer of the lab (`hypobus watch`) over
//! [`crate::watch::Observer`], pull style: events (finished requests,
//! broker state changes, role events) are taken with `hb_watch_next`, the
//! hops of a recent request with `hb_watch_hop`, the live numbers with
//! `hb_watch_summary`, and diagrams are written with `hb_watch_export`.
//! The queue has a descriptor (`hb_handle_fd`, `hb_poll`).
//!
//! Locking: the observer sits in a mutex held only for the short calls;
//! waits take from its queue step by step (`wait_until`), never holding it.

use super::security::{curve_arg, HbCurveConfig};
use super::{
    brokers_arg, ffi_entry, free, get, lock, opt_str_arg, put_sized, read_sized, register, str_arg, wait_until, Failure, FfiResult,
    HbStatus, Look, Object, Out, Step, StrOut, TypeTag, HB_POLLIN, HB_TEXT_MAX,
};
use crate::watch::{render, HopKind, Mark, Observer, Outcome, Role, Sampling, Take, Trace, WatchBroker, WatchConfig, WatchEvent};
use std::ffi::c_char;
use std::os::fd::RawFd;
use std::sync::Mutex;

/// `hb_watch_new` flag: take in every message, also under load (no
/// sampling). Without it the observer samples above 5000 messages/s.
pub const HB_WATCH_FULL: u32 = 1;

/// `hb_watch_event_t.kind`: a request's path, finished (answered, or no
/// answer seen in time).
pub const HB_WATCH_TRACE: i32 = 1;
/// `hb_watch_event_t.kind`: a broker changed state (active, passive, silent).
pub const HB_WATCH_BROKER: i32 = 2;
/// `hb_watch_event_t.kind`: a role's observability event (a fallback, a
/// refused request, a failover broker's state change).
pub const HB_WATCH_ROLE: i32 = 3;

/// `hb_watch_event_t.flags`: a classic (untagged) request.
pub const HB_WATCH_CLASSIC: u32 = 1;
/// `hb_watch_event_t.flags`: the calc node computed lane 1's square itself.
pub const HB_WATCH_FALLBACK1: u32 = 2;
/// `hb_watch_event_t.flags`: the calc node computed lane 2's square itself.
pub const HB_WATCH_FALLBACK2: u32 = 4;
/// `hb_watch_event_t.flags`: the answer was an error (`ERR …`).
pub const HB_WATCH_ERROR: u32 = 8;
/// `hb_watch_event_t.flags`: no answer was seen.
pub const HB_WATCH_LOST: u32 = 16;
/// `hb_watch_event_t.flags` (broker events): the broker forwards now.
pub const HB_WATCH_ACTIVE: u32 = 32;
/// `hb_watch_event_t.flags` (broker events): the broker is heard.
pub const HB_WATCH_ALIVE: u32 = 64;

/// `hb_watch_hop_t.from` / `.to`: the request's client.
pub const HB_WATCH_CLIENT: i32 = 0;
/// `hb_watch_hop_t.from` / `.to`: the calc node.
pub const HB_WATCH_CALC: i32 = 1;
/// `hb_watch_hop_t.from` / `.to`: the operation node of lane 1.
pub const HB_WATCH_OP1: i32 = 2;
/// `hb_watch_hop_t.from` / `.to`: the operation node of lane 2.
pub const HB_WATCH_OP2: i32 = 3;

/// `hb_watch_export` format: Markdown with one Mermaid `sequenceDiagram` per request.
pub const HB_WATCH_MERMAID: i32 = 1;
/// `hb_watch_export` format: one SVG document with every request's diagram.
pub const HB_WATCH_SVG: i32 = 2;

/// An event of the observer (`hb_watch_next`). Set `size` to
/// `sizeof(hb_watch_event_t)` before the call.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbWatchEvent {
    /// Set by the caller: `sizeof(hb_watch_event_t)`.
    pub size: u32,
    /// `HB_WATCH_TRACE`, `HB_WATCH_BROKER` or `HB_WATCH_ROLE`.
    pub kind: i32,
    /// A trace's number (for `hb_watch_hop`); 0 for other kinds.
    pub id: u64,
    /// When (µs since the Unix epoch): a trace's first message, an event's time.
    pub at_us: u64,
    /// A trace's total, first cathetus to answer (µs); -1 when unanswered or not a trace.
    pub total_us: i64,
    /// A trace's number of hops (messages).
    pub hops: u32,
    /// `HB_WATCH_CLASSIC`, `HB_WATCH_FALLBACK1`, ... bits.
    pub flags: u32,
    /// A trace's messages sent again (resends, re-answers).
    pub resends: u32,
    /// A trace's duplicates (the same message through two brokers, a second answer).
    pub duplicates: u32,
    /// The broker's index in the list given to `hb_watch_new` (broker and
    /// role events; for a trace, the broker of its answer); -1 when none.
    pub broker: i32,
    /// Reserved, 0.
    pub reserved: u32,
}

/// One message of a recent request (`hb_watch_hop`). Set `size` to
/// `sizeof(hb_watch_hop_t)` before the call.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbWatchHop {
    /// Set by the caller: `sizeof(hb_watch_hop_t)`.
    pub size: u32,
    /// Its lane (1, 2), 0 for the answer.
    pub lane: u32,
    /// Who sent it and to whom: `HB_WATCH_CLIENT`, `HB_WATCH_CALC`, `HB_WATCH_OP1`, `HB_WATCH_OP2`.
    pub from: i32,
    pub to: i32,
    /// 0 the first of its kind, 1 sent again (a resend), 2 a duplicate.
    pub mark: i32,
    /// 1 for an error value (`ERR …`).
    pub error: u32,
    /// 1 when sent untagged (a classic peer).
    pub untagged: u32,
    /// The broker it came through (index).
    pub broker: i32,
    /// When it reached the observer, µs after the request's first message.
    pub dt_us: u64,
}

/// The observer's live numbers (`hb_watch_summary`). Set `size` to
/// `sizeof(hb_watch_summary_t)` before the call.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbWatchSummary {
    /// Set by the caller: `sizeof(hb_watch_summary_t)`.
    pub size: u32,
    /// 1 while the observer samples (under load).
    pub sampling: u32,
    /// Answered requests per second over the last 3 s (estimated from the samples).
    pub rate: f64,
    /// Median and 99th percentile of the requests' totals (µs) over the same span.
    pub p50_us: u64,
    pub p99_us: u64,
    /// Since the start, of the requests seen: requests, answers (error answers included), errors, lost.
    pub requests: u64,
    pub answers: u64,
    pub errors: u64,
    pub lost: u64,
    /// Squares the calc node computed itself (its events, plus inferred ones).
    pub fallbacks: u64,
    pub resends: u64,
    pub duplicates: u64,
    /// Messages received in all.
    pub messages: u64,
    /// Events dropped because nobody took them (the queue holds 10000).
    pub dropped: u64,
    /// Index of the active broker, -1 when none is known (the first when several forward).
    pub active_broker: i32,
    /// How many brokers forward now (2 in a split brain).
    pub active_count: u32,
}

/// The passive observer (opaque). Create with `hb_watch_new`, release
/// with `hb_watch_free`. Any thread may use it; no call holds it while it waits.
pub struct HbWatch {
    obs: Mutex<Observer>,
    names: Vec<String>,
    fd: RawFd,
}

impl Object for HbWatch {
    const TAG: TypeTag = TypeTag::Watch;
    fn look(&self, _events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        let o = lock(&self.obs, "hb_watch")?;
        let ready = o.peek_with(|e, ended| e.is_some() || ended);
        fds.push(self.fd);
        Ok(Look { revents: if ready { HB_POLLIN } else { 0 }, timer: None })
    }
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(Some(vec![self.fd]))
    }
    fn close(&self) {
        if let Ok(mut o) = self.obs.lock() {
            let _ = o.stop();
        }
    }
}

/// `s` cut to fewer than `HB_TEXT_MAX` bytes on a character boundary.
fn capped(mut s: String) -> String {
    if s.len() >= HB_TEXT_MAX {
        let mut n = HB_TEXT_MAX - 4;
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s.truncate(n);
        s.push('…');
    }
    s
}

fn event_text(e: &WatchEvent, names: &[String]) -> String {
    capped(match e {
        WatchEvent::Trace(t) => render::headline(t, names),
        WatchEvent::Broker(b) => format!(
            "{} {}: {}",
            b.name,
            if !b.alive {
                "silent"
            } else if b.active {
                "active"
            } else {
                "passive"
            },
            b.reason
        ),
        WatchEvent::Role(r) => format!("{} {} {}: {}", r.role, r.event, r.tag, r.detail),
    })
}

fn event_struct(e: &WatchEvent) -> HbWatchEvent {
    let mut v = HbWatchEvent { total_us: -1, broker: -1, ..Default::default() };
    match e {
        WatchEvent::Trace(t) => {
            v.kind = HB_WATCH_TRACE;
            v.id = t.id;
            v.at_us = t.start_us;
            v.total_us = t.total_us().map_or(-1, |x| x.min(i64::MAX as u64) as i64);
            v.hops = t.hops.len() as u32;
            v.resends = t.resends;
            v.duplicates = t.duplicates;
            v.flags = trace_flags(t);
            v.broker = t.hops.iter().rev().find(|h| h.kind == HopKind::Answer).map_or(-1, |h| h.broker as i32);
        }
        WatchEvent::Broker(b) => {
            v.kind = HB_WATCH_BROKER;
            v.at_us = b.at_us;
            v.broker = b.broker as i32;
            v.flags = if b.active { HB_WATCH_ACTIVE } else { 0 } | if b.alive { HB_WATCH_ALIVE } else { 0 };
        }
        WatchEvent::Role(r) => {
            v.kind = HB_WATCH_ROLE;
            v.at_us = r.at_us;
            v.broker = r.broker as i32;
        }
    }
    v
}

fn trace_flags(t: &Trace) -> u32 {
    let mut f = 0;
    if t.classic() {
        f |= HB_WATCH_CLASSIC;
    }
    if t.fallback[0].taken() {
        f |= HB_WATCH_FALLBACK1;
    }
    if t.fallback[1].taken() {
        f |= HB_WATCH_FALLBACK2;
    }
    match t.outcome {
        Outcome::Error(_) => f |= HB_WATCH_ERROR,
        Outcome::Lost => f |= HB_WATCH_LOST,
        _ => {}
    }
    f
}

fn role_code(r: Role) -> i32 {
    match r {
        Role::Client => HB_WATCH_CLIENT,
        Role::Calc => HB_WATCH_CALC,
        Role::Op(1) => HB_WATCH_OP1,
        Role::Op(_) => HB_WATCH_OP2,
    }
}

/// Start an observer of the lab: connect a SUB socket (subscribed to
/// everything) to each broker's XPUB endpoint and one to each heartbeat
/// endpoint given, and watch on a thread of its own (`hypobus-watch`).
/// It reconstructs each request's path from the wire alone (client → calc,
/// calc → operation lanes, lanes → calc, calc → client; tagged and classic)
/// and queues what it finds for `hb_watch_next`.
///
/// * `brokers`: the brokers to watch, a broker list (see BROKER LISTS in the
///   preamble; only their XPUB endpoints are used); NULL or `""` = the lab's
///   default broker. With two brokers they are named `primary` and `backup`.
/// * `hb_eps`: NULL, or the brokers' heartbeat endpoints by position,
///   comma-separated, an empty entry for a broker without one (e.g.
///   `tcp://10.0.0.1:5560,tcp://10.0.0.2:5560`); they tell who is active.
/// * `flags`: 0 or `HB_WATCH_FULL`.
/// * `out`: receives the new handle (release with `hb_watch_free`);
///   untouched on failure.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, unknown flags, text
/// not UTF-8); `HB_CONFIG` (a bad broker list or endpoint); `HB_ZMQ`. Any
/// thread; never waits (the connections are made in the background).
#[no_mangle]
pub extern "C" fn hb_watch_new(brokers: *const c_char, hb_eps: *const c_char, flags: u32, out: *mut *mut HbWatch) -> HbStatus {
    ffi_entry!("hb_watch_new", {
        let cfg = HbWatchConfig { size: std::mem::size_of::<HbWatchConfig>() as u32, flags, brokers, hb_eps, curve: std::ptr::null() };
        start(&cfg, out)
    })
}

/// How `hb_watch_new_ex` starts an observer: `hb_watch_new`'s arguments,
/// and the observer's own CURVE keys. Set `size` to
/// `sizeof(hb_watch_config_t)` and every field you do not use to 0 / NULL.
/// Since ABI 1.5.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbWatchConfig {
    /// Set by the caller: `sizeof(hb_watch_config_t)`.
    pub size: u32,
    /// 0 or `HB_WATCH_FULL`.
    pub flags: u32,
    /// The brokers to watch, a broker list; NULL or `""` = the lab's default broker.
    pub brokers: *const c_char,
    /// NULL, or the brokers' heartbeat endpoints by position, comma-separated.
    pub hb_eps: *const c_char,
    /// The observer's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`).
    pub curve: *const HbCurveConfig,
}

/// `hb_watch_new` with its settings in a struct (see `hb_watch_config_t`),
/// including the observer's own CURVE keys.
///
/// Returns as `hb_watch_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
/// NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when
/// a CURVE key or file of `cfg->curve` is bad (the message names it). Since
/// ABI 1.5. Any thread; waits only on the key files (the connections are
/// made in the background).
#[no_mangle]
pub extern "C" fn hb_watch_new_ex(cfg: *const HbWatchConfig, out: *mut *mut HbWatch) -> HbStatus {
    ffi_entry!("hb_watch_new_ex", {
        let dflt = HbWatchConfig { size: 0, flags: 0, brokers: std::ptr::null(), hb_eps: std::ptr::null(), curve: std::ptr::null() };
        start(&read_sized(cfg, dflt, "cfg")?, out)
    })
}

fn start(c: &HbWatchConfig, out: *mut *mut HbWatch) -> FfiResult {
    let out = Out::new(out, "out")?;
    if c.flags & !HB_WATCH_FULL != 0 {
        return Err(Failure::arg(format!("flags must be 0 or HB_WATCH_FULL (1), not {}", c.flags)));
    }
    let addrs = brokers_arg(c.brokers)?;
    let hbs: Vec<String> =
        opt_str_arg(c.hb_eps, "hb_eps")?.map(|s| s.split(',').map(|e| e.trim().to_string()).collect()).unwrap_or_default();
    let watched: Vec<WatchBroker> = WatchBroker::list(&addrs, &[])
        .into_iter()
        .enumerate()
        .map(|(i, w)| WatchBroker { hb: hbs.get(i).filter(|h| !h.is_empty()).cloned(), ..w })
        .collect();
    let names = watched.iter().map(|b| b.name.clone()).collect();
    let mut cfg = WatchConfig::new(watched);
    if c.flags & HB_WATCH_FULL != 0 {
        cfg.sampling = Sampling::Full;
    }
    cfg.curve = curve_arg(c.curve)?;
    let obs = Observer::start(cfg)?;
    let fd = obs.event_fd();
    out.set(register(HbWatch { obs: Mutex::new(obs), names, fd })?);
    Ok(())
}

/// Take the next event, waiting at most `timeout_ms` (the timeout rule).
/// Each event is returned once, in order: `HB_WATCH_TRACE` (a request's
/// path, once it was answered and a short linger for late copies passed,
/// or when no answer came in time), `HB_WATCH_BROKER`, `HB_WATCH_ROLE`.
///
/// `*ev` (set `ev->size` first) gets the numbers; `buf` (`len` bytes) gets
/// one line of text, NUL-terminated, shorter than `HB_TEXT_MAX` (a trace:
/// `request 3: client 3f9a0c hypot(12, 13) = 17.6918 in 0.84 ms via
/// primary [tag …]`; a broker: `backup active: <why>`; a role event:
/// `calc fallback <tag>: <detail>`), its length in `*out_len` (optional).
/// `buf` may be NULL with `len` 0 to skip the text. Read a trace's hops
/// with `hb_watch_hop` and its `id`.
///
/// Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED` once the
/// observer is stopped and every queued event was taken;
/// `HB_BUFFER_TOO_SMALL` (the event is NOT taken; `*out_len` = the length
/// needed); `HB_INVALID_ARGUMENT` (`ev` NULL or `ev->size` not set, `buf`
/// NULL with `len` > 0, a negative time-out); `HB_INVALID_HANDLE`. Any
/// thread; waits for an event without holding the handle; a stop or free on
/// another thread ends the wait at once.
#[no_mangle]
pub extern "C" fn hb_watch_next(
    w: *const HbWatch,
    timeout_ms: i32,
    ev: *mut HbWatchEvent,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(w; "hb_watch_next", {
        let w = get(w)?;
        if ev.is_null() {
            return Err(Failure::arg("ev is NULL"));
        }
        let text = StrOut::new(buf, len, out_len, "buf")?;
        let got = wait_until(&w.common, timeout_ms, "watch event", |fds| {
            let o = lock(&w.obs, "hb_watch")?;
            let mut need = 0;
            match o.try_take(|e| {
                need = event_text(e, &w.names).len();
                text.fits(need)
            }) {
                Take::Got(e) => Ok(Step::Ready(e)),
                Take::Refused => Err(text.too_small(need)),
                Take::Ended => Err(Failure::stopped("the observer is stopped and no event is left")),
                Take::Empty => {
                    fds.push(w.fd);
                    Ok(Step::Wait(None))
                }
            }
        })?;
        if let Err(f) = put_sized(ev, event_struct(&got), "ev") {
            // Not taken after all: give it back.
            lock(&w.obs, "hb_watch")?.unget(got);
            return Err(f);
        }
        text.put(&event_text(&got, &w.names))
    })
}

/// Read hop `index` (0 = the first message) of the recent request `id`
/// (an `hb_watch_event_t.id`; the last 64 finished requests are kept).
/// `*hop` (set `hop->size` first) gets its numbers; `buf` (`len` bytes)
/// its topic and value, `calc.square.result.1#<tag> 144` (shorter than
/// `HB_TEXT_MAX`; `buf` may be NULL with `len` 0 to skip the text), its
/// length in `*out_len` (optional).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`hop` NULL or its size not set,
/// an `id` no longer kept, `index` past the last hop); `HB_BUFFER_TOO_SMALL`
/// (`*out_len` = the length needed; call again); `HB_INVALID_HANDLE`. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_watch_hop(
    w: *const HbWatch,
    id: u64,
    index: u32,
    hop: *mut HbWatchHop,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(w; "hb_watch_hop", {
        let w = get(w)?;
        if hop.is_null() {
            return Err(Failure::arg("hop is NULL"));
        }
        let text = StrOut::new(buf, len, out_len, "buf")?;
        let recent = lock(&w.obs, "hb_watch")?.recent();
        let t = recent.iter().find(|t| t.id == id).ok_or_else(|| Failure::arg(format!("no recent request {id} (the last 64 are kept)")))?;
        let h = t.hops.get(index as usize).ok_or_else(|| Failure::arg(format!("request {id} has {} hops, not {}", t.hops.len(), index as u64 + 1)))?;
        let s = capped(format!("{} {}", h.topic, h.value));
        if !text.fits(s.len()) {
            return Err(text.too_small(s.len()));
        }
        let lane = match h.kind {
            HopKind::Request(l) | HopKind::SquareRequest(l) | HopKind::SquareResult(l) => l,
            HopKind::Answer => 0,
        };
        let v = HbWatchHop {
            size: 0,
            lane,
            from: role_code(h.from()),
            to: role_code(h.to()),
            mark: match h.mark {
                Mark::First => 0,
                Mark::Resend => 1,
                Mark::Duplicate => 2,
            },
            error: h.error as u32,
            untagged: h.untagged as u32,
            broker: h.broker as i32,
            dt_us: h.at_us.saturating_sub(t.start_us),
        };
        put_sized(hop, v, "hop")?;
        text.put(&s)
    })
}

/// Copy the live numbers into `*out` (set `out->size` first): rate and
/// percentiles over the last 3 s, counts since the start, the active broker.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL or its size not set);
/// `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_watch_summary(w: *const HbWatch, out: *mut HbWatchSummary) -> HbStatus {
    ffi_entry!(w; "hb_watch_summary", {
        let w = get(w)?;
        let snap = lock(&w.obs, "hb_watch")?.snapshot();
        let s = &snap.summary;
        let active: Vec<usize> = snap.brokers.iter().enumerate().filter(|(_, b)| b.active).map(|(i, _)| i).collect();
        let v = HbWatchSummary {
            size: 0,
            sampling: s.sampling as u32,
            rate: s.rate,
            p50_us: s.p50_us,
            p99_us: s.p99_us,
            requests: s.requests,
            answers: s.answers,
            errors: s.errors,
            lost: s.lost,
            fallbacks: s.fallbacks,
            resends: s.resends,
            duplicates: s.duplicates,
            messages: s.messages.max(lock(&w.obs, "hb_watch")?.messages()),
            dropped: s.dropped,
            active_broker: active.first().map_or(-1, |i| *i as i32),
            active_count: active.len() as u32,
        };
        put_sized(out, v, "out")
    })
}

/// Write the sequence diagrams of the last `n` finished requests (at most
/// 64 are kept; 0 = all kept) to the file `path`, with the broker changes
/// between them: `format` `HB_WATCH_MERMAID` (Markdown with a Mermaid block
/// per request, to paste into a report) or `HB_WATCH_SVG` (one SVG).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`path` NULL or not UTF-8, an
/// unknown format); `HB_CONFIG` (the file cannot be written; the reason is
/// in the error text); `HB_INVALID_HANDLE`. Any thread; never waits (but
/// for writing the file).
#[no_mangle]
pub extern "C" fn hb_watch_export(w: *const HbWatch, format: i32, n: u32, path: *const c_char) -> HbStatus {
    ffi_entry!(w; "hb_watch_export", {
        let w = get(w)?;
        let path = str_arg(path, "path")?;
        let snap = lock(&w.obs, "hb_watch")?.snapshot();
        let k = if n == 0 { snap.recent.len() } else { (n as usize).min(snap.recent.len()) };
        let traces = &snap.recent[snap.recent.len() - k..];
        let text = match format {
            HB_WATCH_MERMAID => render::mermaid_doc("Requests seen by hypobus watch", traces, &w.names, &snap.timeline),
            HB_WATCH_SVG => render::svg(traces, &w.names, &snap.timeline),
            _ => return Err(Failure::arg(format!("format must be HB_WATCH_MERMAID (1) or HB_WATCH_SVG (2), not {format}"))),
        };
        std::fs::write(path, text).map_err(|e| Failure::new(HbStatus::HB_CONFIG, format!("cannot write {path}: {e}")))
    })
}

/// Stop watching: sockets closed, the thread joined; requests still open
/// are queued as they are (unanswered ones with `HB_WATCH_LOST`), then
/// `hb_watch_next` returns `HB_STOPPED` once the queue is empty. The handle
/// stays valid (summary, hops, export) until `hb_watch_free`. Stopping
/// twice is harmless.
///
/// Returns `HB_OK`; `HB_INVALID_HANDLE`; or the error the thread ended
/// with. Any thread; waits for the observer's thread (it runs no user code).
#[no_mangle]
pub extern "C" fn hb_watch_stop(w: *const HbWatch) -> HbStatus {
    ffi_entry!(w; "hb_watch_stop", {
        let w = get(w)?;
        let r: FfiResult = lock(&w.obs, "hb_watch")?.stop().map_err(Failure::from);
        r
    })
}

/// Stop the observer (see `hb_watch_stop`) and release the handle. NULL is
/// a no-op (`HB_OK`). After this call the handle is invalid: any use,
/// including a second free, returns `HB_INVALID_HANDLE`; waits on other
/// threads end at once with `HB_STOPPED`. Any thread; waits as `hb_watch_stop`.
#[no_mangle]
pub extern "C" fn hb_watch_free(w: *mut HbWatch) -> HbStatus {
    ffi_entry!("hb_watch_free", { free(w) })
}
