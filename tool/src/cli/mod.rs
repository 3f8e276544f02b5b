//! Command-line parsing for the `hypobus` binary, by hand (no crates): turns
//! `argv` into a [`Command`] or a usage error. Nothing here runs a role.

mod help;
mod security;
pub use help::{help, COMMANDS};
pub use security::take_curve_flags;

use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::failover::Role;
use hypobus::task::broker::{PeeringConfig, Policy, TaskBrokerConfig};
use hypobus::task::client::TaskClientConfig;
use hypobus::task::store::StoreConfig;
use hypobus::task::worker::WorkerConfig;
use hypobus::wire::Number;
use hypobus_tool::check::CheckRole;
use hypobus_tool::scenario::Scenario;
use std::fmt;
use std::path::PathBuf;

/// A usage error: the message, and the command whose usage to point to.
#[derive(Debug)]
pub struct Usage {
    pub msg: String,
    pub cmd: Option<&'static str>,
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

fn usage<T>(cmd: &'static str, msg: impl Into<String>) -> Result<T, Usage> {
    Err(Usage { msg: msg.into(), cmd: Some(cmd) })
}

/// Options every long-running role shares.
#[derive(Debug, Clone, Default)]
pub struct RoleOpts {
    /// No event logs on stderr.
    pub quiet: bool,
    /// Print the counters every this many ms (0 = never).
    pub stats_every_ms: u64,
}

/// The failover part of `hypobus broker --role …`.
#[derive(Debug, Clone)]
pub struct FailoverOpts {
    pub role: Role,
    /// The other broker's heartbeat endpoint (connected).
    pub peer_hb: String,
    /// The other broker's heartbeat period; `None`: the same as ours.
    pub peer_interval_ms: Option<u64>,
    /// Missed peer heartbeats before the peer counts as dead.
    pub misses: u32,
    /// Control endpoint (REP, bound) for `hypobus ctl`.
    pub ctl: Option<String>,
}

#[derive(Debug)]
pub enum Command {
    /// `hypobus help [CMD]`, `--help`.
    Help(Option<&'static str>),
    Version,
    /// A plain broker (`failover: None`) or one of a primary/backup pair.
    Broker {
        xsub: String,
        xpub: String,
        hb: Option<String>,
        hb_interval_ms: u64,
        failover: Option<FailoverOpts>,
        role: RoleOpts,
    },
    Op {
        lane: u32,
        brokers: Vec<BrokerAddr>,
        role: RoleOpts,
    },
    Calc {
        brokers: Vec<BrokerAddr>,
        timeout_ms: u64,
        role: RoleOpts,
    },
    Client {
        a: String,
        b: String,
        brokers: Vec<BrokerAddr>,
        classic: bool,
        timeout_ms: u64,
        verbose: bool,
    },
    Lab {
        requests: usize,
        clients: usize,
        per_client: usize,
        window: usize,
        calc_timeout_ms: u64,
        failover_hb_ms: u64,
        verbose: bool,
        scenario: Option<ScenarioOpts>,
    },
    /// `hypobus watch …`.
    Watch(WatchOpts),
    /// `hypobus ctl EP status|handback`.
    Ctl {
        endpoint: String,
        command: String,
        timeout_ms: u64,
    },
    /// `hypobus task-broker …`.
    TaskBroker {
        cfg: TaskBrokerConfig,
        role: RoleOpts,
    },
    /// `hypobus worker …`: an echo worker (see `WorkerOpts`).
    Worker(WorkerOpts),
    /// `hypobus task …`.
    Task(TaskOpts),
    /// `hypobus check ROLE -- COMMAND…`.
    Check(CheckOpts),
    /// `hypobus keygen NAME`: a CURVE certificate pair.
    Keygen {
        path: PathBuf,
        metadata: Vec<(String, String)>,
        force: bool,
    },
}

/// `hypobus lab --scenario …`: which story to record and where to write it.
#[derive(Debug, Clone)]
pub struct ScenarioOpts {
    pub scenario: Scenario,
    pub mermaid: Option<PathBuf>,
    pub svg: Option<PathBuf>,
}

/// `hypobus watch`: what to watch and how to show it.
#[derive(Debug, Clone)]
pub struct WatchOpts {
    /// The brokers, each with its heartbeat endpoint if known.
    pub brokers: Vec<(BrokerAddr, Option<String>)>,
    /// One summary line per second instead of a diagram per request.
    pub summary: bool,
    /// Serve the live page on this address (`127.0.0.1:8080`).
    pub http: Option<String>,
    /// Stop after this many requests.
    pub record: Option<usize>,
    pub mermaid: Option<PathBuf>,
    pub svg: Option<PathBuf>,
    /// One JSON object per line instead of diagrams.
    pub json: bool,
    /// Every message, no sampling under load.
    pub full: bool,
    /// Stop after this long.
    pub duration_ms: Option<u64>,
    pub verbose: bool,
}

/// `hypobus check`: what to grade and where to write the reports.
#[derive(Debug, Clone)]
pub struct CheckOpts {
    pub role: CheckRole,
    pub lane: u32,
    pub command: Vec<String>,
    pub free_ports: bool,
    pub startup_ms: u64,
    pub markdown: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub batch: Option<PathBuf>,
}

/// `hypobus worker`: what its built-in handler does.
#[derive(Debug, Clone)]
pub struct WorkerOpts {
    pub cfg: WorkerConfig,
    /// Sleep this long per request (simulated work).
    pub delay_ms: u64,
    /// Report this load instead of the share of busy slots.
    pub load: Option<u32>,
    /// Answer `TAG:request` instead of the request itself.
    pub tag: Option<String>,
    pub role: RoleOpts,
}

/// `hypobus task`: the requests (or fetches) to make.
#[derive(Debug, Clone)]
pub struct TaskOpts {
    pub cfg: TaskClientConfig,
    pub service: String,
    pub bodies: Vec<String>,
    /// The id of the (one) request, instead of a fresh one.
    pub id: Option<String>,
    /// Ids to fetch instead of sending requests.
    pub fetch: Vec<String>,
    /// Print `ID<TAB>result` lines.
    pub print_ids: bool,
    /// Give up on the whole batch after this long.
    pub wait_ms: u64,
    pub verbose: bool,
}

/// Walks the arguments of one command.
struct Args<'a> {
    cmd: &'static str,
    it: std::slice::Iter<'a, String>,
    positional: Vec<String>,
}

impl<'a> Args<'a> {
    /// The next flag (`Some(name, inline_value)`), collecting positionals on the way.
    fn next_flag(&mut self) -> Result<Option<(String, Option<String>)>, Usage> {
        while let Some(a) = self.it.next() {
            if a == "--" {
                self.positional.extend(self.it.by_ref().cloned());
                return Ok(None);
            }
            // `-3` or `-.5` is a (bad) number, not a flag: let the value check say why.
            let looks_numeric = a.len() > 1 && a[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.');
            if a.starts_with('-') && a.len() > 1 && !looks_numeric {
                return Ok(Some(match a.split_once('=') {
                    Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
                    _ => (a.clone(), None),
                }));
            }
            self.positional.push(a.clone());
        }
        Ok(None)
    }

    fn value(&mut self, flag: &str, inline: Option<String>) -> Result<String, Usage> {
        if let Some(v) = inline {
            return Ok(v);
        }
        match self.it.next() {
            Some(v) => Ok(v.clone()),
            None => usage(self.cmd, format!("{flag} needs a value")),
        }
    }

    fn number<T: std::str::FromStr + PartialOrd + fmt::Display>(&mut self, flag: &str, inline: Option<String>, min: T) -> Result<T, Usage> {
        let v = self.value(flag, inline)?;
        match v.parse::<T>() {
            Ok(n) if n >= min => Ok(n),
            _ => usage(self.cmd, format!("{flag} needs a whole number >= {min}, not {v:?}")),
        }
    }

    fn no_value(&self, flag: &str, inline: &Option<String>) -> Result<(), Usage> {
        match inline {
            Some(_) => usage(self.cmd, format!("{flag} takes no value")),
            None => Ok(()),
        }
    }

    /// The flags every long-running role shares (`--quiet`,
    /// `--stats-every-ms`); anything else is an unknown flag.
    fn role_flag(&mut self, flag: &str, inline: Option<String>, role: &mut RoleOpts) -> Result<(), Usage> {
        match flag {
            "--quiet" | "-q" => {
                self.no_value(flag, &inline)?;
                role.quiet = true;
            }
            "--stats-every-ms" => role.stats_every_ms = self.number(flag, inline, 1u64)?,
            _ => return self.unknown(flag),
        }
        Ok(())
    }

    fn unknown<T>(&self, flag: &str) -> Result<T, Usage> {
        usage(self.cmd, format!("unknown option {flag} for `hypobus {}`", self.cmd))
    }

    fn no_positionals(&self) -> Result<(), Usage> {
        match self.positional.first() {
            Some(p) => usage(self.cmd, format!("unexpected argument {p:?}")),
            None => Ok(()),
        }
    }
}

/// A `--broker` value: a broker list, as the C ABI and the bindings take it.
fn broker_list(cmd: &'static str, s: &str) -> Result<Vec<BrokerAddr>, Usage> {
    if s.trim().is_empty() {
        return Err(Usage { msg: "--broker needs a broker (HOST, HOST:XSUB:XPUB, XSUB_EP|XPUB_EP, ...)".into(), cmd: Some(cmd) });
    }
    BrokerAddr::parse_list(s)
        .map_err(|e| Usage { msg: format!("--broker: {}", e.to_string().trim_start_matches("configuration error: ")), cmd: Some(cmd) })
}

/// A bind endpoint: `tcp://…`, `ipc://…`, `inproc://…`, or a bare port (`5555` → `tcp://*:5555`).
fn endpoint(cmd: &'static str, flag: &str, s: &str) -> Result<String, Usage> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u16>() {
            Ok(p) => Ok(format!("tcp://*:{p}")),
            Err(_) => usage(cmd, format!("{flag}: port {s} is out of range (0..65535)")),
        };
    }
    match s.split_once("://") {
        Some((t, rest)) if !t.is_empty() && !rest.is_empty() => Ok(s.to_string()),
        _ => usage(cmd, format!("{flag}: {s:?} is not an endpoint (expected e.g. tcp://*:5555 or a port number)")),
    }
}

