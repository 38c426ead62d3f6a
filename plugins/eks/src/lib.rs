//! netcheck plugin `eks`: proves the Amazon EKS control-plane API (`eks.<region>…`, not a
//! cluster's Kubernetes API server) is reachable and usable with `ListClusters`
//! (REST-JSON, `GET /clusters?maxResults=1`).
//!
//! A cluster's own API server (`<id>.gr7.<region>.eks.amazonaws.com`) is a different
//! endpoint with Kubernetes authentication; this plugin does not claim it.

use netcheck_guest::{
    EndpointKind, HttpRequest, ServiceInfo, SignedCall, Target, request, services,
};

const ACTION: &str = "eks:ListClusters";

struct Eks;

impl SignedCall for Eks {
    const NAME: &'static str = "eks";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Amazon EKS control-plane API: signed ListClusters (maxResults 1)";
    const SERVICE: &'static str = "eks";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "ListClusters";
    const ACTION: &'static str = ACTION;

    fn service() -> ServiceInfo {
        let mut service = services::aws_service(Self::SERVICE, Self::ENDPOINT_KIND, &[ACTION]);
        // EKS's FIPS endpoints put `fips` in front: fips.eks.us-east-1.amazonaws.com.
        service
            .host_patterns
            .push("fips.eks.*.amazonaws.com".into());
        service
    }

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        // The empty x-amz-content-sha256 is filled in and signed by the host: harmless for
        // AWS, and required by emulators that check body hashes on body-less GETs.
        Ok(request::rest_get("/clusters?maxResults=1").with_header("x-amz-content-sha256", ""))
    }
}

netcheck_guest::export_plugin!(Eks);

#[cfg(test)]
mod tests {
    //! The ListClusters request, the description, and verdicts on EKS's REST-JSON answers
    //! (code in `x-amzn-errortype`, message in the body).

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"{"clusters":["prod"],"nextToken":"x"}"#;
    const ACCESS_DENIED: &str = r#"{"message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: eks:ListClusters on resource: arn:aws:eks:eu-west-1:123456789012:cluster/*"}"#;
    const BAD_SIGNATURE: &str = r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str =
        r#"{"message":"The security token included in the request is invalid."}"#;

    fn target(region: Option<&str>) -> Target {
        aws_target("eks", "eks.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, error_type: Option<&str>, body: &str) -> Verdict {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(code) = error_type {
            headers.push(("x-amzn-errortype", code));
        }
        judge_first::<Eks>(
            &target(Some("eu-west-1")),
            response(status, &headers, body),
            signed(),
        )
    }

    #[test]
    fn plans_a_signed_rest_get() {
        let probe = only_probe::<Eks>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("eks", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("GET", "/clusters?maxResults=1")
        );
        assert!(req.body.is_empty());
        assert!(
            req.headers
                .contains(&("x-amz-content-sha256".into(), String::new()))
        );
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(Eks::plan(target(None)).unwrap_err().contains("no region"));
    }

    #[test]
    fn claims_the_api_but_not_cluster_endpoints() {
        let s = &Eks::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.eks")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "eks.*.amazonaws.com",
            "fips.eks.*.amazonaws.com",
            "eks.*.api.aws",
            "*.eks.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
        // Every pattern starts with a literal label, so `<id>.gr7.<region>.eks.amazonaws.com`
        // (a cluster's API server) matches none of the non-VPC-endpoint ones.
        assert!(s.host_patterns.iter().all(|p| !p.starts_with('*')
            || p.ends_with(".vpce.amazonaws.com")
            || p.ends_with(".vpce.amazonaws.com.cn")));
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, None, OK), Status::Pass, "ok", "ListClusters");
        let v = judge(403, Some("AccessDeniedException"), ACCESS_DENIED);
        expect(&v, Status::Fail, "access-denied", ACTION);
        let v = judge(403, Some("InvalidSignatureException"), BAD_SIGNATURE);
        expect(
            &v,
            Status::Fail,
            "signature-mismatch",
            "InvalidSignatureException",
        );
        let v = judge(403, Some("UnrecognizedClientException"), UNKNOWN_KEY);
        expect(
            &v,
            Status::Fail,
            "invalid-credentials",
            "UnrecognizedClientException",
        );
    }
}
