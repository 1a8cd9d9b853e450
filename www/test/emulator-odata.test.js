// The emulator's BC API: paging with maxpagesize and verbatim nextLinks, $filter / $select /
// $expand / $orderby / $top, BC's errors, the purchase invoice line quirks and entity shapes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../emulator/index.js';
import { tokenFor, apiBase, bcGet, followAll } from '../emulator/testkit.js';

let emu; let token; let base; let companies;
before(async () => {
  emu = await startEmulator({ seed: 11, dataset: { invoices: 3000 } });
  token = await tokenFor(emu);
  base = apiBase(emu);
  companies = (await bcGet(`${base}/companies`, { token })).body.value;
});
after(async () => { await emu.close(); });

const cents = (x) => Math.round(x * 100);
const inv = (c) => `${base}/companies(${c.id})/purchaseInvoices`;
const q = (s) => encodeURI(s).replace(/'/g, '%27');

test('companies: documented fields; three companies, one with a blank LCY code', async () => {
  assert.equal(companies.length, 3);
  assert.deepEqual(Object.keys(companies[0]), ['id', 'systemVersion', 'timestamp', 'name', 'displayName', 'businessProfileId', 'systemCreatedAt', 'systemCreatedBy', 'systemModifiedAt', 'systemModifiedBy']);
  const lcy = [];
  for (const c of companies) {
    const gl = await bcGet(`${base}/companies(${c.id})/generalLedgerSetup`, { token });
    assert.equal(gl.body.value.length, 1);
    lcy.push(gl.body.value[0].localCurrencyCode);
  }
  assert.deepEqual(lcy, ['USD', 'GBP', '']);
});

test('paging: maxpagesize honoured, nextLink followed verbatim covers every row exactly once', async () => {
  const c = companies[0];
  const filter = "status eq 'Paid' and postingDate ge 2025-10-01";
  const url = `${inv(c)}?$filter=${q(filter)}&$select=id,number,postingDate&$expand=purchaseInvoiceLines($select=netAmount)`;
  const { rows, pages } = await followAll(url, { token, maxPageSize: 97 });
  const truth = emu.groundTruth({ since: '2025-10-01', companies: [c.id], lines: false });
  assert.equal(rows.length, truth.count);
  assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(truth.companies[0].invoices.map((r) => r.id)));
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no duplicates');
  assert.ok(pages.length > 3);
  for (const p of pages.slice(0, -1)) {
    assert.equal(p.size, 97);
    assert.equal(p.preferenceApplied, 'odata.maxpagesize=97');
    const next = new URL(p.nextLink);
    assert.equal(next.origin, emu.apiHost);
    assert.equal(next.searchParams.get('$filter'), filter);
    assert.equal(next.searchParams.get('$expand'), 'purchaseInvoiceLines($select=netAmount)');
    assert.ok(next.searchParams.get('$skiptoken'));
  }
  assert.equal(pages.at(-1).nextLink, undefined);
  for (const r of rows) assert.deepEqual(Object.keys(r), ['@odata.etag', 'id', 'number', 'postingDate', 'purchaseInvoiceLines']);

  // Asking for more than the server maximum gets the maximum.
  const big = await bcGet(`${inv(c)}?$top=2`, { token, headers: { prefer: 'odata.maxpagesize=50000' } });
  assert.equal(big.headers.get('preference-applied'), 'odata.maxpagesize=20000');
  // Without Prefer, the server pages at 20,000 (so a 1,000-row company is one page).
  const all = await bcGet(inv(c), { token });
  assert.equal(all.body.value.length, emu.data.companies[0].invoices.n);
  assert.equal(all.body['@odata.nextLink'], undefined);
});

