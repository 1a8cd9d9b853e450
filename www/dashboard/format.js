// Display formatting. Amounts arrive as exact decimal strings ("1234.50"); they are formatted
// from the string (Intl.NumberFormat takes decimal strings exactly), never summed here.

const moneyFormats = new Map();
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimalFormats = new Map();

function moneyFormat(currency, compact) {
  const key = `${currency}|${compact}`;
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, {
        style: 'currency', currency, currencyDisplay: 'code',
        ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : { minimumFractionDigits: 2, maximumFractionDigits: 4 }),
      });
    } catch {
      f = null; // not an ISO 4217 code (or blank): formatted as a plain number
    }
    moneyFormats.set(key, f);
  }
  return f;
}

function plainDecimal(compact) {
  let f = decimalFormats.get(compact);
  if (!f) {
    f = new Intl.NumberFormat(undefined, compact
      ? { notation: 'compact', maximumFractionDigits: 1 }
      : { minimumFractionDigits: 2, maximumFractionDigits: 4 });
    decimalFormats.set(compact, f);
  }
  return f;
}

/** "USD 32,042.40" from ("32042.40", "USD"). Missing amounts show as an en dash. */
export function money(amount, currency, { compact = false } = {}) {
  if (amount === null || amount === undefined || amount === '') return '–';
  const value = typeof amount === 'number' ? amount : String(amount);
  const f = currency ? moneyFormat(currency, compact) : null;
  if (f) return f.format(value).replace(/\u00a0/g, ' ');
  const n = plainDecimal(compact).format(value);
  return currency ? `${n} ${currency}` : n;
}

/** An amount without currency, for table cells whose column already names it. */
export function amount(value) {
  if (value === null || value === undefined || value === '') return '–';
  return plainDecimal(false).format(typeof value === 'number' ? value : String(value));
}

export function count(n) {
  return n === null || n === undefined ? '–' : numberFormat.format(n);
}

export function percent(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return `${(x * 100).toFixed(digits)}%`;
}

const monthNames = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
/** "Jan 2026" from "2026-01" or "2026-01-15". */
export function month(ym) {
  if (!ym) return '–';
  const [y, m] = ym.split('-').map(Number);
  if (!y || !m) return ym;
  return monthNames.format(new Date(Date.UTC(y, m - 1, 1)));
}

/** Decimal strings to numbers, for chart geometry only. */
export function toNumber(decimal) {
  if (decimal === null || decimal === undefined || decimal === '') return 0;
  const n = typeof decimal === 'number' ? decimal : Number.parseFloat(decimal);
  return Number.isFinite(n) ? n : 0;
}

const ACRONYMS = new Set(['ai', 'api', 'crm', 'erp', 'hr', 'it', 'saas', 'sso', 'ui', 'ux', 'vpn', 'bi', 'seo', 'gl']);
const SPELLING = { esignature: 'e-signature', devops: 'DevOps' };

/** An id in words: "vendorName" -> "Vendor name", "hr-payroll" -> "HR payroll". */
export function words(id) {
  if (!id) return '';
  const parts = String(id).replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase().split(' ');
  const out = parts.map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : SPELLING[w] ?? w)).join(' ');
  return out.charAt(0).toUpperCase() + out.slice(1);
}

export function plural(n, one, many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}
