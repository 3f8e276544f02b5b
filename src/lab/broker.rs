//! The broker: XSUB/XPUB forwarding plus a heartbeat publisher.
//!
//! Publishers connect to the XSUB socket, subscribers to the XPUB socket;
//! subscriptions flow up, messages flow down, exactly like `zmq_proxy`, but in
//! our own loop so the broker can count, send heartbeats, stop on request, and
//! be switched between *active* (forwarding) and *passive* (bound, keeping
//! subscriptions warm, forwarding nothing) by the failover monitor.

use crate::error::{Error, Result};
use crate::security::{Authenticator, Curve};
use crate::sys::ctx;
use crate::sys::runner::{Poke, Runner, StopSignal};
use crate::wire;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a broker binds and how it beats.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// XSUB endpoint to bind (publishers connect here). Default `tcp://*:5555`.
    pub xsub: String,
    /// XPUB endpoint to bind (subscribers connect here). Default `tcp://*:5556`.
    pub xpub: String,
    /// Heartbeat PUB endpoint to bind, or `None` for no heartbeat. Default `tcp://*:5560`.
    pub hb: Option<String>,
    /// Heartbeat period. Default 1000 ms.
    pub hb_interval: Duration,
    /// Start forwarding at once (true) or start passive (false).
    pub active: bool,
    /// Also serve nodes of this process over `inproc://` under this name
    /// (reach it with [`BrokerAddr::inproc`](crate::lab::brokers::BrokerAddr::inproc)):
    /// no TCP and no I/O thread between the broker and its in-process
    /// peers. The broker then lives in the process's shared context, and
    /// `stop` no longer waits for its TCP ports to be released.
    pub inproc: Option<String>,
    /// CURVE on the TCP endpoints (a server key, an allow-list). Default:
    /// the process's default, off unless set.
    pub curve: Curve,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            xsub: format!("tcp://*:{}", wire::XSUB_PORT),
            xpub: format!("tcp://*:{}", wire::XPUB_PORT),
            hb: Some(format!("tcp://*:{}", wire::HB_PORT)),
            hb_interval: Duration::from_millis(1000),
            active: true,
            inproc: None,
            curve: Curve::default(),
        }
    }
}

/// A snapshot of a broker's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BrokerStats {
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

#[derive(Default)]
struct Counters {
    forwarded: AtomicU64,
    dropped_passive: AtomicU64,
    subscriptions: AtomicU64,
    unsubscriptions: AtomicU64,
    heartbeats: AtomicU64,
}

/// A running broker. Dropping it stops it.
pub struct Broker {
    runner: Runner,
    counters: Arc<Counters>,
    active: Arc<AtomicBool>,
    /// Endpoints actually bound (wildcard ports resolved): xsub, xpub, hb.
    pub endpoints: (String, String, Option<String>),
    /// The ZAP authenticator of a CURVE allow-list (in the broker's context).
    auth: Option<Authenticator>,
    /// Its inproc name while it serves it (`BrokerConfig::inproc`).
    inproc: Option<crate::lab::brokers::InprocName>,
    ctx: Option<zmq::Context>,
}

/// Bind `ep` (an IPv6 address in brackets turns on `ZMQ_IPV6` first) and
/// return the endpoint bound, wildcard port resolved.
pub(crate) fn bind(sock: &zmq::Socket, ep: &str) -> Result<String> {
    if ep.contains('[') {
        sock.set_ipv6(true)?;
    }
    ctx::no_eintr(|| sock.bind(ep)).map_err(|e| Error::Config(format!("cannot bind {ep}: {e}")))?;
    Ok(sock.get_last_endpoint()?.unwrap_or_else(|_| ep.to_string()))
}

/// Command to the broker loop: publish the announcement that it is active.
pub const ANNOUNCE: &[u8] = b"ANNOUNCE";
/// Command prefix to the broker loop: publish the rest as the detail of a
/// `state` event on `hypobus.obs.broker` (the failover monitor's state
/// changes, for `hypobus watch`).
pub const OBS_STATE: &[u8] = b"OBS ";

