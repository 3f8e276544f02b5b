//! The library's ZAP authenticator (ZeroMQ RFC 27), as CZMQ's `zauth`: it
//! answers libzmq's "may this peer connect?" for the server sockets of one
//! ZeroMQ context, by IP address (allow or deny lists), PLAIN user name and
//! password (a passwords file), and CURVE client key (a directory of
//! certificates, or any key). Every decision is logged once as an event
//! line (`auth: ...`). The files are read at start and by [`Authenticator::reload`].

use super::cert;
use crate::error::{Error, Result};
use crate::sys::ctx;
use crate::sys::runner::Runner;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// Where libzmq sends ZAP requests, in each context.
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// Which CURVE clients may connect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CurveClients {
    /// None (a CURVE handshake is refused).
    #[default]
    Refuse,
    /// Any client that knows the server's public key.
    Any,
    /// The public keys of the certificates in this directory.
    Dir(PathBuf),
}

/// What the authenticator allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// IP addresses allowed; when not empty, every other one is denied.
    pub allow: Vec<String>,
    /// IP addresses denied (use `allow` or `deny`, not both).
    pub deny: Vec<String>,
    /// PLAIN: a file of `user=password` lines (CZMQ's passwords file;
    /// `#` starts a comment). `None`: PLAIN is refused.
    pub passwords: Option<PathBuf>,
    /// CURVE clients.
    pub curve: CurveClients,
    /// CURVE client keys (Z85) allowed besides those `curve` allows.
    pub curve_keys: Vec<String>,
}

/// Decisions taken since start.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthStats {
    /// Requests answered 200 (the peer may connect).
    pub allowed: u64,
    /// Requests answered 400 (refused), malformed ones included.
    pub denied: u64,
    /// Reloads of the files.
    pub reloads: u64,
}

/// The rules read from an [`AuthConfig`] and its files.
#[derive(Debug, Default)]
struct Rules {
    allow: HashSet<String>,
    deny: HashSet<String>,
    passwords: Option<HashMap<String, String>>,
    curve_any: bool,
    curve_keys: HashSet<String>,
}

impl Rules {
    fn load(cfg: &AuthConfig) -> Result<Rules> {
        if !cfg.allow.is_empty() && !cfg.deny.is_empty() {
            return Err(Error::Config("an authenticator takes allowed or denied addresses, not both".into()));
        }
        let passwords = cfg.passwords.as_deref().map(load_passwords).transpose()?;
        let (curve_any, mut curve_keys) = match &cfg.curve {
            CurveClients::Refuse => (false, HashSet::new()),
            CurveClients::Any => (true, HashSet::new()),
            CurveClients::Dir(d) => {
                let (certs, bad) = cert::load_dir(d).map_err(|e| Error::Config(format!("CURVE allow-list: {e}")))?;
                for e in &bad {
                    crate::log!("auth", "skipped in the CURVE allow-list: {e}");
                }
                (false, certs.into_iter().map(|c| c.public).collect::<HashSet<_>>())
            }
        };
        curve_keys.extend(cfg.curve_keys.iter().cloned());
        Ok(Rules { allow: cfg.allow.iter().cloned().collect(), deny: cfg.deny.iter().cloned().collect(), passwords, curve_any, curve_keys })
    }

    /// The answer to one request: Ok(user id) or Err(reason).
    fn decide(&self, address: &str, mechanism: &[u8], credentials: &[Vec<u8>]) -> std::result::Result<String, String> {
        if !self.allow.is_empty() && !self.allow.contains(address) {
            return Err("address not allowed".into());
        }
        if self.deny.contains(address) {
            return Err("address denied".into());
        }
        match (mechanism, credentials) {
            (b"NULL", []) => Ok(String::new()),
            (b"PLAIN", [user, password]) => {
                let Some(pw) = &self.passwords else { return Err("no PLAIN passwords are configured".into()) };
                let user = String::from_utf8_lossy(user).into_owned();
                match pw.get(&user) {
                    Some(p) if p.as_bytes() == password.as_slice() => Ok(user),
                    _ => Err("invalid user name or password".into()),
                }
            }
            (b"CURVE", [key]) if key.len() == 32 => {
                let z85 = super::z85_encode(key).map_err(|e| e.to_string())?;
                if self.curve_any || self.curve_keys.contains(&z85) {
                    Ok(z85)
                } else {
                    Err(format!("unknown CURVE key {z85}"))
                }
            }
            (m, _) => Err(format!("mechanism {} with {} credential frames is not accepted", String::from_utf8_lossy(m), credentials.len())),
        }
    }
}

/// `user=password` lines; blank lines and `#` comments are skipped.
fn load_passwords(path: &Path) -> Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config(format!("passwords file {}: {e}", path.display())))?;
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, pw) = line
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("passwords file {}: line {}: not user=password", path.display(), i + 1)))?;
        out.insert(user.trim().to_owned(), pw.trim().to_owned());
    }
    Ok(out)
}

