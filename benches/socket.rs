//! `cargo bench --bench socket`: what the generic socket C ABI costs over
//! using libzmq directly. The same loops run through the `extern "C"`
//! functions (`hb_socket_send` / `hb_socket_recv`, as a binding calls them)
//! and on the `zmq` crate, side by side in one run: many short rounds, the
//! two variants back to back in each (order alternating); the table shows
//! medians, bests, and the median of the per-round ratios.
//!
//! * REQ/REP round trip, 1-byte messages, TCP loopback (µs per round trip);
//! * PUSH/PULL flood of 10-byte messages, TCP loopback (messages per second).
//!
//! Both variants use the process's shared context (one I/O thread), and
//! both wait in their receive (the ABI with a time-out, the crate blocking).
//! Both do what a binding must per message: the crate loop receives into a
//! reused `zmq::Message`, copies the bytes to the caller's buffer and reads
//! the more-flag, as `hb_socket_recv` does inside.
//! Sizes: HB_BENCH_RTT (round trips per run), HB_BENCH_FLOOD (messages per
//! run), HB_BENCH_ROUNDS.

use hypobus::ffi::socket::*;
use hypobus::ffi::HbStatus::HB_OK;
use std::ffi::{c_char, CString};
use std::ptr::null_mut;
use std::time::Instant;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

// ------------------------------------------------------------ C ABI

struct Abi(*mut HbSocket);
// SAFETY: handles are usable from any thread (that is the point of the ABI).
unsafe impl Send for Abi {}

fn abi_new(t: i32) -> Abi {
    let mut s = null_mut();
    assert_eq!(hb_socket_new(t, &mut s), HB_OK);
    assert_eq!(hb_socket_setopt_int(s, HB_LINGER, 0), HB_OK);
    Abi(s)
}

fn abi_pair(a: i32, b: i32) -> (Abi, Abi) {
    let (x, y) = (abi_new(a), abi_new(b));
    let any = CString::new("tcp://127.0.0.1:*").unwrap();
    let mut ep = [0 as c_char; 128];
    assert_eq!(hb_socket_bind(x.0, any.as_ptr(), ep.as_mut_ptr(), ep.len(), null_mut()), HB_OK);
    assert_eq!(hb_socket_connect(y.0, ep.as_ptr()), HB_OK);
    (x, y)
}

fn abi_send(s: &Abi, data: &[u8]) {
    let size = [data.len()];
    assert_eq!(hb_socket_send(s.0, data.as_ptr().cast(), size.as_ptr(), 1, 0, 5000), HB_OK);
}

fn abi_recv(s: &Abi, buf: &mut [u8]) -> usize {
    let mut sizes = [0usize; 4];
    let (mut n, mut total) = (0, 0);
    assert_eq!(hb_socket_recv(s.0, 5000, buf.as_mut_ptr().cast(), buf.len(), sizes.as_mut_ptr(), 4, &mut n, &mut total), HB_OK);
    total
}

fn abi_rtt(n: usize) -> f64 {
    let (rep, req) = abi_pair(HB_REP, HB_REQ);
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 16];
        for _ in 0..n + 1 {
            let k = abi_recv(&rep, &mut buf);
            abi_send(&rep, &buf[..k]);
        }
        rep
    });
    let mut buf = [0u8; 16];
    abi_send(&req, b"w");
    abi_recv(&req, &mut buf);
    let t = Instant::now();
    for _ in 0..n {
        abi_send(&req, b"x");
        abi_recv(&req, &mut buf);
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let rep = server.join().unwrap();
    hb_socket_free(rep.0);
    hb_socket_free(req.0);
    us
}

