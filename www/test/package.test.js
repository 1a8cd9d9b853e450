// The npm package as its users get it: `npm pack` of pkg/, installed from the tarball into a
// fresh project (offline; the package has no dependencies), imported as 'bc-spend' from Node
// ESM in a separate process that syncs the emulator; its TypeScript types checked from that
// project; and pkg/browser.js imported by a plain HTML page (no bundler) in headless Chromium
// that analyzes the sample pages. Needs the built package (www/scripts/build.sh).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startEmulator } from '../emulator/index.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PKG = join(REPO, 'pkg');
const TSC = join(REPO, 'www/node_modules/.bin/tsc');
const FIXTURES = join(REPO, 'tests/fixtures/sample');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What every entry exports: the engine and the host. A new export must be added here and typed. */
const API = [
  'BC_DELEGATED_SCOPES', 'BC_SCOPE', 'BcSpendError', 'DEFAULT_API_HOST', 'DEFAULT_AUTHORITY_HOST', 'ERROR_MESSAGES',
  'Engine', 'StateExport', 'StateImport', 'SyncPlan', 'buildAdminConsentUrl', 'buildAuthorizeUrl', 'core',
  'createBcClient', 'createClientCredentials', 'createMemoryCheckpointStore', 'createPkcePair',
  'bcLimits', 'createRefreshTokenCredential', 'createSecretRegistry', 'createState', 'detectPage', 'environmentKey', 'exchangeAuthorizationCode',
  'isGuid',
  'fromTokenCredential', 'parseAuthorizeRedirect', 'redactSecrets', 'redactText', 'runSync', 'stateChunks', 'version',
].sort();

if (!existsSync(join(PKG, 'package.json'))) throw new Error('pkg/ is not built: run `bash www/scripts/build.sh` first');

let tmp;
let project; // the consumer project, with bc-spend installed from the tarball
let packed; // npm pack --json output
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bc-spend-package-'));
  const out = await run('npm', ['pack', PKG, '--pack-destination', tmp, '--json', '--loglevel=error'], { cwd: tmp });
  packed = JSON.parse(out.stdout)[0];
  project = join(tmp, 'consumer');
  await run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', join(tmp, packed.filename)], { cwd: project });
});
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

