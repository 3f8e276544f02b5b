//! Socket events: pull style (`hb_socket_monitor`, `hb_socket_next_event`) or on a caller's inproc endpoint (`hb_socket_monitor_endpoint`).

use super::super::{ffi_entry, wait_until, Failure, HbStatus, Step, StrOut};
use super::super::{opt_str_arg, HB_POLLMON, HB_TEXT_MAX};
use super::*;
use crate::socket::SocketEvent;
use std::borrow::Cow;
use std::ffi::c_char;

/// A socket event (`hb_socket_next_event`). Set `size` to
/// `sizeof(hb_socket_event_t)` before the call; the library writes only
/// the fields both sides know.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbSocketEvent {
    /// Set by the caller: `sizeof(hb_socket_event_t)`.
    pub size: u32,
    /// What happened: one `HB_EVENT_*` value (libzmq's `ZMQ_EVENT_*`).
    pub event: i32,
    /// The event's value: the connection's file descriptor (CONNECTED,
    /// ACCEPTED, DISCONNECTED, CLOSED, LISTENING), the retry interval in ms
    /// (CONNECT_RETRIED), an errno (BIND_FAILED, ACCEPT_FAILED,
    /// CLOSE_FAILED), a protocol or status code (HANDSHAKE_FAILED_*).
    pub value: i64,
    /// Events dropped so far on this socket because they were not taken in
    /// time (the library keeps the last 1024).
    pub dropped: u64,
}

/// Report the socket's events in `events_mask` (`HB_EVENT_*` bits or'ed,
/// `HB_EVENT_ALL` for all), to be taken with `hb_socket_next_event`; 0
/// stops reporting (events already queued can still be taken). Calling it
/// again replaces the mask. Start it before `hb_socket_connect` or
/// `hb_socket_bind` to see their events.
///
/// The library keeps the last 1024 events not taken yet (older ones are
/// dropped and counted in `hb_socket_event_t.dropped`); libzmq's I/O thread
/// never waits for a slow reader. While a monitor runs, `hb_handle_fd`'s
/// descriptor also wakes for events: an event loop then takes both
/// messages and events with a zero time-out (`hb_socket_next_event`;
/// `hb_socket_recv` alone also quiets the descriptor, keeping the events).
/// `hb_poll` reports them as `HB_POLLMON`.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (bits beyond `HB_EVENT_ALL`);
/// `HB_ZMQ`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_monitor(s: *const HbSocket, events_mask: i32) -> HbStatus {
    ffi_entry!(s; "hb_socket_monitor", {
        let slot = sock(s)?;
        slot.with(|s| s.monitor(events_mask))?;
        // A waiter of hb_socket_next_event looks again (at the new monitor).
        slot.common.notifier.poke();
        Ok(())
    })
}

