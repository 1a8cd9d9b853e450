// `bc-spend analyze PATH...`: saved BC API responses in, transactions/users/diagnostics out.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readBcErrorBody } from '../src/errors.js';
import { CliError, EXIT, createEngine, formatSummary, loadCore, readJsonFile, terminalText, todayUtc, writeOutputs } from './common.js';
import { REPORT_FLAGS_HELP, reportOptionsFrom, writeReport } from './report.js';

export const ANALYZE_HELP = `Usage: bc-spend analyze PATH... [options]

Reads saved Business Central API responses (files, or directories of *.json pages) and writes
transactions.json, transactions.csv, users.json, diagnostics.json, summary.json and report.json
(spend, cadences, renewals, insights; print it with "bc-spend report DIR") to --out.
Each page's entity is read from its @odata.context, or given with --entity. Symbolic links in a
directory are followed (each file and directory is read once).

Options:
  --out DIR              output directory (default: bc-spend-out)
  --line-mode MODE       invoice (default), line or auto
  --connected-at DATE    first connection date, YYYY-MM-DD (default: today, UTC);
                         the window starts one year before it
  --window-start DATE    start the window here instead
  --credit-memos         read purchaseCreditMemos as negative transactions
  --rules FILE           customer matching rules (JSON)
  --catalog FILE         a catalog to extend the built-in one (JSON; "mode": "replace" replaces it)
  --entity NAME          entity of every page (companies, vendors, generalLedgerSetup,
                         purchaseInvoices, purchaseCreditMemos, users)
  --company ID           company id for pages whose @odata.context does not name one
  --environment NAME     names the environment in transaction ids (default: default)
  --default-currency C   currency when a company's local currency is unknown
  --quiet                no summary on stderr
${REPORT_FLAGS_HELP}
Exit codes: 0 the pages were read (a page that is not JSON or a record that is refused is a
warning, listed in diagnostics.json); 2 bad arguments or configuration; 3 unreadable input: a
file or directory cannot be read, a file is not UTF-8 (UTF-16 or UTF-32, say), a file is a saved
Business Central error response instead of a page, or no page at all could be read. The output
files are written in every case but 2, so diagnostics.json says what was refused.
`;

/**
 * The .json files under `paths`, each once. Symbolic links are followed, to files and to
 * directories; a directory is entered once (by its real path), which also ends link loops.
 * Links that lead nowhere, and second routes to a file or directory already read, are counted in
 * `skipped` so the summary can say so.
 */
async function collectFiles(paths) {
  const files = [];
  const seenFiles = new Set();
  const seenDirs = new Set();
  const skipped = { broken: [], repeated: [] };
  const inputError = (p, e) => new CliError(`cannot read ${p}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`, EXIT.INPUT);

  const addFile = async (path, list) => {
    const real = await realpath(path).catch(() => path);
    if (seenFiles.has(real)) { skipped.repeated.push(path); return; }
    seenFiles.add(real);
    list.push(path);
  };
  const walk = async (dir, list) => {
    const real = await realpath(dir).catch((e) => { throw inputError(dir, e); });
    if (seenDirs.has(real)) { skipped.repeated.push(dir); return; }
    seenDirs.add(real);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw inputError(dir, e);
    }
    for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, d.name);
      let kind = d.isDirectory() ? 'dir' : d.isFile() ? 'file' : null;
      if (d.isSymbolicLink()) {
        const st = await stat(path).catch(() => null);
        if (!st) { skipped.broken.push(path); continue; }
        kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
      }
      if (kind === 'dir') await walk(path, list);
      else if (kind === 'file' && d.name.toLowerCase().endsWith('.json')) await addFile(path, list);
    }
  };

  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      throw inputError(p, e);
    }
    if (st.isDirectory()) {
      const found = [];
      await walk(p, found);
      if (found.length === 0 && !skipped.repeated.includes(p)) throw new CliError(`${p} holds no .json files`, EXIT.INPUT);
      files.push(...found.sort());
    } else {
      await addFile(p, files);
    }
  }
  return { files, skipped };
}

/**
 * The encoding of a file that is not UTF-8 but UTF-16 or UTF-32 (a BOM, or the NUL bytes every
 * other byte that ASCII JSON has in UTF-16), or null. The engine reads UTF-8 only; such a file
 * would come out as an "unknown entity" page.
 */
export function foreignEncoding(bytes) {
  const b = bytes;
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32LE';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32BE';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'UTF-16LE';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'UTF-16BE';
  const n = Math.min(b.length, 256) & ~1;
  if (n < 2) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 1) if (b[i] === 0) { if (i % 2) odd += 1; else even += 1; }
  const half = n / 2;
  if (odd >= half * 0.75 && even === 0) return 'UTF-16LE';
  if (even >= half * 0.75 && odd === 0) return 'UTF-16BE';
  return null;
}

