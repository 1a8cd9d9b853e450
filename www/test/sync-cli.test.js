// The sync commands of the CLI: `demo`, `sync` and `emulator`, their files and exit codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import { createProgressReporter, runSyncCommand } from '../cli/sync.js';
import { startEmulator } from '../emulator/index.js';
import { core, assertMatchesTruth, CONNECTED_AT } from './sync-support.js';

const BIN = fileURLToPath(new URL('../bin/bc-spend', import.meta.url));
let emu;
let dir;

before(async () => {
  emu = await startEmulator({ seed: 9, dataset: { invoices: 1500 } });
  dir = await mkdtemp(join(tmpdir(), 'bc-spend-sync-cli-'));
});
after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

function sink() {
  let text = '';
  return { write(s) { text += s; return true; }, get text() { return text; }, isTTY: false };
}

async function cli(argv, env) {
  const stdout = sink();
  const stderr = sink();
  const saved = {};
  for (const [k, v] of Object.entries(env ?? {})) { saved[k] = process.env[k]; if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  try {
    const code = await main(argv, { stdout, stderr });
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

async function credentialsFile(scenario, name = scenario) {
  const c = emu.scenarios[scenario];
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ tenantId: c.tenantId, environment: c.environment, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: emu.authorityHost, apiHost: emu.apiHost }), { mode: 0o600 });
  return file;
}

const NO_ENV = { BC_TENANT_ID: undefined, BC_ENVIRONMENT: undefined, BC_CLIENT_ID: undefined, BC_CLIENT_SECRET: undefined, BC_AUTHORITY_HOST: undefined, BC_API_HOST: undefined };

