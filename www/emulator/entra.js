// Microsoft Entra ID's v2.0 endpoints as far as bc-spend uses them: token (client credentials,
// authorization code with PKCE, refresh token), authorize, admin consent. Error bodies follow
// reference 1.4 exactly; codes and statuses follow 1.5. Tokens are opaque random strings mapped
// to an identity and an expiry on this side.

import { randomBytes, randomUUID, createHash } from 'node:crypto';

export const BC_RESOURCE = 'https://api.businesscentral.dynamics.com';
export const BC_DEFAULT_SCOPE = `${BC_RESOURCE}/.default`;
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export const DEMO_TENANT_ID = 'c5f2a8d1-3b7e-4f19-a6c4-8e2d0b9f7a31';
export const DEMO_TENANT_DOMAINS = ['northwindtraders.onmicrosoft.com', 'northwindtraders.com'];
export const DEMO_USER = 'emma.johnson@northwindtraders.com';

// Scenario apps registered in the demo tenant. `roles`: app roles granted by admin consent.
// `bc`: the environment's "Microsoft Entra Applications" card (null = not registered).
export const SCENARIO_APPS = [
  { scenario: 'valid', clientId: '3e8a1f5c-9d2b-4c7e-b1a6-5f0d8c3e2a94', name: 'bc-spend', secretId: 'a4c1e9b2-7d3f-4e8a-9b5c-1f2e3d4c5b6a', roles: ['API.ReadWrite.All', 'Automation.ReadWrite.All'], bc: { state: 'Enabled', permissions: ['D365 READ', 'D365 AUTOMATION'] } },
  { scenario: 'expiredSecret', clientId: '9b4d6e2a-1c8f-4a3b-9e5d-7c2f0a6b8d13', name: 'bc-spend (expired secret)', secretId: 'b5d2fa03-8e4a-4f9b-ac6d-203f4e5d6c7b', secretExpired: true, roles: ['API.ReadWrite.All', 'Automation.ReadWrite.All'], bc: { state: 'Enabled', permissions: ['D365 READ', 'D365 AUTOMATION'] } },
  { scenario: 'noAdminConsent', clientId: '5a1c3e7b-8f2d-4b6a-a9c1-3d5e7f9b1c26', name: 'bc-spend (no admin consent)', secretId: 'c6e30b14-9f5b-4a0c-bd7e-314a5f6e7d8c', consented: false, consentRoles: ['API.ReadWrite.All', 'Automation.ReadWrite.All'], roles: [], bc: { state: 'Enabled', permissions: ['D365 READ', 'D365 AUTOMATION'] } },
  { scenario: 'notRegisteredInBc', clientId: 'e2b7d9f4-6a1c-4e8b-8d3f-1b5a7c9e2d47', name: 'bc-spend (not on BC Entra Applications page)', secretId: 'd7f41c25-a06c-4b1d-8e8f-425b607f8e9d', roles: ['API.ReadWrite.All', 'Automation.ReadWrite.All'], bc: null },
  { scenario: 'disabledInBc', clientId: '1f6b8d3a-5c9e-4a2d-b7f1-9e3c5a7d1b58', name: 'bc-spend (disabled in BC)', secretId: 'e8052d36-b17d-4c2e-9f90-536c718f9a0e', roles: ['API.ReadWrite.All', 'Automation.ReadWrite.All'], bc: { state: 'Disabled', permissions: ['D365 READ', 'D365 AUTOMATION'] } },
  { scenario: 'noPurchasePermission', clientId: '7c9e1a5d-3b8f-4d6c-a2e4-6f8b0d2a4c69', name: 'bc-spend (no purchase permission)', secretId: 'f9163e47-c28e-4d3f-a0a1-647d829fab1f', roles: ['API.ReadWrite.All', 'Automation.ReadWrite.All'], bc: { state: 'Enabled', permissions: ['D365 BASIC', 'D365 AUTOMATION'] } },
  { scenario: 'noAutomationPermission', clientId: 'b3d5f7a9-2e4c-4b1d-8f6a-0c2e4a6b8d7a', name: 'bc-spend (no automation permission)', secretId: '0a274f58-d39f-4e40-b1b2-758e93a0bc20', roles: ['API.ReadWrite.All'], bc: { state: 'Enabled', permissions: ['D365 READ'] } },
];

export class EntraError extends Error {
  constructor(status, error, code, message) { super(message); this.status = status; this.error = error; this.aadsts = code; }
}

