//! Command-line parsing for the `hypobus` binary, by hand (no crates): turns
//! `argv` into a [`Command`] or a usage error. Nothing here runs a role.

use hypobus::failover::Role;
use hypobus::net::BrokerAddr;
use hypobus::wire::Number;
use std::fmt;

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
    Broker { xsub: String, xpub: String, hb: Option<String>, hb_interval_ms: u64, failover: Option<FailoverOpts>, role: RoleOpts },
    Op { lane: u32, brokers: Vec<BrokerAddr>, role: RoleOpts },
    Calc { brokers: Vec<BrokerAddr>, timeout_ms: u64, role: RoleOpts },
    Client { a: String, b: String, brokers: Vec<BrokerAddr>, classic: bool, timeout_ms: u64, verbose: bool },
    Lab { requests: usize, clients: usize, per_client: usize, window: usize, calc_timeout_ms: u64, failover_hb_ms: u64, verbose: bool },
    /// `hypobus ctl EP status|handback`.
    Ctl { endpoint: String, command: String, timeout_ms: u64 },
}

pub const COMMANDS: [&str; 6] = ["broker", "op", "calc", "client", "lab", "ctl"];

const BROKER_HELP: &str = "  --broker HOST[:XSUB_PORT:XPUB_PORT]
                        a broker to connect to (default 127.0.0.1, ports 5555:5556);
                        repeat it for a primary and a backup broker. Also
                        [IPV6]:XSUB_PORT:XPUB_PORT, or XSUB_ENDPOINT|XPUB_ENDPOINT
                        (e.g. 'tcp://10.0.0.2:5555|tcp://10.0.0.2:5556')";

const ROLE_HELP: &str = "  --stats-every-ms N    print the counters every N ms on stdout (default: only at the end)
  --quiet               no event logs on stderr
  -h, --help            this help

Runs until SIGINT (Ctrl-C) or SIGTERM, then stops cleanly and prints its
counters on one line on stdout. Event logs go to stderr, one line per event.";

