//! End-to-end: the CLI's other commands, run as a user would.
//!
//! - `iam-policy`: a valid IAM policy JSON with exactly the selected checks' actions;
//! - `sign --explain`: canonical request, string to sign and signature equal the AWS
//!   SigV4 test suite's expected files (read from the `aws-sigv4` crate's source, found
//!   with `cargo metadata` as `tests/sigv4_suite.rs` does); `sign --send` against
//!   ministack is accepted with the right secret and refused with a wrong one;
//! - `plugins list -o json`: every bundled plugin, with its sha256 and source;
//! - `config show`: each value marked with where it came from;
//! - an unknown set name: exit code 2 naming the known sets.
//!
//! Needs the test venv for the ministack case: `scripts/setup.sh`.
//! Run: `cargo test -p netcheck --test cli -- cli_commands::`.

use netcheck_test_support as support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::cli::{Netcheck, Output};
use support::emulators::{Emulator, Keys, Ministack};

/// A config with two selectable sets and a third that must stay out of `--set a,b`.
const IAM_CONFIG: &str = r#"
region = "us-east-1"

[sets.core]
checks = [
  { name = "sts", url = "https://sts.{region}.amazonaws.com/" },
  { name = "kms", url = "https://kms.{region}.amazonaws.com/" },
  { name = "ssm", url = "https://ssm.{region}.amazonaws.com/" },
  { name = "s3", url = "https://s3.{region}.amazonaws.com/" },
]

[sets.functions]
checks = [
  { name = "invoke-x", url = "https://lambda.{region}.amazonaws.com/", service = "lambda-invoke", options = { function = "x" } },
]

[sets.tables]
checks = [
  { name = "dynamodb", url = "https://dynamodb.{region}.amazonaws.com/" },
]
"#;

/// The policy document's single statement, checked for shape; returns its actions.
fn policy_actions(out: &Output) -> Vec<String> {
    out.assert_code(0);
    let doc = out.json();
    assert_eq!(doc["Version"], "2012-10-17", "{}", out.describe());
    let statements = doc["Statement"]
        .as_array()
        .unwrap_or_else(|| panic!("no Statement array:\n{}", out.describe()));
    assert_eq!(statements.len(), 1, "{}", out.describe());
    let statement = &statements[0];
    assert_eq!(statement["Effect"], "Allow", "{}", out.describe());
    assert_eq!(statement["Resource"], "*", "{}", out.describe());
    statement["Action"]
        .as_array()
        .unwrap_or_else(|| panic!("Action is not an array:\n{}", out.describe()))
        .iter()
        .map(|a| {
            a.as_str()
                .unwrap_or_else(|| panic!("action {a} is not a string"))
                .to_string()
        })
        .collect()
}

#[test]
fn iam_policy_lists_exactly_the_selected_checks_actions_sorted() {
    let netcheck = Netcheck::new();
    let config = netcheck.write("netcheck.toml", IAM_CONFIG);
    let config = config.to_string_lossy().into_owned();

    let out = netcheck.run(&["iam-policy", "--config", &config, "--set", "core,functions"]);
    assert_eq!(
        policy_actions(&out),
        [
            "kms:ListKeys",
            "lambda:InvokeFunction",
            "s3:ListAllMyBuckets",
            "ssm:DescribeParameters",
            "sts:GetCallerIdentity",
        ],
        "{}",
        out.describe()
    );

    // No selection: every set, so the unselected set's action joins in sorted order.
    let out = netcheck.run(&["iam-policy", "--config", &config]);
    assert_eq!(
        policy_actions(&out),
        [
            "dynamodb:ListTables",
            "kms:ListKeys",
            "lambda:InvokeFunction",
            "s3:ListAllMyBuckets",
            "ssm:DescribeParameters",
            "sts:GetCallerIdentity",
        ],
        "{}",
        out.describe()
    );
}

