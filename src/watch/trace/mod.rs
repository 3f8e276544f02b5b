//! Reconstruction of each request's path from the wire alone: a pure state
//! machine ([`Tracker`]) fed with every message the observer receives
//! (with the time it arrived and the broker it came through), which puts
//! the messages of one request together into a [`Trace`]:
//!
//! client → calc (the two catheti), calc → operation lanes (square
//! requests), lanes → calc (squares), calc → client (the answer).
//!
//! Tagged requests are kept apart by their tag. Classic (untagged)
//! requests are paired in arrival order, as the calc node pairs them, and
//! followed through the calc node's internal tag (`c.<node>.<n>`) or, for
//! an original calc server, by value: a square request carries the
//! cathetus, a square is matched to the cathetus it is the square of, and
//! a classic result to the request whose hypotenuse it is.

mod tracker;

use crate::wire::{self, Kind, Number};
use std::collections::{HashMap, VecDeque};

pub use crate::wire::obs::OBS_PREFIX;

/// Who sends or receives a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The client of the trace ([`Trace::client`] names it).
    Client,
    /// The calculation node.
    Calc,
    /// The operation node of a lane (1 or 2).
    Op(u32),
}

impl Role {
    /// `client`, `calc`, `op 1`.
    pub fn name(self) -> String {
        match self {
            Role::Client => "client".into(),
            Role::Calc => "calc".into(),
            Role::Op(l) => format!("op {l}"),
        }
    }
}

/// What a hop carries, from its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    /// `calc.request.<lane>`: a cathetus, client → calc.
    Request(u32),
    /// `calc.square.request.<lane>`: calc → operation node.
    SquareRequest(u32),
    /// `calc.square.result.<lane>`: operation node → calc.
    SquareResult(u32),
    /// `calc.hypotenuse.reply#tag` or `calc.hypotenuse.result`: calc → client.
    Answer,
}

impl HopKind {
    pub fn from_to(self) -> (Role, Role) {
        match self {
            HopKind::Request(_) => (Role::Client, Role::Calc),
            HopKind::SquareRequest(l) => (Role::Calc, Role::Op(l)),
            HopKind::SquareResult(l) => (Role::Op(l), Role::Calc),
            HopKind::Answer => (Role::Calc, Role::Client),
        }
    }
}

/// Whether a hop is the first of its kind in its trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    First,
    /// The same message again later, through the same broker (or after an
    /// answer): a client's or the calc node's resend, or a re-answer.
    Resend,
    /// The same message again within a few ms through another broker: two
    /// brokers forwarding at once.
    Duplicate,
}

impl Mark {
    pub fn name(self) -> &'static str {
        match self {
            Mark::First => "first",
            Mark::Resend => "resend",
            Mark::Duplicate => "duplicate",
        }
    }
}

/// One message of a request, as the observer saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    /// When it arrived at the observer (µs since the Unix epoch).
    pub at_us: u64,
    pub kind: HopKind,
    /// The topic frame as on the wire (excerpt).
    pub topic: String,
    /// The value frame (excerpt, at most 64 bytes).
    pub value: String,
    /// Index of the broker it came through.
    pub broker: usize,
    pub mark: Mark,
    /// An `ERR …` value.
    pub error: bool,
    /// Sent untagged (an original program or classic mode).
    pub untagged: bool,
}

impl Hop {
    pub fn from(&self) -> Role {
        self.kind.from_to().0
    }
    pub fn to(&self) -> Role {
        self.kind.from_to().1
    }
    /// The topic without its tag, without `calc.`: `request.1`, `square.result.2`, `hypotenuse.reply`.
    pub fn short_topic(&self) -> &str {
        let t = self.topic.split(wire::TAG_SEP).next().unwrap_or("");
        t.strip_prefix("calc.").unwrap_or(t)
    }
}

/// How a lane's square came about when no operation node answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// The operation node answered (or the observer cannot tell).
    No,
    /// No square arrived before the answer: the calc node must have
    /// computed it itself (inferred from the wire alone).
    Inferred,
    /// The calc node said so on its observability topic (with its words).
    Confirmed(String),
}

impl Fallback {
    pub fn taken(&self) -> bool {
        !matches!(self, Fallback::No)
    }
}

/// How a request ended, as far as the wire tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not over yet.
    Open,
    /// The hypotenuse.
    Answer(String),
    /// An error answer (`ERR <reason>`): the reason.
    Error(String),
    /// No answer was seen within the observer's expiry.
    Lost,
}

/// Which implementation a role's messages show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Impl {
    /// Not seen.
    Unknown,
    /// Tagged messages: a libhypobus role.
    Tagged,
    /// Untagged messages: an original program (or a role in classic mode).
    Classic,
}

