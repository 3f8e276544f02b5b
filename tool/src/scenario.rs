//! The lab's three scenarios, run on loopback and recorded by an observer,
//! so that a student pastes a real diagram into a report instead of
//! drawing one (`hypobus lab --scenario normal|fallback|failover
//! --mermaid out.md --svg out.svg`):
//!
//! - `normal`: one request with the primary broker, both operation nodes up;
//! - `fallback`: operation node 1 stopped: the calc node computes that
//!   square itself after its time-out;
//! - `failover`: a primary and a backup broker (as `hypobus broker --role …`
//!   processes); a request through the primary, the primary SIGKILLed, a
//!   request during the take-over (resent by the client, answered through
//!   the backup), and one through the backup.

use crate::broker_process::{BrokerPorts, BrokerProcess, BrokerProcessConfig};
use hypobus::error::{Error, Result};
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig};
use hypobus::lab::failover::Role as FoRole;
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use hypobus::lab::{Lab, LabConfig};
use hypobus::watch::{render, BrokerEvent, Observer, Sampling, Trace, WatchBroker, WatchConfig, WatchEvent};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Which story to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Normal,
    Fallback,
    Failover,
}

impl Scenario {
    pub fn parse(s: &str) -> Option<Scenario> {
        match s {
            "normal" => Some(Scenario::Normal),
            "fallback" => Some(Scenario::Fallback),
            "failover" => Some(Scenario::Failover),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Normal => "normal",
            Scenario::Fallback => "fallback",
            Scenario::Failover => "failover",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Scenario::Normal => "Normal flow with the primary broker",
            Scenario::Fallback => "Operation server 1 down: the calc node's local fallback",
            Scenario::Failover => "The primary broker killed: the backup takes over",
        }
    }
}

/// How to run a scenario.
#[derive(Debug, Clone)]
pub struct ScenarioConfig {
    pub scenario: Scenario,
    /// The `hypobus` executable (the failover scenario runs its brokers as processes).
    pub exe: Option<PathBuf>,
    /// The calc node's wait for squares (the fallback's delay). Default 300 ms.
    pub calc_timeout: Duration,
    /// The failover brokers' heartbeat period. Default 100 ms.
    pub hb_interval: Duration,
}

impl ScenarioConfig {
    pub fn new(scenario: Scenario) -> ScenarioConfig {
        ScenarioConfig { scenario, exe: None, calc_timeout: Duration::from_millis(300), hb_interval: Duration::from_millis(100) }
    }
}

/// What a scenario recorded.
#[derive(Debug, Clone)]
pub struct Recording {
    pub title: String,
    pub traces: Vec<Trace>,
    pub events: Vec<BrokerEvent>,
    /// The brokers' names, by index.
    pub names: Vec<String>,
}

impl Recording {
    /// Markdown with one Mermaid diagram per request.
    pub fn mermaid(&self) -> String {
        render::mermaid_doc(&self.title, &self.traces, &self.names, &self.events)
    }
    /// One SVG document with every request's diagram.
    pub fn svg(&self) -> String {
        render::svg(&self.traces, &self.names, &self.events)
    }
    /// The terminal diagrams.
    pub fn terminal(&self) -> String {
        let mut out = format!("{}\n\n", self.title);
        let mut prev = self.traces.first().map_or(0, |t| t.start_us);
        for t in &self.traces {
            out.push_str(&render::terminal_events(&self.events, prev, t.start_us));
            out.push_str(&render::terminal(t, &self.names, &self.events));
            out.push('\n');
            prev = t.end_us.unwrap_or(t.start_us);
        }
        out
    }
}

/// Send requests until the observer has seen one whole request (it is
/// connected and subscribed everywhere), then drop what it saw. Bounded.
pub fn wait_ready(obs: &Observer, c: &mut Client, within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    loop {
        c.hypot("3", "4")?;
        if obs.next_trace(Duration::from_millis(500)).is_some_and(|t| t.hops.len() >= 7) {
            break;
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout(within.as_millis() as u64));
        }
    }
    while obs.next(Duration::from_millis(250)).is_some() {}
    Ok(())
}

/// The trace of hypot(a, b) (the next one the observer finishes).
pub fn trace_of(obs: &Observer, a: &str, b: &str, within: Duration) -> Result<Trace> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match obs.next(left) {
            Some(WatchEvent::Trace(t)) if t.a.as_deref() == Some(a) && t.b.as_deref() == Some(b) => return Ok(*t),
            Some(_) => {}
            None => return Err(Error::Config(format!("the observer saw no request hypot({a}, {b}) within {} ms", within.as_millis()))),
        }
    }
}

