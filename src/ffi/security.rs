//! CURVE keys and certificates (ABI 1.4): what a program needs to give the
//! roles and the generic sockets keys, in CZMQ's certificate files.

use super::{
    ffi_entry, free, get, lock, opt_str_arg, read_sized, register, str_arg, Failure, HbStatus, HbStatus::*, Object, Out, StrOut, TypeTag,
};
use crate::security::{cert, AuthConfig, Authenticator, Certificate, Curve, CurveClients, KeyError};
use std::ffi::c_char;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bytes of a CURVE key as Z85 text with its NUL (40 characters + 1): the
/// smallest buffer for a key.
pub const HB_CURVE_KEY_SIZE: usize = 41;

fn key_failure(e: KeyError) -> Failure {
    match e {
        KeyError::NoCurve => Failure::new(HB_CONFIG, e.to_string()),
        _ => Failure::arg(e.to_string()),
    }
}

fn cert_failure(e: cert::CertError) -> Failure {
    match e {
        cert::CertError::Io { .. } => Failure::new(HB_CONFIG, e.to_string()),
        _ => Failure::arg(e.to_string()),
    }
}

/// "name=value" lines (NULL or empty = none).
fn metadata_arg(p: *const c_char) -> Result<Vec<(String, String)>, Failure> {
    let Some(text) = opt_str_arg(p, "metadata")? else { return Ok(Vec::new()) };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| Failure::arg(format!("metadata line {l:?} is not name=value")))
        })
        .collect()
}

/// A new random CURVE key pair, each key as 40 characters of Z85 text with
/// a NUL, into `public_key` and `secret_key` (each at least
/// `HB_CURVE_KEY_SIZE` bytes; sizes in `public_len`, `secret_len`).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a NULL buffer); `HB_BUFFER_TOO_SMALL`
/// (a buffer under `HB_CURVE_KEY_SIZE`: nothing was generated);
/// `HB_CONFIG` (the library was built without CURVE). Since ABI 1.4. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_curve_keypair(public_key: *mut c_char, public_len: usize, secret_key: *mut c_char, secret_len: usize) -> HbStatus {
    ffi_entry!("hb_curve_keypair", {
        let (p, s) = key_outs(public_key, public_len, secret_key, secret_len)?;
        let kp = crate::security::curve_keypair().map_err(key_failure)?;
        p.put(&kp.public)?;
        s.put(&kp.secret)
    })
}

/// Two key buffers, checked for room before anything is made.
fn key_outs(public_key: *mut c_char, public_len: usize, secret_key: *mut c_char, secret_len: usize) -> Result<(StrOut, StrOut), Failure> {
    let p = key_out(public_key, public_len, "public_key")?;
    let s = key_out(secret_key, secret_len, "secret_key")?;
    Ok((p, s))
}

fn key_out(buf: *mut c_char, len: usize, what: &str) -> Result<StrOut, Failure> {
    if buf.is_null() {
        return Err(Failure::arg(format!("{what} is NULL")));
    }
    let out = StrOut::new(buf, len, std::ptr::null_mut(), what)?;
    if !out.fits(HB_CURVE_KEY_SIZE - 1) {
        return Err(out.too_small(HB_CURVE_KEY_SIZE - 1));
    }
    Ok(out)
}

/// The public key that belongs to `secret_key` (40 characters of Z85),
/// written into `public_key` (at least `HB_CURVE_KEY_SIZE` bytes).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (NULL, or not a Z85 key);
/// `HB_BUFFER_TOO_SMALL`; `HB_CONFIG` (no CURVE). Since ABI 1.4. Any
/// thread; never waits.
#[no_mangle]
pub extern "C" fn hb_curve_public(secret_key: *const c_char, public_key: *mut c_char, public_len: usize) -> HbStatus {
    ffi_entry!("hb_curve_public", {
        let secret = str_arg(secret_key, "secret_key")?;
        let out = key_out(public_key, public_len, "public_key")?;
        out.put(&crate::security::curve_public(secret.as_bytes()).map_err(key_failure)?)
    })
}

