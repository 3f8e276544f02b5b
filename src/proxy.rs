//! A proxy on a library thread: forwards whole messages both ways between a
//! frontend and a backend socket (XSUB/XPUB: publications down,
//! subscriptions up; ROUTER/DEALER: requests and replies), optionally
//! copying every frame to a capture socket, like `zmq_proxy` — but in our
//! own loop (as [`crate::lab::broker`] does), so that it counts what it
//! forwards, pauses and resumes, and stops at once on request.
//!
//! The sockets move into the proxy while it runs and come back when it
//! stops: to [`Proxy::stop`]'s caller, or to a function given to
//! [`Proxy::start`] (the C ABI uses it to hand them back to their handles,
//! also when the loop ends on an error).
//!
//! The loop never blocks on a send: a message the other side has no room
//! for (a DEALER with no peer yet, a full HWM) is held, the loop waits for
//! room on that side, and reads nothing more in that direction meanwhile,
//! so nothing is lost and a stop is never stuck behind a full queue. A copy
//! the capture socket has no room for is held the same way (nothing more
//! is read until the capture takes it): `zmq_proxy` waits in that send.

use crate::socket::{Socket, SocketError, ZMQ_DONTWAIT, ZMQ_SNDMORE};
use crate::sys::libzmq::Msg;
use crate::sys::notify::Notifier;
use crate::sys::runner::{Poke, Runner, StopSignal, STOP};
use std::ffi::c_void;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The sockets a proxy runs.
pub struct ProxySockets {
    /// Messages read here go to the backend (an XSUB socket that publishers
    /// reach, a ROUTER that clients reach).
    pub frontend: Socket,
    /// Messages read here go to the frontend (XPUB, DEALER).
    pub backend: Socket,
    /// Gets a copy of every frame forwarded either way (a PUB, PUSH or PAIR socket), if any.
    pub capture: Option<Socket>,
}

/// Called on the proxy thread with the sockets when the loop ends.
pub type OnExit = Box<dyn FnOnce(ProxySockets) + Send>;

/// A snapshot of a proxy's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Messages forwarded frontend → backend, and their bytes (all frames).
    pub to_backend_msgs: u64,
    pub to_backend_bytes: u64,
    /// Messages forwarded backend → frontend, and their bytes.
    pub to_frontend_msgs: u64,
    pub to_frontend_bytes: u64,
    /// Messages dropped because the destination refused them (a ROUTER
    /// with ROUTER_MANDATORY and an unknown peer).
    pub dropped: u64,
    /// Paused (forwarding nothing).
    pub paused: bool,
    /// The loop runs.
    pub running: bool,
}

#[derive(Default)]
struct Shared {
    to_backend_msgs: AtomicU64,
    to_backend_bytes: AtomicU64,
    to_frontend_msgs: AtomicU64,
    to_frontend_bytes: AtomicU64,
    dropped: AtomicU64,
    paused: AtomicBool,
    finished: AtomicBool,
    /// Held by the loop while it forwards a batch, so that [`Proxy::pause`]
    /// returns only once nothing more is forwarded.
    gate: Mutex<()>,
}

/// A running proxy. Dropping it stops it.
pub struct Proxy {
    runner: Runner,
    shared: Arc<Shared>,
    done: Arc<Notifier>,
    /// The sockets, before the thread takes them and after it ends (when no
    /// [`OnExit`] took them).
    cell: Arc<Mutex<Option<ProxySockets>>>,
}

/// Commands to the loop (besides [`STOP`]).
const WAKE: &[u8] = b"WAKE";

/// Messages forwarded per direction before polling again (fairness).
const BATCH: usize = 256;

