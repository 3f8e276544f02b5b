//! `hb_socket_*`: generic ZeroMQ sockets, over [`crate::socket::Socket`].
//!
//! This layer converts arguments, locks the socket for one short primitive
//! at a time and waits with [`wait_until`] (never holding the lock while it
//! sleeps). A call first tries once without the wait machinery (the hot
//! path: registry look-up, lock, one libzmq call, copy; no allocation).
//!
//! Several threads on one socket: libzmq's `ZMQ_FD` is edge-like and any
//! call that makes libzmq process its commands (a send, a receive, reading
//! `ZMQ_EVENTS`) can consume the signal another thread's wait sleeps on.
//! So every wait loop counts itself in `waits` for its whole duration, the
//! last readiness seen is kept (`last_ev`), and a call that saw readiness
//! appear, or took or sent a message, while another wait (or an `hb_poll`)
//! may be sleeping pokes the handle's notifier: the sleepers look again.
//! A waiter only pokes for readiness it did not see before, so two waiters
//! never wake each other in a loop; and a waiter about to sleep for some
//! readiness first clears it from `last_ev`, so whoever sees it appear
//! next pokes.

use super::{deadline, ffi_entry, free, get, lock, register, str_arg, wait_until, Common, Failure, FfiResult, HbStatus, Look, Object, Out, Slot, Step, StrOut, TypeTag};
use super::{opt_str_arg, read_whole, set_opt, HB_POLLIN, HB_POLLMON, HB_POLLOUT, HB_TEXT_MAX};
use crate::socket::{ErrorKind, Recv, Socket, SocketError, SocketEvent};
use once_cell::sync::OnceCell;
use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, MutexGuard, Weak};

// ------------------------------------------------------------ constants

/// `hb_socket_send` flag: the message continues with the next
/// `hb_socket_send` call (libzmq's `ZMQ_SNDMORE`, pyzmq's `send(x, SNDMORE)`).
pub const HB_SNDMORE: i32 = 2;
/// `hb_socket_send` flag: do not wait for room, whatever `timeout_ms` says
/// (libzmq's `ZMQ_DONTWAIT`; the same as `timeout_ms` 0).
pub const HB_DONTWAIT: i32 = 1;

/// Socket type (libzmq's `ZMQ_PAIR`).
pub const HB_PAIR: i32 = 0;
/// Socket type `ZMQ_PUB`.
pub const HB_PUB: i32 = 1;
/// Socket type `ZMQ_SUB`.
pub const HB_SUB: i32 = 2;
/// Socket type `ZMQ_REQ`.
pub const HB_REQ: i32 = 3;
/// Socket type `ZMQ_REP`.
pub const HB_REP: i32 = 4;
/// Socket type `ZMQ_DEALER`.
pub const HB_DEALER: i32 = 5;
/// Socket type `ZMQ_ROUTER`.
pub const HB_ROUTER: i32 = 6;
/// Socket type `ZMQ_PULL`.
pub const HB_PULL: i32 = 7;
/// Socket type `ZMQ_PUSH`.
pub const HB_PUSH: i32 = 8;
/// Socket type `ZMQ_XPUB`.
pub const HB_XPUB: i32 = 9;
/// Socket type `ZMQ_XSUB`.
pub const HB_XSUB: i32 = 10;
/// Socket type `ZMQ_STREAM`.
pub const HB_STREAM: i32 = 11;

