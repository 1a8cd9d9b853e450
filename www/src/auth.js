// Sign-in to Business Central through Microsoft Entra (reference section 1).
//
// Three ways to get a token, all returning a credential with the shape of @azure/identity's
// TokenCredential (`getToken(scopes, { abortSignal }) -> { token, expiresOnTimestamp }`) plus
// `invalidate(token)`, which the BC client calls when BC rejects a token as expired:
//   - createClientCredentials: service-to-service with a client secret;
//   - createRefreshTokenCredential: the authorization-code flow's refresh token, rotated on use;
//   - fromTokenCredential: any caller-supplied getToken (e.g. @azure/identity).
// Tokens are cached until shortly before expiry and fetched single-flight: concurrent callers of
// one credential share one token request (hammering the endpoint gets AADSTS50196/90055).
//
// Secrets (client secret, refresh token, access token) travel only in request bodies and return
// values; errors are built from Entra's error fields and then scrubbed of them. Each credential
// keeps its secrets, and every access token it hands out, in a secret registry (`secrets`,
// errors.js) that the BC client shares, so an error either of them builds is scrubbed of all.
//
// Plain ESM: fetch, URL, URLSearchParams, crypto.subtle, crypto.getRandomValues, TextEncoder,
// btoa, setTimeout. Runs in Node 20+, browsers and workerd.

import { BcSpendError, bcSpendError, abortedError, configError, createSecretRegistry, looksLikeSecretId, parseEntraError, redactSecrets } from './errors.js';
import { defaultSleep } from './limiter.js';

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const BC_SCOPE = 'https://api.businesscentral.dynamics.com/.default';
/** Delegated scopes: `.default` covers Financials.ReadWrite.All; offline_access yields a refresh token. */
export const BC_DELEGATED_SCOPES = `${BC_SCOPE} offline_access`;

const TOKEN_TIMEOUT_MS = 30000;
const MAX_REFRESH_MARGIN_MS = 5 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Hosts

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Validate a host URL: https, or http on loopback only (the emulator). Returns it without a trailing slash. */
export function checkHost(value, name) {
  let url;
  try { url = new URL(value); } catch { throw configError(`${name} is not a valid URL: ${JSON.stringify(String(value))}.`, { option: name }); }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw configError(`${name} must use https (plain http is allowed only for localhost / 127.0.0.1): ${url.origin}.`, { option: name });
  }
  return String(value).replace(/\/+$/, '');
}

function requireString(value, name) {
  if (typeof value !== 'string' || value.trim() === '') throw configError(`${name} is required.`, { option: name });
  return value.trim();
}

// ---------------------------------------------------------------------------------------------
// Token endpoint

function parseRetryAfterMs(value, nowMs) {
  if (value == null || value === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

function linkSignals(signals) {
  const controller = new AbortController();
  const cleanups = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) { controller.abort(s.reason); break; }
    const on = () => controller.abort(s.reason);
    s.addEventListener('abort', on, { once: true });
    cleanups.push(() => s.removeEventListener('abort', on));
  }
  return { signal: controller.signal, controller, dispose: () => { for (const f of cleanups) f(); } };
}

/**
 * POST a grant to `{authorityHost}/{tenant}/oauth2/v2.0/token`; retry throttling, 5xx and network
 * failures a few times. Resolves to Entra's JSON; rejects with a mapped BcSpendError.
 */
