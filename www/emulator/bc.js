// Business Central API v2.0 and the automation API, read side: routing, authorization as BC does
// it after Entra (token, tenant, environment, the "Microsoft Entra Applications" card, permission
// sets), and OData collections with server-driven paging.
//
// A handler returns a plan the server writes: { status, headers, json } for single bodies, or
// { status, headers, collection: { head, rows, build, nextLink } } so that big pages stream.

import { randomUUID } from 'node:crypto';
import {
  BcError, parseFilter, compileFilter, parseSelect, parseExpand, parseOrderBy, parseIntOption,
  splitQuery, encodeSkipToken, decodeSkipToken, rawOf, literalsFor,
} from './odata.js';
import {
  COMPANY, INVOICE, LINE, CREDIT_MEMO, VENDOR, GL_SETUP, USER, buildObject, invoiceEtag, etag, lineRows,
} from './entities.js';

export const MAX_PAGE_SIZE = 20_000;
const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SUPPORTED_OPTIONS = new Set(['$filter', '$select', '$expand', '$orderby', '$top', '$skip', '$skiptoken', '$count', '$schemaversion', '$format']);

// A BC error body; the message ends with BC's correlation id suffix (two spaces, as observed).
export function bcErrorBody(code, message) {
  return { error: { code, message: `${message}  CorrelationId:  ${randomUUID()}.` } };
}

export const INVALID_CREDENTIALS = (extraHeaders = {}) => new BcError(401, 'Authentication_InvalidCredentials', 'The server has rejected the client credentials.', extraHeaders);

const ENTITY_SETS = {
  standard: ['companies', 'vendors', 'purchaseInvoices', 'purchaseInvoiceLines', 'purchaseCreditMemos', 'generalLedgerSetup'],
  automation: ['companies', 'users'],
};
// Navigation properties that exist on BC but that this emulator does not serve.
const KNOWN_NAVS = {
  purchaseInvoices: ['vendor', 'currency', 'dimensionValue', 'dimensionSetLines', 'pdfDocument', 'attachments', 'documentAttachments'],
  purchaseInvoiceLines: ['dimensionSetLines', 'location', 'item', 'account'],
  purchaseCreditMemos: ['purchaseCreditMemoLines', 'vendor', 'currency', 'dimensionSetLines', 'pdfDocument', 'attachments'],
  vendors: ['picture', 'defaultDimensions', 'agedAccountsPayable', 'contactsInformation', 'documentAttachments', 'currency', 'paymentTerm', 'paymentMethod'],
  users: ['securityGroupMembers', 'userPermissions', 'scheduledJobs'],
};

export class BcApi {
  constructor({ ds, directory, clock, maxPageSize = MAX_PAGE_SIZE }) {
    this.ds = ds; this.directory = directory; this.clock = clock; this.maxPageSize = maxPageSize;
  }

  // Bearer token -> token record, or a BcError (401) with BC's body.
  authenticate(headers) {
    const h = headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    const challenge = { 'WWW-Authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", resource_id="https://api.businesscentral.dynamics.com"' };
    if (!m) return { error: INVALID_CREDENTIALS(challenge) };
    const rec = this.directory.lookup(m[1]);
    if (!rec) return { error: INVALID_CREDENTIALS({ 'WWW-Authenticate': `${challenge['WWW-Authenticate']}, error="invalid_token", error_description="The access token is expired or not valid"` }) };
    return { record: rec };
  }

