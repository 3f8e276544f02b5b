//! `hb_task_client_*`: a lazy-pirate task client for C.

use super::super::{
    ffi_entry, free, get, opt_str_arg, put_sized, read_sized, register, str_arg, wait_until, BytesOut, Failure, HbStatus, Look, Object,
    Out, Step, StrOut, TypeTag, HB_POLLIN,
};
use super::{bytes_in, ms, HB_TASK_FAILED, HB_TASK_GAVE_UP, HB_TASK_OK, HB_TASK_UNKNOWN};
use crate::ffi::security::{curve_arg, HbCurveConfig};
use crate::task::client::{self as tc, Completion, Outcome, TaskClient, TaskClientConfig, TaskClientStats};
use std::ffi::{c_char, c_void};
use std::os::fd::RawFd;

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
    /// This role's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`). Since ABI 1.5.
    pub curve: *const HbCurveConfig,
}

const NO_CLIENT_CONFIG: HbTaskClientConfig = HbTaskClientConfig {
    size: 0,
    tries: 0,
    broker: std::ptr::null(),
    name: std::ptr::null(),
    timeout_ms: 0,
    reserved: 0,
    curve: std::ptr::null(),
};

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
/// Returns `HB_OK`; `HB_CONFIG` (bad endpoint or name, a bad CURVE key or
/// file of `cfg->curve`); `HB_INVALID_ARGUMENT` (`out` NULL, `cfg->size` or
/// `cfg->curve->size` unset, bad UTF-8); `HB_ZMQ`. Any thread; waits only
/// on the key files (it connects in the background).
#[no_mangle]
pub extern "C" fn hb_task_client_new(cfg: *const HbTaskClientConfig, out: *mut *mut HbTaskClient) -> HbStatus {
    ffi_entry!("hb_task_client_new", {
        let out = Out::new(out, "out")?;
        let c = if cfg.is_null() { NO_CLIENT_CONFIG } else { read_sized(cfg, NO_CLIENT_CONFIG, "cfg")? };
        let mut cc = TaskClientConfig::new(opt_str_arg(c.broker, "broker")?.unwrap_or("tcp://127.0.0.1:5570"));
        cc.timeout = ms(c.timeout_ms, 2500);
        cc.tries = if c.tries == 0 { 3 } else { c.tries };
        cc.name = opt_str_arg(c.name, "name")?.unwrap_or("").to_string();
        cc.curve = curve_arg(c.curve)?;
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
pub extern "C" fn hb_task_client_submit_id(
    c: *const HbTaskClient,
    id: *const c_char,
    service: *const c_char,
    data: *const c_void,
    len: usize,
) -> HbStatus {
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
                        crate::ffi::set_opt(id_out_len, done.id.len());
                        crate::ffi::set_opt(out_len, b.len());
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
        crate::ffi::deadline(timeout_ms)?;
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
