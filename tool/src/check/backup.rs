//! Scenarios of a backup broker: the reference primary broker (a `hypobus
//! broker --role primary` process watching the program's heartbeat
//! endpoint, `$HYPOBUS_BACKUP_HB`), the calc node and both operation nodes
//! connected to both brokers, the checker's probe as a client. Which broker
//! forwards shows in which of the probe's SUB sockets (one per broker) the
//! answers come through.

use super::probe::{answer_topic, Probe};
use super::{Ctx, Scenario, Verdict};
use hypobus::wire::lab as wire;
use std::time::{Duration, Instant};

/// The original backup takes over after 3 s of silence; a check allows 2 s more.
pub const TAKEOVER_LIMIT: Duration = Duration::from_secs(5);
/// After the primary returns, how long the backup has to stop forwarding
/// (hand back, or stay out of the way).
pub const HANDBACK_LIMIT: Duration = Duration::from_secs(5);

pub fn setup(ctx: &mut Ctx) -> Result<Vec<Scenario>, String> {
    for lane in [1, 2] {
        ctx.lab.start_op(lane)?;
        super::calc::wait_op_answers(ctx, lane, Duration::from_secs(10))?;
    }
    ctx.lab.start_calc(super::calc::FALLBACK)?;
    ctx.spawn()?;
    Ok(vec![
        Scenario { name: "stays out of the way while the primary lives", run: passive },
        Scenario { name: "primary broker SIGKILLed: takes over", run: takeover },
        Scenario { name: "primary back: no split brain", run: no_split_brain },
        Scenario { name: "primary back: hands back", run: hand_back },
    ])
}

/// Through which brokers (0 primary, 1 backup) one tagged request's answers
/// came, within `within` (resent every 500 ms until one comes).
fn answered_via(p: &mut Probe, a: &str, b: &str, within: Duration) -> Option<Vec<usize>> {
    let tag = p.tag();
    let topic = answer_topic(Some(&tag));
    let until = Instant::now() + within;
    while Instant::now() < until {
        p.request(a, b, Some(&tag));
        let (got, ok) = p.wait_for((Instant::now() + Duration::from_millis(500)).min(until), |m| m.topic == topic);
        if ok {
            // Copies through the other broker come within a few ms.
            let (more, _) = p.wait_for(Instant::now() + Duration::from_millis(300), |_| false);
            let mut via: Vec<usize> = got.iter().chain(more.iter()).filter(|m| m.topic == topic).map(|m| m.broker).collect();
            via.sort_unstable();
            via.dedup();
            return Some(via);
        }
    }
    None
}

fn probe(ctx: &Ctx) -> Result<Probe, Verdict> {
    ctx.probe(&[format!("{}#", wire::REPLY_TOPIC)]).map_err(Verdict::fail)
}

fn names(via: &[usize]) -> String {
    via.iter().map(|b| if *b == 0 { "the primary" } else { "the backup" }).collect::<Vec<_>>().join(" and ")
}

fn passive(ctx: &mut Ctx) -> Verdict {
    let mut p = verdict_or!(probe(ctx));
    if answered_via(&mut p, "3", "4", Duration::from_secs(5)).is_none() {
        return Verdict::fail("no answer through the lab while the primary was alive (the lab's own fault, or the program broke it)");
    }
    // Over 2 s, through which brokers the probe's own messages come back.
    let via = p.forwarding(Duration::from_secs(2));
    if !ctx.alive() {
        return Verdict::fail(format!("{} while the primary was alive", ctx.death()));
    }
    if via.contains(&1) {
        Verdict::fail(format!(
            "while the primary was alive, messages went through {}: a backup forwards only after the primary died",
            names(&via)
        ))
    } else {
        Verdict::pass("running, and every message went through the primary only")
    }
}

fn takeover(ctx: &mut Ctx) -> Verdict {
    let mut p = verdict_or!(probe(ctx));
    ctx.lab.kill_primary_only();
    let t0 = Instant::now();
    let until = t0 + TAKEOVER_LIMIT;
    while Instant::now() < until {
        if let Some(via) = answered_via(&mut p, "5", "12", until.saturating_duration_since(Instant::now())) {
            if via.contains(&1) {
                return Verdict::pass(format!(
                    "answers through the backup {:.1} s after the primary was SIGKILLed",
                    t0.elapsed().as_secs_f64()
                ));
            }
        }
    }
    let mut v = Verdict::fail(format!(
        "no answer through the backup within {} s of the primary's SIGKILL{} (it must bind $HYPOBUS_BACKUP_XSUB / _XPUB and forward when the \
         heartbeats on $HYPOBUS_HB stop)",
        TAKEOVER_LIMIT.as_secs(),
        if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) }
    ));
    v.diagram = ctx.diagram("5", "12");
    v
}

/// Start the primary again if it is not running (an earlier scenario's).
fn primary_back(ctx: &mut Ctx) -> Result<Option<bool>, Verdict> {
    if ctx.lab.primary.is_some() {
        return Ok(None);
    }
    ctx.lab.restart_primary(Duration::from_secs(10)).map_err(Verdict::fail)
}

fn no_split_brain(ctx: &mut Ctx) -> Verdict {
    let first = verdict_or!(primary_back(ctx));
    let mut p = verdict_or!(probe(ctx));
    // Over 1.5 s after the primary's return: messages through both brokers are a split brain.
    let via = p.forwarding(Duration::from_millis(1500));
    if via.len() > 1 {
        return Verdict::fail(format!(
            "after the primary came back ({}), both brokers forwarded: every subscriber gets each message twice \
             (a backup must send heartbeats the primary sees, or stop when it hears the primary)",
            match first {
                Some(true) => "it started active: it heard no active backup",
                Some(false) => "it started passive",
                None => "it was running",
            }
        ));
    }
    if via.is_empty() {
        return Verdict::fail("after the primary came back, no broker forwarded");
    }
    Verdict::pass(format!("after the primary came back, messages went through {} only", names(&via)))
}

fn hand_back(ctx: &mut Ctx) -> Verdict {
    if let Err(v) = primary_back(ctx) {
        return v;
    }
    // A backup that hands back on request (libhypobus's: `hypobus ctl EP handback`) is asked to.
    let ctl = ctx.launch.vars.get("HYPOBUS_BACKUP_CTL").cloned().unwrap_or_default();
    let asked = hypobus::lab::failover::ctl_request(&ctl, "handback", Duration::from_millis(1000)).ok();
    let mut p = verdict_or!(probe(ctx));
    let t0 = Instant::now();
    let until = t0 + HANDBACK_LIMIT;
    let mut last = Vec::new();
    while Instant::now() < until {
        // One second through the primary alone.
        let via = p.forwarding(Duration::from_secs(1));
        if via == [0] {
            return Verdict::pass(format!(
                "messages through the primary only {:.1} s after it came back{}",
                t0.elapsed().as_secs_f64(),
                asked.map(|a| format!(" (asked on {ctl}: {a})")).unwrap_or_default()
            ));
        }
        last = via;
    }
    Verdict::fail(format!(
        "{} s after the primary came back, messages still went through {}: the backup never handed back",
        HANDBACK_LIMIT.as_secs(),
        if last.is_empty() { "neither broker".to_string() } else { names(&last) }
    ))
}
