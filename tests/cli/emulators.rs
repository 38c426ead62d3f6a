//! End-to-end: `netcheck run` against AWS emulators on 127.0.0.1.
//!
//! ministack (`AUTH=true`) checks signatures, clock and IAM policies for IAM-user keys
//! (never for its root keys), so every case here signs with IAM users it created. moto
//! enforces IAM policies too, and answers errors in XML even for JSON services, which
//! makes it a second, differently shaped witness. Facts: `tests/EMULATORS.md`.
//!
//! Needs the test venv: `scripts/setup.sh`. Run: `cargo test -p netcheck --test cli -- emulators::`.

use netcheck_test_support as support;

use support::cli::{Netcheck, Output};
use support::config::{Check, ConfigToml};
use support::emulators::{Emulator, Keys, Ministack, Moto, allow_only, unknown_keys};
use support::fault_proxy::FaultProxy;
use support::servers::HttpServer;

/// The AWS services the emulators answer, each with the IAM action its cheap
/// read-only probe needs.
const SERVICES: [(&str, &str); 4] = [
    ("sts", "sts:GetCallerIdentity"),
    ("kms", "kms:ListKeys"),
    ("ssm", "ssm:DescribeParameters"),
    ("s3", "s3:ListAllMyBuckets"),
];

/// A config with one check per service, all at `endpoint`, named after the service.
fn config(endpoint: &str, timeout: &str, services: &[&str]) -> String {
    let mut config = ConfigToml::new("emu")
        .top("concurrency", 4)
        .top("timeout", timeout);
    for s in services {
        config = config.check(Check::new(s, endpoint).service(s).region("us-east-1"));
    }
    config.render()
}

fn all_services() -> Vec<&'static str> {
    SERVICES.iter().map(|(s, _)| *s).collect()
}

fn run(emu: &impl Emulator, keys: Option<&Keys>, services: &[&str]) -> Output {
    let mut netcheck = Netcheck::new();
    if let Some(keys) = keys {
        netcheck = netcheck.creds(keys);
    }
    netcheck.run_config(
        &config(&emu.endpoint(), emu.check_timeout(), services),
        "json",
    )
}

/// Correct credentials: every service passes, and the probe that decided was signed
/// and answered 200.
fn assert_all_pass(out: &Output) {
    out.assert_code(0);
    for service in all_services() {
        let result = out.assert_result(service, "pass", "ok");
        let http = result["phases"]["http"]
            .as_array()
            .unwrap_or_else(|| panic!("{service}: no http phases:\n{}", out.describe()));
        let last = http
            .last()
            .unwrap_or_else(|| panic!("{service}: empty http phases:\n{}", out.describe()));
        assert_eq!(last["signed"], true, "{service}: {last}");
        assert_eq!(last["status"], 200, "{service}: {last}");
    }
    let summary = &out.json()["summary"];
    assert_eq!(summary["pass"], 4, "{}", out.describe());
    assert_eq!(summary["fail"], 0, "{}", out.describe());
}

fn assert_all_fail(out: &Output, reason: &str) {
    out.assert_code(1);
    for service in all_services() {
        out.assert_result(service, "fail", reason);
    }
}

/// The emulator's port is not 80, so these passes also prove the signed `host` header
/// carries the port: both emulators reject a signature over a port-less host
/// (`tests/EMULATORS.md`, "Host signed without port").
#[test]
fn ministack_correct_credentials_pass_every_service() {
    let emu = Ministack::start();
    assert_all_pass(&run(&emu, Some(emu.admin()), &all_services()));
}

#[test]
fn ministack_wrong_secret_is_signature_mismatch() {
    let emu = Ministack::start();
    let out = run(
        &emu,
        Some(&emu.admin().with_wrong_secret()),
        &all_services(),
    );
    assert_all_fail(&out, "signature-mismatch");
}

