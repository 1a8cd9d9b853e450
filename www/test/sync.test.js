// The sync against the emulator over loopback: the result equals the emulator's ground truth
// exactly, the service's limits hold, every query is the one the plan chose, progress is
// reported, and an off-origin nextLink is refused without failing the other companies.
import { readFileSync } from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../emulator/index.js';
import { core, syncEmulator, assertMatchesTruth, credentialFor, CONNECTED_AT, WINDOW_START, observable } from './sync-support.js';
import { BcSpendError } from '../src/errors.js';
import { createMemoryCheckpointStore, runSync, stateChunks } from '../src/sync.js';
import { createBcClient } from '../src/bc-client.js';

let emu; // the demo's data set
let small; // for the tests that do not need its size
before(async () => {
  emu = await startEmulator({ seed: 1, dataset: { invoices: 10_000 } });
  small = await startEmulator({ seed: 4, dataset: { invoices: 2000 } });
});
after(async () => { await emu.close(); await small.close(); });

test('a full sync equals the ground truth: count and totals per currency, to the cent', async () => {
  emu.resetStats();
  const { engine, outcome, stats, events, store } = await syncEmulator(emu);
  try {
    const truth = assertMatchesTruth(assert, engine, emu);
    assert.ok(truth.count > 7000, `a realistic volume (${truth.count})`);
    assert.deepEqual(Object.keys(truth.totalsByCurrency).sort(), ['', 'GBP', 'USD'], 'three currencies, one company without an LCY code');
    assert.equal(outcome.complete, true);
    assert.equal(outcome.windowStart, WINDOW_START);
    assert.deepEqual(outcome.companies.map((c) => [c.status, c.invoices]), [['done', 'full'], ['done', 'full'], ['done', 'full']]);
    assert.equal(outcome.changes.added, truth.count);
    // Users once per environment, with every kind the emulator seeds.
    assert.equal(engine.users().length, emu.data.users.length);
    assert.equal(emu.stats().countsByEntity.users, 1);

    // The service's limits, and the queries the plan chose.
    const s = emu.stats();
    assert.ok(s.peakConcurrencyByIdentity[`app:${emu.credentials.clientId}`] <= 5, JSON.stringify(s.peakConcurrencyByIdentity));
    assert.ok(stats.peakInFlight <= 5);
    const bcRequests = s.requests.filter((r) => r.kind === 'bc');
    assert.equal(bcRequests.length, stats.requests);
    assert.ok(bcRequests.every((r) => r.status === 200));
    for (const r of bcRequests) {
      const q = new URLSearchParams(r.query);
      assert.ok(!q.has('$skip'), 'never pages with $skip');
      if (r.entity === 'purchaseInvoices' && !q.has('$skiptoken')) {
        assert.match(q.get('$filter'), /^status eq 'Paid' and postingDate ge \d{4}-\d{2}-\d{2}/);
        assert.match(q.get('$expand'), /^purchaseInvoiceLines\(\$select=id,sequence,lineType,[a-zA-Z0-9,]+\)$/);
        assert.ok(q.get('$select').split(',').includes('lastModifiedDateTime'));
        assert.ok(!q.get('$select').split(',').includes('payToName'), 'only the fields the engine reads');
      }
    }
    // No more than reading each company in one stream of 500-record pages, though each is read
    // in date segments: a segment's last request takes its rest (less than two pages) instead
    // of a full page and a partial one.
    const pagesOf = (n) => Math.ceil(n / 500);
    const min = 1 + 1 + 3 * 2 + truth.companies.reduce((a, c) => a + pagesOf(c.count), 0);
    assert.ok(stats.requests <= min, `${stats.requests} requests, minimum ${min}`);
    const pages = events.filter((e) => e.type === 'page');
    const invoicePages = pages.filter((e) => e.entity === 'purchaseInvoices');
    assert.ok(invoicePages.some((e) => e.records > 500), 'some segment ended with one page holding its rest');
    assert.ok(invoicePages.every((e) => e.records < 1000), 'no page of twice the page size or more');

    // Progress: companies, pages, invoices, an estimate of what is left.
    assert.equal(pages.length, stats.pages);
    assert.equal(pages.at(-1).progress.documents, truth.count);
    assert.ok(pages.some((e) => e.etaMs != null && e.progress.remainingPages > 0), 'an ETA while reading');
    assert.ok(events.some((e) => e.type === 'companies' && e.progress.companiesTotal === 3));
    assert.equal(events.filter((e) => e.type === 'companyDone').length, 3);
    assert.equal(events.at(-1).type, 'done');

    // The checkpoint after the run: the state and a plan for an incremental next run.
    assert.equal(store.journalLength, 0);
    assert.equal(new TextDecoder().decode(store.state.subarray(0, 8)), 'BCSPEND\0');
    const plan = JSON.parse(store.plan);
    assert.equal(plan.format, 'bc-spend-sync-checkpoint');
    assert.equal(plan.run, undefined);
    assert.ok(plan.last.companies.every((c) => c.invoices.complete && c.invoices.watermark));
  } finally {
    engine.free();
  }
});

