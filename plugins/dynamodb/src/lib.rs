//! netcheck plugin `dynamodb`: proves Amazon DynamoDB is reachable and usable with
//! `ListTables` (JSON 1.0, `{"Limit":1}`), the cheapest read-only call DynamoDB has.
//!
//! DynamoDB is served inside a VPC by a gateway endpoint (`com.amazonaws.{region}.dynamodb`,
//! a route-table entry, no DNS change) or, since 2024, by an interface endpoint of the same
//! name (`vpce-….dynamodb.<region>.vpce.amazonaws.com`); both names are claimed here.
//! Account-based endpoints (`<account>.ddb.<region>.amazonaws.com`) are claimed too.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, services,
};

const ACTION: &str = "dynamodb:ListTables";

struct Dynamodb;

impl Checker for Dynamodb {
    fn describe() -> PluginInfo {
        let mut service = services::aws_service("dynamodb", EndpointKind::Gateway, &[ACTION]);
        service.host_patterns.push("*.ddb.*.amazonaws.com".into());
        PluginInfo {
            name: "dynamodb".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Amazon DynamoDB: signed ListTables (Limit 1). In a VPC: a gateway endpoint \
                          (route table), or an interface endpoint of the same service name"
                    .into(),
            services: vec![service],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let call = request::aws_json(
            JsonProtocol::V1_0,
            "DynamoDB_20120810.ListTables",
            r#"{"Limit":1}"#,
        );
        Ok(vec![Probe::aws(
            "ListTables",
            call,
            "dynamodb",
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

netcheck_guest::export_plugin!(Dynamodb);

#[cfg(test)]
mod tests;
