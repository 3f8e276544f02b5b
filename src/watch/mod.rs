//! `hypobus watch`: a passive observer of the lab. Every message of the lab
//! crosses a broker, so a SUB socket on each broker's XPUB side, subscribed
//! to everything, sees the whole conversation of every role, in any
//! language, original programs included. The observer also listens to each
//! broker's heartbeat socket (`HB`, `HB.state`) to tell who is active.
//!
//! - [`trace`]: puts the messages of each request together ([`Trace`]).
//! - [`render`]: a trace as a terminal sequence diagram, Mermaid or SVG.
//!
//! The live web page and the lab's recorded scenarios are the command-line
//! tool's (`tool/src/http.rs`, `tool/src/scenario.rs`).
//!
//! The observer runs on its own thread (`hypobus-watch`) and queues what
//! it finds ([`WatchEvent`]): finished traces, broker state changes, role
//! events. Under load it samples (see [`Sampling`]): it subscribes to the
//! lab's topics for a short window every period and to its own
//! `hypobus.` topics all the time, so it costs the lab a few percent at
//! most, and it aggregates (rates, percentiles) from the samples.

pub mod json;
pub mod render;
pub mod trace;

pub use trace::{Fallback, Hop, HopKind, Impl, Mark, Outcome, Role, RoleEvent, Trace, TrackerConfig, OBS_PREFIX};

use crate::sys::notify::Notifier;
use crate::error::{Error, Result};
use crate::lab::brokers::BrokerAddr;
use crate::sys::ctx;
use crate::sys::runner::{Runner, StopSignal};
use std::collections::{BTreeMap, VecDeque};
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use trace::{Output, Tracker};

/// One broker to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchBroker {
    /// How it is shown: `primary`, `backup`, `broker`.
    pub name: String,
    /// Its XPUB endpoint (where subscribers connect).
    pub xpub: String,
    /// Its heartbeat endpoint, if known.
    pub hb: Option<String>,
}

impl WatchBroker {
    /// Brokers of a broker list, named `primary` and `backup` when there are
    /// two, `broker` when one, `broker N` otherwise; `hbs` by position.
    pub fn list(addrs: &[BrokerAddr], hbs: &[String]) -> Vec<WatchBroker> {
        addrs
            .iter()
            .enumerate()
            .map(|(i, a)| WatchBroker {
                name: match (addrs.len(), i) {
                    (1, _) => "broker".into(),
                    (2, 0) => "primary".into(),
                    (2, _) => "backup".into(),
                    _ => format!("broker {}", i + 1),
                },
                xpub: a.xpub.clone(),
                hb: hbs.get(i).cloned(),
            })
            .collect()
    }
}

/// How much the observer takes in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// Every message, always (diagrams of every request; light loads).
    Full,
    /// Every message while the lab sends fewer than `threshold` messages
    /// per second; above it, every message for `window` once per `period`
    /// (and the `hypobus.` topics all the time).
    Auto { threshold: u64, window: Duration, period: Duration },
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling::Auto { threshold: 5_000, window: Duration::from_millis(20), period: Duration::from_millis(1000) }
    }
}

/// How the observer runs.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub brokers: Vec<WatchBroker>,
    pub tracker: TrackerConfig,
    pub sampling: Sampling,
    /// Most events queued for [`Observer::next`]; the oldest are dropped
    /// beyond it (and counted).
    pub queue_max: usize,
    /// Finished traces kept for the live view and [`Observer::recent`].
    pub recent: usize,
}

impl WatchConfig {
    pub fn new(brokers: Vec<WatchBroker>) -> WatchConfig {
        WatchConfig { brokers, tracker: TrackerConfig::default(), sampling: Sampling::default(), queue_max: 10_000, recent: 64 }
    }
}

/// A change of a broker's state, as the observer inferred it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerEvent {
    pub at_us: u64,
    /// Index in [`WatchConfig::brokers`].
    pub broker: usize,
    pub name: String,
    /// It forwards publications now.
    pub active: bool,
    /// It is heard (heartbeats or traffic).
    pub alive: bool,
    /// Why the observer thinks so.
    pub reason: String,
}

/// What the observer hands out.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    Trace(Box<Trace>),
    Broker(BrokerEvent),
    Role(RoleEvent),
}

/// What [`Observer::try_take`] found.
#[derive(Debug)]
pub enum Take {
    Got(WatchEvent),
    Refused,
    Empty,
    Ended,
}