impl Impl {
    pub fn name(self) -> &'static str {
        match self {
            Impl::Unknown => "unknown",
            Impl::Tagged => "tagged",
            Impl::Classic => "classic",
        }
    }
}

/// A note on a trace from a role's observability event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub at_us: u64,
    /// `calc`, `op 1`.
    pub role: String,
    pub text: String,
}

/// One request's path.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The observer's own number for it (1, 2, …).
    pub id: u64,
    /// The client's tag, `None` for a classic request.
    pub tag: Option<String>,
    /// Who asked: `client 3f9a0c` (tagged: the client id's first 6 digits)
    /// or `classic client`.
    pub client: String,
    /// The catheti as sent.
    pub a: Option<String>,
    pub b: Option<String>,
    pub outcome: Outcome,
    /// First hop's time and the first answer's (µs since the Unix epoch).
    pub start_us: u64,
    pub end_us: Option<u64>,
    pub hops: Vec<Hop>,
    /// Lanes 1 and 2.
    pub fallback: [Fallback; 2],
    pub resends: u32,
    pub duplicates: u32,
    /// The implementation each role showed in this trace: client, calc, op 1, op 2.
    pub impls: [Impl; 4],
    pub notes: Vec<Note>,
    /// The calc node's internal tag of a classic request, when it has one.
    pub link: Option<String>,
}

impl Trace {
    /// Total time from the first cathetus to the first answer, if answered.
    pub fn total_us(&self) -> Option<u64> {
        self.end_us.map(|e| e.saturating_sub(self.start_us))
    }
    pub fn classic(&self) -> bool {
        self.tag.is_none()
    }
    /// Brokers the hops came through (indexes, sorted, each once).
    pub fn brokers(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.hops.iter().map(|h| h.broker).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    /// The roles seen, in column order: client, calc, op 1, op 2.
    pub fn roles(&self) -> Vec<Role> {
        let mut v = vec![Role::Client, Role::Calc];
        for l in 1..=2 {
            if self.hops.iter().any(|h| h.from() == Role::Op(l) || h.to() == Role::Op(l)) {
                v.push(Role::Op(l));
            }
        }
        v
    }
    pub fn impl_of(&self, r: Role) -> Impl {
        match r {
            Role::Client => self.impls[0],
            Role::Calc => self.impls[1],
            Role::Op(1) => self.impls[2],
            Role::Op(2) => self.impls[3],
            Role::Op(_) => Impl::Unknown,
        }
    }
    fn set_impl(&mut self, r: Role, i: Impl) {
        let k = match r {
            Role::Client => 0,
            Role::Calc => 1,
            Role::Op(1) => 2,
            Role::Op(2) => 3,
            Role::Op(_) => return,
        };
        if self.impls[k] == Impl::Unknown {
            self.impls[k] = i;
        }
    }
    fn cathetus(&self, lane: u32) -> Option<&String> {
        if lane == 1 {
            self.a.as_ref()
        } else {
            self.b.as_ref()
        }
    }
    fn has(&self, kind: HopKind) -> bool {
        self.hops.iter().any(|h| h.kind == kind && !h.error)
    }
    fn has_any(&self, kind: HopKind) -> bool {
        self.hops.iter().any(|h| h.kind == kind)
    }
    /// A short text: `hypot(12, 13) = 17.6918`, `hypot(12, abc) = ERR …`.
    pub fn summary(&self) -> String {
        let (a, b) = (self.a.as_deref().unwrap_or("?"), self.b.as_deref().unwrap_or("?"));
        let r = match &self.outcome {
            Outcome::Open => "…".to_string(),
            Outcome::Answer(h) => h.clone(),
            Outcome::Error(e) => format!("ERR {e}"),
            Outcome::Lost => "no answer seen".to_string(),
        };
        format!("hypot({a}, {b}) = {r}")
    }
}

/// A role's observability event (`hypobus.obs.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleEvent {
    pub at_us: u64,
    /// `calc`, `op 1`, `broker`.
    pub role: String,
    /// `fallback`, `refused`, `state`.
    pub event: String,
    /// The request's tag (empty when none).
    pub tag: String,
    pub detail: String,
    pub broker: usize,
}

/// What the tracker hands out.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Trace(Box<Trace>),
    Role(RoleEvent),
}

/// Tracker settings (µs).
#[derive(Debug, Clone, Copy)]
pub struct TrackerConfig {
    /// How long an answered trace stays open for late copies (duplicates,
    /// re-answers) before it is handed out.
    pub linger_us: u64,
    /// A request with no answer after this long is handed out as lost.
    pub expire_us: u64,
    /// Same message through another broker within this long: a duplicate.
    pub dup_window_us: u64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig { linger_us: 150_000, expire_us: 8_000_000, dup_window_us: 20_000 }
    }
}

