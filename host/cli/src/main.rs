//! The `netcheck` command line: parse flags, load configuration, build a session, plan,
//! hand the plan to a runner, render what comes back. The work happens in the library
//! crates (`netcheck-config`, `netcheck-engine`, `netcheck-policy`, `netcheck-report`,
//! the runners); this crate only wires them.
//!
//! Inside Lambda (the `lambda` runner deploys this binary as a function's `bootstrap`,
//! which Lambda starts without arguments) it serves invocations instead
//! (`netcheck-lambda-server`).
//!
//! Exit codes: 0 every check passed (warnings allowed unless `--strict`), 1 a check
//! failed, 2 a usage, configuration or plugin-loading error (nothing was probed), 3 a
//! remote run left resources behind.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use clap::{Args, Parser, Subcommand};
use netcheck_config::region::{self, Region};
use netcheck_config::{Loaded, OutputFormat, Overrides};
use netcheck_engine::plan;
use netcheck_engine::session::{PluginChoice, Session, Violations};
use netcheck_engine::sign::Signer;
use netcheck_report::Report;
use netcheck_runner_api::{CheckResult, NoProgress, Progress, Resources, RunError, Runner, Status};

mod cleanup;
mod iam_policy;
mod lambda;
mod policy;
mod progress;
mod sign;

use progress::ProgressBar;

fn main() -> ExitCode {
    if netcheck_lambda_server::in_lambda() && std::env::args_os().len() <= 1 {
        return netcheck_lambda_server::serve();
    }
    cli_main()
}

#[derive(Parser, Debug)]
#[command(
    name = "netcheck",
    version,
    about = "From here, with this role, can my workload really reach what it needs?"
)]
pub struct Cli {
    /// Log filter (error, warn, info, debug, trace, or a tracing filter). Logs go to stderr.
    #[arg(
        long,
        global = true,
        env = "NETCHECK_LOG",
        default_value = "warn,aws_config=error"
    )]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the configured checks and report what is reachable and why not.
    Run(RunArgs),
    /// Inspect plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Inspect configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Sign a request with SigV4 and show how (`--explain`), optionally sending it.
    Sign(sign::SignArgs),
    /// Print the least-privilege IAM policy the configured checks need.
    IamPolicy(iam_policy::IamPolicyArgs),
    /// Inspect the administrator's policy.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Remove what lambda runs left in AWS (found by tag): functions, log groups,
    /// security groups, roles.
    Cleanup(cleanup::CleanupArgs),
}

#[derive(Subcommand, Debug)]
pub enum PluginsCommand {
    /// List loaded plugins: name, version, sha256, source and the services each claims.
    List(CommonArgs),
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the effective configuration and where each value came from.
    Show(CommonArgs),
}

/// Flags shared by every command that loads configuration.
#[derive(Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// Config file (default: ./netcheck.toml if present).
    #[arg(long, short = 'c', env = "NETCHECK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Extra plugin component (.wasm); repeatable.
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugins: Vec<PathBuf>,
    /// Default AWS region for checks (else config, NETCHECK_REGION, AWS_REGION/profile).
    #[arg(long)]
    pub region: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum)]
    pub output: Option<OutputFormat>,
    #[command(flatten)]
    pub policy: policy::PolicyArgs,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Where probes run.
    #[arg(long)]
    pub runner: Option<String>,
    /// Check set(s) to run; repeatable or comma-separated (default: config `default_sets`, else all).
    #[arg(long = "set", value_delimiter = ',')]
    pub sets: Vec<String>,
    /// Checks in flight at once.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Per-check deadline, e.g. 5s, 500ms.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,
    /// Treat warnings as failures for the exit code.
    #[arg(long)]
    pub strict: bool,
    /// Write the report to this file instead of stdout (any format; `html` is meant for it).
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Succeed when the selection has no checks (otherwise that is an error, exit 2: a
    /// CI job must not pass having checked nothing).
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub lambda: lambda::LambdaArgs,
}

