//! The threads that run the handles' C callbacks (`hb_op_fn`,
//! `hb_failover_event_fn`, `hb_task_fn`), and nothing else: one mechanism
//! ([`spawn`] over a [`Jobs`] queue) for all of them. An op node or a
//! failover broker has one such thread ([`CallbackThread`]); a task worker
//! with a handler has as many as its slots (`ffi/task/worker.rs`).
//!
//! Why threads of their own, started with `pthread_create` rather than
//! `std::thread`:
//!
//! * **Nothing waits for it.** A role's own thread hands it a job and keeps
//!   watching its stop signal, so `stop`/`free` never wait for a callback
//!   that cannot return — a koffi callback runs on Node's main thread, and
//!   if that thread is the one calling `hb_op_free`, waiting would deadlock
//!   forever. Stop waits for a running callback at most [`GRACE`].
//! * **A thread exit inside a callback ends only that thread.** When Python
//!   shuts down, a ctypes callback that wants the GIL calls `pthread_exit`,
//!   which unwinds the stack by force. Through a `std::thread` that reaches
//!   Rust's `catch_unwind` and aborts the process ("FATAL: exception not
//!   rethrown"). Here the callback is called from a start routine whose
//!   frame owns nothing with a destructor (a "plain old frame"), through a
//!   `C-unwind` function pointer, so the forced unwind passes straight to
//!   glibc's thread start and the thread ends quietly; the role then sees
//!   its callback thread gone and answers with errors.
//!
//! A callback thread blocks every signal (like every library thread), and
//! knows whose it is ([`on_thread_of`]), so a callback that stops or frees
//! its own handle is not waited for.

use super::{Failure, HbStatus, Notifier};
use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long `stop` waits for a callback that is running to return before it
/// returns anyway (the callback then finishes on its own; its result is
/// dropped and no new call starts).
pub(crate) const GRACE: Duration = Duration::from_millis(500);

/// Longest queue of events waiting for a callback; older ones are dropped
/// (and counted) beyond it. Jobs that need an answer (operations) are one
/// at a time anyway.
const MAX_QUEUED: usize = 1024;

/// A queue of callback calls that pool threads work through. The thread's
/// start routine ([`thread_main`]) holds only `Copy` data while [`Jobs::call`]
/// runs, so a forced unwind inside the C function passes through it.
pub(crate) trait Jobs: Send + Sync + 'static {
    /// One call as plain data (what `call` needs; anything owned stays in
    /// the queue until `finish`).
    type Job: Copy;
    /// What the C function returned, as plain data.
    type Out: Copy;
    /// Wait for the next job and mark it running; `None`: the thread ends.
    fn take(&self) -> Option<Self::Job>;
    /// Call the C function for `job`: the only step that may not return.
    ///
    /// # Safety
    /// `job` came from `take` and was not finished.
    unsafe fn call(&self, job: Self::Job) -> Self::Out;
    /// Record what the call returned and release what the job held.
    fn finish(&self, job: Self::Job, out: Self::Out);
    /// The thread is ending normally (after `take` returned `None`).
    fn ended(&self) {}
}

thread_local! {
    /// The queue whose callback thread this is (as an address), 0 elsewhere.
    static THIS: Cell<usize> = const { Cell::new(0) };
}

/// Whether the calling thread is one of `jobs`' callback threads (a callback
/// stopping or freeing its own handle must not wait for itself).
pub(crate) fn on_thread_of<J: Jobs>(jobs: &Arc<J>) -> bool {
    THIS.with(Cell::get) == Arc::as_ptr(jobs) as usize
}

/// What a new callback thread is handed: its queue (a strong count) and name.
struct Start<J> {
    jobs: *const J,
    name: &'static CStr,
}

