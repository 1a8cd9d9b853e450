// Writes pkg/package.json: one package, an entry per runtime chosen by `exports` conditions.
import { readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const cargo = readFileSync(new URL('Cargo.toml', root), 'utf8');
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)[1];
const entry = (file) => ({ types: './entry.d.ts', default: file });
const pkg = {
  name: 'bc-spend',
  version,
  description: 'SaaS spend from Microsoft Dynamics 365 Business Central: a Rust core compiled to WebAssembly, with sign-in, a BC client and sync for Node, browsers and Cloudflare Workers',
  keywords: ['business-central', 'dynamics-365', 'saas-management', 'spend', 'webassembly', 'cloudflare-workers'],
  license: 'MIT',
  type: 'module',
  main: './node.js',
  types: './entry.d.ts',
  exports: {
    '.': {
      workerd: entry('./workerd.js'),
      node: entry('./node.js'),
      browser: entry('./browser.js'),
      default: entry('./browser.js'),
    },
    './bc_spend_bg.wasm': './bc_spend_bg.wasm',
    './package.json': './package.json',
  },
  // The engine (wasm + glue), the host modules (host/, copied from www/src by build.sh), the
  // shared API and one entry per runtime.
  files: ['bc_spend.js', 'bc_spend.d.ts', 'bc_spend_bg.wasm', 'bc_spend_bg.wasm.d.ts', 'api.js', 'api.d.ts', 'entry.d.ts', 'node.js', 'browser.js', 'workerd.js', 'host/', 'README.md', 'LICENSE'],
  engines: { node: '>=20' },
  sideEffects: ['./node.js', './browser.js', './workerd.js'],
};
writeFileSync(new URL('pkg/package.json', root), JSON.stringify(pkg, null, 2) + '\n');
if (existsSync(new URL('www/LICENSE', root))) copyFileSync(new URL('www/LICENSE', root), new URL('pkg/LICENSE', root));
