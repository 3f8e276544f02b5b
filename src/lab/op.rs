//! The operation node: serves one lane's `calc.square.request.<lane>` and
//! answers on `calc.square.result.<lane>` (tagged requests get tagged answers,
//! classic requests classic ones).
//!
//! Two styles: [`OpNode`] runs on its own thread and calls the operation
//! there; [`OpPull`] lets the caller take requests (`recv`) and answer them
//! (`reply`) on its own thread, which is what Python and Node bindings use.

use crate::error::{Error, Result};
use crate::lab::brokers::{BrokerAddr, NodeSockets};
use crate::log;
use crate::security::Curve;
use crate::sys::ctx;
use crate::sys::runner::Runner;
use crate::wire::{self, Kind, Number};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What an operation node computes.
pub enum Operation {
    /// `x²`, exact for integers and short decimals.
    Square,
    /// Any function of the value, called on the node's thread; an `Err` is
    /// sent back as an error answer.
    Custom(Box<dyn FnMut(f64) -> std::result::Result<f64, String> + Send>),
    /// A function computed on another thread (the C ABI's callback thread):
    /// the node hands each value over and waits for the result while it
    /// keeps watching its stop signal, so stopping never waits for it.
    Deferred(Box<dyn DeferredOp>),
}

/// An operation computed on another thread (see [`Operation::Deferred`]).
pub trait DeferredOp: Send {
    /// Hand `x` over; a call number, or `None` when the other side is gone.
    fn begin(&mut self, x: f64) -> Option<u64>;
    /// The descriptor that becomes readable when a call returns.
    fn fd(&self) -> std::os::fd::RawFd;
    /// The result of call `n`, if it returned.
    fn finish(&mut self, n: u64) -> Option<std::result::Result<f64, String>>;
    /// How long to wait for one call before answering an error (the calc
    /// node computes the square itself after its own time-out anyway).
    fn limit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(2)
    }
}

fn checked(y: f64) -> std::result::Result<Number, String> {
    Number::from_f64(y).map_err(|e| format!("operation returned an invalid value: {e}"))
}

/// Outcome of applying the operation on the node's thread.
enum Applied {
    Done(std::result::Result<Number, String>),
    Stop,
}

impl Operation {
    /// Compute on the node's thread; a deferred operation is waited for
    /// while `stop` is watched.
    fn apply(&mut self, x: &Number, stop: &crate::sys::runner::StopSignal) -> Result<Applied> {
        Ok(Applied::Done(match self {
            Operation::Square => x.square().map_err(|e| e.to_string()),
            Operation::Custom(f) => f(x.value).and_then(checked),
            Operation::Deferred(d) => {
                let Some(n) = d.begin(x.value) else {
                    return Ok(Applied::Done(Err("the operation's callback thread is gone".into())));
                };
                let until = Instant::now() + d.limit();
                loop {
                    if let Some(r) = d.finish(n) {
                        break r.and_then(checked);
                    }
                    if Instant::now() >= until {
                        break Err(format!("the operation did not return within {} ms", d.limit().as_millis()));
                    }
                    let mut items = [stop.sock.as_poll_item(zmq::POLLIN), zmq::PollItem::from_fd(d.fd(), zmq::POLLIN)];
                    zmq::poll(&mut items, ctx::ms_until(until))?;
                    if items[0].is_readable() {
                        return Ok(Applied::Stop);
                    }
                }
            }
        }))
    }
}

/// Which brokers and which lane.
#[derive(Debug, Clone)]
pub struct OpConfig {
    pub brokers: Vec<BrokerAddr>,
    /// Lane served (1 = cathetus a, 2 = cathetus b; any lane ≥ 1 works).
    pub lane: u32,
    /// CURVE to the brokers ([`OpConfig::new`]: the process's default, off unless set).
    pub curve: Curve,
}

impl OpConfig {
    /// Serve `lane` through `brokers`, with the process's default CURVE settings.
    pub fn new(brokers: Vec<BrokerAddr>, lane: u32) -> OpConfig {
        OpConfig { brokers, lane, curve: Curve::default() }
    }
}

/// A snapshot of an operation node's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpStats {
    /// Well-formed requests received.
    pub requests: u64,
    /// Answers published (values and errors).
    pub replies: u64,
    /// Error answers among them, plus bad classic requests dropped.
    pub errors: u64,
    /// Messages that were not for this lane or not well-formed at all.
    pub ignored: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    replies: AtomicU64,
    errors: AtomicU64,
    ignored: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> OpStats {
        OpStats {
            requests: self.requests.load(Ordering::Relaxed),
            replies: self.replies.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            ignored: self.ignored.load(Ordering::Relaxed),
        }
    }
}

/// One request taken off the wire.
#[derive(Debug, Clone)]
pub struct OpRequest {
    /// Identifies the request in [`OpPull::reply`].
    pub id: u64,
    /// The value as a number.
    pub value: f64,
    /// The value exactly as it arrived (trimmed).
    pub text: String,
    /// The request's tag, `None` for a classic request.
    pub tag: Option<String>,
}

