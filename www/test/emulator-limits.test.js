// The emulator's limits (5 concurrent per identity queue, rate window -> 429) and every
// injectable fault: 429 with/without Retry-After, 502, 503, 504 on wide windows, latency,
// dropped connections, tokens expiring mid-sync, malformed pages, off-origin nextLinks.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../emulator/index.js';
import { tokenFor, apiBase, bcGet, followAll } from '../emulator/testkit.js';

let emu; let token; let invoices; let cid;
before(async () => {
  emu = await startEmulator({ seed: 5, dataset: { invoices: 900 } });
  token = await tokenFor(emu);
  cid = emu.data.companies[0].id;
  invoices = `${apiBase(emu)}/companies(${cid})/purchaseInvoices`;
});
after(async () => { await emu.close(); });
beforeEach(() => { emu.faults.clear(); emu.resetStats(); });

test('more than 5 concurrent requests per identity queue instead of failing', async () => {
  const e2 = await startEmulator({ seed: 5, dataset: { invoices: 90 }, latencyMs: 120 });
  try {
    const t = await tokenFor(e2);
    const other = await tokenFor(e2, 'noPurchasePermission'); // a second identity has its own 5
    e2.resetStats();
    const started = performance.now();
    const urls = Array.from({ length: 12 }, (_, k) => `${apiBase(e2)}/companies(${e2.data.companies[k % 3].id})/vendors?$top=${k + 1}`);
    const results = await Promise.all([...urls.map((u) => bcGet(u, { token: t })), bcGet(`${apiBase(e2)}/companies`, { token: other })]);
    const elapsed = performance.now() - started;
    assert.ok(results.every((r) => r.status === 200));
    const s = e2.stats();
    assert.equal(s.peakConcurrencyByIdentity[`app:${e2.scenarios.valid.clientId}`], 5);
    assert.equal(s.peakConcurrencyByIdentity[`app:${e2.scenarios.noPurchasePermission.clientId}`], 1);
    assert.equal(s.peakConcurrency, 6);
    assert.ok(s.peakQueued >= 6);
    assert.ok(elapsed >= 3 * 120 - 10, `12 requests at 5 at a time take 3 rounds (${elapsed.toFixed(0)} ms)`);
    assert.equal(s.countsByEntity.vendors, 12);
  } finally { await e2.close(); }
});

test('over the rate window: 429 with Retry-After when configured', async () => {
  const e2 = await startEmulator({ seed: 5, dataset: { invoices: 30 }, rateLimit: { requests: 10, windowMs: 60_000, retryAfter: true } });
  try {
    const t = await tokenFor(e2);
    const statuses = [];
    for (let k = 0; k < 12; k++) statuses.push((await bcGet(`${apiBase(e2)}/companies`, { token: t })));
    assert.deepEqual(statuses.map((r) => r.status), [...Array(10).fill(200), 429, 429]);
    assert.equal(statuses[10].body.error.code, 'TooManyRequests');
    const ra = Number(statuses[10].headers.get('retry-after'));
    assert.ok(ra >= 1 && ra <= 60);
    assert.equal(e2.stats().rateLimited, 2);
  } finally { await e2.close(); }
  const e3 = await startEmulator({ seed: 5, dataset: { invoices: 30 }, rateLimit: { requests: 1, windowMs: 60_000 } });
  try {
    const t = await tokenFor(e3);
    await bcGet(`${apiBase(e3)}/companies`, { token: t });
    const r = await bcGet(`${apiBase(e3)}/companies`, { token: t });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), null);
  } finally { await e3.close(); }
});

