//! Runs the `netcheck` binary the way a user would, but hermetically: a temp `HOME`,
//! no AWS config files, no instance metadata, no colour, and only the credentials the
//! test passes. Output goes to files (no pipe deadlocks) and the run is time-bounded.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::emulators::Keys;

/// The longest one CLI run may take before the test fails (checks use 1–3 s timeouts).
const RUN_LIMIT: Duration = Duration::from_secs(240);

/// A scratch directory plus the environment the binary runs with.
pub struct Netcheck {
    dir: TempDir,
    creds: Option<Keys>,
    session_token: Option<String>,
    extra_env: Vec<(String, String)>,
    /// Leave `NETCHECK_POLICY` unset (the built-in default policy applies).
    no_policy: bool,
}

/// What one run printed and how it exited.
#[derive(Debug)]
pub struct Output {
    /// Exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// The policy every test run uses unless it sets `NETCHECK_POLICY` itself: signing to the
/// loopback emulators allowed, plugins unrestricted, everything else as built in.
pub const TEST_POLICY: &str = "[signing]\nhosts = [\"127.0.0.1\"]\n[plugins]\nallow_any = true\n";

impl Default for Netcheck {
    fn default() -> Self {
        Self::new()
    }
}

impl Netcheck {
    pub fn new() -> Netcheck {
        let dir = tempfile::Builder::new()
            .prefix("netcheck-e2e-")
            .tempdir()
            .expect("creating a temp dir for a netcheck run");
        std::fs::create_dir_all(dir.path().join("home")).expect("creating temp HOME");
        Netcheck {
            dir,
            creds: None,
            session_token: None,
            extra_env: Vec::new(),
            no_policy: false,
        }
    }

    /// Run with these keys in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    pub fn creds(mut self, keys: &Keys) -> Netcheck {
        self.creds = Some(keys.clone());
        self
    }

    /// Also set `AWS_SESSION_TOKEN`.
    pub fn session_token(mut self, token: &str) -> Netcheck {
        self.session_token = Some(token.to_string());
        self
    }

    /// One more environment variable for the binary.
    pub fn env(mut self, key: &str, value: &str) -> Netcheck {
        self.extra_env.push((key.to_string(), value.to_string()));
        self
    }

    /// Run without `NETCHECK_POLICY` (and without [`TEST_POLICY`]), so the built-in
    /// default policy applies unless the test passes `--policy` itself. (An empty
    /// `NETCHECK_POLICY` is a usage error, not "no policy".)
    pub fn without_policy(mut self) -> Netcheck {
        self.no_policy = true;
        self
    }

    /// The scratch directory (config files, CA files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `name` in the scratch directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// `netcheck run --config <toml written to a file> --output <format>`.
    pub fn run_config(&self, toml: &str, format: &str) -> Output {
        let config = self.write("netcheck.toml", toml);
        let config = config.to_string_lossy().into_owned();
        self.run(&["run", "--config", &config, "--output", format])
    }

    /// `netcheck <args>` with the hermetic environment.
    pub fn run(&self, args: &[&str]) -> Output {
        self.spawn(args).wait()
    }

    /// Starts `netcheck <args>` and returns without waiting (to signal it mid-run).
    pub fn spawn(&self, args: &[&str]) -> Running {
        let home = self.dir.path().join("home");
        let missing = self.dir.path().join("no-such-aws-file");
        let stdout_path = self.dir.path().join("stdout.txt");
        let stderr_path = self.dir.path().join("stderr.txt");
        let stdout = std::fs::File::create(&stdout_path).expect("creating stdout file");
        let stderr = std::fs::File::create(&stderr_path).expect("creating stderr file");
        // The emulators listen on 127.0.0.1, which the built-in policy never lets SigV4
        // signatures reach: test runs name it the way an administrator would.
        let policy = self.dir.path().join("test-policy.toml");
        std::fs::write(&policy, TEST_POLICY).expect("writing the test policy");
        let mut command = Command::new(binary());
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", &missing)
            .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
            .env("NO_COLOR", "1")
            // SDK calls (the audit's caller lookup) must never leave the machine: unless a
            // test points STS at an emulator, it points at a closed loopback port.
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
            // Precompiled plugins are keyed by their sha256 and the engine: sharing one
            // cache across test runs is safe and saves compiling every plugin per run.
            .env("XDG_CACHE_HOME", crate::target_tmpdir().join("xdg-cache"))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        if !self.no_policy {
            command.env("NETCHECK_POLICY", &policy);
        }
        if let Some(keys) = &self.creds {
            command
                .env("AWS_ACCESS_KEY_ID", &keys.access_key_id)
                .env("AWS_SECRET_ACCESS_KEY", &keys.secret_access_key);
        }
        if let Some(token) = &self.session_token {
            command.env("AWS_SESSION_TOKEN", token);
        }
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        let started = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary().display()));
        Running {
            child,
            started,
            args: args.iter().map(|a| a.to_string()).collect(),
            stdout_path,
            stderr_path,
        }
    }
}

/// A `netcheck` process started by [`Netcheck::spawn`].
pub struct Running {
    child: std::process::Child,
    started: Instant,
    args: Vec<String>,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
}

impl Running {
    /// Sends `signal` (`libc`-style number: 2 = SIGINT, 9 = SIGKILL, 15 = SIGTERM).
    pub fn signal(&self, signal: i32) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("running kill");
        assert!(
            status.success(),
            "kill -{signal} {} failed",
            self.child.id()
        );
    }

    /// What it printed so far on stderr.
    pub fn stderr_so_far(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Waits for it to exit (failing the test after [`RUN_LIMIT`]).
    pub fn wait(mut self) -> Output {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for netcheck") {
                break status;
            }
            if self.started.elapsed() > RUN_LIMIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "netcheck {:?} still running after {RUN_LIMIT:?}\n--- stderr ---\n{}",
                    self.args,
                    std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            code: status.code(),
            stdout: std::fs::read_to_string(&self.stdout_path).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.stderr_path).unwrap_or_default(),
            elapsed: self.started.elapsed(),
        }
    }
}

impl Output {
    /// Everything printed, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }

    /// Stdout parsed as the JSON report (panics with the output when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.describe()))
    }

    /// The result named `name` in the JSON report.
    pub fn result(&self, name: &str) -> Value {
        let report = self.json();
        let results = report["results"]
            .as_array()
            .unwrap_or_else(|| panic!("JSON report has no `results` array:\n{}", self.describe()));
        results
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no result named `{name}`:\n{}", self.describe()))
    }

    /// Asserts the exit code.
    pub fn assert_code(&self, want: i32) {
        assert_eq!(
            self.code,
            Some(want),
            "wrong exit code (want {want}):\n{}",
            self.describe()
        );
    }

    /// Asserts that result `name` has `status` and `reason`; returns the result.
    pub fn assert_result(&self, name: &str, status: &str, reason: &str) -> Value {
        let result = self.result(name);
        assert_eq!(
            (result["status"].as_str(), result["reason"].as_str()),
            (Some(status), Some(reason)),
            "check `{name}`: want {status}/{reason}, got:\n{}\n\n{}",
            serde_json::to_string_pretty(&result).unwrap_or_default(),
            self.describe()
        );
        result
    }
}

/// A TOML string literal (quotes and escapes `s`).
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The `netcheck` binary cargo built beside the running test (`target/<profile>/netcheck`):
/// cargo builds a package's binaries before its integration tests.
pub fn binary() -> std::path::PathBuf {
    let bin = crate::profile_dir().join(format!("netcheck{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "no netcheck binary at {} (run the tests with `cargo test -p netcheck`)",
        bin.display()
    );
    bin
}
