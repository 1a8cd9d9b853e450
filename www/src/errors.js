// Typed errors for sign-in and the Business Central client.
//
// Every failure a user can cause becomes a BcSpendError with a stable `code` and a message that
// says what to do. Entra's token-endpoint errors are mapped by AADSTS number first (the `error`
// string for a given number is not stable, reference 1.4), then by `error`. BC's errors are mapped
// by HTTP status and the `error.code` of its `{ "error": { "code", "message" } }` body (2.2, 2.3).
//
// No secret, access token, refresh token or Authorization header may reach a message, `details`,
// `hint` or `cause`. The mappers below only copy fields that Entra and BC put in their error
// bodies, but those bodies can echo the request; so every BcSpendError is scrubbed of anything
// shaped like a credential when it is built, and the credential and the BC client, which hold
// the actual secrets, scrub it of those (see Redaction below) before it is thrown.
//
// Plain ESM, no platform imports: runs in Node, browsers and workerd.

export class BcSpendError extends Error {
  constructor(code, message, { status, cause, hint, details } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BcSpendError';
    this.code = code;
    if (status !== undefined) this.status = status;
    if (hint !== undefined) this.hint = hint;
    this.details = details ?? {};
    // Many of these are built from a server's body, which may echo the request: whatever is
    // shaped like a credential goes before the error exists. The registered secrets themselves
    // are removed by the credential and the client that hold them (createSecretRegistry).
    redactSecrets(this);
  }

  toJSON() {
    return { name: this.name, code: this.code, message: this.message, status: this.status, hint: this.hint, details: this.details };
  }
}

const ENTRA_SECRET_PAGE = 'Microsoft Entra admin center > App registrations > (your app) > Certificates & secrets';
const BC_APPS_PAGE = "Business Central's Microsoft Entra Applications page";

