//! The task brokers' C ABI (`hb_task_*`), called from Rust as a C caller
//! would, over loopback: a broker with a free port, a worker calling a C
//! callback on its pool, a pull-style worker, clients (submit/next,
//! request, fetch), outputs that do not fit kept, the timeout rule, frees
//! that end waits at once, `hb_poll` and `hb_handle_fd`. Every wait is bounded.

use hypobus::ffi::task::*;
use hypobus::ffi::wait::{hb_poll, HbPollItem};
use hypobus::ffi::HbStatus::*;
use hypobus::ffi::{hb_error_info, hb_handle_fd, hb_last_error, HB_POLLIN};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn last_error() -> String {
    let mut buf = [0 as c_char; 512];
    hb_last_error(buf.as_mut_ptr(), buf.len(), null_mut());
    // SAFETY: NUL-terminated by hb_last_error.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

fn cstr(buf: &[c_char]) -> String {
    // SAFETY: NUL-terminated by the library.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

struct Broker(*mut HbTaskBroker);

/// Free ports on loopback, heartbeats every 100 ms, the rest defaults.
fn broker_cfg() -> HbTaskBrokerConfig {
    let any = c"tcp://127.0.0.1:*";
    HbTaskBrokerConfig {
        size: std::mem::size_of::<HbTaskBrokerConfig>() as u32,
        policy: HB_TASK_LRU,
        frontend: any.as_ptr(),
        backend: any.as_ptr(),
        store: null(),
        name: null(),
        state: null(),
        peers: null(),
        answer_timeout_ms: 0,
        max_attempts: 0,
        hb_interval_ms: 100,
        liveness: 0,
        service_wait_ms: 0,
        peer_interval_ms: 0,
        full_sync: 0,
        reserved: 0,
        curve: null(),
    }
}

impl Broker {
    fn new(f: impl FnOnce(&mut HbTaskBrokerConfig)) -> Broker {
        let mut cfg = broker_cfg();
        f(&mut cfg);
        let mut b = null_mut();
        assert_eq!(hb_task_broker_new(&cfg, &mut b), HB_OK, "{}", last_error());
        Broker(b)
    }
    fn ep(&self, which: i32) -> CString {
        let mut buf = [0 as c_char; 128];
        let mut n = 0usize;
        assert_eq!(hb_task_broker_endpoint(self.0, which, buf.as_mut_ptr(), buf.len(), &mut n), HB_OK);
        assert_eq!(n, cstr(&buf).len());
        CString::new(cstr(&buf)).unwrap()
    }
    fn stats(&self) -> HbTaskBrokerStats {
        let mut s = HbTaskBrokerStats { size: std::mem::size_of::<HbTaskBrokerStats>() as u32, ..Default::default() };
        assert_eq!(hb_task_broker_stats(self.0, &mut s), HB_OK);
        s
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        assert_eq!(hb_task_broker_free(self.0), HB_OK);
    }
}

fn worker_cfg(backend: &CStr, services: &CStr, threads: u32) -> HbTaskWorkerConfig {
    HbTaskWorkerConfig {
        size: std::mem::size_of::<HbTaskWorkerConfig>() as u32,
        threads,
        broker: backend.as_ptr(),
        services: services.as_ptr(),
        name: null(),
        hb_interval_ms: 100,
        liveness: 0,
        curve: null(),
    }
}

fn client(frontend: &CStr, timeout_ms: u32, tries: u32) -> *mut HbTaskClient {
    let cfg = HbTaskClientConfig {
        size: std::mem::size_of::<HbTaskClientConfig>() as u32,
        tries,
        broker: frontend.as_ptr(),
        name: null(),
        timeout_ms,
        reserved: 0,
        curve: null(),
    };
    let mut c = null_mut();
    assert_eq!(hb_task_client_new(&cfg, &mut c), HB_OK, "{}", last_error());
    c
}

static CALLS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static REPLY: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Upper-cases the request; "fail" fails with a reason, "code" with a bare code.
unsafe extern "C-unwind" fn upper(
    user: *mut c_void,
    service: *const c_char,
    req: *const u8,
    len: usize,
    reply: *mut *const u8,
    reply_len: *mut usize,
) -> i32 {
    CALLS.fetch_add(1, Ordering::SeqCst);
    assert_eq!(user as usize, 0x5eed);
    // SAFETY: the library passes valid pointers for the call.
    let (svc, body) = unsafe { (CStr::from_ptr(service).to_str().unwrap().to_string(), std::slice::from_raw_parts(req, len).to_vec()) };
    if body == b"code" {
        return 7;
    }
    let out = if body == b"fail" { b"no good".to_vec() } else { [svc.as_bytes(), b"/", &body.to_ascii_uppercase()].concat() };
    REPLY.with(|r| {
        *r.borrow_mut() = out;
        let r = r.borrow();
        // SAFETY: writes the two out-pointers the library gave.
        unsafe {
            *reply = r.as_ptr();
            *reply_len = r.len();
        }
    });
    if body == b"fail" {
        1
    } else {
        0
    }
}

fn wait_workers(b: &Broker, n: u64) {
    let until = Instant::now() + Duration::from_secs(5);
    while b.stats().workers != n {
        assert!(Instant::now() < until, "{n} workers never registered");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn callback_worker_and_client() {
    let b = Broker::new(|_| {});
    let (fe, be) = (b.ep(HB_TASK_FRONTEND), b.ep(HB_TASK_BACKEND));
    assert!(fe.to_str().unwrap().starts_with("tcp://127.0.0.1:"));
    assert_eq!(b.ep(HB_TASK_STATE).to_bytes(), b"", "no peering");
    let cfg = worker_cfg(&be, c"S", 3);
    let mut w = null_mut();
    assert_eq!(hb_task_worker_new(&cfg, Some(upper), 0x5eed as *mut c_void, &mut w), HB_OK, "{}", last_error());
    wait_workers(&b, 1);
    let c = client(&fe, 2000, 3);
    // request: the result; a failure is HB_REMOTE with its reason.
    let mut out = [0u8; 64];
    let mut n = 0usize;
    assert_eq!(
        hb_task_client_request(c, c"S".as_ptr(), b"abc".as_ptr().cast(), 3, 5000, out.as_mut_ptr().cast(), out.len(), &mut n),
        HB_OK,
        "{}",
        last_error()
    );
    assert_eq!(&out[..n], b"S/ABC");
    assert_eq!(
        hb_task_client_request(c, c"S".as_ptr(), b"fail".as_ptr().cast(), 4, 5000, out.as_mut_ptr().cast(), out.len(), &mut n),
        HB_REMOTE
    );
    assert_eq!(last_error(), "no good");
    let (mut st, mut errno) = (0, 0);
    let mut ebuf = [0 as c_char; 512];
    assert_eq!(hb_error_info(c as *const c_void, &mut st, &mut errno, ebuf.as_mut_ptr(), ebuf.len(), null_mut()), HB_OK);
    assert_eq!((st, cstr(&ebuf).as_str()), (HB_REMOTE as i32, "no good"), "the failure is kept on the handle");
    assert_eq!(
        hb_task_client_request(c, c"S".as_ptr(), b"code".as_ptr().cast(), 4, 5000, out.as_mut_ptr().cast(), out.len(), &mut n),
        HB_REMOTE
    );
    assert_eq!(last_error(), "handler failed (code 7)");
    // Many in flight with submit/next; each outcome once, ids match.
    let mut ids = std::collections::HashMap::new();
    for i in 0..200 {
        let body = format!("m{i}");
        let mut id = [0 as c_char; 128];
        assert_eq!(hb_task_client_submit(c, c"S".as_ptr(), body.as_ptr().cast(), body.len(), id.as_mut_ptr(), id.len(), null_mut()), HB_OK);
        ids.insert(cstr(&id), body);
    }
    for _ in 0..200 {
        let (mut id, mut idn, mut oc) = ([0 as c_char; 128], 0usize, -1);
        assert_eq!(
            hb_task_client_next(c, 5000, id.as_mut_ptr(), id.len(), &mut idn, &mut oc, out.as_mut_ptr().cast(), out.len(), &mut n),
            HB_OK
        );
        assert_eq!(oc, HB_TASK_OK);
        let want = ids.remove(&cstr(&id)).expect("each id once");
        assert_eq!(&out[..n], format!("S/{}", want.to_uppercase()).as_bytes());
    }
    assert_eq!(hb_task_client_next(c, 0, null_mut(), 0, null_mut(), &mut 0, null_mut(), 0, null_mut()), HB_TIMEOUT);
    assert_eq!(CALLS.load(Ordering::SeqCst), 203);
    let mut ws = HbTaskWorkerStats { size: std::mem::size_of::<HbTaskWorkerStats>() as u32, ..Default::default() };
    // A callback thread counts itself done just after its answer left (so
    // that a stop never closes the socket before it): the client can have
    // the last answers a moment before callbacks_running reaches 0.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        assert_eq!(hb_task_worker_stats(w, &mut ws), HB_OK);
        if ws.callbacks_running == 0 || std::time::Instant::now() > until {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!((ws.jobs, ws.replies, ws.errors, ws.callbacks_running), (203, 203, 2, 0));
    let mut cs = HbTaskClientStats { size: std::mem::size_of::<HbTaskClientStats>() as u32, ..Default::default() };
    assert_eq!(hb_task_client_stats(c, &mut cs), HB_OK);
    assert_eq!((cs.completed, cs.duplicates), (203, 0));
    // A worker with a callback has nothing to receive.
    assert_eq!(hb_task_worker_recv(w, 0, &mut 0, null_mut(), 0, null_mut()), HB_BUSY);
    assert_eq!(hb_task_worker_free(w), HB_OK);
    assert_eq!(hb_task_worker_free(w), HB_INVALID_HANDLE);
    assert_eq!(hb_task_client_free(c), HB_OK);
}

#[test]
fn pull_worker_buffers_fetch_and_the_timeout_rule() {
    let b = Broker::new(|c| c.service_wait_ms = 200);
    let (fe, be) = (b.ep(HB_TASK_FRONTEND), b.ep(HB_TASK_BACKEND));
    let cfg = worker_cfg(&be, c"", 2);
    let mut w = null_mut();
    assert_eq!(hb_task_worker_new(&cfg, None, null_mut(), &mut w), HB_OK);
    wait_workers(&b, 1);
    let c = client(&fe, 2000, 3);
    assert_eq!(hb_task_worker_recv(w, -1, &mut 0, null_mut(), 0, null_mut()), HB_INVALID_ARGUMENT, "the timeout rule");
    assert_eq!(hb_task_client_next(c, -5, null_mut(), 0, null_mut(), &mut 0, null_mut(), 0, null_mut()), HB_INVALID_ARGUMENT);
    let mut id = [0 as c_char; 128];
    let mut tiny = [0 as c_char; 4];
    let mut need = 0usize;
    assert_eq!(hb_task_client_submit(c, null(), b"x".as_ptr().cast(), 1, tiny.as_mut_ptr(), tiny.len(), &mut need), HB_BUFFER_TOO_SMALL);
    assert!(need > 4);
    assert_eq!(hb_task_client_submit(c, null(), b"hello world".as_ptr().cast(), 11, id.as_mut_ptr(), id.len(), null_mut()), HB_OK);
    let sent_id = cstr(&id);
    // hb_poll sees the job; a too-small buffer keeps it.
    let mut items = [HbPollItem { handle: w as *const c_void, events: HB_POLLIN, revents: 0 }];
    let mut ready = 0usize;
    assert_eq!(hb_poll(items.as_mut_ptr(), 1, 5000, &mut ready), HB_OK);
    assert_eq!((ready, items[0].revents), (1, HB_POLLIN));
    let (mut job, mut small, mut n) = (0u64, [0u8; 4], 0usize);
    assert_eq!(hb_task_worker_recv(w, 1000, &mut job, small.as_mut_ptr().cast(), small.len(), &mut n), HB_BUFFER_TOO_SMALL);
    assert_eq!(n, 11);
    let mut big = [0u8; 64];
    assert_eq!(hb_task_worker_recv(w, 0, &mut job, big.as_mut_ptr().cast(), big.len(), &mut n), HB_OK, "kept: {}", last_error());
    assert_eq!(&big[..n], b"hello world");
    let (mut svc, mut rid) = ([0 as c_char; 64], [0 as c_char; 128]);
    assert_eq!(hb_task_worker_job_info(w, job, svc.as_mut_ptr(), svc.len(), null_mut(), rid.as_mut_ptr(), rid.len(), null_mut()), HB_OK);
    assert_eq!((cstr(&svc), cstr(&rid)), (String::new(), sent_id.clone()));
    assert_eq!(hb_task_worker_reply(w, job + 1000, null(), 0), HB_INVALID_ARGUMENT);
    assert_eq!(hb_task_worker_reply(w, job, b"HELLO".as_ptr().cast(), 5), HB_OK);
    assert_eq!(hb_task_worker_reply(w, job, b"again".as_ptr().cast(), 5), HB_INVALID_ARGUMENT, "answered once");
    // The outcome: too small an id or body buffer keeps it.
    let mut fd = -1;
    assert_eq!(hb_handle_fd(c as *const c_void, &mut fd), HB_OK);
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    assert_eq!(unsafe { libc::poll(&mut pfd, 1, 5000) }, 1, "the client's descriptor wakes for the outcome");
    let (mut oc, mut body) = (-1, [0u8; 2]);
    assert_eq!(
        hb_task_client_next(c, 1000, id.as_mut_ptr(), id.len(), null_mut(), &mut oc, body.as_mut_ptr().cast(), body.len(), &mut n),
        HB_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 5);
    assert_eq!(
        hb_task_client_next(c, 0, id.as_mut_ptr(), id.len(), null_mut(), &mut oc, big.as_mut_ptr().cast(), big.len(), &mut n),
        HB_OK
    );
    assert_eq!((oc, &big[..n], cstr(&id)), (HB_TASK_OK, &b"HELLO"[..], sent_id.clone()));
    // Fetch by id from another client; an unknown id; a service nobody serves.
    let c2 = client(&fe, 2000, 3);
    let cid = CString::new(sent_id.clone()).unwrap();
    assert_eq!(hb_task_client_fetch(c2, cid.as_ptr()), HB_OK);
    assert_eq!(
        hb_task_client_next(c2, 5000, id.as_mut_ptr(), id.len(), null_mut(), &mut oc, big.as_mut_ptr().cast(), big.len(), &mut n),
        HB_OK
    );
    assert_eq!((oc, &big[..n]), (HB_TASK_OK, &b"HELLO"[..]));
    assert_eq!(hb_task_client_fetch(c2, c"nobody-knows".as_ptr()), HB_OK);
    assert_eq!(
        hb_task_client_next(c2, 5000, id.as_mut_ptr(), id.len(), null_mut(), &mut oc, big.as_mut_ptr().cast(), big.len(), &mut n),
        HB_OK
    );
    assert_eq!((oc, n), (HB_TASK_UNKNOWN, 0));
    assert_eq!(hb_task_client_submit_id(c2, c"my-id-1".as_ptr(), c"Nope".as_ptr(), null(), 0), HB_OK);
    assert_eq!(
        hb_task_client_next(c2, 5000, id.as_mut_ptr(), id.len(), null_mut(), &mut oc, big.as_mut_ptr().cast(), big.len(), &mut n),
        HB_OK
    );
    assert_eq!((oc, cstr(&id).as_str()), (HB_TASK_FAILED, "my-id-1"));
    assert!(std::str::from_utf8(&big[..n]).unwrap().starts_with("no worker serves service \"Nope\""));
    assert_eq!(hb_task_client_submit_id(c2, c"bad id".as_ptr(), null(), null(), 0), HB_CONFIG);
    // A free ends a wait on another thread at once.
    let wk = w as usize;
    let t = std::thread::spawn(move || {
        let t0 = Instant::now();
        let st = hb_task_worker_recv(wk as *const HbTaskWorker, 10_000, &mut 0, null_mut(), 0, null_mut());
        (st, t0.elapsed())
    });
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(hb_task_worker_free(w), HB_OK);
    let (st, took) = t.join().unwrap();
    assert_eq!(st, HB_STOPPED);
    assert!(took < Duration::from_secs(2), "{took:?}");
    let ck = c as usize;
    let t = std::thread::spawn(move || {
        hb_task_client_next(ck as *const HbTaskClient, 10_000, null_mut(), 0, null_mut(), &mut 0, null_mut(), 0, null_mut())
    });
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(hb_task_client_free(c), HB_OK);
    assert_eq!(t.join().unwrap(), HB_STOPPED);
    assert_eq!(hb_task_client_free(c2), HB_OK);
    assert_eq!(hb_task_client_free(null_mut()), HB_OK);
    assert_eq!(hb_task_worker_stats(w, &mut HbTaskWorkerStats::default()), HB_INVALID_HANDLE);
}

#[test]
fn bad_configs_are_refused() {
    let mut b = null_mut();
    let cfg = HbTaskBrokerConfig { policy: 7, frontend: null(), backend: null(), hb_interval_ms: 0, ..broker_cfg() };
    assert_eq!(hb_task_broker_new(&cfg, &mut b), HB_CONFIG);
    let bad_store = HbTaskBrokerConfig { policy: 0, store: c"disk".as_ptr(), ..cfg };
    assert_eq!(hb_task_broker_new(&bad_store, &mut b), HB_CONFIG);
    let bad_ep = HbTaskBrokerConfig { policy: 0, frontend: c"nope".as_ptr(), ..cfg };
    assert_eq!(hb_task_broker_new(&bad_ep, &mut b), HB_CONFIG);
    let no_size = HbTaskBrokerConfig { size: 0, ..cfg };
    assert_eq!(hb_task_broker_new(&no_size, &mut b), HB_INVALID_ARGUMENT);
    assert_eq!(hb_task_broker_new(null(), null_mut()), HB_INVALID_ARGUMENT);
    let mut w = null_mut();
    let wc = HbTaskWorkerConfig { services: c"a b".as_ptr(), ..worker_cfg(c"tcp://127.0.0.1:1", c"", 1) };
    assert_eq!(hb_task_worker_new(&wc, None, null_mut(), &mut w), HB_CONFIG);
    assert_eq!(hb_task_broker_stats(std::ptr::without_provenance(0x42), &mut HbTaskBrokerStats::default()), HB_INVALID_HANDLE);
}

/// A broker with a `postgres://` journal (scripts/pg.sh sets the server): a
/// result outlives the broker, and a broker started again on the database
/// gives it to a new client by id. Passes with a note when there is no
/// server, fails when `HYPOBUS_REQUIRE_PG=1`.
#[test]
fn postgres_store_keeps_results_across_brokers() {
    let Some(url) = hypobus::task::store::pg::test_url("abi") else { return };
    let url = CString::new(url).unwrap();
    let mut out = [0u8; 64];
    let mut n = 0usize;
    let id = {
        let b = Broker::new(|c| c.store = url.as_ptr());
        let (fe, be) = (b.ep(HB_TASK_FRONTEND), b.ep(HB_TASK_BACKEND));
        let mut w = null_mut();
        assert_eq!(hb_task_worker_new(&worker_cfg(&be, c"S", 1), None, null_mut(), &mut w), HB_OK, "{}", last_error());
        wait_workers(&b, 1);
        let c = client(&fe, 2000, 3);
        let mut id = [0 as c_char; 128];
        assert_eq!(hb_task_client_submit(c, c"S".as_ptr(), b"pg".as_ptr().cast(), 2, id.as_mut_ptr(), id.len(), null_mut()), HB_OK);
        let mut job = 0u64;
        assert_eq!(hb_task_worker_recv(w, 5000, &mut job, out.as_mut_ptr().cast(), out.len(), &mut n), HB_OK, "{}", last_error());
        assert_eq!(hb_task_worker_reply(w, job, b"S/PG".as_ptr().cast(), 4), HB_OK);
        let mut oc = -1;
        assert_eq!(hb_task_client_next(c, 5000, null_mut(), 0, null_mut(), &mut oc, out.as_mut_ptr().cast(), out.len(), &mut n), HB_OK);
        assert_eq!((oc, &out[..n]), (HB_TASK_OK, &b"S/PG"[..]));
        assert!(b.stats().commits >= 1, "journaled");
        assert_eq!(hb_task_worker_free(w), HB_OK);
        assert_eq!(hb_task_client_free(c), HB_OK);
        cstr(&id)
    };
    let b = Broker::new(|c| c.store = url.as_ptr());
    let c = client(&b.ep(HB_TASK_FRONTEND), 2000, 3);
    let cid = CString::new(id).unwrap();
    assert_eq!(hb_task_client_fetch(c, cid.as_ptr()), HB_OK, "{}", last_error());
    let mut oc = -1;
    assert_eq!(hb_task_client_next(c, 5000, null_mut(), 0, null_mut(), &mut oc, out.as_mut_ptr().cast(), out.len(), &mut n), HB_OK);
    assert_eq!((oc, &out[..n]), (HB_TASK_OK, &b"S/PG"[..]), "fetched by id from a new broker");
    assert_eq!(hb_task_client_free(c), HB_OK);
    // A URL the store cannot use is a configuration error.
    let mut x = null_mut();
    let bad = HbTaskBrokerConfig { store: c"postgres://nobody@127.0.0.1:1/none?connect_timeout=1".as_ptr(), ..broker_cfg() };
    assert_eq!(hb_task_broker_new(&bad, &mut x), HB_CONFIG);
}
