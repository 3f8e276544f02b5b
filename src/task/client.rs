//! A task client, lazy-pirate style: every request has an id (made here, or
//! the caller's), is resent with the same id when no answer came within
//! `timeout`, on a fresh socket when the broker was silent meanwhile, and
//! gives up after `tries` sends with a clear error. Many requests are in
//! flight at once; each outcome reaches the application exactly once
//! (duplicates are dropped by id). [`fetch`](TaskClient::fetch) asks for
//! the outcome of an id again (after a reconnection, from another process).
//!
//! One I/O thread (`hypobus-tc`) owns the socket; calls hand it commands
//! and take completions from a queue, so nothing the caller does waits for
//! the network.

use super::send_all;
use crate::error::{Error, Result};
use crate::log;
use crate::security::Curve;
use crate::sys::notify::{Notifier, Waiters};
use crate::sys::runner::{Runner, StopSignal};
use crate::wire::task::{self as proto, CLIENT};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How a client starts.
#[derive(Debug, Clone)]
pub struct TaskClientConfig {
    /// The broker's frontend endpoint.
    pub broker: String,
    /// How long one try waits for an answer before the request is sent again.
    pub timeout: Duration,
    /// Sends of one request before it gives up.
    pub tries: u32,
    /// Prefix of the request ids and of the routing id; empty = `c` (a random part is added).
    pub name: String,
    /// CURVE to the broker ([`TaskClientConfig::new`]: the process's default, off unless set).
    pub curve: Curve,
}

impl TaskClientConfig {
    /// 2.5 s per try, 3 tries.
    pub fn new(broker: &str) -> TaskClientConfig {
        TaskClientConfig {
            broker: broker.to_string(),
            timeout: Duration::from_millis(2500),
            tries: 3,
            name: String::new(),
            curve: Curve::default(),
        }
    }
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The worker's result.
    Ok(Vec<u8>),
    /// The task failed: the worker's error, or the broker's (no worker for
    /// the service, attempts used up, overloaded).
    Failed(String),
    /// No answer after the configured tries.
    GaveUp(String),
    /// A fetch of an id the broker does not know.
    Unknown,
}

/// One outcome, with the request's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub id: String,
    pub outcome: Outcome,
}

/// A client's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskClientStats {
    /// Requests and fetches submitted.
    pub submitted: u64,
    /// Sends after the first (time-outs).
    pub resent: u64,
    /// Fresh sockets after a silent broker.
    pub reconnects: u64,
    /// Outcomes delivered to the application.
    pub completed: u64,
    /// Among them: task errors.
    pub failed: u64,
    /// Among them: requests that gave up.
    pub gave_up: u64,
    /// Answers dropped as duplicates (or for ids not waited for).
    pub duplicates: u64,
    /// "Still running" notices from the broker (they restart a request's tries).
    pub pending_notices: u64,
    /// Requests waiting for an outcome now.
    pub in_flight: u64,
}

enum Cmd {
    Request { id: String, service: String, body: Vec<u8> },
    Fetch { id: String },
    Cancel { id: String },
}

