// CODES.md lists every code once: a code added to ERROR_MESSAGES without its row fails here
// (tests/codes.rs does the same for the core's enums).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_MESSAGES } from '../src/errors.js';

const codesMd = readFileSync(new URL('../../CODES.md', import.meta.url), 'utf8');
const rows = new Set(codesMd.split('\n').map((l) => /^\| `([A-Z0-9_]+)` \|/.exec(l)?.[1]).filter(Boolean));

test('every host error code in ERROR_MESSAGES has a row in CODES.md', () => {
  const missing = Object.keys(ERROR_MESSAGES).filter((code) => !rows.has(code));
  assert.deepEqual(missing, []);
});