test('the state rebuilds the same engine (the dashboard path)', async () => {
  const { engine, store, engineOptions } = await syncEmulator(small, { sync: { companies: ['Northwind Traders Ltd'] } });
  try {
    const state = engine.exportState();
    assert.ok(state instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(state.subarray(0, 8)), 'BCSPEND\0');
    assert.deepEqual(store.state, state, 'the checkpoint keeps the state, written in pieces');
    const env = engineOptions.environment;
    const rebuilt = core.Engine.fromState({ environment: env, windowStart: WINDOW_START, lineMode: 'invoice' }, state);
    try {
      assert.deepEqual(observable(rebuilt), observable(engine));
      // Both are built now: the state keeps the match decisions of what was built, so the two
      // write the same state (one never built writes none).
      assert.deepEqual(rebuilt.exportState(), engine.exportState());
    } finally {
      rebuilt.free();
    }
    assert.throws(() => core.Engine.fromState({ environment: 'other/env', windowStart: WINDOW_START }, state), (e) => e.code === 'STATE_FOREIGN');
    assert.throws(() => core.Engine.fromState({ environment: env, windowStart: WINDOW_START }, state.subarray(0, 1000)), (e) => e.code === 'STATE_INVALID' && /not valid/.test(e.message));
    assert.throws(() => core.Engine.fromState({ environment: env, windowStart: WINDOW_START }, state.subarray(0, state.length - 1)), (e) => e.code === 'STATE_INVALID', 'a state cut by one byte is incomplete');
    const newer = state.slice();
    newer[8] = 9;
    assert.throws(() => core.Engine.fromState({ environment: env, windowStart: WINDOW_START }, newer), (e) => e.code === 'STATE_VERSION');
    assert.throws(() => core.Engine.fromState({ environment: env, windowStart: WINDOW_START }, 42), (e) => e.code === 'INVALID_ARGUMENT');
    // In pieces, as the sync and the file store read a large state: the engine they rebuild
    // writes the same state.
    const readsBack = (all, size) => {
      const importer = new core.StateImport({ environment: env, windowStart: WINDOW_START });
      for (let i = 0; i < all.length; i += size) importer.push(all.slice(i, i + size));
      const streamed = importer.finish();
      try {
        assert.deepEqual(streamed.exportState(), state);
      } finally {
        streamed.free();
      }
    };
    readsBack(state, 4099);
    readsBack(state, 7);
    // The engine was built by `observable` above: what it writes now keeps those decisions.
    const built = engine.exportState();
    const pieces = [...stateChunks(core, engine, 5000)];
    assert.ok(pieces.length > 3 && pieces.every((p) => p instanceof Uint8Array && p.length <= 5000), 'pieces of at most the budget');
    assert.deepEqual(new Uint8Array(Buffer.concat(pieces)), built);
    // nextBytes() is next() (kept from 0.1); pieces of both may be mixed.
    const x = new core.StateExport(engine);
    const mixed = [];
    try {
      for (let i = 0, c; (c = i % 2 ? x.nextBytes(engine, 3000) : x.next(engine, 3000)) !== undefined; i++) mixed.push(c);
    } finally {
      x.free();
    }
    assert.ok(mixed.length > 3 && mixed.every((p) => p instanceof Uint8Array));
    assert.deepEqual(new Uint8Array(Buffer.concat(mixed)), built);
    const wrongType = new core.StateImport({ environment: env, windowStart: WINDOW_START });
    assert.throws(() => wrongType.push(42), (e) => e.code === 'INVALID_ARGUMENT');
    const notAState = new core.StateImport({ environment: env, windowStart: WINDOW_START });
    assert.throws(() => notAState.push(Uint8Array.of(0x7f, 0xff, 0x7d, 0x0a, 0, 0, 0, 0, 0)), (e) => e.code === 'STATE_INVALID');
    wrongType.free();
    notAState.free();
  } finally {
    engine.free();
  }
});