test('paging with $orderby and $top is stable and complete', async () => {
  const c = companies[1];
  const { rows } = await followAll(`${inv(c)}?$orderby=totalAmountIncludingTax desc,postingDate&$select=id,totalAmountIncludingTax`, { token, maxPageSize: 150 });
  assert.equal(rows.length, emu.data.companies[1].invoices.n);
  for (let k = 1; k < rows.length; k++) assert.ok(rows[k - 1].totalAmountIncludingTax >= rows[k].totalAmountIncludingTax);
  const top = await followAll(`${inv(c)}?$top=7&$select=id`, { token, maxPageSize: 3 });
  assert.deepEqual(top.pages.map((p) => p.size), [3, 3, 1]);
  const counted = await bcGet(`${inv(c)}?$count=true&$top=1&$filter=${q("status eq 'Paid'")}`, { token });
  assert.equal(counted.body['@odata.count'], emu.groundTruth({ companies: [c.id], lines: false }).count);
  const skip = await bcGet(`${inv(c)}?$top=3&$skip=2&$select=id`, { token });
  const first5 = await bcGet(`${inv(c)}?$top=5&$select=id`, { token });
  assert.deepEqual(skip.body.value.map((r) => r.id), first5.body.value.slice(2).map((r) => r.id));
});

test('$filter: comparisons on dates, datetimes, numbers, enums, strings; or on one field', async () => {
  const c = companies[0];
  const get = async (f) => { const r = await bcGet(`${inv(c)}?$filter=${q(f)}&$select=id,status,postingDate,totalAmountIncludingTax,vendorName,lastModifiedDateTime`, { token }); assert.equal(r.status, 200, r.text); return r.body.value; };
  const paidOrOpen = await get("status eq 'Paid' or status eq 'Open'");
  assert.ok(paidOrOpen.length > 0 && paidOrOpen.every((r) => r.status === 'Paid' || r.status === 'Open'));
  assert.ok(paidOrOpen.some((r) => r.status === 'Open'));
  const range = await get('postingDate ge 2026-01-01 and postingDate lt 2026-02-01');
  assert.ok(range.length > 0 && range.every((r) => r.postingDate.startsWith('2026-01')));
  const big = await get('totalAmountIncludingTax gt 5000');
  assert.ok(big.every((r) => r.totalAmountIncludingTax > 5000));
  const slack = await get("vendorName eq 'Slack Technologies, LLC' and status ne 'Draft'");
  assert.ok(slack.length >= 10 && slack.every((r) => r.vendorName === 'Slack Technologies, LLC'));
  const recent = await get('lastModifiedDateTime gt 2026-09-30T12:00:00.000Z');
  assert.ok(recent.length > 0 && recent.every((r) => r.lastModifiedDateTime > '2026-09-30T12:00:00.000Z'));
  const notPaid = await get("not (status eq 'Paid')");
  assert.ok(notPaid.every((r) => r.status !== 'Paid'));
  const starts = await get("startswith(vendorName,'Zoom')");
  assert.ok(starts.some((r) => r.vendorName === 'Zoom Dental Clinic'));
});

test('$filter errors are BC 400 bodies, including or across fields', async () => {
  const c = companies[0];
  const err = async (f, code, re) => {
    const r = await bcGet(`${inv(c)}?$filter=${q(f)}`, { token });
    assert.equal(r.status, 400, f);
    assert.equal(r.body.error.code, code, f);
    assert.match(r.body.error.message, re, f);
  };
  await err("status eq 'Paid' or postingDate ge 2026-01-01", 'BadRequest', /^The 'OR' operator is not supported on distinct fields on an OData filter\. {2}CorrelationId:/);
  await err("(status eq 'Paid' and postingDate ge 2026-01-01) or status eq 'Open'", 'BadRequest', /'OR' operator is not supported on distinct fields/);
  await err("status eq", 'BadRequest', /Syntax error/);
  await err("postingDate ge '2026-01-01'", 'BadRequest', /incompatible types.*'Edm\.Date' and 'Edm\.String'/);
  await err('nosuchField eq 1', 'BadRequest', /Could not find a property named 'nosuchField' on type 'Microsoft\.NAV\.purchaseInvoice'/);
  await err("status eq 'Paid", 'BadRequest', /unterminated string literal/);
  const sel = await bcGet(`${inv(c)}?$select=id,bogus`, { token });
  assert.equal(sel.status, 400);
  assert.match(sel.body.error.message, /Could not find a property named 'bogus'/);
  const exp = await bcGet(`${inv(c)}?$expand=purchaseInvoiceLinez`, { token });
  assert.equal(exp.status, 400);
  const opt = await bcGet(`${inv(c)}?$apply=groupby((status))`, { token });
  assert.equal(opt.status, 400);
});

