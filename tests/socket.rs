//! The generic sockets and the proxy through their C ABI, called as a C
//! program would (the `extern "C"` functions, raw pointers, statuses), on
//! real sockets: loopback TCP on wildcard ports and inproc. Every wait is
//! bounded.

mod common;

use common::sockets::*;
use hypobus::ffi::proxy::*;
use hypobus::ffi::socket::*;
use hypobus::ffi::wait::{hb_poll, HbPollItem};
use hypobus::ffi::{hb_handle_fd, HbStatus, HbStatus::*, HB_POLLERR, HB_POLLIN, HB_POLLMON, HB_POLLOUT};
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

// ------------------------------------------------------------ basics

#[test]
fn every_type_is_creatable_and_bad_types_are_refused() {
    for t in 0..=11 {
        let s = new(t);
        let mut v = -1;
        assert_eq!(hb_socket_getopt_int(s, HB_TYPE, &mut v), HB_OK);
        assert_eq!(v, i64::from(t));
        free(s);
    }
    let mut s = null_mut();
    for bad in [-1, 12, 1000] {
        assert_eq!(hb_socket_new(bad, &mut s), HB_INVALID_ARGUMENT);
        assert!(err(null()).2.contains("bad socket type"), "{:?}", err(null()));
    }
    assert_eq!(hb_socket_new(HB_PAIR, null_mut()), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_free(null_mut()), HB_OK);
}

#[test]
fn bind_returns_the_real_endpoint_and_bad_endpoints_are_explained() {
    let s = new(HB_PULL);
    let ep = bind(s, "tcp://127.0.0.1:*");
    let port: u16 = ep.strip_prefix("tcp://127.0.0.1:").unwrap().parse().unwrap();
    assert!(port > 0);
    // The same endpoint again: address in use, named, with the errno.
    let t = new(HB_PULL);
    let c = CString::new(ep.clone()).unwrap();
    assert_eq!(hb_socket_bind(t, c.as_ptr(), null_mut(), 0, null_mut()), HB_CONFIG);
    let (st, errno, msg) = serr(t);
    assert_eq!((st, errno), (HB_CONFIG, libc::EADDRINUSE), "{msg}");
    assert!(msg.contains(&ep), "{msg}");
    for bad in ["nonsense", "tcp://", "foo://bar", "tcp://256.1.1.1:1"] {
        let c = CString::new(bad).unwrap();
        let st = hb_socket_bind(t, c.as_ptr(), null_mut(), 0, null_mut());
        assert!(matches!(st, HB_CONFIG | HB_ZMQ), "{bad}: {st:?}");
        let (_, errno, msg) = serr(t);
        assert!(errno != 0 && msg.contains(bad), "{bad}: {msg}");
        if !bad.contains("256") {
            // (A host name is resolved in the background: connect takes it.)
            assert_ne!(hb_socket_connect(t, c.as_ptr()), HB_OK, "{bad}");
            assert!(serr(t).2.contains(bad), "{:?}", serr(t));
        }
    }
    // Too small a buffer: bound all the same, the length tells the size.
    let mut small = [0 as c_char; 4];
    let mut n = 0;
    let any = CString::new("tcp://127.0.0.1:*").unwrap();
    assert_eq!(hb_socket_bind(t, any.as_ptr(), small.as_mut_ptr(), small.len(), &mut n), HB_BUFFER_TOO_SMALL);
    assert!(n > 4);
    let mut last = [0u8; 128];
    let mut m = 0;
    assert_eq!(hb_socket_getopt(t, HB_LAST_ENDPOINT, last.as_mut_ptr().cast(), last.len(), &mut m), HB_OK);
    assert_eq!((m, last[m]), (n, 0));
    // Unbind wants the real endpoint.
    let real = CString::new(&last[..m]).unwrap();
    assert_eq!(hb_socket_unbind(t, real.as_ptr()), HB_OK);
    assert_eq!(hb_socket_unbind(t, real.as_ptr()), HB_CONFIG);
    assert_eq!(serr(t).1, libc::ENOENT);
    assert_eq!(hb_socket_bind(t, null(), null_mut(), 0, null_mut()), HB_INVALID_ARGUMENT);
    free(s);
    free(t);
}

