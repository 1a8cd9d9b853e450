// What `bc-spend sync` guarantees about the files it writes, tested on real processes: one run
// per checkpoint and output directory (a lock; a dead holder's lock is taken over), BC data
// written 0600 whatever the umask, a change report that survives a kill while the outputs are
// written, no temp files left behind, and a full disk that says what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import { startEmulator } from '../emulator/index.js';
import { syncEmulator, CONNECTED_AT } from './sync-support.js';

const BIN = fileURLToPath(new URL('../bin/bc-spend', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./cli-faults-preload.js', import.meta.url));
const LOCKED = 6;
let emu; // fast: for the runs that finish
let slow; // slow enough for a second process to start while the first runs
let dir;

before(async () => {
  emu = await startEmulator({ seed: 11, dataset: { invoices: 600 } });
  slow = await startEmulator({ seed: 3, dataset: { invoices: 1200 }, latencyMs: 40 });
  dir = await mkdtemp(join(tmpdir(), 'bc-spend-safety-'));
});
after(async () => {
  await emu.close();
  await slow.close();
  await rm(dir, { recursive: true, force: true });
});

async function credentialsFile(e, name) {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ ...e.credentials, authorityHost: e.authorityHost, apiHost: e.apiHost }), { mode: 0o600 });
  return file;
}

const syncArgs = (creds, out, more = []) => ['sync', '--credentials', creds, '--out', out, '--connected-at', CONNECTED_AT, '--as-of', CONNECTED_AT, '--quiet', ...more];

/** A real `bc-spend` process; `umask` runs it under that umask, `fault` under the preload. */
function start(args, { umask, fault } = {}) {
  const node = [...(fault ? ['--import', PRELOAD] : []), BIN, ...args];
  const env = { ...process.env, ...(fault ? { BC_SPEND_TEST_FAULT: fault } : {}) };
  const child = umask === undefined
    ? spawn(process.execPath, node, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, ...node], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((r) => child.on('close', (code, signal) => r({ code, signal, get stderr() { return stderr; } })));
  return { child, done, get stderr() { return stderr; } };
}

const run = (args, opts) => start(args, opts).done;

/** Waits until the checkpoint's journal holds `n` pages (the run is well under way). */
async function journaled(ck, n, proc) {
  for (let i = 0; ; i++) {
    const text = await readFile(ck, 'utf8').catch(() => null);
    try { if (text && JSON.parse(text).journal.entries >= n) return; } catch { /* being replaced */ }
    if (proc && proc.child.exitCode !== null) assert.fail(`the sync ended before journaling ${n} pages: ${proc.stderr}`);
    assert.ok(i < 6000, 'the sync makes progress');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function cleanTransactions(e) {
  const { engine } = await syncEmulator(e, {});
  try {
    return `${engine.transactionsJson()}\n`;
  } finally {
    engine.free();
  }
}

function sink() {
  let text = '';
  return { write(s) { text += s; return true; }, get text() { return text; }, isTTY: false };
}

async function cli(argv) {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr });
  return { code, stderr: stderr.text };
}

/** The pid of a process that has ended (for a lock or temp file left by a dead run). */
async function deadPid() {
  const p = start(['--version']);
  await p.done;
  return p.child.pid;
}

const tempFiles = async (d) => (await readdir(d)).filter((n) => /\.tmp-\d+$/.test(n));

// ------------------------------------------------------------------------------ 1. the lock