async function requestToken({ authorityHost, tenantId, params, fetch, signal, sleep, now, random, secrets, secretLooksLikeId, clientId, maxRetries = 3, timeoutMs = TOKEN_TIMEOUT_MS }) {
  // Whatever the caller registered, the grant's own secret fields are never echoed back.
  for (const [k, v] of Object.entries(params)) if (!['grant_type', 'client_id', 'scope', 'redirect_uri'].includes(k)) secrets.addToken(v);
  const url = `${authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
  const body = new URLSearchParams(params).toString();
  const ctx = { tenantId, clientId, secretLooksLikeId };
  let lastError;
  for (let attempt = 0; attempt <= maxRetries; attempt += 1) {
    if (signal?.aborted) throw abortedError();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const linked = linkSignals([signal, timeout.signal]);
    let status;
    let text;
    let retryAfterMs;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
        // A redirect of a POST could carry the secret elsewhere; never follow one.
        redirect: 'manual',
        signal: linked.signal,
      });
      status = res.status;
      retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'), now());
      text = await res.text();
    } catch (err) {
      clearTimeout(timer);
      linked.dispose();
      if (signal?.aborted) throw abortedError();
      lastError = bcSpendError('AUTH_NETWORK', {
        details: { tenantId, clientId, authorityHost, reason: timeout.signal.aborted ? 'timeout' : String(err?.cause?.code ?? err?.name ?? 'network'), attempts: attempt + 1 },
      });
      if (attempt < maxRetries) { await sleep(backoff(attempt, random), signal); continue; }
      throw redactSecrets(lastError, secrets);
    }
    clearTimeout(timer);
    linked.dispose();

    if (status >= 200 && status < 300) {
      let json;
      try { json = JSON.parse(text); } catch { json = undefined; }
      if (!json || typeof json.access_token !== 'string' || json.access_token === '') {
        throw redactSecrets(new BcSpendError('AUTH_FAILED', `Sign-in failed: the token endpoint at ${authorityHost} returned HTTP ${status} without an access token. Check the authority host.`, { status, details: { tenantId, clientId } }), secrets);
      }
      secrets.addToken(json.access_token);
      secrets.addToken(json.refresh_token);
      secrets.addToken(json.id_token);
      return json;
    }
    if (status >= 300 && status < 400 || status === 0) {
      throw new BcSpendError('AUTH_FAILED', `Sign-in failed: the token endpoint at ${authorityHost} answered with a redirect (HTTP ${status}). Check the authority host.`, { status, details: { tenantId, clientId } });
    }
    const err = parseEntraError(status, text, ctx);
    if (err.details.retryable && attempt < maxRetries) {
      lastError = err;
      await sleep(retryAfterMs ?? backoff(attempt, random), signal);
      continue;
    }
    throw redactSecrets(err, secrets);
  }
  throw redactSecrets(lastError, secrets);
}

function backoff(attempt, random) {
  return Math.floor(random() * Math.min(30000, 500 * 2 ** attempt));
}

function expiresInMs(json) {
  const s = Number(json.expires_in);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 3600 * 1000;
}

// ---------------------------------------------------------------------------------------------
// Cache + single flight

/**
 * Wrap `fetchToken(signal) -> { token, expiresOnTimestamp }` with caching and single-flight.
 * The token is reused until `min(5 min, 10% of its lifetime)` before it expires.
 */
export function createTokenCache(fetchToken, { now = () => Date.now(), onEvent } = {}) {
  let cached = null; // { token, expiresOnTimestamp, refreshAt }
  let inflight = null;

  function start() {
    const issuedAt = now();
    const p = (async () => {
      const result = await fetchToken();
      const lifetime = Math.max(0, result.expiresOnTimestamp - issuedAt);
      const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetime * 0.1);
      cached = { token: result.token, expiresOnTimestamp: result.expiresOnTimestamp, refreshAt: result.expiresOnTimestamp - margin };
      return { token: result.token, expiresOnTimestamp: result.expiresOnTimestamp, tokenType: 'Bearer' };
    })();
    inflight = p;
    p.then(() => { if (inflight === p) inflight = null; }, () => { if (inflight === p) inflight = null; });
    return p;
  }

  return {
    getToken(_scopes, { abortSignal } = {}) {
      if (abortSignal?.aborted) return Promise.reject(abortedError());
      if (cached && now() < cached.refreshAt) {
        return Promise.resolve({ token: cached.token, expiresOnTimestamp: cached.expiresOnTimestamp, tokenType: 'Bearer' });
      }
      const shared = inflight ?? start();
      if (!abortSignal) return shared;
      // One caller giving up must not cancel the request the others wait for.
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(abortedError());
        abortSignal.addEventListener('abort', onAbort, { once: true });
        shared.then(
          (v) => { abortSignal.removeEventListener('abort', onAbort); resolve(v); },
          (e) => { abortSignal.removeEventListener('abort', onAbort); reject(e); },
        );
      });
    },
    /** Forget `token` (or whatever is cached when no token is given) so the next getToken fetches anew. */
    invalidate(token) {
      if (cached && (token === undefined || cached.token === token)) {
        cached = null;
        onEvent?.({ type: 'tokenInvalidated' });
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Client credentials

/**
 * Service-to-service credential with a client secret (reference 1.1, 1.2).
 * @returns {{ getToken(scopes?: string|string[], options?: { abortSignal?: AbortSignal }): Promise<{token: string, expiresOnTimestamp: number}>, invalidate(token?: string): void, identityKey: string }}
 */
export function createClientCredentials({
  tenantId,
  clientId,
  clientSecret,
  authorityHost = DEFAULT_AUTHORITY_HOST,
  fetch = globalThis.fetch,
  scope = BC_SCOPE,
  now = () => Date.now(),
  sleep = defaultSleep,
  random = Math.random,
  maxRetries = 3,
  timeoutMs = TOKEN_TIMEOUT_MS,
} = {}) {
  tenantId = requireString(tenantId, 'tenantId');
  clientId = requireString(clientId, 'clientId');
  authorityHost = checkHost(authorityHost, 'authorityHost');
  if (['common', 'organizations', 'consumers'].includes(tenantId.toLowerCase())) {
    // Client credentials need the customer's own tenant (Entra would answer AADSTS90019/50059).
    throw bcSpendError('AUTH_TENANT_INVALID', { details: { tenantId, clientId } }, `'${tenantId}' cannot be used for an app's own sign-in.`);
  }
  if (typeof clientSecret !== 'string' || clientSecret.trim() === '') {
    // Fail before any request: Entra would answer AADSTS7000218.
    throw bcSpendError('AUTH_NO_SECRET', { details: { tenantId, clientId } });
  }
  const secret = clientSecret;
  const secretLooksLikeId = looksLikeSecretId(secret);
  const secrets = createSecretRegistry([secret]);

  const cache = createTokenCache(async () => {
    const json = await requestToken({
      authorityHost, tenantId, clientId, fetch, sleep, now, random, maxRetries, timeoutMs,
      params: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope },
      secrets, secretLooksLikeId,
    });
    return { token: json.access_token, expiresOnTimestamp: now() + expiresInMs(json) };
  }, { now });

  return withSecrets({
    __bcSpendCredential: true,
    identityKey: `${authorityHost}|${tenantId}|${clientId}`,
    tenantId,
    clientId,
    getToken: redacting(cache.getToken, secrets),
    invalidate: cache.invalidate,
  }, secrets);
}

