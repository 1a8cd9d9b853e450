// `bc-spend sync`: sign in to Business Central, sync every company's paid invoices and the
// users, and write the analysis files. Node-only parts of the sync live here: credentials from
// the environment or a file, the checkpoint files, the terminal, the output directory. The sync
// itself is www/src/sync.js (platform-neutral) driving the core's plan.
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createClientCredentials, DEFAULT_AUTHORITY_HOST } from '../src/auth.js';
import { DEFAULT_API_HOST } from '../src/bc-client.js';
import { BcSpendError } from '../src/errors.js';
import { runSync, stateChunks } from '../src/sync.js';
import { openCheckpointFile, writeChunksAtomic } from './checkpoint-store.js';
import { CliError, EXIT, formatSummary, keptOutput, loadCore, mkdirPrivate, outputRecord, previousOutputs, readJsonFile, todayUtc, writeAtomic, writeOutputs } from './common.js';
import { acquireLock, processAlive } from './run-lock.js';
import { REPORT_FLAGS, REPORT_FLAGS_HELP, reportOptionsFrom, withReportOptions, writeReport } from './report.js';

export const SYNC_HELP = `Usage: bc-spend sync [options]

Signs in to Business Central with an app registration (client credentials), reads every
company's paid purchase invoices (with lines), vendors, local currency and the users, and
writes transactions.json, transactions.csv, users.json, diagnostics.json, summary.json,
report.json, run.json (the options and outcome) and state.bcs (the engine's state, which the
dashboard and the next run rebuild from) to --out. (A state.json left there by bc-spend 0.1 is
read through the checkpoint, and replaced by state.bcs on the next run.) The first run reads one year of history;
later runs read only what changed since (the checkpoint), and a run that was interrupted
resumes where it stopped.

Credentials (never on the command line):
  BC_TENANT_ID, BC_ENVIRONMENT, BC_CLIENT_ID, BC_CLIENT_SECRET environment variables, or
  --credentials FILE: JSON { "tenantId", "environment", "clientId", "clientSecret" } (keep it
  private: mode 0600). Hosts: BC_AUTHORITY_HOST (default ${DEFAULT_AUTHORITY_HOST}) and
  BC_API_HOST (default ${DEFAULT_API_HOST}), or "authorityHost" / "apiHost" in the file.

Options:
  --out DIR              output directory (default: bc-spend-out)
  --companies LIST       company names or ids, comma-separated (default: all companies)
  --since DATE           start of the window, YYYY-MM-DD (default: the checkpoint's, else one
                         year before --connected-at)
  --connected-at DATE    first connection date (default: today, UTC)
  --line-mode MODE       invoice (default), line or auto
  --rules FILE           customer matching rules (JSON)
  --catalog FILE         a catalog to extend the built-in one (JSON)
  --credit-memos         also read purchase credit memos (negative transactions)
  --default-currency C   currency when a company's local currency is unknown
  --checkpoint FILE      where the sync remembers its progress (default: DIR/checkpoint.json)
  --fresh                ignore the checkpoint: read everything again
  --concurrency N        requests in flight, 1 to 5 (default 5, Business Central's limit)
  --page-size N          records per page (default 500)
  --split-running        split a date segment while it runs when a request slot would idle
                         (narrows BC's next link; experimental, not yet checked against BC)
  --credentials FILE     read the credentials from FILE instead of the environment
  --quiet                no progress and no summary on stderr
${REPORT_FLAGS_HELP}
One run at a time: a run locks its checkpoint and its output directory (CHECKPOINT.lock and
DIR/.bc-spend.lock); a second run on either is refused (exit 6) and names the run holding it.
A lock left by a run that was killed is taken over, with a message. Files holding Business
Central data (the checkpoint, its journal and state, and every file it writes to DIR) are 0600;
DIR is created 0700.

Exit codes: 0 success; 1 internal error, Business Central unreachable or a full disk; 2 bad
arguments or configuration; 3 unreadable input; 4 sign-in or access refused (the message says
what to fix); 5 partial: some companies (or the users) failed, the others were written; 6
another run holds the checkpoint or the output directory (CHECKPOINT_LOCKED).
`;