/// Write a CURVE certificate in CZMQ's format: the public file `path` and
/// the secret file `path` + `"_secret"` (mode 0600), as `zcert_save` and
/// `hypobus keygen` do; CZMQ and pyzmq's `zmq.auth.load_certificate` read
/// them. `secret_key` (Z85) NULL: a new key pair is made; `public_key` is
/// then ignored, else it may be NULL (derived from the secret key).
/// `metadata`: NULL or `"name=value"` lines (names of letters, digits and
/// `$-_@.&+/`; values without quotes). If `public_out` is not NULL the
/// certificate's public key is written there (at least `HB_CURVE_KEY_SIZE`
/// bytes, `public_len`).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (NULL path, a bad key or
/// metadata line; the public key given does not match the secret key);
/// `HB_BUFFER_TOO_SMALL` (nothing was written); `HB_CONFIG` (a file
/// cannot be written, the message says why; no CURVE). Since ABI 1.4. Any
/// thread; waits only on the file system.
#[no_mangle]
pub extern "C" fn hb_cert_save(
    path: *const c_char,
    public_key: *const c_char,
    secret_key: *const c_char,
    metadata: *const c_char,
    public_out: *mut c_char,
    public_len: usize,
) -> HbStatus {
    ffi_entry!("hb_cert_save", {
        let path = str_arg(path, "path")?;
        let given_public = opt_str_arg(public_key, "public_key")?;
        let secret = opt_str_arg(secret_key, "secret_key")?;
        let metadata = metadata_arg(metadata)?;
        let out = if public_out.is_null() { None } else { Some(key_out(public_out, public_len, "public_out")?) };
        let cert = match secret {
            None => Certificate::generate(metadata),
            Some(s) => Certificate::from_secret(s.as_bytes(), metadata),
        }
        .map_err(key_failure)?;
        if let (Some(p), Some(_)) = (given_public, secret) {
            if p != cert.public {
                return Err(Failure::arg("public_key is not the public key of secret_key"));
            }
        }
        cert.save(Path::new(path)).map_err(cert_failure)?;
        match out {
            Some(o) => o.put(&cert.public),
            None => Ok(()),
        }
    })
}

/// Read a CURVE certificate file (public or secret, CZMQ's or pyzmq's
/// format): its public key into `public_key`, and if `secret_key` is not
/// NULL its secret key (an empty string when the file has none). Each
/// buffer at least `HB_CURVE_KEY_SIZE` bytes. `*has_secret` (optional) = 1
/// when the file holds a secret key.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (NULL path or public buffer;
/// the file is not a certificate: the message names the file and line);
/// `HB_BUFFER_TOO_SMALL`; `HB_CONFIG` (the file cannot be read). Since ABI
/// 1.4. Any thread; waits only on the file system.
#[no_mangle]
pub extern "C" fn hb_cert_load(
    path: *const c_char,
    public_key: *mut c_char,
    public_len: usize,
    secret_key: *mut c_char,
    secret_len: usize,
    has_secret: *mut i32,
) -> HbStatus {
    ffi_entry!("hb_cert_load", {
        let path = str_arg(path, "path")?;
        let p = key_out(public_key, public_len, "public_key")?;
        let s = if secret_key.is_null() { None } else { Some(key_out(secret_key, secret_len, "secret_key")?) };
        let cert = Certificate::load(Path::new(path)).map_err(cert_failure)?;
        p.put(&cert.public)?;
        if let Some(s) = s {
            s.put(cert.secret.as_deref().unwrap_or(""))?;
        }
        if !has_secret.is_null() {
            Out::new(has_secret, "has_secret")?.set(i32::from(cert.secret.is_some()));
        }
        Ok(())
    })
}

