// Sign-in: client credentials, the authorization-code flow with PKCE and refresh, caller-supplied
// credentials, and the mapping of every documented Entra error. All against stub token endpoints
// on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import {
  BC_SCOPE,
  buildAdminConsentUrl,
  buildAuthorizeUrl,
  createClientCredentials,
  createPkcePair,
  createRefreshTokenCredential,
  exchangeAuthorizationCode,
  fromTokenCredential,
  parseAuthorizeRedirect,
  pkceChallenge,
} from '../src/auth.js';
import { BcSpendError, looksLikeSecretId, parseEntraError } from '../src/errors.js';

const SECRET = 'Xy7Q~s3cr3t-VALUE-never-in-errors_0123456789';
const GUID_SECRET = '5d3f2c1a-9b8e-4c7d-a6f5-0e1d2c3b4a59';
const TENANT = 'contoso.onmicrosoft.com';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const produced = []; // every error and event the tests saw, scanned for secrets at the end
const secretsSeen = new Set([SECRET, GUID_SECRET]);

async function startServer(handler) {
  const requests = [];
  const server = http.createServer((req, res) => {
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
    async close() { server.closeAllConnections(); await new Promise((r) => server.close(r)); },
  };
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

let tokenCounter = 0;
function newAccessToken() {
  tokenCounter += 1;
  const t = `eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LSR7${tokenCounter}fQ.sig${tokenCounter}`;
  secretsSeen.add(t);
  return t;
}

function entraError(status, code, error, description = 'Something happened.') {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-11-26 10:00:00Z`,
      error_codes: [code],
      timestamp: '2026-11-26 10:00:00Z',
      trace_id: '00000000-trace',
      correlation_id: '11111111-corr',
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

async function expectError(promiseOrFn, code) {
  let err;
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${code}, got success`);
  produced.push(err);
  assert.ok(err instanceof BcSpendError, `expected BcSpendError, got ${err?.name}: ${err?.message}`);
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  assert.equal(err.name, 'BcSpendError');
  return err;
}

function fakeClock(start = 1_800_000_000_000) {
  const clock = { t: start, sleeps: [] };
  clock.now = () => clock.t;
  clock.sleep = async (ms) => { clock.sleeps.push(ms); clock.t += ms; };
  return clock;
}

// ---------------------------------------------------------------------------------------------
// Client credentials

test('client credentials: posts the documented grant and returns a TokenCredential-shaped token', async () => {
  const token = newAccessToken();
  const srv = await startServer((req, res) => sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: token }));
  try {
    const clock = fakeClock();
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url, now: clock.now });
    const result = await cred.getToken(BC_SCOPE);
    assert.equal(result.token, token);
    assert.equal(result.expiresOnTimestamp, clock.t + 3599 * 1000);
    assert.equal(srv.requests.length, 1);
    const r = srv.requests[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.url, `/${TENANT}/oauth2/v2.0/token`);
    assert.match(r.headers['content-type'], /application\/x-www-form-urlencoded/);
    assert.deepEqual(r.form, { grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET, scope: 'https://api.businesscentral.dynamics.com/.default' });
  } finally { await srv.close(); }
});

test('client credentials: 10 concurrent getToken calls share one token request, then the cache answers', async () => {
  const srv = await startServer((req, res) => setTimeout(() => sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: newAccessToken() }), 50));
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    const results = await Promise.all(Array.from({ length: 10 }, () => cred.getToken(BC_SCOPE)));
    assert.equal(srv.requests.length, 1);
    assert.equal(new Set(results.map((r) => r.token)).size, 1);
    await cred.getToken(BC_SCOPE);
    assert.equal(srv.requests.length, 1);
  } finally { await srv.close(); }
});

