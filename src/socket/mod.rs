//! Generic ZeroMQ sockets: every socket type the course uses, as
//! non-blocking primitives that the C ABI (`hb_socket_*`, `src/ffi/socket.rs`)
//! and the Python and Node bindings build their waits on.
//!
//! A [`Socket`] is one libzmq socket of the process's shared context
//! ([`crate::sys::ctx::context`], so `inproc://` reaches the library's own roles)
//! plus what libzmq leaves to its caller:
//!
//! * **whole messages**: [`Socket::try_recv`] takes every frame of one
//!   multipart message at once into the caller's buffer; a message that does
//!   not fit is *kept* and returned first by the next call (nothing is lost,
//!   and a size query costs nothing); [`Socket::try_send`] sends all the
//!   frames of one call or none (only the first frame of a message can be
//!   refused for room, libzmq accepts the rest);
//! * **options by number** (libzmq's numbers, so the bindings reuse pyzmq's and
//!   zeromq.js's constants), typed by a table ([`option_info`]);
//! * **socket events, pull style**: [`Socket::monitor`] starts libzmq's socket
//!   monitor on an *unbounded* inproc pipe and [`Socket::drain_monitor`] moves
//!   its events into a bounded queue of ours (oldest dropped, drops counted),
//!   read with [`Socket::take_event`]. libzmq sends monitor events with a
//!   blocking send on its I/O thread: with a bounded pipe, a full pipe would
//!   stall the I/O thread shared by every socket of the process.
//!
//! Nothing here waits: a primitive does what it can now, and says so
//! (`Ok(false)`, [`Recv::Empty`]). Waiting is the caller's job: sleep on
//! [`Socket::fd`] (libzmq's `ZMQ_FD`, edge-like: after nothing was ready,
//! check [`Socket::events`] before sleeping, since libzmq processes its
//! commands lazily) and on [`Socket::monitor_fd`] for events.
//!
//! A `Socket` is `Send` but not `Sync`: one thread at a time (the C ABI wraps
//! it in a mutex held only for each short primitive).

mod io;
mod monitor;
mod options;

pub use options::{option_info, OptInfo, OptType, OptValue, OPTIONS, OPTION_MAX};

use crate::sys::libzmq::{self, Msg};
use std::collections::VecDeque;
use std::ffi::{c_int, c_void, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

// ------------------------------------------------------------ numbers

/// Socket types: libzmq's numbers.
pub const PAIR: i32 = 0;
pub const PUB: i32 = 1;
pub const SUB: i32 = 2;
pub const REQ: i32 = 3;
pub const REP: i32 = 4;
pub const DEALER: i32 = 5;
pub const ROUTER: i32 = 6;
pub const PULL: i32 = 7;
pub const PUSH: i32 = 8;
pub const XPUB: i32 = 9;
pub const XSUB: i32 = 10;
pub const STREAM: i32 = 11;

/// Readiness bits of [`Socket::events`]: a message can be received now
/// (libzmq's `ZMQ_POLLIN`; also a kept message).
pub const POLLIN: i16 = 1;
/// A message can be sent now (`ZMQ_POLLOUT`).
pub const POLLOUT: i16 = 2;
/// A socket event can be taken now ([`Socket::take_event`]).
pub const POLLMON: i16 = 8;

/// libzmq's `ZMQ_SNDMORE` / `ZMQ_DONTWAIT`.
pub(crate) const ZMQ_SNDMORE: c_int = 2;
pub(crate) const ZMQ_DONTWAIT: c_int = 1;

const ZMQ_FD: i32 = 14;
const ZMQ_EVENTS: i32 = 15;
const ZMQ_LAST_ENDPOINT: i32 = 32;

/// Socket events kept at most (the oldest are dropped beyond, and counted).
pub const EVENT_QUEUE_MAX: usize = 1024;
/// Every socket event type libzmq 4.3 knows (`ZMQ_EVENT_ALL`).
pub const EVENT_ALL: i32 = 0xFFFF;
/// Longest text we hand out (`HB_TEXT_MAX` - 1).
const TEXT_MAX: usize = 511;

/// The name of a socket type (`"ROUTER"`), or `None` for a number that is not one.
pub fn type_name(kind: i32) -> Option<&'static str> {
    const NAMES: [&str; 12] = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"];
    usize::try_from(kind).ok().and_then(|k| NAMES.get(k).copied())
}

