// Cloudflare Workers entry: the wasm is imported as a compiled WebAssembly.Module (the
// bundler's CompiledWasm rule) and instantiated synchronously, once per isolate.
import wasmModule from './bc_spend_bg.wasm';
import { initSync } from './bc_spend.js';

initSync({ module: wasmModule });

export { Engine, detectPage, version } from './bc_spend.js';
