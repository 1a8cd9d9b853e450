// Secrets echoed back by a server (a gateway that quotes the Authorization header, a token
// endpoint that quotes the form body) must not reach an error, stderr or an output file. The
// servers here are loopback stand-ins for such echoes, in front of the emulator where a whole
// sync is needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { inspect } from 'node:util';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBcClient } from '../src/bc-client.js';
import { core } from './sync-support.js';
import { createClientCredentials, fromTokenCredential } from '../src/auth.js';
import { BcSpendError, ERROR_MESSAGES, createSecretRegistry, redactSecrets, redactText } from '../src/errors.js';
import { main } from '../cli/main.js';
import { startEmulator } from '../emulator/index.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
// Characters a form body and JSON spell differently from the raw secret: + / = ~ space " \ %.
const SECRET = 'Qx8~Sp+aB/cd=ef gh"ij\\kl%mn.Op';
const ENV = 'Production';
const COMPANY = '2b4f6d8a-1c3e-4a5b-9d7f-0e1a2b3c4d5e';

/** Every spelling of `s` that an echo could carry. */
function spellingsOf(s) {
  const percent = encodeURIComponent(s);
  const form = new URLSearchParams({ s }).toString().slice(2);
  return [s, percent, percent.toLowerCase(), form, form.toLowerCase(), JSON.stringify(s).slice(1, -1), JSON.stringify(form).slice(1, -1)];
}

function assertClean(text, secrets, where) {
  for (const s of secrets) {
    for (const v of spellingsOf(s)) assert.ok(!text.includes(v), `${where} leaks ${JSON.stringify(v)}: ${text.slice(0, 600)}`);
  }
}

/** Everything of an error that can be printed or stored. */
function errorTexts(err) {
  return [err.message, err.stack, JSON.stringify(err), JSON.stringify(err.details), JSON.stringify(err.hint), inspect(err, { depth: 8 }), String(err.cause?.message ?? '')].join('\n');
}

async function startServer(handler) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => handler(req, res, body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() { server.closeAllConnections(); await new Promise((r) => server.close(r)); },
  };
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

let issued = 0;
/** An opaque token (not a JWT: the redactor must know it, not guess it from its shape). */
const opaqueToken = () => `tok_${(issued += 1)}_Zq9+wX/yV=uT~sR.pO-nM_lK`;

// ------------------------------------------------------------------------------ the redactor

