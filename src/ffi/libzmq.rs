//! Library-wide facts about the libzmq inside libhypobus (ABI 1.2): its
//! text for an error number, its capabilities, and the options of the
//! process's ZeroMQ context. What a binding needs to mirror another ZeroMQ
//! binding's API: zeromq.js's error messages, `zmq.capability`,
//! `zmq.context` and v5's `Context.setMaxThreads()`.

use super::{ffi_entry, str_arg, Failure, HbStatus, HbStatus::*, Out, StrOut};
use std::ffi::{c_char, c_int, c_void, CStr};

use crate::sys::libzmq::{zmq_ctx_get, zmq_ctx_set};

/// libzmq's `ZMQ_IO_THREADS`, to check that [`process_ctx`] is the crate's context.
const ZMQ_IO_THREADS: c_int = 1;

// The `zmq` crate (0.10, pinned in Cargo.lock) gives no access to a
// context's `void *`: `Context` is `struct Context { raw: Arc<RawContext> }`
// with `struct RawContext { ctx: *mut c_void }`. So the pointer is read
// through that layout, and checked against the crate's own getter before use.
const _: () = assert!(std::mem::size_of::<zmq::Context>() == std::mem::size_of::<std::sync::Arc<*mut c_void>>());

/// The `void *` of the process's context (`crate::sys::ctx::context()`, which
/// lives until the process ends).
fn process_ctx() -> Result<*mut c_void, Failure> {
    let ctx = crate::sys::ctx::context();
    // SAFETY: `zmq::Context` is one `Arc` of a struct holding only the
    // context pointer (see above; the sizes are checked at compile time),
    // so it reads as an `Arc<*mut c_void>`; `ctx` is alive for the read.
    let raw = unsafe { **(&ctx as *const zmq::Context).cast::<std::sync::Arc<*mut c_void>>() };
    // SAFETY: libzmq checks the context's tag before reading it.
    let threads = unsafe { zmq_ctx_get(raw, ZMQ_IO_THREADS) };
    if raw.is_null() || ctx.get_io_threads().ok() != Some(threads) {
        return Err(Failure::new(HB_PANIC, "cannot reach the process's ZeroMQ context (the zmq crate's layout changed)"));
    }
    Ok(raw)
}

/// Write libzmq's text for the error number `errnum` into `buf`: what
/// `zmq_strerror` gives, libzmq's own wording for its errors ("Host
/// unreachable" for `EHOSTUNREACH`, "Operation cannot be accomplished in
/// current state" for `EFSM`, "Address already in use"...) and the C
/// library's for the others. `hb_error_info` gives the errno of a failure.
///
/// Same buffer rules and statuses as `hb_version`. Since ABI 1.2. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_strerror(errnum: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_strerror", {
        // SAFETY: zmq_strerror returns a static NUL-terminated string for any number.
        let text = unsafe { CStr::from_ptr(crate::sys::libzmq::zmq_strerror(errnum)) }.to_string_lossy();
        StrOut::new(buf, len, out_len, "buf")?.put(&text)
    })
}

/// `*out` = 1 if the libzmq inside the library has `capability`, else 0,
/// as `zmq_has`: `"ipc"`, `"pgm"`, `"tipc"`, `"norm"`, `"curve"`,
/// `"gssapi"`, `"draft"` (any other name is 0).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`capability` or `out` NULL,
/// `capability` not UTF-8). Since ABI 1.2. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_zmq_has(capability: *const c_char, out: *mut i32) -> HbStatus {
    ffi_entry!("hb_zmq_has", {
        let what = str_arg(capability, "capability")?;
        let out = Out::new(out, "out")?;
        out.set(i32::from(zmq::has(what) == Some(true)));
        Ok(())
    })
}

/// Set an option of the process's ZeroMQ context (the one the generic
/// sockets and the roles of the process share), as `zmq_ctx_set`:
/// `option` is libzmq's number (`ZMQ_IO_THREADS` 1, `ZMQ_MAX_SOCKETS` 2,
/// `ZMQ_THREAD_PRIORITY` 3, `ZMQ_THREAD_SCHED_POLICY` 4, `ZMQ_MAX_MSGSZ` 5,
/// `ZMQ_IPV6` 42, `ZMQ_BLOCKY` 70, ...). As in libzmq, the I/O threads,
/// the socket limit and the thread settings take effect when the context
/// starts (its first socket); a value set later is kept and read back by
/// `hb_context_get` but changes nothing. The process's context is never
/// terminated.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (an option or value libzmq
/// refuses; `hb_error_info` gives its errno, `EINVAL`). Since ABI 1.2. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_context_set(option: i32, value: i32) -> HbStatus {
    ffi_entry!("hb_context_set", {
        let ctx = process_ctx()?;
        // SAFETY: a live context (the process's, never terminated).
        if unsafe { zmq_ctx_set(ctx, option, value) } != 0 {
            // SAFETY: reads this thread's errno.
            let errno = unsafe { crate::sys::libzmq::zmq_errno() };
            return Err(Failure {
                status: HB_INVALID_ARGUMENT,
                errno,
                msg: format!("context option {option} cannot be set to {value}").into(),
            });
        }
        Ok(())
    })
}

