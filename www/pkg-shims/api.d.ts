// Types of api.js: the wasm core (bc_spend.d.ts, generated from src/wasm/) and the host
// (sign-in, Business Central client, sync; the modules in host/). Written by hand: declarations
// generated from the host's JSDoc reject valid calls (destructured options without defaults
// are left out of the inferred parameter types).
import type {
  Engine,
  EngineOptions,
  EntityName,
  SyncConfig,
  SyncOutcome,
  SyncProgress,
} from './bc_spend.js';

export { Engine, SyncPlan, StateExport, StateImport, detectPage, version, bcLimits, environmentKey, isGuid } from './bc_spend.js';

// ------------------------------------------------------------------------------------- errors

/**
 * Every failure of sign-in, the BC client and the sync: a stable `code` (AUTH_*, BC_*,
 * CHECKPOINT_*, ABORTED, CONFIG_INVALID) and a message that says what to do. Never carries a
 * secret or token.
 */
export declare class BcSpendError extends Error {
  constructor(code: string, message: string, options?: { status?: number; cause?: unknown; hint?: string; details?: Record<string, unknown> });
  code: string;
  /** The HTTP status of the answer that decided the error, when there was one. */
  status?: number;
  hint?: string;
  details: Record<string, unknown>;
  toJSON(): { name: string; code: string; message: string; status?: number; hint?: string; details: Record<string, unknown> };
}
/** The default message of every error code (the CLI and docs list them). */
export declare const ERROR_MESSAGES: Readonly<Record<string, string>>;

/**
 * The secrets of one connection (client secret, refresh token, recent access tokens). Every
 * credential made here has one as `credential.secrets`, shared with its BC client; errors either
 * throws are scrubbed of each spelling of them (raw, url-encoded, JSON-escaped). Prints and
 * serializes as a count only.
 */
export interface SecretRegistry {
  /** Registers secrets for the registry's lifetime (strings shorter than 4 are ignored). */
  add(...values: Array<string | string[]>): SecretRegistry;
  /** Registers an access token; only the 16 most recent are kept. */
  addToken(token: string): SecretRegistry;
  redactText(text: string): string;
  /** Scrubs message, stack, hint, details, cause and other fields in place; returns the error. */
  redactError<E>(err: E): E;
  readonly size: number;
}
export declare function createSecretRegistry(secrets?: string[]): SecretRegistry;
/**
 * `text` without the given secrets (in any spelling an echo can take) and without anything
 * shaped like a credential: `Bearer <token>`, a JWT, an Authorization header, and the secret
 * fields (client_secret, refresh_token, access_token, code_verifier, ...) of a form or JSON body.
 * Use it on any message that leaves the host (logs, stored errors).
 */
export declare function redactText(text: string, secrets?: string[] | SecretRegistry): string;
/** redactText over an error's message, stack, hint, details, cause and other fields, in place. */
export declare function redactSecrets<E>(err: E, secrets?: string[] | SecretRegistry): E;

// ------------------------------------------------------------------------------------ sign-in

export declare const BC_SCOPE: 'https://api.businesscentral.dynamics.com/.default';
/** `.default` plus `offline_access` (a refresh token) for the delegated flow. */
export declare const BC_DELEGATED_SCOPES: string;
export declare const DEFAULT_AUTHORITY_HOST: 'https://login.microsoftonline.com';

export type FetchFunction = typeof fetch;
export type SleepFunction = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface AccessToken { token: string; expiresOnTimestamp: number }
export interface GetTokenOptions { abortSignal?: AbortSignal }

