//! Removing what runs created: [`teardown`] removes what one run's [`Ledger`] recorded;
//! [`sweep`] (`netcheck cleanup`) finds leftovers of any run by tag — after a crash, a
//! `kill -9`, or `--keep` — and removes them. Both are idempotent: what is already gone
//! is skipped, and only resources tagged `netcheck:managed=true` are ever deleted.
//!
//! IAM actions used: `lambda:DeleteFunction`, `lambda:ListFunctions`, `lambda:ListTags`;
//! `logs:DeleteLogGroup`, `logs:DescribeLogGroups`, `logs:ListTagsForResource`; and the
//! role and security-group actions of `netcheck-runner-aws`.

use std::time::SystemTime;

use aws_config::SdkConfig;
use netcheck_runner_aws::aws_error::{describe, unless_gone};
use netcheck_runner_aws::network::{EniWait, delete_security_group, find_managed_security_groups};
use netcheck_runner_aws::role::{MANAGED_TAG, RUN_ID_TAG, delete_role, find_managed_roles};

use crate::ledger::{Ledger, Resource};
use crate::names;

/// Removes everything in the ledger, functions first and the role last. Failures are
/// recorded in the ledger (`left_behind`) and do not stop the rest.
pub async fn teardown(ledger: &Ledger, eni: EniWait, status: &(dyn Fn(&str) + Send + Sync)) {
    for resource in ledger.removal_order() {
        let label = resource.label();
        status(&format!("removing {label}"));
        match remove(&resource, eni, status).await {
            Ok(removed) => {
                for item in removed {
                    ledger.removed(item);
                }
                if let Resource::LogGroup { name, .. } = &resource
                    && let Some(function) = name.strip_prefix(names::log_group("").as_str())
                    && ledger.abandoned(function)
                {
                    ledger.left_behind(format!(
                        "{label}: may be recreated: function {function} was still running the \
                         plan when the run stopped waiting for it, and Lambda recreates a deleted \
                         log group (untagged) when the function logs; `netcheck cleanup --run-id \
                         {}` removes it once the function's timeout has passed",
                        names::run_id_of(function).unwrap_or("RUN-ID")
                    ));
                }
            }
            Err(e) => {
                tracing::warn!(resource = %label, error = %format!("{e:#}"), "cleanup failed");
                ledger.left_behind(format!("{label}: {e:#}"));
            }
        }
    }
}

/// Removes one resource; returns the labels of what was removed (empty when gone).
async fn remove(
    resource: &Resource,
    eni: EniWait,
    status: &(dyn Fn(&str) + Send + Sync),
) -> anyhow::Result<Vec<String>> {
    match resource {
        Resource::Function { sdk, name, arn } => {
            delete_function(sdk, name).await?;
            Ok(vec![arn.clone()])
        }
        Resource::LogGroup { sdk, name } => Ok(delete_log_group(sdk, name)
            .await?
            .then(|| resource.label())
            .into_iter()
            .collect()),
        Resource::SecurityGroup { sdk, id } => {
            let ec2 = netcheck_runner_aws::ec2_client(sdk);
            let removed = delete_security_group(&ec2, id, eni, status).await?;
            Ok(removed.iter().map(|_| resource.label()).collect())
        }
        Resource::Role { sdk, name, arn } => {
            let iam = netcheck_runner_aws::iam_client(sdk);
            let removed = delete_role(&iam, name).await?;
            Ok(if removed.is_empty() {
                Vec::new()
            } else {
                vec![arn.clone()]
            })
        }
    }
}

async fn delete_function(sdk: &SdkConfig, name: &str) -> anyhow::Result<bool> {
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let out = lambda.delete_function().function_name(name).send().await;
    Ok(unless_gone(out, "lambda:DeleteFunction", || {
        format!("deleting function {name}")
    })?
    .is_some())
}

async fn delete_log_group(sdk: &SdkConfig, name: &str) -> anyhow::Result<bool> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let out = logs.delete_log_group().log_group_name(name).send().await;
    Ok(unless_gone(out, "logs:DeleteLogGroup", || {
        format!("deleting log group {name}")
    })?
    .is_some())
}

/// Which runs' leftovers [`sweep`] removes.
#[derive(Debug, Clone)]
pub enum Selector {
    /// Only this run's.
    Run(String),
    /// Every run that started before this time (so a run in progress is left alone).
    StartedBefore(SystemTime),
}

impl Selector {
    fn matches(&self, run_id: &str) -> bool {
        match self {
            Selector::Run(id) => id == run_id,
            Selector::StartedBefore(t) => names::started(run_id).is_some_and(|s| s < *t),
        }
    }

    fn run_id(&self) -> Option<&str> {
        match self {
            Selector::Run(id) => Some(id),
            Selector::StartedBefore(_) => None,
        }
    }
}

