// The review page: plain ES module, no dependencies. Everything it shows comes from the review API
// with the reviewer's key (kept in sessionStorage, sent as a bearer header, never in a URL).
const KEY_STORE = 'cityvision.reviewKey';
const PAGE = 60;
const THUMB_CONCURRENCY = 6;
const $ = (sel) => document.querySelector(sel);

const state = {
  key: sessionStorage.getItem(KEY_STORE),
  reviewer: '',
  labels: [],
  status: 'open',
  items: [],
  cursor: null,
  done: false,
  loading: false,
  generation: 0,
  selected: -1,
  marked: new Set(),
  detailFrame: null,
};

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.key}`, ...(options.headers || {}) };
  if (options.body) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { ...options, headers, cache: 'no-store' });
  if (response.status === 401) {
    signOut('Your key was not accepted; sign in again.');
    throw new ApiError(401, 'unauthorized', 'not signed in');
  }
  if (!response.ok) {
    let code = 'error';
    let message = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      code = body.error.code;
      message = body.error.message;
    } catch (ignored) { /* not JSON */ }
    throw new ApiError(response.status, code, message);
  }
  return options.raw ? response : response.json();
}

// ---------------------------------------------------------------- sign-in

async function signIn(key) {
  state.key = key;
  const session = await api('/v1/review/session');
  sessionStorage.setItem(KEY_STORE, key);
  state.reviewer = session.reviewer;
  state.labels = session.labels;
  $('#who').textContent = `signed in as ${session.reviewer}`;
  fillLabels();
  $('#signin').hidden = true;
  $('#app').hidden = false;
  selectStatus('open');
  window.CityVisionLive.start(liveHooks); // live.js: live queue and leases
}

function signOut(message = '') {
  if (state.key) window.CityVisionLive.stop(); // live.js: release leases, close the stream
  sessionStorage.removeItem(KEY_STORE);
  state.key = null;
  clearGrid();
  $('#app').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message;
  $('#key').value = '';
  $('#key').focus();
}

function fillLabels() {
  const filter = $('#f-label');
  const relabel = $('#d-relabel');
  filter.length = 1;
  relabel.length = 1;
  state.labels.forEach((label, i) => {
    filter.add(new Option(label, label));
    relabel.add(new Option(`${i + 1} ${label}`, label));
  });
  $('#help-labels').textContent = state.labels.map((l, i) => `${i + 1} ${l}`).join(', ');
}

// ---------------------------------------------------------------- grid

function query() {
  const p = new URLSearchParams({ status: state.status, limit: String(PAGE), order: $('#f-order').value });
  const camera = $('#f-camera').value.trim();
  if (camera) p.set('cameraId', camera);
  if ($('#f-label').value) p.set('label', $('#f-label').value);
  const since = $('#f-since').value;
  const until = $('#f-until').value;
  if (since) p.set('since', new Date(since).toISOString());
  if (until) p.set('until', new Date(until).toISOString());
  if (state.cursor) p.set('cursor', state.cursor);
  if (state.status === 'open') p.set('lease', String(window.CityVisionLive.LEASE_SECONDS)); // live.js: leases
  return p;
}

function clearGrid() {
  state.generation++;
  state.items = [];
  state.cursor = null;
  state.done = false;
  state.loading = false;
  state.selected = -1;
  state.marked.clear();
  for (const img of document.querySelectorAll('#grid img[src^="blob:"]')) URL.revokeObjectURL(img.src);
  $('#grid').replaceChildren();
  $('#list-status').textContent = '';
  updateSelectionInfo();
}

function reload() {
  window.CityVisionLive.reset(); // live.js: the banner's flags are loaded now
  clearGrid();
  closeDetail();
  loadMore();
  refreshCounts();
}

async function loadMore() {
  if (state.loading || state.done || !state.key) return;
  state.loading = true;
  const generation = state.generation;
  $('#list-status').textContent = 'Loading…';
  try {
    // A filtered page may come back empty with a cursor (the store stops at a scan bound): go on.
    let added = 0;
    do {
      const page = await api(`/v1/flags?${query()}`);
      if (generation !== state.generation) return;
      page.items.forEach(addTile);
      added += page.items.length;
      state.cursor = page.nextCursor;
      state.done = !page.nextCursor;
    } while (added === 0 && !state.done);
    if (state.selected < 0 && state.items.length) select(0);
    $('#list-status').textContent = state.done
      ? (state.items.length ? `${state.items.length} shown, end of list` : 'Nothing here.')
      : '';
  } catch (e) {
    if (generation === state.generation) $('#list-status').textContent = `Could not load: ${e.message}`;
  } finally {
    if (generation === state.generation) state.loading = false;
  }
  // The sentinel may still be visible (a tall screen): keep filling it.
  if (!state.done && generation === state.generation && isVisible($('#sentinel'))) loadMore();
}

function isVisible(el) {
  const r = el.getBoundingClientRect();
  return r.top < window.innerHeight + 800;
}

const knownCameras = new Set();

function addTile(flag) {
  if (!knownCameras.has(flag.cameraId)) {
    knownCameras.add(flag.cameraId);
    $('#cameras').append(new Option(flag.cameraId));
  }
  const index = state.items.length;
  state.items.push(flag);
  const tile = document.createElement('button');
  tile.type = 'button';
  tile.className = 'tile';
  tile.dataset.index = String(index);
  tile.dataset.frameId = flag.frameId;
  const img = document.createElement('img');
  img.alt = `${flag.label} at ${flag.cameraId}`;
  img.dataset.frameId = flag.frameId;
  const caption = document.createElement('span');
  caption.className = 'caption';
  caption.innerHTML = '<b></b> <span class="score"></span><br><span class="where"></span>';
  caption.querySelector('b').textContent = flag.label.replaceAll('_', ' ');
  caption.querySelector('.score').textContent = `${Math.round(flag.score * 100)}%`;
  caption.querySelector('.where').textContent = `${flag.cameraId} · ${when(flag.flaggedAt)}`;
  const badge = document.createElement('span');
  badge.className = 'badge';
  tile.append(img, caption, badge);
  tile.addEventListener('click', (e) => {
    if (e.shiftKey || e.ctrlKey || e.metaKey) toggleMark(index);
    else select(index);
  });
  tile.addEventListener('dblclick', () => openDetail(index));
  $('#grid').append(tile);
  renderTile(index);
  thumbObserver.observe(img);
}

function renderTile(index) {
  const tile = tileAt(index);
  const flag = state.items[index];
  tile.dataset.status = flag.status;
  tile.classList.toggle('marked', state.marked.has(index));
  const badge = tile.querySelector('.badge');
  badge.textContent = flag.status === 'open' ? ''
    : flag.status === 'relabelled' ? `→ ${flag.verdictLabel}` : flag.status;
}

const tileAt = (index) => document.querySelector(`.tile[data-index="${index}"]`);

function when(iso) {
  const d = new Date(iso);
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

// Thumbnails: fetched with the key when a tile comes near the viewport, a few at a time.
const thumbQueue = [];
let thumbsInFlight = 0;
const thumbObserver = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (entry.isIntersecting) {
      thumbObserver.unobserve(entry.target);
      thumbQueue.push(entry.target);
    }
  }
  pumpThumbs();
}, { rootMargin: '400px' });

function pumpThumbs() {
  while (thumbsInFlight < THUMB_CONCURRENCY && thumbQueue.length) {
    const img = thumbQueue.shift();
    if (!img.isConnected) continue;
    thumbsInFlight++;
    loadImage(img, img.dataset.frameId, 'thumbnail')
      .catch(() => loadImage(img, img.dataset.frameId, 'image'))
      .catch(() => img.classList.add('broken'))
      .finally(() => { thumbsInFlight--; pumpThumbs(); });
  }
}

async function loadImage(img, frameId, kind) {
  const response = await api(`/v1/frames/${encodeURIComponent(frameId)}/${kind}`, { raw: true });
  const blob = await response.blob();
  if (!img.isConnected) return;
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(blob);
}

new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) loadMore();
}, { rootMargin: '800px' }).observe(document.getElementById('sentinel'));

// ---------------------------------------------------------------- selection

function select(index) {
  if (index < 0 || index >= state.items.length) return;
  tileAt(state.selected)?.classList.remove('selected');
  state.selected = index;
  const tile = tileAt(index);
  tile.classList.add('selected');
  tile.scrollIntoView({ block: 'nearest' });
  if (!$('#detail').hidden) openDetail(index);
  if (index >= state.items.length - 8) loadMore();
}

function toggleMark(index) {
  if (state.marked.has(index)) state.marked.delete(index);
  else state.marked.add(index);
  renderTile(index);
  updateSelectionInfo();
}

function updateSelectionInfo() {
  $('#selection-info').textContent = state.marked.size
    ? `${state.marked.size} marked: the next verdict applies to all of them` : '';
}

function columns() {
  const tiles = document.querySelectorAll('.tile');
  if (!tiles.length) return 1;
  const top = tiles[0].offsetTop;
  let n = 0;
  while (n < tiles.length && tiles[n].offsetTop === top) n++;
  return Math.max(1, n);
}

// ---------------------------------------------------------------- verdicts

async function judge(verdict, label, override) {
  const targets = state.marked.size ? [...state.marked].sort((a, b) => a - b) : [state.selected];
  if (targets[0] < 0 || targets[0] === undefined) return;
  const note = !$('#detail').hidden ? $('#d-note').value.trim() : '';
  const body = (index) => {
    const v = { verdict };
    if (label) v.label = label;
    if (note) v.note = note;
    if (override) v.override = true;
    return v;
  };
  try {
    if (targets.length === 1) {
      const flag = await api(`/v1/flags/${encodeURIComponent(state.items[targets[0]].frameId)}/review`,
        { method: 'POST', body: JSON.stringify(body(targets[0])) });
      applied(targets[0], flag);
    } else {
      const items = targets.map((i) => ({ frameId: state.items[i].frameId, ...body(i) }));
      const out = await api('/v1/flags/review', { method: 'POST', body: JSON.stringify({ items }) });
      out.results.forEach((r, k) => {
        if (r.status === 200) applied(targets[k], r.flag);
      });
      state.marked.clear();
      targets.forEach(renderTile);
      updateSelectionInfo();
      toast(out.failed ? `${out.succeeded} judged, ${out.failed} not (already judged or gone)` : `${out.succeeded} judged`);
    }
    $('#d-note').value = '';
    const next = targets[targets.length - 1] + 1;
    if (next < state.items.length) select(next);
    else loadMore();
    refreshCounts();
  } catch (e) {
    if (e.status === 409) toast(`${e.message} — hold Shift with the key to override.`, true);
    else if (e.status !== 401) toast(`Not saved: ${e.message}`, true);
  }
}

function applied(index, flag) {
  state.items[index] = flag;
  renderTile(index);
}

// ---------------------------------------------------------------- counts

let countsTimer = null;
function refreshCounts() {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(async () => {
    try {
      showCounts(await api('/v1/flags/counts'));
    } catch (ignored) { /* shown as stale */ }
  }, 250);
}

function showCounts(counts) {
  for (const status of ['open', 'confirmed', 'rejected', 'relabelled']) {
    const el = document.querySelector(`[data-count="${status}"]`);
    if (el && counts[status]) el.textContent = `${counts[status].count}${counts[status].atLeast ? '+' : ''}`;
  }
}

// What live.js (the live queue and leases) reads from and calls back into the page.
const liveHooks = {
  key: () => state.key,
  filters: () => ({ status: state.status, cameraId: $('#f-camera').value.trim(), label: $('#f-label').value }),
  shown: (frameId) => state.items.some((f) => f.frameId === frameId),
  leasedIds: () => state.items.filter((f) => f.status === 'open').map((f) => f.frameId),
  showCounts,
  reload: () => reload(),
};

function selectStatus(status) {
  state.status = status;
  for (const b of document.querySelectorAll('#tabs button')) {
    b.setAttribute('aria-pressed', String(b.dataset.status === status));
  }
  reload();
}

// ---------------------------------------------------------------- detail

async function openDetail(index) {
  const flag = state.items[index];
  if (!flag) return;
  state.detailFrame = flag.frameId;
  const detail = $('#detail');
  detail.hidden = false;
  document.body.classList.add('with-detail');
  $('#d-title').textContent = `${flag.label.replaceAll('_', ' ')} · ${Math.round(flag.score * 100)}%`;
  const meta = $('#d-meta');
  meta.replaceChildren();
  const row = (k, v) => {
    if (v === null || v === undefined || v === '') return;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    meta.append(dt, dd);
  };
  row('Camera', flag.cameraId);
  row('Captured', new Date(flag.capturedAt).toLocaleString());
  row('Model', `${flag.model} ${flag.modelVersion}`);
  row('Status', flag.status === 'relabelled' ? `relabelled → ${flag.verdictLabel}` : flag.status);
  row('Reviewer', flag.reviewer && `${flag.reviewer}, ${new Date(flag.reviewedAt).toLocaleString()}`);
  row('Note', flag.note);
  row('Frame', flag.frameId);
  $('#d-results').replaceChildren();
  $('#d-history').replaceChildren();
  const img = $('#d-image');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.removeAttribute('src');
  const frameId = flag.frameId;
  loadImage(img, frameId, 'image').catch(() => {});
  try {
    const [frame, recent] = await Promise.all([
      api(`/v1/frames/${encodeURIComponent(frameId)}`),
      api(`/v1/flags/recent?cameraId=${encodeURIComponent(flag.cameraId)}&limit=10`),
    ]);
    if (state.detailFrame !== frameId) return;
    renderResults(frame.results);
    renderHistory(recent.items, frameId);
  } catch (e) {
    if (state.detailFrame === frameId) $('#d-results').textContent = `Could not load: ${e.message}`;
  }
}

function renderResults(results) {
  const box = $('#d-results');
  for (const r of results) {
    const block = document.createElement('div');
    block.className = 'result';
    const h = document.createElement('div');
    h.className = 'muted';
    h.textContent = `${r.model} ${r.version} · ${new Date(r.classifiedAt).toLocaleString()}`;
    block.append(h);
    for (const t of (r.result.top || [])) {
      const bar = document.createElement('div');
      bar.className = 'topk';
      const fill = document.createElement('span');
      fill.className = 'fill';
      fill.style.width = `${Math.max(1, Math.round(t.score * 100))}%`;
      const text = document.createElement('span');
      text.className = 'bar-text';
      text.textContent = `${t.label.replaceAll('_', ' ')} ${(t.score * 100).toFixed(1)}%`;
      bar.append(fill, text);
      block.append(bar);
    }
    box.append(block);
  }
}

function renderHistory(items, current) {
  const list = $('#d-history');
  for (const f of items) {
    const li = document.createElement('li');
    if (f.frameId === current) li.className = 'current';
    const img = document.createElement('img');
    img.alt = '';
    img.dataset.frameId = f.frameId;
    const text = document.createElement('span');
    text.textContent = `${when(f.flaggedAt)} · ${f.label.replaceAll('_', ' ')} · ${f.status}`;
    li.append(img, text);
    list.append(li);
    thumbObserver.observe(img);
  }
}

function closeDetail() {
  $('#detail').hidden = true;
  document.body.classList.remove('with-detail');
  state.detailFrame = null;
}

// ---------------------------------------------------------------- keyboard and wiring

let toastTimer = null;
function toast(message, bad = false) {
  const t = $('#toast');
  t.textContent = message;
  t.classList.toggle('bad', bad);
  t.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('shown'), 4000);
}

function onKey(e) {
  if ($('#app').hidden) return;
  const typing = e.target.closest('input, select, textarea');
  if (e.key === 'Escape') {
    if (!$('#help').hidden) $('#help').hidden = true;
    else closeDetail();
    if (typing) e.target.blur();
    return;
  }
  if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
  const digit = /^Digit([1-9])$/.exec(e.code);
  let handled = true;
  if (e.key === '?') $('#help').hidden = !$('#help').hidden;
  else if (e.code === 'KeyC') judge('confirm', null, e.shiftKey);
  else if (e.code === 'KeyX') judge('reject', null, e.shiftKey);
  else if (digit) {
    const label = state.labels[Number(digit[1]) - 1];
    if (label) judge('relabel', label, e.shiftKey);
  } else if (e.key === 'ArrowRight') select(state.selected + 1);
  else if (e.key === 'ArrowLeft') select(state.selected - 1);
  else if (e.key === 'ArrowDown') select(Math.min(state.items.length - 1, state.selected + columns()));
  else if (e.key === 'ArrowUp') select(Math.max(0, state.selected - columns()));
  else if (e.key === ' ') { if (state.selected >= 0) toggleMark(state.selected); }
  else if (e.key === 'Enter') openDetail(state.selected);
  else handled = false;
  if (handled) e.preventDefault();
}

function wire() {
  $('#signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('#signin-error').textContent = '';
    try {
      await signIn($('#key').value.trim());
    } catch (err) {
      state.key = null;
      if (err.status !== 401) $('#signin-error').textContent = `Sign-in failed: ${err.message}`;
      else $('#signin-error').textContent = 'That key was not accepted.';
    }
  });
  $('#signout').addEventListener('click', () => signOut());
  $('#help-button').addEventListener('click', () => { $('#help').hidden = !$('#help').hidden; });
  $('#d-close').addEventListener('click', closeDetail);
  $('#tabs').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-status]');
    if (b) selectStatus(b.dataset.status);
  });
  $('#filters').addEventListener('submit', (e) => { e.preventDefault(); reload(); });
  $('#f-order').addEventListener('change', reload);
  $('#f-label').addEventListener('change', reload);
  $('#f-clear').addEventListener('click', () => { $('#filters').reset(); reload(); });
  for (const b of document.querySelectorAll('#detail [data-verdict]')) {
    b.addEventListener('click', (e) => judge(b.dataset.verdict, null, e.shiftKey));
  }
  $('#d-relabel').addEventListener('change', (e) => {
    if (e.target.value) judge('relabel', e.target.value, false);
    e.target.value = '';
  });
  document.addEventListener('keydown', onKey);
}

wire();
if (state.key) {
  signIn(state.key).catch(() => signOut());
} else {
  signOut();
}
