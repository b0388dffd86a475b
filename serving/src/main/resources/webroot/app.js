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
  role: 'reviewer',
  models: {},
  notes: new Map(),
  anchor: -1,
  pendingFrame: null,
  pendingPages: 0,
  grouped: false,
  groups: new Set(),
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
  state.models = session.models || {};
  state.role = session.role || 'reviewer';
  $('#who').textContent = `signed in as ${session.reviewer}`;
  $('#admin-button').hidden = state.role !== 'admin';
  fillModels();
  const status = readUrl();
  $('#signin').hidden = true;
  $('#app').hidden = false;
  selectStatus(status);
  refreshAlertCount();
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

// The label filter offers the chosen queue's labels (every model's, without a queue); the relabel
// menu and the keys 1-9 offer the labels of the selected flag's own model.
function fillLabels() {
  const filter = $('#f-label');
  const kept = filter.value;
  filter.length = 1;
  const model = $('#f-model').value;
  const labels = model ? (state.models[model] || []) : [...new Set([state.labels, ...Object.values(state.models)].flat())];
  labels.forEach((label) => filter.add(new Option(label, label)));
  filter.value = labels.includes(kept) ? kept : '';
  fillRelabel(state.items[state.selected]);
}

function fillModels() {
  const select = $('#f-model');
  select.length = 1;
  Object.keys(state.models).forEach((name) => select.add(new Option(`${name} (${state.models[name].length} labels)`, name)));
  fillLabels();
}

function labelsFor(flag) {
  return (flag && state.models[flag.model]) || state.labels;
}

function fillRelabel(flag) {
  const relabel = $('#d-relabel');
  relabel.length = 1;
  const labels = labelsFor(flag);
  labels.forEach((label, i) => relabel.add(new Option(`${i < 9 ? i + 1 : ' '} ${label}`, label)));
  $('#help-labels').textContent = `${flag ? `(${flag.model}) ` : ''}${labels.slice(0, 9).map((l, i) => `${i + 1} ${l}`).join(', ')}`;
}

// ---------------------------------------------------------------- grid

function query() {
  const p = new URLSearchParams({ status: state.status, limit: String(PAGE), order: $('#f-order').value });
  const camera = $('#f-camera').value.trim();
  if (camera) p.set('cameraId', camera);
  if ($('#f-model').value) p.set('model', $('#f-model').value);
  const min = $('#f-min').value;
  const max = $('#f-max').value;
  if (min !== '') p.set('minScore', String(Number(min) / 100));
  if (max !== '') p.set('maxScore', String(Number(max) / 100));
  const reviewer = $('#f-reviewer').value.trim();
  if (reviewer) p.set('reviewer', reviewer);
  if ($('#f-label').value) p.set('label', $('#f-label').value);
  const since = $('#f-since').value;
  const until = $('#f-until').value;
  if (since) p.set('since', new Date(since).toISOString());
  if (until) p.set('until', new Date(until).toISOString());
  if (state.grouped) p.set('group', 'true');
  if (state.cursor) p.set('cursor', state.cursor);
  // live.js: the open queue is leased, except when filtered by score or reviewer (the API refuses
  // leases there: a filter applied after leasing would hold frames nobody sees).
  if (state.status === 'open' && min === '' && max === '' && !reviewer) {
    p.set('lease', String(window.CityVisionLive.LEASE_SECONDS));
  }
  return p;
}

function clearGrid() {
  state.generation++;
  state.items = [];
  state.cursor = null;
  state.done = false;
  state.loading = false;
  state.selected = -1;
  state.anchor = -1;
  state.marked.clear();
  state.groups.clear();
  for (const img of document.querySelectorAll('#grid img[src^="blob:"]')) URL.revokeObjectURL(img.src);
  $('#grid').replaceChildren();
  $('#list-status').textContent = '';
  updateSelectionInfo();
}