/// Counters of what the tracker could not place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackerStats {
    /// Messages taken in.
    pub messages: u64,
    /// Messages of requests whose start was not seen (or refused in a sample).
    pub unmatched: u64,
    /// Messages that are not of the lab (bad topic, other lanes).
    pub foreign: u64,
    /// Traces open now.
    pub open: u64,
    /// Requests no longer followed when a sampling window closed.
    pub cut: u64,
}

/// Longest value excerpt kept per hop.
const VALUE_MAX: usize = 64;
/// Most traces open at once: beyond it the oldest is handed out as lost.
const MAX_OPEN: usize = 100_000;

fn text(bytes: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
    let mut s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if bytes.len() > max {
        s.push('…');
    }
    s
}

/// `12` and `12.0` and ` 12` are the same cathetus.
fn norm(v: &str) -> String {
    Number::parse(v.as_bytes()).map(|n| n.format()).unwrap_or_else(|_| v.to_string())
}

/// `client 3f9a0c` for tag `3f9a0c21b7d45e60.17`.
pub fn client_name(tag: &str) -> String {
    let id = tag.rsplit_once('.').map_or(tag, |(id, _)| id);
    let short: String = id.chars().take(6).collect();
    format!("client {short}")
}

/// Puts messages together into traces (see the module doc).
pub struct Tracker {
    cfg: TrackerConfig,
    open: HashMap<String, Trace>,
    /// The calc node's internal tags of classic requests → trace key.
    links: HashMap<String, String>,
    /// Unpaired classic catheti per lane: (time, value, broker).
    classic_wait: [VecDeque<(u64, String, usize)>; 2],
    /// Classic trace keys, oldest first (answered ones are skipped lazily).
    classic_open: VecDeque<String>,
    /// Keys with a square request on lane 1/2, oldest first (lazily cleaned).
    square_wait: [VecDeque<String>; 2],
    /// Answered keys to hand out at the given time.
    lingering: VecDeque<(u64, String)>,
    /// Keys in start order, to expire.
    started: VecDeque<(u64, String)>,
    next_id: u64,
    classic_n: u64,
    /// New requests are taken in (false between sampling windows).
    pub accept_new: bool,
    /// Highest request number seen per tagged client id (tags are
    /// `<id>.<n>`, n counting the client's requests), and the sum of what
    /// they advanced by since each was first seen: how many requests the
    /// tagged clients sent, whatever the observer itself could follow.
    seqs: HashMap<String, u64>,
    seq_sum: u64,
    stats: TrackerStats,
    out: Vec<Output>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(t: &mut Tracker, at: u64, broker: usize, frames: &[&str]) {
        let f: Vec<&[u8]> = frames.iter().map(|s| s.as_bytes()).collect();
        t.on_message(at, broker, &f);
    }

    fn traces(t: &mut Tracker) -> Vec<Trace> {
        t.drain().filter_map(|o| if let Output::Trace(tr) = o { Some(*tr) } else { None }).collect()
    }

    #[test]
    fn tagged_request() {
        let mut t = Tracker::new(TrackerConfig::default());
        let tag = "3f9a0c21b7d45e60.17";
        feed(&mut t, 100, 0, &[&format!("calc.request.1#{tag}"), "12"]);
        feed(&mut t, 110, 0, &[&format!("calc.request.2#{tag}"), "13"]);
        feed(&mut t, 200, 0, &[&format!("calc.square.request.1#{tag}"), "12"]);
        feed(&mut t, 201, 0, &[&format!("calc.square.request.2#{tag}"), "13"]);
        feed(&mut t, 300, 0, &[&format!("calc.square.result.1#{tag}"), "144"]);
        feed(&mut t, 310, 0, &[&format!("calc.square.result.2#{tag}"), "169"]);
        feed(&mut t, 400, 0, &[&format!("calc.hypotenuse.reply#{tag}"), "17.6918"]);
        t.on_time(400 + 149_000);
        assert!(traces(&mut t).is_empty(), "lingers");
        t.on_time(400 + 150_000);
        let tr = traces(&mut t).pop().unwrap();
        assert_eq!(tr.hops.len(), 7);
        assert_eq!(tr.outcome, Outcome::Answer("17.6918".into()));
        assert_eq!(tr.total_us(), Some(300));
        assert_eq!(tr.client, "client 3f9a0c");
        assert_eq!(tr.fallback, [Fallback::No, Fallback::No]);
        assert_eq!(tr.impls, [Impl::Tagged; 4]);
        assert_eq!(tr.roles(), vec![Role::Client, Role::Calc, Role::Op(1), Role::Op(2)]);
    }

