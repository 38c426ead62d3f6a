//! The enterprise policy engine through its public API: every rule allows what it should
//! and refuses what it should.
//!
//! Pure logic: nothing here opens a socket or resolves a name. The addresses below
//! (instance metadata, link-local, ...) are only ever passed to the policy as strings.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use netcheck_policy::{
    AuditCheck, AuditPlugin, AuditRecord, CheckView, PlanView, PluginView, Policy, PolicyError,
    UserRestrictions, Violation, append_audit, describe, evaluate,
};
use sha2::{Digest, Sha256};

const IMDS: &str = "built-in: instance metadata";

fn policy(text: &str) -> Policy {
    Policy::from_toml(text, Path::new("/etc/netcheck/policy.toml"))
        .unwrap_or_else(|e| panic!("policy should load: {e}"))
}

fn policy_err(text: &str) -> PolicyError {
    match Policy::from_toml(text, Path::new("policy.toml")) {
        Ok(_) => panic!("policy should be refused:\n{text}"),
        Err(e) => e,
    }
}

fn refused(r: Result<(), Violation>) -> Violation {
    match r {
        Ok(()) => panic!("expected a violation"),
        Err(v) => v,
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Spellings of 169.254.169.254 a URL may carry.
const IMDS_SPELLINGS: &[&str] = &[
    "169.254.169.254",
    "2852039166",
    "0xA9FEA9FE",
    "0xa9fea9fe",
    "0251.0376.0251.0376",
    "00000251.0376.0251.0376",
    "0xa9.0xfe.0xa9.0xfe",
    "0251.254.0xa9.254",
    "169.0xfe.43518",
    "169.254.43518",
    "169.16689662",
    "0xa9.16689662",
    "169.254.169.254.",
    "%31%36%39.254.169.254",
    "\u{ff11}\u{ff16}\u{ff19}\u{ff0e}\u{ff12}\u{ff15}\u{ff14}\u{ff0e}\u{ff11}\u{ff16}\u{ff19}\u{ff0e}\u{ff12}\u{ff15}\u{ff14}",
    "::ffff:169.254.169.254",
    "[::ffff:169.254.169.254]",
    "::ffff:a9fe:a9fe",
    "[::FFFF:A9FE:A9FE]",
    "[0:0:0:0:0:ffff:a9fe:a9fe]",
    "::a9fe:a9fe",
    "[::ffff:0:a9fe:a9fe]",
    "64:ff9b::a9fe:a9fe",
    "[64:ff9b::169.254.169.254]",
    "fd00:ec2::254",
    "[fd00:ec2::254]",
    "[FD00:0EC2:0000:0000:0000:0000:0000:0254]",
    "instance-data",
    "instance-data.ec2.internal",
    "INSTANCE-DATA.EC2.INTERNAL.",
];

#[test]
fn every_spelling_of_the_metadata_address_is_refused_without_a_policy() {
    let p = Policy::default();
    for host in IMDS_SPELLINGS {
        for (scheme, port) in [("http", 80), ("https", 443), ("tcp", 80)] {
            let v = refused(p.check_target_name(scheme, host, port));
            assert_eq!(v.rule, IMDS, "{scheme}://{host}:{port}");
            assert_eq!(v.source, "built-in default policy");
            assert!(
                v.message.contains("169.254.169.254/32")
                    || v.message.contains("fd00:ec2::254/128")
                    || v.message.contains("instance-data"),
                "{v}"
            );
        }
    }
}

#[test]
fn credential_endpoints_and_link_local_are_refused_without_a_policy() {
    let p = Policy::default();
    for (host, rule) in [
        ("169.254.170.2", "built-in: ECS credentials"),
        ("0xa9feaa02", "built-in: ECS credentials"),
        ("[::ffff:169.254.170.2]", "built-in: ECS credentials"),
        ("169.254.170.23", "built-in: EKS Pod Identity credentials"),
        ("[fd00:ec2::23]", "built-in: EKS Pod Identity credentials"),
        ("169.254.1.1", "built-in: link-local"),
        ("169.254.169.253", "built-in: link-local"),
        ("fe80::1", "built-in: link-local"),
        ("[fe80::1%25eth0]", "built-in: link-local"),
        ("febf::1", "built-in: link-local"),
    ] {
        assert_eq!(
            refused(p.check_target_name("http", host, 80)).rule,
            rule,
            "{host}"
        );
    }
}

#[test]
fn ordinary_targets_are_allowed_without_a_policy() {
    let p = Policy::default();
    for (scheme, host, port) in [
        ("https", "kms.eu-west-1.amazonaws.com", 443),
        ("https", "sts.amazonaws.com.", 443),
        ("http", "127.0.0.1", 8080),
        ("http", "localhost", 8080),
        ("http", "::1", 8080),
        ("http", "[::1]", 8080),
        ("tcp", "10.0.0.5", 5432),
        ("tcp", "fd00:ec2::1", 5432),
        ("https", "169.254.example.com", 443),
        ("https", "example.com", 443),
        ("tls", "[fec0::1]", 636),
    ] {
        assert!(
            p.check_target_name(scheme, host, port).is_ok(),
            "{scheme}://{host}:{port}"
        );
    }
}

#[test]
fn a_name_resolving_to_a_denied_address_is_refused_at_probe_time() {
    let p = Policy::default();
    for addr in [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "fd00:ec2::254",
        "64:ff9b::a9fe:a9fe",
    ] {
        let v = refused(p.check_resolved_ip("https", "innocent.example", 443, ip(addr)));
        assert_eq!(v.rule, IMDS, "{addr}");
        assert!(
            v.message
                .contains("(the address `innocent.example` resolved to)"),
            "{v}"
        );
    }
    assert_eq!(
        refused(p.check_resolved_ip("https", "x.example", 443, ip("169.254.170.2"))).rule,
        "built-in: ECS credentials"
    );
    assert!(
        p.check_resolved_ip("https", "localhost", 443, ip("127.0.0.1"))
            .is_ok()
    );
    assert!(
        p.check_resolved_ip("https", "localhost", 443, ip("::1"))
            .is_ok()
    );
    // The name checks run too, so the probe needs only this call.
    assert_eq!(
        refused(p.check_resolved_ip("http", "instance-data", 80, ip("127.0.0.1"))).rule,
        IMDS
    );
}

#[test]
fn a_redirect_to_the_metadata_address_is_refused() {
    let p = Policy::default();
    for to in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://2852039166/",
        "http://0xA9FEA9FE/",
        "http://0251.0376.0251.0376/",
        "http://169.254.43518/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[fd00:ec2::254]/",
        "http://instance-data/latest/",
        "http://169.254.169.254.:80/",
        "//169.254.169.254/x",
    ] {
        let v = refused(p.check_redirect("http://127.0.0.1:8080/start", to));
        assert_eq!(v.rule, IMDS, "{to}");
        assert!(
            v.message
                .starts_with("redirect from `http://127.0.0.1:8080/start`"),
            "{v}"
        );
    }
    assert_eq!(
        refused(p.check_redirect("https://a.example/", "gopher://a.example/")).rule,
        "redirects"
    );
    assert!(
        p.check_redirect("http://127.0.0.1:8080/", "/elsewhere")
            .is_ok()
    );
    assert!(
        p.check_redirect("http://127.0.0.1:8080/", "https://example.com/")
            .is_ok()
    );
}

#[test]
fn secrets_in_redirect_urls_do_not_reach_violations() {
    let p = Policy::default();
    let v = refused(p.check_redirect(
        "https://a.example/?X-Amz-Signature=abc123secret",
        "http://user:hunter2@169.254.169.254/?token=t0psecret",
    ));
    let shown = format!("{v} {v:?}");
    for secret in ["abc123secret", "hunter2", "t0psecret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn only_an_explicit_specific_allow_lifts_a_builtin_deny() {
    let broad = policy("[targets]\nallow = [\"0.0.0.0/0\", \"::/0\", \"*\"]");
    for host in [
        "169.254.169.254",
        "0xa9fea9fe",
        "[fd00:ec2::254]",
        "169.254.170.2",
        "169.254.1.1",
    ] {
        assert!(broad.check_target_name("http", host, 80).is_err(), "{host}");
    }
    assert!(broad.check_target_name("https", "example.com", 443).is_ok());

    let link_local = policy("[targets]\nallow = [\"*\", \"169.254.0.0/16\"]");
    assert!(
        link_local
            .check_target_name("http", "169.254.1.1", 80)
            .is_ok()
    );
    assert_eq!(
        refused(link_local.check_target_name("http", "169.254.169.254", 80)).rule,
        IMDS
    );

    let imds = policy("[targets]\nallow = [\"*\", \"169.254.169.254/32\"]");
    assert!(
        imds.check_target_name("http", "169.254.169.254", 80)
            .is_ok()
    );
    assert!(imds.check_target_name("http", "2852039166", 80).is_ok());
    assert!(
        imds.check_resolved_ip("http", "meta.example", 80, ip("::ffff:169.254.169.254"))
            .is_ok()
    );
    assert_eq!(
        refused(imds.check_target_name("http", "[fd00:ec2::254]", 80)).rule,
        IMDS,
        "the IPv6 metadata address needs its own entry"
    );
    assert!(imds.check_target_name("http", "169.254.170.2", 80).is_err());

    let port_only = policy("[targets]\nallow = [\"*\", \"http://169.254.169.254:80\"]");
    assert!(
        port_only
            .check_target_name("http", "169.254.169.254", 80)
            .is_ok()
    );
    assert_eq!(
        refused(port_only.check_target_name("tcp", "169.254.169.254", 22)).rule,
        IMDS
    );
}

#[test]
fn deny_wins_and_allow_lists_are_exclusive() {
    let p = policy(
        r#"
        [targets]
        allow = ["10.0.0.0/8", "https://*.corp.example", "db.corp.example:5432"]
        deny = ["10.99.0.0/16", "tcp://*:22", "*.secret.corp.example"]
        "#,
    );
    assert!(p.check_target_name("tcp", "10.1.2.3", 5432).is_ok());
    assert!(
        p.check_target_name("tcp", "012.1.2.3", 5432).is_ok(),
        "octal 10.1.2.3"
    );
    assert_eq!(
        refused(p.check_target_name("tcp", "10.99.1.1", 5432)).rule,
        "targets.deny[0]"
    );
    assert_eq!(
        refused(p.check_target_name("tcp", "[::ffff:10.99.1.1]", 5432)).rule,
        "targets.deny[0]"
    );
    assert_eq!(
        refused(p.check_target_name("tcp", "10.1.2.3", 22)).rule,
        "targets.deny[1]"
    );
    assert_eq!(
        refused(p.check_target_name("https", "x.secret.corp.example", 443)).rule,
        "targets.deny[2]"
    );
    assert!(
        p.check_target_name("https", "api.corp.example", 443)
            .is_ok()
    );
    assert!(p.check_target_name("tcp", "db.corp.example", 5432).is_ok());
    assert_eq!(
        refused(p.check_target_name("https", "192.0.2.1", 443)).rule,
        "targets.allow"
    );
    // A name no pattern allows may still be allowed by its address ...
    assert!(p.check_target_name("https", "example.com", 443).is_ok());
    assert!(
        p.check_resolved_ip("https", "example.com", 443, ip("10.0.0.9"))
            .is_ok()
    );
    assert_eq!(
        refused(p.check_resolved_ip("https", "example.com", 443, ip("192.0.2.1"))).rule,
        "targets.allow"
    );
    // ... and a name a pattern allows is still refused at a denied address.
    assert_eq!(
        refused(p.check_resolved_ip("https", "api.corp.example", 443, ip("10.99.0.1"))).rule,
        "targets.deny[0]"
    );
    assert_eq!(
        refused(p.check_resolved_ip("https", "api.corp.example", 443, ip("169.254.169.254"))).rule,
        IMDS
    );
    // The port and scheme of an allowing pattern matter at probe time too.
    assert_eq!(
        refused(p.check_resolved_ip("tcp", "db.corp.example", 22, ip("192.0.2.7"))).rule,
        "targets.deny[1]"
    );
    assert_eq!(
        refused(p.check_resolved_ip("tcp", "db.corp.example", 6379, ip("192.0.2.7"))).rule,
        "targets.allow"
    );
    // Redirects meet the same rules.
    assert_eq!(
        refused(p.check_redirect("https://api.corp.example/", "https://10.99.0.1/")).rule,
        "targets.deny[0]"
    );
}

#[test]
fn a_tampered_plugin_is_refused_showing_its_digest() {
    let plugin = b"\0asm\x0d\0\x01\0 pretend component bytes".to_vec();
    let good = hex_sha256(&plugin);
    let mut tampered = plugin.clone();
    tampered[12] ^= 1;
    let bad = hex_sha256(&tampered);
    let p = policy(&format!(
        "[plugins]\nallow = [{{ name = \"acme\", sha256 = \"{good}\" }}, {{ name = \"kms\", sha256 = \"{good}\" }}]"
    ));
    assert!(p.check_plugin("acme", &good, false).is_ok());
    let v = refused(p.check_plugin("acme", &bad, false));
    assert_eq!(v.rule, "plugins.allow[0]");
    assert!(v.message.contains(&bad) && v.message.contains(&good), "{v}");
    // A pinned bundled plugin is held to its pin too.
    assert!(p.check_plugin("kms", &good, true).is_ok());
    assert_eq!(
        refused(p.check_plugin("kms", &bad, true)).rule,
        "plugins.allow[1]"
    );
    // Unknown custom plugins are refused under a policy file, with the digest to pin.
    let v = refused(p.check_plugin("other", &bad, false));
    assert_eq!(v.rule, "plugins.allow");
    assert!(v.message.contains(&format!("sha256 = \"{bad}\"")), "{v}");
    // Unpinned bundled plugins are allowed unless the policy says otherwise.
    assert!(p.check_plugin("sts", &bad, true).is_ok());
    let no_bundled = policy("[plugins]\nallow_bundled = false");
    assert_eq!(
        refused(no_bundled.check_plugin("sts", &bad, true)).rule,
        "plugins.allow_bundled"
    );
    // Without a policy file, custom plugins load.
    assert!(Policy::default().check_plugin("other", &bad, false).is_ok());
    assert!(
        policy("[plugins]\nallow_any = true")
            .check_plugin("other", &bad, false)
            .is_ok()
    );
}

#[test]
fn plugin_limits_stay_within_ceilings() {
    let p = policy(
        r#"
        [plugins]
        ceilings = { cpu_deadline = "500ms", memory = "128MiB" }
        overrides = { acme = { cpu_deadline = "300ms" }, big = { memory = "128MiB" } }
        "#,
    );
    let defaults = (Duration::from_millis(250), 64 << 20);
    assert_eq!(
        p.plugin_limits("acme", defaults),
        (Duration::from_millis(300), 64 << 20)
    );
    assert_eq!(
        p.plugin_limits("big", defaults),
        (Duration::from_millis(250), 128 << 20)
    );
    assert_eq!(
        p.plugin_limits("other", (Duration::from_secs(2), 1 << 30)),
        (Duration::from_millis(500), 128 << 20),
        "defaults above the ceilings are capped"
    );
    assert_eq!(Policy::default().plugin_limits("x", defaults), defaults);
    let e = policy_err(
        "[plugins]\nceilings = { cpu_deadline = \"500ms\" }\n[plugins.overrides.acme]\ncpu_deadline = \"2s\"",
    );
    assert_eq!(e.key(), Some("plugins.overrides.acme.cpu_deadline"));
    assert!(e.message().contains("above the ceiling"), "{e}");
}

#[test]
fn signing_goes_only_to_aws_and_listed_hosts() {
    let d = Policy::default();
    assert!(d.check_signing("kms.eu-west-1.amazonaws.com", true).is_ok());
    assert_eq!(
        refused(d.check_signing("127.0.0.1", false)).rule,
        "signing.allow_non_aws"
    );
    let p = policy("[signing]\nhosts = [\"127.0.0.1\", \"*.proxy.corp.example\", \"10.8.0.0/16\"]");
    assert!(p.check_signing("127.0.0.1", false).is_ok());
    assert!(
        p.check_signing("2130706433", false).is_ok(),
        "decimal 127.0.0.1"
    );
    assert!(p.check_signing("eu.proxy.corp.example", false).is_ok());
    assert!(p.check_signing("10.8.3.4", false).is_ok());
    assert_eq!(
        refused(p.check_signing("attacker.example", false)).rule,
        "signing.hosts"
    );
    assert!(
        policy("[signing]\nallow_non_aws = true")
            .check_signing("x.example", false)
            .is_ok()
    );
}

#[test]
fn runners_and_placement_are_allow_lists() {
    let p = policy(
        r#"
        [runners]
        allow = ["local", "lambda"]
        accounts = ["123456789012"]
        regions = ["eu-west-1"]
        vpcs = ["vpc-0123456789abcdef0"]
        subnets = ["subnet-0123456789abcdef0"]
        "#,
    );
    assert!(p.check_runner("lambda").is_ok());
    assert_eq!(refused(p.check_runner("ec2")).rule, "runners.allow");
    assert!(p.check_account("123456789012").is_ok());
    assert_eq!(
        refused(p.check_account("210987654321")).rule,
        "runners.accounts"
    );
    assert!(p.check_region("eu-west-1").is_ok());
    assert_eq!(refused(p.check_region("us-east-1")).rule, "runners.regions");
    assert!(p.check_vpc("vpc-0123456789abcdef0").is_ok());
    assert_eq!(
        refused(p.check_vpc("vpc-0fedcba9876543210")).rule,
        "runners.vpcs"
    );
    assert!(p.check_subnet("subnet-0123456789abcdef0").is_ok());
    assert_eq!(
        refused(p.check_subnet("subnet-0fedcba9876543210")).rule,
        "runners.subnets"
    );
    let d = Policy::default();
    assert!(d.check_runner("ec2").is_ok() && d.check_region("ap-south-1").is_ok());
}

#[test]
fn iam_requirements_and_tags() {
    let p = policy(
        r#"
        [iam]
        permissions_boundary = "arn:aws:iam::123456789012:policy/NetcheckBoundary"
        required_tags = { team = "platform" }
        max_run_lifetime = "2h"
        "#,
    );
    let req = p.iam_requirements();
    assert_eq!(
        req.boundary.as_deref(),
        Some("arn:aws:iam::123456789012:policy/NetcheckBoundary")
    );
    assert_eq!(req.tags.get("team").map(String::as_str), Some("platform"));
    assert_eq!(req.max_lifetime, Some(Duration::from_secs(7200)));
    let mut tags = BTreeMap::from([("team".to_string(), "platform".to_string())]);
    assert!(p.check_tags(&tags).is_ok());
    tags.insert("team".into(), "web".into());
    assert_eq!(refused(p.check_tags(&tags)).rule, "iam.required_tags");
    assert_eq!(
        refused(p.check_tags(&BTreeMap::new())).rule,
        "iam.required_tags"
    );
    assert_eq!(Policy::default().iam_requirements().boundary, None);
}

#[test]
fn narrowing_never_widens() {
    let base = policy(
        r#"
        [targets]
        deny = ["10.0.0.0/8"]
        [plugins]
        allow_bundled = false
        [signing]
        hosts = ["127.0.0.1"]
        [runners]
        allow = ["local"]
        regions = ["eu-west-1"]
        [iam]
        required_tags = { team = "platform" }
        max_run_lifetime = "2h"
        "#,
    );
    let user: UserRestrictions = toml::from_str(
        r#"
        targets_allow = ["169.254.169.254/32", "10.0.0.5", "*", "0.0.0.0/0"]
        allow_bundled = true
        signing_hosts = ["127.0.0.1", "evil.example"]
        runners = ["local", "lambda"]
        regions = ["eu-west-1", "us-east-1"]
        required_tags = { team = "web", owner = "me" }
        max_run_lifetime = "5h"
        "#,
    )
    .unwrap_or_else(|e| panic!("restrictions should parse: {e}"));
    let p = base.narrow(&user);
    // A user allow of a built-in or policy-denied target is still refused.
    assert_eq!(
        refused(p.check_target_name("http", "169.254.169.254", 80)).rule,
        IMDS
    );
    assert_eq!(
        refused(p.check_target_name("tcp", "10.0.0.5", 5432)).rule,
        "targets.deny[0]"
    );
    assert_eq!(
        refused(p.check_plugin("kms", &"a".repeat(64), true)).rule,
        "plugins.allow_bundled"
    );
    assert_eq!(
        refused(p.check_signing("evil.example", false)).rule,
        "signing.hosts"
    );
    assert_eq!(refused(p.check_runner("lambda")).rule, "runners.allow");
    assert_eq!(refused(p.check_region("us-east-1")).rule, "runners.regions");
    assert_eq!(
        p.iam_requirements().tags.get("team").map(String::as_str),
        Some("platform")
    );
    assert_eq!(
        p.iam_requirements().tags.get("owner").map(String::as_str),
        Some("me")
    );
    assert_eq!(
        p.iam_requirements().max_lifetime,
        Some(Duration::from_secs(7200))
    );
    // What the policy allowed is still allowed where the user did not narrow it.
    assert!(p.check_target_name("https", "example.com", 443).is_ok());
    assert!(p.check_signing("127.0.0.1", false).is_ok());
}

#[test]
fn narrowing_does_narrow() {
    let user: UserRestrictions = toml::from_str(
        r#"
        targets_deny = ["tcp://*:5432"]
        targets_allow = ["https://*.amazonaws.com", "10.0.0.0/8"]
        plugins = ["sts", "tcp"]
        allow_bundled = false
        signing_hosts = []
        runners = ["local"]
        subnets = ["subnet-0123456789abcdef0"]
        max_run_lifetime = "30m"
        "#,
    )
    .unwrap_or_else(|e| panic!("restrictions should parse: {e}"));
    let p =
        policy("[signing]\nallow_non_aws = true\n[iam]\nmax_run_lifetime = \"2h\"").narrow(&user);
    let v = refused(p.check_target_name("tcp", "10.0.0.5", 5432));
    assert_eq!(
        (v.rule.as_str(), v.source.as_str()),
        ("restrict.targets_deny[0]", "netcheck config [restrict]")
    );
    assert!(
        p.check_target_name("https", "kms.eu-west-1.amazonaws.com", 443)
            .is_ok()
    );
    assert!(p.check_target_name("tcp", "10.0.0.5", 6379).is_ok());
    // The user's allow-list has addresses, so a name is decided by what it resolves to.
    assert!(p.check_target_name("https", "example.com", 443).is_ok());
    assert_eq!(
        refused(p.check_resolved_ip("https", "example.com", 443, ip("192.0.2.1"))).rule,
        "restrict.targets_allow"
    );
    assert_eq!(
        refused(p.check_target_name("https", "192.0.2.1", 443)).rule,
        "restrict.targets_allow"
    );
    assert_eq!(
        refused(p.check_plugin("kms", &"a".repeat(64), true)).rule,
        "restrict.plugins"
    );
    assert_eq!(
        refused(p.check_plugin("sts", &"a".repeat(64), true)).rule,
        "restrict.allow_bundled"
    );
    assert_eq!(
        refused(p.check_signing("127.0.0.1", false)).rule,
        "restrict.signing_hosts"
    );
    assert_eq!(refused(p.check_runner("lambda")).rule, "restrict.runners");
    assert_eq!(
        refused(p.check_subnet("subnet-0fedcba9876543210")).rule,
        "restrict.subnets"
    );
    assert_eq!(
        p.iam_requirements().max_lifetime,
        Some(Duration::from_secs(1800))
    );
    let bad: Result<UserRestrictions, _> = toml::from_str("targets_deny = [\"10.0.0.0/33\"]");
    let e = bad.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("`10.0.0.0/33` is not a CIDR"), "{e}");
}

#[test]
fn evaluate_lists_every_violation_at_once() {
    let p = policy(
        r#"
        [plugins]
        allow_bundled = false
        [targets]
        deny = ["tcp://*:22"]
        [runners]
        allow = ["local"]
        regions = ["eu-west-1"]
        "#,
    );
    let check =
        |name: &str, scheme: &str, host: &str, port: u16, signed: bool, is_aws: bool| CheckView {
            name: name.into(),
            scheme: scheme.into(),
            host: host.into(),
            port,
            signed,
            is_aws,
        };
    let plan = PlanView {
        checks: vec![
            check(
                "sts",
                "https",
                "sts.eu-west-1.amazonaws.com",
                443,
                true,
                true,
            ),
            check("imds", "http", "0xA9FEA9FE", 80, false, false),
            check("ssh", "tcp", "10.0.0.5", 22, false, false),
            check("emulator", "http", "127.0.0.1", 4566, true, false),
        ],
        plugins: vec![PluginView {
            name: "sts".into(),
            sha256: "a".repeat(64),
            bundled: true,
        }],
        runner: "lambda".into(),
        regions: vec!["eu-west-1".into(), "us-east-1".into()],
        ..PlanView::default()
    };
    let violations = evaluate(&p, &plan);
    let rules: Vec<&str> = violations.iter().map(|v| v.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "runners.allow",
            "runners.regions",
            "plugins.allow_bundled",
            IMDS,
            "targets.deny[0]",
            "signing.allow_non_aws"
        ]
    );
    assert!(
        violations[3].message.starts_with("check `imds`: "),
        "{}",
        violations[3]
    );
    assert!(
        evaluate(
            &Policy::default(),
            &PlanView {
                checks: vec![check("sts", "https", "sts.amazonaws.com", 443, true, true)],
                runner: "local".into(),
                ..PlanView::default()
            }
        )
        .is_empty()
    );
}

