// The Business Central client against stub servers on 127.0.0.1: headers, concurrency and pacing,
// retries (Retry-After, backoff), the 504 narrowing contract, timeouts, aborts, 401 handling, BC
// error mapping, and the rule that the bearer token never leaves the API's origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { createBcClient, parseRetryAfter } from '../src/bc-client.js';
import { createClientCredentials } from '../src/auth.js';
import { BcSpendError, parseBcError } from '../src/errors.js';
import { createIdentityLimiter } from '../src/limiter.js';
import { core } from './sync-support.js';

const SECRET = 'Qz8Q~bc-client-test-secret-VALUE_987654321';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENV = 'Production';
const COMPANY = 'a1b2c3d4-0000-4000-8000-000000000001';
const produced = [];
const events = [];
const secretsSeen = new Set([SECRET]);
let tokenSerial = 0;

async function startServer(handler) {
  const requests = [];
  let inFlight = 0;
  let peak = 0;
  const server = http.createServer((req, res) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    let done = false;
    const finish = () => { if (!done) { done = true; inFlight -= 1; } };
    res.on('close', finish);
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const r = { method: req.method, url: req.url, headers: req.headers, body, form: Object.fromEntries(new URLSearchParams(body)) };
      requests.push(r);
      handler(req, res, r, requests.length);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    get peak() { return peak; },
    async close() { server.closeAllConnections(); await new Promise((r) => server.close(r)); },
  };
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function bcError(code, message) {
  return { error: { code, message: `${message}  CorrelationId:  c32f628c-0000-0000-0000-000000000000.` } };
}

/** A credential that hands out distinct fake JWTs and records invalidations. */
function fakeCredential(identityKey = `test|${Math.random()}`) {
  const cred = {
    __bcSpendCredential: true,
    identityKey,
    calls: 0,
    invalidated: [],
    current: null,
    async getToken() {
      cred.calls += 1;
      if (!cred.current) {
        tokenSerial += 1;
        cred.current = `eyJhbGciOiJub25lIn0.eyJzZXJpYWwiOiR7${tokenSerial}fQ.fake-signature-${tokenSerial}`;
        secretsSeen.add(cred.current);
      }
      return { token: cred.current, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
    invalidate(token) { cred.invalidated.push(token); if (cred.current === token) cred.current = null; },
  };
  return cred;
}

function fakeClock(start = 1_800_000_000_000) {
  const clock = { t: start, sleeps: [] };
  clock.now = () => clock.t;
  clock.sleep = async (ms, signal) => {
    if (signal?.aborted) throw Object.assign(new BcSpendError('ABORTED', 'The operation was cancelled.'));
    clock.sleeps.push(ms);
    clock.t += ms;
  };
  return clock;
}

function client(srv, opts = {}) {
  return createBcClient({
    core,
    credential: opts.credential ?? fakeCredential(),
    apiHost: srv.url,
    tenantId: TENANT,
    environment: ENV,
    onEvent: (e) => events.push(e),
    ...opts,
  });
}

async function expectError(promiseOrFn, code) {
  let err;
  try { await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn); } catch (e) { err = e; }
  assert.ok(err, `expected ${code}, got success`);
  produced.push(err);
  assert.ok(err instanceof BcSpendError, `expected BcSpendError, got ${err?.name}: ${err?.message}`);
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  return err;
}

const PAGE = { '@odata.context': 'ctx', value: [{ id: '1' }] };

// ---------------------------------------------------------------------------------------------

test('every request carries the bearer token and the documented headers; URL helpers', async () => {
  const srv = await startServer((req, res) => sendJson(res, 200, PAGE, { 'x-test': 'yes' }));
  try {
    const cred = fakeCredential();
    const c = client(srv, { credential: cred, maxPageSize: 500 });
    assert.equal(c.baseUrl, `${srv.url}/v2.0/${TENANT}/${ENV}/`);
    assert.equal(c.apiUrl('companies'), `${srv.url}/v2.0/${TENANT}/${ENV}/api/v2.0/companies`);
    assert.equal(c.companyUrl(COMPANY, 'purchaseInvoices'), `${srv.url}/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/purchaseInvoices`);
    assert.equal(c.automationUrl(COMPANY, 'users'), `${srv.url}/v2.0/${TENANT}/${ENV}/api/microsoft/automation/v2.0/companies(${COMPANY})/users`);
    assert.throws(() => c.companyUrl("x')/evil", 'users'), (e) => e.code === 'CONFIG_INVALID');

    const res = await c.get('api/v2.0/companies', { headers: { Authorization: 'Bearer caller-cannot-override', 'X-Extra': '1' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, PAGE);
    assert.equal(res.text, JSON.stringify(PAGE));
    assert.equal(res.url, c.apiUrl('companies'));
    assert.equal(res.headers['x-test'], 'yes');
    const h = srv.requests[0].headers;
    assert.equal(srv.requests[0].url, `/v2.0/${TENANT}/${ENV}/api/v2.0/companies`);
    assert.equal(h.authorization, `Bearer ${cred.current}`);
    assert.equal(h.accept, 'application/json');
    assert.equal(h['accept-language'], 'en-US');
    assert.equal(h['data-access-intent'], 'ReadOnly');
    assert.equal(h.prefer, 'odata.maxpagesize=500');
    assert.equal(h['x-extra'], '1');
  } finally { await srv.close(); }
});

test('nextLink paging is followed verbatim and getAll concatenates the pages', async () => {
  const srv = await startServer((req, res) => {
    const u = new URL(req.url, srv.url);
    const n = Number(u.searchParams.get('$skiptoken') ?? 0);
    const next = n < 2 ? `${srv.url}${u.pathname}?$filter=status%20eq%20'Paid'&$skiptoken=${n + 1}` : undefined;
    sendJson(res, 200, { value: [{ id: `row-${n}` }], ...(next ? { '@odata.nextLink': next } : {}) });
  });
  try {
    const c = client(srv);
    const rows = await c.getAll(c.companyUrl(COMPANY, 'purchaseInvoices'));
    assert.deepEqual(rows.map((r) => r.id), ['row-0', 'row-1', 'row-2']);
    // Verbatim up to the URL standard's own serialization (fetch percent-encodes ' as %27).
    assert.equal(decodeURIComponent(srv.requests[1].url), `/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/purchaseInvoices?$filter=status eq 'Paid'&$skiptoken=1`);
  } finally { await srv.close(); }
});

test('concurrency never exceeds the cap, measured at the server (5 by default, lower when asked, never above 5)', async () => {
  const srv = await startServer((req, res) => setTimeout(() => sendJson(res, 200, PAGE), 30));
  try {
    await Promise.all(Array.from({ length: 20 }, () => client(srv, { credential: undefined, ...{ credential: fakeCredential() } }).get('api/v2.0/companies')));
    // (each of those clients has its own identity, so this only warms up the server)
    const srvPeakBefore = srv.peak;
    assert.ok(srvPeakBefore > 5, 'independent identities are not limited together');

    for (const [asked, expected] of [[5, 5], [2, 2], [9, 5]]) {
      const s = await startServer((req, res) => setTimeout(() => sendJson(res, 200, PAGE), 30));
      try {
        const c = client(s, { maxConcurrency: asked });
        await Promise.all(Array.from({ length: 20 }, () => c.get('api/v2.0/companies')));
        assert.equal(s.peak, expected, `maxConcurrency ${asked}: peak ${s.peak}`);
        assert.equal(c.limiter.concurrency.peak, expected);
        assert.equal(s.requests.length, 20);
      } finally { await s.close(); }
    }
  } finally { await srv.close(); }
});

test('clients of the same identity share one concurrency limit', async () => {
  const srv = await startServer((req, res) => setTimeout(() => sendJson(res, 200, PAGE), 30));
  try {
    const key = `shared-identity-${Math.random()}`;
    const a = client(srv, { credential: fakeCredential(key) });
    const b = createBcClient({ core, credential: fakeCredential(key), apiHost: srv.url, tenantId: TENANT, environment: 'Sandbox' });
    await Promise.all([
      ...Array.from({ length: 10 }, () => a.get('api/v2.0/companies')),
      ...Array.from({ length: 10 }, () => b.get('api/v2.0/companies')),
    ]);
    assert.equal(srv.peak, 5);
  } finally { await srv.close(); }
});

test('the pacer keeps starts within the sliding window budget (measured at the server, real time)', async () => {
  const starts = [];
  const srv = await startServer((req, res) => { starts.push(Date.now()); sendJson(res, 200, PAGE); });
  try {
    const c = client(srv, { rate: { requests: 4, windowMs: 600, headroom: 0 } });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => c.get('api/v2.0/companies')));
    assert.equal(starts.length, 10);
    for (const t of starts) {
      // 150 ms of slack for the time between admission and arrival at the server: on a loaded
      // machine (CI's two cores, several test files at once) 20 ms was not enough, and requests
      // admitted in different windows arrived bunched, failing a pacer that was right.
      const inWindow = starts.filter((s) => s >= t && s < t + 450).length;
      assert.ok(inWindow <= 4, `${inWindow} starts within 450 ms of ${t - t0}`);
    }
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 1190 && elapsed < 4000, `10 requests at 4 per 600 ms took ${elapsed} ms`);
    // The default budget leaves 5% headroom under 6,000 per 5 minutes.
    const { maxConcurrency, requestsPerWindow, windowMs } = core.bcLimits();
    assert.equal(createIdentityLimiter({ maxConcurrency, rate: { requests: requestsPerWindow, windowMs } }).pacer.budget, 5700);
  } finally { await srv.close(); }
});

test('a request waiting for the pacer can be aborted at once, and costs no budget', async () => {
  const srv = await startServer((req, res) => sendJson(res, 200, PAGE));
  try {
    const c = client(srv, { rate: { requests: 1, windowMs: 60_000, headroom: 0 } });
    await c.get('api/v2.0/companies');
    const ac2 = new AbortController();
    const ac3 = new AbortController();
    const second = c.get('api/v2.0/companies', { signal: ac2.signal });
    const third = c.get('api/v2.0/companies', { signal: ac3.signal });
    const started = Date.now();
    setTimeout(() => ac3.abort(), 30);
    await expectError(third, 'ABORTED');
    setTimeout(() => ac2.abort(), 10);
    await expectError(second, 'ABORTED');
    assert.ok(Date.now() - started < 1000);
    assert.equal(srv.requests.length, 1);
  } finally { await srv.close(); }
});

test('429 with Retry-After in seconds is honoured, then succeeds; events report it', async () => {
  const clock = fakeClock();
  let n = 0;
  const srv = await startServer((req, res) => {
    n += 1;
    if (n <= 2) return sendJson(res, 429, bcError('Application_TooManyRequests', 'Too many requests'), { 'Retry-After': '3' });
    sendJson(res, 200, PAGE);
  });
  try {
    const seen = [];
    const c = client(srv, { now: clock.now, sleep: clock.sleep, onEvent: (e) => { seen.push(e); events.push(e); } });
    const res = await c.get('api/v2.0/companies');
    assert.equal(res.attempts, 3);
    assert.deepEqual(clock.sleeps.filter((ms) => ms > 0).slice(0, 2), [3000, 3000]);
    assert.equal(seen.filter((e) => e.type === 'throttled').length, 2);
    assert.deepEqual(seen.filter((e) => e.type === 'retry').map((e) => e.delayMs), [3000, 3000]);
    assert.equal(seen.filter((e) => e.type === 'request').length, 3);
  } finally { await srv.close(); }
});

test('Retry-After as an HTTP-date is honoured (on 503)', async () => {
  const clock = fakeClock(Date.UTC(2026, 10, 26, 12, 0, 0));
  let n = 0;
  const srv = await startServer((req, res) => {
    n += 1;
    if (n === 1) return sendJson(res, 503, 'Service Unavailable', { 'Retry-After': new Date(clock.now() + 12_000).toUTCString() });
    sendJson(res, 200, PAGE);
  });
  try {
    const c = client(srv, { now: clock.now, sleep: clock.sleep });
    await c.get('api/v2.0/companies');
    assert.deepEqual(clock.sleeps, [12000]);
    assert.equal(parseRetryAfter('120', 0), 120000);
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 12:00:30 GMT', Date.UTC(2026, 10, 26, 12, 0, 0)), 30000);
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', Date.UTC(2026, 10, 26, 12, 0, 0)), 0);
    assert.equal(parseRetryAfter('soon', 0), undefined);
  } finally { await srv.close(); }
});

test('without Retry-After: exponential backoff with full jitter, capped; exhausted 503 -> BC_UNAVAILABLE', async () => {
  const clock = fakeClock();
  const srv = await startServer((req, res) => sendJson(res, 503, bcError('Internal_ServerError', 'busy')));
  try {
    const c = client(srv, { now: clock.now, sleep: clock.sleep, random: () => 0.9999, retry: { maxRetries: 6, baseDelayMs: 500, maxDelayMs: 4000 } });
    const err = await expectError(c.get('api/v2.0/companies'), 'BC_UNAVAILABLE');
    assert.deepEqual(clock.sleeps, [499, 999, 1999, 3999, 3999, 3999]);
    assert.equal(err.details.attempts, 7);
    assert.equal(err.status, 503);
    assert.equal(srv.requests.length, 7);

    const clock2 = fakeClock();
    const randoms = [0.1, 0.7, 0.3];
    const c2 = client(srv, { now: clock2.now, sleep: clock2.sleep, random: () => randoms.shift() ?? 0.5, retry: { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 60000 } });
    await expectError(c2.get('api/v2.0/companies'), 'BC_UNAVAILABLE');
    assert.deepEqual(clock2.sleeps, [100, 1400, 1200], 'delay = random * base * 2^retry');
  } finally { await srv.close(); }
});

test('429 without Retry-After until retries run out -> BC_THROTTLED with the attempt count', async () => {
  const clock = fakeClock();
  const srv = await startServer((req, res) => sendJson(res, 429, ''));
  try {
    const c = client(srv, { now: clock.now, sleep: clock.sleep, retry: { maxRetries: 8 } });
    const err = await expectError(c.get('api/v2.0/companies'), 'BC_THROTTLED');
    assert.equal(err.details.attempts, 9);
    assert.equal(srv.requests.length, 9);
    assert.ok(clock.sleeps.every((ms) => ms <= 60000));
  } finally { await srv.close(); }
});

test('502 then 200 recovers; 500 is retried twice at most', async () => {
  const clock = fakeClock();
  let n = 0;
  const srv = await startServer((req, res) => { n += 1; if (n === 1) return sendJson(res, 502, '<html>Bad Gateway</html>'); sendJson(res, 200, PAGE); });
  const srv500 = await startServer((req, res) => sendJson(res, 500, bcError('Internal_ServerError', 'An unexpected error')));
  try {
    assert.equal((await client(srv, { now: clock.now, sleep: clock.sleep }).get('api/v2.0/companies')).attempts, 2);
    const err = await expectError(client(srv500, { now: clock.now, sleep: clock.sleep }).get('api/v2.0/companies'), 'BC_UNAVAILABLE');
    assert.equal(srv500.requests.length, 3);
    assert.equal(err.details.bcCode, 'Internal_ServerError');
  } finally { await srv.close(); await srv500.close(); }
});

test('dropped connections are retried; persistent ones -> BC_NETWORK', async () => {
  const clock = fakeClock();
  let n = 0;
  const srv = await startServer((req, res) => { n += 1; if (n <= 2) return req.socket.destroy(); sendJson(res, 200, PAGE); });
  const dead = await startServer((req) => req.socket.destroy());
  try {
    assert.equal((await client(srv, { now: clock.now, sleep: clock.sleep }).get('api/v2.0/companies')).attempts, 3);
    const err = await expectError(client(dead, { now: clock.now, sleep: clock.sleep, retry: { maxRetries: 3 } }).get('api/v2.0/companies'), 'BC_NETWORK');
    assert.equal(err.details.attempts, 4);
  } finally { await srv.close(); await dead.close(); }
});

test('a truncated JSON page is retried; a persistently invalid body -> BC_INVALID_RESPONSE', async () => {
  const clock = fakeClock();
  let n = 0;
  const srv = await startServer((req, res) => { n += 1; if (n === 1) return sendJson(res, 200, '{"value":[{"id":"1"},'); sendJson(res, 200, PAGE); });
  const html = await startServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<html>sign in</html>'); });
  try {
    const ok = await client(srv, { now: clock.now, sleep: clock.sleep }).get('api/v2.0/companies');
    assert.deepEqual(ok.json, PAGE);
    assert.equal(ok.attempts, 2);
    await expectError(client(html, { now: clock.now, sleep: clock.sleep }).get('api/v2.0/companies'), 'BC_INVALID_RESPONSE');
    assert.equal(html.requests.length, 3, 'retried twice');
  } finally { await srv.close(); await html.close(); }
});

test("body: 'bytes' gives the 2xx body as BC sent it, to parse and to the caller; error bodies stay text", async () => {
  const clock = fakeClock();
  let n = 0;
  const body = JSON.stringify({ value: [{ id: '1', displayName: 'Café' }] });
  const srv = await startServer((req, res) => {
    n += 1;
    if (n === 1) return sendJson(res, 200, body.slice(0, 20)); // truncated: retried
    if (n === 3) return sendJson(res, 404, JSON.stringify({ error: { code: 'BadRequest_NotFound', message: 'no such company' } }));
    sendJson(res, 200, body);
  });
  try {
    const seen = [];
    const parse = (b) => { seen.push(b); try { return JSON.parse(new TextDecoder().decode(b)); } catch { return null; } };
    const bc = client(srv, { now: clock.now, sleep: clock.sleep });
    const ok = await bc.get('api/v2.0/companies', { parse, body: 'bytes' });
    assert.ok(ok.bytes instanceof Uint8Array);
    assert.equal(ok.text, undefined);
    assert.deepEqual(Buffer.from(ok.bytes), Buffer.from(body, 'utf8'), 'the bytes as sent, not re-encoded');
    assert.equal(ok.json.value[0].displayName, 'Café');
    assert.equal(ok.attempts, 2);
    assert.ok(seen.every((b) => b instanceof Uint8Array));
    // The 404's body is read as text: its BC error code tells a missing company apart.
    await expectError(bc.get('api/v2.0/companies(11111111-1111-4111-8111-111111111111)/vendors', { parse, body: 'bytes' }), 'BC_COMPANY_NOT_FOUND');
    await expectError(bc.get('api/v2.0/companies', { body: 'json' }), 'CONFIG_INVALID');
  } finally { await srv.close(); }
});

test('504 contract: one retry, then BC_TIMEOUT with details.narrowable so the caller splits the window', async () => {
  const clock = fakeClock();
  const srv = await startServer((req, res) => sendJson(res, 504, 'Gateway Timeout'));
  let n = 0;
  const flaky = await startServer((req, res) => { n += 1; if (n === 1) return sendJson(res, 504, ''); sendJson(res, 200, PAGE); });
  try {
    const err = await expectError(client(srv, { now: clock.now, sleep: clock.sleep }).get('api/v2.0/companies'), 'BC_TIMEOUT');
    assert.equal(err.details.narrowable, true);
    assert.equal(err.details.reason, 'gateway-timeout');
    assert.equal(err.status, 504);
    assert.equal(err.details.attempts, 2);
    assert.equal(srv.requests.length, 2, 'no blind retries');
    assert.match(err.message, /Narrow the query/);

    await expectError(client(srv, { now: clock.now, sleep: clock.sleep, retry: { timeoutRetries: 0 } }).get('api/v2.0/companies'), 'BC_TIMEOUT');
    assert.equal(srv.requests.length, 3);

    assert.equal((await client(flaky, { now: clock.now, sleep: clock.sleep }).get('api/v2.0/companies')).attempts, 2);
  } finally { await srv.close(); await flaky.close(); }
});

test('per-request timeout: a hung request is aborted, retried once, then BC_TIMEOUT (client-timeout, narrowable)', async () => {
  const srv = await startServer(() => { /* never answers */ });
  try {
    const started = Date.now();
    const err = await expectError(client(srv, { timeoutMs: 100, sleep: async () => {} }).get('api/v2.0/companies'), 'BC_TIMEOUT');
    assert.equal(err.details.reason, 'client-timeout');
    assert.equal(err.details.narrowable, true);
    assert.equal(srv.requests.length, 2);
    assert.ok(Date.now() - started < 2000);
  } finally { await srv.close(); }
});

test('caller abort: in flight, while waiting to retry, and before starting -> ABORTED, never retried', async () => {
  const srv = await startServer(() => { /* hangs */ });
  const slow429 = await startServer((req, res) => sendJson(res, 429, '', { 'Retry-After': '30' }));
  try {
    const ac = new AbortController();
    const p = client(srv).get('api/v2.0/companies', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expectError(p, 'ABORTED');
    assert.equal(srv.requests.length, 1);

    const ac2 = new AbortController();
    const c2 = client(slow429); // real sleep: the 30 s wait must be cut short
    const started = Date.now();
    const p2 = c2.get('api/v2.0/companies', { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 100);
    await expectError(p2, 'ABORTED');
    assert.ok(Date.now() - started < 2000);
    assert.equal(slow429.requests.length, 1);

    const ac3 = new AbortController();
    ac3.abort();
    const cred = fakeCredential();
    await expectError(client(srv, { credential: cred }).get('api/v2.0/companies', { signal: ac3.signal }), 'ABORTED');
    assert.equal(srv.requests.length, 1);
    assert.equal(cred.calls, 0);
  } finally { await srv.close(); await slow429.close(); }
});

test('401 with an expired token: the token is invalidated, a fresh one fetched, the request retried once', async () => {
  const issued = [];
  const entra = await startServer((req, res) => {
    tokenSerial += 1;
    const t = `eyJhbGciOiJub25lIn0.eyJjYyI6JHt9fQ.real-${tokenSerial}`;
    secretsSeen.add(t);
    issued.push(t);
    sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: t });
  });
  const bc = await startServer((req, res) => {
    if (req.headers.authorization === `Bearer ${issued[0]}`) return sendJson(res, 401, bcError('Authentication_InvalidCredentials', 'The token has expired.'));
    sendJson(res, 200, PAGE);
  });
  try {
    const credential = createClientCredentials({ tenantId: TENANT, clientId: '11111111-2222-3333-4444-555555555555', clientSecret: SECRET, authorityHost: entra.url });
    const seen = [];
    const c = client(bc, { credential, onEvent: (e) => { seen.push(e); events.push(e); } });
    const res = await c.get('api/v2.0/companies');
    assert.equal(res.status, 200);
    assert.equal(entra.requests.length, 2);
    assert.equal(bc.requests.length, 2);
    assert.equal(bc.requests[1].headers.authorization, `Bearer ${issued[1]}`);
    assert.equal(seen.filter((e) => e.type === 'tokenRefresh').length, 1);
  } finally { await entra.close(); await bc.close(); }
});

test('401 Authentication_InvalidCredentials twice -> BC_APP_NOT_ENABLED (register and enable the app in BC)', async () => {
  const srv = await startServer((req, res) => sendJson(res, 401, bcError('Authentication_InvalidCredentials', 'The server has rejected the client credentials.')));
  try {
    const cred = fakeCredential();
    const err = await expectError(client(srv, { credential: cred }).get('api/v2.0/companies'), 'BC_APP_NOT_ENABLED');
    assert.equal(srv.requests.length, 2);
    assert.equal(cred.invalidated.length, 1);
    assert.match(err.message, /not registered or not enabled on Business Central's Microsoft Entra Applications page: add the client ID there, set State to Enabled, assign permission sets \(e\.g\. D365 BASIC ISV \/ D365 AUTOMATION\) and grant consent/);
    assert.equal(err.details.bcCode, 'Authentication_InvalidCredentials');
    assert.equal(err.status, 401);
  } finally { await srv.close(); }
});

test('BC error bodies map by status and error.code', async () => {
  const routes = new Map([
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies`, [404, '<html>Not Found</html>']],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/purchaseInvoices`, [404, bcError('BadRequest_NotFound', 'Bad Request - Error in query syntax.')]],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/vendors`, [400, bcError('Internal_CompanyNotFound', 'Cannot process the request because the default company cannot be found.')]],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/generalLedgerSetup`, [403, bcError('Authorization_InsufficientPermissions', 'Forbidden')]],
    [`/v2.0/${TENANT}/${ENV}/api/microsoft/automation/v2.0/companies(${COMPANY})/users`, [403, bcError('Unknown', 'Forbidden')]],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/purchaseCreditMemos`, [400, bcError('Application_DialogException', 'You do not have permissions to read Purchase Invoices.')]],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/bogus`, [404, bcError('BadRequest_ResourceNotFound', "Resource not found for the segment 'bogus'.")]],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/currencies`, [400, bcError('BadRequest', 'Unable to convert value to Date')]],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/items`, [413, bcError('Unknown', 'Request entity too large')]],
    [`/v2.0/${TENANT}/${ENV}/api/v2.0/companies(${COMPANY})/employees`, [404, bcError('Internal_TenantUnavailable', "The tenant 'x' is not accessible.")]],
  ]);
  const srv = await startServer((req, res) => { const [s, b] = routes.get(req.url) ?? [500, '']; sendJson(res, s, b); });
  try {
    const c = client(srv);
    const expect = async (url, code) => expectError(c.get(url), code);
    await expect(c.apiUrl('companies'), 'BC_ENVIRONMENT_NOT_FOUND');
    const company = await expect(c.companyUrl(COMPANY, 'purchaseInvoices'), 'BC_COMPANY_NOT_FOUND');
    assert.match(company.message, new RegExp(COMPANY));
    await expect(c.companyUrl(COMPANY, 'vendors'), 'BC_COMPANY_NOT_FOUND');
    const perm = await expect(c.companyUrl(COMPANY, 'generalLedgerSetup'), 'BC_PERMISSION_MISSING');
    assert.match(perm.message, /D365 BASIC ISV/);
    const users = await expect(c.automationUrl(COMPANY, 'users'), 'BC_PERMISSION_MISSING');
    assert.match(users.message, /D365 AUTOMATION/);
    assert.match(users.message, /Automation\.ReadWrite\.All/);
    await expect(c.companyUrl(COMPANY, 'purchaseCreditMemos'), 'BC_PERMISSION_MISSING');
    await expect(c.companyUrl(COMPANY, 'bogus'), 'BC_NOT_FOUND');
    const bad = await expect(c.companyUrl(COMPANY, 'currencies'), 'BC_BAD_REQUEST');
    assert.match(bad.message, /Unable to convert value to Date/);
    const large = await expect(c.companyUrl(COMPANY, 'items'), 'BC_RESPONSE_TOO_LARGE');
    assert.equal(large.details.narrowable, true);
    await expect(c.companyUrl(COMPANY, 'employees'), 'BC_ENVIRONMENT_NOT_FOUND');
    // 4xx are final: one request each.
    assert.equal(srv.requests.length, routes.size);
  } finally { await srv.close(); }
  assert.equal(parseBcError(404, { error: { code: 'BadRequest_NotFound', message: 'x' } }, { url: `https://api.businesscentral.dynamics.com/v2.0/t/e/api/v2.0/companies` }).code, 'BC_ENVIRONMENT_NOT_FOUND');
});

