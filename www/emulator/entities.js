// BC API v2.0 entity shapes: field order, types and values exactly as the API pages emit them
// (reference sections 2.1, 3.x and 4.1). Each schema field has get(row) -> JSON value and, where
// it saves work when filtering, raw(row) -> comparable primitive (see odata.rawOf).

import { EMPTY_GUID, STATUS_NAMES, LINE_TYPES, DAY_MS, dayToIso, pricedLines, mix32 } from './data.js';

const cents = (c) => c / 100;
const iso = (ms) => new Date(ms).toISOString();

export function etag(seedA, seedB) {
  const digits = `${Math.floor(seedA)}${String(seedB >>> 0).padStart(10, '0')}`;
  return `W/"${Buffer.from(`'${digits.length};${digits};'`).toString('base64')}"`;
}

function schema(entries) {
  const m = new Map();
  for (const [name, type, get, raw, values] of entries) m.set(name, { name, type, get, raw, values });
  return m;
}

// Rows are plain objects: { ds, company, i } for invoices, { ds, company, i, line } for lines, etc.

export const COMPANY = schema([
  ['id', 'guid', (r) => r.company.id],
  ['systemVersion', 'string', () => '27.1.41698.43157'],
  ['timestamp', 'int64', (r) => r.company.timestamp],
  ['name', 'string', (r) => r.company.name],
  ['displayName', 'string', (r) => r.company.displayName],
  ['businessProfileId', 'string', () => ''],
  ['systemCreatedAt', 'datetime', (r) => r.company.systemCreatedAt],
  ['systemCreatedBy', 'guid', (r) => r.company.systemCreatedBy],
  ['systemModifiedAt', 'datetime', (r) => r.company.systemModifiedAt],
  ['systemModifiedBy', 'guid', (r) => r.company.systemModifiedBy],
]);

const vendorOf = (r) => r.company.vendors[r.company.invoices.vendor[r.i]];
const DEPTS = ['ADM', 'IT', 'SALES', 'PROD', 'MARKETING'];