fn zmq_type(kind: i32) -> Option<zmq::SocketType> {
    Some(match kind {
        PAIR => zmq::PAIR,
        PUB => zmq::PUB,
        SUB => zmq::SUB,
        REQ => zmq::REQ,
        REP => zmq::REP,
        DEALER => zmq::DEALER,
        ROUTER => zmq::ROUTER,
        PULL => zmq::PULL,
        PUSH => zmq::PUSH,
        XPUB => zmq::XPUB,
        XSUB => zmq::XSUB,
        STREAM => zmq::STREAM,
        _ => return None,
    })
}

// ------------------------------------------------------------ errors

/// What kind of failure a [`SocketError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A bad argument: unknown option or socket type, a value of the wrong
    /// type or size, a value libzmq refused (`EINVAL`).
    InvalidArgument,
    /// An endpoint that cannot be bound, connected, unbound or disconnected
    /// (bad address, address in use, not bound...).
    Endpoint,
    /// Any other libzmq failure (`EFSM`, `EHOSTUNREACH`, `ETERM`, ...).
    Zmq,
}

/// A failed socket call: what kind, libzmq's errno (0 if none) and a message
/// that names what failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{msg}")]
pub struct SocketError {
    pub kind: ErrorKind,
    pub errno: i32,
    pub msg: String,
    /// The `zmq` crate's error, when the failure came through the crate.
    pub zmq_error: Option<zmq::Error>,
}

impl SocketError {
    pub(crate) fn invalid(msg: impl Into<String>) -> SocketError {
        SocketError { kind: ErrorKind::InvalidArgument, errno: libc::EINVAL, msg: msg.into(), zmq_error: None }
    }

    /// A libzmq failure with its raw errno (`what` says what failed).
    pub(crate) fn zmq(errno: i32, what: &str) -> SocketError {
        SocketError { kind: ErrorKind::Zmq, errno, msg: format!("{what}: {} (errno {errno})", libzmq::strerror(errno)), zmq_error: None }
    }

    /// Any other failure (a thread that cannot start, a system call).
    pub(crate) fn other(errno: i32, msg: impl Into<String>) -> SocketError {
        SocketError { kind: ErrorKind::Zmq, errno, msg: msg.into(), zmq_error: None }
    }

    /// A failure the `zmq` crate reported.
    pub(crate) fn from_zmq(e: zmq::Error, what: &str) -> SocketError {
        SocketError { kind: ErrorKind::Zmq, errno: e.to_raw(), msg: format!("{what}: {}", e.message()), zmq_error: Some(e) }
    }

    fn endpoint(errno: i32, what: &str, ep: &str) -> SocketError {
        let kind = if errno == zmq::Error::ETERM.to_raw() { ErrorKind::Zmq } else { ErrorKind::Endpoint };
        SocketError { kind, errno, msg: format!("cannot {what} {ep:?}: {} (errno {errno})", libzmq::strerror(errno)), zmq_error: None }
    }
}

impl From<zmq::Error> for SocketError {
    fn from(e: zmq::Error) -> SocketError {
        SocketError::from_zmq(e, "libzmq")
    }
}

/// Result with [`SocketError`].
pub type Result<T> = std::result::Result<T, SocketError>;

// ------------------------------------------------------------ messages and events

/// The shape of one received (or kept) message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgShape {
    /// Number of frames.
    pub nframes: usize,
    /// Bytes over all frames.
    pub total: usize,
}

