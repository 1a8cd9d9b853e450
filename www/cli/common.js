// Shared CLI plumbing: exit codes, argument errors, loading the engine, writing outputs.
import { existsSync } from 'node:fs';
import { mkdir, open, writeFile, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** Documented exit codes (README, "Exit codes"). */
export const EXIT = {
  OK: 0,
  FAILURE: 1, // unexpected internal error
  USAGE: 2, // bad arguments or configuration (rules file, options)
  INPUT: 3, // an input file or directory cannot be read
  AUTH: 4, // sign-in or Business Central access refused
  PARTIAL: 5, // some companies failed; the others were written
};

export class CliError extends Error {
  constructor(message, exitCode = EXIT.USAGE) {
    super(message);
    this.exitCode = exitCode;
  }
}

const PKG = new URL('../../pkg/node.js', import.meta.url);

/** Loads the wasm engine built into pkg/. */
export async function loadCore() {
  if (!existsSync(PKG)) {
    throw new CliError('the wasm engine is not built: run `bash www/scripts/setup.sh && bash www/scripts/build.sh` first', EXIT.FAILURE);
  }
  return import(PKG.href);
}

/** Today's date in UTC as YYYY-MM-DD: the host owns the clock, the core does not. */
export function todayUtc(now = new Date()) {
  return now.toISOString().slice(0, 10);
}

/** Reads a JSON file given on the command line, with messages that say which file. */
export async function readJsonFile(path, what) {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, EXIT.INPUT);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} ${path} is not valid JSON: ${e.message}`, EXIT.USAGE);
  }
}

/** Builds the engine, turning a configuration Error (with `code`) into a usage error. */
export function createEngine(core, options) {
  try {
    return new core.Engine(options);
  } catch (e) {
    if (e && e.code) throw new CliError(`invalid configuration (${e.code}${e.path ? ` at ${e.path}` : ''}): ${e.message}`, EXIT.USAGE);
    throw e;
  }
}

/** Writes a file atomically (temp file, then rename), so a killed run never leaves half a file. */
export async function writeAtomic(path, data) {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Writes a file atomically from pieces: `parts` yields strings (or promises of them), written as
 * they come, so a file of hundreds of MB is never one string.
 */
export async function writeAtomicParts(path, parts) {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    for await (const part of parts) await fh.write(part);
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** The pieces of one of the engine's transaction exports, `chunk` transactions at a time. */
function* transactionParts(engine, kind, chunk) {
  const n = engine.transactionCount();
  const part = kind === 'json' ? (a, b) => engine.transactionsJsonPart(a, b) : (a, b) => engine.transactionsCsvPart(a, b);
  let at = 0;
  do {
    yield part(at, at + chunk);
    at += chunk;
  } while (at < n);
  if (kind === 'json') yield '\n';
}

/**
 * Writes the analysis outputs shared by `analyze`, `sync` and `demo`. The transaction files are
 * written `chunk` transactions at a time (100,000 invoices make a transactions.json of ~200 MB;
 * whole, it and its copies took the process past 1.3 GB).
 */
export async function writeOutputs(engine, outDir, extra = {}, { chunk = 2000 } = {}) {
  await mkdir(outDir, { recursive: true });
  await writeAtomicParts(join(outDir, 'transactions.json'), transactionParts(engine, 'json', chunk));
  await writeAtomicParts(join(outDir, 'transactions.csv'), transactionParts(engine, 'csv', chunk));
  await writeAtomic(join(outDir, 'users.json'), JSON.stringify(engine.users(), null, 2) + '\n');
  await writeAtomic(join(outDir, 'diagnostics.json'), JSON.stringify(engine.diagnostics(), null, 2) + '\n');
  for (const [name, value] of Object.entries(extra)) {
    await writeAtomic(join(outDir, name), JSON.stringify(value, null, 2) + '\n');
  }
}

/** A short human summary for stderr. */
export function formatSummary(s) {
  const lines = [];
  lines.push(`transactions: ${s.transactions} (${s.matchedTransactions} matched to an app), line mode ${s.lineMode}, window from ${s.windowStart}`);
  for (const t of s.totals) {
    lines.push(`  ${t.currency || '(unknown currency)'}: ${t.amountExcludingTax} excl. tax, ${t.amountIncludingTax} incl. tax in ${t.transactions} transactions`);
  }
  const inv = s.counts.purchaseInvoices;
  if (inv) {
    lines.push(`invoices read: ${inv.read} (${inv.accepted} accepted, ${inv.rejected} rejected; ${inv.notPaid} not paid, ${inv.outsideWindow} before the window, ${inv.stale} older versions)`);
  }
  const rejectedPages = Object.values(s.counts).reduce((n, c) => n + c.pagesRejected, 0);
  if (rejectedPages) lines.push(`pages rejected: ${rejectedPages} (see diagnostics.json)`);
  const u = s.users;
  if (u.total) lines.push(`users: ${u.persons} people (${u.active} active, ${u.inactive} inactive, ${u.withoutEmail} without a contact e-mail), ${u.nonHuman} non-human`);
  const codes = Object.entries(s.diagnosticsByCode);
  if (codes.length) lines.push(`diagnostics: ${codes.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return lines.join('\n');
}