test('a version 1 state (0.1) is read as text or UTF-8, whole or in pieces, and migrates to version 2', async () => {
  // The state the last v1 release wrote (tests/fixtures/state/v1-sample.jsonl), for its options.
  const v1 = readFileSync(new URL('../../tests/fixtures/state/v1-sample.jsonl', import.meta.url), 'utf8');
  const options = { connectedAt: '2026-11-26', lineMode: 'line', creditMemos: true, environment: 'tenant/production' };
  const fromText = core.Engine.fromState(options, v1);
  const fromBytes = core.Engine.fromState(options, new TextEncoder().encode(v1));
  const importer = new core.StateImport(options);
  for (let i = 0; i < v1.length; i += 999) importer.push(v1.slice(i, i + 999));
  const fromPieces = importer.finish();
  try {
    const v2 = fromText.exportState();
    assert.equal(new TextDecoder().decode(v2.subarray(0, 8)), 'BCSPEND\0');
    assert.ok(v2.length * 3 < v1.length, `${v2.length} bytes of v2 for ${v1.length} of v1`);
    assert.deepEqual(fromBytes.exportState(), v2);
    assert.deepEqual(fromPieces.exportState(), v2);
    const again = core.Engine.fromState(options, v2);
    try {
      assert.deepEqual(observable(again), observable(fromText));
      assert.ok(again.transactions().length > 0);
    } finally {
      again.free();
    }
    // The memory store keeps a v1 text passed on (an abandoned run's base) as its UTF-8.
    const store = createMemoryCheckpointStore();
    await store.save({ plan: '{}', state: [v1.slice(0, 100), v1.slice(100)] });
    assert.deepEqual(store.state, new TextEncoder().encode(v1));
    // Merged with a v2 state of itself is an overlap, not a format error: both are read.
    assert.throws(() => core.Engine.fromStates(options, [v1, v2]), (e) => e.code === 'STATE_MERGE_OVERLAP');
  } finally {
    fromText.free();
    fromBytes.free();
    fromPieces.free();
  }
});

test('the end-of-run state reaches the store as byte pieces, and an incremental run restores from it', async () => {
  // A store that notes the kinds of state pieces it is given.
  const spying = (store, kinds) => ({
    load: () => store.load(),
    save: (u) => store.save(!u.state ? u : { ...u, state: (function* () { for (const p of u.state) { kinds.add(typeof p === 'string' ? 'string' : p.constructor.name); yield p; } })() }),
  });
  const kinds = new Set();
  const store = createMemoryCheckpointStore();
  const b = await syncEmulator(small, { store: spying(store, kinds), sync: { companies: ['Northwind Traders Ltd'] } });
  try {
    assert.deepEqual([...kinds], ['Uint8Array']);
    assert.deepEqual(store.state, b.engine.exportState());
    const again = await syncEmulator(small, { store, sync: { companies: ['Northwind Traders Ltd'] } });
    try {
      assert.deepEqual(observable(again.engine), observable(b.engine));
    } finally {
      again.engine.free();
    }
  } finally {
    b.engine.free();
  }
});

test('selected companies only, by name or id; an unknown name is reported', async () => {
  const [us, uk] = small.data.companies;
  const { engine, outcome } = await syncEmulator(small, { sync: { companies: [uk.name.toUpperCase(), us.id, 'Contoso Nowhere'] } });
  try {
    assertMatchesTruth(assert, engine, small, { companies: [us.id, uk.id] });
    assert.deepEqual(outcome.companies.map((c) => c.id).sort(), [us.id, uk.id].sort());
    assert.deepEqual(outcome.notFound, ['Contoso Nowhere']);
    assert.equal(outcome.complete, false);
  } finally {
    engine.free();
  }
});

