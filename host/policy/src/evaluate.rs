//! Checking a whole plan at once, before any probe or AWS call, so the user sees every
//! violation in one go rather than one per attempt.

use super::Policy;
use super::error::Violation;

/// What a run would do, as far as the policy is concerned. Build it from the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanView {
    pub checks: Vec<CheckView>,
    pub plugins: Vec<PluginView>,
    /// The runner (`local`, `lambda`, `ec2`).
    pub runner: String,
    /// Regions the run would touch (runner placement, AWS calls).
    pub regions: Vec<String>,
    /// Accounts the run would touch.
    pub accounts: Vec<String>,
    pub vpcs: Vec<String>,
    pub subnets: Vec<String>,
}

/// One check's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckView {
    /// The check's display name.
    pub name: String,
    /// `https`, `http`, `tcp` or `tls`.
    pub scheme: String,
    /// As configured: a name or an address literal in any spelling.
    pub host: String,
    pub port: u16,
    /// Whether requests to it are SigV4-signed.
    pub signed: bool,
    /// Whether the host is an AWS endpoint (`endpoint::parse(host).is_some()`).
    pub is_aws: bool,
}

/// One plugin to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginView {
    pub name: String,
    /// Hex sha256 of the component's bytes.
    pub sha256: String,
    /// Whether it is built into netcheck.
    pub bundled: bool,
}

/// Every violation of the plan, in plan order (runner and placement, plugins, checks),
/// without duplicates. Empty when the plan may run. Addresses the targets resolve to
/// are checked later, at probe time (`Policy::check_resolved_ip`).
pub fn evaluate(policy: &Policy, plan: &PlanView) -> Vec<Violation> {
    let mut out: Vec<Violation> = Vec::new();
    let mut push = |result: Result<(), Violation>| {
        if let Err(v) = result
            && !out.contains(&v)
        {
            out.push(v);
        }
    };
    if !plan.runner.is_empty() {
        push(policy.check_runner(&plan.runner));
    }
    for a in &plan.accounts {
        push(policy.check_account(a));
    }
    for r in &plan.regions {
        push(policy.check_region(r));
    }
    for v in &plan.vpcs {
        push(policy.check_vpc(v));
    }
    for s in &plan.subnets {
        push(policy.check_subnet(s));
    }
    for p in &plan.plugins {
        push(policy.check_plugin(&p.name, &p.sha256, p.bundled));
    }
    for c in &plan.checks {
        let named = |v: Violation| Violation {
            message: format!("check `{}`: {}", c.name, v.message),
            ..v
        };
        push(
            policy
                .check_target_name(&c.scheme, &c.host, c.port)
                .map_err(named),
        );
        if c.signed {
            push(policy.check_signing(&c.host, c.is_aws).map_err(named));
        }
    }
    out
}
