//! The task broker: a ROUTER frontend for clients, a ROUTER backend for
//! workers, one thread (`hypobus-task`) that routes between them.
//!
//! * **Dispatch**: one ready structure per service (the empty name is the
//!   default service, what course workers serve): a queue of ready workers
//!   (`lru`, the course's router/router broker) or a min-heap keyed by the
//!   load workers report (`load`); requests wait in a queue per service
//!   while no worker is ready.
//! * **Fault tolerance**: every dispatch has an answer time-out; when it
//!   fires the request goes to another worker and the late answer of the
//!   first is dropped (each dispatch has its own token, and only the
//!   current token's answer counts). Workers of our protocol heartbeat both
//!   ways; a silent one is purged from every queue and its requests are
//!   dispatched again at once.
//! * **Durability**: requests and results are journaled in a
//!   [`TaskStore`]; answers leave for clients only after the batch that
//!   recorded them is committed. At start the broker takes up every
//!   unfinished request of its journal.
//! * **Peering**: brokers publish their spare capacity per service, and a
//!   broker with no ready worker for a request passes it to a live peer that
//!   has some (as a client of the peer's frontend); a peer silent for
//!   `liveness` periods counts as capacity 0 and the requests it held are
//!   dispatched again here.

mod clients;
mod dispatch;
mod peers;
mod timers;
mod workers;

use crate::error::{Error, Result};
use crate::log;
use crate::security::{Authenticator, Curve};
use crate::sys::runner::{Runner, StopSignal};
use crate::task::store::{Known, StoreConfig, StoredResult, StoredTask, TaskStore};
use crate::task::FxMap;
use crate::wire::task::{self as proto, CLIENT, WORKER};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How a broker picks a worker among the ready ones of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Least recently used: the course's router/router broker (a queue of ready workers).
    #[default]
    Lru,
    /// The ready worker reporting the least load (a min-heap; ties: least recently used).
    Load,
}

impl Policy {
    pub fn parse(s: &str) -> Result<Policy> {
        match s {
            "lru" => Ok(Policy::Lru),
            "load" => Ok(Policy::Load),
            _ => Err(Error::Config(format!("unknown dispatch policy {s:?} (lru or load)"))),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Policy::Lru => "lru",
            Policy::Load => "load",
        }
    }
}

/// Peering: where this broker publishes its capacity, and its peers.
#[derive(Debug, Clone, Default)]
pub struct PeeringConfig {
    /// PUB endpoint to bind for the capacity publication.
    pub state: String,
    /// Each peer: (its capacity publication endpoint, its frontend endpoint).
    pub peers: Vec<(String, String)>,
    /// Period of the publication (and of the peers': a peer silent for
    /// `liveness` × this counts as capacity 0).
    pub interval: Duration,
}

/// How a task broker starts.
#[derive(Debug, Clone)]
pub struct TaskBrokerConfig {
    /// Endpoint to bind for clients (ROUTER).
    pub frontend: String,
    /// Endpoint to bind for workers (ROUTER).
    pub backend: String,
    pub policy: Policy,
    /// How long a dispatched request may stay unanswered before it goes to
    /// another worker.
    pub answer_timeout: Duration,
    /// Dispatches of one request before it fails with an error.
    pub max_attempts: u32,
    /// Heartbeat period toward workers (and expected from them).
    pub hb_interval: Duration,
    /// Missed heartbeats before a worker (or a peer) counts as dead.
    pub liveness: u32,
    /// How long a request for a service that no worker serves waits for one
    /// before it is answered with an error.
    pub service_wait: Duration,
    /// Requests waiting or running at most; beyond, new ones get an error.
    pub max_pending: usize,
    pub store: StoreConfig,
    /// The broker's name (in logs, in its capacity publication, as its
    /// routing id toward peers); empty = `task-<pid>`.
    pub name: String,
    pub peering: Option<PeeringConfig>,
    /// CURVE on the bound endpoints and the links to peers (which share
    /// the broker's certificate, as a failover pair does). Default: the
    /// process's default, off unless set.
    pub curve: Curve,
}

impl Default for TaskBrokerConfig {
    fn default() -> Self {
        TaskBrokerConfig {
            frontend: "tcp://127.0.0.1:*".into(),
            backend: "tcp://127.0.0.1:*".into(),
            policy: Policy::Lru,
            answer_timeout: Duration::from_secs(5),
            max_attempts: 5,
            hb_interval: Duration::from_secs(1),
            liveness: 3,
            service_wait: Duration::from_secs(5),
            max_pending: 1_000_000,
            store: StoreConfig::Memory,
            name: String::new(),
            peering: None,
            curve: Curve::default(),
        }
    }
}