/// Option `ZMQ_AFFINITY` (uint64).
pub const HB_AFFINITY: i32 = 4;
/// Option `ZMQ_ROUTING_ID` (bytes, 1..255; `ZMQ_IDENTITY` is the same number).
pub const HB_ROUTING_ID: i32 = 5;
/// Option `ZMQ_IDENTITY`, the old name of `ZMQ_ROUTING_ID`.
pub const HB_IDENTITY: i32 = 5;
/// Option `ZMQ_SUBSCRIBE` (bytes, write-only: a prefix; empty = everything).
pub const HB_SUBSCRIBE: i32 = 6;
/// Option `ZMQ_UNSUBSCRIBE` (bytes, write-only).
pub const HB_UNSUBSCRIBE: i32 = 7;
/// Option `ZMQ_SNDBUF` (int, bytes of the kernel's send buffer; 0 = OS default).
pub const HB_SNDBUF: i32 = 11;
/// Option `ZMQ_RCVBUF` (int).
pub const HB_RCVBUF: i32 = 12;
/// Option `ZMQ_RCVMORE` (int, read-only; always 0 here, since `hb_socket_recv` takes whole messages).
pub const HB_RCVMORE: i32 = 13;
/// Option `ZMQ_FD` (int, read-only; prefer `hb_handle_fd`).
pub const HB_FD: i32 = 14;
/// Option `ZMQ_EVENTS` (int, read-only; the same as `hb_socket_events`).
pub const HB_EVENTS: i32 = 15;
/// Option `ZMQ_TYPE` (int, read-only).
pub const HB_TYPE: i32 = 16;
/// Option `ZMQ_LINGER` (int, ms; -1 = until sent, libzmq's default).
pub const HB_LINGER: i32 = 17;
/// Option `ZMQ_RECONNECT_IVL` (int, ms).
pub const HB_RECONNECT_IVL: i32 = 18;
/// Option `ZMQ_BACKLOG` (int).
pub const HB_BACKLOG: i32 = 19;
/// Option `ZMQ_RECONNECT_IVL_MAX` (int, ms).
pub const HB_RECONNECT_IVL_MAX: i32 = 21;
/// Option `ZMQ_MAXMSGSIZE` (int64, bytes; -1 = no limit).
pub const HB_MAXMSGSIZE: i32 = 22;
/// Option `ZMQ_SNDHWM` (int, messages; 0 = no limit).
pub const HB_SNDHWM: i32 = 23;
/// Option `ZMQ_RCVHWM` (int, messages; 0 = no limit).
pub const HB_RCVHWM: i32 = 24;
/// Option `ZMQ_RCVTIMEO` (int, ms). Stored in libzmq and readable, but the
/// calls of this library take their own `timeout_ms`: a binding implements
/// RCVTIMEO by passing it (a pyzmq look-alike: -1 becomes a loop of bounded waits).
pub const HB_RCVTIMEO: i32 = 27;
/// Option `ZMQ_SNDTIMEO` (int, ms); see `HB_RCVTIMEO`.
pub const HB_SNDTIMEO: i32 = 28;
/// Option `ZMQ_LAST_ENDPOINT` (text, read-only).
pub const HB_LAST_ENDPOINT: i32 = 32;
/// Option `ZMQ_ROUTER_MANDATORY` (int, write-only: sends to an unknown peer fail with `EHOSTUNREACH`).
pub const HB_ROUTER_MANDATORY: i32 = 33;
/// Option `ZMQ_TCP_KEEPALIVE` (int: -1 OS default, 0 off, 1 on).
pub const HB_TCP_KEEPALIVE: i32 = 34;
/// Option `ZMQ_TCP_KEEPALIVE_CNT` (int).
pub const HB_TCP_KEEPALIVE_CNT: i32 = 35;
/// Option `ZMQ_TCP_KEEPALIVE_IDLE` (int, s).
pub const HB_TCP_KEEPALIVE_IDLE: i32 = 36;
/// Option `ZMQ_TCP_KEEPALIVE_INTVL` (int, s).
pub const HB_TCP_KEEPALIVE_INTVL: i32 = 37;
/// Option `ZMQ_IMMEDIATE` (int: queue only toward completed connections).
pub const HB_IMMEDIATE: i32 = 39;
/// Option `ZMQ_XPUB_VERBOSE` (int, write-only: pass on every subscription, not only new ones).
pub const HB_XPUB_VERBOSE: i32 = 40;
/// Option `ZMQ_IPV6` (int).
pub const HB_IPV6: i32 = 42;
/// Option `ZMQ_PROBE_ROUTER` (int, write-only).
pub const HB_PROBE_ROUTER: i32 = 51;
/// Option `ZMQ_REQ_CORRELATE` (int, write-only).
pub const HB_REQ_CORRELATE: i32 = 52;
/// Option `ZMQ_REQ_RELAXED` (int, write-only).
pub const HB_REQ_RELAXED: i32 = 53;
/// Option `ZMQ_CONFLATE` (int: keep only the last message).
pub const HB_CONFLATE: i32 = 54;
/// Option `ZMQ_ROUTER_HANDOVER` (int, write-only).
pub const HB_ROUTER_HANDOVER: i32 = 56;
/// Option `ZMQ_CONNECT_ROUTING_ID` (bytes, write-only: the routing id of the next connect's peer).
pub const HB_CONNECT_ROUTING_ID: i32 = 61;
/// Option `ZMQ_HANDSHAKE_IVL` (int, ms).
pub const HB_HANDSHAKE_IVL: i32 = 66;
/// Option `ZMQ_XPUB_NODROP` (int, write-only).
pub const HB_XPUB_NODROP: i32 = 69;
/// Option `ZMQ_XPUB_WELCOME_MSG` (bytes, write-only).
pub const HB_XPUB_WELCOME_MSG: i32 = 72;
/// Option `ZMQ_INVERT_MATCHING` (int).
pub const HB_INVERT_MATCHING: i32 = 74;
/// Option `ZMQ_HEARTBEAT_IVL` (int, ms).
pub const HB_HEARTBEAT_IVL: i32 = 75;
/// Option `ZMQ_HEARTBEAT_TTL` (int, ms).
pub const HB_HEARTBEAT_TTL: i32 = 76;
/// Option `ZMQ_HEARTBEAT_TIMEOUT` (int, ms).
pub const HB_HEARTBEAT_TIMEOUT: i32 = 77;
/// Option `ZMQ_CONNECT_TIMEOUT` (int, ms).
pub const HB_CONNECT_TIMEOUT: i32 = 79;

/// Socket event (`hb_socket_monitor` mask, `hb_socket_event_t.event`): connected to a peer.
pub const HB_EVENT_CONNECTED: i32 = 0x0001;
/// Socket event: a connect is delayed (will be retried in the background).
pub const HB_EVENT_CONNECT_DELAYED: i32 = 0x0002;
/// Socket event: a connect is retried; `value` = the retry interval in ms.
pub const HB_EVENT_CONNECT_RETRIED: i32 = 0x0004;
/// Socket event: bound and listening.
pub const HB_EVENT_LISTENING: i32 = 0x0008;
/// Socket event: a bind failed; `value` = errno.
pub const HB_EVENT_BIND_FAILED: i32 = 0x0010;
/// Socket event: a connection was accepted.
pub const HB_EVENT_ACCEPTED: i32 = 0x0020;
/// Socket event: accepting a connection failed; `value` = errno.
pub const HB_EVENT_ACCEPT_FAILED: i32 = 0x0040;
/// Socket event: a listening or connection descriptor was closed.
pub const HB_EVENT_CLOSED: i32 = 0x0080;
/// Socket event: closing failed; `value` = errno.
pub const HB_EVENT_CLOSE_FAILED: i32 = 0x0100;
/// Socket event: a connection broke (the peer went away).
pub const HB_EVENT_DISCONNECTED: i32 = 0x0200;
/// Socket event: the monitor stopped.
pub const HB_EVENT_MONITOR_STOPPED: i32 = 0x0400;
/// Socket event: a ZMTP handshake failed (no detail).
pub const HB_EVENT_HANDSHAKE_FAILED_NO_DETAIL: i32 = 0x0800;
/// Socket event: a ZMTP handshake completed (the connection is usable).
pub const HB_EVENT_HANDSHAKE_SUCCEEDED: i32 = 0x1000;
/// Socket event: a handshake failed on a protocol error; `value` = the error.
pub const HB_EVENT_HANDSHAKE_FAILED_PROTOCOL: i32 = 0x2000;
/// Socket event: a handshake failed on authentication; `value` = the status code.
pub const HB_EVENT_HANDSHAKE_FAILED_AUTH: i32 = 0x4000;
/// Every socket event (`ZMQ_EVENT_ALL`).
pub const HB_EVENT_ALL: i32 = 0xFFFF;

