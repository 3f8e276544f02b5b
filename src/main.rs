//! `hypobus`: every role of the hypotenuse lab from the command line.
//! This file only parses flags (see `cli.rs`) and calls the library.

mod cli;

use cli::{Command, FailoverOpts, RoleOpts, Usage};
use hypobus::broker::{Broker, BrokerConfig};
use hypobus::failover::{FailoverBroker, FailoverConfig};
use hypobus::calc::{CalcConfig, CalcNode};
use hypobus::client::{Client, ClientConfig, Mode};
use hypobus::lab::{self, DemoConfig, LabConfig};
use hypobus::net::BrokerAddr;
use hypobus::op::{OpConfig, OpNode, Operation};
use hypobus::Error;
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
            let cfg = BrokerConfig { xsub, xpub, hb, hb_interval: Duration::from_millis(hb_interval_ms), active: true, inproc: None };
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
            let mut op = match OpNode::start(OpConfig { brokers, lane }, Operation::Square) {
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
        Command::Ctl { endpoint, command, timeout_ms } => match hypobus::failover::ctl_request(&endpoint, &command, Duration::from_millis(timeout_ms)) {
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
        },
        Command::Lab { requests, clients, per_client, window, calc_timeout_ms, failover_hb_ms, verbose } => {
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
    let print_event = |ev: &hypobus::failover::Event| println!("{}", lab::fmt_event(f.role, ev));
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

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        eprintln!("{}", cli::help(None));
        return ExitCode::from(2);
    }
    match cli::parse(&argv) {
        Ok(cmd) => run(cmd),
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
