// `bc-spend analyze PATH...`: saved BC API responses in, transactions/users/diagnostics out.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError, EXIT, createEngine, formatSummary, loadCore, readJsonFile, todayUtc, writeOutputs } from './common.js';
import { REPORT_FLAGS_HELP, reportOptionsFrom, writeReport } from './report.js';

export const ANALYZE_HELP = `Usage: bc-spend analyze PATH... [options]

Reads saved Business Central API responses (files, or directories of *.json pages) and writes
transactions.json, transactions.csv, users.json, diagnostics.json, summary.json and report.json
(spend, cadences, renewals, insights; print it with "bc-spend report DIR") to --out.
Each page's entity is read from its @odata.context, or given with --entity.

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
${REPORT_FLAGS_HELP}`;

async function collectFiles(paths) {
  const files = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      throw new CliError(`cannot read ${p}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`, EXIT.INPUT);
    }
    if (st.isDirectory()) {
      const entries = (await readdir(p, { recursive: true, withFileTypes: true }))
        .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.json'))
        .map((d) => join(d.parentPath ?? d.path, d.name))
        .sort();
      if (entries.length === 0) throw new CliError(`${p} holds no .json files`, EXIT.INPUT);
      files.push(...entries);
    } else {
      files.push(p);
    }
  }
  return files;
}

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
  const files = await collectFiles(positionals);
  const reportOptions = await reportOptionsFrom(values);
  const core = await loadCore();
  const engine = createEngine(core, await engineOptionsFrom(values));
  const entity = values.entity ?? null;
  const company = values.company ?? null;
  let pages = 0;
  for (const file of files) {
    let text;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${e.message}`, EXIT.INPUT);
    }
    let result;
    try {
      result = engine.addPage(entity, company, text);
    } catch (e) {
      if (e && e.code) throw new CliError(`${e.message} (--entity ${entity})`, EXIT.USAGE);
      throw e;
    }
    pages += 1;
    if (result.pageRejected && !values.quiet) {
      stderr.write(`warning: ${file}: page not read (${result.entity ?? 'unknown entity'}); see diagnostics.json\n`);
    }
  }
  const outDir = resolve(values.out ?? 'bc-spend-out');
  const summary = engine.summary();
  await writeOutputs(engine, outDir, { 'summary.json': summary });
  await writeReport(engine, outDir, reportOptions);
  if (!values.quiet) {
    stderr.write(`${formatSummary(summary)}\nread ${pages} page(s) from ${files.length} file(s); wrote ${outDir}\n`);
  }
  engine.free();
  return EXIT.OK;
}
