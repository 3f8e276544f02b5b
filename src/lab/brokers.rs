//! Where a lab node finds its brokers ([`BrokerAddr`], broker lists) and
//! how it connects to them ([`NodeSockets`]: a PUB to every XSUB, a SUB to
//! every XPUB, tuned so a switch to the backup needs no reconfiguration).

use crate::error::{Error, Result};
use crate::security::Curve;
use crate::sys::ctx::{inproc_endpoint, ms_until, no_eintr, tune};
use crate::sys::fork::PerProcess;
use crate::wire;
use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// The inproc names of this process's running brokers (`BrokerConfig::inproc`).
/// libzmq never finishes closing a socket that connected to an inproc
/// endpoint no socket ever binds (it waits for the bind, until the process
/// ends), so 511 nodes made and dropped for a name no broker serves used up
/// the context's 1023 sockets for good: nodes connect to `inproc:NAME` only
/// while a broker of that name runs ([`BrokerAddr::check_served`]).
static INPROC_NAMES: PerProcess<Mutex<HashSet<String>>> = PerProcess::new(|| Mutex::new(HashSet::new()));

fn inproc_names() -> MutexGuard<'static, HashSet<String>> {
    INPROC_NAMES.get().lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running broker's inproc name: served until this is dropped.
pub(crate) struct InprocName(String);

impl InprocName {
    pub(crate) fn claim(name: &str) -> InprocName {
        inproc_names().insert(name.to_string());
        InprocName(name.to_string())
    }
}

impl Drop for InprocName {
    fn drop(&mut self) {
        inproc_names().remove(&self.0);
    }
}

/// Where a node finds one broker: its XSUB (publish) and XPUB (subscribe) endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    /// Endpoint of the broker's XSUB socket, e.g. `tcp://127.0.0.1:5555`.
    pub xsub: String,
    /// Endpoint of the broker's XPUB socket, e.g. `tcp://127.0.0.1:5556`.
    pub xpub: String,
}

impl BrokerAddr {
    /// A broker at `host` on the given ports.
    pub fn new(host: &str, xsub_port: u16, xpub_port: u16) -> BrokerAddr {
        BrokerAddr { xsub: format!("tcp://{host}:{xsub_port}"), xpub: format!("tcp://{host}:{xpub_port}") }
    }

    /// A broker of this process reached over `inproc://` (see
    /// `BrokerConfig::inproc`). The name is 1..=64 of `[A-Za-z0-9._-]`.
    pub fn inproc(name: &str) -> Result<BrokerAddr> {
        if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
            return Err(Error::Config(format!("bad inproc broker name {name:?} (1-64 of A-Z a-z 0-9 . _ -)")));
        }
        Ok(BrokerAddr { xsub: format!("inproc://hypobus-broker-{name}-xsub"), xpub: format!("inproc://hypobus-broker-{name}-xpub") })
    }

    /// Parse one broker of a broker list:
    ///
    /// * `HOST` or `HOST:XSUB_PORT:XPUB_PORT` (default ports 5555/5556);
    ///   an IPv6 host in brackets: `[::1]`, `[::1]:5555:5556`;
    /// * `XSUB_ENDPOINT|XPUB_ENDPOINT`: the two endpoints exactly as a broker
    ///   reports them (`hb_broker_endpoint`), e.g.
    ///   `tcp://127.0.0.1:40001|tcp://127.0.0.1:40002` (any transport
    ///   libzmq has: `tcp://`, `ipc://`, `inproc://`);
    /// * `inproc:NAME` for a broker of this process.
    pub fn parse(s: &str) -> Result<BrokerAddr> {
        if let Some(name) = s.strip_prefix("inproc:") {
            if !name.starts_with("//") {
                return BrokerAddr::inproc(name);
            }
        }
        let bad = |why: &str| {
            Error::Config(format!(
                "bad broker address {s:?}: {why} (expected HOST, HOST:XSUB_PORT:XPUB_PORT, [IPV6]:XSUB_PORT:XPUB_PORT, XSUB_ENDPOINT|XPUB_ENDPOINT or inproc:NAME)"
            ))
        };
        if let Some((xsub, xpub)) = s.split_once('|') {
            let ep = |e: &str| -> Result<String> {
                let e = e.trim();
                let ok = ["tcp://", "ipc://", "inproc://"].iter().any(|p| e.len() > p.len() && e.starts_with(p));
                if !ok || e.contains(char::is_whitespace) || e.contains('|') {
                    return Err(bad("each endpoint must be tcp://, ipc:// or inproc:// with an address"));
                }
                Ok(e.to_string())
            };
            return Ok(BrokerAddr { xsub: ep(xsub)?, xpub: ep(xpub)? });
        }
        let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad("port must be 1..65535"));
        let (host, rest) = if let Some(v6) = s.strip_prefix('[') {
            let (h, rest) = v6.split_once(']').ok_or_else(|| bad("missing ']'"))?;
            if h.is_empty() || !h.contains(':') || !h.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
                return Err(bad("bad IPv6 address"));
            }
            (&s[..h.len() + 2], rest)
        } else {
            match s.find(':') {
                Some(i) => (&s[..i], &s[i..]),
                None => (s, ""),
            }
        };
        let (xsub, xpub) = match rest.split(':').collect::<Vec<_>>().as_slice() {
            [""] => (wire::XSUB_PORT, wire::XPUB_PORT),
            ["", a, b] => (port(a)?, port(b)?),
            _ => return Err(bad("wrong number of ':'")),
        };
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            return Err(bad("bad host"));
        }
        Ok(BrokerAddr::new(host, xsub, xpub))
    }

    /// Parse a broker list: entries of [`BrokerAddr::parse`] separated by
    /// commas (spaces around them ignored); empty = the lab's default
    /// broker. The one grammar of the C ABI, both bindings and the CLI's
    /// `--broker` (docs/PROTOCOL.md, "Broker lists").
    pub fn parse_list(s: &str) -> Result<Vec<BrokerAddr>> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(vec![BrokerAddr::default()]);
        }
        s.split(',')
            .map(|b| match b.trim() {
                "" => Err(Error::Config(format!("bad broker list {s:?}: an empty entry between commas"))),
                b => BrokerAddr::parse(b),
            })
            .collect()
    }

    /// Refuse endpoints of brokers of this process that are not running
    /// (`inproc://hypobus-broker-NAME-xsub` or `-xpub`, what `inproc:NAME`
    /// stands for; see `INPROC_NAMES`): `Error::Config` naming the first.
    pub fn check_served<'a>(endpoints: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let names = inproc_names();
        let of = |ep: &'a str| {
            let rest = ep.strip_prefix("inproc://hypobus-broker-")?;
            rest.strip_suffix("-xsub").or_else(|| rest.strip_suffix("-xpub"))
        };
        match endpoints.into_iter().filter_map(of).find(|n| !names.contains(*n)) {
            Some(name) => Err(Error::Config(format!("no broker of this process is named {name:?} (inproc:{name}): start it first"))),
            None => Ok(()),
        }
    }

    /// Whether reaching this broker needs IPv6 on the socket.
    pub fn is_ipv6(&self) -> bool {
        self.xsub.contains('[') || self.xpub.contains('[')
    }
}

