//! netcheck plugin `secretsmanager`: proves AWS Secrets Manager is reachable and usable with
//! `ListSecrets` (JSON 1.1, `{"MaxResults":1}`).
//!
//! `ListSecrets` returns names and metadata, never a secret value: netcheck never calls
//! `GetSecretValue`, so no secret can reach a plugin, a log or a report.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, services,
};

const ACTION: &str = "secretsmanager:ListSecrets";

struct SecretsManager;

impl Checker for SecretsManager {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "secretsmanager".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "AWS Secrets Manager: signed ListSecrets (MaxResults 1; metadata only, \
                          never a secret value)"
                .into(),
            services: vec![services::aws_service(
                "secretsmanager",
                EndpointKind::Interface,
                &[ACTION],
            )],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let call = request::aws_json(
            JsonProtocol::V1_1,
            "secretsmanager.ListSecrets",
            r#"{"MaxResults":1}"#,
        );
        Ok(vec![Probe::aws(
            "ListSecrets",
            call,
            "secretsmanager",
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

netcheck_guest::export_plugin!(SecretsManager);

#[cfg(test)]
mod tests {
    //! The ListSecrets request, the description, and verdicts on Secrets Manager's answers
    //! in the JSON 1.1 shapes AWS sends.

    use super::*;
    use netcheck_guest::{HttpResponse, ProbeKind, Signing, Status};

    const OK: &str = r#"{"NextToken":"x","SecretList":[{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf","Name":"db"}]}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
    const JSON_1_1: (&str, &str) = ("content-type", "application/x-amz-json-1.1");

    fn target(region: Option<&str>) -> Target {
        Target {
            url: "https://secretsmanager.eu-west-1.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "secretsmanager.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("secretsmanager".into()),
            region: region.map(String::from),
            options: Vec::new(),
        }
    }

    fn judge(status: u16, body: &str) -> Verdict {
        let t = target(Some("eu-west-1"));
        let probe = SecretsManager::plan(t.clone()).unwrap().remove(0);
        let response = HttpResponse {
            status,
            headers: vec![(JSON_1_1.0.into(), JSON_1_1.1.into())],
            body: body.as_bytes().to_vec(),
        };
        let context = ProbeContext {
            signed: true,
            clock_offset_seconds: None,
        };
        SecretsManager::judge(t, probe, Observation::Http(response), context)
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
    fn plans_one_signed_list_secrets() {
        let probes = SecretsManager::plan(target(Some("eu-west-1"))).unwrap();
        assert_eq!(probes.len(), 1);
        let probe = &probes[0];
        assert_eq!(probe.signing, Signing::sigv4("secretsmanager", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = &probe.kind else {
            panic!("expected an HTTP probe");
        };
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
