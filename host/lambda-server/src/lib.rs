//! netcheck running *inside* Lambda, as a `provided.al2023` function's `bootstrap`.
//!
//! The lambda runner deploys this very binary and invokes it with a
//! [`RemoteRequest`]. Each invocation rebuilds the invoker's effective policy from the
//! payload, loads the bundled plugins and the deployed ones (`$LAMBDA_TASK_ROOT/plugins/
//! *.wasm`) that the policy admits, checks the plan against the policy again, runs it
//! with the function's own role (credentials from the environment Lambda provides) and
//! answers a [`RemoteResponse`] whose results carry the request's `location`.
//!
//! Nothing here panics on a payload: a wrong protocol, an unreadable payload, a policy
//! that refuses the plan or a plugin that does not load all come back as
//! `RemoteResponse::error`. Loaded plugins are kept for warm invocations with the same
//! policy. Logs go to stdout (CloudWatch) through `tracing`, filtered by `NETCHECK_LOG`
//! (default `info`); the payload carries no credentials and neither do the logs.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use netcheck_runner_api::remote::{REMOTE_PROTOCOL, RemoteRequest, RemoteResponse};
use netcheck_runner_api::{Executor, NoProgress};
use tokio::sync::{Mutex, OnceCell};

use netcheck_engine::session::{PluginChoice, Session};
use netcheck_engine::sign::Signer;
use netcheck_policy::policy_from_wire;

/// Set by Lambda for a custom runtime: where the Runtime API listens.
pub const RUNTIME_API_ENV: &str = "AWS_LAMBDA_RUNTIME_API";
/// Set by Lambda: where the deployment package was unpacked.
pub const TASK_ROOT_ENV: &str = "LAMBDA_TASK_ROOT";
/// Where compiled plugins are cached: only `/tmp` is writable in Lambda.
pub const CACHE_DIR: &str = "/tmp/netcheck-cache";
/// The runner name the plan is evaluated against (as the invoker did).
const RUNNER: &str = "lambda";
/// What `lambda_runtime` needs from the environment (it panics without them).
const REQUIRED_ENV: [&str; 4] = [
    RUNTIME_API_ENV,
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether this process is a Lambda function's runtime (`AWS_LAMBDA_RUNTIME_API` set).
pub fn in_lambda() -> bool {
    std::env::var_os(RUNTIME_API_ENV).is_some_and(|v| !v.is_empty())
}

/// Serve invocations until Lambda stops the process. Only returns on a startup error
/// (exit code 2) or when the Runtime API goes away (1).
pub fn serve() -> ExitCode {
    init_logging();
    if let Some(problem) = environment_problem(|name| std::env::var(name).ok()) {
        tracing::error!("{problem}");
        eprintln!("error: {problem}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let handler = Arc::new(Handler::from_env());
    tracing::info!(
        version = VERSION,
        plugins = %handler.plugin_dir.as_deref().map(|d| d.display().to_string()).unwrap_or_default(),
        "netcheck serving Lambda invocations"
    );
    let service = lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(handler.handle(event.payload).await) }
        },
    );
    match runtime.block_on(lambda_runtime::run(service)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("the Lambda runtime loop stopped: {e}");
            ExitCode::from(1)
        }
    }
}

/// Logs to stdout (Lambda sends it to CloudWatch), no colours, `NETCHECK_LOG` or `info`.
fn init_logging() {
    let wanted = std::env::var("NETCHECK_LOG").unwrap_or_else(|_| "info".to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&wanted)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| netcheck_engine::sign::secrets::Redacting::new(std::io::stdout()))
        .with_ansi(false)
        .try_init();
}

