//! Creating a run's resources: the execution role (per account), the egress-only security
//! group (per VPC), and per placement a tagged log group and the function, waited on
//! with the SDK's waiter. Each is recorded in the [`Ledger`] as soon as AWS confirms it.
//!
//! IAM actions used: `lambda:CreateFunction`, `lambda:GetFunctionConfiguration` (the
//! waiter), `lambda:TagResource` (tags on create), `iam:PassRole`;
//! `logs:CreateLogGroup`, `logs:TagResource`, `logs:PutRetentionPolicy`; and the role and
//! security-group actions of `netcheck-runner-aws`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::bail;
use aws_config::SdkConfig;
use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, Runtime, State, VpcConfig};
use netcheck_runner_aws::aws_error::{code_and_message, describe};
use netcheck_runner_aws::network::{create_security_group, managed_tags};
use netcheck_runner_aws::role::{RoleRequest, create_role};

use crate::ledger::{Ledger, Resource};
use crate::names;
use crate::package::Package;

/// Managed policies every execution role gets: CloudWatch Logs, and the network
/// interfaces a VPC function needs.
pub const MANAGED_POLICIES: [&str; 2] = [
    "service-role/AWSLambdaBasicExecutionRole",
    "service-role/AWSLambdaVPCAccessExecutionRole",
];

/// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// What the role must carry (from the administrator's policy) and allow.
#[derive(Debug, Clone)]
pub struct RoleSettings {
    pub inline_policy: serde_json::Value,
    pub permissions_boundary: Option<String>,
    pub required_tags: BTreeMap<String, String>,
}

/// Creates the run's execution role in `sdk`'s account.
pub async fn role(
    sdk: &SdkConfig,
    run_id: &str,
    region: &str,
    settings: &RoleSettings,
    ledger: &Ledger,
) -> anyhow::Result<String> {
    let iam = netcheck_runner_aws::iam_client(sdk);
    let partition = partition(region);
    let request = RoleRequest {
        run_id: run_id.to_string(),
        trust_service: "lambda.amazonaws.com".to_string(),
        managed_policies: MANAGED_POLICIES
            .iter()
            .map(|p| format!("arn:{partition}:iam::aws:policy/{p}"))
            .collect(),
        inline_policy: settings.inline_policy.clone(),
        permissions_boundary: settings.permissions_boundary.clone(),
        tags: settings.required_tags.clone(),
    };
    let created = create_role(&iam, &request).await?;
    ledger.record(Resource::Role {
        sdk: sdk.clone(),
        name: created.name.clone(),
        arn: created.arn.clone(),
    });
    Ok(created.arn)
}

/// Creates the run's security group in `vpc_id`.
pub async fn security_group(
    sdk: &SdkConfig,
    run_id: &str,
    vpc_id: &str,
    required_tags: &BTreeMap<String, String>,
    ledger: &Ledger,
) -> anyhow::Result<String> {
    let ec2 = netcheck_runner_aws::ec2_client(sdk);
    let id = create_security_group(&ec2, run_id, vpc_id, required_tags).await?;
    ledger.record(Resource::SecurityGroup {
        sdk: sdk.clone(),
        id: id.clone(),
    });
    Ok(id)
}

/// Everything one function needs.
pub struct FunctionSpec<'a> {
    pub run_id: &'a str,
    pub name: String,
    pub role_arn: &'a str,
    pub package: &'a Package,
    pub subnet: Option<&'a str>,
    pub security_groups: &'a [String],
    pub memory_mb: i32,
    pub timeout_s: i32,
    pub required_tags: &'a BTreeMap<String, String>,
}

/// Bounds on waiting for AWS.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// How long CreateFunction is retried while a new role propagates through IAM.
    pub iam_propagation: Duration,
    /// How long the function may stay `Pending` (VPC functions take a minute or two).
    pub function_active: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            iam_propagation: Duration::from_secs(120),
            function_active: Duration::from_secs(600),
        }
    }
}

/// Pre-creates the function's log group, tagged, with one day's retention, so cleanup
/// can find it by tag and it never outlives a forgotten run for long.
pub async fn log_group(
    sdk: &SdkConfig,
    function: &str,
    run_id: &str,
    required_tags: &BTreeMap<String, String>,
    ledger: &Ledger,
) -> anyhow::Result<()> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let name = names::log_group(function);
    let tags: HashMap<String, String> = managed_tags(run_id, required_tags).into_iter().collect();
    logs.create_log_group()
        .log_group_name(&name)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| {
            describe(
                e,
                "logs:CreateLogGroup",
                &format!("creating log group {name}"),
            )
        })?;
    ledger.record(Resource::LogGroup {
        sdk: sdk.clone(),
        name: name.clone(),
    });
    logs.put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(1)
        .send()
        .await
        .map_err(|e| {
            describe(
                e,
                "logs:PutRetentionPolicy",
                &format!("setting one day's retention on log group {name}"),
            )
        })?;
    Ok(())
}

/// Whether CreateFunction failed only because a new role has not reached Lambda yet.
fn is_role_propagation(code: &str, message: &str) -> bool {
    code == "InvalidParameterValueException"
        && (message.contains("cannot be assumed by Lambda")
            || message.contains("does not have permissions to call")
            || message.contains("role defined for the function"))
}

