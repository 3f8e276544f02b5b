//! Failover brokers as `hypobus broker --role …` processes of their own
//! (the failover trial, the watch scenarios and the process tests kill
//! them with SIGKILL, as a crashed machine would): start one on chosen
//! ports, read its event and counter lines, ask its control endpoint, kill
//! or stop it; and the one-line event format those processes print.

use hypobus::error::{Error, Result};
use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::failover::{Event, Role};
use hypobus::log::fmt_duration;
use hypobus::sys::ctx;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The stdout line of `hypobus broker --role …` for a state change:
/// `event <role>: active|passive <unix-ms> <reason>`.
pub fn fmt_event(role: Role, ev: &Event) -> String {
    format!("event {}: {} {} {}", role.name(), if ev.active { "active" } else { "passive" }, ev.at_ms, ev.reason)
}

/// Parse a line written by [`fmt_event`].
pub fn parse_event(line: &str) -> Option<Event> {
    let (_, rest) = line.strip_prefix("event ")?.split_once(": ")?;
    let mut it = rest.splitn(3, ' ');
    let active = match it.next()? {
        "active" => true,
        "passive" => false,
        _ => return None,
    };
    let at_ms = it.next()?.parse().ok()?;
    Some(Event { at_ms, active, reason: it.next().unwrap_or("").to_string() })
}

/// `N` distinct free TCP ports on 127.0.0.1 (picked by the OS and released
/// at once: another program could in theory take one before we bind it).
fn loopback(port: u16) -> String {
    format!("tcp://127.0.0.1:{port}")
}

/// The loopback ports of one broker of a failover pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerPorts {
    pub xsub: u16,
    pub xpub: u16,
    pub hb: u16,
    pub ctl: u16,
}

impl BrokerPorts {
    /// Free ports for a primary and a backup.
    pub fn free_pair() -> Result<(BrokerPorts, BrokerPorts)> {
        let mut p = [0u16; 8];
        for port in p.iter_mut() {
            *port = ctx::free_port()?;
        }
        Ok((BrokerPorts { xsub: p[0], xpub: p[1], hb: p[2], ctl: p[3] }, BrokerPorts { xsub: p[4], xpub: p[5], hb: p[6], ctl: p[7] }))
    }

    /// The broker as nodes and clients reach it.
    pub fn addr(&self) -> BrokerAddr {
        BrokerAddr::new("127.0.0.1", self.xsub, self.xpub)
    }

    pub fn hb_endpoint(&self) -> String {
        loopback(self.hb)
    }

    pub fn ctl_endpoint(&self) -> String {
        loopback(self.ctl)
    }
}

/// How to run one broker of a failover pair as a process on loopback.
#[derive(Debug, Clone)]
pub struct BrokerProcessConfig {
    /// The `hypobus` executable.
    pub exe: PathBuf,
    pub role: Role,
    pub ports: BrokerPorts,
    /// The other broker's heartbeat endpoint.
    pub peer_hb: String,
    pub hb_interval: Duration,
    pub misses: u32,
    /// Period of the `stats` lines read by [`BrokerProcess::stats`].
    pub stats_every: Duration,
}

