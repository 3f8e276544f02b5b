//! The whole lab in one process on loopback: a broker, two operation nodes,
//! a calc node; clients on demand. Used by `hypobus lab`, the tests and the
//! benchmark.

use crate::broker::{Broker, BrokerConfig};
use crate::calc::{CalcConfig, CalcNode};
use crate::client::{Client, ClientConfig, ClientStats, Mode};
use crate::error::{Error, Result};
use crate::failover::{Event, FailoverStats, Role};
use crate::net::{self, BrokerAddr};
use crate::op::{OpConfig, OpNode, Operation};
use crate::wire::{self, Number};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

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
        })?;
        let (xs, xp, hb) = broker.endpoints.clone();
        let addr = BrokerAddr::new(&cfg.host, port_of(&xs), port_of(&xp));
        let local = match &inproc {
            Some(name) => BrokerAddr::inproc(name)?,
            None => addr.clone(),
        };
        let hb = format!("tcp://{}:{}", cfg.host, port_of(&hb.unwrap_or_default()));
        let brokers = vec![local.clone()];
        let op = |lane| OpNode::start(OpConfig { brokers: brokers.clone(), lane }, Operation::Square);
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
            *slot = Some(OpNode::start(OpConfig { brokers: vec![self.local.clone()], lane }, Operation::Square)?);
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

// ====================================================================== demo
//
// `hypobus lab` runs the whole lab in this process and shows what it does
// and how fast, stage by stage. The logic lives here (not in the CLI) so
// tests, the C ABI or another front end can run the same demo.

/// Settings of the lab demo ([`run_demo`]).
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Where the lab runs. The demo's default calc time-out is 300 ms (not the
    /// lab's 2 s) so the fallback stage is quick.
    pub lab: LabConfig,
    /// Requests of the sequential and of the pipelined stage. Default 3000.
    pub requests: usize,
    /// Concurrent clients (threads) of the concurrency stage. Default 8.
    pub clients: usize,
    /// Requests per concurrent client. Default 200.
    pub per_client: usize,
    /// Requests in flight at once in the pipelined stage. Default 256.
    pub window: usize,
    /// Requests sent while lane 1's operation node is stopped. Default 5.
    pub fallback_requests: usize,
    /// Time-out of every demo request. Default 5000 ms.
    pub request_timeout: Duration,
    /// The `hypobus` executable, to run the failover stage's brokers as
    /// processes (`hypobus lab` passes itself). `None` skips that stage.
    pub broker_exe: Option<PathBuf>,
    /// Heartbeat period of the failover stage's brokers. Default 100 ms.
    pub failover_hb_interval: Duration,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            lab: LabConfig { calc_timeout: Duration::from_millis(300), ..Default::default() },
            requests: 3000,
            clients: 8,
            per_client: 200,
            window: 256,
            fallback_requests: 5,
            request_timeout: Duration::from_millis(5000),
            broker_exe: None,
            failover_hb_interval: Duration::from_millis(100),
        }
    }
}

/// The verdict of one row of the demo report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Checked and right.
    Pass,
    /// Checked and wrong: why.
    Fail(String),
    /// Information only (nothing to check).
    Info,
    /// Not run: why.
    Skipped(String),
}

/// One line of the demo report.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was done, e.g. `hypot(12, 13)`.
    pub what: String,
    /// What came back, e.g. `17.6918`.
    pub result: String,
    /// Timing or counters, e.g. `0.31 ms`.
    pub detail: String,
    pub check: Check,
}

impl Row {
    fn new(what: impl Into<String>, result: impl Into<String>, detail: impl Into<String>, check: Check) -> Row {
        Row { what: what.into(), result: result.into(), detail: detail.into(), check }
    }
    fn checked(what: impl Into<String>, result: impl Into<String>, detail: impl Into<String>, ok: bool, why: &str) -> Row {
        Row::new(what, result, detail, if ok { Check::Pass } else { Check::Fail(why.to_string()) })
    }
    fn failed(what: impl Into<String>, err: impl std::fmt::Display) -> Row {
        let e = err.to_string();
        Row::new(what, "error", "", Check::Fail(e))
    }
}

/// One stage of the demo: a title and its rows.
#[derive(Debug, Clone)]
pub struct Stage {
    pub title: String,
    pub rows: Vec<Row>,
    /// How long the stage took.
    pub elapsed: Duration,
}

/// What the demo did: the lab's endpoints, every stage, the final counters.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// `xsub …, xpub …, hb …` of the lab's broker.
    pub endpoints: String,
    /// The calc node's time-out used.
    pub calc_timeout: Duration,
    pub stages: Vec<Stage>,
    /// One line per role with its counters at the end.
    pub counters: Vec<String>,
    /// Error of stopping the roles, if any.
    pub stop_error: Option<String>,
    pub elapsed: Duration,
}

impl DemoReport {
    /// Rows whose check failed (plus a failed shutdown).
    pub fn failures(&self) -> usize {
        let rows = self.stages.iter().flat_map(|s| &s.rows).filter(|r| matches!(r.check, Check::Fail(_))).count();
        rows + self.stop_error.is_some() as usize
    }

    /// Rows that were checked and passed.
    pub fn passes(&self) -> usize {
        self.stages.iter().flat_map(|s| &s.rows).filter(|r| r.check == Check::Pass).count()
    }

    /// True when every check passed and the lab stopped cleanly.
    pub fn passed(&self) -> bool {
        self.failures() == 0
    }
}

/// `0.042 ms`, `3.10 ms`, `312 ms`, `1.25 s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn rate(n: usize, d: Duration) -> String {
    let s = d.as_secs_f64();
    if s <= 0.0 {
        return "-".into();
    }
    format!("{:.0} req/s", n as f64 / s)
}

/// p50/p99/max of latencies (sorted in place).
fn percentiles(lat: &mut [Duration]) -> String {
    if lat.is_empty() {
        return "no samples".into();
    }
    lat.sort_unstable();
    let p = |q: f64| lat[((lat.len() as f64 * q).ceil() as usize).clamp(1, lat.len()) - 1];
    format!("p50 {} p99 {} max {}", fmt_duration(p(0.50)), fmt_duration(p(0.99)), fmt_duration(lat[lat.len() - 1]))
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "hypobus lab on loopback: broker {}", self.endpoints)?;
        writeln!(f, "  2 operation nodes (lanes 1, 2), 1 calc node (time-out {})", fmt_duration(self.calc_timeout))?;
        let mark = |r: &Row| match &r.check {
            Check::Pass => "ok",
            Check::Fail(_) => "FAIL",
            Check::Info => "",
            Check::Skipped(_) => "skip",
        };
        let rows = || self.stages.iter().flat_map(|s| &s.rows);
        let w_what = rows().map(|r| r.what.chars().count()).max().unwrap_or(0);
        let w_res = rows().filter(|r| !r.detail.is_empty()).map(|r| r.result.chars().count()).max().unwrap_or(0).min(24);
        for s in &self.stages {
            writeln!(f)?;
            writeln!(f, "{} ({})", s.title, fmt_duration(s.elapsed))?;
            for r in &s.rows {
                let line = format!("  {:<4}  {:<w_what$}  {:<w_res$}  {}", mark(r), r.what, r.result, r.detail);
                writeln!(f, "{}", line.trim_end())?;
                if let Check::Fail(why) | Check::Skipped(why) = &r.check {
                    writeln!(f, "        -> {why}")?;
                }
            }
        }
        writeln!(f)?;
        writeln!(f, "final counters")?;
        for c in &self.counters {
            writeln!(f, "  {c}")?;
        }
        if let Some(e) = &self.stop_error {
            writeln!(f, "  stopping the lab failed: {e}")?;
        }
        writeln!(f)?;
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        write!(f, "{verdict}: {} checks passed, {} failed, in {}", self.passes(), self.failures(), fmt_duration(self.elapsed))
    }
}

fn num(s: &str) -> Number {
    Number::parse(s.as_bytes()).expect("demo catheti are valid")
}

/// The locally computed hypotenuse the lab must answer.
fn expected(a: &str, b: &str) -> String {
    wire::hypot(&num(a), &num(b)).unwrap_or_else(|e| format!("error: {e}"))
}

