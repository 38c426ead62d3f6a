//! What a run has created, recorded the moment AWS confirms each resource, so that
//! cleanup — after success, failure, Ctrl-C or a deadline — removes exactly that, and
//! the audit log can name it.

use std::sync::Mutex;

use aws_config::SdkConfig;

/// A resource a run created, with the configuration (account, region) to remove it.
#[derive(Debug, Clone)]
pub enum Resource {
    Role {
        sdk: SdkConfig,
        name: String,
        arn: String,
    },
    SecurityGroup {
        sdk: SdkConfig,
        id: String,
    },
    LogGroup {
        sdk: SdkConfig,
        name: String,
    },
    Function {
        sdk: SdkConfig,
        name: String,
        arn: String,
    },
}

impl Resource {
    /// How the audit log and messages name it: an ARN or an id with its kind.
    pub fn label(&self) -> String {
        match self {
            Resource::Role { arn, .. } => arn.clone(),
            Resource::Function { arn, .. } => arn.clone(),
            Resource::SecurityGroup { sdk, id } => {
                format!("security-group {id} ({})", region(sdk))
            }
            Resource::LogGroup { sdk, name } => format!("log-group {name} ({})", region(sdk)),
        }
    }

    /// Removal order: functions first (they hold the role and the network interfaces),
    /// then their log groups, security groups, and the role last.
    fn order(&self) -> u8 {
        match self {
            Resource::Function { .. } => 0,
            Resource::LogGroup { .. } => 1,
            Resource::SecurityGroup { .. } => 2,
            Resource::Role { .. } => 3,
        }
    }
}

fn region(sdk: &SdkConfig) -> String {
    sdk.region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "no region".to_string())
}

/// The record of one run.
#[derive(Debug, Default)]
pub struct Ledger {
    created: Mutex<Vec<Resource>>,
    removed: Mutex<Vec<String>>,
    left: Mutex<Vec<String>>,
    /// Functions whose invocation was given up while it ran: the function may still write
    /// to (and so recreate) its log group after cleanup deleted it.
    abandoned: Mutex<Vec<String>>,
}

/// Marks a function's invocation in flight; dropped before [`Invoking::finished`] (the run
/// stopped waiting), the function is recorded as [`Ledger::abandoned`].
pub struct Invoking<'a> {
    ledger: &'a Ledger,
    function: String,
    done: bool,
}

impl Invoking<'_> {
    /// The invocation answered: the function is no longer running it.
    pub fn finished(mut self) {
        self.done = true;
    }
}

impl Drop for Invoking<'_> {
    fn drop(&mut self) {
        if !self.done {
            tracing::warn!(function = %self.function, "invocation abandoned while running");
            lock(&self.ledger.abandoned).push(self.function.clone());
        }
    }
}

impl Ledger {
    pub fn new() -> Self {
        Ledger::default()
    }

    pub fn record(&self, resource: Resource) {
        tracing::info!(resource = %resource.label(), "created");
        lock(&self.created).push(resource);
    }

    /// Everything created, in creation order.
    pub fn created(&self) -> Vec<Resource> {
        lock(&self.created).clone()
    }

    /// Labels of everything created.
    pub fn created_labels(&self) -> Vec<String> {
        self.created().iter().map(Resource::label).collect()
    }

    /// Everything created, in the order to remove it.
    pub fn removal_order(&self) -> Vec<Resource> {
        let mut all = self.created();
        all.sort_by_key(Resource::order);
        all
    }

    pub fn removed(&self, label: String) {
        lock(&self.removed).push(label);
    }

    /// What cleanup removed.
    pub fn removed_labels(&self) -> Vec<String> {
        lock(&self.removed).clone()
    }

    /// Something cleanup could not remove, and why.
    pub fn left_behind(&self, why: String) {
        lock(&self.left).push(why);
    }

    pub fn left_labels(&self) -> Vec<String> {
        lock(&self.left).clone()
    }

    /// Call before invoking `function`; call [`Invoking::finished`] when it answers.
    pub fn invoking(&self, function: &str) -> Invoking<'_> {
        Invoking {
            ledger: self,
            function: function.to_string(),
            done: false,
        }
    }

    /// Whether an invocation of `function` was abandoned while it ran.
    pub fn abandoned(&self, function: &str) -> bool {
        lock(&self.abandoned).iter().any(|f| f == function)
    }

    /// Everything created and neither removed nor already reported as left behind, each
    /// as "LABEL: not removed (WHY)" (for an interrupted cleanup).
    pub fn not_removed(&self, why: &str) {
        let removed = self.removed_labels();
        let left = self.left_labels();
        for resource in self.removal_order() {
            let label = resource.label();
            if !removed.contains(&label) && !left.iter().any(|l| l.starts_with(&label)) {
                self.left_behind(format!("{label}: not removed ({why})"));
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
