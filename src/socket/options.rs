//! Socket options by libzmq number, typed by one table ([`OPTIONS`]), and the
//! socket's option calls.

use super::*;
use crate::sys::libzmq::{self};
use std::ffi::c_int;

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

pub(super) fn known_option(id: i32) -> Result<&'static OptInfo> {
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

impl Socket {
    pub(super) fn setsockopt(&mut self, info: &OptInfo, value: &[u8]) -> Result<()> {
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

    pub(super) fn get_int_raw(&mut self, id: i32, name: &str) -> Result<i32> {
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
                i64::try_from(u)
                    .map_err(|_| SocketError::invalid(format!("ZMQ_{} is {u}, above INT64_MAX (use the raw getter)", info.name)))?
            }
        })
    }
}