#[test]
fn unknown_set_name_is_exit_code_2_naming_the_known_sets() {
    let netcheck = Netcheck::new();
    let config = netcheck.write("netcheck.toml", IAM_CONFIG);
    let config = config.to_string_lossy().into_owned();
    for command in ["run", "iam-policy"] {
        let out = netcheck.run(&[command, "--config", &config, "--set", "no-such-set"]);
        out.assert_code(2);
        assert!(
            out.stderr.contains("no-such-set")
                && ["core", "functions", "tables"]
                    .iter()
                    .all(|s| out.stderr.contains(s)),
            "`{command}`: the error should name the unknown set and the known ones:\n{}",
            out.describe()
        );
        assert!(out.stdout.trim().is_empty(), "{}", out.describe());
    }
}

#[test]
fn config_show_marks_where_each_value_came_from() {
    let netcheck = Netcheck::new().env("NETCHECK_TIMEOUT", "7s");
    let config = netcheck.write(
        "custom.toml",
        "concurrency = 3\n\n[sets.a]\nchecks = [ { name = \"x\", url = \"https://sts.us-east-1.amazonaws.com/\" } ]\n",
    );
    let config = config.to_string_lossy().into_owned();
    let out = netcheck.run(&[
        "config",
        "show",
        "--config",
        &config,
        "--region",
        "eu-west-1",
    ]);
    out.assert_code(0);
    let line = |key: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no `{key} = ` line:\n{}", out.describe()))
            .to_string()
    };
    let marked = |key: &str, value: &str, source: &str| {
        let l = line(key);
        let (setting, comment) = l
            .split_once('#')
            .unwrap_or_else(|| panic!("`{key}` has no provenance comment: {l}"));
        assert_eq!(setting.trim(), format!("{key} = {value}"), "{l}");
        assert_eq!(comment.trim(), source, "{l}");
    };
    marked("concurrency", "3", &format!("from {config}"));
    marked("timeout", "\"7s\"", "from NETCHECK_TIMEOUT");
    marked("region", "\"eu-west-1\"", "from --region");
    marked("runner", "\"local\"", "default");
    assert!(
        out.stdout.contains(&config),
        "the config file should be named:\n{}",
        out.describe()
    );
    // The printed configuration is TOML that loads back.
    let parsed: Result<toml::Table, _> = out.stdout.parse();
    assert!(
        parsed.is_ok(),
        "config show is not TOML ({parsed:?}):\n{}",
        out.describe()
    );
}

/// The names `host/plugin-host/build.rs` bundles: every crate directly under `plugins/` except the
/// `guest` helper library (and the `testing/` plugins, which are not bundled).
fn bundled_plugin_names() -> Vec<String> {
    let plugins = repo_root().join("plugins");
    let mut names: Vec<String> = fs::read_dir(&plugins)
        .unwrap_or_else(|e| panic!("listing {}: {e}", plugins.display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "guest" && name != "testing")
        .collect();
    names.sort();
    names
}

#[test]
fn plugins_list_json_shows_every_bundled_plugin_with_sha256_and_source() {
    let out = Netcheck::new().run(&["plugins", "list", "-o", "json"]);
    out.assert_code(0);
    let list = out.json();
    let list = list
        .as_array()
        .unwrap_or_else(|| panic!("not a JSON array:\n{}", out.describe()));
    let mut names: Vec<String> = list
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    let expected = bundled_plugin_names();
    assert!(
        expected.len() >= 20,
        "found only {expected:?} under plugins/"
    );
    assert_eq!(names, expected, "{}", out.describe());
    let mut digests = Vec::new();
    for plugin in list {
        let name = &plugin["name"];
        let sha = plugin["sha256"].as_str().unwrap_or_default();
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}: sha256 `{sha}` is not 64 hex digits"
        );
        digests.push(sha.to_string());
        assert_eq!(plugin["source"], "bundled", "{name}: {plugin}");
        assert!(
            !plugin["version"].as_str().unwrap_or_default().is_empty(),
            "{name}: no version: {plugin}"
        );
        let services = plugin["services"].as_array().map(Vec::len).unwrap_or(0);
        assert!(services >= 1, "{name} claims no service: {plugin}");
    }
    digests.sort();
    digests.dedup();
    assert_eq!(digests.len(), list.len(), "two plugins share a sha256");
}

