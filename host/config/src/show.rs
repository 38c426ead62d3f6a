//! `netcheck config show`: the effective configuration as TOML, each top-level value
//! followed by a comment naming where it came from (`# default`, `# from netcheck.toml`,
//! `# from NETCHECK_TIMEOUT`, `# from --concurrency`).
//!
//! The text is valid TOML and loads back to the same configuration (paths come out
//! resolved, per-check conveniences come out as `options`).

use std::path::Path;

use super::error::toml_key;
use super::load::Loaded;
use super::model::{CheckConfig, CheckSet};
use super::provenance::Origin;
use super::values::format_duration;

/// Column the provenance comments line up at.
const COMMENT_COLUMN: usize = 40;

impl Loaded {
    /// The effective configuration as annotated TOML (ends with a newline).
    pub fn show(&self) -> String {
        let c = &self.config;
        let mut out = String::from(
            "# Effective netcheck configuration; each value says where it came from.\n",
        );
        match &self.file {
            Some(f) => out.push_str(&format!("# Config file: {}\n\n", f.display())),
            None => out.push_str("# Config file: none (no netcheck.toml here and no --config)\n\n"),
        }

        self.line(&mut out, "concurrency", c.concurrency.to_string());
        self.line(&mut out, "timeout", quote(&format_duration(c.timeout)));
        match &c.region {
            Some(r) => self.line(&mut out, "region", quote(r)),
            None => annotated(
                &mut out,
                "# region is not set: the AWS config chain decides",
                "default",
            ),
        }
        self.line(&mut out, "output", quote(c.output.as_str()));
        self.line(&mut out, "default_sets", string_array(&c.default_sets));
        self.plugins(&mut out);
        self.line(&mut out, "nameservers", string_array(&c.nameservers));
        match &c.ca_file {
            Some(p) => self.line(&mut out, "ca_file", quote_path(p)),
            None => annotated(&mut out, "# ca_file is not set", "default"),
        }
        self.line(&mut out, "runner", quote(&c.runner));

        let sets_note = self.annotation("sets");
        if c.sets.is_empty() {
            out.push('\n');
            annotated(&mut out, "# no [sets.NAME] tables", &sets_note);
        }
        for (name, set) in &c.sets {
            out.push('\n');
            show_set(&mut out, name, set, &sets_note);
        }
        out
    }

    fn annotation(&self, key: &str) -> String {
        self.origin(key).unwrap_or(&Origin::Default).annotation()
    }

    fn line(&self, out: &mut String, key: &str, value: String) {
        annotated(out, &format!("{key} = {value}"), &self.annotation(key));
    }

    fn plugins(&self, out: &mut String) {
        let plugins = &self.config.plugins;
        if plugins.is_empty() {
            self.line(out, "plugins", "[]".to_string());
            return;
        }
        out.push_str("plugins = [\n");
        for (p, origin) in plugins.iter().zip(&self.plugin_origins) {
            annotated(out, &format!("  {},", quote_path(p)), &origin.annotation());
        }
        out.push_str("]\n");
    }
}

fn annotated(out: &mut String, code: &str, note: &str) {
    let pad = COMMENT_COLUMN.saturating_sub(code.chars().count()).max(2);
    out.push_str(code);
    out.push_str(&" ".repeat(pad));
    out.push_str("# ");
    out.push_str(note);
    out.push('\n');
}

fn show_set(out: &mut String, name: &str, set: &CheckSet, note: &str) {
    let key = toml_key(name);
    annotated(out, &format!("[sets.{key}]"), note);
    if let Some(d) = &set.description {
        out.push_str(&format!("description = {}\n", quote(d)));
    }
    for check in &set.checks {
        out.push_str(&format!("\n[[sets.{key}.checks]]\n"));
        show_check(out, check);
    }
}

fn show_check(out: &mut String, c: &CheckConfig) {
    let mut kv = |k: &str, v: String| out.push_str(&format!("{k} = {v}\n"));
    if let Some(n) = &c.name {
        kv("name", quote(n));
    }
    kv("url", quote(&c.url));
    for (k, v) in [
        ("service", &c.service),
        ("region", &c.region),
        ("plugin", &c.plugin),
    ] {
        if let Some(v) = v {
            kv(k, quote(v));
        }
    }
    if let Some(t) = c.timeout {
        kv("timeout", quote(&format_duration(t)));
    }
    if let Some(v) = c.tls_verify {
        kv("tls_verify", v.to_string());
    }
    if let Some(p) = &c.ca_file {
        kv("ca_file", quote_path(p));
    }
    if !c.options.is_empty() {
        let pairs: Vec<String> = c
            .options
            .iter()
            .map(|(k, v)| format!("{} = {}", toml_key(k), quote(v)))
            .collect();
        kv("options", format!("{{ {} }}", pairs.join(", ")));
    }
}

/// A TOML basic string with escapes.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn quote_path(p: &Path) -> String {
    quote(&p.to_string_lossy())
}

fn string_array(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", inner.join(", "))
}
