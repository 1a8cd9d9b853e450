// The emulator's Entra side and BC authorization: every sign-in scenario's status and body shape,
// the authorization-code flow (PKCE, single-use codes, refresh rotation), BC routing errors, CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { runEmulatorCli } from '../emulator/cli.js';
import { requestToken, clientCredentials, tokenFor, apiBase, bcGet, BC_SCOPE } from '../emulator/testkit.js';

let emu;
before(async () => { emu = await startEmulator({ seed: 7, dataset: { invoices: 600 } }); });
after(async () => { await emu.close(); });

const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
function assertEntraError(r, status, error, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  const b = r.body;
  assert.deepEqual(Object.keys(b), ['error', 'error_description', 'error_codes', 'timestamp', 'trace_id', 'correlation_id', 'error_uri']);
  assert.equal(b.error, error);
  assert.deepEqual(b.error_codes, [code]);
  assert.match(b.error_description, new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: ${GUID}\\r\\nCorrelation ID: ${GUID}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`, 's'));
  assert.match(b.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(b.trace_id, new RegExp(`^${GUID}$`));
  assert.match(b.error_uri, new RegExp(`/error\\?code=${code}$`));
  assert.ok(!JSON.stringify(b).includes(emu.credentials.clientSecret), 'no secret in error');
}

test('client credentials: a valid app gets an opaque bearer token and no refresh token', async () => {
  const r = await requestToken(emu, clientCredentials(emu.credentials));
  assert.equal(r.status, 200);
  assert.equal(r.body.token_type, 'Bearer');
  assert.equal(r.body.expires_in, 3599);
  assert.equal(typeof r.body.access_token, 'string');
  assert.equal(r.body.refresh_token, undefined);
  assert.equal(r.headers.get('cache-control'), 'no-store, no-cache');
  // The tenant can also be a verified domain.
  const byDomain = await requestToken(emu, clientCredentials(emu.credentials), 'northwindtraders.onmicrosoft.com');
  assert.equal(byDomain.status, 200);
});

test('token endpoint errors: status and exact body shape per scenario', async () => {
  const s = emu.scenarios;
  const cases = [
    ['expired secret', s.expiredSecret, {}, 401, 'invalid_client', 7000222],
    ['wrong secret', s.wrongSecret, {}, 401, 'invalid_client', 7000215],
    ['secret ID instead of value', s.secretIdAsSecret, {}, 401, 'invalid_client', 7000215],
    ['unknown tenant (GUID)', s.unknownTenant, {}, 400, 'invalid_request', 90002],
    ['unknown tenant (domain)', s.unknownTenantDomain, {}, 400, 'invalid_request', 90002],
    ['malformed tenant', s.malformedTenant, {}, 400, 'invalid_request', 900023],
    ['app not in tenant', s.unknownApp, {}, 400, 'unauthorized_client', 700016],
    ['no secret', s.valid, { client_secret: '' }, 401, 'invalid_client', 7000218],
    ['scope of another resource', s.valid, { scope: 'https://graph.microsoft.com/.default' }, 400, 'invalid_scope', 70011],
    ['scope without /.default', s.valid, { scope: 'https://api.businesscentral.dynamics.com/Financials.ReadWrite.All' }, 400, 'invalid_scope', 1002012],
    ['unsupported grant', s.valid, { grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
  ];
  for (const [name, creds, override, status, error, code] of cases) {
    const params = { ...clientCredentials(creds), ...override };
    if (params.client_secret === '') delete params.client_secret;
    const r = await requestToken(emu, params, creds.tenantId);
    await test(name, () => assertEntraError(r, status, error, code));
  }
  const r = await requestToken(emu, clientCredentials(s.secretIdAsSecret));
  assert.match(r.body.error_description, /client secret value, not the client secret ID/);
  const expired = await requestToken(emu, clientCredentials(s.expiredSecret));
  assert.match(expired.body.error_description, /are expired/);
});

test('BC side of sign-in: consent, Entra Applications card and permission sets', async () => {
  const companiesUrl = `${apiBase(emu)}/companies`;
  const valid = await tokenFor(emu, 'valid');
  const companies = await bcGet(companiesUrl, { token: valid });
  assert.equal(companies.status, 200);
  const companyId = companies.body.value[0].id;

  for (const scenario of ['noAdminConsent', 'notRegisteredInBc', 'disabledInBc']) {
    const token = await tokenFor(emu, scenario); // Entra issues the token either way
    const r = await bcGet(companiesUrl, { token });
    assert.equal(r.status, 401, scenario);
    assert.equal(r.body.error.code, 'Authentication_InvalidCredentials');
    assert.match(r.body.error.message, new RegExp(`^The server has rejected the client credentials\\.  CorrelationId:  ${GUID}\\.$`));
  }

  const noPurchase = await tokenFor(emu, 'noPurchasePermission');
  assert.equal((await bcGet(companiesUrl, { token: noPurchase })).status, 200);
  const denied = await bcGet(`${apiBase(emu)}/companies(${companyId})/purchaseInvoices`, { token: noPurchase });
  assert.equal(denied.status, 400);
  assert.equal(denied.body.error.code, 'Application_DialogException');
  assert.match(denied.body.error.message, /^You do not have permissions to read Purchase Invoices\./);

  const noAutomation = await tokenFor(emu, 'noAutomationPermission');
  assert.equal((await bcGet(`${apiBase(emu)}/companies(${companyId})/purchaseInvoices?$top=1`, { token: noAutomation })).status, 200);
  const users = await bcGet(`${apiBase(emu, { automation: true })}/companies(${companyId})/users`, { token: noAutomation });
  assert.equal(users.status, 400);
  assert.equal(users.body.error.code, 'Internal_ServerError');
  assert.match(users.body.error.message, /You do not have the following permissions on Page APIV2 - Aut\. Users: Execute/);
  assert.equal((await bcGet(`${apiBase(emu, { automation: true })}/companies(${companyId})/users`, { token: valid })).status, 200);
});

test('admin consent grants the roles; the authorize endpoint reports consent_required before', async () => {
  const s = emu.scenarios.noAdminConsent;
  const authz = await fetch(`${emu.authorityHost}/${s.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: s.clientId, response_type: 'code', redirect_uri: 'http://localhost:8400/cb', scope: `${BC_SCOPE} offline_access`, state: 'st1' })}`, { redirect: 'manual' });
  assert.equal(authz.status, 302);
  const loc = new URL(authz.headers.get('location'));
  assert.equal(loc.searchParams.get('error'), 'consent_required');
  assert.match(loc.searchParams.get('error_description'), /^AADSTS65001: /);
  assert.equal(loc.searchParams.get('state'), 'st1');

  const e2 = await startEmulator({ seed: 7, dataset: { invoices: 60 } }); // fresh directory
  try {
    const c = e2.scenarios.noAdminConsent;
    const before1 = await tokenFor(e2, 'noAdminConsent');
    assert.equal((await bcGet(`${apiBase(e2)}/companies`, { token: before1 })).status, 401);
    const consent = await fetch(`${e2.authorityHost}/${c.tenantId}/v2.0/adminconsent?${new URLSearchParams({ client_id: c.clientId, scope: BC_SCOPE, redirect_uri: 'https://businesscentral.dynamics.com/OAuthLanding.htm', state: 'x9' })}`, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const back = new URL(consent.headers.get('location'));
    assert.equal(back.searchParams.get('admin_consent'), 'True');
    assert.equal(back.searchParams.get('tenant'), c.tenantId);
    assert.equal(back.searchParams.get('state'), 'x9');
    const after1 = await tokenFor(e2, 'noAdminConsent');
    assert.equal((await bcGet(`${apiBase(e2)}/companies`, { token: after1 })).status, 200);
  } finally { await e2.close(); }
});

test('authorization code with PKCE, single-use codes, refresh-token rotation, expiry', async () => {
  const c = emu.scenarios.valid;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirect = 'http://127.0.0.1:53682/callback';
  const authorize = async () => {
    const r = await fetch(`${emu.authorityHost}/organizations/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: c.clientId, response_type: 'code', redirect_uri: redirect, response_mode: 'query', scope: `${BC_SCOPE} offline_access openid`, state: 's', code_challenge: challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    const loc = new URL(r.headers.get('location'));
    assert.equal(loc.origin + loc.pathname, redirect);
    assert.equal(loc.searchParams.get('state'), 's');
    return loc.searchParams.get('code');
  };
  const redeem = (code, extra = {}) => requestToken(emu, { grant_type: 'authorization_code', client_id: c.clientId, client_secret: c.clientSecret, code, redirect_uri: redirect, code_verifier: verifier, scope: `${BC_SCOPE} offline_access openid`, ...extra });

  const code = await authorize();
  const ok = await redeem(code);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.token_type, 'Bearer');
  assert.ok(ok.body.refresh_token && ok.body.id_token && ok.body.scope.includes('Financials.ReadWrite.All'));
  assert.equal((await bcGet(`${apiBase(emu)}/companies`, { token: ok.body.access_token })).status, 200);
  assertEntraError(await redeem(code), 400, 'invalid_grant', 54005);

  assertEntraError(await redeem(await authorize(), { code_verifier: 'not-the-verifier-not-the-verifier-not-the-verifier' }), 400, 'invalid_grant', 501481);
  assertEntraError(await redeem(await authorize(), { redirect_uri: 'http://localhost/other' }), 400, 'invalid_grant', 50011);
  const stale = await authorize();
  emu.mutate.advanceClock(11 * 60_000);
  assertEntraError(await redeem(stale), 400, 'invalid_grant', 70008);

  const refresh = (rt) => requestToken(emu, { grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: rt, scope: `${BC_SCOPE} offline_access` });
  const r1 = await refresh(ok.body.refresh_token);
  assert.equal(r1.status, 200);
  assert.notEqual(r1.body.refresh_token, ok.body.refresh_token, 'rotates');
  const r2 = await refresh(ok.body.refresh_token); // old ones still work (reference 1.3)
  assert.equal(r2.status, 200);
  assertEntraError(await refresh('0.Agarbage'), 400, 'invalid_grant', 9002313);

  // Unregistered redirect URI: an error page, not a redirect.
  const bad = await fetch(`${emu.authorityHost}/${c.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: c.clientId, response_type: 'code', redirect_uri: 'https://evil.example/cb', scope: BC_SCOPE })}`, { redirect: 'manual' });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /AADSTS50011/);
});

