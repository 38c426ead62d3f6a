//! AWS SDK errors turned into errors for people: what was being done, what AWS said,
//! and what to do about it (for `AccessDenied`, the IAM action the caller needs).
//!
//! The error code comes from the SDK's parsed metadata, else from the raw XML body's
//! `<Code>`: some answers (e.g. emulators' `<ErrorResponse><Errors><Error>` wrapping,
//! as moto sends for authentication failures) are not in the shape the SDK parses.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

/// What AWS answered to a failed call, when it answered at all.
struct Answer {
    status: u16,
    code: Option<String>,
    message: String,
}

fn answer<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<Answer> {
    let raw = err.raw_response()?;
    let body = raw
        .body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let code = err
        .code()
        .map(str::to_string)
        .or_else(|| between(&body, "<Code>", "</Code>"));
    let message = err
        .message()
        .map(str::to_string)
        .or_else(|| between(&body, "<Message>", "</Message>"))
        .unwrap_or_else(|| body.chars().take(300).collect());
    Some(Answer {
        status: raw.status().as_u16(),
        code,
        message,
    })
}

pub use netcheck_runner_api::error_chain;

/// The text between the first `open` and the following `close`.
fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(text[start..start + len].trim().to_string())
}

/// The error codes with which AWS services say "that does not exist (any more)".
const GONE_CODES: &[&str] = &[
    "NoSuchEntity",                       // IAM
    "ResourceNotFoundException",          // Lambda, CloudWatch Logs
    "InvalidGroup.NotFound",              // EC2 security groups
    "InvalidGroupId.NotFound",            // EC2 (older answer)
    "InvalidNetworkInterfaceID.NotFound", // EC2 network interfaces
];

/// The error code AWS answered with, if it answered.
pub fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<String> {
    match err {
        SdkError::ServiceError(_) => answer(err).and_then(|a| a.code),
        _ => None,
    }
}

/// The error code and message AWS answered with, if it answered.
pub fn code_and_message<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> Option<(String, String)> {
    match err {
        SdkError::ServiceError(_) => answer(err).and_then(|a| Some((a.code?, a.message))),
        _ => None,
    }
}

/// Whether AWS answered that the thing (role, policy, function, group, …) does not exist.
pub fn is_no_such_entity<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    code(err).is_some_and(|c| GONE_CODES.contains(&c.as_str()))
}

/// `Ok(Some(value))` on success, `Ok(None)` when AWS answers that the entity is already
/// gone (so deletes are idempotent), otherwise the failure [`describe`]d for people.
pub fn unless_gone<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    action: &str,
    doing: impl FnOnce() -> String,
) -> anyhow::Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_no_such_entity(&e) => Ok(None),
        Err(e) => Err(describe(e, action, &doing())),
    }
}

/// Which resources an action is granted on, for AccessDenied messages.
fn resource_hint(action: &str) -> &'static str {
    match action.split(':').next().unwrap_or_default() {
        "iam" => "on roles under path /netcheck/: arn:aws:iam::ACCOUNT:role/netcheck/*",
        "lambda" => {
            "on functions named netcheck-*: arn:aws:lambda:REGION:ACCOUNT:function:netcheck-*"
        }
        "logs" => "on log groups /aws/lambda/netcheck-*",
        "ec2" => "EC2 actions are granted on * in the run's region",
        _ => "see the IAM documentation for the action",
    }
}

/// `doing` (e.g. "creating IAM role `netcheck-x-exec`") failed calling `action`
/// (e.g. `iam:CreateRole`): the message names both, AWS's answer and a fix.
pub fn describe<E>(err: SdkError<E, HttpResponse>, action: &str, doing: &str) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let Some(Answer {
        status,
        code,
        message,
    }) = answer(&err)
    else {
        return without_answer(&err, action, doing);
    };
    let Some(code) = code else {
        return anyhow::anyhow!(
            "{doing}: {action} got HTTP {status} with an answer netcheck cannot read: {message}"
        );
    };
    let fix = match code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => format!(
            "the caller needs `{action}` ({}); the README's \"The lambda runner\" section \
             lists every action a run needs; ask an administrator to grant it, or check for \
             a permissions boundary, SCP or explicit deny that blocks it",
            resource_hint(action)
        ),
        "EntityAlreadyExists" => "a role with this name is left over from an earlier run with the \
             same run id: `netcheck cleanup --run-id ID` removes it, or use a new run id"
            .to_string(),
        "NoSuchEntity" => "check that the named role or policy ARN exists in this account \
             (AWS-managed policies are `arn:aws:iam::aws:policy/...`)"
            .to_string(),
        "MalformedPolicyDocument" => "the policy document was rejected; compare it with \
             `netcheck iam-policy` output and IAM's policy grammar"
            .to_string(),
        "LimitExceeded" => "an IAM quota was reached (e.g. 10 managed policies per role, \
             10,240 characters of inline policy per role, 50 tags)"
            .to_string(),
        "DeleteConflict" => "something still uses the role; remove that first".to_string(),
        "DependencyViolation" => "something still uses it (for a security group: network \
             interfaces Lambda has not released yet, up to 20 minutes after the function is \
             deleted); `netcheck cleanup` retries later"
            .to_string(),
        "ResourceConflictException" | "ResourceInUseException" => {
            "a resource with this name exists already (a run with the same id?); \
             `netcheck cleanup --run-id ID` removes leftovers"
                .to_string()
        }
        "TooManyRequestsException"
        | "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded" => {
            "AWS throttled the call; lower --max-parallel and retry".to_string()
        }
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "AuthFailure"
        | "UnrecognizedClientException"
        | "InvalidSignatureException" => "check the AWS credentials netcheck runs with".to_string(),
        "InvalidInput" | "ValidationError" => {
            "check the role name, path, tags and ARNs named above".to_string()
        }
        _ => "see AWS's message".to_string(),
    };
    anyhow::anyhow!("{doing}: AWS refused {action} ({code}: {message}); {fix}")
}

