#!/usr/bin/env bash
# Builds the wasm core into pkg/ (release profile tuned for size, wasm-opt from the npm
# `binaryen` package on PATH), adds the entry shims, the shared API and the host modules
# (www/src/*.js into pkg/host/), and writes package.json. Prints the .wasm size.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

command -v wasm-opt >/dev/null || { log "wasm-opt not found: run www/scripts/setup.sh"; exit 1; }
log "building the wasm core (release)"
wasm-pack build --release --target web --out-dir pkg --out-name bc_spend --no-pack . 1>&2
cp www/pkg-shims/* pkg/
# The host (sign-in, BC client, sync): plain ESM with no platform imports, shipped as is.
rm -rf pkg/host && mkdir -p pkg/host
cp www/src/*.js pkg/host/
node www/scripts/pkg-meta.mjs
raw=$(stat -c %s pkg/bc_spend_bg.wasm)
gz=$(gzip -9 -c pkg/bc_spend_bg.wasm | wc -c)
log "pkg/bc_spend_bg.wasm: $raw bytes raw, $gz bytes gzipped ($(awk "BEGIN{printf \"%.1f\", $gz/1024}") KB)"
