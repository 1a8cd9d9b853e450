// The insights list: renewals, price changes, overlaps, shadow SaaS, users to fix... each with its
// amounts and a link to the transactions behind it.

import { $, h, replace } from './dom.js';
import { count, money, words } from './format.js';

const SEVERITIES = ['high', 'medium', 'low', 'info'];
const PAGE = 50;
// insights about users link to the users view, filtered
const USER_KINDS = { usersWithoutEmail: { noEmail: true, kind: 'person' }, duplicatedUserEmails: { duplicates: true } };

export function createInsights(app) {
  const list = $('#insights');
  const severity = $('#insight-severity');
  const kind = $('#insight-kind');
  const badge = $('#insight-count');
  let insights = [];
  let limit = PAGE;

  function item(i) {
    return h('li', { class: `insight sev-${i.severity}`, dataset: { kind: i.kind, id: i.id } },
      h('div', { class: 'insight-head' },
        h('span', { class: `badge sev-${i.severity}` }, words(i.severity)),
        h('h3', {}, i.title),
        h('span', { class: 'muted small' }, words(i.kind))),
      h('p', {}, i.message),
      i.amounts?.length ? h('ul', { class: 'amounts' }, i.amounts.map((a) => h('li', {}, h('span', { class: 'muted' }, `${words(a.label)}: `), money(a.amount, a.currency)))) : null,
      i.transactionIds?.length
        ? h('button', { type: 'button', class: 'link', onclick: () => app.showTransactions({ ids: i.transactionIds, label: i.title }) },
          `Show the ${i.transactionIds.length === 1 ? 'transaction' : `${count(i.transactionIds.length)} transactions`} behind it`)
        : null,
      USER_KINDS[i.kind] ? h('button', { type: 'button', class: 'link', onclick: () => app.showUsers(USER_KINDS[i.kind]) }, 'Show the users') : null,
    );
  }

  function render() {
    const shown = insights.filter((i) => (!severity.value || i.severity === severity.value) && (!kind.value || i.kind === kind.value));
    replace(list, shown.slice(0, limit).map(item));
    if (!shown.length) list.append(h('li', { class: 'muted' }, insights.length ? 'No insight of this kind.' : 'No insights in this report.'));
    if (shown.length > limit) {
      list.append(h('li', { class: 'more' }, h('button', { type: 'button', onclick: () => {
        const first = limit;
        limit += PAGE;
        render();
        list.children[first]?.querySelector('button, h3')?.focus?.();
      } }, `Show ${count(Math.min(PAGE, shown.length - limit))} more of ${count(shown.length - limit)}`)));
    }
  }

  severity.addEventListener('change', () => { limit = PAGE; render(); });
  kind.addEventListener('change', () => { limit = PAGE; render(); });

  return {
    /** Shows one insight (linked from elsewhere): every filter off, the insight in view and focused. */
    show(id) {
      severity.value = '';
      kind.value = '';
      const at = insights.findIndex((i) => i.id === id);
      limit = Math.max(PAGE, at + 1);
      render();
      const li = list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
      if (!li) return;
      for (const x of list.querySelectorAll('li.target')) x.classList.remove('target');
      li.classList.add('target');
      li.tabIndex = -1;
      li.scrollIntoView({ block: 'center' });
      li.focus();
    },
    render(report) {
      insights = report?.insights ?? [];
      limit = PAGE;
      const prevS = severity.value; const prevK = kind.value;
      const sevs = SEVERITIES.filter((s) => insights.some((i) => i.severity === s));
      severity.replaceChildren(h('option', { value: '' }, 'All'), ...sevs.map((s) => h('option', { value: s }, `${words(s)} (${insights.filter((i) => i.severity === s).length})`)));
      const kinds = [...new Set(insights.map((i) => i.kind))];
      kind.replaceChildren(h('option', { value: '' }, 'All'), ...kinds.map((k) => h('option', { value: k }, words(k))));
      if (sevs.includes(prevS)) severity.value = prevS;
      if (kinds.includes(prevK)) kind.value = prevK;
      badge.textContent = insights.length ? String(insights.length) : '';
      badge.setAttribute('aria-label', `${insights.length} insights`);
      render();
    },
  };
}
