// Praison.Actors dashboard: plain modern JS, no dependencies. Pages are hash routes; data comes from ./api.
const main = document.getElementById('main');
const statusLine = document.getElementById('status');
let session = { authRequired: false, signedIn: true, readOnly: false, pageSize: 25 };
let stream = null;   // the EventSource of the current page, closed on every navigation
let timer = null;    // the overview's refresh timer

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const svg = (tag, attrs = {}) => {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};

class HttpError extends Error { constructor(status, message) { super(message); this.status = status; } }

async function api(path, options = {}) {
  const init = { credentials: 'same-origin', headers: {}, ...options };
  if (init.method && init.method !== 'GET') init.headers['X-Praison-Dashboard'] = '1';
  if (init.json !== undefined) { init.body = JSON.stringify(init.json); init.headers['Content-Type'] = 'application/json'; delete init.json; }
  const res = await fetch('api/' + path, init);
  if (res.status === 204) return null;
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (res.status === 401) { session.signedIn = false; renderLogin(body.error); throw new HttpError(401, body.error); }
  if (!res.ok) throw new HttpError(res.status, body.error || res.statusText);
  return body;
}

const fmtTime = t => t ? new Date(t).toLocaleString() : '';
const terminal = s => s === 'Completed' || s === 'Failed' || s === 'Cancelled';
const badge = s => h('span', { class: 'badge ' + s, 'data-testid': 'status' }, s);

function progressCell(t) {
  const cell = h('span', { class: 'progress' });
  if (t.status === 'Running' || (t.progress !== null && t.progress !== undefined)) {
    cell.append(h('progress', { max: '1', value: String(t.progress ?? 0), 'data-testid': 'progress' }),
      h('span', { class: 'pmsg' }, t.progress !== null && t.progress !== undefined ? Math.round(t.progress * 100) + '%' : '',
        t.progressMessage ? ' ' + t.progressMessage : ''));
  }
  return cell;
}

// Replaces the page's content; children may be nested arrays, and null/false/'' are skipped.
function show(...children) {
  main.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false && c !== ''));
}

function setStatus(text, isError = false) {
  statusLine.textContent = text;
  statusLine.className = isError ? 'error' : '';
}

function stopLive() {
  if (stream) { stream.close(); stream = null; }
  if (timer) { clearInterval(timer); timer = null; }
}

// Follows the given tasks through one server-sent-events stream; onUpdate gets each task row as it changes.
function follow(ids, onUpdate) {
  if (stream) { stream.close(); stream = null; }
  if (ids.length === 0) return;
  const source = new EventSource('api/events?ids=' + encodeURIComponent(ids.join(',')));
  source.onUpdate = onUpdate; // replaceable: the overview redraws its table and points the stream at the new one
  source.addEventListener('task', e => source.onUpdate(JSON.parse(e.data)));
  stream = source;
  source.addEventListener('done', () => { source.close(); if (stream === source) stream = null; });
  stream.onerror = () => { /* the browser reconnects on its own while the page stays */ };
}

function renderLogin(message) {
  stopLive();
  const key = h('input', { type: 'password', name: 'key', autocomplete: 'current-password', 'data-testid': 'api-key', placeholder: 'API key' });
  const err = h('div', { class: 'error', 'data-testid': 'login-error' }, message && message !== 'Sign in with the API key first.' ? message : '');
  const form = h('form', { class: 'login', onsubmit: async e => {
    e.preventDefault();
    const res = await fetch('login', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ key: key.value }) });
    if (res.ok) { session = await res.json(); applyMode(); route(); }
    else err.textContent = (await res.json().catch(() => ({}))).error || 'Sign-in failed.';
  } }, h('h1', {}, 'Sign in'), h('span', { class: 'muted' }, 'Enter the API key of this server once; the browser keeps it in an HttpOnly cookie.'),
    key, h('button', { class: 'primary', type: 'submit', 'data-testid': 'login' }, 'Sign in'), err);
  show(form);
  key.focus();
}

function applyMode() {
  document.getElementById('mode').textContent = session.readOnly ? 'read-only' : '';
  for (const a of document.querySelectorAll('#nav a.writes')) a.hidden = session.readOnly;
}