function reload() {
  window.CityVisionLive.reset(); // live.js: the banner's flags are loaded now
  clearGrid();
  closeDetail();
  writeUrl();
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
      // A group whose first member was on an earlier page is shown already (with all its members).
      const fresh = page.items.filter((f) => !f.group || !state.groups.has(f.group));
      fresh.forEach(addTile);
      added += fresh.length;
      state.cursor = page.nextCursor;
      state.done = !page.nextCursor;
    } while (added === 0 && !state.done);
    if (!restoreLinkedFrame() && state.selected < 0 && state.items.length) select(0);
    $('#list-status').textContent = state.done
      ? (state.items.length ? `${state.items.length} shown, end of list` : 'Nothing here.')
      : '';
  } catch (e) {
    if (generation === state.generation) $('#list-status').textContent = `Could not load: ${e.message}`;
  } finally {
    if (generation === state.generation) state.loading = false;
  }
  // The sentinel may still be visible (a tall screen): keep filling it.
  if (!state.done && generation === state.generation && (isVisible($('#sentinel')) || state.pendingFrame)) loadMore();
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
  if (flag.group) state.groups.add(flag.group);
  if (flag.groupSize > 1) {
    // One tile for the group's near-identical frames; one verdict judges them all.
    const count = document.createElement('span');
    count.className = 'group-count';
    count.textContent = `×${flag.groupSize}`;
    count.title = `${flag.groupSize} near-identical frames: one verdict judges them all`;
    tile.classList.add('grouped');
    tile.dataset.groupSize = String(flag.groupSize);
    tile.append(count);
  }
  tile.addEventListener('click', (e) => {
    if (e.shiftKey) markRange(state.anchor < 0 ? index : state.anchor, index);
    else if (e.ctrlKey || e.metaKey) toggleMark(index);
    else select(index);
    if (!e.shiftKey) state.anchor = index;
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
  state.anchor = index;
  const tile = tileAt(index);
  tile.classList.add('selected');
  tile.scrollIntoView({ block: 'nearest' });
  if (!$('#detail').hidden) openDetail(index);
  else fillRelabel(state.items[index]);
  writeUrl();
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
  // Each frame's own note (typed in its detail view), whether or not the detail view is open now.
  const body = (index) => {
    const v = { verdict };
    const note = (state.notes.get(state.items[index].frameId) || '').trim();
    if (label) v.label = label;
    if (note) v.note = note;
    if (override) v.override = true;
    return v;
  };
  const judged = [];
  const group = (index) => state.items[index].groupSize > 1 && state.items[index].members;
  // The next tile is selected as the key is pressed, so the reviewer looks at it while the verdict
  // is stored; a verdict that fails brings the selection back to its frame.
  const number = ++verdictsPressed;
  const next = targets[targets.length - 1] + 1;
  const before = new Map(targets.flatMap((i) => (group(i) || [state.items[i].frameId])
    .map((frameId) => [frameId, state.items[i].status])));
  if (next < state.items.length) select(next);
  targets.forEach((i) => tileAt(i)?.classList.add('saving'));
  try {
    if (targets.length === 1 && group(targets[0]) && !override) {
      // One verdict for the group's frames the reviewer saw; one judged meanwhile by someone else
      // is reported, never overwritten.
      const head = state.items[targets[0]];
      const out = await api(`/v1/flag-groups/${encodeURIComponent(head.group)}/review`,
        { method: 'POST', body: JSON.stringify({ ...body(targets[0]), members: head.members }) });
      for (const r of out.results) {
        if (r.status !== 200) continue;
        judged.push(r.flag);
        if (r.frameId === head.frameId) applied(targets[0], r.flag);
      }
      if (!judged.some((f) => f.frameId === head.frameId) && judged.length) {
        applied(targets[0], { ...head, status: judged[0].status, verdictLabel: judged[0].verdictLabel });
      }
      toast(out.failed
        ? `${out.succeeded} of the group judged; ${out.failed} not (judged by someone else meanwhile)`
        : `${verdictWord(judged[0])} All ${out.succeeded} frames of the group.`, out.failed > 0, judged.length > 0);
    } else if (targets.length === 1 && !group(targets[0])) {
      const flag = await api(`/v1/flags/${encodeURIComponent(state.items[targets[0]].frameId)}/review`,
        { method: 'POST', body: JSON.stringify(body(targets[0])) });
      applied(targets[0], flag);
      judged.push(flag);
      toast(`${verdictWord(flag)}`, false, true);
    } else {
      // A group among the marks (or a group overridden with Shift) stands for each of its members.
      const items = targets.flatMap((i) => (group(i) || [state.items[i].frameId])
        .map((frameId) => ({ frameId, ...body(i) })));
      const out = await api('/v1/flags/review', { method: 'POST', body: JSON.stringify({ items }) });
      out.results.forEach((r) => {
        if (r.status !== 200) return;
        judged.push(r.flag);
        const k = targets.find((i) => state.items[i].frameId === r.frameId);
        if (k !== undefined) applied(k, r.flag);
      });
      state.marked.clear();
      targets.forEach(renderTile);
      updateSelectionInfo();
      toast(out.failed ? `${out.succeeded} judged, ${out.failed} not (already judged or gone)` : `${out.succeeded} judged`,
        false, judged.length > 0);
    }
    rememberVerdicts(judged, number);
    judged.forEach((f) => state.notes.delete(f.frameId));
    if (next >= state.items.length) loadMore();
    movedCounts(before, judged);
    refreshCounts();
  } catch (e) {
    if (state.selected === next || next >= state.items.length) select(targets[0]);
    if (e.status === 409) toast(`${e.message} — hold Shift with the key to override.`, true);
    else if (e.status !== 401) toast(`Not saved: ${e.message}`, true);
  } finally {
    targets.forEach((i) => tileAt(i)?.classList.remove('saving'));
  }
}

// A tile's flag after a verdict or an undo; a group's tile keeps standing for its members.
function applied(index, flag) {
  const before = state.items[index];
  state.items[index] = before?.groupSize > 1 ? { ...flag, groupSize: before.groupSize, members: before.members } : flag;
  renderTile(index);
}

// ---------------------------------------------------------------- counts

// At once after a verdict; verdicts while a request is out cost one more request, not one each. A
// verdict's answer moves its frames between the counts on screen before that request returns
// (movedCounts); an answer to a request sent before such a move may predate it and is not shown.
let countsLoading = false;
let countsAgain = false;
let countsEpoch = 0;
let shownCounts = null;
// The move a counts answer last confirmed: until it reaches countsEpoch, a live event may have been
// counted before the latest move and is not shown.
let confirmedEpoch = 0;
let shownRevision = -1;
// Verdicts the counts on screen include already, from live events: frameId → status counted.
const countedChanges = new Map();
async function refreshCounts() {
  if (countsLoading) {
    countsAgain = true;
    return;
  }
  countsLoading = true;
  try {
    do {
      countsAgain = false;
      const epoch = countsEpoch;
      try {
        const counts = await api('/v1/flags/counts');
        if (epoch === countsEpoch) {
          confirmedEpoch = epoch;
          showCounts(counts);
        } else {
          countsAgain = true;
        }
      } catch (ignored) {
        confirmedEpoch = countsEpoch; /* shown as stale; live events show counts again */
      }
    } while (countsAgain);
  } finally {
    countsLoading = false;
  }
}

// Counts carry the counter revision they were read at: an answer that arrives after a newer one is
// not shown. A local move keeps the revision it started from.
function showCounts(counts) {
  if (typeof counts.revision === 'number') {
    if (counts.revision < shownRevision) return;
    shownRevision = counts.revision;
  }
  shownCounts = counts;
  for (const status of ['open', 'confirmed', 'rejected', 'relabelled']) {
    const el = document.querySelector(`[data-count="${status}"]`);
    if (el && counts[status]) el.textContent = `${counts[status].count}${counts[status].atLeast ? '+' : ''}`;
  }
}

// Frames whose status the server just changed (from: frameId → status before) move between the counts.
function movedCounts(from, flags) {
  if (!shownCounts || !flags.length) return;
  const counts = structuredClone(shownCounts);
  for (const f of flags) {
    const was = from.get(f.frameId);
    if (!was || was === f.status || !counts[was] || !counts[f.status]) continue;
    const counted = countedChanges.get(f.frameId) === f.status; // a live event counted it first
    countedChanges.delete(f.frameId);
    if (counted) continue;
    counts[was].count--;
    counts[f.status].count++;
  }
  countsEpoch++;
  showCounts(counts);
}

// Counts from the live stream, with the changes they include.
function liveCounts(counts, changes = []) {
  if (confirmedEpoch !== countsEpoch) return;
  if (countedChanges.size > 1000) countedChanges.clear();
  for (const c of changes) countedChanges.set(c.frameId, c.status);
  showCounts(counts);
}

// What live.js (the live queue and leases) reads from and calls back into the page.
const liveHooks = {
  key: () => state.key,
  filters: () => ({ status: state.status, cameraId: $('#f-camera').value.trim(), label: $('#f-label').value,
    model: $('#f-model').value }),
  shown: (frameId) => state.items.some((f) => f.frameId === frameId),
  // A group's tile holds all its open members: renewing their leases claims the ones beyond the page too.
  leasedIds: () => state.items.filter((f) => f.status === 'open').flatMap((f) => f.members || [f.frameId]),
  showCounts: liveCounts,
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
  $('#d-note').value = state.notes.get(flag.frameId) || '';
  fillRelabel(flag);
  resetZoom();
  const detail = $('#detail');
  detail.dataset.frameId = flag.frameId;
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
  if (flag.groupSize > 1) row('Group', `${flag.groupSize} near-identical frames; a verdict judges them all`);
  $('#d-results').replaceChildren();
  $('#d-history').replaceChildren();
  $('#d-strip').replaceChildren();
  $('#d-camera').replaceChildren();
  loadCamera(flag.cameraId, flag.frameId);
  const img = $('#d-image');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.removeAttribute('src');
  const frameId = flag.frameId;
  loadImage(img, frameId, 'image').catch(() => {});
  try {
    const [frame, recent, previous] = await Promise.all([
      api(`/v1/frames/${encodeURIComponent(frameId)}`),
      api(`/v1/flags/recent?cameraId=${encodeURIComponent(flag.cameraId)}&limit=10`),
      api(`/v1/frames/${encodeURIComponent(frameId)}/previous?limit=8`),
    ]);
    if (state.detailFrame !== frameId) return;
    renderResults(frame.results);
    renderHistory(recent.items, frameId);
    renderStrip(flag, previous.items);
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

// The camera's recent flags (every status), in the side panel; a click shows that frame in the viewer.
function renderHistory(items, current) {
  const list = $('#d-history');
  for (const f of items) {
    list.append(historyItem(f.frameId, `${when(f.flaggedAt)} · ${f.label.replaceAll('_', ' ')} · ${f.status}`, current, false));
  }
}

// H: this frame and the frames its camera sent in the hour before (flagged or not), side by side.
function renderStrip(flag, previous) {
  const strip = $('#d-strip');
  strip.append(historyItem(flag.frameId, `this frame · ${when(flag.capturedAt)}`, flag.frameId, true));
  for (const f of previous) strip.append(historyItem(f.frameId, when(f.capturedAt), flag.frameId, true));
}

function historyItem(frameId, caption, current, big) {
  const li = document.createElement('li');
  if (frameId === current) li.className = 'current';
  li.dataset.frameId = frameId;
  const img = document.createElement('img');
  img.alt = caption;
  img.dataset.frameId = frameId;
  const text = document.createElement('span');
  text.textContent = caption;
  li.append(img, big ? document.createElement('br') : '', text);
  li.title = 'Show this frame in the viewer (the verdict keys still judge the selected frame)';
  li.addEventListener('click', () => compareWith(frameId, caption, current));
  queueMicrotask(() => thumbObserver.observe(img)); // once the caller has put it in the page
  return li;
}

function closeDetail() {
  if (viewer.full) toggleFullscreen();
  $('#detail').hidden = true;
  document.body.classList.remove('with-detail');
  state.detailFrame = null;
}

// ---------------------------------------------------------------- keyboard and wiring

let toastTimer = null;
function toast(message, bad = false, undoable = false) {
  const t = $('#toast');
  $('#toast-text').textContent = message;
  $('#toast-undo').hidden = !undoable;
  t.classList.toggle('bad', bad);
  t.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('shown'), undoable ? UNDO_MS : 4000);
}

function onKey(e) {
  if ($('#app').hidden) return;
  if (capturing) {
    captureKey(e);
    return;
  }
  const typing = e.target.closest('input, select, textarea');
  if (e.key === 'Escape') {
    // Esc in a field only leaves it (a note stays with its frame); outside, it closes what is open.
    if (typing) e.target.blur();
    else if (!$('#help').hidden) $('#help').hidden = true;
    else if (!$('#admin').hidden) closeAdmin();
    else if (!$('#alerts').hidden) closeAlerts();
    else if (viewer.full) toggleFullscreen();
    else closeDetail();
    return;
  }
  if (!typing && !$('#alerts').hidden && alertKey(e)) return;
  if (typing) {
    if (e.target.id === 'd-note' && e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      judge('confirm', null, e.shiftKey);
    }
    return;
  }
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  // A focused button answers Enter and Space itself (a keyboard-only reviewer's click); tiles are ours.
  if ((e.key === 'Enter' || e.key === ' ') && e.target.closest('button:not(.tile)')) return;
  const name = keyName(e);
  const action = ACTIONS.find((a) => keymap[a.id] === name);
  // While a panel is open only its own key (and Esc) act, never a verdict behind it.
  if (!$('#help').hidden && action?.id !== 'help') return;
  if (!$('#admin').hidden && action?.id !== 'admin' && action?.id !== 'help') return;
  if (!$('#alerts').hidden && action?.id !== 'alerts' && action?.id !== 'help') return;
  const digit = /^Digit([1-9])$/.exec(e.code);
  if (digit && !action) {
    const label = labelsFor(state.items[state.selected])[Number(digit[1]) - 1];
    if (label) judge('relabel', label, e.shiftKey);
    e.preventDefault();
    return;
  }
  if (!action) return;
  e.preventDefault();
  action.run(e);
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
  $('#help-button').addEventListener('click', toggleHelp);
  $('#d-close').addEventListener('click', closeDetail);
  $('#tabs').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-status]');
    if (b) selectStatus(b.dataset.status);
  });
  $('#filters').addEventListener('submit', (e) => { e.preventDefault(); reload(); });
  $('#f-order').addEventListener('change', reload);
  $('#f-label').addEventListener('change', reload);
  $('#f-model').addEventListener('change', () => { fillLabels(); reload(); });
  $('#f-clear').addEventListener('click', () => { $('#filters').reset(); fillLabels(); reload(); });
  $('#select-all').addEventListener('click', markAll);
  $('#group-toggle').addEventListener('click', toggleGrouping);
  $('#d-note').addEventListener('input', (e) => {
    if (!state.detailFrame) return;
    if (e.target.value) state.notes.set(state.detailFrame, e.target.value);
    else state.notes.delete(state.detailFrame);
  });
  $('#toast-undo').addEventListener('click', undo);
  wireViewer();
  wireAdmin();
  wireAlerts();
  wireKeymap();
  for (const b of document.querySelectorAll('#detail [data-verdict]')) {
    b.addEventListener('click', (e) => judge(b.dataset.verdict, null, e.shiftKey));
  }
  $('#d-relabel').addEventListener('change', (e) => {
    if (e.target.value) judge('relabel', e.target.value, false);
    e.target.value = '';
  });
  document.addEventListener('keydown', onKey);
}


