//! Which components this host runs: the contract version a plugin was built against.
//!
//! A plugin exports `netcheck:plugin/checker@X.Y.Z` and imports `netcheck:plugin/host@X.Y.Z`.
//! Like Cargo's semver rule, the host accepts the same major version, and for `0.x` the
//! same minor version, of the contract it was built with ([`CONTRACT`]); anything else is
//! refused by name before the component is linked.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The contract this host implements: `package netcheck:plugin@0.1.0` in `wit/plugin.wit`.
pub(super) const CONTRACT: Version = Version {
    major: 0,
    minor: 1,
    patch: 0,
};

const CHECKER: &str = "netcheck:plugin/checker";
const PACKAGE_PREFIX: &str = "netcheck:plugin/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
}

impl Version {
    /// `1.2.3`, ignoring any `-pre` / `+build` suffix.
    pub(super) fn parse(text: &str) -> Option<Version> {
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let version = Version {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next()??,
        };
        parts.next().is_none().then_some(version)
    }

    /// Whether a plugin built for `plugin` runs on a host implementing `self`.
    fn accepts(self, plugin: Version) -> bool {
        if self.major == 0 {
            plugin.major == 0 && plugin.minor == self.minor
        } else {
            plugin.major == self.major
        }
    }

    /// What this host accepts, for messages: `0.1.x`, `1.x`.
    pub(super) fn supported(self) -> String {
        if self.major == 0 {
            format!("0.{}.x", self.minor)
        } else {
            format!("{}.x", self.major)
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a component is refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// It does not export the checker at all; `exports` lists what it does export.
    NotAPlugin { exports: String },
    /// Built against another contract version (`found` as written in the component).
    Version { found: String },
}

/// Checks a compiled component's exports and imports against [`CONTRACT`].
pub(super) fn check(engine: &Engine, component: &Component) -> Result<(), Refusal> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let imports: Vec<&str> = ty.imports(engine).map(|(name, _)| name).collect();
    check_names(CONTRACT, &exports, &imports)
}

fn check_names(host: Version, exports: &[&str], imports: &[&str]) -> Result<(), Refusal> {
    let Some(checker) = exports
        .iter()
        .find(|name| name.split('@').next() == Some(CHECKER))
    else {
        let exports = if exports.is_empty() {
            "none".to_string()
        } else {
            exports.join(", ")
        };
        return Err(Refusal::NotAPlugin { exports });
    };
    let contract_names = std::iter::once(checker).chain(
        imports
            .iter()
            .filter(|name| name.starts_with(PACKAGE_PREFIX)),
    );
    for name in contract_names {
        let found = name.split_once('@').map_or("", |(_, v)| v);
        if !Version::parse(found).is_some_and(|v| host.accepts(v)) {
            let found = if found.is_empty() {
                "(no version)".to_string()
            } else {
                found.to_string()
            };
            return Err(Refusal::Version { found });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap_or_else(|| panic!("test version {text} parses"))
    }

    #[test]
    fn contract_matches_the_wit_package() {
        let wit = include_str!("../../../wit/plugin.wit");
        assert!(
            wit.contains(&format!("package netcheck:plugin@{CONTRACT};")),
            "plugin_host::version::CONTRACT ({CONTRACT}) differs from wit/plugin.wit's package"
        );
    }

    #[test]
    fn the_guest_sdk_carries_the_contract_verbatim() {
        // The SDK is built outside this repository too, so it holds its own copy.
        let ours = include_str!("../../../wit/plugin.wit");
        let sdk = include_str!("../../../plugins/guest/wit/plugin.wit");
        assert!(
            ours == sdk,
            "plugins/guest/wit/plugin.wit differs from wit/plugin.wit: \
             copy it (cp wit/plugin.wit plugins/guest/wit/plugin.wit)"
        );
    }

    #[test]
    fn parses_versions_and_rejects_junk() {
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
        assert_eq!(v("0.1.0-rc.1").to_string(), "0.1.0");
        assert_eq!(Version::parse("1.2"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(Version::parse("x.1.0"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn zero_major_needs_same_minor_else_same_major() {
        assert!(v("0.1.0").accepts(v("0.1.7")));
        assert!(!v("0.1.0").accepts(v("0.2.0")));
        assert!(!v("0.1.0").accepts(v("1.1.0")));
        assert!(v("1.0.0").accepts(v("1.4.0")));
        assert!(!v("1.0.0").accepts(v("2.0.0")));
        assert_eq!(v("0.1.0").supported(), "0.1.x");
        assert_eq!(v("2.3.0").supported(), "2.x");
    }

    #[test]
    fn accepts_a_plugin_of_this_contract() {
        let exports = ["netcheck:plugin/checker@0.1.0"];
        let imports = [
            "wasi:cli/environment@0.2.6",
            "netcheck:plugin/types@0.1.0",
            "netcheck:plugin/host@0.1.0",
        ];
        assert_eq!(check_names(CONTRACT, &exports, &imports), Ok(()));
    }

    #[test]
    fn refuses_other_versions_by_name() {
        let refused = check_names(v("0.1.0"), &["netcheck:plugin/checker@1.0.0"], &[]);
        assert_eq!(
            refused,
            Err(Refusal::Version {
                found: "1.0.0".into()
            })
        );
        let import_refused = check_names(
            v("0.1.0"),
            &["netcheck:plugin/checker@0.1.0"],
            &["netcheck:plugin/host@0.2.0"],
        );
        assert_eq!(
            import_refused,
            Err(Refusal::Version {
                found: "0.2.0".into()
            })
        );
        let unversioned = check_names(v("0.1.0"), &["netcheck:plugin/checker"], &[]);
        assert_eq!(
            unversioned,
            Err(Refusal::Version {
                found: "(no version)".into()
            })
        );
    }

    #[test]
    fn refuses_components_without_the_checker_listing_exports() {
        assert_eq!(
            check_names(CONTRACT, &["wasi:cli/run@0.2.0", "other"], &[]),
            Err(Refusal::NotAPlugin {
                exports: "wasi:cli/run@0.2.0, other".into()
            })
        );
        assert_eq!(
            check_names(CONTRACT, &[], &[]),
            Err(Refusal::NotAPlugin {
                exports: "none".into()
            })
        );
    }
}
