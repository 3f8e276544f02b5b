//! `cargo bench --bench lab`: end-to-end hypotenuse throughput and latency,
//! and the raw forwarding rate of our broker beside a bare `zmq_proxy`, all
//! measured in one run on this machine, over TCP also with CURVE (every
//! role with keys, docs/SECURITY.md). Prints a Markdown table.
//!
//! Sizes can be changed with env vars: HB_BENCH_SEQ (sequential requests),
//! HB_BENCH_INFLIGHT (requests in the windowed run), HB_BENCH_WINDOW,
//! HB_BENCH_MSGS (messages through each proxy).

use hypobus::lab::broker::{Broker, BrokerConfig};
use hypobus::lab::client::Mode;
use hypobus::lab::{Lab, LabConfig};
use hypobus::security::curve::set_process_default;
use hypobus::security::{curve_keypair, Curve, KeyPair};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Push `n` two-frame messages PUB → (xsub, xpub) → SUB and time delivery.
/// Returns messages per second received.
/// With `keys`, both sockets are CURVE clients of a broker whose key pair it is.
fn forward_rate(xsub: &str, xpub: &str, n: usize, keys: Option<&KeyPair>) -> f64 {
    let ctx = zmq::Context::new();
    let publ = ctx.socket(zmq::PUB).unwrap();
    let sub = ctx.socket(zmq::SUB).unwrap();
    for s in [&publ, &sub] {
        s.set_sndhwm(0).unwrap();
        s.set_rcvhwm(0).unwrap();
        s.set_linger(0).unwrap();
        if let Some(k) = keys {
            Curve { keys: Some(k.clone()), server_key: Some(k.public.clone()), allow: None }.connect_with(s, k, None).unwrap();
        }
    }
    sub.set_subscribe(b"calc.square.result.1").unwrap();
    publ.connect(xsub).unwrap();
    sub.connect(xpub).unwrap();
    // Wait until the path works (slow joiner), bounded.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        publ.send_multipart([&b"calc.square.result.1#probe"[..], b"0"], 0).unwrap();
        if sub.poll(zmq::POLLIN, 20).unwrap() > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "proxy path never came up");
    }
    while sub.poll(zmq::POLLIN, 50).unwrap() > 0 {
        sub.recv_multipart(0).unwrap();
    }
    let t = Instant::now();
    let sender = {
        let publ = publ;
        std::thread::spawn(move || {
            for _ in 0..n {
                publ.send(&b"calc.square.result.1"[..], zmq::SNDMORE).unwrap();
                publ.send(&b"144"[..], 0).unwrap();
            }
            publ
        })
    };
    let mut got = 0;
    while got < n && sub.poll(zmq::POLLIN, 2000).unwrap() > 0 {
        sub.recv_multipart(0).unwrap();
        got += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    drop(sender.join());
    got as f64 / secs
}

fn bare_proxy_rate(n: usize) -> f64 {
    let ctx = zmq::Context::new();
    let xsub = ctx.socket(zmq::XSUB).unwrap();
    let xpub = ctx.socket(zmq::XPUB).unwrap();
    for s in [&xsub, &xpub] {
        s.set_sndhwm(0).unwrap();
        s.set_rcvhwm(0).unwrap();
        s.set_linger(0).unwrap();
    }
    xsub.bind("tcp://127.0.0.1:*").unwrap();
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let (a, b) = (xsub.get_last_endpoint().unwrap().unwrap(), xpub.get_last_endpoint().unwrap().unwrap());
    // zmq_proxy never returns on its own; the thread is left to the process exit.
    std::thread::spawn(move || {
        let _ = zmq::proxy(&xsub, &xpub);
    });
    forward_rate(&a, &b, n, None)
}

/// Our broker's forwarding rate; with `keys`, a CURVE server with that key pair.
fn our_broker_rate(n: usize, keys: Option<&KeyPair>) -> f64 {
    let curve = Curve { keys: keys.cloned(), server_key: None, allow: None };
    let b = Broker::start(BrokerConfig {
        xsub: "tcp://127.0.0.1:*".into(),
        xpub: "tcp://127.0.0.1:*".into(),
        hb: None,
        curve,
        ..Default::default()
    })
    .unwrap();
    forward_rate(&b.endpoints.0, &b.endpoints.1, n, keys)
}

struct Run {
    seq_rate: f64,
    lat: Vec<Duration>,
    flight_rate: f64,
    flat: Vec<Duration>,
    errors: usize,
    resent: u64,
}