test('an off-origin nextLink is refused: that company fails, the others do not, the token stays home', async () => {
  const [, uk] = small.data.companies;
  const seen = [];
  const fetchSpy = (url, init) => { seen.push(String(url)); return fetch(url, init); };
  const fault = small.faults.add({ kind: 'foreignNextLink', match: { entity: 'purchaseInvoices', company: uk.id }, times: Infinity });
  try {
    const { engine, outcome } = await syncEmulator(small, { sync: { pageSize: 200 }, fetch: fetchSpy });
    try {
      const failed = outcome.companies.filter((c) => c.status === 'failed');
      assert.deepEqual(failed.map((c) => [c.id, c.error.code]), [[uk.id, 'BC_OFF_ORIGIN_NEXT_LINK']]);
      assert.match(failed[0].error.message, /outside the Business Central API origin/);
      assert.ok(!seen.some((u) => u.includes('example.net')), 'no request left the API origin');
      const others = small.data.companies.filter((c) => c.id !== uk.id).map((c) => c.id);
      const truth = small.groundTruth({ since: WINDOW_START, companies: others, lines: false });
      assert.equal(engine.transactions().filter((t) => t.companyId !== uk.id).length, truth.count);
      assert.equal(outcome.complete, false);
    } finally {
      engine.free();
    }
  } finally {
    fault.remove();
  }
});

