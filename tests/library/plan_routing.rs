//! Which plugin and service a configured URL is routed to: real AWS endpoint forms go
//! to their service's plugin, bare `host:port` to `tcp`, unknown hosts fall back to the
//! generic `https` plugin, and explicit `service =` / `plugin =` win.
//!
//! Library-level (no network): loads the bundled plugins and builds a plan.

use std::collections::BTreeMap;
use std::time::Duration;

use netcheck_config::{CheckConfig, CheckSet, Config};
use netcheck_engine::plan;
use netcheck_plugin_host::{Limits, PluginHost};

fn plugins() -> PluginHost {
    let cache =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache/netcheck/plugins");
    let mut host = PluginHost::new(Limits::default(), Some(cache)).expect("plugin host");
    host.load_bundled().expect("bundled plugins load");
    host
}

fn check(url: &str) -> CheckConfig {
    CheckConfig {
        name: None,
        url: url.to_string(),
        service: None,
        region: None,
        plugin: None,
        timeout: None,
        tls_verify: None,
        ca_file: None,
        options: vec![],
    }
}

fn config(checks: Vec<CheckConfig>) -> Config {
    let mut sets = BTreeMap::new();
    sets.insert(
        "s".to_string(),
        CheckSet {
            description: None,
            checks,
        },
    );
    Config {
        sets,
        timeout: Duration::from_secs(5),
        ..Config::default()
    }
}

#[test]
fn urls_are_routed_to_the_right_plugin_and_service() {
    let host = plugins();
    let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
        // url, plugin, service, region
        (
            "https://kms.eu-west-1.amazonaws.com/",
            "kms",
            Some("kms"),
            Some("eu-west-1"),
        ),
        (
            "https://kms-fips.us-gov-west-1.amazonaws.com/",
            "kms",
            Some("kms"),
            Some("us-gov-west-1"),
        ),
        (
            "https://vpce-0a1b2c3d4e5f60718-abcdefgh.ssm.eu-west-1.vpce.amazonaws.com/",
            "ssm",
            Some("ssm"),
            Some("eu-west-1"),
        ),
        (
            "https://sts.amazonaws.com/",
            "sts",
            Some("sts"),
            Some("us-east-1"),
        ),
        (
            "https://sts.eu-west-1.amazonaws.com/",
            "sts",
            Some("sts"),
            Some("eu-west-1"),
        ),
        (
            "https://my-bucket.s3.eu-west-1.amazonaws.com/",
            "s3",
            Some("s3"),
            Some("eu-west-1"),
        ),
        (
            "https://s3.dualstack.eu-west-1.amazonaws.com/",
            "s3",
            Some("s3"),
            Some("eu-west-1"),
        ),
        (
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
            "ecr",
            Some("ecr-dkr"),
            Some("eu-west-1"),
        ),
        (
            "https://api.ecr.eu-west-1.amazonaws.com/",
            "ecr",
            Some("ecr"),
            Some("eu-west-1"),
        ),
        (
            "https://abc123.execute-api.eu-west-1.amazonaws.com/",
            "execute-api",
            Some("execute-api"),
            Some("eu-west-1"),
        ),
        (
            "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com/",
            "eks-cluster",
            Some("eks-cluster"),
            Some("eu-west-1"),
        ),
        (
            "https://dynamodb.cn-north-1.amazonaws.com.cn/",
            "dynamodb",
            Some("dynamodb"),
            Some("cn-north-1"),
        ),
        (
            "https://example.com/health",
            "https",
            None,
            Some("us-east-1"),
        ),
        ("10.0.0.5:5432", "tcp", None, Some("us-east-1")),
        ("tls://cache.internal:6379", "tcp", None, Some("us-east-1")),
    ];
    let cfg = config(cases.iter().map(|(url, ..)| check(url)).collect());
    let plan =
        plan::build(&cfg, &host, &["s".to_string()], Some("us-east-1")).expect("plan builds");
    for ((url, plugin, service, region), spec) in cases.iter().zip(&plan.checks) {
        assert_eq!(spec.plugin, *plugin, "{url}");
        assert_eq!(spec.target.service.as_deref(), *service, "{url}");
        // Global STS: the plan keeps the configured default; the plugin signs us-east-1 itself.
        if *url != "https://sts.amazonaws.com/" {
            assert_eq!(spec.target.region.as_deref(), *region, "{url}");
        }
    }
}

