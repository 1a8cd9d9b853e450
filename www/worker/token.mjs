#!/usr/bin/env node
// A tenant's report token for the Worker's HTTP API, and the hash the Worker keeps of it.
//
//   node www/worker/token.mjs           a new token (32 random bytes, base64url) and its
//                                       reportTokenSha256, for the tenant's connection
//   node www/worker/token.mjs --hash    the reportTokenSha256 of a token read from standard input
//
// The token is read from standard input, never from the command line: argv is visible to every
// process of the machine and lands in shell history. Tokens under 32 bytes are refused here, as
// the Worker refuses them.

import { createHash, randomBytes } from 'node:crypto';

const MIN_TOKEN_BYTES = 32;
const hashOf = (token) => createHash('sha256').update(token, 'utf8').digest('hex');

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const args = process.argv.slice(2);
if (args.length === 0) {
  const token = randomBytes(32).toString('base64url');
  process.stdout.write(`token: ${token}\nreportTokenSha256: ${hashOf(token)}\n`);
  process.stderr.write('Give the token to the tenant (it is stored nowhere); put reportTokenSha256 in its connection in BC_CONNECTIONS.\n');
} else if (args.length === 1 && args[0] === '--hash') {
  const token = (await readStdin()).trim();
  const bytes = Buffer.byteLength(token, 'utf8');
  if (bytes < MIN_TOKEN_BYTES) {
    process.stderr.write(`token.mjs: the token has ${bytes} bytes; the Worker refuses tokens under ${MIN_TOKEN_BYTES}. Make one with \`node www/worker/token.mjs\`.\n`);
    process.exit(2);
  }
  process.stdout.write(`reportTokenSha256: ${hashOf(token)}\n`);
} else {
  process.stderr.write('usage: node www/worker/token.mjs [--hash < token-file]\n');
  process.exit(2);
}
