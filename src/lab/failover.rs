//! Primary/backup brokers in the spirit of the ZeroMQ guide's Binary Star.
//!
//! A [`FailoverBroker`] is a [`Broker`] plus a monitor thread
//! (`hypobus-failover`) that
//! - publishes this broker's heartbeat on its own PUB socket: the classic one
//!   frame `HB` (so an original backup keeps counting it) followed by a state
//!   message `[HB.state, <primary|backup>, <active|passive>]`;
//! - watches the peer's heartbeat endpoint, and
//! - switches the broker between active (forwarding) and passive (bound,
//!   keeping subscriptions warm, forwarding nothing) by these rules:
//!
//! | me | condition | becomes |
//! |---|---|---|
//! | backup, passive | peer silent for `misses` × peer interval | active (take-over) |
//! | backup, active | peer primary active (it came back active: an original primary, or a healed partition) | passive (yield: no split brain) |
//! | backup, active | hand-back asked (API, C, `hypobus ctl handback`), primary alive and passive | passive |
//! | primary, starting | backup active | passive (no split brain) |
//! | primary, starting | backup passive, or silent for the window + 500 ms | active |
//! | primary, passive | backup passive (it handed back) or backup silent | active |
//!
//! A classic peer that only sends `HB` counts as an active primary.
//! Every change is an [`Event`] with a timestamp: logged, sent to an optional
//! callback (called on the monitor thread), and queued for [`FailoverBroker::next_event`].

use crate::error::{Error, Result};
use crate::lab::broker::{Broker, BrokerConfig, BrokerStats};
use crate::log;
use crate::security::{Authenticator, Curve};
use crate::sys::ctx;
use crate::sys::runner::{Runner, StopSignal};
use crate::wire;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::wire::STATE_TOPIC;

/// The configured role of a broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Backup,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Backup => "backup",
        }
    }

    /// `primary` or `backup`.
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "primary" => Ok(Role::Primary),
            "backup" => Ok(Role::Backup),
            _ => Err(Error::Config(format!("role must be primary or backup, not {s:?}"))),
        }
    }
}

/// How a failover broker runs.
#[derive(Debug, Clone)]
pub struct FailoverConfig {
    pub role: Role,
    /// This broker's XSUB / XPUB endpoints (bound).
    pub xsub: String,
    pub xpub: String,
    /// This broker's heartbeat PUB endpoint (bound).
    pub hb: String,
    /// This broker's heartbeat period. Default 1000 ms.
    pub hb_interval: Duration,
    /// The peer's heartbeat endpoint (connected).
    pub peer_hb: String,
    /// The peer's heartbeat period (an original primary beats every 1000 ms).
    /// Default: the same as `hb_interval`.
    pub peer_interval: Option<Duration>,
    /// Missed peer heartbeats before the peer counts as dead. Default 3.
    pub misses: u32,
    /// Optional control endpoint (REP, bound): `status`, `handback`.
    pub ctl: Option<String>,
    /// CURVE on every TCP endpoint, the link to the peer included (the two
    /// brokers of a pair share one certificate, so the peer's key is this
    /// pair's own unless `server_key` says otherwise). Default: the
    /// process's default, off unless set.
    pub curve: Curve,
}

impl FailoverConfig {
    /// Defaults for `role` with the given peer heartbeat endpoint.
    pub fn new(role: Role, peer_hb: &str) -> FailoverConfig {
        let d = BrokerConfig::default();
        FailoverConfig {
            role,
            xsub: d.xsub,
            xpub: d.xpub,
            hb: d.hb.unwrap_or_default(),
            hb_interval: d.hb_interval,
            peer_hb: peer_hb.to_string(),
            peer_interval: None,
            misses: 3,
            ctl: None,
            curve: Curve::default(),
        }
    }
}

/// A state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The new state: true = active (forwarding).
    pub active: bool,
    /// Why, in words.
    pub reason: String,
}

