//! Readiness, sending and receiving whole messages (a message that does not
//! fit is kept for the next call).

use super::*;
use crate::sys::libzmq::{self, Msg};

impl Socket {
    /// libzmq's `ZMQ_EVENTS` (`POLLIN`/`POLLOUT`). Reading it makes libzmq
    /// process its pending commands, which resets `ZMQ_FD`.
    pub fn zmq_events(&mut self) -> Result<i16> {
        Ok(self.get_int_raw(ZMQ_EVENTS, "ZMQ_EVENTS")? as i16 & (POLLIN | POLLOUT))
    }

    /// What can be done now: [`POLLIN`] (a message, also a kept one),
    /// [`POLLOUT`], [`POLLMON`] (a socket event; the monitor is drained first).
    pub fn events(&mut self) -> Result<i16> {
        self.drain_monitor();
        let mut e = self.zmq_events()?;
        if self.kept_n > 0 {
            e |= POLLIN;
        }
        if !self.events.is_empty() {
            e |= POLLMON;
        }
        Ok(e)
    }

    /// Whether a received message is kept (it did not fit the caller's buffer).
    pub fn has_kept(&self) -> bool {
        self.kept_n > 0
    }

    // -------------------------------------------------------- sending

    /// Send one call's frames, `frames` of the concatenated `data` with the
    /// given `sizes`; `more` = the message continues with the next call
    /// (the last frame goes with `ZMQ_SNDMORE`).
    ///
    /// Returns `Ok(true)` when every frame was sent, `Ok(false)` when there
    /// was no room for the first frame (nothing was sent; wait for
    /// [`POLLOUT`]). Errors: libzmq's (`EFSM`: a REQ socket sending out of
    /// turn; `EHOSTUNREACH`: `ROUTER_MANDATORY` and an unknown peer).
    pub fn try_send(&mut self, data: &[u8], sizes: &[usize], more: bool) -> Result<bool> {
        if sizes.is_empty() {
            return Err(SocketError::invalid("a message has at least one frame (nframes is 0)"));
        }
        let raw = self.raw();
        let mut off = 0usize;
        for (i, &n) in sizes.iter().enumerate() {
            let end = off
                .checked_add(n)
                .filter(|&e| e <= data.len())
                .ok_or_else(|| SocketError::invalid("frame sizes add up to more than the data"))?;
            let last = i + 1 == sizes.len();
            let flags = ZMQ_DONTWAIT | if last && !more { 0 } else { ZMQ_SNDMORE };
            // SAFETY: live socket; data[off..end] is readable.
            let mut rc = unsafe { libzmq::zmq_send(raw, data.as_ptr().add(off).cast(), n, flags) };
            // A signal after the first frame went: send the rest (libzmq keeps
            // the message open), never leave half a message behind.
            let mut tries = 0;
            while rc < 0 && i > 0 && libzmq::errno() == libc::EINTR && tries < 1000 {
                tries += 1;
                // SAFETY: as above.
                rc = unsafe { libzmq::zmq_send(raw, data.as_ptr().add(off).cast(), n, flags) };
            }
            if rc < 0 {
                let errno = libzmq::errno();
                if i == 0 && errno == libc::EAGAIN {
                    return Ok(false);
                }
                if i == 0 {
                    return Err(SocketError::zmq(errno, "send"));
                }
                // libzmq accepts the rest of a message once its first frame
                // went; if a peer vanished in between it drops the message.
                return Err(SocketError::zmq(errno, &format!("send: frame {} of the message failed; libzmq dropped the message", i + 1)));
            }
            off = end;
        }
        self.tick();
        Ok(true)
    }

    /// [`Socket::try_send`] with the frames as slices.
    pub fn try_send_frames(&mut self, frames: &[&[u8]], more: bool) -> Result<bool> {
        if frames.is_empty() {
            return Err(SocketError::invalid("a message has at least one frame"));
        }
        let raw = self.raw();
        for (i, f) in frames.iter().enumerate() {
            let flags = ZMQ_DONTWAIT | if i + 1 == frames.len() && !more { 0 } else { ZMQ_SNDMORE };
            // SAFETY: live socket; f is readable.
            let mut rc = unsafe { libzmq::zmq_send(raw, f.as_ptr().cast(), f.len(), flags) };
            let mut tries = 0;
            while rc < 0 && i > 0 && libzmq::errno() == libc::EINTR && tries < 1000 {
                tries += 1; // the rest of a started message goes, as in try_send
                            // SAFETY: as above.
                rc = unsafe { libzmq::zmq_send(raw, f.as_ptr().cast(), f.len(), flags) };
            }
            if rc < 0 {
                let errno = libzmq::errno();
                if i == 0 && errno == libc::EAGAIN {
                    return Ok(false);
                }
                return Err(SocketError::zmq(errno, "send"));
            }
        }
        self.tick();
        Ok(true)
    }

    // -------------------------------------------------------- receiving

