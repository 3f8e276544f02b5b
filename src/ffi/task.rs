//! `hb_task_broker_*`, `hb_task_worker_*`, `hb_task_client_*`: the task
//! brokers of [`crate::task`] for C. Thin: arguments are converted here,
//! the work is done by the Rust types, waits go through [`wait_until`].
//!
//! Worker callbacks run on a pool of threads of the worker's own, started
//! with `pthread_create` like [`super::callback`] (see there why): each
//! thread's start routine holds only plain data while the C function runs,
//! so a thread exit inside a callback ends only that thread, and stopping
//! waits at most 500 ms for callbacks that are still running.

use super::{
    ffi_entry, free, get, lock, opt_str_arg, put_sized, read_sized, register, str_arg, wait_until, Failure, FfiResult, HbStatus, Look, Object,
    Out, Step, StrOut, TypeTag, HB_POLLIN,
};
use crate::task::broker::{PeeringConfig, Policy, TaskBroker, TaskBrokerConfig, TaskBrokerStats};
use crate::task::client::{self as tc, Completion, Outcome, TaskClient, TaskClientConfig, TaskClientStats};
use crate::task::store::StoreConfig;
use crate::task::worker::{self as tw, TaskWorker, WorkerConfig, WorkerStats};
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ------------------------------------------------------------ constants

/// `hb_task_broker_config_t.policy`: the least recently used ready worker (the course's router/router broker).
pub const HB_TASK_LRU: i32 = 0;
/// `hb_task_broker_config_t.policy`: the ready worker reporting the least load (a min-heap).
pub const HB_TASK_LOAD: i32 = 1;
/// `hb_task_broker_endpoint` `which`: the frontend (clients connect here).
pub const HB_TASK_FRONTEND: i32 = 0;
/// `hb_task_broker_endpoint` `which`: the backend (workers connect here).
pub const HB_TASK_BACKEND: i32 = 1;
/// `hb_task_broker_endpoint` `which`: the capacity publication (peering; empty without).
pub const HB_TASK_STATE: i32 = 2;
/// `hb_task_client_next` outcome: the worker's result is in the buffer.
pub const HB_TASK_OK: i32 = 0;
/// `hb_task_client_next` outcome: the task failed; the reason (UTF-8) is in the buffer.
pub const HB_TASK_FAILED: i32 = 1;
/// `hb_task_client_next` outcome: no answer after the client's tries; the reason is in the buffer.
pub const HB_TASK_GAVE_UP: i32 = 2;
/// `hb_task_client_next` outcome: a fetch of an id the broker does not know (empty buffer).
pub const HB_TASK_UNKNOWN: i32 = 3;

/// A binary output buffer: `buf` of `len` bytes, the size in `*out_len`
/// (optional). Written whole or not at all.
struct BytesOut {
    buf: *mut c_void,
    len: usize,
    out_len: *mut usize,
}

impl BytesOut {
    fn new(buf: *mut c_void, len: usize, out_len: *mut usize, what: &str) -> Result<BytesOut, Failure> {
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("{what} is NULL but its length is {len}")));
        }
        Ok(BytesOut { buf, len, out_len })
    }
    fn fits(&self, n: usize) -> bool {
        n <= self.len
    }
    fn too_small(&self, n: usize) -> Failure {
        super::set_opt(self.out_len, n);
        Failure::new(HbStatus::HB_BUFFER_TOO_SMALL, format!("buffer too small: {n} bytes needed, {} given; nothing was taken", self.len))
    }
    fn put(&self, b: &[u8]) -> FfiResult {
        if !self.fits(b.len()) {
            return Err(self.too_small(b.len()));
        }
        super::set_opt(self.out_len, b.len());
        if !b.is_empty() {
            // SAFETY: buf holds `len` >= b.len() writable bytes (non-NULL since len > 0).
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), self.buf.cast::<u8>(), b.len()) };
        }
        Ok(())
    }
}

fn bytes_in<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    super::bytes_arg(p, len, what)
}

fn ms(v: u32, default_ms: u64) -> Duration {
    Duration::from_millis(if v == 0 { default_ms } else { v.into() })
}

// ------------------------------------------------------------ broker

/// A running task broker (opaque): a ROUTER frontend for clients, a ROUTER
/// backend for workers, routing on a thread of its own (`hypobus-task`).
/// Create with `hb_task_broker_new`, release with `hb_task_broker_free`.
/// Any thread may use it; no call on it waits long.
pub struct HbTaskBroker {
    inner: Mutex<TaskBroker>,
}

impl Object for HbTaskBroker {
    const TAG: TypeTag = TypeTag::TaskBroker;
    fn close(&self) {
        if let Ok(mut b) = self.inner.lock() {
            let _ = b.stop();
        }
    }
}

/// How `hb_task_broker_new` starts a task broker. Set `size` to
/// `sizeof(hb_task_broker_config_t)` and every field you do not use to 0 /
/// NULL (`= {0}`, then set `size`): zero means the default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbTaskBrokerConfig {
    /// Set by the caller: `sizeof(hb_task_broker_config_t)`.
    pub size: u32,
    /// `HB_TASK_LRU` (0, the default) or `HB_TASK_LOAD`.
    pub policy: i32,
    /// Endpoint to bind for clients; NULL = port 5570 on every interface
    /// (`tcp://127.0.0.1:*` picks a free port: read it with `hb_task_broker_endpoint`).
    pub frontend: *const c_char,
    /// Endpoint to bind for workers; NULL = port 5571 on every interface.
    pub backend: *const c_char,
    /// The journal: NULL or `"memory"` = in memory; `"sqlite:PATH"` = an
    /// SQLite file (WAL mode): a broker killed and restarted on it finishes
    /// every accepted request, and results can be fetched by id.
    pub store: *const c_char,
    /// The broker's name in logs and toward peers; NULL = `task-PID`.
    pub name: *const c_char,
    /// Peering: an endpoint to bind for publishing the spare capacity; NULL = no peering.
    pub state: *const c_char,
    /// Peering: the peers, `STATE_EP|FRONTEND_EP` entries separated by commas.
    pub peers: *const c_char,
    /// A dispatched request unanswered this long goes to another worker; 0 = 5000 ms.
    pub answer_timeout_ms: u32,
    /// Dispatches of one request before it fails; 0 = 5.
    pub max_attempts: u32,
    /// Heartbeats to and from workers; 0 = 1000 ms.
    pub hb_interval_ms: u32,
    /// Missed heartbeats before a worker or peer counts as dead; 0 = 3.
    pub liveness: u32,
    /// A request for a service that no worker serves waits this long, then fails; 0 = 5000 ms.
    pub service_wait_ms: u32,
    /// Capacity publication period (peering); 0 = 1000 ms.
    pub peer_interval_ms: u32,
    /// Non-zero: SQLite `synchronous=FULL` (survives power loss; slower).
    pub full_sync: i32,
    /// Reserved, 0.
    pub reserved: u32,
}

