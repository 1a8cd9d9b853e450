// The CLI as a user runs it: `www/bin/bc-spend analyze` and `explain` in a child process,
// over the fixture pages, checking files, totals to the cent, messages and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'www/bin/bc-spend');
const SAMPLE = join(ROOT, 'tests/fixtures/sample');

function run(args, opts = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: opts.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp() {
  return mkdtempSync(join(tmpdir(), 'bc-spend-cli-'));
}

// Sums exact decimal strings (up to 4 decimals) as integers of ten-thousandths.
function sum(values) {
  let total = 0n;
  for (const v of values) {
    const m = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(v);
    assert.ok(m, `not a decimal string: ${v}`);
    const n = BigInt(m[2]) * 10000n + BigInt((m[3] ?? '').padEnd(4, '0'));
    total += m[1] ? -n : n;
  }
  const sign = total < 0n ? '-' : '';
  const a = total < 0n ? -total : total;
  return `${sign}${a / 10000n}.${String(a % 10000n).padStart(4, '0').slice(0, 2)}`;
}

function byCurrency(txs) {
  const out = {};
  for (const t of txs) (out[t.currency] ??= []).push(t);
  return Object.fromEntries(
    Object.entries(out)
      .sort()
      .map(([c, ts]) => [c, { n: ts.length, ex: sum(ts.map((t) => t.amountExcludingTax)), inc: sum(ts.map((t) => t.amountIncludingTax)) }]),
  );
}

const EXPECTED_TOTALS = {
  EUR: { ex: '3174.21', inc: '3809.05' },
  GBP: { ex: '133.59', inc: '160.31' },
  USD: { ex: '32042.40', inc: '33116.76' },
};

test('analyze writes the output files with totals to the cent, invoice mode', () => {
  const out = tmp();
  const r = run(['analyze', '--out', out, '--connected-at', '2026-11-26', SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['transactions.json', 'transactions.csv', 'users.json', 'diagnostics.json', 'summary.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const txs = JSON.parse(readFileSync(join(out, 'transactions.json'), 'utf8'));
  const totals = byCurrency(txs);
  assert.deepEqual(Object.keys(totals), ['EUR', 'GBP', 'USD']);
  assert.deepEqual([totals.EUR.n, totals.GBP.n, totals.USD.n], [1, 2, 6]);
  for (const [c, e] of Object.entries(EXPECTED_TOTALS)) assert.deepEqual({ ex: totals[c].ex, inc: totals[c].inc }, e, c);
  // The output contract.
  for (const t of txs) {
    for (const k of ['id', 'companyId', 'invoiceId', 'invoiceNumber', 'date', 'vendorId', 'vendorName', 'description', 'currency']) assert.ok(k in t, k);
    assert.equal(t.lineId, null);
    assert.match(t.date, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(typeof t.amountExcludingTax, 'string');
    assert.ok(Array.isArray(t.lines) && t.lines.length > 0);
    for (const l of t.lines) for (const k of ['lineId', 'description', 'lineType', 'amountExcludingTax', 'amountIncludingTax']) assert.ok(k in l, k);
    assert.ok('match' in t);
  }
  const users = JSON.parse(readFileSync(join(out, 'users.json'), 'utf8'));
  assert.equal(users.length, 8);
  for (const u of users) {
    assert.ok(['active', 'inactive'].includes(u.status));
    assert.ok(['person', 'application', 'group', 'agent'].includes(u.kind));
    assert.ok('email' in u && 'displayName' in u && 'userName' in u);
  }
  assert.match(r.stderr, /USD: 32042\.40 excl\. tax, 33116\.76 incl\. tax in 6 transactions/);
  const csv = readFileSync(join(out, 'transactions.csv'), 'utf8').split(/\r?\n/).filter(Boolean);
  assert.equal(csv.length, txs.length + 1, 'a header and one row per transaction');
  rmSync(out, { recursive: true });
});

test('analyze in line mode gives the same totals, one transaction per non-comment line', () => {
  const out = tmp();
  const r = run(['analyze', '--quiet', '--line-mode', 'line', '--out', out, '--connected-at', '2026-11-26', SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const txs = JSON.parse(readFileSync(join(out, 'transactions.json'), 'utf8'));
  const totals = byCurrency(txs);
  assert.deepEqual([totals.EUR.n, totals.GBP.n, totals.USD.n], [3, 2, 9]);
  for (const [c, e] of Object.entries(EXPECTED_TOTALS)) assert.deepEqual({ ex: totals[c].ex, inc: totals[c].inc }, e, c);
  for (const t of txs) {
    assert.notEqual(t.lineId, null);
    assert.notEqual(t.lineType, 'comment');
  }
  assert.equal(new Set(txs.map((t) => t.id)).size, txs.length, 'ids are unique');
  rmSync(out, { recursive: true });
});

test('bad arguments exit 2 with a message; unreadable input exits 3', () => {
  let r = run(['analyze']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /needs at least one file/);
  r = run(['analyze', '--line-mode', 'lines', SAMPLE, '--out', tmp()]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /INVALID_OPTION at lineMode/);
  r = run(['analyze', '--bogus', SAMPLE]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bogus/);
  r = run(['analyze', join(SAMPLE, 'no-such-file.json')]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /no such file/);
  r = run(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command/);
  const dir = tmp();
  const rules = join(dir, 'rules.json');
  writeFileSync(rules, '{ not json');
  r = run(['analyze', '--rules', rules, SAMPLE, '--out', dir]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /rules file/);
});

test('a page that is not JSON is reported, not fatal, and nothing else is lost', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'broken.json'), '{"value": [ {"id": ');
  const out = join(dir, 'out');
  const r = run(['analyze', '--out', out, '--connected-at', '2026-11-26', '--entity', 'purchaseInvoices', '--company', 'c1', join(dir, 'broken.json'), join(SAMPLE, 'us-purchaseInvoices-1.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /broken\.json: page not read/);
  const diags = JSON.parse(readFileSync(join(out, 'diagnostics.json'), 'utf8'));
  assert.ok(diags.some((d) => d.severity === 'error' && /PAGE/.test(d.code)), JSON.stringify(diags));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.counts.purchaseInvoices.pagesRejected, 1);
  assert.ok(summary.transactions > 0);
});

test('analyze applies customer rules', () => {
  const dir = tmp();
  const rules = join(dir, 'rules.json');
  writeFileSync(rules, JSON.stringify([{ id: 'rent', priority: 1, action: 'ignore', vendor: { op: 'contains', value: 'Harbor Point' } }]));
  const r = run(['analyze', '--quiet', '--rules', rules, '--out', dir, '--connected-at', '2026-11-26', SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  const txs = JSON.parse(readFileSync(join(dir, 'transactions.json'), 'utf8'));
  const rent = txs.filter((t) => t.vendorName.startsWith('Harbor Point'));
  assert.ok(rent.length > 0);
  for (const t of rent) assert.equal(t.ignoredByRule, 'rent');
});

test('explain prints the decision, the evidence and near-miss reasons', () => {
  let r = run(['explain', 'Slack Technologies Limited', 'Slack Business+ - 45 users - Jan 2026']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /matched:\s+Slack \(slack\), communication/);
  assert.match(r.stdout, /decided by:\s+the vendor's name/);
  assert.match(r.stdout, /vendor\s+"Slack Technologies" \[0\.\.18\) vendorEntity/);
  r = run(['explain', 'Zoom Dental Clinic']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /matched:\s+no SaaS app/);
  assert.match(r.stdout, /why not:/);
  r = run(['explain', '--json', 'Hubspt Inc']);
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.stdout).match.appId, 'hubspot');
  r = run(['explain']);
  assert.equal(r.code, 2);
  const dir = tmp();
  writeFileSync(join(dir, 'r.json'), JSON.stringify([{ id: 'x', priority: 1, action: 'matchTo', appId: 'nope', vendor: { op: 'equals', value: 'A' } }]));
  r = run(['explain', '--rules', join(dir, 'r.json'), 'A']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /RULE_UNKNOWN_APP at rules\/0\/appId/);
});

test('transaction files are written in parts that add up to exactly the whole', async () => {
  const core = await import(join(ROOT, 'pkg/node.js'));
  const { writeOutputs } = await import(join(ROOT, 'www/cli/common.js'));
  const files = ['companies.json', ...readdirSync(SAMPLE).filter((f) => f.endsWith('.json') && f !== 'companies.json').sort()];
  for (const lineMode of ['invoice', 'line']) {
    const engine = new core.Engine({ connectedAt: '2026-11-26', lineMode });
    for (const f of files) engine.addPage(null, null, readFileSync(join(SAMPLE, f), 'utf8'));
    const n = engine.transactionCount();
    assert.ok(n >= 9, `${lineMode}: ${n} transactions`);
    const json = engine.transactionsJson();
    const csv = engine.transactionsCsv();
    assert.equal(JSON.parse(json).length, n);
    for (const step of [1, 2, 3, n - 1, n, n + 5]) {
      let j = '';
      let c = '';
      for (let at = 0; at === 0 || at < n; at += step) {
        j += engine.transactionsJsonPart(at, at + step);
        c += engine.transactionsCsvPart(at, at + step);
      }
      assert.equal(j, json, `${lineMode}: JSON in parts of ${step}`);
      assert.equal(c, csv, `${lineMode}: CSV in parts of ${step}`);
    }
    const out = tmp();
    await writeOutputs(engine, out, {}, { chunk: 4 });
    assert.equal(readFileSync(join(out, 'transactions.json'), 'utf8'), `${json}\n`);
    assert.equal(readFileSync(join(out, 'transactions.csv'), 'utf8'), csv);
    assert.deepEqual(readdirSync(out).filter((f) => f.includes('.tmp-')), [], 'no temporary file left behind');
    rmSync(out, { recursive: true, force: true });
    engine.free();
  }
  const empty = new core.Engine({ connectedAt: '2026-11-26' });
  assert.equal(empty.transactionCount(), 0);
  assert.equal(empty.transactionsJsonPart(0, 2000), '[]');
  assert.equal(empty.transactionsCsvPart(0, 2000), empty.transactionsCsv());
  empty.free();
});

test('an output file is replaced only when its bytes change, compared only when its size did not', async () => {
  const { writeAtomicParts } = await import(join(ROOT, 'www/cli/common.js'));
  const { statSync } = await import('node:fs');
  const dir = tmp();
  const f = join(dir, 'out.json');
  const big = 'x'.repeat(3 << 20); // more than one piece of the comparison
  assert.equal(await writeAtomicParts(f, [big, 'a']), true);
  const first = statSync(f);
  assert.equal(await writeAtomicParts(f, [big.slice(0, 5), big.slice(5), 'a']), false, 'same bytes in other pieces');
  assert.equal(statSync(f).ino, first.ino);
  assert.equal(await writeAtomicParts(f, [big, 'b']), true, 'same size, last byte differs');
  assert.equal(readFileSync(f, 'utf8').slice(-1), 'b');
  assert.equal(await writeAtomicParts(f, [big]), true, 'shorter');
  assert.equal(readFileSync(f, 'utf8').length, big.length);
  assert.deepEqual(readdirSync(dir), ['out.json'], 'no temp file left');
  rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------ input that is not a page

/** Control characters a terminal acts on: C0 but \n and \t, DEL, C1, bidi overrides/isolates. */
const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

test('analyze: a UTF-16 or UTF-32 page fails with exit 3 and names its encoding, with or without a BOM', () => {
  const dir = tmp();
  const page = readFileSync(join(SAMPLE, 'us-purchaseInvoices-1.json'), 'utf8');
  writeFileSync(join(dir, 'bom.json'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(page, 'utf16le')]));
  writeFileSync(join(dir, 'nobom.json'), Buffer.from(page, 'utf16le'));
  const be = Buffer.from(page, 'utf16le');
  for (let i = 0; i + 1 < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1], be[i]];
  writeFileSync(join(dir, 'be.json'), Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
  writeFileSync(join(dir, 'u32.json'), Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), ...[...page].map((c) => { const b = Buffer.alloc(4); b.writeUInt32LE(c.codePointAt(0)); return b; })]));
  for (const [name, encoding] of [['bom.json', 'UTF-16LE'], ['nobom.json', 'UTF-16LE'], ['be.json', 'UTF-16BE'], ['u32.json', 'UTF-32LE']]) {
    const out = join(dir, `out-${name}`);
    const r = run(['analyze', '--out', out, '--connected-at', '2026-11-26', join(dir, name), join(SAMPLE, 'us-purchaseInvoices-2.json')]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`${name}: the page is ${encoding} text; save it as UTF-8 .*\\(PAGE_ENCODING\\)`));
    assert.doesNotMatch(r.stderr, /unknown entity/);
    assert.ok(existsSync(join(out, 'diagnostics.json')), 'the outputs are still written');
  }
});

test('analyze: every page rejected is exit 3; one bad page among good ones stays a warning', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'broken.json'), '{"value": [ {"id": ');
  writeFileSync(join(dir, 'other.json'), 'not json at all');
  let r = run(['analyze', '--out', join(dir, 'out'), '--entity', 'purchaseInvoices', '--company', 'c1', join(dir, 'broken.json'), join(dir, 'other.json')]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /none of the 2 page\(s\) could be read/);
  r = run(['analyze', '--quiet', '--out', join(dir, 'out2'), '--entity', 'purchaseInvoices', '--company', 'c1', join(dir, 'broken.json'), join(SAMPLE, 'us-purchaseInvoices-1.json')]);
  assert.equal(r.code, 0, r.stderr);
});

test('analyze: a saved Business Central error response is exit 3, named, and its text printed without escapes', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'error.json'), JSON.stringify({ error: { code: 'BadRequest_NotFound', message: 'Bad request \x1b]0;pwned\x07\x1b[2J\u202eeman. CorrelationId: 1' } }));
  const r = run(['analyze', '--out', join(dir, 'out'), '--connected-at', '2026-11-26', SAMPLE, join(dir, 'error.json')]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /error\.json: the page is an error from Business Central, not records: BadRequest_NotFound: Bad request.*\(PAGE_BC_ERROR\)/);
  assert.doesNotMatch(r.stderr, TERMINAL_CONTROL, JSON.stringify(r.stderr));
  // The good pages were still read.
  const txs = JSON.parse(readFileSync(join(dir, 'out', 'transactions.json'), 'utf8'));
  assert.equal(txs.length, 9);
});

