//! A check's report: the terminal table, Markdown for the student (with
//! the Mermaid diagram of each failing request) and Gradescope's
//! `results.json` (tests with name, score, max_score, output).

use super::{Report, Status};
use std::fmt::Write as _;

/// The terminal table.
pub fn table(r: &Report) -> String {
    let mut out = format!("hypobus check {}: {}\n\n", r.role.name(), r.command.join(" "));
    let w = r.outcomes.iter().map(|o| o.name.chars().count()).max().unwrap_or(10);
    for o in &r.outcomes {
        let _ = writeln!(out, "  {:<4}  {:<w$}  {:>5.1} s  {}", o.verdict.status.name(), o.name, o.took.as_secs_f64(), o.verdict.why);
    }
    let _ = writeln!(out, "\n{}", summary_line(r));
    if r.output_bytes > 1 << 20 {
        let _ = writeln!(
            out,
            "the program wrote {:.1} MB of output (the first {} KiB of each stream were kept)",
            r.output_bytes as f64 / 1e6,
            super::student::OUTPUT_KEPT / 1024
        );
    }
    out
}

/// `6 passed, 1 failed, 1 not applicable in 23.4 s`.
pub fn summary_line(r: &Report) -> String {
    format!(
        "{} passed, {} failed, {} not applicable in {:.1} s",
        r.count(Status::Passed),
        r.count(Status::Failed),
        r.count(Status::Skipped),
        r.took.as_secs_f64()
    )
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown: the table, then each failed scenario with why and its diagram.
pub fn markdown(r: &Report) -> String {
    let mut out = format!(
        "# hypobus check {}\n\nCommand: `{}`\n\n{}\n\n| scenario | result | time | why |\n|---|---|---|---|\n",
        r.role.name(),
        r.command.join(" "),
        summary_line(r)
    );
    for o in &r.outcomes {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} s | {} |",
            md_cell(&o.name),
            o.verdict.status.name(),
            o.took.as_secs_f64(),
            md_cell(&o.verdict.why)
        );
    }
    for o in r.outcomes.iter().filter(|o| o.verdict.status == Status::Failed) {
        let _ = write!(out, "\n## FAIL: {}\n\n{}\n", o.name, o.verdict.why);
        if let Some(d) = &o.verdict.diagram {
            let _ = write!(out, "\nThe request as the observer saw it on the wire:\n\n```mermaid\n{d}```\n");
        }
    }
    out
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Gradescope's `results.json`: one test per scenario, 1 point each (a
/// scenario that does not apply is worth 0 of 0), the diagram in the output.
pub fn gradescope(r: &Report) -> String {
    let mut tests = Vec::new();
    let mut score = 0;
    for o in &r.outcomes {
        let (s, max) = match o.verdict.status {
            Status::Passed => (1, 1),
            Status::Failed => (0, 1),
            Status::Skipped => (0, 0),
        };
        score += s;
        let mut output = format!("{}: {}", o.verdict.status.name(), o.verdict.why);
        if let Some(d) = &o.verdict.diagram {
            let _ = write!(output, "\n\n```mermaid\n{d}```");
        }
        let status = if o.verdict.status == Status::Failed { "failed" } else { "passed" };
        tests.push(format!(
            "    {{\"name\": {}, \"score\": {s}, \"max_score\": {max}, \"status\": \"{status}\", \"output\": {}, \"output_format\": \"md\"}}",
            json_str(&o.name),
            json_str(&output)
        ));
    }
    format!(
        "{{\n  \"score\": {score},\n  \"execution_time\": {:.1},\n  \"output\": {},\n  \"tests\": [\n{}\n  ]\n}}\n",
        r.took.as_secs_f64(),
        json_str(&format!("hypobus check {}: {}", r.role.name(), summary_line(r))),
        tests.join(",\n")
    )
}
