// Why a transaction is attributed the way it is: the deciding field or rule, the evidence (with
// the matched text marked in the field), the confidence, the runner-up; or why no app was taken.

import { h } from './dom.js';
import { money, percent, words } from './format.js';

const DECIDED_BY = {
  rule: 'one of your rules',
  vendorName: "the vendor's name",
  vendorDomain: "the vendor's web or e-mail domain",
  description: 'the line description',
  vendorDefault: "the vendor's main app (the vendor sells several apps and no line named one)",
  lines: 'its lines, which name the same app',
};

const FIELD = {
  vendor: 'Vendor name', website: 'Vendor website', email: 'Vendor e-mail', description: 'Description',
  description2: 'Description 2', account: 'G/L account',
};

const KIND = {
  vendorEntity: 'billing entity', name: 'app name', keyword: 'keyword', product: 'product name', domain: 'domain', rule: 'rule condition',
};

/** The field's text with the evidence marked, when the offsets point at it. */
function marked(fieldText, ev) {
  if (typeof fieldText === 'string' && ev.start >= 0 && ev.end <= fieldText.length && fieldText.slice(ev.start, ev.end) === ev.text) {
    return [fieldText.slice(0, ev.start), h('mark', {}, ev.text), fieldText.slice(ev.end)];
  }
  return [h('mark', {}, ev.text)];
}

function fieldTextOf(t, field) {
  if (field === 'vendor') return t.vendorName;
  if (field === 'description') return t.description;
  return null;
}

function evidenceList(t, evidence) {
  if (!evidence?.length) return null;
  return h('ul', { class: 'evidence' }, evidence.map((ev) => h('li', {},
    h('span', { class: 'field' }, `${FIELD[ev.field] ?? words(ev.field)}: `),
    h('q', {}, marked(fieldTextOf(t, ev.field), ev)),
    h('span', { class: 'muted' }, ` (${KIND[ev.kind] ?? words(ev.kind)}${ev.alias ? `, alias “${ev.alias}”` : ''})`),
  )));
}

function confidence(value) {
  return h('span', { class: 'confidence' },
    h('meter', { min: '0', max: '1', low: '0.5', high: '0.8', optimum: '1', value: String(value ?? 0), 'aria-label': 'Confidence' }),
    ` ${percent(value)}`);
}

function verdict(t) {
  const m = t.match;
  if (m) {
    return h('section', { class: 'verdict matched', 'aria-label': 'Match' },
      h('p', {}, 'Matched to ', h('strong', {}, m.appName), m.category ? ` (${words(m.category)})` : '', ' by ',
        m.decidedBy === 'rule' && m.ruleId ? ['your rule ', h('code', {}, m.ruleId)] : DECIDED_BY[m.decidedBy] ?? words(m.decidedBy), '.'),
      h('dl', { class: 'kv' },
        h('dt', {}, 'Decided by'), h('dd', { dataset: { field: 'decidedBy' } }, m.decidedBy),
        h('dt', {}, 'Confidence'), h('dd', {}, confidence(m.confidence)),
        h('dt', {}, 'Runner-up'), h('dd', { dataset: { field: 'runnerUp' } }, m.runnerUp ? `${m.runnerUp.appName} (${percent(m.runnerUp.confidence)})` : 'none: no other app came close'),
        m.via ? [h('dt', {}, 'Billed through'), h('dd', {}, `${m.via.name} (${words(m.via.kind)})`)] : null,
      ),
      m.evidence?.length ? [h('h4', {}, 'Evidence'), evidenceList(t, m.evidence)] : null,
    );
  }
  if (t.ignoredByRule) {
    return h('section', { class: 'verdict ignored', 'aria-label': 'Ignored' },
      h('p', {}, 'Ignored by your rule ', h('code', {}, t.ignoredByRule), ': not counted as SaaS spend.'));
  }
  const rj = t.matchRejected;
  return h('section', { class: 'verdict unmatched', 'aria-label': 'Not matched' },
    h('p', {}, 'Not matched to an app. ', rj?.reason ? h('span', { dataset: { field: 'reason' } }, rj.reason) : 'Nothing in the catalog names this vendor or its lines.'),
    rj?.appName ? h('p', {}, 'Closest app: ', h('strong', {}, rj.appName), ` at ${percent(rj.confidence)}, below what a match needs.`) : null,
    rj?.candidates?.length ? [h('h4', {}, 'Candidates'), h('ul', {}, rj.candidates.map((c) => h('li', {}, `${c.appName} (${percent(c.confidence)})`)))] : null,
  );
}

function lineTable(t) {
  const lines = t.lines ?? [];
  if (lines.length < 2) return null;
  return h('details', { class: 'lines' },
    h('summary', {}, `${lines.length} invoice lines`),
    h('table', { class: 'data compact' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col', class: 'num' }, 'Amount'), h('th', { scope: 'col' }, 'App'))),
      h('tbody', {}, lines.map((l) => h('tr', {},
        h('td', {}, l.description || '—', l.description2 ? h('span', { class: 'muted' }, ` ${l.description2}`) : null),
        h('td', {}, words(l.lineType)),
        h('td', { class: 'num nowrap' }, money(l.amountExcludingTax, t.currency)),
        h('td', {}, l.match ? `${l.match.appName} (${words(l.match.decidedBy)})` : '—'),
      )))));
}

/** The explanation panel's content for one transaction. */
export function renderExplanation(t, { close, makeRule }) {
  return h('div', { class: 'explain-body', dataset: { id: t.id } },
    h('div', { class: 'explain-head' },
      h('h3', { id: 'explain-title' }, t.vendorName || '(no vendor name)'),
      h('button', { type: 'button', class: 'close', onclick: close, 'aria-label': 'Close explanation' }, '×')),
    h('p', { class: 'desc' }, t.description || '(no description)'),
    h('dl', { class: 'kv' },
      h('dt', {}, 'Amount'), h('dd', {}, money(t.amountExcludingTax, t.currency), ' excl. tax · ', money(t.amountIncludingTax, t.currency), ' incl.'),
      h('dt', {}, 'Date'), h('dd', {}, t.date, t.invoiceDate && t.invoiceDate !== t.date ? ` (invoice dated ${t.invoiceDate})` : ''),
      h('dt', {}, 'Invoice'), h('dd', {}, [t.invoiceNumber, t.vendorInvoiceNumber && `vendor's ${t.vendorInvoiceNumber}`].filter(Boolean).join(' · ') || '—', t.kind === 'creditMemo' ? ' (credit memo)' : ''),
      h('dt', {}, 'Company'), h('dd', {}, t.companyName ?? t.companyId),
      t.glAccountNumber ? [h('dt', {}, 'G/L account'), h('dd', {}, t.glAccountNumber)] : null,
    ),
    verdict(t),
    lineTable(t),
    h('p', { class: 'muted small' }, 'Transaction id ', h('code', {}, t.id)),
    makeRule ? h('button', { type: 'button', onclick: () => makeRule(t) }, 'Write a rule for this vendor…') : null,
  );
}
