//! The host side of the plugin contract, generated once from `wit/plugin.wit` (world
//! `plugin`). Everything else in the host uses these generated types, never raw `Val`s.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
    additional_derives: [PartialEq, Eq],
});
