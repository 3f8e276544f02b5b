//! The vendored libzmq is built with the platform features libzmq's own
//! CMake finds on Linux (`.cargo/config.toml`): above all eventfd
//! signalers. Without them every socket, I/O thread and context reaper
//! signals through a socketpair: two unix-socket syscalls more per message
//! and wake-up. This is its own test binary so that no other test opens
//! descriptors while it counts them.

#![cfg(target_os = "linux")]

use std::collections::HashSet;

/// The process's descriptors and what each one is (the /proc link target).
fn fds() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
        let e = e.expect("fd entry");
        if let Ok(target) = std::fs::read_link(e.path()) {
            out.push((e.file_name().to_string_lossy().into_owned(), target.to_string_lossy().into_owned()));
        }
    }
    out
}

#[test]
fn libzmq_signals_with_eventfd_not_socketpairs() {
    let before: HashSet<String> = fds().into_iter().map(|(n, _)| n).collect();
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::REQ).expect("socket");
    // A socket with no endpoint has no network descriptor: whatever is new
    // belongs to libzmq's signalers (the socket's mailbox, the reaper, the
    // I/O thread), created by the first socket of a context.
    let new: Vec<(String, String)> = fds().into_iter().filter(|(n, _)| !before.contains(n)).collect();
    let eventfds = new.iter().filter(|(_, t)| t.contains("eventfd")).count();
    let sockets: Vec<&(String, String)> = new.iter().filter(|(_, t)| t.starts_with("socket:")).collect();
    assert!(eventfds >= 3, "libzmq made {eventfds} eventfds for a context and a socket (expected its signalers): {new:?}");
    assert!(sockets.is_empty(), "libzmq signals through socketpairs (built without ZMQ_HAVE_EVENTFD?): {sockets:?}");
    // And its descriptors do not leak into child processes.
    for (n, t) in new.iter().filter(|(_, t)| t.contains("eventfd") || t.contains("eventpoll")) {
        let flags = std::fs::read_to_string(format!("/proc/self/fdinfo/{n}")).unwrap_or_else(|e| panic!("fdinfo of {n} ({t}): {e}"));
        let f = flags.lines().find_map(|l| l.strip_prefix("flags:")).expect("flags line").trim().to_string();
        let v = u32::from_str_radix(&f, 8).expect("octal flags");
        assert!(v & 0o2000000 != 0, "fd {n} of libzmq is not close-on-exec (flags {f})");
    }
    drop(s);
}
