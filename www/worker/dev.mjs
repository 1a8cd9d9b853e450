#!/usr/bin/env node
// The Worker's local cycle from a fresh clone, against the Business Central emulator, with the
// wrangler that www/package.json pins (`npm ci` in www/ installs it; pkg/ must be built):
//
//   1. applies the D1 migrations to the local database (wrangler d1 migrations apply --local)
//   2. starts the emulator (`bc-spend emulator --credentials-out`) and writes www/worker/.dev.vars
//      from its credentials file: BC_SECRET_CONTOSO and a fresh ADMIN_TOKEN, mode 0600
//   3. starts `wrangler dev --local --test-scheduled` on 127.0.0.1, with the connection `contoso`
//      of wrangler.toml pointed at the emulator (--var BC_CONNECTIONS)
//   4. triggers the cron (GET /__scheduled), waits until every company is synced
//   5. reads the tenant's report and prints its address
//
// Then it stops both and removes .dev.vars, or with --keep serves until Ctrl-C. Everything listens
// on loopback; every wait is bounded (--timeout, default 300 s), and on any failure or signal the
// children are stopped (each runs in its own process group, workerd included).
//
//   node www/worker/dev.mjs [--keep] [--timeout SECONDS] [--state DIR]
//
// --state is wrangler's --persist-to (default www/worker/.wrangler/state, ignored by git).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = join(REPO, 'www/worker');
const WRANGLER = join(REPO, 'www/node_modules/wrangler/bin/wrangler.js');
const DEV_VARS = join(WORKER, '.dev.vars');
const MARKER = '# Written by www/worker/dev.mjs for the local emulator; it rewrites and removes this file.';
const CRON = '0 3 * * *';
// The emulator's default data set runs from 2025-09-01 to 2026-10-31: the connection starts the
// day after, and the report is as of that day (as `bc-spend demo` does).
const CONNECTED_AT = '2026-11-01';
const INVOICES = 600;

