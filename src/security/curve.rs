//! How a role's TCP sockets use CURVE: serving roles (the brokers, the
//! failover pair's heartbeat and control endpoints) are CURVE servers with
//! a secret key; connecting roles (calc and op nodes, clients, the watch
//! observer, the pair's link to its peer) are CURVE clients that know the
//! server's public key. With an allow-list, a serving role also runs the
//! library's ZAP authenticator in its context. Off by default: then
//! nothing changes on the wire.

use super::auth::{AuthConfig, Authenticator, CurveClients};
use super::{curve_keypair, curve_public, Certificate, KeyPair};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

/// The ZAP domain of the library's serving sockets (what the authenticator's decisions name).
pub const ZAP_DOMAIN: &str = "hypobus";

/// A role's CURVE settings. `Curve::default()` is the process's default
/// ([`set_process_default`]), which is off unless set.
#[derive(Clone, PartialEq, Eq)]
pub struct Curve {
    /// This role's key pair. A serving role needs it (its secret key makes
    /// it a CURVE server); a connecting role uses it to be recognized by an
    /// allow-list, and makes a fresh pair when it has none.
    pub keys: Option<KeyPair>,
    /// The serving side's public key (Z85): a connecting role talks CURVE
    /// when it is set. A failover pair uses its own public key when this is
    /// unset (the two brokers of a pair share one certificate).
    pub server_key: Option<String>,
    /// Serving roles: only clients whose certificates are in this directory
    /// may connect (the ZAP authenticator). `None`: any client that knows
    /// the server's public key.
    pub allow: Option<PathBuf>,
}

impl std::fmt::Debug for Curve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Curve")
            .field("public", &self.keys.as_ref().map(|k| &k.public))
            .field("server_key", &self.server_key)
            .field("allow", &self.allow)
            .finish()
    }
}

static PROCESS_DEFAULT: RwLock<Curve> = RwLock::new(Curve::OFF);

/// Set the CURVE settings that roles created from now on take by default
/// (`hb_curve_set_default`, the CLI's `--curve-*` flags).
pub fn set_process_default(c: Curve) {
    *PROCESS_DEFAULT.write().unwrap_or_else(PoisonError::into_inner) = c;
}