// ------------------------------------------------------------ the handle

pub(crate) enum State {
    /// The handle owns its socket.
    Own(Socket),
    /// A proxy runs the socket (`hb_proxy_new`); it comes back when the proxy stops.
    Lent,
    /// Freed.
    Closed,
}

pub(crate) struct Inner {
    pub(crate) st: State,
    /// The readiness last seen by any call (see the module docs).
    last_ev: i16,
    /// Counts the calls that reached the socket: a receive that found
    /// nothing and sees the count unchanged at its first wait step knows
    /// that nobody touched the socket in between (so `ZMQ_FD` will signal
    /// anything new) and sleeps without looking again.
    touches: u64,
}

impl Inner {
    fn sock(&mut self) -> Result<&mut Socket, Failure> {
        self.touches = self.touches.wrapping_add(1);
        match &mut self.st {
            State::Own(s) => Ok(s),
            State::Lent => Err(busy()),
            State::Closed => Err(Failure::new(HbStatus::HB_STOPPED, "the socket was freed")),
        }
    }
}

fn busy() -> Failure {
    Failure::new(HbStatus::HB_BUSY, "the socket is run by a proxy (hb_proxy_new): stop or free the proxy to use it again")
}

/// A generic ZeroMQ socket (opaque). Create with `hb_socket_new`, release
/// with `hb_socket_free`. Any thread may use it; calls are serialized only
/// for the moment they touch libzmq, never while they wait, so a send on one
/// thread does not wait behind a receive waiting on another.
pub struct HbSocket {
    pub(crate) inner: std::sync::Mutex<Inner>,
    zfd: RawFd,
    mfd: RawFd,
    /// Calls inside a wait loop on this socket now.
    waits: AtomicUsize,
    /// The slot of this handle (for `look`, which sees only the object).
    me: OnceCell<Weak<Slot<HbSocket>>>,
}

impl HbSocket {
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Inner>, Failure> {
        lock(&self.inner, "hb_socket")
    }

    /// Whether a wait other than the caller's may be sleeping on this socket.
    fn others(&self, common: &Common, in_loop: bool) -> bool {
        self.waits.load(Ordering::SeqCst) > usize::from(in_loop) || common.has_waiters()
    }

    /// After a call touched libzmq: when others may sleep, look at the
    /// readiness and wake them if some appeared that was not seen before.
    #[inline]
    fn settle(&self, g: &mut Inner, common: &Common, in_loop: bool, ev: Option<i16>) -> FfiResult {
        if ev.is_none() && !self.others(common, in_loop) {
            return Ok(());
        }
        self.settle_slow(g, common, in_loop, ev)
    }

    #[inline(never)]
    fn settle_slow(&self, g: &mut Inner, common: &Common, in_loop: bool, ev: Option<i16>) -> FfiResult {
        if !self.others(common, in_loop) {
            if let Some(ev) = ev {
                g.last_ev = ev;
            }
            return Ok(());
        }
        let ev = match ev {
            Some(ev) => ev,
            None => g.sock()?.events().map_err(fail)?,
        };
        let new = ev & !g.last_ev;
        g.last_ev = ev;
        if new != 0 {
            common.notifier.poke();
        }
        Ok(())
    }

    /// Put a socket back after a proxy ran it; a freed handle closes it.
    pub(crate) fn give_back(slot: &Slot<HbSocket>, s: Socket) {
        let mut g = slot.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if matches!(g.st, State::Lent) {
            g.st = State::Own(s);
            g.last_ev = 0;
        }
        drop(g);
        // Calls on a lent socket return at once (HB_BUSY): nothing sleeps for long on it.
        slot.common.poke_waiters();
    }

    /// Take the socket for a proxy: the handle answers `HB_BUSY` until it is given back.
    pub(crate) fn lend(slot: &Slot<HbSocket>) -> Result<Socket, Failure> {
        let mut g = slot.lock()?;
        g.sock()?;
        let State::Own(s) = std::mem::replace(&mut g.st, State::Lent) else { unreachable!() };
        drop(g);
        // Waits on it look again, and find it busy.
        slot.common.notifier.poke();
        Ok(s)
    }
}

impl Object for HbSocket {
    const TAG: TypeTag = TypeTag::Socket;

    fn look(&self, _events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        let mut g = self.lock()?;
        let ev = g.sock()?.events().map_err(fail)?;
        if let Some(slot) = self.me.get().and_then(Weak::upgrade) {
            self.settle(&mut g, &slot.common, false, Some(ev))?;
        }
        drop(g);
        fds.push(self.zfd);
        fds.push(self.mfd);
        Ok(Look { revents: ev & (HB_POLLIN | HB_POLLOUT | HB_POLLMON), timer: None })
    }

    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(Some(vec![self.zfd, self.mfd]))
    }

    fn close(&self) {
        let mut g = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Dropping the socket closes it (libzmq lingers per ZMQ_LINGER in the background).
        let old = std::mem::replace(&mut g.st, State::Closed);
        drop(g);
        drop(old);
    }
}

/// Run one short primitive on the socket (locked for it), then wake other
/// waits if it may have consumed their signal: binding, connecting and
/// reading options make libzmq process its commands too.
trait With {
    fn with<R>(&self, f: impl FnOnce(&mut Socket) -> crate::socket::Result<R>) -> Result<R, Failure>;
}

impl With for Slot<HbSocket> {
    fn with<R>(&self, f: impl FnOnce(&mut Socket) -> crate::socket::Result<R>) -> Result<R, Failure> {
        let mut g = self.lock()?;
        let r = f(g.sock()?).map_err(fail)?;
        self.settle(&mut g, &self.common, false, None)?;
        Ok(r)
    }
}

