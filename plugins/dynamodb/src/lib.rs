//! netcheck plugin `dynamodb`: proves Amazon DynamoDB is reachable and usable with
//! `ListTables` (JSON 1.0, `{"Limit":1}`), the cheapest read-only call DynamoDB has.
//!
//! DynamoDB is served inside a VPC by a gateway endpoint (`com.amazonaws.{region}.dynamodb`,
//! a route-table entry, no DNS change) or, since 2024, by an interface endpoint of the same
//! name (`vpce-….dynamodb.<region>.vpce.amazonaws.com`); both names are claimed here.
//! Account-based endpoints (`<account>.ddb.<region>.amazonaws.com`) are claimed too.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{EndpointKind, HttpRequest, ServiceInfo, SignedCall, Target, services};

const ACTION: &str = "dynamodb:ListTables";

struct Dynamodb;

impl SignedCall for Dynamodb {
    const NAME: &'static str = "dynamodb";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Amazon DynamoDB: signed ListTables (Limit 1). In a VPC: a gateway endpoint \
                          (route table), or an interface endpoint of the same service name";
    const SERVICE: &'static str = "dynamodb";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Gateway;
    const LABEL: &'static str = "ListTables";
    const ACTION: &'static str = ACTION;

    fn service() -> ServiceInfo {
        let mut service = services::aws_service(Self::SERVICE, Self::ENDPOINT_KIND, &[ACTION]);
        service.host_patterns.push("*.ddb.*.amazonaws.com".into());
        service
    }

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_0,
            "DynamoDB_20120810.ListTables",
            r#"{"Limit":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(Dynamodb);

#[cfg(test)]
mod tests;
