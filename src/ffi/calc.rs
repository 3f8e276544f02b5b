//! `hb_calc_*`: the calculation node.

use super::{brokers_arg, ffi_entry, free, get, lock, register, Handle, HbStatus, Out, TypeTag};
use crate::calc::{CalcConfig, CalcNode, CalcStats};
use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

/// A running calculation node (opaque). Create with `hb_calc_new`, release
/// with `hb_calc_free`. Safe to use from several threads.
pub struct HbCalc {
    inner: Mutex<CalcNode>,
}

impl Handle for HbCalc {
    const TAG: TypeTag = TypeTag::Calc;
}

/// Connect a calculation node to the brokers and serve on a background
/// thread named `hypobus-calc` (no user code runs there).
///
/// * `brokers`: `"HOST[:XSUB_PORT:XPUB_PORT],..."` (NULL or `""` = `127.0.0.1`
///   on the default ports 5555/5556).
/// * `timeout_ms`: how long to wait for the operation nodes' squares before
///   computing the missing ones locally; 0 means 2000 (the lab's value).
/// * `out`: receives the new handle (release with `hb_calc_free`).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list); `HB_INVALID_ARGUMENT`
/// (`out` NULL, bad UTF-8); `HB_ZMQ`.
#[no_mangle]
pub extern "C" fn hb_calc_new(brokers: *const c_char, timeout_ms: u32, out: *mut *mut HbCalc) -> HbStatus {
    ffi_entry!("hb_calc_new", {
        let out = Out::new(out, "out")?;
        let mut cfg = CalcConfig { brokers: brokers_arg(brokers)?, ..Default::default() };
        if timeout_ms > 0 {
            cfg.timeout = Duration::from_millis(timeout_ms.into());
        }
        let node = CalcNode::start(cfg)?;
        out.set(register(HbCalc { inner: Mutex::new(node) }));
        Ok(())
    })
}

/// Copy the node's counters into `*out` (also after `hb_calc_stop`).
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out` NULL).
#[no_mangle]
pub extern "C" fn hb_calc_stats(c: *const HbCalc, out: *mut CalcStats) -> HbStatus {
    ffi_entry!("hb_calc_stats", {
        let c = get(c)?;
        let out = Out::new(out, "out")?;
        out.set(lock(&c.inner, "hb_calc")?.stats());
        Ok(())
    })
}

/// Stop serving, close the sockets and join the node's thread. The handle
/// stays valid (stats remain readable) until `hb_calc_free`. Stopping twice
/// is harmless.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the node's thread
/// ended with (`HB_ZMQ`, ...).
#[no_mangle]
pub extern "C" fn hb_calc_stop(c: *const HbCalc) -> HbStatus {
    ffi_entry!("hb_calc_stop", {
        let c = get(c)?;
        lock(&c.inner, "hb_calc")?.stop()?;
        Ok(())
    })
}

/// Stop the node (if running) and release the handle. NULL is a no-op
/// (`HB_OK`); a freed handle (second free) is `HB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn hb_calc_free(c: *mut HbCalc) -> HbStatus {
    ffi_entry!("hb_calc_free", { free(c) })
}
