//! Scenarios of a calculation server: the reference operation nodes of
//! lanes 1 and 2 and both brokers around it, the checker's probes as clients.

use super::probe::{answer_topic, close, expected, Msg, Probe, Wire};
use super::{Ctx, Scenario, Verdict};
use hypobus::wire::lab as wire;
use std::time::{Duration, Instant};

/// The documented wait for squares before the local fallback (SPEC: 2 s),
/// and the margin a check allows on top.
pub const FALLBACK: Duration = Duration::from_millis(2000);
const MARGIN: Duration = Duration::from_millis(1500);

pub fn setup(ctx: &mut Ctx) -> Result<Vec<Scenario>, String> {
    for lane in [1, 2] {
        ctx.lab.start_op(lane)?;
        wait_op_answers(ctx, lane, Duration::from_secs(10))?;
    }
    ctx.spawn()?;
    Ok(vec![
        Scenario { name: "one request (12 13 -> 17.6918)", run: one_request },
        Scenario { name: "classic wire", run: classic_wire },
        Scenario { name: "tagged wire", run: tagged_wire },
        Scenario { name: "8 clients at once, each gets its own answer", run: concurrent },
        Scenario { name: "op lane 1 down: answer within the fallback time", run: lane_down },
        Scenario { name: "duplicate square ignored", run: duplicate_square },
        Scenario { name: "bad input (abc, empty, 1e400) does not kill it", run: bad_input },
        Scenario { name: "primary broker SIGKILLed: answers through the backup", run: failover },
    ])
}

/// Wait until an operation node answers a square request on `lane`.
pub fn wait_op_answers(ctx: &mut Ctx, lane: u32, within: Duration) -> Result<(), String> {
    let mut p = ctx.probe(&[wire::square_result_topic(lane)])?;
    let until = Instant::now() + within;
    let tag = format!("check.{}", p.id);
    while Instant::now() < until {
        p.send(&wire::with_tag(&wire::square_request_topic(lane), Some(&tag)), "3");
        let (_, ok) = p.wait_for((Instant::now() + Duration::from_millis(300)).min(until), |m| m.value == "9");
        if ok {
            return Ok(());
        }
    }
    Err(format!("the reference operation node of lane {lane} did not answer within {} s", within.as_secs()))
}

/// Ask (a, b) on `wire` and wait for the first answer (tagged requests are
/// resent every 500 ms, as a libhypobus client does; a classic one is sent
/// `classic_sends` times, `within / classic_sends` apart). The answer and
/// how long it took.
fn ask(p: &mut Probe, w: Wire, a: &str, b: &str, within: Duration, classic_sends: u32) -> Option<(String, Duration)> {
    let t0 = Instant::now();
    let until = t0 + within;
    let tag = (w == Wire::Tagged).then(|| p.tag());
    let topic = answer_topic(tag.as_deref());
    let every = match w {
        Wire::Tagged => Duration::from_millis(500),
        Wire::Classic => within / classic_sends.max(1),
    };
    while Instant::now() < until {
        p.request(a, b, tag.as_deref());
        let (got, ok) = p.wait_for((Instant::now() + every).min(until), |m| m.topic == topic);
        if ok {
            return got.last().map(|m| (m.value.clone(), t0.elapsed()));
        }
    }
    None
}

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Make sure the program runs (start it again if an earlier scenario
/// killed it) and answers; `Err` is the verdict when it does not.
fn ensure(ctx: &mut Ctx) -> Result<Option<String>, Verdict> {
    if ctx.alive() {
        return Ok(None);
    }
    let died = ctx.death();
    ctx.spawn().map_err(Verdict::fail)?;
    let mut p = ctx.probe(&[wire::RESULT_TOPIC.into(), format!("{}#", wire::REPLY_TOPIC)]).map_err(Verdict::fail)?;
    let w = ctx.wire;
    match ask(&mut p, w, "3", "4", ctx.cfg.startup, (ctx.cfg.startup.as_secs() / 2).max(1) as u32) {
        Some(_) => {
            p.drain(Duration::from_millis(500), Duration::from_secs(3));
            Ok(Some(format!(" (started again: {died} in an earlier scenario)")))
        }
        None => Err(Verdict::fail(format!("{died} in an earlier scenario, and started again it answered nothing"))),
    }
}

fn one_request(ctx: &mut Ctx) -> Verdict {
    let mut p = match ctx.probe(&[wire::RESULT_TOPIC.into(), format!("{}#", wire::REPLY_TOPIC)]) {
        Ok(p) => p,
        Err(e) => return Verdict::fail(e),
    };
    let tag = p.tag();
    let reply = answer_topic(Some(&tag));
    let until = Instant::now() + ctx.cfg.startup;
    let t0 = Instant::now();
    let mut next_classic = Instant::now();
    let mut answer: Option<Msg> = None;
    // Both wires until the first answer: a program may speak either.
    while Instant::now() < until && answer.is_none() {
        if !ctx.alive() {
            return Verdict::fail(format!("{} before it answered a request", ctx.death()));
        }
        p.request("12", "13", Some(&tag));
        if Instant::now() >= next_classic {
            p.request("12", "13", None);
            next_classic = Instant::now() + Duration::from_secs(2);
        }
        let (got, ok) = p.wait_for(Instant::now() + Duration::from_millis(500), |m| m.topic == reply || m.topic == wire::RESULT_TOPIC);
        if ok {
            answer = got.last().cloned();
        }
    }
    p.drain(Duration::from_millis(700), Duration::from_secs(5));
    let Some(m) = answer else {
        let mut v = Verdict::fail(format!(
            "no answer to 12 13 within {} on calc.hypotenuse.result (classic) or calc.hypotenuse.reply#<tag> (tagged){}",
            secs(ctx.cfg.startup),
            if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) }
        ));
        v.diagram = ctx.diagram("12", "13");
        return v;
    };
    ctx.wire = if m.topic == reply { Wire::Tagged } else { Wire::Classic };
    let how = format!("on the {} wire after {}", ctx.wire.name(), secs(t0.elapsed()));
    if m.value == "17.6918" {
        Verdict::pass(format!("answered 17.6918 {how}"))
    } else {
        let mut v = Verdict::fail(format!("answered {:?} to 12 13 {how}; expected 17.6918 (sqrt(a²+b²) with 4 decimals)", m.value));
        v.diagram = ctx.diagram("12", "13");
        v
    }
}

