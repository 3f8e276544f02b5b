//! Socket options by libzmq number, typed by the option table of `crate::socket`.

use super::super::set_opt;
use super::super::{ffi_entry, Failure, HbStatus, Out};
use super::*;
use std::ffi::c_void;

/// Set option `option` (libzmq's number, e.g. `HB_SUBSCRIBE`,
/// `HB_ROUTING_ID`, `HB_LINGER`) from `len` raw bytes at `value`, as
/// `zmq_setsockopt` takes them: an int option takes exactly 4 bytes (a C
/// `int`), `HB_MAXMSGSIZE` and `HB_AFFINITY` 8; bytes and text options
/// (subscriptions, routing ids, names) any bytes, NUL bytes included
/// (`value` may be NULL with `len` 0: e.g. subscribe to everything).
/// For integers `hb_socket_setopt_int` is simpler.
///
/// `HB_RCVTIMEO`/`HB_SNDTIMEO` are stored and readable, but the calls of
/// this library take their own `timeout_ms` (bindings pass them on).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (unknown option number, a
/// read-only option, a wrong length, a value libzmq refuses or an option
/// this socket type does not have: errno `EINVAL`, the message names the
/// option); `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_setopt(s: *const HbSocket, option: i32, value: *const c_void, len: usize) -> HbStatus {
    ffi_entry!(s; "hb_socket_setopt", {
        let slot = sock(s)?;
        let v = crate::ffi::bytes_arg(value, len, "value")?;
        slot.with(|s| s.set_option(option, v))
    })
}

/// Set an integer option (any of libzmq's int, int64 or uint64 options) to
/// `value`, converted to the option's C type; a value that does not fit it
/// (above `INT_MAX` for an int option, negative for a uint64 one) is refused.
///
/// Returns as `hb_socket_setopt`; `HB_INVALID_ARGUMENT` also for a bytes
/// or text option. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_setopt_int(s: *const HbSocket, option: i32, value: i64) -> HbStatus {
    ffi_entry!(s; "hb_socket_setopt_int", {
        let slot = sock(s)?;
        slot.with(|s| s.set_option_int(option, value))
    })
}

/// Read option `option` into `buf` (`len` bytes): bytes options (e.g.
/// `HB_ROUTING_ID`) as their bytes, `*out_len` = their count; text options
/// (`HB_LAST_ENDPOINT`, CURVE keys as Z85) with a NUL added, `*out_len` =
/// the length without it; int options as their raw C value (4 or 8 bytes).
/// `*out_len` is optional; `buf` may be NULL with `len` 0 (a size query).
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written, `*out_len` =
/// the size needed, without the NUL of a text); `HB_INVALID_ARGUMENT`
/// (unknown or write-only option, such as `HB_SUBSCRIBE`: errno `EINVAL`);
/// `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_getopt(s: *const HbSocket, option: i32, buf: *mut c_void, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(s; "hb_socket_getopt", {
        let slot = sock(s)?;
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("buf is NULL but its length is {len}")));
        }
        let v = slot.with(|s| s.option(option))?;
        let b = v.bytes();
        let need = b.len() + usize::from(v.text);
        if buf.is_null() || len < need {
            set_opt(out_len, b.len());
            return Err(Failure::new(
                HbStatus::HB_BUFFER_TOO_SMALL,
                format!("buffer too small for option {option}: {need} bytes needed, {len} given"),
            ));
        }
        // SAFETY: buf holds len >= need writable bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), buf.cast::<u8>(), b.len());
            if v.text {
                buf.cast::<u8>().add(b.len()).write(0);
            }
        }
        set_opt(out_len, b.len());
        Ok(())
    })
}

/// Read an integer option (int, int64 or uint64) into `*value`.
/// `HB_EVENTS` is what `hb_socket_events` returns.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`value` NULL, an unknown,
/// write-only or non-integer option); `HB_INVALID_HANDLE`; `HB_BUSY`.
/// Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_getopt_int(s: *const HbSocket, option: i32, value: *mut i64) -> HbStatus {
    ffi_entry!(s; "hb_socket_getopt_int", {
        let slot = sock(s)?;
        let out = Out::new(value, "value")?;
        out.set(slot.with(|s| s.option_int(option))?);
        Ok(())
    })
}

/// The metadata property `name` of the last message this socket handed
/// out (libzmq's `zmq_msg_gets`), as text into `buf` (`len` bytes, rules
/// of `hb_version`): `"User-Id"` (set by the ZAP handler: a CURVE client's
/// public key in Z85, a PLAIN user name), `"Peer-Address"`,
/// `"Socket-Type"`, `"Routing-Id"`, and any property the ZAP handler
/// added. Ask before the next receive: only the last message's metadata
/// is kept.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`name` NULL; the message has no
/// such property; no message handed out yet, or its first frame was over
/// 64 KiB: the message says which);
/// `HB_BUFFER_TOO_SMALL`; `HB_INVALID_HANDLE`; `HB_BUSY`. Since ABI 1.4.
/// Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_msg_property(
    s: *const HbSocket,
    name: *const std::ffi::c_char,
    buf: *mut std::ffi::c_char,
    len: usize,
    out_len: *mut usize,
) -> HbStatus {
    ffi_entry!(s; "hb_socket_msg_property", {
        let slot = sock(s)?;
        let name = crate::ffi::str_arg(name, "name")?;
        let out = crate::ffi::StrOut::new(buf, len, out_len, "buf")?;
        out.put(&slot.with(|s| s.msg_property(name))?)
    })
}
