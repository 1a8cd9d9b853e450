// The sync loop: runs the core's plan with the Business Central client.
//
// The core (SyncPlan, in wasm) decides which URLs to read, in what order, how to narrow a query
// that timed out, what a failure means and where the next run starts; this file only performs:
// it GETs each task with the BC client, hands every page to the engine the moment it arrives,
// keeps at most `concurrency` requests in flight, saves a checkpoint after every page, and
// reports progress. No business rule lives here.
//
//   const { engine, outcome, stats } = await runSync({
//     core,                                  // the bc-spend package: Engine, SyncPlan, State*
//     credential, tenantId, environment,     // or `client` (a createBcClient() result)
//     engineOptions: { lineMode: 'invoice', rules },
//     sync: { connectedAt: '2026-11-26', companies: ['CRONUS USA, Inc.'], concurrency: 5 },
//     checkpoint: await store.load(),        // null the first time
//     saveCheckpoint: (u) => store.save(u),
//     onProgress: (e) => console.error(e.type, e.progress?.pages),
//   });
//   // engine.transactions(), engine.users(), outcome.changes, outcome.companies; engine.free()
//   // `engineOptions` (in the result and beforeCommit's argument): the options the plan handed
//   // the engine (window, credit memos, environment): Engine.fromState rebuilds it with them.
//
// `stats` (requests, retries, throttled, pages, bytes, peakInFlight, elapsedMs) counts requests
// and retries only when runSync builds the client (from credential/apiHost/tenantId/environment).
//
// Checkpoints (what `saveCheckpoint` receives, in order; each call must finish before the next)
//   { plan, append: { entity, companyId, bytes, text } }  after every page: append the page to
//       the journal, then keep `plan` (small JSON) as the checkpoint. `bytes` is the body as BC
//       sent it (a Uint8Array); `text`, the same decoded, is computed when read.
//   { plan, state }  when a run ends (and before a new run abandons an interrupted one): make
//       `state` the base (null, or an iterable of pieces: Uint8Arrays that joined are the
//       engine's state bytes, `exportState()`), empty the journal, keep `plan`. When a run
//       abandons a checkpoint whose base is a version 1 state (0.1's JSON text), its pieces are
//       passed on as they were read (strings or bytes): a store keeps them as bytes, and the
//       next run's end writes version 2.
// `beforeCommit({ engine, outcome, stats, engineOptions })`, when given, runs after the last
// page and before the checkpoint that ends the run is saved: a host writes its outputs there.
// Once that checkpoint is saved, the next run is a new incremental one and this run's change report (outcome.changes)
// cannot be computed again; a kill before it resumes this run, which reports the same changes.
// `checkpoint` (input) is `{ plan, state, journal }`: the last plan kept, the base state (null,
// its bytes (a Uint8Array), or a function returning an (async) iterable of its pieces, read a
// piece at a time: Uint8Arrays cut anywhere; a version 1 state may also be given as its text),
// and the journal entries (array, (async) iterable, or a function returning one, each
// `{ entity, companyId, bytes }` or `{ entity, companyId, text }`) in the order they were
// appended. A run killed at any
// point resumes from it with the same result as an uninterrupted run; createMemoryCheckpointStore
// below is the reference implementation, www/cli/checkpoint-store.js the file one.
//
// Memory stays bounded: a page is parsed, ingested and journaled, then dropped; at most
// `concurrency` pages are in flight and as many wait for their checkpoint to be saved.
//
// Plain ESM with no Node-only API (fetch, AbortSignal, setTimeout through the client): runs in
// Node, browsers and Cloudflare Workers.

import { createBcClient } from './bc-client.js';
import { BcSpendError, abortedError, configError } from './errors.js';

const ETA_WINDOW = 30;