test('an off-origin nextLink is refused and the other origin receives nothing', async () => {
  const other = await startServer((req, res) => sendJson(res, 200, PAGE));
  const srv = await startServer((req, res) => sendJson(res, 200, { value: [{ id: 'a' }], '@odata.nextLink': `${other.url}/v2.0/${TENANT}/${ENV}/api/v2.0/companies?$skiptoken=2` }));
  try {
    const cred = fakeCredential();
    const c = client(srv, { credential: cred });
    const err = await expectError(c.getAll('api/v2.0/companies'), 'BC_OFF_ORIGIN_NEXT_LINK');
    assert.equal(err.details.origin, other.url);
    const callsBefore = cred.calls;
    await expectError(c.get(`${other.url}/v2.0/${TENANT}/${ENV}/api/v2.0/companies`), 'BC_OFF_ORIGIN_NEXT_LINK');
    await expectError(c.get(`//127.0.0.1:${new URL(other.url).port}/x`), 'BC_OFF_ORIGIN_NEXT_LINK');
    await expectError(c.get(`${srv.url.replace('127.0.0.1', 'localhost')}/v2.0/x`), 'BC_OFF_ORIGIN_NEXT_LINK');
    assert.equal(cred.calls, callsBefore, 'no token was even requested for the refused links');
    assert.equal(other.requests.length, 0);
    assert.equal(srv.requests.length, 1);
  } finally { await srv.close(); await other.close(); }
});