/// A socket failure as a C status.
pub(crate) fn fail(e: SocketError) -> Failure {
    if let Some(z) = e.zmq_error {
        // Through the zmq crate: its status mapping, our message.
        let mut f = Failure::zmq(z, "");
        f.msg = Cow::Owned(e.msg);
        return f;
    }
    let status = match e.kind {
        ErrorKind::InvalidArgument => HbStatus::HB_INVALID_ARGUMENT,
        ErrorKind::Endpoint => HbStatus::HB_CONFIG,
        ErrorKind::Zmq => match e.errno {
            libc::EAGAIN => HbStatus::HB_TIMEOUT,
            libc::EINTR => HbStatus::HB_INTERRUPTED,
            x if x == zmq::Error::ETERM.to_raw() => HbStatus::HB_STOPPED,
            _ => HbStatus::HB_ZMQ,
        },
    };
    Failure { status, errno: e.errno, msg: Cow::Owned(e.msg) }
}

thread_local! {
    /// The socket this thread used last: its handle value, and a weak
    /// reference to its slot (`Weak::into_raw`; the cell owns it). Handle
    /// values are never reused, so a hit is the object `get` would find,
    /// unless it was freed (`is_closed`, or nothing left to upgrade): the
    /// registry's lock and hash are skipped on the hot path. Weak, so a
    /// freed socket's descriptors are not kept open by a thread that used it;
    /// plain cells (no destructor), so the access is a bare thread-local load.
    /// A thread that ends leaves one weak count behind (a few hundred bytes).
    static LAST_KEY: Cell<usize> = const { Cell::new(0) };
    static LAST_SLOT: Cell<*const Slot<HbSocket>> = const { Cell::new(std::ptr::null()) };
}

/// The socket behind a handle.
#[inline]
pub(crate) fn sock(s: *const HbSocket) -> Result<Arc<Slot<HbSocket>>, Failure> {
    let key = s.addr();
    // (A forked child's thread keeps its cache: a parent's socket is refused.)
    if key != 0 && LAST_KEY.with(Cell::get) == key && !crate::sys::fork::inherited_key(key) {
        let raw = LAST_SLOT.with(Cell::get);
        // SAFETY: raw came from Weak::into_raw and the cell still owns that
        // weak count; ManuallyDrop leaves it there.
        let weak = std::mem::ManuallyDrop::new(unsafe { Weak::from_raw(raw) });
        if let Some(slot) = weak.upgrade() {
            if !slot.common.is_closed() {
                return Ok(slot);
            }
        }
    }
    let slot = get(s)?;
    let old = LAST_SLOT.with(|c| c.replace(Weak::into_raw(Arc::downgrade(&slot))));
    LAST_KEY.with(|c| c.set(key));
    if !old.is_null() {
        // SAFETY: the weak count the cell owned (from Weak::into_raw), released once.
        drop(unsafe { Weak::from_raw(old) });
    }
    Ok(slot)
}

/// Count a wait loop on the socket for its whole duration.
struct InLoop<'a>(&'a AtomicUsize);

impl<'a> InLoop<'a> {
    fn enter(n: &'a AtomicUsize) -> InLoop<'a> {
        n.fetch_add(1, Ordering::SeqCst);
        InLoop(n)
    }
}

impl Drop for InLoop<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn check_timeout(timeout_ms: i32) -> FfiResult {
    if timeout_ms < 0 {
        deadline(timeout_ms)?;
    }
    Ok(())
}

// ------------------------------------------------------------ create, free, endpoints

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
pub extern "C" fn hb_socket_bind(s: *const HbSocket, endpoint: *const c_char, bound: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
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

// ------------------------------------------------------------ options

/// Set option `option` (libzmq's number, e.g. `HB_SUBSCRIBE`,
/// `HB_ROUTING_ID`, `HB_LINGER`) from `len` raw bytes at `value`, as
/// `zmq_setsockopt` takes them: an int option takes exactly 4 bytes (a C
/// `int`), `HB_MAXMSGSIZE` and `HB_AFFINITY` 8; bytes and text options
/// (subscriptions, routing ids, names) any bytes, NUL bytes included
/// (`value` may be NULL with `len` 0: e.g. subscribe to everything).
/// For integers `hb_socket_setopt_int` is simpler.
///
/// `HB_RCVTIMEO`/`HB_SNDTIMEO` are stored and readable, but the calls of
/// this library take their own `timeout_ms` (bindings pass them on).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (unknown option number, a
/// read-only option, a wrong length, a value libzmq refuses or an option
/// this socket type does not have: errno `EINVAL`, the message names the
/// option); `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_setopt(s: *const HbSocket, option: i32, value: *const c_void, len: usize) -> HbStatus {
    ffi_entry!(s; "hb_socket_setopt", {
        let slot = sock(s)?;
        let v = super::bytes_arg(value, len, "value")?;
        slot.with(|s| s.set_option(option, v))
    })
}

/// Set an integer option (any of libzmq's int, int64 or uint64 options) to
/// `value`, converted to the option's C type; a value that does not fit it
/// (above `INT_MAX` for an int option, negative for a uint64 one) is refused.
///
/// Returns as `hb_socket_setopt`; `HB_INVALID_ARGUMENT` also for a bytes
/// or text option. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_setopt_int(s: *const HbSocket, option: i32, value: i64) -> HbStatus {
    ffi_entry!(s; "hb_socket_setopt_int", {
        let slot = sock(s)?;
        slot.with(|s| s.set_option_int(option, value))
    })
}

/// Read option `option` into `buf` (`len` bytes): bytes options (e.g.
/// `HB_ROUTING_ID`) as their bytes, `*out_len` = their count; text options
/// (`HB_LAST_ENDPOINT`, CURVE keys as Z85) with a NUL added, `*out_len` =
/// the length without it; int options as their raw C value (4 or 8 bytes).
/// `*out_len` is optional; `buf` may be NULL with `len` 0 (a size query).
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written, `*out_len` =
/// the size needed, without the NUL of a text); `HB_INVALID_ARGUMENT`
/// (unknown or write-only option, such as `HB_SUBSCRIBE`: errno `EINVAL`);
/// `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_getopt(s: *const HbSocket, option: i32, buf: *mut c_void, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(s; "hb_socket_getopt", {
        let slot = sock(s)?;
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("buf is NULL but its length is {len}")));
        }
        let v = slot.with(|s| s.option(option))?;
        let b = v.bytes();
        let need = b.len() + usize::from(v.text);
        if buf.is_null() || len < need {
            set_opt(out_len, b.len());
            return Err(Failure::new(
                HbStatus::HB_BUFFER_TOO_SMALL,
                format!("buffer too small for option {option}: {need} bytes needed, {len} given"),
            ));
        }
        // SAFETY: buf holds len >= need writable bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), buf.cast::<u8>(), b.len());
            if v.text {
                buf.cast::<u8>().add(b.len()).write(0);
            }
        }
        set_opt(out_len, b.len());
        Ok(())
    })
}