impl Proxy {
    /// Start forwarding on a new thread `hypobus-proxy`. On failure the
    /// sockets come back with the error.
    pub fn start(sockets: ProxySockets, on_exit: Option<OnExit>) -> Result<Proxy, Box<(SocketError, ProxySockets)>> {
        let done = match Notifier::new() {
            Ok(d) => Arc::new(d),
            Err(e) => return Err(Box::new((SocketError::other(libc::EMFILE, e.to_string()), sockets))),
        };
        let shared = Arc::new(Shared::default());
        let cell = Arc::new(Mutex::new(Some(sockets)));
        let (sh, dn, cl) = (shared.clone(), done.clone(), cell.clone());
        let spawned = Runner::spawn(&crate::sys::ctx::context(), "hypobus-proxy", move |stop| {
            let Some(mut s) = cl.lock().unwrap_or_else(PoisonError::into_inner).take() else { return Ok(()) };
            let r = run(&stop, &mut s, &sh);
            sh.finished.store(true, Ordering::SeqCst);
            match on_exit {
                Some(f) => f(s),
                None => *cl.lock().unwrap_or_else(PoisonError::into_inner) = Some(s),
            }
            dn.poke();
            r.map_err(|e| crate::Error::Config(format!("proxy: {e}")))
        });
        match spawned {
            Ok(runner) => Ok(Proxy { runner, shared, done, cell }),
            Err(e) => {
                let s = cell.lock().unwrap_or_else(PoisonError::into_inner).take();
                let err = SocketError::other(0, format!("cannot start the proxy: {e}"));
                match s {
                    Some(s) => Err(Box::new((err, s))),
                    // The thread started and took them, then spawn failed after: cannot happen.
                    None => unreachable!("proxy sockets lost"),
                }
            }
        }
    }

    /// A handle for pausing, resuming and reading counters from any thread
    /// (also while another thread stops the proxy).
    pub fn control(&self) -> ProxyControl {
        ProxyControl { shared: self.shared.clone(), poke: self.runner.poke(), done: self.done.clone() }
    }

    /// See [`ProxyControl::pause`].
    pub fn pause(&self) {
        self.control().pause()
    }

    /// See [`ProxyControl::resume`].
    pub fn resume(&self) {
        self.control().resume()
    }

    /// See [`ProxyControl::stats`].
    pub fn stats(&self) -> ProxyStats {
        self.control().stats()
    }

    /// Whether the loop has ended (stopped, or failed).
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::SeqCst)
    }

    /// Stop the loop and join its thread; the sockets come back (`None` when
    /// an [`OnExit`] took them, or on a second call). Returns the loop's
    /// error if it ended on one.
    pub fn stop(&mut self) -> Result<Option<ProxySockets>, SocketError> {
        let r = self.runner.stop();
        let s = self.cell.lock().unwrap_or_else(PoisonError::into_inner).take();
        match r {
            Ok(()) => Ok(s),
            Err(e) => {
                // Keep the sockets for a later call rather than dropping them.
                *self.cell.lock().unwrap_or_else(PoisonError::into_inner) = s;
                Err(SocketError::other(0, e.to_string()))
            }
        }
    }
}

/// Pause, resume and counters of a [`Proxy`], usable from any thread.
#[derive(Clone)]
pub struct ProxyControl {
    shared: Arc<Shared>,
    poke: Poke,
    done: Arc<Notifier>,
}

impl ProxyControl {
    /// Stop forwarding (messages wait in the sockets). When it returns,
    /// nothing more is forwarded until [`ProxyControl::resume`].
    pub fn pause(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
        // The loop forwards only while holding the gate, and checks the flag
        // before each message: once we hold it, nothing more goes through.
        drop(self.shared.gate.lock().unwrap_or_else(PoisonError::into_inner));
        self.poke.send(WAKE);
    }