test('fault: 429 with and without Retry-After, then normal service', async () => {
  const f = emu.faults.add({ kind: '429', retryAfter: 2, match: { entity: 'purchaseInvoices' } });
  const a = await bcGet(`${invoices}?$top=1`, { token });
  assert.equal(a.status, 429);
  assert.equal(a.headers.get('retry-after'), '2');
  assert.equal(a.body.error.code, 'TooManyRequests');
  assert.equal(f.fired, 1);
  assert.equal((await bcGet(`${invoices}?$top=1`, { token })).status, 200);
  emu.faults.add({ kind: '429', match: { entity: 'purchaseInvoices' } });
  const b = await bcGet(`${invoices}?$top=1`, { token });
  assert.equal(b.status, 429);
  assert.equal(b.headers.get('retry-after'), null);
  // A fault can wait for its turn: let two requests through, then fire twice.
  const g = emu.faults.add({ kind: '429', after: 2, times: 2, match: { path: '/vendors' } });
  const seq = [];
  for (let k = 0; k < 5; k++) seq.push((await bcGet(`${apiBase(emu)}/companies(${cid})/vendors?$top=1`, { token })).status);
  assert.deepEqual(seq, [200, 200, 429, 429, 200]);
  assert.equal(g.fired, 2);
});

test('fault: 502 and 503 carry Retry-After as BC does', async () => {
  emu.faults.add({ kind: '503', match: { entity: 'companies' } });
  const r = await bcGet(`${apiBase(emu)}/companies`, { token });
  assert.equal(r.status, 503);
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
  emu.faults.add({ kind: '502', retryAfter: 3 });
  const s = await bcGet(`${apiBase(emu)}/companies`, { token });
  assert.equal(s.status, 502);
  assert.equal(s.headers.get('retry-after'), '3');
  emu.faults.add({ kind: '503', retryAfter: new Date(Date.now() + 5000), match: { entity: 'companies' } });
  assert.match((await bcGet(`${apiBase(emu)}/companies`, { token })).headers.get('retry-after'), /GMT$/);
});

test('fault: 504 for a date window wider than N days; a narrower window succeeds', async () => {
  emu.faults.add({ kind: '504', maxWindowDays: 92, times: Infinity });
  const wide = await bcGet(`${invoices}?$filter=${encodeURIComponent("status eq 'Paid' and postingDate ge 2025-09-01")}`, { token });
  assert.equal(wide.status, 504);
  const noFilter = await bcGet(invoices, { token });
  assert.equal(noFilter.status, 504);
  const narrow = await bcGet(`${invoices}?$filter=${encodeURIComponent("status eq 'Paid' and postingDate ge 2025-09-01 and postingDate lt 2025-11-01")}`, { token });
  assert.equal(narrow.status, 200);
  const vendors = await bcGet(`${apiBase(emu)}/companies(${cid})/vendors`, { token });
  assert.equal(vendors.status, 200, 'other entity sets are not affected');
  // Encoded the way URLSearchParams encodes it (%24filter, '+' for spaces).
  const encodedNarrow = new URLSearchParams({ $filter: "lastModifiedDateTime gt 2026-10-01T00:00:00Z and lastModifiedDateTime le 2026-10-31T00:00:00Z" });
  assert.equal((await bcGet(`${invoices}?${encodedNarrow}`, { token })).status, 200);
  const encodedWide = new URLSearchParams({ $filter: 'lastModifiedDateTime gt 2025-01-01T00:00:00Z' });
  assert.equal((await bcGet(`${invoices}?${encodedWide}`, { token })).status, 504);
});

test('fault: latency (fixed and per request)', async () => {
  emu.faults.add({ kind: 'latency', ms: 150, match: { entity: 'vendors' } });
  let t = performance.now();
  await bcGet(`${apiBase(emu)}/companies(${cid})/vendors?$top=1`, { token });
  assert.ok(performance.now() - t >= 145);
  emu.faults.add({ kind: 'latency', ms: (info) => (info.search.includes('top=2') ? 120 : 0), times: Infinity });
  t = performance.now();
  await bcGet(`${apiBase(emu)}/companies(${cid})/vendors?$top=2`, { token });
  assert.ok(performance.now() - t >= 115);
});

