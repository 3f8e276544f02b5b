//! Sending and receiving whole messages: one message or several per call, the hot path first.

use super::super::{ffi_entry, wait_until, Failure, FfiResult, HbStatus, Out, Step};
use super::super::{read_whole, set_opt, HB_POLLIN, HB_POLLOUT};
use super::*;
use crate::socket::Recv;
use std::ffi::c_void;

/// Send one message, or one part of a message, in ONE call: `nframes`
/// frames (at least 1) whose bytes lie one after the other in `data`, the
/// size of frame i in `sizes[i]` (frames may hold NUL bytes, and be empty;
/// `data` may be NULL when every size is 0).
///
/// `flags`: 0, or `HB_SNDMORE` = the message goes on with the next
/// `hb_socket_send` call (pyzmq's `send(x, SNDMORE)`); `HB_DONTWAIT` = do
/// not wait (like `timeout_ms` 0).
///
/// Waits for room up to `timeout_ms` (the timeout rule; 0 = libzmq's
/// `ZMQ_DONTWAIT`: no room now is `HB_TIMEOUT`, libzmq's `EAGAIN`). Only the
/// first frame of a message can be refused for room (libzmq then takes the
/// rest), so a call sends all its frames or none.
///
/// Returns `HB_OK`; `HB_TIMEOUT` (no room: nothing was sent); `HB_ZMQ` with
/// libzmq's errno in `hb_error_info` (`EFSM`: a REQ socket sending twice
/// without a reply between; `EHOSTUNREACH`: `HB_ROUTER_MANDATORY` and no
/// peer with that routing id; `ENOTSUP`: a SUB or PULL socket cannot
/// send); `HB_INVALID_ARGUMENT` (NULL `sizes` or `data`, `nframes` 0, an
/// unknown flag, a negative time-out); `HB_INTERRUPTED`; `HB_STOPPED` (the
/// socket was freed meanwhile); `HB_INVALID_HANDLE`; `HB_BUSY`. Any
/// thread; waits for room without holding the socket.
#[no_mangle]
pub extern "C" fn hb_socket_send(
    s: *const HbSocket,
    data: *const c_void,
    sizes: *const usize,
    nframes: usize,
    flags: i32,
    timeout_ms: i32,
) -> HbStatus {
    ffi_entry!(s; "hb_socket_send", {
        let slot = sock(s)?;
        check_timeout(timeout_ms)?;
        if flags & !(HB_SNDMORE | HB_DONTWAIT) != 0 {
            return Err(Failure::arg(format!("bad flags {flags:#x}: only HB_SNDMORE (2) and HB_DONTWAIT (1)")));
        }
        if nframes == 0 || sizes.is_null() {
            return Err(Failure::arg("a message needs at least one frame: sizes is NULL or nframes is 0"));
        }
        // SAFETY: the caller passes nframes sizes.
        let sizes = unsafe { std::slice::from_raw_parts(sizes, nframes) };
        let mut total = 0usize;
        for &n in sizes {
            total = total.checked_add(n).ok_or_else(|| Failure::arg("frame sizes overflow"))?;
        }
        let data = crate::ffi::bytes_arg(data, total, "data")?;
        let more = flags & HB_SNDMORE != 0;
        let timeout_ms = if flags & HB_DONTWAIT != 0 { 0 } else { timeout_ms };
        let c = &slot.common;
        {
            let mut g = slot.lock()?;
            if g.sock()?.try_send(data, sizes, more).map_err(fail)? {
                return slot.settle(&mut g, c, false, None);
            }
        }
        let _in = InLoop::enter(&slot.waits);
        wait_until(c, timeout_ms, "room to send", |fds| {
            let mut g = slot.lock()?;
            let s = g.sock()?;
            for _ in 0..2 {
                if s.try_send(data, sizes, more).map_err(fail)? {
                    slot.settle(&mut g, c, true, None)?;
                    return Ok(Step::Ready(()));
                }
                // libzmq's send processes commands only now and then: read
                // ZMQ_EVENTS (which processes them all) before sleeping.
                let ev = s.events().map_err(fail)?;
                if ev & HB_POLLOUT == 0 {
                    slot.settle(&mut g, c, true, Some(ev))?;
                    break;
                }
            }
            fds.push(slot.zfd);
            Ok(Step::Wait(None))
        })
    })
}