#[derive(Default)]
struct Counters {
    allowed: AtomicU64,
    denied: AtomicU64,
    reloads: AtomicU64,
}

/// A running authenticator. Dropping it stops it.
pub struct Authenticator {
    runner: Runner,
    cfg: AuthConfig,
    rules: Arc<RwLock<Rules>>,
    counters: Arc<Counters>,
}

impl Authenticator {
    /// Read the files and start answering the ZAP requests of `ctx`'s
    /// sockets. Errors (a file, another authenticator already in `ctx`)
    /// are reported here.
    pub fn start(ctx: &zmq::Context, cfg: AuthConfig) -> Result<Authenticator> {
        let rules = Arc::new(RwLock::new(Rules::load(&cfg)?));
        let zap = ctx.socket(zmq::REP)?;
        zap.set_linger(0)?;
        ctx::no_eintr(|| zap.bind(ZAP_ENDPOINT)).map_err(|e| match e {
            zmq::Error::EADDRINUSE => {
                Error::Config("another ZAP authenticator already runs in this ZeroMQ context (one per context)".into())
            }
            e => Error::Zmq(e),
        })?;
        let counters = Arc::new(Counters::default());
        let (r, c) = (rules.clone(), counters.clone());
        let runner = Runner::spawn(ctx, "hypobus-auth", move |stop| serve(&stop, &zap, &r, &c))?;
        Ok(Authenticator { runner, cfg, rules, counters })
    }

    /// Read the files again (a changed allow-list, new passwords); on an
    /// error the old rules stay.
    pub fn reload(&self) -> Result<()> {
        let fresh = Rules::load(&self.cfg)?;
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        self.counters.reloads.fetch_add(1, Ordering::Relaxed);
        crate::log!("auth", "reloaded");
        Ok(())
    }

    /// Decisions so far.
    pub fn stats(&self) -> AuthStats {
        let c = &self.counters;
        AuthStats {
            allowed: c.allowed.load(Ordering::Relaxed),
            denied: c.denied.load(Ordering::Relaxed),
            reloads: c.reloads.load(Ordering::Relaxed),
        }
    }

    /// Stop answering (libzmq then lets NULL peers in and refuses CURVE and PLAIN ones).
    pub fn stop(&mut self) -> Result<()> {
        self.runner.stop()
    }
}

/// A request's frames: version, request id, domain, address, routing id,
/// mechanism, credentials.
const ZAP_FRAMES_MAX: usize = 16;

fn serve(stop: &crate::sys::runner::StopSignal, zap: &zmq::Socket, rules: &RwLock<Rules>, c: &Counters) -> Result<()> {
    let mut frames = Vec::new();
    loop {
        let mut items = [stop.sock.as_poll_item(zmq::POLLIN), zap.as_poll_item(zmq::POLLIN)];
        match zmq::poll(&mut items, -1) {
            Err(zmq::Error::EINTR) => continue,
            r => r?,
        };
        if items[0].is_readable() {
            return Ok(());
        }
        if !items[1].is_readable() {
            continue;
        }
        let n = ctx::recv_frames(zap, zmq::DONTWAIT, &mut frames, ZAP_FRAMES_MAX)?;
        let reply = answer(&frames, n, rules, c);
        let last = reply.len() - 1;
        for (i, f) in reply.iter().enumerate() {
            ctx::no_eintr(|| zap.send(f.as_slice(), if i < last { zmq::SNDMORE } else { 0 }))?;
        }
    }
}

