// The dashboard's entry: reads the small files (report, users, run), renders the overview, then
// has the store worker load the transactions and bring up the live engine, so rules can be
// previewed and applied. Nothing large is parsed on the page's thread.

import { $, $$, announce, h, replace } from './dom.js';
import { count } from './format.js';
import { emptyDataSet, loadFromFiles, loadFromServer, rulesOf } from './load.js';
import { createStore } from './store.js';
import { chartsReady } from './charts.js';
import { createOverview, currencyChoices, defaultChoice } from './overview.js';
import { createInsights } from './insights.js';
import { createTransactionsView } from './transactions.js';
import { createUsersView } from './users.js';
import { createRulesEditor } from './rules.js';

const TABS = ['overview', 'insights', 'transactions', 'users', 'rules'];

const listeners = new Map();
const app = {
  data: emptyDataSet('none'),
  report: null,
  /** Table rows (rows.js), one per transaction; the full transactions live in the worker. */
  rows: [],
  users: [],
  store: null,
  /** Whether a live engine is up (rules can be previewed and applied). */
  live: false,
  liveError: null,
  loadingTransactions: false,
  choice: null,
  catalogApps: null,
  timings: {},
  on(event, fn) {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(fn);
    return () => listeners.get(event).delete(fn);
  },
  emit(event, detail) {
    for (const fn of listeners.get(event) ?? []) fn(detail);
  },
  /** The full transaction behind a row (from the worker). */
  transaction(id) {
    return app.store ? app.store.call('get', { id }).then((r) => r.transaction) : Promise.resolve(null);
  },
  selectTab,
  showTransactions(filter) {
    selectTab('transactions');
    views.transactions.show(filter);
    $('#tx-search').focus();
  },
  showInsight(id) {
    selectTab('insights');
    views.insights.show(id);
  },
  showUsers(filter) {
    selectTab('users');
    views.users.show(filter);
  },
  startRuleFrom(t) {
    selectTab('rules');
    views.rules.startFrom(t);
  },
  /** After rules were applied: the engine's rows and report replace the shown ones. */
  applied({ rows, report, reportError }) {
    app.rows = rows;
    if (report) app.report = report;
    else {
      const why = reportError ?? 'This build of the engine cannot recompute the report (engine.report is missing): figures and charts show the last run.';
      if (!app.data.problems.includes(why)) app.data.problems.push(why);
    }
    renderCurrencyPicker();
    views.overview.render(app.report, app.choice);
    views.insights.render(app.report);
    views.transactions.setRows(app.rows);
    renderSource();
    renderProblems();
    app.emit('refreshed', {});
  },
};

const views = {
  overview: createOverview(app),
  insights: createInsights(app),
  transactions: createTransactionsView(app),
  users: createUsersView(app),
  rules: createRulesEditor(app),
};
app.views = views;
// for the tests and the benchmark (read-only use)
globalThis.bcSpendDashboard = app;

// ------------------------------------------------------------------ tabs
function selectTab(name, { focus = false } = {}) {
  if (!TABS.includes(name)) name = 'overview';
  for (const t of TABS) {
    const tab = $(`#tab-${t}`);
    const on = t === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#panel-${t}`).hidden = !on;
  }
  if (focus) $(`#tab-${name}`).focus();
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  document.body.dataset.tab = name;
}

for (const tab of $$('[role="tab"]')) {
  tab.addEventListener('click', () => selectTab(tab.dataset.tab));
  tab.addEventListener('keydown', (e) => {
    const i = TABS.indexOf(tab.dataset.tab);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    selectTab(TABS[(to + TABS.length) % TABS.length], { focus: true });
  });
}
window.addEventListener('hashchange', () => selectTab(location.hash.slice(1)));

// ------------------------------------------------------------------ rendering
function renderCurrencyPicker() {
  const choices = currencyChoices(app.report);
  const select = $('#currency');
  const prev = app.choice?.key;
  select.replaceChildren(...choices.map((c) => h('option', { value: c.key }, c.label)));
  app.choice = choices.find((c) => c.key === prev) ?? defaultChoice(app.report, choices);
  if (app.choice) select.value = app.choice.key;
  $('#currency-control').hidden = choices.length < 2;
  select.onchange = () => {
    app.choice = choices.find((c) => c.key === select.value);
    views.overview.render(app.report, app.choice);
  };
}

function renderSource() {
  const d = app.data;
  const r = app.report;
  const parts = [];
  if (r) parts.push(`As of ${r.asOf}`, `window from ${r.windowStart}`, `${r.lineMode} mode`);
  else if (d.summary) parts.push(`window from ${d.summary.windowStart}`, `${d.summary.lineMode} mode`);
  const n = app.rows.length || (app.loadingTransactions ? r?.counts?.transactions ?? d.summary?.transactions ?? 0 : 0);
  parts.push(`${count(n)} transactions`);
  parts.push(d.origin === 'server' ? 'from the last run' : d.origin === 'files' ? `from ${d.names.length} dropped file${d.names.length === 1 ? '' : 's'}` : '');
  parts.push(app.live ? 'live engine' : app.liveError ? 'read-only' : d.origin === 'none' ? '' : 'starting the engine…');
  $('#source').textContent = parts.filter(Boolean).join(' · ') || 'No data loaded';
}

