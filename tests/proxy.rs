//! The proxy (`hb_proxy_*`) through its C ABI, called as a C program would,
//! on real sockets (loopback TCP, inproc). Every wait is bounded.

mod common;

use common::sockets::*;
use hypobus::ffi::proxy::*;
use hypobus::ffi::socket::*;
use hypobus::ffi::HbStatus::*;
use std::ffi::CString;
use std::ptr::{null, null_mut};
use std::time::{Duration, Instant};

// ------------------------------------------------------------ proxy

fn stats(p: *mut HbProxy) -> HbProxyStats {
    let mut s = HbProxyStats { size: std::mem::size_of::<HbProxyStats>() as u32, ..Default::default() };
    assert_eq!(hb_proxy_stats(p, &mut s), HB_OK);
    s
}

#[test]
fn proxy_xsub_xpub_with_subscriptions_flowing_up() {
    let xsub = new(HB_XSUB);
    let xpub = new(HB_XPUB);
    let up = bind(xsub, "tcp://127.0.0.1:*");
    let down = bind(xpub, "tcp://127.0.0.1:*");
    let mut p = null_mut();
    assert_eq!(hb_proxy_new(xsub, xpub, null(), &mut p), HB_OK);
    // The sockets belong to the proxy now.
    assert_eq!(send(xpub, &[b"x"], 0, 0), HB_BUSY);
    assert!(serr(xpub).2.contains("proxy"), "{:?}", serr(xpub));
    assert_eq!(hb_socket_setopt_int(xsub, HB_LINGER, 0), HB_BUSY);
    let mut other = null_mut();
    assert_eq!(hb_proxy_new(xsub, xpub, null(), &mut other), HB_BUSY);
    let publ = new(HB_PUB);
    let sub = new(HB_SUB);
    connect(publ, &up);
    connect(sub, &down);
    assert_eq!(hb_socket_setopt(sub, HB_SUBSCRIBE, b"uno".as_ptr().cast(), 3), HB_OK);
    let t = Instant::now();
    loop {
        send_ok(publ, &[b"dos", b"no"]);
        send_ok(publ, &[b"uno", b"1"]);
        if let Ok(m) = recv(sub, 50) {
            assert_eq!(m, frames(&["uno", "1"]));
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "nothing through the proxy");
    }
    let s = stats(p);
    assert_eq!(s.running, 1);
    assert!(s.to_frontend_msgs >= 1, "the subscription went up");
    assert!(s.to_backend_msgs >= 1 && s.to_backend_bytes >= 4);
    // Pause: nothing forwarded; resume: it flows again.
    assert_eq!(hb_proxy_pause(p), HB_OK);
    assert_eq!(stats(p).paused, 1);
    while recv(sub, 100).is_ok() {}
    let before = stats(p).to_backend_msgs;
    send_ok(publ, &[b"uno", b"paused"]);
    assert_eq!(recv(sub, 300), Err(HB_TIMEOUT));
    assert_eq!(stats(p).to_backend_msgs, before);
    assert_eq!(hb_proxy_resume(p), HB_OK);
    assert_eq!(recv_ok(sub), frames(&["uno", "paused"]));
    assert_eq!(hb_proxy_wait(p, 0), HB_TIMEOUT);
    assert_eq!(hb_proxy_wait(p, -1), HB_INVALID_ARGUMENT);
    // Stop from another thread while this one waits, as pyzmq's zmq.proxy() would.
    let pa = p as usize;
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(hb_proxy_stop(pa as *const HbProxy), HB_OK);
    });
    let t = Instant::now();
    let mut st = HB_TIMEOUT;
    while st == HB_TIMEOUT && t.elapsed() < Duration::from_secs(5) {
        st = hb_proxy_wait(p, 1000);
    }
    assert_eq!(st, HB_OK);
    stopper.join().unwrap();
    assert_eq!(stats(p).running, 0);
    assert_eq!(hb_proxy_pause(p), HB_STOPPED);
    // The sockets are back, bound as before.
    let mut v = 0;
    assert_eq!(hb_socket_getopt_int(xpub, HB_TYPE, &mut v), HB_OK);
    assert_eq!(v, i64::from(HB_XPUB));
    assert_eq!(hb_proxy_stop(p), HB_OK, "stopping twice is harmless");
    assert_eq!(hb_proxy_free(p), HB_OK);
    for s in [xsub, xpub, publ, sub] {
        free(s);
    }
}

