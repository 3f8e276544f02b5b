// Builds the vendored libzmq 4.3.4 (zeromq-src) with CURVE on libsodium.
//
// The published zmq-sys passes `with_libsodium(None)`, which builds libzmq
// without CURVE at all. libsodium-sys-stable (a normal dependency) has
// already built libsodium from its signed, bundled source tarball and told
// us where through its `links = "sodium"` metadata.
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build/main.rs");
    println!("cargo:rerun-if-env-changed=PROFILE");
    let dir = |key: &str| {
        PathBuf::from(env::var(key).unwrap_or_else(|_| panic!("{} not set: libsodium-sys-stable must be a dependency of zmq-sys", key)))
    };
    let sodium = zeromq_src::LibLocation::new(dir("DEP_SODIUM_LIB"), dir("DEP_SODIUM_INCLUDE"));
    zeromq_src::Build::new().with_libsodium(Some(sodium)).build();
}