  // Route a GET under /v2.0/. `auth` is the token record. Returns a plan; throws BcError.
  handle({ method, pathname, search, origin, headers }, auth) {
    const segs = pathname.split('/').filter(Boolean).map((s) => { try { return decodeURIComponent(s); } catch { return s; } });
    const notFound = () => new BcError(404, 'BadRequest_NotFound', `No HTTP resource was found that matches the request URI '${origin}${pathname}${search}'.`);
    // /v2.0/{tenant}/{env}/api/... or /v2.0/{env}/api/...
    let tenantSeg = null; let env; let at;
    if (segs[2] === 'api') { env = segs[1]; at = 3; } else if (segs[3] === 'api') { tenantSeg = segs[1]; env = segs[2]; at = 4; } else throw notFound();

    const tenant = this.directory.tenant;
    if (tenantSeg !== null) {
      const t = tenantSeg.toLowerCase();
      if (t !== tenant.id && !tenant.domains.includes(t)) throw INVALID_CREDENTIALS();
    }
    if (auth.tenantId !== tenant.id) throw INVALID_CREDENTIALS();
    const envName = tenant.environments.find((e) => e.toLowerCase() === String(env).toLowerCase());
    if (!envName) throw new BcError(404, 'Internal_EnvironmentNotFound', `The environment '${env}' does not exist for tenant '${tenant.id}', or it is not accessible.`);

    // BC's half of S2S: roles in the token, and an enabled card on the Entra Applications page.
    let app = null;
    if (auth.kind === 'app') {
      app = this.directory.apps.get(auth.clientId);
      if (!app || auth.roles.length === 0 || !app.bc || app.bc.state !== 'Enabled') throw INVALID_CREDENTIALS();
    }

    let api; let rest;
    if (segs[at] === 'v2.0') { api = 'standard'; rest = segs.slice(at + 1); }
    else if (segs[at] === 'microsoft' && segs[at + 1] === 'automation' && segs[at + 2] === 'v2.0') { api = 'automation'; rest = segs.slice(at + 3); }
    else throw notFound();

    if (method !== 'GET') {
      throw new BcError(405, 'BadRequest_MethodNotAllowed', `'${method}' requests for '${rest.at(-1) ?? 'api'}' are not allowed by this read-only emulator.`);
    }
    if (api === 'automation' && app && (!auth.roles.includes('Automation.ReadWrite.All') || !app.bc.permissions.includes('D365 AUTOMATION'))) {
      throw new BcError(400, 'Internal_ServerError', "You do not have the following permissions on Page APIV2 - Aut. Users: Execute.\r\n\r\nTo view details about your permissions, see the Effective Permissions page. To report a problem, refer to the following server session ID: '1207'.");
    }

    const apiBase = `${origin}/v2.0/${tenantSeg !== null ? `${tenantSeg}/` : ''}${env}/api/${api === 'standard' ? 'v2.0' : 'microsoft/automation/v2.0'}`;
    const { parts, params } = splitQuery(search);
    for (const k of params.keys()) if (k.startsWith('$') && !SUPPORTED_OPTIONS.has(k)) throw new BcError(400, 'BadRequest', `The query parameter '${k}' is not supported.`);
    const ctx = { api, apiBase, params, parts, origin, pathname, headers, app, auth };

    if (rest.length === 0) return this.serviceDocument(ctx);
    if (rest[0] === '$metadata') return { status: 200, headers: { 'Content-Type': 'application/xml' }, text: '<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices/></edmx:Edmx>' };

    const path = rest.map(parseSegment);
    let company = null; let i = 0;
    if (path[0].name === 'companies') {
      if (path[0].key === undefined) {
        if (path.length > 1) throw new BcError(400, 'BadRequest_NotFound', 'Bad Request - Error in query syntax.');
        return this.collection(ctx, { schema: COMPANY, type: 'company', rows: this.ds.companies.map((c) => ({ ds: this.ds, company: c })), context: 'companies' });
      }
      company = this.company(path[0].key);
      i = 1;
      if (path.length === 1) return this.single(ctx, { schema: COMPANY, type: 'company', row: { ds: this.ds, company }, context: 'companies' });
    }
    const setSeg = path[i];
    if (!ENTITY_SETS[api].includes(setSeg.name) || setSeg.name === 'companies') {
      throw new BcError(404, 'BadRequest_ResourceNotFound', `Resource not found for the segment '${setSeg.name}'.`);
    }
    if (!company) {
      const q = params.get('company');
      if (q === undefined) throw new BcError(400, 'Internal_CompanyNotFound', 'Cannot process the request because the default company cannot be found. You can specify a default company in the service configuration file, or specify one for each tenant, or you can specify the name of the company in the URL for the request.');
      company = this.ds.companies.find((c) => c.name === q) ?? this.company(q);
    }
    const prefix = `companies(${company.id})`;
    ctx.company = company;
    const handler = {
      vendors: () => this.vendors(ctx, setSeg, path.slice(i + 1), prefix),
      generalLedgerSetup: () => this.glSetup(ctx, setSeg, path.slice(i + 1), prefix),
      purchaseInvoices: () => this.invoices(ctx, setSeg, path.slice(i + 1), prefix),
      purchaseInvoiceLines: () => this.lines(ctx, setSeg, path.slice(i + 1), prefix),
      purchaseCreditMemos: () => this.creditMemos(ctx, setSeg, path.slice(i + 1), prefix),
      users: () => this.users(ctx, setSeg, path.slice(i + 1), prefix),
    }[setSeg.name];
    return handler();
  }

