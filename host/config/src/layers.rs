//! The four configuration layers as figment providers, lowest first: built-in defaults,
//! the config file, `NETCHECK_*` environment variables, command-line flags.

use std::ops::Range;
use std::path::PathBuf;

use figment::value::{Dict, Value};

use super::error::{ConfigError, closest};
use super::model::{DEFAULT_CONCURRENCY, DEFAULT_RUNNER, DEFAULT_TIMEOUT, OutputFormat, Overrides};
use super::provenance::{Layer, Origin};
use super::values::format_duration;

/// Environment variables the CLI reads itself; they are not configuration keys and are
/// skipped here rather than reported as unknown.
pub const CLI_ENV_VARS: [&str; 9] = [
    "NETCHECK_CONFIG",
    "NETCHECK_POLICY",
    "NETCHECK_LOG",
    // The lambda runner's flags (`netcheck run --help`).
    "NETCHECK_SUBNETS",
    "NETCHECK_SECURITY_GROUPS",
    "NETCHECK_ROLE_ARN",
    "NETCHECK_REGIONS",
    "NETCHECK_LAMBDA_BOOTSTRAP",
    "NETCHECK_RUN_ID",
];

/// How an environment variable's text becomes a value.
#[derive(Clone, Copy)]
enum EnvShape {
    /// Kept as text; the key's own check parses it.
    Text,
    /// Comma-separated list; blanks around items and empty items are dropped.
    List,
}

/// Each `NETCHECK_*` variable read as configuration, and the key it sets.
pub const ENV_VARS: [(&str, &str); 9] = [
    ("NETCHECK_CONCURRENCY", "concurrency"),
    ("NETCHECK_TIMEOUT", "timeout"),
    ("NETCHECK_REGION", "region"),
    ("NETCHECK_OUTPUT", "output"),
    ("NETCHECK_SETS", "default_sets"),
    ("NETCHECK_PLUGINS", "plugins"),
    ("NETCHECK_NAMESERVERS", "nameservers"),
    ("NETCHECK_CA_FILE", "ca_file"),
    ("NETCHECK_RUNNER", "runner"),
];

fn env_shape(key: &str) -> EnvShape {
    match key {
        "default_sets" | "plugins" | "nameservers" => EnvShape::List,
        _ => EnvShape::Text,
    }
}

/// Flag name per key, used to label values from [`Overrides`].
pub const FLAGS: [(&str, &str); 8] = [
    ("--concurrency", "concurrency"),
    ("--timeout", "timeout"),
    ("--region", "region"),
    ("--output", "output"),
    ("--set", "default_sets"),
    ("--plugin", "plugins"),
    ("--nameserver", "nameservers"),
    ("--runner", "runner"),
];

/// The built-in defaults. `region` and `ca_file` have none (unset).
pub fn defaults() -> Layer {
    let mut d = Dict::new();
    d.insert(
        "concurrency".into(),
        Value::from(DEFAULT_CONCURRENCY as u64),
    );
    d.insert(
        "timeout".into(),
        Value::from(format_duration(DEFAULT_TIMEOUT)),
    );
    d.insert("output".into(), Value::from(OutputFormat::Table.as_str()));
    d.insert("default_sets".into(), Value::from(Vec::<String>::new()));
    d.insert("plugins".into(), Value::from(Vec::<String>::new()));
    d.insert("nameservers".into(), Value::from(Vec::<String>::new()));
    d.insert("runner".into(), Value::from(DEFAULT_RUNNER));
    d.insert("sets".into(), Value::from(Dict::new()));
    Layer::new(Origin::Default, d)
}

/// Parses the config file's text. `display` names the file in errors.
pub fn file(display: &str, path: PathBuf, text: &str) -> Result<Layer, ConfigError> {
    let origin = Origin::File {
        display: display.to_string(),
        path,
    };
    match toml::from_str::<Dict>(text) {
        Ok(data) => Ok(Layer::new(origin, data)),
        Err(e) => Err(toml_syntax_error(origin, text, &e)),
    }
}

fn toml_syntax_error(origin: Origin, text: &str, e: &toml::de::Error) -> ConfigError {
    let message = e.message().trim_end().to_string();
    let Some(span) = e.span() else {
        return ConfigError::new(Some(origin), None, format!("invalid TOML: {message}"));
    };
    let (line, column) = line_column(text, span.start);
    let mut msg = format!("invalid TOML at line {line}, column {column}: {message}");
    if let Some(src) = source_line(text, span.clone()) {
        msg.push_str(&format!("\n  {line} | {src}"));
    }
    if text_at(text, &span).starts_with("sets") && sets_is_assigned(text) {
        msg.push_str(
            "\n  hint: `sets` holds the [sets.NAME] tables; choose the default selection with \
             `default_sets = [...]`",
        );
    }
    ConfigError::new(Some(origin), None, msg)
}

/// Whether the text has a top-level `sets = ...` line (the old name of `default_sets`).
fn sets_is_assigned(text: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix("sets")
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

fn text_at<'a>(text: &'a str, span: &Range<usize>) -> &'a str {
    text.get(span.start..).unwrap_or("")
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn source_line(text: &str, span: Range<usize>) -> Option<&str> {
    let start = text.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
    let end = text
        .get(span.start..)?
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    text.get(start..end).map(str::trim_end)
}

/// Variables of netcheck's build and test tooling (`scripts/*.sh`, `host/plugin-host/build.rs`): they
/// share the prefix but configure no run, so they are skipped without a word.
pub const TOOLING_ENV_VARS: [&str; 3] = [
    "NETCHECK_CACHE",
    "NETCHECK_VENV",
    "NETCHECK_WASM_TARGET_DIR",
];

