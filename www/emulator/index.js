// A local emulator of Microsoft Entra's token endpoint and the Business Central API v2.0 plus the
// automation users API, for bc-spend's tests, demo and benchmarks. Loopback only; no dependencies.
//
//   const emu = await startEmulator({ seed: 1, dataset: { invoices: 10_000 } });
//   // emu.authorityHost / emu.apiHost, emu.credentials, emu.stats(), emu.groundTruth({ since })
//   await emu.close();
//
// Behaviour follows shared/reference/business-central-api.md; choices where the reference is
// UNCONFIRMED are listed in README.md next to this file.

import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  generateDataset, datasetDigest, mulberry32, mix32, priceInvoice, lcyCents, parseDay, dayToIso,
  S_DRAFT, S_OPEN, S_PAID, S_CANCELED, DAY_MS, STATUS_NAMES,
} from './data.js';
import { Directory, EntraError, entraErrorBody, SCENARIO_APPS, DEMO_USER } from './entra.js';
import { BcApi, bcErrorBody } from './bc.js';
import { BcError } from './odata.js';
import { Faults } from './faults.js';
import { INVOICE, LINE, buildObject, invoiceNumber, lineRows } from './entities.js';

export { FAULT_KINDS } from './faults.js';
export { SCENARIO_APPS, DEMO_USER } from './entra.js';
export { generateDataset, datasetDigest } from './data.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const ENTITY_NAMES = new Set(['companies', 'vendors', 'purchaseInvoices', 'purchaseInvoiceLines', 'purchaseCreditMemos', 'generalLedgerSetup', 'users']);