test('bc-spend demo: syncs the emulator over HTTP and writes a directory the dashboard can rebuild from', async () => {
  const out = join(dir, 'demo');
  const r = await cli(['demo', '--out', out, '--invoices', '1500', '--line-mode', 'line']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /demo: Business Central emulator on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.stderr, /companies 3\/3/);
  assert.match(r.stderr, /transactions: \d+ .*line mode line/);
  const files = await readdir(out);
  for (const f of ['transactions.json', 'transactions.csv', 'users.json', 'diagnostics.json', 'summary.json', 'report.json', 'run.json', 'state.bcs', 'checkpoint.json']) assert.ok(files.includes(f), f);
  assert.ok(!files.includes('state.json'));
  const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
  assert.equal(run.command, 'demo');
  assert.equal(run.run.complete, true);
  assert.equal(run.engineOptions.lineMode, 'line');
  assert.equal(run.engineOptions.windowStart, '2025-11-01');
  const state = await readFile(join(out, 'state.bcs'));
  assert.deepEqual(run.state, { file: 'state.bcs', version: 2, bytes: state.length, sha256: createHash('sha256').update(state).digest('hex') });
  const engine = core.Engine.fromState(run.engineOptions, state);
  try {
    assert.equal(`${engine.transactionsJson()}\n`, await readFile(join(out, 'transactions.json'), 'utf8'));
    assert.ok(engine.transactions().every((t) => t.lineId !== null || t.kind === 'creditMemo'));
  } finally {
    engine.free();
  }
  const help = await cli(['demo', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--serve/);
});

test('bc-spend sync: credentials from the environment, then an incremental second run', async () => {
  const c = emu.scenarios.valid;
  const env = { ...NO_ENV, BC_TENANT_ID: c.tenantId, BC_ENVIRONMENT: c.environment, BC_CLIENT_ID: c.clientId, BC_CLIENT_SECRET: c.clientSecret, BC_AUTHORITY_HOST: emu.authorityHost, BC_API_HOST: emu.apiHost };
  const out = join(dir, 'env');
  const first = await cli(['sync', '--out', out, '--connected-at', CONNECTED_AT, '--concurrency', '3'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /sync: run 1, window from 2025-11-01/);
  assert.ok(!first.stderr.includes(c.clientSecret));
  const firstText = await readFile(join(out, 'transactions.json'), 'utf8');
  const txs = JSON.parse(firstText);
  const engine = core.Engine.fromState(JSON.parse(await readFile(join(out, 'run.json'), 'utf8')).engineOptions, await readFile(join(out, 'state.bcs')));
  try {
    assertMatchesTruth(assert, engine, emu);
    assert.equal(engine.transactions().length, txs.length);
  } finally {
    engine.free();
  }
  for (const f of await readdir(out)) assert.ok(!(await readFile(join(out, f), 'utf8')).includes(c.clientSecret), `no secret in ${f}`);

  const before = new Map();
  for (const f of await readdir(out)) before.set(f, await stat(join(out, f)));
  const second = await cli(['sync', '--out', out, '--since', '2025-11-01'], env);
  assert.equal(second.code, 0, second.stderr);
  // A run that changed nothing rewrites no output whose content did not change: same inode,
  // same mtime. (run.json says when the run was; summary.json and state.bcs count what this
  // run read: their content did change.)
  const rewritten = [];
  for (const f of ['transactions.json', 'transactions.csv', 'users.json', 'diagnostics.json', 'report.json']) {
    const [a, b] = [before.get(f), await stat(join(out, f))];
    if (a.ino !== b.ino || a.mtimeMs !== b.mtimeMs) rewritten.push(f);
  }
  assert.deepEqual(rewritten, [], 'outputs rewritten by a run that changed nothing');
  assert.match(second.stderr, /sync: run 2/);
  assert.match(second.stderr, /incremental read/);
  assert.match(second.stderr, /changes since the last run: 0 added, 0 changed, 0 removed/);
  assert.equal(await readFile(join(out, 'transactions.json'), 'utf8'), firstText);
  await assertOneStateCopy(out);
});

test('bc-spend sync: the state.json an output directory of bc-spend 0.1 holds is read, then replaced by state.bcs', async () => {
  const c = emu.scenarios.valid;
  const env = { ...NO_ENV, BC_TENANT_ID: c.tenantId, BC_ENVIRONMENT: c.environment, BC_CLIENT_ID: c.clientId, BC_CLIENT_SECRET: c.clientSecret, BC_AUTHORITY_HOST: emu.authorityHost, BC_API_HOST: emu.apiHost };
  const out = join(dir, 'upgrade');
  const first = await cli(['sync', '--out', out, '--connected-at', CONNECTED_AT], env);
  assert.equal(first.code, 0, first.stderr);
  const firstText = await readFile(join(out, 'transactions.json'), 'utf8');
  // The directory as 0.1 left it: DIR/state.json, the checkpoint's base FILE.g<g>.state.json
  // (one file, hard-linked), no state.bcs. (What a v1 state holds is read by the core: its
  // tests read the committed v1 state; here it is the files' names and their replacement.)
  const base = (await readdir(out)).find((f) => /^checkpoint\.json\.g\d+\.state\.bcs$/.test(f));
  await rename(join(out, 'state.bcs'), join(out, 'state.json'));
  await rename(join(out, base), join(out, base.replace(/\.bcs$/, '.json')));
  const second = await cli(['sync', '--out', out, '--since', '2025-11-01'], env);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /sync: run 2/);
  assert.match(second.stderr, /incremental read/, 'the state of the last run was read');
  assert.match(second.stderr, /changes since the last run: 0 added, 0 changed, 0 removed/);
  assert.equal(await readFile(join(out, 'transactions.json'), 'utf8'), firstText);
  await assertOneStateCopy(out);
  assert.ok(!(await readdir(out)).some((f) => f.endsWith('.state.json')), 'no state of 0.1 is left');
});

/**
 * Counts calls of the engine methods that build an output (transactions, users, diagnostics,
 * report), for the duration of one test: a run that builds nothing calls none of them.
 */
function countBuilds() {
  const names = ['transactionsJsonPart', 'transactionsCsvPart', 'transactionsJsonPartBytes', 'transactionsCsvPartBytes', 'users', 'diagnostics', 'reportJson', 'transactions'];
  const calls = {};
  // The state's export too (`stateExport`: each piece of it).
  const saved = [...names.map((n) => [core.Engine.prototype, n, n]), [core.StateExport.prototype, 'next', 'stateExport']].map(([o, n, as]) => [o, n, as, o[n]]);
  for (const [o, n, as, f] of saved) {
    o[n] = function (...args) {
      calls[as] = (calls[as] ?? 0) + 1;
      return f.apply(this, args);
    };
  }
  return {
    take() {
      const c = { ...calls };
      for (const k of Object.keys(calls)) delete calls[k];
      return c;
    },
    restore() {
      for (const [o, n, , f] of saved) o[n] = f;
    },
  };
}

test('a run that changed nothing builds no output; after a change every output is what a full sync writes', async () => {
  const local = await startEmulator({ seed: 12, dataset: { invoices: 600 } });
  const builds = countBuilds();
  try {
    const c = local.scenarios.valid;
    const file = join(dir, 'keys-credentials.json');
    await writeFile(file, JSON.stringify({ tenantId: c.tenantId, environment: c.environment, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: local.authorityHost, apiHost: local.apiHost }), { mode: 0o600 });
    const sync = (out) => cli(['sync', '--credentials', file, '--out', out, '--connected-at', CONNECTED_AT], NO_ENV);
    const out = join(dir, 'keys');
    const OUTPUTS = ['transactions.json', 'transactions.csv', 'users.json', 'diagnostics.json', 'report.json'];
    const read = async (d) => Object.fromEntries(await Promise.all(OUTPUTS.map(async (f) => [f, await readFile(join(d, f), 'utf8')])));
    const outputsOf = async (d) => JSON.parse(await readFile(join(d, 'run.json'), 'utf8')).outputs;

    assert.equal((await sync(out)).code, 0);
    const first = builds.take();
    assert.ok(first.transactionsJsonPartBytes > 0 && first.reportJson === 1 && first.stateExport > 0, JSON.stringify(first));
    const firstOutputs = await outputsOf(out);
    const stateFile = async () => (({ ino, mtimeMs, size }) => ({ ino, mtimeMs, size }))(await stat(join(out, 'state.bcs')));
    const firstState = await stateFile();
    const runState = async () => JSON.parse(await readFile(join(out, 'run.json'), 'utf8')).state;
    for (const f of OUTPUTS) assert.match(firstOutputs[f].key, /^[0-9a-f]{32}$/, f);

    // Nothing changed in BC: nothing is built, every output keeps its key, and the state is
    // neither exported nor written (the same file, the same record in run.json, the bytes it
    // records), though this run read less than the first (a few pages again, not everything):
    // what a run read is in summary.json, not in the state. And again.
    const firstRunState = await runState();
    const firstSummary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    for (const run of ['second', 'third']) {
      const again = await sync(out);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /0 added, 0 changed, 0 removed/);
      assert.deepEqual(builds.take(), {}, `built by the ${run} run, which changed nothing`);
      assert.deepEqual(await outputsOf(out), firstOutputs, run);
      assert.deepEqual(await stateFile(), firstState, `${run} run: state.bcs rewritten`);
      assert.deepEqual(await runState(), firstRunState, run);
      assert.equal(createHash('sha256').update(await readFile(join(out, 'state.bcs'))).digest('hex'), firstRunState.sha256);
      // summary.json counts what this run read: fewer invoices than the full sync.
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      assert.ok(summary.counts.purchaseInvoices.read < firstSummary.counts.purchaseInvoices.read, `${run}: ${JSON.stringify(summary.counts.purchaseInvoices)}`);
      assert.deepEqual({ ...summary, counts: null }, { ...firstSummary, counts: null }, run);
    }

    // One invoice paid in BC: the outputs are built again and equal a full sync's of the same data.
    const [us] = local.data.companies;
    const st = local.data.companies.find((x) => x.id === us.id).invoices;
    let open = -1;
    for (let i = 0; i < st.n && open < 0; i++) if (st.status[i] === 3 && st.postingDay[i] > 20400) open = i; // 3: Open (emulator/data.js)
    assert.ok(open >= 0, 'an open invoice in the window');
    local.mutate.payInvoice(us.id, local.data.ids.guid('invoice', us.index, open));
    const paid = await sync(out);
    assert.equal(paid.code, 0, paid.stderr);
    assert.match(paid.stderr, /1 added/);
    const afterChange = builds.take();
    assert.ok(afterChange.transactionsJsonPartBytes > 0 && afterChange.stateExport > 0, 'transactions and state built after a change');
    assert.notDeepEqual(await runState(), firstRunState);
    assert.notEqual((await outputsOf(out))['transactions.json'].key, firstOutputs['transactions.json'].key);
    const full = join(dir, 'keys-full');
    assert.equal((await sync(full)).code, 0);
    assert.deepEqual(await read(out), await read(full));

    // An output edited on disk is written again, even though its inputs did not change.
    const incremental = await read(out);
    await writeFile(join(out, 'transactions.json'), '[]\n');
    builds.take();
    assert.equal((await sync(out)).code, 0);
    assert.deepEqual(Object.keys(builds.take()), ['transactionsJsonPartBytes'], 'only the edited file is built again (not even the state)');
    assert.deepEqual(await read(out), incremental);
  } finally {
    builds.restore();
    await local.close();
  }
});

