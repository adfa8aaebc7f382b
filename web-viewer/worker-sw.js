// The grid worker page's service worker (registered by app/worker.js for /viewer/worker.html
// only: the other pages under /viewer/ are never answered from these caches). It lets the
// page open and show its grid without a network:
//   - the page shell (HTML, scripts, styles, maplibre-gl): precached, network first (a fixed
//     script reaches the phone at its next visit), the kept copy when the network is down;
//   - /style.json, /tiles/…, /fonts/…: stale-while-revalidate (the map of the grid works
//     offline after one visit; no personal data in them).
// The API is never answered from here: its answers carry one token's cases, and a phone may
// pass to another worker (the page keeps its own last list of cases, tagged with its token).
// POST, PATCH and every other method go to the network untouched (a report is queued by the
// page itself, in IndexedDB). A new VERSION precaches the shell again and deletes the old
// caches (v1 kept API answers: they go). The server replaces __SHELL__ with a digest of the
// shell files below (and of this script), so a changed page or script is a new VERSION.
const VERSION = "wangge-worker-v3-__SHELL__";
const SHELL = `${VERSION}-shell`;
// The map's cache outlives shell versions (a new script does not lose the offline map).
const MAP = "wangge-worker-map";
const SHELL_FILES = [
  "/viewer/worker.html",
  "/viewer/app/worker.js",
  "/viewer/app/worker.css",
  "/viewer/app/util.js",
  "/viewer/app/i18n.js",
  "/viewer/app/case_reasons.js",
  "/viewer/node_modules/maplibre-gl/dist/maplibre-gl.js",
  "/viewer/node_modules/maplibre-gl/dist/maplibre-gl.css",
];
const SHELL_PATHS = new Set(SHELL_FILES);
const MAX_MAP_ENTRIES = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // Past the browser's HTTP cache: the files as the server has them now.
    await cache.addAll(SHELL_FILES.map((u) => new Request(u, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("wangge-worker-") && ![SHELL, MAP].includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return; // never a POST or PATCH
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if ((req.headers.get("accept") || "").includes("text/event-stream")) return;
  if (req.headers.has("range")) return;
  const path = url.pathname;
  if (SHELL_PATHS.has(path)) event.respondWith(shell(req));
  else if (path === "/style.json" || path.startsWith("/tiles/") || path.startsWith("/fonts/")) event.respondWith(staleWhileRevalidate(event, req));
});

/// The shell: the network's copy (kept), else the kept one (whatever the query string:
/// `worker.html?grid=…`).
async function shell(req) {
  const cache = await caches.open(SHELL);
  try {
    const r = await fetch(req);
    if (r.ok) await cache.put(new URL(req.url).pathname, r.clone());
    return r;
  } catch (_) {
    const hit = await cache.match(req, { ignoreSearch: true, ignoreVary: true });
    return hit || Response.error();
  }
}

/// The map: the kept copy at once (refreshed in the background), else the network's.
async function staleWhileRevalidate(event, req) {
  const cache = await caches.open(MAP);
  const hit = await cache.match(req, { ignoreVary: true });
  // The refresh does not share the map's abort signal: a tile the map gave up on is still kept.
  const fresh = fetch(req.url, { headers: req.headers, credentials: req.credentials })
    .then(async (r) => {
      if (r.ok) {
        await cache.put(req, r.clone());
        trim(MAP, MAX_MAP_ENTRIES);
      }
      return r;
    });
  if (hit) {
    event.waitUntil(fresh.catch(() => null));
    return hit;
  }
  try {
    return await fresh;
  } catch (_) {
    return Response.error();
  }
}

/// Drops the oldest entries beyond `max` (keys come in insertion order); looked at every
/// 50th store only.
let trimming = false, puts = 0;
async function trim(name, max) {
  puts += 1;
  if (trimming || puts % 50 !== 0) return;
  trimming = true;
  try {
    const cache = await caches.open(name);
    const keys = await cache.keys();
    for (const k of keys.slice(0, Math.max(0, keys.length - max))) await cache.delete(k);
  } catch (_) {
    /* the next put trims */
  } finally {
    trimming = false;
  }
}
