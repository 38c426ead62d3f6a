//! The EC2 side of a remote run: the subnets it runs in, the egress-only security group
//! netcheck creates per VPC, and its removal once the network interfaces Lambda (or an
//! instance) attached to it are gone.
//!
//! IAM actions used: `ec2:DescribeSubnets`; `ec2:CreateSecurityGroup`, `ec2:CreateTags`
//! (tags on create) to create; `ec2:DescribeSecurityGroups`,
//! `ec2:DescribeNetworkInterfaces`, `ec2:DeleteSecurityGroup` to find and delete.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::aws_error::{code, describe, unless_gone};
use crate::role::{MANAGED_TAG, RUN_ID_TAG};

/// A subnet a run places a probe in, as EC2 describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub cidr: String,
}

/// Describes `ids` in the client's region; ids not found there are simply absent from the
/// answer (a subnet lives in one region and account: the caller looks in each).
pub async fn describe_subnets(ec2: &Client, ids: &[String]) -> anyhow::Result<Vec<Subnet>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = Filter::builder()
        .name("subnet-id")
        .set_values(Some(ids.to_vec()))
        .build();
    let subnets: Vec<_> = ec2
        .describe_subnets()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| describe(e, "ec2:DescribeSubnets", "looking up the subnets to run in"))?;
    Ok(subnets
        .into_iter()
        .map(|s| Subnet {
            id: s.subnet_id().unwrap_or_default().to_string(),
            vpc_id: s.vpc_id().unwrap_or_default().to_string(),
            availability_zone: s.availability_zone().unwrap_or_default().to_string(),
            cidr: s.cidr_block().unwrap_or_default().to_string(),
        })
        .filter(|s| ids.contains(&s.id))
        .collect())
}

/// `netcheck-<run id>-<vpc id>`.
pub fn security_group_name(run_id: &str, vpc_id: &str) -> String {
    format!("netcheck-{run_id}-{vpc_id}")
}

/// Creates the run's security group in `vpc_id`: no ingress rule, EC2's default
/// allow-all egress — probes open connections, nothing connects to them. Tagged with
/// `tags` plus the run id and managed markers. Returns the group id.
pub async fn create_security_group(
    ec2: &Client,
    run_id: &str,
    vpc_id: &str,
    tags: &BTreeMap<String, String>,
) -> anyhow::Result<String> {
    let name = security_group_name(run_id, vpc_id);
    let mut spec = TagSpecification::builder().resource_type(ResourceType::SecurityGroup);
    for (key, value) in managed_tags(run_id, tags) {
        spec = spec.tags(Tag::builder().key(key).value(value).build());
    }
    spec = spec.tags(Tag::builder().key("Name").value(&name).build());
    let out = ec2
        .create_security_group()
        .group_name(&name)
        .description(format!(
            "netcheck run {run_id}: egress only, for the probe functions; removed after the run"
        ))
        .vpc_id(vpc_id)
        .tag_specifications(spec.build())
        .send()
        .await
        .map_err(|e| {
            let what = format!("creating security group `{name}` in {vpc_id}");
            describe(e, "ec2:CreateSecurityGroup", &what)
        })?;
    match out.group_id() {
        Some(id) => Ok(id.to_string()),
        None => bail!("creating security group `{name}`: EC2 answered without a group id"),
    }
}

/// The tags on everything a run creates: the administrator's required tags, then
/// [`RUN_ID_TAG`] and [`MANAGED_TAG`].
pub fn managed_tags(run_id: &str, required: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = required.clone();
    tags.insert(RUN_ID_TAG.to_string(), run_id.to_string());
    tags.insert(MANAGED_TAG.to_string(), "true".to_string());
    tags
}

/// How long to wait for network interfaces to be released, and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct EniWait {
    /// Lambda releases a VPC function's interfaces up to ~20 minutes after deletion.
    pub max: Duration,
    pub poll: Duration,
}

impl Default for EniWait {
    fn default() -> Self {
        EniWait {
            max: Duration::from_secs(25 * 60),
            poll: Duration::from_secs(15),
        }
    }
}

