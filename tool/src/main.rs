//! `hypobus`: every role of the hypotenuse lab from the command line.
//! This file only parses flags (see `cli.rs`) and calls the library.

mod cli;

use cli::{Command, FailoverOpts, RoleOpts, Usage};
use hypobus::lab::broker::{Broker, BrokerConfig};
use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig, Mode};
use hypobus::lab::failover::{FailoverBroker, FailoverConfig};
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use hypobus::lab::LabConfig;
use hypobus::security::{Certificate, Curve};
use hypobus::Error;
use hypobus_tool::{self as lab, DemoConfig};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

static STOP: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: two atomic stores.
    SIGNAL.store(sig, Ordering::SeqCst);
    STOP.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM ask the role to stop; a second one kills at once
/// (SA_RESETHAND), in case stopping hangs.
fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is valid; the handler only stores atomics.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
}

fn brokers_text(brokers: &[BrokerAddr]) -> String {
    brokers.iter().map(|b| format!("{} / {}", b.xsub, b.xpub)).collect::<Vec<_>>().join(", ")
}

/// Wait for SIGINT/SIGTERM (napping at most 100 ms at a time with `nap`),
/// printing `stats()` every `stats_every_ms`. Returns false if the role
/// stopped by itself first.
fn serve(name: &str, opts: &RoleOpts, stats: &dyn Fn() -> String, alive: &dyn Fn() -> bool, nap_for: &dyn Fn(Duration)) -> bool {
    let every = (opts.stats_every_ms > 0).then(|| Duration::from_millis(opts.stats_every_ms));
    let mut next = every.map(|e| Instant::now() + e);
    while !STOP.load(Ordering::SeqCst) {
        if !alive() {
            eprintln!("hypobus {name}: the role stopped by itself");
            return false;
        }
        let mut nap = Duration::from_millis(100);
        if let (Some(n), Some(e)) = (next, every) {
            let now = Instant::now();
            if now >= n {
                println!("stats {}", stats());
                next = Some(n + e).filter(|t| *t > now).or(Some(now + e));
            }
            nap = nap.min(next.unwrap_or(now).saturating_duration_since(Instant::now()));
        }
        nap_for(nap.max(Duration::from_millis(1)));
    }
    hypobus::log!(name, "{} received, stopping", signal_name(SIGNAL.load(Ordering::SeqCst)));
    true
}

/// Print the final counters and turn the stop's outcome into an exit status.
fn finish(name: &str, alive: bool, stopped: hypobus::Result<()>, stats: String) -> ExitCode {
    println!("final {stats}");
    match stopped {
        Err(e) => {
            eprintln!("hypobus {name}: {e}");
            ExitCode::from(1)
        }
        Ok(()) if !alive => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
    }
}

fn start_role(opts: &RoleOpts) {
    hypobus::log::set_enabled(!opts.quiet);
    install_signal_handlers();
}

fn fail(name: &str, e: &Error) -> ExitCode {
    eprintln!("hypobus {name}: {e}");
    ExitCode::from(1)
}

