//! The wire format: topics, tags, frames, number parsing and formatting.
//!
//! Everything that goes over a socket is built and parsed here, so the exact
//! bytes of the classic lab and of the tagged mode live in one place.  See
//! `docs/PROTOCOL.md` for the same rules written for humans.
//!
//! Classic frames (byte-identical to the original lab):
//! `[b"calc.request.1", b"12"]`, `[b"calc.square.result.1", b"144"]`,
//! `[b"calc.hypotenuse.result", b"17.6918"]`, heartbeat `[b"HB"]`.
//!
//! Tagged frames append `#<tag>` to the topic frame, so classic subscribers'
//! prefix matching still selects them: `[b"calc.request.1#3f9a0c21b7d45e60.17", b"12"]`.
//! Tagged answers to clients travel on `calc.hypotenuse.reply#<tag>` (a topic a
//! classic client never subscribes to), and an error answer's value frame is
//! `ERR <reason>`.

use std::fmt::Write as _;

/// Default port of the broker's XSUB socket (publishers connect here).
pub const XSUB_PORT: u16 = 5555;
/// Default port of the broker's XPUB socket (subscribers connect here).
pub const XPUB_PORT: u16 = 5556;
/// Default port of the broker's heartbeat PUB socket.
pub const HB_PORT: u16 = 5560;
/// The classic heartbeat message: one frame.
pub const HEARTBEAT: &[u8] = b"HB";
/// First frame of the state message that follows each `HB` of a failover
/// broker: `[HB.state, role, state]`.
pub const STATE_TOPIC: &[u8] = b"HB.state";

/// Separator between a topic and its tag inside the topic frame.
pub const TAG_SEP: char = '#';
/// Classic topic of hypotenuse results.
pub const RESULT_TOPIC: &str = "calc.hypotenuse.result";
/// Topic of tagged hypotenuse answers (always followed by `#<tag>`).
pub const REPLY_TOPIC: &str = "calc.hypotenuse.reply";
/// Published by a broker on its XPUB side when it becomes active (after a
/// take-over or a hand-back), value: unix ms. libhypobus clients resend
/// their unanswered requests and calc nodes their square requests at once,
/// instead of waiting for their next retry. Classic peers never subscribe to it.
pub const ANNOUNCE_TOPIC: &str = "hypobus.broker.active";

/// Prefix of an error value frame.
pub const ERROR_PREFIX: &str = "ERR ";

/// Longest value frame accepted (bytes). Longer frames get an error reply.
pub const MAX_VALUE_LEN: usize = 512;
/// Longest topic frame accepted (bytes).
pub const MAX_TOPIC_LEN: usize = 256;
/// Longest tag accepted (bytes).
pub const MAX_TAG_LEN: usize = 96;

/// Why a frame or a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("empty value")]
    Empty,
    #[error("value too long ({0} bytes, at most {MAX_VALUE_LEN})")]
    TooLong(usize),
    #[error("not a decimal number: {0}")]
    NotANumber(String),
    #[error("negative length: {0}")]
    Negative(String),
    #[error("not a finite number: {0}")]
    NotFinite(String),
    #[error("result is not finite")]
    Overflow,
    #[error("expected {expected} frames, got {got}")]
    Frames { expected: usize, got: usize },
    #[error("bad topic: {0}")]
    BadTopic(String),
    #[error("bad tag: {0}")]
    BadTag(String),
}

/// Printable, bounded excerpt of untrusted bytes for error messages.
pub fn excerpt(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes.iter().take(32) {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s.push('"');
    if bytes.len() > 32 {
        let _ = write!(s, "... ({} bytes)", bytes.len());
    }
    s
}

// ---------------------------------------------------------------- topics

/// `calc.request.<lane>`: a client's cathetus for `lane` (1 = a, 2 = b).
pub fn request_topic(lane: u32) -> String {
    format!("calc.request.{lane}")
}
/// `calc.square.request.<lane>`: the calc node asks an operation node.
pub fn square_request_topic(lane: u32) -> String {
    format!("calc.square.request.{lane}")
}
/// `calc.square.result.<lane>`: an operation node's answer.
pub fn square_result_topic(lane: u32) -> String {
    format!("calc.square.result.{lane}")
}

/// `<base>#<tag>`, or just `<base>` when there is no tag.
pub fn with_tag(base: &str, tag: Option<&str>) -> String {
    match tag {
        Some(t) => format!("{base}{TAG_SEP}{t}"),
        None => base.to_string(),
    }
}

/// What a topic frame names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request(u32),
    SquareRequest(u32),
    SquareResult(u32),
    Result,
    Reply,
}

