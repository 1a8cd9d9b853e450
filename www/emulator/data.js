// Deterministic data set for the emulator: companies, vendors, purchase invoices with lines, credit
// memos, users and GL setup. Same seed and options -> byte-identical data.
//
// Invoices are stored column-wise (one array per field) and their lines are not stored at all:
// each invoice keeps a 32-bit seed, and its lines are rebuilt from (template, period, seed) when
// they are served. Totals are computed once at generation from the same builder, in integer
// cents, so header totals equal the sum of the lines exactly. 100,000 invoices take a few MB.
//
// GUIDs are derived, not stored: the first group is a keyed 32-bit permutation of the record's
// index, so an id from a URL decodes back to its index without any lookup table.

import {
  SAAS, RESELLERS, RESELLER_SKUS, OTHER, COMPANY_TEMPLATES, VENDOR_ADDRESSES, PEOPLE, APP_PRINCIPALS,
} from './catalog.js';

export const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';
export const DAY_MS = 86_400_000;
// Ordinals of BC enum 5477 "Invoice Entity Aggregate Status"; JSON names XML-escaped.
export const STATUS_NAMES = ['_x0020_', 'Draft', 'In_x0020_Review', 'Open', 'Paid', 'Canceled', 'Corrective'];
export const S_DRAFT = 1; export const S_OPEN = 3; export const S_PAID = 4; export const S_CANCELED = 5;
// Enum 5478 "Invoice Line Agg. Line Type".
export const LINE_TYPES = { 0: 'Comment', 1: 'Account', 2: 'Item', 3: 'Resource', 4: 'Fixed_x0020_Asset', 5: 'Charge', 10: 'Allocation_x0020_Account' };

const T_SUB = 1; const T_RESELLER = 2; const T_OTHER = 3; const T_ADDON = 4;

export const DEFAULT_DATASET = Object.freeze({
  invoices: 10_000, companies: 3, months: 14, startDate: '2025-09-01', environment: 'production',
});

// ---------------------------------------------------------------------------------------------
// Randomness and ids

