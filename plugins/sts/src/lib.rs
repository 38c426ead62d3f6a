//! netcheck plugin `sts`: proves AWS STS is reachable and the credentials are valid with
//! `GetCallerIdentity` (query protocol, version 2011-06-15). The call needs no IAM
//! permission, so it isolates network, signature, clock and credential problems.
//!
//! The global endpoint `sts.amazonaws.com` is signed for `us-east-1` whatever region the
//! check is in; regional, FIPS, dual-stack and VPC endpoint names are signed for their
//! region.

use netcheck_guest::signed_call::region_unless_global;
use netcheck_guest::{
    EndpointKind, HttpRequest, ServiceInfo, SignedCall, Target, request, services,
};

const ACTION: &str = "sts:GetCallerIdentity";
/// The one host name that is STS's global endpoint.
const GLOBAL_HOST: &str = "sts.amazonaws.com";
/// The region the global endpoint signs for.
const GLOBAL_REGION: &str = "us-east-1";

struct Sts;

impl SignedCall for Sts {
    const NAME: &'static str = "sts";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "AWS STS: signed GetCallerIdentity (needs no IAM permission)";
    const SERVICE: &'static str = "sts";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "GetCallerIdentity";
    const ACTION: &'static str = ACTION;

    fn service() -> ServiceInfo {
        let mut service = services::aws_service(Self::SERVICE, Self::ENDPOINT_KIND, &[ACTION]);
        service.host_patterns.insert(0, GLOBAL_HOST.into());
        service
    }

    /// `us-east-1` for the global endpoint, else the target's region.
    fn signing_region(target: &Target) -> Result<&str, String> {
        region_unless_global(target, GLOBAL_HOST, GLOBAL_REGION)
    }

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_query("GetCallerIdentity", "2011-06-15", &[]))
    }
}

netcheck_guest::export_plugin!(Sts);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::testing::{aws_target, http_request, only_probe};
    use netcheck_guest::{Checker, Signing};

    fn target(host: &str, region: Option<&str>) -> Target {
        aws_target("sts", host, region)
    }

    #[test]
    fn plans_a_query_protocol_get_caller_identity() {
        let probe = only_probe::<Sts>(target("sts.eu-west-1.amazonaws.com", Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("sts", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("POST", "/")
        );
        assert_eq!(req.body, b"Action=GetCallerIdentity&Version=2011-06-15");
    }

    #[test]
    fn global_endpoint_signs_for_us_east_1_whatever_the_region() {
        for region in [None, Some("eu-west-1")] {
            let probe = only_probe::<Sts>(target("STS.amazonaws.com.", region));
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
