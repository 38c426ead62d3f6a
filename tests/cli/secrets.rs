//! End-to-end: secrets never reach logs, output, result payloads or plugins.
//!
//! The credentials are real session credentials: ministack's STS `GetSessionToken` for
//! its `admin` IAM user, which ministack then verifies (a wrong or missing token is
//! refused), so a passing signed check proves the token was sent — and the tests prove
//! it was sent *only* on the wire to the AWS endpoint:
//! - `netcheck --log trace run` in every output format, and `--log` at every other level
//!   (and with the AWS crates' own targets at trace): neither the secret key, nor the
//!   session token (raw or percent-encoded, as a presigned URL carries it), nor the SigV4
//!   signing keys derived from the secret, nor the EKS bearer token appear anywhere in
//!   stdout or stderr, and the signed checks pass — an `eks-cluster` check included, whose
//!   presigned STS URL aws-sigv4 traces;
//! - the generic `https` plugin's check (in the same runs) reaches a loopback server
//!   without `Authorization` or `X-Amz-Security-Token`: unsigned, nothing to see;
//! - `netcheck sign --explain --send` shows the token as `<redacted>` and is accepted.
//!
//! Needs the test venv: `scripts/setup.sh`. Run: `cargo test -p netcheck --test cli -- secrets::`.

use netcheck_test_support as support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime};

use support::cli::{Netcheck, Output};
use support::config::{Check, ConfigToml};
use support::emulators::{Emulator, Keys, Ministack};
use support::servers::{CertKind, HttpServer, HttpsServer};
use support::venv;

/// The AWS checks of the run: ministack verifies signatures and tokens for all four.
const AWS_SERVICES: [&str; 4] = ["sts", "kms", "ssm", "s3"];

/// Temporary credentials from STS.
struct Session {
    keys: Keys,
    token: String,
}

/// `GetSessionToken` for `keys` on the emulator (`tests/support/session_token.py`).
fn session_credentials(endpoint: &str, keys: &Keys) -> Session {
    let output = Command::new(venv::python())
        .arg(venv::support_file("session_token.py"))
        .args([endpoint, &keys.access_key_id, &keys.secret_access_key])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap_or_else(|e| panic!("running session_token.py: {e}"));
    assert!(
        output.status.success(),
        "GetSessionToken on {endpoint} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let creds: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("session_token.py printed no JSON: {e}"));
    let field = |name: &str| {
        creds[name]
            .as_str()
            .unwrap_or_else(|| panic!("session_token.py output lacks {name}"))
            .to_string()
    };
    let session = Session {
        keys: Keys::new(&field("AccessKeyId"), &field("SecretAccessKey")),
        token: field("SessionToken"),
    };
    // Short values could match by accident and prove nothing.
    assert!(
        session.keys.secret_access_key.len() >= 20 && session.token.len() >= 20,
        "the emulator's session credentials are too short to search for"
    );
    session
}

/// A policy letting netcheck sign for the emulator on 127.0.0.1 (the built-in policy
/// signs only for AWS endpoints).
fn with_emulator_policy(netcheck: Netcheck) -> Netcheck {
    let policy = netcheck.write("policy.toml", "[signing]\nhosts = [\"127.0.0.1\"]\n");
    let policy = policy.to_string_lossy().into_owned();
    netcheck.env("NETCHECK_POLICY", &policy)
}

fn netcheck_with(session: &Session) -> Netcheck {
    with_emulator_policy(
        Netcheck::new()
            .creds(&session.keys)
            .session_token(&session.token),
    )
}

/// Everything secret that output must never contain, each with a name for messages:
/// the secret key, the session token, and the hex SigV4 signing keys derived from the
/// secret for each service on the days around `at` (UTC).
fn secrets(session: &Session, at: SystemTime) -> Vec<(String, String)> {
    let mut found = vec![
        (
            "the secret access key".to_string(),
            session.keys.secret_access_key.clone(),
        ),
        ("the session token".to_string(), session.token.clone()),
        (
            "the percent-encoded session token".to_string(),
            percent_encode(&session.token),
        ),
    ];
    let day = Duration::from_secs(24 * 3600);
    for time in [at - day, at, at + day] {
        for service in AWS_SERVICES {
            let key = aws_sigv4::sign::v4::generate_signing_key(
                &session.keys.secret_access_key,
                time,
                "us-east-1",
                service,
            );
            found.push((
                format!("a {service} signing key"),
                hex::encode(key.as_ref()),
            ));
        }
    }
    found
}

/// As a SigV4 query string carries a value: unreserved characters kept, the rest `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Fails naming which secret appeared where (never printing the secret itself).
fn assert_no_secret(what: &str, text: &str, secrets: &[(String, String)]) {
    for (name, secret) in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{name} appears in {what} ({} bytes searched)",
            text.len()
        );
    }
}