/// Receive one WHOLE message (every frame of a multipart message) in ONE
/// call: the frames are written one after the other into `buf` (`len`
/// bytes), the size of frame i into `sizes[i]` (room for `max_frames`),
/// the number of frames into `*nframes` and the bytes in all into `*total`
/// (both optional).
///
/// Output that does not fit is never lost: if `len` or `max_frames` is too
/// small, the call returns `HB_BUFFER_TOO_SMALL` with `*total` and
/// `*nframes` set to what is needed, and the message is KEPT in the socket:
/// the next `hb_socket_recv` returns it first. `buf` NULL with `len` 0 is a
/// size query: it always returns `HB_BUFFER_TOO_SMALL` with the shape of
/// the next message and keeps it (`sizes` may be NULL when `max_frames` is 0).
///
/// Waits for a message up to `timeout_ms` (the timeout rule; 0 = take what
/// is there now).
///
/// Returns `HB_OK`; `HB_TIMEOUT` (no message); `HB_BUFFER_TOO_SMALL`;
/// `HB_ZMQ` (`EFSM`: a REQ socket receiving before it sent, `ENOTSUP`: a
/// PUB or PUSH socket cannot receive); `HB_INVALID_ARGUMENT` (`buf` NULL
/// with `len` > 0, `sizes` NULL with `max_frames` > 0, a negative
/// time-out); `HB_INTERRUPTED`; `HB_STOPPED` (freed meanwhile);
/// `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; waits for a message without
/// holding the socket (other threads may send on it meanwhile).
#[no_mangle]
pub extern "C" fn hb_socket_recv(
    s: *const HbSocket,
    timeout_ms: i32,
    buf: *mut c_void,
    len: usize,
    sizes: *mut usize,
    max_frames: usize,
    nframes: *mut usize,
    total: *mut usize,
) -> HbStatus {
    ffi_entry!(s; "hb_socket_recv", {
        let slot = sock(s)?;
        check_timeout(timeout_ms)?;
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("buf is NULL but its length is {len}")));
        }
        if sizes.is_null() && max_frames > 0 {
            return Err(Failure::arg(format!("sizes is NULL but max_frames is {max_frames}")));
        }
        let mut bufs: Option<(&mut [u8], &mut [usize])> = if buf.is_null() {
            None
        } else {
            // SAFETY: the caller passes len writable bytes at buf and
            // max_frames writable sizes (or NULL with 0).
            let b = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
            let z: &mut [usize] = if sizes.is_null() { &mut [] } else { unsafe { std::slice::from_raw_parts_mut(sizes, max_frames) } };
            Some((b, z))
        };
        let c = &slot.common;
        let finish = |r: Recv| -> FfiResult {
            match r {
                Recv::Got(m) => {
                    set_opt(nframes, m.nframes);
                    set_opt(total, m.total);
                    Ok(())
                }
                Recv::TooSmall(m) => {
                    set_opt(nframes, m.nframes);
                    set_opt(total, m.total);
                    Err(too_small_msg(m.nframes, m.total, len, max_frames, buf.is_null()))
                }
                Recv::Empty => Err(Failure::timeout("no message")),
            }
        };
        let seen = {
            let mut g = slot.lock()?;
            let r = g.sock()?.try_recv(bufs.as_mut().map(|(b, z)| (&mut **b, &mut **z))).map_err(fail)?;
            if r != Recv::Empty {
                if matches!(r, Recv::Got(_)) {
                    slot.settle(&mut g, c, false, None)?;
                }
                drop(g);
                return finish(r);
            }
            g.touches
        };
        let _in = InLoop::enter(&slot.waits);
        let mut first = true;
        let r = wait_until(c, timeout_ms, "message", |fds| {
            let mut g = slot.lock()?;
            // The receive above found nothing, and a receive that finds
            // nothing has made libzmq process all its commands, so ZMQ_FD
            // signals whatever comes next. Unless another call touched the
            // socket since (it could have consumed that signal), sleep on it
            // without asking libzmq again (two system calls saved per wait).
            // (Not with a monitor: its pipe is drained on the full path, so
            // that an event loop's recv(0) quiets hb_handle_fd's descriptor.)
            if std::mem::take(&mut first) && g.touches == seen && matches!(&g.st, State::Own(s) if !s.monitoring()) {
                // What we sleep for must not count as seen, or a call that
                // finds it could think we knew and not wake us.
                g.last_ev &= !HB_POLLIN;
                fds.push(slot.zfd);
                return Ok(Step::Wait(None));
            }
            for _ in 0..2 {
                let s = g.sock()?;
                match s.try_recv(bufs.as_mut().map(|(b, z)| (&mut **b, &mut **z))).map_err(fail)? {
                    Recv::Empty => {}
                    r => {
                        if matches!(r, Recv::Got(_)) {
                            slot.settle(&mut g, c, true, None)?;
                        }
                        return Ok(Step::Ready(r));
                    }
                }
                // ZMQ_FD is edge-like: make libzmq process what it has
                // before sleeping on it.
                let ev = s.events().map_err(fail)?;
                if ev & HB_POLLIN == 0 {
                    slot.settle(&mut g, c, true, Some(ev))?;
                    break;
                }
            }
            fds.push(slot.zfd);
            Ok(Step::Wait(None))
        })?;
        finish(r)
    })
}

