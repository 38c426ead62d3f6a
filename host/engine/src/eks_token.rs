//! The IAM bearer token EKS API servers accept: `k8s-aws-v1.` followed by the base64url
//! (unpadded) encoding of a presigned STS `GetCallerIdentity` URL whose signature covers
//! the `x-k8s-aws-id: <cluster name>` header.
//!
//! The API server replays the URL to STS to learn who is calling, so the token proves
//! identity for its validity (15 minutes) without carrying the secret key. The host
//! builds it; plugins only ask for it (`signing::eks-token`), never see it.

use std::time::{Duration, SystemTime};

use anyhow::Context;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;

/// The prefix every EKS IAM token carries.
pub const PREFIX: &str = "k8s-aws-v1.";
/// The header naming the cluster; signed so a token for one cluster is useless on another.
pub const CLUSTER_HEADER: &str = "x-k8s-aws-id";
/// How long the presigned URL (and so the token) is valid.
pub const VALIDITY: Duration = Duration::from_secs(15 * 60);

/// The STS endpoint the token's URL points at (regional; `aws-cn` and GovCloud included).
pub fn sts_host(region: &str) -> String {
    if region.starts_with("cn-") {
        format!("sts.{region}.amazonaws.com.cn")
    } else {
        format!("sts.{region}.amazonaws.com")
    }
}

/// Build the token for `cluster` in `region`, signed at `time`.
pub fn token(
    creds: &Credentials,
    cluster: &str,
    region: &str,
    time: SystemTime,
) -> anyhow::Result<String> {
    let url = presigned_url(creds, cluster, region, time)?;
    Ok(format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url)
    ))
}

/// The presigned `GetCallerIdentity` URL inside the token.
pub fn presigned_url(
    creds: &Credentials,
    cluster: &str,
    region: &str,
    time: SystemTime,
) -> anyhow::Result<String> {
    let host = sts_host(region);
    let base = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let identity: Identity = creds.clone().into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(VALIDITY);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .context("building the EKS token's signing parameters")?
        .into();
    let headers = [("host", host.as_str()), (CLUSTER_HEADER, cluster)];
    let signable =
        SignableRequest::new("GET", &base, headers.into_iter(), SignableBody::Bytes(&[]))
            .context("preparing the EKS token's STS request")?;
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .context("presigning the EKS token's STS request")?
        .into_parts();
    let mut url = url::Url::parse(&base).context("the STS URL")?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in instructions.params() {
            query.append_pair(name, value);
        }
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("SESSION".into()),
            None,
            "test",
        )
    }

    fn decode(token: &str) -> url::Url {
        let b64 = token.strip_prefix(PREFIX).expect("token prefix");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64)
            .expect("base64url without padding");
        url::Url::parse(std::str::from_utf8(&raw).unwrap()).unwrap()
    }

    #[test]
    fn token_is_a_presigned_get_caller_identity_url_covering_the_cluster_header() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let t = token(&creds(), "prod-cluster", "eu-west-1", time).unwrap();
        assert!(!t.contains('='), "unpadded base64url");
        let url = decode(&t);
        assert_eq!(url.host_str(), Some("sts.eu-west-1.amazonaws.com"));
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["Action"], "GetCallerIdentity");
        assert_eq!(q["Version"], "2011-06-15");
        assert_eq!(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(q["X-Amz-Expires"], "900");
        assert_eq!(q["X-Amz-Date"], "20150830T123600Z");
        assert_eq!(
            q["X-Amz-Credential"],
            "AKIDEXAMPLE/20150830/eu-west-1/sts/aws4_request"
        );
        assert_eq!(q["X-Amz-SignedHeaders"], "host;x-k8s-aws-id");
        assert_eq!(q["X-Amz-Security-Token"], "SESSION");
        assert_eq!(q["X-Amz-Signature"].len(), 64);
        assert!(
            !t.contains("wJalrXUtnFEMI") && !url.as_str().contains("wJalrXUtnFEMI"),
            "no secret key"
        );
    }

    #[test]
    fn the_signature_depends_on_the_cluster() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let sig = |c: &str| {
            let url = decode(&token(&creds(), c, "eu-west-1", time).unwrap());
            url.query_pairs()
                .find(|(k, _)| k == "X-Amz-Signature")
                .unwrap()
                .1
                .into_owned()
        };
        assert_ne!(sig("a"), sig("b"));
    }

    #[test]
    fn china_regions_use_the_cn_suffix() {
        assert_eq!(sts_host("cn-north-1"), "sts.cn-north-1.amazonaws.com.cn");
    }
}
