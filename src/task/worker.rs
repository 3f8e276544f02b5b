//! A task worker: one I/O thread (`hypobus-tw`) talks to the broker
//! (registration, heartbeats, reconnection when the broker goes silent or
//! asks for it), and the work is done either by a bounded pool of handler
//! threads calling a closure ([`TaskWorker::serve`]) or by the caller's own
//! threads ([`TaskWorker::start`], then [`recv`](TaskWorker::recv) /
//! [`reply`](TaskWorker::reply): what the Python and Node bindings use).
//!
//! The worker grants the broker `capacity` requests at a time (its slots)
//! and reports a load with every answer and heartbeat: the share of its
//! slots in use (0..100), or what [`set_load`](TaskWorker::set_load) set.

use super::send_all;
use crate::error::{Error, Result};
use crate::log;
use crate::security::Curve;
use crate::sys::notify::{Notifier, Waiters};
use crate::sys::runner::{Runner, StopSignal};
use crate::wire::task::{self as proto, WORKER};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How a worker starts.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The broker's backend endpoint, e.g. `tcp://127.0.0.1:5571`.
    pub broker: String,
    /// The services served; empty = the default service (the one course clients use).
    pub services: Vec<String>,
    /// Requests held at once: handler threads of [`TaskWorker::serve`],
    /// jobs the caller may hold with [`TaskWorker::recv`].
    pub capacity: u32,
    /// Heartbeat period (the broker's should be the same).
    pub hb_interval: Duration,
    /// Heartbeats missed from the broker before reconnecting.
    pub liveness: u32,
    /// Prefix of the worker's routing id (a random suffix is added); empty = `w`.
    pub name: String,
    /// CURVE to the broker ([`WorkerConfig::new`]: the process's default, off unless set).
    pub curve: Curve,
}

impl WorkerConfig {
    /// A worker of the default service with one slot, 1 s heartbeats.
    pub fn new(broker: &str) -> WorkerConfig {
        WorkerConfig {
            broker: broker.to_string(),
            services: Vec::new(),
            capacity: 1,
            hb_interval: Duration::from_secs(1),
            liveness: 3,
            name: String::new(),
            curve: Curve::default(),
        }
    }
}

/// One request given to the worker.
#[derive(Debug, Clone)]
pub struct Job {
    /// Identifies the job in [`TaskWorker::reply`].
    pub key: u64,
    /// The request's id (the client's).
    pub id: String,
    pub service: String,
    pub body: Vec<u8>,
}

/// A worker's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Requests received.
    pub jobs: u64,
    /// Answers sent (results and errors).
    pub replies: u64,
    /// Error answers among them.
    pub errors: u64,
    /// Jobs of an earlier connection dropped at a reconnection (the broker dispatches them again).
    pub dropped: u64,
    /// Reconnections (the broker was silent or asked for it).
    pub reconnects: u64,
    /// Jobs held now (queued or taken and not answered).
    pub held: u64,
    /// The load reported last.
    pub load: u32,
}

struct Taken {
    token: Vec<u8>,
    session: u64,
}

struct Done {
    token: Vec<u8>,
    session: u64,
    ok: bool,
    body: Vec<u8>,
}

struct State {
    jobs: VecDeque<(Job, Taken)>,
    taken: HashMap<u64, Taken>,
    done: VecDeque<Done>,
    stats: WorkerStats,
    fixed_load: Option<u32>,
    session: u64,
    next_key: u64,
    stopped: bool,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    /// Readable while jobs are queued (for `hb_handle_fd`).
    jobs_fd: Notifier,
    /// Raised when answers are queued (the I/O thread watches it).
    done_fd: Notifier,
    pub(crate) waiters: Waiters,
    capacity: u32,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn load(&self, st: &State) -> u32 {
        st.fixed_load
            .unwrap_or_else(|| ((st.jobs.len() + st.taken.len()) as u64 * 100 / self.capacity.max(1) as u64).min(u32::MAX as u64) as u32)
    }
}

/// A running worker. Dropping it stops it.
pub struct TaskWorker {
    shared: Arc<Shared>,
    runner: Runner,
    pool: Vec<std::thread::JoinHandle<()>>,
}

/// A handler of [`TaskWorker::serve`]: the result, or an error reason sent back to the client.
pub trait Handler: Fn(&Job) -> std::result::Result<Vec<u8>, String> + Send + Sync + 'static {}
impl<F: Fn(&Job) -> std::result::Result<Vec<u8>, String> + Send + Sync + 'static> Handler for F {}