/// What is missing or wrong in the environment for the Lambda runtime, if anything.
fn environment_problem(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    let missing: Vec<&str> = REQUIRED_ENV
        .iter()
        .copied()
        .filter(|name| get(name).is_none_or(|v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "netcheck was started as a Lambda runtime ({RUNTIME_API_ENV} is set) but {} {} not set; \
             run it with arguments (e.g. `netcheck run`) outside Lambda",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }
    let memory = get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").unwrap_or_default();
    if memory.parse::<i32>().is_err() {
        return Some(format!(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE is `{memory}`, not a whole number of MB"
        ));
    }
    None
}

/// Answers invocations; keeps the plugins and the signer between warm invocations.
pub struct Handler {
    plugin_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    loaded: Mutex<Option<Loaded>>,
    signer: OnceCell<Arc<Signer>>,
}

/// The session admitted for one policy and plugin set (its wire JSON and the plugin
/// names are the key).
struct Loaded {
    key: String,
    session: Arc<Session>,
}

impl Handler {
    /// As deployed: custom plugins in `$LAMBDA_TASK_ROOT/plugins`, cache in [`CACHE_DIR`],
    /// credentials from the default chain (the execution role, from the environment).
    pub fn from_env() -> Handler {
        let plugin_dir = std::env::var_os(TASK_ROOT_ENV)
            .filter(|v| !v.is_empty())
            .map(|root| PathBuf::from(root).join("plugins"));
        Handler::new(plugin_dir, Some(PathBuf::from(CACHE_DIR)))
    }

    /// Custom plugins from `plugin_dir` (every `*.wasm`; absent = none), compiled plugins
    /// cached in `cache_dir`. Signs with the default credential chain unless
    /// [`Handler::with_signer`] says otherwise.
    pub fn new(plugin_dir: Option<PathBuf>, cache_dir: Option<PathBuf>) -> Handler {
        Handler {
            plugin_dir,
            cache_dir,
            loaded: Mutex::new(None),
            signer: OnceCell::new(),
        }
    }

    /// Sign with `signer` instead of the default chain.
    pub fn with_signer(self, signer: Signer) -> Handler {
        let cell = OnceCell::new();
        let _ = cell.set(Arc::new(signer));
        Handler {
            signer: cell,
            ..self
        }
    }

    /// One invocation: `payload` (a [`RemoteRequest`], as JSON) to a response. Never
    /// fails: every problem is the response's `error`.
    pub async fn handle(&self, payload: serde_json::Value) -> RemoteResponse {
        let location = payload
            .get("location")
            .and_then(|l| l.as_str())
            .unwrap_or("unknown")
            .to_string();
        let request = match parse_request(payload) {
            Ok(r) => r,
            Err(error) => {
                tracing::error!(%location, "refusing the invocation: {error}");
                return refusal(location, error);
            }
        };
        tracing::info!(
            run_id = %request.run_id,
            location = %request.location,
            checks = request.plan.checks.len(),
            invoker = %request.netcheck_version,
            "running the plan"
        );
        match self.run(&request).await {
            Ok(results) => {
                let failed = results
                    .iter()
                    .filter(|r| r.status == netcheck_runner_api::Status::Fail)
                    .count();
                tracing::info!(run_id = %request.run_id, checks = results.len(), failed, "plan done");
                RemoteResponse {
                    protocol: REMOTE_PROTOCOL,
                    netcheck_version: VERSION.to_string(),
                    location: request.location,
                    results,
                    error: None,
                }
            }
            Err(error) => {
                tracing::error!(run_id = %request.run_id, "the plan did not run: {error}");
                refusal(request.location, error)
            }
        }
    }

    async fn run(
        &self,
        request: &RemoteRequest,
    ) -> Result<Vec<netcheck_runner_api::CheckResult>, String> {
        let needed: std::collections::BTreeSet<String> = request
            .plan
            .checks
            .iter()
            .map(|c| c.plugin.clone())
            .collect();
        let session = self.session_for(request.policy.as_ref(), needed).await?;
        session
            .admit_plan(&request.plan, RUNNER)
            .map_err(|violations| violations.to_string())?;
        let engine = session
            .pipeline(&request.plan.nameservers, self.signer().await)
            .map_err(|e| format!("cannot set up DNS resolution: {e:#}"))?;
        let mut results = engine.execute(&request.plan, Arc::new(NoProgress)).await;
        for r in &mut results {
            r.location = request.location.clone();
        }
        Ok(results)
    }

    async fn signer(&self) -> Arc<Signer> {
        self.signer
            .get_or_init(|| async { Arc::new(Signer::from_default_chain().await) })
            .await
            .clone()
    }

    /// The policy and the plugins it admits, loaded once per distinct policy.
    async fn session_for(
        &self,
        wire: Option<&serde_json::Value>,
        needed: std::collections::BTreeSet<String>,
    ) -> Result<Arc<Session>, String> {
        let key = format!(
            "{}\n{}",
            wire.map(|w| w.to_string()).unwrap_or_default(),
            needed.iter().cloned().collect::<Vec<_>>().join(",")
        );
        let mut loaded = self.loaded.lock().await;
        if let Some(l) = loaded.as_ref().filter(|l| l.key == key) {
            tracing::debug!("reusing the plugins loaded for this policy");
            return Ok(l.session.clone());
        }
        let policy =
            Arc::new(policy_from_wire(wire).map_err(|e| format!("the invoker's policy: {e}"))?);
        let choice = PluginChoice {
            files: plugin_files(self.plugin_dir.as_deref())?,
            cache_dir: self.cache_dir.clone(),
            only_bundled: Some(needed),
        };
        let started = std::time::Instant::now();
        let session = tokio::task::spawn_blocking(move || Session::admit(policy, &choice))
            .await
            .map_err(|e| format!("loading plugins stopped unexpectedly: {e}"))?
            .map_err(|e| format!("{e:#}"))?;
        tracing::info!(
            plugins = session.plugins().plugins().len(),
            refused = session.refused_plugins().0.len(),
            ms = started.elapsed().as_millis() as u64,
            "plugins loaded"
        );
        let session = Arc::new(session);
        *loaded = Some(Loaded {
            key,
            session: session.clone(),
        });
        Ok(session)
    }
}

/// Every `*.wasm` file in `dir`, sorted by name (the order the package lists them).
fn plugin_files(dir: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot list the plugins in {}: {e}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("cannot list the plugins in {}: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "wasm") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The payload as a request, or why not (protocol first: another version's payload may
/// not parse at all, and "upgrade" is the useful answer).
fn parse_request(payload: serde_json::Value) -> Result<RemoteRequest, String> {
    if !payload.is_object() {
        return Err(format!(
            "the invoke payload is not a netcheck request (a JSON object with `protocol`, `plan`, …); got {}",
            json_kind(&payload)
        ));
    }
    let sender_version = payload
        .get("netcheck_version")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_string();
    match payload.get("protocol").and_then(|p| p.as_u64()) {
        Some(p) if p == u64::from(REMOTE_PROTOCOL) => {}
        Some(p) => {
            return Err(format!(
                "the invoker (netcheck {sender_version}) speaks remote protocol {p}, this function \
                 (netcheck {VERSION}) speaks protocol {REMOTE_PROTOCOL}; deploy the invoker's own \
                 netcheck as the bootstrap (the lambda runner does this unless --lambda-bootstrap \
                 names another binary)"
            ));
        }
        None => {
            return Err(format!(
                "the invoke payload has no numeric `protocol` (expected {REMOTE_PROTOCOL}); it is \
                 not a netcheck request"
            ));
        }
    }
    serde_json::from_value::<RemoteRequest>(payload)
        .map_err(|e| format!("the invoke payload is not a valid netcheck request: {e}"))
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn refusal(location: String, error: String) -> RemoteResponse {
    RemoteResponse {
        protocol: REMOTE_PROTOCOL,
        netcheck_version: VERSION.to_string(),
        location,
        results: Vec::new(),
        error: Some(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_plugin_host::PluginHost;
    use netcheck_policy::Policy;
    use netcheck_runner_api::{CheckSpec, Plan, Status, Target, TlsOptions};
    use serde_json::json;

    impl Handler {
        /// The admitted session's policy and plugins, as the tests look at them.
        async fn plugins_for(
            &self,
            wire: Option<&serde_json::Value>,
            needed: std::collections::BTreeSet<String>,
        ) -> Result<(Arc<Policy>, Arc<PluginHost>), String> {
            let session = self.session_for(wire, needed).await?;
            Ok((session.policy().clone(), session.plugins().clone()))
        }
    }

    /// Shared by the tests of this process run: the plugins compile once.
    fn cache_dir() -> PathBuf {
        std::env::temp_dir().join("netcheck-unit-tests-plugin-cache")
    }

    fn handler(plugin_dir: Option<PathBuf>) -> Handler {
        Handler::new(plugin_dir, Some(cache_dir())).with_signer(Signer::from_credentials(
            netcheck_engine::sign::Credentials::new(
                "AKIDEXAMPLE",
                "not-a-real-secret",
                None,
                None,
                "test",
            ),
        ))
    }

    /// A loopback listener that accepts (and drops) connections; its port.
    async fn listener() -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((conn, _)) = l.accept().await {
                drop(conn);
            }
        });
        port
    }

    fn tcp_plan(port: u16) -> Plan {
        Plan {
            checks: vec![CheckSpec {
                name: "db".into(),
                set: "default".into(),
                target: Target {
                    url: format!("tcp://127.0.0.1:{port}"),
                    scheme: "tcp".into(),
                    host: "127.0.0.1".into(),
                    port,
                    ..Target::default()
                },
                plugin: "tcp".into(),
                timeout_ms: 5_000,
                tls: TlsOptions::default(),
            }],
            concurrency: 4,
            nameservers: vec![],
        }
    }

    fn request(plan: Plan, policy: Option<serde_json::Value>) -> serde_json::Value {
        serde_json::to_value(RemoteRequest {
            protocol: REMOTE_PROTOCOL,
            netcheck_version: VERSION.into(),
            run_id: "nc-test".into(),
            location: "subnet-0abc".into(),
            plan,
            policy,
        })
        .unwrap()
    }

    fn policy(text: &str) -> serde_json::Value {
        let p = Policy::from_toml(text, Path::new("/etc/netcheck/policy.toml")).unwrap();
        netcheck_policy::policy_to_wire(&p)
    }

    #[tokio::test]
    async fn runs_a_plan_against_a_loopback_listener() {
        let port = listener().await;
        let h = handler(None);
        let answer = h.handle(request(tcp_plan(port), None)).await;
        assert_eq!(answer.error, None);
        assert_eq!(answer.protocol, REMOTE_PROTOCOL);
        assert_eq!(answer.location, "subnet-0abc");
        assert_eq!(answer.results.len(), 1);
        let r = &answer.results[0];
        assert_eq!(r.status, Status::Pass, "{r:?}");
        assert_eq!(r.reason, "ok");
        assert_eq!(r.location, "subnet-0abc");
        assert_eq!(r.url, format!("tcp://127.0.0.1:{port}"));
        // The answer travels as JSON; it must read back the same (compared as JSON values:
        // serde_json's float parsing may differ from the original in the last bit).
        let text = serde_json::to_string(&answer).unwrap();
        let back: RemoteResponse = serde_json::from_str(&text).unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        );
        assert_eq!(back.results[0].status, Status::Pass);

        // A closed port on the same warm handler: refused, location still set.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let answer = h.handle(request(tcp_plan(closed), None)).await;
        assert_eq!(answer.results[0].status, Status::Fail);
        assert_eq!(answer.results[0].reason, "tcp-refused");
        assert_eq!(answer.results[0].location, "subnet-0abc");
    }

    #[tokio::test]
    async fn a_protocol_mismatch_names_both_versions() {
        let mut payload = request(tcp_plan(1), None);
        payload["protocol"] = json!(REMOTE_PROTOCOL + 1);
        payload["netcheck_version"] = json!("9.9.9");
        let answer = handler(None).handle(payload).await;
        let e = answer.error.expect("refused");
        assert!(
            e.contains(&format!("protocol {}", REMOTE_PROTOCOL + 1))
                && e.contains(&format!("protocol {REMOTE_PROTOCOL}"))
                && e.contains("9.9.9")
                && e.contains(VERSION),
            "{e}"
        );
        assert!(answer.results.is_empty());
        assert_eq!(answer.location, "subnet-0abc");
        assert_eq!(answer.protocol, REMOTE_PROTOCOL);
    }

    #[tokio::test]
    async fn garbage_payloads_are_answered_not_panicked_on() {
        let h = handler(None);
        let mut broken = request(tcp_plan(1), None);
        broken["plan"]["checks"] = json!("not a list");
        let cases = [
            (json!("hello"), "got a string"),
            (json!(null), "got null"),
            (json!([1, 2]), "got an array"),
            (json!({"hello": "world"}), "no numeric `protocol`"),
            (json!({"protocol": "1"}), "no numeric `protocol`"),
            (json!({"protocol": 1}), "not a valid netcheck request"),
            (broken, "expected a sequence"),
        ];
        for (payload, needle) in cases {
            let answer = h.handle(payload.clone()).await;
            let e = answer.error.unwrap_or_default();
            assert!(e.contains(needle), "{payload}: {e}");
            assert!(answer.results.is_empty());
        }
        // A malformed policy is refused too.
        let answer = h
            .handle(request(tcp_plan(1), Some(json!({"version": 7}))))
            .await;
        let e = answer.error.unwrap_or_default();
        assert!(e.contains("policy") && e.contains("wire version 7"), "{e}");
    }

    #[tokio::test]
    async fn the_invokers_policy_is_enforced() {
        let port = listener().await;
        let h = handler(None);
        let deny = policy(&format!("[targets]\ndeny = [\"tcp://127.0.0.1:{port}\"]"));
        let answer = h.handle(request(tcp_plan(port), Some(deny))).await;
        let e = answer.error.expect("the policy refuses the plan");
        assert!(
            e.contains("targets.deny[0]") && e.contains("/etc/netcheck/policy.toml"),
            "{e}"
        );
        assert!(answer.results.is_empty());

        // The user's [restrict] narrowing travels too.
        let restrict = netcheck_policy::UserRestrictions {
            targets_deny: vec![netcheck_policy::TargetPattern::parse("127.0.0.1/32").unwrap()],
            ..Default::default()
        };
        let narrowed = netcheck_policy::policy_to_wire(&Policy::default().narrow(&restrict));
        let answer = h.handle(request(tcp_plan(port), Some(narrowed))).await;
        let e = answer.error.expect("the narrowed policy refuses the plan");
        assert!(e.contains("restrict.targets_deny[0]"), "{e}");

        // A policy that allows it: the plan runs, with the same handler.
        let allow = policy("[targets]\ndeny = [\"10.0.0.0/8\"]");
        let answer = h.handle(request(tcp_plan(port), Some(allow))).await;
        assert_eq!(answer.error, None);
        assert_eq!(answer.results[0].status, Status::Pass);
    }

    #[tokio::test]
    async fn plugins_are_reused_for_the_same_policy() {
        let h = handler(None);
        let wire = policy("[targets]\ndeny = [\"10.0.0.0/8\"]");
        let needed = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        let (_, first) = h.plugins_for(Some(&wire), needed(&["tcp"])).await.unwrap();
        let (_, again) = h.plugins_for(Some(&wire), needed(&["tcp"])).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let (_, other) = h.plugins_for(None, needed(&["tcp", "sts"])).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        assert!(other.find("tcp").is_some() && other.find("sts").is_some());
        // Only the plan's bundled plugins are compiled (a cold start pays for what it uses).
        assert!(first.find("tcp").is_some() && first.find("sts").is_none());
        assert_eq!(other.plugins().len(), 2);
    }

    #[tokio::test]
    async fn deployed_plugins_load_only_when_the_policy_admits_them() {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        let trap = Path::new(netcheck_plugin_host::build_facts::TEST_PLUGIN_DIR).join("trap.wasm");
        std::fs::copy(&trap, plugins.join("trap.wasm")).unwrap();
        std::fs::write(plugins.join("notes.txt"), "not a plugin").unwrap();

        // Without a policy file any plugin loads.
        let h = handler(Some(plugins.clone()));
        let (_, host) = h.plugins_for(None, Default::default()).await.unwrap();
        let custom: Vec<_> = host
            .plugins()
            .iter()
            .filter(|p| !matches!(p.source, netcheck_plugin_host::PluginSource::Bundled))
            .collect();
        assert_eq!(custom.len(), 1, "{custom:?}");
        assert_eq!(
            custom[0].source,
            netcheck_plugin_host::PluginSource::File(plugins.join("trap.wasm"))
        );

        // A policy file admits only pinned plugins: refused before it runs, by file.
        let strict = policy("");
        let answer = h.handle(request(tcp_plan(1), Some(strict))).await;
        let e = answer.error.expect("refused");
        assert!(e.contains("trap.wasm") && e.contains("plugins."), "{e}");
        assert!(answer.results.is_empty());
    }

    #[test]
    fn in_lambda_needs_the_runtime_api_and_the_runtime_needs_its_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let full: &'static [(&str, &str)] = &[
            (RUNTIME_API_ENV, "127.0.0.1:9001"),
            ("AWS_LAMBDA_FUNCTION_NAME", "netcheck"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ];
        assert_eq!(environment_problem(env(full)), None);
        let e = environment_problem(env(&[(RUNTIME_API_ENV, "127.0.0.1:9001")])).unwrap();
        assert!(
            e.contains("AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION are not set"),
            "{e}"
        );
        let e = environment_problem(env(&[
            (RUNTIME_API_ENV, "127.0.0.1:9001"),
            ("AWS_LAMBDA_FUNCTION_NAME", "netcheck"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ]))
        .unwrap();
        assert!(e.contains("`lots`"), "{e}");
    }
}