/// Messages handled per socket before polling again (keeps both directions fair).
const BATCH: usize = 256;

impl Broker {
    /// Bind the sockets (errors are reported here, synchronously) and start
    /// forwarding on a background thread named `hypobus-broker`.
    pub fn start(cfg: BrokerConfig) -> Result<Broker> {
        if cfg.hb_interval.is_zero() {
            return Err(Error::Config("heartbeat interval must be > 0".into()));
        }
        // Its own context (not the shared one), so that `stop` can terminate
        // it: that waits until the listening sockets are really closed, and
        // the ports are free again when `stop` returns.
        // (inproc needs the shared context, see `BrokerConfig::inproc`.)
        let ctx = if cfg.inproc.is_some() { ctx::context() } else { zmq::Context::new() };
        let xsub = ctx.socket(zmq::XSUB)?;
        let xpub = ctx.socket(zmq::XPUB)?;
        ctx::tune(&xsub)?;
        ctx::tune(&xpub)?;
        let auth = cfg.curve.authenticator(&ctx)?;
        cfg.curve.serve(&xsub)?;
        cfg.curve.serve(&xpub)?;
        let xsub_ep = bind(&xsub, &cfg.xsub)?;
        let xpub_ep = bind(&xpub, &cfg.xpub)?;
        if let Some(name) = &cfg.inproc {
            let local = crate::lab::brokers::BrokerAddr::inproc(name)?;
            bind(&xsub, &local.xsub)?;
            bind(&xpub, &local.xpub)?;
        }
        let own_ctx = cfg.inproc.is_none().then(|| ctx.clone());
        let (hb, hb_ep) = match &cfg.hb {
            Some(ep) => {
                let s = ctx.socket(zmq::PUB)?;
                ctx::tune(&s)?;
                cfg.curve.serve(&s)?;
                let bound = bind(&s, ep)?;
                (Some(s), Some(bound))
            }
            None => (None, None),
        };
        let counters = Arc::new(Counters::default());
        let active = Arc::new(AtomicBool::new(cfg.active));
        let (c, a) = (counters.clone(), active.clone());
        let interval = cfg.hb_interval;
        let runner = Runner::spawn(&ctx, "hypobus-broker", move |stop| run(stop, xsub, xpub, hb, interval, &c, &a))?;
        let inproc = cfg.inproc.as_deref().map(crate::lab::brokers::InprocName::claim);
        Ok(Broker { runner, counters, active, endpoints: (xsub_ep, xpub_ep, hb_ep), auth, inproc, ctx: own_ctx })
    }

    /// Current counters.
    pub fn stats(&self) -> BrokerStats {
        let c = &self.counters;
        BrokerStats {
            forwarded: c.forwarded.load(Ordering::Relaxed),
            dropped_passive: c.dropped_passive.load(Ordering::Relaxed),
            subscriptions: c.subscriptions.load(Ordering::Relaxed),
            unsubscriptions: c.unsubscriptions.load(Ordering::Relaxed),
            heartbeats: c.heartbeats.load(Ordering::Relaxed),
        }
    }

    /// Forward (true) or hold (false) publications. Subscriptions are always
    /// passed upstream so a passive broker is ready to take over at once.
    pub fn set_active(&self, on: bool) {
        let was = self.active.swap(on, Ordering::SeqCst);
        if on && !was {
            self.runner.poke().send(ANNOUNCE);
        }
    }

    /// The shared switch behind [`Broker::set_active`] (for the failover monitor).
    pub fn active_flag(&self) -> Arc<AtomicBool> {
        self.active.clone()
    }

    /// A handle that makes the broker publish `hypobus.broker.active` (send
    /// it [`ANNOUNCE`]), from any thread.
    pub fn announcer(&self) -> Poke {
        self.runner.poke()
    }

    /// Whether the broker forwards publications.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }

