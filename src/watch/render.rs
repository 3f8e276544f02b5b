//! A trace as a picture: a compact terminal sequence diagram, a Mermaid
//! `sequenceDiagram` (for a report's Markdown), or SVG (the web page and
//! `--svg`). Columns are the roles a trace shows (client, calc, op 1,
//! op 2); every arrow carries its topic, value and time since the
//! request's first message; broker changes that happened meanwhile are
//! notes across the diagram.

use super::{BrokerEvent, BrokerView, Fallback, Hop, Impl, Mark, Outcome, Role, RoleCounter, Summary, Trace};
use std::fmt::Write as _;

/// `0.214 ms`, `3.10 ms`, `312 ms`, `1.25 s`.
pub fn ms(us: u64) -> String {
    crate::log::fmt_duration(std::time::Duration::from_micros(us))
}

/// The terminal's short topic names: `req.1`, `sq.req.2`, `sq.res.1`, `reply`.
fn tiny_topic(h: &Hop) -> String {
    match h.kind {
        super::HopKind::Request(l) => format!("req.{l}"),
        super::HopKind::SquareRequest(l) => format!("sq.req.{l}"),
        super::HopKind::SquareResult(l) => format!("sq.res.{l}"),
        super::HopKind::Answer if h.untagged => "result".into(),
        super::HopKind::Answer => "reply".into(),
    }
}

fn label(h: &Hop) -> String {
    let mut s = format!("{} {}", tiny_topic(h), h.value);
    match h.mark {
        Mark::First => {}
        Mark::Resend => s.push_str(" (re)"),
        Mark::Duplicate => s.push_str(" (dup)"),
    }
    s
}

fn role_title(tr: &Trace, r: Role) -> String {
    match r {
        Role::Client => tr.client.clone(),
        r => r.name(),
    }
}

fn broker_name(names: &[String], i: usize) -> String {
    names.get(i).cloned().unwrap_or_else(|| format!("broker {}", i + 1))
}

/// One line about a trace: `#3 client 3f9a0c hypot(12, 13) = 17.6918 in 0.84 ms via primary`.
pub fn headline(tr: &Trace, names: &[String]) -> String {
    let mut s = format!("request {}: {} {}", tr.id, tr.client, tr.summary());
    if let Some(t) = tr.total_us() {
        let _ = write!(s, " in {}", ms(t));
    }
    let via: Vec<String> = tr.brokers().into_iter().map(|b| broker_name(names, b)).collect();
    if !via.is_empty() {
        let _ = write!(s, " via {}", via.join(" then "));
    }
    if let Some(tag) = &tr.tag {
        let _ = write!(s, " [tag {tag}]");
    } else {
        s.push_str(" [classic]");
    }
    s
}

/// The notes of a trace: fallbacks, resends, duplicates, role events.
pub fn notes(tr: &Trace) -> Vec<String> {
    let mut v = Vec::new();
    for (i, f) in tr.fallback.iter().enumerate() {
        match f {
            Fallback::No => {}
            Fallback::Inferred => {
                v.push(format!("no square from op {} before the answer: the calc node computed it itself (inferred)", i + 1))
            }
            Fallback::Confirmed(why) => v.push(format!("the calc node computed the square of lane {} itself ({why})", i + 1)),
        }
    }
    if tr.resends > 0 {
        v.push(format!("{} message(s) sent again (resends, re-answers)", tr.resends));
    }
    if tr.duplicates > 0 {
        v.push(format!("{} duplicate(s): the same message through two brokers, or a second answer", tr.duplicates));
    }
    for n in &tr.notes {
        if !n.text.starts_with("fallback") {
            v.push(format!("{} says {}", n.role, n.text));
        }
    }
    if tr.outcome == Outcome::Lost {
        v.push("no answer seen".into());
    }
    v
}

/// Broker events within `[from, to]`.
fn events_in(events: &[BrokerEvent], from: u64, to: u64) -> Vec<&BrokerEvent> {
    events.iter().filter(|e| e.at_us >= from && e.at_us <= to).collect()
}

