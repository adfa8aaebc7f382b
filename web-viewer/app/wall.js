// The wall screen: a leader's dashboard over the live heat map. Headline KPIs of the latest
// month with data and their change on the month before, the district's 12-month trend,
// rankings of streets and communities (incidents per 1,000 households, overdue cases) and of
// the departments and workers the cases were assigned to (on-time closure rate), the
// newest incidents by community, and a heat map whose colour scale follows the window (the
// server's `max=auto`: 99th percentile over the district; a linear ramp, `?ramp=log` for a log one; radius on the ground so
// zooms agree), masked to the district. Click a ranking row or the breadcrumb to drill from
// district to street to community. Every figure is the API's (`/api/kpi`, `/api/kpi/trend`,
// `/api/incidents/summary`); nothing is computed here but shares and differences of those.
// Time is shown in Asia/Shanghai (`?tz=` to change). The map redraws only when data change
// or the view changes: no timer touches the page more than once a minute.
// A module: the page's Content-Security-Policy allows no inline script. Text goes in as text
// nodes only (names are data; a community key may hold markup).
import { apply, lang, t } from "./i18n.js";

const params = new URLSearchParams(location.search);
const TOKEN = params.get("token");
const AUTH = TOKEN ? { authorization: `Bearer ${TOKEN}` } : {};
const TZ = params.get("tz") || "Asia/Shanghai";
const W = window.__wall = { events: 0, heatRefreshes: 0, summaries: 0, errors: [], idle: false, reconnects: 0, renders: 0 };
const dpr = window.devicePixelRatio || 1;
const $ = (id) => document.getElementById(id);
const locale = lang === "zh" ? "zh-CN" : "en-GB";