  company(key) {
    if (!GUID_RE.test(key)) throw new BcError(400, 'BadRequest_NotFound', 'Bad Request - Error in query syntax.');
    const d = this.ds.ids.decode('company', 0, key);
    const company = d && d.b === 0 ? this.ds.companies[d.a] : undefined;
    if (!company) throw new BcError(404, 'Internal_CompanyNotFound', `Cannot process the request because the company with ID '${key.toLowerCase()}' cannot be found.`);
    return company;
  }

  requirePurchaseRead(ctx, what) {
    if (ctx.app && !ctx.app.bc.permissions.includes('D365 READ')) {
      throw new BcError(400, 'Application_DialogException', `You do not have permissions to read ${what}.`);
    }
  }

  serviceDocument(ctx) {
    return { status: 200, json: { '@odata.context': `${ctx.apiBase}/$metadata`, value: ENTITY_SETS[ctx.api].map((name) => ({ name, kind: 'EntitySet', url: name })) } };
  }

  noDeeper(rest, set) {
    if (rest.length === 0) return;
    const nav = rest[0].name;
    if ((KNOWN_NAVS[set] ?? []).includes(nav)) throw new BcError(501, 'BadRequest_MethodNotImplemented', `The navigation property '${nav}' is not served by this emulator.`);
    throw new BcError(404, 'BadRequest_ResourceNotFound', `Resource not found for the segment '${nav}'.`);
  }

  vendors(ctx, seg, rest, prefix) {
    const rows = ctx.company.vendors.map((vendor) => ({ ds: this.ds, company: ctx.company, vendor }));
    const tag = (r) => etag(Date.parse(r.vendor.lastModifiedDateTime), r.vendor.index);
    if (seg.key !== undefined) {
      this.noDeeper(rest, 'vendors');
      const row = rows.find((r) => r.vendor.id === seg.key.toLowerCase());
      if (!row) throw recordNotFound('Vendor', seg.key);
      return this.single(ctx, { schema: VENDOR, type: 'vendor', row, context: `${prefix}/vendors`, tag });
    }
    this.noDeeper(rest, 'vendors');
    return this.collection(ctx, { schema: VENDOR, type: 'vendor', rows, context: `${prefix}/vendors`, tag });
  }

  glSetup(ctx, seg, rest, prefix) {
    this.noDeeper(rest, 'generalLedgerSetup');
    const row = { ds: this.ds, company: ctx.company };
    const tag = () => etag(Date.parse(ctx.company.glSetup.lastModifiedDateTime), 7);
    if (seg.key !== undefined) {
      if (seg.key.toLowerCase() !== ctx.company.glSetup.id) throw recordNotFound('General Ledger Setup', seg.key);
      return this.single(ctx, { schema: GL_SETUP, type: 'generalLedgerSetup', row, context: `${prefix}/generalLedgerSetup`, tag });
    }
    return this.collection(ctx, { schema: GL_SETUP, type: 'generalLedgerSetup', rows: [row], context: `${prefix}/generalLedgerSetup`, tag });
  }

  users(ctx, seg, rest, prefix) {
    const rows = this.ds.users.map((user) => ({ ds: this.ds, company: ctx.company, user }));
    const tag = (r) => etag(1_700_000_000_000 + r.user.userName.length, parseInt(r.user.userSecurityId.slice(0, 8), 16));
    if (seg.key !== undefined) {
      this.noDeeper(rest, 'users');
      const row = rows.find((r) => r.user.userSecurityId === seg.key.toLowerCase());
      if (!row) throw recordNotFound('User', seg.key);
      return this.single(ctx, { schema: USER, type: 'user', row, context: `${prefix}/users`, tag });
    }
    this.noDeeper(rest, 'users');
    return this.collection(ctx, { schema: USER, type: 'user', rows, context: `${prefix}/users`, tag });
  }

