// Local Worker runs leave secrets and state in the tree: www/worker/.dev.vars holds a client
// secret and the admin token, .wrangler/ holds D1 data read from Business Central. Both must be
// ignored by git, and neither may ever be tracked. Needs a git checkout (CI runs in a clone).

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const git = (...args) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let inCheckout = true;
try {
  inCheckout = git('rev-parse', '--is-inside-work-tree').trim() === 'true';
} catch {
  inCheckout = false;
}
const skip = inCheckout ? false : 'not a git checkout (a source tarball?): nothing is tracked here, so nothing to check';

/** Paths of local Worker secrets and state: any .dev.vars (or .dev.vars.<env>) and anything under a .wrangler/ folder. */
export const LOCAL_ONLY = /(^|\/)(\.dev\.vars(\.[^/]*)?$|\.wrangler\/)/;

it('no .dev.vars and nothing under .wrangler/ is tracked', { skip }, () => {
  const tracked = git('ls-files', '-z', '--cached').split('\0').filter((p) => LOCAL_ONLY.test(p));
  assert.deepEqual(tracked, [], `tracked local Worker secrets or state: ${tracked.join(', ')}; remove them with git rm --cached and rotate any secret they held`);
});

it('.gitignore ignores .dev.vars and .wrangler/ wherever wrangler writes them', { skip }, () => {
  const ignored = (p) => {
    try {
      git('check-ignore', '--quiet', '--no-index', p);
      return true;
    } catch (e) {
      if (e.status === 1) return false; // git's answer: not ignored
      throw e;
    }
  };
  const paths = ['www/worker/.dev.vars', 'www/worker/.dev.vars.staging', 'www/worker/.wrangler/state/v3/d1/db.sqlite', '.wrangler/tmp/x.js', 'www/.wrangler/cache/x'];
  assert.deepEqual(paths.filter((p) => !ignored(p)), [], 'not ignored by .gitignore');
});
