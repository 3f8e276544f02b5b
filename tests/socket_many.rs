//! Several messages per call (`hb_socket_recv_many`, `hb_socket_send_many`,
//! the `_args` forms) through the C ABI, on real sockets. Every wait is
//! bounded.

mod common;

use common::sockets::*;
use hypobus::ffi::socket::*;
use hypobus::ffi::{HbStatus, HbStatus::*};
use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

// ------------------------------------------------------------ hb_socket_recv_many

/// `hb_socket_recv_many` offering the whole of each array.
fn many(s: S, timeout_ms: i32, buf: &mut [u8], sizes: &mut [usize], counts: &mut [usize], nm: &mut usize, total: &mut usize) -> HbStatus {
    hb_socket_recv_many(
        s,
        timeout_ms,
        buf.as_mut_ptr().cast(),
        buf.len(),
        sizes.as_mut_ptr(),
        sizes.len(),
        counts.as_mut_ptr(),
        counts.len(),
        nm,
        total,
    )
}

#[test]
fn recv_many_takes_every_queued_message_that_fits_and_keeps_the_rest() {
    // inproc: a send puts the message in the receiver's pipe at once, so
    // what is queued when recv_many runs is known.
    let a = new(HB_PULL);
    let b = new(HB_PUSH);
    bind(a, "inproc://recv-many");
    connect(b, "inproc://recv-many");
    let mut buf = [0u8; 32];
    let mut sizes = [0usize; 8];
    let mut counts = [0usize; 8];
    let (mut nm, mut total) = (0, 0);
    // Bad arguments are refused before anything is taken.
    assert_eq!(
        hb_socket_recv_many(a, 0, buf.as_mut_ptr().cast(), buf.len(), sizes.as_mut_ptr(), 8, null_mut(), 8, &mut nm, &mut total),
        HB_INVALID_ARGUMENT
    );
    assert_eq!(
        hb_socket_recv_many(a, 0, buf.as_mut_ptr().cast(), buf.len(), sizes.as_mut_ptr(), 8, counts.as_mut_ptr(), 0, &mut nm, &mut total),
        HB_INVALID_ARGUMENT
    );
    assert_eq!(many(a, -1, &mut buf, &mut sizes, &mut counts, &mut nm, &mut total), HB_INVALID_ARGUMENT);
    // Nothing queued: the timeout rule.
    assert_eq!(many(a, 0, &mut buf, &mut sizes, &mut counts, &mut nm, &mut total), HB_TIMEOUT);
    send_ok(b, &[b"one"]);
    send_ok(b, &[b"two", b"2"]);
    send_ok(b, &[b"three"]);
    send_ok(b, &[b"0123456789012345678901234567890"]); // 31 bytes: does not fit after the others
    send_ok(b, &[b"last"]);
    let st = many(a, 1000, &mut buf, &mut sizes, &mut counts, &mut nm, &mut total);
    assert_eq!(st, HB_OK, "{:?}", serr(a));
    assert_eq!(nm, 3, "the 31-byte message does not fit after 12 bytes: it stays");
    assert_eq!(&counts[..3], &[1, 2, 1]);
    assert_eq!(&sizes[..4], &[3, 3, 1, 5]);
    assert_eq!(total, 12);
    assert_eq!(&buf[..12], b"onetwo2three");
    // The one that did not fit comes first next time, alone.
    assert_eq!(many(a, 1000, &mut buf, &mut sizes, &mut counts, &mut nm, &mut total), HB_OK);
    assert_eq!((nm, total, counts[0]), (1, 31, 1));
    // A first message that does not fit is kept, with its shape reported.
    send_ok(b, &[b"0123456789012345678901234567890123456789"]);
    assert_eq!(many(a, 1000, &mut buf, &mut sizes, &mut counts, &mut nm, &mut total), HB_OK);
    assert_eq!((nm, total), (1, 4));
    assert_eq!(&buf[..4], b"last");
    let st = many(a, 1000, &mut buf, &mut sizes, &mut counts, &mut nm, &mut total);
    assert_eq!(st, HB_BUFFER_TOO_SMALL);
    assert_eq!((nm, counts[0], total), (0, 1, 40));
    assert_eq!(recv_ok(a), vec![b"0123456789012345678901234567890123456789".to_vec()]);
    free(a);
    free(b);
}