  creditMemos(ctx, seg, rest, prefix) {
    this.requirePurchaseRead(ctx, 'Purchase Credit Memos');
    const rows = ctx.company.creditMemos.map((memo) => ({ ds: this.ds, company: ctx.company, memo }));
    const tag = (r) => etag(r.memo.lastModMs, r.memo.index);
    this.noDeeper(rest, 'purchaseCreditMemos');
    if (seg.key !== undefined) {
      const row = rows.find((r) => r.memo.id === seg.key.toLowerCase());
      if (!row) throw recordNotFound('Purch. Cr. Memo Entity Buffer', seg.key);
      return this.single(ctx, { schema: CREDIT_MEMO, type: 'purchaseCreditMemo', row, context: `${prefix}/purchaseCreditMemos`, tag });
    }
    return this.collection(ctx, { schema: CREDIT_MEMO, type: 'purchaseCreditMemo', rows, context: `${prefix}/purchaseCreditMemos`, tag });
  }

  invoiceIndex(company, key) {
    if (!GUID_RE.test(key)) throw new BcError(400, 'BadRequest_NotFound', 'Bad Request - Error in query syntax.');
    const d = this.ds.ids.decode('invoice', company.index, key);
    if (d?.b !== 0 || d.a >= company.invoices.n) throw recordNotFound('Purch. Inv. Entity Aggregate', key);
    return d.a;
  }

  invoices(ctx, seg, rest, prefix) {
    this.requirePurchaseRead(ctx, 'Purchase Invoices');
    const company = ctx.company; const ds = this.ds;
    const tag = (r) => invoiceEtag(company.invoices, r.i);
    const expandable = { purchaseInvoiceLines: (r) => lineRows(ds, company, r.i) };
    if (seg.key !== undefined) {
      const i = this.invoiceIndex(company, seg.key);
      const row = { ds, company, i };
      if (rest.length === 0) return this.single(ctx, { schema: INVOICE, type: 'purchaseInvoice', row, context: `${prefix}/purchaseInvoices`, tag, expandable });
      if (rest[0].name !== 'purchaseInvoiceLines') this.noDeeper(rest, 'purchaseInvoices');
      const ctxPath = `${prefix}/purchaseInvoices(${seg.key.toLowerCase()})/purchaseInvoiceLines`;
      const lines = lineRows(ds, company, i);
      if (rest[0].key !== undefined) {
        this.noDeeper(rest.slice(1), 'purchaseInvoiceLines');
        const row2 = lines.find((r) => LINE.get('id').get(r) === rest[0].key.toLowerCase());
        if (!row2) throw recordNotFound('Purch. Inv. Line Aggregate', rest[0].key);
        return this.single(ctx, { schema: LINE, type: 'purchaseInvoiceLine', row: row2, context: ctxPath, tag: lineTag });
      }
      this.noDeeper(rest.slice(1), 'purchaseInvoiceLines');
      return this.collection(ctx, { schema: LINE, type: 'purchaseInvoiceLine', rows: lines, context: ctxPath, tag: lineTag });
    }
    this.noDeeper(rest, 'purchaseInvoices');
    const st = company.invoices;
    const source = { n: st.n, row: (k) => ({ ds, company, i: k }) };
    return this.collection(ctx, { schema: INVOICE, type: 'purchaseInvoice', source, context: `${prefix}/purchaseInvoices`, tag, expandable });
  }