/** The run's state is kept once on disk: DIR/state.bcs and the checkpoint's base are one file. */
async function assertOneStateCopy(out) {
  const names = await readdir(out);
  const bases = names.filter((f) => /^checkpoint\.json\.g\d+\.state\.(bcs|json)$/.test(f));
  assert.deepEqual(bases.filter((f) => f.endsWith('.bcs')), bases, `one base state, state.bcs: ${bases}`);
  assert.equal(bases.length, 1, `one base state: ${bases}`);
  assert.ok(!names.includes('state.json'), 'no state.json of 0.1 beside state.bcs');
  const [a, b] = [await stat(join(out, 'state.bcs')), await stat(join(out, bases[0]))];
  assert.equal(a.ino, b.ino, 'state.bcs and the checkpoint state are one inode');
  assert.equal(a.nlink, 2);
}

test("--concurrency and --page-size are bounded by BC's limits as the core gives them", async () => {
  const c = emu.scenarios.valid;
  const credentials = { tenantId: c.tenantId, environment: c.environment, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: emu.authorityHost, apiHost: emu.apiHost };
  const strict = { ...core, bcLimits: () => ({ ...core.bcLimits(), maxConcurrency: 2, maxPageSize: 50 }) };
  const refused = (values) => assert.rejects(runSyncCommand({ out: join(dir, 'limits'), ...values }, { stderr: sink(), credentials, core: strict }), (e) => e.exitCode === 2 && e.message.includes(`--${Object.keys(values)[0]}`));
  await refused({ concurrency: '3' });
  await refused({ 'page-size': '51' });
});