fn ask(obs: &Observer, c: &mut Client, a: &str, b: &str) -> Result<Trace> {
    c.hypot(a, b)?;
    trace_of(obs, a, b, Duration::from_secs(10))
}

/// Run a scenario on loopback (free ports) and return what was recorded.
pub fn run_scenario(cfg: &ScenarioConfig) -> Result<Recording> {
    let full = |brokers: Vec<WatchBroker>| {
        let mut w = WatchConfig::new(brokers);
        w.sampling = Sampling::Full;
        w
    };
    match cfg.scenario {
        Scenario::Normal | Scenario::Fallback => {
            let mut lab = Lab::start(&LabConfig { calc_timeout: cfg.calc_timeout, inproc: false, ..Default::default() })?;
            let brokers = WatchBroker::list(std::slice::from_ref(&lab.addr), std::slice::from_ref(&lab.hb));
            let names = brokers.iter().map(|b| b.name.clone()).collect();
            let obs = Observer::start(full(brokers))?;
            let mut c = Client::new(ClientConfig { brokers: vec![lab.addr.clone()], ..Default::default() })?;
            wait_ready(&obs, &mut c, Duration::from_secs(10))?;
            let traces = if cfg.scenario == Scenario::Normal {
                vec![ask(&obs, &mut c, "12", "13")?]
            } else {
                lab.stop_op(1)?;
                vec![ask(&obs, &mut c, "5", "12")?]
            };
            let events = obs.snapshot().timeline;
            Ok(Recording { title: cfg.scenario.title().into(), traces, events, names })
        }
        Scenario::Failover => failover(cfg, full),
    }
}

fn failover(cfg: &ScenarioConfig, full: impl Fn(Vec<WatchBroker>) -> WatchConfig) -> Result<Recording> {
    let exe =
        cfg.exe.clone().ok_or_else(|| Error::Config("the failover scenario needs the hypobus executable to run its brokers".into()))?;
    let (pp, bp) = BrokerPorts::free_pair()?;
    let pcfg = |role, me: BrokerPorts, peer: BrokerPorts| BrokerProcessConfig {
        exe: exe.clone(),
        role,
        ports: me,
        peer_hb: peer.hb_endpoint(),
        hb_interval: cfg.hb_interval,
        misses: 3,
        stats_every: Duration::from_secs(1),
    };
    let ready = Duration::from_secs(5);
    let mut primary = BrokerProcess::spawn(&pcfg(FoRole::Primary, pp, bp), ready)?;
    let mut backup = BrokerProcess::spawn(&pcfg(FoRole::Backup, bp, pp), ready)?;
    if !primary.next_event(Instant::now() + ready).is_some_and(|e| e.active) {
        return Err(Error::Config("the primary broker did not become active".into()));
    }
    let brokers = vec![pp.addr(), bp.addr()];
    let watched = WatchBroker::list(&brokers, &[pp.hb_endpoint(), bp.hb_endpoint()]);
    let names: Vec<String> = watched.iter().map(|b| b.name.clone()).collect();
    let obs = Observer::start(full(watched))?;
    let op = |lane| OpNode::start(OpConfig::new(brokers.clone(), lane), Operation::Square);
    let (mut op1, mut op2) = (op(1)?, op(2)?);
    let mut calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), timeout: cfg.calc_timeout, ..Default::default() })?;
    let mut c = Client::new(ClientConfig { brokers: brokers.clone(), ..Default::default() })?;
    wait_ready(&obs, &mut c, Duration::from_secs(10))?;
    // Until the observer has heard both brokers' heartbeats.
    let deadline = Instant::now() + ready;
    while !obs.snapshot().brokers.iter().all(|b| b.alive && !b.reported.is_empty()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut traces = vec![ask(&obs, &mut c, "12", "13")?];
    primary.kill()?;
    traces.push(ask(&obs, &mut c, "20", "21")?);
    let deadline = Instant::now() + ready;
    while obs.summary().active != "backup" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    traces.push(ask(&obs, &mut c, "3", "4")?);
    let first = traces[0].start_us;
    let events = obs.snapshot().timeline.into_iter().filter(|e| e.at_us >= first).collect();
    let _ = (calc.stop(), op1.stop(), op2.stop());
    backup.kill()?;
    Ok(Recording { title: Scenario::Failover.title().into(), traces, events, names })
}
