//! `hb_broker_*`: the XSUB/XPUB broker with heartbeats.

use super::security::{curve_arg, HbCurveConfig};
use super::{ffi_entry, free, get, lock, opt_str_arg, put_sized, read_sized, register, Failure, HbStatus, Object, Out, StrOut, TypeTag};
use crate::lab::broker::{Broker, BrokerConfig, BrokerStats};
use std::ffi::c_char;
use std::sync::Mutex;
use std::time::Duration;

/// A running broker (opaque). Create with `hb_broker_new` or
/// `hb_broker_new_ex`, release with `hb_broker_free`. Any thread may use
/// it; calls on one handle are serialized (none of them waits long).
pub struct HbBroker {
    inner: Mutex<Broker>,
}

impl Object for HbBroker {
    const TAG: TypeTag = TypeTag::Broker;
    fn close(&self) {
        if let Ok(mut b) = self.inner.lock() {
            let _ = b.stop();
        }
    }
}

/// A broker's counters (`hb_broker_stats`, `hb_failover_broker_stats`).
/// Set `size` to `sizeof(hb_broker_stats_t)` before the call; the library
/// fills as many fields as both sides know and sets `size` to that many
/// bytes, so a struct from an older or newer header is never overrun.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbBrokerStats {
    /// Set by the caller: `sizeof(hb_broker_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Messages forwarded from publishers to subscribers.
    pub forwarded: u64,
    /// Messages received while passive and therefore not forwarded.
    pub dropped_passive: u64,
    /// Subscribe requests seen on the XPUB side.
    pub subscriptions: u64,
    /// Unsubscribe requests seen on the XPUB side.
    pub unsubscriptions: u64,
    /// Heartbeats sent.
    pub heartbeats: u64,
}

impl From<BrokerStats> for HbBrokerStats {
    fn from(s: BrokerStats) -> Self {
        HbBrokerStats {
            size: 0,
            reserved: 0,
            forwarded: s.forwarded,
            dropped_passive: s.dropped_passive,
            subscriptions: s.subscriptions,
            unsubscriptions: s.unsubscriptions,
            heartbeats: s.heartbeats,
        }
    }
}

/// How `hb_broker_new_ex` starts a broker. Set `size` to
/// `sizeof(hb_broker_config_t)` and every field you do not use to 0 / NULL
/// (`memset` or `= {0}` then set `size`): zero means the default. Fields
/// added by later versions of the library lie past an older caller's `size`
/// and take their defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbBrokerConfig {
    /// Set by the caller: `sizeof(hb_broker_config_t)`.
    pub size: u32,
    /// Heartbeat period in milliseconds; 0 = 1000.
    pub hb_interval_ms: u32,
    /// XSUB endpoint to bind (publishers connect here); NULL = port 5555 on every interface.
    pub xsub: *const c_char,
    /// XPUB endpoint to bind (subscribers connect here); NULL = port 5556 on every interface.
    pub xpub: *const c_char,
    /// Heartbeat PUB endpoint to bind; NULL = `tcp://127.0.0.1:5560`
    /// (loopback: give the address explicitly to reach other hosts);
    /// `""` = no heartbeat.
    pub hb: *const c_char,
    /// Also serve peers of this process over `inproc://` under this name
    /// (1 to 64 of `A-Z a-z 0-9 . _ -`): nodes and sockets of the same
    /// process reach it as `inproc:NAME` in a broker list, with no TCP in
    /// between, while it runs (a node given a name no running broker
    /// serves is refused with `HB_CONFIG`). NULL = not.
    pub inproc_name: *const c_char,
    /// Non-zero: start passive (subscriptions flow, nothing is forwarded)
    /// until `hb_broker_set_active`.
    pub start_passive: i32,
    /// Reserved, 0.
    pub reserved: u32,
    /// This broker's own CURVE keys (see `hb_curve_config_t`); NULL = the
    /// process default (`hb_curve_set_default`). Since ABI 1.5.
    pub curve: *const HbCurveConfig,
}

/// Start a broker: bind its XSUB endpoint (publishers connect here), its
/// XPUB endpoint (subscribers connect here) and its heartbeat PUB endpoint,
/// then forward on a background thread named `hypobus-broker`.
///
/// * `xsub_ep`, `xpub_ep`: ZeroMQ endpoints to bind, e.g.
///   `tcp://127.0.0.1:5555`; NULL means the lab's defaults on every
///   interface, ports 5555 and 5556. A wildcard port (`tcp://127.0.0.1:*`)
///   picks a free port: read it back with `hb_broker_endpoint`.
/// * `hb_ep`: the heartbeat endpoint; NULL = `tcp://127.0.0.1:5560`
///   (loopback only: name the address to beat to other hosts, e.g.
///   `tcp://0.0.0.0:5560`); `""` sends no heartbeat.
/// * `hb_interval_ms`: heartbeat period; 0 means 1000.
/// * `out`: receives the new handle (owned by the caller, release it with
///   `hb_broker_free`). Untouched on failure.
///
/// Returns `HB_OK`; `HB_CONFIG` when an endpoint cannot be bound (in use,
/// malformed); `HB_INVALID_ARGUMENT` when `out` is NULL or a string is not
/// UTF-8; `HB_ZMQ` for other ZeroMQ failures. Any thread; waits only for
/// the binds.
#[no_mangle]
pub extern "C" fn hb_broker_new(
    xsub_ep: *const c_char,
    xpub_ep: *const c_char,
    hb_ep: *const c_char,
    hb_interval_ms: u32,
    out: *mut *mut HbBroker,
) -> HbStatus {
    ffi_entry!("hb_broker_new", {
        let cfg = HbBrokerConfig {
            size: std::mem::size_of::<HbBrokerConfig>() as u32,
            hb_interval_ms,
            xsub: xsub_ep,
            xpub: xpub_ep,
            hb: hb_ep,
            inproc_name: std::ptr::null(),
            start_passive: 0,
            reserved: 0,
            curve: std::ptr::null(),
        };
        start(&cfg, out)
    })
}

