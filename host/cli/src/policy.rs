//! Where the CLI meets the administrator's policy: loading it (`--policy` or
//! `NETCHECK_POLICY`), narrowing it with the user's `[restrict]`, and `netcheck policy
//! check`. What the policy admits is decided by `netcheck_engine::session`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use netcheck_config::Config;
use netcheck_policy::{self as policy, Policy};

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
