// `bc-spend emulator`: serves the Business Central emulator (www/emulator) on loopback.
import { runEmulatorCli } from '../emulator/cli.js';

export const EMULATOR_HELP = `Usage: bc-spend emulator [--port N] [--host 127.0.0.1] [--seed S] [--invoices N]
                          [--companies N] [--latency MS] [--credentials-out FILE]

Serves a local Microsoft Entra token endpoint and Business Central API (v2.0 and automation
users) with seeded demo data, on loopback, until Ctrl+C. Point "bc-spend sync" at it with
BC_AUTHORITY_HOST and BC_API_HOST (printed) and the credentials written by --credentials-out:
  bc-spend emulator --port 8080 --credentials-out creds.json &
  BC_AUTHORITY_HOST=http://127.0.0.1:8080 BC_API_HOST=http://127.0.0.1:8080 \\
    bc-spend sync --credentials creds.json --connected-at 2026-11-01
`;

export const EMULATOR_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  seed: { type: 'string' },
  invoices: { type: 'string' },
  companies: { type: 'string' },
  latency: { type: 'string' },
  'credentials-out': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export async function emulator(values, positionals, { stdout = process.stdout, stderr = process.stderr, signal, onReady } = {}) {
  if (values.help) {
    stdout.write(EMULATOR_HELP);
    return 0;
  }
  const argv = [];
  for (const [k, v] of Object.entries(values)) if (v !== undefined && k !== 'help') argv.push(`--${k}`, String(v));
  argv.push(...positionals);
  return runEmulatorCli(argv, { stdout, stderr, signal, onReady });
}
