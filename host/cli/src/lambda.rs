//! `netcheck run --runner lambda`: the flags, and turning configuration, policy and the
//! plan into the runner's options (the runner itself never parses configuration).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;
use netcheck_runner_api::Plan;
use netcheck_runner_lambda::{
    Arch, Guard, LambdaOptions, LambdaRunner, PlacementFacts, RoleSettings, Waits,
};

use netcheck_engine::session::{Session, Violations};

/// Flags of the remote runners (`--runner lambda`).
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Lambda runner (--runner lambda)")]
pub struct LambdaArgs {
    /// Subnet ids to run in, one function each; comma-separated or repeated. Without
    /// subnets, one function per region runs outside any VPC.
    #[arg(long, value_delimiter = ',', env = "NETCHECK_SUBNETS")]
    pub subnets: Vec<String>,
    /// Security groups for the functions instead of a new egress-only one per VPC.
    #[arg(long, value_delimiter = ',', env = "NETCHECK_SECURITY_GROUPS")]
    pub security_groups: Vec<String>,
    /// Use this execution role (never modified) instead of creating one per run.
    #[arg(long, env = "NETCHECK_ROLE_ARN")]
    pub role_arn: Option<String>,
    /// Regions to run in (default: the configured region); comma-separated.
    #[arg(long, value_delimiter = ',', env = "NETCHECK_REGIONS")]
    pub regions: Vec<String>,
    /// Also run in the account of this role (assumed with sts:AssumeRole); repeatable.
    #[arg(long = "assume-role", value_delimiter = ',', value_name = "ARN")]
    pub assume_roles: Vec<String>,
    /// Leave everything the run created in place and print it (remove later with
    /// `netcheck cleanup --run-id ID`).
    #[arg(long)]
    pub keep: bool,
    /// Functions deployed and invoked at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub max_parallel: u16,
    /// Function memory in MB (more memory is more CPU: faster cold starts).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(i32).range(128..=10240))]
    pub lambda_memory: i32,
    /// The bootstrap to deploy (default: this netcheck binary). It must run on Amazon
    /// Linux 2023: static, or glibc ≤ 2.34 (`scripts/build-bootstrap.sh` builds one).
    #[arg(long, env = "NETCHECK_LAMBDA_BOOTSTRAP", value_name = "PATH")]
    pub lambda_bootstrap: Option<PathBuf>,
    /// The function's architecture; must match the bootstrap (default: read from it).
    #[arg(long, value_parser = ["x86_64", "arm64"])]
    pub lambda_arch: Option<String>,
    /// The run id (default: a new one from the time); names and tags everything created.
    #[arg(long, hide = true, env = "NETCHECK_RUN_ID")]
    pub run_id: Option<String>,
    /// How long to wait for Lambda to release network interfaces before deleting the
    /// security group (Lambda can take up to 20 minutes).
    #[arg(long, default_value = "25m", value_parser = humantime::parse_duration)]
    pub eni_wait: Duration,
}

impl LambdaArgs {
    /// The flags set that only the lambda runner understands.
    pub fn lambda_only_flags(&self) -> Vec<&'static str> {
        let mut used = Vec::new();
        let checks: [(&'static str, bool); 8] = [
            ("--subnets", !self.subnets.is_empty()),
            ("--security-groups", !self.security_groups.is_empty()),
            ("--role-arn", self.role_arn.is_some()),
            ("--regions", !self.regions.is_empty()),
            ("--assume-role", !self.assume_roles.is_empty()),
            ("--keep", self.keep),
            ("--lambda-bootstrap", self.lambda_bootstrap.is_some()),
            ("--lambda-arch", self.lambda_arch.is_some()),
        ];
        for (flag, set) in checks {
            if set {
                used.push(flag);
            }
        }
        used
    }
}

/// Everything the host knows that the runner needs.
pub struct Inputs<'a> {
    pub args: &'a LambdaArgs,
    pub plan: &'a Plan,
    pub session: &'a Session,
    pub plugin_files: &'a [PathBuf],
    pub region: Option<&'a str>,
}

