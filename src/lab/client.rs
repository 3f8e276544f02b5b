//! The client: asks for hypotenuses.
//!
//! In tagged mode (the default) every request carries `<client-id>.<seq>`,
//! the client subscribes only to its own answers, keeps any number of
//! requests in flight, resends unanswered requests with the same tag so a
//! lost message or a broker switch costs a retry, not an answer, and hands
//! each answer to the application exactly once.
//!
//! In classic mode it speaks the original wire byte for byte: two untagged
//! messages, then the first `calc.hypotenuse.result` that arrives. Only one
//! classic request can be in flight (the wire cannot tell answers apart).
//!
//! # A state machine that never blocks on its own
//!
//! Nothing in the client waits except [`Client::next`] and
//! [`Client::hypot`] (and only up to their time-outs); [`Client::submit`]
//! returns at once. All progress (taking in answers, resends, time-outs, the
//! start-up probe, sending requests that waited for a slot) happens in
//! [`Client::progress`], a non-blocking step that those calls (or a C
//! caller's wait loop, see `src/ffi/client.rs`) drive; [`Client::wait_state`]
//! and [`Client::wake_at`] tell a waiter what to sleep on.
//!
//! * **Start-up probe.** Until the path through a broker is proven both ways
//!   (a probe on a private topic came back), requests are queued, not sent:
//!   the original lab's blind sleep, done right and without blocking.
//! * **Window.** At most [`ClientConfig::window`] requests are on the wire;
//!   the others wait in the client (FIFO) and are sent as slots free up.
//!   Their lifetime counts from `submit` all the same.
//! * **Resends on evidence.** Each request's resend timer is the
//!   retransmission time-out of TCP (Jacobson/Karn): `srtt + 4·rttvar` over
//!   round trips of requests that were not resent, clamped to
//!   `[retry, max_retry]`, doubled per resend of that request. A broker's
//!   announcement that it became active resends everything on the wire at
//!   once. A queueing delay therefore no longer looks like a loss.

use crate::error::{Error, Result};
use crate::lab::brokers::{BrokerAddr, NodeSockets};
use crate::security::Curve;
use crate::sys::ctx;
use crate::wire::{self, Kind, Number};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// Which wire the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tagged requests, private answers, retries (default).
    Tagged,
    /// The original lab's untagged frames.
    Classic,
}

/// How a client behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub brokers: Vec<BrokerAddr>,
    pub mode: Mode,
    /// A request's default lifetime: it fails with a time-out when no answer
    /// came this long after `submit`. Default 5000 ms.
    pub timeout: Duration,
    /// Shortest resend interval (tagged mode): the lower clamp of the
    /// round-trip based retransmission time-out. Default 100 ms.
    pub retry: Duration,
    /// Longest resend interval (the upper clamp, also of the per-request
    /// back-off). Default 1000 ms.
    pub max_retry: Duration,
    /// Most requests on the wire at once; more wait in the client and are
    /// sent as answers free slots. 0 = no limit. Default 256.
    pub window: usize,
    /// CURVE to the brokers. Default: the process's default, off unless set.
    pub curve: Curve,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            brokers: vec![BrokerAddr::default()],
            mode: Mode::Tagged,
            timeout: Duration::from_millis(5000),
            retry: Duration::from_millis(100),
            max_retry: Duration::from_millis(1000),
            window: 256,
            curve: Curve::default(),
        }
    }
}

/// A snapshot of a client's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
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
    /// Requests cancelled ([`Client::cancel`], or a `hypot` that gave up).
    pub cancelled: u64,
    /// Requests submitted and not sent yet (now): waiting for a window slot
    /// or for the start-up probe.
    pub queued: u64,
}

/// One finished request: its id and its hypotenuse (4 decimals) or error.
pub type Completion = (u64, Result<String>);