/// The environment's layers, and a warning for each `NETCHECK_*` variable that is not
/// netcheck's.
pub struct EnvLayers {
    /// One layer per recognised, non-empty variable.
    pub layers: Vec<Layer>,
    /// `environment variable NETCHECK_X: not a netcheck setting (did you mean ...?) ...`.
    pub warnings: Vec<String>,
}

/// One layer per recognised, non-empty `NETCHECK_*` variable. An unknown `NETCHECK_*`
/// variable (a CI system's, a wrapper script's, or a typo) does not stop the run: the user
/// did not write it in netcheck's own files, so it is a warning with the closest name.
/// The variables the CLI reads itself ([`CLI_ENV_VARS`]) and the tooling's
/// ([`TOOLING_ENV_VARS`]) are skipped.
pub fn env(vars: &[(String, String)]) -> EnvLayers {
    let mut out = EnvLayers {
        layers: Vec::new(),
        warnings: Vec::new(),
    };
    for (name, value) in vars {
        if !name.starts_with("NETCHECK_")
            || CLI_ENV_VARS.contains(&name.as_str())
            || TOOLING_ENV_VARS.contains(&name.as_str())
        {
            continue;
        }
        let Some(&(_, key)) = ENV_VARS.iter().find(|(var, _)| var == name) else {
            out.warnings.push(unknown_env_var(name));
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let v = match env_shape(key) {
            EnvShape::Text => Value::from(value.clone()),
            EnvShape::List => Value::from(split_list(value)),
        };
        out.layers.push(single(Origin::Env(name.clone()), key, v));
    }
    out
}

fn unknown_env_var(name: &str) -> String {
    let known = ENV_VARS.iter().map(|(v, _)| *v).chain(CLI_ENV_VARS);
    let mut msg = format!("environment variable {name}: not a netcheck setting");
    if let Some(near) = closest(name, known.clone()) {
        msg.push_str(&format!(" (did you mean {near}?)"));
    }
    msg.push_str("; ignored. netcheck reads ");
    msg.push_str(&known.collect::<Vec<_>>().join(", "));
    msg.push('.');
    msg
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// One layer per flag given. `plugins` is not here: `--plugin` adds to the other layers'
/// plugins instead of replacing them, so the loader appends it after extraction.
pub fn flags(o: &Overrides) -> Vec<Layer> {
    let mut layers = Vec::new();
    let mut push = |flag: &str, key: &str, v: Value| {
        layers.push(single(Origin::Flag(flag.to_string()), key, v));
    };
    if let Some(n) = o.concurrency {
        push("--concurrency", "concurrency", Value::from(n as u64));
    }
    if let Some(d) = o.timeout {
        push("--timeout", "timeout", Value::from(format_duration(d)));
    }
    if let Some(r) = &o.region {
        push("--region", "region", Value::from(r.clone()));
    }
    if let Some(f) = o.output {
        push("--output", "output", Value::from(f.as_str()));
    }
    if let Some(s) = &o.sets {
        push("--set", "default_sets", Value::from(s.clone()));
    }
    if let Some(n) = &o.nameservers {
        push("--nameserver", "nameservers", Value::from(n.clone()));
    }
    if let Some(r) = &o.runner {
        push("--runner", "runner", Value::from(r.clone()));
    }
    layers
}

fn single(origin: Origin, key: &str, value: Value) -> Layer {
    let mut d = Dict::new();
    d.insert(key.to_string(), value);
    Layer::new(origin, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_lists_are_split_on_commas_and_blanks_skipped() {
        let EnvLayers { layers, warnings } = env(&vars(&[
            ("NETCHECK_SETS", " aws-core, ,db "),
            ("NETCHECK_REGION", ""),
            ("PATH", "/bin"),
        ]));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0].origin, Origin::Env("NETCHECK_SETS".into()));
        let got = layers[0].data.get("default_sets").cloned();
        assert_eq!(got, Some(Value::from(vec!["aws-core", "db"])));
    }

    #[test]
    fn cli_and_tooling_variables_are_skipped_and_unknown_ones_warn() {
        let quiet = env(&vars(&[
            ("NETCHECK_CONFIG", "x.toml"),
            ("NETCHECK_POLICY", "p"),
            ("NETCHECK_LOG", "debug"),
            ("NETCHECK_CACHE", "/tmp/c"),
            ("NETCHECK_VENV", "/tmp/v"),
        ]));
        assert!(quiet.layers.is_empty());
        assert!(quiet.warnings.is_empty(), "{:?}", quiet.warnings);
        let typo = env(&vars(&[
            ("NETCHECK_TIMEOUTS", "5s"),
            ("NETCHECK_REGION", "x"),
        ]));
        assert_eq!(typo.layers.len(), 1, "the known variable still applies");
        let [text] = typo.warnings.as_slice() else {
            panic!("one warning expected: {:?}", typo.warnings)
        };
        assert!(
            text.starts_with("environment variable NETCHECK_TIMEOUTS: not a netcheck setting"),
            "{text}"
        );
        assert!(text.contains("did you mean NETCHECK_TIMEOUT?"), "{text}");
        assert!(text.contains("ignored"), "{text}");
    }

    #[test]
    fn toml_errors_carry_line_and_column() {
        let err = file(
            "n.toml",
            "/x/n.toml".into(),
            "runner = \"local\"\ntimeout = 5s\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("n.toml: invalid TOML at line 2, column "),
            "{err}"
        );
        assert!(err.contains("2 | timeout = 5s"), "{err}");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("abc", 0), (1, 1));
    }
}