test('two overlapping syncs on one checkpoint, both killed, then a resume: every invoice, once', async () => {
  const creds = await credentialsFile(slow, 'slow');
  const out = join(dir, 'overlap');
  const args = syncArgs(creds, out, ['--page-size', '5', '--concurrency', '1']);
  const ck = join(out, 'checkpoint.json');
  const first = start(args);
  let second;
  try {
    await journaled(ck, 3, first);
    second = start(args); // a cron run that overlaps the first
    const header = JSON.parse(await readFile(ck, 'utf8'));
    // Both run (or the second is refused) until the first is well past where the second began.
    const progressed = journaled(ck, header.journal.entries + 40, first);
    progressed.catch(() => {}); // settles when the first run is killed, if the second won the race
    await Promise.race([second.done, progressed]);
    await journaled(ck, header.journal.entries + 10, first);
    assert.equal(first.child.exitCode, null, 'the first run is still running');
    first.child.kill('SIGKILL');
    second.child.kill('SIGKILL');
    await first.done;
    const refused = await second.done;
    // The second run was refused before it touched the checkpoint, naming who holds it.
    assert.equal(refused.code, LOCKED, `the second run is refused: ${refused.signal ?? ''} ${refused.stderr}`);
    assert.match(refused.stderr, /CHECKPOINT_LOCKED/);
    assert.match(refused.stderr, new RegExp(`pid ${first.child.pid} on ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, started \\d{4}-\\d\\d-\\d\\dT`));

    // The restart: takes over the dead run's lock, says so, and ends with every invoice.
    const resumed = await run(args.filter((a) => a !== '--quiet'));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`took over the lock .* left by pid ${first.child.pid} .*no longer running`));
    assert.match(resumed.stderr, /resuming run 1/);
    assert.equal(await readFile(join(out, 'transactions.json'), 'utf8'), await cleanTransactions(slow));
    assert.deepEqual((await readdir(out)).filter((n) => n.endsWith('.lock')), [], 'the lock is released at the end');

    // SIGTERM (and Ctrl+C): the run stops at a page boundary and releases its locks.
    const fresh = args.concat('--fresh');
    const stopped = start(fresh);
    await journaled(ck, 3, stopped);
    stopped.child.kill('SIGTERM');
    const r = await stopped.done;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /interrupted; the checkpoint .* keeps what was read/);
    assert.deepEqual((await readdir(out)).filter((n) => n.includes('.lock')), [], 'released on SIGTERM');
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
  }
});

test('a live run holds the checkpoint and the output directory; a dead or unreadable lock is taken over', async () => {
  const creds = await credentialsFile(emu, 'fast');
  const out = join(dir, 'locks');
  await mkdir(out, { recursive: true });
  const since = '2026-12-07T00:17:00.000Z';
  const lock = (pid, host = hostname()) => JSON.stringify({ pid, host, startedAt: since, command: 'sync' });

  // pid 1 is always alive: a run on this host that still holds the output directory.
  await writeFile(join(out, '.bc-spend.lock'), lock(1));
  let r = await cli(syncArgs(creds, out, ['--checkpoint', join(dir, 'elsewhere', 'ck.json')]));
  assert.equal(r.code, LOCKED, r.stderr);
  assert.match(r.stderr, /CHECKPOINT_LOCKED/);
  assert.match(r.stderr, new RegExp(`output directory ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another bc-spend run: pid 1 on .*, started ${since}`));

  // A run on another host cannot be checked from here: refused, with what to do.
  await writeFile(join(out, '.bc-spend.lock'), lock(4242, 'build-7.example'));
  r = await cli(syncArgs(creds, out));
  assert.equal(r.code, LOCKED, r.stderr);
  assert.match(r.stderr, /pid 4242 on build-7\.example/);
  assert.match(r.stderr, /remove .*\.bc-spend\.lock/);

  // The same checkpoint from another output directory.
  await rm(join(out, '.bc-spend.lock'));
  await writeFile(join(out, 'checkpoint.json.lock'), lock(1));
  r = await cli(syncArgs(creds, join(dir, 'locks-other'), ['--checkpoint', join(out, 'checkpoint.json')]));
  assert.equal(r.code, LOCKED, r.stderr);
  assert.match(r.stderr, /the checkpoint .*checkpoint\.json is in use by another bc-spend run: pid 1 on/);

  // Dead holders: taken over, with a message; nothing is left locked afterwards.
  const dead = await deadPid();
  await writeFile(join(out, 'checkpoint.json.lock'), lock(dead));
  await writeFile(join(out, '.bc-spend.lock'), '{"pid":'); // a crash while it was written
  const old = new Date(Date.now() - 3_600_000);
  const { utimes } = await import('node:fs/promises');
  await utimes(join(out, '.bc-spend.lock'), old, old);
  r = await cli(syncArgs(creds, out).filter((a) => a !== '--quiet'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`took over the lock .*checkpoint\\.json\\.lock left by pid ${dead} on .*, started ${since}, which is no longer running`));
  assert.match(r.stderr, /took over the lock .*\.bc-spend\.lock/);
  assert.deepEqual((await readdir(out)).filter((n) => n.includes('.lock')), []);
});

