#!/usr/bin/env bash
# Build the netcheck binary the lambda runner deploys as a `provided.al2023` function's
# `bootstrap`: a release build that runs on Amazon Linux 2023 whatever the build host.
#
#   scripts/build-bootstrap.sh [x86_64|arm64]      (default: this machine's architecture)
#
# AL2023 ships glibc 2.34, so the binary must not need a newer glibc symbol version. A
# build on a newer distribution (Debian 12 has 2.36, Ubuntu 24.04 2.39) can pick up
# e.g. GLIBC_2.38; cargo-zigbuild links against glibc 2.34's symbol set instead
# (`--target <arch>-unknown-linux-gnu.2.34`) and cross-compiles for arm64 without a
# cross toolchain. Zig and cargo-zigbuild come from PyPI into the project's venv
# (${NETCHECK_CACHE:-$HOME/.cache/netcheck}/venv, the one scripts/setup.sh makes),
# installed once; the Rust target through rustup.
#
# Prints the binary's path on stdout; pass it to `netcheck run --runner lambda
# --lambda-bootstrap PATH`. A full release build takes ~17 minutes on 2 cores.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname -- "$here")
cache="${NETCHECK_CACHE:-$HOME/.cache/netcheck}"
venv="${NETCHECK_VENV:-$cache/venv}"
# Versions this script was verified with.
zig_pin="ziglang==0.17.1"
zigbuild_pin="cargo-zigbuild==0.24.0"
glibc="2.34"

say() { printf 'build-bootstrap.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

arch="${1:-$(uname -m)}"
case "$arch" in
    x86_64 | amd64 | x86-64) rust_arch=x86_64 ;;
    arm64 | aarch64) rust_arch=aarch64 ;;
    -h | --help)
        sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        exit 0
        ;;
    *) die "unknown architecture \`$arch\` (expected x86_64 or arm64)" ;;
esac
[[ $# -le 1 ]] || die "too many arguments (usage: scripts/build-bootstrap.sh [x86_64|arm64])"
triple="$rust_arch-unknown-linux-gnu"

command -v rustup >/dev/null 2>&1 \
    || die "no rustup on PATH: install Rust with rustup (https://rustup.rs), then run this again"
command -v cargo >/dev/null 2>&1 || die "no cargo on PATH (install Rust with rustup)"

# The venv: reuse the project's (scripts/setup.sh) or make a bare one here.
python=${PYTHON:-python3}
if ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
    command -v "$python" >/dev/null 2>&1 \
        || die "no $python on PATH: install Python 3.10+ with the venv module (Debian: apt-get install python3-venv)"
    say "creating Python venv at $venv"
    mkdir -p -- "$(dirname -- "$venv")"
    "$python" -m venv "$venv" || die "could not create a venv with $python -m venv $venv"
fi

# Zig and cargo-zigbuild, installed once (pip is skipped when both are already there).
if ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1 \
    || ! "$venv/bin/cargo-zigbuild" --version >/dev/null 2>&1; then
    say "installing $zig_pin and $zigbuild_pin into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "$zig_pin" "$zigbuild_pin" </dev/null \
        || die "pip could not install $zig_pin $zigbuild_pin into $venv (is the package index reachable?)"
fi
"$venv/bin/cargo-zigbuild" --version >/dev/null 2>&1 \
    || die "cargo-zigbuild is not runnable from $venv/bin after installing it"

if ! rustup target list --installed | grep -qx "$triple"; then
    say "adding the $triple Rust target"
    rustup target add "$triple" >/dev/null || die "rustup target add $triple failed"
fi

# cargo-zigbuild finds zig through `python -m ziglang` when it is on PATH as the venv's python.
export PATH="$venv/bin:$PATH"
# Symbols stripped (TOOLCHAIN.md: ~40 MB): a smaller zip uploads and cold-starts faster.
export CARGO_PROFILE_RELEASE_STRIP="${CARGO_PROFILE_RELEASE_STRIP:-symbols}"
say "building netcheck for $triple (glibc <= $glibc), release; this takes a while"
(cd "$root" && cargo zigbuild --release --locked -p netcheck --target "$triple.$glibc") >&2 \
    || die "cargo zigbuild --release -p netcheck --target $triple.$glibc failed (see above)"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
binary="$target_dir/$triple/release/netcheck"
[[ -x $binary ]] || die "the build succeeded but $binary is missing"
printf '%s\n' "$binary"
