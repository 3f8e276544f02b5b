//! CURVE keys and certificates (ABI 1.4): what a program needs to give the
//! roles and the generic sockets keys, in CZMQ's certificate files.

use super::{ffi_entry, opt_str_arg, str_arg, Failure, HbStatus, HbStatus::*, Out, StrOut};
use crate::security::{cert, Certificate, KeyError};
use std::ffi::c_char;
use std::path::Path;

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