/// The Envoy seed: a proxy between netcheck and AWS that strips the port from `Host`
/// (`strip_any_host_port`). The signature covered `host:127.0.0.1:PORT`, the server
/// computes it over `host:127.0.0.1`: `signature-mismatch`, with the hint that names the
/// port and the fix.
#[test]
fn a_proxy_that_strips_the_host_port_is_a_signature_mismatch_with_the_fix() {
    let emu = Ministack::start();
    let proxy = FaultProxy::start(emu.port());
    proxy.strip_host_port();
    let out = Netcheck::new()
        .creds(emu.admin())
        .run_config(&config(&proxy.url(), emu.check_timeout(), &["sts"]), "json");
    out.assert_code(1);
    let r = out.assert_result("sts", "fail", "signature-mismatch");
    let hint = r["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains(&format!("`127.0.0.1:{}`", proxy.port()))
            && hint.contains("strip_any_host_port")
            && hint.contains("sign --explain"),
        "{hint}"
    );
    // Without the proxy's rewrite the same check passes: the hint is about the path.
    let direct = Netcheck::new().creds(emu.admin()).run_config(
        &config(&emu.endpoint(), emu.check_timeout(), &["sts"]),
        "json",
    );
    direct.assert_result("sts", "pass", "ok");
}

/// `sign -H 'Host: …'` replaces the Host (curl's rule): one Host on the wire and in the
/// signature, and `--explain` warns about the port and shows the other signature.
#[test]
fn sign_host_header_replaces_the_host_and_explain_warns_about_its_port() {
    let emu = Ministack::start();
    let out = Netcheck::new().creds(emu.admin()).run(&[
        "sign",
        "--explain",
        "--service",
        "lambda",
        "--region",
        "us-east-1",
        "--date",
        "20150830T123600Z",
        "-H",
        "Host: lambda.us-east-1.amazonaws.com:443",
        "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("\nhost:lambda.us-east-1.amazonaws.com:443\n"),
        "one Host, the given one, is signed:\n{}",
        out.describe()
    );
    assert!(
        !out.stdout.contains("host:lambda.us-east-1.amazonaws.com,"),
        "two Host values were signed:\n{}",
        out.describe()
    );
    let wire_hosts = out
        .stdout
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("host: "))
        .count();
    assert_eq!(
        wire_hosts,
        1,
        "one Host header on the wire:\n{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("carries a port")
            && out.stdout.contains("host:lambda.us-east-1.amazonaws.com`")
            && out.stdout.contains("it would compute Signature=")
            && out.stdout.contains("strip_any_host_port"),
        "{}",
        out.describe()
    );
    // A header value that is not one line is refused naming the header.
    let bad = Netcheck::new().creds(emu.admin()).run(&[
        "sign",
        "--region",
        "us-east-1",
        "--service",
        "sts",
        "-H",
        "X: a\r\nB: c",
        &emu.endpoint(),
    ]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("--header `X: a\\r\\nB: c`"),
        "{}",
        bad.describe()
    );
}

#[test]
fn ministack_unknown_access_key_is_invalid_credentials() {
    let emu = Ministack::start();
    let out = run(&emu, Some(&unknown_keys()), &all_services());
    assert_all_fail(&out, "invalid-credentials");
}

/// ministack enforces identity policies: a user allowed only `sts:GetCallerIdentity`
/// passes STS and is denied everywhere else, with the missing action named.
#[test]
fn ministack_limited_user_is_access_denied_naming_the_action() {
    let emu = Ministack::start();
    let limited = emu.create_user("limited", &allow_only(&["sts:GetCallerIdentity"]));
    let out = run(&emu, Some(&limited), &all_services());
    out.assert_code(1);
    out.assert_result("sts", "pass", "ok");
    for (service, action) in &SERVICES[1..] {
        let result = out.assert_result(service, "fail", "access-denied");
        assert_eq!(
            result["action"],
            *action,
            "{service}: the verdict must name the missing IAM action:\n{}",
            out.describe()
        );
    }
}