/// Failover counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailoverStats {
    /// 1 when this broker forwards now.
    pub active: u32,
    /// Times it became active.
    pub activations: u64,
    /// Times it became passive.
    pub deactivations: u64,
    /// Heartbeats sent (each is `HB` plus the state message).
    pub heartbeats: u64,
    /// Heartbeat messages received from the peer.
    pub peer_heartbeats: u64,
    /// Milliseconds since the peer was last heard (UINT64_MAX: never).
    pub peer_silent_ms: u64,
}

#[derive(Default)]
struct Shared {
    activations: AtomicU64,
    deactivations: AtomicU64,
    peer_heartbeats: AtomicU64,
    heartbeats: AtomicU64,
    /// Unix ms of the last peer heartbeat (0 = never).
    peer_last_ms: AtomicU64,
}

/// Called on the monitor thread for every state change.
pub type EventCallback = Box<dyn FnMut(&Event) + Send>;

/// A broker with a failover monitor. Dropping it stops both.
pub struct FailoverBroker {
    broker: Broker,
    monitor: Runner,
    role: Role,
    shared: Arc<Shared>,
    events: Mutex<mpsc::Receiver<Event>>,
    cmd: Mutex<Option<zmq::Socket>>,
    /// The ZAP authenticator of a CURVE allow-list (in `ctx`).
    auth: Option<Authenticator>,
    ctx: Option<zmq::Context>,
    hb_ep: String,
    ctl_ep: Option<String>,
}

impl FailoverBroker {
    /// Bind everything (errors are reported here) and start. The broker
    /// starts passive; the monitor decides as in the module table.
    pub fn start(cfg: FailoverConfig, on_event: Option<EventCallback>) -> Result<FailoverBroker> {
        if cfg.hb_interval.is_zero() || cfg.misses == 0 {
            return Err(Error::Config("heartbeat interval and misses must be > 0".into()));
        }
        let broker = Broker::start(BrokerConfig {
            xsub: cfg.xsub.clone(),
            xpub: cfg.xpub.clone(),
            hb: None,
            hb_interval: cfg.hb_interval,
            active: false,
            inproc: None,
            curve: cfg.curve.clone(),
        })?;
        // Own context: `stop` terminates it so the ports are free on return.
        let ctx = zmq::Context::new();
        let auth = cfg.curve.authenticator(&ctx)?;
        let hb = ctx.socket(zmq::PUB)?;
        ctx::tune(&hb)?;
        cfg.curve.serve(&hb)?;
        crate::lab::broker::bind(&hb, &cfg.hb)?;
        let hb_ep = hb.get_last_endpoint()?.unwrap_or_else(|_| cfg.hb.clone());
        let peer = ctx.socket(zmq::SUB)?;
        ctx::tune(&peer)?;
        peer.set_reconnect_ivl(50)?;
        peer.set_reconnect_ivl_max(200)?;
        peer.set_subscribe(b"")?;
        if cfg.peer_hb.contains('[') {
            peer.set_ipv6(true)?;
        }
        if let Some(k) = &cfg.curve.keys {
            cfg.curve.connect_with(&peer, k, Some(cfg.curve.server_key.as_deref().unwrap_or(&k.public)))?;
        }
        ctx::no_eintr(|| peer.connect(&cfg.peer_hb)).map_err(|e| Error::Config(format!("cannot connect to {}: {e}", cfg.peer_hb)))?;
        let mut ctl_ep = None;
        let ctl = match &cfg.ctl {
            Some(ep) => {
                let s = ctx.socket(zmq::REP)?;
                s.set_linger(0)?;
                cfg.curve.serve(&s)?;
                crate::lab::broker::bind(&s, ep)?;
                ctl_ep = s.get_last_endpoint()?.ok();
                Some(s)
            }
            None => None,
        };
        // In-process commands (hand-back) from the API to the monitor thread.
        let cmd_ep = ctx::inproc_endpoint("failover");
        let cmd_srv = ctx.socket(zmq::REP)?;
        cmd_srv.set_linger(0)?;
        ctx::no_eintr(|| cmd_srv.bind(&cmd_ep))?;
        let cmd = ctx.socket(zmq::REQ)?;
        cmd.set_linger(0)?;
        cmd.set_req_relaxed(true)?; // a timed-out hand-back must not wedge the socket
        cmd.set_req_correlate(true)?;
        ctx::no_eintr(|| cmd.connect(&cmd_ep))?;

        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::channel();
        let active = broker.active_flag();
        let announce = broker.announcer();
        let role = cfg.role;
        let mut mon = Monitor {
            role,
            window: cfg.peer_interval.unwrap_or(cfg.hb_interval) * cfg.misses,
            interval: cfg.hb_interval,
            hb,
            peer,
            ctl,
            cmd: cmd_srv,
            active,
            announce,
            shared: shared.clone(),
            tx,
            on_event,
            started: Instant::now(),
            decided: false,
            peer_last: None,
            peer_state: None,
            hb_only: 0,
        };
        let monitor = Runner::spawn(&ctx, "hypobus-failover", move |stop| mon.run(stop))?;
        log!("failover", "{} broker started passive; watching {}", role.name(), cfg.peer_hb);
        Ok(FailoverBroker {
            broker,
            monitor,
            role,
            shared,
            events: Mutex::new(rx),
            cmd: Mutex::new(Some(cmd)),
            auth,
            ctx: Some(ctx),
            hb_ep,
            ctl_ep,
        })
    }

