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

// ------------------------------------------------------------ options

/// The C type of an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptType {
    /// C `int` (4 bytes).
    Int,
    /// `int64_t`.
    Int64,
    /// `uint64_t`.
    Uint64,
    /// Binary bytes (routing ids, subscriptions).
    Bytes,
    /// Text (libzmq reads it as bytes, returns it NUL-terminated).
    Str,
    /// A CURVE key: set as 32 bytes or 40 Z85 characters, read as Z85 text.
    Key,
}

/// One socket option libzmq knows.
#[derive(Debug, Clone, Copy)]
pub struct OptInfo {
    /// libzmq's number (`ZMQ_LINGER` = 17).
    pub id: i32,
    /// libzmq's name without `ZMQ_` (`"LINGER"`).
    pub name: &'static str,
    pub ty: OptType,
    /// Readable with `zmq_getsockopt`.
    pub get: bool,
    /// Writable with `zmq_setsockopt`.
    pub set: bool,
}

const fn o(id: i32, name: &'static str, ty: OptType, get: bool, set: bool) -> OptInfo {
    OptInfo { id, name, ty, get, set }
}

use OptType::{Bytes, Int, Int64, Key, Str, Uint64};

/// The options of libzmq 4.3 (stable API, and the four non-draft ones
/// zmq.h lists with its drafts), by number. `IDENTITY` is `ROUTING_ID` (5).
pub static OPTIONS: &[OptInfo] = &[
    o(4, "AFFINITY", Uint64, true, true),
    o(5, "ROUTING_ID", Bytes, true, true),
    o(6, "SUBSCRIBE", Bytes, false, true),
    o(7, "UNSUBSCRIBE", Bytes, false, true),
    o(8, "RATE", Int, true, true),
    o(9, "RECOVERY_IVL", Int, true, true),
    o(11, "SNDBUF", Int, true, true),
    o(12, "RCVBUF", Int, true, true),
    o(13, "RCVMORE", Int, true, false),
    o(14, "FD", Int, true, false),
    o(15, "EVENTS", Int, true, false),
    o(16, "TYPE", Int, true, false),
    o(17, "LINGER", Int, true, true),
    o(18, "RECONNECT_IVL", Int, true, true),
    o(19, "BACKLOG", Int, true, true),
    o(21, "RECONNECT_IVL_MAX", Int, true, true),
    o(22, "MAXMSGSIZE", Int64, true, true),
    o(23, "SNDHWM", Int, true, true),
    o(24, "RCVHWM", Int, true, true),
    o(25, "MULTICAST_HOPS", Int, true, true),
    o(27, "RCVTIMEO", Int, true, true),
    o(28, "SNDTIMEO", Int, true, true),
    o(31, "IPV4ONLY", Int, true, true),
    o(32, "LAST_ENDPOINT", Str, true, false),
    o(33, "ROUTER_MANDATORY", Int, false, true),
    o(34, "TCP_KEEPALIVE", Int, true, true),
    o(35, "TCP_KEEPALIVE_CNT", Int, true, true),
    o(36, "TCP_KEEPALIVE_IDLE", Int, true, true),
    o(37, "TCP_KEEPALIVE_INTVL", Int, true, true),
    o(38, "TCP_ACCEPT_FILTER", Str, false, true),
    o(39, "IMMEDIATE", Int, true, true),
    o(40, "XPUB_VERBOSE", Int, false, true),
    o(41, "ROUTER_RAW", Int, false, true),
    o(42, "IPV6", Int, true, true),
    o(43, "MECHANISM", Int, true, false),
    o(44, "PLAIN_SERVER", Int, true, true),
    o(45, "PLAIN_USERNAME", Str, true, true),
    o(46, "PLAIN_PASSWORD", Str, true, true),
    o(47, "CURVE_SERVER", Int, true, true),
    o(48, "CURVE_PUBLICKEY", Key, true, true),
    o(49, "CURVE_SECRETKEY", Key, true, true),
    o(50, "CURVE_SERVERKEY", Key, true, true),
    o(51, "PROBE_ROUTER", Int, false, true),
    o(52, "REQ_CORRELATE", Int, false, true),
    o(53, "REQ_RELAXED", Int, false, true),
    o(54, "CONFLATE", Int, true, true),
    o(55, "ZAP_DOMAIN", Str, true, true),
    o(56, "ROUTER_HANDOVER", Int, false, true),
    o(57, "TOS", Int, true, true),
    o(61, "CONNECT_ROUTING_ID", Bytes, false, true),
    o(66, "HANDSHAKE_IVL", Int, true, true),
    o(68, "SOCKS_PROXY", Str, true, true),
    o(69, "XPUB_NODROP", Int, false, true),
    o(71, "XPUB_MANUAL", Int, false, true),
    o(72, "XPUB_WELCOME_MSG", Bytes, false, true),
    o(73, "STREAM_NOTIFY", Int, false, true),
    o(74, "INVERT_MATCHING", Int, true, true),
    o(75, "HEARTBEAT_IVL", Int, true, true),
    o(76, "HEARTBEAT_TTL", Int, true, true),
    o(77, "HEARTBEAT_TIMEOUT", Int, true, true),
    o(78, "XPUB_VERBOSER", Int, false, true),
    o(79, "CONNECT_TIMEOUT", Int, true, true),
    o(80, "TCP_MAXRT", Int, true, true),
    o(81, "THREAD_SAFE", Int, true, false),
    o(84, "MULTICAST_MAXTPDU", Int, true, true),
    o(89, "USE_FD", Int, true, true),
    o(92, "BINDTODEVICE", Str, true, true),
    // Outside zmq.h's stable section, but built into every libzmq 4.3
    // (options.cpp handles them without ZMQ_BUILD_DRAFT_API); pyzmq reads them.
    o(93, "ZAP_ENFORCE_DOMAIN", Int, true, true),
    o(94, "LOOPBACK_FASTPATH", Int, true, true),
    o(95, "METADATA", Str, false, true),
    o(96, "MULTICAST_LOOP", Int, true, true),
];