/// Run a stage body; an error it returns becomes a failed row.
fn stage(title: &str, body: impl FnOnce(&mut Vec<Row>) -> Result<()>) -> Stage {
    let t = Instant::now();
    let mut rows = Vec::new();
    if let Err(e) = body(&mut rows) {
        rows.push(Row::failed("stage aborted", e));
    }
    Stage { title: title.to_string(), rows, elapsed: t.elapsed() }
}

/// Start the lab on loopback, run every stage, stop the lab and report.
/// `Err` only when the lab cannot start; failed checks are in the report
/// (see [`DemoReport::passed`]).
pub fn run_demo(cfg: &DemoConfig) -> Result<DemoReport> {
    let t0 = Instant::now();
    let mut lab = Lab::start(&cfg.lab)?;
    let (xs, xp, _) = &lab.broker.endpoints;
    let endpoints = format!("xsub {xs}, xpub {xp}, hb {}", lab.hb);
    let ccfg = ClientConfig { brokers: vec![lab.local.clone()], timeout: cfg.request_timeout, ..Default::default() };
    let stages = vec![
        stage("1. single client", |rows| demo_single(&ccfg, rows)),
        stage(&format!("2. {} sequential requests, one client", cfg.requests), |rows| demo_sequential(cfg, &ccfg, rows)),
        stage(&format!("3. {} concurrent clients x {} requests", cfg.clients, cfg.per_client), |rows| demo_concurrent(cfg, &ccfg, rows)),
        stage(&format!("4. {} requests in flight from one client (window {})", cfg.requests, cfg.window), |rows| {
            demo_pipelined(cfg, &ccfg, rows)
        }),
        stage("5. operation node of lane 1 stopped: local fallback", |rows| demo_fallback(cfg, &mut lab, &ccfg, rows)),
        stage("6. bad input from a raw ZeroMQ publisher", |rows| demo_bad_input(&lab, &ccfg, rows)),
        stage(
            &format!("7. broker failover: primary killed mid-stream, restarted, hand-back (heartbeats {})", fmt_duration(cfg.failover_hb_interval)),
            |rows| demo_failover(cfg, rows),
        ),
    ];
    let mut counters = vec![fmt_broker(&lab.broker.stats())];
    for op in lab.ops.iter().flatten() {
        counters.push(fmt_op(op.lane(), &op.stats()));
    }
    counters.push(fmt_calc(&lab.calc.stats()));
    let stop_error = lab.stop().err().map(|e| e.to_string());
    Ok(DemoReport { endpoints, calc_timeout: cfg.lab.calc_timeout, stages, counters, stop_error, elapsed: t0.elapsed() })
}

/// One line of broker counters: `broker: forwarded=… …`.
pub fn fmt_broker(s: &crate::broker::BrokerStats) -> String {
    format!(
        "broker: forwarded={} dropped_passive={} subscriptions={} unsubscriptions={} heartbeats={}",
        s.forwarded, s.dropped_passive, s.subscriptions, s.unsubscriptions, s.heartbeats
    )
}

/// One line of operation node counters: `op lane N: requests=… …`.
pub fn fmt_op(lane: u32, s: &crate::op::OpStats) -> String {
    format!("op lane {lane}: requests={} replies={} errors={} ignored={}", s.requests, s.replies, s.errors, s.ignored)
}

/// One line of calc node counters: `calc: requests=… …`.
pub fn fmt_calc(s: &crate::calc::CalcStats) -> String {
    format!(
        "calc: requests={} classic_requests={} results={} errors={} fallbacks={} squares_received={} duplicates={} bad_messages={} expired={} in_flight={}",
        s.requests,
        s.classic_requests,
        s.results,
        s.errors,
        s.fallbacks,
        s.squares_received,
        s.duplicates,
        s.bad_messages,
        s.expired,
        s.in_flight
    )
}

/// One line of client counters: `client: requests=… …`.
pub fn fmt_client(s: &crate::client::ClientStats) -> String {
    format!(
        "client: requests={} resent={} answers={} duplicates={} timeouts={}",
        s.requests, s.resent, s.answers, s.duplicates, s.timeouts
    )
}

fn demo_single(ccfg: &ClientConfig, rows: &mut Vec<Row>) -> Result<()> {
    let mut c = Client::new(ccfg.clone())?;
    for (i, (a, b, want)) in [("12", "13", "17.6918"), ("3", "4", "5.0000"), ("1.5", "2", "2.5000")].into_iter().enumerate() {
        let t = Instant::now();
        let what = format!("hypot({a}, {b})");
        match c.hypot(a, b) {
            Ok(h) => {
                let mut detail = fmt_duration(t.elapsed());
                if i == 0 {
                    detail.push_str(" (incl. connecting)");
                }
                rows.push(Row::checked(what, &h, detail, h == want && h == expected(a, b), &format!("expected {want}")));
            }
            Err(e) => rows.push(Row::failed(what, e)),
        }
    }
    let mut k = Client::new(ClientConfig { mode: Mode::Classic, ..ccfg.clone() })?;
    let t = Instant::now();
    match k.hypot("12", "13") {
        Ok(h) => {
            let detail = format!("{} (incl. connecting)", fmt_duration(t.elapsed()));
            rows.push(Row::checked("classic client: hypot(12, 13)", &h, detail, h == "17.6918", "expected 17.6918"))
        }
        Err(e) => rows.push(Row::failed("classic client: hypot(12, 13)", e)),
    }
    Ok(())
}

/// Catheti of request `i` of client `c`: different for every request and
/// every client, integers and decimals.
fn catheti(c: usize, i: usize) -> (String, String) {
    let a = format!("{}", (c + 1) * 1000 + i % 997);
    let b = format!("{}.{}", i % 101, (c * 7 + i) % 100);
    (a, b)
}

fn demo_sequential(cfg: &DemoConfig, ccfg: &ClientConfig, rows: &mut Vec<Row>) -> Result<()> {
    let mut c = Client::new(ccfg.clone())?;
    c.hypot("3", "4")?; // connect first: the numbers below are steady state
    let (mut wrong, mut errors, mut first_err) = (0usize, 0usize, None);
    let mut lat = Vec::with_capacity(cfg.requests);
    let t = Instant::now();
    for i in 0..cfg.requests {
        let (a, b) = catheti(0, i);
        let s = Instant::now();
        match c.hypot(&a, &b) {
            Ok(h) if h == expected(&a, &b) => {}
            Ok(_) => wrong += 1,
            Err(e) => {
                errors += 1;
                first_err.get_or_insert_with(|| e.to_string());
            }
        }
        lat.push(s.elapsed());
    }
    let el = t.elapsed();
    let ok = cfg.requests - wrong - errors;
    rows.push(Row::checked(
        format!("{} requests, one at a time", cfg.requests),
        format!("{ok}/{} right", cfg.requests),
        format!("{} in {}", rate(cfg.requests, el), fmt_duration(el)),
        ok == cfg.requests,
        &format!("{wrong} wrong, {errors} errors{}", first_err.map(|e| format!(" (first: {e})")).unwrap_or_default()),
    ));
    rows.push(Row::new("latency", "", percentiles(&mut lat), Check::Info));
    Ok(())
}

struct ThreadResult {
    right: usize,
    wrong: usize,
    errors: usize,
    first_err: Option<String>,
    lat: Vec<Duration>,
}

