//! The calculation node: collects the two catheti of each request, asks the
//! operation nodes for their squares, falls back to computing a square
//! locally when an operation node does not answer in time, and publishes the
//! hypotenuse with four decimals.
//!
//! Unlike the original, many requests are in flight at once: tagged requests
//! are kept apart by their tag, duplicates are dropped (or answered again from
//! a cache, idempotently), bad input gets an error answer, and classic
//! (untagged) requests are still paired in arrival order, as the lab did.

use crate::error::Result;
use crate::lab::answered::{AnsweredCache, MAX_ANSWERED};
use crate::lab::brokers::{BrokerAddr, NodeSockets};
use crate::log;
use crate::security::Curve;
use crate::sys::ctx;
use crate::sys::runner::{Runner, StopSignal};
use crate::wire::{self, Kind, Number, WireError};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the calc node behaves.
#[derive(Debug, Clone)]
pub struct CalcConfig {
    pub brokers: Vec<BrokerAddr>,
    /// How long to wait for the operation nodes' squares before computing
    /// the missing ones locally. Default 2000 ms (the lab's value).
    pub timeout: Duration,
    /// How long an answered tag is remembered, to drop or re-answer resends.
    /// Default 60 s; at most 500 000 are remembered at once, 64 bytes or
    /// fewer each (`lab/answered.rs`).
    pub answered_ttl: Duration,
    /// How long a request with only one cathetus waits for the other. Default 10 s.
    pub partial_ttl: Duration,
    /// Most requests in progress at once; more get an "overloaded" error. Default 100 000.
    pub max_in_flight: usize,
    /// CURVE to the brokers. Default: the process's default, off unless set.
    pub curve: Curve,
}

impl Default for CalcConfig {
    fn default() -> Self {
        CalcConfig {
            brokers: vec![BrokerAddr::default()],
            timeout: Duration::from_millis(2000),
            answered_ttl: Duration::from_secs(60),
            partial_ttl: Duration::from_secs(10),
            max_in_flight: 100_000,
            curve: Curve::default(),
        }
    }
}

/// A snapshot of a calc node's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CalcStats {
    /// Requests whose two catheti arrived and were sent to the operation nodes.
    pub requests: u64,
    /// Of those, classic (untagged) requests.
    pub classic_requests: u64,
    /// Hypotenuse answers published.
    pub results: u64,
    /// Error answers published.
    pub errors: u64,
    /// Squares computed locally because no operation node answered in time.
    pub fallbacks: u64,
    /// Squares received from operation nodes and used.
    pub squares_received: u64,
    /// Duplicate requests or squares dropped (or re-answered from the cache).
    pub duplicates: u64,
    /// Messages that were not well-formed and could not be answered.
    pub bad_messages: u64,
    /// Requests dropped because their second cathetus never came.
    pub expired: u64,
    /// Requests in progress right now.
    pub in_flight: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    classic_requests: AtomicU64,
    results: AtomicU64,
    errors: AtomicU64,
    fallbacks: AtomicU64,
    squares_received: AtomicU64,
    duplicates: AtomicU64,
    bad_messages: AtomicU64,
    expired: AtomicU64,
    in_flight: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A running calc node (thread `hypobus-calc`). Dropping it stops it.
pub struct CalcNode {
    runner: Runner,
    counters: Arc<Counters>,
}

impl CalcNode {
    /// Connect to the brokers and start serving.
    pub fn start(cfg: CalcConfig) -> Result<CalcNode> {
        if cfg.timeout.is_zero() {
            return Err(crate::Error::Config("calc timeout must be > 0".into()));
        }
        let ctx = crate::sys::ctx::context();
        let subs = [
            wire::request_topic(1),
            wire::request_topic(2),
            wire::square_result_topic(1),
            wire::square_result_topic(2),
            wire::ANNOUNCE_TOPIC.to_string(),
        ];
        let net = NodeSockets::connect(&ctx, &cfg.brokers, &subs, false, &cfg.curve)?;
        let counters = Arc::new(Counters::default());
        let mut state = State::new(cfg, net, counters.clone());
        let runner = Runner::spawn(&ctx, "hypobus-calc", move |stop| state.run(stop))?;
        log!("calc", "serving");
        Ok(CalcNode { runner, counters })
    }

