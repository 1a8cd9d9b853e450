// The Worker's storage in D1 (schema: migrations/): per connection its last scheduling or
// discovery, per company its sync checkpoint, a lease against two deliveries syncing it at
// once, and its engine state in pieces: BLOBs in state_pieces (0002), or, for a company whose
// last commit was made by 0.1, the text pieces of a version 1 state in state_chunks (read as
// such; the next commit replaces them). Every method is one D1 call (a batch is one), counted
// in `meter.d1` (D1 calls are subrequests of the invocation), except reading and committing a
// state of more than PIECES_PER_CALL pieces, which takes one call per PIECES_PER_CALL pieces.

import { BcSpendError } from '../../../pkg/host/errors.js';
import { blobBytes } from './config.js';

const now = () => new Date().toISOString();

/**
 * The state pieces (of at most 1 MB) one D1 call moves. A BLOB travels to and from D1 as a JSON
 * array of numbers, ~3.6 bytes of JSON and one array element per byte: the 21 MB state of a
 * 100,000-invoice company read or written in one batch was ~75 MB of JSON text and 21 million
 * array elements alive at once in the isolate, more than a Worker's 128 MB. Two pieces keep a
 * call's transient to ~7 MB of JSON and 2 million elements, at one subrequest per 2 MB of
 * state (a 10,000-invoice company's ~2 MB state is still one call).
 */
export const PIECES_PER_CALL = 2;

/** The committed generation being read was replaced (another delivery committed after this
 * one's lease expired): this run stops and is tried again, reading the new one. */
function stateSuperseded(seq) {
  return new BcSpendError('STATE_SUPERSEDED', `the company's committed state changed while it was read (piece ${seq} is gone): another delivery committed a newer run; this one stops and is tried again`);
}

