// The page's side of the store worker (store-worker.js): promise-based calls. A new data set gets
// a new worker, so nothing of the previous one (its engine, a preview still running) leaks in.

export function createStore() {
  const worker = new Worker(new URL('./store-worker.js', import.meta.url), { type: 'module' });
  let seq = 0;
  const pending = new Map();
  let dead = null;

  worker.onmessage = (e) => {
    const { seq: n, ok, result, error } = e.data;
    const p = pending.get(n);
    if (!p) return;
    pending.delete(n);
    if (ok) p.resolve(result);
    else p.reject(Object.assign(new Error(error.message), { code: error.code, path: error.path }));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    dead = new Error(`the dashboard's worker failed: ${e.message || 'it did not start'}`);
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };

  return {
    call(op, args = {}) {
      if (dead) return Promise.reject(dead);
      return new Promise((resolve, reject) => {
        const n = ++seq;
        pending.set(n, { resolve, reject });
        worker.postMessage({ seq: n, op, args });
      });
    },
    /** Stops the worker. Calls still pending never settle: their data set is gone. */
    terminate() {
      worker.terminate();
      dead = new Error('the data set was replaced');
      pending.clear();
    },
  };
}