fn demo_concurrent(cfg: &DemoConfig, ccfg: &ClientConfig, rows: &mut Vec<Row>) -> Result<()> {
    let t = Instant::now();
    let handles: Vec<_> = (0..cfg.clients)
        .map(|ci| {
            let ccfg = ccfg.clone();
            let n = cfg.per_client;
            std::thread::spawn(move || -> Result<ThreadResult> {
                let mut c = Client::new(ccfg)?;
                let mut r = ThreadResult { right: 0, wrong: 0, errors: 0, first_err: None, lat: Vec::with_capacity(n) };
                for i in 0..n {
                    let (a, b) = catheti(ci + 1, i);
                    let s = Instant::now();
                    match c.hypot(&a, &b) {
                        Ok(h) if h == expected(&a, &b) => r.right += 1,
                        Ok(_) => r.wrong += 1,
                        Err(e) => {
                            r.errors += 1;
                            r.first_err.get_or_insert_with(|| e.to_string());
                        }
                    }
                    r.lat.push(s.elapsed());
                }
                Ok(r)
            })
        })
        .collect();
    let (mut right, mut wrong, mut errors, mut first_err, mut lat) = (0, 0, 0, None, Vec::new());
    for h in handles {
        match h.join() {
            Ok(Ok(r)) => {
                right += r.right;
                wrong += r.wrong;
                errors += r.errors;
                if first_err.is_none() {
                    first_err = r.first_err;
                }
                lat.extend(r.lat);
            }
            Ok(Err(e)) => {
                errors += cfg.per_client;
                first_err.get_or_insert_with(|| e.to_string());
            }
            Err(_) => {
                errors += cfg.per_client;
                first_err.get_or_insert_with(|| "client thread panicked".to_string());
            }
        }
    }
    let el = t.elapsed();
    let total = cfg.clients * cfg.per_client;
    rows.push(Row::checked(
        format!("{} clients x {} requests", cfg.clients, cfg.per_client),
        format!("{right}/{total} right"),
        format!("{} in {}", rate(total, el), fmt_duration(el)),
        right == total,
        &format!("{errors} errors{}", first_err.map(|e| format!(" (first: {e})")).unwrap_or_default()),
    ));
    rows.push(Row::checked("answers for another client's request", format!("{wrong} mismatches"), "", wrong == 0, "mismatches must be 0"));
    rows.push(Row::new("latency", "", percentiles(&mut lat), Check::Info));
    Ok(())
}

