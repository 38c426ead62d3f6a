//! Layered configuration end to end: files on disk, injected environment, flags.
//!
//! Every test works in its own temporary directory passed to `load_in`, so nothing depends
//! on (or changes) the process's current directory or environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use netcheck_config::{
    CheckConfig, Config, ConfigError, Loaded, Origin, OutputFormat, Overrides, load_in,
};

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write config");
    path
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(dir: &Path, pairs: &[(&str, &str)], o: &Overrides) -> Result<Loaded, ConfigError> {
    load_in(dir, None, &env(pairs), o)
}

fn load_err(dir: &Path, pairs: &[(&str, &str)], o: &Overrides) -> String {
    match load(dir, pairs, o) {
        Ok(l) => panic!("expected an error, got {:?}", l.config),
        Err(e) => e.to_string(),
    }
}

fn file_origin(dir: &Path) -> Origin {
    Origin::File {
        display: "netcheck.toml".into(),
        path: dir.join("netcheck.toml"),
    }
}

// ---- layers -------------------------------------------------------------------------

#[test]
fn without_file_env_or_flags_the_defaults_apply() {
    let d = dir();
    let loaded = load(d.path(), &[("HOME", "/root")], &Overrides::default()).unwrap();
    assert_eq!(loaded.config, Config::default());
    assert_eq!(loaded.file, None);
    assert_eq!(loaded.origin("timeout"), Some(&Origin::Default));
    assert_eq!(loaded.origin("region"), None);
}

#[test]
fn file_overrides_defaults() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "concurrency = 4\ntimeout = \"2s\"\nregion = \"eu-west-1\"\noutput = \"junit\"\n",
    );
    let loaded = load(d.path(), &[], &Overrides::default()).unwrap();
    let c = &loaded.config;
    assert_eq!(c.concurrency, 4);
    assert_eq!(c.timeout, Duration::from_secs(2));
    assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    assert_eq!(c.output, OutputFormat::Junit);
    assert_eq!(c.runner, "local", "untouched keys keep their default");
    assert_eq!(loaded.file, Some(d.path().join("netcheck.toml")));
    assert_eq!(loaded.origin("concurrency"), Some(&file_origin(d.path())));
    assert_eq!(loaded.origin("runner"), Some(&Origin::Default));
}

#[test]
fn env_overrides_file() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "concurrency = 4\ntimeout = \"2s\"\ndefault_sets = [\"a\"]\n",
    );
    let vars = [
        ("NETCHECK_CONCURRENCY", "8"),
        ("NETCHECK_SETS", "b, c"),
        ("NETCHECK_NAMESERVERS", "127.0.0.1:5353,::1"),
        ("NETCHECK_OUTPUT", "json"),
        ("NETCHECK_RUNNER", "lambda"),
        ("NETCHECK_REGION", "us-east-1"),
    ];
    let loaded = load(d.path(), &vars, &Overrides::default()).unwrap();
    let c = &loaded.config;
    assert_eq!(c.concurrency, 8);
    assert_eq!(c.timeout, Duration::from_secs(2), "file value kept");
    assert_eq!(c.default_sets, ["b", "c"]);
    assert_eq!(c.nameservers, ["127.0.0.1:5353", "::1"]);
    assert_eq!(c.output, OutputFormat::Json);
    assert_eq!(c.runner, "lambda");
    assert_eq!(c.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        loaded.origin("default_sets"),
        Some(&Origin::Env("NETCHECK_SETS".into()))
    );
}

#[test]
fn flags_override_env() {
    let d = dir();
    write(d.path(), "netcheck.toml", "concurrency = 4\n");
    let o = Overrides {
        concurrency: Some(32),
        timeout: Some(Duration::from_millis(1500)),
        region: Some("ap-south-1".into()),
        output: Some(OutputFormat::Table),
        sets: Some(vec!["x".into()]),
        runner: Some("ec2".into()),
        nameservers: Some(vec!["10.0.0.2".into()]),
        plugins: vec![],
    };
    let vars = [
        ("NETCHECK_CONCURRENCY", "8"),
        ("NETCHECK_TIMEOUT", "9s"),
        ("NETCHECK_REGION", "us-east-1"),
        ("NETCHECK_OUTPUT", "json"),
        ("NETCHECK_SETS", "b"),
        ("NETCHECK_RUNNER", "lambda"),
        ("NETCHECK_NAMESERVERS", "127.0.0.1"),
    ];
    let loaded = load(d.path(), &vars, &o).unwrap();
    let c = &loaded.config;
    assert_eq!(c.concurrency, 32);
    assert_eq!(c.timeout, Duration::from_millis(1500));
    assert_eq!(c.region.as_deref(), Some("ap-south-1"));
    assert_eq!(c.output, OutputFormat::Table);
    assert_eq!(c.default_sets, ["x"]);
    assert_eq!(c.runner, "ec2");
    assert_eq!(c.nameservers, ["10.0.0.2"]);
    assert_eq!(
        loaded.origin("concurrency"),
        Some(&Origin::Flag("--concurrency".into()))
    );
}

