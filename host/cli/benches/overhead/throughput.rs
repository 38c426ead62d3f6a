//! Part 2: checks per second through the whole netcheck engine (plan, TCP connect, HTTP,
//! judge) beside a plain reqwest loop, both against the same loopback endpoints with the
//! same concurrency limit (a semaphore over one spawned task per endpoint, as the engine
//! does). Every round must see every endpoint answer 200, or it does not count.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use netcheck_engine::execute::Pipeline;
use netcheck_runner_api::{CheckSpec, Executor, NoProgress, Plan, Status, TlsOptions};
use tokio::sync::Semaphore;

use crate::loopback::Farm;

/// Per-check deadline on both sides; loopback answers take well under a millisecond.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The plan the engine runs: one `https`-plugin check per endpoint.
pub fn plan(farm: &Farm, concurrency: usize) -> anyhow::Result<Plan> {
    let mut checks = Vec::with_capacity(farm.urls.len());
    for (n, url) in farm.urls.iter().enumerate() {
        let target = netcheck_engine::plan::parse_target(url)
            .map_err(|e| anyhow::anyhow!("parsing loopback URL {url}: {e}"))?;
        checks.push(CheckSpec {
            name: format!("endpoint-{n}"),
            set: "bench".into(),
            target,
            plugin: "https".into(),
            timeout_ms: CHECK_TIMEOUT.as_millis() as u64,
            tls: TlsOptions::default(),
        });
    }
    Ok(Plan {
        checks,
        concurrency,
        nameservers: Vec::new(),
    })
}

/// Runs the plan through the engine; returns the wall time. Fails unless every check passed
/// and every endpoint answered exactly once.
pub async fn netcheck_round(
    engine: &Pipeline,
    plan: &Plan,
    farm: &Farm,
) -> anyhow::Result<Duration> {
    let before = farm.served();
    let started = Instant::now();
    let results = engine.execute(plan, Arc::new(NoProgress)).await;
    let took = started.elapsed();
    if let Some(bad) = results.iter().find(|r| r.status != Status::Pass) {
        bail!(
            "netcheck check {} ({}) did not pass: {} ({})",
            bad.name,
            bad.url,
            bad.reason,
            bad.message
        );
    }
    expect_served(farm, before, plan.checks.len(), "netcheck")?;
    Ok(took)
}

/// One GET per endpoint with reqwest, at most `concurrency` at once; returns the wall time.
pub async fn reqwest_round(
    client: &reqwest::Client,
    farm: &Farm,
    concurrency: usize,
) -> anyhow::Result<Duration> {
    let before = farm.served();
    let started = Instant::now();
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for url in &farm.urls {
        let (client, limit, url) = (client.clone(), limit.clone(), url.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let answer = client
                .get(&url)
                .send()
                .await
                .with_context(|| format!("reqwest GET {url}"))?;
            let status = answer.status();
            let body = answer
                .bytes()
                .await
                .with_context(|| format!("reading the body of {url}"))?;
            if status != reqwest::StatusCode::OK || body.as_ref() != b"ok" {
                bail!(
                    "reqwest GET {url} answered {status} with {} bytes",
                    body.len()
                );
            }
            Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("a reqwest task stopped unexpectedly")??;
    }
    let took = started.elapsed();
    expect_served(farm, before, farm.urls.len(), "reqwest")?;
    Ok(took)
}

/// A plain reqwest client: no proxies (everything stays on 127.0.0.1), same deadline.
pub fn reqwest_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(CHECK_TIMEOUT)
        .build()
        .context("building the reqwest client")
}

fn expect_served(farm: &Farm, before: usize, expected: usize, side: &str) -> anyhow::Result<()> {
    let served = farm.served() - before;
    if served != expected {
        bail!(
            "the {side} round made {served} requests to the loopback endpoints, expected {expected}"
        );
    }
    Ok(())
}
