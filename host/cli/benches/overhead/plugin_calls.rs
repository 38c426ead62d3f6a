//! Part 1: what the plugin sandbox costs per check. Each `plan` and `judge` call gets a
//! fresh store and instance (that is how netcheck isolates plugins), so the figures include
//! instantiation; instantiation alone is measured separately with the same engine settings.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use netcheck_engine::sign::{Credentials, Signer};
use netcheck_plugin_host::{
    HttpResponse, Observation, PluginHost, Probe, ProbeContext, ProbeKind, Signing, Status, bundled,
};
use netcheck_runner_api::Target;

use crate::stats::Summary;

/// One plugin, one target and the recorded answer its probe is judged on.
pub struct Case {
    pub plugin: &'static str,
    pub target: Target,
    pub answer: HttpResponse,
    pub signed: bool,
}

/// Timings of one case.
pub struct CallFigures {
    pub plan: Summary,
    pub judge: Summary,
    pub total: Summary,
}

/// `kms` on its regional endpoint, judged on a recorded `ListKeys` 200 answer.
pub fn kms_case() -> anyhow::Result<Case> {
    let mut target = netcheck_engine::plan::parse_target("https://kms.eu-west-1.amazonaws.com/")
        .map_err(|e| anyhow::anyhow!("parsing the kms benchmark URL: {e}"))?;
    target.aws = netcheck_engine::endpoint::parse(&target.host);
    target.service = Some("kms".into());
    target.region = Some("eu-west-1".into());
    let body = br#"{"Keys":[{"KeyArn":"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}],"NextMarker":"AE0AAAACAHVLS2V5SWQAAAABYWFhYQ","Truncated":true}"#;
    Ok(Case {
        plugin: "kms",
        target,
        answer: HttpResponse {
            status: 200,
            headers: vec![
                (
                    "x-amzn-requestid".into(),
                    "4e8e5a3a-8d2c-4c6a-9a51-0c3a3b1f2d7e".into(),
                ),
                ("content-type".into(), "application/x-amz-json-1.1".into()),
                ("content-length".into(), body.len().to_string()),
                ("date".into(), "Tue, 02 Jun 2026 10:15:00 GMT".into()),
            ],
            body: body.to_vec(),
        },
        signed: true,
    })
}

/// The generic `https` plugin on a plain HTTP URL, judged on a `200 ok`.
pub fn https_case() -> anyhow::Result<Case> {
    let target = netcheck_engine::plan::parse_target("http://127.0.0.1:8080/health")
        .map_err(|e| anyhow::anyhow!("parsing the https benchmark URL: {e}"))?;
    Ok(Case {
        plugin: "https",
        target,
        answer: HttpResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/plain".into()),
                ("content-length".into(), "2".into()),
            ],
            body: b"ok".to_vec(),
        },
        signed: false,
    })
}

/// Loads the bundled plugins `names` (compiling each, no cache) and returns how long each took.
pub fn load(host: &mut PluginHost, names: &[&str]) -> anyhow::Result<Vec<(String, Duration)>> {
    let mut took = Vec::new();
    for name in names {
        let (_, bytes) = bundled()
            .iter()
            .find(|(n, _)| n == name)
            .with_context(|| format!("the bundled plugin `{name}` is missing from this build"))?;
        let started = Instant::now();
        host.load_bytes(bytes, netcheck_plugin_host::PluginSource::Bundled)
            .with_context(|| format!("loading the bundled plugin `{name}`"))?;
        took.push((name.to_string(), started.elapsed()));
    }
    Ok(took)
}