/** Runs one sync. See the header comment for the options and the checkpoint contract. */
export async function runSync({
  core,
  client,
  credential,
  apiHost,
  tenantId,
  environment,
  fetch,
  clientOptions = {},
  engineOptions = {},
  sync = {},
  checkpoint = null,
  saveCheckpoint = async () => {},
  beforeCommit,
  onProgress,
  signal,
  now = () => Date.now(),
} = {}) {
  if (!core || ['Engine', 'SyncPlan', 'StateExport', 'StateImport', 'bcLimits', 'environmentKey', 'isGuid'].some((k) => typeof core[k] !== 'function')) {
    throw configError('runSync needs `core`: the bc-spend package exports ({ Engine, SyncPlan, StateExport, StateImport, bcLimits, environmentKey, isGuid }).', { option: 'core' });
  }
  if (typeof saveCheckpoint !== 'function') throw configError('saveCheckpoint must be an async function.', { option: 'saveCheckpoint' });
  // The plan checks the range too; this check stays only so that runSync refuses its own option
  // as CONFIG_INVALID, as it always has. The bound is BC's, from the core.
  const { maxConcurrency } = core.bcLimits();
  if (sync.concurrency !== undefined && (!Number.isInteger(sync.concurrency) || sync.concurrency < 1 || sync.concurrency > maxConcurrency)) {
    throw configError(`sync.concurrency must be an integer from 1 to ${maxConcurrency}.`, { option: 'concurrency' });
  }

  const stats = { requests: 0, retries: 0, throttled: 0, tokenRefreshes: 0, pages: 0, replayed: 0, bytes: 0, peakInFlight: 0, failures: [] };
  const emit = (event) => {
    if (!onProgress) return;
    try { onProgress(event); } catch { /* a progress listener must not break a sync */ }
  };
  const onEvent = (e) => {
    if (e.type === 'request') stats.requests += 1;
    else if (e.type === 'retry') { stats.retries += 1; emit({ type: 'retry', reason: e.reason, status: e.status, delayMs: e.delayMs, retryAfterMs: e.retryAfterMs, attempt: e.attempt }); }
    else if (e.type === 'throttled') stats.throttled += 1;
    else if (e.type === 'tokenRefresh') stats.tokenRefreshes += 1;
    clientOptions.onEvent?.(e);
  };
  const envKey = engineOptions.environment ?? core.environmentKey(tenantId == null ? null : String(tenantId), String(environment ?? ''));
  const startedMs = now();
  // The plan decides the window, the credit-memo setting and the requests in flight, from the
  // sync settings and those given with the engine options, and hands the engine its options.
  const plan = core.SyncPlan.withEngineOptions({ ...sync, environment: envKey, startedAt: new Date(startedMs).toISOString() }, engineOptions, checkpoint?.plan ?? null);
  const concurrency = plan.concurrency;
  let engine = null;
  let runEngineOptions;
  try {
    // No page size here: every request carries its task's (the plan's).
    const bc = client ?? createBcClient({
      ...clientOptions,
      core,
      credential,
      apiHost,
      tenantId,
      environment,
      ...(fetch ? { fetch } : {}),
      maxConcurrency: Math.min(concurrency, clientOptions.maxConcurrency ?? concurrency),
      // A 504 is answered by narrowing the query (the plan decides), not by repeating it.
      retry: { timeoutRetries: 0, ...clientOptions.retry },
      onEvent,
    });
    runEngineOptions = plan.engineOptions(engineOptions);
    engine = await restoreEngine(core, runEngineOptions, checkpoint?.state);
    plan.begin(engine);

    // Resume: the pages ingested before the interruption, in the same order.
    if (plan.resumed) {
      const want = plan.journalLength;
      let n = 0;
      if (want > 0) {
        for await (const entry of journalOf(checkpoint)) {
          if (n >= want) break;
          engine.addPage(entry.entity, entry.companyId ?? null, entry.bytes ?? entry.text);
          n += 1;
        }
      }
      if (n < want) {
        throw new BcSpendError('CHECKPOINT_INCOMPLETE', `The checkpoint's journal holds ${n} of the ${want} pages its plan records; it cannot be resumed. Sync again without the checkpoint (a full sync).`, { details: { journal: n, expected: want } });
      }
      stats.replayed = n;
    } else if (plan.staleJournal > 0) {
      // An interrupted run with other settings: this run starts over from the last complete one.
      await saveCheckpoint({ plan: plan.checkpoint(), state: piecesOf(checkpoint?.state) });
    }
    emit({ type: 'start', run: plan.run, resumed: plan.resumed, replayedPages: stats.replayed, windowStart: plan.windowStart, progress: plan.progress() });

    // ------------------------------------------------------------------ the request loop
    let fatal = null;
    let saveChain = Promise.resolve();
    let pendingSaves = 0;
    const recent = []; // timestamps of recent pages, for the ETA
    const etaMs = (remaining) => {
      if (remaining == null || recent.length < 3) return null;
      const span = recent[recent.length - 1] - recent[0];
      return span > 0 ? Math.round((remaining * span) / (recent.length - 1)) : null;
    };

    // Saves run one at a time, in ingestion order; after a failed one none follows, so the
    // journal never has a gap (the next run resumes from the last good checkpoint).
    let saveFailed = false;
    const save = (update) => {
      pendingSaves += 1;
      const p = saveChain.then(() => (saveFailed ? undefined : saveCheckpoint(update)));
      saveChain = p.then(
        () => { pendingSaves -= 1; wake(); },
        (e) => {
          pendingSaves -= 1;
          saveFailed = true;
          fatal ??= new BcSpendError('CHECKPOINT_SAVE_FAILED', `Could not save the sync checkpoint: ${e?.message ?? e}`, { cause: e });
          wake();
        },
      );
      return saveChain;
    };

    const decided = (d, task, err) => {
      stats.failures.push({ action: d.action, entity: task.entity, companyId: task.companyId, code: err.code, message: d.message });
      if (d.action === 'abort') { fatal ??= err; return; }
      const base = { entity: task.entity, companyId: d.companyId ?? task.companyId, message: d.message, code: err.code, progress: plan.progress() };
      if (d.action === 'companyFailed') emit({ type: 'companyFailed', ...base, error: { code: err.code, message: err.message } });
      else if (d.action === 'usersFailed') emit({ type: 'usersFailed', ...base, error: { code: err.code, message: err.message } });
      else if (d.action === 'narrowed') emit({ type: 'narrowed', ...base });
      else if (d.action === 'retry') emit({ type: 'taskRetry', ...base });
    };

    // A request slot is held only while a request is in flight: once a page has arrived its slot
    // goes to the next request (of another read) before the page is ingested, so the ingest
    // overlaps other requests' latency. The plan is told about the page, the page ingested and
    // its checkpoint taken in one synchronous step, so checkpoints never run ahead of the journal.
    let requesting = 0;
    let received = 0;
    const tasks = new Set();
    let wake = () => {};
    const woken = () => new Promise((r) => { wake = r; });

    const perform = async (task) => {
      let res;
      try {
        // The body stays the bytes BC sent (never decoded to a JS string) and the engine parses
        // it once: staging it is the client's check that the body is whole (a truncated one is
        // fetched again) and gives the plan the envelope (links, count, records); the page is
        // added only if the plan says so.
        res = await bc.get(task.url, { signal, maxPageSize: task.pageSize, parse: (body) => engine.stagePage(task.entity, task.companyId, body), body: 'bytes' });
      } catch (err) {
        requesting -= 1;
        if (signal?.aborted || err?.code === 'ABORTED') { fatal ??= err?.code === 'ABORTED' ? err : abortedError(); return; }
        const d = plan.taskFailed(task.id, { code: String(err?.code ?? 'UNKNOWN'), message: String(err?.message ?? err), narrowable: Boolean(err?.details?.narrowable), status: err?.status });
        decided(d, task, err instanceof Error ? err : new BcSpendError('UNKNOWN', String(err)));
        return;
      }
      const staged = res.json; // null only for a body-less 204
      let result;
      let ack;
      try {
        requesting -= 1;
        received += 1;
        pump();
        await yieldToEventLoop();
        received -= 1;
        ack = plan.pageDone(task.id, { ...staged?.envelope, text: task.wantsText ? utf8.decode(res.bytes) : undefined });
        if (ack.ingest) result = staged ? engine.commitPage(staged.handle) : engine.addPage(task.entity, task.companyId, res.bytes);
      } finally {
        if (staged && !result) engine.discardPage(staged.handle);
      }
      if (!ack.ingest) return;
      const body = res.bytes;
      stats.pages += 1;
      stats.bytes += body.length;
      const saved = save({ plan: plan.checkpoint(), append: journalEntry(task.entity, task.companyId, body) });
      recent.push(now());
      if (recent.length > ETA_WINDOW) recent.shift();
      const progress = plan.progress();
      if (ack.companiesListed) emit({ type: 'companies', progress });
      emit({ type: 'page', entity: task.entity, companyId: task.companyId, label: task.label, records: result.records, rejected: result.rejected, progress, requests: stats.requests, retries: stats.retries, elapsedMs: now() - startedMs, etaMs: etaMs(progress.remainingPages) });
      if (ack.companyDone) emit({ type: 'companyDone', companyId: ack.companyDone, progress });
      if (ack.failed) decided(ack.failed, task, new BcSpendError('BC_INVALID_RESPONSE', ack.failed.message));
      pump();
      // Bounded memory: wait for the checkpoint when saves fall behind.
      if (pendingSaves > concurrency) await saved;
    };

    function pump() {
      if (signal?.aborted) fatal ??= abortedError();
      // Pages received but not yet ingested (all but one) and pages waiting for their checkpoint
      // count too: requests never run ahead of the ingest or the checkpoint, so memory holds a
      // few pages at most.
      while (!fatal && requesting < concurrency && requesting + Math.max(0, received - 1) < concurrency && pendingSaves <= concurrency) {
        const task = plan.nextTask();
        if (!task) break;
        requesting += 1;
        stats.peakInFlight = Math.max(stats.peakInFlight, requesting);
        const p = perform(task)
          .catch((e) => { fatal ??= e; })
          .finally(() => { tasks.delete(p); wake(); });
        tasks.add(p);
      }
    }

    // Every wake-up asks the plan first, then checks what is in flight: a request that failed
    // leaves its retry with the plan (the failure path does not pump), and when it was the last
    // one in flight, checking first ended the sync with the retry never made.
    for (;;) {
      const next = woken();
      pump();
      if (tasks.size === 0) break;
      await next;
    }
    await saveChain;
    if (fatal) throw fatal;

    const outcome = plan.finish(engine);
    stats.elapsedMs = now() - startedMs;
    await beforeCommit?.({ engine, outcome, stats, engineOptions: runEngineOptions });
    await saveCheckpoint({ plan: outcome.checkpoint, state: stateChunks(core, engine) });
    emit({ type: 'done', outcome, progress: plan.progress(), stats });
    const out = { engine, outcome, stats, engineOptions: runEngineOptions };
    engine = null;
    return out;
  } finally {
    engine?.free();
    plan.free();
  }
}

