// `bc-spend dashboard DIR [--port N]`: serves the dashboard for an output directory until stopped.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, EXIT } from './common.js';
import { serveDashboard } from './serve.js';

export const DASHBOARD_HELP = `Usage: bc-spend dashboard DIR [--port N]

Serves the dashboard for DIR (the --out directory of demo, sync or analyze: report.json,
transactions.json, users.json, ...) on http://127.0.0.1:PORT/ until stopped (Ctrl+C).
Files can also be dropped on the page. Loopback only.

Options:
  --port N     port to listen on (default: any free port)
`;

export const DASHBOARD_OPTIONS = {
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export async function dashboard(values, positionals, { stdout = process.stdout, stderr = process.stderr, signal } = {}) {
  if (values.help) {
    stdout.write(DASHBOARD_HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1) throw new CliError(`dashboard needs one directory\n\n${DASHBOARD_HELP}`);
  const dir = resolve(positionals[0]);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`cannot read ${positionals[0]}: not a directory`, EXIT.INPUT);
  let port = 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new CliError(`--port must be a number from 0 to 65535, not ${JSON.stringify(values.port)}`);
  }
  if (!existsSync(resolve(dir, 'report.json')) && !existsSync(resolve(dir, 'transactions.json'))) {
    stderr.write(`warning: ${dir} holds no report.json or transactions.json; drop files on the page instead\n`);
  }
  let server;
  try {
    server = await serveDashboard({ dataDir: dir, port });
  } catch (e) {
    if (e.code === 'EADDRINUSE') throw new CliError(`port ${port} is in use; pick another with --port or leave it out`);
    throw e;
  }
  stdout.write(`dashboard: ${server.url}\n(serving ${dir}; press Ctrl+C to stop)\n`);
  await new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop);
  });
  await server.close();
  return EXIT.OK;
}
