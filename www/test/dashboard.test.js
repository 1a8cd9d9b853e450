// The dashboard in real headless Chromium (Debian's /usr/bin/chromium through playwright-core),
// against the output of `bc-spend analyze` on the sample fixtures, served by serveDashboard:
// the figures shown equal report.json, the charts draw, filters work, a rule preview moves a
// transaction to another app, nothing is logged to the console. Screenshots go to
// tests/artifacts/dashboard/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { serveDashboard } from '../cli/serve.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'www/bin/bc-spend');
const FIXTURES = join(REPO, 'tests/fixtures/sample');
const ARTIFACTS = join(REPO, 'tests/artifacts/dashboard');
const CONNECTED_AT = '2026-11-26';
const AS_OF = '2026-11-26';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const core = await import(join(REPO, 'pkg/node.js'));

const fixtureFiles = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort().map((f) => join(FIXTURES, f));

let tmp; let out; let server; let browser; let page;
let report = null; let transactions; let users;
const consoleProblems = [];
const supplemented = [];

/** Mirrors what `bc-spend demo` writes beside analyze's files, where analyze does not (yet). */
function supplement() {
  const options = { connectedAt: CONNECTED_AT };
  if (!existsSync(join(out, 'run.json'))) {
    writeFileSync(join(out, 'run.json'), JSON.stringify({ engineOptions: options, reportOptions: { asOf: AS_OF } }, null, 2));
    supplemented.push('run.json');
  }
  const needReport = !existsSync(join(out, 'report.json'));
  const needState = !existsSync(join(out, 'state.bcs'));
  if (!needReport && !needState) return;
  const engine = new core.Engine(options);
  const order = ['companies', 'generalLedgerSetup', 'vendors', 'purchaseInvoices', 'purchaseCreditMemos', 'users'];
  const pages = fixtureFiles.map((f) => readFileSync(f, 'utf8'));
  pages.sort((a, b) => order.indexOf(core.detectPage(a).entity) - order.indexOf(core.detectPage(b).entity));
  for (const p of pages) engine.addPage(null, null, p);
  if (needReport) {
    writeFileSync(join(out, 'report.json'), JSON.stringify(engine.report({ asOf: AS_OF }), null, 2));
    supplemented.push('report.json');
  }
  if (needState) {
    writeFileSync(join(out, 'state.bcs'), engine.exportState());
    supplemented.push('state.bcs');
  }
  engine.free();
}