fn cli_main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Every registered secret is replaced before a line reaches stderr, at any level.
        .with_writer(netcheck_engine::sign::secrets::redacting_stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::Plugins(PluginsCommand::List(args)) => plugins_list(args),
        Command::Sign(args) => sign::sign(args).await,
        Command::IamPolicy(args) => iam_policy::iam_policy(args).await,
        Command::Policy(policy::PolicyCommand::Check(args)) => policy::check(args),
        Command::Cleanup(args) => cleanup::cleanup(args).await,
        Command::Config(ConfigCommand::Show(args)) => {
            let loaded = load_config(&args, &overrides(&args, None))?;
            print!("{}", loaded.show());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn overrides(common: &CommonArgs, run: Option<&RunArgs>) -> Overrides {
    Overrides {
        concurrency: run.and_then(|r| r.concurrency),
        timeout: run.and_then(|r| r.timeout),
        region: common.region.clone(),
        output: common.output,
        sets: run.map(|r| r.sets.clone()).filter(|s| !s.is_empty()),
        plugins: common.plugins.clone(),
        runner: run.and_then(|r| r.runner.clone()),
        nameservers: None,
    }
}

fn load_config(common: &CommonArgs, overrides: &Overrides) -> anyhow::Result<Loaded> {
    let env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let loaded = netcheck_config::load(common.config.as_deref(), &env, overrides)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(loaded)
}

/// The policy in force and the bundled and configured plugins it admits, compiled
/// plugins cached in the user's cache directory.
fn session(common: &CommonArgs, cfg: &netcheck_config::Config) -> anyhow::Result<Session> {
    let policy = policy::load(&common.policy, Some(cfg))?;
    Session::admit(
        policy,
        &PluginChoice {
            files: cfg.plugins.clone(),
            cache_dir: netcheck_plugin_host::default_cache_dir(),
            only_bundled: None,
        },
    )
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let loaded = load_config(&args.common, &overrides(&args.common, Some(&args)))?;
    let cfg = &loaded.config;
    let session = session(&args.common, cfg)?;
    let sets = plan::selected_sets(cfg, &args.sets)?;
    let region = resolve_region(&loaded).await;
    let plan = plan::build(cfg, session.plugins(), &sets, Some(&region.name))?;
    if plan.checks.is_empty() && !args.allow_empty {
        anyhow::bail!("{}", nothing_to_check(&loaded, &sets));
    }
    let lambda_flags = args.lambda.lambda_only_flags();
    if cfg.runner != "lambda" && !lambda_flags.is_empty() {
        anyhow::bail!(
            "{} only apply to the lambda runner: add `--runner lambda` (the runner is `{}`, from {})",
            lambda_flags.join(", "),
            cfg.runner,
            loaded
                .origin("runner")
                .map(|o| o.to_string())
                .unwrap_or_else(|| "default".into())
        );
    }
    let runner: Box<dyn Runner> = match cfg.runner.as_str() {
        "local" => Box::new(netcheck_runner_local::LocalRunner),
        "lambda" => {
            let runner = lambda::runner(lambda::Inputs {
                args: &args.lambda,
                plan: &plan,
                session: &session,
                plugin_files: &cfg.plugins,
                region: Some(&region.name),
            })
            .await?;
            eprintln!("netcheck run id: {}", runner.run_id());
            Box::new(runner)
        }
        other => anyhow::bail!(
            "unknown runner `{other}` (from {}; available: local, lambda)",
            loaded
                .origin("runner")
                .map(|o| o.to_string())
                .unwrap_or_else(|| "default".into())
        ),
    };
    if let Err(violations) = session.admit_plan(&plan, runner.name()) {
        eprintln!("error: {violations}");
        session
            .audit(
                &plan,
                runner.name(),
                &violations,
                &Resources::default(),
                Some(&region.name),
            )
            .await?;
        return Ok(ExitCode::from(2));
    }
    let pipeline = Arc::new(session.pipeline(
        &plan.nameservers,
        Arc::new(Signer::from_default_chain().await),
    )?);
    let interactive = std::io::stderr().is_terminal() && cfg.output == OutputFormat::Table;
    let progress: Arc<dyn Progress> = if interactive {
        Arc::new(ProgressBar::new())
    } else if runner.name() != "local" {
        Arc::new(progress::PhaseLines)
    } else {
        Arc::new(NoProgress)
    };
    let started_at = SystemTime::now();
    let started = Instant::now();
    let outcome = runner.run(&plan, pipeline, progress.clone()).await;
    drop(progress);
    let left_behind = report_resources(&outcome.resources);
    let results = match outcome.results {
        Ok(results) => results,
        Err(RunError::Refused(why)) => {
            eprintln!("error: {why}");
            return Ok(ExitCode::from(2));
        }
        Err(RunError::Failed(e)) => {
            // One audit line whether the run went ahead or stopped: it names what was
            // created and removed either way.
            audit_run(&session, &plan, runner.name(), &outcome.resources, &region).await?;
            return Err(e);
        }
    };
    let audited = audit_run(&session, &plan, runner.name(), &outcome.resources, &region).await;
    let report = Report {
        results: &results,
        runner: runner.name(),
        region: Some(&region),
        started_at,
        duration: started.elapsed(),
    };
    let to_file = args.output_file.as_deref();
    let color = to_file.is_none() && std::io::stdout().is_terminal() && console::colors_enabled();
    let text = match cfg.output {
        OutputFormat::Table => netcheck_report::table(
            &report,
            color,
            // Piped output (CI logs) wraps at 120 columns; a file keeps whole lines.
            match to_file {
                Some(_) => None,
                None => Some(
                    console::Term::stdout()
                        .size_checked()
                        .map(|(_, w)| w)
                        .unwrap_or(120),
                ),
            },
        ),
        OutputFormat::Json => netcheck_report::json(&report),
        OutputFormat::Junit => netcheck_report::junit(&report),
        OutputFormat::Html => netcheck_report::html(&report),
    };
    match to_file {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| {
                anyhow::anyhow!(
                    "cannot write the report to {} (--output-file): {e}",
                    path.display()
                )
            })?;
            eprintln!("report written to {}", path.display());
        }
        None => print_out(&text),
    }
    audited?;
    if left_behind {
        return Ok(ExitCode::from(3));
    }
    Ok(exit_code(&results, args.strict))
}

