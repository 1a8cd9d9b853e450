// Every fault the emulator can inject is survived with nothing lost or duplicated (the result
// equals the ground truth exactly), and every sign-in or access error stops the sync with its
// message, or fails only what it concerns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../emulator/index.js';
import { syncEmulator, assertMatchesTruth } from './sync-support.js';

let emu;
// Small pages over a smaller data set: many requests for the faults to land on.
const SYNC = { pageSize: 70 };
before(async () => { emu = await startEmulator({ seed: 7, dataset: { invoices: 1000 } }); });
after(async () => { await emu.close(); });

async function survives(faults, { check, sync = SYNC } = {}) {
  emu.faults.clear();
  emu.resetStats();
  if (typeof faults === 'function') faults = faults();
  const handles = faults.map((f) => emu.faults.add(f));
  const { engine, outcome, events, stats } = await syncEmulator(emu, { sync });
  try {
    assertMatchesTruth(assert, engine, emu);
    assert.equal(outcome.complete, true, JSON.stringify(outcome.companies.map((c) => c.error)));
    assert.equal(engine.users().length, emu.data.users.length);
    for (const h of handles) assert.ok(h.fired > 0, `fault ${faults[handles.indexOf(h)].kind} fired`);
    assert.ok(emu.stats().peakConcurrency <= 5);
    check?.({ events, stats, outcome });
  } finally {
    engine.free();
    emu.faults.clear();
  }
}

test('429 without Retry-After: exponential backoff', () =>
  survives([{ kind: '429', match: { entity: 'purchaseInvoices' }, after: 3, times: 4 }], {
    check: ({ events }) => assert.ok(events.some((e) => e.type === 'retry' && e.status === 429 && e.retryAfterMs === undefined)),
  }));

test('429 with Retry-After (seconds and HTTP date): honoured', () =>
  survives([
    { kind: '429', match: { entity: 'vendors' }, times: 2, retryAfter: 1 },
    { kind: '429', match: { entity: 'purchaseInvoices', nextLinkOnly: true }, times: 1, retryAfter: new Date(Date.now() + 2000) },
  ], {
    check: ({ events }) => {
      assert.ok(events.some((e) => e.type === 'retry' && e.status === 429 && e.retryAfterMs === 1000));
      assert.ok(events.some((e) => e.type === 'retry' && e.status === 429 && e.retryAfterMs > 0 && e.retryAfterMs <= 2000 && e.retryAfterMs !== 1000));
    },
  }));

test('rate limit exceeded on the service side: 429 until the window frees', async () => {
  // A service whose window allows 10 requests a second: the sync needs more, paced by 429s.
  const small = await startEmulator({ seed: 3, dataset: { invoices: 300, companies: 1 }, rateLimit: { requests: 10, windowMs: 1000, retryAfter: true } });
  try {
    const { engine, outcome, stats } = await syncEmulator(small, { sync: { pageSize: 25 }, clientOptions: { retry: { maxRetries: 20, maxRetryAfterMs: 2000 } } });
    try {
      assertMatchesTruth(assert, engine, small);
      assert.equal(outcome.complete, true);
      assert.ok(small.stats().rateLimited > 0 && stats.retries > 0);
    } finally {
      engine.free();
    }
  } finally {
    await small.close();
  }
});

test('503 and 502 with Retry-After', () =>
  survives([
    { kind: '503', match: { entity: 'purchaseInvoices' }, after: 2, times: 3 },
    { kind: '502', match: { entity: 'generalLedgerSetup' }, times: 2 },
  ]));

test('504 on wide date windows: the plan splits them until BC answers', () =>
  survives([{ kind: '504', maxWindowDays: 40, times: Infinity }], {
    check: ({ events, stats }) => {
      const narrowed = events.filter((e) => e.type === 'narrowed');
      assert.ok(narrowed.length >= 6, `${narrowed.length} splits`);
      assert.match(narrowed[0].message, /timed out; split into/);
      // Every invoice read that got an answer spans at most 40 days.
      const served = emu.stats().requests.filter((r) => r.entity === 'purchaseInvoices' && r.status === 200);
      for (const r of served) {
        const f = new URLSearchParams(r.query).get('$filter');
        const from = /postingDate ge (\S+)/.exec(f)[1];
        const to = /postingDate lt (\S+)/.exec(f)?.[1];
        if (to) assert.ok((Date.parse(to) - Date.parse(from)) / 86400000 <= 40, f);
      }
      assert.equal(stats.retries, 0, 'a 504 is narrowed, not repeated');
    },
  }));

test('504 on a later page: smaller pages at the same cursor', () =>
  survives([{ kind: '504', match: { entity: 'purchaseInvoices', nextLinkOnly: true }, times: 2 }], {
    check: ({ events }) => assert.ok(events.some((e) => e.type === 'narrowed' && /asking for pages of 17 records/.test(e.message)), JSON.stringify(events.filter((e) => e.type === 'narrowed'))),
  }));

test('latency on every request, and more on some', () =>
  survives([{ kind: 'latency', ms: 5, times: Infinity }, { kind: 'latency', match: { entity: 'purchaseInvoices' }, ms: 150, times: 3 }]));

