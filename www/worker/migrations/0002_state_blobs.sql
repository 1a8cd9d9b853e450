-- bc-spend 0.2: the engine state is bytes (Engine.exportState(), format version 2), stored as
-- BLOB pieces of at most 1 MB (D1 holds at most 2 MB per value). Apply with:
--   wrangler d1 migrations apply bc-spend --remote
--
-- state_chunks keeps the text pieces 0.1 wrote (a version 1 state): the Worker reads a company's
-- committed state from state_pieces, or from state_chunks when it has no pieces there, and the
-- engine reads either version. The company's next committed sync writes state_pieces and
-- deletes its state_chunks rows, so the old table empties as companies sync.
CREATE TABLE state_pieces (
  connection TEXT NOT NULL,
  company_id TEXT NOT NULL,
  gen        TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  data       BLOB NOT NULL,
  PRIMARY KEY (connection, company_id, gen, seq)
);
