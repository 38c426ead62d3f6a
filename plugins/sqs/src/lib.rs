//! netcheck plugin `sqs`: proves Amazon SQS is reachable and usable with `ListQueues` in
//! the AWS JSON 1.0 protocol (`x-amz-target: AmazonSQS.ListQueues`, `{"MaxResults":1}`),
//! which current SDKs speak instead of the old query protocol.
//!
//! Besides `sqs.<region>.amazonaws.com` it claims the legacy names `queue.amazonaws.com`
//! (us-east-1) and `<region>.queue.amazonaws.com` that old queue URLs still carry. The URL's
//! path (a queue URL's `/<account>/<queue>`) is ignored: JSON calls go to `/`.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::signed_call::region_unless_global;
use netcheck_guest::{EndpointKind, HttpRequest, ServiceInfo, SignedCall, Target, services};

const ACTION: &str = "sqs:ListQueues";
/// The legacy global name, which serves us-east-1.
const LEGACY_GLOBAL_HOST: &str = "queue.amazonaws.com";

struct Sqs;

impl SignedCall for Sqs {
    const NAME: &'static str = "sqs";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Amazon SQS: signed ListQueues (MaxResults 1) in the JSON 1.0 protocol";
    const SERVICE: &'static str = "sqs";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "ListQueues";
    const ACTION: &'static str = ACTION;

    fn service() -> ServiceInfo {
        let mut service = services::aws_service(Self::SERVICE, Self::ENDPOINT_KIND, &[ACTION]);
        service.host_patterns.push(LEGACY_GLOBAL_HOST.into());
        service.host_patterns.push("*.queue.amazonaws.com".into());
        service
    }

    fn signing_region(target: &Target) -> Result<&str, String> {
        region_unless_global(target, LEGACY_GLOBAL_HOST, "us-east-1")
    }

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_0,
            "AmazonSQS.ListQueues",
            r#"{"MaxResults":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(Sqs);

#[cfg(test)]
mod tests {
    //! The ListQueues request, the description, and verdicts on SQS's JSON answers, which
    //! carry the old query-protocol code in `x-amzn-query-error` as well.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"{"NextToken":"x","QueueUrls":["https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"]}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: sqs:listqueues on resource: arn:aws:sqs:eu-west-1:123456789012: because no identity-based policy allows the sqs:listqueues action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"com.amazon.coral.service#SignatureDoesNotMatch","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"com.amazon.coral.service#InvalidClientTokenId","message":"The security token included in the request is invalid."}"#;
    const NOT_A_QUEUE_CALL: &str = r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#;

    fn target(host: &str, region: Option<&str>) -> Target {
        aws_target("sqs", host, region)
    }

    fn judge(status: u16, query_error: &str, body: &str) -> Verdict {
        judge_first::<Sqs>(
            &target("sqs.eu-west-1.amazonaws.com", Some("eu-west-1")),
            response(
                status,
                &[
                    ("content-type", "application/x-amz-json-1.0"),
                    ("x-amzn-query-error", query_error),
                ],
                body,
            ),
            signed(),
        )
    }

    #[test]
    fn plans_a_json_1_0_list_queues() {
        let probe = only_probe::<Sqs>(target("sqs.eu-west-1.amazonaws.com", Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("sqs", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("POST", "/")
        );
        assert!(
            req.headers
                .contains(&("x-amz-target".into(), "AmazonSQS.ListQueues".into()))
        );
        assert!(
            req.headers
                .contains(&("content-type".into(), "application/x-amz-json-1.0".into()))
        );
        assert_eq!(req.body, br#"{"MaxResults":1}"#);
    }

    #[test]
    fn legacy_global_name_signs_for_us_east_1() {
        let probe = Sqs::plan(target("Queue.amazonaws.com.", Some("eu-west-1")))
            .unwrap()
            .remove(0);
        assert_eq!(probe.signing, Signing::sigv4("sqs", "us-east-1"));
        assert!(
            Sqs::plan(target("127.0.0.1", None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_current_and_legacy_names() {
        let s = &Sqs::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.sqs")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        for p in [
            "sqs.*.amazonaws.com",
            "sqs-fips.*.amazonaws.com",
            "sqs.*.api.aws",
            "*.sqs.*.vpce.amazonaws.com",
            "queue.amazonaws.com",
            "*.queue.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, "", OK), Status::Pass, "ok", "ListQueues");
        let v = judge(403, "AccessDenied;Sender", ACCESS_DENIED);
        expect(&v, Status::Fail, "access-denied", ACTION);
        let v = judge(403, "SignatureDoesNotMatch;Sender", BAD_SIGNATURE);
        expect(
            &v,
            Status::Fail,
            "signature-mismatch",
            "SignatureDoesNotMatch",
        );
        let v = judge(403, "InvalidClientTokenId;Sender", UNKNOWN_KEY);
        expect(
            &v,
            Status::Fail,
            "invalid-credentials",
            "InvalidClientTokenId",
        );
        // An answer that is an SQS error but means nothing for ListQueues is not a pass.
        let v = judge(
            400,
            "AWS.SimpleQueueService.NonExistentQueue;Sender",
            NOT_A_QUEUE_CALL,
        );
        expect(&v, Status::Fail, "http-status", "QueueDoesNotExist");
    }
}
