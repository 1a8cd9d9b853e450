// `bc-spend analyze` writes report.json and `bc-spend report DIR` prints it: run as a user runs
// them (child processes over the fixture pages), checking the printed figures against
// report.json, the exit codes, and the engine's report() at the JS boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'www/bin/bc-spend');
const SAMPLE = join(ROOT, 'tests/fixtures/sample');
const SAMPLE_FILES = readdirSync(SAMPLE).filter((f) => f.endsWith('.json')).sort().map((f) => join(SAMPLE, f));
const AS_OF = '2026-11-26';

function run(args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp() {
  return mkdtempSync(join(tmpdir(), 'bc-spend-report-'));
}

function analyze(extra = []) {
  const out = tmp();
  const r = run(['analyze', '--out', out, '--connected-at', AS_OF, '--credit-memos', '--quiet', ...extra, ...SAMPLE_FILES]);
  assert.equal(r.code, 0, r.stderr);
  return { out, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

/** The rows of the printed table under `heading`: cells split on runs of 2+ spaces. */
function section(text, heading) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l === heading || l.startsWith(`${heading} (`));
  assert.ok(at >= 0, `no section ${heading} in:\n${text}`);
  const rows = [];
  for (const l of lines.slice(at + 3)) {
    if (!l.startsWith('  ') || l.trim() === '') break;
    rows.push(l.trim().split(/ {2,}/));
  }
  return rows;
}

test('analyze writes report.json as of --as-of; report prints its figures exactly', () => {
  const { out, report } = analyze(['--as-of', AS_OF]);
  assert.equal(report.version, 1);
  assert.equal(report.asOf, AS_OF);
  assert.equal(report.windowStart, '2025-11-26');
  // The report agrees with summary.json, written by the same run.
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(
    report.totals.map((t) => [t.currency, t.amountExcludingTax, t.amountIncludingTax, t.matchedExcludingTax]),
    summary.totals.map((t) => [t.currency, t.amountExcludingTax, t.amountIncludingTax, t.matchedExcludingTax]),
  );

  const r = run(['report', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, new RegExp(`as of ${AS_OF}`));

  const totals = section(r.stdout, 'Spend by currency');
  assert.deepEqual(
    totals,
    report.totals.map((t) => [t.currency, String(t.transactions), t.amountExcludingTax, t.amountIncludingTax, t.matchedExcludingTax, t.unmatchedExcludingTax]),
  );
  assert.deepEqual(totals.find((t) => t[0] === 'USD').slice(2, 4), ['31292.40', '32366.76']);

  for (const ranking of report.topApps) {
    const rows = section(r.stdout, `Top apps, ${ranking.currency}`);
    assert.deepEqual(
      rows,
      ranking.apps.map((a, i) => {
        // the seats and price per seat a month of the app's main subscription, when known
        const app = report.apps.find((x) => x.appId === a.appId);
        const seats = app.seats == null ? [] : [String(app.seats)];
        const price = app.pricePerSeatMonthly ? [`${app.pricePerSeatMonthly.amount} ${app.pricePerSeatMonthly.currency}`] : [];
        return [String(i + 1), a.appName, a.category, a.amountExcludingTax, `${a.sharePercent}%`, ...seats, ...price];
      }),
    );
  }
  assert.ok(report.apps.some((a) => a.seats != null), 'the sample has an app whose lines say seats');
  assert.equal(section(r.stdout, 'Top apps, USD')[0][1], 'Microsoft 365');

  const insights = section(r.stdout, 'Insights');
  assert.equal(insights.length, report.insights.length);
  assert.ok(insights.length > 0);
  assert.deepEqual(insights.map((x) => [x[2], x[3]]), report.insights.map((x) => [x.kind, x.title]));

  const renewals = section(r.stdout, 'Renewals due');
  assert.deepEqual(renewals.map((x) => [x[0], x[1], x[2], x[4], x[5]]), report.renewals.filter((x) => x.inWindow).map((x) => [x.dueDate, String(x.daysUntil), x.appName, x.expectedAmount, x.currency]));

  const unmatched = section(r.stdout, 'Unmatched spend by vendor');
  assert.deepEqual(unmatched.map((x) => x[0]), report.unmatched.map((u) => u.vendorName));
  assert.ok(unmatched.some((x) => x[0] === 'Harbor Point Properties LLC' && x[1] === '12000.00 USD'));
});

test('--messages prints each insight in full; --insights limits the list', () => {
  const { out, report } = analyze(['--as-of', AS_OF]);
  const full = run(['report', out, '--messages']);
  assert.equal(full.code, 0, full.stderr);
  for (const i of report.insights) assert.ok(full.stdout.includes(i.message), i.message);
  const one = run(['report', out, '--insights', '1']);
  assert.equal(section(one.stdout, 'Insights').length, 1);
  assert.match(one.stdout, new RegExp(`Insights \\(1 of ${report.insights.length}\\)`));
  assert.equal(run(['report', out, '--insights', 'many']).code, 2);
});

test('--as-of defaults to today (the host clock, in UTC)', () => {
  const before = new Date().toISOString().slice(0, 10);
  const { report } = analyze();
  const after = new Date().toISOString().slice(0, 10);
  assert.ok([before, after].includes(report.asOf), report.asOf);
});

test('a reporting currency with rates adds converted figures; the originals stay', () => {
  const dir = tmp();
  const rates = join(dir, 'rates.json');
  writeFileSync(rates, JSON.stringify([
    { date: '2025-01-01', from: 'USD', to: 'EUR', rate: '0.9' },
    { date: '2025-01-01', from: 'GBP', to: 'EUR', rate: '1.2' },
  ]));
  const { out, report } = analyze(['--as-of', AS_OF, '--reporting-currency', 'EUR', '--rates', rates]);
  assert.equal(report.reportingCurrency, 'EUR');
  const t = report.reportingTotal;
  // 31292.40 x 0.9 + 133.59 x 1.2 + 3174.21 = 28163.16 + 160.308 + 3174.21, summed per transaction.
  assert.equal(t.amountExcludingTax, '31497.678');
  assert.equal(t.complete, true);
  assert.equal(report.totals.find((x) => x.currency === 'USD').amountExcludingTax, '31292.40');
  const r = run(['report', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(section(r.stdout, 'Spend by currency').some((row) => row[0] === 'EUR (all, converted)' && row[2] === '31497.678'));
  assert.ok(r.stdout.includes('Top apps, EUR (converted)'));
});

test('bad report options are usage errors (exit 2) naming the option', () => {
  const bad = run(['analyze', '--out', tmp(), '--as-of', '26.11.2026', ...SAMPLE_FILES]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--as-of must be a date written YYYY-MM-DD/);
  const rates = join(tmp(), 'rates.json');
  writeFileSync(rates, JSON.stringify([{ date: '2025-01-01', from: 'USD', to: 'EUR', rate: 0.9 }]));
  const num = run(['analyze', '--out', tmp(), '--as-of', AS_OF, '--reporting-currency', 'EUR', '--rates', rates, ...SAMPLE_FILES]);
  assert.equal(num.code, 2);
  assert.match(num.stderr, /INVALID_OPTION at rates\/0\/rate/);
});

test('report refuses a missing directory, a missing, broken or foreign report.json', () => {
  const missing = run(['report', join(tmpdir(), 'no-such-bc-spend-dir')]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /no such directory/);
  const empty = tmp();
  const none = run(['report', empty]);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no report\.json in .*bc-spend analyze/);
  writeFileSync(join(empty, 'report.json'), '{ "version": 1, ');
  const broken = run(['report', empty]);
  assert.equal(broken.code, 3);
  assert.match(broken.stderr, /not valid JSON/);
  writeFileSync(join(empty, 'report.json'), JSON.stringify([{ id: 'tx_1' }]));
  const foreign = run(['report', empty]);
  assert.equal(foreign.code, 3);
  assert.match(foreign.stderr, /not a bc-spend report/);
  assert.equal(run(['report']).code, 2);
  const file = join(empty, 'report.json');
  assert.equal(run(['report', file]).code, 3);
  assert.equal(run(['help', 'report']).code, 0);
});

test('report prints names from Business Central without terminal escapes, controls or bidi overrides', () => {
  const { out, report } = analyze(['--as-of', AS_OF]);
  // Every name, title and message gains an OSC title change, a screen clear, a colour, an 8-bit
  // CSI, a line break and a right-to-left override.
  const EVIL = '\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b1mX\r\ny\u202e\x00';
  let tainted = 0;
  const taint = (v, key) => {
    if (typeof v === 'string') {
      if (/(Name|name|title|message|vendor)$/.test(key ?? '')) { tainted += 1; return v + EVIL; }
      return v;
    }
    if (Array.isArray(v)) return v.map((x) => taint(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, taint(x, k)]));
    return v;
  };
  writeFileSync(join(out, 'report.json'), JSON.stringify(taint(report)));
  assert.ok(tainted > 10, `tainted ${tainted} strings`);
  const r = run(['report', out, '--messages']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/, JSON.stringify(r.stdout.slice(0, 400)));
  // The names are still there, on one line each, and the tables stay aligned.
  const vendors = section(r.stdout, 'Unmatched spend by vendor');
  assert.ok(vendors.length > 0);
  assert.ok(vendors.some((row) => /X y/.test(row[0])), JSON.stringify(vendors));
  const header = r.stdout.split('\n').find((l) => l.startsWith('  Vendor'));
  const rule = r.stdout.split('\n')[r.stdout.split('\n').indexOf(header) + 1];
  assert.ok(rule.length >= header.trimEnd().length, 'the rule under the header is as wide as the header');
});

test('engine.report() at the JS boundary: plain data, exact conversion, coded errors', async () => {
  const core = await import(join(ROOT, 'pkg/node.js'));
  const engine = new core.Engine({ connectedAt: AS_OF });
  for (const f of SAMPLE_FILES) engine.addPage(null, null, readFileSync(f, 'utf8'));
  const r = engine.report({ asOf: AS_OF, reportingCurrency: 'USD', rates: [{ date: '2025-06-01', from: 'EUR', to: 'USD', rate: '1.0833' }] });
  assert.equal(r.version, 1);
  // No GBP rate: GBP spend is not guessed, it is reported missing.
  assert.equal(r.reportingTotal.complete, false);
  assert.deepEqual(r.dataQuality.missingRates.map((m) => m.from), ['GBP']);
  assert.ok(r.insights.some((i) => i.kind === 'missingExchangeRates'));
  const azure = r.apps.find((a) => a.appId === 'azure');
  assert.equal(azure.spend[0].amountExcludingTax, '3174.21');
  assert.equal(azure.reporting.amountExcludingTax, '3438.6217'); // 3174.21 x 1.0833 = 3438.621693, half-even to 4 places
  assert.equal(JSON.stringify(JSON.parse(engine.reportJson({ asOf: AS_OF }))), JSON.stringify(engine.report({ asOf: AS_OF })));
  const codeOf = (o) => {
    try {
      engine.report(o);
    } catch (e) {
      assert.ok(e instanceof Error);
      return [e.code, e.path];
    }
    assert.fail('no error');
  };
  assert.deepEqual(codeOf(undefined), ['MISSING_OPTION', 'asOf']);
  assert.deepEqual(codeOf({ asOf: AS_OF, bogus: true }), ['INVALID_OPTION', undefined]);
  assert.deepEqual(codeOf({ asOf: AS_OF, reportingCurrency: 'EUR', rates: [{ date: '2025-01-01', from: 'USD', to: 'EUR', rate: 0.9 }] }), ['INVALID_OPTION', 'rates/0/rate']);
  engine.free();
});

test('a blank currency prints the core\'s label and remedy, never an empty code', async () => {
  const { formatReport } = await import('../cli/report.js');
  const remedy = '1 transaction(s) have no currency ... or run again with --default-currency CODE';
  const money = { amountExcludingTax: '10.00', amountIncludingTax: '12.00', matchedExcludingTax: '10.00', unmatchedExcludingTax: '0.00' };
  const r = {
    version: 1, asOf: '2026-11-26', windowStart: null, lineMode: 'invoice',
    counts: { included: 2, matched: 2, apps: 1, unmatched: 0, unmatchedVendors: 0 },
    totals: [{ currency: '', transactions: 1, ...money }, { currency: 'USD', transactions: 1, ...money }],
    topApps: ['', 'USD'].map((currency) => ({ currency, reporting: false, apps: [{ appName: 'Slack', category: 'chat', amountExcludingTax: '10.00', sharePercent: '100.0' }] })),
    apps: [], insights: [], unmatched: [],
    renewals: [{ dueDate: '2026-12-01', daysUntil: 5, appName: 'Slack', confirmed: true, cadence: 'annual', expectedAmount: '10.00', currency: '', companyId: 'c1' }],
    users: { persons: 0, active: 0, inactive: 0, nonHuman: 0, withoutEmail: [], duplicatedEmails: [] },
    currencyMissing: { transactions: 1, label: 'no currency', remedy },
  };
  const out = formatReport(r);
  assert.ok(!out.includes('(none)'), out);
  assert.ok(!/Top apps, *\n/.test(out), out);
  assert.ok(out.includes('Top apps, no currency'), out);
  const totals = out.slice(out.indexOf('Spend by currency'), out.indexOf('Users:'));
  assert.ok(totals.includes(remedy), totals);
  assert.ok(totals.includes('  no currency '), totals);
  const renewals = out.slice(out.indexOf('Renewals due'));
  assert.ok(renewals.includes('no currency'), renewals);
});

test('the main job\'s summary prints the core\'s label and remedy where the blank currency\'s total is', async () => {
  const { formatSummary } = await import('../cli/common.js');
  const remedy = '2303 transaction(s) have no currency ... or run again with --default-currency CODE';
  const total = { amountExcludingTax: '1.00', amountIncludingTax: '1.20', transactions: 2303 };
  const out = formatSummary({
    transactions: 2303, matchedTransactions: 0, lineMode: 'invoice', windowStart: '2025-11-01',
    totals: [{ currency: '', ...total }], counts: {}, users: { total: 0 }, diagnosticsByCode: {},
    currencyMissing: { transactions: 2303, label: 'no currency', remedy },
  });
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('  no currency: 1.00 excl. tax'));
  assert.ok(at > 0, out);
  assert.ok(lines[at + 1].includes(remedy), out);
  assert.ok(!out.includes('(unknown currency)'), out);
});
