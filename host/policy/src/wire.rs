//! The effective policy on the wire: what a remote runner sends along with the plan
//! (`RemoteRequest::policy`) so the remote netcheck enforces exactly the policy the
//! invoker evaluated.
//!
//! The policy travels as its *source*, not its compiled rules: the administrator's file
//! text and path (the path only names the file in violations, `policy file …`; nothing
//! is read from it remotely) and each user `[restrict]` table [`Policy::narrow`]
//! applied, in order. The receiver checks the text again and narrows again, so both
//! sides run the same code over the same input. No policy (`None`, `null`) is the
//! built-in default, as locally.
//!
//! ```
//! use netcheck_policy::{Policy, policy_from_wire, policy_to_wire};
//! let p = Policy::from_toml("[targets]\ndeny = [\"tcp://*:22\"]", "/etc/p.toml".as_ref()).unwrap();
//! let wire = policy_to_wire(&p);
//! let back = policy_from_wire(Some(&wire)).unwrap();
//! assert!(back.check_target_name("tcp", "10.0.0.5", 22).is_err());
//! assert_eq!(back.source_label(), p.source_label());
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Policy, UserRestrictions};

/// Bumped when the wire form changes incompatibly.
pub const WIRE_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePolicy {
    version: u32,
    /// The policy file as the invoker named it; `None` with `text` = the default policy.
    #[serde(default)]
    file: Option<PathBuf>,
    /// The policy file's text as the invoker read it.
    #[serde(default)]
    text: Option<String>,
    /// The user's restrictions, in the order they were applied.
    #[serde(default)]
    restrict: Vec<UserRestrictions>,
}

/// The policy `policy` was built from, as JSON for a remote runner's payload.
pub fn policy_to_wire(policy: &Policy) -> serde_json::Value {
    let wire = WirePolicy {
        version: WIRE_VERSION,
        file: policy.text.as_ref().and(policy.file.clone()),
        text: policy.text.clone(),
        restrict: policy.restrictions.clone(),
    };
    // Plain strings, lists and maps: serialising cannot fail.
    serde_json::to_value(&wire).unwrap_or(serde_json::Value::Null)
}

