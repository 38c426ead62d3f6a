//! Reading AWS facts out of an endpoint host name.
//!
//! `kms-fips.us-gov-west-1.amazonaws.com` is the KMS FIPS endpoint of GovCloud West;
//! `vpce-0a1b-xyz.kms.eu-west-1.vpce.amazonaws.com` is a KMS interface endpoint;
//! `123456789012.dkr.ecr.eu-west-1.amazonaws.com` is an account's ECR registry.
//! Plugins receive these facts in the WIT `aws-endpoint` record so they don't re-parse
//! host names; a host that is not an AWS endpoint yields `None`.
//!
//! ```
//! let e = netcheck_engine::endpoint::parse("kms-fips.us-east-1.amazonaws.com").unwrap();
//! assert_eq!((e.service_label.as_str(), e.region.as_deref(), e.fips), ("kms", Some("us-east-1"), true));
//! ```

use netcheck_runner_api::AwsEndpoint;

/// DNS suffixes of AWS partitions: (suffix, partition, implies dual-stack).
const SUFFIXES: &[(&str, &str, bool)] = &[
    (".amazonaws.com.cn", "aws-cn", false),
    (".api.amazonwebservices.com.cn", "aws-cn", true),
    (".amazonaws.com", "aws", false),
    (".api.aws", "aws", true),
    (".c2s.ic.gov", "aws-iso", false),
    (".sc2s.sgov.gov", "aws-iso-b", false),
];

/// Parse an AWS endpoint host name; `None` when the host is not under an AWS suffix.
pub fn parse(host: &str) -> Option<AwsEndpoint> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let (rest, partition, dualstack_suffix) =
        SUFFIXES.iter().find_map(|(suffix, partition, ds)| {
            host.strip_suffix(suffix).map(|r| (r, *partition, *ds))
        })?;
    if rest.is_empty() {
        return None;
    }
    let mut labels: Vec<&str> = rest.split('.').collect();
    let mut endpoint = AwsEndpoint {
        partition: partition.to_string(),
        dualstack: dualstack_suffix,
        ..AwsEndpoint::default()
    };
    if labels.last() == Some(&"vpce") {
        labels.pop();
        return parse_vpce(labels, endpoint);
    }
    if let Some(pos) = labels.iter().position(|l| *l == "dualstack") {
        labels.remove(pos);
        endpoint.dualstack = true;
    }
    // The partition is also told by the region (us-gov-*, cn-*), whatever the suffix.
    let region_at = labels.iter().position(|l| is_region(l));
    let (service, resource): (String, Vec<&str>) = match region_at {
        Some(r) => {
            endpoint.region = Some(labels[r].to_string());
            if r + 1 < labels.len() {
                // `<id>.gr7.<region>.eks.amazonaws.com`: the service follows the region.
                (labels[r + 1..].join("."), labels[..r].to_vec())
            } else if r == 0 {
                return None;
            } else {
                split_service(&labels[..r])
            }
        }
        None => {
            // Legacy S3 `bucket.s3-us-west-2.amazonaws.com` / global `iam.amazonaws.com`.
            let last = labels[labels.len() - 1];
            if let Some(region) = last.strip_prefix("s3-").filter(|r| is_region(r)) {
                endpoint.region = Some(region.to_string());
                ("s3".to_string(), labels[..labels.len() - 1].to_vec())
            } else {
                split_service(&labels)
            }
        }
    };
    let (service, fips) = match service.strip_suffix("-fips") {
        Some(s) => (s.to_string(), true),
        None => (service, false),
    };
    endpoint.fips = fips;
    if let Some(region) = &endpoint.region {
        if region.starts_with("us-gov-") {
            endpoint.partition = "aws-us-gov".to_string();
        } else if region.starts_with("cn-") {
            endpoint.partition = "aws-cn".to_string();
        }
    }
    if service == "dkr.ecr" && resource.len() == 1 && is_account(resource[0]) {
        endpoint.account = Some(resource[0].to_string());
    } else if !resource.is_empty() {
        endpoint.resource = Some(resource.join("."));
    }
    endpoint.service_label = service;
    Some(endpoint)
}

/// Split labels before the region into (service label, leading resource labels).
/// Two-label service names (`dkr.ecr`, `api.ecr`) stay together.
fn split_service<'a>(labels: &[&'a str]) -> (String, Vec<&'a str>) {
    let n = labels.len();
    if n >= 2 && labels[n - 1] == "ecr" && matches!(labels[n - 2], "dkr" | "api") {
        return (format!("{}.ecr", labels[n - 2]), labels[..n - 2].to_vec());
    }
    (labels[n - 1].to_string(), labels[..n - 1].to_vec())
}

