// The emulator's data set: deterministic, fast, realistic; ground truth equals what HTTP serves;
// mutations move lastModifiedDateTime so incremental syncs see them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, generateDataset, datasetDigest } from '../emulator/index.js';
import { tokenFor, apiBase, bcGet, followAll } from '../emulator/testkit.js';
import { SAAS, RESELLERS } from '../emulator/catalog.js';
import { STATUS_NAMES } from '../emulator/data.js';

test('same seed -> identical data; another seed -> different data', () => {
  const a = datasetDigest(generateDataset({ seed: 42, invoices: 4000 }));
  const b = datasetDigest(generateDataset({ seed: 42, invoices: 4000 }));
  const c = datasetDigest(generateDataset({ seed: 43, invoices: 4000 }));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('generation speed for 100,000 invoices (printed, not asserted)', () => {
  const t = performance.now();
  const ds = generateDataset({ seed: 1, invoices: 100_000 });
  const ms = performance.now() - t;
  let lines = 0; let n = 0;
  for (const c of ds.companies) for (let i = 0; i < c.invoices.n; i++) { lines += c.invoices.lineCount[i]; n++; }
  assert.equal(n, 100_000);
  console.log(`# generated ${n} invoices with ${lines} lines (${(lines / n).toFixed(2)} per invoice) in ${ms.toFixed(0)} ms`);
});

test('default data set: >= 10,000 invoices over 14 months, all statuses, SaaS and non-SaaS vendors', () => {
  const ds = generateDataset({ seed: 1 });
  assert.equal(ds.startDate, '2025-09-01');
  assert.equal(ds.endDate, '2026-10-31');
  let total = 0; const statuses = {}; const currencies = new Set(); const vendorNames = new Set();
  for (const c of ds.companies) {
    const st = c.invoices; total += st.n;
    for (let i = 0; i < st.n; i++) {
      statuses[STATUS_NAMES[st.status[i]]] = (statuses[STATUS_NAMES[st.status[i]]] ?? 0) + 1;
      currencies.add(`${c.name}:${c.currencies[st.cur[i]].code}`);
      vendorNames.add(c.vendors[st.vendor[i]].displayName);
    }
  }
  assert.equal(total, 10_000);
  for (const s of ['Draft', 'Open', 'Paid', 'Canceled']) assert.ok(statuses[s] > 0, s);
  assert.ok(statuses.Paid / total > 0.85);
  assert.ok(currencies.has('Northwind Traders Ltd:USD') && currencies.has('Northwind Handels GmbH:'));
  assert.ok(SAAS.length >= 40);
  const saasBilled = SAAS.filter((a) => Object.values(a.names).some((n) => vendorNames.has(n)));
  assert.ok(saasBilled.length >= 40, `${saasBilled.length} SaaS apps invoiced`);
  for (const name of ['Zoom Dental Clinic', 'Monday Bakery LLC', 'Box Office Catering', 'SHI International Corp.', 'Microsoft Ireland Operations Limited', 'Amazon Web Services EMEA SARL', 'Atlassian Pty Ltd']) {
    assert.ok(vendorNames.has(name), name);
  }
  assert.ok(RESELLERS.every((r) => Object.values(r.names).some((n) => vendorNames.has(n))));
  assert.ok(ds.users.length >= 38 && ds.users.length <= 45);
});

test('ground truth equals a paid-invoice sync over HTTP (ids, totals per currency in cents, lines)', async () => {
  const emu = await startEmulator({ seed: 3, dataset: { invoices: 2400 } });
  try {
    const token = await tokenFor(emu);
    const since = '2025-11-26';
    const truth = emu.groundTruth({ since });
    const totals = {}; let count = 0;
    for (const c of (await bcGet(`${apiBase(emu)}/companies`, { token })).body.value) {
      const filter = encodeURIComponent(`status eq 'Paid' and postingDate ge ${since}`);
      const { rows } = await followAll(`${apiBase(emu)}/companies(${c.id})/purchaseInvoices?$filter=${filter}&$expand=purchaseInvoiceLines`, { token, maxPageSize: 300 });
      const expected = truth.companies.find((x) => x.id === c.id);
      assert.deepEqual(rows.map((r) => r.id), expected.invoices.map((r) => r.id));
      for (const [k, r] of rows.entries()) {
        const t = expected.invoices[k];
        assert.equal(r.number, t.number);
        assert.equal(Math.round(r.totalAmountIncludingTax * 100), t.includingTaxCents);
        assert.deepEqual(r.purchaseInvoiceLines.map((l) => l.netAmount), t.lines.map((l) => l.netAmount));
        const x = (totals[r.currencyCode] ??= { invoices: 0, excludingTaxCents: 0, taxCents: 0, includingTaxCents: 0 });
        x.invoices++; x.excludingTaxCents += Math.round(r.totalAmountExcludingTax * 100); x.taxCents += Math.round(r.totalTaxAmount * 100); x.includingTaxCents += Math.round(r.totalAmountIncludingTax * 100);
        count++;
      }
    }
    assert.equal(count, truth.count);
    assert.deepEqual(totals, truth.totalsByCurrency);
    assert.ok(Object.keys(truth.totalsByCurrency).includes(''), 'blank LCY company');
  } finally { await emu.close(); }
});

test('mutations: payments, reversals, edits, postings and new invoices move lastModifiedDateTime', async () => {
  const emu = await startEmulator({ seed: 9, dataset: { invoices: 900 } });
  try {
    const token = await tokenFor(emu);
    const c = emu.data.companies[0];
    const url = `${apiBase(emu)}/companies(${c.id})/purchaseInvoices`;
    const all = (await bcGet(`${url}?$select=id,number,status,lastModifiedDateTime,totalAmountIncludingTax`, { token })).body.value;
    const watermark = all.map((r) => r.lastModifiedDateTime).sort().at(-1);
    const open = all.find((r) => r.status === 'Open');
    const paid = all.find((r) => r.status === 'Paid');
    const draft = all.find((r) => r.status === 'Draft');
    const editMe = all.filter((r) => r.status === 'Paid')[5];

    emu.mutate.payInvoice(c.id, open.id);
    emu.mutate.unpayInvoice(c.id, paid.id);
    const posted = emu.mutate.postInvoice(c.id, draft.id);
    assert.equal(posted.id, draft.id);
    assert.notEqual(posted.number, draft.number);
    assert.match(draft.number, /^PI\d+$/); assert.match(posted.number, /^PPI\d+$/);
    emu.mutate.editInvoice(c.id, editMe.id, { quantity: 3, unitCost: 99.99 });
    const added = emu.mutate.addInvoices(2, { companyId: c.id, status: 'Paid' });

    const filter = encodeURIComponent(`lastModifiedDateTime gt ${watermark}`);
    const changed = (await bcGet(`${url}?$filter=${filter}&$expand=purchaseInvoiceLines`, { token })).body.value;
    const byId = new Map(changed.map((r) => [r.id, r]));
    assert.equal(changed.length, 6);
    assert.equal(byId.get(open.id).status, 'Paid');
    assert.equal(byId.get(paid.id).status, 'Open');
    assert.equal(byId.get(draft.id).status, 'Open');
    for (const a of added) assert.equal(byId.get(a.id).status, 'Paid');
    const edited = byId.get(editMe.id);
    const netCents = edited.purchaseInvoiceLines.reduce((s, l) => s + Math.round(l.netAmount * 100), 0);
    assert.equal(netCents, Math.round(edited.totalAmountExcludingTax * 100));
    assert.ok(edited.purchaseInvoiceLines.some((l) => l.quantity === 3 && l.unitCost === 99.99));
    const truth = emu.groundTruth({ companies: [c.id], lines: false });
    const truthIds = new Set(truth.companies[0].invoices.map((r) => r.id));
    assert.ok(truthIds.has(open.id) && !truthIds.has(paid.id) && added.every((a) => truthIds.has(a.id)));
    const before = emu.now();
    emu.mutate.advanceClock(3_600_000);
    assert.ok(emu.now() - before >= 3_600_000);
  } finally { await emu.close(); }
});