// ---------------------------------------------------------------- marks: all on the page, Shift ranges

function markAll() {
  const all = state.items.length > 0 && state.items.every((_, i) => state.marked.has(i));
  state.items.forEach((_, i) => {
    if (all) state.marked.delete(i);
    else state.marked.add(i);
    renderTile(i);
  });
  updateSelectionInfo();
}

function markRange(from, to) {
  const [a, b] = from <= to ? [from, to] : [to, from];
  for (let i = a; i <= b; i++) {
    state.marked.add(i);
    renderTile(i);
  }
  updateSelectionInfo();
}

// ---------------------------------------------------------------- undo: Z or the toast's button

const UNDO_MS = 10_000;
let lastVerdicts = null;

// Verdicts are numbered as their keys are pressed: with several in flight, the last key's verdict is
// the one Z undoes, whichever answer comes back last.
let verdictsPressed = 0;
let lastVerdictNumber = 0;
function rememberVerdicts(flags, number) {
  if (number < lastVerdictNumber) return;
  lastVerdictNumber = number;
  lastVerdicts = flags.length ? { flags, until: Date.now() + UNDO_MS } : null;
}

function verdictWord(flag) {
  const what = flag.status === 'relabelled' ? `Relabelled to ${flag.verdictLabel.replaceAll('_', ' ')}` : flag.status === 'confirmed' ? 'Confirmed' : 'Rejected';
  return `${what}${flag.note ? ' with a note' : ''}.`;
}

