// Starts reading the data directory while the dashboard's modules are still loading: loaded as
// an async module with no imports, it runs as soon as it arrives. load.js takes these requests
// over (once); without them it asks the server itself.

const SMALL_FILES = ['report', 'users', 'diagnostics', 'summary', 'run', 'rules'];

globalThis.bcSpendPrefetch = fetch('data/index.json', { cache: 'no-store' })
  .then(async (res) => {
    if (!res.ok) return null;
    const index = await res.json();
    const present = new Set((index.files ?? []).map((f) => f.name));
    const files = {};
    for (const key of SMALL_FILES) {
      if (present.has(`${key}.json`)) files[key] = fetch(`data/${key}.json`, { cache: 'no-store' });
    }
    return { index, files };
  })
  .catch(() => null);