test("run.json keeps the engine's options as the sync plan handed them to the engine", async () => {
  const c = emu.scenarios.valid;
  const credentials = { tenantId: c.tenantId, environment: c.environment, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: emu.authorityHost, apiHost: emu.apiHost };
  const SyncPlan = Object.assign(function SyncPlan() {}, {
    withEngineOptions(...args) {
      const plan = core.SyncPlan.withEngineOptions(...args);
      const engineOptions = plan.engineOptions.bind(plan);
      plan.engineOptions = (o) => ({ ...engineOptions(o), defaultCurrency: 'CHF' });
      return plan;
    },
  });
  const out = join(dir, 'plan-options');
  const code = await runSyncCommand({ out, 'connected-at': CONNECTED_AT, companies: [emu.data.companies[0].id], 'as-of': CONNECTED_AT }, { stderr: sink(), credentials, core: { ...core, SyncPlan } });
  assert.equal(code, 0);
  const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
  assert.deepEqual(run.engineOptions, { lineMode: 'invoice', windowStart: '2025-11-01', creditMemos: false, environment: core.environmentKey(c.tenantId, c.environment), defaultCurrency: 'CHF' });
});

test('a sync whose process ends with it (bin/bc-spend) leaves its engine to the exit; one in a longer process frees it', async () => {
  const c = emu.scenarios.valid;
  const credentials = { tenantId: c.tenantId, environment: c.environment, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: emu.authorityHost, apiHost: emu.apiHost };
  const free = core.Engine.prototype.free;
  let freed = 0;
  core.Engine.prototype.free = function () { freed += 1; return free.call(this); };
  try {
    const values = { out: join(dir, 'exiting'), 'connected-at': CONNECTED_AT, companies: [emu.data.companies[0].id], quiet: true };
    assert.equal(await runSyncCommand(values, { stderr: sink(), credentials, core, exiting: true }), 0);
    assert.equal(freed, 0, 'the engine was freed by a command the process ends with');
    assert.equal(await runSyncCommand(values, { stderr: sink(), credentials, core }), 0);
    assert.equal(freed, 1);
  } finally {
    core.Engine.prototype.free = free;
  }
});