export function openStore(db, meter) {
  const count = () => { meter.d1 += 1; };
  const one = async (stmt) => { count(); return stmt.run(); };
  const batch = async (stmts) => { count(); return db.batch(stmts); };

  return {
    /** A scheduled run: every connection's status, and a row per configured company. */
    async recordScheduled(run, connections) {
      const at = now();
      const stmts = [];
      for (const c of connections) {
        stmts.push(db.prepare(
          `INSERT INTO connection_status (connection, status, run, updated_at) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT (connection) DO UPDATE SET status = excluded.status, run = excluded.run, updated_at = excluded.updated_at`,
        ).bind(c.id, c.companies ? 'scheduled' : 'discovering', run, at));
        for (const [position, companyId] of (c.companies ?? []).entries()) stmts.push(upsertCompany(db, c.id, companyId, null, position, run, at));
      }
      if (stmts.length) await batch(stmts);
    },

    /** A discovery that listed the companies (in BC's order). */
    async recordDiscovery(connection, run, companies) {
      const at = now();
      await batch([
        db.prepare(
          `INSERT INTO connection_status (connection, status, run, attempts, error_code, error_message, updated_at) VALUES (?1, 'discovered', ?2, 0, NULL, NULL, ?3)
           ON CONFLICT (connection) DO UPDATE SET status = 'discovered', run = excluded.run, attempts = 0, error_code = NULL, error_message = NULL, updated_at = excluded.updated_at`,
        ).bind(connection, run, at),
        ...companies.map((c, position) => upsertCompany(db, connection, c.id, c.name, position, run, at)),
      ]);
    },

    /** A connection-level failure (discovery, or a missing secret). */
    async recordConnectionFailure(connection, run, { status, code, message, attempts }) {
      await one(db.prepare(
        `INSERT INTO connection_status (connection, status, run, attempts, error_code, error_message, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (connection) DO UPDATE SET status = excluded.status, run = excluded.run, attempts = excluded.attempts,
           error_code = excluded.error_code, error_message = excluded.error_message, updated_at = excluded.updated_at`,
      ).bind(connection, status, run, attempts, code, message, now()));
    },

    /**
     * Takes the company for this delivery unless its result for `run` (or a later run) is
     * committed (`done`) or another delivery holds it (`leased`). A company the schedule did not
     * record (a message older than the database) gets its row here.
     */
    async claim(connection, companyId, run, leaseId, nowMs, leaseMs) {
      const take = () => db.prepare(
        `UPDATE company_sync SET lease_id = ?1, lease_until = ?2, status = 'running', updated_at = ?3
         WHERE connection = ?4 AND company_id = ?5 AND (lease_until IS NULL OR lease_until < ?6) AND (last_run IS NULL OR last_run < ?7)
         RETURNING company_name, position, last_run, plan, state_gen, attempts`,
      ).bind(leaseId, nowMs + leaseMs, now(), connection, companyId, nowMs, run);
      const [taken, existing] = await batch([
        take(),
        db.prepare('SELECT last_run, lease_until FROM company_sync WHERE connection = ?1 AND company_id = ?2').bind(connection, companyId),
      ]);
      if (taken.results.length) return { outcome: 'claimed', row: taken.results[0] };
      const row = existing.results[0];
      if (!row) {
        const [, again] = await batch([upsertCompany(db, connection, companyId, null, 0, run, now()), take()]);
        if (again.results.length) return { outcome: 'claimed', row: again.results[0] };
        return { outcome: 'leased' };
      }
      if (row.last_run && row.last_run >= run) return { outcome: 'done', lastRun: row.last_run };
      return { outcome: 'leased', leaseUntil: row.lease_until };
    },

    /**
     * The committed state of a company, its stored pieces in order: Uint8Arrays, or a v1
     * state's text pieces. An async iterable, read PIECES_PER_CALL pieces per D1 call as it is
     * consumed, so only those pieces' JSON is alive at once; the first call also counts the
     * pieces and reads a v1 state's text (small, and read once, for its migration). Throws
     * STATE_SUPERSEDED when the generation is deleted under the reader (only a commit by the
     * delivery that took over an expired lease does that).
     */
    async *statePieces(connection, companyId, gen) {
      const where = 'connection = ?1 AND company_id = ?2 AND gen = ?3';
      const group = (from) => db.prepare(`SELECT seq, data FROM state_pieces WHERE ${where} AND seq >= ?4 ORDER BY seq LIMIT ?5`)
        .bind(connection, companyId, gen, from, PIECES_PER_CALL);
      const [first, total, text] = await batch([
        group(0),
        db.prepare(`SELECT COUNT(*) AS n FROM state_pieces WHERE ${where}`).bind(connection, companyId, gen),
        db.prepare(`SELECT text FROM state_chunks WHERE ${where} ORDER BY seq`).bind(connection, companyId, gen),
      ]);
      const pieces = total.results[0]?.n ?? 0;
      if (!pieces) {
        for (const r of text.results) yield r.text;
        return;
      }
      let rows = first.results;
      let seq = 0;
      for (;;) {
        for (const r of rows) {
          if (r.seq !== seq) throw stateSuperseded(seq);
          seq += 1;
          yield blobBytes(r.data);
        }
        if (seq >= pieces) return;
        rows = (await one(group(seq))).results;
        if (!rows.length) throw stateSuperseded(seq);
      }
    },

    /**
     * Commits a run: the new state's pieces, the checkpoint, and the pointer to the new
     * generation, only while this delivery holds the lease; then every other generation of the
     * company is deleted (v1 text pieces included). `pieces` are Uint8Arrays of at most 1 MB.
     * Returns whether this delivery's result is the committed one.
     *
     * The last PIECES_PER_CALL pieces go in the batch that moves the pointer (one transaction);
     * the ones before, PIECES_PER_CALL per call, under the new generation, which nothing points
     * to until that batch. Its deletes depend on the outcome: the delivery that committed
     * deletes every other generation; one that did not (its lease was taken over) deletes only
     * its own pieces, never those the holder of the lease is writing. Pieces left by a delivery
     * that died before its last batch are deleted by the company's next commit.
     */
    async commit(connection, companyId, leaseId, { gen, pieces, plan, run, transactions, requests, usersError }) {
      const at = now();
      const insert = (data, seq) => db.prepare('INSERT INTO state_pieces (connection, company_id, gen, seq, data) VALUES (?1, ?2, ?3, ?4, ?5)').bind(connection, companyId, gen, seq, data);
      const last = Math.max(0, pieces.length - PIECES_PER_CALL);
      for (let from = 0; from < last; from += PIECES_PER_CALL) {
        await batch(pieces.slice(from, Math.min(from + PIECES_PER_CALL, last)).map((data, i) => insert(data, from + i)));
      }
      const results = await batch([
        ...pieces.slice(last).map((data, i) => insert(data, last + i)),
        db.prepare(
          `UPDATE company_sync SET state_gen = ?1, plan = ?2, last_run = ?3, status = 'done', attempts = 0, error_code = NULL, error_message = NULL,
             users_error = ?4, transactions = ?5, requests = ?6, lease_id = NULL, lease_until = NULL, updated_at = ?7
           WHERE connection = ?8 AND company_id = ?9 AND lease_id = ?10`,
        ).bind(gen, plan, run, usersError, transactions, requests, at, connection, companyId, leaseId),
        ...['state_pieces', 'state_chunks'].map((table) => db.prepare(
          `DELETE FROM ${table} WHERE connection = ?1 AND company_id = ?2
           AND gen IS NOT (SELECT state_gen FROM company_sync WHERE connection = ?1 AND company_id = ?2)
           AND (gen = ?3 OR (SELECT state_gen FROM company_sync WHERE connection = ?1 AND company_id = ?2) IS ?3)`,
        ).bind(connection, companyId, gen)),
      ]);
      return results[pieces.length - last].meta.changes === 1;
    },

    /** Ends this delivery's lease without a result (a failure, or a retry later). */
    async release(connection, companyId, leaseId, { status, code, message, attempts }) {
      await one(db.prepare(
        `UPDATE company_sync SET status = ?1, error_code = ?2, error_message = ?3, attempts = ?4, lease_id = NULL, lease_until = NULL, updated_at = ?5
         WHERE connection = ?6 AND company_id = ?7 AND lease_id = ?8`,
      ).bind(status, code, message, attempts, now(), connection, companyId, leaseId));
    },

    /** Everything /status shows (no plans, no states). */
    async status() {
      const [connections, companies] = await batch([
        db.prepare('SELECT connection, status, run, attempts, error_code, error_message, updated_at FROM connection_status ORDER BY connection'),
        db.prepare(`SELECT connection, company_id, company_name, position, status, run, last_run, attempts, error_code, error_message, users_error,
                      transactions, requests, updated_at FROM company_sync ORDER BY connection, position, company_id`),
      ]);
      return { connections: connections.results, companies: companies.results };
    },

    /**
     * A tenant's status and companies (in list order), with the committed generation of each;
     * its states are read with statePieces, PIECES_PER_CALL pieces per call (read in this one
     * call, the states of a tenant of big companies were tens of MB of JSON at once).
     */
    async tenant(connection) {
      const [status, companies] = await batch([
        db.prepare('SELECT status, run, attempts, error_code, error_message FROM connection_status WHERE connection = ?1').bind(connection),
        db.prepare(`SELECT company_id, company_name, position, status, run, last_run, attempts, error_code, error_message, users_error, transactions, plan, state_gen
                    FROM company_sync WHERE connection = ?1 ORDER BY position, company_id`).bind(connection),
      ]);
      return { connection: status.results[0] ?? null, companies: companies.results };
    },
  };
}

function upsertCompany(db, connection, companyId, name, position, run, at) {
  return db.prepare(
    `INSERT INTO company_sync (connection, company_id, company_name, position, status, run, updated_at) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6)
     ON CONFLICT (connection, company_id) DO UPDATE SET company_name = COALESCE(excluded.company_name, company_name),
       position = excluded.position, run = excluded.run, updated_at = excluded.updated_at`,
  ).bind(connection, companyId, name, position, run, at);
}
