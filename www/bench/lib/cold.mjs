// Cold start, measured in a fresh process. Prints one JSON object.
//   node cold.mjs PKG_DIR [connectedAt] [core|package]
// core (the budget): read, compile and instantiate the wasm (what the Node entry does, through the
//   wasm-bindgen glue) and construct the first Engine (which loads the compiled catalog).
// package: import the package's Node entry (which also loads the JS host modules), then construct.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkg, connectedAt = '2026-11-26', mode = 'core'] = process.argv.slice(2);
const url = (f) => pathToFileURL(join(pkg, f)).href;
const t0 = performance.now();
let Engine;
if (mode === 'package') {
  ({ Engine } = await import(url('node.js')));
} else {
  const glue = await import(url('bc_spend.js'));
  glue.initSync({ module: readFileSync(join(pkg, 'bc_spend_bg.wasm')) });
  ({ Engine } = glue);
}
const t1 = performance.now();
const e = new Engine({ connectedAt });
const t2 = performance.now();
// A second engine shows what is per process (the shared catalog index) and what is per engine.
const e2 = new Engine({ connectedAt });
const t3 = performance.now();
e.free(); e2.free();
process.stdout.write(JSON.stringify({ mode, loadMs: t1 - t0, firstEngineMs: t2 - t1, totalMs: t2 - t0, secondEngineMs: t3 - t2 }) + '\n');