fn assert_output_has_no_secret(what: &str, out: &Output, secrets: &[(String, String)]) {
    assert_no_secret(&format!("{what}: stdout"), &out.stdout, secrets);
    assert_no_secret(&format!("{what}: stderr"), &out.stderr, secrets);
}

/// Checks for the four AWS services at the emulator, one generic `https` check at
/// `plain_url`, which nothing should sign, and an `eks-cluster` check at `eks` (a
/// loopback API server; its CA at `eks_ca`), which gets a presigned-URL bearer token.
fn config(emu: &Ministack, plain_url: &str, eks: &HttpsServer, eks_ca: &str) -> String {
    let mut config = ConfigToml::new("secrets")
        .top("concurrency", 5)
        .top("timeout", emu.check_timeout());
    for s in AWS_SERVICES {
        config = config.check(
            Check::new(s, &emu.endpoint())
                .service(s)
                .region("us-east-1"),
        );
    }
    config
        .check(Check::new("plain", plain_url).plugin("https"))
        .check(
            Check::new("eks", &eks.url())
                .service("eks-cluster")
                .region("us-east-1")
                .set("ca_file", eks_ca)
                .option("cluster", "prod"),
        )
        .render()
}

/// The JSON run's verdicts: the token was accepted (signed checks pass) and the generic
/// check went unsigned.
fn assert_json_verdicts(out: &Output) {
    out.assert_code(0);
    for service in AWS_SERVICES {
        let result = out.assert_result(service, "pass", "ok");
        let signed = result["phases"]["http"]
            .as_array()
            .and_then(|h| h.last())
            .map(|p| p["signed"].clone());
        assert_eq!(
            signed,
            Some(serde_json::Value::Bool(true)),
            "`{service}` was not signed:\n{}",
            out.describe()
        );
    }
    out.assert_result("eks", "pass", "ok");
    let plain = out.assert_result("plain", "pass", "ok");
    let probes = plain["phases"]["http"]
        .as_array()
        .unwrap_or_else(|| panic!("`plain` sent no HTTP probe:\n{}", out.describe()));
    assert!(
        probes.iter().all(|p| p["signed"] == false),
        "the generic https check was signed:\n{}",
        out.describe()
    );
}