async function getJson(path) {
  const r = await fetch(path, { headers: AUTH });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

/// An element with text (never markup) and optional attributes.
function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// The fewest incidents a count shown may stand for (the server's default `min_count`).
const FLOOR = 3;
// The count floor in use: the server's (`count_below` of its KPI answers) once known.
let floor = FLOOR;
const pct = (r) => (r == null ? "–" : `${(r * 100).toFixed(1)}%`);
const num = (n) => (n == null ? "–" : Number(n).toLocaleString(locale));
const fixed1 = (x) => (x == null ? "–" : x.toFixed(1));

// ---- the map ----------------------------------------------------------------------------
const map = new maplibregl.Map({
  container: "map", style: "/style.json", interactive: false, attributionControl: false,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif",
  pixelRatio: dpr, fadeDuration: 0,
  transformRequest: (url) => (TOKEN && url.startsWith(location.origin) ? { url, headers: AUTH } : { url }),
});
window.__map = map;
map.on("error", (e) => W.errors.push(String((e && e.error && e.error.message) || e)));
map.on("idle", () => { W.idle = true; });
map.on("render", () => { W.renders += 1; });

const WINDOWS = [1, 7, 30, 365];
let days = WINDOWS.includes(Number(params.get("days"))) ? Number(params.get("days")) : 7;
// The version of the heat tiles: a new one after new incidents (the server lets a versioned
// tile be kept, so an idle wall fetches and redraws nothing).
let version = Date.now();
// Radius on the ground: the same kernel at every zoom. The colour scale's maximum comes from
// the data of the window (max=auto).
// When the data end before today (an archive, the demo), the window ends on the newest
// incident's day, and the page says so.
let dataEnd = null; // YYYY-MM-DD, local
let shownDay = null; // the local date the heat tiles were asked for
const ramp = params.get("ramp") === "log" ? "log" : "linear";
const heatQuery = () => `days=${days}&radius_m=200&max=auto&ramp=${ramp}${dataEnd ? `&to=${dataEnd}` : ""}`;
const heatUrl = () => `${location.origin}/heat/{z}/{x}/{y}${dpr >= 1.5 ? "@2x" : ""}.png?${heatQuery()}&v=${version}`;

map.on("load", async () => {
  const dark = {
    background: ["background-color", "#0b1220"], landuse: ["fill-color", "#111a2c"],
    green: ["fill-color", "#10261f"], water: ["fill-color", "#0d2540"],
    "communities-fill": ["fill-color", "#131d31"], "grids-fill": ["fill-opacity", 0.06],
    "streets-minor": ["line-color", "#24324d"], "streets-major": ["line-color", "#3b4d72"],
    "grids-line": ["line-color", "#2e4a3f"], "communities-line": ["line-color", "#5b6fa0"],
  };
  for (const [id, [prop, value]] of Object.entries(dark)) {
    if (map.getLayer(id)) map.setPaintProperty(id, prop, value);
  }
  for (const id of ["buildings-3d", "facilities", "streets-label", "grids-label", "facilities-label", "service-areas", "gap-areas"]) {
    if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", "none");
  }
  if (map.getLayer("communities-label")) {
    // At least 30 device pixels: readable at 3 m on a 4K screen.
    map.setLayoutProperty("communities-label", "text-size", Math.max(15, Math.ceil(30 / dpr)));
    map.setPaintProperty("communities-label", "text-color", "#e6edf7");
    map.setPaintProperty("communities-label", "text-halo-color", "#0b1220");
  }
  map.getSource("heat").setTiles([heatUrl()]);
  map.setLayoutProperty("heat", "visibility", "visible");
  map.setPaintProperty("heat", "raster-opacity", 0.9);
  map.setPaintProperty("heat", "raster-fade-duration", 0);
  await loadViews();
  // The district's mask above the heat: nothing spills outside it.
  if (views && views.outline) {
    const holes = [];
    const polys = views.outline.type === "MultiPolygon" ? views.outline.coordinates : views.outline.type === "Polygon" ? [views.outline.coordinates] : [];
    for (const p of polys) holes.push(p[0]);
    map.addSource("wall-mask", { type: "geojson", data: { type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]], ...holes] } } });
    map.addLayer({ id: "wall-mask", type: "fill", source: "wall-mask", paint: { "fill-color": "#0b1220", "fill-opacity": 1 } }, map.getLayer("communities-label") ? "communities-label" : undefined);
    map.addSource("wall-outline", { type: "geojson", data: { type: "Feature", properties: {}, geometry: views.outline } });
    map.addLayer({ id: "wall-outline", type: "line", source: "wall-outline", paint: { "line-color": "#7f93c4", "line-width": 2 } });
  }
  map.addLayer({ id: "wall-focus", type: "line", source: "wangge", "source-layer": "communities",
    filter: ["in", ["get", "code"], ["literal", []]], paint: { "line-color": "#fdae61", "line-width": 4 } });
  startRotation();
  vectorVersion();
  setInterval(vectorVersion, 300000);
});

// The vector tiles carry the data version they show (`/api/views`): kept while it holds,
// asked again when it changes (checked every five minutes).
let dataVersion = null, baseTiles = null;
async function vectorVersion() {
  const src = map.getSource("wangge");
  if (!src || !src.tiles) return;
  baseTiles = baseTiles || src.tiles.slice();
  let v;
  try { v = (await getJson("/api/views")).data_version; } catch (e) { v = null; }
  v = v || `h${Math.floor(Date.now() / 3600000)}`;
  if (v === dataVersion) return;
  dataVersion = v;
  src.setTiles(baseTiles.map((u) => `${u}${u.includes("?") ? "&" : "?"}v=${encodeURIComponent(v)}`));
}

// ---- views, drill-down and rotation -----------------------------------------------------
let views = null; // { views, communities, outline }
let focus = { level: "district", key: null, name: null, street: null };

async function loadViews() {
  try { views = await getJson("/api/views"); } catch (e) { views = { views: [], communities: [], outline: null }; }
}

function boundsOf(f) {
  if (!views) return null;
  if (f.level === "district") return (views.views.find((v) => v.name === "district") || {}).bounds;
  if (f.level === "street") return (views.views.find((v) => v.name === f.key) || {}).bounds;
  return (views.communities.find((c) => c.key === f.key) || {}).bounds;
}