/** `{ bcCode, bcMessage }` when a file is a saved BC error response (`{"error":{...}}`), else null. */
function savedErrorResponse(bytes) {
  // An error response is small; a page is not worth decoding twice to find out.
  if (bytes.length > 65536) return null;
  const text = new TextDecoder().decode(bytes);
  if (!/^\s*\{\s*"error"\s*:/.test(text.replace(/^\ufeff/, ''))) return null;
  const { bcCode, bcMessage } = readBcErrorBody(text.replace(/^\ufeff/, ''));
  return bcCode || bcMessage ? { bcCode, bcMessage } : null;
}

/** Diagnostic codes (from the engine) that say a page is not a page at all: analyze fails on them. */
const NOT_A_PAGE_CODE = /^PAGE_.*(BC_ERROR|ERROR_BODY|ERROR_RESPONSE|ENCODING|UTF_?(16|32))/;

/** Engine options from the shared flags of analyze, sync and demo. */
export async function engineOptionsFrom(values, { environment } = {}) {
  const options = {
    connectedAt: values['connected-at'] ?? todayUtc(),
    lineMode: values['line-mode'] ?? 'invoice',
    creditMemos: Boolean(values['credit-memos']),
  };
  if (values['window-start']) options.windowStart = values['window-start'];
  if (values['default-currency']) options.defaultCurrency = values['default-currency'];
  if (values.environment ?? environment) options.environment = values.environment ?? environment;
  if (values.rules) options.rules = await readJsonFile(values.rules, 'rules file');
  if (values.catalog) options.catalog = await readJsonFile(values.catalog, 'catalog file');
  return options;
}

export const SHARED_OPTIONS = {
  out: { type: 'string' },
  'line-mode': { type: 'string' },
  'connected-at': { type: 'string' },
  'window-start': { type: 'string' },
  'credit-memos': { type: 'boolean' },
  rules: { type: 'string' },
  catalog: { type: 'string' },
  environment: { type: 'string' },
  'default-currency': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export async function analyze(values, positionals, { stderr = process.stderr } = {}) {
  if (values.help) {
    stderr.write(ANALYZE_HELP);
    return EXIT.OK;
  }
  if (positionals.length === 0) throw new CliError(`analyze needs at least one file or directory\n\n${ANALYZE_HELP}`);
  const { files, skipped } = await collectFiles(positionals);
  const reportOptions = await reportOptionsFrom(values);
  const core = await loadCore();
  const engine = createEngine(core, await engineOptionsFrom(values));
  const entity = values.entity ?? null;
  const company = values.company ?? null;
  const warn = (text) => { if (!values.quiet) stderr.write(`warning: ${text}\n`); };
  for (const p of skipped.broken) warn(`${p}: a symbolic link to nothing; skipped`);
  for (const p of skipped.repeated) warn(`${p}: already read through another path; skipped`);
  let pages = 0;
  let rejectedPages = 0;
  const failures = []; // files that are not pages: analyze exits 3 for them
  for (const file of files) {
    let bytes;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${e.message}`, EXIT.INPUT);
    }
    const encoding = foreignEncoding(bytes);
    const saved = encoding ? null : savedErrorResponse(bytes);
    let result;
    try {
      // The bytes as they are: the engine decodes UTF-8 itself and reports what is not.
      result = engine.addPage(entity, company, bytes);
    } catch (e) {
      if (e && e.code) throw new CliError(`${e.message} (--entity ${entity})`, EXIT.USAGE);
      throw e;
    }
    pages += 1;
    if (result.pageRejected) rejectedPages += 1;
    if (encoding) {
      failures.push(`${file}: the file is ${encoding}-encoded; Business Central pages are UTF-8. Convert it (for example \`iconv -f ${encoding} -t UTF-8\`) or save the response again`);
    } else if (saved) {
      const said = terminalText([saved.bcCode, saved.bcMessage].filter(Boolean).join(': '));
      failures.push(`${file}: the file is a saved Business Central error response, not a page (${said}); fetch the page again`);
    } else if (result.pageRejected) {
      warn(`${file}: page not read (${result.entity ?? 'unknown entity'}); see diagnostics.json`);
    }
  }
  const outDir = resolve(values.out ?? 'bc-spend-out');
  const summary = engine.summary();
  await writeOutputs(engine, outDir, { 'summary.json': summary });
  await writeReport(engine, outDir, reportOptions);
  engine.free();
  // Codes only the engine finds (a page-level error it names as not a page) count too.
  const flagged = Object.entries(summary.diagnosticsByCode ?? {}).filter(([code]) => NOT_A_PAGE_CODE.test(code));
  if (flagged.length && failures.length === 0) {
    failures.push(`${flagged.map(([code, n]) => `${n} page(s) ${code}`).join(', ')}; see diagnostics.json`);
  }
  if (pages > 0 && rejectedPages === pages) {
    failures.push(`none of the ${pages} page(s) could be read; see diagnostics.json`);
  }
  if (!values.quiet) {
    const links = skipped.broken.length + skipped.repeated.length;
    stderr.write(`${formatSummary(summary)}\nread ${pages} page(s) from ${files.length} file(s)${links ? ` (${links} path(s) skipped)` : ''}; wrote ${outDir}\n`);
  }
  if (failures.length) {
    for (const f of failures) stderr.write(`error: ${f}\n`);
    return EXIT.INPUT;
  }
  return EXIT.OK;
}
