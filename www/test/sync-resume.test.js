// Interrupted and incremental syncs end exactly where an uninterrupted full sync ends: kills at
// any point (an abort, a failed checkpoint write, a SIGKILL of the CLI) resume from the
// checkpoint; an incremental run after payments, reversals, edits and new invoices equals a
// clean full run, reads only what changed, and says what changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/index.js';
import { createMemoryCheckpointStore, runSync } from '../src/sync.js';
import { openCheckpointFile } from '../cli/checkpoint-store.js';
import { syncEmulator, observable, assertMatchesTruth, core, credentialFor, CONNECTED_AT, FAST_RETRY } from './sync-support.js';

const BIN = fileURLToPath(new URL('../bin/bc-spend', import.meta.url));
let emu;
let clean; // the observable result of an uninterrupted full sync
const SYNC = { pageSize: 100 };

before(async () => {
  emu = await startEmulator({ seed: 11, dataset: { invoices: 1500 } });
  const { engine } = await syncEmulator(emu, { sync: SYNC });
  clean = observable(engine);
  engine.free();
});
after(async () => { await emu.close(); });

/** Syncs until `pages` pages were ingested, then aborts (a kill at a page boundary or mid-page). */
async function killedAfter(store, pages, sync = SYNC) {
  const controller = new AbortController();
  await assert.rejects(
    syncEmulator(emu, { store, sync, signal: controller.signal, onProgress: (e) => { if (e.type === 'page' && e.progress.pages >= pages) controller.abort(); } }),
    (e) => e.code === 'ABORTED',
  );
}

test('killed at any point, the sync resumes to the same result as an uninterrupted one', async () => {
  for (const kills of [[1], [6, 14]]) {
    const store = createMemoryCheckpointStore();
    for (const k of kills) await killedAfter(store, k);
    const before = store.journalLength;
    assert.ok(before > 0, 'pages were journaled');
    const { engine, outcome, stats, events } = await syncEmulator(emu, { store, sync: SYNC });
    try {
      assert.equal(outcome.resumed, true);
      assert.equal(stats.replayed, before);
      assert.equal(events[0].replayedPages, before);
      assert.deepEqual(observable(engine), clean, `killed after ${kills}`);
      assertMatchesTruth(assert, engine, emu);
      assert.equal(outcome.changes.added, emu.groundTruth({ since: '2025-11-01', lines: false }).count, 'changes are since the last complete run');
    } finally {
      engine.free();
    }
    assert.equal(store.journalLength, 0, 'the journal is folded into the state at the end');
  }
});

test('reads split while they run read every invoice once, and resume from any kill to the same result', async () => {
  // Companies of unequal sizes: the largest one's date segments outlast the others, so the
  // plan splits them as they run (the emulator serves invoices in about date order, as BC).
  const local = await startEmulator({ seed: 3, dataset: { invoices: 3000, companyWeights: [4, 1, 1] } });
  const sync = { pageSize: 50 };
  const truth = local.groundTruth({ since: '2025-11-01', lines: false });
  // Documents read per company (a read twice would count twice), against the truth.
  const readOnce = (outcome) => {
    for (const c of outcome.companies) assert.equal(c.documents, truth.companies.find((x) => x.id === c.id).count, `${c.name}: every invoice read once`);
  };
  const invoiceReads = (events) => new Set(events.filter((e) => e.type === 'page' && e.entity === 'purchaseInvoices').map((e) => `${e.companyId} ${e.label}`)).size;
  try {
    const unsplit = await syncEmulator(local, { sync: { ...sync, splitRunning: false } });
    const want = observable(unsplit.engine);
    unsplit.engine.free();
    assert.equal(invoiceReads(unsplit.events), 6, '2 date segments per company');
    const split = await syncEmulator(local, { sync: { ...sync, splitRunning: true } });
    try {
      assert.deepEqual(observable(split.engine), want, 'the same result as without splits');
      assertMatchesTruth(assert, split.engine, local);
      readOnce(split.outcome);
      assert.ok(invoiceReads(split.events) > 6, `reads were split: ${invoiceReads(split.events)}`);
      assert.ok(split.stats.requests <= unsplit.stats.requests + 1, `requests ${split.stats.requests} vs ${unsplit.stats.requests} unsplit`);
    } finally {
      split.engine.free();
    }
    for (const kills of [[12], [20, 30], [8, 16, 24, 32]]) {
      const store = createMemoryCheckpointStore();
      for (const k of kills) {
        const controller = new AbortController();
        await assert.rejects(
          syncEmulator(local, { store, sync, signal: controller.signal, onProgress: (e) => { if (e.type === 'page' && e.progress.pages >= k) controller.abort(); } }),
          (e) => e.code === 'ABORTED',
        );
      }
      const { engine, outcome } = await syncEmulator(local, { store, sync });
      try {
        assert.equal(outcome.resumed, true);
        assert.deepEqual(observable(engine), want, `killed after ${kills}`);
        readOnce(outcome);
      } finally {
        engine.free();
      }
    }
  } finally {
    await local.close();
  }
});

