// The package's API, shared by every runtime entry (node.js, browser.js, workerd.js): the wasm
// core and the JavaScript host (sign-in, Business Central client, sync). The entry that
// imports this has instantiated the wasm before any of it is called; nothing here runs at
// import time.
import * as glue from './bc_spend.js';
import {
  runSync as runSyncWithCore,
  stateChunks as stateChunksOf,
  createMemoryCheckpointStore,
} from './host/sync.js';
import { createBcClient as createBcClientWithCore, DEFAULT_API_HOST } from './host/bc-client.js';

export { Engine, SyncPlan, StateExport, StateImport, detectPage, version, bcLimits, environmentKey, isGuid } from './bc_spend.js';
export {
  createClientCredentials,
  createRefreshTokenCredential,
  fromTokenCredential,
  exchangeAuthorizationCode,
  buildAuthorizeUrl,
  buildAdminConsentUrl,
  parseAuthorizeRedirect,
  createPkcePair,
  createState,
  BC_SCOPE,
  BC_DELEGATED_SCOPES,
  DEFAULT_AUTHORITY_HOST,
} from './host/auth.js';
export { DEFAULT_API_HOST };
export { BcSpendError, ERROR_MESSAGES, createSecretRegistry, redactText, redactSecrets } from './host/errors.js';
export { createMemoryCheckpointStore };

/** The wasm core as the host's sync takes it: every class and function of the glue but its initializers. */
const { default: _init, initSync: _initSync, ...wasmApi } = glue;
export const core = Object.freeze(wasmApi);

/** Runs one sync (see host/sync.js); `core` defaults to this package's wasm core. */
export function runSync(options = {}) {
  return runSyncWithCore({ ...options, core: options.core ?? core });
}

/** A Business Central client (see host/bc-client.js) with BC's limits from this package's core. */
export function createBcClient(options = {}) {
  return createBcClientWithCore({ ...options, core: options.core ?? core });
}

/** The engine's state in pieces of at most `budget` bytes (joined: `exportState()`). */
export function stateChunks(engine, budget) {
  return stateChunksOf(core, engine, budget);
}
