// Node entry: instantiates the wasm synchronously from the file next to this one.
import { readFileSync } from 'node:fs';
import { initSync } from './bc_spend.js';

initSync({ module: readFileSync(new URL('./bc_spend_bg.wasm', import.meta.url)) });

export * from './api.js';