impl Default for BrokerAddr {
    fn default() -> Self {
        BrokerAddr::new("127.0.0.1", wire::XSUB_PORT, wire::XPUB_PORT)
    }
}

/// Options for a node's socket toward brokers: `ZMQ_IMMEDIATE` (nothing
/// queues toward a broker that is not there) and fast reconnects, so a node
/// follows a broker switch with no restart.
pub fn tune_node(sock: &zmq::Socket) -> Result<()> {
    tune(sock)?;
    sock.set_immediate(true)?;
    sock.set_reconnect_ivl(50)?;
    sock.set_reconnect_ivl_max(500)?;
    sock.set_tcp_keepalive(1)?;
    Ok(())
}

/// A node's two sockets: PUB connected to every broker's XSUB, SUB connected
/// to every broker's XPUB with the given subscriptions.
pub struct NodeSockets {
    pub publ: zmq::Socket,
    pub sub: zmq::Socket,
    monitors: Option<(zmq::Socket, zmq::Socket)>,
}

impl NodeSockets {
    /// Create and connect both sockets. With `watch`, socket monitors are
    /// attached before connecting so [`NodeSockets::wait_connected`] can tell
    /// when both sockets have completed a handshake with a broker.
    /// With `curve` (a server key), both sockets talk CURVE to every broker.
    pub fn connect(
        ctx: &zmq::Context,
        brokers: &[BrokerAddr],
        subscriptions: &[String],
        watch: bool,
        curve: &Curve,
    ) -> Result<NodeSockets> {
        if brokers.is_empty() {
            return Err(Error::Config("at least one broker is needed".into()));
        }
        BrokerAddr::check_served(brokers.iter().flat_map(|b| [b.xsub.as_str(), b.xpub.as_str()]))?;
        let publ = ctx.socket(zmq::PUB)?;
        let sub = ctx.socket(zmq::SUB)?;
        tune_node(&publ)?;
        tune_node(&sub)?;
        if brokers.iter().any(BrokerAddr::is_ipv6) {
            publ.set_ipv6(true)?;
            sub.set_ipv6(true)?;
        }
        for s in subscriptions {
            sub.set_subscribe(s.as_bytes())?;
        }
        if curve.server_key.is_some() {
            let keys = curve.client_keys()?;
            curve.connect_with(&publ, &keys, None)?;
            curve.connect_with(&sub, &keys, None)?;
        }
        // An inproc connection to a bound broker is there at once (and has no
        // handshake event to wait for).
        let watch = watch && !brokers.iter().any(|b| b.xsub.starts_with("inproc://") || b.xpub.starts_with("inproc://"));
        let monitors = if watch { Some((attach_monitor(ctx, &publ)?, attach_monitor(ctx, &sub)?)) } else { None };
        for b in brokers {
            no_eintr(|| publ.connect(&b.xsub)).map_err(|e| Error::Config(format!("cannot connect to {}: {e}", b.xsub)))?;
            no_eintr(|| sub.connect(&b.xpub)).map_err(|e| Error::Config(format!("cannot connect to {}: {e}", b.xpub)))?;
        }
        Ok(NodeSockets { publ, sub, monitors })
    }