fn abi_flood(n: usize) -> f64 {
    let (pull, push) = abi_pair(HB_PULL, HB_PUSH);
    let mut buf = [0u8; 64];
    abi_send(&push, b"warm-up...");
    abi_recv(&pull, &mut buf);
    let sender = std::thread::spawn(move || {
        for _ in 0..n {
            abi_send(&push, b"0123456789");
        }
        push
    });
    let t = Instant::now();
    for _ in 0..n {
        abi_recv(&pull, &mut buf);
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let push = sender.join().unwrap();
    hb_socket_free(pull.0);
    hb_socket_free(push.0);
    rate
}

// ------------------------------------------------------------ zmq crate

/// What a binding on the `zmq` crate does per received frame, as
/// `hb_socket_recv` does: receive into a reused message, copy the bytes out
/// to the caller's buffer, note whether more frames follow.
#[inline(always)]
fn zmq_recv(s: &zmq::Socket, m: &mut zmq::Message, buf: &mut [u8]) -> usize {
    s.recv(m, 0).unwrap();
    let n = m.len();
    buf[..n].copy_from_slice(m);
    std::hint::black_box(m.get_more());
    n
}

fn zmq_pair(a: zmq::SocketType, b: zmq::SocketType) -> (zmq::Socket, zmq::Socket) {
    let ctx = hypobus::sys::ctx::context();
    let (x, y) = (ctx.socket(a).unwrap(), ctx.socket(b).unwrap());
    x.set_linger(0).unwrap();
    y.set_linger(0).unwrap();
    x.bind("tcp://127.0.0.1:*").unwrap();
    y.connect(&x.get_last_endpoint().unwrap().unwrap()).unwrap();
    (x, y)
}

fn zmq_rtt(n: usize) -> f64 {
    let (rep, req) = zmq_pair(zmq::REP, zmq::REQ);
    let server = std::thread::spawn(move || {
        let mut m = zmq::Message::new();
        let mut buf = [0u8; 16];
        for _ in 0..n + 1 {
            let k = zmq_recv(&rep, &mut m, &mut buf);
            rep.send(&buf[..k], 0).unwrap();
        }
        rep
    });
    let mut m = zmq::Message::new();
    let mut buf = [0u8; 16];
    req.send(&b"w"[..], 0).unwrap();
    zmq_recv(&req, &mut m, &mut buf);
    let t = Instant::now();
    for _ in 0..n {
        req.send(&b"x"[..], 0).unwrap();
        zmq_recv(&req, &mut m, &mut buf);
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    drop(server.join().unwrap());
    us
}

fn zmq_flood(n: usize) -> f64 {
    let (pull, push) = zmq_pair(zmq::PULL, zmq::PUSH);
    let mut m = zmq::Message::new();
    let mut buf = [0u8; 64];
    push.send(&b"warm-up..."[..], 0).unwrap();
    zmq_recv(&pull, &mut m, &mut buf);
    let sender = std::thread::spawn(move || {
        for _ in 0..n {
            push.send(&b"0123456789"[..], 0).unwrap();
        }
        push
    });
    let t = Instant::now();
    for _ in 0..n {
        zmq_recv(&pull, &mut m, &mut buf);
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    drop(sender.join().unwrap());
    rate
}

fn main() {
    let rtt_n = env("HB_BENCH_RTT", 5_000);
    let flood_n = env("HB_BENCH_FLOOD", 300_000);
    let rounds = env("HB_BENCH_ROUNDS", 15);
    // For profiling one loop alone (valgrind --tool=callgrind): abi-flood, zmq-flood, abi-rtt, zmq-rtt.
    if let Ok(one) = std::env::var("HB_BENCH_ONLY") {
        let r = match one.as_str() {
            "abi-flood" => abi_flood(flood_n),
            "zmq-flood" => zmq_flood(flood_n),
            "abi-rtt" => abi_rtt(rtt_n),
            "zmq-rtt" => zmq_rtt(rtt_n),
            _ => panic!("HB_BENCH_ONLY: abi-flood, zmq-flood, abi-rtt or zmq-rtt"),
        };
        println!("{one}: {r:.1}");
        return;
    }
    // Short runs, the two variants back to back in each round (the order
    // alternating), so that a burst of load from elsewhere on the machine
    // hits both alike; the per-round ratio cancels most of it.
    let (mut zr, mut ar, mut zf, mut af) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        if round % 2 == 0 {
            zr.push(zmq_rtt(rtt_n));
            ar.push(abi_rtt(rtt_n));
            zf.push(zmq_flood(flood_n));
            af.push(abi_flood(flood_n));
        } else {
            ar.push(abi_rtt(rtt_n));
            zr.push(zmq_rtt(rtt_n));
            af.push(abi_flood(flood_n));
            zf.push(zmq_flood(flood_n));
        }
        eprintln!(
            "round {}: rtt zmq {:.1} µs, abi {:.1} µs; flood zmq {:.0}/s, abi {:.0}/s",
            round + 1,
            zr[round],
            ar[round],
            zf[round],
            af[round]
        );
    }
    let rtt_ratio = median(zr.iter().zip(&ar).map(|(z, a)| a / z).collect());
    let flood_ratio = median(zf.iter().zip(&af).map(|(z, a)| z / a).collect());
    let best =
        |v: &[f64], low: bool| v.iter().copied().fold(if low { f64::MAX } else { 0.0 }, |m, x| if low { m.min(x) } else { m.max(x) });
    let (zr_best, ar_best, zf_best, af_best) = (best(&zr, true), best(&ar, true), best(&zf, false), best(&af, false));
    let (zr, ar, zf, af) = (median(zr), median(ar), median(zf), median(af));
    println!("| loop (TCP loopback, shared context) | `zmq` crate: median (best) | C ABI `hb_socket_*`: median (best) | ABI cost: median of per-round ratios |");
    println!("|---|---|---|---|");
    println!(
        "| REQ/REP round trip, 1 byte ({rtt_n} per run) | {zr:.1} µs ({zr_best:.1}) | {ar:.1} µs ({ar_best:.1}) | {:+.1} % |",
        (rtt_ratio - 1.0) * 100.0
    );
    println!(
        "| PUSH/PULL flood, 10 bytes ({flood_n} per run) | {:.0} k msg/s ({:.0}) | {:.0} k msg/s ({:.0}) | {:+.1} % |",
        zf / 1e3,
        zf_best / 1e3,
        af / 1e3,
        af_best / 1e3,
        (flood_ratio - 1.0) * 100.0
    );
    println!();
    println!("{rounds} rounds; in each the two variants run back to back, the order alternating. ABI cost = extra time per message.");
}
