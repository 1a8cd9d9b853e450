// Cloudflare Workers entry: the wasm is imported as a compiled WebAssembly.Module (wrangler's
// CompiledWasm rule, the default for .wasm imports) and instantiated synchronously, once per
// isolate.
import wasmModule from './bc_spend_bg.wasm';
import { initSync } from './bc_spend.js';

initSync({ module: wasmModule });

export * from './api.js';
