//! `[iam]`: what every AWS resource netcheck creates must carry — a permissions boundary
//! on roles and a set of tags — and how long a run's resources may live before
//! `netcheck cleanup` treats them as stale.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::error::Violation;

/// Partitions whose IAM policy ARNs a boundary may name.
const PARTITIONS: [&str; 5] = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"];

/// What the runners must apply to whatever they create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IamRequirements {
    /// The permissions boundary ARN every created role must carry.
    pub boundary: Option<String>,
    /// Tags every created resource must carry, with exactly these values.
    pub tags: BTreeMap<String, String>,
    /// After this long, `cleanup` treats a run's resources as stale.
    pub max_lifetime: Option<Duration>,
}

impl IamRequirements {
    /// Refuses `tags` unless every required tag is present with its required value;
    /// the message lists every missing or different tag.
    pub(crate) fn check_tags(
        &self,
        tags: &BTreeMap<String, String>,
        source: &str,
    ) -> Result<(), Violation> {
        let problems: Vec<String> = self
            .tags
            .iter()
            .filter_map(|(key, want)| match tags.get(key) {
                None => Some(format!("`{key}` is missing (required: `{key}={want}`)")),
                Some(have) if have != want => {
                    Some(format!("`{key}` is `{have}` but must be `{want}`"))
                }
                Some(_) => None,
            })
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Err(Violation::new(
            "iam.required_tags",
            format!("tags {{{}}}", shown.join(", ")),
            problems.join("; "),
            source,
        ))
    }
}

/// Checks a permissions boundary ARN: `arn:PARTITION:iam::ACCOUNT:policy/NAME`.
pub(crate) fn validate_boundary(arn: &str) -> Result<(), String> {
    let bad = |why: &str| {
        format!(
            "`{arn}` is not an IAM policy ARN ({why}); expected e.g. \
             arn:aws:iam::123456789012:policy/NetcheckBoundary"
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_word, partition, service, region, account, resource] = parts[..] else {
        return Err(bad("it needs six `:`-separated parts"));
    };
    if arn_word != "arn" {
        return Err(bad("it must start with `arn:`"));
    }
    if !PARTITIONS.contains(&partition) {
        return Err(bad(&format!("unknown partition `{partition}`")));
    }
    if service != "iam" || !region.is_empty() {
        return Err(bad(
            "the service must be `iam` with an empty region, `:iam::`",
        ));
    }
    if account != "aws" && !is_account_id(account) {
        return Err(bad(&format!("`{account}` is not a 12-digit account id")));
    }
    match resource.strip_prefix("policy/") {
        Some(name) if !name.is_empty() && !name.ends_with('/') => Ok(()),
        _ => Err(bad("the resource must be `policy/NAME`")),
    }
}

/// A 12-digit AWS account id.
pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn required_tags_must_be_present_with_their_values() {
        let req = IamRequirements {
            tags: tags(&[("team", "platform"), ("env", "prod")]),
            ..IamRequirements::default()
        };
        assert!(
            req.check_tags(
                &tags(&[("team", "platform"), ("env", "prod"), ("x", "y")]),
                "p"
            )
            .is_ok()
        );
        let v = req.check_tags(&tags(&[("team", "web")]), "p").unwrap_err();
        assert_eq!(v.rule, "iam.required_tags");
        assert!(v.message.contains("`env` is missing"), "{}", v.message);
        assert!(
            v.message.contains("`team` is `web` but must be `platform`"),
            "{}",
            v.message
        );
        assert!(
            IamRequirements::default()
                .check_tags(&BTreeMap::new(), "p")
                .is_ok()
        );
    }

    #[test]
    fn boundary_arns_are_validated() {
        assert!(validate_boundary("arn:aws:iam::123456789012:policy/NetcheckBoundary").is_ok());
        assert!(validate_boundary("arn:aws-us-gov:iam::123456789012:policy/path/B").is_ok());
        assert!(validate_boundary("arn:aws:iam::aws:policy/PowerUserAccess").is_ok());
        for (bad, why) in [
            ("NetcheckBoundary", "six"),
            ("arn:aws:iam::123:policy/B", "12-digit"),
            ("arn:aws:s3:::bucket/x", "service must be `iam`"),
            ("arn:aws:iam::123456789012:role/B", "policy/NAME"),
            ("arn:azure:iam::123456789012:policy/B", "partition"),
        ] {
            let e = validate_boundary(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
