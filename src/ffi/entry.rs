//! The one panic boundary: every exported function's body runs inside
//! [`ffi_entry!`], which turns its `Err(Failure)` into a status, records the
//! failure's text (this thread's, and the handle's when one is named) and
//! turns a panic into `HB_PANIC`.

use super::error::{Failure, FfiResult, HbStatus, HbStatus::*, LAST_ERROR};
use super::handle::registry;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::PoisonError;

fn record(f: &Failure, key: Option<usize>) {
    LAST_ERROR.with(|e| e.borrow_mut().set(f));
    if let Some(key) = key {
        if let Some(h) = registry().get(&key).map(|e| e.dynh.clone()) {
            h.common().err.lock().unwrap_or_else(PoisonError::into_inner).set(f);
        }
    }
}

/// Wraps the body of every exported function: runs it under
/// `catch_unwind`, turns its `Err(Failure)` into a status and records the
/// failure (this thread's last error, and the handle's when one is named),
/// and a panic into `HB_PANIC`.
///
/// `ffi_entry!("hb_name", { ...; Ok(()) })`, `ffi_entry!(handle; "hb_name", {...})`
/// (also record on `handle`'s own error), `ffi_entry!(quiet "hb_name", {...})`
/// (record nothing: for the functions that read errors).
macro_rules! ffi_entry {
    (quiet $name:literal, $body:block) => {
        $crate::ffi::run_entry($name, false, None, move || -> $crate::ffi::FfiResult { $body })
    };
    ($h:expr; $name:literal, $body:block) => {{
        let key = ($h).addr();
        $crate::ffi::run_entry($name, true, Some(key), move || -> $crate::ffi::FfiResult { $body })
    }};
    ($name:literal, $body:block) => {
        $crate::ffi::run_entry($name, true, None, move || -> $crate::ffi::FfiResult { $body })
    };
}
pub(crate) use ffi_entry;

pub(crate) fn run_entry(name: &str, record_it: bool, key: Option<usize>, body: impl FnOnce() -> FfiResult) -> HbStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => HB_OK,
        Ok(Err(f)) => {
            if record_it {
                record(&f, key);
            }
            f.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            // Dropping the payload could itself panic; keep it away from the boundary.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            let f = Failure::new(HB_PANIC, format!("internal error (panic) in {name}: {what}"));
            let _ = catch_unwind(AssertUnwindSafe(|| record(&f, key)));
            HB_PANIC
        }
    }
}