export const SYNC_OPTIONS = {
  out: { type: 'string' },
  companies: { type: 'string', multiple: true },
  since: { type: 'string' },
  'connected-at': { type: 'string' },
  'line-mode': { type: 'string' },
  rules: { type: 'string' },
  catalog: { type: 'string' },
  'credit-memos': { type: 'boolean' },
  'default-currency': { type: 'string' },
  checkpoint: { type: 'string' },
  fresh: { type: 'boolean' },
  concurrency: { type: 'string' },
  'page-size': { type: 'string' },
  'split-running': { type: 'boolean' },
  credentials: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...REPORT_FLAGS,
};

/** Error codes that mean "sign-in or access refused" (exit 4). */
const ACCESS_CODES = new Set(['BC_APP_NOT_ENABLED', 'BC_PERMISSION_MISSING', 'BC_ENVIRONMENT_NOT_FOUND']);

/** The core with the sync plan (the package entry does not re-export SyncPlan yet). */
export async function loadSyncCore() {
  const core = await loadCore();
  const names = ['SyncPlan', 'StateExport', 'StateImport', 'bcLimits', 'environmentKey', 'isGuid'];
  if (names.every((k) => typeof core[k] === 'function')) return core;
  const glue = await import(new URL('../../pkg/bc_spend.js', import.meta.url).href);
  return { Engine: core.Engine, version: core.version, ...Object.fromEntries(names.map((k) => [k, glue[k]])) };
}

/** Credentials from --credentials FILE or the BC_* environment variables. */
export async function readCredentials(values, env = process.env) {
  let c;
  if (values.credentials) {
    const info = await stat(values.credentials).catch(() => null);
    c = await readJsonFile(values.credentials, 'credentials file');
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new CliError(`credentials file ${values.credentials} must hold a JSON object { tenantId, environment, clientId, clientSecret }`);
    if (info && process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      c.warning = `credentials file ${values.credentials} can be read by other users; restrict it with chmod 600`;
    }
  } else {
    c = { tenantId: env.BC_TENANT_ID, environment: env.BC_ENVIRONMENT, clientId: env.BC_CLIENT_ID, clientSecret: env.BC_CLIENT_SECRET };
  }
  const names = values.credentials
    ? { tenantId: 'tenantId', environment: 'environment', clientId: 'clientId', clientSecret: 'clientSecret' }
    : { tenantId: 'BC_TENANT_ID', environment: 'BC_ENVIRONMENT', clientId: 'BC_CLIENT_ID', clientSecret: 'BC_CLIENT_SECRET' };
  const missing = Object.keys(names).filter((k) => typeof c[k] !== 'string' || c[k].trim() === '');
  if (missing.length) {
    const where = values.credentials ? `in ${values.credentials}` : '(environment variables, or --credentials FILE)';
    throw new CliError(`missing ${missing.map((k) => names[k]).join(', ')} ${where}: the tenant ID, environment name, and the app's client ID and client secret from Microsoft Entra`);
  }
  return {
    tenantId: c.tenantId.trim(),
    environment: c.environment.trim(),
    clientId: c.clientId.trim(),
    clientSecret: c.clientSecret,
    authorityHost: c.authorityHost ?? env.BC_AUTHORITY_HOST ?? DEFAULT_AUTHORITY_HOST,
    apiHost: c.apiHost ?? env.BC_API_HOST ?? DEFAULT_API_HOST,
    warning: c.warning,
  };
}

function intOption(values, name, lo, hi) {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < lo || n > hi) throw new CliError(`--${name} must be a whole number from ${lo} to ${hi}, not ${JSON.stringify(v)}`);
  return n;
}

