//! The command-line tool's parts beyond the library (the `hypobus` binary
//! is `main.rs`): what spawns processes, serves HTTP or puts on a show, so
//! that the library C, Python and Node load holds none of it.
//!
//! - [`check`]: `hypobus check`, grading a program that plays a role.
//! - [`demo`]: `hypobus lab`, stage by stage.
//! - [`stats`]: the one-line counter reports every role prints.
//! - [`broker_process`]: failover brokers as `hypobus broker --role …`
//!   processes ([`BrokerProcess`]).
//! - [`failover_trial`]: the failover trial (a primary SIGKILLed under
//!   streaming clients, take-over, restart, hand-back).
//! - [`http`]: `hypobus watch --http`'s live page (SVG, server-sent events).
//! - [`scenario`]: the lab's three scenarios (normal, fallback, failover),
//!   run and recorded for a report.

pub mod broker_process;
pub mod check;
pub mod demo;
pub mod failover_trial;
pub mod http;
pub mod scenario;
pub mod stats;

pub use broker_process::{fmt_event, parse_event, BrokerPorts, BrokerProcess, BrokerProcessConfig, ProcessStats};
pub use demo::{fmt_duration, run_demo, Check, DemoConfig, DemoReport, Row, Stage};
pub use failover_trial::{failover_trial, outage, FailoverTrial, FailoverTrialConfig};
pub use stats::{fmt_broker, fmt_calc, fmt_client, fmt_failover, fmt_op, fmt_task_broker, fmt_task_client, fmt_task_worker};