    /// True while the node's thread runs (false after `stop` or if its loop
    /// ended on an error, which is then logged).
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Current counters.
    pub fn stats(&self) -> CalcStats {
        let c = &self.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CalcStats {
            requests: l(&c.requests),
            classic_requests: l(&c.classic_requests),
            results: l(&c.results),
            errors: l(&c.errors),
            fallbacks: l(&c.fallbacks),
            squares_received: l(&c.squares_received),
            duplicates: l(&c.duplicates),
            bad_messages: l(&c.bad_messages),
            expired: l(&c.expired),
            in_flight: l(&c.in_flight),
        }
    }

    /// Stop serving, close the sockets and join the thread.
    pub fn stop(&mut self) -> Result<()> {
        self.runner.stop()
    }
}

/// One request in progress. `tag` is `None` for a classic request (then its
/// key is an internal tag used only toward the operation nodes).
struct Job {
    tag: Option<String>,
    cathetus: [Option<Number>; 2],
    square: [Option<Number>; 2],
    /// Set once both catheti are known and the squares were requested.
    deadline: Option<Instant>,
}

struct State {
    cfg: CalcConfig,
    net: NodeSockets,
    c: Arc<Counters>,
    jobs: HashMap<String, Job>,
    /// Dispatched jobs in deadline order (the timeout is the same for all).
    waiting: VecDeque<(Instant, String)>,
    /// When to ask the operation nodes again for squares still missing.
    resends: BinaryHeap<Reverse<(Instant, String, u32)>>,
    /// Jobs with one cathetus, in expiry order.
    partial: VecDeque<(Instant, String)>,
    /// Answered tagged requests, to answer a resend again (bounded: `answered.rs`).
    answered: AnsweredCache,
    classic: [VecDeque<Number>; 2],
    classic_seq: u64,
    node_id: String,
    frames: Vec<Vec<u8>>,
}

/// Where the calc node tells an observer (`hypobus watch`) of a fallback or
/// a refused request: one message per such event, nothing per request.
use crate::wire::obs::CALC_TOPIC as OBS_TOPIC;

/// First resend of unanswered square requests; later ones back off (x2).
const RESEND_FIRST: Duration = Duration::from_millis(100);

impl State {
    fn new(cfg: CalcConfig, net: NodeSockets, c: Arc<Counters>) -> State {
        let answered = AnsweredCache::new(cfg.answered_ttl, MAX_ANSWERED);
        State {
            cfg,
            net,
            c,
            jobs: HashMap::new(),
            waiting: VecDeque::new(),
            resends: BinaryHeap::new(),
            partial: VecDeque::new(),
            answered,
            classic: [VecDeque::new(), VecDeque::new()],
            classic_seq: 0,
            node_id: crate::wire::random_id(),
            frames: Vec::with_capacity(2),
        }
    }

    fn run(&mut self, stop: StopSignal) -> Result<()> {
        loop {
            let resend = self.resends.peek().map(|Reverse((t, _, _))| *t);
            let next = [self.waiting.front(), self.partial.front()].into_iter().flatten().map(|(t, _)| *t).chain(resend).min();
            let timeout = next.map(ctx::ms_until).unwrap_or(-1);
            let mut items = [self.net.sub.as_poll_item(zmq::POLLIN), stop.sock.as_poll_item(zmq::POLLIN)];
            zmq::poll(&mut items, timeout)?;
            if items[1].is_readable() {
                return Ok(());
            }
            self.net.refresh()?;
            if items[0].is_readable() {
                for _ in 0..512 {
                    let n = ctx::recv_frames(&self.net.sub, 0, &mut self.frames, 3)?;
                    self.on_message(n)?;
                    if self.net.sub.poll(zmq::POLLIN, 0)? == 0 {
                        break;
                    }
                }
            }
            self.on_time()?;
        }
    }