describe('npm pack', () => {
  it('ships the engine, the host, an entry per runtime, types, the README and the licence', () => {
    assert.equal(packed.name, 'bc-spend');
    const files = new Set(packed.files.map((f) => f.path));
    for (const f of ['package.json', 'README.md', 'LICENSE', 'bc_spend.js', 'bc_spend_bg.wasm', 'bc_spend.d.ts', 'api.js', 'api.d.ts', 'entry.d.ts',
      'node.js', 'browser.js', 'workerd.js', 'host/auth.js', 'host/bc-client.js', 'host/errors.js', 'host/limiter.js', 'host/sync.js']) {
      assert.ok(files.has(f), `the tarball holds ${f}`);
    }
    const meta = JSON.parse(readFileSync(join(project, 'node_modules/bc-spend/package.json'), 'utf8'));
    assert.deepEqual(Object.keys(meta.exports['.']), ['workerd', 'node', 'browser', 'default']);
    assert.equal(meta.dependencies, undefined, 'no dependencies');
    assert.equal(meta.license, 'MIT');
    const readme = readFileSync(join(project, 'node_modules/bc-spend/README.md'), 'utf8');
    for (const h of ['## Node', '## Browser', '## Cloudflare Workers', '## Licence']) assert.ok(readme.includes(h), h);
    assert.match(readFileSync(join(project, 'node_modules/bc-spend/LICENSE'), 'utf8'), /^MIT License/);
  });

  it('the host modules and the entries other than node.js use no Node-only API', () => {
    const dir = join(project, 'node_modules/bc-spend');
    const files = ['api.js', 'browser.js', 'workerd.js', ...readdirSync(join(dir, 'host')).map((f) => `host/${f}`)];
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8').replace(/^\s*(\/\/|\*|\/\*).*$/gm, '');
      assert.doesNotMatch(text, /from\s+['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/, f);
    }
  });
});

describe('installed from the tarball into a fresh project', () => {
  let emu;
  before(async () => { emu = await startEmulator({ seed: 11, dataset: { invoices: 600 } }); });
  after(async () => { await emu?.close(); });

  it("syncs the emulator from Node ESM importing 'bc-spend', to the cent", async () => {
    const script = `
      import * as api from 'bc-spend';
      import { runSync, createClientCredentials, createMemoryCheckpointStore, BcSpendError } from 'bc-spend';
      const emu = JSON.parse(process.env.BC_EMULATOR);
      const credential = createClientCredentials({ tenantId: emu.tenantId, clientId: emu.clientId, clientSecret: emu.clientSecret, authorityHost: emu.authorityHost });
      const store = createMemoryCheckpointStore();
      const options = { credential, tenantId: emu.tenantId, environment: emu.environment, apiHost: emu.apiHost, sync: { connectedAt: '2026-11-01' } };
      const first = await runSync({ ...options, checkpoint: store.load(), saveCheckpoint: (u) => store.save(u) });
      const transactions = first.engine.transactions().map((t) => [t.companyId, t.invoiceId, t.currency, t.amountExcludingTax, t.amountIncludingTax]);
      const report = first.engine.report({ asOf: '2026-11-01' });
      first.engine.free();
      // The next run is incremental and changes nothing.
      const second = await runSync({ ...options, checkpoint: store.load(), saveCheckpoint: (u) => store.save(u) });
      const again = second.engine.transactions().length;
      second.engine.free();
      let refused;
      try {
        await runSync({ ...options, credential: createClientCredentials({ tenantId: emu.tenantId, clientId: emu.clientId, clientSecret: emu.wrongSecret, authorityHost: emu.authorityHost }) });
      } catch (e) {
        refused = { code: e.code, isBcSpendError: e instanceof BcSpendError, leaks: JSON.stringify(e).includes(emu.wrongSecret) || e.message.includes(emu.wrongSecret) };
      }
      console.log(JSON.stringify({
        exports: Object.keys(api).sort(), resolved: import.meta.resolve('bc-spend'), version: api.version(),
        complete: first.outcome.complete, companies: first.outcome.companies.map((c) => c.status), transactions,
        apps: report.apps.length, second: { invoices: second.outcome.companies.map((c) => c.invoices), added: second.outcome.changes.added, transactions: again },
        refused,
      }));
    `;
    writeFileSync(join(project, 'sync.mjs'), script);
    const c = emu.credentials;
    const env = { ...process.env, BC_EMULATOR: JSON.stringify({ ...c, authorityHost: emu.authorityHost, apiHost: emu.apiHost, wrongSecret: emu.scenarios.wrongSecret.clientSecret }) };
    const { stdout } = await run(process.execPath, ['sync.mjs'], { cwd: project, env });
    const r = JSON.parse(stdout);

    assert.deepEqual(r.exports, API);
    assert.ok(r.resolved.endsWith('/node_modules/bc-spend/node.js'), `the node condition picks node.js: ${r.resolved}`);
    assert.equal(r.version, JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version);
    assert.equal(r.complete, true);
    assert.deepEqual(r.companies, ['done', 'done', 'done']);

    const truth = emu.groundTruth({ since: '2025-11-01', lines: false });
    assert.equal(r.transactions.length, truth.count);
    assert.equal(new Set(r.transactions.map((t) => `${t[0]}/${t[1]}`)).size, truth.count, 'no invoice twice');
    const cents = (d) => { const [i, f = ''] = d.replace('-', '').split('.'); const v = BigInt(i) * 100n + BigInt((f + '00').slice(0, 2)); return d.startsWith('-') ? -v : v; };
    const totals = {};
    for (const [, , cur, excl, incl] of r.transactions) {
      const x = (totals[cur] ??= { invoices: 0, excludingTaxCents: 0n, includingTaxCents: 0n });
      x.invoices += 1; x.excludingTaxCents += cents(excl); x.includingTaxCents += cents(incl);
    }
    const expected = Object.fromEntries(Object.entries(truth.totalsByCurrency).map(([k, v]) => [k, { invoices: v.invoices, excludingTaxCents: BigInt(v.excludingTaxCents), includingTaxCents: BigInt(v.includingTaxCents) }]));
    assert.deepEqual(totals, expected);
    assert.ok(r.apps > 10, `the report lists apps (${r.apps})`);

    assert.deepEqual(r.second, { invoices: ['incremental', 'incremental', 'incremental'], added: 0, transactions: truth.count });
    assert.deepEqual(r.refused, { code: 'AUTH_INVALID_SECRET', isBcSpendError: true, leaks: false });
  });

  it('its TypeScript types resolve through the exports conditions', async () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'ESNext.Disposable', 'DOM'], types: [], skipLibCheck: false },
      files: ['check.ts'],
    }));
    writeFileSync(join(project, 'check.ts'), `
      import { Engine, runSync, createClientCredentials, type SyncResult, type Transaction } from 'bc-spend';
      const credential = createClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: 's' });
      const result: Promise<SyncResult> = runSync({ credential, environment: 'production', sync: { connectedAt: '2026-11-01' } });
      const txs: Transaction[] = new Engine({ connectedAt: '2026-11-01' }).transactions();
      // @ts-expect-error amounts are decimal strings
      const n: number = txs[0]!.amountExcludingTax;
      void result; void n;
    `);
    await run(TSC, ['-p', project]).catch((e) => assert.fail(`tsc: ${e.stdout}${e.stderr}`));
    // And the check can fail: a wrong use is reported.
    writeFileSync(join(project, 'check.ts'), `import { runSync } from 'bc-spend'; void runSync({ sync: { concurrency: 'five' } });`);
    await assert.rejects(run(TSC, ['-p', project]), (e) => /check\.ts\(1,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/.test(e.stdout));
  });
});