#[test]
fn multipart_with_nul_bytes_and_empty_frames() {
    let (a, b) = tcp_pair(HB_PAIR, HB_PAIR);
    let msg: [&[u8]; 4] = [b"a\0b", b"", b"\0\0\0", b"end"];
    send_ok(b, &msg);
    assert_eq!(recv_ok(a), msg.iter().map(|f| f.to_vec()).collect::<Vec<_>>());
    // SNDMORE: one message over two calls.
    assert_eq!(send(b, &[b"one", b"two"], HB_SNDMORE, 1000), HB_OK);
    assert_eq!(send(b, &[b"three"], 0, 1000), HB_OK);
    assert_eq!(recv_ok(a), frames(&["one", "two", "three"]));
    // A frame-less message is refused.
    assert_eq!(hb_socket_send(b, null(), null(), 0, 0, 0), HB_INVALID_ARGUMENT);
    let z = [0usize];
    assert_eq!(hb_socket_send(b, null(), z.as_ptr(), 1, 0, 1000), HB_OK, "one empty frame, data NULL");
    assert_eq!(recv_ok(a), vec![Vec::<u8>::new()]);
    let sz = [3usize];
    assert_eq!(hb_socket_send(b, null(), sz.as_ptr(), 1, 0, 0), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_send(b, b"abc".as_ptr().cast(), sz.as_ptr(), 1, 0x100, 0), HB_INVALID_ARGUMENT);
    free(a);
    free(b);
}

