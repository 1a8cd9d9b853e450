#!/usr/bin/env node
// Sync benchmark: bc-spend's sync against the emulator over loopback HTTP, each in its own
// process (so the sync's peak RSS is its own, and the emulator's CPU does not slow it).
//
//   node www/bench/sync.mjs [--json] [--quick] [--page-size N] [--sweep]
//
// 1. 3 companies, 30,000 invoices, 50 ms latency per request, 5 requests in flight: requests
//    made against the minimum possible at that page size (one request per page of each
//    company's paid invoices in the window, plus the company list, users, and each company's GL
//    setup and vendor pages), and wall time against its floor (requests x latency / concurrency).
// 2. 3 companies, 100,000 invoices: the sync's peak RSS, and the peak including writing the
//    output files (transactions.json, .csv, state.json, ...).
// Both check the result against the emulator's ground truth (count and totals per currency).
// --sweep measures case 1 at several page sizes (how the default was chosen). --json prints the
// figures as one JSON object (www/bench/run.mjs reads it).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = fileURLToPath(new URL('.', import.meta.url));
let emulatorCpuMs = null;
const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
const BIN = join(HERE, '../bin/bc-spend');
const CONNECTED_AT = '2026-11-01';
const WINDOW_START = '2025-11-01';

const { values: opt } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    'page-size': { type: 'string' },
    worker: { type: 'string' },
  },
});

if (opt.worker) {
  await worker(JSON.parse(opt.worker));
} else {
  await benchmark();
}

// ------------------------------------------------------------------------------ the sync process

async function worker(cfg) {
  const { loadSyncCore } = await import('../cli/sync.js');
  const { createClientCredentials } = await import('../src/auth.js');
  const { runSync, stateChunks } = await import('../src/sync.js');
  const { openCheckpointFile, writeChunksAtomic } = await import('../cli/checkpoint-store.js');
  const { writeOutputs } = await import('../cli/common.js');
  const core = await loadSyncCore();
  const c = cfg.credentials;
  const credential = createClientCredentials({ tenantId: c.tenantId, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: c.authorityHost });
  const store = await openCheckpointFile(join(cfg.dir, 'checkpoint.json'));
  // `incremental`: the run after a complete one, from its checkpoint (restoring the engine from
  // the state file is part of the timed run, as in the CLI).
  // The one-time start of the core (compiling the wasm, indexing the catalog) is not the sync's.
  const t00 = performance.now();
  new core.Engine({ windowStart: '2025-01-01' }).free();
  const coreStartMs = performance.now() - t00;
  let sampled = 0;
  const t0 = performance.now();
  const checkpoint = cfg.incremental ? await store.load() : null;
  const { engine, outcome, stats } = await runSync({
    core,
    credential,
    apiHost: c.apiHost,
    tenantId: c.tenantId,
    environment: c.environment,
    sync: { connectedAt: CONNECTED_AT, concurrency: cfg.concurrency, ...(cfg.pageSize ? { pageSize: cfg.pageSize } : {}), ...(cfg.count === false ? { count: false } : {}) },
    checkpoint,
    saveCheckpoint: (u) => store.save(u),
    stateBytes: true, // as the CLI: its file store writes the state's UTF-8 as it comes
    onProgress: (e) => { if (e.type === 'page') sampled = Math.max(sampled, process.memoryUsage().rss); },
  });
  const wallMs = performance.now() - t0;
  await store.close();
  const syncPeak = process.resourceUsage().maxRSS * 1024;
  const cpu = process.cpuUsage();
  // Checked against the ground truth with the summary's exact totals (no per-transaction objects).
  const summary = engine.summary();
  const totals = {};
  for (const t of summary.totals) {
    const [i, f = ''] = t.amountExcludingTax.replace('-', '').split('.');
    const cents = BigInt(i) * 100n + BigInt(f.padEnd(2, '0').slice(0, 2));
    totals[t.currency] = { invoices: t.transactions, excludingTaxCents: String(t.amountExcludingTax.startsWith('-') ? -cents : cents) };
  }
  const t1 = performance.now();
  await writeOutputs(engine, join(cfg.dir, 'out'), { 'summary.json': summary });
  await writeChunksAtomic(join(cfg.dir, 'out', 'state.json'), stateChunks(core, engine, undefined, { bytes: true }));
  const writeMs = performance.now() - t1;
  const endPeak = process.resourceUsage().maxRSS * 1024;
  const result = {
    wallMs,
    coreStartMs,
    writeMs,
    requests: stats.requests,
    retries: stats.retries,
    pages: stats.pages,
    peakInFlight: stats.peakInFlight,
    syncPeakRssBytes: syncPeak,
    endPeakRssBytes: endPeak,
    sampledPeakRssBytes: sampled,
    stateBytes: (await stat(join(cfg.dir, 'out', 'state.json'))).size,
    complete: outcome.complete,
    documents: outcome.companies.reduce((a, x) => a + x.documents, 0),
    vendorPages: summary.counts.vendors?.pages ?? 0,
    totals,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  engine.free();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ------------------------------------------------------------------------------ orchestration

function startEmulatorProcess({ invoices, latency, credentialsOut }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--invoices', String(invoices), '--companies', '3', '--latency', String(latency), '--credentials-out', credentialsOut], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    children.add(child);
    child.stdout.on('data', (d) => { out += d; if (/Ctrl-C to stop/.test(out)) resolve(child); });
    child.on('close', (code) => reject(new Error(`the emulator exited (${code}): ${out}`)));
  });
}

