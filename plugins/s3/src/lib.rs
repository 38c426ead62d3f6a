//! netcheck plugin `s3`: proves Amazon S3 is reachable and usable with one cheap,
//! read-only, signed `GET`:
//!
//! | the URL addresses | call | IAM action |
//! | --- | --- | --- |
//! | the service (`https://s3.eu-west-1.amazonaws.com/`) | `GET /?max-buckets=1` (ListBuckets) | `s3:ListAllMyBuckets` |
//! | a bucket, virtual-hosted (`https://b.s3.eu-west-1.amazonaws.com/`) | `GET /?list-type=2&max-keys=1` | `s3:ListBucket` |
//! | a bucket, path-style (`https://s3.eu-west-1.amazonaws.com/b`) | `GET /b?list-type=2&max-keys=1` | `s3:ListBucket` |
//!
//! Option `bucket = "name"` names the bucket instead of the URL (path-style). Beyond the
//! shared AWS verdicts, a redirect or an `AuthorizationHeaderMalformed` about the region
//! is `wrong-region` (naming the bucket's real region), and `NoSuchBucket` is `not-found`.

use netcheck_guest::{
    Checker, EndpointKind, HttpResponse, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo,
    Signing, Target, Verdict, aws_error, judge_aws, request, services, xml,
};

const LIST_BUCKETS: &str = "s3:ListAllMyBuckets";
const LIST_BUCKET: &str = "s3:ListBucket";
/// The region S3's global endpoints sign for.
const GLOBAL_REGION: &str = "us-east-1";

struct S3;