struct State {
    cmds: VecDeque<Cmd>,
    done: VecDeque<Completion>,
    stats: TaskClientStats,
    stopped: bool,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    /// Readable while completions are queued.
    done_fd: Notifier,
    /// Raised when commands are queued (the I/O thread watches it).
    cmd_fd: Notifier,
    pub(crate) waiters: Waiters,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A task client. Dropping it stops its thread; outcomes not taken are lost.
pub struct TaskClient {
    shared: Arc<Shared>,
    runner: Mutex<Runner>,
    prefix: String,
    seq: std::sync::atomic::AtomicU64,
    cfg: TaskClientConfig,
}

impl TaskClient {
    pub fn new(cfg: TaskClientConfig) -> Result<TaskClient> {
        if cfg.tries == 0 || cfg.timeout.is_zero() {
            return Err(Error::Config("a client needs tries >= 1 and a time-out > 0".into()));
        }
        let name = if cfg.name.is_empty() { "c" } else { cfg.name.as_str() };
        if !proto::valid_id(name.as_bytes()) || name.len() > 64 {
            return Err(Error::Config(format!("bad client name {name:?} (1-64 printable characters, no space)")));
        }
        let prefix = format!("{name}-{:012x}", proto::random_u64() & 0xffff_ffff_ffff);
        let shared = Arc::new(Shared {
            state: Mutex::new(State { cmds: VecDeque::new(), done: VecDeque::new(), stats: TaskClientStats::default(), stopped: false }),
            cv: Condvar::new(),
            done_fd: Notifier::new()?,
            cmd_fd: Notifier::new()?,
            waiters: Waiters::default(),
        });
        let ctx = crate::sys::ctx::context();
        let mut io = Io {
            ctx: ctx.clone(),
            cfg: cfg.clone(),
            shared: shared.clone(),
            ident: prefix.clone().into_bytes(),
            sock: None,
            pending: HashMap::new(),
            timers: BinaryHeap::new(),
            last_heard: Instant::now(),
            connected_at: Instant::now(),
            frames: Vec::with_capacity(8),
        };
        io.connect()?;
        let runner = Runner::spawn(&ctx, "hypobus-tc", move |stop| io.run(stop))?;
        Ok(TaskClient { shared, runner: Mutex::new(runner), prefix, seq: std::sync::atomic::AtomicU64::new(1), cfg })
    }

    pub fn config(&self) -> &TaskClientConfig {
        &self.cfg
    }

