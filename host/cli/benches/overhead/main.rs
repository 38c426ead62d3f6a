//! `cargo bench -p netcheck --bench overhead`: what netcheck's design costs.
//!
//! 1. Plugin overhead per check: `plan` + `judge` through the sandboxed plugin host for the
//!    bundled `kms` (signed JSON probe, recorded 200 answer) and `https` plugins, plus
//!    instantiation alone and the host's SigV4 signing for reference.
//! 2. Checks per second for N loopback HTTP endpoints (one listener each on 127.0.0.1)
//!    through the netcheck engine, beside a plain reqwest loop with the same concurrency,
//!    alternating rounds, medians and their ratio.
//! 3. Peak RSS of the process.
//!
//! Options (after `--`): `--iterations N` (plugin calls, default 2000), `--endpoints N`
//! (1000), `--concurrency N` (64), `--rounds N` (9 per side). Nothing leaves 127.0.0.1 and
//! no credentials are read: signing uses made-up keys and signed requests are never sent.

mod loopback;
mod plugin_calls;
mod stats;
mod throughput;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use netcheck_engine::session::{PluginChoice, Session};
use netcheck_engine::sign::{Credentials, Signer};
use netcheck_plugin_host::{Limits, PluginHost};
use netcheck_policy::Policy;

use plugin_calls::CallFigures;
use stats::{Summary, micros};

/// What to run, from the command line.
struct Options {
    iterations: usize,
    endpoints: usize,
    concurrency: usize,
    rounds: usize,
    /// Run under `cargo test`: small sizes, figures meaningless.
    smoke: bool,
}

const USAGE: &str = "usage: cargo bench -p netcheck --bench overhead [-- --iterations N] \
                     [--endpoints N] [--concurrency N] [--rounds N]";