/// Receive SEVERAL whole messages in ONE call, for bindings whose per-call
/// cost is high (a Python `recv` drains them from a queue of its own): the
/// first message exactly as `hb_socket_recv` takes it (waiting up to
/// `timeout_ms`, the timeout rule), then, without waiting, every further
/// message already queued on the socket, as long as it fits and fewer than
/// `max_msgs` were taken.
///
/// The frames of all messages go one after the other into `buf` (`len`
/// bytes), their sizes into `sizes` (room for `max_frames`), the number of
/// frames of message i into `counts[i]` (room for `max_msgs`, at least 1);
/// `*nmsgs` receives the number of messages and `*total` (optional) the
/// bytes in all.
///
/// Output that does not fit is never lost: if the FIRST message does not
/// fit, the call returns `HB_BUFFER_TOO_SMALL` as `hb_socket_recv` does
/// (`*nmsgs` = 0, `counts[0]` = its frame count, `*total` = its bytes) and
/// keeps it; a later message that does not fit stays in the socket for the
/// next call (the call still returns `HB_OK` with what it took). A REQ or
/// REP socket takes one message per call (its state machine allows no more).
///
/// Returns as `hb_socket_recv`; also `HB_INVALID_ARGUMENT` (`counts` or
/// `nmsgs` NULL, `max_msgs` 0). Any thread; waits for the first message
/// without holding the socket (other threads may send on it meanwhile),
/// never for the others.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_recv_many(
    s: *const HbSocket,
    timeout_ms: i32,
    buf: *mut c_void,
    len: usize,
    sizes: *mut usize,
    max_frames: usize,
    counts: *mut usize,
    max_msgs: usize,
    nmsgs: *mut usize,
    total: *mut usize,
) -> HbStatus {
    let st = ffi_entry!(s; "hb_socket_recv_many", {
        if counts.is_null() || nmsgs.is_null() || max_msgs == 0 {
            return Err(Failure::arg("counts and nmsgs must not be NULL and max_msgs must be at least 1"));
        }
        set_opt(nmsgs, 0);
        Ok(())
    });
    if st != HbStatus::HB_OK {
        return st;
    }
    let (mut nf, mut tot) = (0usize, 0usize);
    let st = hb_socket_recv(s, timeout_ms, buf, len, sizes, max_frames, &mut nf, &mut tot);
    if st != HbStatus::HB_OK {
        if st == HbStatus::HB_BUFFER_TOO_SMALL {
            set_opt(counts, nf);
            set_opt(total, tot);
        }
        return st;
    }
    set_opt(counts, nf);
    set_opt(nmsgs, 1);
    set_opt(total, tot);
    if max_msgs == 1 {
        return HbStatus::HB_OK;
    }
    ffi_entry!(s; "hb_socket_recv_many", {
        let slot = sock(s)?;
        let (mut n, mut off, mut fo) = (1usize, tot, nf);
        let mut g = slot.lock()?;
        let sk = g.sock()?;
        if !matches!(sk.kind(), HB_REQ | HB_REP) && !buf.is_null() {
            while n < max_msgs {
                // SAFETY: the caller passes len bytes at buf, max_frames
                // sizes; off <= len and fo <= max_frames (what was written).
                let b = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>().add(off), len - off) };
                let z = unsafe { std::slice::from_raw_parts_mut(sizes.add(fo), max_frames - fo) };
                match sk.try_recv(Some((b, z))) {
                    Ok(Recv::Got(m)) => {
                        // SAFETY: counts holds max_msgs entries, n < max_msgs.
                        unsafe { counts.add(n).write(m.nframes) };
                        n += 1;
                        off += m.total;
                        fo += m.nframes;
                    }
                    // Kept in the socket for the next call, or nothing more,
                    // or a failure the next call reports: what was taken stands.
                    _ => break,
                }
            }
        }
        slot.settle(&mut g, &slot.common, false, None)?;
        drop(g);
        set_opt(nmsgs, n);
        set_opt(total, off);
        Ok(())
    })
}

