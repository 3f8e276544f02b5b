//! Socket events: libzmq's monitor on an unbounded inproc pipe drained into
//! a bounded queue of ours (pull style), or on a caller's endpoint.

use super::*;
use crate::sys::libzmq::{self, Msg};
use std::os::fd::AsRawFd;

impl Socket {
    /// Start reporting the socket events in `mask` (`ZMQ_EVENT_*` bits, at
    /// most [`EVENT_ALL`]); 0 stops. A running monitor is replaced; events
    /// already queued stay readable.
    pub fn monitor(&mut self, mask: i32) -> Result<()> {
        if mask & !EVENT_ALL != 0 {
            return Err(SocketError::invalid(format!("bad event mask {mask:#x}: ZMQ_EVENT_* bits only (0x1..0xFFFF; 0 stops)")));
        }
        self.stop_monitor();
        self.stop_ext_monitor();
        if mask == 0 {
            return Ok(());
        }
        let ep = crate::sys::ctx::inproc_endpoint("socket-monitor");
        let c = cstring(&ep, "monitor endpoint")?;
        // SAFETY: live socket, NUL-terminated inproc endpoint.
        if unsafe { libzmq::zmq_socket_monitor(self.raw(), c.as_ptr(), mask) } != 0 {
            return Err(SocketError::zmq(libzmq::errno(), "zmq_socket_monitor"));
        }
        let pair = match self.monitor_pair(&ep) {
            Ok(p) => p,
            Err(e) => {
                libzmq::stop_monitor(&mut self.sock);
                return Err(e);
            }
        };
        self.monitor = Some(pair);
        // A pipe signals its reader only once the reader has found it empty:
        // read it now, so that the first events already wake monitor_fd().
        self.drain_monitor();
        Ok(())
    }