impl TaskWorker {
    /// Connect and register; jobs are taken with [`recv`](TaskWorker::recv).
    pub fn start(cfg: WorkerConfig) -> Result<TaskWorker> {
        if cfg.capacity == 0 || cfg.capacity > 100_000 || cfg.liveness == 0 || cfg.hb_interval.is_zero() {
            return Err(Error::Config("a worker needs 1..=100000 slots, liveness >= 1 and a heartbeat period > 0".into()));
        }
        for s in &cfg.services {
            if !proto::valid_service(s.as_bytes()) {
                return Err(Error::Config(format!("bad service name {s:?} (at most 64 of A-Z a-z 0-9 . _ - : /)")));
            }
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                taken: HashMap::new(),
                done: VecDeque::new(),
                stats: WorkerStats::default(),
                fixed_load: None,
                session: 0,
                next_key: 1,
                stopped: false,
            }),
            cv: Condvar::new(),
            jobs_fd: Notifier::new()?,
            done_fd: Notifier::new()?,
            waiters: Waiters::default(),
            capacity: cfg.capacity,
        });
        let ctx = crate::sys::ctx::context();
        let mut io = Io::new(ctx.clone(), cfg, shared.clone())?;
        io.connect()?;
        let runner = Runner::spawn(&ctx, "hypobus-tw", move |stop| io.run(stop))?;
        Ok(TaskWorker { shared, runner, pool: Vec::new() })
    }

    /// Connect, register, and answer every request with `handler`, called
    /// on `capacity` handler threads of the worker (`hypobus-tw-N`).
    pub fn serve(cfg: WorkerConfig, handler: impl Handler) -> Result<TaskWorker> {
        let n = cfg.capacity;
        let mut w = TaskWorker::start(cfg)?;
        let handler = Arc::new(handler);
        for i in 0..n {
            let shared = w.shared.clone();
            let h = handler.clone();
            let t = std::thread::Builder::new()
                .name(format!("hypobus-tw-{i}"))
                .spawn(move || {
                    crate::sys::runner::block_signals();
                    while let Some(job) = next_job(&shared, None) {
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(&job)))
                            .unwrap_or_else(|_| Err("the handler panicked".to_string()));
                        let _ = answer(&shared, job.key, r);
                    }
                })
                .map_err(|e| Error::Config(format!("cannot start a handler thread: {e}")))?;
            w.pool.push(t);
        }
        Ok(w)
    }

    /// The next job, waiting at most `timeout`; `Ok(None)` when none came.
    /// `Err(Stopped)` once stopped.
    pub fn recv(&self, timeout: Duration) -> Result<Option<Job>> {
        if self.shared.lock().stopped {
            return Err(Error::Stopped);
        }
        Ok(next_job(&self.shared, Some(Instant::now() + timeout)))
    }

    /// The next job if one is queued (never waits).
    pub fn try_recv(&self) -> Option<Job> {
        take_job(&self.shared, &mut self.shared.lock())
    }

    /// Give back a job just taken (the caller could not take it): the next recv returns it.
    pub fn unrecv(&self, job: Job) {
        let mut st = self.shared.lock();
        if let Some(t) = st.taken.remove(&job.key) {
            st.jobs.push_front((job, t));
            self.shared.jobs_fd.poke();
        }
    }

    /// Answer job `key` with a result or an error reason.
    pub fn reply(&self, key: u64, result: std::result::Result<Vec<u8>, String>) -> Result<()> {
        answer(&self.shared, key, result)
    }

    /// Whether job `key` was taken and not answered yet.
    pub fn is_held(&self, key: u64) -> bool {
        self.shared.lock().taken.contains_key(&key)
    }

    /// Report this load (any number; `None`: the share of slots in use, 0..100).
    pub fn set_load(&self, load: Option<u32>) {
        self.shared.lock().fixed_load = load;
    }

    pub fn stats(&self) -> WorkerStats {
        let st = self.shared.lock();
        let mut s = st.stats;
        s.held = (st.jobs.len() + st.taken.len()) as u64;
        s.load = self.shared.load(&st);
        s
    }

    /// Whether a job is queued now, and the descriptor readable while one is.
    pub fn wait_state(&self) -> (bool, std::os::fd::RawFd) {
        (!self.shared.lock().jobs.is_empty(), self.shared.jobs_fd.fd())
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Unregister (DISCONNECT), close the socket, stop the handler threads
    /// (each after the call it is in) and join them.
    pub fn stop(&mut self) -> Result<()> {
        {
            let mut st = self.shared.lock();
            st.stopped = true;
            self.shared.cv.notify_all();
        }
        self.shared.jobs_fd.poke();
        self.shared.waiters.wake_all();
        // The handler threads first (each ends after the call it is in), so
        // that their answers are sent by the loop before it stops.
        for t in self.pool.drain(..) {
            let _ = t.join();
        }
        self.runner.stop()
    }
}

