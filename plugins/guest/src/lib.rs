//! Everything a netcheck plugin author needs, in one crate.
//!
//! A netcheck plugin is a WebAssembly component that is a pure function over data: the
//! host parses the endpoint and asks the plugin which requests prove it is reachable
//! ([`Checker::plan`]), sends them itself (DNS, TCP, TLS, HTTP, SigV4 signing), then asks
//! the plugin to judge each answer ([`Checker::judge`]). A plugin never sees credentials,
//! the network, files, the clock or the environment; it can only log.
//!
//! This crate generates the bindings for the contract in `wit/plugin.wit` once
//! ([`bindings`]), re-exports its types at the crate root, and adds the helpers every
//! plugin needs:
//!
//! - [`request`]: builders for AWS query, JSON 1.0/1.1 and REST requests, and probes;
//! - [`aws_error()`]: the error code and message from any AWS error answer;
//! - [`judge_aws()`]: the shared verdict logic for signed AWS calls;
//! - [`signed_call`]: [`SignedCall`], a whole plugin for a service proven by one signed,
//!   read-only call, from its description and request alone;
//! - [`services`]: the usual host patterns of an AWS service;
//! - [`xml`]: a small reader for fields of AWS XML answers;
//! - [`log`]: `info!`-style macros that write through the host;
//! - [`testing`]: builders and checks for plugins' unit tests (targets, answers, "plan,
//!   then judge this answer").
//!
//! A plugin is a `cdylib` crate; `cargo build --release --target wasm32-wasip2` turns it
//! into a component directly (`target/wasm32-wasip2/release/<crate>.wasm`), no adapter
//! needed. Its `Cargo.toml`:
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! netcheck-guest = { path = "…/netcheck/plugins/guest" }
//!
//! [profile.release]   # small components: ~60-140 KB
//! opt-level = "s"
//! lto = true
//! codegen-units = 1
//! panic = "abort"
//! strip = true
//! ```
//!
//! A minimal plugin, checking AWS KMS with one signed `ListKeys` call:
//!
//! ```no_run
//! use netcheck_guest::request::{self, JsonProtocol};
//! use netcheck_guest::{
//!     judge_aws, services, Checker, EndpointKind, Observation, PluginInfo, Probe,
//!     ProbeContext, Target, Verdict,
//! };
//!
//! struct Kms;
//!
//! impl Checker for Kms {
//!     fn describe() -> PluginInfo {
//!         PluginInfo {
//!             name: "kms".into(),
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             description: "AWS KMS: ListKeys".into(),
//!             services: vec![services::aws_service("kms", EndpointKind::Interface, &["kms:ListKeys"])],
//!         }
//!     }
//!
//!     fn plan(target: Target) -> Result<Vec<Probe>, String> {
//!         let region = target.require_region()?;
//!         let req = request::aws_json(JsonProtocol::V1_1, "TrentService.ListKeys", r#"{"Limit":1}"#);
//!         Ok(vec![Probe::aws("ListKeys", req, "kms", region, "kms:ListKeys")])
//!     }
//!
//!     fn judge(target: Target, probe: Probe, seen: Observation, ctx: ProbeContext) -> Verdict {
//!         judge_aws(&target, &probe, &seen, &ctx)
//!     }
//! }
//!
//! netcheck_guest::export_plugin!(Kms);
//! ```
//!
//! A plugin like this one, which sends one signed call and judges it with [`judge_aws()`],
//! need not write `describe`, `plan` and `judge` at all: implement
//! [`SignedCall`] with the service's description and request, and export it the same
//! way (see [`signed_call`] for the same KMS plugin written that way).
//!
//! `plan` returns probes in preference order; a verdict with `try_next` set
//! ([`Verdict::and_try_next`]) makes the host send the next one. An `Err` from `plan` is
//! shown to the user, so say what is wrong and how to fix it. Options from the check's
//! config are in [`Target::option`]; log with [`log::info!`] and friends. The pure parts
//! of a plugin (everything but the export) compile and unit-test natively with
//! `cargo test`.

// Lets the generated code name this crate the same way from inside and outside.
extern crate self as netcheck_guest;

pub mod aws_error;
pub mod judge;
pub mod log;
pub mod request;
pub mod services;
pub mod signed_call;
pub mod testing;
mod text;
mod types_ext;
pub mod xml;

/// The bindings generated from `wit/plugin.wit` (world `plugin`).
///
/// Plugins normally use the re-exports at the crate root instead.
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "wit",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "netcheck_guest::bindings",
        runtime_path: "netcheck_guest::__private::wit_bindgen::rt",
        additional_derives: [PartialEq],
    });
}

pub use aws_error::{AwsError, aws_error};
pub use bindings::exports::netcheck::plugin::checker::Guest as Checker;
pub use bindings::netcheck::plugin::types::{
    AwsEndpoint, EksTokenParams, EndpointKind, HttpRequest, HttpResponse, LogLevel, Observation,
    PluginInfo, Probe, ProbeContext, ProbeKind, ServiceInfo, Signing, Sigv4Params, Status, Target,
    Verdict,
};
pub use judge::judge_aws;
pub use signed_call::SignedCall;

/// Exports a type implementing [`Checker`] as the plugin's `checker` interface.
///
/// Use it once per plugin crate: `netcheck_guest::export_plugin!(MyPlugin);`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ident) => {
        $crate::bindings::export!($plugin with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}
