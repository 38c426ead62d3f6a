//! Where the CLI meets the administrator's policy: loading it (`--policy` or
//! `NETCHECK_POLICY`), narrowing it with the user's `[restrict]`, evaluating a whole plan
//! before anything is sent, and `netcheck policy check`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::{Args, Subcommand};
use netcheck_runner_api::{CheckResult, Plan};

use crate::config::Config;
use crate::identity;
use crate::plugin_host::{PluginHost, PluginSource, Signing};
use crate::policy::{
    self, AuditCheck, AuditPlugin, AuditRecord, CheckView, PlanView, PluginView, Policy, Violation,
};

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Validate a policy file and print what it allows.
    Check(PolicyArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct PolicyArgs {
    /// Administrator policy file (TOML).
    #[arg(long, env = policy::POLICY_ENV)]
    pub policy: Option<PathBuf>,
}

/// The policy in force: the file if one is named, else the built-in default; narrowed by
/// the user's `[restrict]` table when the config has one.
pub fn load(args: &PolicyArgs, config: Option<&Config>) -> anyhow::Result<Arc<Policy>> {
    let base = match &args.policy {
        Some(path) => Policy::load(path).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => Policy::default(),
    };
    let narrowed = match config.and_then(|c| c.restrict.as_ref()) {
        Some(r) => base.narrow(r),
        None => base,
    };
    Ok(Arc::new(narrowed))
}

pub fn check(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    if args.policy.is_none() {
        println!(
            "No policy file given (--policy FILE or {}): the built-in default applies.\n",
            policy::POLICY_ENV
        );
    }
    let policy = load(&args, None)?;
    print!("{}", policy::describe(&policy));
    Ok(ExitCode::SUCCESS)
}

/// Load the bundled plugins and the plugin files `files` that the policy admits, with
/// compiled plugins cached in `cache_dir`. A plugin the policy refuses is not loaded —
/// none of its code runs — and comes back as a violation. Shared by the CLI and the
/// function netcheck runs as inside Lambda (`crate::lambda`).
pub fn load_plugins(
    files: &[PathBuf],
    policy: &Policy,
    cache_dir: Option<PathBuf>,
    only_bundled: Option<&std::collections::BTreeSet<String>>,
) -> anyhow::Result<(PluginHost, Vec<Violation>)> {
    use sha2::Digest;
    let mut host = PluginHost::new(crate::plugin_host::Limits::default(), cache_dir)?;
    let mut refused = Vec::new();
    for (name, bytes) in crate::plugin_host::bundled() {
        // Inside Lambda only the plan's plugins are compiled: a cold start pays for
        // what it uses.
        if only_bundled.is_some_and(|only| !only.contains(*name)) {
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
    for path in files {
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

/// Apply per-plugin limits from the policy (capped by its ceilings).
pub fn apply_limits(policy: &Policy, plugins: &mut PluginHost) {
    let names: Vec<String> = plugins.plugins().iter().map(|p| p.name.clone()).collect();
    for name in names {
        let current = plugins.limits(&name);
        let (cpu, memory) =
            policy.plugin_limits(&name, (current.cpu_deadline, current.memory_bytes));
        plugins.set_limits(
            &name,
            crate::plugin_host::Limits {
                cpu_deadline: cpu,
                memory_bytes: memory,
                ..current
            },
        );
    }
}

/// Everything in the plan the policy has an opinion on, every violation at once.
pub fn evaluate(
    policy: &Policy,
    plan: &Plan,
    plugins: &PluginHost,
    runner: &str,
) -> Vec<Violation> {
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
    policy::evaluate(policy, &view)
}

/// Print every violation and say what to do; the caller exits 2.
pub fn report_violations(violations: &[Violation]) {
    eprintln!(
        "error: the policy refuses this run ({} violation(s)); nothing was probed:",
        violations.len()
    );
    for v in violations {
        eprintln!("  - {v}");
    }
}

/// Append the run's audit line when the policy asks for one, with the caller's ARN
/// (STS GetCallerIdentity in `region`; `null` and a warning when it cannot be had).
pub async fn audit(
    policy: &Arc<Policy>,
    plan: &Plan,
    plugins: &PluginHost,
    runner: &str,
    violations: &[Violation],
    _results: Option<&[CheckResult]>,
    region: Option<&str>,
) -> anyhow::Result<()> {
    audit_record(
        policy,
        plan,
        plugins,
        runner,
        violations,
        (&[], &[]),
        region,
    )
    .await
}

/// The audit line of a run that went ahead, with what it created and removed.
pub async fn audit_resources(
    policy: &Arc<Policy>,
    plan: &Plan,
    plugins: &PluginHost,
    runner: &str,
    resources: (&[String], &[String]),
    region: Option<&str>,
) -> anyhow::Result<()> {
    audit_record(policy, plan, plugins, runner, &[], resources, region).await
}

async fn audit_record(
    policy: &Arc<Policy>,
    plan: &Plan,
    plugins: &PluginHost,
    runner: &str,
    violations: &[Violation],
    (created, removed): (&[String], &[String]),
    region: Option<&str>,
) -> anyhow::Result<()> {
    if policy.audit_file().is_none() {
        return Ok(());
    }
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
        plugins: plugins
            .plugins()
            .iter()
            .map(|p| AuditPlugin {
                name: p.name.clone(),
                sha256: p.sha256.clone(),
            })
            .collect(),
        created: created.to_vec(),
        removed: removed.to_vec(),
        violations: violations.to_vec(),
    };
    policy::append_audit(policy, &record).map_err(|e| {
        anyhow::anyhow!(
            "the policy's audit file {} could not be written: {e}",
            policy
                .audit_file()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )
    })
}
