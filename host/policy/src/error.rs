//! The two ways the policy says no: a policy file that cannot be used
//! ([`PolicyError`]) and something the policy refuses ([`Violation`]).
//!
//! ```text
//! policy.toml: key `targets.deny[2]`: `10.0.0.0/33` is not a CIDR (expected e.g. 10.0.0.0/8)
//! policy rule `targets.deny[0]` refuses `http://10.1.2.3:80`: matches `10.0.0.0/8` (policy file /etc/netcheck/policy.toml)
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Why a policy file could not be loaded. The CLI exits with code 2 on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    file: PathBuf,
    key: Option<String>,
    message: String,
}

impl PolicyError {
    pub(crate) fn new(file: &Path, key: Option<String>, message: impl Into<String>) -> Self {
        PolicyError {
            file: file.to_path_buf(),
            key,
            message: message.into(),
        }
    }

    /// The policy file, as it was given.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The key path as written in TOML (`targets.deny[2]`), when known.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The message without the file and key prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

/// Something the policy refuses: which rule, what it refused, why, and where the rule
/// comes from. Never contains secrets: URLs in it are redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule that refused, as a key path (`targets.deny[0]`, `plugins.allow`) or a
    /// built-in rule (`built-in: instance metadata`).
    pub rule: String,
    /// What was refused: a URL, a plugin name, a runner, a region...
    pub item: String,
    /// Why, and how to change it.
    pub message: String,
    /// Where the rule comes from: `policy file /etc/netcheck/policy.toml`,
    /// `built-in default policy`, or `netcheck config [restrict]`.
    pub source: String,
}

impl Violation {
    pub(crate) fn new(
        rule: impl Into<String>,
        item: impl Into<String>,
        message: impl Into<String>,
        source: &str,
    ) -> Self {
        Violation {
            rule: rule.into(),
            item: item.into(),
            message: message.into(),
            source: source.to_string(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "policy rule `{}` refuses `{}`: {} ({})",
            self.rule, self.item, self.message, self.source
        )
    }
}

impl std::error::Error for Violation {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_and_key() {
        let e = PolicyError::new(
            Path::new("policy.toml"),
            Some("targets.deny[2]".into()),
            "`10.0.0.0/33` is not a CIDR (expected e.g. 10.0.0.0/8)",
        );
        assert_eq!(
            e.to_string(),
            "policy.toml: key `targets.deny[2]`: `10.0.0.0/33` is not a CIDR (expected e.g. 10.0.0.0/8)"
        );
        let e = PolicyError::new(Path::new("/p.toml"), None, "cannot read it");
        assert_eq!(e.to_string(), "/p.toml: cannot read it");
    }

    #[test]
    fn violations_name_rule_item_and_source() {
        let v = Violation::new(
            "targets.deny[0]",
            "http://10.1.2.3:80",
            "matches `10.0.0.0/8`",
            "policy file /etc/netcheck/policy.toml",
        );
        assert_eq!(
            v.to_string(),
            "policy rule `targets.deny[0]` refuses `http://10.1.2.3:80`: matches `10.0.0.0/8` \
             (policy file /etc/netcheck/policy.toml)"
        );
    }
}
