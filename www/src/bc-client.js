// The Business Central API client: authenticated, paced, retried GETs (reference sections 2, 5, 6, 8).
//
// What every request gets
//   Authorization: Bearer <token from the credential>, Accept: application/json,
//   Accept-Language: en-US (stable error text), Data-Access-Intent: ReadOnly (read replica),
//   Prefer: odata.maxpagesize=N (server paging with @odata.nextLink).
//
// How it treats the service
//   - At most `maxConcurrency` (<= 5) requests in flight per identity, and starts paced by a
//     sliding window below `rate.requests` per `rate.windowMs` (6,000 per 5 minutes). Clients of
//     one identity (same API host, tenant and client ID) share both limits.
//   - 429, 502, 503 (and 500, twice at most), network failures and a 2xx body that is not valid
//     JSON (truncated page, at most twice) are retried: after `Retry-After` (delta-seconds or
//     HTTP-date) when the response has one, else after an exponential backoff with full jitter,
//     `random() * min(maxDelayMs, baseDelayMs * 2^retry)`. A 429 also pauses every other request
//     of the identity until its Retry-After has passed. When retries run out the error is
//     BC_THROTTLED (last answer 429), BC_UNAVAILABLE (5xx), BC_NETWORK or BC_INVALID_RESPONSE,
//     with `details.attempts`.
//   - 401 once: the token is invalidated (`credential.invalidate(token)`), a fresh one fetched,
//     and the request retried once. A second 401 maps through BC's error body
//     (Authentication_InvalidCredentials -> BC_APP_NOT_ENABLED).
//
// The timeout contract (504 narrowing)
//   A 504 Gateway Timeout, a 408 operation timeout, or our own per-request timeout (`timeoutMs`)
//   means the query is too heavy for BC's 10-minute request limit; repeating it unchanged rarely
//   helps. The client retries such a request at most `retry.timeoutRetries` times (default 1)
//   and then throws BcSpendError `BC_TIMEOUT` with
//     details = { narrowable: true, reason: 'gateway-timeout' | 'operation-timeout' | 'client-timeout',
//                 status?: 504 | 408, url, attempts }.
//   The caller (the sync layer) is expected to narrow the query (split the date window, or drop
//   $expand) and issue the narrower requests; when the window cannot be split further it reports
//   the error. A 413 likewise throws BC_RESPONSE_TOO_LARGE with `details.narrowable = true`.
//
// The bearer token never leaves the API's origin
//   get() takes a path relative to `{apiHost}/v2.0/{tenantId}/{environment}/` or an absolute URL
//   (an @odata.nextLink, followed verbatim). An absolute URL whose origin is not the API's is
//   refused with BC_OFF_ORIGIN_NEXT_LINK before a token is even requested; redirects are not
//   followed automatically, and one to another origin fails with BC_OFF_ORIGIN_REDIRECT.
//   A gateway or BC itself can echo the request in an error body: every token the client sends
//   is registered in the credential's secret registry (errors.js), and every error get() throws
//   is scrubbed of the registry's secrets, so the token and the client secret stay out of it.
//
// Cancellation: the caller's `signal` aborts waits and the request in flight with ABORTED and is
// never retried.
//
// Plain ESM with fetch, AbortController, setTimeout and URL: Node 20+, browsers and workerd.

import { BcSpendError, abortedError, bcSpendError, configError, createSecretRegistry, parseBcError, readBcErrorBody, ERROR_MESSAGES } from './errors.js';
import { BC_SCOPE, checkHost, toCredential } from './auth.js';
import { createIdentityLimiter, defaultSleep, sharedLimiter } from './limiter.js';

export const DEFAULT_API_HOST = 'https://api.businesscentral.dynamics.com';

const DEFAULT_RETRY = Object.freeze({
  maxRetries: 8,
  baseDelayMs: 500,
  maxDelayMs: 60000,
  timeoutRetries: 1,
  invalidJsonRetries: 2,
  serverErrorRetries: 2,
  maxRetryAfterMs: 300000,
});