    fn on_message(&mut self, nframes: usize) -> Result<()> {
        let frames = std::mem::take(&mut self.frames);
        let r = self.handle(&frames, nframes);
        self.frames = frames;
        r
    }

    fn handle(&mut self, frames: &[Vec<u8>], nframes: usize) -> Result<()> {
        if frames.first().is_some_and(|t| t == wire::ANNOUNCE_TOPIC.as_bytes()) {
            // A broker just became active: ask again for every missing square.
            let keys: Vec<String> = self.waiting.iter().map(|(_, k)| k.clone()).collect();
            for k in keys {
                self.ask_squares(&k)?;
            }
            return Ok(());
        }
        let topic = match frames.first().map(|f| wire::parse_topic(f)) {
            Some(Ok(t)) => t,
            _ => {
                bump(&self.c.bad_messages);
                log!("calc", "dropped message with bad topic {}", wire::excerpt(frames.first().map_or(&[][..], |f| f)));
                return Ok(());
            }
        };
        let value = if nframes == 2 { Ok(&frames[1][..]) } else { Err(WireError::Frames { expected: 2, got: nframes }) };
        match topic.kind {
            Kind::Request(lane @ (1 | 2)) => self.on_request(lane, topic.tag, value),
            Kind::SquareResult(lane @ (1 | 2)) => self.on_square(lane, topic.tag, value),
            _ => {
                bump(&self.c.bad_messages);
                Ok(())
            }
        }
    }

    fn on_request(&mut self, lane: u32, tag: Option<&str>, value: std::result::Result<&[u8], WireError>) -> Result<()> {
        let i = (lane - 1) as usize;
        let parsed = value.and_then(Number::parse).map_err(|e| format!("cathetus {}: {e}", if lane == 1 { 'a' } else { 'b' }));
        let Some(tag) = tag else {
            // Classic request: pair in arrival order, as the original did.
            match parsed {
                Ok(x) => {
                    self.classic[i].push_back(x);
                    while !self.classic[0].is_empty() && !self.classic[1].is_empty() {
                        let a = self.classic[0].pop_front();
                        let b = self.classic[1].pop_front();
                        self.classic_seq += 1;
                        let key = format!("c.{}.{}", self.node_id, self.classic_seq);
                        let job = Job { tag: None, cathetus: [a, b], square: [None, None], deadline: None };
                        self.jobs.insert(key.clone(), job);
                        bump(&self.c.classic_requests);
                        self.dispatch(&key)?;
                    }
                }
                Err(reason) => {
                    bump(&self.c.bad_messages);
                    crate::wire::obs::publish_obs(&self.net.publ, OBS_TOPIC, "refused", "", &format!("classic request dropped: {reason}"));
                    log!("calc", "dropped classic request: {reason}");
                }
            }
            return Ok(());
        };
        let bit = 1u8 << i;
        if let Some((value, lanes)) = self.answered.get(tag, bit) {
            if lanes & bit != 0 {
                // A resend of an answered request: answer again, idempotently.
                bump(&self.c.duplicates);
                let topic = wire::with_tag(wire::REPLY_TOPIC, Some(tag));
                self.net.publish(topic.as_bytes(), &value)?;
            }
            return Ok(());
        }
        if let Some(job) = self.jobs.get(tag) {
            if job.cathetus[i].is_some() {
                bump(&self.c.duplicates);
                return Ok(());
            }
        } else if self.jobs.len() >= self.cfg.max_in_flight {
            return self.answer(tag.to_string(), Err("calc node overloaded, retry later".into()), bit);
        }
        match parsed {
            Err(reason) => {
                let lanes = self.jobs.remove(tag).map_or(0, |j| lanes_of(&j));
                self.answer(tag.to_string(), Err(reason), lanes | bit)
            }
            Ok(x) => {
                let now = Instant::now();
                let job = self.jobs.entry(tag.to_string()).or_insert_with(|| {
                    self.partial.push_back((now + self.cfg.partial_ttl, tag.to_string()));
                    Job { tag: Some(tag.to_string()), cathetus: [None, None], square: [None, None], deadline: None }
                });
                job.cathetus[i] = Some(x);
                if job.cathetus.iter().all(Option::is_some) {
                    self.dispatch(tag)?;
                }
                Ok(())
            }
        }
    }

