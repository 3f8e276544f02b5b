//! `hb_poll` and `hb_wait_any`: one call that waits on many handles of any
//! pollable kind (sockets, clients, pull-style op nodes, failover brokers).
//!
//! No handle is held while the call sleeps: each is looked at (locked only
//! for the look), then the call sleeps on the descriptors the looks named
//! and on each handle's notifier, so a free, an `hb_wake` or another
//! thread's taking wakes it at once.

use super::handle::Common;
use super::{ffi_entry, get_dyn, take_wake, Failure, HbStatus, Out, HB_POLLERR, HB_POLLIN, HB_POLLWAKE, HB_WAIT_MAX};
use super::{DynSlot, FfiResult};
use std::ffi::c_void;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use HbStatus::*;

/// One entry of an `hb_poll` set.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbPollItem {
    /// A handle of a pollable kind: `hb_socket*`, `hb_client*`,
    /// `hb_op_pull*`, `hb_failover*` (cast to `const void*`).
    pub handle: *const c_void,
    /// What to wait for: `HB_POLLIN` (something to take: a message, an
    /// answer or due resend, a request, an event), `HB_POLLOUT` (sockets:
    /// can send).
    pub events: i16,
    /// Set by `hb_poll`: the events that are ready, plus `HB_POLLERR` (the
    /// handle is freed or stopped) and `HB_POLLWAKE` (`hb_wake` was called),
    /// which are reported whatever `events` asks.
    pub revents: i16,
}

/// Look at every item once; returns how many are ready, the descriptors to
/// sleep on and the earliest timer.
fn look_all(
    items: &mut [HbPollItem],
    slots: &mut Vec<Option<Arc<dyn DynSlot>>>,
    fds: &mut Vec<RawFd>,
) -> Result<(usize, Option<Instant>), Failure> {
    let mut ready = 0;
    let mut timer: Option<Instant> = None;
    slots.clear();
    fds.clear();
    for it in items.iter_mut() {
        it.revents = 0;
        let h = match get_dyn(it.handle.addr()) {
            Ok(h) => h,
            Err(_) => {
                it.revents = HB_POLLERR;
                ready += 1;
                slots.push(None);
                continue;
            }
        };
        let c = h.common();
        if c.is_closed() {
            it.revents = HB_POLLERR;
        } else {
            if take_wake(c) {
                it.revents |= HB_POLLWAKE;
            } else {
                c.notifier.drain();
            }
            let look = h.look(it.events, fds)?;
            it.revents |= look.revents & it.events;
            if let Some(t) = look.timer {
                timer = Some(timer.map_or(t, |x| x.min(t)));
            }
        }
        if it.revents != 0 {
            ready += 1;
        }
        slots.push(Some(h));
    }
    Ok((ready, timer))
}

/// Sleep on `fds` and every live handle's notifier (counted as a waiter
/// on each, so takings on other threads wake it) until `until`.
fn sleep_all(slots: &[Option<Arc<dyn DynSlot>>], fds: &[RawFd], until: Instant) -> FfiResult {
    let mut all: Vec<RawFd> = fds.to_vec();
    for h in slots.iter().flatten() {
        all.push(h.common().notifier.fd());
        h.common().waiters.fetch_add(1, Ordering::SeqCst);
    }
    let r = super::sleep_on(None, &all, until);
    for h in slots.iter().flatten() {
        h.common().waiters.fetch_sub(1, Ordering::SeqCst);
    }
    r
}

fn poll_items(items: &mut [HbPollItem], timeout_ms: i32) -> Result<usize, Failure> {
    let deadline = super::deadline(timeout_ms)?;
    let mut slots = Vec::with_capacity(items.len());
    let mut fds = Vec::with_capacity(items.len() + 1);
    loop {
        let (ready, timer) = look_all(items, &mut slots, &mut fds)?;
        if ready > 0 {
            return Ok(ready);
        }
        if Instant::now() >= deadline {
            return Err(Failure::timeout(format!("no handle became ready within {timeout_ms} ms")));
        }
        sleep_all(&slots, &fds, timer.map_or(deadline, |t| t.min(deadline)))?;
    }
}

