// The grid worker's phone page (网格员, /viewer/worker.html) in Debian's headless Chromium as a
// phone (390 x 844, touch, zh-CN, the device's position inside the grid), over TLS when the
// base URL is https (the server's self-signed certificate trusted by its key's SHA-256, so the
// page is a real secure context: service worker, geolocation):
//   1. the page loads: my cases, the service worker ready, the map of my grid idle;
//   2. a report online: the first category, 「使用当前位置」, a component within 30 m when one
//      is offered, a JPEG carrying an EXIF GPS block; sent once; its photo stored without EXIF
//      (photos: null when the server has no photo routes yet);
//   3. offline: a second report by a tap on the map inside the grid is queued (待发送 1 条),
//      the page reloads offline from the service worker with the queue intact, and once
//      online the queue is delivered (the time it took);
//   4. from here: each report stored exactly once; the second one's exact JSON sent again is
//      answered as `existing` (a lost answer resent doubles nothing);
//      and a report whose answer the page never gets (the request cut after the server
//      stored it) stays queued, is sent again and counted once;
//   5. a report outside the grid is refused (403), shown and kept aside, then deleted;
//   6. a dispatched case of the grid (if any) marked handled with the page's button.
// Screenshots worker-zh.png (online, form filled, cases shown) and worker-offline.png (the
// queue while offline). No request may leave the server's host; requests failing while the
// phone is offline are expected and not counted. Prints one JSON line last; exits 0 when all
// went well.
// Usage: node web-viewer/test/worker.mjs BASE_URL WORKER_TOKEN GRID LON LAT SCREENSHOT_DIR [CERT_PEM]
//   LON LAT: a point inside GRID (where the phone is).
import { phonePhoto } from "./photo.mjs";
import { launch, watch } from "./chromium.mjs";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";

const [base, tok, grid, lonArg, latArg, dir, certPath] = process.argv.slice(2);
const lon = Number(lonArg), lat = Number(latArg);
if (!base || !tok || !grid || !Number.isFinite(lon) || !Number.isFinite(lat) || !dir) {
  console.error("usage: node worker.mjs BASE_URL WORKER_TOKEN GRID LON LAT SCREENSHOT_DIR [CERT_PEM]");
  process.exit(2);
}
const tls = base.startsWith("https:");
const pem = certPath ? fs.readFileSync(certPath, "utf8") : null;
const server = new URL(base).host;
const enc = encodeURIComponent;

// Chromium trusts the test server's certificate by its public key (no --ignore-certificate-errors:
// the page must be a secure context for its service worker).
const extraArgs = [];
if (tls && pem) {
  const spki = new crypto.X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
  extraArgs.push(`--ignore-certificate-errors-spki-list=${crypto.createHash("sha256").update(spki).digest("base64")}`);
}

/// A request from node with the worker's token: { status, headers, body (Buffer) }.
function call(method, path, { body = null, headers = {} } = {}) {
  const u = new URL(path, base);
  const mod = u.protocol === "https:" ? https : http;
  const trust = u.protocol !== "https:" ? {} : pem ? { ca: pem, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, headers: { authorization: `Bearer ${tok}`, ...headers }, ...trust }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    if (body) req.write(body);
    req.end();
  });
}
const json = (r) => JSON.parse(r.body.toString("utf8"));

const out = {
  secure: null, sw: null, cases: null, sent: [], photos: null, stripped: null, queued_offline: null,
  reload_offline: null, delivered_ms: null, doubled: null, idempotent: null, lost: null, refused: null, handled: null,
};
const step = (name) => { out.step = name; };
const offlineWindows = []; // [from, to] ms: offline or answers dropped on purpose; requests failing then are expected
const browser = await launch(extraArgs);
const context = await browser.newContext({
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  geolocation: { longitude: lon, latitude: lat, accuracy: 8 }, permissions: ["geolocation"], locale: "zh-CN",
  timezoneId: "Asia/Shanghai", ignoreHTTPSErrors: tls && !pem,
});
const page = await context.newPage();
// 4xx answers the page is built to show (the refused report; photos before the server has
// them) are logged by the browser as console errors: counted apart.
// Failed requests and console errors with their time: those while offline are expected.
const EXPECTED = /status of 40[0-9]/;
const failedAt = [], consoleAt = [];
page.on("requestfailed", (r) => failedAt.push({ at: Date.now(), text: `${r.url()}: ${r.failure()?.errorText}` }));
page.on("console", (m) => { if (m.type() === "error" && !EXPECTED.test(m.text())) consoleAt.push({ at: Date.now(), text: `console: ${m.text()}` }); });
const seen = watch(page, server, EXPECTED);

