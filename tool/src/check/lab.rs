//! The lab a program is checked in: a primary and a backup broker (as
//! `hypobus broker --role …` processes, so the primary can be SIGKILLed;
//! heartbeats every 200 ms, dead after 3 missed),
//! the library's reference roles in this process, and an observer that
//! draws every request from the wire.

use crate::broker_process::{BrokerPorts, BrokerProcess, BrokerProcessConfig};
use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::failover::Role as FoRole;
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use hypobus::watch::{render, BrokerEvent, Observer, Sampling, Trace, TrackerConfig, WatchBroker, WatchConfig, WatchEvent};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Which ports the lab's brokers bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ports {
    /// The lab's own: the primary on 5555/5556 (heartbeats 5560), the
    /// backup on 5565/5566 (heartbeats 5570), on 127.0.0.1.
    Standard,
    /// Free ports, for checks side by side (tests, a shared machine).
    Free,
}

pub struct CheckLab {
    pub primary: Option<BrokerProcess>,
    /// The reference backup; `None` when the program is the backup.
    pub backup: Option<BrokerProcess>,
    /// How the primary was started (to start it again).
    primary_cfg: BrokerProcessConfig,
    pub ports: (BrokerPorts, BrokerPorts),
    pub obs: Observer,
    pub names: Vec<String>,
    pub ops: BTreeMap<u32, OpNode>,
    /// An extra operation node (the duplicate-square scenario).
    pub extra_op: Option<OpNode>,
    pub calc: Option<CalcNode>,
    traces: Vec<Trace>,
}

impl CheckLab {
    /// `with_backup`: false when the program under test is the backup;
    /// `with_primary`: false when it is the primary (then there is no backup either).
    pub fn start(exe: &Path, ports: Ports, with_primary: bool, with_backup: bool) -> Result<CheckLab, String> {
        let (pp, bp) = match ports {
            Ports::Free => BrokerPorts::free_pair().map_err(|e| e.to_string())?,
            Ports::Standard => {
                (BrokerPorts { xsub: 5555, xpub: 5556, hb: 5560, ctl: 5561 }, BrokerPorts { xsub: 5565, xpub: 5566, hb: 5570, ctl: 5571 })
            }
        };
        let cfg = |role, me: BrokerPorts, peer: BrokerPorts| BrokerProcessConfig {
            exe: exe.to_path_buf(),
            role,
            ports: me,
            peer_hb: peer.hb_endpoint(),
            hb_interval: Duration::from_millis(200),
            misses: 3,
            stats_every: Duration::from_secs(1),
        };
        let ready = Duration::from_secs(10);
        let primary_cfg = cfg(FoRole::Primary, pp, bp);
        let mut primary = None;
        let mut backup = None;
        if with_primary {
            let mut p = BrokerProcess::spawn(&primary_cfg, ready).map_err(|e| format!("primary broker: {e}"))?;
            if with_backup {
                backup = Some(BrokerProcess::spawn(&cfg(FoRole::Backup, bp, pp), ready).map_err(|e| format!("backup broker: {e}"))?);
            }
            if !p.next_event(Instant::now() + ready).is_some_and(|e| e.active) {
                return Err("the lab's primary broker did not become active".into());
            }
            primary = Some(p);
        }
        let brokers = [pp.addr(), bp.addr()];
        let watched = WatchBroker::list(&brokers, &[pp.hb_endpoint(), bp.hb_endpoint()]);
        let names = watched.iter().map(|b| b.name.clone()).collect();
        let mut wc = WatchConfig::new(watched);
        wc.sampling = Sampling::Full;
        // A request with no answer is drawn (as lost) soon enough for a report.
        wc.tracker = TrackerConfig { expire_us: 6_000_000, ..TrackerConfig::default() };
        let obs = Observer::start(wc).map_err(|e| format!("observer: {e}"))?;
        Ok(CheckLab {
            primary,
            backup,
            primary_cfg,
            ports: (pp, bp),
            obs,
            names,
            ops: BTreeMap::new(),
            extra_op: None,
            calc: None,
            traces: Vec::new(),
        })
    }

    /// Both brokers, primary first.
    pub fn brokers(&self) -> Vec<BrokerAddr> {
        vec![self.ports.0.addr(), self.ports.1.addr()]
    }

    /// The variables a program is given (environment, and `{name}` in its arguments).
    pub fn vars(&self) -> BTreeMap<String, String> {
        let (p, b) = self.ports;
        let hp = |x: &BrokerPorts| format!("127.0.0.1:{}:{}", x.xsub, x.xpub);
        let ep = |port: u16| format!("tcp://127.0.0.1:{port}");
        BTreeMap::from([
            ("HYPOBUS_BROKER".to_string(), hp(&p)),
            ("HYPOBUS_BACKUP".to_string(), hp(&b)),
            ("HYPOBUS_BROKERS".to_string(), format!("{},{}", hp(&p), hp(&b))),
            ("HYPOBUS_HOST".to_string(), "127.0.0.1".to_string()),
            ("HYPOBUS_XSUB".to_string(), ep(p.xsub)),
            ("HYPOBUS_XPUB".to_string(), ep(p.xpub)),
            ("HYPOBUS_HB".to_string(), ep(p.hb)),
            ("HYPOBUS_XSUB_PORT".to_string(), p.xsub.to_string()),
            ("HYPOBUS_XPUB_PORT".to_string(), p.xpub.to_string()),
            ("HYPOBUS_HB_PORT".to_string(), p.hb.to_string()),
            ("HYPOBUS_BACKUP_XSUB".to_string(), ep(b.xsub)),
            ("HYPOBUS_BACKUP_XPUB".to_string(), ep(b.xpub)),
            ("HYPOBUS_BACKUP_HB".to_string(), ep(b.hb)),
            ("HYPOBUS_BACKUP_CTL".to_string(), ep(b.ctl)),
            ("HYPOBUS_HB_INTERVAL_MS".to_string(), "200".to_string()),
            ("HYPOBUS_BACKUP_XSUB_PORT".to_string(), b.xsub.to_string()),
            ("HYPOBUS_BACKUP_XPUB_PORT".to_string(), b.xpub.to_string()),
            ("HYPOBUS_BACKUP_HB_PORT".to_string(), b.hb.to_string()),
        ])
    }

