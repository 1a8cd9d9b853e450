#!/usr/bin/env bash
# Installs what building needs, idempotently: the wasm32 target, the pinned wasm-pack and
# wasm-bindgen-cli (from crates.io), and the npm packages from the committed lockfile.
# `setup.sh --browser` also installs Debian's chromium and chromium-driver for browser tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# rustfmt and clippy: the test command checks formatting and lints.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    log "adding the $component component"
    rustup component add "$component"
  fi
done

installed_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }
if [ "$(installed_version wasm-pack)" != "$WASM_PACK_VERSION" ]; then
  log "installing wasm-pack $WASM_PACK_VERSION (about 3 minutes, once)"
  cargo install --quiet wasm-pack --version "$WASM_PACK_VERSION" --force
fi
if [ "$(installed_version wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm ci only when the lockfile changed since the last install.
stamp="$ROOT/www/node_modules/.bc-spend-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/www/package-lock.json" "$stamp"; then
  log "installing npm packages (npm ci)"
  (cd "$ROOT/www" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$ROOT/www/package-lock.json" "$stamp"
fi

if [ "${1:-}" = "--browser" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