impl Options {
    /// `cargo bench` passes `--bench`; without it (`cargo test --benches`, `--all-targets`)
    /// this is a quick smoke run, as with criterion's test mode.
    fn parse(args: Vec<String>) -> Result<Options, String> {
        let mut options = if args.iter().any(|a| a == "--bench") {
            Options {
                iterations: 2000,
                endpoints: 1000,
                concurrency: 64,
                rounds: 9,
                smoke: false,
            }
        } else {
            Options {
                iterations: 50,
                endpoints: 50,
                concurrency: 16,
                rounds: 1,
                smoke: true,
            }
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let slot = match arg.as_str() {
                "--bench" => continue,
                "--iterations" => &mut options.iterations,
                "--endpoints" => &mut options.endpoints,
                "--concurrency" => &mut options.concurrency,
                "--rounds" => &mut options.rounds,
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            };
            let value = args
                .next()
                .ok_or_else(|| format!("{arg} needs a number\n{USAGE}"))?;
            *slot = match value.parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(format!(
                        "{arg} needs a positive whole number, not `{value}`\n{USAGE}"
                    ));
                }
            };
        }
        Ok(options)
    }
}

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1).collect()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("overhead benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> anyhow::Result<()> {
    print_machine();
    if options.smoke {
        println!("smoke run (no --bench flag): sizes are tiny; use `cargo bench` for figures\n");
    }

    // ---- 1. plugin calls, on this (non-runtime) thread: the call itself, nothing else.
    let mut host = PluginHost::new(Limits::default(), None).context("starting the plugin host")?;
    let loads = plugin_calls::load(&mut host, &["https", "kms"])?;
    let host = Arc::new(host);
    let kms = plugin_calls::kms_case()?;
    let https = plugin_calls::https_case()?;
    let n = options.iterations;
    let kms_calls = plugin_calls::measure(&host, &kms, n)?;
    let https_calls = plugin_calls::measure(&host, &https, n)?;
    let instantiate = plugin_calls::instantiate_only("kms", n)?;
    let sign = plugin_calls::sign_only(&host, &kms, n)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    // As the engine calls plugins: from a tokio worker (block_in_place).
    let on_worker = {
        let host = host.clone();
        runtime
            .block_on(runtime.spawn(async move { plugin_calls::measure(&host, &https, n) }))
            .context("the on-worker plugin measurement stopped unexpectedly")??
    };

    println!(
        "1. Plugin overhead per check: a fresh sandboxed instance per call, {n} iterations, µs"
    );
    println!("   {:<50} {:>9} {:>9}", "", "median", "p90");
    print_calls("kms (signed JSON ListKeys, judged on a 200)", &kms_calls);
    print_calls("https (GET, judged on a 200)", &https_calls);
    print_row("https plan + judge from a tokio worker", on_worker.total);
    print_row(
        "instantiate only (kms; Store::new + instantiate)",
        instantiate,
    );
    print_row("host SigV4 signing of the kms probe", sign);
    let loads: Vec<String> = loads
        .iter()
        .map(|(name, took)| format!("{name} {:.0} ms", took.as_secs_f64() * 1e3))
        .collect();
    println!(
        "   plugin load, compile + describe, no cache: {}",
        loads.join(", ")
    );
    println!();

    // ---- 2. throughput.
    runtime.block_on(throughput_section(options))?;

    // ---- 3. memory.
    if let Some(kib) = stats::peak_rss_kib() {
        println!("3. Peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(())
}

async fn throughput_section(options: &Options) -> anyhow::Result<()> {
    let (endpoints, concurrency, rounds) = (options.endpoints, options.concurrency, options.rounds);
    let farm = loopback::Farm::start(endpoints).await?;
    // The pipeline `netcheck run` builds, with the built-in policy.
    let session = Session::admit(
        Arc::new(Policy::default()),
        &PluginChoice {
            only_bundled: Some(["https".to_string()].into()),
            ..PluginChoice::default()
        },
    )?;
    let engine = session.pipeline(
        &[],
        // Made-up keys: the https plugin never signs, so they are never used.
        Arc::new(Signer::from_credentials(Credentials::new(
            "AKIDEXAMPLE",
            "bench-secret-not-real",
            None,
            None,
            "bench",
        ))),
    )?;
    let plan = throughput::plan(&farm, concurrency)?;
    let client = throughput::reqwest_client()?;

    // One warm-up round each, then alternate which side goes first. CPU time is the whole
    // process's, so it includes the loopback servers' share (the same for both sides).
    throughput::netcheck_round(&engine, &plan, &farm).await?;
    throughput::reqwest_round(&client, &farm, concurrency).await?;
    let (mut ours, mut plain) = (Vec::new(), Vec::new());
    let (mut ours_cpu, mut plain_cpu) = (Duration::ZERO, Duration::ZERO);
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for netcheck_side in order {
            let cpu_before = stats::process_cpu();
            let took = if netcheck_side {
                throughput::netcheck_round(&engine, &plan, &farm).await?
            } else {
                throughput::reqwest_round(&client, &farm, concurrency).await?
            };
            let cpu = stats::process_cpu()
                .zip(cpu_before)
                .map_or(Duration::ZERO, |(after, before)| {
                    after.saturating_sub(before)
                });
            let rate = endpoints as f64 / took.as_secs_f64();
            if netcheck_side {
                ours.push(rate);
                ours_cpu += cpu;
            } else {
                plain.push(rate);
                plain_cpu += cpu;
            }
        }
    }
    let range = |v: &[f64]| {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        format!("(rounds {min:.0} .. {max:.0})")
    };
    let (ours_range, plain_range) = (range(&ours), range(&plain));
    let (ours, plain) = (stats::median(&mut ours), stats::median(&mut plain));
    println!(
        "2. Checks per second: {endpoints} loopback HTTP endpoints (one listener each on 127.0.0.1), \
         concurrency {concurrency}, median of {rounds} alternating rounds per side"
    );
    println!("   netcheck engine (https plugin)  {ours:>9.0} checks/s {ours_range}");
    println!("   plain reqwest GET               {plain:>9.0} checks/s {plain_range}");
    println!("   ratio netcheck / reqwest        {:>9.2}", ours / plain);
    let checks = (endpoints * rounds) as f64;
    let per_check = |cpu: Duration| cpu.as_secs_f64() * 1e6 / checks;
    println!(
        "   CPU per check, whole process (servers included): netcheck {:.0} µs, reqwest {:.0} µs",
        per_check(ours_cpu),
        per_check(plain_cpu)
    );
    println!();
    Ok(())
}

fn print_machine() {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let profile = if cfg!(debug_assertions) {
        "DEBUG build: figures are not representative, use `cargo bench`"
    } else {
        "optimised build"
    };
    println!("netcheck overhead benchmark: {cpus} CPUs ({model}), {profile}");
    println!();
}

fn print_calls(label: &str, figures: &CallFigures) {
    println!("   {label}");
    print_row("  plan", figures.plan);
    print_row("  judge", figures.judge);
    print_row("  plan + judge", figures.total);
}

fn print_row(label: &str, s: Summary) {
    println!(
        "   {label:<50} {:>9.1} {:>9.1}",
        micros(s.median),
        micros(s.p90)
    );
}
