//! The lambda runner's control-plane steps, through the libraries, against real emulators
//! — the flows the CLI end-to-end tests (tests/lambda_runner.rs) cannot reach:
//!
//! - moto answers CreateFunction for a role that does not exist (yet) with the very text
//!   AWS gives while a new role propagates through IAM ("The role defined for the function
//!   cannot be assumed by Lambda."): the runner retries until the role appears, and gives
//!   up after its bound with an explanation;
//! - ministack keeps a network interface in a security group: the runner's deletion waits
//!   while DescribeNetworkInterfaces lists it, deletes once it is gone, and fails with the
//!   interface named when it stays; a security group netcheck did not tag is never deleted.
//!
//! Needs the test venv: `scripts/setup.sh`. Run: `cargo test -p netcheck-runner-lambda --test control_plane`.

use netcheck_test_support as support;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use netcheck_runner_aws::network::{EniWait, create_security_group, delete_security_group};
use netcheck_runner_lambda::deploy::{FunctionSpec, Waits, function};
use netcheck_runner_lambda::{Arch, Ledger, Package};
use support::emulators::{Emulator, Keys, Ministack, Moto};

fn sdk(emu: &dyn Emulator, keys: &Keys) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emu.endpoint())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    &keys.access_key_id,
                    &keys.secret_access_key,
                    None,
                    None,
                    "lambda_control_plane test",
                ),
            ),
        )
        .build()
}

/// A tiny deployment package (moto stores it; it never runs).
fn package() -> Package {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("bootstrap", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"#!/bin/sh\n").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    Package {
        zip: bytes,
        arch: Arch::X86_64,
        sha256: "0".repeat(64),
        bootstrap: "test".into(),
    }
}

/// Collects progress messages.
#[derive(Clone, Default)]
struct Heard(Arc<Mutex<Vec<String>>>);