/// Read an integer option (int, int64 or uint64) into `*value`.
/// `HB_EVENTS` is what `hb_socket_events` returns.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`value` NULL, an unknown,
/// write-only or non-integer option); `HB_INVALID_HANDLE`; `HB_BUSY`.
/// Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_getopt_int(s: *const HbSocket, option: i32, value: *mut i64) -> HbStatus {
    ffi_entry!(s; "hb_socket_getopt_int", {
        let slot = sock(s)?;
        let out = Out::new(value, "value")?;
        out.set(slot.with(|s| s.option_int(option))?);
        Ok(())
    })
}

// ------------------------------------------------------------ send and receive

/// Send one message, or one part of a message, in ONE call: `nframes`
/// frames (at least 1) whose bytes lie one after the other in `data`, the
/// size of frame i in `sizes[i]` (frames may hold NUL bytes, and be empty;
/// `data` may be NULL when every size is 0).
///
/// `flags`: 0, or `HB_SNDMORE` = the message goes on with the next
/// `hb_socket_send` call (pyzmq's `send(x, SNDMORE)`); `HB_DONTWAIT` = do
/// not wait (like `timeout_ms` 0).
///
/// Waits for room up to `timeout_ms` (the timeout rule; 0 = libzmq's
/// `ZMQ_DONTWAIT`: no room now is `HB_TIMEOUT`, libzmq's `EAGAIN`). Only the
/// first frame of a message can be refused for room (libzmq then takes the
/// rest), so a call sends all its frames or none.
///
/// Returns `HB_OK`; `HB_TIMEOUT` (no room: nothing was sent); `HB_ZMQ` with
/// libzmq's errno in `hb_error_info` (`EFSM`: a REQ socket sending twice
/// without a reply between; `EHOSTUNREACH`: `HB_ROUTER_MANDATORY` and no
/// peer with that routing id; `ENOTSUP`: a SUB or PULL socket cannot
/// send); `HB_INVALID_ARGUMENT` (NULL `sizes` or `data`, `nframes` 0, an
/// unknown flag, a negative time-out); `HB_INTERRUPTED`; `HB_STOPPED` (the
/// socket was freed meanwhile); `HB_INVALID_HANDLE`; `HB_BUSY`. Any
/// thread; waits for room without holding the socket.
#[no_mangle]
pub extern "C" fn hb_socket_send(s: *const HbSocket, data: *const c_void, sizes: *const usize, nframes: usize, flags: i32, timeout_ms: i32) -> HbStatus {
    ffi_entry!(s; "hb_socket_send", {
        let slot = sock(s)?;
        check_timeout(timeout_ms)?;
        if flags & !(HB_SNDMORE | HB_DONTWAIT) != 0 {
            return Err(Failure::arg(format!("bad flags {flags:#x}: only HB_SNDMORE (2) and HB_DONTWAIT (1)")));
        }
        if nframes == 0 || sizes.is_null() {
            return Err(Failure::arg("a message needs at least one frame: sizes is NULL or nframes is 0"));
        }
        // SAFETY: the caller passes nframes sizes.
        let sizes = unsafe { std::slice::from_raw_parts(sizes, nframes) };
        let mut total = 0usize;
        for &n in sizes {
            total = total.checked_add(n).ok_or_else(|| Failure::arg("frame sizes overflow"))?;
        }
        let data = super::bytes_arg(data, total, "data")?;
        let more = flags & HB_SNDMORE != 0;
        let timeout_ms = if flags & HB_DONTWAIT != 0 { 0 } else { timeout_ms };
        let c = &slot.common;
        {
            let mut g = slot.lock()?;
            if g.sock()?.try_send(data, sizes, more).map_err(fail)? {
                return slot.settle(&mut g, c, false, None);
            }
        }
        let _in = InLoop::enter(&slot.waits);
        wait_until(c, timeout_ms, "room to send", |fds| {
            let mut g = slot.lock()?;
            let s = g.sock()?;
            for _ in 0..2 {
                if s.try_send(data, sizes, more).map_err(fail)? {
                    slot.settle(&mut g, c, true, None)?;
                    return Ok(Step::Ready(()));
                }
                // libzmq's send processes commands only now and then: read
                // ZMQ_EVENTS (which processes them all) before sleeping.
                let ev = s.events().map_err(fail)?;
                if ev & HB_POLLOUT == 0 {
                    slot.settle(&mut g, c, true, Some(ev))?;
                    break;
                }
            }
            fds.push(slot.zfd);
            Ok(Step::Wait(None))
        })
    })
}

