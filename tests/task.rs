//! Task brokers in one process over real TCP sockets on loopback: lru
//! dispatch with many clients and workers, course frames (REQ clients and
//! workers), answer time-outs (a slow worker's late answer dropped),
//! heartbeats (a silent worker purged, its request dispatched again), load
//! and typed dispatch, fetch by id, a client giving up, peering. Every wait
//! is bounded.

use hypobus::task::broker::{PeeringConfig, Policy, TaskBroker, TaskBrokerConfig};
use hypobus::task::client::{Outcome, TaskClient, TaskClientConfig};
use hypobus::task::worker::{Job, TaskWorker, WorkerConfig};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn broker(f: impl FnOnce(&mut TaskBrokerConfig)) -> TaskBroker {
    let mut cfg = TaskBrokerConfig { hb_interval: Duration::from_millis(100), ..Default::default() };
    f(&mut cfg);
    TaskBroker::start(cfg).expect("broker")
}

fn wcfg(b: &TaskBroker, services: &[&str], capacity: u32, name: &str) -> WorkerConfig {
    WorkerConfig {
        broker: b.endpoints().backend.clone(),
        services: services.iter().map(|s| s.to_string()).collect(),
        capacity,
        hb_interval: Duration::from_millis(100),
        liveness: 3,
        name: name.into(),
        ..WorkerConfig::new("")
    }
}

/// A worker that answers `<name>:<body>` and counts its jobs.
fn tagged_worker(b: &TaskBroker, services: &[&str], capacity: u32, name: &'static str, delay: Duration) -> (TaskWorker, Arc<AtomicU64>) {
    let n = Arc::new(AtomicU64::new(0));
    let c = n.clone();
    let w = TaskWorker::serve(wcfg(b, services, capacity, name), move |j: &Job| {
        c.fetch_add(1, Ordering::SeqCst);
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut out = format!("{name}:").into_bytes();
        out.extend_from_slice(&j.body);
        Ok(out)
    })
    .expect("worker");
    (w, n)
}

fn client(b: &TaskBroker, timeout_ms: u64, tries: u32) -> TaskClient {
    let mut cfg = TaskClientConfig::new(&b.endpoints().frontend);
    cfg.timeout = Duration::from_millis(timeout_ms);
    cfg.tries = tries;
    TaskClient::new(cfg).expect("client")
}