/// The arguments of `hb_socket_send` in a struct, for `hb_socket_send_args`.
/// Set `size` to `sizeof(hb_send_args_t)`; every field is required.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbSendArgs {
    /// Set by the caller: `sizeof(hb_send_args_t)`.
    pub size: u32,
    /// As `hb_socket_send`'s `flags` (`HB_SNDMORE`, `HB_DONTWAIT`).
    pub flags: i32,
    /// As `hb_socket_send`'s `timeout_ms` (the timeout rule).
    pub timeout_ms: i32,
    /// Reserved, 0.
    pub reserved: u32,
    /// The socket.
    pub socket: *const HbSocket,
    /// The frames' bytes, one after the other.
    pub data: *const c_void,
    /// The size of each frame (`nframes` entries).
    pub sizes: *const usize,
    /// The number of frames, at least 1.
    pub nframes: usize,
}

/// `hb_socket_send` with its arguments in a struct that the caller builds
/// once and reuses, changing only what varies (the sizes, the bytes at
/// `data`): for callers whose cost per argument is high (Python ctypes
/// converts every argument of every call). Same behaviour, statuses and
/// error texts as `hb_socket_send`.
///
/// Returns as `hb_socket_send`; also `HB_INVALID_ARGUMENT` (`args` NULL or
/// `args->size` smaller than the struct). Any thread; waits for room as
/// `hb_socket_send` (the timeout rule) without holding the socket.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_send_args(args: *const HbSendArgs) -> HbStatus {
    match read_whole(args, "args") {
        Ok(a) => hb_socket_send(a.socket, a.data, a.sizes, a.nframes, a.flags, a.timeout_ms),
        Err(f) => ffi_entry!("hb_socket_send_args", { Err(f) }),
    }
}

