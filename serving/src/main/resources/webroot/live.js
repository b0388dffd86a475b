// The live queue and review leases of the review page (docs/REVIEW.md): a module with no
// dependencies that app.js drives through window.CityVisionLive.
//
// - Live: reads GET /v1/review/events as a server-sent event stream through fetch (the key goes in
//   the Authorization header, which EventSource cannot send), reconnects with Last-Event-ID after a
//   stream ends or fails, and shows counts as they change and an "N new" banner for new flags that
//   match the open tab's filters, instead of moving tiles under the reviewer's eyes.
// - Leases: the open tab's pages are leased (GET /v1/flags?...&lease=), renewed while the page is
//   open and released when it is left (fetch with keepalive, which can carry the key header).

const LEASE_SECONDS = 120;
const RENEW_EVERY_MS = 45_000;
const WATCHDOG_MS = 40_000;
const MAX_IDS = 200;

let hooks = null;
let running = false;
let controller = null;
let lastId = null;
let fresh = new Set();
let resync = false;
let renewTimer = null;
let watchdog = null;
const timings = { connectedAt: null, lastEventAt: null, events: 0 };

function chunks(ids) {
  const out = [];
  for (let i = 0; i < ids.length; i += MAX_IDS) out.push(ids.slice(i, i + MAX_IDS));
  return out;
}

function banner() {
  let el = document.getElementById('live-banner');
  if (!el) {
    el = document.createElement('button');
    el.id = 'live-banner';
    el.type = 'button';
    el.className = 'live-banner';
    el.hidden = true;
    el.addEventListener('click', () => hooks && hooks.reload());
    const grid = document.getElementById('grid');
    grid.parentNode.insertBefore(el, grid);
  }
  return el;
}

function showBanner() {
  const el = banner();
  const n = fresh.size;
  if (!n && !resync) {
    el.hidden = true;
    return;
  }
  el.textContent = n ? `${n} new flag${n === 1 ? '' : 's'} — show` : 'The queue changed — reload';
  el.dataset.count = String(n);
  el.hidden = false;
}

function matches(change) {
  const f = hooks.filters();
  return change.kind === 'created' && f.status === 'open'
    && (!f.cameraId || f.cameraId === change.cameraId)
    && (!f.label || f.label === change.label)
    && (!f.model || f.model === change.model)
    && !hooks.shown(change.frameId);
}

function dispatch(name, id, data) {
  timings.lastEventAt = performance.now();
  timings.events++;
  if (id !== null) lastId = id;
  if (name === 'queue' || name === 'resync') {
    hooks.showCounts(data.counts, data.changes || []);
  }
  if (name === 'queue') {
    for (const c of data.changes || []) {
      if (matches(c)) fresh.add(c.frameId);
      else if (c.kind !== 'created') fresh.delete(c.frameId);
    }
    showBanner();
  } else if (name === 'resync') {
    resync = true;
    showBanner();
  }
}

function parse(block) {
  let name = 'message';
  let id = null;
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) name = line.slice(7);
    else if (line.startsWith('id: ')) id = Number(line.slice(4));
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (!data.length) return;
  dispatch(name, id, JSON.parse(data.join('\n')));
}

function armWatchdog() {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => controller && controller.abort(), WATCHDOG_MS);
}

async function connect() {
  controller = new AbortController();
  const headers = { Authorization: `Bearer ${hooks.key()}` };
  if (lastId !== null) headers['Last-Event-ID'] = String(lastId);
  armWatchdog();
  const response = await fetch('/v1/review/events', { headers, signal: controller.signal, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) {
    running = false;
    return;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  timings.connectedAt = performance.now();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    armWatchdog();
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

async function run() {
  let delay = 250;
  while (running) {
    try {
      await connect();
      delay = 250;
    } catch (e) {
      delay = Math.min(delay * 2, 10_000);
    }
    if (running) await new Promise((resolve) => setTimeout(resolve, delay));
  }
  clearTimeout(watchdog);
}

async function renew() {
  const ids = hooks.leasedIds();
  for (const part of chunks(ids)) {
    try {
      await fetch('/v1/review/leases/renew', {
        method: 'POST',
        headers: { Authorization: `Bearer ${hooks.key()}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ frameIds: part, seconds: LEASE_SECONDS }),
      });
    } catch (ignored) { /* the next renewal tries again; an expired lease only lets others see the frame */ }
  }
}

function release() {
  if (!hooks || !hooks.key()) return;
  for (const part of chunks(hooks.leasedIds())) {
    fetch('/v1/review/leases/release', {
      method: 'POST',
      keepalive: true,
      headers: { Authorization: `Bearer ${hooks.key()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ frameIds: part }),
    }).catch(() => { /* the lease expires on its own */ });
  }
}

window.CityVisionLive = {
  LEASE_SECONDS,
  timings,
  /**
   * Starts the live stream and lease renewals. hooks: key(), filters() → {status, cameraId, label, model},
   * shown(frameId), leasedIds(), showCounts(counts, changes), reload().
   */
  start(h) {
    hooks = h;
    if (running) return;
    running = true;
    lastId = null;
    run();
    clearInterval(renewTimer);
    renewTimer = setInterval(renew, RENEW_EVERY_MS);
  },
  /** The grid was reloaded: the banner's flags are on it now. */
  reset() {
    fresh = new Set();
    resync = false;
    showBanner();
  },
  /** Signing out: releases the leases and closes the stream. */
  stop() {
    release();
    running = false;
    clearInterval(renewTimer);
    if (controller) controller.abort();
  },
  release,
};

window.addEventListener('pagehide', release);
