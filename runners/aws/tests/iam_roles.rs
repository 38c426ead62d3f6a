//! End-to-end: the execution role a remote runner creates for a run
//! (`netcheck_runner_aws::role`), against moto's IAM with an IAM-created admin user
//! (moto checks signatures and IAM policies after `reset-auth`).
//!
//! Issue 5: a created role carries the policy's permissions boundary and required tags.
//! Issue 4: it trusts lambda.amazonaws.com, carries exactly the given inline policy, is
//! found by run id for `netcheck cleanup`, is removed completely (twice is a no-op),
//! and a failure half-way leaves nothing behind.
//!
//! What each emulator supports (measured with moto 5.2.5, ministack 1.5.33): both store
//! and return permissions boundaries, tags, trust and inline policies, and refuse to
//! delete a role that still has policies. Only moto refuses to attach a managed policy
//! that does not exist (ministack accepts any ARN), so the rollback test runs on moto;
//! only ministack refuses a permissions boundary that does not exist (moto stores any
//! well-formed ARN), so that test runs on ministack.
//!
//! Run: `cargo test -p netcheck-runner-aws --test iam_roles`. Talks only to 127.0.0.1.

use netcheck_test_support as support;

use std::collections::BTreeMap;
use std::path::Path;

use netcheck_policy::Policy;
use netcheck_runner_aws::aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextMut;
use netcheck_runner_aws::aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use netcheck_runner_aws::aws_sdk_iam::{self, Client};
use netcheck_runner_aws::role::{
    INLINE_POLICY_NAME, MANAGED_TAG, ROLE_PATH, RUN_ID_TAG, RoleRequest, create_role, delete_role,
    find_managed_roles, role_name,
};
use serde_json::{Value, json};
use support::emulators::{Emulator, Ministack, Moto, allow_only};

/// The policy of issue 5's test: a boundary and one required tag.
const POLICY: &str = "[iam]\n\
    permissions_boundary = \"arn:aws:iam::123456789012:policy/NetcheckBoundary\"\n\
    required_tags = { team = \"platform\" }\n";

/// An IAM client for the emulator, signing with `keys` (explicit config: no credential
/// chain, no instance metadata).
fn iam(emu: &dyn Emulator, keys: &support::emulators::Keys) -> Client {
    let config = aws_sdk_iam::Config::builder()
        .interceptor(FormSpacesAsPlus)
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(emu.endpoint())
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            &keys.access_key_id,
            &keys.secret_access_key,
            None,
            None,
            "iam_roles test",
        ))
        .build();
    Client::from_conf(config)
}

/// moto checks a form body's signature against the body it re-encodes from the parsed
/// form (Python's `urlencode`: a space becomes `+`), while the Rust SDK encodes a space
/// as `%20`; any parameter with a space (the role's description) then fails with
/// `SignatureDoesNotMatch`. Both spellings are valid form encoding and AWS accepts
/// either, so the test client sends `+` (before signing, so the signature covers it).
#[derive(Debug)]
struct FormSpacesAsPlus;

impl Intercept for FormSpacesAsPlus {
    fn name(&self) -> &'static str {
        "FormSpacesAsPlus"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        let Some(body) = request.body().bytes() else {
            return Ok(());
        };
        let body = String::from_utf8_lossy(body).replace("%20", "+");
        let length = body.len().to_string();
        *request.body_mut() = body.into();
        if request.headers().contains_key("content-length") {
            request.headers_mut().insert("content-length", length);
        }
        Ok(())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a tokio runtime")
}

/// The inline policy `netcheck iam-policy` prints for a KMS and an SSM check.
fn inline_policy() -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "NetcheckProbes",
            "Effect": "Allow",
            "Action": ["kms:ListKeys", "ssm:DescribeParameters"],
            "Resource": "*",
        }],
    })
}

/// A role request built from the administrator's policy, as the lambda runner will.
fn request_from(policy: &Policy, run_id: &str, managed: Vec<String>) -> RoleRequest {
    let required = policy.iam_requirements();
    RoleRequest {
        run_id: run_id.to_string(),
        trust_service: "lambda.amazonaws.com".to_string(),
        managed_policies: managed,
        inline_policy: inline_policy(),
        permissions_boundary: required.boundary.clone(),
        tags: required.tags.clone(),
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986); emulators may not.
fn document(text: &str) -> Value {
    if let Ok(doc) = serde_json::from_str(text) {
        return doc;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("policy document {text}: {e}"))
}

/// A customer-managed policy allowing `action`, created by the admin; returns its ARN.
async fn managed_policy(iam: &Client, name: &str, action: &str) -> String {
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": action, "Resource": "*" }],
    });
    let out = iam
        .create_policy()
        .policy_name(name)
        .policy_document(doc.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating policy {name}: {e:?}"));
    out.policy()
        .and_then(|p| p.arn())
        .unwrap_or_else(|| panic!("policy {name} has no ARN"))
        .to_string()
}