const NO_BROKER_CONFIG: HbTaskBrokerConfig = HbTaskBrokerConfig {
    size: 0,
    policy: 0,
    frontend: std::ptr::null(),
    backend: std::ptr::null(),
    store: std::ptr::null(),
    name: std::ptr::null(),
    state: std::ptr::null(),
    peers: std::ptr::null(),
    answer_timeout_ms: 0,
    max_attempts: 0,
    hb_interval_ms: 0,
    liveness: 0,
    service_wait_ms: 0,
    peer_interval_ms: 0,
    full_sync: 0,
    reserved: 0,
};

/// A task broker's counters (`hb_task_broker_stats`). Set `size` to
/// `sizeof(hb_task_broker_stats_t)` before the call.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbTaskBrokerStats {
    /// Set by the caller: `sizeof(hb_task_broker_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Requests accepted (new ids).
    pub requests: u64,
    /// Requests taken up from the journal at start.
    pub recovered: u64,
    /// Resends and fetches of known ids.
    pub resends: u64,
    /// Results sent to clients.
    pub replies: u64,
    /// Requests that ended with an error.
    pub errors: u64,
    /// Dispatches to workers.
    pub dispatched: u64,
    /// Dispatches whose answer did not come in time (dispatched again).
    pub timeouts: u64,
    /// Answers dropped because their dispatch was no longer current.
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
    /// Journal commits.
    pub commits: u64,
}

impl From<TaskBrokerStats> for HbTaskBrokerStats {
    fn from(s: TaskBrokerStats) -> Self {
        HbTaskBrokerStats {
            size: 0,
            reserved: 0,
            requests: s.requests,
            recovered: s.recovered,
            resends: s.resends,
            replies: s.replies,
            errors: s.errors,
            dispatched: s.dispatched,
            timeouts: s.timeouts,
            late: s.late,
            registered: s.registered,
            purged: s.purged,
            workers: s.workers,
            pending: s.pending,
            forwarded: s.forwarded,
            from_peers: s.from_peers,
            malformed: s.malformed,
            commits: s.commits,
        }
    }
}

fn broker_config(c: &HbTaskBrokerConfig) -> Result<TaskBrokerConfig, Failure> {
    let mut cfg = TaskBrokerConfig {
        frontend: opt_str_arg(c.frontend, "frontend")?.unwrap_or("tcp://*:5570").to_string(),
        backend: opt_str_arg(c.backend, "backend")?.unwrap_or("tcp://*:5571").to_string(),
        policy: match c.policy {
            HB_TASK_LRU => Policy::Lru,
            HB_TASK_LOAD => Policy::Load,
            p => return Err(Failure::new(HbStatus::HB_CONFIG, format!("policy must be HB_TASK_LRU (0) or HB_TASK_LOAD (1), not {p}"))),
        },
        answer_timeout: ms(c.answer_timeout_ms, 5000),
        max_attempts: if c.max_attempts == 0 { 5 } else { c.max_attempts },
        hb_interval: ms(c.hb_interval_ms, 1000),
        liveness: if c.liveness == 0 { 3 } else { c.liveness },
        service_wait: ms(c.service_wait_ms, 5000),
        name: opt_str_arg(c.name, "name")?.unwrap_or("").to_string(),
        ..Default::default()
    };
    cfg.store = match opt_str_arg(c.store, "store")?.unwrap_or("memory") {
        "" | "memory" => StoreConfig::Memory,
        s => match s.strip_prefix("sqlite:") {
            Some(p) if !p.is_empty() => StoreConfig::Sqlite { path: p.into(), full_sync: c.full_sync != 0 },
            _ => return Err(Failure::new(HbStatus::HB_CONFIG, format!("store must be \"memory\" or \"sqlite:PATH\", not {s:?}"))),
        },
    };
    let peers = opt_str_arg(c.peers, "peers")?.unwrap_or("").trim();
    match (opt_str_arg(c.state, "state")?, peers.is_empty()) {
        (None, true) => {}
        (Some(state), false) => {
            let mut list = Vec::new();
            for p in peers.split(',') {
                let (s, f) = p.trim().split_once('|').ok_or_else(|| Failure::new(HbStatus::HB_CONFIG, format!("peer {p:?} is not STATE_EP|FRONTEND_EP")))?;
                list.push((s.trim().to_string(), f.trim().to_string()));
            }
            cfg.peering = Some(PeeringConfig { state: state.to_string(), peers: list, interval: ms(c.peer_interval_ms, 1000) });
        }
        _ => return Err(Failure::new(HbStatus::HB_CONFIG, "peering needs both state (where this broker publishes) and peers")),
    }
    Ok(cfg)
}

/// Start a task broker: bind its frontend (clients) and backend (workers),
/// open its journal, take up the journal's unfinished requests, and route
/// on a background thread named `hypobus-task`. `cfg` NULL = every default
/// (memory journal, `lru`, ports 5570 and 5571 on every interface).
///
/// The course's frames work unchanged against it (REQ clients sending
/// `[request]`; REQ workers registering with an empty message and answering
/// `[client, '', reply]`); `hb_task_worker_*` and `hb_task_client_*` add
/// ids, services, load and heartbeats (docs/PROTOCOL.md).
///
/// Returns `HB_OK`; `HB_CONFIG` (an endpoint that cannot be bound, a bad
/// store, policy or peer list, a journal that cannot be opened);
/// `HB_INVALID_ARGUMENT` (`out` NULL, `cfg->size` unset, bad UTF-8);
/// `HB_ZMQ`. Any thread; waits only for the binds and for opening the
/// journal.
#[no_mangle]
pub extern "C" fn hb_task_broker_new(cfg: *const HbTaskBrokerConfig, out: *mut *mut HbTaskBroker) -> HbStatus {
    ffi_entry!("hb_task_broker_new", {
        let out = Out::new(out, "out")?;
        let c = if cfg.is_null() { NO_BROKER_CONFIG } else { read_sized(cfg, NO_BROKER_CONFIG, "cfg")? };
        let b = TaskBroker::start(broker_config(&c)?)?;
        out.set(register(HbTaskBroker { inner: Mutex::new(b) })?);
        Ok(())
    })
}