  // Company-level lines: only with an id or documentId filter (the page refuses otherwise).
  lines(ctx, seg, rest, prefix) {
    this.requirePurchaseRead(ctx, 'Purchase Invoices');
    const company = ctx.company; const ds = this.ds;
    this.noDeeper(rest, 'purchaseInvoiceLines');
    const linesOf = (i) => lineRows(ds, company, i);
    if (seg.key !== undefined) {
      if (!GUID_RE.test(seg.key)) throw new BcError(400, 'BadRequest_NotFound', 'Bad Request - Error in query syntax.');
      const d = ds.ids.decode('line', company.index, seg.key);
      const row = d && d.a < company.invoices.n ? linesOf(d.a).find((r) => r.line.sequence === d.b * 10000) : undefined;
      if (!row) throw recordNotFound('Purch. Inv. Line Aggregate', seg.key);
      return this.single(ctx, { schema: LINE, type: 'purchaseInvoiceLine', row, context: `${prefix}/purchaseInvoiceLines`, tag: lineTag });
    }
    const filterText = ctx.params.get('$filter');
    const ast = filterText !== undefined ? parseFilter(filterText) : null;
    const docIds = literalsFor(ast, 'documentId');
    const lineIds = literalsFor(ast, 'id');
    if (docIds.length === 0 && lineIds.length === 0) {
      throw new BcError(400, 'Application_DialogException', 'You must specify an Id or a Document Id to get the lines.');
    }
    const invoices = new Set();
    for (const l of docIds) {
      const d = typeof l.value === 'string' ? ds.ids.decode('invoice', company.index, l.value) : null;
      if (d && d.b === 0 && d.a < company.invoices.n) invoices.add(d.a);
    }
    for (const l of lineIds) {
      const d = typeof l.value === 'string' ? ds.ids.decode('line', company.index, l.value) : null;
      if (d && d.a < company.invoices.n) invoices.add(d.a);
    }
    const rows = [...invoices].sort((a, b) => a - b).flatMap(linesOf);
    return this.collection(ctx, { schema: LINE, type: 'purchaseInvoiceLine', rows, context: `${prefix}/purchaseInvoiceLines`, tag: lineTag });
  }

  // ------------------------------------------------------------------------------------------

  contextUrl(ctx, path, select, expand, entity = false) {
    const parts = [...(select ?? [])];
    for (const e of expand ?? []) parts.push(`${e.name}(${e.select ? e.select.join(',') : ''})`);
    return `${ctx.apiBase}/$metadata#${path}${parts.length ? `(${parts.join(',')})` : ''}${entity ? '/$entity' : ''}`;
  }

  expandSpec(ctx, type, expandable, setName) {
    const spec = parseExpand(ctx.params.get('$expand'));
    return spec.map((e) => {
      if (!expandable?.[e.name]) {
        const known = KNOWN_NAVS[setName] ?? [];
        if (known.includes(e.name)) throw new BcError(501, 'BadRequest_MethodNotImplemented', `Expanding '${e.name}' is not served by this emulator.`);
        throw new BcError(400, 'BadRequest', `Could not find a property named '${e.name}' on type 'Microsoft.NAV.${type}'.`);
      }
      const select = parseSelect(e.options.$select, LINE, 'purchaseInvoiceLine');
      const pred = e.options.$filter !== undefined ? compileFilter(parseFilter(e.options.$filter), LINE, 'purchaseInvoiceLine') : null;
      const orderBy = parseOrderBy(e.options.$orderby, LINE, 'purchaseInvoiceLine');
      const top = parseIntOption('$top', e.options.$top);
      const skip = parseIntOption('$skip', e.options.$skip) ?? 0;
      return {
        name: e.name, select,
        expand(row) {
          let rows = expandable[e.name](row);
          if (pred) rows = rows.filter(pred);
          if (orderBy) rows = sortRows(rows, LINE, orderBy);
          rows = rows.slice(skip, top === undefined ? undefined : skip + top);
          return rows.map((r) => buildObject(LINE, r, select, lineTag(r)));
        },
      };
    });
  }

  single(ctx, { schema, type, row, context, tag, expandable }) {
    const select = parseSelect(ctx.params.get('$select'), schema, type);
    const expand = this.expandSpec(ctx, type, expandable, context.split('/').pop());
    const obj = { '@odata.context': this.contextUrl(ctx, context, select, expand, true), ...buildObject(schema, row, select, tag ? tag(row) : undefined) };
    for (const e of expand) obj[e.name] = e.expand(row);
    return { status: 200, json: obj };
  }