    /// A new request id: `<prefix>-<n>`, unique across clients.
    pub fn new_id(&self) -> String {
        format!("{}-{}", self.prefix, self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    fn push(&self, cmd: Cmd) -> Result<()> {
        let mut st = self.shared.lock();
        if st.stopped {
            return Err(Error::Stopped);
        }
        let was_empty = st.cmds.is_empty();
        if !matches!(cmd, Cmd::Cancel { .. }) {
            st.stats.submitted += 1;
        }
        st.cmds.push_back(cmd);
        drop(st);
        if was_empty {
            self.shared.cmd_fd.poke();
        }
        Ok(())
    }

    /// Submit a request for `service` (`""` = the default service); returns its id.
    pub fn submit(&self, service: &str, body: &[u8]) -> Result<String> {
        let id = self.new_id();
        self.submit_with_id(&id, service, body)?;
        Ok(id)
    }

    /// Submit a request with the caller's id (1 to 128 printable ASCII
    /// characters, no space; unique: a known id gets the known outcome).
    pub fn submit_with_id(&self, id: &str, service: &str, body: &[u8]) -> Result<()> {
        check_id(id)?;
        if !proto::valid_service(service.as_bytes()) {
            return Err(Error::Config(format!("bad service name {service:?} (at most 64 of A-Z a-z 0-9 . _ - : /)")));
        }
        if body.len() > proto::MAX_BODY {
            return Err(Error::Config(format!("a request body holds at most {} bytes, not {}", proto::MAX_BODY, body.len())));
        }
        self.push(Cmd::Request { id: id.to_string(), service: service.to_string(), body: body.to_vec() })
    }

    /// Ask for the outcome of request `id` (sent earlier, maybe by another
    /// client): it arrives like any other (`Outcome::Unknown` if the broker
    /// does not know the id), waiting for the request if it still runs.
    pub fn fetch(&self, id: &str) -> Result<()> {
        check_id(id)?;
        self.push(Cmd::Fetch { id: id.to_string() })
    }

    /// Give up on request `id`: its outcome, if it comes, is dropped (the
    /// broker still finishes it and keeps the result for a fetch).
    pub fn cancel(&self, id: &str) {
        let _ = self.push(Cmd::Cancel { id: id.to_string() });
        let mut st = self.shared.lock();
        take_id(&mut st.done, id);
        if st.done.is_empty() {
            self.shared.done_fd.drain();
        }
    }

    /// The next completion, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Completion> {
        self.wait_for(timeout, |done| done.pop_front())
    }

    /// The completion of `id`, waiting at most `timeout` (others stay queued).
    pub fn next_of(&self, id: &str, timeout: Duration) -> Option<Completion> {
        self.wait_for(timeout, |done| take_id(done, id))
    }

    fn wait_for(&self, timeout: Duration, mut pick: impl FnMut(&mut VecDeque<Completion>) -> Option<Completion>) -> Option<Completion> {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            if let Some(c) = pick(&mut st.done) {
                if st.done.is_empty() {
                    self.shared.done_fd.drain();
                }
                return Some(c);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || st.stopped {
                return None;
            }
            st = self.shared.cv.wait_timeout(st, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Submit and wait for the outcome: the result, `Error::Remote` for a
    /// failed task, `Error::Timeout` when it gave up or `timeout` passed.
    pub fn request(&self, service: &str, body: &[u8], timeout: Duration) -> Result<Vec<u8>> {
        let id = self.submit(service, body)?;
        match self.next_of(&id, timeout) {
            Some(c) => c.outcome.into_result(),
            None => Err(Error::Timeout(timeout.as_millis() as u64)),
        }
    }

    /// Take a completion now, the first one `pick` chooses (the C ABI's steps).
    pub(crate) fn take_with(&self, pick: impl FnOnce(&mut VecDeque<Completion>) -> Option<Completion>) -> Option<Completion> {
        let mut st = self.shared.lock();
        let c = pick(&mut st.done);
        if st.done.is_empty() {
            self.shared.done_fd.drain();
        }
        c
    }

    /// Put a completion back in front (the caller could not take it).
    pub(crate) fn untake(&self, c: Completion) {
        self.shared.lock().done.push_front(c);
        self.shared.done_fd.poke();
    }

    /// Private wake-ups for the C ABI's waits (raised on every completion).
    pub(crate) fn shared_waiters(&self) -> &Waiters {
        &self.shared.waiters
    }

    /// Whether a completion is queued, and the descriptor readable while one is.
    pub fn wait_state(&self) -> (bool, std::os::fd::RawFd) {
        (!self.shared.lock().done.is_empty(), self.shared.done_fd.fd())
    }

    pub fn stats(&self) -> TaskClientStats {
        self.shared.lock().stats
    }

    pub fn is_running(&self) -> bool {
        self.runner.lock().unwrap_or_else(PoisonError::into_inner).is_running()
    }

    /// Stop the thread and close the socket (requests in flight are abandoned).
    pub fn stop(&mut self) -> Result<()> {
        self.shutdown()
    }

    /// [`stop`](TaskClient::stop) through a shared reference.
    pub(crate) fn shutdown(&self) -> Result<()> {
        {
            let mut st = self.shared.lock();
            st.stopped = true;
            self.shared.cv.notify_all();
        }
        self.shared.waiters.wake_all();
        self.shared.done_fd.poke();
        self.runner.lock().unwrap_or_else(PoisonError::into_inner).stop()
    }
}

impl Drop for TaskClient {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl Outcome {
    /// The result, or the outcome as an error.
    pub fn into_result(self) -> Result<Vec<u8>> {
        match self {
            Outcome::Ok(b) => Ok(b),
            Outcome::Failed(why) => Err(Error::Remote(why)),
            Outcome::GaveUp(why) => Err(Error::Remote(why)),
            Outcome::Unknown => Err(Error::Remote("the broker knows no request with this id".into())),
        }
    }
}

fn check_id(id: &str) -> Result<()> {
    if !proto::valid_id(id.as_bytes()) {
        return Err(Error::Config(format!("bad request id {id:?} (1-128 printable ASCII characters, no space)")));
    }
    Ok(())
}

pub(crate) fn take_id(done: &mut VecDeque<Completion>, id: &str) -> Option<Completion> {
    let i = done.iter().position(|c| c.id == id)?;
    done.remove(i)
}

struct Pending {
    fetch: bool,
    service: String,
    body: Vec<u8>,
    tries: u32,
    due: Instant,
}

struct Io {
    ctx: zmq::Context,
    cfg: TaskClientConfig,
    shared: Arc<Shared>,
    ident: Vec<u8>,
    sock: Option<zmq::Socket>,
    pending: HashMap<String, Pending>,
    timers: BinaryHeap<Reverse<(Instant, String)>>,
    last_heard: Instant,
    connected_at: Instant,
    frames: Vec<Vec<u8>>,
}

impl Io {
    fn connect(&mut self) -> Result<()> {
        let s = self.ctx.socket(zmq::DEALER)?;
        crate::sys::ctx::tune(&s)?;
        s.set_identity(&self.ident)?;
        s.set_reconnect_ivl(100)?;
        s.set_reconnect_ivl_max(1000)?;
        if self.cfg.broker.contains('[') {
            s.set_ipv6(true)?;
        }
        if self.cfg.curve.server_key.is_some() {
            self.cfg.curve.connect_with(&s, &self.cfg.curve.client_keys()?, None)?;
        }
        crate::sys::ctx::no_eintr(|| s.connect(&self.cfg.broker))
            .map_err(|e| Error::Config(format!("cannot connect to the broker at {}: {e}", self.cfg.broker)))?;
        self.sock = Some(s);
        self.connected_at = Instant::now();
        Ok(())
    }

    fn run(mut self, stop: StopSignal) -> Result<()> {
        loop {
            let next = self.timers.peek().map(|Reverse((t, _))| *t);
            let (readable, cmds) = {
                let sock = self.sock.as_ref().expect("connected");
                let mut items = [
                    stop.sock.as_poll_item(zmq::POLLIN),
                    sock.as_poll_item(zmq::POLLIN),
                    zmq::PollItem::from_fd(self.shared.cmd_fd.fd(), zmq::POLLIN),
                ];
                zmq::poll(&mut items, next.map_or(-1, crate::sys::ctx::ms_until))?;
                if items[0].is_readable() {
                    return Ok(());
                }
                (items[1].is_readable(), items[2].is_readable())
            };
            if cmds {
                self.take_cmds()?;
            }
            if readable {
                self.drain()?;
            }
            self.on_timers()?;
        }
    }

    fn send(&self, id: &str, p: &Pending) -> Result<()> {
        let s = self.sock.as_ref().expect("connected");
        if p.fetch {
            send_all(s, &[b"", CLIENT, proto::FETCH, id.as_bytes()])
        } else {
            send_all(s, &[b"", CLIENT, proto::REQUEST, id.as_bytes(), p.service.as_bytes(), &p.body])
        }
    }

    fn take_cmds(&mut self) -> Result<()> {
        let cmds: Vec<Cmd> = {
            let mut st = self.shared.lock();
            self.shared.cmd_fd.drain();
            st.cmds.drain(..).collect()
        };
        let due = Instant::now() + self.cfg.timeout;
        for c in cmds {
            let (id, p) = match c {
                Cmd::Request { id, service, body } => (id, Pending { fetch: false, service, body, tries: 1, due }),
                Cmd::Fetch { id } => (id, Pending { fetch: true, service: String::new(), body: Vec::new(), tries: 1, due }),
                Cmd::Cancel { id } => {
                    self.pending.remove(&id);
                    continue;
                }
            };
            self.send(&id, &p)?;
            self.timers.push(Reverse((due, id.clone())));
            self.pending.insert(id, p);
        }
        self.shared.lock().stats.in_flight = self.pending.len() as u64;
        Ok(())
    }

    fn drain(&mut self) -> Result<()> {
        let mut out = Vec::new();
        let (mut dups, mut notices) = (0, 0);
        for _ in 0..1024 {
            let sock = self.sock.as_ref().expect("connected");
            match crate::sys::ctx::recv_frames(sock, zmq::DONTWAIT, &mut self.frames, 8) {
                Ok(n) => {
                    self.last_heard = Instant::now();
                    let f = &mut self.frames;
                    if n != 6 || !f[0].is_empty() || f[1] != CLIENT || f[2] != proto::REPLY {
                        continue;
                    }
                    let id = String::from_utf8_lossy(&f[3]).into_owned();
                    let outcome = match &f[4][..] {
                        proto::OK => Outcome::Ok(std::mem::take(&mut f[5])),
                        proto::ERR => Outcome::Failed(String::from_utf8_lossy(&f[5]).into_owned()),
                        proto::UNKNOWN => Outcome::Unknown,
                        proto::PENDING => {
                            if let Some(p) = self.pending.get_mut(&id) {
                                // The broker has it and is alive: its tries start again.
                                p.tries = 1;
                                p.due = Instant::now() + self.cfg.timeout;
                                self.timers.push(Reverse((p.due, id)));
                                notices += 1;
                            }
                            continue;
                        }
                        _ => continue,
                    };
                    if self.pending.remove(&id).is_some() {
                        out.push(Completion { id, outcome });
                    } else {
                        dups += 1;
                    }
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        self.deliver(out, dups, notices);
        Ok(())
    }

    fn deliver(&mut self, out: Vec<Completion>, dups: u64, notices: u64) {
        let mut st = self.shared.lock();
        st.stats.duplicates += dups;
        st.stats.pending_notices += notices;
        st.stats.in_flight = self.pending.len() as u64;
        if out.is_empty() {
            return;
        }
        for c in out {
            st.stats.completed += 1;
            match c.outcome {
                Outcome::Failed(_) => st.stats.failed += 1,
                Outcome::GaveUp(_) => st.stats.gave_up += 1,
                _ => {}
            }
            st.done.push_back(c);
        }
        drop(st);
        self.shared.done_fd.poke();
        self.shared.cv.notify_all();
        self.shared.waiters.wake_all();
    }

    fn on_timers(&mut self) -> Result<()> {
        let now = Instant::now();
        let mut resend = Vec::new();
        let mut gave_up = Vec::new();
        while let Some(Reverse((t, _))) = self.timers.peek() {
            if *t > now {
                break;
            }
            let Some(Reverse((t, id))) = self.timers.pop() else { break };
            let Some(p) = self.pending.get_mut(&id) else { continue };
            if p.due != t {
                continue; // a stale timer entry
            }
            if p.tries >= self.cfg.tries {
                gave_up.push(id);
            } else {
                p.tries += 1;
                p.due = now + self.cfg.timeout;
                self.timers.push(Reverse((p.due, id.clone())));
                resend.push(id);
            }
        }
        if !resend.is_empty() {
            // Lazy pirate: a broker silent for a whole try gets a fresh socket.
            let silent =
                now.duration_since(self.last_heard) >= self.cfg.timeout && now.duration_since(self.connected_at) >= self.cfg.timeout;
            if silent {
                log!(
                    "task-client",
                    "{}: no answer from {} for {} ms: reconnecting",
                    String::from_utf8_lossy(&self.ident),
                    self.cfg.broker,
                    self.cfg.timeout.as_millis()
                );
                self.sock = None;
                self.connect()?;
                self.shared.lock().stats.reconnects += 1;
            }
            for id in &resend {
                if let Some(p) = self.pending.get(id) {
                    self.send(id, p)?;
                }
            }
            self.shared.lock().stats.resent += resend.len() as u64;
        }
        if !gave_up.is_empty() {
            let why = format!(
                "no answer from the broker at {} after {} tries of {} ms",
                self.cfg.broker,
                self.cfg.tries,
                self.cfg.timeout.as_millis()
            );
            let out: Vec<Completion> = gave_up
                .into_iter()
                .filter_map(|id| self.pending.remove(&id).map(|_| Completion { id, outcome: Outcome::GaveUp(why.clone()) }))
                .collect();
            self.deliver(out, 0, 0);
        }
        Ok(())
    }
}