test('a caller-supplied client and getToken credential work the same', async () => {
  const c = small.credentials;
  let tokenCalls = 0;
  const getToken = async () => {
    tokenCalls += 1;
    const res = await fetch(`${small.authorityHost}/${c.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: 'https://api.businesscentral.dynamics.com/.default' }),
    });
    const j = await res.json();
    return { token: j.access_token, expiresOnTimestamp: Date.now() + j.expires_in * 1000 };
  };
  const client = createBcClient({ core, credential: { getToken }, apiHost: small.apiHost, tenantId: c.tenantId, environment: c.environment, maxPageSize: 1000, shareLimiter: false });
  const store = createMemoryCheckpointStore();
  const { engine } = await runSync({ core, client, tenantId: c.tenantId, environment: c.environment, sync: { connectedAt: CONNECTED_AT, companies: ['Northwind Handels GmbH'], pageSize: 1000 }, saveCheckpoint: store.save });
  try {
    assertMatchesTruth(assert, engine, small, { companies: [small.data.companies[2].id] });
    assert.ok(tokenCalls >= 1);
  } finally {
    engine.free();
  }
});

test('a read that fails when nothing else is in flight is still given its retry', async () => {
  // The users read fails once with a transient error, held back until every other request is
  // done: the plan asks for it again, and the sync must make that request rather than stop
  // (it used to stop: SYNC_NOT_FINISHED, seen as a rare failure of a fault test).
  const c = small.credentials;
  const inner = createBcClient({ core, credential: credentialFor(small), apiHost: small.apiHost, tenantId: c.tenantId, environment: c.environment, maxPageSize: 1000, shareLimiter: false });
  let active = 0;
  let failed = 0;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const client = {
    ...inner,
    async get(url, options) {
      if (failed === 0 && /\/users(\?|$)/.test(url)) {
        failed += 1;
        // Idle for 100 ms in a row: nothing else is in flight or about to start.
        for (let quiet = 0; quiet < 10; quiet = active === 0 ? quiet + 1 : 0) await sleep(10);
        throw new BcSpendError('BC_INVALID_RESPONSE', 'injected: the body was cut off');
      }
      active += 1;
      try {
        return await inner.get(url, options);
      } finally {
        active -= 1;
      }
    },
  };
  const events = [];
  const { engine, outcome } = await runSync({ core, client, tenantId: c.tenantId, environment: c.environment, sync: { connectedAt: CONNECTED_AT, companies: ['Northwind Handels GmbH'], pageSize: 1000 }, onProgress: (e) => events.push(e) });
  try {
    assert.equal(failed, 1);
    assert.ok(events.some((e) => e.type === 'taskRetry' && e.code === 'BC_INVALID_RESPONSE'));
    assert.equal(outcome.complete, true);
    assert.equal(engine.users().length, small.data.users.length);
    assertMatchesTruth(assert, engine, small, { companies: [small.data.companies[2].id] });
  } finally {
    engine.free();
  }
});

// The rules runSync follows are the core's (src/sync/mod.rs, tested there): these prove that
// runSync asks the core for them instead of keeping its own copies.
test("runSync asks the core for the environment's name, the requests in flight and the engine's options", async () => {
  const c = small.scenarios.valid;
  const keys = [];
  const SyncPlan = Object.assign(function SyncPlan() {}, {
    withEngineOptions(...args) {
      const plan = core.SyncPlan.withEngineOptions(...args);
      Object.defineProperty(plan, 'concurrency', { value: 2 });
      const engineOptions = plan.engineOptions.bind(plan);
      plan.engineOptions = (o) => ({ ...engineOptions(o), windowStart: '2026-06-01' });
      return plan;
    },
  });
  const spy = { ...core, SyncPlan, environmentKey: (...args) => { keys.push(args); return 'spy-tenant/spy-env'; } };
  let committed;
  const { engine, outcome, stats, engineOptions } = await runSync({
    core: spy, credential: credentialFor(small), apiHost: small.apiHost, tenantId: c.tenantId, environment: c.environment,
    clientOptions: { shareLimiter: false }, sync: { connectedAt: CONNECTED_AT, companies: [small.data.companies[2].id] },
    beforeCommit: (r) => { committed = r.engineOptions; },
  });
  // The core's key, as the host's own used to shape it (the core's tests hold the rule).
  assert.equal(core.environmentKey(' 72F988BF-86f1 ', ' Production '), '72f988bf-86f1/production');
  assert.equal(core.environmentKey(null, 'Production'), 'production');
  assert.equal(core.environmentKey(undefined, 'Production'), 'production');
  try {
    assert.deepEqual(keys, [[c.tenantId, c.environment]]);
    assert.equal(JSON.parse(outcome.checkpoint).environment, 'spy-tenant/spy-env');
    assert.equal(stats.peakInFlight, 2, 'the plan says how many requests are in flight');
    assert.equal(engine.summary().windowStart, '2026-06-01', 'the engine is built with the options the plan hands it');
    // ...and a host that keeps them (to rebuild the engine from its state) is given them.
    assert.deepEqual(engineOptions, { windowStart: '2026-06-01', creditMemos: false, environment: 'spy-tenant/spy-env' });
    assert.deepEqual(committed, engineOptions);
  } finally {
    engine.free();
  }
  // The bound on sync.concurrency is BC's limit as the core gives it.
  small.resetStats();
  const three = { ...core, bcLimits: () => ({ ...core.bcLimits(), maxConcurrency: 3 }) };
  await assert.rejects(runSync({ core: three, credential: credentialFor(small), apiHost: small.apiHost, tenantId: c.tenantId, environment: c.environment, sync: { connectedAt: CONNECTED_AT, concurrency: 4 } }), (e) => e.code === 'CONFIG_INVALID' && e.details.option === 'concurrency');
  assert.equal(small.stats().countsByKind.bc ?? 0, 0);
});

test("the engine's window settings may come with the engine options; the plan decides the window", async () => {
  const c = small.scenarios.valid;
  const { engine, outcome } = await runSync({
    core, credential: credentialFor(small), apiHost: small.apiHost, tenantId: c.tenantId, environment: c.environment, clientOptions: { shareLimiter: false },
    engineOptions: { connectedAt: '2026-08-01', historyYears: 0 }, sync: { companies: [small.data.companies[2].id] },
  });
  try {
    assert.equal(outcome.windowStart, '2026-08-01');
    assert.equal(engine.summary().windowStart, '2026-08-01');
    assert.ok(engine.transactions().every((t) => t.date >= '2026-08-01'));
  } finally {
    engine.free();
  }
});

test('bad configuration is refused before any request', async () => {
  small.resetStats();
  await assert.rejects(syncEmulator(small, { sync: { connectedAt: undefined } }), (e) => e.code === 'MISSING_OPTION');
  await assert.rejects(syncEmulator(small, { sync: { concurrency: 9 } }), (e) => e.code === 'CONFIG_INVALID');
  await assert.rejects(syncEmulator(small, { sync: { pageSize: 0 } }), (e) => e.code === 'INVALID_OPTION' && e.path === 'pageSize');
  await assert.rejects(syncEmulator(small, { sync: { windowStart: '2025-13-01' } }), (e) => e.code === 'INVALID_OPTION');
  await assert.rejects(syncEmulator(small, { engineOptions: { lineMode: 'weekly' } }), (e) => e.code === 'INVALID_OPTION');
  await assert.rejects(syncEmulator(small, { sync: { companyz: ['x'] } }), (e) => e.code === 'INVALID_OPTION' && e.path === 'companyz' && /companyz/.test(e.message));
  assert.equal(small.stats().countsByKind.bc ?? 0, 0);
});