test('redirects: followed by hand within the API origin, refused to another origin (which receives nothing)', async () => {
  const other = await startServer((req, res) => sendJson(res, 200, PAGE));
  const srv = await startServer((req, res) => {
    if (req.url.endsWith('/same')) { res.writeHead(302, { Location: `/v2.0/${TENANT}/${ENV}/api/v2.0/companies` }); return res.end(); }
    if (req.url.endsWith('/away')) { res.writeHead(307, { Location: `${other.url}/steal` }); return res.end(); }
    sendJson(res, 200, PAGE);
  });
  try {
    const c = client(srv);
    const ok = await c.get('api/v2.0/same');
    assert.equal(ok.url, c.apiUrl('companies'));
    await expectError(c.get('api/v2.0/away'), 'BC_OFF_ORIGIN_REDIRECT');
    assert.equal(other.requests.length, 0);
  } finally { await srv.close(); await other.close(); }
});

test('configuration errors are typed', async () => {
  await expectError(() => createBcClient({ core, credential: fakeCredential(), environment: '' }), 'CONFIG_INVALID');
  await expectError(() => createBcClient({ core, credential: fakeCredential(), environment: ENV, apiHost: 'http://bc.example.com' }), 'CONFIG_INVALID');
  await expectError(() => createBcClient({ core, credential: fakeCredential(), environment: ENV, maxConcurrency: 0 }), 'CONFIG_INVALID');
  await expectError(() => createBcClient({ core, credential: fakeCredential(), environment: ENV, maxPageSize: 20001 }), 'CONFIG_INVALID');
  await expectError(() => createBcClient({ core, credential: {}, environment: ENV }), 'CONFIG_INVALID');
});

