//! The C ABI's entry points that take text or buffers, called as a C
//! caller calls them (raw pointers, lengths, statuses; `hypobus::ffi`):
//! broker lists (`hb_client_new`), catheti (`hb_client_submit`),
//! capability names (`hb_zmq_has`), socket options by number with any
//! bytes (`hb_socket_setopt`, `hb_socket_getopt*`), whole multipart
//! messages in and out of caller buffers of any size (`hb_socket_send`,
//! `hb_socket_recv`), task requests, ids and services (`hb_task_client_*`),
//! and the texts every call leaves (`hb_last_error`, `hb_status_name`).
//! Every role is of this process, over `inproc://` (no network, no DNS).
//!
//! Input: frames `0 control, 1 broker list, 2 cathetus a, 3 cathetus b,
//! 4 capability, 5 message, 6 option, 7 service, 8 body, 9 request id`
//! (missing ones are empty).
//!
//! Invariants: every call returns a status and never `HB_PANIC`; a parse
//! the ABI accepts is the one the Rust API accepts; an output that does not
//! fit is `HB_BUFFER_TOO_SMALL` with the size needed and is kept, so the
//! next call with that size returns it whole; a message comes back out of
//! `hb_socket_recv` byte for byte as `hb_socket_send` took it.
#![no_main]

use hypobus::ffi::broker::{hb_broker_new_ex, HbBrokerConfig};
use hypobus::ffi::client::{hb_client_cancel, hb_client_free, hb_client_new, hb_client_submit, HbClient};
use hypobus::ffi::libzmq::hb_zmq_has;
use hypobus::ffi::socket::*;
use hypobus::ffi::task::*;
use hypobus::ffi::{hb_last_error, hb_status_name, HbStatus, HbStatus::*};
use hypobus::lab::brokers::BrokerAddr;
use hypobus::task::broker::{TaskBroker, TaskBrokerConfig};
use hypobus_fuzz::cstring;
use libfuzzer_sys::fuzz_target;
use std::ffi::c_char;
use std::ptr::null_mut;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

struct Rig {
    client: *mut HbClient,
    task_client: *mut HbTaskClient,
    _task_broker: TaskBroker,
    pair: (*mut HbSocket, *mut HbSocket),
}
// SAFETY: handles are registry keys, usable from any thread (the ABI's rule).
unsafe impl Send for Rig {}

fn ok(st: HbStatus, what: &str) {
    assert_eq!(st, HB_OK, "{what}: {}", last_error());
}

/// The calling thread's last error, read as a C caller would: a size query
/// first (NULL, 0: `HB_OK` with the length), then the text; a buffer one
/// byte short is `HB_BUFFER_TOO_SMALL` with the length.
fn last_error() -> String {
    let mut need = 0usize;
    assert_eq!(hb_last_error(null_mut(), 0, &mut need), HB_OK);
    let mut buf = vec![0u8; need + 1];
    let mut len = 0usize;
    if need > 0 {
        assert_eq!(hb_last_error(buf.as_mut_ptr().cast(), need, &mut len), HB_BUFFER_TOO_SMALL);
        assert_eq!(len, need);
    }
    assert_eq!(hb_last_error(buf.as_mut_ptr().cast(), buf.len(), &mut len), HB_OK);
    assert!(len == need && buf[len] == 0);
    String::from_utf8(buf[..len].to_vec()).expect("UTF-8 error text")
}

fn checked(st: HbStatus) -> HbStatus {
    assert_ne!(st, HB_PANIC, "a panic crossed into a status: {}", last_error());
    if st != HB_OK {
        let _ = last_error();
    }
    st
}