/// A task broker's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskBrokerStats {
    /// Requests accepted (new ids).
    pub requests: u64,
    /// Requests taken up from the journal at start.
    pub recovered: u64,
    /// Resends and fetches of known ids (answered from the journal, or "pending").
    pub resends: u64,
    /// Results sent to clients (first answers and repeats).
    pub replies: u64,
    /// Requests that ended with an error (worker error, no worker, attempts exhausted).
    pub errors: u64,
    /// Dispatches to workers.
    pub dispatched: u64,
    /// Dispatches whose answer did not come in time (the request went to another worker).
    pub timeouts: u64,
    /// Answers dropped because their dispatch was no longer current (late, or of a purged worker).
    pub late: u64,
    /// Worker registrations.
    pub registered: u64,
    /// Workers purged for silence.
    pub purged: u64,
    /// Workers registered now.
    pub workers: u64,
    /// Requests waiting or running now.
    pub pending: u64,
    /// Requests passed to peers.
    pub forwarded: u64,
    /// Requests that came from peers.
    pub from_peers: u64,
    /// Malformed messages dropped.
    pub malformed: u64,
    /// Journal commits (batches of writes; 0 with the memory store).
    pub commits: u64,
}

/// The endpoints a broker bound (wildcards resolved).
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub frontend: String,
    pub backend: String,
    pub state: Option<String>,
}

/// A running task broker. Dropping it stops it.
pub struct TaskBroker {
    runner: Runner,
    stats: Arc<Mutex<TaskBrokerStats>>,
    endpoints: Endpoints,
    name: String,
    /// The ZAP authenticator of a CURVE allow-list (in `ctx`).
    auth: Option<Authenticator>,
    /// The broker's own ZeroMQ context (`None`: it shares the process's,
    /// because an endpoint is `inproc://`). Last field: dropped after the
    /// runner has stopped and closed the sockets, its termination waits
    /// until the listening ports are really closed, so a broker started
    /// again at once on the same ports binds them.
    ctx: Option<zmq::Context>,
}

