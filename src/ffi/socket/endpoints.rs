//! `hb_socket_new`, `hb_socket_free` and the endpoints: bind, unbind, connect, disconnect.

use super::super::{ffi_entry, free, get, register, str_arg, FfiResult, HbStatus, Out, StrOut};
use super::*;
use crate::socket::Socket;
use once_cell::sync::OnceCell;
use std::borrow::Cow;
use std::ffi::c_char;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

/// Create a socket of type `type` (libzmq's numbers: `HB_PAIR` 0, `HB_PUB`
/// 1, `HB_SUB` 2, `HB_REQ` 3, `HB_REP` 4, `HB_DEALER` 5, `HB_ROUTER` 6,
/// `HB_PULL` 7, `HB_PUSH` 8, `HB_XPUB` 9, `HB_XSUB` 10, `HB_STREAM` 11) in
/// the process's one ZeroMQ context, which the library's roles share (so
/// `inproc://` endpoints reach them). Options are libzmq's defaults
/// (LINGER -1, HWMs 1000). `*out` receives the handle.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, bad type); `HB_ZMQ`
/// (too many sockets: `EMFILE`). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_new(r#type: i32, out: *mut *mut HbSocket) -> HbStatus {
    ffi_entry!("hb_socket_new", {
        let out = Out::new(out, "out")?;
        let s = Socket::new(r#type).map_err(fail)?;
        let (zfd, mfd) = (s.fd(), s.monitor_fd());
        let h = register(HbSocket {
            inner: std::sync::Mutex::new(Inner { st: State::Own(s), last_ev: 0, touches: 0 }),
            zfd,
            mfd,
            waits: AtomicUsize::new(0),
            me: OnceCell::new(),
        })?;
        let slot = get(h)?;
        let _ = slot.me.set(Arc::downgrade(&slot));
        out.set(h);
        Ok(())
    })
}

/// Close the socket and release the handle. Every wait on it (on any
/// thread) returns `HB_STOPPED` at once. Messages not yet sent are sent in
/// the background as `HB_LINGER` says (libzmq's default -1: until they are
/// sent or the peer is gone for good; set it to 0 to drop them). A running
/// monitor stops. A socket that a proxy runs is closed when the proxy stops.
/// NULL is a no-op.
///
/// Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; never waits, except
/// in libzmq's send of `HB_EVENT_MONITOR_STOPPED` to the reader of a monitor
/// started by `hb_socket_monitor_endpoint` (no wait with the reader that
/// function describes).
#[no_mangle]
pub extern "C" fn hb_socket_free(s: *mut HbSocket) -> HbStatus {
    ffi_entry!("hb_socket_free", { free(s) })
}

/// Bind the socket to `endpoint` (`tcp://127.0.0.1:5555`,
/// `tcp://127.0.0.1:*` for a free port, `ipc:///tmp/x`, `inproc://name`)
/// and write the endpoint actually bound (a wildcard port resolved, e.g.
/// `tcp://127.0.0.1:40123`) into `bound` (`len` bytes, NUL-terminated;
/// length without the NUL in `*out_len`, optional). `bound` may be NULL
/// with `len` 0. An endpoint is shorter than `HB_TEXT_MAX`.
///
/// Returns `HB_OK`; `HB_CONFIG` (a bad endpoint, address in use, unknown
/// protocol: the message names the endpoint, `hb_error_info` gives
/// libzmq's errno, e.g. `EADDRINUSE`); `HB_BUFFER_TOO_SMALL` (the socket IS
/// bound; `*out_len` = the length; read it again with `HB_LAST_ENDPOINT`);
/// `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`; `HB_BUSY` (a proxy runs
/// it). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_bind(
    s: *const HbSocket,
    endpoint: *const c_char,
    bound: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(s; "hb_socket_bind", {
        let slot = sock(s)?;
        let ep = str_arg(endpoint, "endpoint")?;
        let out = StrOut::new(bound, len, out_len, "bound")?;
        let real = slot.with(|s| s.bind(ep))?;
        if out.fits(real.len()) {
            out.put(&real)
        } else {
            let mut f = out.too_small(real.len());
            f.msg = Cow::Owned(format!("{} (the socket is bound to {real})", f.msg));
            Err(f)
        }
    })
}

fn endpoint_call(s: *const HbSocket, endpoint: *const c_char, f: fn(&mut Socket, &str) -> crate::socket::Result<()>) -> FfiResult {
    let slot = sock(s)?;
    let ep = str_arg(endpoint, "endpoint")?;
    slot.with(|s| f(s, ep))
}

/// Stop listening on `endpoint`, given as `hb_socket_bind` wrote it (a
/// wildcard does not match).
///
/// Returns `HB_OK`; `HB_CONFIG` (not bound there: errno `ENOENT`);
/// `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread;
/// never waits.
#[no_mangle]
pub extern "C" fn hb_socket_unbind(s: *const HbSocket, endpoint: *const c_char) -> HbStatus {
    ffi_entry!(s; "hb_socket_unbind", { endpoint_call(s, endpoint, Socket::unbind) })
}

/// Connect the socket to `endpoint` (`tcp://127.0.0.1:5555`, `inproc://name`,
/// ...). The peer need not be up yet: libzmq connects and reconnects in the
/// background (see `HB_RECONNECT_IVL`, and `hb_socket_monitor` to watch it).
///
/// Returns `HB_OK`; `HB_CONFIG` (a bad endpoint: the message names it,
/// `hb_error_info` gives the errno); `HB_INVALID_ARGUMENT`;
/// `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_connect(s: *const HbSocket, endpoint: *const c_char) -> HbStatus {
    ffi_entry!(s; "hb_socket_connect", { endpoint_call(s, endpoint, Socket::connect) })
}

/// Disconnect from `endpoint`, given as to `hb_socket_connect`.
///
/// Returns `HB_OK`; `HB_CONFIG` (not connected there: errno `ENOENT`);
/// `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread;
/// never waits.
#[no_mangle]
pub extern "C" fn hb_socket_disconnect(s: *const HbSocket, endpoint: *const c_char) -> HbStatus {
    ffi_entry!(s; "hb_socket_disconnect", { endpoint_call(s, endpoint, Socket::disconnect) })
}
