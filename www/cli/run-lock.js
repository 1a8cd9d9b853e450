// One run at a time per checkpoint and per output directory (Node only).
//
// Two syncs on one checkpoint both append to its journal and each rewrites its header with its
// own page counts: the resume then replays a journal that does not match its plan and silently
// drops whole pages. So a run holds LOCK (a file next to what it protects) from before it reads
// the checkpoint until its last file is written:
//
//   LOCK  {"pid":n,"host":"name","startedAt":"ISO time","command":"sync"}   mode 0600
//
// created with O_CREAT|O_EXCL, so of two runs starting at once exactly one gets it. A lock is
// stale, and taken over with a message, when
//   - it names this host and its pid is not running (the holder was killed: SIGKILL, a crash,
//     a reboot), or
//   - it cannot be read as a lock and is older than UNREADABLE_STALE_MS (a crash between
//     creating it and writing it).
// "Host" is os.hostname(): machines (or containers) that share a checkpoint must have distinct
// host names, or one would judge the other's pids as its own.
// A lock naming another host (a checkpoint on a shared file system) is never taken over: this
// host cannot tell whether that run is alive, and a sync may rightly run for hours. The error
// says which file to remove once that run is known to be gone. Likewise a live pid on this host
// is trusted, even if the pid was reused by an unrelated process after a reboot; the message
// says what to remove then.
//
// A takeover is itself guarded by LOCK.takeover (O_EXCL): two runs that both find the same stale
// lock cannot both remove it and each believe they hold the new one.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync, fchmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { CliError, EXIT } from './common.js';

const UNREADABLE_STALE_MS = 60_000;

export class LockedError extends CliError {
  constructor(message, holder) {
    super(message, EXIT.LOCKED);
    this.code = 'CHECKPOINT_LOCKED';
    this.holder = holder;
  }
}

/** Whether process `pid` on this host is running (EPERM: it is, under another user). */
export function processAlive(pid) {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function createExclusive(path, text) {
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } catch (e) {
    // An empty lock (a full disk) would hold for UNREADABLE_STALE_MS for nothing.
    closeSync(fd);
    try { unlinkSync(path); } catch { /* gone already */ }
    throw e;
  }
  closeSync(fd);
}

/** The lock's text and holder, or null when there is no lock (any more). */
function readLock(path) {
  let text;
  let mtimeMs;
  try {
    mtimeMs = statSync(path).mtimeMs;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
  let holder = null;
  try {
    const h = JSON.parse(text);
    if (Number.isSafeInteger(h?.pid) && typeof h.host === 'string') holder = { pid: h.pid, host: h.host, startedAt: String(h.startedAt ?? '?'), command: h.command };
  } catch { /* unreadable: judged by age below */ }
  return { text, holder, mtimeMs };
}

/** Why the lock is stale (a sentence for the takeover message), or null when it holds. */
function staleReason(lock, now) {
  const h = lock.holder;
  if (!h) return now - lock.mtimeMs > UNREADABLE_STALE_MS ? 'an unreadable lock (a run that crashed while creating it)' : null;
  if (h.host !== hostname()) return null;
  return processAlive(h.pid) ? null : `pid ${h.pid} on ${h.host}, started ${h.startedAt}, which is no longer running`;
}

function describeHolder(lock) {
  const h = lock.holder;
  return h ? `pid ${h.pid} on ${h.host}, started ${h.startedAt}` : 'a run that is creating its lock right now';
}

/**
 * Takes the lock at `path` for `what` ("the checkpoint X", "the output directory Y"). Returns
 * `{ path, release() }`; `onTakeover(message)` hears of a stale lock taken over. Throws
 * LockedError (code CHECKPOINT_LOCKED, exit code EXIT.LOCKED) when a live run holds it.
 */
export function acquireLock(path, { what, command = 'sync', onTakeover = () => {}, now = () => Date.now() } = {}) {
  const text = `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date(now()).toISOString(), command })}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      createExclusive(path, text);
      return held(path, text);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const lock = readLock(path);
    if (!lock) continue; // released between the two calls
    const reason = staleReason(lock, now());
    if (!reason) {
      const foreign = lock.holder && lock.holder.host !== hostname();
      throw new LockedError(
        `${what} is in use by another bc-spend run: ${describeHolder(lock)} (CHECKPOINT_LOCKED). `
        + 'Wait for it to finish; two runs at once would mix their pages. '
        + (foreign
          ? `This host cannot check a run on ${lock.holder.host}: once it is known to have ended, remove ${path}.`
          : `If no bc-spend runs as that pid, remove ${path}.`),
        lock.holder,
      );
    }
    if (takeOverStaleLock(path, lock.text)) onTakeover(`took over the lock ${path} left by ${reason}`);
  }
  throw new LockedError(`${what} is in use: its lock ${path} keeps changing hands (CHECKPOINT_LOCKED); try again`, null);
}

/**
 * Removes the stale lock whose text is `stale`, unless another run got there first; true when
 * it did. (Exported for its test.)
 */
export function takeOverStaleLock(path, stale) {
  const guard = `${path}.takeover`;
  try {
    createExclusive(guard, `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
    // Another run is taking over this very moment, or died doing so.
    const g = readLock(guard);
    if (g && (g.holder ? g.holder.host === hostname() && !processAlive(g.holder.pid) : Date.now() - g.mtimeMs > UNREADABLE_STALE_MS)) {
      try { unlinkSync(guard); } catch { /* gone already */ }
    }
    return false;
  }
  try {
    const lock = readLock(path);
    if (lock?.text !== stale) return false;
    unlinkSync(path);
    return true;
  } finally {
    try { unlinkSync(guard); } catch { /* gone already */ }
  }
}

function held(path, text) {
  let released = false;
  // A process.exit() or an uncaught error still releases the lock; a SIGKILL cannot, which is
  // what the staleness check is for.
  const onExit = () => release();
  process.on('exit', onExit);
  function release() {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch { /* already gone: nothing to release */ }
  }
  return { path, release };
}
