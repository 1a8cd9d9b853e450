// Browser entry: fetches and instantiates the wasm next to this module (top-level await). Plain
// ESM: loads from a <script type="module"> or a bundler without configuration.
import init from './bc_spend.js';

await init({ module_or_path: new URL('./bc_spend_bg.wasm', import.meta.url) });

export * from './api.js';
