//! End-to-end: the administrator's policy (issue 5) through the real `netcheck` binary —
//! built-in denied targets without a policy file, addresses checked after DNS, redirects
//! checked hop by hop, `[targets]`, `[restrict]` narrowing, `[signing]`, plugin pins
//! (custom and bundled), `[runners]`, `[audit]`, and `netcheck policy check`.
//!
//! The policy engine's rules are unit-tested in `tests/policy.rs`; these tests prove the
//! CLI wires them in: refusals exit 2 listing every violation before anything is sent,
//! and probe-time refusals show up as `policy-denied` results.
//!
//! Nothing here may reach a metadata or link-local address, even when the product is
//! broken. Runs that name such addresses directly are refused as a whole before probing,
//! and carry a second, independent violation (a signed check to a loopback server) so a
//! regression in one rule still probes nothing. Probe-time refusals of a metadata address
//! (a name resolving to it, a redirect to it) run only after the same guard has been
//! seen to refuse a name that resolves to 127.0.0.1 *first* and the metadata address
//! second — where a broken guard connects to loopback, not to the metadata service.
//!
//! Run: `cargo test -p netcheck --test cli -- policy_cli::`. Talks only to 127.0.0.1.

use netcheck_test_support as support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::cli::{Netcheck, Output, toml_str};
use support::config::{ConfigToml, check};
use support::emulators::{Emulator, Keys, Ministack};
use support::servers::DnsServer;
use support::servers::{HttpServer, SilentServer, closed_port};

/// Fake credentials: they only ever reach loopback servers; the secret must appear in
/// no output and no audit line.
fn keys() -> Keys {
    Keys {
        access_key_id: "AKIDPOLICYCLITEST".to_string(),
        secret_access_key: "policy-cli-secret-Qz7Wv3Xk9Lm2".to_string(),
    }
}

/// A config: `top` lines (top-level keys), one set `policy` holding `checks` (inline
/// tables), then `tables` (e.g. a `[restrict]` table).
fn config(top: &str, checks: &[String], tables: &str) -> String {
    ConfigToml::new("policy")
        .top("timeout", "3s")
        .top("concurrency", 8)
        .top("region", "us-east-1")
        .raw_top(top)
        .checks(checks)
        .tail(tables)
        .render()
}

/// `nameservers = ["127.0.0.1:PORT"]` for `dns`.
fn nameservers(dns: &DnsServer) -> String {
    format!("nameservers = [{}]", toml_str(&dns.address()))
}

/// A scratch run whose `NETCHECK_POLICY` names `policy` (written to `policy.toml`).
fn with_policy(policy: &str) -> (Netcheck, PathBuf) {
    let netcheck = Netcheck::new();
    let path = netcheck.write("policy.toml", policy);
    let netcheck = netcheck.env("NETCHECK_POLICY", &path.to_string_lossy());
    (netcheck, path)
}

/// The violation lines `netcheck run` printed (`  - policy rule ...`).
fn violations(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("- policy rule"))
        .collect()
}

/// Asserts a refused run: exit 2, the refusal header, exactly `count` violation lines,
/// and no report on stdout.
fn assert_refused(out: &Output, count: usize) {
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!(
            "the policy refuses this run ({count} violation(s)); nothing was probed"
        )),
        "want a refusal listing {count} violation(s):\n{}",
        out.describe()
    );
    assert_eq!(violations(out).len(), count, "{}", out.describe());
    assert!(
        out.stdout.trim().is_empty(),
        "a refused run printed a report:\n{}",
        out.describe()
    );
}

/// The violation line naming rule `rule` and containing every one of `parts`.
fn assert_violation<'a>(out: &'a Output, rule: &str, parts: &[&str]) -> &'a str {
    let head = format!("- policy rule `{rule}` refuses");
    violations(out)
        .into_iter()
        .find(|l| l.starts_with(&head) && parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| {
            panic!(
                "no violation of `{rule}` mentioning {parts:?}:\n{}",
                out.describe()
            )
        })
}

