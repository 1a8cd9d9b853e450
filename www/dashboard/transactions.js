// The transactions table: search, filters, sorting, pages of rows, and a panel that explains
// each row's match. Built for 50,000 rows: rows come indexed from the worker (lower-cased search
// text, sort keys; rows.js), the sorted order is cached per column, a filter is one pass over it,
// only one page of rows is in the DOM, and the full transaction is fetched when it is explained.

import { $, announce, debounce, h, replace } from './dom.js';
import { count, money, month, percent, words } from './format.js';
import { renderExplanation } from './explain.js';
import { currencyName } from './overview.js';

const PAGE_SIZES = [50, 100, 250];

const COLUMNS = [
  { key: 'date', label: 'Date', sort: 'date' },
  { key: 'vendor', label: 'Vendor', sort: 'vendor' },
  { key: 'description', label: 'Description', sort: 'description' },
  { key: 'app', label: 'App', sort: 'app' },
  { key: 'decidedBy', label: 'Decided by', sort: 'decidedBy' },
  { key: 'confidence', label: 'Confidence', sort: 'confidence', num: true },
  { key: 'amount', label: 'Amount (excl. tax)', sort: 'amount', num: true },
  { key: 'explain', label: 'Explanation' },
];

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

// Text columns compare folded keys (rows.js) with plain comparisons; ties keep the default order
// (newest first) through `base`.
const TEXT_KEYS = { vendor: 'vendorKey', description: 'descriptionKey', app: 'appKey', decidedBy: 'decidedBy' };

function comparator(key) {
  if (key === 'amount' || key === 'confidence') return (a, b) => a[key] - b[key];
  if (key === 'date') return (a, b) => b.base - a.base;
  const k = TEXT_KEYS[key] ?? key;
  return (a, b) => (a[k] === b[k] ? 0 : a[k] < b[k] ? -1 : 1);
}

