//! `[plugins]`: which plugins may load, pinned by sha256, and how much CPU time and
//! memory each may use.
//!
//! A plugin named in `allow` loads only with exactly the pinned digest, bundled or not,
//! so a changed byte anywhere in it is refused with the digest it now has. A plugin not
//! named there loads if it is bundled and `allow_bundled` is true, or if it is not
//! bundled and `allow_any` is true (the built-in default policy, used when there is no
//! policy file, has `allow_any`; a policy file does not unless it says so).

use std::collections::BTreeMap;
use std::time::Duration;

use super::error::Violation;
use super::lists::AllowSet;
use super::values::{format_duration, format_size};

/// A plugin pinned by name and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pin {
    pub name: String,
    /// Lower-case hex.
    pub sha256: String,
    /// `plugins.allow[3]`.
    pub rule: String,
}

/// CPU deadline and memory cap, each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    pub cpu_deadline: Option<Duration>,
    pub memory: Option<usize>,
}

impl Limits {
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.cpu_deadline {
            parts.push(format!("cpu_deadline {}", format_duration(d)));
        }
        if let Some(m) = self.memory {
            parts.push(format!("memory {}", format_size(m)));
        }
        parts.join(", ")
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PluginRules {
    pub source: String,
    pub allow_bundled: bool,
    /// The rule that refuses unpinned bundled plugins (`plugins.allow_bundled`, or a
    /// user config's `restrict.allow_bundled`) and where it was written.
    pub bundled_rule: (String, String),
    pub allow_any: bool,
    pub pins: Vec<Pin>,
    pub ceilings: Limits,
    pub overrides: BTreeMap<String, Limits>,
    /// Names a user config restricted plugins to.
    pub names: AllowSet,
}

impl PluginRules {
    /// The built-in default: every plugin may load, no limits beyond the host's.
    pub(crate) fn permissive(source: &str) -> Self {
        PluginRules {
            source: source.to_string(),
            allow_bundled: true,
            bundled_rule: ("plugins.allow_bundled".into(), source.to_string()),
            allow_any: true,
            pins: Vec::new(),
            ceilings: Limits::default(),
            overrides: BTreeMap::new(),
            names: AllowSet::default(),
        }
    }

    pub(crate) fn check(&self, name: &str, sha256: &str, bundled: bool) -> Result<(), Violation> {
        let actual = sha256.trim().to_ascii_lowercase();
        self.names.check(name)?;
        let entry = format!("{{ name = \"{name}\", sha256 = \"{actual}\" }}");
        if let Some(pin) = self.pins.iter().find(|p| p.name == name) {
            if pin.sha256 == actual {
                return Ok(());
            }
            return Err(Violation::new(
                &pin.rule,
                name,
                format!(
                    "its sha256 is {actual} but the policy pins {}: the plugin changed (rebuilt, \
                     updated or tampered with). If the change is intended, update the pin to {entry}",
                    pin.sha256
                ),
                &self.source,
            ));
        }
        if bundled {
            if self.allow_bundled {
                return Ok(());
            }
            let (rule, source) = &self.bundled_rule;
            return Err(Violation::new(
                rule,
                name,
                format!(
                    "bundled plugins load only when pinned here (sha256 {actual}); to allow this \
                     one add {entry} to plugins.allow"
                ),
                source,
            ));
        }
        if self.allow_any {
            return Ok(());
        }
        Err(Violation::new(
            "plugins.allow",
            name,
            format!(
                "plugin `{name}` is not in plugins.allow; its sha256 is {actual}. To allow this \
                 exact build add {entry} to plugins.allow"
            ),
            &self.source,
        ))
    }

