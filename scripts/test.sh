#!/usr/bin/env bash
# Runs every test of netcheck: installs what the tests need (idempotent), checks
# formatting and lints, then runs the host workspace's tests and the plugin crates'
# native tests. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "==> cargo fmt --check"
cargo fmt --all -- --check
(cd plugins && cargo fmt --all -- --check)

echo "==> cargo clippy (host workspace)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> cargo test (plugin crates, native)"
(cd plugins && cargo test --locked --workspace)

echo "==> cargo package (the guest SDK builds on its own, outside this repository)"
(cd plugins && cargo package -p netcheck-guest --allow-dirty --offline --quiet)

echo "==> cargo test (host workspace)"
cargo test --workspace --locked
