//! The lab's wire (`hypobus::wire::lab`): a topic frame and two value
//! frames as a calc node, an op node or a client reads them off the wire.
//! Input: `topic 0xff a 0xff b` (more frames are ignored).
//!
//! Invariants: a topic that parses is rebuilt byte for byte from its kind
//! and tag; a number that parses formats to text that parses to the same
//! value (and formats the same again); a square is the square of its root;
//! the hypotenuse matches `f64::hypot` to the printed digits; an error
//! answer round-trips; excerpts are short printable ASCII.
#![no_main]

use hypobus::wire::{self, Kind, Number};
use libfuzzer_sys::fuzz_target;

fn check_topic(frame: &[u8]) {
    let ex = wire::excerpt(frame);
    assert!(ex.len() <= 2 + 32 * 4 + 32 && ex.bytes().all(|b| (0x20..0x7f).contains(&b)), "{ex}");
    let Ok(t) = wire::parse_topic(frame) else { return };
    let base = match t.kind {
        Kind::Request(l) => wire::request_topic(l),
        Kind::SquareRequest(l) => wire::square_request_topic(l),
        Kind::SquareResult(l) => wire::square_result_topic(l),
        Kind::Result => wire::RESULT_TOPIC.to_string(),
        Kind::Reply => wire::REPLY_TOPIC.to_string(),
    };
    assert!(t.tag.map_or(true, wire::valid_tag));
    assert_eq!(wire::with_tag(&base, t.tag).as_bytes(), frame, "topic does not rebuild");
}

fn check_number(frame: &[u8]) -> Option<Number> {
    let n = Number::parse(frame).ok()?;
    assert!(n.value.is_finite() && n.value >= 0.0, "{n:?}");
    let text = n.format();
    let again = Number::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?} (from {n:?}) does not parse: {e}"));
    assert_eq!(again.value, n.value, "{text:?}");
    assert_eq!(again.format(), text, "format is not stable");
    if let Ok(sq) = n.square() {
        assert!(sq.value.is_finite());
        assert!(sq.is_square_of(&n), "{sq:?} is not the square of {n:?}");
    }
    Some(n)
}

fn check_hypot(a: &Number, b: &Number) {
    let Ok(h) = wire::hypot(a, b) else {
        assert!(!a.value.hypot(b.value).is_finite(), "hypot({a:?}, {b:?}) refused");
        return;
    };
    let (int, frac) = h.split_once('.').expect("four decimals");
    assert!(frac.len() == 4 && int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit()), "{h}");
    let got: f64 = h.parse().expect("decimal");
    let want = a.value.hypot(b.value);
    assert!((got - want).abs() <= 1e-4 + 1e-9 * want, "hypot({a:?}, {b:?}) = {h}, f64 says {want}");
}

fuzz_target!(|data: &[u8]| {
    let f = hypobus_fuzz::frames(data);
    check_topic(f[0]);
    let a = f.get(1).and_then(|v| check_number(v));
    let b = f.get(2).and_then(|v| check_number(v));
    if let (Some(a), Some(b)) = (a, b) {
        check_hypot(&a, &b);
    }
    for v in &f[1..] {
        let reason = String::from_utf8_lossy(v).into_owned();
        assert_eq!(wire::parse_answer(&wire::error_value(&reason)), Err(reason));
        let _ = wire::parse_answer(v);
    }
});
