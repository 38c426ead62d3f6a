//! The per-run execution role: created with the policy's permissions boundary and tags,
//! a trust policy for one AWS service, managed policies and one inline policy (exactly
//! `netcheck iam-policy` for the plan) — and removed again without leaving anything.
//!
//! Names and markers: the role is `netcheck-<run id>-exec` under path [`ROLE_PATH`],
//! tagged [`RUN_ID_TAG`]`=<run id>` and [`MANAGED_TAG`]`=true` besides the policy's
//! required tags; the inline policy is [`INLINE_POLICY_NAME`].
//!
//! IAM actions used: `iam:CreateRole`, `iam:TagRole` (tags on create),
//! `iam:AttachRolePolicy`, `iam:PutRolePolicy` to create; `iam:GetRole`,
//! `iam:ListAttachedRolePolicies`, `iam:DetachRolePolicy`, `iam:ListRolePolicies`,
//! `iam:DeleteRolePolicy`, `iam:ListInstanceProfilesForRole`,
//! `iam:RemoveRoleFromInstanceProfile`, `iam:DeleteRole` to delete; `iam:ListRoles`,
//! `iam:ListRoleTags` to find.

use std::collections::BTreeMap;

use anyhow::bail;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::{Role, Tag};
use serde_json::{Value, json};

use crate::aws_error::{describe, is_no_such_entity, unless_gone};

/// The IAM path of every role netcheck creates.
pub const ROLE_PATH: &str = "/netcheck/";
/// Tag carrying the run id.
pub const RUN_ID_TAG: &str = "netcheck:run-id";
/// Tag marking resources netcheck created (value `true`); only these are ever deleted.
pub const MANAGED_TAG: &str = "netcheck:managed";
/// The name of the role's inline policy.
pub const INLINE_POLICY_NAME: &str = "netcheck-checks";

const NAME_PREFIX: &str = "netcheck-";
const NAME_SUFFIX: &str = "-exec";
/// IAM role names are at most 64 characters.
const MAX_RUN_ID_LEN: usize = 64 - NAME_PREFIX.len() - NAME_SUFFIX.len();

/// What to create for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRequest {
    /// The run id; in the role name and the [`RUN_ID_TAG`] tag. At most 50 characters
    /// of letters, digits and `+=,.@_-`.
    pub run_id: String,
    /// The service principal allowed to assume the role, e.g. `lambda.amazonaws.com`.
    pub trust_service: String,
    /// Managed policy ARNs to attach.
    pub managed_policies: Vec<String>,
    /// The inline policy document (`netcheck iam-policy` for the plan).
    pub inline_policy: Value,
    /// The permissions boundary the administrator's policy requires, if any.
    pub permissions_boundary: Option<String>,
    /// The tags the administrator's policy requires.
    pub tags: BTreeMap<String, String>,
}

/// A role [`create_role`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedRole {
    pub name: String,
    pub arn: String,
    /// The managed policy ARNs attached.
    pub managed_policies: Vec<String>,
    /// The inline policy's name ([`INLINE_POLICY_NAME`]).
    pub inline_policy: String,
}

/// `netcheck-<run_id>-exec`.
pub fn role_name(run_id: &str) -> String {
    format!("{NAME_PREFIX}{run_id}{NAME_SUFFIX}")
}

impl RoleRequest {
    /// The role's name, `netcheck-<run_id>-exec`.
    pub fn role_name(&self) -> String {
        role_name(&self.run_id)
    }

    /// Every tag the role gets: the required ones plus [`RUN_ID_TAG`] and [`MANAGED_TAG`].
    /// Refused when a required tag would overwrite one of netcheck's own with another value.
    pub fn applied_tags(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut tags = self.tags.clone();
        for (key, value) in [(RUN_ID_TAG, self.run_id.as_str()), (MANAGED_TAG, "true")] {
            match tags.insert(key.to_string(), value.to_string()) {
                Some(required) if required != value => bail!(
                    "the policy's required tag `{key}={required}` clashes with netcheck's own \
                     `{key}={value}` for role `{}`: netcheck sets `{key}` itself, so remove it \
                     from `[iam] required_tags` in the policy file",
                    self.role_name()
                ),
                _ => {}
            }
        }
        Ok(tags)
    }

