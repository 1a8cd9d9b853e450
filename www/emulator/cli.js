// `bc-spend emulator`: serve the emulator on loopback until SIGINT/SIGTERM.
// The client secret is never printed: --credentials-out FILE writes it (mode 0600) with the
// other connection values.

import { writeFile, chmod } from 'node:fs/promises';
import { startEmulator } from './index.js';

const USAGE = `usage: bc-spend emulator [--port N] [--host 127.0.0.1] [--seed S] [--invoices N] [--companies N]
                          [--latency MS] [--credentials-out FILE]

Serves a local Microsoft Entra token endpoint and Business Central API (v2.0 + automation users)
with a deterministic demo data set. Loopback only. Stop with Ctrl-C.

  --port N                 port to listen on (default: a free port)
  --host H                 127.0.0.1 (default), ::1 or localhost
  --seed S                 data set seed (default 1)
  --invoices N             purchase invoices across all companies (default 10000)
  --companies N            companies, 1 to 6 (default 3)
  --latency MS             added latency per request (default 0)
  --credentials-out FILE   write tenantId, environment, clientId, clientSecret, authorityHost and
                           apiHost as JSON to FILE (mode 0600); the secret is never printed
`;

function parseArgs(argv) {
  const out = {};
  const ints = { '--port': 'port', '--seed': 'seed', '--invoices': 'invoices', '--companies': 'companies', '--latency': 'latency' };
  for (let k = 0; k < argv.length; k++) {
    let a = argv[k]; let v;
    if (a === '-h' || a === '--help') { out.help = true; continue; }
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    if (ints[a]) {
      v ??= argv[++k];
      if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${a} needs a non-negative integer, got '${v ?? ''}'`);
      out[ints[a]] = Number(v);
    } else if (a === '--credentials-out' || a === '--host') {
      v ??= argv[++k];
      if (!v) throw new Error(`${a} needs a value`);
      out[a === '--host' ? 'host' : 'credentialsOut'] = v;
    } else throw new Error(`unknown option '${a}'`);
  }
  return out;
}

// Returns the exit code once the emulator has stopped. `io.signal` (an AbortSignal) stops it
// too, for tests; `io.onReady(emulator)` is called once it listens.
export async function runEmulatorCli(argv = [], io = {}) {
  const stdout = io.stdout ?? process.stdout; const stderr = io.stderr ?? process.stderr;
  let args;
  try { args = parseArgs(argv); } catch (e) { stderr.write(`bc-spend emulator: ${e.message}\n\n${USAGE}`); return 2; }
  if (args.help) { stdout.write(USAGE); return 0; }
  const dataset = {};
  if (args.invoices !== undefined) dataset.invoices = args.invoices;
  if (args.companies !== undefined) dataset.companies = args.companies;
  let emu;
  try {
    emu = await startEmulator({ port: args.port ?? 0, host: args.host, seed: args.seed ?? 1, dataset, latencyMs: args.latency ?? 0 });
  } catch (e) { stderr.write(`bc-spend emulator: ${e.message}\n`); return 1; }
  const c = emu.credentials;
  if (args.credentialsOut) {
    const body = JSON.stringify({ tenantId: c.tenantId, environment: c.environment, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: emu.authorityHost, apiHost: emu.apiHost }, null, 2);
    await writeFile(args.credentialsOut, `${body}\n`, { mode: 0o600 });
    await chmod(args.credentialsOut, 0o600);
  }
  const companies = emu.data.companies.map((x) => `${x.name} (${x.glSetup.localCurrencyCode || 'blank LCY'}, ${x.invoices.n} invoices)`).join('; ');
  stdout.write([
    `bc-spend emulator listening on ${emu.url}`,
    `  BC_AUTHORITY_HOST=${emu.authorityHost}`,
    `  BC_API_HOST=${emu.apiHost}`,
    `  BC_TENANT_ID=${c.tenantId}`,
    `  BC_ENVIRONMENT=${c.environment}`,
    `  BC_CLIENT_ID=${c.clientId}`,
    args.credentialsOut
      ? `  client secret: written to ${args.credentialsOut} (mode 0600)`
      : '  client secret: not printed; restart with --credentials-out FILE to have it written to FILE (mode 0600)',
    `  data: seed ${emu.data.seed}, ${companies}`,
    '  Ctrl-C to stop.',
    '',
  ].join('\n'));
  io.onReady?.(emu);

  let stop;
  await new Promise((resolve) => {
    stop = () => resolve();
    process.once('SIGINT', stop); process.once('SIGTERM', stop);
    io.signal?.addEventListener('abort', stop, { once: true });
    if (io.signal?.aborted) stop();
  });
  process.off('SIGINT', stop); process.off('SIGTERM', stop);
  await emu.close();
  stdout.write('bc-spend emulator stopped\n');
  return 0;
}