test('analyze follows symbolic links in a directory, reads each file once, survives a loop and reports a broken link', () => {
  const dir = tmp();
  const pages = join(dir, 'pages');
  mkdirSync(join(pages, 'nested'), { recursive: true });
  const names = readdirSync(SAMPLE).filter((f) => f.endsWith('.json'));
  // Half the pages linked one by one, the rest through a linked directory.
  const linkedDir = join(dir, 'elsewhere');
  mkdirSync(linkedDir);
  names.forEach((f, i) => {
    if (i % 2) symlinkSync(join(SAMPLE, f), join(pages, f));
    else copyFileSync(join(SAMPLE, f), join(linkedDir, f));
  });
  symlinkSync(linkedDir, join(pages, 'nested', 'more'));
  symlinkSync(pages, join(pages, 'nested', 'loop')); // back to the top
  symlinkSync(join(SAMPLE, names[1]), join(pages, 'again.json')); // a second link to one file
  symlinkSync(join(dir, 'gone.json'), join(pages, 'dangling.json'));
  const out = join(dir, 'out');
  const r = run(['analyze', '--out', out, '--connected-at', '2026-11-26', pages]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`read ${names.length} page\\(s\\) from ${names.length} file\\(s\\)`));
  assert.match(r.stderr, /dangling\.json: a symbolic link to nothing; skipped/);
  assert.match(r.stderr, /already read through another path/);
  const totals = byCurrency(JSON.parse(readFileSync(join(out, 'transactions.json'), 'utf8')));
  for (const [c, e] of Object.entries(EXPECTED_TOTALS)) assert.deepEqual({ ex: totals[c].ex, inc: totals[c].inc }, e, c);
});

test('explain prints names without terminal escapes or bidi overrides', () => {
  const r = run(['explain', 'Evil\x1b]0;pwned\x07 Corp\x1b[2J\u202e', 'line\x9b31m one\nline two']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /vendor: +Evil Corp/);
  assert.match(r.stdout, /description: line one line two/);
  assert.doesNotMatch(r.stdout.replace(/\n/g, ''), TERMINAL_CONTROL, JSON.stringify(r.stdout));
});