test('exit codes: 2 for configuration, 4 for sign-in and access, 5 for partial', async () => {
  const none = await cli(['sync', '--out', join(dir, 'x')], NO_ENV);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /missing BC_TENANT_ID, BC_ENVIRONMENT, BC_CLIENT_ID, BC_CLIENT_SECRET/);

  const valid = await credentialsFile('valid');
  assert.equal((await cli(['sync', '--credentials', valid, '--concurrency', '9'], NO_ENV)).code, 2);
  assert.equal((await cli(['sync', '--credentials', valid, '--since', '1 May'], NO_ENV)).code, 2);
  assert.equal((await cli(['sync', '--credentials', join(dir, 'nope.json')], NO_ENV)).code, 3);

  const wrong = await cli(['sync', '--credentials', await credentialsFile('wrongSecret'), '--out', join(dir, 'wrong'), '--connected-at', CONNECTED_AT], NO_ENV);
  assert.equal(wrong.code, 4);
  assert.match(wrong.stderr, /client secret was rejected/);
  assert.ok(!wrong.stderr.includes(emu.scenarios.wrongSecret.clientSecret));
  const bc = await cli(['sync', '--credentials', await credentialsFile('notRegisteredInBc'), '--out', join(dir, 'bc'), '--connected-at', CONNECTED_AT], NO_ENV);
  assert.equal(bc.code, 4);
  assert.match(bc.stderr, /Microsoft Entra Applications page/);

  const partialOut = join(dir, 'partial');
  const partial = await cli(['sync', '--credentials', valid, '--out', partialOut, '--connected-at', CONNECTED_AT, '--companies', 'Northwind Traders Ltd,Fabrikam'], NO_ENV);
  assert.equal(partial.code, 5, partial.stderr);
  assert.match(partial.stderr, /company "Fabrikam": not found/);
  assert.ok((await readdir(partialOut)).includes('transactions.json'), 'the others were written');
  const users = await cli(['sync', '--credentials', await credentialsFile('noAutomationPermission'), '--out', join(dir, 'users'), '--connected-at', CONNECTED_AT], NO_ENV);
  assert.equal(users.code, 5);
  assert.match(users.stderr, /users: FAILED/);

  // Another environment's checkpoint is refused, and --fresh starts over.
  const other = await cli(['sync', '--credentials', await credentialsFile('unknownEnvironment'), '--out', partialOut], NO_ENV);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /checkpoint belongs to environment .*--fresh/s);
  const fresh = await cli(['sync', '--credentials', await credentialsFile('unknownEnvironment'), '--out', partialOut, '--fresh', '--connected-at', CONNECTED_AT], NO_ENV);
  assert.equal(fresh.code, 4);
  assert.match(fresh.stderr, /environment was not found/);
});

test('bc-spend emulator serves what bc-spend sync reads', async () => {
  const creds = join(dir, 'served.json');
  const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--invoices', '600', '--credentials-out', creds], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let printed = '';
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => { printed += d; if (/Ctrl-C to stop/.test(printed)) resolve(); });
      child.on('close', (code) => reject(new Error(`emulator exited ${code}`)));
    });
    assert.match(printed, /BC_API_HOST=http:\/\/127\.0\.0\.1:\d+/);
    const secret = JSON.parse(await readFile(creds, 'utf8')).clientSecret;
    assert.ok(!printed.includes(secret), 'the secret is written to the file, never printed');
    const r = await cli(['sync', '--credentials', creds, '--out', join(dir, 'served'), '--connected-at', CONNECTED_AT, '--quiet'], NO_ENV);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(JSON.parse(await readFile(join(dir, 'served', 'transactions.json'), 'utf8')).length > 300);
  } finally {
    child.kill('SIGTERM');
  }
  const help = await cli(['emulator', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--credentials-out/);
});

test('progress: a bar redrawn in place on a terminal, plain lines otherwise', () => {
  const events = [
    { type: 'start', run: 2, resumed: true, replayedPages: 12, windowStart: '2025-11-01' },
    { type: 'companies', progress: { companiesTotal: 3 } },
    { type: 'retry' },
    ...[1, 2, 3].map((pages) => ({ type: 'page', etaMs: 65_000, progress: { pages, remainingPages: 10 - pages, documents: pages * 500, companiesTotal: 3, companiesDone: 1, companiesFailed: 0 } })),
    { type: 'companyFailed', companyId: 'c2', error: { message: 'no permission' } },
    { type: 'done', progress: { pages: 10, remainingPages: 0, documents: 4800, companiesTotal: 3, companiesDone: 2, companiesFailed: 1 } },
  ];
  let t = 0;
  const tty = sink();
  const bar = createProgressReporter(tty, { tty: true, now: () => (t += 200) });
  for (const e of events) bar.onEvent(e);
  assert.match(tty.text, /resuming run 2 \(12 pages already read\)/);
  assert.match(tty.text, /\r\x1b\[K\[#{4,}-+\] 30% · 3\/10 pages · 1,500 invoices · companies 1\/3 · 1 retry · ETA 1:05/);
  assert.match(tty.text, /company c2 FAILED: no permission\n/);
  assert.ok(tty.text.endsWith('\r\x1b[K'), 'the bar is cleared at the end');
  const plain = sink();
  t = 0;
  const lines = createProgressReporter(plain, { tty: false, now: () => (t += 2500) });
  for (const e of events) lines.onEvent(e);
  assert.ok(!plain.text.includes('\r') && !plain.text.includes('\x1b'), 'no control characters in a log');
  assert.match(plain.text, /^sync: 3\/10 pages · 1,500 invoices · companies 1\/3 · 1 retry · ETA 1:05$/m);
  const quiet = sink();
  const q = createProgressReporter(quiet, { quiet: true });
  for (const e of events) q.onEvent(e);
  assert.equal(quiet.text, '');
});
