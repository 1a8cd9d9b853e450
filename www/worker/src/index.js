// The bc-spend Worker: syncs many Business Central tenants by fanning out over Cloudflare Queues.
//
//   scheduled (cron)  one message per configured connection and company (a connection without
//                     configured companies gets one `discover` message, whose consumer lists
//                     the companies with one request and enqueues their syncs)
//   queue             one company's sync per message: runSync with the wasm engine, the
//                     company's checkpoint and state from D1, the result committed to D1;
//                     throttling and outages go back to the queue with a delay (BC's
//                     Retry-After, else exponential backoff); a rejected secret or a missing
//                     company is recorded for the connection and acknowledged
//   fetch             GET /tenants/{id}/report?asOf=YYYY-MM-DD (the tenant's companies merged
//                     into one engine), /tenants/{id}/transactions, /tenants/{id}/users:
//                     `Authorization: Bearer <token>` with the tenant's own token (its
//                     reportTokenSha256) or the admin token (ADMIN_TOKEN), which alone
//                     reads /status
//
// Messages carry ids only ({ v, kind, connection, companyId, run }): client secrets come from
// Worker secrets (see config.js). A message delivered twice does nothing the second time (the
// company's committed run is at least the message's), a delivery racing another one waits for
// its lease, and a run repeated on purpose replaces the company's state: transaction ids are
// stable, so nothing is duplicated.
//
// The wasm engine is instantiated once per isolate when pkg/workerd.js is imported (the
// CompiledWasm rule in wrangler.toml). The host code is the package's, as in Node.

import { runSync, createClientCredentials, createBcClient, Engine, SyncPlan, redactText } from '../../../pkg/workerd.js';
import {
  engineOptionsOf, environmentName, identifyCaller, isTransient, readAccess, readConnections, readMessage, retryDelaySeconds,
  joinPieces, scheduledMessages, secretFor, splitBytes, syncMessage, syncOptionsOf,
} from './config.js';
import { openStore } from './store.js';

/** A crashed delivery's lease expires after the Queues consumer's 15 minutes of wall time. */
const LEASE_MS = 16 * 60 * 1000;
const SEND_BATCH = 100;

export default {
  async scheduled(controller, env) {
    await schedule(env, new Date(controller.scheduledTime).toISOString());
  },

  async queue(batch, env) {
    // wrangler.toml delivers one message per invocation, so that the CPU-time and subrequest
    // limits apply to one company's sync; a larger batch is handled one message at a time.
    for (const message of batch.messages) await handleMessage(message, env);
  },

  async fetch(request, env) {
    return handleFetch(request, env);
  },
};

// ------------------------------------------------------------------------------- measurement

function newMeter(kind, fields = {}) {
  return { kind, ...fields, bcRequests: 0, tokenRequests: 0, d1: 0, queueSends: 0, retryAfterMs: 0, startedAt: Date.now() };
}

/** One structured log line per invocation (Workers Logs keeps them; the tests read them). */
function report(meter, outcome, extra = {}) {
  const { startedAt, ...m } = meter;
  const subrequests = m.bcRequests + m.tokenRequests + m.d1 + m.queueSends;
  console.log(JSON.stringify({ bcSpendInvocation: { ...m, outcome, subrequests, wallMs: Date.now() - startedAt, ...extra } }));
}

function meteredFetch(meter, field) {
  return (input, init) => { meter[field] += 1; return fetch(input, init); };
}

// Tokens live about an hour: reuse one across the invocations of an isolate. Only the token
// value is shared, never a pending request (Workers do not let one request wait on another's
// I/O).
const tokens = new Map();

function credentialOf(connection, secret, meter) {
  const inner = createClientCredentials({
    tenantId: connection.tenantId,
    clientId: connection.clientId,
    clientSecret: secret,
    ...(connection.authorityHost ? { authorityHost: connection.authorityHost } : {}),
    fetch: meteredFetch(meter, 'tokenRequests'),
  });
  const key = `${connection.id}|${inner.identityKey}`;
  return {
    identityKey: inner.identityKey,
    async getToken(scopes, options) {
      const cached = tokens.get(key);
      if (cached && cached.secret === secret && cached.expiresOnTimestamp - Date.now() > 5 * 60 * 1000) {
        return { token: cached.token, expiresOnTimestamp: cached.expiresOnTimestamp };
      }
      const t = await inner.getToken(scopes, options);
      tokens.set(key, { secret, token: t.token, expiresOnTimestamp: t.expiresOnTimestamp });
      return t;
    },
    invalidate(token) {
      const cached = tokens.get(key);
      if (cached && (!token || cached.token === token)) tokens.delete(key);
      inner.invalidate(token);
    },
  };
}

