#!/usr/bin/env bash
# Prepare this machine to build and test netcheck. Idempotent and quiet when there is
# nothing to do; safe to run from CI (no prompts, no stdin).
#
#  - a Python venv with the AWS emulators and wasm-tools pinned in
#    scripts/requirements-test.txt, at ${NETCHECK_CACHE:-$HOME/.cache/netcheck}/venv
#    (reinstalled only when that file or the Python version changes);
#  - the wasm32-wasip2 Rust target the plugins are built for;
#  - Debian's chromium (headless), for the HTML report's browser test, when missing and
#    this machine can install Debian packages (root with apt-get).
#
# Prints the venv path on stdout when done. Tests find the venv through NETCHECK_VENV,
# else the same default path.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
requirements="$here/requirements-test.txt"
cache="${NETCHECK_CACHE:-$HOME/.cache/netcheck}"
venv="${NETCHECK_VENV:-$cache/venv}"
stamp="$venv/.netcheck-requirements"

say() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 \
    || die "no $python on PATH: install Python 3.10+ with the venv module (Debian: apt-get install python3-venv)"
[[ -r $requirements ]] || die "cannot read $requirements (run this script from a netcheck checkout)"

# The stamp names what the venv was built from: the requirements and the interpreter.
want="$({ cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"

if [[ $want != "$have" ]] || ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
    if ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
        say "creating Python venv at $venv"
        rm -rf -- "$venv"
        mkdir -p -- "$(dirname -- "$venv")"
        "$python" -m venv "$venv" || die "could not create a venv with $python -m venv $venv"
    fi
    say "installing $(grep -cvE '^\s*(#|$)' "$requirements") pinned test tools into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$requirements" </dev/null \
        || die "pip could not install $requirements into $venv (is the package index reachable?)"
    for tool in ministack moto_server wasm-tools; do
        [[ -x $venv/bin/$tool ]] || die "$tool is missing from $venv/bin after installing $requirements"
    done
    printf '%s\n' "$want" >"$stamp"
fi

if command -v rustup >/dev/null 2>&1; then
    if ! rustup target list --installed | grep -qx 'wasm32-wasip2'; then
        say "adding the wasm32-wasip2 Rust target"
        rustup target add wasm32-wasip2 >/dev/null
    fi
else
    die "no rustup on PATH: netcheck's plugins need the wasm32-wasip2 target (rustup target add wasm32-wasip2)"
fi

# A real browser for the HTML report test (tests find it on PATH as `chromium`).
if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's chromium (headless browser for the HTML report test)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 \
                && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; } \
            || die "apt-get could not install chromium (needed by the HTML report test)"
    else
        die "no chromium on PATH: install it (Debian: apt-get install chromium) for the HTML report test"
    fi
fi

# Every platform's dependencies: tests locate crate sources (the SigV4 suite inside
# aws-sigv4) with `cargo metadata --offline`, which resolves all targets' dependencies,
# not only the ones a Linux build downloads.
cargo fetch --locked --manifest-path "$(dirname "${BASH_SOURCE[0]}")/../Cargo.toml" >/dev/null 2>&1 \
    || die "cargo fetch --locked failed: is the crate registry reachable?"

printf '%s\n' "$venv"