/// Start one detached callback thread `name` working through `jobs`.
pub(crate) fn spawn<J: Jobs>(jobs: &Arc<J>, name: &'static CStr) -> Result<(), Failure> {
    let arg = Box::into_raw(Box::new(Start { jobs: Arc::into_raw(jobs.clone()), name }));
    // SAFETY: plain pthread calls on valid pointers; `arg` is reclaimed by the thread (or below on failure).
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        let mut tid: libc::pthread_t = std::mem::zeroed();
        let start: extern "C-unwind" fn(*mut c_void) -> *mut c_void = thread_main::<J>;
        // pthread_create's prototype takes an `extern "C"` function; a C-unwind one has the same ABI.
        let start: extern "C" fn(*mut c_void) -> *mut c_void = std::mem::transmute(start);
        let rc = libc::pthread_create(&mut tid, &attr, start, arg.cast());
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            let start = Box::from_raw(arg);
            drop(Arc::from_raw(start.jobs));
            return Err(Failure::new(HbStatus::HB_CONFIG, format!("cannot start a callback thread: error {rc}")));
        }
    }
    Ok(())
}

/// A callback thread's start routine. Its frame holds only plain data (a
/// raw pointer, `Copy` jobs and outcomes) while a callback runs, so a
/// forced unwind (`pthread_exit` inside the callback) passes through it;
/// the queue then stays referenced (leaked), which its owner sees as a
/// callback that never returns (bounded by [`GRACE`] and the role's limits).
extern "C-unwind" fn thread_main<J: Jobs>(arg: *mut c_void) -> *mut c_void {
    crate::sys::runner::block_signals();
    // SAFETY: `arg` is the Box made in `spawn`, handed over once; read out and freed here.
    let Start { jobs, name } = *unsafe { Box::from_raw(arg.cast::<Start<J>>()) };
    // SAFETY: names the calling thread; the names are NUL-terminated literals of < 16 bytes.
    unsafe { libc::pthread_setname_np(libc::pthread_self(), name.as_ptr()) };
    THIS.with(|t| t.set(jobs as usize));
    // SAFETY: `jobs` stays valid until released below (we hold a strong count).
    let j: &J = unsafe { &*jobs };
    while let Some(job) = j.take() {
        // SAFETY: a job just taken.
        let out = unsafe { j.call(job) };
        j.finish(job, out);
    }
    j.ended();
    // SAFETY: the strong count leaked by `spawn`, released once here.
    drop(unsafe { Arc::from_raw(jobs) });
    std::ptr::null_mut()
}

/// An operation callback: `int (*)(void *user, double x, double *out)`.
pub(crate) type OpFn = unsafe extern "C-unwind" fn(*mut c_void, f64, *mut f64) -> i32;
/// A failover event callback: `void (*)(void *user, uint64_t at_ms, int32_t active, const char *reason)`.
pub(crate) type EventFn = unsafe extern "C-unwind" fn(*mut c_void, u64, i32, *const c_char);

/// One call for the thread to make. Plain data only (see the module docs):
/// strings live in [`State`] until the next job.
#[derive(Clone, Copy)]
struct Job {
    kind: Kind,
    seq: u64,
    x: f64,
    at_ms: u64,
    active: i32,
    text: *const c_char,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Op,
    Event,
}

/// What one operation call returned.
#[derive(Clone, Copy)]
struct Done {
    seq: u64,
    rc: i32,
    y: f64,
}

struct State {
    jobs: VecDeque<Job>,
    /// Strings of the queued jobs and of the one running (freed in order).
    strings: VecDeque<CString>,
    quit: bool,
    running: bool,
    exited: bool,
    done: Option<Done>,
    dropped: u64,
    calls: u64,
}

/// The part shared by the thread and its owner.
struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    /// Poked when an operation call returns (the role thread polls it).
    done_fd: Notifier,
    op: Option<OpFn>,
    event: Option<EventFn>,
    user: usize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the callback thread runs: one of the three C callback shapes.
pub(crate) enum Callback {
    Op(OpFn),
    Event(EventFn),
}