fn run(cmd: Command) -> ExitCode {
    match cmd {
        Command::Help(c) => {
            println!("{}", cli::help(c));
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("hypobus {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Broker { xsub, xpub, hb, hb_interval_ms, failover: Some(f), role } => {
            // The parser guarantees a heartbeat endpoint with --role.
            let hb = hb.unwrap_or_else(|| "tcp://*:5560".into());
            run_failover_broker(xsub, xpub, hb, hb_interval_ms, f, role)
        }
        Command::Broker { xsub, xpub, hb, hb_interval_ms, failover: None, role } => {
            start_role(&role);
            let cfg =
                BrokerConfig { xsub, xpub, hb, hb_interval: Duration::from_millis(hb_interval_ms), active: true, ..Default::default() };
            let mut b = match Broker::start(cfg) {
                Ok(b) => b,
                Err(e) => return fail("broker", &e),
            };
            let (xs, xp, hb) = &b.endpoints;
            let hb = match hb {
                Some(h) => format!("{h} every {hb_interval_ms} ms"),
                None => "off".into(),
            };
            println!("broker ready: xsub {xs} xpub {xp} hb {hb}");
            let alive = serve("broker", &role, &|| lab::fmt_broker(&b.stats()), &|| b.is_running(), &std::thread::sleep);
            let stopped = b.stop();
            finish("broker", alive, stopped, lab::fmt_broker(&b.stats()))
        }
        Command::Op { lane, brokers, role } => {
            start_role(&role);
            let text = brokers_text(&brokers);
            let mut op = match OpNode::start(OpConfig::new(brokers, lane), Operation::Square) {
                Ok(o) => o,
                Err(e) => return fail("op", &e),
            };
            println!("op lane {lane} ready: brokers {text}");
            let alive = serve("op", &role, &|| lab::fmt_op(lane, &op.stats()), &|| op.is_running(), &std::thread::sleep);
            let stopped = op.stop();
            finish("op", alive, stopped, lab::fmt_op(lane, &op.stats()))
        }
        Command::Calc { brokers, timeout_ms, role } => {
            start_role(&role);
            let text = brokers_text(&brokers);
            let cfg = CalcConfig { brokers, timeout: Duration::from_millis(timeout_ms), ..Default::default() };
            let mut calc = match CalcNode::start(cfg) {
                Ok(c) => c,
                Err(e) => return fail("calc", &e),
            };
            println!("calc ready: time-out {timeout_ms} ms, brokers {text}");
            let alive = serve("calc", &role, &|| lab::fmt_calc(&calc.stats()), &|| calc.is_running(), &std::thread::sleep);
            let stopped = calc.stop();
            finish("calc", alive, stopped, lab::fmt_calc(&calc.stats()))
        }
        Command::Client { a, b, brokers, classic, timeout_ms, verbose } => {
            hypobus::log::set_enabled(verbose);
            let text = brokers_text(&brokers);
            let mode = if classic { Mode::Classic } else { Mode::Tagged };
            let cfg = ClientConfig { brokers, mode, timeout: Duration::from_millis(timeout_ms), ..Default::default() };
            let result = Client::new(cfg).and_then(|mut c| {
                let r = c.hypot(&a, &b);
                hypobus::log!("client", "{}", lab::fmt_client(&c.stats()));
                r
            });
            match result {
                Ok(h) => {
                    println!("{h}");
                    ExitCode::SUCCESS
                }
                Err(Error::Timeout(ms)) => {
                    eprintln!(
                        "hypobus client: no answer within {ms} ms (are a broker at {text}, a calc node{} running?)",
                        if classic { " speaking the classic wire" } else { "" }
                    );
                    ExitCode::from(1)
                }
                Err(Error::Remote(why)) => {
                    eprintln!("hypobus client: the calc node answered with an error: {why}");
                    ExitCode::from(1)
                }
                Err(e) => fail("client", &e),
            }
        }
        Command::Ctl { endpoint, command, timeout_ms } => {
            match hypobus::lab::failover::ctl_request(&endpoint, &command, Duration::from_millis(timeout_ms)) {
                Ok(answer) => {
                    println!("{answer}");
                    if answer.starts_with("error") {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(Error::Timeout(ms)) => {
                    eprintln!("hypobus ctl: no answer from {endpoint} within {ms} ms (is a broker running with --ctl there?)");
                    ExitCode::from(1)
                }
                Err(e) => fail("ctl", &e),
            }
        }
        Command::TaskBroker { cfg, role } => run_task_broker(cfg, role),
        Command::Worker(w) => run_worker(w),
        Command::Task(t) => run_task(t),
        Command::Watch(w) => run_watch(w),
        Command::Keygen { path, metadata, force } => keygen(&path, metadata, force),
        Command::Check(o) => run_check(o),
        Command::Lab { scenario: Some(sc), calc_timeout_ms, failover_hb_ms, verbose, .. } => {
            run_scenario(sc, calc_timeout_ms, failover_hb_ms, verbose)
        }
        Command::Lab { requests, clients, per_client, window, calc_timeout_ms, failover_hb_ms, verbose, scenario: None } => {
            hypobus::log::set_enabled(verbose);
            let cfg = DemoConfig {
                lab: LabConfig { calc_timeout: Duration::from_millis(calc_timeout_ms), ..Default::default() },
                requests,
                clients,
                per_client,
                window,
                // The failover stage runs its brokers as processes of this very program.
                broker_exe: std::env::current_exe().ok(),
                failover_hb_interval: Duration::from_millis(failover_hb_ms),
                ..Default::default()
            };
            match lab::run_demo(&cfg) {
                Ok(report) => {
                    println!("{report}");
                    if report.passed() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => fail("lab", &e),
            }
        }
    }
}

/// `hypobus broker --role …`: a broker with its failover monitor. Each state
/// change is logged on stderr by the library and printed on stdout as
/// `event <role>: active|passive <unix-ms> <reason>` for scripts.
fn run_failover_broker(xsub: String, xpub: String, hb: String, hb_interval_ms: u64, f: FailoverOpts, role: RoleOpts) -> ExitCode {
    start_role(&role);
    let interval = Duration::from_millis(hb_interval_ms);
    let mut cfg = FailoverConfig::new(f.role, &f.peer_hb);
    cfg.xsub = xsub;
    cfg.xpub = xpub;
    cfg.hb = hb.clone();
    cfg.hb_interval = interval;
    cfg.peer_interval = f.peer_interval_ms.map(Duration::from_millis);
    cfg.misses = f.misses;
    cfg.ctl = f.ctl.clone();
    let window = cfg.peer_interval.unwrap_or(interval) * f.misses;
    let mut b = match FailoverBroker::start(cfg, None) {
        Ok(b) => b,
        Err(e) => return fail("broker", &e),
    };
    let (xs, xp) = b.endpoints();
    let (hb, ctl) = b.monitor_endpoints();
    println!(
        "broker ready: role {}, xsub {xs} xpub {xp} hb {hb} every {hb_interval_ms} ms, peer hb {} (dead after {} ms of silence), ctl {}; starting passive",
        f.role.name(),
        f.peer_hb,
        window.as_millis(),
        ctl.as_deref().unwrap_or("off")
    );
    let stats = |b: &FailoverBroker| format!("{} {}", lab::fmt_broker(&b.broker_stats()), lab::fmt_failover(b.role(), &b.stats()));
    let print_event = |ev: &hypobus::lab::failover::Event| println!("{}", lab::fmt_event(f.role, ev));
    let nap = |d: Duration| {
        if let Some(ev) = b.next_event(d) {
            print_event(&ev);
        }
    };
    let alive = serve("broker", &role, &|| stats(&b), &|| b.is_running(), &nap);
    let stopped = b.stop();
    while let Some(ev) = b.next_event(Duration::ZERO) {
        print_event(&ev);
    }
    finish("broker", alive, stopped, stats(&b))
}

/// Write `text` to `path`, saying so on stderr; false on failure.
fn write_file(what: &str, path: &std::path::Path, text: &str) -> bool {
    match std::fs::write(path, text) {
        Ok(()) => {
            eprintln!("hypobus: {what} written to {}", path.display());
            true
        }
        Err(e) => {
            eprintln!("hypobus: cannot write {}: {e}", path.display());
            false
        }
    }
}

/// `hypobus lab --scenario …`: run one story, print and write its diagrams.
fn run_scenario(sc: cli::ScenarioOpts, calc_timeout_ms: u64, failover_hb_ms: u64, verbose: bool) -> ExitCode {
    use hypobus_tool::scenario::{run_scenario, ScenarioConfig};
    hypobus::log::set_enabled(verbose);
    let cfg = ScenarioConfig {
        exe: std::env::current_exe().ok(),
        calc_timeout: Duration::from_millis(calc_timeout_ms),
        hb_interval: Duration::from_millis(failover_hb_ms),
        ..ScenarioConfig::new(sc.scenario)
    };
    let rec = match run_scenario(&cfg) {
        Ok(r) => r,
        Err(e) => return fail("lab", &e),
    };
    print!("{}", rec.terminal());
    let mut ok = true;
    if let Some(p) = &sc.mermaid {
        ok &= write_file("Mermaid diagrams", p, &rec.mermaid());
    }
    if let Some(p) = &sc.svg {
        ok &= write_file("SVG diagrams", p, &rec.svg());
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `hypobus watch`: diagrams (or summary lines, or JSON) until stopped.
fn run_watch(o: cli::WatchOpts) -> ExitCode {
    use hypobus::watch::{json, render, Observer, Sampling, WatchBroker, WatchConfig, WatchEvent};
    use hypobus_tool::http::WebServer;
    hypobus::log::set_enabled(o.verbose);
    install_signal_handlers();
    let n = o.brokers.len();
    let brokers: Vec<WatchBroker> = WatchBroker::list(&o.brokers.iter().map(|(b, _)| b.clone()).collect::<Vec<_>>(), &[])
        .into_iter()
        .zip(o.brokers.iter())
        .map(|(w, (_, hb))| WatchBroker { hb: hb.clone(), ..w })
        .collect();
    let names: Vec<String> = brokers.iter().map(|b| b.name.clone()).collect();
    let text = brokers
        .iter()
        .map(|b| format!("{} {}{}", b.name, b.xpub, b.hb.as_ref().map(|h| format!(" (hb {h})")).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut cfg = WatchConfig::new(brokers);
    if o.full {
        cfg.sampling = Sampling::Full;
    }
    let obs = match Observer::start(cfg) {
        Ok(obs) => std::sync::Arc::new(obs),
        Err(e) => return fail("watch", &e),
    };
    let mut web = None;
    if let Some(addr) = &o.http {
        match WebServer::start(addr, obs.clone()) {
            Ok(w) => web = Some(w),
            Err(e) => return fail("watch", &e),
        }
    }
    let page = web.as_ref().map(|w| format!("; page http://{}/", w.addr())).unwrap_or_default();
    println!("watch ready: {n} broker(s): {text}{page}");
    let started = Instant::now();
    let mut recorded = Vec::new();
    let mut next_summary = Instant::now() + Duration::from_secs(1);
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    while !STOP.load(Ordering::SeqCst) {
        if o.duration_ms.is_some_and(|d| started.elapsed() >= Duration::from_millis(d)) {
            break;
        }
        if o.record.is_some_and(|r| recorded.len() >= r) {
            break;
        }
        if o.summary && Instant::now() >= next_summary {
            let _ = writeln!(out, "{}", render::summary_line(&obs.summary()));
            let _ = out.flush();
            next_summary += Duration::from_secs(1);
        }
        let Some(ev) = obs.next(Duration::from_millis(100)) else { continue };
        if o.json {
            let _ = writeln!(out, "{}", json::event(&ev, &names));
        }
        match ev {
            WatchEvent::Trace(t) => {
                if !o.json && !o.summary {
                    let events = obs.snapshot().timeline;
                    let _ = writeln!(out, "{}", render::terminal(&t, &names, &events));
                }
                if recorded.len() >= 1000 {
                    recorded.remove(0);
                }
                recorded.push(*t);
            }
            WatchEvent::Broker(b) if !o.json => {
                let state = if !b.alive {
                    "silent"
                } else if b.active {
                    "active"
                } else {
                    "passive"
                };
                let _ = writeln!(out, "== broker {} {state}: {} ==", b.name, b.reason);
            }
            _ => {}
        }
        let _ = out.flush();
    }
    drop(out);
    if let Some(mut w) = web.take() {
        w.stop();
    }
    let events = obs.snapshot().timeline;
    let mut ok = true;
    if let Some(p) = &o.mermaid {
        ok &= write_file("Mermaid diagrams", p, &render::mermaid_doc("Requests seen by hypobus watch", &recorded, &names, &events));
    }
    if let Some(p) = &o.svg {
        ok &= write_file("SVG diagrams", p, &render::svg(&recorded, &names, &events));
    }
    eprintln!("hypobus watch: {}", render::summary_line(&obs.summary()));
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `hypobus task-broker`: prints `task-broker ready: …` with the bound endpoints.
fn run_task_broker(cfg: hypobus::task::broker::TaskBrokerConfig, role: RoleOpts) -> ExitCode {
    use hypobus::task::broker::TaskBroker;
    use hypobus_tool::fmt_task_broker as fmt_broker;
    start_role(&role);
    let (policy, store) = (cfg.policy.name(), cfg.store.describe());
    let mut b = match TaskBroker::start(cfg) {
        Ok(b) => b,
        Err(e) => return fail("task-broker", &e),
    };
    let ep = b.endpoints().clone();
    println!(
        "task-broker ready: name {} frontend {} backend {} policy {policy} store {store}{} recovered {}",
        b.name(),
        ep.frontend,
        ep.backend,
        ep.state.map(|s| format!(" state {s}")).unwrap_or_default(),
        b.stats().recovered
    );
    let alive = serve("task-broker", &role, &|| fmt_broker(&b.stats()), &|| b.is_running(), &std::thread::sleep);
    let stopped = b.stop();
    finish("task-broker", alive, stopped, fmt_broker(&b.stats()))
}

/// `hypobus worker`: the echo worker.
fn run_worker(o: cli::WorkerOpts) -> ExitCode {
    use hypobus::task::worker::TaskWorker;
    use hypobus_tool::fmt_task_worker as fmt_worker;
    start_role(&o.role);
    let (delay, tag) = (Duration::from_millis(o.delay_ms), o.tag.clone());
    let text = format!(
        "worker ready: broker {} services {} threads {}",
        o.cfg.broker,
        if o.cfg.services.is_empty() { "(default)".to_string() } else { o.cfg.services.join(",") },
        o.cfg.capacity
    );
    let handler = move |job: &hypobus::task::worker::Job| {
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        Ok(match &tag {
            Some(t) => [t.as_bytes(), b":", &job.body].concat(),
            None => job.body.clone(),
        })
    };
    let mut w = match TaskWorker::serve(o.cfg, handler) {
        Ok(w) => w,
        Err(e) => return fail("worker", &e),
    };
    w.set_load(o.load);
    println!("{text}");
    let alive = serve("worker", &o.role, &|| fmt_worker(&w.stats()), &|| w.is_running(), &std::thread::sleep);
    let stopped = w.stop();
    finish("worker", alive, stopped, fmt_worker(&w.stats()))
}

/// `hypobus task`: every request at once, results printed in order.
fn run_task(t: cli::TaskOpts) -> ExitCode {
    use hypobus::task::client::{Outcome, TaskClient};
    hypobus::log::set_enabled(t.verbose);
    let broker = t.cfg.broker.clone();
    let c = match TaskClient::new(t.cfg) {
        Ok(c) => c,
        Err(e) => return fail("task", &e),
    };
    let mut ids = Vec::new();
    let submitted = if t.fetch.is_empty() {
        t.bodies.iter().try_for_each(|b| {
            let id = match &t.id {
                Some(id) => c.submit_with_id(id, &t.service, b.as_bytes()).map(|_| id.clone()),
                None => c.submit(&t.service, b.as_bytes()),
            }?;
            ids.push(id);
            Ok(())
        })
    } else {
        t.fetch.iter().try_for_each(|id| {
            ids.push(id.clone());
            c.fetch(id)
        })
    };
    if let Err(e) = submitted {
        return fail("task", &e);
    }
    let deadline = Instant::now() + Duration::from_millis(t.wait_ms);
    let mut outcomes = std::collections::HashMap::new();
    while outcomes.len() < ids.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match c.next(left) {
            Some(done) => {
                outcomes.insert(done.id, done.outcome);
            }
            None => break,
        }
    }
    let mut code = ExitCode::SUCCESS;
    for id in &ids {
        let shown = if t.print_ids { format!("{id}\t") } else { String::new() };
        match outcomes.remove(id) {
            Some(Outcome::Ok(body)) => println!("{shown}{}", String::from_utf8_lossy(&body)),
            Some(other) => {
                let why = match other {
                    Outcome::Failed(w) => format!("the task failed: {w}"),
                    Outcome::GaveUp(w) => w,
                    _ => format!("the broker at {broker} knows no request {id}"),
                };
                eprintln!("hypobus task: {id}: {why}");
                code = ExitCode::from(1);
            }
            None => {
                eprintln!("hypobus task: {id}: no outcome within {} ms", t.wait_ms);
                code = ExitCode::from(1);
            }
        }
    }
    hypobus::log!("task", "{}", hypobus_tool::fmt_task_client(&c.stats()));
    code
}

/// `hypobus check ROLE -- COMMAND…` (or `--batch DIR`).
fn run_check(o: cli::CheckOpts) -> ExitCode {
    use hypobus_tool::check::{self, lab::Ports, report, CheckConfig};
    hypobus::log::set_enabled(false);
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("hypobus check: cannot find this executable (the lab's brokers run as its processes)");
        return ExitCode::from(3);
    };
    let mut cfg = CheckConfig::new(o.role, o.command.clone(), exe);
    cfg.lane = o.lane;
    cfg.ports = if o.free_ports { Ports::Free } else { Ports::Standard };
    cfg.startup = Duration::from_millis(o.startup_ms);
    let mut ok = true;
    if let Some(dir) = &o.batch {
        let entries = match check::run_batch(&cfg, dir, |e| match &e.report {
            Ok(r) => eprintln!("hypobus check: {}: {}", e.name, report::summary_line(r)),
            Err(why) => eprintln!("hypobus check: {}: the check could not run: {why}", e.name),
        }) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("hypobus check: {e}");
                return ExitCode::from(3);
            }
        };
        let summary = check::batch_summary(&entries);
        print!("{summary}");
        if let Some(p) = &o.markdown {
            ok &= write_file("summary", p, &format!("# hypobus check {} --batch {}\n\n{summary}", o.role.name(), dir.display()));
        }
        if let Some(p) = &o.json {
            ok &= write_file("summary JSON", p, &check::batch_json(&entries));
        }
        let all = entries.iter().all(|e| e.report.as_ref().is_ok_and(|r| r.passed()));
        return if !ok {
            ExitCode::from(3)
        } else if all {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let r = match check::run_check(&cfg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hypobus check: the lab could not start: {e}");
            return ExitCode::from(3);
        }
    };
    print!("{}", report::table(&r));
    if let Some(p) = &o.markdown {
        ok &= write_file("Markdown report", p, &report::markdown(&r));
    }
    if let Some(p) = &o.json {
        ok &= write_file("results.json", p, &report::gradescope(&r));
    }
    if !ok {
        ExitCode::from(3)
    } else if r.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `hypobus keygen`: write NAME and NAME_secret, print the public key.
fn keygen(path: &std::path::Path, metadata: Vec<(String, String)>, force: bool) -> ExitCode {
    let secret = hypobus::security::cert::secret_path(path);
    if !force {
        if let Some(p) = [path, secret.as_path()].into_iter().find(|p| p.exists()) {
            eprintln!("hypobus keygen: {} exists (--force to overwrite)", p.display());
            return ExitCode::from(1);
        }
    }
    let cert = match Certificate::generate(metadata) {
        Ok(c) => c,
        Err(e) => return fail("keygen", &Error::Config(e.to_string())),
    };
    if let Err(e) = cert.save(path) {
        return fail("keygen", &Error::Config(e.to_string()));
    }
    println!("public key {}", cert.public);
    println!("wrote {} (public: give it to the roles that connect) and {} (secret, mode 0600)", path.display(), secret.display());
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        eprintln!("{}", cli::help(None));
        return ExitCode::from(2);
    }
    let parsed = cli::take_curve_flags(&argv).and_then(|(rest, curve)| {
        // Before any role is configured (some configs are made while
        // parsing): their configs take the process default.
        if !curve.is_empty() {
            match Curve::from_args(curve.cert.as_deref(), curve.server.as_deref(), curve.allow.as_deref()) {
                Ok(c) => hypobus::security::curve::set_process_default(c),
                Err(e) => return Ok(Err(e)),
            }
        }
        cli::parse(&rest).map(Ok)
    });
    match parsed {
        Ok(Ok(cmd)) => run(cmd),
        Ok(Err(e)) => fail("curve", &e),
        Err(Usage { msg, cmd }) => {
            let prog = match cmd {
                Some(c) => format!("hypobus {c}"),
                None => "hypobus".to_string(),
            };
            eprintln!("{prog}: {msg}");
            eprintln!("Try `{prog} --help` for more information.");
            ExitCode::from(2)
        }
    }
}
