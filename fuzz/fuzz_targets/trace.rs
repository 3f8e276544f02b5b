//! The observer's trace decoder (`hypobus::watch::trace::Tracker`), fed as
//! `hypobus watch` feeds it: every message of the lab's wire and the
//! observability topics, with the time it arrived and the broker it came
//! through, and the clock ticking; then every trace and role event it hands
//! out goes through the renderings the page and the reports use (terminal,
//! Mermaid, SVG, JSON).
//!
//! Input: messages; each message's first byte is a control byte, the rest
//! its frames. Control `0xf0` flushes, `0xf1` flushes quietly (a sampling
//! window closed), `0xf2` toggles taking new requests, `0xf3` runs the clock
//! to the tracker's next due time; any other value `c` delivers the message
//! `(c >> 1)` ms after the previous one through broker `c & 1`.
//!
//! Invariants: no panic; the counters agree with what is open; after a
//! flush nothing is open; the JSON the page gets parses.
#![no_main]

use hypobus::watch::trace::{Output, Tracker};
use hypobus::watch::{json, render, TrackerConfig};
use libfuzzer_sys::fuzz_target;

fn json_ok(s: &str) {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(s) {
        panic!("invalid JSON ({e}): {s}");
    }
}

fn hand_out(t: &mut Tracker) {
    let names = vec!["primary".to_string(), "backup".to_string()];
    for o in t.drain() {
        match o {
            Output::Trace(tr) => {
                let _ = render::headline(&tr, &names);
                let _ = render::notes(&tr);
                let _ = render::terminal(&tr, &names, &[]);
                let _ = render::mermaid(&tr, &names, &[]);
                let _ = render::svg(std::slice::from_ref(&*tr), &names, &[]);
                json_ok(&json::trace(&tr, &names));
            }
            Output::Role(e) => json_ok(&json::role_event(&e)),
        }
    }
}

fn check(t: &Tracker) {
    let st = t.stats();
    assert_eq!(st.open as usize, t.open_len());
    assert!(t.unanswered() <= t.open_len());
}

fuzz_target!(|data: &[u8]| {
    let mut t = Tracker::new(TrackerConfig { linger_us: 2_000, expire_us: 50_000, dup_window_us: 1_000 });
    let mut now: u64 = 1_700_000_000_000_000;
    for m in hypobus_fuzz::messages(data) {
        let Some((&c, topic)) = m[0].split_first() else { continue };
        match c {
            0xf0 => {
                t.flush();
                assert_eq!(t.open_len(), 0);
            }
            0xf1 => t.flush_quiet(),
            0xf2 => t.accept_new = !t.accept_new,
            0xf3 => {
                if let Some(due) = t.next_due() {
                    now = now.max(due);
                }
                t.on_time(now);
            }
            _ => {
                now += u64::from(c >> 1) * 1000;
                let mut frames = vec![topic];
                frames.extend_from_slice(&m[1..]);
                t.on_message(now, usize::from(c & 1), &frames);
                t.on_time(now);
            }
        }
        check(&t);
        hand_out(&mut t);
    }
    t.flush();
    assert_eq!(t.open_len(), 0);
    hand_out(&mut t);
});
