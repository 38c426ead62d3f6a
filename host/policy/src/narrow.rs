//! A user's config may narrow the policy, never widen it.
//!
//! [`UserRestrictions`] only *adds* rules: extra denies, extra allow-lists that every
//! target must also match, shorter lists of runners, regions and so on. Because every
//! check requires *all* layers to agree, and a user's allow-list can never lift a
//! built-in deny, nothing the user writes can make the policy allow more.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Policy;
use super::pattern::{HostPattern, TargetPattern};
use super::signing::SigningLayer;
use super::targets::{AllowList, DenyEntry};

/// Where narrowing rules come from, as shown in violations.
pub const USER_SOURCE: &str = "netcheck config [restrict]";

/// Restrictions from the user's netcheck config (suggested table: `[restrict]`). Each
/// field can only remove permissions; rule names in violations are `restrict.<field>`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserRestrictions {
    /// More targets to refuse.
    pub targets_deny: Vec<TargetPattern>,
    /// When non-empty, targets must *also* match one of these. Never lifts a built-in
    /// deny or a policy deny, and never admits what the policy's allow-list refuses.
    pub targets_allow: Vec<TargetPattern>,
    /// When non-empty, only these plugins may load (each still checked by the policy).
    pub plugins: Vec<String>,
    /// `Some(false)`: bundled plugins load only when the policy pins them.
    pub allow_bundled: Option<bool>,
    /// `Some(list)`: SigV4 goes to a non-AWS host only if the policy allows it *and* it
    /// is listed here; `Some([])` sends signatures to AWS endpoints only.
    pub signing_hosts: Option<Vec<HostPattern>>,
    pub runners: Vec<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub vpcs: Vec<String>,
    pub subnets: Vec<String>,
    /// More tags to require; a tag the policy requires keeps the policy's value.
    pub required_tags: BTreeMap<String, String>,
    /// A shorter maximum run lifetime (`"30m"`); a longer one than the policy's is ignored.
    #[serde(
        deserialize_with = "opt_duration",
        serialize_with = "ser_opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_run_lifetime: Option<Duration>,
}

/// Written back as `"1h 30m"`, which [`opt_duration`] reads (the policy on the wire).
fn ser_opt_duration<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&super::values::format_duration(*d)),
        None => s.serialize_none(),
    }
}

fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    super::values::parse_duration(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

impl Policy {
    /// This policy with the user's restrictions added; it allows at most what `self` does.
    pub fn narrow(&self, user: &UserRestrictions) -> Policy {
        let src = USER_SOURCE;
        let mut p = self.clone();
        for (i, pattern) in user.targets_deny.iter().enumerate() {
            p.targets.deny.push(DenyEntry {
                pattern: pattern.clone(),
                rule: format!("restrict.targets_deny[{i}]"),
                source: src.to_string(),
            });
        }
        if !user.targets_allow.is_empty() {
            p.targets.allow.push(AllowList {
                entries: user.targets_allow.clone(),
                rule: "restrict.targets_allow".into(),
                source: src.to_string(),
                lifts_builtins: false,
            });
        }
        p.plugins
            .names
            .add(user.plugins.iter().cloned(), "restrict.plugins", src);
        if user.allow_bundled == Some(false) && p.plugins.allow_bundled {
            p.plugins.allow_bundled = false;
            p.plugins.bundled_rule = ("restrict.allow_bundled".into(), src.to_string());
        }
        if let Some(hosts) = &user.signing_hosts {
            p.signing.layers.push(SigningLayer {
                allow_non_aws: false,
                hosts: hosts.clone(),
                hosts_rule: "restrict.signing_hosts".into(),
                switch_rule: "restrict.signing_hosts".into(),
                source: src.to_string(),
            });
        }
        let r = &mut p.runners;
        r.runners
            .add(user.runners.iter().cloned(), "restrict.runners", src);
        r.accounts
            .add(user.accounts.iter().cloned(), "restrict.accounts", src);
        r.regions
            .add(user.regions.iter().cloned(), "restrict.regions", src);
        r.vpcs.add(user.vpcs.iter().cloned(), "restrict.vpcs", src);
        r.subnets
            .add(user.subnets.iter().cloned(), "restrict.subnets", src);
        for (k, v) in &user.required_tags {
            p.iam.tags.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if let Some(user_max) = user.max_run_lifetime {
            p.iam.max_lifetime = Some(p.iam.max_lifetime.map_or(user_max, |m| m.min(user_max)));
        }
        p.narrowed_by.push(src.to_string());
        p.restrictions.push(user.clone());
        p
    }
}
