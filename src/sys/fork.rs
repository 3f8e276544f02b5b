//! Fork safety: a process may `fork()` at any time after using the library
//! (Python's `multiprocessing`, a C server forking per connection).
//!
//! What a forked child inherits — libzmq contexts whose I/O threads do not
//! exist there, eventfds that the parent's threads read, locks that a parent
//! thread may have held at the instant of the fork — belongs to the parent:
//! a child that writes to one of those descriptors makes the parent's libzmq
//! abort (`mailbox.cpp` assertion). So the child never touches any of it:
//!
//! * every process-wide object ([`PerProcess`]: the shared ZeroMQ context,
//!   the handle registry, the log queue) is made anew, lazily, by the first
//!   call in the child; the parent's copy is leaked there, never used, never
//!   dropped (dropping a context would terminate it: a write to the parent's
//!   mailboxes);
//! * handles created before the fork are refused in the child
//!   (`HB_FORKED`, see `ffi::mod`), and freeing one does nothing.
//!
//! The child learns that it is one from a `pthread_atfork` child handler that
//! only bumps a counter (async-signal-safe), so a check costs one atomic load.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Once;

/// How many forks lie between this process and the one that loaded the
/// library (0 in that process).
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// The first handle value of this generation: values below it were given
/// out before the last fork (by an ancestor).
static FIRST_KEY: AtomicUsize = AtomicUsize::new(0);
/// Where the next handle value is read at fork time (set by the registry).
static NEXT_KEY: AtomicPtr<AtomicUsize> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    let next = NEXT_KEY.load(Ordering::SeqCst);
    if !next.is_null() {
        // SAFETY: NEXT_KEY only ever points at a static AtomicUsize.
        FIRST_KEY.store(unsafe { (*next).load(Ordering::SeqCst) }, Ordering::SeqCst);
    }
}

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a handler that only touches atomics; the library
        // is never unloaded (-z nodelete), so the function stays valid.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
}

/// This process's fork generation (installs the fork handler on first use,
/// so it is in place before anything the library makes can be inherited).
#[inline]
pub fn generation() -> u64 {
    install();
    GENERATION.load(Ordering::SeqCst)
}

/// Tell the fork handler where the handle counter lives.
pub(crate) fn track_keys(next: &'static AtomicUsize) {
    install();
    NEXT_KEY.store(next as *const AtomicUsize as *mut AtomicUsize, Ordering::SeqCst);
}

/// Whether a handle value was given out before this process was forked.
pub(crate) fn inherited_key(key: usize) -> bool {
    GENERATION.load(Ordering::SeqCst) > 0 && key != 0 && key < FIRST_KEY.load(Ordering::SeqCst)
}

struct Gen<T> {
    generation: u64,
    value: T,
}

/// A process-wide value that each process has its own of: made by `init`
/// on first use, and again on first use after a fork (the inherited one is
/// leaked, untouched). Values live until the process ends.
pub struct PerProcess<T: 'static> {
    cur: AtomicPtr<Gen<T>>,
    init: fn() -> T,
}

impl<T: Send + Sync + 'static> PerProcess<T> {
    pub const fn new(init: fn() -> T) -> PerProcess<T> {
        PerProcess { cur: AtomicPtr::new(std::ptr::null_mut()), init }
    }

    /// This process's value.
    #[inline]
    pub fn get(&'static self) -> &'static T {
        let gen = generation();
        let p = self.cur.load(Ordering::Acquire);
        // SAFETY: a non-null pointer came from Box::into_raw below and is never freed.
        if !p.is_null() && unsafe { (*p).generation } == gen {
            return unsafe { &(*p).value };
        }
        self.renew(p, gen)
    }

    #[cold]
    fn renew(&'static self, seen: *mut Gen<T>, generation: u64) -> &'static T {
        let fresh = Box::into_raw(Box::new(Gen { generation, value: (self.init)() }));
        match self.cur.compare_exchange(seen, fresh, Ordering::AcqRel, Ordering::Acquire) {
            // `seen` (null, or the parent's) is left as it is: leaked.
            // SAFETY: fresh is ours and now published; never freed.
            Ok(_) => unsafe { &(*fresh).value },
            Err(now) => {
                // Another thread of this process made it first: use theirs.
                // SAFETY: fresh was never published.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: as in get(): published pointers are never freed.
                if unsafe { (*now).generation } == generation {
                    unsafe { &(*now).value }
                } else {
                    self.renew(now, generation)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_process() {
        static N: AtomicU64 = AtomicU64::new(0);
        static V: PerProcess<u64> = PerProcess::new(|| N.fetch_add(1, Ordering::SeqCst));
        let a: *const u64 = V.get();
        assert!(std::ptr::eq(V.get(), a), "the same value while no fork happened");
        // SAFETY: the child only checks values and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let ok = generation() == 1 && !std::ptr::eq(V.get(), a) && *V.get() == 1;
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(status, 0, "the child made a value of its own");
        assert!(std::ptr::eq(V.get(), a), "the parent keeps its value");
        assert_eq!(generation(), 0);
    }
}
