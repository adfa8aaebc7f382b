// The grid worker page's service worker (registered by app/worker.js for /viewer/worker.html
// only: the other pages under /viewer/ are never answered from these caches). It lets the
// page open and show its grid without a network:
//   - the page shell (HTML, scripts, styles, maplibre-gl): precached, cache first;
//   - GET /api/…: network first, the last answer when the network is down (marked with the
//     header `x-wangge-cache: offline`);
//   - /style.json, /tiles/…, /fonts/…: stale-while-revalidate (the map of the grid works
//     offline after one visit).
// POST, PATCH and every other method go to the network untouched (a report is queued by the
// page itself, in IndexedDB). Bump VERSION whenever a shell file changes: the new worker
// precaches the new shell and deletes the old caches.
const VERSION = "wangge-worker-v1";
const SHELL = `${VERSION}-shell`;
const DATA = `${VERSION}-api`;
const MAP = `${VERSION}-map`;
const SHELL_FILES = [
  "/viewer/worker.html",
  "/viewer/app/worker.js",
  "/viewer/app/worker.css",
  "/viewer/app/util.js",
  "/viewer/app/i18n.js",
  "/viewer/node_modules/maplibre-gl/dist/maplibre-gl.js",
  "/viewer/node_modules/maplibre-gl/dist/maplibre-gl.css",
];
const SHELL_PATHS = new Set(SHELL_FILES);
const MAX_MAP_ENTRIES = 3000;
const MAX_API_ENTRIES = 300;

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
      if (name.startsWith("wangge-worker-") && ![SHELL, DATA, MAP].includes(name)) await caches.delete(name);
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
  if (SHELL_PATHS.has(path)) event.respondWith(cacheFirst(req));
  else if (path.startsWith("/api/")) event.respondWith(networkFirst(req));
  else if (path === "/style.json" || path.startsWith("/tiles/") || path.startsWith("/fonts/")) event.respondWith(staleWhileRevalidate(event, req));
});

/// The shell: from the precache (whatever the query string: `worker.html?grid=…`), else
/// from the network.
async function cacheFirst(req) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(req, { ignoreSearch: true, ignoreVary: true });
  if (hit) return hit;
  try {
    return await fetch(req);
  } catch (_) {
    return Response.error();
  }
}

/// The API: the network's answer (kept when it is a 200); the kept one when the network is
/// down; a network error when there is none.
async function networkFirst(req) {
  const cache = await caches.open(DATA);
  try {
    const r = await fetch(req);
    if (r.status === 200) {
      await cache.put(req, r.clone());
      trim(DATA, MAX_API_ENTRIES);
    }
    return r;
  } catch (_) {
    const hit = await cache.match(req, { ignoreVary: true });
    if (!hit) return Response.error();
    const headers = new Headers(hit.headers);
    headers.set("x-wangge-cache", "offline");
    return new Response(await hit.blob(), { status: hit.status, statusText: hit.statusText, headers });
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
