//! AWS emulators on 127.0.0.1 for end-to-end tests: ministack (`AUTH=true`) and moto.
//!
//! Facts that shape this module are in `tests/EMULATORS.md`; the key ones: ministack
//! never checks signatures made with its root keys, so every emulator here hands out an
//! IAM user (`admin`, allowed everything) whose signatures *are* verified; both
//! emulators enforce IAM identity policies for IAM users.

use std::fmt;
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::process::{Service, free_port, http_request};
use super::venv;

/// How long an emulator may take to answer its health check (the machine is shared
/// with compilers; ministack alone starts in about half a second).
const READY_LIMIT: Duration = Duration::from_secs(60);

/// An access key pair. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl Keys {
    pub fn new(access_key_id: &str, secret_access_key: &str) -> Keys {
        Keys {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret_access_key.to_string(),
        }
    }

    /// The same key id with a different secret (signatures will not match).
    pub fn with_wrong_secret(&self) -> Keys {
        Keys::new(
            &self.access_key_id,
            &format!("{}-wrong", self.secret_access_key),
        )
    }
}

/// A key id no emulator knows, with some secret.
pub fn unknown_keys() -> Keys {
    Keys::new(
        "AKIANETCHECKUNKNOWN1",
        "no-such-secret-0000000000000000000000000",
    )
}

/// An IAM policy document allowing exactly `actions` on every resource.
pub fn allow_only(actions: &[&str]) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": actions, "Resource": "*" }],
    })
    .to_string()
}

/// An IAM policy document allowing everything.
pub fn allow_all() -> String {
    allow_only(&["*"])
}

/// Creates IAM user `user` with inline `policy` and an access key, signing the IAM calls
/// with `signer`, through `tests/support/iam_setup.py` and the venv's boto3.
pub fn create_user(endpoint: &str, signer: &Keys, user: &str, policy: &str) -> Keys {
    let output = Command::new(venv::python())
        .arg(venv::support_file("iam_setup.py"))
        .args([
            endpoint,
            &signer.access_key_id,
            &signer.secret_access_key,
            user,
            policy,
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "running iam_setup.py with {}: {e}",
                venv::python().display()
            )
        });
    assert!(
        output.status.success(),
        "creating IAM user `{user}` on {endpoint} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "iam_setup.py printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let field = |name: &str| {
        created[name]
            .as_str()
            .unwrap_or_else(|| panic!("iam_setup.py output lacks {name}: {created}"))
            .to_string()
    };
    Keys {
        access_key_id: field("AccessKeyId"),
        secret_access_key: field("SecretAccessKey"),
    }
}

/// One cheap read-only call per service (`tests/support/warm_up.py`), so backends an
/// emulator loads lazily are loaded before the checks under test run.
pub fn warm_up(endpoint: &str, keys: &Keys, services: &[&str]) {
    let output = Command::new(venv::python())
        .arg(venv::support_file("warm_up.py"))
        .args([endpoint, &keys.access_key_id, &keys.secret_access_key])
        .args(services)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap_or_else(|e| panic!("running warm_up.py with {}: {e}", venv::python().display()));
    assert!(
        output.status.success(),
        "warming up {services:?} on {endpoint} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What the tests need from either emulator.
pub trait Emulator {
    /// `http://127.0.0.1:PORT/`
    fn endpoint(&self) -> String;
    fn port(&self) -> u16;
    /// An IAM user allowed everything, whose signatures the emulator verifies.
    fn admin(&self) -> &Keys;
    /// A per-check `timeout` that leaves room for this emulator on a busy machine.
    fn check_timeout(&self) -> &'static str;
    /// A new IAM user with `policy` as its only (inline) policy.
    fn create_user(&self, name: &str, policy: &str) -> Keys {
        create_user(&self.endpoint(), self.admin(), name, policy)
    }
}

/// A ministack server with `AUTH=true`, data in a temp dir, killed on drop.
pub struct Ministack {
    port: u16,
    root: Keys,
    admin: Keys,
    // Field order matters: the process stops before its data dir is removed.
    _service: Service,
    _dir: TempDir,
}

impl Ministack {
    /// The root keys ministack is started with. Its signatures are **not** verified.
    pub const ROOT_ACCESS_KEY_ID: &'static str = "AKIANETCHECKTESTROOT";

    /// Starts ministack on a free port and creates the `admin` user. Panics with the
    /// log (or "run scripts/setup.sh") when it cannot.
    pub fn start() -> Ministack {
        let program = venv::tool("ministack");
        let root = Keys::new(Self::ROOT_ACCESS_KEY_ID, "netcheck-test-root-secret");
        let mut failures = Vec::new();
        // A free port can be taken between choosing and binding it; try a few.
        for _ in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("netcheck-ministack-")
                .tempdir()
                .expect("creating a temp dir for ministack");
            let port = free_port();
            let data = |sub: &str| dir.path().join(sub).to_string_lossy().into_owned();
            let env = [
                ("AUTH", "true".to_string()),
                ("AWS_ACCESS_KEY_ID", root.access_key_id.clone()),
                ("AWS_SECRET_ACCESS_KEY", root.secret_access_key.clone()),
                ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
                ("BIND_HOST", "127.0.0.1".to_string()),
                ("GATEWAY_PORT", port.to_string()),
                // Off: an MQTT/TLS listener on fixed port 8883 and SFTP.
                ("IOT_MTLS_ENABLED", "0".to_string()),
                ("SFTP_ENABLED", "0".to_string()),
                ("HOME", data("home")),
                ("TMPDIR", dir.path().to_string_lossy().into_owned()),
                ("S3_DATA_DIR", data("s3")),
                ("STATE_DIR", data("state")),
                ("PYTHONUNBUFFERED", "1".to_string()),
            ];
            let log = dir.path().join("ministack.log");
            let mut service = Service::spawn("ministack", &program, &[], &env, &log);
            match service.wait_http(port, "/_ministack/health", 200, READY_LIMIT) {
                Ok(()) => {
                    let endpoint = format!("http://127.0.0.1:{port}/");
                    let admin = create_user(&endpoint, &root, "admin", &allow_all());
                    warm_up(&endpoint, &admin, &["sts", "kms", "ssm", "s3"]);
                    return Ministack {
                        port,
                        root,
                        admin,
                        _service: service,
                        _dir: dir,
                    };
                }
                Err(e) => failures.push(e),
            }
        }
        panic!(
            "ministack did not start in 3 tries:\n{}",
            failures.join("\n\n")
        );
    }

    /// Root keys (signatures unchecked by ministack: use [`Emulator::admin`] to test signing).
    pub fn root(&self) -> &Keys {
        &self.root
    }
}

impl Emulator for Ministack {
    fn check_timeout(&self) -> &'static str {
        "10s"
    }
    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
    fn port(&self) -> u16 {
        self.port
    }
    fn admin(&self) -> &Keys {
        &self.admin
    }
}