function parseArgs(argv) {
  const o = { keep: false, timeoutS: 300, state: join(WORKER, '.wrangler/state') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--keep') o.keep = true;
    else if (a === '--timeout' && /^\d+$/.test(argv[i + 1] ?? '')) o.timeoutS = Number(argv[++i]);
    else if (a === '--state' && argv[i + 1]) o.state = resolve(argv[++i]);
    else if (a === '-h' || a === '--help') { process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 20).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n'); process.exit(0); }
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  return o;
}

const say = (line) => process.stdout.write(`dev: ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free loopback port (closed again before it is handed to a child: a small race, fine locally). */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolvePort(port)); });
  });
}

const children = [];
let wroteDevVars = false;
let tmp = null;

/** Starts a child in its own process group, so that stopping it stops what it started (workerd). */
function start(name, args, { cwd = WORKER, env = {} } = {}) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { name, child, output: '', exited: null };
  child.stdout.on('data', (d) => { entry.output += d; });
  child.stderr.on('data', (d) => { entry.output += d; });
  child.on('exit', (code, signal) => { entry.exited = { code, signal }; });
  children.push(entry);
  return entry;
}

function run(name, args, options) {
  const entry = start(name, args, options);
  return new Promise((resolveRun, reject) => {
    entry.child.on('exit', (code) => (code === 0 ? resolveRun(entry.output) : reject(new Error(`${name} failed (exit ${code}):\n${entry.output}`))));
  });
}

async function stopAll() {
  for (const { child, exited } of children) {
    if (exited === null) { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ } }
  }
  const until = Date.now() + 5000;
  while (children.some((c) => c.exited === null) && Date.now() < until) await sleep(50);
  for (const { child, exited } of children) {
    if (exited === null) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } }
  }
  // A process group outlives its leader: stop what is left of each (workerd under wrangler).
  for (const { child } of children) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ } }
  if (wroteDevVars) rmSync(DEV_VARS, { force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

async function waitFor(what, deadline, probe) {
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    for (const c of children) if (c.exited && c.name !== 'migrations') throw new Error(`${c.name} stopped (${JSON.stringify(c.exited)}) while waiting for ${what}:\n${c.output.slice(-4000)}`);
    await sleep(250);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + o.timeoutS * 1000;
  if (!existsSync(join(REPO, 'pkg/workerd.js'))) throw new Error('pkg/ is not built: run `bash www/scripts/build.sh` first');
  if (!existsSync(WRANGLER)) throw new Error('wrangler is not installed: run `npm ci` in www/ (it installs the pinned wrangler)');
  if (existsSync(DEV_VARS) && !readFileSync(DEV_VARS, 'utf8').startsWith(MARKER)) {
    throw new Error(`${DEV_VARS} exists and was not written by dev.mjs: move it away first (it is not overwritten)`);
  }
  // No metrics, no banner (its update check), no cf.json download: only loopback is needed.
  const env = { WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

  say(`applying the D1 migrations (local, ${o.state})`);
  await run('migrations', [WRANGLER, 'd1', 'migrations', 'apply', 'bc-spend', '--local', '--persist-to', o.state], { env });

  tmp = mkdtempSync(join(tmpdir(), 'bc-spend-dev-'));
  const credentialsFile = join(tmp, 'emulator.json');
  const emulator = start('emulator', [join(REPO, 'www/bin/bc-spend'), 'emulator', '--host', '127.0.0.1', '--invoices', String(INVOICES), '--credentials-out', credentialsFile], { cwd: REPO });
  const emulatorUrl = await waitFor('the emulator', deadline, async () => /listening on (http:\/\/\S+)/.exec(emulator.output)?.[1]);
  const creds = JSON.parse(readFileSync(credentialsFile, 'utf8'));
  say(`emulator on ${emulatorUrl}`);

  const adminToken = randomBytes(32).toString('hex');
  writeFileSync(DEV_VARS, `${MARKER}\nADMIN_TOKEN=${adminToken}\nBC_SECRET_CONTOSO=${creds.clientSecret}\n`, { mode: 0o600 });
  wroteDevVars = true;
  const connections = {
    defaults: { environment: creds.environment, connectedAt: CONNECTED_AT, lineMode: 'invoice' },
    connections: [{ id: 'contoso', tenantId: creds.tenantId, clientId: creds.clientId, authorityHost: creds.authorityHost, apiHost: creds.apiHost }],
  };

  const [port, inspectorPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  say(`starting wrangler dev --local --test-scheduled on ${base}`);
  const wrangler = start('wrangler dev', [WRANGLER, 'dev', '--local', '--test-scheduled', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspectorPort), '--persist-to', o.state, '--show-interactive-dev-session=false',
    '--var', `BC_CONNECTIONS:${JSON.stringify(connections)}`], { env });
  const auth = { authorization: `Bearer ${adminToken}` };
  await waitFor('wrangler dev to serve', deadline, async () => (await fetch(`${base}/status`, { headers: auth })).status === 200);

  const cron = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(CRON).replace(/%20/g, '+')}`);
  if (cron.status !== 200) throw new Error(`the cron trigger answered ${cron.status}: ${await cron.text()}`);
  say('cron triggered; waiting for the company syncs');
  const tenant = await waitFor('the syncs', deadline, async () => {
    const s = await (await fetch(`${base}/status`, { headers: auth })).json();
    const c = s.connections.find((x) => x.id === 'contoso');
    if (c.status === 'failed') throw new Error(`discovery failed: ${JSON.stringify(c.error)}`);
    const failed = c.companies.find((x) => x.status === 'failed');
    if (failed) throw new Error(`company ${failed.id} failed: ${JSON.stringify(failed.error)}`);
    return c.companies.length > 0 && c.companies.every((x) => x.status === 'done') ? c : undefined;
  }).catch((e) => { throw new Error(`${e.message}\n--- wrangler dev ---\n${wrangler.output.slice(-4000)}`); });
  say(`${tenant.companies.length} companies synced: ${tenant.companies.map((x) => `${x.name ?? x.id} (${x.transactions} transactions)`).join(', ')}`);

  const reportUrl = `${base}/tenants/contoso/report?asOf=${CONNECTED_AT}`;
  const res = await fetch(reportUrl, { headers: auth });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`the report answered ${res.status}: ${body}`);
  const { report } = JSON.parse(body);
  say(`report: ${reportUrl} (200, ${report.counts?.transactions ?? '?'} transactions)`);
  if (!o.keep) {
    say('stopping (run with --keep to keep serving it)');
    return;
  }
  say(`serving until Ctrl-C; read it with:\n  curl -H "Authorization: Bearer $(sed -n 's/^ADMIN_TOKEN=//p' www/worker/.dev.vars)" "${reportUrl}"`);
  // Ctrl-C is handled below (it stops everything); here only wrangler ending by itself.
  await new Promise((resolveWait) => wrangler.child.once('exit', resolveWait));
}

let stopping = false;
const onSignal = (signal) => {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  stopAll().finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().then(
  async () => { stopping = true; await stopAll(); },
  async (e) => {
    stopping = true;
    process.stderr.write(`dev: ${e.message}\n`);
    await stopAll();
    process.exitCode = 1;
  },
);
