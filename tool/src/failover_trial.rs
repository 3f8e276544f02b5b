//! The failover stage runs each broker of a primary/backup pair as its own
//! `hypobus broker --role …` process (the primary must die by SIGKILL, as a
//! crashed machine would), and the nodes and streaming clients in this
//! process, connected to both. `tool/benches/failover.rs` runs the same trial.

use crate::broker_process::{BrokerPorts, BrokerProcess, BrokerProcessConfig};
use crate::demo::{catheti, expected, Check, Row};
use hypobus::error::{Error, Result};
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig, ClientStats};
use hypobus::lab::failover::Role;
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use hypobus::log::fmt_duration;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
            .map(|h| {
                h.join().unwrap_or_else(|_| StreamResult {
                    failed: 1,
                    first_err: Some("client thread panicked".into()),
                    ..Default::default()
                })
            })
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
        if ok {
            "primary active, backup passive".to_string()
        } else {
            format!("primary {}, {bstatus}", if first.is_some() { "active" } else { "passive" })
        },
        format!("heartbeats every {}, {} misses; in {}", fmt_duration(hb), cfg.misses, fmt_duration(up)),
        ok,
        &format!("primary event {first:?}, backup status {bstatus:?}"),
    ));
    if !ok {
        return Ok(t);
    }

    // 2. Nodes and clients in this process, every one connected to both.
    let brokers = vec![pp.addr(), bp.addr()];
    let op = |lane| OpNode::start(OpConfig::new(brokers.clone(), lane), Operation::Square);
    let (mut op1, mut op2) = (op(1)?, op(2)?);
    let mut calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), timeout: cfg.calc_timeout, ..Default::default() })?;
    let ccfg = ClientConfig { brokers: brokers.clone(), timeout: cfg.request_timeout, ..Default::default() };
    let mut stream = Stream::start(cfg.clients, &ccfg, cfg.pause)?;
    let warm = (cfg.clients * 20) as u64;
    if !stream.wait_answers(warm, Instant::now() + Duration::from_secs(5)) {
        t.rows.push(Row::failed(
            format!("{} clients stream through the primary", cfg.clients),
            format!("{} answers in 5 s", stream.answered()),
        ));
        return Ok(t);
    }
    std::thread::sleep(cfg.settle);

    // 3. SIGKILL the primary mid-stream.
    let kill_ms = hypobus::log::now_ms();
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
        let hb_ms = hypobus::log::now_ms();
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
            (Some(p1), Some(p2), Some(b1), Some(b2)) => {
                Some((p2.forwarded.saturating_sub(p1.forwarded), b2.forwarded.saturating_sub(b1.forwarded)))
            }
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
fn summarize(
    t: &mut FailoverTrial,
    cfg: &FailoverTrialConfig,
    results: Vec<StreamResult>,
    t_kill: Instant,
    t_restart: Instant,
    t_handback: Option<Instant>,
) {
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
    use crate::broker_process::{fmt_event, parse_event, parse_stats};
    use crate::stats::{fmt_broker, fmt_failover};
    use hypobus::lab::failover::{Event, FailoverStats};

    #[test]
    fn failover_helpers() {
        let ev = Event { at_ms: 1_700_000_000_123, active: true, reason: "primary silent for more than 300 ms: taking over".into() };
        let line = fmt_event(Role::Backup, &ev);
        assert_eq!(line, "event backup: active 1700000000123 primary silent for more than 300 ms: taking over");
        assert_eq!(parse_event(&line), Some(ev));
        assert_eq!(parse_event("event primary: passive 5").map(|e| (e.active, e.at_ms)), Some((false, 5)));
        assert!(parse_event("stats broker: forwarded=1").is_none() && parse_event("event x: maybe 5 y").is_none());

        let st = FailoverStats { active: 1, activations: 1, deactivations: 0, heartbeats: 9, peer_heartbeats: 8, peer_silent_ms: u64::MAX };
        let b = hypobus::lab::broker::BrokerStats { forwarded: 7, dropped_passive: 3, subscriptions: 9, unsubscriptions: 0, heartbeats: 0 };
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
}