function renderProblems() {
  const box = $('#problems');
  const d = app.data;
  const problems = [...d.problems];
  if (d.origin !== 'none' && !app.report) problems.push('No report.json: figures, charts and insights need it (or state.bcs and run.json, which rebuild the engine that computes it).');
  if (d.origin !== 'none' && !app.rows.length && !app.loadingTransactions && !app.live) problems.push('No transactions.json: the transactions table is empty.');
  box.hidden = problems.length === 0;
  replace(box, problems.length ? h('ul', {}, problems.map((p) => h('li', {}, p))) : []);
}

function renderAll() {
  renderCurrencyPicker();
  views.overview.render(app.report, app.choice);
  views.insights.render(app.report);
  views.transactions.setRows(app.rows, { loading: app.loadingTransactions });
  views.users.setData({ users: app.users, report: app.report, summary: app.data.summary, rows: app.rows });
  renderSource();
  renderProblems();
}

// ------------------------------------------------------------------ loading
let generation = 0;

async function useData(data) {
  const gen = ++generation;
  const t0 = performance.now();
  app.store?.terminate();
  app.store = data.origin === 'none' ? null : createStore();
  const store = app.store;
  app.live = false;
  app.liveError = null;
  delete document.body.dataset.engine;
  delete document.body.dataset.table;
  app.data = data;
  app.report = data.report;
  app.rows = [];
  app.users = Array.isArray(data.users) ? data.users : [];
  const source = data.transactionsUrl ? { op: 'loadUrl', args: { url: data.transactionsUrl } } : data.transactionsFile ? { op: 'loadFile', args: { file: data.transactionsFile } } : null;
  app.loadingTransactions = Boolean(source);
  // the worker parses the transactions while the page draws the overview
  const loading = source ? store.call(source.op, source.args) : null;
  $('#empty').hidden = data.origin !== 'none';
  await chartsReady();
  if (gen !== generation) return;
  renderAll();
  app.timings.firstRenderMs = performance.now() - t0;
  app.timings.renderedAt = performance.now();
  views.rules.setData({ rules: rulesOf(data) }); // a hidden tab: after the first render
  document.body.dataset.ready = 'true';
  app.emit('rendered', { ms: app.timings.firstRenderMs });

  if (loading) {
    try {
      app.rows = (await loading).rows;
    } catch (e) {
      if (gen !== generation) return;
      data.problems.push(`transactions: ${e.message}`);
    }
    if (gen !== generation) return;
    app.loadingTransactions = false;
    views.transactions.setRows(app.rows);
    views.users.setData({ users: app.users, report: app.report, summary: data.summary, rows: app.rows });
    views.rules.engineChanged();
    renderSource();
    renderProblems();
  }
  app.timings.tableReadyAt = performance.now();
  document.body.dataset.table = 'ready';
  app.emit('table', {});

  if (!store) {
    document.body.dataset.engine = 'none';
    return;
  }
  let live;
  try {
    live = await store.call('engine', {
      run: data.run, report: data.report, rules: data.rules,
      stateUrl: data.stateUrl, stateFile: data.stateFile, pageFiles: data.pageFiles,
      needTransactions: !source,
    });
  } catch (e) {
    live = { error: e.message };
  }
  if (gen !== generation) return;
  if (live.error) {
    app.liveError = live.error;
    document.body.dataset.engine = 'read-only';
  } else {
    app.live = true;
    app.catalogApps = live.catalogApps;
    if (live.rows) app.rows = live.rows;
    if (live.users) app.users = live.users;
    if (live.report) app.report = live.report;
    else if (live.reportError && !data.problems.includes(live.reportError)) data.problems.push(live.reportError);
    if (live.rows || live.report) renderAll();
    document.body.dataset.engine = 'live';
  }
  app.timings.engineAt = performance.now();
  views.rules.engineChanged();
  renderSource();
  renderProblems();
  app.emit('engine', { live: Boolean(app.live), error: app.liveError });
}

async function loadFiles(files) {
  if (!files?.length) return;
  const data = await loadFromFiles(files);
  if (!data.names.length) {
    app.data.problems = data.problems;
    renderProblems();
    return;
  }
  announce(`Loaded ${data.names.length} files`);
  await useData(data);
}

// drop anywhere on the page; the file input does the same for keyboard users
let dragDepth = 0;
const overlay = $('#drop-overlay');
window.addEventListener('dragenter', (e) => { if (e.dataTransfer?.types?.includes('Files')) { dragDepth += 1; overlay.hidden = false; } });
window.addEventListener('dragleave', () => { dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) overlay.hidden = true; });
window.addEventListener('dragover', (e) => { if (e.dataTransfer?.types?.includes('Files')) e.preventDefault(); });
window.addEventListener('drop', (e) => {
  if (!e.dataTransfer?.files?.length) return;
  e.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  loadFiles(e.dataTransfer.files);
});
$('#file-input').addEventListener('change', (e) => { loadFiles(e.target.files); e.target.value = ''; });

performance.mark('bcspend:start');
selectTab(location.hash.slice(1) || 'overview');
const fromServer = await loadFromServer();
performance.mark('bcspend:loaded');
await useData(fromServer ?? emptyDataSet('none'));
