//! Scenarios of an operation server of lane N (`--lane`, default 1): its
//! square requests sent straight to it by a probe, then a whole request
//! through the reference calc node, with the other lane's reference op.

use super::probe::{answer_topic, close, Probe};
use super::{Ctx, Scenario, Verdict};
use hypobus::wire::lab as wire;
use std::time::{Duration, Instant};

pub fn setup(ctx: &mut Ctx) -> Result<Vec<Scenario>, String> {
    let other = if ctx.cfg.lane == 1 { 2 } else { 1 };
    ctx.lab.start_op(other)?;
    super::calc::wait_op_answers(ctx, other, Duration::from_secs(10))?;
    ctx.lab.start_calc(super::calc::FALLBACK)?;
    ctx.spawn()?;
    Ok(vec![
        Scenario { name: "squares its lane's requests (classic)", run: squares },
        Scenario { name: "tagged square requests", run: tagged },
        Scenario { name: "leaves the other lane's requests alone", run: other_lane },
        Scenario { name: "a whole request through the calc node", run: through_calc },
        Scenario { name: "bad input (abc, empty, 1e400) does not kill it", run: bad_input },
    ])
}

fn lane(ctx: &Ctx) -> u32 {
    ctx.cfg.lane
}

/// A probe listening to the lane's results (tagged or not).
fn probe(ctx: &Ctx) -> Result<Probe, Verdict> {
    ctx.probe(&[wire::square_result_topic(lane(ctx))]).map_err(Verdict::fail)
}

/// Send `value` on the lane's square-request topic (with `tag`), resending
/// every 500 ms until an answer on the lane's result topic (tagged with the
/// same tag, or untagged), within `within`.
fn square(p: &mut Probe, lane: u32, value: &str, tag: Option<&str>, within: Duration) -> Option<(String, String)> {
    let until = Instant::now() + within;
    let req = wire::with_tag(&wire::square_request_topic(lane), tag);
    let plain = wire::square_result_topic(lane);
    let tagged = tag.map(|t| wire::with_tag(&plain, Some(t)));
    while Instant::now() < until {
        p.send(&req, value);
        let (got, ok) = p.wait_for((Instant::now() + Duration::from_millis(500)).min(until), |m| {
            m.topic == plain || Some(&m.topic) == tagged.as_ref() || m.topic.starts_with(&format!("{plain}#"))
        });
        if ok {
            return got.last().map(|m| (m.topic.clone(), m.value.clone()));
        }
    }
    None
}

fn ensure(ctx: &mut Ctx) -> Result<String, Verdict> {
    if ctx.alive() {
        return Ok(String::new());
    }
    let died = ctx.death();
    ctx.spawn().map_err(Verdict::fail)?;
    let mut p = probe(ctx)?;
    match square(&mut p, lane(ctx), "3", None, ctx.cfg.startup) {
        Some(_) => Ok(format!(" (started again: {died} in an earlier scenario)")),
        None => Err(Verdict::fail(format!("{died} in an earlier scenario, and started again it answered nothing"))),
    }
}

fn squares(ctx: &mut Ctx) -> Verdict {
    let l = lane(ctx);
    let mut p = verdict_or!(probe(ctx));
    // The first within the start-up time (it may still be starting).
    let mut within = ctx.cfg.startup;
    for (v, want) in [("12", "144"), ("13", "169"), ("1000", "1000000")] {
        if !ctx.alive() {
            return Verdict::fail(format!("{} before it answered {v} on calc.square.request.{l}", ctx.death()));
        }
        match square(&mut p, l, v, None, within) {
            Some((_, got)) if close(&got, want) && got.parse::<f64>().ok() == want.parse::<f64>().ok() => {}
            Some((topic, got)) => {
                return Verdict::fail(format!("answered {got:?} on {topic} to {v} on calc.square.request.{l}; expected {want}"))
            }
            None => {
                return Verdict::fail(format!(
                    "no answer on calc.square.result.{l} within {} to {v} on calc.square.request.{l}{}",
                    super::calc::secs(within),
                    if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) }
                ))
            }
        }
        within = Duration::from_secs(3);
    }
    p.drain(Duration::from_millis(300), Duration::from_secs(2));
    Verdict::pass(format!("12, 13, 1000 -> 144, 169, 1000000 on calc.square.result.{l}"))
}

