//! Verdicts the host gives on its own: when a probe never reached the point where a
//! plugin could judge an answer (DNS, TCP, TLS, timeouts, plugin faults).
//!
//! Plugins judge *answers*; the host judges *the path*. Hints here are the field
//! knowledge that makes netcheck worth running: a timeout to a public AWS address
//! from a private subnet means "no NAT and no VPC endpoint", a refused connection
//! means "something answered, nothing listens".

use netcheck_runner_api::{DnsAnswer, Status, Target};

use crate::probe::NetFailure;

/// What the host concluded; the pipeline copies it into the `CheckResult`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostVerdict {
    pub status: Status,
    pub reason: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

/// Facts about the service behind a target that sharpen the hints.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    /// `com.amazonaws.eu-west-1.kms`, with the region filled in.
    pub vpc_endpoint: Option<String>,
    /// `interface`, `gateway` or `none`.
    pub endpoint_kind: Option<String>,
}

impl HostVerdict {
    fn fail(reason: &'static str, message: String, hint: Option<String>) -> Self {
        HostVerdict {
            status: Status::Fail,
            reason,
            message,
            hint,
        }
    }
}

/// Judge a network failure on the way to `target`.
pub fn network_failure(
    failure: &NetFailure,
    target: &Target,
    answers: &[DnsAnswer],
    facts: &ServiceFacts,
) -> HostVerdict {
    let hp = format!("{}:{}", target.host, target.port);
    let is_aws = target.aws.is_some();
    let all_public = !answers.is_empty() && answers.iter().all(|a| a.scope == "public");
    let any_private = answers.iter().any(|a| a.scope == "private");
    match failure {
        NetFailure::DnsFailed(detail) => HostVerdict::fail(
            "dns-failed",
            format!("DNS lookup of {} failed: {detail}", target.host),
            Some(if is_aws {
                "the resolver here cannot resolve this AWS endpoint: check the VPC's enableDnsSupport, \
                 Route 53 Resolver rules, and private hosted zones that shadow amazonaws.com"
                    .to_string()
            } else {
                "check the name, the resolver (/etc/resolv.conf or `nameservers`) and any private hosted zone"
                    .to_string()
            }),
        ),
        NetFailure::NoAddresses => HostVerdict::fail(
            "dns-failed",
            format!("DNS lookup of {} returned no addresses", target.host),
            Some("the name exists but has no A/AAAA record here".to_string()),
        ),
        NetFailure::TcpRefused => HostVerdict::fail(
            "tcp-refused",
            format!("connection to {hp} refused"),
            Some(format!(
                "the host answered but nothing listens on port {} (or a firewall rejects it): \
                 check the service is running and the port is right",
                target.port
            )),
        ),
        NetFailure::TcpTimeout => HostVerdict::fail(
            "tcp-timeout",
            format!("TCP connect to {hp} timed out"),
            Some(timeout_hint(target, all_public, any_private, facts)),
        ),
        NetFailure::TcpReset => HostVerdict::fail(
            "tcp-reset",
            format!("connection to {hp} was reset"),
            Some(
                "something on the path (a proxy, firewall or the service) closed the connection: \
                 check egress proxies and network firewalls"
                    .to_string(),
            ),
        ),
        NetFailure::TcpUnreachable(detail) => HostVerdict::fail(
            "tcp-unreachable",
            format!("no route to {hp}: {detail}"),
            Some(
                "the route table has no route to this address (or an ICMP unreachable came back): \
                 check the subnet's route table, NAT/Transit gateway and peering routes"
                    .to_string(),
            ),
        ),
        NetFailure::TlsFailed { detail, .. } => HostVerdict::fail(
            "tls-failed",
            format!("TLS handshake with {hp} failed: {detail}"),
            Some(tls_hint(detail)),
        ),
        NetFailure::HttpFailed(detail) => HostVerdict::fail(
            "http-failed",
            format!("HTTP exchange with {hp} failed: {detail}"),
            Some("the server accepted the connection but did not speak HTTP as expected: check the scheme and port".to_string()),
        ),
        NetFailure::Timeout => HostVerdict::fail(
            "timeout",
            format!("{hp} accepted the connection but did not answer in time"),
            Some(
                "the service is slow or hung, or a proxy/firewall holds the connection open: raise `timeout` \
                 for this check if it is just slow"
                    .to_string(),
            ),
        ),
    }
}