    /// Receive one whole message into the caller's buffers, if one is there.
    ///
    /// `out` = `(buf, sizes)`: the frames are written one after the other
    /// into `buf`, the length of each into `sizes`. `None` asks only for the
    /// shape (a size query). A message that does not fit `buf` or `sizes`
    /// (or a size query) is kept and returned first by the next call
    /// ([`Recv::TooSmall`] tells the shape needed).
    pub fn try_recv(&mut self, out: Option<(&mut [u8], &mut [usize])>) -> Result<Recv> {
        if self.kept_n == 0 && !self.recv_message()? {
            return Ok(Recv::Empty);
        }
        let shape = MsgShape { nframes: self.kept_n, total: self.kept_total };
        let Some((buf, sizes)) = out else { return Ok(Recv::TooSmall(shape)) };
        if buf.len() < shape.total || sizes.len() < shape.nframes {
            return Ok(Recv::TooSmall(shape));
        }
        let mut off = 0;
        for (i, f) in self.frames[..shape.nframes].iter_mut().enumerate() {
            let n = self.lens[i];
            if n > 0 {
                // SAFETY: the frame holds n bytes; buf[off..off + n] is in
                // bounds (off + n <= total <= buf.len()); they do not overlap.
                unsafe { std::ptr::copy_nonoverlapping(f.data_ptr(), buf.as_mut_ptr().add(off), n) };
            }
            off += n;
            sizes[i] = n;
            if n > KEEP_FRAME_MAX {
                f.clear();
            }
        }
        self.meta_ok = self.lens[0] <= KEEP_FRAME_MAX;
        if self.meta_ok {
            std::mem::swap(&mut self.frames[0], &mut *self.last_first);
        }
        self.kept_n = 0;
        self.kept_total = 0;
        self.tick();
        Ok(Recv::Got(shape))
    }

    /// Receive every frame of the next message into `frames` (kept).
    /// `Ok(false)`: nothing there.
    pub(super) fn recv_message(&mut self) -> Result<bool> {
        let raw = self.raw();
        let mut n = 0;
        let mut total = 0usize;
        loop {
            if self.frames.len() <= n {
                self.frames.push(Msg::new());
                self.lens.push(0);
            }
            let f = &mut self.frames[n];
            // SAFETY: live socket used only by this thread (we hold &mut self).
            let mut r = unsafe { f.recv(raw, ZMQ_DONTWAIT) };
            // A signal in the middle of a message: take the rest of it (it
            // is there), never lose the frames already taken.
            let mut tries = 0;
            while n > 0 && r == Err(libc::EINTR) && tries < 1000 {
                tries += 1;
                // SAFETY: as above.
                r = unsafe { f.recv(raw, ZMQ_DONTWAIT) };
            }
            let len = match r {
                Ok(len) => len,
                Err(e) if e == libc::EAGAIN && n == 0 => return Ok(false),
                // Cannot happen: libzmq delivers a message's frames together.
                // SAFETY: as above; the rest of the message is there.
                Err(e) if e == libc::EAGAIN => unsafe { f.recv(raw, 0) }.map_err(|e| SocketError::zmq(e, "receive"))?,
                Err(e) => return Err(SocketError::zmq(e, "receive")),
            };
            let more = f.more();
            self.lens[n] = len;
            total += len;
            n += 1;
            if !more {
                break;
            }
        }
        self.kept_n = n;
        self.kept_total = total;
        Ok(true)
    }

    /// Hand the kept message's frames over (for a proxy that takes the socket).
    pub(crate) fn take_kept(&mut self) -> Vec<Msg> {
        let n = std::mem::take(&mut self.kept_n);
        self.kept_total = 0;
        self.meta_ok = false;
        let mut out: Vec<Msg> = Vec::with_capacity(n);
        for f in self.frames.iter_mut().take(n) {
            out.push(std::mem::take(f));
        }
        out
    }

    /// A metadata property of the last message handed out (libzmq's
    /// `zmq_msg_gets`): "User-Id" (what the ZAP handler said: a CURVE
    /// client's public key, a PLAIN user name), "Peer-Address",
    /// "Socket-Type", "Routing-Id", and properties the ZAP handler added.
    /// (`&mut`: the socket is used by one thread at a time, as a `Msg` must be.)
    pub fn msg_property(&mut self, name: &str) -> Result<String> {
        if !self.meta_ok {
            return Err(SocketError::invalid("no message's metadata is kept (none handed out yet, or its first frame was over 64 KiB)"));
        }
        let c = std::ffi::CString::new(name).map_err(|_| SocketError::invalid("the property name contains a NUL byte"))?;
        self.last_first.gets(&c).ok_or_else(|| SocketError::invalid(format!("the last message has no property {name:?}")))
    }

    pub(super) fn tick(&mut self) {
        if self.monitor.is_some() {
            self.ticks += 1;
            if self.ticks >= DRAIN_EVERY {
                self.drain_monitor();
            }
        }
    }
}