/** Milliseconds to wait from a Retry-After value (delta-seconds or HTTP-date), or undefined. */
export function parseRetryAfter(value, nowMs = Date.now()) {
  if (value == null) return undefined;
  const v = String(value).trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

function headersToObject(headers) {
  const out = {};
  headers.forEach((value, key) => { out[key.toLowerCase()] = value; });
  return out;
}

function networkCause(err) {
  // Keep only what identifies the failure; a fetch error carries no headers, but stay minimal.
  return { name: err?.name, message: String(err?.message ?? ''), code: err?.cause?.code ?? err?.code };
}

/**
 * Create a client for one BC environment. Options not listed: fetch, maxConcurrency (1 to BC's
 * limit, 5), rate { requests, windowMs, headroom } (default BC's), maxPageSize (1 to BC's limit,
 * 20,000; default 1000), timeoutMs,
 * retry { maxRetries, baseDelayMs, maxDelayMs, timeoutRetries, invalidJsonRetries,
 * serverErrorRetries, maxRetryAfterMs }, random, sleep(ms, signal), now, onEvent(event),
 * limiter (an injected createIdentityLimiter()), shareLimiter (default true: clients whose
 * credential has the same identityKey share the limiter created by the first of them, with
 * that client's rate, now and sleep), acceptLanguage.
 * @param {object} options
 * @param {object} options.core                 the bc-spend package's exports (the package's own createBcClient passes them)
 * @param {object|Function} options.credential  a TokenCredential-like object (ours or @azure/identity's) or a getToken function
 * @param {string} [options.apiHost]            default https://api.businesscentral.dynamics.com
 * @param {string} [options.tenantId]           Entra tenant ID or domain (omitted: the token decides)
 * @param {string} options.environment          BC environment name, e.g. "Production"
 */
export function createBcClient({
  core,
  credential,
  apiHost = DEFAULT_API_HOST,
  tenantId,
  environment,
  fetch: fetchFn = globalThis.fetch,
  maxConcurrency,
  rate = {},
  maxPageSize = 1000,
  timeoutMs = 120000,
  retry = {},
  random = Math.random,
  sleep = defaultSleep,
  now = () => Date.now(),
  onEvent,
  limiter,
  shareLimiter = true,
  acceptLanguage = 'en-US',
} = {}) {
  // BC's limits and the form of a company id are rules of the core (src/sync/mod.rs); the client
  // is given the core, as runSync is, instead of keeping copies of them. It reads the limits
  // once, when created, not when this module is imported: the package's entries instantiate the
  // wasm only after this module has been evaluated. A caller who wants only a client still has
  // the core: the package's createBcClient passes its own, and a caller of this module passes
  // the package's exports as `core`.
  if (!core || typeof core.bcLimits !== 'function' || typeof core.isGuid !== 'function') {
    throw configError('createBcClient needs `core`: the bc-spend package exports ({ bcLimits, isGuid }); the package\'s createBcClient passes them.', { option: 'core' });
  }
  const limits = core.bcLimits();
  maxConcurrency ??= limits.maxConcurrency;
  apiHost = checkHost(apiHost, 'apiHost');
  if (typeof environment !== 'string' || environment.trim() === '') throw configError('environment is required (the Business Central environment name, e.g. "Production").', { option: 'environment' });
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw configError(`maxConcurrency must be an integer from 1 to ${limits.maxConcurrency}.`, { option: 'maxConcurrency' });
  if (!Number.isInteger(maxPageSize) || maxPageSize < 1 || maxPageSize > limits.maxPageSize) throw configError(`maxPageSize must be an integer from 1 to ${limits.maxPageSize}.`, { option: 'maxPageSize' });
  if (typeof fetchFn !== 'function') throw configError('fetch is not available; pass options.fetch.', { option: 'fetch' });
  const cred = toCredential(credential);
  // Shared with the credential: its client secret, and the tokens it hands out to either of us.
  const secrets = cred.secrets && typeof cred.secrets.redactError === 'function' ? cred.secrets : createSecretRegistry();
  const concurrency = Math.min(maxConcurrency, limits.maxConcurrency);
  const retryCfg = { ...DEFAULT_RETRY, ...retry };
  const rateCfg = { requests: limits.requestsPerWindow, windowMs: limits.windowMs, ...rate };

  const apiOrigin = new URL(apiHost).origin;
  const baseUrl = `${apiHost}/v2.0/${tenantId ? `${encodeURIComponent(tenantId)}/` : ''}${encodeURIComponent(environment.trim())}/`;

  const lim = limiter
    ?? (shareLimiter && cred.identityKey
      ? sharedLimiter(`${apiOrigin}|${cred.identityKey}`, { maxConcurrency: concurrency, rate: rateCfg, now, sleep })
      : createIdentityLimiter({ maxConcurrency: concurrency, rate: rateCfg, now, sleep }));
  if (lim.concurrency.max > concurrency) lim.concurrency.setMax(concurrency);

  function emit(event) {
    if (!onEvent) return;
    try { onEvent(event); } catch { /* a progress listener must not break a sync */ }
  }

  function resolve(pathOrUrl, code = 'BC_OFF_ORIGIN_NEXT_LINK', from = baseUrl) {
    if (typeof pathOrUrl !== 'string' && !(pathOrUrl instanceof URL)) throw configError('get() takes a path or URL string.', {});
    let url;
    try { url = new URL(String(pathOrUrl), from); } catch { throw configError(`Not a valid URL or path: ${JSON.stringify(String(pathOrUrl))}.`, {}); }
    if (url.origin !== apiOrigin) {
      throw new BcSpendError(code, `${ERROR_MESSAGES[code]} (link origin ${url.origin}, API origin ${apiOrigin})`, { details: { origin: url.origin, apiOrigin } });
    }
    return url.href;
  }

  function companySegment(companyId) {
    if (typeof companyId !== 'string' || !core.isGuid(companyId)) throw configError(`companyId must be a company GUID from /companies, not ${JSON.stringify(companyId)}.`, { option: 'companyId' });
    return `companies(${companyId})`;
  }

  /** `{base}/api/v2.0/{path}` */
  function apiUrl(path = '') {
    return `${baseUrl}api/v2.0/${String(path).replace(/^\/+/, '')}`;
  }
  /** `{base}/api/v2.0/companies({companyId})/{path}` */
  function companyUrl(companyId, path = '') {
    return apiUrl(`${companySegment(companyId)}/${String(path).replace(/^\/+/, '')}`);
  }
  /** `{base}/api/microsoft/automation/v2.0/companies({companyId})/{path}` (users, reference 4.1). */
  function automationUrl(companyId, path = '') {
    return `${baseUrl}api/microsoft/automation/v2.0/${companySegment(companyId)}/${String(path).replace(/^\/+/, '')}`;
  }

  function buildHeaders(token, extra, pageSize) {
    const h = new Headers();
    if (extra) {
      for (const [k, v] of Object.entries(extra)) {
        if (k.toLowerCase() !== 'authorization') h.set(k, v);
      }
    }
    h.set('Authorization', `Bearer ${token}`);
    h.set('Accept', 'application/json');
    if (!h.has('Accept-Language')) h.set('Accept-Language', acceptLanguage);
    h.set('Data-Access-Intent', 'ReadOnly');
    if (!h.has('Prefer')) h.set('Prefer', `odata.maxpagesize=${pageSize}`);
    return h;
  }

  // One HTTP exchange inside a concurrency slot. Returns an outcome; throws only ABORTED and
  // credential errors.
  async function exchange(url, signal, extraHeaders, pageSize, attempt, asBytes) {
    const release = await lim.concurrency.acquire(signal);
    try {
      await lim.pacer.acquire(signal);
      const { token } = await cred.getToken(BC_SCOPE, signal ? { abortSignal: signal } : {});
      secrets.addToken(token);
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
      const onCallerAbort = () => controller.abort();
      if (signal) {
        if (signal.aborted) controller.abort();
        else signal.addEventListener('abort', onCallerAbort, { once: true });
      }
      const started = now();
      try {
        const res = await fetchFn(url, {
          method: 'GET',
          headers: buildHeaders(token, extraHeaders, pageSize),
          redirect: 'manual',
          signal: controller.signal,
        });
        // A successful body can stay bytes (the engine reads UTF-8 itself); error bodies are text.
        const ok = res.status >= 200 && res.status < 300;
        const bytes = asBytes && ok ? new Uint8Array(await res.arrayBuffer()) : undefined;
        const text = bytes ? undefined : await res.text();
        emit({ type: 'request', method: 'GET', url, attempt, status: res.status, durationMs: now() - started });
        return { kind: 'response', res, text, bytes, token };
      } catch (err) {
        if (signal?.aborted) throw abortedError();
        emit({ type: 'request', method: 'GET', url, attempt, status: 0, durationMs: now() - started, error: timedOut ? 'timeout' : 'network' });
        if (timedOut) return { kind: 'timeout' };
        return { kind: 'network', cause: networkCause(err) };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onCallerAbort);
      }
    } finally {
      release();
    }
  }

  /**
   * GET a path (relative to baseUrl) or a same-origin absolute URL.
   * @param {string} pathOrUrl
   * @param {{ signal?: AbortSignal, headers?: Record<string,string>, maxPageSize?: number, parse?: (body: string | Uint8Array) => any, body?: 'text' | 'bytes' }} [options]
   *   `parse` reads a 2xx body in place of JSON.parse: an object means the body is whole, null
   *   or undefined that it is not (retried like invalid JSON). `body: 'bytes'` keeps a 2xx body
   *   as the bytes BC sent (`bytes`, a Uint8Array, given to `parse`; `text` is then undefined).
   *   The sync asks for bytes and passes the engine's stagePage, so a page is neither parsed
   *   nor decoded in JS, and the engine parses it once.
   * @returns {Promise<{ status: number, json: any, text?: string, bytes?: Uint8Array, url: string, headers: Record<string,string>, attempts: number }>}
   *   for a 2xx answer (`json` is what `parse` returned); rejects with a BcSpendError otherwise
   *   (see the header comment for codes).
   */
  async function get(pathOrUrl, options) {
    try {
      return await request(pathOrUrl, options);
    } catch (err) {
      throw secrets.redactError(err);
    }
  }

  async function request(pathOrUrl, { signal, headers, maxPageSize: pageSize = maxPageSize, parse = JSON.parse, body = 'text' } = {}) {
    if (body !== 'text' && body !== 'bytes') throw configError("body must be 'text' or 'bytes'.", { option: 'body' });
    const asBytes = body === 'bytes';
    let url = resolve(pathOrUrl);
    let attempts = 0;
    let retries = 0;
    let timeouts = 0;
    let invalidJson = 0;
    let serverErrors = 0;
    let redirects = 0;
    let refreshed = false;

    const fail = (code, extra, status) => bcSpendError(code, { status, details: { url, attempts, ...extra } });

    for (;;) {
      if (signal?.aborted) throw abortedError();
      attempts += 1;
      const out = await exchange(url, signal, headers, pageSize, attempts, asBytes);

      let reason; // why this attempt is worth retrying
      let status;
      let retryAfterMs;
      let finalError;

      if (out.kind === 'network') {
        reason = 'network';
        finalError = () => fail('BC_NETWORK', { cause: out.cause });
      } else if (out.kind === 'timeout') {
        timeouts += 1;
        reason = 'timeout';
        if (timeouts > retryCfg.timeoutRetries) throw fail('BC_TIMEOUT', { narrowable: true, reason: 'client-timeout', timeoutMs });
      } else {
        const { res, text, bytes, token } = out;
        status = res.status;
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now());

        if ((status >= 200 && status < 300)) {
          const content = asBytes ? { bytes } : { text };
          if (status === 204) return { status, json: null, ...content, url, headers: headersToObject(res.headers), attempts };
          let json;
          let ok = true;
          try { json = parse(asBytes ? bytes : text); } catch { ok = false; }
          if (ok && json !== null && typeof json === 'object') {
            return { status, json, ...content, url, headers: headersToObject(res.headers), attempts };
          }
          invalidJson += 1;
          reason = 'invalid-json';
          const bodyLength = asBytes ? bytes.length : text.length;
          if (invalidJson > retryCfg.invalidJsonRetries) throw fail('BC_INVALID_RESPONSE', { bodyLength }, status);
          finalError = () => fail('BC_INVALID_RESPONSE', { bodyLength }, status);
        } else if (status === 0 || (status >= 300 && status < 400)) {
          // Follow a redirect only inside the API origin, and by hand, so the token cannot leak.
          const location = res.headers.get('location');
          redirects += 1;
          if (!location || redirects > 5) throw fail('BC_INVALID_RESPONSE', { reason: 'redirect' }, status);
          url = resolve(location, 'BC_OFF_ORIGIN_REDIRECT', url);
          attempts -= 1;
          continue;
        } else if (status === 401 && !refreshed) {
          refreshed = true;
          cred.invalidate?.(token);
          emit({ type: 'tokenRefresh', reason: 'unauthorized', url });
          continue;
        } else if (status === 429) {
          reason = 'throttled';
          emit({ type: 'throttled', url, status, retryAfterMs });
          if (retryAfterMs !== undefined) lim.pacer.pauseUntil(now() + Math.min(retryAfterMs, retryCfg.maxRetryAfterMs));
          finalError = () => fail('BC_THROTTLED', { retryAfterMs, ...bcBody(text) }, status);
        } else if (status === 502 || status === 503 || status === 500) {
          if (status === 500) {
            serverErrors += 1;
            if (serverErrors > retryCfg.serverErrorRetries) throw mapFinal(status, text, url, attempts);
          }
          reason = 'unavailable';
          finalError = () => fail('BC_UNAVAILABLE', { ...bcBody(text) }, status);
        } else if (status === 504 || status === 408) {
          timeouts += 1;
          reason = 'timeout';
          if (timeouts > retryCfg.timeoutRetries) {
            throw fail('BC_TIMEOUT', { narrowable: true, reason: status === 504 ? 'gateway-timeout' : 'operation-timeout', ...bcBody(text) }, status);
          }
        } else {
          throw mapFinal(status, text, url, attempts);
        }
      }

      if (retries >= retryCfg.maxRetries) {
        throw finalError ? finalError() : fail('BC_TIMEOUT', { narrowable: true, reason: status ? 'gateway-timeout' : 'client-timeout' }, status);
      }
      retries += 1;
      const delayMs = retryAfterMs !== undefined
        ? Math.min(retryAfterMs, retryCfg.maxRetryAfterMs)
        : Math.floor(random() * Math.min(retryCfg.maxDelayMs, retryCfg.baseDelayMs * 2 ** (retries - 1)));
      emit({ type: 'retry', url, attempt: attempts, retry: retries, reason, status, delayMs, retryAfterMs });
      await sleep(delayMs, signal);
    }
  }

  function bcBody(text) {
    const { bcCode, bcMessage } = readBcErrorBody(text);
    const out = {};
    if (bcCode) out.bcCode = bcCode;
    if (bcMessage) out.bcMessage = bcMessage;
    return out;
  }

  function mapFinal(status, text, url, attempts) {
    return parseBcError(status, text, { url, attempts });
  }

  /** Follow @odata.nextLink from `pathOrUrl`, yielding each page's get() result. */
  async function* pages(pathOrUrl, options = {}) {
    let next = pathOrUrl;
    let previous;
    while (next) {
      const page = await get(next, options);
      yield page;
      const link = page.json?.['@odata.nextLink'];
      if (link === undefined || link === null) return;
      if (typeof link !== 'string' || link === previous || link === next) {
        throw bcSpendError('BC_INVALID_RESPONSE', { details: { url: page.url, reason: 'bad-next-link' } }, 'The @odata.nextLink is not a string or repeats itself.');
      }
      previous = next;
      next = link;
    }
  }

  /** All `value` rows of a collection, following nextLinks. Use pages() for large sets. */
  async function getAll(pathOrUrl, options = {}) {
    const rows = [];
    for await (const page of pages(pathOrUrl, options)) {
      const value = page.json?.value;
      if (!Array.isArray(value)) throw bcSpendError('BC_INVALID_RESPONSE', { details: { url: page.url, reason: 'no-value-array' } }, 'The response has no `value` array.');
      for (const row of value) rows.push(row);
    }
    return rows;
  }

  return {
    baseUrl,
    apiOrigin,
    apiUrl,
    companyUrl,
    automationUrl,
    resolve: (pathOrUrl) => resolve(pathOrUrl),
    get,
    pages,
    getAll,
    /** The identity's limiter (concurrency: active/queued/peak; pacer), for progress and tests. */
    limiter: lim,
  };
}
