//! netcheck plugin `elasticloadbalancing`: proves the Elastic Load Balancing API is
//! reachable and usable with `DescribeLoadBalancers` (query protocol, API version
//! 2015-12-01 — Application, Network and Gateway Load Balancers — with `PageSize=1`).
//!
//! Classic Load Balancers use API version 2012-06-01 on the same endpoint and need the
//! same IAM action, so this one call covers both.

use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target, request};

const ACTION: &str = "elasticloadbalancing:DescribeLoadBalancers";

struct ElasticLoadBalancing;

impl SignedCall for ElasticLoadBalancing {
    const NAME: &'static str = "elasticloadbalancing";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Elastic Load Balancing: signed DescribeLoadBalancers (2015-12-01, \
                          PageSize 1)";
    const SERVICE: &'static str = "elasticloadbalancing";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "DescribeLoadBalancers";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_query(
            "DescribeLoadBalancers",
            "2015-12-01",
            &[("PageSize", "1")],
        ))
    }
}

netcheck_guest::export_plugin!(ElasticLoadBalancing);

#[cfg(test)]
mod tests {
    //! The DescribeLoadBalancers request, the description, and verdicts on ELB's answers
    //! in the query-protocol XML shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeLoadBalancersResult><LoadBalancers/></DescribeLoadBalancersResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeLoadBalancersResponse>"#;
    const ACCESS_DENIED: &str = r#"<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: elasticloadbalancing:DescribeLoadBalancers because no identity-based policy allows the elasticloadbalancing:DescribeLoadBalancers action</Message></Error><RequestId>2</RequestId></ErrorResponse>"#;
    const BAD_SIGNATURE: &str = r#"<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error><RequestId>3</RequestId></ErrorResponse>"#;
    const UNKNOWN_KEY: &str = r#"<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>4</RequestId></ErrorResponse>"#;

    fn target(region: Option<&str>) -> Target {
        aws_target(
            "elasticloadbalancing",
            "elasticloadbalancing.eu-west-1.amazonaws.com",
            region,
        )
    }

    fn judge(status: u16, body: &str) -> Verdict {
        judge_first::<ElasticLoadBalancing>(
            &target(Some("eu-west-1")),
            response(status, &[("content-type", "text/xml")], body),
            signed(),
        )
    }

    #[test]
    fn plans_a_v2_describe_load_balancers_with_one_result() {
        let probe = only_probe::<ElasticLoadBalancing>(target(Some("eu-west-1")));
        assert_eq!(
            probe.signing,
            Signing::sigv4("elasticloadbalancing", "eu-west-1")
        );
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            req.body,
            b"Action=DescribeLoadBalancers&Version=2015-12-01&PageSize=1"
        );
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(
            ElasticLoadBalancing::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &ElasticLoadBalancing::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.elasticloadbalancing")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "elasticloadbalancing.*.amazonaws.com",
            "elasticloadbalancing-fips.*.amazonaws.com",
            "*.elasticloadbalancing.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, OK), Status::Pass, "ok", "DescribeLoadBalancers");
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