fn event_text(e: &BrokerEvent) -> String {
    let state = match (e.alive, e.active) {
        (false, _) => "silent",
        (true, true) => "active",
        (true, false) => "passive",
    };
    format!("{} {state} ({})", e.name, e.reason)
}

// ------------------------------------------------------------ terminal

const COL: usize = 22;
const LEFT: usize = 1;

/// Broker changes between two requests, as terminal lines.
pub fn terminal_events(events: &[BrokerEvent], from: u64, to: u64) -> String {
    let mut out = String::new();
    for e in events.iter().filter(|e| e.at_us > from && e.at_us < to) {
        let _ = writeln!(out, "== {} ==", event_text(e));
    }
    out
}

/// The compact terminal diagram of a trace (lines end with `\n`).
pub fn terminal(tr: &Trace, names: &[String], events: &[BrokerEvent]) -> String {
    let roles = tr.roles();
    let col = |r: Role| roles.iter().position(|x| *x == r).unwrap_or(0);
    let width = LEFT + (roles.len() - 1) * COL + 1;
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(tr, names));
    let mut head = " ".repeat(10 + LEFT);
    for (i, r) in roles.iter().enumerate() {
        let mut t = role_title(tr, *r);
        if tr.impl_of(*r) == Impl::Classic {
            t.push('*');
        }
        let t: String = t.chars().take(COL - 2).collect();
        let _ = write!(head, "{t:<w$}", w = if i + 1 == roles.len() { t.len() } else { COL });
    }
    let _ = writeln!(out, "{}", head.trim_end());
    let base = || -> Vec<char> {
        let mut row = vec![' '; width];
        for k in 0..roles.len() {
            row[LEFT + k * COL] = '|';
        }
        row
    };
    let mut evs = events_in(events, tr.start_us, tr.end_us.unwrap_or(u64::MAX)).into_iter().peekable();
    let many = tr.brokers().len() > 1;
    for h in &tr.hops {
        while let Some(e) = evs.next_if(|e| e.at_us <= h.at_us) {
            let _ =
                writeln!(out, "{:>9}   == {} ==", format!("+{:.3}", e.at_us.saturating_sub(tr.start_us) as f64 / 1000.0), event_text(e));
        }
        let (a, b) = (col(h.from()), col(h.to()));
        let mut row = base();
        let (xa, xb) = (LEFT + a * COL, LEFT + b * COL);
        let (lo, hi) = (xa.min(xb), xa.max(xb));
        for c in row.iter_mut().take(hi).skip(lo + 1) {
            *c = if h.mark == Mark::First { '-' } else { '.' };
        }
        if xb > xa {
            row[hi - 1] = '>';
        } else {
            row[lo + 1] = '<';
        }
        let mut text = label(h);
        if many {
            let _ = write!(text, " [{}]", broker_name(names, h.broker));
        }
        let room = hi - lo - 4;
        let t: Vec<char> = text.chars().take(room).collect();
        let start = lo + 2 + if xb > xa { 0 } else { 1 };
        for (k, c) in t.iter().enumerate() {
            row[start + k] = *c;
        }
        let time = format!("+{:.3}", h.at_us.saturating_sub(tr.start_us) as f64 / 1000.0);
        let line: String = row.into_iter().collect();
        let _ = writeln!(out, "{time:>9} {}", line.trim_end());
    }
    for e in evs {
        let _ = writeln!(out, "{:>9}   == {} ==", format!("+{:.3}", e.at_us.saturating_sub(tr.start_us) as f64 / 1000.0), event_text(e));
    }
    for n in notes(tr) {
        let _ = writeln!(out, "{:>9}   note: {n}", "");
    }
    out
}

/// One summary line: `12:00:01 1234 req/s p50 0.42 ms p99 1.9 ms fallbacks 0 errors 0 active primary`.
pub fn summary_line(s: &Summary) -> String {
    let t = super::now_us() / 1_000_000;
    let (h, m, sec) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        "{h:02}:{m:02}:{sec:02} UTC  {:.0} req/s  p50 {}  p99 {}  requests {}  fallbacks {}  errors {}  lost {}  resends {}  duplicates {}  active {}{}",
        s.rate,
        ms(s.p50_us),
        ms(s.p99_us),
        s.requests,
        s.fallbacks,
        s.errors,
        s.lost,
        s.resends,
        s.duplicates,
        s.active,
        if s.sampling { "  (sampling)" } else { "" }
    )
}