/// The table entry of option `id`, or `None` for a number libzmq 4.3 does not know.
pub fn option_info(id: i32) -> Option<&'static OptInfo> {
    OPTIONS.iter().find(|o| o.id == id)
}

fn known_option(id: i32) -> Result<&'static OptInfo> {
    option_info(id).ok_or_else(|| {
        SocketError::invalid(format!("unknown socket option {id} (not a libzmq 4.3 option number; e.g. ZMQ_LINGER is 17, ZMQ_SUBSCRIBE 6)"))
    })
}

/// Largest option value we read (endpoints, names, keys are far shorter).
pub const OPTION_MAX: usize = 1024;

/// An option's value as read by [`Socket::option`]: raw bytes (an `int` is
/// its 4 native bytes, text is without its NUL), on the stack.
pub struct OptValue {
    buf: [u8; OPTION_MAX],
    len: usize,
    /// The option is text (the C ABI adds a NUL when writing it out).
    pub text: bool,
}

impl OptValue {
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

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

    // -------------------------------------------------------- options

    fn setsockopt(&mut self, info: &OptInfo, value: &[u8]) -> Result<()> {
        // SAFETY: live socket; value points to value.len() readable bytes.
        let rc = unsafe { libzmq::zmq_setsockopt(self.raw(), info.id, value.as_ptr().cast(), value.len()) };
        if rc != 0 {
            let errno = libzmq::errno();
            if errno == libc::EINVAL {
                return Err(SocketError::invalid(format!(
                    "ZMQ_{} ({}): libzmq refused the value, or a {} socket does not have this option (EINVAL)",
                    info.name,
                    info.id,
                    type_name(self.kind).unwrap_or("?")
                )));
            }
            return Err(SocketError::zmq(errno, &format!("setting ZMQ_{}", info.name)));
        }
        Ok(())
    }

    /// Set option `id` from its raw bytes, as `zmq_setsockopt` takes them: an
    /// `int` option takes exactly 4 native bytes, an `int64`/`uint64` one 8,
    /// bytes and text options any bytes (a subscription prefix, a routing id).
    pub fn set_option(&mut self, id: i32, value: &[u8]) -> Result<()> {
        let info = known_option(id)?;
        if !info.set {
            return Err(SocketError::invalid(format!("ZMQ_{} ({id}) is read-only", info.name)));
        }
        let want = match info.ty {
            Int => Some(4),
            Int64 | Uint64 => Some(8),
            _ => None,
        };
        if let Some(n) = want {
            if value.len() != n {
                return Err(SocketError::invalid(format!(
                    "ZMQ_{} ({id}) takes a {n}-byte integer, not {} bytes (or use the integer setter)",
                    info.name,
                    value.len()
                )));
            }
        }
        self.setsockopt(info, value)
    }