function retryOptions(env) {
  const int = (v, d) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? d : Number(v));
  return {
    maxRetries: int(env.SYNC_CLIENT_MAX_RETRIES, 3),
    baseDelayMs: int(env.SYNC_CLIENT_BASE_DELAY_MS, 500),
    // Longer waits go back to the queue instead of holding the invocation.
    maxRetryAfterMs: int(env.SYNC_MAX_RETRY_AFTER_MS, 10_000),
  };
}

function queueDelay(env, attempts, retryAfterMs) {
  const int = (v, d) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? d : Number(v));
  return retryDelaySeconds({ attempts, retryAfterMs, baseSeconds: int(env.QUEUE_RETRY_BASE_SECONDS, 30), maxSeconds: int(env.QUEUE_RETRY_MAX_SECONDS, 3600) });
}

/** An error's code and message for storage: no secret, bounded. */
function describe(error, secret) {
  const code = String(error?.code ?? 'INTERNAL');
  let message = String(error?.message ?? error ?? 'unknown error');
  // Stored in D1 and served by /status: the package's one redactor, with this connection's
  // secret registered, also catches url-encoded and JSON-escaped echoes and credential shapes.
  message = redactText(message, secret ? [secret] : []);
  return { code, message: message.slice(0, 1000) };
}

// --------------------------------------------------------------------------------- scheduled

async function schedule(env, run) {
  const meter = newMeter('scheduled', { run });
  const connections = readConnections(env);
  const store = openStore(env.DB, meter);
  await store.recordScheduled(run, connections);
  const messages = scheduledMessages(connections, run);
  await send(env, meter, messages);
  report(meter, 'ok', { connections: connections.length, messages: messages.length });
}

async function send(env, meter, bodies) {
  for (let i = 0; i < bodies.length; i += SEND_BATCH) {
    meter.queueSends += 1;
    await env.SYNC_QUEUE.sendBatch(bodies.slice(i, i + SEND_BATCH).map((body) => ({ body, contentType: 'json' })));
  }
}

// ------------------------------------------------------------------------------------- queue

async function handleMessage(message, env) {
  const body = readMessage(message.body);
  const meter = newMeter(body?.kind ?? 'invalid', { connection: body?.connection ?? null, companyId: body?.companyId ?? null, attempts: message.attempts });
  if (!body) {
    report(meter, 'malformed');
    message.ack();
    return;
  }
  let connections;
  try {
    connections = readConnections(env);
  } catch (e) {
    // The operator's configuration is broken: keep the message until it is fixed.
    const delaySeconds = queueDelay(env, message.attempts, 0);
    report(meter, 'configInvalid', { error: describe(e), delaySeconds });
    message.retry({ delaySeconds });
    return;
  }
  const connection = connections.find((c) => c.id === body.connection);
  if (!connection) {
    report(meter, 'unknownConnection');
    message.ack();
    return;
  }
  if (body.kind === 'discover') await discover(message, body, connection, env, meter);
  else await syncCompany(message, body, connection, env, meter);
}

