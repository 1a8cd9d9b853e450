// The npm package built into a browser app by the bundlers that pkg/README.md documents, each
// with exactly the steps written there, then run in headless Chromium: Vite (`vite build`, no
// configuration) and esbuild (`--bundle --format=esm --target=es2022` and bc_spend_bg.wasm copied
// next to the bundle). Each app analyzes the sample pages as the plain-ESM page of
// package.test.js does. The package is installed from `npm pack` of pkg/ into a fresh project,
// offline; vite and esbuild are www/'s pinned devDependencies. Needs pkg/ built.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKG = join(REPO, 'pkg');
const MODULES = join(REPO, 'www/node_modules');
const FIXTURES = join(REPO, 'tests/fixtures/sample');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
if (!existsSync(join(PKG, 'package.json'))) throw new Error('pkg/ is not built: run `bash www/scripts/build.sh` first');

// The app: what a user writes, importing the package by its name.
const MAIN = `import { Engine, detectPage } from 'bc-spend';

try {
  const names = await (await fetch('/fixtures/')).json();
  const engine = new Engine({ connectedAt: '2026-11-26' });
  const detected = [];
  for (const name of names) {
    const text = await (await fetch('/fixtures/' + name)).text();
    detected.push(detectPage(text).entity);
    engine.addPage(null, null, text);
  }
  const report = engine.report({ asOf: '2026-11-26' });
  window.result = {
    detected, totals: engine.summary().totals, transactions: engine.transactions().length,
    matched: engine.transactions().filter((t) => t.match).length, report: report.counts,
  };
} catch (e) {
  window.failure = String((e && e.stack) || e);
}
`;
const INDEX = '<!doctype html><meta charset="utf-8"><title>bc-spend app</title>\n<script type="module" src="./main.js"></script>\n';

let tmp;
let project;
let browser;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bc-spend-bundlers-'));
  const packed = JSON.parse((await run('npm', ['pack', PKG, '--pack-destination', tmp, '--json', '--loglevel=error'], { cwd: tmp })).stdout)[0];
  project = join(tmp, 'app');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', join(tmp, packed.filename)], { cwd: project });
  writeFileSync(join(project, 'main.js'), MAIN);
  writeFileSync(join(project, 'index.html'), INDEX);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Serves a build's output at / and the sample pages at /fixtures/, on loopback. */
async function serve(dir) {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html' };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = null;
    let body;
    if (path === '/favicon.ico') { res.writeHead(204).end(); return; }
    if (path === '/fixtures/') body = JSON.stringify(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort());
    else if (path.startsWith('/fixtures/')) file = join(FIXTURES, normalize(path.slice(10)).replace(/^(\.\.[/\\])+/, ''));
    else file = join(dir, normalize(path === '/' ? 'index.html' : path.slice(1)).replace(/^(\.\.[/\\])+/, ''));
    if (file && existsSync(file) && statSync(file).isFile()) body = readFileSync(file);
    if (body === undefined) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[extname(file ?? '.json')] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Opens the built app in Chromium and returns what it computed, or fails with the page's errors. */
async function runApp(dir) {
  const server = await serve(dir);
  const tab = await browser.newPage();
  const problems = [];
  tab.on('pageerror', (e) => problems.push(e.message));
  tab.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  tab.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  // A module graph that fails to load never runs the app: stop at the first error instead of
  // waiting for the timeout.
  const failed = new Promise((resolve) => {
    tab.on('pageerror', resolve);
    tab.on('response', (r) => { if (r.status() >= 400) resolve(); });
  }).then(() => new Promise((resolve) => setTimeout(resolve, 300)));
  try {
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await Promise.race([failed, tab.waitForFunction(() => window.result || window.failure, null, { timeout: 30_000 })])
      .catch(() => assert.fail(`the app did not finish: ${problems.join('; ')}`));
    assert.equal(await tab.evaluate(() => window.failure), undefined);
    assert.deepEqual(problems, []);
    return await tab.evaluate(() => window.result);
  } finally {
    await tab.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

function assertAnalyzed(r) {
  assert.ok(r.detected.every((e) => e !== null), JSON.stringify(r.detected));
  assert.deepEqual(r.totals.map((t) => [t.currency, t.transactions, t.amountExcludingTax]), [['EUR', 1, '3174.21'], ['GBP', 2, '133.59'], ['USD', 6, '32042.40']]);
  assert.equal(r.transactions, 9);
  assert.equal(r.report.transactions, 9);
  assert.equal(r.matched, 6);
}

describe('browser bundlers, as pkg/README.md says to use them', () => {
  it('Vite: `vite build` with no configuration', async () => {
    await run(process.execPath, [join(MODULES, 'vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: project });
    const dist = join(project, 'dist');
    assert.ok(readdirSync(join(dist, 'assets')).some((f) => f.endsWith('.wasm')), 'Vite emitted the wasm as an asset');
    assertAnalyzed(await runApp(dist));
  });

  it('esbuild: --bundle --format=esm --target=es2022, and the wasm copied next to the bundle', async () => {
    const dist = join(project, 'dist-esbuild');
    await run(join(MODULES, '.bin/esbuild'), ['main.js', '--bundle', '--format=esm', '--target=es2022', `--outfile=${join(dist, 'main.js')}`, '--log-level=warning'], { cwd: project });
    copyFileSync(join(project, 'node_modules/bc-spend/bc_spend_bg.wasm'), join(dist, 'bc_spend_bg.wasm'));
    copyFileSync(join(project, 'index.html'), join(dist, 'index.html'));
    assertAnalyzed(await runApp(dist));
  });

  it("esbuild's defaults do not do: iife fails on the top-level await, and without the copied wasm the page gets a 404", async () => {
    const dist = join(project, 'dist-esbuild-defaults');
    const iife = await run(join(MODULES, '.bin/esbuild'), ['main.js', '--bundle', `--outfile=${join(dist, 'main.js')}`], { cwd: project }).then(() => null, (e) => e.stderr);
    assert.match(iife ?? '', /Top-level await is currently not supported with the "iife" output format/);
    await run(join(MODULES, '.bin/esbuild'), ['main.js', '--bundle', '--format=esm', '--target=es2022', `--outfile=${join(dist, 'main.js')}`, '--log-level=warning'], { cwd: project });
    copyFileSync(join(project, 'index.html'), join(dist, 'index.html'));
    await assert.rejects(runApp(dist), /404 \/bc_spend_bg\.wasm/);
  });
});