/// An endpoint to connect to: `tcp://HOST:PORT` (any `…://…`), `HOST:PORT`,
/// or a bare port (`5560` → `tcp://127.0.0.1:5560`).
fn connect_endpoint(cmd: &'static str, flag: &str, s: &str) -> Result<String, Usage> {
    let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0);
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match port(s) {
            Some(p) => Ok(format!("tcp://127.0.0.1:{p}")),
            None => usage(cmd, format!("{flag}: port {s} is out of range (1..65535)")),
        };
    }
    if let Some((t, rest)) = s.split_once("://") {
        if !t.is_empty() && !rest.is_empty() && !rest.starts_with('*') {
            return Ok(s.to_string());
        }
    } else if let Some((h, p)) = s.rsplit_once(':') {
        if !h.is_empty() && !h.contains(char::is_whitespace) && port(p).is_some() {
            return Ok(format!("tcp://{s}"));
        }
    }
    usage(
        cmd,
        format!("{flag}: {s:?} is not an endpoint to connect to (expected e.g. tcp://10.0.0.2:5560, 10.0.0.2:5560 or a port number)"),
    )
}

fn cathetus(cmd: &'static str, name: &str, s: &str) -> Result<String, Usage> {
    match Number::parse(s.as_bytes()) {
        Ok(_) => Ok(s.to_string()),
        Err(e) => usage(cmd, format!("cathetus {name} {s:?}: {e} (expected a non-negative decimal number such as 12 or 1.5)")),
    }
}