    pub(super) fn monitor_pair(&self, ep: &str) -> Result<Monitor> {
        let z = |e| SocketError::from_zmq(e, "socket monitor");
        let pair = crate::sys::ctx::context().socket(zmq::PAIR).map_err(z)?;
        // An unbounded pipe: libzmq computes the pipe's limit toward a
        // connecting inproc socket as 0 (none) when the reader's RCVHWM is 0
        // (socket_base_t::connect_internal), so the monitor's blocking send
        // on the shared I/O thread can never stall. We bound the queue ourselves.
        pair.set_rcvhwm(0).map_err(z)?;
        pair.set_linger(0).map_err(z)?;
        crate::sys::ctx::no_eintr(|| pair.connect(ep)).map_err(z)?;
        let fd = pair.get_fd().map_err(z)?;
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
        // SAFETY: valid epoll and target descriptors.
        if unsafe { libc::epoll_ctl(self.mon_ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
            let e = std::io::Error::last_os_error();
            return Err(SocketError::other(e.raw_os_error().unwrap_or(0), format!("epoll_ctl: {e}")));
        }
        Ok(Monitor { pair, fd })
    }

    pub(super) fn stop_monitor(&mut self) {
        if self.monitor.is_none() {
            return;
        }
        self.drain_monitor();
        libzmq::stop_monitor(&mut self.sock);
        // Events sent up to the stop are in the pipe: keep them.
        self.drain_monitor();
        if let Some(m) = self.monitor.take() {
            // SAFETY: valid epoll descriptor; removing a registered fd.
            unsafe { libc::epoll_ctl(self.mon_ep.as_raw_fd(), libc::EPOLL_CTL_DEL, m.fd, std::ptr::null_mut()) };
            drop(m.pair);
        }
    }

    /// Start libzmq's socket monitor on the caller's `endpoint` (an
    /// `inproc://` address that libzmq binds a PAIR to, events as two
    /// frames: libzmq's v1 format), reporting the events in `mask`; `None`
    /// stops it (libzmq sends `ZMQ_EVENT_MONITOR_STOPPED` first if the mask
    /// had it). Replaces a running monitor of either kind (events of a
    /// pull-style one already queued stay readable).
    ///
    /// libzmq sends the events with a blocking send, on its I/O thread for
    /// most of them: the caller must have a reader that takes them
    /// without bound, best an inproc PAIR with `RCVHWM` 0 connected to
    /// `endpoint` *before* this call (an inproc connect may precede the
    /// bind; the pipe is then unbounded from the first event on), kept
    /// until the monitor stops.
    pub fn monitor_endpoint(&mut self, endpoint: Option<&str>, mask: i32) -> Result<()> {
        if mask & !EVENT_ALL != 0 {
            return Err(SocketError::invalid(format!("bad event mask {mask:#x}: ZMQ_EVENT_* bits only (0x1..0xFFFF)")));
        }
        let c = match endpoint {
            Some(ep) => Some(cstring(ep, "monitor endpoint")?),
            None => None,
        };
        self.stop_monitor();
        let Some(c) = c else {
            self.stop_ext_monitor();
            return Ok(());
        };
        // SAFETY: live socket, NUL-terminated endpoint. libzmq stops a
        // monitor still running on another endpoint first.
        if unsafe { libzmq::zmq_socket_monitor(self.raw(), c.as_ptr(), mask) } != 0 {
            let e = libzmq::errno();
            // A failed start leaves no monitor behind (libzmq stopped the old one).
            self.ext_monitor = false;
            return Err(SocketError::zmq(e, &format!("zmq_socket_monitor({})", c.to_string_lossy())));
        }
        self.ext_monitor = true;
        Ok(())
    }

    pub(super) fn stop_ext_monitor(&mut self) {
        if self.ext_monitor {
            libzmq::stop_monitor(&mut self.sock);
            self.ext_monitor = false;
        }
    }

    /// Whether a monitor started by [`Socket::monitor_endpoint`] runs.
    pub fn monitoring_endpoint(&self) -> bool {
        self.ext_monitor
    }

    /// Whether a monitor runs.
    pub fn monitoring(&self) -> bool {
        self.monitor.is_some()
    }

    /// Move the events waiting in the monitor pipe into the queue (the
    /// oldest are dropped beyond [`EVENT_QUEUE_MAX`]). Returns how many moved.
    pub fn drain_monitor(&mut self) -> usize {
        self.ticks = 0;
        let Some(m) = self.monitor.as_mut() else { return 0 };
        let raw = m.pair.as_mut_ptr();
        let mut head = Msg::new();
        let mut addr = Msg::new();
        let mut moved = 0;
        // Bounded work per call; the rest waits for the next one.
        while moved < 4 * EVENT_QUEUE_MAX {
            // SAFETY: the monitor PAIR is used only by this thread.
            if unsafe { head.recv(raw, ZMQ_DONTWAIT) }.is_err() {
                break;
            }
            let mut ok = head.more();
            // SAFETY: as above; the address frame follows at once.
            ok = ok && unsafe { addr.recv(raw, ZMQ_DONTWAIT) }.is_ok();
            if !ok {
                continue;
            }
            let h = head.bytes();
            if h.len() < 6 {
                continue;
            }
            let event = i32::from(u16::from_le_bytes([h[0], h[1]]));
            let value = i64::from(u32::from_le_bytes([h[2], h[3], h[4], h[5]]));
            let a = addr.bytes();
            let mut text = String::from_utf8_lossy(a).into_owned();
            if text.len() > TEXT_MAX {
                let mut n = TEXT_MAX;
                while !text.is_char_boundary(n) {
                    n -= 1;
                }
                text.truncate(n);
            }
            if self.events.len() >= EVENT_QUEUE_MAX {
                self.events.pop_front();
                self.dropped += 1;
            }
            self.events.push_back(SocketEvent { event, value, addr: text, dropped: self.dropped });
            moved += 1;
        }
        moved
    }

    /// The next queued socket event, without taking it.
    pub fn peek_event(&self) -> Option<&SocketEvent> {
        self.events.front()
    }

    /// Take the next queued socket event (drain the monitor first to see the newest).
    pub fn take_event(&mut self) -> Option<SocketEvent> {
        self.events.pop_front()
    }
}