export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mix32(x) {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const hex = (n, width) => (n >>> 0).toString(16).padStart(width, '0').slice(-width);

const KIND_CODES = { tenant: 1, company: 2, invoice: 3, line: 4, vendor: 5, creditMemo: 6, user: 7, currency: 8, glSetup: 9, item: 10, account: 11, uom: 12, misc: 13, location: 14, cmLine: 15 };

export class IdSpace {
  constructor(seed) { this.seed = seed >>> 0; }

  key(kind, scope) { return mix32(this.seed ^ Math.imul(KIND_CODES[kind], 0x9e3779b1) ^ Math.imul(scope + 1, 0x85ebca6b)); }

  static feistel(a, key) {
    let l = a >>> 16; let r = a & 0xffff;
    for (let i = 0; i < 4; i++) { const f = mix32(r ^ key ^ Math.imul(i + 1, 0x27d4eb2d)) & 0xffff; const nl = r; r = l ^ f; l = nl; }
    return ((l << 16) | r) >>> 0;
  }

  static unfeistel(c, key) {
    let l = c >>> 16; let r = c & 0xffff;
    for (let i = 3; i >= 0; i--) { const pr = l; const pl = r ^ (mix32(pr ^ key ^ Math.imul(i + 1, 0x27d4eb2d)) & 0xffff); l = pl; r = pr; }
    return ((l << 16) | r) >>> 0;
  }

  // a: record index (32 bits); b: sub-index (16 bits, e.g. a line number within an invoice).
  guid(kind, scope, a, b = 0) {
    const key = this.key(kind, scope);
    const g1 = IdSpace.feistel(a >>> 0, key);
    const h = mix32(a ^ key ^ 0x5bd1e995);
    const h2 = mix32(h + b + 1); const h3 = mix32(h2 ^ 0x68e31da4); const h4 = mix32(h3 + 0x1b873593);
    return `${hex(g1, 8)}-${hex((b ^ h) & 0xffff, 4)}-4${hex(h2 & 0xfff, 3)}-${hex(0x8000 | ((h2 >>> 16) & 0x3fff), 4)}-${hex(h3, 8)}${hex(h4 & 0xffff, 4)}`;
  }

  // Inverse of guid(): { a, b } or null when the string is not an id of that kind and scope.
  decode(kind, scope, s) {
    if (typeof s !== 'string' || s.length !== 36) return null;
    s = s.toLowerCase();
    const key = this.key(kind, scope);
    const a = IdSpace.unfeistel(parseInt(s.slice(0, 8), 16), key);
    const h = mix32(a ^ key ^ 0x5bd1e995);
    const b = (parseInt(s.slice(9, 13), 16) ^ h) & 0xffff;
    return this.guid(kind, scope, a, b) === s ? { a, b } : null;
  }
}

// ---------------------------------------------------------------------------------------------
// Dates (days since 1970-01-01, UTC)

export function parseDay(iso) { return Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY_MS); }
const dayCache = new Map();
export function dayToIso(day) {
  let s = dayCache.get(day);
  if (s === undefined) { s = new Date(day * DAY_MS).toISOString().slice(0, 10); if (dayCache.size < 100_000) dayCache.set(day, s); }
  return s;
}
function addMonths(day, months) {
  const d = new Date(day * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate()) / DAY_MS);
}
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
function monthLabel(day) { const d = new Date(day * DAY_MS); return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`; }
function weekday(day) { return (day + 4) % 7; } // 0 = Sunday
function businessDay(day) { const w = weekday(day); return w === 6 ? day + 2 : w === 0 ? day + 1 : day; }
function fmtPeriod(from, to, country) {
  const f = (d) => { const s = dayToIso(d); return country === 'US' ? `${s.slice(5, 7)}/${s.slice(8, 10)}/${s.slice(0, 4)}` : `${s.slice(8, 10)}.${s.slice(5, 7)}.${s.slice(0, 4)}`; };
  return `${f(from)} - ${f(to)}`;
}

// ---------------------------------------------------------------------------------------------
// Money helpers: prices are held in 1e-5 units (BC allows 5 decimals on unit cost), amounts in cents.

const toUc5 = (amount) => Math.round(amount * 100_000);
function niceLocal(usd, fx) {
  if (fx === 1) return usd;
  const v = usd * fx;
  return v >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}
function pick(rng, arr) { return arr[Math.floor(rng() * arr.length)]; }
function between(rng, lo, hi) { return lo + Math.floor(rng() * (hi - lo + 1)); }

function regionName(names, country) {
  return names[country] ?? (country !== 'US' ? names.EU : undefined) ?? names.US;
}

// ---------------------------------------------------------------------------------------------
// The generator

export function generateDataset(options = {}) {
  const opts = { ...DEFAULT_DATASET, ...options };
  const seed = (options.seed ?? 1) >>> 0;
  const ids = new IdSpace(seed);
  const startDay = parseDay(opts.startDate);
  const endDay = addMonths(startDay, opts.months) - 1;
  const nCompanies = Math.max(1, Math.min(opts.companies, COMPANY_TEMPLATES.length));
  const tenantDomain = 'northwindtraders.com';

  const ds = {
    seed, options: opts, ids, startDay, endDay,
    startDate: dayToIso(startDay), endDate: dayToIso(endDay),
    environment: opts.environment,
    tenantDomain,
    companies: [],
    users: generateUsers(ids, tenantDomain),
  };

  const perCompany = [];
  const base = Math.floor(opts.invoices / nCompanies);
  for (let c = 0; c < nCompanies; c++) perCompany.push(base + (c < opts.invoices % nCompanies ? 1 : 0));
  // `companyWeights` (optional, one positive number per company): the invoices shared in
  // those proportions instead of equally (companies of different sizes, as tenants have).
  const w = opts.companyWeights;
  if (Array.isArray(w) && w.length === nCompanies && w.every((x) => Number.isFinite(x) && x > 0)) {
    const sum = w.reduce((a, x) => a + x, 0);
    let left = opts.invoices;
    for (let c = 0; c < nCompanies; c++) {
      perCompany[c] = c === nCompanies - 1 ? left : Math.floor((opts.invoices * w[c]) / sum);
      left -= perCompany[c];
    }
  }

  for (let c = 0; c < nCompanies; c++) {
    ds.companies.push(generateCompany(ds, c, perCompany[c], mulberry32(mix32(seed * 7919 + c + 1))));
  }
  return ds;
}

function generateUsers(ids, domain) {
  const users = [];
  const add = (userName, displayName, state, contactEmail) => users.push({
    userSecurityId: ids.guid('user', 0, users.length), userName, displayName, state, expiryDate: '0001-01-01T00:00:00Z', contactEmail,
  });
  add('ADMIN', 'IT Administrator', 'Enabled', `it-admin@${domain}`);
  PEOPLE.forEach((name, k) => {
    const local = name.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z ]/g, '').replace(' ', '.');
    const disabled = k % 11 === 7;           // leavers
    const noMailbox = k % 9 === 4;            // no Exchange mailbox -> Contact Email never synced
    add(local.toUpperCase(), name, disabled ? 'Disabled' : 'Enabled', noMailbox ? '' : `${local}@${domain}`);
  });
  // An external accountant's second account, written with capitals in the mailbox part.
  add('EXT.ACCOUNTANT', 'Jordan Blake (Blake & Partners)', 'Enabled', `Jordan.Blake@blakepartners.co.uk`);
  for (const [userName, displayName] of APP_PRINCIPALS) add(userName, displayName, 'Enabled', '');
  add('FINANCE TEAM', 'Finance Team (Microsoft Entra group)', 'Enabled', '');
  add('SALES ORDER AGENT', 'Sales Order Agent', 'Disabled', '');
  return users;
}

function generateCompany(ds, c, target, rng) {
  const { ids, startDay } = ds;
  const tpl = COMPANY_TEMPLATES[c];
  const country = tpl.country;
  const createdMs = (startDay - 400 - c * 37) * DAY_MS + 9 * 3_600_000 + c * 61_000;
  const company = {
    index: c, template: tpl, country,
    id: ids.guid('company', 0, c),
    name: tpl.name, displayName: tpl.name,
    lcyCode: tpl.lcy, lcyReal: tpl.realLcy ?? tpl.lcy, fx: tpl.fx,
    systemCreatedAt: new Date(createdMs).toISOString(),
    systemModifiedAt: new Date(createdMs + 86 * DAY_MS + 3_123_456).toISOString(),
    systemCreatedBy: ids.guid('user', 0, 0), systemModifiedBy: ids.guid('user', 0, 0),
    timestamp: 40_000 + c * 1_337,
    glSetup: null, currencies: [], vendors: [], subs: [], resellers: [], others: [], creditMemos: [],
    invoices: null,
  };
  company.glSetup = {
    id: ids.guid('glSetup', c, 0), allowPostingFrom: '0001-01-01', allowPostingTo: '0001-01-01',
    additionalReportingCurrency: country === 'US' ? '' : 'USD', localCurrencyCode: tpl.lcy, localCurrencySymbol: tpl.symbol,
    lastModifiedDateTime: new Date(createdMs + 2 * DAY_MS + 654_321).toISOString(), allowQueryFromConsolidation: false,
    shortcutDimension1Code: 'DEPARTMENT', shortcutDimension2Code: 'PROJECT', shortcutDimension3Code: 'CUSTOMERGROUP',
    shortcutDimension4Code: 'AREA', shortcutDimension5Code: '', shortcutDimension6Code: '', shortcutDimension7Code: '', shortcutDimension8Code: '',
  };
  // Currency index 0 is the local currency; the API shows its id as the empty GUID.
  company.currencies.push({ code: tpl.lcy, real: company.lcyReal, id: EMPTY_GUID, fx: 1 });
  for (const code of ['USD', 'EUR', 'GBP']) {
    if (code === company.lcyReal) continue;
    company.currencies.push({ code, real: code, id: ids.guid('currency', c, company.currencies.length), fx: code === 'USD' ? 1 / tpl.fx : code === 'EUR' ? 0.92 / tpl.fx : 0.79 / tpl.fx });
  }
  const usdIdx = company.currencies.findIndex((x) => x.real === 'USD');

  const addVendor = (displayName, web, mail, extra = {}) => {
    const k = company.vendors.length;
    const addrs = VENDOR_ADDRESSES[country === 'US' ? 'US' : country];
    const [city, state, postalCode] = addrs[k % addrs.length];
    const vendor = {
      index: k, id: ids.guid('vendor', c, k), number: `V${String(10 * (k + 1)).padStart(5, '0')}`, displayName,
      addressLine1: `${100 + ((k * 37) % 800)} ${['Market Street', 'Main Street', 'Harbour Road', 'Park Avenue', 'King Street'][k % 5]}`, addressLine2: k % 4 === 0 ? `Suite ${200 + k}` : '',
      city, state, country: extra.vendorCountry ?? (country === 'US' ? 'US' : city === 'Dublin' ? 'IE' : country), postalCode,
      phoneNumber: k % 3 === 0 ? '' : `+${country === 'US' ? '1 415' : country === 'GB' ? '44 20' : '49 89'} ${String(1_000_000 + ((k * 7919) % 8_999_999)).slice(0, 7)}`,
      email: mail ?? '', website: web ? (k % 5 === 1 ? `https://www.${web}` : k % 5 === 2 ? `${web}/` : web) : '',
      taxRegistrationNumber: country === 'US' ? '' : `${country}${String(100_000_000 + k * 7_654_321).slice(0, 9)}`,
      currencyIdx: extra.currencyIdx ?? 0, irs1099Code: '', taxLiable: country === 'US' && !!extra.taxLiable,
      blocked: '_x0020_', termsDays: extra.termsDays ?? 30, balanceCents: 0,
      lastModifiedDateTime: new Date((startDay - 200 + k) * DAY_MS + 10 * 3_600_000 + k * 7_001).toISOString(),
      prefix: extra.prefix ?? 'INV',
    };
    company.vendors.push(vendor);
    return vendor;
  };

  // SaaS subscriptions. Most apps in every company; some only in some (deterministic by company).
  const saasVendorByName = new Map();
  for (const app of SAAS) {
    const roll = mix32(hashString(app.key) ^ (c * 0x9e37));
    if (roll % 100 < 12 && !['slack', 'zoom', 'adobe', 'asana', 'monday', 'microsoft', 'aws', 'atlassian'].includes(app.key)) continue;
    const name = regionName(app.names, country);
    const currencyIdx = app.usd && country !== 'US' ? usdIdx : 0;
    let vendor = saasVendorByName.get(`${name}|${currencyIdx}`);
    if (!vendor) {
      vendor = addVendor(name, app.web, app.mail, { currencyIdx, termsDays: app.cadence === 'annual' ? 30 : app.kind === 'usage' ? 14 : 0, prefix: app.key.toUpperCase().slice(0, 3) });
      saasVendorByName.set(`${name}|${currencyIdx}`, vendor);
    }
    const fx = currencyIdx === 0 ? company.fx : 1;
    const [smin, smax] = app.seats ?? [1, 1];
    company.subs.push({
      index: company.subs.length, app, vendorIdx: vendor.index, currencyIdx,
      seats0: between(rng, smin, smax), growth: (rng() * 0.03) - 0.005,
      prices: app.plans.map(([, usd]) => (app.micro ? usd * fx : niceLocal(usd, fx))),
      planCount: app.plans.length > 1 ? between(rng, 1, app.plans.length) : 1,
      billingDay: between(rng, 0, 27), renewalMonth: between(rng, 0, 11),
      increaseMonth: app.priceIncrease ? Math.min(opts(ds).months - 3, 8) : -1,
      increaseFactor: app.priceIncrease ? app.priceIncrease / app.plans[0][1] : 1.07,
      fx,
    });
  }
  // Resellers
  for (const r of RESELLERS) {
    const vendor = addVendor(regionName(r.names, country), r.web, r.mail, { termsDays: 30, prefix: r.key.toUpperCase().slice(0, 3) });
    company.resellers.push({ index: company.resellers.length, def: r, vendorIdx: vendor.index, skus: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((k) => mix32(k * 31 + c + hashString(r.key)) % 3 !== 0) });
  }
  // Non-SaaS vendors
  for (const o of OTHER) {
    const vendor = addVendor(regionName(o.names, country), o.web, o.mail ?? (o.web ? `accounts@${o.web}` : ''), { termsDays: o.kind === 'rent' ? 0 : 30, taxLiable: true, prefix: o.key.toUpperCase().slice(0, 3) });
    company.others.push({ index: company.others.length, def: o, vendorIdx: vendor.index, weight: o.weight ?? 0 });
  }
  // A vendor card that was blocked after a dispute, with no invoices.
  addVendor('Acme Office Plants Ltd', '', '', {}).blocked = 'All';

  company.invoices = buildInvoices(ds, company, target, rng);
  buildCreditMemos(ds, company, rng);
  return company;
}