/// A callback thread and its queue. Dropping it asks the thread to quit
/// after the call in progress (never waits).
pub(crate) struct CallbackThread {
    shared: Arc<Shared>,
}

// SAFETY: the user pointer is only passed back to the C callback, on the
// callback thread; every function that takes a callback documents that.
unsafe impl Send for Shared {}
// SAFETY: as above; all other state is behind the mutex.
unsafe impl Sync for Shared {}

impl CallbackThread {
    /// Start the thread for callback `cb` with its `user` pointer.
    pub(crate) fn start(cb: Callback, user: *mut c_void) -> Result<CallbackThread, Failure> {
        let (op, event) = match cb {
            Callback::Op(f) => (Some(f), None),
            Callback::Event(f) => (None, Some(f)),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                strings: VecDeque::new(),
                quit: false,
                running: false,
                exited: false,
                done: None,
                dropped: 0,
                calls: 0,
            }),
            cv: Condvar::new(),
            done_fd: Notifier::new()?,
            op,
            event,
            user: user as usize,
        });
        let t = CallbackThread { shared };
        t.spawn()?;
        Ok(t)
    }

    fn spawn(&self) -> Result<(), Failure> {
        spawn(&self.shared, c"hypobus-cb")
    }

    /// The descriptor that becomes readable when an operation call returns.
    pub(crate) fn done_fd(&self) -> std::os::fd::RawFd {
        self.shared.done_fd.fd()
    }

    /// Hand an operation call on `x` to the thread; returns its sequence
    /// number, or `None` when the thread is gone (quit or exited).
    pub(crate) fn call_op(&self, x: f64) -> Option<u64> {
        let mut st = self.shared.lock();
        if st.quit || st.exited {
            return None;
        }
        st.calls += 1;
        let seq = st.calls;
        let job = Job { kind: Kind::Op, seq, x, at_ms: 0, active: 0, text: std::ptr::null() };
        st.done = None;
        st.jobs.push_back(job);
        self.shared.cv.notify_all();
        Some(seq)
    }

    /// The result of operation call `seq` if it returned: `Ok(value)` or
    /// the callback's error.
    pub(crate) fn take_done(&self, seq: u64) -> Option<Result<f64, String>> {
        let mut st = self.shared.lock();
        self.shared.done_fd.drain();
        let d = st.done.filter(|d| d.seq == seq)?;
        st.done = None;
        if d.rc != 0 {
            return Some(Err(format!("operation failed (code {})", d.rc)));
        }
        Some(Ok(d.y))
    }

    /// True once the thread has ended (it quit, or a callback ended it).
    #[cfg(test)]
    pub(crate) fn exited(&self) -> bool {
        self.shared.lock().exited
    }

    /// Queue an event for the event callback (never waits).
    pub(crate) fn post_event(&self, at_ms: u64, active: bool, reason: &str) {
        let mut st = self.shared.lock();
        if st.quit || st.exited {
            return;
        }
        if st.jobs.len() >= MAX_QUEUED {
            st.jobs.pop_front();
            st.strings.pop_front();
            st.dropped += 1;
        }
        let c = CString::new(reason.replace('\0', " ")).unwrap_or_default();
        let job = Job { kind: Kind::Event, seq: 0, x: 0.0, at_ms, active: active.into(), text: c.as_ptr() };
        st.strings.push_back(c);
        st.jobs.push_back(job);
        self.shared.cv.notify_all();
    }

    /// Ask the thread to quit once the queue is empty or at once (`now`),
    /// and wait up to [`GRACE`] for it to be idle — unless called from the
    /// thread itself (a callback stopping its own handle), which never
    /// waits. Returns true when no callback is running any more.
    pub(crate) fn quit(&self, now: bool) -> bool {
        let mut st = self.shared.lock();
        st.quit = true;
        if now {
            st.jobs.clear();
        }
        self.shared.cv.notify_all();
        if on_thread_of(&self.shared) {
            return false;
        }
        let until = Instant::now() + GRACE;
        while (st.running || !st.jobs.is_empty()) && !st.exited {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            st = self.shared.cv.wait_timeout(st, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        true
    }

    /// Whether a callback call is running now.
    pub(crate) fn running(&self) -> bool {
        self.shared.lock().running
    }
}

impl Drop for CallbackThread {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.quit = true;
        self.shared.cv.notify_all();
    }
}

