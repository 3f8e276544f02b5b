//! `hypobus check` as a user runs it: the `hypobus` binary grading real
//! programs (the CLI's own roles, the original-style pyzmq programs, small
//! programs with one deliberate flaw each from tests/check/broken/), each
//! check's results.json read back: which scenarios failed, and why.
//!
//! The Python programs need pyzmq: `$HYPOBUS_PY`, or the test command's
//! virtualenv `target/test-venv/bin/python` (scripts/test-all.sh makes it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hypobus");

/// One check at a time: their scenarios measure times (fallback, take-over)
/// that two checks side by side on two shared cores would blur.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Say what a test lacks; with `HYPOBUS_REQUIRE_ALL=1` (the test command,
/// which installs everything first) that fails the test instead of letting
/// it pass without checking.
fn missing(why: &str) {
    assert!(std::env::var_os("HYPOBUS_REQUIRE_ALL").is_none(), "{why}");
    eprintln!("{why}");
}

/// A Python with pyzmq, or None (the test says so: see [`missing`]).
fn python() -> Option<String> {
    let cands = [std::env::var("HYPOBUS_PY").ok(), Some(repo().join("target/test-venv/bin/python").display().to_string())];
    for c in cands.into_iter().flatten() {
        let ok = Command::new(&c).args(["-c", "import zmq"]).output().is_ok_and(|o| o.status.success());
        if ok {
            return Some(c);
        }
    }
    missing("no Python with pyzmq ($HYPOBUS_PY or target/test-venv): this test needs one (scripts/test-all.sh makes it)");
    None
}

fn original(name: &str) -> String {
    repo().join("bindings/python/hypobus/examples/original").join(name).display().to_string()
}

fn broken(name: &str) -> String {
    repo().join("tests/check/broken").join(name).display().to_string()
}

/// What a check found: scenario name -> (passed/failed/n-a, output).
struct Checked {
    code: i32,
    tests: BTreeMap<String, (String, String)>,
    stdout: String,
    took: Duration,
}

impl Checked {
    fn failed(&self) -> Vec<&str> {
        self.tests.iter().filter(|(_, (s, _))| s == "FAIL").map(|(n, _)| n.as_str()).collect()
    }
    fn output(&self, prefix: &str) -> &str {
        self.tests.iter().find(|(n, _)| n.starts_with(prefix)).map(|(_, (_, o))| o.as_str()).unwrap_or("")
    }
}

/// The scenarios' statuses and outputs from a results.json (as written by
/// the checker: one test object per line).
fn read_results(text: &str) -> BTreeMap<String, (String, String)> {
    let field = |line: &str, key: &str| -> Option<String> {
        let start = line.find(&format!("\"{key}\": \""))? + key.len() + 5;
        let mut out = String::new();
        let mut esc = false;
        for c in line[start..].chars() {
            match (esc, c) {
                (true, 'n') => out.push('\n'),
                (true, c) => out.push(c),
                (false, '\\') => {
                    esc = true;
                    continue;
                }
                (false, '"') => break,
                (false, c) => out.push(c),
            }
            esc = false;
        }
        Some(out)
    };
    text.lines()
        .filter(|l| l.trim_start().starts_with("{\"name\""))
        .map(|l| {
            let output = field(l, "output").unwrap_or_default();
            let status = output.split(':').next().unwrap_or("").to_string();
            (field(l, "name").unwrap_or_default(), (status, output))
        })
        .collect()
}

fn check(role: &str, extra: &[&str], command: &[&str]) -> Checked {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("hypobus-check-{}-{}", std::process::id(), hypobus::wire::lab::random_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("results.json");
    let md = dir.join("check.md");
    let t0 = Instant::now();
    let out = Command::new(BIN)
        .arg("check")
        .arg(role)
        .arg("--free-ports")
        .arg("--json")
        .arg(&json)
        .arg("--markdown")
        .arg(&md)
        .args(extra)
        .arg("--")
        .args(command)
        .output()
        .expect("run hypobus check");
    let took = t0.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = std::fs::read_to_string(&json).unwrap_or_default();
    let tests = read_results(&text);
    let markdown = std::fs::read_to_string(&md).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!tests.is_empty(), "no results.json from the check:\n{stdout}");
    if tests.values().any(|(s, _)| s == "FAIL") {
        assert!(markdown.contains("## FAIL"), "the Markdown report names each failure:\n{markdown}");
    }
    Checked { code: out.status.code().unwrap_or(-1), tests, stdout, took }
}

