//! Handles: opaque keys into a registry, never dereferenced addresses, so a
//! NULL, freed, wrong-type or (in a forked child) inherited handle is an
//! error, never a crash; what every handle has besides its object
//! ([`Common`]: its error text, its notifier, the waits on it).

use super::error::{ErrInfo, Failure, FfiResult, HbStatus::*};
use crate::sys::fork::PerProcess;
pub(crate) use crate::sys::notify::Notifier;
use once_cell::sync::OnceCell;
use std::any::Any;
use std::collections::HashMap;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

/// The kind of object behind a handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeTag {
    Broker,
    Op,
    OpPull,
    Calc,
    Client,
    Failover,
    Socket,
    Proxy,
    TaskBroker,
    TaskWorker,
    TaskClient,
    Watch,
    Auth,
}

impl TypeTag {
    pub(crate) fn c_name(self) -> &'static str {
        match self {
            TypeTag::Broker => "hb_broker",
            TypeTag::Op => "hb_op",
            TypeTag::OpPull => "hb_op_pull",
            TypeTag::Calc => "hb_calc",
            TypeTag::Client => "hb_client",
            TypeTag::Failover => "hb_failover",
            TypeTag::Socket => "hb_socket",
            TypeTag::Proxy => "hb_proxy",
            TypeTag::TaskBroker => "hb_task_broker",
            TypeTag::TaskWorker => "hb_task_worker",
            TypeTag::TaskClient => "hb_task_client",
            TypeTag::Watch => "hb_watch",
            TypeTag::Auth => "hb_auth",
        }
    }
}

/// What a look at a handle found (for `hb_poll`): the events ready now and
/// when a timer of the handle is due (a resend, a time-out).
pub(crate) struct Look {
    pub revents: i16,
    pub timer: Option<Instant>,
}

/// An object that C holds through an opaque handle.
pub(crate) trait Object: Send + Sync + 'static {
    const TAG: TypeTag;

    /// For `hb_poll`: which of `events` are ready now, without waiting;
    /// push the descriptors that signal a change onto `fds`.
    fn look(&self, _events: i16, _fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        Err(Failure::arg(format!("{} handles cannot be polled", Self::TAG.c_name())))
    }

    /// The descriptors that signal a change, for the handle's event-loop fd
    /// (`hb_handle_fd`); `None` when the handle has nothing to wait for.
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        Ok(None)
    }

    /// Called once when the handle is freed, after it was unregistered and
    /// every wait on it was woken: stop background work. Calls still running
    /// on other threads keep the object alive until they return.
    fn close(&self) {}
}

/// What every handle has besides its object: its last error, its notifier,
/// whether it was freed, the waits sleeping on it.
pub(crate) struct Common {
    pub(crate) err: Mutex<ErrInfo>,
    pub notifier: Notifier,
    pub(crate) closed: AtomicBool,
    pub(crate) waiters: AtomicUsize,
    pub(crate) wake_requested: AtomicBool,
    pub(crate) epoll: OnceCell<OwnedFd>,
}

impl Common {
    fn new() -> Result<Common, Failure> {
        Ok(Common {
            err: Mutex::new(ErrInfo::empty()),
            notifier: Notifier::new().map_err(|e| Failure::new(HB_ZMQ, e.to_string()))?,
            closed: AtomicBool::new(false),
            waiters: AtomicUsize::new(0),
            wake_requested: AtomicBool::new(false),
            epoll: OnceCell::new(),
        })
    }

    /// Mark closed and wake every wait (the notifier stays readable).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.notifier.poke();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Wake waits sleeping on this handle (if any), so they look again:
    /// call after taking something from a socket that a waiter on another
    /// thread might have been told about.
    pub(crate) fn poke_waiters(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.notifier.poke();
        }
    }

    /// Whether another wait sleeps on this handle now.
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::SeqCst) > 0
    }
}

/// A registered object with its [`Common`] part.
pub(crate) struct Slot<T> {
    pub common: Common,
    pub obj: T,
}

impl<T> std::ops::Deref for Slot<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.obj
    }
}