/** Default message per code; mappers may prepend specifics. Exported so the CLI and docs can list them (CODES.md has a row for each; test/codes.test.js checks it). */
export const ERROR_MESSAGES = Object.freeze({
  // Sign-in (Microsoft Entra)
  AUTH_SECRET_EXPIRED:
    `The client secret has expired. Create a new client secret in Microsoft Entra (App registrations > Certificates & secrets) and reconnect.`,
  AUTH_SECRET_ID_NOT_VALUE:
    `The client secret looks like a GUID, which is the secret's ID, not its value. In ${ENTRA_SECRET_PAGE}, copy the secret's Value column (shown only when the secret is created; if it is hidden, create a new secret) and reconnect.`,
  AUTH_INVALID_SECRET:
    `The client secret was rejected. Use the secret's Value (not its Secret ID) from ${ENTRA_SECRET_PAGE}, check that it belongs to this client ID, and reconnect.`,
  AUTH_NO_SECRET:
    `No client secret was given. Set the client secret (BC_CLIENT_SECRET or the credentials file) to the Value of a secret from ${ENTRA_SECRET_PAGE}.`,
  AUTH_TENANT_NOT_FOUND:
    'The tenant was not found. Check the tenant ID (a GUID or a domain such as contoso.onmicrosoft.com) in Microsoft Entra > Overview.',
  AUTH_TENANT_INVALID:
    "The tenant ID is missing or malformed. Give the directory (tenant) ID GUID or the tenant's domain name, not 'common'.",
  AUTH_APP_NOT_FOUND:
    "The application (client) ID was not found in this tenant. Check the client ID and the tenant ID; for an app registered in another tenant, an admin of this tenant must grant consent first.",
  AUTH_CONSENT_MISSING:
    'Admin consent is missing. A Microsoft Entra administrator must grant consent for the app (App registrations > API permissions > Grant admin consent, or the admin consent link).',
  AUTH_CONSENT_DECLINED: 'Consent was declined. Sign in again and accept the requested permissions, or ask an administrator to grant admin consent.',
  AUTH_APP_DISABLED: 'The Microsoft Entra application is disabled. An administrator must enable it (Enterprise applications > Properties > Enabled for users to sign in).',
  AUTH_SIGNIN_EXPIRED: 'The sign-in has expired or was revoked. Sign in again to reconnect.',
  AUTH_CODE_REDEEMED: 'The authorization code was already used or has expired. Start the sign-in again.',
  AUTH_MFA_REQUIRED: 'Multi-factor authentication is required. Sign in again interactively.',
  AUTH_CONDITIONAL_ACCESS: "Sign-in was blocked by your organization's Conditional Access policy or security defaults. Ask an administrator to allow this app.",
  AUTH_USER_REJECTED: 'The user account was rejected (wrong credentials, not found, or disabled). Sign in with an account of this tenant.',
  AUTH_BC_NOT_AVAILABLE:
    "Business Central isn't available in this tenant, or the Dynamics 365 Business Central API permission is missing from the app registration. Add it under App registrations > API permissions and grant admin consent.",
  AUTH_INVALID_SCOPE: 'The token request used an invalid scope (internal error). The scope must be https://api.businesscentral.dynamics.com/.default.',
  AUTH_THROTTLED: 'Microsoft Entra is throttling token requests. Wait a few minutes and retry.',
  AUTH_UNAVAILABLE: 'The Microsoft Entra token endpoint is temporarily unavailable. Retry in a few minutes.',
  AUTH_NETWORK: 'Could not reach the Microsoft Entra token endpoint. Check the network connection and the authority host.',
  AUTH_STATE_MISMATCH: 'The sign-in response did not match the request (state mismatch). Start the sign-in again.',
  AUTH_FAILED: 'Sign-in failed.',
  // Business Central
  BC_APP_NOT_ENABLED:
    `Business Central rejected the app's token. The app is not registered or not enabled on ${BC_APPS_PAGE}: add the client ID there, set State to Enabled, assign permission sets (e.g. D365 BASIC ISV / D365 AUTOMATION) and grant consent.`,
  BC_PERMISSION_MISSING: 'The app lacks a Business Central permission.',
  BC_ENVIRONMENT_NOT_FOUND:
    'The Business Central environment was not found. Check the environment name (for example "Production") and that it belongs to this tenant.',
  BC_COMPANY_NOT_FOUND: 'The company was not found in this Business Central environment. List the companies and use one of their IDs.',
  BC_NOT_FOUND: 'Business Central has no such resource.',
  BC_BAD_REQUEST: 'Business Central rejected the request.',
  BC_RESPONSE_TOO_LARGE: 'The response is too large for Business Central. Ask for smaller pages or a narrower query.',
  BC_THROTTLED: 'Business Central kept throttling the requests (429) after all retries. Wait a few minutes and retry, or lower the concurrency.',
  BC_UNAVAILABLE: 'Business Central is unavailable (5xx) after all retries. Retry later.',
  BC_TIMEOUT: 'Business Central timed out on this request. Narrow the query (for example a shorter date window) and retry.',
  BC_NETWORK: 'Could not reach Business Central after all retries. Check the network connection and the API host.',
  BC_OFF_ORIGIN_NEXT_LINK: "Refused a link that points outside the Business Central API origin; the bearer token is only ever sent to the API's origin.",
  BC_OFF_ORIGIN_REDIRECT: "Refused a redirect that points outside the Business Central API origin; the bearer token is only ever sent to the API's origin.",
  BC_INVALID_RESPONSE: 'Business Central returned a response that is not valid JSON.',
  ABORTED: 'The operation was cancelled.',
  CONFIG_INVALID: 'Invalid configuration.',
});

export function bcSpendError(code, extra = {}, specific) {
  const base = ERROR_MESSAGES[code] ?? code;
  return new BcSpendError(code, specific ? `${specific} ${base}` : base, extra);
}

export function abortedError(reason) {
  const details = {};
  if (typeof reason === 'string') details.reason = reason;
  return new BcSpendError('ABORTED', ERROR_MESSAGES.ABORTED, { details });
}

export function configError(message, details) {
  return new BcSpendError('CONFIG_INVALID', message, { details });
}

// ---------------------------------------------------------------------------------------------
// Entra

