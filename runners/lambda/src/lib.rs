//! The `lambda` runner: netcheck deploys itself as a `provided.al2023` function into each
//! subnet, invokes it with the plan, merges the results and removes everything it made.
//!
//! One run, in order (each step recorded in a [`Ledger`] the moment AWS confirms it):
//!
//! 1. [`placement`]: the accounts (caller + `--assume-role`), regions and subnets; the
//!    administrator's policy judges every one before anything is created ([`Guard`]).
//! 2. [`deploy`]: an execution role per account (unless `--role-arn`), an egress-only
//!    security group per VPC (unless `--security-groups`), and per placement a tagged log
//!    group and the function — in parallel, bounded by `max_parallel`.
//! 3. [`invoke`]: each function as soon as it is Active; a placement that fails becomes
//!    one `runner-error` result per check, so every subnet has a row for every check.
//! 4. [`cleanup`]: on success, failure, Ctrl-C (or SIGTERM) and the run deadline alike,
//!    unless `keep`. `netcheck cleanup` ([`cleanup::sweep`]) finds leftovers by tag.
//!
//! The [`Package`] (the `bootstrap` and custom plugins) is built by the host; this crate
//! never parses configuration.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use aws_config::SdkConfig;
use netcheck_runner_api::remote::{REMOTE_PROTOCOL, RemoteRequest};
use netcheck_runner_api::{
    CheckResult, Executor, Objection, Plan, Progress, Resources, RunError, RunOutcome, Runner,
};
use netcheck_runner_aws::network::EniWait;
use tokio::sync::Semaphore;

pub mod cleanup;
pub mod deploy;
pub mod invoke;
pub mod ledger;
pub mod names;
pub mod package;
pub mod placement;

pub use deploy::{RoleSettings, Waits};
pub use ledger::{Ledger, Resource};
pub use package::{Arch, Package};
pub use placement::{Placement, PlacementFacts};

/// Judges every placement before anything is created; an error refuses the run (the
/// host words it: [`RunError::Refused`]).
pub type Guard = Arc<dyn Fn(&[PlacementFacts]) -> Result<(), Objection> + Send + Sync>;

/// Everything a lambda run needs, from flags, configuration and policy.
#[derive(Clone)]
pub struct LambdaOptions {
    pub run_id: String,
    /// The caller's AWS configuration (credentials, default region, endpoint overrides).
    pub sdk: SdkConfig,
    pub package: Package,
    /// Subnet ids; empty = one function outside any VPC per (account, region).
    pub subnets: Vec<String>,
    /// Security groups to use instead of creating one per VPC.
    pub security_groups: Vec<String>,
    /// An existing execution role to use (never modified) instead of creating one.
    pub role_arn: Option<String>,
    /// Regions; empty = the configuration's region.
    pub regions: Vec<String>,
    /// Roles to assume, one per extra account.
    pub assume_roles: Vec<String>,
    pub keep: bool,
    /// Placements deployed and invoked at once.
    pub max_parallel: usize,
    pub memory_mb: i32,
    pub role: RoleSettings,
    /// The effective policy, for the function to enforce again.
    pub remote_policy: Option<serde_json::Value>,
    pub waits: Waits,
    pub eni: EniWait,
    /// The administrator's `max_run_lifetime`: past it, the run stops and cleans up.
    pub deadline: Option<Duration>,
    pub guard: Guard,
}

/// The `lambda` runner. [`Runner::run`]'s outcome names what was created, removed, left
/// behind and kept (from the run's [`Ledger`]).
pub struct LambdaRunner {
    options: LambdaOptions,
    ledger: Arc<Ledger>,
    /// Set when the run must stop (Ctrl-C, SIGTERM, deadline): no new step starts, but
    /// a create call already sent is awaited (bounded), so what AWS made is recorded.
    stop: tokio::sync::watch::Sender<Option<&'static str>>,
}

impl LambdaRunner {
    pub fn new(options: LambdaOptions) -> Self {
        LambdaRunner {
            options,
            ledger: Arc::new(Ledger::new()),
            stop: tokio::sync::watch::channel(None).0,
        }
    }

    pub fn ledger(&self) -> Arc<Ledger> {
        self.ledger.clone()
    }

    pub fn run_id(&self) -> &str {
        &self.options.run_id
    }

    /// Fails with [`Interrupted`] once the run was told to stop: called before each step
    /// that creates something.
    fn checkpoint(&self) -> anyhow::Result<()> {
        match *self.stop.borrow() {
            Some(why) => Err(Interrupted(why).into()),
            None => Ok(()),
        }
    }