/// `hb_broker_new` with every setting in a struct (see `hb_broker_config_t`),
/// including the ones `hb_broker_new` has no argument for: an `inproc://`
/// name, a passive start.
///
/// Returns as `hb_broker_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
/// NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG`
/// when a CURVE key or file of `cfg->curve` is bad (the message names it).
/// Any thread; waits only for the binds (and the key files).
#[no_mangle]
pub extern "C" fn hb_broker_new_ex(cfg: *const HbBrokerConfig, out: *mut *mut HbBroker) -> HbStatus {
    ffi_entry!("hb_broker_new_ex", {
        let dflt = HbBrokerConfig {
            size: 0,
            hb_interval_ms: 0,
            xsub: std::ptr::null(),
            xpub: std::ptr::null(),
            hb: std::ptr::null(),
            inproc_name: std::ptr::null(),
            start_passive: 0,
            reserved: 0,
            curve: std::ptr::null(),
        };
        let cfg = read_sized(cfg, dflt, "cfg")?;
        start(&cfg, out)
    })
}

fn start(c: &HbBrokerConfig, out: *mut *mut HbBroker) -> super::FfiResult {
    let out = Out::new(out, "out")?;
    let mut cfg = BrokerConfig::default();
    if let Some(ep) = opt_str_arg(c.xsub, "xsub endpoint")? {
        cfg.xsub = ep.to_string();
    }
    if let Some(ep) = opt_str_arg(c.xpub, "xpub endpoint")? {
        cfg.xpub = ep.to_string();
    }
    cfg.hb = match opt_str_arg(c.hb, "heartbeat endpoint")? {
        Some("") => None,
        Some(ep) => Some(ep.to_string()),
        None => Some(format!("tcp://127.0.0.1:{}", crate::wire::HB_PORT)),
    };
    if c.hb_interval_ms > 0 {
        cfg.hb_interval = Duration::from_millis(c.hb_interval_ms.into());
    }
    cfg.inproc = opt_str_arg(c.inproc_name, "inproc_name")?.map(str::to_string);
    if let Some(name) = &cfg.inproc {
        crate::lab::brokers::BrokerAddr::inproc(name)?;
    }
    cfg.active = c.start_passive == 0;
    cfg.curve = curve_arg(c.curve)?;
    let broker = Broker::start(cfg)?;
    out.set(register(HbBroker { inner: Mutex::new(broker) })?);
    Ok(())
}

/// Write the endpoint a broker actually bound (wildcard ports resolved, e.g.
/// `tcp://127.0.0.1:40123`) into `buf`. `which`: 0 = XSUB, 1 = XPUB,
/// 2 = heartbeat (an empty string when the broker sends no heartbeat).
///
/// `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
/// (optional) its length without the NUL.
///
/// Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (only `*out_len` = the length
/// needed is set); `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with
/// `len` > 0); `HB_INVALID_HANDLE`. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_broker_endpoint(b: *const HbBroker, which: i32, buf: *mut c_char, len: usize, out_len: *mut usize) -> HbStatus {
    ffi_entry!(b; "hb_broker_endpoint", {
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
        out.put(&ep)
    })
}

/// Copy the broker's counters into `*out` (also after `hb_broker_stop`: the
/// final counts). Set `out->size` first (see `hb_broker_stats_t`).
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL, `out->size` not set). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_broker_stats(b: *const HbBroker, out: *mut HbBrokerStats) -> HbStatus {
    ffi_entry!(b; "hb_broker_stats", {
        let b = get(b)?;
        let s = lock(&b.inner, "hb_broker")?.stats();
        put_sized(out, s.into(), "out")
    })
}

/// Make the broker forward publications (`on` != 0, active) or hold them
/// (`on` == 0, passive: subscriptions still flow, nothing is forwarded).
///
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_STOPPED` when the broker was
/// stopped. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_broker_set_active(b: *const HbBroker, on: i32) -> HbStatus {
    ffi_entry!(b; "hb_broker_set_active", {
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
/// Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
/// NULL). Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_broker_is_active(b: *const HbBroker, out: *mut i32) -> HbStatus {
    ffi_entry!(b; "hb_broker_is_active", {
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
/// ended with (`HB_ZMQ`, ...). Any thread; waits for the broker's thread
/// to end (it ends at once: it runs no user code).
#[no_mangle]
pub extern "C" fn hb_broker_stop(b: *const HbBroker) -> HbStatus {
    ffi_entry!(b; "hb_broker_stop", {
        let b = get(b)?;
        lock(&b.inner, "hb_broker")?.stop()?;
        Ok(())
    })
}

/// Stop the broker (if running; its ports are free on return) and release
/// the handle. NULL is a no-op (`HB_OK`). After this call the handle is
/// invalid: any use, including a second free, returns `HB_INVALID_HANDLE`.
/// Any thread; waits for the broker's thread to end.
#[no_mangle]
pub extern "C" fn hb_broker_free(b: *mut HbBroker) -> HbStatus {
    ffi_entry!("hb_broker_free", { free(b) })
}
