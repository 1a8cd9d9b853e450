// The sync checkpoint on disk (Node only): runSync's `saveCheckpoint` / `checkpoint` contract
// (www/src/sync.js) kept in three files next to FILE:
//
//   FILE                      {"format":"bc-spend-checkpoint-file","version":1,"generation":g,
//                              "hasState":bool,"journal":{"entries":n,"bytes":b},"plan":"<plan JSON>"}
//                             rewritten atomically (temp file + rename) after every page
//   FILE.g<g>.state.bcs       the engine state of the last complete run (generation g), read
//                             and written a piece at a time (bytes, exportState()); a
//                             checkpoint written by bc-spend 0.1 has FILE.g<g>.state.json (a
//                             version 1 state's text) instead, read as such, and removed with
//                             its generation when the next run ends
//   FILE.g<g>.journal         the pages ingested since, appended: a JSON header line
//                             {"entity","companyId","bytes"} then the page body as BC sent it
//                             (`bytes` bytes of UTF-8), "\n"
//
// A page is appended before the plan that counts it is written, so a kill between the two
// leaves one extra journal record, which the next load cuts off (the plan's `journal.bytes`
// says where the acknowledged journal ends). A new base state gets a new generation: its files
// are written in full before FILE points at them, then the old generation is removed. Safe
// against a killed process; against power loss only as far as the file system orders writes.
//
// One copy of the state per run: when the caller has just written the same state elsewhere
// (sync's `--out DIR/state.bcs`, written before the run's last checkpoint), `stateAt(path)`
// tells the store, and the next base state is a hard link to that file instead of a second
// export and a second copy on disk. Both names are only ever replaced by rename, never written
// in place, so a later run that rewrites one leaves the other whole. Where a link cannot be
// made (another file system), the state is written as before.
//
// All of these hold Business Central data (the journal holds raw pages): they are written 0600,
// and a directory the store creates is 0700 (common.js, PRIVATE_FILE). The store does not lock:
// its caller holds the checkpoint's lock (run-lock.js) for as long as the store is open.