test('a checkpoint write that fails stops the sync; the next run resumes from the last good one', async () => {
  const store = createMemoryCheckpointStore();
  let writes = 0;
  const flaky = { ...store, save: async (u) => { writes += 1; if (writes === 12) throw new Error('disk full'); return store.save(u); }, load: () => store.load() };
  await assert.rejects(syncEmulator(emu, { store: flaky, sync: SYNC }), (e) => e.code === 'CHECKPOINT_SAVE_FAILED' && /disk full/.test(e.message));
  assert.equal(store.journalLength, 11);
  const { engine } = await syncEmulator(emu, { store, sync: SYNC });
  try {
    assert.deepEqual(observable(engine), clean);
  } finally {
    engine.free();
  }
});

test('resumed with other settings, the sync starts over from the last complete run', async () => {
  const store = createMemoryCheckpointStore();
  await killedAfter(store, 9);
  const uk = emu.data.companies[1];
  const { engine, outcome } = await syncEmulator(emu, { store, sync: { ...SYNC, companies: [uk.id] } });
  try {
    assert.equal(outcome.resumed, false);
    assertMatchesTruth(assert, engine, emu, { companies: [uk.id] });
  } finally {
    engine.free();
  }
});

test('a journal shorter than its checkpoint is refused', async () => {
  const store = createMemoryCheckpointStore();
  await killedAfter(store, 5);
  const cut = { load: () => ({ ...store.load(), journal: store.load().journal.slice(0, 3) }), save: store.save };
  await assert.rejects(syncEmulator(emu, { store: cut, sync: SYNC }), (e) => e.code === 'CHECKPOINT_INCOMPLETE' && /holds 3 of the \d+ pages/.test(e.message));
});

test('incremental runs: the complete current set, what changed, and few requests', async () => {
  const local = await startEmulator({ seed: 5, dataset: { invoices: 1500 } });
  try {
    const store = createMemoryCheckpointStore();
    const first = await syncEmulator(local, { store, sync: SYNC });
    const firstRequests = first.stats.requests;
    first.engine.free();

    // What happens in BC between two runs.
    const [us, uk, de] = local.data.companies;
    const st = (c) => local.data.companies.find((x) => x.id === c.id).invoices;
    const find = (c, status, n = 1) => {
      const out = [];
      const truth = local.groundTruth({ since: '2025-11-01', lines: false }).companies.find((x) => x.id === c.id).invoices;
      for (const inv of truth) if (status === 'Paid' && out.length < n) out.push(inv.id);
      return out;
    };
    const paidUs = find(us, 'Paid', 3);
    local.mutate.unpayInvoice(us.id, paidUs[0]); // a reversed payment: no longer Paid
    local.mutate.editInvoice(us.id, paidUs[1], { description: 'Slack Pro (corrected)', quantity: 3, unitCost: 42 });
    local.mutate.cancelInvoice(us.id, paidUs[2]);
    // Open invoices in the window that get paid now.
    const openUk = [];
    for (let i = 0; i < st(uk).n && openUk.length < 2; i++) if (st(uk).status[i] === 2 && st(uk).postingDay[i] > 20400) openUk.push(i);
    const guid = (c, i) => local.data.ids.guid('invoice', c.index, i);
    for (const i of openUk) local.mutate.payInvoice(uk.id, guid(uk, i));
    local.mutate.addInvoices(4, { companyId: de.id, status: 'Paid' });
    local.mutate.addInvoices(2, { companyId: de.id, status: 'Open' });

    local.resetStats();
    const second = await syncEmulator(local, { store, sync: SYNC });
    const secondRequests = local.stats().requests;
    const fresh = await syncEmulator(local, { sync: SYNC });
    try {
      assert.deepEqual(observable(second.engine), observable(fresh.engine), 'incremental = clean full run');
      assertMatchesTruth(assert, second.engine, local);
      assert.deepEqual(second.outcome.companies.map((c) => c.invoices), ['incremental', 'incremental', 'incremental']);
      const c = second.outcome.changes;
      assert.equal(c.added, openUk.length + 4, JSON.stringify(c));
      assert.equal(c.removed, 2, JSON.stringify(c));
      assert.equal(c.changed, 1, JSON.stringify(c));
      assert.deepEqual(c.items.filter((x) => x.change === 'removed').map((x) => x.reason).sort(), ['notPaid', 'notPaid']);
      assert.equal(c.items.find((x) => x.change === 'changed').id, paidUs[1]);
      // Incremental reads: everything modified since the watermark, whatever its status.
      const inv = secondRequests.filter((r) => r.entity === 'purchaseInvoices');
      assert.ok(inv.every((r) => /lastModifiedDateTime gt /.test(new URLSearchParams(r.query).get('$filter')) && !/status eq/.test(new URLSearchParams(r.query).get('$filter'))));
      assert.ok(second.stats.requests <= 1 + 1 + 3 * 3, `${second.stats.requests} requests`);
      assert.ok(second.stats.requests < firstRequests, `${second.stats.requests} vs ${firstRequests}`);
      const read = second.outcome.companies.reduce((a, x) => a + x.documents, 0);
      assert.ok(read >= openUk.length + 6 + 3 && read < 30, `${read} documents read`);
      // A third run with nothing new changes nothing.
      const third = await syncEmulator(local, { store, sync: SYNC });
      try {
        assert.deepEqual(observable(third.engine), observable(fresh.engine));
        assert.deepEqual([third.outcome.changes.added, third.outcome.changes.changed, third.outcome.changes.removed], [0, 0, 0]);
      } finally {
        third.engine.free();
      }
    } finally {
      second.engine.free();
      fresh.engine.free();
    }
  } finally {
    await local.close();
  }
});