#[test]
fn cli_only_variables_are_not_settings() {
    let d = dir();
    let vars = [
        ("NETCHECK_CONFIG", "elsewhere.toml"),
        ("NETCHECK_POLICY", "policy.json"),
        ("NETCHECK_LOG", "debug"),
    ];
    let loaded = load(d.path(), &vars, &Overrides::default()).unwrap();
    assert_eq!(loaded.config, Config::default());
}

#[test]
fn empty_env_values_count_as_unset() {
    let d = dir();
    write(d.path(), "netcheck.toml", "region = \"eu-west-1\"\n");
    let loaded = load(d.path(), &[("NETCHECK_REGION", "")], &Overrides::default()).unwrap();
    assert_eq!(loaded.config.region.as_deref(), Some("eu-west-1"));
}

// ---- provenance ---------------------------------------------------------------------

/// The comment on the line that starts with `prefix`.
fn annotation<'a>(show: &'a str, prefix: &str) -> &'a str {
    let line = show
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in\n{show}"));
    line.rsplit_once("# ").map_or("", |(_, note)| note)
}

#[test]
fn show_names_the_source_of_every_value() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "region = \"eu-west-1\"\nplugins = [\"p/acme.wasm\"]\n\n[sets.core]\nchecks = [{ url = \"https://example.com/\" }]\n",
    );
    let o = Overrides {
        concurrency: Some(3),
        plugins: vec![PathBuf::from("extra.wasm")],
        ..Overrides::default()
    };
    let loaded = load(d.path(), &[("NETCHECK_TIMEOUT", "7s")], &o).unwrap();
    let show = loaded.show();
    assert_eq!(annotation(&show, "concurrency = 3"), "from --concurrency");
    assert_eq!(
        annotation(&show, "timeout = \"7s\""),
        "from NETCHECK_TIMEOUT"
    );
    assert_eq!(
        annotation(&show, "region = \"eu-west-1\""),
        "from netcheck.toml"
    );
    assert_eq!(annotation(&show, "output = \"table\""), "default");
    assert_eq!(annotation(&show, "runner = \"local\""), "default");
    assert_eq!(annotation(&show, "# ca_file is not set"), "default");
    assert_eq!(annotation(&show, "[sets.core]"), "from netcheck.toml");
    let acme = d.path().join("p/acme.wasm").display().to_string();
    let extra = d.path().join("extra.wasm").display().to_string();
    assert_eq!(
        annotation(&show, &format!("  \"{acme}\"")),
        "from netcheck.toml"
    );
    assert_eq!(
        annotation(&show, &format!("  \"{extra}\"")),
        "from --plugin"
    );
}

#[test]
fn show_output_is_toml_that_loads_back_to_the_same_config() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        r#"
concurrency = 7
timeout = "1m 30s"
default_sets = ["core"]
nameservers = ["127.0.0.1:5353"]
ca_file = "ca.pem"

[sets.core]
description = "Core \"things\""
checks = [
  { name = "sts", url = "https://sts.{region}.amazonaws.com/", tls_verify = false, timeout = "2s" },
  { url = "https://example.com/h", expect_status = 204, headers = { "X-Probe" = "1" }, options = { function = "f" } },
]
"#,
    );
    let first = load(d.path(), &[], &Overrides::default()).unwrap();
    let again = dir();
    write(again.path(), "netcheck.toml", &first.show());
    let second = load(again.path(), &[], &Overrides::default()).unwrap();
    assert_eq!(second.config, first.config, "show():\n{}", first.show());
}

