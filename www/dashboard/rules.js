// The rules editor: compose match-to and ignore rules, preview which transactions they would move
// (engine.previewRules, re-run as the form changes), apply them (engine.setRules, then the
// transactions and the report are recomputed), and download them as JSON for `--rules`.
// Without a live engine the editor still composes and downloads rules.

import { $, announce, debounce, download, h, replace } from './dom.js';
import { count, money, words } from './format.js';

const PREVIEW_ROWS = 200;
const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function describeCondition(name, c) {
  if (!c) return null;
  const op = c.op === 'regex' ? 'matches' : c.op;
  return `${name} ${op} “${c.value}”${c.caseSensitive ? ' (case-sensitive)' : ''}`;
}

export function describeRule(rule, appName = (id) => id) {
  const what = rule.action === 'ignore' ? 'Ignore' : `Match to ${appName(rule.appId)}`;
  const when = [describeCondition('vendor', rule.vendor), describeCondition('description', rule.description), describeCondition('account', rule.account)].filter(Boolean);
  return `${what} when ${when.join(' and ') || 'always'}`;
}

function outcomeText(o) {
  if (!o) return '(no such transaction)';
  if (o.ignoredByRule) return `ignored (${o.ignoredByRule})`;
  if (o.appId) return o.appName ?? o.appId;
  return 'not matched';
}

