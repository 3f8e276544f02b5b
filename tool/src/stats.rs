//! The one-line counter reports every role prints (`broker: forwarded=…`):
//! on stdout at the end of a run and every `--stats-every-ms`, and in the
//! lab demo's report.

use hypobus::lab::failover::{FailoverStats, Role};

/// One line of broker counters: `broker: forwarded=… …`.
pub fn fmt_broker(s: &hypobus::lab::broker::BrokerStats) -> String {
    format!(
        "broker: forwarded={} dropped_passive={} subscriptions={} unsubscriptions={} heartbeats={}",
        s.forwarded, s.dropped_passive, s.subscriptions, s.unsubscriptions, s.heartbeats
    )
}

/// One line of operation node counters: `op lane N: requests=… …`.
pub fn fmt_op(lane: u32, s: &hypobus::lab::op::OpStats) -> String {
    format!("op lane {lane}: requests={} replies={} errors={} ignored={}", s.requests, s.replies, s.errors, s.ignored)
}

/// One line of calc node counters: `calc: requests=… …`.
pub fn fmt_calc(s: &hypobus::lab::calc::CalcStats) -> String {
    format!(
        "calc: requests={} classic_requests={} results={} errors={} fallbacks={} squares_received={} duplicates={} bad_messages={} expired={} in_flight={}",
        s.requests,
        s.classic_requests,
        s.results,
        s.errors,
        s.fallbacks,
        s.squares_received,
        s.duplicates,
        s.bad_messages,
        s.expired,
        s.in_flight
    )
}

/// One line of client counters: `client: requests=… …`.
pub fn fmt_client(s: &hypobus::lab::client::ClientStats) -> String {
    format!("client: requests={} resent={} answers={} duplicates={} timeouts={}", s.requests, s.resent, s.answers, s.duplicates, s.timeouts)
}

/// One line of failover counters: `failover: role=… state=… …`.
pub fn fmt_failover(role: Role, s: &FailoverStats) -> String {
    let silent = if s.peer_silent_ms == u64::MAX { "never-heard".to_string() } else { s.peer_silent_ms.to_string() };
    format!(
        "failover: role={} state={} activations={} deactivations={} heartbeats={} peer_heartbeats={} peer_silent_ms={silent}",
        role.name(),
        if s.active != 0 { "active" } else { "passive" },
        s.activations,
        s.deactivations,
        s.heartbeats,
        s.peer_heartbeats
    )
}

/// One line of broker counters: `task-broker: requests=… …` (the CLI's stats lines).
pub fn fmt_task_broker(s: &hypobus::task::broker::TaskBrokerStats) -> String {
    format!(
        "task-broker: requests={} recovered={} resends={} replies={} errors={} dispatched={} timeouts={} late={} registered={} purged={} workers={} pending={} forwarded={} from_peers={} malformed={} commits={}",
        s.requests, s.recovered, s.resends, s.replies, s.errors, s.dispatched, s.timeouts, s.late, s.registered, s.purged, s.workers, s.pending,
        s.forwarded, s.from_peers, s.malformed, s.commits
    )
}

/// One line of worker counters: `worker: jobs=… …`.
pub fn fmt_task_worker(s: &hypobus::task::worker::WorkerStats) -> String {
    format!(
        "worker: jobs={} replies={} errors={} dropped={} reconnects={} held={} load={}",
        s.jobs, s.replies, s.errors, s.dropped, s.reconnects, s.held, s.load
    )
}

/// One line of client counters: `task-client: submitted=… …`.
pub fn fmt_task_client(s: &hypobus::task::client::TaskClientStats) -> String {
    format!(
        "task-client: submitted={} resent={} reconnects={} completed={} failed={} gave_up={} duplicates={} pending_notices={} in_flight={}",
        s.submitted, s.resent, s.reconnects, s.completed, s.failed, s.gave_up, s.duplicates, s.pending_notices, s.in_flight
    )
}
