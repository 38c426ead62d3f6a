//! One self-contained HTML page for people: a matrix of checks (rows) × locations
//! (columns: `local`, subnets, regions, accounts), each cell coloured by its verdict and
//! opening (a `<details>`, open from the start for a failure) its phases with timing
//! bars, the hint, and — for an `access-denied` — the IAM policy statement that would fix
//! it.
//!
//! No external assets (CSS inline, no fonts, no script needed to read it), so the file
//! works offline and from a CI artifact. A few lines of inline script only add keyboard
//! shortcuts (expand / collapse all). Every string from configuration, plugins or servers
//! is HTML-escaped. Nothing here does I/O.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use netcheck_report::{self as report, Report};
//! use netcheck_runner_api::CheckResult;
//!
//! let results = vec![CheckResult::new("db", "core", "tcp://10.0.0.5:5432", "tcp")];
//! let r = Report { results: &results, runner: "local", region: None,
//!                  started_at: SystemTime::now(), duration: Duration::from_millis(1200) };
//! let page = report::html(&r);
//! assert!(page.starts_with("<!DOCTYPE html>") && page.contains("core/db"));
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use netcheck_runner_api::{CheckResult, Phases};

use super::Report;
use super::summary::{human_duration, human_ms};

const STYLE: &str = r#"
:root { --pass: #1a7f37; --warn: #9a6700; --fail: #cf222e; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: var(--muted); margin-bottom: 16px; }
.counts span { display: inline-block; padding: 2px 10px; border-radius: 10px; color: #fff; margin-right: 6px; }
table.matrix { border-collapse: collapse; width: 100%; table-layout: auto; }
.matrix th, .matrix td { border: 1px solid var(--line); padding: 6px 8px; vertical-align: top; text-align: left; }
.matrix thead th { background: #f6f8fa; position: sticky; top: 0; }
.matrix th.check { white-space: nowrap; font-weight: 600; }
.matrix th.check .url { display: block; font-weight: 400; color: var(--muted); font-size: 12px; word-break: break-all; }
td.cell { min-width: 220px; }
td.pass { background: #dafbe1; } td.warn { background: #fff8c5; } td.fail { background: #ffebe9; }
td.none { background: #f6f8fa; color: var(--muted); }
.badge { font-weight: 700; text-transform: uppercase; font-size: 12px; }
.pass .badge { color: var(--pass); } .warn .badge { color: var(--warn); } .fail .badge { color: var(--fail); }
summary { cursor: pointer; }
.msg { margin: 6px 0; } .hint { margin: 6px 0; color: #0550ae; }
.phase { display: grid; grid-template-columns: 3.5em 1fr 5.5em; gap: 6px; align-items: center; margin: 3px 0; font-size: 12px; }
.bar { height: 8px; background: #8c959f; border-radius: 4px; min-width: 2px; }
.phase.bad .bar { background: var(--fail); }
.what { grid-column: 1 / -1; color: var(--muted); word-break: break-all; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 12px; }
kbd { border: 1px solid var(--line); border-radius: 3px; padding: 0 4px; }
"#;

const SCRIPT: &str = r#"
(function () {
  var cells = document.querySelectorAll("td.cell details");
  document.addEventListener("keydown", function (e) {
    if (e.key === "e" || e.key === "c") {
      cells.forEach(function (d) { d.open = e.key === "e"; });
    }
  });
  document.body.setAttribute("data-cells", String(document.querySelectorAll("td.cell").length));
})();
"#;

/// Renders the report as one HTML page (ends with a newline).
pub fn html(r: &Report) -> String {
    let s = r.summary();
    let mut locations: Vec<&str> = Vec::new();
    // Rows in plan order, keyed by set/name; cells by location.
    let mut rows: Vec<(String, &str)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut cells: HashMap<(String, &str), &CheckResult> = HashMap::new();
    for result in r.results {
        let check = format!("{}/{}", result.set, result.name);
        if !locations.contains(&result.location.as_str()) {
            locations.push(&result.location);
        }
        if seen.insert(check.clone()) {
            rows.push((check.clone(), &result.url));
        }
        cells.insert((check, result.location.as_str()), result);
    }

    let mut out = String::with_capacity(4096 + r.results.len() * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>netcheck: {} passed, {} warned, {} failed</title>",
        s.pass, s.warn, s.fail
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    out.push_str("<h1>netcheck report</h1>\n<div class=\"meta\">");
    let _ = write!(
        out,
        "runner <b>{}</b> · {} · started {} · took {}",
        esc(r.runner),
        match r.region {
            Some(g) => format!(
                "region <b>{}</b> ({})",
                esc(&g.name),
                esc(&g.source.to_string())
            ),
            None => "no region".to_string(),
        },
        humantime::format_rfc3339_seconds(r.started_at),
        human_duration(r.duration)
    );
    let _ = writeln!(
        out,
        "</div>\n<div class=\"counts\"><span style=\"background:var(--pass)\">{} passed</span>\
         <span style=\"background:var(--warn)\">{} warned</span>\
         <span style=\"background:var(--fail)\">{} failed</span> \
         <small>press <kbd>e</kbd> to expand every cell, <kbd>c</kbd> to collapse</small></div>",
        s.pass, s.warn, s.fail
    );
    if r.results.is_empty() {
        out.push_str("<p>No checks ran.</p>\n");
    } else {
        out.push_str("<table class=\"matrix\">\n<thead><tr><th>check</th>");
        for location in &locations {
            let _ = write!(out, "<th class=\"location\">{}</th>", esc(location));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for (check, url) in &rows {
            let _ = write!(
                out,
                "<tr><th class=\"check\">{}<span class=\"url\">{}</span></th>",
                esc(check),
                esc(url)
            );
            for location in &locations {
                match cells.get(&(check.clone(), *location)) {
                    Some(result) => cell(&mut out, result),
                    None => out.push_str("<td class=\"cell none\">not run here</td>"),
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

fn cell(out: &mut String, r: &CheckResult) {
    let status = r.status.as_str();
    // Failures open by default: the why is what a reader came for.
    let open = if r.status == netcheck_runner_api::Status::Fail {
        " open"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<td class=\"cell {status}\" data-status=\"{status}\" data-reason=\"{}\"><details{open}>\
         <summary><span class=\"badge\">{status}</span> {} <small>{}</small></summary>",
        esc(&r.reason),
        esc(&r.reason),
        esc(&human_ms(r.duration_ms))
    );
    let _ = write!(out, "<div class=\"msg\">{}</div>", esc(&r.message));
    if let Some(hint) = &r.hint {
        let _ = write!(out, "<div class=\"hint\">→ {}</div>", esc(hint));
    }
    phases(out, &r.phases);
    if r.reason == "access-denied"
        && let Some(action) = &r.action
    {
        let _ = write!(
            out,
            "<div>IAM policy statement that allows it (<code>netcheck iam-policy</code> prints the \
             whole document):</div><pre class=\"iam\">{}</pre>",
            esc(&iam_statement(action))
        );
    }
    out.push_str("</details></td>");
}

/// One line per phase: name, a bar as long as its share of the slowest phase, the time,
/// and what it found.
fn phases(out: &mut String, p: &Phases) {
    let mut lines: Vec<(&str, f64, bool, String)> = Vec::new();
    if let Some(d) = &p.dns {
        let what = match &d.error {
            Some(e) => format!("error: {e}"),
            None => d
                .answers
                .iter()
                .map(|a| format!("{} ({})", a.ip, a.scope))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let what = match &d.note {
            Some(n) => format!("{what} — {n}"),
            None => what,
        };
        lines.push(("dns", d.ms, d.error.is_some(), what));
    }
    if let Some(t) = &p.tcp {
        let what = match &t.error {
            Some(e) => format!("{}: {e}", t.peer),
            None => format!("connected to {}", t.peer),
        };
        lines.push(("tcp", t.ms, !t.connected, what));
    }
    if let Some(t) = &p.tls {
        let what = match &t.error {
            Some(e) => e.clone(),
            None => [&t.version, &t.subject, &t.not_after]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        };
        lines.push(("tls", t.ms, !t.ok, what));
    }
    for h in &p.http {
        let answer = match (&h.status, &h.error) {
            (_, Some(e)) => format!("error: {e}"),
            (Some(s), None) => format!("HTTP {s}"),
            (None, None) => "no response".to_string(),
        };
        let signed = if h.signed { " (signed)" } else { "" };
        let what = format!("{} {} {}{signed} → {answer}", h.probe, h.method, h.path);
        lines.push(("http", h.ms, h.error.is_some(), what));
    }
    let slowest = lines.iter().map(|l| l.1).fold(0.0_f64, f64::max).max(0.001);
    for (name, ms, bad, what) in lines {
        let width = (ms / slowest * 100.0).clamp(0.0, 100.0);
        let _ = write!(
            out,
            "<div class=\"phase{}\"><span>{name}</span><div class=\"bar\" style=\"width:{width:.1}%\"></div>\
             <span>{}</span><span class=\"what\">{}</span></div>",
            if bad { " bad" } else { "" },
            esc(&human_ms(ms)),
            esc(&what)
        );
    }
}

/// The policy statement granting `action`, as `netcheck iam-policy` writes it.
fn iam_statement(action: &str) -> String {
    let doc = netcheck_engine::iam::policy_document(&std::iter::once(action.to_string()).collect());
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{report, sample};
    use netcheck_runner_api::Status;

    #[test]
    fn a_matrix_of_checks_by_location_with_escaped_text() {
        let mut results = sample();
        let mut remote = results[1].clone();
        remote.location = "subnet-0abc".into();
        remote.status = Status::Pass;
        remote.reason = "ok".into();
        results.push(remote);
        results[0].message = "<script>alert(1)</script> & \"x\"".into();
        let page = html(&report(&results));
        assert!(
            page.contains(
                "<th class=\"location\">local</th><th class=\"location\">subnet-0abc</th>"
            )
        );
        // 4 checks × 2 locations.
        assert_eq!(page.matches("<td class=\"cell").count(), 8, "{page}");
        assert_eq!(page.matches("not run here").count(), 3);
        assert!(!page.contains("<script>alert"), "unescaped server text");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        // The access-denied cell carries the statement that fixes it.
        assert!(page.contains("&quot;kms:ListKeys&quot;"), "{page}");
        assert!(
            !page.contains(" src=") && !page.contains(" href="),
            "no external assets"
        );
    }
}
