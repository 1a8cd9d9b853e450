// Shared CLI plumbing: exit codes, argument errors, loading the engine, writing outputs.
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Documented exit codes (README, "Exit codes"). */
export const EXIT = {
  OK: 0,
  FAILURE: 1, // unexpected internal error
  USAGE: 2, // bad arguments or configuration (rules file, options)
  INPUT: 3, // an input file or directory cannot be read
  AUTH: 4, // sign-in or Business Central access refused
  PARTIAL: 5, // some companies failed; the others were written
  LOCKED: 6, // another run holds the checkpoint or the output directory (CHECKPOINT_LOCKED)
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
  // A byte order mark (Notepad writes one) is not part of the JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, and a credentials file holds a
    // secret: say where the error is, never what is there.
    throw new CliError(`${what} ${path} is not valid JSON: ${jsonSyntaxError(text)}`, EXIT.USAGE);
  }
}

/**
 * Where `text` stops being JSON, as "syntax error at line L, column C" (or "empty file"),
 * without quoting any of it. Called only after JSON.parse failed.
 */
export function jsonSyntaxError(text) {
  let i = 0;
  const fail = () => { throw i; };
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i += 1; };
  const literal = (word) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const string = () => {
    i += 1;
    for (;;) {
      if (i >= text.length) fail();
      const ch = text[i];
      if (ch === '"') { i += 1; return; }
      if (ch < ' ') fail();
      if (ch === '\\') {
        i += 1;
        if (text[i] === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 5; } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i += 1; else fail();
      } else i += 1;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m[0].length;
  };
  const value = (depth) => {
    ws();
    if (depth > 500) fail();
    const ch = text[i];
    if (ch === '{') {
      i += 1; ws();
      if (text[i] === '}') { i += 1; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string(); ws();
        if (text[i] !== ':') fail();
        i += 1;
        value(depth + 1); ws();
        if (text[i] === ',') { i += 1; continue; }
        if (text[i] === '}') { i += 1; return; }
        fail();
      }
    }
    if (ch === '[') {
      i += 1; ws();
      if (text[i] === ']') { i += 1; return; }
      for (;;) {
        value(depth + 1); ws();
        if (text[i] === ',') { i += 1; continue; }
        if (text[i] === ']') { i += 1; return; }
        fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    return number();
  };
  let at;
  try {
    value(0); ws();
    at = i < text.length ? i : null;
  } catch (pos) {
    at = typeof pos === 'number' ? Math.min(pos, text.length) : 0;
  }
  if (text.trim() === '') return 'the file is empty';
  if (at === null) return 'syntax error';
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return `syntax error at line ${line}, column ${column}${at >= text.length ? ' (unexpected end of file)' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Printing data from Business Central to a terminal

// ESC sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC strings (ended by BEL or
// ESC \\, or unterminated), and two-character escapes; their 8-bit C1 forms; then any other C0
// or C1 control, DEL, and the bidirectional overrides and isolates that reorder what is shown.
const ESCAPE_SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\s\S]?/g;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAKS = /[\t\n\r\v\f\u0085\u2028\u2029]+/g;

/**
 * Text from Business Central (or any file) made safe to print on a terminal: escape sequences,
 * control characters and bidi overrides are removed, so a vendor named "\x1b]8;;..." cannot
 * retitle the window, hide a line, or forge a link. A single-line value (a table cell, a name)
 * has its line breaks and tabs turned into spaces; `{ multiline: true }` keeps \n and \t.
 */
export function terminalText(value, { multiline = false } = {}) {
  let s = String(value ?? '').replace(ESCAPE_SEQUENCE, '');
  if (!multiline) s = s.replace(LINE_BREAKS, ' ');
  else s = s.replace(/\r\n?/g, '\n');
  return s.replace(CONTROL, '');
}

/** The CLI's own in-place redraw (carriage return, erase line) that a stream filter lets through. */
const REDRAW = '\r\x1b[K';

/**
 * A stream whose writes pass through terminalText (multiline) and the credential redactor: the
 * last line of defence for everything the commands print on stderr, including sync's progress
 * and summary lines. The progress bar's own redraw prefix is kept.
 */
export function safeStream(stream, redact = (t) => t) {
  return {
    write(chunk, ...rest) {
      if (typeof chunk !== 'string') return stream.write(chunk, ...rest);
      const redraw = chunk.startsWith(REDRAW);
      const body = terminalText(redact(redraw ? chunk.slice(REDRAW.length) : chunk), { multiline: true });
      return stream.write(redraw ? REDRAW + body : body, ...rest);
    },
    get isTTY() { return stream.isTTY; },
    get columns() { return stream.columns; },
    on: (...a) => (stream.on ? stream.on(...a) : undefined),
    once: (...a) => (stream.once ? stream.once(...a) : undefined),
  };
}

/** Builds the engine, turning a configuration Error (with `code`) into a usage error. */
export function createEngine(core, options) {
  try {
    return new core.Engine(options);
  } catch (e) {
    if (e?.code) throw new CliError(`invalid configuration (${e.code}${e.path ? ` at ${e.path}` : ''}): ${e.message}`, EXIT.USAGE);
    throw e;
  }
}

/**
 * Files holding Business Central data are private to the user: 0600. The mode is given to open
 * (for a new file) and set again on the open handle, because the umask may not narrow it and a
 * file that exists (a temp file left by a reused pid) keeps the mode it had.
 */
export const PRIVATE_FILE = 0o600;

/** Opens `path` for writing (flags 'w' or 'a') as a private file. */
export async function openPrivate(path, flags) {
  const fh = await open(path, flags, PRIVATE_FILE);
  try {
    await fh.chmod(PRIVATE_FILE);
  } catch (e) {
    await fh.close();
    throw e;
  }
  return fh;
}

/**
 * Creates `dir` (and its parents) when missing; a directory bc-spend creates is 0700, one that
 * exists keeps the mode its owner chose.
 */
export async function mkdirPrivate(dir) {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created) await chmod(dir, 0o700);
}

/** Writes a file atomically (temp file, then rename), so a killed run never leaves half a file. */
export async function writeAtomic(path, data) {
  return writeAtomicParts(path, [data]);
}

/** Whether two files of the same size hold the same bytes, read a piece at a time. */
async function sameBytes(a, b, size) {
  const [fa, fb] = [await open(a, 'r'), await open(b, 'r')];
  try {
    const [ba, bb] = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
    for (let at = 0; at < size; ) {
      const n = Math.min(ba.length, size - at);
      const [ra, rb] = await Promise.all([fa.read(ba, 0, n, at), fb.read(bb, 0, n, at)]);
      if (ra.bytesRead !== n || rb.bytesRead !== n || ba.compare(bb, 0, n, 0, n) !== 0) return false;
      at += n;
    }
    return true;
  } finally {
    await fa.close();
    await fb.close();
  }
}

/**
 * Writes a file atomically from pieces: `parts` yields strings or bytes (or promises of them),
 * written as they come, so a file of hundreds of MB is never one string. The file is private
 * (0600) before it gets its name; a failed write (a full disk) removes its temp file.
 *
 * A file whose content would not change is not replaced: the new bytes go to the temp file as
 * always (they are produced a piece at a time, so nothing knows they are the same until the
 * end), and when they equal the file's, the temp file goes and the file keeps its inode and
 * mtime, as a run that changed nothing should leave it (only made private, in case an older
 * release wrote it 0644). The two are compared only when their sizes are equal, so a file that
 * changed size costs no read. Returns whether the file was replaced.
 */
export async function writeAtomicParts(path, parts) {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fh = await openPrivate(tmp, 'w');
    let size = 0;
    try {
      for await (const part of typeof parts === 'string' ? [parts] : parts) {
        const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
        size += bytes.length;
        await fh.write(bytes);
      }
    } finally {
      await fh.close();
    }
    const old = await stat(path).catch(() => null);
    if (old?.isFile() && old.size === size && (await sameBytes(path, tmp, size))) {
      await rm(tmp, { force: true });
      await chmod(path, PRIVATE_FILE);
      return false;
    }
    await rename(tmp, path);
    return true;
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/**
 * The pieces of one of the engine's transaction exports, `chunk` transactions at a time, as
 * bytes: a part never becomes a JS string (decoded from wasm memory, then encoded again to be
 * written), which at 100,000 invoices held tens of MB of the process's peak in garbage.
 */
function* transactionParts(engine, kind, chunk) {
  const n = engine.transactionCount();
  const part = kind === 'json' ? (a, b) => engine.transactionsJsonPartBytes(a, b) : (a, b) => engine.transactionsCsvPartBytes(a, b);
  let at = 0;
  do {
    yield part(at, at + chunk);
    at += chunk;
  } while (at < n);
  if (kind === 'json') yield '\n';
}

/**
 * Whether the file at `path` is the one an earlier run wrote for `key`: `previous` (the
 * `outputs` record of that run's run.json) names this key for it, and the file on disk still
 * has the size, mtime and inode recorded when it was written (so a file edited, replaced or
 * removed since is written again).
 */
export async function keptOutput(path, key, previous) {
  const p = previous?.[basename(path)];
  if (!key || !p || p.key !== key) return false;
  const st = await stat(path).catch(() => null);
  return !!st?.isFile() && st.size === p.size && st.mtimeMs === p.mtimeMs && st.ino === p.ino;
}

/**
 * The `outputs` record of the run.json in `outDir` (what `writeOutputs` and `writeReport`
 * returned for the run that wrote it), or null when there is none or it does not read: then
 * every output is built.
 */
export async function previousOutputs(outDir) {
  try {
    const run = JSON.parse(await readFile(join(outDir, 'run.json'), 'utf8'));
    const o = run?.format === 'bc-spend-run' ? run.outputs : null;
    return o && typeof o === 'object' && !Array.isArray(o) ? o : null;
  } catch {
    return null;
  }
}

/** What run.json records of an output file written (or kept) for `key`. */
export async function outputRecord(path, key) {
  const st = await stat(path);
  return { key, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/**
 * Writes (or keeps) one output: `produce()` is called only when the file is not the one an
 * earlier run wrote for `key` (see `keptOutput`). Returns its record for run.json.
 */
export async function writeKeyedOutput(path, key, previous, produce) {
  if (!(await keptOutput(path, key, previous))) await writeAtomicParts(path, await produce());
  return outputRecord(path, key);
}

/**
 * Writes the analysis outputs shared by `analyze`, `sync` and `demo`. The transaction files are
 * written `chunk` transactions at a time (100,000 invoices make a transactions.json of ~200 MB;
 * whole, it and its copies took the process past 1.3 GB).
 *
 * `previous` is the `outputs` record of the run.json an earlier run wrote to `outDir`: a file
 * whose inputs have the key recorded there (`engine.outputKeys()`, digests computed by the core
 * without building anything) and that is unchanged on disk is not built again; `keys` saves
 * computing them again when the caller has them. Returns the record of these files for this
 * run's run.json.
 */
export async function writeOutputs(engine, outDir, extra = {}, { chunk = 2000, previous = null, keys = engine.outputKeys() } = {}) {
  await mkdirPrivate(outDir);
  const files = {};
  const out = (name) => join(outDir, name);
  files['transactions.json'] = await writeKeyedOutput(out('transactions.json'), keys.transactions, previous, () => transactionParts(engine, 'json', chunk));
  files['transactions.csv'] = await writeKeyedOutput(out('transactions.csv'), keys.transactions, previous, () => transactionParts(engine, 'csv', chunk));
  files['users.json'] = await writeKeyedOutput(out('users.json'), keys.users, previous, () => [JSON.stringify(engine.users(), null, 2) + '\n']);
  files['diagnostics.json'] = await writeKeyedOutput(out('diagnostics.json'), keys.diagnostics, previous, () => [JSON.stringify(engine.diagnostics(), null, 2) + '\n']);
  for (const [name, value] of Object.entries(extra)) {
    await writeAtomic(out(name), JSON.stringify(value, null, 2) + '\n');
  }
  return files;
}

/** A short human summary for stderr. */
export function formatSummary(s) {
  const lines = [];
  lines.push(`transactions: ${s.transactions} (${s.matchedTransactions} matched to an app), line mode ${s.lineMode}, window from ${s.windowStart}`);
  for (const t of s.totals) {
    // A blank currency: the core's label, and its remedy right under the total (as `report` and
    // the dashboard print it).
    lines.push(`  ${t.currency || s.currencyMissing?.label || 'no currency'}: ${t.amountExcludingTax} excl. tax, ${t.amountIncludingTax} incl. tax in ${t.transactions} transactions`);
    if (!t.currency && s.currencyMissing) lines.push(`    ${s.currencyMissing.remedy}`);
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
