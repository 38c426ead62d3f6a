//! netcheck plugin `monitoring`: proves Amazon CloudWatch (metrics and alarms, host
//! `monitoring.<region>.amazonaws.com`) is reachable and usable with `DescribeAlarms`
//! (`MaxRecords=1`), the cheapest read-only call with a page-size limit.
//!
//! CloudWatch now also speaks JSON 1.0 and Smithy RPC v2 CBOR; netcheck uses the query
//! protocol (form POST, `Version=2010-08-01`), which every CloudWatch endpoint still
//! serves. The signing name is `monitoring`; the IAM prefix is `cloudwatch:`.

use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target, request};

const ACTION: &str = "cloudwatch:DescribeAlarms";

struct Monitoring;

impl SignedCall for Monitoring {
    const NAME: &'static str = "monitoring";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Amazon CloudWatch: signed DescribeAlarms (MaxRecords 1), query protocol";
    const SERVICE: &'static str = "monitoring";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "DescribeAlarms";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_query(
            "DescribeAlarms",
            "2010-08-01",
            &[("MaxRecords", "1")],
        ))
    }
}

netcheck_guest::export_plugin!(Monitoring);

#[cfg(test)]
mod tests {
    //! The DescribeAlarms request, the description, and verdicts on CloudWatch's answers in
    //! the query-protocol XML shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/></DescribeAlarmsResult><ResponseMetadata><RequestId>4f1c2d3e-0000-4000-8000-000000000001</RequestId></ResponseMetadata></DescribeAlarmsResponse>"#;
    const ACCESS_DENIED: &str = r#"<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: cloudwatch:DescribeAlarms on resource: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:* because no identity-based policy allows the cloudwatch:DescribeAlarms action</Message></Error><RequestId>4f1c2d3e-0000-4000-8000-000000000002</RequestId></ErrorResponse>"#;
    const BAD_SIGNATURE: &str = r#"<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error><RequestId>4f1c2d3e-0000-4000-8000-000000000003</RequestId></ErrorResponse>"#;
    const UNKNOWN_KEY: &str = r#"<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>4f1c2d3e-0000-4000-8000-000000000004</RequestId></ErrorResponse>"#;

    fn target(region: Option<&str>) -> Target {
        aws_target("monitoring", "monitoring.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, body: &str) -> Verdict {
        judge_first::<Monitoring>(
            &target(Some("eu-west-1")),
            response(status, &[("content-type", "text/xml")], body),
            signed(),
        )
    }

    #[test]
    fn plans_a_query_protocol_describe_alarms() {
        let probe = only_probe::<Monitoring>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("monitoring", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("POST", "/")
        );
        assert!(req.headers.iter().all(|(k, _)| k != "x-amz-target"));
        assert_eq!(
            req.body,
            b"Action=DescribeAlarms&Version=2010-08-01&MaxRecords=1"
        );
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(
            Monitoring::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn signing_name_is_monitoring_and_actions_are_cloudwatch() {
        let s = &Monitoring::describe().services[0];
        assert_eq!(s.id, "monitoring");
        assert_eq!(s.signing_name.as_deref(), Some("monitoring"));
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.monitoring")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, ["cloudwatch:DescribeAlarms"]);
        for p in [
            "monitoring.*.amazonaws.com",
            "monitoring-fips.*.amazonaws.com",
            "*.monitoring.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, OK), Status::Pass, "ok", "DescribeAlarms");
        expect(
            &judge(403, ACCESS_DENIED),
            Status::Fail,
            "access-denied",
            ACTION,
        );
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