fn command_name(s: &str) -> Option<&'static str> {
    COMMANDS.iter().copied().find(|c| *c == s)
}

/// Parse `argv[1..]`.
pub fn parse(argv: &[String]) -> Result<Command, Usage> {
    let Some(first) = argv.first() else {
        return Err(Usage { msg: "no command given".into(), cmd: None });
    };
    let cmd = match first.as_str() {
        "-h" | "--help" => return Ok(Command::Help(None)),
        "-V" | "--version" => return Ok(Command::Version),
        "help" => {
            return match argv.get(1) {
                None => Ok(Command::Help(None)),
                Some(c) => match command_name(c) {
                    Some(c) => Ok(Command::Help(Some(c))),
                    None => Err(Usage { msg: format!("no such command {c:?}"), cmd: None }),
                },
            }
        }
        c => match command_name(c) {
            Some(c) => c,
            None => return Err(Usage { msg: format!("unknown command {c:?}"), cmd: None }),
        },
    };
    let mut a = Args { cmd, it: argv[1..].iter(), positional: Vec::new() };
    let mut brokers = Vec::new();
    let mut role = RoleOpts::default();
    match cmd {
        "broker" => {
            let (mut xsub, mut xpub) = ("tcp://*:5555".to_string(), "tcp://*:5556".to_string());
            let (mut hb, mut no_hb, mut hb_interval_ms) = (Some("tcp://*:5560".to_string()), false, None);
            let (mut fo_role, mut peer_hb, mut peer_interval_ms, mut misses, mut ctl) = (None, None, None, None, None);
            // The failover flags given, to say which one needs --role.
            let mut fo_flags: Vec<String> = Vec::new();
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
                    "--xsub" => xsub = endpoint(cmd, &f, &a.value(&f, v)?)?,
                    "--xpub" => xpub = endpoint(cmd, &f, &a.value(&f, v)?)?,
                    "--hb" => hb = Some(endpoint(cmd, &f, &a.value(&f, v)?)?),
                    "--hb-interval-ms" => hb_interval_ms = Some(a.number(&f, v, 1u64)?),
                    "--no-hb" => {
                        a.no_value(&f, &v)?;
                        no_hb = true;
                    }
                    "--role" => {
                        let r = a.value(&f, v)?;
                        match Role::parse(&r) {
                            Ok(r) => fo_role = Some(r),
                            Err(_) => return usage(cmd, format!("--role must be primary or backup, not {r:?}")),
                        }
                    }
                    "--peer-hb" => {
                        peer_hb = Some(connect_endpoint(cmd, &f, &a.value(&f, v)?)?);
                        fo_flags.push(f);
                    }
                    "--peer-interval-ms" => {
                        peer_interval_ms = Some(a.number(&f, v, 1u64)?);
                        fo_flags.push(f);
                    }
                    "--misses" => {
                        misses = Some(a.number(&f, v, 1u32)?);
                        fo_flags.push(f);
                    }
                    "--ctl" => {
                        ctl = Some(endpoint(cmd, &f, &a.value(&f, v)?)?);
                        fo_flags.push(f);
                    }
                    _ => a.role_flag(&f, v, &mut role)?,
                }
            }
            a.no_positionals()?;
            if no_hb {
                if hb_interval_ms.is_some() {
                    return usage(cmd, "--no-hb and --hb-interval-ms contradict each other");
                }
                if fo_role.is_some() {
                    return usage(cmd, "--no-hb cannot go with --role: the brokers of a pair watch each other's heartbeats");
                }
                hb = None;
            }
            let failover = match fo_role {
                None => {
                    if let Some(f) = fo_flags.first() {
                        return usage(cmd, format!("{f} only applies to a failover broker (--role primary|backup)"));
                    }
                    None
                }
                Some(r) => match peer_hb {
                    Some(peer_hb) => Some(FailoverOpts { role: r, peer_hb, peer_interval_ms, misses: misses.unwrap_or(3), ctl }),
                    None => {
                        return usage(cmd, format!("--role {} needs --peer-hb EP: the other broker's heartbeat endpoint", r.name()));
                    }
                },
            };
            Ok(Command::Broker { xsub, xpub, hb, hb_interval_ms: hb_interval_ms.unwrap_or(1000), failover, role })
        }
        "op" | "calc" => {
            let (mut lane, mut timeout_ms) = (None, 2000u64);
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
                    "--broker" => brokers.extend(broker_list(cmd, &a.value(&f, v)?)?),
                    "--lane" if cmd == "op" => lane = Some(a.number(&f, v, 1u32)?),
                    "--timeout-ms" if cmd == "calc" => timeout_ms = a.number(&f, v, 1u64)?,
                    _ => a.role_flag(&f, v, &mut role)?,
                }
            }
            a.no_positionals()?;
            if brokers.is_empty() {
                brokers.push(BrokerAddr::default());
            }
            if cmd == "op" {
                match lane {
                    Some(lane) => Ok(Command::Op { lane, brokers, role }),
                    None => usage(cmd, "--lane is required (1 for cathetus a, 2 for cathetus b)"),
                }
            } else {
                Ok(Command::Calc { brokers, timeout_ms, role })
            }
        }
        "client" => {
            let (mut classic, mut timeout_ms, mut verbose) = (false, 5000u64, false);
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
                    "--broker" => brokers.extend(broker_list(cmd, &a.value(&f, v)?)?),
                    "--classic" => {
                        a.no_value(&f, &v)?;
                        classic = true
                    }
                    "--timeout-ms" => timeout_ms = a.number(&f, v, 1u64)?,
                    "-v" | "--verbose" => {
                        a.no_value(&f, &v)?;
                        verbose = true
                    }
                    _ => return a.unknown(&f),
                }
            }
            let (x, y) = match a.positional.as_slice() {
                [x, y] => (x, y),
                [] | [_] => return usage(cmd, "two catheti are needed: hypobus client A B"),
                [_, _, extra, ..] => return usage(cmd, format!("unexpected argument {extra:?} (only two catheti)")),
            };
            let (a_, b_) = (cathetus(cmd, "A", x)?, cathetus(cmd, "B", y)?);
            if brokers.is_empty() {
                brokers.push(BrokerAddr::default());
            }
            Ok(Command::Client { a: a_, b: b_, brokers, classic, timeout_ms, verbose })
        }
        "lab" => {
            let (mut requests, mut clients, mut per_client, mut window, mut calc_timeout_ms, mut verbose) = (3000, 8, 200, 256, 300, false);
            let mut failover_hb_ms = 100u64;
            let (mut scenario, mut mermaid, mut svg) = (None, None, None);
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
                    "--scenario" => {
                        let s = a.value(&f, v)?;
                        scenario = Some(Scenario::parse(&s).ok_or_else(|| Usage {
                            msg: format!("--scenario must be normal, fallback or failover, not {s:?}"),
                            cmd: Some(cmd),
                        })?);
                    }
                    "--mermaid" => mermaid = Some(PathBuf::from(a.value(&f, v)?)),
                    "--svg" => svg = Some(PathBuf::from(a.value(&f, v)?)),
                    "--requests" => requests = a.number(&f, v, 1usize)?,
                    "--clients" => clients = a.number(&f, v, 1usize)?,
                    "--per-client" => per_client = a.number(&f, v, 1usize)?,
                    "--window" => window = a.number(&f, v, 1usize)?,
                    "--calc-timeout-ms" => calc_timeout_ms = a.number(&f, v, 1u64)?,
                    "--failover-hb-ms" => failover_hb_ms = a.number(&f, v, 1u64)?,
                    "-v" | "--verbose" => {
                        a.no_value(&f, &v)?;
                        verbose = true
                    }
                    _ => return a.unknown(&f),
                }
            }
            a.no_positionals()?;
            let scenario = match (scenario, mermaid.is_some() || svg.is_some()) {
                (Some(scenario), _) => Some(ScenarioOpts { scenario, mermaid, svg }),
                (None, true) => return usage(cmd, "--mermaid and --svg go with --scenario normal|fallback|failover"),
                (None, false) => None,
            };
            Ok(Command::Lab { requests, clients, per_client, window, calc_timeout_ms, failover_hb_ms, verbose, scenario })
        }
        "ctl" => {
            let mut timeout_ms = 2000u64;
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
                    "--timeout-ms" => timeout_ms = a.number(&f, v, 1u64)?,
                    _ => return a.unknown(&f),
                }
            }
            let (ep, what) = match a.positional.as_slice() {
                [ep, what] => (ep, what),
                [] | [_] => return usage(cmd, "an endpoint and a command are needed: hypobus ctl EP status|handback"),
                [_, _, extra, ..] => return usage(cmd, format!("unexpected argument {extra:?}")),
            };
            let endpoint = connect_endpoint(cmd, "EP", ep)?;
            match what.as_str() {
                "status" | "handback" => Ok(Command::Ctl { endpoint, command: what.clone(), timeout_ms }),
                other => usage(cmd, format!("unknown ctl command {other:?} (status or handback)")),
            }
        }
        "watch" => parse_watch(&mut a),
        "check" => parse_check(&mut a),
        "keygen" => security::parse_keygen(&mut a),
        "task-broker" => parse_task_broker(&mut a, role),
        "worker" => parse_worker(&mut a, role),
        "task" => parse_task(&mut a),
        _ => unreachable!("every command is handled"),
    }
}

