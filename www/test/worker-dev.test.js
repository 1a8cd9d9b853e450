// The Worker's documented local cycle, as a newcomer runs it from a fresh clone: `node
// www/worker/dev.mjs` with the wrangler www/package.json pins (real `wrangler dev --local
// --test-scheduled`, not miniflare alone): migrations applied, .dev.vars written from the
// emulator's --credentials-out file, the cron triggered, every company synced, the report read.
// Then nothing is left: no listener, no .dev.vars. Needs pkg/ built.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = join(REPO, 'www/worker');
if (!existsSync(join(REPO, 'pkg/workerd.js'))) throw new Error('pkg/ is not built: run `bash www/scripts/build.sh` first');

it('the README names the wrangler that www/package.json pins and npm ci installs', () => {
  const pinned = JSON.parse(readFileSync(join(REPO, 'www/package.json'), 'utf8')).devDependencies.wrangler;
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'an exact version');
  assert.equal(JSON.parse(readFileSync(join(REPO, 'www/node_modules/wrangler/package.json'), 'utf8')).version, pinned);
  assert.ok(readFileSync(join(WORKER, 'README.md'), 'utf8').includes(`wrangler ${pinned}`), `www/worker/README.md names wrangler ${pinned}`);
});

it('dev.mjs takes a fresh clone to a report against the emulator, then stops everything', { timeout: 300_000 }, async () => {
  if (existsSync(join(WORKER, '.dev.vars'))) assert.fail('www/worker/.dev.vars exists: this test would not run on a fresh clone (move it away)');
  const state = mkdtempSync(join(tmpdir(), 'bc-spend-dev-state-'));
  try {
    const started = Date.now();
    const { stdout } = await run(process.execPath, [join(WORKER, 'dev.mjs'), '--state', state, '--timeout', '240'], { cwd: REPO, timeout: 280_000 })
      .catch((e) => assert.fail(`dev.mjs failed (exit ${e.code}):\n${e.stdout}\n${e.stderr}`));
    const seconds = (Date.now() - started) / 1000;
    const emulator = /emulator on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    const report = /report: (http:\/\/127\.0\.0\.1:(\d+)\/tenants\/contoso\/report\?asOf=2026-11-01) \(200, (\d+) transactions\)/.exec(stdout);
    assert.ok(emulator && report, stdout);
    assert.match(stdout, /3 companies synced/);
    assert.ok(Number(report[3]) > 0);
    process.stdout.write(`# worker-dev: fresh local cycle (migrations, emulator, wrangler dev, cron, 3 syncs, report) in ${seconds.toFixed(1)} s\n`);
    // Everything it started is stopped, and the secrets file is gone.
    for (const url of [emulator, report[1]]) {
      await assert.rejects(fetch(url, { signal: AbortSignal.timeout(2000) }), `${url} no longer answers`);
    }
    assert.equal(existsSync(join(WORKER, '.dev.vars')), false, '.dev.vars is removed');
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});
