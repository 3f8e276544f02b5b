//! Scenarios of a client: the whole reference lab (brokers, calc node,
//! operation nodes) around it; the program is run once per question, given
//! its catheti as `{a}` `{b}` (and `$HYPOBUS_A`, `$HYPOBUS_B`), while a
//! probe subscribed to everything records what it publishes.

use super::probe::{expected, Msg};
use super::{Ctx, Scenario, Verdict};
use hypobus::wire::lab as wire;
use std::time::{Duration, Instant};

/// How long one run of a client may take (the original sleeps 1 s first).
pub const RUN_LIMIT: Duration = Duration::from_secs(15);

/// One run of the program.
#[derive(Debug, Clone)]
pub struct Run {
    pub a: String,
    pub b: String,
    /// What went through the brokers while it ran.
    pub seen: Vec<Msg>,
    /// `None`: it did not end by itself within [`RUN_LIMIT`].
    pub exit: Option<String>,
    pub exit_ok: bool,
    pub stdout: String,
    pub took: Duration,
}

impl Run {
    /// Its publications: every `calc.request…` message (what the lab's
    /// other roles publish is left out).
    pub fn published(&self) -> Vec<&Msg> {
        self.seen
            .iter()
            .filter(|m| {
                !m.topic.starts_with("calc.square.") && !m.topic.starts_with("calc.hypotenuse.") && !m.topic.starts_with("hypobus.")
            })
            .collect()
    }
    fn published_text(&self) -> String {
        let p = self.published();
        if p.is_empty() {
            return "nothing".into();
        }
        let mut v: Vec<String> = p.iter().map(|m| format!("{} = {:?}", m.topic, m.value)).collect();
        v.dedup();
        v.truncate(6);
        v.join(", ")
    }
    /// Sent `value` on `calc.request.<lane>` (tagged or not), through broker `via` if given.
    fn sent(&self, lane: u32, value: &str, via: Option<usize>) -> bool {
        let base = wire::request_topic(lane);
        self.published()
            .iter()
            .any(|m| (m.topic == base || m.topic.starts_with(&format!("{base}#"))) && m.value == value && via.is_none_or(|b| m.broker == b))
    }
    fn answers(&self) -> Vec<&Msg> {
        self.seen.iter().filter(|m| m.topic.starts_with("calc.hypotenuse.")).collect()
    }
}

pub fn setup(ctx: &mut Ctx) -> Result<Vec<Scenario>, String> {
    for lane in [1, 2] {
        ctx.lab.start_op(lane)?;
        super::calc::wait_op_answers(ctx, lane, Duration::from_secs(10))?;
    }
    ctx.lab.start_calc(super::calc::FALLBACK)?;
    Ok(vec![
        Scenario { name: "publishes the catheti on calc.request.1 and calc.request.2", run: publishes },
        Scenario { name: "prints the answer (12 13 -> 17.6918) and exits", run: prints },
        Scenario { name: "uses the catheti it is given (5 12)", run: given },
        Scenario { name: "primary broker SIGKILLed: its request reaches the backup", run: failover },
    ])
}

/// Run the program once with catheti a, b (bounded), recording the wire.
pub fn run_once(ctx: &mut Ctx, a: &str, b: &str) -> Result<Run, String> {
    let mut spy = ctx.probe(&[String::new()])?;
    ctx.launch.vars.insert("HYPOBUS_A".into(), a.into());
    ctx.launch.vars.insert("HYPOBUS_B".into(), b.into());
    let t0 = Instant::now();
    ctx.spawn()?;
    let mut seen = Vec::new();
    let until = t0 + RUN_LIMIT;
    while Instant::now() < until && ctx.alive() {
        seen.extend(spy.collect(Instant::now() + Duration::from_millis(100)));
    }
    // What it sent just before it ended.
    seen.extend(spy.collect(Instant::now() + Duration::from_millis(300)));
    let took = t0.elapsed();
    let s = ctx.student();
    let exit = s.exited().map(|st| st.to_string());
    let exit_ok = s.exited().is_some_and(|st| st.success());
    let stdout = s.stdout();
    s.stop(Duration::from_millis(500));
    Ok(Run { a: a.into(), b: b.into(), seen, exit, exit_ok, stdout, took })
}