function dateOption(values, name) {
  const v = values[name];
  if (v === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new CliError(`--${name} must be a date written YYYY-MM-DD, not ${JSON.stringify(v)}`);
  return v;
}

// ------------------------------------------------------------------------------------------
// Progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise.

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
function fmtDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function createProgressReporter(stream, { tty = Boolean(stream.isTTY), quiet = false, now = () => Date.now(), intervalMs } = {}) {
  let last = null; // last 'page'-like event
  let retries = 0;
  let drawnAt = 0;
  let drawn = false;
  const every = intervalMs ?? (tty ? 100 : 2000);
  const line = (e) => {
    const p = e.progress ?? {};
    const parts = [];
    const total = p.remainingPages != null ? p.pages + p.remainingPages : null;
    if (tty) {
      const width = 20;
      const done = total ? Math.min(width, Math.round((p.pages / total) * width)) : 0;
      parts.push(total ? `[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${Math.floor((100 * p.pages) / total)}%` : '[ reading… ]');
    }
    parts.push(total ? `${fmtInt(p.pages)}/${fmtInt(total)} pages` : `${fmtInt(p.pages ?? 0)} pages`);
    parts.push(`${fmtInt(p.documents ?? 0)} invoices`);
    if (p.companiesTotal != null) parts.push(`companies ${p.companiesDone}/${p.companiesTotal}${p.companiesFailed ? ` (${p.companiesFailed} failed)` : ''}`);
    if (retries) parts.push(`${retries} ${retries === 1 ? 'retry' : 'retries'}`);
    if (e.etaMs != null) parts.push(`ETA ${fmtDuration(e.etaMs)}`);
    return parts.join(' · ');
  };
  const clear = () => { if (tty && drawn) { stream.write('\r\x1b[K'); drawn = false; } };
  const say = (text) => { if (quiet) return; clear(); stream.write(`${text}\n`); };
  const draw = (force) => {
    if (quiet || !last) return;
    const t = now();
    if (!force && t - drawnAt < every) return;
    drawnAt = t;
    if (tty) { stream.write(`\r\x1b[K${line(last)}`); drawn = true; } else stream.write(`sync: ${line(last)}\n`);
  };
  return {
    onEvent(e) {
      switch (e.type) {
        case 'start':
          say(e.resumed ? `sync: resuming run ${e.run} (${fmtInt(e.replayedPages)} pages already read), window from ${e.windowStart}` : `sync: run ${e.run}, window from ${e.windowStart}`);
          break;
        case 'companies':
          say(`sync: ${e.progress.companiesTotal} ${e.progress.companiesTotal === 1 ? 'company' : 'companies'} to read`);
          break;
        case 'page':
          last = e;
          draw(false);
          break;
        case 'retry':
        case 'taskRetry':
          retries += 1;
          break;
        case 'narrowed':
          if (!tty) say(`sync: ${e.message}`);
          break;
        case 'companyDone':
          if (!tty) say(`sync: company ${e.companyId} done`);
          break;
        case 'companyFailed':
          say(`sync: company ${e.companyId} FAILED: ${e.error.message}`);
          break;
        case 'usersFailed':
          say(`sync: users FAILED: ${e.error.message}`);
          break;
        case 'done':
          if (last) { last = { ...last, progress: e.progress, etaMs: null }; draw(true); }
          clear();
          break;
        default:
      }
    },
    end() { clear(); },
  };
}

// ------------------------------------------------------------------------------------------

function describeChanges(c) {
  return `${fmtInt(c.added)} added, ${fmtInt(c.changed)} changed, ${fmtInt(c.removed)} removed, ${fmtInt(c.unchanged)} unchanged`;
}

function exitCodeFor(err) {
  const code = err?.code ?? '';
  if (code.startsWith('AUTH_') || ACCESS_CODES.has(code)) return EXIT.AUTH;
  if (code === 'CONFIG_INVALID' || /^(INVALID_|MISSING_|CHECKPOINT_|STATE_|RULE_|CATALOG_)/.test(code)) return EXIT.USAGE;
  return EXIT.FAILURE;
}

/**
 * The sync behind `sync` and `demo`: runs it against `credentials` and writes DIR. Returns the
 * exit code. `extra.runInfo` is merged into run.json; `extra.signal` stops the sync (the
 * checkpoint keeps what was read). `exiting`: the process ends when this returns (the engine is
 * not freed).
 */
export async function runSyncCommand(values, { stderr = process.stderr, credentials, command = 'sync', signal, fetch, clientOptions, syncOptions = {}, now = () => Date.now(), runInfo = {}, core: givenCore, exiting = false } = {}) {
  const outDir = resolve(values.out ?? 'bc-spend-out');
  const checkpointPath = resolve(values.checkpoint ?? join(outDir, 'checkpoint.json'));
  // BC's limits are the core's; without --concurrency the plan keeps BC's limit in flight.
  const core = givenCore ?? await loadSyncCore();
  const limits = core.bcLimits();
  const concurrency = intOption(values, 'concurrency', 1, limits.maxConcurrency);
  const pageSize = intOption(values, 'page-size', 1, limits.maxPageSize);
  const since = dateOption(values, 'since');
  const connectedAt = dateOption(values, 'connected-at') ?? todayUtc(new Date(now()));
  const companies = values.companies?.flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
  if (values.companies && !companies.length) throw new CliError('--companies must name at least one company');
  const reportOptions = await reportOptionsFrom(values, new Date(now()));
  const engineOptions = { lineMode: values['line-mode'] ?? 'invoice' };
  if (values.rules) engineOptions.rules = await readJsonFile(values.rules, 'rules file');
  if (values.catalog) engineOptions.catalog = await readJsonFile(values.catalog, 'catalog file');
  if (values['default-currency']) engineOptions.defaultCurrency = values['default-currency'];
  const sync = {
    connectedAt,
    creditMemos: Boolean(values['credit-memos']),
    ...(concurrency ? { concurrency } : {}),
    ...(since ? { windowStart: since } : {}),
    ...(companies ? { companies } : {}),
    ...(pageSize ? { pageSize } : {}),
    ...(values['split-running'] ? { splitRunning: true } : {}),
    ...syncOptions,
  };

  const quiet = Boolean(values.quiet);
  if (credentials.warning && !quiet) stderr.write(`warning: ${credentials.warning}\n`);
  let credential;
  try {
    credential = createClientCredentials({ tenantId: credentials.tenantId, clientId: credentials.clientId, clientSecret: credentials.clientSecret, authorityHost: credentials.authorityHost, ...(fetch ? { fetch } : {}) });
  } catch (e) {
    throw new CliError(e.message, exitCodeFor(e));
  }

  // One run per output directory and per checkpoint (they differ with --checkpoint): held from
  // before the checkpoint is read until the last output is written.
  const onTakeover = (message) => { if (!quiet) stderr.write(`${command}: ${message}\n`); };
  const locks = [];
  try {
    await mkdirPrivate(outDir);
    await mkdirPrivate(dirname(checkpointPath));
    locks.push(acquireLock(join(outDir, OUT_LOCK), { what: `the output directory ${outDir}`, command, onTakeover }));
    locks.push(acquireLock(`${checkpointPath}.lock`, { what: `the checkpoint ${checkpointPath}`, command, onTakeover }));
    // Under the locks, a temp file of these files belongs to a run that is gone.
    await removeStaleTempFiles(outDir, (name) => OUTPUT_FILES.has(name));
    await removeStaleTempFiles(dirname(checkpointPath), (name) => isCheckpointFile(basename(checkpointPath), name));
    return await syncLocked();
  } catch (e) {
    const full = diskFull(e);
    if (full) throw new CliError(diskFullMessage(full, e, outDir, checkpointPath), EXIT.FAILURE);
    throw e;
  } finally {
    for (const lock of locks.reverse()) lock.release();
  }

  async function syncLocked() {
    const store = await openCheckpointFile(checkpointPath);
    let checkpoint = null;
    try {
      if (values.fresh) await removeCheckpoint(checkpointPath);
      else checkpoint = await store.load();
    } catch (e) {
      await store.close();
      throw new CliError(`${e.message} (or run with --fresh)`, EXIT.USAGE);
    }

    const progress = createProgressReporter(stderr, { quiet });
    const startedAt = new Date(now()).toISOString();
    let summary;
    // The outputs are written before the checkpoint that ends the run: a run killed while it
    // writes them is resumed, and its change report computed again, instead of being lost.
    const writeRunOutputs = async ({ engine, outcome, stats, engineOptions: runEngineOptions }) => {
      summary = engine.summary();
      const run = {
        format: 'bc-spend-run',
        version: 1,
        command,
        // What Engine.fromState(run.engineOptions, state.bcs) needs to rebuild this engine.
        engineOptions: runEngineOptions,
        reportOptions,
        connection: { tenantId: credentials.tenantId, environment: credentials.environment, apiHost: credentials.apiHost },
        run: { number: outcome.run, resumed: outcome.resumed, startedAt, finishedAt: new Date(now()).toISOString(), complete: outcome.complete, windowStart: outcome.windowStart },
        companies: outcome.companies,
        notFound: outcome.notFound,
        users: { status: outcome.users, error: outcome.usersError },
        changes: outcome.changes,
        stats: { requests: stats.requests, retries: stats.retries, throttled: stats.throttled, pages: stats.pages, replayedPages: stats.replayed, bytes: stats.bytes, elapsedMs: stats.elapsedMs, peakInFlight: stats.peakInFlight },
        checkpoint: checkpointPath,
        ...runInfo,
      };
      // An output whose inputs did not change since the run that wrote it (the core's keys,
      // recorded in run.json) is kept, not built again: a run that changed nothing matches
      // nothing and writes no transaction.
      const previous = await previousOutputs(outDir);
      const keys = withReportOptions(() => engine.outputKeys(reportOptions));
      const files = await writeOutputs(engine, outDir, { 'summary.json': summary }, { previous, keys });
      // The spend report (report.json): its single call site in sync and demo.
      files['report.json'] = await writeReport(engine, outDir, reportOptions, { previous, keys });
      // Nothing below reads a transaction: the ones built for the files above (the largest part
      // of the engine's memory, ~100 MB at 100,000 invoices) are freed before the state is
      // encoded, which then reuses their memory instead of growing it (wasm memory never
      // shrinks, so the two together were the run's peak RSS).
      engine.releaseBuilt();
      // The state too: the file an earlier run wrote for this engine's state key (recorded in
      // run.json with its digest) holds the bytes an export would give, so a run that changed
      // nothing neither exports nor writes it (the export was the largest cost of such a run).
      const statePath = join(outDir, STATE_FILE);
      const stateKey = engine.stateKey();
      const keptState = previous?.[STATE_FILE];
      let stateDigest;
      let stateBytes = 0;
      if (typeof keptState?.sha256 === 'string' && await keptOutput(statePath, stateKey, previous)) {
        stateDigest = keptState.sha256;
        stateBytes = keptState.size;
      } else {
        const hash = createHash('sha256');
        await writeChunksAtomic(statePath, (function* () {
          for (const piece of stateChunks(core, engine)) {
            hash.update(piece);
            stateBytes += piece.length;
            yield piece;
          }
        })());
        stateDigest = hash.digest('hex');
      }
      files[STATE_FILE] = { ...(await outputRecord(statePath, stateKey)), sha256: stateDigest };
      // The run's last checkpoint saves this same state (nothing changes the engine between
      // here and there): one export, and one copy on disk (checkpoint-store.js, stateAt).
      store.stateAt(statePath);
      // 0.1 wrote the state as state.json (version 1 text): read through the checkpoint, which
      // links the same file, it is replaced by state.bcs, so the dashboard never finds two.
      await rm(join(outDir, LEGACY_STATE_FILE), { force: true });
      run.state = { file: STATE_FILE, version: 2, bytes: stateBytes, sha256: stateDigest };
      // Last, so that a run killed before it leaves the older record, which the files written
      // since no longer match.
      await writeAtomic(join(outDir, 'run.json'), `${JSON.stringify({ ...run, outputs: files }, null, 2)}\n`);
    };
    let result;
    try {
      result = await runSync({
        core,
        credential,
        apiHost: credentials.apiHost,
        tenantId: credentials.tenantId,
        environment: credentials.environment,
        ...(fetch ? { fetch } : {}),
        clientOptions: { ...clientOptions },
        engineOptions,
        sync,
        checkpoint,
        saveCheckpoint: (u) => store.save(u),
        beforeCommit: writeRunOutputs,
        onProgress: progress.onEvent,
        signal,
        now,
      });
    } catch (e) {
      progress.end();
      if (diskFull(e)) throw e;
      if (e?.code === 'ABORTED') throw new CliError(`interrupted; the checkpoint ${checkpointPath} keeps what was read: run the same command again to resume`, EXIT.FAILURE);
      if (/^CHECKPOINT_/.test(e?.code ?? '')) throw new CliError(`${e.message} (checkpoint ${checkpointPath}; --fresh starts over)`, EXIT.USAGE);
      if (e instanceof BcSpendError || e?.code) throw new CliError(e.message, exitCodeFor(e));
      throw e;
    } finally {
      await store.close();
    }

    const { engine, outcome, stats } = result;
    try {
      if (!quiet) {
        const lines = [formatSummary(summary)];
        for (const c of outcome.companies) {
          lines.push(`company ${c.name}: ${c.status === 'done' ? `${c.invoices} read, ${fmtInt(c.documents)} documents in ${fmtInt(c.pages)} pages` : `FAILED (${c.error?.code}): ${c.error?.message}`}`);
        }
        for (const n of outcome.notFound) lines.push(`company ${JSON.stringify(n)}: not found in ${credentials.environment}`);
        if (outcome.users === 'failed') lines.push(`users: FAILED (${outcome.usersError?.code}): ${outcome.usersError?.message}`);
        lines.push(`changes since the last run: ${describeChanges(outcome.changes)}`);
        lines.push(`${fmtInt(stats.requests)} requests (${fmtInt(stats.retries)} retried) in ${fmtDuration(stats.elapsedMs)}; wrote ${outDir}`);
        stderr.write(`${lines.join('\n')}\n`);
      }
      return outcome.complete ? EXIT.OK : EXIT.PARTIAL;
    } finally {
      // When the process ends with the command (`exiting`, from bin/bc-spend), the engine is
      // left to the exit: freeing it walks every document and text it holds (90-160 ms at
      // 30,000 invoices) to hand back memory that the exit hands back anyway, and the engine
      // holds nothing else (no file, no lock, nothing to flush: the outputs and the checkpoint
      // were written above).
      if (!exiting) engine.free();
    }
  }
}

/** The engine's state in --out, and the name bc-spend 0.1 gave it (version 1 JSON text). */
export const STATE_FILE = 'state.bcs';
const LEGACY_STATE_FILE = 'state.json';

/** The lock of an output directory (the checkpoint's is CHECKPOINT.lock). */
const OUT_LOCK = '.bc-spend.lock';

/** The files sync writes to --out (their temp files are `NAME.tmp-PID`). */
const OUTPUT_FILES = new Set(['transactions.json', 'transactions.csv', 'users.json', 'diagnostics.json', 'summary.json', 'run.json', STATE_FILE, LEGACY_STATE_FILE, 'report.json']);

/** Whether `name` is one of the checkpoint `base`'s files: the header, a state or a journal. */
function isCheckpointFile(base, name) {
  return name === base || (name.startsWith(`${base}.g`) && (name.endsWith('.state.bcs') || name.endsWith('.state.json') || name.endsWith('.journal')));
}

/**
 * Removes `NAME.tmp-PID` files left by a run that was killed or hit a full disk, for the NAMEs
 * `ours` accepts and PIDs no longer running (the caller holds the locks, so no other bc-spend
 * writes these names; a running pid may be another program's temp file and is left alone).
 */
async function removeStaleTempFiles(dir, ours) {
  for (const name of await readdir(dir).catch(() => [])) {
    const m = /^(.*)\.tmp-(\d+)$/.exec(name);
    if (m && ours(m[1]) && Number(m[2]) !== process.pid && !processAlive(Number(m[2]))) await rm(join(dir, name), { force: true });
  }
}

/** The file-system error behind `e` when it is a full disk (or quota), else null. */
function diskFull(e) {
  for (let x = e, depth = 0; x && depth < 5; x = x.cause, depth++) {
    if (x.code === 'ENOSPC' || x.code === 'EDQUOT') return x;
  }
  return null;
}

function diskFullMessage(full, e, outDir, checkpointPath) {
  // The checkpoint save failed: the disk of the checkpoint; else the outputs' (which may be it).
  const where = e?.code === 'CHECKPOINT_SAVE_FAILED' ? dirname(checkpointPath) : outDir;
  const what = full.code === 'EDQUOT' ? 'the disk quota is used up' : 'no space left';
  return `${what} on the disk that holds ${where} (${full.code}). Free space there, then run the same command again: it resumes `
    + `where it stopped, and nothing read so far is lost (the checkpoint ${checkpointPath} keeps every page saved before the disk filled).`;
}

async function removeCheckpoint(path) {
  const dir = resolve(path, '..');
  const base = path.slice(dir.length + 1);
  const names = await readdir(dir).catch(() => []);
  for (const n of names) {
    if (isCheckpointFile(base, n)) await rm(join(dir, n), { force: true });
  }
}

export async function syncCommand(values, positionals, { stderr = process.stderr, stdout = process.stdout, env = process.env, signal, exiting = false } = {}) {
  if (values.help) {
    stdout.write(SYNC_HELP);
    return EXIT.OK;
  }
  if (positionals.length) throw new CliError(`sync takes no positional arguments (got ${positionals.map((p) => JSON.stringify(p)).join(' ')})\n\n${SYNC_HELP}`);
  const credentials = await readCredentials(values, env);
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runSyncCommand(values, { stderr, credentials, signal: controller.signal, exiting });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
