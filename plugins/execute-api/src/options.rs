//! The check's options (`sign`, `path`, `api-id`), read and validated once.

use netcheck_guest::Target;

/// Longest path shown in a probe label.
const LABEL_PATH_CHARS: usize = 60;

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Options<'a> {
    /// Sign with SigV4 for IAM-authorised methods.
    pub sign: bool,
    /// The path and query to `GET`, as it goes on the wire.
    pub path: String,
    /// Whether the user chose the path (option or URL), rather than the default `/`.
    pub path_chosen: bool,
    /// Sent as `x-apigw-api-id`.
    pub api_id: Option<&'a str>,
}

impl<'a> Options<'a> {
    /// Reads the options; errors name the option and show a valid value.
    pub(crate) fn read(target: &'a Target) -> Result<Self, String> {
        let sign = match non_blank(target.option("sign")) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(format!(
                    "option sign = {v:?} is not true or false: set sign = \"true\" to sign with SigV4 \
                     (for IAM-authorised methods), or leave it out"
                ));
            }
        };
        let (path, path_chosen) = match non_blank(target.option("path")) {
            Some(path) => (normalise(path), true),
            None => {
                let from_url = target.path_and_query.trim();
                if from_url.is_empty() || from_url == "/" {
                    ("/".to_string(), false)
                } else {
                    (normalise(from_url), true)
                }
            }
        };
        let path_ok = path.bytes().all(|b| b.is_ascii_graphic() && b != b'#');
        if !path_ok {
            return Err(format!(
                "path {path:?} cannot be sent as it is: percent-encode spaces and other special \
                 characters (e.g. path = \"/prod/items%20list\") and leave out any #fragment"
            ));
        }
        let api_id = non_blank(target.option("api-id"));
        if let Some(id) = api_id
            && !(id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(format!(
                "option api-id = {id:?} is not an API Gateway API id: it is the first label of the \
                 API's invoke URL, letters and digits only (e.g. api-id = \"a1b2c3d4e5\")"
            ));
        }
        Ok(Options {
            sign,
            path,
            path_chosen,
            api_id,
        })
    }

    /// `GET /prod/health`, with a long path shortened.
    pub(crate) fn label(&self) -> String {
        match self.path.char_indices().nth(LABEL_PATH_CHARS) {
            Some((cut, _)) => format!("GET {}…", &self.path[..cut]),
            None => format!("GET {}", self.path),
        }
    }
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `prod/health` → `/prod/health`.
fn normalise(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: &str, options: &[(&str, &str)]) -> Target {
        Target {
            url: format!("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com{path}"),
            scheme: "https".into(),
            host: "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: path.into(),
            aws: None,
            service: Some("execute-api".into()),
            region: Some("eu-west-1".into()),
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn defaults_are_unsigned_get_slash() {
        let t = target("/", &[]);
        let o = Options::read(&t).unwrap();
        assert_eq!(
            o,
            Options {
                sign: false,
                path: "/".into(),
                path_chosen: false,
                api_id: None
            }
        );
        assert_eq!(o.label(), "GET /");
        let t = target("", &[]);
        assert_eq!(Options::read(&t).unwrap().path, "/");
    }

    #[test]
    fn path_comes_from_the_option_else_the_url() {
        let t = target("/prod/items?limit=1", &[]);
        let o = Options::read(&t).unwrap();
        assert_eq!(
            (o.path.as_str(), o.path_chosen),
            ("/prod/items?limit=1", true)
        );
        let t = target("/ignored", &[("path", "prod/health"), ("sign", "TRUE")]);
        let o = Options::read(&t).unwrap();
        assert_eq!((o.path.as_str(), o.sign), ("/prod/health", true));
    }

    #[test]
    fn bad_values_are_errors_naming_the_option() {
        let err = Options::read(&target("/", &[("sign", "yes")])).unwrap_err();
        assert!(err.contains("option sign"), "{err}");
        let err = Options::read(&target("/", &[("path", "/a b")])).unwrap_err();
        assert!(err.contains("percent-encode"), "{err}");
        let err = Options::read(&target("/", &[("api-id", "a.b")])).unwrap_err();
        assert!(err.contains("option api-id"), "{err}");
    }

    #[test]
    fn long_paths_are_shortened_in_the_label() {
        let long = format!("/{}", "a".repeat(100));
        let t = target(&long, &[]);
        let label = Options::read(&t).unwrap().label();
        assert_eq!(label.chars().count(), "GET ".len() + LABEL_PATH_CHARS + 1);
        assert!(label.ends_with('…'));
    }
}
