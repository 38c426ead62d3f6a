//! netcheck plugin `cognito-idp`: proves Amazon Cognito user pools (the `cognito-idp` API)
//! are reachable and usable with `ListUserPools` (JSON 1.1, `{"MaxResults":1}`), a signed,
//! read-only administrative call.
//!
//! Cognito's sign-in calls (`InitiateAuth`, …) are unsigned and answer only with a client
//! id, so the signed call is what proves the credentials and IAM.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, services,
};

const ACTION: &str = "cognito-idp:ListUserPools";

struct CognitoIdp;

impl Checker for CognitoIdp {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "cognito-idp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Amazon Cognito user pools: signed ListUserPools (MaxResults 1)".into(),
            services: vec![services::aws_service(
                "cognito-idp",
                EndpointKind::Interface,
                &[ACTION],
            )],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let call = request::aws_json(
            JsonProtocol::V1_1,
            "AWSCognitoIdentityProviderService.ListUserPools",
            r#"{"MaxResults":1}"#,
        );
        Ok(vec![Probe::aws(
            "ListUserPools",
            call,
            "cognito-idp",
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

netcheck_guest::export_plugin!(CognitoIdp);

#[cfg(test)]
mod tests {
    //! The ListUserPools request, the description, and verdicts on Cognito's answers in the
    //! JSON 1.1 shapes AWS sends.

    use super::*;
    use netcheck_guest::{HttpResponse, ProbeKind, Signing, Status};

    const OK: &str = r#"{"NextToken":"x","UserPools":[{"Id":"eu-west-1_AbC123","Name":"users"}]}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: cognito-idp:ListUserPools on resource: arn:aws:cognito-idp:eu-west-1:123456789012:userpool/* because no identity-based policy allows the cognito-idp:ListUserPools action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;

    fn target(region: Option<&str>) -> Target {
        Target {
            url: "https://cognito-idp.eu-west-1.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "cognito-idp.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("cognito-idp".into()),
            region: region.map(String::from),
            options: Vec::new(),
        }
    }

    fn judge(status: u16, body: &str) -> Verdict {
        let t = target(Some("eu-west-1"));
        let probe = CognitoIdp::plan(t.clone()).unwrap().remove(0);
        let response = HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
            body: body.as_bytes().to_vec(),
        };
        let context = ProbeContext {
            signed: true,
            clock_offset_seconds: None,
        };
        CognitoIdp::judge(t, probe, Observation::Http(response), context)
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
    fn plans_one_signed_list_user_pools() {
        let probes = CognitoIdp::plan(target(Some("eu-west-1"))).unwrap();
        assert_eq!(probes.len(), 1);
        let probe = &probes[0];
        assert_eq!(probe.signing, Signing::sigv4("cognito-idp", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = &probe.kind else {
            panic!("expected an HTTP probe");
        };
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
