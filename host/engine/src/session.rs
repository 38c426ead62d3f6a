//! Admission: what may run, decided once, below both the command line and the
//! in-function Lambda server.
//!
//! A [`Session`] is the policy in force and the plugins it admitted (a refused plugin is
//! never loaded, so none of its code runs), with the policy's per-plugin limits applied.
//! [`Session::admit_plan`] checks a whole plan against the policy and returns every
//! objection at once as [`Violations`], whose `Display` is the one refusal text:
//!
//! ```text
//! the policy refuses this run (2 violation(s)); nothing was probed:
//!   - policy rule [targets] deny …
//!   - policy rule [plugins] …
//! ```
//!
//! [`Session::pipeline`] builds the [`Pipeline`] the runners execute, with the same policy
//! as a field of the pipeline and of its prober.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use netcheck_plugin_host::{Limits, PluginHost, PluginSource, Signing};
use netcheck_policy::{
    AuditCheck, AuditPlugin, AuditRecord, CheckView, PlanView, PluginView, Policy, Violation,
};
use netcheck_runner_api::{Plan, Resources};
use sha2::Digest;

use crate::execute::Pipeline;
use crate::identity;
use crate::probe::Prober;
use crate::sign::Signer;

/// Everything the policy refuses about a run. Its `Display` is the only text netcheck
/// uses to say so, on the command line and in a Lambda function's answer alike.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the policy refuses this run ({} violation(s)); nothing was probed:",
            self.0.len()
        )?;
        for v in &self.0 {
            write!(f, "\n  - {v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

/// The policy in force and the plugins it admitted.
pub struct Session {
    policy: Arc<Policy>,
    plugins: Arc<PluginHost>,
    /// Plugins the policy refused (not loaded): they refuse any run.
    refused: Vec<Violation>,
}

/// Which plugins to admit: the bundled ones, plugin files, where compiled plugins are
/// cached, and (inside Lambda) only the bundled plugins the plan names — a cold start
/// pays for what it uses.
#[derive(Debug, Clone, Default)]
pub struct PluginChoice {
    pub files: Vec<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub only_bundled: Option<BTreeSet<String>>,
}

impl Session {
    /// Load the plugins `choice` names that `policy` admits and apply the policy's limits.
    /// Fails only when a plugin cannot be read or is not a plugin; a plugin the policy
    /// refuses is recorded ([`Session::refused_plugins`]) and refuses every plan.
    pub fn admit(policy: Arc<Policy>, choice: &PluginChoice) -> anyhow::Result<Session> {
        let (mut plugins, refused) = load_plugins(&policy, choice)?;
        apply_limits(&policy, &mut plugins);
        Ok(Session {
            policy,
            plugins: Arc::new(plugins),
            refused,
        })
    }

    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    pub fn plugins(&self) -> &Arc<PluginHost> {
        &self.plugins
    }

    /// The plugins the policy refused to load.
    pub fn refused_plugins(&self) -> Violations {
        Violations(self.refused.clone())
    }

    /// Everything the policy objects to in running `plan` on `runner`: refused plugins
    /// first, then the plan's targets, signing, regions and the runner. Nothing is sent.
    pub fn admit_plan(&self, plan: &Plan, runner: &str) -> Result<(), Violations> {
        let mut all = self.refused.clone();
        all.extend(evaluate(&self.policy, plan, &self.plugins, runner));
        if all.is_empty() {
            Ok(())
        } else {
            Err(Violations(all))
        }
    }

    /// The pipeline runners execute plans with: these plugins, this policy (for targets,
    /// resolved addresses and redirects), DNS through `nameservers` (empty = the
    /// system's), and `signer`'s credentials.
    pub fn pipeline(
        &self,
        nameservers: &[String],
        signer: Arc<Signer>,
    ) -> anyhow::Result<Pipeline> {
        Ok(Pipeline {
            plugins: self.plugins.clone(),
            policy: self.policy.clone(),
            prober: Arc::new(Prober::new(nameservers)?.with_policy(self.policy.clone())),
            signer,
        })
    }

    /// Append the run's audit line when the policy asks for one: the plan, the plugins,
    /// what the runner created and removed, and any violations, with the caller's ARN
    /// (STS GetCallerIdentity in `region`; `null` and a warning when it cannot be had).
    pub async fn audit(
        &self,
        plan: &Plan,
        runner: &str,
        violations: &Violations,
        resources: &Resources,
        region: Option<&str>,
    ) -> anyhow::Result<()> {
        let policy = &self.policy;
        let Some(file) = policy.audit_file() else {
            return Ok(());
        };
        let time = SystemTime::now();
        let caller_arn = match identity::caller_arn(policy.clone(), region).await {
            Ok(arn) => Some(arn),
            Err(e) => {
                tracing::warn!("the audit line records no caller ARN: looking it up failed: {e:#}");
                None
            }
        };
        let record = AuditRecord {
            time,
            caller_arn,
            runner: runner.to_string(),
            checks: plan
                .checks
                .iter()
                .map(|c| AuditCheck {
                    name: c.name.clone(),
                    url: c.target.url.clone(),
                    plugin: c.plugin.clone(),
                })
                .collect(),
            plugins: self
                .plugins
                .plugins()
                .iter()
                .map(|p| AuditPlugin {
                    name: p.name.clone(),
                    sha256: p.sha256.clone(),
                })
                .collect(),
            created: resources.created.clone(),
            removed: resources.removed.clone(),
            violations: violations.0.clone(),
        };
        netcheck_policy::append_audit(policy, &record).map_err(|e| {
            anyhow::anyhow!(
                "the policy's audit file {} could not be written: {e}",
                file.display()
            )
        })
    }
}

/// The bundled plugins and plugin files the policy admits, and what it refused.
fn load_plugins(
    policy: &Policy,
    choice: &PluginChoice,
) -> anyhow::Result<(PluginHost, Vec<Violation>)> {
    let mut host = PluginHost::new(Limits::default(), choice.cache_dir.clone())?;
    let mut refused = Vec::new();
    for (name, bytes) in netcheck_plugin_host::bundled() {
        if choice
            .only_bundled
            .as_ref()
            .is_some_and(|only| !only.contains(*name))
        {
            continue;
        }
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        match policy.check_plugin(name, &sha, true) {
            Ok(()) => host
                .load_bytes(bytes, PluginSource::Bundled)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            Err(v) => refused.push(v),
        }
    }
    for path in &choice.files {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("plugin {}: cannot read it: {e}", path.display()))?;
        let sha = hex::encode(sha2::Sha256::digest(&bytes));
        if let Err(v) = policy.admit_plugin_file(&path.display().to_string(), &sha) {
            refused.push(v);
            continue;
        }
        // The bytes the policy admitted, not a second read of the file.
        host.load_bytes(&bytes, PluginSource::File(path.clone()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(meta) = host.plugins().iter().find(|p| p.sha256 == sha)
            && let Err(v) = policy.check_plugin(&meta.name, &sha, false)
        {
            refused.push(v);
        }
    }
    Ok((host, refused))
}

/// Per-plugin limits from the policy (capped by its ceilings).
fn apply_limits(policy: &Policy, plugins: &mut PluginHost) {
    let names: Vec<String> = plugins.plugins().iter().map(|p| p.name.clone()).collect();
    for name in names {
        let current = plugins.limits(&name);
        let (cpu, memory) =
            policy.plugin_limits(&name, (current.cpu_deadline, current.memory_bytes));
        plugins.set_limits(
            &name,
            Limits {
                cpu_deadline: cpu,
                memory_bytes: memory,
                ..current
            },
        );
    }
}

/// Everything in the plan the policy has an opinion on, every violation at once.
fn evaluate(policy: &Policy, plan: &Plan, plugins: &PluginHost, runner: &str) -> Vec<Violation> {
    let checks = plan
        .checks
        .iter()
        .map(|c| CheckView {
            name: c.name.clone(),
            scheme: c.target.scheme.clone(),
            host: c.target.host.clone(),
            port: c.target.port,
            signed: plugins
                .plan(&c.plugin, &c.target)
                .map(|probes| probes.iter().any(|p| !matches!(p.signing, Signing::None)))
                .unwrap_or(false),
            is_aws: c.target.aws.is_some(),
        })
        .collect();
    let mut regions: Vec<String> = plan
        .checks
        .iter()
        .filter(|c| c.target.aws.is_some())
        .filter_map(|c| c.target.region.clone())
        .collect();
    regions.sort();
    regions.dedup();
    let view = PlanView {
        checks,
        plugins: plugins
            .plugins()
            .iter()
            .map(|p| PluginView {
                name: p.name.clone(),
                sha256: p.sha256.clone(),
                bundled: matches!(p.source, PluginSource::Bundled),
            })
            .collect(),
        runner: runner.to_string(),
        regions,
        accounts: vec![],
        vpcs: vec![],
        subnets: vec![],
    };
    netcheck_policy::evaluate(policy, &view)
}