    /// Forward again (what waited in the sockets goes first).
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
        self.poke.send(WAKE);
    }

    /// The counters now.
    pub fn stats(&self) -> ProxyStats {
        let s = &self.shared;
        ProxyStats {
            to_backend_msgs: s.to_backend_msgs.load(Ordering::Relaxed),
            to_backend_bytes: s.to_backend_bytes.load(Ordering::Relaxed),
            to_frontend_msgs: s.to_frontend_msgs.load(Ordering::Relaxed),
            to_frontend_bytes: s.to_frontend_bytes.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            paused: s.paused.load(Ordering::SeqCst),
            running: !self.is_finished(),
        }
    }

    /// Whether the loop has ended (stopped, or failed).
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::SeqCst)
    }

    /// A descriptor that becomes readable (and stays so) when the loop has ended.
    pub fn done_fd(&self) -> RawFd {
        self.done.fd()
    }
}

/// A message read but not yet sent on in one direction.
#[derive(Default)]
struct Pending {
    frames: Vec<Msg>,
    n: usize,
    bytes: u64,
}

struct Dir<'a> {
    src: *mut c_void,
    dst: *mut c_void,
    pend: Pending,
    msgs: &'a AtomicU64,
    bytes: &'a AtomicU64,
}

fn zerr(errno: i32, what: &str) -> SocketError {
    SocketError::zmq(errno, what)
}

/// Read the next whole message of `src` into `p`. Ok(false): none there.
fn read(src: *mut c_void, p: &mut Pending) -> Result<bool, SocketError> {
    let mut n = 0;
    let mut bytes = 0u64;
    loop {
        if p.frames.len() <= n {
            p.frames.push(Msg::new());
        }
        // SAFETY: the proxy thread owns the socket.
        let len = match unsafe { p.frames[n].recv(src, ZMQ_DONTWAIT) } {
            Ok(len) => len,
            Err(e) if e == libc::EAGAIN && n == 0 => return Ok(false),
            // SAFETY: as above; the rest of a message is there at once.
            Err(e) if e == libc::EAGAIN => unsafe { p.frames[n].recv(src, 0) }.map_err(|e| zerr(e, "proxy receive"))?,
            Err(e) => return Err(zerr(e, "proxy receive")),
        };
        bytes += len as u64;
        let more = p.frames[n].more();
        n += 1;
        if !more {
            break;
        }
    }
    p.n = n;
    p.bytes = bytes;
    Ok(true)
}

/// A copy for the capture socket that found no room (a PUSH capture with
/// no peer yet, a full one): libzmq's `zmq_proxy` waits in its send of the
/// copy; this loop holds the copy instead, reads nothing more until the
/// capture takes it (waiting for room on the capture), and stays stoppable.
#[derive(Default)]
struct CapHeld {
    frames: Vec<Msg>,
}