fn ms(v: u64) -> std::time::Duration {
    std::time::Duration::from_millis(v)
}

fn parse_check(a: &mut Args<'_>) -> Result<Command, Usage> {
    let cmd = a.cmd;
    let (mut lane, mut free_ports, mut startup_ms, mut markdown, mut json, mut batch) = (1u32, false, 20_000u64, None, None, None);
    while let Some((f, v)) = a.next_flag()? {
        match f.as_str() {
            "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
            "--lane" => lane = a.number(&f, v, 1u32)?,
            "--free-ports" => {
                a.no_value(&f, &v)?;
                free_ports = true;
            }
            "--startup-ms" => startup_ms = a.number(&f, v, 1u64)?,
            "--markdown" => markdown = Some(PathBuf::from(a.value(&f, v)?)),
            "--json" => json = Some(PathBuf::from(a.value(&f, v)?)),
            "--batch" => batch = Some(PathBuf::from(a.value(&f, v)?)),
            _ => return a.unknown(&f),
        }
    }
    let Some((first, command)) = a.positional.split_first() else {
        return usage(cmd, "a role and a command are needed: hypobus check calc|op|client|broker|backup -- COMMAND...");
    };
    let Some(role) = CheckRole::parse(first) else {
        return usage(cmd, format!("unknown role {first:?} (calc, op, client, broker or backup)"));
    };
    if command.is_empty() {
        return usage(cmd, "no command to check: hypobus check ROLE -- COMMAND...");
    }
    if lane != 1 && role != CheckRole::Op {
        return usage(cmd, "--lane goes with the op role");
    }
    Ok(Command::Check(CheckOpts { role, lane, command: command.to_vec(), free_ports, startup_ms, markdown, json, batch }))
}