/// Write an endpoint the broker bound (wildcard ports resolved, e.g.
/// `tcp://127.0.0.1:40123`) into `buf`: `which` = `HB_TASK_FRONTEND`,
/// `HB_TASK_BACKEND` or `HB_TASK_STATE` (empty without peering).
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (`*out_len` = the length needed);
/// `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with `len` > 0);
/// `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_broker_endpoint(b: *const HbTaskBroker, which: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(b; "hb_task_broker_endpoint", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        let b = get(b)?;
        let g = lock(&b.inner, "hb_task_broker")?;
        let ep = g.endpoints();
        let s = match which {
            HB_TASK_FRONTEND => ep.frontend.clone(),
            HB_TASK_BACKEND => ep.backend.clone(),
            HB_TASK_STATE => ep.state.clone().unwrap_or_default(),
            w => return Err(Failure::arg(format!("which must be HB_TASK_FRONTEND, HB_TASK_BACKEND or HB_TASK_STATE, not {w}"))),
        };
        out.put(&s)
    })
}

/// Copy the broker's counters into `*out` (also after `hb_task_broker_stop`); set `out->size` first.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL, `out->size` not set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_broker_stats(b: *const HbTaskBroker, out: *mut HbTaskBrokerStats) -> HbStatus {
    ffi_entry!(b; "hb_task_broker_stats", {
        let b = get(b)?;
        let s = lock(&b.inner, "hb_task_broker")?.stats();
        put_sized(out, s.into(), "out")
    })
}

/// Stop routing: commit the journal, close the sockets, join the thread.
/// Requests still running are abandoned (a broker restarted on the same
/// SQLite journal takes them up). The handle stays valid for
/// `hb_task_broker_stats` until freed; stopping twice is harmless.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the broker's thread
/// ended with. Any thread; waits for the broker's thread (it ends at once).
#[no_mangle]
pub extern "C" fn hb_task_broker_stop(b: *const HbTaskBroker) -> HbStatus {
    ffi_entry!(b; "hb_task_broker_stop", { Ok(lock(&get(b)?.inner, "hb_task_broker")?.stop()?) })
}

/// Stop the broker (see `hb_task_broker_stop`) and release the handle. NULL
/// is a no-op. Any thread; waits as `hb_task_broker_stop`.
#[no_mangle]
pub extern "C" fn hb_task_broker_free(b: *mut HbTaskBroker) -> HbStatus {
    ffi_entry!("hb_task_broker_free", { free(b) })
}

// ------------------------------------------------------------ worker

/// A task handler: answer the request `req` (`req_len` bytes) of service
/// `service` (NUL-terminated; `""` = the default service). Set `*reply`
/// and `*reply_len` to the answer and return 0; the memory stays the
/// callback's (a static or thread-local buffer is fine): the library copies
/// it before the next call on the same thread. Return any other value for
/// an error: `*reply` (if set) is the reason, else "handler failed (code N)";
/// the client receives it as a failed task.
///
/// Called on the worker's callback threads (`hypobus-tcb`, as many as
/// `hb_task_worker_config_t.threads`), one request per thread at a time.
/// It may call any library function, also `hb_task_worker_stop` or
/// `hb_task_worker_free` on its own worker. Declared `C-unwind`: a thread
/// exit inside the callback ends only that thread.
pub type HbTaskFn = Option<
    unsafe extern "C-unwind" fn(user: *mut c_void, service: *const c_char, req: *const u8, req_len: usize, reply: *mut *const u8, reply_len: *mut usize) -> i32,
>;

/// How `hb_task_worker_new` starts a worker. Set `size` to
/// `sizeof(hb_task_worker_config_t)`, every unused field to 0 / NULL.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbTaskWorkerConfig {
    /// Set by the caller: `sizeof(hb_task_worker_config_t)`.
    pub size: u32,
    /// Requests held at once: callback threads, or jobs the caller may hold
    /// with `hb_task_worker_recv`; 0 = 1.
    pub threads: u32,
    /// The broker's backend endpoint; NULL = `tcp://127.0.0.1:5571`.
    pub broker: *const c_char,
    /// The services served, separated by commas; NULL or `""` = the default service.
    pub services: *const c_char,
    /// Prefix of the worker's routing id; NULL = `w`.
    pub name: *const c_char,
    /// Heartbeat period (the broker's); 0 = 1000 ms.
    pub hb_interval_ms: u32,
    /// Missed broker heartbeats before reconnecting; 0 = 3.
    pub liveness: u32,
}

const NO_WORKER_CONFIG: HbTaskWorkerConfig =
    HbTaskWorkerConfig { size: 0, threads: 0, broker: std::ptr::null(), services: std::ptr::null(), name: std::ptr::null(), hb_interval_ms: 0, liveness: 0 };

/// A worker's counters (`hb_task_worker_stats`). Set `size` to `sizeof(hb_task_worker_stats_t)` first.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbTaskWorkerStats {
    /// Set by the caller: `sizeof(hb_task_worker_stats_t)`.
    pub size: u32,
    /// The load reported last (0..100: the share of slots in use, unless set).
    pub load: u32,
    /// Callbacks running now: after `hb_task_worker_stop` returned with some
    /// still running, `user` must stay valid until this is 0.
    pub callbacks_running: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Requests received.
    pub jobs: u64,
    /// Answers sent.
    pub replies: u64,
    /// Error answers among them.
    pub errors: u64,
    /// Jobs of an earlier connection dropped at a reconnection.
    pub dropped: u64,
    /// Reconnections (the broker went silent or restarted).
    pub reconnects: u64,
    /// Jobs held now.
    pub held: u64,
}