fn tagged(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx));
    let l = lane(ctx);
    let mut p = verdict_or!(probe(ctx));
    let tag = format!("check.{}", p.tag());
    let r = square(&mut p, l, "12", Some(&tag), Duration::from_secs(3));
    p.drain(Duration::from_millis(300), Duration::from_secs(2));
    let plain = wire::square_result_topic(l);
    match r {
        Some((topic, got)) if (topic == plain || topic == wire::with_tag(&plain, Some(&tag))) && close(&got, "144") => {
            Verdict::pass(format!("answered {got} on {topic}{note}"))
        }
        Some((topic, got)) => Verdict::fail(format!(
            "answered {got:?} on {topic} to 12 on calc.square.request.{l}#{tag}; expected 144 on {plain}#{tag} (or untagged)"
        )),
        None => Verdict::fail(format!(
            "no answer to a tagged square request (12 on calc.square.request.{l}#{tag}) within 3 s: \
             a classic subscriber's prefix match takes it, and the calc node needs its square{}",
            if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) }
        )),
    }
}

fn other_lane(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx));
    let l = lane(ctx);
    let other = if l == 1 { 2 } else { 1 };
    let mut p = verdict_or!(probe(ctx));
    // Only meaningful for a program that answers its own lane.
    if square(&mut p, l, "5", None, Duration::from_secs(3)).is_none() {
        return Verdict::fail(format!("no answer to 5 on its own lane (calc.square.request.{l}) within 3 s, so nothing to compare with"));
    }
    p.drain(Duration::from_millis(200), Duration::from_secs(2));
    p.send(&wire::square_request_topic(other), "77");
    let (got, _) = p.wait_for(Instant::now() + Duration::from_millis(1500), |_| false);
    let wrong: Vec<String> = got.iter().filter(|m| m.value == "5929").map(|m| format!("{} = {}", m.topic, m.value)).collect();
    if wrong.is_empty() {
        Verdict::pass(format!("no answer on lane {l} to 77 on calc.square.request.{other}{note}"))
    } else {
        Verdict::fail(format!("answered lane {other}'s request (77 on calc.square.request.{other}) on its own lane: {}", wrong.join(", ")))
    }
}

fn through_calc(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx));
    let l = lane(ctx);
    let before = ctx.lab.calc.as_ref().map(|c| c.stats().fallbacks).unwrap_or(0);
    let mut p = match ctx.probe(&[format!("{}#", wire::REPLY_TOPIC)]) {
        Ok(p) => p,
        Err(e) => return Verdict::fail(e),
    };
    let tag = p.tag();
    let topic = answer_topic(Some(&tag));
    p.request("12", "13", Some(&tag));
    let (got, ok) = p.wait_for(Instant::now() + Duration::from_secs(5), |m| m.topic == topic);
    let after = ctx.lab.calc.as_ref().map(|c| c.stats().fallbacks).unwrap_or(0);
    let answer = got.last().map(|m| m.value.clone()).filter(|_| ok);
    let mut v = match answer {
        None => Verdict::fail("the reference calc node gave no answer to 12 13 within 5 s"),
        Some(a) if a != "17.6918" => Verdict::fail(format!("the calc node answered {a:?} to 12 13 with this program's squares; expected 17.6918")),
        Some(_) if after > before => Verdict::fail(format!(
            "the calc node had to compute lane {l}'s square itself: no usable square from the program on calc.square.result.{l} within {} s",
            super::calc::FALLBACK.as_secs()
        )),
        Some(a) => return Verdict::pass(format!("12 13 -> {a} with the program's square on lane {l}{note}")),
    };
    v.diagram = ctx.diagram("12", "13");
    v
}

fn bad_input(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx));
    let l = lane(ctx);
    let mut p = verdict_or!(probe(ctx));
    for bad in ["abc", "", "1e400"] {
        p.send(&wire::square_request_topic(l), bad);
        let _ = p.wait_for(Instant::now() + Duration::from_millis(300), |_| false);
        match square(&mut p, l, "9", None, Duration::from_secs(3)) {
            Some((_, got)) if close(&got, "81") => {}
            Some((topic, got)) => return Verdict::fail(format!("after the square request {bad:?} it answered {got:?} on {topic} to 9")),
            None => {
                let why = if ctx.alive() { "answered no further square request (9) within 3 s".to_string() } else { ctx.death() };
                return Verdict::fail(format!("after the square request {bad:?} on calc.square.request.{l} it {why}"));
            }
        }
        p.drain(Duration::from_millis(200), Duration::from_secs(2));
    }
    Verdict::pass(format!("still squaring after abc, empty and 1e400{note}"))
}