#[test]
fn violations_display_rule_item_and_policy_file() {
    let p = policy("[targets]\ndeny = [\"10.0.0.0/8\"]");
    let v = refused(p.check_target_name("http", "10.1.2.3", 80));
    assert_eq!(
        v.to_string(),
        "policy rule `targets.deny[0]` refuses `http://10.1.2.3:80`: 10.1.2.3 matches `10.0.0.0/8` \
         (policy file /etc/netcheck/policy.toml)"
    );
}

#[test]
fn policy_file_errors_name_file_and_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("policy.toml");
    std::fs::write(
        &path,
        "[targets]\ndeny = [\"10.0.0.0/8\", \"fd00::/8\", \"10.0.0.0/33\"]\n",
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let e = Policy::load(&path)
        .err()
        .unwrap_or_else(|| panic!("should fail"));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: key `targets.deny[2]`: `10.0.0.0/33` is not a CIDR (expected e.g. 10.0.0.0/8)",
            path.display()
        )
    );
    let missing = Policy::load(&dir.path().join("nope.toml"))
        .err()
        .unwrap_or_else(|| panic!("should fail"));
    assert!(
        missing
            .to_string()
            .contains("nope.toml: cannot read the policy file"),
        "{missing}"
    );

    for (text, key, needle) in [
        (
            "[targets]\nallow = [\"https://x/path\"]",
            "targets.allow[0]",
            "remove `/path`",
        ),
        (
            "[targets]\nallow = [\"ftp://x\"]",
            "targets.allow[0]",
            "unknown scheme `ftp`",
        ),
        (
            "[targets]\ndeny = [\"10.0.0.1/8\"]",
            "targets.deny[0]",
            "write `10.0.0.0/8`",
        ),
        (
            "[plugins]\nallow = [{ name = \"a\", sha256 = \"abc\" }]",
            "plugins.allow[0].sha256",
            "64 hex digits",
        ),
        (
            "[plugins.ceilings]\ncpu_deadline = \"fast\"",
            "plugins.ceilings.cpu_deadline",
            "invalid duration",
        ),
        (
            "[runners]\naccounts = [\"1234\"]",
            "runners.accounts[0]",
            "123456789012",
        ),
        (
            "[iam]\npermissions_boundary = \"arn:aws:iam::123456789012:role/x\"",
            "iam.permissions_boundary",
            "policy/NAME",
        ),
        (
            "[signing]\nhosts = [\"a b\"]",
            "signing.hosts[0]",
            "whitespace",
        ),
    ] {
        let e = policy_err(text);
        assert_eq!(e.key(), Some(key), "{text}: {e}");
        assert!(e.message().contains(needle), "{text}: {e}");
        assert!(
            e.to_string()
                .starts_with(&format!("policy.toml: key `{key}`: ")),
            "{e}"
        );
    }
    let e = policy_err("[runners]\nalow = [\"local\"]");
    assert!(
        e.to_string()
            .starts_with("policy.toml: key `runners.alow`: line 2, column 1: unknown field `alow`"),
        "{e}"
    );
}