function entraTimestamp(ms) { return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'); }

export function entraErrorBody(err, origin, nowMs) {
  const trace = randomUUID(); const corr = randomUUID(); const ts = entraTimestamp(nowMs);
  return {
    error: err.error,
    error_description: `AADSTS${err.aadsts}: ${err.message} Trace ID: ${trace} Correlation ID: ${corr} Timestamp: ${ts}`.replace(/ (Trace ID|Correlation ID|Timestamp): /g, '\r\n$1: '),
    error_codes: [err.aadsts], timestamp: ts, trace_id: trace, correlation_id: corr,
    error_uri: `${origin}/error?code=${err.aadsts}`,
  };
}

const newSecretValue = () => {
  // Entra secret values: 40 characters, the 4th is '~'-separated prefix like "Abc8Q~...".
  const body = randomBytes(30).toString('base64').replace(/[+/=]/g, '').slice(0, 36);
  return `${body.slice(0, 3)}8Q~${body.slice(3)}`.slice(0, 40).padEnd(40, '_');
};
const newToken = (bytes = 48) => randomBytes(bytes).toString('base64url');

export class Directory {
  constructor({ clock, tokenLifetimeSec = 3599, environments = ['production'] }) {
    this.clock = clock;
    this.tokenLifetimeSec = tokenLifetimeSec;
    this.tenant = { id: DEMO_TENANT_ID, domains: DEMO_TENANT_DOMAINS, environments, displayName: 'Northwind Traders' };
    this.apps = new Map();
    for (const def of SCENARIO_APPS) {
      this.apps.set(def.clientId, {
        ...def, consented: def.consented ?? true, roles: [...def.roles],
        secret: { id: def.secretId, value: newSecretValue(), expiresAt: def.secretExpired ? Date.parse('2025-06-30T00:00:00Z') : Date.parse('2027-11-26T00:00:00Z') },
        bc: def.bc ? { ...def.bc, permissions: [...def.bc.permissions] } : null,
      });
    }
    this.accessTokens = new Map();  // token -> { identity, kind, tenantId, clientId, user, roles, scope, exp, revoked }
    this.codes = new Map();         // code -> { clientId, redirectUri, challenge, method, scope, user, exp, redeemed }
    this.refreshTokens = new Map(); // token -> { clientId, user, scope, exp, superseded, revoked }
    this.tokensIssued = 0;
  }

  credentials(scenario = 'valid') {
    const app = [...this.apps.values()].find((a) => a.scenario === scenario);
    if (!app) throw new Error(`no scenario '${scenario}'`);
    return { tenantId: this.tenant.id, clientId: app.clientId, clientSecret: app.secret.value, secretId: app.secret.id };
  }

  // The tenant path segment: GUID, verified domain, or organizations/common (authorize only).
  resolveTenant(segment, { allowMulti = false } = {}) {
    const t = decodeURIComponent(segment).toLowerCase();
    if (allowMulti && (t === 'organizations' || t === 'common')) return this.tenant;
    if (t === this.tenant.id || this.tenant.domains.includes(t)) return this.tenant;
    if (t === 'common' || t === 'organizations' || t === 'consumers') {
      throw new EntraError(400, 'invalid_request', 50059, 'No tenant-identifying information found in either the request or implied by any provided credentials.');
    }
    if (!GUID_RE.test(t) && !DNS_RE.test(t)) {
      throw new EntraError(400, 'invalid_request', 900023, `Specified tenant identifier '${segment}' is neither a valid DNS name, nor a valid external domain.`);
    }
    throw new EntraError(400, 'invalid_request', 90002, `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
  }

  findApp(clientId) {
    if (!clientId) throw new EntraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const app = this.apps.get(String(clientId).toLowerCase());
    if (!app) {
      throw new EntraError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${this.tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    return app;
  }

  checkSecret(app, secret) {
    if (!secret) throw new EntraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (secret === app.secret.value) {
      if (app.secret.expiresAt <= this.clock()) {
        throw new EntraError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);
      }
      return;
    }
    // Same code whether the value is wrong or is the secret's ID (a GUID); the text says which to use.
    throw new EntraError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
  }

  issueAccessToken(fields) {
    const token = newToken();
    const exp = this.clock() + this.tokenLifetimeSec * 1000;
    this.accessTokens.set(token, { ...fields, exp, revoked: false, issuedAt: this.clock() });
    this.tokensIssued++;
    return { token, expiresIn: this.tokenLifetimeSec };
  }

  // POST /{tenant}/oauth2/v2.0/token
  token(tenantSegment, form) {
    const tenant = this.resolveTenant(tenantSegment);
    const grant = form.get('grant_type');
    if (!grant) throw new EntraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (!['client_credentials', 'authorization_code', 'refresh_token'].includes(grant)) {
      throw new EntraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`);
    }
    const app = this.findApp(form.get('client_id'));
    if (grant === 'client_credentials') return this.clientCredentials(tenant, app, form);
    if (grant === 'authorization_code') return this.authorizationCode(tenant, app, form);
    return this.refresh(tenant, app, form);
  }

  checkScope(scope, { delegated }) {
    if (!scope) throw new EntraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const scopes = scope.split(/\s+/).filter(Boolean);
    const oidc = new Set(['openid', 'profile', 'email', 'offline_access']);
    const resourceScopes = scopes.filter((s) => !oidc.has(s));
    if (!delegated) {
      if (scopes.length !== 1 || !scopes[0].endsWith('/.default')) {
        throw new EntraError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      }
    }
    for (const s of resourceScopes) {
      const res = s.slice(0, s.lastIndexOf('/'));
      if (res.toLowerCase() !== BC_RESOURCE) {
        throw new EntraError(400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid. This emulator serves only ${BC_RESOURCE}.`);
      }
      const perm = s.slice(s.lastIndexOf('/') + 1);
      if (!['.default', 'Financials.ReadWrite.All', 'user_impersonation'].includes(perm)) {
        throw new EntraError(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${s} does not exist.`);
      }
    }
    if (resourceScopes.length === 0) throw new EntraError(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`);
    return scopes;
  }

  clientCredentials(tenant, app, form) {
    this.checkScope(form.get('scope'), { delegated: false });
    this.checkSecret(app, form.get('client_secret'));
    // Without admin consent Entra still issues an app-only token, with no roles claim.
    const { token, expiresIn } = this.issueAccessToken({ kind: 'app', identity: `app:${app.clientId}`, tenantId: tenant.id, clientId: app.clientId, roles: app.consented ? [...app.roles] : [], scope: BC_DEFAULT_SCOPE });
    return { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token };
  }

  delegatedResponse(tenant, app, user, scopes) {
    const { token, expiresIn } = this.issueAccessToken({ kind: 'user', identity: `user:${user}`, tenantId: tenant.id, clientId: app.clientId, user, roles: [], scope: 'Financials.ReadWrite.All' });
    const body = {
      token_type: 'Bearer',
      scope: `${BC_RESOURCE}/Financials.ReadWrite.All ${BC_RESOURCE}/user_impersonation`,
      expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token,
    };
    if (scopes.includes('offline_access')) {
      const rt = `0.A${newToken(96)}`;
      this.refreshTokens.set(rt, { clientId: app.clientId, user, scopes, exp: this.clock() + 90 * 86_400_000, superseded: false, revoked: false });
      body.refresh_token = rt;
    }
    if (scopes.includes('openid')) {
      const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(this.clock() / 1000);
      body.id_token = `${part({ typ: 'JWT', alg: 'none' })}.${part({ aud: app.clientId, iss: `https://login.microsoftonline.com/${tenant.id}/v2.0`, iat: now, nbf: now, exp: now + 3600, tid: tenant.id, preferred_username: user, name: 'Emma Johnson', oid: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b' })}.`;
    }
    return body;
  }

  authorizationCode(tenant, app, form) {
    const code = form.get('code');
    if (!code) throw new EntraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'code'.");
    const scopes = this.checkScope(form.get('scope') ?? BC_DEFAULT_SCOPE, { delegated: true });
    this.checkSecret(app, form.get('client_secret'));
    const entry = this.codes.get(code);
    if (!entry || entry.clientId !== app.clientId) throw new EntraError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (entry.redeemed) throw new EntraError(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
    if (entry.exp <= this.clock()) throw new EntraError(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.');
    if (form.get('redirect_uri') !== entry.redirectUri) throw new EntraError(400, 'invalid_grant', 50011, `The redirect URI '${form.get('redirect_uri') ?? ''}' specified in the request does not match the redirect URI used to obtain the authorization code.`);
    if (entry.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      const computed = entry.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || computed !== entry.challenge) throw new EntraError(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
    }
    entry.redeemed = true;
    return this.delegatedResponse(tenant, app, entry.user, [...new Set([...entry.scopes, ...scopes])]);
  }

  refresh(tenant, app, form) {
    const rt = form.get('refresh_token');
    if (!rt) throw new EntraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'refresh_token'.");
    this.checkSecret(app, form.get('client_secret'));
    const entry = this.refreshTokens.get(rt);
    if (!entry || entry.clientId !== app.clientId) throw new EntraError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (entry.revoked) throw new EntraError(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.');
    if (entry.exp <= this.clock()) throw new EntraError(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. The token was issued on a date and was inactive for 90.00:00:00.');
    // Rotation: a new refresh token every time. The old one keeps working (reference 1.3), but
    // is marked so tests can see a client that did not replace its stored token.
    entry.superseded = true;
    entry.uses = (entry.uses ?? 0) + 1;
    const scopes = form.get('scope') ? this.checkScope(form.get('scope'), { delegated: true }) : entry.scopes;
    return this.delegatedResponse(tenant, app, entry.user, [...new Set([...scopes, 'offline_access'])]);
  }

  // GET /{tenant}/oauth2/v2.0/authorize -> { redirect } or { page: EntraError }
  authorize(tenantSegment, q) {
    this.resolveTenant(tenantSegment, { allowMulti: true });
    const app = this.findApp(q.get('client_id'));
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !redirectAllowed(redirectUri)) {
      throw new EntraError(400, 'invalid_request', 50011, `The redirect URI '${redirectUri ?? ''}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`);
    }
    const back = (params) => {
      const u = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) u.searchParams.set(k, v);
      if (q.get('state') !== null) u.searchParams.set('state', q.get('state'));
      return { redirect: u.toString() };
    };
    const errorBack = (error, code, msg) => back({ error, error_description: `AADSTS${code}: ${msg}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${entraTimestamp(this.clock())}`, error_uri: `https://login.microsoftonline.com/error?code=${code}` });
    if (q.get('response_type') !== 'code') return errorBack('unsupported_response_type', 700054, `response_type '${q.get('response_type') ?? ''}' is not enabled for the application.`);
    let scopes;
    try { scopes = this.checkScope(q.get('scope'), { delegated: true }); } catch (e) { return errorBack(e.error, e.aadsts, e.message); }
    const method = q.get('code_challenge_method') ?? (q.get('code_challenge') ? 'plain' : null);
    if (method && method !== 'S256' && method !== 'plain') return errorBack('invalid_request', 501491, `Invalid code_challenge_method '${method}'.`);
    if (!app.consented) {
      return errorBack('consent_required', 65001, `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.name}'. Send an interactive authorization request for this user and resource.`);
    }
    const code = `1.A${newToken(120)}`;
    this.codes.set(code, { clientId: app.clientId, redirectUri, challenge: q.get('code_challenge'), method, scopes, user: DEMO_USER, exp: this.clock() + 10 * 60_000, redeemed: false });
    return back({ code, session_state: randomUUID() });
  }

  // GET /{tenant}/v2.0/adminconsent and /{tenant}/adminconsent: the admin grants the app's roles.
  adminConsent(tenantSegment, q, { v2 }) {
    const tenant = this.resolveTenant(tenantSegment, { allowMulti: true });
    const app = this.findApp(q.get('client_id'));
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !redirectAllowed(redirectUri)) {
      throw new EntraError(400, 'invalid_request', 50011, `The redirect URI '${redirectUri ?? ''}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'.`);
    }
    app.consented = true;
    if (app.roles.length === 0 && app.consentRoles) app.roles = [...app.consentRoles];
    const u = new URL(redirectUri);
    u.searchParams.set('admin_consent', 'True');
    u.searchParams.set('tenant', tenant.id);
    if (v2) u.searchParams.set('scope', q.get('scope') ?? BC_DEFAULT_SCOPE);
    if (q.get('state') !== null) u.searchParams.set('state', q.get('state'));
    return { redirect: u.toString() };
  }

  // Access-token check used by the BC side. Returns the token record or null.
  lookup(token) {
    const t = this.accessTokens.get(token);
    if (!t || t.revoked || t.exp <= this.clock()) return null;
    return t;
  }

  revokeAccessTokens(identity) {
    let n = 0;
    for (const t of this.accessTokens.values()) if (!t.revoked && (!identity || t.identity === identity)) { t.revoked = true; n++; }
    return n;
  }

  revokeRefreshTokens() { for (const t of this.refreshTokens.values()) t.revoked = true; }
}

// Registered redirect URIs of the demo apps: BC's OAuth landing page, and loopback on any port
// (Entra ignores the port for http://localhost redirects).
function redirectAllowed(uri) {
  let u; try { u = new URL(uri); } catch { return false; }
  if (uri === 'https://businesscentral.dynamics.com/OAuthLanding.htm') return true;
  return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
}