impl Checker for S3 {
    fn describe() -> PluginInfo {
        let mut host_patterns: Vec<String> = [
            "s3.amazonaws.com",
            "*.s3.amazonaws.com",
            "s3-external-1.amazonaws.com",
            "*.s3-external-1.amazonaws.com",
            "s3.*.amazonaws.com",
            "*.s3.*.amazonaws.com",
            "s3.dualstack.*.amazonaws.com",
            "*.s3.dualstack.*.amazonaws.com",
            "s3-fips.*.amazonaws.com",
            "*.s3-fips.*.amazonaws.com",
            "s3-fips.dualstack.*.amazonaws.com",
            "*.s3-fips.dualstack.*.amazonaws.com",
            "*.s3.*.amazonaws.com.cn",
        ]
        .iter()
        .map(|p| p.to_string())
        .collect();
        for pattern in services::host_patterns("s3") {
            if !host_patterns.contains(&pattern) {
                host_patterns.push(pattern);
            }
        }
        PluginInfo {
            name: "s3".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Amazon S3: signed ListBuckets, or ListObjectsV2 (max-keys 1) on a bucket"
                .into(),
            services: vec![ServiceInfo {
                id: "s3".into(),
                host_patterns,
                signing_name: Some("s3".into()),
                vpc_endpoint: Some("com.amazonaws.{region}.s3".into()),
                endpoint_kind: EndpointKind::Gateway,
                actions: vec![LIST_BUCKETS.into(), LIST_BUCKET.into()],
            }],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = signing_region(&target)?;
        let (label, path, action) = match addressing(&target)? {
            Addressing::Service => ("ListBuckets", "/?max-buckets=1".to_string(), LIST_BUCKETS),
            Addressing::VirtualHosted(_) => (
                "ListObjectsV2",
                "/?list-type=2&max-keys=1".to_string(),
                LIST_BUCKET,
            ),
            Addressing::PathStyle(bucket) => (
                "ListObjectsV2",
                format!("/{bucket}?list-type=2&max-keys=1"),
                LIST_BUCKET,
            ),
        };
        // Empty value: the host's signer fills in the body hash and signs it.
        let call = request::rest_get(&path).with_header("x-amz-content-sha256", "");
        Ok(vec![Probe::aws(label, call, "s3", region, action)])
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        if let Some(response) = observation.http()
            && let Some(verdict) = judge_s3(&target, &probe, response)
        {
            return verdict;
        }
        let verdict = judge_aws(&target, &probe, &observation, &context);
        match addressing(&target) {
            Ok(addressing) if verdict.reason == "access-denied" => {
                match addressing.bucket() {
                    Some(bucket) => verdict.with_hint(format!(
                        "grant {LIST_BUCKET} on arn:{}:s3:::{bucket} to this role (see `netcheck iam-policy`); \
                         if it is granted, look for a deny in the bucket policy, an SCP or the VPC endpoint policy",
                        partition(&target)
                    )),
                    None => verdict,
                }
            }
            _ => verdict,
        }
    }
}

netcheck_guest::export_plugin!(S3);

/// How the URL addresses S3.
#[derive(Debug, PartialEq, Eq)]
enum Addressing {
    /// No bucket: the service itself (ListBuckets).
    Service,
    /// The bucket is in the host name.
    VirtualHosted(String),
    /// The bucket is the first path segment (or the `bucket` option).
    PathStyle(String),
}

impl Addressing {
    fn bucket(&self) -> Option<&str> {
        match self {
            Addressing::Service => None,
            Addressing::VirtualHosted(b) | Addressing::PathStyle(b) => Some(b),
        }
    }
}

fn addressing(target: &Target) -> Result<Addressing, String> {
    let host_bucket = host_bucket(target);
    let option = target
        .option("bucket")
        .map(str::trim)
        .filter(|b| !b.is_empty());
    if let Some(bucket) = option {
        check_bucket_name(bucket)?;
        return match host_bucket {
            Some(in_host) if in_host == bucket => Ok(Addressing::VirtualHosted(bucket.into())),
            Some(in_host) => Err(format!(
                "option bucket = \"{bucket}\" conflicts with the bucket \"{in_host}\" in the host name {}: \
                 remove the option or use the service endpoint (s3.<region>.amazonaws.com)",
                target.host
            )),
            None => Ok(Addressing::PathStyle(bucket.into())),
        };
    }
    if let Some(bucket) = host_bucket {
        return Ok(Addressing::VirtualHosted(bucket.into()));
    }
    let path = target.path_and_query.split(['?', '#']).next().unwrap_or("");
    match path.trim_start_matches('/').split('/').next() {
        Some(bucket) if !bucket.is_empty() => {
            check_bucket_name(bucket)?;
            Ok(Addressing::PathStyle(bucket.into()))
        }
        _ => Ok(Addressing::Service),
    }
}

/// The bucket in a virtual-hosted host name. S3 interface endpoints have a literal
/// `bucket.` label of their own (`bucket.vpce-….s3.<region>.vpce.amazonaws.com`, and
/// `my-bucket.bucket.vpce-…` for a bucket), which is not a bucket name.
fn host_bucket(target: &Target) -> Option<&str> {
    let resource = target.aws_resource()?;
    let through_vpce = target
        .aws
        .as_ref()
        .is_some_and(|aws| aws.vpc_endpoint_id.is_some());
    let bucket = if through_vpce {
        match resource.strip_suffix("bucket") {
            Some("") => return None,
            Some(prefix) => prefix.strip_suffix('.').unwrap_or(resource),
            None => resource,
        }
    } else {
        resource
    };
    Some(bucket).filter(|b| !b.is_empty())
}

/// Bucket names are DNS-safe (legacy ones may have capitals and `_`); anything else
/// would need encoding and is surely a typo.
fn check_bucket_name(bucket: &str) -> Result<(), String> {
    let valid_chars = bucket
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if valid_chars && (1..=255).contains(&bucket.len()) {
        Ok(())
    } else {
        Err(format!(
            "\"{bucket}\" is not an S3 bucket name: bucket names use only letters, digits, '.', '-' \
             (set the `bucket` option or put the bucket first in the URL path)"
        ))
    }
}

/// `us-east-1` for S3's global endpoints, else the target's region.
fn signing_region(target: &Target) -> Result<&str, String> {
    let host = target.host.trim_end_matches('.').to_ascii_lowercase();
    let global = ["s3.amazonaws.com", "s3-external-1.amazonaws.com"]
        .iter()
        .any(|g| host == *g || host.ends_with(&format!(".{g}")));
    if global {
        Ok(GLOBAL_REGION)
    } else {
        target.require_region()
    }
}

fn partition(target: &Target) -> &str {
    target
        .aws
        .as_ref()
        .map(|aws| aws.partition.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// S3's own answers: redirects to the bucket's region, and missing buckets.
fn judge_s3(target: &Target, probe: &Probe, response: &HttpResponse) -> Option<Verdict> {
    let error = aws_error(response);
    let code = error.as_ref().map_or("", |e| e.code.as_str());
    let message = error
        .as_ref()
        .and_then(|e| e.message.as_deref())
        .unwrap_or("");
    let status = response.status;
    let answer = if code.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {code}")
    };

    let redirected =
        matches!(status, 301 | 307) || matches!(code, "PermanentRedirect" | "TemporaryRedirect");
    let region_malformed =
        code == "AuthorizationHeaderMalformed" && message.to_ascii_lowercase().contains("region");
    if redirected || region_malformed {
        return Some(wrong_region(probe, response, message, &answer));
    }
    if code == "NoSuchBucket" {
        let bucket = addressing(target)
            .ok()
            .and_then(|a| a.bucket().map(String::from))
            .unwrap_or_else(|| "the bucket".into());
        return Some(
            Verdict::fail(
                "not-found",
                format!("S3 is reachable but bucket {bucket} does not exist ({answer})"),
            )
            .with_hint("check the bucket name; bucket names are global per partition"),
        );
    }
    None
}

fn wrong_region(probe: &Probe, response: &HttpResponse, message: &str, answer: &str) -> Verdict {
    let signed_for = match &probe.signing {
        Signing::Sigv4(params) => params.region.as_str(),
        Signing::None | Signing::EksToken(_) => "",
    };
    let body = response.body_text();
    let bucket_region = response
        .header("x-amz-bucket-region")
        .map(str::trim)
        .map(String::from)
        .or_else(|| xml::element_text(&body, &["Error", "Region"]))
        .or_else(|| expected_region(message))
        .filter(|r| !r.is_empty());
    let endpoint = xml::element_text(&body, &["Error", "Endpoint"])
        .or_else(|| response.header("location").map(String::from));
    let mut text = match &bucket_region {
        Some(region) => format!("the bucket is in {region}, not {signed_for} ({answer})"),
        None => format!("the bucket is in another region than {signed_for} ({answer})"),
    };
    if let Some(endpoint) = &endpoint {
        text.push_str(&format!("; S3 points to {endpoint}"));
    }
    let hint = match &bucket_region {
        Some(region) => format!(
            "use the bucket's regional endpoint (https://s3.{region}.amazonaws.com/ or \
             https://<bucket>.s3.{region}.amazonaws.com/) and set region = \"{region}\" on the check"
        ),
        None => {
            "use the bucket's regional endpoint and set region on the check to the bucket's region"
                .to_string()
        }
    };
    Verdict::fail("wrong-region", text).with_hint(hint)
}

/// `… the region 'us-east-1' is wrong; expecting 'eu-west-1'` → `eu-west-1`.
fn expected_region(message: &str) -> Option<String> {
    let after = &message[message.find("expecting '")? + "expecting '".len()..];
    Some(after[..after.find('\'')?].to_string())
}

#[cfg(test)]
mod tests;
