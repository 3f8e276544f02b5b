//! CURVE key pairs and Z85 (ZeroMQ RFC 32), from the libzmq inside the
//! library (which draws its randomness from libsodium).

use std::ffi::{c_char, CStr};

extern "C" {
    fn zmq_curve_keypair(public: *mut c_char, secret: *mut c_char) -> i32;
    fn zmq_curve_public(public: *mut c_char, secret: *const c_char) -> i32;
    fn zmq_z85_encode(dest: *mut c_char, data: *const u8, size: usize) -> *mut c_char;
    fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8;
}

/// The 85 characters of Z85, by value.
const Z85_ALPHABET: &[u8; 85] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Length of a CURVE key as Z85 text.
pub const Z85_KEY_LEN: usize = 40;

/// What is wrong with a key or with Z85 text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("Z85 data must be a multiple of 4 bytes long (got {0})")]
    EncodeLength(usize),
    #[error("Z85 text must be a multiple of 5 characters of the Z85 alphabet (got {0:?})")]
    Decode(String),
    #[error("a CURVE key is 32 bytes or 40 characters of Z85 (got {0} bytes)")]
    KeyLength(usize),
    #[error("this libzmq has no CURVE (zmq_has(\"curve\") is false)")]
    NoCurve,
}

/// A CURVE key pair as Z85 text.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    pub public: String,
    pub secret: String,
}

impl std::fmt::Debug for KeyPair {
    // A secret key never reaches a log by accident.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("public", &self.public).field("secret", &"<secret>").finish()
    }
}

fn text(buf: &[u8; Z85_KEY_LEN + 1]) -> String {
    CStr::from_bytes_until_nul(buf).map(|c| c.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A new random key pair.
pub fn curve_keypair() -> Result<KeyPair, KeyError> {
    let (mut public, mut secret) = ([0u8; Z85_KEY_LEN + 1], [0u8; Z85_KEY_LEN + 1]);
    // SAFETY: both buffers hold 41 bytes, as zmq_curve_keypair writes.
    if unsafe { zmq_curve_keypair(public.as_mut_ptr().cast(), secret.as_mut_ptr().cast()) } != 0 {
        return Err(KeyError::NoCurve);
    }
    Ok(KeyPair { public: text(&public), secret: text(&secret) })
}

/// The public key of a secret key (32 bytes or 40 Z85 characters), as Z85.
pub fn curve_public(secret: &[u8]) -> Result<String, KeyError> {
    let secret_z85 = key_z85(secret)?;
    let mut sec = [0u8; Z85_KEY_LEN + 1];
    sec[..Z85_KEY_LEN].copy_from_slice(secret_z85.as_bytes());
    let mut public = [0u8; Z85_KEY_LEN + 1];
    // SAFETY: 41-byte buffers; `sec` is NUL-terminated Z85 of 32 bytes.
    if unsafe { zmq_curve_public(public.as_mut_ptr().cast(), sec.as_ptr().cast()) } != 0 {
        return Err(KeyError::NoCurve);
    }
    Ok(text(&public))
}

/// A key given as 32 bytes or 40 Z85 characters, as Z85 text.
pub fn key_z85(key: &[u8]) -> Result<String, KeyError> {
    match key.len() {
        32 => z85_encode(key),
        Z85_KEY_LEN => {
            let s = std::str::from_utf8(key).map_err(|_| KeyError::Decode(String::from_utf8_lossy(key).into_owned()))?;
            z85_decode(s)?;
            Ok(s.to_owned())
        }
        n => Err(KeyError::KeyLength(n)),
    }
}

/// Z85 text of `data` (a multiple of 4 bytes).
pub fn z85_encode(data: &[u8]) -> Result<String, KeyError> {
    if !data.len().is_multiple_of(4) {
        return Err(KeyError::EncodeLength(data.len()));
    }
    let mut out = vec![0u8; data.len() / 4 * 5 + 1];
    // SAFETY: `out` holds size * 5 / 4 + 1 bytes, as zmq_z85_encode needs.
    let p = unsafe { zmq_z85_encode(out.as_mut_ptr().cast(), data.as_ptr(), data.len()) };
    if p.is_null() {
        return Err(KeyError::EncodeLength(data.len()));
    }
    out.pop();
    Ok(String::from_utf8(out).expect("Z85 is ASCII"))
}

/// The bytes of Z85 text (a multiple of 5 characters of the alphabet).
pub fn z85_decode(s: &str) -> Result<Vec<u8>, KeyError> {
    let bad = || KeyError::Decode(s.chars().take(64).collect());
    if !s.len().is_multiple_of(5) || !s.bytes().all(|b| Z85_ALPHABET.contains(&b)) {
        return Err(bad());
    }
    let cs = std::ffi::CString::new(s).map_err(|_| bad())?;
    let mut out = vec![0u8; s.len() / 5 * 4];
    // SAFETY: `out` holds len * 4 / 5 bytes; `cs` is NUL-terminated.
    let p = unsafe { zmq_z85_decode(out.as_mut_ptr(), cs.as_ptr()) };
    if p.is_null() {
        return Err(bad());
    }
    // libzmq does not check that a group of five fits 32 bits: round-trip it.
    if z85_encode(&out)? != s {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc32_test_vector() {
        let data = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(z85_encode(&data).unwrap(), "HelloWorld");
        assert_eq!(z85_decode("HelloWorld").unwrap(), data);
    }

    #[test]
    fn bad_z85_is_refused() {
        assert_eq!(z85_encode(&[1, 2, 3]), Err(KeyError::EncodeLength(3)));
        assert!(z85_decode("Hell").is_err());
        assert!(z85_decode("Hello~orld").is_err());
        assert!(z85_decode("#####").is_err(), "a group above 2^32 does not decode");
    }

    #[test]
    fn keypair_and_public_agree() {
        let kp = curve_keypair().unwrap();
        assert_eq!(kp.public.len(), 40);
        assert_eq!(curve_public(kp.secret.as_bytes()).unwrap(), kp.public);
        let raw = z85_decode(&kp.secret).unwrap();
        assert_eq!(curve_public(&raw).unwrap(), kp.public);
        assert_eq!(curve_public(b"short"), Err(KeyError::KeyLength(5)));
        assert!(!format!("{kp:?}").contains(&kp.secret));
    }
}