impl Rig {
    fn new() -> Rig {
        let name = c"fzabi";
        let (xsub, xpub, hb) = (c"inproc://fz-abi-xsub", c"inproc://fz-abi-xpub", c"");
        let cfg = HbBrokerConfig {
            size: std::mem::size_of::<HbBrokerConfig>() as u32,
            hb_interval_ms: 0,
            xsub: xsub.as_ptr(),
            xpub: xpub.as_ptr(),
            hb: hb.as_ptr(),
            inproc_name: name.as_ptr(),
            start_passive: 0,
            reserved: 0,
            curve: std::ptr::null(),
        };
        let mut broker = null_mut();
        ok(hb_broker_new_ex(&cfg, &mut broker), "hb_broker_new_ex");
        let mut client = null_mut();
        ok(hb_client_new(c"inproc:fzabi".as_ptr(), 0, 0, &mut client), "hb_client_new");

        let task_broker = TaskBroker::start(TaskBrokerConfig {
            frontend: "inproc://fz-abi-task-front".into(),
            backend: "inproc://fz-abi-task-back".into(),
            service_wait: Duration::from_millis(20),
            max_pending: 10_000,
            ..Default::default()
        })
        .expect("task broker");
        let tcfg = HbTaskClientConfig {
            size: std::mem::size_of::<HbTaskClientConfig>() as u32,
            tries: 1,
            broker: c"inproc://fz-abi-task-front".as_ptr(),
            name: c"fz".as_ptr(),
            timeout_ms: 1000,
            reserved: 0,
            curve: std::ptr::null(),
        };
        let mut task_client = null_mut();
        ok(hb_task_client_new(&tcfg, &mut task_client), "hb_task_client_new");

        let (mut a, mut b) = (null_mut(), null_mut());
        ok(hb_socket_new(HB_PAIR, &mut a), "hb_socket_new");
        ok(hb_socket_new(HB_PAIR, &mut b), "hb_socket_new");
        ok(hb_socket_bind(a, c"inproc://fz-abi-pair".as_ptr(), null_mut(), 0, null_mut()), "hb_socket_bind");
        ok(hb_socket_connect(b, c"inproc://fz-abi-pair".as_ptr()), "hb_socket_connect");
        Rig { client, task_client, _task_broker: task_broker, pair: (a, b) }
    }
}

/// A broker list: the ABI agrees with `BrokerAddr::parse_list`. Lists that
/// fail are refused; lists of `inproc:NAME` brokers are taken when every
/// name is the rig's broker and refused (`HB_CONFIG`) when one names no
/// running broker; other lists that parse are not connected to (they name
/// hosts: DNS and the network, or inproc endpoints of no broker, which
/// libzmq would keep a socket for until the process ends:
/// docs/RELIABILITY.md).
fn broker_list(text: &[u8]) {
    let c = cstring(text);
    let mut h = null_mut();
    let Ok(s) = c.to_str() else {
        assert_eq!(checked(hb_client_new(c.as_ptr(), 0, 0, &mut h)), HB_INVALID_ARGUMENT);
        return;
    };
    let named = |b: &BrokerAddr| {
        let name = b.xsub.strip_prefix("inproc://hypobus-broker-")?.strip_suffix("-xsub")?;
        BrokerAddr::inproc(name).ok().filter(|x| x == b).map(|_| name.to_string())
    };
    let want = match BrokerAddr::parse_list(s) {
        Err(_) => HB_CONFIG,
        Ok(list) => match list.iter().map(named).collect::<Option<Vec<String>>>() {
            None => return,
            Some(names) if names.iter().all(|n| n == "fzabi") => HB_OK,
            Some(_) => HB_CONFIG,
        },
    };
    let st = checked(hb_client_new(c.as_ptr(), (text.len() % 2) as i32, 50, &mut h));
    assert_eq!(st, want, "{s:?}: {}", last_error());
    if st == HB_OK {
        ok(hb_client_free(h), "hb_client_free");
    }
}

fn catheti(rig: &Rig, a: &[u8], b: &[u8]) {
    let (a, b) = (cstring(a), cstring(b));
    let mut id = 0u64;
    if checked(hb_client_submit(rig.client, a.as_ptr(), b.as_ptr(), 0, &mut id)) == HB_OK {
        ok(hb_client_cancel(rig.client, id), "hb_client_cancel");
    }
}

/// A message in and out through caller buffers of the sizes `ctl` picks.
fn message(rig: &Rig, ctl: u8, data: &[u8]) {
    let n = 1 + data.len() % 4;
    let mut sizes: Vec<usize> = (0..n).map(|i| data.len() * (i + 1) / n - data.len() * i / n).collect();
    ok(checked(hb_socket_send(rig.pair.0, data.as_ptr().cast(), sizes.as_ptr(), n, 0, 0)), "hb_socket_send");
    let len = data.len().saturating_sub(usize::from(ctl % 3));
    let max = n.saturating_sub(usize::from(ctl / 3 % 2));
    let mut buf = vec![0u8; len];
    let mut got = vec![0usize; max];
    let (mut nframes, mut total) = (0usize, 0usize);
    let bufp = if len == 0 && ctl & 8 != 0 { null_mut() } else { buf.as_mut_ptr().cast() };
    let st = checked(hb_socket_recv(rig.pair.1, 0, bufp, len, got.as_mut_ptr(), max, &mut nframes, &mut total));
    if st == HB_BUFFER_TOO_SMALL {
        assert_eq!((nframes, total), (n, data.len()), "the needed size");
        buf = vec![0u8; total];
        got = vec![0usize; nframes];
        let st = hb_socket_recv(rig.pair.1, 0, buf.as_mut_ptr().cast(), total, got.as_mut_ptr(), nframes, &mut nframes, &mut total);
        ok(st, "hb_socket_recv with the size it asked for");
    } else {
        ok(st, "hb_socket_recv");
    }
    sizes.truncate(nframes);
    assert_eq!((&buf[..total], &got[..nframes]), (data, &sizes[..]), "the message changed on its way");
}