fn timeout_hint(
    target: &Target,
    all_public: bool,
    any_private: bool,
    facts: &ServiceFacts,
) -> String {
    let port = target.port;
    match (&target.aws, all_public, any_private) {
        (Some(_), true, _) => {
            let endpoint = facts
                .vpc_endpoint
                .clone()
                .unwrap_or_else(|| "for this service".to_string());
            match facts.endpoint_kind.as_deref() {
                Some("gateway") => format!(
                    "no route to the public endpoint from here: add a NAT gateway, or the gateway endpoint \
                     {endpoint} to this subnet's route table"
                ),
                Some("none") => "no route to the public endpoint from here and this service has no VPC endpoint: \
                     add a NAT gateway (or a proxy)"
                    .to_string(),
                _ => format!(
                    "no route to the public endpoint from here: add a NAT gateway or the interface endpoint \
                     {endpoint} with private DNS"
                ),
            }
        }
        (Some(_), _, true) => format!(
            "the name resolves to private addresses (an interface endpoint) but port {port} does not answer: \
             the endpoint's security group must allow inbound TCP {port} from this subnet, and NACLs must allow it"
        ),
        (None, _, true) => format!(
            "a security group or network ACL is probably dropping TCP {port} to this private address: \
             allow it from this subnet (and check the host is up)"
        ),
        _ => format!(
            "packets to port {port} are dropped on the way (firewall, security group, NACL or no route): \
             check egress rules and the route to this address"
        ),
    }
}

fn tls_hint(detail: &str) -> String {
    let d = detail.to_ascii_lowercase();
    if d.contains("unknown issuer")
        || d.contains("unknownissuer")
        || d.contains("self-signed")
        || d.contains("self signed")
    {
        "the certificate is not signed by a trusted CA: if a TLS-inspecting proxy sits on the path, add its CA \
         with `ca_file`; for an internal service, add the issuing CA"
            .to_string()
    } else if d.contains("expired") {
        "the server's certificate has expired: renew it (or check this machine's clock)".to_string()
    } else if d.contains("name") || d.contains("notvalidforname") {
        "the certificate does not cover this host name: use the name the certificate was issued for"
            .to_string()
    } else {
        "the TLS handshake failed: check the port speaks TLS and that no proxy interferes"
            .to_string()
    }
}

/// A credential provider failed for real (a broken profile, an expired SSO session, an
/// unreadable web-identity token): not "no credentials configured", and nothing was sent.
/// `error` names the provider and its message; it never holds a secret.
pub fn credentials_error(error: &str) -> HostVerdict {
    HostVerdict::fail(
        "credentials-error",
        error.to_string(),
        Some(
            "fix the credential source named above (`aws sts get-caller-identity` uses the same \
             chain), or unset it to fall through to the next one"
                .to_string(),
        ),
    )
}

/// `name` of a `Host` value `name:port` (`[v6]:port` too); `None` when it has no port.
pub fn strip_port(host: &str) -> Option<&str> {
    let (name, port) = host.rsplit_once(':')?;
    let bracketed = name.starts_with('[') && name.ends_with(']');
    let plain = !name.contains(':');
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && (bracketed || plain))
        .then_some(name)
}

/// What a `signature-mismatch` adds when the signed Host carried a port (the Envoy seed):
/// whatever strips or rewrites it on the way makes the server sign another Host.
pub fn host_port_hint(signed_host: &str) -> Option<String> {
    let bare = strip_port(signed_host)?;
    Some(format!(
        "the signed Host was `{signed_host}`, with its port: a proxy or load balancer on the way \
         that strips or rewrites the port (Envoy's `strip_any_host_port`) makes the server compute \
         the signature over `host:{bare}`. Sign the Host that reaches the server; `netcheck sign \
         --explain URL` shows both signatures"
    ))
}

/// A plugin trapped, overran its limits or refused to plan.
pub fn plugin_error(message: String) -> HostVerdict {
    HostVerdict::fail(
        "plugin-error",
        message,
        Some("the check's plugin failed, not the network: fix or update the plugin, or pick another with `plugin =`".to_string()),
    )
}

/// The policy refused something this check would have done (connect to a resolved
/// address, follow a redirect, sign for a host).
pub fn policy_denied(violation: &netcheck_policy::Violation) -> HostVerdict {
    HostVerdict::fail(
        "policy-denied",
        violation.to_string(),
        Some("refused by policy before anything was sent there: change the target or ask the policy's administrator".to_string()),
    )
}

