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
    /// Options of a context the crate made (`hb_context_set/get`).
    pub fn zmq_ctx_set(ctx: *mut c_void, option: c_int, value: c_int) -> c_int;
    pub fn zmq_ctx_get(ctx: *mut c_void, option: c_int) -> c_int;
}

/// Remove a socket's monitor (NULL endpoint = stop monitoring, libzmq API).
pub fn stop_monitor(sock: &mut zmq::Socket) {
    // SAFETY: a live socket handle; NULL endpoint is documented by libzmq.
    unsafe {
        zmq_socket_monitor(sock.as_mut_ptr(), std::ptr::null(), 0);
    }
}

// ---------------------------------------------------------------- generic sockets
// Raw calls for `crate::socket` and `crate::proxy`: they report libzmq's errno
// as a number (the `zmq` crate panics on an errno it does not know, e.g.
// EAFNOSUPPORT from a connect), and messages are received into reusable
// `zmq_msg_t`s without a Rust allocation.

extern "C" {
    pub fn zmq_bind(s: *mut c_void, addr: *const c_char) -> c_int;
    pub fn zmq_unbind(s: *mut c_void, addr: *const c_char) -> c_int;
    pub fn zmq_connect(s: *mut c_void, addr: *const c_char) -> c_int;
    pub fn zmq_disconnect(s: *mut c_void, addr: *const c_char) -> c_int;
    pub fn zmq_send(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int;
    pub fn zmq_strerror(errnum: c_int) -> *const c_char;
    fn zmq_msg_init(msg: *mut Msg) -> c_int;
    fn zmq_msg_init_size(msg: *mut Msg, size: usize) -> c_int;
    fn zmq_msg_close(msg: *mut Msg) -> c_int;
    fn zmq_msg_recv(msg: *mut Msg, s: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_send(msg: *mut Msg, s: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_data(msg: *mut Msg) -> *mut c_void;
    fn zmq_msg_size(msg: *const Msg) -> usize;
    fn zmq_msg_more(msg: *const Msg) -> c_int;
    fn zmq_msg_gets(msg: *const Msg, property: *const c_char) -> *const c_char;
}

/// libzmq's text for an errno (its own codes such as EFSM, and the system's).
pub fn strerror(errno: i32) -> String {
    // SAFETY: zmq_strerror returns a static NUL-terminated string for any value.
    let p = unsafe { zmq_strerror(errno) };
    if p.is_null() {
        return format!("error {errno}");
    }
    // SAFETY: non-NULL, NUL-terminated, static.
    unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The calling thread's libzmq errno (right after a failed call).
pub fn errno() -> i32 {
    // SAFETY: plain libzmq call.
    unsafe { zmq_errno() }
}

/// One ZeroMQ message frame (`zmq_msg_t`), reusable: receiving into it
/// replaces its content. Small frames (up to 33 bytes) live inside it, so a
/// reused `Msg` receives them with no allocation at all.
#[repr(C, align(8))]
pub struct Msg {
    raw: [u8; 64],
}

// SAFETY: a zmq_msg_t is plain data owned by this value (its content, if
// any, is reference-counted by libzmq with atomics), like `zmq::Message`.
unsafe impl Send for Msg {}

impl Default for Msg {
    fn default() -> Msg {
        Msg::new()
    }
}

impl Msg {
    /// An empty frame.
    pub fn new() -> Msg {
        let mut m = Msg { raw: [0; 64] };
        // SAFETY: initializes the zmq_msg_t in place; never fails for an empty message.
        unsafe { zmq_msg_init(&mut m) };
        m
    }

    /// A frame holding a copy of `data`.
    pub fn from_slice(data: &[u8]) -> Msg {
        let mut m = Msg { raw: [0; 64] };
        // SAFETY: initializes in place; on failure (out of memory) fall back to empty.
        if unsafe { zmq_msg_init_size(&mut m, data.len()) } != 0 {
            // SAFETY: as above.
            unsafe { zmq_msg_init(&mut m) };
            return m;
        }
        if !data.is_empty() {
            // SAFETY: the message holds data.len() writable bytes.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), zmq_msg_data(&mut m).cast::<u8>(), data.len()) };
        }
        m
    }

    /// Receive the next frame from `sock` (a live libzmq socket) into this
    /// message, replacing its content; returns its length. Err = libzmq's errno.
    ///
    /// # Safety
    /// `sock` must be a live socket used by no other thread during the call.
    pub unsafe fn recv(&mut self, sock: *mut c_void, flags: i32) -> Result<usize, i32> {
        let n = zmq_msg_recv(self, sock, flags);
        if n < 0 {
            return Err(errno());
        }
        // libzmq returns the size, capped at INT_MAX.
        Ok(if n == c_int::MAX { self.len() } else { n as usize })
    }

    /// Send this frame on `sock`; on success the message is left empty.
    ///
    /// # Safety
    /// `sock` must be a live socket used by no other thread during the call.
    pub unsafe fn send(&mut self, sock: *mut c_void, flags: i32) -> Result<(), i32> {
        if zmq_msg_send(self, sock, flags) < 0 {
            return Err(errno());
        }
        Ok(())
    }

    /// Whether more frames of the same message follow this one.
    pub fn more(&self) -> bool {
        // SAFETY: an initialized message.
        unsafe { zmq_msg_more(self) != 0 }
    }

    /// A metadata property of a received frame (`zmq_msg_gets`:
    /// "User-Id", "Peer-Address", "Socket-Type", ZAP's own), if it has it.
    pub fn gets(&self, property: &std::ffi::CStr) -> Option<String> {
        // SAFETY: an initialized message; a NUL-terminated name.
        let p = unsafe { zmq_msg_gets(self, property.as_ptr()) };
        // SAFETY: non-NULL: a NUL-terminated string owned by the message's metadata.
        (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        // SAFETY: an initialized message.
        unsafe { zmq_msg_size(self) }
    }

    /// True for an empty frame.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frame's bytes.
    pub fn bytes(&mut self) -> &[u8] {
        let n = self.len();
        if n == 0 {
            return &[];
        }
        // SAFETY: data() points to size() readable bytes owned by the message,
        // valid while it is not changed (the borrow of self).
        unsafe { std::slice::from_raw_parts(zmq_msg_data(self).cast::<u8>(), n) }
    }

    /// Pointer to the frame's bytes (valid while the message is not changed).
    pub fn data_ptr(&mut self) -> *const u8 {
        // SAFETY: an initialized message.
        unsafe { zmq_msg_data(self).cast::<u8>() }
    }

    /// Drop the content (free a large buffer now rather than at the next receive).
    pub fn clear(&mut self) {
        // SAFETY: close then re-init an initialized message.
        unsafe {
            zmq_msg_close(self);
            zmq_msg_init(self);
        }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: an initialized message, closed once.
        unsafe { zmq_msg_close(self) };
    }
}