/// The audit line of a run that went ahead, with what it created and removed.
async fn audit_run(
    session: &Session,
    plan: &netcheck_runner_api::Plan,
    runner: &str,
    resources: &Resources,
    region: &Region,
) -> anyhow::Result<()> {
    session
        .audit(
            plan,
            runner,
            &Violations::default(),
            resources,
            Some(&region.name),
        )
        .await
}

/// Tells the user what the run kept, removed or left behind (stderr), for any runner.
/// Returns whether anything was left behind against the user's wishes (exit code 3).
fn report_resources(resources: &Resources) -> bool {
    let Some(run_id) = &resources.run_id else {
        return false;
    };
    if !resources.kept.is_empty() {
        eprintln!("kept (--keep) for run {run_id}:");
        for k in &resources.kept {
            eprintln!("  {k}");
        }
        eprintln!("remove them with: netcheck cleanup --run-id {run_id}");
    }
    if resources.left.is_empty() {
        if !resources.created.is_empty() && resources.kept.is_empty() {
            eprintln!(
                "cleanup: removed all {} resources run {run_id} created",
                resources.removed.len()
            );
        }
        return false;
    }
    eprintln!("error: cleanup could not remove everything run {run_id} created:");
    for l in &resources.left {
        eprintln!("  {l}");
    }
    eprintln!("finish it with: netcheck cleanup --run-id {run_id}");
    true
}

/// Why a run would check nothing, and what to do.
fn nothing_to_check(loaded: &Loaded, sets: &[String]) -> String {
    let file = loaded
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "no config file (no ./netcheck.toml, no --config)".to_string());
    let why = if loaded.config.sets.is_empty() {
        format!("{file} defines no check sets")
    } else {
        format!(
            "the selected set(s) {} in {file} have no checks",
            sets.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!(
        "nothing to check: {why}. Add checks under [sets.NAME] (see `netcheck config show`), \
         choose other sets with --set, or pass --allow-empty if an empty run is what you want"
    )
}

/// Print to stdout; a closed pipe (`netcheck run | head`) is not an error.
fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.trim_end()).and_then(|_| out.flush());
}

/// The run's default region (config/env/flag, else the AWS chain, else
/// [`region::DEFAULT_REGION`]); says once on stderr when the default applies.
async fn resolve_region(loaded: &Loaded) -> Region {
    let region = region::resolve(loaded.configured_region()).await;
    if let Some(notice) = region.default_notice() {
        eprintln!("{notice}");
    }
    region
}

/// 0 all passed (or warned, unless strict), 1 otherwise.
pub fn exit_code(results: &[CheckResult], strict: bool) -> ExitCode {
    let failed = results
        .iter()
        .any(|r| r.status == Status::Fail || (strict && r.status == Status::Warn));
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plugins_list(args: CommonArgs) -> anyhow::Result<ExitCode> {
    let loaded = load_config(&args, &overrides(&args, None))?;
    let session = session(&args, &loaded.config)?;
    let host = session.plugins();
    let refused = session.refused_plugins();
    if !refused.is_empty() {
        eprintln!("error: {refused}");
    }
    let code = if refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    };
    if loaded.config.output == OutputFormat::Json {
        let list: Vec<serde_json::Value> = host
            .plugins()
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name, "version": p.version, "sha256": p.sha256, "source": p.source.to_string(),
                    "services": p.info.services.iter().map(|s| serde_json::json!({
                        "id": s.id, "host_patterns": s.host_patterns, "signing_name": s.signing_name,
                        "vpc_endpoint": s.vpc_endpoint, "actions": s.actions,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(code);
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["NAME", "VERSION", "SHA256", "SOURCE", "SERVICES"]);
    for p in host.plugins() {
        let services: Vec<String> = p.info.services.iter().map(|s| s.id.clone()).collect();
        table.add_row([
            p.name.clone(),
            p.version.clone(),
            p.sha256[..16.min(p.sha256.len())].to_string(),
            p.source.to_string(),
            services.join(", "),
        ]);
    }
    println!("{table}");
    Ok(code)
}