test('invoice and line shapes; line amount fields are zero, net fields sum to header totals in cents', async () => {
  let discounted = 0; let comments = 0; let charges = 0; let foreign = 0; let blankLcy = 0; const lineTypes = new Set();
  for (const [k, c] of companies.entries()) {
    const { rows } = await followAll(`${inv(c)}?$expand=purchaseInvoiceLines`, { token, maxPageSize: 5000 });
    assert.equal(rows.length, emu.data.companies[k].invoices.n);
    for (const r of rows) {
      assert.equal(Object.keys(r).length, 1 + 48 + 1);
      assert.match(r['@odata.etag'], /^W\/"[A-Za-z0-9+/=]+"$/);
      const lines = r.purchaseInvoiceLines;
      let net = 0; let incl = 0; let tax = 0; let alloc = 0;
      for (const l of lines) {
        assert.equal(l.amountExcludingTax, 0); assert.equal(l.amountIncludingTax, 0); assert.equal(l.totalTaxAmount, 0);
        assert.equal(l.documentId, r.id);
        net += cents(l.netAmount); incl += cents(l.netAmountIncludingTax); tax += cents(l.netTaxAmount); alloc += cents(l.invoiceDiscountAllocation);
        lineTypes.add(l.lineType);
        if (l.lineType === 'Comment') { comments++; assert.equal(l.netAmount, 0); assert.equal(l.quantity, 0); assert.equal(l.expectedReceiptDate, '0001-01-01'); }
        if (l.lineType === 'Charge') charges++;
        if (l.lineType === 'Item') assert.equal(l.accountId, '00000000-0000-0000-0000-000000000000');
      }
      assert.equal(net, cents(r.totalAmountExcludingTax), r.id);
      assert.equal(incl, cents(r.totalAmountIncludingTax), r.id);
      assert.equal(tax, cents(r.totalTaxAmount), r.id);
      assert.equal(alloc, cents(r.discountAmount), r.id);
      if (r.discountAmount > 0) discounted++;
      if (r.currencyId !== '00000000-0000-0000-0000-000000000000') { foreign++; assert.notEqual(r.currencyCode, ''); }
      if (k === 2 && r.currencyId === '00000000-0000-0000-0000-000000000000') { blankLcy++; assert.equal(r.currencyCode, ''); }
      if (k === 0 && r.currencyId === '00000000-0000-0000-0000-000000000000') assert.equal(r.currencyCode, 'USD');
    }
  }
  assert.ok(discounted > 0 && comments > 0 && charges > 0 && foreign > 0 && blankLcy > 0, JSON.stringify({ discounted, comments, charges, foreign, blankLcy }));
  assert.ok(['Comment', 'Account', 'Item', 'Charge'].every((t) => lineTypes.has(t)));
});

