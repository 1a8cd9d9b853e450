#!/usr/bin/env node
// Dashboard benchmark: 50,000 transactions (synthetic Business Central pages from bench/lib/gen.mjs
// run through the wasm engine, so transactions.json, report.json and state.bcs are the real
// outputs), served by serveDashboard and loaded in headless Chromium. Measures:
//   - first render: navigation start -> headline figures and charts drawn (target < 1 s)
//   - table ready: navigation start -> transactions.json parsed, indexed and the first page shown
//   - filter: search, status, app and month filters, sorting, clearing (target < 200 ms each)
//   - rule preview: engine.previewRules plus the preview table (target < 200 ms)
//   - apply: setRules, transactions and report recomputed, everything re-rendered
//
//   node www/bench/dashboard.mjs [--transactions 50000] [--runs 5] [--json] [--keep]
//
// The output directory is cached under tests/artifacts/dashboard-bench/ keyed by the wasm build,
// so a second run only measures. --json prints one JSON object (figures in ms) on stdout.

import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveDashboard } from '../cli/serve.js';
import { CONNECTED_AT, GENERATOR_VERSION, ensureDataset, pagesFor } from './lib/gen.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(REPO, 'tests/artifacts/dashboard-bench');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TARGETS = { firstRenderMs: 1000, filterMs: 200, previewMs: 200 };

const { values: opts } = parseArgs({
  options: {
    transactions: { type: 'string', default: '50000' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 16).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const N = Number(opts.transactions);
const RUNS = Math.max(1, Number(opts.runs));
const log = (...a) => { if (!opts.json) console.error(...a); };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };
const round = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

// ------------------------------------------------------------------ data
const core = await import(join(REPO, 'pkg/node.js'));
const has = {
  report: typeof core.Engine.prototype.report === 'function',
  previewRules: typeof core.Engine.prototype.previewRules === 'function',
  state: typeof core.Engine.prototype.exportState === 'function' && typeof core.Engine.fromState === 'function',
};

function buildKey() {
  const wasm = join(REPO, 'pkg/bc_spend_bg.wasm');
  const st = statSync(wasm);
  return createHash('sha256').update(`${GENERATOR_VERSION}|${N}|${st.size}|${st.mtimeMs}|${core.version()}`).digest('hex').slice(0, 12);
}

function prepare() {
  const dir = join(CACHE, `out-${N}-${buildKey()}`);
  const manifest = ensureDataset({ root: REPO, dataRoot: join(REPO, 'tests/artifacts/bench/data'), invoices: N });
  const pages = pagesFor(manifest, N).map((p) => p.path);
  if (existsSync(join(dir, 'done'))) return { dir, pages, built: false };
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const engineOptions = { connectedAt: CONNECTED_AT };
  const reportOptions = { asOf: CONNECTED_AT };
  const engine = new core.Engine(engineOptions);
  let left = N;
  for (const p of pages) {
    // the last page may hold more invoices than asked for: trim it, so there are exactly N
    let text = readFileSync(p, 'utf8');
    const page = JSON.parse(text);
    if (page.value.length > left) {
      page.value = page.value.slice(0, left);
      text = JSON.stringify(page);
    }
    left -= page.value.length;
    engine.addPage(null, null, text);
  }
  writeFileSync(join(dir, 'transactions.json'), engine.transactionsJson());
  writeFileSync(join(dir, 'users.json'), JSON.stringify(engine.users()));
  writeFileSync(join(dir, 'diagnostics.json'), JSON.stringify(engine.diagnostics()));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(engine.summary()));
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ engineOptions, reportOptions }));
  if (has.report) writeFileSync(join(dir, 'report.json'), JSON.stringify(engine.report(reportOptions)));
  if (has.state) writeFileSync(join(dir, 'state.bcs'), engine.exportState());
  engine.free();
  writeFileSync(join(dir, 'done'), '');
  log(`built ${N} transactions in ${Math.round(performance.now() - t0)} ms into ${dir}`);
  return { dir, pages, built: true };
}

log(`preparing ${N} transactions…`);
const data = prepare();
const sizes = Object.fromEntries(['transactions.json', 'report.json', 'state.bcs'].filter((f) => existsSync(join(data.dir, f))).map((f) => [f, statSync(join(data.dir, f)).size]));

// ------------------------------------------------------------------ browser
const server = await serveDashboard({ dataDir: data.dir });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const consoleErrors = [];
const result = {
  transactions: N, runs: RUNS, targets: TARGETS, files: sizes,
  engine: { report: has.report, previewRules: has.previewRules, state: has.state },
};