fn parse_watch(a: &mut Args<'_>) -> Result<Command, Usage> {
    let cmd = a.cmd;
    let mut o = WatchOpts {
        brokers: Vec::new(),
        summary: false,
        http: None,
        record: None,
        mermaid: None,
        svg: None,
        json: false,
        full: false,
        duration_ms: None,
        verbose: false,
    };
    // A bare HOST has the lab's heartbeat port.
    let default_hb = |s: &str| (!s.contains(':') && !s.contains('|') && !s.starts_with("inproc")).then(|| format!("tcp://{s}:5560"));
    while let Some((f, v)) = a.next_flag()? {
        match f.as_str() {
            "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
            "--broker" => {
                for b in a.value(&f, v)?.split(',') {
                    let b = b.trim();
                    o.brokers.push((broker_list(cmd, b)?.remove(0), default_hb(b)));
                }
            }
            "--hb" => {
                let ep = connect_endpoint(cmd, &f, &a.value(&f, v)?)?;
                match o.brokers.last_mut() {
                    Some(b) => b.1 = Some(ep),
                    None => return usage(cmd, "--hb goes after the --broker it belongs to"),
                }
            }
            "--summary" => {
                a.no_value(&f, &v)?;
                o.summary = true;
            }
            "--http" => {
                let addr = a.value(&f, v)?;
                if addr.parse::<std::net::SocketAddr>().is_err() {
                    return usage(cmd, format!("--http needs ADDR:PORT such as 127.0.0.1:8080, not {addr:?}"));
                }
                o.http = Some(addr);
            }
            "--record" => o.record = Some(a.number(&f, v, 1usize)?),
            "--mermaid" => o.mermaid = Some(PathBuf::from(a.value(&f, v)?)),
            "--svg" => o.svg = Some(PathBuf::from(a.value(&f, v)?)),
            "--json" => {
                a.no_value(&f, &v)?;
                o.json = true;
            }
            "--full" => {
                a.no_value(&f, &v)?;
                o.full = true;
            }
            "--duration-ms" => o.duration_ms = Some(a.number(&f, v, 1u64)?),
            "-v" | "--verbose" => {
                a.no_value(&f, &v)?;
                o.verbose = true;
            }
            _ => return a.unknown(&f),
        }
    }
    a.no_positionals()?;
    if o.summary && o.json {
        return usage(cmd, "--summary and --json contradict each other");
    }
    if o.brokers.is_empty() {
        o.brokers.push((BrokerAddr::default(), Some("tcp://127.0.0.1:5560".into())));
    }
    Ok(Command::Watch(o))
}