// Takes the last verdict (or bulk verdict) back through POST /v1/flags/{frameId}/reopen, naming the
// revision each verdict created: if anyone judged the frame since, the server answers 409 and nothing changes.
async function undo() {
  const last = lastVerdicts;
  if (!last || Date.now() > last.until) {
    toast('Nothing to undo: the last verdict can be undone for 10 seconds.', true);
    return;
  }
  lastVerdicts = null;
  let undone = 0;
  let first = -1;
  const refused = [];
  const reopened = [];
  for (const f of last.flags) {
    try {
      const flag = await api(`/v1/flags/${encodeURIComponent(f.frameId)}/reopen`,
        { method: 'POST', body: JSON.stringify({ revision: f.revision }) });
      const index = state.items.findIndex((i) => i.frameId === f.frameId);
      if (index >= 0) {
        applied(index, flag);
        if (first < 0) first = index;
      }
      reopened.push(flag);
      undone++;
    } catch (e) {
      if (e.status === 401) return;
      refused.push(e.message);
    }
  }
  if (first >= 0) select(first);
  movedCounts(new Map(last.flags.map((f) => [f.frameId, f.status])), reopened);
  refreshCounts();
  if (refused.length) toast(`${undone ? `${undone} undone; ` : ''}not undone: ${refused[0]}`, true);
  else toast(undone === 1 ? 'Undone: the frame is open again.' : `Undone: ${undone} frames are open again.`);
}

// ---------------------------------------------------------------- URL state: deep links

const URL_INPUTS = { cameraId: '#f-camera', reviewer: '#f-reviewer' };
const STATUSES = ['open', 'confirmed', 'rejected', 'relabelled'];

// Filters, tab, order, queue and the selected frame, in the address bar (never the key). Written
// 150 ms after the last change: browsers limit how often a page may replace its URL.
let urlTimer = null;
function writeUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(writeUrlNow, 150);
}

function writeUrlNow() {
  if (!state.key) return;
  const p = new URLSearchParams();
  if (state.status !== 'open') p.set('status', state.status);
  if ($('#f-model').value) p.set('model', $('#f-model').value);
  for (const [name, sel] of Object.entries(URL_INPUTS)) {
    const v = $(sel).value.trim();
    if (v) p.set(name, v);
  }
  if ($('#f-label').value) p.set('label', $('#f-label').value);
  if ($('#f-order').value !== 'newest') p.set('order', $('#f-order').value);
  for (const [name, sel] of [['since', '#f-since'], ['until', '#f-until']]) {
    const v = $(sel).value;
    if (v && !Number.isNaN(new Date(v).getTime())) p.set(name, new Date(v).toISOString());
  }
  if ($('#f-min').value !== '') p.set('minScore', String(Number($('#f-min').value) / 100));
  if ($('#f-max').value !== '') p.set('maxScore', String(Number($('#f-max').value) / 100));
  if (state.grouped) p.set('group', 'true');
  const frame = state.pendingFrame || state.items[state.selected]?.frameId;
  if (frame) p.set('frame', frame);
  const query = p.toString();
  try {
    history.replaceState(null, '', query ? `${location.pathname}?${query}` : location.pathname);
  } catch (ignored) { /* over the browser's limit: the next change writes it */ }
}

// Restores what writeUrl wrote; returns the tab to show.
function readUrl() {
  const p = new URLSearchParams(location.search);
  const model = p.get('model');
  if (model && state.models[model]) {
    $('#f-model').value = model;
    fillLabels();
  }
  for (const [name, sel] of Object.entries(URL_INPUTS)) $(sel).value = p.get(name) || '';
  if (p.get('label')) $('#f-label').value = p.get('label');
  const order = p.get('order');
  if (order && [...$('#f-order').options].some((o) => o.value === order)) $('#f-order').value = order;
  for (const [name, sel] of [['since', '#f-since'], ['until', '#f-until']]) {
    const d = new Date(p.get(name) || '');
    $(sel).value = Number.isNaN(d.getTime()) ? '' : localInput(d);
  }
  for (const [name, sel] of [['minScore', '#f-min'], ['maxScore', '#f-max']]) {
    const v = Number(p.get(name));
    $(sel).value = p.get(name) !== null && v >= 0 && v <= 1 ? String(Math.round(v * 100)) : '';
  }
  state.pendingFrame = p.get('frame');
  state.pendingPages = 0;
  setGrouped(p.get('group') === 'true');
  return STATUSES.includes(p.get('status')) ? p.get('status') : 'open';
}

function localInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// The linked frame: selected and opened once its page is loaded (up to 20 pages are read for it).
function restoreLinkedFrame() {
  const frameId = state.pendingFrame;
  if (!frameId) return false;
  const index = state.items.findIndex((f) => f.frameId === frameId);
  if (index >= 0) {
    state.pendingFrame = null;
    select(index);
    openDetail(index);
    return true;
  }
  if (state.done || ++state.pendingPages > 20) {
    state.pendingFrame = null;
    toast(`The linked frame ${frameId} is not in this list (judged since, or filtered out).`, true);
  }
  return false;
}

// ---------------------------------------------------------------- keyboard map: ? shows it, keys can be changed

