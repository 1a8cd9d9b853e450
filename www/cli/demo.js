// `bc-spend demo`: the main job with no credentials. Starts the Business Central emulator
// in-process, syncs it through the real HTTP path (sign-in, paging, checkpoints: the same code
// as `bc-spend sync`), and writes the output directory.
import { resolve } from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { CliError, EXIT } from './common.js';
import { REPORT_FLAGS, REPORT_FLAGS_HELP } from './report.js';
import { runSyncCommand } from './sync.js';

export const DEMO_HELP = `Usage: bc-spend demo [options]

Starts a local Business Central emulator (loopback only, seeded demo data: three companies in
USD, GBP and EUR, SaaS and non-SaaS vendors, resellers, users), signs in to it and syncs it
exactly as "bc-spend sync" would a real environment, then writes transactions.json,
transactions.csv, users.json, diagnostics.json, summary.json, report.json, run.json and
state.bcs to --out, then prints the dashboard's address and serves it until Ctrl+C (when
stdout is a terminal; --no-serve writes the files and exits, --serve serves in any case).
Print the report in the terminal with "bc-spend report DIR".

Options:
  --out DIR              output directory (default: bc-spend-demo)
  --line-mode MODE       invoice (default), line or auto
  --rules FILE           customer matching rules (JSON)
  --catalog FILE         a catalog to extend the built-in one (JSON)
  --credit-memos         also read purchase credit memos
  --companies LIST       company names or ids, comma-separated (default: all)
  --invoices N           invoices in the demo data set (default 10000)
  --seed N               data set seed (default 1)
  --latency MS           added latency per request, to watch the progress (default 0)
  --connected-at DATE    first connection date (default: the day after the data set ends)
  --serve                serve the dashboard for DIR until Ctrl+C (default when stdout is a
                         terminal)
  --no-serve             write the files and exit
  --port N               the dashboard's port (default: any free port)
  --quiet                no progress and no summary on stderr
${REPORT_FLAGS_HELP}`;

export const DEMO_OPTIONS = {
  out: { type: 'string' },
  'line-mode': { type: 'string' },
  rules: { type: 'string' },
  catalog: { type: 'string' },
  'credit-memos': { type: 'boolean' },
  companies: { type: 'string', multiple: true },
  invoices: { type: 'string' },
  seed: { type: 'string' },
  latency: { type: 'string' },
  'connected-at': { type: 'string' },
  serve: { type: 'boolean' },
  'no-serve': { type: 'boolean' },
  port: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...REPORT_FLAGS,
};

function count(values, name, lo, hi, fallback) {
  const v = values[name];
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw new CliError(`--${name} must be a whole number from ${lo} to ${hi}, not ${JSON.stringify(v)}`);
  return Number(v);
}

function nextDay(iso) {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * DASHBOARD HOOK: what the demo does once DIR is written. Today: with --serve, serve the
 * dashboard for DIR until Ctrl+C (or `signal`).
 */
async function afterDemo(outDir, values, { stdout, signal }) {
  if (!values.serve) return;
  const { dashboard } = await import('./dashboard.js');
  await dashboard({ port: values.port }, [outDir], { stdout, stderr: process.stderr, signal });
}

export async function demo(values, positionals, { stdout = process.stdout, stderr = process.stderr, signal, onEmulator } = {}) {
  if (values.help) {
    stdout.write(DEMO_HELP);
    return EXIT.OK;
  }
  if (positionals.length) throw new CliError(`demo takes no positional arguments\n\n${DEMO_HELP}`);
  const invoices = count(values, 'invoices', 1, 1_000_000, 10_000);
  const seed = count(values, 'seed', 0, 2 ** 31 - 1, 1);
  const latencyMs = count(values, 'latency', 0, 60_000, 0);
  if (values.serve && values['no-serve']) throw new CliError('--serve and --no-serve contradict each other');
  // Serve the dashboard when a person is watching (stdout is a terminal) unless told otherwise.
  values = { ...values, serve: values['no-serve'] ? false : (values.serve ?? Boolean(stdout.isTTY)) };
  if (values.port !== undefined && !values.serve) throw new CliError('--port is for serving the dashboard (not with --no-serve)');

  const emu = await startEmulator({ seed, dataset: { invoices }, latencyMs });
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  process.once('SIGINT', stop);
  // SIGTERM too: the sync then stops at a page boundary and releases its output directory's lock.
  process.once('SIGTERM', stop);
  let code;
  const outDir = resolve(values.out ?? 'bc-spend-demo');
  try {
    onEmulator?.(emu);
    // The data set ends on emu.data.endDate: connect the day after, so its last year is read.
    const connectedAt = values['connected-at'] ?? nextDay(emu.data.endDate);
    const syncValues = { ...values, out: outDir, 'connected-at': connectedAt, 'as-of': values['as-of'] ?? connectedAt, fresh: true };
    delete syncValues.checkpoint;
    const credentials = { ...emu.credentials, authorityHost: emu.authorityHost, apiHost: emu.apiHost };
    if (!values.quiet) stderr.write(`demo: Business Central emulator on ${emu.url} (seed ${seed}, ${invoices.toLocaleString('en-US')} invoices)\n`);
    code = await runSyncCommand(syncValues, { stderr, credentials, command: 'demo', signal: controller.signal, runInfo: { demo: { seed, invoices, emulator: true } } });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await emu.close();
  }
  if (!values.quiet) stderr.write(`demo: print the report with "bc-spend report ${outDir}"${values.serve ? '' : `, or see it with "bc-spend dashboard ${outDir}"`}\n`);
  await afterDemo(outDir, values, { stdout, signal });
  return code;
}
