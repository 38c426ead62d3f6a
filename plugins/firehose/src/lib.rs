//! netcheck plugin `firehose`: proves Amazon Data Firehose (formerly Kinesis Data Firehose)
//! is reachable and usable with `ListDeliveryStreams` (JSON 1.1, `{"Limit":1}`).
//!
//! The host name and signing name are `firehose`, but the VPC endpoint service is
//! `com.amazonaws.{region}.kinesis-firehose`.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{EndpointKind, HttpRequest, ServiceInfo, SignedCall, Target, services};

const ACTION: &str = "firehose:ListDeliveryStreams";

struct Firehose;

impl SignedCall for Firehose {
    const NAME: &'static str = "firehose";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Amazon Data Firehose: signed ListDeliveryStreams (Limit 1)";
    const SERVICE: &'static str = "firehose";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "ListDeliveryStreams";
    const ACTION: &'static str = ACTION;

    fn service() -> ServiceInfo {
        let mut service = services::aws_service(Self::SERVICE, Self::ENDPOINT_KIND, &[ACTION]);
        service.vpc_endpoint = Some("com.amazonaws.{region}.kinesis-firehose".into());
        service
            .host_patterns
            .push("*.kinesis-firehose.*.vpce.amazonaws.com".into());
        service
    }

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_1,
            "Firehose_20150804.ListDeliveryStreams",
            r#"{"Limit":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(Firehose);

#[cfg(test)]
mod tests {
    //! The ListDeliveryStreams request, the description, and verdicts on Firehose's answers
    //! in the JSON 1.1 shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"{"DeliveryStreamNames":["clicks"],"HasMoreDeliveryStreams":true}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: firehose:ListDeliveryStreams on resource: arn:aws:firehose:eu-west-1:123456789012:deliverystream/* because no identity-based policy allows the firehose:ListDeliveryStreams action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;

    fn target(region: Option<&str>) -> Target {
        aws_target("firehose", "firehose.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, body: &str) -> Verdict {
        judge_first::<Firehose>(
            &target(Some("eu-west-1")),
            response(
                status,
                &[("content-type", "application/x-amz-json-1.1")],
                body,
            ),
            signed(),
        )
    }

    #[test]
    fn plans_one_signed_list_delivery_streams() {
        let probe = only_probe::<Firehose>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("firehose", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert!(req.headers.contains(&(
            "x-amz-target".into(),
            "Firehose_20150804.ListDeliveryStreams".into()
        )));
        assert_eq!(req.body, br#"{"Limit":1}"#);
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(
            Firehose::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn vpc_endpoint_is_kinesis_firehose() {
        let s = &Firehose::describe().services[0];
        assert_eq!(s.id, "firehose");
        assert_eq!(s.signing_name.as_deref(), Some("firehose"));
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.kinesis-firehose")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        for p in [
            "firehose.*.amazonaws.com",
            "firehose-fips.*.amazonaws.com",
            "firehose.*.api.aws",
            "*.firehose.*.vpce.amazonaws.com",
            "*.kinesis-firehose.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, OK), Status::Pass, "ok", "ListDeliveryStreams");
        expect(
            &judge(400, ACCESS_DENIED),
            Status::Fail,
            "access-denied",
            ACTION,
        );
        expect(
            &judge(400, BAD_SIGNATURE),
            Status::Fail,
            "signature-mismatch",
            "InvalidSignatureException",
        );
        expect(
            &judge(400, UNKNOWN_KEY),
            Status::Fail,
            "invalid-credentials",
            "UnrecognizedClientException",
        );
    }
}
