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
mod observer;
pub mod render;
pub mod trace;
mod view;
mod watcher;

pub use trace::{Fallback, Hop, HopKind, Impl, Mark, Outcome, Role, RoleEvent, Trace, TrackerConfig, OBS_PREFIX};

use crate::error::{Error, Result};
use crate::lab::brokers::BrokerAddr;
use crate::security::Curve;
use crate::sys::ctx;
use crate::sys::notify::Notifier;
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
    /// CURVE to the brokers (a server key). Default: the process's
    /// default, off unless set.
    pub curve: Curve,
}

impl WatchConfig {
    pub fn new(brokers: Vec<WatchBroker>) -> WatchConfig {
        WatchConfig {
            brokers,
            tracker: TrackerConfig::default(),
            sampling: Sampling::default(),
            queue_max: 10_000,
            recent: 64,
            curve: Curve::default(),
        }
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

/// Most client rows in the role counters; the others are summed up.
const MAX_CLIENT_ROWS: usize = 12;
/// Broker events kept for the timeline.
const MAX_TIMELINE: usize = 200;
/// Span of the rate and percentiles (µs), ending a little before now so
/// that requests still in flight do not count as slow.
const SPAN_US: u64 = 3_000_000;
const SPAN_LAG_US: u64 = 300_000;

/// A running observer. Dropping it stops it.
pub struct Observer {
    runner: Runner,
    shared: Arc<Shared>,
    brokers: Vec<WatchBroker>,
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