impl TaskBroker {
    /// Bind the sockets, open the journal, take up its unfinished requests
    /// and start routing on a thread of its own.
    pub fn start(cfg: TaskBrokerConfig) -> Result<TaskBroker> {
        if cfg.max_attempts == 0 || cfg.liveness == 0 || cfg.hb_interval.is_zero() || cfg.answer_timeout.is_zero() {
            return Err(Error::Config("max_attempts, liveness, hb_interval and answer_timeout must be > 0".into()));
        }
        let inproc = [&cfg.frontend, &cfg.backend]
            .into_iter()
            .chain(cfg.peering.iter().flat_map(|p| std::iter::once(&p.state).chain(p.peers.iter().flat_map(|(a, b)| [a, b]))))
            .any(|e| e.starts_with("inproc://"));
        let ctx = if inproc { crate::sys::ctx::context() } else { zmq::Context::new() };
        let name = if cfg.name.is_empty() { format!("task-{}", std::process::id()) } else { cfg.name.clone() };
        if !proto::valid_id(name.as_bytes()) {
            return Err(Error::Config(format!("bad broker name {name:?} (1-128 printable characters, no space)")));
        }
        let store = cfg.store.open()?;
        let auth = cfg.curve.authenticator(&ctx)?;
        let mut core = Core::new(&ctx, cfg, name.clone(), store)?;
        let endpoints = core.endpoints()?;
        let stats = core.shared.clone();
        let recovered = core.recover()?;
        log!(
            "task-broker",
            "{name} ready: frontend {} backend {} policy {} store {}{}",
            endpoints.frontend,
            endpoints.backend,
            core.cfg.policy.name(),
            core.store.describe(),
            if recovered > 0 { format!(", {recovered} unfinished requests taken up") } else { String::new() }
        );
        let runner = Runner::spawn(&ctx, "hypobus-task", move |stop| core.run(stop))?;
        Ok(TaskBroker { runner, stats, endpoints, name, auth, ctx: (!inproc).then_some(ctx) })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn stats(&self) -> TaskBrokerStats {
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Stop routing: commit the journal, close the sockets, join the thread;
    /// when it returns, the broker's ports are free again.
    pub fn stop(&mut self) -> Result<()> {
        let r = self.runner.stop();
        if let Some(mut a) = self.auth.take() {
            let _ = a.stop();
        }
        // Dropping the last handle terminates the context, which waits
        // until its sockets are really closed (not `Context::destroy`: the
        // zmq crate would terminate it again on drop).
        drop(self.ctx.take());
        r
    }
}

// ------------------------------------------------------------ the core

type WKey = u64;
type RKey = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Classic,
    Ours,
}

struct Worker {
    ident: Vec<u8>,
    kind: Kind,
    services: Vec<String>,
    /// Requests it can take now.
    credit: u32,
    load: u32,
    /// Dispatch tokens it holds: `Some(request)` current, `None` abandoned (timed out).
    inflight: FxMap<u64, Option<RKey>>,
    /// Purged when nothing is heard from it by then (our workers only).
    expires: Option<Instant>,
    /// Bumped whenever its place in the ready structures changes: entries
    /// with an older epoch are stale.
    epoch: u64,
}

enum Ready {
    Lru(VecDeque<(WKey, u64)>),
    Load(BinaryHeap<Reverse<(u32, u64, WKey, u64)>>),
}

struct Service {
    ready: Ready,
    waiting: VecDeque<RKey>,
    /// Workers registered for it now.
    workers: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Queued,
    Running { worker: WKey, token: u64 },
    Forwarded { peer: usize, token: u64 },
}

struct Req {
    id: String,
    service: String,
    body: Vec<u8>,
    route: Vec<u8>,
    classic: bool,
    from_peer: bool,
    state: State,
    attempts: u32,
    /// The worker whose answer timed out last: another one is preferred.
    avoid: Option<WKey>,
}

struct Peer {
    state_ep: String,
    frontend_ep: String,
    sub: zmq::Socket,
    dealer: zmq::Socket,
    name: Option<String>,
    /// Free capacity per service, as last published (lowered as we pass requests).
    capacity: HashMap<String, u32>,
    last_heard: Option<Instant>,
    alive: bool,
}

/// Timer kinds (in the timer heap with the request and the dispatch token).
const T_ANSWER: u8 = 0;
const T_SERVICE: u8 = 1;

struct Core {
    cfg: TaskBrokerConfig,
    name: String,
    frontend: zmq::Socket,
    backend: zmq::Socket,
    state_pub: Option<zmq::Socket>,
    peers: Vec<Peer>,
    store: Box<dyn TaskStore>,
    shared: Arc<Mutex<TaskBrokerStats>>,
    st: TaskBrokerStats,
    epoch_tag: String,
    next_token: u64,
    next_key: u64,
    next_classic: u64,
    workers: FxMap<WKey, Worker>,
    by_ident: FxMap<Vec<u8>, WKey>,
    services: FxMap<String, Service>,
    reqs: FxMap<RKey, Req>,
    by_id: FxMap<String, RKey>,
    /// (when, kind, request, dispatch token).
    timers: BinaryHeap<Reverse<(Instant, u8, RKey, u64)>>,
    /// Frontend messages to send after the next commit.
    outbox: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    /// New requests of the current drain, journaled together at its end.
    staged: Vec<StoredTask>,
    staged_from_peer: Vec<bool>,
    /// Set while the journal cannot commit (a store that keeps its batch):
    /// when to try again. Answers are held meanwhile.
    commit_retry: Option<Instant>,
    next_hb: Instant,
    next_state: Instant,
    frames: Vec<Vec<u8>>,
}

fn bind_router(ctx: &zmq::Context, ep: &str, what: &str, curve: &Curve) -> Result<zmq::Socket> {
    let s = ctx.socket(zmq::ROUTER)?;
    crate::sys::ctx::tune(&s)?;
    curve.serve(&s)?;
    s.set_router_handover(true)?;
    if ep.contains('[') {
        s.set_ipv6(true)?;
    }
    crate::sys::ctx::no_eintr(|| s.bind(ep)).map_err(|e| Error::Config(format!("cannot bind the {what} endpoint {ep}: {e}")))?;
    Ok(s)
}

fn last_ep(s: &zmq::Socket) -> Result<String> {
    Ok(s.get_last_endpoint()?.unwrap_or_default())
}

/// Messages taken from one socket before the loop looks at the others.
const BATCH: usize = 512;

/// How often a journal that cannot commit is tried again.
const COMMIT_RETRY: Duration = Duration::from_millis(200);

impl Core {
    fn new(ctx: &zmq::Context, cfg: TaskBrokerConfig, name: String, store: Box<dyn TaskStore>) -> Result<Core> {
        let frontend = bind_router(ctx, &cfg.frontend, "frontend", &cfg.curve)?;
        let backend = bind_router(ctx, &cfg.backend, "backend", &cfg.curve)?;
        // Peers share the broker's certificate: its own key is theirs.
        let peer_key = cfg.curve.server_key.clone().or_else(|| cfg.curve.keys.as_ref().map(|k| k.public.clone()));
        let peer_keys = peer_key.as_ref().map(|_| cfg.curve.client_keys()).transpose()?;
        let mut state_pub = None;
        let mut peers = Vec::new();
        if let Some(p) = &cfg.peering {
            if p.interval.is_zero() {
                return Err(Error::Config("the peering interval must be > 0".into()));
            }
            let s = ctx.socket(zmq::PUB)?;
            crate::sys::ctx::tune(&s)?;
            cfg.curve.serve(&s)?;
            crate::sys::ctx::no_eintr(|| s.bind(&p.state))
                .map_err(|e| Error::Config(format!("cannot bind the peering state endpoint {}: {e}", p.state)))?;
            state_pub = Some(s);
            for (state_ep, frontend_ep) in &p.peers {
                let sub = ctx.socket(zmq::SUB)?;
                crate::sys::ctx::tune(&sub)?;
                sub.set_subscribe(proto::PEER)?;
                if let Some(k) = &peer_keys {
                    cfg.curve.connect_with(&sub, k, peer_key.as_deref())?;
                }
                crate::sys::ctx::no_eintr(|| sub.connect(state_ep))
                    .map_err(|e| Error::Config(format!("peer state endpoint {state_ep}: {e}")))?;
                let dealer = ctx.socket(zmq::DEALER)?;
                crate::sys::ctx::tune(&dealer)?;
                dealer.set_identity(format!("{name}.{:x}", proto::random_u64() as u32).as_bytes())?;
                dealer.set_reconnect_ivl(100)?;
                dealer.set_reconnect_ivl_max(1000)?;
                if let Some(k) = &peer_keys {
                    cfg.curve.connect_with(&dealer, k, peer_key.as_deref())?;
                }
                crate::sys::ctx::no_eintr(|| dealer.connect(frontend_ep))
                    .map_err(|e| Error::Config(format!("peer frontend endpoint {frontend_ep}: {e}")))?;
                peers.push(Peer {
                    state_ep: state_ep.clone(),
                    frontend_ep: frontend_ep.clone(),
                    sub,
                    dealer,
                    name: None,
                    capacity: HashMap::new(),
                    last_heard: None,
                    alive: false,
                });
            }
        }
        let now = Instant::now();
        Ok(Core {
            name,
            frontend,
            backend,
            state_pub,
            peers,
            store,
            shared: Arc::new(Mutex::new(TaskBrokerStats::default())),
            st: TaskBrokerStats::default(),
            epoch_tag: format!("{:08x}", proto::random_u64() as u32),
            next_token: 1,
            next_key: 1,
            next_classic: 1,
            workers: FxMap::default(),
            by_ident: FxMap::default(),
            services: FxMap::default(),
            reqs: FxMap::default(),
            by_id: FxMap::default(),
            timers: BinaryHeap::new(),
            outbox: Vec::new(),
            staged: Vec::new(),
            staged_from_peer: Vec::new(),
            commit_retry: None,
            next_hb: now + cfg.hb_interval,
            next_state: now,
            frames: Vec::with_capacity(8),
            cfg,
        })
    }