    /// Set an integer option, converted to its C type (`int`, `int64_t`,
    /// `uint64_t`); a value that does not fit that type is refused.
    pub fn set_option_int(&mut self, id: i32, value: i64) -> Result<()> {
        let info = known_option(id)?;
        if !info.set {
            return Err(SocketError::invalid(format!("ZMQ_{} ({id}) is read-only", info.name)));
        }
        let range = |ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(SocketError::invalid(format!("ZMQ_{} ({id}): {value} is out of range for its C type ({:?})", info.name, info.ty)))
            }
        };
        match info.ty {
            Int => {
                range(i32::try_from(value).is_ok())?;
                self.setsockopt(info, &(value as i32).to_ne_bytes())
            }
            Int64 => self.setsockopt(info, &value.to_ne_bytes()),
            Uint64 => {
                range(value >= 0)?;
                self.setsockopt(info, &(value as u64).to_ne_bytes())
            }
            _ => Err(SocketError::invalid(format!("ZMQ_{} ({id}) takes bytes, not an integer (use the raw setter)", info.name))),
        }
    }

    fn get_int_raw(&mut self, id: i32, name: &str) -> Result<i32> {
        let mut v: c_int = 0;
        let mut len = std::mem::size_of::<c_int>();
        // SAFETY: live socket; v and len are valid for writing.
        if unsafe { libzmq::zmq_getsockopt(self.raw(), id, (&mut v as *mut c_int).cast(), &mut len) } != 0 {
            return Err(SocketError::zmq(libzmq::errno(), &format!("reading {name}")));
        }
        Ok(v)
    }

    /// Read option `id` as raw bytes (an `int` as its 4 native bytes, text
    /// without its NUL, a CURVE key as Z85 text). `EVENTS` is
    /// [`Socket::events`] (it counts a kept message and queued events).
    pub fn option(&mut self, id: i32) -> Result<OptValue> {
        let info = known_option(id)?;
        if !info.get {
            return Err(SocketError::invalid(format!("ZMQ_{} ({id}) cannot be read (libzmq has it write-only)", info.name)));
        }
        let mut v = OptValue { buf: [0; OPTION_MAX], len: 0, text: matches!(info.ty, Str | Key) };
        if id == ZMQ_EVENTS {
            let e = i32::from(self.events()?);
            v.buf[..4].copy_from_slice(&e.to_ne_bytes());
            v.len = 4;
            return Ok(v);
        }
        let mut len = match info.ty {
            Int => 4,
            Int64 | Uint64 => 8,
            _ => OPTION_MAX,
        };
        // SAFETY: live socket; buf holds OPTION_MAX >= len writable bytes.
        if unsafe { libzmq::zmq_getsockopt(self.raw(), id, v.buf.as_mut_ptr().cast(), &mut len) } != 0 {
            let errno = libzmq::errno();
            if errno == libc::EINVAL {
                return Err(SocketError::invalid(format!(
                    "ZMQ_{} ({id}) cannot be read on a {} socket (EINVAL)",
                    info.name,
                    type_name(self.kind).unwrap_or("?")
                )));
            }
            return Err(SocketError::zmq(errno, &format!("reading ZMQ_{}", info.name)));
        }
        if v.text {
            // libzmq counts the NUL of text options.
            while len > 0 && v.buf[len - 1] == 0 {
                len -= 1;
            }
        }
        v.len = len.min(OPTION_MAX);
        Ok(v)
    }

    /// Read an integer option (`int`, `int64_t`, `uint64_t`) as an `i64`; a
    /// `uint64_t` above `i64::MAX` is refused.
    pub fn option_int(&mut self, id: i32) -> Result<i64> {
        let info = known_option(id)?;
        if !matches!(info.ty, Int | Int64 | Uint64) {
            return Err(SocketError::invalid(format!("ZMQ_{} ({id}) is not an integer option (use the raw getter)", info.name)));
        }
        let v = self.option(id)?;
        let b = v.bytes();
        Ok(match info.ty {
            Int => i64::from(i32::from_ne_bytes(b[..4].try_into().unwrap_or_default())),
            Int64 => i64::from_ne_bytes(b[..8].try_into().unwrap_or_default()),
            _ => {
                let u = u64::from_ne_bytes(b[..8].try_into().unwrap_or_default());
                i64::try_from(u).map_err(|_| SocketError::invalid(format!("ZMQ_{} is {u}, above INT64_MAX (use the raw getter)", info.name)))?
            }
        })
    }

    // -------------------------------------------------------- readiness

    /// libzmq's `ZMQ_EVENTS` (`POLLIN`/`POLLOUT`). Reading it makes libzmq
    /// process its pending commands, which resets `ZMQ_FD`.
    pub fn zmq_events(&mut self) -> Result<i16> {
        Ok(self.get_int_raw(ZMQ_EVENTS, "ZMQ_EVENTS")? as i16 & (POLLIN | POLLOUT))
    }

    /// What can be done now: [`POLLIN`] (a message, also a kept one),
    /// [`POLLOUT`], [`POLLMON`] (a socket event; the monitor is drained first).
    pub fn events(&mut self) -> Result<i16> {
        self.drain_monitor();
        let mut e = self.zmq_events()?;
        if self.kept_n > 0 {
            e |= POLLIN;
        }
        if !self.events.is_empty() {
            e |= POLLMON;
        }
        Ok(e)
    }

    /// Whether a received message is kept (it did not fit the caller's buffer).
    pub fn has_kept(&self) -> bool {
        self.kept_n > 0
    }

    // -------------------------------------------------------- sending

    /// Send one call's frames, `frames` of the concatenated `data` with the
    /// given `sizes`; `more` = the message continues with the next call
    /// (the last frame goes with `ZMQ_SNDMORE`).
    ///
    /// Returns `Ok(true)` when every frame was sent, `Ok(false)` when there
    /// was no room for the first frame (nothing was sent; wait for
    /// [`POLLOUT`]). Errors: libzmq's (`EFSM`: a REQ socket sending out of
    /// turn; `EHOSTUNREACH`: `ROUTER_MANDATORY` and an unknown peer).
    pub fn try_send(&mut self, data: &[u8], sizes: &[usize], more: bool) -> Result<bool> {
        if sizes.is_empty() {
            return Err(SocketError::invalid("a message has at least one frame (nframes is 0)"));
        }
        let raw = self.raw();
        let mut off = 0usize;
        for (i, &n) in sizes.iter().enumerate() {
            let end = off.checked_add(n).filter(|&e| e <= data.len()).ok_or_else(|| SocketError::invalid("frame sizes add up to more than the data"))?;
            let last = i + 1 == sizes.len();
            let flags = ZMQ_DONTWAIT | if last && !more { 0 } else { ZMQ_SNDMORE };
            // SAFETY: live socket; data[off..end] is readable.
            let mut rc = unsafe { libzmq::zmq_send(raw, data.as_ptr().add(off).cast(), n, flags) };
            // A signal after the first frame went: send the rest (libzmq keeps
            // the message open), never leave half a message behind.
            let mut tries = 0;
            while rc < 0 && i > 0 && libzmq::errno() == libc::EINTR && tries < 1000 {
                tries += 1;
                // SAFETY: as above.
                rc = unsafe { libzmq::zmq_send(raw, data.as_ptr().add(off).cast(), n, flags) };
            }
            if rc < 0 {
                let errno = libzmq::errno();
                if i == 0 && errno == libc::EAGAIN {
                    return Ok(false);
                }
                if i == 0 {
                    return Err(SocketError::zmq(errno, "send"));
                }
                // libzmq accepts the rest of a message once its first frame
                // went; if a peer vanished in between it drops the message.
                return Err(SocketError::zmq(errno, &format!("send: frame {} of the message failed; libzmq dropped the message", i + 1)));
            }
            off = end;
        }
        self.tick();
        Ok(true)
    }

    /// [`Socket::try_send`] with the frames as slices.
    pub fn try_send_frames(&mut self, frames: &[&[u8]], more: bool) -> Result<bool> {
        if frames.is_empty() {
            return Err(SocketError::invalid("a message has at least one frame"));
        }
        let raw = self.raw();
        for (i, f) in frames.iter().enumerate() {
            let flags = ZMQ_DONTWAIT | if i + 1 == frames.len() && !more { 0 } else { ZMQ_SNDMORE };
            // SAFETY: live socket; f is readable.
            let mut rc = unsafe { libzmq::zmq_send(raw, f.as_ptr().cast(), f.len(), flags) };
            let mut tries = 0;
            while rc < 0 && i > 0 && libzmq::errno() == libc::EINTR && tries < 1000 {
                tries += 1; // the rest of a started message goes, as in try_send
                // SAFETY: as above.
                rc = unsafe { libzmq::zmq_send(raw, f.as_ptr().cast(), f.len(), flags) };
            }
            if rc < 0 {
                let errno = libzmq::errno();
                if i == 0 && errno == libc::EAGAIN {
                    return Ok(false);
                }
                return Err(SocketError::zmq(errno, "send"));
            }
        }
        self.tick();
        Ok(true)
    }

    // -------------------------------------------------------- receiving

    /// Receive one whole message into the caller's buffers, if one is there.
    ///
    /// `out` = `(buf, sizes)`: the frames are written one after the other
    /// into `buf`, the length of each into `sizes`. `None` asks only for the
    /// shape (a size query). A message that does not fit `buf` or `sizes`
    /// (or a size query) is kept and returned first by the next call
    /// ([`Recv::TooSmall`] tells the shape needed).
    pub fn try_recv(&mut self, out: Option<(&mut [u8], &mut [usize])>) -> Result<Recv> {
        if self.kept_n == 0 && !self.recv_message()? {
            return Ok(Recv::Empty);
        }
        let shape = MsgShape { nframes: self.kept_n, total: self.kept_total };
        let Some((buf, sizes)) = out else { return Ok(Recv::TooSmall(shape)) };
        if buf.len() < shape.total || sizes.len() < shape.nframes {
            return Ok(Recv::TooSmall(shape));
        }
        let mut off = 0;
        for (i, f) in self.frames[..shape.nframes].iter_mut().enumerate() {
            let n = self.lens[i];
            if n > 0 {
                // SAFETY: the frame holds n bytes; buf[off..off + n] is in
                // bounds (off + n <= total <= buf.len()); they do not overlap.
                unsafe { std::ptr::copy_nonoverlapping(f.data_ptr(), buf.as_mut_ptr().add(off), n) };
            }
            off += n;
            sizes[i] = n;
            if n > KEEP_FRAME_MAX {
                f.clear();
            }
        }
        self.kept_n = 0;
        self.kept_total = 0;
        self.tick();
        Ok(Recv::Got(shape))
    }

    /// Receive every frame of the next message into `frames` (kept).
    /// `Ok(false)`: nothing there.
    fn recv_message(&mut self) -> Result<bool> {
        let raw = self.raw();
        let mut n = 0;
        let mut total = 0usize;
        loop {
            if self.frames.len() <= n {
                self.frames.push(Msg::new());
                self.lens.push(0);
            }
            let f = &mut self.frames[n];
            // SAFETY: live socket used only by this thread (we hold &mut self).
            let mut r = unsafe { f.recv(raw, ZMQ_DONTWAIT) };
            // A signal in the middle of a message: take the rest of it (it
            // is there), never lose the frames already taken.
            let mut tries = 0;
            while n > 0 && r == Err(libc::EINTR) && tries < 1000 {
                tries += 1;
                // SAFETY: as above.
                r = unsafe { f.recv(raw, ZMQ_DONTWAIT) };
            }
            let len = match r {
                Ok(len) => len,
                Err(e) if e == libc::EAGAIN && n == 0 => return Ok(false),
                // Cannot happen: libzmq delivers a message's frames together.
                // SAFETY: as above; the rest of the message is there.
                Err(e) if e == libc::EAGAIN => unsafe { f.recv(raw, 0) }.map_err(|e| SocketError::zmq(e, "receive"))?,
                Err(e) => return Err(SocketError::zmq(e, "receive")),
            };
            let more = f.more();
            self.lens[n] = len;
            total += len;
            n += 1;
            if !more {
                break;
            }
        }
        self.kept_n = n;
        self.kept_total = total;
        Ok(true)
    }

    /// Hand the kept message's frames over (for a proxy that takes the socket).
    pub(crate) fn take_kept(&mut self) -> Vec<Msg> {
        let n = std::mem::take(&mut self.kept_n);
        self.kept_total = 0;
        let mut out: Vec<Msg> = Vec::with_capacity(n);
        for f in self.frames.iter_mut().take(n) {
            out.push(std::mem::take(f));
        }
        out
    }

    fn tick(&mut self) {
        if self.monitor.is_some() {
            self.ticks += 1;
            if self.ticks >= DRAIN_EVERY {
                self.drain_monitor();
            }
        }
    }

    // -------------------------------------------------------- monitor

    /// Start reporting the socket events in `mask` (`ZMQ_EVENT_*` bits, at
    /// most [`EVENT_ALL`]); 0 stops. A running monitor is replaced; events
    /// already queued stay readable.
    pub fn monitor(&mut self, mask: i32) -> Result<()> {
        if mask & !EVENT_ALL != 0 {
            return Err(SocketError::invalid(format!("bad event mask {mask:#x}: ZMQ_EVENT_* bits only (0x1..0xFFFF; 0 stops)")));
        }
        self.stop_monitor();
        self.stop_ext_monitor();
        if mask == 0 {
            return Ok(());
        }
        let ep = crate::sys::ctx::inproc_endpoint("socket-monitor");
        let c = cstring(&ep, "monitor endpoint")?;
        // SAFETY: live socket, NUL-terminated inproc endpoint.
        if unsafe { libzmq::zmq_socket_monitor(self.raw(), c.as_ptr(), mask) } != 0 {
            return Err(SocketError::zmq(libzmq::errno(), "zmq_socket_monitor"));
        }
        let pair = match self.monitor_pair(&ep) {
            Ok(p) => p,
            Err(e) => {
                libzmq::stop_monitor(&mut self.sock);
                return Err(e);
            }
        };
        self.monitor = Some(pair);
        // A pipe signals its reader only once the reader has found it empty:
        // read it now, so that the first events already wake monitor_fd().
        self.drain_monitor();
        Ok(())
    }

    fn monitor_pair(&self, ep: &str) -> Result<Monitor> {
        let z = |e| SocketError::from_zmq(e, "socket monitor");
        let pair = crate::sys::ctx::context().socket(zmq::PAIR).map_err(z)?;
        // An unbounded pipe: libzmq computes the pipe's limit toward a
        // connecting inproc socket as 0 (none) when the reader's RCVHWM is 0
        // (socket_base_t::connect_internal), so the monitor's blocking send
        // on the shared I/O thread can never stall. We bound the queue ourselves.
        pair.set_rcvhwm(0).map_err(z)?;
        pair.set_linger(0).map_err(z)?;
        crate::sys::ctx::no_eintr(|| pair.connect(ep)).map_err(z)?;
        let fd = pair.get_fd().map_err(z)?;
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
        // SAFETY: valid epoll and target descriptors.
        if unsafe { libc::epoll_ctl(self.mon_ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
            let e = std::io::Error::last_os_error();
            return Err(SocketError::other(e.raw_os_error().unwrap_or(0), format!("epoll_ctl: {e}")));
        }
        Ok(Monitor { pair, fd })
    }

    fn stop_monitor(&mut self) {
        if self.monitor.is_none() {
            return;
        }
        self.drain_monitor();
        libzmq::stop_monitor(&mut self.sock);
        // Events sent up to the stop are in the pipe: keep them.
        self.drain_monitor();
        if let Some(m) = self.monitor.take() {
            // SAFETY: valid epoll descriptor; removing a registered fd.
            unsafe { libc::epoll_ctl(self.mon_ep.as_raw_fd(), libc::EPOLL_CTL_DEL, m.fd, std::ptr::null_mut()) };
            drop(m.pair);
        }
    }

    /// Start libzmq's socket monitor on the caller's `endpoint` (an
    /// `inproc://` address that libzmq binds a PAIR to, events as two
    /// frames: libzmq's v1 format), reporting the events in `mask`; `None`
    /// stops it (libzmq sends `ZMQ_EVENT_MONITOR_STOPPED` first if the mask
    /// had it). Replaces a running monitor of either kind (events of a
    /// pull-style one already queued stay readable).
    ///
    /// libzmq sends the events with a blocking send, on its I/O thread for
    /// most of them: the caller must have a reader that takes them
    /// without bound, best an inproc PAIR with `RCVHWM` 0 connected to
    /// `endpoint` *before* this call (an inproc connect may precede the
    /// bind; the pipe is then unbounded from the first event on), kept
    /// until the monitor stops.
    pub fn monitor_endpoint(&mut self, endpoint: Option<&str>, mask: i32) -> Result<()> {
        if mask & !EVENT_ALL != 0 {
            return Err(SocketError::invalid(format!("bad event mask {mask:#x}: ZMQ_EVENT_* bits only (0x1..0xFFFF)")));
        }
        let c = match endpoint {
            Some(ep) => Some(cstring(ep, "monitor endpoint")?),
            None => None,
        };
        self.stop_monitor();
        let Some(c) = c else {
            self.stop_ext_monitor();
            return Ok(());
        };
        // SAFETY: live socket, NUL-terminated endpoint. libzmq stops a
        // monitor still running on another endpoint first.
        if unsafe { libzmq::zmq_socket_monitor(self.raw(), c.as_ptr(), mask) } != 0 {
            let e = libzmq::errno();
            // A failed start leaves no monitor behind (libzmq stopped the old one).
            self.ext_monitor = false;
            return Err(SocketError::zmq(e, &format!("zmq_socket_monitor({})", c.to_string_lossy())));
        }
        self.ext_monitor = true;
        Ok(())
    }

    fn stop_ext_monitor(&mut self) {
        if self.ext_monitor {
            libzmq::stop_monitor(&mut self.sock);
            self.ext_monitor = false;
        }
    }

    /// Whether a monitor started by [`Socket::monitor_endpoint`] runs.
    pub fn monitoring_endpoint(&self) -> bool {
        self.ext_monitor
    }

    /// Whether a monitor runs.
    pub fn monitoring(&self) -> bool {
        self.monitor.is_some()
    }

    /// Move the events waiting in the monitor pipe into the queue (the
    /// oldest are dropped beyond [`EVENT_QUEUE_MAX`]). Returns how many moved.
    pub fn drain_monitor(&mut self) -> usize {
        self.ticks = 0;
        let Some(m) = self.monitor.as_mut() else { return 0 };
        let raw = m.pair.as_mut_ptr();
        let mut head = Msg::new();
        let mut addr = Msg::new();
        let mut moved = 0;
        // Bounded work per call; the rest waits for the next one.
        while moved < 4 * EVENT_QUEUE_MAX {
            // SAFETY: the monitor PAIR is used only by this thread.
            if unsafe { head.recv(raw, ZMQ_DONTWAIT) }.is_err() {
                break;
            }
            let mut ok = head.more();
            // SAFETY: as above; the address frame follows at once.
            ok = ok && unsafe { addr.recv(raw, ZMQ_DONTWAIT) }.is_ok();
            if !ok {
                continue;
            }
            let h = head.bytes();
            if h.len() < 6 {
                continue;
            }
            let event = i32::from(u16::from_le_bytes([h[0], h[1]]));
            let value = i64::from(u32::from_le_bytes([h[2], h[3], h[4], h[5]]));
            let a = addr.bytes();
            let mut text = String::from_utf8_lossy(a).into_owned();
            if text.len() > TEXT_MAX {
                let mut n = TEXT_MAX;
                while !text.is_char_boundary(n) {
                    n -= 1;
                }
                text.truncate(n);
            }
            if self.events.len() >= EVENT_QUEUE_MAX {
                self.events.pop_front();
                self.dropped += 1;
            }
            self.events.push_back(SocketEvent { event, value, addr: text, dropped: self.dropped });
            moved += 1;
        }
        moved
    }

    /// The next queued socket event, without taking it.
    pub fn peek_event(&self) -> Option<&SocketEvent> {
        self.events.front()
    }

    /// Take the next queued socket event (drain the monitor first to see the newest).
    pub fn take_event(&mut self) -> Option<SocketEvent> {
        self.events.pop_front()
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

