//! `hb_client_*`: asks for hypotenuses.

use super::{
    brokers_arg, ffi_entry, free, get, lock, number_arg, register, status_of, Failure, FfiResult, Object, HbStatus, Out, StrOut, TypeTag,
};
use crate::client::{Client, ClientConfig, ClientStats, Mode};
use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

/// A hypotenuse client (opaque). Create with `hb_client_new`, release with
/// `hb_client_free`. No background thread: all work happens inside the
/// calls. Usable from several threads; calls on one handle are serialized
/// (a waiting call holds the handle).
pub struct HbClient {
    pub(crate) inner: Mutex<Client>,
}

impl Object for HbClient {
    const TAG: TypeTag = TypeTag::Client;
    fn look(&self, _events: i16, fds: &mut Vec<std::os::fd::RawFd>) -> Result<super::Look, Failure> {
        let (r, fd, timer) = lock(&self.inner, "hb_client")?.wait_state()?;
        fds.push(fd);
        Ok(super::Look { revents: if r { super::HB_POLLIN } else { 0 }, timer })
    }
}

/// A client's counters (`hb_client_stats`). Set `size` to
/// `sizeof(hb_client_stats_t)` before the call (see `hb_broker_stats_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbClientStats {
    /// Set by the caller: `sizeof(hb_client_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Requests submitted.
    pub requests: u64,
    /// Resends of unanswered requests.
    pub resent: u64,
    /// Answers delivered to the application (values and errors).
    pub answers: u64,
    /// Duplicate or stray answers dropped.
    pub duplicates: u64,
    /// Requests that timed out.
    pub timeouts: u64,
}

impl From<ClientStats> for HbClientStats {
    fn from(s: ClientStats) -> Self {
        HbClientStats { size: 0, reserved: 0, requests: s.requests, resent: s.resent, answers: s.answers, duplicates: s.duplicates, timeouts: s.timeouts }
    }
}

/// Connect a client to the brokers.
///
/// * `brokers`: `"HOST[:XSUB_PORT:XPUB_PORT],..."` (NULL or `""` = `127.0.0.1`
///   on the default ports 5555/5556).
/// * `classic`: 0 = tagged mode (private answers, many requests in flight,
///   retries across a broker failover); non-zero = the original lab's
///   untagged wire (one request at a time, for original calc servers).
/// * `timeout_ms`: default time limit of one request; 0 means 5000.
/// * `out`: receives the new handle (release with `hb_client_free`).
///
/// Does not wait for the connection: the first request does (within its
/// own time limit).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list); `HB_INVALID_ARGUMENT`
/// (`out` NULL, bad UTF-8); `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_client_new(brokers: *const c_char, classic: i32, timeout_ms: u32, out: *mut *mut HbClient) -> HbStatus {
    ffi_entry!("hb_client_new", {
        let out = Out::new(out, "out")?;
        let mode = if classic != 0 { Mode::Classic } else { Mode::Tagged };
        let mut cfg = ClientConfig { brokers: brokers_arg(brokers)?, mode, ..Default::default() };
        if timeout_ms > 0 {
            cfg.timeout = Duration::from_millis(timeout_ms.into());
        }
        let client = Client::new(cfg)?;
        out.set(register(HbClient { inner: Mutex::new(client) })?);
        Ok(())
    })
}

/// A request's time limit: `timeout_ms` > 0, else the client's default.
fn limit(timeout_ms: i32) -> Option<Duration> {
    (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms as u64))
}

/// The hypotenuse of `a` and `b` (decimal text such as `"12"` or `"1.5"`),
/// waiting at most `timeout_ms` milliseconds (0 or negative = the client's
/// default). Writes it with four decimals (e.g. `"17.6918"`) into `out`
/// (`len` bytes, NUL-terminated; length without NUL in `*out_len`, optional).
/// Answers of requests submitted earlier that arrive meanwhile are kept
/// for `hb_client_next`.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a or b NULL, not UTF-8, or not a
/// non-negative finite decimal number: nothing is sent; `out` NULL with
/// `len` > 0); `HB_REMOTE` when the calc node answered an error (the reason
/// is in `hb_last_error`); `HB_TIMEOUT`; `HB_BUFFER_TOO_SMALL` (the answer
/// is cut to fit, `*out_len` = full length; a 400-byte buffer holds any
/// hypotenuse); `HB_CONFIG` (classic mode with a request already in flight);
/// `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_client_hypot(
    c: *const HbClient,
    a: *const c_char,
    b: *const c_char,
    timeout_ms: i32,
    out: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!("hb_client_hypot", {
        let c = get(c)?;
        let (a, b) = (number_arg(a, 'a')?, number_arg(b, 'b')?);
        let out = StrOut::new(out, len, out_len, "out")?;
        let mut g = lock(&c.inner, "hb_client")?;
        let h = match limit(timeout_ms) {
            Some(t) => g.hypot_within(a, b, t)?,
            None => g.hypot(a, b)?,
        };
        drop(g);
        out.put(&h)
    })
}

/// A length given as a double, as wire text.
fn length_text(x: f64, which: char) -> Result<String, Failure> {
    if !x.is_finite() || x < 0.0 {
        return Err(Failure::arg(format!("cathetus {which}: not a non-negative finite number: {x}")));
    }
    Ok(crate::wire::format_f64(x + 0.0)) // + 0.0 turns -0.0 into 0.0
}