/// A parsed topic frame: its kind and its tag, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic<'a> {
    pub kind: Kind,
    pub tag: Option<&'a str>,
}

fn parse_lane(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// A tag is 1..=96 bytes of `[A-Za-z0-9._:-]`.
pub fn valid_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= MAX_TAG_LEN && tag.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Parse a topic frame. Unknown topics, over-long frames and bad tags are errors.
pub fn parse_topic(frame: &[u8]) -> Result<Topic<'_>, WireError> {
    if frame.len() > MAX_TOPIC_LEN {
        return Err(WireError::BadTopic(excerpt(frame)));
    }
    let s = std::str::from_utf8(frame).map_err(|_| WireError::BadTopic(excerpt(frame)))?;
    let (base, tag) = match s.split_once(TAG_SEP) {
        Some((b, t)) => {
            if !valid_tag(t) {
                return Err(WireError::BadTag(excerpt(t.as_bytes())));
            }
            (b, Some(t))
        }
        None => (s, None),
    };
    let kind = if base == RESULT_TOPIC {
        Kind::Result
    } else if base == REPLY_TOPIC {
        Kind::Reply
    } else if let Some(l) = base.strip_prefix("calc.square.request.").and_then(parse_lane) {
        Kind::SquareRequest(l)
    } else if let Some(l) = base.strip_prefix("calc.square.result.").and_then(parse_lane) {
        Kind::SquareResult(l)
    } else if let Some(l) = base.strip_prefix("calc.request.").and_then(parse_lane) {
        Kind::Request(l)
    } else {
        return Err(WireError::BadTopic(excerpt(frame)));
    };
    Ok(Topic { kind, tag })
}

/// The value frame of an error answer: `ERR <reason>`.
pub fn error_value(reason: &str) -> Vec<u8> {
    let mut v = String::with_capacity(ERROR_PREFIX.len() + reason.len());
    v.push_str(ERROR_PREFIX);
    v.push_str(reason);
    v.into_bytes()
}

/// Split an answer's value frame into a value or an error reason.
pub fn parse_answer(value: &[u8]) -> Result<String, String> {
    let s = String::from_utf8_lossy(value);
    match s.strip_prefix(ERROR_PREFIX) {
        Some(reason) => Err(reason.to_string()),
        None => Ok(s.into_owned()),
    }
}

// ---------------------------------------------------------------- numbers

/// A non-negative finite length as sent on the wire.
///
/// Plain decimals (`12`, `1.5`) whose digits fit in 128 bits are also kept
/// exactly (`mantissa / 10^scale`), so integer squares stay exact and the
/// hypotenuse is right to the printed digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number {
    pub value: f64,
    pub exact: Option<(u128, u32)>,
}

const MAX_EXACT_SCALE: u32 = 38;

fn pow10(n: u32) -> Option<u128> {
    10u128.checked_pow(n)
}

