#!/usr/bin/env bash
# The main job. Sets up what is missing, builds the wasm package when its sources changed, and
# runs `bc-spend` with the given arguments; with none: `sync` when BC credentials are in the
# environment (BC_TENANT_ID, BC_ENVIRONMENT, BC_CLIENT_ID, BC_CLIENT_SECRET), else `demo`
# (a sync against the bundled Business Central emulator, which writes the report to
# bc-spend-demo/ and, in a terminal, serves the dashboard until Ctrl+C).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

bash www/scripts/setup.sh
wasm=pkg/bc_spend_bg.wasm
if [ ! -f "$wasm" ] || [ ! -f pkg/package.json ] \
  || [ -n "$(find src build.rs Cargo.toml Cargo.lock www/src www/pkg-shims www/scripts/build.sh www/scripts/pkg-meta.mjs -newer "$wasm" -print -quit)" ]; then
  bash www/scripts/build.sh
fi

if [ $# -gt 0 ]; then
  exec node www/bin/bc-spend "$@"
fi
if [ -n "${BC_TENANT_ID:-}" ] && [ -n "${BC_CLIENT_ID:-}" ] && [ -n "${BC_CLIENT_SECRET:-}" ]; then
  exec node www/bin/bc-spend sync
fi
exec node www/bin/bc-spend demo