/// Deletes a netcheck-managed security group once no network interface uses it.
/// Refuses a group without the [`MANAGED_TAG`] marker. `waiting` is told what is being
/// waited for. Returns what was removed (empty when it was already gone).
pub async fn delete_security_group(
    ec2: &Client,
    group_id: &str,
    wait: EniWait,
    waiting: &(dyn Fn(&str) + Send + Sync),
) -> anyhow::Result<Vec<String>> {
    let found = ec2
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await;
    let Some(found) = unless_gone(found, "ec2:DescribeSecurityGroups", || {
        format!("looking up security group {group_id} before deleting it")
    })?
    else {
        return Ok(Vec::new());
    };
    let Some(group) = found.security_groups().first() else {
        return Ok(Vec::new());
    };
    let managed = group
        .tags()
        .iter()
        .any(|t| t.key() == Some(MANAGED_TAG) && t.value() == Some("true"));
    if !managed {
        bail!(
            "refusing to delete security group {group_id}: it lacks the `{MANAGED_TAG}=true` tag, \
             so netcheck did not create it"
        );
    }
    let deadline = Instant::now() + wait.max;
    loop {
        let users = interfaces_using(ec2, group_id).await?;
        if users.is_empty() {
            let deleted = ec2.delete_security_group().group_id(group_id).send().await;
            match deleted {
                Ok(_) => return Ok(vec![group_id.to_string()]),
                Err(e) if code(&e).as_deref() == Some("DependencyViolation") => {}
                Err(e) => {
                    let gone = unless_gone(Err::<(), _>(e), "ec2:DeleteSecurityGroup", || {
                        format!("deleting security group {group_id}")
                    })?;
                    debug_assert!(gone.is_none());
                    return Ok(Vec::new());
                }
            }
        }
        if Instant::now() >= deadline {
            bail!(
                "security group {group_id} is still in use after {}: {}. Lambda releases a \
                 deleted function's network interfaces up to 20 minutes later; run `netcheck \
                 cleanup` again then",
                humantime(wait.max),
                if users.is_empty() {
                    "EC2 answers DependencyViolation".to_string()
                } else {
                    format!("network interfaces {}", users.join(", "))
                }
            );
        }
        waiting(&format!(
            "waiting for {} network interface(s) to release {group_id}",
            users.len().max(1)
        ));
        tokio::time::sleep(wait.poll).await;
    }
}

fn humantime(d: Duration) -> String {
    if d.as_secs() >= 60 {
        format!("{} min", d.as_secs() / 60)
    } else {
        format!("{} s", d.as_secs())
    }
}

/// Ids of the network interfaces attached to `group_id`.
async fn interfaces_using(ec2: &Client, group_id: &str) -> anyhow::Result<Vec<String>> {
    let filter = Filter::builder().name("group-id").values(group_id).build();
    let interfaces: Vec<_> = ec2
        .describe_network_interfaces()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            let what = format!("listing network interfaces that use security group {group_id}");
            describe(e, "ec2:DescribeNetworkInterfaces", &what)
        })?;
    Ok(interfaces
        .iter()
        .filter_map(|i| i.network_interface_id().map(str::to_string))
        .collect())
}

/// Security groups netcheck created (tag [`MANAGED_TAG`]`=true`), with their run id;
/// only run `run_id`'s when given. For `netcheck cleanup`.
pub async fn find_managed_security_groups(
    ec2: &Client,
    run_id: Option<&str>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut request = ec2.describe_security_groups().filters(
        Filter::builder()
            .name(format!("tag:{MANAGED_TAG}"))
            .values("true")
            .build(),
    );
    if let Some(id) = run_id {
        request = request.filters(
            Filter::builder()
                .name(format!("tag:{RUN_ID_TAG}"))
                .values(id)
                .build(),
        );
    }
    let groups: Vec<_> = request
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            describe(
                e,
                "ec2:DescribeSecurityGroups",
                "listing netcheck's security groups",
            )
        })?;
    let mut found = Vec::new();
    for g in groups {
        let tag = |k: &str| {
            g.tags()
                .iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        // Emulators may ignore tag filters: check again here.
        let managed = tag(MANAGED_TAG).as_deref() == Some("true");
        let run = tag(RUN_ID_TAG).unwrap_or_default();
        if managed && run_id.is_none_or(|id| id == run) {
            found.push((g.group_id().unwrap_or_default().to_string(), run));
        }
    }
    found.sort();
    Ok(found)
}
