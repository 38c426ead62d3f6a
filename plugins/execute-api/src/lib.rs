//! netcheck plugin `execute-api`: proves an Amazon API Gateway API is reachable at its invoke
//! endpoint (`<api-id>.execute-api.<region>.amazonaws.com`, a private API's VPC endpoint
//! names, or an interface endpoint's own DNS name).
//!
//! It sends one `GET` to the URL's path (or `/`), unsigned unless `sign = "true"`. API
//! Gateway answers every request that reaches it in its own recognisable way, so even a
//! refusal proves the path ([`verdict`] has the table). Options:
//!
//! - `sign = "true"`: sign with SigV4 (signing name `execute-api`), for methods with IAM
//!   authorisation; exercises `execute-api:Invoke`.
//! - `path = "/prod/health"`: the path (and query) to request, instead of the URL's.
//! - `api-id = "a1b2c3d4e5"`: sends `x-apigw-api-id`, which a private API needs when it is
//!   called through the VPC endpoint's own DNS name (`vpce-….execute-api.<region>.vpce…`).

use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo, Target,
    Verdict, request,
};

mod options;
mod verdict;

const ACTION: &str = "execute-api:Invoke";

struct ExecuteApi;

impl Checker for ExecuteApi {
    fn describe() -> PluginInfo {
        let host_patterns = [
            "*.execute-api.*.amazonaws.com",
            "*.execute-api.*.amazonaws.com.cn",
            "*.execute-api.*.api.aws",
            "*.execute-api.*.vpce.amazonaws.com",
            "*.execute-api.*.vpce.amazonaws.com.cn",
        ];
        PluginInfo {
            name: "execute-api".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Amazon API Gateway invoke endpoints: GET the URL's path, unsigned (a 403 \
                          Missing Authentication Token proves API Gateway answered) or, with \
                          sign = \"true\", SigV4-signed"
                    .into(),
            services: vec![ServiceInfo {
                id: "execute-api".into(),
                host_patterns: host_patterns.iter().map(|p| p.to_string()).collect(),
                signing_name: Some("execute-api".into()),
                vpc_endpoint: Some("com.amazonaws.{region}.execute-api".into()),
                endpoint_kind: EndpointKind::Interface,
                actions: vec![ACTION.into()],
            }],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let options = options::Options::read(&target)?;
        let mut call = request::rest_get(&options.path);
        if let Some(api_id) = options.api_id {
            call = call.with_header("x-apigw-api-id", api_id);
        }
        let label = options.label();
        if options.sign {
            let region = target.require_region()?;
            Ok(vec![Probe::aws(
                &label,
                call,
                "execute-api",
                region,
                ACTION,
            )])
        } else {
            Ok(vec![Probe::unsigned(&label, call)])
        }
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        verdict::judge(&target, &probe, &observation, &context)
    }
}

netcheck_guest::export_plugin!(ExecuteApi);

#[cfg(test)]
mod tests;