    /// May a plugin *file* with this digest be loaded at all? Decided before any of its
    /// code runs (its name is only known once loaded): it must be pinned by digest, or
    /// the policy must allow any plugin. [`PluginRules::check`] follows once it is loaded.
    pub(crate) fn admit_file(&self, file: &str, sha256: &str) -> Result<(), Violation> {
        let actual = sha256.trim().to_ascii_lowercase();
        if self.allow_any || self.pins.iter().any(|p| p.sha256 == actual) {
            return Ok(());
        }
        Err(Violation::new(
            "plugins.allow",
            file,
            format!(
                "this plugin file's sha256 {actual} is not pinned in plugins.allow, so it was not                  loaded (none of its code ran). To allow this exact build add {{ name = \"NAME\", \
                 sha256 = \"{actual}\" }} to plugins.allow"
            ),
            &self.source,
        ))
    }

    /// The CPU deadline and memory cap for `name`: the policy's override for it, else
    /// `defaults`; either way no more than the ceilings.
    pub(crate) fn limits(&self, name: &str, defaults: (Duration, usize)) -> (Duration, usize) {
        let o = self.overrides.get(name).copied().unwrap_or_default();
        let cpu = o.cpu_deadline.unwrap_or(defaults.0);
        let memory = o.memory.unwrap_or(defaults.1);
        (
            self.ceilings.cpu_deadline.map_or(cpu, |c| cpu.min(c)),
            self.ceilings.memory.map_or(memory, |c| memory.min(c)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const BAD: &str = "1111111111111111111111111111111111111111111111111111111111111112";

    fn strict() -> PluginRules {
        PluginRules {
            allow_bundled: true,
            allow_any: false,
            pins: vec![Pin {
                name: "acme".into(),
                sha256: GOOD.into(),
                rule: "plugins.allow[0]".into(),
            }],
            ..PluginRules::permissive("test policy")
        }
    }

    #[test]
    fn pins_must_match_exactly() {
        let p = strict();
        assert!(p.check("acme", GOOD, false).is_ok());
        assert!(p.check("acme", &GOOD.to_ascii_uppercase(), false).is_ok());
        let v = p.check("acme", BAD, false).unwrap_err();
        assert_eq!(v.rule, "plugins.allow[0]");
        assert!(
            v.message.contains(BAD) && v.message.contains(GOOD),
            "{}",
            v.message
        );
        let v = p.check("acme", BAD, true).unwrap_err();
        assert_eq!(
            v.rule, "plugins.allow[0]",
            "a pinned bundled plugin must match too"
        );
    }

    #[test]
    fn unknown_plugins_are_refused_showing_their_digest() {
        let p = strict();
        let v = p.check("other", BAD, false).unwrap_err();
        assert_eq!(v.rule, "plugins.allow");
        assert!(
            v.message.contains(&format!("sha256 = \"{BAD}\"")),
            "{}",
            v.message
        );
        assert!(
            p.check("kms", BAD, true).is_ok(),
            "bundled plugins are allowed by default"
        );
        let no_bundled = PluginRules {
            allow_bundled: false,
            ..strict()
        };
        assert_eq!(
            no_bundled.check("kms", BAD, true).unwrap_err().rule,
            "plugins.allow_bundled"
        );
        assert!(
            PluginRules::permissive("d")
                .check("other", BAD, false)
                .is_ok()
        );
    }

    #[test]
    fn limits_apply_overrides_within_ceilings() {
        let mut p = strict();
        let defaults = (Duration::from_millis(250), 64 << 20);
        assert_eq!(p.limits("acme", defaults), defaults);
        p.ceilings = Limits {
            cpu_deadline: Some(Duration::from_millis(100)),
            memory: None,
        };
        assert_eq!(
            p.limits("acme", defaults),
            (Duration::from_millis(100), 64 << 20)
        );
        p.overrides.insert(
            "acme".into(),
            Limits {
                cpu_deadline: Some(Duration::from_millis(80)),
                memory: Some(16 << 20),
            },
        );
        assert_eq!(
            p.limits("acme", defaults),
            (Duration::from_millis(80), 16 << 20)
        );
        assert_eq!(
            p.limits("kms", defaults),
            (Duration::from_millis(100), 64 << 20)
        );
    }
}
