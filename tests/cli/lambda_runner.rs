//! End-to-end: `netcheck run --runner lambda` against ministack (`AUTH=true`), which really
//! runs the deployed `bootstrap` — this very netcheck binary — as a subprocess. The
//! function's probes hit the emulator (STS signed with the function's execution-role
//! session, and a loopback TCP listener), so every verdict below was made inside Lambda.
//!
//! A [`FaultProxy`] sits between netcheck and ministack: it names every control-plane
//! call, holds one to stop a run at a chosen step, or answers with a canned AWS error
//! (IAM propagation, `DependencyViolation` — neither emulator produces those, see
//! tests/EMULATORS.md "Lambda runner").
//!
//! After every run the emulator is inventoried (tests/support/aws_inventory.py): no
//! function, role, security group or log group of netcheck's may remain.
//!
//! Needs the test venv: `scripts/setup.sh`. Run: `cargo test -p netcheck --test cli -- lambda_runner::`.

use netcheck_test_support as support;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::cli::{Netcheck, Output, Running, toml_str};
use support::config::{Check, ConfigToml};
use support::emulators::{Emulator, Keys, Ministack};
use support::fault_proxy::{FaultProxy, aws_json_error, ec2_xml_error};
use support::servers::SilentServer;
use support::venv;

/// ministack's default VPC's subnets (tests/EMULATORS.md).
const SUBNET_A: &str = "subnet-00000001";
const SUBNET_B: &str = "subnet-00000002";

/// An emulator, the proxy in front of it and a TCP listener the functions probe.
struct Lab {
    emu: Ministack,
    proxy: FaultProxy,
    listener: TcpListener,
}

fn lab() -> Lab {
    let emu = Ministack::start();
    let proxy = FaultProxy::start(emu.port());
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback listener");
    Lab {
        emu,
        proxy,
        listener,
    }
}

impl Lab {
    /// The check list: STS signed (so the function's role signs inside Lambda) and a TCP
    /// port. Probes go straight to ministack, not through the proxy.
    fn config(&self) -> String {
        self.config_with("")
    }

    /// [`Lab::config`] plus more checks (TOML inline tables, one per line).
    fn config_with(&self, extra: &str) -> String {
        let tcp = format!(
            "tcp://127.0.0.1:{}",
            self.listener.local_addr().unwrap().port()
        );
        ConfigToml::new("lab")
            .top("timeout", "20s")
            .check(
                Check::new("sts", &self.emu.endpoint())
                    .service("sts")
                    .region("us-east-1"),
            )
            .check(Check::new("db", &tcp))
            .checks(extra.lines().filter(|l| !l.trim().is_empty()))
            .render()
    }

    /// netcheck as the admin user, every AWS SDK call through the proxy.
    fn netcheck(&self) -> Netcheck {
        let n = Netcheck::new()
            .creds(self.emu.admin())
            .env("AWS_ENDPOINT_URL", &self.proxy.url())
            .env("AWS_ENDPOINT_URL_STS", &self.proxy.url())
            .env("AWS_REGION", "us-east-1");
        n.write("netcheck.toml", &self.config());
        n
    }