/// Longest answer value accepted (bytes): the largest finite hypotenuse with
/// four decimals has 314 characters. Longer values become an error.
pub const MAX_ANSWER_LEN: usize = 400;
/// Longest remote error reason kept (bytes); longer ones are cut (with
/// `...`), so every text the client hands out (`Error::to_string` of a
/// completion included) is shorter than 512 bytes.
pub const MAX_REASON_LEN: usize = 480;

/// Most messages taken in by one [`Client::progress`] step (the rest wait
/// for the next step, which is then due at once).
const BATCH: usize = 256;
/// First interval of the start-up probe; doubles up to `PROBE_MAX`.
const PROBE_FIRST: Duration = Duration::from_millis(1);
const PROBE_MAX: Duration = Duration::from_millis(20);

struct Pending {
    a: String,
    b: String,
    deadline: Instant,
    timeout: Duration,
    /// When it first went on the wire (`None`: still queued).
    sent_at: Option<Instant>,
    /// Its current resend interval (doubles per resend).
    rto: Duration,
    /// When its next resend (or its time-out) is due; timer entries with
    /// another time are stale.
    next_at: Instant,
    /// Resent at least once: its answer gives no round-trip sample (Karn).
    resent: bool,
}

/// The start-up probe's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Not started (nothing was submitted yet).
    Idle,
    /// Probe published; next one due at `at`, then every `every`.
    Probing { at: Instant, every: Duration },
    /// The probe came back: requests go out.
    Ready,
}

/// A hypotenuse client. Not thread-safe: use it from one thread at a time
/// (the C ABI wraps it in a lock, taken only for non-blocking steps).
pub struct Client {
    cfg: ClientConfig,
    _ctx: zmq::Context,
    net: NodeSockets,
    id: String,
    probe_topic: String,
    seq: u64,
    pending: HashMap<u64, Pending>,
    /// Ids waiting to be sent, in submit order (lazily cleaned: ids no
    /// longer pending or already sent are skipped).
    queue: VecDeque<u64>,
    on_wire: usize,
    timers: BinaryHeap<Reverse<(Instant, u64)>>,
    done: VecDeque<Completion>,
    /// Requests a `hypot` waits for: never handed out by `next`.
    held: HashSet<u64>,
    link: Link,
    /// Smoothed round trip and its variation (Jacobson), once sampled.
    rtt: Option<(Duration, Duration)>,
    /// The last step stopped at its batch limit: more may be readable.
    more: bool,
    /// Grows with every change another waiter may care about.
    changes: u64,
    stats: ClientStats,
    frames: Vec<Vec<u8>>,
}

pub use crate::wire::{random_id, PROBE_TOPIC};

/// A cathetus given as text, parsed once (a bad one is a configuration error).
fn cathetus(s: &str, which: char) -> Result<Number> {
    Number::parse(s.as_bytes()).map_err(|e| Error::Config(format!("cathetus {which}: {e}")))
}

/// `s` cut to at most `max` bytes on a character boundary, with `...` when cut.
fn cap(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut n = max.saturating_sub(3);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s.truncate(n);
    s.push_str("...");
    s
}

/// An answer's value frame as the application gets it (texts bounded).
fn answer_of(value: &[u8]) -> Result<String> {
    match wire::parse_answer(value) {
        Ok(v) if v.len() <= MAX_ANSWER_LEN => Ok(v),
        Ok(v) => Err(Error::Remote(format!("answer too long ({} bytes): {}", v.len(), wire::excerpt(v.as_bytes())))),
        Err(reason) => Err(Error::Remote(cap(reason, MAX_REASON_LEN))),
    }
}