/// Set the CURVE keys of every lab role this process creates from now on
/// (brokers, failover brokers, calc and op nodes, clients, the watch
/// observer), as the CLI's `--curve-cert`, `--curve-server` and
/// `--curve-allow` do. Each may be NULL or `""` (not set); all three
/// unset turn CURVE off again (the default).
///
/// * `cert`: this process's own certificate: the secret file
///   (`NAME_secret`, `hypobus keygen`) or its Z85 secret key. Brokers need
///   it; connecting roles show it to an allow-list (without it they make a
///   fresh key pair: encrypted, but on no list).
/// * `server`: the brokers' certificate (the public file `NAME`) or their
///   Z85 public key: connecting roles then talk CURVE to every broker.
/// * `allow`: brokers only: a directory of the certificates of the
///   clients allowed to connect (read when a broker starts).
///
/// Roles already running keep their settings, and a role given its own
/// keys (a non-NULL `hb_curve_config_t` in its config, ABI 1.5) never
/// takes these. Returns `HB_OK`;
/// `HB_CONFIG` (a file cannot be read or holds no such key, `allow` is not
/// a directory: the message names it); `HB_INVALID_ARGUMENT` (not UTF-8).
/// Since ABI 1.4. Any thread; waits only on the file system.
#[no_mangle]
pub extern "C" fn hb_curve_set_default(cert: *const c_char, server: *const c_char, allow: *const c_char) -> HbStatus {
    ffi_entry!("hb_curve_set_default", {
        let c = Curve::from_args(opt_str_arg(cert, "cert")?, opt_str_arg(server, "server")?, opt_str_arg(allow, "allow")?)?;
        crate::security::curve::set_process_default(c);
        Ok(())
    })
}

/// One role's own CURVE keys (ABI 1.5): the `curve` field of a role's
/// config struct (`hb_broker_config_t`, `hb_calc_config_t`, ...). The three
/// fields mean what `hb_curve_set_default`'s arguments mean, for that role
/// only: a role given a non-NULL `curve` uses exactly these keys and never
/// the process default (all three NULL or `""` = CURVE off for this role,
/// even when a process default is set); a NULL `curve` = the process
/// default, as before. Set `size` to `sizeof(hb_curve_config_t)`. The
/// strings are read while the constructor runs; they need not outlive it.
/// Since ABI 1.5.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbCurveConfig {
    /// Set by the caller: `sizeof(hb_curve_config_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// This role's own certificate: the secret file (`NAME_secret`) or its
    /// Z85 secret key. Serving roles need it; a connecting role shows it to
    /// an allow-list (without it: a fresh key pair). NULL or `""` = none.
    pub cert: *const c_char,
    /// Connecting roles: the brokers' certificate (the public file `NAME`)
    /// or their Z85 public key; set, the role talks CURVE. NULL or `""` = none.
    pub server: *const c_char,
    /// Serving roles: a directory of the certificates of the clients allowed
    /// to connect (needs `cert`). NULL or `""` = any client that knows the
    /// server's public key.
    pub allow: *const c_char,
}

/// A role's CURVE settings from its config's `curve` field: NULL = the
/// process default; else exactly the keys given (a bad key or file is
/// `HB_CONFIG` naming it, an unset `size` `HB_INVALID_ARGUMENT`).
pub(crate) fn curve_arg(p: *const HbCurveConfig) -> Result<Curve, Failure> {
    if p.is_null() {
        return Ok(Curve::default());
    }
    let dflt = HbCurveConfig { size: 0, reserved: 0, cert: std::ptr::null(), server: std::ptr::null(), allow: std::ptr::null() };
    let c = read_sized(p, dflt, "curve")?;
    Ok(Curve::from_args(
        opt_str_arg(c.cert, "curve->cert")?,
        opt_str_arg(c.server, "curve->server")?,
        opt_str_arg(c.allow, "curve->allow")?,
    )?)
}

/// A ZAP authenticator (opaque): decides which peers may connect to the
/// process's generic sockets that are CURVE or PLAIN servers (or NULL ones
/// with `HB_ZAP_DOMAIN` set), as CZMQ's `zauth` and pyzmq's
/// `ThreadAuthenticator`. Create with `hb_auth_new`, release with
/// `hb_auth_free`. Any thread may use it.
pub struct HbAuth {
    inner: Mutex<Authenticator>,
}

impl Object for HbAuth {
    const TAG: TypeTag = TypeTag::Auth;

    fn close(&self) {
        if let Ok(mut a) = self.inner.lock() {
            let _ = a.stop();
        }
    }
}