fn demo_pipelined(cfg: &DemoConfig, ccfg: &ClientConfig, rows: &mut Vec<Row>) -> Result<()> {
    let mut c = Client::new(ccfg.clone())?;
    c.hypot("3", "4")?;
    let window = cfg.window.max(1);
    let mut want: HashMap<u64, String> = HashMap::with_capacity(window);
    let (mut sent, mut right, mut wrong, mut errors, mut first_err) = (0usize, 0usize, 0usize, 0usize, None);
    let t = Instant::now();
    while sent < cfg.requests || !want.is_empty() {
        while sent < cfg.requests && want.len() < window {
            let (a, b) = catheti(cfg.clients + 1, sent);
            let id = c.submit(&a, &b)?;
            want.insert(id, expected(&a, &b));
            sent += 1;
        }
        let Some((id, r)) = c.next(-1)? else { break };
        let Some(w) = want.remove(&id) else { continue };
        match r {
            Ok(h) if h == w => right += 1,
            Ok(_) => wrong += 1,
            Err(e) => {
                errors += 1;
                first_err.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let el = t.elapsed();
    rows.push(Row::checked(
        format!("{} requests, up to {window} in flight", cfg.requests),
        format!("{right}/{} right", cfg.requests),
        format!("{} in {}", rate(cfg.requests, el), fmt_duration(el)),
        right == cfg.requests,
        &format!("{wrong} wrong, {errors} errors{}", first_err.map(|e| format!(" (first: {e})")).unwrap_or_default()),
    ));
    rows.push(Row::new("client counters", "", fmt_client(&c.stats()), Check::Info));
    Ok(())
}

fn demo_fallback(cfg: &DemoConfig, lab: &mut Lab, ccfg: &ClientConfig, rows: &mut Vec<Row>) -> Result<()> {
    let mut c = Client::new(ccfg.clone())?;
    c.hypot("3", "4")?;
    let before = lab.calc.stats().fallbacks;
    lab.stop_op(1)?;
    rows.push(Row::new("stop the operation node of lane 1", "stopped", "", Check::Info));
    let n = cfg.fallback_requests;
    for i in 0..n {
        let (a, b) = (format!("{}", 5 + i), format!("{}", 12 + i));
        let t = Instant::now();
        let what = format!("hypot({a}, {b})");
        match c.hypot(&a, &b) {
            Ok(h) => rows.push(Row::checked(what, &h, fmt_duration(t.elapsed()), h == expected(&a, &b), &format!("expected {}", expected(&a, &b)))),
            Err(e) => rows.push(Row::failed(what, e)),
        }
    }
    let fallbacks = lab.calc.stats().fallbacks - before;
    rows.push(Row::checked(
        "squares of lane 1 computed by the calc node",
        format!("{fallbacks} fallbacks"),
        format!("after {} each", fmt_duration(cfg.lab.calc_timeout)),
        fallbacks >= n as u64,
        &format!("expected at least {n}"),
    ));
    // Restart the node and wait (bounded) until squares come from it again.
    lab.start_op(1)?;
    let t = Instant::now();
    let deadline = t + Duration::from_secs(5);
    let mut back = false;
    while Instant::now() < deadline {
        let f0 = lab.calc.stats().fallbacks;
        let h = c.hypot("8", "15")?;
        if h == "17.0000" && lab.calc.stats().fallbacks == f0 {
            back = true;
            break;
        }
    }
    rows.push(Row::checked(
        "restart it: squares come from it again",
        if back { "yes" } else { "no" },
        format!("after {}", fmt_duration(t.elapsed())),
        back,
        "the calc node still falls back",
    ));
    Ok(())
}

/// A raw ZeroMQ peer of the lab's broker for the bad-input stage.
struct RawPeer {
    _ctx: zmq::Context,
    publ: zmq::Socket,
    sub: zmq::Socket,
    prefix: String,
}

impl RawPeer {
    fn new(addr: &BrokerAddr) -> Result<RawPeer> {
        let ctx = zmq::Context::new();
        let publ = ctx.socket(zmq::PUB)?;
        let sub = ctx.socket(zmq::SUB)?;
        publ.set_linger(0)?;
        sub.set_linger(0)?;
        let prefix = format!("demo-{}", crate::client::random_id());
        sub.set_subscribe(wire::with_tag(wire::REPLY_TOPIC, Some(&prefix)).as_bytes())?;
        sub.set_subscribe(wire::with_tag(&wire::square_result_topic(2), Some(&prefix)).as_bytes())?;
        publ.connect(&addr.xsub)?;
        sub.connect(&addr.xpub)?;
        Ok(RawPeer { _ctx: ctx, publ, sub, prefix })
    }

    fn send(&self, frames: &[&[u8]]) -> Result<()> {
        self.publ.send_multipart(frames.iter().copied(), 0)?;
        Ok(())
    }

    /// Send a tagged request: `a_frames` after the lane-1 topic, `b` on lane 2.
    fn request(&self, tag: &str, a_frames: &[&[u8]], b: &[u8]) -> Result<()> {
        let t1 = wire::with_tag(&wire::request_topic(1), Some(tag));
        let t2 = wire::with_tag(&wire::request_topic(2), Some(tag));
        let mut f: Vec<&[u8]> = vec![t1.as_bytes()];
        f.extend_from_slice(a_frames);
        self.send(&f)?;
        self.send(&[t2.as_bytes(), b])
    }

    /// The value frame of the first message whose topic is `topic`, waiting until `deadline`.
    fn wait(&self, topic: &str, deadline: Instant) -> Result<Option<Vec<u8>>> {
        while self.sub.poll(zmq::POLLIN, crate::net::ms_until(deadline))? > 0 {
            let frames = self.sub.recv_multipart(0)?;
            if frames.len() == 2 && frames[0] == topic.as_bytes() {
                return Ok(frames.into_iter().nth(1));
            }
        }
        Ok(None)
    }
}

fn demo_bad_input(lab: &Lab, ccfg: &ClientConfig, rows: &mut Vec<Row>) -> Result<()> {
    let peer = RawPeer::new(&lab.addr)?;
    // The raw sockets have no retries: send a probe until one is answered, so
    // both are connected and subscribed before the real messages go out.
    let probe = format!("{}.probe", peer.prefix);
    let reply_topic = |tag: &str| wire::with_tag(wire::REPLY_TOPIC, Some(tag));
    let t = Instant::now();
    let deadline = t + Duration::from_secs(5);
    let mut ready = false;
    while !ready && Instant::now() < deadline {
        peer.request(&probe, &[b"3"], b"4")?;
        ready = peer.wait(&reply_topic(&probe), Instant::now() + Duration::from_millis(200))?.is_some();
    }
    if !ready {
        rows.push(Row::failed("raw peer connects", "no answer to the probe in 5 s"));
        return Ok(());
    }
    let big = vec![b'7'; 1 << 20];
    let cases: Vec<(&str, Vec<&[u8]>)> = vec![
        ("a = \"abc\"", vec![b"abc"]),
        ("a = \"\" (empty)", vec![b""]),
        ("a = \"nan\"", vec![b"nan"]),
        ("a = \"inf\"", vec![b"inf"]),
        ("a = \"-3\"", vec![b"-3"]),
        ("a = 1 MiB of digits", vec![&big]),
        ("a in 3 frames [topic, \"3\", \"x\"]", vec![b"3", b"x"]),
    ];
    for (i, (what, frames)) in cases.iter().enumerate() {
        let tag = format!("{}.{i}", peer.prefix);
        peer.request(&tag, frames, b"4")?;
        match peer.wait(&reply_topic(&tag), Instant::now() + Duration::from_secs(2))? {
            Some(v) => {
                let answer = String::from_utf8_lossy(&v).into_owned();
                rows.push(Row::checked(*what, &answer, "", answer.starts_with(wire::ERROR_PREFIX), "expected an ERR answer"));
            }
            None => rows.push(Row::failed(*what, "no answer in 2 s")),
        }
    }
    // Straight to an operation node, bypassing the calc node.
    let tag = format!("{}.op", peer.prefix);
    let sq = wire::with_tag(&wire::square_request_topic(2), Some(&tag));
    peer.send(&[sq.as_bytes(), b"abc"])?;
    let what = "to op lane 2 directly: \"abc\"";
    match peer.wait(&wire::with_tag(&wire::square_result_topic(2), Some(&tag)), Instant::now() + Duration::from_secs(2))? {
        Some(v) => {
            let answer = String::from_utf8_lossy(&v).into_owned();
            rows.push(Row::checked(what, &answer, "", answer.starts_with(wire::ERROR_PREFIX), "expected an ERR answer"));
        }
        None => rows.push(Row::failed(what, "no answer in 2 s")),
    }
    // Every node is still up: a good request right after, raw and through a client.
    let tag = format!("{}.good", peer.prefix);
    peer.request(&tag, &[b"12"], b"13")?;
    let t = Instant::now();
    match peer.wait(&reply_topic(&tag), Instant::now() + Duration::from_secs(2))? {
        Some(v) => {
            let answer = String::from_utf8_lossy(&v).into_owned();
            rows.push(Row::checked("then a good one: 12, 13", &answer, fmt_duration(t.elapsed()), answer == "17.6918", "expected 17.6918"));
        }
        None => rows.push(Row::failed("then a good one: 12, 13", "no answer in 2 s")),
    }
    let mut c = Client::new(ccfg.clone())?;
    let t = Instant::now();
    match c.hypot("1.5", "2") {
        Ok(h) => rows.push(Row::checked("and a client: hypot(1.5, 2)", &h, fmt_duration(t.elapsed()), h == "2.5000", "expected 2.5000")),
        Err(e) => rows.push(Row::failed("and a client: hypot(1.5, 2)", e)),
    }
    Ok(())
}

// ================================================================== failover
//
// The failover stage runs each broker of a primary/backup pair as its own
// `hypobus broker --role …` process (the primary must die by SIGKILL, as a
// crashed machine would), and the nodes and streaming clients in this
// process, connected to both. `benches/failover.rs` runs the same trial.

fn demo_failover(cfg: &DemoConfig, rows: &mut Vec<Row>) -> Result<()> {
    let Some(exe) = &cfg.broker_exe else {
        let why = "needs the hypobus executable to run the brokers as processes (DemoConfig::broker_exe)";
        rows.push(Row::new("kill the primary broker mid-stream", "", "", Check::Skipped(why.into())));
        return Ok(());
    };
    let tcfg = FailoverTrialConfig {
        hb_interval: cfg.failover_hb_interval,
        calc_timeout: cfg.lab.calc_timeout,
        request_timeout: cfg.request_timeout,
        ..FailoverTrialConfig::new(exe.clone())
    };
    let trial = failover_trial(&tcfg)?;
    rows.extend(trial.rows);
    Ok(())
}

/// Ask a failover broker through its control endpoint (`hypobus broker
/// --ctl EP`): send `command` (`status` or `handback`) on a REQ socket and
/// return the answer (`backup active`, `ok`, `error: …`). Waits at most
/// `timeout` in all ([`Error::Timeout`] then); nothing lingers afterwards.
pub fn ctl_request(endpoint: &str, command: &str, timeout: Duration) -> Result<String> {
    let deadline = Instant::now() + timeout;
    let ms = timeout.as_millis() as u64;
    let ctx = zmq::Context::new();
    let req = ctx.socket(zmq::REQ)?;
    req.set_linger(0)?;
    req.connect(endpoint).map_err(|e| Error::Config(format!("cannot connect to {endpoint}: {e}")))?;
    if req.poll(zmq::POLLOUT, net::ms_until(deadline))? == 0 {
        return Err(Error::Timeout(ms));
    }
    req.send(command, zmq::DONTWAIT)?;
    if req.poll(zmq::POLLIN, net::ms_until(deadline))? == 0 {
        return Err(Error::Timeout(ms));
    }
    let answer = req.recv_bytes(0)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// One line of failover counters: `failover: role=… state=… …`.
pub fn fmt_failover(role: Role, s: &FailoverStats) -> String {
    let silent = if s.peer_silent_ms == u64::MAX { "never-heard".to_string() } else { s.peer_silent_ms.to_string() };
    format!(
        "failover: role={} state={} activations={} deactivations={} heartbeats={} peer_heartbeats={} peer_silent_ms={silent}",
        role.name(),
        if s.active != 0 { "active" } else { "passive" },
        s.activations,
        s.deactivations,
        s.heartbeats,
        s.peer_heartbeats
    )
}

/// The stdout line of `hypobus broker --role …` for a state change:
/// `event <role>: active|passive <unix-ms> <reason>`.
pub fn fmt_event(role: Role, ev: &Event) -> String {
    format!("event {}: {} {} {}", role.name(), if ev.active { "active" } else { "passive" }, ev.at_ms, ev.reason)
}

/// Parse a line written by [`fmt_event`].
pub fn parse_event(line: &str) -> Option<Event> {
    let (_, rest) = line.strip_prefix("event ")?.split_once(": ")?;
    let mut it = rest.splitn(3, ' ');
    let active = match it.next()? {
        "active" => true,
        "passive" => false,
        _ => return None,
    };
    let at_ms = it.next()?.parse().ok()?;
    Some(Event { at_ms, active, reason: it.next().unwrap_or("").to_string() })
}

/// `N` distinct free TCP ports on 127.0.0.1 (picked by the OS and released
/// at once: another program could in theory take one before we bind it).
fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let mut held = Vec::with_capacity(N);
    let mut ports = [0u16; N];
    for p in ports.iter_mut() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Config(format!("no free port on 127.0.0.1: {e}")))?;
        *p = l.local_addr().map_err(|e| Error::Config(format!("no free port on 127.0.0.1: {e}")))?.port();
        held.push(l);
    }
    Ok(ports)
}

fn loopback(port: u16) -> String {
    format!("tcp://127.0.0.1:{port}")
}

/// The loopback ports of one broker of a failover pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerPorts {
    pub xsub: u16,
    pub xpub: u16,
    pub hb: u16,
    pub ctl: u16,
}

impl BrokerPorts {
    /// Free ports for a primary and a backup.
    pub fn free_pair() -> Result<(BrokerPorts, BrokerPorts)> {
        let p = free_ports::<8>()?;
        Ok((BrokerPorts { xsub: p[0], xpub: p[1], hb: p[2], ctl: p[3] }, BrokerPorts { xsub: p[4], xpub: p[5], hb: p[6], ctl: p[7] }))
    }