impl Client {
    /// Connect to the brokers. Never waits: the start-up probe runs while
    /// the first requests wait for it (within their own lifetimes).
    pub fn new(cfg: ClientConfig) -> Result<Client> {
        if cfg.timeout.is_zero() || cfg.retry.is_zero() {
            return Err(Error::Config("timeout and retry must be > 0".into()));
        }
        let ctx = crate::sys::ctx::context();
        let id = random_id();
        let subs = match cfg.mode {
            Mode::Tagged => {
                vec![format!("{}{}{id}.", wire::REPLY_TOPIC, wire::TAG_SEP), wire::ANNOUNCE_TOPIC.to_string()]
            }
            Mode::Classic => vec![wire::RESULT_TOPIC.to_string()],
        };
        let net = NodeSockets::connect(&ctx, &cfg.brokers, &subs, false, &cfg.curve)?;
        Ok(Client {
            cfg,
            _ctx: ctx,
            net,
            probe_topic: format!("{PROBE_TOPIC}{id}"),
            id,
            seq: 0,
            pending: HashMap::new(),
            queue: VecDeque::new(),
            on_wire: 0,
            timers: BinaryHeap::new(),
            done: VecDeque::new(),
            held: HashSet::new(),
            link: Link::Idle,
            rtt: None,
            more: false,
            changes: 0,
            stats: ClientStats::default(),
            frames: Vec::with_capacity(3),
        })
    }

    /// The configuration the client was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// This client's id (the first part of its tags).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Requests submitted and not yet finished (on the wire or queued).
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Current counters.
    pub fn stats(&self) -> ClientStats {
        ClientStats { queued: (self.pending.len() - self.on_wire) as u64, ..self.stats }
    }

    /// The current retransmission time-out for a first send.
    pub fn rto(&self) -> Duration {
        let base = match self.rtt {
            Some((srtt, var)) => srtt + var * 4,
            None => self.cfg.retry,
        };
        base.clamp(self.cfg.retry, self.max_retry())
    }

    fn max_retry(&self) -> Duration {
        self.cfg.max_retry.max(self.cfg.retry)
    }

    /// Grows with every change of state another waiter may care about (a
    /// message taken in, a completion, a request sent or submitted).
    pub fn changes(&self) -> u64 {
        self.changes
    }

    // ------------------------------------------------------------ blocking calls

    /// The hypotenuse of `a` and `b` (decimal text such as `"12"` or `"1.5"`),
    /// formatted with four decimals. Waits at most the configured time-out.
    /// Answers of other requests in flight that arrive meanwhile are kept for
    /// [`Client::next`]. On any failure while waiting (a signal, a ZeroMQ
    /// error) the request is cancelled: nothing of it is left behind.
    pub fn hypot(&mut self, a: &str, b: &str) -> Result<String> {
        self.hypot_within(a, b, self.cfg.timeout)
    }

    /// [`Client::hypot`] with its own time-out (the request's lifetime) for this one request.
    pub fn hypot_within(&mut self, a: &str, b: &str, timeout: Duration) -> Result<String> {
        let (a, b) = (cathetus(a, 'a')?, cathetus(b, 'b')?);
        let id = self.submit_held(&a, &b, timeout)?;
        let waited = (|| loop {
            self.progress()?;
            if let Some(r) = self.take(id) {
                return Ok(r);
            }
            self.block(None)?;
        })();
        match waited {
            Ok(r) => r,
            Err(e) => {
                self.abandon(id);
                Err(e)
            }
        }
    }

    /// Wait up to `timeout_ms` (0 = just look, negative = until something
    /// finishes, which the requests' lifetimes bound) for the next finished
    /// request. `Ok(None)`: nothing finished in time (or, with a negative
    /// `timeout_ms`, nothing is in flight).
    pub fn next(&mut self, timeout_ms: i64) -> Result<Option<Completion>> {
        let until = (timeout_ms >= 0).then(|| ctx::deadline_in(timeout_ms as u64));
        loop {
            self.progress()?;
            if let Some(c) = self.pop() {
                return Ok(Some(c));
            }
            if until.is_none() && self.pending.keys().all(|id| self.held.contains(id)) {
                return Ok(None);
            }
            if until.is_some_and(|u| Instant::now() >= u) {
                return Ok(None);
            }
            self.block(until)?;
        }
    }