/// Asserts a probe-time refusal: `policy-denied`, nothing connected (no TCP phase).
fn assert_denied_before_connect(out: &Output, name: &str, rule: &str) -> Value {
    let result = out.assert_result(name, "fail", "policy-denied");
    assert!(
        result["phases"].get("tcp").is_none_or(Value::is_null),
        "check `{name}` was refused by policy but has a TCP phase:\n{}",
        out.describe()
    );
    let message = result["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("policy rule `{rule}`")),
        "check `{name}`: want rule `{rule}` in the message, got `{message}`"
    );
    result
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A test plugin component (a valid component whose `describe` works).
fn test_plugin(name: &str) -> Vec<u8> {
    let path =
        Path::new(netcheck_plugin_host::build_facts::TEST_PLUGIN_DIR).join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading test plugin {}: {e}", path.display()))
}

/// Reads an unsigned LEB128 at `at`; returns the value and the offset after it.
fn leb128(bytes: &[u8], mut at: usize) -> (usize, usize) {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = bytes[at];
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return (value, at);
        }
    }
}

/// `component` with one byte changed inside its top-level `producers` custom section
/// (a letter's case flipped): the same size, still a valid component, another digest.
fn tamper_producers(component: &[u8]) -> Vec<u8> {
    assert_eq!(
        component.get(..8),
        Some(&b"\0asm\x0d\x00\x01\x00"[..]),
        "not a wasm component"
    );
    let mut payload = None;
    let mut at = 8;
    while at < component.len() {
        let id = component[at];
        let (size, start) = leb128(component, at + 1);
        let end = start + size;
        if id == 0 {
            let (name_len, name_at) = leb128(component, start);
            if &component[name_at..name_at + name_len] == b"producers" {
                payload = Some((name_at + name_len, end));
            }
        }
        at = end;
    }
    let (from, to) = payload.expect("the component has no top-level `producers` section");
    let letter = (from..to)
        .find(|&i| component[i].is_ascii_alphabetic())
        .expect("the `producers` section has no letter to flip");
    let mut tampered = component.to_vec();
    tampered[letter] ^= 0x20;
    tampered
}

/// `netcheck plugins list --output json` (with `extra` args), as a list of objects.
fn plugins_list(netcheck: &Netcheck, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["plugins", "list", "--output", "json"];
    args.extend_from_slice(extra);
    let out = netcheck.run(&args);
    out.assert_code(0);
    out.json()
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("plugins list is not a JSON array:\n{}", out.describe()))
}

/// The sha256 `plugins list` shows for plugin `name`.
fn listed_sha256(list: &[Value], name: &str) -> String {
    list.iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["sha256"].as_str())
        .unwrap_or_else(|| panic!("plugin `{name}` not listed: {list:?}"))
        .to_string()
}

// ---------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------

/// Without any policy file, every spelling of the metadata and credential endpoints and
/// link-local addresses is refused before probing, all violations listed at once.
#[test]
fn builtin_denied_targets_are_refused_without_a_policy_and_nothing_is_sent() {
    let witness = HttpServer::start(200, "{}");
    let cases: [(&str, &str, &str); 13] = [
        (
            "imds",
            "http://169.254.169.254/",
            "built-in: instance metadata",
        ),
        (
            "decimal",
            "http://2852039166/",
            "built-in: instance metadata",
        ),
        ("hex", "http://0xA9FEA9FE/", "built-in: instance metadata"),
        (
            "octal",
            "http://0251.0376.0251.0376/",
            "built-in: instance metadata",
        ),
        // tcp:// hosts are not normalised by the URL parser: the policy reads them.
        (
            "tcp-hex",
            "tcp://0xA9FEA9FE:80",
            "built-in: instance metadata",
        ),
        (
            "tcp-short",
            "tcp://169.254.43518:80",
            "built-in: instance metadata",
        ),
        (
            "mapped",
            "http://[::ffff:169.254.169.254]/",
            "built-in: instance metadata",
        ),
        (
            "imds-v6",
            "http://[fd00:ec2::254]/",
            "built-in: instance metadata",
        ),
        (
            "imds-name",
            "http://instance-data/latest/",
            "built-in: instance metadata",
        ),
        ("ecs", "http://169.254.170.2/", "built-in: ECS credentials"),
        (
            "eks",
            "http://169.254.170.23/",
            "built-in: EKS Pod Identity credentials",
        ),
        ("link-local", "http://169.254.1.1/", "built-in: link-local"),
        (
            "link-local-v6",
            "http://[fe80::1]:8080/",
            "built-in: link-local",
        ),
    ];
    let mut checks: Vec<String> = cases.iter().map(|(n, u, _)| check(n, u, "")).collect();
    // The independent second violation (see the file's doc): SigV4 to a non-AWS host.
    checks.push(check(
        "signed-loopback",
        &witness.url(),
        "service = \"kms\", region = \"us-east-1\"",
    ));
    let out = Netcheck::new()
        .without_policy()
        .creds(&keys())
        .run_config(&config("", &checks, ""), "json");

    assert_refused(&out, cases.len() + 1);
    for (name, _, rule) in cases {
        let line = assert_violation(&out, rule, &[&format!("check `{name}`")]);
        assert!(
            line.ends_with("(built-in default policy)"),
            "violation of check `{name}` should name the built-in policy: {line}"
        );
    }
    assert_violation(
        &out,
        "signing.allow_non_aws",
        &["`127.0.0.1`", "check `signed-loopback`"],
    );
    assert!(
        witness.requests().is_empty(),
        "a refused run sent a request: {:?}",
        witness.requests()
    );
}

