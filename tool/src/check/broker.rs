//! Scenarios of a (primary) broker: the program binds the primary's XSUB,
//! XPUB and heartbeat endpoints (`$HYPOBUS_XSUB`, `$HYPOBUS_XPUB`,
//! `$HYPOBUS_HB`); the calc node and both operation nodes connect to it,
//! the checker's probe is the client.

use super::probe::{answer_topic, Probe};
use super::{Ctx, Scenario, Verdict};
use hypobus::wire::lab as wire;
use std::time::{Duration, Instant};

pub fn setup(ctx: &mut Ctx) -> Result<Vec<Scenario>, String> {
    ctx.spawn()?;
    for lane in [1, 2] {
        ctx.lab.start_op(lane)?;
    }
    ctx.lab.start_calc(super::calc::FALLBACK)?;
    Ok(vec![
        Scenario { name: "forwards a whole request (12 13 -> 17.6918)", run: forwards },
        Scenario { name: "heartbeat HB at least every 1 s", run: heartbeats },
        Scenario { name: "a 1 MB message does not stop it", run: big_message },
    ])
}

/// The probe, within the start-up time (the program binds the endpoints it connects to).
fn probe(ctx: &mut Ctx) -> Result<Probe, Verdict> {
    let until = Instant::now() + ctx.cfg.startup;
    loop {
        match ctx.probe(&[format!("{}#", wire::REPLY_TOPIC)]) {
            Ok(p) => return Ok(p),
            Err(e) if Instant::now() >= until || !ctx.alive() => {
                let dead = if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) };
                return Err(Verdict::fail(format!("{e}: nothing forwarded between $HYPOBUS_XSUB and $HYPOBUS_XPUB{dead}")));
            }
            Err(_) => {}
        }
    }
}

fn ask(p: &mut Probe, a: &str, b: &str, within: Duration) -> Option<String> {
    let tag = p.tag();
    let topic = answer_topic(Some(&tag));
    let until = Instant::now() + within;
    while Instant::now() < until {
        p.request(a, b, Some(&tag));
        let (got, ok) = p.wait_for((Instant::now() + Duration::from_millis(500)).min(until), |m| m.topic == topic);
        if ok {
            return got.last().map(|m| m.value.clone());
        }
    }
    None
}

fn forwards(ctx: &mut Ctx) -> Verdict {
    let mut p = verdict_or!(probe(ctx));
    match ask(&mut p, "12", "13", Duration::from_secs(5)) {
        Some(a) if a == "17.6918" => Verdict::pass("12 13 -> 17.6918 through it (catheti, squares and the answer forwarded)"),
        Some(a) => Verdict::fail(format!("the answer to 12 13 came through it as {a:?}: a broker must forward frames unchanged")),
        None => {
            let mut v = Verdict::fail("no answer to 12 13 through it within 5 s: publications or subscriptions are not forwarded");
            v.diagram = ctx.diagram("12", "13");
            v
        }
    }
}

fn heartbeats(ctx: &mut Ctx) -> Verdict {
    let hb = ctx.launch.vars.get("HYPOBUS_HB").cloned().unwrap_or_default();
    let s = match ctx.zctx.socket(zmq::SUB) {
        Ok(s) => s,
        Err(e) => return Verdict::fail(format!("probe socket: {e}")),
    };
    let _ = s.set_linger(0);
    let _ = s.set_subscribe(b"");
    if let Err(e) = s.connect(&hb) {
        return Verdict::fail(format!("cannot connect to {hb}: {e}"));
    }
    // The first HB (the connection's start), then the gaps between the next ones.
    let until = Instant::now() + Duration::from_millis(4500);
    let mut beats = Vec::new();
    while Instant::now() < until && beats.len() < 4 {
        let left = until.saturating_duration_since(Instant::now());
        if s.poll(zmq::POLLIN, left.as_millis().max(1) as i64).unwrap_or(0) > 0 {
            if let Ok(frames) = s.recv_multipart(0) {
                if frames.len() == 1 && frames[0] == wire::HEARTBEAT {
                    beats.push(Instant::now());
                }
            }
        }
    }
    let gaps: Vec<Duration> = beats.windows(2).map(|w| w[1] - w[0]).collect();
    let worst = gaps.iter().max().copied().unwrap_or_default();
    if beats.len() >= 3 && worst <= Duration::from_millis(1300) {
        Verdict::pass(format!("{} one-frame HB on {hb} in 4.5 s, at most {} ms apart", beats.len(), worst.as_millis()))
    } else {
        Verdict::fail(format!(
            "{} one-frame HB heartbeats on {hb} in 4.5 s{}: the backup counts the primary dead after 3 s without one",
            beats.len(),
            if gaps.is_empty() { String::new() } else { format!(" (gaps up to {} ms)", worst.as_millis()) }
        ))
    }
}

fn big_message(ctx: &mut Ctx) -> Verdict {
    let mut p = verdict_or!(probe(ctx));
    let big = "9".repeat(1 << 20);
    p.send(&wire::request_topic(1), &big);
    if !ctx.alive() {
        return Verdict::fail(format!("{} after a 1 MB message", ctx.death()));
    }
    match ask(&mut p, "5", "12", Duration::from_secs(5)) {
        Some(_) if ctx.alive() => Verdict::pass("still forwarding after a 1 MB message"),
        _ => Verdict::fail(format!(
            "after a 1 MB message it forwarded no request within 5 s{}",
            if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) }
        )),
    }
}