/// Receive one WHOLE message (every frame of a multipart message) in ONE
/// call: the frames are written one after the other into `buf` (`len`
/// bytes), the size of frame i into `sizes[i]` (room for `max_frames`),
/// the number of frames into `*nframes` and the bytes in all into `*total`
/// (both optional).
///
/// Output that does not fit is never lost: if `len` or `max_frames` is too
/// small, the call returns `HB_BUFFER_TOO_SMALL` with `*total` and
/// `*nframes` set to what is needed, and the message is KEPT in the socket:
/// the next `hb_socket_recv` returns it first. `buf` NULL with `len` 0 is a
/// size query: it always returns `HB_BUFFER_TOO_SMALL` with the shape of
/// the next message and keeps it (`sizes` may be NULL when `max_frames` is 0).
///
/// Waits for a message up to `timeout_ms` (the timeout rule; 0 = take what
/// is there now).
///
/// Returns `HB_OK`; `HB_TIMEOUT` (no message); `HB_BUFFER_TOO_SMALL`;
/// `HB_ZMQ` (`EFSM`: a REQ socket receiving before it sent, `ENOTSUP`: a
/// PUB or PUSH socket cannot receive); `HB_INVALID_ARGUMENT` (`buf` NULL
/// with `len` > 0, `sizes` NULL with `max_frames` > 0, a negative
/// time-out); `HB_INTERRUPTED`; `HB_STOPPED` (freed meanwhile);
/// `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; waits for a message without
/// holding the socket (other threads may send on it meanwhile).
#[no_mangle]
pub extern "C" fn hb_socket_recv(
    s: *const HbSocket,
    timeout_ms: i32,
    buf: *mut c_void,
    len: usize,
    sizes: *mut usize,
    max_frames: usize,
    nframes: *mut usize,
    total: *mut usize,
) -> HbStatus {
    ffi_entry!(s; "hb_socket_recv", {
        let slot = sock(s)?;
        check_timeout(timeout_ms)?;
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("buf is NULL but its length is {len}")));
        }
        if sizes.is_null() && max_frames > 0 {
            return Err(Failure::arg(format!("sizes is NULL but max_frames is {max_frames}")));
        }
        let mut bufs: Option<(&mut [u8], &mut [usize])> = if buf.is_null() {
            None
        } else {
            // SAFETY: the caller passes len writable bytes at buf and
            // max_frames writable sizes (or NULL with 0).
            let b = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
            let z: &mut [usize] = if sizes.is_null() { &mut [] } else { unsafe { std::slice::from_raw_parts_mut(sizes, max_frames) } };
            Some((b, z))
        };
        let c = &slot.common;
        let finish = |r: Recv| -> FfiResult {
            match r {
                Recv::Got(m) => {
                    set_opt(nframes, m.nframes);
                    set_opt(total, m.total);
                    Ok(())
                }
                Recv::TooSmall(m) => {
                    set_opt(nframes, m.nframes);
                    set_opt(total, m.total);
                    Err(too_small_msg(m.nframes, m.total, len, max_frames, buf.is_null()))
                }
                Recv::Empty => Err(Failure::timeout("no message")),
            }
        };
        let seen = {
            let mut g = slot.lock()?;
            let r = g.sock()?.try_recv(bufs.as_mut().map(|(b, z)| (&mut **b, &mut **z))).map_err(fail)?;
            if r != Recv::Empty {
                if matches!(r, Recv::Got(_)) {
                    slot.settle(&mut g, c, false, None)?;
                }
                drop(g);
                return finish(r);
            }
            g.touches
        };
        let _in = InLoop::enter(&slot.waits);
        let mut first = true;
        let r = wait_until(c, timeout_ms, "message", |fds| {
            let mut g = slot.lock()?;
            // The receive above found nothing, and a receive that finds
            // nothing has made libzmq process all its commands, so ZMQ_FD
            // signals whatever comes next. Unless another call touched the
            // socket since (it could have consumed that signal), sleep on it
            // without asking libzmq again (two system calls saved per wait).
            // (Not with a monitor: its pipe is drained on the full path, so
            // that an event loop's recv(0) quiets hb_handle_fd's descriptor.)
            if std::mem::take(&mut first) && g.touches == seen && matches!(&g.st, State::Own(s) if !s.monitoring()) {
                // What we sleep for must not count as seen, or a call that
                // finds it could think we knew and not wake us.
                g.last_ev &= !HB_POLLIN;
                fds.push(slot.zfd);
                return Ok(Step::Wait(None));
            }
            for _ in 0..2 {
                let s = g.sock()?;
                match s.try_recv(bufs.as_mut().map(|(b, z)| (&mut **b, &mut **z))).map_err(fail)? {
                    Recv::Empty => {}
                    r => {
                        if matches!(r, Recv::Got(_)) {
                            slot.settle(&mut g, c, true, None)?;
                        }
                        return Ok(Step::Ready(r));
                    }
                }
                // ZMQ_FD is edge-like: make libzmq process what it has
                // before sleeping on it.
                let ev = s.events().map_err(fail)?;
                if ev & HB_POLLIN == 0 {
                    slot.settle(&mut g, c, true, Some(ev))?;
                    break;
                }
            }
            fds.push(slot.zfd);
            Ok(Step::Wait(None))
        })?;
        finish(r)
    })
}

