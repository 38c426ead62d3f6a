//! End-to-end: `netcheck run` against loopback servers — closed and open TCP ports, a
//! listener that never answers, HTTPS with untrusted and trusted certificates, HTTP
//! status expectations — plus the report formats and exit codes.
//!
//! Exit codes: 0 is asserted by `open_tcp_port_passes`, 1 by every failing case, 2 by
//! the typo'd-key cases.
//!
//! Run: `cargo test -p netcheck --test cli_loopback`. Talks only to 127.0.0.1.

mod support;

use support::cli::{Netcheck, Output, toml_str};
use support::servers::{CertKind, HttpServer, HttpsServer, SilentServer, closed_port};

/// A config with `timeout` and one set `local` holding `checks` (inline TOML tables).
fn config(timeout: &str, checks: &[String]) -> String {
    format!(
        "concurrency = 4\ntimeout = {}\n\n[sets.local]\nchecks = [\n{}\n]\n",
        toml_str(timeout),
        checks
            .iter()
            .map(|c| format!("  {c},"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// An inline check table: `{ name = "..", url = "..", <extra> }`.
fn check(name: &str, url: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {extra}")
    };
    format!(
        "{{ name = {}, url = {}{extra} }}",
        toml_str(name),
        toml_str(url)
    )
}

fn run(timeout: &str, checks: &[String]) -> Output {
    Netcheck::new().run_config(&config(timeout, checks), "json")
}

#[test]
fn closed_tcp_port_is_tcp_refused() {
    let port = closed_port();
    let out = run(
        "3s",
        &[check("closed", &format!("tcp://127.0.0.1:{port}"), "")],
    );
    out.assert_code(1);
    let result = out.assert_result("closed", "fail", "tcp-refused");
    assert_eq!(
        result["phases"]["tcp"]["connected"],
        false,
        "{}",
        out.describe()
    );
}

#[test]
fn open_tcp_port_passes() {
    let server = SilentServer::start();
    let out = run(
        "3s",
        &[check(
            "open",
            &format!("tcp://127.0.0.1:{}", server.port()),
            "",
        )],
    );
    out.assert_code(0);
    let result = out.assert_result("open", "pass", "ok");
    assert_eq!(
        result["phases"]["tcp"]["connected"],
        true,
        "{}",
        out.describe()
    );
    assert!(server.connections() >= 1, "the port was never connected to");
}

/// A listener that accepts and never answers an HTTP request: the check must end by
/// the configured 1 s deadline as `timeout`, not hang.
#[test]
fn never_answering_http_listener_is_timeout() {
    let server = SilentServer::start();
    let out = run(
        "1s",
        &[check(
            "silent",
            &format!("http://127.0.0.1:{}/", server.port()),
            "",
        )],
    );
    out.assert_code(1);
    let result = out.assert_result("silent", "fail", "timeout");
    assert!(server.connections() >= 1, "no connection was made");
    // The check's own time, not the process's (which includes loading plugins).
    let took = result["duration_ms"].as_f64().unwrap_or(f64::MAX);
    assert!(
        took < 10_000.0,
        "a check with a 1s timeout took {took} ms:\n{}",
        out.describe()
    );
}

/// A server with a test-CA-signed certificate passes once that CA is trusted through
/// the check's `ca_file`; a second check without it fails `tls-failed`.
#[test]
fn test_ca_signed_https_passes_with_ca_file_only() {
    let server = HttpsServer::start(CertKind::SignedByTestCa, 200, "hello");
    let netcheck = Netcheck::new();
    let ca = server.write_ca(netcheck.dir(), "test-ca.pem");
    let ca = ca.to_string_lossy();
    let toml = config(
        "3s",
        &[
            check(
                "trusted",
                &server.url(),
                &format!("ca_file = {}", toml_str(&ca)),
            ),
            check("untrusted", &server.url(), ""),
        ],
    );
    let out = netcheck.run_config(&toml, "json");
    out.assert_code(1);
    let trusted = out.assert_result("trusted", "pass", "ok");
    assert_eq!(trusted["phases"]["tls"]["ok"], true, "{}", out.describe());
    out.assert_result("untrusted", "fail", "tls-failed");
    assert_eq!(server.requests().len(), 1, "{}", out.describe());
}

/// A self-signed certificate fails verification (no HTTP request is sent over the
/// unverified connection) unless trusted directly through `ca_file`: it is its own CA.
#[test]
fn self_signed_https_is_tls_failed_unless_pinned_by_ca_file() {
    let server = HttpsServer::start(CertKind::SelfSigned, 200, "hello");
    let netcheck = Netcheck::new();
    let ca = server.write_ca(netcheck.dir(), "self.pem");
    let toml = config(
        "3s",
        &[
            check("self-signed", &server.url(), ""),
            check(
                "pinned",
                &server.url(),
                &format!("ca_file = {}", toml_str(&ca.to_string_lossy())),
            ),
        ],
    );
    let out = netcheck.run_config(&toml, "json");
    out.assert_code(1);
    let failed = out.assert_result("self-signed", "fail", "tls-failed");
    assert_eq!(failed["phases"]["tls"]["ok"], false, "{}", out.describe());
    out.assert_result("pinned", "pass", "ok");
    assert_eq!(
        server.requests().len(),
        1,
        "only the pinned check may send a request:\n{}",
        out.describe()
    );
}

#[test]
fn http_status_expectation_passes_on_match_and_fails_otherwise() {
    let ok = HttpServer::start(200, "fine");
    let broken = HttpServer::start(500, "boom");
    let out = run(
        "3s",
        &[
            check(
                "ok",
                &ok.url(),
                "plugin = \"https\", expect_status = \"200\"",
            ),
            check(
                "broken",
                &broken.url(),
                "plugin = \"https\", expect_status = \"200\"",
            ),
        ],
    );
    out.assert_code(1);
    let passed = out.assert_result("ok", "pass", "ok");
    assert_eq!(
        passed["phases"]["http"][0]["status"],
        200,
        "{}",
        out.describe()
    );
    let failed = out.assert_result("broken", "fail", "http-status");
    assert_eq!(
        failed["phases"]["http"][0]["status"],
        500,
        "{}",
        out.describe()
    );
    assert!(!ok.requests().is_empty() && !broken.requests().is_empty());
}

/// The JSON report: schema version, a summary that counts the results, and every
/// documented field on each result.
#[test]
fn json_report_has_schema_summary_and_result_fields() {
    let open = SilentServer::start();
    let port = closed_port();
    let out = run(
        "3s",
        &[
            check("open", &format!("tcp://127.0.0.1:{}", open.port()), ""),
            check("closed", &format!("tcp://127.0.0.1:{port}"), ""),
        ],
    );
    out.assert_code(1);
    let report = out.json();
    assert_eq!(report["schema_version"], 1, "{}", out.describe());
    let results = report["results"].as_array().expect("results array");
    assert_eq!(results.len(), 2, "{}", out.describe());
    for status in ["pass", "warn", "fail"] {
        let counted = results.iter().filter(|r| r["status"] == status).count();
        assert_eq!(
            report["summary"][status],
            counted,
            "summary.{status} does not count the results:\n{}",
            out.describe()
        );
    }
    assert_eq!(report["summary"]["pass"], 1);
    assert_eq!(report["summary"]["fail"], 1);
    for result in results {
        for field in [
            "name", "set", "url", "plugin", "status", "reason", "message",
        ] {
            assert!(
                result[field].is_string(),
                "result field `{field}` missing or not a string: {result}"
            );
        }
        assert!(result["phases"].is_object(), "phases: {result}");
        assert_eq!(result["set"], "local", "{result}");
    }
}

/// `--output junit` is well-formed XML with one testcase per check and a failure for
/// the failing one.
#[test]
fn junit_output_is_xml_with_a_testcase_per_check() {
    let open = SilentServer::start();
    let port = closed_port();
    let toml = config(
        "3s",
        &[
            check("open", &format!("tcp://127.0.0.1:{}", open.port()), ""),
            check("closed", &format!("tcp://127.0.0.1:{port}"), ""),
        ],
    );
    let out = Netcheck::new().run_config(&toml, "junit");
    out.assert_code(1);
    let mut reader = quick_xml::Reader::from_str(&out.stdout);
    let mut testcases = Vec::new();
    let mut failures = 0;
    let mut roots = 0;
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                record(&e, &mut testcases, &mut failures);
            }
            Ok(quick_xml::events::Event::Empty(e)) => {
                if depth == 0 {
                    roots += 1;
                }
                record(&e, &mut testcases, &mut failures);
            }
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "junit output is not XML at byte {}: {e}\n{}",
                reader.buffer_position(),
                out.describe()
            ),
        }
    }
    assert_eq!(depth, 0, "unclosed elements:\n{}", out.describe());
    assert_eq!(roots, 1, "want one root element:\n{}", out.describe());
    testcases.sort();
    assert_eq!(testcases, ["closed", "open"], "{}", out.describe());
    assert_eq!(failures, 1, "{}", out.describe());
}

