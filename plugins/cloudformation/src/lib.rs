//! netcheck plugin `cloudformation`: proves AWS CloudFormation is reachable and usable with
//! `DescribeStacks` (query protocol, API version 2010-05-15).
//!
//! Option `stack = "name"` (a stack name or id) narrows the call to one stack, which is both
//! cheaper and what a workload that reads its stack's outputs actually does; a stack that
//! does not exist is then `not-found`. Without it, DescribeStacks returns the first page of
//! all stacks (the host reads only a capped prefix of it).
//!
//! `DescribeAccountLimits` would be cheaper still, but it is a permission workloads rarely
//! hold (a least-privilege role would see a false `access-denied`) and the local emulators
//! do not implement it.

use netcheck_guest::{
    EndpointKind, HttpRequest, HttpResponse, Observation, Probe, ProbeContext, SignedCall, Target,
    Verdict, aws_error, judge_aws, request,
};

const ACTION: &str = "cloudformation:DescribeStacks";

struct CloudFormation;

impl SignedCall for CloudFormation {
    const NAME: &'static str = "cloudformation";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "AWS CloudFormation: signed DescribeStacks (option `stack` narrows it to one stack)";
    const SERVICE: &'static str = "cloudformation";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "DescribeStacks";
    const ACTION: &'static str = ACTION;

    fn request(target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(match stack(target)? {
            Some(stack) => {
                request::aws_query("DescribeStacks", "2010-05-15", &[("StackName", stack)])
            }
            None => request::aws_query("DescribeStacks", "2010-05-15", &[]),
        })
    }

    fn verdict(
        target: &Target,
        probe: &Probe,
        observation: &Observation,
        context: &ProbeContext,
    ) -> Verdict {
        if let Some(response) = observation.http()
            && let Some(verdict) = missing_stack(target, response)
        {
            return verdict;
        }
        judge_aws(target, probe, observation, context)
    }
}

netcheck_guest::export_plugin!(CloudFormation);

/// The `stack` option, trimmed; `None` when unset or blank.
fn stack(target: &Target) -> Result<Option<&str>, String> {
    let Some(stack) = target
        .option("stack")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    if stack.len() > 2048 || stack.chars().any(char::is_control) {
        return Err(format!(
            "option stack = {stack:?} is not a stack name or id: use the stack's name (e.g. \
             stack = \"orders-prod\") or its full stack id ARN"
        ));
    }
    Ok(Some(stack))
}

/// `ValidationError: Stack with id X does not exist` → `not-found`.
fn missing_stack(target: &Target, response: &HttpResponse) -> Option<Verdict> {
    let error = aws_error(response)?;
    let message = error.message.as_deref().unwrap_or("");
    if error.code != "ValidationError" || !message.contains("does not exist") {
        return None;
    }
    let stack = stack(target).ok().flatten().unwrap_or("the stack");
    let region = target.region.as_deref().unwrap_or("this region");
    Some(
        Verdict::fail(
            "not-found",
            format!(
                "CloudFormation is reachable and accepted the credentials, but stack {stack} does not \
                 exist in {region} (HTTP {} ValidationError)",
                response.status
            ),
        )
        .with_hint(
            "check the stack name and the check's region; a deleted stack is found only by its \
             full stack id",
        ),
    )
}

#[cfg(test)]
mod tests {
    //! The DescribeStacks request with and without `stack`, the description, and verdicts on
    //! CloudFormation's answers in the query-protocol XML shapes AWS sends.

    use super::*;
    use netcheck_guest::testing::expect_verdict as expect;
    use netcheck_guest::testing::{aws_target, judge_first, response, signed, with_options};
    use netcheck_guest::{Checker, ProbeKind, Signing, Status};