    /// The trust policy letting [`RoleRequest::trust_service`] assume the role.
    pub fn trust_policy(&self) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "Service": self.trust_service },
                "Action": "sts:AssumeRole",
            }],
        })
    }

    /// Everything that can be checked without calling AWS.
    fn validate(&self) -> anyhow::Result<()> {
        let id = &self.run_id;
        let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if id.is_empty() || id.len() > MAX_RUN_ID_LEN || !id.chars().all(allowed) {
            bail!(
                "run id `{id}` cannot name an IAM role: it must be 1 to {MAX_RUN_ID_LEN} \
                 letters, digits or `+=,.@_-` (the role is `{NAME_PREFIX}<run id>{NAME_SUFFIX}`)"
            );
        }
        if self.trust_service.is_empty() || self.trust_service.contains(char::is_whitespace) {
            bail!(
                "role `{}`: trust service `{}` is not a service principal such as \
                 `lambda.amazonaws.com`",
                self.role_name(),
                self.trust_service
            );
        }
        if !self.inline_policy.is_object() {
            bail!(
                "role `{}`: the inline policy must be a JSON object (the `netcheck iam-policy` \
                 document), not `{}`",
                self.role_name(),
                self.inline_policy
            );
        }
        Ok(())
    }
}

/// Creates the run's role: name `netcheck-<run_id>-exec`, path [`ROLE_PATH`], a trust
/// policy for the service, the permissions boundary when set, the required tags plus
/// netcheck's own; then attaches the managed policies and puts the inline policy.
///
/// When a step after `CreateRole` fails, the role and whatever was attached are removed
/// before the error is returned (the error says whether that worked).
pub async fn create_role(iam: &Client, req: &RoleRequest) -> anyhow::Result<CreatedRole> {
    req.validate()?;
    let name = req.role_name();
    let tags = req.applied_tags()?;
    let mut create = iam
        .create_role()
        .role_name(&name)
        .path(ROLE_PATH)
        .assume_role_policy_document(req.trust_policy().to_string())
        .description(format!(
            "netcheck run {}: execution role for {}; removed by the run or by \
             `netcheck cleanup --run-id {}`",
            req.run_id, req.trust_service, req.run_id
        ))
        .set_permissions_boundary(req.permissions_boundary.clone());
    for (key, value) in &tags {
        create = create.tags(Tag::builder().key(key).value(value).build()?);
    }
    let doing = format!("creating IAM role `{name}`");
    let created = create
        .send()
        .await
        .map_err(|e| describe(e, "iam:CreateRole", &doing))?;
    let arn = created
        .role()
        .map(|r| r.arn().to_string())
        .unwrap_or_default();
    tracing::info!(role = %name, %arn, "created IAM role");

    // From here on the role exists: any failure removes it again.
    if let Err(cause) = attach_policies(iam, req, &name).await {
        return Err(match remove_role(iam, &name).await {
            Ok(removed) => {
                tracing::info!(role = %name, ?removed, "removed the half-created role");
                anyhow::anyhow!("{cause:#}; the half-created role was removed again")
            }
            Err(cleanup) => anyhow::anyhow!(
                "{cause:#}; removing the half-created role `{name}` also failed: {cleanup:#}; \
                 remove it with `netcheck cleanup --run-id {}`",
                req.run_id
            ),
        });
    }
    Ok(CreatedRole {
        name,
        arn,
        managed_policies: req.managed_policies.clone(),
        inline_policy: INLINE_POLICY_NAME.to_string(),
    })
}

/// The steps after `CreateRole`: managed policies, then the inline policy.
async fn attach_policies(iam: &Client, req: &RoleRequest, name: &str) -> anyhow::Result<()> {
    for arn in &req.managed_policies {
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| {
                describe(
                    e,
                    "iam:AttachRolePolicy",
                    &format!("attaching managed policy `{arn}` to IAM role `{name}`"),
                )
            })?;
    }
    iam.put_role_policy()
        .role_name(name)
        .policy_name(INLINE_POLICY_NAME)
        .policy_document(req.inline_policy.to_string())
        .send()
        .await
        .map_err(|e| {
            describe(
                e,
                "iam:PutRolePolicy",
                &format!("putting inline policy `{INLINE_POLICY_NAME}` on IAM role `{name}`"),
            )
        })?;
    Ok(())
}

