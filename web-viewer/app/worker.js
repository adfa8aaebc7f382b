// The grid worker's phone page (网格员移动端): the worker's grid on the map with the phone's
// position; the open cases of the grid (the server scopes a grid worker's token to its grid)
// with the worker's next step (处置完毕: dispatched → handled); and a report form: a category
// of the taxonomy, the place (the phone's position or a tap on the map), a component within
// 30 m of it (from the rendered `components` layer), a photo (its EXIF location stripped by
// the server unless 「保留照片位置」).
//
// Offline-tolerant: every report goes first into an IndexedDB queue (store `outbox`: the
// report's JSON with a client id made once when queued, and the photo as a Blob), then the
// queue is sent: the report (POST /api/incidents), then the photo to the id the server stored
// it under, then the item leaves the queue. A network failure leaves it queued (retried on
// the `online` event, on load and every 30 s); a report whose answer was lost is sent again
// with the same id and time, which the server answers as `existing` (nothing doubled); a
// refusal (4xx, e.g. a place outside the grid) is shown and kept aside, not retried forever.
// The service worker (worker-sw.js) keeps the page, the map of the grid and the last answers
// of the API, so the page opens without a network.
//
// A module: the page's Content-Security-Policy allows no inline script; every datum goes in
// as text (categories, ids and server messages are data).
import { api, auth, h, token, withToken } from "./util.js";
import { lang } from "./i18n.js";
import { caseReason } from "./case_reasons.js";

const TEXT = {
  zh: {
    title: "网格员", "page.title": "网格员", "lang.other": "EN", map: "地图", "map.hint": "点击地图可选择上报位置",
    "net.on": "● 在线", "net.off": "○ 离线", grid: "网格 {grid}", "grid.unknown": "网格未知",
    cases: "我的案件", "cases.count": "（{n} 件）", "cases.none": "没有未结案件", "cases.cached": "离线：显示上次的数据",
    "s.reported": "待派遣", "s.dispatched": "处置中", "s.handled": "待回访", "s.followed_up": "待结案", "s.closed": "已结案",
    "next.handled": "处置完毕", "next.followed_up": "回访完毕",
    "wait.reported": "等待街道派遣", "wait.followed_up": "等待街道结案", "case.map": "地图", "case.show": "在地图上查看",
    report: "上报事件", "r.category": "事件类别", "r.pick": "— 请选择类别 —", "r.where": "位置", "r.here": "使用当前位置",
    "r.or.tap": "或点击地图选点", "r.component": "部件（可选）", "r.no.component": "(不涉及部件)",
    "r.components.none": "(30 米内没有部件)", "r.photo": "照片（可选）", "r.photo.pick": "拍照或选择照片", "r.photo.none": "未选择照片", "r.keep": "保留照片位置", "r.go": "上报",
    "r.at": "已选位置：{lon}, {lat}（{how}）", "r.how.gps": "当前位置，精度约 {m} 米", "r.how.map": "地图选点",
    "r.outside": "注意：此位置似乎不在本网格内，服务器可能拒绝", "r.locating": "正在定位…",
    "m.need.category": "请选择事件类别", "m.need.place": "请选择位置：使用当前位置，或点击地图",
    "m.no.geo": "无法获取当前位置：{detail}", "m.geo.unsupported": "此浏览器不能定位（需要 https）",
    "m.queued": "已保存，正在发送…", "m.queued.offline": "离线：已保存在本机，联网后自动发送",
    "m.sent": "已上报：{id}", "m.sent.again": "已上报（服务器已有此报告）：{id}", "m.photo.sent": "照片已上传",
    "m.refused": "上报被拒绝（{status}）：{detail}", "m.photo.refused": "照片未能上传（{status}）：{detail}",
    "m.step": "已更新：{status}", "m.step.refused": "未能更新（{status}）：{detail}", "m.step.offline": "离线时不能更新案件，请联网后再试",
    "m.photo.bad": "无法读取这张照片，请换一张", "m.photo.shrunk": "照片已压缩为 JPEG（原图格式或大小不被接受）",
    "m.failed": "请求失败：{detail}", "token.needed": "需要访问令牌：请用 ?token=… 打开本页",
    "outbox.count": "待发送 {n} 条", "outbox.retry": "立即发送", "outbox.failed": "未被接受",
    "outbox.again": "重新发送", "outbox.drop": "删除", "outbox.photo": "（含照片）", "outbox.photo.only": "照片",
    "c.intact": "完好", "c.damaged": "破损", "c.missing": "丢失", "c.occupied": "占用",
    "sw.none": "此浏览器不支持离线（需要 https）",
  },
  en: {
    title: "Grid worker", "page.title": "Grid worker", "lang.other": "中文", map: "Map", "map.hint": "Tap the map to choose where to report",
    "net.on": "● online", "net.off": "○ offline", grid: "Grid {grid}", "grid.unknown": "grid unknown",
    cases: "My cases", "cases.count": "({n})", "cases.none": "No open case", "cases.cached": "Offline: the last data shown",
    "s.reported": "to dispatch", "s.dispatched": "being handled", "s.handled": "to follow up", "s.followed_up": "to close", "s.closed": "closed",
    "next.handled": "Handled", "next.followed_up": "Followed up",
    "wait.reported": "waiting for dispatch", "wait.followed_up": "waiting to be closed", "case.map": "Map", "case.show": "Show on the map",
    report: "Report an incident", "r.category": "Category", "r.pick": "— choose a category —", "r.where": "Place", "r.here": "Use my position",
    "r.or.tap": "or tap the map", "r.component": "Component (optional)", "r.no.component": "(no component)",
    "r.components.none": "(no component within 30 m)", "r.photo": "Photo (optional)", "r.photo.pick": "Take or choose a photo", "r.photo.none": "no photo", "r.keep": "Keep the photo's location", "r.go": "Report",
    "r.at": "Chosen: {lon}, {lat} ({how})", "r.how.gps": "my position, about {m} m", "r.how.map": "tapped on the map",
    "r.outside": "Note: this place seems to be outside your grid; the server may refuse it", "r.locating": "Locating…",
    "m.need.category": "Choose a category", "m.need.place": "Choose the place: use your position or tap the map",
    "m.no.geo": "No position: {detail}", "m.geo.unsupported": "This browser cannot locate (https needed)",
    "m.queued": "Saved, sending…", "m.queued.offline": "Offline: saved on this phone, sent when back online",
    "m.sent": "Reported: {id}", "m.sent.again": "Reported (the server had it already): {id}", "m.photo.sent": "Photo uploaded",
    "m.refused": "Report refused ({status}): {detail}", "m.photo.refused": "Photo not accepted ({status}): {detail}",
    "m.step": "Updated: {status}", "m.step.refused": "Not updated ({status}): {detail}", "m.step.offline": "Cases cannot be updated offline; try again online",
    "m.photo.bad": "This photo cannot be read; choose another", "m.photo.shrunk": "Photo converted to JPEG (its format or size was not accepted)",
    "m.failed": "Request failed: {detail}", "token.needed": "An access token is needed: open this page with ?token=…",
    "outbox.count": "{n} waiting to be sent", "outbox.retry": "Send now", "outbox.failed": "not accepted",
    "outbox.again": "Send again", "outbox.drop": "Delete", "outbox.photo": " (with photo)", "outbox.photo.only": "photo",
    "c.intact": "intact", "c.damaged": "damaged", "c.missing": "missing", "c.occupied": "occupied",
    "sw.none": "This browser cannot work offline (https needed)",
  },
};

