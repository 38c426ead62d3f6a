//! `netcheck sign [--explain] URL`: show how netcheck signs a request — the canonical
//! request, string-to-sign and signed headers — and optionally send it.
//!
//! This is the view people otherwise dig out of proxy logs when AWS answers
//! `SignatureDoesNotMatch`. Secrets never appear: the session token is `<redacted>`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;

use super::{CommonArgs, load_config, overrides, session};
use netcheck_engine::endpoint;
use netcheck_engine::plan;
use netcheck_engine::probe::{Connection, Prober};
use netcheck_engine::sign::{Signer, redact_headers};

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
            let session = session(&args.common, &loaded.config)?;
            plan::claimed_by(session.plugins(), &target.host)
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
        None => netcheck_engine::sign::default_region()
            .await
            .ok_or_else(|| {
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
        if let Some(warning) =
            host_port_warning(&signer, &creds, &request, (&service, &region, time))?
        {
            println!("{warning}\n");
        }
    }
    signer.sign_at(
        &creds,
        &mut request,
        &service,
        &region,
        &netcheck_engine::sign::SigningOptions::for_service(&service),
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

/// The request to sign, with curl's header rules: `-H 'Name: value'` adds a header and
/// replaces one netcheck sets itself (`Host`), `-H 'Name:'` removes it, `-H 'Name;'` sends
/// it empty. Repeated custom names are all sent.
fn build_request(
    target: &netcheck_runner_api::Target,
    args: &SignArgs,
) -> anyhow::Result<http::Request<Vec<u8>>> {
    use http::header::{HeaderMap, HeaderName, HeaderValue};
    let host = netcheck_engine::execute::host_header(target);
    let path = if target.path_and_query.is_empty() {
        "/"
    } else {
        target.path_and_query.as_str()
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::HOST,
        HeaderValue::from_str(&host).map_err(|e| anyhow::anyhow!("Host `{host}`: {e}"))?,
    );
    if !args.body.is_empty() {
        headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(args.body.len()),
        );
    }
    // Names netcheck sets itself: a user's header replaces them rather than adding one.
    let owned = [http::header::HOST, http::header::CONTENT_LENGTH];
    let mut replaced: Vec<HeaderName> = Vec::new();
    for h in &args.headers {
        let (name, value, empty) = match (h.split_once(':'), h.strip_suffix(';')) {
            (Some((name, value)), _) => (name, value.trim(), false),
            (None, Some(name)) => (name, "", true),
            (None, None) => anyhow::bail!(
                "--header `{}`: expected `Name: value` (or `Name:` to remove a header, `Name;` to send it empty)",
                h.escape_debug()
            ),
        };
        let name = name.trim();
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            anyhow::anyhow!(
                "--header `{}`: `{}` is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)",
                h.escape_debug(),
                name.escape_debug()
            )
        })?;
        if value.is_empty() && !empty {
            headers.remove(&header);
            continue;
        }
        let value = HeaderValue::from_str(value).map_err(|_| {
            anyhow::anyhow!(
                "--header `{}`: the value of `{name}` has a character a header cannot carry \
                 (CR, LF or another control character, or non-ASCII)",
                h.escape_debug()
            )
        })?;
        if owned.contains(&header) && !replaced.contains(&header) {
            headers.insert(header.clone(), value);
            replaced.push(header);
        } else {
            headers.append(header, value);
        }
    }
    let mut request = http::Request::builder()
        .method(args.method.as_str())
        .uri(path)
        .body(args.body.clone().into_bytes())
        .map_err(|e| anyhow::anyhow!("cannot build the request: {e}"))?;
    *request.headers_mut() = headers;
    Ok(request)
}

/// When the signed Host carries a port, the warning `--explain` prints: a proxy or
/// server that strips it (Envoy's `strip_any_host_port`, or one that normalises default
/// ports) computes the signature over another Host. Shows that signature too.
fn host_port_warning(
    signer: &Signer,
    creds: &netcheck_engine::sign::Credentials,
    request: &http::Request<Vec<u8>>,
    (service, region, time): (&str, &str, SystemTime),
) -> anyhow::Result<Option<String>> {
    let Some(host) = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return Ok(None);
    };
    let Some(bare) = netcheck_engine::judge::strip_port(host) else {
        return Ok(None);
    };
    let mut stripped = request.clone();
    stripped.headers_mut().insert(
        http::header::HOST,
        http::HeaderValue::from_str(bare).map_err(|e| anyhow::anyhow!("Host `{bare}`: {e}"))?,
    );
    let theirs = signer.explain(creds, &stripped, service, region, time)?;
    Ok(Some(format!(
        "warning: the signed Host `{host}` carries a port. A proxy or server that strips it \
         (Envoy's `strip_any_host_port`, a load balancer that normalises default ports) \
         computes the signature over `host:{bare}` instead and answers SignatureDoesNotMatch:\n\
         \x20 it would compute Signature={}\n\
         \x20 fix: sign the Host that reaches the server: send `-H 'Host: {bare}'` here, or make \
         the proxy forward the Host unchanged (or strip the port before the client signs, e.g. \
         Envoy `strip_any_host_port: true` on the listener the client's SDK signs for)",
        theirs.signature
    )))
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

    /// The Host `sign` signs and sends, for `args` (after `netcheck sign`).
    fn signed_host(args: &[&str]) -> String {
        #[derive(clap::Parser)]
        struct Sign {
            #[command(flatten)]
            args: SignArgs,
        }
        use clap::Parser as _;
        let parsed = Sign::try_parse_from(std::iter::once("sign").chain(args.iter().copied()))
            .unwrap()
            .args;
        let target = netcheck_engine::plan::parse_target(&parsed.url).unwrap();
        let request = build_request(&target, &parsed).unwrap();
        request.headers()[http::header::HOST]
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_host_is_the_one_a_check_sends_ipv6_in_brackets() {
        assert_eq!(signed_host(&["https://[::1]:8443/"]), "[::1]:8443");
        assert_eq!(signed_host(&["https://[::1]/"]), "[::1]");
        assert_eq!(
            signed_host(&["https://kms.eu-west-1.amazonaws.com:443/"]),
            "kms.eu-west-1.amazonaws.com"
        );
        assert_eq!(signed_host(&["http://127.0.0.1:4566/"]), "127.0.0.1:4566");
        assert_eq!(
            signed_host(&["-H", "Host: h:1", "http://127.0.0.1:4566/"]),
            "h:1"
        );
    }
}