const opts = (ds) => ds.options;

// Events: one potential invoice each: [day, template, ref, period].
function buildInvoices(ds, company, target, rng) {
  const { startDay, endDay } = ds;
  const months = ds.options.months;
  const ev = { day: [], tpl: [], ref: [], period: [] };
  const push = (day, tpl, ref, period) => { ev.day.push(day); ev.tpl.push(tpl); ev.ref.push(ref); ev.period.push(period); };

  for (const sub of company.subs) {
    if (sub.app.cadence === 'annual') {
      for (let m = sub.renewalMonth; m < months; m += 12) push(businessDay(addMonths(startDay, m) + sub.billingDay), T_SUB, sub.index, m);
    } else {
      for (let m = 0; m < months; m++) push(addMonths(startDay, m) + sub.billingDay, T_SUB, sub.index, m);
    }
  }
  for (const r of company.resellers) {
    for (let m = 0; m < months; m++) if (mix32(m * 131 + r.index * 7 + company.index) % 10 < 6) push(businessDay(addMonths(startDay, m) + 3 + r.index * 5), T_RESELLER, r.index, m);
  }
  for (const o of company.others) {
    if (o.def.every === 'month') for (let m = 0; m < months; m++) push(addMonths(startDay, m) + (o.def.kind === 'rent' ? 0 : 9 + o.index), T_OTHER, o.index, m);
  }
  const structured = ev.day.length;
  let keep = null;
  if (structured > target) {
    // Small data sets keep a random subset of the recurring invoices.
    const order = Array.from({ length: structured }, (_, k) => k);
    for (let k = order.length - 1; k > 0; k--) { const j = Math.floor(rng() * (k + 1)); [order[k], order[j]] = [order[j], order[k]]; }
    keep = new Uint8Array(structured);
    for (let k = 0; k < target; k++) keep[order[k]] = 1;
  }
  // Filler: one-off spend (travel, shipping, hardware, ...) and SaaS add-ons, on business days.
  const weighted = company.others.filter((o) => o.weight > 0);
  const totalWeight = weighted.reduce((s, o) => s + o.weight, 0) + 14; // + SaaS add-ons
  const span = endDay - startDay + 1;
  for (let k = structured; k < target; k++) {
    const day = businessDay(startDay + Math.floor(rng() * span));
    let w = rng() * totalWeight;
    let chosen = null;
    for (const o of weighted) { if ((w -= o.weight) < 0) { chosen = o; break; } }
    const period = Math.max(0, Math.min(months - 1, monthIndex(startDay, day)));
    if (chosen) push(day, T_OTHER, chosen.index, period);
    else push(day, T_ADDON, Math.floor(rng() * company.subs.length), period);
  }
  const n = ev.day.length;
  const order = [];
  for (let k = 0; k < n; k++) if (!keep || k >= structured || keep[k]) order.push(k);
  order.sort((x, y) => ev.day[x] - ev.day[y] || x - y);

  const store = new InvoiceStore();
  company.invoices = store; // priceInvoice reads it
  let postedSeq = 0; let draftSeq = 0;
  for (const k of order) {
    const invoiceDay = Math.min(ev.day[k], endDay);
    const s = (rng() * 4294967296) >>> 0;
    const i = store.add();
    const tpl = ev.tpl[k];
    const vendorIdx = vendorOf(company, tpl, ev.ref[k]);
    const vendor = company.vendors[vendorIdx];
    store.vendor[i] = vendorIdx; store.tpl[i] = tpl; store.ref[i] = ev.ref[k]; store.period[i] = ev.period[k]; store.seed[i] = s;
    store.cur[i] = tpl === T_SUB || tpl === T_ADDON ? company.subs[ev.ref[k]].currencyIdx : 0;
    store.invoiceDay[i] = invoiceDay;
    const postingDay = invoiceDay + Math.floor(rng() * 4);
    store.dueDay[i] = invoiceDay + vendor.termsDays;
    const roll = rng();
    if (postingDay > endDay || (endDay - invoiceDay < 12 && roll < 0.25)) {
      // Received but not yet posted: a draft with a draft number.
      store.status[i] = S_DRAFT; store.postingDay[i] = invoiceDay; store.draftNo[i] = ++draftSeq; store.postedNo[i] = 0;
      store.lastMod[i] = invoiceDay * DAY_MS + timeOfDay(rng);
    } else {
      store.postingDay[i] = postingDay; store.postedNo[i] = ++postedSeq; store.draftNo[i] = ++draftSeq;
      const paidDay = Math.max(postingDay + 1, store.dueDay[i] + between(rng, -4, 9));
      if (roll > 0.988) {
        store.status[i] = S_CANCELED; store.lastMod[i] = Math.min(endDay, postingDay + between(rng, 2, 20)) * DAY_MS + timeOfDay(rng);
      } else if (paidDay <= endDay && roll > 0.012) {
        store.status[i] = S_PAID; store.lastMod[i] = paidDay * DAY_MS + timeOfDay(rng);
      } else {
        store.status[i] = S_OPEN; store.lastMod[i] = postingDay * DAY_MS + timeOfDay(rng);
      }
    }
    priceInvoice(ds, company, i);
  }
  store.nextPostedNo = postedSeq + 1; store.nextDraftNo = draftSeq + 1;
  // Vendor balances (LCY) = what is still open.
  for (let i = 0; i < store.n; i++) if (store.status[i] === S_OPEN) company.vendors[store.vendor[i]].balanceCents += lcyCents(company, store, i);
  return store;
}

