//! `hypobus`: every role of the hypotenuse lab from the command line.
//! This file only parses flags (see `cli.rs`) and calls the library.

mod cli;

use cli::{Command, RoleOpts, Usage};
use hypobus::broker::{Broker, BrokerConfig};
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

/// Wait for SIGINT/SIGTERM (polling every 100 ms), printing `stats()` every
/// `stats_every_ms`. Returns false if the role stopped by itself first.
fn serve(name: &str, opts: &RoleOpts, stats: &dyn Fn() -> String, alive: &dyn Fn() -> bool) -> bool {
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
        std::thread::sleep(nap.max(Duration::from_millis(1)));
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
        Command::Broker { xsub, xpub, hb, hb_interval_ms, role } => {
            start_role(&role);
            let cfg = BrokerConfig { xsub, xpub, hb, hb_interval: Duration::from_millis(hb_interval_ms), active: true };
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
            let alive = serve("broker", &role, &|| lab::fmt_broker(&b.stats()), &|| b.is_running());
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
            let alive = serve("op", &role, &|| lab::fmt_op(lane, &op.stats()), &|| true);
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
            let alive = serve("calc", &role, &|| lab::fmt_calc(&calc.stats()), &|| true);
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
        Command::Lab { requests, clients, per_client, window, calc_timeout_ms, verbose } => {
            hypobus::log::set_enabled(verbose);
            let cfg = DemoConfig {
                lab: LabConfig { calc_timeout: Duration::from_millis(calc_timeout_ms), ..Default::default() },
                requests,
                clients,
                per_client,
                window,
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
