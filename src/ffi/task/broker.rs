//! `hb_task_broker_*`: a task broker for C.

use super::super::{
    ffi_entry, free, get, lock, opt_str_arg, put_sized, read_sized, register, Failure, HbStatus, Object, Out, StrOut, TypeTag,
};
use super::{ms, HB_TASK_BACKEND, HB_TASK_FRONTEND, HB_TASK_LOAD, HB_TASK_LRU, HB_TASK_STATE};
use crate::ffi::security::{curve_arg, HbCurveConfig};
use crate::task::broker::{PeeringConfig, Policy, TaskBroker, TaskBrokerConfig, TaskBrokerStats};
use crate::task::store::StoreConfig;
use std::ffi::c_char;
use std::sync::Mutex;

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
    /// SQLite file (WAL mode); `"postgres://USER@HOST:PORT/DB"` (or
    /// `postgresql://`) = a PostgreSQL database (created with its schema on
    /// first use; a view `results` for psql). With a file or a database, a
    /// broker killed and restarted on it finishes every accepted request,
    /// and results can be fetched by id.
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
    /// Non-zero: every commit on disk (survives power loss; slower): SQLite
    /// `synchronous=FULL`; PostgreSQL the server's `synchronous_commit`
    /// (`on`) instead of `off` for the broker's session.
    pub full_sync: i32,
    /// Reserved, 0.
    pub reserved: u32,
    /// This role's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`). Since ABI 1.5.
    pub curve: *const HbCurveConfig,
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
    curve: std::ptr::null(),
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
    cfg.store = StoreConfig::parse(opt_str_arg(c.store, "store")?.unwrap_or("memory"), c.full_sync != 0)?;
    let peers = opt_str_arg(c.peers, "peers")?.unwrap_or("").trim();
    match (opt_str_arg(c.state, "state")?, peers.is_empty()) {
        (None, true) => {}
        (Some(state), false) => {
            let mut list = Vec::new();
            for p in peers.split(',') {
                let (s, f) = p
                    .trim()
                    .split_once('|')
                    .ok_or_else(|| Failure::new(HbStatus::HB_CONFIG, format!("peer {p:?} is not STATE_EP|FRONTEND_EP")))?;
                list.push((s.trim().to_string(), f.trim().to_string()));
            }
            cfg.peering = Some(PeeringConfig { state: state.to_string(), peers: list, interval: ms(c.peer_interval_ms, 1000) });
        }
        _ => return Err(Failure::new(HbStatus::HB_CONFIG, "peering needs both state (where this broker publishes) and peers")),
    }
    cfg.curve = curve_arg(c.curve)?;
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
/// store, policy or peer list, a journal that cannot be opened, a bad
/// CURVE key or file of `cfg->curve`); `HB_INVALID_ARGUMENT` (`out` NULL,
/// `cfg->size` or `cfg->curve->size` unset, bad UTF-8); `HB_ZMQ`. Any
/// thread; waits only for the binds, the key files and for opening the
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
pub extern "C" fn hb_task_broker_endpoint(
    b: *const HbTaskBroker,
    which: i32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
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