impl From<WorkerStats> for HbTaskWorkerStats {
    fn from(s: WorkerStats) -> Self {
        HbTaskWorkerStats {
            size: 0,
            load: s.load,
            callbacks_running: 0,
            reserved: 0,
            jobs: s.jobs,
            replies: s.replies,
            errors: s.errors,
            dropped: s.dropped,
            reconnects: s.reconnects,
            held: s.held,
        }
    }
}

/// A task worker (opaque): registers with a broker, heartbeats, and either
/// calls a C function on callback threads of its own or hands requests to
/// the caller (`hb_task_worker_recv`). Create with `hb_task_worker_new`,
/// release with `hb_task_worker_free`. Any thread may use it; a waiting
/// `hb_task_worker_recv` does not hold it.
pub struct HbTaskWorker {
    inner: Mutex<TaskWorker>,
    shared: Arc<tw::Shared>,
    /// Service and id of the jobs taken with `hb_task_worker_recv`.
    held: Mutex<HashMap<u64, (String, String)>>,
    pool: Option<Arc<Pool>>,
}

impl HbTaskWorker {
    fn stop(&self) -> FfiResult {
        let r = lock(&self.inner, "hb_task_worker")?.stop();
        if let Some(p) = &self.pool {
            p.wait_idle();
        }
        Ok(r?)
    }
}

impl Object for HbTaskWorker {
    const TAG: TypeTag = TypeTag::TaskWorker;
    fn look(&self, _events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        let (ready, fd) = lock(&self.inner, "hb_task_worker")?.wait_state();
        fds.push(fd);
        Ok(Look { revents: if ready && self.pool.is_none() { HB_POLLIN } else { 0 }, timer: None })
    }
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(Some(vec![tw::jobs_fd(&self.shared)]))
    }
    fn close(&self) {
        let _ = self.stop();
    }
}

/// The callback threads of one worker.
struct Pool {
    shared: Arc<tw::Shared>,
    f: unsafe extern "C-unwind" fn(*mut c_void, *const c_char, *const u8, usize, *mut *const u8, *mut usize) -> i32,
    user: usize,
    running: AtomicU32,
    idle: (Mutex<()>, std::sync::Condvar),
}

// SAFETY: `user` is only passed back to the C callback (on the callback
// threads), as the documentation of hb_task_worker_new says; the rest is Sync.
unsafe impl Send for Pool {}
// SAFETY: as above.
unsafe impl Sync for Pool {}

impl Pool {
    /// Wait up to 500 ms for running callbacks, never from a callback thread.
    fn wait_idle(&self) {
        if ON_POOL.with(|c| c.get()) == self as *const Pool as usize {
            return;
        }
        let until = Instant::now() + super::callback::GRACE;
        let mut g = self.idle.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while self.running.load(Ordering::SeqCst) > 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            g = self.idle.1.wait_timeout(g, left.min(Duration::from_millis(20))).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }

    fn spawn(self: &Arc<Pool>) -> Result<(), Failure> {
        let arg = Arc::into_raw(self.clone());
        // SAFETY: plain pthread calls on valid pointers; `arg` is reclaimed by the thread (or below on failure).
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            libc::pthread_attr_init(&mut attr);
            libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
            let mut tid: libc::pthread_t = std::mem::zeroed();
            let start: extern "C-unwind" fn(*mut c_void) -> *mut c_void = pool_main;
            // pthread_create's prototype takes an `extern "C"` function; a C-unwind one has the same ABI.
            let start: extern "C" fn(*mut c_void) -> *mut c_void = std::mem::transmute(start);
            let rc = libc::pthread_create(&mut tid, &attr, start, arg as *mut c_void);
            libc::pthread_attr_destroy(&mut attr);
            if rc != 0 {
                drop(Arc::from_raw(arg));
                return Err(Failure::new(HbStatus::HB_CONFIG, format!("cannot start a callback thread: error {rc}")));
            }
        }
        Ok(())
    }
}

