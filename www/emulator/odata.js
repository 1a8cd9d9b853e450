// The OData query subset Business Central serves: $filter (comparisons, and, or on one field,
// not, contains/startswith/endswith), $select, $expand with nested options, $orderby, $top, $skip,
// $count and server-driven paging. Errors are BcError values carrying BC's status/code/message.

export class BcError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status; this.code = code; this.headers = headers;
  }
}

const bad = (message, code = 'BadRequest') => new BcError(400, code, message);

const EDM = { string: 'Edm.String', guid: 'Edm.Guid', date: 'Edm.Date', datetime: 'Edm.DateTimeOffset', decimal: 'Edm.Decimal', int: 'Edm.Int32', bool: 'Edm.Boolean', enum: 'Edm.Enum', int64: 'Edm.Int64' };
const OP_KIND = { eq: 'Equal', ne: 'NotEqual', gt: 'GreaterThan', ge: 'GreaterThanOrEqual', lt: 'LessThan', le: 'LessThanOrEqual' };

// ---------------------------------------------------------------------------------------------
// Tokenizer

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}(?![\d:T])/;
const NUM_RE = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*/;

function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t') { i++; continue; }
    const rest = text.slice(i);
    let m;
    if (ch === '(' || ch === ')' || ch === ',') { tokens.push({ t: ch, pos: i }); i++; continue; }
    if (ch === "'") {
      let j = i + 1; let s = '';
      for (;;) {
        if (j >= text.length) throw bad(`There is an unterminated string literal at position ${i} in '${text}'.`);
        if (text[j] === "'") { if (text[j + 1] === "'") { s += "'"; j += 2; continue; } break; }
        s += text[j++];
      }
      tokens.push({ t: 'lit', type: 'string', value: s, pos: i }); i = j + 1; continue;
    }
    if ((m = GUID_RE.exec(rest))) { tokens.push({ t: 'lit', type: 'guid', value: m[0].toLowerCase(), pos: i }); i += m[0].length; continue; }
    if ((m = DATETIME_RE.exec(rest))) {
      const ms = Date.parse(m[0]);
      if (Number.isNaN(ms)) throw bad(`Unable to convert '${m[0]}' to DateTimeOffset.`);
      tokens.push({ t: 'lit', type: 'datetime', value: ms, text: m[0], pos: i }); i += m[0].length; continue;
    }
    if ((m = DATE_RE.exec(rest))) {
      const ms = Date.parse(`${m[0]}T00:00:00Z`);
      if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== m[0]) throw bad(`Unable to convert value '${m[0]}' to Date.`);
      tokens.push({ t: 'lit', type: 'date', value: Math.floor(ms / 86_400_000), text: m[0], pos: i }); i += m[0].length; continue;
    }
    if ((m = NUM_RE.exec(rest))) { tokens.push({ t: 'lit', type: 'number', value: Number(m[0].replace(/[mMdDfFlL]$/, '')), pos: i }); i += m[0].length; continue; }
    if ((m = IDENT_RE.exec(rest))) {
      const w = m[0];
      if (w === 'true' || w === 'false') tokens.push({ t: 'lit', type: 'bool', value: w === 'true', pos: i });
      else if (w === 'null') tokens.push({ t: 'lit', type: 'null', value: null, pos: i });
      else tokens.push({ t: 'id', value: w, pos: i });
      i += w.length; continue;
    }
    throw bad(`Syntax error: character '${ch}' is not valid at position ${i} in '${text}'.`);
  }
  tokens.push({ t: 'end', pos: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser -> AST: { op: 'and'|'or', left, right } | { op: 'not', arg } | { op: 'cmp', cmp, field, lit }
// | { op: 'fn', fn, field, lit }

const CMP = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FNS = new Set(['contains', 'startswith', 'endswith']);
const FLIP = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

export function parseFilter(text) {
  const toks = tokenize(text);
  let p = 0;
  const peek = () => toks[p];
  const syntax = (tok) => bad(`Syntax error at position ${tok.pos} in '${text}'.`);
  const isWord = (tok, w) => tok.t === 'id' && tok.value === w;

  function parseOr() {
    let left = parseAnd();
    while (isWord(peek(), 'or')) { p++; left = { op: 'or', left, right: parseAnd() }; }
    return left;
  }
  function parseAnd() {
    let left = parseUnary();
    while (isWord(peek(), 'and')) { p++; left = { op: 'and', left, right: parseUnary() }; }
    return left;
  }
  function parseUnary() {
    if (isWord(peek(), 'not')) { p++; return { op: 'not', arg: parseUnary() }; }
    return parsePrimary();
  }
  function operand() {
    const tok = peek();
    if (tok.t === 'lit') { p++; return { kind: 'lit', lit: tok }; }
    if (tok.t === 'id' && !CMP.has(tok.value) && tok.value !== 'and' && tok.value !== 'or') { p++; return { kind: 'field', name: tok.value, pos: tok.pos }; }
    throw syntax(tok);
  }
  function parsePrimary() {
    const tok = peek();
    if (tok.t === '(') {
      p++; const e = parseOr();
      if (peek().t !== ')') throw syntax(peek());
      p++; return e;
    }
    if (tok.t === 'id' && FNS.has(tok.value) && toks[p + 1].t === '(') {
      p += 2;
      const a = operand();
      if (peek().t !== ',') throw syntax(peek());
      p++;
      const b = operand();
      if (peek().t !== ')') throw syntax(peek());
      p++;
      if (a.kind !== 'field' || b.kind !== 'lit' || b.lit.type !== 'string') throw bad(`The function '${tok.value}' needs a property and a string literal in '${text}'.`);
      return { op: 'fn', fn: tok.value, field: a.name, lit: b.lit };
    }
    if (tok.t === 'id' && toks[p + 1].t === '(') throw bad(`An unknown function with name '${tok.value}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.`);
    const a = operand();
    const opTok = peek();
    if (!(opTok.t === 'id' && CMP.has(opTok.value))) {
      if (a.kind === 'field' && opTok.t !== 'id') throw syntax(opTok);
      throw syntax(opTok);
    }
    p++;
    const b = operand();
    if (a.kind === 'field' && b.kind === 'lit') return { op: 'cmp', cmp: opTok.value, field: a.name, lit: b.lit };
    if (a.kind === 'lit' && b.kind === 'field') return { op: 'cmp', cmp: FLIP[opTok.value], field: b.name, lit: a.lit };
    throw bad(`The filter '${text}' compares two ${a.kind === 'field' ? 'properties' : 'literals'}; Business Central filters compare a field with a value.`);
  }

  if (peek().t === 'end') throw bad(`The $filter query option cannot be empty.`);
  const ast = parseOr();
  if (peek().t !== 'end') throw syntax(peek());
  checkOr(ast);
  return ast;
}

function fieldsOf(ast, out = new Set()) {
  if (ast.op === 'and' || ast.op === 'or') { fieldsOf(ast.left, out); fieldsOf(ast.right, out); }
  else if (ast.op === 'not') fieldsOf(ast.arg, out);
  else out.add(ast.field);
  return out;
}

// BC turns a filter into per-field AL filters, so `or` can only join conditions on one field.
function checkOr(ast) {
  if (ast.op === 'or') {
    if (fieldsOf(ast).size > 1) throw new BcError(400, 'BadRequest', "The 'OR' operator is not supported on distinct fields on an OData filter.");
  }
  if (ast.op === 'and' || ast.op === 'or') { checkOr(ast.left); checkOr(ast.right); }
  if (ast.op === 'not') checkOr(ast.arg);
}

// Top-level conjuncts (a and b and c) of an AST.
export function conjuncts(ast) {
  if (!ast) return [];
  if (ast.op === 'and') return [...conjuncts(ast.left), ...conjuncts(ast.right)];
  return [ast];
}

export function literalsFor(ast, field, cmp = 'eq') {
  const out = [];
  const walk = (a) => {
    if (a.op === 'and' || a.op === 'or') { walk(a.left); walk(a.right); }
    else if (a.op === 'cmp' && a.field === field && a.cmp === cmp) out.push(a.lit);
  };
  if (ast) walk(ast);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compile an AST against an entity schema into predicate(row) -> boolean.
// Schema: Map name -> { type, get(row), raw?(row) } where raw gives a comparable primitive:
// date -> day number, datetime -> epoch ms, enum/string/guid -> string, numbers -> number.

export function decodeEnum(s) { return s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, h) => String.fromCharCode(parseInt(h, 16))); }

export function rawOf(field, row) {
  if (field.raw) return field.raw(row);
  const v = field.get(row);
  switch (field.type) {
    case 'date': return Math.floor(Date.parse(`${v}T00:00:00Z`) / 86_400_000);
    case 'datetime': return Date.parse(v);
    case 'enum': return decodeEnum(v);
    default: return v;
  }
}

export function compileFilter(ast, schema, entityType) {
  if (!ast) return () => true;
  const unknown = (name) => bad(`Could not find a property named '${name}' on type 'Microsoft.NAV.${entityType}'.`);
  function lit(field, l, cmp) {
    if (l.type === 'null') return null;
    const mismatch = () => bad(`A binary operator with incompatible types was detected. Found operand types '${EDM[field.type] ?? field.type}' and '${litEdm(l)}' for operator kind '${OP_KIND[cmp] ?? cmp}'.`);
    switch (field.type) {
      case 'string': if (l.type !== 'string') throw mismatch(); return l.value;
      case 'enum': if (l.type !== 'string') throw mismatch(); return decodeEnum(l.value);
      case 'guid': if (l.type === 'guid') return l.value; if (l.type === 'string' && GUID_RE.test(l.value)) return l.value.toLowerCase(); throw mismatch();
      case 'date': if (l.type !== 'date') throw mismatch(); return l.value;
      case 'datetime': if (l.type !== 'datetime') throw mismatch(); return l.value;
      case 'decimal': case 'int': case 'int64': if (l.type !== 'number') throw mismatch(); return l.value;
      case 'bool': if (l.type !== 'bool') throw mismatch(); return l.value;
      default: throw mismatch();
    }
  }
  function compile(a) {
    switch (a.op) {
      case 'and': { const l = compile(a.left); const r = compile(a.right); return (row) => l(row) && r(row); }
      case 'or': { const l = compile(a.left); const r = compile(a.right); return (row) => l(row) || r(row); }
      case 'not': { const f = compile(a.arg); return (row) => !f(row); }
      case 'fn': {
        const field = schema.get(a.field); if (!field) throw unknown(a.field);
        if (field.type !== 'string') throw bad(`No function signature for the function with name '${a.fn}' matches the specified arguments. The function signatures considered are: ${a.fn}(Edm.String Nullable=true, Edm.String Nullable=true).`);
        const needle = a.lit.value;
        if (a.fn === 'contains') return (row) => String(rawOf(field, row)).includes(needle);
        if (a.fn === 'startswith') return (row) => String(rawOf(field, row)).startsWith(needle);
        return (row) => String(rawOf(field, row)).endsWith(needle);
      }
      case 'cmp': {
        const field = schema.get(a.field); if (!field) throw unknown(a.field);
        const v = lit(field, a.lit, a.cmp);
        let order = null;
        if (field.type === 'enum' && field.values && a.cmp !== 'eq' && a.cmp !== 'ne') {
          const names = field.values.map(decodeEnum);
          const idx = names.indexOf(v);
          order = (x) => names.indexOf(x) - idx;
        }
        const c = a.cmp;
        return (row) => {
          const x = rawOf(field, row);
          if (v === null) return c === 'eq' ? x === null : c === 'ne' ? x !== null : false;
          const d = order ? order(x) : (x < v ? -1 : x > v ? 1 : 0);
          switch (c) { case 'eq': return d === 0; case 'ne': return d !== 0; case 'gt': return d > 0; case 'ge': return d >= 0; case 'lt': return d < 0; default: return d <= 0; }
        };
      }
      default: throw bad('Unsupported filter.');
    }
  }
  return compile(ast);
}

function litEdm(l) {
  switch (l.type) {
    case 'string': return 'Edm.String'; case 'guid': return 'Edm.Guid'; case 'date': return 'Edm.Date'; case 'datetime': return 'Edm.DateTimeOffset';
    case 'number': return Number.isInteger(l.value) ? 'Edm.Int32' : 'Edm.Decimal'; case 'bool': return 'Edm.Boolean'; default: return 'Edm.Untyped';
  }
}

// Date window of a filter on one of `fields` (top-level conjuncts only), in epoch ms; used by the
// 504 fault to decide whether a request asks for "too much".
export function dateWindow(ast, fields, nowMs) {
  let lo = -Infinity; let hi = Infinity; let seen = false;
  for (const c of conjuncts(ast)) {
    if (c.op !== 'cmp' || !fields.includes(c.field)) continue;
    const ms = c.lit.type === 'date' ? c.lit.value * 86_400_000 : c.lit.type === 'datetime' ? c.lit.value : null;
    if (ms === null) continue;
    seen = true;
    if (c.cmp === 'ge' || c.cmp === 'gt') lo = Math.max(lo, ms);
    else if (c.cmp === 'le' || c.cmp === 'lt') hi = Math.min(hi, ms);
    else if (c.cmp === 'eq') { lo = Math.max(lo, ms); hi = Math.min(hi, ms + 86_400_000); }
  }
  if (hi === Infinity) hi = nowMs;
  return { seen, lo, hi, days: (hi - lo) / 86_400_000 };
}

// ---------------------------------------------------------------------------------------------
// Query options

// Split on a separator at paren depth 0, outside quotes.
function splitTop(s, sep) {
  const out = []; let depth = 0; let quote = false; let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "'") quote = !quote;
    else if (!quote && ch === '(') depth++;
    else if (!quote && ch === ')') depth--;
    else if (!quote && depth === 0 && ch === sep) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x.length > 0);
}