/// Deletes the netcheck-managed role `name`: detaches its managed policies, deletes its
/// inline policies, takes it out of instance profiles, deletes it. Idempotent: a role
/// that is already gone (`NoSuchEntity`) is not an error.
///
/// Returns what was removed, one line each: `policy-attachment <role> <policy arn>`,
/// `inline-policy <role>/<policy>`, `instance-profile-membership <role> <profile>`,
/// `role <role arn>`. Refuses roles netcheck did not create (path other than
/// [`ROLE_PATH`] or no [`MANAGED_TAG`]`=true`): a role a user named is never touched.
pub async fn delete_role(iam: &Client, name: &str) -> anyhow::Result<Vec<String>> {
    let role = match iam.get_role().role_name(name).send().await {
        Ok(out) => out.role,
        Err(e) if is_no_such_entity(&e) => return Ok(Vec::new()),
        Err(e) => {
            return Err(describe(
                e,
                "iam:GetRole",
                &format!("looking up IAM role `{name}` before deleting it"),
            ));
        }
    };
    if let Some(role) = &role {
        check_managed(role)?;
    }
    remove_role(iam, name).await
}

/// Refuses to delete a role netcheck did not create.
fn check_managed(role: &Role) -> anyhow::Result<()> {
    let managed = role
        .tags()
        .iter()
        .any(|t| t.key() == MANAGED_TAG && t.value() == "true");
    if role.path() != ROLE_PATH || !managed {
        bail!(
            "refusing to delete IAM role `{}` ({}): netcheck only deletes roles it created \
             (path {ROLE_PATH} and tag {MANAGED_TAG}=true); this one has path {} and {}",
            role.role_name(),
            role.arn(),
            role.path(),
            if managed { "the tag" } else { "no such tag" }
        );
    }
    Ok(())
}

/// Removes the role and everything attached to it, without the ownership check
/// (used directly only for a role this process just created).
async fn remove_role(iam: &Client, name: &str) -> anyhow::Result<Vec<String>> {
    let mut removed = Vec::new();
    let doing = |what: &str| format!("deleting IAM role `{name}`: {what}");
    // Every step tolerates "already gone": a listing that finds no role ends the job, a
    // detach or delete of something removed meanwhile is skipped (DeleteRole settles it).

    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let Some(attached) = unless_gone(attached, "iam:ListAttachedRolePolicies", || {
        doing("listing its managed policies")
    })?
    else {
        return Ok(removed);
    };
    for arn in attached.iter().filter_map(|p| p.policy_arn()) {
        let detached = iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await;
        if unless_gone(detached, "iam:DetachRolePolicy", || {
            doing(&format!("detaching `{arn}`"))
        })?
        .is_some()
        {
            removed.push(format!("policy-attachment {name} {arn}"));
        }
    }

    let inline = iam
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let Some(inline) = unless_gone(inline, "iam:ListRolePolicies", || {
        doing("listing its inline policies")
    })?
    else {
        return Ok(removed);
    };
    for policy in &inline {
        let deleted = iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await;
        let what = || doing(&format!("deleting inline policy `{policy}`"));
        if unless_gone(deleted, "iam:DeleteRolePolicy", what)?.is_some() {
            removed.push(format!("inline-policy {name}/{policy}"));
        }
    }

    let profiles = iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let Some(profiles) = unless_gone(profiles, "iam:ListInstanceProfilesForRole", || {
        doing("listing its instance profiles")
    })?
    else {
        return Ok(removed);
    };
    for profile in profiles.iter().map(|p| p.instance_profile_name()) {
        let taken_out = iam
            .remove_role_from_instance_profile()
            .role_name(name)
            .instance_profile_name(profile)
            .send()
            .await;
        let what = || doing(&format!("taking it out of instance profile `{profile}`"));
        if unless_gone(taken_out, "iam:RemoveRoleFromInstanceProfile", what)?.is_some() {
            removed.push(format!("instance-profile-membership {name} {profile}"));
        }
    }

    let deleted = iam.delete_role().role_name(name).send().await;
    if unless_gone(deleted, "iam:DeleteRole", || doing("deleting the role"))?.is_some() {
        removed.push(format!("role {name}"));
        tracing::info!(role = %name, "deleted IAM role");
    }
    Ok(removed)
}

