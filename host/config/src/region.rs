//! The run's default AWS region and where it came from.
//!
//! Lowest to highest: [`DEFAULT_REGION`] (nothing anywhere named one) < the AWS chain
//! (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, then the instance
//! metadata service on EC2) < netcheck's own configuration (file, `NETCHECK_REGION`,
//! `--region`). A user on EC2, ECS or Lambda with no variable set gets the instance's
//! region (ECS and Lambda set `AWS_REGION`); the default applies only when every source is
//! silent, and the CLI says so once on stderr.

use std::fmt;

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::ProfileFileRegionProvider;

use crate::Origin;

/// The region used when nothing names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// A region and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub source: RegionSource,
}

/// Where the run's default region came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSource {
    /// netcheck's configuration: the file, `NETCHECK_REGION` or `--region`.
    Config(Origin),
    /// `AWS_REGION` or `AWS_DEFAULT_REGION`.
    AwsEnv,
    /// The `region` of the active AWS profile.
    AwsProfile,
    /// The instance metadata service (an EC2 instance's own region).
    InstanceMetadata,
    /// Nothing named a region: [`DEFAULT_REGION`].
    Default,
}

impl RegionSource {
    /// Whether the region is netcheck's fallback rather than anything the user set.
    pub fn is_default(&self) -> bool {
        matches!(self, RegionSource::Default)
    }
}

impl fmt::Display for RegionSource {
    /// `netcheck.toml`, `NETCHECK_REGION`, `--region`, `AWS_REGION`, `AWS profile`,
    /// `instance metadata` or `default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionSource::Config(origin) => write!(f, "{origin}"),
            RegionSource::AwsEnv => f.write_str("AWS_REGION"),
            RegionSource::AwsProfile => f.write_str("AWS profile"),
            RegionSource::InstanceMetadata => f.write_str("instance metadata"),
            RegionSource::Default => f.write_str("default"),
        }
    }
}

impl Region {
    /// The sentence the CLI prints once on stderr when the default applies.
    pub fn default_notice(&self) -> Option<String> {
        self.source.is_default().then(|| {
            format!(
                "note: no AWS region is configured (no --region, NETCHECK_REGION, `region` in \
                 netcheck.toml, AWS_REGION or profile region, and no instance metadata); using \
                 {}. Set one of those to check another region.",
                self.name
            )
        })
    }
}

/// The run's region: `configured` (with its origin) wins; else the AWS chain; else the
/// default. Only reaches the instance metadata service when nothing else answered.
pub async fn resolve(configured: Option<(&str, Origin)>) -> Region {
    if let Some((name, origin)) = configured {
        return Region {
            name: name.to_string(),
            source: RegionSource::Config(origin),
        };
    }
    let chain: [(RegionSource, Box<dyn ProvideRegion>); 3] = [
        (
            RegionSource::AwsEnv,
            Box::new(EnvironmentVariableRegionProvider::new()),
        ),
        (
            RegionSource::AwsProfile,
            Box::new(ProfileFileRegionProvider::builder().build()),
        ),
        (
            RegionSource::InstanceMetadata,
            Box::new(ImdsRegionProvider::builder().build()),
        ),
    ];
    for (source, provider) in chain {
        if let Some(region) = provider.region().await {
            return Region {
                name: region.to_string(),
                source,
            };
        }
    }
    Region {
        name: DEFAULT_REGION.to_string(),
        source: RegionSource::Default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn configured_region_wins_without_asking_aws() {
        let r = resolve(Some(("eu-west-1", Origin::Flag("--region".into())))).await;
        assert_eq!(r.name, "eu-west-1");
        assert_eq!(r.source.to_string(), "--region");
        assert!(r.default_notice().is_none());
    }

    #[test]
    fn the_default_says_so() {
        let r = Region {
            name: DEFAULT_REGION.into(),
            source: RegionSource::Default,
        };
        let notice = r.default_notice().unwrap();
        assert!(notice.contains("using us-east-1"), "{notice}");
        assert!(notice.contains("--region"), "{notice}");
    }
}
