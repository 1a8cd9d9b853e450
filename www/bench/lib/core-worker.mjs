// One measurement process of the core benchmark (spawned by run.mjs; a fresh process per job so
// that wasm linear memory, which never shrinks, and JIT state do not leak from one size into
// the next). Reads BC page files, times JSON.parse of each page (the floor any JS consumer pays)
// and the engine's paths on the same text, and prints one JSON object on stdout.
//
//   node --expose-gc core-worker.mjs '<json job>'
//   job: { pkg, pages: [path], reps, connectedAt, job: "core" | "catalog10x", catalog10x?: file }

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';

const job = JSON.parse(process.argv[2]);
const glue = await import(join(job.pkg, 'bc_spend.js'));
const wasm = glue.initSync({ module: readFileSync(join(job.pkg, 'bc_spend_bg.wasm')) });
const { Engine } = glue;
const gc = globalThis.gc ?? (() => {});
const now = () => performance.now();
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

// Pages are held in memory for small sets (several repetitions) and re-read per page for large
// ones; reading is never inside a timed region.
const texts = job.pages.length <= 20 ? job.pages.map((p) => readFileSync(p, 'utf8')) : null;
const page = (i) => (texts ? texts[i] : readFileSync(job.pages[i], 'utf8'));
const options = (extra = {}) => ({ connectedAt: job.connectedAt, ...extra });

function timeParse() {
  let t = 0;
  for (let i = 0; i < job.pages.length; i++) {
    const s = page(i);
    const t0 = now();
    const v = JSON.parse(s);
    t += now() - t0;
    if (!v.value) throw new Error('not a page');
  }
  return t;
}

/** Text in: addPage per page, then the matching pass (summary() builds and matches every
 *  transaction), then the report when the package has one. */
function timeText(opts, keep = false) {
  const e = new Engine(opts);
  let ingest = 0, accepted = 0;
  for (let i = 0; i < job.pages.length; i++) {
    const s = page(i);
    const t0 = now();
    const r = e.addPage('purchaseInvoices', null, s);
    ingest += now() - t0;
    accepted += r.accepted;
  }
  let t0 = now();
  const summary = e.summary();
  const match = now() - t0;
  let report = null;
  if (typeof e.report === 'function') {
    t0 = now();
    e.report({ asOf: job.connectedAt });
    report = now() - t0;
  }
  const out = { ingest, match, report, accepted, transactions: summary.transactions, matched: summary.matchedTransactions };
  if (keep) return { ...out, engine: e };
  e.free();
  return out;
}

/** Object in: JSON.parse by the host, then addPageObject. */
function timeObject(opts) {
  const e = new Engine(opts);
  let parse = 0, ingest = 0;
  for (let i = 0; i < job.pages.length; i++) {
    const s = page(i);
    let t0 = now();
    const obj = JSON.parse(s);
    parse += now() - t0;
    t0 = now();
    e.addPageObject('purchaseInvoices', null, obj);
    ingest += now() - t0;
  }
  const t0 = now();
  e.summary();
  const match = now() - t0;
  e.free();
  return { parse, ingest, match };
}

function timeOutput(e) {
  let t0 = now();
  const txs = e.transactions();
  const objects = now() - t0;
  t0 = now();
  const json = e.transactionsJson();
  const jsonText = now() - t0;
  // The engine state as a sync writes it at the end of every run (the journal's new base).
  // Reading it back is what every incremental sync starts with. Both for the sets held in
  // memory only: at 100,000 invoices the state (or a second engine) would grow the process's
  // peak RSS, which the table reports. Pieces are bytes (format 2), or text before 0.2.
  let state = null;
  if (typeof glue.StateExport === 'function' && texts !== null) {
    const keep = typeof glue.StateImport === 'function';
    const pieces = [];
    t0 = now();
    const x = new glue.StateExport(e);
    let bytes = 0;
    for (let c = x.next(e, 1 << 20); c !== undefined; c = x.next(e, 1 << 20)) {
      bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
      if (keep) pieces.push(c);
    }
    x.free();
    state = { ms: now() - t0, bytes, importMs: null };
    if (keep) {
      gc();
      // The load alone: the importer's engine (options, catalog) is made before the clock starts,
      // as a run makes its engine whether or not it has a state to read.
      const im = new glue.StateImport(options());
      t0 = now();
      for (const p of pieces) im.push(p);
      const back = im.finish();
      state.importMs = now() - t0;
      back.free();
    }
  }
  return { objects, jsonText, count: txs.length, jsonBytes: json.length, state };
}

