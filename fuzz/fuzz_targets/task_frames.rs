//! The task brokers' frames, both sides, through the real roles over
//! `inproc://` (`hypobus::task`): what a broker's frontend reads from
//! clients and its backend from workers (course frames and `HBTC01` /
//! `HBTW01` frames, `broker/clients.rs`, `broker/workers.rs`), what a
//! worker reads from its broker (`worker.rs`) and what a client reads from
//! its broker (`client.rs`); and the frame helpers of `wire::task`.
//!
//! Input: messages; each message's first byte `c` says where it goes
//! (`c % 6`: 0, 1 = the broker's frontend from client `c0`/`c1`; 2, 3 = its
//! backend from worker `w0`/`w1`; 4 = a worker from its broker; 5 = a
//! client from its broker), the rest is its frames. After the messages
//! each role must still answer a well-formed request within 20 s (a FETCH,
//! an unknown worker's HEARTBEAT, a REQUEST to the worker, a client's
//! request): a panic on a role's thread aborts (libFuzzer's panic hook), a
//! role that stopped or hangs fails the run.
#![no_main]

use hypobus::task::broker::{TaskBroker, TaskBrokerConfig};
use hypobus::task::client::{TaskClient, TaskClientConfig};
use hypobus::task::worker::{Job, TaskWorker, WorkerConfig};
use hypobus::wire::task as proto;
use hypobus_fuzz::{drain, recv_until, FRAME_SEP, HANG, MSG_SEP};
use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const FRONT: &str = "inproc://fz-task-front";
const BACK: &str = "inproc://fz-task-back";
const WSIDE: &str = "inproc://fz-task-wside";
const CSIDE: &str = "inproc://fz-task-cside";

struct Rig {
    broker: TaskBroker,
    /// Fuzzed clients and workers of the broker: c0, c1, w0, w1.
    peers: Vec<zmq::Socket>,
    sync_client: zmq::Socket,
    sync_worker: zmq::Socket,
    /// A fake broker for the real worker, and the worker's routing id.
    wside: zmq::Socket,
    worker: TaskWorker,
    worker_id: Vec<u8>,
    /// A fake broker for the real client, and the client's routing id.
    cside: zmq::Socket,
    client: TaskClient,
    client_id: Vec<u8>,
    n: u64,
}

fn dealer(ctx: &zmq::Context, id: &str, ep: &str) -> zmq::Socket {
    let s = ctx.socket(zmq::DEALER).unwrap();
    s.set_identity(id.as_bytes()).unwrap();
    s.set_linger(0).unwrap();
    s.set_sndhwm(0).unwrap();
    s.connect(ep).unwrap();
    s
}

fn router(ctx: &zmq::Context, ep: &str) -> zmq::Socket {
    let s = ctx.socket(zmq::ROUTER).unwrap();
    // As the task broker's own ROUTERs: a worker that reconnects under the same id takes its id over.
    s.set_router_handover(true).unwrap();
    s.set_linger(0).unwrap();
    s.set_sndhwm(0).unwrap();
    s.bind(ep).unwrap();
    s
}

impl Rig {
    fn new() -> Rig {
        let ctx = hypobus::sys::ctx::context();
        let broker = TaskBroker::start(TaskBrokerConfig {
            frontend: FRONT.into(),
            backend: BACK.into(),
            answer_timeout: Duration::from_millis(100),
            max_attempts: 2,
            hb_interval: Duration::from_millis(200),
            service_wait: Duration::from_millis(100),
            max_pending: 10_000,
            name: "fz".into(),
            ..Default::default()
        })
        .expect("task broker");
        let peers = vec![dealer(&ctx, "c0", FRONT), dealer(&ctx, "c1", FRONT), dealer(&ctx, "w0", BACK), dealer(&ctx, "w1", BACK)];
        let sync_client = dealer(&ctx, "sync-c", FRONT);
        let sync_worker = dealer(&ctx, "sync-w", BACK);

        let wside = router(&ctx, WSIDE);
        // Its handler threads answer every job (the fuzzed ones too) with the job's body.
        let worker = TaskWorker::serve(WorkerConfig { capacity: 4, name: "fzw".into(), ..WorkerConfig::new(WSIDE) }, |job: &Job| {
            Ok(job.body.clone())
        })
        .expect("worker");
        let ready = recv_until(&wside, Instant::now() + HANG).expect("the worker's READY");
        let worker_id = ready[0].clone();

        let cside = router(&ctx, CSIDE);
        let client =
            TaskClient::new(TaskClientConfig { timeout: Duration::from_secs(2), name: "fzc".into(), ..TaskClientConfig::new(CSIDE) })
                .expect("client");
        let mut rig = Rig { broker, peers, sync_client, sync_worker, wside, worker, worker_id, cside, client, client_id: Vec::new(), n: 0 };
        rig.sync_client_side();
        rig
    }

