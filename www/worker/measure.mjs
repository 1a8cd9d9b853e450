#!/usr/bin/env node
// Measures what decides whether the package fits Cloudflare Workers, and prints it as Markdown:
//   - the .wasm and the Worker's modules, raw and gzipped, against the Workers size limits
//     (3 MB on Workers Free, 10 MB on Paid, after compression); exits 1 past the Free limit;
//   - cold start in Node: a fresh process importing pkg/node.js (read, compile, instantiate)
//     and constructing the first Engine, then a second Engine (warm);
//   - cold start in workerd (miniflare): starting a Worker that imports pkg/workerd.js (the
//     wasm compiled and instantiated at isolate start) against the same Worker without it, and
//     its first request constructing an Engine; wall time and the workerd process's CPU time.
// Usage: node www/worker/measure.mjs [--runs N]   (needs pkg/ built: www/scripts/build.sh)

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKG = join(REPO, 'pkg');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const FREE_LIMIT = 3 * 1024 * 1024;
const PAID_LIMIT = 10 * 1024 * 1024;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n) => `${n.toFixed(1)} ms`;

// ------------------------------------------------------------------------------------ sizes
const wasm = readFileSync(join(PKG, 'bc_spend_bg.wasm'));
const wasmGz = gzipSync(wasm, { level: 9 }).length;
// What wrangler uploads: the Worker's modules, the package's JS and the wasm.
const workerModules = [
  ...['index.js', 'config.js', 'store.js'].map((f) => join(REPO, 'www/worker/src', f)),
  ...['workerd.js', 'api.js', 'bc_spend.js', 'bc_spend_bg.wasm'].map((f) => join(PKG, f)),
  ...readdirSync(join(PKG, 'host')).map((f) => join(PKG, 'host', f)),
];
const bundleRaw = workerModules.reduce((n, f) => n + statSync(f).size, 0);
const bundleGz = workerModules.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);

// ------------------------------------------------------------------------- Node cold start
const probe = `
  const t0 = performance.now();
  const m = await import(${JSON.stringify(join(PKG, 'node.js'))});
  const t1 = performance.now();
  const e = new m.Engine({ connectedAt: '2026-11-26' });
  const t2 = performance.now();
  const w = new m.Engine({ connectedAt: '2026-11-26' });
  const t3 = performance.now();
  e.free(); w.free();
  console.log(JSON.stringify({ instantiate: t1 - t0, engine: t2 - t1, warmEngine: t3 - t2 }));
`;
const node = [];
for (let i = 0; i < RUNS; i++) node.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })));

// ---------------------------------------------------------------------- workerd cold start
function workerdPid() {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (stat.includes('(workerd)') && Number(f[1]) === process.pid) return d;
    } catch { /* gone */ }
  }
  return null;
}
function cpu(pid) {
  if (!pid) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const dir = mkdtempSync(join(tmpdir(), 'bc-spend-cold-'));
const withWasm = join(dir, 'with-wasm.js');
const without = join(dir, 'without.js');
writeFileSync(withWasm, `import { Engine } from ${JSON.stringify(join(PKG, 'workerd.js'))};
export default { fetch() { const e = new Engine({ connectedAt: '2026-11-26' }); const n = e.transactions().length; e.free(); return new Response(String(n)); } };`);
writeFileSync(without, `export default { fetch() { return new Response('0'); } };`);

async function coldStart(scriptPath) {
  const t0 = performance.now();
  const mf = new Miniflare({
    modules: true, scriptPath, modulesRoot: '/',
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-01',
  });
  await mf.ready;
  const t1 = performance.now();
  const pid = workerdPid();
  const c1 = cpu(pid);
  await (await mf.dispatchFetch('http://x/')).text();
  const t2 = performance.now();
  const c2 = cpu(pid);
  await (await mf.dispatchFetch('http://x/')).text();
  const t3 = performance.now();
  await mf.dispose();
  return { start: t1 - t0, startCpu: c1, first: t2 - t1, firstCpu: c2 - c1, warm: t3 - t2 };
}
const workerd = { wasm: [], base: [] };
try {
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    workerd.base.push(await coldStart(without));
    workerd.wasm.push(await coldStart(withWasm));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const wd = (k, which) => median(workerd[which].map((r) => r[k]));

console.log(`## Measured (${new Date().toISOString().slice(0, 10)}, node ${process.version}, median of ${RUNS} runs)

| What | Figure | Limit |
|---|---|---|
| \`bc_spend_bg.wasm\` | ${kb(wasm.length)} raw, ${kb(wasmGz)} gzipped | Workers size after compression: 3 MiB (Free), 10 MiB (Paid) |
| The Worker's modules (www/worker/src, pkg JS, host, wasm) | ${kb(bundleRaw)} raw, ${kb(bundleGz)} gzipped | same |
| Node: import pkg/node.js (read, compile, instantiate) | ${ms(median(node.map((r) => r.instantiate)))} | |
| Node: first \`new Engine()\` / a second one | ${ms(median(node.map((r) => r.engine)))} / ${ms(median(node.map((r) => r.warmEngine)))} | |
| workerd: Worker start with the wasm / without | ${ms(wd('start', 'wasm'))} / ${ms(wd('start', 'base'))} wall (workerd CPU ${wd('startCpu', 'wasm')} / ${wd('startCpu', 'base')} ms) | startup 1 s (400 ms historically) |
| workerd: first request constructing an Engine / a warm request | ${ms(wd('first', 'wasm'))} (CPU ${wd('firstCpu', 'wasm')} ms) / ${ms(wd('warm', 'wasm'))} | |
`);
if (bundleGz > FREE_LIMIT) {
  console.error(`the Worker is ${kb(bundleGz)} gzipped: over the Workers Free limit of 3 MiB${bundleGz > PAID_LIMIT ? ' and the Paid limit of 10 MiB' : ''}`);
  process.exit(1);
}
