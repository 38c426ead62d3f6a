//! The configuration as written: serde shapes of `netcheck.toml`, before paths are resolved
//! and per-check conveniences are folded into `options`.
//!
//! Every struct denies unknown keys, so a typo is an error that names the key instead of a
//! setting silently ignored. The field names here *are* the documented keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::model::OutputFormat;
use super::values::{self, Nameserver, OptionValue};

/// Top-level keys. Every key without `#[serde(default)]` has a built-in default layer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table of netcheck settings")]
pub struct RawConfig {
    #[serde(deserialize_with = "values::concurrency")]
    pub concurrency: usize,
    #[serde(deserialize_with = "values::duration")]
    pub timeout: Duration,
    #[serde(default)]
    pub region: Option<String>,
    pub output: OutputFormat,
    #[serde(default)]
    pub default_sets: Vec<String>,
    #[serde(default)]
    pub plugins: Vec<PathBuf>,
    #[serde(default)]
    pub nameservers: Vec<Nameserver>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    pub runner: String,
    #[serde(default)]
    pub sets: BTreeMap<String, RawSet>,
    /// `[restrict]`: narrow the administrator's policy for this config (never widens it).
    #[serde(default)]
    pub restrict: Option<netcheck_policy::UserRestrictions>,
}

/// The top-level keys, in documentation order (also the order `config show` prints).
pub const TOP_LEVEL_KEYS: [&str; 11] = [
    "concurrency",
    "timeout",
    "region",
    "output",
    "default_sets",
    "plugins",
    "nameservers",
    "ca_file",
    "runner",
    "sets",
    "restrict",
];

/// A `[sets.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a set table like `[sets.NAME]` with `description` and `checks`"
)]
pub struct RawSet {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub checks: Vec<RawCheck>,
}

/// One check, as an inline table in `checks = [...]` or a `[[sets.NAME.checks]]` table.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a check table like { url = \"https://example.com/\" }"
)]
pub struct RawCheck {
    #[serde(default)]
    pub name: Option<String>,
    pub url: String,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub plugin: Option<String>,
    #[serde(default, deserialize_with = "values::opt_duration")]
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub tls_verify: Option<bool>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub expect_status: Option<OptionValue>,
    #[serde(default)]
    pub body_contains: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, OptionValue>,
    #[serde(default)]
    pub options: BTreeMap<String, OptionValue>,
}
