//! The client: asks for hypotenuses.
//!
//! In tagged mode (the default) every request carries `<client-id>.<seq>`,
//! the client subscribes only to its own answers, keeps any number of
//! requests in flight, resends unanswered requests with the same tag (bounded
//! back-off) so a lost message or a broker switch costs a retry, not an
//! answer, and hands each answer to the application exactly once.
//!
//! In classic mode it speaks the original wire byte for byte: two untagged
//! messages, then the first `calc.hypotenuse.result` that arrives. Only one
//! classic request can be in flight (the wire cannot tell answers apart).

use crate::error::{Error, Result};
use crate::net::{self, BrokerAddr, NodeSockets};
use crate::wire::{self, Kind, Number};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
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
    /// How long one request may take before it fails with a time-out. Default 5000 ms.
    pub timeout: Duration,
    /// First resend interval (tagged mode); doubles up to `max_retry`. Default 100 ms.
    pub retry: Duration,
    /// Longest resend interval. Default 1000 ms.
    pub max_retry: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            brokers: vec![BrokerAddr::default()],
            mode: Mode::Tagged,
            timeout: Duration::from_millis(5000),
            retry: Duration::from_millis(100),
            max_retry: Duration::from_millis(1000),
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
    /// Duplicate or stray answers dropped.
    pub duplicates: u64,
    /// Requests that timed out.
    pub timeouts: u64,
}

/// One finished request: its id and its hypotenuse (4 decimals) or error.
pub type Completion = (u64, Result<String>);

struct Pending {
    a: String,
    b: String,
    first_sent: Instant,
    deadline: Instant,
    timeout: Duration,
    backoff: Duration,
    /// When the next resend (or the time-out) is due.
    next_at: Instant,
    resent: bool,
}

/// A hypotenuse client. Not thread-safe: use it from one thread at a time.
pub struct Client {
    cfg: ClientConfig,
    _ctx: zmq::Context,
    net: NodeSockets,
    id: String,
    seq: u64,
    pending: HashMap<u64, Pending>,
    timers: BinaryHeap<Reverse<(Instant, u64)>>,
    done: VecDeque<Completion>,
    connected: bool,
    srtt: Option<Duration>,
    stats: ClientStats,
    frames: Vec<Vec<u8>>,
}

/// A random 16-hex-digit id (client ids, calc node ids).
pub fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    format!("{:016x}", h.finish())
}

/// Topic prefix of the start-up probe (see [`Client::wait_ready`]).
pub const PROBE_TOPIC: &str = "hypobus.probe.";

impl Client {
    /// Connect to the brokers. Does not wait: the first request waits for the
    /// connection (within its own time-out).
    pub fn new(cfg: ClientConfig) -> Result<Client> {
        if cfg.timeout.is_zero() || cfg.retry.is_zero() {
            return Err(Error::Config("timeout and retry must be > 0".into()));
        }
        let ctx = crate::net::context();
        let id = random_id();
        let subs = match cfg.mode {
            Mode::Tagged => vec![format!("{}{}{id}.", wire::REPLY_TOPIC, wire::TAG_SEP), wire::ANNOUNCE_TOPIC.to_string()],
            Mode::Classic => vec![wire::RESULT_TOPIC.to_string()],
        };
        let net = NodeSockets::connect(&ctx, &cfg.brokers, &subs, true)?;
        Ok(Client {
            cfg,
            _ctx: ctx,
            net,
            id,
            seq: 0,
            pending: HashMap::new(),
            timers: BinaryHeap::new(),
            done: VecDeque::new(),
            connected: false,
            srtt: None,
            stats: ClientStats::default(),
            frames: Vec::with_capacity(2),
        })
    }

    /// This client's id (the first part of its tags).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Requests submitted and not yet finished.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Current counters.
    pub fn stats(&self) -> ClientStats {
        self.stats
    }

    /// The hypotenuse of `a` and `b` (decimal text such as `"12"` or `"1.5"`),
    /// formatted with four decimals. Waits at most the configured time-out.
    /// Answers of other requests in flight that arrive meanwhile are kept for
    /// [`Client::next`].
    pub fn hypot(&mut self, a: &str, b: &str) -> Result<String> {
        self.hypot_within(a, b, self.cfg.timeout)
    }

    /// [`Client::hypot`] with its own time-out for this one request.
    pub fn hypot_within(&mut self, a: &str, b: &str, timeout: Duration) -> Result<String> {
        let id = self.submit_within(a, b, timeout)?;
        let mut others = Vec::new();
        let r = loop {
            match self.next(-1)? {
                Some((got, r)) if got == id => break r,
                Some(other) => others.push(other),
                None => continue,
            }
        };
        for o in others.into_iter().rev() {
            self.done.push_front(o);
        }
        r
    }

