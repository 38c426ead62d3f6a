//! netcheck plugin `logs`: proves Amazon CloudWatch Logs is reachable and usable with
//! `DescribeLogGroups` (JSON 1.1, `{"limit":1}`), a cheap read-only call that needs no
//! log group name.
//!
//! Workloads usually *write* logs (`logs:CreateLogStream`, `logs:PutLogEvents`); those
//! calls create data, so netcheck proves the path, the credentials and IAM with this
//! read instead.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, services,
};

const ACTION: &str = "logs:DescribeLogGroups";

struct Logs;

impl Checker for Logs {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "logs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Amazon CloudWatch Logs: signed DescribeLogGroups (limit 1)".into(),
            services: vec![services::aws_service(
                "logs",
                EndpointKind::Interface,
                &[ACTION],
            )],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let call = request::aws_json(
            JsonProtocol::V1_1,
            "Logs_20140328.DescribeLogGroups",
            r#"{"limit":1}"#,
        );
        Ok(vec![Probe::aws(
            "DescribeLogGroups",
            call,
            "logs",
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

netcheck_guest::export_plugin!(Logs);

#[cfg(test)]
mod tests;