/// The `aws-sigv4` crate's source directory, from `cargo metadata` (the test suite
/// ships inside it).
fn aws_sigv4_dir() -> PathBuf {
    netcheck_test_support::crates::source_dir("aws-sigv4")
}

fn read_expected(dir: &Path, file: &str) -> String {
    let path = dir.join(file);
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.strip_suffix('\n').map(str::to_string).unwrap_or(text)
}

/// A suite case as `netcheck sign` arguments: method, URL, headers, body, and the
/// context's credentials, service, region and time.
struct Case {
    args: Vec<String>,
    keys: Keys,
}

fn case(dir: &Path) -> Case {
    let context: Value = serde_json::from_str(&read_expected(dir, "context.json"))
        .unwrap_or_else(|e| panic!("{}/context.json: {e}", dir.display()));
    let raw = read_expected(dir, "request.txt");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let mut parts = request_line.split(' ');
    let method = parts.next().expect("method");
    let target = parts.next().expect("request target");
    let mut host = None;
    let mut args = vec!["sign".to_string(), "--explain".to_string()];
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{}: header line `{line}`", dir.display()));
        match name.to_ascii_lowercase().as_str() {
            "host" => host = Some(value.trim().to_string()),
            // netcheck sets Content-Length from the body, as a client would.
            "content-length" => {}
            // curl's rule, which `sign -H` follows: `Name;` sends an empty header
            // (`Name:` would remove it).
            _ if value.trim().is_empty() => args.push(format!("--header={name};")),
            _ => args.push(format!("--header={name}:{}", value.trim())),
        }
    }
    if context["sign_body"] == true {
        // netcheck's convention: an empty x-amz-content-sha256 asks for the body hash.
        args.push("--header=x-amz-content-sha256;".to_string());
    }
    let timestamp = context["timestamp"].as_str().expect("timestamp");
    let date: String = timestamp
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    let text = |key: &str| {
        context[key]
            .as_str()
            .unwrap_or_else(|| panic!("context {key}"))
            .to_string()
    };
    args.extend([
        format!("--method={method}"),
        format!("--date={date}"),
        format!("--service={}", text("service")),
        format!("--region={}", text("region")),
    ]);
    if !body.is_empty() {
        args.push(format!("--body={body}"));
    }
    let host = host.unwrap_or_else(|| panic!("{}: no Host header", dir.display()));
    args.push(format!("https://{host}{target}"));
    let creds = &context["credentials"];
    let key = |k: &str| {
        creds[k]
            .as_str()
            .unwrap_or_else(|| panic!("credentials {k}"))
            .to_string()
    };
    Case {
        args,
        keys: Keys::new(&key("access_key_id"), &key("secret_access_key")),
    }
}

/// The text between `start` and `end` in `text` (for the sections `sign --explain` prints).
fn section<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

#[test]
fn sign_explain_matches_the_aws_signing_test_suite() {
    let suite = aws_sigv4_dir().join("aws-signing-test-suite/v4");
    for name in [
        "get-vanilla",
        "get-vanilla-query-order-key-case",
        "post-x-www-form-urlencoded",
    ] {
        let dir = suite.join(name);
        let case = case(&dir);
        assert_eq!(case.keys.access_key_id, "AKIDEXAMPLE", "{name}");
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let out = Netcheck::new().creds(&case.keys).run(&args);
        out.assert_code(0);
        let canonical = section(&out.stdout, "Canonical request:\n", "\n\nString to sign:")
            .unwrap_or_else(|| panic!("{name}: no canonical request:\n{}", out.describe()));
        assert_eq!(
            canonical,
            read_expected(&dir, "header-canonical-request.txt"),
            "{name}: canonical request ({args:?})"
        );
        let string_to_sign = section(&out.stdout, "String to sign:\n", "\n\n")
            .unwrap_or_else(|| panic!("{name}: no string to sign:\n{}", out.describe()));
        assert_eq!(
            string_to_sign,
            read_expected(&dir, "header-string-to-sign.txt"),
            "{name}: string to sign"
        );
        let signature = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Signature:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{name}: no signature line:\n{}", out.describe()));
        assert_eq!(
            signature,
            read_expected(&dir, "header-signature.txt").trim(),
            "{name}: signature"
        );
        assert!(
            !out.stdout.contains(&case.keys.secret_access_key)
                && !out.stderr.contains(&case.keys.secret_access_key),
            "{name}: the secret key was printed"
        );
    }
}