// ---- errors -------------------------------------------------------------------------

#[test]
fn bad_duration_in_a_check_names_file_and_key() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        r#"
[sets.aws-core]
checks = [
  { url = "https://a.example/" },
  { url = "https://b.example/" },
  { url = "https://c.example/", timeout = "5x" },
]
"#,
    );
    assert_eq!(
        load_err(d.path(), &[], &Overrides::default()),
        r#"netcheck.toml: key `sets.aws-core.checks[2].timeout`: invalid duration "5x" (expected e.g. "500ms", "5s", "1m")"#
    );
}

#[test]
fn bad_env_value_names_the_variable() {
    let d = dir();
    assert_eq!(
        load_err(
            d.path(),
            &[("NETCHECK_CONCURRENCY", "zero")],
            &Overrides::default()
        ),
        r#"environment variable NETCHECK_CONCURRENCY: expected a whole number from 1 to 1024, got "zero""#
    );
    assert_eq!(
        load_err(
            d.path(),
            &[("NETCHECK_TIMEOUT", "soon")],
            &Overrides::default()
        ),
        r#"environment variable NETCHECK_TIMEOUT: invalid duration "soon" (expected e.g. "500ms", "5s", "1m")"#
    );
    let err = load_err(
        d.path(),
        &[("NETCHECK_NAMESERVERS", "127.0.0.1,dns.example")],
        &Overrides::default(),
    );
    assert!(
        err.starts_with(
            "environment variable NETCHECK_NAMESERVERS: expected an IP address or IP:port"
        ),
        "{err}"
    );
    let err = load_err(
        d.path(),
        &[("NETCHECK_OUTPUT", "xml")],
        &Overrides::default(),
    );
    assert_eq!(
        err,
        r#"environment variable NETCHECK_OUTPUT: expected one of table, json, junit, html, got "xml""#
    );
}

#[test]
fn bad_file_values_name_the_key() {
    let d = dir();
    write(d.path(), "netcheck.toml", "concurrency = 0\n");
    assert_eq!(
        load_err(d.path(), &[], &Overrides::default()),
        "netcheck.toml: key `concurrency`: expected a whole number from 1 to 1024, got 0"
    );
    write(d.path(), "netcheck.toml", "timeout = \"20m\"\n");
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: key `timeout`: duration \"20m\" is out of range"),
        "{err}"
    );
    write(
        d.path(),
        "netcheck.toml",
        "nameservers = [\"10.0.0.2\", \"nope\"]\n",
    );
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: key `nameservers[1]`: expected an IP address"),
        "{err}"
    );
    write(d.path(), "netcheck.toml", "region = 5\n");
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: key `region`: expected a string"),
        "{err}"
    );
}

#[test]
fn bad_flag_value_names_the_flag() {
    let d = dir();
    let o = Overrides {
        concurrency: Some(0),
        ..Overrides::default()
    };
    assert_eq!(
        load_err(d.path(), &[], &o),
        "--concurrency: expected a whole number from 1 to 1024, got 0"
    );
    let o = Overrides {
        timeout: Some(Duration::from_secs(3600)),
        ..Overrides::default()
    };
    let err = load_err(d.path(), &[], &o);
    assert!(
        err.starts_with("--timeout: duration \"1h\" is out of range"),
        "{err}"
    );
}

#[test]
fn missing_config_file_names_the_path() {
    let d = dir();
    let err = load_in(
        d.path(),
        Some(Path::new("conf/missing.toml")),
        &[],
        &Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("config file conf/missing.toml not found"),
        "{err}"
    );
    assert!(
        err.contains(&d.path().join("conf/missing.toml").display().to_string()),
        "{err}"
    );
}

#[test]
fn toml_syntax_errors_show_line_and_column() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "concurrency = 4\nregion = \"eu-west-1\nrunner = \"local\"\n",
    );
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: invalid TOML at line 2, column "),
        "{err}"
    );
    assert!(err.contains("2 | region = \"eu-west-1"), "{err}");
}