    /// What netcheck-managed resources exist, per tests/support/aws_inventory.py.
    fn inventory_as(&self, keys: &Keys, regions: &str) -> Value {
        let out = Command::new(venv::python())
            .arg(venv::support_file("aws_inventory.py"))
            .args([
                &self.emu.endpoint(),
                &keys.access_key_id,
                &keys.secret_access_key,
                "inventory",
                regions,
            ])
            .output()
            .expect("running aws_inventory.py");
        assert!(
            out.status.success(),
            "aws_inventory.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("inventory JSON")
    }

    fn inventory(&self) -> Value {
        self.inventory_as(self.emu.admin(), "us-east-1")
    }

    fn python(&self, keys: &Keys, args: &[&str]) -> Value {
        let out = Command::new(venv::python())
            .arg(venv::support_file("aws_inventory.py"))
            .args([
                &self.emu.endpoint(),
                &keys.access_key_id,
                &keys.secret_access_key,
            ])
            .args(args)
            .output()
            .expect("running aws_inventory.py");
        assert!(
            out.status.success(),
            "aws_inventory.py {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON from aws_inventory.py")
    }
}

/// Asserts nothing of netcheck's is left in `inventory`.
fn assert_empty(inventory: &Value, context: &str) {
    for kind in ["functions", "roles", "security_groups", "log_groups"] {
        assert_eq!(
            inventory[kind].as_array().map(Vec::len),
            Some(0),
            "{kind} left behind ({context}):\n{}",
            serde_json::to_string_pretty(inventory).unwrap_or_default()
        );
    }
}

fn run_lambda(n: &Netcheck, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--runner", "lambda", "-o", "json"];
    args.extend_from_slice(extra);
    n.run(&args)
}

/// The results at `location`, by check name.
fn at<'a>(out: &'a Output, report: &'a Value, location: &str, name: &str) -> &'a Value {
    report["results"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|r| r["location"] == location && r["name"] == name)
        })
        .unwrap_or_else(|| panic!("no `{name}` result at {location}:\n{}", out.describe()))
}

#[test]
fn checks_run_inside_a_function_per_subnet_and_nothing_is_left_behind() {
    let lab = lab();
    let n = lab.netcheck();
    let policy = n.write(
        "audited-policy.toml",
        &format!(
            "{}[audit]\nfile = \"audit.jsonl\"\n",
            support::cli::TEST_POLICY
        ),
    );
    let n = n.env("NETCHECK_POLICY", &policy.to_string_lossy());
    let subnets = format!("{SUBNET_A},{SUBNET_B}");
    let out = run_lambda(&n, &["--subnets", &subnets]);
    out.assert_code(0);
    let report = out.json();
    assert_eq!(
        report["results"].as_array().map(Vec::len),
        Some(4),
        "{}",
        out.describe()
    );
    for subnet in [SUBNET_A, SUBNET_B] {
        let sts = at(&out, &report, subnet, "sts");
        assert_eq!(sts["status"], "pass", "{}", out.describe());
        let http = &sts["phases"]["http"][0];
        assert_eq!(
            (http["signed"].as_bool(), http["status"].as_u64()),
            (Some(true), Some(200))
        );
        let db = at(&out, &report, subnet, "db");
        assert_eq!(db["status"], "pass", "{}", out.describe());
        assert_eq!(db["phases"]["tcp"]["connected"], true);
    }
    // One role, one security group (both subnets are in the default VPC), one function
    // and log group per subnet — and each removed again.
    let count = |op: &str| lab.proxy.count(op);
    assert_eq!(count("CreateRole"), 1, "{:?}", lab.proxy.operations());
    assert_eq!(count("CreateSecurityGroup"), 1);
    assert_eq!(count("CreateFunction"), 2);
    assert_eq!(count("Invoke"), 2);
    assert_eq!(count("DeleteFunction"), 2);
    assert_eq!(count("DeleteLogGroup"), 2);
    assert_eq!(count("DeleteSecurityGroup"), 1);
    assert_eq!(count("DeleteRole"), 1);
    assert!(
        out.stderr.contains("cleanup: removed all"),
        "{}",
        out.describe()
    );
    assert_empty(&lab.inventory(), "after a successful run");

    // The audit line names everything created, and the same things removed.
    let audit = std::fs::read_to_string(n.dir().join("audit.jsonl")).expect("audit file");
    let line: Value = serde_json::from_str(audit.lines().last().unwrap()).expect("audit JSON");
    assert_eq!(line["runner"], "lambda");
    let list = |k: &str| -> Vec<String> {
        let mut v: Vec<String> = line[k]
            .as_array()
            .unwrap_or_else(|| panic!("audit `{k}`: {line}"))
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_string())
            .collect();
        v.sort();
        v
    };
    let created = list("created");
    assert_eq!(
        created.len(),
        6,
        "role, SG, 2 log groups, 2 functions: {created:?}"
    );
    assert!(
        created
            .iter()
            .any(|c| c.contains(":role/netcheck/netcheck-")),
        "{created:?}"
    );
    assert!(
        created.iter().any(|c| c.contains(":function:netcheck-")),
        "{created:?}"
    );
    assert_eq!(list("removed"), created, "everything created was removed");
}

