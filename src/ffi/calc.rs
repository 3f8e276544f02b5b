//! `hb_calc_*`: the calculation node.

use super::security::{curve_arg, HbCurveConfig};
use super::{brokers_arg, ffi_entry, free, get, lock, put_sized, read_sized, register, HbStatus, Object, Out, TypeTag};
use crate::lab::calc::{CalcConfig, CalcNode, CalcStats};
use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

/// A running calculation node (opaque). Create with `hb_calc_new` or
/// `hb_calc_new_ex`, release with `hb_calc_free`. Any thread may use it.
pub struct HbCalc {
    inner: Mutex<CalcNode>,
}

impl Object for HbCalc {
    const TAG: TypeTag = TypeTag::Calc;
    fn close(&self) {
        if let Ok(mut c) = self.inner.lock() {
            let _ = c.stop();
        }
    }
}

/// A calc node's counters (`hb_calc_stats`). Set `size` to
/// `sizeof(hb_calc_stats_t)` before the call (see `hb_broker_stats_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbCalcStats {
    /// Set by the caller: `sizeof(hb_calc_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Requests whose two catheti arrived and were sent to the operation nodes.
    pub requests: u64,
    /// Of those, classic (untagged) requests.
    pub classic_requests: u64,
    /// Hypotenuse answers published.
    pub results: u64,
    /// Error answers published.
    pub errors: u64,
    /// Squares computed locally because no operation node answered in time.
    pub fallbacks: u64,
    /// Squares received from operation nodes and used.
    pub squares_received: u64,
    /// Duplicate requests or squares dropped (or re-answered from the cache).
    pub duplicates: u64,
    /// Messages that were not well-formed and could not be answered.
    pub bad_messages: u64,
    /// Requests dropped because their second cathetus never came.
    pub expired: u64,
    /// Requests in progress right now.
    pub in_flight: u64,
}

impl From<CalcStats> for HbCalcStats {
    fn from(s: CalcStats) -> Self {
        HbCalcStats {
            size: 0,
            reserved: 0,
            requests: s.requests,
            classic_requests: s.classic_requests,
            results: s.results,
            errors: s.errors,
            fallbacks: s.fallbacks,
            squares_received: s.squares_received,
            duplicates: s.duplicates,
            bad_messages: s.bad_messages,
            expired: s.expired,
            in_flight: s.in_flight,
        }
    }
}

/// Connect a calculation node to the brokers and serve on a background
/// thread named `hypobus-calc` (no user code runs there).
///
/// * `brokers`: a broker list (see BROKER LISTS at the top of this header;
///   NULL or `""` = `127.0.0.1` on the default ports 5555/5556).
/// * `timeout_ms`: how long to wait for the operation nodes' squares before
///   computing the missing ones locally; 0 means 2000 (the lab's value).
/// * `out`: receives the new handle (release with `hb_calc_free`).
///
/// Returns `HB_OK`; `HB_CONFIG` (bad broker list); `HB_INVALID_ARGUMENT`
/// (`out` NULL, bad UTF-8); `HB_ZMQ`. Any thread; never waits (the node
/// connects in the background).
#[no_mangle]
pub extern "C" fn hb_calc_new(brokers: *const c_char, timeout_ms: u32, out: *mut *mut HbCalc) -> HbStatus {
    ffi_entry!("hb_calc_new", {
        let cfg = HbCalcConfig { size: std::mem::size_of::<HbCalcConfig>() as u32, timeout_ms, brokers, curve: std::ptr::null() };
        start(&cfg, out)
    })
}

/// How `hb_calc_new_ex` starts a calculation node: `hb_calc_new`'s
/// arguments, and the node's own CURVE keys. Set `size` to
/// `sizeof(hb_calc_config_t)` and every field you do not use to 0 / NULL
/// (zero means the default). Since ABI 1.5.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbCalcConfig {
    /// Set by the caller: `sizeof(hb_calc_config_t)`.
    pub size: u32,
    /// As `hb_calc_new`'s `timeout_ms`; 0 = 2000.
    pub timeout_ms: u32,
    /// A broker list (see BROKER LISTS); NULL or `""` = `127.0.0.1`.
    pub brokers: *const c_char,
    /// This node's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`).
    pub curve: *const HbCurveConfig,
}

/// `hb_calc_new` with its settings in a struct (see `hb_calc_config_t`),
/// including the node's own CURVE keys.
///
/// Returns as `hb_calc_new`; also `HB_INVALID_ARGUMENT` when `cfg` is NULL
/// or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when a
/// CURVE key or file of `cfg->curve` is bad (the message names it). Since
/// ABI 1.5. Any thread; waits only on the key files (the node connects in
/// the background).
#[no_mangle]
pub extern "C" fn hb_calc_new_ex(cfg: *const HbCalcConfig, out: *mut *mut HbCalc) -> HbStatus {
    ffi_entry!("hb_calc_new_ex", {
        let dflt = HbCalcConfig { size: 0, timeout_ms: 0, brokers: std::ptr::null(), curve: std::ptr::null() };
        let cfg = read_sized(cfg, dflt, "cfg")?;
        start(&cfg, out)
    })
}

fn start(c: &HbCalcConfig, out: *mut *mut HbCalc) -> super::FfiResult {
    let out = Out::new(out, "out")?;
    let mut cfg = CalcConfig { brokers: brokers_arg(c.brokers)?, curve: curve_arg(c.curve)?, ..Default::default() };
    if c.timeout_ms > 0 {
        cfg.timeout = Duration::from_millis(c.timeout_ms.into());
    }
    let node = CalcNode::start(cfg)?;
    out.set(register(HbCalc { inner: Mutex::new(node) })?);
    Ok(())
}

/// Copy the node's counters into `*out` (also after `hb_calc_stop`); set
/// `out->size` first.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL, `out->size` not set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_calc_stats(c: *const HbCalc, out: *mut HbCalcStats) -> HbStatus {
    ffi_entry!(c; "hb_calc_stats", {
        let c = get(c)?;
        let s = lock(&c.inner, "hb_calc")?.stats();
        put_sized(out, s.into(), "out")
    })
}

/// Stop serving, close the sockets and join the node's thread. The handle
/// stays valid (stats remain readable) until `hb_calc_free`. Stopping twice
/// is harmless.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the node's thread
/// ended with (`HB_ZMQ`, ...). Any thread; waits for the node's thread to
/// end (at once: it runs no user code).
#[no_mangle]
pub extern "C" fn hb_calc_stop(c: *const HbCalc) -> HbStatus {
    ffi_entry!(c; "hb_calc_stop", {
        let c = get(c)?;
        lock(&c.inner, "hb_calc")?.stop()?;
        Ok(())
    })
}

/// Stop the node (if running) and release the handle. NULL is a no-op
/// (`HB_OK`); a freed handle (second free) is `HB_INVALID_HANDLE`. Any
/// thread; waits for the node's thread to end.
#[no_mangle]
pub extern "C" fn hb_calc_free(c: *mut HbCalc) -> HbStatus {
    ffi_entry!("hb_calc_free", { free(c) })
}
