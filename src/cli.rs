//! Command-line parsing for the `hypobus` binary, by hand (no crates): turns
//! `argv` into a [`Command`] or a usage error. Nothing here runs a role.

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

#[derive(Debug)]
pub enum Command {
    /// `hypobus help [CMD]`, `--help`.
    Help(Option<&'static str>),
    Version,
    Broker { xsub: String, xpub: String, hb: Option<String>, hb_interval_ms: u64, role: RoleOpts },
    Op { lane: u32, brokers: Vec<BrokerAddr>, role: RoleOpts },
    Calc { brokers: Vec<BrokerAddr>, timeout_ms: u64, role: RoleOpts },
    Client { a: String, b: String, brokers: Vec<BrokerAddr>, classic: bool, timeout_ms: u64, verbose: bool },
    Lab { requests: usize, clients: usize, per_client: usize, window: usize, calc_timeout_ms: u64, verbose: bool },
}

pub const COMMANDS: [&str; 5] = ["broker", "op", "calc", "client", "lab"];

const BROKER_HELP: &str = "\
  --broker HOST[:XSUB_PORT:XPUB_PORT]
                        a broker to connect to (default 127.0.0.1, ports 5555:5556);
                        repeat it for a primary and a backup broker";

const ROLE_HELP: &str = "\
  --stats-every-ms N    print the counters every N ms on stdout (default: only at the end)
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

The broker: forwards every publication from its XSUB socket (publishers
connect there) to its XPUB socket (subscribers connect there), and sends a
one-frame `HB` heartbeat on its heartbeat socket.

  --xsub EP             endpoint to bind for publishers (default tcp://*:5555)
  --xpub EP             endpoint to bind for subscribers (default tcp://*:5556)
  --hb EP               endpoint to bind for heartbeats (default tcp://*:5560)
  --hb-interval-ms N    heartbeat period in ms, N >= 1 (default 1000)
  --no-hb               no heartbeat socket
{ROLE_HELP}

EP is a ZeroMQ endpoint such as tcp://*:5555 or tcp://127.0.0.1:5555, or a
bare port number (5555 means tcp://*:5555). Port 0 or * picks a free port; the
endpoints actually bound are printed at start."
        ),
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
usage: hypobus lab [--requests N] [--clients N] [--calc-timeout-ms N]

Starts the whole lab in this process on loopback (a broker, two operation
nodes and a calc node, on free ports), runs a batch that shows what it does
and how fast, prints a report and stops everything. Exit status 0 when every
check passed, 1 otherwise.

Stages: one client (12 13, 3 4, 1.5 2); N sequential requests; concurrent
clients each checking every answer; N requests in flight from one client;
lane 1's operation node stopped (the calc node falls back) and restarted;
bad input from a raw ZeroMQ publisher.

  --requests N          requests of the sequential and pipelined stages (default 3000)
  --clients N           concurrent clients (default 8)
  --per-client N        requests per concurrent client (default 200)
  --window N            requests in flight in the pipelined stage (default 256)
  --calc-timeout-ms N   the calc node's wait for squares (default 300, short so the
                        fallback stage is quick; the lab's own value is 2000)
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
  help      this help, or `hypobus help <command>`

Run `hypobus <command> --help` for its options. A whole lab on one machine:

  hypobus broker &
  hypobus op --lane 1 &
  hypobus op --lane 2 &
  hypobus calc &
  hypobus client 12 13

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
                    "--quiet" | "-q" => {
                        a.no_value(&f, &v)?;
                        role.quiet = true
                    }
                    "--stats-every-ms" => role.stats_every_ms = a.number(&f, v, 1u64)?,
                    _ => return a.unknown(&f),
                }
            }
            a.no_positionals()?;
            if no_hb {
                if hb_interval_ms.is_some() {
                    return usage(cmd, "--no-hb and --hb-interval-ms contradict each other");
                }
                hb = None;
            }
            Ok(Command::Broker { xsub, xpub, hb, hb_interval_ms: hb_interval_ms.unwrap_or(1000), role })
        }
        "op" | "calc" => {
            let (mut lane, mut timeout_ms) = (None, 2000u64);
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
                    "--broker" => brokers.push(broker_addr(cmd, &a.value(&f, v)?)?),
                    "--lane" if cmd == "op" => lane = Some(a.number(&f, v, 1u32)?),
                    "--timeout-ms" if cmd == "calc" => timeout_ms = a.number(&f, v, 1u64)?,
                    "--quiet" | "-q" => {
                        a.no_value(&f, &v)?;
                        role.quiet = true
                    }
                    "--stats-every-ms" => role.stats_every_ms = a.number(&f, v, 1u64)?,
                    _ => return a.unknown(&f),
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
            while let Some((f, v)) = a.next_flag()? {
                match f.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
                    "--requests" => requests = a.number(&f, v, 1usize)?,
                    "--clients" => clients = a.number(&f, v, 1usize)?,
                    "--per-client" => per_client = a.number(&f, v, 1usize)?,
                    "--window" => window = a.number(&f, v, 1usize)?,
                    "--calc-timeout-ms" => calc_timeout_ms = a.number(&f, v, 1u64)?,
                    "-v" | "--verbose" => {
                        a.no_value(&f, &v)?;
                        verbose = true
                    }
                    _ => return a.unknown(&f),
                }
            }
            a.no_positionals()?;
            Ok(Command::Lab { requests, clients, per_client, window, calc_timeout_ms, verbose })
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
        for bad in ["", "nope", "op", "op --lane 0", "op --lane x", "calc --timeout-ms", "client 12", "client 12 abc", "client -3 4",
            "client 1 2 3", "broker --no-hb --hb-interval-ms 5", "broker --xsub foo", "calc --broker h:1", "lab --requests 0", "broker --no-hb=1"]
        {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
    }
}