/// A policy letting netcheck sign for the emulator on 127.0.0.1 (the built-in policy
/// signs only for AWS endpoints).
fn with_emulator_policy(netcheck: Netcheck) -> Netcheck {
    let policy = netcheck.write("policy.toml", "[signing]\nhosts = [\"127.0.0.1\"]\n");
    let policy = policy.to_string_lossy().into_owned();
    netcheck.env("NETCHECK_POLICY", &policy)
}

/// `sign --send`: ministack verifies the admin user's signatures, so 200 with the right
/// secret and 403 `SignatureDoesNotMatch` with a wrong one prove the request sent is
/// the request signed (non-default port in the signed Host included).
#[test]
fn sign_send_is_accepted_by_ministack_and_a_wrong_secret_is_not() {
    let emu = Ministack::start();
    let endpoint = emu.endpoint();
    let args = [
        "sign",
        "--send",
        "--service",
        "sts",
        "--region",
        "us-east-1",
        "-X",
        "POST",
        "--header=Content-Type: application/x-www-form-urlencoded; charset=utf-8",
        "--body=Action=GetCallerIdentity&Version=2011-06-15",
        &endpoint,
    ];
    let out = with_emulator_policy(Netcheck::new().creds(emu.admin())).run(&args);
    out.assert_code(0);
    assert!(
        out.stdout.contains("=> HTTP 200")
            && out.stdout.contains("GetCallerIdentityResponse")
            && out.stdout.contains("user/admin"),
        "ministack should accept the signed request:\n{}",
        out.describe()
    );

    let wrong = emu.admin().with_wrong_secret();
    let out = with_emulator_policy(Netcheck::new().creds(&wrong)).run(&args);
    out.assert_code(1);
    assert!(
        out.stdout.contains("=> HTTP 403") && out.stdout.contains("SignatureDoesNotMatch"),
        "ministack should refuse a signature made with a wrong secret:\n{}",
        out.describe()
    );
}

// ------------------------------------------------------------ the README's first command

/// The repository root (where `netcheck.toml` and `README.md` are).
fn repo_root() -> PathBuf {
    support::venv::repo_root()
}