    #[test]
    fn fallback_resend_duplicate() {
        let mut t = Tracker::new(TrackerConfig::default());
        let tag = "aa.1";
        feed(&mut t, 0, 0, &["calc.request.1#aa.1", "5"]);
        feed(&mut t, 1, 0, &["calc.request.2#aa.1", "12"]);
        feed(&mut t, 2, 0, &["calc.square.request.1#aa.1", "5"]);
        feed(&mut t, 3, 0, &["calc.square.request.2#aa.1", "12"]);
        feed(&mut t, 4, 0, &["calc.square.result.2#aa.1", "144"]);
        feed(&mut t, 100_000, 0, &["calc.square.request.1#aa.1", "5"]);
        feed(&mut t, 100_001, 1, &["calc.square.request.1#aa.1", "5"]);
        feed(&mut t, 300_000, 0, &["hypobus.obs.calc", "fallback", tag, "lane=1 no square in 300 ms"]);
        feed(&mut t, 300_010, 0, &["calc.hypotenuse.reply#aa.1", "13.0000"]);
        feed(&mut t, 300_020, 0, &["calc.hypotenuse.reply#aa.1", "13.0000"]);
        t.on_time(10_000_000);
        let tr = traces(&mut t).pop().unwrap();
        assert_eq!(tr.fallback[0], Fallback::Confirmed("lane=1 no square in 300 ms".into()));
        assert_eq!(tr.fallback[1], Fallback::No);
        assert_eq!((tr.resends, tr.duplicates), (2, 1), "{:?}", tr.hops.iter().map(|h| h.mark).collect::<Vec<_>>());
        assert_eq!(tr.notes.len(), 1);
    }

    #[test]
    fn classic_with_our_calc_and_original_ops() {
        let mut t = Tracker::new(TrackerConfig::default());
        feed(&mut t, 0, 0, &["calc.request.1", "12"]);
        feed(&mut t, 5, 0, &["calc.request.2", "13"]);
        feed(&mut t, 10, 0, &["calc.square.request.1#c.node.1", "12"]);
        feed(&mut t, 11, 0, &["calc.square.request.2#c.node.1", "13"]);
        feed(&mut t, 20, 0, &["calc.square.result.2", "169"]);
        feed(&mut t, 21, 0, &["calc.square.result.1", "144"]);
        feed(&mut t, 30, 0, &["calc.hypotenuse.result", "17.6918"]);
        t.on_time(1_000_000);
        let tr = traces(&mut t).pop().unwrap();
        assert!(tr.classic());
        assert_eq!(tr.hops.len(), 7);
        assert_eq!(tr.impls, [Impl::Classic, Impl::Tagged, Impl::Classic, Impl::Classic]);
        assert_eq!(tr.outcome, Outcome::Answer("17.6918".into()));
        assert_eq!(tr.fallback, [Fallback::No, Fallback::No]);
    }

    #[test]
    fn classic_original_calc_and_missing_square() {
        let mut t = Tracker::new(TrackerConfig::default());
        feed(&mut t, 0, 0, &["calc.request.1", "3"]);
        feed(&mut t, 1, 0, &["calc.request.2", "4"]);
        feed(&mut t, 2, 0, &["calc.square.request.1", "3"]);
        feed(&mut t, 3, 0, &["calc.square.request.2", "4"]);
        feed(&mut t, 4, 0, &["calc.square.result.2", "16"]);
        feed(&mut t, 2_000_000, 0, &["calc.hypotenuse.result", "5.0000"]);
        t.on_time(3_000_000);
        let tr = traces(&mut t).pop().unwrap();
        assert_eq!(tr.impls[1], Impl::Classic);
        assert_eq!(tr.fallback, [Fallback::Inferred, Fallback::No]);
    }

    #[test]
    fn lost_and_error_and_sampling() {
        let mut t = Tracker::new(TrackerConfig { expire_us: 1000, ..Default::default() });
        feed(&mut t, 0, 0, &["calc.request.1#x.1", "abc"]);
        feed(&mut t, 1, 0, &["calc.request.2#x.1", "4"]);
        feed(&mut t, 2, 0, &["calc.hypotenuse.reply#x.1", "ERR cathetus a: not a decimal number: \"abc\""]);
        feed(&mut t, 3, 0, &["calc.request.1#x.2", "1"]);
        t.accept_new = false;
        feed(&mut t, 4, 0, &["calc.request.1#x.3", "1"]);
        t.on_time(2000);
        let tr = traces(&mut t);
        assert_eq!(tr.len(), 2);
        assert!(matches!(&tr[0].outcome, Outcome::Error(e) if e.contains("abc")));
        assert_eq!(tr[1].outcome, Outcome::Lost);
        assert_eq!(t.stats().unmatched, 1);
    }
}
