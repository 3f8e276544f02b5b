//! Where the roles bind and how nodes name brokers: IPv6 loopback, broker
//! lists with the endpoints as a broker reports them, and the C ABI's
//! loopback-only default for a heartbeat endpoint.

use hypobus::lab::broker::{Broker, BrokerConfig};
use hypobus::lab::brokers::BrokerAddr;
use hypobus::lab::calc::{CalcConfig, CalcNode};
use hypobus::lab::client::{Client, ClientConfig};
use hypobus::lab::op::{OpConfig, OpNode, Operation};
use std::ffi::{c_char, CStr};
use std::time::Duration;

/// A lab on `xsub`/`xpub`, its nodes and a client given `spec` (a broker-list
/// entry built from the bound endpoints): the client's answer to 12, 13.
fn ask_through(xsub: &str, xpub: &str, spec: impl Fn(&str, &str) -> String) -> String {
    let broker = Broker::start(BrokerConfig { xsub: xsub.into(), xpub: xpub.into(), hb: None, ..Default::default() }).unwrap();
    let (x, p) = (broker.endpoints.0.clone(), broker.endpoints.1.clone());
    let addr = BrokerAddr::parse(&spec(&x, &p)).unwrap();
    let brokers = vec![addr];
    let _ops: Vec<OpNode> = (1..=2).map(|lane| OpNode::start(OpConfig::new(brokers.clone(), lane), Operation::Square).unwrap()).collect();
    let _calc = CalcNode::start(CalcConfig { brokers: brokers.clone(), ..Default::default() }).unwrap();
    let mut client = Client::new(ClientConfig { brokers, ..Default::default() }).unwrap();
    client.hypot_within("12", "13", Duration::from_secs(10)).unwrap()
}

fn port(ep: &str) -> &str {
    ep.rsplit(':').next().unwrap()
}

#[test]
fn a_lab_over_ipv6_loopback() {
    // This machine has ::1 (CI too: the same kind); a bind failure is a failure.
    let got = ask_through("tcp://[::1]:*", "tcp://[::1]:*", |x, p| format!("[::1]:{}:{}", port(x), port(p)));
    assert_eq!(got, "17.6918");
}

#[test]
fn a_broker_list_takes_the_endpoints_as_reported() {
    let got = ask_through("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", |x, p| format!("{x}|{p}"));
    assert_eq!(got, "17.6918");
}

#[test]
fn a_null_heartbeat_endpoint_binds_loopback_only() {
    use hypobus::ffi::broker::*;
    use hypobus::ffi::HbStatus;
    let mut b: *mut HbBroker = std::ptr::null_mut();
    let st = hb_broker_new(c"tcp://127.0.0.1:*".as_ptr(), c"tcp://127.0.0.1:*".as_ptr(), std::ptr::null(), 0, &mut b);
    if st == HbStatus::HB_CONFIG {
        // Port 5560 taken by something else on this machine: what is
        // tested is only where the default binds, so say it and stop.
        let in_use = std::net::TcpListener::bind(("127.0.0.1", 5560)).is_err();
        assert!(in_use, "hb_broker_new failed although 127.0.0.1:5560 is free");
        eprintln!("127.0.0.1:5560 is in use here; the default's address cannot be checked");
        return;
    }
    assert_eq!(st, HbStatus::HB_OK);
    let mut buf = [0 as c_char; 128];
    assert_eq!(hb_broker_endpoint(b, 2, buf.as_mut_ptr(), buf.len(), std::ptr::null_mut()), HbStatus::HB_OK);
    // SAFETY: NUL-terminated by hb_broker_endpoint.
    let ep = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_string();
    assert_eq!(ep, "tcp://127.0.0.1:5560");
    assert_eq!(hb_broker_free(b), HbStatus::HB_OK);
}