/// What `hb_auth_new` allows. Set `size` to `sizeof(hb_auth_config_t)`
/// and every field you do not use to 0 / NULL.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HbAuthConfig {
    /// Set by the caller: `sizeof(hb_auth_config_t)`.
    pub size: u32,
    /// Non-zero: any CURVE client that knows the server key (then
    /// `curve_dir` is not read).
    pub curve_any: i32,
    /// IP addresses allowed, comma-separated; when set, every other address
    /// is denied. NULL = no allow list.
    pub allow: *const c_char,
    /// IP addresses denied, comma-separated (not with `allow`). NULL = none.
    pub deny: *const c_char,
    /// PLAIN: a file of `user=password` lines (`#` comments). NULL = PLAIN
    /// is refused.
    pub passwords: *const c_char,
    /// CURVE: a directory of the certificates of the allowed clients.
    /// NULL (and `curve_any` 0) = CURVE is refused.
    pub curve_dir: *const c_char,
}

/// An authenticator's decisions (`hb_auth_stats`). Set `size` first.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HbAuthStats {
    /// Set by the caller: `sizeof(hb_auth_stats_t)`.
    pub size: u32,
    /// Reserved, 0.
    pub reserved: u32,
    /// Peers allowed.
    pub allowed: u64,
    /// Peers refused (malformed requests included).
    pub denied: u64,
    /// Reloads (`hb_auth_reload`).
    pub reloads: u64,
}

fn list(p: *const c_char, what: &str) -> Result<Vec<String>, Failure> {
    Ok(opt_str_arg(p, what)?.map(|s| s.split(',').map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect()).unwrap_or_default())
}

/// Start an authenticator for the process's ZeroMQ context (the one the
/// generic sockets share): it answers every ZAP request from then on,
/// logging each decision once (`auth: ALLOWED ...`/`DENIED ...` event
/// lines, `hb_log_*`). One per process: a second one, or another ZAP
/// handler bound in the process (pyzmq-style authenticators of a binding
/// included), is refused with `HB_CONFIG`. The roles' own allow-lists run
/// in their own contexts and do not count.
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`cfg` or `out` NULL, size
/// unset, both `allow` and `deny`); `HB_CONFIG` (a file or directory
/// cannot be read; another authenticator runs). Since ABI 1.4. Any thread;
/// waits only on the file system.
#[no_mangle]
pub extern "C" fn hb_auth_new(cfg: *const HbAuthConfig, out: *mut *mut HbAuth) -> HbStatus {
    ffi_entry!("hb_auth_new", {
        let dflt = HbAuthConfig {
            size: 0,
            curve_any: 0,
            allow: std::ptr::null(),
            deny: std::ptr::null(),
            passwords: std::ptr::null(),
            curve_dir: std::ptr::null(),
        };
        let c = read_sized(cfg, dflt, "cfg")?;
        let out = Out::new(out, "out")?;
        let (allow, deny) = (list(c.allow, "allow")?, list(c.deny, "deny")?);
        if !allow.is_empty() && !deny.is_empty() {
            return Err(Failure::arg("allow and deny cannot both be set"));
        }
        let curve = match (c.curve_any != 0, opt_str_arg(c.curve_dir, "curve_dir")?) {
            (true, _) => CurveClients::Any,
            (false, Some(d)) if !d.is_empty() => CurveClients::Dir(PathBuf::from(d)),
            _ => CurveClients::Refuse,
        };
        let passwords = opt_str_arg(c.passwords, "passwords")?.filter(|p| !p.is_empty()).map(PathBuf::from);
        let auth = Authenticator::start(&crate::sys::ctx::context(), AuthConfig { allow, deny, passwords, curve, curve_keys: Vec::new() })?;
        out.set(register(HbAuth { inner: Mutex::new(auth) })?);
        Ok(())
    })
}

/// Read the authenticator's files again (a changed allow-list directory,
/// new passwords): decisions from then on follow them. On an error the
/// old rules stay.
///
/// Returns `HB_OK`; `HB_CONFIG` (a file cannot be read: the old rules
/// stay); `HB_INVALID_HANDLE`. Since ABI 1.4. Any thread; waits only on
/// the file system.
#[no_mangle]
pub extern "C" fn hb_auth_reload(a: *const HbAuth) -> HbStatus {
    ffi_entry!(a; "hb_auth_reload", {
        let slot = get(a)?;
        lock(&slot.inner, "hb_auth")?.reload()?;
        Ok(())
    })
}