/// No credentials anywhere (env empty, config files missing, IMDS disabled): a warning,
/// not a failure, so the exit code stays 0. S3 is left out: ministack serves anonymous
/// ListBuckets with 200 (AWS does not), see `tests/EMULATORS.md`.
#[test]
fn ministack_without_credentials_warns_no_credentials() {
    let emu = Ministack::start();
    let services = ["sts", "kms", "ssm"];
    let out = run(&emu, None, &services);
    out.assert_code(0);
    for service in services {
        out.assert_result(service, "warn", "no-credentials");
    }
    assert_eq!(out.json()["summary"]["warn"], 3, "{}", out.describe());
}

#[test]
fn moto_correct_credentials_pass_every_service() {
    let emu = Moto::start();
    assert_all_pass(&run(&emu, Some(emu.admin()), &all_services()));
}

/// moto answers JSON services' auth errors in query-style XML (as `text/html`).
#[test]
fn moto_wrong_secret_is_signature_mismatch() {
    let emu = Moto::start();
    let out = run(
        &emu,
        Some(&emu.admin().with_wrong_secret()),
        &all_services(),
    );
    assert_all_fail(&out, "signature-mismatch");
}

#[test]
fn moto_unknown_access_key_is_invalid_credentials() {
    let emu = Moto::start();
    let out = run(&emu, Some(&unknown_keys()), &all_services());
    assert_all_fail(&out, "invalid-credentials");
}

/// moto enforces identity policies too; its S3 denial does not name the action, so the
/// action reported must come from the probe, not the error text.
#[test]
fn moto_limited_user_is_access_denied_naming_the_action() {
    let emu = Moto::start();
    let limited = emu.create_user("limited", &allow_only(&["sts:GetCallerIdentity"]));
    let out = run(&emu, Some(&limited), &all_services());
    out.assert_code(1);
    out.assert_result("sts", "pass", "ok");
    for (service, action) in &SERVICES[1..] {
        let result = out.assert_result(service, "fail", "access-denied");
        assert_eq!(result["action"], *action, "{service}:\n{}", out.describe());
    }
}

/// What goes on the wire: the signed request's `Host` is `127.0.0.1:PORT`, `host` is
/// among the signed headers, the scope names the service and region, and the secret
/// never appears in the request.
#[test]
fn signed_request_signs_host_with_port_and_never_sends_the_secret() {
    let server = HttpServer::start(200, "<GetCallerIdentityResponse/>");
    let keys = Keys::new(
        "AKIANETCHECKWIRETEST",
        "wire-test-secret-do-not-send-0000000000",
    );
    let out = Netcheck::new()
        .creds(&keys)
        .run_config(&config(&server.url(), "5s", &["sts"]), "json");
    // The verdict on a fake STS answer does not matter here; the request does.
    assert!(matches!(out.code, Some(0 | 1)), "{}", out.describe());
    let requests = server.requests();
    let request = requests
        .first()
        .unwrap_or_else(|| panic!("no request reached the server:\n{}", out.describe()));
    assert_eq!(
        request.header("host"),
        Some(format!("127.0.0.1:{}", server.port()).as_str()),
        "{request:?}"
    );
    let authorization = request
        .header("authorization")
        .unwrap_or_else(|| panic!("request was not signed: {request:?}"));
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIANETCHECKWIRETEST/"),
        "{authorization}"
    );
    assert!(
        authorization.contains("/us-east-1/sts/aws4_request"),
        "{authorization}"
    );
    let signed_headers = authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no SignedHeaders in {authorization}"));
    assert!(
        signed_headers.split(';').any(|h| h == "host"),
        "host is not signed: {signed_headers}"
    );
    assert!(request.header("x-amz-date").is_some(), "{request:?}");
    let wire = request.wire();
    assert!(
        !wire.contains(&keys.secret_access_key),
        "the secret key went on the wire"
    );
    assert!(
        !out.stdout.contains(&keys.secret_access_key)
            && !out.stderr.contains(&keys.secret_access_key),
        "the secret key was printed"
    );
}