describe('a plain HTML page importing pkg/browser.js in headless Chromium', () => {
  let server;
  let browser;
  before(async () => {
    const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html' };
    const page = `<!doctype html><meta charset="utf-8"><title>bc-spend in a browser</title>
<script type="module">
  try {
    const api = await import('/pkg/browser.js');
    const names = await (await fetch('/fixtures/')).json();
    const engine = new api.Engine({ connectedAt: '2026-11-26' });
    const detected = [];
    for (const name of names) {
      const text = await (await fetch('/fixtures/' + name)).text();
      detected.push(api.detectPage(text).entity);
      engine.addPage(null, null, text);
    }
    const summary = engine.summary();
    window.result = {
      exports: Object.keys(api).sort(), detected, totals: summary.totals,
      transactions: engine.transactions().length, users: engine.users().length,
      report: engine.report({ asOf: '2026-11-26' }).counts,
      state: api.Engine.fromStates({ connectedAt: '2026-11-26' }, [engine.exportState()]).transactions().length,
    };
  } catch (e) {
    window.failure = String(e && e.stack || e);
  }
</script>`;
    server = createServer((req, res) => {
      const url = new URL(req.url, 'http://x');
      let body;
      let type = 'text/plain';
      if (url.pathname === '/') { body = page; type = types['.html']; }
      else if (url.pathname === '/favicon.ico') { res.writeHead(204).end(); return; }
      else if (url.pathname === '/fixtures/') { body = JSON.stringify(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()); type = types['.json']; }
      else {
        const [root, rest] = url.pathname.startsWith('/pkg/') ? [PKG, url.pathname.slice(5)] : url.pathname.startsWith('/fixtures/') ? [FIXTURES, url.pathname.slice(10)] : [null, null];
        if (root && !rest.includes('..') && existsSync(join(root, rest))) { body = readFileSync(join(root, rest)); type = types[extname(rest)] ?? type; }
      }
      if (body === undefined) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': type }).end(body);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => { await browser?.close(); await new Promise((resolve) => server?.close(resolve)); });

  it('analyzes the sample pages: USD 32042.40 excluding tax over 6 transactions', async () => {
    const tab = await browser.newPage();
    const problems = [];
    tab.on('pageerror', (e) => problems.push(e.message));
    tab.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.result || window.failure, null, { timeout: 30_000 });
    const failure = await tab.evaluate(() => window.failure);
    assert.equal(failure, undefined);
    const r = await tab.evaluate(() => window.result);
    assert.deepEqual(problems, []);
    assert.deepEqual(r.exports, API, 'the browser entry exports the same API as Node');
    assert.ok(r.detected.every((e) => e !== null), JSON.stringify(r.detected));
    const usd = r.totals.find((t) => t.currency === 'USD');
    assert.deepEqual([usd.amountExcludingTax, usd.transactions], ['32042.40', 6]);
    assert.deepEqual(r.totals.map((t) => [t.currency, t.transactions, t.amountExcludingTax]), [['EUR', 1, '3174.21'], ['GBP', 2, '133.59'], ['USD', 6, '32042.40']]);
    assert.equal(r.transactions, 9);
    assert.equal(r.report.transactions, 9);
    assert.equal(r.state, 9, 'Engine.fromStates works in the browser too');
    assert.ok(r.users > 0);
  });
});
