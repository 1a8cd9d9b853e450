-- bc-spend Worker storage (Cloudflare D1). Apply with:
--   wrangler d1 migrations apply bc-spend --remote

-- One row per configured connection (tenant): the last scheduling or company discovery.
CREATE TABLE connection_status (
  connection    TEXT PRIMARY KEY,
  status        TEXT NOT NULL,   -- scheduled | discovering | discovered | failed
  run           TEXT,            -- the scheduled run (ISO time) that last touched it
  attempts      INTEGER NOT NULL DEFAULT 0,
  error_code    TEXT,
  error_message TEXT,
  updated_at    TEXT NOT NULL
);

-- One row per company of a connection: its sync checkpoint and the generation of its state.
CREATE TABLE company_sync (
  connection    TEXT NOT NULL,
  company_id    TEXT NOT NULL,
  company_name  TEXT,
  position      INTEGER NOT NULL DEFAULT 0,   -- order in the company list (the report's order)
  status        TEXT NOT NULL DEFAULT 'queued', -- queued | running | done | retrying | failed
  run           TEXT,            -- the run asked for last
  last_run      TEXT,            -- the run whose result is committed
  plan          TEXT,            -- the sync checkpoint of the committed run
  state_gen     TEXT,            -- the state_chunks generation of the committed state
  lease_id      TEXT,            -- the delivery that is syncing the company now
  lease_until   INTEGER,         -- epoch ms; a crashed delivery's lease expires
  attempts      INTEGER NOT NULL DEFAULT 0,
  error_code    TEXT,
  error_message TEXT,
  users_error   TEXT,
  transactions  INTEGER,
  requests      INTEGER,
  updated_at    TEXT,
  PRIMARY KEY (connection, company_id)
);

-- A company's engine state (Engine.exportState() text) in pieces below D1's 2 MB value limit.
CREATE TABLE state_chunks (
  connection TEXT NOT NULL,
  company_id TEXT NOT NULL,
  gen        TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  text       TEXT NOT NULL,
  PRIMARY KEY (connection, company_id, gen, seq)
);