/// One request on a given wire, within 5 s.
fn on_wire(ctx: &mut Ctx, w: Wire, a: &str, b: &str) -> Result<(String, Duration), Verdict> {
    let note = ensure(ctx)?;
    let mut p = ctx.probe(&[answer_topic(None), format!("{}#", wire::REPLY_TOPIC)]).map_err(Verdict::fail)?;
    let r = ask(&mut p, w, a, b, Duration::from_secs(5), 2);
    p.drain(Duration::from_millis(500), Duration::from_secs(3));
    match r {
        Some(r) => Ok(r),
        None => Err(Verdict::fail(format!(
            "no answer within 5 s to a {} request {a} {b}{}",
            w.name(),
            note.unwrap_or_else(|| if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) })
        ))),
    }
}

fn check_value(ctx: &mut Ctx, a: &str, b: &str, got: &str, took: Duration, what: &str) -> Verdict {
    let want = expected(a, b);
    if close(got, &want) {
        Verdict::pass(format!("{what}: {a} {b} -> {got} in {}", secs(took)))
    } else {
        let mut v = Verdict::fail(format!("{what}: answered {got:?} to {a} {b}; expected {want}"));
        v.diagram = ctx.diagram(a, b);
        v
    }
}

fn classic_wire(ctx: &mut Ctx) -> Verdict {
    match on_wire(ctx, Wire::Classic, "5", "12") {
        Ok((got, took)) => check_value(ctx, "5", "12", &got, took, "classic frames"),
        Err(mut v) => {
            v.why.push_str(" (the original lab's frames: every program of the lab must take them)");
            v.diagram = ctx.diagram("5", "12");
            v
        }
    }
}

fn tagged_wire(ctx: &mut Ctx) -> Verdict {
    match on_wire(ctx, Wire::Tagged, "8", "15") {
        Ok((got, took)) => {
            ctx.wire = Wire::Tagged;
            check_value(ctx, "8", "15", &got, took, "tagged frames")
        }
        Err(v) if ctx.alive() => {
            ctx.wire = Wire::Classic;
            Verdict::skip(format!("{}: a classic program (tagged answers are libhypobus's extension)", v.why))
        }
        Err(v) => v,
    }
}

/// The catheti of the 8 clients: each answer differs from every other.
const EIGHT: [(&str, &str); 8] = [("3", "4"), ("5", "12"), ("8", "15"), ("7", "24"), ("20", "21"), ("9", "40"), ("12", "35"), ("11", "60")];

