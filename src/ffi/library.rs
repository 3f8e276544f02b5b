//! The library-wide functions: versions, error text, status names, event
//! logs, and what applies to a handle of any kind (`hb_wake`,
//! `hb_handle_fd`).

use super::error::{ErrInfo, LAST_ERROR};
use super::*;
use std::ffi::{c_char, c_void};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::Instant;
use HbStatus::*;

/// Write the library version (e.g. `"0.1.0"`) into `buf`.
///
/// `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
/// (optional, may be NULL) receives its length without the NUL. `buf` may
/// be NULL when `len` is 0, to ask for the length.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written but an empty
/// string; `*out_len` = the length needed); `HB_INVALID_ARGUMENT` (`buf`
/// NULL with `len` > 0). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_version(buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_version", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        if out.skipped() {
            return Err(out.too_small(env!("CARGO_PKG_VERSION").len()));
        }
        out.put(env!("CARGO_PKG_VERSION"))
    })
}

/// Write the C ABI version of this library: `*major` =
/// `HB_ABI_VERSION_MAJOR`, `*minor` = `HB_ABI_VERSION_MINOR` (either may be
/// NULL). A binding checks that the major version is the one it was written
/// for, and that the minor version is at least the one it needs.
///
/// Always `HB_OK`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_abi_version(major: *mut u32, minor: *mut u32) -> HbStatus {
    ffi_entry!("hb_abi_version", {
        set_opt(major, HB_ABI_VERSION_MAJOR);
        set_opt(minor, HB_ABI_VERSION_MINOR);
        Ok(())
    })
}

/// Write the version of the libzmq inside this library (e.g. 4, 3, 5); any
/// pointer may be NULL. Always `HB_OK`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_zmq_version(major: *mut i32, minor: *mut i32, patch: *mut i32) -> HbStatus {
    ffi_entry!("hb_zmq_version", {
        let (a, b, c) = zmq::version();
        set_opt(major, a);
        set_opt(minor, b);
        set_opt(patch, c);
        Ok(())
    })
}

fn write_err(e: &ErrInfo, status: *mut i32, zmq_errno: *mut i32, out: &StrOut) -> FfiResult {
    set_opt(status, e.status as i32);
    set_opt(zmq_errno, e.errno);
    out.put(&e.msg)
}

/// Write the message of the last failed call made on this thread into `buf`
/// (an empty string if no call failed yet).
///
/// The message is kept per thread and replaced by each failing call;
/// successful calls leave it as it was. Reading it does not clear it, and
/// this function never changes it. It is shorter than `HB_ERROR_MAX` bytes.
/// A call that ran on another thread (a Node `.async` call, a thread pool):
/// read its failure with `hb_error_info` and the handle instead.
///
/// Same buffer rules as `hb_version`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_last_error(buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(quiet "hb_last_error", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        LAST_ERROR.with(|e| write_err(&e.borrow(), std::ptr::null_mut(), std::ptr::null_mut(), &out))
    })
}

/// The explanation of the last failed call made *on a handle* (from any
/// thread), or with `handle` NULL, of the last failed call made on this
/// thread: `*status` = its status, `*zmq_errno` = libzmq's errno when it
/// was a ZeroMQ failure (else 0), `buf` = the message (shorter than
/// `HB_ERROR_MAX` bytes). Any output may be NULL (`buf` only with `len` 0).
///
/// Made for calls that ran on a pool thread (koffi `.async`): the caller
/// reads the explanation of its own failure from the handle it used, on
/// whatever thread. If several threads fail on one handle at the same
/// time, it is the last one's.
///
/// Returns `HB_OK`; `HB_INVALID_HANDLE` (a handle that is not live: its
/// errors are gone with it); `HB_BUFFER_TOO_SMALL` (only `*out_len`, the
/// status and the errno are set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_error_info(
    handle: *const c_void,
    status: *mut i32,
    zmq_errno: *mut i32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(quiet "hb_error_info", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        if handle.is_null() {
            return LAST_ERROR.with(|e| write_err(&e.borrow(), status, zmq_errno, &out));
        }
        let h = get_dyn(handle.addr())?;
        let e = h.common().err.lock().unwrap_or_else(PoisonError::into_inner).clone();
        write_err(&e, status, zmq_errno, &out)
    })
}