export const INVOICE = schema([
  ['id', 'guid', (r) => r.ds.ids.guid('invoice', r.company.index, r.i)],
  ['number', 'string', (r) => invoiceNumber(r.company.invoices, r.i)],
  ['invoiceDate', 'date', (r) => dayToIso(r.company.invoices.invoiceDay[r.i]), (r) => r.company.invoices.invoiceDay[r.i]],
  ['postingDate', 'date', (r) => dayToIso(r.company.invoices.postingDay[r.i]), (r) => r.company.invoices.postingDay[r.i]],
  ['dueDate', 'date', (r) => dayToIso(r.company.invoices.dueDay[r.i]), (r) => r.company.invoices.dueDay[r.i]],
  ['vendorInvoiceNumber', 'string', (r) => `${vendorOf(r).prefix}-${1_000_000 + (r.company.invoices.seed[r.i] % 9_000_000)}`],
  ['vendorId', 'guid', (r) => vendorOf(r).id],
  ['vendorNumber', 'string', (r) => vendorOf(r).number],
  ['vendorName', 'string', (r) => vendorOf(r).displayName],
  ['payToName', 'string', (r) => vendorOf(r).displayName],
  ['payToContact', 'string', (r) => (r.i % 4 === 0 ? 'Accounts Receivable' : '')],
  ['payToVendorId', 'guid', (r) => vendorOf(r).id],
  ['payToVendorNumber', 'string', (r) => vendorOf(r).number],
  ['shipToName', 'string', (r) => r.company.name],
  ['shipToContact', 'string', () => ''],
  ['buyFromAddressLine1', 'string', (r) => vendorOf(r).addressLine1],
  ['buyFromAddressLine2', 'string', (r) => vendorOf(r).addressLine2],
  ['buyFromCity', 'string', (r) => vendorOf(r).city],
  ['buyFromCountry', 'string', (r) => vendorOf(r).country],
  ['buyFromState', 'string', (r) => vendorOf(r).state],
  ['buyFromPostCode', 'string', (r) => vendorOf(r).postalCode],
  ['shipToAddressLine1', 'string', (r) => r.company.template.addr],
  ['shipToAddressLine2', 'string', () => ''],
  ['shipToCity', 'string', (r) => r.company.template.city],
  ['shipToCountry', 'string', (r) => r.company.country],
  ['shipToState', 'string', (r) => r.company.template.state],
  ['shipToPostCode', 'string', (r) => r.company.template.post],
  ['payToAddressLine1', 'string', (r) => vendorOf(r).addressLine1],
  ['payToAddressLine2', 'string', (r) => vendorOf(r).addressLine2],
  ['payToCity', 'string', (r) => vendorOf(r).city],
  ['payToCountry', 'string', (r) => vendorOf(r).country],
  ['payToState', 'string', (r) => vendorOf(r).state],
  ['payToPostCode', 'string', (r) => vendorOf(r).postalCode],
  ['shortcutDimension1Code', 'string', (r) => DEPTS[r.company.invoices.seed[r.i] % DEPTS.length]],
  ['shortcutDimension2Code', 'string', () => ''],
  ['currencyId', 'guid', (r) => r.company.currencies[r.company.invoices.cur[r.i]].id],
  // Calculated by the page: a blank (local) currency shows GL Setup's LCY Code.
  ['currencyCode', 'string', (r) => r.company.currencies[r.company.invoices.cur[r.i]].code],
  ['orderId', 'guid', () => EMPTY_GUID],
  ['orderNumber', 'string', () => ''],
  ['purchaser', 'string', (r) => (r.company.invoices.tpl[r.i] === 3 ? '' : 'JM')],
  ['pricesIncludeTax', 'bool', () => false],
  ['discountAmount', 'decimal', (r) => cents(r.company.invoices.disc[r.i])],
  ['discountAppliedBeforeTax', 'bool', () => true],
  ['totalAmountExcludingTax', 'decimal', (r) => cents(r.company.invoices.excl[r.i])],
  ['totalTaxAmount', 'decimal', (r) => cents(r.company.invoices.tax[r.i])],
  ['totalAmountIncludingTax', 'decimal', (r) => cents(r.company.invoices.excl[r.i] + r.company.invoices.tax[r.i])],
  ['status', 'enum', (r) => STATUS_NAMES[r.company.invoices.status[r.i]], (r) => STATUS_DECODED[r.company.invoices.status[r.i]], STATUS_NAMES],
  ['lastModifiedDateTime', 'datetime', (r) => iso(r.company.invoices.lastMod[r.i]), (r) => r.company.invoices.lastMod[r.i]],
]);
const STATUS_DECODED = STATUS_NAMES.map((s) => s.replace(/_x0020_/g, ' '));

export function invoiceNumber(st, i) {
  return st.postedNo[i] > 0 ? `PPI${100_000 + st.postedNo[i]}` : `PI${String(1000 + st.draftNo[i])}`;
}

export function invoiceEtag(st, i) { return etag(st.lastMod[i], mix32(i ^ st.seed[i])); }

const uomId = (r, code) => (code ? r.ds.ids.guid('uom', r.company.index, code.length * 31 + code.charCodeAt(0)) : EMPTY_GUID);
const lineDate = (r) => (r.line.type === 0 ? '0001-01-01' : dayToIso(r.company.invoices.invoiceDay[r.i]));

export const LINE = schema([
  ['id', 'guid', (r) => r.ds.ids.guid('line', r.company.index, r.i, r.line.sequence / 10000)],
  ['documentId', 'guid', (r) => r.ds.ids.guid('invoice', r.company.index, r.i)],
  ['sequence', 'int', (r) => r.line.sequence],
  ['itemId', 'guid', (r) => (r.line.type === 2 ? r.ds.ids.guid('item', r.company.index, hashCode(r.line.objNo)) : EMPTY_GUID)],
  ['accountId', 'guid', (r) => (r.line.type === 1 ? r.ds.ids.guid('account', r.company.index, Number(r.line.objNo) || 0) : EMPTY_GUID)],
  ['lineType', 'enum', (r) => LINE_TYPES[r.line.type], undefined, Object.values(LINE_TYPES)],
  ['lineObjectNumber', 'string', (r) => r.line.objNo],
  ['description', 'string', (r) => r.line.description],
  ['description2', 'string', (r) => r.line.description2],
  ['unitOfMeasureId', 'guid', (r) => uomId(r, r.line.uom)],
  ['unitOfMeasureCode', 'string', (r) => r.line.uom],
  ['unitCost', 'decimal', (r) => r.line.uc5 / 100_000],
  ['quantity', 'decimal', (r) => r.line.qty100 / 100],
  ['discountAmount', 'decimal', (r) => cents(r.line.lineDiscCents)],
  ['discountPercent', 'decimal', (r) => r.line.discPct],
  ['discountAppliedBeforeTax', 'bool', () => false],
  // The purchase invoice aggregator never fills these three (reference 3.2): always 0.
  ['amountExcludingTax', 'decimal', () => 0],
  ['taxCode', 'string', (r) => r.line.taxCode],
  ['taxPercent', 'decimal', (r) => r.line.taxPct],
  ['totalTaxAmount', 'decimal', () => 0],
  ['amountIncludingTax', 'decimal', () => 0],
  ['invoiceDiscountAllocation', 'decimal', (r) => cents(r.line.allocCents)],
  ['netAmount', 'decimal', (r) => cents(r.line.netCents)],
  ['netTaxAmount', 'decimal', (r) => cents(r.line.taxCents)],
  ['netAmountIncludingTax', 'decimal', (r) => cents(r.line.netCents + r.line.taxCents)],
  ['expectedReceiptDate', 'date', lineDate],
  ['itemVariantId', 'guid', () => EMPTY_GUID],
  ['locationId', 'guid', () => EMPTY_GUID],
]);

