//! Keeping strangers out: CURVE keys and certificates, the ZAP
//! authenticator that checks who may connect, and the roles' CURVE
//! settings ([`Curve`]).
//!
//! Keys travel as Z85 text (40 characters for 32 bytes), the form libzmq's
//! options, CZMQ's certificates and pyzmq all use.

pub mod auth;
pub mod cert;
pub mod curve;
pub mod keys;

pub use auth::{AuthConfig, AuthStats, Authenticator, CurveClients};
pub use cert::{CertError, Certificate};
pub use curve::Curve;
pub use keys::{curve_keypair, curve_public, z85_decode, z85_encode, KeyError, KeyPair};
