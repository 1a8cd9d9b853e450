// Where the dashboard's data comes from: the output directory the server exposes under /data/
// (listed by /data/index.json), or files the user drops on the page or picks with the file input.
// Both end in the same `DataSet`. The small files (report, users, summary, run, rules) are read
// here; the large ones (transactions.json, state.bcs, Business Central pages) are handed to the
// store worker as a URL or a File, so the page never parses them itself.

const SMALL_FILES = ['report', 'users', 'diagnostics', 'summary', 'run', 'rules'];

export function emptyDataSet(origin) {
  return {
    origin, names: [], report: null, users: null, diagnostics: null, summary: null, run: null, rules: null,
    transactionsUrl: null, transactionsFile: null, stateUrl: null, stateFile: null, pageFiles: [], problems: [],
  };
}

/** Reads the server's /data/ directory; null when the page is not served with a data directory. */
export async function loadFromServer() {
  // the requests prefetch.js started, if it ran; taken once, so a reload of the data asks again
  const early = globalThis.bcSpendPrefetch ? await globalThis.bcSpendPrefetch : null;
  globalThis.bcSpendPrefetch = null;
  let index = early?.index;
  if (!index) {
    try {
      const res = await fetch('data/index.json', { cache: 'no-store' });
      if (!res.ok) return null;
      index = await res.json();
    } catch {
      return null;
    }
  }
  const present = new Set((index.files ?? []).map((f) => f.name));
  if (present.size === 0) return null;
  const data = emptyDataSet('server');
  data.names = [...present];
  await Promise.all(SMALL_FILES.map(async (key) => {
    const name = `${key}.json`;
    if (!present.has(name)) return;
    try {
      const res = await (early?.files?.[key] ?? fetch(`data/${name}`, { cache: 'no-store' }));
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      data[key] = await res.json();
    } catch (e) {
      data.problems.push(`${name}: ${e.message}`);
    }
  }));
  if (present.has('transactions.json')) data.transactionsUrl = new URL('data/transactions.json', document.baseURI).href;
  // state.bcs; an output directory last written by bc-spend 0.1 has state.json instead.
  const state = ['state.bcs', 'state.json'].find((n) => present.has(n));
  if (state) data.stateUrl = new URL(`data/${state}`, document.baseURI).href;
  return data;
}

/** What a JSON document is, from its file name. */
export function kindFromName(name) {
  const base = name.toLowerCase().replace(/^.*[\\/]/, '');
  // The engine's state is bytes (`.bcs`), whatever the file was renamed to before it.
  if (base.endsWith('.bcs')) return 'state';
  return base.match(/^(report|transactions|users|diagnostics|summary|state|run|rules)(?:[-_.][^/]*)?\.json$/)?.[1] ?? null;
}

/** What a parsed JSON document is, from its shape. */
export function kindFromShape(value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (typeof value['@odata.context'] === 'string' || Array.isArray(value.value)) return 'page';
    if (Array.isArray(value.insights) && Array.isArray(value.totals)) return 'report';
    if (typeof value.format === 'string' && /state/i.test(value.format)) return 'state';
    if (Array.isArray(value.rules)) return 'rules';
    if (value.lineMode && Array.isArray(value.totals)) return 'summary';
    if (value.engineOptions || value.options) return 'run';
  }
  if (Array.isArray(value)) {
    const first = value[0];
    if (!first) return null;
    if ('vendorName' in first && 'amountExcludingTax' in first) return 'transactions';
    if ('status' in first && 'email' in first && 'kind' in first) return 'users';
    if ('severity' in first && 'code' in first && 'message' in first) return 'diagnostics';
    if ('action' in first && 'priority' in first) return 'rules';
  }
  return null;
}

/** Reads dropped or picked files into a DataSet; files it cannot use are listed in `problems`. */
export async function loadFromFiles(fileList) {
  const data = emptyDataSet('files');
  await Promise.all([...fileList].map(async (file) => {
    let kind = kindFromName(file.name);
    // a saved BC API response says so in its first bytes; it goes to the worker unparsed
    if (!kind && /"@odata\.context"/.test(await file.slice(0, 4096).text())) kind = 'page';
    if (kind === 'transactions') data.transactionsFile = file;
    else if (kind === 'state') data.stateFile = file;
    else if (kind === 'page') data.pageFiles.push(file);
    else {
      let value;
      try {
        value = JSON.parse(await file.text());
      } catch (e) {
        data.problems.push(`${file.name} is not JSON (${e.message})`);
        return;
      }
      kind ??= kindFromShape(value);
      if (!kind) {
        data.problems.push(`${file.name}: not a file the dashboard reads`);
        return;
      }
      if (kind === 'transactions') data.transactionsFile = file;
      else if (kind === 'state') data.stateFile = file;
      else if (kind === 'page') data.pageFiles.push(file);
      else data[kind] = value;
    }
    data.names.push(file.name);
  }));
  data.pageFiles.sort((a, b) => a.name.localeCompare(b.name));
  return data;
}

/** The engine options a run used (run.json), whatever its exact nesting. */
export function engineOptionsOf(run) {
  if (!run || typeof run !== 'object') return null;
  return run.engineOptions ?? run.options ?? (run.connectedAt || run.windowStart ? run : null);
}

/**
 * The report options a run used (as-of date, reporting currency and rates), when run.json has
 * them; else only the report's as-of date (its rates are not in report.json, and a reporting
 * currency without them is refused).
 */
export function reportOptionsOf(run, report) {
  const fromRun = run?.reportOptions;
  if (fromRun && typeof fromRun === 'object') return { ...fromRun };
  const asOf = run?.asOf ?? report?.asOf;
  return asOf ? { asOf } : {};
}

/** The customer rules of the run, as an array. */
export function rulesOf(data) {
  const r = data.rules ?? engineOptionsOf(data.run)?.rules ?? [];
  return Array.isArray(r) ? r : (Array.isArray(r?.rules) ? r.rules : []);
}
