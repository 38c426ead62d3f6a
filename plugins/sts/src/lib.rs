//! netcheck plugin `sts`: proves AWS STS is reachable and the credentials are valid with
//! `GetCallerIdentity` (query protocol, version 2011-06-15). The call needs no IAM
//! permission, so it isolates network, signature, clock and credential problems.
//!
//! The global endpoint `sts.amazonaws.com` is signed for `us-east-1` whatever region the
//! check is in; regional, FIPS, dual-stack and VPC endpoint names are signed for their
//! region.

use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, request, services,
};

const ACTION: &str = "sts:GetCallerIdentity";
/// The one host name that is STS's global endpoint.
const GLOBAL_HOST: &str = "sts.amazonaws.com";
/// The region the global endpoint signs for.
const GLOBAL_REGION: &str = "us-east-1";

struct Sts;

impl Checker for Sts {
    fn describe() -> PluginInfo {
        let mut service = services::aws_service("sts", EndpointKind::Interface, &[ACTION]);
        service.host_patterns.insert(0, GLOBAL_HOST.into());
        PluginInfo {
            name: "sts".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "AWS STS: signed GetCallerIdentity (needs no IAM permission)".into(),
            services: vec![service],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = signing_region(&target)?;
        let call = request::aws_query("GetCallerIdentity", "2011-06-15", &[]);
        Ok(vec![Probe::aws(
            "GetCallerIdentity",
            call,
            "sts",
            region,
            ACTION,
        )])
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        judge_aws(&target, &probe, &observation, &context)
    }
}

/// `us-east-1` for the global endpoint, else the target's region.
fn signing_region(target: &Target) -> Result<&str, String> {
    let host = target.host.trim_end_matches('.');
    if host.eq_ignore_ascii_case(GLOBAL_HOST) {
        Ok(GLOBAL_REGION)
    } else {
        target.require_region()
    }
}

netcheck_guest::export_plugin!(Sts);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::{ProbeKind, Signing};

    fn target(host: &str, region: Option<&str>) -> Target {
        Target {
            url: format!("https://{host}/"),
            scheme: "https".into(),
            host: host.into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("sts".into()),
            region: region.map(String::from),
            options: Vec::new(),
        }
    }

    fn only_probe(target: Target) -> Probe {
        let mut probes = Sts::plan(target).unwrap();
        assert_eq!(probes.len(), 1);
        probes.remove(0)
    }

    #[test]
    fn plans_a_query_protocol_get_caller_identity() {
        let probe = only_probe(target("sts.eu-west-1.amazonaws.com", Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("sts", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = &probe.kind else {
            panic!("expected an HTTP probe");
        };
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("POST", "/")
        );
        assert_eq!(req.body, b"Action=GetCallerIdentity&Version=2011-06-15");
    }

    #[test]
    fn global_endpoint_signs_for_us_east_1_whatever_the_region() {
        for region in [None, Some("eu-west-1")] {
            let probe = only_probe(target("STS.amazonaws.com.", region));
            assert_eq!(probe.signing, Signing::sigv4("sts", "us-east-1"));
        }
    }

    #[test]
    fn regional_endpoint_without_region_is_an_error() {
        let err = Sts::plan(target("127.0.0.1", None)).unwrap_err();
        assert!(err.contains("no region"), "{err}");
    }

    #[test]
    fn describes_global_and_regional_patterns() {
        let patterns = &Sts::describe().services[0].host_patterns;
        for p in [
            "sts.amazonaws.com",
            "sts.*.amazonaws.com",
            "sts-fips.*.amazonaws.com",
            "*.sts.*.vpce.amazonaws.com",
        ] {
            assert!(patterns.iter().any(|x| x == p), "missing {p}");
        }
    }
}
