//! The CURVE flags of the lab's roles and the task roles (`--curve-cert`, `--curve-server`,
//! `--curve-allow`; docs/SECURITY.md) and `hypobus keygen`.

use super::{usage, Args, Command, Usage};
use std::path::PathBuf;

/// The commands that take the CURVE flags.
pub const CURVE_COMMANDS: [&str; 8] = ["broker", "op", "calc", "client", "watch", "task-broker", "worker", "task"];

/// The CURVE flags given (each a file or a Z85 key; `allow` a directory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurveOpts {
    pub cert: Option<String>,
    pub server: Option<String>,
    pub allow: Option<String>,
}

impl CurveOpts {
    pub fn is_empty(&self) -> bool {
        self == &CurveOpts::default()
    }
}

/// Take the CURVE flags out of `argv` (the command and its arguments),
/// for [`super::parse`] to see the rest. Flags after `--` stay.
pub fn take_curve_flags(argv: &[String]) -> Result<(Vec<String>, CurveOpts), Usage> {
    let mut rest = Vec::with_capacity(argv.len());
    let mut o = CurveOpts::default();
    let mut it = argv.iter();
    let cmd = argv.first().map(String::as_str).unwrap_or("");
    while let Some(a) = it.next() {
        if a == "--" {
            rest.push(a.clone());
            rest.extend(it.by_ref().cloned());
            break;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--curve-") => (k, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let slot = match flag {
            "--curve-cert" => &mut o.cert,
            "--curve-server" => &mut o.server,
            "--curve-allow" => &mut o.allow,
            _ => {
                rest.push(a.clone());
                continue;
            }
        };
        let Some(c) = CURVE_COMMANDS.iter().copied().find(|c| *c == cmd) else {
            return Err(Usage { msg: format!("{flag} applies to {} only", CURVE_COMMANDS.join(", ")), cmd: None });
        };
        let v = match inline.or_else(|| it.next().cloned()) {
            Some(v) if !v.is_empty() => v,
            _ => return usage(c, format!("{flag} needs a value (a certificate file or a Z85 key; a directory for --curve-allow)")),
        };
        *slot = Some(v);
    }
    Ok((rest, o))
}

/// `hypobus keygen NAME [--meta KEY=VALUE]... [--force]`.
pub(super) fn parse_keygen(a: &mut Args<'_>) -> Result<Command, Usage> {
    let cmd = a.cmd;
    let (mut metadata, mut force) = (Vec::new(), false);
    while let Some((f, v)) = a.next_flag()? {
        match f.as_str() {
            "-h" | "--help" => return Ok(Command::Help(Some(cmd))),
            "--meta" => {
                let kv = a.value(&f, v)?;
                match kv.split_once('=') {
                    Some((k, v)) if !k.trim().is_empty() => metadata.push((k.trim().to_string(), v.trim().to_string())),
                    _ => return usage(cmd, format!("--meta needs KEY=VALUE, not {kv:?}")),
                }
            }
            "--force" => {
                a.no_value(&f, &v)?;
                force = true;
            }
            _ => return a.unknown(&f),
        }
    }
    match a.positional.as_slice() {
        [name] => Ok(Command::Keygen { path: PathBuf::from(name), metadata, force }),
        [] => usage(cmd, "a certificate name is needed: hypobus keygen NAME (writes NAME and NAME_secret)"),
        [_, extra, ..] => usage(cmd, format!("unexpected argument {extra:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn curve_flags_come_out() {
        let (rest, o) = take_curve_flags(&v("calc --broker h --curve-server b.pub --curve-cert=c_secret")).unwrap();
        assert_eq!(rest, v("calc --broker h"));
        assert_eq!((o.server.as_deref(), o.cert.as_deref(), o.allow), (Some("b.pub"), Some("c_secret"), None));
        assert!(take_curve_flags(&v("ctl --curve-cert x")).unwrap_err().msg.contains("applies to"));
        assert!(take_curve_flags(&v("broker --curve-allow")).unwrap_err().msg.contains("needs a value"));
        let (rest, o) = take_curve_flags(&v("client 3 4 -- --curve-cert")).unwrap();
        assert!(o.is_empty());
        assert_eq!(rest.len(), 5);
    }
}
