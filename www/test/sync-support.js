// Shared by the sync tests (www/test/sync*.test.js): the core, a sync against an in-process
// emulator, and exact money comparisons against the emulator's ground truth.
import { loadSyncCore } from '../cli/sync.js';
import { createClientCredentials } from '../src/auth.js';
import { createMemoryCheckpointStore, runSync } from '../src/sync.js';

export const core = await loadSyncCore();

/** The emulator's data ends 2026-10-31: connecting the day after reads its last year. */
export const CONNECTED_AT = '2026-11-01';
export const WINDOW_START = '2025-11-01';

/** Fast retries: the tests are about surviving faults, not waiting for them. */
export const FAST_RETRY = { baseDelayMs: 2, maxDelayMs: 20, maxRetryAfterMs: 50 };

/** "1234.5678" -> 12345678n ten-thousandths (exact). */
export function units(decimal) {
  const m = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(decimal);
  if (!m) throw new Error(`not a decimal: ${decimal}`);
  const v = BigInt(m[2]) * 10000n + BigInt((m[3] ?? '').padEnd(4, '0'));
  return m[1] ? -v : v;
}

/** Per currency: documents, and excluding/including tax in ten-thousandths. */
export function totalsOf(transactions) {
  const out = {};
  for (const t of transactions) {
    const x = (out[t.currency] ??= { invoices: 0, excl: 0n, incl: 0n });
    x.invoices += 1;
    x.excl += units(t.amountExcludingTax);
    x.incl += units(t.amountIncludingTax);
  }
  return out;
}

export function truthTotals(truth) {
  const out = {};
  for (const [cur, x] of Object.entries(truth.totalsByCurrency)) {
    out[cur] = { invoices: x.invoices, excl: BigInt(x.excludingTaxCents) * 100n, incl: BigInt(x.includingTaxCents) * 100n };
  }
  return out;
}

export function credentialFor(emu, scenario = 'valid', overrides = {}) {
  const c = emu.scenarios[scenario];
  return createClientCredentials({ tenantId: c.tenantId, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: emu.authorityHost, ...overrides });
}

/**
 * One sync of `emu` into a fresh (or the given) memory store. Returns runSync's result plus the
 * store and the progress events; the caller frees `engine`.
 */
export async function syncEmulator(emu, {
  scenario = 'valid',
  store = createMemoryCheckpointStore(),
  sync = {},
  engineOptions = {},
  clientOptions = {},
  onProgress,
  signal,
  fetch,
  environment,
} = {}) {
  const events = [];
  const c = emu.scenarios[scenario];
  const result = await runSync({
    core,
    credential: credentialFor(emu, scenario, fetch ? { fetch } : {}),
    apiHost: emu.apiHost,
    tenantId: c.tenantId,
    environment: environment ?? c.environment,
    ...(fetch ? { fetch } : {}),
    clientOptions: { shareLimiter: false, ...clientOptions, retry: { ...FAST_RETRY, ...clientOptions.retry } },
    engineOptions,
    sync: { connectedAt: CONNECTED_AT, ...sync },
    checkpoint: store.load(),
    saveCheckpoint: (u) => store.save(u),
    onProgress: (e) => { events.push(e); onProgress?.(e); },
    signal,
  });
  return { ...result, store, events };
}

/** The observable result of a sync: what a user reads in the output files. */
export function observable(engine) {
  return {
    transactions: engine.transactionsJson(),
    users: JSON.stringify(engine.users()),
  };
}

export function assertMatchesTruth(assert, engine, emu, { since = WINDOW_START, companies } = {}) {
  const truth = emu.groundTruth({ since, companies, lines: false });
  const txs = engine.transactions();
  const ids = new Set(txs.map((t) => `${t.companyId}/${t.invoiceId}`));
  assert.equal(ids.size, txs.length, 'no invoice twice');
  assert.equal(txs.length, truth.count, 'as many transactions as paid invoices in the window');
  assert.deepEqual(totalsOf(txs), truthTotals(truth), 'totals per currency to the cent');
  return truth;
}