test('client credentials: refreshes shortly before expiry (5 min, or 10% of a short lifetime)', async () => {
  let expiresIn = 3600;
  const srv = await startServer((req, res) => sendJson(res, 200, { token_type: 'Bearer', expires_in: expiresIn, access_token: newAccessToken() }));
  try {
    const clock = fakeClock();
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url, now: clock.now });
    const a = await cred.getToken();
    clock.t += (3600 - 301) * 1000; // just outside the 5-minute margin
    assert.equal((await cred.getToken()).token, a.token);
    clock.t += 2000; // now inside it
    const b = await cred.getToken();
    assert.notEqual(b.token, a.token);
    assert.equal(srv.requests.length, 2);

    expiresIn = 60; // short-lived token: margin is 6 s
    clock.t += 3600 * 1000;
    const c = await cred.getToken();
    clock.t += 53 * 1000;
    assert.equal((await cred.getToken()).token, c.token);
    clock.t += 2 * 1000;
    assert.notEqual((await cred.getToken()).token, c.token);
    assert.equal(srv.requests.length, 4);
  } finally { await srv.close(); }
});

test('client credentials: invalidate(token) drops only that token', async () => {
  const srv = await startServer((req, res) => sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: newAccessToken() }));
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    const a = await cred.getToken();
    cred.invalidate(a.token);
    const b = await cred.getToken();
    assert.notEqual(b.token, a.token);
    cred.invalidate(a.token); // stale: keeps b
    assert.equal((await cred.getToken()).token, b.token);
    assert.equal(srv.requests.length, 2);
  } finally { await srv.close(); }
});

test('client credentials: a missing secret fails before any request (AUTH_NO_SECRET)', async () => {
  await expectError(() => createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: '' }), 'AUTH_NO_SECRET');
  await expectError(() => createClientCredentials({ tenantId: TENANT, clientId: CLIENT }), 'AUTH_NO_SECRET');
  await expectError(() => createClientCredentials({ clientId: CLIENT, clientSecret: SECRET }), 'CONFIG_INVALID');
  await expectError(() => createClientCredentials({ tenantId: 'common', clientId: CLIENT, clientSecret: SECRET }), 'AUTH_TENANT_INVALID');
  await expectError(() => createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: 'http://login.example.com' }), 'CONFIG_INVALID');
});

test('client credentials: the secret ID pasted instead of the value is recognised (AUTH_SECRET_ID_NOT_VALUE)', async () => {
  const e = entraError(401, 7000215, 'invalid_client', "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '11111111-2222-3333-4444-555555555555'.");
  const srv = await startServer((req, res) => sendJson(res, e.status, e.body));
  try {
    assert.equal(looksLikeSecretId(GUID_SECRET), true);
    assert.equal(looksLikeSecretId(SECRET), false);
    const idCred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: GUID_SECRET, authorityHost: srv.url });
    const err = await expectError(idCred.getToken(), 'AUTH_SECRET_ID_NOT_VALUE');
    assert.match(err.message, /Value/);
    assert.match(err.message, /secret's ID|Secret ID|secret ID/i);
    assert.equal(err.status, 401);
    const valueCred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    await expectError(valueCred.getToken(), 'AUTH_INVALID_SECRET');
    assert.equal(srv.requests.length, 2, 'a 401 invalid_client is not retried');
  } finally { await srv.close(); }
});

test('client credentials: an expired secret says to create a new one and reconnect, over HTTP', async () => {
  const e = entraError(401, 7000222, 'invalid_client', 'The provided client secret keys for app are expired.');
  const srv = await startServer((req, res) => sendJson(res, e.status, e.body));
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    const err = await expectError(cred.getToken(), 'AUTH_SECRET_EXPIRED');
    assert.match(err.message, /The client secret has expired\. Create a new client secret in Microsoft Entra \(App registrations > Certificates & secrets\) and reconnect\./);
    assert.deepEqual(err.details.errorCodes, [7000222]);
    assert.equal(err.details.error, 'invalid_client');
    assert.equal(err.details.correlationId, '11111111-corr');
  } finally { await srv.close(); }
});