/// Shows a focus: the map flies to it (no animation while idle-measuring), the panels follow.
function show(f, animate = true) {
  focus = f;
  const b = boundsOf(f);
  if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: { top: 120, bottom: 120, left: window.innerWidth * 0.27, right: window.innerWidth * 0.27 }, duration: animate ? 1200 : 0 });
  const keys = f.level === "community" ? [f.key]
    : f.level === "street" && views ? views.communities.filter((c) => c.street === f.key).map((c) => c.key) : [];
  if (map.getLayer("wall-focus")) map.setFilter("wall-focus", ["in", ["get", "code"], ["literal", keys]]);
  crumbs();
  renderFigures();
  loadAreaTrend();
}

function crumbs() {
  const nav = $("crumbs");
  const parts = [{ level: "district", key: null, name: t("wall.district") }];
  if (focus.level !== "district") {
    const street = focus.level === "street" ? focus.key : focus.street;
    if (street) parts.push({ level: "street", key: street, name: street });
  }
  if (focus.level === "community") parts.push(focus);
  nav.replaceChildren();
  parts.forEach((p, i) => {
    if (i > 0) nav.append(el("span", "›", { class: "sep" }));
    const b = el("button", p.name);
    b.disabled = i === parts.length - 1;
    b.onclick = () => { pause(); show(p); };
    nav.append(b);
  });
  W.view = parts[parts.length - 1].name;
}

// Rotation from the district through each street (`?rotate=SECONDS`, 0 = off); a click
// pauses it for two minutes.
let pausedUntil = 0;
const pause = () => { pausedUntil = Date.now() + 120000; };
function startRotation() {
  const seconds = params.has("rotate") ? Number(params.get("rotate")) : 20;
  show(focus, false);
  if (!(seconds > 0) || !views) return;
  const ring = [{ level: "district", key: null, name: t("wall.district") },
    ...views.views.filter((v) => v.name !== "district").map((v) => ({ level: "street", key: v.name, name: v.name }))];
  let k = 0;
  setInterval(() => {
    if (Date.now() < pausedUntil || ring.length < 2) return;
    k = (k + 1) % ring.length;
    show(ring[k], false); // a jump: a flight redraws a 4K map dozens of times
  }, seconds * 1000);
}

// ---- figures -----------------------------------------------------------------------------
let trend = null; // /api/kpi/trend
let month = null, previous = null; // latest month with data, and the one before
const byLevel = {}; // "month level" → rows

// Days and months of the figures are the server's (+08:00), whatever zone the clock shows.
const SERVER_TZ = "Asia/Shanghai";

function currentMonth() {
  const p = new Intl.DateTimeFormat("en-CA", { timeZone: SERVER_TZ, year: "numeric", month: "2-digit" }).formatToParts(new Date());
  return `${p.find((x) => x.type === "year").value}-${p.find((x) => x.type === "month").value}`;
}

async function loadKpis() {
  try {
    const now = currentMonth();
    trend = await getJson(`/api/kpi/trend?months=13&month=${now}`);
    const withData = trend.months.filter((m) => m.reported > 0);
    const latest = withData[withData.length - 1];
    month = latest ? latest.month : now;
    const i = trend.months.findIndex((m) => m.month === month);
    previous = i > 0 ? trend.months[i - 1].month : null;
    $("data-note").textContent = month !== now ? t("wall.data.until").replace("{month}", monthName(month)) : "";
    for (const k of Object.keys(byLevel)) delete byLevel[k];
    await Promise.all([month, previous].filter(Boolean).flatMap((m) => ["street", "community"].map((l) => rows(m, l)))
      .concat(["department", "worker"].map((l) => rows(month, l))));
    W.month = month;
    renderFigures();
    W.onTimeLoaded = true;
  } catch (e) {
    $("status").textContent = t("wall.waiting");
    setTimeout(loadKpis, 10000);
  }
}