/// The part both styles share: sockets, lane, counters, decoding and answering.
struct Core {
    net: NodeSockets,
    lane: u32,
    result_topic: String,
    counters: Arc<Counters>,
    frames: Vec<Vec<u8>>,
}

enum Decoded {
    Ok(Option<String>, Number),
    Bad(Option<String>, String),
    Ignore,
}

impl Core {
    fn new(cfg: &OpConfig, ctx: &zmq::Context) -> Result<Core> {
        if cfg.lane == 0 {
            return Err(Error::Config("lane must be >= 1".into()));
        }
        let net = NodeSockets::connect(ctx, &cfg.brokers, &[wire::square_request_topic(cfg.lane)], false, &cfg.curve)?;
        Ok(Core {
            net,
            lane: cfg.lane,
            result_topic: wire::square_result_topic(cfg.lane),
            counters: Arc::new(Counters::default()),
            frames: Vec::with_capacity(2),
        })
    }

    /// Read one message (socket must be readable) and classify it.
    fn read(&mut self) -> Result<Decoded> {
        let n = ctx::recv_frames(&self.net.sub, 0, &mut self.frames, 3)?;
        let topic = match self.frames.first().map(|t| wire::parse_topic(t)) {
            Some(Ok(t)) if t.kind == Kind::SquareRequest(self.lane) => t,
            _ => {
                self.counters.ignored.fetch_add(1, Ordering::Relaxed);
                return Ok(Decoded::Ignore);
            }
        };
        let tag = topic.tag.map(str::to_string);
        if n != 2 {
            let e = wire::WireError::Frames { expected: 2, got: n };
            return Ok(Decoded::Bad(tag, e.to_string()));
        }
        match Number::parse(&self.frames[1]) {
            Ok(x) => {
                self.counters.requests.fetch_add(1, Ordering::Relaxed);
                Ok(Decoded::Ok(tag, x))
            }
            Err(e) => Ok(Decoded::Bad(tag, e.to_string())),
        }
    }

