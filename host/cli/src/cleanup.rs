//! `netcheck cleanup`: find what netcheck runs left in AWS (by tag) and remove it.
//!
//! Exit codes: 0 nothing is left, 3 something could not be removed (listed on stderr),
//! 2 the search itself failed (credentials, permissions).

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;
use netcheck_runner_aws::network::EniWait;
use netcheck_runner_lambda::cleanup::{Selector, sweep};
use netcheck_runner_lambda::{Ledger, names, placement};

#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["run_id", "all"])))]
pub struct CleanupArgs {
    /// Remove what this run created (the id a run prints, e.g. 20261123-160102-a1b2).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Remove what every run started more than --older-than ago created.
    #[arg(long)]
    pub all: bool,
    /// With --all: leave runs younger than this alone, so a run in progress is not
    /// broken (default: the policy's max_run_lifetime, else 1h; `0s` for everything).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub older_than: Option<Duration>,
    /// Regions to search (default: the configured region); comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Also search the account of this role (assumed); repeatable.
    #[arg(long = "assume-role", value_delimiter = ',', value_name = "ARN")]
    pub assume_roles: Vec<String>,
    /// How long to wait for Lambda to release network interfaces of a security group.
    #[arg(long, default_value = "25m", value_parser = humantime::parse_duration)]
    pub eni_wait: Duration,
    #[command(flatten)]
    pub common: super::CommonArgs,
}

pub async fn cleanup(args: CleanupArgs) -> anyhow::Result<ExitCode> {
    let loaded = super::load_config(&args.common, &super::overrides(&args.common, None))?;
    let cfg = &loaded.config;
    let policy = super::policy::load(&args.common.policy, Some(cfg))?;
    let selector = match (&args.run_id, args.all) {
        (Some(id), _) => {
            if !names::is_run_id(id) {
                anyhow::bail!(
                    "--run-id `{id}` is not a netcheck run id (YYYYMMDD-HHMMSS-xxxx, as `netcheck \
                     run` prints it)"
                );
            }
            Selector::Run(id.clone())
        }
        (None, _) => {
            let age = args
                .older_than
                .or(policy.iam_requirements().max_lifetime)
                .unwrap_or(Duration::from_secs(3600));
            Selector::StartedBefore(SystemTime::now() - age)
        }
    };
    let regions = if args.regions.is_empty() {
        let region = netcheck_config::region::resolve(loaded.configured_region()).await;
        // Never the fallback region: a sweep of the wrong region would say "nothing to remove".
        if region.source.is_default() {
            anyhow::bail!("cleanup needs a region: set --regions, --region or AWS_REGION");
        }
        vec![region.name]
    } else {
        args.regions.clone()
    };
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(regions[0].clone()));
    let sdk = loader.load().await;
    let accounts = placement::accounts(&sdk, &args.assume_roles, "cleanup").await?;
    let ledger = Ledger::new();
    let eni = EniWait {
        max: args.eni_wait,
        poll: Duration::from_secs(if args.eni_wait > Duration::from_secs(60) {
            15
        } else {
            1
        }),
    };
    let status = |msg: &str| tracing::info!("{msg}");
    for account in &accounts {
        for (i, r) in regions.iter().enumerate() {
            let sdk = account
                .sdk
                .to_builder()
                .region(aws_config::Region::new(r.clone()))
                .build();
            // IAM is global: roles once per account.
            sweep(&sdk, &selector, i == 0, eni, &ledger, &status)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("searching account {} region {r}: {e:#}", account.id)
                })?;
        }
    }
    let removed = ledger.removed_labels();
    if removed.is_empty() {
        println!("nothing to remove");
    } else {
        for r in &removed {
            println!("removed {r}");
        }
    }
    let left = ledger.left_labels();
    if left.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for l in &left {
        eprintln!("error: could not remove {l}");
    }
    Ok(ExitCode::from(3))
}