impl Number {
    /// Parse a decimal value frame: digits, an optional `.` and fraction, an
    /// optional exponent (`1e3`); ASCII whitespace around it is ignored.
    /// Signs, `nan`, `inf`, empty and over-long frames are refused.
    pub fn parse(bytes: &[u8]) -> Result<Number, WireError> {
        if bytes.len() > MAX_VALUE_LEN {
            return Err(WireError::TooLong(bytes.len()));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| WireError::NotANumber(excerpt(bytes)))?.trim();
        if s.is_empty() {
            return Err(WireError::Empty);
        }
        if s.starts_with('-') {
            return Err(WireError::Negative(excerpt(s.as_bytes())));
        }
        let lower = s.to_ascii_lowercase();
        if lower.contains("nan") || lower.contains("inf") {
            return Err(WireError::NotFinite(excerpt(s.as_bytes())));
        }
        // Grammar: digits [ '.' digits ] [ (e|E) [+|-] digits ], at least one mantissa digit.
        let b = s.as_bytes();
        let mut i = 0;
        let (mut int_digits, mut frac_digits) = (0usize, 0usize);
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            int_digits += 1;
        }
        let mut has_point = false;
        if i < b.len() && b[i] == b'.' {
            has_point = true;
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
                frac_digits += 1;
            }
        }
        let mantissa_end = i;
        let mut has_exp = false;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            has_exp = true;
            i += 1;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return Err(WireError::NotANumber(excerpt(s.as_bytes())));
            }
        }
        if int_digits + frac_digits == 0 || i != b.len() {
            return Err(WireError::NotANumber(excerpt(s.as_bytes())));
        }
        let value: f64 = s.parse().map_err(|_| WireError::NotANumber(excerpt(s.as_bytes())))?;
        if !value.is_finite() {
            return Err(WireError::NotFinite(excerpt(s.as_bytes())));
        }
        let exact = if has_exp {
            None
        } else {
            let digits: String = s[..mantissa_end].chars().filter(|c| *c != '.').collect();
            let digits = digits.trim_start_matches('0');
            let scale = if has_point { frac_digits as u32 } else { 0 };
            if scale > MAX_EXACT_SCALE {
                None
            } else if digits.is_empty() {
                Some((0, 0))
            } else {
                digits.parse::<u128>().ok().map(|m| (m, scale))
            }
        };
        Ok(Number { value, exact })
    }

    /// A number from an `f64` (must be finite and non-negative).
    pub fn from_f64(v: f64) -> Result<Number, WireError> {
        if !v.is_finite() {
            return Err(WireError::NotFinite(format!("{v}")));
        }
        if v < 0.0 {
            return Err(WireError::Negative(format!("{v}")));
        }
        Number::parse(format_f64(v).as_bytes())
    }

    /// The square, exact when the mantissa's square fits in 128 bits.
    pub fn square(&self) -> Result<Number, WireError> {
        if let Some((m, k)) = self.exact {
            if let Some(m2) = m.checked_mul(m) {
                return Ok(Number { value: self.value * self.value, exact: Some((m2, 2 * k)) });
            }
        }
        let v = self.value * self.value;
        if !v.is_finite() {
            return Err(WireError::Overflow);
        }
        Ok(Number { value: v, exact: None })
    }

    /// Decimal text for the wire (exact digits when known, no exponent).
    pub fn format(&self) -> String {
        match self.exact {
            Some((m, k)) => format_exact(m, k),
            None => format_f64(self.value),
        }
    }

    /// True when `other` is (within rounding) the square of `self`.
    pub fn is_square_of(&self, root: &Number) -> bool {
        if let (Some(sq), Ok(Number { exact: Some(rs), .. })) = (self.exact, root.square()) {
            return normalize(sq) == normalize(rs);
        }
        let want = root.value * root.value;
        (self.value - want).abs() <= 1e-9 * want.max(1.0)
    }
}

fn normalize((mut m, mut k): (u128, u32)) -> (u128, u32) {
    while k > 0 && m % 10 == 0 {
        m /= 10;
        k -= 1;
    }
    if m == 0 {
        k = 0;
    }
    (m, k)
}

/// `m / 10^k` as plain decimal text without trailing zeros (`225,2` → `2.25`).
fn format_exact(m: u128, k: u32) -> String {
    let (m, k) = normalize((m, k));
    let digits = m.to_string();
    if k == 0 {
        return digits;
    }
    let k = k as usize;
    if digits.len() > k {
        format!("{}.{}", &digits[..digits.len() - k], &digits[digits.len() - k..])
    } else {
        format!("0.{}{}", "0".repeat(k - digits.len()), digits)
    }
}

/// Shortest round-trip decimal text of a finite `f64`, never with an exponent.
pub fn format_f64(v: f64) -> String {
    format!("{v}")
}

/// Format `t / 10^4` with exactly four decimals.
fn format_fixed4(t: u128) -> String {
    format!("{}.{:04}", t / 10_000, t % 10_000)
}

/// `sqrt(sa + sb)` formatted with four decimals, from two squares.
///
/// When both squares are exact, the integer part is computed with an exact
/// integer square root and only the sub-unit remainder uses floating point,
/// so large integer catheti print the right digits.
pub fn hypot_from_squares(sa: &Number, sb: &Number) -> Result<String, WireError> {
    if let (Some(a), Some(b)) = (sa.exact, sb.exact) {
        if let Some(s) = exact_hypot4(a, b) {
            return Ok(s);
        }
    }
    let h = (sa.value + sb.value).sqrt();
    if !h.is_finite() {
        return Err(WireError::Overflow);
    }
    Ok(format!("{h:.4}"))
}

