//! Task brokers and workers as real `hypobus` processes, killed by PID:
//! a worker SIGKILLed mid-request (another answers within the answer
//! time-out, nothing lost), a slow worker whose late answer is dropped, a
//! broker SIGKILLed with accepted and unanswered requests and restarted on
//! the same SQLite file (everything answered, workers re-registered by
//! heartbeat, nothing answered twice), and peering between two broker
//! processes with the peer killed. Every wait is bounded; every process is
//! killed when the test ends.

use hypobus::task::client::Outcome;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
mod common;
use common::free_port;
use common::task::{client, counter, task_broker, wait_stats, worker, Ports, Proc};

#[test]
fn a_worker_killed_mid_request_another_answers_in_time() {
    let p = Ports { fe: free_port(), be: free_port() };
    let b = task_broker("tb1", &p, &["--answer-timeout-ms", "3000"]);
    let mut doomed = worker("doomed", &p, &["--delay-ms", "20000"]);
    wait_stats(&b, Duration::from_secs(5), "1 worker", |l| counter(l, "workers") == 1);
    let c = client(&p, 5000, 3);
    let id = c.submit("", b"job").unwrap();
    wait_stats(&b, Duration::from_secs(5), "dispatched", |l| counter(l, "dispatched") == 1);
    let _fast = worker("fast", &p, &[]);
    wait_stats(&b, Duration::from_secs(5), "2 workers", |l| counter(l, "workers") == 2);
    let t0 = Instant::now();
    doomed.sigkill();
    let d = c.next(Duration::from_secs(10)).expect("an answer");
    let took = t0.elapsed();
    assert_eq!((d.id.as_str(), d.outcome), (id.as_str(), Outcome::Ok(b"fast:job".to_vec())));
    // Purged by missed heartbeats (3 x 100 ms), well within the 3 s answer time-out.
    assert!(took < Duration::from_millis(3000), "answered after {took:?}");
    assert!(c.next(Duration::from_millis(300)).is_none(), "once");
    let l = wait_stats(&b, Duration::from_secs(5), "the purge counted", |l| counter(l, "purged") == 1);
    assert_eq!((counter(&l, "replies"), counter(&l, "pending")), (1, 0), "{l}");
}

#[test]
fn a_slow_worker_process_gets_no_answer_delivered_twice() {
    let p = Ports { fe: free_port(), be: free_port() };
    let mut b = task_broker("tb2", &p, &["--answer-timeout-ms", "500"]);
    let mut slow = worker("slow", &p, &["--delay-ms", "1500"]);
    wait_stats(&b, Duration::from_secs(5), "1 worker", |l| counter(l, "workers") == 1);
    let c = client(&p, 4000, 3);
    c.submit("", b"s").unwrap();
    wait_stats(&b, Duration::from_secs(5), "dispatched", |l| counter(l, "dispatched") == 1);
    let mut fast = worker("fast", &p, &[]);
    let d = c.next(Duration::from_secs(5)).expect("an answer");
    assert_eq!(d.outcome, Outcome::Ok(b"fast:s".to_vec()));
    wait_stats(&b, Duration::from_secs(5), "the late answer", |l| counter(l, "late") == 1);
    assert!(c.next(Duration::from_millis(300)).is_none(), "the slow worker's answer was not delivered");
    assert_eq!(c.stats().duplicates, 0);
    let s = slow.stop();
    assert_eq!(counter(&s, "replies"), 1, "the slow worker did answer: {s}");
    fast.stop();
    let f = b.stop();
    assert_eq!((counter(&f, "timeouts"), counter(&f, "late"), counter(&f, "replies")), (1, 1, 1), "{f}");
}