/**
 * The engine's state in pieces (Uint8Arrays of at most `budget` bytes), for hosts that store it
 * in pieces (a file written as it comes, D1 rows); joined, they are `engine.exportState()`. Do
 * not change the engine while iterating.
 */
export function* stateChunks(core, engine, budget = 1 << 20) {
  const exporter = new core.StateExport(engine);
  try {
    for (let chunk = exporter.next(engine, budget); chunk !== undefined; chunk = exporter.next(engine, budget)) yield chunk;
  } finally {
    exporter.free();
  }
}

/** An engine from a checkpoint's state: none, its bytes (or a v1 state's text), or its pieces (streamed). */
async function restoreEngine(core, options, state) {
  if (state == null) return new core.Engine(options);
  if (typeof state === 'string' || state instanceof Uint8Array) return core.Engine.fromState(options, state);
  const importer = new core.StateImport(options);
  try {
    for await (const piece of typeof state === 'function' ? state() : state) importer.push(piece);
  } catch (e) {
    importer.free();
    throw e;
  }
  return importer.finish();
}

/** A checkpoint's state as runSync passes it on: null, or an iterable of pieces. */
function piecesOf(state) {
  if (state == null) return null;
  if (typeof state === 'string' || state instanceof Uint8Array) return [state];
  return typeof state === 'function' ? state() : state;
}