async function rows(m, level) {
  const k = `${m} ${level}`;
  if (!byLevel[k]) {
    try {
      const a = await getJson(`/api/kpi?month=${m}&by=${level}`);
      // A wall shows no count under the floor, whoever's token it runs on (the server leaves
      // such areas out for a leader; an admin's answer has them all).
      if (a.count_below != null) floor = a.count_below;
      byLevel[k] = a.rows.filter((r) => r.reported >= floor);
    } catch (e) { byLevel[k] = null; } // not for this token (or the server away): nothing shown
  }
  return byLevel[k];
}

function monthName(m) {
  const [y, mm] = m.split("-").map(Number);
  return lang === "zh" ? `${y}年${mm}月` : new Date(Date.UTC(y, mm - 1, 1)).toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
}

/// The KPI row of the focus in month `m` (the district's from the trend).
function rowOf(m) {
  if (!m || !trend) return null;
  if (focus.level === "district") return trend.months.find((x) => x.month === m) || null;
  const list = byLevel[`${m} ${focus.level}`] || [];
  return list.find((r) => r.area === focus.key) || null;
}

function change(id, now, before, kind) {
  const e = $(id);
  e.className = "";
  if (now == null || before == null) { e.textContent = t("wall.no.change"); return; }
  const d = kind === "rate" ? (now - before) * 100 : now - before;
  const text = kind === "rate" ? `${d >= 0 ? "+" : ""}${d.toFixed(1)} ${t("wall.pp")}` : `${d >= 0 ? "+" : ""}${num(d)}`;
  e.textContent = `${t("wall.vs.previous")} ${text}`;
  // Up is bad for counts, good for rates.
  const bad = kind === "rate" ? d < 0 : d > 0;
  if (d !== 0) e.className = bad ? "up" : "down";
}

function renderFigures() {
  if (!trend || !month) return;
  $("kpi-month").textContent = monthName(month);
  const r = rowOf(month), p = rowOf(previous);
  $("reported").textContent = r ? num(r.reported) : "–";
  $("rate").textContent = r ? pct(r.closure_rate) : "–";
  $("ontime").textContent = r ? pct(r.on_time_rate) : "–";
  $("overdue").textContent = r ? num(r.overdue) : "–";
  $("rework").textContent = r ? pct(r.rework_rate) : "–";
  $("satisfied").textContent = r ? pct(r.satisfaction_rate) : "–";
  change("reported-change", r && r.reported, p && p.reported, "count");
  change("rate-change", r && r.closure_rate, p && p.closure_rate, "rate");
  change("ontime-change", r && r.on_time_rate, p && p.on_time_rate, "rate");
  change("overdue-change", r && r.overdue, p && p.overdue, "count");
  // Up is bad for the rework rate, good for satisfaction.
  change("rework-change", r && r.rework_rate, p && p.rework_rate, "count");
  change("satisfied-change", r && r.satisfaction_rate, p && p.satisfaction_rate, "rate");
  W.onTime = r ? r.on_time_rate : null;
  W.shown = { area: focus.level === "district" ? "district" : focus.key, month, reported: r ? r.reported : null,
    closure_rate: r ? r.closure_rate : null, on_time_rate: r ? r.on_time_rate : null, overdue: r ? r.overdue : null,
    rework_rate: r ? r.rework_rate : null, satisfaction_rate: r ? r.satisfaction_rate : null };
  drawTrend();
  rankings();
}

/// The trend of the area in focus: the district's (loaded with the figures), or a street's or
/// community's from `/api/kpi/trend?by=…&area=…` (months under the count floor come back
/// suppressed and are drawn empty).
let areaTrend = null; // { key, answer }
async function loadAreaTrend() {
  if (focus.level === "district") { areaTrend = null; return; }
  const key = focus.key;
  try {
    const a = await getJson(`/api/kpi/trend?months=13&month=${currentMonth()}&by=${focus.level}&area=${encodeURIComponent(key)}`);
    if (focus.key === key) { areaTrend = { key, answer: a }; W.trendArea = a.area; drawTrend(); }
  } catch (e) { areaTrend = null; }
}