/** Attaches the registry as `secrets`, kept out of enumeration so a logged credential shows no count of it either. */
function withSecrets(credential, secrets) {
  Object.defineProperty(credential, 'secrets', { value: secrets, enumerable: false });
  return credential;
}

/** getToken whose failures are scrubbed of the credential's secrets, whatever threw them. */
function redacting(getToken, secrets) {
  return (scopes, options) => getToken(scopes, options).catch((err) => { throw secrets.redactError(err); });
}

// ---------------------------------------------------------------------------------------------
// Authorization code flow (delegated) with PKCE, admin consent and refresh tokens

function base64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** RFC 7636 S256 challenge of a code verifier. */
export async function pkceChallenge(codeVerifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier));
  return base64url(new Uint8Array(digest));
}

/** A fresh PKCE pair: a 43-character verifier (32 random bytes) and its S256 challenge. */
export async function createPkcePair() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const codeVerifier = base64url(bytes);
  return { codeVerifier, codeChallenge: await pkceChallenge(codeVerifier), codeChallengeMethod: 'S256' };
}

/** A random `state` value for the authorize and admin consent requests. */
export function createState() {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

function scopeString(scopes) {
  return Array.isArray(scopes) ? scopes.join(' ') : scopes;
}

/** `GET {authority}/{tenant}/oauth2/v2.0/authorize?...` for the authorization-code flow (reference 1.1). */
export function buildAuthorizeUrl({
  tenantId = 'organizations',
  clientId,
  redirectUri,
  state,
  codeChallenge,
  scopes = BC_DELEGATED_SCOPES,
  prompt,
  loginHint,
  responseMode = 'query',
  authorityHost = DEFAULT_AUTHORITY_HOST,
} = {}) {
  authorityHost = checkHost(authorityHost, 'authorityHost');
  const params = new URLSearchParams({
    client_id: requireString(clientId, 'clientId'),
    response_type: 'code',
    redirect_uri: requireString(redirectUri, 'redirectUri'),
    response_mode: responseMode,
    scope: scopeString(scopes),
    state: requireString(state, 'state'),
  });
  if (codeChallenge) {
    params.set('code_challenge', codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  if (prompt) {
    if (!['login', 'none', 'consent', 'select_account'].includes(prompt)) throw configError(`prompt must be login, none, consent or select_account, not ${JSON.stringify(prompt)}.`, { option: 'prompt' });
    params.set('prompt', prompt);
  }
  if (loginHint) params.set('login_hint', loginHint);
  return `${authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize?${params}`;
}

/** `GET {authority}/{tenant}/v2.0/adminconsent?...` (reference 1.1). `common` is refused, as Entra advises. */
export function buildAdminConsentUrl({
  tenantId = 'organizations',
  clientId,
  redirectUri,
  state,
  scope = BC_SCOPE,
  authorityHost = DEFAULT_AUTHORITY_HOST,
} = {}) {
  authorityHost = checkHost(authorityHost, 'authorityHost');
  if (String(tenantId).toLowerCase() === 'common') {
    throw bcSpendError('AUTH_TENANT_INVALID', { details: { tenantId } }, "Admin consent cannot use the 'common' tenant; use the tenant ID or 'organizations'.");
  }
  const params = new URLSearchParams({
    client_id: requireString(clientId, 'clientId'),
    scope: scopeString(scope),
    redirect_uri: requireString(redirectUri, 'redirectUri'),
    state: requireString(state, 'state'),
  });
  return `${authorityHost}/${encodeURIComponent(tenantId)}/v2.0/adminconsent?${params}`;
}

/**
 * Read the redirect back from the authorize or admin consent endpoint. Returns `{ code }` or
 * `{ adminConsent: true, tenant, scope }`; throws a mapped error for `error=` redirects and
 * AUTH_STATE_MISMATCH when `state` differs. (Do not trust `tenant` for authorization: 1.1.)
 */
export function parseAuthorizeRedirect(urlOrParams, { expectedState } = {}) {
  const params = urlOrParams instanceof URLSearchParams
    ? urlOrParams
    : new URL(String(urlOrParams), 'http://localhost/').searchParams;
  const state = params.get('state');
  if (expectedState !== undefined && state !== expectedState) {
    throw bcSpendError('AUTH_STATE_MISMATCH');
  }
  const error = params.get('error');
  if (error) {
    return throwEntra(400, { error, error_description: params.get('error_description') ?? undefined });
  }
  if (params.has('admin_consent')) {
    return { adminConsent: /^true$/i.test(params.get('admin_consent')), tenant: params.get('tenant'), scope: params.get('scope'), state };
  }
  const code = params.get('code');
  if (!code) throw new BcSpendError('AUTH_FAILED', 'Sign-in failed: the redirect carries neither a code nor an error. Start the sign-in again.');
  return { code, state };
}

function throwEntra(status, body) {
  throw parseEntraError(status, body);
}

function tokenSetFrom(json, now) {
  return {
    accessToken: json.access_token,
    expiresOnTimestamp: now() + expiresInMs(json),
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
    scope: json.scope,
    idToken: typeof json.id_token === 'string' ? json.id_token : undefined,
    tokenType: json.token_type ?? 'Bearer',
  };
}

/**
 * Redeem an authorization code (with its PKCE verifier). Returns
 * `{ accessToken, expiresOnTimestamp, refreshToken, scope, idToken, tokenType }`; pass
 * `refreshToken` (and optionally the access token) to createRefreshTokenCredential.
 */
export async function exchangeAuthorizationCode({
  tenantId = 'organizations',
  clientId,
  clientSecret,
  code,
  codeVerifier,
  redirectUri,
  scopes = BC_DELEGATED_SCOPES,
  authorityHost = DEFAULT_AUTHORITY_HOST,
  fetch = globalThis.fetch,
  now = () => Date.now(),
  sleep = defaultSleep,
  random = Math.random,
  abortSignal,
} = {}) {
  authorityHost = checkHost(authorityHost, 'authorityHost');
  clientId = requireString(clientId, 'clientId');
  const params = {
    grant_type: 'authorization_code',
    client_id: clientId,
    code: requireString(code, 'code'),
    redirect_uri: requireString(redirectUri, 'redirectUri'),
    scope: scopeString(scopes),
  };
  if (codeVerifier) params.code_verifier = codeVerifier;
  if (clientSecret) params.client_secret = clientSecret;
  const json = await requestToken({
    authorityHost, tenantId, clientId, fetch, sleep, now, random, signal: abortSignal,
    params, secrets: createSecretRegistry([clientSecret, code, codeVerifier].filter(Boolean)), secretLooksLikeId: looksLikeSecretId(clientSecret),
    // A code is single-use: a retried POST after a lost response would fail with AADSTS54005.
    maxRetries: 0,
  });
  return tokenSetFrom(json, now);
}

/**
 * Delegated credential from a refresh token. Every refresh uses the latest refresh token and, when
 * Entra returns a new one, calls `await onRefreshToken(newToken)` so the caller persists it (1.3).
 * Refreshes are single-flight, so a refresh token is never redeemed twice concurrently.
 */
export function createRefreshTokenCredential({
  tenantId = 'organizations',
  clientId,
  clientSecret,
  refreshToken,
  onRefreshToken,
  accessToken,
  expiresOnTimestamp,
  scopes = BC_DELEGATED_SCOPES,
  authorityHost = DEFAULT_AUTHORITY_HOST,
  fetch = globalThis.fetch,
  now = () => Date.now(),
  sleep = defaultSleep,
  random = Math.random,
} = {}) {
  authorityHost = checkHost(authorityHost, 'authorityHost');
  clientId = requireString(clientId, 'clientId');
  let current = requireString(refreshToken, 'refreshToken');
  let seed = accessToken && expiresOnTimestamp ? { token: accessToken, expiresOnTimestamp } : null;
  const secrets = createSecretRegistry([clientSecret, current].filter(Boolean));
  if (accessToken) secrets.addToken(accessToken);

  const cache = createTokenCache(async () => {
    if (seed) { const s = seed; seed = null; return s; }
    const used = current;
    const params = { grant_type: 'refresh_token', client_id: clientId, refresh_token: used, scope: scopeString(scopes) };
    if (clientSecret) params.client_secret = clientSecret;
    const json = await requestToken({
      authorityHost, tenantId, clientId, fetch, sleep, now, random, params,
      secrets, secretLooksLikeId: looksLikeSecretId(clientSecret),
    });
    if (typeof json.refresh_token === 'string' && json.refresh_token !== '' && json.refresh_token !== used) {
      current = json.refresh_token;
      if (onRefreshToken) await onRefreshToken(json.refresh_token);
    }
    return { token: json.access_token, expiresOnTimestamp: now() + expiresInMs(json) };
  }, { now });

  return withSecrets({
    __bcSpendCredential: true,
    identityKey: `${authorityHost}|${tenantId}|${clientId}|delegated`,
    tenantId,
    clientId,
    getToken: redacting(cache.getToken, secrets),
    invalidate(token) { seed = null; cache.invalidate(token); },
    /** The refresh token to persist (the latest one). */
    get refreshToken() { return current; },
  }, secrets);
}

// ---------------------------------------------------------------------------------------------
// Caller-supplied credentials

/**
 * Adapt any `{ getToken(scopes, options) }` (an @azure/identity TokenCredential, say) or a bare
 * `async (scopes, options) => token | { token, expiresOnTimestamp }` function. The wrapped
 * credential asks for the BC scope; `invalidate` is a no-op because such credentials cache on
 * their own (the BC client's retry after 401 then surfaces the mapped BC error).
 */
export function fromTokenCredential(credential, { scope = BC_SCOPE, identityKey } = {}) {
  if (credential?.__bcSpendCredential) return credential;
  const getTokenFn = typeof credential === 'function'
    ? credential
    : credential && typeof credential.getToken === 'function'
      ? credential.getToken.bind(credential)
      : null;
  if (!getTokenFn) throw configError('credential must be an object with getToken(scopes) (a TokenCredential) or a function returning a token.', { option: 'credential' });
  const secrets = credential.secrets && typeof credential.secrets.redactText === 'function' ? credential.secrets : createSecretRegistry();

  return withSecrets({
    __bcSpendCredential: true,
    identityKey: identityKey ?? credential.identityKey,
    async getToken(_scopes, { abortSignal } = {}) {
      if (abortSignal?.aborted) throw abortedError();
      let result;
      try {
        result = await getTokenFn(scope, abortSignal ? { abortSignal } : {});
      } catch (err) {
        if (err instanceof BcSpendError) throw secrets.redactError(err);
        if (abortSignal?.aborted || err?.name === 'AbortError') throw abortedError();
        throw secrets.redactError(mapForeignAuthError(err, secrets));
      }
      if (typeof result === 'string') result = { token: result };
      if (!result || typeof result.token !== 'string' || result.token === '') {
        throw new BcSpendError('AUTH_FAILED', 'Sign-in failed: the supplied credential returned no token. Check the credential passed as `credential`.');
      }
      secrets.addToken(result.token);
      return { token: result.token, expiresOnTimestamp: result.expiresOnTimestamp ?? Date.now() + 60_000, tokenType: 'Bearer' };
    },
    invalidate(token) { credential.invalidate?.(token); },
  }, secrets);
}

/** @azure/identity's AuthenticationError carries Entra's fields in `errorResponse`; map those. */
function mapForeignAuthError(err, secrets) {
  const r = err?.errorResponse;
  if (r && typeof r === 'object' && (r.error || r.errorCodes || r.error_codes)) {
    return parseEntraError(err.statusCode ?? 400, {
      error: r.error,
      error_description: r.errorDescription ?? r.error_description,
      error_codes: r.errorCodes ?? r.error_codes,
      trace_id: r.traceId ?? r.trace_id,
      correlation_id: r.correlationId ?? r.correlation_id,
    });
  }
  const text = secrets.redactText(String(err?.message ?? err)).slice(0, 300);
  const aadsts = /AADSTS(\d+)/.exec(text);
  if (aadsts) return parseEntraError(err?.statusCode ?? 400, { error_codes: [Number(aadsts[1])], error_description: text });
  return new BcSpendError('AUTH_FAILED', `Sign-in failed: the supplied credential threw ${err?.name ?? 'an error'}: ${text}`, { details: { causeName: err?.name } });
}

/** Normalize whatever the caller passed as `credential` into our credential shape. */
export function toCredential(credential) {
  return credential?.__bcSpendCredential ? credential : fromTokenCredential(credential);
}
