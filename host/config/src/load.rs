//! Finds the config file, merges the layers with figment, and turns the raw values into a
//! [`Config`]: paths resolved, per-check conveniences folded into `options`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::Figment;

use super::error::{ConfigError, toml_key};
use super::layers;
use super::model::{CONFIG_FILE_NAME, CheckConfig, CheckSet, Config, Overrides};
use super::provenance::Origin;
use super::raw::{RawCheck, RawConfig, RawSet, TOP_LEVEL_KEYS};

/// A loaded configuration and where each of its values came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: Config,
    /// The config file used, if any (absolute when found in the current directory).
    pub file: Option<PathBuf>,
    /// Origin of each top-level key that has a value.
    pub(super) origins: BTreeMap<&'static str, Origin>,
    /// Origin of each entry of `config.plugins`, in order.
    pub(super) plugin_origins: Vec<Origin>,
    /// Things worth telling the user that do not stop the run (an unknown `NETCHECK_*`
    /// variable); the CLI prints each once on stderr.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// Where the top-level key `key` (`timeout`, `default_sets`, ...) got its value;
    /// `None` when nothing set it (`region`, `ca_file` have no default).
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        self.origins.get(key)
    }

    /// The configured `region` with where it came from, if any layer set one.
    pub fn configured_region(&self) -> Option<(&str, Origin)> {
        let origin = self.origin("region").cloned().unwrap_or(Origin::Default);
        self.config.region.as_deref().map(|name| (name, origin))
    }

    /// Where each entry of `config.plugins` came from, in the same order.
    pub fn plugin_origins(&self) -> &[Origin] {
        &self.plugin_origins
    }
}

/// Loads the configuration with the current directory as the base for `netcheck.toml`
/// and relative paths from the environment and flags. See [`load_in`].
pub fn load(
    file: Option<&Path>,
    env: &[(String, String)],
    overrides: &Overrides,
) -> Result<Loaded, ConfigError> {
    let cwd = std::env::current_dir().map_err(|e| {
        ConfigError::new(
            None,
            None,
            format!("cannot read the current directory (to look for {CONFIG_FILE_NAME}): {e}"),
        )
    })?;
    load_in(&cwd, file, env, overrides)
}

/// Loads the configuration as if `dir` were the current directory.
///
/// `file` is `--config` (must exist; relative to `dir`); without it `dir/netcheck.toml`
/// is used when present. `env` is the process environment (only `NETCHECK_*` is read).
pub fn load_in(
    dir: &Path,
    file: Option<&Path>,
    env: &[(String, String)],
    overrides: &Overrides,
) -> Result<Loaded, ConfigError> {
    let mut figment = Figment::new().merge(layers::defaults());
    let found = locate(dir, file)?;
    if let Some((display, path)) = &found {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                None,
                None,
                format!("cannot read config file {}: {e}", path.display()),
            )
        })?;
        figment = figment.merge(layers::file(display, path.clone(), &text)?);
    }
    let env = layers::env(env);
    for layer in env.layers {
        figment = figment.merge(layer);
    }
    for layer in layers::flags(overrides) {
        figment = figment.merge(layer);
    }

    let raw: RawConfig = figment.extract().map_err(|e| {
        let datetime = is_datetime(&figment, &e.path);
        let error = ConfigError::from_figment(e);
        if datetime { error.datetime() } else { error }
    })?;
    let origins: BTreeMap<&'static str, Origin> = TOP_LEVEL_KEYS
        .iter()
        .filter_map(|&k| Some((k, Origin::from_metadata(figment.find_metadata(k)?))))
        .collect();
    let origin_of = |k: &str| origins.get(k).cloned().unwrap_or(Origin::Default);

    let plugins_origin = origin_of("plugins");
    let mut plugins: Vec<PathBuf> = raw
        .plugins
        .iter()
        .map(|p| resolve(p, &plugins_origin, dir))
        .collect();
    let mut plugin_origins = vec![plugins_origin; plugins.len()];
    for p in &overrides.plugins {
        plugins.push(resolve(p, &Origin::Flag("--plugin".into()), dir));
        plugin_origins.push(Origin::Flag("--plugin".into()));
    }

    let sets_origin = origin_of("sets");
    let mut sets = BTreeMap::new();
    for (name, set) in raw.sets {
        let set = convert_set(&name, set, &sets_origin, dir)?;
        sets.insert(name, set);
    }

    let config = Config {
        concurrency: raw.concurrency,
        timeout: raw.timeout,
        region: raw.region,
        output: raw.output,
        default_sets: raw.default_sets,
        plugins,
        nameservers: raw.nameservers.into_iter().map(|n| n.0).collect(),
        ca_file: raw.ca_file.map(|p| resolve(&p, &origin_of("ca_file"), dir)),
        runner: raw.runner,
        sets,
        restrict: raw.restrict,
    };
    check_not_empty(&config, &origins)?;
    Ok(Loaded {
        config,
        file: found.map(|(_, path)| path),
        origins,
        plugin_origins,
        warnings: env.warnings,
    })
}

/// Whether the value at `path` is a TOML date-time (figment shows it as a table with a
/// private marker key, which no user should read about).
fn is_datetime(figment: &Figment, path: &[String]) -> bool {
    const MARKER: &str = "$__toml_private_datetime";
    if path.last().is_some_and(|p| p == MARKER) {
        return true;
    }
    use figment::value::Value;
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let Ok(mut value) = figment.find_value(first) else {
        return false;
    };
    for segment in rest {
        let next = match &value {
            Value::Dict(_, dict) => dict.get(segment).cloned(),
            Value::Array(_, items) => segment
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).cloned()),
            _ => None,
        };
        match next {
            Some(v) => value = v,
            None => return false,
        }
    }
    matches!(&value, Value::Dict(_, dict) if dict.contains_key(MARKER))
}