    /// True while the forwarding thread runs.
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Stop forwarding, close every socket and join the thread. When it
    /// returns, the ports are free.
    pub fn stop(&mut self) -> Result<()> {
        // No node connects to its inproc name from here on.
        drop(self.inproc.take());
        let r = self.runner.stop();
        if let Some(mut a) = self.auth.take() {
            let _ = a.stop();
        }
        // Dropping the last handle of the context terminates it, which
        // waits until its (listening) sockets are really closed. Not
        // `Context::destroy`: the zmq crate terminates the context again when
        // the handle is dropped, on memory libzmq has already freed.
        drop(self.ctx.take());
        r
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Move up to `BATCH` whole messages from `src` to `dst` (or drop them when
/// `forward` is false). Returns how many messages were handled.
fn pump(src: &zmq::Socket, dst: &zmq::Socket, forward: bool, mut each: impl FnMut(&zmq::Message)) -> Result<u64> {
    let mut n = 0;
    let mut msg = zmq::Message::new();
    while (n as usize) < BATCH {
        match src.recv(&mut msg, zmq::DONTWAIT) {
            Ok(()) => {}
            Err(zmq::Error::EAGAIN) => break,
            Err(e) => return Err(e.into()),
        }
        each(&msg);
        loop {
            let more = msg.get_more();
            if forward {
                let out = std::mem::replace(&mut msg, zmq::Message::new());
                dst.send(out, if more { zmq::SNDMORE } else { 0 })?;
            }
            if !more {
                break;
            }
            src.recv(&mut msg, 0)?;
        }
        n += 1;
    }
    Ok(n)
}

fn run(
    stop: StopSignal,
    xsub: zmq::Socket,
    xpub: zmq::Socket,
    hb: Option<zmq::Socket>,
    interval: Duration,
    c: &Counters,
    active: &AtomicBool,
) -> Result<()> {
    let mut next_hb = Instant::now();
    loop {
        if let Some(h) = &hb {
            if Instant::now() >= next_hb {
                h.send(wire::HEARTBEAT, zmq::DONTWAIT).ok();
                c.heartbeats.fetch_add(1, Ordering::Relaxed);
                next_hb += interval;
                if next_hb < Instant::now() {
                    next_hb = Instant::now() + interval;
                }
            }
        }
        let timeout = if hb.is_some() { ctx::ms_until(next_hb) } else { -1 };
        let mut items = [xsub.as_poll_item(zmq::POLLIN), xpub.as_poll_item(zmq::POLLIN), stop.sock.as_poll_item(zmq::POLLIN)];
        zmq::poll(&mut items, timeout)?;
        if items[2].is_readable() {
            let cmd = stop.command();
            if let Some(detail) = cmd.strip_prefix(OBS_STATE) {
                // One message per state change, for an observer (no one else subscribes).
                let topic = crate::wire::obs::obs_topic("broker");
                xpub.send_multipart([topic.as_bytes(), b"state", b"", detail], zmq::DONTWAIT).ok();
                continue;
            }
            if cmd == ANNOUNCE {
                // Tell every subscriber of the announcement topic (libhypobus
                // clients and calc nodes) that this broker forwards now.
                let now = crate::log::now_ms().to_string();
                xpub.send_multipart([wire::ANNOUNCE_TOPIC.as_bytes(), now.as_bytes()], zmq::DONTWAIT).ok();
                continue;
            }
            return Ok(());
        }
        if items[0].is_readable() {
            let on = active.load(Ordering::Relaxed);
            let n = pump(&xsub, &xpub, on, |_| {})?;
            if on { &c.forwarded } else { &c.dropped_passive }.fetch_add(n, Ordering::Relaxed);
        }
        if items[1].is_readable() {
            pump(&xpub, &xsub, true, |m| match m.first() {
                Some(1) => {
                    c.subscriptions.fetch_add(1, Ordering::Relaxed);
                }
                Some(0) => {
                    c.unsubscriptions.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            })?;
        }
    }
}