// ------------------------------------------------------------------------------ 3. file modes

test('files holding BC data are 0600 and a created output directory 0700, whatever the umask', async () => {
  const creds = await credentialsFile(slow, 'slow-modes');
  const out = join(dir, 'modes', 'out');
  const args = syncArgs(creds, out, ['--page-size', '20']);
  const ck = join(out, 'checkpoint.json');
  const mode = async (p) => (await stat(p)).mode & 0o777;

  // Mid-run: the checkpoint and the journal of raw BC pages.
  const p = start(args, { umask: '000' });
  try {
    await journaled(ck, 3, p);
    assert.equal(await mode(out), 0o700, 'the output directory bc-spend created');
    const names = await readdir(out);
    const journal = names.find((n) => n.endsWith('.journal'));
    assert.ok(journal, names.join(' '));
    assert.equal(await mode(join(out, journal)), 0o600, journal);
    assert.equal(await mode(ck), 0o600, 'checkpoint.json');
    // A journal from an older bc-spend, world-readable: its next append makes it private.
    p.child.kill('SIGKILL');
    await p.done;
    await chmod(join(out, journal), 0o644);
    await chmod(out, 0o755); // the user's choice for a directory that exists: left alone
  } finally {
    p.child.kill('SIGKILL');
  }
  const resumed = start(args, { umask: '000' });
  const journalFile = join(out, (await readdir(out)).find((n) => n.endsWith('.journal')));
  const before = (await readFile(ck, 'utf8'));
  while ((await readFile(ck, 'utf8').catch(() => before)) === before && resumed.child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  const journalMode = await mode(journalFile).catch(() => 0o600); // gone if the run already ended
  const r = await resumed.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(journalMode, 0o600, 'a journal appended to is made private');

  const files = await readdir(out);
  for (const name of ['transactions.json', 'transactions.csv', 'users.json', 'diagnostics.json', 'summary.json', 'report.json', 'run.json', 'state.bcs', 'checkpoint.json']) {
    assert.ok(files.includes(name), name);
  }
  for (const name of files) assert.equal(await mode(join(out, name)), 0o600, `${name} is private`);
  assert.equal(await mode(out), 0o755);
});

// ------------------------------------------------------------------------------ 4. change report

test('an incremental run killed while it writes its outputs still reports what changed', async () => {
  const local = await startEmulator({ seed: 5, dataset: { invoices: 600 } });
  try {
    const creds = await credentialsFile(local, 'local');
    const out = join(dir, 'changes');
    const args = syncArgs(creds, out, ['--page-size', '100']);
    const first = await run(args);
    assert.equal(first.code, 0, first.stderr);

    const de = local.data.companies[2];
    local.mutate.addInvoices(4, { companyId: de.id, status: 'Paid' });
    // Killed between two output files: transactions.json is new, run.json is not written.
    const killed = await run(args, { fault: 'kill-at-rename:run.json' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);

    const again = await run(args);
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
    assert.equal(report.changes.added, 4, `the four newly paid invoices are reported: ${JSON.stringify(report.changes)}`);
    assert.equal(await readFile(join(out, 'transactions.json'), 'utf8'), await cleanTransactions(local));
    assert.deepEqual(await tempFiles(out), [], 'the killed run\'s temp file is cleaned up');
  } finally {
    await local.close();
  }
});

// ------------------------------------------------------------------------------ 5. leftovers

test('temp files of dead runs are removed at start; a live process\'s are left alone', async () => {
  const creds = await credentialsFile(emu, 'fast-tmp');
  const out = join(dir, 'leftovers');
  await mkdir(out, { recursive: true });
  const dead = await deadPid();
  const stale = [`transactions.json.tmp-${dead}`, `checkpoint.json.tmp-${dead}`, `checkpoint.json.g1.state.bcs.tmp-${dead}`, `checkpoint.json.g1.state.json.tmp-${dead}`, `state.bcs.tmp-${dead}`, `state.json.tmp-${dead}`];
  for (const n of stale) await writeFile(join(out, n), 'half a file');
  await writeFile(join(out, 'users.json.tmp-1'), 'pid 1 is alive'); // not ours to remove
  await writeFile(join(out, `notes.txt.tmp-${dead}`), 'not a bc-spend file');
  const r = await cli(syncArgs(creds, out));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await tempFiles(out)).sort(), ['users.json.tmp-1', `notes.txt.tmp-${dead}`].sort());
});