fn concurrent(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx)).unwrap_or_default();
    let w = ctx.wire;
    let mut probes = Vec::new();
    for _ in EIGHT {
        match ctx.probe(&[answer_topic(None), format!("{}#", wire::REPLY_TOPIC)]) {
            Ok(p) => probes.push(p),
            Err(e) => return Verdict::fail(e),
        }
    }
    // Every request goes out once, before any answer is awaited: at once.
    // No resend: the probes and the program are ready, nothing is lost on
    // the way, so a request without an answer was dropped by the program.
    let mut tags = Vec::new();
    for (p, (a, b)) in probes.iter_mut().zip(EIGHT) {
        let tag = (w == Wire::Tagged).then(|| p.tag());
        p.request(a, b, tag.as_deref());
        tags.push(tag);
    }
    let until = Instant::now() + Duration::from_secs(8);
    let mut bad = Vec::new();
    for (i, (p, (a, b))) in probes.iter_mut().zip(EIGHT).enumerate() {
        let topic = answer_topic(tags[i].as_deref());
        let mut got = None;
        while got.is_none() && Instant::now() < until {
            let (msgs, ok) = p.wait_for(until, |m| m.topic == topic);
            if ok {
                got = msgs.last().map(|m| m.value.clone());
            }
        }
        let want = expected(a, b);
        match got {
            Some(g) if close(&g, &want) => {}
            Some(g) => bad.push((i, a, b, format!("client {} asked {a} {b} and got {g} (expected {want})", i + 1))),
            None => bad.push((i, a, b, format!("client {} asked {a} {b} and got no answer", i + 1))),
        }
    }
    for p in probes.iter_mut() {
        p.drain(Duration::from_millis(300), Duration::from_secs(3));
    }
    if bad.is_empty() {
        return Verdict::pass(format!("8 clients on the {} wire each got their own answer{note}", w.name()));
    }
    let (_, a, b, _) = bad[0];
    let list: Vec<String> = bad.iter().take(3).map(|x| x.3.clone()).collect();
    let mut v = Verdict::fail(format!(
        "{} of 8 concurrent clients ({} wire) got another request's answer or none: {}{}",
        bad.len(),
        w.name(),
        list.join("; "),
        if bad.len() > 3 { "; …" } else { "" }
    ));
    v.diagram = ctx.diagram(a, b);
    v
}

fn lane_down(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx)).unwrap_or_default();
    ctx.lab.stop_op(1);
    let w = ctx.wire;
    let r = match ctx.probe(&[answer_topic(None), format!("{}#", wire::REPLY_TOPIC)]) {
        Ok(mut p) => {
            let r = ask(&mut p, w, "20", "21", FALLBACK + MARGIN, 1);
            p.drain(Duration::from_millis(500), Duration::from_secs(3));
            Ok(r)
        }
        Err(e) => Err(e),
    };
    let restarted = ctx.lab.start_op(1).and_then(|_| wait_op_answers(ctx, 1, Duration::from_secs(10)));
    if let Err(e) = restarted {
        return Verdict::fail(format!("the lab could not start operation node 1 again: {e}"));
    }
    match r {
        Err(e) => Verdict::fail(e),
        Ok(Some((got, took))) => {
            let mut v = check_value(ctx, "20", "21", &got, took, "with operation node 1 stopped");
            v.why.push_str(&note);
            v
        }
        Ok(None) => {
            let mut v = Verdict::fail(format!(
                "with operation node 1 stopped, no answer to 20 21 within {} (the {} s wait for squares plus {} s): \
                 it must compute a missing square itself{}",
                secs(FALLBACK + MARGIN),
                FALLBACK.as_secs(),
                MARGIN.as_secs_f64(),
                if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) }
            ));
            v.diagram = ctx.diagram("20", "21");
            v
        }
    }
}