#[test]
fn a_64_mib_frame_round_trips() {
    let (a, b) = tcp_pair(HB_PAIR, HB_PAIR);
    let big: Vec<u8> = (0..64 << 20).map(|i: u32| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    let sizes = [3usize, big.len()];
    let mut data = b"hdr".to_vec();
    data.extend_from_slice(&big);
    assert_eq!(hb_socket_send(b, data.as_ptr().cast(), sizes.as_ptr(), 2, 0, 10_000), HB_OK);
    // Size query first: it keeps the message.
    let (mut n, mut total) = (0, 0);
    let t = Instant::now();
    let st = loop {
        let st = hb_socket_recv(a, 1000, null_mut(), 0, null_mut(), 0, &mut n, &mut total);
        if st != HB_TIMEOUT || t.elapsed() > Duration::from_secs(20) {
            break st;
        }
    };
    assert_eq!(st, HB_BUFFER_TOO_SMALL);
    assert_eq!((n, total), (2, data.len()));
    let mut buf = vec![0u8; total];
    let mut sz = [0usize; 2];
    assert_eq!(hb_socket_recv(a, 0, buf.as_mut_ptr().cast(), buf.len(), sz.as_mut_ptr(), 2, &mut n, &mut total), HB_OK);
    assert_eq!(sz, sizes);
    assert!(buf == data, "64 MiB content differs");
    free(a);
    free(b);
}

#[test]
fn a_message_that_does_not_fit_is_kept() {
    let (a, b) = tcp_pair(HB_PULL, HB_PUSH);
    send_ok(b, &[b"hello", b"world!"]);
    send_ok(b, &[b"next"]);
    let mut buf = [0u8; 8];
    let mut sizes = [0usize; 4];
    let (mut n, mut total) = (0, 0);
    let t = Instant::now();
    let mut st = HB_TIMEOUT;
    while st == HB_TIMEOUT && t.elapsed() < Duration::from_secs(5) {
        st = hb_socket_recv(a, 1000, buf.as_mut_ptr().cast(), buf.len(), sizes.as_mut_ptr(), sizes.len(), &mut n, &mut total);
    }
    assert_eq!(st, HB_BUFFER_TOO_SMALL);
    assert_eq!((n, total), (2, 11));
    assert!(serr(a).2.contains("kept"), "{:?}", serr(a));
    let mut ev = 0;
    assert_eq!(hb_socket_events(a, &mut ev), HB_OK);
    assert_eq!(ev & i32::from(HB_POLLIN), i32::from(HB_POLLIN), "a kept message counts as POLLIN");
    // Big enough buffer but too few sizes: still kept.
    let mut big = [0u8; 64];
    assert_eq!(hb_socket_recv(a, 0, big.as_mut_ptr().cast(), big.len(), sizes.as_mut_ptr(), 1, &mut n, &mut total), HB_BUFFER_TOO_SMALL);
    assert_eq!((n, total), (2, 11));
    // Size query.
    assert_eq!(hb_socket_recv(a, 0, null_mut(), 0, null_mut(), 0, &mut n, &mut total), HB_BUFFER_TOO_SMALL);
    assert_eq!((n, total), (2, 11));
    // Right size: the same message, then the next one.
    assert_eq!(hb_socket_recv(a, 0, big.as_mut_ptr().cast(), 11, sizes.as_mut_ptr(), 2, &mut n, &mut total), HB_OK);
    assert_eq!(&big[..11], b"helloworld!");
    assert_eq!(&sizes[..2], &[5, 6]);
    assert_eq!(recv_ok(a), frames(&["next"]));
    // Bad buffers.
    assert_eq!(hb_socket_recv(a, 0, null_mut(), 4, null_mut(), 0, null_mut(), null_mut()), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_recv(a, 0, big.as_mut_ptr().cast(), 4, null_mut(), 2, null_mut(), null_mut()), HB_INVALID_ARGUMENT);
    free(a);
    free(b);
}

#[test]
fn libzmq_errors_keep_their_errno() {
    // REQ sending twice: EFSM, read on the handle.
    let (rep, req) = tcp_pair(HB_REP, HB_REQ);
    send_ok(req, &[b"1"]);
    assert_eq!(send(req, &[b"2"], 0, 100), HB_ZMQ);
    let (st, errno, msg) = serr(req);
    assert_eq!((st, errno), (HB_ZMQ, zmq::Error::EFSM.to_raw()), "{msg}");
    // A REP receiving is fine, sending before receiving is EFSM too.
    assert_eq!(recv_ok(rep), frames(&["1"]));
    send_ok(rep, &[b"r"]);
    assert_eq!(send(rep, &[b"again"], 0, 0), HB_ZMQ);
    assert_eq!(serr(rep).1, zmq::Error::EFSM.to_raw());
    // ROUTER_MANDATORY and an unknown peer: EHOSTUNREACH.
    let router = new(HB_ROUTER);
    assert_eq!(hb_socket_setopt_int(router, HB_ROUTER_MANDATORY, 1), HB_OK);
    assert_eq!(send(router, &[b"nobody", b"", b"x"], 0, 100), HB_ZMQ);
    assert_eq!(serr(router).1, libc::EHOSTUNREACH);
    // Nothing to receive, no room to send: EAGAIN is HB_TIMEOUT.
    assert_eq!(recv(router, 0), Err(HB_TIMEOUT));
    let push = new(HB_PUSH);
    assert_eq!(send(push, &[b"x"], 0, 0), HB_TIMEOUT);
    assert_eq!(send(push, &[b"x"], HB_DONTWAIT, 1000), HB_TIMEOUT);
    let t = Instant::now();
    assert_eq!(send(push, &[b"x"], 0, 50), HB_TIMEOUT);
    assert!(t.elapsed() >= Duration::from_millis(45));
    // Negative time-outs are refused.
    assert_eq!(recv(push, -1), Err(HB_INVALID_ARGUMENT));
    assert_eq!(send(push, &[b"x"], 0, -5), HB_INVALID_ARGUMENT);
    // Wrong direction.
    let sub = new(HB_SUB);
    assert_eq!(send(sub, &[b"x"], 0, 0), HB_ZMQ);
    assert_eq!(serr(sub).1, zmq::Error::ENOTSUP.to_raw());
    for s in [rep, req, router, push, sub] {
        free(s);
    }
}

#[test]
fn bad_handles_are_errors_not_crashes() {
    let s = new(HB_PAIR);
    free(s);
    let mut v = 0i64;
    assert_eq!(hb_socket_getopt_int(s, HB_LINGER, &mut v), HB_INVALID_HANDLE);
    assert_eq!(recv(s, 0), Err(HB_INVALID_HANDLE));
    assert_eq!(send(s, &[b"x"], 0, 0), HB_INVALID_HANDLE);
    assert_eq!(hb_socket_free(s), HB_INVALID_HANDLE);
    let bogus = std::ptr::without_provenance_mut::<HbSocket>(0x1234);
    assert_eq!(hb_socket_connect(bogus, c"inproc://x".as_ptr()), HB_INVALID_HANDLE);
    assert_eq!(hb_socket_events(null(), &mut 0), HB_INVALID_HANDLE);
    // A proxy handle is not a socket handle.
    let (f, b) = (new(HB_XSUB), new(HB_XPUB));
    let mut p = null_mut();
    assert_eq!(hb_proxy_new(f, b, null(), &mut p), HB_OK);
    assert_eq!(hb_socket_events(p.cast(), &mut 0), HB_INVALID_HANDLE);
    assert_eq!(hb_proxy_free(p), HB_OK);
    free(f);
    free(b);
}

// ------------------------------------------------------------ options

#[test]
fn options_round_trip_and_are_checked() {
    let s = new(HB_DEALER);
    assert_eq!(hb_socket_setopt(s, HB_ROUTING_ID, b"me\0x".as_ptr().cast(), 4), HB_OK);
    let mut id = [0u8; 16];
    let mut n = 0;
    assert_eq!(hb_socket_getopt(s, HB_IDENTITY, id.as_mut_ptr().cast(), id.len(), &mut n), HB_OK);
    assert_eq!(&id[..n], b"me\0x");
    assert_eq!(hb_socket_getopt(s, HB_ROUTING_ID, id.as_mut_ptr().cast(), 2, &mut n), HB_BUFFER_TOO_SMALL);
    assert_eq!(n, 4);
    for (opt, v) in [
        (HB_LINGER, 0),
        (HB_LINGER, 1500),
        (HB_SNDHWM, 7),
        (HB_RCVHWM, 0),
        (HB_RCVTIMEO, 250),
        (HB_RECONNECT_IVL_MAX, 900),
        (HB_MAXMSGSIZE, 1 << 40),
        (HB_IMMEDIATE, 1),
        (HB_TCP_KEEPALIVE, 1),
        (HB_IPV6, 1),
        (HB_SNDBUF, 65536),
        (HB_CONFLATE, 0),
    ] {
        assert_eq!(hb_socket_setopt_int(s, opt, v), HB_OK, "{opt}: {:?}", serr(s));
        let mut got = -99;
        assert_eq!(hb_socket_getopt_int(s, opt, &mut got), HB_OK, "{opt}");
        assert_eq!(got, v, "option {opt}");
    }
    // Raw int: exactly 4 bytes.
    let v: i32 = 42;
    assert_eq!(hb_socket_setopt(s, HB_LINGER, (&v as *const i32).cast(), 4), HB_OK);
    let mut raw = [0u8; 8];
    assert_eq!(hb_socket_getopt(s, HB_LINGER, raw.as_mut_ptr().cast(), raw.len(), &mut n), HB_OK);
    assert_eq!((n, i32::from_ne_bytes(raw[..4].try_into().unwrap())), (4, 42));
    assert_eq!(hb_socket_setopt(s, HB_LINGER, (&v as *const i32).cast(), 8), HB_INVALID_ARGUMENT);
    assert!(serr(s).2.contains("LINGER"), "{:?}", serr(s));
    // Out of range for a C int.
    assert_eq!(hb_socket_setopt_int(s, HB_SNDHWM, 1 << 40), HB_INVALID_ARGUMENT);
    // Unknown option: HB_INVALID_ARGUMENT with EINVAL, named.
    assert_eq!(hb_socket_setopt_int(s, 3, 1), HB_INVALID_ARGUMENT);
    let (_, errno, msg) = serr(s);
    assert_eq!(errno, libc::EINVAL);
    assert!(msg.contains("unknown socket option 3"), "{msg}");
    assert_eq!(hb_socket_getopt_int(s, 9999, &mut 0), HB_INVALID_ARGUMENT);
    // Write-only, read-only, and the wrong kind.
    assert_eq!(hb_socket_getopt_int(s, HB_ROUTER_MANDATORY, &mut 0), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_setopt_int(s, HB_TYPE, 1), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_setopt_int(s, HB_SUBSCRIBE, 1), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_getopt_int(s, HB_ROUTING_ID, &mut 0), HB_INVALID_ARGUMENT);
    // An option this socket type does not have.
    assert_eq!(hb_socket_setopt(s, HB_SUBSCRIBE, b"x".as_ptr().cast(), 1), HB_INVALID_ARGUMENT);
    assert!(serr(s).2.contains("DEALER"), "{:?}", serr(s));
    assert_eq!(hb_socket_setopt(s, HB_ROUTING_ID, null(), 3), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_getopt_int(s, HB_LINGER, null_mut()), HB_INVALID_ARGUMENT);
    // Subscriptions are write-only and work (NUL bytes included).
    let (publ, sub) = tcp_pair(HB_PUB, HB_SUB);
    // A binary prefix, NUL byte included.
    let topic: &[u8] = &[b't', 0];
    assert_eq!(hb_socket_setopt(sub, HB_SUBSCRIBE, topic.as_ptr().cast(), 2), HB_OK);
    assert_eq!(hb_socket_getopt(sub, HB_SUBSCRIBE, raw.as_mut_ptr().cast(), raw.len(), &mut n), HB_INVALID_ARGUMENT);
    let t = Instant::now();
    let got = loop {
        send_ok(publ, &[b"x", b"no"]);
        send_ok(publ, &[b"t\0", b"yes"]);
        match recv(sub, 50) {
            Ok(m) => break m,
            Err(HB_TIMEOUT) => assert!(t.elapsed() < Duration::from_secs(5), "subscription never took"),
            Err(e) => panic!("{e:?}"),
        }
    };
    assert_eq!(got, vec![b"t\0".to_vec(), b"yes".to_vec()]);
    assert_eq!(hb_socket_setopt(sub, HB_UNSUBSCRIBE, topic.as_ptr().cast(), 2), HB_OK);
    for s in [s, publ, sub] {
        free(s);
    }
}

// ------------------------------------------------------------ threads and waits

#[test]
fn free_on_another_thread_wakes_a_waiting_recv() {
    let s = new(HB_PULL);
    let a = addr(s);
    let waiter = std::thread::spawn(move || {
        let t = Instant::now();
        let r = recv(sock(a), 10_000);
        (r, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    free(s);
    let (r, _) = waiter.join().unwrap();
    assert_eq!(r, Err(HB_STOPPED));
    assert!(t.elapsed() < Duration::from_millis(150), "woke after {:?}", t.elapsed());
}

#[test]
fn a_send_is_not_blocked_behind_a_waiting_recv_and_the_recv_still_wakes() {
    let router = new(HB_ROUTER);
    let ep = bind(router, "tcp://127.0.0.1:*");
    let dealer = new(HB_DEALER);
    assert_eq!(hb_socket_setopt(dealer, HB_ROUTING_ID, b"D".as_ptr().cast(), 1), HB_OK);
    connect(dealer, &ep);
    let d = addr(dealer);
    // Thread A waits for replies on the dealer.
    let receiver = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut slow = Vec::new();
        while got.len() < 100 && slow.len() < 3 {
            // Each reply comes within a millisecond or so of the send: a
            // wait that slept through one shows up as a time-out, or as a
            // message taken only when the time-out ran out.
            let t = Instant::now();
            let r = recv(sock(d), 1000);
            if t.elapsed() > Duration::from_millis(500) {
                slow.push((r.as_ref().map(|_| ()).map_err(|e| *e), t.elapsed()));
            }
            if let Ok(m) = r {
                got.push(m);
            }
        }
        (got, slow)
    });
    std::thread::sleep(Duration::from_millis(50));
    // Thread B (here) sends on the same socket: at once.
    for i in 0..100u8 {
        let t = Instant::now();
        assert_eq!(send(dealer, &[&[i]], 0, 5000), HB_OK);
        assert!(t.elapsed() < Duration::from_millis(100), "send waited {:?}", t.elapsed());
        // The router echoes; its reply must wake thread A.
        let m = recv_ok(router);
        assert_eq!(m[0], b"D");
        send_ok(router, &[b"D", &m[1]]);
    }
    let (got, slow) = receiver.join().unwrap();
    assert!(slow.is_empty(), "a waiting recv slept through a reply: {slow:?}");
    assert_eq!(got.len(), 100, "replies lost");
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m, &vec![vec![i as u8]]);
    }
    free(router);
    free(dealer);
}

