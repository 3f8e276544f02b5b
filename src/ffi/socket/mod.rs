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

// In the header's order: create and endpoints, options, send and receive, events.
mod endpoints;
mod options;
mod io;
mod events;

pub use endpoints::*;
pub use events::*;
pub use io::*;
pub use options::*;

use super::{deadline, get, lock, Common, Failure, FfiResult, HbStatus, Look, Object, Slot, TypeTag};
use super::{HB_POLLIN, HB_POLLMON, HB_POLLOUT};
use crate::socket::{ErrorKind, Socket, SocketError};
use once_cell::sync::OnceCell;
use std::borrow::Cow;
use std::cell::Cell;
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
/// Option `ZMQ_MECHANISM` (int, read-only: 0 NULL, 1 PLAIN, 2 CURVE). Since ABI 1.4.
pub const HB_MECHANISM: i32 = 43;
/// Option `ZMQ_PLAIN_SERVER` (int: 1 = a PLAIN server). Since ABI 1.4.
pub const HB_PLAIN_SERVER: i32 = 44;
/// Option `ZMQ_PLAIN_USERNAME` (text). Since ABI 1.4.
pub const HB_PLAIN_USERNAME: i32 = 45;
/// Option `ZMQ_PLAIN_PASSWORD` (text). Since ABI 1.4.
pub const HB_PLAIN_PASSWORD: i32 = 46;
/// Option `ZMQ_CURVE_SERVER` (int: 1 = a CURVE server). Since ABI 1.4.
pub const HB_CURVE_SERVER: i32 = 47;
/// Option `ZMQ_CURVE_PUBLICKEY` (a key: 32 bytes or 40 of Z85; read as Z85). Since ABI 1.4.
pub const HB_CURVE_PUBLICKEY: i32 = 48;
/// Option `ZMQ_CURVE_SECRETKEY` (a key, as `HB_CURVE_PUBLICKEY`). Since ABI 1.4.
pub const HB_CURVE_SECRETKEY: i32 = 49;
/// Option `ZMQ_CURVE_SERVERKEY` (a client's: the server's public key). Since ABI 1.4.
pub const HB_CURVE_SERVERKEY: i32 = 50;
/// Option `ZMQ_PROBE_ROUTER` (int, write-only).
pub const HB_PROBE_ROUTER: i32 = 51;
/// Option `ZMQ_REQ_CORRELATE` (int, write-only).
pub const HB_REQ_CORRELATE: i32 = 52;
/// Option `ZMQ_REQ_RELAXED` (int, write-only).
pub const HB_REQ_RELAXED: i32 = 53;
/// Option `ZMQ_CONFLATE` (int: keep only the last message).
pub const HB_CONFLATE: i32 = 54;
/// Option `ZMQ_ZAP_DOMAIN` (text: the domain a ZAP handler is told; also
/// turns ZAP on for a NULL server). Since ABI 1.4.
pub const HB_ZAP_DOMAIN: i32 = 55;
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

pub(super) fn busy() -> Failure {
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
pub(super) struct InLoop<'a>(&'a AtomicUsize);

impl<'a> InLoop<'a> {
    pub(super) fn enter(n: &'a AtomicUsize) -> InLoop<'a> {
        n.fetch_add(1, Ordering::SeqCst);
        InLoop(n)
    }
}

impl Drop for InLoop<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(super) fn check_timeout(timeout_ms: i32) -> FfiResult {
    if timeout_ms < 0 {
        deadline(timeout_ms)?;
    }
    Ok(())
}