/// What [`Socket::try_recv`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recv {
    /// A whole message was written to the caller's buffers.
    Got(MsgShape),
    /// A message is there but does not fit (or sizes were asked for): it is
    /// kept, and the next call returns it first.
    TooSmall(MsgShape),
    /// Nothing to receive now.
    Empty,
}

/// One socket event (libzmq's monitor event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketEvent {
    /// `ZMQ_EVENT_*` (CONNECTED 1, CONNECT_DELAYED 2, CONNECT_RETRIED 4,
    /// LISTENING 8, BIND_FAILED 16, ACCEPTED 32, ACCEPT_FAILED 64, CLOSED
    /// 128, CLOSE_FAILED 256, DISCONNECTED 512, MONITOR_STOPPED 1024,
    /// HANDSHAKE_FAILED_NO_DETAIL 2048, HANDSHAKE_SUCCEEDED 4096,
    /// HANDSHAKE_FAILED_PROTOCOL 8192, HANDSHAKE_FAILED_AUTH 16384).
    pub event: i32,
    /// The event's value: a file descriptor, an errno, a retry interval.
    pub value: i64,
    /// The endpoint the event is about (cut to 511 bytes).
    pub addr: String,
    /// Events dropped so far on this socket because the queue was full.
    pub dropped: u64,
}

struct Monitor {
    pair: zmq::Socket,
    fd: RawFd,
}

// ------------------------------------------------------------ the socket

/// A generic ZeroMQ socket (see the module docs).
pub struct Socket {
    sock: zmq::Socket,
    kind: i32,
    zfd: RawFd,
    /// The frames of a received message not yet handed out (the first
    /// `kept_n`), and their lengths.
    frames: Vec<Msg>,
    lens: Vec<usize>,
    kept_n: usize,
    kept_total: usize,
    /// The first frame of the last message handed out, kept for its
    /// metadata ([`Socket::msg_property`]): a receive that finds nothing
    /// empties the frame it was given, so it cannot stay in `frames[0]`.
    last_first: Box<Msg>,
    /// Whether `last_first` holds it (not after a first frame over
    /// `KEEP_FRAME_MAX`, which is freed at once).
    meta_ok: bool,
    monitor: Option<Monitor>,
    /// Whether a monitor started by [`Socket::monitor_endpoint`] runs
    /// (its events go to the caller's endpoint, not to our queue).
    ext_monitor: bool,
    /// An epoll set holding the monitor pipe's descriptor while a monitor
    /// runs: one descriptor that stays the same across monitor restarts.
    mon_ep: OwnedFd,
    events: VecDeque<SocketEvent>,
    dropped: u64,
    ticks: u32,
}

/// Taking or sending this many messages drains a running monitor once,
/// so that a busy socket keeps the monitor pipe short without a system call
/// per message.
const DRAIN_EVERY: u32 = 1024;

/// Frames bigger than this are freed right after they were handed out,
/// rather than at the next receive.
const KEEP_FRAME_MAX: usize = 64 * 1024;

fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| SocketError::invalid(format!("{what} contains a NUL byte")))
}