async fn role_exists(iam: &Client, name: &str) -> bool {
    match iam.get_role().role_name(name).send().await {
        Ok(_) => true,
        Err(e) => {
            let code = e
                .as_service_error()
                .map(|s| s.is_no_such_entity_exception());
            assert_eq!(code, Some(true), "GetRole {name}: {e:?}");
            false
        }
    }
}

/// Issue 5's test, and the lifecycle the lambda runner relies on.
#[test]
fn a_created_role_carries_boundary_tags_trust_and_inline_policy_and_is_removed() {
    let moto = Moto::start();
    let iam = iam(&moto, moto.admin());
    let policy =
        Policy::from_toml(POLICY, Path::new("policy.toml")).unwrap_or_else(|e| panic!("{e}"));
    runtime().block_on(async {
        let boundary = managed_policy(&iam, "NetcheckBoundary", "*").await;
        assert_eq!(
            Some(boundary.as_str()),
            policy.iam_requirements().boundary.as_deref()
        );
        let logs = managed_policy(&iam, "NetcheckTestLogs", "logs:CreateLogStream").await;
        let run_id = "r-lifecycle-1";
        let req = request_from(&policy, run_id, vec![logs.clone()]);
        let tags = req.applied_tags().unwrap_or_else(|e| panic!("{e}"));
        assert!(policy.check_tags(&tags).is_ok(), "{tags:?}");

        let created = create_role(&iam, &req)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let name = role_name(run_id);
        assert_eq!(created.name, name);
        assert!(
            created.arn.ends_with(&format!(":role/netcheck/{name}")),
            "{}",
            created.arn
        );

        let role = iam
            .get_role()
            .role_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetRole: {e:?}"))
            .role
            .unwrap_or_else(|| panic!("GetRole returned no role"));
        assert_eq!(role.path(), ROLE_PATH);
        assert_eq!(
            role.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn()),
            Some(boundary.as_str()),
            "{role:?}"
        );
        let trust = document(role.assume_role_policy_document().unwrap_or_default());
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"], "lambda.amazonaws.com",
            "{trust}"
        );
        assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");

        let listed: BTreeMap<String, String> = iam
            .list_role_tags()
            .role_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListRoleTags: {e:?}"))
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let want: BTreeMap<String, String> = [
            ("team", "platform"),
            (RUN_ID_TAG, run_id),
            (MANAGED_TAG, "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(listed, want);

        let attached: Vec<String> = iam
            .list_attached_role_policies()
            .role_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListAttachedRolePolicies: {e:?}"))
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(String::from))
            .collect();
        assert_eq!(attached, std::slice::from_ref(&logs));
        let inline = iam
            .get_role_policy()
            .role_name(&name)
            .policy_name(INLINE_POLICY_NAME)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetRolePolicy: {e:?}"));
        assert_eq!(document(inline.policy_document()), inline_policy());

        // Another run's role, and a role under /netcheck/ that netcheck did not create.
        let other = create_role(&iam, &request_from(&policy, "r-other-2", vec![]))
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let foreign = "netcheck-users-own-role";
        iam.create_role()
            .role_name(foreign)
            .path(ROLE_PATH)
            .assume_role_policy_document(req.trust_policy().to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating {foreign}: {e:?}"));

        let found = find_managed_roles(&iam, Some(run_id)).await;
        assert_eq!(found.ok(), Some(vec![name.clone()]));
        let all = find_managed_roles(&iam, None).await;
        assert_eq!(all.ok(), Some(vec![name.clone(), other.name.clone()]));

        let refused = delete_role(&iam, foreign).await.unwrap_err().to_string();
        assert!(refused.contains("refusing to delete IAM role"), "{refused}");
        assert!(
            role_exists(&iam, foreign).await,
            "a foreign role was deleted"
        );

        let removed = delete_role(&iam, &name)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(
            removed,
            [
                format!("policy-attachment {name} {logs}"),
                format!("inline-policy {name}/{INLINE_POLICY_NAME}"),
                format!("role {name}"),
            ]
        );
        assert!(!role_exists(&iam, &name).await, "the role is still there");
        assert_eq!(
            find_managed_roles(&iam, Some(run_id)).await.ok(),
            Some(vec![])
        );
        let again = delete_role(&iam, &name).await;
        assert_eq!(again.ok(), Some(vec![]), "a second delete is a no-op");
        // The managed policy was detached, not deleted.
        assert!(iam.get_policy().policy_arn(&logs).send().await.is_ok());
        assert!(role_exists(&iam, &other.name).await);
    });
}