test('an expired access token gets BC 401; a token from the tenant-less URL works', async () => {
  const e2 = await startEmulator({ seed: 7, dataset: { invoices: 60 }, tokenLifetimeSec: 60 });
  try {
    const token = await tokenFor(e2);
    assert.equal((await bcGet(`${apiBase(e2, { tenant: false })}/companies`, { token })).status, 200);
    e2.mutate.advanceClock(61_000);
    const r = await bcGet(`${apiBase(e2)}/companies`, { token });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'Authentication_InvalidCredentials');
    assert.match(r.headers.get('www-authenticate'), /^Bearer /);
  } finally { await e2.close(); }
});

test('BC routing errors: missing token, environment, company, entity set', async () => {
  const token = await tokenFor(emu);
  const noAuth = await bcGet(`${apiBase(emu)}/companies`);
  assert.equal(noAuth.status, 401);
  assert.ok(noAuth.headers.get('www-authenticate'));

  const env = await bcGet(`${apiBase(emu, { environment: 'sandbox-missing' })}/companies`, { token });
  assert.equal(env.status, 404);
  assert.equal(env.body.error.code, 'Internal_EnvironmentNotFound');

  const company = await bcGet(`${apiBase(emu)}/companies(11111111-2222-4333-8444-555555555555)/purchaseInvoices`, { token });
  assert.equal(company.status, 404);
  assert.equal(company.body.error.code, 'Internal_CompanyNotFound');

  const noCompany = await bcGet(`${apiBase(emu)}/purchaseInvoices`, { token });
  assert.equal(noCompany.status, 400);
  assert.equal(noCompany.body.error.code, 'Internal_CompanyNotFound');

  const cid = emu.data.companies[0].id;
  const viaQuery = await bcGet(`${apiBase(emu)}/vendors?company=${cid}&$top=1`, { token });
  assert.equal(viaQuery.status, 200);

  const set = await bcGet(`${apiBase(emu)}/companies(${cid})/purchaseInvoice`, { token });
  assert.equal(set.status, 404);
  assert.equal(set.body.error.code, 'BadRequest_ResourceNotFound');
  assert.match(set.body.error.message, /^Resource not found for the segment 'purchaseInvoice'\./);

  const usersOnStandard = await bcGet(`${apiBase(emu)}/companies(${cid})/users`, { token });
  assert.equal(usersOnStandard.body.error.code, 'BadRequest_ResourceNotFound');

  const otherTenant = await bcGet(`${emu.apiHost}/v2.0/4a6d9e21-0b3c-4f5e-8d7a-6c1b2e3f4a5d/${emu.environment}/api/v2.0/companies`, { token });
  assert.equal(otherTenant.status, 401);

  const post = await fetch(`${apiBase(emu)}/companies(${cid})/vendors`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
  assert.equal(post.status, 405);
});

test('CLI prints the connection values but never the secret, and writes it to a 0600 file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bc-emu-'));
  const file = join(dir, 'creds.json');
  let out = '';
  const ac = new AbortController();
  let ready;
  const done = runEmulatorCli(['--port', '0', '--invoices', '90', '--seed', '3', '--credentials-out', file], {
    stdout: { write: (s) => { out += s; } }, stderr: { write: (s) => { out += s; } }, signal: ac.signal, onReady: (e) => { ready = e; },
  });
  while (!ready) await new Promise((r) => setTimeout(r, 10));
  const creds = JSON.parse(await readFile(file, 'utf8'));
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(creds.clientId, ready.credentials.clientId);
  assert.ok(out.includes(`BC_TENANT_ID=${creds.tenantId}`) && out.includes(`BC_CLIENT_ID=${creds.clientId}`) && out.includes(ready.url));
  assert.ok(!out.includes(creds.clientSecret));
  const r = await requestToken(ready, clientCredentials(creds));
  assert.equal(r.status, 200);
  ac.abort();
  assert.equal(await done, 0);
  await rm(dir, { recursive: true });
  let err = '';
  assert.equal(await runEmulatorCli(['--bogus'], { stdout: { write() {} }, stderr: { write: (s) => { err += s; } } }), 2);
  assert.match(err, /unknown option '--bogus'/);
});