    /// Runs `step` (which creates nothing: a waiter, an invocation) unless the run is
    /// told to stop first.
    async fn cancellable<T>(
        &self,
        step: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let mut stop = self.stop.subscribe();
        tokio::select! {
            r = step => r,
            Ok(why) = async { stop.wait_for(Option::is_some).await.map(|w| w.unwrap_or("stopped")) } => {
                Err(Interrupted(why).into())
            }
        }
    }

    /// Resolves and judges placements, deploys, invokes. Does not clean up.
    async fn deploy_and_invoke(
        &self,
        plan: &Plan,
        progress: Arc<dyn Progress>,
    ) -> Result<Vec<CheckResult>, RunError> {
        let o = &self.options;
        let regions = if o.regions.is_empty() {
            vec![o.sdk.region().map(|r| r.to_string()).context(
                "the lambda runner needs a region: set --region, --regions, NETCHECK_REGION or \
                 AWS_REGION",
            )?]
        } else {
            o.regions.clone()
        };
        progress.phase(
            "lambda",
            &format!(
                "packaged {} ({:.1} MB zip, {})",
                o.package.bootstrap,
                o.package.zip.len() as f64 / 1_048_576.0,
                o.package.arch
            ),
        );
        progress.phase("lambda", "looking up accounts and subnets");
        let accounts = self
            .cancellable(placement::accounts(&o.sdk, &o.assume_roles, &o.run_id))
            .await?;
        let placements = self
            .cancellable(placement::resolve(&accounts, &regions, &o.subnets))
            .await?;
        let facts: Vec<PlacementFacts> = placements.iter().map(PlacementFacts::from).collect();
        if let Err(why) = (o.guard)(&facts) {
            return Err(RunError::Refused(why));
        }
        progress.planned(plan.checks.len() * placements.len());

        // Roles, one per account, in parallel.
        let mut roles: HashMap<String, String> = HashMap::new();
        match &o.role_arn {
            Some(arn) => {
                for a in &accounts {
                    roles.insert(a.id.clone(), arn.clone());
                }
            }
            None => {
                let mut tasks = Vec::new();
                self.checkpoint()?;
                for a in &accounts {
                    progress.phase(&format!("account {}", a.id), "role");
                    let region = regions[0].clone();
                    let sdk = a
                        .sdk
                        .to_builder()
                        .region(aws_config::Region::new(region.clone()))
                        .build();
                    tasks.push(async move {
                        let arn =
                            deploy::role(&sdk, &o.run_id, &region, &o.role, &self.ledger).await;
                        (a.id.clone(), arn)
                    });
                }
                for (account, arn) in futures_join(tasks).await {
                    roles.insert(account, arn?);
                }
            }
        }

        // Security groups, one per (account, region, VPC), unless named.
        let mut groups: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
        for p in &placements {
            let Some(subnet) = &p.subnet else { continue };
            let key = (
                p.account.id.clone(),
                p.region.clone(),
                subnet.vpc_id.clone(),
            );
            if groups.contains_key(&key) {
                continue;
            }
            let ids = if o.security_groups.is_empty() {
                self.checkpoint()?;
                progress.phase(&p.location, "security group");
                let id = deploy::security_group(
                    &p.sdk(),
                    &o.run_id,
                    &subnet.vpc_id,
                    &o.role.required_tags,
                    &self.ledger,
                )
                .await?;
                vec![id]
            } else {
                o.security_groups.clone()
            };
            groups.insert(key, ids);
        }

        // Functions: deploy and invoke each placement, bounded.
        let limit = Arc::new(Semaphore::new(o.max_parallel.max(1)));
        let mut tasks = Vec::new();
        for p in &placements {
            let role_arn = roles.get(&p.account.id).cloned().unwrap_or_default();
            let sgs = p
                .subnet
                .as_ref()
                .and_then(|s| {
                    groups.get(&(p.account.id.clone(), p.region.clone(), s.vpc_id.clone()))
                })
                .cloned()
                .unwrap_or_default();
            let limit = limit.clone();
            let progress = progress.clone();
            tasks.push(async move {
                let _permit = limit.acquire().await;
                if let Err(e) = self.checkpoint() {
                    return invoke::failed(plan, &p.location, &e);
                }
                let results = self
                    .one_placement(plan, p, &role_arn, &sgs, &progress)
                    .await;
                match results {
                    Ok(results) => results,
                    Err(e) => {
                        progress.phase(&p.location, &format!("failed: {e:#}"));
                        let failed = invoke::failed(plan, &p.location, &e);
                        for r in &failed {
                            progress.finished(r);
                        }
                        failed
                    }
                }
            });
        }
        let results: Vec<CheckResult> = futures_join(tasks).await.into_iter().flatten().collect();
        // Interrupted: the partial results are not the answer.
        self.checkpoint()?;
        Ok(results)
    }