const ENTRA_CODE_MAP = new Map([
  [7000222, 'AUTH_SECRET_EXPIRED'],
  [7000215, 'AUTH_INVALID_SECRET'],
  [70002, 'AUTH_INVALID_SECRET'],
  [7000218, 'AUTH_NO_SECRET'],
  [700016, 'AUTH_APP_NOT_FOUND'],
  [90002, 'AUTH_TENANT_NOT_FOUND'],
  [900023, 'AUTH_TENANT_INVALID'],
  [90019, 'AUTH_TENANT_INVALID'],
  [50059, 'AUTH_TENANT_INVALID'],
  [50194, 'AUTH_TENANT_INVALID'],
  [65001, 'AUTH_CONSENT_MISSING'],
  [90094, 'AUTH_CONSENT_MISSING'],
  [90095, 'AUTH_CONSENT_MISSING'],
  [65004, 'AUTH_CONSENT_DECLINED'],
  [650052, 'AUTH_BC_NOT_AVAILABLE'],
  [650057, 'AUTH_BC_NOT_AVAILABLE'],
  [500011, 'AUTH_BC_NOT_AVAILABLE'],
  [70011, 'AUTH_INVALID_SCOPE'],
  [70008, 'AUTH_SIGNIN_EXPIRED'],
  [700082, 'AUTH_SIGNIN_EXPIRED'],
  [50173, 'AUTH_SIGNIN_EXPIRED'],
  [54005, 'AUTH_CODE_REDEEMED'],
  [50076, 'AUTH_MFA_REQUIRED'],
  [50079, 'AUTH_MFA_REQUIRED'],
  [50074, 'AUTH_MFA_REQUIRED'],
  [53003, 'AUTH_CONDITIONAL_ACCESS'],
  [530032, 'AUTH_CONDITIONAL_ACCESS'],
  [530035, 'AUTH_CONDITIONAL_ACCESS'],
  [7000112, 'AUTH_APP_DISABLED'],
  [70001, 'AUTH_APP_DISABLED'],
  [50126, 'AUTH_USER_REJECTED'],
  [50034, 'AUTH_USER_REJECTED'],
  [50057, 'AUTH_USER_REJECTED'],
  [90055, 'AUTH_THROTTLED'],
  [50196, 'AUTH_THROTTLED'],
]);

const ENTRA_ERROR_MAP = new Map([
  ['invalid_client', 'AUTH_INVALID_SECRET'],
  ['invalid_tenant', 'AUTH_TENANT_NOT_FOUND'],
  ['consent_required', 'AUTH_CONSENT_MISSING'],
  ['access_denied', 'AUTH_CONSENT_DECLINED'],
  ['invalid_grant', 'AUTH_SIGNIN_EXPIRED'],
  ['login_required', 'AUTH_SIGNIN_EXPIRED'],
  ['interaction_required', 'AUTH_SIGNIN_EXPIRED'],
  ['invalid_scope', 'AUTH_INVALID_SCOPE'],
  ['invalid_resource', 'AUTH_BC_NOT_AVAILABLE'],
  ['temporarily_unavailable', 'AUTH_UNAVAILABLE'],
  ['server_error', 'AUTH_UNAVAILABLE'],
  ['slow_down', 'AUTH_THROTTLED'],
]);

const GUID_RE = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/** True when a "client secret" has the shape of a secret ID (a GUID) rather than a secret value. */
export function looksLikeSecretId(secret) {
  return typeof secret === 'string' && GUID_RE.test(secret.trim());
}