    /// Publish an answer. Classic requests with a bad value get no answer (a
    /// classic peer expects a number) but are counted and logged.
    fn answer(&self, tag: Option<&str>, result: std::result::Result<Number, String>) -> Result<()> {
        let topic = wire::with_tag(&self.result_topic, tag);
        match result {
            Ok(y) => self.net.publish(topic.as_bytes(), y.format().as_bytes())?,
            Err(reason) => {
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                let obs = crate::wire::obs::obs_topic(&format!("op.{}", self.lane));
                crate::wire::obs::publish_obs(&self.net.publ, &obs, "refused", tag.unwrap_or(""), &reason);
                log!("op", "lane {}: error for {}: {reason}", self.lane, tag.unwrap_or("classic request"));
                if tag.is_none() {
                    return Ok(());
                }
                self.net.publish(topic.as_bytes(), &wire::error_value(&reason))?;
            }
        }
        self.counters.replies.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// An operation node running on its own thread (`hypobus-op`). The operation
/// is called on that thread. Dropping it stops it.
pub struct OpNode {
    runner: Runner,
    counters: Arc<Counters>,
    lane: u32,
}

impl OpNode {
    /// Connect to the brokers and start serving `cfg.lane` with `op`.
    pub fn start(cfg: OpConfig, mut op: Operation) -> Result<OpNode> {
        let ctx = crate::sys::ctx::context();
        let mut core = Core::new(&cfg, &ctx)?;
        let counters = core.counters.clone();
        let runner = Runner::spawn(&ctx, "hypobus-op", move |stop| loop {
            let mut items = [core.net.sub.as_poll_item(zmq::POLLIN), stop.sock.as_poll_item(zmq::POLLIN)];
            zmq::poll(&mut items, -1)?;
            if items[1].is_readable() {
                return Ok(());
            }
            core.net.refresh()?;
            if items[0].is_readable() {
                // Drain what is queued before polling again.
                for _ in 0..256 {
                    match core.read()? {
                        Decoded::Ok(tag, x) => match op.apply(&x, &stop)? {
                            Applied::Done(r) => core.answer(tag.as_deref(), r)?,
                            Applied::Stop => return Ok(()),
                        },
                        Decoded::Bad(tag, reason) => core.answer(tag.as_deref(), Err(reason))?,
                        Decoded::Ignore => {}
                    }
                    if core.net.sub.poll(zmq::POLLIN, 0)? == 0 {
                        break;
                    }
                }
            }
        })?;
        log!("op", "lane {} serving", cfg.lane);
        Ok(OpNode { runner, counters, lane: cfg.lane })
    }

    /// True while the node's thread runs (false after `stop` or if its loop
    /// ended on an error, which is then logged).
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// The lane served.
    pub fn lane(&self) -> u32 {
        self.lane
    }

    /// Current counters.
    pub fn stats(&self) -> OpStats {
        self.counters.snapshot()
    }

    /// Stop serving, close the sockets and join the thread.
    pub fn stop(&mut self) -> Result<()> {
        self.runner.stop()
    }
}

/// An operation node driven by the caller: `recv` a request, compute, `reply`.
/// Nothing runs in the background; the sockets live in this value.
pub struct OpPull {
    core: Core,
    _ctx: zmq::Context,
    pending: HashMap<u64, Option<String>>,
    next_id: u64,
    /// A request given back with [`OpPull::unrecv`]: returned first.
    held: Option<OpRequest>,
}

/// Requests taken but not yet answered beyond this many are answered with an
/// error, oldest first, so a caller that never replies cannot grow memory.
const MAX_PENDING: usize = 100_000;

impl OpPull {
    /// Connect to the brokers for `cfg.lane`.
    pub fn new(cfg: OpConfig) -> Result<OpPull> {
        let ctx = crate::sys::ctx::context();
        let core = Core::new(&cfg, &ctx)?;
        Ok(OpPull { core, _ctx: ctx, pending: HashMap::new(), next_id: 1, held: None })
    }

    /// Wait up to `timeout_ms` (0 = just look, negative = forever) for the next
    /// well-formed request. Bad requests are answered with an error on the way.
    /// `Ok(None)` means the time ran out.
    pub fn recv(&mut self, timeout_ms: i64) -> Result<Option<OpRequest>> {
        if let Some(r) = self.held.take() {
            self.pending.insert(r.id, r.tag.clone());
            return Ok(Some(r));
        }
        let deadline = (timeout_ms >= 0).then(|| ctx::deadline_in(timeout_ms as u64));
        loop {
            let wait = deadline.map(ctx::ms_until).unwrap_or(-1);
            if self.core.net.sub.poll(zmq::POLLIN, wait)? == 0 {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(None);
                }
                continue;
            }
            match self.core.read()? {
                Decoded::Ok(tag, x) => {
                    let id = self.next_id;
                    self.next_id += 1;
                    if self.pending.len() >= MAX_PENDING {
                        if let Some(&old) = self.pending.keys().min() {
                            let t = self.pending.remove(&old).flatten();
                            self.core.answer(t.as_deref(), Err("operation node overloaded".into()))?;
                        }
                    }
                    self.pending.insert(id, tag.clone());
                    return Ok(Some(OpRequest { id, value: x.value, text: x.format(), tag }));
                }
                Decoded::Bad(tag, reason) => self.core.answer(tag.as_deref(), Err(reason))?,
                Decoded::Ignore => {}
            }
        }
    }

    /// Give back a request just taken with [`OpPull::recv`] (the caller could
    /// not take it, e.g. its buffer was too small): the next `recv` returns it.
    pub fn unrecv(&mut self, r: OpRequest) {
        self.pending.remove(&r.id);
        self.held = Some(r);
    }

    /// True when request `id` was taken with [`OpPull::recv`] and not yet answered.
    pub fn is_pending(&self, id: u64) -> bool {
        self.pending.contains_key(&id)
    }

    /// For waiting on many nodes at once: whether a message is waiting (call
    /// [`OpPull::recv`] with a zero time-out), and the file descriptor that
    /// becomes readable when one arrives (libzmq's `ZMQ_FD`, edge-triggered:
    /// call this again after every wake-up).
    pub fn wait_state(&self) -> Result<(bool, std::os::fd::RawFd)> {
        let readable = self.held.is_some() || self.core.net.sub.get_events()?.contains(zmq::POLLIN);
        Ok((readable, self.core.net.sub.get_fd()?))
    }

    /// Answer request `id` with a value given as decimal text (for example
    /// the exact square of a large integer, which a double would round).
    /// A text that is not a non-negative decimal number is refused
    /// (`Error::Wire`) and the request stays pending.
    pub fn reply_text(&mut self, id: u64, text: &str) -> Result<()> {
        if !self.pending.contains_key(&id) {
            return Err(Error::Config(format!("no pending request with id {id}")));
        }
        let y = Number::parse(text.as_bytes())?;
        self.core.net.refresh()?;
        let tag = self.pending.get(&id).cloned().flatten();
        self.core.answer(tag.as_deref(), Ok(y))?;
        // Taken off only once answered: a failed send leaves it to answer again.
        self.pending.remove(&id);
        Ok(())
    }

    /// Answer request `id` with a value, or with an error reason.
    pub fn reply(&mut self, id: u64, result: std::result::Result<f64, String>) -> Result<()> {
        self.core.net.refresh()?;
        let tag = self.pending.get(&id).cloned().ok_or_else(|| Error::Config(format!("no pending request with id {id}")))?;
        let r = result.and_then(|y| Number::from_f64(y).map_err(|e| format!("operation returned an invalid value: {e}")));
        self.core.answer(tag.as_deref(), r)?;
        // Taken off only once answered: a failed send leaves it to answer again.
        self.pending.remove(&id);
        Ok(())
    }

    /// Current counters.
    pub fn stats(&self) -> OpStats {
        self.core.counters.snapshot()
    }
}