function monthIndex(startDay, day) {
  const a = new Date(startDay * DAY_MS); const b = new Date(day * DAY_MS);
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
}
function timeOfDay(rng) { return 7 * 3_600_000 + Math.floor(rng() * 11 * 3_600_000); }
export function lcyCents(company, store, i) { return Math.round((store.excl[i] + store.tax[i]) * company.currencies[store.cur[i]].fx); }

function vendorOf(company, tpl, ref) {
  if (tpl === T_SUB || tpl === T_ADDON) return company.subs[ref].vendorIdx;
  if (tpl === T_RESELLER) return company.resellers[ref].vendorIdx;
  return company.others[ref].vendorIdx;
}

export class InvoiceStore {
  constructor() {
    this.n = 0;
    for (const k of InvoiceStore.COLUMNS) this[k] = [];
    this.overrides = new Map(); // index -> { lines } after editInvoice
  }
  add() {
    const i = this.n++;
    for (const k of InvoiceStore.COLUMNS) this[k].push(0);
    return i;
  }
}
InvoiceStore.COLUMNS = ['vendor', 'tpl', 'ref', 'period', 'seed', 'cur', 'invoiceDay', 'postingDay', 'dueDay', 'status', 'postedNo', 'draftNo', 'lastMod', 'excl', 'tax', 'disc', 'lineCount'];