    /// Both catheti known: ask the operation nodes and start the clock.
    fn dispatch(&mut self, key: &str) -> Result<()> {
        self.c.in_flight.store(self.jobs.len() as u64, Ordering::Relaxed);
        let job = self.jobs.get_mut(key).expect("dispatch of a known job");
        let deadline = Instant::now() + self.cfg.timeout;
        job.deadline = Some(deadline);
        bump(&self.c.requests);
        self.waiting.push_back((deadline, key.to_string()));
        self.resends.push(Reverse((Instant::now() + RESEND_FIRST, key.to_string(), 1)));
        self.ask_squares(key)
    }

    /// Publish the square requests still unanswered for a job.
    fn ask_squares(&self, key: &str) -> Result<()> {
        let Some(job) = self.jobs.get(key) else { return Ok(()) };
        for (i, x) in job.cathetus.iter().enumerate() {
            if job.square[i].is_some() {
                continue;
            }
            // Dispatched jobs have both catheti; a timer can outlive its job.
            let Some(x) = x else { continue };
            let topic = wire::with_tag(&wire::square_request_topic(i as u32 + 1), Some(key));
            self.net.publish(topic.as_bytes(), x.format().as_bytes())?;
        }
        Ok(())
    }

    fn on_square(&mut self, lane: u32, tag: Option<&str>, value: std::result::Result<&[u8], WireError>) -> Result<()> {
        let i = (lane - 1) as usize;
        let Ok(raw) = value else {
            bump(&self.c.bad_messages);
            return Ok(());
        };
        // An error answer from an operation node: compute that square here, now.
        let square = match wire::parse_answer(raw) {
            Err(reason) => {
                log!("calc", "operation node lane {lane} answered an error ({reason}); computing locally");
                None
            }
            Ok(_) => match Number::parse(raw) {
                Ok(s) => Some(s),
                Err(_) => {
                    bump(&self.c.bad_messages);
                    return Ok(());
                }
            },
        };
        let key = match tag {
            Some(t) => match self.jobs.get(t) {
                Some(j) if j.deadline.is_some() => t.to_string(),
                _ => {
                    // Another calc node's request, or one already answered.
                    bump(&self.c.duplicates);
                    return Ok(());
                }
            },
            None => {
                // Classic operation server: match the square to a waiting request by value.
                let Some(s) = &square else { return Ok(()) };
                let found = self.waiting.iter().find(|(_, k)| {
                    self.jobs.get(k).is_some_and(|j| j.square[i].is_none() && j.cathetus[i].as_ref().is_some_and(|x| s.is_square_of(x)))
                });
                match found {
                    Some((_, k)) => k.clone(),
                    None => {
                        bump(&self.c.duplicates);
                        return Ok(());
                    }
                }
            }
        };
        let job = self.jobs.get_mut(&key).expect("job exists");
        if job.square[i].is_some() {
            bump(&self.c.duplicates);
            return Ok(());
        }
        match square {
            Some(s) => {
                bump(&self.c.squares_received);
                job.square[i] = Some(s);
            }
            None => {
                bump(&self.c.fallbacks);
                let detail = format!("lane={lane} error answer from op {lane}: square computed locally");
                crate::wire::obs::publish_obs(&self.net.publ, OBS_TOPIC, "fallback", &key, &detail);
                job.square[i] = job.cathetus[i].as_ref().and_then(|x| x.square().ok());
                if job.square[i].is_none() {
                    // The square overflows: finish with a direct hypot.
                    return self.finish(&key);
                }
            }
        }
        if job.square.iter().all(Option::is_some) {
            return self.finish(&key);
        }
        Ok(())
    }