test('client credentials: 503 and 429 from Entra are retried (Retry-After honoured), 400 is not', async () => {
  let n = 0;
  const srv = await startServer((req, res) => {
    n += 1;
    if (n === 1) return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'busy' });
    if (n === 2) return sendJson(res, 429, { error: 'slow_down' }, { 'Retry-After': '7' });
    return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: newAccessToken() });
  });
  try {
    const clock = fakeClock();
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url, now: clock.now, sleep: clock.sleep, random: () => 0.5 });
    await cred.getToken();
    assert.equal(srv.requests.length, 3);
    assert.equal(clock.sleeps.length, 2);
    assert.equal(clock.sleeps[1], 7000);
  } finally { await srv.close(); }

  const bad = entraError(400, 700016, 'unauthorized_client', "Application with identifier 'x' was not found in the directory 'contoso'.");
  const srv2 = await startServer((req, res) => sendJson(res, bad.status, bad.body));
  try {
    const clock = fakeClock();
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv2.url, sleep: clock.sleep });
    const err = await expectError(cred.getToken(), 'AUTH_APP_NOT_FOUND');
    assert.match(err.message, /client\) ID was not found in this tenant/);
    assert.equal(srv2.requests.length, 1);
    // A failure is not cached: the next call asks again.
    await expectError(cred.getToken(), 'AUTH_APP_NOT_FOUND');
    assert.equal(srv2.requests.length, 2);
  } finally { await srv2.close(); }
});

test('client credentials: an unreachable authority gives AUTH_NETWORK after retries', async () => {
  const srv = await startServer(() => {});
  const url = srv.url;
  await srv.close(); // nothing listens on this port now
  const clock = fakeClock();
  const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: url, sleep: clock.sleep, maxRetries: 2 });
  const err = await expectError(cred.getToken(), 'AUTH_NETWORK');
  assert.equal(err.details.attempts, 3);
});

test('client credentials: a redirect from the token endpoint is not followed (the secret stays put)', async () => {
  const other = await startServer((req, res) => sendJson(res, 200, { access_token: 'stolen', expires_in: 3600 }));
  const srv = await startServer((req, res) => { res.writeHead(307, { Location: `${other.url}/steal` }); res.end(); });
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    await expectError(cred.getToken(), 'AUTH_FAILED');
    assert.equal(other.requests.length, 0);
  } finally { await srv.close(); await other.close(); }
});

test('an error body that echoes the secret is scrubbed before it reaches the error', async () => {
  const srv = await startServer((req, res, r) => sendJson(res, 400, {
    error: 'odd_error', error_description: `AADSTS9999999: bad secret ${r.form.client_secret} sent`, error_codes: [9999999],
  }));
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    const err = await expectError(cred.getToken(), 'AUTH_FAILED');
    assert.match(err.message, /AADSTS9999999/);
    assert.match(err.message, /\[redacted\]/);
    assert.ok(!JSON.stringify(err.details).includes(SECRET));
  } finally { await srv.close(); }
});

test('caller abort: a waiting getToken rejects with ABORTED and the shared request still serves others', async () => {
  const srv = await startServer((req, res) => setTimeout(() => sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: newAccessToken() }), 80));
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    const ac = new AbortController();
    const a = cred.getToken(BC_SCOPE, { abortSignal: ac.signal });
    const b = cred.getToken(BC_SCOPE);
    ac.abort();
    await expectError(a, 'ABORTED');
    assert.ok((await b).token);
    assert.equal(srv.requests.length, 1);
  } finally { await srv.close(); }
});

// ---------------------------------------------------------------------------------------------
// Entra error mapping (reference 1.4, 1.5): by error_codes[0] first, then by `error`.

