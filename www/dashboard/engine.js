// The live engine, run inside the store worker (store-worker.js): the same wasm core as the CLI,
// rebuilt from the last run's state (state.bcs + run.json's engineOptions, through
// `Engine.fromState`) or from dropped Business Central pages. pkg/ is built with the dashboard,
// so the engine has every method this file calls.

import { engineOptionsOf, reportOptionsOf, rulesOf } from './load.js';

let corePromise = null;

/** Imports pkg/browser.js once (it instantiates the wasm with top-level await). */
export function loadCore() {
  corePromise ??= import(new URL('../pkg/browser.js', import.meta.url).href);
  return corePromise;
}

const ENTITY_ORDER = ['companies', 'generalLedgerSetup', 'vendors', 'purchaseInvoices', 'purchaseCreditMemos', 'users'];

export class LiveEngine {
  constructor(core, engine, { options, reportOptions, rules, origin }) {
    this.core = core;
    this.engine = engine;
    this.options = options;
    this.reportOptions = reportOptions;
    this.rules = rules;
    this.origin = origin;
  }

  /**
   * A live engine for `data`, or `{ error }` saying why there is none (no state, no run.json, ...).
   * Never throws: the dashboard stays usable read-only.
   */
  static async create(data, { state = data.state } = {}) {
    const options = { ...(engineOptionsOf(data.run) ?? {}) };
    const rules = rulesOf(data);
    const reportOptions = reportOptionsOf(data.run, data.report);
    let core;
    try {
      core = await loadCore();
    } catch (e) {
      return { error: `the engine (pkg/browser.js) did not load: ${e.message}` };
    }
    const { Engine } = core;
    try {
      // The state's bytes (or a 0.1 state's text): Engine.fromState reads either.
      if (state?.length) {
        if (!options.connectedAt && !options.windowStart) {
          return { error: 'run.json (the engine options of the run) is missing, so the saved state cannot be restored' };
        }
        const engine = Engine.fromState(options, state);
        return new LiveEngine(core, engine, { options, reportOptions, rules, origin: 'state' });
      }
      if (data.pages.length) {
        if (!options.connectedAt && !options.windowStart) options.connectedAt = new Date().toISOString().slice(0, 10);
        if (!options.rules && rules.length) options.rules = rules;
        const engine = new Engine(options);
        const rank = (p) => {
          let entity = null;
          try { entity = core.detectPage(p.text).entity; } catch { /* unread pages go last */ }
          const i = ENTITY_ORDER.indexOf(entity);
          return i < 0 ? ENTITY_ORDER.length : i;
        };
        const pages = data.pages.map((p) => ({ ...p, rank: rank(p) })).sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
        for (const p of pages) engine.addPage(null, null, p.text);
        return new LiveEngine(core, engine, { options, reportOptions, rules, origin: 'pages' });
      }
    } catch (e) {
      return { error: `the engine could not be rebuilt: ${e.message}${e.code ? ` (${e.code})` : ''}` };
    }
    return { error: 'no state.bcs (written by demo or sync) and no Business Central pages were loaded, so there is no engine to re-match with' };
  }

  transactions() {
    // one JSON string across the boundary is faster than 50,000 objects
    return JSON.parse(this.engine.transactionsJson());
  }

  users() { return this.engine.users(); }
  diagnostics() { return this.engine.diagnostics(); }
  summary() { return this.engine.summary(); }

  /** The report with the run's options; null (with `reportError` set) when it cannot be made. */
  report() {
    try {
      this.reportError = null;
      // one JSON string across the boundary is faster than a deep object graph
      return JSON.parse(this.engine.reportJson(this.reportOptions));
    } catch (e) {
      this.reportError = `the report could not be recomputed: ${e.message}${e.path ? ` (at ${e.path})` : ''}`;
      return null;
    }
  }

  previewRules(rules) {
    return this.engine.previewRules(rules);
  }

  setRules(rules) {
    this.engine.setRules(rules);
    this.rules = rules;
  }

  explain(vendor, description) {
    return this.engine.explain(vendor, description ?? null);
  }
}
