//! `hypobus check ROLE -- COMMAND…`: grade a program that plays one role of
//! the lab, in any language. The program runs unchanged inside a lab of the
//! library's reference roles ([`lab`]), is told the lab's endpoints in its
//! environment and in `{placeholders}` of its arguments ([`student`]), and
//! goes through the scenarios of its role ([`calc`], [`op`], [`client`]),
//! each bounded in time, driven by the checker's raw peers ([`probe`]) and
//! drawn by the library's observer. [`report`] writes the table, Markdown
//! (Mermaid diagrams of failing requests) and Gradescope JSON.
//! docs/CHECK.md is the user's guide.

/// The value of `Ok`, or return the `Err`'s verdict from the scenario
/// (what every scenario does when its set-up fails).
macro_rules! verdict_or {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(v) => return v,
        }
    };
}

pub mod backup;
pub mod broker;
pub mod calc;
pub mod client;
pub mod lab;
pub mod op;
pub mod probe;
pub mod report;
pub mod student;

use lab::{CheckLab, Ports};
use probe::{Probe, Wire};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use student::{Launch, Student};

/// The roles a program can be checked as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckRole {
    Calc,
    Op,
    Client,
    Broker,
    Backup,
}

impl CheckRole {
    pub fn parse(s: &str) -> Option<CheckRole> {
        match s {
            "calc" => Some(CheckRole::Calc),
            "op" => Some(CheckRole::Op),
            "client" => Some(CheckRole::Client),
            "backup" => Some(CheckRole::Backup),
            "broker" => Some(CheckRole::Broker),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            CheckRole::Calc => "calc",
            CheckRole::Op => "op",
            CheckRole::Client => "client",
            CheckRole::Backup => "backup",
            CheckRole::Broker => "broker",
        }
    }
}

/// How to run a check.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub role: CheckRole,
    /// The operation node's lane (`op`).
    pub lane: u32,
    /// The command, with `{placeholders}`.
    pub command: Vec<String>,
    /// Where to run it (default: here).
    pub cwd: Option<PathBuf>,
    pub ports: Ports,
    /// The `hypobus` executable (the lab's brokers are processes of it).
    pub exe: PathBuf,
    /// How long a program may take to answer its first request.
    pub startup: Duration,
}

impl CheckConfig {
    pub fn new(role: CheckRole, command: Vec<String>, exe: PathBuf) -> CheckConfig {
        CheckConfig { role, lane: 1, command, cwd: None, ports: Ports::Standard, exe, startup: Duration::from_secs(20) }
    }
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Not applicable to this program (e.g. the tagged wire of a classic program).
    Skipped,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "PASS",
            Status::Failed => "FAIL",
            Status::Skipped => "n/a",
        }
    }
}

/// A scenario's result: one sentence why, and the diagram of the request
/// it is about (Mermaid, drawn by the observer from the wire).
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub why: String,
    pub diagram: Option<String>,
}

impl Verdict {
    pub fn pass(why: impl Into<String>) -> Verdict {
        Verdict { status: Status::Passed, why: why.into(), diagram: None }
    }
    pub fn fail(why: impl Into<String>) -> Verdict {
        Verdict { status: Status::Failed, why: why.into(), diagram: None }
    }
    pub fn skip(why: impl Into<String>) -> Verdict {
        Verdict { status: Status::Skipped, why: why.into(), diagram: None }
    }
}

/// One scenario of a role: a name for the report and what it does.
pub struct Scenario {
    pub name: &'static str,
    pub run: fn(&mut Ctx) -> Verdict,
}

/// A scenario as it ran.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub verdict: Verdict,
    pub took: Duration,
}

/// Everything a check found.
#[derive(Debug, Clone)]
pub struct Report {
    pub role: CheckRole,
    pub command: Vec<String>,
    pub outcomes: Vec<Outcome>,
    pub took: Duration,
    /// Bytes the program wrote in all (flooding shows here).
    pub output_bytes: u64,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.verdict.status != Status::Failed)
    }
    pub fn count(&self, s: Status) -> usize {
        self.outcomes.iter().filter(|o| o.verdict.status == s).count()
    }
}

/// What a scenario works with.
pub struct Ctx {
    pub lab: CheckLab,
    pub zctx: zmq::Context,
    pub launch: Launch,
    pub student: Option<Student>,
    pub cfg: CheckConfig,
    /// The wire the program answers on (calc: tagged if it supports it).
    pub wire: Wire,
    /// Bytes written by earlier runs of the program (restarts, client runs).
    pub output_bytes: u64,
    /// A client's runs that more than one scenario reads.
    pub client_runs: Vec<client::Run>,
}

impl Ctx {
    /// A probe connected to both brokers, subscribed to `topics`.
    pub fn probe(&self, topics: &[String]) -> Result<Probe, String> {
        Probe::new(&self.zctx, &self.lab.brokers(), topics, Duration::from_secs(5))
    }

    /// (Re)start the program.
    pub fn spawn(&mut self) -> Result<(), String> {
        if let Some(mut s) = self.student.take() {
            s.stop(Duration::from_millis(500));
            self.output_bytes += s.output_total();
        }
        self.student = Some(Student::spawn(&self.launch)?);
        Ok(())
    }

    /// The program, which must be running.
    pub fn student(&mut self) -> &mut Student {
        self.student.as_mut().expect("the program was started")
    }

