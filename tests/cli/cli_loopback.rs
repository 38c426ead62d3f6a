//! End-to-end: `netcheck run` against loopback servers — closed and open TCP ports, a
//! listener that never answers, HTTPS with untrusted and trusted certificates, HTTP
//! status expectations — plus the report formats and exit codes.
//!
//! Exit codes: 0 is asserted by `open_tcp_port_passes`, 1 by every failing case, 2 by
//! the typo'd-key cases.
//!
//! Run: `cargo test -p netcheck --test cli -- cli_loopback::`. Talks only to 127.0.0.1.

use netcheck_test_support as support;

use support::cli::{Netcheck, Output, toml_str};
use support::config::{ConfigToml, check};
use support::servers::{CertKind, HttpServer, HttpsServer, SilentServer, closed_port};

/// A config with `timeout` and one set `local` holding `checks` (inline TOML tables).
fn config(timeout: &str, checks: &[String]) -> String {
    ConfigToml::new("local")
        .top("concurrency", 4)
        .top("timeout", timeout)
        .checks(checks)
        .render()
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

// ------------------------------------------------------------ first contact (issue 9)

/// A signed `sts` check at a loopback HTTP server: credentials are resolved after the
/// connection opens, so a broken credential source shows in the verdict.
fn signed_check(server: &HttpServer) -> String {
    config(
        "3s",
        &[check(
            "sts",
            &server.url(),
            "service = \"sts\", region = \"us-east-1\"",
        )],
    )
}

/// Asserts `credentials-error`, exit 1, naming `provider` and `detail`.
fn assert_credentials_error(out: &Output, provider: &str, detail: &str) {
    out.assert_code(1);
    let r = out.assert_result("sts", "fail", "credentials-error");
    let message = r["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(provider),
        "the provider is named: {message}"
    );
    assert!(message.contains(detail), "its message is shown: {message}");
}

#[test]
fn a_credential_process_that_does_not_exist_is_a_credentials_error() {
    let server = HttpServer::start(403, "");
    let n = Netcheck::new();
    let aws_config = n.write(
        "aws-config",
        "[default]\ncredential_process = /nonexistent/netcheck-test/get-creds\n",
    );
    let n = n
        .env("AWS_CONFIG_FILE", &aws_config.display().to_string())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let out = n.run_config(&signed_check(&server), "json");
    assert_credentials_error(&out, "profile", "get-creds");
    assert!(server.requests().is_empty(), "nothing unsigned was sent");
}

#[test]
fn a_credential_process_secret_never_appears_in_its_error() {
    let server = HttpServer::start(403, "");
    let n = Netcheck::new();
    // Valid JSON the SDK refuses (an unsupported version), carrying a secret.
    let script = n.write(
        "get-creds.sh",
        "#!/bin/sh\necho '{\"Version\": 7, \"AccessKeyId\": \"AKIDPROCESS\", \
         \"SecretAccessKey\": \"process-secret-9f8e7d6c5b4a\"}'\n",
    );
    std::process::Command::new("chmod")
        .args(["+x", &script.display().to_string()])
        .status()
        .expect("chmod");
    let aws_config = n.write(
        "aws-config",
        &format!("[default]\ncredential_process = {}\n", script.display()),
    );
    let n = n.env("AWS_CONFIG_FILE", &aws_config.display().to_string());
    let out = n.run_config(&signed_check(&server), "json");
    out.assert_result("sts", "fail", "credentials-error");
    assert!(
        !out.stdout.contains("process-secret-9f8e7d6c5b4a")
            && !out.stderr.contains("process-secret-9f8e7d6c5b4a"),
        "{}",
        out.describe()
    );
}

#[test]
fn an_expired_sso_session_is_a_credentials_error() {
    use sha1::Digest;
    let server = HttpServer::start(403, "");
    let n = Netcheck::new();
    let aws_config = n.write(
        "aws-config",
        "[default]\nsso_session = corp\nsso_account_id = 123456789012\n\
         sso_role_name = ReadOnly\nregion = us-east-1\n\n[sso-session corp]\n\
         sso_start_url = https://netcheck-test.awsapps.com/start\nsso_region = us-east-1\n",
    );
    // The CLI's cache of `aws sso login --sso-session corp`, expired an hour ago, with no
    // refresh token: the provider must fail before any network call.
    let cache = n.dir().join("home/.aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let key = hex::encode(sha1::Sha1::digest(b"corp"));
    std::fs::write(
        cache.join(format!("{key}.json")),
        format!(
            "{{\"startUrl\": \"https://netcheck-test.awsapps.com/start\", \"region\": \"us-east-1\", \
             \"accessToken\": \"expired-sso-token-value\", \"expiresAt\": \"{}\"}}",
            humantime::format_rfc3339_seconds(
                std::time::SystemTime::now() - std::time::Duration::from_secs(3600)
            )
        ),
    )
    .unwrap();
    let n = n
        .env("AWS_CONFIG_FILE", &aws_config.display().to_string())
        // Were the provider to call out anyway, nothing leaves the machine.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let out = n.run_config(&signed_check(&server), "json");
    assert_credentials_error(&out, "profile", "the SSO token has expired");
    assert!(
        !out.stdout.contains("expired-sso-token-value"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_missing_web_identity_token_file_is_a_credentials_error() {
    let server = HttpServer::start(403, "");
    let n = Netcheck::new()
        .env(
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "/nonexistent/netcheck-test/token",
        )
        .env(
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/netcheck-test",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let out = n.run_config(&signed_check(&server), "json");
    assert_credentials_error(
        &out,
        "AWS_WEB_IDENTITY_TOKEN_FILE=/nonexistent/netcheck-test/token",
        "No such file",
    );
}

#[test]
fn nothing_configured_is_still_no_credentials() {
    let server = HttpServer::start(403, "");
    let out = Netcheck::new().run_config(&signed_check(&server), "json");
    out.assert_result("sts", "warn", "no-credentials");
}

#[test]
fn a_redirect_to_another_origin_does_not_carry_credentials_or_configured_headers() {
    let second = HttpServer::start(200, "landed");
    let first = HttpServer::redirect(302, &format!("http://localhost:{}/landing", second.port()));
    let headers = "headers = { Authorization = \"Bearer t0ken-abc\", Cookie = \"session=c00kie\", \
                   X-Api-Key = \"k3y-123\", Accept = \"text/plain\" }, \
                   options = { follow-redirects = \"true\" }";
    let out = Netcheck::new().run_config(
        &config("3s", &[check("web", &first.url(), headers)]),
        "json",
    );
    out.assert_code(0);
    let r = out.assert_result("web", "pass", "ok");
    let message = r["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not sent after the redirect to another origin")
            && message.contains("Cookie")
            && message.contains("X-Api-Key")
            && message.contains("Authorization"),
        "the verdict says what was dropped: {message}"
    );
    // The user's own Authorization header goes to the host the check names (it used to
    // be dropped silently) ...
    let at_first = &first.requests()[0];
    assert_eq!(at_first.header("authorization"), Some("Bearer t0ken-abc"));
    assert_eq!(at_first.header("x-api-key"), Some("k3y-123"));
    // ... and none of the configured headers follow the redirect elsewhere.
    let at_second = &second.requests()[0];
    for name in ["authorization", "cookie", "x-api-key", "accept"] {
        assert!(
            at_second.header(name).is_none(),
            "`{name}` followed the redirect: {at_second:?}"
        );
    }

    // Headers stay dropped on every later hop away from the check's own origin, also when
    // that hop stays on the second server (compared with the first URL, as curl does).
    let second = HttpServer::redirect(302, "/again");
    let first = HttpServer::redirect(302, &format!("http://localhost:{}/landing", second.port()));
    let chain = headers.replace("follow-redirects = \"true\"", "follow-redirects = \"3\"");
    let out =
        Netcheck::new().run_config(&config("3s", &[check("web", &first.url(), &chain)]), "json");
    out.assert_code(0);
    let hops = second.requests();
    assert_eq!(hops.len(), 3, "{hops:?}");
    for hop in &hops {
        assert!(
            hop.header("x-api-key").is_none() && hop.header("cookie").is_none(),
            "{hop:?}"
        );
    }

    // Opting in sends them on.
    let second = HttpServer::start(200, "landed");
    let first = HttpServer::redirect(302, &format!("http://localhost:{}/landing", second.port()));
    let keep = headers.replace(
        "follow-redirects = \"true\"",
        "follow-redirects = \"true\", redirect-keep-headers = \"true\"",
    );
    let out =
        Netcheck::new().run_config(&config("3s", &[check("web", &first.url(), &keep)]), "json");
    out.assert_result("web", "pass", "ok");
    assert_eq!(
        second.requests()[0].header("x-api-key"),
        Some("k3y-123"),
        "redirect-keep-headers = true sends them"
    );
}

#[test]
fn passwords_in_urls_are_redacted_in_every_format() {
    let server = HttpServer::start(200, "ok");
    let url = format!("http://admin:hunter2-pw@127.0.0.1:{}/health", server.port());
    for format in ["json", "table", "junit"] {
        let out = Netcheck::new().run(&[
            "--log",
            "debug",
            "run",
            "--config",
            &Netcheck::new()
                .write("netcheck.toml", &config("3s", &[check("web", &url, "")]))
                .display()
                .to_string(),
            "--output",
            format,
        ]);
        assert!(
            !out.stdout.contains("hunter2-pw") && !out.stderr.contains("hunter2-pw"),
            "{format}: the password was printed:\n{}",
            out.describe()
        );
        assert!(
            out.stdout.contains("admin:REDACTED@"),
            "{format}:\n{}",
            out.describe()
        );
    }
}

#[test]
fn an_empty_selection_is_an_error_unless_allowed() {
    let n = Netcheck::new();
    n.write("netcheck.toml", "[sets.empty]\nchecks = []\n");
    let out = n.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("nothing to check") && out.stderr.contains("--allow-empty"),
        "{}",
        out.describe()
    );
    n.run(&["run", "--allow-empty"]).assert_code(0);

    // No sets at all (an empty file) says so too.
    n.write("netcheck.toml", "");
    let out = n.run(&["run"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("defines no check sets"),
        "{}",
        out.describe()
    );
}

#[test]
fn bad_header_entries_are_config_errors_naming_the_key() {
    for (headers, key, says) in [
        (
            "{ \"X-A\" = \"a\\r\\nB: c\" }",
            "sets.local.checks[0].headers.X-A",
            "line break",
        ),
        (
            "{ \"\" = \"x\" }",
            "sets.local.checks[0].headers.\"\"",
            "needs a name",
        ),
        (
            "{ \"X-B\" = \"caf\u{e9}\" }",
            "sets.local.checks[0].headers.X-B",
            "non-ASCII",
        ),
        (
            "{ \"Bad Name\" = \"x\" }",
            "sets.local.checks[0].headers.\"Bad Name\"",
            "not a header name",
        ),
    ] {
        let out = Netcheck::new().run_config(
            &config(
                "3s",
                &[check(
                    "web",
                    "http://127.0.0.1:9/",
                    &format!("headers = {headers}"),
                )],
            ),
            "json",
        );
        out.assert_code(2);
        assert!(
            out.stderr.contains(&format!("key `{key}`")) && out.stderr.contains(says),
            "{headers}:\n{}",
            out.describe()
        );
        assert!(
            !out.stderr.contains("header.X-Api-Version"),
            "{}",
            out.describe()
        );
    }
}

/// The HTML report in a real browser: a CLI run writes it with `--output-file`, and a
/// multi-location report (as a remote runner returns it) renders its matrix; both load
/// without console errors, and the run leaves a screenshot.
#[test]
fn the_html_report_loads_in_a_browser_with_a_cell_per_check_and_location() {
    use std::time::{Duration, SystemTime};
    use support::browser;

    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open_url = format!("tcp://127.0.0.1:{}", open.local_addr().unwrap().port());
    let closed_url = format!("tcp://127.0.0.1:{}", closed_port());
    let n = Netcheck::new();
    let config = n.write(
        "netcheck.toml",
        &config(
            "2s",
            &[
                check("open", &open_url, ""),
                check("closed", &closed_url, ""),
            ],
        ),
    );
    let page = n.dir().join("report.html");
    let out = n.run(&[
        "run",
        "--config",
        &config.display().to_string(),
        "--output",
        "html",
        "--output-file",
        &page.display().to_string(),
    ]);
    out.assert_code(1);
    assert!(
        out.stdout.trim().is_empty(),
        "the report went to the file:\n{}",
        out.describe()
    );
    // The console check can fail: a page with a script error is caught.
    let broken = n.write(
        "broken.html",
        "<html><body><script>undefinedFn();</script></body></html>",
    );
    assert!(
        !browser::load(&broken).console.is_empty(),
        "script errors are seen"
    );
    let loaded = browser::load(&page);
    assert!(loaded.console.is_empty(), "console: {:?}", loaded.console);
    assert!(
        loaded.dom.contains("data-cells=\"2\""),
        "the page's script ran:\n{}",
        loaded.dom
    );
    assert_eq!(loaded.dom.matches("data-status=\"pass\"").count(), 1);
    assert_eq!(loaded.dom.matches("data-reason=\"tcp-refused\"").count(), 1);

    // Three locations, two checks, one check not run in one place.
    let mut results = Vec::new();
    for (location, status) in [
        ("subnet-0aaa", netcheck_runner_api::Status::Pass),
        ("subnet-0bbb", netcheck_runner_api::Status::Fail),
        ("eu-west-1", netcheck_runner_api::Status::Warn),
    ] {
        for name in ["kms", "db"] {
            if location == "eu-west-1" && name == "db" {
                continue;
            }
            let mut r = netcheck_runner_api::CheckResult::new(
                name,
                "core",
                "https://kms.eu-west-1.amazonaws.com/",
                "kms",
            );
            r.location = location.to_string();
            r.status = status;
            r.reason = if status == netcheck_runner_api::Status::Fail {
                "access-denied".into()
            } else {
                "ok".into()
            };
            r.action = Some("kms:ListKeys".into());
            r.duration_ms = 12.5;
            r.phases.tcp = Some(netcheck_runner_api::TcpPhase {
                ms: 3.0,
                peer: "10.0.1.7:443".into(),
                connected: true,
                error: None,
            });
            results.push(r);
        }
    }
    let report = netcheck_report::Report {
        results: &results,
        runner: "lambda",
        region: None,
        started_at: SystemTime::now(),
        duration: Duration::from_millis(4200),
    };
    let matrix = n.dir().join("matrix.html");
    std::fs::write(&matrix, netcheck_report::html(&report)).unwrap();
    let loaded = browser::load(&matrix);
    assert!(loaded.console.is_empty(), "console: {:?}", loaded.console);
    assert!(
        loaded.dom.contains("data-cells=\"6\""),
        "2 checks × 3 locations:\n{}",
        loaded.dom
    );
    for location in ["subnet-0aaa", "subnet-0bbb", "eu-west-1"] {
        assert!(
            loaded
                .dom
                .contains(&format!("<th class=\"location\">{location}</th>")),
            "{location}"
        );
    }
    assert_eq!(loaded.dom.matches("not run here").count(), 1);
    assert_eq!(
        loaded.dom.matches("class=\"iam\"").count(),
        2,
        "an IAM statement per access-denied"
    );
    let png = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let size = browser::screenshot(&matrix, &png);
    assert!(size > 10_000, "a {size}-byte screenshot is blank");
    eprintln!("screenshot of the HTML report: {}", png.display());
}