test('a full disk says what to do, leaves no temp file, and the next run resumes', async () => {
  const creds = await credentialsFile(emu, 'fast-enospc');
  const clean = await cleanTransactions(emu);
  for (const [where, fault] of [['journal', 'enospc:\\.journal$:6'], ['outputs', 'enospc:^transactions\\.json\\.tmp-:2']]) {
    const out = join(dir, `full-${where}`);
    const args = syncArgs(creds, out, ['--page-size', '50']);
    const full = await run(args, { fault });
    assert.equal(full.code, 1, full.stderr);
    assert.match(full.stderr, new RegExp(`no space left on the disk that holds ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), where);
    assert.match(full.stderr, /free space there, then run the same command again: it resumes/i, where);
    assert.match(full.stderr, /nothing read so far is lost/, where);
    assert.doesNotMatch(full.stderr, /--fresh/, where);
    assert.deepEqual(await tempFiles(out), [], where);
    const resumed = await run(args.filter((a) => a !== '--quiet'));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming run 1/, where);
    assert.equal(await readFile(join(out, 'transactions.json'), 'utf8'), clean, where);
  }
});

test('taking over a stale lock removes only that lock, and only one run at a time does it', async () => {
  const { takeOverStaleLock } = await import('../cli/run-lock.js');
  const lockPath = join(dir, 'race.lock');
  const stale = JSON.stringify({ pid: await deadPid(), host: hostname(), startedAt: '2026-12-07T00:00:00.000Z', command: 'sync' });
  const live = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-12-07T00:01:00.000Z', command: 'sync' });
  // Another run took the stale lock over between this run's read and its removal: its new lock
  // stays (removing it would let two runs each believe they hold the checkpoint).
  await writeFile(lockPath, live);
  assert.equal(takeOverStaleLock(lockPath, stale), false);
  assert.equal(await readFile(lockPath, 'utf8'), live);
  // Another live run is taking it over right now (its guard exists): this run backs off.
  await writeFile(lockPath, stale);
  await writeFile(`${lockPath}.takeover`, JSON.stringify({ pid: process.pid, host: hostname() }));
  assert.equal(takeOverStaleLock(lockPath, stale), false);
  assert.equal(await readFile(lockPath, 'utf8'), stale);
  // A guard left by a run that died while taking over does not block the lock for ever.
  await writeFile(`${lockPath}.takeover`, JSON.stringify({ pid: await deadPid(), host: hostname() }));
  assert.equal(takeOverStaleLock(lockPath, stale), false);
  assert.equal(takeOverStaleLock(lockPath, stale), true);
  await assert.rejects(readFile(lockPath), { code: 'ENOENT' });
  await assert.rejects(readFile(`${lockPath}.takeover`), { code: 'ENOENT' });
});
