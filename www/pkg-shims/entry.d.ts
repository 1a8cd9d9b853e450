// Types of the package's runtime entries (node.js, browser.js, workerd.js): each has
// instantiated the wasm by the time it is imported and exports the same API, the engine and
// the host (api.d.ts), with every input and output type of the engine (bc_spend.d.ts).
export * from './api.js';
export type * from './bc_spend.js';
