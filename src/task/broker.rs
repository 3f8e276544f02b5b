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

use crate::wire::task::{self as proto, CLIENT, WORKER};
use super::store::{Known, StoreConfig, StoredResult, StoredTask, TaskStore};
use super::FxMap;
use crate::error::{Error, Result};
use crate::log;
use crate::sys::runner::{Runner, StopSignal};
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
        Ok(TaskBroker { runner, stats, endpoints, name, ctx: (!inproc).then_some(ctx) })
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
    next_hb: Instant,
    next_state: Instant,
    frames: Vec<Vec<u8>>,
}

fn bind_router(ctx: &zmq::Context, ep: &str, what: &str) -> Result<zmq::Socket> {
    let s = ctx.socket(zmq::ROUTER)?;
    crate::sys::ctx::tune(&s)?;
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

impl Core {
    fn new(ctx: &zmq::Context, cfg: TaskBrokerConfig, name: String, store: Box<dyn TaskStore>) -> Result<Core> {
        let frontend = bind_router(ctx, &cfg.frontend, "frontend")?;
        let backend = bind_router(ctx, &cfg.backend, "backend")?;
        let mut state_pub = None;
        let mut peers = Vec::new();
        if let Some(p) = &cfg.peering {
            if p.interval.is_zero() {
                return Err(Error::Config("the peering interval must be > 0".into()));
            }
            let s = ctx.socket(zmq::PUB)?;
            crate::sys::ctx::tune(&s)?;
            crate::sys::ctx::no_eintr(|| s.bind(&p.state)).map_err(|e| Error::Config(format!("cannot bind the peering state endpoint {}: {e}", p.state)))?;
            state_pub = Some(s);
            for (state_ep, frontend_ep) in &p.peers {
                let sub = ctx.socket(zmq::SUB)?;
                crate::sys::ctx::tune(&sub)?;
                sub.set_subscribe(proto::PEER)?;
                crate::sys::ctx::no_eintr(|| sub.connect(state_ep)).map_err(|e| Error::Config(format!("peer state endpoint {state_ep}: {e}")))?;
                let dealer = ctx.socket(zmq::DEALER)?;
                crate::sys::ctx::tune(&dealer)?;
                dealer.set_identity(format!("{name}.{:x}", proto::random_u64() as u32).as_bytes())?;
                dealer.set_reconnect_ivl(100)?;
                dealer.set_reconnect_ivl_max(1000)?;
                crate::sys::ctx::no_eintr(|| dealer.connect(frontend_ep)).map_err(|e| Error::Config(format!("peer frontend endpoint {frontend_ep}: {e}")))?;
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

    /// Take up the journal's unfinished requests.
    fn recover(&mut self) -> Result<u64> {
        let tasks = self.store.unfinished()?;
        let n = tasks.len() as u64;
        for t in tasks {
            let key = self.add_req(Req {
                id: t.id,
                service: t.service,
                body: t.body,
                route: t.route,
                classic: t.classic,
                from_peer: false,
                state: State::Queued,
                attempts: 0,
                avoid: None,
            });
            self.enqueue(key, false);
        }
        self.st.recovered = n;
        self.publish_stats();
        Ok(n)
    }

    fn run(mut self, stop: StopSignal) -> Result<()> {
        let r = self.run_loop(&stop);
        let c = self.store.commit().map(|_| ());
        self.flush_outbox();
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
            if self.store.commit()? {
                self.st.commits += 1;
            }
            self.flush_outbox();
            self.publish_stats();
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
        Some(t)
    }

    // -------------------------------------------------------- frontend

    fn drain_frontend(&mut self) -> Result<()> {
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.frontend, zmq::DONTWAIT, &mut self.frames, 8) {
                Ok(n) => {
                    let frames = std::mem::take(&mut self.frames);
                    self.on_client(&frames, n);
                    self.frames = frames;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn on_client(&mut self, f: &[Vec<u8>], n: usize) {
        // [client, '', ...]
        if n < 3 || !f[1].is_empty() {
            self.st.malformed += 1;
            return;
        }
        let route = &f[0];
        if f[2] == CLIENT {
            if !(5..=8).contains(&n) {
                self.st.malformed += 1;
                return;
            }
            let (cmd, id) = (&f[3][..], &f[4][..]);
            if !proto::valid_id(id) {
                self.st.malformed += 1;
                return;
            }
            let id = String::from_utf8_lossy(id).into_owned();
            match cmd {
                proto::REQUEST if n == 7 || n == 8 => {
                    let service = &f[5];
                    let body = f[6].clone();
                    let from_peer = f.get(7).is_some_and(|x| x == proto::FLAG_FROM_PEER);
                    if !proto::valid_service(service) {
                        self.reply_to(route, false, &id, proto::ERR, format!("bad service name {:?}", String::from_utf8_lossy(service)).as_bytes());
                        return;
                    }
                    let service = String::from_utf8_lossy(service).into_owned();
                    self.on_request(route.clone(), false, id, service, body, from_peer);
                }
                proto::FETCH if n == 5 => self.on_fetch(route, id),
                _ => self.st.malformed += 1,
            }
            return;
        }
        // Course frames: [client, '', request...]; only one body frame is kept.
        if n > 3 {
            self.st.malformed += 1;
            return;
        }
        let id = format!("k{}.{}", self.epoch_tag, self.next_classic);
        self.next_classic += 1;
        self.on_request(route.clone(), true, id, String::new(), f[2].clone(), false);
    }

    /// Queue an answer to a client (sent after the next commit).
    fn reply_to(&mut self, route: &[u8], classic: bool, id: &str, status: &[u8], body: &[u8]) {
        let frames = if classic {
            vec![Vec::new(), body.to_vec()]
        } else {
            vec![Vec::new(), CLIENT.to_vec(), proto::REPLY.to_vec(), id.as_bytes().to_vec(), status.to_vec(), body.to_vec()]
        };
        self.outbox.push((route.to_vec(), frames));
    }

    fn flush_outbox(&mut self) {
        for (route, frames) in self.outbox.drain(..) {
            let _ = self.frontend.send(&route, zmq::SNDMORE | zmq::DONTWAIT);
            let last = frames.len() - 1;
            for (i, fr) in frames.iter().enumerate() {
                let _ = self.frontend.send(&fr[..], if i < last { zmq::SNDMORE | zmq::DONTWAIT } else { zmq::DONTWAIT });
            }
        }
    }

    fn on_request(&mut self, route: Vec<u8>, classic: bool, id: String, service: String, body: Vec<u8>, from_peer: bool) {
        if let Some(&key) = self.by_id.get(&id) {
            // A resend of a request still running: answers go to the newest route.
            self.st.resends += 1;
            let r = self.reqs.get_mut(&key).expect("by_id and reqs agree");
            r.route = route.clone();
            self.reply_to(&route, classic, &id, proto::PENDING, b"");
            return;
        }
        if body.len() > proto::MAX_BODY {
            self.reply_to(&route, classic, &id, proto::ERR, format!("request of {} bytes is too big (at most {})", body.len(), proto::MAX_BODY).as_bytes());
            return;
        }
        if self.reqs.len() >= self.cfg.max_pending {
            self.reply_to(&route, classic, &id, proto::ERR, format!("broker overloaded: {} requests pending", self.reqs.len()).as_bytes());
            return;
        }
        let t = StoredTask { id, service, body, route, classic, accepted_ms: crate::log::now_ms() };
        match self.store.accept(&t) {
            Ok(Known::New) | Ok(Known::Pending) => {}
            Ok(Known::Done(res)) => {
                self.st.resends += 1;
                self.st.replies += 1;
                self.reply_to(&t.route, classic, &t.id, if res.ok { proto::OK } else { proto::ERR }, &res.body);
                return;
            }
            Err(e) => {
                log!("task-broker", "{}: journal write failed: {e}", self.name);
                self.reply_to(&t.route, classic, &t.id, proto::ERR, format!("the broker cannot journal the request: {e}").as_bytes());
                return;
            }
        }
        self.st.requests += 1;
        if from_peer {
            self.st.from_peers += 1;
        }
        let key = self.add_req(Req {
            id: t.id,
            service: t.service,
            body: t.body,
            route: t.route,
            classic,
            from_peer,
            state: State::Queued,
            attempts: 0,
            avoid: None,
        });
        self.enqueue(key, false);
    }

    fn on_fetch(&mut self, route: &[u8], id: String) {
        self.st.resends += 1;
        if let Some(&key) = self.by_id.get(&id) {
            let r = self.reqs.get_mut(&key).expect("by_id and reqs agree");
            r.route = route.to_vec();
            r.classic = false;
            self.reply_to(route, false, &id, proto::PENDING, b"");
            return;
        }
        match self.store.result(&id) {
            Ok(Some(res)) => {
                self.st.replies += 1;
                self.reply_to(route, false, &id, if res.ok { proto::OK } else { proto::ERR }, &res.body);
            }
            Ok(None) => self.reply_to(route, false, &id, proto::UNKNOWN, b""),
            Err(e) => self.reply_to(route, false, &id, proto::ERR, format!("the broker cannot read its journal: {e}").as_bytes()),
        }
    }

    fn add_req(&mut self, r: Req) -> RKey {
        let key = self.next_key;
        self.next_key += 1;
        self.by_id.insert(r.id.clone(), key);
        self.reqs.insert(key, r);
        key
    }

    fn service(&mut self, name: &str) -> &mut Service {
        let policy = self.cfg.policy;
        if self.services.contains_key(name) {
            return self.services.get_mut(name).expect("just looked");
        }
        self.services.entry(name.to_string()).or_insert_with(|| Service {
            ready: match policy {
                Policy::Lru => Ready::Lru(VecDeque::new()),
                Policy::Load => Ready::Load(BinaryHeap::new()),
            },
            waiting: VecDeque::new(),
            workers: 0,
        })
    }

    /// Put a request in its service's queue (`front`: it was running) and dispatch what can be.
    fn enqueue(&mut self, key: RKey, front: bool) {
        let Some(r) = self.reqs.get_mut(&key) else { return };
        r.state = State::Queued;
        let svc = r.service.clone();
        let s = self.service(&svc);
        if front {
            s.waiting.push_front(key);
        } else {
            s.waiting.push_back(key);
        }
        if s.workers == 0 && !self.peer_serves(&svc) {
            let at = Instant::now() + self.cfg.service_wait;
            self.add_timer(at, T_SERVICE, key, 0);
        }
        self.pump(&svc);
    }

    fn add_timer(&mut self, at: Instant, kind: u8, key: RKey, token: u64) {
        self.timers.push(Reverse((at, kind, key, token)));
    }

    /// Dispatch the waiting requests of `svc` while workers (or peers) can take them.
    fn pump(&mut self, svc: &str) {
        loop {
            let Some(s) = self.services.get_mut(svc) else { return };
            let Some(&key) = s.waiting.front() else { return };
            if !self.reqs.get(&key).is_some_and(|r| r.state == State::Queued) {
                self.services.get_mut(svc).map(|s| s.waiting.pop_front());
                continue;
            }
            let avoid = self.reqs[&key].avoid;
            if let Some(w) = self.take_ready(svc, avoid) {
                self.services.get_mut(svc).map(|s| s.waiting.pop_front());
                self.dispatch(key, w);
                continue;
            }
            let from_peer = self.reqs[&key].from_peer;
            if !from_peer {
                if let Some(p) = self.pick_peer(svc) {
                    self.services.get_mut(svc).map(|s| s.waiting.pop_front());
                    self.forward(key, p);
                    continue;
                }
            }
            return;
        }
    }

    /// Pop a ready worker of `svc` (not `avoid` if another one is ready).
    fn take_ready(&mut self, svc: &str, avoid: Option<WKey>) -> Option<WKey> {
        let mut skipped = None;
        let found = loop {
            let Some(w) = self.pop_ready(svc) else { break None };
            if Some(w) == avoid && skipped.is_none() {
                skipped = Some(w);
                continue;
            }
            break Some(w);
        };
        match (found, skipped) {
            (Some(w), Some(s)) => {
                // Not taken after all: its credit back, its place back.
                if let Some(x) = self.workers.get_mut(&s) {
                    x.credit += 1;
                }
                self.push_ready(s);
                Some(w)
            }
            (None, Some(s)) => Some(s),
            (f, None) => f,
        }
    }

    /// The next valid entry of `svc`'s ready structure, its credit taken.
    fn pop_ready(&mut self, svc: &str) -> Option<WKey> {
        let s = self.services.get_mut(svc)?;
        loop {
            let (w, epoch) = match &mut s.ready {
                Ready::Lru(q) => q.pop_front()?,
                Ready::Load(h) => {
                    let Reverse((_, _, w, e)) = h.pop()?;
                    (w, e)
                }
            };
            let Some(wk) = self.workers.get_mut(&w) else { continue };
            if wk.epoch != epoch || wk.credit == 0 {
                continue;
            }
            wk.credit -= 1;
            // Out of every other service's structure until pushed again.
            wk.epoch += 1;
            return Some(w);
        }
    }

    /// Put a worker with credit back into every ready structure of its services.
    fn push_ready(&mut self, w: WKey) {
        let Some(wk) = self.workers.get_mut(&w) else { return };
        if wk.credit == 0 {
            return;
        }
        wk.epoch += 1;
        // Taken out for the loop (no copy), put back after.
        let (epoch, load, services) = (wk.epoch, wk.load, std::mem::take(&mut wk.services));
        let seq = self.next_token; // any increasing number: ties go to the least recently used
        self.next_token += 1;
        for svc in &services {
            let s = self.service(svc);
            match &mut s.ready {
                Ready::Lru(q) => q.push_back((w, epoch)),
                Ready::Load(h) => h.push(Reverse((load, seq, w, epoch))),
            }
        }
        self.compact(&services);
        if let Some(wk) = self.workers.get_mut(&w) {
            wk.services = services;
        }
    }

    /// [`push_ready`](Core::push_ready), then dispatch what waits for its services.
    fn ready_and_pump(&mut self, w: WKey) {
        self.push_ready(w);
        let services = self.workers.get(&w).map(|x| x.services.clone()).unwrap_or_default();
        for svc in &services {
            self.pump(svc);
        }
    }

    /// Drop stale entries when a ready structure grew much bigger than the worker count.
    fn compact(&mut self, services: &[String]) {
        let n = self.workers.len();
        for svc in services {
            let Some(s) = self.services.get_mut(svc) else { continue };
            let len = match &s.ready {
                Ready::Lru(q) => q.len(),
                Ready::Load(h) => h.len(),
            };
            if len <= 4 * n + 64 {
                continue;
            }
            let workers = &self.workers;
            let live = |w: &WKey, e: &u64| workers.get(w).is_some_and(|x| x.epoch == *e && x.credit > 0);
            match &mut s.ready {
                Ready::Lru(q) => q.retain(|(w, e)| live(w, e)),
                Ready::Load(h) => h.retain(|Reverse((_, _, w, e))| live(w, e)),
            }
        }
    }

    fn token_frame(&self, token: u64) -> Vec<u8> {
        format!("{}:{token}", self.epoch_tag).into_bytes()
    }

    fn parse_token(&self, f: &[u8]) -> Option<u64> {
        let s = std::str::from_utf8(f).ok()?;
        let (tag, n) = s.split_once(':')?;
        if tag != self.epoch_tag {
            return None;
        }
        n.parse().ok()
    }

    fn dispatch(&mut self, key: RKey, w: WKey) {
        let token = self.next_token;
        self.next_token += 1;
        let tf = self.token_frame(token);
        let (Some(r), Some(wk)) = (self.reqs.get_mut(&key), self.workers.get_mut(&w)) else { return };
        r.state = State::Running { worker: w, token };
        r.attempts += 1;
        wk.inflight.insert(token, Some(key));
        let b = &self.backend;
        let sent = match wk.kind {
            Kind::Classic => send_all(b, &[&wk.ident, b"", &tf, b"", &r.body]),
            Kind::Ours => send_all(b, &[&wk.ident, b"", WORKER, proto::REQUEST, &tf, r.id.as_bytes(), r.service.as_bytes(), &r.body]),
        };
        if let Err(e) = sent {
            log!("task-broker", "{}: cannot send to a worker: {e}", self.name);
        }
        self.st.dispatched += 1;
        let at = Instant::now() + self.cfg.answer_timeout;
        self.add_timer(at, T_ANSWER, key, token);
        // A worker with more credit stays ready.
        if self.workers.get(&w).is_some_and(|x| x.credit > 0) {
            self.push_ready(w);
        }
    }

    /// Finish a request: journal its outcome, answer its client.
    fn finish(&mut self, key: RKey, ok: bool, body: Vec<u8>) {
        let Some(r) = self.reqs.remove(&key) else { return };
        self.by_id.remove(&r.id);
        if !ok {
            self.st.errors += 1;
        }
        let res = StoredResult { ok, body };
        if let Err(e) = self.store.finish(&r.id, &res) {
            log!("task-broker", "{}: journal write failed for {}: {e}", self.name, r.id);
        }
        self.st.replies += 1;
        self.reply_to(&r.route, r.classic, &r.id, if ok { proto::OK } else { proto::ERR }, &res.body);
    }

    // -------------------------------------------------------- backend

    fn drain_backend(&mut self) -> Result<()> {
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.backend, zmq::DONTWAIT, &mut self.frames, 10) {
                Ok(n) => {
                    let frames = std::mem::take(&mut self.frames);
                    self.on_worker(&frames, n);
                    self.frames = frames;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn on_worker(&mut self, f: &[Vec<u8>], n: usize) {
        if n < 2 || !f[1].is_empty() {
            self.st.malformed += 1;
            return;
        }
        let ident = &f[0];
        if n >= 4 && f[2] == WORKER {
            self.on_our_worker(ident, &f[3], &f[4..n.min(f.len())]);
            return;
        }
        // Course frames: [worker, ''] + [] / [''] / ['', '', ''] / ['READY'] register;
        // [worker, '', token, '', reply] answers.
        let rest = &f[2..n.min(f.len())];
        let registers = rest.is_empty() || rest[0].is_empty() || (rest.len() == 1 && rest[0] == proto::READY);
        if registers {
            let w = self.register(ident, Kind::Classic, vec![String::new()], 1, 0);
            if let Some(wk) = self.workers.get(&w) {
                if wk.inflight.is_empty() && wk.credit == 0 {
                    // A REQ worker that asks again is idle again.
                    self.set_credit(w, 1);
                }
            }
            return;
        }
        if rest.len() != 3 || !rest[1].is_empty() {
            self.st.malformed += 1;
            return;
        }
        let w = match self.by_ident.get(ident) {
            Some(&w) => w,
            // A course worker's answer is also its registration (after a broker restart).
            None => self.register(ident, Kind::Classic, vec![String::new()], 0, 0),
        };
        let token = self.parse_token(&rest[0]);
        self.on_answer(w, token, true, rest[2].clone(), None);
        // REQ workers hold one request: answering frees it.
        let (credit, idle) = self.workers.get(&w).map(|x| (x.credit, x.inflight.is_empty())).unwrap_or((1, false));
        if idle && credit == 0 {
            self.set_credit(w, 1);
        }
    }

    fn on_our_worker(&mut self, ident: &[u8], cmd: &[u8], args: &[Vec<u8>]) {
        let known = self.by_ident.get(ident).copied();
        match cmd {
            proto::READY => {
                let (Some(services), Some(slots)) = (args.first().and_then(|s| proto::parse_services(s)), args.get(1).and_then(|s| proto::parse_u32(s)))
                else {
                    self.st.malformed += 1;
                    return;
                };
                let load = args.get(2).and_then(|s| proto::parse_u32(s)).unwrap_or(0);
                if let Some(w) = known {
                    // A re-registration: forget what it held (it reconnected).
                    self.purge(w, "registered again");
                }
                self.register(ident, Kind::Ours, services, slots.clamp(1, 100_000), load);
            }
            proto::REPLY => {
                let Some(w) = known else {
                    self.send_worker_cmd(ident, proto::DISCONNECT);
                    self.st.late += 1;
                    return;
                };
                if args.len() < 3 {
                    self.st.malformed += 1;
                    return;
                }
                let token = self.parse_token(&args[0]);
                let ok = args[1] == proto::OK;
                let load = args.get(3).and_then(|s| proto::parse_u32(s));
                self.touch(w);
                self.on_answer(w, token, ok, args[2].clone(), load);
            }
            proto::HEARTBEAT => match known {
                Some(w) => {
                    self.touch(w);
                    if let Some(load) = args.first().and_then(|s| proto::parse_u32(s)) {
                        self.update_load(w, load);
                    }
                }
                None => self.send_worker_cmd(ident, proto::DISCONNECT),
            },
            proto::DISCONNECT => {
                if let Some(w) = known {
                    self.purge(w, "disconnected");
                }
            }
            _ => self.st.malformed += 1,
        }
    }

    fn send_worker_cmd(&self, ident: &[u8], cmd: &[u8]) {
        let _ = send_all(&self.backend, &[ident, b"", WORKER, cmd]);
    }

    fn touch(&mut self, w: WKey) {
        let life = self.cfg.hb_interval * self.cfg.liveness;
        if let Some(wk) = self.workers.get_mut(&w) {
            if wk.kind == Kind::Ours {
                wk.expires = Some(Instant::now() + life);
            }
        }
    }

    fn register(&mut self, ident: &[u8], kind: Kind, services: Vec<String>, slots: u32, load: u32) -> WKey {
        if let Some(&w) = self.by_ident.get(ident) {
            return w;
        }
        let w = self.next_key;
        self.next_key += 1;
        for s in &services {
            self.service(s).workers += 1;
        }
        let expires = (kind == Kind::Ours).then(|| Instant::now() + self.cfg.hb_interval * self.cfg.liveness);
        let svc_text = services.iter().map(|s| if s.is_empty() { "(default)" } else { s.as_str() }).collect::<Vec<_>>().join(",");
        self.workers.insert(w, Worker { ident: ident.to_vec(), kind, services, credit: 0, load, inflight: FxMap::default(), expires, epoch: 0 });
        self.by_ident.insert(ident.to_vec(), w);
        self.st.registered += 1;
        log!(
            "task-broker",
            "{}: worker {} registered ({}, services {svc_text}, {slots} slots, load {load})",
            self.name,
            printable(ident),
            if kind == Kind::Classic { "course frames" } else { "HBTW01" }
        );
        self.set_credit(w, slots);
        w
    }

    fn set_credit(&mut self, w: WKey, credit: u32) {
        let Some(wk) = self.workers.get_mut(&w) else { return };
        let was = wk.credit;
        wk.credit = credit;
        if was == 0 && credit > 0 {
            self.ready_and_pump(w);
        }
    }

    fn update_load(&mut self, w: WKey, load: u32) {
        let Some(wk) = self.workers.get_mut(&w) else { return };
        if wk.load != load {
            wk.load = load;
            if self.cfg.policy == Policy::Load && wk.credit > 0 {
                self.ready_and_pump(w);
            }
        }
    }

    /// An answer from worker `w` for dispatch `token`.
    fn on_answer(&mut self, w: WKey, token: Option<u64>, ok: bool, body: Vec<u8>, load: Option<u32>) {
        let held = token.and_then(|t| self.workers.get_mut(&w).and_then(|wk| wk.inflight.remove(&t)));
        if let Some(load) = load {
            if let Some(wk) = self.workers.get_mut(&w) {
                wk.load = load;
            }
        }
        match held {
            Some(Some(key)) if self.reqs.get(&key).is_some_and(|r| matches!(r.state, State::Running { worker, token: t } if worker == w && Some(t) == token)) => {
                self.finish(key, ok, body);
            }
            _ => self.st.late += 1,
        }
        if held.is_some() {
            // Ours: each answer returns a slot. Course workers: see on_worker.
            if self.workers.get(&w).is_some_and(|x| x.kind == Kind::Ours) {
                let c = self.workers[&w].credit;
                self.set_credit(w, c + 1);
                if c > 0 && self.cfg.policy == Policy::Load {
                    self.ready_and_pump(w); // new load, new place in the heap
                }
            }
        }
    }

    /// Forget a worker: out of every queue; what it was running goes to others.
    fn purge(&mut self, w: WKey, why: &str) {
        let Some(wk) = self.workers.remove(&w) else { return };
        self.by_ident.remove(&wk.ident);
        for s in &wk.services {
            if let Some(svc) = self.services.get_mut(s) {
                svc.workers = svc.workers.saturating_sub(1);
            }
        }
        let mut again = 0;
        for key in wk.inflight.into_values().flatten() {
            if self.reqs.get(&key).is_some_and(|r| matches!(r.state, State::Running { worker, .. } if worker == w)) {
                again += 1;
                self.retry_or_fail(key, "its worker died");
            }
        }
        log!("task-broker", "{}: worker {} {why}; {again} of its requests dispatched again", self.name, printable(&wk.ident));
        // Requests of services that have no worker left now start their wait.
        for s in &wk.services {
            if self.services.get(s).is_some_and(|x| x.workers == 0) && !self.peer_serves(s) {
                let waiting: Vec<RKey> = self.services[s].waiting.iter().copied().collect();
                let at = Instant::now() + self.cfg.service_wait;
                for k in waiting {
                    self.add_timer(at, T_SERVICE, k, 0);
                }
            }
        }
    }

    /// A dispatch failed (time-out, dead worker, dead peer): again, or an
    /// error when the attempts are used up.
    fn retry_or_fail(&mut self, key: RKey, why: &str) {
        let Some(r) = self.reqs.get(&key) else { return };
        if r.attempts >= self.cfg.max_attempts {
            let msg = format!("no answer after {} dispatches (last: {why})", r.attempts);
            self.finish(key, false, msg.into_bytes());
        } else {
            self.enqueue(key, true);
        }
    }

    // -------------------------------------------------------- timers

    fn on_timers(&mut self) -> Result<()> {
        let now = Instant::now();
        while let Some(Reverse((at, kind, key, token))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if kind == T_ANSWER {
                self.on_answer_timeout(key, token);
            } else {
                self.on_service_wait(key);
            }
        }
        if now >= self.next_hb {
            self.next_hb = now + self.cfg.hb_interval;
            let mut dead = Vec::new();
            for (&w, wk) in &self.workers {
                if wk.kind == Kind::Ours {
                    let _ = send_all(&self.backend, &[&wk.ident, b"", WORKER, proto::HEARTBEAT]);
                    if wk.expires.is_some_and(|e| e <= now) {
                        dead.push(w);
                    }
                }
            }
            for w in dead {
                self.st.purged += 1;
                self.purge(w, "silent: purged");
            }
            self.check_peers(now);
        }
        if self.state_pub.is_some() && now >= self.next_state {
            let iv = self.cfg.peering.as_ref().map_or(Duration::from_secs(1), |p| p.interval);
            self.next_state = now + iv;
            self.publish_state();
            self.check_peers(now);
        }
        Ok(())
    }

    fn on_answer_timeout(&mut self, key: RKey, token: u64) {
        let Some(r) = self.reqs.get(&key) else { return };
        match r.state {
            State::Running { worker, token: t } if t == token => {
                if let Some(wk) = self.workers.get_mut(&worker) {
                    if let Some(slot) = wk.inflight.get_mut(&token) {
                        *slot = None; // its late answer is dropped
                    }
                }
                self.st.timeouts += 1;
                let ident = self.workers.get(&worker).map(|w| printable(&w.ident)).unwrap_or_default();
                log!("task-broker", "{}: request {} unanswered by worker {ident} within {} ms: dispatched again", self.name, r.id, self.cfg.answer_timeout.as_millis());
                if let Some(r) = self.reqs.get_mut(&key) {
                    r.avoid = Some(worker);
                }
                self.retry_or_fail(key, "answer time-out");
            }
            State::Forwarded { peer, token: t } if t == token => {
                self.st.timeouts += 1;
                log!("task-broker", "{}: request {} unanswered by peer {} in time: queued here again", self.name, r.id, self.peer_name(peer));
                self.retry_or_fail(key, "peer answer time-out");
            }
            _ => {}
        }
    }

    fn on_service_wait(&mut self, key: RKey) {
        let Some(r) = self.reqs.get(&key) else { return };
        if r.state != State::Queued {
            return;
        }
        let svc = r.service.clone();
        if self.services.get(&svc).is_some_and(|s| s.workers > 0) || self.peer_serves(&svc) {
            return;
        }
        let shown = if svc.is_empty() { "the default service".to_string() } else { format!("service {svc:?}") };
        let msg = format!("no worker serves {shown} (waited {} ms)", self.cfg.service_wait.as_millis());
        log!("task-broker", "{}: request {}: {msg}", self.name, r.id);
        if let Some(s) = self.services.get_mut(&svc) {
            s.waiting.retain(|k| *k != key);
        }
        self.finish(key, false, msg.into_bytes());
    }

    // -------------------------------------------------------- peering

    fn peer_name(&self, i: usize) -> String {
        self.peers[i].name.clone().unwrap_or_else(|| self.peers[i].frontend_ep.clone())
    }

    fn peer_serves(&self, svc: &str) -> bool {
        self.peers.iter().any(|p| p.alive && p.capacity.contains_key(svc))
    }

    fn pick_peer(&self, svc: &str) -> Option<usize> {
        self.peers
            .iter()
            .enumerate()
            .filter(|(_, p)| p.alive)
            .filter_map(|(i, p)| p.capacity.get(svc).filter(|c| **c > 0).map(|c| (i, *c)))
            .max_by_key(|(i, c)| (*c, Reverse(*i)))
            .map(|(i, _)| i)
    }

    fn forward(&mut self, key: RKey, p: usize) {
        let token = self.next_token;
        self.next_token += 1;
        let Some(r) = self.reqs.get_mut(&key) else { return };
        r.state = State::Forwarded { peer: p, token };
        r.attempts += 1;
        let peer = &mut self.peers[p];
        if let Some(c) = peer.capacity.get_mut(&r.service) {
            *c = c.saturating_sub(1);
        }
        let _ = send_all(&peer.dealer, &[b"", CLIENT, proto::REQUEST, r.id.as_bytes(), r.service.as_bytes(), &r.body, proto::FLAG_FROM_PEER]);
        self.st.forwarded += 1;
        let at = Instant::now() + self.cfg.answer_timeout * 2;
        self.add_timer(at, T_ANSWER, key, token);
    }

    fn publish_state(&mut self) {
        let Some(pubs) = &self.state_pub else { return };
        let mut free: HashMap<&str, i64> = HashMap::new();
        for wk in self.workers.values() {
            for s in &wk.services {
                *free.entry(s.as_str()).or_default() += wk.credit as i64;
            }
        }
        let mut frames: Vec<Vec<u8>> = vec![proto::PEER.to_vec(), proto::STATE.to_vec(), self.name.as_bytes().to_vec()];
        for (s, n) in free {
            let waiting = self.services.get(s).map_or(0, |x| x.waiting.len() as i64);
            frames.push(s.as_bytes().to_vec());
            frames.push((n - waiting).max(0).to_string().into_bytes());
        }
        let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
        let _ = send_all(pubs, &refs);
    }

    fn drain_peer_state(&mut self, i: usize) -> Result<()> {
        let mut got = false;
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.peers[i].sub, zmq::DONTWAIT, &mut self.frames, 256) {
                Ok(n) => {
                    let f = &self.frames;
                    if n < 3 || f[0] != proto::PEER || f[1] != proto::STATE || n % 2 == 0 {
                        self.st.malformed += 1;
                        continue;
                    }
                    let mut cap = HashMap::new();
                    for pair in f[3..].chunks(2) {
                        if let (Ok(s), Some(c)) = (std::str::from_utf8(&pair[0]), proto::parse_u32(&pair[1])) {
                            cap.insert(s.to_string(), c);
                        }
                    }
                    let name = String::from_utf8_lossy(&f[2]).into_owned();
                    let p = &mut self.peers[i];
                    if !p.alive {
                        log!("task-broker", "{}: peer {name} up ({})", self.name, p.state_ep);
                    }
                    p.alive = true;
                    p.name = Some(name);
                    p.capacity = cap;
                    p.last_heard = Some(Instant::now());
                    got = true;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        if got {
            let svcs: Vec<String> = self.peers[i].capacity.keys().cloned().collect();
            for s in svcs {
                self.pump(&s);
            }
        }
        Ok(())
    }

    fn drain_peer_replies(&mut self, i: usize) -> Result<()> {
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.peers[i].dealer, zmq::DONTWAIT, &mut self.frames, 8) {
                Ok(n) => {
                    // ['', HBTC01, REPLY, id, status, body]
                    let f = std::mem::take(&mut self.frames);
                    if n == 6 && f[0].is_empty() && f[1] == CLIENT && f[2] == proto::REPLY {
                        let id = String::from_utf8_lossy(&f[3]).into_owned();
                        let key = self.by_id.get(&id).copied();
                        let current = key.filter(|k| self.reqs.get(k).is_some_and(|r| matches!(r.state, State::Forwarded { peer, .. } if peer == i)));
                        match (current, &f[4][..]) {
                            (Some(k), proto::OK) => self.finish(k, true, f[5].clone()),
                            (Some(k), proto::ERR) => self.finish(k, false, f[5].clone()),
                            (Some(k), proto::UNKNOWN) => self.retry_or_fail(k, "the peer lost it"),
                            (Some(_), _) => {}
                            (None, _) => self.st.late += 1,
                        }
                    } else {
                        self.st.malformed += 1;
                    }
                    self.frames = f;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn check_peers(&mut self, now: Instant) {
        let Some(iv) = self.cfg.peering.as_ref().map(|p| p.interval) else { return };
        let life = iv * self.cfg.liveness;
        for i in 0..self.peers.len() {
            let p = &mut self.peers[i];
            if p.alive && p.last_heard.is_some_and(|t| now.duration_since(t) > life) {
                p.alive = false;
                p.capacity.clear();
                log!("task-broker", "{}: peer {} silent for {} ms: capacity 0", self.name, self.peer_name(i), life.as_millis());
                let held: Vec<RKey> =
                    self.reqs.iter().filter(|(_, r)| matches!(r.state, State::Forwarded { peer, .. } if peer == i)).map(|(k, _)| *k).collect();
                for k in held {
                    self.enqueue(k, true);
                }
            }
        }
    }
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