const KEYMAP_STORE = 'cityvision.keymap';
const ACTIONS = [
  { id: 'next', key: 'ArrowRight', what: 'next frame', run: () => select(state.selected + 1) },
  { id: 'previous', key: 'ArrowLeft', what: 'previous frame', run: () => select(state.selected - 1) },
  { id: 'down', key: 'ArrowDown', what: 'row below', run: () => select(Math.min(state.items.length - 1, state.selected + columns())) },
  { id: 'up', key: 'ArrowUp', what: 'row above', run: () => select(Math.max(0, state.selected - columns())) },
  { id: 'confirm', key: 'c', what: 'confirm (with Shift: override)', run: (e) => judge('confirm', null, e.shiftKey) },
  { id: 'reject', key: 'x', what: 'reject (with Shift: override)', run: (e) => judge('reject', null, e.shiftKey) },
  { id: 'undo', key: 'z', what: 'undo the last verdict (for 10 s)', run: () => undo() },
  { id: 'mark', key: ' ', what: 'mark / unmark for a bulk verdict', run: () => { if (state.selected >= 0) toggleMark(state.selected); } },
  { id: 'markAll', key: 'a', what: 'mark / unmark every frame on the page', run: () => markAll() },
  { id: 'open', key: 'Enter', what: 'open the detail view', run: () => openDetail(state.selected) },
  { id: 'note', key: 'n', what: 'write this frame\'s note (Ctrl+Enter confirms with it, Esc leaves it)', run: () => focusNote() },
  { id: 'zoomIn', key: '+', what: 'zoom in', run: () => zoomBy(1.25) },
  { id: 'zoomOut', key: '-', what: 'zoom out', run: () => zoomBy(0.8) },
  { id: 'zoomReset', key: '0', what: 'fit the frame', run: () => resetZoom() },
  { id: 'fullscreen', key: 'f', what: 'frame fills the window', run: () => toggleFullscreen() },
  { id: 'history', key: 'h', what: 'the camera\'s previous frames side by side', run: () => toggleHistory() },
  { id: 'tab', key: 't', what: 'next status tab', run: () => selectStatus(STATUSES[(STATUSES.indexOf(state.status) + 1) % STATUSES.length]) },
  { id: 'queue', key: 'q', what: 'next model queue', run: () => nextQueue() },
  { id: 'group', key: 'g', what: 'group near-identical frames: one tile, one verdict for all (again: ungroup)', run: () => toggleGrouping() },
  { id: 'filters', key: '/', what: 'go to the filters (Esc returns)', run: () => $('#f-model').focus() },
  { id: 'admin', key: 'm', what: 'models: versions, candidates (admin keys)', run: () => toggleAdmin() },
  { id: 'alerts', key: 'l', what: 'camera alerts: ↑/↓ choose, C confirm, D dismiss', run: () => toggleAlerts() },
  { id: 'help', key: '?', what: 'this help', run: () => toggleHelp() },
];
let keymap = loadKeymap();
let capturing = null;

function loadKeymap() {
  const map = Object.fromEntries(ACTIONS.map((a) => [a.id, a.key]));
  try {
    const saved = JSON.parse(localStorage.getItem(KEYMAP_STORE) || '{}');
    for (const [id, key] of Object.entries(saved)) {
      if (id in map && typeof key === 'string') map[id] = key;
    }
  } catch (ignored) { /* a damaged entry: defaults */ }
  return map;
}

// Letters are case-insensitive (Shift is the override modifier); other keys by their value.
function keyName(e) {
  return e.key.length === 1 ? e.key.toLowerCase() : e.key;
}

function keyLabel(key) {
  return { ' ': 'Space', ArrowRight: '→', ArrowLeft: '←', ArrowUp: '↑', ArrowDown: '↓', '': '—' }[key] ?? key.toUpperCase();
}

function renderKeymap() {
  const table = $('#help-keys');
  table.replaceChildren();
  for (const a of ACTIONS) {
    const tr = document.createElement('tr');
    const keyCell = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'capture';
    button.dataset.action = a.id;
    button.textContent = capturing === a.id ? 'press a key…' : keyLabel(keymap[a.id]);
    button.classList.toggle('waiting', capturing === a.id);
    button.title = `Change the key for: ${a.what}`;
    button.addEventListener('click', () => { capturing = a.id; renderKeymap(); });
    keyCell.append(button);
    const what = document.createElement('td');
    what.textContent = a.what;
    tr.append(keyCell, what);
    table.append(tr);
  }
  const esc = document.createElement('tr');
  esc.innerHTML = '<td><kbd>Esc</kbd></td><td>leave a field, close a panel, the fullscreen frame or the detail view</td>';
  table.append(esc);
}