    /// Sleep until the SUB socket has something, the next timer of the
    /// client or `until`.
    fn block(&mut self, until: Option<Instant>) -> Result<()> {
        let wake = match (until, self.wake_at()) {
            (Some(u), Some(t)) => Some(u.min(t)),
            (u, t) => u.or(t),
        };
        let ms = wake.map(ctx::ms_until).unwrap_or(-1);
        self.net.sub.poll(zmq::POLLIN, ms)?;
        Ok(())
    }

    // ------------------------------------------------------------ submitting

    /// Queue a request and return its id at once (never waits); it is sent
    /// now if the path is proven and the window has room, else as soon as
    /// it is and has. Collect the answer with [`Client::next`]. Invalid
    /// numbers are refused here, before anything is queued.
    pub fn submit(&mut self, a: &str, b: &str) -> Result<u64> {
        self.submit_within(a, b, self.cfg.timeout)
    }

    /// [`Client::submit`] with its own lifetime for this one request.
    pub fn submit_within(&mut self, a: &str, b: &str, timeout: Duration) -> Result<u64> {
        self.submit_numbers(&cathetus(a, 'a')?, &cathetus(b, 'b')?, timeout)
    }

    /// [`Client::submit_within`] for catheti already parsed (the C ABI checks
    /// and parses them once, at the boundary).
    pub fn submit_numbers(&mut self, na: &Number, nb: &Number, timeout: Duration) -> Result<u64> {
        if timeout.is_zero() {
            return Err(Error::Config("timeout must be > 0".into()));
        }
        if self.cfg.mode == Mode::Classic && !self.pending.is_empty() {
            return Err(Error::Config("classic mode carries one request at a time".into()));
        }
        let now = Instant::now();
        if self.pending.is_empty() {
            if let Link::Probing { .. } = self.link {
                // Probing paused while nothing was pending: start again quickly.
                self.link = Link::Probing { at: now, every: PROBE_FIRST };
            }
        }
        self.seq += 1;
        let id = self.seq;
        let deadline = now + timeout;
        let p = Pending {
            a: na.format(),
            b: nb.format(),
            deadline,
            timeout,
            sent_at: None,
            rto: self.cfg.retry,
            next_at: deadline,
            resent: false,
        };
        self.pending.insert(id, p);
        self.timers.push(Reverse((deadline, id)));
        self.queue.push_back(id);
        self.stats.requests += 1;
        self.changes += 1;
        if let Err(e) = self.drive_link(now).and_then(|_| self.fill_window(now)) {
            self.remove_pending(id);
            self.stats.requests -= 1;
            return Err(e);
        }
        Ok(id)
    }

    /// [`Client::submit_within`] for a caller that waits for this one
    /// request itself ([`Client::take`]): its completion is never returned
    /// by `next`/`peek`/`pop` and `cancel` does not know it. End the hold
    /// with [`Client::take`], [`Client::abandon`] or [`Client::release`].
    pub fn submit_held(&mut self, a: &Number, b: &Number, timeout: Duration) -> Result<u64> {
        let id = self.submit_numbers(a, b, timeout)?;
        self.held.insert(id);
        Ok(id)
    }

    /// Cancel request `id` (queued, on the wire, or finished and not yet
    /// collected): it is forgotten, a late answer is dropped and counted as
    /// a duplicate. False for an id that is unknown (never submitted,
    /// already collected or cancelled, or held by a `hypot`).
    pub fn cancel(&mut self, id: u64) -> bool {
        if self.held.contains(&id) {
            return false;
        }
        self.forget(id)
    }

    /// End the hold on `id` and cancel it (a `hypot` that gave up).
    pub fn abandon(&mut self, id: u64) {
        self.held.remove(&id);
        self.forget(id);
    }

    /// End the hold on `id`, putting its outcome back as the first
    /// completion for `next` (a `hypot` whose caller's buffer was too small).
    pub fn release(&mut self, id: u64, r: Result<String>) {
        self.held.remove(&id);
        self.done.push_front((id, r));
        self.changes += 1;
    }