    /// Send a request and return its id at once; collect the answer with
    /// [`Client::next`]. Invalid numbers are refused here, before sending.
    pub fn submit(&mut self, a: &str, b: &str) -> Result<u64> {
        self.submit_within(a, b, self.cfg.timeout)
    }

    /// [`Client::submit`] with its own time-out for this one request.
    pub fn submit_within(&mut self, a: &str, b: &str, timeout: Duration) -> Result<u64> {
        if timeout.is_zero() {
            return Err(Error::Config("timeout must be > 0".into()));
        }
        let na = Number::parse(a.as_bytes()).map_err(|e| Error::Config(format!("cathetus a: {e}")))?;
        let nb = Number::parse(b.as_bytes()).map_err(|e| Error::Config(format!("cathetus b: {e}")))?;
        if self.cfg.mode == Mode::Classic && !self.pending.is_empty() {
            return Err(Error::Config("classic mode carries one request at a time".into()));
        }
        let now = Instant::now();
        let deadline = now + timeout;
        if !self.connected {
            // Wait once for the first handshake; after that, resends cover
            // whatever a late connection or subscription missed.
            self.connected = true;
            self.wait_ready(deadline)?;
        }
        self.seq += 1;
        let id = self.seq;
        let (sent, backoff) = (Instant::now(), self.first_retry());
        let next_at = match self.cfg.mode {
            Mode::Tagged => (sent + backoff).min(deadline),
            Mode::Classic => deadline,
        };
        let p = Pending { a: na.format(), b: nb.format(), first_sent: sent, deadline, timeout, backoff, resent: false, next_at };
        self.send(id, &p)?;
        self.timers.push(Reverse((next_at, id)));
        self.pending.insert(id, p);
        self.stats.requests += 1;
        Ok(id)
    }

