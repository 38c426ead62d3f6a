//! Allow-lists of plain names (runners, accounts, regions, VPCs, subnets, plugin names)
//! that a user config may narrow: each list written is a layer, an empty list allows
//! anything, and an item must be in every layer.

use std::collections::BTreeSet;

use super::error::Violation;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AllowSet {
    layers: Vec<Layer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Layer {
    items: BTreeSet<String>,
    rule: String,
    source: String,
}

impl AllowSet {
    /// Adds a layer; an empty list adds nothing (it allows anything).
    pub(crate) fn add(
        &mut self,
        items: impl IntoIterator<Item = String>,
        rule: &str,
        source: &str,
    ) {
        let items: BTreeSet<String> = items.into_iter().collect();
        if !items.is_empty() {
            self.layers.push(Layer {
                items,
                rule: rule.to_string(),
                source: source.to_string(),
            });
        }
    }

    /// Refuses `item` when a layer does not list it.
    pub(crate) fn check(&self, item: &str) -> Result<(), Violation> {
        match self.layers.iter().find(|l| !l.items.contains(item)) {
            None => Ok(()),
            Some(layer) => Err(Violation::new(
                &layer.rule,
                item,
                format!(
                    "`{item}` is not in {} ({}); use one of those or have the list extended",
                    layer.rule,
                    join(&layer.items)
                ),
                &layer.source,
            )),
        }
    }

    /// What is allowed: `None` for anything, else the items every layer lists.
    pub(crate) fn allowed(&self) -> Option<BTreeSet<String>> {
        let mut layers = self.layers.iter();
        let first = layers.next()?.items.clone();
        Some(layers.fold(first, |acc, l| {
            acc.intersection(&l.items).cloned().collect()
        }))
    }
}

pub(crate) fn join(items: &BTreeSet<String>) -> String {
    items
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn empty_lists_allow_anything_and_layers_intersect() {
        let mut set = AllowSet::default();
        set.add(Vec::new(), "runners.regions", "policy");
        assert!(set.check("eu-west-1").is_ok());
        assert_eq!(set.allowed(), None);
        set.add(
            strings(&["eu-west-1", "us-east-1"]),
            "runners.regions",
            "policy",
        );
        set.add(
            strings(&["us-east-1", "ap-south-1"]),
            "restrict.regions",
            "config",
        );
        assert_eq!(set.allowed(), Some(["us-east-1".to_string()].into()));
        assert!(set.check("us-east-1").is_ok());
        assert_eq!(set.check("eu-west-1").unwrap_err().rule, "restrict.regions");
        let v = set.check("ap-south-1").unwrap_err();
        assert_eq!(
            v.rule, "runners.regions",
            "the user's list cannot add a region"
        );
        assert!(v.message.contains("eu-west-1, us-east-1"), "{}", v.message);
    }
}