/// Take the next socket event, waiting up to `timeout_ms` for one (the
/// timeout rule): its type and value go to `*ev` (set `ev->size` first),
/// the endpoint it is about (e.g. `tcp://127.0.0.1:5555`) into `addr`
/// (`len` bytes, NUL-terminated, shorter than `HB_TEXT_MAX`; length without
/// the NUL in `*out_len`, optional; `addr` may be NULL with `len` 0 when the
/// address is not wanted).
///
/// Returns `HB_OK`; `HB_TIMEOUT`; `HB_BUFFER_TOO_SMALL` (the address does
/// not fit: `*out_len` = its length, the event is kept for the next call);
/// `HB_INVALID_ARGUMENT` (`ev` NULL or its size unset, no monitor started
/// and no event left, `addr` NULL with `len` > 0, a negative time-out);
/// `HB_INTERRUPTED`; `HB_STOPPED`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any
/// thread; waits without holding the socket.
#[no_mangle]
pub extern "C" fn hb_socket_next_event(
    s: *const HbSocket,
    timeout_ms: i32,
    ev: *mut HbSocketEvent,
    addr: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(s; "hb_socket_next_event", {
        let slot = sock(s)?;
        check_timeout(timeout_ms)?;
        if ev.is_null() {
            return Err(Failure::arg("ev is NULL"));
        }
        // SAFETY: the caller passes a struct that starts with its u32 size.
        if (unsafe { ev.cast::<u32>().read_unaligned() } as usize) < 8 {
            return Err(Failure::arg("ev->size must be set to sizeof(hb_socket_event_t)"));
        }
        let out = StrOut::new(addr, len, out_len, "addr")?;
        let c = &slot.common;
        let _in = InLoop::enter(&slot.waits);
        let got: SocketEvent = wait_until(c, timeout_ms, "socket event", |fds| {
            let mut g = slot.lock()?;
            let s = g.sock()?;
            s.drain_monitor();
            if let Some(e) = s.peek_event() {
                if !out.fits(e.addr.len()) {
                    let mut f = out.too_small(e.addr.len());
                    f.msg = Cow::Owned(format!("{}; the event is kept", f.msg));
                    return Err(f);
                }
                let e = s.take_event().unwrap_or_else(|| unreachable!());
                if s.peek_event().is_some() && slot.others(c, true) {
                    // Our drain may have consumed the signal another waiter sleeps on.
                    c.notifier.poke();
                }
                return Ok(Step::Ready(e));
            }
            if !s.monitoring() {
                return Err(Failure::arg("no socket event to take and no monitor running: call hb_socket_monitor first"));
            }
            g.last_ev &= !HB_POLLMON;
            fds.push(slot.mfd);
            Ok(Step::Wait(None))
        })?;
        debug_assert!(got.addr.len() < HB_TEXT_MAX);
        out.put(&got.addr)?;
        crate::ffi::put_sized(ev, HbSocketEvent { size: 0, event: got.event, value: got.value, dropped: got.dropped }, "ev")
    })
}

/// Start libzmq's socket monitor on the caller's `endpoint` (pyzmq's
/// `socket.monitor(addr, events)`, libzmq's `zmq_socket_monitor`): libzmq
/// binds a PAIR socket at `endpoint` (an `inproc://` address) and sends
/// each event in `events` (`HB_EVENT_*` bits or'ed) to it as two frames,
/// libzmq's v1 format: 6 bytes (event as uint16, value as uint32, both
/// little-endian on the platforms served) and the endpoint it is about.
/// `endpoint` NULL stops the monitor (libzmq first sends
/// `HB_EVENT_MONITOR_STOPPED` if `events` had it). A running monitor of
/// either kind is replaced (events of an `hb_socket_monitor` already queued
/// stay readable with `hb_socket_next_event`); `hb_socket_monitor` in turn
/// replaces this one. Freeing the socket stops it (in the freeing call).
///
/// The reader is the caller's: libzmq sends the events with a blocking
/// send, on its I/O thread (shared by every socket of the process) for
/// most of them. Connect an inproc `HB_PAIR` socket with `HB_RCVHWM` 0 to
/// `endpoint` BEFORE this call (an inproc connect may come before the
/// bind; the pipe is then unbounded from the first event on, so no send
/// ever waits) and keep it open until the monitor is stopped or the socket
/// freed (an inproc pipe ends with its bind side: connect a reader anew
/// before each start). A reader with a bounded pipe that is not read, or
/// none at all, stalls libzmq's I/O thread, as with libzmq itself; and
/// `hb_socket_free` then waits in that send (it stops the monitor in the
/// call, rather than leaving the send to libzmq's reaper thread).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (bits beyond `HB_EVENT_ALL`, an
/// endpoint that is not UTF-8); `HB_ZMQ` (libzmq's errno:
/// `EPROTONOSUPPORT` for an endpoint that is not `inproc://`,
/// `EADDRINUSE`, `EINVAL`); `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread;
/// waits for nothing of its own: starting never waits, and stopping waits
/// only in libzmq's blocking send of `HB_EVENT_MONITOR_STOPPED`, i.e. not
/// at all with the reader described above.
///
/// Since ABI 1.3.
#[no_mangle]
pub extern "C" fn hb_socket_monitor_endpoint(s: *const HbSocket, endpoint: *const c_char, events: i32) -> HbStatus {
    ffi_entry!(s; "hb_socket_monitor_endpoint", {
        let slot = sock(s)?;
        let ep = opt_str_arg(endpoint, "endpoint")?;
        slot.with(|s| s.monitor_endpoint(ep, events))?;
        // A waiter of hb_socket_next_event looks again (a pull-style monitor may have stopped).
        slot.common.notifier.poke();
        Ok(())
    })
}
