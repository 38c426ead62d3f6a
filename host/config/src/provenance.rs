//! Where a setting came from: the built-in defaults, the config file, an environment
//! variable or a command-line flag.
//!
//! Each layer is merged into figment as its own provider whose [`Metadata`] encodes an
//! [`Origin`]; environment variables and flags get one provider *each*, so figment's
//! per-value tags say exactly which variable or flag set a key. Errors and `config show`
//! read the origin back from that metadata.

use std::fmt;
use std::path::PathBuf;

use figment::value::{Dict, Map};
use figment::{Metadata, Profile, Provider, Source};

/// Where one configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// netcheck's built-in default.
    Default,
    /// The config file: `display` as the user named it (`netcheck.toml`, `cfg/prod.toml`),
    /// `path` as read (absolute when it was found in the current directory).
    File { display: String, path: PathBuf },
    /// An environment variable (`NETCHECK_TIMEOUT`).
    Env(String),
    /// A command-line flag (`--concurrency`).
    Flag(String),
}

/// [`Source::Custom`] marker for environment-variable layers.
const ENV_SOURCE: &str = "netcheck:env";
/// [`Source::Custom`] marker for flag layers.
const FLAG_SOURCE: &str = "netcheck:flag";

impl Origin {
    /// The figment metadata that encodes this origin.
    pub fn metadata(&self) -> Metadata {
        match self {
            Origin::Default => Metadata::named("default"),
            Origin::File { display, path } => {
                Metadata::named(display.clone()).source(Source::File(path.clone()))
            }
            Origin::Env(var) => {
                Metadata::named(var.clone()).source(Source::Custom(ENV_SOURCE.into()))
            }
            Origin::Flag(flag) => {
                Metadata::named(flag.clone()).source(Source::Custom(FLAG_SOURCE.into()))
            }
        }
    }

    /// Reads back an origin from metadata made by [`Origin::metadata`].
    pub fn from_metadata(md: &Metadata) -> Origin {
        match &md.source {
            Some(Source::File(path)) => Origin::File {
                display: md.name.to_string(),
                path: path.clone(),
            },
            Some(Source::Custom(c)) if c == ENV_SOURCE => Origin::Env(md.name.to_string()),
            Some(Source::Custom(c)) if c == FLAG_SOURCE => Origin::Flag(md.name.to_string()),
            _ => Origin::Default,
        }
    }

    /// The `# ...` annotation `config show` prints after a value.
    pub fn annotation(&self) -> String {
        match self {
            Origin::Default => "default".to_string(),
            other => format!("from {other}"),
        }
    }
}

impl fmt::Display for Origin {
    /// `default`, the file as named, the variable name, or the flag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { display, .. } => f.write_str(display),
            Origin::Env(var) => f.write_str(var),
            Origin::Flag(flag) => f.write_str(flag),
        }
    }
}

/// One figment provider: values from a single origin.
#[derive(Debug, Clone)]
pub struct Layer {
    pub origin: Origin,
    pub data: Dict,
}

impl Layer {
    pub fn new(origin: Origin, data: Dict) -> Self {
        Layer { origin, data }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.origin.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Map::from([(Profile::Default, self.data.clone())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_round_trip_through_metadata() {
        for o in [
            Origin::Default,
            Origin::File {
                display: "netcheck.toml".into(),
                path: "/w/netcheck.toml".into(),
            },
            Origin::Env("NETCHECK_TIMEOUT".into()),
            Origin::Flag("--timeout".into()),
        ] {
            assert_eq!(Origin::from_metadata(&o.metadata()), o);
        }
    }

    #[test]
    fn annotations_name_the_source() {
        assert_eq!(Origin::Default.annotation(), "default");
        assert_eq!(
            Origin::Env("NETCHECK_TIMEOUT".into()).annotation(),
            "from NETCHECK_TIMEOUT"
        );
        assert_eq!(Origin::Flag("--set".into()).annotation(), "from --set");
    }
}