/// Receive SEVERAL whole messages in ONE call, for bindings whose per-call
/// cost is high (a Python `recv` drains them from a queue of its own): the
/// first message exactly as `hb_socket_recv` takes it (waiting up to
/// `timeout_ms`, the timeout rule), then, without waiting, every further
/// message already queued on the socket, as long as it fits and fewer than
/// `max_msgs` were taken.
///
/// The frames of all messages go one after the other into `buf` (`len`
/// bytes), their sizes into `sizes` (room for `max_frames`), the number of
/// frames of message i into `counts[i]` (room for `max_msgs`, at least 1);
/// `*nmsgs` receives the number of messages and `*total` (optional) the
/// bytes in all.
///
/// Output that does not fit is never lost: if the FIRST message does not
/// fit, the call returns `HB_BUFFER_TOO_SMALL` as `hb_socket_recv` does
/// (`*nmsgs` = 0, `counts[0]` = its frame count, `*total` = its bytes) and
/// keeps it; a later message that does not fit stays in the socket for the
/// next call (the call still returns `HB_OK` with what it took). A REQ or
/// REP socket takes one message per call (its state machine allows no more).
///
/// Returns as `hb_socket_recv`; also `HB_INVALID_ARGUMENT` (`counts` or
/// `nmsgs` NULL, `max_msgs` 0). Any thread; waits for the first message
/// without holding the socket (other threads may send on it meanwhile),
/// never for the others.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_recv_many(
    s: *const HbSocket,
    timeout_ms: i32,
    buf: *mut c_void,
    len: usize,
    sizes: *mut usize,
    max_frames: usize,
    counts: *mut usize,
    max_msgs: usize,
    nmsgs: *mut usize,
    total: *mut usize,
) -> HbStatus {
    let st = ffi_entry!(s; "hb_socket_recv_many", {
        if counts.is_null() || nmsgs.is_null() || max_msgs == 0 {
            return Err(Failure::arg("counts and nmsgs must not be NULL and max_msgs must be at least 1"));
        }
        set_opt(nmsgs, 0);
        Ok(())
    });
    if st != HbStatus::HB_OK {
        return st;
    }
    let (mut nf, mut tot) = (0usize, 0usize);
    let st = hb_socket_recv(s, timeout_ms, buf, len, sizes, max_frames, &mut nf, &mut tot);
    if st != HbStatus::HB_OK {
        if st == HbStatus::HB_BUFFER_TOO_SMALL {
            set_opt(counts, nf);
            set_opt(total, tot);
        }
        return st;
    }
    set_opt(counts, nf);
    set_opt(nmsgs, 1);
    set_opt(total, tot);
    if max_msgs == 1 {
        return HbStatus::HB_OK;
    }
    ffi_entry!(s; "hb_socket_recv_many", {
        let slot = sock(s)?;
        let (mut n, mut off, mut fo) = (1usize, tot, nf);
        let mut g = slot.lock()?;
        let sk = g.sock()?;
        if !matches!(sk.kind(), HB_REQ | HB_REP) && !buf.is_null() {
            while n < max_msgs {
                // SAFETY: the caller passes len bytes at buf, max_frames
                // sizes; off <= len and fo <= max_frames (what was written).
                let b = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>().add(off), len - off) };
                let z = unsafe { std::slice::from_raw_parts_mut(sizes.add(fo), max_frames - fo) };
                match sk.try_recv(Some((b, z))) {
                    Ok(Recv::Got(m)) => {
                        // SAFETY: counts holds max_msgs entries, n < max_msgs.
                        unsafe { counts.add(n).write(m.nframes) };
                        n += 1;
                        off += m.total;
                        fo += m.nframes;
                    }
                    // Kept in the socket for the next call, or nothing more,
                    // or a failure the next call reports: what was taken stands.
                    _ => break,
                }
            }
        }
        slot.settle(&mut g, &slot.common, false, None)?;
        drop(g);
        set_opt(nmsgs, n);
        set_opt(total, off);
        Ok(())
    })
}

/// The arguments of `hb_socket_send` in a struct, for `hb_socket_send_args`.
/// Set `size` to `sizeof(hb_send_args_t)`; every field is required.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbSendArgs {
    /// Set by the caller: `sizeof(hb_send_args_t)`.
    pub size: u32,
    /// As `hb_socket_send`'s `flags` (`HB_SNDMORE`, `HB_DONTWAIT`).
    pub flags: i32,
    /// As `hb_socket_send`'s `timeout_ms` (the timeout rule).
    pub timeout_ms: i32,
    /// Reserved, 0.
    pub reserved: u32,
    /// The socket.
    pub socket: *const HbSocket,
    /// The frames' bytes, one after the other.
    pub data: *const c_void,
    /// The size of each frame (`nframes` entries).
    pub sizes: *const usize,
    /// The number of frames, at least 1.
    pub nframes: usize,
}

/// `hb_socket_send` with its arguments in a struct that the caller builds
/// once and reuses, changing only what varies (the sizes, the bytes at
/// `data`): for callers whose cost per argument is high (Python ctypes
/// converts every argument of every call). Same behaviour, statuses and
/// error texts as `hb_socket_send`.
///
/// Returns as `hb_socket_send`; also `HB_INVALID_ARGUMENT` (`args` NULL or
/// `args->size` smaller than the struct). Any thread; waits for room as
/// `hb_socket_send` (the timeout rule) without holding the socket.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_send_args(args: *const HbSendArgs) -> HbStatus {
    match read_whole(args, "args") {
        Ok(a) => hb_socket_send(a.socket, a.data, a.sizes, a.nframes, a.flags, a.timeout_ms),
        Err(f) => ffi_entry!("hb_socket_send_args", { Err(f) }),
    }
}

/// Send SEVERAL whole messages in ONE call, in order, for bindings whose
/// per-call cost is high (a Python binding hands over a burst of sends at
/// once): message i has `counts[i]` frames (at least 1), whose sizes are
/// the next `counts[i]` entries of `sizes` and whose bytes follow one after
/// the other in `data`. Each message goes whole or not at all, as with
/// `hb_socket_send`; `flags` applies to every message (`HB_DONTWAIT`;
/// `HB_SNDMORE` is refused: a message of this call cannot continue into
/// the next call).
///
/// Waits for room up to `timeout_ms` in all (the timeout rule: 0 = send
/// what fits now). `*sent` receives the number of messages sent, also when
/// the call fails: they went out, the others did not.
///
/// Returns `HB_OK` (all sent); `HB_TIMEOUT` (no room for message `*sent`
/// in time); otherwise as `hb_socket_send` for message `*sent` (`HB_ZMQ`
/// with libzmq's errno, ...); also `HB_INVALID_ARGUMENT` (`sent`, `counts`
/// or `sizes` NULL, `nmsgs` 0, a count of 0, `HB_SNDMORE` in `flags`). Any
/// thread; waits for room without holding the socket.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_send_many(
    s: *const HbSocket,
    data: *const c_void,
    sizes: *const usize,
    counts: *const usize,
    nmsgs: usize,
    flags: i32,
    timeout_ms: i32,
    sent: *mut usize,
) -> HbStatus {
    set_opt(sent, 0);
    let st = ffi_entry!(s; "hb_socket_send_many", {
        check_timeout(timeout_ms)?;
        if sent.is_null() || counts.is_null() || sizes.is_null() || nmsgs == 0 {
            return Err(Failure::arg("sent, counts and sizes must not be NULL and nmsgs must be at least 1"));
        }
        if flags & HB_SNDMORE != 0 {
            return Err(Failure::arg("HB_SNDMORE is not allowed in hb_socket_send_many: every message is whole"));
        }
        // SAFETY: the caller passes nmsgs counts.
        if unsafe { std::slice::from_raw_parts(counts, nmsgs) }.contains(&0) {
            return Err(Failure::arg("a message has at least one frame: a count is 0"));
        }
        Ok(())
    });
    if st != HbStatus::HB_OK {
        return st;
    }
    let start = std::time::Instant::now();
    let (mut off, mut fo) = (0usize, 0usize);
    for i in 0..nmsgs {
        // SAFETY: counts holds nmsgs entries; sizes holds the sum of them.
        let c = unsafe { counts.add(i).read() };
        let z = unsafe { std::slice::from_raw_parts(sizes.add(fo), c) };
        let n: usize = z.iter().sum();
        let left = if timeout_ms == 0 { 0 } else { (i64::from(timeout_ms) - start.elapsed().as_millis() as i64).max(0) as i32 };
        let p = if data.is_null() { data } else { data.cast::<u8>().wrapping_add(off).cast::<c_void>() };
        let st = if left == 0 && timeout_ms > 0 {
            HbStatus::HB_TIMEOUT
        } else {
            hb_socket_send(s, p, z.as_ptr(), c, flags, left)
        };
        if st != HbStatus::HB_OK {
            if st == HbStatus::HB_TIMEOUT && left == 0 && timeout_ms > 0 {
                return ffi_entry!(s; "hb_socket_send_many", { Err(Failure::timeout("no room to send within the time-out")) });
            }
            return st;
        }
        off += n;
        fo += c;
        set_opt(sent, i + 1);
    }
    HbStatus::HB_OK
}