#[test]
fn recv_many_takes_one_request_at_a_time_on_rep() {
    let (rep, req) = tcp_pair(HB_REP, HB_REQ);
    let req2 = new(HB_REQ);
    connect(req2, &{
        let mut buf = [0 as c_char; 256];
        let mut n = 0;
        assert_eq!(hb_socket_getopt(rep, HB_LAST_ENDPOINT, buf.as_mut_ptr().cast(), buf.len(), &mut n), HB_OK);
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string()
    });
    send_ok(req, &[b"a"]);
    send_ok(req2, &[b"b"]);
    let mut buf = [0u8; 64];
    let mut sizes = [0usize; 8];
    let mut counts = [0usize; 8];
    let (mut nm, mut total) = (0, 0);
    for _ in 0..2 {
        assert_eq!(many(rep, 5000, &mut buf, &mut sizes, &mut counts, &mut nm, &mut total), HB_OK);
        assert_eq!((nm, total), (1, 1));
        send_ok(rep, &[b"ok"]);
    }
    assert_eq!(recv_ok(req), frames(&["ok"]));
    assert_eq!(recv_ok(req2), frames(&["ok"]));
    free(rep);
    free(req);
    free(req2);
}

#[test]
fn send_many_sends_whole_messages_in_order_and_counts_what_went() {
    let a = new(HB_PULL);
    let b = new(HB_PUSH);
    bind(a, "inproc://send-many");
    connect(b, "inproc://send-many");
    let data = b"onetwo2three";
    let sizes = [3usize, 3, 1, 5];
    let counts = [1usize, 2, 1];
    let mut sent = 99;
    // Bad arguments.
    assert_eq!(hb_socket_send_many(b, data.as_ptr().cast(), sizes.as_ptr(), counts.as_ptr(), 0, 0, 100, &mut sent), HB_INVALID_ARGUMENT);
    assert_eq!(sent, 0);
    assert_eq!(
        hb_socket_send_many(b, data.as_ptr().cast(), sizes.as_ptr(), counts.as_ptr(), 3, HB_SNDMORE, 100, &mut sent),
        HB_INVALID_ARGUMENT
    );
    assert_eq!(
        hb_socket_send_many(b, data.as_ptr().cast(), sizes.as_ptr(), [1usize, 0].as_ptr(), 2, 0, 100, &mut sent),
        HB_INVALID_ARGUMENT
    );
    assert_eq!(hb_socket_send_many(b, data.as_ptr().cast(), sizes.as_ptr(), counts.as_ptr(), 3, 0, -1, &mut sent), HB_INVALID_ARGUMENT);
    assert_eq!(hb_socket_send_many(b, data.as_ptr().cast(), sizes.as_ptr(), counts.as_ptr(), 3, 0, 1000, &mut sent), HB_OK);
    assert_eq!(sent, 3);
    assert_eq!(recv_ok(a), frames(&["one"]));
    assert_eq!(recv_ok(a), frames(&["two", "2"]));
    assert_eq!(recv_ok(a), frames(&["three"]));
    // No room (SNDHWM 1 on both sides, nobody reading): some go, the call says how many.
    free(a);
    free(b);
    let a = new(HB_PULL);
    let b = new(HB_PUSH);
    assert_eq!(hb_socket_setopt_int(a, HB_RCVHWM, 1), HB_OK);
    assert_eq!(hb_socket_setopt_int(b, HB_SNDHWM, 1), HB_OK);
    bind(a, "inproc://send-many-full");
    connect(b, "inproc://send-many-full");
    let one = [1usize; 16];
    let sz = [1usize; 16];
    let t = Instant::now();
    let st = hb_socket_send_many(b, [b'x'; 16].as_ptr().cast(), sz.as_ptr(), one.as_ptr(), 16, 0, 200, &mut sent);
    assert_eq!(st, HB_TIMEOUT);
    assert!((1..16).contains(&sent), "sent {sent}");
    assert!(t.elapsed() >= Duration::from_millis(150) && t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let st = hb_socket_send_many(b, [b'x'; 16].as_ptr().cast(), sz.as_ptr(), one.as_ptr(), 16, HB_DONTWAIT, 1000, &mut sent);
    assert_eq!((st, sent), (HB_TIMEOUT, 0));
    // A REQ socket sending twice: the second fails with EFSM, the first went.
    free(a);
    free(b);
    let (rep, req) = tcp_pair(HB_REP, HB_REQ);
    let st = hb_socket_send_many(req, b"ab".as_ptr().cast(), [1usize, 1].as_ptr(), [1usize, 1].as_ptr(), 2, 0, 1000, &mut sent);
    assert_eq!((st, sent), (HB_ZMQ, 1));
    assert_eq!(serr(req).1, 156384763, "EFSM: {:?}", serr(req));
    assert_eq!(recv_ok(rep), frames(&["a"]));
    free(rep);
    free(req);
}

#[test]
fn send_args_and_recv_args_behave_as_send_and_recv_many() {
    let a = new(HB_PULL);
    let b = new(HB_PUSH);
    bind(a, "inproc://args");
    connect(b, "inproc://args");
    let data = b"helloworld";
    let sizes = [5usize, 5];
    let mut sa = HbSendArgs {
        size: 0,
        flags: 0,
        timeout_ms: 1000,
        reserved: 0,
        socket: b,
        data: data.as_ptr().cast(),
        sizes: sizes.as_ptr(),
        nframes: 2,
    };
    assert_eq!(hb_socket_send_args(&sa), HB_INVALID_ARGUMENT, "size unset");
    assert!(err(null()).2.contains("size"), "{:?}", err(null()));
    assert_eq!(hb_socket_send_args(null()), HB_INVALID_ARGUMENT);
    sa.size = std::mem::size_of::<HbSendArgs>() as u32;
    assert_eq!(hb_socket_send_args(&sa), HB_OK);
    sa.nframes = 1;
    assert_eq!(hb_socket_send_args(&sa), HB_OK);
    let mut buf = [0u8; 8];
    let mut fs = [0usize; 4];
    let mut counts = [0usize; 4];
    let mut ra = HbRecvArgs {
        size: std::mem::size_of::<HbRecvArgs>() as u32,
        timeout_ms: 1000,
        socket: a,
        buf: buf.as_mut_ptr().cast(),
        len: buf.len(),
        sizes: fs.as_mut_ptr(),
        max_frames: fs.len(),
        counts: counts.as_mut_ptr(),
        max_msgs: counts.len(),
        nmsgs: 9,
        nframes: 9,
        total: 9,
    };
    // 10 bytes do not fit in 8: kept, the shape reported.
    assert_eq!(hb_socket_recv_args(&mut ra), HB_BUFFER_TOO_SMALL);
    assert_eq!((ra.nmsgs, ra.nframes, ra.total), (0, 2, 10));
    let mut big = [0u8; 64];
    ra.buf = big.as_mut_ptr().cast();
    ra.len = big.len();
    assert_eq!(hb_socket_recv_args(&mut ra), HB_OK);
    assert_eq!((ra.nmsgs, ra.nframes, ra.total), (2, 3, 15));
    assert_eq!(&big[..15], b"helloworldhello");
    assert_eq!(&counts[..2], &[2, 1]);
    ra.timeout_ms = 0;
    assert_eq!(hb_socket_recv_args(&mut ra), HB_TIMEOUT);
    ra.timeout_ms = -1;
    assert_eq!(hb_socket_recv_args(&mut ra), HB_INVALID_ARGUMENT);
    ra.size = 8;
    assert_eq!(hb_socket_recv_args(&mut ra), HB_INVALID_ARGUMENT);
    free(a);
    free(b);
}
