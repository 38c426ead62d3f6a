//! `netcheck policy check`: a readable summary of what a policy allows.

use std::fmt::Write;

use super::Policy;
use super::lists::{AllowSet, join};
use super::targets::BUILTINS;
use super::values::format_duration;

/// What `policy` allows, section by section, in plain words.
pub fn describe(policy: &Policy) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Policy: {}", policy.source_label());
    for by in &policy.narrowed_by {
        let _ = writeln!(out, "  narrowed by {by}");
    }
    plugins(policy, &mut out);
    targets(policy, &mut out);
    signing(policy, &mut out);
    runners(policy, &mut out);
    iam(policy, &mut out);
    let _ = writeln!(out, "\nAudit");
    match policy.audit_file() {
        Some(f) => {
            let _ = writeln!(out, "  one JSON line per run appended to {}", f.display());
        }
        None => {
            let _ = writeln!(out, "  no audit file");
        }
    }
    out
}

fn plugins(policy: &Policy, out: &mut String) {
    let p = &policy.plugins;
    let _ = writeln!(out, "\nPlugins");
    let bundled = if p.allow_bundled {
        "allowed (a pinned one must match its digest)"
    } else {
        "refused unless pinned below"
    };
    let _ = writeln!(out, "  bundled plugins: {bundled}");
    let others = if p.allow_any {
        "any (a pinned one must match its digest)"
    } else {
        "only those pinned below"
    };
    let _ = writeln!(out, "  other plugins: {others}");
    for pin in &p.pins {
        let _ = writeln!(out, "  pinned: {} sha256 {}", pin.name, pin.sha256);
    }
    if let Some(names) = p.names.allowed() {
        let _ = writeln!(out, "  only these names: {}", join(&names));
    }
    let ceilings = p.ceilings.describe();
    let _ = writeln!(
        out,
        "  ceilings: {}",
        if ceilings.is_empty() {
            "none (netcheck's defaults apply)"
        } else {
            &ceilings
        }
    );
    for (name, limits) in &p.overrides {
        let _ = writeln!(out, "  {name}: {}", limits.describe());
    }
}

fn targets(policy: &Policy, out: &mut String) {
    let t = &policy.targets;
    let _ = writeln!(out, "\nTargets");
    let lifting: Vec<_> = t
        .allow
        .iter()
        .filter(|l| l.lifts_builtins)
        .flat_map(|l| &l.entries)
        .filter_map(|p| p.net().map(|n| (n, p)))
        .collect();
    for b in &BUILTINS {
        let nets: Vec<String> = b.nets.iter().map(ToString::to_string).collect();
        let lifted: Vec<String> = lifting
            .iter()
            .filter(|(n, _)| {
                super::targets::builtin_label(n.network()) == Some(b.label)
                    && b.nets.iter().any(|bn| bn.contains(n))
            })
            .map(|(_, p)| format!("`{p}`"))
            .collect();
        let status = if lifted.is_empty() {
            "refused".to_string()
        } else {
            format!("refused except as allowed by {}", lifted.join(", "))
        };
        let _ = writeln!(
            out,
            "  built-in {} ({}): {status}",
            b.label,
            nets.join(", ")
        );
    }
    for d in &t.deny {
        let _ = writeln!(out, "  denied by {}: `{}`", d.rule, d.pattern);
    }
    if t.allow.is_empty() {
        let _ = writeln!(out, "  everything else: allowed");
    }
    for list in &t.allow {
        let entries: Vec<String> = list.entries.iter().map(|p| format!("`{p}`")).collect();
        let _ = writeln!(
            out,
            "  everything else must match {}: {}",
            list.rule,
            entries.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "  (checked on the configured URL, on every resolved address and on every redirect)"
    );
}

fn signing(policy: &Policy, out: &mut String) {
    let _ = writeln!(out, "\nSigning (SigV4)");
    let _ = writeln!(out, "  AWS endpoints: allowed");
    for layer in &policy.signing.layers {
        let line = if layer.allow_non_aws {
            "any other host: allowed".to_string()
        } else if layer.hosts.is_empty() {
            format!("other hosts: refused ({})", layer.switch_rule)
        } else {
            let hosts: Vec<String> = layer.hosts.iter().map(|h| format!("`{h}`")).collect();
            format!(
                "other hosts: only {} ({})",
                hosts.join(", "),
                layer.hosts_rule
            )
        };
        let _ = writeln!(out, "  {line}");
    }
}

fn runners(policy: &Policy, out: &mut String) {
    let r = &policy.runners;
    let _ = writeln!(out, "\nRunners");
    let list = |set: &AllowSet| match set.allowed() {
        None => "any".to_string(),
        Some(items) if items.is_empty() => "none (the lists do not overlap)".to_string(),
        Some(items) => join(&items),
    };
    let _ = writeln!(out, "  runners: {}", list(&r.runners));
    let _ = writeln!(out, "  accounts: {}", list(&r.accounts));
    let _ = writeln!(out, "  regions: {}", list(&r.regions));
    let _ = writeln!(out, "  VPCs: {}", list(&r.vpcs));
    let _ = writeln!(out, "  subnets: {}", list(&r.subnets));
}

fn iam(policy: &Policy, out: &mut String) {
    let i = &policy.iam;
    let _ = writeln!(out, "\nIAM (resources netcheck creates)");
    let _ = writeln!(
        out,
        "  permissions boundary: {}",
        i.boundary.as_deref().unwrap_or("none required")
    );
    let tags: Vec<String> = i.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(
        out,
        "  required tags: {}",
        if tags.is_empty() {
            "none".to_string()
        } else {
            tags.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "  max run lifetime: {}",
        i.max_lifetime.map_or_else(
            || "not set (cleanup's default)".to_string(),
            format_duration
        )
    );
}
