//! Where credentials come from: fixed ones, or aws-config's default chain (environment,
//! profile incl. SSO and `credential_process`, web identity, container, IMDS),
//! resolved lazily once per run and refreshed shortly before they expire.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use tokio::sync::Mutex;

/// Credentials this close to expiry are resolved again.
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

pub(super) enum Source {
    Fixed(Credentials),
    Chain {
        provider: SharedCredentialsProvider,
        cached: Mutex<Option<Outcome>>,
    },
}

/// The last resolution: credentials, none found, or an error for people.
pub(super) type Outcome = Result<Option<Credentials>, String>;

impl Source {
    /// aws-config's default chain, in its order (environment, profile, web identity,
    /// container, instance metadata), with each provider named so that a failure says
    /// which one failed.
    pub(super) async fn default_chain() -> Source {
        use aws_config::meta::credentials::CredentialsProviderChain;
        let region = aws_config::default_provider::region::DefaultRegionChain::builder()
            .build()
            .region()
            .await;
        let conf = aws_config::provider_config::ProviderConfig::default().with_region(region);
        let chain = CredentialsProviderChain::first_try(
            "Environment",
            Named::new(
                "environment (AWS_ACCESS_KEY_ID)".to_string(),
                aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
            ),
        )
        .or_else(
            "Profile",
            Named::new(
                "profile (~/.aws/config, ~/.aws/credentials, SSO, credential_process)".to_string(),
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .configure(&conf)
                    .build(),
            ),
        )
        .or_else(
            "WebIdentityToken",
            Named::new(
                match std::env::var("AWS_WEB_IDENTITY_TOKEN_FILE") {
                    Ok(file) if !file.is_empty() => {
                        format!("web identity (AWS_WEB_IDENTITY_TOKEN_FILE={file})")
                    }
                    _ => "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".to_string(),
                },
                aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                    .configure(&conf)
                    .build(),
            ),
        )
        .or_else(
            "EcsContainer",
            Named::new(
                "container (ECS/EKS credentials endpoint)".to_string(),
                aws_config::ecs::EcsCredentialsProvider::builder()
                    .configure(&conf)
                    .build(),
            ),
        )
        .or_else(
            "Ec2InstanceMetadata",
            Named::new(
                "instance metadata (IMDS)".to_string(),
                aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&conf)
                    .build(),
            ),
        );
        Source::Chain {
            provider: SharedCredentialsProvider::new(chain),
            cached: Mutex::new(None),
        }
    }

    pub(super) fn kind(&self) -> &'static str {
        match self {
            Source::Fixed(_) => "fixed credentials",
            Source::Chain { .. } => "AWS default credential chain",
        }
    }

    pub(super) async fn credentials(&self, now: SystemTime) -> Outcome {
        let (provider, cached) = match self {
            Source::Fixed(c) => return Ok(Some(c.clone())),
            Source::Chain { provider, cached } => (provider, cached),
        };
        // Held across the lookup: concurrent checks wait for one resolution.
        let mut slot = cached.lock().await;
        if let Some(outcome) = slot.as_ref() {
            let stale = matches!(outcome, Ok(Some(c)) if expiring(c, now));
            if !stale {
                return outcome.clone();
            }
        }
        let outcome = match provider.provide_credentials().await {
            Ok(c) => Ok(Some(c)),
            Err(e @ CredentialsError::CredentialsNotLoaded(_)) => {
                tracing::debug!(reason = %describe(&e), "no AWS credentials found");
                Ok(None)
            }
            Err(e) => Err(describe(&e)),
        };
        *slot = Some(outcome.clone());
        outcome
    }
}

/// A provider of the chain with its name: a real failure (anything but "nothing
/// configured here") comes back as a [`ProviderFailed`] naming the provider, so the user
/// reads which of the five sources is broken.
#[derive(Debug)]
struct Named<P> {
    name: String,
    inner: P,
}

impl<P: ProvideCredentials> Named<P> {
    fn new(name: String, inner: P) -> Self {
        Named { name, inner }
    }
}