#[test]
fn a_broker_killed_and_restarted_on_its_sqlite_file_answers_everything_once() {
    let dir = std::env::temp_dir().join(format!("hb-task-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("tasks.db");
    let db_s = db.to_str().unwrap().to_string();
    let p = Ports { fe: free_port(), be: free_port() };
    let args = ["--db", db_s.as_str(), "--answer-timeout-ms", "3000"];
    let mut b = task_broker("tb3", &p, &args);
    let mut workers: Vec<Proc> = (0..2).map(|i| worker(&format!("w{i}"), &p, &["--delay-ms", "40", "--threads", "2"])).collect();
    wait_stats(&b, Duration::from_secs(5), "2 workers", |l| counter(l, "workers") == 2);
    let c = client(&p, 1000, 30);
    const N: usize = 200;
    let mut bodies = HashMap::new();
    for i in 0..N {
        let body = format!("r{i}");
        bodies.insert(c.submit("", body.as_bytes()).unwrap(), body);
    }
    let before = wait_stats(&b, Duration::from_secs(10), "every request accepted, some answered", |l| {
        counter(l, "requests") == N as u64 && counter(l, "replies") >= 10
    });
    b.sigkill();
    let answered_before = counter(&before, "replies");
    assert!(answered_before < N as u64 - 50, "the kill must leave requests unanswered: {before}");
    let mut got: HashMap<String, Vec<u8>> = HashMap::new();
    while let Some(d) = c.next(Duration::from_millis(200)) {
        let Outcome::Ok(r) = d.outcome else { panic!("{:?}", d.outcome) };
        assert!(got.insert(d.id, r).is_none());
    }
    // Restart on the same file and ports: it takes up the unfinished requests.
    let mut b2 = task_broker("tb3b", &p, &args);
    let ready = b2.wait_line(Duration::from_secs(2), false, |l| l.starts_with("task-broker ready:"));
    let recovered: u64 = ready.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(recovered > 0 && recovered <= N as u64 - got.len() as u64, "recovered {recovered}, {} answered before: {ready}", got.len());
    wait_stats(&b2, Duration::from_secs(5), "the workers registered again by heartbeat", |l| counter(l, "registered") == 2);
    let until = Instant::now() + Duration::from_secs(30);
    while got.len() < N {
        assert!(Instant::now() < until, "only {} of {N} answered", got.len());
        if let Some(d) = c.next(Duration::from_millis(500)) {
            let Outcome::Ok(r) = d.outcome else { panic!("{:?}", d.outcome) };
            assert!(got.insert(d.id.clone(), r).is_none(), "{} answered twice", d.id);
        }
    }
    for (id, r) in &got {
        let want = bodies[id].as_bytes();
        assert!(r.ends_with(want) && r.len() == want.len() + 3, "{id}: {}", String::from_utf8_lossy(r));
    }
    assert!(c.next(Duration::from_millis(300)).is_none(), "nothing more");
    // Every result is in the journal: a new client fetches one by id.
    let c2 = client(&p, 1000, 3);
    let (id0, r0) = got.iter().next().unwrap();
    c2.fetch(id0).unwrap();
    assert_eq!(c2.next(Duration::from_secs(5)).unwrap().outcome, Outcome::Ok(r0.clone()));
    for w in &mut workers {
        let s = w.stop();
        assert!(counter(&s, "reconnects") >= 1, "re-registered: {s}");
    }
    let f = b2.stop();
    assert_eq!(counter(&f, "pending"), 0, "{f}");
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn peering_processes_a_killed_peers_requests_are_served_locally() {
    let (pa, pb) = (Ports { fe: free_port(), be: free_port() }, Ports { fe: free_port(), be: free_port() });
    let (sa, sb) = (free_port(), free_port());
    let peer = |state: u16, fe: u16| format!("tcp://127.0.0.1:{state}|tcp://127.0.0.1:{fe}");
    let (sa_ep, sb_ep) = (format!("tcp://127.0.0.1:{sa}"), format!("tcp://127.0.0.1:{sb}"));
    let (peer_b, peer_a) = (peer(sb, pb.fe), peer(sa, pa.fe));
    let common = ["--peer-interval-ms", "100", "--answer-timeout-ms", "20000"];
    let a = task_broker("A", &pa, &[&["--state", &sa_ep, "--peer", &peer_b][..], &common[..]].concat());
    let mut b = task_broker("B", &pb, &[&["--state", &sb_ep, "--peer", &peer_a][..], &common[..]].concat());
    let _wb = worker("atB", &pb, &["--delay-ms", "300", "--threads", "2"]);
    wait_stats(&b, Duration::from_secs(5), "B's worker", |l| counter(l, "workers") == 1);
    let c = client(&pa, 3000, 10);
    // A has no worker: its client is served by B.
    let r = c.request("", b"one", Duration::from_secs(10)).unwrap();
    assert_eq!(r, b"atB:one");
    // Two requests go to B's busy worker, B is killed with them running.
    let ids: HashSet<String> = (0..2).map(|i| c.submit("", format!("p{i}").as_bytes()).unwrap()).collect();
    wait_stats(&b, Duration::from_secs(5), "B running them", |l| counter(l, "dispatched") == 3);
    b.sigkill();
    let _wa = worker("atA", &pa, &[]);
    let mut got = HashSet::new();
    while got.len() < 2 {
        let d = c.next(Duration::from_secs(10)).expect("served at A after B died");
        let Outcome::Ok(r) = d.outcome else { panic!("{:?}", d.outcome) };
        assert!(r.starts_with(b"atA:p"), "{}", String::from_utf8_lossy(&r));
        assert!(got.insert(d.id));
    }
    assert_eq!(got, ids);
    let l = wait_stats(&a, Duration::from_secs(5), "nothing pending", |l| counter(l, "pending") == 0);
    assert!(counter(&l, "forwarded") >= 3 && counter(&l, "dispatched") == 2, "{l}");
}