/// Times `plan` then `judge` (on the first planned probe) `iterations` times, after a
/// short warm-up. Every verdict must be a pass, or the figures would measure an error path.
pub fn measure(host: &PluginHost, case: &Case, iterations: usize) -> anyhow::Result<CallFigures> {
    let observation = Observation::Http(case.answer.clone());
    let context = ProbeContext {
        signed: case.signed,
        clock_offset_seconds: Some(0),
    };
    let mut plans = Vec::with_capacity(iterations);
    let mut judges = Vec::with_capacity(iterations);
    let mut totals = Vec::with_capacity(iterations);
    for i in 0..(iterations + iterations / 10) {
        let started = Instant::now();
        let probes = host
            .plan(case.plugin, &case.target)
            .with_context(|| format!("calling {}.plan", case.plugin))?;
        let planned = Instant::now();
        let probe = probes
            .first()
            .with_context(|| format!("{}.plan returned no probes", case.plugin))?;
        let verdict = host
            .judge(case.plugin, &case.target, probe, &observation, &context)
            .with_context(|| format!("calling {}.judge", case.plugin))?;
        let judged = Instant::now();
        if verdict.status != Status::Pass {
            bail!(
                "{}.judge did not pass the recorded 200 answer: {} ({})",
                case.plugin,
                verdict.reason,
                verdict.message
            );
        }
        black_box(verdict);
        if i >= iterations / 10 {
            plans.push(planned - started);
            judges.push(judged - planned);
            totals.push(judged - started);
        }
    }
    Ok(CallFigures {
        plan: Summary::of(&mut plans),
        judge: Summary::of(&mut judges),
        total: Summary::of(&mut totals),
    })
}

/// Instantiation alone: `Store::new` + `InstancePre::instantiate` of a bundled component
/// on an engine configured like netcheck's (epoch interruption). Imports are stubbed with
/// traps, which instantiation never calls, so no WASI context is built; netcheck's real
/// calls also build an empty WASI context per store.
pub fn instantiate_only(plugin: &str, iterations: usize) -> anyhow::Result<Summary> {
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Config, Engine, Store};

    let (_, bytes) = bundled()
        .iter()
        .find(|(n, _)| *n == plugin)
        .with_context(|| format!("the bundled plugin `{plugin}` is missing from this build"))?;
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
    let component = Component::new(&engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling `{plugin}` for the instantiation benchmark"))?;
    let mut linker: Linker<()> = Linker::new(&engine);
    linker
        .define_unknown_imports_as_traps(&component)
        .map_err(anyhow::Error::from)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)?;
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..(iterations + iterations / 10) {
        let started = Instant::now();
        let mut store = Store::new(&engine, ());
        // No ticker runs here, so the epoch never reaches this deadline.
        store.set_epoch_deadline(1 << 32);
        let instance = pre
            .instantiate(&mut store)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("instantiating `{plugin}`"))?;
        black_box(instance);
        drop(store);
        if i >= iterations / 10 {
            samples.push(started.elapsed());
        }
    }
    Ok(Summary::of(&mut samples))
}

/// The host's SigV4 signing of the `kms` probe (not a plugin cost, but paid per signed
/// check). Uses fixed, made-up credentials; nothing is sent.
pub fn sign_only(host: &PluginHost, case: &Case, iterations: usize) -> anyhow::Result<Summary> {
    let probes = host
        .plan(case.plugin, &case.target)
        .with_context(|| format!("calling {}.plan", case.plugin))?;
    let probe: &Probe = probes
        .first()
        .with_context(|| format!("{}.plan returned no probes", case.plugin))?;
    let ProbeKind::Http(req) = &probe.kind else {
        bail!("{}'s first probe is not an HTTP request", case.plugin);
    };
    let Signing::Sigv4(params) = &probe.signing else {
        bail!("{}'s first probe is not signed", case.plugin);
    };
    let creds = Credentials::new("AKIDEXAMPLE", "bench-secret-not-real", None, None, "bench");
    let signer = Signer::from_credentials(creds.clone());
    let build = || -> anyhow::Result<http::Request<Vec<u8>>> {
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(req.path_and_query.as_str())
            .header(http::header::HOST, case.target.host.as_str())
            .header(http::header::CONTENT_LENGTH, req.body.len());
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder
            .body(req.body.clone())
            .context("building the kms request to sign")
    };
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..(iterations + iterations / 10) {
        let mut request = build()?;
        let started = Instant::now();
        signer
            .sign(&creds, &mut request, &params.service, &params.region)
            .context("signing the kms request")?;
        let took = started.elapsed();
        black_box(request);
        if i >= iterations / 10 {
            samples.push(took);
        }
    }
    Ok(Summary::of(&mut samples))
}