#[test]
fn two_threads_receive_from_one_socket_without_losing_wakeups() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    let (pull, push) = tcp_pair(HB_PULL, HB_PUSH);
    let p = addr(pull);
    let taken = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let taken = taken.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                while t.elapsed() < Duration::from_secs(20) {
                    match recv(sock(p), 2000) {
                        Ok(m) if m[0] == b"end" => break,
                        Ok(_) => {
                            taken.fetch_add(1, SeqCst);
                        }
                        Err(HB_TIMEOUT) => {}
                        Err(e) => panic!("{e:?}"),
                    }
                }
            })
        })
        .collect();
    // Bursts, each of which must be taken at once: if both workers slept
    // through a message, it would wait for their 2 s time-out.
    let mut sent = 0;
    for burst in 0..40u32 {
        for i in 0..(1 + burst % 7) {
            send_ok(push, &[&(burst * 100 + i).to_le_bytes()]);
            sent += 1;
        }
        let t = Instant::now();
        while taken.load(SeqCst) < sent {
            assert!(t.elapsed() < Duration::from_millis(1000), "burst {burst}: {} of {sent} taken: a wake-up was lost", taken.load(SeqCst));
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    // Each worker takes one "end": the one that sleeps must wake for its own.
    let t = Instant::now();
    send_ok(push, &[b"end"]);
    send_ok(push, &[b"end"]);
    for w in workers {
        w.join().unwrap();
    }
    assert!(t.elapsed() < Duration::from_millis(1500), "a worker slept through its end message ({:?})", t.elapsed());
    assert_eq!(taken.load(SeqCst), sent);
    free(pull);
    free(push);
}

#[test]
fn hb_poll_over_several_sockets() {
    let (a, a2) = tcp_pair(HB_PULL, HB_PUSH);
    let (b, b2) = tcp_pair(HB_PULL, HB_PUSH);
    let push_alone = new(HB_PUSH);
    let mut items = [
        HbPollItem { handle: a.cast(), events: HB_POLLIN, revents: 0 },
        HbPollItem { handle: b.cast(), events: HB_POLLIN, revents: 0 },
        HbPollItem { handle: push_alone.cast(), events: HB_POLLOUT, revents: 0 },
    ];
    let mut n = 0;
    assert_eq!(hb_poll(items.as_mut_ptr(), items.len(), 50, &mut n), HB_TIMEOUT);
    let b2a = addr(b2);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        send_ok(sock(b2a), &[b"to b"]);
    });
    let t = Instant::now();
    assert_eq!(hb_poll(items.as_mut_ptr(), items.len(), 5000, &mut n), HB_OK);
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!((n, items[0].revents, items[1].revents, items[2].revents), (1, 0, HB_POLLIN, 0));
    sender.join().unwrap();
    assert_eq!(recv(b, 0).unwrap(), frames(&["to b"]));
    send_ok(a2, &[b"to a"]);
    assert_eq!(hb_poll(items.as_mut_ptr(), items.len(), 5000, &mut n), HB_OK);
    assert_eq!(items[0].revents, HB_POLLIN);
    assert_eq!(recv(a, 0).unwrap(), frames(&["to a"]));
    // A freed handle is reported, not a crash.
    free(push_alone);
    assert_eq!(hb_poll(items.as_mut_ptr(), items.len(), 0, &mut n), HB_OK);
    assert_eq!(items[2].revents, HB_POLLERR);
    for s in [a, a2, b, b2] {
        free(s);
    }
}

