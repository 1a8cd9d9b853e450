// The users view: Business Central users with their contact e-mail and status, filterable, with
// the ones that need fixing in BC (no contact e-mail, duplicated e-mail) one click away.

import { $, debounce, h, replace } from './dom.js';
import { count, words } from './format.js';

const PAGE = 100;
const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

export function createUsersView(app) {
  const figures = $('#user-figures');
  const tbody = $('#user-table').tBodies[0];
  const statusLine = $('#user-status-line');
  const pager = $('#user-pager');
  const c = {
    search: $('#user-search'), status: $('#user-status'), kind: $('#user-kind'),
    noEmail: $('#user-no-email'), duplicates: $('#user-duplicates'),
  };
  let users = [];
  let duplicated = new Set();
  let companyNames = new Map();
  let filtered = [];
  let page = 0;

  function render() {
    const q = c.search.value.trim().toLowerCase();
    filtered = users.filter((u) => {
      if (c.status.value && u.status !== c.status.value) return false;
      if (c.kind.value && u.kind !== c.kind.value) return false;
      if (c.noEmail.checked && u.email) return false;
      if (c.duplicates.checked && !(u.email && duplicated.has(u.email))) return false;
      if (q && !`${u.displayName ?? ''} ${u.email ?? ''} ${u.userName ?? ''} ${u.invalidEmail ?? ''}`.toLowerCase().includes(q)) return false;
      return true;
    });
    page = Math.min(page, Math.max(0, Math.ceil(filtered.length / PAGE) - 1));
    const rows = filtered.slice(page * PAGE, (page + 1) * PAGE).map((u) => h('tr', { dataset: { id: u.id, status: u.status } },
      h('th', { scope: 'row' }, u.displayName || u.userName || u.id),
      h('td', {}, u.email
        ? [u.email, duplicated.has(u.email) ? h('span', { class: 'badge warn' }, 'duplicate') : null]
        : h('span', { class: 'badge warn' }, u.invalidEmail ? `invalid: ${u.invalidEmail}` : 'missing')),
      h('td', {}, u.userName ?? ''),
      h('td', {}, h('span', { class: `badge ${u.status === 'active' ? 'ok' : 'muted'}` }, words(u.status))),
      h('td', {}, words(u.kind), u.kindReason ? h('span', { class: 'muted small' }, ` (${u.kindReason})`) : null),
      h('td', {}, (u.companyIds ?? []).map((id) => companyNames.get(id) ?? id).join(', ')),
    ));
    tbody.replaceChildren(...rows);
    if (!rows.length) tbody.append(h('tr', {}, h('td', { colspan: 6, class: 'empty-row' }, users.length ? 'No user matches these filters.' : 'No users loaded (users.json).')));
    statusLine.textContent = `${count(filtered.length)} of ${count(users.length)} users`;
    const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    replace(pager, pages > 1 ? [
      h('button', { type: 'button', disabled: page === 0, onclick: () => { page -= 1; render(); } }, '‹ Previous'),
      h('span', { class: 'muted' }, `page ${page + 1} of ${pages}`),
      h('button', { type: 'button', disabled: page >= pages - 1, onclick: () => { page += 1; render(); } }, 'Next ›'),
    ] : []);
  }

  const renderSoon = debounce(render, 100);

  function applyFilter(set) {
    c.search.value = ''; c.status.value = set.status ?? ''; c.kind.value = set.kind ?? '';
    c.noEmail.checked = Boolean(set.noEmail); c.duplicates.checked = Boolean(set.duplicates);
    page = 0;
    render();
    c.search.focus();
  }
  c.search.addEventListener('input', renderSoon);
  for (const el of [c.status, c.kind, c.noEmail, c.duplicates]) el.addEventListener('change', () => { page = 0; render(); });

  function figure(label, value, key, onclick, note = '') {
    return h('div', { class: 'figure' },
      h('dt', {}, label),
      h('dd', { dataset: { figure: key, value: String(value ?? '') } },
        onclick && value ? h('button', { type: 'button', class: 'link', onclick, 'aria-label': `${label}: ${count(value)}, show them` }, count(value)) : count(value)),
      note ? h('dd', { class: 'note' }, note) : null);
  }

  return {
    show: applyFilter,
    setData({ users: list, report, summary, rows }) {
      users = (list ?? []).slice().sort((a, b) => collator.compare(a.displayName ?? a.userName ?? '', b.displayName ?? b.userName ?? ''));
      const seen = new Map();
      for (const u of users) if (u.email) seen.set(u.email, (seen.get(u.email) ?? 0) + 1);
      duplicated = new Set([...seen].filter(([, n]) => n > 1).map(([e]) => e));
      companyNames = new Map();
      for (const r of rows ?? []) if (r.company && !companyNames.has(r.companyId)) companyNames.set(r.companyId, r.company);
      const kinds = [...new Set(users.map((u) => u.kind))].sort();
      const prevKind = c.kind.value;
      c.kind.replaceChildren(h('option', { value: '' }, 'All'), ...kinds.map((k) => h('option', { value: k }, words(k))));
      if (kinds.includes(prevKind)) c.kind.value = prevKind;

      // the report's counts are the reference; the summary's (or the list's) stand in without one
      const ru = report?.users ?? summary?.users ?? null;
      const persons = users.filter((u) => u.kind === 'person');
      const num = (v, fallback) => (Array.isArray(v) ? v.length : typeof v === 'number' ? v : fallback);
      const show = (set) => () => applyFilter(set);
      const withoutEmail = num(ru?.withoutEmail, persons.filter((u) => !u.email).length);
      replace(figures,
        figure('People', num(ru?.persons, persons.length), 'users.persons', show({ kind: 'person' })),
        figure('Active', num(ru?.active, persons.filter((u) => u.status === 'active').length), 'users.active', show({ kind: 'person', status: 'active' })),
        figure('Inactive', num(ru?.inactive, persons.filter((u) => u.status === 'inactive').length), 'users.inactive', show({ kind: 'person', status: 'inactive' })),
        figure('Without contact e-mail', withoutEmail, 'users.withoutEmail', show({ kind: 'person', noEmail: true }),
          typeof ru?.activeWithoutEmail === 'number' ? `${count(ru.activeWithoutEmail)} of them active: fix in Business Central` : ''),
        figure('Duplicated e-mails', num(ru?.duplicatedEmails, duplicated.size), 'users.duplicatedEmails', show({ duplicates: true })),
        figure('Non-human accounts', num(ru?.nonHuman, users.length - persons.length), 'users.nonHuman', null),
      );
      page = 0;
      render();
    },
  };
}
