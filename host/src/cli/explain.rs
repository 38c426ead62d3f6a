//! `netcheck sign [--explain] URL`: show how netcheck signs a request — the canonical
//! request, string-to-sign and signed headers — and optionally send it.
//!
//! This is the view people otherwise dig out of proxy logs when AWS answers
//! `SignatureDoesNotMatch`. Secrets never appear: the session token is `<redacted>`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;

use super::{CommonArgs, load_config, load_plugins, overrides};
use crate::endpoint;
use crate::plan;
use crate::probe::{Connection, Prober};
use crate::sign::{Signer, redact_headers};

#[derive(Args, Debug, Clone)]
pub struct SignArgs {
    /// The request URL, e.g. https://kms.eu-west-1.amazonaws.com/
    pub url: String,
    /// Print the canonical request, string-to-sign and signature breakdown.
    #[arg(long)]
    pub explain: bool,
    /// SigV4 signing name (default: from the plugin that claims the host).
    #[arg(long)]
    pub service: Option<String>,
    /// HTTP method.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// Extra header `Name: value`; repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// Request body.
    #[arg(long, short = 'd', default_value = "")]
    pub body: String,
    /// Sign as of this time (`20150830T123600Z`), to reproduce a logged signature.
    #[arg(long, value_name = "YYYYMMDDTHHMMSSZ")]
    pub date: Option<String>,
    /// Send the signed request and show the answer.
    #[arg(long)]
    pub send: bool,
    /// Deadline for --send.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    let target =
        plan::parse_target(&args.url).map_err(|e| anyhow::anyhow!("URL `{}`: {e}", args.url))?;
    if !matches!(target.scheme.as_str(), "http" | "https") {
        anyhow::bail!("URL `{}`: only http(s) requests are signed", args.url);
    }
    let aws = endpoint::parse(&target.host);
    let service = match &args.service {
        Some(s) => s.clone(),
        None => {
            let loaded = load_config(&args.common, &overrides(&args.common, None))?;
            let policy = super::policy::load(&args.common.policy, Some(&loaded.config))?;
            let (plugins, _) = load_plugins(&loaded.config, &policy)?;
            plan::claimed_by(&plugins, &target.host)
                .and_then(|(_, s)| s.signing_name.clone())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "cannot tell the signing name for {}: pass --service (e.g. --service kms)",
                        target.host
                    )
                })?
        }
    };
    let region = match args
        .common
        .region
        .clone()
        .or_else(|| aws.as_ref().and_then(|a| a.region.clone()))
    {
        Some(r) => r,
        None => crate::sign::default_region().await.ok_or_else(|| {
            anyhow::anyhow!("no region: pass --region (the host name does not say)")
        })?,
    };
    let time = match &args.date {
        Some(d) => parse_amz_date(d)?,
        None => SystemTime::now(),
    };
    let mut request = build_request(&target, &args)?;
    let signer = Signer::from_default_chain().await;
    let creds = signer
        .credentials()
        .await
        .map_err(|e| anyhow::anyhow!("AWS credentials could not be loaded: {e}"))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                 or run where a role is attached"
            )
        })?;
    if args.explain {
        let explanation = signer.explain(&creds, &request, &service, &region, time)?;
        println!("{explanation}\n");
    }
    signer.sign_at(
        &creds,
        &mut request,
        &service,
        &region,
        &crate::sign::SigningOptions::for_service(&service),
        time,
    )?;
    println!("{} {}", request.method(), request.uri());
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    for (k, v) in redact_headers(&headers) {
        println!("{k}: {v}");
    }
    if !args.send {
        return Ok(ExitCode::SUCCESS);
    }
    send(&target, request, &args).await
}

fn build_request(
    target: &netcheck_runner_api::Target,
    args: &SignArgs,
) -> anyhow::Result<http::Request<Vec<u8>>> {
    let default_port = matches!(
        (target.scheme.as_str(), target.port),
        ("https", 443) | ("http", 80)
    );
    let host = if default_port {
        target.host.clone()
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let path = if target.path_and_query.is_empty() {
        "/"
    } else {
        target.path_and_query.as_str()
    };
    let mut builder = http::Request::builder()
        .method(args.method.as_str())
        .uri(path)
        .header("host", host);
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--header `{h}`: expected `Name: value`"))?;
        builder = builder.header(name.trim(), value.trim());
    }
    if !args.body.is_empty() {
        builder = builder.header("content-length", args.body.len());
    }
    builder
        .body(args.body.clone().into_bytes())
        .map_err(|e| anyhow::anyhow!("cannot build the request: {e}"))
}

async fn send(
    target: &netcheck_runner_api::Target,
    request: http::Request<Vec<u8>>,
    args: &SignArgs,
) -> anyhow::Result<ExitCode> {
    let prober = Arc::new(Prober::new(&[])?);
    let (dns, addrs) = prober.resolve(&target.host).await;
    if let Some(failure) = Prober::dns_failure(&dns, &addrs) {
        anyhow::bail!("{failure}");
    }
    let tls = (target.scheme == "https").then(|| (target.host.clone(), Default::default()));
    let mut conn = Connection::new(prober, addrs, target.port, tls);
    conn.open(args.timeout)
        .await
        .map_err(|(_, f)| anyhow::anyhow!("{f}"))?;
    let (_, answer) = conn.http(request, 64 * 1024, args.timeout).await;
    let answer = answer.map_err(|f| anyhow::anyhow!("{f}"))?;
    println!("\n=> HTTP {}", answer.status);
    for (k, v) in &answer.headers {
        println!("{k}: {v}");
    }
    println!("\n{}", String::from_utf8_lossy(&answer.body));
    Ok(if answer.status < 400 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `20150830T123600Z` → time.
pub fn parse_amz_date(s: &str) -> anyhow::Result<SystemTime> {
    let bad = || anyhow::anyhow!("--date `{s}`: expected YYYYMMDDTHHMMSSZ, e.g. 20150830T123600Z");
    if s.len() != 16 || &s[8..9] != "T" || !s.ends_with('Z') {
        return Err(bad());
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            1_440_938_160
        );
        assert!(parse_amz_date("2015-08-30").is_err());
        assert!(parse_amz_date("20151330T123600Z").is_err());
    }
}