    /// The configured role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// True while both the broker and its monitor run.
    pub fn is_running(&self) -> bool {
        self.monitor.is_running() && self.broker.is_running()
    }

    /// Whether the broker forwards now.
    pub fn is_active(&self) -> bool {
        self.broker.is_active()
    }

    /// The broker's bound endpoints (xsub, xpub).
    pub fn endpoints(&self) -> (String, String) {
        (self.broker.endpoints.0.clone(), self.broker.endpoints.1.clone())
    }

    /// The bound heartbeat endpoint and control endpoint (if any), wildcard
    /// ports resolved.
    pub fn monitor_endpoints(&self) -> (String, Option<String>) {
        (self.hb_ep.clone(), self.ctl_ep.clone())
    }

    /// Forwarding counters.
    pub fn broker_stats(&self) -> BrokerStats {
        self.broker.stats()
    }

    /// Failover counters.
    pub fn stats(&self) -> FailoverStats {
        let s = &self.shared;
        let last = s.peer_last_ms.load(Ordering::Relaxed);
        FailoverStats {
            active: self.is_active() as u32,
            activations: s.activations.load(Ordering::Relaxed),
            deactivations: s.deactivations.load(Ordering::Relaxed),
            heartbeats: s.heartbeats.load(Ordering::Relaxed),
            peer_heartbeats: s.peer_heartbeats.load(Ordering::Relaxed),
            peer_silent_ms: if last == 0 { u64::MAX } else { log::now_ms().saturating_sub(last) },
        }
    }

    /// Ask an active backup to hand traffic back to a live, passive primary.
    /// Waits at most `timeout` for the monitor's answer.
    pub fn handback(&self, timeout: Duration) -> Result<()> {
        self.handback_send()?;
        let until = Instant::now() + timeout;
        loop {
            if let Some(r) = self.handback_answer()? {
                return r;
            }
            if Instant::now() >= until {
                return Err(Error::Timeout(timeout.as_millis() as u64));
            }
            let guard = self.cmd.lock().map_err(|_| Error::Stopped)?;
            guard.as_ref().ok_or(Error::Stopped)?.poll(zmq::POLLIN, ctx::ms_until(until))?;
        }
    }

    /// Send a hand-back request to the monitor without waiting (see
    /// [`FailoverBroker::handback`]); read the answer with
    /// [`FailoverBroker::handback_answer`]. A request sent while an earlier
    /// one is unanswered replaces it.
    pub fn handback_send(&self) -> Result<()> {
        let guard = self.cmd.lock().map_err(|_| Error::Stopped)?;
        let cmd = guard.as_ref().ok_or(Error::Stopped)?;
        cmd.send("handback", 0)?;
        Ok(())
    }