    fn endpoints(&self) -> Result<Endpoints> {
        Ok(Endpoints {
            frontend: last_ep(&self.frontend)?,
            backend: last_ep(&self.backend)?,
            state: self.state_pub.as_ref().map(last_ep).transpose()?,
        })
    }

    fn publish_stats(&mut self) {
        self.st.workers = self.workers.len() as u64;
        self.st.pending = self.reqs.len() as u64;
        *self.shared.lock().unwrap_or_else(PoisonError::into_inner) = self.st;
    }

    /// Queue a journaled request for dispatch.
    fn queue_task(&mut self, t: StoredTask, from_peer: bool) {
        let key = self.add_req(Req {
            id: t.id,
            service: t.service,
            body: t.body,
            route: t.route,
            classic: t.classic,
            from_peer,
            state: State::Queued,
            attempts: 0,
            avoid: None,
        });
        self.enqueue(key, false);
    }

    /// Take up the journal's unfinished requests.
    fn recover(&mut self) -> Result<u64> {
        let tasks = self.store.unfinished()?;
        let n = tasks.len() as u64;
        for t in tasks {
            self.queue_task(t, false);
        }
        self.st.recovered = n;
        self.publish_stats();
        Ok(n)
    }

    fn run(mut self, stop: StopSignal) -> Result<()> {
        let r = self.run_loop(&stop);
        let c = self.store.commit().map(|_| ());
        if c.is_ok() {
            self.flush_outbox();
        }
        self.publish_stats();
        r.and(c)
    }

