//! The observability topics: what libhypobus roles publish for an
//! observer (`hypobus watch`) about what the wire alone does not show (a
//! calc node's fallback, a refused request). No classic subscriber's prefix
//! matches them (they subscribe to `calc.…`), and no libhypobus node
//! subscribes to them: without an observer a publisher drops such a message
//! at once, on its own socket.

/// Prefix of the observability topics (`hypobus.obs.calc`,
/// `hypobus.obs.op.<lane>`, `hypobus.obs.broker`).
pub const OBS_PREFIX: &str = "hypobus.obs.";

/// The calc node's observability topic.
pub const CALC_TOPIC: &str = "hypobus.obs.calc";

/// The observability topic of a role: `hypobus.obs.calc`, `hypobus.obs.op.1`, `hypobus.obs.broker`.
pub fn obs_topic(role: &str) -> String {
    format!("{OBS_PREFIX}{role}")
}

/// Publish a role's observability event `[topic, event, tag, detail]` on a
/// node's PUB socket (never waits; without an observer subscribed the
/// socket drops it at once).
pub fn publish_obs(publ: &zmq::Socket, topic: &str, event: &str, tag: &str, detail: &str) {
    let _ = publ.send_multipart([topic.as_bytes(), event.as_bytes(), tag.as_bytes(), detail.as_bytes()], zmq::DONTWAIT);
}
