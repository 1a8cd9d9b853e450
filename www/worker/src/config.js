// The Worker's configuration and the decisions that need no I/O: which connections exist, where
// each one's client secret comes from, the queue messages, which failures are worth a retry and
// after how long, and who may read what over HTTP. Plain ESM; the two rules it shares with the
// sync (the company-id check and the environment's name) are the core's, called from the
// wasm-bindgen glue, which the entry that loaded the package (pkg/workerd.js in the Worker,
// pkg/node.js in Node tests) has initialised before any of these functions runs.

import { environmentKey, isGuid } from '../../../pkg/bc_spend.js';

/** Queue message format version. */
export const MESSAGE_VERSION = 1;
/** Requests per company sync kept in flight: three companies of a tenant syncing at once in
 * different isolates stay near BC's 5 concurrent requests per app (BC queues the excess). */
export const DEFAULT_CONCURRENCY = 2;
/** Cloudflare Queues accepts delays up to 24 hours. */
const MAX_QUEUE_DELAY_SECONDS = 24 * 60 * 60;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const SHA256_HEX_RE = /^[0-9a-f]{64}$/i;
const CONNECTION_KEYS = new Set(['id', 'tenantId', 'environment', 'clientId', 'secret', 'companies', 'connectedAt', 'historyYears',
  'lineMode', 'creditMemos', 'rules', 'defaultCurrency', 'authorityHost', 'apiHost', 'concurrency', 'pageSize', 'reportTokenSha256']);
/** A bearer token shorter than this is guessable enough to refuse, whoever it belongs to. */
export const MIN_TOKEN_BYTES = 32;

export class ConfigurationError extends Error {
  constructor(message, code = 'WORKER_CONFIG_INVALID') { super(message); this.name = 'ConfigurationError'; this.code = code; }
}

/**
 * Reads `BC_CONNECTIONS` (a JSON text or object, a var or a secret): an array of connections,
 * or `{ defaults, connections }` where `defaults` applies to every connection. A connection:
 *   { id, tenantId, environment, clientId, connectedAt, secret?, companies?, lineMode?,
 *     creditMemos?, rules?, defaultCurrency?, historyYears?, concurrency?, pageSize?,
 *     authorityHost?, apiHost?, reportTokenSha256? }
 * `secret` names the binding that holds the client secret (default `BC_SECRET_{ID}`, the id upper-cased with
 * other characters as `_`); `companies` lists company ids in the order of BC's company list
 * (when absent, the companies are discovered with one request each run); `reportTokenSha256` is
 * the SHA-256 (hex) of the tenant's own report token, which then reads that tenant's routes and
 * no other (a hash is no secret: the token itself is stored nowhere). Holds no secret.
 */
export function readConnections(env) {
  let raw = env.BC_CONNECTIONS;
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw === 'string') {
    try { raw = JSON.parse(raw); } catch (e) { throw new ConfigurationError(`BC_CONNECTIONS is not valid JSON: ${e.message}`); }
  }
  const defaults = Array.isArray(raw) ? {} : (raw.defaults ?? {});
  const list = Array.isArray(raw) ? raw : raw.connections;
  if (!Array.isArray(list)) throw new ConfigurationError('BC_CONNECTIONS must be an array of connections or { defaults, connections: [...] }.');
  if (defaults.reportTokenSha256 !== undefined) {
    throw new ConfigurationError('BC_CONNECTIONS: reportTokenSha256 cannot be a default: it would give every tenant the same token.');
  }
  const seen = new Set();
  const tokenOwners = new Map();
  return list.map((c, i) => {
    const where = `BC_CONNECTIONS connection ${i}`;
    if (!c || typeof c !== 'object') throw new ConfigurationError(`${where} must be an object.`);
    const merged = { ...defaults, ...c };
    for (const k of Object.keys(merged)) {
      if (!CONNECTION_KEYS.has(k)) {
        const hint = /secret|password|key/i.test(k) && k !== 'secret' ? ' (client secrets go in Worker secrets; `secret` names the binding)' : '';
        throw new ConfigurationError(`${where}: unknown field "${k}"${hint}.`);
      }
    }
    if (typeof merged.id !== 'string' || !ID_RE.test(merged.id)) throw new ConfigurationError(`${where}: id must be 1 to 64 letters, digits, ".", "_" or "-".`);
    if (seen.has(merged.id)) throw new ConfigurationError(`${where}: id "${merged.id}" is used twice.`);
    seen.add(merged.id);
    for (const k of ['tenantId', 'environment', 'clientId']) {
      if (typeof merged[k] !== 'string' || merged[k].trim() === '') throw new ConfigurationError(`${where} (${merged.id}): ${k} is required.`);
    }
    if (typeof merged.connectedAt !== 'string' || !DATE_RE.test(merged.connectedAt)) throw new ConfigurationError(`${where} (${merged.id}): connectedAt (YYYY-MM-DD, the first connection date) is required.`);
    if (merged.companies !== undefined && (!Array.isArray(merged.companies) || !merged.companies.every((x) => typeof x === 'string' && isGuid(x)))) {
      throw new ConfigurationError(`${where} (${merged.id}): companies must be an array of company ids (GUIDs), in BC's company list order.`);
    }
    if (merged.reportTokenSha256 !== undefined) {
      if (typeof merged.reportTokenSha256 !== 'string' || !SHA256_HEX_RE.test(merged.reportTokenSha256)) {
        throw new ConfigurationError(`${where} (${merged.id}): reportTokenSha256 must be the SHA-256 of the tenant's report token, 64 hex digits (\`node www/worker/token.mjs\` makes a token and its hash).`);
      }
      const hash = merged.reportTokenSha256.toLowerCase();
      if (tokenOwners.has(hash)) throw new ConfigurationError(`${where} (${merged.id}): the same reportTokenSha256 as connection "${tokenOwners.get(hash)}": each tenant needs its own token.`);
      tokenOwners.set(hash, merged.id);
    }
    return {
      ...merged,
      secret: merged.secret ?? defaultSecretBinding(merged.id),
      companies: merged.companies?.map((x) => x.toLowerCase()),
      concurrency: merged.concurrency ?? DEFAULT_CONCURRENCY,
    };
  });
}