thread_local! {
    /// The pool whose callback thread this is (as an address).
    static ON_POOL: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One job handed to a callback: owned here while the callback runs.
struct PoolJob {
    key: u64,
    service: CString,
    body: Vec<u8>,
}

/// Wait for the next job (`None` when the worker stopped); mark it running.
fn pool_take(p: &Pool) -> *mut PoolJob {
    match tw::next_job(&p.shared, None) {
        Some(j) => {
            p.running.fetch_add(1, Ordering::SeqCst);
            let service = CString::new(j.service.replace('\0', " ")).unwrap_or_default();
            Box::into_raw(Box::new(PoolJob { key: j.key, service, body: j.body }))
        }
        None => std::ptr::null_mut(),
    }
}

/// Answer a job with what its callback returned, and free it.
fn pool_finish(p: &Pool, job: *mut PoolJob, rc: i32, reply: *const u8, reply_len: usize) {
    // SAFETY: made by Box::into_raw in pool_take, released once here.
    let job = unsafe { Box::from_raw(job) };
    let bytes: Vec<u8> = if reply.is_null() || reply_len == 0 {
        Vec::new()
    } else {
        // SAFETY: the callback set `reply` to `reply_len` readable bytes (its documented contract).
        unsafe { std::slice::from_raw_parts(reply, reply_len) }.to_vec()
    };
    let result = if rc == 0 {
        Ok(bytes)
    } else if bytes.is_empty() {
        Err(format!("handler failed (code {rc})"))
    } else {
        Err(String::from_utf8_lossy(&bytes).into_owned())
    };
    let _ = tw::answer(&p.shared, job.key, result);
    p.running.fetch_sub(1, Ordering::SeqCst);
    let _g = p.idle.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    p.idle.1.notify_all();
}

fn pool_begin(arg: *mut c_void) -> *const Pool {
    crate::sys::runner::block_signals();
    // SAFETY: names the calling thread; a NUL-terminated literal of < 16 bytes.
    unsafe { libc::pthread_setname_np(libc::pthread_self(), c"hypobus-tcb".as_ptr()) };
    let p = arg as *const Pool;
    ON_POOL.with(|c| c.set(p as usize));
    p
}

fn pool_end(p: *const Pool) {
    // SAFETY: the Arc leaked by Pool::spawn, released once here.
    drop(unsafe { Arc::from_raw(p) });
}

/// A callback thread's start routine: only plain data (raw pointers,
/// numbers) lives in this frame while the callback runs (see the module docs).
extern "C-unwind" fn pool_main(arg: *mut c_void) -> *mut c_void {
    let p = pool_begin(arg);
    // SAFETY: `p` stays valid until pool_end (we hold a strong count).
    let pool: &Pool = unsafe { &*p };
    loop {
        let job = pool_take(pool);
        if job.is_null() {
            break;
        }
        let mut reply: *const u8 = std::ptr::null();
        let mut reply_len: usize = 0;
        // SAFETY: the job lives until pool_finish; the C function is called as its documentation says.
        let rc = unsafe { (pool.f)(pool.user as *mut c_void, (*job).service.as_ptr(), (*job).body.as_ptr(), (*job).body.len(), &mut reply, &mut reply_len) };
        pool_finish(pool, job, rc, reply, reply_len);
    }
    pool_end(p);
    std::ptr::null_mut()
}

/// Start a task worker: connect to the broker's backend, register (with its
/// services, its `threads` slots and its load), heartbeat, and register
/// again whenever the broker restarts or goes silent (I/O thread
/// `hypobus-tw`). `cfg` NULL = every default.
///
/// * `f` not NULL: `f` answers every request, called with `user` on
///   `threads` callback threads of the worker (see `hb_task_fn`). `user` is
///   never read by the library and must stay valid until
///   `hb_task_worker_stop` or `hb_task_worker_free` returned and
///   `hb_task_worker_stats_t.callbacks_running` is 0.
/// * `f` NULL: pull style: take requests with `hb_task_worker_recv` and
///   answer each with `hb_task_worker_reply` or `hb_task_worker_reply_error`.
///
/// Returns `HB_OK`; `HB_CONFIG` (bad endpoint, bad service name, more than
/// 100000 threads); `HB_INVALID_ARGUMENT` (`out` NULL, `cfg->size` unset,
/// bad UTF-8); `HB_ZMQ`. Any thread; never waits (it connects in the background).
#[no_mangle]
pub extern "C" fn hb_task_worker_new(cfg: *const HbTaskWorkerConfig, f: HbTaskFn, user: *mut c_void, out: *mut *mut HbTaskWorker) -> HbStatus {
    ffi_entry!("hb_task_worker_new", {
        let out = Out::new(out, "out")?;
        let c = if cfg.is_null() { NO_WORKER_CONFIG } else { read_sized(cfg, NO_WORKER_CONFIG, "cfg")? };
        let mut wc = WorkerConfig::new(opt_str_arg(c.broker, "broker")?.unwrap_or("tcp://127.0.0.1:5571"));
        wc.capacity = c.threads.max(1);
        wc.services = opt_str_arg(c.services, "services")?.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        wc.name = opt_str_arg(c.name, "name")?.unwrap_or("").to_string();
        wc.hb_interval = ms(c.hb_interval_ms, 1000);
        wc.liveness = if c.liveness == 0 { 3 } else { c.liveness };
        let threads = wc.capacity;
        let w = TaskWorker::start(wc)?;
        let shared = w.shared().clone();
        let pool = match f {
            None => None,
            Some(f) => {
                let p = Arc::new(Pool { shared: shared.clone(), f, user: user as usize, running: AtomicU32::new(0), idle: Default::default() });
                for _ in 0..threads {
                    p.spawn()?;
                }
                Some(p)
            }
        };
        out.set(register(HbTaskWorker { inner: Mutex::new(w), shared, held: Mutex::new(HashMap::new()), pool })?);
        Ok(())
    })
}

/// Pull style (a worker made with `f` NULL): take the next request, waiting
/// at most `timeout_ms` (the timeout rule). `*job` receives its number (for
/// the answer and `hb_task_worker_job_info`), `buf` its body (`len` bytes;
/// the size in `*out_len`, optional). Every job taken must be answered once.
///
/// Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED` (freed or
/// stopped meanwhile); `HB_BUFFER_TOO_SMALL` (the job is NOT taken;
/// `*out_len` = its size); `HB_BUSY` (the worker has a callback: its jobs
/// go there); `HB_INVALID_ARGUMENT` (`job` NULL, `buf` NULL with `len` > 0,
/// a negative time-out); `HB_INVALID_HANDLE`. Any thread; waits for a
/// request (the worker's job queue) without holding the worker.
#[no_mangle]
pub extern "C" fn hb_task_worker_recv(w: *const HbTaskWorker, timeout_ms: i32, job: *mut u64, buf: *mut c_void, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(w; "hb_task_worker_recv", {
        let w = get(w)?;
        let job_out = Out::new(job, "job")?;
        let out = BytesOut::new(buf, len, out_len, "buf")?;
        if w.pool.is_some() {
            return Err(Failure::new(HbStatus::HB_BUSY, "this worker calls its callback with every request: there is nothing to receive"));
        }
        let j = wait_until(&w.common, timeout_ms, "request", |fds| {
            if tw::stopped(&w.shared) {
                return Err(Failure::stopped("the worker was stopped"));
            }
            let g = lock(&w.inner, "hb_task_worker")?;
            match g.try_recv() {
                Some(j) if !out.fits(j.body.len()) => {
                    let n = j.body.len();
                    g.unrecv(j);
                    Err(out.too_small(n))
                }
                Some(j) => Ok(Step::Ready(j)),
                None => {
                    fds.push(tw::jobs_fd(&w.shared));
                    Ok(Step::Wait(None))
                }
            }
        })?;
        out.put(&j.body)?;
        job_out.set(j.key);
        lock(&w.held, "hb_task_worker")?.insert(j.key, (j.service, j.id));
        Ok(())
    })
}

/// The service (`""` = the default service) and the request id of job
/// `job` (taken with `hb_task_worker_recv`, not answered yet), each into
/// its buffer (either may be NULL with length 0; lengths in the optional
/// `*_out_len`). Both texts are shorter than `HB_TEXT_MAX`.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written but empty
/// strings; the lengths needed in the `*_out_len`); `HB_INVALID_ARGUMENT`
/// (no such job waiting); `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_worker_job_info(
    w: *const HbTaskWorker,
    job: u64,
    service: *mut c_char,
    service_len: usize,
    service_out_len: *mut usize,
    id: *mut c_char,
    id_len: usize,
    id_out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(w; "hb_task_worker_job_info", {
        let w = get(w)?;
        let so = StrOut::new(service, service_len, service_out_len, "service")?;
        let io = StrOut::new(id, id_len, id_out_len, "id")?;
        let held = lock(&w.held, "hb_task_worker")?;
        let (s, i) = held.get(&job).ok_or_else(|| Failure::arg(format!("no job {job} is waiting for an answer")))?;
        if !so.fits(s.len()) || !io.fits(i.len()) {
            let e = if !so.fits(s.len()) { so.too_small(s.len()) } else { io.too_small(i.len()) };
            // Both lengths are reported, both buffers left empty.
            let _ = (so.too_small(s.len()), io.too_small(i.len()));
            return Err(e);
        }
        so.put(s)?;
        io.put(i)
    })
}

