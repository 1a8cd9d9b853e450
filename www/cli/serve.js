// The dashboard's static server: www/index.html and www/dashboard/*, the wasm package from pkg/,
// the chart library from node_modules, and one output directory (of `demo`, `sync` or `analyze`)
// under /data/. Loopback only, GET and HEAD only, no directory listings, no path escapes.
//
//   const { url, close } = await serveDashboard({ dataDir: 'bc-spend-out' });
//
// /data/index.json is generated (unless the directory holds one): the list of the data files
// present, so the page asks only for files that exist and a missing file is never a 404 in the
// browser's console.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const WWW = fileURLToPath(new URL('..', import.meta.url));
const REPO = resolve(WWW, '..');
const PKG = join(REPO, 'pkg');
const DASHBOARD = join(WWW, 'dashboard');
const INDEX = join(WWW, 'index.html');

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The data files the dashboard knows how to read, in the order it reads them. */
export const DATA_FILES = [
  'report.json', 'transactions.json', 'users.json', 'diagnostics.json', 'summary.json', 'state.bcs', 'state.json', 'run.json', 'rules.json',
];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

// The page's code is all same-origin; 'wasm-unsafe-eval' lets it compile the engine.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Where chart.js's self-contained (UMD) build lives: next to its ESM entry. */
function chartLibraryPath() {
  try {
    return join(dirname(fileURLToPath(import.meta.resolve('chart.js'))), 'chart.umd.min.js');
  } catch {
    return join(WWW, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js');
  }
}

/** `root` joined with a URL path, or null when the result would leave `root`. */
function inside(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  const full = resolve(root, ...parts);
  if (full !== root && !full.startsWith(root + sep)) return null;
  return full;
}

/** Resolves symlinks and checks again, so a link inside a served folder cannot point outside. */
async function realInside(realRoot, full) {
  try {
    const realFull = await realpath(full);
    if (realFull !== realRoot && !realFull.startsWith(realRoot + sep)) return null;
    const st = await stat(realFull);
    return st.isFile() ? { path: realFull, size: st.size } : null;
  } catch {
    return null;
  }
}

async function dataIndex(dataDir) {
  let names = [];
  try {
    names = await readdir(dataDir);
  } catch {
    // a missing directory serves an empty index: the page then asks for dropped files
  }
  const present = new Set(names);
  const files = [];
  for (const name of DATA_FILES) {
    if (!present.has(name)) continue;
    const st = await stat(join(dataDir, name)).catch(() => null);
    if (st?.isFile()) files.push({ name, size: st.size, modified: st.mtime.toISOString() });
  }
  return { files };
}

/**
 * Serves the dashboard for `dataDir` on loopback. Resolves once listening, with the page's `url`
 * and `close()` (which also ends idle keep-alive connections).
 */
export async function serveDashboard({ dataDir, port = 0, host = '127.0.0.1' } = {}) {
  if (!LOOPBACK.has(host)) throw new Error(`the dashboard listens on loopback only; host '${host}' is not a loopback address`);
  const dataRoot = dataDir == null ? null : resolve(dataDir);
  const chartJs = chartLibraryPath();
  // roots resolved once; a root that does not exist (no data dir yet) serves nothing
  const realRoots = new Map();
  const realRoot = async (root) => {
    if (realRoots.has(root)) return realRoots.get(root);
    const real = await realpath(root).catch(() => null);
    if (real) realRoots.set(root, real);
    return real;
  };

  let boundPort = port;
  const allowedHosts = () => new Set(['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${boundPort}`));

  async function route(pathname) {
    if (pathname === '/' || pathname === '/index.html') return { root: WWW, full: INDEX };
    if (pathname === '/vendor/chart.umd.min.js') return { root: dirname(chartJs), full: chartJs };
    for (const [prefix, root] of [['/dashboard/', DASHBOARD], ['/pkg/', PKG], ['/data/', dataRoot]]) {
      if (!pathname.startsWith(prefix)) continue;
      if (!root) return null;
      const full = inside(root, pathname.slice(prefix.length));
      return full ? { root, full } : null;
    }
    return null;
  }

  async function handle(req, res) {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 must not read the data.
    if (!allowedHosts().has(String(req.headers.host ?? '').toLowerCase())) return send(res, 403, 'forbidden host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    let pathname;
    try {
      pathname = new URL(req.url, 'http://x').pathname;
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (pathname === '/data/index.json') {
      // always answered (an empty list without a data directory), so the page's first request
      // never shows up as a 404 in the console
      const root = dataRoot && (await realRoot(dataRoot));
      const own = root && (await realInside(root, join(dataRoot, 'index.json')));
      if (!own) {
        const body = JSON.stringify(dataRoot ? await dataIndex(dataRoot) : { files: [] });
        res.setHeader('Cache-Control', 'no-store');
        return send(res, 200, body, TYPES['.json'], req.method === 'HEAD');
      }
    }
    const target = await route(pathname);
    const root = target && (await realRoot(target.root));
    const file = root && (await realInside(root, target.full));
    if (!file) return send(res, 404, 'not found\n');
    res.statusCode = 200;
    res.setHeader('Content-Type', TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('Content-Length', file.size);
    res.setHeader('Cache-Control', 'no-store');
    if (file.path === INDEX) res.setHeader('Content-Security-Policy', CSP);
    if (req.method === 'HEAD') return res.end();
    const stream = createReadStream(file.path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  boundPort = server.address().port;
  const urlHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${urlHost}:${boundPort}/`,
    port: boundPort,
    server,
    close: () => new Promise((ok) => {
      server.close(() => ok());
      server.closeIdleConnections?.();
    }),
  };
}

function send(res, status, body, type = 'text/plain; charset=utf-8', headOnly = false) {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(headOnly ? undefined : body);
}
