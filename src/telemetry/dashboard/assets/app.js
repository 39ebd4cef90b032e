// Portero dashboard: plain JavaScript, no framework, served by Portero itself.
//
// Every value comes from Kubernetes objects that tenants write, so the page
// only ever builds DOM nodes and sets text (el() below); it never assigns
// HTML. The server's Content-Security-Policy forbids inline script besides.
//
// Live updates: an EventSource on /dashboard/api/events says when a new
// generation is applied, and the page refetches what it shows. When the
// stream is refused or fails, the page polls the summary every second.
'use strict';

const API = 'api/';
const PAGE_SIZE = 50;
const tabs = ['routes', 'hosts', 'certificates', 'diagnostics', 'changes'];
const state = { tab: 'routes', q: '', page: 1, generation: -1, shown: -1, loading: false, again: false, backends: [] };

/** Makes an element; strings among the children become text nodes, never markup. */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') node.className = value;
    else if (key === 'data') for (const [name, v] of Object.entries(value)) node.dataset[name] = v;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function replace(id, ...children) {
  const node = document.getElementById(id);
  node.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function ago(iso) {
  if (!iso) return '';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

function table(headers, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))), el('tbody', {}, rows));
}

function empty(text) {
  return el('div', { class: 'empty' }, text);
}

// --- summary -----------------------------------------------------------------

function renderSummary(summary) {
  replace('version', `v${summary.version}`);
  replace('generation', `generation ${summary.generation}`);
  const last = summary.lastChange;
  replace('last-change', last ? `last change: ${last.method}${last.reason ? ` (${last.reason})` : ''}, ${last.durationMs} ms, ${ago(last.time)}` : '');
  const c = summary.counts;
  const card = (label, value, cls) => el('div', { class: `card ${value > 0 ? cls || '' : ''}` }, el('b', {}, String(value)), label);
  replace('summary', card('Ingresses served', c.ingresses), card('Gateway routes', c.gatewayRoutes), card('Routes', c.routes), card('Hosts', c.hosts),
    card('Backends', c.backends), card('Endpoints', c.endpoints), card('Certificates', c.certificates), card('Errors', c.errors, 'bad'), card('Warnings', c.warnings, 'warn'));
}

// --- routes ------------------------------------------------------------------

function objectCell(row) {
  return el('td', {}, el('span', { class: 'kind' }, row.kind), `${row.namespace}/${row.name}`);
}

function settingsCell(settings) {
  if (settings.length === 0) return el('td', { class: 'muted' }, '—');
  return el('td', { class: 'mono' }, settings.map((s) => el('span', { class: 'setting' }, `${s.name}${s.value === '' ? '' : `: ${s.value}`}`, s.note ? el('span', { class: 'note' }, ` (${s.note})`) : null)));
}

function endpointLine(endpoint) {
  const live = endpoint.live;
  const stateName = live ? live.state : 'none';
  const label = live ? (endpoint.removed ? `${live.state} (leaving)` : live.state) : 'not in HAProxy';
  return el('span', { class: 'endpoint mono' }, el('span', { class: `state ${stateName}`, title: live ? live.status : '' }, label), endpoint.address,
    endpoint.backup ? ' (backup)' : '',
    live ? el('span', { class: 'muted' }, ` · ${live.current} now · ${live.total} total · ${live.errors5xx} 5xx · in ${bytes(live.bytesIn)} · out ${bytes(live.bytesOut)}`) : null);
}

function backendCell(backends, live) {
  if (backends.length === 0) return el('td', { class: 'muted' }, '—');
  return el('td', {}, backends.map((backend) => el('div', {},
    el('span', { class: 'mono' }, backend.service), backend.weight !== undefined ? el('span', { class: 'muted' }, ` weight ${backend.weight}`) : null,
    backend.problem ? el('div', { class: 'problem' }, backend.problem) : null,
    backend.ids.map((id) => {
      const info = live.get(id);
      // A Service with annotations or filters has one HAProxy section per set of them: say which is which.
      const label = backend.ids.length > 1 ? el('span', { class: 'kind mono' }, `section ${info && info.section ? info.section : id}`) : null;
      if (!info) return el('div', { class: 'muted', data: { backend: id } }, '…');
      if (info.endpoints.length === 0) return el('div', {}, label, el('div', { class: 'problem', data: { backend: id } }, 'no ready endpoints: answers 503'));
      return el('div', {}, label, el('div', { data: { backend: id } }, info.endpoints.map(endpointLine)));
    }))));
}

async function liveBackends(ids) {
  if (ids.length === 0) return new Map();
  const answer = await getJson(`${API}backends?ids=${encodeURIComponent(ids.join(','))}`);
  return new Map(answer.items.map((item) => [item.id, item]));
}