    /// The broker as nodes and clients reach it.
    pub fn addr(&self) -> BrokerAddr {
        BrokerAddr::new("127.0.0.1", self.xsub, self.xpub)
    }

    pub fn hb_endpoint(&self) -> String {
        loopback(self.hb)
    }

    pub fn ctl_endpoint(&self) -> String {
        loopback(self.ctl)
    }
}

/// How to run one broker of a failover pair as a process on loopback.
#[derive(Debug, Clone)]
pub struct BrokerProcessConfig {
    /// The `hypobus` executable.
    pub exe: PathBuf,
    pub role: Role,
    pub ports: BrokerPorts,
    /// The other broker's heartbeat endpoint.
    pub peer_hb: String,
    pub hb_interval: Duration,
    pub misses: u32,
    /// Period of the `stats` lines read by [`BrokerProcess::stats`].
    pub stats_every: Duration,
}

impl BrokerProcessConfig {
    /// The command line after the executable.
    pub fn args(&self) -> Vec<String> {
        let ms = |d: Duration| d.as_millis().max(1).to_string();
        let p = &self.ports;
        [
            "broker",
            "--role",
            self.role.name(),
            "--xsub",
            &loopback(p.xsub),
            "--xpub",
            &loopback(p.xpub),
            "--hb",
            &loopback(p.hb),
            "--hb-interval-ms",
            &ms(self.hb_interval),
            "--peer-hb",
            &self.peer_hb,
            "--misses",
            &self.misses.to_string(),
            "--ctl",
            &loopback(p.ctl),
            "--stats-every-ms",
            &ms(self.stats_every),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

/// Counters of a broker process, from its last `stats` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessStats {
    pub forwarded: u64,
    pub dropped_passive: u64,
    pub subscriptions: u64,
    pub peer_heartbeats: u64,
    pub active: bool,
}

fn parse_stats(line: &str) -> Option<ProcessStats> {
    let rest = line.strip_prefix("stats ")?;
    let field = |name: &str| rest.split_whitespace().find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse::<u64>().ok());
    Some(ProcessStats {
        forwarded: field("forwarded")?,
        dropped_passive: field("dropped_passive")?,
        subscriptions: field("subscriptions")?,
        peer_heartbeats: field("peer_heartbeats").unwrap_or(0),
        active: rest.split_whitespace().any(|w| w == "state=active"),
    })
}

/// A `hypobus broker --role …` child process. A thread reads its stdout (the
/// ready line, `event` and `stats` lines); another keeps the last lines of its
/// stderr (event logs) for error messages and echoes them on ours when event
/// logging is on. Dropping it kills the process (SIGKILL, by PID) and reaps it.
pub struct BrokerProcess {
    cfg: BrokerProcessConfig,
    child: Option<Child>,
    pid: u32,
    lines: mpsc::Receiver<String>,
    events: VecDeque<Event>,
    all_events: Vec<Event>,
    stats: Option<ProcessStats>,
    stats_lines: u64,
    ready: Option<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl BrokerProcess {
    /// Start the process and wait (at most `ready_within`) for its ready line.
    pub fn spawn(cfg: &BrokerProcessConfig, ready_within: Duration) -> Result<BrokerProcess> {
        let mut cmd = Command::new(&cfg.exe);
        cmd.args(cfg.args()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: only prctl(2), async-signal-safe, runs between fork and exec.
            // Should this thread die without killing the broker, the kernel does.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                    Ok(())
                });
            }
        }
        let name = cfg.role.name();
        let mut child = cmd.spawn().map_err(|e| Error::Config(format!("cannot run {}: {e}", cfg.exe.display())))?;
        let pid = child.id();
        let (tx, lines) = mpsc::channel();
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut p = BrokerProcess {
            cfg: cfg.clone(),
            child: None,
            pid,
            lines,
            events: VecDeque::new(),
            all_events: Vec::new(),
            stats: None,
            stats_lines: 0,
            ready: None,
            stderr_tail: stderr_tail.clone(),
        };
        let (out, err) = (child.stdout.take(), child.stderr.take());
        p.child = Some(child); // from here on, dropping `p` kills the process
        if let Some(out) = out {
            std::thread::Builder::new()
                .name(format!("{name}-stdout"))
                .spawn(move || {
                    for line in BufReader::new(out).lines() {
                        let Ok(line) = line else { break };
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::Config(format!("cannot start a reader thread: {e}")))?;
        }
        if let Some(err) = err {
            std::thread::Builder::new()
                .name(format!("{name}-stderr"))
                .spawn(move || {
                    for line in BufReader::new(err).lines() {
                        let Ok(line) = line else { break };
                        if crate::log::enabled() {
                            eprintln!("[{name} broker, pid {pid}] {line}");
                        }
                        if let Ok(mut t) = stderr_tail.lock() {
                            if t.len() == 20 {
                                t.pop_front();
                            }
                            t.push_back(line);
                        }
                    }
                })
                .map_err(|e| Error::Config(format!("cannot start a reader thread: {e}")))?;
        }
        let deadline = Instant::now() + ready_within;
        while p.ready.is_none() {
            if !p.is_running() {
                std::thread::sleep(Duration::from_millis(50)); // let the reader catch its last words
                return Err(Error::Config(format!("the {name} broker process exited at start{}", p.stderr_text())));
            }
            if Instant::now() >= deadline {
                return Err(Error::Config(format!("the {name} broker process was not ready within {}{}", fmt_duration(ready_within), p.stderr_text())));
            }
            p.read(Duration::from_millis(20));
        }
        Ok(p)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn role(&self) -> Role {
        self.cfg.role
    }

    /// The line it printed when ready (`broker ready: role …`).
    pub fn ready_line(&self) -> &str {
        self.ready.as_deref().unwrap_or("")
    }

    /// `: <last stderr lines>`, or nothing.
    fn stderr_text(&self) -> String {
        let t = self.stderr_tail.lock().map(|t| t.iter().cloned().collect::<Vec<_>>().join(" | ")).unwrap_or_default();
        if t.is_empty() {
            t
        } else {
            format!(": {t}")
        }
    }

    /// Take what its stdout said, waiting at most `wait` for the first line.
    fn read(&mut self, wait: Duration) {
        let mut next = match self.lines.recv_timeout(wait) {
            Ok(l) => Some(l),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(wait); // the process is gone: do not spin
                None
            }
        };
        while let Some(line) = next {
            if line.starts_with("broker ready") {
                self.ready = Some(line);
            } else if let Some(ev) = parse_event(&line) {
                self.events.push_back(ev.clone());
                self.all_events.push(ev);
            } else if let Some(s) = parse_stats(&line) {
                self.stats = Some(s);
                self.stats_lines += 1;
            }
            next = self.lines.try_recv().ok();
        }
    }

    /// Its control endpoint's answer to `command` (see [`ctl_request`]).
    pub fn ctl(&self, command: &str, timeout: Duration) -> Result<String> {
        ctl_request(&self.cfg.ports.ctl_endpoint(), command, timeout)
    }

    /// The next state change it printed, waiting until `deadline`.
    pub fn next_event(&mut self, deadline: Instant) -> Option<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.read((deadline - now).min(Duration::from_millis(50)));
        }
    }

    /// Every state change it printed so far.
    pub fn events(&mut self) -> &[Event] {
        self.read(Duration::ZERO);
        &self.all_events
    }

    /// Its counters from the next `stats` line it prints (waiting until
    /// `deadline`), so they are fresh; `None` if none came.
    pub fn fresh_stats(&mut self, deadline: Instant) -> Option<ProcessStats> {
        self.read(Duration::ZERO);
        let seen = self.stats_lines;
        while self.stats_lines == seen {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.read((deadline - now).min(Duration::from_millis(50)));
        }
        self.stats
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Kill it with SIGKILL (no clean-up at all, like a crash) and reap it.
    /// Harmless if it is gone already.
    pub fn kill(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        // SAFETY: kill(2) on our own child, not reaped yet, so its PID is still ours.
        let r = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let kill_err = (r != 0).then(std::io::Error::last_os_error);
        let reaped = child.wait();
        match (reaped, kill_err) {
            (Ok(_), _) => Ok(()),
            (Err(e), k) => Err(Error::Config(format!(
                "cannot kill the {} broker (pid {}): {e}{}",
                self.cfg.role.name(),
                self.pid,
                k.map(|k| format!(" (kill: {k})")).unwrap_or_default()
            ))),
        }
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// What one streaming client saw.
#[derive(Debug, Default)]
struct StreamResult {
    /// When each right answer arrived.
    times: Vec<Instant>,
    right: usize,
    wrong: usize,
    /// Requests that ended in an error (time-out, error answer).
    failed: usize,
    /// Completions of an id that had completed already (or never asked).
    twice: usize,
    first_err: Option<String>,
    stats: ClientStats,
}

/// Clients on threads, each sending one request after the other (a short
/// pause between) and checking every answer against `wire::hypot`.
struct Stream {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<StreamResult>>,
}

impl Stream {
    fn start(clients: usize, ccfg: &ClientConfig, pause: Duration) -> Result<Stream> {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicU64::new(0));
        let mut s = Stream { stop, answered, threads: Vec::new() };
        for ci in 0..clients {
            let (ccfg, stop, answered) = (ccfg.clone(), s.stop.clone(), s.answered.clone());
            let h = std::thread::Builder::new()
                .name(format!("stream-client-{ci}"))
                .spawn(move || stream_client(ci, ccfg, pause, &stop, &answered))
                .map_err(|e| Error::Config(format!("cannot start a client thread: {e}")))?;
            s.threads.push(h);
        }
        Ok(s)
    }

    /// Right answers so far, over all clients.
    fn answered(&self) -> u64 {
        self.answered.load(Ordering::SeqCst)
    }

    /// Wait until `n` right answers in all, or `deadline`.
    fn wait_answers(&self, n: u64, deadline: Instant) -> bool {
        while self.answered() < n {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }

    /// Stop sending, let every request in flight finish (each within its
    /// time-out), join the threads.
    fn finish(&mut self) -> Vec<StreamResult> {
        self.stop.store(true, Ordering::SeqCst);
        std::mem::take(&mut self.threads)
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| StreamResult { failed: 1, first_err: Some("client thread panicked".into()), ..Default::default() }))
            .collect()
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.finish();
    }
}

