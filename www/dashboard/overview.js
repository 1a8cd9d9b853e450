// The overview: headline figures, spend by app, by month (stacked by app or category), by
// category, upcoming renewals and the top unmatched vendors. Everything is read from the report
// (src/report/REPORT.md) in one currency at a time: amounts in different currencies are never
// added, so the currency picker chooses which figures are shown.

import { $, h, replace } from './dom.js';
import { count, money, month, plural, toNumber, words } from './format.js';
import { OTHER_COLOR, UNMATCHED_COLOR, barChart, colorFor, dataTable } from './charts.js';

const TOP_APPS_CHART = 15;
const STACK_SERIES = 8;

/** A currency as printed: a blank code (unknown local currency) gets the core's label. */
export function currencyName(report, code) {
  return code || report?.currencyMissing?.label || 'no currency';
}

/**
 * The currencies the report can be shown in: the reporting currency first, then the originals.
 * `name` is the currency as headers print it, never empty.
 */
export function currencyChoices(report) {
  const out = [];
  if (report?.reportingCurrency) out.push({ key: `reporting:${report.reportingCurrency}`, currency: report.reportingCurrency, name: report.reportingCurrency, reporting: true, label: `${report.reportingCurrency} (all converted)` });
  for (const t of report?.totals ?? []) out.push({ key: t.currency, currency: t.currency, name: currencyName(report, t.currency), reporting: false, label: `${currencyName(report, t.currency)} only` });
  return out;
}

export function defaultChoice(report, choices) {
  const rc = report?.rankingCurrency;
  return choices.find((c) => rc && c.currency === rc.currency && c.reporting === Boolean(rc.reporting)) ?? choices[0] ?? null;
}

/** An entity's excluding-tax spend in the chosen currency (a decimal string), or null. */
export function spendOf(entity, choice) {
  if (!entity || !choice) return null;
  if (choice.reporting) return entity.reporting?.amountExcludingTax ?? null;
  return entity.spend?.find((m) => m.currency === choice.currency)?.amountExcludingTax ?? null;
}

function totalsOf(report, choice) {
  if (choice.reporting) return report.reportingTotal ?? null;
  return report.totals?.find((t) => t.currency === choice.currency) ?? null;
}

/**
 * The note under the total spend: what the total leaves out, the remedy for a blank local
 * currency (the core's text, as `bc-spend report` prints it), else the total including tax.
 */
export function totalNote(report, choice) {
  const tot = totalsOf(report, choice);
  if (choice.reporting && tot && tot.complete === false) return `${count(tot.missingRateTransactions)} transactions without an exchange rate are left out`;
  if (!choice.reporting && !choice.currency && report.currencyMissing) return report.currencyMissing.remedy;
  return `${money(tot?.amountIncludingTax, choice.currency)} incl. tax`;
}

/** Insights about an app's seats or price per seat, the most severe first (the core's order). */
const SEAT_KINDS = new Set(['seatsIncrease', 'seatsDecrease', 'priceIncrease', 'priceDecrease', 'channelPriceGap']);
function seatInsightsByApp(report) {
  const out = new Map();
  for (const i of report.insights ?? []) {
    if (SEAT_KINDS.has(i.kind) && i.appId && !out.has(i.appId)) out.set(i.appId, i);
  }
  return out;
}