fn worker_reply(w: *const HbTaskWorker, job: u64, r: Result<Vec<u8>, String>) -> FfiResult {
    let w = get(w)?;
    if lock(&w.held, "hb_task_worker")?.remove(&job).is_none() {
        return Err(Failure::arg(format!("no job {job} is waiting for an answer (never taken, or already answered)")));
    }
    let g = lock(&w.inner, "hb_task_worker")?;
    g.reply(job, r)?;
    Ok(())
}

/// Answer job `job` with `data` (`len` bytes, copied).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (no such job waiting, `data` NULL
/// with `len` > 0); `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_worker_reply(w: *const HbTaskWorker, job: u64, data: *const c_void, len: usize) -> HbStatus {
    ffi_entry!(w; "hb_task_worker_reply", {
        let d = bytes_in(data, len, "data")?.to_vec();
        worker_reply(w, job, Ok(d))
    })
}

/// Answer job `job` with an error; the client receives `reason` (UTF-8,
/// required) as a failed task.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (no such job waiting, `reason`
/// NULL or not UTF-8); `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_worker_reply_error(w: *const HbTaskWorker, job: u64, reason: *const c_char) -> HbStatus {
    ffi_entry!(w; "hb_task_worker_reply_error", {
        let reason = str_arg(reason, "reason")?.to_string();
        worker_reply(w, job, Err(reason))
    })
}

/// Report `load` to the broker from now on (with every answer and
/// heartbeat; a broker with the `HB_TASK_LOAD` policy prefers the ready
/// worker with the least); a negative `load` = automatic (the share of the
/// worker's slots in use, 0..100, the default).
///
/// Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_worker_set_load(w: *const HbTaskWorker, load: i32) -> HbStatus {
    ffi_entry!(w; "hb_task_worker_set_load", {
        lock(&get(w)?.inner, "hb_task_worker")?.set_load(u32::try_from(load).ok());
        Ok(())
    })
}

/// Copy the worker's counters into `*out` (also after stopping); set `out->size` first.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL, `out->size` not set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_worker_stats(w: *const HbTaskWorker, out: *mut HbTaskWorkerStats) -> HbStatus {
    ffi_entry!(w; "hb_task_worker_stats", {
        let w = get(w)?;
        let mut s: HbTaskWorkerStats = lock(&w.inner, "hb_task_worker")?.stats().into();
        s.callbacks_running = w.pool.as_ref().map_or(0, |p| p.running.load(Ordering::SeqCst));
        put_sized(out, s, "out")
    })
}

/// Stop: unregister from the broker, close the socket, end the callback
/// threads (each after the call it is in); waits at most 500 ms for
/// callbacks still running (never when called from one), whose answers are
/// then dropped. Jobs taken and not answered are dropped (the broker
/// dispatches them again). The handle stays valid until freed; stopping
/// twice is harmless; a waiting `hb_task_worker_recv` returns `HB_STOPPED`.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the worker's thread
/// ended with. Any thread, also a callback; waits for the worker's I/O
/// thread (it ends at once) and at most 500 ms for running callbacks.
#[no_mangle]
pub extern "C" fn hb_task_worker_stop(w: *const HbTaskWorker) -> HbStatus {
    ffi_entry!(w; "hb_task_worker_stop", {
        let w = get(w)?;
        let r = w.stop();
        w.common.poke_waiters();
        r
    })
}

/// Stop the worker (see `hb_task_worker_stop`) and release the handle. NULL
/// is a no-op. Any thread, also a callback; waits as `hb_task_worker_stop`.
#[no_mangle]
pub extern "C" fn hb_task_worker_free(w: *mut HbTaskWorker) -> HbStatus {
    ffi_entry!("hb_task_worker_free", { free(w) })
}

// ------------------------------------------------------------ client

/// How `hb_task_client_new` starts a client. Set `size` to
/// `sizeof(hb_task_client_config_t)`, every unused field to 0 / NULL.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbTaskClientConfig {
    /// Set by the caller: `sizeof(hb_task_client_config_t)`.
    pub size: u32,
    /// Sends of one request before it gives up (`HB_TASK_GAVE_UP`); 0 = 3.
    pub tries: u32,
    /// The broker's frontend endpoint; NULL = `tcp://127.0.0.1:5570`.
    pub broker: *const c_char,
    /// Prefix of the request ids and routing id; NULL = `c`.
    pub name: *const c_char,
    /// How long one try waits before the request is sent again (same id); 0 = 2500 ms.
    pub timeout_ms: u32,
    /// Reserved, 0.
    pub reserved: u32,
}

const NO_CLIENT_CONFIG: HbTaskClientConfig =
    HbTaskClientConfig { size: 0, tries: 0, broker: std::ptr::null(), name: std::ptr::null(), timeout_ms: 0, reserved: 0 };