function firstLine(text) {
  if (typeof text !== 'string') return undefined;
  const line = text.split(/\r?\n/)[0].trim();
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

function aadstsFromDescription(description) {
  const m = typeof description === 'string' ? /AADSTS(\d+)/.exec(description) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Map a token-endpoint (or authorize-redirect) error to a BcSpendError.
 * `body` is the parsed JSON (or text) Entra returned. `options.secretLooksLikeId` lets the caller
 * say that the secret it sent has a GUID shape, without passing the secret itself.
 */
export function parseEntraError(status, body, { secretLooksLikeId = false, tenantId, clientId } = {}) {
  let parsed = body;
  if (typeof body === 'string') {
    try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  }
  const obj = parsed && typeof parsed === 'object' ? parsed : {};
  const error = typeof obj.error === 'string' ? obj.error : undefined;
  const errorCodes = Array.isArray(obj.error_codes) ? obj.error_codes.map(Number).filter(Number.isFinite) : [];
  const aadsts = errorCodes[0] ?? aadstsFromDescription(obj.error_description);

  let code = aadsts !== undefined ? ENTRA_CODE_MAP.get(aadsts) : undefined;
  if (!code && error) code = ENTRA_ERROR_MAP.get(error);
  if (!code && status === 429) code = 'AUTH_THROTTLED';
  if (!code && status >= 500) code = 'AUTH_UNAVAILABLE';
  if (!code) code = 'AUTH_FAILED';
  if (code === 'AUTH_INVALID_SECRET' && secretLooksLikeId) code = 'AUTH_SECRET_ID_NOT_VALUE';

  const details = {
    error,
    errorCodes,
    aadsts,
    description: firstLine(obj.error_description),
    traceId: typeof obj.trace_id === 'string' ? obj.trace_id : undefined,
    correlationId: typeof obj.correlation_id === 'string' ? obj.correlation_id : undefined,
    tenantId,
    clientId,
    retryable: code === 'AUTH_THROTTLED' || code === 'AUTH_UNAVAILABLE',
  };
  for (const k of Object.keys(details)) if (details[k] === undefined) delete details[k];

  const what = [aadsts !== undefined ? `AADSTS${aadsts}` : null, error ? `error=${error}` : null, status ? `HTTP ${status}` : null]
    .filter(Boolean).join(', ');
  let message = ERROR_MESSAGES[code];
  if (code === 'AUTH_FAILED') {
    message = `Sign-in failed (${what || 'no error details'}).${details.description ? ` Entra said: ${details.description}` : ''} Check the tenant ID, client ID and client secret.`;
  } else if (what) {
    message = `${message} (${what})`;
  }
  return new BcSpendError(code, message, { status, details });
}

// ---------------------------------------------------------------------------------------------
// Business Central

const COMPANY_SEGMENT_RE = /\/companies\(([^)]*)\)/i;

function isAutomationUrl(url) {
  return /\/api\/microsoft\/automation\//i.test(url ?? '');
}

function permissionAdvice(url) {
  return isAutomationUrl(url)
    ? `Reading users needs the Automation.ReadWrite.All application permission in Microsoft Entra and the D365 AUTOMATION permission set assigned to the app on ${BC_APPS_PAGE}.`
    : `Assign a permission set that can read purchase documents, vendors and setup (e.g. D365 BASIC ISV, or D365 READ) to the app on ${BC_APPS_PAGE}, and grant the API.ReadWrite.All application permission in Microsoft Entra.`;
}

/** Pull `{ code, message }` out of a BC error body (JSON text or parsed), or nulls. */
export function readBcErrorBody(body) {
  let parsed = body;
  if (typeof body === 'string') {
    try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  }
  const err = parsed && typeof parsed === 'object' && parsed.error && typeof parsed.error === 'object' ? parsed.error : null;
  return {
    bcCode: err && typeof err.code === 'string' ? err.code : null,
    bcMessage: err && typeof err.message === 'string' ? firstLine(err.message) : null,
    isJson: parsed !== undefined,
  };
}

/**
 * Map a final (non-retried) BC error response to a BcSpendError.
 * `url` decides between environment, company and permission advice; it never holds secrets.
 */
export function parseBcError(status, body, { url, attempts } = {}) {
  const { bcCode, bcMessage, isJson } = readBcErrorBody(body);
  const path = (() => { try { return new URL(url).pathname; } catch { return url ?? ''; } })();
  const company = COMPANY_SEGMENT_RE.exec(path)?.[1];
  const isCompaniesList = /\/api\/v2\.0\/companies\/?$/i.test(path);
  const details = { status, bcCode, bcMessage, url, attempts };
  for (const k of Object.keys(details)) if (details[k] == null) delete details[k];
  const said = bcCode || bcMessage ? ` Business Central said: ${[bcCode, bcMessage].filter(Boolean).join(': ')}` : '';
  const mk = (code, specific) =>
    new BcSpendError(code, `${specific ?? ERROR_MESSAGES[code]}${said}`, { status, details: { ...details } });

  const aboutPermission = bcMessage && /permission/i.test(bcMessage);

  if (bcCode === 'Internal_CompanyNotFound') return mk('BC_COMPANY_NOT_FOUND');
  if (bcCode === 'Internal_TenantUnavailable') {
    return mk('BC_ENVIRONMENT_NOT_FOUND', 'The Business Central environment is not accessible (it may be stopped, being upgraded, or not belong to this tenant). Check the environment name and its state in the Business Central admin center.');
  }
  if (status === 401) {
    if (bcCode?.startsWith('Authorization_') || aboutPermission) return mk('BC_PERMISSION_MISSING', `The app lacks a Business Central permission. ${permissionAdvice(url)}`);
    return mk('BC_APP_NOT_ENABLED');
  }
  if (status === 403 || bcCode?.startsWith('Authorization_') || (bcCode === 'Application_DialogException' && aboutPermission)) {
    return mk('BC_PERMISSION_MISSING', `The app lacks a Business Central permission. ${permissionAdvice(url)}`);
  }
  if (status === 404) {
    if (isCompaniesList || (!isJson && !company)) return mk('BC_ENVIRONMENT_NOT_FOUND');
    if (company !== undefined && (bcCode === 'BadRequest_NotFound' || bcCode === 'Internal_RecordNotFound' || /compan/i.test(bcMessage ?? ''))) {
      return mk('BC_COMPANY_NOT_FOUND', `The company ${company} was not found in this Business Central environment. List the companies and use one of their IDs.`);
    }
    return mk('BC_NOT_FOUND');
  }
  if (status === 413) {
    const e = mk('BC_RESPONSE_TOO_LARGE');
    e.details.narrowable = true;
    return e;
  }
  if (status >= 400 && status < 500) return mk('BC_BAD_REQUEST');
  return mk('BC_UNAVAILABLE');
}

// ---------------------------------------------------------------------------------------------
// Redaction
//
// One redactor for every message that leaves the host (the CLI's stderr and files, the Worker's
// tables, the package's errors). Servers and proxies echo requests back in their error text: a
// gateway that quotes the Authorization header, a token endpoint that quotes the form body. So
// redaction removes (1) every secret the caller registered, in each spelling an echo can take
// (raw, url-encoded with %XX in either case or with + for spaces, JSON-escaped), and (2) anything
// shaped like a credential whatever its value: `Bearer <anything>`, a JWT, an Authorization
// header, and the secret-bearing fields of a form body or a JSON object.

const REDACTED = '[redacted]';
/** Shorter strings are not registered: redacting them would shred ordinary words. */
const MIN_SECRET_LENGTH = 4;
/** Access tokens are replaced every hour; the registry keeps the recent ones only. */
const MAX_TOKENS = 16;

const SECRET_FIELDS = 'client_secret|clientSecret|client_assertion|refresh_token|refreshToken|access_token|accessToken|id_token|idToken|code_verifier|codeVerifier|password|assertion';
const CREDENTIAL_PATTERNS = [
  // A JWT (header.payload.signature; the header is base64url JSON, so it starts "ey").
  [/\bey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // An Authorization header of any scheme, as text or as a JSON / form field.
  [/(\bauthorization\\?["']?\s*(?::|=|%3A)\s*\\?["']?)(?:[A-Za-z][\w-]*(?:\s|%20|\+)+)?[^\s"'\\<>&,;]+/gi, `$1${REDACTED}`],
  // `Bearer <token>` of any shape, also url-encoded (Bearer%20..., Bearer+...) or JSON-escaped.
  // A token has a digit or is long; that spares prose such as "the bearer token is sent...".
  [/\bBearer(?:\s|%20|\+|\\u0020)+(?=[^\s"'\\<>]*\d|[^\s"'\\<>]{16})[^\s"'\\<>]+/gi, REDACTED],
  // A secret field of an echoed form body (client_secret=...&...).
  [new RegExp(`((?:^|[?&\\s"'(\\[{;,])(?:${SECRET_FIELDS})(?:=|%3D))[^&\\s"'<>]*`, 'gi'), `$1${REDACTED}`],
  // The code of an authorization-code form body; "code=" alone is too common to redact.
  [/([?&]code(?:=|%3D))[^&\s"'<>]*/gi, `$1${REDACTED}`],
  // A secret field of an echoed JSON object ("client_secret": "...", also JSON-escaped).
  [new RegExp(`(\\\\?["'](?:${SECRET_FIELDS})\\\\?["']\\s*:\\s*)(\\\\?["'])(?:(?!\\2)(?:[^\\\\]|\\\\.))*\\2`, 'gi'), `$1$2${REDACTED}$2`],
];

/** The spellings of `secret` that an echo of a request can contain. */
function spellings(secret) {
  const out = new Set([secret]);
  const percent = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const json = JSON.stringify(secret).slice(1, -1);
  for (const v of [percent, form, json, JSON.stringify(percent).slice(1, -1), JSON.stringify(form).slice(1, -1)]) {
    out.add(v);
    out.add(v.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  }
  return [...out].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * A set of the secrets one connection holds (client secret, refresh token, the recent access
 * tokens), shared by its credential and its Business Central client so that an error built by
 * either is scrubbed of all of them. The values stay in this closure: the registry prints,
 * inspects and serializes as a count.
 */
export function createSecretRegistry(initial = []) {
  const fixed = new Map(); // secret -> its spellings
  const tokens = new Map(); // insertion order = age
  let all = null; // every spelling, longest first (cached)
  const registry = {
    /** Registers secrets for good (client secret, refresh token, PKCE verifier...). */
    add(...values) {
      for (const v of values.flat()) {
        if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH && !fixed.has(v)) { fixed.set(v, spellings(v)); all = null; }
      }
      return registry;
    },
    /** Registers an access token; only the last MAX_TOKENS are kept. */
    addToken(token) {
      if (typeof token !== 'string' || token.length < MIN_SECRET_LENGTH || fixed.has(token)) return registry;
      if (tokens.has(token)) return registry;
      tokens.set(token, spellings(token));
      if (tokens.size > MAX_TOKENS) tokens.delete(tokens.keys().next().value);
      all = null;
      return registry;
    },
    /** `text` with every registered secret and every credential-shaped string removed. */
    redactText(text) {
      if (all === null) all = [...fixed.values(), ...tokens.values()].flat().sort((a, b) => b.length - a.length);
      return redactWith(text, all);
    },
    /** Scrubs an error in place (message, stack, hint, details, cause) and returns it. */
    redactError(err) {
      return scrubError(err, (t) => registry.redactText(t), 0);
    },
    get size() { return fixed.size + tokens.size; },
    toJSON() { return { secrets: fixed.size + tokens.size }; },
    toString() { return `[secret registry: ${fixed.size + tokens.size}]`; },
    [Symbol.for('nodejs.util.inspect.custom')]() { return registry.toString(); },
  };
  return registry.add(initial);
}

function redactWith(text, spelled) {
  if (typeof text !== 'string' || text === '') return text;
  let out = text;
  for (const s of spelled) if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const [re, to] of CREDENTIAL_PATTERNS) out = out.replace(re, to);
  return out;
}

function asRegistry(secrets) {
  if (secrets && typeof secrets.redactText === 'function') return secrets;
  return createSecretRegistry(Array.isArray(secrets) ? secrets : []);
}

/**
 * Remove the given secrets (an array or a registry) and anything shaped like a credential
 * (bearer token, JWT, Authorization header, secret fields of a form or JSON body) from text.
 */
export function redactText(text, secrets = []) {
  return asRegistry(secrets).redactText(text);
}

function scrubValue(value, redact, depth, seen) {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6 || seen.has(value)) return Array.isArray(value) ? [] : {};
  seen.add(value);
  if (value instanceof Error) return scrubError(value, redact, depth + 1, seen);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, redact, depth + 1, seen));
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, redact, depth + 1, seen);
  return out;
}

function scrubError(err, redact, depth, seen = new Set()) {
  if (!(err instanceof Error)) return err;
  seen.add(err);
  const set = (key, value) => {
    // A frozen or accessor-only property of a foreign error stays as it is.
    try { err[key] = value; } catch { /* keep */ }
  };
  if (typeof err.message === 'string') set('message', redact(err.message));
  if (typeof err.stack === 'string') set('stack', redact(err.stack));
  for (const key of Object.keys(err)) {
    if (key === 'message' || key === 'stack') continue;
    set(key, scrubValue(err[key], redact, depth + 1, seen));
  }
  if (err.cause !== undefined && !seen.has(err.cause)) {
    const cause = scrubValue(err.cause, redact, depth + 1, seen);
    try { Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true, enumerable: false }); } catch { /* keep */ }
  }
  return err;
}

/** Scrub an error in place (message, stack, hint, details, cause, other fields) and return it. */
export function redactSecrets(err, secrets = []) {
  return asRegistry(secrets).redactError(err);
}