#[test]
fn proxy_router_dealer_broker_with_req_clients_and_rep_workers() {
    let front = new(HB_ROUTER);
    let back = new(HB_DEALER);
    let fe = bind(front, "tcp://127.0.0.1:*");
    let be = bind(back, "tcp://127.0.0.1:*");
    let capture = new(HB_PAIR);
    let cap_reader = new(HB_PAIR);
    let cap_ep = format!("inproc://socket-test-capture-{}", std::process::id());
    bind(capture, &cap_ep);
    connect(cap_reader, &cap_ep);
    assert_eq!(hb_socket_setopt_int(cap_reader, HB_RCVHWM, 0), HB_OK);
    let mut p = null_mut();
    assert_eq!(hb_proxy_new(front, back, front, &mut p), HB_INVALID_ARGUMENT);
    assert_eq!(hb_proxy_new(front, null(), null(), &mut p), HB_INVALID_ARGUMENT);
    assert_eq!(hb_proxy_new(front, back, capture, null_mut()), HB_INVALID_ARGUMENT);
    assert_eq!(hb_proxy_new(front, back, capture, &mut p), HB_OK);
    // Clients first: their requests wait in the proxy until a worker is there.
    let clients: Vec<usize> = (0..3)
        .map(|_| {
            let c = new(HB_REQ);
            connect(c, &fe);
            addr(c)
        })
        .collect();
    for (i, &c) in clients.iter().enumerate() {
        send_ok(sock(c), &[format!("req {i}").as_bytes()]);
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let be = be.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let s = new(HB_REP);
                connect(s, &be);
                let mut served = 0;
                let t = Instant::now();
                while t.elapsed() < Duration::from_secs(10) && !done.load(std::sync::atomic::Ordering::SeqCst) {
                    match recv(s, 50) {
                        Ok(m) => {
                            let reply = format!("{} by {w}", String::from_utf8_lossy(&m[0]));
                            send_ok(s, &[reply.as_bytes()]);
                            served += 1;
                        }
                        Err(HB_TIMEOUT) => {}
                        Err(e) => panic!("{e:?}"),
                    }
                }
                free(s);
                served
            })
        })
        .collect();
    for (i, &c) in clients.iter().enumerate() {
        let m = recv_ok(sock(c));
        let text = String::from_utf8(m[0].clone()).unwrap();
        assert!(text.starts_with(&format!("req {i} by ")), "{text}");
    }
    let s = stats(p);
    assert_eq!((s.to_backend_msgs, s.to_frontend_msgs), (3, 3));
    // The capture socket saw every frame: 3 requests of 3 frames, 3 replies of 3.
    let mut captured = 0;
    while let Ok(m) = recv(cap_reader, 100) {
        captured += m.len();
    }
    assert_eq!(captured, 6 * 3);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(hb_proxy_free(p), HB_OK);
    // The sockets are usable again.
    let mut v = 0;
    assert_eq!(hb_socket_getopt_int(front, HB_TYPE, &mut v), HB_OK);
    assert_eq!(recv(front, 0), Err(HB_TIMEOUT));
    let served: Vec<i32> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(served.iter().sum::<i32>(), 3, "{served:?}");
    for c in clients {
        free(sock(c));
    }
    for s in [front, back, capture, cap_reader] {
        free(s);
    }
}

#[test]
fn proxy_holds_a_copy_the_capture_has_no_room_for() {
    // A PUSH capture with no peer yet: as zmq_proxy (which waits in that
    // send), the copy is held and nothing more is read until it goes; the
    // proxy still stops at once.
    let front = new(HB_PULL);
    let back = new(HB_PUSH);
    let capture = new(HB_PUSH);
    let fe = bind(front, "tcp://127.0.0.1:*");
    let be = bind(back, "tcp://127.0.0.1:*");
    let ce = bind(capture, "tcp://127.0.0.1:*");
    let client = new(HB_PUSH);
    let sink = new(HB_PULL);
    connect(client, &fe);
    connect(sink, &be);
    let mut p = null_mut();
    assert_eq!(hb_proxy_new(front, back, capture, &mut p), HB_OK);
    send_ok(client, &[b"one"]);
    send_ok(client, &[b"two"]);
    assert_eq!(recv(sink, 5000), Ok(frames(&["one"])), "the message itself goes on");
    assert_eq!(recv(sink, 300), Err(HB_TIMEOUT), "the next waits for the capture");
    let tap = new(HB_PULL);
    connect(tap, &ce);
    assert_eq!(recv(tap, 5000), Ok(frames(&["one"])), "tap one");
    assert_eq!(recv(sink, 5000), Ok(frames(&["two"])), "sink two");
    assert_eq!(recv(tap, 5000), Ok(frames(&["two"])), "tap two");
    // The capture's peer goes: copies are held again (once libzmq notices),
    // the proxy runs on, and a stop is not stuck behind a held copy.
    free(tap);
    for m in ["three", "four", "five"] {
        send_ok(client, &[m.as_bytes()]);
    }
    assert_eq!(recv(sink, 5000), Ok(frames(&["three"])), "sink three");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(stats(p).running, 1, "the proxy runs on");
    let t = Instant::now();
    assert_eq!(hb_proxy_stop(p), HB_OK);
    assert_eq!(hb_proxy_wait(p, 5000), HB_OK);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(hb_proxy_free(p), HB_OK);
    for s in [front, back, capture, client, sink] {
        free(s);
    }
}

#[test]
fn a_socket_freed_while_a_proxy_runs_it_is_closed_when_the_proxy_stops() {
    let a = new(HB_PULL);
    let b = new(HB_PUSH);
    let ep = bind(a, "tcp://127.0.0.1:*");
    let mut p = null_mut();
    assert_eq!(hb_proxy_new(a, b, null(), &mut p), HB_OK);
    free(a);
    assert_eq!(hb_proxy_stop(p), HB_OK);
    // The port is free again once the socket is closed.
    let c = new(HB_PULL);
    let cep = CString::new(ep).unwrap();
    let t = Instant::now();
    while hb_socket_bind(c, cep.as_ptr(), null_mut(), 0, null_mut()) != HB_OK {
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", serr(c));
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(hb_proxy_free(p), HB_OK);
    free(b);
    free(c);
}