// BC's limits and the company-id check are the core's (src/sync/mod.rs, tested there): these
// prove the client asks the core for them rather than keeping its own copies.
const coreWith = (changes) => ({ ...core, ...changes });

test('the client has no limits of its own: without the core it refuses to start', async () => {
  const e = await expectError(() => createBcClient({ credential: fakeCredential(), environment: ENV }), 'CONFIG_INVALID');
  assert.equal(e.details.option, 'core');
});

test("the client enforces the core's BC limits: requests in flight, page size and request rate", async () => {
  const limits = core.bcLimits();
  assert.deepEqual(limits, { maxConcurrency: 5, maxPageSize: 20000, requestsPerWindow: 6000, windowMs: 300000 });
  await expectError(() => createBcClient({ core, credential: fakeCredential(), environment: ENV, maxPageSize: limits.maxPageSize + 1 }), 'CONFIG_INVALID');
  assert.ok(createBcClient({ core, credential: fakeCredential(), environment: ENV, maxPageSize: limits.maxPageSize }));
  // A core with other limits: the client follows it.
  const strict = coreWith({ bcLimits: () => ({ maxConcurrency: 3, maxPageSize: 100, requestsPerWindow: 40, windowMs: 1000 }) });
  await expectError(() => createBcClient({ core: strict, credential: fakeCredential(), environment: ENV, maxPageSize: 101 }), 'CONFIG_INVALID');
  const srv = await startServer((req, res) => setTimeout(() => sendJson(res, 200, PAGE), 30));
  try {
    for (const asked of [undefined, 9]) {
      const c = client(srv, { core: strict, credential: fakeCredential(), maxConcurrency: asked, maxPageSize: 100 });
      assert.equal(c.limiter.pacer.budget, 38, 'the rate is the core\'s less 5% headroom');
      await Promise.all(Array.from({ length: 12 }, () => c.get('api/v2.0/companies')));
      assert.equal(c.limiter.concurrency.peak, 3, `maxConcurrency ${asked}`);
    }
  } finally { await srv.close(); }
});

