// A catalog ten times the shipped one, for "matching cost per line must not grow with the
// catalog": the shipped apps plus nine generated look-alikes of each ("slackqz3", ...), the same
// construction as examples/match_bench.rs, so none of them collides with a real alias. Returned as
// the Engine's `catalog` option (`mode: "extend"`).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function tenfoldCatalog(root) {
  const dir = join(root, 'src/catalog/data');
  const apps = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) apps.push(...(JSON.parse(readFileSync(join(dir, f), 'utf8')).apps || []));
  const extra = [];
  for (let k = 1; k <= 9; k++) {
    const tag = `qz${k}`;
    const vary = (s) => s.split(' ').map((w) => (/\p{L}/u.test(w) ? `${w}${tag}` : w)).join(' ');
    for (const a of apps) {
      extra.push({
        id: `${a.id}-${tag}`,
        name: vary(a.name),
        category: a.category,
        vendors: (a.vendors || []).map(vary),
        products: (a.products || []).map(vary),
        keywords: (a.keywords || []).map(vary),
        domains: (a.domains || []).map((d) => `${tag}${d}`),
      });
    }
  }
  return { mode: 'extend', apps: extra };
}