/// The 12 months before and up to the latest with data: bars of reported incidents, a line of
/// the closure rate (SVG built from elements, no markup strings).
function drawTrend() {
  const svg = $("trend");
  const NS = "http://www.w3.org/2000/svg";
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  };
  const area = focus.level !== "district" && areaTrend && areaTrend.key === focus.key;
  const source = area ? areaTrend.answer : trend;
  const i = source.months.findIndex((m) => m.month === month);
  // An area's month under the count floor is drawn empty whoever's token the wall runs on
  // (an admin's answer suppresses nothing).
  const months = source.months.slice(Math.max(0, i - 11), i + 1).map((m) =>
    area && m.reported > 0 && m.reported < floor ? { month: m.month, suppressed: true, reported: 0, closure_rate: null } : m);
  const max = Math.max(1, ...months.map((m) => m.reported));
  const w = 600 / Math.max(1, months.length), h = 170;
  svg.replaceChildren();
  const line = [];
  months.forEach((m, k) => {
    const bh = (m.reported / max) * (h - 20);
    const bar = mk("rect", { x: k * w + 4, y: h - bh, width: w - 8, height: bh, fill: m.month === month ? "#fdae61" : "#4a6fa5" });
    bar.append(mk("title", {}, m.suppressed ? `${monthName(m.month)}: < ${floor}`
      : `${monthName(m.month)}: ${num(m.reported)} · ${t("wall.closure")} ${pct(m.closure_rate)}`));
    svg.append(bar);
    if (m.closure_rate != null) line.push(`${k * w + w / 2},${h - m.closure_rate * (h - 20)}`);
    if (k % 2 === months.length % 2 || k === months.length - 1) svg.append(mk("text", { x: k * w + w / 2, y: 205, "text-anchor": "middle" }, m.month.slice(5)));
  });
  if (line.length > 1) svg.append(mk("polyline", { points: line.join(" "), fill: "none", stroke: "#7fd4a8", "stroke-width": 4 }));
  svg.append(mk("text", { x: 4, y: 16 }, `${num(max)}`));
}

function list(id, items) {
  $(id).replaceChildren(...items.map(({ text, n, key, onclick, on, note }) => {
    const li = el("li", text);
    if (note) li.className = "note";
    if (n != null) li.append(el("span", n, { class: "n" }));
    if (key != null) li.dataset.key = key;
    if (on) li.classList.add("on");
    if (onclick) li.onclick = () => { pause(); onclick(); };
    return li;
  }));
}

function rankings() {
  const level = focus.level === "district" ? "street" : "community";
  let all = (byLevel[`${month} ${level}`] || []).slice();
  if (level === "community") {
    const street = focus.level === "street" ? focus.key : focus.street;
    if (street) all = all.filter((r) => r.street === street);
  }
  const label = (r) => r.name || r.area;
  const go = (r) => () => show(level === "street"
    ? { level: "street", key: r.area, name: r.area }
    : { level: "community", key: r.area, name: label(r), street: r.street });
  const what = t(level === "street" ? "wall.streets" : "wall.communities");
  $("rank-rate-title").textContent = `${what} · ${t("wall.per1000")}`;
  $("rank-overdue-title").textContent = `${what} · ${t("wall.overdue")}`;
  const byRate = all.filter((r) => r.reported_per_1000_households != null)
    .sort((a, b) => b.reported_per_1000_households - a.reported_per_1000_households).slice(0, 6);
  list("rank-rate", byRate.map((r) => ({ text: label(r), n: fixed1(r.reported_per_1000_households), key: r.area, onclick: go(r), on: r.area === focus.key })));
  const byOverdue = all.filter((r) => r.overdue >= floor).sort((a, b) => b.overdue - a.overdue).slice(0, 6);
  list("rank-overdue", byOverdue.map((r) => ({ text: label(r), n: num(r.overdue), key: r.area, onclick: go(r), on: r.area === focus.key })));
  handlers();
}