    /// The monitor's answer to the last hand-back request, if it came:
    /// `Ok(())` done, `Err(Config(why))` refused.
    pub fn handback_answer(&self) -> Result<Option<Result<()>>> {
        let guard = self.cmd.lock().map_err(|_| Error::Stopped)?;
        let cmd = guard.as_ref().ok_or(Error::Stopped)?;
        if !cmd.get_events()?.contains(zmq::POLLIN) {
            return Ok(None);
        }
        let answer = cmd.recv_string(zmq::DONTWAIT)?.unwrap_or_default();
        Ok(Some(match answer.strip_prefix("error: ") {
            Some(why) => Err(Error::Config(why.to_string())),
            None => Ok(()),
        }))
    }

    /// The descriptor that signals the hand-back answer (libzmq's `ZMQ_FD`
    /// of the command socket: check [`FailoverBroker::handback_answer`]
    /// after every wake-up).
    pub fn handback_fd(&self) -> Result<std::os::fd::RawFd> {
        let guard = self.cmd.lock().map_err(|_| Error::Stopped)?;
        Ok(guard.as_ref().ok_or(Error::Stopped)?.get_fd()?)
    }

    /// The next state change, waiting at most `timeout` (`None`: none came).
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.events.lock().ok()?.recv_timeout(timeout).ok()
    }

    /// Stop the monitor and the broker, closing every socket. When it
    /// returns, the ports are free.
    pub fn stop(&mut self) -> Result<()> {
        let a = self.monitor.stop();
        if let Ok(mut cmd) = self.cmd.lock() {
            cmd.take();
        }
        if let Some(mut auth) = self.auth.take() {
            let _ = auth.stop();
        }
        // Dropping the last handle of the context terminates it, which
        // waits until its (listening) sockets are really closed. Not
        // `Context::destroy`: the zmq crate terminates the context again when
        // the handle is dropped, on memory libzmq has already freed.
        drop(self.ctx.take());
        let b = self.broker.stop();
        a.and(b)
    }
}

impl Drop for FailoverBroker {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A control command (`status`, `handback`), as a control client sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Status,
    Handback,
}

/// Parse a control request: one UTF-8 frame `status` or `handback`
/// (whitespace around it ignored). `Err` is the answer for a malformed or
/// unknown one (several frames, not UTF-8, another word).
pub fn parse_command(frames: &[Vec<u8>]) -> std::result::Result<Command, String> {
    let text = match frames {
        [one] => std::str::from_utf8(one).map_err(|_| "error: commands are UTF-8 text (status, handback)".to_string())?,
        _ => return Err("error: one frame per command (status, handback)".into()),
    };
    match text.trim() {
        "status" => Ok(Command::Status),
        "handback" => Ok(Command::Handback),
        other => Err(format!("error: unknown command {:?} (status, handback)", wire::excerpt(other.as_bytes()))),
    }
}

/// What a message on the peer's heartbeat socket says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// The classic one frame `HB`.
    Classic,
    /// `[HB.state, role, active|passive]`: the peer's role and whether it is active.
    State(Role, bool),
}

/// Parse a message of the peer's heartbeat socket; `None` for anything
/// else (it proves nothing about the peer).
pub fn parse_beat(m: &[Vec<u8>]) -> Option<Beat> {
    match m {
        [hb] if hb == wire::HEARTBEAT => Some(Beat::Classic),
        [t, role, state] if t == STATE_TOPIC => {
            let role = match &role[..] {
                b"primary" => Role::Primary,
                b"backup" => Role::Backup,
                _ => return None,
            };
            let active = match &state[..] {
                b"active" => true,
                b"passive" => false,
                _ => return None,
            };
            Some(Beat::State(role, active))
        }
        _ => None,
    }
}