export function parseSelect(text, schema, entityType) {
  if (text === undefined) return null;
  const names = splitTop(text, ',');
  if (names.length === 0) throw bad(`The $select query option cannot be empty.`);
  if (names.includes('*')) return null;
  for (const n of names) if (!schema.has(n)) throw bad(`Could not find a property named '${n}' on type 'Microsoft.NAV.${entityType}'.`);
  return names;
}

export function parseOrderBy(text, schema, entityType) {
  if (text === undefined) return null;
  return splitTop(text, ',').map((part) => {
    const [name, dir = 'asc', extra] = part.split(/\s+/);
    if (extra !== undefined || (dir !== 'asc' && dir !== 'desc')) throw bad(`Syntax error at position ${part.length} in '${text}'.`);
    if (!schema.has(name)) throw bad(`Could not find a property named '${name}' on type 'Microsoft.NAV.${entityType}'.`);
    return { name, desc: dir === 'desc' };
  });
}

// $expand=a,b($select=x,y;$filter=...): [{ name, options: { $select, $filter, ... } }]
export function parseExpand(text) {
  if (text === undefined) return [];
  return splitTop(text, ',').map((part) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?$/s.exec(part);
    if (!m) throw bad(`Syntax error at position 0 in '${text}'.`);
    const options = {};
    if (m[2] !== undefined) {
      for (const opt of splitTop(m[2], ';')) {
        const eq = opt.indexOf('=');
        if (eq < 0) throw bad(`Syntax error in the $expand options of '${m[1]}': '${opt}'.`);
        const k = opt.slice(0, eq).trim(); const v = opt.slice(eq + 1).trim();
        if (!['$select', '$filter', '$orderby', '$top', '$skip'].includes(k)) throw bad(`The query option '${k}' is not supported inside $expand.`);
        options[k] = v;
      }
    }
    return { name: m[1], options };
  });
}

export function parseIntOption(name, text) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw bad(`Invalid value '${text}' for $${name.replace('$', '')} query option found. The $${name.replace('$', '')} query option requires a non-negative integer value.`);
  return Number(text);
}

// Raw query parsing that keeps each parameter's original text, so nextLink can repeat it verbatim.
export function splitQuery(search) {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  const parts = raw.length ? raw.split('&') : [];
  const params = new Map();
  for (const part of parts) {
    const eq = part.indexOf('=');
    const k = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    if (params.has(k)) throw bad(`Query option '${k}' was specified more than once, but it must be specified at most once.`);
    params.set(k, v);
  }
  return { parts, params };
}

function decodeComponent(s) {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { throw bad(`The request URI is not valid: '${s}'.`, 'BadRequest_InvalidRequestUrl'); }
}

export function encodeSkipToken(state) { return Buffer.from(JSON.stringify(state)).toString('base64url'); }
export function decodeSkipToken(token) {
  try {
    const s = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof s !== 'object' || s === null) throw new Error();
    return s;
  } catch { throw bad(`The skip token value '${token}' is not valid.`); }
}