const bytes = job.pages.reduce((a, p) => a + readFileSync(p).length, 0);
const result = { job: job.job, pages: job.pages.length, bytes, reps: job.reps };

// Warm-up: V8 runs wasm first in its baseline tier and moves hot functions to the optimizing
// tier, but a call already running stays where it started (no on-stack replacement for wasm):
// without a few rounds first, the one long summary() of a big set would run unoptimized.
{
  const s = page(0);
  for (let i = 0; i < 3; i++) {
    const e = new Engine(options());
    e.addPage('purchaseInvoices', null, s);
    e.summary();
    if (typeof e.report === 'function') e.report({ asOf: job.connectedAt });
    if (typeof glue.StateExport === 'function' && typeof glue.StateImport === 'function') {
      const x = new glue.StateExport(e);
      const im = new glue.StateImport(options());
      for (let c = x.next(e, 1 << 20); c !== undefined; c = x.next(e, 1 << 20)) im.push(c);
      x.free();
      im.finish().free();
    }
    e.free();
    JSON.parse(s);
  }
  // Optimizing compilation runs in the background; give it time to land.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

if (job.job === 'core') {
  const runs = { parse: [], ingest: [], match: [], report: [], objParse: [], objIngest: [], objMatch: [] };
  let last = null;
  for (let r = 0; r < job.reps; r++) {
    gc();
    runs.parse.push(timeParse());
    gc();
    const keep = r === job.reps - 1;
    const t = timeText(options(), keep);
    runs.ingest.push(t.ingest); runs.match.push(t.match); if (t.report != null) runs.report.push(t.report);
    last = t;
    if (!keep) {
      gc();
      const o = timeObject(options());
      runs.objParse.push(o.parse); runs.objIngest.push(o.ingest); runs.objMatch.push(o.match);
    }
  }
  // The last text-in engine is still alive: memory after ingesting the whole set.
  result.wasmMemoryBytes = wasm.memory.buffer.byteLength;
  result.output = timeOutput(last.engine);
  result.wasmMemoryBytesAfterOutput = wasm.memory.buffer.byteLength;
  last.engine.free();
  if (runs.objIngest.length === 0) {
    gc();
    const o = timeObject(options());
    runs.objParse.push(o.parse); runs.objIngest.push(o.ingest); runs.objMatch.push(o.match);
  }
  result.invoices = last.accepted;
  result.transactions = last.transactions;
  result.matched = last.matched;
  result.ms = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.length ? median(v) : null]));
  result.samples = runs;
  result.hasReport = runs.report.length > 0;
} else if (job.job === 'catalog10x') {
  const extra = JSON.parse(readFileSync(job.catalog10x, 'utf8'));
  let t0 = now();
  new Engine(options()).free();
  const buildShipped = now() - t0;
  t0 = now();
  const e10 = new Engine(options({ catalog: extra }));
  const build10x = now() - t0;
  e10.free();
  const shipped = [], tenfold = [];
  for (let r = 0; r < job.reps; r++) {
    gc();
    shipped.push(timeText(options()).match);
    gc();
    tenfold.push(timeText(options({ catalog: extra })).match);
  }
  result.ms = { buildShipped, build10x, matchShipped: median(shipped), match10x: median(tenfold) };
  result.samples = { shipped, tenfold };
}
result.maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify(result) + '\n');
