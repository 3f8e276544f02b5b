//! `hb_wait_any`: one call that waits on many handles at once.
//!
//! Made for event loops (Node runs this one call on a worker thread and
//! dispatches what it returns; Python can call it in a loop): no thread of
//! the library calls back, no handle is held while waiting, so other calls
//! on the same handles (submit, reply, next) go on meanwhile from any thread.

use super::client::HbClient;
use super::failover::HbFailover;
use super::op::HbOpPull;
use super::{ffi_entry, get_any, lock, Failure, HbStatus, Out, TypeTag};
use std::ffi::c_void;
use std::time::{Duration, Instant};

/// While a failover handle is in the set (its events have no file
/// descriptor), the wait looks at it at least this often.
const FAILOVER_LOOK: Duration = Duration::from_millis(20);

/// Wait until one of `n` handles has something to take, at most
/// `timeout_ms` milliseconds (0 = just look; negative is refused: nothing
/// waits without a limit, call it in a loop).
///
/// `handles` points to `n` handles, each an `hb_client*`, `hb_op_pull*` or
/// `hb_failover*` (mixed as you like, cast to `const void*`). A handle is
/// ready when the matching call with a zero time-out will make progress:
/// `hb_client_next` (an answer, or a resend or time-out is due),
/// `hb_op_pull_recv` (a request), `hb_failover_next_event` (an event).
/// Make that call, then wait again. The handles are not held while this
/// waits: other threads may use (or free) them meanwhile.
///
/// Returns `HB_OK` with the index of the first ready handle in `*ready`;
/// `HB_TIMEOUT` when none became ready in time; `HB_INVALID_ARGUMENT`
/// (`handles` or `ready` NULL, `n` = 0, a negative time-out, a handle of
/// another kind); `HB_INVALID_HANDLE` (a NULL or freed handle: `*ready` is
/// set to its index); `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_wait_any(handles: *const *const c_void, n: usize, timeout_ms: i32, ready: *mut usize) -> HbStatus {
    ffi_entry!("hb_wait_any", {
        let ready = Out::new(ready, "ready")?;
        if handles.is_null() || n == 0 {
            return Err(Failure::arg("handles is NULL or n is 0"));
        }
        if timeout_ms < 0 {
            return Err(Failure::arg(format!("timeout_ms must be >= 0, not {timeout_ms}: nothing waits without a limit; call it in a loop")));
        }
        // SAFETY: the caller passes an array of n handle values.
        let keys: Vec<usize> = unsafe { std::slice::from_raw_parts(handles, n) }.iter().map(|h| h.addr()).collect();
        let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
        loop {
            // Look at every handle (each locked only for the look), collect
            // the descriptors to sleep on and the earliest timer.
            let mut fds = Vec::with_capacity(n);
            let mut wake = deadline;
            for (i, &key) in keys.iter().enumerate() {
                let (tag, obj) = get_any(key).inspect_err(|_| ready.set(i))?;
                let (is_ready, fd) = match tag {
                    TypeTag::Client => {
                        let c = obj.downcast::<HbClient>().map_err(|_| Failure::arg("bad client handle"))?;
                        let (r, fd, timer) = lock(&c.inner, "hb_client")?.wait_state()?;
                        if let Some(t) = timer {
                            wake = wake.min(t);
                        }
                        (r, Some(fd))
                    }
                    TypeTag::OpPull => {
                        let p = obj.downcast::<HbOpPull>().map_err(|_| Failure::arg("bad op_pull handle"))?;
                        let (r, fd) = lock(&p.inner, "hb_op_pull")?.wait_state()?;
                        (r, Some(fd))
                    }
                    TypeTag::Failover => {
                        let f = obj.downcast::<HbFailover>().map_err(|_| Failure::arg("bad failover handle"))?;
                        wake = wake.min(Instant::now() + FAILOVER_LOOK);
                        (f.has_event(), None)
                    }
                    other => return Err(Failure::arg(format!("handle {i} is a {other:?} handle: only client, op_pull and failover handles can be waited on"))),
                };
                if is_ready {
                    ready.set(i);
                    return Ok(());
                }
                if let Some(fd) = fd {
                    fds.push(libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Failure::new(HbStatus::HB_TIMEOUT, format!("no handle became ready within {timeout_ms} ms")));
            }
            // Sleep until a descriptor signals (ZMQ_FD is edge-triggered; the
            // looks above re-armed it) or a timer is due, then look again.
            let ms = (wake.saturating_duration_since(now).as_micros().div_ceil(1000)).min(i32::MAX as u128) as i32;
            // SAFETY: fds is a valid array of fds.len() pollfd structures.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if rc < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return Err(Failure::new(HbStatus::HB_ZMQ, format!("poll failed: {}", std::io::Error::last_os_error())));
            }
        }
    })
}
