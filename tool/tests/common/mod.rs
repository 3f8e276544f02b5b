//! Helpers shared by the integration tests.

/// A free TCP port (see [`hypobus::net::free_port`]).
pub fn free_port() -> u16 {
    hypobus::net::free_port().expect("a free port")
}
