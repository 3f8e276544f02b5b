//! `hb_proxy_*`: a proxy between two sockets on a library thread, over
//! [`crate::proxy::Proxy`].
//!
//! The proxy borrows the sockets from their handles (they answer `HB_BUSY`
//! meanwhile) and gives them back when its loop ends: on `hb_proxy_stop` or
//! `hb_proxy_free`, or by itself on an error. A socket handle freed in the
//! meantime gets nothing back: its socket is closed then.

use super::socket::{sock, HbSocket};
use super::{ffi_entry, free, get, lock, register, wait_until, Failure, HbStatus, Object, Out, Slot, Step, TypeTag};
use crate::proxy::{Proxy, ProxyControl, ProxySockets};
use std::sync::{Arc, Mutex};

/// A proxy (opaque): forwards whole messages both ways between a frontend
/// and a backend socket on a library thread, like `zmq_proxy`. Create with
/// `hb_proxy_new`, release with `hb_proxy_free`. Any thread may use it.
pub struct HbProxy {
    ctl: ProxyControl,
    proxy: Mutex<Proxy>,
}

impl Object for HbProxy {
    const TAG: TypeTag = TypeTag::Proxy;

    fn close(&self) {
        if let Ok(mut p) = self.proxy.lock() {
            let _ = p.stop();
        }
    }
}

/// A proxy's counters (`hb_proxy_stats`). Set `size` to
/// `sizeof(hb_proxy_stats_t)` before the call; the library writes only the
/// fields both sides know.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbProxyStats {
    /// Set by the caller: `sizeof(hb_proxy_stats_t)`.
    pub size: u32,
    /// 1 while paused (`hb_proxy_pause`).
    pub paused: u32,
    /// 1 while the proxy's loop runs; 0 once stopped (or ended on an error).
    pub running: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Messages forwarded frontend to backend (requests, publications).
    pub to_backend_msgs: u64,
    /// Bytes of those messages, all frames.
    pub to_backend_bytes: u64,
    /// Messages forwarded backend to frontend (replies, subscriptions).
    pub to_frontend_msgs: u64,
    /// Bytes of those messages, all frames.
    pub to_frontend_bytes: u64,
    /// Messages dropped because the destination refused them (a ROUTER
    /// with `HB_ROUTER_MANDATORY` and an unknown peer).
    pub dropped: u64,
}

type SockSlot = Arc<Slot<HbSocket>>;

/// Start a proxy between `frontend` and `backend` (and a `capture` socket
/// that gets a copy of every frame forwarded either way, or NULL), like
/// `zmq_proxy`: messages read on the frontend go to the backend and back.
/// Typical pairs: XSUB frontend and XPUB backend (publications flow down,
/// subscriptions up); ROUTER frontend and DEALER backend (a request/reply
/// broker). `*out` receives the handle.
///
/// The sockets move into the proxy: while it runs, calls on their handles
/// return `HB_BUSY` (and waits on them end with `HB_BUSY`). When it stops
/// (`hb_proxy_stop`, `hb_proxy_free`, or an error) they go back to their
/// handles, bound and connected as before; a handle freed meanwhile has its
/// socket closed instead. The proxy never waits on a full destination: a
/// message with no room (e.g. a DEALER with no worker yet) waits in the
/// proxy until there is room, and nothing more is read in that direction
/// meanwhile. The same for the capture, as in `zmq_proxy`, where the copy is
/// sent first: a copy the capture has no room for (a PUSH with no peer yet,
/// a full one) is held and nothing more is read either way until the
/// capture takes it (a PUB capture never refuses: it drops at its HWM). A
/// message kept by a too-small `hb_socket_recv` is forwarded first.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out`, `frontend` or `backend`
/// NULL, the same socket twice); `HB_INVALID_HANDLE`; `HB_BUSY` (a socket
/// already in a proxy); `HB_ZMQ`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_proxy_new(
    frontend: *const HbSocket,
    backend: *const HbSocket,
    capture: *const HbSocket,
    out: *mut *mut HbProxy,
) -> HbStatus {
    ffi_entry!("hb_proxy_new", {
        let out = Out::new(out, "out")?;
        if frontend.is_null() || backend.is_null() {
            return Err(Failure::arg("frontend and backend are required (capture may be NULL)"));
        }
        let (fa, ba, ca) = (frontend.addr(), backend.addr(), capture.addr());
        if fa == ba || (!capture.is_null() && (ca == fa || ca == ba)) {
            return Err(Failure::arg("frontend, backend and capture must be different sockets"));
        }
        let fs = sock(frontend)?;
        let bs = sock(backend)?;
        let cs = if capture.is_null() { None } else { Some(sock(capture)?) };
        // Take the sockets, giving back what was taken if one is not free.
        let f = HbSocket::lend(&fs)?;
        let b = match HbSocket::lend(&bs) {
            Ok(b) => b,
            Err(e) => {
                HbSocket::give_back(&fs, f);
                return Err(e);
            }
        };
        let c = match cs.as_ref().map(|c| HbSocket::lend(c)).transpose() {
            Ok(c) => c,
            Err(e) => {
                HbSocket::give_back(&fs, f);
                HbSocket::give_back(&bs, b);
                return Err(e);
            }
        };
        let slots: (SockSlot, SockSlot, Option<SockSlot>) = (fs.clone(), bs.clone(), cs.clone());
        let on_exit = Box::new(move |s: ProxySockets| {
            HbSocket::give_back(&slots.0, s.frontend);
            HbSocket::give_back(&slots.1, s.backend);
            if let (Some(slot), Some(sock)) = (&slots.2, s.capture) {
                HbSocket::give_back(slot, sock);
            }
        });
        let proxy = match Proxy::start(ProxySockets { frontend: f, backend: b, capture: c }, Some(on_exit)) {
            Ok(p) => p,
            Err(b) => {
                let (e, s) = *b;
                HbSocket::give_back(&fs, s.frontend);
                HbSocket::give_back(&bs, s.backend);
                if let (Some(slot), Some(sock)) = (&cs, s.capture) {
                    HbSocket::give_back(slot, sock);
                }
                return Err(super::socket::fail(e));
            }
        };
        out.set(register(HbProxy { ctl: proxy.control(), proxy: Mutex::new(proxy) })?);
        Ok(())
    })
}

