//! The plugins compiled into the netcheck binary.
//!
//! `host/plugin-host/build.rs` builds every crate directly under `plugins/` (except the `guest` helper
//! library and the `testing/` plugins) for `wasm32-wasip2` and lists the components in
//! `$OUT_DIR/bundled.rs`, sorted by name.

static BUNDLED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled plugins as `(name, component bytes)`, sorted by name. The name is the
/// plugin's directory under `plugins/` (`kms`, `tcp`, ...).
pub fn bundled() -> &'static [(&'static str, &'static [u8])] {
    BUNDLED
}