/// The arguments and results of `hb_socket_recv_many` in a struct, for
/// `hb_socket_recv_args`. Set `size` to `sizeof(hb_recv_args_t)`; the
/// fields up to `max_msgs` are inputs, the last three outputs.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbRecvArgs {
    /// Set by the caller: `sizeof(hb_recv_args_t)`.
    pub size: u32,
    /// As `hb_socket_recv_many`'s `timeout_ms` (the timeout rule).
    pub timeout_ms: i32,
    /// The socket.
    pub socket: *const HbSocket,
    /// Where the frames' bytes go (`len` bytes).
    pub buf: *mut c_void,
    /// The size of `buf`.
    pub len: usize,
    /// Where the frames' sizes go (`max_frames` entries).
    pub sizes: *mut usize,
    /// The room in `sizes`.
    pub max_frames: usize,
    /// Where each message's frame count goes (`max_msgs` entries).
    pub counts: *mut usize,
    /// The most messages to take, at least 1.
    pub max_msgs: usize,
    /// Output: the messages taken.
    pub nmsgs: usize,
    /// Output: the frames taken (on `HB_BUFFER_TOO_SMALL`: the first message's frame count).
    pub nframes: usize,
    /// Output: the bytes taken (on `HB_BUFFER_TOO_SMALL`: the first message's size).
    pub total: usize,
}

/// `hb_socket_recv_many` with its arguments and results in a struct that
/// the caller builds once and reuses (see `hb_socket_send_args`): writes
/// `nmsgs`, `nframes` (all messages' frames) and `total`. Same behaviour,
/// statuses and error texts as `hb_socket_recv_many` (`max_msgs` 1 takes
/// one message, as `hb_socket_recv`).
///
/// Returns as `hb_socket_recv_many`; also `HB_INVALID_ARGUMENT` (`args`
/// NULL or `args->size` smaller than the struct). Any thread; waits for the
/// first message as `hb_socket_recv_many` without holding the socket.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_recv_args(args: *mut HbRecvArgs) -> HbStatus {
    let a = match read_whole(args.cast_const(), "args") {
        Ok(a) => a,
        Err(f) => return ffi_entry!("hb_socket_recv_args", { Err(f) }),
    };
    let (mut nm, mut tot) = (0usize, 0usize);
    let st = hb_socket_recv_many(a.socket, a.timeout_ms, a.buf, a.len, a.sizes, a.max_frames, a.counts, a.max_msgs, &mut nm, &mut tot);
    let nf = match st {
        // SAFETY: counts holds max_msgs >= nm entries, written by the call.
        HbStatus::HB_OK => (0..nm).map(|i| unsafe { a.counts.add(i).read() }).sum(),
        // SAFETY: the call wrote the first message's frame count to counts[0].
        HbStatus::HB_BUFFER_TOO_SMALL if !a.counts.is_null() => unsafe { a.counts.read() },
        _ => 0,
    };
    // SAFETY: args is non-NULL (read above) and holds the whole struct (its size was checked).
    unsafe {
        std::ptr::addr_of_mut!((*args).nmsgs).write(nm);
        std::ptr::addr_of_mut!((*args).nframes).write(nf);
        std::ptr::addr_of_mut!((*args).total).write(tot);
    }
    st
}

fn too_small_msg(n: usize, total: usize, len: usize, max_frames: usize, query: bool) -> Failure {
    if query {
        return Failure::new(HbStatus::HB_BUFFER_TOO_SMALL, "size query: *total and *nframes tell the next message's size; it is kept");
    }
    Failure::new(
        HbStatus::HB_BUFFER_TOO_SMALL,
        format!("message of {n} frames and {total} bytes does not fit ({max_frames} sizes, {len} bytes given); it is kept for the next call"),
    )
}

/// Write what the socket can do now to `*events`: `HB_POLLIN` (a message
/// can be received, also one kept by a too-small buffer), `HB_POLLOUT`
/// (a message can be sent), `HB_POLLMON` (a socket event can be taken with
/// `hb_socket_next_event`), like libzmq's `ZMQ_EVENTS`.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`events` NULL);
/// `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_events(s: *const HbSocket, events: *mut i32) -> HbStatus {
    ffi_entry!(s; "hb_socket_events", {
        let slot = sock(s)?;
        let out = Out::new(events, "events")?;
        let mut g = slot.lock()?;
        let ev = g.sock()?.events().map_err(fail)?;
        slot.settle(&mut g, &slot.common, false, Some(ev))?;
        out.set(i32::from(ev));
        Ok(())
    })
}

// ------------------------------------------------------------ socket events

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
pub extern "C" fn hb_socket_next_event(s: *const HbSocket, timeout_ms: i32, ev: *mut HbSocketEvent, addr: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
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
        super::put_sized(ev, HbSocketEvent { size: 0, event: got.event, value: got.value, dropped: got.dropped }, "ev")
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