/** A credential as the host uses it: tokens for the BC scope, cached. */
export interface BcCredential {
  getToken(scopes?: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  /** Forget `token` (or the cached one) so the next getToken asks anew. */
  invalidate(token?: string): void;
  /** Clients of one identity share BC's limits (5 concurrent requests, 6,000 per 5 minutes). */
  identityKey?: string;
  /** The connection's secrets, shared with its BC client to scrub errors (not enumerable). */
  readonly secrets?: SecretRegistry;
}

/**
 * Anything that gives a token: a credential of this package, an `@azure/identity`
 * TokenCredential, or a function returning a token (or `{ token, expiresOnTimestamp }`).
 */
export type TokenSource =
  | BcCredential
  | { getToken(scopes: string | string[], options?: GetTokenOptions): Promise<{ token: string; expiresOnTimestamp?: number } | null> }
  | ((scopes: string | string[], options?: GetTokenOptions) => Promise<string | { token: string; expiresOnTimestamp?: number }>);

interface TokenRequestOptions {
  /** Default https://login.microsoftonline.com; http is accepted on loopback only (the emulator). */
  authorityHost?: string;
  fetch?: FetchFunction;
  now?: () => number;
  sleep?: SleepFunction;
  random?: () => number;
}

export interface ClientCredentialsOptions extends TokenRequestOptions {
  /** The directory (tenant) ID, or a verified domain such as contoso.onmicrosoft.com. */
  tenantId: string;
  clientId: string;
  /** The secret's Value (not its Secret ID). Never logged, never sent to the wasm core. */
  clientSecret: string;
  scope?: string;
  maxRetries?: number;
  timeoutMs?: number;
}
export interface ClientCredential extends BcCredential { identityKey: string; tenantId: string; clientId: string }
/** Service-to-service sign-in with a client secret (the four values of the connection). */
export declare function createClientCredentials(options: ClientCredentialsOptions): ClientCredential;

export interface RefreshTokenCredentialOptions extends TokenRequestOptions {
  tenantId?: string;
  clientId: string;
  clientSecret?: string;
  refreshToken: string;
  /** Called with every new refresh token Entra issues: persist it. */
  onRefreshToken?: (refreshToken: string) => void | Promise<void>;
  accessToken?: string;
  expiresOnTimestamp?: number;
  scopes?: string | string[];
}
export interface RefreshTokenCredential extends ClientCredential { readonly refreshToken: string }
/** A delegated credential from a refresh token (authorization-code flow). */
export declare function createRefreshTokenCredential(options: RefreshTokenCredentialOptions): RefreshTokenCredential;

/** Adapts an `@azure/identity` TokenCredential or a token function (see TokenSource). */
export declare function fromTokenCredential(credential: TokenSource, options?: { scope?: string; identityKey?: string }): BcCredential;

export interface AuthorizeUrlOptions {
  /** Default "organizations". */
  tenantId?: string;
  clientId: string;
  redirectUri: string;
  state: string;
  /** From createPkcePair(). */
  codeChallenge?: string;
  scopes?: string | string[];
  prompt?: 'login' | 'none' | 'consent' | 'select_account';
  loginHint?: string;
  responseMode?: 'query' | 'form_post' | 'fragment';
  authorityHost?: string;
}
export declare function buildAuthorizeUrl(options: AuthorizeUrlOptions): string;
export declare function buildAdminConsentUrl(options: { tenantId?: string; clientId: string; redirectUri: string; state: string; scope?: string | string[]; authorityHost?: string }): string;
export type AuthorizeRedirect =
  | { code: string; state: string | null }
  | { adminConsent: boolean; tenant: string | null; scope: string | null; state: string | null };
/** Reads the redirect of the authorize or admin consent endpoint; throws BcSpendError for an `error=` redirect or a state mismatch. */
export declare function parseAuthorizeRedirect(urlOrParams: string | URL | URLSearchParams, options?: { expectedState?: string }): AuthorizeRedirect;
export interface TokenSet { accessToken: string; expiresOnTimestamp: number; refreshToken?: string; scope?: string; idToken?: string; tokenType: string }
export declare function exchangeAuthorizationCode(options: TokenRequestOptions & {
  tenantId?: string;
  clientId: string;
  clientSecret?: string;
  code: string;
  codeVerifier?: string;
  redirectUri: string;
  scopes?: string | string[];
  abortSignal?: AbortSignal;
}): Promise<TokenSet>;
export declare function createPkcePair(): Promise<{ codeVerifier: string; codeChallenge: string; codeChallengeMethod: 'S256' }>;
export declare function createState(): string;

// ---------------------------------------------------------------------------------- BC client

export declare const DEFAULT_API_HOST: 'https://api.businesscentral.dynamics.com';

export interface RetryOptions {
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutRetries?: number;
  invalidJsonRetries?: number;
  serverErrorRetries?: number;
  /** A longer Retry-After is waited only this long. */
  maxRetryAfterMs?: number;
}
export interface BcClientEvent {
  type: 'request' | 'retry' | 'throttled' | 'tokenRefresh';
  url?: string;
  status?: number;
  attempt?: number;
  delayMs?: number;
  retryAfterMs?: number;
  durationMs?: number;
  reason?: string;
  [key: string]: unknown;
}
export interface BcClientOptions {
  /** The core that gives BC's limits and checks company ids; default this package's. */
  core?: SyncCore;
  credential: TokenSource;
  /** The BC environment name, e.g. "production". */
  environment: string;
  /** Default https://api.businesscentral.dynamics.com; http is accepted on loopback only. */
  apiHost?: string;
  tenantId?: string;
  fetch?: FetchFunction;
  /** 1 to 5 (BC's limit per app identity, `bcLimits().maxConcurrency`). */
  maxConcurrency?: number;
  rate?: { requests?: number; windowMs?: number; headroom?: number };
  /** Records per page (Prefer: odata.maxpagesize), 1 to 20,000 (`bcLimits().maxPageSize`). */
  maxPageSize?: number;
  timeoutMs?: number;
  retry?: RetryOptions;
  random?: () => number;
  sleep?: SleepFunction;
  now?: () => number;
  onEvent?: (event: BcClientEvent) => void;
  /** Share the identity's limits with other clients of the same credential (default true). */
  shareLimiter?: boolean;
  acceptLanguage?: string;
}
export interface BcResponse {
  status: number;
  /** The parsed body. */
  json: unknown;
  /** The body as text: give this to `engine.addPage`. */
  text: string;
  url: string;
  headers: Record<string, string>;
  attempts: number;
}
/** A response read with `body: 'bytes'`. */
export interface BcBytesResponse extends Omit<BcResponse, 'text'> {
  /** The body as BC sent it: `engine.addPage` takes it as well, undecoded. */
  bytes: Uint8Array;
}
export interface BcGetOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  maxPageSize?: number;
  /** Reads a 2xx body instead of JSON.parse; null or undefined means not whole (retried). */
  parse?: (body: string | Uint8Array) => unknown;
  /** Keep a 2xx body as the bytes BC sent (`bytes`) instead of decoding it (`text`); default 'text' (`pages` and `getAll` read text). */
  body?: 'text' | 'bytes';
}
export interface BcClient {
  readonly baseUrl: string;
  readonly apiOrigin: string;
  apiUrl(path?: string): string;
  companyUrl(companyId: string, path?: string): string;
  automationUrl(companyId: string, path?: string): string;
  resolve(pathOrUrl: string | URL): string;
  /** A path relative to `{apiHost}/v2.0/{tenant}/{environment}/`, or a same-origin @odata.nextLink. */
  get(pathOrUrl: string | URL, options: BcGetOptions & { body: 'bytes' }): Promise<BcBytesResponse>;
  get(pathOrUrl: string | URL, options?: BcGetOptions): Promise<BcResponse>;
  pages(pathOrUrl: string | URL, options?: BcGetOptions): AsyncGenerator<BcResponse, void, unknown>;
  getAll(pathOrUrl: string | URL, options?: BcGetOptions): Promise<unknown[]>;
  readonly limiter: unknown;
}
/** Authenticated, paced and retried GETs against one BC environment. */
export declare function createBcClient(options: BcClientOptions): BcClient;

