//! netcheck plugin `cognito-idp`: proves Amazon Cognito user pools (the `cognito-idp` API)
//! are reachable and usable with `ListUserPools` (JSON 1.1, `{"MaxResults":1}`), a signed,
//! read-only administrative call.
//!
//! Cognito's sign-in calls (`InitiateAuth`, …) are unsigned and answer only with a client
//! id, so the signed call is what proves the credentials and IAM.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target};

const ACTION: &str = "cognito-idp:ListUserPools";

struct CognitoIdp;

impl SignedCall for CognitoIdp {
    const NAME: &'static str = "cognito-idp";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Amazon Cognito user pools: signed ListUserPools (MaxResults 1)";
    const SERVICE: &'static str = "cognito-idp";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "ListUserPools";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_1,
            "AWSCognitoIdentityProviderService.ListUserPools",
            r#"{"MaxResults":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(CognitoIdp);

#[cfg(test)]
mod tests {
    //! The ListUserPools request, the description, and verdicts on Cognito's answers in the
    //! JSON 1.1 shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"{"NextToken":"x","UserPools":[{"Id":"eu-west-1_AbC123","Name":"users"}]}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: cognito-idp:ListUserPools on resource: arn:aws:cognito-idp:eu-west-1:123456789012:userpool/* because no identity-based policy allows the cognito-idp:ListUserPools action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;

    fn target(region: Option<&str>) -> Target {
        aws_target("cognito-idp", "cognito-idp.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, body: &str) -> Verdict {
        judge_first::<CognitoIdp>(
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
    fn plans_one_signed_list_user_pools() {
        let probe = only_probe::<CognitoIdp>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("cognito-idp", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert!(req.headers.contains(&(
            "x-amz-target".into(),
            "AWSCognitoIdentityProviderService.ListUserPools".into()
        )));
        assert_eq!(req.body, br#"{"MaxResults":1}"#);
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(
            CognitoIdp::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let info = CognitoIdp::describe();
        assert_eq!(info.name, "cognito-idp");
        let s = &info.services[0];
        assert_eq!(s.id, "cognito-idp");
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.cognito-idp")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        for p in [
            "cognito-idp.*.amazonaws.com",
            "cognito-idp-fips.*.amazonaws.com",
            "*.cognito-idp.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, OK), Status::Pass, "ok", "ListUserPools");
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