/// A task client's counters (`hb_task_client_stats`). Set `size` to `sizeof(hb_task_client_stats_t)` first.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbTaskClientStats {
    /// Set by the caller: `sizeof(hb_task_client_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Requests and fetches submitted.
    pub submitted: u64,
    /// Sends after the first.
    pub resent: u64,
    /// Fresh sockets after a silent broker.
    pub reconnects: u64,
    /// Outcomes delivered.
    pub completed: u64,
    /// Among them: failed tasks.
    pub failed: u64,
    /// Among them: requests that gave up.
    pub gave_up: u64,
    /// Duplicate answers dropped.
    pub duplicates: u64,
    /// "Still running" notices from the broker.
    pub pending_notices: u64,
    /// Requests waiting for an outcome now.
    pub in_flight: u64,
}

impl From<TaskClientStats> for HbTaskClientStats {
    fn from(s: TaskClientStats) -> Self {
        HbTaskClientStats {
            size: 0,
            reserved: 0,
            submitted: s.submitted,
            resent: s.resent,
            reconnects: s.reconnects,
            completed: s.completed,
            failed: s.failed,
            gave_up: s.gave_up,
            duplicates: s.duplicates,
            pending_notices: s.pending_notices,
            in_flight: s.in_flight,
        }
    }
}

/// A task client (opaque), lazy-pirate style: each request has an id, is
/// resent with it after `timeout_ms` (on a fresh socket when the broker was
/// silent) and gives up after `tries`; many requests in flight; each outcome
/// delivered exactly once. An I/O thread of its own (`hypobus-tc`) does the
/// sending. Create with `hb_task_client_new`, release with
/// `hb_task_client_free`. Any thread may use it; waits do not hold it.
pub struct HbTaskClient {
    inner: TaskClient,
}

impl Object for HbTaskClient {
    const TAG: TypeTag = TypeTag::TaskClient;
    fn look(&self, _events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        let (ready, fd) = self.inner.wait_state();
        fds.push(fd);
        Ok(Look { revents: if ready { HB_POLLIN } else { 0 }, timer: None })
    }
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(Some(vec![self.inner.wait_state().1]))
    }
    fn close(&self) {
        let _ = self.inner.shutdown();
    }
}

/// Start a task client for the broker's frontend (`cfg` NULL = every default).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad endpoint or name); `HB_INVALID_ARGUMENT`
/// (`out` NULL, `cfg->size` unset, bad UTF-8); `HB_ZMQ`. Any thread; never
/// waits (it connects in the background).
#[no_mangle]
pub extern "C" fn hb_task_client_new(cfg: *const HbTaskClientConfig, out: *mut *mut HbTaskClient) -> HbStatus {
    ffi_entry!("hb_task_client_new", {
        let out = Out::new(out, "out")?;
        let c = if cfg.is_null() { NO_CLIENT_CONFIG } else { read_sized(cfg, NO_CLIENT_CONFIG, "cfg")? };
        let mut cc = TaskClientConfig::new(opt_str_arg(c.broker, "broker")?.unwrap_or("tcp://127.0.0.1:5570"));
        cc.timeout = ms(c.timeout_ms, 2500);
        cc.tries = if c.tries == 0 { 3 } else { c.tries };
        cc.name = opt_str_arg(c.name, "name")?.unwrap_or("").to_string();
        out.set(register(HbTaskClient { inner: TaskClient::new(cc)? })?);
        Ok(())
    })
}

/// Submit a request for `service` (NULL or `""` = the default service) with
/// body `data` (`len` bytes, copied); its new id (shorter than 100 bytes)
/// goes to `id` (`id_len` bytes, NUL-terminated; length in `*id_out_len`,
/// optional; NULL with 0 = not wanted). The outcome comes through
/// `hb_task_client_next`.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing submitted; `*id_out_len`
/// = the length needed); `HB_CONFIG` (a bad service name, a body over 16
/// MiB); `HB_INVALID_ARGUMENT` (`data` NULL with `len` > 0); `HB_STOPPED`;
/// `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_client_submit(
    c: *const HbTaskClient,
    service: *const c_char,
    data: *const c_void,
    len: usize,
    id: *mut c_char,
    id_len: usize,
    id_out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(c; "hb_task_client_submit", {
        let c = get(c)?;
        let svc = opt_str_arg(service, "service")?.unwrap_or("");
        let body = bytes_in(data, len, "data")?;
        let out = StrOut::new(id, id_len, id_out_len, "id")?;
        let new = c.inner.new_id();
        if !out.fits(new.len()) {
            return Err(out.too_small(new.len()));
        }
        c.inner.submit_with_id(&new, svc, body)?;
        out.put(&new)
    })
}

/// Submit a request with the caller's id `id` (1 to 128 printable ASCII
/// characters, no space; unique: an id the broker knows gets its known
/// outcome, so resubmitting after a crash is safe).
///
/// Returns `HB_OK`; `HB_CONFIG` (a bad id or service name, a body over 16
/// MiB); `HB_INVALID_ARGUMENT` (`id` NULL, `data` NULL with `len` > 0);
/// `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_client_submit_id(c: *const HbTaskClient, id: *const c_char, service: *const c_char, data: *const c_void, len: usize) -> HbStatus {
    ffi_entry!(c; "hb_task_client_submit_id", {
        let c = get(c)?;
        let id = str_arg(id, "id")?;
        let svc = opt_str_arg(service, "service")?.unwrap_or("");
        Ok(c.inner.submit_with_id(id, svc, bytes_in(data, len, "data")?)?)
    })
}

/// Ask the broker for the outcome of request `id` (sent earlier, maybe by
/// another client or an earlier run of this program): it comes through
/// `hb_task_client_next` (`HB_TASK_UNKNOWN` if the broker does not know
/// the id), after the request finishes if it still runs.
///
/// Returns `HB_OK`; `HB_CONFIG` (a bad id); `HB_INVALID_ARGUMENT` (`id`
/// NULL); `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_client_fetch(c: *const HbTaskClient, id: *const c_char) -> HbStatus {
    ffi_entry!(c; "hb_task_client_fetch", {
        let c = get(c)?;
        Ok(c.inner.fetch(str_arg(id, "id")?)?)
    })
}

fn outcome_parts(o: &Outcome) -> (i32, &[u8]) {
    match o {
        Outcome::Ok(b) => (HB_TASK_OK, b),
        Outcome::Failed(w) => (HB_TASK_FAILED, w.as_bytes()),
        Outcome::GaveUp(w) => (HB_TASK_GAVE_UP, w.as_bytes()),
        Outcome::Unknown => (HB_TASK_UNKNOWN, b""),
    }
}

