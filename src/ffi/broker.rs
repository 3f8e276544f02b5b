//! `hb_broker_*`: the XSUB/XPUB broker with heartbeats.

use super::{ffi_entry, free, get, lock, opt_str_arg, register, Failure, Handle, HbStatus, Out, StrOut, TypeTag};
use crate::broker::{Broker, BrokerConfig, BrokerStats};
use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

/// A running broker (opaque). Create with `hb_broker_new`, release with
/// `hb_broker_free`. Safe to use from several threads; calls on one handle
/// are serialized.
pub struct HbBroker {
    inner: Mutex<Broker>,
}

impl Handle for HbBroker {
    const TAG: TypeTag = TypeTag::Broker;
}

/// Start a broker: bind its XSUB endpoint (publishers connect here), its
/// XPUB endpoint (subscribers connect here) and its heartbeat PUB endpoint,
/// then forward on a background thread named `hypobus-broker`.
///
/// * `xsub_ep`, `xpub_ep`, `hb_ep`: ZeroMQ endpoints to bind, e.g.
///   `tcp://127.0.0.1:5555`; NULL means the lab's defaults: every interface,
///   ports 5555, 5556 and 5560. A wildcard port (`tcp://127.0.0.1:*`) picks
///   a free port: read it back with `hb_broker_endpoint`. An empty `hb_ep`
///   (`""`) sends no heartbeat.
/// * `hb_interval_ms`: heartbeat period; 0 means 1000.
/// * `out`: receives the new handle (owned by the caller, release it with
///   `hb_broker_free`). Untouched on failure.
///
/// Returns `HB_OK`; `HB_CONFIG` when an endpoint cannot be bound (in use,
/// malformed); `HB_INVALID_ARGUMENT` when `out` is NULL or a string is not
/// UTF-8; `HB_ZMQ` for other ZeroMQ failures.
#[no_mangle]
pub extern "C" fn hb_broker_new(
    xsub_ep: *const c_char,
    xpub_ep: *const c_char,
    hb_ep: *const c_char,
    hb_interval_ms: u32,
    out: *mut *mut HbBroker,
) -> HbStatus {
    ffi_entry!("hb_broker_new", {
        let out = Out::new(out, "out")?;
        let mut cfg = BrokerConfig::default();
        if let Some(ep) = opt_str_arg(xsub_ep, "xsub_ep")? {
            cfg.xsub = ep.to_string();
        }
        if let Some(ep) = opt_str_arg(xpub_ep, "xpub_ep")? {
            cfg.xpub = ep.to_string();
        }
        match opt_str_arg(hb_ep, "hb_ep")? {
            Some("") => cfg.hb = None,
            Some(ep) => cfg.hb = Some(ep.to_string()),
            None => {}
        }
        if hb_interval_ms > 0 {
            cfg.hb_interval = Duration::from_millis(hb_interval_ms.into());
        }
        let broker = Broker::start(cfg)?;
        out.set(register(HbBroker { inner: Mutex::new(broker) }));
        Ok(())
    })
}

/// Write the endpoint a broker actually bound (wildcard ports resolved, e.g.
/// `tcp://127.0.0.1:40123`) into `buf`. `which`: 0 = XSUB, 1 = XPUB,
/// 2 = heartbeat (an empty string when the broker sends no heartbeat).
///
/// `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
/// (optional) its length without the NUL.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (text cut to fit, `*out_len` = full
/// length); `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with `len` > 0);
/// `HB_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn hb_broker_endpoint(b: *const HbBroker, which: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!("hb_broker_endpoint", {
        let b = get(b)?;
        let out = StrOut::new(buf, len, out_len, "buf")?;
        let ep = {
            let g = lock(&b.inner, "hb_broker")?;
            match which {
                0 => g.endpoints.0.clone(),
                1 => g.endpoints.1.clone(),
                2 => g.endpoints.2.clone().unwrap_or_default(),
                _ => return Err(Failure::arg(format!("which must be 0 (xsub), 1 (xpub) or 2 (hb), not {which}"))),
            }
        };
        out.write(&ep)
    })
}

/// Copy the broker's counters into `*out` (also after `hb_broker_stop`: the
/// final counts).
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out` NULL).
#[no_mangle]
pub extern "C" fn hb_broker_stats(b: *const HbBroker, out: *mut BrokerStats) -> HbStatus {
    ffi_entry!("hb_broker_stats", {
        let b = get(b)?;
        let out = Out::new(out, "out")?;
        out.set(lock(&b.inner, "hb_broker")?.stats());
        Ok(())
    })
}

/// Make the broker forward publications (`on` != 0, active) or hold them
/// (`on` == 0, passive: subscriptions still flow, nothing is forwarded).
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_STOPPED` when the broker was
/// stopped.
#[no_mangle]
pub extern "C" fn hb_broker_set_active(b: *const HbBroker, on: i32) -> HbStatus {
    ffi_entry!("hb_broker_set_active", {
        let b = get(b)?;
        let g = lock(&b.inner, "hb_broker")?;
        if !g.is_running() {
            return Err(crate::Error::Stopped.into());
        }
        g.set_active(on != 0);
        Ok(())
    })
}

/// Write 1 to `*out` when the broker forwards publications, else 0.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out` NULL).
#[no_mangle]
pub extern "C" fn hb_broker_is_active(b: *const HbBroker, out: *mut i32) -> HbStatus {
    ffi_entry!("hb_broker_is_active", {
        let b = get(b)?;
        let out = Out::new(out, "out")?;
        out.set(lock(&b.inner, "hb_broker")?.is_active().into());
        Ok(())
    })
}

/// Stop forwarding, close the sockets (the ports are free again on return)
/// and join the broker's thread. The handle stays valid (stats remain
/// readable) until `hb_broker_free`. Stopping twice is harmless.
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the broker's thread
/// ended with (`HB_ZMQ`, ...).
#[no_mangle]
pub extern "C" fn hb_broker_stop(b: *const HbBroker) -> HbStatus {
    ffi_entry!("hb_broker_stop", {
        let b = get(b)?;
        lock(&b.inner, "hb_broker")?.stop()?;
        Ok(())
    })
}

/// Stop the broker (if running) and release the handle. NULL is a no-op
/// (`HB_OK`). After this call the handle is invalid: any use, including a
/// second free, returns `HB_INVALID_HANDLE`. If another thread is inside a
/// call on this handle, the broker is released when that call returns.
#[no_mangle]
pub extern "C" fn hb_broker_free(b: *mut HbBroker) -> HbStatus {
    ffi_entry!("hb_broker_free", { free(b) })
}