// ---------------------------------------------------------------------------------------------
// Lines

// Raw lines of invoice i: [{ type, objNo, description, description2, uom, qty100, uc5, discPct, taxIdx }],
// plus the invoice discount percentage. Deterministic from the stored seed.
export function composeLines(ds, company, i) {
  const st = company.invoices;
  const ov = st.overrides.get(i);
  if (ov) return ov;
  const rng = mulberry32(st.seed[i]);
  const tpl = st.tpl[i]; const ref = st.ref[i]; const period = st.period[i];
  const country = company.country;
  const monthStart = addMonths(ds.startDay, period);
  const monthEnd = addMonths(ds.startDay, period + 1) - 1;
  const foreign = st.cur[i] !== 0;
  // Indexes into the company's tax table: SaaS is non-taxable in the US and standard-rated in
  // Europe; goods are taxable everywhere. Foreign-currency invoices are reverse-charged (0 %).
  const saasTax = 0;
  const goodsTax = country === 'US' ? 1 : 0;
  const lines = []; let invDiscPct = 0;
  const L = (type, objNo, description, description2, uom, qty, unit, taxIdx, discPct = 0) => lines.push({
    type, objNo, description: description.slice(0, 100), description2: (description2 ?? '').slice(0, 50), uom,
    qty100: Math.round(qty * 100), uc5: toUc5(unit), discPct, taxIdx: foreign ? -1 : taxIdx,
  });
  const comment = (text) => lines.push({ type: 0, objNo: '', description: text.slice(0, 100), description2: '', uom: '', qty100: 0, uc5: 0, discPct: 0, taxIdx: -1 });
  const fx = company.fx;

  if (tpl === T_SUB) {
    const sub = company.subs[ref]; const app = sub.app;
    const seats = Math.max(1, Math.round(sub.seats0 * (1 + sub.growth) ** period) + (app.kind === 'seat' && rng() < 0.15 ? between(rng, -2, 3) : 0));
    if (app.kind === 'usage') {
      const trend = 1 + 0.025 * period;
      for (let p = 0; p < app.plans.length; p++) {
        if (p > 0 && rng() < 0.2) continue;
        if (app.micro) {
          const qty = Math.round(between(rng, 20_000, 180_000) * trend);
          L(1, '6420', `${app.plans[p][0]} – ${qty.toLocaleString('en-US')} units`, monthLabel(monthStart), '', qty, sub.prices[p], saasTax);
        } else {
          const amt = Math.round(sub.prices[p] * trend * (0.75 + rng() * 0.5) * 100) / 100;
          L(1, '6420', `${app.plans[p][0]} – ${monthLabel(monthStart)}`, `Usage ${fmtPeriod(monthStart, monthEnd, country)}`, '', 1, amt, saasTax);
        }
      }
      if (app.key === 'aws' && rng() < 0.25) L(1, '6420', 'AWS Marketplace: Datadog Pro (hourly) – seller Datadog, Inc.', monthLabel(monthStart), '', 1, Math.round(310 * (foreign ? 1 : fx) * (0.8 + rng() * 0.4) * 100) / 100, saasTax);
      if (rng() < 0.3) comment(`Account ${String(100_000_000_000 + (st.seed[i] % 900_000_000)).slice(0, 12)}`);
    } else {
      const annual = app.cadence === 'annual';
      const from = annual ? st.invoiceDay[i] : monthStart;
      const to = annual ? addMonths(st.invoiceDay[i], 12) - 1 : monthEnd;
      for (let p = 0; p < sub.planCount; p++) {
        let unit = sub.prices[p] * (annual ? 12 : 1);
        const bumped = (sub.increaseMonth >= 0 && period >= sub.increaseMonth) || (annual && sub.increaseMonth < 0 && period >= 12);
        if (bumped && p === 0) unit *= sub.increaseFactor;
        unit = Math.round(unit * 100) / 100;
        const planSeats = p === 0 ? seats : Math.max(1, Math.round(seats * (0.2 + 0.5 * ((st.seed[i] >>> (p * 3)) % 7) / 7)));
        const name = app.plans[p][0];
        const desc = annual ? `${name} – annual subscription – ${planSeats} ${planSeats === 1 ? 'license' : 'licenses'}` : `${name} (monthly) – ${planSeats} users`;
        const type = app.key === 'microsoft' || app.key === 'adobe' ? 2 : 1;
        L(type, type === 2 ? `SUB-${app.key.toUpperCase().slice(0, 6)}${p + 1}` : '6420', desc, fmtPeriod(from, to, country), type === 2 ? 'LICENSE' : '', planSeats, unit, saasTax);
      }
      if (!annual && rng() < 0.12) {
        const extra = between(rng, 1, 5);
        L(1, '6420', `${app.plans[0][0]} – ${extra} additional seats (prorated)`, fmtPeriod(monthStart + 14, monthEnd, country), '', extra, Math.round(sub.prices[0] * 0.5 * 100) / 100, saasTax);
      }
      if (annual && rng() < 0.35) invDiscPct = pick(rng, [5, 10, 15]);
      if (rng() < 0.35) comment(annual ? `Renewal of subscription ${app.key.toUpperCase()}-${1000 + (st.seed[i] % 9000)}` : `Billing period ${monthLabel(monthStart)}`);
    }
  } else if (tpl === T_ADDON) {
    const sub = company.subs[ref]; const app = sub.app;
    const r = rng();
    if (r < 0.5) {
      const extra = between(rng, 1, 12);
      L(1, '6420', `${app.plans[0][0]} – ${extra} additional ${extra === 1 ? 'seat' : 'seats'}`, `Prorated to ${dayToIso(monthEnd)}`, '', extra, Math.round(sub.prices[0] * (app.kind === 'usage' ? 0.1 : 1) * 100) / 100, saasTax);
      if (rng() < 0.5) L(1, '6420', 'Proration credit for unused time', '', '', 1, -Math.round(sub.prices[0] * extra * 0.2 * 100) / 100, saasTax);
    } else if (r < 0.8) {
      L(1, '6420', `${app.app} – overage charges ${monthLabel(monthStart)}`, '', '', 1, Math.round((20 + rng() * 400) * (foreign ? 1 : fx) * 100) / 100, saasTax);
      comment(`Usage above plan limits, ${monthLabel(monthStart)}`);
    } else {
      L(1, '6425', `${app.app} – professional services / onboarding`, `${between(rng, 2, 16)} hours`, '', 1, Math.round((300 + rng() * 2500) * (foreign ? 1 : fx)) , saasTax);
      comment('Statement of work attached');
    }
  } else if (tpl === T_RESELLER) {
    const res = company.resellers[ref];
    const count = between(rng, 2, 4);
    const used = new Set();
    for (let k = 0; k < count; k++) {
      const sku = res.skus[Math.floor(rng() * res.skus.length)];
      if (used.has(sku)) continue; used.add(sku);
      const [desc, usd, umin, umax, factor] = RESELLER_SKUS[sku];
      const qty = between(rng, umin, umax);
      L(2, `RS-${1000 + sku}`, `${desc}`, `Qty ${qty} – ${monthLabel(monthStart)}`, 'LICENSE', qty, niceLocal(usd * factor, fx), saasTax, rng() < 0.2 ? pick(rng, [3, 5, 8]) : 0);
    }
    if (rng() < 0.25) {
      const qty = between(rng, 1, 6);
      L(2, 'HW-LAT5450', 'Dell Latitude 5450 laptop, i7, 16 GB, 512 GB SSD', '', 'PCS', qty, niceLocal(1289, fx), goodsTax);
      L(5, 'FREIGHT', 'Freight – ground shipping', '', '', 1, niceLocal(35 + qty * 5, fx), goodsTax);
    }
    comment(`Customer PO 4500${String(st.seed[i] % 100_000).padStart(5, '0')}`);
    if (rng() < 0.15) invDiscPct = 2;
  } else {
    const o = company.others[ref].def;
    const amount = (scale) => Math.round(o.usd * fx * scale * 100) / 100;
    switch (o.kind) {
      case 'rent':
        L(1, '6100', `Office rent – ${company.template.addr} – ${monthLabel(monthStart)}`, '', '', 1, amount(1), goodsTax);
        L(1, '6105', `Service charge – ${monthLabel(monthStart)}`, '', '', 1, amount(0.12), goodsTax);
        break;
      case 'utility':
        L(1, '6110', `Electricity – meter ${10_000 + company.index * 17} – ${monthLabel(monthStart)}`, `${between(rng, 3000, 9000)} kWh`, '', 1, amount(0.7 + rng() * 0.6), goodsTax);
        break;
      case 'telecom':
        L(1, '6120', `Mobile plan – ${between(rng, 30, 60)} lines – ${monthLabel(monthStart)}`, '', '', 1, amount(0.8 + rng() * 0.1), goodsTax);
        L(1, '6120', `Business broadband 1 Gbps – ${monthLabel(monthStart)}`, '', '', 1, amount(0.15), goodsTax);
        break;
      case 'hardware': {
        const qty = between(rng, 1, 8);
        const [desc, scale] = pick(rng, [['Dell Latitude 7450 14" laptop', 1], ['Dell UltraSharp U2724D 27" monitor', 0.3], ['MacBook Pro 14" M4, 24 GB', 1.4], ['Logitech MX Keys keyboard', 0.08], ['Dell WD22TB4 Thunderbolt dock', 0.2]]);
        L(2, `HW-${1000 + Math.floor(scale * 100)}`, desc, '', 'PCS', qty, amount(scale), goodsTax, rng() < 0.2 ? 5 : 0);
        if (rng() < 0.5) L(2, 'HW-1001', 'USB-C power adapter 100 W', '', 'PCS', qty, amount(0.05), goodsTax);
        if (rng() < 0.6) L(rng() < 0.6 ? 5 : 1, rng() < 0.6 ? 'FREIGHT' : '6310', rng() < 0.5 ? 'Freight' : 'Shipping & handling', '', '', 1, amount(0.03), goodsTax);
        break;
      }
      case 'travel': {
        const route = pick(rng, ['JFK – LHR', 'LHR – MUC', 'SFO – JFK', 'MUC – BER', 'LHR – DUB', 'BOS – ORD', 'FRA – JFK']);
        const who = pick(rng, PEOPLE);
        L(1, '6510', `Flight ${route} – ${who}`, `Travel date ${dayToIso(st.invoiceDay[i] + between(rng, 3, 30))}`, '', 1, amount(0.4 + rng() * 1.8), 0);
        L(1, '6510', 'Taxes and carrier-imposed fees', '', '', 1, amount(0.05 + rng() * 0.1), 0);
        if (rng() < 0.6) L(1, '6510', 'Booking fee', '', '', 1, amount(0.03), 0);
        comment(`Traveller: ${who}`);
        break;
      }
      case 'hotel':
        L(1, '6520', `Hotel accommodation – ${between(rng, 1, 5)} nights – ${pick(rng, PEOPLE)}`, '', '', 1, amount(0.6 + rng() * 1.2), goodsTax);
        if (rng() < 0.6) L(1, '6520', 'Breakfast', '', '', between(rng, 1, 5), amount(0.03), goodsTax);
        L(1, '6520', 'City tax', '', '', 1, amount(0.02), 0);
        break;
      case 'shipping': {
        const n = between(rng, 1, 4);
        for (let k = 0; k < n; k++) L(1, '6310', `${pick(rng, ['Express shipment', 'Ground shipment', 'International Priority'])} ${String(st.seed[i] % 1_000_000_000 + k).padStart(10, '1')} – ${(0.5 + rng() * 20).toFixed(1)} kg`, '', '', 1, amount(0.5 + rng() * 2), goodsTax);
        if (rng() < 0.2) L(5, 'FUEL', 'Fuel surcharge', '', '', 1, amount(0.08), goodsTax);
        break;
      }
      case 'catering':
        L(1, '6530', `Catering – ${pick(rng, ['team lunch', 'all-hands breakfast', 'client workshop', 'board meeting'])} – ${between(rng, 8, 60)} persons`, '', '', 1, amount(0.4 + rng() * 1.5), goodsTax);
        if (rng() < 0.6) L(1, '6530', 'Delivery and setup', '', '', 1, amount(0.06), goodsTax);
        if (rng() < 0.5) L(1, '6530', 'Service charge 12.5 %', '', '', 1, amount(0.08), goodsTax);
        break;
      case 'legal': {
        const hours = between(rng, 300, 4000) / 100;
        L(1, '6600', `Professional services rendered – ${monthLabel(monthStart)}`, `Matter ${2025 + (period > 3 ? 1 : 0)}-${String(100 + (st.seed[i] % 50)).padStart(4, '0')}`, 'HOUR', hours, Math.round(o.usd * fx / 12), goodsTax);
        L(1, '6600', 'Disbursements', '', '', 1, amount(0.01 + rng() * 0.03), goodsTax);
        break;
      }
      case 'ads':
        for (let k = 0, n = between(rng, 1, 3); k < n; k++) L(1, '6700', `${o.adsOf} – campaign spend ${monthLabel(monthStart)}`, `Campaign ${between(rng, 1000, 9999)}`, '', 1, amount(0.3 + rng() * 1.4), saasTax);
        comment(`Billing account ${between(rng, 100, 999)}-${between(rng, 100, 999)}-${between(rng, 1000, 9999)}`);
        break;
      case 'office':
        for (let k = 0, n = between(rng, 2, 5); k < n; k++) {
          const [desc, scale] = pick(rng, [['Copy paper A4 80 g, 5 reams', 0.25], ['HP 305A toner cartridge', 0.6], ['Post-it notes, assorted', 0.05], ['Whiteboard markers, 12 pack', 0.08], ['Coffee beans 1 kg', 0.15]]);
          L(2, `OF-${1000 + k}`, desc, '', 'PCS', between(rng, 1, 10), amount(scale), goodsTax);
        }
        break;
      case 'dental':
        L(1, '6540', `Dental check-up – employee benefit – ${pick(rng, PEOPLE)}`, '', '', 1, amount(0.5 + rng()), 0);
        break;
      case 'bakery':
        L(1, '6530', `Pastries and bread for ${pick(rng, ['all-hands meeting', 'Monday breakfast', 'office party'])}`, '', '', 1, amount(0.5 + rng() * 1.5), goodsTax);
        break;
      default:
        L(1, '6900', 'Miscellaneous', '', '', 1, amount(1), goodsTax);
    }
    if (o.every !== 'month' && rng() < 0.4) comment(`Your reference: ${pick(rng, ['PO', 'REQ', 'CC'])}-${between(rng, 10_000, 99_999)}`);
  }
  return { lines, invDiscPct };
}

