//! Background threads for roles: each role runs its loop on its own thread
//! and is stopped through an inproc control socket, so `stop` is immediate
//! and leaves no thread or socket behind. The same socket carries other
//! commands to the loop ([`Poke`]).

use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The command that ends a role's loop.
pub const STOP: &[u8] = b"STOP";

type Ctl = Arc<Mutex<Option<zmq::Socket>>>;

/// A running role's thread and its control channel.
pub struct Runner {
    ctl: Ctl,
    thread: Option<JoinHandle<Result<()>>>,
    name: String,
}

/// Sends a command to a role's loop from any thread (a no-op once stopped).
#[derive(Clone)]
pub struct Poke(Ctl);

impl Poke {
    /// Send `cmd`; false when the role is stopped.
    pub fn send(&self, cmd: &[u8]) -> bool {
        match self.0.lock() {
            Ok(g) => g.as_ref().is_some_and(|s| crate::sys::ctx::no_eintr(|| s.send(cmd, zmq::DONTWAIT)).is_ok()),
            Err(_) => false,
        }
    }
}

/// The role thread's end of the control channel: poll it with the role's sockets.
pub struct StopSignal {
    pub sock: zmq::Socket,
}

impl StopSignal {
    /// True once a stop was requested (non-blocking).
    pub fn requested(&self) -> bool {
        self.sock.poll(zmq::POLLIN, 0).map(|n| n > 0).unwrap_or(true)
    }

    /// Read one command (call when the socket is readable): `STOP` or what a
    /// [`Poke`] sent. An error reads as `STOP`.
    pub fn command(&self) -> Vec<u8> {
        self.sock.recv_bytes(zmq::DONTWAIT).unwrap_or_else(|_| STOP.to_vec())
    }
}

/// Block every (blockable) signal on the calling thread, as libzmq does on
/// its own threads: the library's threads never run a signal handler, so a
/// process-directed signal (SIGINT, SIGALRM, ...) reaches an application
/// thread, where a wait of the library returns `HB_INTERRUPTED` at once.
/// Call it first thing on every thread the library starts.
pub fn block_signals() {
    // SAFETY: a zeroed sigset_t filled by sigfillset; pthread_sigmask on the calling thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

impl Runner {
    /// Start `body` on a new thread named `name`; `body` must return when its
    /// [`StopSignal`] becomes readable.
    pub fn spawn<F>(ctx: &zmq::Context, name: &str, body: F) -> Result<Runner>
    where
        F: FnOnce(StopSignal) -> Result<()> + Send + 'static,
    {
        let ep = crate::sys::ctx::inproc_endpoint("ctl");
        let ctl = ctx.socket(zmq::PAIR)?;
        ctl.set_linger(0)?;
        crate::sys::ctx::no_eintr(|| ctl.bind(&ep))?;
        let theirs = ctx.socket(zmq::PAIR)?;
        theirs.set_linger(0)?;
        crate::sys::ctx::no_eintr(|| theirs.connect(&ep))?;
        let role = name.to_string();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                block_signals();
                let r = body(StopSignal { sock: theirs });
                if let Err(e) = &r {
                    crate::log!(&role, "stopped on error: {e}");
                }
                r
            })
            .map_err(|e| Error::Config(format!("cannot start thread {name}: {e}")))?;
        Ok(Runner { ctl: Arc::new(Mutex::new(Some(ctl))), thread: Some(thread), name: name.to_string() })
    }

    /// A handle to send commands to the loop from other threads.
    pub fn poke(&self) -> Poke {
        Poke(self.ctl.clone())
    }

    /// True while the role's thread is running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Ask the thread to stop and wait for it. Returns the loop's own error, if
    /// it ended with one. Calling it twice is harmless.
    pub fn stop(&mut self) -> Result<()> {
        let ctl = self.ctl.lock().ok().and_then(|mut c| c.take());
        if let Some(ctl) = ctl {
            // A signal on the calling thread (a profiler's SIGPROF, Ctrl-C in
            // Python) must not lose the STOP: the join below would wait forever.
            let _ = crate::sys::ctx::no_eintr(|| ctl.send(STOP, zmq::DONTWAIT));
            if let Some(t) = self.thread.take() {
                let r = t.join().map_err(|_| Error::Config(format!("{} thread panicked", self.name)))?;
                drop(ctl);
                return r;
            }
        }
        Ok(())
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