impl<P: ProvideCredentials> ProvideCredentials for Named<P> {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            match self.inner.provide_credentials().await {
                Err(e @ CredentialsError::CredentialsNotLoaded(_)) => Err(e),
                Err(e) => Err(CredentialsError::provider_error(ProviderFailed {
                    provider: self.name.clone(),
                    source: e,
                })),
                ok => ok,
            }
        })
    }
}

/// "the <provider> credential provider failed", with the provider's own error as source.
#[derive(Debug)]
struct ProviderFailed {
    provider: String,
    source: CredentialsError,
}

impl std::fmt::Display for ProviderFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the {} credential provider failed", self.provider)
    }
}

impl StdError for ProviderFailed {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

fn expiring(c: &Credentials, now: SystemTime) -> bool {
    c.expiry().is_some_and(|exp| exp <= now + REFRESH_BEFORE)
}

fn describe(e: &CredentialsError) -> String {
    let mut out = format!("loading AWS credentials failed: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        // Providers often repeat their source's text in their own; say it once.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.push_str(
        " (check AWS_PROFILE and the profile in ~/.aws/config and ~/.aws/credentials; \
         for SSO run `aws sso login`; `aws sts get-caller-identity` shows the same chain)",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::future;

    #[derive(Debug)]
    struct Counting {
        calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        answer: fn() -> Result<Credentials, CredentialsError>,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            future::ProvideCredentials::ready((self.answer)())
        }
    }

    fn chain(
        answer: fn() -> Result<Credentials, CredentialsError>,
    ) -> (Source, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let provider = SharedCredentialsProvider::new(Counting {
            calls: calls.clone(),
            answer,
        });
        (
            Source::Chain {
                provider,
                cached: Mutex::new(None),
            },
            calls,
        )
    }

    fn calls(c: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> usize {
        c.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[tokio::test]
    async fn resolved_once_and_cached() {
        let (source, n) = chain(|| Ok(Credentials::new("AKID", "SECRET", None, None, "test")));
        let now = SystemTime::now();
        for _ in 0..3 {
            assert_eq!(
                source
                    .credentials(now)
                    .await
                    .unwrap()
                    .unwrap()
                    .access_key_id(),
                "AKID"
            );
        }
        assert_eq!(calls(&n), 1);
    }

    #[tokio::test]
    async fn expiring_credentials_are_refreshed() {
        let (source, n) = chain(|| {
            let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
            Ok(Credentials::new(
                "AKID",
                "SECRET",
                Some("TOKEN".into()),
                Some(expiry),
                "test",
            ))
        });
        let early = SystemTime::UNIX_EPOCH + Duration::from_secs(1_999_000_000);
        source.credentials(early).await.unwrap();
        source.credentials(early).await.unwrap();
        assert_eq!(calls(&n), 1, "far from expiry: cached");
        let late = SystemTime::UNIX_EPOCH + Duration::from_secs(1_999_999_900);
        source.credentials(late).await.unwrap();
        assert_eq!(
            calls(&n),
            2,
            "within five minutes of expiry: resolved again"
        );
    }

    #[tokio::test]
    async fn not_loaded_is_none_and_errors_are_for_people() {
        let (source, n) = chain(|| {
            Err(CredentialsError::not_loaded(
                "no providers in chain provided credentials",
            ))
        });
        assert_eq!(source.credentials(SystemTime::now()).await, Ok(None));
        assert_eq!(source.credentials(SystemTime::now()).await, Ok(None));
        assert_eq!(calls(&n), 1, "a negative answer is cached too");

        let (source, _) = chain(|| {
            Err(CredentialsError::invalid_configuration(
                "profile `dev` is not defined",
            ))
        });
        let err = source.credentials(SystemTime::now()).await.unwrap_err();
        assert!(err.contains("profile `dev` is not defined"), "{err}");
        assert!(err.contains("AWS_PROFILE"), "{err}");
    }
}
