//! `[runners]`: which runners may be used, and in which AWS accounts, regions, VPCs and
//! subnets. Each list is an allow-list; an empty list allows anything.

use super::lists::AllowSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RunnerRules {
    pub runners: AllowSet,
    pub accounts: AllowSet,
    pub regions: AllowSet,
    pub vpcs: AllowSet,
    pub subnets: AllowSet,
}

/// Checks one entry of a `[runners]` list by key (`allow`, `accounts`, ...); the error
/// says what the entry should look like.
pub(crate) fn validate(key: &str, value: &str) -> Result<(), String> {
    let (ok, example) = match key {
        "allow" => (is_runner_name(value), "local, lambda or ec2"),
        "accounts" => (super::iam::is_account_id(value), "123456789012"),
        "regions" => (is_region(value), "eu-west-1"),
        "vpcs" => (is_aws_id(value, "vpc-"), "vpc-0123456789abcdef0"),
        "subnets" => (is_aws_id(value, "subnet-"), "subnet-0123456789abcdef0"),
        _ => (true, ""),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{value}` does not look like one (expected e.g. {example})"
        ))
    }
}

fn is_runner_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// `eu-west-1`, `us-gov-west-1`, `cn-north-1`: letters-...-digits.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let Some((last, init)) = parts.split_last() else {
        return false;
    };
    init.len() >= 2
        && init
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

fn is_aws_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|hex| {
        (8..=17).contains(&hex.len())
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_validated_by_kind() {
        for (key, good) in [
            ("allow", "lambda"),
            ("accounts", "123456789012"),
            ("regions", "eu-west-1"),
            ("regions", "us-gov-west-1"),
            ("vpcs", "vpc-0123456789abcdef0"),
            ("subnets", "subnet-0a1b2c3d"),
        ] {
            assert!(validate(key, good).is_ok(), "{key} {good}");
        }
        for (key, bad) in [
            ("allow", "Lambda"),
            ("accounts", "12345"),
            ("regions", "eu-west"),
            ("regions", "EU-WEST-1"),
            ("vpcs", "subnet-0123456789abcdef0"),
            ("subnets", "subnet-XYZ"),
        ] {
            let e = validate(key, bad).unwrap_err();
            assert!(e.contains("expected e.g."), "{key} {bad}: {e}");
        }
    }
}