/// The reply frames to one request, and the decision logged.
fn answer(f: &[Vec<u8>], n: usize, rules: &RwLock<Rules>, c: &Counters) -> Vec<Vec<u8>> {
    let request_id = f.get(1).cloned().unwrap_or_default();
    let reply =
        |code: &str, text: &str, user: &str| vec![b"1.0".to_vec(), request_id.clone(), code.into(), text.into(), user.into(), Vec::new()];
    if !(6..=ZAP_FRAMES_MAX).contains(&n) || f[0] != b"1.0" {
        c.denied.fetch_add(1, Ordering::Relaxed);
        crate::log!("auth", "DENIED a malformed ZAP request ({n} frames)");
        return reply("400", "malformed ZAP request", "");
    }
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (domain, address, mechanism) = (text(&f[2]), text(&f[3]), &f[5]);
    let verdict = rules.read().unwrap_or_else(PoisonError::into_inner).decide(&address, mechanism, &f[6..]);
    let mech = text(mechanism);
    match verdict {
        Ok(user) => {
            c.allowed.fetch_add(1, Ordering::Relaxed);
            let who = if user.is_empty() { String::new() } else { format!(" as {user}") };
            crate::log!("auth", "ALLOWED {mech} from {address} (domain {domain:?}){who}");
            reply("200", "OK", &user)
        }
        Err(why) => {
            c.denied.fetch_add(1, Ordering::Relaxed);
            crate::log!("auth", "DENIED {mech} from {address} (domain {domain:?}): {why}");
            reply("400", &why, "")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::{Certificate, KeyPair};

    fn rules(cfg: AuthConfig) -> Rules {
        Rules::load(&cfg).unwrap()
    }

    #[test]
    fn decisions() {
        let r = rules(AuthConfig { allow: vec!["10.0.0.1".into()], ..Default::default() });
        assert!(r.decide("10.0.0.1", b"NULL", &[]).is_ok());
        assert_eq!(r.decide("10.0.0.2", b"NULL", &[]), Err("address not allowed".into()));
        let r = rules(AuthConfig { deny: vec!["10.0.0.2".into()], curve: CurveClients::Any, ..Default::default() });
        assert_eq!(r.decide("10.0.0.2", b"NULL", &[]), Err("address denied".into()));
        assert_eq!(r.decide("10.0.0.3", b"CURVE", &[vec![0; 32]]).unwrap(), crate::security::z85_encode(&[0; 32]).unwrap());
        assert!(r.decide("10.0.0.3", b"CURVE", &[vec![0; 31]]).is_err());
        assert!(r.decide("10.0.0.3", b"PLAIN", &[b"u".to_vec(), b"p".to_vec()]).unwrap_err().contains("no PLAIN"));
        assert!(r.decide("10.0.0.3", b"GSSAPI", &[]).is_err());
        assert!(Rules::load(&AuthConfig { allow: vec!["a".into()], deny: vec!["b".into()], ..Default::default() }).is_err());
    }

    #[test]
    fn files_and_reload() {
        let d = std::env::temp_dir().join(format!("hb-auth-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("clients")).unwrap();
        std::fs::write(d.join("passwords"), "# users\nadmin = secret\n").unwrap();
        let a = Certificate::generate(vec![]).unwrap();
        a.public_only().save(&d.join("clients/a")).unwrap();
        let cfg = AuthConfig { passwords: Some(d.join("passwords")), curve: CurveClients::Dir(d.join("clients")), ..Default::default() };
        let r = rules(cfg.clone());
        assert_eq!(r.decide("x", b"PLAIN", &[b"admin".to_vec(), b"secret".to_vec()]), Ok("admin".into()));
        assert!(r.decide("x", b"PLAIN", &[b"admin".to_vec(), b"wrong".to_vec()]).is_err());
        let key_a = crate::security::z85_decode(&a.public).unwrap();
        assert_eq!(r.decide("x", b"CURVE", std::slice::from_ref(&key_a)), Ok(a.public.clone()));

        // Over the wire: a CURVE server in its own context, the authenticator in it.
        let sctx = zmq::Context::new();
        let mut auth = Authenticator::start(&sctx, cfg.clone()).unwrap();
        assert!(Authenticator::start(&sctx, cfg).is_err(), "one per context");
        let server = sctx.socket(zmq::PULL).unwrap();
        let skeys = crate::security::curve_keypair().unwrap();
        server.set_curve_server(true).unwrap();
        server.set_curve_secretkey(skeys.secret.as_bytes()).unwrap();
        server.set_zap_domain("test").unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
        let ep = server.get_last_endpoint().unwrap().unwrap();
        let cctx = zmq::Context::new();
        let push = |kp: &KeyPair| {
            let s = cctx.socket(zmq::PUSH).unwrap();
            s.set_linger(0).unwrap();
            s.set_curve_serverkey(skeys.public.as_bytes()).unwrap();
            s.set_curve_publickey(kp.public.as_bytes()).unwrap();
            s.set_curve_secretkey(kp.secret.as_bytes()).unwrap();
            s.connect(&ep).unwrap();
            s
        };
        let stranger = crate::security::curve_keypair().unwrap();
        let rogue = push(&stranger);
        rogue.send("rogue", 0).unwrap();
        let known = push(&KeyPair { public: a.public.clone(), secret: a.secret.clone().unwrap() });
        known.send("known", 0).unwrap();
        server.set_rcvtimeo(5000).unwrap();
        assert_eq!(server.recv_bytes(0).unwrap(), b"known");
        assert_eq!(server.poll(zmq::POLLIN, 300).unwrap(), 0, "the stranger's message never arrives");
        let s = auth.stats();
        assert!(s.allowed >= 1 && s.denied >= 1, "{s:?}");

        // Put the stranger on the list and reload: it gets in.
        Certificate { public: stranger.public.clone(), secret: None, metadata: vec![] }.save(&d.join("clients/stranger")).unwrap();
        auth.reload().unwrap();
        drop(rogue);
        let again = push(&stranger);
        again.send("now known", 0).unwrap();
        assert_eq!(server.recv_bytes(0).unwrap(), b"now known");
        auth.stop().unwrap();
        drop((again, known, server));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