impl Socket {
    /// A new socket of type `kind` (libzmq's number, 0..=11) in the
    /// process's shared context, with libzmq's default options.
    pub fn new(kind: i32) -> Result<Socket> {
        let Some(t) = zmq_type(kind) else {
            return Err(SocketError::invalid(format!(
                "bad socket type {kind}: use 0..11 (PAIR 0, PUB 1, SUB 2, REQ 3, REP 4, DEALER 5, ROUTER 6, PULL 7, PUSH 8, XPUB 9, XSUB 10, STREAM 11)"
            )));
        };
        let sock = crate::sys::ctx::context().socket(t).map_err(|e| SocketError::from_zmq(e, "cannot create a socket"))?;
        // SAFETY: plain syscall; the result is checked.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            let e = std::io::Error::last_os_error();
            return Err(SocketError::other(e.raw_os_error().unwrap_or(0), format!("epoll_create1: {e}")));
        }
        let mut s = Socket {
            sock,
            kind,
            zfd: -1,
            frames: Vec::new(),
            lens: Vec::new(),
            kept_n: 0,
            kept_total: 0,
            last_first: Box::new(Msg::new()),
            meta_ok: false,
            monitor: None,
            ext_monitor: false,
            // SAFETY: a fresh descriptor that nothing else owns.
            mon_ep: unsafe { OwnedFd::from_raw_fd(ep) },
            events: VecDeque::new(),
            dropped: 0,
            ticks: 0,
        };
        s.zfd = s.get_int_raw(ZMQ_FD, "ZMQ_FD")? as RawFd;
        Ok(s)
    }

    /// The socket type (libzmq's number).
    pub fn kind(&self) -> i32 {
        self.kind
    }

    /// libzmq's `ZMQ_FD`: readable when the socket's state may have changed.
    /// Edge-like: after a primitive found nothing, check [`Socket::events`]
    /// before sleeping on it.
    pub fn fd(&self) -> RawFd {
        self.zfd
    }

    /// A descriptor that is readable while the monitor pipe holds events
    /// not yet drained (the same descriptor for the socket's whole life,
    /// also before a monitor starts).
    pub fn monitor_fd(&self) -> RawFd {
        self.mon_ep.as_raw_fd()
    }

    /// The raw libzmq socket (for the proxy loop).
    pub(crate) fn raw(&mut self) -> *mut c_void {
        self.sock.as_mut_ptr()
    }

    /// The `zmq` crate's socket (for `zmq::poll`).
    pub(crate) fn zmq(&self) -> &zmq::Socket {
        &self.sock
    }

    // -------------------------------------------------------- endpoints

    /// Bind to `endpoint` and return the endpoint actually bound (a wildcard
    /// port resolved: `tcp://127.0.0.1:*` gives `tcp://127.0.0.1:40123`).
    pub fn bind(&mut self, endpoint: &str) -> Result<String> {
        let c = cstring(endpoint, "endpoint")?;
        // SAFETY: live socket, NUL-terminated endpoint.
        if retry_eintr(|| unsafe { libzmq::zmq_bind(self.raw(), c.as_ptr()) }) != 0 {
            return Err(SocketError::endpoint(libzmq::errno(), "bind", endpoint));
        }
        let v = self.option(ZMQ_LAST_ENDPOINT)?;
        Ok(String::from_utf8_lossy(v.bytes()).into_owned())
    }

    /// Stop listening on `endpoint` (as [`Socket::bind`] returned it: a
    /// wildcard does not match).
    pub fn unbind(&mut self, endpoint: &str) -> Result<()> {
        let c = cstring(endpoint, "endpoint")?;
        // SAFETY: live socket, NUL-terminated endpoint.
        if retry_eintr(|| unsafe { libzmq::zmq_unbind(self.raw(), c.as_ptr()) }) != 0 {
            return Err(SocketError::endpoint(libzmq::errno(), "unbind", endpoint));
        }
        Ok(())
    }

    /// Connect to `endpoint` (the peer need not be there yet).
    pub fn connect(&mut self, endpoint: &str) -> Result<()> {
        let c = cstring(endpoint, "endpoint")?;
        // SAFETY: live socket, NUL-terminated endpoint.
        if retry_eintr(|| unsafe { libzmq::zmq_connect(self.raw(), c.as_ptr()) }) != 0 {
            return Err(SocketError::endpoint(libzmq::errno(), "connect to", endpoint));
        }
        Ok(())
    }

    /// Disconnect from `endpoint` (as given to [`Socket::connect`]).
    pub fn disconnect(&mut self, endpoint: &str) -> Result<()> {
        let c = cstring(endpoint, "endpoint")?;
        // SAFETY: live socket, NUL-terminated endpoint.
        if retry_eintr(|| unsafe { libzmq::zmq_disconnect(self.raw(), c.as_ptr()) }) != 0 {
            return Err(SocketError::endpoint(libzmq::errno(), "disconnect from", endpoint));
        }
        Ok(())
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // The monitor must stop before its reading PAIR goes away.
        self.stop_monitor();
        // An endpoint monitor stops here too, on the caller's thread while
        // the caller's reader is still there, rather than in libzmq's reaper
        // thread after zmq_close (whose blocking send of MONITOR_STOPPED
        // would wait forever there once the reader is gone).
        self.stop_ext_monitor();
    }
}