fn assert_failed(c: &Checked, want: &[&str]) {
    let got = c.failed();
    let want: Vec<&str> = want.to_vec();
    let ok = got.len() == want.len() && want.iter().all(|w| got.iter().any(|g| g.starts_with(w)));
    assert!(ok, "failed scenarios: {got:?}, expected exactly {want:?}\n{}", c.stdout);
    assert_eq!(c.code, if want.is_empty() { 0 } else { 1 }, "exit status\n{}", c.stdout);
}

#[test]
fn cli_calc_passes_every_scenario() {
    let c = check("calc", &[], &[BIN, "calc", "--broker", "{brokers}", "--quiet"]);
    assert_failed(&c, &[]);
    assert!(c.tests.values().all(|(s, _)| s == "PASS"), "the tagged wire applies too\n{}", c.stdout);
    eprintln!("check calc (CLI) took {:?}", c.took);
}

#[test]
fn cli_op_passes_every_scenario() {
    let c = check("op", &["--lane", "2"], &[BIN, "op", "--lane", "{lane}", "--broker", "{brokers}", "--quiet"]);
    assert_failed(&c, &[]);
}

#[test]
fn cli_client_passes_every_scenario() {
    let c = check("client", &[], &[BIN, "client", "{a}", "{b}", "--broker", "{brokers}"]);
    assert_failed(&c, &[]);
}

#[test]
fn original_calc_fails_concurrency_and_bad_input_only() {
    let Some(py) = python() else { return };
    let c = check("calc", &[], &[&py, &original("orig_calc.py"), "{broker}", "{backup}"]);
    assert_failed(&c, &["8 clients at once", "bad input"]);
    assert!(c.output("8 clients").contains("got another request's answer"), "{}", c.output("8 clients"));
    assert!(c.output("bad input").contains("ValueError"), "{}", c.output("bad input"));
    assert!(c.output("tagged wire").starts_with("n/a"), "a classic program: tagged does not apply");
}

#[test]
fn original_op_fails_bad_input_only() {
    let Some(py) = python() else { return };
    let c = check("op", &[], &[&py, &original("orig_op.py"), "{lane}", "{broker}", "{backup}"]);
    assert_failed(&c, &["bad input"]);
    let why = c.output("bad input");
    assert!(why.contains("\"abc\"") && why.contains("ValueError"), "{why}");
}

#[test]
fn original_client_passes() {
    let Some(py) = python() else { return };
    let c = check("client", &[], &[&py, &original("orig_client.py"), "{a}", "{b}", "{broker}", "{backup}"]);
    assert_failed(&c, &[]);
}

#[test]
fn mini_programs_without_flaw_pass() {
    let Some(py) = python() else { return };
    assert_failed(&check("calc", &[], &[&py, &broken("mini_calc.py")]), &[]);
    assert_failed(&check("op", &[], &[&py, &broken("mini_op.py")]), &[]);
    assert_failed(&check("client", &[], &[&py, &broken("mini_client.py"), "{a}", "{b}"]), &[]);
}

#[test]
fn calc_with_wrong_rounding_fails_one_request_only() {
    let Some(py) = python() else { return };
    let c = check("calc", &[], &[&py, &broken("mini_calc.py"), "rounding"]);
    assert_failed(&c, &["one request"]);
    assert!(c.output("one request").contains("\"17.69\""), "{}", c.output("one request"));
    assert!(c.output("one request").contains("```mermaid"), "the failing request's diagram");
}

#[test]
fn calc_that_answers_only_the_first_client_fails_concurrency_only() {
    let Some(py) = python() else { return };
    let c = check("calc", &[], &[&py, &broken("mini_calc.py"), "first-client"]);
    assert_failed(&c, &["8 clients at once"]);
    assert!(c.output("8 clients").contains("got no answer"), "{}", c.output("8 clients"));
}

#[test]
fn op_that_crashes_on_empty_input_fails_bad_input_only() {
    let Some(py) = python() else { return };
    let c = check("op", &[], &[&py, &broken("mini_op.py"), "crash-empty"]);
    assert_failed(&c, &["bad input"]);
    let why = c.output("bad input");
    assert!(why.contains("request \"\"") && why.contains("IndexError"), "{why}");
}

#[test]
fn client_on_the_wrong_topic_fails_printing_only() {
    let Some(py) = python() else { return };
    let c = check("client", &[], &[&py, &broken("mini_client.py"), "{a}", "{b}", "wrong-topic"]);
    assert_failed(&c, &["prints the answer"]);
    assert!(c.output("prints").contains("calc.hypotenuse.result = 17.6918"), "{}", c.output("prints"));
}