impl CapHeld {
    fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

/// Send `frames` to the capture socket: `Ok` when it took them (or when it
/// dropped them in the middle of a message, as libzmq does when its peer
/// goes), `Err(frames)` when the first frame found no room.
fn capture_send(cap: *mut c_void, mut frames: Vec<Msg>) -> Result<(), Vec<Msg>> {
    let n = frames.len();
    for i in 0..n {
        let more = i + 1 < n;
        // SAFETY: the proxy thread owns the capture socket.
        if let Err(e) = unsafe { frames[i].send(cap, ZMQ_DONTWAIT | if more { ZMQ_SNDMORE } else { 0 }) } {
            if i == 0 && e == libc::EAGAIN {
                return Err(frames);
            }
            return Ok(());
        }
    }
    Ok(())
}

/// Send a copy of every frame of `p` to the capture socket; a copy that
/// finds no room is held (see [`CapHeld`]).
fn capture(cap: *mut c_void, p: &mut Pending, held: &mut CapHeld) {
    let copies: Vec<Msg> = p.frames[..p.n].iter_mut().map(|f| Msg::from_slice(f.bytes())).collect();
    if let Err(frames) = capture_send(cap, copies) {
        held.frames = frames;
    }
}

/// Try again to hand a held copy to the capture socket.
fn capture_flush(cap: *mut c_void, held: &mut CapHeld) {
    if let Err(frames) = capture_send(cap, std::mem::take(&mut held.frames)) {
        held.frames = frames;
    }
}

enum Sent {
    Done,
    NoRoom,
    Dropped,
}

/// Send `p` on `dst`: all of it, or nothing when the first frame finds no room.
fn send(dst: *mut c_void, p: &mut Pending) -> Result<Sent, SocketError> {
    for i in 0..p.n {
        let more = i + 1 < p.n;
        // SAFETY: the proxy thread owns the socket.
        match unsafe { p.frames[i].send(dst, ZMQ_DONTWAIT | if more { ZMQ_SNDMORE } else { 0 }) } {
            Ok(()) => {}
            Err(e) if e == libc::EAGAIN && i == 0 => return Ok(Sent::NoRoom),
            // An unknown peer (ROUTER_MANDATORY), or a peer gone in the
            // middle of the message (libzmq dropped it): drop it.
            Err(e) if e == libc::EHOSTUNREACH || e == libc::EAGAIN => {
                p.n = 0;
                return Ok(Sent::Dropped);
            }
            Err(e) => return Err(zerr(e, "proxy send")),
        }
    }
    p.n = 0;
    Ok(Sent::Done)
}

/// Forward up to [`BATCH`] messages in one direction.
fn pump(d: &mut Dir, cap: Option<*mut c_void>, held: &mut CapHeld, sh: &Shared) -> Result<(), SocketError> {
    for _ in 0..BATCH {
        if sh.paused.load(Ordering::SeqCst) {
            return Ok(());
        }
        if d.pend.n == 0 {
            if !held.is_empty() {
                // The capture has not taken the last copy yet: read nothing more.
                return Ok(());
            }
            if !read(d.src, &mut d.pend)? {
                return Ok(());
            }
            if let Some(c) = cap {
                capture(c, &mut d.pend, held);
            }
        }
        let bytes = d.pend.bytes;
        match send(d.dst, &mut d.pend)? {
            Sent::Done => {
                d.msgs.fetch_add(1, Ordering::Relaxed);
                d.bytes.fetch_add(bytes, Ordering::Relaxed);
            }
            Sent::Dropped => {
                sh.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Sent::NoRoom => return Ok(()),
        }
    }
    Ok(())
}

fn pending_from(frames: Vec<Msg>) -> Pending {
    let n = frames.len();
    let mut p = Pending { frames, n, bytes: 0 };
    p.bytes = p.frames.iter().map(|f| f.len() as u64).sum();
    p
}

fn run(stop: &StopSignal, s: &mut ProxySockets, sh: &Shared) -> Result<(), SocketError> {
    let f = s.frontend.raw();
    let b = s.backend.raw();
    let cap = s.capture.as_mut().map(|c| c.raw());
    // A message kept by a too-small receive before the proxy took the socket goes first.
    let mut fwd =
        Dir { src: f, dst: b, pend: pending_from(s.frontend.take_kept()), msgs: &sh.to_backend_msgs, bytes: &sh.to_backend_bytes };
    let mut bwd =
        Dir { src: b, dst: f, pend: pending_from(s.backend.take_kept()), msgs: &sh.to_frontend_msgs, bytes: &sh.to_frontend_bytes };
    let mut held = CapHeld::default();
    let monitors = s.frontend.monitoring() || s.backend.monitoring();
    let mut next_drain = Instant::now() + Duration::from_secs(1);
    loop {
        if monitors && Instant::now() >= next_drain {
            // Keep the monitor pipes short while the proxy runs the sockets.
            s.frontend.drain_monitor();
            s.backend.drain_monitor();
            next_drain = Instant::now() + Duration::from_secs(1);
        }
        let timeout = if monitors { crate::sys::ctx::ms_until(next_drain) } else { -1 };
        let paused = sh.paused.load(Ordering::SeqCst);
        let (fe, be) = if paused {
            (zmq::PollEvents::empty(), zmq::PollEvents::empty())
        } else {
            let mut fe = zmq::PollEvents::empty();
            let mut be = zmq::PollEvents::empty();
            // Read a direction only when its last message went on (and the
            // capture took its copy); else wait for room.
            let read_ok = held.is_empty();
            if fwd.pend.n == 0 {
                if read_ok {
                    fe |= zmq::POLLIN
                }
            } else {
                be |= zmq::POLLOUT
            }
            if bwd.pend.n == 0 {
                if read_ok {
                    be |= zmq::POLLIN
                }
            } else {
                fe |= zmq::POLLOUT
            }
            (fe, be)
        };
        let ce = if held.is_empty() || paused { zmq::PollEvents::empty() } else { zmq::POLLOUT };
        let mut items = vec![s.frontend.zmq().as_poll_item(fe), s.backend.zmq().as_poll_item(be), stop.sock.as_poll_item(zmq::POLLIN)];
        if let Some(c) = s.capture.as_ref() {
            items.push(c.zmq().as_poll_item(ce));
        }
        zmq::poll(&mut items, timeout).map_err(|e| zerr(e.to_raw(), "proxy poll"))?;
        let (fr, br, cr) = (items[0].get_revents(), items[1].get_revents(), items[2].is_readable());
        let capw = items.get(3).is_some_and(|i| i.is_writable());
        drop(items);
        if cr {
            if stop.command() == STOP {
                return Ok(());
            }
            continue;
        }
        let _g = sh.gate.lock().unwrap_or_else(PoisonError::into_inner);
        if let (true, Some(c)) = (capw, cap) {
            // The held copy goes; the next poll sees what waits to be read.
            capture_flush(c, &mut held);
        }
        if fr.contains(zmq::POLLIN) || br.contains(zmq::POLLOUT) {
            pump(&mut fwd, cap, &mut held, sh)?;
        }
        if br.contains(zmq::POLLIN) || fr.contains(zmq::POLLOUT) {
            pump(&mut bwd, cap, &mut held, sh)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::{Recv, PULL, PUSH};

    #[test]
    fn forwards_holds_when_no_room_and_returns_sockets() {
        let mut front = Socket::new(PULL).unwrap();
        let mut back = Socket::new(PUSH).unwrap();
        let fe = crate::sys::ctx::inproc_endpoint("proxy-test-f");
        let be = crate::sys::ctx::inproc_endpoint("proxy-test-b");
        front.bind(&fe).unwrap();
        back.bind(&be).unwrap();
        let mut p = Proxy::start(ProxySockets { frontend: front, backend: back, capture: None }, None).map_err(|e| e.0.clone()).unwrap();
        let mut src = Socket::new(PUSH).unwrap();
        src.connect(&fe).unwrap();
        for i in 0..10u8 {
            assert!(src.try_send(&[i, i], &[1, 1], false).unwrap());
        }
        // No peer on the backend yet: the proxy holds the first message.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(p.stats().to_backend_msgs, 0);
        let mut sink = Socket::new(PULL).unwrap();
        sink.connect(&be).unwrap();
        let mut got = Vec::new();
        let t = Instant::now();
        let (mut buf, mut sizes) = ([0u8; 8], [0usize; 4]);
        while got.len() < 10 && t.elapsed() < Duration::from_secs(5) {
            if let Recv::Got(m) = sink.try_recv(Some((&mut buf, &mut sizes))).unwrap() {
                assert_eq!(m.nframes, 2);
                got.push(buf[0]);
            }
        }
        assert_eq!(got, (0..10).collect::<Vec<u8>>());
        let st = p.stats();
        assert_eq!((st.to_backend_msgs, st.to_backend_bytes), (10, 20));
        let back = p.stop().unwrap().expect("sockets back");
        assert_eq!(back.frontend.kind(), PULL);
        assert!(!p.stats().running);
    }
}