#[test]
fn sets_as_a_list_explains_default_sets() {
    let d = dir();
    write(d.path(), "netcheck.toml", "sets = [\"core\"]\n");
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(err.starts_with("netcheck.toml: key `sets`: "), "{err}");
    assert!(err.contains("default_sets = [...]"), "{err}");
    write(
        d.path(),
        "netcheck.toml",
        "sets = [\"core\"]\n[sets.core]\nchecks = []\n",
    );
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: invalid TOML at line 2"),
        "{err}"
    );
    assert!(err.contains("default_sets = [...]"), "{err}");
}

// ---- unknown keys -------------------------------------------------------------------

#[test]
fn unknown_top_level_key_suggests_the_closest() {
    let d = dir();
    write(d.path(), "netcheck.toml", "concurency = 4\n");
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: key `concurency`: unknown key (did you mean `concurrency`?); valid keys here: concurrency, timeout,"),
        "{err}"
    );
}

#[test]
fn unknown_check_and_set_keys_are_errors() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "[[sets.core.checks]]\nurl = \"https://example.com/\"\ntiemout = \"2s\"\n",
    );
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: key `sets.core.checks[0].tiemout`: unknown key (did you mean `timeout`?)"),
        "{err}"
    );
    write(
        d.path(),
        "netcheck.toml",
        "[sets.core]\ndescripton = \"x\"\n",
    );
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with(
            "netcheck.toml: key `sets.core.descripton`: unknown key (did you mean `description`?)"
        ),
        "{err}"
    );
}

#[test]
fn unknown_netcheck_variable_is_a_warning_not_an_error() {
    let d = dir();
    let loaded = load_in(
        d.path(),
        None,
        &[
            ("NETCHECK_CONCURENCY".to_string(), "4".to_string()),
            ("NETCHECK_CACHE".to_string(), "/tmp/cache".to_string()),
        ],
        &Overrides::default(),
    )
    .expect("an unknown NETCHECK_ variable must not stop the run");
    assert_eq!(
        loaded.config.concurrency, 16,
        "the typo'd variable is ignored"
    );
    let [warning] = loaded.warnings.as_slice() else {
        panic!("one warning expected: {:?}", loaded.warnings)
    };
    assert!(
        warning.starts_with("environment variable NETCHECK_CONCURENCY: not a netcheck setting (did you mean NETCHECK_CONCURRENCY?)"),
        "{warning}"
    );
}

#[test]
fn a_check_needs_a_url() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "[[sets.core.checks]]\nname = \"x\"\n",
    );
    assert_eq!(
        load_err(d.path(), &[], &Overrides::default()),
        "netcheck.toml: key `sets.core.checks[0]`: missing required key `url`"
    );
}

// ---- checks -------------------------------------------------------------------------

#[test]
fn inline_and_array_of_tables_checks_are_the_same() {
    let inline = dir();
    write(
        inline.path(),
        "netcheck.toml",
        r#"
[sets.aws-core]
description = "What every VPC workload needs"
checks = [
  { name = "sts", url = "https://sts.{region}.amazonaws.com/" },
  { name = "orders-db", url = "10.0.0.5:5432" },
]
"#,
    );
    let tables = dir();
    write(
        tables.path(),
        "netcheck.toml",
        r#"
[sets.aws-core]
description = "What every VPC workload needs"

[[sets.aws-core.checks]]
name = "sts"
url = "https://sts.{region}.amazonaws.com/"

[[sets.aws-core.checks]]
name = "orders-db"
url = "10.0.0.5:5432"
"#,
    );
    let a = load(inline.path(), &[], &Overrides::default())
        .unwrap()
        .config;
    let b = load(tables.path(), &[], &Overrides::default())
        .unwrap()
        .config;
    assert_eq!(a.sets, b.sets);
    let set = &a.sets["aws-core"];
    assert_eq!(
        set.description.as_deref(),
        Some("What every VPC workload needs")
    );
    assert_eq!(set.checks.len(), 2);
    assert_eq!(
        set.checks[0].url, "https://sts.{region}.amazonaws.com/",
        "not templated"
    );
    assert_eq!(set.checks[1].name.as_deref(), Some("orders-db"));
}