impl Heard {
    fn say(&self) -> impl Fn(&str) + Send + Sync + '_ {
        move |m: &str| self.0.lock().unwrap().push(m.to_string())
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn spec<'a>(
    role_arn: &'a str,
    package: &'a Package,
    tags: &'a BTreeMap<String, String>,
) -> FunctionSpec<'a> {
    FunctionSpec {
        run_id: "20261123-170000-0c0c",
        name: "netcheck-20261123-170000-0c0c-us-east-1".to_string(),
        role_arn,
        package,
        subnet: None,
        security_groups: &[],
        memory_mb: 256,
        timeout_s: 60,
        required_tags: tags,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_function_retries_while_the_role_propagates_then_gives_up_with_a_reason() {
    let emu = Moto::start();
    let config = sdk(&emu, emu.admin());
    let package = package();
    let tags = BTreeMap::new();
    let role_arn = "arn:aws:iam::123456789012:role/arrives-late";

    // The role appears three seconds after the first refusal.
    let iam = netcheck_runner_aws::iam_client(&config);
    let make_role = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        iam.create_role()
            .role_name("arrives-late")
            .assume_role_policy_document(trust)
            .send()
            .await
            .expect("creating the late role")
    });
    let heard = Heard::default();
    let ledger = Ledger::new();
    let waits = Waits {
        iam_propagation: Duration::from_secs(60),
        function_active: Duration::from_secs(30),
    };
    let spec_ = spec(role_arn, &package, &tags);
    let arn = function(
        &config,
        &spec_,
        waits,
        &ledger,
        &heard.say(),
        std::future::pending(),
    )
    .await
    .expect("created once the role exists");
    make_role.await.unwrap();
    assert!(
        arn.ends_with(":function:netcheck-20261123-170000-0c0c-us-east-1"),
        "{arn}"
    );
    let retries: Vec<String> = heard
        .all()
        .into_iter()
        .filter(|m| m.starts_with("role not yet usable by Lambda"))
        .collect();
    assert!(
        !retries.is_empty(),
        "the retry is explained: {:?}",
        heard.all()
    );
    assert_eq!(
        ledger.created_labels(),
        vec![arn.clone()],
        "recorded for cleanup"
    );

    // A role that never appears: bounded, and the error says what to check.
    let mut never = spec("arn:aws:iam::123456789012:role/never", &package, &tags);
    never.name = "netcheck-20261123-170000-0c0c-eu-west-1".into();
    let short = Waits {
        iam_propagation: Duration::from_secs(3),
        ..waits
    };
    let err = function(
        &config,
        &never,
        short,
        &ledger,
        &heard.say(),
        std::future::pending(),
    )
    .await
    .expect_err("gives up");
    let text = format!("{err:#}");
    assert!(
        text.contains("still refuses role arn:aws:iam::123456789012:role/never")
            && text.contains("cannot be assumed by Lambda")
            && text.contains("trust policy allows lambda.amazonaws.com"),
        "{text}"
    );
    assert_eq!(
        ledger.created_labels().len(),
        1,
        "nothing recorded for the failure"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn security_groups_are_deleted_only_once_their_interfaces_are_gone() {
    let emu = Ministack::start();
    let config = sdk(&emu, emu.admin());
    let ec2 = netcheck_runner_aws::ec2_client(&config);
    let tags = BTreeMap::new();
    let group = create_security_group(&ec2, "20261123-170000-0e0e", "vpc-00000001", &tags)
        .await
        .expect("security group");
    let interface = ec2
        .create_network_interface()
        .subnet_id("subnet-00000001")
        .groups(&group)
        .description("AWS Lambda VPC ENI-netcheck (stand-in)")
        .send()
        .await
        .expect("network interface")
        .network_interface
        .and_then(|i| i.network_interface_id)
        .expect("interface id");

    // While the interface stays, deletion waits and then fails naming it.
    let heard = Heard::default();
    let short = EniWait {
        max: Duration::from_secs(2),
        poll: Duration::from_millis(300),
    };
    let err = delete_security_group(&ec2, &group, short, &heard.say())
        .await
        .expect_err("still in use");
    let text = format!("{err:#}");
    assert!(
        text.contains(&format!("{group} is still in use")) && text.contains(&interface),
        "{text}"
    );
    assert!(text.contains("netcheck cleanup"), "{text}");
    assert!(!heard.all().is_empty(), "the wait is reported");

    // Released a moment later (as Lambda does): deletion waits, then removes the group.
    let ec2_bg = ec2.clone();
    let interface_bg = interface.clone();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        ec2_bg
            .delete_network_interface()
            .network_interface_id(interface_bg)
            .send()
            .await
            .expect("deleting the interface");
    });
    let heard = Heard::default();
    let patient = EniWait {
        max: Duration::from_secs(60),
        poll: Duration::from_millis(300),
    };
    let removed = delete_security_group(&ec2, &group, patient, &heard.say())
        .await
        .expect("deleted once released");
    release.await.unwrap();
    assert_eq!(removed, vec![group.clone()]);
    assert!(
        heard
            .all()
            .iter()
            .any(|m| m.contains("network interface(s) to release")),
        "{:?}",
        heard.all()
    );
    // Idempotent: gone is fine.
    let again = delete_security_group(&ec2, &group, patient, &heard.say())
        .await
        .expect("already gone");
    assert!(again.is_empty());

    // A group netcheck did not create (no managed tag) is refused.
    let foreign = ec2
        .create_security_group()
        .group_name("someone-elses")
        .description("not netcheck's")
        .vpc_id("vpc-00000001")
        .send()
        .await
        .expect("foreign group")
        .group_id
        .expect("id");
    let err = delete_security_group(&ec2, &foreign, patient, &heard.say())
        .await
        .expect_err("refused");
    assert!(
        format!("{err:#}").contains("lacks the `netcheck:managed=true` tag"),
        "{err:#}"
    );
}