fn readable(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

#[test]
fn the_handle_fd_wakes_an_event_loop() {
    let pull = new(HB_PULL);
    // Socket events too (not taken here): recv(0) alone must quiet the fd.
    assert_eq!(hb_socket_monitor(pull, HB_EVENT_ALL), HB_OK);
    let ep = bind(pull, "tcp://127.0.0.1:*");
    let push = new(HB_PUSH);
    connect(push, &ep);
    let mut fd = -1;
    assert_eq!(hb_handle_fd(pull.cast(), &mut fd), HB_OK);
    // With nothing to take, one recv(0) makes it unreadable again (the
    // connection's set-up may wake it a few times at first).
    let settles = |what: &str| {
        for _ in 0..20 {
            if !readable(fd, 100) {
                return;
            }
            assert_eq!(recv(pull, 0), Err(HB_TIMEOUT), "{what}: nothing to take");
        }
        panic!("{what}: the fd stays readable with nothing to take");
    };
    settles("idle socket");
    for round in 0..3 {
        for i in 0..(10 * (round + 1)) {
            send_ok(push, &[format!("m{i}").as_bytes()]);
        }
        let mut got = 0;
        let t = Instant::now();
        while got < 10 * (round + 1) && t.elapsed() < Duration::from_secs(5) {
            assert!(readable(fd, 5000), "the fd did not wake for a message");
            // The event loop's rule: recv(0) until HB_TIMEOUT.
            loop {
                match recv(pull, 0) {
                    Ok(_) => got += 1,
                    Err(HB_TIMEOUT) => break,
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
        assert_eq!(got, 10 * (round + 1));
        settles("drained");
    }
    // The events were kept meanwhile.
    let mut ev = 0;
    assert_eq!(hb_socket_events(pull, &mut ev), HB_OK);
    assert_ne!(ev & i32::from(HB_POLLMON), 0);
    assert_eq!(next_event(pull, 0).map(|e| e.0), Ok(HB_EVENT_LISTENING));
    free(pull);
    free(push);
}

#[test]
fn inproc_to_a_library_broker_in_the_shared_context() {
    use hypobus::lab::broker::{Broker, BrokerConfig};
    let name = format!("socket-test-{}", std::process::id());
    let mut broker = Broker::start(BrokerConfig {
        xsub: "tcp://127.0.0.1:*".into(),
        xpub: "tcp://127.0.0.1:*".into(),
        hb: None,
        inproc: Some(name.clone()),
        ..Default::default()
    })
    .unwrap();
    let addr = hypobus::lab::brokers::BrokerAddr::inproc(&name).unwrap();
    let publ = new(HB_PUB);
    let sub = new(HB_SUB);
    connect(publ, &addr.xsub);
    connect(sub, &addr.xpub);
    assert_eq!(hb_socket_setopt(sub, HB_SUBSCRIBE, b"calc.".as_ptr().cast(), 5), HB_OK);
    let t = Instant::now();
    let got = loop {
        send_ok(publ, &[b"calc.request.1", b"12"]);
        if let Ok(m) = recv(sub, 50) {
            break m;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "nothing through the broker");
    };
    assert_eq!(got, frames(&["calc.request.1", "12"]));
    // And two plain sockets over inproc.
    let a = new(HB_PAIR);
    let b = new(HB_PAIR);
    let ep = format!("inproc://socket-test-pair-{}", std::process::id());
    assert_eq!(bind(a, &ep), ep);
    connect(b, &ep);
    send_ok(a, &[b"hi"]);
    assert_eq!(recv_ok(b), frames(&["hi"]));
    for s in [publ, sub, a, b] {
        free(s);
    }
    broker.stop().unwrap();
}

// ------------------------------------------------------------ monitor

fn next_event(s: S, timeout_ms: i32) -> Result<(i32, i64, String), HbStatus> {
    let mut ev = HbSocketEvent { size: std::mem::size_of::<HbSocketEvent>() as u32, ..Default::default() };
    let mut buf = [0 as c_char; 512];
    let mut n = 0;
    let st = hb_socket_next_event(s, timeout_ms, &mut ev, buf.as_mut_ptr(), buf.len(), &mut n);
    if st != HB_OK {
        return Err(st);
    }
    // SAFETY: NUL-terminated.
    Ok((ev.event, ev.value, unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()))
}

fn wait_event(s: S, want: i32) -> (i64, String) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        match next_event(s, 1000) {
            Ok((e, v, a)) if e == want => return (v, a),
            Ok(_) | Err(HB_TIMEOUT) => {}
            Err(e) => panic!("{e:?}: {:?}", serr(s)),
        }
    }
    panic!("no event {want:#x}");
}

#[test]
fn monitor_events_pull_style() {
    let server = new(HB_REP);
    let client = new(HB_REQ);
    assert_eq!(next_event(server, 0), Err(HB_INVALID_ARGUMENT), "no monitor yet");
    assert_eq!(hb_socket_monitor(server, HB_EVENT_ALL), HB_OK);
    assert_eq!(hb_socket_monitor(client, HB_EVENT_CONNECTED | HB_EVENT_DISCONNECTED | HB_EVENT_HANDSHAKE_SUCCEEDED), HB_OK);
    assert_eq!(hb_socket_monitor(client, 0x10000), HB_INVALID_ARGUMENT);
    let ep = bind(server, "tcp://127.0.0.1:*");
    let (_, a) = wait_event(server, HB_EVENT_LISTENING);
    assert_eq!(a, ep);
    // Readiness of events shows in hb_poll and hb_socket_events.
    connect(client, &ep);
    let mut item = [HbPollItem { handle: client.cast(), events: HB_POLLMON, revents: 0 }];
    assert_eq!(hb_poll(item.as_mut_ptr(), 1, 5000, null_mut()), HB_OK);
    assert_eq!(item[0].revents, HB_POLLMON);
    let mut ev = 0;
    assert_eq!(hb_socket_events(client, &mut ev), HB_OK);
    assert_ne!(ev & i32::from(HB_POLLMON), 0);
    let (fd, a) = wait_event(client, HB_EVENT_CONNECTED);
    assert!(fd >= 0);
    assert_eq!(a, ep);
    wait_event(server, HB_EVENT_ACCEPTED);
    wait_event(client, HB_EVENT_HANDSHAKE_SUCCEEDED);
    // A too-small address buffer keeps the event.
    free(client);
    let mut e = HbSocketEvent { size: std::mem::size_of::<HbSocketEvent>() as u32, ..Default::default() };
    let mut small = [0 as c_char; 4];
    let mut n = 0;
    let t = Instant::now();
    let st = loop {
        let st = hb_socket_next_event(server, 1000, &mut e, small.as_mut_ptr(), small.len(), &mut n);
        if st != HB_OK || t.elapsed() > Duration::from_secs(5) {
            break st;
        }
    };
    assert_eq!(st, HB_BUFFER_TOO_SMALL);
    assert!(n > 4);
    wait_event(server, HB_EVENT_DISCONNECTED);
    assert_eq!(hb_socket_next_event(server, 0, null_mut(), null_mut(), 0, null_mut()), HB_INVALID_ARGUMENT);
    let mut no_size = HbSocketEvent::default();
    assert_eq!(hb_socket_next_event(server, 0, &mut no_size, null_mut(), 0, null_mut()), HB_INVALID_ARGUMENT);
    // Stop: queued events remain, then "no monitor".
    assert_eq!(hb_socket_monitor(server, 0), HB_OK);
    while next_event(server, 0).is_ok() {}
    assert_eq!(next_event(server, 0), Err(HB_INVALID_ARGUMENT));
    free(server);
}

#[test]
fn a_flood_of_events_never_stalls_the_io_thread() {
    // A socket retrying a dead endpoint every millisecond produces events
    // nobody reads for a while; other sockets of the process must keep
    // working, and the queue stays bounded with drops counted.
    let noisy = new(HB_DEALER);
    assert_eq!(hb_socket_setopt_int(noisy, HB_RECONNECT_IVL, 1), HB_OK);
    assert_eq!(hb_socket_setopt_int(noisy, HB_RECONNECT_IVL_MAX, 1), HB_OK);
    assert_eq!(hb_socket_monitor(noisy, HB_EVENT_ALL), HB_OK);
    let port = hypobus::sys::ctx::free_port().unwrap();
    connect(noisy, &format!("tcp://127.0.0.1:{port}"));
    std::thread::sleep(Duration::from_millis(1500));
    let (a, b) = tcp_pair(HB_PAIR, HB_PAIR);
    send_ok(a, &[b"still alive"]);
    assert_eq!(recv_ok(b), frames(&["still alive"]));
    let mut ev = HbSocketEvent { size: std::mem::size_of::<HbSocketEvent>() as u32, ..Default::default() };
    let mut count = 0;
    while hb_socket_next_event(noisy, 0, &mut ev, null_mut(), 0, null_mut()) == HB_OK {
        count += 1;
    }
    assert!(count > 0 && count <= 1024 + 64, "{count} events");
    free(noisy);
    free(a);
    free(b);
}

/// A monitor event as libzmq's v1 format puts it on the reader: (event, value, endpoint).
fn v1_event(m: &[Vec<u8>]) -> (i32, u32, String) {
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0].len(), 6);
    let ev = i32::from(u16::from_le_bytes([m[0][0], m[0][1]]));
    let v = u32::from_le_bytes([m[0][2], m[0][3], m[0][4], m[0][5]]);
    (ev, v, String::from_utf8(m[1].clone()).unwrap())
}

