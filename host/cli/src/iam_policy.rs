//! `netcheck iam-policy`: the least-privilege policy document the configured checks need.

use std::process::ExitCode;

use clap::Args;

use super::{CommonArgs, load_config, overrides, resolve_region, session};
use netcheck_engine::{iam, plan};

#[derive(Args, Debug, Clone)]
pub struct IamPolicyArgs {
    /// Check set(s) to cover; repeatable or comma-separated (default: config `default_sets`, else all).
    #[arg(long = "set", value_delimiter = ',')]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn iam_policy(args: IamPolicyArgs) -> anyhow::Result<ExitCode> {
    let loaded = load_config(&args.common, &overrides(&args.common, None))?;
    let cfg = &loaded.config;
    let session = session(&args.common, cfg)?;
    let refused = session.refused_plugins();
    if !refused.is_empty() {
        eprintln!("error: {refused}");
        return Ok(ExitCode::from(2));
    }
    let plugins = session.plugins();
    let sets = plan::selected_sets(cfg, &args.sets)?;
    let region = resolve_region(&loaded).await;
    let plan = plan::build(cfg, plugins, &sets, Some(&region.name))?;
    let actions = iam::actions(&plan, plugins).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&iam::policy_document(&actions))?
    );
    Ok(ExitCode::SUCCESS)
}