const utf8 = new TextDecoder();

/** A page for the journal: its body as BC sent it (`bytes`), and `text`, decoded on first read,
 *  for stores that keep strings. */
function journalEntry(entity, companyId, bytes) {
  let text;
  return {
    entity,
    companyId,
    bytes,
    get text() { text ??= utf8.decode(bytes); return text; },
  };
}

/** Lets requests just started go out before CPU-bound work (setImmediate where it exists). */
function yieldToEventLoop() {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

async function* journalOf(checkpoint) {
  const j = checkpoint?.journal;
  if (!j) return;
  const source = typeof j === 'function' ? j() : j;
  for await (const entry of source) yield entry;
}

/**
 * A checkpoint store in memory (tests, or a worker that persists `snapshot()` itself):
 * `save(update)` follows the contract of runSync's `saveCheckpoint`, `load()` gives runSync's
 * `checkpoint` input (null before the first save); `state` is the base state's bytes.
 */
const encoder = new TextEncoder();

function concatBytes(pieces) {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function createMemoryCheckpointStore() {
  let plan = null;
  let state = null;
  let journal = [];
  return {
    async save(update) {
      if (update.state !== undefined) {
        let bytes = null;
        if (update.state !== null) {
          // Pieces are bytes; the text pieces of a version 1 state passed on are kept as their
          // UTF-8, which Engine.fromState reads as that version.
          const pieces = [];
          for await (const piece of update.state) pieces.push(typeof piece === 'string' ? encoder.encode(piece) : piece);
          bytes = concatBytes(pieces);
        }
        state = bytes;
        journal = [];
      }
      if (update.append) {
        const { entity, companyId, bytes } = update.append;
        journal.push(bytes ? { entity, companyId, bytes } : { entity, companyId, text: update.append.text });
      }
      plan = update.plan;
    },
    load() {
      return plan === null ? null : { plan, state, journal: journal.slice() };
    },
    get journalLength() { return journal.length; },
    get plan() { return plan; },
    get state() { return state; },
  };
}
