// Writes pkg/package.json: one package, an entry per runtime chosen by `exports` conditions.
import { readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const cargo = readFileSync(new URL('Cargo.toml', root), 'utf8');
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)[1];
const entry = (file) => ({ types: './entry.d.ts', default: file });
const pkg = {
  name: 'bc-spend',
  version,
  description: 'SaaS spend from Microsoft Dynamics 365 Business Central: a Rust core compiled to WebAssembly',
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
  files: ['bc_spend.js', 'bc_spend.d.ts', 'bc_spend_bg.wasm', 'bc_spend_bg.wasm.d.ts', 'entry.d.ts', 'node.js', 'browser.js', 'workerd.js', 'README.md', 'LICENSE'],
  sideEffects: ['./node.js', './browser.js', './workerd.js'],
};
writeFileSync(new URL('pkg/package.json', root), JSON.stringify(pkg, null, 2) + '\n');
if (existsSync(new URL('www/LICENSE', root))) copyFileSync(new URL('www/LICENSE', root), new URL('pkg/LICENSE', root));