impl Drop for TaskWorker {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn take_job(shared: &Shared, st: &mut State) -> Option<Job> {
    let (job, t) = st.jobs.pop_front()?;
    st.taken.insert(job.key, t);
    if st.jobs.is_empty() {
        shared.jobs_fd.drain();
    }
    Some(job)
}

/// Wait for a job until `deadline` (`None`: until stopped). `None` when
/// stopped or the time ran out.
pub(crate) fn next_job(shared: &Shared, deadline: Option<Instant>) -> Option<Job> {
    let mut st = shared.lock();
    loop {
        if st.stopped {
            return None;
        }
        if let Some(j) = take_job(shared, &mut st) {
            return Some(j);
        }
        st = match deadline {
            None => shared.cv.wait(st).unwrap_or_else(PoisonError::into_inner),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                shared.cv.wait_timeout(st, left).unwrap_or_else(PoisonError::into_inner).0
            }
        };
    }
}

/// Take the next job if one is queued (the C ABI's pull and callback threads).
#[allow(dead_code)] // for src/ffi/task.rs
pub(crate) fn try_job(shared: &Shared) -> Option<Job> {
    take_job(shared, &mut shared.lock())
}

/// Whether the worker was stopped.
#[allow(dead_code)] // for src/ffi/task.rs
pub(crate) fn stopped(shared: &Shared) -> bool {
    shared.lock().stopped
}

#[allow(dead_code)] // for src/ffi/task.rs
pub(crate) fn jobs_fd(shared: &Shared) -> std::os::fd::RawFd {
    shared.jobs_fd.fd()
}

pub(crate) fn answer(shared: &Shared, key: u64, result: std::result::Result<Vec<u8>, String>) -> Result<()> {
    let mut st = shared.lock();
    let t = st.taken.remove(&key).ok_or_else(|| Error::Config(format!("no job {key} is waiting for an answer")))?;
    let (ok, body) = match result {
        Ok(b) => (true, b),
        Err(e) => (false, e.into_bytes()),
    };
    st.done.push_back(Done { token: t.token, session: t.session, ok, body });
    drop(st);
    shared.done_fd.poke();
    Ok(())
}

/// The I/O thread's state.
struct Io {
    ctx: zmq::Context,
    cfg: WorkerConfig,
    shared: Arc<Shared>,
    ident: Vec<u8>,
    sock: Option<zmq::Socket>,
    last_heard: Instant,
    next_hb: Instant,
    frames: Vec<Vec<u8>>,
}

impl Io {
    fn new(ctx: zmq::Context, cfg: WorkerConfig, shared: Arc<Shared>) -> Result<Io> {
        let prefix = if cfg.name.is_empty() { "w" } else { cfg.name.as_str() };
        let ident = format!("{prefix}-{:012x}", proto::random_u64() & 0xffff_ffff_ffff).into_bytes();
        let now = Instant::now();
        Ok(Io { ctx, cfg, shared, ident, sock: None, last_heard: now, next_hb: now, frames: Vec::with_capacity(8) })
    }

    fn services_frame(&self) -> Vec<u8> {
        self.cfg.services.join(",").into_bytes()
    }

