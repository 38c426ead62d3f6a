//! End-to-end: every catalogue service ministack really serves, in two CLI runs against
//! one ministack (`AUTH=true`, IAM policies enforced for IAM users):
//! - the allow-all `admin` user: every service passes with a signed 200, and a
//!   `lambda-invoke` check of a function that does not exist is `not-found`;
//! - a user allowed only `sts:GetCallerIdentity`: STS passes, every other service is
//!   `access-denied` naming the exact IAM action its probe needs (as does the invoke).
//!
//! Left out, measured with ministack 1.5.33: `xray` (answers 400 "Unsupported service"),
//! `ssmmessages` and `ec2messages` (ministack routes them to its S3 handler, so a verdict
//! would say nothing about netcheck), and `execute-api` / EKS clusters (need resources).
//!
//! Needs the test venv: `scripts/setup.sh`. Run: `cargo test -p netcheck --test cli -- catalogue::`.

use netcheck_test_support as support;

use support::cli::{Netcheck, Output};
use support::config::{Check, ConfigToml};
use support::emulators::{Emulator, Keys, Ministack, allow_only};

/// Each served service's check name (= service id) and the IAM action its probe needs.
const SERVED: [(&str, &str); 19] = [
    ("sts", "sts:GetCallerIdentity"),
    ("kms", "kms:ListKeys"),
    ("ssm", "ssm:DescribeParameters"),
    ("s3", "s3:ListAllMyBuckets"),
    ("dynamodb", "dynamodb:ListTables"),
    ("logs", "logs:DescribeLogGroups"),
    ("monitoring", "cloudwatch:DescribeAlarms"),
    ("secretsmanager", "secretsmanager:ListSecrets"),
    ("eks", "eks:ListClusters"),
    (
        "elasticloadbalancing",
        "elasticloadbalancing:DescribeLoadBalancers",
    ),
    ("autoscaling", "autoscaling:DescribeAutoScalingGroups"),
    ("cloudformation", "cloudformation:DescribeStacks"),
    ("firehose", "firehose:ListDeliveryStreams"),
    ("lambda", "lambda:ListFunctions"),
    ("sqs", "sqs:ListQueues"),
    ("sns", "sns:ListTopics"),
    ("cognito-idp", "cognito-idp:ListUserPools"),
    ("ec2", "ec2:DescribeRegions"),
    ("ecr", "ecr:GetAuthorizationToken"),
];

/// The `lambda-invoke` check's name; its function does not exist.
const INVOKE: &str = "invoke-missing";
const MISSING_FUNCTION: &str = "netcheck-no-such-function";

/// Generous per-check deadline: ministack loads some backends on their first call and
/// the machine is shared with compilers.
const CHECK_TIMEOUT: &str = "20s";

/// One check per served service plus the invoke check, all at the emulator.
fn config(emu: &Ministack) -> String {
    let url = emu.endpoint();
    let mut config = ConfigToml::new("catalogue")
        .top("concurrency", 8)
        .top("timeout", CHECK_TIMEOUT);
    for (service, _) in SERVED {
        config = config.check(
            Check::new(service, &url)
                .service(service)
                .region("us-east-1"),
        );
    }
    config
        .check(
            Check::new(INVOKE, &url)
                .service("lambda-invoke")
                .region("us-east-1")
                .option("function", MISSING_FUNCTION),
        )
        .render()
}

/// One `netcheck run -o json` as `keys`, allowed to sign for the emulator on 127.0.0.1
/// (the built-in policy signs only for AWS endpoints).
fn run(emu: &Ministack, keys: &Keys) -> Output {
    let netcheck = Netcheck::new().creds(keys);
    let policy = netcheck.write("policy.toml", "[signing]\nhosts = [\"127.0.0.1\"]\n");
    let policy = policy.to_string_lossy().into_owned();
    netcheck
        .env("NETCHECK_POLICY", &policy)
        .run_config(&config(emu), "json")
}

/// The status of the last (deciding) HTTP probe, which must have been signed.
fn last_signed_status(out: &Output, name: &str) -> Option<u64> {
    let result = out.result(name);
    let last = result["phases"]["http"].as_array()?.last()?.clone();
    assert_eq!(
        last["signed"],
        true,
        "`{name}` was not signed:\n{}",
        out.describe()
    );
    last["status"].as_u64()
}

fn assert_action(out: &Output, result: &serde_json::Value, name: &str, action: &str) {
    assert_eq!(
        result["action"],
        action,
        "`{name}`: the verdict must name the IAM action:\n{}",
        out.describe()
    );
    let message = result["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(action),
        "`{name}`: the message should name {action}: {message}"
    );
}

#[test]
fn every_served_service_passes_for_admin_and_is_denied_by_action_for_a_limited_user() {
    let emu = Ministack::start();
    let limited = emu.create_user("limited", &allow_only(&["sts:GetCallerIdentity"]));

    let out = run(&emu, emu.admin());
    out.assert_code(1); // the invoke check fails: its function does not exist
    for (service, action) in SERVED {
        let result = out.assert_result(service, "pass", "ok");
        assert_eq!(result["action"], action, "`{service}`:\n{}", out.describe());
        assert_eq!(
            last_signed_status(&out, service),
            Some(200),
            "`{service}`:\n{}",
            out.describe()
        );
    }
    let invoke = out.assert_result(INVOKE, "fail", "not-found");
    assert_eq!(
        invoke["action"],
        "lambda:InvokeFunction",
        "{}",
        out.describe()
    );
    assert!(
        invoke["message"]
            .as_str()
            .is_some_and(|m| m.contains(MISSING_FUNCTION)),
        "the not-found message should name the function:\n{}",
        out.describe()
    );
    assert_eq!(
        last_signed_status(&out, INVOKE),
        Some(404),
        "{}",
        out.describe()
    );
    let summary = &out.json()["summary"];
    assert_eq!(summary["pass"], SERVED.len(), "{}", out.describe());
    assert_eq!(summary["fail"], 1, "{}", out.describe());

    let out = run(&emu, &limited);
    out.assert_code(1);
    out.assert_result("sts", "pass", "ok");
    for (service, action) in &SERVED[1..] {
        let result = out.assert_result(service, "fail", "access-denied");
        assert_action(&out, &result, service, action);
    }
    let invoke = out.assert_result(INVOKE, "fail", "access-denied");
    assert_action(&out, &invoke, INVOKE, "lambda:InvokeFunction");
}