    /// True while the program runs.
    pub fn alive(&mut self) -> bool {
        self.student.as_mut().is_some_and(|s| s.running())
    }

    /// How the program ended, for a verdict.
    pub fn death(&mut self) -> String {
        match self.student.as_mut() {
            Some(s) => format!("the program {}", s.describe_exit()),
            None => "the program was not started".into(),
        }
    }

    /// The diagram of request (a, b), if the observer saw it (bounded wait).
    pub fn diagram(&mut self, a: &str, b: &str) -> Option<String> {
        self.lab.diagram(a, b, Duration::from_secs(7))
    }
}

/// Run the check: the lab, the program, every scenario of its role; end
/// every process it started.
pub fn run_check(cfg: &CheckConfig) -> Result<Report, String> {
    let t0 = Instant::now();
    let lab = CheckLab::start(&cfg.exe, cfg.ports, cfg.role != CheckRole::Broker, cfg.role != CheckRole::Backup)?;
    let mut vars = lab.vars();
    vars.insert("HYPOBUS_LANE".into(), cfg.lane.to_string());
    if let Some(d) = &cfg.cwd {
        vars.insert("HYPOBUS_DIR".into(), d.display().to_string());
    }
    let launch = Launch { argv: cfg.command.clone(), cwd: cfg.cwd.clone(), vars };
    let mut ctx = Ctx {
        lab,
        zctx: zmq::Context::new(),
        launch,
        student: None,
        cfg: cfg.clone(),
        wire: Wire::Classic,
        output_bytes: 0,
        client_runs: Vec::new(),
    };
    let scenarios = match cfg.role {
        CheckRole::Calc => calc::setup(&mut ctx)?,
        CheckRole::Op => op::setup(&mut ctx)?,
        CheckRole::Client => client::setup(&mut ctx)?,
        CheckRole::Backup => backup::setup(&mut ctx)?,
        CheckRole::Broker => broker::setup(&mut ctx)?,
    };
    let mut outcomes = Vec::new();
    for sc in scenarios {
        let start = Instant::now();
        ctx.lab.clear_traces();
        let verdict = (sc.run)(&mut ctx);
        outcomes.push(Outcome { name: sc.name.to_string(), verdict, took: start.elapsed() });
    }
    if let Some(mut s) = ctx.student.take() {
        s.stop(Duration::from_millis(500));
        ctx.output_bytes += s.output_total();
    }
    ctx.lab.stop();
    Ok(Report { role: cfg.role, command: cfg.command.clone(), outcomes, took: t0.elapsed(), output_bytes: ctx.output_bytes })
}

/// One submission of a batch and what its check found.
#[derive(Debug, Clone)]
pub struct BatchEntry {
    pub name: String,
    pub report: Result<Report, String>,
}

/// Grade every folder of `dir` (sorted by name) with `cfg`, the command
/// running inside each; each folder gets `check.md` and `results.json`.
pub fn run_batch(cfg: &CheckConfig, dir: &std::path::Path, mut progress: impl FnMut(&BatchEntry)) -> Result<Vec<BatchEntry>, String> {
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subs.sort();
    let mut out = Vec::new();
    for sub in subs {
        let name = sub.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let c = CheckConfig { cwd: Some(sub.canonicalize().unwrap_or(sub.clone())), ..cfg.clone() };
        let report = run_check(&c);
        if let Ok(r) = &report {
            let _ = std::fs::write(sub.join("check.md"), report::markdown(r));
            let _ = std::fs::write(sub.join("results.json"), report::gradescope(r));
        }
        let e = BatchEntry { name, report };
        progress(&e);
        out.push(e);
    }
    Ok(out)
}

/// The batch's summary table (Markdown, which reads in a terminal too).
pub fn batch_summary(entries: &[BatchEntry]) -> String {
    let mut out = String::from("| submission | passed | failed | n/a | failed scenarios |\n|---|---|---|---|---|\n");
    for e in entries {
        match &e.report {
            Ok(r) => {
                let failed: Vec<&str> = r.outcomes.iter().filter(|o| o.verdict.status == Status::Failed).map(|o| o.name.as_str()).collect();
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    e.name,
                    r.count(Status::Passed),
                    r.count(Status::Failed),
                    r.count(Status::Skipped),
                    if failed.is_empty() { "-".to_string() } else { failed.join("; ") }
                ));
            }
            Err(why) => out.push_str(&format!("| {} | - | - | - | the check could not run: {} |\n", e.name, why.replace('|', "/"))),
        }
    }
    out
}

/// The batch's summary as JSON: per submission its score and failed scenarios.
pub fn batch_json(entries: &[BatchEntry]) -> String {
    let rows: Vec<String> = entries
        .iter()
        .map(|e| match &e.report {
            Ok(r) => {
                let failed: Vec<String> =
                    r.outcomes.iter().filter(|o| o.verdict.status == Status::Failed).map(|o| report::json_str(&o.name)).collect();
                format!(
                    "    {{\"submission\": {}, \"score\": {}, \"max_score\": {}, \"failed\": [{}]}}",
                    report::json_str(&e.name),
                    r.count(Status::Passed),
                    r.count(Status::Passed) + r.count(Status::Failed),
                    failed.join(", ")
                )
            }
            Err(why) => format!("    {{\"submission\": {}, \"error\": {}}}", report::json_str(&e.name), report::json_str(why)),
        })
        .collect();
    format!("{{\n  \"submissions\": [\n{}\n  ]\n}}\n", rows.join(",\n"))
}