/// `hb_client_hypot` with doubles: writes the hypotenuse (the four-decimal
/// answer, parsed) to `*out`. `a` and `b` must be finite and non-negative.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (bad a or b, `out` NULL);
/// `HB_REMOTE` (reason in `hb_last_error`); `HB_TIMEOUT`; `HB_CONFIG`;
/// `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_client_hypot_f64(c: *const HbClient, a: f64, b: f64, timeout_ms: i32, out: *mut f64) -> HbStatus {
    ffi_entry!("hb_client_hypot_f64", {
        let c = get(c)?;
        let out = Out::new(out, "out")?;
        let (a, b) = (length_text(a, 'a')?, length_text(b, 'b')?);
        let mut g = lock(&c.inner, "hb_client")?;
        let h = match limit(timeout_ms) {
            Some(t) => g.hypot_within(&a, &b, t)?,
            None => g.hypot(&a, &b)?,
        };
        drop(g);
        let v = h.parse::<f64>().map_err(|_| Failure::new(HbStatus::HB_REMOTE, format!("answer is not a number: {h:?}")))?;
        out.set(v);
        Ok(())
    })
}

/// Send a request for the hypotenuse of `a` and `b` (decimal text) and
/// return at once; `*id` receives its id. Collect the outcome with
/// `hb_client_next`. The request fails with a time-out after `timeout_ms`
/// (0 or negative = the client's default); unanswered parts are resent
/// meanwhile, but only while some call waits on this client.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a or b NULL, not UTF-8, or not a
/// valid number: nothing is sent; `id` NULL); `HB_CONFIG` (classic mode with
/// a request already in flight); `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_client_submit(c: *const HbClient, a: *const c_char, b: *const c_char, timeout_ms: i32, id: *mut u64) -> HbStatus {
    ffi_entry!("hb_client_submit", {
        let c = get(c)?;
        let (a, b) = (number_arg(a, 'a')?, number_arg(b, 'b')?);
        let id = Out::new(id, "id")?;
        let mut g = lock(&c.inner, "hb_client")?;
        let n = match limit(timeout_ms) {
            Some(t) => g.submit_within(a, b, t)?,
            None => g.submit(a, b)?,
        };
        id.set(n);
        Ok(())
    })
}

/// Wait up to `timeout_ms` milliseconds for the next submitted request to
/// finish (0 = just look; negative = until one finishes, which is bounded
/// by the requests' own time limits, and returns `HB_TIMEOUT` at once when
/// nothing is in flight).
///
/// On `HB_OK` a request finished: `*id` is its id and `*result` its own
/// outcome: `HB_OK` with the hypotenuse in `out` (e.g. `"17.6918"`), or
/// `HB_REMOTE` / `HB_TIMEOUT` / ... with the error text in `out`.
///
/// Returns `HB_OK`; `HB_TIMEOUT` when nothing finished in time (outputs
/// untouched); `HB_BUFFER_TOO_SMALL` (a request finished, `*id` and
/// `*result` are set, the text is cut to fit and `*out_len` is its full
/// length); `HB_INVALID_ARGUMENT` (`id` or `result` NULL, `out` NULL with
/// `len` > 0); `HB_INVALID_HANDLE`; `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_client_next(
    c: *const HbClient,
    timeout_ms: i32,
    id: *mut u64,
    result: *mut HbStatus,
    out: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!("hb_client_next", {
        let c = get(c)?;
        let id = Out::new(id, "id")?;
        let result = Out::new(result, "result")?;
        let out = StrOut::new(out, len, out_len, "out")?;
        let next = lock(&c.inner, "hb_client")?.next(timeout_ms.into())?;
        let Some((n, r)) = next else {
            return Err(Failure::new(HbStatus::HB_TIMEOUT, format!("no request finished within {timeout_ms} ms")));
        };
        id.set(n);
        let written: FfiResult = match r {
            Ok(h) => {
                result.set(HbStatus::HB_OK);
                out.put(&h)
            }
            Err(e) => {
                result.set(status_of(&e));
                out.put(&e.to_string())
            }
        };
        written
    })
}

/// Write the number of requests submitted and not yet finished to `*out`.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out` NULL).
#[no_mangle]
pub extern "C" fn hb_client_in_flight(c: *const HbClient, out: *mut u32) -> HbStatus {
    ffi_entry!("hb_client_in_flight", {
        let c = get(c)?;
        let out = Out::new(out, "out")?;
        let n = lock(&c.inner, "hb_client")?.in_flight();
        out.set(u32::try_from(n).unwrap_or(u32::MAX));
        Ok(())
    })
}

/// Copy the client's counters into `*out`.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out` NULL).
#[no_mangle]
pub extern "C" fn hb_client_stats(c: *const HbClient, out: *mut HbClientStats) -> HbStatus {
    ffi_entry!(c; "hb_client_stats", {
        let c = get(c)?;
        let s = lock(&c.inner, "hb_client")?.stats();
        super::put_sized(out, s.into(), "out")
    })
}

/// Close the client and release the handle; requests in flight are
/// abandoned. NULL is a no-op (`HB_OK`); a freed handle (second free) is
/// `HB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn hb_client_free(c: *mut HbClient) -> HbStatus {
    ffi_entry!("hb_client_free", { free(c) })
}
