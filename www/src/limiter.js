// Admission control for one Business Central identity: at most N requests in flight, and a
// sliding-window pacer that keeps the request rate below BC's per-user limit (reference 6: five
// concurrent requests and 6,000 requests per 5-minute sliding window per user, where an S2S app
// is one user; the numbers are the core's, bcLimits(), which the BC client passes). Both limits
// belong to the identity, not to one client object, so clients of the same identity share one
// limiter through `sharedLimiter`.
//
// Plain ESM, only setTimeout: runs in Node, browsers and workerd.

import { abortedError, configError } from './errors.js';

/** setTimeout as a promise that rejects with ABORTED when `signal` fires. */
export function defaultSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const onAbort = () => { clearTimeout(timer); reject(abortedError()); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * FIFO concurrency limiter. `acquire(signal)` resolves to a release function once a slot is free;
 * a waiter whose signal aborts leaves the queue with ABORTED.
 */
export function createConcurrencyLimiter(maxConcurrency) {
  let max = maxConcurrency;
  let active = 0;
  let peak = 0;
  const queue = [];

  function grant() {
    while (active < max && queue.length > 0) {
      const waiter = queue.shift();
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      active += 1;
      peak = Math.max(peak, active);
      waiter.resolve(makeRelease());
    }
  }

  function makeRelease() {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      active -= 1;
      grant();
    };
  }

  return {
    get active() { return active; },
    get queued() { return queue.length; },
    get peak() { return peak; },
    get max() { return max; },
    /** Change the number of slots (sharedLimiter only ever lowers it). */
    setMax(n) { max = n; grant(); },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(abortedError());
      if (active < max && queue.length === 0) {
        active += 1;
        peak = Math.max(peak, active);
        return Promise.resolve(makeRelease());
      }
      return new Promise((resolve, reject) => {
        const waiter = { resolve, signal, onAbort: null };
        waiter.onAbort = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(abortedError());
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        queue.push(waiter);
      });
    },
  };
}

/**
 * Sliding-window pacer: no more than `budget` requests start within any `windowMs`. The budget is
 * `requests` less `headroom` (5% by default), so a client pacing itself stays below the service's
 * limit even when another process of the same identity sends a few requests.
 * `pauseUntil(t)` holds every later start until time t (used when BC says Retry-After).
 */
export function createRatePacer({ requests, windowMs, headroom = 0.05, now = () => Date.now(), sleep = defaultSleep } = {}) {
  // No default: BC's rate is the core's (bcLimits()), which the BC client passes.
  if (!(requests >= 1) || !(windowMs > 0)) throw configError('rate needs `requests` and `windowMs` (BC\'s: the core\'s bcLimits()).', { option: 'rate' });
  const budget = Math.max(1, Math.floor(requests * (1 - headroom)));
  const starts = new Array(budget).fill(-Infinity); // ring buffer of the last `budget` start times
  let head = 0; // index of the oldest start
  let pausedUntil = 0;
  let chain = Promise.resolve();

  async function admit(signal) {
    for (;;) {
      if (signal?.aborted) throw abortedError();
      const t = now();
      const waitPause = pausedUntil - t;
      const waitWindow = starts[head] + windowMs - t;
      const wait = Math.max(waitPause, waitWindow);
      if (wait <= 0) {
        starts[head] = t;
        head = (head + 1) % budget;
        return;
      }
      await sleep(wait, signal);
    }
  }

  return {
    budget,
    windowMs,
    /** Resolve when a request may start; admissions are granted in call order. */
    acquire(signal) {
      const turn = chain.then(() => admit(signal));
      chain = turn.catch(() => {});
      if (!signal) return turn;
      // A caller queued behind others must still be able to give up at once; its turn, when it
      // comes, sees the aborted signal and admits nothing.
      return new Promise((resolve, reject) => {
        if (signal.aborted) { reject(abortedError()); return; }
        const onAbort = () => reject(abortedError());
        signal.addEventListener('abort', onAbort, { once: true });
        turn.then(
          () => { signal.removeEventListener('abort', onAbort); resolve(); },
          (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
        );
      });
    },
    pauseUntil(t) { if (t > pausedUntil) pausedUntil = t; },
    get pausedUntil() { return pausedUntil; },
  };
}

/** One concurrency limiter and one pacer for an identity. */
export function createIdentityLimiter({ maxConcurrency, rate = {}, now, sleep } = {}) {
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw configError('maxConcurrency must be an integer of at least 1 (BC\'s limit: the core\'s bcLimits()).', { option: 'maxConcurrency' });
  const concurrency = createConcurrencyLimiter(maxConcurrency);
  const pacer = createRatePacer({ ...rate, now, sleep });
  return { concurrency, pacer };
}

const shared = new Map();

/**
 * The limiter of an identity (key such as `${apiHost}|${tenantId}|${clientId}`), created on first
 * use. A later caller asking for fewer concurrent requests lowers the shared cap.
 */
export function sharedLimiter(key, options = {}) {
  let limiter = shared.get(key);
  if (!limiter) {
    limiter = createIdentityLimiter(options);
    shared.set(key, limiter);
  } else if (options.maxConcurrency !== undefined && options.maxConcurrency < limiter.concurrency.max) {
    limiter.concurrency.setMax(options.maxConcurrency);
  }
  return limiter;
}