fn exact_hypot4((ma, ka): (u128, u32), (mb, kb): (u128, u32)) -> Option<String> {
    let mut k2 = ka.max(kb);
    let a = ma.checked_mul(pow10(k2 - ka)?)?;
    let b = mb.checked_mul(pow10(k2 - kb)?)?;
    let mut s = a.checked_add(b)?;
    if k2 % 2 == 1 {
        s = s.checked_mul(10)?;
        k2 += 1;
    }
    let k = k2 / 2; // result = sqrt(s) / 10^k
    let q = s.isqrt();
    let r = s - q * q;
    let frac = if r == 0 { 0.0 } else { r as f64 / ((s as f64).sqrt() + q as f64) };
    let t = if k <= 4 {
        let p = pow10(4 - k)?;
        q.checked_mul(p)?.checked_add((frac * p as f64).round() as u128)?
    } else {
        let d = pow10(k - 4)?;
        (q / d) + (((q % d) as f64 + frac) / d as f64).round() as u128
    };
    Some(format_fixed4(t))
}

/// The hypotenuse of two catheti, formatted with four decimals.
pub fn hypot(a: &Number, b: &Number) -> Result<String, WireError> {
    match (a.square(), b.square()) {
        (Ok(sa), Ok(sb)) => hypot_from_squares(&sa, &sb),
        _ => {
            let h = a.value.hypot(b.value);
            if h.is_finite() {
                Ok(format!("{h:.4}"))
            } else {
                Err(WireError::Overflow)
            }
        }
    }
}

/// A random 16-hex-digit id: the node part of a tag (client ids, calc node ids).
pub fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    format!("{:016x}", h.finish())
}

/// Topic prefix of a client's start-up probe (`hypobus.probe.<client-id>`).
pub const PROBE_TOPIC: &str = "hypobus.probe.";

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn lab_values() {
        assert_eq!(hypot(&n("12"), &n("13")).unwrap(), "17.6918");
        assert_eq!(hypot(&n("3"), &n("4")).unwrap(), "5.0000");
        assert_eq!(hypot(&n("1.5"), &n("2")).unwrap(), "2.5000");
        assert_eq!(hypot(&n("0"), &n("0")).unwrap(), "0.0000");
        assert_eq!(n("12").square().unwrap().format(), "144");
        assert_eq!(n("1.5").square().unwrap().format(), "2.25");
        assert_eq!(n("0.1").square().unwrap().format(), "0.01");
    }

    #[test]
    fn big_integers_are_exact() {
        // 3e15, 4e15 -> 5e15 exactly; f64 alone would print noise in the decimals.
        assert_eq!(hypot(&n("3000000000000000"), &n("4000000000000000")).unwrap(), "5000000000000000.0000");
        assert_eq!(n("4294967297").square().unwrap().format(), "18446744082299486209");
        // sqrt(10^30 + 1) = 10^15 + 5e-16: prints .0000
        assert_eq!(hypot(&n("1000000000000000"), &n("1")).unwrap(), "1000000000000000.0000");
        assert_eq!(hypot(&n("1e200"), &n("1e200")).unwrap(), format!("{:.4}", 1e200f64.hypot(1e200)));
    }

    #[test]
    fn bad_numbers() {
        for bad in ["abc", "", "  ", "nan", "NaN", "inf", "-inf", "-3", "1e400", "1.2.3", "+3", "e5", ".", "0x10", "1e"] {
            assert!(Number::parse(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Number::parse(&vec![b'1'; 1 << 20]), Err(WireError::TooLong(1 << 20)));
        assert!(matches!(Number::parse(b"-3"), Err(WireError::Negative(_))));
        for good in ["0", "12", " 12\n", "1.5", ".5", "5.", "1e3", "007"] {
            assert!(Number::parse(good.as_bytes()).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn topics() {
        let t = parse_topic(b"calc.request.1#abc.1").unwrap();
        assert_eq!(t, Topic { kind: Kind::Request(1), tag: Some("abc.1") });
        assert_eq!(parse_topic(b"calc.square.result.12").unwrap().kind, Kind::SquareResult(12));
        assert_eq!(parse_topic(b"calc.hypotenuse.result").unwrap().kind, Kind::Result);
        assert!(parse_topic(b"calc.request.01").is_err());
        assert!(parse_topic(b"calc.request.1#").is_err());
        assert!(parse_topic(b"calc.request.1#a b").is_err());
        assert!(parse_topic(b"nonsense").is_err());
    }

    #[test]
    fn square_matching() {
        assert!(n("144").is_square_of(&n("12")));
        assert!(n("2.25").is_square_of(&n("1.5")));
        assert!(!n("145").is_square_of(&n("12")));
    }
}