async function discover(message, body, connection, env, meter) {
  const store = openStore(env.DB, meter);
  const secret = secretFor(env, connection);
  if (!secret) {
    const error = { code: 'AUTH_NO_SECRET', message: `No client secret for connection ${connection.id}: set the Worker secret ${connection.secret} (wrangler secret put ${connection.secret}).` };
    await store.recordConnectionFailure(connection.id, body.run, { status: 'failed', ...error, attempts: message.attempts });
    report(meter, 'failed', { error });
    message.ack();
    return;
  }
  try {
    const client = createBcClient({
      credential: credentialOf(connection, secret, meter),
      tenantId: connection.tenantId,
      environment: connection.environment,
      ...(connection.apiHost ? { apiHost: connection.apiHost } : {}),
      fetch: meteredFetch(meter, 'bcRequests'),
      shareLimiter: false,
      maxPageSize: 1000,
      retry: retryOptions(env),
      onEvent: (e) => { if (e.type === 'throttled' && e.retryAfterMs) meter.retryAfterMs = Math.max(meter.retryAfterMs, e.retryAfterMs); },
    });
    const rows = await client.getAll('api/v2.0/companies?$select=id,name,displayName');
    const companies = rows
      .filter((r) => typeof r?.id === 'string')
      .map((r) => ({ id: r.id.toLowerCase(), name: r.displayName || r.name || null }));
    await store.recordDiscovery(connection.id, body.run, companies);
    await send(env, meter, companies.map((c) => syncMessage(connection.id, c.id, body.run)));
    report(meter, 'ok', { companies: companies.length });
    message.ack();
  } catch (e) {
    const error = describe(e, secret);
    if (isTransient(error.code)) {
      const delaySeconds = queueDelay(env, message.attempts, e?.details?.retryAfterMs ?? meter.retryAfterMs);
      await store.recordConnectionFailure(connection.id, body.run, { status: 'retrying', ...error, attempts: message.attempts });
      report(meter, 'retry', { error, delaySeconds });
      message.retry({ delaySeconds });
    } else {
      await store.recordConnectionFailure(connection.id, body.run, { status: 'failed', ...error, attempts: message.attempts });
      report(meter, 'failed', { error });
      message.ack();
    }
  }
}

async function syncCompany(message, body, connection, env, meter) {
  const store = openStore(env.DB, meter);
  const leaseId = crypto.randomUUID();
  const claim = await store.claim(connection.id, body.companyId, body.run, leaseId, Date.now(), LEASE_MS);
  if (claim.outcome === 'done') {
    // Delivered again after its run (or a later one) was committed: nothing to do.
    report(meter, 'duplicate', { lastRun: claim.lastRun });
    message.ack();
    return;
  }
  if (claim.outcome === 'leased') {
    const delaySeconds = queueDelay(env, message.attempts, 0);
    report(meter, 'leased', { delaySeconds });
    message.retry({ delaySeconds });
    return;
  }
  const row = claim.row;
  const release = (status, error) => store.release(connection.id, body.companyId, leaseId, { status, code: error.code, message: error.message, attempts: message.attempts });

  const secret = secretFor(env, connection);
  if (!secret) {
    const error = { code: 'AUTH_NO_SECRET', message: `No client secret for connection ${connection.id}: set the Worker secret ${connection.secret} (wrangler secret put ${connection.secret}).` };
    await release('failed', error);
    report(meter, 'failed', { error });
    message.ack();
    return;
  }

  // The committed state, read as the sync restores its engine (store.js: PIECES_PER_CALL
  // pieces per D1 call, each pushed to the engine before the next is read).
  const statePieces = () => store.statePieces(connection.id, body.companyId, row.state_gen);
  let final = null;
  let result;
  let transactions;
  try {
    result = await runSync({
      credential: credentialOf(connection, secret, meter),
      tenantId: connection.tenantId,
      environment: connection.environment,
      ...(connection.apiHost ? { apiHost: connection.apiHost } : {}),
      fetch: meteredFetch(meter, 'bcRequests'),
      clientOptions: {
        shareLimiter: false,
        retry: retryOptions(env),
        onEvent: (e) => { if (e.type === 'throttled' && e.retryAfterMs) meter.retryAfterMs = Math.max(meter.retryAfterMs, e.retryAfterMs); },
      },
      engineOptions: engineOptionsOf(connection),
      sync: syncOptionsOf(connection, body.companyId),
      // The checkpoint of the last committed run: this run is incremental from it. Pages are
      // not journaled (a D1 write each); a run that does not finish starts again from here.
      checkpoint: row.plan ? { plan: row.plan, state: row.state_gen ? statePieces : null, journal: [] } : null,
      // Built before the state is exported, so the state keeps the match decisions: the
      // next run and the tenant's report (Engine.fromStates) analyse only lines they have not
      // seen. The built transactions are released first (the summary's figures stay).
      beforeCommit: ({ engine }) => {
        transactions = engine.summary().transactions;
        engine.releaseBuilt();
      },
      saveCheckpoint: async (update) => {
        if (update.state === undefined) return;
        const pieces = [];
        if (update.state !== null) for await (const piece of update.state) pieces.push(...splitBytes(piece));
        final = { plan: update.plan, pieces };
      },
    });
  } catch (e) {
    const error = describe(e, secret);
    await settleFailure(message, env, meter, release, error, e?.details?.retryAfterMs);
    return;
  }

  const { engine, outcome, stats } = result;
  engine.free();
  const company = outcome.companies.find((c) => c.id.toLowerCase() === body.companyId);
  if (!company || outcome.notFound.length) {
    await release('failed', { code: 'BC_COMPANY_NOT_FOUND', message: `Company ${body.companyId} is not in the environment's company list; remove it from the connection's companies.` });
    report(meter, 'failed', { error: { code: 'BC_COMPANY_NOT_FOUND' } });
    message.ack();
    return;
  }
  if (company.status !== 'done') {
    await settleFailure(message, env, meter, release, describe(company.error ?? { code: 'SYNC_FAILED', message: 'the company sync did not finish' }, secret));
    return;
  }
  const usersError = outcome.usersError ? `${outcome.usersError.code}: ${outcome.usersError.message ?? ''}`.slice(0, 1000) : null;
  let committed;
  try {
    if (!final) throw new Error('runSync finished without handing over its state');
    committed = await store.commit(connection.id, body.companyId, leaseId, {
      gen: crypto.randomUUID(), pieces: final.pieces, plan: final.plan, run: body.run, transactions, requests: stats.requests, usersError,
    });
  } catch (e) {
    // D1 refused the write (or a bug): the run is not committed; try again later.
    await settleFailure(message, env, meter, release, describe(e, secret));
    return;
  }
  report(meter, committed ? 'committed' : 'superseded', { transactions, pages: stats.pages, statePieces: final.pieces.length, stateBytes: final.pieces.reduce((n, p) => n + p.length, 0), changes: { added: outcome.changes.added, changed: outcome.changes.changed, removed: outcome.changes.removed } });
  message.ack();
}