export function createOverview(app) {
  const figures = $('#figures');
  const canvases = { apps: $('#chart-apps'), months: $('#chart-months'), categories: $('#chart-categories') };
  const tables = { apps: $('#data-apps'), months: $('#data-months'), categories: $('#data-categories') };
  const unmatchedBox = $('#unmatched-vendors');
  const renewalsBox = $('#renewals');
  let stackBy = 'app';
  let showUnmatched = true;
  let last = null;
  $('#show-unmatched').addEventListener('change', (e) => {
    showUnmatched = e.target.checked;
    if (last) renderMonths(last.report, last.choice);
  });

  for (const radio of document.querySelectorAll('input[name="stack-by"]')) {
    radio.addEventListener('change', () => {
      stackBy = radio.value;
      if (last) renderMonths(last.report, last.choice);
    });
  }

  function figure(label, value, key, { note = '', raw = value, onclick = null } = {}) {
    const valueNode = onclick ? h('button', { type: 'button', class: 'link', onclick }, value) : value;
    return h('div', { class: 'figure' },
      h('dt', {}, label),
      h('dd', { dataset: { figure: key, value: raw === null || raw === undefined ? '' : String(raw) } }, valueNode),
      note ? h('dd', { class: 'note' }, note) : null);
  }

  function renderFigures(report, choice) {
    const tot = totalsOf(report, choice);
    const c = report.counts ?? {};
    const cur = choice.currency;
    const shadow = (report.unmatched ?? []).filter((u) => u.possibleShadowSaas).length;
    // Every annual subscription is listed; the figure counts those due in the window.
    const renewals = (report.renewals ?? []).filter((r) => r.inWindow !== false);
    const high = (report.insights ?? []).filter((i) => i.severity === 'high').length;
    replace(figures,
      figure('Total spend (excl. tax)', money(tot?.amountExcludingTax, cur), 'totalExcludingTax', {
        raw: tot?.amountExcludingTax, note: totalNote(report, choice),
      }),
      figure('SaaS spend (matched)', money(tot?.matchedExcludingTax, cur), 'matchedExcludingTax', {
        raw: tot?.matchedExcludingTax, onclick: () => app.showTransactions({ status: 'matched', currency: choice.reporting ? '' : cur }),
      }),
      figure('Unmatched spend', money(tot?.unmatchedExcludingTax, cur), 'unmatchedExcludingTax', {
        raw: tot?.unmatchedExcludingTax, onclick: () => app.showTransactions({ status: 'unmatched', currency: choice.reporting ? '' : cur }),
      }),
      figure('Apps', count(c.apps), 'apps', { raw: c.apps }),
      figure('Transactions', count(c.included), 'included', { raw: c.included, note: c.transactions !== c.included ? `of ${count(c.transactions)} (${count(c.ignoredByRule)} ignored by rules, ${count(c.afterAsOf)} after ${report.asOf})` : `${count(c.matched)} matched` }),
      figure('Unmatched vendors', count(c.unmatchedVendors), 'unmatchedVendors', { raw: c.unmatchedVendors, note: shadow ? `${plural(shadow, 'possible shadow SaaS', 'possible shadow SaaS')}` : '' }),
      figure('Renewals in the window', count(renewals.length), 'renewals', { raw: renewals.length, note: renewals[0] ? `next: ${renewals[0].appName} on ${renewals[0].dueDate}` : '' }),
      figure('Insights', count(report.insights?.length ?? 0), 'insights', { raw: report.insights?.length ?? 0, note: high ? `${count(high)} high severity` : '', onclick: () => app.selectTab('insights') }),
    );
  }

  function renderApps(report, choice) {
    const apps = (report.apps ?? []).map((a) => ({ a, v: spendOf(a, choice) })).filter((x) => x.v !== null);
    apps.sort((x, y) => toNumber(y.v) - toNumber(x.v));
    const shown = apps.slice(0, TOP_APPS_CHART);
    const rest = apps.length - shown.length;
    barChart(canvases.apps, {
      labels: shown.map((x) => x.a.appName),
      datasets: [{ label: 'Spend', data: shown.map((x) => toNumber(x.v)), color: PALETTE_APP }],
      currency: choice.currency,
      horizontal: true,
      description: `Spend by app in ${choice.name}, top ${shown.length}: ${shown.slice(0, 5).map((x) => `${x.a.appName} ${money(x.v, choice.currency)}`).join(', ')}${shown.length > 5 ? ', …' : ''}`,
      onPick: (i) => app.showTransactions({ appId: shown[i].a.appId }),
    });
    fitHeight(canvases.apps, shown.length);
    const seatInsights = seatInsightsByApp(report);
    dataTable(tables.apps, {
      caption: 'Spend by app', currency: choice.currency, columns: ['App', `Spend (${choice.name}, excl. tax)`, 'Seats', 'Per seat / month'],
      rows: apps.map((x) => [appLink(x.a), x.v, ...seatCells(report, x.a, seatInsights.get(x.a.appId))]),
      after: rest > 0 ? h('p', { class: 'muted small' }, `The chart shows the top ${shown.length} of ${apps.length} apps; the table lists all.`) : null,
    });
  }

  /**
   * The seats and price per seat per month of an app's main subscription, as the core gives them
   * (the price in its own currency), each linked to the app's seat or price insight when it has one.
   */
  function seatCells(report, a, insight) {
    const link = (text) => (insight
      ? h('button', { type: 'button', class: 'link', title: insight.title, dataset: { insight: insight.id }, onclick: () => app.showInsight(insight.id) }, text)
      : h('span', {}, text));
    const p = a.pricePerSeatMonthly;
    return [
      a.seats == null ? h('span', { class: 'muted' }, '–') : link(count(a.seats)),
      p ? link(money(p.amount, currencyName(report, p.currency))) : h('span', { class: 'muted' }, '–'),
    ];
  }

  function appLink(a) {
    return h('button', { type: 'button', class: 'link', onclick: () => app.showTransactions({ appId: a.appId }) }, a.appName);
  }

  function renderMonths(report, choice) {
    const rows = (report.months ?? []).filter((m) => m.currency === choice.currency && Boolean(m.reporting) === choice.reporting);
    const field = stackBy === 'app' ? 'apps' : 'categories';
    const totals = new Map();
    for (const r of rows) for (const [k, v] of Object.entries(r[field] ?? {})) totals.set(k, (totals.get(k) ?? 0) + toNumber(v));
    const keys = [...totals].sort((a, b) => b[1] - a[1]).map(([k]) => k);
    const top = keys.slice(0, STACK_SERIES);
    const others = keys.slice(STACK_SERIES);
    const names = new Map((report.apps ?? []).map((a) => [a.appId, a.appName]));
    const label = (k) => (stackBy === 'app' ? names.get(k) ?? k : words(k));
    const datasets = top.map((k, i) => ({ label: label(k), color: colorFor(i), data: rows.map((r) => toNumber(r[field]?.[k])) }));
    if (others.length) {
      datasets.push({ label: `Other ${stackBy === 'app' ? 'apps' : 'categories'} (${others.length})`, color: OTHER_COLOR, data: rows.map((r) => others.reduce((s, k) => s + toNumber(r[field]?.[k]), 0)) });
    }
    if (showUnmatched) datasets.push({ label: 'Unmatched', color: UNMATCHED_COLOR, data: rows.map((r) => toNumber(r.unmatchedExcludingTax)) });
    barChart(canvases.months, {
      labels: rows.map((r) => month(r.month)),
      datasets,
      currency: choice.currency,
      stacked: true,
      legend: true,
      description: `Monthly spend in ${choice.name}, stacked by ${stackBy}, ${rows.length} months${rows.length ? ` from ${month(rows[0].month)} to ${month(rows.at(-1).month)}` : ''}`,
      onPick: (i) => app.showTransactions({ month: rows[i].month, currency: choice.reporting ? '' : choice.currency }),
    });
    dataTable(tables.months, {
      caption: 'Spend by month', currency: choice.currency,
      columns: ['Month', 'Total', 'Matched', 'Unmatched'],
      rows: rows.map((r) => [month(r.month), r.amountExcludingTax, r.matchedExcludingTax, r.unmatchedExcludingTax]),
    });
  }

  function renderCategories(report, choice) {
    const cats = (report.categories ?? []).map((c) => ({ c, v: spendOf(c, choice) })).filter((x) => x.v !== null);
    cats.sort((x, y) => toNumber(y.v) - toNumber(x.v));
    barChart(canvases.categories, {
      labels: cats.map((x) => words(x.c.category)),
      datasets: [{ label: 'Spend', data: cats.map((x) => toNumber(x.v)), color: cats.map((_, i) => colorFor(i)) }],
      currency: choice.currency,
      horizontal: true,
      description: `Spend by category in ${choice.name}: ${cats.slice(0, 5).map((x) => `${words(x.c.category)} ${money(x.v, choice.currency)}`).join(', ')}`,
      onPick: (i) => app.showTransactions({ category: cats[i].c.category }),
    });
    fitHeight(canvases.categories, cats.length);
    dataTable(tables.categories, {
      caption: 'Spend by category', currency: choice.currency, columns: ['Category', `Spend (${choice.name}, excl. tax)`, 'Apps'],
      rows: cats.map((x) => [words(x.c.category), x.v, document.createTextNode(count(x.c.appIds?.length ?? 0))]),
    });
  }

  function renderUnmatched(report, choice) {
    const list = (report.unmatched ?? []).slice(0, 10);
    if (!list.length) {
      replace(unmatchedBox, h('p', { class: 'muted' }, 'Every included transaction is matched to an app.'));
      return;
    }
    replace(unmatchedBox, h('table', { class: 'data compact' },
      h('caption', { class: 'visually-hidden' }, 'Top unmatched vendors'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Vendor'), h('th', { scope: 'col', class: 'num' }, 'Spend'), h('th', { scope: 'col' }, 'Pattern'))),
      h('tbody', {}, list.map((u) => {
        const v = spendOf(u, choice);
        const fallback = u.spend?.[0];
        return h('tr', {},
          h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => app.showTransactions({ ids: u.transactionIds, label: `unmatched vendor ${u.vendorName}` }) }, u.vendorName)),
          h('td', { class: 'num nowrap' }, v !== null ? money(v, choice.currency) : fallback ? money(fallback.amountExcludingTax, fallback.currency) : '–'),
          h('td', {}, u.possibleShadowSaas ? h('span', { class: 'badge warn', title: (u.signals ?? []).join('; ') }, 'possible shadow SaaS') : '', ` ${words(u.cadence ?? '')}`),
        );
      }))));
  }

  function renderRenewals(report) {
    const list = (report.renewals ?? []).filter((r) => r.inWindow !== false);
    if (!list.length) {
      replace(renewalsBox, h('p', { class: 'muted' }, `No quarterly or annual renewal is expected in the window after ${report.asOf}.`));
      return;
    }
    replace(renewalsBox, h('table', { class: 'data compact' },
      h('caption', { class: 'visually-hidden' }, 'Upcoming renewals'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'App'), h('th', { scope: 'col' }, 'Due'), h('th', { scope: 'col', class: 'num' }, 'Expected'), h('th', { scope: 'col' }, 'Cadence'))),
      h('tbody', {}, list.slice(0, 10).map((r) => h('tr', {},
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => app.showTransactions({ ids: r.transactionIds, label: `${r.appName} renewal due ${r.dueDate}` }) }, r.appName),
          r.companyName ? h('span', { class: 'muted small' }, ` ${r.companyName}`) : null),
        h('td', { class: 'nowrap' }, r.dueDate, h('span', { class: 'muted small' }, ` (in ${count(r.daysUntil)} days)`)),
        h('td', { class: 'num nowrap' }, money(r.expectedAmount, r.currency)),
        h('td', {}, words(r.cadence), r.confirmed === false ? h('span', { class: 'muted small' }, ' (assumed)') : null),
      )))));
    if (list.length > 10) renewalsBox.append(h('p', { class: 'muted small' }, `and ${count(list.length - 10)} more in the insights`));
  }

  return {
    render(report, choice) {
      last = { report, choice };
      if (!report || !choice) {
        replace(figures, h('div', { class: 'figure' }, h('dt', {}, 'Report'), h('dd', {}, 'No report.json loaded')));
        return;
      }
      renderFigures(report, choice);
      renderApps(report, choice);
      renderMonths(report, choice);
      renderCategories(report, choice);
      renderUnmatched(report, choice);
      renderRenewals(report);
    },
  };
}

const PALETTE_APP = '#0072B2';

/** Horizontal bar charts grow with their bars, so labels stay readable. */
function fitHeight(canvas, bars) {
  canvas.parentElement.style.height = `${Math.max(180, Math.min(560, 60 + bars * 30))}px`;
}