fn monitor_endpoint(s: S, ep: Option<&str>, events: i32) -> HbStatus {
    let c = ep.map(|e| CString::new(e).unwrap());
    hb_socket_monitor_endpoint(s, c.as_ref().map_or(null(), |c| c.as_ptr()), events)
}

#[test]
fn monitor_on_an_endpoint_feeds_an_unbounded_reader() {
    // The reader connects first, with RCVHWM 0: its pipe is unbounded from
    // the first event on, so libzmq's sends never wait on it.
    let ep = "inproc://hb-test-monitor-endpoint";
    let reader = new(HB_PAIR);
    assert_eq!(hb_socket_setopt_int(reader, HB_RCVHWM, 0), HB_OK);
    connect(reader, ep);
    let server = new(HB_REP);
    assert_eq!(monitor_endpoint(server, Some(ep), 0x10000), HB_INVALID_ARGUMENT);
    assert_eq!(monitor_endpoint(server, Some("tcp://127.0.0.1:5999"), HB_EVENT_ALL), HB_ZMQ);
    assert_eq!(serr(server).1, libc::EPROTONOSUPPORT, "{:?}", serr(server));
    assert_eq!(monitor_endpoint(server, Some(ep), HB_EVENT_ALL), HB_OK);
    let bound = bind(server, "tcp://127.0.0.1:*");
    let (e, _, a) = v1_event(&recv_ok(reader));
    assert_eq!((e, a.as_str()), (HB_EVENT_LISTENING, bound.as_str()));
    // A flood nobody reads for a while: a client reconnecting every ms to a
    // dead port; the other sockets keep working and no event is lost.
    let noisy = new(HB_DEALER);
    assert_eq!(hb_socket_setopt_int(noisy, HB_RECONNECT_IVL, 1), HB_OK);
    assert_eq!(hb_socket_setopt_int(noisy, HB_RECONNECT_IVL_MAX, 1), HB_OK);
    let noisy_ep = "inproc://hb-test-monitor-endpoint-noisy";
    let noisy_reader = new(HB_PAIR);
    assert_eq!(hb_socket_setopt_int(noisy_reader, HB_RCVHWM, 0), HB_OK);
    connect(noisy_reader, noisy_ep);
    assert_eq!(monitor_endpoint(noisy, Some(noisy_ep), HB_EVENT_CONNECT_RETRIED | HB_EVENT_MONITOR_STOPPED), HB_OK);
    let port = hypobus::sys::ctx::free_port().unwrap();
    connect(noisy, &format!("tcp://127.0.0.1:{port}"));
    std::thread::sleep(Duration::from_millis(1500));
    let client = new(HB_REQ);
    connect(client, &bound);
    send_ok(client, &[b"ping"]);
    assert_eq!(recv_ok(server), frames(&["ping"]));
    let mut retried = 0;
    loop {
        let (e, _, _) = v1_event(&recv_ok(noisy_reader));
        if e == HB_EVENT_MONITOR_STOPPED {
            break;
        }
        assert_eq!(e, HB_EVENT_CONNECT_RETRIED);
        retried += 1;
        if retried == 100 {
            // Stopping sends MONITOR_STOPPED (in the mask) after what is queued.
            assert_eq!(monitor_endpoint(noisy, None, 0), HB_OK);
        }
    }
    assert!(retried >= 100, "{retried} retries");
    // The server's reader saw the client come in.
    let t = Instant::now();
    loop {
        let (e, _, _) = v1_event(&recv_ok(reader));
        if e == HB_EVENT_ACCEPTED {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5));
    }
    // hb_socket_monitor replaces an endpoint monitor: MONITOR_STOPPED on the old reader.
    assert_eq!(hb_socket_monitor(server, HB_EVENT_ALL), HB_OK);
    let t = Instant::now();
    while v1_event(&recv_ok(reader)).0 != HB_EVENT_MONITOR_STOPPED {
        assert!(t.elapsed() < Duration::from_secs(5));
    }
    // ... and this one replaces it back (an inproc pipe ends with its bind
    // side, and libzmq releases the old name in the background: each start
    // takes a fresh endpoint and a reader connected anew); freeing the
    // socket stops it, in the free, while the reader is still there.
    let ep2 = "inproc://hb-test-monitor-endpoint-2";
    let reader2 = new(HB_PAIR);
    assert_eq!(hb_socket_setopt_int(reader2, HB_RCVHWM, 0), HB_OK);
    connect(reader2, ep2);
    assert_eq!(monitor_endpoint(server, Some(ep2), HB_EVENT_MONITOR_STOPPED), HB_OK, "{:?}", serr(server));
    free(server);
    assert_eq!(v1_event(&recv(reader2, 0).expect("MONITOR_STOPPED queued by the free")).0, HB_EVENT_MONITOR_STOPPED);
    for s in [client, noisy, noisy_reader, reader, reader2] {
        free(s);
    }
}