/// What is known of a broker now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerView {
    pub name: String,
    pub xpub: String,
    pub hb: Option<String>,
    pub alive: bool,
    pub active: bool,
    /// `primary`/`backup` as its `HB.state` heartbeat says; `classic` for a
    /// heartbeat of `HB` only; empty when not heard.
    pub reported: String,
    /// Messages received through it.
    pub messages: u64,
}

/// Counters of one role, from the traces seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleCounter {
    pub impl_: Option<Impl>,
    /// Messages it sent (hops from it).
    pub sent: u64,
    /// Error answers it sent.
    pub errors: u64,
    /// Squares it computed itself (calc).
    pub fallbacks: u64,
}

/// The numbers of the live summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Answered requests per second (estimated from the samples when sampling).
    pub rate: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    /// Since the start (of those seen).
    pub requests: u64,
    pub answers: u64,
    pub errors: u64,
    pub lost: u64,
    /// Squares computed by the calc node itself: confirmed by its events
    /// (all of them) plus inferred ones in the traces seen.
    pub fallbacks: u64,
    pub resends: u64,
    pub duplicates: u64,
    /// The active broker's name, `none`, or `a+b` when several forward.
    pub active: String,
    /// The observer samples now.
    pub sampling: bool,
    /// Messages received in all.
    pub messages: u64,
    /// Events dropped because nobody took them.
    pub dropped: u64,
}

/// A copy of the observer's state for a view.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub recent: Vec<Trace>,
    pub timeline: Vec<BrokerEvent>,
    pub brokers: Vec<BrokerView>,
    pub roles: Vec<(String, RoleCounter)>,
    pub summary: Summary,
    /// Grows with every change.
    pub version: u64,
    /// When the observer started (µs since the Unix epoch).
    pub started_us: u64,
}

/// µs since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// A monotonic µs clock anchored to the Unix epoch at start.
#[derive(Clone, Copy)]
struct Clock {
    t0: Instant,
    base_us: u64,
}

impl Clock {
    fn new() -> Clock {
        Clock { t0: Instant::now(), base_us: now_us() }
    }
    fn now(&self) -> u64 {
        self.base_us + self.t0.elapsed().as_micros() as u64
    }
}

struct Queue {
    q: VecDeque<WatchEvent>,
    dropped: u64,
    ended: bool,
}

/// Per-trace numbers kept for the summary.
#[derive(Clone, Copy)]
struct Done {
    start_us: u64,
    total_us: Option<u64>,
}

struct View {
    recent: VecDeque<Trace>,
    timeline: VecDeque<BrokerEvent>,
    brokers: Vec<BrokerView>,
    roles: BTreeMap<String, RoleCounter>,
    done: VecDeque<Done>,
    /// Intervals in which new requests were taken in (µs), recent ones.
    accepting: VecDeque<(u64, Option<u64>)>,
    /// While sampling: the tagged clients' request count at the end of the
    /// last window's drain (µs, count), and the rate between the last two.
    seq_mark: Option<(u64, u64)>,
    seq_rate: Option<(f64, u64)>,
    sum: Summary,
    confirmed_fallbacks: u64,
    version: u64,
    started_us: u64,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Readable while the queue has something (or ended).
    fd: Notifier,
    view: Mutex<View>,
    queue_max: usize,
    recent_max: usize,
    /// Messages received in all (every batch).
    messages: std::sync::atomic::AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn signal(&self, on: bool) {
        if on {
            self.fd.poke()
        } else {
            self.fd.drain()
        }
    }

    fn push(&self, evs: Vec<WatchEvent>) {
        if evs.is_empty() {
            return;
        }
        let mut q = lock(&self.queue);
        for e in evs {
            if q.q.len() >= self.queue_max {
                q.q.pop_front();
                q.dropped += 1;
            }
            q.q.push_back(e);
        }
        drop(q);
        self.signal(true);
    }
}

/// Most client rows in the role counters; the others are summed up.
const MAX_CLIENT_ROWS: usize = 12;
/// Broker events kept for the timeline.
const MAX_TIMELINE: usize = 200;
/// Span of the rate and percentiles (µs), ending a little before now so
/// that requests still in flight do not count as slow.
const SPAN_US: u64 = 3_000_000;
const SPAN_LAG_US: u64 = 300_000;

