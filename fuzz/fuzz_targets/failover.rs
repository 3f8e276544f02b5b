//! A failover broker's inputs from the network: its peer's heartbeat
//! messages (`parse_beat`: `[HB]`, `[HB.state, role, state]`) and control
//! requests (`parse_command`: `status`, `handback`). Input: the frames of
//! one message.
//!
//! Invariants: a beat that parses is byte for byte what a broker sends
//! (`[HB]` or `state_frames`); a command that parses is one frame whose
//! trimmed text is the command; refusals are short `error: …` answers.
#![no_main]

use hypobus::lab::failover::{parse_beat, parse_command, state_frames, Beat, Command};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let m = hypobus_fuzz::owned(&hypobus_fuzz::frames(data));
    match parse_beat(&m) {
        Some(Beat::Classic) => assert_eq!(m, [b"HB".to_vec()]),
        Some(Beat::State(role, active)) => assert_eq!(m, hypobus_fuzz::owned(&state_frames(role, active))),
        None => {}
    }
    match parse_command(&m) {
        Ok(c) => {
            let word = match c {
                Command::Status => "status",
                Command::Handback => "handback",
            };
            assert_eq!(m.len(), 1);
            assert_eq!(std::str::from_utf8(&m[0]).map(str::trim), Ok(word));
        }
        Err(answer) => assert!(answer.starts_with("error: ") && answer.len() < 256, "{answer}"),
    }
});