fn parse_task_broker(a: &mut Args<'_>, mut role: RoleOpts) -> Result<Command, Usage> {
    let cmd = a.cmd;
    let mut cfg = TaskBrokerConfig { frontend: "tcp://*:5570".into(), backend: "tcp://*:5571".into(), ..Default::default() };
    let (mut state, mut peers, mut peer_interval, mut full_sync) = (None, Vec::new(), 1000u64, false);
    while let Some((f, v)) = a.next_flag()? {
        match f.as_str() {
            "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
            "--frontend" => cfg.frontend = endpoint(cmd, &f, &a.value(&f, v)?)?,
            "--backend" => cfg.backend = endpoint(cmd, &f, &a.value(&f, v)?)?,
            "--policy" => {
                let p = a.value(&f, v)?;
                cfg.policy =
                    Policy::parse(&p).map_err(|_| Usage { msg: format!("--policy must be lru or load, not {p:?}"), cmd: Some(cmd) })?;
            }
            "--store" => {
                let s = a.value(&f, v)?;
                cfg.store = StoreConfig::parse(&s, false).map_err(|_| Usage {
                    msg: format!("--store must be memory, sqlite:PATH or postgres://USER@HOST:PORT/DB, not {s:?}"),
                    cmd: Some(cmd),
                })?;
            }
            "--db" => cfg.store = StoreConfig::Sqlite { path: a.value(&f, v)?.into(), full_sync: false },
            "--full-sync" => {
                a.no_value(&f, &v)?;
                full_sync = true;
            }
            "--answer-timeout-ms" => cfg.answer_timeout = ms(a.number(&f, v, 1u64)?),
            "--max-attempts" => cfg.max_attempts = a.number(&f, v, 1u32)?,
            "--service-wait-ms" => cfg.service_wait = ms(a.number(&f, v, 0u64)?),
            "--hb-interval-ms" => cfg.hb_interval = ms(a.number(&f, v, 1u64)?),
            "--liveness" => cfg.liveness = a.number(&f, v, 1u32)?,
            "--name" => cfg.name = a.value(&f, v)?,
            "--state" => state = Some(endpoint(cmd, &f, &a.value(&f, v)?)?),
            "--peer" => {
                let p = a.value(&f, v)?;
                let Some((st, fe)) = p.split_once(['|', ',']) else {
                    return usage(cmd, format!("--peer needs 'STATE_EP|FRONTEND_EP', not {p:?}"));
                };
                peers.push((connect_endpoint(cmd, "--peer", st.trim())?, connect_endpoint(cmd, "--peer", fe.trim())?));
            }
            "--peer-interval-ms" => peer_interval = a.number(&f, v, 1u64)?,
            _ => a.role_flag(&f, v, &mut role)?,
        }
    }
    a.no_positionals()?;
    if full_sync {
        match &mut cfg.store {
            StoreConfig::Sqlite { full_sync, .. } | StoreConfig::Postgres { full_sync, .. } => *full_sync = true,
            StoreConfig::Memory => return usage(cmd, "--full-sync needs a file or a database (--db PATH, --store postgres://…)"),
        }
    }
    match (state, peers.is_empty()) {
        (Some(state), false) => cfg.peering = Some(PeeringConfig { state, peers, interval: ms(peer_interval) }),
        (None, true) => {}
        (None, false) => return usage(cmd, "--peer needs --state EP (where this broker publishes its own capacity)"),
        (Some(_), true) => return usage(cmd, "--state needs at least one --peer"),
    }
    Ok(Command::TaskBroker { cfg, role })
}

fn parse_worker(a: &mut Args<'_>, mut role: RoleOpts) -> Result<Command, Usage> {
    let cmd = a.cmd;
    let mut cfg = WorkerConfig::new("tcp://127.0.0.1:5571");
    let (mut delay_ms, mut load, mut tag) = (0u64, None, None);
    while let Some((f, v)) = a.next_flag()? {
        match f.as_str() {
            "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
            "--broker" => cfg.broker = connect_endpoint(cmd, &f, &a.value(&f, v)?)?,
            "--service" => {
                let s = a.value(&f, v)?;
                if !hypobus::wire::task::valid_service(s.as_bytes()) {
                    return usage(cmd, format!("--service {s:?}: at most 64 of A-Z a-z 0-9 . _ - : /"));
                }
                cfg.services.push(s);
            }
            "--threads" => cfg.capacity = a.number(&f, v, 1u32)?,
            "--delay-ms" => delay_ms = a.number(&f, v, 0u64)?,
            "--load" => load = Some(a.number(&f, v, 0u32)?),
            "--tag" => tag = Some(a.value(&f, v)?),
            "--hb-interval-ms" => cfg.hb_interval = ms(a.number(&f, v, 1u64)?),
            "--liveness" => cfg.liveness = a.number(&f, v, 1u32)?,
            "--name" => cfg.name = a.value(&f, v)?,
            _ => a.role_flag(&f, v, &mut role)?,
        }
    }
    a.no_positionals()?;
    Ok(Command::Worker(WorkerOpts { cfg, delay_ms, load, tag, role }))
}