/// Creates the function (retrying, bounded, while the role propagates) and waits until
/// it is `Active`. `status` hears what is being waited for.
pub async fn function(
    sdk: &SdkConfig,
    spec: &FunctionSpec<'_>,
    waits: Waits,
    ledger: &Ledger,
    status: &(dyn Fn(&str) + Send + Sync),
    stopped: impl std::future::Future<Output = ()>,
) -> anyhow::Result<String> {
    tokio::pin!(stopped);
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let mut tags: HashMap<String, String> = managed_tags(spec.run_id, spec.required_tags)
        .into_iter()
        .collect();
    tags.insert(
        "netcheck:package-sha256".into(),
        spec.package.sha256.clone(),
    );
    let arch = Architecture::from(spec.package.arch.as_str());
    let started = Instant::now();
    let mut attempt = 0u32;
    let created = loop {
        attempt += 1;
        let mut request = lambda
            .create_function()
            .function_name(&spec.name)
            .runtime(Runtime::Providedal2023)
            .handler("bootstrap")
            .role(spec.role_arn)
            .architectures(arch.clone())
            .memory_size(spec.memory_mb)
            .timeout(spec.timeout_s)
            .description(format!(
                "netcheck run {}: probes; removed after the run",
                spec.run_id
            ))
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(spec.package.zip.clone()))
                    .build(),
            )
            // No credentials here: inside Lambda, signing uses the execution role.
            .environment(
                Environment::builder()
                    .variables("NETCHECK_LOG", "info")
                    .variables("NETCHECK_RUN_ID", spec.run_id)
                    .build(),
            )
            .set_tags(Some(tags.clone()));
        if let Some(subnet) = spec.subnet {
            request = request.vpc_config(
                VpcConfig::builder()
                    .subnet_ids(subnet)
                    .set_security_group_ids(Some(spec.security_groups.to_vec()))
                    .build(),
            );
        }
        match request.send().await {
            Ok(out) => break out,
            Err(e) => {
                if let Some((code, message)) = code_and_message(&e)
                    && is_role_propagation(&code, &message)
                {
                    let waited = started.elapsed();
                    if waited < waits.iam_propagation {
                        let pause = Duration::from_secs(u64::from(attempt.min(5)) * 2);
                        status(&format!(
                            "role not yet usable by Lambda (IAM propagates in seconds to a \
                             minute); retry {attempt} in {}s",
                            pause.as_secs()
                        ));
                        tokio::select! {
                            () = tokio::time::sleep(pause) => continue,
                            () = &mut stopped => bail!("stopped while waiting for IAM to propagate"),
                        }
                    }
                    bail!(
                        "creating function {}: Lambda still refuses role {} after {}s of \
                         retries ({code}: {message}). A new role normally propagates within a \
                         minute; if you named the role (--role-arn), check that its trust \
                         policy allows lambda.amazonaws.com and that it can create network \
                         interfaces (AWSLambdaVPCAccessExecutionRole)",
                        spec.name,
                        spec.role_arn,
                        waited.as_secs()
                    );
                }
                let what = format!("creating function {}", spec.name);
                return Err(describe(e, "lambda:CreateFunction", &what));
            }
        }
    };
    let arn = created.function_arn().unwrap_or_default().to_string();
    ledger.record(Resource::Function {
        sdk: sdk.clone(),
        name: spec.name.clone(),
        arn: arn.clone(),
    });
    if created.state() != Some(&State::Active) {
        status("waiting for the function to become Active");
        let waiter = lambda
            .wait_until_function_active_v2()
            .function_name(&spec.name)
            .wait(waits.function_active);
        let waited = tokio::select! {
            w = waiter => w,
            () = &mut stopped => bail!("stopped while waiting for the function to become Active"),
        };
        if let Err(e) = waited {
            let config = lambda
                .get_function_configuration()
                .function_name(&spec.name)
                .send()
                .await
                .ok();
            let reason = config
                .as_ref()
                .map(|c| {
                    format!(
                        "state {}, {}: {}",
                        c.state().map(|s| s.as_str()).unwrap_or("unknown"),
                        c.state_reason_code().map(|s| s.as_str()).unwrap_or("-"),
                        c.state_reason().unwrap_or("-")
                    )
                })
                .unwrap_or_else(|| e.to_string());
            bail!(
                "function {} did not become Active within {}s ({reason}); for VPC functions \
                 check the subnet has free IP addresses and the role may create network \
                 interfaces",
                spec.name,
                waits.function_active.as_secs()
            );
        }
    }
    Ok(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn role_propagation_errors_are_recognised() {
        assert!(is_role_propagation(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda."
        ));
        assert!(is_role_propagation(
            "InvalidParameterValueException",
            "The provided execution role does not have permissions to call \
             CreateNetworkInterface on EC2"
        ));
        assert!(!is_role_propagation(
            "InvalidParameterValueException",
            "Unzipped size must be smaller than 262144000 bytes"
        ));
        assert!(!is_role_propagation(
            "AccessDeniedException",
            "cannot be assumed by Lambda"
        ));
    }
}