// Lines with money: cents, discount allocation, tax. Totals are sums of these, always.
export function pricedLines(ds, company, i) {
  const { lines, invDiscPct } = composeLines(ds, company, i);
  const taxTable = company.template.tax;
  const out = new Array(lines.length);
  let base = 0; let largest = -1;
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k];
    const gross = l.type === 0 ? 0 : Math.round(l.qty100 * l.uc5 / 100_000);
    const lineDisc = Math.round(gross * l.discPct / 100);
    out[k] = {
      type: l.type, objNo: l.objNo, description: l.description, description2: l.description2, uom: l.uom, qty100: l.qty100, uc5: l.uc5, discPct: l.discPct, taxIdx: l.taxIdx,
      sequence: (k + 1) * 10000, grossCents: gross, lineDiscCents: lineDisc, allocCents: 0, netCents: gross - lineDisc, taxCents: 0, taxPct: 0, taxCode: '',
    };
    if (l.type !== 0) { base += gross - lineDisc; if (largest < 0 || out[k].netCents > out[largest].netCents) largest = k; }
  }
  let discount = 0;
  if (invDiscPct > 0 && base > 0) {
    discount = Math.round(base * invDiscPct / 100);
    let allocated = 0;
    for (const l of out) {
      if (l.type === 0) continue;
      l.allocCents = Math.floor(discount * l.netCents / base);
      allocated += l.allocCents;
    }
    out[largest].allocCents += discount - allocated; // rounding remainder, as BC does on one line
    for (const l of out) l.netCents -= l.allocCents;
  }
  for (const l of out) {
    if (l.type === 0) continue;
    const [code, pct] = l.taxIdx < 0 ? (company.country === 'US' ? ['NONTAXABLE', 0] : company.country === 'GB' ? ['ZERO', 0] : ['VAT0', 0]) : taxTable[l.taxIdx];
    l.taxCode = code; l.taxPct = pct;
    l.taxCents = Math.round(l.netCents * pct / 100);
  }
  return { lines: out, discountCents: discount };
}