#[test]
fn explicit_service_and_plugin_win_and_unknown_ones_are_named() {
    let host = plugins();
    let mut by_service = check("http://127.0.0.1:4566/");
    by_service.service = Some("lambda-invoke".into());
    let mut by_plugin = check("https://kms.eu-west-1.amazonaws.com/");
    by_plugin.plugin = Some("https".into());
    let plan = plan::build(
        &config(vec![by_service, by_plugin]),
        &host,
        &["s".into()],
        Some("us-east-1"),
    )
    .unwrap();
    assert_eq!(
        (
            plan.checks[0].plugin.as_str(),
            plan.checks[0].target.service.as_deref()
        ),
        ("lambda", Some("lambda-invoke"))
    );
    assert_eq!(plan.checks[1].plugin, "https");

    let mut unknown = check("https://x.example/");
    unknown.service = Some("nope".into());
    let err = plan::build(&config(vec![unknown]), &host, &["s".into()], None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no plugin handles service `nope`") && err.contains("kms"),
        "{err}"
    );

    let err = plan::build(
        &config(vec![check("https://kms.{region}.amazonaws.com/")]),
        &host,
        &["s".into()],
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("sets.s.checks[0]") && err.contains("{region}"),
        "{err}"
    );
}

/// The shipped `netcheck.toml` (the file `cargo run -p netcheck -- run` reads): every set
/// parses, every check routes to the plugin it is meant for, and `default_sets` is what
/// docs/configuration.md says it is.
#[test]
fn the_shipped_netcheck_toml_parses_and_routes_every_check() {
    let root = netcheck_test_support::venv::repo_root();
    let loaded = netcheck_config::load_in(&root, None, &[], &netcheck_config::Overrides::default())
        .expect("the shipped netcheck.toml loads");
    let cfg = &loaded.config;
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let host = plugins();
    let sets: Vec<String> = cfg.sets.keys().cloned().collect();
    assert!(sets.len() >= 7, "{sets:?}");
    let plan = plan::build(cfg, &host, &sets, Some("eu-west-1")).expect("every check plans");
    // Check names are the plugin's name except where the catalogue says otherwise.
    let renamed: BTreeMap<&str, &str> = [
        ("ecr-api", "ecr"),
        ("sts-regional", "sts"),
        ("sts-global", "sts"),
        ("aws-status-page", "https"),
    ]
    .into_iter()
    .collect();
    let mut counted = 0;
    for check in &plan.checks {
        let name = check.name.split('#').next().unwrap_or(&check.name);
        let want = renamed.get(name).copied().unwrap_or(name);
        assert_eq!(
            check.plugin, want,
            "{}/{} ({})",
            check.set, check.name, check.target.url
        );
        assert!(
            !check.target.url.contains('{'),
            "unexpanded: {}",
            check.target.url
        );
        counted += 1;
    }
    assert_eq!(
        counted,
        cfg.sets.values().map(|s| s.checks.len()).sum::<usize>()
    );
    for (name, set) in &cfg.sets {
        assert!(
            set.description.is_some(),
            "set `{name}` says what it is for"
        );
        assert!(!set.checks.is_empty(), "set `{name}` has checks");
    }

    // docs/configuration.md marks the default set; the file must agree.
    let readme =
        std::fs::read_to_string(root.join("docs/configuration.md")).expect("docs/configuration.md");
    let documented: Vec<String> = readme
        .lines()
        .filter_map(|l| {
            l.strip_prefix("| `")?
                .split_once("` (default) |")
                .map(|(s, _)| s.to_string())
        })
        .collect();
    assert!(
        !documented.is_empty(),
        "docs/configuration.md marks a default set with `(default)`"
    );
    assert_eq!(
        cfg.default_sets, documented,
        "default_sets vs docs/configuration.md"
    );
}