/// The type-independent view of a slot, for calls that take handles of any kind.
pub(crate) trait DynSlot: Send + Sync {
    fn common(&self) -> &Common;
    fn tag(&self) -> TypeTag;
    fn look(&self, events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure>;
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure>;
    fn close_obj(&self);
}

impl<T: Object> DynSlot for Slot<T> {
    fn common(&self) -> &Common {
        &self.common
    }
    fn tag(&self) -> TypeTag {
        T::TAG
    }
    fn look(&self, events: i16, fds: &mut Vec<RawFd>) -> Result<Look, Failure> {
        self.obj.look(events, fds)
    }
    fn watch_fds(&self) -> Result<Option<Vec<RawFd>>, Failure> {
        self.obj.watch_fds()
    }
    fn close_obj(&self) {
        self.obj.close()
    }
}

pub(crate) struct Entry {
    pub(crate) any: Arc<dyn Any + Send + Sync>,
    pub(crate) dynh: Arc<dyn DynSlot>,
}

/// Live handles: handle value → object. The handle value is a key, never a
/// memory address that is dereferenced. One registry per process: a forked
/// child starts with an empty one (the parent's is never touched there, not
/// even its lock, which a parent thread may have held at the fork).
static HANDLES: PerProcess<RwLock<HashMap<usize, Entry>>> = PerProcess::new(|| {
    crate::sys::fork::track_keys(&NEXT_HANDLE);
    RwLock::new(HashMap::new())
});

/// Next handle value. Values are never reused, so a stale handle stays
/// invalid even after new handles are created.
static NEXT_HANDLE: AtomicUsize = AtomicUsize::new(0x10_0000);
const HANDLE_STEP: usize = 16;

pub(crate) fn registry() -> std::sync::RwLockReadGuard<'static, HashMap<usize, Entry>> {
    HANDLES.get().read().unwrap_or_else(PoisonError::into_inner)
}

fn registry_mut() -> std::sync::RwLockWriteGuard<'static, HashMap<usize, Entry>> {
    HANDLES.get().write().unwrap_or_else(PoisonError::into_inner)
}

/// Register `obj` and return its handle for C.
pub(crate) fn register<T: Object>(obj: T) -> Result<*mut T, Failure> {
    let slot = Arc::new(Slot { common: Common::new()?, obj });
    let key = NEXT_HANDLE.fetch_add(HANDLE_STEP, Ordering::Relaxed);
    let any: Arc<dyn Any + Send + Sync> = slot.clone();
    registry_mut().insert(key, Entry { any, dynh: slot });
    Ok(std::ptr::without_provenance_mut(key))
}

fn not_live(key: usize, want: &str) -> Failure {
    if crate::sys::fork::inherited_key(key) {
        Failure::new(
            HB_FORKED,
            format!("{key:#x} is an {want} handle of the parent process: it was created before this process forked, and a forked child cannot use it (make a new one)"),
        )
    } else if key == 0 {
        Failure::new(HB_INVALID_HANDLE, format!("{want} handle is NULL"))
    } else {
        Failure::new(HB_INVALID_HANDLE, format!("{key:#x} is not a live {want} handle (already freed, or never created)"))
    }
}

/// The object behind a live handle of type `T` (kept alive for the call even
/// if another thread frees the handle meanwhile).
pub(crate) fn get<T: Object>(h: *const T) -> Result<Arc<Slot<T>>, Failure> {
    let key = h.addr();
    let any = {
        let reg = registry();
        let e = reg.get(&key).ok_or_else(|| not_live(key, T::TAG.c_name()))?;
        if e.dynh.tag() != T::TAG {
            return Err(Failure::new(
                HB_INVALID_HANDLE,
                format!("expected an {} handle, got an {} handle", T::TAG.c_name(), e.dynh.tag().c_name()),
            ));
        }
        e.any.clone()
    };
    any.downcast::<Slot<T>>().map_err(|_| Failure::new(HB_INVALID_HANDLE, format!("{} handle of the wrong type", T::TAG.c_name())))
}

/// The object behind a live handle of any type.
pub(crate) fn get_dyn(key: usize) -> Result<Arc<dyn DynSlot>, Failure> {
    registry().get(&key).map(|e| e.dynh.clone()).ok_or_else(|| not_live(key, "library"))
}

/// Unregister a handle, wake every wait on it, stop its work, and drop it
/// (once no call uses it any more). NULL is a no-op; a freed or wrong-type
/// handle is `HB_INVALID_HANDLE`.
pub(crate) fn free<T: Object>(h: *mut T) -> FfiResult {
    if h.is_null() || crate::sys::fork::inherited_key(h.addr()) {
        // A parent's handle in a forked child: nothing of it is ours to stop or close.
        return Ok(());
    }
    get(h)?; // type check
    let entry = registry_mut().remove(&h.addr()).ok_or_else(|| not_live(h.addr(), T::TAG.c_name()))?;
    entry.dynh.common().close();
    // Outside the registry lock: stopping a role joins its thread.
    entry.dynh.close_obj();
    drop(entry);
    Ok(())
}

/// Lock a handle's contents. A mutex poisoned by an earlier caught panic
/// makes the handle unusable (`HB_PANIC`); it can still be freed.
pub(crate) fn lock<'a, T>(m: &'a Mutex<T>, what: &str) -> Result<MutexGuard<'a, T>, Failure> {
    m.lock().map_err(|_| Failure::new(HB_PANIC, format!("an earlier call on this {what} panicked; free the handle")))
}

/// Consume a pending `hb_wake` on `common` (for the polls).
pub(crate) fn take_wake(common: &Common) -> bool {
    common.wake_requested.swap(false, Ordering::SeqCst)
}