fn record(
    e: &quick_xml::events::BytesStart<'_>,
    testcases: &mut Vec<String>,
    failures: &mut usize,
) {
    match e.name().as_ref() {
        b"testcase" => {
            let name = e
                .try_get_attribute("name")
                .ok()
                .flatten()
                .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                .unwrap_or_default();
            // Reports may decorate the name (`open [local]`); the check name leads.
            testcases.push(name.split(" [").next().unwrap_or_default().to_string());
        }
        b"failure" => *failures += 1,
        _ => {}
    }
}

/// A typo'd key is a configuration error: exit 2, nothing probed, and the message names
/// the key and its file.
#[test]
fn exit_code_is_2_for_a_config_with_a_typoed_key() {
    let server = SilentServer::start();
    let toml = format!(
        "concurency = 4\n\n[sets.local]\nchecks = [ {} ]\n",
        check("open", &format!("tcp://127.0.0.1:{}", server.port()), "")
    );
    let out = Netcheck::new().run_config(&toml, "json");
    out.assert_code(2);
    assert!(
        out.stderr.contains("concurency"),
        "the error should name the unknown key:\n{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("netcheck.toml"),
        "the error should name the file:\n{}",
        out.describe()
    );
    assert_eq!(
        server.connections(),
        0,
        "a check ran despite the config error"
    );
}

/// A typo inside a check table is caught too.
#[test]
fn exit_code_is_2_for_a_typoed_check_key() {
    let toml = config(
        "3s",
        &[check(
            "web",
            "http://127.0.0.1:9/",
            "expect_staus = \"200\"",
        )],
    );
    let out = Netcheck::new().run_config(&toml, "json");
    out.assert_code(2);
    assert!(out.stderr.contains("expect_staus"), "{}", out.describe());
}