test('dropped connections, before and in the middle of a page', () =>
  survives([
    { kind: 'drop', bytes: 0, match: { entity: 'purchaseInvoices' }, after: 1, times: 2 },
    { kind: 'drop', match: { entity: 'purchaseInvoices', nextLinkOnly: true }, times: 2 },
    { kind: 'drop', match: { entity: 'users' }, times: 1 },
  ]));

test('tokens expiring in the middle of the sync', () =>
  survives([{ kind: 'expireTokens', match: { kind: 'bc' }, after: 6, times: 2 }], {
    check: () => assert.ok(emu.stats().tokensIssued >= 2, 'a new token was fetched'),
  }));

test('malformed (truncated) pages: retried, and re-planned when they keep coming', () =>
  survives(() => [
    { kind: 'malformed', match: { entity: 'purchaseInvoices' }, after: 2, times: 2 },
    // More in a row than the client retries: the plan gives the read another go.
    { kind: 'malformed', match: { entity: 'vendors', company: emu.data.companies[1].id }, times: 4 },
  ], {
    check: ({ events }) => assert.ok(events.some((e) => e.type === 'taskRetry' && e.code === 'BC_INVALID_RESPONSE'), JSON.stringify(events.filter((e) => e.type !== 'page'))),
  }));

test('all faults at once', () =>
  survives([
    { kind: '429', match: { kind: 'bc' }, after: 4, times: 3 },
    { kind: '503', match: { kind: 'bc' }, after: 9, times: 2, retryAfter: 0 },
    { kind: '504', maxWindowDays: 120, times: Infinity },
    { kind: 'drop', match: { kind: 'bc' }, after: 15, times: 2 },
    { kind: 'malformed', match: { kind: 'bc' }, after: 21, times: 1 },
    { kind: 'expireTokens', match: { kind: 'bc' }, after: 12, times: 1 },
    { kind: 'latency', ms: 2, times: Infinity },
  ]));

// ------------------------------------------------------------------------------ sign-in

const SIGN_IN = [
  ['expiredSecret', 'AUTH_SECRET_EXPIRED', /client secret has expired\. Create a new client secret/],
  ['wrongSecret', 'AUTH_INVALID_SECRET', /Use the secret's Value \(not its Secret ID\)/],
  ['secretIdAsSecret', 'AUTH_SECRET_ID_NOT_VALUE', /secret's ID, not its value/],
  ['unknownTenant', 'AUTH_TENANT_NOT_FOUND', /tenant was not found/],
  ['unknownTenantDomain', 'AUTH_TENANT_NOT_FOUND', /tenant was not found/],
  ['malformedTenant', 'AUTH_TENANT_INVALID', /missing or malformed/],
  ['unknownApp', 'AUTH_APP_NOT_FOUND', /client\) ID was not found in this tenant/],
  ['noAdminConsent', 'BC_APP_NOT_ENABLED', /not registered or not enabled/],
  ['notRegisteredInBc', 'BC_APP_NOT_ENABLED', /Microsoft Entra Applications page/],
  ['disabledInBc', 'BC_APP_NOT_ENABLED', /set State to Enabled/],
  ['unknownEnvironment', 'BC_ENVIRONMENT_NOT_FOUND', /environment was not found/],
];

for (const [scenario, code, message] of SIGN_IN) {
  test(`sign-in: ${scenario} stops the sync with ${code}`, async () => {
    const secret = emu.scenarios[scenario].clientSecret;
    const store = (await import('../src/sync.js')).createMemoryCheckpointStore();
    await assert.rejects(syncEmulator(emu, { scenario, store }), (e) => {
      assert.equal(e.code, code);
      assert.match(e.message, message);
      assert.ok(!e.message.includes(secret) && !JSON.stringify(e.details ?? {}).includes(secret), 'no secret in the error');
      return true;
    });
    assert.equal(store.plan, null, 'nothing was checkpointed');
  });
}

test('access: no permission to read purchase invoices fails every company, with advice', async () => {
  const { engine, outcome } = await syncEmulator(emu, { scenario: 'noPurchasePermission' });
  try {
    assert.equal(outcome.complete, false);
    assert.deepEqual(new Set(outcome.companies.map((c) => `${c.status} ${c.error?.code}`)), new Set(['failed BC_PERMISSION_MISSING']));
    assert.match(outcome.companies[0].error.message, /lacks a Business Central permission.*D365/);
    assert.equal(outcome.users, 'done');
  } finally {
    engine.free();
  }
});

test('access: no automation permission fails the users only', async () => {
  const { engine, outcome } = await syncEmulator(emu, { scenario: 'noAutomationPermission' });
  try {
    assertMatchesTruth(assert, engine, emu);
    assert.equal(outcome.users, 'failed');
    // The client maps BC's 400 Internal_ServerError to BC_BAD_REQUEST; BC's text says what is missing.
    assert.ok(['BC_PERMISSION_MISSING', 'BC_BAD_REQUEST'].includes(outcome.usersError.code), outcome.usersError.code);
    assert.match(outcome.usersError.message, /permissions on Page APIV2 - Aut\. Users/);
    assert.equal(engine.users().length, 0);
    assert.equal(outcome.complete, false);
  } finally {
    engine.free();
  }
});