test('fault: dropped connection mid-response, then the retry succeeds', async () => {
  emu.faults.add({ kind: 'drop', match: { entity: 'purchaseInvoices' } });
  await assert.rejects(bcGet(`${invoices}?$top=50`, { token }));
  assert.equal((await bcGet(`${invoices}?$top=50`, { token })).status, 200);
  emu.faults.add({ kind: 'drop', bytes: 0, match: { entity: 'purchaseInvoices' } });
  await assert.rejects(bcGet(`${invoices}?$top=5`, { token }));
});

test('fault: tokens expire mid-sync -> BC 401; a new token works', async () => {
  const mine = await tokenFor(emu);
  emu.faults.add({ kind: 'expireTokens', after: 1, match: { entity: 'purchaseInvoices', nextLinkOnly: true } });
  const first = await bcGet(`${invoices}?$select=id`, { token: mine, headers: { prefer: 'odata.maxpagesize=100' } });
  assert.equal(first.status, 200);
  const second = await bcGet(first.body['@odata.nextLink'], { token: mine, headers: { prefer: 'odata.maxpagesize=100' } });
  assert.equal(second.status, 200);
  const third = await bcGet(second.body['@odata.nextLink'], { token: mine, headers: { prefer: 'odata.maxpagesize=100' } });
  assert.equal(third.status, 401);
  assert.equal(third.body.error.code, 'Authentication_InvalidCredentials');
  assert.equal((await bcGet(`${apiBase(emu)}/companies`, { token: mine })).status, 401, 'stays expired');
  const fresh = await tokenFor(emu);
  assert.equal((await bcGet(second.body['@odata.nextLink'], { token: fresh })).status, 200);
  token = fresh; // the shared token was revoked too
});

test('fault: malformed page is a 200 with truncated JSON', async () => {
  emu.faults.add({ kind: 'malformed', match: { entity: 'purchaseInvoices' } });
  const r = await bcGet(`${invoices}?$top=10`, { token });
  assert.equal(r.status, 200);
  assert.equal(r.body, undefined);
  assert.throws(() => JSON.parse(r.text));
  assert.ok(r.text.startsWith('{"@odata.context"'));
});

test('fault: nextLink pointing at another origin', async () => {
  emu.faults.add({ kind: 'foreignNextLink', match: { entity: 'purchaseInvoices' } });
  const r = await bcGet(`${invoices}?$select=id`, { token, headers: { prefer: 'odata.maxpagesize=10' } });
  assert.notEqual(new URL(r.body['@odata.nextLink']).origin, emu.apiHost);
});

test('stats record every request with status, identity, timing and the fault applied', async () => {
  emu.faults.add({ kind: '503', match: { entity: 'vendors' } });
  await bcGet(`${apiBase(emu)}/companies(${cid})/vendors`, { token });
  const { rows } = await followAll(`${invoices}?$select=id`, { token, maxPageSize: 400 });
  assert.equal(rows.length, emu.data.companies[0].invoices.n);
  const s = emu.stats();
  assert.equal(s.requests.length, 1 + Math.ceil(rows.length / 400));
  const [first, ...rest] = s.requests;
  assert.equal(first.status, 503); assert.equal(first.fault, '503'); assert.equal(first.entity, 'vendors');
  for (const r of rest) {
    assert.equal(r.status, 200); assert.equal(r.method, 'GET'); assert.equal(r.entity, 'purchaseInvoices');
    assert.equal(r.identity, `app:${emu.scenarios.valid.clientId}`);
    assert.equal(r.companyId, cid);
    assert.ok(r.ms >= 0 && r.startedAt > 0);
  }
  assert.equal(s.countsByStatus[200], rest.length);
  assert.ok(s.faults.length === 1 && s.faults[0].fired === 1);
  assert.throws(() => emu.faults.add({ kind: 'teapot' }), /unknown fault kind/);
});