/// An empty `NETCHECK_POLICY` is a usage error (exit 2), never "no policy": a deploy
/// script that lost the path must not silently run without the administrator's policy.
#[test]
fn an_empty_policy_variable_is_an_error_not_the_default_policy() {
    let server = HttpServer::start(200, "ok");
    let out = Netcheck::new().env("NETCHECK_POLICY", "").run_config(
        &config("", &[check("loopback", &server.url(), "")], ""),
        "json",
    );
    out.assert_code(2);
    assert!(out.stdout.trim().is_empty(), "{}", out.describe());
    assert!(server.requests().is_empty(), "{}", out.describe());
}

/// A name that passes the pre-run check is resolved, and every address it resolves to
/// is checked before connecting: one metadata answer refuses the check.
#[test]
fn a_name_resolving_to_the_metadata_address_is_refused_before_connecting() {
    let server = HttpServer::start(200, "ok");
    let dns = DnsServer::start(&[
        ("fine.netcheck.test", "127.0.0.1"),
        // Loopback first: a broken guard would connect to 127.0.0.1, not to IMDS.
        ("rebind.netcheck.test", "127.0.0.1"),
        ("rebind.netcheck.test", "169.254.169.254"),
        ("imds.netcheck.test", "169.254.169.254"),
        ("imds6.netcheck.test", "::ffff:169.254.169.254"),
    ]);
    let port = server.port();
    let first = config(
        &nameservers(&dns),
        &[
            check(
                "fine",
                &format!("http://fine.netcheck.test:{port}/fine"),
                "",
            ),
            check(
                "rebind",
                &format!("http://rebind.netcheck.test:{port}/rebind"),
                "",
            ),
        ],
        "",
    );
    let out = Netcheck::new().run_config(&first, "json");
    out.assert_code(1);
    // The resolver really asked our server, and an allowed answer is followed.
    out.assert_result("fine", "pass", "ok");
    assert!(dns.queries() >= 2, "the local DNS server was not asked");
    let rebind = assert_denied_before_connect(&out, "rebind", "built-in: instance metadata");
    let answers = rebind["phases"]["dns"]["answers"].to_string();
    assert!(answers.contains("169.254.169.254"), "DNS phase: {answers}");
    let paths: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(paths, vec!["/fine".to_string()], "{}", out.describe());

    // Only now (the guard is proven on this binary) names that resolve to IMDS alone.
    let second = config(
        &nameservers(&dns),
        &[
            check(
                "imds-name",
                &format!("http://imds.netcheck.test:{port}/"),
                "",
            ),
            check(
                "imds-mapped",
                &format!("http://imds6.netcheck.test:{port}/"),
                "",
            ),
        ],
        "",
    );
    let out = Netcheck::new().run_config(&second, "json");
    out.assert_code(1);
    assert_denied_before_connect(&out, "imds-name", "built-in: instance metadata");
    assert_denied_before_connect(&out, "imds-mapped", "built-in: instance metadata");
}