function hashCode(s) { let h = 7; for (let k = 0; k < s.length; k++) h = (Math.imul(h, 31) + s.charCodeAt(k)) >>> 0; return h & 0x7fffffff; }

export function lineRows(ds, company, i) {
  return pricedLines(ds, company, i).lines.map((line) => ({ ds, company, i, line }));
}

const cmVendor = (r) => r.company.vendors[r.memo.vendorIdx];
export const CREDIT_MEMO = schema([
  ['id', 'guid', (r) => r.memo.id],
  ['number', 'string', (r) => r.memo.number],
  ['creditMemoDate', 'date', (r) => r.memo.creditMemoDate],
  ['postingDate', 'date', (r) => r.memo.postingDate],
  ['dueDate', 'date', (r) => r.memo.dueDate],
  ['vendorId', 'guid', (r) => cmVendor(r).id],
  ['vendorNumber', 'string', (r) => cmVendor(r).number],
  ['vendorName', 'string', (r) => cmVendor(r).displayName],
  ['vendorCreditMemoNumber', 'string', (r) => r.memo.vendorCreditMemoNumber],
  ['payToVendorId', 'guid', (r) => cmVendor(r).id],
  ['payToVendorNumber', 'string', (r) => cmVendor(r).number],
  ['payToName', 'string', (r) => cmVendor(r).displayName],
  ['buyFromAddressLine1', 'string', (r) => cmVendor(r).addressLine1],
  ['buyFromAddressLine2', 'string', (r) => cmVendor(r).addressLine2],
  ['buyFromCity', 'string', (r) => cmVendor(r).city],
  ['buyFromCountry', 'string', (r) => cmVendor(r).country],
  ['buyFromState', 'string', (r) => cmVendor(r).state],
  ['buyFromPostCode', 'string', (r) => cmVendor(r).postalCode],
  ['payToAddressLine1', 'string', (r) => cmVendor(r).addressLine1],
  ['payToAddressLine2', 'string', (r) => cmVendor(r).addressLine2],
  ['payToCity', 'string', (r) => cmVendor(r).city],
  ['payToCountry', 'string', (r) => cmVendor(r).country],
  ['payToState', 'string', (r) => cmVendor(r).state],
  ['payToPostCode', 'string', (r) => cmVendor(r).postalCode],
  ['shortcutDimension1Code', 'string', () => ''],
  ['shortcutDimension2Code', 'string', () => ''],
  ['currencyId', 'guid', (r) => r.company.currencies[r.memo.cur].id],
  ['currencyCode', 'string', (r) => r.company.currencies[r.memo.cur].code],
  ['paymentTermsId', 'guid', () => EMPTY_GUID],
  ['shipmentMethodId', 'guid', () => EMPTY_GUID],
  ['purchaser', 'string', () => ''],
  ['pricesIncludeTax', 'bool', () => false],
  ['discountAmount', 'decimal', () => 0],
  ['discountAppliedBeforeTax', 'bool', () => true],
  ['totalAmountExcludingTax', 'decimal', (r) => cents(r.memo.excl)],
  ['totalTaxAmount', 'decimal', (r) => cents(r.memo.tax)],
  ['totalAmountIncludingTax', 'decimal', (r) => cents(r.memo.excl + r.memo.tax)],
  ['status', 'enum', (r) => r.memo.status, undefined, ['Draft', 'In_x0020_Review', 'Open', 'Canceled', 'Corrective', 'Paid']],
  ['lastModifiedDateTime', 'datetime', (r) => iso(r.memo.lastModMs), (r) => r.memo.lastModMs],
  ['invoiceId', 'guid', (r) => r.ds.ids.guid('invoice', r.company.index, r.memo.invoiceIndex)],
  ['invoiceNumber', 'string', (r) => invoiceNumber(r.company.invoices, r.memo.invoiceIndex)],
  ['vendorReturnReasonId', 'guid', () => EMPTY_GUID],
]);