fn items_arg<'a>(items: *mut HbPollItem, n: usize) -> Result<&'a mut [HbPollItem], Failure> {
    if items.is_null() || n == 0 {
        return Err(Failure::arg("items is NULL or n is 0"));
    }
    if n > HB_WAIT_MAX {
        return Err(Failure::arg(format!("n is {n}: at most HB_WAIT_MAX ({HB_WAIT_MAX}) handles per call")));
    }
    // SAFETY: the caller passes an array of n items (n bounded above).
    Ok(unsafe { std::slice::from_raw_parts_mut(items, n) })
}

/// Wait until at least one of `n` handles is ready, at most `timeout_ms`
/// milliseconds (the timeout rule: 0 = just look, negative refused).
///
/// `items` is an array of `n` (1 to `HB_WAIT_MAX`) `hb_poll_item`s; each
/// names a handle and the events to wait for. On return every item's
/// `revents` is set: ready events, `HB_POLLERR` for a handle that is freed,
/// stopped or not valid, `HB_POLLWAKE` after `hb_wake`. A handle is
/// `HB_POLLIN`-ready when its taking call with a zero time-out makes
/// progress (`hb_socket_recv`, `hb_client_next`, `hb_op_pull_recv`,
/// `hb_failover_next_event`); make those calls, then poll again.
///
/// Returns `HB_OK` with `*n_ready` (optional) = the number of items with
/// `revents` != 0; `HB_TIMEOUT`; `HB_INTERRUPTED` (a signal);
/// `HB_INVALID_ARGUMENT` (`items` NULL, `n` 0 or above `HB_WAIT_MAX`, a
/// negative time-out, a handle of a kind that cannot be polled: broker,
/// calc, op, proxy). Any thread; waits on the handles' descriptors and
/// holds none of them meanwhile: other threads may use or free them, and a
/// free or `hb_wake` ends the wait at once.
#[no_mangle]
pub extern "C" fn hb_poll(items: *mut HbPollItem, n: usize, timeout_ms: i32, n_ready: *mut usize) -> HbStatus {
    ffi_entry!("hb_poll", {
        let items = items_arg(items, n)?;
        let ready = poll_items(items, timeout_ms)?;
        super::set_opt(n_ready, ready);
        Ok(())
    })
}

/// Wait until one of `n` handles has something to take, at most
/// `timeout_ms` milliseconds: `hb_poll` with `HB_POLLIN` on every handle,
/// for callers that only need the first ready one.
///
/// `handles` points to `n` (1 to `HB_WAIT_MAX`) handles of pollable kinds,
/// mixed as you like (cast to `const void*`).
///
/// Returns `HB_OK` with the index of the first ready handle in `*ready`
/// (also a handle woken by `hb_wake`, or freed meanwhile: its next call
/// says which); `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_INVALID_ARGUMENT`
/// (`handles` or `ready` NULL, `n` 0 or above `HB_WAIT_MAX`, a negative
/// time-out, a handle that cannot be polled); `HB_INVALID_HANDLE` (a NULL,
/// freed or unknown handle: `*ready` is its index). Any thread; holds no
/// handle while it waits.
#[no_mangle]
pub extern "C" fn hb_wait_any(handles: *const *const c_void, n: usize, timeout_ms: i32, ready: *mut usize) -> HbStatus {
    ffi_entry!("hb_wait_any", {
        let ready = Out::new(ready, "ready")?;
        if handles.is_null() || n == 0 {
            return Err(Failure::arg("handles is NULL or n is 0"));
        }
        if n > HB_WAIT_MAX {
            return Err(Failure::arg(format!("n is {n}: at most HB_WAIT_MAX ({HB_WAIT_MAX}) handles per call")));
        }
        // SAFETY: the caller passes an array of n handle values (n bounded above).
        let hs = unsafe { std::slice::from_raw_parts(handles, n) };
        for (i, h) in hs.iter().enumerate() {
            if let Err(e) = get_dyn(h.addr()) {
                ready.set(i);
                return Err(e);
            }
        }
        let mut items: Vec<HbPollItem> = hs.iter().map(|&handle| HbPollItem { handle, events: HB_POLLIN, revents: 0 }).collect();
        poll_items(&mut items, timeout_ms)?;
        let i = items.iter().position(|it| it.revents != 0).unwrap_or(0);
        if items[i].revents & HB_POLLERR != 0 && get_dyn(items[i].handle.addr()).is_err() {
            ready.set(i);
            return Err(Failure::new(HbStatus::HB_INVALID_HANDLE, format!("handle {i} was freed while waiting")));
        }
        ready.set(i);
        Ok(())
    })
}

