//! The library's one wake-up primitive: a Linux eventfd used as a level,
//! readable from a [`Notifier::poke`] until a [`Notifier::drain`], that any
//! thread can raise and a waiter (a wait loop of the C ABI, an event loop
//! through `hb_handle_fd`, a queue's reader) can `poll`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// An eventfd, non-blocking and close-on-exec.
pub(crate) struct Notifier {
    fd: OwnedFd,
    /// Set after a poke's write: a drain reads the fd only then, so a wait
    /// loop does not pay a failing read() syscall (EAGAIN) per look.
    poked: AtomicBool,
}

impl Notifier {
    pub(crate) fn new() -> crate::Result<Notifier> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(crate::Error::Config(format!("eventfd failed: {}", std::io::Error::last_os_error())));
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        Ok(Notifier { fd: unsafe { OwnedFd::from_raw_fd(fd) }, poked: AtomicBool::new(false) })
    }

    /// Make the fd readable (until drained).
    pub(crate) fn poke(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our own eventfd.
        unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        // After the write: a drain that misses the flag leaves the fd
        // readable only until the flag is set a moment later (the next
        // drain then reads it), never readable with the flag clear for good.
        self.poked.store(true, Ordering::SeqCst);
    }

    /// Make the fd unreadable again.
    pub(crate) fn drain(&self) {
        if !self.poked.swap(false, Ordering::SeqCst) {
            return;
        }
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64 from our own non-blocking eventfd.
        unsafe { libc::read(self.fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
    }

    /// The descriptor to poll (readable while poked).
    pub(crate) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Private wake-ups for threads waiting on one object: each waiter
/// registers a notifier of its own, poked on every change, and only its
/// owner drains it, so no waiter can swallow another's wake-up.
#[derive(Default)]
pub(crate) struct Waiters {
    list: Mutex<Vec<Arc<Notifier>>>,
}

/// A registered waiter (unregistered when dropped).
pub struct Waiter<'a> {
    owner: &'a Waiters,
    n: Arc<Notifier>,
}

impl Waiters {
    pub(crate) fn register(&self) -> crate::Result<Waiter<'_>> {
        let n = Arc::new(Notifier::new()?);
        self.list.lock().unwrap_or_else(PoisonError::into_inner).push(n.clone());
        Ok(Waiter { owner: self, n })
    }

    pub(crate) fn wake_all(&self) {
        for w in self.list.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            w.poke();
        }
    }
}

impl Waiter<'_> {
    /// Drain it before looking (then a change after the look pokes it again).
    pub fn drain(&self) {
        self.n.drain();
    }
    /// The descriptor to sleep on.
    pub fn fd(&self) -> RawFd {
        self.n.fd()
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.owner.list.lock().unwrap_or_else(PoisonError::into_inner).retain(|w| !Arc::ptr_eq(w, &self.n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, no wait.
        unsafe { libc::poll(&mut p, 1, 0) == 1 }
    }

    #[test]
    fn a_level_from_poke_to_drain() {
        let n = Notifier::new().unwrap();
        assert!(!readable(n.fd()));
        n.poke();
        n.poke();
        assert!(readable(n.fd()));
        n.drain();
        assert!(!readable(n.fd()));
        n.drain();
        assert!(!readable(n.fd()));
    }

    #[test]
    fn waiters_are_woken_each_on_its_own() {
        let ws = Waiters::default();
        let (a, b) = (ws.register().unwrap(), ws.register().unwrap());
        ws.wake_all();
        a.drain();
        assert!(!readable(a.fd()) && readable(b.fd()), "a's drain leaves b's wake-up");
        drop(b);
        assert_eq!(ws.list.lock().unwrap().len(), 1);
    }
}