fn record(url: &str) -> AuditRecord {
    AuditRecord {
        time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000),
        caller_arn: Some("arn:aws:sts::123456789012:assumed-role/dev/alice".into()),
        runner: "lambda".into(),
        checks: vec![AuditCheck {
            name: "s3".into(),
            url: url.into(),
            plugin: "s3".into(),
        }],
        plugins: vec![AuditPlugin {
            name: "s3".into(),
            sha256: "b".repeat(64),
        }],
        created: vec!["arn:aws:lambda:eu-west-1:123456789012:function:netcheck-1".into()],
        removed: vec!["arn:aws:lambda:eu-west-1:123456789012:function:netcheck-1".into()],
        violations: Vec::new(),
    }
}

#[test]
fn audit_appends_one_json_line_per_run_without_secrets() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let policy_path = dir.path().join("policy.toml");
    let p = Policy::from_toml("[audit]\nfile = \"logs/audit.jsonl\"", &policy_path)
        .unwrap_or_else(|e| panic!("{e}"));
    let file: PathBuf = dir.path().join("logs/audit.jsonl");
    assert_eq!(p.audit_file(), Some(file.as_path()));

    let e = append_audit(&p, &record("https://x/"))
        .err()
        .unwrap_or_else(|| panic!("no dir yet"));
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert!(
        e.to_string().contains(&format!(
            "directory {} does not exist",
            dir.path().join("logs").display()
        )),
        "{e}"
    );

    std::fs::create_dir(dir.path().join("logs")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let presigned = "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=f00dfeed&X-Amz-Security-Token=sessiontok";
    append_audit(&p, &record(presigned)).unwrap_or_else(|e| panic!("{e}"));
    let mut second = record("https://s3.eu-west-1.amazonaws.com/");
    second
        .violations
        .push(refused(p.check_target_name("http", "169.254.169.254", 80)));
    append_audit(&p, &second).unwrap_or_else(|e| panic!("{e}"));

    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read: {e}"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for secret in ["AKIDEXAMPLE", "f00dfeed", "sessiontok"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first["time"], "2025-06-15T15:06:40.000Z");
    assert_eq!(
        first["caller_arn"],
        "arn:aws:sts::123456789012:assumed-role/dev/alice"
    );
    assert_eq!(first["runner"], "lambda");
    assert_eq!(first["plugins"][0]["sha256"], "b".repeat(64));
    assert_eq!(
        first["created"][0],
        "arn:aws:lambda:eu-west-1:123456789012:function:netcheck-1"
    );
    assert_eq!(
        first["policy"],
        format!("policy file {}", policy_path.display())
    );
    let second: serde_json::Value =
        serde_json::from_str(lines[1]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second["violations"][0]["rule"], IMDS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode & 0o007, 0, "not world-readable: {mode:o}");
    }
    // No audit file configured: nothing is written, nothing fails.
    assert!(append_audit(&Policy::default(), &record("https://x/")).is_ok());
}

