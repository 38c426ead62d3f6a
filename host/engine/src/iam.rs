//! The least-privilege IAM policy a plan needs, derived from what the plugins will
//! actually send: every probe's declared `action`, for the configured checks only.
//!
//! `netcheck iam-policy` prints it; remote runners attach exactly this document to
//! the roles they create.

use std::collections::BTreeSet;

use netcheck_runner_api::Plan;
use serde_json::json;

use netcheck_plugin_host::PluginHost;

/// The actions the plan's probes exercise, sorted and unique. A check whose plugin
/// cannot plan is reported as an error naming the check: a policy with a silent gap
/// would produce a false `access-denied` later.
pub fn actions(plan: &Plan, plugins: &PluginHost) -> Result<BTreeSet<String>, String> {
    let mut actions = BTreeSet::new();
    let mut problems = Vec::new();
    for check in &plan.checks {
        match plugins.plan(&check.plugin, &check.target) {
            Ok(probes) => actions.extend(probes.into_iter().filter_map(|p| p.action)),
            Err(e) => problems.push(format!(
                "check `{}` ({}): {e}",
                check.name, check.target.url
            )),
        }
    }
    if problems.is_empty() {
        Ok(actions)
    } else {
        Err(problems.join("\n"))
    }
}

/// An IAM policy document allowing exactly `actions` (on `*`: the probes are
/// list/describe calls that take no resource ARN).
pub fn policy_document(actions: &BTreeSet<String>) -> serde_json::Value {
    let statements = if actions.is_empty() {
        vec![]
    } else {
        vec![json!({
            "Sid": "NetcheckProbes",
            "Effect": "Allow",
            "Action": actions.iter().collect::<Vec<_>>(),
            "Resource": "*",
        })]
    };
    json!({ "Version": "2012-10-17", "Statement": statements })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_each_action_once_sorted() {
        let actions: BTreeSet<String> = ["kms:ListKeys", "sts:GetCallerIdentity", "kms:ListKeys"]
            .into_iter()
            .map(String::from)
            .collect();
        let doc = policy_document(&actions);
        assert_eq!(doc["Version"], "2012-10-17");
        assert_eq!(
            doc["Statement"][0]["Action"],
            json!(["kms:ListKeys", "sts:GetCallerIdentity"])
        );
        assert_eq!(doc["Statement"][0]["Effect"], "Allow");
    }

    #[test]
    fn no_actions_means_no_statement() {
        let doc = policy_document(&BTreeSet::new());
        assert_eq!(doc["Statement"], json!([]));
    }
}