/// The whole-check deadline passed before a verdict.
pub fn deadline(target: &Target, timeout_ms: u64) -> HostVerdict {
    HostVerdict::fail(
        "timeout",
        format!(
            "no verdict for {}:{} within {timeout_ms} ms",
            target.host, target.port
        ),
        Some("raise `timeout` for this check if the service is just slow".to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped_only_from_host_port_forms() {
        assert_eq!(
            strip_port("lambda.us-east-1.amazonaws.com:443"),
            Some("lambda.us-east-1.amazonaws.com")
        );
        assert_eq!(strip_port("[::1]:8080"), Some("[::1]"));
        assert_eq!(strip_port("kms.eu-west-1.amazonaws.com"), None);
        assert_eq!(strip_port("[::1]"), None);
        assert_eq!(strip_port("::1"), None);
        assert_eq!(strip_port("host:"), None);
        assert!(
            host_port_hint("127.0.0.1:4566")
                .unwrap()
                .contains("strip_any_host_port")
        );
        assert_eq!(host_port_hint("sts.amazonaws.com"), None);
    }
    use netcheck_runner_api::AwsEndpoint;

    fn aws_target() -> Target {
        Target {
            host: "kms.eu-west-1.amazonaws.com".into(),
            port: 443,
            aws: Some(AwsEndpoint {
                service_label: "kms".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn answer(ip: &str, scope: &str) -> DnsAnswer {
        DnsAnswer {
            ip: ip.into(),
            scope: scope.into(),
        }
    }

    #[test]
    fn public_aws_timeout_suggests_nat_or_interface_endpoint() {
        let facts = ServiceFacts {
            vpc_endpoint: Some("com.amazonaws.eu-west-1.kms".into()),
            endpoint_kind: Some("interface".into()),
        };
        let v = network_failure(
            &NetFailure::TcpTimeout,
            &aws_target(),
            &[answer("52.1.2.3", "public")],
            &facts,
        );
        assert_eq!(v.reason, "tcp-timeout");
        let hint = v.hint.unwrap();
        assert!(hint.contains("NAT gateway"), "{hint}");
        assert!(hint.contains("com.amazonaws.eu-west-1.kms"), "{hint}");
        assert!(hint.contains("private DNS"), "{hint}");
    }

    #[test]
    fn gateway_service_timeout_names_gateway_endpoint() {
        let facts = ServiceFacts {
            vpc_endpoint: Some("com.amazonaws.eu-west-1.s3".into()),
            endpoint_kind: Some("gateway".into()),
        };
        let v = network_failure(
            &NetFailure::TcpTimeout,
            &aws_target(),
            &[answer("52.1.2.3", "public")],
            &facts,
        );
        assert!(
            v.hint
                .unwrap()
                .contains("gateway endpoint com.amazonaws.eu-west-1.s3")
        );
    }

    #[test]
    fn private_answer_timeout_points_at_security_groups() {
        let v = network_failure(
            &NetFailure::TcpTimeout,
            &aws_target(),
            &[answer("10.0.1.5", "private")],
            &ServiceFacts::default(),
        );
        assert!(v.hint.unwrap().contains("security group"));
    }

    #[test]
    fn refused_reset_and_timeout_have_different_hints() {
        let t = Target {
            host: "10.0.0.5".into(),
            port: 5432,
            ..Default::default()
        };
        let refused = network_failure(&NetFailure::TcpRefused, &t, &[], &ServiceFacts::default());
        let reset = network_failure(&NetFailure::TcpReset, &t, &[], &ServiceFacts::default());
        let timeout = network_failure(&NetFailure::Timeout, &t, &[], &ServiceFacts::default());
        assert_eq!(
            (refused.reason, reset.reason, timeout.reason),
            ("tcp-refused", "tcp-reset", "timeout")
        );
        assert_ne!(refused.hint, reset.hint);
        assert_ne!(reset.hint, timeout.hint);
        assert!(
            refused
                .hint
                .unwrap()
                .contains("nothing listens on port 5432")
        );
    }

    #[test]
    fn tls_hints_follow_the_problem() {
        assert!(tls_hint("invalid peer certificate: UnknownIssuer").contains("ca_file"));
        assert!(tls_hint("certificate expired").contains("expired"));
    }
}