impl View {
    fn add_trace(&mut self, tr: &Trace, recent_max: usize) {
        let s = &mut self.sum;
        s.requests += 1;
        match &tr.outcome {
            Outcome::Answer(_) => s.answers += 1,
            Outcome::Error(_) => {
                s.answers += 1;
                s.errors += 1;
            }
            Outcome::Lost => s.lost += 1,
            Outcome::Open => {}
        }
        s.resends += tr.resends as u64;
        s.duplicates += tr.duplicates as u64;
        let inferred = tr.fallback.iter().filter(|f| **f == Fallback::Inferred).count() as u64;
        self.sum.fallbacks += inferred;
        let total = match tr.outcome {
            Outcome::Answer(_) | Outcome::Error(_) => tr.total_us(),
            _ => None,
        };
        self.done.push_back(Done { start_us: tr.start_us, total_us: total });
        if self.done.len() > 200_000 {
            self.done.pop_front();
        }
        for h in &tr.hops {
            let name = match h.from() {
                Role::Client => tr.client.clone(),
                r => r.name(),
            };
            let n = self.roles.len();
            let is_client = matches!(h.from(), Role::Client);
            let key = if is_client && !self.roles.contains_key(&name) && n >= MAX_CLIENT_ROWS + 3 { "other clients".to_string() } else { name };
            let c = self.roles.entry(key).or_default();
            c.sent += 1;
            c.errors += h.error as u64;
            if c.impl_.is_none() || c.impl_ == Some(Impl::Unknown) {
                c.impl_ = Some(tr.impl_of(h.from()));
            }
        }
        let fb = tr.fallback.iter().filter(|f| f.taken()).count() as u64;
        if fb > 0 {
            self.roles.entry("calc".into()).or_default().fallbacks += fb;
        }
        self.recent.push_back(tr.clone());
        while self.recent.len() > recent_max {
            self.recent.pop_front();
        }
        self.version += 1;
    }

    fn summary(&self, now: u64) -> Summary {
        let mut s = self.sum.clone();
        s.fallbacks += self.confirmed_fallbacks;
        let (from, to) = (now.saturating_sub(SPAN_US + SPAN_LAG_US), now.saturating_sub(SPAN_LAG_US));
        // Time within [from, to) during which new requests were taken in.
        let mut accepted = 0u64;
        for &(a, b) in &self.accepting {
            let b = b.unwrap_or(now);
            let (x, y) = (a.max(from), b.min(to));
            if y > x {
                accepted += y - x;
            }
        }
        let mut totals: Vec<u64> = Vec::new();
        let mut n = 0u64;
        for d in self.done.iter().rev() {
            if d.start_us < from {
                break;
            }
            if d.start_us < to {
                if let Some(t) = d.total_us {
                    n += 1;
                    totals.push(t);
                }
            }
        }
        s.rate = if accepted > 0 { n as f64 * 1e6 / accepted as f64 } else { 0.0 };
        // Sampling: the samples give the latencies, but the observer follows
        // only what it can read in its windows, so the rate comes from the
        // tagged clients' request numbers between two windows when there
        // are such clients (classic clients carry none).
        if s.sampling {
            if let Some((r, at)) = self.seq_rate {
                if now.saturating_sub(at) < SPAN_US {
                    s.rate = r;
                }
            }
        }
        totals.sort_unstable();
        let p = |q: f64| -> u64 {
            if totals.is_empty() {
                0
            } else {
                totals[((totals.len() as f64 * q).ceil() as usize).clamp(1, totals.len()) - 1]
            }
        };
        s.p50_us = p(0.50);
        s.p99_us = p(0.99);
        let act: Vec<&str> = self.brokers.iter().filter(|b| b.active).map(|b| b.name.as_str()).collect();
        s.active = if act.is_empty() { "none".into() } else { act.join("+") };
        s
    }
}

/// A running observer. Dropping it stops it.
pub struct Observer {
    runner: Runner,
    shared: Arc<Shared>,
    brokers: Vec<WatchBroker>,
}