/// Who handles the cases (the department and worker each case was last assigned to, the
/// district's month, or a street's offices when drilled into it): the lowest on-time closure
/// rates first (none yet last), as `/api/kpi?by=department` and `?by=worker` give them:
/// departments by name, workers by name only to a token that may read names (a leader's wall:
/// by id).
function handlers() {
  W.handlers = {};
  // Drilled into a street (or one of its communities): that street's offices and their workers.
  const street = focus.level === "street" ? focus.key : focus.street || null;
  for (const level of ["department", "worker"]) {
    // No rate yet (nothing closed) after every rate; then by overdue cases.
    const rate = (r) => (r.on_time_rate == null ? 2 : r.on_time_rate);
    const got = byLevel[`${month} ${level}`];
    if (got == null) {
      // Refused to this token: the section is left out rather than said to be empty.
      $(`${level}s-title`).textContent = "";
      list(`${level}s`, []);
      W.handlers[level] = null;
      continue;
    }
    const shown = got.filter((r) => !street || r.street === street)
      .sort((a, b) => rate(a) - rate(b) || b.overdue - a.overdue || (a.area < b.area ? -1 : 1)).slice(0, 5);
    $(`${level}s-title`).textContent = `${t(`wall.${level}s`)} · ${t("wall.on_time")}`;
    list(`${level}s`, shown.length ? shown.map((r) => ({ text: r.name || r.area, n: pct(r.on_time_rate) }))
      : [{ text: t("wall.none.assigned"), note: true }]);
    W.handlers[level] = shown.map((r) => ({ area: r.area, name: r.name, street: r.street, on_time_rate: r.on_time_rate }));
  }
}

// ---- the live summary (today, open, the newest incidents, 30-day leaders) ------------------
let summary = null;
const categoryName = (c) => (summary && (lang === "zh" ? summary.names : summary.names_en)[c]) || c;

/// A grid's name: its community's name and its serial ("康园社区 3号网格").
function gridName(code) {
  const c = views && views.communities.find((x) => code.startsWith(x.key));
  if (!c) return code;
  const serial = Number(code.slice(c.key.length)) || code.slice(c.key.length);
  return t("wall.grid.name").replace("{community}", c.name).replace("{serial}", serial);
}

/// The server's local date (YYYY-MM-DD, +08:00) of an instant.
function localDate(time) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: SERVER_TZ, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(time));
}

function ago(time) {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 60000));
  if (minutes < 60) return t("wall.minutes.ago").replace("{n}", minutes);
  if (minutes < 48 * 60) return t("wall.hours.ago").replace("{n}", Math.round(minutes / 60));
  return t("wall.days.ago").replace("{n}", Math.round(minutes / 1440));
}

async function loadSummary() {
  try {
    summary = await getJson("/api/incidents/summary");
    const today = localDate(new Date().toISOString());
    const newest = summary.latest.length ? localDate(summary.latest[0].time) : null;
    const end = newest && newest < today ? newest : null;
    // A new day: the window moves (kept tiles name the day they were drawn for).
    if (end !== dataEnd || today !== shownDay) {
      dataEnd = end;
      shownDay = today;
      version = Date.now();
      if (map.getSource("heat")) map.getSource("heat").setTiles([heatUrl()]);
      legend();
    }
    $("heat-note").textContent = dataEnd ? t("wall.heat.until").replace("{date}", dataEnd) : "";
    $("today").textContent = num(summary.today);
    $("open").textContent = num(summary.open);
    list("cats", summary.top_categories.map((c) => ({ text: categoryName(c.category), n: num(c.count) })));
    // A leader's token gets communities, not grids (a grid is smaller than a community).
    const byGrid = summary.top_grids.length > 0 || summary.top_communities.length === 0;
    const until = summary.last_30_days.until && localDate(summary.last_30_days.until);
    const upTo = until && until < localDate(new Date().toISOString()) ? ` ${t("wall.until").replace("{date}", until)}` : "";
    $("grids-title").textContent = t(byGrid ? "wall.top.grids" : "wall.top.communities") + upTo;
    $("cats-title").textContent = t("wall.categories") + upTo;
    list("grids", byGrid
      ? summary.top_grids.map((g) => ({ text: gridName(g.grid), n: num(g.count) }))
      : summary.top_communities.map((c) => ({ text: c.name, n: num(c.count) })));
    list("latest", summary.latest.map((i) => ({
      text: `${categoryName(i.category)} · ${i.community_name || t("wall.outside")} · ${t(`step.${i.status}`)} · ${ago(i.time)}`,
    })));
    W.summaries += 1;
    W.today = summary.today;
    $("status").textContent = "";
  } catch (e) {
    $("status").textContent = t("wall.waiting");
  }
}