// ------------------------------------------------------------ mermaid

fn mm(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ';' => ',',
            '#' => ' ',
            '"' => '\'',
            '<' => '(',
            '>' => ')',
            '{' | '}' | '%' | '`' | '\\' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn mm_id(r: Role) -> &'static str {
    match r {
        Role::Client => "client",
        Role::Calc => "calc",
        Role::Op(1) => "op1",
        Role::Op(_) => "op2",
    }
}

/// A Mermaid `sequenceDiagram` of one trace (no code fence).
pub fn mermaid(tr: &Trace, names: &[String], events: &[BrokerEvent]) -> String {
    let roles = tr.roles();
    let mut out = String::from("sequenceDiagram\n");
    for r in &roles {
        let imp = match tr.impl_of(*r) {
            Impl::Tagged => " (libhypobus)",
            Impl::Classic => " (classic)",
            Impl::Unknown => "",
        };
        let _ = writeln!(out, "    participant {} as {}{}", mm_id(*r), mm(&role_title(tr, *r)), imp);
    }
    let (first, last) = (mm_id(roles[0]), mm_id(*roles.last().expect("two roles at least")));
    let _ = writeln!(out, "    Note over {first},{last}: {}", mm(&headline(tr, names)));
    let mut evs = events_in(events, tr.start_us, tr.end_us.unwrap_or(u64::MAX)).into_iter().peekable();
    let many = tr.brokers().len() > 1;
    for h in &tr.hops {
        while let Some(e) = evs.next_if(|e| e.at_us <= h.at_us) {
            let _ = writeln!(out, "    Note over {first},{last}: +{} {}", ms(e.at_us.saturating_sub(tr.start_us)), mm(&event_text(e)));
        }
        let arrow = if h.error {
            "-x"
        } else if h.mark == Mark::First {
            "->>"
        } else {
            "-->>"
        };
        let mut text = format!("{} = {}", h.short_topic(), h.value);
        match h.mark {
            Mark::First => {}
            Mark::Resend => text.push_str(" (again)"),
            Mark::Duplicate => text.push_str(" (duplicate)"),
        }
        if many {
            let _ = write!(text, " via {}", broker_name(names, h.broker));
        }
        let _ =
            writeln!(out, "    {}{arrow}{}: {} [+{}]", mm_id(h.from()), mm_id(h.to()), mm(&text), ms(h.at_us.saturating_sub(tr.start_us)));
    }
    for e in evs {
        let _ = writeln!(out, "    Note over {first},{last}: +{} {}", ms(e.at_us.saturating_sub(tr.start_us)), mm(&event_text(e)));
    }
    for n in notes(tr) {
        let _ = writeln!(out, "    Note over calc: {}", mm(&n));
    }
    out
}

/// A Markdown document with one Mermaid block per trace.
pub fn mermaid_doc(title: &str, traces: &[Trace], names: &[String], events: &[BrokerEvent]) -> String {
    let mut out = format!("# {title}\n\nRecorded by `hypobus watch` from the wire (times are when each message reached the observer).\n");
    let mut prev_end = traces.first().map_or(0, |t| t.start_us.saturating_sub(1));
    for tr in traces {
        let _ = writeln!(out, "\n## {}\n\n```mermaid", mm(&headline(tr, names)));
        // Broker changes since the previous request show in this one.
        let evs: Vec<BrokerEvent> = events
            .iter()
            .filter(|e| e.at_us > prev_end && e.at_us <= tr.end_us.unwrap_or(u64::MAX))
            .map(|e| BrokerEvent { at_us: e.at_us.max(tr.start_us), ..e.clone() })
            .collect();
        out.push_str(&mermaid(tr, names, &evs));
        out.push_str("```\n");
        prev_end = tr.end_us.unwrap_or(tr.start_us);
    }
    out
}

// ------------------------------------------------------------ svg

