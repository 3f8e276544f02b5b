//! Broker lists (`BrokerAddr::parse_list`): the one grammar of the C ABI's
//! `brokers` arguments, both bindings and the CLI's `--broker` (which
//! calls it after refusing an empty value); and the other words a user
//! types (`Role::parse`, the task broker's `Policy::parse`).
//! Input: the text, as a C caller or a command line gives it.
//!
//! Invariants: a list that parses is not empty; each broker written back
//! as `XSUB_ENDPOINT|XPUB_ENDPOINT` parses to the same broker, and the
//! whole list written so parses to the same list; errors have text.
#![no_main]

use hypobus::lab::brokers::BrokerAddr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = hypobus::lab::failover::Role::parse(s);
    let _ = hypobus::task::broker::Policy::parse(s);
    let list = match BrokerAddr::parse_list(s) {
        Ok(list) => list,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert!(!list.is_empty());
    let written: Vec<String> = list.iter().map(|b| format!("{}|{}", b.xsub, b.xpub)).collect();
    for (b, w) in list.iter().zip(&written) {
        assert_eq!(&BrokerAddr::parse(w).unwrap_or_else(|e| panic!("{w:?}: {e}")), b);
        assert!(b.is_ipv6() == (b.xsub.contains('[') || b.xpub.contains('[')));
    }
    assert_eq!(BrokerAddr::parse_list(&written.join(", ")).expect("written list"), list);
});