/// `cargo run -p netcheck -- run`, exactly as the README shows it, from the repository
/// root, as a newcomer runs it: a fresh HOME with no AWS files, no AWS or NETCHECK
/// variables — only what keeps the test on this machine: the instance-metadata endpoint
/// is a closed loopback port (aws-config would otherwise ask 169.254.169.254) and DNS goes
/// to a loopback server that knows no names (so no query leaves the machine). cargo
/// exports its build scripts' `rustc-env` into the program's environment: this is the test
/// that would have caught build-time facts leaking in as `NETCHECK_*` settings.
#[test]
fn the_readmes_first_command_runs_verbatim_and_reaches_the_probes() {
    let readme = fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    assert!(
        readme.contains("\ncargo run -p netcheck -- run "),
        "the README's first command is no longer `cargo run -p netcheck -- run`"
    );
    let dns = support::servers::DnsServer::start(&[]);
    let home = tempfile::tempdir().expect("temp HOME");
    let real_home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".rustup"));
    // The test's own target directory: the binary is already built there.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .unwrap()
                .to_path_buf()
        });
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args(["run", "-p", "netcheck", "--", "run"])
        .current_dir(repo_root())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CARGO_HOME", &cargo_home)
        .env("RUSTUP_HOME", &rustup_home)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_TERM_COLOR", "never")
        .env(
            "XDG_CACHE_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache"),
        )
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{}", support::servers::closed_port()),
        )
        .env("NETCHECK_NAMESERVERS", dns.address())
        .stdin(std::process::Stdio::null());
    for keep in ["RUSTUP_TOOLCHAIN", "NETCHECK_WASM_TARGET_DIR"] {
        if let Some(v) = std::env::var_os(keep) {
            command.env(keep, v);
        }
    }
    let out = command.output().expect("running cargo run");
    let (code, stdout, stderr) = (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    let describe = format!("exit {code:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(
        matches!(code, Some(0 | 1)),
        "reaches the probes (exit 0 or 1, never 2):\n{describe}"
    );
    assert!(!stderr.contains("not a netcheck setting"), "{describe}");
    assert!(
        stderr.contains("no AWS region is configured") && stderr.contains("using us-east-1"),
        "the default region is said once on stderr:\n{describe}"
    );
    assert_eq!(
        stderr.matches("no AWS region is configured").count(),
        1,
        "{describe}"
    );
    assert!(
        stdout.starts_with("runner local · region us-east-1 (default)\n"),
        "the table header names the region:\n{describe}"
    );
    for check in [
        "aws-core/sts",
        "aws-core/kms",
        "aws-core/ssm",
        "aws-core/s3",
    ] {
        assert!(stdout.contains(check), "{check} has a row:\n{describe}");
    }
    assert!(
        stdout.contains("dns-failed"),
        "the probes ran (DNS answered NXDOMAIN):\n{describe}"
    );
    assert!(dns.queries() > 0, "netcheck asked the loopback DNS server");
}

/// On EC2 with no region configured anywhere, the instance's region is used (through a
/// loopback IMDSv2 endpoint), never the default.
#[test]
fn on_an_instance_the_region_comes_from_instance_metadata() {
    // IMDSv2: PUT /latest/api/token, then GET .../placement/region. One answer serves
    // both (the token is "eu-central-1" too).
    let imds = support::servers::HttpServer::start_with_headers(
        200,
        &[("x-aws-ec2-metadata-token-ttl-seconds", "21600")],
        "eu-central-1",
    );
    let dns = support::servers::DnsServer::start(&[]);
    let n = Netcheck::new()
        .env("AWS_EC2_METADATA_DISABLED", "false")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url())
        .env("NETCHECK_NAMESERVERS", &dns.address());
    let out = n.run_config(
        "[sets.core]\ndescription = \"x\"\nchecks = [ { name = \"kms\", url = \"https://kms.{region}.amazonaws.com/\" } ]\n",
        "json",
    );
    let report = out.json();
    assert_eq!(report["region"], "eu-central-1", "{}", out.describe());
    assert_eq!(
        report["region_source"],
        "instance metadata",
        "{}",
        out.describe()
    );
    assert_eq!(
        out.result("kms")["url"],
        "https://kms.eu-central-1.amazonaws.com/"
    );
    assert!(
        !out.stderr.contains("no AWS region is configured"),
        "{}",
        out.describe()
    );
    assert!(
        imds.requests()
            .iter()
            .any(|r| r.target == "/latest/meta-data/placement/region"),
        "{:?}",
        imds.requests()
    );
}

/// An unknown `NETCHECK_*` variable (a CI system's) warns once and the run goes on.
#[test]
fn an_unknown_netcheck_variable_warns_and_the_run_goes_on() {
    let n = Netcheck::new()
        .env("NETCHECK_BUILD_NUMBER", "42")
        .env("NETCHECK_TIMEOUTS", "1s");
    let out = n.run_config(
        "region = \"us-east-1\"\n[sets.core]\nchecks = [ { name = \"closed\", url = \"tcp://127.0.0.1:9\" } ]\n",
        "json",
    );
    out.assert_code(1);
    out.assert_result("closed", "fail", "tcp-refused");
    assert_eq!(
        out.stderr
            .matches("warning: environment variable NETCHECK_BUILD_NUMBER")
            .count(),
        1,
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("did you mean NETCHECK_TIMEOUT?"),
        "{}",
        out.describe()
    );
}