/// The help text of `cmd`, or the general one.
pub fn help(cmd: Option<&str>) -> String {
    match cmd {
        Some("broker") => format!(
            "\
usage: hypobus broker [--xsub EP] [--xpub EP] [--hb EP] [--hb-interval-ms N] [--no-hb]
       hypobus broker --role primary|backup --peer-hb EP [--peer-interval-ms N]
                      [--misses N] [--ctl EP] [--xsub EP] [--xpub EP] [--hb EP] [--hb-interval-ms N]

The broker: forwards every publication from its XSUB socket (publishers
connect there) to its XPUB socket (subscribers connect there), and sends a
one-frame `HB` heartbeat on its heartbeat socket.

  --xsub EP             endpoint to bind for publishers (default tcp://*:5555)
  --xpub EP             endpoint to bind for subscribers (default tcp://*:5556)
  --hb EP               endpoint to bind for heartbeats (default tcp://*:5560)
  --hb-interval-ms N    heartbeat period in ms, N >= 1 (default 1000)
  --no-hb               no heartbeat socket (not with --role)
{ROLE_HELP}

Failover: with --role it is one broker of a primary/backup pair (the ZeroMQ
guide's Binary Star); each watches the other's heartbeats.

  --role primary|backup this broker's role in the pair
  --peer-hb EP          the other broker's heartbeat endpoint, e.g. tcp://hostB:5560
                        (a bare port means 127.0.0.1); required with --role
  --peer-interval-ms N  the other broker's heartbeat period (default: --hb-interval-ms;
                        1000 for an original primary)
  --misses N            missed heartbeats before the other counts as dead (default 3)
  --ctl EP              bind a control endpoint for `hypobus ctl EP status|handback`

Both brokers stay bound; only the active one forwards. The backup takes over
when the primary is silent for misses x interval. A primary that starts while
the backup is active stays passive (no split brain, no duplicates) until the
backup hands back (`hypobus ctl EP handback`). Heartbeats are the classic `HB`
plus a state message, so an original primary (only `HB`) counts as an active
primary. Details: docs/PROTOCOL.md. Every state change is logged on stderr
and printed on stdout as `event <role>: active|passive <unix-ms> <reason>`.

EP is a ZeroMQ endpoint such as tcp://*:5555 or tcp://127.0.0.1:5555, or a
bare port number (5555 means tcp://*:5555). Port 0 or * picks a free port; the
endpoints actually bound are printed at start."
        ),
        Some("ctl") => "\
usage: hypobus ctl EP status|handback [--timeout-ms N]

Asks a failover broker through its control endpoint (`hypobus broker --role …
--ctl EP`) and prints the answer on stdout:

  status                its role and state, e.g. `backup active`
  handback              asks an active backup to hand the traffic back to a live,
                        passive primary: `ok`, or `error: <why>`

  EP                    tcp://HOST:PORT, HOST:PORT, or a bare port (on 127.0.0.1)
  --timeout-ms N        give up after N ms, N >= 1 (default 2000)
  -h, --help            this help

Exit status: 0 with a status or `ok`; 1 on an `error: …` answer or no answer
in time; 2 for a usage error."
            .to_string(),
        Some("op") => format!(
            "\
usage: hypobus op --lane N [--broker B]...

An operation node: answers calc.square.request.N with the square of the value
on calc.square.result.N (tagged requests get tagged answers and bad values an
error answer; classic requests get classic answers).

  --lane N              lane to serve, N >= 1 (1 = cathetus a, 2 = cathetus b); required
{BROKER_HELP}
{ROLE_HELP}"
        ),
        Some("calc") => format!(
            "\
usage: hypobus calc [--broker B]... [--timeout-ms N]

The calculation node: takes the two catheti of each request (calc.request.1
and .2), asks the operation nodes for their squares, computes a missing square
itself after the time-out, and answers with the hypotenuse (4 decimals).
Classic (untagged) requests are answered on calc.hypotenuse.result.

  --timeout-ms N        wait for the operation nodes' squares, N >= 1 (default 2000)
{BROKER_HELP}
{ROLE_HELP}"
        ),
        Some("client") => format!(
            "\
usage: hypobus client A B [--broker B]... [--classic] [--timeout-ms N]

Asks for the hypotenuse of the catheti A and B (non-negative decimal numbers
such as 12 or 1.5) and prints it with 4 decimals on stdout, alone on its line.

  --classic             speak the original lab's untagged wire (for an original
                        calc server); only one such client may ask at a time
  --timeout-ms N        give up after N ms, N >= 1 (default 5000)
{BROKER_HELP}
  -v, --verbose         event logs on stderr (off by default)
  -h, --help            this help

Exit status: 0 with the answer on stdout; 1 when no answer came in time or the
lab answered with an error (message on stderr); 2 for a usage error."
        ),
        Some("lab") => "\
usage: hypobus lab [--requests N] [--clients N] [--calc-timeout-ms N] [--failover-hb-ms N]

Starts the whole lab in this process on loopback (a broker, two operation
nodes and a calc node, on free ports), runs a batch that shows what it does
and how fast, prints a report and stops everything. Exit status 0 when every
check passed, 1 otherwise.

Stages: one client (12 13, 3 4, 1.5 2); N sequential requests; concurrent
clients each checking every answer; N requests in flight from one client;
lane 1's operation node stopped (the calc node falls back) and restarted;
bad input from a raw ZeroMQ publisher; broker failover: a primary and a backup
broker run as `hypobus broker --role …` processes, 4 clients stream requests
through both, the primary is killed (SIGKILL) mid-stream and restarted, then
the backup hands back; the report gives the gap, lost and duplicated answers.

  --requests N          requests of the sequential and pipelined stages (default 3000)
  --clients N           concurrent clients (default 8)
  --per-client N        requests per concurrent client (default 200)
  --window N            requests in flight in the pipelined stage (default 256)
  --calc-timeout-ms N   the calc node's wait for squares (default 300, short so the
                        fallback stage is quick; the lab's own value is 2000)
  --failover-hb-ms N    heartbeat period of the failover stage's brokers (default 100;
                        the backup takes over after 3 missed heartbeats)
  -v, --verbose         event logs of every role on stderr
  -h, --help            this help"
            .to_string(),
        _ => "\
usage: hypobus <command> [options]

The ZeroMQ hypotenuse lab, one role per command:

  broker    forward publications between nodes (XSUB/XPUB) and send heartbeats
  op        an operation node: squares the values of one lane
  calc      the calculation node: catheti in, hypotenuse out
  client    ask for one hypotenuse: hypobus client 12 13  ->  17.6918
  lab       run every role in this process on loopback and show them working
  ctl       ask a failover broker for its state, or ask the backup to hand back
  help      this help, or `hypobus help <command>`

Run `hypobus <command> --help` for its options. A whole lab on one machine:

  hypobus broker &
  hypobus op --lane 1 &
  hypobus op --lane 2 &
  hypobus calc &
  hypobus client 12 13

With a backup broker (see `hypobus broker --help`):

  hypobus broker --role primary --peer-hb tcp://B:5560 --ctl 5570        # on host A
  hypobus broker --role backup  --peer-hb tcp://A:5560 --ctl 5570        # on host B
  hypobus op --lane 1 --broker A --broker B   # and so on: every node knows both

Options:
  -h, --help     this help
  -V, --version  print the version"
            .to_string(),
    }
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

fn broker_addr(cmd: &'static str, s: &str) -> Result<BrokerAddr, Usage> {
    BrokerAddr::parse(s).map_err(|e| Usage { msg: format!("--broker: {}", e.to_string().trim_start_matches("configuration error: ")), cmd: Some(cmd) })
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
    usage(cmd, format!("{flag}: {s:?} is not an endpoint to connect to (expected e.g. tcp://10.0.0.2:5560, 10.0.0.2:5560 or a port number)"))
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
                    "--broker" => brokers.push(broker_addr(cmd, &a.value(&f, v)?)?),
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
                    "--broker" => brokers.push(broker_addr(cmd, &a.value(&f, v)?)?),
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
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
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
            Ok(Command::Lab { requests, clients, per_client, window, calc_timeout_ms, failover_hb_ms, verbose })
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
        _ => unreachable!("every command is handled"),
    }
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
        assert!(matches!(p("client 12 13 --classic"), Ok(Command::Client { classic: true, .. })));
        assert!(matches!(p("client -- 12 13"), Ok(Command::Client { .. })));
        assert!(matches!(p("calc --help"), Ok(Command::Help(Some("calc")))));
        assert!(matches!(p("help lab"), Ok(Command::Help(Some("lab")))));
        assert!(matches!(p("broker"), Ok(Command::Broker { failover: None, .. })));
        match p("broker --role backup --peer-hb 5560 --misses 5 --ctl 5570 --peer-interval-ms 1000") {
            Ok(Command::Broker { failover: Some(f), hb: Some(_), .. }) => {
                assert_eq!((f.role, f.peer_hb.as_str(), f.misses, f.peer_interval_ms), (Role::Backup, "tcp://127.0.0.1:5560", 5, Some(1000)));
                assert_eq!(f.ctl.as_deref(), Some("tcp://*:5570"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(p("broker --role primary --peer-hb hostb:5560"), Ok(Command::Broker { failover: Some(ref f), .. }) if f.peer_hb == "tcp://hostb:5560" && f.misses == 3));
        match p("ctl 5570 handback --timeout-ms 500") {
            Ok(Command::Ctl { endpoint, command, timeout_ms }) => assert_eq!((endpoint.as_str(), command.as_str(), timeout_ms), ("tcp://127.0.0.1:5570", "handback", 500)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(p("ctl tcp://10.0.0.2:5570 status"), Ok(Command::Ctl { .. })));
        assert!(matches!(p("lab --failover-hb-ms 50"), Ok(Command::Lab { failover_hb_ms: 50, .. })));
        for bad in ["", "nope", "op", "op --lane 0", "op --lane x", "calc --timeout-ms", "client 12", "client 12 abc", "client -3 4",
            "client 1 2 3", "broker --no-hb --hb-interval-ms 5", "broker --xsub foo", "calc --broker h:1", "lab --requests 0", "broker --no-hb=1",
            "broker --role primary", "broker --role middle --peer-hb 5560", "broker --peer-hb 5560", "broker --ctl 5570",
            "broker --role backup --peer-hb 5560 --no-hb", "broker --role backup --peer-hb tcp://*:5560", "broker --role backup --peer-hb 0",
            "broker --role backup --peer-hb 5560 --misses 0", "ctl", "ctl 5570", "ctl 5570 stop", "ctl 5570 status extra", "ctl nowhere status"]
        {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
    }
}