#[test]
fn session_secrets_never_reach_logs_output_or_the_generic_plugin() {
    let emu = Ministack::start();
    let session = session_credentials(&emu.endpoint(), emu.admin());
    let server = HttpServer::start(200, "plain answer, no AWS here");
    let eks = HttpsServer::start(CertKind::SignedByTestCa, 200, "{\"kind\":\"APIVersions\"}");
    let secrets = secrets(&session, SystemTime::now());

    // Every format at trace; every other level (and the AWS crates' own targets at
    // trace, whatever the rest) in JSON.
    let runs: Vec<(&str, &str)> = vec![
        ("json", "trace"),
        ("table", "trace"),
        ("junit", "trace"),
        ("json", "debug"),
        ("json", "info"),
        ("json", "error"),
        (
            "json",
            "aws_sigv4=trace,aws_smithy_runtime=trace,aws_config=trace,hyper=trace",
        ),
    ];
    let mut outputs = Vec::new();
    for (format, level) in &runs {
        let netcheck = netcheck_with(&session);
        let ca = eks.write_ca(netcheck.dir(), "cluster-ca.pem");
        let toml = config(&emu, &server.url(), &eks, &ca.display().to_string());
        let config: PathBuf = netcheck.write("netcheck.toml", &toml);
        let config = config.to_string_lossy().into_owned();
        let out = netcheck.run(&[
            "--log", level, "run", "--config", &config, "--output", format,
        ]);
        let what = format!("`run --output {format} --log {level}`");
        assert_output_has_no_secret(&what, &out, &secrets);
        if *format == "json" {
            assert_json_verdicts(&out);
        } else {
            out.assert_code(0);
        }
        if *level == "trace" {
            // Trace logging really was on and covered signing (which logs the access key
            // id, not a secret) and the presigned EKS URL: a quiet stderr proves nothing.
            assert!(
                out.stderr.contains("TRACE") && out.stderr.contains(&session.keys.access_key_id),
                "`--log trace` did not log the signing path:\n{}",
                out.describe()
            );
            assert!(
                out.stderr.contains("X-Amz-Security-Token=<redacted>"),
                "the presigned EKS URL was not traced (or not redacted):\n{}",
                out.describe()
            );
        }
        outputs.push((what, out));
    }
    // The EKS bearer tokens the API server received are credentials too.
    let tokens: Vec<(String, String)> = eks
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization"))
        .map(|a| {
            (
                "an EKS bearer token".to_string(),
                a.trim_start_matches("Bearer ").to_string(),
            )
        })
        .collect();
    assert_eq!(tokens.len(), runs.len(), "one EKS request per run");
    for (what, out) in &outputs {
        assert_output_has_no_secret(what, out, &tokens);
    }

    let requests = server.requests();
    assert_eq!(
        requests.len(),
        runs.len(),
        "the generic check should reach the loopback server once per run: {requests:?}"
    );
    for request in &requests {
        for header in ["authorization", "x-amz-security-token", "x-amz-date"] {
            assert!(
                request.header(header).is_none(),
                "the generic https check sent `{header}`: {request:?}"
            );
        }
        let wire = request.wire();
        assert_no_secret("the generic check's request", &wire, &secrets);
    }
}

/// `sign --explain --send` with session credentials: the canonical request lists the
/// token header as `<redacted>`, the answer is 200 (so the real token went on the
/// wire), and no secret is printed, even with trace logging.
#[test]
fn sign_explain_redacts_the_session_token_and_sends_the_real_one() {
    let emu = Ministack::start();
    let session = session_credentials(&emu.endpoint(), emu.admin());
    let secrets = secrets(&session, SystemTime::now());
    let out = netcheck_with(&session).run(&[
        "--log",
        "trace",
        "sign",
        "--explain",
        "--send",
        "--service",
        "sts",
        "--region",
        "us-east-1",
        "-X",
        "POST",
        "--header=Content-Type: application/x-www-form-urlencoded; charset=utf-8",
        "--body=Action=GetCallerIdentity&Version=2011-06-15",
        &emu.endpoint(),
    ]);
    assert_output_has_no_secret("`sign --explain --send`", &out, &secrets);
    out.assert_code(0);
    assert!(
        out.stdout.contains("x-amz-security-token:<redacted>"),
        "the canonical request should list the token header as `<redacted>`:\n{}",
        out.describe()
    );
    let signed_headers = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Signed headers:"))
        .unwrap_or_else(|| panic!("no `Signed headers:` line:\n{}", out.describe()));
    assert!(
        signed_headers
            .trim()
            .split(';')
            .any(|h| h == "x-amz-security-token"),
        "the token header should be signed: {signed_headers}"
    );
    assert!(
        out.stdout.contains("=> HTTP 200") && out.stdout.contains("GetCallerIdentityResponse"),
        "ministack should accept the session credentials:\n{}",
        out.describe()
    );
}
