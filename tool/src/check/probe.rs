//! The checker's own raw peers: a PUB connected to every broker's XSUB and a
//! SUB to every XPUB, sending exactly the frames a scenario asks for (classic
//! or tagged) and keeping every message that comes back, so that a scenario
//! sees what a program really answered: wrong values, extra answers, none.

use hypobus::lab::brokers::BrokerAddr;
use hypobus::wire::lab as wire;
use std::time::{Duration, Instant};

/// Which of the lab's two wires a request uses (docs/PROTOCOL.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// Untagged frames, as the original programs send them.
    Classic,
    /// A tag after the topic, answers on `calc.hypotenuse.reply#<tag>`.
    Tagged,
}

impl Wire {
    pub fn name(self) -> &'static str {
        match self {
            Wire::Classic => "classic",
            Wire::Tagged => "tagged",
        }
    }
}

/// One message received: topic, value, and which broker it came through.
#[derive(Debug, Clone)]
pub struct Msg {
    pub topic: String,
    pub value: String,
    pub broker: usize,
    pub at: Instant,
}

pub struct Probe {
    pub_: zmq::Socket,
    subs: Vec<zmq::Socket>,
    /// 16 hex digits, the client id of its tags.
    pub id: String,
    seq: u64,
}

impl Probe {
    /// Connected to every broker of `brokers`, subscribed to `topics` (and
    /// to its private topic), and ready: its own message came back through
    /// a broker within `within` (the slow-joiner wait, bounded).
    pub fn new(ctx: &zmq::Context, brokers: &[BrokerAddr], topics: &[String], within: Duration) -> Result<Probe, String> {
        let e = |e: zmq::Error| format!("probe socket: {e}");
        let pub_ = ctx.socket(zmq::PUB).map_err(e)?;
        pub_.set_linger(0).map_err(e)?;
        pub_.set_immediate(true).map_err(e)?;
        let mut subs = Vec::new();
        let id = wire::random_id();
        let private = format!("hypobus.probe.check.{id}");
        for b in brokers {
            pub_.connect(&b.xsub).map_err(e)?;
            let s = ctx.socket(zmq::SUB).map_err(e)?;
            s.set_linger(0).map_err(e)?;
            s.connect(&b.xpub).map_err(e)?;
            for t in topics.iter().chain([&private]) {
                s.set_subscribe(t.as_bytes()).map_err(e)?;
            }
            subs.push(s);
        }
        let mut p = Probe { pub_, subs, id, seq: 0 };
        let until = Instant::now() + within;
        loop {
            let _ = p.pub_.get_events(); // takes pending subscriptions in (docs/PROTOCOL.md, slow joiners)
            let _ = p.pub_.send_multipart([private.as_bytes(), b"ping"], zmq::DONTWAIT);
            let got = p.collect_raw(Instant::now() + Duration::from_millis(100), true);
            if got.iter().any(|m| m.topic == private) {
                return Ok(p);
            }
            if Instant::now() >= until {
                return Err(format!("the checker's own probe got nothing back through the brokers within {} ms", within.as_millis()));
            }
        }
    }

    /// Which brokers forward now: the probe's own message, sent every
    /// 100 ms for `within`, came back through these (0 primary, 1 backup).
    pub fn forwarding(&mut self, within: Duration) -> Vec<usize> {
        let private = format!("hypobus.probe.check.{}", self.id);
        let until = Instant::now() + within;
        let mut via = Vec::new();
        while Instant::now() < until {
            self.send(&private, "ping");
            let got = self.collect_raw((Instant::now() + Duration::from_millis(100)).min(until), false);
            via.extend(got.iter().filter(|m| m.topic == private).map(|m| m.broker));
        }
        via.sort_unstable();
        via.dedup();
        via
    }

    /// Publish one message.
    pub fn send(&self, topic: &str, value: &str) {
        let _ = self.pub_.get_events();
        let _ = self.pub_.send_multipart([topic.as_bytes(), value.as_bytes()], zmq::DONTWAIT);
    }