    fn run_loop(&mut self, stop: &StopSignal) -> Result<()> {
        loop {
            let timeout = self.next_wake().map_or(-1, crate::sys::ctx::ms_until);
            let n = 3 + 2 * self.peers.len();
            let mut items = Vec::with_capacity(n);
            items.push(stop.sock.as_poll_item(zmq::POLLIN));
            items.push(self.frontend.as_poll_item(zmq::POLLIN));
            items.push(self.backend.as_poll_item(zmq::POLLIN));
            for p in &self.peers {
                items.push(p.sub.as_poll_item(zmq::POLLIN));
                items.push(p.dealer.as_poll_item(zmq::POLLIN));
            }
            zmq::poll(&mut items, timeout)?;
            let ready: Vec<bool> = items.iter().map(|i| i.is_readable()).collect();
            drop(items);
            if ready[0] {
                return Ok(());
            }
            if ready[2] {
                self.drain_backend()?;
            }
            if ready[1] {
                self.drain_frontend()?;
            }
            for i in 0..self.peers.len() {
                if ready[3 + 2 * i] {
                    self.drain_peer_state(i)?;
                }
                if ready[4 + 2 * i] {
                    self.drain_peer_replies(i)?;
                }
            }
            self.on_timers()?;
            self.commit()?;
        }
    }

    /// Commit the journal, publish the counters, then send the answers it
    /// holds (counters first: a client that has its answer sees it counted).
    /// A store that keeps a failed batch (a database server gone) is tried
    /// again every [`COMMIT_RETRY`], the answers held until it commits.
    fn commit(&mut self) -> Result<()> {
        let now = Instant::now();
        if self.commit_retry.is_some_and(|at| now < at) {
            self.publish_stats();
            return Ok(());
        }
        match self.store.commit() {
            Ok(wrote) => {
                if wrote {
                    self.st.commits += 1;
                }
                if self.commit_retry.take().is_some() {
                    log!("task-broker", "{}: journal commits again; {} held answers sent", self.name, self.outbox.len());
                }
                self.publish_stats();
                self.flush_outbox();
                Ok(())
            }
            Err(e) if self.store.keeps_failed_batch() => {
                if self.commit_retry.is_none() {
                    log!("task-broker", "{}: journal commit failed, answers held, trying again: {e}", self.name);
                }
                self.commit_retry = Some(now + COMMIT_RETRY);
                self.publish_stats();
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn next_wake(&self) -> Option<Instant> {
        let mut t = self.next_hb;
        if let Some(Reverse((at, ..))) = self.timers.peek() {
            t = t.min(*at);
        }
        if self.state_pub.is_some() {
            t = t.min(self.next_state);
        }
        if let Some(at) = self.commit_retry {
            t = t.min(at);
        }
        Some(t)
    }

    // -------------------------------------------------------- frontend
}

fn send_all(s: &zmq::Socket, frames: &[&[u8]]) -> Result<()> {
    let last = frames.len() - 1;
    for (i, f) in frames.iter().enumerate() {
        s.send(*f, if i < last { zmq::SNDMORE | zmq::DONTWAIT } else { zmq::DONTWAIT })?;
    }
    Ok(())
}

/// A routing id for logs: text when printable, else hex.
pub(crate) fn printable(id: &[u8]) -> String {
    if !id.is_empty() && id.iter().all(|b| b.is_ascii_graphic()) {
        String::from_utf8_lossy(id).into_owned()
    } else {
        id.iter().map(|b| format!("{b:02x}")).collect()
    }
}