/// A failed call with no HTTP answer to read, worded by what really happened: the request
/// could not be built (a region that is no region), credentials could not be had (an
/// `AssumeRole` that STS refused answers inside the credentials provider), the name did
/// not resolve, or the network never answered.
fn without_answer<E>(err: &SdkError<E, HttpResponse>, action: &str, doing: &str) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let chain = error_chain(err);
    let lower = chain.to_ascii_lowercase();
    let endpoint_override = "any endpoint override (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL)";
    if lower.contains("assumerole") || lower.contains("sts:assumerole") {
        return anyhow::anyhow!(
            "{doing}: STS refused to let these credentials assume the role, so {action} was never \
             sent: {chain}; the role's trust policy must allow the caller (and the caller needs \
             sts:AssumeRole on it)"
        );
    }
    if lower.contains("credential") {
        return anyhow::anyhow!(
            "{doing}: the AWS credentials for {action} could not be loaded, so it was never sent: \
             {chain}; check AWS_PROFILE and the profile (`aws sts get-caller-identity` uses the \
             same chain)"
        );
    }
    match err {
        SdkError::ConstructionFailure(_) => anyhow::anyhow!(
            "{doing}: the {action} request could not be built, so nothing was sent: {chain}; \
             check the region name (e.g. eu-west-1) and {endpoint_override}"
        ),
        SdkError::TimeoutError(_) => anyhow::anyhow!(
            "{doing}: {action} timed out before AWS answered: {chain}; check the network path \
             (security groups, NAT or a VPC endpoint) and {endpoint_override}, then retry"
        ),
        SdkError::ResponseError(_) => anyhow::anyhow!(
            "{doing}: AWS answered {action} with something netcheck cannot read: {chain}"
        ),
        _ if lower.contains("dns error") || lower.contains("failed to lookup address") => {
            anyhow::anyhow!(
                "{doing}: the endpoint for {action} does not resolve, so nothing was sent: \
                 {chain}; check the region name (a region that does not exist has no endpoint) \
                 and {endpoint_override}"
            )
        }
        _ => anyhow::anyhow!(
            "{doing}: calling {action} failed before AWS answered: {chain}; check the network \
             path and {endpoint_override}, then retry"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::between;
    use super::*;
    use aws_sdk_iam::operation::get_role::GetRoleError;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    fn text(err: SdkError<GetRoleError, HttpResponse>) -> String {
        describe(err, "iam:GetRole", "reading role `x`").to_string()
    }

    #[test]
    fn failures_without_an_answer_say_what_happened() {
        let built = text(SdkError::construction_failure("invalid region `eu west 1`"));
        assert!(
            built.contains("could not be built") && built.contains("region name"),
            "{built}"
        );
        assert!(!built.contains("before AWS answered"), "{built}");

        let refused = text(SdkError::dispatch_failure(ConnectorError::other(
            "failed to load credentials: AccessDenied: User x is not authorized to perform: sts:AssumeRole on resource y".into(),
            None,
        )));
        assert!(refused.contains("STS refused"), "{refused}");
        assert!(!refused.contains("before AWS answered"), "{refused}");

        let unresolved = text(SdkError::dispatch_failure(ConnectorError::io(
            "dns error: failed to lookup address information: Name or service not known".into(),
        )));
        assert!(unresolved.contains("does not resolve"), "{unresolved}");

        let network = text(SdkError::dispatch_failure(ConnectorError::io(
            "connection refused".into(),
        )));
        assert!(
            network.contains("failed before AWS answered") && network.contains("network"),
            "{network}"
        );
    }

    #[test]
    fn codes_are_read_from_wrapped_xml_errors() {
        let body = "<?xml version=\"1.0\"?>\n<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch\
                    </Code><Message>bad sig</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            between(body, "<Code>", "</Code>").as_deref(),
            Some("SignatureDoesNotMatch")
        );
        assert_eq!(
            between(body, "<Message>", "</Message>").as_deref(),
            Some("bad sig")
        );
        assert_eq!(between("<Code>open", "<Code>", "</Code>"), None);
    }
}