/// `*value` = an option of the process's ZeroMQ context, as `zmq_ctx_get`
/// (`ZMQ_IO_THREADS` 1, `ZMQ_MAX_SOCKETS` 2, `ZMQ_SOCKET_LIMIT` 3,
/// `ZMQ_MAX_MSGSZ` 5, `ZMQ_MSG_T_SIZE` 6, `ZMQ_IPV6` 42, `ZMQ_BLOCKY`
/// 70, ...; see `hb_context_set`).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`value` NULL, an option libzmq
/// does not know: errno `EINVAL`). Since ABI 1.2. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_context_get(option: i32, value: *mut i32) -> HbStatus {
    ffi_entry!("hb_context_get", {
        let out = Out::new(value, "value")?;
        let ctx = process_ctx()?;
        // SAFETY: a live context (the process's, never terminated).
        let v = unsafe { zmq_ctx_get(ctx, option) };
        if v < 0 {
            // SAFETY: reads this thread's errno.
            let errno = unsafe { crate::sys::libzmq::zmq_errno() };
            return Err(Failure { status: HB_INVALID_ARGUMENT, errno, msg: format!("unknown context option {option}").into() });
        }
        out.set(v);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::ptr::null_mut;

    fn strerror(n: i32) -> String {
        let mut buf = [0 as c_char; 128];
        assert_eq!(hb_strerror(n, buf.as_mut_ptr(), buf.len(), null_mut()), HB_OK);
        // SAFETY: NUL-terminated by hb_strerror.
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string()
    }

    #[test]
    fn libzmq_texts() {
        assert_eq!(strerror(libc::EHOSTUNREACH), "Host unreachable");
        assert_eq!(strerror(libc::EADDRINUSE), "Address already in use");
        assert_eq!(strerror(156384763), "Operation cannot be accomplished in current state"); // EFSM
        assert_eq!(strerror(libc::EAGAIN), "Resource temporarily unavailable");
        let mut tiny = [0 as c_char; 4];
        let mut n = 0;
        assert_eq!(hb_strerror(libc::EHOSTUNREACH, tiny.as_mut_ptr(), tiny.len(), &mut n), HB_BUFFER_TOO_SMALL);
        assert_eq!(n, "Host unreachable".len());
    }

    #[test]
    fn capabilities() {
        let mut v = -1;
        assert_eq!(hb_zmq_has(c"ipc".as_ptr(), &mut v), HB_OK);
        assert_eq!(v, 1, "the vendored libzmq has ipc on Linux");
        assert_eq!(hb_zmq_has(c"no-such-thing".as_ptr(), &mut v), HB_OK);
        assert_eq!(v, 0);
        assert_eq!(hb_zmq_has(std::ptr::null(), &mut v), HB_INVALID_ARGUMENT);
        assert_eq!(hb_zmq_has(c"ipc".as_ptr(), null_mut()), HB_INVALID_ARGUMENT);
    }

    #[test]
    fn the_process_context() {
        // The options are the process context's: what the zmq crate reads
        // back from it (io threads set to what it was, so nothing changes).
        let mut threads = 0;
        assert_eq!(hb_context_get(1, &mut threads), HB_OK);
        assert_eq!(crate::sys::ctx::context().get_io_threads().unwrap(), threads);
        assert_eq!(hb_context_set(1, threads), HB_OK);
        let mut max = 0;
        assert_eq!(hb_context_get(2, &mut max), HB_OK);
        assert!(max >= 1, "{max}");
        assert_eq!(hb_context_set(2, max), HB_OK);
        let mut limit = 0;
        assert_eq!(hb_context_get(3, &mut limit), HB_OK);
        assert!(limit >= max, "{limit} {max}");
        assert_eq!(hb_context_set(2, -5), HB_INVALID_ARGUMENT);
        let (mut st, mut errno) = (0, 0);
        assert_eq!(crate::ffi::hb_error_info(std::ptr::null(), &mut st, &mut errno, null_mut(), 0, null_mut()), HB_OK);
        assert_eq!((st, errno), (HB_INVALID_ARGUMENT as i32, libc::EINVAL));
        assert_eq!(hb_context_get(12345, &mut max), HB_INVALID_ARGUMENT);
        assert_eq!(hb_context_get(1, null_mut()), HB_INVALID_ARGUMENT);
    }
}