/// Text for XML.
pub fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Color of a lifeline by implementation.
pub fn impl_color(i: Impl) -> &'static str {
    match i {
        Impl::Tagged => "#2563eb",
        Impl::Classic => "#d97706",
        Impl::Unknown => "#6b7280",
    }
}

const SVG_LEFT: i64 = 80;
const SVG_COL: i64 = 210;
const SVG_ROW: i64 = 26;
const SVG_HEAD: i64 = 64;

/// Height of one trace's diagram in the SVG.
fn trace_height(tr: &Trace, events: usize) -> i64 {
    SVG_HEAD + (tr.hops.len() + events + notes(tr).len()) as i64 * SVG_ROW + 30
}

fn svg_trace(out: &mut String, tr: &Trace, names: &[String], events: &[BrokerEvent], y0: i64) {
    let roles = tr.roles();
    let x = |r: Role| SVG_LEFT + 70 + roles.iter().position(|q| *q == r).unwrap_or(0) as i64 * SVG_COL;
    let evs = events_in(events, tr.start_us, tr.end_us.unwrap_or(u64::MAX));
    let h = trace_height(tr, evs.len());
    let tag = tr.tag.clone().unwrap_or_default();
    let outcome = match &tr.outcome {
        Outcome::Answer(_) => "answer",
        Outcome::Error(_) => "error",
        Outcome::Lost => "lost",
        Outcome::Open => "open",
    };
    let _ = writeln!(
        out,
        r#"<g class="trace" data-id="{}" data-tag="{}" data-a="{}" data-b="{}" data-outcome="{outcome}" data-result="{}" transform="translate(0,{y0})">"#,
        tr.id,
        xml(&tag),
        xml(tr.a.as_deref().unwrap_or("")),
        xml(tr.b.as_deref().unwrap_or("")),
        xml(match &tr.outcome {
            Outcome::Answer(v) => v,
            Outcome::Error(e) => e,
            _ => "",
        })
    );
    let _ = writeln!(out, r#"<text class="title" x="8" y="18" font-size="13" font-weight="bold">{}</text>"#, xml(&headline(tr, names)));
    for r in &roles {
        let (cx, imp) = (x(*r), tr.impl_of(*r));
        let color = impl_color(imp);
        let _ = writeln!(
            out,
            r#"<g class="lifeline" data-role="{}" data-impl="{}"><rect x="{}" y="26" width="150" height="22" rx="4" fill="{color}"/><text x="{cx}" y="41" font-size="12" fill="white" text-anchor="middle">{}</text><line x1="{cx}" y1="48" x2="{cx}" y2="{}" stroke="{color}" stroke-dasharray="4 3"/></g>"#,
            xml(&r.name()),
            imp.name(),
            cx - 75,
            xml(&role_title(tr, *r)),
            h - 10
        );
    }
    let mut y = SVG_HEAD;
    let mut evs = evs.into_iter().peekable();
    let many = tr.brokers().len() > 1;
    let left = SVG_LEFT + 70 - 75;
    let right = x(*roles.last().expect("roles")) + 75;
    let event_row = |out: &mut String, e: &BrokerEvent, y: i64| {
        let _ = writeln!(
            out,
            r#"<g class="broker-event" data-broker="{}" data-active="{}"><line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke='#dc2626' stroke-width="2"/><text x="{}" y="{}" font-size="11" fill='#dc2626'>+{} {}</text></g>"#,
            xml(&e.name),
            e.active,
            left + 4,
            y - 4,
            xml(&ms(e.at_us.saturating_sub(tr.start_us))),
            xml(&event_text(e))
        );
    };
    for hp in &tr.hops {
        while let Some(e) = evs.next_if(|e| e.at_us <= hp.at_us) {
            event_row(out, e, y);
            y += SVG_ROW;
        }
        let (xa, xb) = (x(hp.from()), x(hp.to()));
        let color = if hp.error {
            "#dc2626"
        } else if hp.mark == Mark::First {
            "#111827"
        } else {
            "#7c3aed"
        };
        let dash = if hp.mark == Mark::First { "" } else { r#" stroke-dasharray="6 3""# };
        let mut text = format!("{} = {}", hp.short_topic(), hp.value);
        match hp.mark {
            Mark::First => {}
            Mark::Resend => text.push_str(" (again)"),
            Mark::Duplicate => text.push_str(" (dup)"),
        }
        if many {
            let _ = write!(text, " via {}", broker_name(names, hp.broker));
        }
        let kind = match hp.kind {
            super::HopKind::Request(_) => "request",
            super::HopKind::SquareRequest(_) => "square-request",
            super::HopKind::SquareResult(_) => "square-result",
            super::HopKind::Answer => "answer",
        };
        let _ = writeln!(
            out,
            r#"<g class="arrow" data-kind="{kind}" data-from="{}" data-to="{}" data-mark="{}" data-value="{}" data-broker="{}"><text x="8" y="{}" font-size="10" fill='#6b7280'>+{}</text><line x1="{xa}" y1="{y}" x2="{xb}" y2="{y}" stroke="{color}" stroke-width="1.5"{dash} marker-end="url(#head)"/><text x="{}" y="{}" font-size="11" text-anchor="middle" fill="{color}">{}</text></g>"#,
            xml(&hp.from().name()),
            xml(&hp.to().name()),
            hp.mark.name(),
            xml(&hp.value),
            xml(&broker_name(names, hp.broker)),
            y + 4,
            xml(&ms(hp.at_us.saturating_sub(tr.start_us))),
            (xa + xb) / 2,
            y - 4,
            xml(&text)
        );
        y += SVG_ROW;
    }
    for e in evs {
        event_row(out, e, y);
        y += SVG_ROW;
    }
    for n in notes(tr) {
        let _ = writeln!(out, r#"<text class="note" x="{}" y="{y}" font-size="11" fill='#92400e'>note: {}</text>"#, SVG_LEFT, xml(&n));
        y += SVG_ROW;
    }
    out.push_str("</g>\n");
}

fn svg_open(out: &mut String, w: i64, h: i64) {
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="hb-diagram" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif"><defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="context-stroke"/></marker></defs><rect width="100%" height="100%" fill="white"/>"##
    );
}

/// An SVG document with the diagrams of `traces` one under the other.
pub fn svg(traces: &[Trace], names: &[String], events: &[BrokerEvent]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&svg_fragment(traces, names, events));
    out
}

/// The `<svg>` element alone (for embedding in a page).
pub fn svg_fragment(traces: &[Trace], names: &[String], events: &[BrokerEvent]) -> String {
    let w = SVG_LEFT + 70 + 3 * SVG_COL + 110;
    let hs: Vec<i64> = traces.iter().map(|t| trace_height(t, events_in(events, t.start_us, t.end_us.unwrap_or(u64::MAX)).len())).collect();
    let total: i64 = hs.iter().sum::<i64>().max(40);
    let mut out = String::new();
    svg_open(&mut out, w, total);
    if traces.is_empty() {
        out.push_str(r#"<text x="10" y="24" font-size="13" fill='#6b7280'>no request seen yet</text>"#);
    }
    let mut y = 0;
    for (t, h) in traces.iter().zip(hs) {
        svg_trace(&mut out, t, names, events, y);
        y += h;
    }
    out.push_str("</svg>\n");
    out
}

/// The failover timeline: one row per broker, active (green), passive
/// (gray), silent (red) over time, from `from_us` to `now_us`.
pub fn timeline_svg(brokers: &[BrokerView], events: &[BrokerEvent], from_us: u64, now_us: u64) -> String {
    let (w, row) = (900i64, 34i64);
    let h = 30 + brokers.len() as i64 * row + 20;
    let span = now_us.saturating_sub(from_us).max(1) as f64;
    let xt = |t: u64| 110.0 + (t.saturating_sub(from_us) as f64 / span) * (w as f64 - 130.0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="hb-timeline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#
    );
    for (i, b) in brokers.iter().enumerate() {
        let y = 20 + i as i64 * row;
        let _ = writeln!(out, r#"<text x="6" y="{}" font-size="12">{}</text>"#, y + 16, xml(&b.name));
        // Segments between this broker's events.
        let mut state: Option<(bool, bool)> = None;
        let mut t0 = from_us;
        let mut segs = Vec::new();
        for e in events.iter().filter(|e| e.broker == i) {
            segs.push((t0, e.at_us, state));
            state = Some((e.alive, e.active));
            t0 = e.at_us;
        }
        segs.push((t0, now_us, state));
        for (a, z, st) in segs {
            let (fill, name) = match st {
                None => ("#e5e7eb", "unknown"),
                Some((false, _)) => ("#dc2626", "silent"),
                Some((true, true)) => ("#16a34a", "active"),
                Some((true, false)) => ("#9ca3af", "passive"),
            };
            let (x1, x2) = (xt(a), xt(z));
            if x2 - x1 < 0.5 {
                continue;
            }
            let _ = writeln!(
                out,
                r#"<rect class="segment" data-broker="{}" data-state="{name}" x="{x1:.1}" y="{y}" width="{:.1}" height="22" fill="{fill}"><title>{} {name}</title></rect>"#,
                xml(&b.name),
                x2 - x1,
                xml(&b.name)
            );
        }
    }
    for e in events {
        let x = xt(e.at_us);
        let y = 20 + e.broker as i64 * row;
        let _ = writeln!(
            out,
            r#"<g class="tl-event" data-broker="{}" data-active="{}" data-alive="{}"><line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="black"/><title>{}</title></g>"#,
            xml(&e.name),
            e.active,
            e.alive,
            y - 2,
            y + 24,
            xml(&event_text(e))
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="110" y="{}" font-size="10" fill='#6b7280'>{} ago</text><text x="{}" y="{}" font-size="10" fill='#6b7280' text-anchor="end">now</text>"#,
        h - 4,
        xml(&ms(now_us.saturating_sub(from_us))),
        w - 20,
        h - 4
    );
    out.push_str("</svg>\n");
    out
}

/// The role counters as an HTML table body (rows).
pub fn roles_rows(roles: &[(String, RoleCounter)]) -> String {
    let mut out = String::new();
    for (name, c) in roles {
        let imp = c.impl_.unwrap_or(Impl::Unknown);
        let _ = writeln!(
            out,
            r#"<tr data-role="{}"><td><span class="dot" style="background:{}"></span>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            xml(name),
            impl_color(imp),
            xml(name),
            imp.name(),
            c.sent,
            c.errors,
            c.fallbacks
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::trace::{Output, Tracker, TrackerConfig};
    use super::*;

    fn sample() -> Trace {
        let mut t = Tracker::new(TrackerConfig::default());
        let f = |s: &[&str]| s.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
        for (at, fr) in [
            (0, f(&["calc.request.1#ab.1", "12"])),
            (10, f(&["calc.request.2#ab.1", "13"])),
            (20, f(&["calc.square.request.1#ab.1", "12"])),
            (21, f(&["calc.square.request.2#ab.1", "13"])),
            (30, f(&["calc.square.result.2#ab.1", "169"])),
            (300_000, f(&["calc.hypotenuse.reply#ab.1", "17.6918"])),
        ] {
            let r: Vec<&[u8]> = fr.iter().map(|v| &v[..]).collect();
            t.on_message(at, 0, &r);
        }
        t.on_time(10_000_000);
        let first = t.drain().next();
        match first {
            Some(Output::Trace(tr)) => *tr,
            _ => panic!("no trace"),
        }
    }

    #[test]
    fn renders() {
        let tr = sample();
        let names = vec!["broker".to_string()];
        let term = terminal(&tr, &names, &[]);
        assert!(term.contains("client ab") && term.contains("req.1 12") && term.contains("op 2"), "{term}");
        assert!(term.contains("computed it itself"), "{term}");
        let m = mermaid(&tr, &names, &[]);
        assert!(m.starts_with("sequenceDiagram\n") && m.contains("client->>calc: request.1 = 12") && !m.contains('#'), "{m}");
        let s = svg(&[tr.clone(), tr], &names, &[]);
        assert!(s.contains(r#"class="lifeline" data-role="calc""#) && s.matches("class=\"arrow\"").count() == 12);
    }
}
