//! Helpers for the tests that drive the generic sockets through the C ABI
//! (tests/socket.rs, tests/socket_many.rs, tests/proxy.rs).
#![allow(dead_code)]

use hypobus::ffi::socket::*;
use hypobus::ffi::{hb_error_info, HbStatus, HbStatus::*};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::null_mut;

pub type S = *mut HbSocket;

pub fn new(t: i32) -> S {
    let mut s = null_mut();
    assert_eq!(hb_socket_new(t, &mut s), HB_OK);
    assert!(!s.is_null());
    s
}

pub fn err(h: *const c_void) -> (HbStatus, i32, String) {
    let (mut st, mut errno) = (0, 0);
    let mut buf = [0 as c_char; 512];
    assert_eq!(hb_error_info(h, &mut st, &mut errno, buf.as_mut_ptr(), buf.len(), null_mut()), HB_OK);
    // SAFETY: NUL-terminated by hb_error_info.
    let msg = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
    let st = HbStatus::from_i32(st).expect("a status of the header");
    (st, errno, msg)
}

pub fn serr(s: S) -> (HbStatus, i32, String) {
    err(s as *const c_void)
}

pub fn bind(s: S, ep: &str) -> String {
    let c = CString::new(ep).unwrap();
    let mut buf = [0 as c_char; 256];
    let mut n = 0;
    assert_eq!(hb_socket_bind(s, c.as_ptr(), buf.as_mut_ptr(), buf.len(), &mut n), HB_OK, "{:?}", serr(s));
    // SAFETY: NUL-terminated.
    let got = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string();
    assert_eq!(got.len(), n);
    got
}

pub fn connect(s: S, ep: &str) {
    let c = CString::new(ep).unwrap();
    assert_eq!(hb_socket_connect(s, c.as_ptr()), HB_OK, "{:?}", serr(s));
}

/// A bound and a connected socket over loopback TCP.
pub fn tcp_pair(a: i32, b: i32) -> (S, S) {
    let x = new(a);
    let y = new(b);
    let ep = bind(x, "tcp://127.0.0.1:*");
    connect(y, &ep);
    (x, y)
}

pub fn send(s: S, frames: &[&[u8]], flags: i32, timeout_ms: i32) -> HbStatus {
    let data: Vec<u8> = frames.concat();
    let sizes: Vec<usize> = frames.iter().map(|f| f.len()).collect();
    hb_socket_send(s, data.as_ptr().cast(), sizes.as_ptr(), sizes.len(), flags, timeout_ms)
}

pub fn send_ok(s: S, frames: &[&[u8]]) {
    assert_eq!(send(s, frames, 0, 5000), HB_OK, "{:?}", serr(s));
}

pub fn recv(s: S, timeout_ms: i32) -> Result<Vec<Vec<u8>>, HbStatus> {
    let mut buf = vec![0u8; 65536];
    let mut sizes = [0usize; 64];
    let (mut n, mut total) = (0, 0);
    let st = hb_socket_recv(s, timeout_ms, buf.as_mut_ptr().cast(), buf.len(), sizes.as_mut_ptr(), sizes.len(), &mut n, &mut total);
    if st != HB_OK {
        return Err(st);
    }
    let mut out = Vec::new();
    let mut off = 0;
    for &z in &sizes[..n] {
        out.push(buf[off..off + z].to_vec());
        off += z;
    }
    assert_eq!(off, total);
    Ok(out)
}

pub fn recv_ok(s: S) -> Vec<Vec<u8>> {
    recv(s, 5000).unwrap_or_else(|st| panic!("recv: {st:?} {:?}", serr(s)))
}

pub fn free(s: S) {
    assert_eq!(hb_socket_free(s), HB_OK);
}

pub fn frames(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

pub fn addr(s: S) -> usize {
    s as usize
}

pub fn sock(a: usize) -> S {
    a as S
}