fn live(p: *const HbProxy) -> Result<Arc<Slot<HbProxy>>, Failure> {
    let slot = get(p)?;
    if slot.ctl.is_finished() {
        return Err(Failure::new(HbStatus::HB_STOPPED, "the proxy is stopped"));
    }
    Ok(slot)
}

/// Pause the proxy: when this returns, nothing more is forwarded (messages
/// wait in the sockets, subject to their HWMs) until `hb_proxy_resume`.
///
/// Returns `HB_OK`; `HB_STOPPED` (the proxy is stopped); `HB_INVALID_HANDLE`.
/// Any thread; waits only for a batch being forwarded to finish (microseconds).
#[no_mangle]
pub extern "C" fn hb_proxy_pause(p: *const HbProxy) -> HbStatus {
    ffi_entry!(p; "hb_proxy_pause", {
        live(p)?.ctl.pause();
        Ok(())
    })
}

/// Forward again after `hb_proxy_pause` (what waited goes first).
///
/// Returns `HB_OK`; `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_proxy_resume(p: *const HbProxy) -> HbStatus {
    ffi_entry!(p; "hb_proxy_resume", {
        live(p)?.ctl.resume();
        Ok(())
    })
}

/// Stop the proxy and join its thread (which runs no user code, so this is
/// quick): when it returns, the sockets are back in their handles (usable
/// again) and every `hb_proxy_wait` returns `HB_OK`. Stopping a stopped
/// proxy does nothing. The handle stays valid (for `hb_proxy_stats`) until
/// `hb_proxy_free`.
///
/// Returns `HB_OK`; `HB_ZMQ` (the loop had ended on a libzmq error; the
/// sockets are back all the same); `HB_INVALID_HANDLE`. Any thread; waits
/// for the proxy thread to end.
#[no_mangle]
pub extern "C" fn hb_proxy_stop(p: *const HbProxy) -> HbStatus {
    ffi_entry!(p; "hb_proxy_stop", {
        let slot = get(p)?;
        let r = lock(&slot.proxy, "hb_proxy")?.stop();
        r.map(drop).map_err(super::socket::fail)
    })
}

/// Wait until the proxy has stopped, at most `timeout_ms` (the timeout
/// rule): for pyzmq's blocking `zmq.proxy()`, which a binding runs as a
/// loop of bounded waits until another thread stops the proxy.
///
/// Returns `HB_OK` (stopped, by `hb_proxy_stop` or an error); `HB_TIMEOUT`
/// (still running); `HB_INTERRUPTED`; `HB_STOPPED` (the handle was freed);
/// `HB_INVALID_ARGUMENT` (negative time-out); `HB_INVALID_HANDLE`. Any
/// thread; waits for the proxy's end without holding the handle.
#[no_mangle]
pub extern "C" fn hb_proxy_wait(p: *const HbProxy, timeout_ms: i32) -> HbStatus {
    ffi_entry!(p; "hb_proxy_wait", {
        let slot = get(p)?;
        wait_until(&slot.common, timeout_ms, "end of the proxy", |fds| {
            if slot.ctl.is_finished() {
                return Ok(Step::Ready(()));
            }
            fds.push(slot.ctl.done_fd());
            Ok(Step::Wait(None))
        })
    })
}

/// Write the proxy's counters to `*out` (set `out->size` first).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL or its size unset);
/// `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_proxy_stats(p: *const HbProxy, out: *mut HbProxyStats) -> HbStatus {
    ffi_entry!(p; "hb_proxy_stats", {
        let slot = get(p)?;
        let s = slot.ctl.stats();
        let v = HbProxyStats {
            size: 0,
            paused: s.paused.into(),
            running: s.running.into(),
            reserved: 0,
            to_backend_msgs: s.to_backend_msgs,
            to_backend_bytes: s.to_backend_bytes,
            to_frontend_msgs: s.to_frontend_msgs,
            to_frontend_bytes: s.to_frontend_bytes,
            dropped: s.dropped,
        };
        super::put_sized(out, v, "out")
    })
}

/// Stop the proxy (as `hb_proxy_stop`: its sockets go back to their
/// handles) and release the handle; waits on it return `HB_STOPPED`. NULL
/// is a no-op.
///
/// Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; waits for the proxy
/// thread to end.
#[no_mangle]
pub extern "C" fn hb_proxy_free(p: *mut HbProxy) -> HbStatus {
    ffi_entry!("hb_proxy_free", { free(p) })
}