    /// Wait (once, until `deadline`) until the path through a broker works
    /// both ways, instead of the original lab's blind sleep: connect, then
    /// publish a probe on a private topic we subscribe to until it comes back.
    /// When it does, our subscriptions have reached the broker and the broker
    /// has passed them upstream to every publisher (the calc node's PUB gets
    /// them at the same time as ours), and our PUB has the broker's
    /// subscriptions. Classic peers never see the probe topic.
    fn wait_ready(&mut self, deadline: Instant) -> Result<bool> {
        if !self.net.wait_connected(deadline)? {
            return Ok(false);
        }
        let probe = format!("{PROBE_TOPIC}{}", self.id);
        self.net.sub.set_subscribe(probe.as_bytes())?;
        let mut wait = 2;
        let mut ok = false;
        'probe: while Instant::now() < deadline {
            self.net.refresh()?;
            self.net.publish(probe.as_bytes(), b"")?;
            let until = Instant::now() + Duration::from_millis(wait);
            while self.net.sub.poll(zmq::POLLIN, net::ms_until(until.min(deadline)))? > 0 {
                net::recv_frames(&self.net.sub, 0, &mut self.frames, 3)?;
                if self.frames.first().is_some_and(|t| t == probe.as_bytes()) {
                    ok = true;
                    break 'probe;
                }
                // Anything else (another client's classic result) is not ours yet.
            }
            wait = (wait * 2).min(50);
        }
        self.net.sub.set_unsubscribe(probe.as_bytes())?;
        Ok(ok)
    }

    fn first_retry(&self) -> Duration {
        let adaptive = self.srtt.map(|s| s * 4).unwrap_or_default();
        adaptive.clamp(self.cfg.retry, self.cfg.max_retry.max(self.cfg.retry))
    }

    fn send(&self, id: u64, p: &Pending) -> Result<()> {
        self.net.refresh()?;
        let tag = format!("{}.{id}", self.id);
        let tag = (self.cfg.mode == Mode::Tagged).then_some(tag.as_str());
        self.net.publish(wire::with_tag(&wire::request_topic(1), tag).as_bytes(), p.a.as_bytes())?;
        self.net.publish(wire::with_tag(&wire::request_topic(2), tag).as_bytes(), p.b.as_bytes())?;
        Ok(())
    }

    /// For waiting on many clients at once without holding them: whether
    /// [`Client::next`] with a zero time-out could make progress now (an
    /// answer queued or arrived, or a resend or time-out due), the file
    /// descriptor that becomes readable when an answer arrives (libzmq's
    /// `ZMQ_FD`, edge-triggered: call this again after every wake-up), and
    /// when the next resend or time-out is due.
    pub fn wait_state(&self) -> Result<(bool, std::os::fd::RawFd, Option<Instant>)> {
        let timer = self.timers.peek().map(|Reverse((t, _))| *t);
        let readable = self.net.sub.get_events()?.contains(zmq::POLLIN);
        let due = timer.is_some_and(|t| t <= Instant::now());
        Ok((!self.done.is_empty() || readable || due, self.net.sub.get_fd()?, timer))
    }

    /// Wait up to `timeout_ms` (0 = just look, negative = until something
    /// finishes) for the next finished request. `Ok(None)`: nothing finished
    /// in time (or nothing is in flight and `timeout_ms` is negative).
    pub fn next(&mut self, timeout_ms: i64) -> Result<Option<Completion>> {
        let until = (timeout_ms >= 0).then(|| net::deadline_in(timeout_ms as u64));
        loop {
            if let Some(c) = self.done.pop_front() {
                return Ok(Some(c));
            }
            if self.pending.is_empty() && until.is_none() {
                return Ok(None);
            }
            let timer = self.timers.peek().map(|Reverse((t, _))| *t);
            let wake = match (until, timer) {
                (Some(u), Some(t)) => Some(u.min(t)),
                (u, t) => u.or(t),
            };
            let wait = wake.map(net::ms_until).unwrap_or(-1);
            if self.net.sub.poll(zmq::POLLIN, wait)? > 0 {
                for _ in 0..1024 {
                    let n = net::recv_frames(&self.net.sub, 0, &mut self.frames, 3)?;
                    self.on_message(n);
                    if self.net.sub.poll(zmq::POLLIN, 0)? == 0 {
                        break;
                    }
                }
            }
            self.on_timers()?;
            if self.done.is_empty() && until.is_some_and(|u| Instant::now() >= u) {
                return Ok(None);
            }
        }
    }

    fn on_message(&mut self, nframes: usize) {
        if self.frames.first().is_some_and(|t| t == wire::ANNOUNCE_TOPIC.as_bytes()) {
            // A broker just became active: what is unanswered was probably
            // lost with the old one; resend it all now.
            let _ = self.resend_all();
            return;
        }
        let (Some(topic), 2) = (self.frames.first(), nframes) else {
            self.stats.duplicates += 1;
            return;
        };
        let id = match (wire::parse_topic(topic), self.cfg.mode) {
            (Ok(t), Mode::Tagged) if t.kind == Kind::Reply => t
                .tag
                .and_then(|tag| tag.strip_prefix(self.id.as_str()))
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(|seq| seq.parse::<u64>().ok()),
            // Classic: the first result answers the one request in flight.
            (Ok(t), Mode::Classic) if t.kind == Kind::Result && t.tag.is_none() => self.pending.keys().next().copied(),
            _ => None,
        };
        let Some(p) = id.and_then(|id| self.pending.remove(&id).map(|p| (id, p))) else {
            self.stats.duplicates += 1;
            return;
        };
        let (id, p) = p;
        if !p.resent {
            let rtt = p.first_sent.elapsed();
            self.srtt = Some(match self.srtt {
                Some(s) => (s * 7 + rtt) / 8,
                None => rtt,
            });
        }
        self.stats.answers += 1;
        let r = wire::parse_answer(&self.frames[1]).map_err(Error::Remote);
        self.done.push_back((id, r));
    }

    /// Resend every unanswered request now (after a broker switch), and
    /// start its back-off again.
    fn resend_all(&mut self) -> Result<()> {
        if self.cfg.mode != Mode::Tagged {
            return Ok(());
        }
        let now = Instant::now();
        let ids: Vec<u64> = self.pending.keys().copied().collect();
        for id in ids {
            self.resend(id, now, self.cfg.retry)?;
        }
        Ok(())
    }

    /// Send pending request `id` again and schedule its next resend after
    /// `backoff` (never past its deadline). Earlier timer entries of the
    /// request become stale and are skipped.
    fn resend(&mut self, id: u64, now: Instant, backoff: Duration) -> Result<()> {
        let Some(p) = self.pending.get_mut(&id) else { return Ok(()) };
        p.resent = true;
        p.backoff = backoff;
        p.next_at = (now + backoff).min(p.deadline);
        let next = p.next_at;
        self.stats.resent += 1;
        let p = self.pending.get(&id).expect("pending");
        self.send(id, p)?;
        self.timers.push(Reverse((next, id)));
        Ok(())
    }

    /// Resend what is due, fail what is past its deadline.
    fn on_timers(&mut self) -> Result<()> {
        let now = Instant::now();
        while let Some(&Reverse((t, id))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            let Some(p) = self.pending.get(&id) else { continue };
            if t != p.next_at {
                continue; // superseded by a later schedule (resend_all)
            }
            if now >= p.deadline {
                self.stats.timeouts += 1;
                let ms = p.timeout.as_millis() as u64;
                self.pending.remove(&id);
                self.done.push_back((id, Err(Error::Timeout(ms))));
                continue;
            }
            let backoff = (p.backoff * 2).min(self.cfg.max_retry.max(self.cfg.retry));
            self.resend(id, now, backoff)?;
        }
        Ok(())
    }
}