/// `[bucket.]vpce-0123-abcd[-az].<service...>.<region>` (the `.vpce` label already removed).
fn parse_vpce(labels: Vec<&str>, mut endpoint: AwsEndpoint) -> Option<AwsEndpoint> {
    let at = labels.iter().position(|l| l.starts_with("vpce-"))?;
    let id_parts: Vec<&str> = labels[at].splitn(3, '-').collect();
    endpoint.vpc_endpoint_id = Some(format!("vpce-{}", id_parts.get(1)?));
    let region = labels.last().filter(|r| is_region(r))?;
    endpoint.region = Some(region.to_string());
    let service = labels
        .get(at + 1..labels.len() - 1)
        .filter(|s| !s.is_empty())?;
    let service = service.join(".");
    let (service, fips) = match service.strip_suffix("-fips") {
        Some(s) => (s.to_string(), true),
        None => (service, false),
    };
    endpoint.fips = fips;
    endpoint.service_label = service;
    if at > 0 {
        endpoint.resource = Some(labels[..at].join("."));
    }
    Some(endpoint)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-northwest-1`, `us-isob-east-1`.
pub fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    (3..=4).contains(&parts.len())
        && first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

fn is_account(label: &str) -> bool {
    label.len() == 12 && label.bytes().all(|b| b.is_ascii_digit())
}

/// Does `host` match a plugin host pattern? `*` matches one or more whole labels.
pub fn pattern_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pat: Vec<&str> = pattern.split('.').collect();
    let labels: Vec<&str> = host.split('.').collect();
    match_labels(&pat, &labels)
}

fn match_labels(pat: &[&str], labels: &[&str]) -> bool {
    match (pat.first(), labels.first()) {
        (None, None) => true,
        (None, _) | (_, None) => false,
        (Some(&"*"), _) => (1..=labels.len()).any(|n| match_labels(&pat[1..], &labels[n..])),
        (Some(p), Some(l)) => p.eq_ignore_ascii_case(l) && match_labels(&pat[1..], &labels[1..]),
    }
}

/// How specific a pattern is: literal characters count, wildcards don't.
pub fn pattern_specificity(pattern: &str) -> usize {
    pattern.split('.').filter(|l| *l != "*").map(str::len).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        host: &'static str,
        service: &'static str,
        region: Option<&'static str>,
        partition: &'static str,
        fips: bool,
        dualstack: bool,
        vpce: Option<&'static str>,
        account: Option<&'static str>,
        resource: Option<&'static str>,
    }

    const fn case(host: &'static str, service: &'static str, region: Option<&'static str>) -> Case {
        Case {
            host,
            service,
            region,
            partition: "aws",
            fips: false,
            dualstack: false,
            vpce: None,
            account: None,
            resource: None,
        }
    }

    #[test]
    fn real_endpoint_forms() {
        let cases = [
            case("kms.eu-west-1.amazonaws.com", "kms", Some("eu-west-1")),
            Case {
                fips: true,
                ..case("kms-fips.us-east-1.amazonaws.com", "kms", Some("us-east-1"))
            },
            Case {
                dualstack: true,
                ..case("kms.eu-west-1.api.aws", "kms", Some("eu-west-1"))
            },
            Case {
                partition: "aws-cn",
                ..case("kms.cn-north-1.amazonaws.com.cn", "kms", Some("cn-north-1"))
            },
            Case {
                partition: "aws-us-gov",
                fips: true,
                ..case(
                    "sts-fips.us-gov-west-1.amazonaws.com",
                    "sts",
                    Some("us-gov-west-1"),
                )
            },
            Case {
                vpce: Some("vpce-0a1b2c3d4e5f60718"),
                ..case(
                    "vpce-0a1b2c3d4e5f60718-abcdefgh.kms.eu-west-1.vpce.amazonaws.com",
                    "kms",
                    Some("eu-west-1"),
                )
            },
            Case {
                vpce: Some("vpce-0a1b2c3d4e5f60718"),
                ..case(
                    "vpce-0a1b2c3d4e5f60718-abcdefgh-eu-west-1a.ssm.eu-west-1.vpce.amazonaws.com",
                    "ssm",
                    Some("eu-west-1"),
                )
            },
            Case {
                vpce: Some("vpce-0a1b2c3d4e5f60718"),
                resource: Some("my-bucket"),
                ..case(
                    "my-bucket.vpce-0a1b2c3d4e5f60718-abcdefgh.s3.us-east-1.vpce.amazonaws.com",
                    "s3",
                    Some("us-east-1"),
                )
            },
            Case {
                account: Some("123456789012"),
                ..case(
                    "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                    "dkr.ecr",
                    Some("eu-west-1"),
                )
            },
            case(
                "api.ecr.eu-west-1.amazonaws.com",
                "api.ecr",
                Some("eu-west-1"),
            ),
            Case {
                resource: Some("a1b2c3d4e5"),
                ..case(
                    "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
                    "execute-api",
                    Some("eu-west-1"),
                )
            },
            Case {
                resource: Some("my.bucket"),
                ..case(
                    "my.bucket.s3.eu-west-1.amazonaws.com",
                    "s3",
                    Some("eu-west-1"),
                )
            },
            Case {
                resource: Some("bucket"),
                ..case("bucket.s3.amazonaws.com", "s3", None)
            },
            Case {
                resource: Some("bucket"),
                ..case("bucket.s3-us-west-2.amazonaws.com", "s3", Some("us-west-2"))
            },
            Case {
                dualstack: true,
                ..case(
                    "s3.dualstack.eu-west-1.amazonaws.com",
                    "s3",
                    Some("eu-west-1"),
                )
            },
            Case {
                dualstack: true,
                resource: Some("b"),
                ..case(
                    "b.s3.dualstack.eu-west-1.amazonaws.com",
                    "s3",
                    Some("eu-west-1"),
                )
            },
            Case {
                fips: true,
                ..case("s3-fips.us-east-2.amazonaws.com", "s3", Some("us-east-2"))
            },
            case("iam.amazonaws.com", "iam", None),
            case("sts.amazonaws.com", "sts", None),
            Case {
                resource: Some("abcdef0123456789.gr7"),
                ..case(
                    "abcdef0123456789.gr7.us-west-2.eks.amazonaws.com",
                    "eks",
                    Some("us-west-2"),
                )
            },
            case(
                "ssmmessages.ap-southeast-2.amazonaws.com",
                "ssmmessages",
                Some("ap-southeast-2"),
            ),
            case("STS.US-EAST-1.AMAZONAWS.COM.", "sts", Some("us-east-1")),
        ];
        for c in cases {
            let e = parse(c.host).unwrap_or_else(|| panic!("{} did not parse", c.host));
            assert_eq!(e.service_label, c.service, "{}", c.host);
            assert_eq!(e.region.as_deref(), c.region, "{}", c.host);
            assert_eq!(e.partition, c.partition, "{}", c.host);
            assert_eq!(e.fips, c.fips, "{}", c.host);
            assert_eq!(e.dualstack, c.dualstack, "{}", c.host);
            assert_eq!(e.vpc_endpoint_id.as_deref(), c.vpce, "{}", c.host);
            assert_eq!(e.account.as_deref(), c.account, "{}", c.host);
            assert_eq!(e.resource.as_deref(), c.resource, "{}", c.host);
        }
    }

    #[test]
    fn non_aws_hosts_are_none() {
        for host in [
            "example.com",
            "amazonaws.com",
            "evil-amazonaws.com",
            "localhost",
            "10.0.0.5",
            "amazonaws.com.evil.io",
        ] {
            assert!(parse(host).is_none(), "{host}");
        }
    }

    #[test]
    fn regions() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-northwest-1",
            "us-isob-east-1",
            "il-central-1",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "us-east",
            "kms",
            "dkr",
            "us-east-1a",
            "1-2-3",
            "gr7",
            "vpce-0a1b-x",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches(
            "kms.*.amazonaws.com",
            "kms.eu-west-1.amazonaws.com"
        ));
        assert!(!pattern_matches("kms.*.amazonaws.com", "kms.amazonaws.com"));
        assert!(pattern_matches(
            "*.kms.*.vpce.amazonaws.com",
            "vpce-1-a.kms.eu-west-1.vpce.amazonaws.com"
        ));
        assert!(pattern_matches(
            "*.s3.*.amazonaws.com",
            "my.bucket.s3.eu-west-1.amazonaws.com"
        ));
        assert!(!pattern_matches(
            "kms.*.amazonaws.com",
            "kms.eu-west-1.amazonaws.com.evil.io"
        ));
        assert!(
            pattern_specificity("kms-fips.*.amazonaws.com")
                > pattern_specificity("*.amazonaws.com")
        );
    }
}
