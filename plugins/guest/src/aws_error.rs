//! Reading the error code and message out of any AWS error answer.
//!
//! AWS protocols report errors in different shapes; [`aws_error`] reads all of them:
//!
//! | protocol | where the code is |
//! | --- | --- |
//! | JSON 1.0/1.1, REST-JSON | `x-amzn-errortype` header (`Code:http://…`), or body `__type` (`com.amazon.coral.service#Code`) / `code` |
//! | query (STS, IAM, SNS…) | `<ErrorResponse><Error><Code>` |
//! | REST-XML (S3, CloudFront…) | `<Error><Code>` |
//! | EC2 | `<Response><Errors><Error><Code>` |
//!
//! and the message from `message`/`Message` (JSON) or `<Error><Message>` (XML).

use serde::Deserialize;

use crate::HttpResponse;
use crate::xml::element_text;

/// The code and message of an AWS error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The bare error code, e.g. `UnrecognizedClientException` (namespace and URL stripped).
    pub code: String,
    /// The human-readable message, as AWS sent it; `None` when there was none.
    pub message: Option<String>,
}

/// The AWS error in `response`, or `None` when it carries none (a success, an empty
/// body without an error header, or a page from something that is not AWS).
///
/// ```
/// use netcheck_guest::{aws_error, HttpResponse};
/// let response = HttpResponse {
///     status: 400,
///     headers: vec![],
///     body: br#"{"__type":"com.amazon.coral.service#UnrecognizedClientException",
///                "message":"The security token included in the request is invalid."}"#.to_vec(),
/// };
/// let err = aws_error(&response).unwrap();
/// assert_eq!(err.code, "UnrecognizedClientException");
/// ```
pub fn aws_error(response: &HttpResponse) -> Option<AwsError> {
    let header_code = response
        .header("x-amzn-errortype")
        .map(bare_code)
        .filter(|code| !code.is_empty());

    let body = String::from_utf8_lossy(&response.body);
    let body = body.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let (body_code, message) = if body.starts_with('{') {
        json_fields(body)
    } else if body.starts_with('<') {
        (
            element_text(body, &["Error", "Code"]).map(|code| bare_code(&code)),
            element_text(body, &["Error", "Message"]),
        )
    } else {
        (None, None)
    };

    let code = header_code.or(body_code).filter(|code| !code.is_empty())?;
    let message = message
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    Some(AwsError { code, message })
}

/// `com.amazon.coral.service#ExpiredTokenException` and
/// `ExpiredTokenException:http://internal.amazon.com/coral/…` → `ExpiredTokenException`.
fn bare_code(raw: &str) -> String {
    let before_colon = raw.split(':').next().unwrap_or(raw);
    let after_hash = before_colon.rsplit('#').next().unwrap_or(before_colon);
    after_hash.trim().to_string()
}

/// The error fields of a JSON error body; every one optional, unknown ones ignored.
#[derive(Deserialize, Default)]
struct JsonError {
    #[serde(rename = "__type")]
    type_: Option<String>,
    code: Option<String>,
    #[serde(rename = "Code")]
    code_upper: Option<String>,
    message: Option<String>,
    #[serde(rename = "Message")]
    message_upper: Option<String>,
    #[serde(rename = "errorMessage")]
    error_message: Option<String>,
}

/// (code, message) from a JSON body; nothing when it is not a JSON object we can read.
fn json_fields(body: &str) -> (Option<String>, Option<String>) {
    // A body cut short by the host's cap, or with odd field types, yields nothing.
    let Ok(fields) = serde_json::from_str::<JsonError>(body) else {
        return (None, None);
    };
    let code = fields
        .type_
        .or(fields.code)
        .or(fields.code_upper)
        .map(|c| bare_code(&c));
    let message = fields
        .message
        .or(fields.message_upper)
        .or(fields.error_message);
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn strips_namespace_and_url_from_codes() {
        assert_eq!(bare_code("com.amazon.coral.service#Foo"), "Foo");
        assert_eq!(
            bare_code("Foo:http://internal.amazon.com/coral/com.amazon.coral.service/"),
            "Foo"
        );
        assert_eq!(bare_code("aws.protocoltests#Foo:http://x/y#z"), "Foo");
        assert_eq!(bare_code(" Foo "), "Foo");
    }

    #[test]
    fn header_code_wins_and_json_message_is_kept() {
        let r = response(
            403,
            &[(
                "x-amzn-errortype",
                "AccessDeniedException:http://internal.amazon.com/coral/",
            )],
            r#"{"Message":"User is not authorized","__type":"Other"}"#,
        );
        let e = aws_error(&r).unwrap();
        assert_eq!(e.code, "AccessDeniedException");
        assert_eq!(e.message.as_deref(), Some("User is not authorized"));
    }

    #[test]
    fn json_code_field_and_nested_values_are_read() {
        let r = response(
            400,
            &[],
            r#"{"details":{"a":[1,2.5e3,{"b":null}]},"code":"ValidationException","message":"bad"}"#,
        );
        let e = aws_error(&r).unwrap();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(e.message.as_deref(), Some("bad"));
    }

    #[test]
    fn truncated_json_without_header_is_none() {
        assert_eq!(aws_error(&response(400, &[], r#"{"__type":"Thrott"#)), None);
    }

    #[test]
    fn empty_message_is_none_and_bom_is_skipped() {
        let e = aws_error(&response(
            400,
            &[],
            "\u{feff}\n<Error><Code>X</Code><Message> </Message></Error>",
        ))
        .unwrap();
        assert_eq!(
            e,
            AwsError {
                code: "X".into(),
                message: None
            }
        );
    }

    #[test]
    fn plain_text_and_success_bodies_have_no_error() {
        assert_eq!(aws_error(&response(403, &[], "Forbidden")), None);
        assert_eq!(aws_error(&response(200, &[], r#"{"Keys":[]}"#)), None);
        assert_eq!(aws_error(&response(403, &[], "")), None);
    }
}