export function priceInvoice(ds, company, i) {
  const st = company.invoices;
  const { lines, discountCents } = pricedLines(ds, company, i);
  let excl = 0; let tax = 0;
  for (const l of lines) { excl += l.netCents; tax += l.taxCents; }
  st.excl[i] = excl; st.tax[i] = tax; st.disc[i] = discountCents; st.lineCount[i] = lines.length;
}

// ---------------------------------------------------------------------------------------------
// Credit memos: a corrective one for every canceled invoice, service credits for some paid ones.

function buildCreditMemos(ds, company, rng) {
  const st = company.invoices;
  let seq = 0;
  for (let i = 0; i < st.n; i++) {
    const canceled = st.status[i] === S_CANCELED;
    const credit = !canceled && st.status[i] === S_PAID && st.tpl[i] === T_SUB && rng() < 0.02;
    if (!canceled && !credit) continue;
    const share = canceled ? 1 : pick(rng, [0.1, 0.25, 0.5]);
    const excl = Math.round(st.excl[i] * share); const tax = Math.round(st.tax[i] * share);
    const day = canceled ? Math.floor(st.lastMod[i] / DAY_MS) : Math.min(ds.endDay, st.postingDay[i] + between(rng, 5, 40));
    const k = seq++;
    company.creditMemos.push({
      index: k, id: ds.ids.guid('creditMemo', company.index, k), number: `PPCM${String(100_001 + k)}`,
      creditMemoDate: dayToIso(day), postingDate: dayToIso(day), dueDate: dayToIso(day),
      vendorIdx: st.vendor[i], cur: st.cur[i], excl, tax, status: canceled || rng() < 0.7 ? 'Paid' : 'Open',
      lastModMs: day * DAY_MS + timeOfDay(rng) + 3_600_000, invoiceIndex: i,
      reason: canceled ? 'Corrective credit memo – invoice canceled' : 'Service credit – SLA',
      vendorCreditMemoNumber: `CN-${100_000 + (st.seed[i] % 900_000)}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Digest of the whole data set (determinism tests).

export function datasetDigest(ds) {
  let h = 0x12345678;
  const feed = (v) => { const s = String(v); for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193) >>> 0; h = mix32(h); };
  for (const u of ds.users) feed(JSON.stringify(u));
  for (const c of ds.companies) {
    feed(c.id); feed(c.name);
    for (const v of c.vendors) feed(JSON.stringify(v));
    const st = c.invoices;
    for (const col of InvoiceStore.COLUMNS) for (let i = 0; i < st.n; i++) feed(st[col][i]);
    for (const m of c.creditMemos) feed(JSON.stringify(m));
  }
  return h.toString(16).padStart(8, '0');
}