// --------------------------------------------------------------------------------------- sync

/** A journaled page: runSync appends `bytes` (the body as BC sent it) with `text` (the same,
 *  decoded when read); a store may give back either. */
export interface JournalEntry { entity: EntityName; companyId: string | null; bytes?: Uint8Array; text?: string }
/** What `saveCheckpoint` receives: after every page (`append`), and at the end of a run (`state`). */
export interface CheckpointUpdate {
  /** Small JSON text: keep it as the checkpoint. */
  plan: string;
  /** Append this page to the journal. */
  append?: JournalEntry;
  /** Make this the base state (pieces of bytes; joined, `engine.exportState()`) and empty the
   *  journal. Pieces may be strings only when an abandoned checkpoint's base was a version 1
   *  state's text, passed on as read: keep them as their UTF-8. */
  state?: Iterable<Uint8Array | string> | null;
}
/** What a sync resumes or continues from: the last plan kept, the base state and the journal. */
export interface Checkpoint {
  plan: string | null;
  /** The base state: its bytes, or a function giving its pieces (read one at a time, cut
   *  anywhere). A version 1 state (0.1's JSON) may be given as text or its UTF-8. */
  state: Uint8Array | string | null | (() => Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>);
  journal?: Iterable<JournalEntry> | AsyncIterable<JournalEntry> | (() => Iterable<JournalEntry> | AsyncIterable<JournalEntry>);
}
export interface SyncEvent {
  type: 'start' | 'companies' | 'page' | 'companyDone' | 'companyFailed' | 'usersFailed' | 'narrowed' | 'taskRetry' | 'retry' | 'done';
  progress?: SyncProgress;
  [key: string]: unknown;
}
export interface SyncStats {
  requests: number;
  retries: number;
  throttled: number;
  tokenRefreshes: number;
  pages: number;
  replayed: number;
  bytes: number;
  peakInFlight: number;
  failures: { action: string; entity: EntityName; companyId: string | null; code: string; message: string }[];
  elapsedMs?: number;
}
/** The wasm core: every class and function of the glue but its initializers (what `runSync` takes as `core`). */
export type SyncCore = Omit<typeof import('./bc_spend.js'), 'default' | 'initSync'>;
export interface RunSyncOptions {
  core?: SyncCore;
  /** The sign-in (or give `client`). Its secrets stay in the host. */
  credential?: TokenSource;
  client?: BcClient;
  tenantId?: string;
  environment?: string;
  apiHost?: string;
  fetch?: FetchFunction;
  clientOptions?: Partial<BcClientOptions>;
  /** The engine's options; the window and credit memos come from the plan (`sync`). */
  engineOptions?: EngineOptions;
  sync?: Omit<SyncConfig, 'environment' | 'startedAt'>;
  /** null for a first sync. */
  checkpoint?: Checkpoint | null;
  /** Called in order, each awaited: see CheckpointUpdate. */
  saveCheckpoint?: (update: CheckpointUpdate) => Promise<void> | void;
  onProgress?: (event: SyncEvent) => void;
  signal?: AbortSignal;
  now?: () => number;
}
export interface SyncResult {
  /** Holds the synced data; call `free()` when done. */
  engine: Engine;
  outcome: SyncOutcome;
  stats: SyncStats;
  /** The options the sync plan handed the engine (its window, credit memos and environment):
   *  `Engine.fromState(engineOptions, state)` rebuilds it. */
  engineOptions: EngineOptions;
}
/** Runs one sync of a BC environment (or of selected companies) into an engine. */
export declare function runSync(options: RunSyncOptions): Promise<SyncResult>;
/** The engine's state in pieces of at most `budget` bytes (joined: `engine.exportState()`). */
export declare function stateChunks(engine: Engine, budget?: number): Generator<Uint8Array, void, unknown>;
export interface MemoryCheckpointStore {
  save(update: CheckpointUpdate): Promise<void>;
  load(): Checkpoint | null;
  readonly journalLength: number;
  readonly plan: string | null;
  readonly state: Uint8Array | null;
}
/** The reference checkpoint store, in memory. */
export declare function createMemoryCheckpointStore(): MemoryCheckpointStore;
/** This package's wasm core. */
export declare const core: Readonly<SyncCore>;