export function defaultSecretBinding(id) {
  return `BC_SECRET_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The client secret of `connection`: the Worker secret it names, else its entry in the JSON
 * secret `BC_CLIENT_SECRETS` ({ "<connection id>": "<secret value>" }, for more tenants than a
 * Worker has bindings). Undefined when neither holds one.
 */
export function secretFor(env, connection) {
  const named = env[connection.secret];
  if (typeof named === 'string' && named !== '') return named;
  const map = env.BC_CLIENT_SECRETS;
  if (map) {
    let parsed = map;
    if (typeof map === 'string') {
      try { parsed = JSON.parse(map); } catch { return undefined; }
    }
    const v = parsed?.[connection.id];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** The environment's name in transaction ids and checkpoints, as runSync names it. */
export function environmentName(connection) {
  return environmentKey(connection.tenantId, connection.environment);
}

/** Engine options of a connection (the window comes from the sync plan). */
export function engineOptionsOf(connection) {
  const o = { environment: environmentName(connection) };
  if (connection.lineMode) o.lineMode = connection.lineMode;
  if (connection.rules) o.rules = connection.rules;
  if (connection.defaultCurrency) o.defaultCurrency = connection.defaultCurrency;
  return o;
}

/** Sync options of one company's run. */
export function syncOptionsOf(connection, companyId) {
  const o = { connectedAt: connection.connectedAt, companies: [companyId], concurrency: connection.concurrency };
  if (connection.historyYears !== undefined) o.historyYears = connection.historyYears;
  if (connection.creditMemos !== undefined) o.creditMemos = connection.creditMemos;
  if (connection.pageSize !== undefined) o.pageSize = connection.pageSize;
  return o;
}

/** The messages of one scheduled run: a sync per configured company, else one discovery. */
export function scheduledMessages(connections, run) {
  const out = [];
  for (const c of connections) {
    if (c.companies) {
      for (const companyId of c.companies) out.push(syncMessage(c.id, companyId, run));
    } else {
      out.push({ v: MESSAGE_VERSION, kind: 'discover', connection: c.id, run });
    }
  }
  return out;
}

export function syncMessage(connection, companyId, run) {
  return { v: MESSAGE_VERSION, kind: 'sync', connection, companyId: companyId.toLowerCase(), run };
}

/** A message body as the consumer accepts it, or null (malformed or of another version). */
export function readMessage(body) {
  if (!body || typeof body !== 'object' || body.v !== MESSAGE_VERSION) return null;
  if (typeof body.connection !== 'string' || typeof body.run !== 'string' || Number.isNaN(Date.parse(body.run))) return null;
  if (body.kind === 'discover') return { kind: 'discover', connection: body.connection, run: body.run };
  if (body.kind === 'sync' && typeof body.companyId === 'string' && isGuid(body.companyId)) {
    return { kind: 'sync', connection: body.connection, companyId: body.companyId.toLowerCase(), run: body.run };
  }
  return null;
}

// Failures that go away by themselves, and unexpected errors (INTERNAL: not a BcSpendError):
// the message goes back to the queue, and after max_retries to the dead-letter queue. Anything
// else (a rejected secret, an app not enabled in BC, a company that does not exist) is recorded
// for the connection and the message is acknowledged, so a broken tenant never blocks the queue.
const TRANSIENT = new Set([
  'BC_THROTTLED', 'BC_UNAVAILABLE', 'BC_NETWORK', 'BC_TIMEOUT', 'BC_INVALID_RESPONSE',
  'AUTH_THROTTLED', 'AUTH_UNAVAILABLE', 'AUTH_NETWORK', 'INTERNAL', 'STATE_SUPERSEDED',
]);
export function isTransient(code) {
  return TRANSIENT.has(String(code));
}

/**
 * Seconds before a retried message is delivered again: BC's Retry-After when it said one,
 * else exponential backoff with jitter from `baseSeconds`, at most `maxSeconds`.
 */
export function retryDelaySeconds({ attempts, retryAfterMs, baseSeconds = 30, maxSeconds = 3600, random = Math.random }) {
  const backoff = baseSeconds * 2 ** Math.max(0, Math.min(attempts - 1, 20));
  const jittered = backoff / 2 + (backoff / 2) * random();
  const after = retryAfterMs ? Math.ceil(retryAfterMs / 1000) : 0;
  return Math.max(1, Math.min(Math.ceil(Math.max(jittered, after)), maxSeconds, MAX_QUEUE_DELAY_SECONDS));
}

/** The largest state piece stored in one D1 row (D1 holds at most 2 MB per value). */
export const MAX_STATE_PIECE = 1_000_000;

const utf8Encoder = new TextEncoder();

/**
 * A state piece as bytes in pieces of at most `max` bytes: the engine's pieces are bytes; a
 * string is the text of a version 1 state passed on from an abandoned checkpoint, kept as its
 * UTF-8, which the engine reads as that version.
 */
export function splitBytes(piece, max = MAX_STATE_PIECE) {
  const bytes = typeof piece === 'string' ? utf8Encoder.encode(piece) : piece;
  const out = [];
  for (let i = 0; i < bytes.length; i += max) out.push(bytes.subarray(i, Math.min(i + max, bytes.length)));
  return out;
}

/** A BLOB as D1 returns it (an array of numbers, or an ArrayBuffer) as a Uint8Array. */
export function blobBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return Uint8Array.from(value ?? []);
}

/** The pieces of one stored state as one value for Engine.fromState(s): bytes, or a v1 text. */
export function joinPieces(pieces) {
  if (pieces.every((p) => typeof p === 'string')) return pieces.join('');
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ------------------------------------------------------------------------------ HTTP access
//
// Two kinds of caller: the admin (the secret ADMIN_TOKEN) reads /status and every tenant; a
// tenant (its connection's reportTokenSha256) reads its own routes. The Worker compares SHA-256
// digests only, in constant time, so the time a comparison takes tells nothing about a token.

const utf8 = new TextEncoder();

async function digest(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text)));
}

function bytesOfHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function sameDigest(x, y) {
  if (typeof crypto.subtle.timingSafeEqual === 'function') return crypto.subtle.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * Who may call the HTTP API: `{ admin, tenants: [{ id, digest }] }`. Throws `NOT_CONFIGURED`
 * without an ADMIN_TOKEN and `WORKER_CONFIG_INVALID` for one under 32 bytes (the message never
 * holds the token) or a tenant token hash equal to the admin token's.
 */
export async function readAccess(env, connections) {
  const token = env.ADMIN_TOKEN;
  if (typeof token !== 'string' || token === '') {
    // Before tenant tokens there was one REPORT_TOKEN for everything: say where it went.
    const renamed = env.REPORT_TOKEN ? 'REPORT_TOKEN is now ADMIN_TOKEN (it reads every tenant; each tenant can have its own token, reportTokenSha256). ' : '';
    throw new ConfigurationError(`${renamed}Set the ADMIN_TOKEN secret (wrangler secret put ADMIN_TOKEN; at least 32 bytes, e.g. \`openssl rand -hex 32\`) to read reports.`, 'NOT_CONFIGURED');
  }
  const bytes = utf8.encode(token).length;
  if (bytes < MIN_TOKEN_BYTES) {
    throw new ConfigurationError(`ADMIN_TOKEN must be at least ${MIN_TOKEN_BYTES} bytes (it has ${bytes}): set a new one, e.g. \`openssl rand -hex 32 | wrangler secret put ADMIN_TOKEN\`.`);
  }
  const admin = await digest(token);
  const tenants = connections.filter((c) => c.reportTokenSha256).map((c) => ({ id: c.id, digest: bytesOfHex(c.reportTokenSha256.toLowerCase()) }));
  const clash = tenants.find((t) => sameDigest(t.digest, admin));
  if (clash) throw new ConfigurationError(`BC_CONNECTIONS (${clash.id}): reportTokenSha256 is the admin token's hash: a tenant needs a token of its own.`);
  return { admin, tenants };
}

/**
 * The caller of `request`, from `Authorization: Bearer <token>`: `{ admin: true }`,
 * `{ admin: false, tenant }`, or null (no token, another scheme, an unknown token, or one under
 * 32 bytes, which opens nothing even if its hash is configured). Every configured digest is
 * compared, so the time taken does not depend on which one matched.
 */
export async function identifyCaller(request, access) {
  const header = request.headers.get('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  const given = m ? m[1].trim() : '';
  if (utf8.encode(given).length < MIN_TOKEN_BYTES) return null;
  const d = await digest(given);
  let caller = sameDigest(d, access.admin) ? { admin: true } : null;
  for (const t of access.tenants) {
    if (sameDigest(d, t.digest) && caller === null) caller = { admin: false, tenant: t.id };
  }
  return caller;
}