export function createTransactionsView(app) {
  const root = $('#panel-transactions');
  const form = $('#tx-filters');
  const table = $('#tx-table');
  const tbody = table.tBodies[0];
  const headRow = table.tHead.rows[0];
  const statusLine = $('#tx-status-line');
  const pager = $('#tx-pager');
  const panel = $('#explain');
  const scope = $('#tx-scope');
  const controls = {
    search: $('#tx-search'), status: $('#tx-status'), app: $('#tx-app'), category: $('#tx-category'),
    company: $('#tx-company'), currency: $('#tx-currency'), month: $('#tx-month'),
  };

  let rows = [];
  const sortedCache = new Map();
  let sort = { key: 'date', dir: -1 };
  let filtered = [];
  let page = 0;
  let pageSize = 100;
  let idScope = null; // { label, ids: Set } from an insight link
  let selectedId = null;
  let lastFilterMs = 0;
  let loadingNow = false;

  // ------------------------------------------------------------------ header
  for (const col of COLUMNS) {
    const th = h('th', { scope: 'col', class: col.num ? 'num' : null, dataset: { col: col.key } });
    if (col.sort) {
      th.setAttribute('aria-sort', 'none');
      th.append(h('button', { type: 'button', class: 'sort', onclick: () => setSort(col.sort) }, col.label, h('span', { class: 'arrow', 'aria-hidden': 'true' })));
    } else {
      th.append(col.label);
    }
    headRow.append(th);
  }

  function setSort(key) {
    sort = sort.key === key ? { key, dir: -sort.dir } : { key, dir: key === 'amount' || key === 'date' || key === 'confidence' ? -1 : 1 };
    page = 0;
    refresh();
    const col = COLUMNS.find((c) => c.sort === key);
    announce(`Sorted by ${col.label}, ${sort.dir > 0 ? 'ascending' : 'descending'}`);
  }

  function sortedRows() {
    const cacheKey = `${sort.key}|${sort.dir}`;
    let s = sortedCache.get(cacheKey);
    if (!s) {
      const cmp = comparator(sort.key);
      const dir = sort.dir;
      // ties fall back to date (newest first) then id, so the order is stable across reloads
      s = rows.slice().sort((a, b) => dir * cmp(a, b) || a.base - b.base);
      sortedCache.set(cacheKey, s);
    }
    return s;
  }

  // ------------------------------------------------------------------ filtering
  function currentFilter() {
    return {
      terms: controls.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean),
      status: controls.status.value,
      appId: controls.app.value,
      category: controls.category.value,
      company: controls.company.value,
      currency: controls.currency.value,
      month: controls.month.value,
    };
  }

  function applyFilter() {
    const f = currentFilter();
    const ids = idScope?.ids;
    const source = sortedRows();
    const out = [];
    const noApp = f.appId === '\u0000none';
    const noCat = f.category === '\u0000none';
    for (let k = 0; k < source.length; k++) {
      const r = source[k];
      if (ids && !ids.has(r.id)) continue;
      if (f.status && r.status !== f.status) continue;
      if (f.appId && (noApp ? r.appId !== '' : r.appId !== f.appId)) continue;
      if (f.category && (noCat ? r.category !== '' : r.category !== f.category)) continue;
      if (f.company && r.companyId !== f.company) continue;
      if (f.currency && r.currency !== f.currency) continue;
      if (f.month && r.month !== f.month) continue;
      if (f.terms.length) {
        let ok = true;
        for (const term of f.terms) if (!r.search.includes(term)) { ok = false; break; }
        if (!ok) continue;
      }
      out.push(r);
    }
    return out;
  }

  function refresh({ keepPage = false } = {}) {
    const t0 = performance.now();
    filtered = applyFilter();
    if (!keepPage) page = 0;
    page = Math.min(page, Math.max(0, Math.ceil(filtered.length / pageSize) - 1));
    renderPage();
    lastFilterMs = performance.now() - t0;
    root.dataset.filterMs = lastFilterMs.toFixed(1);
    app.emit('transactions-filtered', { count: filtered.length, ms: lastFilterMs });
  }

  const refreshSoon = debounce(() => refresh(), 120);

  // ------------------------------------------------------------------ rendering
  function totalsText() {
    const byCurrency = new Map();
    for (const r of filtered) byCurrency.set(r.currency, (byCurrency.get(r.currency) ?? 0) + r.amount);
    if (byCurrency.size === 0 || byCurrency.size > 4) return '';
    // a float sum for an on-screen hint only; the report's figures are the exact ones
    return ` · ${[...byCurrency].map(([c, v]) => `≈ ${money(v.toFixed(2), c)}${c ? '' : ' (currency unknown)'}`).join(', ')}`;
  }

  function renderPage() {
    for (const th of headRow.cells) {
      const col = COLUMNS.find((c) => c.key === th.dataset.col);
      if (!col?.sort) continue;
      const active = col.sort === sort.key;
      th.setAttribute('aria-sort', active ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
      th.querySelector('.arrow').textContent = active ? (sort.dir > 0 ? ' ▲' : ' ▼') : '';
    }
    const start = page * pageSize;
    const slice = filtered.slice(start, start + pageSize);
    const frag = document.createDocumentFragment();
    for (const r of slice) frag.append(renderRow(r));
    tbody.replaceChildren(frag);
    if (slice.length === 0) {
      tbody.append(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty-row' }, rows.length ? 'No transaction matches these filters.' : loadingNow ? 'Loading transactions…' : 'No transactions loaded.')));
    }
    statusLine.textContent = loadingNow ? 'Loading transactions…' : `${count(filtered.length)} of ${count(rows.length)} transactions${totalsText()}`;
    table.setAttribute('aria-rowcount', String(filtered.length + 1));
    renderPager();
  }

  function renderRow(r) {
    const tr = h('tr', { dataset: { id: r.id, status: r.status, appId: r.appId }, class: r.id === selectedId ? 'selected' : null });
    const appCell = r.appId
      ? h('td', {}, h('span', { class: 'app' }, r.app), r.via ? h('span', { class: 'muted small' }, ` via ${r.via}`) : null)
      : h('td', { class: 'muted' }, r.ignoredByRule ? `ignored (${r.ignoredByRule})` : 'not matched');
    tr.append(
      h('td', { class: 'nowrap' }, r.date),
      h('td', {}, r.vendor),
      h('td', { class: 'desc' }, r.description),
      appCell,
      h('td', {}, r.decidedBy ? words(r.decidedBy) : ''),
      h('td', { class: 'num' }, r.appId ? percent(r.confidence) : ''),
      h('td', { class: 'num nowrap', dataset: { value: r.amountText } }, money(r.amountText, r.currency)),
      h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `Explain ${r.vendor} ${r.date}`, 'aria-controls': 'explain', onclick: () => select(r.id) }, 'Why?')),
    );
    return tr;
  }

  function renderPager() {
    const pages = Math.max(1, Math.ceil(filtered.length / pageSize));
    const first = filtered.length ? page * pageSize + 1 : 0;
    const last = Math.min(filtered.length, (page + 1) * pageSize);
    const go = (p) => () => { page = p; renderPage(); tbody.rows[0]?.querySelector('button')?.focus(); };
    const sizeSelect = h('select', { id: 'tx-page-size', onchange: (e) => { pageSize = Number(e.target.value); page = 0; renderPage(); } },
      PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === pageSize }, String(n))));
    replace(pager,
      h('button', { type: 'button', onclick: go(0), disabled: page === 0, 'aria-label': 'First page' }, '«'),
      h('button', { type: 'button', onclick: go(page - 1), disabled: page === 0, 'aria-label': 'Previous page' }, '‹ Previous'),
      h('span', { class: 'muted', 'aria-live': 'polite' }, `Rows ${count(first)}–${count(last)} of ${count(filtered.length)} · page ${count(page + 1)} of ${count(pages)}`),
      h('button', { type: 'button', onclick: go(page + 1), disabled: page >= pages - 1, 'aria-label': 'Next page' }, 'Next ›'),
      h('button', { type: 'button', onclick: go(pages - 1), disabled: page >= pages - 1, 'aria-label': 'Last page' }, '»'),
      h('label', { class: 'page-size' }, 'Rows per page ', sizeSelect),
    );
  }

  // ------------------------------------------------------------------ explanation
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') panel.querySelector('.close')?.click();
  });

  async function select(id) {
    selectedId = id;
    for (const tr of tbody.rows) tr.classList.toggle('selected', tr.dataset.id === id);
    let t = null;
    try {
      t = await app.transaction(id);
    } catch {
      // the worker is gone (a new data set): nothing to explain
    }
    if (selectedId !== id) return; // another row was chosen meanwhile
    if (!t) {
      panel.hidden = true;
      return;
    }
    replace(panel, renderExplanation(t, {
      close: () => {
        panel.hidden = true;
        const btn = tbody.querySelector(`tr[data-id="${CSS.escape(id)}"] button`);
        selectedId = null;
        for (const tr of tbody.rows) tr.classList.remove('selected');
        btn?.focus();
      },
      makeRule: app.live ? (tx) => app.startRuleFrom(tx) : null,
    }));
    panel.hidden = false;
    panel.focus();
  }

  // ------------------------------------------------------------------ filter controls
  function fillSelect(select, options, keep = true) {
    const prev = select.value;
    const first = select.options[0];
    select.replaceChildren(first, ...options.map(([value, label]) => h('option', { value }, label)));
    if (keep && [...select.options].some((o) => o.value === prev)) select.value = prev;
  }

  function fillControls() {
    const apps = new Map(); const cats = new Set(); const companies = new Map(); const currencies = new Set(); const months = new Set();
    let unmatched = false;
    for (const r of rows) {
      if (r.appId) apps.set(r.appId, r.app); else unmatched = true;
      if (r.category) cats.add(r.category);
      if (r.companyId) companies.set(r.companyId, r.company);
      currencies.add(r.currency);
      if (r.month) months.add(r.month);
    }
    const byLabel = (a, b) => collator.compare(a[1], b[1]);
    fillSelect(controls.app, [...[...apps].sort(byLabel), ...(unmatched ? [['\u0000none', '(no app)']] : [])]);
    fillSelect(controls.category, [...[...cats].map((c) => [c, words(c)]).sort(byLabel), ...(unmatched ? [['\u0000none', '(no category)']] : [])]);
    fillSelect(controls.company, [...companies].sort(byLabel));
    fillSelect(controls.currency, [...currencies].sort().map((c) => [c, currencyName(app.report, c)]));
    fillSelect(controls.month, [...months].sort().reverse().map((m) => [m, month(m)]));
  }

  form.addEventListener('input', (e) => {
    if (e.target === controls.search) refreshSoon();
    else refresh();
  });
  form.addEventListener('change', (e) => { if (e.target !== controls.search) refresh(); });
  form.addEventListener('submit', (e) => { e.preventDefault(); refreshSoon.now(); });
  function clearControls() {
    for (const c of Object.values(controls)) c.value = '';
  }
  form.addEventListener('reset', (e) => {
    e.preventDefault();
    clearControls();
    idScope = null;
    renderScope();
    refresh();
    announce('Filters cleared');
  });

  function renderScope() {
    if (!idScope) {
      scope.hidden = true;
      scope.replaceChildren();
      return;
    }
    replace(scope,
      `Showing the ${count(idScope.ids.size)} transactions behind: `, h('strong', {}, idScope.label), ' ',
      h('button', { type: 'button', class: 'link', onclick: () => { idScope = null; renderScope(); refresh(); controls.search.focus(); } }, 'Show all transactions'));
    scope.hidden = false;
  }

  return {
    /** Replaces the rows (after a load or after rules were applied); keeps filters and sort. */
    setRows(list, { loading = false } = {}) {
      loadingNow = loading;
      rows = list ?? [];
      sortedCache.clear();
      fillControls();
      refresh({ keepPage: true });
      if (selectedId && !panel.hidden) {
        if (rows.some((r) => r.id === selectedId)) select(selectedId);
        else panel.hidden = true;
      }
    },
    /** Sets filters from elsewhere (an insight's link, a chart bar). Unknown keys are ignored. */
    show({ ids = null, label = '', ...filters } = {}) {
      clearControls();
      for (const [k, v] of Object.entries(filters)) if (controls[k]) controls[k].value = v;
      idScope = ids ? { ids: new Set(ids), label } : null;
      renderScope();
      refresh();
    },
    select,
    get rows() { return rows; },
    get filtered() { return filtered; },
    get lastFilterMs() { return lastFilterMs; },
  };
}