/// Write the name of a status value (e.g. `"HB_TIMEOUT"`) into `buf`;
/// `"HB_UNKNOWN"` for a value that is not an `hb_status`.
///
/// Same buffer rules and statuses as `hb_version`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_status_name(status: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_status_name", {
        let name = HbStatus::from_i32(status).map_or("HB_UNKNOWN", HbStatus::name);
        StrOut::new(buf, len, out_len, "buf")?.put(name)
    })
}

/// `hb_log_enable` mode bit: log lines go to stderr.
pub const HB_LOG_STDERR: i32 = 1;
/// `hb_log_enable` mode bit: log lines are queued for `hb_log_next` (at
/// most 1024; older ones are dropped and a line says how many).
pub const HB_LOG_QUEUE: i32 = 2;

/// Set where the library's one-line event log goes, for the whole process:
/// `mode` = 0 (off, the default), `HB_LOG_STDERR`, `HB_LOG_QUEUE`, or both
/// (`HB_LOG_STDERR | HB_LOG_QUEUE`). Turning the queue off drops what is in
/// it.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` for other bits. Any thread; never
/// waits.
#[no_mangle]
pub extern "C" fn hb_log_enable(mode: i32) -> HbStatus {
    ffi_entry!("hb_log_enable", {
        if mode & !(HB_LOG_STDERR | HB_LOG_QUEUE) != 0 {
            return Err(Failure::arg(format!("mode must be a combination of HB_LOG_STDERR (1) and HB_LOG_QUEUE (2), not {mode}")));
        }
        crate::log::set_enabled(mode & HB_LOG_STDERR != 0);
        crate::log::set_queued(mode & HB_LOG_QUEUE != 0);
        Ok(())
    })
}

/// Take the oldest queued log line (see `HB_LOG_QUEUE`), waiting at most
/// `timeout_ms` (the timeout rule). The line, e.g. `"1764633600.123 op: lane
/// 1 serving"`, goes to `buf` (shorter than `HB_TEXT_MAX`), its length to
/// `*out_len` (optional).
///
/// Returns `HB_OK`; `HB_TIMEOUT` (no line); `HB_INTERRUPTED`;
/// `HB_BUFFER_TOO_SMALL` (the line is NOT taken; `*out_len` = its length);
/// `HB_INVALID_ARGUMENT` (`buf` NULL with `len` > 0, a negative
/// time-out). Any thread; waits for a line (the log queue's descriptor).
#[no_mangle]
pub extern "C" fn hb_log_next(timeout_ms: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_log_next", {
        let out = StrOut::new(buf, len, out_len, "buf")?;
        let deadline = deadline(timeout_ms)?;
        loop {
            match crate::log::take_line(|n| out.fits(n)) {
                Ok(Some(line)) => return out.put(&line),
                Err(n) => return Err(out.too_small(n)),
                Ok(None) => {}
            }
            if Instant::now() >= deadline {
                return Err(Failure::timeout(format!("no log line within {timeout_ms} ms")));
            }
            let fds: Vec<RawFd> = crate::log::queue_fd().into_iter().collect();
            sleep_on(None, &fds, deadline)?;
        }
    })
}

/// Write to `*fd` the descriptor that is readable while log lines are
/// queued (for an event loop: when readable, call `hb_log_next` with a zero
/// time-out until `HB_TIMEOUT`). It belongs to the library: do not read or
/// close it.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`fd` NULL); `HB_ZMQ` when the
/// system had no descriptor to give. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_log_fd(fd: *mut i32) -> HbStatus {
    ffi_entry!("hb_log_fd", {
        let out = Out::new(fd, "fd")?;
        out.set(crate::log::queue_fd().ok_or_else(|| Failure::new(HB_ZMQ, "no eventfd for the log queue"))?);
        Ok(())
    })
}