impl Observer {
    /// Connect to every broker's XPUB (and heartbeat) endpoint and start
    /// watching on a thread named `hypobus-watch`.
    pub fn start(cfg: WatchConfig) -> Result<Observer> {
        if cfg.brokers.is_empty() {
            return Err(Error::Config("at least one broker to watch is needed".into()));
        }
        let ctx = ctx::context();
        let mut subs = Vec::new();
        let mut hbs = Vec::new();
        for (i, b) in cfg.brokers.iter().enumerate() {
            let s = ctx.socket(zmq::SUB)?;
            ctx::tune(&s)?;
            s.set_reconnect_ivl(50)?;
            s.set_reconnect_ivl_max(500)?;
            if b.xpub.contains('[') {
                s.set_ipv6(true)?;
            }
            s.set_subscribe(b"")?;
            s.set_subscribe(b"hypobus.")?;
            crate::sys::ctx::no_eintr(|| s.connect(&b.xpub)).map_err(|e| Error::Config(format!("cannot connect to {}: {e}", b.xpub)))?;
            subs.push(s);
            if let Some(hb) = &b.hb {
                let h = ctx.socket(zmq::SUB)?;
                ctx::tune(&h)?;
                h.set_reconnect_ivl(50)?;
                h.set_reconnect_ivl_max(200)?;
                if hb.contains('[') {
                    h.set_ipv6(true)?;
                }
                h.set_subscribe(b"")?;
                crate::sys::ctx::no_eintr(|| h.connect(hb)).map_err(|e| Error::Config(format!("cannot connect to {hb}: {e}")))?;
                hbs.push((i, h));
            }
        }
        let fd = Notifier::new()?;
        let clock = Clock::new();
        let view = View {
            recent: VecDeque::new(),
            timeline: VecDeque::new(),
            brokers: cfg
                .brokers
                .iter()
                .map(|b| BrokerView { name: b.name.clone(), xpub: b.xpub.clone(), hb: b.hb.clone(), alive: false, active: false, reported: String::new(), messages: 0 })
                .collect(),
            roles: BTreeMap::new(),
            done: VecDeque::new(),
            accepting: VecDeque::from([(clock.base_us, None)]),
            seq_mark: None,
            seq_rate: None,
            sum: Summary::default(),
            confirmed_fallbacks: 0,
            version: 0,
            started_us: clock.base_us,
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue { q: VecDeque::new(), dropped: 0, ended: false }),
            fd,
            view: Mutex::new(view),
            queue_max: cfg.queue_max.max(1),
            recent_max: cfg.recent.max(1),
            messages: Default::default(),
        });
        let mut w = Watcher {
            tracker: Tracker::new(cfg.tracker),
            sampling: cfg.sampling,
            mode: Mode::Full { since: Instant::now(), count: 0 },
            brokers: (0..cfg.brokers.len()).map(|_| BrokerState::default()).collect(),
            names: cfg.brokers.iter().map(|b| b.name.clone()).collect(),
            subs,
            hbs,
            shared: shared.clone(),
            clock,
            pending: Vec::new(),
            window_opening: false,
        };
        let runner = Runner::spawn(&ctx, "hypobus-watch", move |stop| w.run(stop))?;
        Ok(Observer { runner, shared, brokers: cfg.brokers })
    }

    /// The brokers watched.
    pub fn brokers(&self) -> &[WatchBroker] {
        &self.brokers
    }

    /// The next event, waiting at most `timeout` (`None`: none came, or
    /// the observer stopped and nothing is left).
    pub fn next(&self, timeout: Duration) -> Option<WatchEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.try_next() {
                return Some(e);
            }
            if lock(&self.shared.queue).ended {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let mut p = libc::pollfd { fd: self.shared.fd.fd(), events: libc::POLLIN, revents: 0 };
            let ms = (deadline - now).as_millis().min(1000) as i32 + 1;
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut p, 1, ms) };
        }
    }

    /// The next event if one is queued (never waits).
    pub fn try_next(&self) -> Option<WatchEvent> {
        let mut q = lock(&self.shared.queue);
        let e = q.q.pop_front();
        if q.q.is_empty() && !q.ended {
            self.shared.signal(false);
        }
        e
    }

    /// Take the next queued event if `accept` says the caller can take it
    /// (never waits): `Got`, `Refused` (it stays queued), `Empty` or `Ended`
    /// (stopped, nothing left).
    pub fn try_take(&self, accept: impl FnOnce(&WatchEvent) -> bool) -> Take {
        let mut q = lock(&self.shared.queue);
        let r = match q.q.front() {
            Some(e) if !accept(e) => return Take::Refused,
            Some(_) => Take::Got(q.q.pop_front().expect("front")),
            None if q.ended => return Take::Ended,
            None => Take::Empty,
        };
        if q.q.is_empty() && !q.ended {
            self.shared.signal(false);
        }
        r
    }

    /// Look at the next queued event without taking it.
    pub fn peek_with<R>(&self, f: impl FnOnce(Option<&WatchEvent>, bool) -> R) -> R {
        let q = lock(&self.shared.queue);
        f(q.q.front(), q.ended)
    }

    /// Give back an event just taken (the caller could not take it): it is
    /// returned first.
    pub fn unget(&self, e: WatchEvent) {
        lock(&self.shared.queue).q.push_front(e);
        self.shared.signal(true);
    }

    /// The descriptor that is readable while events are queued.
    pub fn event_fd(&self) -> RawFd {
        self.shared.fd.fd()
    }

    /// Wait (at most `timeout`) for the next finished trace, skipping other
    /// events (broker and role events stay in the snapshot's timeline).
    pub fn next_trace(&self, timeout: Duration) -> Option<Trace> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left)? {
                WatchEvent::Trace(t) => return Some(*t),
                _ if left.is_zero() => return None,
                _ => {}
            }
        }
    }

    /// The live numbers.
    pub fn summary(&self) -> Summary {
        let v = lock(&self.shared.view);
        let mut s = v.summary(now_us());
        s.dropped = lock(&self.shared.queue).dropped;
        s
    }

    /// The last finished traces, oldest first.
    pub fn recent(&self) -> Vec<Trace> {
        lock(&self.shared.view).recent.iter().cloned().collect()
    }

    /// Everything a view shows.
    pub fn snapshot(&self) -> Snapshot {
        let v = lock(&self.shared.view);
        let mut summary = v.summary(now_us());
        summary.dropped = lock(&self.shared.queue).dropped;
        Snapshot {
            recent: v.recent.iter().cloned().collect(),
            timeline: v.timeline.iter().cloned().collect(),
            brokers: v.brokers.clone(),
            roles: v.roles.iter().map(|(k, c)| (k.clone(), *c)).collect(),
            summary,
            version: v.version,
            started_us: v.started_us,
        }
    }

    /// Messages received so far, over every broker (heartbeats not counted).
    pub fn messages(&self) -> u64 {
        self.shared.messages.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Grows with every change of the snapshot.
    pub fn version(&self) -> u64 {
        lock(&self.shared.view).version
    }

    /// True while the observer's thread runs.
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Stop watching: traces still open are handed out as they are (lost
    /// if unanswered), then the queue ends.
    pub fn stop(&mut self) -> Result<()> {
        let r = self.runner.stop();
        let mut q = lock(&self.shared.queue);
        q.ended = true;
        drop(q);
        self.shared.signal(true);
        r
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// What is known of a broker on the observer's thread.
#[derive(Default, Clone)]
struct BrokerState {
    /// Last heartbeat (µs) and the interval between the last two.
    last_hb: Option<u64>,
    hb_interval: Option<u64>,
    /// Last `HB.state`: (role, active, at).
    state: Option<(String, bool, u64)>,
    /// Heartbeats `HB` since the last `HB.state`.
    hb_only: u32,
    /// Last message through its XPUB (µs), and last one of the lab's own topics.
    last_traffic: Option<u64>,
    last_data: Option<u64>,
    /// Last `hypobus.broker.active` or state event through it.
    announced: Option<(bool, u64)>,
    /// What was last reported (alive, active), and its reported role.
    shown: Option<(bool, bool)>,
    reported: String,
    messages: u64,
}

enum Mode {
    /// Everything, counting messages per second to decide to sample.
    Full { since: Instant, count: u64 },
    /// Sampling: between windows (`next` = the next window's start).
    Idle { next: Instant },
    /// A window: new requests are taken in until `until`.
    Open { until: Instant, started: Instant, count: u64 },
    /// After a window: subscribed until the sampled requests finish or `until`.
    Drain { until: Instant, rate: u64 },
}

struct Watcher {
    tracker: Tracker,
    sampling: Sampling,
    mode: Mode,
    brokers: Vec<BrokerState>,
    names: Vec<String>,
    subs: Vec<zmq::Socket>,
    hbs: Vec<(usize, zmq::Socket)>,
    shared: Arc<Shared>,
    clock: Clock,
    pending: Vec<WatchEvent>,
    /// A sampling window opened and its first message has not come yet.
    window_opening: bool,
}

/// Messages read from one socket before looking at the others.
const BATCH: usize = 512;
/// How often broker liveness is judged.
const TICK: Duration = Duration::from_millis(50);
/// A broker without heartbeat socket counts as active while traffic came
/// through it this recently (µs).
const TRAFFIC_ACTIVE_US: u64 = 1_500_000;

impl Watcher {
    fn run(&mut self, stop: StopSignal) -> Result<()> {
        let mut frames: Vec<zmq::Message> = (0..4).map(|_| zmq::Message::new()).collect();
        let mut next_tick = Instant::now();
        loop {
            let now = Instant::now();
            if now >= next_tick {
                self.judge_brokers();
                self.drive_sampling(now)?;
                next_tick = now + TICK;
            }
            let due = self.tracker.next_due().map(|t| {
                let d = t.saturating_sub(self.clock.now());
                now + Duration::from_micros(d)
            });
            let wake = due.map_or(next_tick, |d| d.min(next_tick));
            let mut items: Vec<zmq::PollItem> = vec![stop.sock.as_poll_item(zmq::POLLIN)];
            items.extend(self.subs.iter().map(|s| s.as_poll_item(zmq::POLLIN)));
            items.extend(self.hbs.iter().map(|(_, s)| s.as_poll_item(zmq::POLLIN)));
            zmq::poll(&mut items, ctx::ms_until(wake))?;
            let readable: Vec<bool> = items.iter().map(|i| i.is_readable()).collect();
            drop(items);
            if readable[0] {
                self.tracker.flush();
                self.collect();
                self.publish();
                return Ok(());
            }
            let n = self.subs.len();
            for i in 0..n {
                if readable[1 + i] {
                    self.read_sub(i, &mut frames)?;
                }
            }
            for j in 0..self.hbs.len() {
                if readable[1 + n + j] {
                    self.read_hb(j)?;
                }
            }
            self.tracker.on_time(self.clock.now());
            self.collect();
            self.publish();
        }
    }

    fn read_sub(&mut self, i: usize, frames: &mut [zmq::Message]) -> Result<()> {
        let before = self.brokers[i].messages;
        let r = self.read_batch(i, frames);
        let n = self.brokers[i].messages - before;
        self.shared.messages.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        r
    }

    fn read_batch(&mut self, i: usize, frames: &mut [zmq::Message]) -> Result<()> {
        for _ in 0..BATCH {
            let mut n = 0;
            loop {
                let slot = n.min(frames.len() - 1);
                match self.subs[i].recv(&mut frames[slot], zmq::DONTWAIT) {
                    Ok(()) => {}
                    Err(zmq::Error::EAGAIN) if n == 0 => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
                n += 1;
                if !frames[slot].get_more() {
                    break;
                }
            }
            let at = self.clock.now();
            if std::mem::take(&mut self.window_opening) {
                self.accepting(true);
            }
            let b = &mut self.brokers[i];
            b.messages += 1;
            b.last_traffic = Some(at);
            if let Mode::Full { count, .. } | Mode::Open { count, .. } = &mut self.mode {
                *count += 1;
            }
            let k = n.min(frames.len());
            let first: &[u8] = &frames[0];
            if first == crate::wire::ANNOUNCE_TOPIC.as_bytes() {
                self.brokers[i].announced = Some((true, at));
                self.judge_brokers_because(i, "it announced it is active (hypobus.broker.active)");
                continue;
            }
            if first.starts_with(b"hypobus.probe.") {
                continue;
            }
            if matches!(self.mode, Mode::Idle { .. }) && !first.starts_with(b"hypobus.") {
                // Between sampling windows: what was still queued is dropped unread.
                self.brokers[i].last_data = Some(at);
                continue;
            }
            if !first.starts_with(b"hypobus.") {
                let b = &mut self.brokers[i];
                let was = b.last_data.is_some_and(|t| at.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
                b.last_data = Some(at);
                if !was {
                    self.judge(i, None);
                }
            }
            let refs: Vec<&[u8]> = frames[..k].iter().map(|m| &m[..]).collect();
            if refs[0] == crate::wire::obs::obs_topic("broker").as_bytes() && refs.get(1) == Some(&&b"state"[..]) {
                // [topic, "state", "", "<role> active|passive: <reason>"]
                let detail = String::from_utf8_lossy(refs.get(3).copied().unwrap_or(b"")).into_owned();
                let active = detail.split_whitespace().nth(1).is_some_and(|w| w.starts_with("active"));
                self.brokers[i].announced = Some((active, at));
                let why = format!("it said so: {detail}");
                self.judge_brokers_because(i, &why);
            }
            self.tracker.on_message(at, i, &refs);
        }
        Ok(())
    }

    fn read_hb(&mut self, j: usize) -> Result<()> {
        let i = self.hbs[j].0;
        loop {
            let m = match self.hbs[j].1.recv_multipart(zmq::DONTWAIT) {
                Ok(m) => m,
                Err(zmq::Error::EAGAIN) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let at = self.clock.now();
            let b = &mut self.brokers[i];
            match m.as_slice() {
                [hb] if hb == crate::wire::HEARTBEAT => {
                    if let Some(last) = b.last_hb {
                        b.hb_interval = Some(at.saturating_sub(last).max(1000));
                    }
                    b.last_hb = Some(at);
                    b.hb_only += 1;
                }
                [t, role, state] if t == crate::wire::STATE_TOPIC => {
                    let active = state == b"active";
                    let changed = b.state.as_ref().is_none_or(|(_, a, _)| *a != active);
                    b.state = Some((String::from_utf8_lossy(role).into_owned(), active, at));
                    b.hb_only = 0;
                    b.last_hb = Some(at);
                    if changed {
                        let why = format!("its heartbeat says {}", String::from_utf8_lossy(state));
                        self.judge_brokers_because(i, &why);
                    }
                }
                _ => {}
            }
        }
    }

    fn judge_brokers(&mut self) {
        for i in 0..self.brokers.len() {
            self.judge(i, None);
        }
    }

    fn judge_brokers_because(&mut self, i: usize, why: &str) {
        self.judge(i, Some(why));
    }

    /// Decide whether broker `i` is alive and active now; report a change.
    fn judge(&mut self, i: usize, why: Option<&str>) {
        let now = self.clock.now();
        let b = &self.brokers[i];
        let window = b.hb_interval.map_or(3_000_000, |iv| (iv * 3).clamp(150_000, 5_000_000)) + 50_000;
        let hb_alive = b.last_hb.is_some_and(|t| now.saturating_sub(t) <= window);
        let traffic = b.last_traffic.is_some_and(|t| now.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
        let has_hb = self.shared_hb(i);
        let announced = b.announced.is_some_and(|(a, t)| a && now.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
        let said_passive = b.announced.is_some_and(|(a, t)| !a && b.last_data.is_none_or(|l| l <= t + 1000));
        let data = b.last_data.is_some_and(|t| now.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
        let by_traffic = || {
            let active = (data || announced) && !said_passive;
            (traffic || announced || said_passive, active, if active { "traffic comes through it".to_string() } else { "no traffic through it".to_string() })
        };
        let (alive, active, reason) = match (has_hb, b.last_hb) {
            (true, Some(_)) if !hb_alive => (false, false, format!("no heartbeat for {} ms", window / 1000)),
            (true, Some(_)) => match &b.state {
                Some((_, a, at)) if b.hb_only < 2 && now.saturating_sub(*at) <= window => {
                    let a = match b.announced {
                        Some((x, t)) if t > *at => x,
                        _ => *a,
                    };
                    (true, a, format!("its heartbeat says {}", if a { "active" } else { "passive" }))
                }
                // `HB` only: an original (or plain) broker, which always forwards.
                _ => (true, true, "classic heartbeat (HB only): it forwards".into()),
            },
            // No heartbeat (yet): what comes through it tells.
            _ => by_traffic(),
        };
        let reported = match (&self.brokers[i].state, self.brokers[i].hb_only) {
            (Some((role, _, _)), n) if n < 2 => role.clone(),
            (_, n) if n >= 2 => "classic".into(),
            _ => String::new(),
        };
        if self.brokers[i].reported != reported {
            self.brokers[i].reported = reported.clone();
            let mut v = lock(&self.shared.view);
            v.brokers[i].reported = reported.clone();
            v.version += 1;
        }
        let shown = (alive, active);
        if self.brokers[i].shown == Some(shown) {
            return;
        }
        let first = self.brokers[i].shown.is_none();
        self.brokers[i].shown = Some(shown);
        if first && !alive {
            // Not heard yet: nothing to report.
            return;
        }
        let ev = BrokerEvent {
            at_us: now,
            broker: i,
            name: self.names[i].clone(),
            active,
            alive,
            reason: why.map(str::to_string).unwrap_or(reason),
        };
        {
            let mut v = lock(&self.shared.view);
            v.brokers[i].alive = alive;
            v.brokers[i].active = active;
            v.brokers[i].reported = reported;
            v.timeline.push_back(ev.clone());
            while v.timeline.len() > MAX_TIMELINE {
                v.timeline.pop_front();
            }
            v.version += 1;
        }
        self.pending.push(WatchEvent::Broker(ev));
    }

    fn shared_hb(&self, i: usize) -> bool {
        self.hbs.iter().any(|(k, _)| *k == i)
    }

    fn collect(&mut self) {
        let outs: Vec<Output> = self.tracker.drain().collect();
        if outs.is_empty() {
            return;
        }
        let mut v = lock(&self.shared.view);
        for o in outs {
            match o {
                Output::Trace(t) => {
                    v.add_trace(&t, self.shared.recent_max);
                    self.pending.push(WatchEvent::Trace(t));
                }
                Output::Role(r) => {
                    if r.event == "fallback" {
                        v.confirmed_fallbacks += 1;
                    }
                    v.version += 1;
                    self.pending.push(WatchEvent::Role(r));
                }
            }
        }
        for (i, b) in self.brokers.iter().enumerate() {
            v.brokers[i].messages = b.messages;
        }
        v.sum.messages = self.tracker.stats().messages;
    }

    fn publish(&mut self) {
        let evs = std::mem::take(&mut self.pending);
        self.shared.push(evs);
    }

    fn subscribe_all(&self, on: bool) -> Result<()> {
        for s in &self.subs {
            if on {
                s.set_subscribe(b"")?;
            } else {
                s.set_unsubscribe(b"")?;
            }
        }
        Ok(())
    }

    fn accepting(&mut self, on: bool) {
        self.tracker.accept_new = on;
        let now = self.clock.now();
        let mut v = lock(&self.shared.view);
        if on {
            v.accepting.push_back((now, None));
        } else if let Some(last) = v.accepting.back_mut() {
            last.1.get_or_insert(now);
        }
        while v.accepting.len() > 64 {
            v.accepting.pop_front();
        }
        v.sum.sampling = !matches!(self.mode, Mode::Full { .. });
    }

    fn drive_sampling(&mut self, now: Instant) -> Result<()> {
        let Sampling::Auto { threshold, window, period } = self.sampling else { return Ok(()) };
        match self.mode {
            Mode::Full { since, count } => {
                let el = now - since;
                if el >= Duration::from_millis(100) {
                    let rate = (count as f64 / el.as_secs_f64()) as u64;
                    if rate > threshold {
                        crate::log!("watch", "{rate} messages/s: sampling {} ms every {} ms from now on", window.as_millis(), period.as_millis());
                        self.mode = Mode::Idle { next: now + period.saturating_sub(window) };
                        self.accepting(false);
                        self.subscribe_all(false)?;
                        // What is open now can no longer be followed.
                        self.tracker.flush_quiet();
                    } else {
                        self.mode = Mode::Full { since: now, count: 0 };
                    }
                }
            }
            Mode::Idle { next } if now >= next => {
                self.subscribe_all(true)?;
                self.mode = Mode::Open { until: now + window, started: now, count: 0 };
                // The window counts from its first message (the subscription
                // takes a moment to reach the broker), see `read_batch`.
                self.tracker.accept_new = true;
                self.window_opening = true;
            }
            Mode::Open { until, started, count } if now >= until => {
                if std::mem::take(&mut self.window_opening) {
                    self.accepting(true); // a window that got nothing at all
                }
                let rate = (count as f64 / (now - started).as_secs_f64().max(1e-3)) as u64;
                self.mode = Mode::Drain { until: now + Duration::from_millis(250), rate };
                self.accepting(false);
            }
            Mode::Drain { until, rate } if now >= until || self.tracker.unanswered() == 0 => {
                if rate < threshold / 2 {
                    crate::log!("watch", "{rate} messages/s: every message again");
                    self.mode = Mode::Full { since: now, count: 0 };
                    self.accepting(true);
                    let mut v = lock(&self.shared.view);
                    v.seq_mark = None;
                    v.seq_rate = None;
                } else {
                    self.subscribe_all(false)?;
                    self.tracker.flush_quiet();
                    self.mode = Mode::Idle { next: now + period.saturating_sub(window + Duration::from_millis(250)) };
                    let (at, sent) = (self.clock.now(), self.tracker.tagged_sent());
                    let mut v = lock(&self.shared.view);
                    v.sum.sampling = true;
                    if let Some((a0, s0)) = v.seq_mark {
                        if at > a0 && sent > s0 {
                            v.seq_rate = Some(((sent - s0) as f64 * 1e6 / (at - a0) as f64, at));
                        }
                    }
                    v.seq_mark = Some((at, sent));
                }
            }
            _ => {}
        }
        Ok(())
    }
}