#[test]
fn keep_leaves_tagged_resources_without_secrets_and_cleanup_removes_them_once() {
    let lab = lab();
    let n = lab
        .netcheck()
        .env("NETCHECK_RUN_ID", "20261123-160102-a1b2");
    let out = run_lambda(&n, &["--subnets", SUBNET_A, "--keep"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("kept (--keep) for run 20261123-160102-a1b2")
            && out
                .stderr
                .contains("netcheck cleanup --run-id 20261123-160102-a1b2"),
        "{}",
        out.describe()
    );
    let inventory = lab.inventory();
    let functions = inventory["functions"].as_array().unwrap();
    assert_eq!(functions.len(), 1, "{inventory:#}");
    let f = &functions[0];
    assert_eq!(f["name"], "netcheck-20261123-160102-a1b2-subnet-00000001");
    assert_eq!(f["tags"]["netcheck:run-id"], "20261123-160102-a1b2");
    assert_eq!(f["tags"]["netcheck:managed"], "true");
    assert_eq!(f["vpc"]["SubnetIds"][0], SUBNET_A);
    let env: Vec<&String> = f["environment"].as_object().unwrap().keys().collect();
    assert_eq!(
        env,
        ["NETCHECK_LOG", "NETCHECK_RUN_ID"],
        "no credentials in the function"
    );
    let sg = &inventory["security_groups"][0];
    assert_eq!(
        sg["ingress"].as_array().map(Vec::len),
        Some(0),
        "egress only"
    );
    assert_eq!(sg["tags"]["netcheck:run-id"], "20261123-160102-a1b2");
    let logs = &inventory["log_groups"][0];
    assert_eq!(logs["tags"]["netcheck:managed"], "true");
    assert_eq!(logs["retention"], 1);
    assert!(
        !logs["messages"].as_array().unwrap().is_empty(),
        "the function logged to its tagged group: {inventory:#}"
    );
    assert_eq!(inventory["roles"][0], "netcheck-20261123-160102-a1b2-exec");

    // No secret anywhere: the invoker's secret key and the admin secret never reach the
    // payload, the function's configuration, its logs or netcheck's output.
    let secret = &lab.emu.admin().secret_access_key;
    let everything = format!(
        "{}{}{}{}",
        out.stdout,
        out.stderr,
        inventory,
        String::from_utf8_lossy(&lab.proxy.bodies("Invoke").concat())
    );
    assert!(
        !lab.proxy.bodies("Invoke").is_empty(),
        "invoke payloads recorded"
    );
    assert!(!everything.contains(secret.as_str()), "the secret leaked");
    for marker in [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "aws_secret_access_key",
    ] {
        let payloads = String::from_utf8_lossy(&lab.proxy.bodies("Invoke").concat()).into_owned();
        assert!(!payloads.contains(marker), "{marker} in the invoke payload");
    }

    let cleanup = n.run(&["cleanup", "--run-id", "20261123-160102-a1b2"]);
    cleanup.assert_code(0);
    for removed in [
        "netcheck-20261123-160102-a1b2-subnet-00000001",
        "security-group",
        "log-group /aws/lambda/netcheck-20261123-160102-a1b2-subnet-00000001",
        "netcheck-20261123-160102-a1b2-exec",
    ] {
        assert!(
            cleanup.stdout.contains(removed),
            "{removed}:\n{}",
            cleanup.describe()
        );
    }
    assert_empty(&lab.inventory(), "after cleanup");
    let again = n.run(&["cleanup", "--run-id", "20261123-160102-a1b2"]);
    again.assert_code(0);
    assert_eq!(
        again.stdout.trim(),
        "nothing to remove",
        "{}",
        again.describe()
    );
}

/// The control-plane call each stop point holds: after the role (the security group
/// is next), after the security group (the log group is next), after the function was
/// created (the Active waiter is next), and in the middle of the invocation.
const STOP_POINTS: [(&str, &str); 4] = [
    ("after role", "CreateSecurityGroup"),
    ("after security group", "CreateLogGroup"),
    ("after function create", "GetFunction"),
    ("mid-invoke", "Invoke"),
];

/// Starts a run in `SUBNET_A` that the proxy holds at `operation`; returns once held.
fn stopped_at(lab: &Lab, n: &Netcheck, step: &str, operation: &str) -> Running {
    lab.proxy.stall(operation);
    let args = [
        "run",
        "--runner",
        "lambda",
        "--subnets",
        SUBNET_A,
        "-o",
        "json",
    ];
    let running = n.spawn(&args);
    assert!(
        lab.proxy
            .wait_for_stalled(operation, Duration::from_secs(120)),
        "{step}: never reached {operation}:\n{}",
        running.stderr_so_far()
    );
    running
}

#[test]
fn a_run_killed_at_any_step_is_cleaned_up_by_netcheck_cleanup() {
    let lab = lab();
    for (i, (step, operation)) in STOP_POINTS.iter().enumerate() {
        let run_id = format!("20261123-1700{i:02}-00a{i}");
        let n = lab.netcheck().env("NETCHECK_RUN_ID", &run_id);
        let running = stopped_at(&lab, &n, step, operation);
        running.signal(9);
        let killed = running.wait();
        assert_eq!(killed.code, None, "{step}: killed by a signal");
        lab.proxy.release();
        assert!(
            !lab.inventory()["roles"].as_array().unwrap().is_empty(),
            "{step}: the kill left the role behind (that is what cleanup is for)"
        );
        let cleanup = n.run(&["cleanup", "--run-id", &run_id]);
        cleanup.assert_code(0);
        assert!(
            cleanup.stdout.contains("removed"),
            "{step}:\n{}",
            cleanup.describe()
        );
        assert_empty(&lab.inventory(), step);
    }
}

#[test]
fn ctrl_c_at_any_step_cleans_up_before_exiting() {
    let lab = lab();
    for (step, operation) in [STOP_POINTS[0], STOP_POINTS[3]] {
        let n = lab.netcheck();
        let running = stopped_at(&lab, &n, step, operation);
        running.signal(2);
        // The held call was sent: AWS answers it after the Ctrl-C, and netcheck must
        // record (and remove) what it made rather than forget it.
        std::thread::sleep(Duration::from_millis(300));
        lab.proxy.release();
        let out = running.wait();
        assert_eq!(
            out.code,
            Some(2),
            "{step}: interrupted is an error:\n{}",
            out.describe()
        );
        assert!(
            out.stderr.contains("interrupted (Ctrl-C)"),
            "{}",
            out.describe()
        );
        assert!(
            out.stderr.contains("cleanup: removed all"),
            "{}",
            out.describe()
        );
        assert_empty(&lab.inventory(), step);
    }
}

#[test]
fn ctrl_c_while_the_function_runs_waits_for_it_and_leaves_no_log_group() {
    let lab = lab();
    // A check that keeps the function busy: TCP accepted, TLS never answered.
    let silent = SilentServer::start();
    let slow = format!(
        "  {{ name = \"slow\", url = {}, timeout = \"6s\" }},\n",
        toml_str(&format!("https://127.0.0.1:{}/", silent.port()))
    );
    let n = lab.netcheck();
    n.write("netcheck.toml", &lab.config_with(&slow));
    let running = n.spawn(&[
        "run",
        "--runner",
        "lambda",
        "--subnets",
        SUBNET_A,
        "-o",
        "json",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while lab.proxy.count("Invoke") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "never invoked:\n{}",
            running.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The invocation was sent and the function is running the plan (the slow check
    // alone takes 6 s): stop now.
    std::thread::sleep(Duration::from_secs(1));
    running.signal(2);
    let out = running.wait();
    assert_eq!(out.code, Some(2), "{}", out.describe());
    assert!(
        out.stderr.contains("cleanup: removed all"),
        "{}",
        out.describe()
    );
    // Had the log group been deleted under the running function, its last lines would
    // have recreated it (untagged) by now.
    std::thread::sleep(Duration::from_secs(3));
    assert_empty(&lab.inventory(), "after Ctrl-C mid-invoke");
}

#[test]
fn one_ctrl_c_during_cleanup_does_not_abandon_it_and_two_list_what_is_left() {
    let lab = lab();
    // One signal while the end-of-run cleanup is held at DeleteRole: cleanup goes on.
    let n = lab.netcheck();
    let running = stopped_at(&lab, &n, "cleanup", "DeleteRole");
    running.signal(2);
    std::thread::sleep(Duration::from_millis(500));
    lab.proxy.release();
    let out = running.wait();
    out.assert_code(0);
    assert!(
        out.stderr.contains("press Ctrl-C again"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("cleanup: removed all"),
        "{}",
        out.describe()
    );
    assert_empty(&lab.inventory(), "after one Ctrl-C during cleanup");

    // Two signals: cleanup stops, and stderr names what is left.
    let run_id = "20261123-170200-00c2";
    let n = lab.netcheck().env("NETCHECK_RUN_ID", run_id);
    let running = stopped_at(&lab, &n, "cleanup", "DeleteRole");
    running.signal(2);
    std::thread::sleep(Duration::from_millis(300));
    running.signal(2);
    let out = running.wait();
    lab.proxy.release();
    assert_eq!(out.code, Some(3), "{}", out.describe());
    assert!(
        out.stderr
            .contains(&format!("role/netcheck/netcheck-{run_id}-exec")),
        "the role left behind is named:\n{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains(&format!("netcheck cleanup --run-id {run_id}")),
        "{}",
        out.describe()
    );
    n.run(&["cleanup", "--run-id", run_id]).assert_code(0);
    assert_empty(&lab.inventory(), "after cleanup of the abandoned run");
}

#[test]
fn two_runs_at_once_do_not_collide() {
    let lab = lab();
    let a = lab
        .netcheck()
        .env("NETCHECK_RUN_ID", "20261123-170100-000a");
    let b = lab
        .netcheck()
        .env("NETCHECK_RUN_ID", "20261123-170100-000b");
    let subnets = format!("{SUBNET_A},{SUBNET_B}");
    let args = [
        "run",
        "--runner",
        "lambda",
        "--subnets",
        &subnets,
        "-o",
        "json",
    ];
    let (ra, rb) = (a.spawn(&args), b.spawn(&args));
    let (oa, ob) = (ra.wait(), rb.wait());
    oa.assert_code(0);
    ob.assert_code(0);
    assert_eq!(lab.proxy.count("CreateFunction"), 4);
    assert_eq!(lab.proxy.count("CreateRole"), 2);
    assert_empty(&lab.inventory(), "after two concurrent runs");
}

#[test]
fn role_propagation_is_retried_and_security_groups_wait_for_interfaces() {
    let lab = lab();
    lab.proxy.fail(
        "CreateFunction",
        2,
        400,
        &aws_json_error(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
        ),
        "application/json",
    );
    lab.proxy.fail(
        "DeleteSecurityGroup",
        2,
        400,
        &ec2_xml_error(
            "DependencyViolation",
            "resource sg-0 has a dependent object",
        ),
        "text/xml",
    );
    let n = lab.netcheck();
    let out = run_lambda(&n, &["--subnets", SUBNET_A, "--eni-wait", "60s"]);
    out.assert_code(0);
    assert_eq!(
        lab.proxy.count("CreateFunction"),
        3,
        "{:?}",
        lab.proxy.operations()
    );
    assert_eq!(lab.proxy.count("DeleteSecurityGroup"), 3);
    assert!(
        out.stderr.contains("role not yet usable by Lambda"),
        "the retry is explained:\n{}",
        out.describe()
    );
    assert_empty(&lab.inventory(), "after retries");
}

#[test]
fn the_policy_refuses_a_subnet_before_anything_is_created() {
    let lab = lab();
    let n = lab.netcheck();
    let policy = n.write(
        "admin-policy.toml",
        &format!(
            "{}[runners]\nsubnets = [\"{SUBNET_B}\"]\n",
            support::cli::TEST_POLICY
        ),
    );
    let n = n.env("NETCHECK_POLICY", &policy.to_string_lossy());
    let out = run_lambda(&n, &["--subnets", &format!("{SUBNET_A},{SUBNET_B}")]);
    out.assert_code(2);
    assert!(out.stderr.contains(SUBNET_A), "{}", out.describe());
    let created: Vec<String> = lab
        .proxy
        .operations()
        .into_iter()
        .filter(|op| op.starts_with("Create"))
        .collect();
    assert!(created.is_empty(), "nothing may be created: {created:?}");
}

#[test]
fn a_named_role_is_used_for_signing_and_left_untouched() {
    let lab = lab();
    let only_sts = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#;
    let arn = lab.python(lab.emu.admin(), &["role", "mine", only_sts]);
    let arn = arn.as_str().unwrap().to_string();
    let n = lab.netcheck();
    let kms = toml_str(&lab.emu.endpoint());
    n.write(
        "netcheck.toml",
        &lab.config_with(&format!(
            "  {{ name = \"kms\", url = {kms}, service = \"kms\", region = \"us-east-1\" }},\n"
        )),
    );
    let out = run_lambda(&n, &["--role-arn", &arn]);
    out.assert_code(1);
    let report = out.json();
    let location = "lambda@us-east-1";
    assert_eq!(at(&out, &report, location, "sts")["status"], "pass");
    let kms = at(&out, &report, location, "kms");
    assert_eq!(
        (kms["reason"].as_str(), kms["action"].as_str()),
        (Some("access-denied"), Some("kms:ListKeys")),
        "signed with the named role, which lacks kms:ListKeys:\n{}",
        out.describe()
    );
    assert_eq!(lab.proxy.count("CreateRole"), 0);
    assert_eq!(lab.proxy.count("DeleteRole"), 0);
    let role = lab.python(lab.emu.admin(), &["get-role", "mine"]);
    assert_eq!(
        role["inline"],
        serde_json::json!(["checks"]),
        "unchanged: {role}"
    );
    assert_eq!(role["attached"], serde_json::json!([]), "unchanged: {role}");
    assert_empty(&lab.inventory(), "a named role is not netcheck's");
}

#[test]
fn scales_out_to_regions_and_a_second_account_with_one_report() {
    let lab = lab();
    // ministack: an access key id of 12 digits is that account's root (EMULATORS.md).
    let other = Keys::new("111111111111", "any-secret");
    let trusted = "arn:aws:iam::000000000000:root";
    let role = lab.python(&other, &["assumable-role", "netcheck-runner", trusted]);
    let n = lab.netcheck();
    let out = run_lambda(
        &n,
        &[
            "--regions",
            "us-east-1,eu-west-1",
            "--assume-role",
            role.as_str().unwrap(),
            "--max-parallel",
            "2",
        ],
    );
    out.assert_code(0);
    let report = out.json();
    let mut locations: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["location"].as_str().unwrap_or_default().to_string())
        .collect();
    locations.sort();
    locations.dedup();
    assert_eq!(
        locations,
        [
            "lambda@eu-west-1/000000000000",
            "lambda@eu-west-1/111111111111",
            "lambda@us-east-1/000000000000",
            "lambda@us-east-1/111111111111",
        ],
        "{}",
        out.describe()
    );
    assert_eq!(lab.proxy.count("CreateRole"), 2, "one role per account");
    assert_empty(
        &lab.inventory_as(lab.emu.admin(), "us-east-1,eu-west-1"),
        "caller",
    );
    assert_empty(
        &lab.inventory_as(&other, "us-east-1,eu-west-1"),
        "second account",
    );
}