    /// Publish the hypotenuse (or an error) for a job and forget it.
    fn finish(&mut self, key: &str) -> Result<()> {
        let Some(job) = self.jobs.remove(key) else { return Ok(()) };
        self.c.in_flight.store(self.jobs.len() as u64, Ordering::Relaxed);
        let (a, b) = (job.cathetus[0].expect("a"), job.cathetus[1].expect("b"));
        let result = match (&job.square[0], &job.square[1]) {
            (Some(sa), Some(sb)) => wire::hypot_from_squares(sa, sb).or_else(|_| wire::hypot(&a, &b)),
            _ => wire::hypot(&a, &b),
        };
        let result = result.map_err(|e| format!("cannot compute hypotenuse of {} and {}: {e}", a.format(), b.format()));
        match job.tag {
            Some(tag) => self.answer(tag, result, 0b11),
            None => {
                match result {
                    Ok(v) => {
                        self.net.publish(wire::RESULT_TOPIC.as_bytes(), v.as_bytes())?;
                        bump(&self.c.results);
                    }
                    Err(reason) => {
                        bump(&self.c.errors);
                        log!("calc", "classic request failed: {reason}");
                    }
                }
                Ok(())
            }
        }
    }

    /// Publish a tagged answer and remember it.
    fn answer(&mut self, tag: String, result: std::result::Result<String, String>, lanes: u8) -> Result<()> {
        let value = match result {
            Ok(v) => {
                bump(&self.c.results);
                v.into_bytes()
            }
            Err(reason) => {
                bump(&self.c.errors);
                crate::wire::obs::publish_obs(&self.net.publ, OBS_TOPIC, "refused", &tag, &reason);
                log!("calc", "error answer for {tag}: {reason}");
                wire::error_value(&reason)
            }
        };
        let topic = wire::with_tag(wire::REPLY_TOPIC, Some(&tag));
        self.net.publish(topic.as_bytes(), &value)?;
        self.answered.insert(&tag, &value, lanes, Instant::now());
        Ok(())
    }

    /// Deadlines: ask again for missing squares, fall back for late squares,
    /// expire half requests and old answers.
    fn on_time(&mut self) -> Result<()> {
        let now = Instant::now();
        while self.resends.peek().is_some_and(|Reverse((t, _, _))| *t <= now) {
            let Reverse((_, key, n)) = self.resends.pop().expect("peeked");
            if self.jobs.get(&key).is_some_and(|j| j.deadline.is_some()) {
                // A square request can be lost (an operation node that just
                // subscribed, a broker switch): ask again, backing off.
                self.ask_squares(&key)?;
                self.resends.push(Reverse((now + RESEND_FIRST * (1 << n.min(4)), key, n + 1)));
            }
        }
        while self.waiting.front().is_some_and(|(t, _)| *t <= now) {
            let (t, key) = self.waiting.pop_front().expect("front");
            let Some(job) = self.jobs.get_mut(&key) else { continue };
            if job.deadline != Some(t) {
                // A newer job under this tag (a resend after its answer was
                // forgotten): its own deadline is further back in the queue.
                continue;
            }
            for i in 0..2 {
                if job.square[i].is_none() {
                    bump(&self.c.fallbacks);
                    let detail =
                        format!("lane={} no square from op {} in {} ms: computed locally", i + 1, i + 1, self.cfg.timeout.as_millis());
                    crate::wire::obs::publish_obs(&self.net.publ, OBS_TOPIC, "fallback", &key, &detail);
                    job.square[i] = job.cathetus[i].as_ref().and_then(|x| x.square().ok());
                }
            }
            log!("calc", "no square from an operation node in time for {key}; computed locally");
            self.finish(&key)?;
        }
        while self.partial.front().is_some_and(|(t, _)| *t <= now) {
            let (_, key) = self.partial.pop_front().expect("front");
            if self.jobs.get(&key).is_some_and(|j| j.deadline.is_none()) {
                self.jobs.remove(&key);
                bump(&self.c.expired);
                log!("calc", "request {key} expired: only one cathetus arrived");
            }
        }
        self.answered.expire(now);
        self.c.in_flight.store(self.jobs.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn lanes_of(job: &Job) -> u8 {
    (job.cathetus[0].is_some() as u8) | ((job.cathetus[1].is_some() as u8) << 1)
}