export async function startEmulator(options = {}) {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the emulator listens on loopback only; host '${host}' is not a loopback address`);
  const seed = options.seed ?? 1;
  const maxConcurrent = options.maxConcurrent ?? 5;
  const maxConnections = options.maxConnections ?? 100;
  const queueTimeoutMs = options.queueTimeoutMs ?? 8 * 60_000;
  const rateLimit = { requests: 6000, windowMs: 300_000, ...(options.rateLimit ?? {}) };
  const nowFn = options.now ?? (() => Date.now());
  let clockOffset = 0;
  const clock = () => { const v = nowFn(); return (v instanceof Date ? v.getTime() : Number(v)) + clockOffset; };

  const ds = generateDataset({ ...(options.dataset ?? {}), seed });
  let highWater = 0;
  for (const c of ds.companies) for (let i = 0; i < c.invoices.n; i++) highWater = Math.max(highWater, c.invoices.lastMod[i]);

  const directory = new Directory({ clock, tokenLifetimeSec: options.tokenLifetimeSec ?? 3599, environments: [ds.environment] });
  const bc = new BcApi({ ds, directory, clock, maxPageSize: options.maxPageSize });
  const faults = new Faults();

  // ------------------------------------------------------------------ limits and recording
  const stats = freshStats();
  const lanes = new Map(); // identity -> { inflight, queue: [] }
  const windows = new Map(); // identity -> timestamps (ms, monotonic) of accepted requests
  let inflightTotal = 0;

  function freshStats() { return { requests: [], peakConcurrency: 0, peakConcurrencyByIdentity: {}, peakQueued: 0, rateLimited: 0 }; }
  function lane(identity) { let l = lanes.get(identity); if (!l) { l = { inflight: 0, queue: [] }; lanes.set(identity, l); } return l; }

  function acquire(identity) {
    const l = lane(identity);
    if (l.inflight < maxConcurrent) { take(identity, l); return Promise.resolve(); }
    if (l.inflight + l.queue.length >= maxConnections) {
      return Promise.reject(new BcError(429, 'TooManyRequests', `The number of concurrent requests and queued requests exceeds the limit of ${maxConnections} for this user.`));
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, timer: null };
      waiter.timer = setTimeout(() => {
        l.queue.splice(l.queue.indexOf(waiter), 1);
        reject(new BcError(503, 'ServiceUnavailable', 'The request was queued for longer than the maximum time and was cancelled. Try again later.', { 'Retry-After': '30' }));
      }, queueTimeoutMs);
      waiter.timer.unref?.();
      l.queue.push(waiter);
      stats.peakQueued = Math.max(stats.peakQueued, l.queue.length);
    });
  }
  function take(identity, l) {
    l.inflight++; inflightTotal++;
    stats.peakConcurrency = Math.max(stats.peakConcurrency, inflightTotal);
    stats.peakConcurrencyByIdentity[identity] = Math.max(stats.peakConcurrencyByIdentity[identity] ?? 0, l.inflight);
  }
  function release(identity) {
    const l = lane(identity);
    l.inflight--; inflightTotal--;
    const next = l.queue.shift();
    if (next) { clearTimeout(next.timer); take(identity, l); next.resolve(); }
  }
  function rateCheck(identity) {
    const now = performance.now();
    let w = windows.get(identity); if (!w) { w = []; windows.set(identity, w); }
    while (w.length && w[0] <= now - rateLimit.windowMs) w.shift();
    if (w.length >= rateLimit.requests) {
      stats.rateLimited++;
      const headers = {};
      if (rateLimit.retryAfter === true) headers['Retry-After'] = String(Math.max(1, Math.ceil((w[0] + rateLimit.windowMs - now) / 1000)));
      else if (typeof rateLimit.retryAfter === 'number') headers['Retry-After'] = String(rateLimit.retryAfter);
      throw new BcError(429, 'TooManyRequests', `Too many requests reached. Actual (${w.length + 1}). Maximum (${rateLimit.requests}).`, headers);
    }
    w.push(now);
  }

  // ------------------------------------------------------------------ HTTP
  const server = createServer((req, res) => { serve(req, res).catch((err) => fail(res, err)); });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(options.port ?? 0, host, resolve); });
  const port = server.address().port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  function fail(res, err) {
    if (!res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(bcErrorBody('Internal_ServerError', `Emulator error: ${err?.message ?? err}`)));
    } else res.destroy();
  }

  function classify(pathname, search) {
    const segs = pathname.split('/').filter(Boolean);
    if (segs[1] === 'oauth2' && segs[2] === 'v2.0' && segs[3] === 'token') return { kind: 'token', entity: 'token', tenantSeg: segs[0] };
    if (segs[1] === 'oauth2' && segs[2] === 'v2.0' && segs[3] === 'authorize') return { kind: 'authorize', entity: 'authorize', tenantSeg: segs[0] };
    if (segs[1] === 'v2.0' && segs[2] === 'adminconsent') return { kind: 'adminconsent', entity: 'adminconsent', tenantSeg: segs[0], v2: true };
    if (segs[1] === 'adminconsent' && segs.length === 2) return { kind: 'adminconsent', entity: 'adminconsent', tenantSeg: segs[0], v2: false };
    if (segs[0] === 'v2.0') {
      let entity; let companyId;
      for (const s of segs) {
        const m = /^([A-Za-z]+)(?:\(([^)]*)\))?$/.exec(decodeSafe(s));
        if (!m) continue;
        if (m[1] === 'companies' && m[2]) companyId = m[2].toLowerCase();
        if (ENTITY_NAMES.has(m[1])) entity = m[1]; // the last entity set on the path
      }
      const sp = new URLSearchParams(search);
      if (!companyId && sp.get('company')) companyId = sp.get('company').toLowerCase();
      return { kind: 'bc', entity, companyId, filter: sp.get('$filter') ?? undefined };
    }
    return { kind: 'other' };
  }

  async function serve(req, res) {
    const startedAt = Date.now(); const t0 = performance.now();
    const u = new URL(req.url, url);
    const pathname = u.pathname; const search = u.search;
    const origin = `http://${req.headers.host ?? `${host}:${port}`}`;
    const info = { method: req.method, pathname, search, ...classify(pathname, search) };
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const preAuth = token ? directory.lookup(token) : null;
    info.identity = preAuth?.identity ?? null;
    info.nowMs = clock();
    const rec = { method: req.method, path: pathname, query: search, status: 0, identity: info.identity, startedAt, ms: 0, kind: info.kind, entity: info.entity ?? null, companyId: info.companyId ?? null, fault: null };
    if (options.recordRequests !== false) stats.requests.push(rec);
    res.once('close', () => { rec.status = res.headersSent ? res.statusCode : 0; rec.ms = Math.round((performance.now() - t0) * 100) / 100; if (!res.writableFinished) rec.aborted = true; });

    const { latencyMs: faultLatency, terminal } = faults.evaluate(info);
    if (terminal) rec.fault = terminal.kind;
    const baseLatency = typeof options.latencyMs === 'function' ? Number(options.latencyMs(info)) || 0 : Number(options.latencyMs ?? 0);
    const latency = baseLatency + faultLatency;

    if (terminal?.kind === 'expireTokens') directory.revokeAccessTokens(terminal.identity ?? null);
    if (terminal && ['429', '502', '503', '504', 'status'].includes(terminal.kind)) {
      if (latency) await sleep(latency);
      return sendFaultStatus(res, terminal);
    }
    if (terminal?.kind === 'drop' && terminal.bytes === 0) { req.socket.destroy(); return; }

    if (info.kind === 'token' || info.kind === 'authorize' || info.kind === 'adminconsent') {
      if (latency) await sleep(latency);
      return serveEntra(req, res, info, u, terminal);
    }
    if (info.kind !== 'bc') {
      return sendJson(res, 404, bcErrorBody('BadRequest_NotFound', `No HTTP resource was found that matches the request URI '${origin}${pathname}${search}'.`));
    }

    const auth = bc.authenticate(req.headers);
    if (auth.error) { rec.identity = null; return sendBcError(res, auth.error); }
    const identity = auth.record.identity;
    rec.identity = identity;
    try { rateCheck(identity); } catch (e) { return sendBcError(res, e); }
    try { await acquire(identity); } catch (e) { return sendBcError(res, e); }
    try {
      if (latency) await sleep(latency);
      let plan;
      try {
        plan = bc.handle({ method: req.method, pathname, search, origin, headers: req.headers }, auth.record);
      } catch (e) {
        if (e instanceof BcError) return sendBcError(res, e);
        throw e;
      }
      await writePlan(res, plan, terminal, req);
    } finally {
      release(identity);
    }
  }

  async function serveEntra(req, res, info, u, terminal) {
    const nowMs = clock();
    const entraOrigin = `http://${req.headers.host ?? `${host}:${port}`}`;
    const sendEntraError = (err) => {
      const body = JSON.stringify(entraErrorBody(err, entraOrigin, nowMs));
      res.writeHead(err.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache', 'x-ms-request-id': randomUUID() });
      res.end(body);
    };
    try {
      if (info.kind === 'token') {
        if (req.method !== 'POST') throw new EntraError(400, 'invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method} request.`);
        const text = await readBody(req, 64 * 1024);
        const form = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '') ? new URLSearchParams(text) : new URLSearchParams();
        const body = directory.token(info.tenantSeg, form);
        if (terminal?.kind === 'malformed') return writeTruncated(res, 200, JSON.stringify(body), terminal);
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache', 'x-ms-request-id': randomUUID() });
        res.end(JSON.stringify(body));
        return;
      }
      const out = info.kind === 'authorize' ? directory.authorize(info.tenantSeg, u.searchParams) : directory.adminConsent(info.tenantSeg, u.searchParams, { v2: info.v2 });
      res.writeHead(302, { Location: out.redirect, 'Cache-Control': 'no-store, no-cache' });
      res.end();
    } catch (e) {
      if (!(e instanceof EntraError)) throw e;
      if (info.kind === 'token') return sendEntraError(e);
      // Errors that cannot be redirected (bad tenant, unknown app, unregistered redirect URI) are
      // shown on Entra's sign-in page.
      res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p id="error">AADSTS${e.aadsts}: ${escapeHtml(e.message)}</p></body></html>`);
    }
  }

  function commonHeaders(extra = {}) {
    return { 'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8', 'OData-Version': '4.0', 'request-id': randomUUID(), 'ms-correlation-x': randomUUID(), ...extra };
  }
  function sendJson(res, status, obj, headers = {}) {
    const body = JSON.stringify(obj);
    res.writeHead(status, commonHeaders({ 'Content-Length': Buffer.byteLength(body), ...headers }));
    res.end(body);
  }
  function sendBcError(res, e) { sendJson(res, e.status, bcErrorBody(e.code, e.message), e.headers ?? {}); }

  function sendFaultStatus(res, f) {
    const status = f.kind === 'status' ? Number(f.status ?? 500) : Number(f.kind);
    const headers = {};
    let retryAfter = f.retryAfter;
    if (retryAfter === undefined && (status === 502 || status === 503)) retryAfter = 1; // BC adds retry-after on 502/503
    if (retryAfter !== undefined && retryAfter !== null && retryAfter !== false) headers['Retry-After'] = retryAfter instanceof Date ? retryAfter.toUTCString() : String(retryAfter);
    const bodies = {
      429: ['TooManyRequests', 'Too many requests reached. Try again later.'],
      502: ['BadGateway', 'Bad Gateway. The service is temporarily unavailable.'],
      503: ['ServiceUnavailable', 'The service is temporarily unavailable. Try again later.'],
      504: ['GatewayTimeout', 'The request took longer than the gateway timeout. Narrow the request, for example with a smaller date range.'],
    };
    const [code, msg] = bodies[status] ?? ['Internal_ServerError', `Injected status ${status}.`];
    sendJson(res, status, bcErrorBody(code, msg), headers);
  }

  async function writePlan(res, plan, fault, req) {
    if (plan.text !== undefined) { res.writeHead(plan.status, { ...plan.headers, 'OData-Version': '4.0' }); res.end(plan.text); return; }
    const headers = commonHeaders(plan.headers ?? {});
    const coll = plan.collection;
    if (coll && fault?.kind === 'foreignNextLink' && coll.nextLink) {
      const n = new URL(coll.nextLink);
      coll.nextLink = `https://api.businesscentral.example.net${n.pathname}${n.search}`;
    }
    if (fault?.kind === 'malformed' || fault?.kind === 'drop') {
      const body = coll ? collectionText(coll) : JSON.stringify(plan.json);
      if (fault.kind === 'malformed') return writeTruncated(res, plan.status, body, fault, headers);
      res.writeHead(plan.status, headers);
      const cut = Math.max(1, Math.min(body.length - 1, fault.bytes ?? Math.floor(body.length / 2)));
      res.write(body.slice(0, cut), () => setImmediate(() => req.socket.destroy()));
      return;
    }
    if (!coll) {
      const body = JSON.stringify(plan.json);
      res.writeHead(plan.status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    // Stream: head, rows in batches (with backpressure), then the nextLink.
    res.writeHead(plan.status, headers);
    const head = JSON.stringify(coll.head);
    if (!res.write(`${head.slice(0, -1)},"value":[`)) await drained(res);
    const BATCH = 100;
    for (let k = 0; k < coll.rows.length; k += BATCH) {
      if (res.destroyed) return;
      let s = '';
      for (let j = k; j < Math.min(k + BATCH, coll.rows.length); j++) s += (j ? ',' : '') + JSON.stringify(coll.build(coll.rows[j]));
      if (!res.write(s)) await drained(res);
    }
    res.end(coll.nextLink ? `],"@odata.nextLink":${JSON.stringify(coll.nextLink)}}` : ']}');
  }

  function writeTruncated(res, status, body, fault, headers = commonHeaders()) {
    const cut = Math.max(1, Math.min(body.length - 1, fault.bytes ?? Math.floor(body.length / 2)));
    const part = body.slice(0, cut);
    res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(part) });
    res.end(part);
  }

  // ------------------------------------------------------------------ mutations
  function companyOf(companyId) {
    const c = ds.companies.find((x) => x.id === String(companyId).toLowerCase() || x.name === companyId);
    if (!c) throw new Error(`no company '${companyId}'`);
    return c;
  }
  function invoiceOf(companyId, id) {
    const company = companyOf(companyId);
    const d = ds.ids.decode('invoice', company.index, String(id));
    if (d?.b !== 0 || d.a >= company.invoices.n) throw new Error(`no invoice '${id}' in company ${company.name}`);
    return { company, i: d.a };
  }
  // lastModifiedDateTime moves forward on every change, past anything already served.
  function bump(company, i) {
    highWater = Math.max(clock(), highWater + 1000);
    company.invoices.lastMod[i] = highWater;
  }
  function summary(company, i) {
    const st = company.invoices;
    return { companyId: company.id, id: ds.ids.guid('invoice', company.index, i), number: invoiceNumber(st, i), status: STATUS_NAMES[st.status[i]], lastModifiedDateTime: new Date(st.lastMod[i]).toISOString() };
  }
  function setStatus(company, i, status) {
    const st = company.invoices;
    const vendor = company.vendors[st.vendor[i]];
    if (st.status[i] === S_OPEN) vendor.balanceCents -= lcyCents(company, st, i);
    st.status[i] = status;
    if (status === S_OPEN) vendor.balanceCents += lcyCents(company, st, i);
    bump(company, i);
  }
  let addCounter = 0;
  const mutate = {
    payInvoice(companyId, id) {
      const { company, i } = invoiceOf(companyId, id);
      if (company.invoices.status[i] !== S_OPEN) throw new Error(`invoice ${id} is ${STATUS_NAMES[company.invoices.status[i]]}, only Open invoices can be paid`);
      setStatus(company, i, S_PAID);
      return summary(company, i);
    },
    // Reversing the payment application: the invoice goes back to Open (reference 7).
    unpayInvoice(companyId, id) {
      const { company, i } = invoiceOf(companyId, id);
      if (company.invoices.status[i] !== S_PAID) throw new Error(`invoice ${id} is not Paid`);
      setStatus(company, i, S_OPEN);
      return summary(company, i);
    },
    cancelInvoice(companyId, id) {
      const { company, i } = invoiceOf(companyId, id);
      setStatus(company, i, S_CANCELED);
      return summary(company, i);
    },
    // Posting a draft renames it: new number, same id.
    postInvoice(companyId, id) {
      const { company, i } = invoiceOf(companyId, id);
      const st = company.invoices;
      if (st.status[i] !== S_DRAFT) throw new Error(`invoice ${id} is not a draft`);
      st.postedNo[i] = st.nextPostedNo++;
      st.postingDay[i] = Math.max(st.invoiceDay[i], Math.floor(clock() / DAY_MS));
      setStatus(company, i, S_OPEN);
      return summary(company, i);
    },
    // patch: { description, quantity, unitCost } for the first amount line, or { lines: [...] }
    // with { description, quantity, unitCost, lineType ('Account'|'Item'|'Comment'|'Charge') }.
    editInvoice(companyId, id, patch = {}) {
      const { company, i } = invoiceOf(companyId, id);
      const st = company.invoices;
      const current = lineRows(ds, company, i).map((r) => ({ ...r.line }));
      let lines;
      if (patch.lines) {
        const types = { Comment: 0, Account: 1, Item: 2, Charge: 5 };
        lines = patch.lines.map((l) => ({ type: types[l.lineType ?? 'Account'] ?? 1, objNo: l.lineType === 'Comment' ? '' : '6420', description: String(l.description ?? '').slice(0, 100), description2: '', uom: '', qty100: Math.round((l.quantity ?? (l.lineType === 'Comment' ? 0 : 1)) * 100), uc5: Math.round((l.unitCost ?? 0) * 100_000), discPct: 0, taxIdx: st.cur[i] === 0 ? 0 : -1 }));
      } else {
        lines = current.map((l) => ({ type: l.type, objNo: l.objNo, description: l.description, description2: l.description2, uom: l.uom, qty100: l.qty100, uc5: l.uc5, discPct: l.discPct, taxIdx: l.taxIdx }));
        const first = lines.find((l) => l.type !== 0);
        if (first) {
          if (patch.description !== undefined) first.description = String(patch.description).slice(0, 100);
          if (patch.quantity !== undefined) first.qty100 = Math.round(patch.quantity * 100);
          if (patch.unitCost !== undefined) first.uc5 = Math.round(patch.unitCost * 100_000);
          if (patch.description === undefined && patch.quantity === undefined && patch.unitCost === undefined) first.description = `${first.description} (amended)`.slice(0, 100);
        }
      }
      const wasOpen = st.status[i] === S_OPEN;
      if (wasOpen) company.vendors[st.vendor[i]].balanceCents -= lcyCents(company, st, i);
      st.overrides.set(i, { lines, invDiscPct: 0 });
      priceInvoice(ds, company, i);
      if (wasOpen) company.vendors[st.vendor[i]].balanceCents += lcyCents(company, st, i);
      bump(company, i);
      return summary(company, i);
    },
    advanceClock(ms) { clockOffset += ms; return clock(); },
    // New invoices dated today (emulator clock), appended at the end of the key order.
    addInvoices(n, { companyId, status = 'Open' } = {}) {
      const targets = companyId ? [companyOf(companyId)] : ds.companies;
      const rng = mulberry32(mix32(seed * 31 + 977 + addCounter++));
      const out = [];
      const statusCode = { Draft: S_DRAFT, Open: S_OPEN, Paid: S_PAID, Canceled: S_CANCELED }[status];
      if (statusCode === undefined) throw new Error(`status must be Draft, Open, Paid or Canceled, not '${status}'`);
      for (let k = 0; k < n; k++) {
        const company = targets[k % targets.length];
        const st = company.invoices;
        const src = Math.floor(rng() * st.n);
        const i = st.add();
        for (const col of ['vendor', 'tpl', 'ref', 'period', 'cur']) st[col][i] = st[col][src];
        st.seed[i] = (rng() * 4294967296) >>> 0;
        const today = Math.floor(clock() / DAY_MS);
        st.invoiceDay[i] = today; st.postingDay[i] = today; st.dueDay[i] = today + company.vendors[st.vendor[i]].termsDays;
        st.draftNo[i] = st.nextDraftNo++;
        st.postedNo[i] = statusCode === S_DRAFT ? 0 : st.nextPostedNo++;
        st.status[i] = statusCode;
        priceInvoice(ds, company, i);
        if (statusCode === S_OPEN) company.vendors[st.vendor[i]].balanceCents += lcyCents(company, st, i);
        bump(company, i);
        out.push(summary(company, i));
      }
      return out;
    },
  };

  // ------------------------------------------------------------------ ground truth
  // The Paid invoices a correct sync must produce: status Paid and postingDate >= since, read
  // from the data (not over HTTP). Amounts are given as numbers and as integer cents.
  function groundTruth({ since, companies, lines = true } = {}) {
    const sinceDay = since ? parseDay(typeof since === 'string' ? since : new Date(since).toISOString()) : -Infinity;
    const wanted = companies ? companies.map((c) => String(c).toLowerCase()) : null;
    const result = { since: since ? dayToIso(sinceDay) : null, filter: 'status eq Paid and postingDate ge since', count: 0, totalsByCurrency: {}, companies: [] };
    const addTotals = (t, code, excl, tax) => { const x = (t[code] ??= { invoices: 0, excludingTaxCents: 0, taxCents: 0, includingTaxCents: 0 }); x.invoices++; x.excludingTaxCents += excl; x.taxCents += tax; x.includingTaxCents += excl + tax; };
    for (const company of ds.companies) {
      if (wanted && !wanted.includes(company.id) && !wanted.includes(company.name.toLowerCase())) continue;
      const st = company.invoices;
      const entry = { id: company.id, name: company.name, localCurrencyCode: company.glSetup.localCurrencyCode, count: 0, totalsByCurrency: {}, invoices: [] };
      for (let i = 0; i < st.n; i++) {
        if (st.status[i] !== S_PAID || st.postingDay[i] < sinceDay) continue;
        const row = { ds, company, i };
        const inv = buildObject(INVOICE, row, ['id', 'number', 'postingDate', 'invoiceDate', 'vendorId', 'vendorNumber', 'vendorName', 'currencyCode', 'totalAmountExcludingTax', 'totalTaxAmount', 'totalAmountIncludingTax', 'lastModifiedDateTime']);
        inv.excludingTaxCents = st.excl[i]; inv.taxCents = st.tax[i]; inv.includingTaxCents = st.excl[i] + st.tax[i];
        if (lines) {
          inv.lines = lineRows(ds, company, i).map((r) => {
            const o = buildObject(LINE, r, ['id', 'sequence', 'lineType', 'lineObjectNumber', 'description', 'description2', 'quantity', 'unitCost', 'netAmount', 'netTaxAmount', 'netAmountIncludingTax']);
            o.netCents = r.line.netCents; o.netTaxCents = r.line.taxCents;
            return o;
          });
        }
        entry.invoices.push(inv); entry.count++;
        addTotals(entry.totalsByCurrency, inv.currencyCode, st.excl[i], st.tax[i]);
        addTotals(result.totalsByCurrency, inv.currencyCode, st.excl[i], st.tax[i]);
      }
      result.count += entry.count;
      result.companies.push(entry);
    }
    return result;
  }

  // ------------------------------------------------------------------ the handle
  const scenarios = {};
  for (const def of SCENARIO_APPS) scenarios[def.scenario] = { ...directory.credentials(def.scenario), environment: ds.environment };
  scenarios.wrongSecret = { ...scenarios.valid, clientSecret: `${scenarios.valid.clientSecret.slice(0, -4)}XXXX` };
  scenarios.secretIdAsSecret = { ...scenarios.valid, clientSecret: scenarios.valid.secretId };
  scenarios.unknownTenant = { ...scenarios.valid, tenantId: '4a6d9e21-0b3c-4f5e-8d7a-6c1b2e3f4a5d' };
  scenarios.unknownTenantDomain = { ...scenarios.valid, tenantId: 'contoso-unknown.onmicrosoft.com' };
  scenarios.malformedTenant = { ...scenarios.valid, tenantId: 'not a tenant!' };
  scenarios.unknownApp = { ...scenarios.valid, clientId: '0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b' };
  scenarios.unknownEnvironment = { ...scenarios.valid, environment: 'sandbox-missing' };

  const emulator = {
    url, authorityHost: url, apiHost: url,
    tenantId: directory.tenant.id, environment: ds.environment,
    credentials: { tenantId: directory.tenant.id, environment: ds.environment, clientId: scenarios.valid.clientId, clientSecret: scenarios.valid.clientSecret },
    scenarios,
    demoUser: DEMO_USER,
    data: ds,
    digest: () => datasetDigest(ds),
    faults: { add: (f) => faults.add(f), clear: () => faults.clear(), list: () => faults.summary() },
    mutate,
    entra: directory,
    now: clock,
    groundTruth,
    stats() {
      const countsByKind = {}; const countsByEntity = {}; const countsByStatus = {};
      for (const r of stats.requests) {
        countsByKind[r.kind] = (countsByKind[r.kind] ?? 0) + 1;
        if (r.entity) countsByEntity[r.entity] = (countsByEntity[r.entity] ?? 0) + 1;
        countsByStatus[r.status] = (countsByStatus[r.status] ?? 0) + 1;
      }
      return {
        requests: stats.requests.slice(), total: stats.requests.length,
        peakConcurrency: stats.peakConcurrency, peakConcurrencyByIdentity: { ...stats.peakConcurrencyByIdentity }, peakQueued: stats.peakQueued,
        rateLimited: stats.rateLimited, tokensIssued: directory.tokensIssued,
        countsByKind, countsByEntity, countsByStatus, faults: faults.summary(),
      };
    },
    resetStats() {
      const fresh = freshStats();
      Object.assign(stats, fresh);
      stats.peakConcurrency = inflightTotal;
      directory.tokensIssued = 0;
    },
    async close() {
      for (const l of lanes.values()) for (const w of l.queue) clearTimeout(w.timer);
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return emulator;
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
// A response whose client went away has already emitted 'close' and will never 'drain': waiting
// for either would hold the request's concurrency slot forever (a sync killed mid-page left its
// identity's 5 slots taken, and the resumed sync queued behind them for good).
function drained(res) {
  if (res.destroyed || res.closed) return Promise.resolve();
  return new Promise((r) => { const done = () => { res.off('drain', done); res.off('close', done); r(); }; res.once('drain', done); res.once('close', done); });
}
function decodeSafe(s) { try { return decodeURIComponent(s); } catch { return s; } }
function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]); }
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    let size = 0; const chunks = [];
    req.on('data', (c) => { size += c.length; if (size > limit) { reject(new EntraError(400, 'invalid_request', 90014, 'The request body is too large.')); req.destroy(); } else chunks.push(c); });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function collectionText(coll) {
  const head = JSON.stringify(coll.head);
  let s = `${head.slice(0, -1)},"value":[`;
  s += coll.rows.map((r) => JSON.stringify(coll.build(r))).join(',');
  return s + (coll.nextLink ? `],"@odata.nextLink":${JSON.stringify(coll.nextLink)}}` : ']}');
}
