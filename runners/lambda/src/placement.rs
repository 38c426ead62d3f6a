//! Where a run's functions go: every (account, region) the user named, and in each the
//! subnets that live there — or one function outside any VPC per (account, region) when
//! no subnet was named.
//!
//! Accounts are the caller's own and one per `--assume-role` ARN. A subnet id is looked
//! up in each (account, region); one found nowhere is an error that says where netcheck
//! looked.

use std::sync::Arc;

use anyhow::{Context, bail};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use netcheck_runner_aws::network::{Subnet, describe_subnets};

/// The credentials a part of the run uses, and whose account they are.
#[derive(Debug)]
pub struct Account {
    /// `caller` or the assumed role's ARN.
    pub label: String,
    /// The 12-digit account id (STS GetCallerIdentity).
    pub id: String,
    /// Configuration with this account's credentials (no region set).
    pub sdk: SdkConfig,
}

/// One function: in an account and region, in a subnet or outside any VPC.
#[derive(Debug, Clone)]
pub struct Placement {
    pub account: Arc<Account>,
    pub region: String,
    pub subnet: Option<Subnet>,
    /// What the report's location column says (a subnet id, or `lambda@<region>`).
    pub location: String,
}

impl Placement {
    /// The account's configuration in this placement's region.
    pub fn sdk(&self) -> SdkConfig {
        self.account
            .sdk
            .to_builder()
            .region(aws_config::Region::new(self.region.clone()))
            .build()
    }

    /// What goes after the run id in the function name.
    pub fn slug(&self) -> String {
        match &self.subnet {
            Some(s) => s.id.clone(),
            None => self.region.clone(),
        }
    }
}

/// The facts a policy judges before anything is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementFacts {
    pub account: String,
    pub region: String,
    pub vpc: Option<String>,
    pub subnet: Option<String>,
}

impl From<&Placement> for PlacementFacts {
    fn from(p: &Placement) -> Self {
        PlacementFacts {
            account: p.account.id.clone(),
            region: p.region.clone(),
            vpc: p.subnet.as_ref().map(|s| s.vpc_id.clone()),
            subnet: p.subnet.as_ref().map(|s| s.id.clone()),
        }
    }
}

/// The caller's account plus one per role to assume, each with its account id.
pub async fn accounts(
    base: &SdkConfig,
    assume_roles: &[String],
    run_id: &str,
) -> anyhow::Result<Vec<Arc<Account>>> {
    let mut out = vec![Arc::new(Account {
        label: "caller".to_string(),
        id: account_id(base)
            .await
            .context("finding the caller's account (sts:GetCallerIdentity)")?,
        sdk: base.clone(),
    })];
    for arn in assume_roles {
        if !arn.starts_with("arn:") || !arn.contains(":role/") {
            bail!("--assume-role `{arn}` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)");
        }
        let provider = AssumeRoleProvider::builder(arn)
            .session_name(format!("netcheck-{run_id}"))
            .configure(base)
            .build()
            .await;
        let sdk = base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        let id = account_id(&sdk)
            .await
            .with_context(|| format!("assuming role {arn} (--assume-role)"))?;
        out.push(Arc::new(Account {
            label: arn.clone(),
            id,
            sdk,
        }));
    }
    Ok(out)
}

async fn account_id(sdk: &SdkConfig) -> anyhow::Result<String> {
    let sts = aws_sdk_sts::Client::new(sdk);
    let out = sts.get_caller_identity().send().await.map_err(|e| {
        netcheck_runner_aws::aws_error::describe(
            e,
            "sts:GetCallerIdentity",
            "reading who the AWS credentials belong to",
        )
    })?;
    Ok(out.account().unwrap_or_default().to_string())
}

/// Every placement: subnets looked up per (account, region), or one non-VPC
/// placement per (account, region) when `subnets` is empty.
pub async fn resolve(
    accounts: &[Arc<Account>],
    regions: &[String],
    subnets: &[String],
) -> anyhow::Result<Vec<Placement>> {
    let many_accounts = accounts.len() > 1;
    let mut out = Vec::new();
    let mut found_ids = Vec::new();
    for account in accounts {
        for region in regions {
            if subnets.is_empty() {
                let location = if many_accounts {
                    format!("lambda@{region}/{}", account.id)
                } else {
                    format!("lambda@{region}")
                };
                out.push(Placement {
                    account: account.clone(),
                    region: region.clone(),
                    subnet: None,
                    location,
                });
                continue;
            }
            let sdk = account
                .sdk
                .to_builder()
                .region(aws_config::Region::new(region.clone()))
                .build();
            let ec2 = netcheck_runner_aws::ec2_client(&sdk);
            let found = describe_subnets(&ec2, subnets).await.with_context(|| {
                format!(
                    "in account {} ({}), region {region}",
                    account.id, account.label
                )
            })?;
            for subnet in found {
                found_ids.push(subnet.id.clone());
                let location = if many_accounts {
                    format!("{}/{}", account.id, subnet.id)
                } else {
                    subnet.id.clone()
                };
                out.push(Placement {
                    account: account.clone(),
                    region: region.clone(),
                    location,
                    subnet: Some(subnet),
                });
            }
        }
    }
    let missing: Vec<&String> = subnets.iter().filter(|s| !found_ids.contains(s)).collect();
    if !missing.is_empty() {
        let accounts: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
        bail!(
            "subnet(s) {} not found in account(s) {} and region(s) {}: check the ids, add the \
             region with --regions or the account with --assume-role",
            join(&missing),
            accounts.join(", "),
            regions.join(", ")
        );
    }
    Ok(out)
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
