//! Reading a policy file: TOML into raw structs (unknown keys refused), then each value
//! checked and turned into rules, every error naming the file and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Policy;
use super::error::PolicyError;
use super::iam::{IamRequirements, validate_boundary};
use super::pattern::{HostPattern, TargetPattern};
use super::plugins::{Limits, Pin, PluginRules};
use super::runners::{self, RunnerRules};
use super::signing::{SigningLayer, SigningRules};
use super::targets::{AllowList, DenyEntry, TargetRules};
use super::values::{MAX_MEMORY, format_duration, format_size, parse_duration, parse_size};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    plugins: RawPlugins,
    #[serde(default)]
    targets: RawTargets,
    #[serde(default)]
    signing: RawSigning,
    #[serde(default)]
    runners: RawRunners,
    #[serde(default)]
    iam: RawIam,
    #[serde(default)]
    audit: RawAudit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawPlugins {
    allow_bundled: bool,
    allow_any: bool,
    allow: Vec<RawPin>,
    ceilings: RawLimits,
    overrides: BTreeMap<String, RawLimits>,
}

impl Default for RawPlugins {
    fn default() -> Self {
        RawPlugins {
            allow_bundled: true,
            allow_any: false,
            allow: Vec::new(),
            ceilings: RawLimits::default(),
            overrides: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPin {
    name: String,
    sha256: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLimits {
    cpu_deadline: Option<String>,
    memory: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTargets {
    allow: Vec<String>,
    deny: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSigning {
    allow_non_aws: bool,
    hosts: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawRunners {
    allow: Vec<String>,
    accounts: Vec<String>,
    regions: Vec<String>,
    vpcs: Vec<String>,
    subnets: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawIam {
    permissions_boundary: Option<String>,
    required_tags: BTreeMap<String, String>,
    max_run_lifetime: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAudit {
    file: Option<PathBuf>,
}

/// Reads and checks the policy file at `path`.
pub(crate) fn load(path: &Path) -> Result<Policy, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        PolicyError::new(
            path,
            None,
            format!("cannot read the policy file: {e}; check --policy / NETCHECK_POLICY"),
        )
    })?;
    from_toml(&text, path)
}

/// Checks policy `text` as if read from `path` (used in errors and for relative paths).
pub(crate) fn from_toml(text: &str, path: &Path) -> Result<Policy, PolicyError> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    let mut policy = Builder { path }.build(raw)?;
    policy.text = Some(text.to_string());
    Ok(policy)
}

struct Builder<'a> {
    path: &'a Path,
}

impl Builder<'_> {
    fn err(&self, key: String, message: impl Into<String>) -> PolicyError {
        PolicyError::new(self.path, Some(key), message)
    }

    fn build(&self, raw: RawPolicy) -> Result<Policy, PolicyError> {
        let source = format!("policy file {}", self.path.display());
        Ok(Policy {
            file: Some(self.path.to_path_buf()),
            plugins: self.plugins(raw.plugins, &source)?,
            targets: self.targets(raw.targets, &source)?,
            signing: self.signing(raw.signing, &source)?,
            runners: self.runners(raw.runners, &source)?,
            iam: self.iam(raw.iam)?,
            audit: raw.audit.file.map(|f| self.relative(f)),
            source,
            narrowed_by: Vec::new(),
            text: None,
            restrictions: Vec::new(),
        })
    }

    fn plugins(&self, raw: RawPlugins, source: &str) -> Result<PluginRules, PolicyError> {
        let mut pins: Vec<Pin> = Vec::new();
        for (i, pin) in raw.allow.into_iter().enumerate() {
            let key = format!("plugins.allow[{i}]");
            let name = pin.name.trim().to_string();
            if name.is_empty() {
                return Err(self.err(format!("{key}.name"), "the plugin name is empty"));
            }
            if let Some(prev) = pins.iter().find(|p| p.name == name) {
                return Err(self.err(
                    format!("{key}.name"),
                    format!(
                        "plugin `{name}` is already pinned by {}; keep one entry per plugin",
                        prev.rule
                    ),
                ));
            }
            let sha256 =
                parse_digest(&pin.sha256).map_err(|m| self.err(format!("{key}.sha256"), m))?;
            pins.push(Pin {
                name,
                sha256,
                rule: key,
            });
        }
        let ceilings = self.limits(raw.ceilings, "plugins.ceilings")?;
        let mut overrides = BTreeMap::new();
        for (name, raw_limits) in raw.overrides {
            let key = format!("plugins.overrides.{}", toml_key(&name));
            let limits = self.limits(raw_limits, &key)?;
            if let (Some(v), Some(c)) = (limits.cpu_deadline, ceilings.cpu_deadline)
                && v > c
            {
                return Err(self.err(
                    format!("{key}.cpu_deadline"),
                    format!(
                        "{} is above the ceiling plugins.ceilings.cpu_deadline = {}; lower it or raise the ceiling",
                        format_duration(v),
                        format_duration(c)
                    ),
                ));
            }
            if let (Some(v), Some(c)) = (limits.memory, ceilings.memory)
                && v > c
            {
                return Err(self.err(
                    format!("{key}.memory"),
                    format!(
                        "{} is above the ceiling plugins.ceilings.memory = {}; lower it or raise the ceiling",
                        format_size(v),
                        format_size(c)
                    ),
                ));
            }
            overrides.insert(name, limits);
        }
        Ok(PluginRules {
            allow_bundled: raw.allow_bundled,
            allow_any: raw.allow_any,
            pins,
            ceilings,
            overrides,
            ..PluginRules::permissive(source)
        })
    }

    fn limits(&self, raw: RawLimits, key: &str) -> Result<Limits, PolicyError> {
        let cpu_deadline = raw
            .cpu_deadline
            .map(|d| parse_duration(&d))
            .transpose()
            .map_err(|m| self.err(format!("{key}.cpu_deadline"), m))?;
        let memory = raw
            .memory
            .map(|m| parse_size(&m))
            .transpose()
            .map_err(|m| self.err(format!("{key}.memory"), m))?;
        debug_assert!(memory.is_none_or(|m| m <= MAX_MEMORY));
        Ok(Limits {
            cpu_deadline,
            memory,
        })
    }

    fn targets(&self, raw: RawTargets, source: &str) -> Result<TargetRules, PolicyError> {
        let mut rules = TargetRules {
            source: source.to_string(),
            ..TargetRules::default()
        };
        for (i, text) in raw.deny.iter().enumerate() {
            let rule = format!("targets.deny[{i}]");
            let pattern = TargetPattern::parse(text).map_err(|m| self.err(rule.clone(), m))?;
            rules.deny.push(DenyEntry {
                pattern,
                rule,
                source: source.to_string(),
            });
        }
        let allow = raw
            .allow
            .iter()
            .enumerate()
            .map(|(i, text)| {
                TargetPattern::parse(text).map_err(|m| self.err(format!("targets.allow[{i}]"), m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !allow.is_empty() {
            rules.allow.push(AllowList {
                entries: allow,
                rule: "targets.allow".into(),
                source: source.to_string(),
                lifts_builtins: true,
            });
        }
        Ok(rules)
    }

    fn signing(&self, raw: RawSigning, source: &str) -> Result<SigningRules, PolicyError> {
        let hosts = raw
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                HostPattern::parse(h.trim()).map_err(|m| self.err(format!("signing.hosts[{i}]"), m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SigningRules {
            layers: vec![SigningLayer {
                allow_non_aws: raw.allow_non_aws,
                hosts,
                hosts_rule: "signing.hosts".into(),
                switch_rule: "signing.allow_non_aws".into(),
                source: source.to_string(),
            }],
        })
    }

    fn runners(&self, raw: RawRunners, source: &str) -> Result<RunnerRules, PolicyError> {
        let mut rules = RunnerRules::default();
        for (key, list, set) in [
            ("allow", raw.allow, &mut rules.runners),
            ("accounts", raw.accounts, &mut rules.accounts),
            ("regions", raw.regions, &mut rules.regions),
            ("vpcs", raw.vpcs, &mut rules.vpcs),
            ("subnets", raw.subnets, &mut rules.subnets),
        ] {
            let list: Vec<String> = list.into_iter().map(|s| s.trim().to_string()).collect();
            for (i, item) in list.iter().enumerate() {
                runners::validate(key, item)
                    .map_err(|m| self.err(format!("runners.{key}[{i}]"), m))?;
            }
            set.add(list, &format!("runners.{key}"), source);
        }
        Ok(rules)
    }

    fn iam(&self, raw: RawIam) -> Result<IamRequirements, PolicyError> {
        if let Some(arn) = &raw.permissions_boundary {
            validate_boundary(arn).map_err(|m| self.err("iam.permissions_boundary".into(), m))?;
        }
        for (k, v) in &raw.required_tags {
            let key = format!("iam.required_tags.{}", toml_key(k));
            if k.is_empty() || k.len() > 128 || k.starts_with("aws:") {
                return Err(self.err(
                    key,
                    "a tag key must be 1 to 128 characters and not start with `aws:`",
                ));
            }
            if v.len() > 256 {
                return Err(self.err(key, "a tag value must be at most 256 characters"));
            }
        }
        let max_lifetime = raw
            .max_run_lifetime
            .map(|d| parse_duration(&d))
            .transpose()
            .map_err(|m| self.err("iam.max_run_lifetime".into(), m))?;
        Ok(IamRequirements {
            boundary: raw.permissions_boundary,
            tags: raw.required_tags,
            max_lifetime,
        })
    }

    /// A path from the policy file, relative to the file's directory.
    fn relative(&self, path: PathBuf) -> PathBuf {
        match self.path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path,
        }
    }
}

/// A key as TOML needs it written: bare when possible, else quoted (`overrides."a.b"`).
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// 64 hex digits, optionally after `sha256:`; returned in lower case.
fn parse_digest(text: &str) -> Result<String, String> {
    let hex = text.trim();
    let hex = hex.strip_prefix("sha256:").unwrap_or(hex);
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex.to_ascii_lowercase())
    } else {
        Err(format!(
            "`{text}` is not a sha256 digest (expected 64 hex digits, e.g. the output of \
             `sha256sum plugin.wasm`)"
        ))
    }
}

/// A TOML syntax or shape error, with its key (found from the error's position in the
/// document, so an inline table or a dotted key is named right), line and column, and a
/// message in the policy's own words rather than the deserialiser's type names.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> PolicyError {
    let mut message = plain_words(e.message().trim());
    let mut key = None;
    if let Some(span) = e.span() {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let found = key_at(text, span.start);
        if found.as_ref().is_some_and(|(_, is_datetime)| *is_datetime) {
            message = "a TOML date-time is not a value any policy key takes: write it as a \
                       quoted string (e.g. \"1h\" or \"2025-01-01\")"
                .to_string();
        }
        let table = if found.is_some() {
            String::new()
        } else {
            before
                .lines()
                .map(str::trim)
                .rfind(|l| l.starts_with('[') && l.ends_with(']'))
                .map(|h| format!(" in {h}"))
                .unwrap_or_default()
        };
        key = found.map(|(k, _)| k);
        message = format!("line {line}, column {column}{table}: {message}");
    }
    PolicyError::new(path, key, message)
}

/// The deserialiser's words for what it expected, in the words of a policy file.
fn plain_words(message: &str) -> String {
    message
        .replace(
            "struct RawPin",
            "a table { name = \"...\", sha256 = \"...\" }",
        )
        .replace(
            "struct RawLimits",
            "a table { cpu_deadline = \"...\", memory = \"...\" }",
        )
        .replace("struct RawPolicy", "a table")
        .replace("struct RawPlugins", "a table")
        .replace("struct RawTargets", "a table")
        .replace("struct RawSigning", "a table")
        .replace("struct RawRunners", "a table")
        .replace("struct RawIam", "a table")
        .replace("struct RawAudit", "a table")
        .replace("a sequence", "an array")
        .replace("map", "table")
}

/// The key path (`plugins.allow`, `targets.deny[2]`, `plugins.overrides."a.b".memory`) of
/// the innermost value whose text contains byte `at`, and whether that value is a
/// date-time. `None` when `at` is outside every value (or the text does not parse).
fn key_at(text: &str, at: usize) -> Option<(String, bool)> {
    use toml::de::{DeTable, DeValue};
    // A table's own span is only its header (`[plugins]`), so every table is searched;
    // a leaf matches when its text contains `at`.
    fn walk(value: &DeValue<'_>, at: usize, path: &str) -> Option<(String, bool)> {
        let child = |segment: String, v: &toml::Spanned<DeValue<'_>>, key_hit: bool| {
            let inside = v.span().contains(&at) || key_hit;
            match v.get_ref() {
                DeValue::Table(_) | DeValue::Array(_) => walk(v.get_ref(), at, &segment)
                    .or_else(|| inside.then(|| (segment.clone(), false))),
                DeValue::Datetime(_) if inside => Some((segment, true)),
                _ if inside => Some((segment, false)),
                _ => None,
            }
        };
        match value {
            DeValue::Table(table) => table.iter().find_map(|(k, v)| {
                let segment = if path.is_empty() {
                    toml_key(k.get_ref())
                } else {
                    format!("{path}.{}", toml_key(k.get_ref()))
                };
                child(segment, v, k.span().contains(&at))
            }),
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| child(format!("{path}[{i}]"), v, false)),
            _ => None,
        }
    }
    let doc = DeTable::parse(text).ok()?;
    walk(&DeValue::Table(doc.into_inner()), at, "")
}

/// The built-in policy used when no policy file is given.
pub(crate) fn builtin() -> Policy {
    let source = "built-in default policy".to_string();
    Policy {
        file: None,
        plugins: PluginRules::permissive(&source),
        targets: TargetRules {
            source: source.clone(),
            ..TargetRules::default()
        },
        signing: SigningRules {
            layers: vec![SigningLayer {
                allow_non_aws: false,
                hosts: Vec::new(),
                hosts_rule: "signing.hosts".into(),
                switch_rule: "signing.allow_non_aws".into(),
                source: source.clone(),
            }],
        },
        runners: RunnerRules::default(),
        iam: IamRequirements::default(),
        audit: None,
        source,
        narrowed_by: Vec::new(),
        text: None,
        restrictions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        from_toml(text, Path::new("policy.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn an_empty_file_is_the_strict_file_default() {
        let p = from_toml("", Path::new("p.toml")).unwrap();
        assert!(p.check_plugin("kms", &"a".repeat(64), true).is_ok());
        assert!(p.check_plugin("acme", &"a".repeat(64), false).is_err());
    }

    #[test]
    fn value_errors_name_file_key_and_fix() {
        assert_eq!(
            err("[targets]\ndeny = [\"10.0.0.0/8\", \"fd00::/8\", \"10.0.0.0/33\"]"),
            "policy.toml: key `targets.deny[2]`: `10.0.0.0/33` is not a CIDR (expected e.g. 10.0.0.0/8)"
        );
        assert!(
            err("[plugins]\nallow = [{ name = \"a\", sha256 = \"xyz\" }]")
                .starts_with("policy.toml: key `plugins.allow[0].sha256`: `xyz` is not a sha256")
        );
        assert!(
            err("[plugins.ceilings]\nmemory = \"lots\"")
                .starts_with("policy.toml: key `plugins.ceilings.memory`: invalid size")
        );
        let e = err(
            "[plugins]\nceilings = { memory = \"64MiB\" }\noverrides = { acme = { memory = \"128MiB\" } }",
        );
        assert_eq!(
            e,
            "policy.toml: key `plugins.overrides.acme.memory`: 128MiB is above the ceiling \
             plugins.ceilings.memory = 64MiB; lower it or raise the ceiling"
        );
        assert!(
            err("[runners]\nregions = [\"eu-west-1\", \"Ireland\"]").starts_with(
                "policy.toml: key `runners.regions[1]`: `Ireland` does not look like one"
            )
        );
        assert!(
            err("[iam]\nmax_run_lifetime = \"forever\"")
                .starts_with("policy.toml: key `iam.max_run_lifetime`: invalid duration")
        );
        assert!(
            err("[iam]\npermissions_boundary = \"Boundary\"").starts_with(
                "policy.toml: key `iam.permissions_boundary`: `Boundary` is not an IAM policy ARN"
            )
        );
        assert!(
            err("[signing]\nhosts = [\"*.*.*.*.*.x\"]")
                .starts_with("policy.toml: key `signing.hosts[0]`:")
        );
        let dup = "[plugins]\nallow = [{ name = \"a\", sha256 = \"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\" },\n  { name = \"a\", sha256 = \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" }]";
        assert!(err(dup).contains(
            "key `plugins.allow[1].name`: plugin `a` is already pinned by plugins.allow[0]"
        ));
    }

    #[test]
    fn type_errors_name_the_key_in_policy_words() {
        let e = err("[plugins]\nallow = 7\n");
        assert!(
            e.starts_with("policy.toml: key `plugins.allow`: line 2, column 9: invalid type"),
            "{e}"
        );
        assert!(e.contains("expected an array"), "{e}");
        // The previous table is not blamed for an inline table's value.
        let e = err("[targets]\ndeny = []\n[plugins]\nallow = [{ name = \"kms\", sha256 = 5 }]\n");
        assert!(e.contains("key `plugins.allow[0].sha256`"), "{e}");
        let e = err("[plugins]\nallow = [\"kms\"]\n");
        assert!(!e.contains("RawPin"), "{e}");
        assert!(e.contains("sha256 ="), "{e}");
        let e = err("[iam]\nmax_run_lifetime = 1979-05-27T07:32:00Z\n");
        assert!(e.contains("key `iam.max_run_lifetime`"), "{e}");
        assert!(e.contains("date-time") && !e.contains("$__toml"), "{e}");
    }

    #[test]
    fn shape_errors_give_line_and_table() {
        let e = err("[plugins]\nallow_bundled = true\n\n[targets]\nalow = []\n");
        assert!(
            e.starts_with(
                "policy.toml: key `targets.alow`: line 5, column 1: unknown field `alow`"
            ),
            "{e}"
        );
        assert!(e.contains("`allow`"), "{e}");
        let e = err("[targets]\nallow = \"10.0.0.0/8\"\n");
        assert!(
            e.starts_with("policy.toml: key `targets.allow`: line 2, column 9: invalid type"),
            "{e}"
        );
        let e = err("[audits]\nfile = \"x\"\n");
        assert!(e.contains("unknown field `audits`"), "{e}");
        let e = err("[targets\n");
        assert!(e.starts_with("policy.toml: line 1"), "{e}");
    }

    #[test]
    fn audit_paths_are_relative_to_the_policy_file() {
        let p = from_toml(
            "[audit]\nfile = \"audit.jsonl\"",
            Path::new("/etc/netcheck/policy.toml"),
        )
        .unwrap();
        assert_eq!(p.audit_file(), Some(Path::new("/etc/netcheck/audit.jsonl")));
        let p = from_toml(
            "[audit]\nfile = \"/var/log/a.jsonl\"",
            Path::new("/etc/p.toml"),
        )
        .unwrap();
        assert_eq!(p.audit_file(), Some(Path::new("/var/log/a.jsonl")));
    }
}
