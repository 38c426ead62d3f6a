//! The configuration netcheck runs with, after every layer has been merged and checked.
//!
//! These types hold *validated* values: durations are [`Duration`]s, paths are resolved,
//! per-check conveniences (`expect_status`, `headers`, ...) are already folded into the
//! generic `options` list the plugins read.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The file looked for in the current directory when `--config` is not given.
pub const CONFIG_FILE_NAME: &str = "netcheck.toml";
/// Built-in default for `concurrency`.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Largest accepted `concurrency`.
pub const MAX_CONCURRENCY: usize = 1024;
/// Built-in default for `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest accepted `timeout` (top-level or per check): ten minutes.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// Built-in default for `runner`.
pub const DEFAULT_RUNNER: &str = "local";

/// The effective configuration: built-in defaults < config file < `NETCHECK_*` < flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `concurrency`: how many checks run at once (1..=1024, default 16).
    pub concurrency: usize,
    /// `timeout`: per-check deadline (more than 0, at most 10m, default 5s).
    pub timeout: Duration,
    /// `region`: AWS region for `{region}` templates and signing; `None` = AWS config chain.
    pub region: Option<String>,
    /// `output`: report format (default `table`).
    pub output: OutputFormat,
    /// TOML key `default_sets` (env `NETCHECK_SETS`, flag `--set`): the sets to run when
    /// none are named on the command line; empty = all sets.
    pub default_sets: Vec<String>,
    /// `plugins`: extra plugin files. Paths from the config file are resolved against its
    /// directory; paths from the environment or flags against the current directory.
    pub plugins: Vec<PathBuf>,
    /// `nameservers`: DNS servers as `ip` or `ip:port`; empty = the system resolver.
    pub nameservers: Vec<String>,
    /// `ca_file`: extra trusted CA bundle (PEM) for every TLS check, resolved like `plugins`.
    pub ca_file: Option<PathBuf>,
    /// `runner`: where the checks run (default `local`). Not checked here: the CLI knows
    /// which runners exist.
    pub runner: String,
    /// `[sets.NAME]` tables: the named check sets, by name.
    pub sets: BTreeMap<String, CheckSet>,
    /// `[restrict]`: narrowing of the administrator's policy (see the policy docs).
    pub restrict: Option<netcheck_policy::UserRestrictions>,
}

impl Default for Config {
    /// The built-in defaults, i.e. what an empty config file and environment give.
    fn default() -> Self {
        Config {
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            region: None,
            output: OutputFormat::Table,
            default_sets: Vec::new(),
            plugins: Vec::new(),
            nameservers: Vec::new(),
            ca_file: None,
            runner: DEFAULT_RUNNER.to_string(),
            sets: BTreeMap::new(),
            restrict: None,
        }
    }
}

/// One `[sets.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckSet {
    /// `description`: one line for people (shown by `netcheck list`).
    pub description: Option<String>,
    /// `checks`: the endpoints, in file order.
    pub checks: Vec<CheckConfig>,
}

/// One entry of `sets.NAME.checks`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckConfig {
    /// `name`: display name; `None` = the URL's host (the plan makes names unique).
    pub name: Option<String>,
    /// `url`: `https://host/path`, `tcp://host:port`, `tls://host:port` or bare `host:port`
    /// (= tcp). `{region}` is left in; the plan expands it.
    pub url: String,
    /// `service`: plugin service id, when the host name does not say it (`kms`).
    pub service: Option<String>,
    /// `region`: region for this check only.
    pub region: Option<String>,
    /// `plugin`: force a plugin by name instead of matching the host name.
    pub plugin: Option<String>,
    /// `timeout`: deadline for this check; `None` = the top-level `timeout`.
    pub timeout: Option<Duration>,
    /// `tls_verify`: verify the certificate chain and name; `None` = yes.
    pub tls_verify: Option<bool>,
    /// `ca_file`: extra CA bundle for this check, resolved against the config file's directory.
    pub ca_file: Option<PathBuf>,
    /// Plugin options, sorted by name: `method`, `expect-status`, `body-contains` and
    /// `header.<Name>` from the convenience keys, plus the `options` table as written.
    pub options: Vec<(String, String)>,
}

/// The report format (`output` key, `--output` flag).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OutputFormat {
    /// A table for people, with colour on terminals.
    #[default]
    Table,
    /// The documented JSON document (`schema_version` 1).
    Json,
    /// JUnit XML for CI systems.
    Junit,
    /// One self-contained HTML page: a matrix of checks × locations (best with
    /// `--output-file`).
    Html,
}

impl OutputFormat {
    /// Every format, in the order shown to people.
    pub const ALL: [OutputFormat; 4] = [
        OutputFormat::Table,
        OutputFormat::Json,
        OutputFormat::Junit,
        OutputFormat::Html,
    ];

    /// The name used in config, env and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Json => "json",
            OutputFormat::Junit => "junit",
            OutputFormat::Html => "html",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutputFormat {
    type Err = String;

    /// Case-insensitive; the error lists the valid names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| format!("expected one of table, json, junit, html, got {s:?}"))
    }
}

/// Values from command-line flags: the highest layer. `None`/empty = flag not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `--concurrency`
    pub concurrency: Option<usize>,
    /// `--timeout`
    pub timeout: Option<Duration>,
    /// `--region`
    pub region: Option<String>,
    /// `--output`
    pub output: Option<OutputFormat>,
    /// `--set` (repeatable): replaces `default_sets`.
    pub sets: Option<Vec<String>>,
    /// `--plugin` (repeatable): *added* after the plugins from lower layers; relative paths
    /// are resolved against the current directory.
    pub plugins: Vec<PathBuf>,
    /// `--runner`
    pub runner: Option<String>,
    /// `--nameserver` (repeatable): replaces `nameservers`.
    pub nameservers: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_format_parses_case_insensitively_and_names_choices() {
        assert_eq!("JSON".parse::<OutputFormat>(), Ok(OutputFormat::Json));
        assert_eq!(" junit ".parse::<OutputFormat>(), Ok(OutputFormat::Junit));
        let err = "xml".parse::<OutputFormat>().unwrap_err();
        assert_eq!(
            err,
            r#"expected one of table, json, junit, html, got "xml""#
        );
        for f in OutputFormat::ALL {
            assert_eq!(f.to_string().parse::<OutputFormat>(), Ok(f));
        }
    }

    #[cfg(feature = "clap")]
    #[test]
    fn output_format_clap_names_match_config_names() {
        use clap::ValueEnum;
        for f in OutputFormat::value_variants() {
            let pv = f.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(pv.as_deref(), Some(f.as_str()));
        }
    }
}