function runWorker(cfg) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`the sync process exited ${code}`))));
  });
}

/** Ground truth and the minimum number of requests, from the same seeded data the emulator serves. */
async function reference(invoices, pageSize) {
  const { startEmulator } = await import('../emulator/index.js');
  const emu = await startEmulator({ seed: 1, dataset: { invoices, companies: 3 } });
  try {
    const truth = emu.groundTruth({ since: WINDOW_START, lines: false });
    const pages = (n) => Math.max(1, Math.ceil(n / pageSize));
    let min = 1 + 1; // the company list; the users
    for (const c of emu.data.companies) {
      const paid = truth.companies.find((x) => x.id === c.id).count;
      min += 1 + pages(c.vendors.length) + pages(paid);
    }
    const totals = Object.fromEntries(Object.entries(truth.totalsByCurrency).map(([k, v]) => [k, { invoices: v.invoices, excludingTaxCents: String(v.excludingTaxCents) }]));
    return { count: truth.count, totals, minRequests: min };
  } finally {
    await emu.close();
  }
}

/** CPU time of a process so far (Linux /proc), or null. */
function procCpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

async function measure({ invoices, latency, pageSize, concurrency = 5, incremental = false }) {
  const dir = await mkdtemp(join(tmpdir(), 'bc-spend-bench-sync-'));
  const credentialsOut = join(dir, 'credentials.json');
  const emulator = await startEmulatorProcess({ invoices, latency, credentialsOut });
  try {
    const { readFile } = await import('node:fs/promises');
    const credentials = JSON.parse(await readFile(credentialsOut, 'utf8'));
    const r = await runWorker({ credentials, dir, concurrency, pageSize });
    emulatorCpuMs = procCpuMs(emulator.pid);
    // Then the next run, with nothing changed in BC: what a platform pays per tenant and day.
    const next = incremental ? await runWorker({ credentials, dir, concurrency, pageSize, incremental: true }) : null;
    return { ...r, invoices, latencyMs: latency, concurrency, pageSize, emulatorCpuMs, incremental: next };
  } finally {
    emulator.kill('SIGKILL');
    children.delete(emulator);
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchmark() {
  const log = (s) => { if (!opt.json) process.stdout.write(`${s}\n`); else process.stderr.write(`${s}\n`); };
  const pageSize = opt['page-size'] ? Number(opt['page-size']) : 500;
  const speed = opt.quick ? { invoices: 3_000, latency: 50 } : { invoices: 30_000, latency: 50 };
  const big = opt.quick ? 10_000 : 100_000;
  const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
  // `documents` counts what a run read (an incremental run reads only changes); the totals are
  // the whole engine's, from its summary.
  const check = (r, ref, { read = true } = {}) => {
    const same = (!read || r.documents === ref.count) && JSON.stringify(r.totals) === JSON.stringify(Object.fromEntries(Object.keys(r.totals).map((k) => [k, ref.totals[k]])));
    if (!same || Object.keys(r.totals).length !== Object.keys(ref.totals).length) throw new Error(`the sync's result differs from the ground truth: ${JSON.stringify(r.totals)} vs ${JSON.stringify(ref.totals)}`);
  };

  const sizes = opt.sweep ? [50, 100, 200, 500, 1000] : [pageSize];
  const speedRuns = [];
  for (const ps of sizes) {
    log(`sync: ${speed.invoices.toLocaleString('en-US')} invoices, 3 companies, ${speed.latency} ms latency, page size ${ps} ...`);
    const ref = await reference(speed.invoices, ps);
    const r = await measure({ ...speed, pageSize: ps, incremental: ps === pageSize });
    check(r, ref);
    if (r.incremental) check(r.incremental, ref, { read: false });
    const floorMs = (r.requests * speed.latency) / r.concurrency;
    speedRuns.push({ ...r, minRequests: ref.minRequests, floorMs, paidInWindow: ref.count });
    if (r.incremental) log(`  the next run, nothing changed: ${r.incremental.requests} requests, wall ${r.incremental.wallMs.toFixed(0)} ms, CPU ${(r.incremental.cpuMs / 1000).toFixed(2)} s (restoring the engine from the state file and writing it again included)`);
    log(`  requests ${r.requests} vs minimum ${ref.minRequests} (${r.requests >= ref.minRequests ? `${((r.requests / ref.minRequests - 1) * 100).toFixed(1)}% over` : `${((1 - r.requests / ref.minRequests) * 100).toFixed(1)}% under`}); wall ${r.wallMs.toFixed(0)} ms vs floor ${floorMs.toFixed(0)} ms (${(r.wallMs / floorMs).toFixed(2)}x); peak RSS ${mb(r.syncPeakRssBytes)}; CPU: sync ${(r.cpuMs / 1000).toFixed(1)} s, emulator ${r.emulatorCpuMs == null ? '?' : (r.emulatorCpuMs / 1000).toFixed(1)} s; ${ref.count.toLocaleString('en-US')} paid invoices in the window, exact`);
  }
  const main = speedRuns.find((r) => r.pageSize === pageSize) ?? speedRuns[0];

  log(`sync: ${big.toLocaleString('en-US')} invoices, 3 companies, no added latency, page size ${pageSize} ...`);
  const refBig = await reference(big, pageSize);
  const b = await measure({ invoices: big, latency: 0, pageSize });
  check(b, refBig);
  log(`  peak RSS ${mb(b.syncPeakRssBytes)} for the sync (${b.requests} requests, ${(b.wallMs / 1000).toFixed(1)} s, state ${mb(b.stateBytes)}); ${mb(b.endPeakRssBytes)} including writing the output files (${(b.writeMs / 1000).toFixed(1)} s)`);

  const figures = {
    invoices: big,
    requests: main.requests,
    minRequests: main.minRequests,
    wallMs: Math.round(main.wallMs),
    floorMs: Math.round(main.floorMs),
    requestsVsMinimum: main.requests / main.minRequests,
    wallVsFloor: main.wallMs / main.floorMs,
    peakRssBytes: b.syncPeakRssBytes,
    peakRssWithOutputsBytes: b.endPeakRssBytes,
    pageSize,
    latencyMs: speed.latency,
    concurrency: main.concurrency,
    incremental: main.incremental && { requests: main.incremental.requests, wallMs: Math.round(main.incremental.wallMs), cpuMs: Math.round(main.incremental.cpuMs), documents: main.incremental.documents },
    speed: speedRuns.map(({ totals, ...r }) => r),
    memory: (({ totals, ...r }) => r)(b),
  };
  if (opt.json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else {
    log('');
    log(`requests:  ${main.requests} made, ${main.minRequests} minimum -> ${(figures.requestsVsMinimum).toFixed(3)}x (target <= 1.05x)`);
    log(`wall time: ${figures.wallMs} ms, floor ${figures.floorMs} ms -> ${figures.wallVsFloor.toFixed(2)}x (target <= 1.3x)`);
    if (figures.incremental) log(`next run:  ${figures.incremental.requests} requests, ${figures.incremental.wallMs} ms, CPU ${(figures.incremental.cpuMs / 1000).toFixed(2)} s (nothing changed)`);
    log(`peak RSS:  ${mb(figures.peakRssBytes)} at ${big.toLocaleString('en-US')} invoices (target < 300 MB); ${mb(figures.peakRssWithOutputsBytes)} with the output files written`);
  }
}
