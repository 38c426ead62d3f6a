//! netcheck plugin `xray`: proves AWS X-Ray is reachable and usable with `GetSamplingRules`
//! (REST-JSON, `POST /GetSamplingRules` with `{}`), the read-only call every X-Ray SDK and
//! the X-Ray daemon / ADOT collector make before sending traces.
//!
//! `GetEncryptionConfig` answers less, but tracing workloads are rarely granted it; the
//! sampling-rules permission is part of `AWSXRayDaemonWriteAccess`.

use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target};

const ACTION: &str = "xray:GetSamplingRules";

struct Xray;

impl SignedCall for Xray {
    const NAME: &'static str = "xray";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "AWS X-Ray: signed GetSamplingRules";
    const SERVICE: &'static str = "xray";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "GetSamplingRules";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(HttpRequest {
            method: "POST".into(),
            path_and_query: "/GetSamplingRules".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"{}".to_vec(),
        })
    }
}

netcheck_guest::export_plugin!(Xray);

#[cfg(test)]
mod tests {
    //! The GetSamplingRules request, the description, and verdicts on X-Ray's REST-JSON
    //! answers (code in `x-amzn-errortype`, message in the body).

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"{"SamplingRuleRecords":[{"SamplingRule":{"RuleName":"Default","Priority":10000,"FixedRate":0.05}}]}"#;
    const ACCESS_DENIED: &str = r#"{"Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: xray:GetSamplingRules because no identity-based policy allows the xray:GetSamplingRules action"}"#;
    const BAD_SIGNATURE: &str = r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str =
        r#"{"message":"The security token included in the request is invalid."}"#;

    fn target(region: Option<&str>) -> Target {
        aws_target("xray", "xray.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, error_type: Option<&str>, body: &str) -> Verdict {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(code) = error_type {
            headers.push(("x-amzn-errortype", code));
        }
        judge_first::<Xray>(
            &target(Some("eu-west-1")),
            response(status, &headers, body),
            signed(),
        )
    }

    #[test]
    fn plans_a_signed_rest_post() {
        let probe = only_probe::<Xray>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("xray", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("POST", "/GetSamplingRules")
        );
        assert_eq!(req.body, b"{}");
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(Xray::plan(target(None)).unwrap_err().contains("no region"));
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &Xray::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.xray")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "xray.*.amazonaws.com",
            "xray-fips.*.amazonaws.com",
            "*.xray.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(
            &judge(200, None, OK),
            Status::Pass,
            "ok",
            "GetSamplingRules",
        );
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