impl Default for Curve {
    fn default() -> Curve {
        PROCESS_DEFAULT.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A key given as a 40-character Z85 key, or as a certificate file.
fn key_or_file(v: &str, want_secret: bool, what: &str) -> Result<KeyPair> {
    let path = Path::new(v);
    if !path.exists() && v.len() == 40 {
        return if want_secret {
            let public = curve_public(v.as_bytes()).map_err(|e| Error::Config(format!("{what}: {e}")))?;
            Ok(KeyPair { public, secret: v.to_owned() })
        } else {
            super::z85_decode(v).map_err(|e| Error::Config(format!("{what}: {e}")))?;
            Ok(KeyPair { public: v.to_owned(), secret: String::new() })
        };
    }
    let c = Certificate::load(path).map_err(|e| Error::Config(format!("{what}: {e}")))?;
    if want_secret {
        let secret = c.secret.ok_or_else(|| Error::Config(format!("{what}: {v} holds no secret key (give the NAME_secret file)")))?;
        return Ok(KeyPair { public: c.public, secret });
    }
    Ok(KeyPair { public: c.public, secret: String::new() })
}

impl Curve {
    /// CURVE off.
    pub const OFF: Curve = Curve { keys: None, server_key: None, allow: None };

    /// From the form the CLI, the C ABI and the bindings take: `cert` this
    /// role's secret certificate file (or its Z85 secret key), `server` the
    /// server's certificate file (or its Z85 public key), `allow` a
    /// directory of client certificates. Each may be empty/None.
    pub fn from_args(cert: Option<&str>, server: Option<&str>, allow: Option<&str>) -> Result<Curve> {
        let keys = cert.filter(|s| !s.is_empty()).map(|c| key_or_file(c, true, "CURVE certificate")).transpose()?;
        let server_key =
            server.filter(|s| !s.is_empty()).map(|s| key_or_file(s, false, "CURVE server key").map(|k| k.public)).transpose()?;
        let allow = allow.filter(|s| !s.is_empty()).map(PathBuf::from);
        if let Some(d) = &allow {
            if !d.is_dir() {
                return Err(Error::Config(format!("CURVE allow-list {}: not a directory", d.display())));
            }
        }
        Ok(Curve { keys, server_key, allow })
    }

    /// Whether any CURVE setting is on.
    pub fn is_on(&self) -> bool {
        self.keys.is_some() || self.server_key.is_some()
    }

    /// Make `sock` a CURVE server, before it binds (nothing without keys).
    pub fn serve(&self, sock: &zmq::Socket) -> Result<()> {
        let Some(k) = &self.keys else {
            if self.allow.is_some() {
                return Err(Error::Config("a CURVE allow-list needs the serving role's own certificate".into()));
            }
            return Ok(());
        };
        sock.set_curve_server(true)?;
        sock.set_curve_secretkey(k.secret.as_bytes())?;
        sock.set_zap_domain(ZAP_DOMAIN)?;
        Ok(())
    }

    /// The keys a connecting role shows: its own, or a fresh pair.
    pub fn client_keys(&self) -> Result<KeyPair> {
        match &self.keys {
            Some(k) => Ok(k.clone()),
            None => curve_keypair().map_err(|e| Error::Config(e.to_string())),
        }
    }

    /// Make `sock` a CURVE client of `server_key` (or of the configured
    /// server key), before it connects, showing `keys`. Nothing when there
    /// is no server key.
    pub fn connect_with(&self, sock: &zmq::Socket, keys: &KeyPair, server_key: Option<&str>) -> Result<()> {
        let Some(server) = server_key.or(self.server_key.as_deref()) else { return Ok(()) };
        sock.set_curve_serverkey(server.as_bytes())?;
        sock.set_curve_publickey(keys.public.as_bytes())?;
        sock.set_curve_secretkey(keys.secret.as_bytes())?;
        Ok(())
    }

    /// The authenticator a serving role runs in its context `ctx`, when it
    /// has an allow-list. Its own public key is always allowed (the other
    /// broker of a failover pair shows it).
    pub fn authenticator(&self, ctx: &zmq::Context) -> Result<Option<Authenticator>> {
        let (Some(dir), Some(k)) = (&self.allow, &self.keys) else { return Ok(None) };
        let cfg = AuthConfig { curve: CurveClients::Dir(dir.clone()), curve_keys: vec![k.public.clone()], ..Default::default() };
        Authenticator::start(ctx, cfg).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_args_takes_keys_and_files() {
        assert!(!Curve::from_args(None, None, None).unwrap().is_on());
        let kp = curve_keypair().unwrap();
        let c = Curve::from_args(Some(&kp.secret), Some(&kp.public), None).unwrap();
        assert_eq!(c.keys.as_ref().unwrap().public, kp.public);
        assert_eq!(c.server_key.as_deref(), Some(kp.public.as_str()));
        let d = std::env::temp_dir().join(format!("hb-curve-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let cert = Certificate::generate(vec![]).unwrap();
        cert.save(&d.join("b")).unwrap();
        let secret_file = d.join("b_secret");
        let c = Curve::from_args(secret_file.to_str(), d.join("b").to_str(), d.to_str()).unwrap();
        assert_eq!(c.keys.unwrap().secret, cert.secret.clone().unwrap());
        assert_eq!(c.server_key.unwrap(), cert.public);
        let e = Curve::from_args(d.join("b").to_str(), None, None).unwrap_err().to_string();
        assert!(e.contains("no secret key"), "{e}");
        assert!(Curve::from_args(None, Some("nope"), None).is_err());
        assert!(Curve::from_args(None, None, d.join("b").to_str()).is_err(), "allow is a directory");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