if (process.env.DEBUG) page.on("console", (m) => console.error("console", m.type(), m.text()));
const W = () => page.evaluate(() => window.__worker);
const until = (fn, arg, timeout = 30000) => page.waitForFunction(fn, arg, { timeout, polling: 100 });
const mapSettled = (timeout = 60000) => page.waitForFunction(() => window.__map && window.__map.loaded() && !window.__map.isMoving()
  && window.__map.areTilesLoaded(), null, { timeout });

/// Taps the map at a lon/lat-choosing function's pixel; the page's chosen place after.
async function tapMap(pick, arg) {
  await page.evaluate(() => window.scrollTo(0, 0));
  const p = await page.evaluate(pick, arg);
  if (!p) return null;
  await page.touchscreen.tap(p.x, p.y);
  let how = "touch";
  try {
    await until(() => window.__worker.chosen && window.__worker.chosen.how === "map", null, 4000);
  } catch (_) {
    how = "mouse"; // a touch not turned into a click: the mouse then
    await page.mouse.click(p.x, p.y);
    await until(() => window.__worker.chosen && window.__worker.chosen.how === "map", null, 10000);
  }
  await until(() => window.__worker.nearby !== null, null, 20000);
  return { ...p, how, chosen: (await W()).chosen };
}

let firstId = null, secondId = null;
try {
  // 1. The page, my cases, the service worker, the map.
  step("load");
  await page.goto(`${base}/viewer/worker.html?token=${enc(tok)}&grid=${enc(grid)}`);
  out.secure = await page.evaluate(() => window.isSecureContext);
  await until(() => window.__worker && window.__worker.loaded >= 1, null, 60000);
  if (out.secure) {
    await until(() => window.__worker.swReady || window.__worker.swError, null, 60000);
  }
  await until(() => window.__idle, null, 120000);
  await until((g) => window.__worker.gridBounds || !g, grid, 30000).catch(() => {});
  await mapSettled();
  let w = await W();
  out.sw = { ready: w.swReady, controlled: w.controlled, warmed: w.warmed, error: w.swError || null };
  out.cases = w.cases.length;
  out.grid = w.grid;
  out.title = await page.title();
  out.statuses = w.cases.reduce((m, c) => ({ ...m, [c.status]: (m[c.status] || 0) + 1 }), {});
  out.grid_outlined = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ["worker-grid"] }).length > 0);
  out.case_rows = await page.locator("#cases li.case").count();
  out.categories = await page.locator("#report-category option[value]:not([value=''])").count();
  out.position_dot = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ["worker-me"] }).length > 0);

  // 2. A report online with a photo carrying GPS EXIF.
  step("report online");
  const first = await page.$eval("#report-category", (s) => ([...s.options].find((o) => o.value) || {}).value || null);
  if (!first) throw new Error("the category select is empty");
  await page.selectOption("#report-category", first);
  await page.click("#use-position");
  await until(() => window.__worker.chosen && window.__worker.chosen.how === "gps" && window.__worker.nearby !== null, null, 30000);
  w = await W();
  out.position = w.position;
  out.nearby = w.nearby;
  if ((await page.locator("#report-component option").count()) > 1) {
    await page.selectOption("#report-component", { index: 1 });
    out.component = await page.inputValue("#report-component");
  }
  const photo = await phonePhoto(page, lat, lon);
  out.photo_bytes = photo.length;
  out.photo_has_exif = photo.includes(Buffer.from("Exif"));
  await page.setInputFiles("#photo", { name: "lamp.jpg", mimeType: "image/jpeg", buffer: photo });
  await page.waitForSelector("#photo-preview img", { timeout: 10000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await mapSettled(30000).catch(() => {});
  await page.screenshot({ path: `${dir}/worker-zh.png`, fullPage: true });
  await page.click("#report-go");
  await until(() => window.__worker.sent.length >= 1 && window.__worker.outbox === 0, null, 60000);
  w = await W();
  firstId = w.sent[0];
  out.first_id = firstId;
  out.photo_upload = w.photos[0] || w.failed.find((f) => f.stored === firstId) || null;
  out.message_after_send = await page.textContent("#message");
  const stored = await call("GET", `/api/incidents/${enc(firstId)}`);
  if (stored.status === 200) {
    const i = json(stored);
    out.first_stored = { category: i.category === first, source: i.source, grid: i.grid, component: i.component || null,
      lon: Math.round(i.lon * 1e6) / 1e6, lat: Math.round(i.lat * 1e6) / 1e6 };
  } else out.first_stored = { status: stored.status };
  const list = await call("GET", `/api/incidents/${enc(firstId)}/photos`);
  out.photos_status = list.status;
  if (list.status === 404) {
    out.photos = null; // no photo routes on this server (yet)
    // The page kept the photo aside (its upload refused): delete it there.
    const aside = (await W()).failed.filter((f) => f.step === "photo");
    out.photo_aside = aside.map((f) => `${f.status}: ${f.detail}`.slice(0, 160));
    for (const f of aside) {
      await page.click(`#outbox-failed li[data-id="${f.id}"] button.drop`);
    }
    await until(() => window.__worker.failed.length === 0, null, 10000);
  } else if (list.status === 200) {
    const photos = json(list).photos || [];
    out.photos = photos.length;
    if (photos.length) {
      const got = await call("GET", `/api/incidents/${enc(firstId)}/photos/${photos[0].n}`);
      out.photo_get = { status: got.status, type: got.headers["content-type"], bytes: got.body.length, jpeg: got.body[0] === 0xff && got.body[1] === 0xd8 };
      out.stripped = got.status === 200 && !got.body.includes(Buffer.from("Exif"));
      out.photo_sha256_ok = crypto.createHash("sha256").update(got.body).digest("hex") === photos[0].sha256;
    }
  } else {
    out.photos = `status ${list.status}`;
  }
  out.page_errors_online = (await W()).errors.filter((e) => !/^photo/.test(e));

  // 3. Offline: a report by a tap on the map at the grid's centre, queued; a reload offline.
  step("offline");
  const offWindow = [Date.now(), Infinity];
  offlineWindows.push(offWindow);
  await context.setOffline(true);
  await until(() => window.__worker.online === false, null, 10000);
  const inGrid = ([lon, lat]) => {
    const m = window.__map, b = window.__worker.gridBounds;
    const rect = m.getCanvas().getBoundingClientRect();
    for (const c of [b ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : null, [lon, lat]]) {
      if (!c) continue;
      const p = m.project(c);
      if (p.x < 12 || p.y < 12 || p.x > rect.width - 12 || p.y > rect.height - 12) continue;
      if (m.queryRenderedFeatures(p, { layers: ["worker-grid-fill"] }).length) return { x: rect.left + p.x, y: rect.top + p.y, at: c };
    }
    return null;
  };
  await page.selectOption("#report-category", first);
  let tap = await tapMap(inGrid, [lon, lat]);
  if (!tap) {
    // The grid out of view: back to it (the view of the first load, its tiles kept).
    await page.evaluate(() => { const b = window.__worker.gridBounds; window.__map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 24, duration: 0 }); });
    await mapSettled(15000).catch(() => {});
    tap = await tapMap(inGrid, [lon, lat]);
  }
  if (!tap) throw new Error("no point of the grid to tap on the map");
  out.tap = { how: tap.how, at: tap.at.map((v) => Math.round(v * 1e6) / 1e6), chosen_inside: (await W()).chosenInside };
  await page.click("#report-go");
  await until(() => window.__worker.outbox === 1, null, 15000);
  out.queued_offline = { outbox: (await W()).outbox, text: (await page.textContent("#outbox-count")).trim(),
    message: (await page.textContent("#message")).trim() };
  out.queued_offline.shown = /1/.test(out.queued_offline.text);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${dir}/worker-offline.png`, fullPage: true });
  // The reload while offline: the service worker serves the page; the queue is still there.
  step("reload offline");
  try {
    await page.reload({ waitUntil: "load", timeout: 30000 });
    await until(() => window.__worker && window.__worker.started && window.__worker.outbox === 1, null, 30000);
    await until(() => window.__worker.loaded >= 1, null, 15000).catch(() => {});
    const r = await page.evaluate(() => ({
      outbox: window.__worker.outbox, controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller),
      cases: window.__worker.cases.length, cases_from_cache: window.__worker.cachedData,
      categories: document.querySelectorAll("#report-category option:not([value=''])").length,
      count_text: document.getElementById("outbox-count").textContent.trim(), net: document.getElementById("net").textContent.trim(),
    }));
    await until(() => window.__idle, null, 30000).catch(() => {});
    await mapSettled(20000).catch(() => {});
    r.map_grid = await page.evaluate(() => window.__map.loaded() && window.__map.queryRenderedFeatures({ layers: ["worker-grid"] }).length > 0);
    r.map_features = await page.evaluate(() => window.__map.queryRenderedFeatures().filter((f) => f.source === "wangge").length);
    out.reload_offline = { loaded: true, ...r };
  } catch (e) {
    out.reload_offline = { loaded: false, error: String(e.message || e).split("\n")[0] };
  }
  // Online again: the queue goes out by itself (the `online` event).
  step("deliver");
  const onAt = Date.now();
  await context.setOffline(false);
  offWindow[1] = Date.now() + 1500;
  await until((first) => window.__worker.outbox === 0 && window.__worker.sent.some((id) => id !== first), firstId, 60000);
  out.delivered_ms = Date.now() - onAt;
  w = await W();
  const second = w.sentReports.find((r) => r.id !== firstId);
  secondId = second.id;
  out.sent = [firstId, secondId];
  out.second_report = second.report;

  // 4. Each report once; the second one sent again (its answer lost) is `existing`.
  step("idempotent");
  const all = json(await call("GET", "/api/incidents?limit=1000")).incidents;
  out.counts = { [firstId]: all.filter((i) => i.id === firstId).length, [secondId]: all.filter((i) => i.id === secondId).length };
  out.doubled = Object.values(out.counts).some((n) => n !== 1);
  const again = await call("POST", "/api/incidents", { body: JSON.stringify(second.report), headers: { "content-type": "application/json" } });
  const answer = again.status === 201 ? json(again) : { status: again.status, text: again.body.toString().slice(0, 200) };
  out.resend = answer;
  out.idempotent = again.status === 201 && (answer.existing || []).includes(secondId) && !(answer.added || []).length;
  const after = json(await call("GET", "/api/incidents?limit=1000")).incidents;
  out.idempotent = out.idempotent && after.filter((i) => i.id === secondId).length === 1;

  // 4b. A lost answer in the page: the report reaches the server (sent from here with the
  // page's exact body), the page's request fails; the page keeps it queued, sends it again with
  // the same id and counts the server's `existing` as sent.
  step("lost answer");
  const lostWindow = [Date.now(), Infinity];
  offlineWindows.push(lostWindow);
  let dropped = null;
  await page.route("**/api/incidents", async (route) => {
    const r = route.request();
    if (r.method() !== "POST" || dropped) { await route.continue(); return; }
    const res = await call("POST", "/api/incidents", { body: r.postData(), headers: { "content-type": "application/json" } });
    dropped = { status: res.status, body: res.body.toString("utf8") };
    await route.abort("connectionreset");
  });
  await page.evaluate(() => { window.__worker.lastOffline = null; });
  await page.selectOption("#report-category", first);
  await page.click("#use-position");
  await until(() => window.__worker.chosen && window.__worker.chosen.how === "gps" && window.__worker.nearby !== null, null, 30000);
  await page.click("#report-go");
  await until(() => window.__worker.lastOffline && window.__worker.outbox === 1, null, 30000);
  await page.unroute("**/api/incidents");
  lostWindow[1] = Date.now() + 500;
  const lostId = dropped && dropped.status === 201 ? JSON.parse(dropped.body).added[0] : null;
  out.lost = { server: dropped && dropped.status, stored: lostId, kept_queued: (await W()).outbox === 1 };
  await page.click("#outbox-retry");
  await until((id) => window.__worker.outbox === 0 && window.__worker.sentReports.some((r) => r.id === id), lostId, 30000);
  const lostSent = (await W()).sentReports.find((r) => r.id === lostId);
  const lostCount = json(await call("GET", "/api/incidents?limit=1000")).incidents.filter((i) => i.id === lostId).length;
  out.lost = { ...out.lost, resent_existing: !!(lostSent && lostSent.existing), count: lostCount };
  out.lost.ok = out.lost.server === 201 && out.lost.kept_queued && out.lost.resent_existing && lostCount === 1;

  // 5. A report outside the grid: refused, shown, kept aside; then deleted.
  step("refused");
  const outside = () => {
    const m = window.__map;
    const rect = m.getCanvas().getBoundingClientRect();
    for (let y = 20; y < rect.height - 20; y += 16) {
      for (let x = 20; x < rect.width - 50; x += 16) {
        if (m.queryRenderedFeatures([x, y], { layers: ["worker-grid-fill"] }).length) continue;
        if (!m.queryRenderedFeatures([x, y], { layers: ["grids-fill"] }).length) continue;
        return { x: rect.left + x, y: rect.top + y };
      }
    }
    return null;
  };
  let spot = await tapMap(outside);
  if (!spot) {
    await page.evaluate(() => window.__map.jumpTo({ zoom: window.__map.getZoom() - 1.5 }));
    await mapSettled(30000).catch(() => {});
    spot = await tapMap(outside);
  }
  if (spot) {
    await page.selectOption("#report-category", first);
    const failedBefore = (await W()).failed.length;
    await page.click("#report-go");
    await until((n) => window.__worker.failed.length > n, failedBefore, 30000);
    w = await W();
    const f = w.failed[w.failed.length - 1];
    out.refused = { status: f.status, detail: String(f.detail).slice(0, 200), shown: (await page.textContent("#message")).trim().slice(0, 200),
      listed: await page.locator(`#outbox-failed li[data-id="${f.id}"]`).count(), outbox: w.outbox };
    await page.click(`#outbox-failed li[data-id="${f.id}"] button.drop`);
    await until((id) => !window.__worker.failed.some((x) => x.id === id), f.id, 10000);
    out.refused.deleted = true;
  } else {
    out.refused = { skipped: "no place outside the grid in view" };
  }

  // 6. A dispatched case of mine marked handled with the page's button.
  step("handled");
  await until(() => window.__worker.loaded >= 1, null, 10000);
  const dispatched = await page.evaluate(() => (window.__worker.cases.find((c) => c.status === "dispatched") || {}).id || null);
  if (dispatched) {
    const loadedBefore = (await W()).loaded;
    const button = page.locator(`#cases li.case[data-id="${dispatched.replace(/["\\]/g, "\\$&")}"] button.next`);
    out.handled_button = (await button.textContent()).trim();
    await button.click();
    await until(([id, n]) => window.__worker.loaded > n && (window.__worker.cases.find((c) => c.id === id) || {}).status !== "dispatched",
      [dispatched, loadedBefore], 30000);
    const now = await page.evaluate((id) => (window.__worker.cases.find((c) => c.id === id) || {}).status || null, dispatched);
    const server = await call("GET", `/api/incidents/${enc(dispatched)}`);
    out.handled = { id: dispatched, status: now, server: server.status === 200 ? json(server).status : server.status };
  } else {
    out.handled = null;
    out.handled_skipped = "no dispatched case in the grid";
  }
  out.page_errors = (await W()).errors.filter((e) => !/^(photo|map:|cases:|summary:)/.test(e));
  step("done");
} catch (e) {
  seen.errors.push(`test (${out.step}): ${String(e.message || e).split("\n")[0]}`);
  out.at_failure = await page.evaluate(() => {
    const w = window.__worker || {};
    return { outbox: w.outbox, failed: w.failed, sent: w.sent, chosen: w.chosen, nearby: w.nearby, online: w.online,
      message: (document.getElementById("message") || {}).textContent, errors: (w.errors || []).slice(-5) };
  }).catch(() => null);
  await page.screenshot({ path: `${dir}/worker-failed.png`, fullPage: true }).catch(() => {});
}
await browser.close();

