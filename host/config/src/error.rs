//! Configuration errors for people: which file, variable or flag; which key; what was
//! expected; and, for typos, the closest valid key.
//!
//! ```text
//! netcheck.toml: key `sets.aws-core.checks[2].timeout`: invalid duration "5x" (expected e.g. "500ms", "5s", "1m")
//! environment variable NETCHECK_CONCURRENCY: expected a whole number from 1 to 1024, got "zero"
//! --concurrency: expected a whole number from 1 to 1024, got 0
//! ```

use std::fmt;

use figment::error::Kind;

use super::provenance::Origin;

/// Why the configuration could not be loaded. The CLI exits with code 2 on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    origin: Option<Origin>,
    key: Option<String>,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(origin: Option<Origin>, key: Option<String>, message: String) -> Self {
        ConfigError {
            origin,
            key,
            message,
        }
    }

    /// The layer the bad value came from, when known.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The key path, as written in TOML (`sets.aws-core.checks[2].timeout`), when known.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The message without the origin and key prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error, about a TOML date-time where the key takes another kind of value.
    pub(crate) fn datetime(mut self) -> Self {
        if let Some(key) = &self.key {
            let marker = ".\"$__toml_private_datetime\"";
            self.key = Some(key.trim_end_matches(marker).to_string());
        }
        self.message = "a TOML date-time is not a value this key takes: write it as a quoted \
                        string (e.g. timeout = \"5s\")"
            .to_string();
        self
    }

    /// Converts figment's extraction error, reading the origin from its metadata.
    pub(crate) fn from_figment(e: figment::Error) -> Self {
        let origin = e.metadata.as_ref().map(Origin::from_metadata);
        let key = (!e.path.is_empty()).then(|| key_path(&e.path));
        let message = match &e.kind {
            Kind::UnknownField(found, expected) => unknown_key(found, expected),
            Kind::MissingField(field) => format!("missing required key `{field}`"),
            Kind::InvalidType(actual, expected) if e.path == ["sets"] => format!(
                "expected {expected}, got {actual}; `sets` holds the [sets.NAME] tables, \
                 choose the default selection with `default_sets = [...]`"
            ),
            Kind::InvalidType(actual, expected) => format!("expected {expected}, got {actual}"),
            Kind::InvalidValue(actual, expected) => format!("expected {expected}, got {actual}"),
            Kind::UnknownVariant(found, expected) => {
                format!(
                    "unknown value `{found}`; expected one of: {}",
                    expected.join(", ")
                )
            }
            other => other.to_string(),
        };
        ConfigError::new(origin, key, message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Some(Origin::Env(var)) => write!(f, "environment variable {var}: ")?,
            Some(Origin::Flag(flag)) => write!(f, "{flag}: ")?,
            Some(origin @ Origin::File { .. }) => {
                write!(f, "{origin}: ")?;
                if let Some(key) = &self.key {
                    write!(f, "key `{key}`: ")?;
                }
            }
            Some(Origin::Default) | None => {
                if let Some(key) = &self.key {
                    write!(f, "key `{key}`: ")?;
                }
            }
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Keys that hold arrays: a numeric path segment after one of them is an index.
const ARRAY_KEYS: [&str; 4] = ["checks", "plugins", "nameservers", "default_sets"];

/// Renders figment's path segments as a TOML-style key: `sets.aws-core.checks[2].timeout`.
/// Segments that are not bare TOML keys are quoted (`sets."a.b"`).
pub(crate) fn key_path(segments: &[String]) -> String {
    let mut out = String::new();
    let mut prev: Option<&str> = None;
    for seg in segments {
        let is_index = !seg.is_empty()
            && seg.bytes().all(|b| b.is_ascii_digit())
            && prev.is_some_and(|p| ARRAY_KEYS.contains(&p));
        if is_index {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&toml_key(seg));
        }
        prev = Some(seg);
    }
    out
}

/// A key as TOML would need it written: bare when possible, else quoted.
pub(crate) fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        key.to_string()
    } else {
        toml::Value::String(key.to_string()).to_string()
    }
}

fn unknown_key(found: &str, expected: &[&str]) -> String {
    let mut msg = String::from("unknown key");
    if let Some(near) = closest(found, expected.iter().copied()) {
        msg.push_str(&format!(" (did you mean `{near}`?)"));
    }
    msg.push_str("; valid keys here: ");
    msg.push_str(&expected.join(", "));
    msg
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diag + cost);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn key_paths_use_indexes_and_quote_odd_keys() {
        assert_eq!(
            key_path(&segs(&["sets", "aws-core", "checks", "2", "timeout"])),
            "sets.aws-core.checks[2].timeout"
        );
        assert_eq!(key_path(&segs(&["nameservers", "0"])), "nameservers[0]");
        assert_eq!(key_path(&segs(&["sets", "a.b"])), r#"sets."a.b""#);
        assert_eq!(key_path(&segs(&["sets", "7"])), "sets.7");
    }

    #[test]
    fn closest_suggests_typos_only() {
        let keys = ["concurrency", "timeout", "region"];
        assert_eq!(closest("concurency", keys.into_iter()), Some("concurrency"));
        assert_eq!(closest("Timeout", keys.into_iter()), Some("timeout"));
        assert_eq!(closest("colour", keys.into_iter()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn display_prefixes_the_origin() {
        let file = Origin::File {
            display: "netcheck.toml".into(),
            path: "/w/netcheck.toml".into(),
        };
        let e = ConfigError::new(Some(file), Some("timeout".into()), "bad".into());
        assert_eq!(e.to_string(), "netcheck.toml: key `timeout`: bad");
        let e = ConfigError::new(
            Some(Origin::Env("NETCHECK_TIMEOUT".into())),
            Some("timeout".into()),
            "bad".into(),
        );
        assert_eq!(e.to_string(), "environment variable NETCHECK_TIMEOUT: bad");
        let e = ConfigError::new(Some(Origin::Flag("--timeout".into())), None, "bad".into());
        assert_eq!(e.to_string(), "--timeout: bad");
    }
}