    /// Wait (until `deadline`) for both sockets to complete a handshake with a
    /// broker. Returns true when connected (also when not watching). The
    /// monitors are removed afterwards either way: it is a one-time wait.
    pub fn wait_connected(&mut self, deadline: Instant) -> Result<bool> {
        let Some((mp, ms)) = self.monitors.take() else { return Ok(true) };
        let ok = wait_handshake(&mp, deadline)? && wait_handshake(&ms, deadline)?;
        crate::sys::libzmq::stop_monitor(&mut self.publ);
        crate::sys::libzmq::stop_monitor(&mut self.sub);
        drop((mp, ms));
        // With ZMQ_IMMEDIATE a new connection is attached to the socket (and
        // a SUB's subscriptions sent) only when the socket is next used:
        // use both now.
        self.refresh()?;
        self.sub.get_events()?;
        Ok(ok)
    }

    /// Let the PUB socket take in subscriptions that arrived since it last
    /// looked. libzmq reads them lazily and rate-limits that on `send`, so a
    /// subscriber that joined a moment ago could miss the next message;
    /// reading `ZMQ_EVENTS` processes them at once. Call it once per wake-up.
    pub fn refresh(&self) -> Result<()> {
        self.publ.get_events()?;
        Ok(())
    }

    /// Send a two-frame message `[topic, value]`.
    /// A signal never fails it or leaves half a message (see [`no_eintr`]).
    pub fn publish(&self, topic: &[u8], value: &[u8]) -> Result<()> {
        no_eintr(|| self.publ.send(topic, zmq::SNDMORE))?;
        no_eintr(|| self.publ.send(value, 0))?;
        Ok(())
    }
}

impl Drop for NodeSockets {
    fn drop(&mut self) {
        if self.monitors.take().is_some() {
            crate::sys::libzmq::stop_monitor(&mut self.publ);
            crate::sys::libzmq::stop_monitor(&mut self.sub);
        }
    }
}

fn attach_monitor(ctx: &zmq::Context, sock: &zmq::Socket) -> Result<zmq::Socket> {
    let ep = inproc_endpoint("monitor");
    sock.monitor(&ep, zmq::SocketEvent::HANDSHAKE_SUCCEEDED as i32)?;
    let mon = ctx.socket(zmq::PAIR)?;
    mon.set_linger(0)?;
    no_eintr(|| mon.connect(&ep))?;
    Ok(mon)
}

fn wait_handshake(mon: &zmq::Socket, deadline: Instant) -> Result<bool> {
    loop {
        if mon.poll(zmq::POLLIN, ms_until(deadline))? > 0 {
            let ev = mon.recv_bytes(0)?;
            while mon.get_rcvmore()? {
                mon.recv_bytes(0)?;
            }
            if ev.len() >= 2 && u16::from_le_bytes([ev[0], ev[1]]) == zmq::SocketEvent::HANDSHAKE_SUCCEEDED as u16 {
                return Ok(true);
            }
        } else if Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses() {
        assert_eq!(BrokerAddr::parse("10.0.0.2").unwrap(), BrokerAddr::new("10.0.0.2", 5555, 5556));
        assert_eq!(BrokerAddr::parse("h:6555:6556").unwrap().xpub, "tcp://h:6556");
        for bad in ["", "h:1", "h:0:1", "h:a:b", "h:1:2:3", "a b", "[::1", "[zz]:1:2", "tcp://h:1|", "tcp://h:1|udp://h:2", "[::1]:1"] {
            assert!(BrokerAddr::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(BrokerAddr::parse("[::1]:6555:6556").unwrap(), BrokerAddr::new("[::1]", 6555, 6556));
        assert_eq!(BrokerAddr::parse("[::1]").unwrap().xsub, "tcp://[::1]:5555");
        assert!(BrokerAddr::parse("[::1]").unwrap().is_ipv6());
        let eps = BrokerAddr::parse("tcp://127.0.0.1:40001|tcp://127.0.0.1:40002").unwrap();
        assert_eq!((eps.xsub.as_str(), eps.xpub.as_str()), ("tcp://127.0.0.1:40001", "tcp://127.0.0.1:40002"));
        assert_eq!(BrokerAddr::parse("inproc:lab").unwrap(), BrokerAddr::inproc("lab").unwrap());
    }
}
