//! netcheck plugin `eks`: proves the Amazon EKS control-plane API (`eks.<region>…`, not a
//! cluster's Kubernetes API server) is reachable and usable with `ListClusters`
//! (REST-JSON, `GET /clusters?maxResults=1`).
//!
//! A cluster's own API server (`<id>.gr7.<region>.eks.amazonaws.com`) is a different
//! endpoint with Kubernetes authentication; this plugin does not claim it.

use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, request, services,
};

const ACTION: &str = "eks:ListClusters";

struct Eks;

impl Checker for Eks {
    fn describe() -> PluginInfo {
        let mut service = services::aws_service("eks", EndpointKind::Interface, &[ACTION]);
        // EKS's FIPS endpoints put `fips` in front: fips.eks.us-east-1.amazonaws.com.
        service
            .host_patterns
            .push("fips.eks.*.amazonaws.com".into());
        PluginInfo {
            name: "eks".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Amazon EKS control-plane API: signed ListClusters (maxResults 1)".into(),
            services: vec![service],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        // The empty x-amz-content-sha256 is filled in and signed by the host: harmless for
        // AWS, and required by emulators that check body hashes on body-less GETs.
        let call =
            request::rest_get("/clusters?maxResults=1").with_header("x-amz-content-sha256", "");
        Ok(vec![Probe::aws(
            "ListClusters",
            call,
            "eks",
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

netcheck_guest::export_plugin!(Eks);

#[cfg(test)]
mod tests {
    //! The ListClusters request, the description, and verdicts on EKS's REST-JSON answers
    //! (code in `x-amzn-errortype`, message in the body).

    use super::*;
    use netcheck_guest::{HttpResponse, ProbeKind, Signing, Status};

    const OK: &str = r#"{"clusters":["prod"],"nextToken":"x"}"#;
    const ACCESS_DENIED: &str = r#"{"message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: eks:ListClusters on resource: arn:aws:eks:eu-west-1:123456789012:cluster/*"}"#;
    const BAD_SIGNATURE: &str = r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str =
        r#"{"message":"The security token included in the request is invalid."}"#;

    fn target(region: Option<&str>) -> Target {
        Target {
            url: "https://eks.eu-west-1.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "eks.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("eks".into()),
            region: region.map(String::from),
            options: Vec::new(),
        }
    }

    fn judge(status: u16, error_type: Option<&str>, body: &str) -> Verdict {
        let t = target(Some("eu-west-1"));
        let probe = Eks::plan(t.clone()).unwrap().remove(0);
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(code) = error_type {
            headers.push(("x-amzn-errortype".into(), code.into()));
        }
        let response = HttpResponse {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        };
        let context = ProbeContext {
            signed: true,
            clock_offset_seconds: None,
        };
        Eks::judge(t, probe, Observation::Http(response), context)
    }

    fn expect(v: &Verdict, status: Status, reason: &str, needle: &str) {
        assert_eq!((v.status, v.reason.as_str()), (status, reason), "{v:?}");
        assert!(
            v.message.contains(needle),
            "{needle:?} not in {}",
            v.message
        );
    }

    #[test]
    fn plans_a_signed_rest_get() {
        let probes = Eks::plan(target(Some("eu-west-1"))).unwrap();
        assert_eq!(probes.len(), 1);
        let probe = &probes[0];
        assert_eq!(probe.signing, Signing::sigv4("eks", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = &probe.kind else {
            panic!("expected an HTTP probe");
        };
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
