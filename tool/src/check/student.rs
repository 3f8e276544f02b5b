//! The program under test: spawned in a process group of its own with the
//! lab's endpoints in its environment (and in its arguments' placeholders),
//! its output captured up to a bound, and ended by its PID and process group.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bytes of each output stream kept; the rest is read and counted, not kept,
/// so a program that floods its output neither blocks nor fills memory.
pub const OUTPUT_KEPT: usize = 64 * 1024;

/// One output stream: what was kept, and how much came in all.
#[derive(Debug, Default)]
pub struct Captured {
    pub kept: Vec<u8>,
    pub total: u64,
}

/// How to run the program.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The command, placeholders (`{broker}`, …) not yet replaced.
    pub argv: Vec<String>,
    /// Working directory (`--batch`: the submission's folder).
    pub cwd: Option<PathBuf>,
    /// Environment variables and placeholder values, by name
    /// (`HYPOBUS_BROKER` is both `$HYPOBUS_BROKER` and `{broker}`).
    pub vars: BTreeMap<String, String>,
}

impl Launch {
    /// `{name}` in the arguments replaced by the value of `HYPOBUS_NAME`.
    pub fn resolved(&self) -> Vec<String> {
        self.argv
            .iter()
            .map(|a| {
                let mut s = a.clone();
                for (k, v) in &self.vars {
                    if let Some(name) = k.strip_prefix("HYPOBUS_") {
                        s = s.replace(&format!("{{{}}}", name.to_ascii_lowercase()), v);
                    }
                }
                s
            })
            .collect()
    }
}

/// A running (or finished) program under test.
pub struct Student {
    child: Child,
    pid: i32,
    status: Option<ExitStatus>,
    out: Arc<Mutex<Captured>>,
    err: Arc<Mutex<Captured>>,
    pub argv: Vec<String>,
    pub started: Instant,
}

fn reader(mut r: impl Read + Send + 'static, into: Arc<Mutex<Captured>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut c = into.lock().unwrap_or_else(|e| e.into_inner());
                    c.total += n as u64;
                    let room = OUTPUT_KEPT.saturating_sub(c.kept.len());
                    c.kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
    });
}

impl Student {
    /// Start it with `vars` added to its environment.
    pub fn spawn(l: &Launch) -> Result<Student, String> {
        let argv = l.resolved();
        let Some(prog) = argv.first() else { return Err("no command given".into()) };
        let mut cmd = Command::new(prog);
        cmd.args(&argv[1..]).envs(&l.vars).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // Python and Node print at once, not at exit, when not on a terminal.
        cmd.env("PYTHONUNBUFFERED", "1");
        if let Some(d) = &l.cwd {
            cmd.current_dir(d);
        }
        // A group of its own: what it starts is ended with it.
        cmd.process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: only prctl(2), async-signal-safe, between fork and exec:
        // should the checker die, the kernel kills the program.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot run {prog:?}: {e}"))?;
        let pid = child.id() as i32;
        let (out, err) = (Arc::new(Mutex::new(Captured::default())), Arc::new(Mutex::new(Captured::default())));
        if let Some(o) = child.stdout.take() {
            reader(o, out.clone());
        }
        if let Some(e) = child.stderr.take() {
            reader(e, err.clone());
        }
        Ok(Student { child, pid, status: None, out, err, argv, started: Instant::now() })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Its exit status once it ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    pub fn running(&mut self) -> bool {
        self.exited().is_none()
    }

    /// Wait (at most `within`) for it to end by itself.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + within;
        while self.exited().is_none() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.exited()
    }

    /// Its standard output so far (what was kept), as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap_or_else(|e| e.into_inner()).kept).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap_or_else(|e| e.into_inner()).kept).into_owned()
    }

    /// Bytes written to stdout and stderr in all.
    pub fn output_total(&self) -> u64 {
        self.out.lock().map(|c| c.total).unwrap_or(0) + self.err.lock().map(|c| c.total).unwrap_or(0)
    }

    /// The last non-empty line of its stderr (a traceback's last line says why).
    pub fn last_error_line(&self) -> Option<String> {
        self.stderr().lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().chars().take(200).collect())
    }

    /// `exited with status 1 (ValueError: …)`, `was killed by SIGSEGV`.
    pub fn describe_exit(&mut self) -> String {
        let Some(st) = self.exited() else { return "is still running".into() };
        let how = match (st.code(), st.signal()) {
            (Some(c), _) => format!("exited with status {c}"),
            (None, Some(s)) => format!("was killed by signal {s}"),
            _ => "ended".into(),
        };
        match self.last_error_line() {
            Some(l) => format!("{how} ({l})"),
            None => how,
        }
    }

    /// End it and everything in its process group: SIGTERM, then SIGKILL
    /// after `grace`; reap it. Harmless if it ended already.
    pub fn stop(&mut self, grace: Duration) {
        // SAFETY: kill(2) on the group we made for our own child (its PGID is its PID).
        let pid = self.pid;
        let group = move |sig| unsafe { libc::kill(-pid, sig) };
        if self.exited().is_none() {
            group(libc::SIGTERM);
            let until = Instant::now() + grace;
            while self.exited().is_none() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        // What it started may outlive it: the whole group goes.
        group(libc::SIGKILL);
        if self.status.is_none() {
            self.status = self.child.wait().ok();
        }
    }
}

impl Drop for Student {
    fn drop(&mut self) {
        self.stop(Duration::from_millis(500));
    }
}
