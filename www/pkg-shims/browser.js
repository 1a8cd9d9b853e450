// Browser entry: fetches and instantiates the wasm next to this module (top-level await).
import init from './bc_spend.js';

await init({ module_or_path: new URL('./bc_spend_bg.wasm', import.meta.url) });

export { Engine, detectPage, version } from './bc_spend.js';