    async fn one_placement(
        &self,
        plan: &Plan,
        p: &Placement,
        role_arn: &str,
        security_groups: &[String],
        progress: &Arc<dyn Progress>,
    ) -> anyhow::Result<Vec<CheckResult>> {
        let o = &self.options;
        let sdk = p.sdk();
        let name = names::function_name(&o.run_id, &p.slug());
        self.checkpoint()?;
        progress.phase(&p.location, "log group");
        deploy::log_group(&sdk, &name, &o.run_id, &o.role.required_tags, &self.ledger).await?;
        self.checkpoint()?;
        progress.phase(&p.location, "deploy");
        let timeout = function_timeout(plan);
        let spec = deploy::FunctionSpec {
            run_id: &o.run_id,
            name: name.clone(),
            role_arn,
            package: &o.package,
            subnet: p.subnet.as_ref().map(|s| s.id.as_str()),
            security_groups,
            memory_mb: o.memory_mb,
            timeout_s: i32::try_from(timeout.as_secs()).unwrap_or(900),
            required_tags: &o.role.required_tags,
        };
        let location = p.location.clone();
        let progress2 = progress.clone();
        let status = move |msg: &str| progress2.phase(&location, msg);
        let mut stop = self.stop.subscribe();
        let stopped = async move {
            let _ = stop.wait_for(Option::is_some).await;
        };
        deploy::function(&sdk, &spec, o.waits, &self.ledger, &status, stopped).await?;
        self.checkpoint()?;
        progress.phase(&p.location, "invoke");
        let request = RemoteRequest {
            protocol: REMOTE_PROTOCOL,
            netcheck_version: env!("CARGO_PKG_VERSION").to_string(),
            run_id: o.run_id.clone(),
            location: p.location.clone(),
            plan: plan.clone(),
            policy: o.remote_policy.clone(),
        };
        // Not cancelled by a stop: the function is running the plan and writing its log
        // group; deleting that group under it would let Lambda recreate it untagged. The
        // run's grace period bounds the wait; past it the invocation is recorded abandoned.
        let invoking = self.ledger.invoking(&name);
        let results =
            invoke::invoke(&sdk, &name, &request, timeout + Duration::from_secs(30)).await;
        invoking.finished();
        self.checkpoint()?;
        let mut results = results?;
        for r in &mut results {
            r.location = p.location.clone();
            progress.finished(r);
        }
        progress.phase(&p.location, "done");
        Ok(results)
    }

    /// Removes what the run created (unless `keep`), telling `progress`.
    pub async fn cleanup(&self, progress: &Arc<dyn Progress>) {
        if self.options.keep {
            return;
        }
        let progress = progress.clone();
        let status = move |msg: &str| progress.phase("cleanup", msg);
        cleanup::teardown(&self.ledger, self.options.eni, &status).await;
    }
}

/// The function's timeout: enough for every check at the plan's concurrency, plus
/// start-up; Lambda allows 1 to 900 seconds.
pub fn function_timeout(plan: &Plan) -> Duration {
    let longest = plan
        .checks
        .iter()
        .map(|c| c.timeout_ms)
        .max()
        .unwrap_or(5_000);
    let waves = plan.checks.len().div_ceil(plan.concurrency.max(1)) as u64;
    let ms = longest.saturating_mul(waves.max(1)) + 30_000;
    Duration::from_millis(ms.clamp(60_000, 900_000))
}

/// Awaits every future concurrently, results in input order.
async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outputs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Why a run stopped early.
#[derive(Debug)]
pub struct Interrupted(pub &'static str);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Interrupted {}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() -> &'static str {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = ctrl_c => "interrupted (Ctrl-C)",
                _ = term.recv() => "terminated (SIGTERM)",
            },
            Err(_) => {
                let _ = ctrl_c.await;
                "interrupted (Ctrl-C)"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
        "interrupted (Ctrl-C)"
    }
}

