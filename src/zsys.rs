//! The few raw libzmq calls the `zmq` crate does not expose the way we need
//! them (from the libzmq that the crate builds and links). Nothing here is
//! part of the C API of libhypobus.

use std::ffi::{c_char, c_int, c_void};

extern "C" {
    /// The crate's `monitor()` cannot pass NULL, and an empty endpoint does not stop a monitor.
    pub fn zmq_socket_monitor(s: *mut c_void, addr: *const c_char, events: c_int) -> c_int;
    /// Options by number, for the generic sockets (any option libzmq knows).
    pub fn zmq_setsockopt(s: *mut c_void, option: c_int, value: *const c_void, len: usize) -> c_int;
    pub fn zmq_getsockopt(s: *mut c_void, option: c_int, value: *mut c_void, len: *mut usize) -> c_int;
    pub fn zmq_errno() -> c_int;
}

/// Remove a socket's monitor (NULL endpoint = stop monitoring, libzmq API).
pub fn stop_monitor(sock: &mut zmq::Socket) {
    // SAFETY: a live socket handle; NULL endpoint is documented by libzmq.
    unsafe {
        zmq_socket_monitor(sock.as_mut_ptr(), std::ptr::null(), 0);
    }
}