test("company ids that go into a URL are checked by the core's isGuid", () => {
  const asked = [];
  const c = createBcClient({ core: coreWith({ isGuid: (id) => { asked.push(id); return core.isGuid(id); } }), credential: fakeCredential(), environment: ENV });
  c.companyUrl(COMPANY, 'vendors');
  assert.throws(() => c.automationUrl('not-a-guid', 'users'), (e) => e.code === 'CONFIG_INVALID' && e.details.option === 'companyId');
  assert.deepEqual(asked, [COMPANY, 'not-a-guid']);
  const never = createBcClient({ core: coreWith({ isGuid: () => false }), credential: fakeCredential(), environment: ENV });
  assert.throws(() => never.companyUrl(COMPANY, 'vendors'), (e) => e.code === 'CONFIG_INVALID');
});

test('no secret or token appears in any error or progress event', () => {
  assert.ok(produced.length > 25, `scanned ${produced.length} errors`);
  assert.ok(events.length > 20, `scanned ${events.length} events`);
  const texts = [
    ...produced.map((err) => JSON.stringify({ message: err.message, stack: err.stack, details: err.details, hint: err.hint, cause: err.cause && String(err.cause) })),
    ...events.map((e) => JSON.stringify(e)),
  ];
  for (const text of texts) {
    for (const s of secretsSeen) assert.ok(!text.includes(s), `leak: ${text.slice(0, 300)}`);
    assert.doesNotMatch(text, /Bearer /);
  }
});