/// Options by number with any bytes, on a fresh socket of any type.
fn options(ctl: u8, opt: &[u8]) {
    let (num, value) = opt.split_at(opt.len().min(1));
    let option = i32::from(num.first().copied().unwrap_or(0) % 128);
    let mut s = null_mut();
    ok(hb_socket_new(i32::from(ctl % 12), &mut s), "hb_socket_new");
    checked(hb_socket_setopt(s, option, value.as_ptr().cast(), value.len()));
    let mut buf = vec![0u8; usize::from(ctl % 16)];
    let mut need = 0usize;
    let st = checked(hb_socket_getopt(s, option, buf.as_mut_ptr().cast(), buf.len(), &mut need));
    if st == HB_BUFFER_TOO_SMALL {
        // `*out_len` is the size without the NUL a text option adds (documented).
        assert!(need + 1 > buf.len());
        buf = vec![0u8; need + 1];
        ok(hb_socket_getopt(s, option, buf.as_mut_ptr().cast(), buf.len(), &mut need), "hb_socket_getopt with the size it asked for");
    } else if st == HB_OK {
        assert!(need <= buf.len());
    }
    let mut v = 0i64;
    checked(hb_socket_getopt_int(s, option, &mut v));
    ok(hb_socket_free(s), "hb_socket_free");
}

fn task(rig: &Rig, ctl: u8, service: &[u8], body: &[u8], id: &[u8]) {
    let (service, id) = (cstring(service), cstring(id));
    let mut idbuf = vec![0 as c_char; usize::from(ctl) * 2];
    let mut need = 0usize;
    let st = checked(hb_task_client_submit(
        rig.task_client,
        service.as_ptr(),
        body.as_ptr().cast(),
        body.len(),
        idbuf.as_mut_ptr(),
        idbuf.len(),
        &mut need,
    ));
    assert!(st != HB_BUFFER_TOO_SMALL || need >= idbuf.len(), "{need} fits in {}", idbuf.len());
    checked(hb_task_client_submit_id(rig.task_client, id.as_ptr(), service.as_ptr(), body.as_ptr().cast(), body.len()));
    checked(hb_task_client_fetch(rig.task_client, id.as_ptr()));
    // Take what is done (errors from a broker with no worker), with a small
    // buffer first: an outcome that does not fit stays for the next call.
    let mut small = usize::from(ctl % 8);
    loop {
        let mut idb = [0 as c_char; 130];
        let mut buf = vec![0u8; small];
        let (mut idl, mut outcome, mut len) = (0usize, 0i32, 0usize);
        let st = checked(hb_task_client_next(
            rig.task_client,
            0,
            idb.as_mut_ptr(),
            idb.len(),
            &mut idl,
            &mut outcome,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut len,
        ));
        match st {
            HB_OK => assert!(len <= buf.len() && idl < idb.len()),
            HB_BUFFER_TOO_SMALL => {
                assert!(len > buf.len(), "{len} fits in {}", buf.len());
                small = len;
            }
            _ => break,
        }
    }
}

fn texts(ctl: u8, cap: &[u8]) {
    let cap = cstring(cap);
    let mut has = -1;
    match checked(hb_zmq_has(cap.as_ptr(), &mut has)) {
        HB_OK => assert!(has == 0 || has == 1),
        st => assert!(st == HB_INVALID_ARGUMENT && cap.to_str().is_err(), "{st:?}"),
    }
    let mut buf = vec![0 as c_char; usize::from(ctl % 24)];
    let mut need = 0usize;
    let st = checked(hb_status_name(i32::from(ctl as i8), buf.as_mut_ptr(), buf.len(), &mut need));
    assert!(st == HB_OK || (st == HB_BUFFER_TOO_SMALL && need >= buf.len()), "{st:?}");
}

static RIG: OnceLock<Mutex<Rig>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let rig = RIG.get_or_init(|| Mutex::new(Rig::new())).lock().unwrap_or_else(|e| e.into_inner());
    let f = hypobus_fuzz::frames(data);
    let frame = |i: usize| f.get(i).copied().unwrap_or(b"");
    let ctl = frame(0).first().copied().unwrap_or(0);
    broker_list(frame(1));
    catheti(&rig, frame(2), frame(3));
    texts(ctl, frame(4));
    message(&rig, ctl, frame(5));
    options(ctl, frame(6));
    task(&rig, ctl, frame(7), frame(8), frame(9));
});
