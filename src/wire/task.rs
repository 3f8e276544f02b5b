//! The frames of the task brokers (`docs/PROTOCOL.md`, "Task brokers").
//!
//! Two families share the broker's sockets:
//!
//! * **course frames** (the `lru` router/router broker of the course, byte
//!   for byte): a REQ client sends `[request]` and the broker's ROUTER sees
//!   `[client, '', request]`; a REQ worker registers with an empty request
//!   (`['', '', '']`, which the ROUTER sees as `[worker, '', '', '', '']`)
//!   or `READY`, gets `[client, '', request]` and answers `[client, '',
//!   reply]`. The "client" frame a course worker gets is the broker's
//!   dispatch token (the worker only echoes it back), which is what lets
//!   the broker re-dispatch and drop late answers for course workers too.
//! * **our frames**, in the spirit of the ZeroMQ guide's Majordomo: every
//!   message starts with an empty delimiter and a protocol id frame
//!   (`HBTC01` between clients and brokers, `HBTW01` between workers and
//!   brokers, `HBTP01` for the capacity that peer brokers publish), then a
//!   command and its frames.

/// Protocol id of the client ↔ broker frames.
pub const CLIENT: &[u8] = b"HBTC01";
/// Protocol id of the worker ↔ broker frames.
pub const WORKER: &[u8] = b"HBTW01";
/// Protocol id of a broker's capacity publication (peering).
pub const PEER: &[u8] = b"HBTP01";

/// Worker → broker: `READY services slots load` (register, or re-register).
pub const READY: &[u8] = b"READY";
/// Client → broker `REQUEST id service body [flags]`;
/// broker → worker `REQUEST token id service body`.
pub const REQUEST: &[u8] = b"REQUEST";
/// Broker → client `REPLY id status body`; worker → broker `REPLY token status body load`.
pub const REPLY: &[u8] = b"REPLY";
/// Both ways between broker and worker: `HEARTBEAT [load]`.
pub const HEARTBEAT: &[u8] = b"HEARTBEAT";
/// Both ways between broker and worker: `DISCONNECT` (broker: "register again").
pub const DISCONNECT: &[u8] = b"DISCONNECT";
/// Client → broker: `FETCH id` (the result of an earlier request, waiting for it if it is still running).
pub const FETCH: &[u8] = b"FETCH";
/// Broker → subscribers (peers): `STATE name service free service free ...`.
pub const STATE: &[u8] = b"STATE";

/// Reply statuses.
pub const OK: &[u8] = b"OK";
/// The task failed (the body is the reason, UTF-8).
pub const ERR: &[u8] = b"ERR";
/// The request is known and still running (answer to a resend or a fetch): not a result.
pub const PENDING: &[u8] = b"PENDING";
/// No request with this id is known (answer to a fetch).
pub const UNKNOWN: &[u8] = b"UNKNOWN";

/// REQUEST flag: the request comes from a peer broker; do not pass it on again.
pub const FLAG_FROM_PEER: &[u8] = b"peer";

/// The longest request id, service name or broker name, in bytes.
pub const MAX_NAME: usize = 128;
/// The largest request or reply body a broker takes (bigger ones get an error).
pub const MAX_BODY: usize = 16 << 20;

/// Whether `s` is a valid service name: 0 to 64 of `A-Z a-z 0-9 . _ - : /`
/// (the empty name is the default service, what course workers serve).
pub fn valid_service(s: &[u8]) -> bool {
    s.len() <= 64 && s.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'/'))
}

/// Whether `s` is a valid request id: 1 to 128 printable ASCII bytes, no space.
pub fn valid_id(s: &[u8]) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.iter().all(|b| b.is_ascii_graphic())
}

/// The services of a READY frame: comma-separated names.
pub fn parse_services(f: &[u8]) -> Option<Vec<String>> {
    if f.is_empty() {
        return Some(vec![String::new()]);
    }
    let mut v = Vec::new();
    for s in f.split(|b| *b == b',') {
        if !valid_service(s) {
            return None;
        }
        let s = String::from_utf8_lossy(s).into_owned();
        if !v.contains(&s) {
            v.push(s);
        }
    }
    Some(v)
}

/// A decimal number frame (`slots`, `load`), `None` when it is not one.
pub fn parse_u32(f: &[u8]) -> Option<u32> {
    if f.is_empty() || f.len() > 10 {
        return None;
    }
    std::str::from_utf8(f).ok()?.parse().ok()
}

/// A random 64-bit value (for client and worker names, broker epochs):
/// the kernel's randomness, or the clock and pid if that fails.
pub fn random_u64() -> u64 {
    let mut v: u64 = 0;
    // SAFETY: fills 8 bytes of a valid u64.
    let n = unsafe { libc::getrandom((&mut v as *mut u64).cast(), 8, 0) };
    if n != 8 {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        v = t ^ ((std::process::id() as u64) << 32);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_service(b""));
        assert!(valid_service(b"calc.B"));
        assert!(!valid_service(b"a,b"));
        assert!(!valid_service(&[b'a'; 65]));
        assert_eq!(parse_services(b"A,B,A"), Some(vec!["A".into(), "B".into()]));
        assert_eq!(parse_services(b""), Some(vec![String::new()]));
        assert_eq!(parse_services(b"A, B"), None);
        assert!(valid_id(b"c1-2"));
        assert!(!valid_id(b""));
        assert!(!valid_id(b"a b"));
        assert_eq!(parse_u32(b"17"), Some(17));
        assert_eq!(parse_u32(b"-1"), None);
        assert_ne!(random_u64(), random_u64());
    }
}