/// Names of the netcheck-managed roles (path [`ROLE_PATH`], tag [`MANAGED_TAG`]`=true`),
/// sorted; only those of run `run_id` when given. For `netcheck cleanup`.
pub async fn find_managed_roles(iam: &Client, run_id: Option<&str>) -> anyhow::Result<Vec<String>> {
    let roles = iam
        .list_roles()
        .path_prefix(ROLE_PATH)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            describe(
                e,
                "iam:ListRoles",
                &format!("listing IAM roles under path {ROLE_PATH}"),
            )
        })?;
    let mut found = Vec::new();
    for role in &roles {
        let name = role.role_name();
        // ListRoles does not return tags on AWS: ask per role.
        let tags = iam
            .list_role_tags()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let tags: BTreeMap<String, String> = match tags {
            Ok(tags) => tags
                .into_iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            // Deleted since it was listed.
            Err(e) if is_no_such_entity(&e) => continue,
            Err(e) => {
                let what = format!("reading the tags of IAM role `{name}`");
                return Err(describe(e, "iam:ListRoleTags", &what));
            }
        };
        let managed = tags.get(MANAGED_TAG).is_some_and(|v| v == "true");
        let of_run = run_id.is_none_or(|id| tags.get(RUN_ID_TAG).is_some_and(|v| v == id));
        if managed && of_run {
            found.push(name.to_string());
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(run_id: &str) -> RoleRequest {
        RoleRequest {
            run_id: run_id.to_string(),
            trust_service: "lambda.amazonaws.com".to_string(),
            managed_policies: vec![],
            inline_policy: json!({"Version": "2012-10-17", "Statement": []}),
            permissions_boundary: None,
            tags: BTreeMap::from([("team".to_string(), "platform".to_string())]),
        }
    }

    /// A client whose every call would fail (nothing listens on port 9 of loopback).
    fn unreachable_client() -> Client {
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "AKIDUNITTEST",
                "unit-test-secret",
                None,
                None,
                "unit test",
            ))
            .build();
        Client::from_conf(config)
    }

    #[test]
    fn names_tags_and_trust_follow_the_run() {
        let req = request("r-42");
        assert_eq!(req.role_name(), "netcheck-r-42-exec");
        let tags = req.applied_tags().unwrap_or_default();
        assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
        assert_eq!(tags.get(RUN_ID_TAG).map(String::as_str), Some("r-42"));
        assert_eq!(tags.get(MANAGED_TAG).map(String::as_str), Some("true"));
        assert_eq!(tags.len(), 3);
        let trust = req.trust_policy();
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            "lambda.amazonaws.com"
        );
        assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
    }

    #[test]
    fn a_required_tag_may_not_change_netchecks_own() {
        let mut req = request("r-42");
        req.tags.insert(MANAGED_TAG.to_string(), "true".to_string());
        assert!(req.applied_tags().is_ok(), "same value is fine");
        req.tags.insert(RUN_ID_TAG.to_string(), "other".to_string());
        let e = req.applied_tags().unwrap_err().to_string();
        assert!(e.contains("`netcheck:run-id=other`"), "{e}");
        assert!(e.contains("required_tags"), "{e}");
    }

    #[tokio::test]
    async fn bad_requests_are_refused_before_any_call() {
        let iam = unreachable_client();
        let long = "x".repeat(MAX_RUN_ID_LEN + 1);
        for (req, want) in [
            (request(""), "run id ``"),
            (request("has space"), "run id `has space`"),
            (request(&long), "1 to 50"),
            (
                RoleRequest {
                    inline_policy: json!("kms:ListKeys"),
                    ..request("ok")
                },
                "must be a JSON object",
            ),
            (
                RoleRequest {
                    trust_service: String::new(),
                    ..request("ok")
                },
                "service principal",
            ),
        ] {
            let e = create_role(&iam, &req).await.unwrap_err().to_string();
            assert!(e.contains(want), "want `{want}` in: {e}");
            assert!(!e.contains("before AWS answered"), "no call expected: {e}");
        }
        assert_eq!(role_name(&"x".repeat(MAX_RUN_ID_LEN)).len(), 64);
    }

    #[tokio::test]
    async fn an_unreachable_iam_is_named_in_the_error() {
        let e = create_role(&unreachable_client(), &request("r-1"))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("creating IAM role `netcheck-r-1-exec`"), "{e}");
        assert!(
            e.contains("iam:CreateRole failed before AWS answered"),
            "{e}"
        );
    }
}