fn stream_client(ci: usize, ccfg: ClientConfig, pause: Duration, stop: &AtomicBool, answered: &AtomicU64) -> StreamResult {
    let mut r = StreamResult::default();
    let mut c = match Client::new(ccfg) {
        Ok(c) => c,
        Err(e) => {
            r.failed += 1;
            r.first_err = Some(e.to_string());
            return r;
        }
    };
    let mut want: HashMap<u64, String> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    loop {
        if want.is_empty() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            if i > 0 && !pause.is_zero() {
                std::thread::sleep(pause);
            }
            let (a, b) = catheti(ci + 100, i);
            i += 1;
            match c.submit(&a, &b) {
                Ok(id) => {
                    want.insert(id, expected(&a, &b));
                }
                Err(e) => {
                    r.failed += 1;
                    r.first_err.get_or_insert_with(|| e.to_string());
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            }
        }
        match c.next(100) {
            Ok(Some((id, res))) => {
                let now = Instant::now();
                let Some(w) = want.remove(&id).filter(|_| seen.insert(id)) else {
                    r.twice += 1;
                    continue;
                };
                match res {
                    Ok(h) if h == w => {
                        r.right += 1;
                        r.times.push(now);
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(h) => {
                        r.wrong += 1;
                        r.first_err.get_or_insert_with(|| format!("wrong answer {h}, expected {w}"));
                    }
                    Err(e) => {
                        r.failed += 1;
                        r.first_err.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                r.failed += want.len();
                r.first_err.get_or_insert_with(|| e.to_string());
                break;
            }
        }
    }
    r.stats = c.stats();
    r
}

/// The longest stretch without an answer from `from` (an event such as the
/// kill) until `to`: `(from → the answer that ended it, its length)`.
/// `times` must be sorted. `None` when no answer came in between.
pub fn outage(times: &[Instant], from: Instant, to: Instant) -> Option<(Duration, Duration)> {
    let mut prev = from;
    let mut best: Option<(Instant, Duration)> = None;
    for &t in times.iter().filter(|t| **t > from && **t <= to) {
        let d = t - prev;
        if best.is_none_or(|(_, b)| d > b) {
            best = Some((t, d));
        }
        prev = t;
    }
    best.map(|(end, d)| (end - from, d))
}

/// Settings of one failover trial ([`failover_trial`]).
#[derive(Debug, Clone)]
pub struct FailoverTrialConfig {
    /// The `hypobus` executable that runs the brokers.
    pub exe: PathBuf,
    /// Both brokers' heartbeat period. Default 100 ms.
    pub hb_interval: Duration,
    /// Missed heartbeats before the backup takes over. Default 3.
    pub misses: u32,
    /// Streaming clients (threads). Default 4.
    pub clients: usize,
    /// Pause of each client between an answer and its next request. Default 1 ms.
    pub pause: Duration,
    /// The calc node's wait for squares. Default 2000 ms.
    pub calc_timeout: Duration,
    /// Time-out of every request. Default 5000 ms.
    pub request_timeout: Duration,
    /// How long the clients stream in each phase. Default 300 ms.
    pub settle: Duration,
    /// After the take-over, restart the primary (it must stay passive) and
    /// hand back. Default true.
    pub handback: bool,
}

impl FailoverTrialConfig {
    /// The defaults, running the brokers with `exe`.
    pub fn new(exe: PathBuf) -> FailoverTrialConfig {
        FailoverTrialConfig {
            exe,
            hb_interval: Duration::from_millis(100),
            misses: 3,
            clients: 4,
            pause: Duration::from_millis(1),
            calc_timeout: Duration::from_millis(2000),
            request_timeout: Duration::from_millis(5000),
            settle: Duration::from_millis(300),
            handback: true,
        }
    }
}

/// What a failover trial measured, and its story as report rows.
#[derive(Debug, Clone, Default)]
pub struct FailoverTrial {
    /// Every step with its check, as `hypobus lab` prints them.
    pub rows: Vec<Row>,
    /// The gap: from the SIGKILL to the first answer after the outage (over
    /// all clients), i.e. the first request answered through the backup.
    pub gap: Option<Duration>,
    /// The longest time without any answer, between the kill and the restart.
    pub silence: Option<Duration>,
    /// From the kill to the backup's `active` event (by its clock, in ms).
    pub takeover_ms: Option<u64>,
    /// From asking for the hand-back to the primary's `active` event (ms).
    pub handback_switch_ms: Option<u64>,
    /// The longest time without any answer in the second after the hand-back.
    pub handback_pause: Option<Duration>,
    /// Requests submitted, over all clients.
    pub submitted: u64,
    /// Right answers.
    pub answered: usize,
    /// Requests that failed (time-out or error answer).
    pub lost: usize,
    /// Answers that were not `wire::hypot` of the request's catheti.
    pub wrong: usize,
    /// Answers delivered to the application a second time.
    pub duplicates: usize,
    /// Resends by the clients (a request resent is not a request lost).
    pub resent: u64,
    /// Duplicate answers the clients dropped on the wire (never delivered).
    pub dropped_duplicates: u64,
    /// Right answers before the kill, through the backup alone, with the
    /// restarted primary passive, after the hand-back.
    pub phases: [usize; 4],
}

impl FailoverTrial {
    /// True when every checked row passed.
    pub fn passed(&self) -> bool {
        !self.rows.iter().any(|r| matches!(r.check, Check::Fail(_)))
    }

    /// Why rows failed, one line each.
    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|r| match &r.check {
                Check::Fail(why) => Some(format!("{}: {} ({why})", r.what, r.result)),
                _ => None,
            })
            .collect()
    }
}

/// `"backup active"`, or why there is no answer.
fn status_of(b: &BrokerProcess) -> String {
    b.ctl("status", Duration::from_secs(2)).unwrap_or_else(|e| format!("no status ({e})"))
}

/// A primary and a backup broker as processes (`hypobus broker --role …`,
/// free loopback ports, `--ctl`), two operation nodes, a calc node and
/// streaming clients in this process connected to both. Kill the primary
/// with SIGKILL mid-stream and measure the gap, lost and duplicated answers;
/// then (with `handback`) restart the primary, check that it stays passive,
/// hand back through the backup's control endpoint and check that traffic
/// moves back with nothing lost. Every wait is bounded; both processes are
/// killed by PID at the end, on error paths too. `Err` when something could
/// not start; failed checks are rows (see [`FailoverTrial::passed`]).
pub fn failover_trial(cfg: &FailoverTrialConfig) -> Result<FailoverTrial> {
    let mut t = FailoverTrial::default();
    let hb = cfg.hb_interval;
    let window = hb * cfg.misses;
    let ready = Duration::from_secs(5);
    let (pp, bp) = BrokerPorts::free_pair()?;
    let proc_cfg = |role, me: BrokerPorts, peer: BrokerPorts| BrokerProcessConfig {
        exe: cfg.exe.clone(),
        role,
        ports: me,
        peer_hb: peer.hb_endpoint(),
        hb_interval: hb,
        misses: cfg.misses,
        stats_every: Duration::from_millis(100),
    };
    let (pcfg, bcfg) = (proc_cfg(Role::Primary, pp, bp), proc_cfg(Role::Backup, bp, pp));

    // 1. Both brokers up: the primary goes active as soon as it hears the
    //    backup passive, the backup stays passive while it hears the primary.
    let t0 = Instant::now();
    let mut primary = BrokerProcess::spawn(&pcfg, ready)?;
    let mut backup = BrokerProcess::spawn(&bcfg, ready)?;
    let first = primary.next_event(Instant::now() + window * 2 + Duration::from_secs(2));
    let up = t0.elapsed();
    let bstatus = status_of(&backup);
    let ok = first.as_ref().is_some_and(|e| e.active) && bstatus == "backup passive";
    t.rows.push(Row::checked(
        format!("start primary (pid {}) and backup (pid {}) processes", primary.pid(), backup.pid()),
        if ok { "primary active, backup passive".to_string() } else { format!("primary {}, {bstatus}", if first.is_some() { "active" } else { "passive" }) },
        format!("heartbeats every {}, {} misses; in {}", fmt_duration(hb), cfg.misses, fmt_duration(up)),
        ok,
        &format!("primary event {first:?}, backup status {bstatus:?}"),
    ));
    if !ok {
        return Ok(t);
    }

    // 2. Nodes and clients in this process, every one connected to both.
    let brokers = vec![pp.addr(), bp.addr()];
    let op = |lane| OpNode::start(OpConfig { brokers: brokers.clone(), lane }, Operation::Square);
    let (mut op1, mut op2) = (op(1)?, op(2)?);
    let mut calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), timeout: cfg.calc_timeout, ..Default::default() })?;
    let ccfg = ClientConfig { brokers: brokers.clone(), timeout: cfg.request_timeout, ..Default::default() };
    let mut stream = Stream::start(cfg.clients, &ccfg, cfg.pause)?;
    let warm = (cfg.clients * 20) as u64;
    if !stream.wait_answers(warm, Instant::now() + Duration::from_secs(5)) {
        t.rows.push(Row::failed(format!("{} clients stream through the primary", cfg.clients), format!("{} answers in 5 s", stream.answered())));
        return Ok(t);
    }
    std::thread::sleep(cfg.settle);

    // 3. SIGKILL the primary mid-stream.
    let kill_ms = crate::log::now_ms();
    let t_kill = Instant::now();
    let ppid = primary.pid();
    primary.kill()?;
    let ev = backup.next_event(t_kill + window + Duration::from_secs(2));
    t.takeover_ms = ev.as_ref().filter(|e| e.active).map(|e| e.at_ms.saturating_sub(kill_ms));
    t.rows.push(Row::checked(
        format!("SIGKILL the primary (pid {ppid}), {} clients streaming", cfg.clients),
        match t.takeover_ms {
            Some(ms) => format!("backup active after {ms} ms"),
            None => "backup still passive".into(),
        },
        format!("detection: {} missed heartbeats = {}", cfg.misses, fmt_duration(window)),
        t.takeover_ms.is_some(),
        "the backup did not take over",
    ));
    if t.takeover_ms.is_some() {
        stream.wait_answers(stream.answered() + warm, Instant::now() + window + Duration::from_secs(3));
        std::thread::sleep(cfg.settle);
    }
    let t_restart = Instant::now();
    let mut t_handback = None;

    if cfg.handback && t.takeover_ms.is_some() {
        // 4. The primary comes back: it hears the backup active and stays passive.
        let t_up = Instant::now();
        let mut primary = BrokerProcess::spawn(&pcfg, ready)?;
        // Until it heard the backup twice and the nodes reconnected to it
        // (publishers: it holds back their messages; subscribers: their topics).
        let deadline = Instant::now() + window + Duration::from_secs(3);
        let need_subs = (cfg.clients + 6) as u64;
        let mut st = None;
        while Instant::now() < deadline {
            st = primary.fresh_stats(deadline);
            if st.is_some_and(|s| s.peer_heartbeats >= 4 && s.subscriptions >= need_subs && s.dropped_passive > 0) {
                break;
            }
        }
        std::thread::sleep(hb * 2);
        let pstatus = status_of(&primary);
        let bstatus = status_of(&backup);
        let st = primary.fresh_stats(Instant::now() + Duration::from_secs(1)).or(st);
        let counted = st.is_some();
        let st = st.unwrap_or_default();
        let went_active = primary.events().iter().any(|e| e.active);
        let ok = pstatus == "primary passive" && bstatus == "backup active" && !went_active && counted && st.forwarded == 0;
        t.rows.push(Row::checked(
            format!("restart the primary (pid {})", primary.pid()),
            if ok { "stays passive".to_string() } else { pstatus.clone() },
            format!(
                "{}: forwarded {}, held back {} messages; backup still active; after {}",
                pstatus,
                st.forwarded,
                st.dropped_passive,
                fmt_duration(t_up.elapsed())
            ),
            ok,
            &format!("split brain: primary {pstatus:?} (went active: {went_active}, forwarded {}), backup {bstatus:?}", st.forwarded),
        ));
        std::thread::sleep(cfg.settle);

        // 5. Explicit hand-back through the backup's control endpoint.
        let hb_ms = crate::log::now_ms();
        let t_hb = Instant::now();
        t_handback = Some(t_hb);
        let answer = backup.ctl("handback", Duration::from_secs(2)).unwrap_or_else(|e| format!("error: no answer ({e})"));
        let ev = primary.next_event(Instant::now() + window + Duration::from_secs(2));
        t.handback_switch_ms = ev.as_ref().filter(|e| e.active).map(|e| e.at_ms.saturating_sub(hb_ms));
        let bstatus = status_of(&backup);
        let ok = answer == "ok" && t.handback_switch_ms.is_some() && bstatus == "backup passive";
        t.rows.push(Row::checked(
            "hand back: `handback` to the backup's ctl",
            &answer,
            match t.handback_switch_ms {
                Some(ms) => format!("primary active after {ms} ms; {bstatus}"),
                None => format!("primary did not become active; {bstatus}"),
            },
            ok,
            &format!("answer {answer:?}, backup {bstatus:?}"),
        ));
        std::thread::sleep(cfg.settle);
        let d = || Instant::now() + Duration::from_secs(1);
        let (p1, b1) = (primary.fresh_stats(d()), backup.fresh_stats(d()));
        std::thread::sleep(cfg.settle);
        let (p2, b2) = (primary.fresh_stats(d()), backup.fresh_stats(d()));
        let moved = match (p1, p2, b1, b2) {
            (Some(p1), Some(p2), Some(b1), Some(b2)) => Some((p2.forwarded.saturating_sub(p1.forwarded), b2.forwarded.saturating_sub(b1.forwarded))),
            _ => None,
        };
        t.rows.push(Row::checked(
            "traffic moves back to the primary",
            match moved {
                Some((p, b)) => format!("primary +{p}, backup +{b} forwarded"),
                None => "no counters".into(),
            },
            format!("in {}", fmt_duration(cfg.settle)),
            moved.is_some_and(|(p, b)| p > 0 && b == 0),
            "the primary must forward and the backup not",
        ));
        // 6. Stop the clients (what is in flight finishes), then the brokers.
        let results = stream.finish();
        let pids = format!("pids {} and {}", primary.pid(), backup.pid());
        primary.kill()?;
        backup.kill()?;
        t.rows.push(Row::new("kill both broker processes", "killed", pids, Check::Info));
        summarize(&mut t, cfg, results, t_kill, t_restart, t_handback);
    } else {
        let results = stream.finish();
        let pids = format!("pid {}", backup.pid());
        backup.kill()?;
        t.rows.push(Row::new("kill the backup broker process", "killed", pids, Check::Info));
        summarize(&mut t, cfg, results, t_kill, t_restart, t_handback);
    }
    let _ = (calc.stop(), op1.stop(), op2.stop());
    Ok(t)
}