fn wait_for(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn strip(reply: &[u8]) -> (&str, &[u8]) {
    let i = reply.iter().position(|b| *b == b':').expect("tagged reply");
    (std::str::from_utf8(&reply[..i]).unwrap(), &reply[i + 1..])
}

#[test]
fn lru_four_clients_500_requests_four_workers() {
    let b = broker(|_| {});
    let workers: Vec<_> = ["w0", "w1", "w2", "w3"].iter().map(|n| tagged_worker(&b, &[], 2, n, Duration::ZERO)).collect();
    wait_for("4 workers", Duration::from_secs(5), || b.stats().workers == 4);
    let threads: Vec<_> = (0..4)
        .map(|ci| {
            let c = client(&b, 2000, 3);
            std::thread::spawn(move || {
                let mut sent = HashMap::new();
                // 32 in flight at a time.
                let mut next = 0;
                let mut got = HashSet::new();
                while got.len() < 500 {
                    while next < 500 && sent.len() - got.len() < 32 {
                        let body = format!("c{ci}-{next}");
                        let id = c.submit("", body.as_bytes()).unwrap();
                        sent.insert(id, body);
                        next += 1;
                    }
                    let done = c.next(Duration::from_secs(10)).expect("an answer within 10 s");
                    let Outcome::Ok(reply) = done.outcome else { panic!("{:?}", done.outcome) };
                    let (_, body) = strip(&reply);
                    assert_eq!(body, sent[&done.id].as_bytes(), "an answer to its own request");
                    assert!(got.insert(done.id), "answered twice");
                }
                assert!(c.next(Duration::from_millis(100)).is_none(), "nothing more");
                c.stats()
            })
        })
        .collect();
    for t in threads {
        let s = t.join().unwrap();
        assert_eq!((s.completed, s.duplicates, s.failed), (500, 0, 0), "{s:?}");
    }
    let per: Vec<u64> = workers.iter().map(|(_, n)| n.load(Ordering::SeqCst)).collect();
    assert_eq!(per.iter().sum::<u64>(), 2000, "{per:?}");
    assert!(per.iter().all(|n| *n > 100), "every worker took a share: {per:?}");
    let s = b.stats();
    assert_eq!((s.requests, s.dispatched, s.timeouts, s.late, s.pending), (2000, 2000, 0, 0, 0), "{s:?}");
}

/// The course's router/router frames with plain zmq REQ sockets.
#[test]
fn course_frames_req_client_and_worker() {
    let b = broker(|_| {});
    let ctx = zmq::Context::new();
    let be = b.endpoints().backend.clone();
    let worker = std::thread::spawn(move || {
        let ctx = zmq::Context::new();
        let s = ctx.socket(zmq::REQ).unwrap();
        s.set_linger(0).unwrap();
        s.set_identity(b"Worker1").unwrap();
        s.connect(&be).unwrap();
        s.send_multipart([&b""[..], b"", b""], 0).unwrap(); // ['', '', ''] registers
        for _ in 0..3 {
            assert!(s.poll(zmq::POLLIN, 5000).unwrap() > 0, "a request");
            let m = s.recv_multipart(0).unwrap();
            assert_eq!(m.len(), 3, "[client, '', request]");
            assert!(m[1].is_empty());
            let mut r = b"resp ".to_vec();
            r.extend_from_slice(&m[2]);
            s.send_multipart([&m[0][..], b"", &r], 0).unwrap();
        }
    });
    wait_for("the course worker", Duration::from_secs(5), || b.stats().workers == 1);
    for i in 0..3 {
        let c = ctx.socket(zmq::REQ).unwrap();
        c.set_linger(0).unwrap();
        c.connect(&b.endpoints().frontend).unwrap();
        c.send(format!("Hola {i}").as_bytes(), 0).unwrap();
        assert!(c.poll(zmq::POLLIN, 5000).unwrap() > 0, "a reply");
        assert_eq!(c.recv_multipart(0).unwrap(), vec![format!("resp Hola {i}").into_bytes()]);
    }
    worker.join().unwrap();
}

#[test]
fn a_slow_workers_late_answer_is_dropped() {
    let b = broker(|c| c.answer_timeout = Duration::from_millis(400));
    let (_slow, slow_n) = tagged_worker(&b, &[], 1, "slow", Duration::from_millis(1500));
    wait_for("the slow worker", Duration::from_secs(5), || b.stats().workers == 1);
    let c = client(&b, 3000, 3);
    let id = c.submit("", b"x").unwrap();
    wait_for("the slow worker to take it", Duration::from_secs(5), || slow_n.load(Ordering::SeqCst) == 1);
    let (_fast, fast_n) = tagged_worker(&b, &[], 1, "fast", Duration::ZERO);
    let done = c.next(Duration::from_secs(5)).expect("answer");
    assert_eq!((done.id.as_str(), done.outcome), (id.as_str(), Outcome::Ok(b"fast:x".to_vec())));
    assert_eq!(fast_n.load(Ordering::SeqCst), 1);
    // The slow worker answers later: dropped by the broker, never delivered.
    wait_for("the late answer", Duration::from_secs(5), || b.stats().late == 1);
    assert!(c.next(Duration::from_millis(300)).is_none(), "delivered once");
    let s = b.stats();
    assert_eq!((s.timeouts, s.late, s.replies), (1, 1, 1), "{s:?}");
    assert_eq!(c.stats().duplicates, 0);
}

/// A worker that registers and goes silent mid-request (as if killed) is
/// purged after 3 missed heartbeats and its request goes to another.
#[test]
fn a_silent_worker_is_purged_and_its_request_redispatched() {
    let b = broker(|c| c.answer_timeout = Duration::from_secs(30));
    let ctx = zmq::Context::new();
    let dead = ctx.socket(zmq::DEALER).unwrap();
    dead.set_linger(0).unwrap();
    dead.set_identity(b"dead").unwrap();
    dead.connect(&b.endpoints().backend).unwrap();
    dead.send_multipart([&b""[..], b"HBTW01", b"READY", b"", b"1", b"0"], 0).unwrap();
    wait_for("the doomed worker", Duration::from_secs(5), || b.stats().workers == 1);
    let c = client(&b, 5000, 3);
    let t0 = Instant::now();
    c.submit("", b"y").unwrap();
    assert!(dead.poll(zmq::POLLIN, 5000).unwrap() > 0);
    let m = dead.recv_multipart(0).unwrap();
    assert_eq!(&m[2][..], b"REQUEST", "{m:?}");
    let (_w, _) = tagged_worker(&b, &[], 1, "alive", Duration::ZERO);
    let done = c.next(Duration::from_secs(5)).expect("answer");
    assert_eq!(done.outcome, Outcome::Ok(b"alive:y".to_vec()));
    assert!(t0.elapsed() < Duration::from_secs(3), "purged after ~300 ms of silence, not the 30 s answer time-out: {:?}", t0.elapsed());
    let s = b.stats();
    assert_eq!((s.purged, s.workers), (1, 1), "{s:?}");
}

#[test]
fn load_policy_prefers_the_least_loaded_worker() {
    let run = |policy: Policy| -> (u64, u64) {
        let b = broker(|c| c.policy = policy);
        let (busy, busy_n) = tagged_worker(&b, &[], 2, "busy", Duration::from_millis(1));
        busy.set_load(Some(90));
        let (_idle, idle_n) = tagged_worker(&b, &[], 2, "idle", Duration::from_millis(1));
        wait_for("2 workers", Duration::from_secs(5), || b.stats().workers == 2);
        let c = client(&b, 3000, 3);
        // Two in flight at a time: the idle worker always has a free slot.
        let mut left = 300;
        let mut inflight = 0;
        while left > 0 || inflight > 0 {
            while left > 0 && inflight < 2 {
                c.submit("", b"z").unwrap();
                left -= 1;
                inflight += 1;
            }
            assert!(matches!(c.next(Duration::from_secs(5)).expect("answer").outcome, Outcome::Ok(_)));
            inflight -= 1;
        }
        (busy_n.load(Ordering::SeqCst), idle_n.load(Ordering::SeqCst))
    };
    let (busy, idle) = run(Policy::Load);
    assert!(busy * 5 < idle, "load: the worker reporting load 90 got {busy}, the idle one {idle}");
    let (busy_lru, idle_lru) = run(Policy::Lru);
    assert!(busy_lru * 3 > idle_lru, "lru ignores load: {busy_lru} vs {idle_lru}");
}

#[test]
fn typed_routing_and_a_service_nobody_serves() {
    let b = broker(|c| c.service_wait = Duration::from_millis(300));
    let (_a, a_n) = tagged_worker(&b, &["A"], 1, "a", Duration::ZERO);
    let (_b1, b1_n) = tagged_worker(&b, &["B"], 1, "b1", Duration::ZERO);
    let (_b2, b2_n) = tagged_worker(&b, &["B", "C2"], 1, "b2", Duration::ZERO);
    wait_for("3 workers", Duration::from_secs(5), || b.stats().workers == 3);
    let c = client(&b, 3000, 3);
    let mut ids = HashMap::new();
    for i in 0..60 {
        let svc = if i % 3 == 0 { "A" } else { "B" };
        ids.insert(c.submit(svc, format!("{i}").as_bytes()).unwrap(), svc);
    }
    for _ in 0..60 {
        let d = c.next(Duration::from_secs(5)).expect("answer");
        let Outcome::Ok(r) = d.outcome else { panic!("{:?}", d.outcome) };
        let (who, _) = strip(&r);
        match ids[&d.id] {
            "A" => assert_eq!(who, "a"),
            _ => assert!(who == "b1" || who == "b2", "a B request reached {who}"),
        }
    }
    assert_eq!(a_n.load(Ordering::SeqCst), 20);
    assert_eq!(b1_n.load(Ordering::SeqCst) + b2_n.load(Ordering::SeqCst), 40);
    let t0 = Instant::now();
    c.submit("Nobody", b"?").unwrap();
    let d = c.next(Duration::from_secs(5)).expect("an error");
    let waited = t0.elapsed();
    assert_eq!(d.outcome, Outcome::Failed("no worker serves service \"Nobody\" (waited 300 ms)".into()));
    assert!(waited >= Duration::from_millis(290) && waited < Duration::from_secs(2), "{waited:?}");
    // A request that waits for a service whose worker comes within the wait is served.
    c.submit("Late", b"!").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (_l, _) = tagged_worker(&b, &["Late"], 1, "late", Duration::ZERO);
    assert_eq!(c.next(Duration::from_secs(5)).unwrap().outcome, Outcome::Ok(b"late:!".to_vec()));
}

#[test]
fn fetch_by_id_and_resends_after_completion() {
    let b = broker(|_| {});
    let (_w, n) = tagged_worker(&b, &[], 1, "w", Duration::ZERO);
    let c1 = client(&b, 2000, 3);
    let id = c1.submit("", b"keep me").unwrap();
    assert_eq!(c1.next(Duration::from_secs(5)).unwrap().outcome, Outcome::Ok(b"w:keep me".to_vec()));
    drop(c1);
    // Another client (a reconnect) fetches it by id, and resubmits it: no new work.
    let c2 = client(&b, 2000, 3);
    c2.fetch(&id).unwrap();
    assert_eq!(
        c2.next(Duration::from_secs(5)).unwrap(),
        hypobus::task::client::Completion { id: id.clone(), outcome: Outcome::Ok(b"w:keep me".to_vec()) }
    );
    c2.submit_with_id(&id, "", b"keep me").unwrap();
    assert_eq!(c2.next(Duration::from_secs(5)).unwrap().outcome, Outcome::Ok(b"w:keep me".to_vec()));
    assert_eq!(n.load(Ordering::SeqCst), 1, "done once");
    c2.fetch("never-sent-1").unwrap();
    assert_eq!(c2.next(Duration::from_secs(5)).unwrap().outcome, Outcome::Unknown);
    assert!(c2.submit_with_id("bad id", "", b"").is_err());
    assert!(c2.submit("bad,service", b"").is_err());
}

#[test]
fn a_client_gives_up_after_its_tries() {
    let port = hypobus::sys::ctx::free_port().unwrap();
    let mut cfg = TaskClientConfig::new(&format!("tcp://127.0.0.1:{port}"));
    cfg.timeout = Duration::from_millis(150);
    cfg.tries = 3;
    let c = TaskClient::new(cfg).unwrap();
    let t0 = Instant::now();
    let r = c.request("", b"hello?", Duration::from_secs(5));
    let took = t0.elapsed();
    let e = r.unwrap_err().to_string();
    assert!(e.contains("after 3 tries of 150 ms"), "{e}");
    assert!(took >= Duration::from_millis(440) && took < Duration::from_secs(2), "{took:?}");
    let s = c.stats();
    assert_eq!((s.resent, s.gave_up), (2, 1), "{s:?}");
    assert!(s.reconnects >= 1, "lazy pirate: a fresh socket ({s:?})");
}

#[test]
fn peering_passes_requests_to_a_peer_with_capacity() {
    let sa = format!("tcp://127.0.0.1:{}", hypobus::sys::ctx::free_port().unwrap());
    let sb = format!("tcp://127.0.0.1:{}", hypobus::sys::ctx::free_port().unwrap());
    let fa = format!("tcp://127.0.0.1:{}", hypobus::sys::ctx::free_port().unwrap());
    let fb = format!("tcp://127.0.0.1:{}", hypobus::sys::ctx::free_port().unwrap());
    let peering = |me: &str, peer_state: &str, peer_fe: &str| PeeringConfig {
        state: me.into(),
        peers: vec![(peer_state.into(), peer_fe.into())],
        interval: Duration::from_millis(100),
    };
    let a = broker(|c| {
        c.frontend = fa.clone();
        c.name = "A".into();
        c.answer_timeout = Duration::from_secs(30);
        c.peering = Some(peering(&sa, &sb, &fb));
    });
    let mut pb = broker(|c| {
        c.frontend = fb.clone();
        c.name = "B".into();
        c.peering = Some(peering(&sb, &sa, &fa));
    });
    let (wb, _) = tagged_worker(&pb, &[], 2, "atB", Duration::from_millis(1));
    let c = client(&a, 2000, 5);
    // Cluster A has no worker: B's serve its clients.
    for i in 0..20 {
        let r = c.request("", format!("{i}").as_bytes(), Duration::from_secs(5)).expect("served by the peer");
        assert_eq!(r, format!("atB:{i}").into_bytes());
    }
    assert!(a.stats().forwarded >= 20, "{:?}", a.stats());
    assert_eq!(pb.stats().from_peers, a.stats().forwarded);
    // B's worker goes away while requests are passed to B, then B dies:
    // A takes them back and serves them once it has workers of its own.
    drop(wb);
    wait_for("B without workers", Duration::from_secs(5), || pb.stats().workers == 0);
    let (_slow, slow_n) = tagged_worker(&pb, &[], 1, "stuckB", Duration::from_secs(60));
    wait_for("a stuck worker at B", Duration::from_secs(5), || pb.stats().workers == 1);
    std::thread::sleep(Duration::from_millis(300)); // B publishes its new capacity
    let ids: Vec<String> = (0..3).map(|i| c.submit("", format!("late{i}").as_bytes()).unwrap()).collect();
    wait_for("a request at B's worker", Duration::from_secs(5), || slow_n.load(Ordering::SeqCst) == 1);
    pb.stop().unwrap();
    let (_wa, _) = tagged_worker(&a, &[], 2, "atA", Duration::ZERO);
    let mut got = HashSet::new();
    for _ in 0..3 {
        let d = c.next(Duration::from_secs(10)).expect("served at A after B died");
        let Outcome::Ok(r) = d.outcome else { panic!("{:?}", d.outcome) };
        assert!(r.starts_with(b"atA:late"), "{}", String::from_utf8_lossy(&r));
        got.insert(d.id);
    }
    assert_eq!(got, ids.into_iter().collect::<HashSet<_>>());
    assert_eq!(c.stats().duplicates, 0);
    std::mem::forget(_slow); // its handler sleeps 60 s: do not join it
}

/// Defect: `stop` returned before libzmq had closed the listening ports, so a
/// broker started again at once on the same ports (a restart in the same
/// process, a test, the Python and Node bindings' close + new) failed with
/// "Address already in use" about one time in two.
#[test]
fn a_stopped_broker_frees_its_ports_at_once() {
    let mut b = broker(|_| {});
    let (fe, be) = (b.endpoints().frontend.clone(), b.endpoints().backend.clone());
    for i in 0..30 {
        b.stop().unwrap();
        b = TaskBroker::start(TaskBrokerConfig {
            frontend: fe.clone(),
            backend: be.clone(),
            hb_interval: Duration::from_millis(100),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("restart {i} on {fe} / {be}: {e}"));
    }
    drop(b);
}

/// Defect: an answer given just before the worker stopped (a pull-style
/// reply then free, a handler finishing while its worker closed) could be
/// dropped with the socket: the request then waited for the answer timeout
/// and another worker. Each round: take, answer, stop at once; the client
/// has the answer well before the broker's answer timeout (5 s here).
#[test]
fn an_answer_given_just_before_stop_is_sent() {
    let b = broker(|c| c.answer_timeout = Duration::from_secs(5));
    let c = client(&b, 10_000, 1);
    for i in 0..20 {
        let mut w = TaskWorker::start(wcfg(&b, &[], 1, &format!("w{i}"))).expect("worker");
        let id = c.submit("", format!("{i}").as_bytes()).unwrap();
        let job = w.recv(Duration::from_secs(5)).unwrap().expect("a job");
        w.reply(job.key, Ok(format!("r{i}").into_bytes())).unwrap();
        let t = Instant::now();
        w.stop().unwrap();
        let done = c.next_of(&id, Duration::from_secs(3)).unwrap_or_else(|| panic!("round {i}: the answer given before stop was lost"));
        assert_eq!(done.outcome, Outcome::Ok(format!("r{i}").into_bytes()), "round {i}");
        assert!(t.elapsed() < Duration::from_secs(3));
    }
}

/// The same for a handler still running when its worker stops: it finishes,
/// and its answer leaves before the worker's goodbye.
#[test]
fn a_handler_running_at_stop_still_answers() {
    let b = broker(|c| c.answer_timeout = Duration::from_secs(5));
    let c = client(&b, 10_000, 1);
    for i in 0..5 {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let started_tx = std::sync::Mutex::new(started_tx);
        let mut w = TaskWorker::serve(wcfg(&b, &[], 2, &format!("h{i}")), move |j: &Job| {
            let _ = started_tx.lock().unwrap().send(());
            std::thread::sleep(Duration::from_millis(100));
            Ok(j.body.clone())
        })
        .expect("worker");
        let id = c.submit("", b"slow").unwrap();
        started_rx.recv_timeout(Duration::from_secs(5)).expect("the handler started");
        w.stop().unwrap();
        let done = c.next_of(&id, Duration::from_secs(3)).unwrap_or_else(|| panic!("round {i}: the running handler's answer was lost"));
        assert_eq!(done.outcome, Outcome::Ok(b"slow".to_vec()), "round {i}");
    }
}
