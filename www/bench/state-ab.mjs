#!/usr/bin/env node
// Restoring and exporting a state, and its key, in wasm: packages side by side in one process,
// interleaved round by round (a shared machine's load then falls on each alike). Per package:
// the state is restored and built once (`summary()`, so the match decisions are that build's)
// and exported; then per round it is restored (`StateImport`), asked `stateKey()` twice (the
// first digests every document) and exported (`StateExport`, 1 MB pieces). Prints min/median.
//
//   node www/bench/state-ab.mjs DIR/state.bcs "$(jq -c .engineOptions DIR/run.json)" ROUNDS PKG...
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const [file, optText, roundsText, ...pkgs] = process.argv.slice(2);
const options = () => JSON.parse(optText);
const raw = readFileSync(file);
const subjects = [];
for (const pkg of pkgs) {
  const glue = await import(join(resolve(pkg), 'bc_spend.js'));
  glue.initSync({ module: readFileSync(join(pkg, 'bc_spend_bg.wasm')) });
  const load = (pieces) => {
    const im = new glue.StateImport(options());
    for (const p of pieces) im.push(p);
    return im.finish();
  };
  const save = (e) => {
    const x = new glue.StateExport(e);
    const out = [];
    for (let c = x.next(e, 1 << 20); c !== undefined; c = x.next(e, 1 << 20)) out.push(c);
    x.free();
    return out;
  };
  const first = load([raw]);
  first.summary();
  const pieces = save(first);
  first.free();
  subjects.push({ pkg, load, save, pieces, ms: { restore: [], keyFirst: [], key: [], export: [] } });
}
const time = (list, f) => {
  const t = performance.now();
  const x = f();
  list.push(performance.now() - t);
  return x;
};
for (let r = 0; r < Number(roundsText); r++) {
  for (const s of subjects) {
    const e = time(s.ms.restore, () => s.load(s.pieces));
    time(s.ms.keyFirst, () => e.stateKey());
    time(s.ms.key, () => e.stateKey());
    time(s.ms.export, () => s.save(e));
    e.free();
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const s of subjects) {
  const cols = Object.entries(s.ms).map(([k, v]) => `${k} ${Math.min(...v).toFixed(1)}/${median(v).toFixed(1)}`);
  console.log(`${s.pkg}: ${cols.join('  ')}`);
}
