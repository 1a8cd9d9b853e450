// Injectable faults. Each fault has a kind, a match (which requests it applies to), `after` (let
// that many matching requests through first) and `times` (how often it fires; Infinity allowed).
// Matching and counting are deterministic: they depend only on the order of requests.

import { parseFilter, dateWindow } from './odata.js';

export const FAULT_KINDS = ['429', '502', '503', '504', 'status', 'latency', 'drop', 'expireTokens', 'malformed', 'foreignNextLink'];

export class Faults {
  constructor() { this.list = []; this.seq = 0; }

  add(spec) {
    const kind = String(spec.kind ?? spec.type ?? '');
    if (!FAULT_KINDS.includes(kind)) throw new TypeError(`unknown fault kind '${kind}'; one of ${FAULT_KINDS.join(', ')}`);
    const fault = {
      id: ++this.seq, kind, match: spec.match ?? {}, after: spec.after ?? 0, times: spec.times ?? 1,
      retryAfter: spec.retryAfter, status: spec.status, ms: spec.ms, maxWindowDays: spec.maxWindowDays,
      windowFields: spec.windowFields ?? ['postingDate', 'lastModifiedDateTime', 'invoiceDate', 'dueDate'],
      bytes: spec.bytes, identity: spec.identity, seen: 0, fired: 0,
    };
    if (kind === '504' && fault.maxWindowDays !== undefined && fault.match.entity === undefined) fault.match = { ...fault.match, entity: 'purchaseInvoices' };
    this.list.push(fault);
    const self = this;
    return {
      id: fault.id,
      get fired() { return fault.fired; },
      get seen() { return fault.seen; },
      remove() { self.list = self.list.filter((f) => f !== fault); },
    };
  }

  clear() { this.list = []; }

  summary() { return this.list.map((f) => ({ id: f.id, kind: f.kind, fired: f.fired, seen: f.seen, times: f.times })); }

  // info: { method, pathname, search, entity, companyId, identity, filter, nowMs }.
  // Returns { latencyMs, terminal } where terminal is the first firing non-latency fault.
  evaluate(info) {
    let latencyMs = 0; let terminal = null; const fired = [];
    for (const f of this.list) {
      if (f.fired >= f.times) continue;
      if (!matches(f, info)) continue;
      if (f.kind === '504' && f.maxWindowDays !== undefined) {
        let wide = true;
        if (info.filter !== undefined) {
          try {
            const w = dateWindow(parseFilter(info.filter), f.windowFields, info.nowMs);
            wide = !w.seen || w.days > f.maxWindowDays;
          } catch { wide = false; }
        }
        if (!wide) continue;
      }
      f.seen++;
      if (f.seen <= f.after) continue;
      if (f.kind === 'latency') {
        f.fired++; fired.push(f.id);
        latencyMs += typeof f.ms === 'function' ? Number(f.ms(info)) || 0 : Number(f.ms ?? 0);
        continue;
      }
      if (terminal) continue;
      f.fired++; fired.push(f.id);
      terminal = f;
    }
    return { latencyMs, terminal, fired };
  }
}

function test(pattern, value) {
  if (pattern === undefined) return true;
  if (value === undefined || value === null) return false;
  if (pattern instanceof RegExp) return pattern.test(value);
  if (typeof pattern === 'function') return !!pattern(value);
  return String(value).toLowerCase().includes(String(pattern).toLowerCase());
}

function matches(f, info) {
  const m = f.match;
  if (m.method && m.method.toUpperCase() !== info.method) return false;
  if (!test(m.path, `${info.pathname}${info.search}`)) return false;
  if (m.entity !== undefined && m.entity !== info.entity) return false;
  if (m.company !== undefined && String(m.company).toLowerCase() !== String(info.companyId ?? '').toLowerCase()) return false;
  if (m.identity !== undefined && m.identity !== info.identity) return false;
  if (m.kind !== undefined && m.kind !== info.kind) return false;
  if (m.nextLinkOnly && !/[?&]\$skiptoken=/.test(info.search)) return false;
  if (m.firstPageOnly && /[?&]\$skiptoken=/.test(info.search)) return false;
  return true;
}