function t(key, vars = {}) {
  const s = TEXT[lang][key] ?? TEXT.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

const params = new URLSearchParams(location.search);
const TZ = "Asia/Shanghai";
const OPEN = ["reported", "dispatched", "handled", "followed_up"];
// The grid worker's step from each step (the street office dispatches and closes).
const NEXT = { dispatched: "handled", handled: "followed_up" };
const ORDER = { dispatched: 0, handled: 1, reported: 2, followed_up: 3 };
const NEAR_M = 30; // components offered within this distance of the chosen place
const RETRY_MS = 30000;
const MAX_PHOTO = 8 << 20; // the server's limit
// The service worker's scope: this page only (the planner and desk pages under /viewer/ must
// never be answered from this page's caches).
const SW_URL = "/viewer/worker-sw.js";
const SW_SCOPE = "/viewer/worker.html";

// What the tests read.
const W = window.__worker = {
  loaded: 0, cases: [], outbox: 0, sent: [], failed: [], swReady: false, position: null, grid: null,
  started: false, chosen: null, nearby: null, sentReports: [], photos: [], errors: [], cachedData: false,
  controlled: false, warmed: 0, online: navigator.onLine, accuracy: null,
};
window.__idle = false;

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const store = {
  get(k) { try { return JSON.parse(localStorage.getItem(k)); } catch (_) { return null; } },
  set(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (_) { /* full or private mode */ } },
};
// What is kept in this browser belongs to the token it came with.
const tokenTag = token ? token.slice(-8) : "";
const kept = (k) => { const v = store.get(`wangge.worker.${k}`); return v && v.tag === tokenTag ? v.value : null; };
const keep = (k, value) => store.set(`wangge.worker.${k}`, { tag: tokenTag, value });

// The token is kept in this browser (util.js); it leaves the address bar.
if (params.has("token")) {
  const u = new URL(location.href);
  u.searchParams.delete("token");
  history.replaceState(null, "", u.pathname + u.search + u.hash);
}

// ---- formatting -----------------------------------------------------------------------------
const fmt = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
function parts(d) { return Object.fromEntries(fmt.formatToParts(d).map((x) => [x.type, x.value])); }
/// Now as the server reads a local time: `YYYY-MM-DD HH:MM:SS` (+08:00).
function beijingNow() {
  const p = parts(new Date());
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
/// `2026-11-02T08:00:00Z` → `11-02 16:00` (this year) or `2025-11-02 16:00`.
function local(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = parts(d), now = parts(new Date());
  return `${p.year === now.year ? "" : `${p.year}-`}${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
/// An id as the worker reads it: the grid's namespace (`GRID:`) left out.
function shortId(id) {
  const i = String(id).indexOf(":");
  return i > 0 && /^\d+$/.test(String(id).slice(0, i)) ? String(id).slice(i + 1) : String(id);
}

// ---- messages -------------------------------------------------------------------------------
function say(text, kind = "ok") {
  const m = $("message");
  m.textContent = text;
  m.className = kind;
  W.message = { text, kind };
}
// A refusal worded by its code in the page's language (case_reasons.js), else the server's text.
const problemText = (e) => caseReason(e, (s) => t(`s.${s}`)) || e.message || String(e);

// ---- requests -------------------------------------------------------------------------------
// URLs this page (and its map) fetched: fetched again through the service worker once it
// controls the page, so that what the first visit loaded is there offline.
const fetched = new Set();
const warmedUrls = new Set();

/// GET JSON; `{ data, cached }` (cached: the service worker answered from its cache). Throws
/// like util.api (a status on refusals, none when the network is down).
async function getJSON(path) {
  fetched.add(new URL(path, location.origin).href);
  const r = await fetch(path, { headers: auth() });
  const text = await r.text();
  if (!r.ok) {
    let p = null;
    try { p = JSON.parse(text); } catch (_) { p = null; }
    const e = new Error((p && p.detail) || text || r.statusText);
    e.status = r.status;
    throw e;
  }
  return { data: JSON.parse(text), cached: r.headers.get("x-wangge-cache") === "offline" };
}

/// MapLibre's requests: the token on this server's, and this page's scheme and host (the
/// server writes `http://host` into the style and TileJSON also when it serves https).
function request(url) {
  let u = url;
  try {
    const p = new URL(url, location.href);
    u = p.host === location.host ? location.origin + p.pathname + p.search : p.href;
    if (u.startsWith(`${location.origin}/`)) fetched.add(u);
  } catch (_) { /* an odd URL: as it is */ }
  return withToken(u);
}

// ---- reference data: category names, component class names -------------------------------
const names = { categories: {}, classes: {} };
const category = (code) => names.categories[code] || code || "–";

async function loadNames() {
  try {
    const { data } = await getJSON("/api/incidents/summary");
    names.categories = (lang === "zh" ? data.names : data.names_en) || data.names || {};
    keep(`names.${lang}`, names.categories);
  } catch (e) {
    names.categories = kept(`names.${lang}`) || {};
    W.errors.push(`summary: ${problemText(e)}`);
  }
  fillCategories();
  try {
    const { data } = await getJSON("/api/components");
    for (const r of data.rows || []) if (r.class && r.class_zh) names.classes[r.class] = r.class_zh;
    keep("classes", names.classes);
  } catch (e) {
    names.classes = kept("classes") || {};
  }
}

function fillCategories() {
  const s = $("report-category");
  const current = s.value;
  const codes = Object.keys(names.categories).sort((a, b) => (a === "other") - (b === "other")
    || category(a).localeCompare(category(b), lang === "zh" ? "zh-CN" : "en"));
  s.replaceChildren(h("option", { value: "" }, t("r.pick")),
    ...codes.map((c) => h("option", { value: c, selected: c === current }, category(c))));
}

// ---- my grid --------------------------------------------------------------------------------
function setGrid(code) {
  if (!code || code === W.grid) return;
  W.grid = code;
  gridFitted = false;
  keep("grid", code);
  $("grid-code").textContent = t("grid", { grid: code });
  if (mapReady) {
    const f = ["==", ["get", "code"], code];
    map.setFilter("worker-grid-fill", f);
    map.setFilter("worker-grid", f);
    fitGrid();
  }
}

// ---- my cases -------------------------------------------------------------------------------
async function loadCases() {
  let answer;
  try {
    answer = await getJSON(`/api/incidents?status=${OPEN.join(",")}&limit=200`);
  } catch (e) {
    if (e.status) say(t("m.failed", { detail: problemText(e) }), "error");
    // No network and no service worker (plain http on the intranet): the last list kept here.
    const last = kept("cases");
    if (last && !W.cases.length) { W.cases = last; W.cachedData = true; renderCases(); drawCases(); W.loaded += 1; }
    W.errors.push(`cases: ${problemText(e)}`);
    return;
  }
  W.cases = answer.data.incidents || [];
  W.total = answer.data.total;
  W.cachedData = answer.cached;
  if (!answer.cached) keep("cases", W.cases);
  // The server scopes a grid worker's cases to its grid: their grid is mine (over ?grid=).
  const g = W.cases.find((c) => c.grid);
  if (g) setGrid(g.grid);
  renderCases();
  drawCases();
  W.loaded += 1;
}

function renderCases() {
  const cases = W.cases.slice().sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || String(b.time).localeCompare(String(a.time)));
  $("cases-count").textContent = t("cases.count", { n: cases.length });
  const items = cases.map((c) => {
    const to = NEXT[c.status];
    return h("li", { class: `case status-line-${c.status}`, dataset: { id: c.id, status: c.status } },
      h("div", { class: "case-head" },
        h("b", { class: "case-cat" }, category(c.category)),
        h("span", { class: `status status-${c.status}` }, t(`s.${c.status}`)),
        c.lon != null ? h("button", { type: "button", class: "ghost small locate", title: t("case.show"), onclick: () => flyTo([c.lon, c.lat]) }, t("case.map")) : null),
      h("div", { class: "case-meta muted" },
        h("time", {}, local(c.time)), " · ", h("span", { class: "case-id", title: c.id }, shortId(c.id)),
        c.component ? [" · ", c.component] : null,
        to ? null : [" · ", h("span", { class: "wait" }, t(`wait.${c.status}`))]),
      to ? h("div", { class: "case-act" },
        h("button", { type: "button", class: "next", dataset: { id: c.id, to }, onclick: (e) => step(c, to, e.currentTarget) }, t(`next.${to}`))) : null);
  });
  if (W.cachedData) items.unshift(h("li", { class: "note" }, t("cases.cached")));
  if (!cases.length) items.push(h("li", { class: "muted empty" }, t("cases.none")));
  $("cases").replaceChildren(...items);
}

async function step(c, to, button) {
  if (!navigator.onLine) { say(t("m.step.offline"), "error"); return; }
  button.disabled = true;
  try {
    const after = await api(`/api/incidents/${enc(c.id)}`, { method: "PATCH", body: JSON.stringify({ status: to }) });
    say(t("m.step", { status: `${category(c.category)} ${shortId(c.id)} → ${t(`s.${after.status || to}`)}` }));
    W.stepped = { id: c.id, status: after.status || to };
  } catch (e) {
    W.errors.push(`step ${c.id}: ${e.status || "?"} ${problemText(e)}`);
    say(e.status ? t("m.step.refused", { status: e.status, detail: problemText(e) }) : t("m.step.offline"), "error");
  } finally {
    if (button.isConnected) button.disabled = false;
    await loadCases();
  }
}

// ---- the outbox (IndexedDB) -----------------------------------------------------------------
const DB_NAME = "wangge-worker";
let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => { r.result.createObjectStore("outbox", { keyPath: "id" }); };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  return dbPromise;
}
async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const x = d.transaction("outbox", mode);
    const s = x.objectStore("outbox");
    const r = fn(s);
    x.oncomplete = () => resolve(r && "result" in r ? r.result : undefined);
    x.onerror = () => reject(x.error);
    x.onabort = () => reject(x.error || new Error("IndexedDB transaction aborted"));
  });
}
const outboxAll = () => tx("readonly", (s) => s.getAll());
const outboxPut = (item) => tx("readwrite", (s) => s.put(item));
const outboxDel = (id) => tx("readwrite", (s) => s.delete(id));

