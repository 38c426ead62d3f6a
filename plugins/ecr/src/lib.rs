//! netcheck plugin `ecr`: proves Amazon ECR is reachable and usable, for both of its
//! endpoints:
//!
//! | service id | host | call | proves |
//! | --- | --- | --- | --- |
//! | `ecr` | `api.ecr.<region>.amazonaws.com` | signed `GetAuthorizationToken` (JSON 1.1) | the API path, the credentials and `ecr:GetAuthorizationToken`, the first call of every image pull |
//! | `ecr-dkr` | `<account>.dkr.ecr.<region>.amazonaws.com` | unsigned `GET /v2/` | the registry path: ECR answers `401` with a `www-authenticate` challenge |
//!
//! The registry is told by its host name (`dkr.ecr`, `dkr.ecr-fips`, dual-stack `dkr-ecr`)
//! or by `service = "ecr-dkr"`. Image layers are not served by either endpoint but by S3, so
//! a private subnet pulling images also needs the S3 gateway endpoint (check `s3` too).
//!
//! `GetAuthorizationToken`'s answer carries a registry password; this plugin never reads,
//! logs or quotes a successful answer's body.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo, Target,
    Verdict, judge_aws,
};

mod registry;

const ACTION: &str = "ecr:GetAuthorizationToken";
/// Service id of the API endpoint (`api.ecr…`).
const API_SERVICE: &str = "ecr";
/// Service id of an account's registry endpoint (`<account>.dkr.ecr…`).
const REGISTRY_SERVICE: &str = "ecr-dkr";
/// Label of the registry probe, which `judge` dispatches on.
const REGISTRY_LABEL: &str = "GET /v2/";

struct Ecr;

impl Checker for Ecr {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "ecr".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Amazon ECR: signed GetAuthorizationToken on api.ecr; unsigned GET /v2/ on \
                          <account>.dkr.ecr (401 with a registry challenge = reachable). Layers \
                          download from S3: private subnets need the S3 gateway endpoint too"
                    .into(),
            services: vec![api_service(), registry_service()],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        if is_registry(&target) {
            return Ok(vec![Probe::unsigned(
                REGISTRY_LABEL,
                request::rest_get("/v2/"),
            )]);
        }
        let region = target.require_region()?;
        let call = request::aws_json(
            JsonProtocol::V1_1,
            "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
            "{}",
        );
        Ok(vec![Probe::aws(
            "GetAuthorizationToken",
            call,
            "ecr",
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
        if probe.label == REGISTRY_LABEL {
            registry::judge(&target, &probe, &observation, &context)
        } else {
            judge_aws(&target, &probe, &observation, &context)
        }
    }
}

netcheck_guest::export_plugin!(Ecr);

fn api_service() -> ServiceInfo {
    let host_patterns = [
        "api.ecr.*.amazonaws.com",
        "api.ecr.*.amazonaws.com.cn",
        "ecr-fips.*.amazonaws.com",
        "ecr.*.api.aws",
        "ecr-fips.*.api.aws",
        "ecr.*.api.amazonwebservices.com.cn",
        "*.api.ecr.*.vpce.amazonaws.com",
        "*.api.ecr.*.vpce.amazonaws.com.cn",
    ];
    ServiceInfo {
        id: API_SERVICE.into(),
        host_patterns: host_patterns.iter().map(|p| p.to_string()).collect(),
        signing_name: Some("ecr".into()),
        vpc_endpoint: Some("com.amazonaws.{region}.ecr.api".into()),
        endpoint_kind: EndpointKind::Interface,
        actions: vec![ACTION.into()],
    }
}

fn registry_service() -> ServiceInfo {
    let host_patterns = [
        "*.dkr.ecr.*.amazonaws.com",
        "*.dkr.ecr.*.amazonaws.com.cn",
        "*.dkr.ecr-fips.*.amazonaws.com",
        "*.dkr-ecr.*.on.aws",
        "*.dkr-ecr-fips.*.on.aws",
        "*.dkr.ecr.*.vpce.amazonaws.com",
        "*.dkr.ecr.*.vpce.amazonaws.com.cn",
    ];
    ServiceInfo {
        id: REGISTRY_SERVICE.into(),
        host_patterns: host_patterns.iter().map(|p| p.to_string()).collect(),
        // The registry speaks Docker's token auth, not SigV4.
        signing_name: None,
        vpc_endpoint: Some("com.amazonaws.{region}.ecr.dkr".into()),
        endpoint_kind: EndpointKind::Interface,
        actions: Vec::new(),
    }
}

/// A registry endpoint: by host name (`….dkr.ecr[-fips].…`, `….dkr-ecr[-fips].…`), else by
/// `service = "ecr-dkr"`.
fn is_registry(target: &Target) -> bool {
    let host = target.host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let by_host = labels
        .windows(2)
        .any(|pair| pair[0] == "dkr" && matches!(pair[1], "ecr" | "ecr-fips"))
        || labels
            .iter()
            .any(|l| matches!(*l, "dkr-ecr" | "dkr-ecr-fips"));
    by_host || target.service.as_deref() == Some(REGISTRY_SERVICE)
}

#[cfg(test)]
mod tests;