  collection(ctx, { schema, type, rows, source, context, tag, expandable }) {
    const { params } = ctx;
    const filterText = params.get('$filter');
    const pred = filterText !== undefined ? compileFilter(parseFilter(filterText), schema, type) : () => true;
    const select = parseSelect(params.get('$select'), schema, type);
    const expand = this.expandSpec(ctx, type, expandable, context.split('/').pop());
    const orderBy = parseOrderBy(params.get('$orderby'), schema, type);
    const top = parseIntOption('$top', params.get('$top'));
    const skip = parseIntOption('$skip', params.get('$skip')) ?? 0;
    const countWanted = params.get('$count') === 'true';
    if (params.has('$count') && !['true', 'false'].includes(params.get('$count'))) throw new BcError(400, 'BadRequest', `'${params.get('$count')}' is not a valid count option.`);
    const src = source ?? { n: rows.length, row: (k) => rows[k] };

    // Page size: the server maximum, or less when the client asks with Prefer.
    const headers = {};
    let pageSize = this.maxPageSize;
    const prefer = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(ctx.headers.prefer ?? '');
    if (prefer) {
      pageSize = Math.max(1, Math.min(Number(prefer[1]), this.maxPageSize));
      headers['Preference-Applied'] = `odata.maxpagesize=${pageSize}`;
    }
    const token = params.get('$skiptoken');
    const state = token !== undefined ? decodeSkipToken(token) : null;
    const served = state?.s ?? 0;
    let limit = pageSize;
    if (top !== undefined) limit = Math.min(limit, Math.max(0, top - served));

    const page = []; let more = false; let nextState = null; let count;
    if (orderBy) {
      const matched = [];
      for (let k = 0; k < src.n; k++) { const r = src.row(k); if (pred(r)) matched.push(r); }
      count = matched.length;
      const sorted = sortRows(matched, schema, orderBy);
      const offset = state ? state.o : skip;
      for (let k = offset; k < sorted.length && page.length < limit; k++) page.push(sorted[k]);
      more = offset + page.length < sorted.length;
      nextState = { o: offset + page.length, s: served + page.length };
    } else {
      let skipped = state ? skip : 0; // $skip applies to the first page only
      let k = state ? state.k + 1 : 0;
      let last = state ? state.k : -1;
      for (; k < src.n; k++) {
        const r = src.row(k);
        if (!pred(r)) continue;
        if (skipped < skip) { skipped++; last = k; continue; }
        if (page.length >= limit) { more = true; break; }
        page.push(r); last = k;
      }
      nextState = { k: last, s: served + page.length };
      if (countWanted) { count = 0; for (let j = 0; j < src.n; j++) if (pred(src.row(j))) count++; }
    }
    if (top !== undefined && served + page.length >= top) more = false;
    if (limit === 0) more = false;

    let nextLink;
    if (more) {
      const kept = ctx.parts.filter((p) => decodeURIComponentSafe(p.split('=')[0]) !== '$skiptoken');
      kept.push(`$skiptoken=${encodeSkipToken(nextState)}`);
      nextLink = `${ctx.origin}${ctx.pathname}?${kept.join('&')}`;
    }
    const head = { '@odata.context': this.contextUrl(ctx, context, select, expand) };
    if (countWanted) head['@odata.count'] = count;
    const build = (r) => {
      const o = buildObject(schema, r, select, tag ? tag(r) : undefined);
      for (const e of expand) o[e.name] = e.expand(r);
      return o;
    };
    return { status: 200, headers, collection: { head, rows: page, build, nextLink } };
  }
}

function decodeURIComponentSafe(s) { try { return decodeURIComponent(s); } catch { return s; } }

function lineTag(r) { return etag(r.company.invoices.lastMod[r.i], r.i * 64 + r.line.sequence / 10000); }

function recordNotFound(table, key) {
  return new BcError(404, 'Internal_RecordNotFound', `The ${table} does not exist. Identification fields and values: Id='${String(key).toLowerCase()}'`);
}

function sortRows(rows, schema, orderBy) {
  const fields = orderBy.map((o) => ({ f: schema.get(o.name), desc: o.desc }));
  return rows.map((r, idx) => ({ r, idx })).sort((a, b) => {
    for (const { f, desc } of fields) {
      const x = rawOf(f, a.r); const y = rawOf(f, b.r);
      if (x < y) return desc ? 1 : -1;
      if (x > y) return desc ? -1 : 1;
    }
    return a.idx - b.idx;
  }).map((e) => e.r);
}

function parseSegment(s) {
  const m = /^([A-Za-z$][A-Za-z0-9_]*)(?:\((.*)\))?$/.exec(s);
  if (!m) throw new BcError(400, 'BadRequest_NotFound', 'Bad Request - Error in query syntax.');
  let key = m[2];
  if (key !== undefined) {
    key = key.replace(/^id=/, '').replace(/^'(.*)'$/, '$1');
  }
  return { name: m[1], key };
}