async function settleFailure(message, env, meter, release, error, retryAfterMs) {
  if (isTransient(error.code)) {
    const delaySeconds = queueDelay(env, message.attempts, retryAfterMs ?? meter.retryAfterMs);
    // If even this write fails, the lease expires and a later delivery takes over.
    await release('retrying', error).catch(() => {});
    report(meter, 'retry', { error, delaySeconds });
    message.retry({ delaySeconds });
  } else {
    await release('failed', error);
    report(meter, 'failed', { error });
    message.ack();
  }
}

// ------------------------------------------------------------------------------------- fetch

function json(status, value, headers = {}) {
  return new Response(typeof value === 'string' ? value : JSON.stringify(value), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}
const problem = (status, code, message, extra = {}) => json(status, { error: { code, message }, ...extra });

async function handleFetch(request, env) {
  // Without valid connections only the admin can be recognised (tenant tokens live in them);
  // the admin is then told what is wrong, anyone else is not.
  let connections = [];
  let configError = null;
  try {
    connections = readConnections(env);
  } catch (e) {
    configError = e;
  }
  let access;
  try {
    access = await readAccess(env, connections);
  } catch (e) {
    return problem(e.code === 'NOT_CONFIGURED' ? 503 : 500, e.code ?? 'WORKER_CONFIG_INVALID', e.message);
  }
  const caller = await identifyCaller(request, access);
  if (!caller) {
    return json(401, { error: { code: 'UNAUTHORIZED', message: "Send Authorization: Bearer <token>: the tenant's report token, or the admin token." } }, { 'www-authenticate': 'Bearer' });
  }
  if (request.method !== 'GET') return problem(405, 'METHOD_NOT_ALLOWED', 'Only GET is served.');
  if (configError) return problem(500, configError.code ?? 'WORKER_CONFIG_INVALID', configError.message);
  const url = new URL(request.url);
  const meter = newMeter('fetch', { path: url.pathname });
  const store = openStore(env.DB, meter);

  if (url.pathname === '/status') {
    if (!caller.admin) return problem(403, 'FORBIDDEN', "/status shows every tenant: it needs the admin token. A tenant's token reads /tenants/{its id}/...");
    const s = await store.status();
    const body = { connections: connections.map((c) => connectionStatus(c, s.connections.find((x) => x.connection === c.id), s.companies.filter((x) => x.connection === c.id))) };
    report(meter, 'ok');
    return json(200, body);
  }

  const m = /^\/tenants\/([^/]+)\/(report|transactions|users)$/.exec(url.pathname);
  if (!m) return problem(404, 'NOT_FOUND', 'Routes: GET /status, /tenants/{id}/report?asOf=YYYY-MM-DD, /tenants/{id}/transactions, /tenants/{id}/users.');
  const id = decodeURIComponent(m[1]);
  const connection = connections.find((c) => c.id === id);
  // Another tenant's routes answer as an unknown tenant's: a tenant's token must not even tell
  // which other tenants this Worker serves (403 would confirm that the tenant exists).
  if (!caller.admin && caller.tenant !== id) return problem(404, 'UNKNOWN_TENANT', `No tenant ${JSON.stringify(id)} for this token.`);
  if (!connection) return problem(404, 'UNKNOWN_TENANT', caller.admin ? `No connection ${JSON.stringify(id)} is configured.` : `No tenant ${JSON.stringify(id)} for this token.`);
  const asOf = url.searchParams.get('asOf') ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) return problem(400, 'INVALID_AS_OF', 'asOf must be a date written YYYY-MM-DD.');

  const t = await store.tenant(connection.id);
  const status = connectionStatus(connection, t.connection, t.companies);
  // Each synced company's committed state, a company at a time (store.js: two pieces per D1
  // call). A sync that commits meanwhile replaces a generation being read: the report is
  // asked again (503), never made of a short state.
  const synced = [];
  const states = [];
  try {
    for (const c of t.companies.filter((x) => x.state_gen)) {
      const pieces = [];
      for await (const piece of store.statePieces(connection.id, c.company_id, c.state_gen)) pieces.push(piece);
      if (!pieces.length) continue;
      synced.push(c);
      states.push(joinPieces(pieces));
    }
  } catch (e) {
    if (e?.code !== 'STATE_SUPERSEDED') throw e;
    return json(503, { error: { code: e.code, message: 'A sync committed while the report was read; ask again.' } }, { 'retry-after': '1' });
  }
  if (synced.length === 0) {
    report(meter, 'noData');
    const why = status.error ?? status.companies.find((c) => c.error)?.error;
    return problem(409, why?.code ?? 'NO_DATA', why?.message ?? 'No company of this tenant has finished a sync yet.', { tenant: status });
  }
  const options = { ...engineOptionsOf(connection), windowStart: windowStartOf(connection, synced[0].plan) };
  let engine;
  try {
    engine = Engine.fromStates(options, states);
  } catch (e) {
    return problem(500, e.code ?? 'INTERNAL', `The stored states could not be merged: ${e.message}`);
  }
  try {
    if (m[2] === 'transactions') {
      const body = engine.transactionsJson();
      report(meter, 'ok');
      return json(200, body);
    }
    if (m[2] === 'users') {
      const body = JSON.stringify(engine.users());
      report(meter, 'ok');
      return json(200, body);
    }
    let reportJson;
    try {
      reportJson = engine.reportJson({ asOf });
    } catch (e) {
      return problem(400, e.code ?? 'INVALID_OPTION', e.message);
    }
    report(meter, 'ok');
    return json(200, `{"tenant":${JSON.stringify(status)},"asOf":${JSON.stringify(asOf)},"report":${reportJson}}`);
  } finally {
    engine.free();
  }
}

/** The window of the committed runs (a checkpoint keeps its window even if connectedAt changes). */
function windowStartOf(connection, plan) {
  const p = new SyncPlan({ environment: environmentName(connection), startedAt: new Date().toISOString(), connectedAt: connection.connectedAt, ...(connection.historyYears !== undefined ? { historyYears: connection.historyYears } : {}) }, plan);
  try {
    return p.windowStart;
  } finally {
    p.free();
  }
}

function connectionStatus(connection, row, companies) {
  const error = (code, message) => (code ? { code, message } : null);
  return {
    id: connection.id,
    status: row?.status ?? 'never scheduled',
    run: row?.run ?? null,
    error: error(row?.error_code, row?.error_message),
    companies: companies.map((c) => ({
      id: c.company_id,
      name: c.company_name,
      status: c.status,
      run: c.run,
      lastRun: c.last_run,
      attempts: c.attempts,
      error: error(c.error_code, c.error_message),
      usersError: c.users_error ?? null,
      transactions: c.transactions ?? null,
      ...(c.requests !== undefined ? { requests: c.requests } : {}),
    })),
  };
}
