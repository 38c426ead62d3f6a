//! The check's options, parsed and validated; every error names the option and the fix.

use std::fmt;

use netcheck_guest::Target;

/// What the check asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// Upper-case HTTP method.
    pub method: String,
    pub expect: StatusSet,
    pub headers: Vec<(String, String)>,
    pub body_contains: Option<String>,
    /// Option keys this plugin does not know (ignored; `plan` logs them).
    pub unknown: Vec<String>,
}

/// Headers the host writes itself; a second copy would confuse servers.
const HOST_OWNED_HEADERS: &[&str] = &["host", "content-length", "transfer-encoding", "connection"];

impl Options {
    pub(crate) fn parse(target: &Target) -> Result<Options, String> {
        let mut options = Options {
            method: "GET".into(),
            expect: StatusSet::default(),
            headers: Vec::new(),
            body_contains: None,
            unknown: Vec::new(),
        };
        for (key, value) in &target.options {
            let lower = key.to_ascii_lowercase();
            match lower.as_str() {
                "method" => options.method = parse_method(value)?,
                "expect-status" => options.expect = StatusSet::parse(value)?,
                "body-contains" if value.is_empty() => {
                    return Err(
                        "option body-contains is empty: give the text the body must contain".into(),
                    );
                }
                "body-contains" => options.body_contains = Some(value.clone()),
                "header" => {
                    for line in value.lines().filter(|l| !l.trim().is_empty()) {
                        let (name, val) = line.split_once(':').ok_or_else(|| {
                            format!("option header = \"{line}\" is not a header line: write it as \"Name: value\"")
                        })?;
                        options.headers.push(parse_header(name.trim(), val.trim())?);
                    }
                }
                // Read by the host (it follows redirects and checks each hop against the policy).
                "follow-redirects" | "redirect-keep-headers" => {}
                _ => match key.split_once('.') {
                    Some((prefix, name)) if prefix.eq_ignore_ascii_case("header") => {
                        options.headers.push(parse_header(name, value.trim())?);
                    }
                    _ => options.unknown.push(key.clone()),
                },
            }
        }
        if options.body_contains.is_some() && options.method == "HEAD" {
            return Err(
                "option body-contains needs a method that returns a body: HEAD has none, use method = \"GET\""
                    .into(),
            );
        }
        Ok(options)
    }
}

fn parse_method(value: &str) -> Result<String, String> {
    let method = value.trim().to_ascii_uppercase();
    let token = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase() || b == b'-');
    if token && method != "CONNECT" {
        Ok(method)
    } else {
        Err(format!(
            "option method = \"{value}\" is not a usable HTTP method: use GET, HEAD, POST, OPTIONS…"
        ))
    }
}

fn parse_header(name: &str, value: &str) -> Result<(String, String), String> {
    let is_token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(is_token) {
        return Err(format!(
            "header name \"{name}\" is not valid: use letters, digits and '-' (header.X-Api-Version = \"2\")"
        ));
    }
    if HOST_OWNED_HEADERS
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
    {
        return Err(format!(
            "header {name} is set by netcheck itself: remove it (change the URL to change the Host)"
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "the value of header {name} contains a control character or line break: remove it"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// Accepted HTTP statuses: a union of inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusSet(Vec<(u16, u16)>);

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet(vec![(200, 399)])
    }
}

impl StatusSet {
    /// `200`, `200,204`, `200-299,301`, `2xx`.
    pub(crate) fn parse(text: &str) -> Result<StatusSet, String> {
        let bad = |why: &str| {
            format!(
                "option expect-status = \"{text}\" is not valid ({why}): use a status, a range or a list, \
                 e.g. \"200\", \"200-299,301\" or \"2xx\""
            )
        };
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(bad("empty entry"));
            }
            let range =
                if let Some(class) = part.strip_suffix("xx").or_else(|| part.strip_suffix("XX")) {
                    let digit: u16 = class.parse().map_err(|_| bad(&format!("\"{part}\"")))?;
                    (digit * 100, digit * 100 + 99)
                } else if let Some((lo, hi)) = part.split_once('-') {
                    (status(lo.trim(), &bad)?, status(hi.trim(), &bad)?)
                } else {
                    let code = status(part, &bad)?;
                    (code, code)
                };
            if range.0 > range.1 {
                return Err(bad(&format!("range {part} is backwards")));
            }
            if !(100..=599).contains(&range.0) || !(100..=599).contains(&range.1) {
                return Err(bad(&format!("{part} is outside 100-599")));
            }
            ranges.push(range);
        }
        Ok(StatusSet(ranges))
    }

    pub(crate) fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }
}

fn status(text: &str, bad: &impl Fn(&str) -> String) -> Result<u16, String> {
    text.parse()
        .map_err(|_| bad(&format!("\"{text}\" is not a status code")))
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}