    /// Start the reference operation node of `lane`.
    pub fn start_op(&mut self, lane: u32) -> Result<(), String> {
        let op = OpNode::start(OpConfig::new(self.brokers(), lane), Operation::Square).map_err(|e| format!("op lane {lane}: {e}"))?;
        self.ops.insert(lane, op);
        Ok(())
    }

    pub fn stop_op(&mut self, lane: u32) {
        if let Some(mut op) = self.ops.remove(&lane) {
            let _ = op.stop();
        }
    }

    pub fn start_calc(&mut self, timeout: Duration) -> Result<(), String> {
        let cfg = CalcConfig { brokers: self.brokers(), timeout, ..Default::default() };
        self.calc = Some(CalcNode::start(cfg).map_err(|e| format!("calc: {e}"))?);
        Ok(())
    }

    /// SIGKILL the primary broker; wait (at most `within`) for the backup to
    /// say it took over. The take-over time, if it did.
    pub fn kill_primary(&mut self, within: Duration) -> Option<Duration> {
        let mut p = self.primary.take()?;
        let backup = self.backup.as_mut()?;
        // Changes it printed before (a slow heartbeat on a loaded machine) are not this take-over.
        while backup.next_event(Instant::now()).is_some() {}
        let t0 = Instant::now();
        let _ = p.kill();
        let until = t0 + within;
        while let Some(ev) = backup.next_event(until) {
            if ev.active {
                return Some(t0.elapsed());
            }
        }
        // Active already (it took over before and stayed so)?
        let status = backup.ctl("status", Duration::from_secs(1)).unwrap_or_default();
        status.split_whitespace().any(|w| w == "active").then(|| t0.elapsed())
    }

    /// SIGKILL the primary broker (the program is the backup).
    pub fn kill_primary_only(&mut self) {
        if let Some(mut p) = self.primary.take() {
            let _ = p.kill();
        }
    }

    /// Start the primary broker again on its ports; its first state change
    /// (active, or passive when it finds an active backup) within `within`.
    pub fn restart_primary(&mut self, within: Duration) -> Result<Option<bool>, String> {
        let mut p = BrokerProcess::spawn(&self.primary_cfg, within).map_err(|e| format!("primary broker: {e}"))?;
        // It decides within 3 heartbeat periods (passive: no event, it started so).
        let first = p.next_event(Instant::now() + Duration::from_millis(1500)).map(|e| e.active);
        self.primary = Some(p);
        Ok(first)
    }

    /// Take the observer's finished traces in.
    fn take_traces(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.obs.next(left.min(Duration::from_millis(50))) {
                Some(WatchEvent::Trace(t)) => self.traces.push(*t),
                Some(_) => {}
                None if Instant::now() >= until => return,
                None => {}
            }
        }
    }

    /// The diagram (Mermaid, no fence) of the latest request with catheti
    /// `a` and `b`, waiting at most `within` for the observer to finish it.
    pub fn diagram(&mut self, a: &str, b: &str, within: Duration) -> Option<String> {
        let until = Instant::now() + within;
        loop {
            let found = self.traces.iter().rev().find(|t| t.a.as_deref() == Some(a) && t.b.as_deref() == Some(b));
            if let Some(t) = found {
                let events: Vec<BrokerEvent> = self.obs.snapshot().timeline;
                return Some(render::mermaid(t, &self.names, &events));
            }
            if Instant::now() >= until {
                return None;
            }
            self.take_traces(Duration::from_millis(200));
        }
    }

    /// Forget the traces seen so far.
    pub fn clear_traces(&mut self) {
        self.take_traces(Duration::ZERO);
        self.traces.clear();
    }

    /// Stop every reference role and broker (brokers by PID, SIGKILL).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.calc.take() {
            let _ = c.stop();
        }
        if let Some(mut o) = self.extra_op.take() {
            let _ = o.stop();
        }
        let lanes: Vec<u32> = self.ops.keys().copied().collect();
        for l in lanes {
            self.stop_op(l);
        }
        let _ = self.obs.stop();
        if let Some(mut p) = self.primary.take() {
            let _ = p.kill();
        }
        if let Some(mut b) = self.backup.take() {
            let _ = b.kill();
        }
    }
}

impl Drop for CheckLab {
    fn drop(&mut self) {
        self.stop();
    }
}
