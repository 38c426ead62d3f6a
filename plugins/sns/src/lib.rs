//! netcheck plugin `sns`: proves Amazon SNS is reachable and usable with `ListTopics`
//! (query protocol, API version 2010-03-31). SNS has no page-size parameter; the host reads
//! only a capped prefix of the answer.
//!
//! SNS refuses an IAM-denied call with the code `AuthorizationError` (not `AccessDenied`).

use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target, request};

const ACTION: &str = "sns:ListTopics";

struct Sns;

impl SignedCall for Sns {
    const NAME: &'static str = "sns";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Amazon SNS: signed ListTopics";
    const SERVICE: &'static str = "sns";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "ListTopics";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_query("ListTopics", "2010-03-31", &[]))
    }
}

netcheck_guest::export_plugin!(Sns);

#[cfg(test)]
mod tests {
    //! The ListTopics request, the description, and verdicts on SNS's answers in the
    //! query-protocol XML shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics><member><TopicArn>arn:aws:sns:eu-west-1:123456789012:alerts</TopicArn></member></Topics></ListTopicsResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListTopicsResponse>"#;
    const AUTHORIZATION_ERROR: &str = r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: SNS:ListTopics on resource: arn:aws:sns:eu-west-1:123456789012:* because no identity-based policy allows the SNS:ListTopics action</Message></Error><RequestId>2</RequestId></ErrorResponse>"#;
    const BAD_SIGNATURE: &str = r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error><RequestId>3</RequestId></ErrorResponse>"#;
    const UNKNOWN_KEY: &str = r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>4</RequestId></ErrorResponse>"#;

    fn target(region: Option<&str>) -> Target {
        aws_target("sns", "sns.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, body: &str) -> Verdict {
        judge_first::<Sns>(
            &target(Some("eu-west-1")),
            response(status, &[("content-type", "text/xml")], body),
            signed(),
        )
    }

    #[test]
    fn plans_a_query_protocol_list_topics() {
        let probe = only_probe::<Sns>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("sns", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(req.body, b"Action=ListTopics&Version=2010-03-31");
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(Sns::plan(target(None)).unwrap_err().contains("no region"));
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &Sns::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.sns")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "sns.*.amazonaws.com",
            "sns-fips.*.amazonaws.com",
            "sns.*.api.aws",
            "*.sns.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, OK), Status::Pass, "ok", "ListTopics");
        let v = judge(403, AUTHORIZATION_ERROR);
        expect(&v, Status::Fail, "access-denied", ACTION);
        assert!(v.message.contains("AuthorizationError"), "{}", v.message);
        expect(
            &judge(403, BAD_SIGNATURE),
            Status::Fail,
            "signature-mismatch",
            "SignatureDoesNotMatch",
        );
        expect(
            &judge(403, UNKNOWN_KEY),
            Status::Fail,
            "invalid-credentials",
            "InvalidClientTokenId",
        );
    }
}
