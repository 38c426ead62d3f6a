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
    pub(super) async fn default_chain() -> Source {
        let chain = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
            .build()
            .await;
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

fn expiring(c: &Credentials, now: SystemTime) -> bool {
    c.expiry().is_some_and(|exp| exp <= now + REFRESH_BEFORE)
}

fn describe(e: &CredentialsError) -> String {
    let mut out = format!("loading AWS credentials failed: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
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
