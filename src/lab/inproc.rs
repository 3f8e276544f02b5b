//! The whole lab in one process on loopback: a broker, two operation nodes,
//! a calc node; clients on demand. Used by the tests, the benchmarks and
//! the command-line tool (whose `hypobus lab` demo and failover trial live
//! in `tool/`).

use crate::error::Result;
use crate::lab::broker::{Broker, BrokerConfig};
use crate::lab::brokers::BrokerAddr;
use crate::lab::calc::{CalcConfig, CalcNode};
use crate::lab::client::{Client, ClientConfig, Mode};
use crate::lab::op::{OpConfig, OpNode, Operation};

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where and how to run the lab.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// Host to bind and connect on. Default `127.0.0.1`.
    pub host: String,
    /// XSUB, XPUB and heartbeat ports; `None` picks free ports.
    pub ports: Option<(u16, u16, u16)>,
    /// The calc node's wait for squares before the local fallback.
    pub calc_timeout: Duration,
    /// Heartbeat interval of the broker.
    pub hb_interval: Duration,
    /// In-process nodes and clients reach the broker over `inproc://`
    /// (default) instead of loopback TCP. Outside peers use TCP either way.
    pub inproc: bool,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            host: "127.0.0.1".into(),
            ports: None,
            calc_timeout: Duration::from_millis(2000),
            hb_interval: Duration::from_millis(1000),
            inproc: true,
        }
    }
}

/// A running lab. Dropping it stops every role.
pub struct Lab {
    pub broker: Broker,
    /// Operation nodes for lanes 1 and 2 (`None` once stopped).
    pub ops: [Option<OpNode>; 2],
    pub calc: CalcNode,
    /// The broker as other processes reach it (TCP).
    pub addr: BrokerAddr,
    /// The broker as this process's nodes and clients reach it (`inproc://`
    /// when `LabConfig::inproc`, else the same as `addr`).
    pub local: BrokerAddr,
    /// The broker's heartbeat endpoint as a subscriber reaches it.
    pub hb: String,
}

fn port_of(ep: &str) -> u16 {
    ep.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0)
}

impl Lab {
    /// Start a broker, two squaring operation nodes and a calc node.
    pub fn start(cfg: &LabConfig) -> Result<Lab> {
        let ep = |p: Option<u16>| match p {
            Some(p) => format!("tcp://{}:{p}", cfg.host),
            None => format!("tcp://{}:*", cfg.host),
        };
        let (x, y, h) = match cfg.ports {
            Some((x, y, h)) => (Some(x), Some(y), Some(h)),
            None => (None, None, None),
        };
        static LABS: AtomicU64 = AtomicU64::new(0);
        let name = format!("lab-{}-{}", std::process::id(), LABS.fetch_add(1, Ordering::Relaxed));
        let inproc = cfg.inproc.then_some(name);
        let broker = Broker::start(BrokerConfig {
            xsub: ep(x),
            xpub: ep(y),
            hb: Some(ep(h)),
            hb_interval: cfg.hb_interval,
            active: true,
            inproc: inproc.clone(),
            ..Default::default()
        })?;
        let (xs, xp, hb) = broker.endpoints.clone();
        let addr = BrokerAddr::new(&cfg.host, port_of(&xs), port_of(&xp));
        let local = match &inproc {
            Some(name) => BrokerAddr::inproc(name)?,
            None => addr.clone(),
        };
        let hb = format!("tcp://{}:{}", cfg.host, port_of(&hb.unwrap_or_default()));
        let brokers = vec![local.clone()];
        let op = |lane| OpNode::start(OpConfig::new(brokers.clone(), lane), Operation::Square);
        let ops = [Some(op(1)?), Some(op(2)?)];
        let calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), timeout: cfg.calc_timeout, ..Default::default() })?;
        Ok(Lab { broker, ops, calc, addr, local, hb })
    }

    /// A new client of this lab.
    pub fn client(&self, mode: Mode) -> Result<Client> {
        Client::new(ClientConfig { brokers: vec![self.local.clone()], mode, ..Default::default() })
    }

    /// Stop the operation node of `lane` (1 or 2), to show the fallback.
    pub fn stop_op(&mut self, lane: u32) -> Result<()> {
        if let Some(mut op) = self.ops.get_mut(lane as usize - 1).and_then(Option::take) {
            op.stop()?;
        }
        Ok(())
    }
}

impl Lab {
    /// Start (again) a squaring operation node for `lane` (1 or 2), e.g. after
    /// [`Lab::stop_op`]. Does nothing if that lane's node is running.
    pub fn start_op(&mut self, lane: u32) -> Result<()> {
        let slot = match lane {
            1 | 2 => &mut self.ops[lane as usize - 1],
            _ => return Err(crate::Error::Config(format!("the lab has lanes 1 and 2, not {lane}"))),
        };
        if slot.is_none() {
            *slot = Some(OpNode::start(OpConfig::new(vec![self.local.clone()], lane), Operation::Square)?);
        }
        Ok(())
    }

    /// Stop every role (calc node, operation nodes, broker, in that order) and
    /// return the first error any of them ended with. Calling it twice is harmless.
    pub fn stop(&mut self) -> Result<()> {
        let mut first = self.calc.stop().err();
        for op in self.ops.iter_mut().flatten() {
            if let Err(e) = op.stop() {
                first.get_or_insert(e);
            }
        }
        if let Err(e) = self.broker.stop() {
            first.get_or_insert(e);
        }
        first.map_or(Ok(()), Err)
    }
}

impl Drop for Lab {
    /// Stop the nodes before the broker (fields would drop in declaration
    /// order, broker first, while nodes still send to it).
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