/// A step after CreateRole fails — a managed policy that does not exist, or a caller
/// not allowed to put the inline policy — and the half-created role is removed.
#[test]
fn a_failure_half_way_leaves_no_role_behind() {
    let moto = Moto::start();
    let admin = iam(&moto, moto.admin());
    let policy =
        Policy::from_toml(POLICY, Path::new("policy.toml")).unwrap_or_else(|e| panic!("{e}"));
    runtime().block_on(async {
        let exists = managed_policy(&admin, "NetcheckTestExists", "logs:CreateLogStream").await;
        let missing = "arn:aws:iam::123456789012:policy/NetcheckDoesNotExist";
        let req = request_from(&policy, "r-fail-1", vec![exists, missing.to_string()]);
        let e = format!("{:#}", create_role(&admin, &req).await.unwrap_err());
        for part in [
            "attaching managed policy `arn:aws:iam::123456789012:policy/NetcheckDoesNotExist`",
            "netcheck-r-fail-1-exec",
            "iam:AttachRolePolicy",
            "NoSuchEntity",
            "the half-created role was removed again",
        ] {
            assert!(e.contains(part), "`{part}` missing: {e}");
        }
        assert!(!role_exists(&admin, &req.role_name()).await);
        assert_eq!(
            find_managed_roles(&admin, Some("r-fail-1")).await.ok(),
            Some(vec![])
        );

        // A caller who may create and delete roles but not put inline policies.
        let limited = moto.create_user(
            "role-maker",
            &allow_only(&[
                "iam:CreateRole",
                "iam:TagRole",
                "iam:AttachRolePolicy",
                "iam:GetRole",
                "iam:ListAttachedRolePolicies",
                "iam:DetachRolePolicy",
                "iam:ListRolePolicies",
                "iam:DeleteRolePolicy",
                "iam:ListInstanceProfilesForRole",
                "iam:DeleteRole",
            ]),
        );
        let limited = iam(&moto, &limited);
        let req = request_from(&policy, "r-fail-2", vec![]);
        let e = format!("{:#}", create_role(&limited, &req).await.unwrap_err());
        for part in [
            "putting inline policy",
            "AWS refused iam:PutRolePolicy (AccessDenied",
            "the caller needs `iam:PutRolePolicy`",
            "the half-created role was removed again",
        ] {
            assert!(e.contains(part), "`{part}` missing: {e}");
        }
        assert!(!role_exists(&admin, &req.role_name()).await);
    });
}

/// ministack checks that the permissions boundary exists: the error names the call and
/// the role, and nothing is created; with the boundary in place the role carries it.
#[test]
fn ministack_refuses_a_boundary_that_does_not_exist() {
    let ministack = Ministack::start();
    let iam = iam(&ministack, ministack.admin());
    let policy = Policy::from_toml(
        &POLICY.replace("123456789012", "000000000000"),
        Path::new("policy.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    runtime().block_on(async {
        let req = request_from(&policy, "r-boundary-1", vec![]);
        let e = format!("{:#}", create_role(&iam, &req).await.unwrap_err());
        for part in [
            "creating IAM role `netcheck-r-boundary-1-exec`",
            "iam:CreateRole",
            "NoSuchEntity",
            "NetcheckBoundary",
        ] {
            assert!(e.contains(part), "`{part}` missing: {e}");
        }
        assert!(!role_exists(&iam, &req.role_name()).await);

        let boundary = managed_policy(&iam, "NetcheckBoundary", "*").await;
        let created = create_role(&iam, &req)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let role = iam
            .get_role()
            .role_name(&created.name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetRole: {e:?}"))
            .role
            .unwrap_or_else(|| panic!("GetRole returned no role"));
        assert_eq!(
            role.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn()),
            Some(boundary.as_str())
        );
        assert_eq!(
            find_managed_roles(&iam, Some("r-boundary-1")).await.ok(),
            Some(vec![created.name.clone()])
        );
        let removed = delete_role(&iam, &created.name)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(removed.last(), Some(&format!("role {}", created.name)));
        assert!(!role_exists(&iam, &created.name).await);
    });
}