async function renderRoutes(page) {
  const ids = [...new Set(page.items.flatMap((row) => row.backends.flatMap((backend) => backend.ids)))];
  state.backends = ids;
  const live = await liveBackends(ids).catch(() => new Map());
  const rows = page.items.map((row) => el('tr', { data: { object: `${row.kind}/${row.namespace}/${row.name}` } },
    objectCell(row),
    el('td', { class: 'mono' }, row.host, row.listener ? el('span', { class: 'kind' }, `listener ${row.listener}`) : null),
    el('td', { class: 'mono' }, row.path),
    el('td', {}, row.match, row.conditions.map((condition) => el('span', { class: 'kind mono' }, condition))),
    settingsCell(row.settings),
    backendCell(row.backends, live)));
  return rows.length === 0 ? empty(state.q ? 'No route matches the search.' : 'No route is served.') : table(['Object', 'Host', 'Path', 'Match', 'Annotations / filters', 'Backend and endpoints (HAProxy state, live counters)'], rows);
}

/** Counters change without a new generation: refresh the endpoints of the routes shown, at most every two seconds. */
async function refreshCounters() {
  if (state.tab !== 'routes' || state.backends.length === 0 || document.visibilityState !== 'visible') return;
  const live = await liveBackends(state.backends).catch(() => undefined);
  if (!live) return;
  for (const node of document.querySelectorAll('[data-backend]')) {
    const info = live.get(node.dataset.backend);
    if (info && info.endpoints.length > 0) node.replaceChildren(...info.endpoints.map(endpointLine));
  }
}

// --- other views -------------------------------------------------------------

async function renderHosts(page) {
  const listeners = await getJson(`${API}listeners?size=200`);
  const hostRows = page.items.map((h) => el('tr', {}, el('td', { class: 'mono' }, h.host), el('td', { class: 'mono' }, h.scope || 'Ingress ports'), el('td', {}, String(h.routes)),
    el('td', { class: 'mono' }, h.fallback), el('td', {}, h.redirect ? 'HTTP → HTTPS' : ''), el('td', {}, h.clientAuth ? 'client certificates' : '')));
  const listenerRows = listeners.items.map((l) => el('tr', {}, el('td', {}, l.gateway ? `${l.gateway} / ${l.name}` : l.name), el('td', { class: 'mono' }, `${l.address}:${l.port}`),
    el('td', {}, l.protocol), el('td', { class: 'mono' }, l.hostname || '*'), el('td', {}, l.routes === null ? '' : String(l.routes))));
  return [el('h2', {}, 'Listeners'), table(['Listener', 'Address', 'Protocol', 'Hostname', 'Routes'], listenerRows),
    el('h2', {}, 'Hosts'), hostRows.length === 0 ? empty('No host is served.') : table(['Host', 'Scope', 'Routes', 'When no path matches', 'TLS', 'Client auth'], hostRows)];
}

function renderCertificates(page) {
  const rows = page.items.map((c) => el('tr', {}, el('td', { class: 'mono' }, c.secret), el('td', { class: 'mono' }, c.hosts.length === 0 ? '(SNI matching no host)' : c.hosts.join(', ')),
    el('td', {}, c.subject), el('td', {}, c.notAfter ? c.notAfter.slice(0, 10) : '?'), el('td', { class: c.daysLeft < 14 ? 'expiring' : '' }, `${c.daysLeft} days`)));
  return rows.length === 0 ? empty('No certificate.') : table(['Secret', 'Hosts', 'Subject', 'Expires', 'Left'], rows);
}

function renderDiagnostics(page) {
  const rows = page.items.map((d) => el('tr', {}, el('td', { class: d.severity }, d.severity),
    el('td', {}, d.object, d.location ? el('span', { class: 'kind mono' }, `refused in ${d.location}`) : null), el('td', { class: 'mono' }, d.field), el('td', {}, d.message)));
  return rows.length === 0 ? empty(state.q ? 'No diagnostic matches the search.' : 'No diagnostic: every object is served as written.') : table(['Severity', 'Object', 'Field', 'Message'], rows);
}