/// A moto server with IAM authentication switched on, killed on drop.
pub struct Moto {
    port: u16,
    admin: Keys,
    _service: Service,
    _dir: TempDir,
}

impl Moto {
    /// Starts `moto_server` on a free port, creates the `admin` user while moto still
    /// serves unauthenticated requests, then turns authentication on
    /// (`POST /moto-api/reset-auth` with body `0`).
    pub fn start() -> Moto {
        let program = venv::tool("moto_server");
        let mut failures = Vec::new();
        for _ in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("netcheck-moto-")
                .tempdir()
                .expect("creating a temp dir for moto");
            let port = free_port();
            let env = [
                ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
                ("HOME", dir.path().to_string_lossy().into_owned()),
                ("TMPDIR", dir.path().to_string_lossy().into_owned()),
                ("PYTHONUNBUFFERED", "1".to_string()),
            ];
            let args = [
                "-H".to_string(),
                "127.0.0.1".to_string(),
                "-p".to_string(),
                port.to_string(),
            ];
            let log = dir.path().join("moto.log");
            let mut service = Service::spawn("moto_server", &program, &args, &env, &log);
            match service.wait_http(port, "/moto-api/", 200, READY_LIMIT) {
                Ok(()) => {
                    let endpoint = format!("http://127.0.0.1:{port}/");
                    // Before reset-auth moto accepts any key; this one only signs setup calls.
                    let setup = Keys::new("AKIANETCHECKMOTOSETUP", "moto-setup-secret");
                    let admin = create_user(&endpoint, &setup, "admin", &allow_all());
                    warm_up(&endpoint, &admin, &["sts", "kms", "ssm", "s3"]);
                    enable_moto_auth(port, &service);
                    return Moto {
                        port,
                        admin,
                        _service: service,
                        _dir: dir,
                    };
                }
                Err(e) => failures.push(e),
            }
        }
        panic!("moto did not start in 3 tries:\n{}", failures.join("\n\n"));
    }
}

fn enable_moto_auth(port: u16, service: &Service) {
    // A form content type makes Flask hide the body from moto (it then answers 500).
    let answer = http_request(
        port,
        "POST",
        "/moto-api/reset-auth",
        &[("Content-Type", "text/plain")],
        b"0",
    );
    match answer {
        Ok((200, _)) => {}
        other => panic!(
            "turning on moto authentication failed: {other:?}\n--- log ---\n{}",
            service.log()
        ),
    }
}

impl Emulator for Moto {
    /// moto is a single Flask process and slow under load even when warm.
    fn check_timeout(&self) -> &'static str {
        "30s"
    }
    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
    fn port(&self) -> u16 {
        self.port
    }
    fn admin(&self) -> &Keys {
        &self.admin
    }
}