impl Jobs for Shared {
    type Job = Job;
    type Out = (i32, f64);

    /// The next job (blocking), marked running; `None` when told to quit.
    fn take(&self) -> Option<Job> {
        let mut st = self.lock();
        loop {
            if let Some(j) = st.jobs.pop_front() {
                st.running = true;
                return Some(j);
            }
            if st.quit {
                return None;
            }
            self.cv.notify_all();
            st = self.cv.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    unsafe fn call(&self, job: Job) -> (i32, f64) {
        let user = self.user as *mut c_void;
        let mut y = f64::NAN;
        let rc = match job.kind {
            // SAFETY: C function pointers given to the library, called as their docs say.
            Kind::Op => match self.op {
                Some(f) => unsafe { f(user, job.x, &mut y) },
                None => -1,
            },
            Kind::Event => {
                if let Some(f) = self.event {
                    // SAFETY: `text` lives in State::strings until `finish`.
                    unsafe { f(user, job.at_ms, job.active, job.text) };
                }
                0
            }
        };
        (rc, y)
    }

    fn finish(&self, job: Job, (rc, y): (i32, f64)) {
        let mut st = self.lock();
        st.running = false;
        if !job.text.is_null() {
            st.strings.pop_front();
        }
        if job.kind == Kind::Op {
            st.done = Some(Done { seq: job.seq, rc, y });
            self.done_fd.poke();
        }
        self.cv.notify_all();
    }

    fn ended(&self) {
        self.lock().exited = true;
        self.cv.notify_all();
        self.done_fd.poke();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C-unwind" fn double_it(_u: *mut c_void, x: f64, out: *mut f64) -> i32 {
        // SAFETY: out is valid for the call.
        unsafe { *out = 2.0 * x };
        0
    }

    unsafe extern "C-unwind" fn exits_thread(_u: *mut c_void, _x: f64, _out: *mut f64) -> i32 {
        // What a ctypes callback does when Python is shutting down.
        // SAFETY: ends the calling thread (a forced unwind), which is what is being tested.
        unsafe { libc::pthread_exit(std::ptr::null_mut()) }
    }

    fn wait_done(t: &CallbackThread, seq: u64, within: Duration) -> Option<Result<f64, String>> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Some(r) = t.take_done(seq) {
                return Some(r);
            }
            if t.exited() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }

    #[test]
    fn runs_calls_in_order() {
        let t = CallbackThread::start(Callback::Op(double_it), std::ptr::null_mut()).unwrap();
        for i in 0..100 {
            let seq = t.call_op(i as f64).unwrap();
            match wait_done(&t, seq, Duration::from_secs(5)) {
                Some(Ok(y)) => assert_eq!(y, 2.0 * i as f64),
                _ => panic!("no answer for {i}"),
            }
        }
        assert!(t.quit(false));
    }

    #[test]
    fn a_thread_exit_inside_a_callback_ends_only_that_thread() {
        let t = CallbackThread::start(Callback::Op(exits_thread), std::ptr::null_mut()).unwrap();
        let seq = t.call_op(1.0).unwrap();
        assert!(wait_done(&t, seq, Duration::from_millis(300)).is_none(), "the call never returns");
        // The process is still here; stopping does not hang (bounded by GRACE).
        let t0 = Instant::now();
        assert!(!t.quit(false));
        assert!(t0.elapsed() < GRACE + Duration::from_millis(300));
    }
}