    /// (Re)connect and send READY; queued jobs of the old connection are dropped.
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
        let load = {
            let mut st = self.shared.lock();
            st.session += 1;
            let dropped = st.jobs.len() as u64;
            st.jobs.clear();
            st.stats.dropped += dropped;
            self.shared.jobs_fd.drain();
            self.shared.load(&st)
        };
        let services = self.services_frame();
        send_all(&s, &[b"", WORKER, proto::READY, &services, self.cfg.capacity.to_string().as_bytes(), load.to_string().as_bytes()])?;
        self.sock = Some(s);
        let now = Instant::now();
        self.last_heard = now;
        self.next_hb = now + self.cfg.hb_interval;
        Ok(())
    }

    fn reconnect(&mut self, why: &str) -> Result<()> {
        log!("task-worker", "{}: {why}: reconnecting to {}", String::from_utf8_lossy(&self.ident), self.cfg.broker);
        self.sock = None;
        self.shared.lock().stats.reconnects += 1;
        self.connect()
    }

    fn run(mut self, stop: StopSignal) -> Result<()> {
        log!(
            "task-worker",
            "{} serving {} with {} slots at {}",
            String::from_utf8_lossy(&self.ident),
            self.describe(),
            self.cfg.capacity,
            self.cfg.broker
        );
        let r = self.run_loop(&stop);
        // Answers given just before the stop (a handler that finished, a
        // pull-style reply, then free) leave before the goodbye.
        if self.sock.is_some() {
            let _ = self.send_answers();
        }
        if let Some(s) = &self.sock {
            // Let the goodbye leave before the socket closes.
            let _ = s.set_linger(200);
            let _ = send_all(s, &[b"", WORKER, proto::DISCONNECT]);
        }
        r
    }

    fn describe(&self) -> String {
        if self.cfg.services.is_empty() {
            "the default service".into()
        } else {
            format!("services {}", self.cfg.services.join(","))
        }
    }

    fn run_loop(&mut self, stop: &StopSignal) -> Result<()> {
        let life = self.cfg.hb_interval * self.cfg.liveness;
        loop {
            let (readable, done) = {
                let sock = self.sock.as_ref().expect("connected");
                let mut items = [
                    stop.sock.as_poll_item(zmq::POLLIN),
                    sock.as_poll_item(zmq::POLLIN),
                    zmq::PollItem::from_fd(self.shared.done_fd.fd(), zmq::POLLIN),
                ];
                zmq::poll(&mut items, crate::sys::ctx::ms_until(self.next_hb))?;
                if items[0].is_readable() {
                    return Ok(());
                }
                (items[1].is_readable(), items[2].is_readable())
            };
            if readable && self.drain_socket()? {
                self.reconnect("the broker asked to register again")?;
                continue;
            }
            if done {
                self.send_answers()?;
            }
            let now = Instant::now();
            if now >= self.next_hb {
                self.next_hb = now + self.cfg.hb_interval;
                if now.duration_since(self.last_heard) > life {
                    self.reconnect(&format!("the broker was silent for {} ms", life.as_millis()))?;
                    continue;
                }
                let load = {
                    let st = self.shared.lock();
                    self.shared.load(&st)
                };
                if let Some(s) = &self.sock {
                    let _ = send_all(s, &[b"", WORKER, proto::HEARTBEAT, load.to_string().as_bytes()]);
                }
            }
        }
    }

    /// Take in what the broker sent; true when it asked us to register again.
    fn drain_socket(&mut self) -> Result<bool> {
        let mut new_jobs = 0;
        let mut again = false;
        for _ in 0..512 {
            let sock = self.sock.as_ref().expect("connected");
            match crate::sys::ctx::recv_frames(sock, zmq::DONTWAIT, &mut self.frames, 8) {
                Ok(n) => {
                    self.last_heard = Instant::now();
                    let f = &self.frames;
                    if n < 3 || !f[0].is_empty() || f[1] != WORKER {
                        continue;
                    }
                    match &f[2][..] {
                        proto::REQUEST if n == 7 => {
                            let mut st = self.shared.lock();
                            let key = st.next_key;
                            st.next_key += 1;
                            let job = Job {
                                key,
                                id: String::from_utf8_lossy(&f[4]).into_owned(),
                                service: String::from_utf8_lossy(&f[5]).into_owned(),
                                body: std::mem::take(&mut self.frames[6]),
                            };
                            let session = st.session;
                            st.jobs.push_back((job, Taken { token: self.frames[3].clone(), session }));
                            st.stats.jobs += 1;
                            new_jobs += 1;
                        }
                        proto::DISCONNECT => again = true,
                        _ => {}
                    }
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        if new_jobs > 0 {
            self.shared.jobs_fd.poke();
            if new_jobs == 1 {
                self.shared.cv.notify_one();
            } else {
                self.shared.cv.notify_all();
            }
            self.shared.waiters.wake_all();
        }
        Ok(again)
    }

    fn send_answers(&mut self) -> Result<()> {
        let (done, session, load) = {
            let mut st = self.shared.lock();
            self.shared.done_fd.drain();
            let d: Vec<Done> = st.done.drain(..).collect();
            (d, st.session, self.shared.load(&st))
        };
        let load = load.to_string();
        let mut n = 0;
        let mut errors = 0;
        let sock = self.sock.as_ref().expect("connected");
        for d in &done {
            if d.session != session {
                continue; // of an earlier connection: the broker dispatched it again
            }
            let status = if d.ok { proto::OK } else { proto::ERR };
            send_all(sock, &[b"", WORKER, proto::REPLY, &d.token, status, &d.body, load.as_bytes()])?;
            n += 1;
            if !d.ok {
                errors += 1;
            }
        }
        let mut st = self.shared.lock();
        st.stats.replies += n;
        st.stats.errors += errors;
        Ok(())
    }
}