    fn forget(&mut self, id: u64) -> bool {
        let found = if self.remove_pending(id).is_some() {
            true
        } else if let Some(i) = self.done.iter().position(|(d, _)| *d == id) {
            self.done.remove(i);
            true
        } else {
            false
        };
        if found {
            self.stats.cancelled += 1;
            self.changes += 1;
            // A slot may have freed up.
            let _ = self.fill_window(Instant::now());
            self.clean_timers();
        }
        found
    }

    fn remove_pending(&mut self, id: u64) -> Option<Pending> {
        let p = self.pending.remove(&id)?;
        if p.sent_at.is_some() {
            self.on_wire -= 1;
        }
        Some(p)
    }

    // ------------------------------------------------------------ completions

    /// The completion [`Client::next`] would return now, without taking it
    /// (nor taking in anything new: see [`Client::progress`]).
    pub fn peek(&self) -> Option<&Completion> {
        if self.held.is_empty() {
            return self.done.front();
        }
        self.done.iter().find(|(id, _)| !self.held.contains(id))
    }

    /// Take the completion [`Client::peek`] shows.
    pub fn pop(&mut self) -> Option<Completion> {
        let i = if self.held.is_empty() { 0 } else { self.done.iter().position(|(id, _)| !self.held.contains(id))? };
        self.done.remove(i)
    }

    /// Take the outcome of held request `id` if it finished (ends the hold).
    pub fn take(&mut self, id: u64) -> Option<Result<String>> {
        let i = self.done.iter().position(|(d, _)| *d == id)?;
        self.held.remove(&id);
        self.done.remove(i).map(|(_, r)| r)
    }

    // ------------------------------------------------------------ progress

    /// One step that never waits: take in what arrived (up to a batch),
    /// resend what is due, fail what is past its lifetime, drive the
    /// start-up probe, send queued requests into free window slots.
    pub fn progress(&mut self) -> Result<()> {
        self.read_messages()?;
        let now = Instant::now();
        self.on_timers(now)?;
        self.drive_link(now)?;
        self.fill_window(now)?;
        self.clean_timers();
        Ok(())
    }

    /// Drop stale entries from the top of the timer heap (requests answered
    /// or rescheduled since), so [`Client::wake_at`] names a real timer and
    /// an idle client arms nothing.
    fn clean_timers(&mut self) {
        if self.pending.is_empty() {
            self.timers.clear();
            self.queue.clear();
            return;
        }
        while let Some(&Reverse((t, id))) = self.timers.peek() {
            if self.pending.get(&id).is_some_and(|p| p.next_at == t) {
                break;
            }
            self.timers.pop();
        }
    }

