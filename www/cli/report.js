// `bc-spend report DIR`: the headline figures, top apps, renewals, unmatched vendors and insights
// of DIR/report.json (written by analyze, sync or demo) as aligned tables. It only reads and
// formats: every figure is computed by the core and printed as report.json has it.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError, EXIT, readJsonFile, terminalText, todayUtc, writeKeyedOutput } from './common.js';

export const REPORT_HELP = `Usage: bc-spend report DIR [options]

Prints the report in DIR/report.json (the --out directory of analyze, sync or demo): spend per
currency, top apps (with seats and price per seat a month when their lines say them), renewals
due, unmatched vendors and the insights, as tables. Amounts are the exact figures of
report.json (excluding tax unless a column says otherwise).

Options:
  --insights N   insights to list (default: all)
  --messages     print each insight's full message under the table
`;

export const REPORT_OPTIONS = {
  insights: { type: 'string' },
  messages: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Flags that shape report.json, accepted by the commands that write it (analyze, ...). */
export const REPORT_FLAGS = {
  'as-of': { type: 'string' },
  'reporting-currency': { type: 'string' },
  rates: { type: 'string' },
};

export const REPORT_FLAGS_HELP = `  --as-of DATE           the report's date, YYYY-MM-DD (default: today, UTC): renewals,
                         overdue charges and the 90-day window are relative to it
  --reporting-currency C also show spend converted to C (needs --rates for other currencies)
  --rates FILE           exchange rates, JSON: [{ "date", "from", "to", "rate": "0.9216" }]
`;

/** Report options from the flags above. The host owns the clock: the default date is today's. */
export async function reportOptionsFrom(values, now = new Date()) {
  const asOf = values['as-of'] ?? todayUtc(now);
  // Checked here too so a typo fails before the pages are read; the core checks it again.
  const real = /^\d{4}-\d{2}-\d{2}$/.test(asOf) && !Number.isNaN(Date.parse(`${asOf}T00:00:00Z`)) && new Date(`${asOf}T00:00:00Z`).toISOString().startsWith(asOf);
  if (!real) throw new CliError(`--as-of must be a date written YYYY-MM-DD, not ${JSON.stringify(asOf)}`);
  const options = { asOf };
  if (values['reporting-currency']) options.reportingCurrency = values['reporting-currency'];
  if (values.rates) {
    const rates = await readJsonFile(values.rates, 'rates file');
    options.rates = Array.isArray(rates) ? rates : rates?.rates;
    if (!Array.isArray(options.rates)) throw new CliError(`rates file ${values.rates} must hold an array of { date, from, to, rate } (or { "rates": [...] })`);
  }
  return options;
}

/**
 * Calls `f` (an engine call that takes report options), turning an options error (one with a
 * `code`) into a usage error.
 */
export function withReportOptions(f) {
  try {
    return f();
  } catch (e) {
    if (e?.code) throw new CliError(`invalid report options (${e.code}${e.path ? ` at ${e.path}` : ''}): ${e.message}`, EXIT.USAGE);
    throw e;
  }
}

/**
 * Writes DIR/report.json from the engine, turning an options error into a usage error. With
 * `previous` (an earlier run's `outputs` record, see `writeOutputs`), a report.json whose inputs
 * and options have the key recorded there is kept as it is, not built again (`keys`: the
 * caller's `engine.outputKeys(options)`, to save computing them again). Returns its record.
 */
export async function writeReport(engine, outDir, options, { previous = null, keys } = {}) {
  const key = (keys ?? withReportOptions(() => engine.outputKeys(options))).report;
  return writeKeyedOutput(join(outDir, 'report.json'), key, previous, () => [withReportOptions(() => engine.reportJson(options)) + '\n']);
}

// ---------------------------------------------------------------- formatting

const ELLIPSIS = '…';

function cut(s, max) {
  const chars = [...String(s ?? '')];
  return chars.length > max ? chars.slice(0, max - 1).join('') + ELLIPSIS : chars.join('');
}

/**
 * An aligned table. `columns`: [{ title, align: 'left'|'right', max }]; rows: arrays of strings.
 * Widths count code points, so accented names stay aligned.
 */
export function table(columns, rows, indent = '  ') {
  // Cells hold names from Business Central: made printable before they are measured.
  const cells = rows.map((r) => r.map((c, i) => cut(terminalText(c), columns[i].max ?? 60)));
  const width = columns.map((c, i) => Math.max([...c.title].length, ...cells.map((r) => [...r[i]].length)));
  const pad = (s, i) => {
    const n = width[i] - [...s].length;
    return columns[i].align === 'right' ? ' '.repeat(n) + s : s + ' '.repeat(n);
  };
  const line = (r) => (indent + r.map(pad).join('  ')).trimEnd();
  return [line(columns.map((c) => c.title)), line(width.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

// The label for a blank currency is the core's (report.json currencyMissing), so the report and
// the dashboard print the same words.
function currencyName(r, code) {
  return code || r.currencyMissing?.label || 'no currency';
}

function money(r, list) {
  return (list ?? []).map((m) => `${m.amountExcludingTax} ${currencyName(r, m.currency)}`).join(' + ');
}

const SEVERITY_LABEL = { high: 'HIGH', medium: 'medium', low: 'low', info: 'info' };

/** Checks that a parsed file is a report this command can print. */
function checkShape(r, path) {
  const fail = (why) => {
    throw new CliError(`${path} is not a bc-spend report (${why}); write one with \`bc-spend analyze --out DIR ...\``, EXIT.INPUT);
  };
  if (!r || typeof r !== 'object' || Array.isArray(r)) fail('not a JSON object');
  if (r.version !== 1) fail(`version ${JSON.stringify(r.version)}, expected 1`);
  for (const k of ['totals', 'topApps', 'apps', 'insights', 'renewals', 'unmatched']) {
    if (!Array.isArray(r[k])) fail(`no "${k}" list`);
  }
  if (typeof r.asOf !== 'string' || !r.counts || !r.users) fail('no asOf, counts or users');
}

/** The printed report, as text. */
export function formatReport(r, { insights: maxInsights = Infinity, messages = false } = {}) {
  const out = [];
  const c = r.counts;
  out.push(`SaaS spend as of ${r.asOf}${r.windowStart ? ` (transactions from ${r.windowStart})` : ''}, ${r.lineMode} mode`);
  out.push(`${c.included} transactions (${c.matched} matched to ${c.apps} apps, ${c.unmatched} unmatched from ${c.unmatchedVendors} vendors)` +
    `${c.ignoredByRule ? `, ${c.ignoredByRule} ignored by rules` : ''}${c.afterAsOf ? `, ${c.afterAsOf} after ${r.asOf} left out` : ''}`);
  out.push('');
  out.push('Spend by currency');
  const totalRows = r.totals.map((t) => [
    currencyName(r, t.currency),
    String(t.transactions),
    t.amountExcludingTax,
    t.amountIncludingTax,
    t.matchedExcludingTax,
    t.unmatchedExcludingTax,
  ]);
  if (r.reportingTotal) {
    const t = r.reportingTotal;
    totalRows.push([`${t.currency} (all, converted)`, String(t.convertedTransactions), t.amountExcludingTax, t.amountIncludingTax, t.matchedExcludingTax, t.unmatchedExcludingTax]);
  }
  out.push(table(
    [
      { title: 'Currency' },
      { title: 'Transactions', align: 'right' },
      { title: 'Excl. tax', align: 'right' },
      { title: 'Incl. tax', align: 'right' },
      { title: 'Matched', align: 'right' },
      { title: 'Unmatched', align: 'right' },
    ],
    totalRows,
  ));
  if (r.currencyMissing) out.push(`  ${currencyName(r, '')}: ${r.currencyMissing.remedy}`);
  if (r.reportingTotal && !r.reportingTotal.complete) {
    out.push(`  (${r.reportingTotal.missingRateTransactions} transactions have no exchange rate and are not in the ${r.reportingTotal.currency} figures)`);
  }
  const u = r.users;
  out.push('');
  out.push(`Users: ${u.persons} people (${u.active} active, ${u.inactive} inactive), ${u.nonHuman} non-human; ` +
    `${u.withoutEmail.length} without a contact e-mail, ${u.duplicatedEmails.length} shared e-mail address(es)`);

  // Seats and price per seat a month are the core's (its main subscription's), in their currency.
  const appsById = new Map(r.apps.map((a) => [a.appId, a]));
  const seatCells = (id) => {
    const a = appsById.get(id);
    const p = a?.pricePerSeatMonthly;
    return [a?.seats == null ? '' : String(a.seats), p ? `${p.amount} ${currencyName(r, p.currency)}` : ''];
  };
  for (const ranking of r.topApps) {
    if (ranking.apps.length === 0) continue;
    out.push('');
    out.push(`Top apps, ${currencyName(r, ranking.currency)}${ranking.reporting ? ' (converted)' : ''}`);
    out.push(table(
      [{ title: '#', align: 'right' }, { title: 'App', max: 40 }, { title: 'Category' }, { title: `Excl. tax`, align: 'right' }, { title: 'Share', align: 'right' },
        { title: 'Seats', align: 'right' }, { title: 'Per seat/month', align: 'right' }],
      ranking.apps.map((a, i) => [String(i + 1), a.appName, a.category, a.amountExcludingTax, a.sharePercent == null ? '' : `${a.sharePercent}%`, ...seatCells(a.appId)]),
    ));
  }

  // Every annual subscription is in renewals; the table shows those due in the window.
  const due = r.renewals.filter((x) => x.inWindow !== false);
  if (due.length) {
    out.push('');
    out.push('Renewals due');
    out.push(table(
      [{ title: 'Due' }, { title: 'Days', align: 'right' }, { title: 'App', max: 40 }, { title: 'Billing' }, { title: 'Expected', align: 'right' }, { title: 'Cur' }, { title: 'Company', max: 30 }],
      due.map((x) => [x.dueDate, String(x.daysUntil), x.appName, x.confirmed ? x.cadence : 'annual?', x.expectedAmount, currencyName(r, x.currency), x.companyName ?? x.companyId]),
    ));
  }

  if (r.unmatched.length) {
    out.push('');
    const shown = r.unmatched.slice(0, 10);
    out.push(`Unmatched spend by vendor${r.unmatched.length > shown.length ? ` (top ${shown.length} of ${r.unmatched.length})` : ''}`);
    out.push(table(
      [{ title: 'Vendor', max: 40 }, { title: 'Spend', max: 40 }, { title: 'Transactions', align: 'right' }, { title: 'Billing' }, { title: 'Shadow SaaS?' }],
      shown.map((v) => [v.vendorName || '(no name)', money(r, v.spend), String(v.transactions), v.cadence, v.possibleShadowSaas ? 'possible' : '']),
    ));
  }

  out.push('');
  if (r.insights.length === 0) {
    out.push('Insights: none');
  } else {
    const shown = r.insights.slice(0, maxInsights);
    out.push(`Insights (${shown.length < r.insights.length ? `${shown.length} of ` : ''}${r.insights.length})`);
    out.push(table(
      [{ title: '#', align: 'right' }, { title: 'Severity' }, { title: 'Kind' }, { title: 'Insight', max: 90 }],
      shown.map((x, i) => [String(i + 1), SEVERITY_LABEL[x.severity] ?? x.severity, x.kind, x.title]),
    ));
    if (messages) {
      out.push('');
      for (const [i, x] of shown.entries()) out.push(`  ${i + 1}. ${terminalText(x.message)}`);
    }
  }
  const issues = r.dataQuality?.issues ?? [];
  if (issues.length) {
    out.push('');
    out.push(`Data quality: ${issues.map((i) => `${i.code} ${i.count}`).join(', ')} (see report.json dataQuality)`);
  }
  // Lines outside the tables quote the report too (dates, codes, currencies).
  return terminalText(out.join('\n'), { multiline: true }) + '\n';
}

export async function report(values, positionals, { stdout = process.stdout } = {}) {
  if (values.help) {
    stdout.write(REPORT_HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1) throw new CliError(`report needs one directory\n\n${REPORT_HELP}`);
  let maxInsights = Infinity;
  if (values.insights !== undefined) {
    if (!/^\d+$/.test(values.insights)) throw new CliError(`--insights must be a whole number, not ${JSON.stringify(values.insights)}`);
    maxInsights = Number(values.insights);
  }
  const dir = resolve(positionals[0]);
  let st;
  try {
    st = await stat(dir);
  } catch (e) {
    throw new CliError(`cannot read ${positionals[0]}: ${e.code === 'ENOENT' ? 'no such directory' : e.message}`, EXIT.INPUT);
  }
  if (!st.isDirectory()) throw new CliError(`${positionals[0]} is not a directory; give the --out directory of analyze, sync or demo`, EXIT.INPUT);
  const path = join(dir, 'report.json');
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const why = e.code === 'ENOENT' ? `no report.json in ${dir}: run \`bc-spend analyze --out ${positionals[0]} ...\` (or sync or demo) first` : `cannot read ${path}: ${e.message}`;
    throw new CliError(why, EXIT.INPUT);
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path} is not valid JSON: ${e.message}`, EXIT.INPUT);
  }
  checkShape(parsed, path);
  stdout.write(formatReport(parsed, { insights: maxInsights, messages: Boolean(values.messages) }));
  return EXIT.OK;
}