#[test]
fn check_conveniences_become_options() {
    let d = dir();
    write(
        d.path(),
        "conf/netcheck.toml",
        r#"
[sets.web]
checks = [
  { url = "https://example.com/health", expect_status = "200,204", body_contains = "ok",
    timeout = "2s", tls_verify = true, ca_file = "x.pem", service = "kms", region = "us-east-1",
    plugin = "https", method = "GET", headers = { "X-Probe" = "1" }, options = { function = "my-fn", retries = 3 } },
]
"#,
    );
    let loaded = load_in(
        d.path(),
        Some(Path::new("conf/netcheck.toml")),
        &[],
        &Overrides::default(),
    )
    .unwrap();
    let check = &loaded.config.sets["web"].checks[0];
    let want = CheckConfig {
        name: None,
        url: "https://example.com/health".into(),
        service: Some("kms".into()),
        region: Some("us-east-1".into()),
        plugin: Some("https".into()),
        timeout: Some(Duration::from_secs(2)),
        tls_verify: Some(true),
        ca_file: Some(d.path().join("conf/x.pem")),
        options: [
            ("body-contains", "ok"),
            ("expect-status", "200,204"),
            ("function", "my-fn"),
            ("header.X-Probe", "1"),
            ("method", "GET"),
            ("retries", "3"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    };
    assert_eq!(check, &want);
}

#[test]
fn an_option_set_twice_is_an_error() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "[[sets.web.checks]]\nurl = \"https://example.com/\"\nexpect_status = \"200\"\noptions = { expect-status = \"204\" }\n",
    );
    assert_eq!(
        load_err(d.path(), &[], &Overrides::default()),
        "netcheck.toml: key `sets.web.checks[0].options.expect-status`: `expect-status` is also set by `expect_status`; keep one of the two"
    );
}

// ---- paths --------------------------------------------------------------------------

#[test]
fn relative_paths_resolve_against_their_layer() {
    let d = dir();
    write(
        d.path(),
        "conf/prod.toml",
        "plugins = [\"./plugins/acme.wasm\", \"/abs/other.wasm\"]\nca_file = \"corp-ca.pem\"\n",
    );
    let o = Overrides {
        plugins: vec![PathBuf::from("cli.wasm")],
        ..Overrides::default()
    };
    let loaded = load_in(d.path(), Some(Path::new("conf/prod.toml")), &[], &o).unwrap();
    let c = &loaded.config;
    assert_eq!(loaded.file, Some(d.path().join("conf/prod.toml")));
    assert_eq!(
        c.plugins,
        [
            d.path().join("conf/./plugins/acme.wasm"),
            PathBuf::from("/abs/other.wasm"),
            d.path().join("cli.wasm"),
        ]
    );
    assert_eq!(c.ca_file, Some(d.path().join("conf/corp-ca.pem")));
    assert_eq!(
        loaded.plugin_origins(),
        [
            Origin::File {
                display: "conf/prod.toml".into(),
                path: d.path().join("conf/prod.toml")
            },
            Origin::File {
                display: "conf/prod.toml".into(),
                path: d.path().join("conf/prod.toml")
            },
            Origin::Flag("--plugin".into()),
        ]
    );

    // From the environment, relative paths are relative to the current directory.
    let vars = [
        ("NETCHECK_PLUGINS", "a.wasm, b/b.wasm"),
        ("NETCHECK_CA_FILE", "env-ca.pem"),
    ];
    let loaded = load_in(d.path(), Some(Path::new("conf/prod.toml")), &env(&vars), &o).unwrap();
    assert_eq!(
        loaded.config.plugins,
        [
            d.path().join("a.wasm"),
            d.path().join("b/b.wasm"),
            d.path().join("cli.wasm")
        ]
    );
    assert_eq!(loaded.config.ca_file, Some(d.path().join("env-ca.pem")));
}

#[test]
fn a_toml_datetime_is_named_as_one() {
    let d = dir();
    write(
        d.path(),
        "netcheck.toml",
        "timeout = 1979-05-27T07:32:00Z\n",
    );
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(
        err.starts_with("netcheck.toml: key `timeout`: a TOML date-time"),
        "{err}"
    );
    assert!(!err.contains("$__toml") && !err.contains("map"), "{err}");

    write(
        d.path(),
        "netcheck.toml",
        "[[sets.core.checks]]\nurl = \"https://example.com/\"\ntimeout = 1979-05-27\n",
    );
    let err = load_err(d.path(), &[], &Overrides::default());
    assert!(err.contains("key `sets.core.checks[0].timeout`"), "{err}");
    assert!(
        err.contains("date-time") && !err.contains("$__toml"),
        "{err}"
    );
}
