//! The whole lab in one process on loopback: a broker, two operation nodes,
//! a calc node; clients on demand. Used by `hypobus lab`, the tests and the
//! benchmark.

use crate::broker::{Broker, BrokerConfig};
use crate::calc::{CalcConfig, CalcNode};
use crate::client::{Client, ClientConfig, Mode};
use crate::error::Result;
use crate::net::BrokerAddr;
use crate::op::{OpConfig, OpNode, Operation};
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
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            host: "127.0.0.1".into(),
            ports: None,
            calc_timeout: Duration::from_millis(2000),
            hb_interval: Duration::from_millis(1000),
        }
    }
}

/// A running lab. Dropping it stops every role.
pub struct Lab {
    pub broker: Broker,
    /// Operation nodes for lanes 1 and 2 (`None` once stopped).
    pub ops: [Option<OpNode>; 2],
    pub calc: CalcNode,
    /// The broker as nodes and clients reach it.
    pub addr: BrokerAddr,
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
        let broker = Broker::start(BrokerConfig { xsub: ep(x), xpub: ep(y), hb: Some(ep(h)), hb_interval: cfg.hb_interval, active: true })?;
        let (xs, xp, hb) = broker.endpoints.clone();
        let addr = BrokerAddr::new(&cfg.host, port_of(&xs), port_of(&xp));
        let hb = format!("tcp://{}:{}", cfg.host, port_of(&hb.unwrap_or_default()));
        let brokers = vec![addr.clone()];
        let op = |lane| OpNode::start(OpConfig { brokers: brokers.clone(), lane }, Operation::Square);
        let ops = [Some(op(1)?), Some(op(2)?)];
        let calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), timeout: cfg.calc_timeout, ..Default::default() })?;
        Ok(Lab { broker, ops, calc, addr, hb })
    }

    /// A new client of this lab.
    pub fn client(&self, mode: Mode) -> Result<Client> {
        Client::new(ClientConfig { brokers: vec![self.addr.clone()], mode, ..Default::default() })
    }

    /// Stop the operation node of `lane` (1 or 2), to show the fallback.
    pub fn stop_op(&mut self, lane: u32) -> Result<()> {
        if let Some(mut op) = self.ops.get_mut(lane as usize - 1).and_then(Option::take) {
            op.stop()?;
        }
        Ok(())
    }
}