/// Builds the runner: package, role settings, policy guard.
pub async fn runner(inputs: Inputs<'_>) -> anyhow::Result<LambdaRunner> {
    let args = inputs.args;
    validate_ids(args)?;
    let bootstrap = match &args.lambda_bootstrap {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| {
            anyhow::anyhow!(
                "cannot find this netcheck binary to deploy it ({e}); pass --lambda-bootstrap PATH"
            )
        })?,
    };
    let arch = args.lambda_arch.as_deref().and_then(Arch::parse);
    let package =
        netcheck_runner_lambda::package::build_package(&bootstrap, inputs.plugin_files, arch)?;
    let actions =
        netcheck_engine::iam::actions(inputs.plan, inputs.session.plugins()).map_err(|e| {
            anyhow::anyhow!("cannot derive the execution role's policy from the plan:\n{e}")
        })?;
    let requirements = inputs.session.policy().iam_requirements();
    let policy = inputs.session.policy().clone();
    let guard: Guard = Arc::new(move |placements: &[PlacementFacts]| {
        let violations = Violations(
            placements
                .iter()
                .flat_map(|p| {
                    policy.check_placement(
                        &p.region,
                        &p.account,
                        p.vpc.as_deref(),
                        p.subnet.as_deref(),
                    )
                })
                .collect(),
        );
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Box::new(violations))
        }
    });
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = inputs.region {
        loader = loader.region(aws_config::Region::new(region.to_string()));
    }
    let sdk = loader.load().await;
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| netcheck_runner_lambda::names::new_run_id(SystemTime::now()));
    Ok(LambdaRunner::new(LambdaOptions {
        run_id,
        sdk,
        package,
        subnets: args.subnets.clone(),
        security_groups: args.security_groups.clone(),
        role_arn: args.role_arn.clone(),
        regions: args.regions.clone(),
        assume_roles: args.assume_roles.clone(),
        keep: args.keep,
        max_parallel: usize::from(args.max_parallel),
        memory_mb: args.lambda_memory,
        role: RoleSettings {
            inline_policy: netcheck_engine::iam::policy_document(&actions),
            permissions_boundary: requirements.boundary.clone(),
            required_tags: requirements.tags.clone(),
        },
        remote_policy: Some(netcheck_policy::policy_to_wire(inputs.session.policy())),
        waits: Waits::default(),
        eni: netcheck_runner_aws::network::EniWait {
            max: args.eni_wait,
            poll: Duration::from_secs(if args.eni_wait > Duration::from_secs(60) {
                15
            } else {
                1
            }),
        },
        deadline: requirements.max_lifetime,
        guard,
    }))
}

/// Ids that are not even shaped right are refused before any AWS call.
fn validate_ids(args: &LambdaArgs) -> anyhow::Result<()> {
    let shaped = |prefix: &str, id: &str| {
        id.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()))
    };
    for s in &args.subnets {
        if !shaped("subnet-", s) {
            anyhow::bail!("--subnets: `{s}` is not a subnet id (subnet-0123456789abcdef0)");
        }
    }
    for g in &args.security_groups {
        if !shaped("sg-", g) {
            anyhow::bail!("--security-groups: `{g}` is not a security group id (sg-0123…)");
        }
    }
    if !args.security_groups.is_empty() && args.subnets.is_empty() {
        anyhow::bail!(
            "--security-groups only applies to functions in subnets: add --subnets, or drop \
             --security-groups to run outside any VPC"
        );
    }
    if let Some(arn) = &args.role_arn
        && !(arn.starts_with("arn:") && arn.contains(":role/"))
    {
        anyhow::bail!("--role-arn `{arn}` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)");
    }
    if let Some(id) = &args.run_id
        && !netcheck_runner_lambda::names::is_run_id(id)
    {
        anyhow::bail!("NETCHECK_RUN_ID `{id}` is not a run id (YYYYMMDD-HHMMSS-xxxx)");
    }
    Ok(())
}
