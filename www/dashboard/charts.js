// Charts through Chart.js (served from node_modules as /vendor/chart.umd.min.js). Each chart has
// a data table beside it (in a <details>), so what a chart shows is also readable as text.

import { h, replace } from './dom.js';
import { money, toNumber } from './format.js';

// Okabe-Ito based, distinguishable for common colour-vision deficiencies; grey is "other".
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#332288', '#88CCEE', '#117733', '#AA4499', '#44AA99'];
export const OTHER_COLOR = '#9aa0a6';
export const UNMATCHED_COLOR = '#c8ccd0';

const charts = new Map();

export function chartLibrary() {
  return globalThis.Chart ?? null;
}

/** Waits for the deferred chart script (module scripts can run before it on a fast load). */
export async function chartsReady(timeoutMs = 5000) {
  const start = performance.now();
  while (!chartLibrary() && performance.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 20));
  return Boolean(chartLibrary());
}

function baseOptions(currency, { horizontal = false, stacked = false, legend = false, onPick = null } = {}) {
  const valueAxis = {
    stacked,
    beginAtZero: true,
    ticks: { maxTicksLimit: horizontal ? 6 : 8, callback: (v) => money(v, currency, { compact: true }) },
    grid: { color: '#e6e8eb' },
  };
  const categoryAxis = { stacked, grid: { display: false }, ticks: { autoSkip: !horizontal } };
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    indexAxis: horizontal ? 'y' : 'x',
    scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
    plugins: {
      legend: { display: legend, position: 'bottom', labels: { boxWidth: 12 } },
      tooltip: {
        callbacks: {
          label: (ctx) => `${ctx.dataset.label ? `${ctx.dataset.label}: ` : ''}${money(ctx.raw, currency)}`,
        },
      },
    },
    onClick: onPick ? (_e, elements) => { if (elements[0]) onPick(elements[0].index, elements[0].datasetIndex); } : undefined,
    onHover: onPick ? (e, elements) => { e.native.target.style.cursor = elements.length ? 'pointer' : 'default'; } : undefined,
  };
}

/**
 * Draws (or redraws) the bar chart on `canvas`. `labels`: category labels; `datasets`:
 * [{ label, data: numbers, color }]. Returns false when Chart.js is missing.
 */
export function barChart(canvas, { labels, datasets, currency, horizontal = false, stacked = false, legend = false, onPick = null, description = '' }) {
  const Chart = chartLibrary();
  if (description) canvas.setAttribute('aria-label', description);
  if (!Chart) {
    canvas.hidden = true;
    return false;
  }
  canvas.hidden = false;
  const data = {
    labels,
    datasets: datasets.map((d) => ({
      label: d.label, data: d.data, backgroundColor: d.color, borderColor: d.color, borderWidth: 0,
      maxBarThickness: horizontal ? 22 : 48,
    })),
  };
  const options = baseOptions(currency, { horizontal, stacked, legend, onPick });
  const prev = charts.get(canvas);
  if (prev) {
    prev.data = data;
    prev.options = options;
    prev.update('none');
    return true;
  }
  charts.set(canvas, new Chart(canvas, { type: 'bar', data, options }));
  return true;
}

/**
 * The chart's numbers as a table, for the <details> under it and for screen readers. Built when
 * the <details> is first opened (a table of 700 apps is not worth building for every render).
 */
export function dataTable(container, { caption, columns, rows, currency, after = null }) {
  const build = () => {
    replace(container, h('table', { class: 'data compact' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell, i) => (i === 0
        ? h('th', { scope: 'row' }, cell)
        : cell instanceof Node ? h('td', { class: 'num' }, cell)
          : h('td', { class: 'num nowrap' }, cell === null || cell === undefined ? '–' : money(cell, currency)))))))));
    if (after) container.append(after);
  };
  const details = container.closest('details');
  container.replaceChildren();
  if (!details || details.open) {
    build();
    return;
  }
  details.addEventListener('toggle', function once() {
    if (!details.open) return;
    details.removeEventListener('toggle', once);
    build();
  });
}

export function colorFor(i) {
  return PALETTE[i % PALETTE.length];
}

export { toNumber };