/// Wake the waits on a handle of any kind: an `hb_poll` or `hb_wait_any`
/// that includes it returns at once and reports it (`HB_POLLWAKE`), once
/// per call of this function. Made for a thread that must make a poll on
/// another thread look again (for example to change its set).
///
/// Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_wake(handle: *const c_void) -> HbStatus {
    ffi_entry!("hb_wake", {
        let h = get_dyn(handle.addr())?;
        h.common().wake_requested.store(true, Ordering::SeqCst);
        h.common().notifier.poke();
        Ok(())
    })
}

/// Write to `*fd` a file descriptor that becomes readable when the handle
/// may have something to take (a message, a request, an answer, an event,
/// a due resend or time-out) or was freed: for an event loop (libuv through
/// `koffi.node.poll`, asyncio `loop.add_reader`), so an idle program uses no
/// CPU. When it is readable, make the handle's taking call with a zero
/// time-out until it returns `HB_TIMEOUT` (`hb_socket_recv`,
/// `hb_client_next`, `hb_op_pull_recv`, `hb_failover_next_event`); the fd
/// may also wake when there turns out to be nothing, which is harmless.
/// Read nothing from it and do not close it: it belongs to the handle and
/// is closed when the handle is freed (stop watching it first). Each call
/// returns the same descriptor.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`fd` NULL, a handle kind with
/// nothing to wait for: broker, calc, op, proxy); `HB_INVALID_HANDLE`;
/// `HB_ZMQ`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_handle_fd(handle: *const c_void, fd: *mut i32) -> HbStatus {
    ffi_entry!(handle; "hb_handle_fd", {
        let out = Out::new(fd, "fd")?;
        let h = get_dyn(handle.addr())?;
        let c = h.common();
        let ep = c.epoll.get_or_try_init(|| -> Result<OwnedFd, Failure> {
            let Some(fds) = h.watch_fds()? else {
                return Err(Failure::arg(format!("{} handles have nothing to wait for, so no descriptor", h.tag().c_name())));
            };
            make_epoll(fds.into_iter().chain([c.notifier.fd()]))
        })?;
        out.set(ep.as_raw_fd());
        Ok(())
    })
}