test('a run that dies before its outputs are written keeps its change report for the resume', async () => {
  const local = await startEmulator({ seed: 7, dataset: { invoices: 600 } });
  try {
    const store = createMemoryCheckpointStore();
    const c = local.scenarios.valid;
    const once = (beforeCommit) => runSync({
      core,
      credential: credentialFor(local),
      apiHost: local.apiHost,
      tenantId: c.tenantId,
      environment: c.environment,
      clientOptions: { shareLimiter: false, retry: FAST_RETRY },
      sync: { connectedAt: CONNECTED_AT, ...SYNC },
      checkpoint: store.load(),
      saveCheckpoint: (u) => store.save(u),
      beforeCommit,
    });
    (await once()).engine.free();
    local.mutate.addInvoices(3, { companyId: local.data.companies[0].id, status: 'Paid' });

    // The host's outputs fail (a kill, a full disk) after the last page: the run is not over.
    const seen = [];
    await assert.rejects(once(({ outcome }) => { seen.push(outcome.changes.added); throw new Error('killed while writing run.json'); }), /killed while writing/);
    assert.deepEqual(seen, [3]);
    const { engine, outcome } = await once(({ outcome: o }) => { seen.push(o.changes.added); });
    engine.free();
    assert.equal(outcome.resumed, true, 'the run whose outputs were not written is resumed');
    assert.equal(outcome.changes.added, 3, 'and reports its changes again');
    assert.deepEqual(seen, [3, 3]);
    const third = await once();
    third.engine.free();
    assert.equal(third.outcome.changes.added, 0, 'once delivered, not again');
  } finally {
    await local.close();
  }
});

// ------------------------------------------------------------------ the CLI, killed for real

function run(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.resume();
    child.on('close', (code, signal) => resolve({ code, signal, stderr, child }));
    resolve.child = child;
  });
}

test('bc-spend sync killed with SIGKILL mid-sync resumes to the same output', async () => {
  const slow = await startEmulator({ seed: 2, dataset: { invoices: 1200 }, latencyMs: 10 });
  const dir = await mkdtemp(join(tmpdir(), 'bc-spend-kill-'));
  try {
    const creds = join(dir, 'creds.json');
    await writeFile(creds, JSON.stringify({ ...slow.credentials, authorityHost: slow.authorityHost, apiHost: slow.apiHost }), { mode: 0o600 });
    const args = (out) => ['sync', '--credentials', creds, '--out', out, '--connected-at', CONNECTED_AT, '--page-size', '40', '--as-of', CONNECTED_AT];

    // Started, then killed once a dozen pages are in the journal.
    const out = join(dir, 'out');
    const child = spawn(process.execPath, [BIN, ...args(out)], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
    const ck = join(out, 'checkpoint.json');
    for (;;) {
      const text = await readFile(ck, 'utf8').catch(() => null);
      if (text && JSON.parse(text).journal.entries >= 12) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    const store = await openCheckpointFile(ck);
    const saved = await store.load();
    await store.close();
    assert.ok(JSON.parse(saved.plan).run.journalLength >= 12, 'the plan counts the journaled pages');

    const resumed = await run(args(out), {});
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming run 1 \(\d+ pages already read\)/);
    // The same output as an uninterrupted sync of the same environment.
    const { engine } = await syncEmulator(slow, { sync: { pageSize: 40 } });
    try {
      assert.equal(await readFile(join(out, 'transactions.json'), 'utf8'), `${engine.transactionsJson()}\n`);
      assert.equal(await readFile(join(out, 'transactions.csv'), 'utf8'), engine.transactionsCsv());
      assert.deepEqual(JSON.parse(await readFile(join(out, 'users.json'), 'utf8')), engine.users());
    } finally {
      engine.free();
    }
    const runInfo = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
    assert.equal(runInfo.run.resumed, true);
    assert.ok(!JSON.stringify(runInfo).includes(slow.credentials.clientSecret), 'no secret in run.json');
    assert.ok(!resumed.stderr.includes(slow.credentials.clientSecret), 'no secret on stderr');
  } finally {
    await slow.close();
    await rm(dir, { recursive: true, force: true });
  }
});