test('the redactor removes each spelling of a registered secret and every credential-shaped string', () => {
  const reg = createSecretRegistry([SECRET]);
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET }).toString();
  const texts = [
    `body was ${form}`,
    `body was ${form.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
    `json ${JSON.stringify({ sent: `x${SECRET}y` })}`,
    `raw ${SECRET}.`,
  ];
  for (const t of texts) assertClean(reg.redactText(t), [SECRET], t);

  // No registry: the shape alone gives a credential away.
  const shaped = [
    ['Authorization: Bearer abc$def!ghi', 'abc$def!ghi'],
    ['echoed Bearer x9$y.z and bearer ABCDEFGHIJKLMNOPQRST', 'x9$y.z'],
    ['echoed bearer ABCDEFGHIJKLMNOPQRST', 'ABCDEFGHIJKLMNOPQRST'],
    ['header "Bearer%20opaque-123_~x"', 'opaque-123_~x'],
    ['authorization=Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA=='],
    ['token eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl sent', 'eyJhbGciOiJub25lIn0'],
    ['grant_type=refresh_token&refresh_token=0.AXYZ-secret-rt&client_id=1', '0.AXYZ-secret-rt'],
    ['sent client_secret=not-registered%2Bvalue&scope=x', 'not-registered'],
    ['{"client_secret":"unknown\\"value","ok":1}', 'unknown'],
    ['{\\"refreshToken\\":\\"rt-in-escaped-json\\"}', 'rt-in-escaped-json'],
    ['redirect?code=1.AUTHCODE-abc&state=s', '1.AUTHCODE-abc'],
  ];
  for (const [t, secret] of shaped) {
    const out = redactText(t);
    assert.ok(!out.includes(secret), `${t} -> ${out}`);
    assert.match(out, /\[redacted\]/);
  }
  // Ordinary text is left alone, the messages of every error code included.
  const plain = 'The authorization code was already used. Set BC_CLIENT_SECRET (Authorization_InvalidCredentials).';
  assert.equal(redactText(plain), plain);
  for (const [code, message] of Object.entries(ERROR_MESSAGES)) assert.equal(redactText(message), message, code);
  // The registry never shows what it holds.
  for (const shown of [JSON.stringify({ reg }), inspect(reg), String(reg)]) assertClean(shown, [SECRET], 'the registry');
});

test('an error is scrubbed in its message, details, hint, cause and stack, and so is any BcSpendError built from a body', () => {
  const cause = new Error(`socket said Bearer ${SECRET}`);
  const err = new Error(`failed with ${encodeURIComponent(SECRET)}`, { cause });
  err.details = { echoed: [`client_secret=${encodeURIComponent(SECRET)}`], nested: { deeper: { text: SECRET } } };
  redactSecrets(err, createSecretRegistry([SECRET]));
  assertClean(errorTexts(err) + inspect(err.details, { depth: 8 }), [SECRET], 'the scrubbed error');

  // Without any registry: a server body quoted into a BcSpendError loses its bearer token.
  const built = new BcSpendError('BC_BAD_REQUEST', 'BC said: Authorization: Bearer opaque.token.value', {
    details: { bcMessage: 'header Bearer opaque.token.value' }, hint: 'Bearer opaque.token.value', cause: new Error('Bearer opaque.token.value'),
  });
  assert.ok(!errorTexts(built).includes('opaque.token.value'), errorTexts(built));
});

// ------------------------------------------------------------------------------ sign-in and the BC client

test('a token endpoint that echoes the form body in its error leaks no spelling of the client secret', async () => {
  const srv = await startServer((req, res, body) => sendJson(res, 400, {
    error: 'invalid_request',
    error_description: `AADSTS900144: The request body was not understood: ${body}\r\nTrace ID: 1`,
    error_codes: [900144],
    echo: { body, form: Object.fromEntries(new URLSearchParams(body)) },
  }));
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    const err = await cred.getToken().then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof BcSpendError, String(err));
    assertClean(errorTexts(err), [SECRET], 'the sign-in error');
    assert.match(err.message, /AADSTS900144/);
  } finally { await srv.close(); }
});

test('a BC gateway that echoes the Authorization header leaks neither the token nor the client secret', async () => {
  const tokens = [];
  const srv = await startServer((req, res, body) => {
    if (req.url.includes('/oauth2/v2.0/token')) {
      const t = opaqueToken();
      tokens.push(t);
      return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: t });
    }
    const auth = req.headers.authorization;
    const bare = auth.replace(/^Bearer /, '');
    // A gateway quoting the request: the header, the bare token, and the token JSON-escaped.
    return sendJson(res, 400, {
      error: {
        code: 'BadRequest',
        message: `Rejected request with headers {"authorization":${JSON.stringify(auth)}}; credential ${bare} (${encodeURIComponent(bare)}) is not valid for ${SECRET}`,
      },
      request: { authorization: auth },
    });
  });
  try {
    const cred = createClientCredentials({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, authorityHost: srv.url });
    const client = createBcClient({ core, credential: cred, apiHost: srv.url, tenantId: TENANT, environment: ENV, shareLimiter: false });
    const err = await client.get(client.companyUrl(COMPANY, 'purchaseInvoices')).then(() => assert.fail('no error'), (e) => e);
    assert.equal(err.code, 'BC_BAD_REQUEST');
    assert.equal(tokens.length, 1);
    assertClean(errorTexts(err), [SECRET, ...tokens], 'the BC error');
    assert.match(err.message, /Rejected request/);
  } finally { await srv.close(); }
});

test('a caller-supplied credential: the BC client registers the tokens it sends', async () => {
  const token = opaqueToken();
  const srv = await startServer((req, res) => sendJson(res, 404, { error: { code: 'BadRequest_NotFound', message: `no such thing for ${req.headers.authorization.slice(7)}` } }));
  try {
    const client = createBcClient({ core, credential: fromTokenCredential(async () => token), apiHost: srv.url, tenantId: TENANT, environment: ENV, shareLimiter: false });
    const err = await client.get('api/v2.0/companies(x)/nothing').then(() => assert.fail('no error'), (e) => e);
    assertClean(errorTexts(err), [token], 'the BC error');
  } finally { await srv.close(); }
});

// ------------------------------------------------------------------------------ the sync command

let emu;
let dir;
before(async () => {
  emu = await startEmulator({ seed: 5, dataset: { invoices: 300 } });
  dir = await mkdtemp(join(tmpdir(), 'bc-spend-secrets-'));
});
after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

/** A loopback proxy to the emulator; `intercept(req, body)` may answer instead (returns true). */
async function startProxy(intercept) {
  const target = new URL(emu.url);
  return startServer((req, res, body) => {
    if (intercept(req, res, body)) return;
    const fwd = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => { res.destroy(); });
    fwd.end(body);
  });
}

function sink() {
  let text = '';
  return { write(s) { text += s; return true; }, get text() { return text; }, isTTY: false };
}

async function cli(argv, env) {
  const stdout = sink();
  const stderr = sink();
  const saved = {};
  for (const [k, v] of Object.entries(env)) { saved[k] = process.env[k]; if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  try {
    const code = await main(argv, { stdout, stderr });
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

async function allFiles(root) {
  const out = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push([join(e.parentPath ?? e.path, e.name), await readFile(join(e.parentPath ?? e.path, e.name), 'utf8')]);
  }
  return out;
}

test('sync: a company whose requests are echoed with the bearer token fails without the token in stderr or run.json', async () => {
  const c = emu.scenarios.valid;
  const seen = new Set();
  let victim;
  const proxy = await startProxy((req, res) => {
    const m = /companies\(([^)]+)\)\/purchaseInvoices/.exec(decodeURIComponent(req.url));
    if (!m) return false;
    victim ??= m[1];
    if (m[1] !== victim) return false;
    const auth = req.headers.authorization;
    seen.add(auth.replace(/^Bearer /, ''));
    // The message also carries terminal escapes: stderr is a terminal.
    sendJson(res, 400, { error: { code: 'BadRequest', message: `Gateway refused ${auth} (token ${auth.slice(7)})\x1b]0;pwned\x07\x1b[2J\u202e` } });
    return true;
  });
  try {
    const out = join(dir, 'echo-bc');
    const r = await cli(['sync', '--out', out, '--connected-at', '2026-11-01'], {
      BC_TENANT_ID: c.tenantId, BC_ENVIRONMENT: c.environment, BC_CLIENT_ID: c.clientId, BC_CLIENT_SECRET: c.clientSecret,
      BC_AUTHORITY_HOST: proxy.url, BC_API_HOST: proxy.url,
    });
    assert.equal(r.code, 5, r.stderr);
    assert.ok(seen.size >= 1, 'the proxy echoed a token');
    assert.match(r.stderr, /FAILED/);
    assert.match(r.stderr, /Gateway refused/);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
    const failed = run.companies.filter((x) => x.error);
    assert.equal(failed.length, 1, JSON.stringify(run.companies));
    assert.match(failed[0].error.message, /Gateway refused \[redacted\]/);
    assertClean(r.stderr + r.stdout, [...seen, c.clientSecret], 'stderr');
    assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/, JSON.stringify(r.stderr));
    for (const [path, text] of await allFiles(out)) assertClean(text, [...seen, c.clientSecret], path);
  } finally { await proxy.close(); }
});

test('sync: a token endpoint that echoes the form body: exit 4 and no spelling of the secret on stderr', async () => {
  const c = emu.scenarios.valid;
  const proxy = await startProxy((req, res, body) => {
    if (!req.url.includes('/oauth2/v2.0/token')) return false;
    // An error Entra has no advice for: its description is quoted in the message.
    sendJson(res, 400, { error: 'invalid_request', error_description: `AADSTS900144: The request body was not understood: ${body}`, error_codes: [900144], body });
    return true;
  });
  try {
    const out = join(dir, 'echo-entra');
    const r = await cli(['sync', '--out', out], {
      BC_TENANT_ID: c.tenantId, BC_ENVIRONMENT: c.environment, BC_CLIENT_ID: c.clientId, BC_CLIENT_SECRET: SECRET,
      BC_AUTHORITY_HOST: proxy.url, BC_API_HOST: proxy.url,
    });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /Sign-in failed \(AADSTS900144.*Entra said: AADSTS900144: The request body was not understood/);
    assertClean(r.stderr + r.stdout, [SECRET], 'stderr');
  } finally { await proxy.close(); }
});

test('a malformed credentials file: the parse error gives a position, never the text around it', async () => {
  const secret = 'Zr7Q~kP2xW9vN4mJ8hT3bY6';
  for (const text of [
    `{"tenantId": "t", "clientSecret": ${secret}}`, // unquoted: V8 quotes the text near the token
    `{"tenantId": "t", "clientSecret": "${secret}" "clientId": "c"}`,
    `{"clientSecret": "${secret}`,
  ]) {
    const file = join(dir, 'bad-credentials.json');
    await writeFile(file, text, { mode: 0o600 });
    const r = await cli(['sync', '--credentials', file, '--out', join(dir, 'never')], {});
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /credentials file .* is not valid JSON/);
    assert.match(r.stderr, /line 1, column \d+/);
    for (let i = 0; i + 4 <= secret.length; i += 1) {
      assert.ok(!r.stderr.includes(secret.slice(i, i + 4)), `fragment ${secret.slice(i, i + 4)} in: ${r.stderr}`);
    }
  }
});