    /// When the client next needs a step although nothing arrives: its
    /// earliest resend, time-out or probe (now when a step stopped at its
    /// batch limit). `None`: nothing to do until something arrives.
    pub fn wake_at(&self) -> Option<Instant> {
        if self.more {
            return Some(Instant::now());
        }
        let timer = self.timers.peek().map(|Reverse((t, _))| *t);
        let probe = match self.link {
            Link::Probing { at, .. } if !self.pending.is_empty() => Some(at),
            _ => None,
        };
        match (timer, probe) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The SUB socket's `ZMQ_FD`: readable (edge-triggered) when answers
    /// may have arrived.
    pub fn fd(&self) -> Result<std::os::fd::RawFd> {
        Ok(self.net.sub.get_fd()?)
    }

    /// For waiting on many clients at once without holding them: whether
    /// [`Client::next`] with a zero time-out could make progress now (a
    /// completion ready, a message readable, a timer due), the file
    /// descriptor that becomes readable when an answer arrives (libzmq's
    /// `ZMQ_FD`, edge-triggered: call this again after every wake-up), and
    /// when the next resend, time-out or probe is due ([`Client::wake_at`]).
    pub fn wait_state(&self) -> Result<(bool, std::os::fd::RawFd, Option<Instant>)> {
        let timer = self.wake_at();
        let readable = self.net.sub.get_events()?.contains(zmq::POLLIN);
        let due = timer.is_some_and(|t| t <= Instant::now());
        Ok((self.peek().is_some() || readable || due, self.fd()?, timer))
    }

    fn read_messages(&mut self) -> Result<()> {
        self.more = false;
        for _ in 0..BATCH {
            match ctx::recv_frames(&self.net.sub, zmq::DONTWAIT, &mut self.frames, 3) {
                Ok(n) => self.on_message(n)?,
                Err(Error::Zmq(zmq::Error::EAGAIN)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        self.more = true;
        Ok(())
    }

    fn on_message(&mut self, nframes: usize) -> Result<()> {
        self.changes += 1;
        let Some(topic) = self.frames.first() else { return Ok(()) };
        if topic == self.probe_topic.as_bytes() {
            if let Link::Probing { .. } = self.link {
                // The path works both ways: our subscriptions reached the
                // broker, which passed them upstream to every publisher (the
                // calc node's PUB got them with ours), and our PUB has the
                // broker's subscriptions.
                self.link = Link::Ready;
                self.net.sub.set_unsubscribe(self.probe_topic.as_bytes())?;
            }
            return Ok(()); // an echo through a second broker, or a late one
        }
        if topic == wire::ANNOUNCE_TOPIC.as_bytes() {
            // A broker just became active: what is unanswered was probably
            // lost with the old one; resend it all now.
            return self.resend_all();
        }
        if nframes != 2 {
            self.stats.duplicates += 1;
            return Ok(());
        }
        let id = match (wire::parse_topic(topic), self.cfg.mode) {
            (Ok(t), Mode::Tagged) if t.kind == Kind::Reply => t
                .tag
                .and_then(|tag| tag.strip_prefix(self.id.as_str()))
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(|seq| seq.parse::<u64>().ok()),
            // Classic: the first result answers the one request on the wire.
            (Ok(t), Mode::Classic) if t.kind == Kind::Result && t.tag.is_none() => self.pending.keys().next().copied(),
            _ => None,
        };
        let sent_at = id.and_then(|id| self.pending.get(&id)).and_then(|p| p.sent_at);
        let (Some(id), Some(sent_at)) = (id, sent_at) else {
            // Unknown, already answered, cancelled, or not even sent yet.
            self.stats.duplicates += 1;
            return Ok(());
        };
        let p = self.remove_pending(id).expect("pending");
        if !p.resent {
            self.sample_rtt(sent_at.elapsed());
        }
        self.stats.answers += 1;
        let r = answer_of(&self.frames[1]);
        self.done.push_back((id, r));
        Ok(())
    }

    /// Jacobson's estimator (RFC 6298): rttvar ← ¾ rttvar + ¼ |srtt − r|,
    /// srtt ← ⅞ srtt + ⅛ r.
    fn sample_rtt(&mut self, r: Duration) {
        self.rtt = Some(match self.rtt {
            None => (r, r / 2),
            Some((srtt, var)) => {
                let d = srtt.abs_diff(r);
                ((srtt * 7 + r) / 8, (var * 3 + d) / 4)
            }
        });
    }

    /// Resend every request on the wire now (after a broker switch), and
    /// start its back-off again.
    fn resend_all(&mut self) -> Result<()> {
        if self.cfg.mode != Mode::Tagged {
            return Ok(());
        }
        let now = Instant::now();
        let rto = self.rto();
        let ids: Vec<u64> = self.pending.iter().filter(|(_, p)| p.sent_at.is_some()).map(|(id, _)| *id).collect();
        self.net.refresh()?;
        for id in ids {
            self.resend(id, now, rto)?;
        }
        Ok(())
    }

    /// Send pending request `id` again and schedule its next resend after
    /// `rto` (never past its deadline).
    fn resend(&mut self, id: u64, now: Instant, rto: Duration) -> Result<()> {
        let Some(p) = self.pending.get_mut(&id) else { return Ok(()) };
        p.resent = true;
        p.rto = rto;
        p.next_at = (now + rto).min(p.deadline);
        self.timers.push(Reverse((p.next_at, id)));
        self.stats.resent += 1;
        self.changes += 1;
        self.send(id)
    }

    fn send(&self, id: u64) -> Result<()> {
        let p = &self.pending[&id];
        let tag = format!("{}.{id}", self.id);
        let tag = (self.cfg.mode == Mode::Tagged).then_some(tag.as_str());
        self.net.publish(wire::with_tag(&wire::request_topic(1), tag).as_bytes(), p.a.as_bytes())?;
        self.net.publish(wire::with_tag(&wire::request_topic(2), tag).as_bytes(), p.b.as_bytes())?;
        Ok(())
    }

    /// Resend what is due, fail what is past its deadline.
    fn on_timers(&mut self, now: Instant) -> Result<()> {
        let mut refreshed = false;
        while let Some(&Reverse((t, id))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            let Some(p) = self.pending.get(&id) else { continue };
            if t != p.next_at {
                continue; // superseded by a later schedule
            }
            if now >= p.deadline {
                let ms = p.timeout.as_millis() as u64;
                self.remove_pending(id);
                self.stats.timeouts += 1;
                self.changes += 1;
                self.done.push_back((id, Err(Error::Timeout(ms))));
                continue;
            }
            if p.sent_at.is_none() || self.cfg.mode != Mode::Tagged {
                continue; // queued, or classic: only its deadline counts
            }
            let rto = (p.rto * 2).min(self.max_retry());
            if !refreshed {
                self.net.refresh()?;
                refreshed = true;
            }
            self.resend(id, now, rto)?;
        }
        Ok(())
    }

    /// The start-up probe: publish a probe on a private topic we subscribe
    /// to, again and again (1 ms doubling to 20 ms) while requests wait,
    /// until it comes back ([`Client::on_message`]).
    fn drive_link(&mut self, now: Instant) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(()); // an idle client costs nothing
        }
        let every = match self.link {
            Link::Ready => return Ok(()),
            Link::Idle => {
                self.net.sub.set_subscribe(self.probe_topic.as_bytes())?;
                PROBE_FIRST
            }
            Link::Probing { at, every } if at <= now => (every * 2).min(PROBE_MAX),
            Link::Probing { .. } => return Ok(()),
        };
        // With ZMQ_IMMEDIATE a new connection is attached to a socket (and
        // a SUB's subscriptions sent) only when the socket is used: use both.
        self.net.refresh()?;
        self.net.sub.get_events()?;
        self.net.publish(self.probe_topic.as_bytes(), b"")?;
        self.link = Link::Probing { at: now + every, every };
        self.changes += 1;
        Ok(())
    }

    fn window_free(&self) -> bool {
        self.cfg.window == 0 || self.on_wire < self.cfg.window
    }

    /// Send queued requests while the window has room (once the path is proven).
    fn fill_window(&mut self, now: Instant) -> Result<()> {
        if self.link != Link::Ready || self.queue.is_empty() || !self.window_free() {
            return Ok(());
        }
        self.net.refresh()?;
        let rto = self.rto();
        while self.window_free() {
            let Some(id) = self.queue.pop_front() else { break };
            let Some(p) = self.pending.get_mut(&id) else { continue };
            if p.sent_at.is_some() {
                continue;
            }
            p.sent_at = Some(now);
            p.rto = rto;
            if self.cfg.mode == Mode::Tagged {
                p.next_at = (now + rto).min(p.deadline);
                self.timers.push(Reverse((p.next_at, id)));
            }
            self.on_wire += 1;
            self.changes += 1;
            self.send(id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_capped() {
        let long = "é".repeat(1000);
        let r = answer_of(format!("ERR {long}").as_bytes()).unwrap_err();
        assert!(r.to_string().len() < 512, "{}", r.to_string().len());
        let r = answer_of("7".repeat(5000).as_bytes()).unwrap_err();
        assert!(r.to_string().len() < 512 && r.to_string().contains("too long"));
        assert_eq!(answer_of(b"17.6918").unwrap(), "17.6918");
        assert_eq!(cap("abc".into(), 10), "abc");
    }
}