function actionButtons(t, after) {
  if (session.readOnly) return [];
  const buttons = [];
  if (!terminal(t.status)) buttons.push(h('button', { class: 'danger', 'data-testid': 'cancel', onclick: async e => {
    e.target.disabled = true;
    try { await api('tasks/' + encodeURIComponent(t.taskId) + '/cancel', { method: 'POST' }); setStatus('Cancelled ' + t.taskId); }
    catch (err) { setStatus(err.message, true); }
    after();
  } }, 'Cancel'));
  if ((t.status === 'Failed' || t.status === 'Cancelled') && t.kind === 'Recipe') buttons.push(h('button', { 'data-testid': 'retry', onclick: async e => {
    e.target.disabled = true;
    try {
      const r = await api('tasks/' + encodeURIComponent(t.taskId) + '/retry', { method: 'POST' });
      setStatus('Retried ' + t.taskId + ' as ' + r.taskId);
      if (after.retried) { after.retried(r.taskId); return; }
    } catch (err) { setStatus(err.message, true); }
    after();
  } }, 'Retry'));
  if (terminal(t.status)) buttons.push(h('button', { 'data-testid': 'delete', onclick: async e => {
    if (!confirm('Delete task ' + t.taskId + '?')) return;
    e.target.disabled = true;
    try { await api('tasks/' + encodeURIComponent(t.taskId), { method: 'DELETE' }); setStatus('Deleted ' + t.taskId); }
    catch (err) { setStatus(err.message, true); }
    after(true);
  } }, 'Delete'));
  return buttons;
}

