// Table rows: the few fields of a transaction the table shows, filters and sorts on, built in the
// store worker (rows are small to send; the full transactions stay in the worker). DOM-free.

export function statusOf(t) {
  if (t.match) return 'matched';
  if (t.ignoredByRule) return 'ignored';
  return 'unmatched';
}

// Text columns sort on a folded key with plain comparisons (a collator call per comparison is too
// slow for 50,000 rows).
const fold = (s) => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

export function rowOf(t) {
  const m = t.match;
  const app = m?.appName ?? '';
  const vendor = t.vendorName ?? '';
  const description = t.description ?? '';
  return {
    id: t.id,
    date: t.date ?? '',
    month: (t.date ?? '').slice(0, 7),
    vendor,
    description,
    app,
    appId: m?.appId ?? '',
    category: m?.category ?? '',
    via: m?.via?.name ?? '',
    runnerUpId: m?.runnerUp?.appId ?? '',
    runnerUpName: m?.runnerUp?.appName ?? '',
    ignoredByRule: t.ignoredByRule ?? '',
    company: t.companyName ?? t.companyId ?? '',
    companyId: t.companyId ?? '',
    currency: t.currency ?? '',
    amountText: t.amountExcludingTax ?? '',
    status: statusOf(t),
    decidedBy: m?.decidedBy ?? (t.ignoredByRule ? 'rule' : ''),
    ruleId: m?.ruleId ?? t.ignoredByRule ?? '',
    confidence: m?.confidence ?? -1,
    amount: Number.parseFloat(t.amountExcludingTax) || 0,
    vendorKey: fold(vendor),
    descriptionKey: fold(description),
    appKey: app ? fold(app) : '\uffff',
    search: [vendor, description, app, m?.appId, t.invoiceNumber, t.vendorInvoiceNumber, t.vendorNumber, t.id, t.companyName,
      ...(t.lines ?? []).map((l) => l.description)].filter(Boolean).join('\u0001').toLowerCase(),
    base: 0,
  };
}

/** Rows in the default order (date, newest first, then id), numbered: the tie-breaker of every sort. */
export function rowsOf(transactions) {
  const rows = transactions.map(rowOf);
  rows.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  rows.forEach((r, i) => { r.base = i; });
  return rows;
}