#[test]
fn describe_summarises_the_policy() {
    let text = describe(&policy(
        r#"
        [plugins]
        allow = [{ name = "acme", sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }]
        [targets]
        allow = ["*", "169.254.169.254/32"]
        deny = ["tcp://*:22"]
        [signing]
        hosts = ["127.0.0.1"]
        [runners]
        regions = ["eu-west-1"]
        [audit]
        file = "/var/log/netcheck/audit.jsonl"
        "#,
    ));
    for needle in [
        "Policy: policy file /etc/netcheck/policy.toml",
        "pinned: acme sha256 9f86d081",
        "built-in instance metadata (169.254.169.254/32, fd00:ec2::254/128): refused except as allowed by `169.254.169.254/32`",
        "built-in link-local (169.254.0.0/16, fe80::/10): refused\n",
        "denied by targets.deny[0]: `tcp://*:22`",
        "other hosts: only `127.0.0.1`",
        "regions: eu-west-1",
        "runners: any",
        "/var/log/netcheck/audit.jsonl",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let default = describe(&Policy::default());
    assert!(
        default.contains("Policy: built-in default policy") && default.contains("no audit file"),
        "{default}"
    );
}

#[test]
fn the_documented_example_policy_loads_and_behaves_as_documented() {
    let readme =
        std::fs::read_to_string(netcheck_test_support::venv::repo_root().join("docs/policy.md"))
            .unwrap_or_else(|e| panic!("docs/policy.md: {e}"));
    // The policy documentation is the section of docs/policy.md between these markers.
    let doc = readme
        .split("<!-- policy:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- policy:end -->").next())
        .expect("docs/policy.md has a <!-- policy:start --> … <!-- policy:end --> section");
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(
        blocks.len(),
        2,
        "the example policy and the [restrict] example"
    );
    let p = policy(blocks[0]);
    assert!(
        p.check_target_name("http", "169.254.169.254", 80).is_ok(),
        "lifted on purpose"
    );
    assert!(p.check_target_name("http", "169.254.170.2", 80).is_err());
    assert!(p.check_target_name("tcp", "10.99.0.1", 5432).is_err());
    assert!(
        p.check_plugin(
            "acme",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            false
        )
        .is_ok()
    );
    assert_eq!(
        p.plugin_limits("acme", (Duration::from_millis(250), 64 << 20)),
        (Duration::from_millis(300), 96 << 20)
    );
    assert!(p.check_signing("eu.proxy.corp.example", false).is_ok());
    assert!(p.check_region("eu-central-1").is_ok());
    assert_eq!(
        p.audit_file(),
        Some(Path::new("/var/log/netcheck/audit.jsonl"))
    );
    let restrict: toml::Table = toml::from_str(blocks[1]).unwrap_or_else(|e| panic!("{e}"));
    let user: UserRestrictions = restrict
        .get("restrict")
        .cloned()
        .unwrap_or_else(|| panic!("[restrict]"))
        .try_into()
        .unwrap_or_else(|e| panic!("[restrict] example: {e}"));
    let narrowed = p.narrow(&user);
    assert!(narrowed.check_target_name("tcp", "10.0.0.5", 5432).is_err());
    assert!(narrowed.check_region("eu-central-1").is_err());
}