#[async_trait::async_trait]
impl Runner for LambdaRunner {
    fn name(&self) -> &'static str {
        "lambda"
    }

    /// Deploys, invokes and — whatever happens, Ctrl-C included — cleans up (unless
    /// `keep`). A second Ctrl-C during cleanup stops it; `netcheck cleanup --run-id`
    /// finishes the job.
    async fn run(
        &self,
        plan: &Plan,
        _executor: Arc<dyn Executor>,
        progress: Arc<dyn Progress>,
    ) -> RunOutcome {
        let work = self.deploy_and_invoke(plan, progress.clone());
        tokio::pin!(work);
        let deadline = tokio::time::sleep(
            self.options
                .deadline
                .unwrap_or(Duration::from_secs(100 * 365 * 86_400)),
        );
        tokio::pin!(deadline);
        // After a stop request, calls already sent get this long to answer.
        let grace = tokio::time::sleep(Duration::from_secs(365 * 86_400));
        tokio::pin!(grace);
        let mut stopping: Option<&'static str> = None;
        let outcome = loop {
            let why = tokio::select! {
                r = &mut work => break r,
                () = &mut grace, if stopping.is_some() => {
                    break Err(RunError::Failed(Interrupted(stopping.unwrap_or("stopped")).into()))
                }
                why = stop_signal(), if stopping.is_none() => why,
                () = &mut deadline, if stopping.is_none() => {
                    "stopped: the run reached the policy's max_run_lifetime"
                }
            };
            stopping = Some(why);
            self.stop.send_replace(Some(why));
            progress.phase(
                "lambda",
                &format!("{why}: finishing calls in flight, then cleaning up"),
            );
            grace
                .as_mut()
                .reset(tokio::time::Instant::now() + Duration::from_secs(60));
        };
        if outcome.is_err() && !self.options.keep {
            tracing::warn!(run_id = %self.options.run_id, "run stopped; removing what it created");
        }
        // Cleanup is abandoned only by a second stop signal: the one that stopped the run
        // counts as the first; otherwise the first signal during cleanup only warns.
        let mut signals = usize::from(stopping.is_some());
        let cleanup = self.cleanup(&progress);
        tokio::pin!(cleanup);
        loop {
            tokio::select! {
                () = &mut cleanup => break,
                why = stop_signal() => {
                    signals += 1;
                    if signals >= 2 {
                        let why = format!(
                            "cleanup {why}: run `netcheck cleanup --run-id {}` to finish it",
                            self.options.run_id
                        );
                        self.ledger.not_removed(&why);
                        break;
                    }
                    progress.phase(
                        "cleanup",
                        &format!("{why}: still removing what this run created; press Ctrl-C again to stop (then `netcheck cleanup --run-id {}`)", self.options.run_id),
                    );
                }
            }
        }
        RunOutcome {
            results: outcome,
            resources: self.resources(),
        }
    }
}

impl LambdaRunner {
    /// What the ledger says this run created, removed, left behind or kept.
    fn resources(&self) -> Resources {
        let created = self.ledger.created_labels();
        let keep = self.options.keep;
        Resources {
            run_id: Some(self.options.run_id.clone()),
            kept: if keep { created.clone() } else { Vec::new() },
            removed: self.ledger.removed_labels(),
            left: if keep {
                Vec::new()
            } else {
                self.ledger.left_labels()
            },
            created,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_runner_api::{CheckSpec, Target, TlsOptions};

    fn plan(checks: usize, concurrency: usize, timeout_ms: u64) -> Plan {
        Plan {
            checks: (0..checks)
                .map(|i| CheckSpec {
                    name: format!("c{i}"),
                    set: "s".into(),
                    target: Target::default(),
                    plugin: "tcp".into(),
                    timeout_ms,
                    tls: TlsOptions::default(),
                })
                .collect(),
            concurrency,
            nameservers: vec![],
        }
    }

    #[test]
    fn function_timeout_covers_every_wave_within_lambdas_limits() {
        assert_eq!(
            function_timeout(&plan(3, 16, 5_000)),
            Duration::from_secs(60)
        );
        assert_eq!(
            function_timeout(&plan(64, 16, 30_000)),
            Duration::from_secs(150)
        );
        assert_eq!(
            function_timeout(&plan(1000, 1, 60_000)),
            Duration::from_secs(900)
        );
    }

    #[tokio::test]
    async fn futures_join_keeps_input_order() {
        let futures: Vec<_> = (0..5u64)
            .map(|i| async move {
                tokio::time::sleep(Duration::from_millis(50 - i * 10)).await;
                i
            })
            .collect();
        assert_eq!(futures_join(futures).await, vec![0, 1, 2, 3, 4]);
    }
}