/// Send SEVERAL whole messages in ONE call, in order, for bindings whose
/// per-call cost is high (a Python binding hands over a burst of sends at
/// once): message i has `counts[i]` frames (at least 1), whose sizes are
/// the next `counts[i]` entries of `sizes` and whose bytes follow one after
/// the other in `data`. Each message goes whole or not at all, as with
/// `hb_socket_send`; `flags` applies to every message (`HB_DONTWAIT`;
/// `HB_SNDMORE` is refused: a message of this call cannot continue into
/// the next call).
///
/// Waits for room up to `timeout_ms` in all (the timeout rule: 0 = send
/// what fits now). `*sent` receives the number of messages sent, also when
/// the call fails: they went out, the others did not.
///
/// Returns `HB_OK` (all sent); `HB_TIMEOUT` (no room for message `*sent`
/// in time); otherwise as `hb_socket_send` for message `*sent` (`HB_ZMQ`
/// with libzmq's errno, ...); also `HB_INVALID_ARGUMENT` (`sent`, `counts`
/// or `sizes` NULL, `nmsgs` 0, a count of 0, `HB_SNDMORE` in `flags`). Any
/// thread; waits for room without holding the socket.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_send_many(
    s: *const HbSocket,
    data: *const c_void,
    sizes: *const usize,
    counts: *const usize,
    nmsgs: usize,
    flags: i32,
    timeout_ms: i32,
    sent: *mut usize,
) -> HbStatus {
    set_opt(sent, 0);
    let st = ffi_entry!(s; "hb_socket_send_many", {
        check_timeout(timeout_ms)?;
        if sent.is_null() || counts.is_null() || sizes.is_null() || nmsgs == 0 {
            return Err(Failure::arg("sent, counts and sizes must not be NULL and nmsgs must be at least 1"));
        }
        if flags & HB_SNDMORE != 0 {
            return Err(Failure::arg("HB_SNDMORE is not allowed in hb_socket_send_many: every message is whole"));
        }
        // SAFETY: the caller passes nmsgs counts.
        if unsafe { std::slice::from_raw_parts(counts, nmsgs) }.contains(&0) {
            return Err(Failure::arg("a message has at least one frame: a count is 0"));
        }
        Ok(())
    });
    if st != HbStatus::HB_OK {
        return st;
    }
    let start = std::time::Instant::now();
    let (mut off, mut fo) = (0usize, 0usize);
    for i in 0..nmsgs {
        // SAFETY: counts holds nmsgs entries; sizes holds the sum of them.
        let c = unsafe { counts.add(i).read() };
        let z = unsafe { std::slice::from_raw_parts(sizes.add(fo), c) };
        let n: usize = z.iter().sum();
        let left = if timeout_ms == 0 { 0 } else { (i64::from(timeout_ms) - start.elapsed().as_millis() as i64).max(0) as i32 };
        let p = if data.is_null() { data } else { data.cast::<u8>().wrapping_add(off).cast::<c_void>() };
        let st = if left == 0 && timeout_ms > 0 { HbStatus::HB_TIMEOUT } else { hb_socket_send(s, p, z.as_ptr(), c, flags, left) };
        if st != HbStatus::HB_OK {
            if st == HbStatus::HB_TIMEOUT && left == 0 && timeout_ms > 0 {
                return ffi_entry!(s; "hb_socket_send_many", { Err(Failure::timeout("no room to send within the time-out")) });
            }
            return st;
        }
        off += n;
        fo += c;
        set_opt(sent, i + 1);
    }
    HbStatus::HB_OK
}

/// The arguments and results of `hb_socket_recv_many` in a struct, for
/// `hb_socket_recv_args`. Set `size` to `sizeof(hb_recv_args_t)`; the
/// fields up to `max_msgs` are inputs, the last three outputs.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbRecvArgs {
    /// Set by the caller: `sizeof(hb_recv_args_t)`.
    pub size: u32,
    /// As `hb_socket_recv_many`'s `timeout_ms` (the timeout rule).
    pub timeout_ms: i32,
    /// The socket.
    pub socket: *const HbSocket,
    /// Where the frames' bytes go (`len` bytes).
    pub buf: *mut c_void,
    /// The size of `buf`.
    pub len: usize,
    /// Where the frames' sizes go (`max_frames` entries).
    pub sizes: *mut usize,
    /// The room in `sizes`.
    pub max_frames: usize,
    /// Where each message's frame count goes (`max_msgs` entries).
    pub counts: *mut usize,
    /// The most messages to take, at least 1.
    pub max_msgs: usize,
    /// Output: the messages taken.
    pub nmsgs: usize,
    /// Output: the frames taken (on `HB_BUFFER_TOO_SMALL`: the first message's frame count).
    pub nframes: usize,
    /// Output: the bytes taken (on `HB_BUFFER_TOO_SMALL`: the first message's size).
    pub total: usize,
}