    /// A fresh tag of this probe: `<id>.<n>`.
    pub fn tag(&mut self) -> String {
        self.seq += 1;
        format!("{}.{}", self.id, self.seq)
    }

    /// Send the two catheti of one request (`tag` None: classic).
    pub fn request(&self, a: &str, b: &str, tag: Option<&str>) {
        self.send(&wire::with_tag(&wire::request_topic(1), tag), a);
        self.send(&wire::with_tag(&wire::request_topic(2), tag), b);
    }

    /// Every message received until `until` (probe pings left out).
    pub fn collect(&mut self, until: Instant) -> Vec<Msg> {
        let mut out = self.collect_raw(until, false);
        out.retain(|m| !m.topic.starts_with("hypobus.probe.check."));
        out
    }

    /// Every message received until `until`, or until a burst ended
    /// (`pings`: a ping ends the wait too).
    fn collect_raw(&mut self, until: Instant, pings: bool) -> Vec<Msg> {
        let mut out = Vec::new();
        loop {
            let mut any = false;
            for (i, s) in self.subs.iter().enumerate() {
                while let Ok(frames) = s.recv_multipart(zmq::DONTWAIT) {
                    any = true;
                    let text = |k: usize| frames.get(k).map(|f| String::from_utf8_lossy(f).into_owned()).unwrap_or_default();
                    out.push(Msg { topic: text(0), value: text(1), broker: i, at: Instant::now() });
                }
            }
            let now = Instant::now();
            if now >= until || (!out.is_empty() && !any && (pings || out.iter().any(|m| !m.topic.starts_with("hypobus.probe.check.")))) {
                break;
            }
            if !any {
                let mut items: Vec<zmq::PollItem> = self.subs.iter().map(|s| s.as_poll_item(zmq::POLLIN)).collect();
                let wait = (until - now).min(Duration::from_millis(50));
                let _ = zmq::poll(&mut items, wait.as_millis().max(1) as i64);
            }
        }
        out
    }

    /// Messages until `until`, stopping at the first that `want` accepts
    /// (returned last).
    pub fn wait_for(&mut self, until: Instant, want: impl Fn(&Msg) -> bool) -> (Vec<Msg>, bool) {
        let mut all = Vec::new();
        while Instant::now() < until {
            let got = self.collect(until);
            let hit = got.iter().position(&want);
            match hit {
                Some(k) => {
                    all.extend(got.into_iter().take(k + 1));
                    return (all, true);
                }
                None => all.extend(got),
            }
        }
        (all, false)
    }

    /// Read and drop whatever comes until `quiet` passes without a message
    /// (at most `max`): the left-overs of a scenario.
    pub fn drain(&mut self, quiet: Duration, max: Duration) {
        let until = Instant::now() + max;
        while Instant::now() < until {
            let got = self.collect(Instant::now() + quiet);
            if got.is_empty() {
                return;
            }
        }
    }
}

/// The topic a hypotenuse answer to `tag` comes on (`None`: classic).
pub fn answer_topic(tag: Option<&str>) -> String {
    match tag {
        Some(t) => format!("{}#{t}", wire::REPLY_TOPIC),
        None => wire::RESULT_TOPIC.to_string(),
    }
}

/// The expected hypotenuse of two catheti, 4 decimals.
pub fn expected(a: &str, b: &str) -> String {
    match (wire::Number::parse(a.as_bytes()), wire::Number::parse(b.as_bytes())) {
        (Ok(x), Ok(y)) => wire::hypot(&x, &y).unwrap_or_default(),
        _ => String::new(),
    }
}

/// `got` is `want` as a number, to a hundredth: the scenarios other than
/// the one that checks the format accept another rounding.
pub fn close(got: &str, want: &str) -> bool {
    match (got.trim().parse::<f64>(), want.parse::<f64>()) {
        (Ok(g), Ok(w)) => (g - w).abs() <= 0.01 + w.abs() * 1e-9,
        _ => false,
    }
}