try {
  const firstRender = []; const tableReady = [];
  let page;
  for (let r = 0; r < RUNS; r++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(server.url, { waitUntil: 'commit' });
    await page.waitForFunction(() => document.body?.dataset.table === 'ready', null, { timeout: 120_000 });
    const t = await page.evaluate(() => globalThis.bcSpendDashboard.timings);
    firstRender.push(t.renderedAt);
    tableReady.push(t.tableReadyAt);
    if (r < RUNS - 1) await context.close();
  }
  result.firstRenderMs = round(median(firstRender));
  result.tableReadyMs = round(median(tableReady));
  result.firstRenderRunsMs = firstRender.map(round);
  log(`first render ${result.firstRenderMs} ms, table ready ${result.tableReadyMs} ms (median of ${RUNS})`);

  // filters, on the last page load
  await page.click('#tab-transactions');
  const filters = await page.evaluate(async (runs) => {
    const $ = (s) => document.querySelector(s);
    const form = $('#tx-filters');
    const frame = () => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
    const apps = [...$('#tx-app').options].map((o) => o.value).filter((v) => v && v !== '\u0000none');
    const months = [...$('#tx-month').options].map((o) => o.value).filter(Boolean);
    const ops = {
      search: () => { $('#tx-search').value = 'slack'; form.dispatchEvent(new Event('submit', { cancelable: true })); },
      searchTwoWords: () => { $('#tx-search').value = 'microsoft 365'; form.dispatchEvent(new Event('submit', { cancelable: true })); },
      status: () => { $('#tx-search').value = ''; $('#tx-status').value = 'unmatched'; $('#tx-status').dispatchEvent(new Event('change', { bubbles: true })); },
      app: () => { $('#tx-status').value = ''; $('#tx-app').value = apps[1] ?? apps[0]; $('#tx-app').dispatchEvent(new Event('change', { bubbles: true })); },
      month: () => { $('#tx-app').value = ''; $('#tx-month').value = months[2] ?? months[0]; $('#tx-month').dispatchEvent(new Event('change', { bubbles: true })); },
      sortAmount: () => { document.querySelector('#tx-table th[data-col="amount"] button').click(); },
      clear: () => { form.dispatchEvent(new Event('reset', { cancelable: true })); },
    };
    const out = {};
    for (const [name, fn] of Object.entries(ops)) {
      const sync = []; const painted = [];
      for (let r = 0; r < runs; r++) {
        // reset between runs, so every run does the same work (sorting would otherwise hit its cache)
        if (name === 'sortAmount') globalThis.bcSpendDashboard.views.transactions.setRows(globalThis.bcSpendDashboard.rows);
        if (name === 'clear') { $('#tx-status').value = 'matched'; $('#tx-status').dispatchEvent(new Event('change', { bubbles: true })); }
        await frame();
        const t0 = performance.now();
        fn();
        sync.push(performance.now() - t0);
        await frame();
        painted.push(performance.now() - t0);
        if (name !== 'clear' && name !== 'sortAmount' && r < runs - 1) { form.dispatchEvent(new Event('reset', { cancelable: true })); }
      }
      out[name] = { sync, painted, shown: document.querySelectorAll('#tx-table tbody tr[data-id]').length, status: $('#tx-status-line').textContent };
    }
    return out;
  }, RUNS);
  result.filter = Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, { ms: round(median(v.sync)), toNextFrameMs: round(median(v.painted)), status: v.status }]));
  result.filterMs = round(Math.max(...Object.values(filters).map((v) => median(v.painted))));
  log(`filter (worst op, to next frame): ${result.filterMs} ms`);
  for (const [k, v] of Object.entries(result.filter)) log(`  ${k.padEnd(15)} ${String(v.ms).padStart(7)} ms  (${v.toNextFrameMs} ms to next frame)  ${v.status}`);

  // rule preview: needs a live engine; from state.bcs, or else from the raw pages dropped on the page
  if (!has.previewRules) {
    result.preview = { skipped: 'engine.previewRules is not in pkg' };
  } else {
    const t0 = Date.now();
    await page.waitForFunction(() => document.body.dataset.engine, null, { timeout: 180_000 });
    let engine = await page.getAttribute('body', 'data-engine');
    result.engineFrom = engine === 'live' ? 'state.bcs' : null;
    if (engine === 'live') {
      result.engineReadyMs = round(await page.evaluate(() => globalThis.bcSpendDashboard.timings.engineAt));
    } else {
      log(`no state.bcs restore (${await page.evaluate(() => globalThis.bcSpendDashboard.liveError)}); dropping the ${data.pages.length} BC pages instead…`);
      const runFile = join(data.dir, 'run.json');
      const dropStart = Date.now();
      await page.setInputFiles('#file-input', [...data.pages, runFile]);
      await page.waitForFunction(() => document.body.dataset.engine === 'live' && globalThis.bcSpendDashboard.data.origin === 'files', null, { timeout: 300_000 });
      result.engineFrom = 'dropped pages';
      result.engineFromPagesMs = Date.now() - dropStart;
      engine = 'live';
    }
    log(`live engine ready (${result.engineFrom}) after ${Math.round((Date.now() - t0) / 100) / 10} s of waiting`);
    await page.click('#tab-rules');
    const preview = await page.evaluate(async (runs) => {
      const app = globalThis.bcSpendDashboard;
      const $ = (s) => document.querySelector(s);
      const frame = () => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
      // a vendor with many transactions, moved to another app
      const counts = new Map();
      for (const r of app.rows) if (r.appId) counts.set(r.vendor, (counts.get(r.vendor) ?? 0) + 1);
      const [vendor, n] = [...counts].sort((a, b) => b[1] - a[1])[0];
      const from = app.rows.find((r) => r.vendor === vendor).appId;
      const row = app.rows.find((r) => r.appId && r.appId !== from);
      const to = { appId: row.appId, appName: row.app };
      const set = (sel, v) => { $(sel).value = v; };
      document.querySelector('input[name="action"][value="matchTo"]').checked = true;
      set('#rule-app', `${to.appName} (${to.appId})`);
      set('#rule-vendor-op', 'equals');
      set('#rule-vendor-value', vendor);
      const total = []; const engineOnly = []; let changes = 0;
      for (let r = 0; r < runs; r++) {
        await frame();
        const t0 = performance.now();
        const list = await app.views.rules.previewNow();
        await frame();
        total.push(performance.now() - t0);
        engineOnly.push(Number($('#rule-form').dataset.previewEngineMs));
        changes = list?.length ?? 0;
      }
      // apply it
      $('#rule-add').click();
      await new Promise((ok) => { const wait = () => (document.querySelector('#rule-list li[data-rule-id]') ? ok() : setTimeout(wait, 10)); wait(); });
      const t0 = performance.now();
      const done = new Promise((ok) => app.on('refreshed', ok));
      $('#rules-apply').click();
      await done;
      const applyMs = performance.now() - t0;
      return { vendor, transactionsOfVendor: n, to: to.appId, changes, total, engineOnly, applyMs };
    }, RUNS);
    result.preview = {
      rule: `match "${preview.vendor}" (${preview.transactionsOfVendor} transactions) to ${preview.to}`,
      changes: preview.changes,
      ms: round(median(preview.total)),
      engineMs: round(median(preview.engineOnly)),
      firstMs: round(preview.total[0]),
      runsMs: preview.total.map(round),
    };
    result.previewMs = result.preview.ms;
    result.applyMs = round(preview.applyMs);
    log(`rule preview ${result.previewMs} ms (engine.previewRules ${result.preview.engineMs} ms; first ${result.preview.firstMs} ms; ${preview.changes} changes), apply ${result.applyMs} ms`);
  }
  result.consoleErrors = consoleErrors;
  result.pass = {
    firstRender: result.firstRenderMs < TARGETS.firstRenderMs,
    filter: result.filterMs < TARGETS.filterMs,
    preview: result.previewMs === undefined ? null : result.previewMs < TARGETS.previewMs,
  };
} finally {
  await browser.close();
  await server.close();
  if (!opts.keep && !existsSync(join(data.dir, 'done'))) rmSync(data.dir, { recursive: true, force: true });
}