async function gotoDashboard(url = server.url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
  await page.waitForSelector('body[data-engine]', { timeout: 10_000 });
}

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function tableIds() {
  return page.$$eval('#tx-table tbody tr[data-id]', (rows) => rows.map((r) => r.dataset.id));
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'bc-spend-dashboard-'));
  out = join(tmp, 'out');
  const help = (await run(process.execPath, [BIN, 'analyze', '--help'])).stdout + (await run(process.execPath, [BIN, 'help', 'analyze'])).stdout;
  const args = ['analyze', '--out', out, '--connected-at', CONNECTED_AT, '--quiet'];
  if (help.includes('--as-of')) args.push('--as-of', AS_OF);
  await run(process.execPath, [BIN, ...args, ...fixtureFiles]);
  supplement();
  if (existsSync(join(out, 'report.json'))) report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  transactions = JSON.parse(readFileSync(join(out, 'transactions.json'), 'utf8'));
  users = JSON.parse(readFileSync(join(out, 'users.json'), 'utf8'));

  server = await serveDashboard({ dataDir: out });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => consoleProblems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => consoleProblems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await gotoDashboard();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('static server', () => {
  it('serves the page, the modules, the wasm and the data with their content types', async () => {
    const get = (p) => fetch(new URL(p, server.url));
    const cases = [
      ['/', 'text/html'], ['/dashboard/app.js', 'text/javascript'], ['/dashboard/dashboard.css', 'text/css'],
      ['/pkg/browser.js', 'text/javascript'], ['/pkg/bc_spend_bg.wasm', 'application/wasm'],
      ['/vendor/chart.umd.min.js', 'text/javascript'], ['/data/transactions.json', 'application/json'],
    ];
    for (const [p, type] of cases) {
      const res = await get(p);
      assert.equal(res.status, 200, p);
      assert.ok(res.headers.get('content-type').startsWith(type), `${p}: ${res.headers.get('content-type')}`);
      await res.arrayBuffer();
    }
    const index = await (await get('/data/index.json')).json();
    assert.ok(index.files.some((f) => f.name === 'transactions.json'));
    assert.ok(!index.files.some((f) => f.name === 'transactions.csv'), 'only the files the page reads are listed');
  });

  it('refuses paths outside its folders, other methods and other host names', async () => {
    for (const p of ['/data/../package.json', '/data/%2e%2e/%2e%2e/package.json', '/pkg/..%2f..%2fwww%2fpackage.json', '/dashboard/..%5c..%5cpackage.json', '/data/%00', '/www/package.json', '/node_modules/chart.js/package.json', '/dashboard/']) {
      const res = await fetch(new URL(p, server.url));
      assert.equal(res.status, 404, p);
      await res.text();
    }
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    await post.text();
    // a raw request with another Host header (DNS rebinding)
    const { request } = await import('node:http');
    const status = await new Promise((ok, fail) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/data/report.json', headers: { host: 'evil.example:80' } }, (res) => { res.resume(); ok(res.statusCode); });
      req.on('error', fail);
      req.end();
    });
    assert.equal(status, 403);
    await assert.rejects(serveDashboard({ dataDir: out, host: '0.0.0.0' }), /loopback/);
  });

  it('`bc-spend dashboard DIR` prints the address and serves until stopped', async () => {
    const child = spawn(process.execPath, [BIN, 'dashboard', out, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise((ok, fail) => {
        let text = '';
        child.stdout.on('data', (d) => { text += d; const m = text.match(/http:\/\/127\.0\.0\.1:\d+\//); if (m) ok(m[0]); });
        child.on('exit', (code) => fail(new Error(`exited ${code}`)));
      });
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<title>bc-spend/);
    } finally {
      const exited = new Promise((ok) => child.on('exit', ok));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });
});

describe('dashboard in Chromium', () => {
  it('shows the headline figures of report.json', async () => {
    assert.ok(report, 'report.json was produced');
    const choice = report.rankingCurrency;
    assert.ok(choice, 'the sample has spend, so the report names a ranking currency');
    const total = choice.reporting ? report.reportingTotal : report.totals.find((x) => x.currency === choice.currency);
    const shown = await page.$$eval('#figures dd[data-figure]', (dds) => Object.fromEntries(dds.map((d) => [d.dataset.figure, { value: d.dataset.value, text: d.textContent.trim() }])));
    const expectText = await page.evaluate(async ([amounts, cur]) => {
      const { money } = await import('/dashboard/format.js');
      return amounts.map((a) => money(a, cur));
    }, [[total.amountExcludingTax, total.matchedExcludingTax, total.unmatchedExcludingTax], choice.currency]);
    assert.equal(shown.totalExcludingTax.value, total.amountExcludingTax);
    assert.equal(shown.totalExcludingTax.text, expectText[0]);
    assert.equal(shown.matchedExcludingTax.value, total.matchedExcludingTax);
    assert.equal(shown.matchedExcludingTax.text, expectText[1]);
    assert.equal(shown.unmatchedExcludingTax.value, total.unmatchedExcludingTax);
    assert.equal(shown.unmatchedExcludingTax.text, expectText[2]);
    assert.equal(Number(shown.apps.value), report.counts.apps);
    assert.equal(Number(shown.included.value), report.counts.included);
    assert.equal(Number(shown.unmatchedVendors.value), report.counts.unmatchedVendors);
    assert.equal(Number(shown.insights.value), report.insights.length);
    // every annual subscription is in renewals; the figure counts those due in the window
    assert.equal(Number(shown.renewals.value), report.renewals.filter((x) => x.inWindow).length);
    assert.ok(report.renewals.some((x) => !x.inWindow), 'the sample has an annual renewal beyond the window');
    assert.match(await page.textContent('#source'), new RegExp(`As of ${report.asOf}`));

    // the per-app data table under the chart (built when opened) lists every app with its spend
    await page.click('#data-apps >> xpath=.. >> summary');
    await page.waitForSelector('#data-apps tbody tr');
    const appRows = await page.$$eval('#data-apps tbody tr', (rows) => rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent, r.cells[2].textContent, r.cells[3].textContent]));
    const expectedApps = report.apps.filter((a) => (choice.reporting ? a.reporting : a.spend.some((m) => m.currency === choice.currency)));
    assert.equal(appRows.length, expectedApps.length);
    const moneyTexts = await page.evaluate(async ([list, cur]) => {
      const { money } = await import('/dashboard/format.js');
      return list.map((a) => money(a, cur));
    }, [expectedApps.map((a) => (choice.reporting ? a.reporting.amountExcludingTax : a.spend.find((m) => m.currency === choice.currency).amountExcludingTax)), choice.currency]);
    const seatPrices = await page.evaluate(async (list) => {
      const { money } = await import('/dashboard/format.js');
      return list.map((p) => (p ? money(p.amount, p.currency) : '–'));
    }, expectedApps.map((a) => a.pricePerSeatMonthly));
    for (const [i, a] of expectedApps.entries()) {
      const row = appRows.find((r) => r[0] === a.appName);
      assert.ok(row, `${a.appName} in the apps table`);
      assert.equal(row[1], moneyTexts[i], a.appName);
      // seats and price per seat a month: the core's figures for the app's main subscription
      assert.equal(row[2], a.seats == null ? '–' : String(a.seats), `${a.appName} seats`);
      assert.equal(row[3], seatPrices[i], `${a.appName} price per seat`);
    }
    assert.ok(expectedApps.some((a) => a.seats != null), 'the sample has an app whose lines say seats');
    // an app's seat or price insight is linked from its seats; the link shows that insight
    const linked = await page.$$eval('#data-apps button[data-insight]', (b) => b.map((x) => x.dataset.insight));
    const seatKinds = ['seatsIncrease', 'seatsDecrease', 'priceIncrease', 'priceDecrease', 'channelPriceGap'];
    const expectLinked = expectedApps.flatMap((a) => {
      const i = report.insights.find((x) => x.appId === a.appId && seatKinds.includes(x.kind));
      return i && (a.seats != null || a.pricePerSeatMonthly) ? [i.id] : [];
    });
    assert.deepEqual([...new Set(linked)].sort(), [...new Set(expectLinked)].sort());
    const target = report.insights.at(-1);
    await page.evaluate((id) => globalThis.bcSpendDashboard.showInsight(id), target.id);
    assert.equal(await page.getAttribute('#tab-insights', 'aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.id), target.id);
    assert.equal(await page.$eval('#insights li.target', (li) => li.dataset.id), target.id);
    await page.click('#tab-overview');

    // users figures
    await page.click('#tab-users');
    const u = await page.$$eval('#user-figures dd[data-figure]', (dds) => Object.fromEntries(dds.map((d) => [d.dataset.figure, Number(d.dataset.value)])));
    assert.equal(u['users.persons'], report.users.persons);
    assert.equal(u['users.active'], report.users.active);
    assert.equal(u['users.inactive'], report.users.inactive);
    assert.equal(u['users.withoutEmail'], report.users.withoutEmail.length);
    assert.equal(await page.$$eval('#user-table tbody tr[data-id]', (r) => r.length), users.length);
    await shot('users');
    await page.click('#tab-overview');
    await shot('overview');
  });

  it('draws the charts', async () => {
    assert.ok(report, 'report.json was produced');
    await page.click('#tab-overview');
    for (const id of ['chart-apps', 'chart-months', 'chart-categories']) {
      const painted = await page.$eval(`#${id}`, (c) => {
        if (!c.width || !c.height) return 0;
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n += 1;
        return n / (c.width * c.height);
      });
      assert.ok(painted > 0.01, `${id}: ${(painted * 100).toFixed(2)}% of the canvas painted`);
    }
    // stacking by category redraws the monthly chart with the report's categories
    await page.check('input[name="stack-by"][value="category"]');
    const legend = await page.evaluate(() => globalThis.Chart.getChart('chart-months').data.datasets.map((d) => d.label));
    assert.ok(legend.includes('Unmatched'));
    assert.ok(legend.length >= Math.min(2, report.categories.length + 1));
  });

  it('filters, searches and sorts the transactions table', async () => {
    await page.click('#tab-transactions');
    const statusText = () => page.textContent('#tx-status-line');
    assert.match(await statusText(), new RegExp(`^${transactions.length} of ${transactions.length} transactions`));
    assert.equal((await tableIds()).length, transactions.length);

    await page.selectOption('#tx-status', 'unmatched');
    const unmatched = transactions.filter((x) => !x.match && !x.ignoredByRule).map((x) => x.id).sort();
    assert.deepEqual((await tableIds()).sort(), unmatched);

    await page.selectOption('#tx-status', '');
    const slack = transactions.filter((x) => x.match?.appId === 'slack').map((x) => x.id).sort();
    assert.ok(slack.length > 0, 'the sample has Slack spend');
    await page.selectOption('#tx-app', 'slack');
    assert.deepEqual((await tableIds()).sort(), slack);
    await page.selectOption('#tx-app', '');

    await page.fill('#tx-search', 'zoom dental');
    await page.waitForFunction(() => document.querySelectorAll('#tx-table tbody tr[data-id]').length === 1);
    assert.match(await page.textContent('#tx-table tbody tr'), /Zoom Dental/);

    await page.click('#tx-reset');
    assert.equal((await tableIds()).length, transactions.length);

    // sorting by amount, largest first then smallest first
    await page.click('#tx-table th[data-col="amount"] button');
    const byAmount = await page.$$eval('#tx-table tbody td[data-value]', (tds) => tds.map((td) => Number(td.dataset.value)));
    const desc = [...byAmount].sort((a, b) => b - a);
    assert.deepEqual(byAmount, desc);
    assert.equal(await page.getAttribute('#tx-table th[data-col="amount"]', 'aria-sort'), 'descending');
    await page.click('#tx-table th[data-col="amount"] button');
    assert.equal(await page.getAttribute('#tx-table th[data-col="amount"]', 'aria-sort'), 'ascending');
  });

  it('explains a row: what decided, the evidence, the confidence and the runner-up', async () => {
    await page.click('#tab-transactions');
    const tx = transactions.find((x) => x.match?.runnerUp) ?? transactions.find((x) => x.match);
    await page.fill('#tx-search', tx.id);
    await page.waitForFunction(() => document.querySelectorAll('#tx-table tbody tr[data-id]').length === 1);
    await page.click(`#tx-table tbody tr[data-id="${tx.id}"] button`);
    await page.waitForSelector(`#explain:not([hidden]) [data-id="${tx.id}"]`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'explain', 'focus moves to the panel');
    assert.equal(await page.textContent('#explain [data-field="decidedBy"]'), tx.match.decidedBy);
    const runnerUp = await page.textContent('#explain [data-field="runnerUp"]');
    if (tx.match.runnerUp) assert.ok(runnerUp.includes(tx.match.runnerUp.appName));
    assert.equal(await page.$$eval('#explain .evidence li', (l) => l.length), tx.match.evidence.length);
    await shot('transactions-explained');

    const rejected = transactions.find((x) => !x.match && !x.ignoredByRule);
    await page.fill('#tx-search', rejected.id);
    await page.waitForFunction(() => document.querySelectorAll('#tx-table tbody tr[data-id]').length === 1);
    await page.click(`#tx-table tbody tr[data-id="${rejected.id}"] button`);
    await page.waitForSelector(`#explain [data-id="${rejected.id}"]`);
    assert.match(await page.textContent('#explain .verdict'), /Not matched/);
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('#explain'), true, 'Escape closes the panel');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Why?', 'focus returns to the row');
    await page.click('#tx-reset');
  });

  it('links each insight to the transactions behind it', async (t) => {
    const insight = report?.insights.find((i) => i.transactionIds.length > 0);
    if (!insight) {
      t.skip(report ? 'the sample report has no insight with transactions' : 'no report.json');
      return;
    }
    await page.click('#tab-insights');
    assert.equal(await page.$$eval('#insights li.insight', (l) => l.length), report.insights.length);
    await shot('insights');
    await page.click(`#insights li[data-id="${insight.id}"] button`);
    assert.equal(await page.getAttribute('#tab-transactions', 'aria-selected'), 'true');
    assert.deepEqual((await tableIds()).sort(), [...insight.transactionIds].sort());
    assert.match(await page.textContent('#tx-scope'), new RegExp(insight.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await page.click('#tx-reset');
  });

  it('is usable from the keyboard: arrow keys move between tabs', async () => {
    await page.focus('#tab-overview');
    await page.click('#tab-overview');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getAttribute('#tab-insights', 'aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-insights');
    await page.keyboard.press('End');
    assert.equal(await page.getAttribute('#tab-rules', 'aria-selected'), 'true');
    // every form control has an accessible name
    const unlabelled = await page.$$eval('input, select, button', (els) => els.filter((el) => {
      if (el.type === 'hidden' || el.closest('[hidden]')) return false;
      const name = el.getAttribute('aria-label') || el.labels?.[0]?.textContent.trim() || el.textContent.trim() || el.getAttribute('title');
      return !name;
    }).map((el) => el.outerHTML.slice(0, 80)));
    assert.deepEqual(unlabelled, []);
  });

  it('rebuilds the live engine from the state.bcs of the data directory (its bytes, read by Engine.fromState)', async () => {
    await page.waitForFunction(() => document.body.dataset.engine === 'live', null, { timeout: 15_000 });
    const stateUrl = await page.evaluate(() => globalThis.bcSpendDashboard.data.stateUrl);
    assert.match(stateUrl ?? '', /\/data\/state\.bcs$/);
  });

  it('previews a new rule that moves a transaction to another app, applies it and downloads the rules', async () => {
    // The live engine comes from state.bcs (demo/sync) or, without Engine.fromState, from the
    // raw Business Central pages dropped on the page with a run.json naming the options.
    let engine = await page.getAttribute('body', 'data-engine');
    if (engine !== 'live') {
      const dropDir = join(tmp, 'drop');
      mkdirSync(dropDir, { recursive: true });
      writeFileSync(join(dropDir, 'run.json'), JSON.stringify({ engineOptions: { connectedAt: CONNECTED_AT }, reportOptions: { asOf: AS_OF } }));
      await page.setInputFiles('#file-input', [...fixtureFiles, join(dropDir, 'run.json')]);
      await page.waitForFunction(() => document.body.dataset.engine === 'live' && globalThis.bcSpendDashboard.data.origin === 'files', null, { timeout: 10_000 });
      engine = 'live';
    }
    assert.equal(engine, 'live', await page.textContent('#rules-mode'));
    await page.click('#tab-rules');

    const slack = transactions.find((x) => x.match?.appId === 'slack');
    const zoom = transactions.find((x) => x.match?.appId === 'zoom');
    assert.ok(slack && zoom, 'the sample has Slack and Zoom spend');
    await page.check('input[name="action"][value="matchTo"]');
    await page.fill('#rule-app', `Zoom (zoom)`);
    await page.selectOption('#rule-vendor-op', 'equals');
    await page.fill('#rule-vendor-value', slack.vendorName);
    await page.waitForSelector(`#preview-table tbody tr[data-id="${slack.id}"]`, { timeout: 5000 });
    const row = await page.$eval(`#preview-table tbody tr[data-id="${slack.id}"]`, (tr) => ({
      before: tr.querySelector('.before').dataset.appId, after: tr.querySelector('.after').dataset.appId,
    }));
    assert.deepEqual(row, { before: 'slack', after: 'zoom' });
    const moved = transactions.filter((x) => x.vendorName === slack.vendorName && x.match?.appId !== 'zoom').length;
    assert.equal(await page.$$eval('#preview-table tbody tr[data-id]', (r) => r.length), moved);
    await shot('rules-preview');

    await page.click('#rule-add');
    await page.waitForSelector('#rule-list li[data-rule-id="rule-1"]');
    assert.equal(await page.$$eval('#rule-list li[data-rule-id]', (l) => l.length), 1);
    await page.click('#rules-apply');
    await page.waitForFunction(() => document.getElementById('rules-dirty').hidden);
    const after = await page.evaluate((id) => globalThis.bcSpendDashboard.rows.find((x) => x.id === id), slack.id);
    assert.equal(after.appId, 'zoom');
    assert.equal(after.decidedBy, 'rule');
    const zoomApp = await page.evaluate(() => globalThis.bcSpendDashboard.report.apps.find((a) => a.appId === 'zoom'));
    assert.ok(zoomApp.transactionIds.includes(slack.id), 'the recomputed report counts the moved transaction under Zoom');
    await page.click('#tab-transactions');
    await page.selectOption('#tx-app', 'zoom');
    assert.ok((await tableIds()).includes(slack.id));
    await page.click('#tx-reset');

    await page.click('#tab-rules');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rules-download')]);
    assert.equal(download.suggestedFilename(), 'rules.json');
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(saved.rules.length, 1);
    assert.deepEqual(saved.rules[0], { id: 'rule-1', priority: 100, action: 'matchTo', appId: 'zoom', vendor: { op: 'equals', value: slack.vendorName } });
    // the file is accepted by the CLI's --rules
    const rulesFile = join(tmp, 'rules.json');
    writeFileSync(rulesFile, readFileSync(await download.path()));
    await run(process.execPath, [BIN, 'analyze', '--out', join(tmp, 'out-rules'), '--connected-at', CONNECTED_AT, '--quiet', '--rules', rulesFile, ...fixtureFiles]);
    const rerun = JSON.parse(readFileSync(join(tmp, 'out-rules', 'transactions.json'), 'utf8'));
    assert.equal(rerun.find((x) => x.id === slack.id).match.appId, 'zoom');

    // an invalid regex is refused with the engine's message, not added
    await page.check('input[name="action"][value="ignore"]');
    await page.selectOption('#rule-vendor-op', 'regex');
    await page.fill('#rule-vendor-value', '([');
    await page.click('#rule-add');
    await page.waitForFunction(() => document.getElementById('rule-error').textContent.trim() !== '');
    assert.match(await page.textContent('#rule-error'), /regex|regular expression|parse/i);
    assert.equal(await page.$$eval('#rule-list li[data-rule-id]', (l) => l.length), 1);
    await page.click('#rule-clear');
    await shot('rules-applied');
  });

  it('reads dropped output files without a server data directory', async () => {
    const bare = await serveDashboard({ dataDir: join(tmp, 'missing') });
    try {
      await gotoDashboard(bare.url);
      assert.equal(await page.isVisible('#empty'), true);
      const files = ['transactions.json', 'users.json', ...(report ? ['report.json'] : [])].map((f) => join(out, f));
      await page.setInputFiles('#file-input', files);
      await page.waitForFunction((n) => globalThis.bcSpendDashboard.rows.length === n && document.body.dataset.engine, transactions.length);
      assert.equal(await page.isHidden('#empty'), true);
      assert.equal(await page.getAttribute('body', 'data-engine'), 'read-only');
      await page.click('#tab-transactions');
      assert.equal((await tableIds()).length, transactions.length);
    } finally {
      await bare.close();
    }
  });

  it('rebuilds a live engine from dropped Business Central pages', async () => {
    const bare = await serveDashboard({ dataDir: join(tmp, 'missing') });
    try {
      await gotoDashboard(bare.url);
      const dropDir = join(tmp, 'drop-pages');
      mkdirSync(dropDir, { recursive: true });
      writeFileSync(join(dropDir, 'run.json'), JSON.stringify({ engineOptions: { connectedAt: CONNECTED_AT }, reportOptions: { asOf: AS_OF } }));
      await page.setInputFiles('#file-input', [...fixtureFiles, join(dropDir, 'run.json')]);
      await page.waitForFunction(() => document.body.dataset.engine === 'live' && globalThis.bcSpendDashboard.data.origin === 'files', null, { timeout: 15_000 });
      const shown = await page.evaluate(() => ({ ids: globalThis.bcSpendDashboard.rows.map((r) => r.id).sort(), users: globalThis.bcSpendDashboard.users.length, report: globalThis.bcSpendDashboard.report }));
      assert.deepEqual(shown.ids, transactions.map((x) => x.id).sort());
      assert.equal(shown.users, users.length);
      if (report) {
        assert.deepEqual(shown.report.totals, report.totals, 'the engine in the page computes the same report as the CLI');
        await page.click('#tab-overview');
        assert.equal(await page.getAttribute('#figures dd[data-figure="apps"]', 'data-value'), String(report.counts.apps));
      }
    } finally {
      await bare.close();
    }
  });

  it('logs nothing to the console', () => {
    assert.deepEqual(consoleProblems, []);
    if (supplemented.length) process.stderr.write(`# note: analyze did not write ${supplemented.join(', ')}; the test built them from pkg/node.js\n`);
  });
});

describe('a blank local currency', () => {
  it('is named with the core\'s label, never "(none)" or an empty code', async () => {
    const { currencyChoices } = await import('../dashboard/overview.js');
    const report = { totals: [{ currency: '' }, { currency: 'USD' }], currencyMissing: { transactions: 1, label: 'no currency', remedy: 'run again with --default-currency CODE' } };
    assert.deepEqual(currencyChoices(report).map((c) => c.label), ['no currency only', 'USD only']);
    // Chart captions and column headers print `name`.
    assert.deepEqual(currencyChoices(report).map((c) => c.name), ['no currency', 'USD']);
  });
  it('shows the core\'s remedy where the total is', async () => {
    const { currencyChoices, totalNote } = await import('../dashboard/overview.js');
    const totals = [{ currency: '', amountExcludingTax: '1.00', amountIncludingTax: '1.20' }, { currency: 'USD', amountExcludingTax: '1.00', amountIncludingTax: '1.20' }];
    const report = { totals, currencyMissing: { transactions: 1, label: 'no currency', remedy: 'run again with --default-currency CODE' } };
    const [blank, usd] = currencyChoices(report);
    assert.equal(totalNote(report, blank), 'run again with --default-currency CODE');
    assert.match(totalNote(report, usd), /incl\. tax$/);
  });
});