function renderChanges(answer) {
  const rows = answer.items.map((c) => el('tr', {}, el('td', {}, String(c.generation)), el('td', { title: c.time }, `${c.time.slice(11, 19)} (${ago(c.time)})`), el('td', {}, c.method),
    el('td', {}, c.reason || ''), el('td', {}, `${c.durationMs} ms`),
    el('td', { class: 'mono' }, c.counts ? Object.entries(c.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') : (c.detail || ''))));
  return rows.length === 0 ? empty('No change yet.') : table(['Generation', 'Time', 'How', 'Reason', 'Duration', 'What'], rows);
}

// --- explain -----------------------------------------------------------------

/** A URL in the search box is explained by /api/explain when Portero has it; otherwise it is searched as text. */
async function explain(url) {
  const panel = document.getElementById('explain');
  try {
    const response = await fetch(`/api/explain?method=GET&url=${encodeURIComponent(url)}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    const answer = await response.json();
    const fields = Object.entries(answer).map(([key, value]) => [el('dt', {}, key), el('dd', {}, typeof value === 'string' ? value : JSON.stringify(value, null, 1))]);
    panel.replaceChildren(el('strong', {}, `GET ${url}`), el('dl', {}, fields));
    panel.hidden = false;
    return true;
  } catch {
    panel.hidden = true;
    return false;
  }
}

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

// --- loading -----------------------------------------------------------------

function renderPager(page) {
  if (!page || page.pages <= 1) {
    replace('pager');
    return;
  }
  const go = (n) => () => { state.page = n; load(); };
  replace('pager', el('button', { type: 'button', onclick: go(1), ...(page.page === 1 ? { disabled: '' } : {}) }, '« first'),
    el('button', { type: 'button', onclick: go(page.page - 1), ...(page.page === 1 ? { disabled: '' } : {}) }, '‹ previous'),
    el('span', {}, `page ${page.page} of ${page.pages}`),
    el('button', { type: 'button', onclick: go(page.page + 1), ...(page.page === page.pages ? { disabled: '' } : {}) }, 'next ›'),
    el('button', { type: 'button', onclick: go(page.pages), ...(page.page === page.pages ? { disabled: '' } : {}) }, 'last »'));
}

async function load() {
  if (state.loading) {
    state.again = true;
    return;
  }
  state.loading = true;
  try {
    const generation = state.generation;
    const summary = await getJson(`${API}summary`);
    renderSummary(summary);
    let q = state.q;
    if (/^https?:\/\//i.test(q)) {
      // Explained when Portero has /api/explain; otherwise the routes of the URL's host are searched.
      if (await explain(q)) q = '';
      else q = hostOf(q);
    } else document.getElementById('explain').hidden = true;
    const query = `?q=${encodeURIComponent(q)}&page=${state.page}&size=${PAGE_SIZE}`;
    let view;
    let page;
    if (state.tab === 'changes') {
      view = renderChanges(await getJson(`${API}changes`));
    } else {
      page = await getJson(`${API}${state.tab}${query}`);
      state.page = page.page;
      view = state.tab === 'routes' ? await renderRoutes(page) : state.tab === 'hosts' ? await renderHosts(page) : state.tab === 'certificates' ? renderCertificates(page) : renderDiagnostics(page);
    }
    replace('view', view);
    replace('count', page ? `${page.total} ${page.total === 1 ? 'entry' : 'entries'}` : '');
    renderPager(page);
    state.shown = Math.max(generation, summary.generation);
    document.body.dataset.generation = String(state.shown);
  } catch (error) {
    replace('view', empty(`Cannot reach Portero: ${error.message}`));
  } finally {
    state.loading = false;
    if (state.again) {
      state.again = false;
      load();
    }
  }
}

function selectTab() {
  const wanted = location.hash.slice(1);
  state.tab = tabs.includes(wanted) ? wanted : 'routes';
  state.page = 1;
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', link.dataset.tab === state.tab);
  load();
}

function setLive(on, text) {
  const badge = document.getElementById('live');
  badge.className = `live ${on ? 'on' : 'off'}`;
  badge.textContent = text;
}

let polling;
function poll() {
  if (polling) return;
  setLive(false, 'polling every second');
  polling = setInterval(async () => {
    const summary = await getJson(`${API}summary`).catch(() => undefined);
    if (summary && summary.generation !== state.shown) changed(summary.generation);
  }, 1000);
}

function changed(generation) {
  if (generation === state.shown) return;
  state.generation = generation;
  load();
}

function connect() {
  if (typeof EventSource === 'undefined') return poll();
  const source = new EventSource(`${API}events`);
  source.addEventListener('open', () => setLive(true, 'live'));
  source.addEventListener('changed', (event) => changed(JSON.parse(event.data).generation));
  source.addEventListener('error', () => {
    // EventSource retries by itself; once it gives up (a refused stream), poll instead.
    if (source.readyState === EventSource.CLOSED) poll();
    else setLive(false, 'reconnecting');
  });
}

document.addEventListener('DOMContentLoaded', () => {
  let timer;
  document.getElementById('q').addEventListener('input', (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.q = event.target.value.trim(); state.page = 1; load(); }, 200);
  });
  document.getElementById('search').addEventListener('submit', (event) => event.preventDefault());
  window.addEventListener('hashchange', selectTab);
  setInterval(refreshCounters, 2000);
  selectTab();
  connect();
});