/// `hb_socket_recv_many` with its arguments and results in a struct that
/// the caller builds once and reuses (see `hb_socket_send_args`): writes
/// `nmsgs`, `nframes` (all messages' frames) and `total`. Same behaviour,
/// statuses and error texts as `hb_socket_recv_many` (`max_msgs` 1 takes
/// one message, as `hb_socket_recv`).
///
/// Returns as `hb_socket_recv_many`; also `HB_INVALID_ARGUMENT` (`args`
/// NULL or `args->size` smaller than the struct). Any thread; waits for the
/// first message as `hb_socket_recv_many` without holding the socket.
///
/// Since ABI 1.1.
#[no_mangle]
pub extern "C" fn hb_socket_recv_args(args: *mut HbRecvArgs) -> HbStatus {
    let a = match read_whole(args.cast_const(), "args") {
        Ok(a) => a,
        Err(f) => return ffi_entry!("hb_socket_recv_args", { Err(f) }),
    };
    let (mut nm, mut tot) = (0usize, 0usize);
    let st = hb_socket_recv_many(a.socket, a.timeout_ms, a.buf, a.len, a.sizes, a.max_frames, a.counts, a.max_msgs, &mut nm, &mut tot);
    let nf = match st {
        // SAFETY: counts holds max_msgs >= nm entries, written by the call.
        HbStatus::HB_OK => (0..nm).map(|i| unsafe { a.counts.add(i).read() }).sum(),
        // SAFETY: the call wrote the first message's frame count to counts[0].
        HbStatus::HB_BUFFER_TOO_SMALL if !a.counts.is_null() => unsafe { a.counts.read() },
        _ => 0,
    };
    // SAFETY: args is non-NULL (read above) and holds the whole struct (its size was checked).
    unsafe {
        std::ptr::addr_of_mut!((*args).nmsgs).write(nm);
        std::ptr::addr_of_mut!((*args).nframes).write(nf);
        std::ptr::addr_of_mut!((*args).total).write(tot);
    }
    st
}

pub(super) fn too_small_msg(n: usize, total: usize, len: usize, max_frames: usize, query: bool) -> Failure {
    if query {
        return Failure::new(HbStatus::HB_BUFFER_TOO_SMALL, "size query: *total and *nframes tell the next message's size; it is kept");
    }
    Failure::new(
        HbStatus::HB_BUFFER_TOO_SMALL,
        format!(
            "message of {n} frames and {total} bytes does not fit ({max_frames} sizes, {len} bytes given); it is kept for the next call"
        ),
    )
}

/// Write what the socket can do now to `*events`: `HB_POLLIN` (a message
/// can be received, also one kept by a too-small buffer), `HB_POLLOUT`
/// (a message can be sent), `HB_POLLMON` (a socket event can be taken with
/// `hb_socket_next_event`), like libzmq's `ZMQ_EVENTS`.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`events` NULL);
/// `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_socket_events(s: *const HbSocket, events: *mut i32) -> HbStatus {
    ffi_entry!(s; "hb_socket_events", {
        let slot = sock(s)?;
        let out = Out::new(events, "events")?;
        let mut g = slot.lock()?;
        let ev = g.sock()?.events().map_err(fail)?;
        slot.settle(&mut g, &slot.common, false, Some(ev))?;
        out.set(i32::from(ev));
        Ok(())
    })
}
