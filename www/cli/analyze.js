// `bc-spend analyze PATH...`: saved BC API responses in, transactions/users/diagnostics out.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError, EXIT, createEngine, formatSummary, loadCore, readJsonFile, todayUtc, writeOutputs } from './common.js';
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
 * Page-level rejections that mean the file is not a Business Central page at all (a UTF-16/32
 * file, a saved OData error response), as opposed to a page that is damaged: analyze fails on
 * them, since their data is missing from the output. The core decides and names each; this is
 * only the command's exit policy.
 */
const NOT_A_PAGE = new Set(['PAGE_ENCODING', 'PAGE_BC_ERROR']);

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
    let result;
    try {
      // The bytes as they are: the engine decodes UTF-8 itself and reports what is not.
      result = engine.addPage(entity, company, bytes);
    } catch (e) {
      if (e?.code) throw new CliError(`${e.message} (--entity ${entity})`, EXIT.USAGE);
      throw e;
    }
    pages += 1;
    if (!result.pageRejected) continue;
    rejectedPages += 1;
    const { code, message } = result.rejection ?? {};
    if (NOT_A_PAGE.has(code)) failures.push(`${file}: ${message} (${code})`);
    else warn(`${file}: page not read (${code}); see diagnostics.json`);
  }
  const outDir = resolve(values.out ?? 'bc-spend-out');
  const summary = engine.summary();
  await writeOutputs(engine, outDir, { 'summary.json': summary });
  await writeReport(engine, outDir, reportOptions);
  engine.free();
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
