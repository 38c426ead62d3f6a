//! netcheck plugin `logs`: proves Amazon CloudWatch Logs is reachable and usable with
//! `DescribeLogGroups` (JSON 1.1, `{"limit":1}`), a cheap read-only call that needs no
//! log group name.
//!
//! Workloads usually *write* logs (`logs:CreateLogStream`, `logs:PutLogEvents`); those
//! calls create data, so netcheck proves the path, the credentials and IAM with this
//! read instead.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target};

const ACTION: &str = "logs:DescribeLogGroups";

struct Logs;

impl SignedCall for Logs {
    const NAME: &'static str = "logs";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Amazon CloudWatch Logs: signed DescribeLogGroups (limit 1)";
    const SERVICE: &'static str = "logs";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "DescribeLogGroups";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_1,
            "Logs_20140328.DescribeLogGroups",
            r#"{"limit":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(Logs);

#[cfg(test)]
mod tests;