impl BrokerProcessConfig {
    /// The command line after the executable.
    pub fn args(&self) -> Vec<String> {
        let ms = |d: Duration| d.as_millis().max(1).to_string();
        let p = &self.ports;
        [
            "broker",
            "--role",
            self.role.name(),
            "--xsub",
            &loopback(p.xsub),
            "--xpub",
            &loopback(p.xpub),
            "--hb",
            &loopback(p.hb),
            "--hb-interval-ms",
            &ms(self.hb_interval),
            "--peer-hb",
            &self.peer_hb,
            "--misses",
            &self.misses.to_string(),
            "--ctl",
            &loopback(p.ctl),
            "--stats-every-ms",
            &ms(self.stats_every),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

/// Counters of a broker process, from its last `stats` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessStats {
    pub forwarded: u64,
    pub dropped_passive: u64,
    pub subscriptions: u64,
    pub peer_heartbeats: u64,
    pub active: bool,
}

pub(crate) fn parse_stats(line: &str) -> Option<ProcessStats> {
    let rest = line.strip_prefix("stats ")?;
    let field = |name: &str| rest.split_whitespace().find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse::<u64>().ok());
    Some(ProcessStats {
        forwarded: field("forwarded")?,
        dropped_passive: field("dropped_passive")?,
        subscriptions: field("subscriptions")?,
        peer_heartbeats: field("peer_heartbeats").unwrap_or(0),
        active: rest.split_whitespace().any(|w| w == "state=active"),
    })
}

/// A `hypobus broker --role …` child process. A thread reads its stdout (the
/// ready line, `event` and `stats` lines); another keeps the last lines of its
/// stderr (event logs) for error messages and echoes them on ours when event
/// logging is on. Dropping it kills the process (SIGKILL, by PID) and reaps it.
pub struct BrokerProcess {
    cfg: BrokerProcessConfig,
    child: Option<Child>,
    pid: u32,
    lines: mpsc::Receiver<String>,
    events: VecDeque<Event>,
    all_events: Vec<Event>,
    stats: Option<ProcessStats>,
    stats_lines: u64,
    ready: Option<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl BrokerProcess {
    /// Start the process and wait (at most `ready_within`) for its ready line.
    pub fn spawn(cfg: &BrokerProcessConfig, ready_within: Duration) -> Result<BrokerProcess> {
        let mut cmd = Command::new(&cfg.exe);
        cmd.args(cfg.args()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: only prctl(2), async-signal-safe, runs between fork and exec.
            // Should this thread die without killing the broker, the kernel does.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                    Ok(())
                });
            }
        }
        let name = cfg.role.name();
        let mut child = cmd.spawn().map_err(|e| Error::Config(format!("cannot run {}: {e}", cfg.exe.display())))?;
        let pid = child.id();
        let (tx, lines) = mpsc::channel();
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut p = BrokerProcess {
            cfg: cfg.clone(),
            child: None,
            pid,
            lines,
            events: VecDeque::new(),
            all_events: Vec::new(),
            stats: None,
            stats_lines: 0,
            ready: None,
            stderr_tail: stderr_tail.clone(),
        };
        let (out, err) = (child.stdout.take(), child.stderr.take());
        p.child = Some(child); // from here on, dropping `p` kills the process
        if let Some(out) = out {
            std::thread::Builder::new()
                .name(format!("{name}-stdout"))
                .spawn(move || {
                    for line in BufReader::new(out).lines() {
                        let Ok(line) = line else { break };
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::Config(format!("cannot start a reader thread: {e}")))?;
        }
        if let Some(err) = err {
            std::thread::Builder::new()
                .name(format!("{name}-stderr"))
                .spawn(move || {
                    for line in BufReader::new(err).lines() {
                        let Ok(line) = line else { break };
                        if hypobus::log::enabled() {
                            eprintln!("[{name} broker, pid {pid}] {line}");
                        }
                        if let Ok(mut t) = stderr_tail.lock() {
                            if t.len() == 20 {
                                t.pop_front();
                            }
                            t.push_back(line);
                        }
                    }
                })
                .map_err(|e| Error::Config(format!("cannot start a reader thread: {e}")))?;
        }
        let deadline = Instant::now() + ready_within;
        while p.ready.is_none() {
            if !p.is_running() {
                std::thread::sleep(Duration::from_millis(50)); // let the reader catch its last words
                return Err(Error::Config(format!("the {name} broker process exited at start{}", p.stderr_text())));
            }
            if Instant::now() >= deadline {
                return Err(Error::Config(format!(
                    "the {name} broker process was not ready within {}{}",
                    fmt_duration(ready_within),
                    p.stderr_text()
                )));
            }
            p.read(Duration::from_millis(20));
        }
        Ok(p)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn role(&self) -> Role {
        self.cfg.role
    }

    /// The line it printed when ready (`broker ready: role …`).
    pub fn ready_line(&self) -> &str {
        self.ready.as_deref().unwrap_or("")
    }

    /// `: <last stderr lines>`, or nothing.
    fn stderr_text(&self) -> String {
        let t = self.stderr_tail.lock().map(|t| t.iter().cloned().collect::<Vec<_>>().join(" | ")).unwrap_or_default();
        if t.is_empty() {
            t
        } else {
            format!(": {t}")
        }
    }

    /// Take what its stdout said, waiting at most `wait` for the first line.
    fn read(&mut self, wait: Duration) {
        let mut next = match self.lines.recv_timeout(wait) {
            Ok(l) => Some(l),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(wait); // the process is gone: do not spin
                None
            }
        };
        while let Some(line) = next {
            if line.starts_with("broker ready") {
                self.ready = Some(line);
            } else if let Some(ev) = parse_event(&line) {
                self.events.push_back(ev.clone());
                self.all_events.push(ev);
            } else if let Some(s) = parse_stats(&line) {
                self.stats = Some(s);
                self.stats_lines += 1;
            }
            next = self.lines.try_recv().ok();
        }
    }

    /// Its control endpoint's answer to `command` (see [`hypobus::lab::failover::ctl_request`]).
    pub fn ctl(&self, command: &str, timeout: Duration) -> Result<String> {
        hypobus::lab::failover::ctl_request(&self.cfg.ports.ctl_endpoint(), command, timeout)
    }

    /// The next state change it printed, waiting until `deadline`.
    pub fn next_event(&mut self, deadline: Instant) -> Option<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.read((deadline - now).min(Duration::from_millis(50)));
        }
    }

    /// Every state change it printed so far.
    pub fn events(&mut self) -> &[Event] {
        self.read(Duration::ZERO);
        &self.all_events
    }

    /// Its counters from the next `stats` line it prints (waiting until
    /// `deadline`), so they are fresh; `None` if none came.
    pub fn fresh_stats(&mut self, deadline: Instant) -> Option<ProcessStats> {
        self.read(Duration::ZERO);
        let seen = self.stats_lines;
        while self.stats_lines == seen {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.read((deadline - now).min(Duration::from_millis(50)));
        }
        self.stats
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Kill it with SIGKILL (no clean-up at all, like a crash) and reap it.
    /// Harmless if it is gone already.
    pub fn kill(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        // SAFETY: kill(2) on our own child, not reaped yet, so its PID is still ours.
        let r = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let kill_err = (r != 0).then(std::io::Error::last_os_error);
        let reaped = child.wait();
        match (reaped, kill_err) {
            (Ok(_), _) => Ok(()),
            (Err(e), k) => Err(Error::Config(format!(
                "cannot kill the {} broker (pid {}): {e}{}",
                self.cfg.role.name(),
                self.pid,
                k.map(|k| format!(" (kill: {k})")).unwrap_or_default()
            ))),
        }
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}
