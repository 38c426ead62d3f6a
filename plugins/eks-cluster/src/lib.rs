//! netcheck plugin `eks-cluster`: can this IAM identity talk to an EKS cluster's
//! Kubernetes API server (`<id>.gr7.<region>.eks.amazonaws.com`)?
//!
//! One probe, `GET /api`, carrying the IAM bearer token the host builds (the plugin only
//! asks for it with `Signing::EksToken`; it never sees credentials or the token). The
//! answer separates the three questions people ask: reachable (any HTTP answer),
//! authenticated (not 401), authorised (200, not 403).
//!
//! Options: `cluster` (required: the cluster *name*, signed into the token).
//! The API server's certificate is signed by the cluster's own CA: give it with
//! `ca_file` on the check (from `aws eks describe-cluster … certificateAuthority`).

use netcheck_guest::{
    Checker, EksTokenParams, EndpointKind, HttpRequest, Observation, PluginInfo, Probe,
    ProbeContext, ProbeKind, ServiceInfo, Signing, Target, Verdict,
};

struct EksCluster;

/// The probe for `target`, or why it can't be planned.
fn probe(target: &Target) -> Result<Probe, String> {
    let cluster = target.option("cluster").filter(|c| !c.is_empty()).ok_or_else(|| {
        "option `cluster` is required: the EKS cluster name, e.g. options = { cluster = \"prod\" }"
            .to_string()
    })?;
    let region = target.require_region()?;
    Ok(Probe {
        label: "GET /api (IAM token)".into(),
        kind: ProbeKind::Http(HttpRequest {
            method: "GET".into(),
            path_and_query: "/api".into(),
            headers: vec![("accept".into(), "application/json".into())],
            body: vec![],
        }),
        signing: Signing::EksToken(EksTokenParams {
            cluster: cluster.into(),
            region: region.into(),
        }),
        action: None,
    })
}

/// Judge the API server's answer.
fn verdict(observation: &Observation, context: &ProbeContext) -> Verdict {
    let Some(response) = observation.http() else {
        return Verdict::warn(
            "reachable",
            "connected to the API server; no HTTP answer to judge",
        );
    };
    match (response.status, context.signed) {
        (200, _) => Verdict::pass(
            "ok",
            "API server reachable; the IAM identity is authenticated and may read /api (HTTP 200)",
        ),
        (401, false) => Verdict::warn(
            "no-credentials",
            "API server reachable (HTTP 401), but no AWS credentials were found to build an IAM token",
        )
        .with_hint("provide AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID…, or an attached role)"),
        (401, true) => Verdict::fail(
            "unauthenticated",
            "API server reachable, but it rejected the IAM token (HTTP 401)",
        )
        .with_hint(
            "this IAM role/user has no EKS access entry (or aws-auth mapping) on this cluster, or the \
             `cluster` option names another cluster: add an access entry for the role",
        ),
        (403, _) => Verdict::fail(
            "forbidden",
            "authenticated, but Kubernetes RBAC forbids GET /api (HTTP 403)",
        )
        .with_hint(
            "the identity is mapped but not authorised: associate an access policy or bind its \
             Kubernetes user/group to a (Cluster)Role",
        ),
        (status, _) => Verdict::warn(
            "http-status",
            format!("API server answered HTTP {status} to GET /api"),
        ),
    }
}

impl Checker for EksCluster {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "eks-cluster".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "An EKS cluster's Kubernetes API server with this IAM identity: \
                          reachable, authenticated, authorised"
                .into(),
            services: vec![ServiceInfo {
                id: "eks-cluster".into(),
                host_patterns: vec![
                    "*.eks.amazonaws.com".into(),
                    "*.eks.amazonaws.com.cn".into(),
                ],
                signing_name: None,
                vpc_endpoint: None,
                endpoint_kind: EndpointKind::None,
                actions: vec![],
            }],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        Ok(vec![probe(&target)?])
    }

    fn judge(
        _target: Target,
        _probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        verdict(&observation, &context)
    }
}

netcheck_guest::export_plugin!(EksCluster);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::{HttpResponse, Status};

    fn target(options: &[(&str, &str)]) -> Target {
        Target {
            url: "https://ABC.gr7.eu-west-1.eks.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "abc.gr7.eu-west-1.eks.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("eks-cluster".into()),
            region: Some("eu-west-1".into()),
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn answer(status: u16, signed: bool) -> Verdict {
        let obs = Observation::Http(HttpResponse {
            status,
            headers: vec![],
            body: vec![],
        });
        verdict(
            &obs,
            &ProbeContext {
                signed,
                clock_offset_seconds: None,
            },
        )
    }

    #[test]
    fn asks_the_host_for_a_token_for_the_named_cluster() {
        let p = probe(&target(&[("cluster", "prod")])).unwrap();
        assert_eq!(
            p.signing,
            Signing::EksToken(EksTokenParams {
                cluster: "prod".into(),
                region: "eu-west-1".into()
            })
        );
        let ProbeKind::Http(req) = p.kind else {
            panic!("an HTTP probe")
        };
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("GET", "/api")
        );
    }

    #[test]
    fn cluster_option_is_required() {
        assert!(
            probe(&target(&[]))
                .unwrap_err()
                .contains("option `cluster`")
        );
    }

    #[test]
    fn separates_reachable_authenticated_authorised() {
        assert_eq!(answer(200, true).status, Status::Pass);
        assert_eq!(answer(401, true).reason, "unauthenticated");
        assert_eq!(answer(401, false).reason, "no-credentials");
        assert_eq!(answer(403, true).reason, "forbidden");
        assert_eq!(answer(500, true).status, Status::Warn);
    }
}