    /// The broker answers a FETCH on its frontend and an unknown worker's
    /// HEARTBEAT on its backend: both queues were read up to here.
    fn sync_broker(&mut self) {
        assert!(self.broker.is_running(), "the task broker stopped");
        let start = Instant::now();
        let deadline = start + HANG;
        self.sync_client.send_multipart([&b""[..], proto::CLIENT, proto::FETCH, b"fz-sync"], 0).unwrap();
        loop {
            let Some(m) = recv_until(&self.sync_client, deadline) else { self.broker_hung("a FETCH", start) };
            if m.len() == 6 && m[3] == b"fz-sync" {
                break;
            }
        }
        self.sync_worker.send_multipart([&b""[..], proto::WORKER, proto::HEARTBEAT], 0).unwrap();
        loop {
            let Some(m) = recv_until(&self.sync_worker, deadline) else { self.broker_hung("a worker", start) };
            if m.len() == 3 && m[2] == proto::DISCONNECT {
                break;
            }
        }
        for p in &self.peers {
            drain(p);
        }
    }

    /// Fail with what the broker says of itself: its counters, and how its
    /// thread ended if it did.
    fn broker_hung(&mut self, what: &str, since: Instant) -> ! {
        let waited = since.elapsed();
        let (running, stats) = (self.broker.is_running(), self.broker.stats());
        let ended = self.broker.stop();
        panic!("the task broker did not answer {what} in {waited:?}: running {running}, {stats:?}, its thread: {ended:?}");
    }

    /// The worker answers a request (and every job fuzzing gave it).
    fn sync_worker_side(&mut self) {
        assert!(self.worker.is_running(), "the worker stopped");
        let token = format!("fz-tok-{}", self.n);
        let request = |id: &[u8]| [id, b"", proto::WORKER, proto::REQUEST, token.as_bytes(), b"fz-sync", b"", b"x"].map(<[u8]>::to_vec);
        self.wside.send_multipart(request(&self.worker_id), 0).unwrap();
        let start = Instant::now();
        let deadline = start + HANG;
        loop {
            let Some(m) = recv_until(&self.wside, deadline) else {
                let (queued, _) = self.worker.wait_state();
                panic!(
                    "the worker did not answer a request in {:?}: running {}, a job queued and not taken: {queued}, {:?}",
                    start.elapsed(),
                    self.worker.is_running(),
                    self.worker.stats()
                )
            };
            if m.len() < 4 {
                continue;
            }
            if m[3] == proto::READY {
                // It reconnected (a DISCONNECT, or its broker fell silent): ask again.
                self.worker_id = m[0].clone();
                self.wside.send_multipart(request(&self.worker_id), 0).unwrap();
            } else if m[3] == proto::REPLY && m.get(4).is_some_and(|t| t == token.as_bytes()) {
                return;
            }
        }
    }

    /// The client takes an answer to a request of its own.
    fn sync_client_side(&mut self) {
        assert!(self.client.is_running(), "the client stopped");
        let id = format!("fz-sync-{}", self.n);
        self.client.submit_with_id(&id, "", b"").expect("submit");
        let deadline = Instant::now() + HANG;
        loop {
            let m = recv_until(&self.cside, deadline).expect("the client did not send its request");
            if m.len() == 7 && m[3] == proto::REQUEST && m[4] == id.as_bytes() {
                self.client_id = m[0].clone();
                let reply = [&m[0][..], b"", proto::CLIENT, proto::REPLY, id.as_bytes(), proto::OK, b"done"];
                self.cside.send_multipart(reply, 0).unwrap();
                break;
            }
        }
        assert!(self.client.next_of(&id, HANG).is_some(), "the client did not take its answer");
        drain(&self.cside);
    }

    fn deliver(&self, dest: u8, frames: &[&[u8]]) {
        fn routed<'a>(id: &'a [u8], frames: &[&'a [u8]]) -> Vec<&'a [u8]> {
            let mut m = vec![id];
            m.extend_from_slice(frames);
            m
        }
        let _ = match dest % 6 {
            d @ 0..=3 => self.peers[usize::from(d)].send_multipart(frames, zmq::DONTWAIT),
            4 => self.wside.send_multipart(routed(&self.worker_id, frames), zmq::DONTWAIT),
            _ => self.cside.send_multipart(routed(&self.client_id, frames), zmq::DONTWAIT),
        };
    }
}

fn helpers(frames: &[&[u8]]) {
    for f in frames {
        if let Some(v) = proto::parse_services(f) {
            assert!(!v.is_empty() && v.iter().all(|s| proto::valid_service(s.as_bytes())));
        }
        if let Some(n) = proto::parse_u32(f) {
            assert_eq!(proto::parse_u32(n.to_string().as_bytes()), Some(n));
        }
        let _ = proto::valid_id(f);
    }
}

static RIG: OnceLock<Mutex<Rig>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut rig = RIG.get_or_init(|| Mutex::new(Rig::new())).lock().unwrap_or_else(|e| e.into_inner());
    rig.n += 1;
    for raw in data.split(|b| *b == MSG_SEP) {
        let Some((&dest, rest)) = raw.split_first() else { continue };
        let frames: Vec<&[u8]> = rest.split(|b| *b == FRAME_SEP).collect();
        helpers(&frames);
        rig.deliver(dest, &frames);
    }
    rig.sync_broker();
    rig.sync_worker_side();
    rig.sync_client_side();
});
