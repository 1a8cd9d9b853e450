// Types of the package's runtime entries (node.js, browser.js, workerd.js): each has
// instantiated the wasm by the time it is imported and exports the same API.
export { Engine, detectPage, version } from './bc_spend.js';
export type * from './bc_spend.js';