const ENTRA_CASES = [
  [401, 7000222, 'invalid_client', 'AUTH_SECRET_EXPIRED'],
  [401, 7000215, 'invalid_client', 'AUTH_INVALID_SECRET'],
  [400, 7000218, 'invalid_request', 'AUTH_NO_SECRET'],
  [401, 70002, 'invalid_client', 'AUTH_INVALID_SECRET'],
  [400, 700016, 'unauthorized_client', 'AUTH_APP_NOT_FOUND'],
  [400, 90002, 'invalid_request', 'AUTH_TENANT_NOT_FOUND'],
  [400, 90002, 'invalid_tenant', 'AUTH_TENANT_NOT_FOUND'],
  [400, 900023, 'invalid_request', 'AUTH_TENANT_INVALID'],
  [400, 90019, 'invalid_request', 'AUTH_TENANT_INVALID'],
  [400, 50059, 'invalid_request', 'AUTH_TENANT_INVALID'],
  [400, 50194, 'invalid_request', 'AUTH_TENANT_INVALID'],
  [400, 65001, 'invalid_grant', 'AUTH_CONSENT_MISSING'],
  [400, 65001, 'consent_required', 'AUTH_CONSENT_MISSING'],
  [400, 90094, 'invalid_grant', 'AUTH_CONSENT_MISSING'],
  [400, 90095, 'invalid_grant', 'AUTH_CONSENT_MISSING'],
  [400, 65004, 'access_denied', 'AUTH_CONSENT_DECLINED'],
  [400, 650052, 'invalid_resource', 'AUTH_BC_NOT_AVAILABLE'],
  [400, 650057, 'invalid_client', 'AUTH_BC_NOT_AVAILABLE'],
  [400, 500011, 'invalid_resource', 'AUTH_BC_NOT_AVAILABLE'],
  [400, 70011, 'invalid_scope', 'AUTH_INVALID_SCOPE'],
  [400, 70008, 'invalid_grant', 'AUTH_SIGNIN_EXPIRED'],
  [400, 700082, 'invalid_grant', 'AUTH_SIGNIN_EXPIRED'],
  [400, 50173, 'invalid_grant', 'AUTH_SIGNIN_EXPIRED'],
  [400, 54005, 'invalid_grant', 'AUTH_CODE_REDEEMED'],
  [400, 50076, 'interaction_required', 'AUTH_MFA_REQUIRED'],
  [400, 50079, 'interaction_required', 'AUTH_MFA_REQUIRED'],
  [400, 50074, 'interaction_required', 'AUTH_MFA_REQUIRED'],
  [400, 53003, 'interaction_required', 'AUTH_CONDITIONAL_ACCESS'],
  [400, 530032, 'interaction_required', 'AUTH_CONDITIONAL_ACCESS'],
  [400, 530035, 'invalid_grant', 'AUTH_CONDITIONAL_ACCESS'],
  [400, 7000112, 'unauthorized_client', 'AUTH_APP_DISABLED'],
  [400, 70001, 'unauthorized_client', 'AUTH_APP_DISABLED'],
  [400, 50126, 'invalid_grant', 'AUTH_USER_REJECTED'],
  [400, 50034, 'invalid_grant', 'AUTH_USER_REJECTED'],
  [400, 50057, 'invalid_grant', 'AUTH_USER_REJECTED'],
  [429, 90055, 'invalid_request', 'AUTH_THROTTLED'],
  [400, 50196, 'invalid_request', 'AUTH_THROTTLED'],
];

test('parseEntraError maps every documented AADSTS code by number', () => {
  for (const [status, code, error, expected] of ENTRA_CASES) {
    const { body } = entraError(status, code, error);
    const err = parseEntraError(status, body);
    produced.push(err);
    assert.equal(err.code, expected, `AADSTS${code} (${error}) -> ${expected}, got ${err.code}`);
    assert.equal(err.status, status);
    assert.equal(err.details.aadsts, code);
    assert.match(err.message, new RegExp(`AADSTS${code}`));
    // The same body as text maps the same way.
    assert.equal(parseEntraError(status, JSON.stringify(body)).code, expected);
  }
});

test('parseEntraError: the secret-ID hint applies to invalid-secret codes only', () => {
  assert.equal(parseEntraError(401, entraError(401, 7000215, 'invalid_client').body, { secretLooksLikeId: true }).code, 'AUTH_SECRET_ID_NOT_VALUE');
  assert.equal(parseEntraError(401, entraError(401, 70002, 'invalid_client').body, { secretLooksLikeId: true }).code, 'AUTH_SECRET_ID_NOT_VALUE');
  assert.equal(parseEntraError(401, entraError(401, 7000222, 'invalid_client').body, { secretLooksLikeId: true }).code, 'AUTH_SECRET_EXPIRED');
});