fn duplicate_square(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx)).unwrap_or_default();
    let cfg = hypobus::lab::op::OpConfig::new(ctx.lab.brokers(), 1);
    match hypobus::lab::op::OpNode::start(cfg, hypobus::lab::op::Operation::Square) {
        Ok(o) => ctx.lab.extra_op = Some(o),
        Err(e) => return Verdict::fail(format!("the lab could not start a second operation node: {e}")),
    }
    // Until the second node answers too: both square every request of lane 1.
    let until = Instant::now() + Duration::from_secs(10);
    if let Ok(mut p) = ctx.probe(&[wire::square_result_topic(1)]) {
        while Instant::now() < until {
            let tag = p.tag();
            p.send(&wire::with_tag(&wire::square_request_topic(1), Some(&format!("check.{tag}"))), "2");
            let (got, _) = p.wait_for(Instant::now() + Duration::from_millis(300), |_| false);
            if got.iter().filter(|m| m.value == "4").count() >= 2 {
                break;
            }
        }
    }
    let w = ctx.wire;
    let verdict = match ctx.probe(&[answer_topic(None), format!("{}#", wire::REPLY_TOPIC)]) {
        Err(e) => Verdict::fail(e),
        Ok(mut p) => {
            let tag = (w == Wire::Tagged).then(|| p.tag());
            let topic = answer_topic(tag.as_deref());
            p.request("7", "24", tag.as_deref());
            let t0 = Instant::now();
            let (first, ok) = p.wait_for(t0 + Duration::from_secs(5), |m| m.topic == topic);
            let mut answers: Vec<String> =
                if ok { first.iter().filter(|m| m.topic == topic).map(|m| m.value.clone()).collect() } else { vec![] };
            // Whatever else comes for it within 1.5 s of the first answer.
            let (rest, _) = p.wait_for(Instant::now() + Duration::from_millis(1500), |_| false);
            answers.extend(rest.iter().filter(|m| m.topic == topic).map(|m| m.value.clone()));
            let want = expected("7", "24");
            if answers.is_empty() {
                Verdict::fail(format!("with two operation nodes on lane 1 (every square twice), no answer to 7 24 within 5 s{note}"))
            } else if answers.len() > 1 {
                Verdict::fail(format!(
                    "with every square of lane 1 answered twice, it answered 7 24 {} times ({}): a duplicate square must be ignored",
                    answers.len(),
                    answers.join(", ")
                ))
            } else if !close(&answers[0], &want) {
                Verdict::fail(format!("with every square of lane 1 answered twice, it answered {:?} to 7 24; expected {want}", answers[0]))
            } else {
                Verdict::pass(format!("one answer, {}, with every square of lane 1 answered twice{note}", answers[0]))
            }
        }
    };
    if let Some(mut o) = ctx.lab.extra_op.take() {
        let _ = o.stop();
    }
    if verdict.status == super::Status::Failed {
        return Verdict { diagram: ctx.diagram("7", "24"), ..verdict };
    }
    verdict
}

fn bad_input(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx)).unwrap_or_default();
    let w = ctx.wire;
    let mut p = match ctx.probe(&[answer_topic(None), format!("{}#", wire::REPLY_TOPIC)]) {
        Ok(p) => p,
        Err(e) => return Verdict::fail(e),
    };
    for bad in ["abc", "", "1e400"] {
        let tag = (w == Wire::Tagged).then(|| p.tag());
        p.request(bad, "4", tag.as_deref());
        // The bad request's answer (an error, a fallback, or nothing) comes
        // within the fallback time; then a good request must be answered.
        let _ = p.wait_for(Instant::now() + FALLBACK + Duration::from_millis(300), |m| m.topic == answer_topic(tag.as_deref()));
        if !ctx.alive() {
            let mut v = Verdict::fail(format!("{} after the request {bad:?} 4 ({} wire)", ctx.death(), w.name()));
            v.diagram = ctx.diagram(bad, "4");
            return v;
        }
        match ask(&mut p, w, "6", "8", Duration::from_secs(5), 2) {
            Some((got, _)) if close(&got, "10.0000") => {}
            Some((got, _)) => {
                let mut v = Verdict::fail(format!("after the request {bad:?} 4 it answered {got:?} to 6 8 (expected 10.0000)"));
                v.diagram = ctx.diagram("6", "8");
                return v;
            }
            None => {
                let why = if ctx.alive() { "answered no further request (6 8) within 5 s".to_string() } else { ctx.death() };
                let mut v = Verdict::fail(format!("after the request {bad:?} 4 ({} wire) it {why}", w.name()));
                v.diagram = ctx.diagram(bad, "4");
                return v;
            }
        }
        p.drain(Duration::from_millis(300), Duration::from_secs(3));
    }
    Verdict::pass(format!("still answering after abc, empty and 1e400 as cathetus a{note}"))
}

fn failover(ctx: &mut Ctx) -> Verdict {
    let note = verdict_or!(ensure(ctx)).unwrap_or_default();
    let Some(took_over) = ctx.lab.kill_primary(Duration::from_secs(5)) else {
        return Verdict::fail("the lab's backup broker did not take over within 5 s (not the program's fault: run again)");
    };
    let w = ctx.wire;
    let r = match ctx.probe(&[answer_topic(None), format!("{}#", wire::REPLY_TOPIC)]) {
        Ok(mut p) => ask(&mut p, w, "9", "40", Duration::from_secs(6), 3),
        Err(e) => return Verdict::fail(e),
    };
    match r {
        Some((got, took)) => {
            let mut v = check_value(ctx, "9", "40", &got, took, "through the backup");
            v.why.push_str(&format!(" (the backup took over {} after the SIGKILL){note}", secs(took_over)));
            v
        }
        None => {
            let mut v = Verdict::fail(format!(
                "no answer to 9 40 within 6 s after the primary broker was SIGKILLed and the backup took over: \
                 a program must connect to both brokers ($HYPOBUS_BROKERS, or {{broker}} and {{backup}}){}",
                if ctx.alive() { String::new() } else { format!("; {}", ctx.death()) }
            ));
            v.diagram = ctx.diagram("9", "40");
            v
        }
    }
}
