// Command dispatch for www/bin/bc-spend.
import { parseArgs } from 'node:util';
import { CliError, EXIT, safeStream } from './common.js';
import { redactSecrets, redactText } from '../src/errors.js';
import { ANALYZE_HELP, SHARED_OPTIONS, analyze } from './analyze.js';
import { EXPLAIN_HELP, EXPLAIN_OPTIONS, explain } from './explain.js';
import { REPORT_FLAGS, REPORT_HELP, REPORT_OPTIONS, report } from './report.js';
import { DASHBOARD_HELP, DASHBOARD_OPTIONS, dashboard } from './dashboard.js';
import { SYNC_HELP, SYNC_OPTIONS, syncCommand } from './sync.js';
import { DEMO_HELP, DEMO_OPTIONS, demo } from './demo.js';
import { EMULATOR_HELP, EMULATOR_OPTIONS, emulator } from './emulator.js';

const HELP = `bc-spend: SaaS spend from Microsoft Dynamics 365 Business Central

Usage: bc-spend COMMAND [options]

Commands:
  demo              sync a local Business Central emulator and write the report: the main
                    job, with no credentials
  sync              sync a Business Central environment (BC_TENANT_ID, BC_ENVIRONMENT,
                    BC_CLIENT_ID, BC_CLIENT_SECRET) and write the report
  emulator          serve the local Business Central emulator (for sync and tests)
  analyze PATH...   analyze saved BC API responses (files or directories)
  explain VENDOR [DESCRIPTION]
                    show how a vendor name (and line description) is matched
  report DIR        print the report of an output directory (report.json): spend, top apps,
                    renewals, insights
  dashboard DIR     serve the dashboard for an output directory (report.json, ...)
  help [COMMAND]    show help

Run "bc-spend COMMAND --help" for a command's options. Exit codes: 0 success, 1 internal error,
2 bad arguments or configuration, 3 unreadable input, 4 sign-in or access refused, 5 partial
failure (some companies failed), 6 another run holds the checkpoint or the output directory.
`;

const COMMANDS = {
  analyze: {
    help: ANALYZE_HELP,
    options: { ...SHARED_OPTIONS, ...REPORT_FLAGS, entity: { type: 'string' }, company: { type: 'string' } },
    run: analyze,
  },
  explain: { help: EXPLAIN_HELP, options: EXPLAIN_OPTIONS, run: explain },
  report: { help: REPORT_HELP, options: REPORT_OPTIONS, run: report },
  dashboard: { help: DASHBOARD_HELP, options: DASHBOARD_OPTIONS, run: dashboard },
  sync: { help: SYNC_HELP, options: SYNC_OPTIONS, run: syncCommand },
  demo: { help: DEMO_HELP, options: DEMO_OPTIONS, run: demo },
  emulator: { help: EMULATOR_HELP, options: EMULATOR_OPTIONS, run: emulator },
};

function parse(argv, options) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(e.message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export async function main(argv, io = {}) {
  const stdout = io.stdout ?? process.stdout;
  // Every message on stderr (errors, warnings, sync's progress and summary) may carry text from
  // Business Central or Entra: it is printed without terminal escapes and without anything
  // shaped like a credential, whichever command wrote it.
  const stderr = safeStream(io.stderr ?? process.stderr, (text) => redactText(text));
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const cmd = COMMANDS[rest[0]];
    stdout.write(cmd ? cmd.help : HELP);
    return EXIT.OK;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    stderr.write(`bc-spend: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  try {
    const { values, positionals } = parse(rest, cmd.options);
    return await cmd.run(values, positionals, { stdout, stderr, exiting: Boolean(io.exiting) });
  } catch (e) {
    if (e instanceof CliError) {
      stderr.write(`bc-spend ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    // The caller prints an unexpected error as it is: scrub it of credentials first.
    throw redactSecrets(e);
  }
}