fn first_run(ctx: &mut Ctx) -> Result<Run, Verdict> {
    if let Some(r) = ctx.client_runs.first() {
        return Ok(r.clone());
    }
    let r = run_once(ctx, "12", "13").map_err(Verdict::fail)?;
    ctx.client_runs.push(r.clone());
    Ok(r)
}

fn publishes(ctx: &mut Ctx) -> Verdict {
    let r = verdict_or!(first_run(ctx));
    if r.sent(1, "12", None) && r.sent(2, "13", None) {
        Verdict::pass("12 on calc.request.1 and 13 on calc.request.2")
    } else {
        Verdict::fail(format!(
            "asked for 12 13, it published {}; expected 12 on calc.request.1 and 13 on calc.request.2",
            r.published_text()
        ))
    }
}

fn prints(ctx: &mut Ctx) -> Verdict {
    let r = verdict_or!(first_run(ctx));
    let want = expected(&r.a, &r.b);
    let printed = r.stdout.split_whitespace().any(|w| w == want);
    let calc_said: Vec<String> = r.answers().iter().map(|m| format!("{} = {}", m.topic, m.value)).collect();
    let calc_said = if calc_said.is_empty() {
        "the calc node published no answer".to_string()
    } else {
        format!("the calc node answered {}", calc_said[0])
    };
    let out = r.stdout.trim().lines().last().unwrap_or("").chars().take(80).collect::<String>();
    let mut v = match (&r.exit, printed) {
        (Some(_), true) if r.exit_ok => {
            return Verdict::pass(format!("printed {want} and exited with status 0 after {:.1} s", r.took.as_secs_f64()))
        }
        (Some(st), true) => Verdict::fail(format!("printed {want} but {st}")),
        (None, _) => Verdict::fail(format!(
            "still running {} s after it started (printed {:?}); {calc_said}: is it subscribed to calc.hypotenuse.result?",
            RUN_LIMIT.as_secs(),
            out
        )),
        (Some(st), false) => Verdict::fail(format!("{st} without printing {want} (its last line: {out:?}); {calc_said}")),
    };
    v.diagram = ctx.diagram(&r.a, &r.b);
    v
}

fn given(ctx: &mut Ctx) -> Verdict {
    let r = match run_once(ctx, "5", "12") {
        Ok(r) => r,
        Err(e) => return Verdict::fail(e),
    };
    if r.sent(1, "5", None) && r.sent(2, "12", None) {
        Verdict::pass("given 5 12, it published 5 and 12")
    } else {
        Verdict::fail(format!(
            "given 5 12 (as {{a}} {{b}} or $HYPOBUS_A $HYPOBUS_B), it published {}; expected 5 on calc.request.1 and 12 on calc.request.2",
            r.published_text()
        ))
    }
}

fn failover(ctx: &mut Ctx) -> Verdict {
    let Some(took_over) = ctx.lab.kill_primary(Duration::from_secs(5)) else {
        return Verdict::fail("the lab's backup broker did not take over within 5 s (not the program's fault: run again)");
    };
    let r = match run_once(ctx, "20", "21") {
        Ok(r) => r,
        Err(e) => return Verdict::fail(e),
    };
    if r.sent(1, "20", Some(1)) && r.sent(2, "21", Some(1)) {
        Verdict::pass(format!("20 and 21 reached the backup (it took over {:.1} s after the SIGKILL)", took_over.as_secs_f64()))
    } else {
        Verdict::fail(format!(
            "with the primary broker killed, its catheti did not reach the backup broker (seen: {}): a client must connect to both \
             brokers ($HYPOBUS_BROKERS, or {{broker}} and {{backup}})",
            r.published_text()
        ))
    }
}