/// A program that floods its output and never answers is bounded: the
/// check ends, every scenario fails, and nothing it started is left.
#[test]
fn a_flooding_hanging_program_is_bounded_and_ended() {
    let marker = format!("hypobus-check-flood-{}", hypobus::wire::lab::random_id());
    let script = format!("yes {marker} & yes {marker} >&2 & wait");
    let c = check("op", &["--startup-ms", "3000"], &["sh", "-c", &script]);
    assert!(c.failed().len() == c.tests.len(), "{}", c.stdout);
    assert!(c.stdout.contains("MB of output"), "the flood is reported\n{}", c.stdout);
    assert!(c.took < Duration::from_secs(120), "bounded: {:?}", c.took);
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .filter(|cmd| cmd.contains(&marker))
        .collect();
    assert!(left.is_empty(), "processes left: {left:?}");
}

/// `--batch DIR`: every folder graded with the command run inside it, a
/// summary table, each folder's own reports.
#[test]
fn batch_grades_every_folder() {
    let Some(py) = python() else { return };
    let dir = std::env::temp_dir().join(format!("hypobus-check-batch-{}", hypobus::wire::lab::random_id()));
    let mini = std::fs::read_to_string(broken("mini_calc.py")).unwrap();
    for (name, flaw) in [("alice", "none"), ("bob", "rounding"), ("carol", "first-client")] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        let text = mini.replace("else \"none\"", &format!("else \"{flaw}\""));
        std::fs::write(dir.join(name).join("calc.py"), text).unwrap();
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let summary = dir.join("summary.json");
    let t0 = Instant::now();
    let out = Command::new(BIN)
        .args(["check", "calc", "--free-ports", "--batch"])
        .arg(&dir)
        .arg("--json")
        .arg(&summary)
        .args(["--", &py, "calc.py"])
        .output()
        .unwrap();
    let took = t0.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{stdout}{}\nbatch of 3 took {took:?}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "some submission failed");
    let row = |name: &str| stdout.lines().find(|l| l.starts_with(&format!("| {name} |"))).unwrap_or("").to_string();
    assert!(row("alice").starts_with("| alice | 8 | 0 | 0 | - |"), "{stdout}");
    assert!(row("bob").contains("| 7 | 1 | 0 | one request"), "{stdout}");
    assert!(row("carol").contains("| 7 | 1 | 0 | 8 clients at once"), "{stdout}");
    for name in ["alice", "bob", "carol"] {
        let r = std::fs::read_to_string(dir.join(name).join("results.json")).unwrap();
        assert!(r.contains("\"max_score\": 1"), "{r}");
        assert!(dir.join(name).join("check.md").is_file());
    }
    let s = std::fs::read_to_string(&summary).unwrap();
    assert!(s.contains("\"submission\": \"bob\", \"score\": 7, \"max_score\": 8"), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The library built as a shared library beside the binary (the bindings
/// load it), or None (the test says so: see [`missing`]).
fn cdylib() -> Option<PathBuf> {
    let p = Path::new(BIN).parent()?.join("libhypobus.so");
    if p.is_file() {
        return Some(p);
    }
    missing(&format!("no {} (cargo build -p hypobus --lib): the binding examples need it", p.display()));
    None
}

/// The Python binding's operation node (a Python function as the
/// operation) passes every scenario of its role.
#[test]
fn python_binding_op_passes_every_scenario() {
    let (Some(py), Some(lib)) = (python(), cdylib()) else { return };
    std::env::set_var("HYPOBUS_LIB", &lib);
    std::env::set_var("PYTHONPATH", repo().join("bindings/python"));
    let c = check("op", &[], &[&py, "-m", "hypobus.examples.op_function", "{lane}", "{broker}", "{backup}"]);
    assert_failed(&c, &[]);
}

/// The Node binding's examples (calc node, op node, client) pass every
/// scenario of their roles. koffi comes from an `npm ci` of the test
/// command (bindings/node or tests/abi/node).
#[test]
fn node_binding_roles_pass_every_scenario() {
    let Some(lib) = cdylib() else { return };
    let koffi = ["bindings/node/node_modules", "tests/abi/node/node_modules", "target/node-check/node_modules"]
        .iter()
        .map(|d| repo().join(d))
        .find(|d| d.join("koffi").is_dir());
    let Some(koffi) = koffi else {
        missing("no koffi installed (npm ci in bindings/node): the Node examples cannot run");
        return;
    };
    // `require('hypobus')` from the examples: the package folder under a name it resolves by.
    let modules = Path::new(BIN).parent().unwrap().join("check-node-modules");
    std::fs::create_dir_all(&modules).unwrap();
    let link = modules.join("hypobus");
    if !link.exists() {
        let _ = std::os::unix::fs::symlink(repo().join("bindings/node"), &link);
    }
    std::env::set_var("HYPOBUS_LIB", &lib);
    std::env::set_var("NODE_PATH", format!("{}:{}", modules.display(), koffi.display()));
    let ex = |f: &str| repo().join("bindings/node/examples").join(f).display().to_string();
    assert_failed(&check("calc", &[], &["node", &ex("lab_calc_node.js"), "{brokers}"]), &[]);
    assert_failed(&check("op", &["--lane", "2"], &["node", &ex("lab_op_node.js"), "{lane}", "{brokers}"]), &[]);
    assert_failed(&check("client", &[], &["node", &ex("lab_client.js"), "{a}", "{b}", "{brokers}"]), &[]);
}

#[test]
fn cli_backup_passes_every_scenario() {
    let c = check(
        "backup",
        &[],
        &[
            BIN,
            "broker",
            "--role",
            "backup",
            "--xsub",
            "{backup_xsub}",
            "--xpub",
            "{backup_xpub}",
            "--hb",
            "{backup_hb}",
            "--ctl",
            "{backup_ctl}",
            "--peer-hb",
            "{hb}",
            "--hb-interval-ms",
            "{hb_interval_ms}",
            "--quiet",
        ],
    );
    assert_failed(&c, &[]);
}

#[test]
fn original_backup_never_hands_back() {
    let Some(py) = python() else { return };
    let c = check("backup", &[], &[&py, &original("orig_backup.py"), "{hb}", "{backup_xsub_port}", "{backup_xpub_port}", "127.0.0.1"]);
    // The original's flaws (SPEC 2): two brokers forward once the primary is back, and the backup never hands back.
    assert_failed(&c, &["primary back: no split brain", "primary back: hands back"]);
    assert!(c.output("primary back: hands back").contains("never handed back"), "{}", c.output("primary back: hands back"));
}

#[test]
fn backup_that_takes_over_too_slowly_fails_takeover_only() {
    let Some(py) = python() else { return };
    assert_failed(&check("backup", &[], &[&py, &broken("mini_backup.py")]), &[]);
    let c = check("backup", &[], &[&py, &broken("mini_backup.py"), "slow"]);
    assert_failed(&c, &["primary broker SIGKILLed: takes over"]);
    assert!(c.output("primary broker SIGKILLed").contains("within 5 s"), "{}", c.output("primary broker SIGKILLed"));
}

/// `python -m hypobus.check` and `npx hypobus-check` (bin/hypobus-check.js)
/// run the same check: same report, same exit status.
#[test]
fn python_and_node_entry_points_run_the_same_check() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let args = ["op", "--free-ports", "--", BIN, "op", "--lane", "{lane}", "--broker", "{brokers}", "--quiet"];
    let mut runs: Vec<(&str, Command)> = Vec::new();
    // Importing the package loads the library.
    if let (Some(py), Some(lib)) = (python(), cdylib()) {
        let mut c = Command::new(py);
        c.args(["-m", "hypobus.check"]).args(args).env("PYTHONPATH", repo().join("bindings/python")).env("HYPOBUS_LIB", lib);
        runs.push(("python -m hypobus.check", c));
    }
    let mut c = Command::new("node");
    c.arg(repo().join("bindings/node/bin/hypobus-check.js")).args(args);
    runs.push(("node bin/hypobus-check.js", c));
    for (name, mut cmd) in runs {
        let out = cmd.env("HYPOBUS_BIN", BIN).output().expect("run the entry point");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("5 passed, 0 failed"), "{name}\n{stdout}");
    }
}

#[test]
fn brokers_cli_original_and_without_heartbeat() {
    let c = check("broker", &[], &[BIN, "broker", "--xsub", "{xsub}", "--xpub", "{xpub}", "--hb", "{hb}", "--quiet"]);
    assert_failed(&c, &[]);
    let Some(py) = python() else { return };
    let c = check("broker", &[], &[&py, &original("orig_primary.py"), "{xsub_port}", "{xpub_port}", "{hb_port}", "127.0.0.1"]);
    assert_failed(&c, &[]);
    assert_failed(&check("broker", &[], &[&py, &broken("mini_broker.py")]), &[]);
    let c = check("broker", &[], &[&py, &broken("mini_broker.py"), "no-hb"]);
    assert_failed(&c, &["heartbeat"]);
    assert!(c.output("heartbeat").contains("0 one-frame HB"), "{}", c.output("heartbeat"));
}