/// Finds netcheck-managed functions, log groups and security groups in `sdk`'s region and
/// (when `roles` is set: once per account) roles, of the selected runs, and removes them
/// into `ledger`. Errors finding things are returned; errors removing one thing are
/// recorded and the sweep goes on.
pub async fn sweep(
    sdk: &SdkConfig,
    selector: &Selector,
    roles: bool,
    eni: EniWait,
    ledger: &Ledger,
    status: &(dyn Fn(&str) + Send + Sync),
) -> anyhow::Result<()> {
    let mut found: Vec<Resource> = Vec::new();
    for (name, arn) in managed_functions(sdk, selector).await? {
        found.push(Resource::Function {
            sdk: sdk.clone(),
            name,
            arn,
        });
    }
    for name in managed_log_groups(sdk, selector).await? {
        found.push(Resource::LogGroup {
            sdk: sdk.clone(),
            name,
        });
    }
    let ec2 = netcheck_runner_aws::ec2_client(sdk);
    for (id, run) in find_managed_security_groups(&ec2, selector.run_id()).await? {
        if selector.matches(&run) {
            found.push(Resource::SecurityGroup {
                sdk: sdk.clone(),
                id,
            });
        }
    }
    if roles {
        let iam = netcheck_runner_aws::iam_client(sdk);
        for name in find_managed_roles(&iam, selector.run_id()).await? {
            let run = name
                .strip_prefix("netcheck-")
                .and_then(|r| r.strip_suffix("-exec"))
                .unwrap_or_default();
            if selector.matches(run) {
                found.push(Resource::Role {
                    sdk: sdk.clone(),
                    arn: format!("role {name}"),
                    name,
                });
            }
        }
    }
    let sweep_ledger = Ledger::new();
    for r in found {
        sweep_ledger.record(r);
    }
    teardown(&sweep_ledger, eni, status).await;
    for r in sweep_ledger.removed_labels() {
        ledger.removed(r);
    }
    for r in sweep_ledger.left_labels() {
        ledger.left_behind(r);
    }
    Ok(())
}

/// Whether `tags` mark a resource netcheck created for run `run`.
fn managed_by_run(tags: Option<&std::collections::HashMap<String, String>>, run: &str) -> bool {
    let tag = |k: &str| tags.and_then(|t| t.get(k)).map(String::as_str);
    tag(MANAGED_TAG) == Some("true") && tag(RUN_ID_TAG) == Some(run)
}

/// `(name, arn)` of functions named `netcheck-<run id>-…` and tagged managed, of the
/// selected runs.
async fn managed_functions(
    sdk: &SdkConfig,
    selector: &Selector,
) -> anyhow::Result<Vec<(String, String)>> {
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let functions: Vec<_> = lambda
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| describe(e, "lambda:ListFunctions", "listing Lambda functions"))?;
    let mut out = Vec::new();
    for f in functions {
        let (Some(name), Some(arn)) = (f.function_name(), f.function_arn()) else {
            continue;
        };
        let Some(run) = names::run_id_of(name) else {
            continue;
        };
        if !selector.matches(run) {
            continue;
        }
        let tags = lambda.list_tags().resource(arn).send().await;
        let Some(tags) = unless_gone(tags, "lambda:ListTags", || {
            format!("reading the tags of function {name}")
        })?
        else {
            continue;
        };
        if managed_by_run(tags.tags(), run) {
            out.push((name.to_string(), arn.to_string()));
        }
    }
    Ok(out)
}

/// Names of log groups `/aws/lambda/netcheck-<run id>-…` of the selected runs, tagged
/// managed or carrying no tags at all (recreated by Lambda after a run deleted them).
async fn managed_log_groups(sdk: &SdkConfig, selector: &Selector) -> anyhow::Result<Vec<String>> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let prefix = match selector.run_id() {
        Some(id) => names::log_group(&format!("{}{id}", names::PREFIX)),
        None => names::log_group(names::PREFIX),
    };
    let groups: Vec<_> = logs
        .describe_log_groups()
        .log_group_name_prefix(&prefix)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| describe(e, "logs:DescribeLogGroups", "listing netcheck's log groups"))?;
    let mut out = Vec::new();
    for g in groups {
        let Some(name) = g.log_group_name() else {
            continue;
        };
        let Some(run) = names::run_id_of(name) else {
            continue;
        };
        if !selector.matches(run) {
            continue;
        }
        let arn = g
            .log_group_arn()
            .map(str::to_string)
            .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
            .unwrap_or_default();
        let tags = logs
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await;
        let Some(tags) = unless_gone(tags, "logs:ListTagsForResource", || {
            format!("reading the tags of log group {name}")
        })?
        else {
            continue;
        };
        // Untagged: Lambda recreated the group after the run deleted it (a function that
        // was still logging); the name, with its run id, is netcheck's.
        let recreated = tags.tags().is_none_or(|t| t.is_empty());
        if managed_by_run(tags.tags(), run) || recreated {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::Selector;

    #[test]
    fn all_spares_runs_younger_than_the_cut_off() {
        // 2026-11-23T16:01:02Z
        let started = UNIX_EPOCH + Duration::from_secs(1_795_449_662);
        let id = "20261123-160102-a1b2";
        let before = Selector::StartedBefore(started + Duration::from_secs(1));
        let after = Selector::StartedBefore(started - Duration::from_secs(1));
        assert!(before.matches(id), "older than the cut-off: removed");
        assert!(!after.matches(id), "a run in progress is left alone");
        assert!(!before.matches("not-a-run-id"), "foreign names never match");
        assert!(Selector::Run(id.into()).matches(id));
        assert!(!Selector::Run(id.into()).matches("20261123-160102-a1b3"));
    }
}