/// Rebuilds the policy [`policy_to_wire`] described; `None` or `null` is the built-in
/// default. The error says what is wrong (another wire version, an invalid policy).
pub fn policy_from_wire(value: Option<&serde_json::Value>) -> Result<Policy, String> {
    let value = match value {
        None | Some(serde_json::Value::Null) => return Ok(Policy::default()),
        Some(v) => v,
    };
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(WIRE_VERSION)) {
        return Err(format!(
            "the policy in the payload has wire version {}, this netcheck reads version {WIRE_VERSION}; \
             deploy the same netcheck version as the invoker",
            version.map_or_else(|| "(none)".to_string(), |v| v.to_string())
        ));
    }
    let wire: WirePolicy = serde_json::from_value(value.clone())
        .map_err(|e| format!("the policy in the payload is malformed: {e}"))?;
    let base = match &wire.text {
        Some(text) => {
            let file = wire
                .file
                .as_deref()
                .unwrap_or(Path::new("(invoker's policy file)"));
            Policy::from_toml(text, file).map_err(|e| e.to_string())?
        }
        None => Policy::default(),
    };
    Ok(wire
        .restrict
        .iter()
        .fold(base, |policy, user| policy.narrow(user)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HostPattern, TargetPattern};

    const TEXT: &str = r#"
[plugins]
allow_any = true
[targets]
deny = ["tcp://*:22", "10.99.0.0/16"]
[signing]
hosts = ["127.0.0.1", "*.proxy.example"]
[runners]
regions = ["eu-west-1", "eu-central-1"]
[iam]
required_tags = { team = "platform" }
"#;

    fn user() -> UserRestrictions {
        UserRestrictions {
            targets_deny: vec![TargetPattern::parse("https://blocked.example").unwrap()],
            targets_allow: vec![TargetPattern::parse("*").unwrap()],
            signing_hosts: Some(vec![HostPattern::parse("127.0.0.1").unwrap()]),
            regions: vec!["eu-west-1".into()],
            max_run_lifetime: Some(std::time::Duration::from_secs(5400)),
            ..UserRestrictions::default()
        }
    }

    fn narrowed() -> Policy {
        Policy::from_toml(TEXT, Path::new("/etc/netcheck/policy.toml"))
            .unwrap()
            .narrow(&user())
    }

    #[test]
    fn round_trip_keeps_every_rule_and_its_source() {
        let p = narrowed();
        let wire = policy_to_wire(&p);
        // Through text, as in the invoke payload.
        let wire: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&wire).unwrap()).unwrap();
        let back = policy_from_wire(Some(&wire)).unwrap();
        assert_eq!(policy_to_wire(&back), wire, "the wire form is stable");
        assert_eq!(back.source_label(), "policy file /etc/netcheck/policy.toml");
        assert_eq!(back.narrowed_by, p.narrowed_by);
        // The file's rules and the user's narrowing, with the same rule names.
        for (scheme, host, port) in [
            ("tcp", "10.0.0.5", 22),
            ("tcp", "10.99.1.1", 5432),
            ("https", "blocked.example", 443),
            ("https", "fine.example", 443),
        ] {
            assert_eq!(
                back.check_target_name(scheme, host, port)
                    .map_err(|v| v.to_string()),
                p.check_target_name(scheme, host, port)
                    .map_err(|v| v.to_string()),
                "{scheme}://{host}:{port}"
            );
        }
        let v = back
            .check_target_name("https", "blocked.example", 443)
            .unwrap_err();
        assert_eq!(v.rule, "restrict.targets_deny[0]");
        // The user narrowed signing to 127.0.0.1 and regions to eu-west-1.
        assert!(back.check_signing("127.0.0.1", false).is_ok());
        assert!(back.check_signing("a.proxy.example", false).is_err());
        assert!(back.check_region("eu-central-1").is_err());
        assert!(back.check_region("eu-west-1").is_ok());
        assert_eq!(
            back.iam_requirements().max_lifetime,
            Some(std::time::Duration::from_secs(5400))
        );
    }

    #[test]
    fn no_policy_is_the_default_both_ways() {
        let default = Policy::default();
        let wire = policy_to_wire(&default);
        assert_eq!(wire["text"], serde_json::Value::Null);
        let back = policy_from_wire(Some(&wire)).unwrap();
        assert_eq!(back.source_label(), default.source_label());
        assert!(
            back.check_target_name("tcp", "169.254.169.254", 80)
                .is_err()
        );
        assert!(back.check_target_name("tcp", "10.0.0.1", 22).is_ok());
        let none = policy_from_wire(None).unwrap();
        assert_eq!(none.source_label(), "built-in default policy");
        let null = policy_from_wire(Some(&serde_json::Value::Null)).unwrap();
        assert_eq!(null.source_label(), "built-in default policy");
        // The default narrowed by a user still travels.
        let narrowed = default.narrow(&user());
        let back = policy_from_wire(Some(&policy_to_wire(&narrowed))).unwrap();
        assert!(
            back.check_target_name("https", "blocked.example", 443)
                .is_err()
        );
    }

    #[test]
    fn wrong_version_and_bad_policies_are_named() {
        let mut wire = policy_to_wire(&narrowed());
        wire["version"] = serde_json::json!(99);
        let e = policy_from_wire(Some(&wire)).unwrap_err();
        assert!(
            e.contains("wire version 99") && e.contains("version 1"),
            "{e}"
        );
        let e = policy_from_wire(Some(&serde_json::json!("text"))).unwrap_err();
        assert!(e.contains("wire version (none)"), "{e}");
        let e = policy_from_wire(Some(&serde_json::json!({
            "version": 1, "file": "/etc/p.toml", "text": "[targets]\ndeny = [\"10.0.0.0/33\"]"
        })))
        .unwrap_err();
        assert!(
            e.contains("/etc/p.toml") && e.contains("targets.deny[0]"),
            "{e}"
        );
        let e =
            policy_from_wire(Some(&serde_json::json!({"version": 1, "extra": true}))).unwrap_err();
        assert!(e.contains("malformed") && e.contains("extra"), "{e}");
    }
}
