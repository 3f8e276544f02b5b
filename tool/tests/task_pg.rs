//! A task broker process on a real PostgreSQL (`scripts/pg.sh` starts one
//! and sets `HYPOBUS_PG_URL`; each test uses a database of its own, created
//! by the broker with its schema): 4 clients x 500 requests over 4 worker
//! processes with the broker SIGKILLed mid-run and restarted (every request
//! answered once, psql lists them in the `results` view), and the server
//! stopped under load and started again (new requests of our clients get
//! an error while it is down, a course client's is taken and waits,
//! accepted ones are answered when it is back, none lost).
//! Without `HYPOBUS_PG_URL` the tests say so and pass, unless
//! `HYPOBUS_REQUIRE_PG=1`. Every wait is bounded; processes are killed by PID.

use hypobus::task::client::{Outcome, TaskClient};
use hypobus::task::store::pg::test_url;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
mod common;
use common::task::{client, counter, task_broker, wait_stats, worker, Ports, Proc};

/// Held by each test: the outage test stops the server that they all use.
static SERVER: Mutex<()> = Mutex::new(());

fn server() -> std::sync::MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `psql URL -Atc QUERY`: its output, trimmed.
fn psql(url: &str, query: &str) -> String {
    let psql = std::env::var("HYPOBUS_PSQL").unwrap_or_else(|_| "psql".into());
    let out = std::process::Command::new(psql).args([url, "-X", "-A", "-t", "-F", "|", "-c", query]).output().expect("run psql");
    assert!(out.status.success(), "psql {query:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `pg_ctl` of the test cluster (`$HYPOBUS_PG_CTL`, from scripts/pg.sh).
fn pg_ctl(args: &[&str]) {
    let ctl = std::env::var("HYPOBUS_PG_CTL").expect("HYPOBUS_PG_CTL (run scripts/pg.sh)");
    let st = std::process::Command::new(&ctl).args(args).stdout(std::process::Stdio::null()).status().expect("run pg_ctl");
    assert!(st.success(), "pg_ctl {args:?}");
}

/// The outcome each id got, as clients in threads collect them.
type Seen = Arc<Mutex<HashMap<String, Outcome>>>;

/// Submit `n` requests (`tag-i`) with at most `window` in flight, and
/// collect every outcome (each id at most once) until all are in or `within` passes.
fn run_client(c: TaskClient, tag: String, n: usize, window: usize, seen: Seen, within: Duration) -> usize {
    let until = Instant::now() + within;
    let (mut sent, mut done) = (0, 0);
    while done < n && Instant::now() < until {
        while sent < n && sent - done < window {
            c.submit("", format!("{tag}-{sent}").as_bytes()).unwrap();
            sent += 1;
        }
        if let Some(d) = c.next(Duration::from_millis(200)) {
            let again = seen.lock().unwrap().insert(d.id.clone(), d.outcome);
            assert!(again.is_none(), "{} delivered twice", d.id);
            done += 1;
        }
    }
    done
}

/// `count` clients (1 s resend time-out, `tries`) on threads, each running
/// [`run_client`] for at most 90 s; join them for the outcomes each collected.
fn start_clients(p: &Ports, count: usize, n: usize, window: usize, tries: u32, seen: &Seen) -> Vec<std::thread::JoinHandle<usize>> {
    (0..count)
        .map(|i| {
            let (c, seen) = (client(p, 1000, tries), seen.clone());
            std::thread::spawn(move || run_client(c, format!("c{i}"), n, window, seen, Duration::from_secs(90)))
        })
        .collect()
}

fn ok_count(seen: &Seen) -> usize {
    seen.lock().unwrap().values().filter(|o| matches!(o, Outcome::Ok(_))).count()
}

#[test]
fn four_clients_over_four_workers_broker_killed_and_restarted_psql_lists_them() {
    let Some(url) = test_url("kill") else { return };
    let _server = server();
    let p = Ports::free();
    let args = ["--store", url.as_str(), "--answer-timeout-ms", "3000"];
    let mut b = task_broker("pg1", &p, &args);
    let mut workers: Vec<Proc> = (0..4).map(|i| worker(&format!("w{i}"), &p, &["--delay-ms", "10", "--threads", "2"])).collect();
    wait_stats(&b, Duration::from_secs(5), "4 workers", |l| counter(l, "workers") == 4);
    const CLIENTS: usize = 4;
    const N: usize = 500;
    let seen: Seen = Arc::default();
    let clients = start_clients(&p, CLIENTS, N, 100, 30, &seen);
    let before = wait_stats(&b, Duration::from_secs(20), "some answered", |l| counter(l, "replies") >= 300);
    b.sigkill();
    assert!(counter(&before, "replies") < (CLIENTS * N) as u64 - 200, "the kill must come mid-run: {before}");
    let mut b2 = task_broker("pg1b", &p, &args);
    let ready = b2.wait_line(Duration::from_secs(2), false, |l| l.starts_with("task-broker ready:"));
    let recovered: u64 = ready.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(recovered > 0, "the restarted broker took up unfinished requests: {ready}");
    eprintln!("killed after {} answers; the restarted broker took up {recovered}", counter(&before, "replies"));
    let done: usize = clients.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(done, CLIENTS * N, "every request answered");
    let seen = seen.lock().unwrap();
    for (id, o) in seen.iter() {
        let Outcome::Ok(r) = o else { panic!("{id}: {o:?}") };
        assert!(r.starts_with(b"w") && r[2] == b':', "{id}: {}", String::from_utf8_lossy(r));
    }
    // psql on the results view: every request once, done, with its worker and times.
    let counts = psql(
        &url,
        "SELECT count(*), count(DISTINCT request), count(*) FILTER (WHERE status = 'ok' AND worker LIKE '%' \
         AND finished_at >= accepted_at AND result LIKE 'w_:' || body) FROM results",
    );
    assert_eq!(counts, format!("{0}|{0}|{0}", CLIENTS * N), "results view");
    let some =
        psql(&url, "SELECT request, service, body, result, worker, accepted_at, finished_at FROM results ORDER BY accepted_at LIMIT 3");
    assert_eq!(some.lines().count(), 3, "{some}");
    eprintln!("psql results view:\n{some}");
    for w in &mut workers {
        w.stop();
    }
    let f = b2.stop();
    assert_eq!(counter(&f, "pending"), 0, "{f}");
}

#[test]
fn postgres_stopped_under_load_new_requests_fail_accepted_ones_are_answered() {
    let Some(url) = test_url("outage") else { return };
    let _server = server();
    let p = Ports::free();
    let mut b = task_broker("pg2", &p, &["--store", url.as_str()]);
    let _workers: Vec<Proc> = (0..2).map(|i| worker(&format!("w{i}"), &p, &["--delay-ms", "20", "--threads", "4"])).collect();
    wait_stats(&b, Duration::from_secs(5), "2 workers", |l| counter(l, "workers") == 2);
    const CLIENTS: usize = 4;
    const N: usize = 400;
    let seen: Seen = Arc::default();
    let clients = start_clients(&p, CLIENTS, N, 20, 20, &seen);
    let until = Instant::now() + Duration::from_secs(20);
    while ok_count(&seen) < 200 {
        assert!(Instant::now() < until, "200 answers before the outage");
        std::thread::sleep(Duration::from_millis(10));
    }
    pg_ctl(&["stop", "-m", "fast", "-w"]);
    // Down: a new request is refused at once, with the reason (the load's
    // clients, their requests accepted and their answers held, wait).
    let probe = client(&p, 1000, 3);
    let t0 = Instant::now();
    let e = probe.request("", b"probe", Duration::from_secs(10)).expect_err("refused while PostgreSQL is down").to_string();
    assert!(e.contains("cannot journal the request"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(2), "refused at once, not after {:?}", t0.elapsed());
    // A course client (REQ) needs no look-up: its request is taken, and it waits.
    let ctx = zmq::Context::new();
    let req = ctx.socket(zmq::REQ).unwrap();
    req.set_linger(0).unwrap();
    req.set_rcvtimeo(30_000).unwrap();
    req.connect(&format!("tcp://127.0.0.1:{}", p.fe)).unwrap();
    req.send("course", 0).unwrap();
    pg_ctl(&["start", "-w"]);
    let answer = req.recv_bytes(0).expect("the course client's answer once the journal commits");
    assert!(answer.ends_with(b":course"), "{}", String::from_utf8_lossy(&answer));
    let done: usize = clients.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(done, CLIENTS * N, "every request has an outcome");
    let seen = seen.lock().unwrap();
    let mut ok = Vec::new();
    for (id, o) in seen.iter() {
        match o {
            Outcome::Ok(_) => ok.push(id.clone()),
            Outcome::Failed(e) if e.contains("cannot journal the request") => {}
            other => panic!("{id}: {other:?} (accepted requests wait for the journal, new ones are refused)"),
        }
    }
    eprintln!("outage: {} answered, {} refused while PostgreSQL was down", ok.len(), seen.len() - ok.len());
    // Nothing accepted is lost: every answered request is in the journal,
    // done, and nothing else is (the refused ones were never accepted).
    let counts = psql(&url, "SELECT count(*), count(*) FILTER (WHERE status = 'ok') FROM results");
    assert_eq!(counts, format!("{0}|{0}", ok.len() + 1), "the journal holds exactly the answered requests");
    let l = wait_stats(&b, Duration::from_secs(5), "nothing pending", |l| counter(l, "pending") == 0);
    assert_eq!(counter(&l, "requests") as usize, ok.len() + 1, "the answered ones and the course request: {l}");
    // The broker goes on.
    let c = client(&p, 1000, 5);
    assert_eq!(c.request("", b"after", Duration::from_secs(10)).unwrap()[2..], b":after"[..]);
    drop(seen);
    b.stop();
}
