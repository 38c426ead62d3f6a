//! `[audit]`: one JSON line per run appended to the policy's audit file — who ran it,
//! what plan, which plugins with their digests, what was created and removed, and what
//! the policy refused.
//!
//! The line never carries secrets: URLs are redacted ([`redact_url`]) and the record
//! has no field for credentials. The file's directory must exist (netcheck does not
//! create directories an administrator chose); a new file is created with mode 0640.

use std::io::{self, Write};
use std::path::Path;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use super::Policy;
use super::error::Violation;
use netcheck_runner_api::redact_url;

/// What one run did, for the audit file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// When the run started (written as RFC 3339, UTC).
    #[serde(serialize_with = "rfc3339")]
    pub time: SystemTime,
    /// The caller's ARN from STS GetCallerIdentity, if it was looked up.
    pub caller_arn: Option<String>,
    /// The runner used: `local`, `lambda`, `ec2`.
    pub runner: String,
    /// The checks of the plan.
    pub checks: Vec<AuditCheck>,
    /// The plugins loaded, with their digests.
    pub plugins: Vec<AuditPlugin>,
    /// Resources created (ARNs or ids).
    pub created: Vec<String>,
    /// Resources removed (ARNs or ids).
    pub removed: Vec<String>,
    /// What the policy refused; empty when the run went ahead.
    pub violations: Vec<Violation>,
}

/// One check of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditCheck {
    pub name: String,
    pub url: String,
    pub plugin: String,
}

/// One loaded plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPlugin {
    pub name: String,
    pub sha256: String,
}

/// The line as written: the record with redacted URLs, plus netcheck's version and the
/// policy file that asked for it.
#[derive(Serialize)]
struct AuditLine<'a> {
    #[serde(flatten)]
    record: AuditRecord,
    netcheck_version: &'static str,
    policy: &'a str,
}

fn rfc3339<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_rfc3339_millis(*time).to_string())
}

/// Appends `record` as one JSON line to the policy's audit file; does nothing when the
/// policy has no `[audit]` file. Errors name the file and what to fix.
pub fn append_audit(policy: &Policy, record: &AuditRecord) -> io::Result<()> {
    let Some(path) = policy.audit_file() else {
        return Ok(());
    };
    let mut record = record.clone();
    for check in &mut record.checks {
        check.url = redact_url(&check.url);
    }
    let line = AuditLine {
        record,
        netcheck_version: env!("CARGO_PKG_VERSION"),
        policy: &policy.source_label(),
    };
    let mut text = serde_json::to_string(&line)
        .map_err(|e| io::Error::other(format!("audit record for {}: {e}", path.display())))?;
    text.push('\n');
    let mut file = open_append(path)?;
    // One write of the whole line: with O_APPEND, concurrent runs do not interleave.
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| annotate(e, path, "cannot write to"))
}

fn open_append(path: &Path) -> io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "audit file {}: directory {} does not exist; create it or change audit.file \
                 in the policy",
                path.display(),
                dir.display()
            ),
        ));
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    options
        .open(path)
        .map_err(|e| annotate(e, path, "cannot open"))
}

fn annotate(e: io::Error, path: &Path, doing: &str) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "audit file {}: {doing} it: {e}; check its permissions or change audit.file in the policy",
            path.display()
        ),
    )
}
