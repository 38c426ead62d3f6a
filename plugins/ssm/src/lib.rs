//! netcheck plugin `ssm`: proves AWS Systems Manager is reachable and usable with
//! `DescribeParameters` (JSON 1.1, `{"MaxResults":1}`), a cheap read-only call that needs
//! no parameter name.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, services,
};

const ACTION: &str = "ssm:DescribeParameters";

struct Ssm;

impl Checker for Ssm {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "ssm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "AWS Systems Manager: signed DescribeParameters (MaxResults 1)".into(),
            services: vec![services::aws_service(
                "ssm",
                EndpointKind::Interface,
                &[ACTION],
            )],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let describe = request::aws_json(
            JsonProtocol::V1_1,
            "AmazonSSM.DescribeParameters",
            r#"{"MaxResults":1}"#,
        );
        Ok(vec![Probe::aws(
            "DescribeParameters",
            describe,
            "ssm",
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

netcheck_guest::export_plugin!(Ssm);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::{ProbeKind, Signing};

    fn target(region: Option<&str>) -> Target {
        Target {
            url: "https://ssm.eu-west-1.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "ssm.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("ssm".into()),
            region: region.map(String::from),
            options: Vec::new(),
        }
    }

    #[test]
    fn plans_one_signed_describe() {
        let probes = Ssm::plan(target(Some("eu-west-1"))).unwrap();
        assert_eq!(probes.len(), 1);
        let probe = &probes[0];
        assert_eq!(probe.signing, Signing::sigv4("ssm", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = &probe.kind else {
            panic!("expected an HTTP probe");
        };
        assert_eq!(req.method, "POST");
        assert!(
            req.headers
                .contains(&("x-amz-target".into(), "AmazonSSM.DescribeParameters".into()))
        );
        assert_eq!(req.body, br#"{"MaxResults":1}"#);
    }

    #[test]
    fn missing_region_is_an_error_naming_the_fix() {
        let err = Ssm::plan(target(None)).unwrap_err();
        assert!(
            err.contains("no region") && err.contains("AWS_REGION"),
            "{err}"
        );
    }

    #[test]
    fn describes_the_ssm_service() {
        let info = Ssm::describe();
        assert_eq!(info.name, "ssm");
        assert_eq!(
            info.services[0].vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.ssm")
        );
        assert_eq!(info.services[0].actions, [ACTION]);
    }
}
