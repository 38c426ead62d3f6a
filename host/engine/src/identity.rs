//! Who is running netcheck: the caller's ARN from STS `GetCallerIdentity`, for the
//! policy's audit line.
//!
//! The lookup uses the AWS default credential chain (like the checks' signer) and never
//! holds a run up for long: it gives up after [`LOOKUP_TIMEOUT`], with one attempt and
//! no retries. The SDK honours endpoint overrides (`AWS_ENDPOINT_URL_STS`,
//! `AWS_ENDPOINT_URL`), so the endpoint it resolves is checked against the policy just
//! before the request is signed, like any other signed target: a policy that does not
//! let SigV4 signatures reach that host, or that denies the host, stops the lookup and
//! nothing is sent. Errors carry no secrets (the SDK's error text names neither keys nor
//! signatures).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, ConfigBag, Intercept, Region, RuntimeComponents};

use netcheck_policy::Policy;

/// The longest the caller lookup may take, credential resolution included.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// STS's region when the run has none (its global endpoint's region).
const FALLBACK_REGION: &str = "us-east-1";

/// The ARN of the identity the AWS default credential chain resolves, from STS
/// `GetCallerIdentity` in `region` (else us-east-1). Errors say why the lookup failed.
pub async fn caller_arn(policy: Arc<Policy>, region: Option<&str>) -> anyhow::Result<String> {
    let region = region.unwrap_or(FALLBACK_REGION).to_string();
    match tokio::time::timeout(LOOKUP_TIMEOUT, lookup(policy, region.clone())).await {
        Ok(result) => result,
        Err(_) => anyhow::bail!(
            "STS GetCallerIdentity in {region} did not answer within {LOOKUP_TIMEOUT:?} \
             (credentials or the STS endpoint unreachable?)"
        ),
    }
}

async fn lookup(policy: Arc<Policy>, region: String) -> anyhow::Result<String> {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.clone()))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(LOOKUP_TIMEOUT)
                .build(),
        )
        .load()
        .await;
    let config = aws_sdk_sts::config::Builder::from(&sdk)
        .interceptor(PolicyGuard(policy))
        .build();
    let answer = aws_sdk_sts::Client::from_conf(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "STS GetCallerIdentity in {region} failed: {}",
                netcheck_runner_api::error_chain(&e)
            )
        })?;
    answer
        .arn()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("STS GetCallerIdentity in {region} returned no ARN"))
}

/// Checks the resolved STS endpoint against the policy before the request is signed.
#[derive(Debug)]
struct PolicyGuard(Arc<Policy>);

impl Intercept for PolicyGuard {
    fn name(&self) -> &'static str {
        "NetcheckPolicyGuard"
    }

    fn read_before_signing(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        check_endpoint(&self.0, context.request().uri()).map_err(Into::into)
    }
}

/// Whether the policy lets a signed request go to `uri`: the target rules, then the
/// signing rule (AWS endpoints always pass it).
fn check_endpoint(policy: &Policy, uri: &str) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|e| format!("the STS endpoint `{uri}`: {e}"))?;
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(format!("the STS endpoint `{uri}` has no host")),
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let refused = |v: netcheck_policy::Violation| format!("the STS endpoint is refused: {v}");
    policy
        .check_target_name(url.scheme(), &host, port)
        .map_err(refused)?;
    policy
        .check_signing(&host, crate::endpoint::parse(&host).is_some())
        .map_err(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_decides_where_the_lookup_may_go() {
        let default = Policy::default();
        assert!(check_endpoint(&default, "https://sts.eu-west-1.amazonaws.com/").is_ok());
        // Signing to a non-AWS host needs the policy's consent.
        let e = check_endpoint(&default, "http://127.0.0.1:4566/").unwrap_err();
        assert!(e.contains("STS endpoint is refused"), "{e}");
        let e = check_endpoint(&default, "http://169.254.169.254/").unwrap_err();
        assert!(e.contains("instance metadata"), "{e}");

        let path = std::path::Path::new("policy.toml");
        let loopback = Policy::from_toml("[signing]\nhosts = [\"127.0.0.1\"]", path)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(check_endpoint(&loopback, "http://127.0.0.1:4566/").is_ok());
        let denied = Policy::from_toml(
            "[signing]\nhosts = [\"127.0.0.1\"]\n[targets]\ndeny = [\"127.0.0.0/8\"]",
            path,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let e = check_endpoint(&denied, "http://127.0.0.1:4566/").unwrap_err();
        assert!(e.contains("targets.deny[0]"), "{e}");
    }
}