export function createRulesEditor(app) {
  const form = $('#rule-form');
  const els = {
    title: $('#rule-form-title'), app: $('#rule-app'), appLabel: $('#rule-app-label'), appList: $('#rule-app-list'),
    vendorOp: $('#rule-vendor-op'), vendorValue: $('#rule-vendor-value'), vendorCase: $('#rule-vendor-case'),
    descOp: $('#rule-desc-op'), descValue: $('#rule-desc-value'), descCase: $('#rule-desc-case'),
    priority: $('#rule-priority'), id: $('#rule-id'), error: $('#rule-error'), add: $('#rule-add'), clear: $('#rule-clear'),
    list: $('#rule-list'), dirty: $('#rules-dirty'), apply: $('#rules-apply'), revert: $('#rules-revert'), download: $('#rules-download'),
    mode: $('#rules-mode'), previewStatus: $('#preview-status'), previewBody: $('#preview-table').tBodies[0],
  };

  let applied = []; // the rules the engine (or the loaded data) uses
  let draft = []; // the rules in the list
  let editing = -1; // index in `draft` being edited, or -1
  let apps = new Map(); // appId -> { appName, category }
  let lastPreview = { ms: 0, changes: 0 };

  const appName = (id) => apps.get(id)?.appName ?? id;
  const canPreview = () => app.live;
  const canApply = canPreview;

  // ------------------------------------------------------------------ the form
  function action() {
    return form.querySelector('input[name="action"]:checked').value;
  }

  /** The app id the input names: an id, a name, or "Name (id)" from the list. */
  function resolveApp(text) {
    const s = text.trim();
    if (!s) return '';
    const paren = s.match(/\(([^()]+)\)\s*$/);
    if (paren && apps.has(paren[1])) return paren[1];
    if (apps.has(s)) return s;
    for (const [id, a] of apps) if (collator.compare(a.appName, s) === 0) return id;
    return s;
  }

  function condition(op, value, cs) {
    if (!op.value) return undefined;
    const c = { op: op.value, value: value.value };
    if (cs.checked) c.caseSensitive = true;
    return c;
  }

  function nextId() {
    const used = new Set(draft.map((r) => r.id));
    let n = draft.length + 1;
    while (used.has(`rule-${n}`)) n += 1;
    return `rule-${n}`;
  }

  /** The form as a rule, or { error } saying what is missing. `strict` also needs a value. */
  function formRule({ strict }) {
    const rule = { id: els.id.value.trim() || (editing >= 0 ? draft[editing].id : nextId()), priority: Number(els.priority.value), action: action() };
    if (!Number.isInteger(rule.priority) || rule.priority < 0) return { error: 'Priority must be a whole number, 0 or more.' };
    if (rule.action === 'matchTo') {
      const appId = resolveApp(els.app.value);
      if (!appId) return { error: 'Choose the app to match to.', field: els.app };
      rule.appId = appId;
    }
    const vendor = condition(els.vendorOp, els.vendorValue, els.vendorCase);
    const description = condition(els.descOp, els.descValue, els.descCase);
    if (vendor) rule.vendor = vendor;
    if (description) rule.description = description;
    if (!vendor && !description) return { error: 'Add a condition on the vendor name or the description.', field: els.vendorOp };
    if ((vendor && !vendor.value) || (description && !description.value)) return { error: 'Type the text the condition looks for.', field: vendor && !vendor.value ? els.vendorValue : els.descValue };
    if (strict && draft.some((r, i) => r.id === rule.id && i !== editing)) return { error: `Another rule already has the id “${rule.id}”.`, field: els.id };
    return { rule };
  }

  function syncAppField() {
    const match = action() === 'matchTo';
    els.appLabel.hidden = !match;
    els.app.required = match;
  }

  function clearForm() {
    form.reset();
    editing = -1;
    els.priority.value = String(suggestPriority());
    els.title.textContent = 'New rule';
    els.add.textContent = 'Add rule';
    els.error.textContent = '';
    syncAppField();
  }

  function suggestPriority() {
    return draft.length ? Math.max(...draft.map((r) => Number(r.priority) || 0)) + 10 : 100;
  }

  function fillForm(rule) {
    form.querySelector(`input[name="action"][value="${rule.action === 'ignore' ? 'ignore' : 'matchTo'}"]`).checked = true;
    els.app.value = rule.appId ? (apps.has(rule.appId) ? `${appName(rule.appId)} (${rule.appId})` : rule.appId) : '';
    for (const [key, op, value, cs] of [['vendor', els.vendorOp, els.vendorValue, els.vendorCase], ['description', els.descOp, els.descValue, els.descCase]]) {
      op.value = rule[key]?.op ?? '';
      value.value = rule[key]?.value ?? '';
      cs.checked = Boolean(rule[key]?.caseSensitive);
    }
    els.priority.value = String(rule.priority ?? suggestPriority());
    els.id.value = rule.id ?? '';
    syncAppField();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = formRule({ strict: true });
    if (r.error) {
      els.error.textContent = r.error;
      r.field?.focus();
      return;
    }
    if (app.live && app.store) {
      // the core validates (regex syntax, unknown app); a rule it refuses is not added
      try {
        await app.store.call('validate', { rules: candidateRules(r.rule) });
      } catch (err) {
        els.error.textContent = engineMessage(err);
        return;
      }
    }
    if (editing >= 0) draft[editing] = r.rule; else draft.push(r.rule);
    announce(`${editing >= 0 ? 'Updated' : 'Added'} rule ${r.rule.id}. Apply rules to re-match the transactions.`);
    clearForm();
    renderList();
    preview.now();
  });

  els.clear.addEventListener('click', () => { clearForm(); preview.now(); els.vendorOp.focus(); });
  form.addEventListener('input', () => { els.error.textContent = ''; syncAppField(); preview(); });
  form.addEventListener('change', () => { syncAppField(); preview(); });

  // ------------------------------------------------------------------ the list
  function renderList() {
    const dirty = JSON.stringify(draft) !== JSON.stringify(applied);
    els.dirty.hidden = !dirty;
    els.apply.disabled = !dirty || !canApply();
    els.revert.disabled = !dirty;
    els.download.disabled = draft.length === 0;
    if (!draft.length) {
      replace(els.list, h('li', { class: 'muted none' }, 'No rules yet: the catalog alone decides.'));
      return;
    }
    const order = draft.map((r, i) => ({ r, i })).sort((a, b) => (a.r.priority - b.r.priority) || a.i - b.i);
    replace(els.list, order.map(({ r, i }) => h('li', { dataset: { ruleId: r.id } },
      h('span', { class: 'badge' }, `#${r.priority}`), ' ',
      h('span', { class: 'rule-text' }, describeRule(r, appName)), ' ',
      h('code', { class: 'muted small' }, r.id), ' ',
      h('button', { type: 'button', class: 'link', 'aria-label': `Edit rule ${r.id}`, onclick: () => { editing = i; fillForm(r); els.title.textContent = `Edit rule ${r.id}`; els.add.textContent = 'Save rule'; els.vendorOp.focus(); } }, 'Edit'),
      h('button', { type: 'button', class: 'link danger', 'aria-label': `Remove rule ${r.id}`, onclick: () => { draft.splice(i, 1); if (editing === i) clearForm(); renderList(); preview.now(); announce(`Removed rule ${r.id}`); } }, 'Remove'),
    )));
  }

  els.revert.addEventListener('click', () => { draft = structuredClone(applied); clearForm(); renderList(); preview.now(); announce('Rules reverted'); });
  els.download.addEventListener('click', () => {
    download('rules.json', `${JSON.stringify({ rules: draft }, null, 2)}\n`);
    announce('rules.json downloaded: pass it to bc-spend with --rules rules.json');
  });
  els.apply.addEventListener('click', async () => {
    if (!canApply()) return;
    const t0 = performance.now();
    const rules = structuredClone(draft);
    els.apply.disabled = true;
    els.previewStatus.textContent = `Re-matching ${count(app.rows.length)} transactions…`;
    let result;
    try {
      result = await app.store.call('apply', { rules });
    } catch (err) {
      els.error.textContent = engineMessage(err);
      renderList();
      return;
    }
    applied = rules;
    app.applied(result);
    const ms = performance.now() - t0;
    renderList();
    els.previewBody.replaceChildren();
    els.previewStatus.textContent = `Applied ${count(applied.length)} rules: transactions re-matched and the report recomputed in ${Math.round(ms)} ms.`;
    announce('Rules applied');
  });

  // ------------------------------------------------------------------ preview
  /** The draft plus the rule being typed, when it is complete enough to test. */
  function candidateRules(extra) {
    const rules = draft.slice();
    if (extra) {
      if (editing >= 0) rules[editing] = extra; else rules.push(extra);
    }
    return rules;
  }

  function engineMessage(err) {
    return `${err.message ?? err}${err.path ? ` (at ${err.path})` : ''}`;
  }

  /** One preview of the draft plus the rule in the form; null when there is nothing to show. */
  async function previewOnce() {
    const typed = formRule({ strict: false });
    const rules = candidateRules(typed.rule);
    const t0 = performance.now();
    let result;
    try {
      result = await app.store.call('preview', { rules });
    } catch (err) {
      els.previewStatus.textContent = `Preview not possible: ${engineMessage(err)}`;
      els.previewBody.replaceChildren();
      return null;
    }
    const ms = performance.now() - t0;
    lastPreview = { ms, engineMs: result.ms, changes: result.changes.length };
    form.dataset.previewMs = ms.toFixed(1);
    form.dataset.previewEngineMs = result.ms.toFixed(1);
    renderPreview(result.changes, ms, Boolean(typed.rule));
    app.emit('rules-previewed', { changes: result.changes, ms });
    return result.changes;
  }

  // Previews run in the worker one at a time: edits made while one runs are previewed together
  // once it is done, so a slow preview never queues up one run per keystroke.
  let running = null;
  let again = false;
  function runPreview() {
    if (!canPreview() || !app.store) return Promise.resolve(null);
    if (running) {
      again = true;
      return running;
    }
    els.previewStatus.textContent = 'Previewing…';
    running = (async () => {
      let changes;
      do {
        again = false;
        changes = await previewOnce();
      } while (again);
      running = null;
      return changes;
    })();
    return running;
  }

  const preview = debounce(runPreview, 150);

  function renderPreview(changes, ms, withTyped) {
    const what = withTyped ? 'these rules and the one in the form' : 'these rules';
    els.previewStatus.textContent = changes.length
      ? `${count(changes.length)} transactions would change with ${what} (computed in ${Math.round(ms)} ms).`
      : `No transaction would change with ${what}.`;
    const rows = changes.slice(0, PREVIEW_ROWS).map((c) => h('tr', { dataset: { id: c.id } },
      h('td', { class: 'nowrap' }, c.date ?? ''),
      h('td', {}, c.vendorName),
      h('td', { class: 'desc' }, c.description),
      h('td', { class: 'num nowrap' }, money(c.amountExcludingTax, c.currency)),
      h('td', { class: 'before', dataset: { appId: c.before?.appId ?? '' } }, outcomeText(c.before)),
      h('td', { class: 'after', dataset: { appId: c.after?.appId ?? '', ignored: c.after?.ignoredByRule ?? '' } }, h('strong', {}, outcomeText(c.after))),
    ));
    els.previewBody.replaceChildren(...rows);
    if (changes.length > PREVIEW_ROWS) {
      els.previewBody.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, `… and ${count(changes.length - PREVIEW_ROWS)} more`)));
    }
  }

  function renderMode() {
    if (!app.live) {
      els.mode.textContent = app.liveError
        ? `Read-only: ${app.liveError}. You can still write rules and download them for --rules.`
        : 'Loading the engine…';
      els.mode.className = 'notice warn';
    } else if (!canPreview()) {
      els.mode.textContent = 'This build of the engine cannot preview rules (previewRules is missing); rules can be applied and downloaded.';
      els.mode.className = 'notice warn';
    } else {
      els.mode.textContent = `Live: the engine in this page re-matches all ${count(app.rows.length)} transactions as you edit. Nothing is sent anywhere.`;
      els.mode.className = 'notice ok';
    }
    els.apply.disabled = !canApply() || JSON.stringify(draft) === JSON.stringify(applied);
    els.apply.title = canApply() ? '' : 'Needs the live engine (state.bcs and run.json from a demo or sync)';
  }

  function fillApps() {
    apps = new Map();
    const add = (id, name, category) => { if (id && !apps.has(id)) apps.set(id, { appName: name ?? id, category }); };
    for (const a of app.catalogApps ?? []) add(a.appId ?? a.id, a.appName ?? a.name, a.category);
    for (const a of app.report?.apps ?? []) add(a.appId, a.appName, a.category);
    for (const r of app.rows ?? []) {
      if (r.appId) add(r.appId, r.app, r.category);
      if (r.runnerUpId) add(r.runnerUpId, r.runnerUpName);
    }
    const sorted = [...apps].sort((a, b) => collator.compare(a[1].appName, b[1].appName));
    els.appList.replaceChildren(...sorted.map(([id, a]) => h('option', { value: `${a.appName} (${id})` }, a.category ? words(a.category) : '')));
  }

  clearForm();

  return {
    /** Called after a load and whenever the engine appears or changes. */
    setData({ rules }) {
      applied = structuredClone(rules ?? []);
      draft = structuredClone(applied);
      fillApps();
      clearForm();
      renderList();
      renderMode();
      els.previewBody.replaceChildren();
      els.previewStatus.textContent = canPreview() ? 'Fill in the form: the transactions the rule would move appear here.' : '';
    },
    engineChanged() {
      fillApps();
      renderMode();
      renderList();
      if (canPreview() && !els.previewBody.rows.length) els.previewStatus.textContent = 'Fill in the form: the transactions the rule would move appear here.';
    },
    /** Prefills the form from a transaction (from its explanation panel). */
    startFrom(t) {
      clearForm();
      fillForm({ action: 'matchTo', appId: t.match?.appId ?? '', vendor: { op: 'equals', value: t.vendorName }, priority: suggestPriority() });
      els.app.focus();
      preview.now();
    },
    previewNow: () => preview.now(),
    get lastPreview() { return lastPreview; },
  };
}
