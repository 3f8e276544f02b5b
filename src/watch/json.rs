//! The observer's findings as JSON (`hypobus watch --json`, the web page's
//! server-sent events), written by hand: no JSON crate.

use super::{BrokerEvent, BrokerView, Fallback, Outcome, RoleEvent, Summary, Trace, WatchEvent};
use std::fmt::Write as _;

/// A JSON string literal.
pub fn string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn opt(s: Option<&str>) -> String {
    s.map_or("null".into(), string)
}

fn fallback(f: &Fallback) -> String {
    match f {
        Fallback::No => "null".into(),
        Fallback::Inferred => string("inferred"),
        Fallback::Confirmed(why) => string(&format!("confirmed: {why}")),
    }
}

/// A trace with its hops.
pub fn trace(t: &Trace, names: &[String]) -> String {
    let (outcome, result) = match &t.outcome {
        Outcome::Open => ("open", None),
        Outcome::Answer(h) => ("answer", Some(h.as_str())),
        Outcome::Error(e) => ("error", Some(e.as_str())),
        Outcome::Lost => ("lost", None),
    };
    let mut o = format!(
        r#"{{"type":"trace","id":{},"tag":{},"client":{},"a":{},"b":{},"outcome":"{outcome}","result":{},"start_us":{},"total_us":{},"fallback":[{},{}],"resends":{},"duplicates":{},"impls":{{"client":"{}","calc":"{}","op1":"{}","op2":"{}"}},"brokers":["#,
        t.id,
        opt(t.tag.as_deref()),
        string(&t.client),
        opt(t.a.as_deref()),
        opt(t.b.as_deref()),
        opt(result),
        t.start_us,
        t.total_us().map_or("null".into(), |v| v.to_string()),
        fallback(&t.fallback[0]),
        fallback(&t.fallback[1]),
        t.resends,
        t.duplicates,
        t.impls[0].name(),
        t.impls[1].name(),
        t.impls[2].name(),
        t.impls[3].name(),
    );
    let bs: Vec<String> = t.brokers().into_iter().map(|b| string(names.get(b).map_or("?", |s| s.as_str()))).collect();
    o.push_str(&bs.join(","));
    o.push_str(r#"],"hops":["#);
    for (i, h) in t.hops.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let _ = write!(
            o,
            r#"{{"dt_us":{},"from":{},"to":{},"topic":{},"value":{},"mark":"{}","error":{},"broker":{}}}"#,
            h.at_us.saturating_sub(t.start_us),
            string(&h.from().name()),
            string(&h.to().name()),
            string(&h.topic),
            string(&h.value),
            h.mark.name(),
            h.error,
            string(names.get(h.broker).map_or("?", |s| s.as_str()))
        );
    }
    o.push_str(r#"],"notes":["#);
    let notes: Vec<String> = t.notes.iter().map(|n| string(&format!("{}: {}", n.role, n.text))).collect();
    o.push_str(&notes.join(","));
    o.push_str("]}");
    o
}

pub fn broker_event(e: &BrokerEvent) -> String {
    format!(
        r#"{{"type":"broker","at_us":{},"broker":{},"active":{},"alive":{},"reason":{}}}"#,
        e.at_us,
        string(&e.name),
        e.active,
        e.alive,
        string(&e.reason)
    )
}

pub fn role_event(e: &RoleEvent) -> String {
    format!(
        r#"{{"type":"role","at_us":{},"role":{},"event":{},"tag":{},"detail":{}}}"#,
        e.at_us,
        string(&e.role),
        string(&e.event),
        string(&e.tag),
        string(&e.detail)
    )
}

pub fn event(e: &WatchEvent, names: &[String]) -> String {
    match e {
        WatchEvent::Trace(t) => trace(t, names),
        WatchEvent::Broker(b) => broker_event(b),
        WatchEvent::Role(r) => role_event(r),
    }
}

pub fn summary(s: &Summary) -> String {
    format!(
        r#"{{"type":"summary","rate":{:.1},"p50_us":{},"p99_us":{},"requests":{},"answers":{},"errors":{},"lost":{},"fallbacks":{},"resends":{},"duplicates":{},"active":{},"sampling":{},"messages":{},"dropped":{}}}"#,
        s.rate,
        s.p50_us,
        s.p99_us,
        s.requests,
        s.answers,
        s.errors,
        s.lost,
        s.fallbacks,
        s.resends,
        s.duplicates,
        string(&s.active),
        s.sampling,
        s.messages,
        s.dropped
    )
}

pub fn brokers(bs: &[BrokerView]) -> String {
    let v: Vec<String> = bs
        .iter()
        .map(|b| {
            format!(
                r#"{{"name":{},"xpub":{},"alive":{},"active":{},"reported":{},"messages":{}}}"#,
                string(&b.name),
                string(&b.xpub),
                b.alive,
                b.active,
                string(&b.reported),
                b.messages
            )
        })
        .collect();
    format!("[{}]", v.join(","))
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings() {
        assert_eq!(super::string("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }
}
