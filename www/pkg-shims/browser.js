// Browser entry: fetches and instantiates the wasm next to this module (top-level await). Plain
// ESM: loads from a <script type="module">, and in Vite and webpack 5 without configuration;
// esbuild needs --format=esm, an ES2022 target and bc_spend_bg.wasm copied next to the bundle
// (README.md, "Browser bundlers").
import init from './bc_spend.js';

await init({ module_or_path: new URL('./bc_spend_bg.wasm', import.meta.url) });

export * from './api.js';