// ------------------------------------------------------------ the one wait loop

/// The timeout rule (see the header): `timeout_ms` >= 0, 0 = do not wait.
pub(crate) fn deadline(timeout_ms: i32) -> Result<Instant, Failure> {
    if timeout_ms < 0 {
        return Err(Failure::arg(format!(
            "timeout_ms must be >= 0, not {timeout_ms}: nothing waits without a bound (0 = do not wait); to wait longer, call again in a loop"
        )));
    }
    Ok(Instant::now() + Duration::from_millis(timeout_ms as u64))
}

/// What one look of a wait found.
pub(crate) enum Step<R> {
    /// Done: return this.
    Ready(R),
    /// Not yet: sleep until a descriptor pushed onto `fds` signals, or
    /// until this time (a timer of the handle), or the deadline.
    Wait(Option<Instant>),
}

/// Sleep on `fds` (and the notifier) until one signals or `until`.
/// `HB_INTERRUPTED` when a signal arrives.
pub(crate) fn sleep_on(common: Option<&Common>, fds: &[RawFd], until: Instant) -> FfiResult {
    let mut pfds: Vec<libc::pollfd> = fds.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
    if let Some(c) = common {
        pfds.push(libc::pollfd { fd: c.notifier.fd(), events: libc::POLLIN, revents: 0 });
        c.waiters.fetch_add(1, Ordering::SeqCst);
    }
    let left = until.saturating_duration_since(Instant::now());
    let ts = libc::timespec { tv_sec: left.as_secs().min(i32::MAX as u64) as libc::time_t, tv_nsec: left.subsec_nanos() as libc::c_long };
    // SAFETY: pfds is a valid array of pfds.len() pollfd structures; ts is valid; no signal mask change.
    let rc = unsafe { libc::ppoll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, &ts, std::ptr::null()) };
    let err = std::io::Error::last_os_error();
    if let Some(c) = common {
        c.waiters.fetch_sub(1, Ordering::SeqCst);
    }
    if rc < 0 {
        if err.kind() == std::io::ErrorKind::Interrupted {
            return Err(Failure::interrupted());
        }
        return Err(Failure::new(HB_ZMQ, format!("poll failed: {err}")));
    }
    Ok(())
}

/// The one wait loop of the library. Calls `step` (which locks what it
/// needs, only for the look) until it is `Ready`, the deadline of
/// `timeout_ms` passes (`HB_TIMEOUT`, "nothing ... within N ms" with
/// `what`), a signal arrives (`HB_INTERRUPTED`) or the handle is freed
/// (`HB_STOPPED`). `step` runs at least once, also with a zero time-out.
pub(crate) fn wait_until<R>(
    common: &Common,
    timeout_ms: i32,
    what: &str,
    mut step: impl FnMut(&mut Vec<RawFd>) -> Result<Step<R>, Failure>,
) -> Result<R, Failure> {
    let deadline = deadline(timeout_ms)?;
    let mut fds = Vec::with_capacity(4);
    loop {
        if common.is_closed() {
            return Err(Failure::stopped("the handle was freed or stopped"));
        }
        if !common.wake_requested.load(Ordering::SeqCst) {
            common.notifier.drain();
        }
        fds.clear();
        let timer = match step(&mut fds)? {
            Step::Ready(r) => return Ok(r),
            Step::Wait(t) => t,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(Failure::timeout(if timeout_ms == 0 {
                format!("no {what} ready now")
            } else {
                format!("no {what} within {timeout_ms} ms")
            }));
        }
        sleep_on(Some(common), &fds, timer.map_or(deadline, |t| t.min(deadline)))?;
    }
}
