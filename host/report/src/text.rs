//! Plain-text pieces shared by the renderers: a check's phases as lines, and cleaning of
//! text that came from the network before it reaches a terminal or an XML file.

use netcheck_runner_api::{CheckResult, Phases};

use super::summary::human_ms;

/// One line per phase that ran, e.g. `tcp 3.1 ms: connected to 10.0.0.5:443`.
pub fn phase_lines(p: &Phases) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(dns) = &p.dns {
        let answers: Vec<String> = dns
            .answers
            .iter()
            .map(|a| format!("{} ({})", a.ip, a.scope))
            .collect();
        let what = match &dns.error {
            Some(e) => format!("error: {e}"),
            None if answers.is_empty() => "no addresses".to_string(),
            None => answers.join(", "),
        };
        let note = dns
            .note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        lines.push(format!("dns {}: {what}{note}", human_ms(dns.ms)));
    }
    if let Some(tcp) = &p.tcp {
        let what = match (&tcp.error, tcp.connected) {
            (Some(e), _) => format!("{} failed: {e}", tcp.peer),
            (None, true) => format!("connected to {}", tcp.peer),
            (None, false) => format!("{} not connected", tcp.peer),
        };
        lines.push(format!("tcp {}: {what}", human_ms(tcp.ms)));
    }
    if let Some(tls) = &p.tls {
        let mut what = if tls.ok {
            "ok".to_string()
        } else {
            "failed".to_string()
        };
        let facts = [
            ("", &tls.version),
            ("subject ", &tls.subject),
            ("issuer ", &tls.issuer),
            ("expires ", &tls.not_after),
            ("error: ", &tls.error),
        ];
        for (label, value) in facts {
            if let Some(v) = value {
                what.push_str(&format!(", {label}{v}"));
            }
        }
        lines.push(format!("tls {}: {what}", human_ms(tls.ms)));
    }
    for h in &p.http {
        let signed = if h.signed { " (signed)" } else { "" };
        let mut what = format!("{} {} {}{signed}", h.probe, h.method, h.path);
        match (&h.status, &h.error) {
            (_, Some(e)) => what.push_str(&format!(" -> error: {e}")),
            (Some(s), None) => what.push_str(&format!(" -> {s}")),
            (None, None) => what.push_str(" -> no response"),
        }
        lines.push(format!("http {}: {what}", human_ms(h.ms)));
    }
    lines
}

/// Everything known about a result, as the body of a JUnit `<failure>` or `<system-out>`.
pub fn details(r: &CheckResult) -> String {
    let mut out = format!("{}: {}: {}\n", r.status.as_str(), r.reason, r.message);
    if let Some(h) = &r.hint {
        out.push_str(&format!("hint: {h}\n"));
    }
    out.push_str(&format!("url: {}\nplugin: {}\n", r.url, r.plugin));
    if let Some(s) = &r.service {
        out.push_str(&format!("service: {s}\n"));
    }
    if let Some(a) = &r.action {
        out.push_str(&format!("action: {a}\n"));
    }
    out.push_str(&format!("location: {}\n", r.location));
    let phases = phase_lines(&r.phases);
    if !phases.is_empty() {
        out.push_str("phases:\n");
        for line in phases {
            out.push_str(&format!("  {line}\n"));
        }
    }
    for h in &r.phases.http {
        if !h.body_prefix.is_empty() {
            out.push_str(&format!("body ({}): {}\n", h.probe, h.body_prefix));
        }
    }
    out
}

/// Replaces control characters (escape sequences included) with U+FFFD, so text from
/// servers or plugins cannot drive the terminal. Newlines are kept when `keep_newlines`,
/// else become spaces; tabs become spaces.
pub fn clean(text: &str, keep_newlines: bool) -> String {
    text.chars()
        .map(|c| match c {
            '\n' if keep_newlines => '\n',
            '\n' | '\t' => ' ',
            '\r' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_runner_api::{DnsAnswer, DnsPhase, HttpPhase, TcpPhase};

    #[test]
    fn phases_read_as_lines() {
        let p = Phases {
            dns: Some(DnsPhase {
                ms: 1.5,
                answers: vec![DnsAnswer {
                    ip: "10.0.0.5".into(),
                    scope: "private".into(),
                }],
                error: None,
                note: None,
            }),
            tcp: Some(TcpPhase {
                ms: 3.0,
                peer: "10.0.0.5:443".into(),
                connected: false,
                error: Some("connection refused".into()),
            }),
            tls: None,
            http: vec![HttpPhase {
                probe: "ListKeys".into(),
                method: "POST".into(),
                path: "/".into(),
                signed: true,
                ms: 40.0,
                status: Some(400),
                ..Default::default()
            }],
        };
        assert_eq!(
            phase_lines(&p),
            vec![
                "dns 1.5 ms: 10.0.0.5 (private)",
                "tcp 3 ms: 10.0.0.5:443 failed: connection refused",
                "http 40 ms: ListKeys POST / (signed) -> 400",
            ]
        );
    }

    #[test]
    fn clean_removes_escapes() {
        assert_eq!(clean("a\x1b[31mb\nc\td", false), "a\u{FFFD}[31mb c d");
        assert_eq!(clean("a\nb", true), "a\nb");
    }
}
