//! netcheck plugin `kms`: proves AWS KMS is reachable and usable with `ListKeys`
//! (JSON 1.1, `{"Limit":1}`), the cheapest read-only call KMS has.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, services,
};

const ACTION: &str = "kms:ListKeys";

struct Kms;

impl Checker for Kms {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "kms".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "AWS KMS: signed ListKeys (Limit 1)".into(),
            services: vec![services::aws_service(
                "kms",
                EndpointKind::Interface,
                &[ACTION],
            )],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let list_keys = request::aws_json(
            JsonProtocol::V1_1,
            "TrentService.ListKeys",
            r#"{"Limit":1}"#,
        );
        Ok(vec![Probe::aws(
            "ListKeys", list_keys, "kms", region, ACTION,
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

netcheck_guest::export_plugin!(Kms);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::{ProbeKind, Signing};

    fn target(region: Option<&str>) -> Target {
        Target {
            url: "https://kms.eu-west-1.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "kms.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("kms".into()),
            region: region.map(String::from),
            options: Vec::new(),
        }
    }

    #[test]
    fn plans_one_signed_list_keys() {
        let probes = Kms::plan(target(Some("eu-west-1"))).unwrap();
        assert_eq!(probes.len(), 1);
        let probe = &probes[0];
        assert_eq!(probe.signing, Signing::sigv4("kms", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = &probe.kind else {
            panic!("expected an HTTP probe");
        };
        assert_eq!(req.method, "POST");
        assert!(
            req.headers
                .contains(&("x-amz-target".into(), "TrentService.ListKeys".into()))
        );
        assert_eq!(req.body, br#"{"Limit":1}"#);
    }

    #[test]
    fn missing_region_is_an_error_naming_the_fix() {
        let err = Kms::plan(target(None)).unwrap_err();
        assert!(
            err.contains("no region") && err.contains("AWS_REGION"),
            "{err}"
        );
    }

    #[test]
    fn describes_the_kms_service() {
        let info = Kms::describe();
        assert_eq!(info.name, "kms");
        assert_eq!(
            info.services[0].vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.kms")
        );
        assert_eq!(info.services[0].actions, [ACTION]);
    }
}
