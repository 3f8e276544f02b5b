//! Helpers shared by the integration tests.

/// A free TCP port (see [`hypobus::sys::ctx::free_port`]).
pub fn free_port() -> u16 {
    hypobus::sys::ctx::free_port().expect("a free port")
}

pub mod task;