const offline = (t) => offlineWindows.some(([a, b]) => t >= a && t <= b);
const failed = failedAt.filter((f) => !offline(f.at) && !f.text.includes("net::ERR_INTERNET_DISCONNECTED")).map((f) => f.text);
// The watch's console errors, less those while offline (a tile not kept, a request refused).
const errors = seen.errors.filter((e) => !e.startsWith("console: ")).concat(consoleAt.filter((c) => !offline(c.at)).map((c) => c.text));
const expectedOffline = consoleAt.filter((c) => offline(c.at)).length;
const photosOk = out.photos === null || (out.photos === 1 && out.stripped === true);
const ok = out.step === "done" && out.secure === true && !!(out.sw && out.sw.ready) && out.cases != null
  && out.sent.length === 2 && photosOk && !!(out.queued_offline && out.queued_offline.outbox === 1 && out.queued_offline.shown)
  && !!(out.reload_offline && out.reload_offline.loaded && out.reload_offline.outbox === 1) && out.delivered_ms != null
  && out.doubled === false && out.idempotent === true && !!(out.lost && out.lost.ok) && !!(out.refused && (out.refused.skipped || out.refused.status === 403))
  && (out.handled === null || out.handled.status === "handled")
  && !(out.page_errors || []).length && !(out.page_errors_online || []).length
  && !seen.external.length && !failed.length && !errors.length;
console.log(JSON.stringify({ ok, external: seen.external, failed, errors, expected: seen.expected, offline_errors: expectedOffline, ...out,
  shots: [`${dir}/worker-zh.png`, `${dir}/worker-offline.png`] }));
process.exit(ok ? 0 : 1);