/// Call a raw libzmq function returning 0 / -1 again while it fails with
/// EINTR: bind, connect, unbind and disconnect process the socket's
/// commands first and return EINTR before doing anything when a signal
/// arrives, so a signal on the calling thread (a profiler's SIGPROF, a
/// Python handler) must neither fail them nor leave them half-done.
fn retry_eintr(mut f: impl FnMut() -> libc::c_int) -> libc::c_int {
    for _ in 0..1000 {
        let rc = f();
        if rc == 0 || libzmq::errno() != libc::EINTR {
            return rc;
        }
    }
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_table_is_sorted_and_unique() {
        for w in OPTIONS.windows(2) {
            assert!(w[0].id < w[1].id, "{} {}", w[0].name, w[1].name);
        }
        assert_eq!(option_info(17).unwrap().name, "LINGER");
        assert!(option_info(3).is_none());
    }

    #[test]
    fn metadata_of_the_last_message() {
        let mut a = Socket::new(PUSH).unwrap();
        let mut b = Socket::new(PULL).unwrap();
        let ep = b.bind("tcp://127.0.0.1:*").unwrap();
        a.connect(&ep).unwrap();
        assert!(b.msg_property("Socket-Type").is_err(), "nothing received yet");
        let t = std::time::Instant::now();
        while !a.try_send(b"x", &[1], false).unwrap() {
            assert!(t.elapsed().as_secs() < 5);
        }
        let (mut buf, mut sizes) = ([0u8; 8], [0usize; 1]);
        while !matches!(b.try_recv(Some((&mut buf, &mut sizes))).unwrap(), Recv::Got(_)) {
            assert!(t.elapsed().as_secs() < 5);
        }
        // A receive that finds nothing must not lose it (as a batch receive ends).
        assert!(matches!(b.try_recv(Some((&mut buf, &mut sizes))).unwrap(), Recv::Empty));
        assert_eq!(b.msg_property("Socket-Type").unwrap(), "PUSH");
        assert!(b.msg_property("Peer-Address").unwrap().starts_with("127.0.0.1"));
        assert!(b.msg_property("No-Such").is_err());
    }

    #[test]
    fn kept_message_and_size_query() {
        let mut a = Socket::new(PAIR).unwrap();
        let mut b = Socket::new(PAIR).unwrap();
        let ep = crate::sys::ctx::inproc_endpoint("socket-test");
        a.bind(&ep).unwrap();
        b.connect(&ep).unwrap();
        assert!(a.try_send(b"hello\0world", &[5, 1, 5], false).unwrap());
        let t = std::time::Instant::now();
        let shape = loop {
            match b.try_recv(None).unwrap() {
                Recv::TooSmall(s) => break s,
                Recv::Empty => assert!(t.elapsed().as_secs() < 5),
                Recv::Got(_) => unreachable!(),
            }
        };
        assert_eq!(shape, MsgShape { nframes: 3, total: 11 });
        assert!(b.has_kept());
        assert_eq!(b.events().unwrap() & POLLIN, POLLIN);
        let mut buf = [0u8; 11];
        let mut sizes = [0usize; 2];
        assert_eq!(b.try_recv(Some((&mut buf, &mut sizes))).unwrap(), Recv::TooSmall(shape));
        let mut sizes = [0usize; 3];
        assert_eq!(b.try_recv(Some((&mut buf, &mut sizes))).unwrap(), Recv::Got(shape));
        assert_eq!(&buf, b"hello\0world");
        assert_eq!(sizes, [5, 1, 5]);
        assert_eq!(b.try_recv(Some((&mut buf, &mut sizes))).unwrap(), Recv::Empty);
    }
}
