//! The usual description of an AWS service: host patterns, signing name, VPC endpoint.

use crate::{EndpointKind, ServiceInfo};

/// The host patterns AWS uses for a service whose host-name label is `label`: regional,
/// FIPS, China, dual-stack (`.api.aws`) and VPC endpoint names. `*` matches one or more
/// DNS labels.
///
/// ```
/// let p = netcheck_guest::services::host_patterns("kms");
/// assert!(p.contains(&"kms-fips.*.amazonaws.com".to_string()));
/// assert!(p.contains(&"*.kms.*.vpce.amazonaws.com".to_string()));
/// ```
pub fn host_patterns(label: &str) -> Vec<String> {
    vec![
        format!("{label}.*.amazonaws.com"),
        format!("{label}-fips.*.amazonaws.com"),
        format!("{label}.*.amazonaws.com.cn"),
        format!("{label}.*.api.aws"),
        format!("{label}-fips.*.api.aws"),
        format!("{label}.*.api.amazonwebservices.com.cn"),
        format!("*.{label}.*.vpce.amazonaws.com"),
        format!("*.{label}.*.vpce.amazonaws.com.cn"),
    ]
}

/// A SigV4-signed AWS service named `id` that uses `id` as its host label, signing name
/// and VPC endpoint suffix (`com.amazonaws.{region}.<id>`): true of most services.
/// Add to `host_patterns` for the exceptions (global endpoints and the like).
pub fn aws_service(id: &str, endpoint_kind: EndpointKind, actions: &[&str]) -> ServiceInfo {
    ServiceInfo {
        id: id.into(),
        host_patterns: host_patterns(id),
        signing_name: Some(id.into()),
        vpc_endpoint: Some(format!("com.amazonaws.{{region}}.{id}")),
        endpoint_kind,
        actions: actions.iter().map(|a| a.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_service_fills_every_field() {
        let s = aws_service("ssm", EndpointKind::Interface, &["ssm:DescribeParameters"]);
        assert_eq!(s.id, "ssm");
        assert_eq!(s.signing_name.as_deref(), Some("ssm"));
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.ssm")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, ["ssm:DescribeParameters"]);
        for pattern in [
            "ssm.*.amazonaws.com",
            "ssm-fips.*.amazonaws.com",
            "ssm.*.amazonaws.com.cn",
            "ssm.*.api.aws",
            "*.ssm.*.vpce.amazonaws.com",
        ] {
            assert!(
                s.host_patterns.iter().any(|p| p == pattern),
                "missing {pattern}"
            );
        }
    }
}