// ---- overview ----
function barChart(title, minutes, series, testid) {
  const w = 600, hgt = 120, bw = w / minutes.length;
  const max = Math.max(1, ...minutes.map(m => series.reduce((s, [k]) => s + m[k], 0)));
  const chart = svg('svg', { viewBox: `0 0 ${w} ${hgt}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': title });
  chart.append(svg('line', { x1: 0, y1: hgt - 0.5, x2: w, y2: hgt - 0.5, class: 'axis' }));
  minutes.forEach((m, i) => {
    let y = hgt;
    for (const [k, cls] of series) {
      const v = m[k]; if (!v) continue;
      const bh = (v / max) * (hgt - 10);
      y -= bh;
      const r = svg('rect', { x: i * bw + 1, y, width: Math.max(1, bw - 2), height: bh, class: cls });
      r.append(svg('title')); r.firstChild.textContent = `${new Date(m.at).toLocaleTimeString()}: ${v} ${k}`;
      chart.append(r);
    }
  });
  const total = series.map(([k]) => minutes.reduce((s, m) => s + m[k], 0));
  return h('div', { class: 'card chart', 'data-testid': testid }, h('div', { class: 'l' }, title),
    h('div', { class: 'muted' }, series.map(([k], i) => `${total[i]} ${k}`).join(' · ') + ' in the last hour'), chart);
}

async function overview() {
  let followed = null;
  const load = async () => {
    const o = await api('overview');
    const running = taskTable(o.runningNow, () => route());
    const card = (label, n, id) => h('div', { class: 'card', 'data-testid': id }, h('div', { class: 'n' }, n), h('div', { class: 'l' }, label));
    const finished = o.lastHour.minutes.reduce((s, m) => s + m.completed + m.failed, 0);
    const failed = o.lastHour.minutes.reduce((s, m) => s + m.failed, 0);
    show(
      h('h1', {}, 'Overview'),
      h('div', { class: 'cards' },
        card('Running now', o.running, 'count-running'), card('Queue depth', o.queueDepth, 'count-pending'),
        card('Completed', o.counts.Completed, 'count-completed'), card('Failed', o.counts.Failed, 'count-failed'),
        card('Cancelled', o.counts.Cancelled, 'count-cancelled'), card('All tasks', o.total, 'count-total'),
        card('Failure rate (1 h)', finished ? Math.round(100 * failed / finished) + '%' : '–', 'failure-rate'),
        h('div', { class: 'card', 'data-testid': 'store' }, h('div', { class: 'n' + (o.storeHealthy ? '' : ' error') }, o.storeHealthy ? 'OK' : 'Failing'),
          h('div', { class: 'l' }, 'Store' + (o.storeError ? ': ' + o.storeError : '')))),
      h('div', { class: 'charts' },
        barChart('Throughput per minute', o.lastHour.minutes, [['completed', 'bar-ok'], ['failed', 'bar-bad']], 'chart-throughput'),
        barChart('Submitted per minute', o.lastHour.minutes, [['submitted', 'bar-sub']], 'chart-submitted')),
      h('h2', {}, 'Running now'),
      o.runningNow.length === 0 ? h('p', { class: 'muted' }, 'Nothing is running.') : running);
    // Their progress moves live; the stream is reopened only when the set of running tasks changes.
    const ids = o.runningNow.map(t => t.taskId);
    if (ids.join(',') !== followed) { followed = ids.join(','); follow(ids, t => running.update(t)); }
    else if (stream) stream.onUpdate = t => running.update(t);
    setStatus(`System ${o.system} · updated ${new Date().toLocaleTimeString()}`);
  };
  await load();
  timer = setInterval(() => load().catch(e => setStatus(e.message, true)), 5000);
}

// ---- tasks ----
function taskTable(tasks, reload) {
  const rows = new Map();
  const tbody = h('tbody');
  for (const t of tasks) {
    const tr = h('tr', { 'data-task': t.taskId });
    fillRow(tr, t, reload);
    rows.set(t.taskId, tr);
    tbody.append(tr);
  }
  const table = h('table', { 'data-testid': 'tasks' },
    h('thead', {}, h('tr', {}, ['Task', 'Name', 'Session', 'Status', 'Progress', 'Submitted', ''].map(c => h('th', {}, c)))), tbody);
  table.update = t => { const tr = rows.get(t.taskId); if (tr) fillRow(tr, t, reload); };
  return table;
}

function fillRow(tr, t, reload) {
  tr.dataset.status = t.status;
  tr.replaceChildren(
    h('td', { class: 'id' }, h('a', { href: '#/tasks/' + encodeURIComponent(t.taskId) }, t.taskId)),
    h('td', {}, t.name, t.kind === 'Recipe' ? '' : h('span', { class: 'muted' }, ' (delegate)')),
    h('td', {}, t.sessionId ?? ''),
    h('td', {}, badge(t.status), t.errorKind ? h('span', { class: 'pmsg' }, t.errorKind) : ''),
    h('td', {}, progressCell(t)),
    h('td', {}, fmtTime(t.submittedAt)),
    h('td', {}, actionButtons(t, reload)));
}

async function tasks(params) {
  const status = params.get('status') || '', recipe = params.get('recipe') || '', sessionId = params.get('session') || '';
  const page = Number(params.get('page') || '1');
  const q = new URLSearchParams();
  if (status) q.set('status', status); if (recipe) q.set('recipe', recipe); if (sessionId) q.set('session', sessionId);
  q.set('page', String(page));
  const data = await api('tasks?' + q);
  const go = p => { const n = new URLSearchParams(q); n.set('page', String(p)); location.hash = '#/tasks?' + n; };
  const statusSel = h('select', { name: 'status', 'data-testid': 'filter-status' },
    ['', 'Pending', 'Running', 'Completed', 'Failed', 'Cancelled'].map(s => h('option', { value: s, selected: s === status }, s || 'any')));
  const recipeIn = h('input', { name: 'recipe', value: recipe, placeholder: 'recipe or name', 'data-testid': 'filter-recipe' });
  const sessionIn = h('input', { name: 'session', value: sessionId, placeholder: 'session id', 'data-testid': 'filter-session' });
  const form = h('form', { class: 'filters', onsubmit: e => {
    e.preventDefault();
    const n = new URLSearchParams();
    if (statusSel.value) n.set('status', statusSel.value); if (recipeIn.value) n.set('recipe', recipeIn.value); if (sessionIn.value) n.set('session', sessionIn.value);
    location.hash = '#/tasks' + (n.toString() ? '?' + n : '');
  } }, h('label', {}, 'Status', statusSel), h('label', {}, 'Recipe', recipeIn), h('label', {}, 'Session', sessionIn),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'filter-apply' }, 'Filter'));
  const reload = () => route();
  const table = taskTable(data.tasks, reload);
  show(h('h1', {}, 'Tasks'), form,
    data.tasks.length === 0 ? h('p', { class: 'muted', 'data-testid': 'empty' }, 'No tasks match.') : table,
    h('div', { class: 'pager' },
      h('button', { disabled: page <= 1, onclick: () => go(page - 1), 'data-testid': 'prev' }, '‹ Prev'),
      h('span', { 'data-testid': 'page-info' }, `Page ${data.page} of ${data.pages} · ${data.total} tasks`),
      h('button', { disabled: page >= data.pages, onclick: () => go(page + 1), 'data-testid': 'next' }, 'Next ›')));
  follow(data.tasks.filter(t => !terminal(t.status)).map(t => t.taskId), t => table.update(t));
  setStatus(`${data.total} tasks`);
}

// ---- one task ----
async function task(id) {
  const d = await api('tasks/' + encodeURIComponent(id));
  const after = gone => gone ? (location.hash = '#/tasks') : route();
  after.retried = newId => { location.hash = '#/tasks/' + encodeURIComponent(newId); };
  const render = d => {
    const t = d.task;
    const w = d.webhook;
    show(
      h('h1', {}, 'Task ', h('code', { 'data-testid': 'task-id' }, t.taskId)),
      h('div', { class: 'actions' }, actionButtons(t, after)),
      h('dl', { class: 'kv', 'data-testid': 'detail' },
        h('dt', {}, 'Status'), h('dd', {}, badge(t.status)),
        h('dt', {}, 'Name'), h('dd', {}, t.name, ' ', h('span', { class: 'muted' }, `(${t.kind})`)),
        h('dt', {}, 'Recipe'), h('dd', {}, t.recipeName ?? '–'),
        h('dt', {}, 'Session'), h('dd', {}, t.sessionId ?? '–'),
        h('dt', {}, 'Attempt'), h('dd', { 'data-testid': 'attempt' }, d.maxAttempts > 1 ? `${t.attempt} of ${d.maxAttempts}` : String(t.attempt)),
        d.nextAttemptAt ? [h('dt', {}, 'Next attempt'), h('dd', { 'data-testid': 'next-attempt' }, fmtTime(d.nextAttemptAt))] : [],
        h('dt', {}, 'Progress'), h('dd', {}, progressCell(t)),
        h('dt', {}, 'Submitted'), h('dd', {}, fmtTime(t.submittedAt)),
        h('dt', {}, 'Started'), h('dd', {}, fmtTime(t.startedAt) || '–'),
        h('dt', {}, 'Finished'), h('dd', {}, fmtTime(t.finishedAt) || '–'),
        t.storeError ? [h('dt', {}, 'Store error'), h('dd', { class: 'error' }, t.storeError)] : []),
      t.errorKind ? [h('h2', {}, 'Error'), h('p', { class: 'error', 'data-testid': 'error' }, `${t.errorKind}: ${t.errorMessage}`),
        d.errorType ? h('p', { class: 'muted' }, d.errorType) : '', d.stackTrace ? h('pre', {}, d.stackTrace) : ''] : [],
      d.attemptErrors.length ? [h('h2', {}, 'Failed attempts'), h('table', { 'data-testid': 'attempt-errors' },
        h('thead', {}, h('tr', {}, ['Attempt', 'Kind', 'Error'].map(c => h('th', {}, c)))),
        h('tbody', {}, d.attemptErrors.map(a => h('tr', {}, h('td', {}, String(a.attempt)), h('td', {}, a.kind),
          h('td', {}, a.message, a.errorType ? h('div', { class: 'muted' }, a.errorType) : '')))))] : [],
      w ? [h('h2', {}, 'Webhook'), h('dl', { class: 'kv', 'data-testid': 'webhook' },
        h('dt', {}, 'URL'), h('dd', {}, h('code', {}, w.url)),
        h('dt', {}, 'State'), h('dd', { 'data-testid': 'webhook-state' }, w.state),
        h('dt', {}, 'Attempts'), h('dd', { 'data-testid': 'webhook-attempts' }, String(w.attemptCount)),
        h('dt', {}, 'Last response'), h('dd', { 'data-testid': 'webhook-code' }, w.lastStatusCode ? 'HTTP ' + w.lastStatusCode : '–'),
        w.nextAttemptAt ? [h('dt', {}, 'Next attempt'), h('dd', {}, fmtTime(w.nextAttemptAt))] : []),
        w.attempts.length ? h('table', { 'data-testid': 'webhook-attempt-list' },
          h('thead', {}, h('tr', {}, ['#', 'At', 'Response', 'Error'].map(c => h('th', {}, c)))),
          h('tbody', {}, w.attempts.map(a => h('tr', {}, h('td', {}, String(a.attempt)), h('td', {}, fmtTime(a.at)),
            h('td', {}, a.statusCode ? 'HTTP ' + a.statusCode : '–', a.delivered ? ' ✓' : ''), h('td', {}, a.error ?? ''))))) : ''] : [],
      h('h2', {}, 'Input'),
      d.inputStored ? h('pre', { 'data-testid': 'input' }, d.input === null ? '(none)' : JSON.stringify(d.input, null, 2))
        : h('p', { class: 'muted', 'data-testid': 'input' }, 'Not available: this runner keeps no readable event store (ephemeral store).'),
      d.inputStored && d.config !== null ? [h('h2', {}, 'Config'), h('pre', { 'data-testid': 'config' }, JSON.stringify(d.config, null, 2))] : [],
      t.status === 'Completed' ? [h('h2', {}, 'Result'), h('pre', { 'data-testid': 'result' }, JSON.stringify(d.result, null, 2))] : [],
      h('h2', {}, 'Timeline'),
      h('ol', { class: 'timeline', 'data-testid': 'timeline' }, d.timeline.map(e => h('li', {}, h('span', { class: 'muted' }, fmtTime(e.at)), ' ', e.what))));
  };
  render(d);
  let last = d;
  const here = location.hash;
  // Progress moves from the stream; a new status or attempt re-reads the detail (errors, next attempt, timeline).
  if (!terminal(d.task.status)) follow([id], async t => {
    if (terminal(t.status) || t.status !== last.task.status || t.attempt !== last.task.attempt) {
      last = await api('tasks/' + encodeURIComponent(id));
      render(last);
      if (terminal(last.task.status)) watchWebhook();
    }
    else render({ ...last, task: t });
  });
  // A webhook is delivered after the task ends, when no stream follows it: re-read while its delivery is pending.
  const watchWebhook = () => {
    if (timer || !(last.webhook && last.webhook.state === 'pending')) return;
    timer = setInterval(async () => {
      try {
        const fresh = await api('tasks/' + encodeURIComponent(id));
        if (location.hash !== here) return; // navigated away meanwhile
        last = fresh;
        render(last);
        if (!(last.webhook && last.webhook.state === 'pending')) { clearInterval(timer); timer = null; }
      } catch (e) { setStatus(e.message, true); }
    }, 2000);
  };
  if (terminal(d.task.status)) watchWebhook();
}

// ---- run a recipe ----
async function run() {
  if (session.readOnly) { show(h('p', { class: 'placeholder' }, 'This dashboard is read-only.')); return; }
  const recipes = await api('recipes');
  const sel = h('select', { name: 'recipe', 'data-testid': 'run-recipe' }, recipes.map(r => h('option', { value: r.name }, r.name)));
  const input = h('textarea', { name: 'input', 'data-testid': 'run-input' }, '{}');
  const sessionIn = h('input', { name: 'session', placeholder: 'optional', 'data-testid': 'run-session' });
  const err = h('p', { class: 'error', 'data-testid': 'run-error' });
  show(h('h1', {}, 'Run a recipe'), h('form', { onsubmit: async e => {
    e.preventDefault();
    let parsed;
    try { parsed = input.value.trim() ? JSON.parse(input.value) : null; } catch (x) { err.textContent = 'Input is not valid JSON: ' + x.message; return; }
    try {
      const t = await api('runs', { method: 'POST', json: { recipe: sel.value, input: parsed, sessionId: sessionIn.value || null } });
      location.hash = '#/tasks/' + encodeURIComponent(t.taskId);
    } catch (x) { err.textContent = x.message; }
  } }, h('label', {}, 'Recipe', sel), h('label', {}, 'Input (JSON)', input), h('label', {}, 'Session', sessionIn),
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', 'data-testid': 'run-submit' }, 'Run')), err));
}

// ---- recipes ----
async function recipes() {
  const list = await api('recipes');
  show(h('h1', {}, 'Recipes'), list.length === 0 ? h('p', { class: 'muted' }, 'No recipes are registered.') : '',
    list.map(r => h('section', { class: 'recipe', 'data-testid': 'recipe' },
      h('h2', {}, r.name, r.version ? h('span', { class: 'muted' }, ' v' + r.version) : ''),
      r.description ? h('p', {}, r.description) : '',
      h('p', { class: 'muted' }, [`timeout ${r.timeoutSec ?? 'default'} s`, r.backgroundEnabled ? 'background enabled' : 'background disabled',
        r.maxConcurrent ? `max ${r.maxConcurrent} at once` : '', r.rerunOnRestart ? 'reruns after a restart' : ''].filter(Boolean).join(' · ')),
      r.steps.length ? [h('h2', {}, 'Steps'), h('ol', {}, r.steps.map(s => h('li', {}, s)))] : '',
      r.yaml ? h('details', {}, h('summary', {}, 'TEMPLATE.yaml', r.sourcePath ? h('span', { class: 'muted' }, ' ' + r.sourcePath) : ''), h('pre', {}, r.yaml)) : '',
      session.readOnly ? '' : h('a', { href: '#/run?recipe=' + encodeURIComponent(r.name) }, 'Run…'))));
}

// ---- schedules ----
// Schedules change rarely and fire on their own clock: the page re-reads its list every 3 s (tasks stay on SSE).
async function schedules() {
  const list = h('div', { 'data-testid': 'schedules' });
  const act = async (e, path, init, done) => {
    e.target.disabled = true;
    try { const r = await api(path, init); setStatus(done(r)); }
    catch (err) { setStatus(err.message, true); }
    await load();
  };
  const row = s => {
    const base = 'schedules/' + encodeURIComponent(s.name);
    return h('tr', { 'data-schedule': s.name, 'data-state': s.state },
      h('td', {}, h('strong', {}, s.name), ' ', h('a', { href: '#/schedules/' + encodeURIComponent(s.name), 'data-testid': 'history-link' }, 'history'),
        s.sessionId ? h('div', { class: 'muted' }, 'session ' + s.sessionId) : ''),
      h('td', {}, s.recipe),
      h('td', {}, h('code', {}, s.expression)),
      h('td', {}, s.timeZone),
      h('td', { 'data-testid': 'next-fire' }, s.paused ? '–' : (fmtTime(s.nextFireAt) || '–')),
      h('td', {}, h('span', { class: 'badge ' + (s.paused ? 'Pending' : s.state === 'done' ? 'Cancelled' : 'Running'), 'data-testid': 'schedule-state' }, s.state)),
      h('td', { class: 'runs', 'data-testid': 'runs' }, s.runs.length === 0 ? h('span', { class: 'muted' }, 'none yet') :
        s.runs.map(r => h('a', { href: '#/tasks/' + encodeURIComponent(r.taskId), class: 'badge ' + (r.status ?? 'gone'), 'data-testid': 'run',
          'data-task': r.taskId, title: `${r.reason} · slot ${fmtTime(r.slotAt)} · fired ${fmtTime(r.firedAt)}` }, r.status ?? 'cleaned up'))),
      h('td', { class: 'row-actions' }, session.readOnly ? '' : [
        s.paused
          ? h('button', { 'data-testid': 'resume', onclick: e => act(e, base + '/resume', { method: 'POST' }, () => 'Resumed ' + s.name) }, 'Resume')
          : h('button', { 'data-testid': 'pause', onclick: e => act(e, base + '/pause', { method: 'POST' }, () => 'Paused ' + s.name) }, 'Pause'),
        h('button', { 'data-testid': 'trigger', onclick: e => act(e, base + '/trigger', { method: 'POST' }, r => `Triggered ${s.name}: task ${r.taskId}`) }, 'Run now'),
        h('button', { class: 'danger', 'data-testid': 'delete-schedule', onclick: e => {
          if (!confirm('Delete schedule ' + s.name + '? Runs already started go on.')) return;
          act(e, base, { method: 'DELETE' }, () => 'Deleted ' + s.name);
        } }, 'Delete')]));
  };
  const load = async () => {
    const data = await api('schedules');
    list.replaceChildren(data.length === 0 ? h('p', { class: 'muted', 'data-testid': 'empty' }, 'No schedules.') :
      h('table', {}, h('thead', {}, h('tr', {}, ['Schedule', 'Recipe', 'Expression', 'Zone', 'Next fire', 'State', 'Last runs', ''].map(c => h('th', {}, c)))),
        h('tbody', {}, data.map(row))));
    setStatus(`${data.length} schedules · updated ${new Date().toLocaleTimeString()}`);
  };
  let form = '';
  if (!session.readOnly) {
    const recipes = await api('recipes');
    const name = h('input', { name: 'name', placeholder: 'nightly-report', 'data-testid': 'schedule-name', required: true });
    const recipe = h('select', { name: 'recipe', 'data-testid': 'schedule-recipe' }, recipes.map(r => h('option', { value: r.name }, r.name)));
    const expr = h('input', { name: 'expression', placeholder: 'hourly, */15m, cron:0 9 * * 1-5, at:2030-01-01T09:00', 'data-testid': 'schedule-expression', required: true });
    const zone = h('input', { name: 'timeZone', placeholder: 'UTC', 'data-testid': 'schedule-zone' });
    const input = h('input', { name: 'input', placeholder: '{} (JSON, optional)', 'data-testid': 'schedule-input' });
    const err = h('span', { class: 'error', 'data-testid': 'schedule-error' });
    form = h('details', { class: 'create' }, h('summary', {}, 'New schedule'), h('form', { class: 'filters', onsubmit: async e => {
      e.preventDefault();
      err.textContent = '';
      let parsed = null;
      try { parsed = input.value.trim() ? JSON.parse(input.value) : null; } catch (x) { err.textContent = 'Input is not valid JSON: ' + x.message; return; }
      try {
        await api('schedules', { method: 'POST', json: { name: name.value, recipe: recipe.value, expression: expr.value, timeZone: zone.value || null, input: parsed } });
        setStatus('Created ' + name.value); name.value = ''; expr.value = '';
        await load();
      } catch (x) { err.textContent = x.message; }
    } }, h('label', {}, 'Name', name), h('label', {}, 'Recipe', recipe), h('label', {}, 'Expression', expr), h('label', {}, 'Zone', zone),
      h('label', {}, 'Input', input), h('button', { class: 'primary', type: 'submit', 'data-testid': 'schedule-create' }, 'Create'), err));
  }
  show(h('h1', {}, 'Schedules'), form, list);
  await load();
  timer = setInterval(() => load().catch(e => setStatus(e.message, true)), 3000);
}

// One schedule's stored changes, newest first (the same data as GET /api/v1/schedules/{name}/history); a read, so
// read-only mode shows it too. Re-read every 3 s like the list.
async function scheduleHistory(name) {
  const list = h('div', { 'data-testid': 'history' });
  const load = async () => {
    const data = await api('schedules/' + encodeURIComponent(name) + '/history');
    list.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, ['#', 'At', 'Kind', 'Change'].map(c => h('th', {}, c)))),
      h('tbody', {}, data.history.map(e => h('tr', { 'data-testid': 'history-entry', 'data-kind': e.kind, 'data-sequence': e.sequence },
        h('td', { class: 'muted' }, e.sequence),
        h('td', {}, fmtTime(e.at)),
        h('td', {}, h('span', { class: 'badge ' + (e.kind === 'deleted' ? 'Cancelled' : e.kind === 'paused' ? 'Pending' : 'Running'), 'data-testid': 'history-kind' }, e.kind)),
        h('td', { 'data-testid': 'history-summary' }, e.summary))))));
    setStatus(`${data.history.length} changes of ${name} · updated ${new Date().toLocaleTimeString()}`);
  };
  show(h('p', {}, h('a', { href: '#/schedules', 'data-testid': 'back' }, '← Schedules')),
    h('h1', {}, 'History of ', h('span', { 'data-testid': 'history-name' }, name)),
    h('p', { class: 'muted' }, 'Newest first; the store keeps each schedule\'s latest changes.'), list);
  await load();
  timer = setInterval(() => load().catch(e => setStatus(e.message, true)), 3000);
}

// ---- cluster ----
async function cluster() {
  const load = async () => {
    const data = await api('cluster');
    if (!data.clustered) {
      show(h('h1', {}, 'Cluster'), h('p', { class: 'placeholder', 'data-testid': 'not-clustered' },
        'Not clustered: this host runs its tasks on its own (start it with serve --cluster to see members here).'));
      return false;
    }
    const c = data.cluster;
    show(h('h1', {}, 'Cluster'),
      h('p', { class: 'muted' }, 'Seen from ', h('code', {}, c.selfAddress), ' · leader ', h('code', { 'data-testid': 'leader' }, c.leader ?? 'none')),
      c.taskCountsError ? h('p', { class: 'error' }, 'Tasks per node unknown: ' + c.taskCountsError) : '',
      h('table', { 'data-testid': 'members' },
        h('thead', {}, h('tr', {}, ['Member', 'Status', 'Roles', 'Reachable', 'Active tasks', 'Running', 'Queued'].map(x => h('th', {}, x)))),
        h('tbody', {}, c.members.map(m => h('tr', { 'data-member': m.address, 'data-self': m.isSelf ? 'true' : null },
          h('td', {}, h('code', {}, m.address), m.isSelf ? h('span', { class: 'muted' }, ' (this node)') : ''),
          h('td', {}, h('span', { class: 'badge ' + m.status, 'data-testid': 'member-status' }, m.status)),
          h('td', {}, m.roles.join(', ')),
          h('td', {}, m.reachable ? 'yes' : h('span', { class: 'error' }, 'unreachable')),
          h('td', { 'data-testid': 'active-tasks' }, m.activeTasks ?? '–'),
          h('td', { 'data-testid': 'running' }, m.running ?? '–'),
          h('td', {}, m.queued ?? '–'))))));
    setStatus(`${c.members.length} members · updated ${new Date().toLocaleTimeString()}`);
    return true;
  };
  if (await load()) timer = setInterval(() => load().catch(e => setStatus(e.message, true)), 3000);
}

function placeholder(title, text) {
  show(h('h1', {}, title), h('p', { class: 'placeholder', 'data-testid': 'placeholder' }, text));
}

async function route() {
  stopLive();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  const page = path === '/' ? 'overview' : path.split('/')[1];
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page);
  if (session.authRequired && !session.signedIn) { renderLogin(); return; }
  try {
    if (page === 'overview') await overview();
    else if (page === 'tasks' && path.split('/')[2]) await task(decodeURIComponent(path.split('/')[2]));
    else if (page === 'tasks') await tasks(params);
    else if (page === 'run') await run();
    else if (page === 'recipes') await recipes();
    else if (page === 'schedules' && path.split('/')[2]) await scheduleHistory(decodeURIComponent(path.split('/')[2]));
    else if (page === 'schedules') await schedules();
    else if (page === 'cluster') await cluster();
    else placeholder('Not found', 'No page ' + path);
  } catch (e) {
    if (e.status !== 401) { show(h('p', { class: 'error', 'data-testid': 'page-error' }, e.message)); setStatus(e.message, true); }
  }
}

window.addEventListener('hashchange', route);
(async () => {
  session = await fetch('api/session', { credentials: 'same-origin' }).then(r => r.json());
  applyMode();
  route();
})();