/// An epoll descriptor that is readable while any of `fds` is.
fn make_epoll(fds: impl Iterator<Item = RawFd>) -> Result<OwnedFd, Failure> {
    let os = |what: &str| Failure::new(HB_ZMQ, format!("{what} failed: {}", std::io::Error::last_os_error()));
    // SAFETY: plain syscall; the result is checked.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(os("epoll_create1"));
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let ep = unsafe { OwnedFd::from_raw_fd(ep) };
    for fd in fds {
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
        // SAFETY: valid epoll and target descriptors; ev is a valid epoll_event.
        if unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
            return Err(os("epoll_ctl"));
        }
    }
    Ok(ep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::brokers::BrokerAddr;
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    fn last_error() -> String {
        let mut buf = [0 as c_char; HB_ERROR_MAX];
        let mut n = 0usize;
        assert_eq!(hb_last_error(buf.as_mut_ptr(), buf.len(), &mut n), HB_OK);
        // SAFETY: NUL-terminated by hb_last_error.
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string()
    }

    #[test]
    fn buffers_keep_nothing_half_written() {
        let mut buf = [b'x' as c_char; 3];
        let mut n = 0usize;
        assert_eq!(hb_version(buf.as_mut_ptr(), buf.len(), &mut n), HB_BUFFER_TOO_SMALL);
        assert_eq!(n, env!("CARGO_PKG_VERSION").len());
        assert_eq!(buf[0], 0, "a too-small buffer gets an empty string, not a cut text");
        assert!(last_error().contains("buffer too small"));
        assert_eq!(hb_version(null_mut(), 0, &mut n), HB_BUFFER_TOO_SMALL);
        assert_eq!(hb_version(null_mut(), 4, null_mut()), HB_INVALID_ARGUMENT);
        let mut big = [0 as c_char; 32];
        assert_eq!(hb_version(big.as_mut_ptr(), big.len(), null_mut()), HB_OK);
        assert_eq!(hb_status_name(1, big.as_mut_ptr(), big.len(), &mut n), HB_OK);
        assert_eq!(n, "HB_TIMEOUT".len());
        assert_eq!(hb_status_name(10, big.as_mut_ptr(), big.len(), &mut n), HB_OK);
        assert_eq!(n, "HB_INTERRUPTED".len());
    }

    #[test]
    fn error_text_is_capped() {
        let long = "é".repeat(HB_ERROR_MAX);
        let st = ffi_entry!("hb_test", { Err(Failure::arg(long.clone())) });
        assert_eq!(st, HB_INVALID_ARGUMENT);
        let e = last_error();
        assert!(e.len() < HB_ERROR_MAX && e.len() > HB_ERROR_MAX - 4, "{}", e.len());
        let (mut s, mut errno) = (0, -1);
        let mut buf = [0 as c_char; HB_ERROR_MAX];
        assert_eq!(hb_error_info(null(), &mut s, &mut errno, buf.as_mut_ptr(), buf.len(), null_mut()), HB_OK);
        assert_eq!((s, errno), (HB_INVALID_ARGUMENT as i32, 0));
    }

    #[test]
    fn panics_stop_at_the_boundary() {
        let st = ffi_entry!("hb_test", {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            Ok(())
        });
        assert_eq!(st, HB_PANIC);
        assert_eq!(last_error(), "internal error (panic) in hb_test: boom");
    }

    #[test]
    fn timeout_rule() {
        assert!(deadline(0).is_ok());
        assert_eq!(deadline(-1).unwrap_err().status, HB_INVALID_ARGUMENT);
    }

    #[test]
    fn sized_structs() {
        #[repr(C)]
        #[derive(Clone, Copy)]
        struct S {
            size: u32,
            _r: u32,
            a: u64,
            b: u64,
        }
        // An older caller knows only `a`.
        #[repr(C)]
        struct Old {
            size: u32,
            _r: u32,
            a: u64,
        }
        let mut old = [Old { size: std::mem::size_of::<Old>() as u32, _r: 0, a: 0 }, Old { size: 0xdead, _r: 0, a: 0xdead }];
        put_sized(old.as_mut_ptr().cast::<S>(), S { size: 0, _r: 0, a: 7, b: 9 }, "out").unwrap();
        assert_eq!((old[0].size, old[0].a), (16, 7));
        assert_eq!((old[1].size, old[1].a), (0xdead, 0xdead), "nothing past the caller's struct is written");
        let mut zero = S { size: 0, _r: 0, a: 0, b: 0 };
        assert_eq!(put_sized(&mut zero, zero, "out").unwrap_err().status, HB_INVALID_ARGUMENT);
    }

    #[test]
    fn handles_and_brokers() {
        assert!(brokers_arg(null()).unwrap() == vec![BrokerAddr::default()]);
        let b = c"h:1:2, k".as_ptr();
        assert_eq!(brokers_arg(b).unwrap().len(), 2);
        assert_eq!(brokers_arg(c"h:1".as_ptr()).unwrap_err().status, HB_CONFIG);
        assert_eq!(number_arg(c"abc".as_ptr(), 'a').unwrap_err().status, HB_INVALID_ARGUMENT);
        assert_eq!(hb_wake(std::ptr::without_provenance(0x42)), HB_INVALID_HANDLE);
    }
}