/// Write the authenticator's counters to `*out` (set `out->size` first).
///
/// Returns `HB_OK`; `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`. Since ABI
/// 1.4. Any thread; never waits.
#[no_mangle]
pub extern "C" fn hb_auth_stats(a: *const HbAuth, out: *mut HbAuthStats) -> HbStatus {
    ffi_entry!(a; "hb_auth_stats", {
        let slot = get(a)?;
        let s = lock(&slot.inner, "hb_auth")?.stats();
        super::put_sized(out, HbAuthStats { size: 0, reserved: 0, allowed: s.allowed, denied: s.denied, reloads: s.reloads }, "out")
    })
}

/// Stop the authenticator and release the handle (ZAP requests are then
/// not answered: libzmq lets NULL peers in and refuses CURVE and PLAIN
/// ones). NULL is a no-op.
///
/// Returns `HB_OK` or `HB_INVALID_HANDLE`. Since ABI 1.4. Any thread;
/// waits for its thread to end (it runs no user code).
#[no_mangle]
pub extern "C" fn hb_auth_free(a: *mut HbAuth) -> HbStatus {
    ffi_entry!("hb_auth_free", { free(a) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{CStr, CString};

    fn text(b: &[c_char]) -> String {
        // SAFETY: the library wrote a NUL-terminated string.
        unsafe { CStr::from_ptr(b.as_ptr()) }.to_string_lossy().into_owned()
    }

    #[test]
    fn keypair_save_load_through_the_abi() {
        let (mut p, mut s) = ([0 as c_char; 41], [0 as c_char; 41]);
        assert_eq!(hb_curve_keypair(p.as_mut_ptr(), 41, s.as_mut_ptr(), 41), HB_OK);
        let mut derived = [0 as c_char; 41];
        assert_eq!(hb_curve_public(s.as_ptr(), derived.as_mut_ptr(), 41), HB_OK);
        let public = text(&p);
        assert_eq!(text(&derived), public);
        let mut small = [0 as c_char; 40];
        assert_eq!(hb_curve_keypair(small.as_mut_ptr(), 40, s.as_mut_ptr(), 41), HB_BUFFER_TOO_SMALL);

        let dir = std::env::temp_dir().join(format!("hb-ffi-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = CString::new(dir.join("node").to_str().unwrap()).unwrap();
        let meta = CString::new("name=node\nrole = calc").unwrap();
        assert_eq!(hb_cert_save(path.as_ptr(), std::ptr::null(), s.as_ptr(), meta.as_ptr(), derived.as_mut_ptr(), 41), HB_OK);
        let secret = text(&s);
        let (mut lp, mut ls, mut has) = ([0 as c_char; 41], [0 as c_char; 41], -1);
        assert_eq!(hb_cert_load(path.as_ptr(), lp.as_mut_ptr(), 41, ls.as_mut_ptr(), 41, &mut has), HB_OK);
        assert_eq!((text(&lp), has), (public.clone(), 0), "the public file has no secret");
        let spath = CString::new(dir.join("node_secret").to_str().unwrap()).unwrap();
        assert_eq!(hb_cert_load(spath.as_ptr(), lp.as_mut_ptr(), 41, ls.as_mut_ptr(), 41, &mut has), HB_OK);
        assert_eq!((text(&ls), has), (secret, 1));
        let missing = CString::new(dir.join("none").to_str().unwrap()).unwrap();
        assert_eq!(hb_cert_load(missing.as_ptr(), lp.as_mut_ptr(), 41, std::ptr::null_mut(), 0, std::ptr::null_mut()), HB_CONFIG);
        let bad = CString::new("not z85").unwrap();
        assert_eq!(
            hb_cert_save(path.as_ptr(), std::ptr::null(), bad.as_ptr(), std::ptr::null(), std::ptr::null_mut(), 0),
            HB_INVALID_ARGUMENT
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