test('parseEntraError falls back to `error`, then status, then AUTH_FAILED with the code and error', () => {
  const cases = [
    [401, { error: 'invalid_client' }, 'AUTH_INVALID_SECRET'],
    [400, { error: 'invalid_tenant' }, 'AUTH_TENANT_NOT_FOUND'],
    [400, { error: 'consent_required' }, 'AUTH_CONSENT_MISSING'],
    [400, { error: 'access_denied' }, 'AUTH_CONSENT_DECLINED'],
    [400, { error: 'invalid_grant' }, 'AUTH_SIGNIN_EXPIRED'],
    [400, { error: 'interaction_required' }, 'AUTH_SIGNIN_EXPIRED'],
    [400, { error: 'invalid_scope' }, 'AUTH_INVALID_SCOPE'],
    [400, { error: 'invalid_resource' }, 'AUTH_BC_NOT_AVAILABLE'],
    [503, { error: 'temporarily_unavailable' }, 'AUTH_UNAVAILABLE'],
    [429, '', 'AUTH_THROTTLED'],
    [502, '<html>Bad gateway</html>', 'AUTH_UNAVAILABLE'],
    [400, { error: 'invalid_client', error_description: 'AADSTS7000222: expired' }, 'AUTH_SECRET_EXPIRED'], // number from the text when error_codes is absent
  ];
  for (const [status, body, expected] of cases) {
    const err = parseEntraError(status, body);
    produced.push(err);
    assert.equal(err.code, expected, `${JSON.stringify(body)} -> ${expected}, got ${err.code}`);
  }
  const unknown = parseEntraError(400, entraError(400, 1234567, 'weird_error').body);
  produced.push(unknown);
  assert.equal(unknown.code, 'AUTH_FAILED');
  assert.match(unknown.message, /AADSTS1234567/);
  assert.match(unknown.message, /weird_error/);
});

// ---------------------------------------------------------------------------------------------
// Authorization code flow