/// The whole lab in this process; nodes and the client reach the broker over
/// `inproc://` or over loopback TCP; with `curve`, every role has it (the
/// broker serves with its keys, the others connect with them).
fn run_lab(inproc: bool, curve: Option<&Curve>, seq_n: usize, flight_n: usize, window: usize) -> Run {
    set_process_default(curve.cloned().unwrap_or(Curve::OFF));
    let lab = Lab::start(&LabConfig { inproc, ..Default::default() }).unwrap();
    let mut c = lab.client(Mode::Tagged).unwrap();
    set_process_default(Curve::OFF);
    for _ in 0..200 {
        c.hypot("12", "13").unwrap(); // warm-up
    }

    // One request at a time.
    let mut lat = Vec::with_capacity(seq_n);
    let t = Instant::now();
    for i in 0..seq_n {
        let a = (i % 1000 + 1).to_string();
        let s = Instant::now();
        c.hypot(&a, "13").unwrap();
        lat.push(s.elapsed());
    }
    let seq_rate = seq_n as f64 / t.elapsed().as_secs_f64();
    lat.sort();

    // Many in flight from one client.
    let mut sent_at = HashMap::with_capacity(window);
    let mut flat = Vec::with_capacity(flight_n);
    let (mut sent, mut done, mut errors) = (0, 0, 0);
    let t = Instant::now();
    while done < flight_n {
        while sent < flight_n && sent_at.len() < window {
            let a = (sent % 1000 + 1).to_string();
            let id = c.submit(&a, "13").unwrap();
            sent_at.insert(id, Instant::now());
            sent += 1;
        }
        if let Some((id, r)) = c.next(5000).unwrap() {
            if r.is_err() {
                errors += 1;
            }
            if let Some(s) = sent_at.remove(&id) {
                flat.push(s.elapsed());
            }
            done += 1;
        } else {
            panic!("stalled with {} in flight", sent_at.len());
        }
    }
    let flight_rate = flight_n as f64 / t.elapsed().as_secs_f64();
    flat.sort();
    Run { seq_rate, lat, flight_rate, flat, errors, resent: c.stats().resent }
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    let seq_n = env("HB_BENCH_SEQ", 3000);
    let flight_n = env("HB_BENCH_INFLIGHT", 40000);
    let window = env("HB_BENCH_WINDOW", 512);
    let msgs = env("HB_BENCH_MSGS", 300_000);

    let keys = curve_keypair().expect("CURVE");
    let curve = Curve { keys: Some(keys.clone()), server_key: Some(keys.public.clone()), allow: None };
    let runs = [
        ("inproc", run_lab(true, None, seq_n, flight_n, window)),
        ("TCP", run_lab(false, None, seq_n, flight_n, window)),
        ("TCP with CURVE", run_lab(false, Some(&curve), seq_n, flight_n, window)),
    ];

    let bare = bare_proxy_rate(msgs);
    let ours = our_broker_rate(msgs, None);
    let ours_curve = our_broker_rate(msgs, Some(&keys));

    println!("| measurement | value | p50 | p99 | note |");
    println!("|---|---|---|---|---|");
    for (how, r) in &runs {
        println!(
            "| hypotenuse, nodes over {how}, 1 in flight | {:.0} req/s | {} | {} | {seq_n} requests |",
            r.seq_rate,
            us(pct(&r.lat, 0.5)),
            us(pct(&r.lat, 0.99))
        );
        println!(
            "| hypotenuse, nodes over {how}, {window} in flight | {:.0} req/s | {} | {} | {flight_n} requests, {} errors, {} resends |",
            r.flight_rate,
            us(pct(&r.flat, 0.5)),
            us(pct(&r.flat, 0.99)),
            r.errors,
            r.resent
        );
    }
    println!("| bare libzmq `zmq_proxy` XSUB/XPUB | {bare:.0} msg/s | | | {msgs} two-frame messages over TCP |");
    println!("| hypobus broker XSUB/XPUB | {ours:.0} msg/s | | | ratio to bare proxy: {:.2} |", ours / bare);
    println!(
        "| hypobus broker XSUB/XPUB, CURVE | {ours_curve:.0} msg/s | | | ratio to the broker without CURVE: {:.2} |",
        ours_curve / ours
    );
    println!();
    let (tcp, with) = (&runs[1].1, &runs[2].1);
    println!(
        "CURVE over TCP, ratio to plain TCP: {:.2} at 1 in flight, {:.2} at {window} in flight, {:.2} for the broker's forwarding.",
        with.seq_rate / tcp.seq_rate,
        with.flight_rate / tcp.flight_rate,
        ours_curve / ours
    );
    for (how, r) in &runs {
        println!(
            "Over {how}: each request is 7 messages through the broker (2 catheti, 2 square requests, 2 squares, 1 answer): \
             {:.0} req/s ≈ {:.0} msg/s = {:.2} of the bare proxy's rate.",
            r.flight_rate,
            r.flight_rate * 7.0,
            r.flight_rate * 7.0 / bare
        );
    }
}
