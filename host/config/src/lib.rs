//! Layered configuration: built-in defaults < config file < `NETCHECK_*` environment
//! variables < command-line flags, merged with figment.
//!
//! The config file is `--config FILE` (which must exist) or else `netcheck.toml` in the
//! current directory, if there is one. Every value remembers its origin, so errors name the
//! file, variable or flag at fault and `netcheck config show` annotates each value.
//! Unknown keys (and unknown `NETCHECK_*` variables) are errors that suggest the closest
//! valid name.
//!
//! ```toml
//! concurrency = 16          # checks at once (1..=1024)
//! timeout = "5s"            # per-check deadline: "500ms", "5s", "1m"; more than 0, at most 10m
//! region = "eu-west-1"      # optional; else the AWS config chain
//! output = "table"          # table | json | junit
//! default_sets = ["aws-core"]  # sets to run when --set is not given; empty = all sets
//! plugins = ["./plugins/acme.wasm"]  # extra plugins, relative to this file's directory
//! nameservers = []          # "ip" or "ip:port"; empty = the system resolver
//! ca_file = "corp-ca.pem"   # extra trusted CAs (PEM) for every TLS check, relative to this file
//! runner = "local"
//!
//! [sets.aws-core]
//! description = "What every VPC workload needs"
//! checks = [
//!   { name = "sts", url = "https://sts.{region}.amazonaws.com/" },
//!   { name = "orders-db", url = "10.0.0.5:5432" },
//! ]
//!
//! [[sets.aws-core.checks]]          # the array-of-tables form works too
//! url = "https://example.com/health"
//! expect_status = "200,204"         # -> option expect-status
//! body_contains = "ok"              # -> option body-contains
//! method = "GET"                    # -> option method
//! headers = { "X-Probe" = "1" }     # -> option header.X-Probe
//! options = { function = "my-fn" }  # plugin options, passed as written
//! timeout = "2s"
//! tls_verify = true
//! ca_file = "x.pem"                 # relative to this file
//! service = "kms"
//! region = "us-east-1"
//! plugin = "https"
//! ```
//!
//! The default selection is `default_sets`, not `sets`: TOML cannot have `sets` be both an
//! array and the parent of the `[sets.NAME]` tables. Its environment variable is
//! `NETCHECK_SETS` and its flag `--set`.
//!
//! ```
//! use netcheck_config::{load_in, Overrides};
//! let dir = std::env::temp_dir().join("netcheck-config-doc-nonexistent");
//! let env = vec![("NETCHECK_TIMEOUT".to_string(), "2s".to_string())];
//! let loaded = load_in(&dir, None, &env, &Overrides::default()).unwrap();
//! assert_eq!(loaded.config.timeout, std::time::Duration::from_secs(2));
//! assert!(loaded.show().contains("# from NETCHECK_TIMEOUT"));
//! ```

mod error;
mod layers;
mod load;
mod model;
mod provenance;
mod raw;
pub mod region;
mod show;
mod values;

pub use error::ConfigError;
pub use layers::{CLI_ENV_VARS, ENV_VARS, FLAGS};
pub use load::{Loaded, load, load_in};
pub use model::{
    CONFIG_FILE_NAME, CheckConfig, CheckSet, Config, DEFAULT_CONCURRENCY, DEFAULT_RUNNER,
    DEFAULT_TIMEOUT, MAX_CONCURRENCY, MAX_TIMEOUT, OutputFormat, Overrides,
};
pub use provenance::Origin;
pub use values::{format_duration, parse_duration};