function clientId() {
  const r = new Uint8Array(5);
  crypto.getRandomValues(r);
  return `${Date.now().toString(36)}-${[...r].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function refreshOutbox() {
  let items = [];
  try { items = await outboxAll(); } catch (e) { W.errors.push(`outbox: ${e}`); }
  items.sort((a, b) => a.queued - b.queued);
  const waiting = items.filter((i) => !i.failed);
  const failed = items.filter((i) => i.failed);
  W.outbox = waiting.length;
  W.failed = failed.map((i) => ({ id: i.id, stored: i.stored || null, step: i.failed.step, status: i.failed.status, detail: i.failed.detail }));
  const count = $("outbox-count");
  count.textContent = t("outbox.count", { n: waiting.length });
  count.className = waiting.length ? "pending" : "muted";
  $("outbox-retry").hidden = !waiting.length;
  $("outbox-list").replaceChildren(...waiting.map((i) => h("li", { class: "small" },
    h("b", {}, category(i.report.category)), " ", h("time", { class: "muted" }, i.report.time.slice(5, 16)),
    i.photo ? t("outbox.photo") : "", i.stored ? h("span", { class: "muted" }, ` → ${shortId(i.stored)}`) : null)));
  $("outbox-failed").replaceChildren(...failed.map((i) => h("li", { class: "failed", dataset: { id: i.id } },
    h("div", {}, h("b", {}, i.failed.step === "photo" ? `${t("outbox.photo.only")} · ${category(i.report.category)}` : category(i.report.category)),
      " ", h("time", { class: "muted" }, i.report.time.slice(5, 16)), " · ", h("span", { class: "error-text" }, `${t("outbox.failed")} (${i.failed.status})`)),
    h("div", { class: "small detail" }, i.failed.detail),
    h("div", { class: "row" },
      h("button", { type: "button", class: "small again", onclick: () => again(i.id) }, t("outbox.again")),
      h("button", { type: "button", class: "small ghost drop", onclick: () => drop(i.id) }, t("outbox.drop"))))));
  $("outbox").classList.toggle("empty", !waiting.length && !failed.length);
}

async function again(id) {
  const item = (await outboxAll()).find((i) => i.id === id);
  if (!item) return;
  delete item.failed;
  await outboxPut(item);
  await refreshOutbox();
  flush();
}
async function drop(id) {
  await outboxDel(id);
  await refreshOutbox();
}

class Offline extends Error {}
/// A refusal worth retrying later (the server busy or restarting), not the worker's to fix.
const transient = (status) => status >= 500 || status === 408 || status === 429;

async function answerOf(r) {
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch (_) { body = null; }
  return { body, detail: (body && caseReason(body, (s) => t(`s.${s}`))) || (body && body.detail) || text || r.statusText };
}

/// Sends one queued item: the report, then its photo; removes it when both are stored.
async function sendOne(item) {
  if (!item.stored) {
    let r;
    try {
      r = await fetch("/api/incidents", { method: "POST", headers: auth({ "content-type": "application/json" }), body: JSON.stringify(item.report) });
    } catch (e) {
      throw new Offline(String(e));
    }
    const { body, detail } = await answerOf(r);
    if (r.status === 201 && body) {
      item.stored = (body.added && body.added[0]) || (body.existing && body.existing[0]) || `${W.grid}:${item.report.id}`;
      item.existing = !(body.added && body.added.length);
      await outboxPut(item);
      if (!W.sent.includes(item.stored)) {
        W.sent.push(item.stored);
        W.sentReports.push({ id: item.stored, report: item.report, existing: item.existing });
      }
      say(t(item.existing ? "m.sent.again" : "m.sent", { id: shortId(item.stored) }));
    } else if (transient(r.status)) {
      throw new Offline(`${r.status}: ${detail}`);
    } else {
      item.failed = { step: "report", status: r.status, detail };
      await outboxPut(item);
      say(t("m.refused", { status: r.status, detail }), "error");
      return;
    }
  }
  if (item.photo && !item.photoDone) {
    let r;
    try {
      r = await fetch(`/api/incidents/${enc(item.stored)}/photos${item.keepLocation ? "?keep_location=1" : ""}`,
        { method: "POST", headers: auth({ "content-type": item.photo.type }), body: item.photo });
    } catch (e) {
      throw new Offline(String(e));
    }
    const { body, detail } = await answerOf(r);
    if (r.status === 201 || r.status === 200) {
      item.photoDone = true;
      W.photos.push({ id: item.stored, ...(body || {}) });
      say(`${t(item.existing ? "m.sent.again" : "m.sent", { id: shortId(item.stored) })} · ${t("m.photo.sent")}`);
    } else if (transient(r.status)) {
      await outboxPut(item);
      throw new Offline(`${r.status}: ${detail}`);
    } else {
      item.failed = { step: "photo", status: r.status, detail };
      await outboxPut(item);
      say(t("m.photo.refused", { status: r.status, detail }), "error");
      return;
    }
  }
  await outboxDel(item.id);
  if (!W.sent.includes(item.stored)) {
    W.sent.push(item.stored);
    W.sentReports.push({ id: item.stored, report: item.report, existing: !!item.existing });
  }
}

let flushing = null, flushAgain = false;
/// Sends the queue, oldest first; one run at a time (a call during a run makes another).
function flush() {
  if (flushing) { flushAgain = true; return flushing; }
  flushing = (async () => {
    let delivered = 0;
    do {
      flushAgain = false;
      if (!navigator.onLine) break;
      let items = [];
      try { items = (await outboxAll()).filter((i) => !i.failed).sort((a, b) => a.queued - b.queued); } catch (e) { W.errors.push(`outbox: ${e}`); }
      for (const item of items) {
        try {
          await sendOne(item);
          delivered += 1;
        } catch (e) {
          if (e instanceof Offline) { W.lastOffline = e.message; break; }
          W.errors.push(`send ${item.id}: ${e}`);
        }
        await refreshOutbox();
      }
    } while (flushAgain);
    await refreshOutbox();
    if (delivered) loadCases();
  })().finally(() => { flushing = null; });
  return flushing;
}

// ---- the report form ------------------------------------------------------------------------
let chosen = null; // { lon, lat, how, accuracy }

function choose(lon, lat, how, accuracy = null) {
  chosen = { lon: Number(lon.toFixed(7)), lat: Number(lat.toFixed(7)), how, accuracy };
  W.chosen = chosen;
  W.nearby = null;
  if (mapReady) {
    map.getSource("worker-pick").setData({ type: "FeatureCollection", features: [{ type: "Feature",
      geometry: { type: "Point", coordinates: [chosen.lon, chosen.lat] }, properties: {} }] });
  }
  const howText = how === "gps" ? t("r.how.gps", { m: Math.round(accuracy || 0) }) : t("r.how.map");
  $("report-where").replaceChildren(t("r.at", { lon: chosen.lon.toFixed(6), lat: chosen.lat.toFixed(6), how: howText }));
  $("report-where").className = "small";
  findComponents(chosen);
}

function clearChoice() {
  chosen = null;
  W.chosen = null;
  W.nearby = null;
  if (mapReady) map.getSource("worker-pick").setData(EMPTY);
  $("report-where").textContent = "";
  $("component-field").hidden = true;
  $("report-component").replaceChildren();
}

function locate() {
  if (!navigator.geolocation) { say(t("m.geo.unsupported"), "error"); return; }
  $("report-where").textContent = t("r.locating");
  navigator.geolocation.getCurrentPosition((p) => {
    here(p);
    choose(p.coords.longitude, p.coords.latitude, "gps", p.coords.accuracy);
    watchPosition();
  }, (e) => {
    $("report-where").textContent = "";
    say(t("m.no.geo", { detail: e.message || e.code }), "error");
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 10000 });
}

let watching = null;
function watchPosition() {
  if (watching != null || !navigator.geolocation) return;
  watching = navigator.geolocation.watchPosition(here, () => {}, { enableHighAccuracy: true, maximumAge: 10000 });
}
/// The phone's position: a dot on the map.
function here(p) {
  W.position = [p.coords.longitude, p.coords.latitude];
  W.accuracy = p.coords.accuracy;
  drawMe();
}

/// The components within 30 m of the place, nearest first, from the rendered layers (the map
/// moves there at zoom 17 first when they are not rendered).
async function findComponents(at) {
  const select = $("report-component");
  if (!mapReady) { $("component-field").hidden = true; return; }
  const px = map.project([at.lon, at.lat]);
  const canvas = map.getCanvas();
  const inView = px.x >= 0 && px.y >= 0 && px.x <= canvas.clientWidth && px.y <= canvas.clientHeight;
  if (map.getZoom() < 16 || !inView) {
    map.easeTo({ center: [at.lon, at.lat], zoom: Math.max(map.getZoom(), 17), duration: 300 });
  }
  await settled();
  if (chosen !== at) return; // another place was chosen meanwhile
  const p = map.project([at.lon, at.lat]);
  const mpp = (40075016.686 * Math.cos((at.lat * Math.PI) / 180)) / (512 * 2 ** map.getZoom());
  const r = NEAR_M / mpp + 4;
  const layers = ["worker-components", "components", "components-line"].filter((id) => map.getLayer(id));
  const found = new Map();
  for (const f of map.queryRenderedFeatures([[p.x - r, p.y - r], [p.x + r, p.y + r]], { layers })) {
    const key = f.properties && f.properties.key;
    if (!key) continue;
    const d = distanceTo([at.lon, at.lat], f.geometry);
    if (d > NEAR_M) continue;
    if (!found.has(key) || found.get(key).d > d) found.set(key, { key, d, cls: f.properties.class, status: f.properties.status });
  }
  const near = [...found.values()].sort((a, b) => a.d - b.d).slice(0, 20);
  W.nearby = near.length;
  W.nearbyList = near;
  select.replaceChildren(h("option", { value: "" }, near.length ? t("r.no.component") : t("r.components.none")),
    ...near.map((c) => h("option", { value: c.key, dataset: { status: c.status || "" } },
      `${names.classes[c.cls] || c.cls || "?"} · ${c.status ? t(`c.${c.status}`) : "?"} · ${Math.round(c.d)} m`)));
  $("component-field").hidden = false;
  if (W.grid && map.getLayer("worker-grid-fill")) {
    const inside = map.queryRenderedFeatures(p, { layers: ["worker-grid-fill"] }).length > 0;
    W.chosenInside = inside;
    if (!inside) $("report-where").append(h("br"), h("span", { class: "warn" }, t("r.outside")));
  }
}

/// Metres from a point to a point or line geometry (local flat approximation).
function distanceTo([lon, lat], g) {
  const kx = 111320 * Math.cos((lat * Math.PI) / 180), ky = 110540;
  const xy = (c) => [(c[0] - lon) * kx, (c[1] - lat) * ky];
  const seg = (a, b) => {
    const [ax, ay] = xy(a), [bx, by] = xy(b);
    const dx = bx - ax, dy = by - ay, l = dx * dx + dy * dy;
    const s = l ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / l)) : 0;
    return Math.hypot(ax + s * dx, ay + s * dy);
  };
  const lines = (cs) => cs.length === 1 ? Math.hypot(...xy(cs[0])) : Math.min(...cs.slice(1).map((c, i) => seg(cs[i], c)));
  switch (g.type) {
    case "Point": return Math.hypot(...xy(g.coordinates));
    case "MultiPoint": return Math.min(...g.coordinates.map((c) => Math.hypot(...xy(c))));
    case "LineString": return lines(g.coordinates);
    case "MultiLineString": case "Polygon": return Math.min(...g.coordinates.map(lines));
    case "MultiPolygon": return Math.min(...g.coordinates.flat(1).map(lines));
    default: return Infinity;
  }
}

/// The photo as the server takes it: a JPEG or PNG (by its bytes) up to 8 MiB as it is;
/// anything else (HEIC, WebP, too large) drawn again as a JPEG (its metadata is lost then).
async function photoBlob(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if ((jpeg || png) && bytes.length <= MAX_PHOTO) return { blob: new Blob([bytes], { type: jpeg ? "image/jpeg" : "image/png" }), shrunk: false };
  const img = await createImageBitmap(file);
  let scale = Math.min(1, 2560 / Math.max(img.width, img.height));
  for (let quality = 0.85; ; quality -= 0.15) {
    const c = document.createElement("canvas");
    c.width = Math.max(1, Math.round(img.width * scale));
    c.height = Math.max(1, Math.round(img.height * scale));
    c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
    const blob = await new Promise((resolve) => c.toBlob(resolve, "image/jpeg", quality));
    if (!blob) throw new Error("the photo could not be encoded");
    if (blob.size <= MAX_PHOTO || quality < 0.4) return { blob, shrunk: true };
    scale *= 0.7;
  }
}

let previewUrl = null;
function preview() {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  const f = $("photo").files[0];
  $("photo-name").textContent = f ? `${f.name} · ${Math.max(1, Math.round(f.size / 1024))} KB` : t("r.photo.none");
  if (!f) { $("photo-preview").replaceChildren(); return; }
  previewUrl = URL.createObjectURL(f);
  $("photo-preview").replaceChildren(h("img", { src: previewUrl, alt: f.name }));
}

let submitting = false;
async function submit(e) {
  e.preventDefault();
  if (submitting) return;
  const code = $("report-category").value;
  if (!code) { say(t("m.need.category"), "error"); $("report-category").focus(); return; }
  if (!chosen) { say(t("m.need.place"), "error"); return; }
  submitting = true;
  $("report-go").disabled = true;
  try {
    const report = { id: clientId(), time: beijingNow(), category: code, source: "grid_worker", lon: chosen.lon, lat: chosen.lat };
    const component = $("component-field").hidden ? "" : $("report-component").value;
    if (component) report.component = component;
    const item = { id: report.id, report, queued: Date.now(), photo: null, keepLocation: $("keep-location").checked };
    const file = $("photo").files[0];
    if (file) {
      try {
        const p = await photoBlob(file);
        item.photo = p.blob;
        if (p.shrunk) say(t("m.photo.shrunk"));
      } catch (err) {
        W.errors.push(`photo: ${err}`);
        say(t("m.photo.bad"), "error");
        return;
      }
    }
    await outboxPut(item);
    W.queuedIds = [...(W.queuedIds || []), report.id];
    // The form is ready for the next report; the category stays chosen.
    $("report-form").reset();
    $("report-category").value = code;
    preview();
    clearChoice();
    await refreshOutbox();
    say(navigator.onLine ? t("m.queued") : t("m.queued.offline"), navigator.onLine ? "ok" : "warn");
    flush();
  } catch (err) {
    W.errors.push(`queue: ${err}`);
    say(t("m.failed", { detail: String(err) }), "error");
  } finally {
    submitting = false;
    $("report-go").disabled = false;
  }
}

// ---- the map --------------------------------------------------------------------------------
const EMPTY = { type: "FeatureCollection", features: [] };
const lastBounds = kept("bounds");
const map = new maplibregl.Map({
  container: "map", style: "/style.json", attributionControl: false,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif",
  transformRequest: request, maxZoom: 19,
  ...(lastBounds ? { bounds: lastBounds, fitBoundsOptions: { padding: 24 } } : {}),
});
window.__map = map;
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
let tilesFailed = false;
map.on("error", (e) => {
  if (e && (e.tile || e.sourceId)) tilesFailed = true;
  W.errors.push(`map: ${String((e && e.error && e.error.message) || e)}`.slice(0, 300));
});
/// Back online: what the map could not load offline (the style, tiles not kept) loads now.
function mapOnline() {
  if (!mapReady) { map.setStyle("/style.json"); return; }
  if (!tilesFailed) return;
  tilesFailed = false;
  const src = map.getSource("wangge");
  if (src && typeof src.setTiles === "function" && Array.isArray(src.tiles)) src.setTiles(src.tiles);
}
map.on("idle", () => { window.__idle = true; if (!gridFitted) fitGrid(); warm(); });
map.on("movestart", () => { window.__idle = false; });
let mapReady = false, gridFitted = false;

const STATUS_COLOUR = ["match", ["get", "status"], "reported", "#c92a2a", "dispatched", "#364fc7", "handled", "#0b7258", "followed_up", "#b08900", "#495057"];

map.on("style.load", () => {
  if (map.getLayer("worker-grid")) return;
  for (const id of ["heat", "buildings-3d"]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", "none");
  if (map.getLayer("grids-fill")) map.setPaintProperty("grids-fill", "fill-opacity", 0.12);
  const firstSymbol = (map.getStyle().layers.find((l) => l.type === "symbol") || {}).id;
  const mine = ["==", ["get", "code"], W.grid || ""];
  map.addLayer({ id: "worker-grid-fill", type: "fill", source: "wangge", "source-layer": "grids", filter: mine,
    paint: { "fill-color": "#ff922b", "fill-opacity": 0.16 } }, firstSymbol);
  map.addLayer({ id: "worker-grid", type: "line", source: "wangge", "source-layer": "grids", filter: mine,
    paint: { "line-color": "#e8590c", "line-width": 3.5 } }, firstSymbol);
  map.addLayer({ id: "worker-components", type: "circle", source: "wangge", "source-layer": "components", minzoom: 15,
    filter: ["==", ["geometry-type"], "Point"],
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 15, 2.5, 18, 6],
      "circle-color": ["match", ["get", "status"], "damaged", "#d7191c", "missing", "#7b3294", "occupied", "#fdae61", "#5c7cfa"],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 1,
    } });
  map.addSource("worker-cases", { type: "geojson", data: EMPTY });
  map.addLayer({ id: "worker-cases", type: "circle", source: "worker-cases",
    paint: { "circle-radius": 6, "circle-color": STATUS_COLOUR, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
  map.addSource("worker-me", { type: "geojson", data: EMPTY });
  map.addLayer({ id: "worker-me-halo", type: "circle", source: "worker-me",
    paint: { "circle-radius": 14, "circle-color": "rgba(34,139,230,0.18)", "circle-stroke-color": "rgba(34,139,230,0.4)", "circle-stroke-width": 1 } });
  map.addLayer({ id: "worker-me", type: "circle", source: "worker-me",
    paint: { "circle-radius": 7, "circle-color": "#1c7ed6", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2.5 } });
  map.addSource("worker-pick", { type: "geojson", data: EMPTY });
  map.addLayer({ id: "worker-pick-halo", type: "circle", source: "worker-pick",
    paint: { "circle-radius": 16, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#c92a2a", "circle-stroke-width": 3 } });
  map.addLayer({ id: "worker-pick", type: "circle", source: "worker-pick",
    paint: { "circle-radius": 6, "circle-color": "#c92a2a", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
  mapReady = true;
  drawCases();
  drawMe();
  if (chosen) choose(chosen.lon, chosen.lat, chosen.how, chosen.accuracy);
});

map.on("click", (e) => { if (mapReady) choose(e.lngLat.lng, e.lngLat.lat, "map"); });

/// Fits the map to my grid once its tiles are in (the union of its pieces in loaded tiles).
function fitGrid() {
  if (!mapReady || !W.grid || gridFitted) return;
  const parts = map.querySourceFeatures("wangge", { sourceLayer: "grids", filter: ["==", ["get", "code"], W.grid] });
  let b = null;
  const walk = (c) => {
    if (typeof c[0] === "number") b = b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])] : [c[0], c[1], c[0], c[1]];
    else for (const x of c) walk(x);
  };
  for (const f of parts) walk(f.geometry.coordinates);
  if (!b) return;
  gridFitted = true;
  W.gridBounds = b;
  keep("bounds", [[b[0], b[1]], [b[2], b[3]]]);
  const cam = map.cameraForBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 24 });
  const c = map.getCenter();
  // Already there (the last visit's view): nothing moves.
  if (cam && (Math.abs(cam.zoom - map.getZoom()) > 0.05 || Math.abs(c.lng - cam.center.lng) > 1e-5 || Math.abs(c.lat - cam.center.lat) > 1e-5)) {
    map.jumpTo(cam);
  }
}

function drawCases() {
  if (!mapReady) return;
  map.getSource("worker-cases").setData({ type: "FeatureCollection", features: W.cases.filter((c) => c.lon != null && c.lat != null).map((c) => ({
    type: "Feature", geometry: { type: "Point", coordinates: [c.lon, c.lat] }, properties: { id: c.id, status: c.status },
  })) });
}

function drawMe() {
  if (!mapReady || !W.position) return;
  map.getSource("worker-me").setData({ type: "FeatureCollection", features: [{ type: "Feature",
    geometry: { type: "Point", coordinates: W.position }, properties: {} }] });
}

function flyTo(at) {
  map.easeTo({ center: at, zoom: Math.max(map.getZoom(), 17), duration: 400 });
  document.getElementById("map").scrollIntoView({ block: "start", behavior: "smooth" });
}

/// Resolves when the map has finished moving and loading.
function settled() {
  return new Promise((resolve) => {
    const done = () => !map.isMoving() && map.loaded() && map.areTilesLoaded();
    if (done()) { resolve(); return; }
    const timer = setTimeout(resolve, 8000); // offline, tiles may never come
    map.once("idle", () => { clearTimeout(timer); resolve(); });
  });
}

// ---- the service worker ---------------------------------------------------------------------
/// What the page fetched before the service worker controlled it, fetched again through it
/// (into its caches), so that the first visit is enough to open the page offline.
let warming = null, mustWarm = false;
function warm() {
  if (!mustWarm || !navigator.serviceWorker || !navigator.serviceWorker.controller || warming || !navigator.onLine) return warming;
  warming = (async () => {
    const todo = [...fetched].filter((u) => !warmedUrls.has(u));
    await Promise.all(todo.map(async (u) => {
      warmedUrls.add(u);
      try {
        const r = await fetch(u, { headers: auth() });
        await r.arrayBuffer();
        W.warmed += 1;
      } catch (_) { warmedUrls.delete(u); }
    }));
  })().finally(() => { warming = null; });
  return warming;
}

async function serviceWorker() {
  if (!("serviceWorker" in navigator)) {
    W.swError = window.isSecureContext ? "no service worker support" : "not a secure context";
    $("net").title = t("sw.none");
    return;
  }
  // The first visit: the page was not controlled when it loaded.
  mustWarm = !navigator.serviceWorker.controller;
  try {
    await navigator.serviceWorker.register(SW_URL, { scope: SW_SCOPE });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => {
        navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
        setTimeout(resolve, 10000);
      });
    }
    W.controlled = !!navigator.serviceWorker.controller;
    if (mustWarm) await warm();
    W.swReady = W.controlled;
  } catch (e) {
    W.swError = String(e);
    W.errors.push(`service worker: ${e}`);
  }
}

// ---- start ----------------------------------------------------------------------------------
function net() {
  W.online = navigator.onLine;
  $("net").textContent = t(navigator.onLine ? "net.on" : "net.off");
  $("net").className = navigator.onLine ? "on" : "off";
}

function applyTexts() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("page.title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("map").setAttribute("aria-label", t("map"));
  const other = new URL(location.href);
  other.searchParams.delete("token");
  other.searchParams.set("lang", lang === "zh" ? "en" : "zh");
  $("lang").href = other.pathname + other.search;
  $("lang").textContent = t("lang.other");
  $("grid-code").textContent = W.grid ? t("grid", { grid: W.grid }) : t("grid.unknown");
  $("photo-name").textContent = t("r.photo.none");
}

async function start() {
  const g = params.get("grid") || kept("grid");
  if (g) { W.grid = g; keep("grid", g); }
  applyTexts();
  net();
  fillCategories();
  if (!token) say(t("token.needed"), "error");
  $("report-form").addEventListener("submit", submit);
  $("use-position").addEventListener("click", locate);
  $("photo").addEventListener("change", preview);
  $("outbox-retry").addEventListener("click", () => flush());
  window.addEventListener("online", () => { net(); flush(); warm(); mapOnline(); });
  window.addEventListener("offline", net);
  setInterval(() => flush(), RETRY_MS);
  // The position dot from the start when the phone already allows it.
  if (navigator.permissions && navigator.geolocation) {
    navigator.permissions.query({ name: "geolocation" }).then((p) => { if (p.state === "granted") watchPosition(); }).catch(() => {});
  }
  serviceWorker();
  await refreshOutbox();
  W.started = true;
  await Promise.all([loadNames(), loadCases()]);
  // The categories' names are known now.
  renderCases();
  refreshOutbox();
  flush();
}

// Live: a case of my grid dispatched, reassigned or closed by the street office shows at once
// (the event stream carries my grid's cases); at most one reload a second.
let liveDue = null;
function followStream() {
  if (!token || typeof EventSource === "undefined") return;
  const es = new EventSource(`/api/incidents/stream?token=${encodeURIComponent(token)}`);
  const changed = () => {
    W.events = (W.events || 0) + 1;
    if (liveDue) return;
    liveDue = setTimeout(() => { liveDue = null; loadCases().catch(() => {}); }, 1000);
  };
  es.addEventListener("incident", changed);
  es.addEventListener("status", changed);
}

start().then(followStream).catch((e) => { W.errors.push(`start: ${e}`); say(t("m.failed", { detail: String(e) }), "error"); });
