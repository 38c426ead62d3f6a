//! netcheck plugin `secretsmanager`: proves AWS Secrets Manager is reachable and usable with
//! `ListSecrets` (JSON 1.1, `{"MaxResults":1}`).
//!
//! `ListSecrets` returns names and metadata, never a secret value: netcheck never calls
//! `GetSecretValue`, so no secret can reach a plugin, a log or a report.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target};

const ACTION: &str = "secretsmanager:ListSecrets";

struct SecretsManager;

impl SignedCall for SecretsManager {
    const NAME: &'static str = "secretsmanager";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "AWS Secrets Manager: signed ListSecrets (MaxResults 1; metadata only, \
                          never a secret value)";
    const SERVICE: &'static str = "secretsmanager";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "ListSecrets";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_1,
            "secretsmanager.ListSecrets",
            r#"{"MaxResults":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(SecretsManager);

#[cfg(test)]
mod tests {
    //! The ListSecrets request, the description, and verdicts on Secrets Manager's answers
    //! in the JSON 1.1 shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response,
        signed,
    };
    use netcheck_guest::{Checker, Signing, Status, Verdict};

    const OK: &str = r#"{"NextToken":"x","SecretList":[{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf","Name":"db"}]}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
    const JSON_1_1: (&str, &str) = ("content-type", "application/x-amz-json-1.1");

    fn target(region: Option<&str>) -> Target {
        aws_target(
            "secretsmanager",
            "secretsmanager.eu-west-1.amazonaws.com",
            region,
        )
    }

    fn judge(status: u16, body: &str) -> Verdict {
        judge_first::<SecretsManager>(
            &target(Some("eu-west-1")),
            response(status, &[JSON_1_1], body),
            signed(),
        )
    }

    #[test]
    fn plans_one_signed_list_secrets() {
        let probe = only_probe::<SecretsManager>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("secretsmanager", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(req.method, "POST");
        assert!(
            req.headers
                .contains(&("x-amz-target".into(), "secretsmanager.ListSecrets".into()))
        );
        assert_eq!(req.body, br#"{"MaxResults":1}"#);
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(
            SecretsManager::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &SecretsManager::describe().services[0];
        assert_eq!(s.id, "secretsmanager");
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.secretsmanager")
        );
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "secretsmanager.*.amazonaws.com",
            "secretsmanager-fips.*.amazonaws.com",
            "*.secretsmanager.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, OK), Status::Pass, "ok", "ListSecrets");
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