export const VENDOR = schema([
  ['id', 'guid', (r) => r.vendor.id],
  ['number', 'string', (r) => r.vendor.number],
  ['displayName', 'string', (r) => r.vendor.displayName],
  ['addressLine1', 'string', (r) => r.vendor.addressLine1],
  ['addressLine2', 'string', (r) => r.vendor.addressLine2],
  ['city', 'string', (r) => r.vendor.city],
  ['state', 'string', (r) => r.vendor.state],
  ['country', 'string', (r) => r.vendor.country],
  ['postalCode', 'string', (r) => r.vendor.postalCode],
  ['phoneNumber', 'string', (r) => r.vendor.phoneNumber],
  ['email', 'string', (r) => r.vendor.email],
  ['website', 'string', (r) => r.vendor.website],
  ['taxRegistrationNumber', 'string', (r) => r.vendor.taxRegistrationNumber],
  ['currencyId', 'guid', (r) => r.company.currencies[r.vendor.currencyIdx].id],
  ['currencyCode', 'string', (r) => r.company.currencies[r.vendor.currencyIdx].code],
  ['irs1099Code', 'string', (r) => r.vendor.irs1099Code],
  ['paymentTermsId', 'guid', (r) => r.ds.ids.guid('misc', r.company.index, 100 + r.vendor.termsDays)],
  ['paymentMethodId', 'guid', (r) => r.ds.ids.guid('misc', r.company.index, 1)],
  ['taxLiable', 'bool', (r) => r.vendor.taxLiable],
  ['blocked', 'enum', (r) => r.vendor.blocked, undefined, ['_x0020_', 'Payment', 'All']],
  ['balance', 'decimal', (r) => cents(r.vendor.balanceCents)],
  ['lastModifiedDateTime', 'datetime', (r) => r.vendor.lastModifiedDateTime],
]);

export const GL_SETUP = schema([
  ...['id', 'allowPostingFrom', 'allowPostingTo', 'additionalReportingCurrency', 'localCurrencyCode', 'localCurrencySymbol', 'lastModifiedDateTime', 'allowQueryFromConsolidation',
    'shortcutDimension1Code', 'shortcutDimension2Code', 'shortcutDimension3Code', 'shortcutDimension4Code', 'shortcutDimension5Code', 'shortcutDimension6Code', 'shortcutDimension7Code', 'shortcutDimension8Code']
    .map((k) => [k, k === 'id' ? 'guid' : k.startsWith('allowPosting') ? 'date' : k === 'lastModifiedDateTime' ? 'datetime' : k === 'allowQueryFromConsolidation' ? 'bool' : 'string', (r) => r.company.glSetup[k]]),
]);

export const USER = schema([
  ['userSecurityId', 'guid', (r) => r.user.userSecurityId],
  ['userName', 'string', (r) => r.user.userName],
  ['displayName', 'string', (r) => r.user.displayName],
  ['state', 'enum', (r) => r.user.state, undefined, ['Enabled', 'Disabled']],
  ['expiryDate', 'datetime', (r) => r.user.expiryDate],
  ['contactEmail', 'string', (r) => r.user.contactEmail],
]);

export function buildObject(schemaMap, row, select, tag) {
  const o = {};
  if (tag !== undefined) o['@odata.etag'] = tag;
  if (select) { for (const name of select) o[name] = schemaMap.get(name).get(row); }
  else { for (const f of schemaMap.values()) o[f.name] = f.get(row); }
  return o;
}

export { DAY_MS };
