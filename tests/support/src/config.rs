//! `netcheck.toml` for tests, built instead of pasted together with `format!`: every
//! string is quoted by the `toml` crate, every check is one inline table.
//!
//! ```
//! use netcheck_test_support::config::{Check, ConfigToml};
//! let toml = ConfigToml::new("local")
//!     .top("concurrency", 4)
//!     .top("timeout", "3s")
//!     .check(Check::new("sts", "https://sts.us-east-1.amazonaws.com/").service("sts").region("us-east-1"))
//!     .check(Check::new("db", "tcp://127.0.0.1:9"))
//!     .render();
//! let parsed: toml::Table = toml.parse().unwrap();
//! assert_eq!(parsed["sets"]["local"]["checks"].as_array().unwrap().len(), 2);
//! assert_eq!(parsed["timeout"].as_str(), Some("3s"));
//! ```

use std::fmt;

/// A config file with top-level keys, one check set, and optional tables after it.
#[derive(Debug, Clone)]
pub struct ConfigToml {
    top: Vec<(String, toml::Value)>,
    raw_top: Vec<String>,
    set: String,
    checks: Vec<String>,
    tail: Vec<String>,
}

impl ConfigToml {
    /// A config whose one set is `[sets.<set>]`.
    pub fn new(set: &str) -> Self {
        ConfigToml {
            top: Vec::new(),
            raw_top: Vec::new(),
            set: set.to_string(),
            checks: Vec::new(),
            tail: Vec::new(),
        }
    }

    /// A top-level key (`concurrency = 4`, `timeout = "3s"`).
    pub fn top(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        self.top.push((key.to_string(), value.into()));
        self
    }

    /// Top-level TOML as written (a test that feeds netcheck a deliberate mistake).
    pub fn raw_top(mut self, text: &str) -> Self {
        self.raw_top.push(text.to_string());
        self
    }

    pub fn check(mut self, check: impl fmt::Display) -> Self {
        self.checks.push(check.to_string());
        self
    }

    /// Checks given as inline-table text (`{ name = "x", url = "…" }`, no trailing comma).
    pub fn checks<S: AsRef<str>>(mut self, checks: impl IntoIterator<Item = S>) -> Self {
        self.checks.extend(
            checks
                .into_iter()
                .map(|c| c.as_ref().trim().trim_end_matches(',').to_string()),
        );
        self
    }

    /// Tables after the set (`[restrict]`, more sets), as written.
    pub fn tail(mut self, text: &str) -> Self {
        self.tail.push(text.to_string());
        self
    }

    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ConfigToml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.top {
            writeln!(f, "{} = {value}", key_str(key))?;
        }
        for raw in &self.raw_top {
            writeln!(f, "{raw}")?;
        }
        writeln!(f, "\n[sets.{}]\nchecks = [", key_str(&self.set))?;
        for c in &self.checks {
            writeln!(f, "  {c},")?;
        }
        writeln!(f, "]")?;
        for t in &self.tail {
            writeln!(f, "\n{t}")?;
        }
        Ok(())
    }
}

/// One check, rendered as an inline table in key order.
#[derive(Debug, Clone)]
pub struct Check {
    /// `key = value` entries, and raw text, in order.
    entries: Vec<String>,
    options: Vec<String>,
}

impl Check {
    pub fn new(name: &str, url: &str) -> Self {
        Check {
            entries: vec![
                format!("name = {}", value_str(name)),
                format!("url = {}", value_str(url)),
            ],
            options: Vec::new(),
        }
    }

    pub fn service(self, service: &str) -> Self {
        self.set("service", service)
    }

    pub fn region(self, region: &str) -> Self {
        self.set("region", region)
    }

    pub fn plugin(self, plugin: &str) -> Self {
        self.set("plugin", plugin)
    }

    /// Any other key (`ca_file`, `timeout`, `expect` …) with a TOML value.
    pub fn set(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        self.entries
            .push(format!("{} = {}", key_str(key), value.into()));
        self
    }

    /// More entries as written (`expect = { status = [204] }, timeout = "1s"`); empty
    /// text adds nothing.
    pub fn raw(mut self, text: &str) -> Self {
        if !text.trim().is_empty() {
            self.entries.push(text.to_string());
        }
        self
    }

    /// An entry of the check's `options` table (what the plugin reads).
    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.options
            .push(format!("{} = {}", key_str(key), value_str(value)));
        self
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries = self.entries.clone();
        if !self.options.is_empty() {
            entries.push(format!("options = {{ {} }}", self.options.join(", ")));
        }
        write!(f, "{{ {} }}", entries.join(", "))
    }
}

/// The inline table `{ name = "..", url = "..", <extra> }`, `extra` as written.
pub fn check(name: &str, url: &str, extra: &str) -> String {
    Check::new(name, url).raw(extra).to_string()
}

/// `text` as a TOML string.
fn value_str(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// `key` bare when it can be, quoted otherwise.
fn key_str(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_string()
    } else {
        value_str(key)
    }
}