    const OK: &str = r#"<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks/></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>"#;
    const ACCESS_DENIED: &str = r#"<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: cloudformation:DescribeStacks because no identity-based policy allows the cloudformation:DescribeStacks action</Message></Error><RequestId>2</RequestId></ErrorResponse>"#;
    const BAD_SIGNATURE: &str = r#"<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error><RequestId>3</RequestId></ErrorResponse>"#;
    const UNKNOWN_KEY: &str = r#"<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>4</RequestId></ErrorResponse>"#;
    const NO_STACK: &str = r#"<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id orders-prod does not exist</Message></Error><RequestId>5</RequestId></ErrorResponse>"#;
    const OTHER_VALIDATION: &str = r#"<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>1 validation error detected</Message></Error><RequestId>6</RequestId></ErrorResponse>"#;

    fn target(options: &[(&str, &str)], region: Option<&str>) -> Target {
        with_options(
            aws_target(
                "cloudformation",
                "cloudformation.eu-west-1.amazonaws.com",
                region,
            ),
            options,
        )
    }

    fn body_of(t: Target) -> String {
        let probe = CloudFormation::plan(t).unwrap().remove(0);
        assert_eq!(probe.signing, Signing::sigv4("cloudformation", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = probe.kind else {
            panic!("expected an HTTP probe");
        };
        String::from_utf8(req.body).unwrap()
    }

    fn judge(options: &[(&str, &str)], status: u16, body: &str) -> Verdict {
        judge_first::<CloudFormation>(
            &target(options, Some("eu-west-1")),
            response(status, &[("content-type", "text/xml")], body),
            signed(),
        )
    }

    #[test]
    fn plans_describe_stacks_for_all_or_one_stack() {
        assert_eq!(
            body_of(target(&[], Some("eu-west-1"))),
            "Action=DescribeStacks&Version=2010-05-15"
        );
        assert_eq!(
            body_of(target(&[("stack", " orders-prod ")], Some("eu-west-1"))),
            "Action=DescribeStacks&Version=2010-05-15&StackName=orders-prod"
        );
        let arn = "arn:aws:cloudformation:eu-west-1:123456789012:stack/orders/1a2b";
        assert_eq!(
            body_of(target(&[("stack", arn)], Some("eu-west-1"))),
            "Action=DescribeStacks&Version=2010-05-15&StackName=\
             arn%3Aaws%3Acloudformation%3Aeu-west-1%3A123456789012%3Astack%2Forders%2F1a2b"
        );
    }

    #[test]
    fn bad_options_and_missing_region_are_errors() {
        let err =
            CloudFormation::plan(target(&[("stack", "a\nb")], Some("eu-west-1"))).unwrap_err();
        assert!(err.contains("not a stack name"), "{err}");
        assert!(
            CloudFormation::plan(target(&[], None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &CloudFormation::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.cloudformation")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "cloudformation.*.amazonaws.com",
            "cloudformation-fips.*.amazonaws.com",
            "*.cloudformation.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(&[], 200, OK), Status::Pass, "ok", "DescribeStacks");
        expect(
            &judge(&[], 403, ACCESS_DENIED),
            Status::Fail,
            "access-denied",
            ACTION,
        );
        expect(
            &judge(&[], 403, BAD_SIGNATURE),
            Status::Fail,
            "signature-mismatch",
            "SignatureDoesNotMatch",
        );
        expect(
            &judge(&[], 403, UNKNOWN_KEY),
            Status::Fail,
            "invalid-credentials",
            "InvalidClientTokenId",
        );
    }

    #[test]
    fn a_missing_stack_is_not_found_but_other_validation_errors_are_not() {
        let v = judge(&[("stack", "orders-prod")], 400, NO_STACK);
        expect(
            &v,
            Status::Fail,
            "not-found",
            "stack orders-prod does not exist in eu-west-1",
        );
        assert!(v.hint.is_some());
        let v = judge(&[("stack", "orders-prod")], 400, OTHER_VALIDATION);
        expect(&v, Status::Fail, "http-status", "ValidationError");
    }
}
