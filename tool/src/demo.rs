//! `hypobus lab` runs the whole lab in this process and shows what it does
//! and how fast, stage by stage. The logic lives here (not in the CLI) so
//! tests, the C ABI or another front end can run the same demo.

use crate::failover_trial::{failover_trial, FailoverTrialConfig};
use hypobus::error::Result;
use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::client::{Client, ClientConfig, Mode};
use hypobus::lab::{Lab, LabConfig};
use hypobus::wire::{self, Number};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    pub(crate) fn new(what: impl Into<String>, result: impl Into<String>, detail: impl Into<String>, check: Check) -> Row {
        Row { what: what.into(), result: result.into(), detail: detail.into(), check }
    }
    pub(crate) fn checked(what: impl Into<String>, result: impl Into<String>, detail: impl Into<String>, ok: bool, why: &str) -> Row {
        Row::new(what, result, detail, if ok { Check::Pass } else { Check::Fail(why.to_string()) })
    }
    pub(crate) fn failed(what: impl Into<String>, err: impl std::fmt::Display) -> Row {
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

use crate::stats::{fmt_broker, fmt_calc, fmt_client, fmt_op};
pub use hypobus::log::fmt_duration;

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
            &format!(
                "7. broker failover: primary killed mid-stream, restarted, hand-back (heartbeats {})",
                fmt_duration(cfg.failover_hb_interval)
            ),
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
            Ok(h) => rows.push(Row::checked(
                what,
                &h,
                fmt_duration(t.elapsed()),
                h == expected(&a, &b),
                &format!("expected {}", expected(&a, &b)),
            )),
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
        let prefix = format!("demo-{}", hypobus::lab::client::random_id());
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
        while self.sub.poll(zmq::POLLIN, hypobus::sys::ctx::ms_until(deadline))? > 0 {
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

fn num(s: &str) -> Number {
    Number::parse(s.as_bytes()).expect("demo catheti are valid")
}

/// The locally computed hypotenuse the lab must answer.
pub fn expected(a: &str, b: &str) -> String {
    wire::hypot(&num(a), &num(b)).unwrap_or_else(|e| format!("error: {e}"))
}

/// Catheti of request `i` of client `c`: different for every request and
/// every client, integers and decimals.
pub fn catheti(c: usize, i: usize) -> (String, String) {
    let a = format!("{}", (c + 1) * 1000 + i % 997);
    let b = format!("{}.{}", i % 101, (c * 7 + i) % 100);
    (a, b)
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
    fn percentiles_and_durations() {
        let mut l: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentiles(&mut l), "p50 50 ms p99 99 ms max 100 ms");
        assert_eq!(fmt_duration(Duration::from_micros(420)), "0.420 ms");
        assert_eq!(fmt_duration(Duration::from_millis(1250)), "1.25 s");
    }
}