/// The config file to read: `(name to show, path to read)`.
fn locate(dir: &Path, file: Option<&Path>) -> Result<Option<(String, PathBuf)>, ConfigError> {
    match file {
        Some(given) => {
            let path = dir.join(given);
            if path.is_file() {
                Ok(Some((given.display().to_string(), path)))
            } else {
                let what = if path.exists() {
                    "is not a file"
                } else {
                    "not found"
                };
                Err(ConfigError::new(
                    None,
                    None,
                    format!(
                        "config file {} {what} (looked at {}); check the --config path or NETCHECK_CONFIG",
                        given.display(),
                        path.display()
                    ),
                ))
            }
        }
        None => {
            let path = dir.join(CONFIG_FILE_NAME);
            Ok(path.is_file().then(|| (CONFIG_FILE_NAME.to_string(), path)))
        }
    }
}

/// Resolves a relative path from the config file against the file's directory, and one
/// from the environment or a flag against `cwd`.
fn resolve(p: &Path, origin: &Origin, cwd: &Path) -> PathBuf {
    match origin {
        Origin::File { path, .. } => path.parent().unwrap_or(cwd).join(p),
        _ => cwd.join(p),
    }
}

fn check_not_empty(config: &Config, origins: &BTreeMap<&str, Origin>) -> Result<(), ConfigError> {
    let empty = [
        ("runner", config.runner.trim().is_empty()),
        (
            "region",
            config
                .region
                .as_deref()
                .is_some_and(|r| r.trim().is_empty()),
        ),
    ];
    for (key, is_empty) in empty {
        if is_empty {
            return Err(ConfigError::new(
                origins.get(key).cloned(),
                Some(key.to_string()),
                "must not be empty".to_string(),
            ));
        }
    }
    Ok(())
}

/// Names netcheck writes itself on every request.
const HOST_OWNED_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// A `headers` entry must be sendable as written: a token name, a value without line
/// breaks, control characters or non-ASCII, and not a header netcheck owns.
fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() {
        return Err("a header needs a name: write `headers = { \"X-Api-Key\" = \"...\" }`".into());
    }
    if !name.bytes().all(token) {
        return Err(format!(
            "`{}` is not a header name: use letters, digits and `-` (e.g. `X-Api-Key`)",
            name.escape_debug()
        ));
    }
    if HOST_OWNED_HEADERS
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
    {
        return Err(format!(
            "{name} is set by netcheck itself: remove it (change `url` to change the Host)"
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| (c.is_control() && c != '\t') || !c.is_ascii())
    {
        let what = if c == '\r' || c == '\n' {
            "a line break"
        } else if c.is_control() {
            "a control character"
        } else {
            "a non-ASCII character"
        };
        return Err(format!(
            "the value of {name} contains {what} ({:?}): header values are one line of ASCII",
            c
        ));
    }
    Ok(())
}

fn convert_set(
    name: &str,
    set: RawSet,
    origin: &Origin,
    dir: &Path,
) -> Result<CheckSet, ConfigError> {
    let mut checks = Vec::with_capacity(set.checks.len());
    for (i, check) in set.checks.into_iter().enumerate() {
        let at = format!("sets.{}.checks[{i}]", toml_key(name));
        checks.push(convert_check(check, &at, origin, dir)?);
    }
    Ok(CheckSet {
        description: set.description,
        checks,
    })
}

fn convert_check(
    c: RawCheck,
    at: &str,
    origin: &Origin,
    dir: &Path,
) -> Result<CheckConfig, ConfigError> {
    let err = |key: &str, msg: String| {
        ConfigError::new(Some(origin.clone()), Some(format!("{at}.{key}")), msg)
    };
    if c.url.trim().is_empty() {
        return Err(err(
            "url",
            "must not be empty; give e.g. \"https://example.com/\" or \"10.0.0.5:5432\"".into(),
        ));
    }

    // Conveniences, then `options`; sorted by name at the end (TOML tables have no order
    // figment keeps, and a stable order makes `config show` round-trip).
    let mut options: Vec<(String, String, &str)> = Vec::new();
    if let Some(m) = c.method {
        options.push(("method".into(), m, "method"));
    }
    if let Some(s) = c.expect_status {
        options.push(("expect-status".into(), s.0, "expect_status"));
    }
    if let Some(b) = c.body_contains {
        options.push(("body-contains".into(), b, "body_contains"));
    }
    for (name, value) in c.headers {
        let key = format!("headers.{}", toml_key(&name));
        check_header(&name, &value.0).map_err(|msg| err(&key, msg))?;
        options.push((format!("header.{name}"), value.0, "headers"));
    }
    for (name, value) in c.options {
        if let Some((_, _, by)) = options.iter().find(|(k, _, _)| *k == name) {
            return Err(err(
                &format!("options.{}", toml_key(&name)),
                format!("`{name}` is also set by `{by}`; keep one of the two"),
            ));
        }
        options.push((name, value.0, "options"));
    }

    Ok(CheckConfig {
        name: c.name,
        url: c.url,
        service: c.service,
        region: c.region,
        plugin: c.plugin,
        timeout: c.timeout,
        tls_verify: c.tls_verify,
        ca_file: c.ca_file.map(|p| resolve(&p, origin, dir)),
        options: {
            let mut pairs: Vec<(String, String)> =
                options.into_iter().map(|(k, v, _)| (k, v)).collect();
            pairs.sort();
            pairs
        },
    })
}
