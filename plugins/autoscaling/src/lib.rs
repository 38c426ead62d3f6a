//! netcheck plugin `autoscaling`: proves Amazon EC2 Auto Scaling is reachable and usable
//! with `DescribeAutoScalingGroups` (query protocol, API version 2011-01-01,
//! `MaxRecords=1`).

use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target, request};

const ACTION: &str = "autoscaling:DescribeAutoScalingGroups";

struct Autoscaling;

impl SignedCall for Autoscaling {
    const NAME: &'static str = "autoscaling";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Amazon EC2 Auto Scaling: signed DescribeAutoScalingGroups (MaxRecords 1)";
    const SERVICE: &'static str = "autoscaling";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "DescribeAutoScalingGroups";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_query(
            "DescribeAutoScalingGroups",
            "2011-01-01",
            &[("MaxRecords", "1")],
        ))
    }
}

netcheck_guest::export_plugin!(Autoscaling);

#[cfg(test)]
mod tests {
    //! The DescribeAutoScalingGroups request, the description, and verdicts on Auto
    //! Scaling's answers in the query-protocol XML shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>"#;
    const ACCESS_DENIED: &str = r#"<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: autoscaling:DescribeAutoScalingGroups because no identity-based policy allows the autoscaling:DescribeAutoScalingGroups action</Message></Error><RequestId>2</RequestId></ErrorResponse>"#;
    const BAD_SIGNATURE: &str = r#"<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error><RequestId>3</RequestId></ErrorResponse>"#;
    const UNKNOWN_KEY: &str = r#"<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>4</RequestId></ErrorResponse>"#;

    fn target(region: Option<&str>) -> Target {
        aws_target("autoscaling", "autoscaling.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, body: &str) -> Verdict {
        judge_first::<Autoscaling>(
            &target(Some("eu-west-1")),
            response(status, &[("content-type", "text/xml")], body),
            signed(),
        )
    }

    #[test]
    fn plans_describe_auto_scaling_groups_with_one_record() {
        let probe = only_probe::<Autoscaling>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("autoscaling", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            req.body,
            b"Action=DescribeAutoScalingGroups&Version=2011-01-01&MaxRecords=1"
        );
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(
            Autoscaling::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &Autoscaling::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.autoscaling")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "autoscaling.*.amazonaws.com",
            "autoscaling-fips.*.amazonaws.com",
            "*.autoscaling.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(
            &judge(200, OK),
            Status::Pass,
            "ok",
            "DescribeAutoScalingGroups",
        );
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