// The next key pressed becomes the action's key; an action that had it is left without one.
function captureKey(e) {
  if (['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return;
  e.preventDefault();
  const id = capturing;
  capturing = null;
  if (e.key !== 'Escape' && !/^Digit[1-9]$/.test(e.code)) {
    const key = keyName(e);
    for (const a of ACTIONS) if (keymap[a.id] === key) keymap[a.id] = '';
    keymap[id] = key;
    localStorage.setItem(KEYMAP_STORE, JSON.stringify(keymap));
  } else if (e.key !== 'Escape') {
    toast('1-9 relabel; choose another key.', true);
  }
  renderKeymap();
}

function toggleHelp() {
  capturing = null;
  renderKeymap();
  $('#help').hidden = !$('#help').hidden;
}

function wireKeymap() {
  $('#keys-reset').addEventListener('click', () => {
    localStorage.removeItem(KEYMAP_STORE);
    keymap = loadKeymap();
    renderKeymap();
  });
  renderKeymap();
}

function focusNote() {
  if (state.selected < 0) return;
  if ($('#detail').hidden || state.detailFrame !== state.items[state.selected].frameId) openDetail(state.selected);
  $('#d-note').focus();
}

// G: near-identical frames (same camera and scene, close in time) as one tile with a count badge.
function setGrouped(on) {
  state.grouped = on;
  $('#group-toggle').setAttribute('aria-pressed', String(on));
}

function toggleGrouping() {
  setGrouped(!state.grouped);
  reload();
  toast(state.grouped ? 'Grouped: near-identical frames share one tile and one verdict.' : 'Ungrouped: every frame has its own tile.');
}

function nextQueue() {
  const select = $('#f-model');
  select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
  fillLabels();
  reload();
  toast(`Queue: ${select.value || 'all models'}`);
}

// ---------------------------------------------------------------- look closer: zoom, pan, fullscreen, history

const viewer = { scale: 1, x: 0, y: 0, full: false, drag: null };
const MAX_ZOOM = 8;

function applyView() {
  $('#d-image').style.transform = `translate(${viewer.x}px, ${viewer.y}px) scale(${viewer.scale})`;
  $('#z-level').textContent = `${Math.round(viewer.scale * 100)}%`;
  $('#d-viewer').dataset.zoom = viewer.scale.toFixed(3);
}

// Zooms by factor around a point of the viewer (its centre by default), keeping the frame covering the view.
function zoomBy(factor, cx, cy) {
  if ($('#detail').hidden) return;
  const box = $('#d-viewer').getBoundingClientRect();
  const px = cx ?? box.width / 2;
  const py = cy ?? box.height / 2;
  const next = Math.min(MAX_ZOOM, Math.max(1, viewer.scale * factor));
  const k = next / viewer.scale;
  viewer.x = px - k * (px - viewer.x);
  viewer.y = py - k * (py - viewer.y);
  viewer.scale = next;
  clampPan();
  applyView();
}

function clampPan() {
  const img = $('#d-image');
  const w = img.offsetWidth;
  const h = img.offsetHeight;
  viewer.x = Math.min(0, Math.max(w - w * viewer.scale, viewer.x));
  viewer.y = Math.min(0, Math.max(h - h * viewer.scale, viewer.y));
}

function resetZoom() {
  viewer.scale = 1;
  viewer.x = 0;
  viewer.y = 0;
  applyView();
}

function toggleFullscreen() {
  if ($('#detail').hidden && !viewer.full) {
    if (state.selected < 0) return;
    openDetail(state.selected);
  }
  viewer.full = !viewer.full;
  $('#d-viewer').classList.toggle('fullscreen', viewer.full);
  resetZoom();
}

function toggleHistory() {
  if ($('#detail').hidden) {
    if (state.selected < 0) return;
    openDetail(state.selected);
    $('#d-strip').hidden = false;
    return;
  }
  $('#d-strip').hidden = !$('#d-strip').hidden;
}

// Shows another frame of the camera in the viewer, beside the strip; the current frame brings it back.
function compareWith(frameId, caption, current) {
  const img = $('#d-image');
  for (const li of document.querySelectorAll('#d-strip li, #d-history li')) {
    li.classList.toggle('current', li.dataset.frameId === frameId);
  }
  $('#d-viewer').dataset.showing = frameId;
  resetZoom();
  loadImage(img, frameId, 'image').catch(() => img.classList.add('broken'));
  if (frameId !== current) toast(`Showing ${caption}; verdict keys judge the selected frame.`);
}

function wireViewer() {
  const box = $('#d-viewer');
  box.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = box.getBoundingClientRect();
    zoomBy(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  box.addEventListener('pointerdown', (e) => {
    if (viewer.scale <= 1 || e.target.closest('button')) return;
    viewer.drag = { x: e.clientX - viewer.x, y: e.clientY - viewer.y };
    box.setPointerCapture(e.pointerId);
    box.classList.add('panning');
  });
  box.addEventListener('pointermove', (e) => {
    if (!viewer.drag) return;
    viewer.x = e.clientX - viewer.drag.x;
    viewer.y = e.clientY - viewer.drag.y;
    clampPan();
    applyView();
  });
  const end = () => { viewer.drag = null; box.classList.remove('panning'); };
  box.addEventListener('pointerup', end);
  box.addEventListener('pointercancel', end);
  $('#z-in').addEventListener('click', () => zoomBy(1.25));
  $('#z-out').addEventListener('click', () => zoomBy(0.8));
  $('#z-reset').addEventListener('click', resetZoom);
  $('#z-full').addEventListener('click', toggleFullscreen);
  $('#h-toggle').addEventListener('click', toggleHistory);
}

// ---------------------------------------------------------------- camera panel: GET /v1/cameras/{id}

async function loadCamera(cameraId, frameId) {
  const box = $('#d-camera');
  const row = (k, v, cls) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    if (cls) dd.className = cls;
    box.append(dt, dd);
  };
  try {
    const c = await api(`/v1/cameras/${encodeURIComponent(cameraId)}`);
    if (state.detailFrame !== frameId) return;
    row('State', `${c.state} since ${new Date(c.stateSince).toLocaleString()}`, `state-${c.state}`);
    row('Last frame', c.lastFrameAt ? new Date(c.lastFrameAt).toLocaleString() : 'none');
    const faults = Object.entries(c.faults || {});
    row('Faults', faults.length ? faults.map(([f, since]) => `${f} since ${when(since)}`).join(', ') : 'none');
    if ((c.lastFrameFaults || []).length) row('Last frame faults', c.lastFrameFaults.join(', '));
    if (c.medianIntervalSeconds) row('Cadence', `a frame every ${c.medianIntervalSeconds} s`);
    const open = (c.alerts || []).filter((a) => a.status === 'open').sort((a, b) => b.at.localeCompare(a.at))[0];
    if (open) {
      row('Alert', `${alertKind(open)} since ${when(open.at)}, open`, 'alert-open');
      const b = document.createElement('button');
      b.type = 'button';
      b.id = 'd-camera-alert';
      b.textContent = 'Review the alert (L)';
      b.addEventListener('click', () => openAlerts(open.alertId));
      box.lastElementChild.append(' ', b);
      box.dataset.alert = open.alertId;
    } else {
      row('Alert', 'none open');
      delete box.dataset.alert;
    }
    box.dataset.state = c.state;
  } catch (e) {
    if (state.detailFrame !== frameId || e.status === 401) return;
    row('Health', e.status === 404 ? 'no health record: the camera has sent no frame to ingest' : `unavailable: ${e.message}`);
    box.dataset.state = 'unknown';
  }
}

// ---------------------------------------------------------------- camera alerts: GET /v1/camera-alerts, confirm or dismiss

const alerts = { items: [], selected: 0 };

function alertKind(a) {
  return `${a.to}${a.faults && a.faults.length ? `: ${a.faults.join(', ')}` : a.to === 'silent' ? ': no frames' : ''}`;
}

async function refreshAlertCount() {
  try {
    const page = await api('/v1/camera-alerts?limit=1000');
    $('#alerts-count').textContent = String(page.items.length) + (page.nextCursor ? '+' : '');
    return page;
  } catch (e) {
    return null;
  }
}

function toggleAlerts() {
  if ($('#alerts').hidden) openAlerts();
  else closeAlerts();
}

function closeAlerts() {
  $('#alerts').hidden = true;
}

// Opens the panel with the open alerts (newest first); focusId selects one (the camera panel's link).
async function openAlerts(focusId) {
  $('#alerts').hidden = false;
  $('#al-status').textContent = 'Loading…';
  const page = await refreshAlertCount();
  if (!page) {
    $('#al-status').textContent = 'Could not load the alerts.';
    return;
  }
  alerts.items = page.items;
  alerts.selected = Math.max(0, alerts.items.findIndex((a) => a.alertId === focusId));
  $('#al-status').textContent = alerts.items.length ? '' : 'No open camera alerts.';
  renderAlerts();
}

function renderAlerts() {
  const list = $('#al-list');
  for (const img of list.querySelectorAll('img[src^="blob:"]')) URL.revokeObjectURL(img.src);
  list.replaceChildren();
  alerts.items.forEach((a, i) => {
    const li = document.createElement('li');
    li.dataset.alertId = a.alertId;
    li.dataset.cameraId = a.cameraId;
    li.dataset.status = a.status;
    if (i === alerts.selected) li.className = 'selected';
    // The camera's latest frame (the one that confirmed the alert, or the last it sent).
    const frameId = a.lastFrameId || a.frameId;
    let picture;
    if (frameId) {
      picture = document.createElement('img');
      picture.alt = `latest frame of ${a.cameraId}`;
      loadImage(picture, frameId, 'thumbnail').catch(() => picture.classList.add('broken'));
    } else {
      picture = document.createElement('span');
      picture.className = 'none';
      picture.textContent = 'no frame';
    }
    const text = document.createElement('div');
    const kind = document.createElement('div');
    kind.className = `kind state-${a.to}`;
    kind.textContent = alertKind(a);
    const where = document.createElement('div');
    where.className = 'muted';
    where.textContent = `${a.cameraId} · since ${new Date(a.at).toLocaleString()} · was ${a.from}`
      + (a.status !== 'open' ? ` · ${a.status} by ${a.reviewer}` : '');
    text.append(kind, where);
    const actions = document.createElement('div');
    actions.className = 'actions';
    for (const [verdict, label] of [['confirm', 'Confirm'], ['dismiss', 'Dismiss']]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.verdict = verdict;
      b.textContent = label;
      b.disabled = a.status !== 'open';
      b.addEventListener('click', () => { alerts.selected = i; judgeAlert(verdict); });
      actions.append(b);
    }
    li.append(picture, text, actions);
    li.addEventListener('click', (e) => {
      if (e.target.closest('button')) return;
      alerts.selected = i;
      renderAlerts();
    });
    list.append(li);
  });
  list.children[alerts.selected]?.scrollIntoView({ block: 'nearest' });
}

async function judgeAlert(verdict) {
  const a = alerts.items[alerts.selected];
  if (!a || a.status !== 'open') return;
  try {
    const judged = await api(`/v1/cameras/${encodeURIComponent(a.cameraId)}/alerts/${encodeURIComponent(a.alertId)}/review`,
      { method: 'POST', body: JSON.stringify({ verdict }) });
    alerts.items[alerts.selected] = { ...a, ...judged };
    $('#al-status').textContent = verdict === 'confirm'
      ? `Confirmed: ${a.cameraId}'s ${a.to} is real.`
      : `Dismissed: ${a.cameraId}'s view is its normal; its baseline learns it.`;
    const next = alerts.items.findIndex((x, i) => i > alerts.selected && x.status === 'open');
    if (next >= 0) alerts.selected = next;
    renderAlerts();
    refreshAlertCount();
  } catch (e) {
    if (e.status !== 401) $('#al-status').textContent = `Not saved (${e.status} ${e.code}): ${e.message}`;
  }
}

// Keys while the panel is open: ↑/↓ choose, C confirm, D dismiss. True when the key was the panel's.
function alertKey(e) {
  if (e.altKey || e.ctrlKey || e.metaKey) return false;
  if ((e.key === 'Enter' || e.key === ' ') && e.target.closest('button')) return false;
  const move = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
  if (move) {
    alerts.selected = Math.min(alerts.items.length - 1, Math.max(0, alerts.selected + move));
    renderAlerts();
  } else if (e.key === 'c' || e.key === 'C') {
    judgeAlert('confirm');
  } else if (e.key === 'd' || e.key === 'D') {
    judgeAlert('dismiss');
  } else {
    return false;
  }
  e.preventDefault();
  return true;
}

function wireAlerts() {
  $('#alerts-button').addEventListener('click', toggleAlerts);
  $('#al-close').addEventListener('click', closeAlerts);
}

// ---------------------------------------------------------------- models (admin keys): versions, candidates

function toggleAdmin() {
  if (state.role !== 'admin') return;
  if ($('#admin').hidden) openAdmin();
  else closeAdmin();
}

function openAdmin() {
  const select = $('#a-model');
  const names = Object.keys(state.models);
  if (!select.options.length) names.forEach((n) => select.add(new Option(n, n)));
  if ($('#f-model').value) select.value = $('#f-model').value;
  $('#admin').hidden = false;
  renderAdmin();
}

function closeAdmin() {
  $('#admin').hidden = true;
}

function adminSay(message, bad = false) {
  const s = $('#a-status');
  s.textContent = message;
  s.classList.toggle('error', bad);
}

const pct = (v) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '–');
const interval = (a) => (Array.isArray(a) ? ` [${pct(a[0])}, ${pct(a[1])}]` : '');

// A version's evaluation as model.json records it: the headline accuracy and macro-F1 wherever they sit.
function headline(ev) {
  if (!ev || typeof ev !== 'object') return '–';
  if (ev.error) return `unreadable: ${ev.error}`;
  const found = typeof ev.accuracy === 'number' ? ev
    : Object.values(ev).find((v) => v && typeof v === 'object' && typeof v.accuracy === 'number');
  return found ? `accuracy ${pct(found.accuracy)}${typeof found.macroF1 === 'number' ? `, macro-F1 ${pct(found.macroF1)}` : ''}` : '–';
}

let adminTimer = null;
async function renderAdmin() {
  const name = $('#a-model').value;
  if (!name) return;
  try {
    const [model, candidates] = await Promise.all([
      api(`/v1/models/${encodeURIComponent(name)}`),
      api(`/v1/models/${encodeURIComponent(name)}/candidates`),
    ]);
    if ($('#a-model').value !== name) return;
    renderVersions(model);
    renderCandidates(name, candidates.items || []);
    // While a candidate trains, its progress is read again every 2 s (only while this panel is open).
    clearTimeout(adminTimer);
    if ((candidates.items || []).some((c) => c.state === 'running' || c.state === 'queued')) {
      adminTimer = setTimeout(() => { if (!$('#admin').hidden) renderAdmin(); }, 2000);
    }
    $('#a-live').textContent = model.live
      ? `Live: ${name} ${model.live.version} (${model.live.action} by ${model.live.actor}, ${new Date(model.live.at).toLocaleString()})`
      : `${name}: no live pointer in the store`;
  } catch (e) {
    if (e.status !== 401) adminSay(`Could not load ${name}: ${e.message}`, true);
  }
}

function renderVersions(model) {
  const table = $('#a-versions');
  table.innerHTML = '<tr><th>Version</th><th>Created</th><th>By</th><th>Evaluation</th><th>Nodes serving it</th></tr>';
  const nodes = model.nodes || [];
  for (const v of model.versions || []) {
    const tr = document.createElement('tr');
    tr.dataset.version = v.version;
    if (v.live) tr.className = 'live';
    const cells = [
      `${v.version}${v.live ? ' (live)' : ''}`,
      new Date(v.createdAt).toLocaleString(),
      v.createdBy,
      headline(v.evaluation),
      String(nodes.filter((n) => n.served === v.version).length),
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    table.append(tr);
  }
}

function renderCandidates(name, items) {
  const box = $('#a-candidates');
  box.replaceChildren();
  if (!items.length) {
    box.textContent = 'No candidates yet: start one from the verdicts given so far.';
    return;
  }
  for (const c of items) {
    const div = document.createElement('div');
    div.className = 'candidate';
    div.dataset.candidate = c.id;
    const head = document.createElement('div');
    const progress = c.progress ? ` · ${c.progress.stage} ${c.progress.done}/${c.progress.steps}` : '';
    head.textContent = `${c.id} · ${c.mode} · ${c.state}${progress} · ${c.verdicts ?? '?'} verdicts · from ${c.liveVersion} · by ${c.createdBy}`;
    div.append(head);
    if (c.error) {
      const err = document.createElement('p');
      err.className = 'error';
      err.textContent = c.error;
      div.append(err);
    }
    if (c.evaluation) div.append(evaluationTable(c.evaluation));
    const actions = document.createElement('div');
    actions.className = 'actions';
    const button = (text, run) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.addEventListener('click', run);
      actions.append(b);
      return b;
    };
    if (c.state === 'done') button('Promote', () => promote(name, c.id, false)).dataset.act = 'promote';
    if (c.state === 'running' || c.state === 'queued') button('Cancel', () => adminPost(`/v1/models/${encodeURIComponent(name)}/candidates/${encodeURIComponent(c.id)}/cancel`, {}, 'Cancel requested.'));
    button('Refresh', renderAdmin);
    const out = document.createElement('p');
    out.className = 'outcome';
    div.append(actions, out);
    box.append(div);
    const said = outcomes.get(c.id);
    if (said) said(out);
  }
}

// The candidate and the live model side by side: on the verdict holdout and on the package's own validation data.
function evaluationTable(ev) {
  const wrap = document.createElement('div');
  const verdict = document.createElement('p');
  verdict.className = ev.better ? 'better' : 'worse';
  verdict.textContent = `${ev.better ? 'Better' : 'Not better'} than live ${ev.liveVersion}: ${ev.reason || ''}`;
  const table = document.createElement('table');
  table.className = 'table';
  table.innerHTML = '<tr><th>Data</th><th>Images</th><th>Live accuracy [95%]</th><th>Candidate accuracy [95%]</th><th>Live macro-F1</th><th>Candidate macro-F1</th></tr>';
  for (const [title, cmp] of [['Verdict holdout', ev.holdout], ['Holdout, known classes', ev.holdoutKnownClasses], ['Package validation', ev.validation]]) {
    if (!cmp) continue;
    const tr = document.createElement('tr');
    for (const text of [title, String(cmp.count ?? '–'),
      `${pct(cmp.live?.accuracy)}${interval(cmp.live?.accuracy95)}`,
      `${pct(cmp.candidate?.accuracy)}${interval(cmp.candidate?.accuracy95)}`,
      pct(cmp.live?.macroF1), pct(cmp.candidate?.macroF1)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    table.append(tr);
  }
  wrap.append(verdict, table);
  return wrap;
}

// Promote: a 409 (not evaluated, not better, failed, another promote won) is shown with the server's
// words and, for "not better", a Force button that asks before it promotes anyway (recorded as forced).
// What each candidate's last promote said, kept across the panel's refreshes.
const outcomes = new Map();

async function promote(name, id, force) {
  const say = (render) => {
    outcomes.set(id, render);
    const out = document.querySelector(`.candidate[data-candidate="${id}"] .outcome`);
    if (out) render(out);
  };
  say((out) => { out.className = 'outcome'; out.textContent = force ? 'Promoting by force…' : 'Promoting…'; });
  try {
    const p = await api(`/v1/models/${encodeURIComponent(name)}/candidates/${encodeURIComponent(id)}/promote`,
      { method: 'POST', body: JSON.stringify(force ? { force: true, reason: 'forced from the review page' } : {}) });
    say((out) => {
      out.className = 'outcome';
      out.textContent = `Promoted: ${name} ${p.version} is live${p.forced ? ' (forced)' : ''}; every node follows within seconds.`;
    });
    renderAdmin();
  } catch (e) {
    if (e.status === 401) return;
    say((out) => {
      out.className = 'outcome error';
      out.textContent = `Not promoted (${e.status} ${e.code}): ${e.message}`;
      if (e.status === 409 && !force && e.code !== 'candidate_not_ready') {
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.act = 'force';
        b.textContent = 'Force promote…';
        b.addEventListener('click', () => {
          if (window.confirm(`Promote ${id} although: ${e.message}\nThe promote is recorded as forced.`)) promote(name, id, true);
        });
        out.append(' ', b);
      }
    });
  }
}

async function adminPost(path, body, done) {
  try {
    const out = await api(path, { method: 'POST', body: JSON.stringify(body) });
    adminSay(typeof done === 'function' ? done(out) : done);
    setTimeout(renderAdmin, 0);
  } catch (e) {
    if (e.status !== 401) adminSay(`Refused (${e.status} ${e.code}): ${e.message}`, true);
  }
}

function wireAdmin() {
  $('#admin-button').addEventListener('click', toggleAdmin);
  $('#a-close').addEventListener('click', closeAdmin);
  $('#a-model').addEventListener('change', () => { adminSay(''); renderAdmin(); });
  const model = () => encodeURIComponent($('#a-model').value);
  $('#a-rollback').addEventListener('click', () => adminPost(`/v1/models/${model()}/rollback`,
    { reason: 'rolled back from the review page' }, (p) => `Rolled back: ${p.model} ${p.version} is live again.`));
  $('#a-head').addEventListener('click', () => adminPost(`/v1/models/${model()}/candidates`, { mode: 'head' },
    (c) => `Candidate ${c.id} started (head mode, ${c.verdicts} verdicts).`));
  $('#a-finetune').addEventListener('click', () => adminPost(`/v1/models/${model()}/candidates`, { mode: 'fine-tune' },
    (c) => `Candidate ${c.id} started (fine-tune mode, ${c.verdicts} verdicts).`));
}

// ---------------------------------------------------------------- start

wire();
if (state.key) {
  signIn(state.key).catch(() => signOut());
} else {
  signOut();
}