/// Merge what the clients saw into the trial's numbers and rows.
fn summarize(t: &mut FailoverTrial, cfg: &FailoverTrialConfig, results: Vec<StreamResult>, t_kill: Instant, t_restart: Instant, t_handback: Option<Instant>) {
    let mut times = Vec::new();
    let mut first_err = None;
    let mut stats = ClientStats::default();
    for r in results {
        times.extend(r.times);
        t.answered += r.right;
        t.wrong += r.wrong;
        t.lost += r.failed;
        t.duplicates += r.twice;
        if first_err.is_none() {
            first_err = r.first_err;
        }
        stats.requests += r.stats.requests;
        stats.answers += r.stats.answers;
        stats.resent += r.stats.resent;
        stats.duplicates += r.stats.duplicates;
        stats.timeouts += r.stats.timeouts;
    }
    times.sort_unstable();
    t.submitted = stats.requests;
    t.resent = stats.resent;
    t.dropped_duplicates = stats.duplicates;
    // Every request completes exactly once: as an answer or as a time-out.
    let completed = (t.answered + t.wrong + t.lost) as u64;
    t.duplicates += (stats.answers + stats.timeouts).saturating_sub(stats.requests) as usize;
    let end = t_handback.unwrap_or(Instant::now());
    if let Some((gap, silence)) = outage(&times, t_kill, t_restart) {
        t.gap = Some(gap);
        t.silence = Some(silence);
    }
    if let Some(h) = t_handback {
        t.handback_pause = outage(&times, h, h + Duration::from_secs(1)).map(|(_, s)| s);
    }
    let count = |a: Instant, b: Instant| times.iter().filter(|x| **x > a && **x <= b).count();
    let far = Instant::now() + Duration::from_secs(3600);
    t.phases = [
        times.iter().filter(|x| **x <= t_kill).count(),
        count(t_kill, t_restart),
        if t_handback.is_some() { count(t_restart, end) } else { 0 },
        t_handback.map_or(0, |h| count(h, far)),
    ];
    let window = cfg.hb_interval * cfg.misses;
    let bound = window + Duration::from_secs(1);
    t.rows.push(Row::checked(
        "gap: kill -> next answered request",
        t.gap.map_or("no answer".into(), fmt_duration),
        format!(
            "longest silence {}; backup active at +{} ms{}",
            t.silence.map_or("-".into(), fmt_duration),
            t.takeover_ms.map_or("-".into(), |m| m.to_string()),
            if cfg.hb_interval <= Duration::from_millis(100) { "; target < 500 ms" } else { "" }
        ),
        t.gap.is_some_and(|g| g < bound),
        &format!("expected an answer within {}", fmt_duration(bound)),
    ));
    let phases = if t_handback.is_some() {
        format!(
            "{} before the kill, {} via the backup, {} with the primary back (passive), {} after the hand-back",
            t.phases[0], t.phases[1], t.phases[2], t.phases[3]
        )
    } else {
        format!("{} before the kill, {} via the backup", t.phases[0], t.phases[1])
    };
    let flowing = t.phases[1] > 0 && (t_handback.is_none() || (t.phases[2] > 0 && t.phases[3] > 0));
    t.rows.push(Row::checked("requests keep flowing", format!("{} right answers", t.answered), phases, flowing, "a phase had no answers"));
    if let Some(p) = t.handback_pause {
        t.rows.push(Row::new("longest pause after the hand-back", fmt_duration(p), "", Check::Info));
    }
    t.rows.push(Row::checked(
        "lost requests",
        t.lost.to_string(),
        format!("{} submitted, {} completed, {} resends by the clients", t.submitted, completed, t.resent),
        t.lost == 0 && completed == t.submitted,
        &format!("{} failed{}", t.lost, first_err.as_ref().map(|e| format!(" (first: {e})")).unwrap_or_default()),
    ));
    t.rows.push(Row::checked(
        "wrong answers",
        t.wrong.to_string(),
        "each checked against wire::hypot of its catheti",
        t.wrong == 0,
        &first_err.unwrap_or_default(),
    ));
    t.rows.push(Row::checked(
        "duplicates delivered to the application",
        t.duplicates.to_string(),
        format!("{} duplicate answers dropped by the clients on the wire", t.dropped_duplicates),
        t.duplicates == 0,
        "an answer was delivered twice",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_passes_and_reports() {
        let cfg = DemoConfig {
            lab: LabConfig { calc_timeout: Duration::from_millis(150), ..Default::default() },
            requests: 50,
            clients: 3,
            per_client: 20,
            window: 16,
            fallback_requests: 2,
            ..Default::default()
        };
        let report = run_demo(&cfg).unwrap();
        let text = report.to_string();
        assert!(report.passed(), "{text}");
        assert!(text.contains("17.6918") && text.contains("0 mismatches") && text.contains("ERR "), "{text}");
        assert_eq!(report.stages.len(), 7);
    }

    #[test]
    fn failover_helpers() {
        let ev = Event { at_ms: 1_700_000_000_123, active: true, reason: "primary silent for more than 300 ms: taking over".into() };
        let line = fmt_event(Role::Backup, &ev);
        assert_eq!(line, "event backup: active 1700000000123 primary silent for more than 300 ms: taking over");
        assert_eq!(parse_event(&line), Some(ev));
        assert_eq!(parse_event("event primary: passive 5").map(|e| (e.active, e.at_ms)), Some((false, 5)));
        assert!(parse_event("stats broker: forwarded=1").is_none() && parse_event("event x: maybe 5 y").is_none());

        let st = FailoverStats { active: 1, activations: 1, deactivations: 0, heartbeats: 9, peer_heartbeats: 8, peer_silent_ms: u64::MAX };
        let b = crate::broker::BrokerStats { forwarded: 7, dropped_passive: 3, subscriptions: 9, unsubscriptions: 0, heartbeats: 0 };
        let line = format!("stats {} {}", fmt_broker(&b), fmt_failover(Role::Primary, &st));
        let p = parse_stats(&line).unwrap();
        assert_eq!((p.forwarded, p.dropped_passive, p.subscriptions, p.peer_heartbeats, p.active), (7, 3, 9, 8, true));

        // Answers every 10 ms, a stale one 1 ms after the kill at 100, then
        // nothing until 400: the gap ends at 400, the silence is 299 ms.
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut times: Vec<Instant> = (0..10).map(|i| at(i * 10)).collect();
        times.push(at(101));
        times.extend((0..10).map(|i| at(400 + i * 10)));
        let (gap, silence) = outage(&times, at(100), at(1000)).unwrap();
        assert_eq!((gap, silence), (Duration::from_millis(300), Duration::from_millis(299)));
        assert!(outage(&times, at(1000), at(2000)).is_none());
    }

    #[test]
    fn percentiles_and_durations() {
        let mut l: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentiles(&mut l), "p50 50 ms p99 99 ms max 100 ms");
        assert_eq!(fmt_duration(Duration::from_micros(420)), "0.420 ms");
        assert_eq!(fmt_duration(Duration::from_millis(1250)), "1.25 s");
    }
}