import { createReadStream } from 'node:fs';
import { link, open, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { mkdirPrivate, openPrivate, writeAtomicParts } from './common.js';

const FORMAT = 'bc-spend-checkpoint-file';
const VERSION = 1;
const READ_CHUNK = 1 << 20;

export class CheckpointFileError extends Error {
  constructor(message) {
    super(message);
    this.code = 'CHECKPOINT_FILE_INVALID';
  }
}

/** Writes an (async) iterable of text or byte pieces to `path` atomically, one piece in memory at a time. */
export const writeChunksAtomic = writeAtomicParts;

async function exists(path) {
  try { await stat(path); return true; } catch (e) { if (e.code === 'ENOENT') return false; throw e; }
}

/** Opens (without creating) the checkpoint at `path`. */
export async function openCheckpointFile(path) {
  const dir = dirname(path);
  const base = basename(path);
  const stateFile = (g) => join(dir, `${base}.g${g}.state.bcs`);
  const legacyStateFile = (g) => join(dir, `${base}.g${g}.state.json`);
  const journalFile = (g) => join(dir, `${base}.g${g}.journal`);

  let header = null; // { generation, hasState, journal: { entries, bytes }, plan }
  let journalHandle = null;
  let sameStateAt = null; // a file holding the bytes the next base state will have (stateAt)

  /** The base state of generation `g`: a link to `sameStateAt` when it can be, else written. */
  async function writeState(g, pieces) {
    const from = sameStateAt;
    sameStateAt = null;
    if (from) {
      const tmp = `${stateFile(g)}.tmp-${process.pid}`;
      try {
        await rm(tmp, { force: true });
        await link(from, tmp);
        await rename(tmp, stateFile(g));
        return;
      } catch (e) {
        await rm(tmp, { force: true });
        // Another file system, or one without hard links: a copy of its own, as before.
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOENT'].includes(e.code)) throw e;
      }
    }
    await writeChunksAtomic(stateFile(g), pieces);
  }

  async function readHeader() {
    let text;
    try { text = await readFile(path, 'utf8'); } catch (e) { if (e.code === 'ENOENT') return null; throw e; }
    let h;
    try { h = JSON.parse(text); } catch (e) { throw new CheckpointFileError(`the checkpoint ${path} is not JSON (${e.message}); remove it to start a full sync`); }
    if (h?.format !== FORMAT) throw new CheckpointFileError(`${path} is not a bc-spend checkpoint file; give another --checkpoint path`);
    if (h.version !== VERSION) throw new CheckpointFileError(`the checkpoint ${path} has version ${h.version}; this bc-spend reads version ${VERSION}`);
    if (!Number.isSafeInteger(h.generation) || h.generation < 0 || typeof h.plan !== 'string'
      || !Number.isSafeInteger(h.journal?.entries) || !Number.isSafeInteger(h.journal?.bytes)) {
      throw new CheckpointFileError(`the checkpoint ${path} is damaged; remove it (and its .g*.state.bcs and .g*.journal files) to start a full sync`);
    }
    return h;
  }

  async function* readJournal(g, entries, bytes) {
    if (entries === 0) return;
    const fh = await open(journalFile(g), 'r');
    try {
      let pos = 0;
      let buf = Buffer.alloc(0);
      const fill = async (need) => {
        while (buf.length < need) {
          const want = Math.max(READ_CHUNK, need - buf.length);
          const chunk = Buffer.alloc(Math.min(want, bytes - pos));
          if (chunk.length === 0) return false;
          const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
          if (bytesRead === 0) return false;
          pos += bytesRead;
          buf = Buffer.concat([buf, chunk.subarray(0, bytesRead)]);
        }
        return true;
      };
      for (let n = 0; n < entries; n += 1) {
        let nl = buf.indexOf(10);
        while (nl < 0) {
          if (!(await fill(buf.length + 1))) throw new CheckpointFileError(`the journal of ${path} ends early (record ${n + 1} of ${entries})`);
          nl = buf.indexOf(10);
        }
        let h;
        try { h = JSON.parse(buf.subarray(0, nl).toString('utf8')); } catch { throw new CheckpointFileError(`the journal of ${path} is damaged at record ${n + 1}`); }
        buf = buf.subarray(nl + 1);
        if (!Number.isSafeInteger(h.bytes) || h.bytes < 0) throw new CheckpointFileError(`the journal of ${path} is damaged at record ${n + 1}`);
        if (!(await fill(h.bytes + 1))) throw new CheckpointFileError(`the journal of ${path} ends early (record ${n + 1} of ${entries})`);
        // The page as BC sent it (the engine reads the bytes; nothing is decoded here).
        const bytes = buf.subarray(0, h.bytes);
        buf = buf.subarray(h.bytes + 1);
        yield { entity: h.entity, companyId: h.companyId ?? null, bytes };
      }
    } finally {
      await fh.close();
    }
  }

  async function writeHeader() {
    await writeAtomicParts(path, `${JSON.stringify(header)}\n`);
  }

  async function journal() {
    // A journal written by an older bc-spend may be world-readable: appending makes it private.
    if (!journalHandle) journalHandle = await openPrivate(journalFile(header.generation), 'a');
    return journalHandle;
  }

  return {
    path,

    /** runSync's `checkpoint` input, or null when there is none yet. */
    async load() {
      header = await readHeader();
      if (!header) return null;
      const g = header.generation;
      let state = null;
      if (header.hasState) {
        // A checkpoint of bc-spend 0.1 holds a version 1 state, which the core reads as such.
        const file = (await exists(stateFile(g))) ? stateFile(g) : legacyStateFile(g);
        if (!(await exists(file))) throw new CheckpointFileError(`the engine state of ${path} (${stateFile(g)}) is missing; remove the checkpoint to start a full sync`);
        // Read a piece at a time: the pieces are the file's bytes, as StateImport takes them.
        state = () => createReadStream(file, { highWaterMark: READ_CHUNK });
      }
      // Cut off a page appended after the last acknowledged one (a kill between the two writes).
      if (await exists(journalFile(g))) {
        const size = (await stat(journalFile(g))).size;
        if (size < header.journal.bytes) throw new CheckpointFileError(`the journal of ${path} is shorter than its checkpoint says; remove the checkpoint to start a full sync`);
        if (size > header.journal.bytes) await truncate(journalFile(g), header.journal.bytes);
      } else if (header.journal.entries > 0) {
        throw new CheckpointFileError(`the journal of ${path} is missing; remove the checkpoint to start a full sync`);
      }
      const { entries, bytes } = header.journal;
      return { plan: header.plan, state, journal: () => readJournal(g, entries, bytes) };
    },

    /**
     * Says that `path` holds, byte for byte, the state the next `save` with a state will be
     * given (the engine's export at the end of the run): that save links it instead.
     */
    stateAt(path) {
      sameStateAt = path;
    },

    /** runSync's `saveCheckpoint`. */
    async save(update) {
      if (!header) {
        await mkdirPrivate(dir);
        header = { format: FORMAT, version: VERSION, generation: 0, hasState: false, journal: { entries: 0, bytes: 0 }, plan: '' };
      }
      if (update.state !== undefined) {
        const old = header.generation;
        const g = old + 1;
        if (update.state !== null) await writeState(g, update.state);
        await (await openPrivate(journalFile(g), 'w')).close();
        await journalHandle?.close();
        journalHandle = null;
        header = { ...header, generation: g, hasState: update.state !== null, journal: { entries: 0, bytes: 0 }, plan: update.plan };
        await writeHeader();
        await rm(stateFile(old), { force: true });
        await rm(legacyStateFile(old), { force: true });
        await rm(journalFile(old), { force: true });
      }
      if (update.append) {
        const { entity, companyId, bytes } = update.append;
        const body = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.from(update.append.text, 'utf8');
        const head = Buffer.from(`${JSON.stringify({ entity, companyId: companyId ?? null, bytes: body.length })}\n`, 'utf8');
        const record = Buffer.concat([head, body, Buffer.from('\n')]);
        const fh = await journal();
        await fh.write(record, 0, record.length, null);
        header.journal = { entries: header.journal.entries + 1, bytes: header.journal.bytes + record.length };
      }
      header.plan = update.plan;
      await writeHeader();
    },

    async close() {
      await journalHandle?.close();
      journalHandle = null;
    },
  };
}