// ---- heat window and legend ---------------------------------------------------------------
function windows() {
  $("windows").replaceChildren(...WINDOWS.map((d) => {
    const b = el("button", t(`wall.days.${d}`));
    b.classList.toggle("on", d === days);
    b.onclick = () => { days = d; windows(); version = Date.now(); map.getSource("heat") && map.getSource("heat").setTiles([heatUrl()]); legend(); };
    return b;
  }));
}

async function legend() {
  try {
    const l = await getJson(`/heat/legend.json?${heatQuery()}`);
    const stops = l.stops.map((s) => `rgba(${s.rgba[0]},${s.rgba[1]},${s.rgba[2]},${Math.max(0.35, s.rgba[3] / 255)}) ${s.share_of_max * 100}%`);
    $("legend-ramp").style.background = `linear-gradient(to right, ${stops.join(", ")})`;
    $("legend-title").textContent = t("wall.heat");
    const pick = [l.stops[1], l.stops[2], l.stops[l.stops.length - 1]].filter(Boolean);
    $("legend-numbers").textContent = pick.map((s) => s.value.toFixed(s.value < 10 ? 1 : 0)).join(" · ");
    $("legend-title").title = t(l.ramp.startsWith("log") ? "wall.heat.log" : "wall.heat.linear");
    W.legendMax = l.max;
  } catch (e) {
    $("legend-numbers").textContent = "–";
  }
}

// ---- the clock: local time, once a minute -------------------------------------------------
function clock() {
  const f = new Intl.DateTimeFormat(locale, { timeZone: TZ, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
  $("clock").textContent = `${f.format(new Date())} ${TZ === "Asia/Shanghai" ? t("wall.beijing") : TZ}`;
  W.clock = $("clock").textContent;
  setTimeout(clock, 60000 - (Date.now() % 60000) + 50);
}

// ---- live updates ----------------------------------------------------------------------
// New incidents: the heat tiles and the summary at most once a second, the KPIs at most once
// a minute.
let pending = false, kpisDue = 0;
function refresh() {
  if (pending) return;
  pending = true;
  setTimeout(() => {
    pending = false;
    W.heatRefreshes += 1;
    version = Date.now();
    if (map.getSource("heat")) map.getSource("heat").setTiles([heatUrl()]);
    loadSummary();
    if (Date.now() > kpisDue) { kpisDue = Date.now() + 60000; loadKpis(); legend(); }
  }, 1000);
}

const es = new EventSource(`/api/incidents/stream${TOKEN ? `?token=${encodeURIComponent(TOKEN)}` : ""}`);
es.addEventListener("incident", () => { W.events += 1; refresh(); });
es.addEventListener("status", () => refresh());
// After a server restart the stream reconnects by itself; catch up on what was missed.
es.onopen = () => { if (W.everOpen) { W.reconnects += 1; refresh(); } W.everOpen = true; };

apply();
document.title = t("wall.page.title");
windows();
clock();
legend();
loadSummary();
loadKpis();
// "Today" rolls over at midnight and minutes-ago age: every five minutes.
setInterval(loadSummary, 300000);