/// The state message a broker sends after each `HB`: `[HB.state, role, active|passive]`.
pub fn state_frames(role: Role, active: bool) -> [&'static [u8]; 3] {
    [STATE_TOPIC, role.name().as_bytes(), if active { b"active" } else { b"passive" }]
}

/// Read one request from a REP socket: the command, or the error answer for
/// a malformed one. Nothing here may stop the monitor: its heartbeats must
/// go on whatever a control client sends.
fn read_request(sock: &zmq::Socket) -> Option<std::result::Result<Command, String>> {
    let frames = sock.recv_multipart(zmq::DONTWAIT).ok()?;
    Some(parse_command(&frames))
}

fn reply(sock: &zmq::Socket, answer: &str) {
    if let Err(e) = sock.send(answer, 0) {
        log!("failover", "cannot answer a control request: {e}");
    }
}

/// Ask a failover broker through its control endpoint (`hypobus broker
/// --ctl EP`, served by the monitor below): send `command` (`status` or
/// `handback`) on a REQ socket and return the answer (`backup active`,
/// `ok`, `error: …`). Waits at most
/// `timeout` in all ([`Error::Timeout`] then); nothing lingers afterwards.
pub fn ctl_request(endpoint: &str, command: &str, timeout: Duration) -> Result<String> {
    let deadline = Instant::now() + timeout;
    let ms = timeout.as_millis() as u64;
    let ctx = zmq::Context::new();
    let req = ctx.socket(zmq::REQ)?;
    req.set_linger(0)?;
    ctx::no_eintr(|| req.connect(endpoint)).map_err(|e| Error::Config(format!("cannot connect to {endpoint}: {e}")))?;
    if req.poll(zmq::POLLOUT, ctx::ms_until(deadline))? == 0 {
        return Err(Error::Timeout(ms));
    }
    ctx::no_eintr(|| req.send(command, zmq::DONTWAIT))?;
    if req.poll(zmq::POLLIN, ctx::ms_until(deadline))? == 0 {
        return Err(Error::Timeout(ms));
    }
    let answer = ctx::no_eintr(|| req.recv_bytes(zmq::DONTWAIT))?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

struct Monitor {
    role: Role,
    window: Duration,
    interval: Duration,
    hb: zmq::Socket,
    peer: zmq::Socket,
    ctl: Option<zmq::Socket>,
    cmd: zmq::Socket,
    active: Arc<AtomicBool>,
    announce: crate::sys::runner::Poke,
    shared: Arc<Shared>,
    tx: mpsc::Sender<Event>,
    on_event: Option<EventCallback>,
    started: Instant,
    /// A primary decides once at start; a backup is decided from the start.
    decided: bool,
    peer_last: Option<Instant>,
    /// The peer's last reported (role, active) and when.
    peer_state: Option<(Role, bool, Instant)>,
    /// `HB` messages since the last state message.
    hb_only: u32,
}

/// What this broker knows of its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    /// Nothing heard for the window.
    Silent,
    /// Heard, state not known yet.
    Unknown,
    Active,
    Passive,
}

impl Monitor {
    fn run(&mut self, stop: StopSignal) -> Result<()> {
        self.decided = self.role == Role::Backup;
        let mut next_beat = Instant::now();
        let tick = (self.interval / 4).max(Duration::from_millis(5));
        loop {
            let now = Instant::now();
            if now >= next_beat {
                self.beat();
                next_beat = now + self.interval;
            }
            let wake = next_beat.min(now + tick);
            let mut items =
                vec![stop.sock.as_poll_item(zmq::POLLIN), self.peer.as_poll_item(zmq::POLLIN), self.cmd.as_poll_item(zmq::POLLIN)];
            if let Some(c) = &self.ctl {
                items.push(c.as_poll_item(zmq::POLLIN));
            }
            zmq::poll(&mut items, ctx::ms_until(wake))?;
            let readable: Vec<bool> = items.iter().map(|i| i.is_readable()).collect();
            drop(items);
            if readable[0] {
                return Ok(());
            }
            if readable[1] {
                self.drain_peer()?;
            }
            if readable[2] {
                if let Some(req) = read_request(&self.cmd) {
                    let answer = self.answer(req);
                    reply(&self.cmd, &answer);
                }
            }
            if readable.get(3) == Some(&true) {
                if let Some(req) = self.ctl.as_ref().and_then(read_request) {
                    let answer = self.answer(req);
                    if let Some(ctl) = &self.ctl {
                        reply(ctl, &answer);
                    }
                }
            }
            // Read what the peer sent while we were busy (a command, a slow
            // event callback) before judging it silent.
            self.drain_peer()?;
            if self.decide() {
                self.beat(); // tell the peer at once
                next_beat = Instant::now() + self.interval;
            }
        }
    }

    fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }

    fn answer(&mut self, req: std::result::Result<Command, String>) -> String {
        match req {
            Ok(c) => self.command(c),
            Err(e) => e,
        }
    }

    fn drain_peer(&mut self) -> Result<()> {
        while self.peer.poll(zmq::POLLIN, 0)? > 0 {
            let m = self.peer.recv_multipart(0)?;
            self.on_peer(&m);
        }
        Ok(())
    }

    fn beat(&self) {
        let _ = self.hb.send(wire::HEARTBEAT, zmq::DONTWAIT);
        let _ = self.hb.send_multipart(state_frames(self.role, self.is_active()), zmq::DONTWAIT);
        self.shared.heartbeats.fetch_add(1, Ordering::Relaxed);
    }

    fn on_peer(&mut self, m: &[Vec<u8>]) {
        let now = Instant::now();
        match parse_beat(m) {
            Some(Beat::Classic) => self.hb_only += 1,
            Some(Beat::State(role, active)) => {
                self.peer_state = Some((role, active, now));
                self.hb_only = 0;
            }
            None => return, // not a heartbeat: ignore, it proves nothing
        }
        self.peer_last = Some(now);
        self.shared.peer_heartbeats.fetch_add(1, Ordering::Relaxed);
        self.shared.peer_last_ms.store(log::now_ms(), Ordering::Relaxed);
    }

    /// The peer as last heard.
    fn peer(&self) -> Peer {
        let now = Instant::now();
        let Some(last) = self.peer_last else { return Peer::Silent };
        if now - last > self.window {
            return Peer::Silent;
        }
        match self.peer_state {
            // Our peers send a state message right after every `HB`.
            Some((_, active, at)) if now - at <= self.window && self.hb_only < 2 => {
                if active {
                    Peer::Active
                } else {
                    Peer::Passive
                }
            }
            // `HB` after `HB` with no state: an original primary, which always forwards.
            _ if self.hb_only >= 2 => Peer::Active,
            // An `HB` whose state message has not arrived yet.
            _ => Peer::Unknown,
        }
    }

    fn set(&mut self, active: bool, reason: String) {
        if self.is_active() == active {
            return;
        }
        self.active.store(active, Ordering::SeqCst);
        if active {
            self.announce.send(crate::lab::broker::ANNOUNCE);
        }
        let counter = if active { &self.shared.activations } else { &self.shared.deactivations };
        counter.fetch_add(1, Ordering::Relaxed);
        let ev = Event { at_ms: log::now_ms(), active, reason };
        let detail = format!("{} {}: {}", self.role.name(), if active { "active" } else { "passive" }, ev.reason);
        self.announce.send(&[crate::lab::broker::OBS_STATE, detail.as_bytes()].concat());
        log!("failover", "{} -> {}: {}", self.role.name(), if active { "active" } else { "passive" }, ev.reason);
        if let Some(cb) = self.on_event.as_mut() {
            cb(&ev);
        }
        let _ = self.tx.send(ev);
    }

    /// How long a broker that just started listens before it acts on a
    /// silent peer: the usual window plus time for the connection itself.
    fn start_window(&self) -> Duration {
        self.window + Duration::from_millis(500)
    }

    /// Apply the rules; true when the state changed.
    fn decide(&mut self) -> bool {
        let before = self.is_active();
        let peer = self.peer();
        let window_ms = self.window.as_millis();
        match (self.role, before) {
            (Role::Backup, false) => {
                let silent_since_start = self.peer_last.is_none() && self.started.elapsed() > self.start_window();
                let silent = self.peer_last.is_some() && peer == Peer::Silent;
                if silent || silent_since_start {
                    self.set(true, format!("primary silent for more than {window_ms} ms: taking over"));
                }
            }
            (Role::Backup, true) => {
                if peer == Peer::Active {
                    self.set(false, "primary is active: yielding to it (no split brain)".into());
                }
            }
            (Role::Primary, false) if !self.decided => match peer {
                Peer::Active => {
                    self.decided = true;
                    log!("failover", "primary: backup is active; staying passive until it hands back");
                }
                Peer::Passive => {
                    self.decided = true;
                    self.set(true, "backup is passive: primary takes the traffic".into());
                }
                Peer::Silent if self.started.elapsed() > self.start_window() => {
                    self.decided = true;
                    let ms = self.start_window().as_millis();
                    self.set(true, format!("no backup heard for {ms} ms: primary takes the traffic"));
                }
                Peer::Silent | Peer::Unknown => {}
            },
            (Role::Primary, false) => match peer {
                Peer::Passive => self.set(true, "backup handed back: primary takes the traffic".into()),
                Peer::Silent if self.peer_last.is_some() => {
                    self.set(true, format!("backup silent for more than {window_ms} ms: primary takes the traffic"))
                }
                _ => {}
            },
            (Role::Primary, true) => {}
        }
        self.is_active() != before
    }

    fn command(&mut self, c: Command) -> String {
        match c {
            Command::Status => format!("{} {}", self.role.name(), if self.is_active() { "active" } else { "passive" }),
            Command::Handback => {
                if self.role != Role::Backup {
                    return "error: hand-back is asked of the backup broker".into();
                }
                if !self.is_active() {
                    return "error: the backup is not active; nothing to hand back".into();
                }
                match self.peer() {
                    Peer::Passive => {
                        self.set(false, "hand-back requested: primary takes the traffic".into());
                        self.beat();
                        "ok".into()
                    }
                    Peer::Active => "error: the primary is already active".into(),
                    Peer::Unknown => "error: the primary's state is not known yet; try again".into(),
                    Peer::Silent => "error: the primary is not running; nothing to hand back to".into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(f: &[&[u8]]) -> Vec<Vec<u8>> {
        f.iter().map(|x| x.to_vec()).collect()
    }

    #[test]
    fn beats() {
        assert_eq!(parse_beat(&frames(&[b"HB"])), Some(Beat::Classic));
        for (role, active) in [(Role::Primary, true), (Role::Primary, false), (Role::Backup, true), (Role::Backup, false)] {
            assert_eq!(parse_beat(&frames(&state_frames(role, active))), Some(Beat::State(role, active)));
        }
        for bad in [&[][..], &[&b"HB "[..]], &[b"HB", b"HB"], &[b"HB.state", b"primary"], &[b"HB.state", b"main", b"active"]] {
            assert_eq!(parse_beat(&frames(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn commands() {
        assert_eq!(parse_command(&frames(&[b" status\n"])), Ok(Command::Status));
        assert_eq!(parse_command(&frames(&[b"handback"])), Ok(Command::Handback));
        assert_eq!(parse_command(&frames(&[b"status", b""])), Err("error: one frame per command (status, handback)".into()));
        assert_eq!(parse_command(&frames(&[b"\xff"])), Err("error: commands are UTF-8 text (status, handback)".into()));
        assert_eq!(parse_command(&frames(&[b"stop"])), Err("error: unknown command \"\\\"stop\\\"\" (status, handback)".into()));
    }
}