fn parse_task(a: &mut Args<'_>) -> Result<Command, Usage> {
    let cmd = a.cmd;
    let mut cfg = TaskClientConfig::new("tcp://127.0.0.1:5570");
    let (mut service, mut id, mut fetch, mut print_ids, mut wait_ms, mut verbose) = (String::new(), None, Vec::new(), false, None, false);
    while let Some((f, v)) = a.next_flag()? {
        match f.as_str() {
            "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
            "--broker" => cfg.broker = connect_endpoint(cmd, &f, &a.value(&f, v)?)?,
            "--service" => service = a.value(&f, v)?,
            "--timeout-ms" => cfg.timeout = ms(a.number(&f, v, 1u64)?),
            "--tries" => cfg.tries = a.number(&f, v, 1u32)?,
            "--id" => id = Some(a.value(&f, v)?),
            "--fetch" => fetch.push(a.value(&f, v)?),
            "--ids" => {
                a.no_value(&f, &v)?;
                print_ids = true;
            }
            "--wait-ms" => wait_ms = Some(a.number(&f, v, 1u64)?),
            "-v" | "--verbose" => {
                a.no_value(&f, &v)?;
                verbose = true;
            }
            _ => return a.unknown(&f),
        }
    }
    let bodies = std::mem::take(&mut a.positional);
    if !hypobus::wire::task::valid_service(service.as_bytes()) {
        return usage(cmd, format!("--service {service:?}: at most 64 of A-Z a-z 0-9 . _ - : /"));
    }
    for i in id.iter().chain(fetch.iter()) {
        if !hypobus::wire::task::valid_id(i.as_bytes()) {
            return usage(cmd, format!("bad request id {i:?} (1-128 printable ASCII characters, no space)"));
        }
    }
    match (bodies.len(), fetch.is_empty()) {
        (0, true) => return usage(cmd, "nothing to do: give request bodies, or --fetch ID"),
        (n, false) if n > 0 => return usage(cmd, "--fetch takes no request bodies"),
        (n, _) if n != 1 && id.is_some() => return usage(cmd, "--id goes with exactly one request body"),
        _ => {}
    }
    let wait_ms = wait_ms.unwrap_or(cfg.timeout.as_millis() as u64 * cfg.tries as u64 + 1000);
    Ok(Command::Task(TaskOpts { cfg, service, bodies, id, fetch, print_ids, wait_ms, verbose }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, Usage> {
        let v: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(&v)
    }

    #[test]
    fn parses() {
        assert!(matches!(p("broker --xsub 17555 --no-hb"), Ok(Command::Broker { hb: None, ref xsub, .. }) if xsub == "tcp://*:17555"));
        assert!(matches!(p("op --lane=2 --broker 127.0.0.1:1:2"), Ok(Command::Op { lane: 2, .. })));
        // One broker-list grammar: comma-separated as in the C ABI and the bindings, or --broker repeated.
        let list = "a:1:2,tcp://b:3|tcp://b:4";
        let want = vec![BrokerAddr::new("a", 1, 2), BrokerAddr::parse("tcp://b:3|tcp://b:4").unwrap()];
        assert_eq!(want, BrokerAddr::parse_list(list).unwrap());
        assert!(matches!(p(&format!("calc --broker {list}")), Ok(Command::Calc { ref brokers, .. }) if *brokers == want));
        assert!(
            matches!(p("client 1 2 --broker a:1:2 --broker tcp://b:3|tcp://b:4"), Ok(Command::Client { ref brokers, .. }) if *brokers == want)
        );
        assert!(
            matches!(p("watch --broker h,g"), Ok(Command::Watch(ref w)) if w.brokers.len() == 2 && w.brokers[1].1.as_deref() == Some("tcp://g:5560"))
        );
        for bad in ["calc --broker a,,b", "calc --broker a,", "watch --broker a,"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert!(broker_list("calc", " ").is_err(), "an empty --broker");
        assert!(matches!(p("client 12 13 --classic"), Ok(Command::Client { classic: true, .. })));
        assert!(matches!(p("client -- 12 13"), Ok(Command::Client { .. })));
        assert!(matches!(p("calc --help"), Ok(Command::Help(Some("calc")))));
        assert!(
            matches!(p("check op --lane 2 --free-ports -- python3 op.py --x {lane}"), Ok(Command::Check(ref c)) if c.lane == 2 && c.free_ports && c.command == ["python3", "op.py", "--x", "{lane}"])
        );
        for bad in ["check", "check calc", "check nope -- x", "check calc --lane 2 -- x"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert!(matches!(p("help lab"), Ok(Command::Help(Some("lab")))));
        assert!(matches!(p("broker"), Ok(Command::Broker { failover: None, .. })));
        match p("broker --role backup --peer-hb 5560 --misses 5 --ctl 5570 --peer-interval-ms 1000") {
            Ok(Command::Broker { failover: Some(f), hb: Some(_), .. }) => {
                assert_eq!(
                    (f.role, f.peer_hb.as_str(), f.misses, f.peer_interval_ms),
                    (Role::Backup, "tcp://127.0.0.1:5560", 5, Some(1000))
                );
                assert_eq!(f.ctl.as_deref(), Some("tcp://*:5570"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(p("broker --role primary --peer-hb hostb:5560"), Ok(Command::Broker { failover: Some(ref f), .. }) if f.peer_hb == "tcp://hostb:5560" && f.misses == 3)
        );
        match p("ctl 5570 handback --timeout-ms 500") {
            Ok(Command::Ctl { endpoint, command, timeout_ms }) => {
                assert_eq!((endpoint.as_str(), command.as_str(), timeout_ms), ("tcp://127.0.0.1:5570", "handback", 500))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(p("ctl tcp://10.0.0.2:5570 status"), Ok(Command::Ctl { .. })));
        assert!(matches!(p("lab --failover-hb-ms 50"), Ok(Command::Lab { failover_hb_ms: 50, .. })));
        assert!(matches!(
            p("lab --scenario failover --mermaid x.md"),
            Ok(Command::Lab { scenario: Some(ScenarioOpts { scenario: Scenario::Failover, .. }), .. })
        ));
        match p("watch --broker h --broker 127.0.0.1:1:2 --hb 9 --summary --http 127.0.0.1:0 --record 3") {
            Ok(Command::Watch(w)) => {
                assert_eq!(w.brokers[0].1.as_deref(), Some("tcp://h:5560"));
                assert_eq!(w.brokers[1].1.as_deref(), Some("tcp://127.0.0.1:9"));
                assert!(w.summary && w.record == Some(3) && w.http.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(p("watch"), Ok(Command::Watch(ref w)) if w.brokers.len() == 1 && w.brokers[0].1.is_some()));
        for bad in [
            "watch --hb 5560",
            "watch --http 8080",
            "watch --record 0",
            "watch --summary --json",
            "watch x",
            "lab --svg x.svg",
            "lab --scenario odd",
        ] {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
        match p("task-broker --policy load --db /tmp/x.db --answer-timeout-ms 300 --state 5572 --peer 127.0.0.1:6572|127.0.0.1:6570") {
            Ok(Command::TaskBroker { cfg, .. }) => {
                assert_eq!((cfg.policy, cfg.answer_timeout.as_millis(), cfg.frontend.as_str()), (Policy::Load, 300, "tcp://*:5570"));
                assert!(matches!(cfg.store, StoreConfig::Sqlite { .. }));
                assert_eq!(cfg.peering.unwrap().peers, vec![("tcp://127.0.0.1:6572".to_string(), "tcp://127.0.0.1:6570".to_string())]);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(p("worker --service A --service B --threads 4 --tag x"), Ok(Command::Worker(ref w)) if w.cfg.capacity == 4 && w.cfg.services.len() == 2)
        );
        assert!(matches!(p("task a b c --service A"), Ok(Command::Task(ref t)) if t.bodies.len() == 3 && t.service == "A"));
        assert!(matches!(p("task --fetch id-1"), Ok(Command::Task(ref t)) if t.fetch == ["id-1"]));
        for bad in [
            "task",
            "task --fetch x y",
            "task --id a b c",
            "task --service a,b x",
            "task-broker --policy fifo",
            "task-broker --peer 1|2",
            "task-broker --state 5572",
            "task-broker --full-sync",
            "task-broker --store disk",
            "worker --threads 0",
            "worker --service a,b",
            "task --fetch 'a b'",
        ] {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
        for bad in [
            "",
            "nope",
            "op",
            "op --lane 0",
            "op --lane x",
            "calc --timeout-ms",
            "client 12",
            "client 12 abc",
            "client -3 4",
            "client 1 2 3",
            "broker --no-hb --hb-interval-ms 5",
            "broker --xsub foo",
            "calc --broker h:1",
            "lab --requests 0",
            "broker --no-hb=1",
            "broker --role primary",
            "broker --role middle --peer-hb 5560",
            "broker --peer-hb 5560",
            "broker --ctl 5570",
            "broker --role backup --peer-hb 5560 --no-hb",
            "broker --role backup --peer-hb tcp://*:5560",
            "broker --role backup --peer-hb 0",
            "broker --role backup --peer-hb 5560 --misses 0",
            "ctl",
            "ctl 5570",
            "ctl 5570 stop",
            "ctl 5570 status extra",
            "ctl nowhere status",
        ] {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
    }
}
