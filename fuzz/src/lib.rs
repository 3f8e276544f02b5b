//! What the fuzz targets share: how one fuzz input becomes ZeroMQ frames
//! and messages, and bounded waits.
//!
//! An input is messages separated by [`MSG_SEP`], each message frames
//! separated by [`FRAME_SEP`]: both bytes never occur in UTF-8 text, so a
//! seed written from a test's text frames reads as those frames, and the
//! fuzzer still reaches every byte value inside a frame (the other
//! non-UTF-8 bytes).

use std::ffi::CString;
use std::time::{Duration, Instant};

/// Separates the frames of one message.
pub const FRAME_SEP: u8 = 0xff;
/// Separates the messages of one input.
pub const MSG_SEP: u8 = 0xfe;

/// The frames of one message.
pub fn frames(data: &[u8]) -> Vec<&[u8]> {
    data.split(|b| *b == FRAME_SEP).collect()
}

/// The messages of one input, each as its frames.
pub fn messages(data: &[u8]) -> Vec<Vec<&[u8]>> {
    data.split(|b| *b == MSG_SEP).map(frames).collect()
}

/// Owned copies of frames (what the parsers that take received messages read).
pub fn owned(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.to_vec()).collect()
}

/// A C string of `bytes` up to their first NUL (what a C caller can pass).
pub fn cstring(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("no NUL before end")
}

/// How long a target waits for a role thread's answer before it calls the
/// role hung (a find, like a crash). Generous: the machines that run the
/// fuzzers are shared, and a starved thread is not a hung one.
pub const HANG: Duration = Duration::from_secs(20);

/// Receive one message on `sock`, waiting until `deadline`; `None` when none came.
///
/// A wait interrupted by a signal goes on until the deadline: libFuzzer's
/// `-timeout` watchdog is a `SIGALRM` every `timeout / 2 + 1` seconds on
/// the fuzzing thread, and `zmq_poll` returns `EINTR` then (poll(2) is never
/// restarted), which must not read as "no answer".
pub fn recv_until(sock: &zmq::Socket, deadline: Instant) -> Option<Vec<Vec<u8>>> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // Rounded up: a wait of 0.4 ms left is not a poll that returns at once.
        match sock.poll(zmq::POLLIN, left.as_micros().div_ceil(1000) as i64) {
            Ok(0) if left.is_zero() => return None,
            Ok(0) => continue,
            Ok(_) => match sock.recv_multipart(zmq::DONTWAIT) {
                Ok(m) => return Some(m),
                Err(zmq::Error::EAGAIN | zmq::Error::EINTR) => continue,
                Err(_) => return None,
            },
            Err(zmq::Error::EINTR) => continue,
            Err(_) => return None,
        }
    }
}

/// Throw away whatever is queued on `sock` now.
pub fn drain(sock: &zmq::Socket) {
    while sock.recv_multipart(zmq::DONTWAIT).is_ok() {}
}