if (opts.json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const mark = (ok) => (ok === null ? 'n/a' : ok ? 'ok' : 'OVER TARGET');
  console.log(`dashboard with ${N} transactions (transactions.json ${Math.round((sizes['transactions.json'] ?? 0) / 1e6)} MB)`);
  console.log(`  first render   ${String(result.firstRenderMs).padStart(8)} ms   target < ${TARGETS.firstRenderMs} ms  ${mark(result.pass.firstRender)}`);
  console.log(`  table ready    ${String(result.tableReadyMs).padStart(8)} ms`);
  console.log(`  filter (worst) ${String(result.filterMs).padStart(8)} ms   target < ${TARGETS.filterMs} ms  ${mark(result.pass.filter)}`);
  if (result.previewMs !== undefined) {
    console.log(`  rule preview   ${String(result.previewMs).padStart(8)} ms   target < ${TARGETS.previewMs} ms  ${mark(result.pass.preview)}  (engine.previewRules ${result.preview.engineMs} ms; first preview ${result.preview.firstMs} ms; live engine from ${result.engineFrom})`);
    if (result.engineReadyMs) console.log(`  engine ready   ${String(result.engineReadyMs).padStart(8)} ms   (state.bcs restored in the worker)`);
    console.log(`  apply rules    ${String(result.applyMs).padStart(8)} ms`);
  } else {
    console.log(`  rule preview        n/a   (${result.preview.skipped})`);
  }
  if (consoleErrors.length) console.log(`  console errors: ${consoleErrors.length}: ${consoleErrors[0]}`);
}
