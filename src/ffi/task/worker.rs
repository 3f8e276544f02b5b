//! `hb_task_worker_*`: a task worker for C, pull style or with a callback.
//!
//! Worker callbacks run on callback threads of the worker's own (as many as
//! its slots), made by [`crate::ffi::callback`] like the op and failover
//! callbacks' (see there why): a thread exit inside a callback ends only
//! that thread, and stopping waits at most 500 ms for callbacks that are
//! still running.

use super::super::{
    ffi_entry, free, get, lock, opt_str_arg, put_sized, read_sized, register, str_arg, wait_until, BytesOut, Failure, FfiResult, HbStatus,
    Look, Object, Out, Step, StrOut, TypeTag, HB_POLLIN,
};
use super::{bytes_in, ms};
use crate::ffi::callback::{on_thread_of, spawn, Jobs};
use crate::ffi::security::{curve_arg, HbCurveConfig};
use crate::task::worker::{self as tw, TaskWorker, WorkerConfig, WorkerStats};
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    unsafe extern "C-unwind" fn(
        user: *mut c_void,
        service: *const c_char,
        req: *const u8,
        req_len: usize,
        reply: *mut *const u8,
        reply_len: *mut usize,
    ) -> i32,
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
    /// This role's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`). Since ABI 1.5.
    pub curve: *const HbCurveConfig,
}

const NO_WORKER_CONFIG: HbTaskWorkerConfig = HbTaskWorkerConfig {
    size: 0,
    threads: 0,
    broker: std::ptr::null(),
    services: std::ptr::null(),
    name: std::ptr::null(),
    hb_interval_ms: 0,
    liveness: 0,
    curve: std::ptr::null(),
};

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
    fn wait_idle(self: &Arc<Pool>) {
        if on_thread_of(self) {
            return;
        }
        let until = Instant::now() + crate::ffi::callback::GRACE;
        let mut g = self.idle.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while self.running.load(Ordering::SeqCst) > 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            g = self.idle.1.wait_timeout(g, left.min(Duration::from_millis(20))).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }
}

/// One job handed to a callback: owned here while the callback runs.
struct PoolJob {
    key: u64,
    service: CString,
    body: Vec<u8>,
}

impl Jobs for Pool {
    /// The job, owned by the pool from `take` to `finish` (a raw pointer:
    /// plain data in the thread's frame while the callback runs).
    type Job = *mut PoolJob;
    type Out = (i32, *const u8, usize);

    /// Wait for the next job (`None` when the worker stopped); mark it running.
    fn take(&self) -> Option<*mut PoolJob> {
        let j = tw::next_job(&self.shared, None)?;
        self.running.fetch_add(1, Ordering::SeqCst);
        let service = CString::new(j.service.replace('\0', " ")).unwrap_or_default();
        Some(Box::into_raw(Box::new(PoolJob { key: j.key, service, body: j.body })))
    }

    unsafe fn call(&self, job: *mut PoolJob) -> (i32, *const u8, usize) {
        let mut reply: *const u8 = std::ptr::null();
        let mut reply_len: usize = 0;
        // SAFETY: the job lives until `finish`; the C function is called as its documentation says.
        let rc = unsafe {
            (self.f)(self.user as *mut c_void, (*job).service.as_ptr(), (*job).body.as_ptr(), (*job).body.len(), &mut reply, &mut reply_len)
        };
        (rc, reply, reply_len)
    }

    /// Answer a job with what its callback returned, and free it.
    fn finish(&self, job: *mut PoolJob, (rc, reply, reply_len): (i32, *const u8, usize)) {
        // SAFETY: made by Box::into_raw in `take`, released once here.
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
        let _ = tw::answer(&self.shared, job.key, result);
        self.running.fetch_sub(1, Ordering::SeqCst);
        let _g = self.idle.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.idle.1.notify_all();
    }
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
/// 100000 threads, a bad CURVE key or file of `cfg->curve`);
/// `HB_INVALID_ARGUMENT` (`out` NULL, `cfg->size` or `cfg->curve->size`
/// unset, bad UTF-8); `HB_ZMQ`. Any thread; waits only on the key files (it
/// connects in the background).
#[no_mangle]
pub extern "C" fn hb_task_worker_new(
    cfg: *const HbTaskWorkerConfig,
    f: HbTaskFn,
    user: *mut c_void,
    out: *mut *mut HbTaskWorker,
) -> HbStatus {
    ffi_entry!("hb_task_worker_new", {
        let out = Out::new(out, "out")?;
        let c = if cfg.is_null() { NO_WORKER_CONFIG } else { read_sized(cfg, NO_WORKER_CONFIG, "cfg")? };
        let mut wc = WorkerConfig::new(opt_str_arg(c.broker, "broker")?.unwrap_or("tcp://127.0.0.1:5571"));
        wc.capacity = c.threads.max(1);
        wc.services = opt_str_arg(c.services, "services")?
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        wc.name = opt_str_arg(c.name, "name")?.unwrap_or("").to_string();
        wc.hb_interval = ms(c.hb_interval_ms, 1000);
        wc.liveness = if c.liveness == 0 { 3 } else { c.liveness };
        wc.curve = curve_arg(c.curve)?;
        let threads = wc.capacity;
        let w = TaskWorker::start(wc)?;
        let shared = w.shared().clone();
        let pool = match f {
            None => None,
            Some(f) => {
                let p =
                    Arc::new(Pool { shared: shared.clone(), f, user: user as usize, running: AtomicU32::new(0), idle: Default::default() });
                for _ in 0..threads {
                    spawn(&p, c"hypobus-tcb")?;
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
pub extern "C" fn hb_task_worker_recv(
    w: *const HbTaskWorker,
    timeout_ms: i32,
    job: *mut u64,
    buf: *mut c_void,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
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
