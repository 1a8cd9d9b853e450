// The dashboard's worker: holds the full transactions (tens of MB of JSON for 50,000 of them)
// and the live wasm engine, so parsing, re-matching and rule previews never freeze the page.
// The page gets small table rows (rows.js) and asks for one full transaction when it explains it.
//
// Protocol: { seq, op, args } in; { seq, ok: true, result } or { seq, ok: false, error } out.

import { LiveEngine, loadCore } from './engine.js';
import { rowsOf } from './rows.js';

let transactions = [];
let byId = new Map();
let live = null;

function keep(list) {
  transactions = Array.isArray(list) ? list : [];
  byId = new Map(transactions.map((t) => [t.id, t]));
  return rowsOf(transactions);
}

function catalogAppsOf(engine) {
  return engine.catalogApps().map((a) => ({ appId: a.id, appName: a.name, category: a.category }));
}

const ops = {
  async loadUrl({ url }) {
    const res = await fetch(url, { cache: 'no-store' });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return { rows: keep(JSON.parse(await res.text())) };
  },

  async loadFile({ file }) {
    let list;
    try {
      list = JSON.parse(await file.text());
    } catch (e) {
      throw new Error(`${file.name} is not JSON (${e.message})`);
    }
    return { rows: keep(list) };
  },

  get({ id }) {
    return { transaction: byId.get(id) ?? null };
  },

  /**
   * Brings up the live engine from the saved state (state.bcs, or 0.1's state.json: a URL or a
   * dropped file; its bytes go to the core as they are) or from dropped BC pages.
   * With `needTransactions` (no transactions.json) or from pages, also returns rows, users and
   * the report the engine computes.
   */
  async engine({ run, report, rules, stateUrl, stateFile, pageFiles = [], needTransactions = false }) {
    live?.engine?.free?.();
    live = null;
    let state = null;
    if (stateUrl) {
      const res = await fetch(stateUrl, { cache: 'no-store' });
      state = res.ok ? new Uint8Array(await res.arrayBuffer()) : null;
    } else if (stateFile) {
      state = new Uint8Array(await stateFile.arrayBuffer());
    }
    const pages = await Promise.all(pageFiles.map(async (f) => ({ name: f.name, text: await f.text() })));
    const made = await LiveEngine.create({ run, report, rules, pages }, { state });
    if (made.error) return { error: made.error };
    live = made;
    if (!live.reportOptions.asOf) live.reportOptions.asOf = report?.asOf ?? new Date().toISOString().slice(0, 10);
    const out = { origin: live.origin, catalogApps: catalogAppsOf(live.engine) };
    if (live.origin === 'pages' || needTransactions) {
      out.rows = keep(live.transactions());
      out.users = live.users();
      out.report = live.report();
    } else if (!report) {
      out.report = live.report();
    }
    out.reportError = live.reportError ?? null;
    return out;
  },

  /** Checks rules without re-matching: an empty engine with the same options refuses bad ones. */
  async validate({ rules }) {
    const { Engine } = await loadCore();
    const options = { ...(live?.options ?? {}) };
    if (!options.connectedAt && !options.windowStart) options.connectedAt = '2000-01-01';
    const e = new Engine({ ...options, rules });
    e.free();
    return { ok: true };
  },

  preview({ rules }) {
    if (!live) throw new Error('no live engine');
    const t0 = performance.now();
    const changes = live.previewRules(rules);
    return { changes, ms: performance.now() - t0 };
  },

  apply({ rules }) {
    if (!live) throw new Error('no live engine');
    const t0 = performance.now();
    live.setRules(rules);
    const rows = keep(live.transactions());
    const report = live.report();
    return { rows, report, reportError: live.reportError ?? null, ms: performance.now() - t0 };
  },
};

self.onmessage = async (e) => {
  const { seq, op, args } = e.data;
  try {
    if (!ops[op]) throw new Error(`unknown operation ${op}`);
    const result = await ops[op](args ?? {});
    self.postMessage({ seq, ok: true, result });
  } catch (err) {
    self.postMessage({ seq, ok: false, error: { message: err?.message ?? String(err), code: err?.code, path: err?.path } });
  }
};