test('PKCE: RFC 7636 appendix B test vector, and fresh pairs are well-formed', async () => {
  assert.equal(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  const a = await createPkcePair();
  const b = await createPkcePair();
  assert.match(a.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.codeVerifier, b.codeVerifier);
  assert.equal(a.codeChallenge, await pkceChallenge(a.codeVerifier));
  assert.equal(a.codeChallengeMethod, 'S256');
});

test('authorize and admin consent URLs carry the documented parameters', () => {
  const u = new URL(buildAuthorizeUrl({ tenantId: TENANT, clientId: CLIENT, redirectUri: 'http://localhost:3000/cb', state: 's1', codeChallenge: 'ch', prompt: 'consent' }));
  assert.equal(u.origin + u.pathname, `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`);
  const p = Object.fromEntries(u.searchParams);
  assert.deepEqual(p, {
    client_id: CLIENT, response_type: 'code', redirect_uri: 'http://localhost:3000/cb', response_mode: 'query',
    scope: 'https://api.businesscentral.dynamics.com/.default offline_access', state: 's1',
    code_challenge: 'ch', code_challenge_method: 'S256', prompt: 'consent',
  });
  const c = new URL(buildAdminConsentUrl({ tenantId: TENANT, clientId: CLIENT, redirectUri: 'http://localhost:3000/consent', state: 's2' }));
  assert.equal(c.pathname, `/${TENANT}/v2.0/adminconsent`);
  assert.equal(c.searchParams.get('scope'), 'https://api.businesscentral.dynamics.com/.default');
  assert.throws(() => buildAdminConsentUrl({ tenantId: 'common', clientId: CLIENT, redirectUri: 'x', state: 's' }), (e) => { produced.push(e); return e.code === 'AUTH_TENANT_INVALID'; });
  assert.throws(() => buildAuthorizeUrl({ clientId: CLIENT, redirectUri: 'x', state: 's', prompt: 'always' }), (e) => e.code === 'CONFIG_INVALID');
});

test('parseAuthorizeRedirect: code, admin consent, Entra errors and state mismatch', async () => {
  assert.deepEqual(parseAuthorizeRedirect('http://localhost/cb?code=abc&state=s1', { expectedState: 's1' }), { code: 'abc', state: 's1' });
  assert.deepEqual(parseAuthorizeRedirect('http://localhost/cb?admin_consent=True&tenant=t-guid&scope=x&state=s2', { expectedState: 's2' }),
    { adminConsent: true, tenant: 't-guid', scope: 'x', state: 's2' });
  await expectError(() => parseAuthorizeRedirect('http://localhost/cb?error=consent_required&error_description=AADSTS65001%3A+The+user+or+administrator+has+not+consented&state=s'), 'AUTH_CONSENT_MISSING');
  await expectError(() => parseAuthorizeRedirect('http://localhost/cb?error=access_denied&error_description=AADSTS65004%3A+declined&state=s'), 'AUTH_CONSENT_DECLINED');
  await expectError(() => parseAuthorizeRedirect('http://localhost/cb?code=abc&state=evil', { expectedState: 's1' }), 'AUTH_STATE_MISMATCH');
});

test('exchangeAuthorizationCode sends code, verifier and redirect URI; a redeemed code is not retried', async () => {
  const access = newAccessToken();
  const rt = 'RT-initial-0123456789';
  secretsSeen.add(rt);
  const srv = await startServer((req, res, r) => {
    if (r.form.code === 'used-code') { const e = entraError(400, 54005, 'invalid_grant', 'OAuth2 Authorization code was already redeemed'); return sendJson(res, e.status, e.body); }
    sendJson(res, 200, { access_token: access, token_type: 'Bearer', expires_in: 4000, scope: 'https://api.businesscentral.dynamics.com/Financials.ReadWrite.All', refresh_token: rt });
  });
  try {
    const pkce = await createPkcePair();
    const clock = fakeClock();
    const set = await exchangeAuthorizationCode({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, code: 'auth-code-1', codeVerifier: pkce.codeVerifier, redirectUri: 'http://localhost:3000/cb', authorityHost: srv.url, now: clock.now });
    assert.equal(set.accessToken, access);
    assert.equal(set.refreshToken, rt);
    assert.equal(set.expiresOnTimestamp, clock.t + 4_000_000);
    assert.deepEqual(srv.requests[0].form, {
      grant_type: 'authorization_code', client_id: CLIENT, code: 'auth-code-1', redirect_uri: 'http://localhost:3000/cb',
      scope: 'https://api.businesscentral.dynamics.com/.default offline_access', code_verifier: pkce.codeVerifier, client_secret: SECRET,
    });
    await expectError(exchangeAuthorizationCode({ tenantId: TENANT, clientId: CLIENT, code: 'used-code', codeVerifier: 'v', redirectUri: 'http://localhost:3000/cb', authorityHost: srv.url }), 'AUTH_CODE_REDEEMED');
    assert.equal(srv.requests.length, 2);
  } finally { await srv.close(); }
});

test('refresh-token credential rotates the refresh token on every use and persists it', async () => {
  let issued = 0;
  const srv = await startServer((req, res, r) => {
    if (r.form.refresh_token === 'RT-revoked') { const e = entraError(400, 70008, 'invalid_grant', 'The refresh token has expired due to inactivity.'); return sendJson(res, e.status, e.body); }
    issued += 1;
    const next = `RT-rotated-${issued}-abcdef`;
    secretsSeen.add(next);
    setTimeout(() => sendJson(res, 200, { access_token: newAccessToken(), token_type: 'Bearer', expires_in: 3599, refresh_token: next }), 30);
  });
  try {
    const persisted = [];
    const clock = fakeClock();
    secretsSeen.add('RT-original-abcdef');
    const cred = createRefreshTokenCredential({
      tenantId: TENANT, clientId: CLIENT, refreshToken: 'RT-original-abcdef', authorityHost: srv.url, now: clock.now,
      onRefreshToken: async (t) => { persisted.push(t); },
    });
    const all = await Promise.all(Array.from({ length: 5 }, () => cred.getToken()));
    assert.equal(new Set(all.map((x) => x.token)).size, 1);
    assert.equal(srv.requests.length, 1, 'concurrent callers share one refresh');
    assert.equal(srv.requests[0].form.grant_type, 'refresh_token');
    assert.equal(srv.requests[0].form.refresh_token, 'RT-original-abcdef');
    assert.equal(srv.requests[0].form.scope, 'https://api.businesscentral.dynamics.com/.default offline_access');
    assert.equal(srv.requests[0].form.client_secret, undefined, 'public client: no secret');
    assert.deepEqual(persisted, ['RT-rotated-1-abcdef']);

    clock.t += 3600 * 1000;
    await cred.getToken();
    assert.equal(srv.requests[1].form.refresh_token, 'RT-rotated-1-abcdef', 'the rotated token is used next');
    assert.deepEqual(persisted, ['RT-rotated-1-abcdef', 'RT-rotated-2-abcdef']);
    assert.equal(cred.refreshToken, 'RT-rotated-2-abcdef');

    const revoked = createRefreshTokenCredential({ tenantId: TENANT, clientId: CLIENT, refreshToken: 'RT-revoked', authorityHost: srv.url });
    secretsSeen.add('RT-revoked');
    const err = await expectError(revoked.getToken(), 'AUTH_SIGNIN_EXPIRED');
    assert.match(err.message, /Sign in again/);
  } finally { await srv.close(); }
});

test('refresh-token credential uses a seeded access token first, then refreshes after invalidate', async () => {
  const srv = await startServer((req, res) => sendJson(res, 200, { access_token: newAccessToken(), token_type: 'Bearer', expires_in: 3599, refresh_token: 'RT-next-123456' }));
  try {
    const clock = fakeClock();
    secretsSeen.add('RT-next-123456').add('RT-seed-123456').add('seeded-access-token');
    const cred = createRefreshTokenCredential({
      tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, refreshToken: 'RT-seed-123456', accessToken: 'seeded-access-token', expiresOnTimestamp: clock.t + 3_600_000,
      authorityHost: srv.url, now: clock.now,
    });
    assert.equal((await cred.getToken()).token, 'seeded-access-token');
    assert.equal(srv.requests.length, 0);
    cred.invalidate('seeded-access-token');
    assert.notEqual((await cred.getToken()).token, 'seeded-access-token');
    assert.equal(srv.requests[0].form.client_secret, SECRET);
  } finally { await srv.close(); }
});

// ---------------------------------------------------------------------------------------------
// Caller-supplied credentials

test('fromTokenCredential adapts @azure/identity-style credentials and functions', async () => {
  const asked = [];
  const azureLike = { async getToken(scopes) { asked.push(scopes); return { token: 'az-token', expiresOnTimestamp: 42 }; } };
  const c = fromTokenCredential(azureLike);
  assert.deepEqual(await c.getToken(), { token: 'az-token', expiresOnTimestamp: 42, tokenType: 'Bearer' });
  assert.deepEqual(asked, ['https://api.businesscentral.dynamics.com/.default']);
  assert.equal((await fromTokenCredential(async () => 'fn-token').getToken()).token, 'fn-token');

  const authErr = Object.assign(new Error('ClientSecretCredential authentication failed'), {
    name: 'AuthenticationError', statusCode: 401,
    errorResponse: { error: 'invalid_client', errorDescription: 'AADSTS7000222: The provided client secret keys are expired.', errorCodes: [7000222] },
  });
  await expectError(fromTokenCredential({ getToken: async () => { throw authErr; } }).getToken(), 'AUTH_SECRET_EXPIRED');
  await expectError(fromTokenCredential({ getToken: async () => null }).getToken(), 'AUTH_FAILED');
  const leaky = new Error('boom with Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl inside');
  const err = await expectError(fromTokenCredential({ getToken: async () => { throw leaky; } }).getToken(), 'AUTH_FAILED');
  assert.doesNotMatch(err.message, /eyJhbGciOiJub25lIn0/);
  await expectError(() => fromTokenCredential({}), 'CONFIG_INVALID');
});

// ---------------------------------------------------------------------------------------------

test('no secret, refresh token or access token appears in any error produced above', () => {
  assert.ok(produced.length > 60, `scanned ${produced.length} errors`);
  for (const err of produced) {
    const text = JSON.stringify({ message: err.message, stack: err.stack, details: err.details, hint: err.hint, cause: err.cause && String(err.cause), causeJson: err.cause });
    for (const s of secretsSeen) {
      assert.ok(!text.includes(s), `error ${err.code} leaks a secret: ${text.slice(0, 200)}`);
    }
    assert.doesNotMatch(text, /Bearer eyJ/);
  }
});