test('purchaseInvoiceLines: refused without a document filter; served by filter, nested route and key', async () => {
  const c = companies[0];
  const r0 = await bcGet(`${base}/companies(${c.id})/purchaseInvoiceLines`, { token });
  assert.equal(r0.status, 400);
  assert.equal(r0.body.error.code, 'Application_DialogException');
  assert.match(r0.body.error.message, /^You must specify an Id or a Document Id to get the lines\./);
  const one = (await bcGet(`${inv(c)}?$top=1&$expand=purchaseInvoiceLines`, { token })).body.value[0];
  const byFilter = await bcGet(`${base}/companies(${c.id})/purchaseInvoiceLines?$filter=documentId eq ${one.id}`, { token });
  assert.equal(byFilter.status, 200);
  const strip = (l) => { const { '@odata.etag': _, ...rest } = l; return rest; };
  assert.deepEqual(byFilter.body.value.map(strip), one.purchaseInvoiceLines.map(strip));
  const nested = await bcGet(`${inv(c)}(${one.id})/purchaseInvoiceLines`, { token });
  assert.deepEqual(nested.body.value.map(strip), one.purchaseInvoiceLines.map(strip));
  assert.match(nested.body['@odata.context'], /#companies\([^)]+\)\/purchaseInvoices\([^)]+\)\/purchaseInvoiceLines$/);
  const lineId = one.purchaseInvoiceLines[0].id;
  const byKey = await bcGet(`${base}/companies(${c.id})/purchaseInvoiceLines(${lineId})`, { token });
  assert.equal(byKey.body.id, lineId);
  const single = await bcGet(`${inv(c)}(${one.id})?$select=id,number`, { token });
  assert.equal(single.body.id, one.id);
  assert.match(single.body['@odata.context'], /purchaseInvoices\(id,number\)\/\$entity$/);
  const missing = await bcGet(`${inv(c)}(11111111-2222-4333-8444-555555555555)`, { token });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'Internal_RecordNotFound');
});

test('@odata.context and expand with nested $select and $filter', async () => {
  const c = companies[0];
  const r = await bcGet(`${inv(c)}?$top=20&$select=id,number&$expand=purchaseInvoiceLines($select=description,netAmount;$filter=lineType ne 'Comment')`, { token });
  assert.equal(r.body['@odata.context'], `${base}/$metadata#companies(${c.id})/purchaseInvoices(id,number,purchaseInvoiceLines(description,netAmount))`);
  for (const row of r.body.value) for (const l of row.purchaseInvoiceLines) assert.deepEqual(Object.keys(l), ['@odata.etag', 'description', 'netAmount']);
});

test('vendors, credit memos and automation users look like BC', async () => {
  const c = companies[1];
  const vendors = (await bcGet(`${base}/companies(${c.id})/vendors`, { token })).body.value;
  assert.ok(vendors.length > 50);
  assert.ok(vendors.some((v) => v.displayName === 'Slack Technologies Limited' && v.website.includes('slack.com') && v.email));
  assert.ok(vendors.some((v) => v.displayName === 'Monday Bakery Ltd'));
  assert.ok(vendors.some((v) => v.blocked === 'All') && vendors.some((v) => v.blocked === '_x0020_'));
  assert.ok(vendors.some((v) => v.currencyCode === 'USD') && vendors.some((v) => v.currencyCode === 'GBP'));

  const memos = (await bcGet(`${base}/companies(${c.id})/purchaseCreditMemos`, { token })).body.value;
  assert.ok(memos.length > 0);
  const linked = await bcGet(`${inv(c)}(${memos[0].invoiceId})?$select=id,number,status`, { token });
  assert.equal(linked.status, 200);
  assert.equal(linked.body.number, memos[0].invoiceNumber);

  const users = await bcGet(`${apiBase(emu, { automation: true })}/companies(${c.id})/users`, { token });
  assert.equal(users.status, 200);
  const u = users.body.value;
  assert.ok(u.length >= 38 && u.length <= 45);
  assert.deepEqual(Object.keys(u[0]), ['@odata.etag', 'userSecurityId', 'userName', 'displayName', 'state', 'expiryDate', 'contactEmail']);
  assert.ok(u.some((x) => x.contactEmail === '' && x.state === 'Enabled' && !x.userName.startsWith('AAD')));
  assert.ok(u.some((x) => x.state === 'Disabled'));
  assert.ok(u.some((x) => x.userName.startsWith('AAD APP') && x.contactEmail === ''));
  assert.ok(u.every((x) => x.expiryDate === '0001-01-01T00:00:00Z'));
  const same = await bcGet(`${apiBase(emu, { automation: true })}/companies(${companies[0].id})/users`, { token });
  assert.deepEqual(same.body.value, u, 'users are per environment');
  const noCompany = await bcGet(`${apiBase(emu, { automation: true })}/users`, { token });
  assert.equal(noCompany.status, 400);
});