/// Take the next outcome, waiting at most `timeout_ms` (the timeout rule):
/// its request id into `id` (NUL-terminated, shorter than 130 bytes; length
/// in `*id_out_len`, optional), `*outcome` = `HB_TASK_OK` (the result in
/// `buf`), `HB_TASK_FAILED` or `HB_TASK_GAVE_UP` (the reason, UTF-8, in
/// `buf`) or `HB_TASK_UNKNOWN`; the size of what went into `buf` in
/// `*out_len` (optional). Each outcome is delivered once.
///
/// Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED`;
/// `HB_BUFFER_TOO_SMALL` (`id` or `buf` too small: the outcome is NOT taken,
/// `*id_out_len` and `*out_len` = the sizes needed); `HB_INVALID_ARGUMENT`
/// (`outcome` NULL, a buffer NULL with a length > 0, a negative time-out);
/// `HB_INVALID_HANDLE`. Any thread; waits for an outcome (the client's
/// completion queue) without holding the client.
#[no_mangle]
pub extern "C" fn hb_task_client_next(
    c: *const HbTaskClient,
    timeout_ms: i32,
    id: *mut c_char,
    id_len: usize,
    id_out_len: *mut usize,
    outcome: *mut i32,
    buf: *mut c_void,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(c; "hb_task_client_next", {
        let c = get(c)?;
        let io = StrOut::new(id, id_len, id_out_len, "id")?;
        let oc = Out::new(outcome, "outcome")?;
        let bo = BytesOut::new(buf, len, out_len, "buf")?;
        let done = wait_until(&c.common, timeout_ms, "outcome", |fds| {
            match c.inner.take_with(|d| d.pop_front()) {
                Some(done) => {
                    let (_, b) = outcome_parts(&done.outcome);
                    if !io.fits(done.id.len()) || !bo.fits(b.len()) {
                        super::set_opt(id_out_len, done.id.len());
                        super::set_opt(out_len, b.len());
                        let e = if !io.fits(done.id.len()) { io.too_small(done.id.len()) } else { bo.too_small(b.len()) };
                        c.inner.untake(done);
                        return Err(e);
                    }
                    Ok(Step::Ready(done))
                }
                None => {
                    if !c.inner.is_running() {
                        return Err(Failure::stopped("the client's thread is gone"));
                    }
                    fds.push(c.inner.wait_state().1);
                    Ok(Step::Wait(None))
                }
            }
        })?;
        let (o, b) = outcome_parts(&done.outcome);
        io.put(&done.id)?;
        bo.put(b)?;
        oc.set(o);
        Ok(())
    })
}

/// Submit a request and wait for its outcome at most `timeout_ms` (the
/// timeout rule; 0 = submit and look once): the result goes to `buf` (`len`
/// bytes; its size in `*out_len`, optional). Outcomes of other requests that
/// arrive meanwhile stay queued for `hb_task_client_next`.
///
/// Returns `HB_OK`; `HB_REMOTE` (the task failed or the client gave up: the
/// reason is the error text); `HB_TIMEOUT` (the wait ran out: the request is
/// cancelled and its outcome dropped); `HB_INTERRUPTED` (likewise cancelled);
/// `HB_BUFFER_TOO_SMALL` (`*out_len` = the size needed; the outcome is kept
/// for `hb_task_client_next`); `HB_CONFIG`; `HB_INVALID_ARGUMENT` (`buf`
/// NULL with `len` > 0, `data` NULL with `len` > 0, a negative time-out);
/// `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; waits for the outcome
/// without holding the client.
#[no_mangle]
pub extern "C" fn hb_task_client_request(
    c: *const HbTaskClient,
    service: *const c_char,
    data: *const c_void,
    data_len: usize,
    timeout_ms: i32,
    buf: *mut c_void,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(c; "hb_task_client_request", {
        super::deadline(timeout_ms)?;
        let c = get(c)?;
        let svc = opt_str_arg(service, "service")?.unwrap_or("");
        let body = bytes_in(data, data_len, "data")?;
        let bo = BytesOut::new(buf, len, out_len, "buf")?;
        let id = c.inner.submit(svc, body)?;
        let me = c.inner.shared_waiters().register()?;
        let r = wait_until(&c.common, timeout_ms, "answer", |fds| {
            me.drain();
            match c.inner.take_with(|d| tc::take_id(d, &id)) {
                Some(done) => Ok(Step::Ready(done)),
                None => {
                    if !c.inner.is_running() {
                        return Err(Failure::stopped("the client's thread is gone"));
                    }
                    fds.push(me.fd());
                    Ok(Step::Wait(None))
                }
            }
        });
        drop(me);
        let done: Completion = match r {
            Ok(d) => d,
            Err(f) => {
                c.inner.cancel(&id);
                return Err(f);
            }
        };
        match done.outcome {
            Outcome::Ok(b) => {
                if !bo.fits(b.len()) {
                    let e = bo.too_small(b.len());
                    c.inner.untake(Completion { id: done.id, outcome: Outcome::Ok(b) });
                    return Err(e);
                }
                bo.put(&b)
            }
            o => {
                let (_, why) = outcome_parts(&o);
                let why = if why.is_empty() { "the broker knows no request with this id".into() } else { String::from_utf8_lossy(why).into_owned() };
                Err(Failure::new(HbStatus::HB_REMOTE, why))
            }
        }
    })
}

/// Copy the client's counters into `*out`; set `out->size` first.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL, `out->size` not set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_task_client_stats(c: *const HbTaskClient, out: *mut HbTaskClientStats) -> HbStatus {
    ffi_entry!(c; "hb_task_client_stats", { put_sized(out, get(c)?.inner.stats().into(), "out") })
}

/// Close the client (requests in flight are abandoned; the broker still
/// finishes them and keeps their results for a fetch) and release the
/// handle; waits on it return `HB_STOPPED`. NULL is a no-op. Any thread;
/// waits for the client's I/O thread to end (at once).
#[no_mangle]
pub extern "C" fn hb_task_client_free(c: *mut HbTaskClient) -> HbStatus {
    ffi_entry!("hb_task_client_free", { free(c) })
}