/// With `follow-redirects = "true"`, each hop is checked like a target: a redirect to a
/// loopback path is followed (the second server records it), one to a name resolving
/// to the metadata address, or to any spelling of that address, is `policy-denied`.
#[test]
fn redirects_are_followed_only_where_the_policy_allows() {
    let landing = HttpServer::start(200, "landed");
    let lp = landing.port();
    let dns = DnsServer::start(&[
        ("rebind.netcheck.test", "127.0.0.1"),
        ("rebind.netcheck.test", "169.254.169.254"),
    ]);
    let to_landing = HttpServer::redirect(302, &format!("http://127.0.0.1:{lp}/landing"));
    let to_rebind = HttpServer::redirect(302, &format!("http://rebind.netcheck.test:{lp}/rebound"));
    let follow = "options = { follow-redirects = \"true\" }";
    let first = config(
        &nameservers(&dns),
        &[
            check("followed", &to_landing.url(), follow),
            check("not-asked-to-follow", &to_landing.url(), ""),
            check("to-rebinding-name", &to_rebind.url(), follow),
        ],
        "",
    );
    let out = Netcheck::new().run_config(&first, "json");
    let followed = out.assert_result("followed", "pass", "ok");
    let hops: Vec<i64> = followed["phases"]["http"]
        .as_array()
        .map(|h| h.iter().filter_map(|p| p["status"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(hops, vec![302, 200], "{}", out.describe());
    let rebound = out.assert_result("to-rebinding-name", "fail", "policy-denied");
    assert!(
        rebound["message"]
            .as_str()
            .is_some_and(|m| m.contains("built-in: instance metadata")),
        "{}",
        out.describe()
    );
    let paths: Vec<String> = landing
        .requests()
        .iter()
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        paths,
        vec!["/landing".to_string()],
        "only the check asking to follow may reach the landing server:\n{}",
        out.describe()
    );
    assert_eq!(to_landing.requests().len(), 2, "{}", out.describe());

    // The hop guard is proven on this binary: now redirects straight to IMDS spellings.
    let targets = [
        ("to-imds", "http://169.254.169.254/latest/meta-data/"),
        ("to-decimal", "http://2852039166/latest/meta-data/"),
        ("to-mapped", "http://[::ffff:a9fe:a9fe]/latest/meta-data/"),
        ("to-imds-v6", "http://[fd00:ec2::254]/latest/meta-data/"),
    ];
    let servers: Vec<HttpServer> = targets
        .iter()
        .map(|(_, to)| HttpServer::redirect(302, to))
        .collect();
    let checks: Vec<String> = targets
        .iter()
        .zip(&servers)
        .map(|((name, _), s)| check(name, &s.url(), follow))
        .collect();
    let out = Netcheck::new().run_config(&config("", &checks, ""), "json");
    out.assert_code(1);
    for ((name, _), server) in targets.iter().zip(&servers) {
        let result = out.assert_result(name, "fail", "policy-denied");
        assert!(
            result["message"]
                .as_str()
                .is_some_and(|m| m.contains("built-in: instance metadata")),
            "check `{name}`:\n{}",
            out.describe()
        );
        let hops = result["phases"]["http"].as_array().map_or(0, Vec::len);
        assert_eq!(
            hops,
            1,
            "check `{name}` went past the redirect:\n{}",
            out.describe()
        );
        assert_eq!(server.requests().len(), 1, "check `{name}`");
    }
}

/// `[targets] deny` refuses a loopback check; a user's `[restrict] targets_allow`
/// cannot lift it, while `[restrict] targets_deny` refuses what the policy allows.
#[test]
fn a_policy_deny_holds_and_user_restrictions_only_narrow() {
    let server = HttpServer::start(200, "ok");
    let checks = [check("loopback", &server.url(), "")];

    let (netcheck, policy) = with_policy("[targets]\ndeny = [\"127.0.0.0/8\"]\n");
    let widen = "[restrict]\ntargets_allow = [\"127.0.0.1/32\", \"*\"]\n";
    let out = netcheck.run_config(&config("", &checks, widen), "json");
    assert_refused(&out, 1);
    assert_violation(
        &out,
        "targets.deny[0]",
        &["check `loopback`", "127.0.0.0/8", &policy.to_string_lossy()],
    );

    // The default test policy allows loopback: the plain run passes ...
    let out = Netcheck::new().run_config(&config("", &checks, ""), "json");
    out.assert_code(0);
    // ... and the user's own deny list refuses it.
    let narrow = "[restrict]\ntargets_deny = [\"127.0.0.1/32\"]\n";
    let out = Netcheck::new().run_config(&config("", &checks, narrow), "json");
    assert_refused(&out, 1);
    let line = assert_violation(&out, "restrict.targets_deny[0]", &["check `loopback`"]);
    assert!(line.contains("netcheck config [restrict]"), "{line}");
    // A user allow-list the target is outside of refuses it too.
    let outside = "[restrict]\ntargets_allow = [\"10.0.0.0/8\"]\n";
    let out = Netcheck::new().run_config(&config("", &checks, outside), "json");
    assert_refused(&out, 1);
    assert_violation(&out, "restrict.targets_allow", &["check `loopback`"]);

    assert_eq!(server.requests().len(), 1, "only the allowed run may probe");
}

// ---------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------

/// The built-in policy sends SigV4 only to AWS endpoints; `[signing] hosts` names an
/// emulator, and then the signed request goes there.
#[test]
fn sigv4_goes_to_a_non_aws_host_only_when_the_policy_names_it() {
    let server = HttpServer::start(400, "{\"__type\":\"ValidationException\"}");
    let checks = [check(
        "kms-emulator",
        &server.url(),
        "service = \"kms\", region = \"us-east-1\"",
    )];
    let toml = config("", &checks, "");

    let out = Netcheck::new()
        .without_policy()
        .creds(&keys())
        .run_config(&toml, "json");
    assert_refused(&out, 1);
    let line = assert_violation(&out, "signing.allow_non_aws", &["`127.0.0.1`"]);
    assert!(line.contains("signing.hosts"), "the fix is named: {line}");
    assert!(server.requests().is_empty(), "{}", out.describe());

    let (netcheck, _) = with_policy("[signing]\nhosts = [\"127.0.0.1\"]\n");
    let out = netcheck.creds(&keys()).run_config(&toml, "json");
    assert_ne!(out.code, Some(2), "{}", out.describe());
    let requests = server.requests();
    let signed = requests.iter().any(|r| {
        r.header("authorization").is_some_and(|a| {
            a.starts_with("AWS4-HMAC-SHA256 Credential=AKIDPOLICYCLITEST/")
                && a.contains("/us-east-1/kms/aws4_request")
        })
    });
    assert!(
        signed,
        "no signed request arrived: {requests:?}\n{}",
        out.describe()
    );
    assert!(!out.stdout.contains(&keys().secret_access_key));
    assert!(!out.stderr.contains(&keys().secret_access_key));
}

// ---------------------------------------------------------------------------------
// Plugins
// ---------------------------------------------------------------------------------

/// A custom plugin pinned by name and sha256 loads; the same file with one byte changed
/// in a custom section (still a valid component) is refused showing its new digest, and
/// an unpinned custom plugin is refused under a policy file.
#[test]
fn a_custom_plugin_loads_only_with_its_pinned_digest() {
    let original = test_plugin("trap");
    let tampered = tamper_producers(&original);
    let (sha, bad_sha) = (sha256_hex(&original), sha256_hex(&tampered));
    assert_ne!(sha, bad_sha);
    let listener = SilentServer::start();
    let checks = [check(
        "tcp",
        &format!("tcp://127.0.0.1:{}", listener.port()),
        "",
    )];
    let pin = format!(
        "[plugins]\nallow = [{{ name = \"trap\", sha256 = {} }}]\n",
        toml_str(&sha)
    );

    let (netcheck, policy) = with_policy(&pin);
    let good = netcheck.dir().join("good.wasm");
    std::fs::write(&good, &original).expect("writing good.wasm");
    let bad = netcheck.dir().join("tampered.wasm");
    std::fs::write(&bad, &tampered).expect("writing tampered.wasm");
    let plugin_line = |path: &Path| format!("plugins = [{}]", toml_str(&path.to_string_lossy()));

    // Without the pin the tampered file still loads as a component (the permissive test
    // policy), so a refusal below is the digest's doing.
    let list = plugins_list(&Netcheck::new(), &["--plugin", &bad.to_string_lossy()]);
    assert_eq!(listed_sha256(&list, "trap"), bad_sha);

    let out = netcheck.run_config(&config(&plugin_line(&good), &checks, ""), "json");
    out.assert_code(0);
    out.assert_result("tcp", "pass", "ok");
    assert_eq!(listener.connections(), 1);

    // The tampered file is refused by digest before any of its code runs.
    let out = netcheck.run_config(&config(&plugin_line(&bad), &checks, ""), "json");
    assert_refused(&out, 1);
    assert_violation(
        &out,
        "plugins.allow",
        &[
            "tampered.wasm",
            &bad_sha,
            "none of its code ran",
            &policy.to_string_lossy(),
        ],
    );

    // A policy file without a pin: custom plugins are refused (allow_any = false).
    let (netcheck, _) = with_policy("[targets]\ndeny = [\"10.99.0.0/16\"]\n");
    let out = netcheck.run_config(&config(&plugin_line(&good), &checks, ""), "json");
    assert_refused(&out, 1);
    let line = violations(&out)[0];
    assert!(line.contains("good.wasm") && line.contains(&sha), "{line}");
    assert_eq!(listener.connections(), 1, "a refused run connected");
}

/// A bundled plugin pinned to a digest it does not have refuses the run, naming the
/// plugin and showing its real digest (the one `plugins list` reports).
#[test]
fn a_bundled_plugin_pinned_to_another_digest_refuses_the_run() {
    let listener = SilentServer::start();
    let wrong = "0".repeat(64);
    let (netcheck, _) = with_policy(&format!(
        "[plugins]\nallow = [{{ name = \"kms\", sha256 = \"sha256:{wrong}\" }}]\n"
    ));
    let kms = listed_sha256(&plugins_list(&Netcheck::new(), &[]), "kms");
    // Under the pinning policy `plugins list` refuses too.
    assert_eq!(netcheck.run(&["plugins", "list"]).code, Some(2));
    let checks = [check(
        "tcp",
        &format!("tcp://127.0.0.1:{}", listener.port()),
        "",
    )];
    let out = netcheck.run_config(&config("", &checks, ""), "json");
    assert_refused(&out, 1);
    assert_violation(&out, "plugins.allow[0]", &["`kms`", &kms, &wrong]);
    assert_eq!(listener.connections(), 0);
}

// ---------------------------------------------------------------------------------
// Runners
// ---------------------------------------------------------------------------------

/// `[runners] allow` refuses the local runner; `[runners] regions` refuses a check
/// signed for another region — before any DNS query or connection (the AWS name is
/// mapped to loopback by the test's DNS server, should it ever be resolved).
#[test]
fn runner_and_region_allow_lists_refuse_before_probing() {
    let listener = SilentServer::start();
    let loopback = [check(
        "tcp",
        &format!("tcp://127.0.0.1:{}", listener.port()),
        "",
    )];
    let (netcheck, _) = with_policy("[runners]\nallow = [\"lambda\"]\n");
    let out = netcheck.run_config(&config("", &loopback, ""), "json");
    assert_refused(&out, 1);
    assert_violation(&out, "runners.allow", &["`local`"]);

    let dns = DnsServer::start(&[
        ("kms.us-east-1.amazonaws.com", "127.0.0.1"),
        ("kms.eu-west-1.amazonaws.com", "127.0.0.1"),
    ]);
    let port = listener.port();
    let checks = [
        check(
            "kms-us",
            &format!("https://kms.us-east-1.amazonaws.com:{port}/"),
            "",
        ),
        check(
            "kms-eu",
            &format!("https://kms.eu-west-1.amazonaws.com:{port}/"),
            "",
        ),
    ];
    let (netcheck, _) = with_policy("[runners]\nregions = [\"eu-west-1\"]\n");
    let out = netcheck
        .creds(&keys())
        .run_config(&config(&nameservers(&dns), &checks, ""), "json");
    assert_refused(&out, 1);
    assert_violation(&out, "runners.regions", &["`us-east-1`"]);
    assert!(!out.stderr.contains("`eu-west-1`: "), "{}", out.describe());
    assert_eq!(dns.queries(), 0, "a refused run resolved names");
    assert_eq!(listener.connections(), 0, "a refused run connected");
}

// ---------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------

/// `[audit] file` (relative to the policy file) gets one JSON line per run — allowed or
/// refused — with runner, checks, plugins and digests, violations; and no secrets.
#[test]
fn the_audit_file_records_every_run_without_secrets() {
    let signed = HttpServer::start(400, "{\"__type\":\"ValidationException\"}");
    let listener = SilentServer::start();
    let netcheck = Netcheck::new();
    std::fs::create_dir_all(netcheck.dir().join("admin")).expect("creating admin/");
    let policy = netcheck.write(
        "admin/policy.toml",
        "[signing]\nhosts = [\"127.0.0.1\"]\n[targets]\ndeny = [\"127.0.0.2/32\"]\n\
         [audit]\nfile = \"audit.jsonl\"\n",
    );
    let token = "policy-cli-session-token-Hq5Rt8";
    // The audit looks up the caller with STS: here it finds nothing listening (and never
    // reaches real AWS), so the line records `caller_arn: null`.
    let sts = format!("http://127.0.0.1:{}/", closed_port());
    let netcheck = netcheck
        .env("NETCHECK_POLICY", &policy.to_string_lossy())
        .env("AWS_ENDPOINT_URL_STS", &sts)
        .creds(&keys())
        .session_token(token);
    let allowed = [
        check(
            "kms-emulator",
            &signed.url(),
            "service = \"kms\", region = \"us-east-1\"",
        ),
        check(
            "with-password",
            &format!(
                "http://user:hunter2-password@127.0.0.1:{}/",
                listener.port()
            ),
            "",
        ),
    ];
    let out = netcheck.run_config(&config("", &allowed, ""), "json");
    assert_ne!(out.code, Some(2), "{}", out.describe());
    assert!(!signed.requests().is_empty(), "{}", out.describe());
    let refused = [check(
        "denied",
        &format!("tcp://127.0.0.2:{}", listener.port()),
        "",
    )];
    let out = netcheck.run_config(&config("", &refused, ""), "json");
    assert_refused(&out, 1);

    let audit_path = netcheck.dir().join("admin/audit.jsonl");
    let text = std::fs::read_to_string(&audit_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", audit_path.display()));
    for secret in [keys().secret_access_key.as_str(), token, "hunter2-password"] {
        assert!(
            !text.contains(secret),
            "a secret reached the audit file:\n{text}"
        );
    }
    let mode = std::fs::metadata(&audit_path).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(
        mode.ok(),
        Some(0o640),
        "a new audit file is created with mode 0640"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 2, "one line per run:\n{text}");
    for line in &lines {
        assert_eq!(line["runner"], "local", "{line}");
        assert!(line["caller_arn"].is_null(), "{line}");
        assert_eq!(
            line["policy"].as_str().map(|p| p.contains("policy.toml")),
            Some(true),
            "{line}"
        );
        let plugins = line["plugins"].as_array().cloned().unwrap_or_default();
        let kms = plugins.iter().find(|p| p["name"] == "kms");
        let digest = kms.and_then(|p| p["sha256"].as_str()).unwrap_or_default();
        assert!(
            digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
            "kms digest in {line}"
        );
    }
    let names = |line: &Value| -> Vec<String> {
        line["checks"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|c| c["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(names(&lines[0]), ["kms-emulator", "with-password"]);
    let url = lines[0]["checks"][1]["url"].as_str().unwrap_or_default();
    assert!(url.contains("REDACTED"), "password not redacted: {url}");
    assert_eq!(lines[0]["violations"].as_array().map(Vec::len), Some(0));
    assert_eq!(names(&lines[1]), ["denied"]);
    let violations = lines[1]["violations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(violations.len(), 1, "{}", lines[1]);
    assert_eq!(violations[0]["rule"], "targets.deny[0]");
    assert_eq!(
        violations[0]["item"],
        format!("tcp://127.0.0.2:{}", listener.port())
    );
    assert!(
        violations[0]["source"]
            .as_str()
            .is_some_and(|s| s.contains("policy.toml")),
        "{}",
        lines[1]
    );
    assert!(
        out.stderr.contains("the audit line records no caller ARN"),
        "{}",
        out.describe()
    );
    assert!(
        !out.stderr.contains(&keys().secret_access_key) && !out.stderr.contains(token),
        "{}",
        out.describe()
    );
}

// ---------------------------------------------------------------------------------
// `netcheck policy check`
// ---------------------------------------------------------------------------------

/// `policy check` prints what a policy allows (exit 0); a broken policy exits 2 naming
/// the file and the key; without any policy it describes the built-in default.
#[test]
fn policy_check_describes_a_policy_and_names_a_broken_key() {
    let netcheck = Netcheck::new().without_policy();
    let good = netcheck.write(
        "policy.toml",
        "[targets]\ndeny = [\"10.99.0.0/16\", \"tcp://*:22\"]\n\
         [runners]\nregions = [\"eu-west-1\"]\n[audit]\nfile = \"audit.jsonl\"\n",
    );
    let out = netcheck.run(&["policy", "check", "--policy", &good.to_string_lossy()]);
    out.assert_code(0);
    for part in ["10.99.0.0/16", "tcp://*:22", "eu-west-1", "audit.jsonl"] {
        assert!(
            out.stdout.contains(part),
            "`{part}` missing:\n{}",
            out.describe()
        );
    }
    assert!(
        out.stdout.contains(&*good.to_string_lossy()),
        "{}",
        out.describe()
    );

    let broken = netcheck.write(
        "broken.toml",
        "[targets]\ndeny = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n",
    );
    let out = netcheck.run(&["policy", "check", "--policy", &broken.to_string_lossy()]);
    out.assert_code(2);
    for part in [
        &*broken.to_string_lossy(),
        "`targets.deny[1]`",
        "10.0.0.0/33",
    ] {
        assert!(
            out.stderr.contains(part),
            "`{part}` missing:\n{}",
            out.describe()
        );
    }
    // The same broken file named by NETCHECK_POLICY stops a run before anything else.
    let server = HttpServer::start(200, "ok");
    let run = Netcheck::new().env("NETCHECK_POLICY", &broken.to_string_lossy());
    let out = run.run_config(
        &config("", &[check("loopback", &server.url(), "")], ""),
        "json",
    );
    out.assert_code(2);
    assert!(
        out.stderr.contains("`targets.deny[1]`"),
        "{}",
        out.describe()
    );
    assert!(server.requests().is_empty());

    let out = netcheck.run(&["policy", "check"]);
    out.assert_code(0);
    assert!(out.stdout.contains("built-in"), "{}", out.describe());
}

// ---------------------------------------------------------------------------------
// Audit: who ran it
// ---------------------------------------------------------------------------------

/// The audit line names the caller: STS GetCallerIdentity (here ministack's, through
/// `AWS_ENDPOINT_URL_STS`) with the run's credentials, for allowed and refused runs.
/// The lookup obeys the policy: where SigV4 may not go, nothing is sent and the line
/// records `caller_arn: null` with a warning saying why.
#[test]
fn the_audit_line_names_the_caller_from_sts() {
    let ministack = Ministack::start();
    let listener = SilentServer::start();
    let netcheck = Netcheck::new();
    let policy = netcheck.write(
        "policy.toml",
        "[signing]\nhosts = [\"127.0.0.1\"]\n[targets]\ndeny = [\"127.0.0.2/32\"]\n\
         [audit]\nfile = \"audit.jsonl\"\n",
    );
    let netcheck = netcheck
        .env("NETCHECK_POLICY", &policy.to_string_lossy())
        .env("AWS_ENDPOINT_URL_STS", &ministack.endpoint())
        .creds(ministack.admin());
    let allowed = [check(
        "listener",
        &format!("tcp://127.0.0.1:{}", listener.port()),
        "",
    )];
    let out = netcheck.run_config(&config("", &allowed, ""), "json");
    out.assert_code(0);
    let refused = [check(
        "denied",
        &format!("tcp://127.0.0.2:{}", listener.port()),
        "",
    )];
    let out = netcheck.run_config(&config("", &refused, ""), "json");
    assert_refused(&out, 1);
    let lines = audit_lines(&netcheck.dir().join("audit.jsonl"));
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(
            line["caller_arn"], "arn:aws:iam::000000000000:user/admin",
            "{line}"
        );
    }

    // A policy that lets no signature reach 127.0.0.1: the lookup is refused, not sent.
    let sts = HttpServer::start(200, "");
    let strict = Netcheck::new();
    let policy = strict.write("policy.toml", "[audit]\nfile = \"audit.jsonl\"\n");
    let strict = strict
        .env("NETCHECK_POLICY", &policy.to_string_lossy())
        .env("AWS_ENDPOINT_URL_STS", &sts.url())
        .creds(ministack.admin());
    let out = strict.run_config(&config("", &allowed, ""), "json");
    out.assert_code(0);
    assert!(
        sts.requests().is_empty(),
        "the STS lookup was sent: {}",
        out.describe()
    );
    for part in [
        "the audit line records no caller ARN",
        "STS endpoint is refused",
    ] {
        assert!(
            out.stderr.contains(part),
            "`{part}` missing:\n{}",
            out.describe()
        );
    }
    assert!(
        !out.stderr.contains(&ministack.admin().secret_access_key),
        "{}",
        out.describe()
    );
    let lines = audit_lines(&strict.dir().join("audit.jsonl"));
    assert_eq!(lines.len(), 1);
    assert!(lines[0]["caller_arn"].is_null(), "{}", lines[0]);
}

/// The audit file's lines, parsed.
fn audit_lines(path: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l}: {e}")))
        .collect()
}
