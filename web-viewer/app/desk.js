// The case desk (案件调度台) of a street office's dispatcher: the queue of open cases of the
// street, most urgent first (`/api/desk`: overdue, then due soon, then on track, by
// deadline), filtered by step, category, grid and worker; the map flies to the chosen case
// with its grid outlined and the components around it; the case's timeline, assignment,
// supervisions and history; and the dispatcher's actions as PATCHes of the incident:
// dispatch or reassign (派遣/改派) to a department and worker with a time limit, supervise
// (督办), the next step of the closed loop (rework, close with the resident's evaluation).
// The server's refusals are worded by their codes (case_reasons.js and the desk's own). New reports and changes arrive over the
// event stream and reload the queue (and the case shown, when it is the one changed).
// Times are shown in Asia/Shanghai. A module: the page's Content-Security-Policy allows no
// inline script; every datum goes in as text (names, ids and notes are data).
import { api, h, kids, token, withToken } from "./util.js";
import { lang } from "./i18n.js";
import { caseReason } from "./case_reasons.js";

const TEXT = {
  zh: {
    title: "案件调度台", "page.title": "案件调度台", queue: "案件队列", "lang.other": "EN",
    "f.step": "环节", "f.category": "类别", "f.grid": "网格", "f.worker": "承办人",
    "f.all.open": "全部未结案", "f.all.categories": "全部类别", "f.all.workers": "全部承办人", "f.grid.placeholder": "网格编码",
    "c.id": "编号", "c.category": "类别", "c.status": "环节", "c.where": "社区 / 网格", "c.deadline": "时限",
    "c.left": "剩余时间", "c.assignee": "承办", "c.supervised": "督办",
    count: "共 {count} 件", "count.shown": "共 {count} 件，显示前 {shown} 件", empty: "没有符合条件的案件",
    pick: "在左侧选择一个案件", loading: "加载中…",
    "s.reported": "待派遣", "s.dispatched": "处置中", "s.handled": "待回访", "s.followed_up": "待结案", "s.closed": "已结案",
    "u.overdue": "超期", "u.due_soon": "临期", "u.on_track": "正常",
    overdue: "超期 {n}", left: "剩余 {n}", hours: "{n} 小时", days: "{n} 天",
    "ev.reported": "上报", "ev.dispatched": "派遣", "ev.rework": "返工（重新派遣）", "ev.handled": "处置完毕", "ev.followed_up": "回访",
    "ev.closed": "结案", "ev.assigned": "指派", "ev.supervised": "督办", "ev.extended": "延期", "ev.evaluated": "评价",
    "step.reported": "上报", "step.dispatched": "派遣", "step.handled": "处置", "step.followed_up": "回访", "step.closed": "结案",
    "d.category": "类别", "d.raw": "原始类别", "d.source": "来源", "d.where": "位置", "d.reported": "上报时间", "d.deadline": "本环节时限",
    "d.assignment": "承办", "d.assigned.at": "指派于", "d.handle.by": "须于 {t} 前处置（派遣时限）", "d.unassigned": "未指派", "d.supervisions": "督办", "d.none": "无",
    "d.reworks": "返工", "d.extension": "延期", "d.timeline": "流程", "d.history": "处置记录", "d.component": "部件",
    "d.limit": "时限 {n} 小时", "d.default.limit": "类别默认时限", "d.times": "{n} 次", "d.closed.note": "此案件已不在队列中（已结案或不符合筛选条件）",
    "src.grid_worker": "网格员上报", "src.hotline": "12345 热线", "src.resident": "居民上报", "src.app": "居民上报",
    "a.assign": "派遣 / 改派", "a.department": "承办部门", "a.worker": "承办人", "a.nobody": "(不指定)", "a.hours": "时限（小时）",
    "a.hours.placeholder": "默认", "a.dispatch": "派遣", "a.reassign": "改派", "a.assign.closed": "已处置的案件不能再派遣或改派",
    "a.district": "区级", "a.supervise": "督办", "a.reason": "督办事由", "a.step": "流程推进", "a.next": "下一步", "a.step.go": "提交",
    "a.step.none.reported": "请先派遣", "a.step.none": "没有可进行的下一步",
    "n.handled": "处置完毕（待回访）", "n.followed_up": "已回访（待结案）", "n.rework": "返工（重新派遣）", "n.closed": "结案",
    "a.evaluation": "群众评价", "a.note": "评价说明",
    "e.satisfied": "满意", "e.basically_satisfied": "基本满意", "e.dissatisfied": "不满意",
    "m.dispatched": "已派遣 {id} 至 {to}", "m.reassigned": "已改派 {id} 至 {to}", "m.supervised": "已督办 {id}",
    "m.step": "{id} 已更新：{status}", "m.refused": "被拒绝（{status}）：{detail}", "m.failed": "请求失败：{detail}",
    "code.desk.no_department": "登记册中没有部门 {department}", "code.desk.other_street": "部门 {department} 属于{street}，不属于{mine}",
    "code.desk.no_worker": "登记册中没有人员 {worker}", "code.desk.worker_department": "人员 {worker} 属于部门 {theirs}，不属于 {department}",
    "code.desk.hours": "时限 {hours} 小时：须大于 0 且不超过本类别的处置时限 {limit} 小时（更长请办理延期）",
    "k.reported": "上报", "k.closure": "结案率", "k.on_time": "按期结案率", "k.overdue": "超期", "k.satisfaction": "满意率",
    badge: "督办", "k.month": "{y}年{m}月", "live.on": "● 实时", "live.off": "○ 连接中断",
    "token.needed": "需要访问令牌：请用 ?token=… 打开本页",
  },
  en: {
    title: "Case desk", "page.title": "Case desk", queue: "Case queue", "lang.other": "中文",
    "f.step": "Step", "f.category": "Category", "f.grid": "Grid", "f.worker": "Assignee",
    "f.all.open": "All open", "f.all.categories": "All categories", "f.all.workers": "Anyone", "f.grid.placeholder": "grid code",
    "c.id": "Id", "c.category": "Category", "c.status": "Step", "c.where": "Community / grid", "c.deadline": "Deadline",
    "c.left": "Time left", "c.assignee": "Assigned to", "c.supervised": "Supervised",
    count: "{count} cases", "count.shown": "{count} cases, the first {shown} shown", empty: "No case matches",
    pick: "Choose a case on the left", loading: "Loading…",
    "s.reported": "to dispatch", "s.dispatched": "being handled", "s.handled": "to follow up", "s.followed_up": "to close", "s.closed": "closed",
    "u.overdue": "overdue", "u.due_soon": "due soon", "u.on_track": "on track",
    overdue: "overdue {n}", left: "{n} left", hours: "{n} h", days: "{n} d",
    "ev.reported": "reported", "ev.dispatched": "dispatched", "ev.rework": "reworked (dispatched again)", "ev.handled": "handled", "ev.followed_up": "followed up",
    "ev.closed": "closed", "ev.assigned": "assigned", "ev.supervised": "supervised", "ev.extended": "extended", "ev.evaluated": "evaluated",
    "step.reported": "reported", "step.dispatched": "dispatched", "step.handled": "handled", "step.followed_up": "followed up", "step.closed": "closed",
    "d.category": "Category", "d.raw": "Reported as", "d.source": "Source", "d.where": "Where", "d.reported": "Reported", "d.deadline": "Deadline of the step",
    "d.assignment": "Assigned to", "d.handle.by": "to be handled by {t} (the dispatcher's limit)", "d.assigned.at": "assigned", "d.unassigned": "not assigned", "d.supervisions": "Supervision", "d.none": "none",
    "d.reworks": "Reworks", "d.extension": "Extension", "d.timeline": "Steps", "d.history": "History", "d.component": "Component",
    "d.limit": "limit {n} h", "d.default.limit": "the category's limit", "d.times": "{n}", "d.closed.note": "This case is no longer in the queue (closed, or outside the filters)",
    "src.grid_worker": "grid worker", "src.hotline": "12345 hotline", "src.resident": "resident", "src.app": "resident",
    "a.assign": "Dispatch / reassign", "a.department": "Department", "a.worker": "Worker", "a.nobody": "(anyone)", "a.hours": "Limit (hours)",
    "a.hours.placeholder": "default", "a.dispatch": "Dispatch", "a.reassign": "Reassign", "a.assign.closed": "A handled case is no longer dispatched or reassigned",
    "a.district": "district", "a.supervise": "Supervise", "a.reason": "Reason", "a.step": "Next step", "a.next": "Step", "a.step.go": "Submit",
    "a.step.none.reported": "Dispatch it first", "a.step.none": "No next step",
    "n.handled": "Handled (to follow up)", "n.followed_up": "Followed up (to close)", "n.rework": "Rework (dispatch again)", "n.closed": "Close",
    "a.evaluation": "Resident's evaluation", "a.note": "Note",
    "e.satisfied": "satisfied", "e.basically_satisfied": "basically satisfied", "e.dissatisfied": "dissatisfied",
    "m.dispatched": "{id} dispatched to {to}", "m.reassigned": "{id} reassigned to {to}", "m.supervised": "{id} supervised",
    "m.step": "{id} is now: {status}", "m.refused": "Refused ({status}): {detail}", "m.failed": "Request failed: {detail}",
    "code.desk.no_department": "No department {department} in the register", "code.desk.other_street": "Department {department} belongs to {street}, not {mine}",
    "code.desk.no_worker": "No worker {worker} in the register", "code.desk.worker_department": "Worker {worker} is in department {theirs}, not {department}",
    "code.desk.hours": "A limit of {hours} hours: more than 0 and at most the category's {limit} hours to handle (longer: an extension)",
    "k.reported": "Reported", "k.closure": "Closure", "k.on_time": "On time", "k.overdue": "Overdue", "k.satisfaction": "Satisfied",
    badge: "Supervised", "k.month": "{month}", "live.on": "● live", "live.off": "○ disconnected",
    "token.needed": "An access token is needed: open this page with ?token=…",
  },
};

function t(key, vars = {}) {
  const s = TEXT[lang][key] ?? TEXT.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

const params = new URLSearchParams(location.search);
const TZ = "Asia/Shanghai";
const STEPS = ["reported", "dispatched", "handled", "followed_up", "closed"];
// The next steps a dispatcher may take from each step (value: the status sent).
const NEXT = {
  reported: [],
  dispatched: [["handled", "handled"]],
  handled: [["followed_up", "followed_up"]],
  followed_up: [["closed", "closed"], ["rework", "dispatched"]],
  closed: [],
};
const EVALUATIONS = ["satisfied", "basically_satisfied", "dissatisfied"];

// What the tests read.
const D = window.__desk = { loaded: 0, cases: [], count: null, selected: null, events: 0, details: 0, flown: null, errors: [] };
window.__idle = false;

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

// ---- formatting ---------------------------------------------------------------------------
const timeParts = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
/// `2026-11-02T08:00:00Z` → `2026-11-02 16:00` (Beijing time).
function local(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = Object.fromEntries(timeParts.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
/// The same, without the year when it is this year's (the table's deadline column).
function localShort(iso) {
  const full = local(iso);
  return full.startsWith(`${currentMonth().slice(0, 4)}-`) ? full.slice(5) : full;
}
function currentMonth() {
  const p = Object.fromEntries(timeParts.formatToParts(new Date()).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}`;
}
/// A span of hours: hours below 100, days above.
function span(hours) {
  const a = Math.abs(hours);
  return a < 100 ? t("hours", { n: a.toFixed(1) }) : t("days", { n: (a / 24).toFixed(1) });
}
function timeLeft(c) {
  if (c.hours_left == null) return "–";
  return c.hours_left < 0 ? t("overdue", { n: span(c.hours_left) }) : t("left", { n: span(c.hours_left) });
}
const pct = (r) => (r == null ? "–" : `${(r * 100).toFixed(1)}%`);

// ---- reference data: the register, category and community names ---------------------------
const reg = { departments: [], workers: [], dep: new Map(), worker: new Map(), street: null };
const names = { categories: {}, communities: {} };
const seenCategories = new Set();
const seenGrids = new Set();

const category = (code) => names.categories[code] || code || "–";
const community = (code) => names.communities[code] || code || "–";
const depName = (code) => (reg.dep.get(code) || {}).name || code;
const workerName = (id) => (reg.worker.get(id) || {}).name || id;
function gridLabel(c) {
  const serial = c.grid && c.community && c.grid.startsWith(c.community) ? c.grid.slice(c.community.length) : c.grid;
  return `${community(c.community)} / ${serial || "–"}`;
}
/// An id as the table shows it: a scoped reporter's namespace (`GRID:…`, the grid the row
/// names already) left out; the whole id is the cell's title and the detail's heading.
function shortId(c) {
  return c.grid && c.id.startsWith(`${c.grid}:`) ? c.id.slice(c.grid.length + 1) : c.id;
}
function assignee(a) {
  if (!a) return "–";
  return a.worker ? `${depName(a.department)} / ${workerName(a.worker)}` : depName(a.department);
}

async function loadRegister() {
  try {
    const r = await api("/api/workers");
    // The street's own sections first, then the district's.
    reg.departments = r.departments.slice().sort((a, b) => (a.street ? 0 : 1) - (b.street ? 0 : 1));
    reg.workers = r.workers;
    for (const d of reg.departments) reg.dep.set(d.code, d);
    for (const w of reg.workers) {
      reg.worker.set(w.id, w);
      if (w.grid) seenGrids.add(w.grid);
    }
    reg.street = (reg.departments.find((d) => d.street) || {}).street || null;
  } catch (e) {
    D.errors.push(`workers: ${e.message}`);
  }
  $("street").textContent = reg.street || "";
  fillWorkerFilter();
  fillGridList();
}

async function loadNames() {
  const [summary, views] = await Promise.all([
    api("/api/incidents/summary").catch(() => null),
    api("/api/views").catch(() => null),
  ]);
  if (summary) names.categories = (lang === "zh" ? summary.names : summary.names_en) || summary.names || {};
  if (views) {
    for (const c of views.communities || []) names.communities[c.key] = c.name;
    D.views = views;
  }
}

// ---- filters -------------------------------------------------------------------------------
function option(value, text, selected = false, attrs = {}) {
  return h("option", { value, selected, ...attrs }, text);
}

function fillStatusFilter() {
  const s = $("f-status");
  const want = params.get("status") || "";
  s.replaceChildren(option("", t("f.all.open"), want === ""),
    ...STEPS.slice(0, 4).map((k) => option(k, t(`s.${k}`), want === k)));
}

function fillCategoryFilter() {
  const s = $("f-category");
  const current = s.value;
  const codes = [...seenCategories].sort((a, b) => category(a).localeCompare(category(b), lang === "zh" ? "zh-CN" : "en"));
  s.replaceChildren(option("", t("f.all.categories"), current === ""), ...codes.map((c) => option(c, category(c), c === current)));
}

function fillWorkerFilter() {
  const s = $("f-worker");
  const current = s.value;
  s.replaceChildren(option("", t("f.all.workers"), current === ""),
    ...reg.departments.map((d) => h("optgroup", { label: d.name },
      reg.workers.filter((w) => w.department === d.code).map((w) => option(w.id, `${w.name} (${w.id})`, w.id === current)))));
}

function fillGridList() {
  $("grid-codes").replaceChildren(...[...seenGrids].sort().map((g) => h("option", { value: g })));
}

function filterQuery() {
  const q = new URLSearchParams({ limit: "200" });
  const status = $("f-status").value, cat = $("f-category").value, grid = $("f-grid").value.trim(), worker = $("f-worker").value;
  if (status) q.set("status", status);
  if (cat) q.set("category", cat);
  if (grid) q.set("grid", grid);
  if (worker) q.set("worker", worker);
  return q.toString();
}

// ---- the queue -----------------------------------------------------------------------------
let queueSeq = 0;
async function loadQueue() {
  const seq = ++queueSeq;
  let answer;
  try {
    answer = await api(`/api/desk?${filterQuery()}`);
  } catch (e) {
    if (seq === queueSeq) refused(e);
    return;
  }
  if (seq !== queueSeq) return; // a newer load is under way
  D.cases = answer.cases;
  D.count = answer.count;
  D.now = answer.now;
  for (const c of answer.cases) {
    if (c.category) seenCategories.add(c.category);
    if (c.grid) seenGrids.add(c.grid);
  }
  fillCategoryFilter();
  fillGridList();
  renderQueue();
  drawCases();
  D.loaded += 1;
}

function renderQueue() {
  const cases = D.cases;
  $("count").textContent = D.count > cases.length ? t("count.shown", { count: D.count, shown: cases.length }) : t("count", { count: D.count });
  const rows = cases.map((c) => h("tr", {
    dataset: { id: c.id, urgency: c.urgency, status: c.status },
    class: `urgency-${c.urgency}${c.id === D.selected ? " on" : ""}`,
    tabindex: "0",
    title: t(`u.${c.urgency}`),
    onclick: () => select(c.id),
    onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(c.id); } },
  },
  h("td", { class: "id", title: c.id }, h("span", { class: `chip chip-${c.urgency}`, "aria-label": t(`u.${c.urgency}`) }),
    h("span", { class: "cut" }, shortId(c))),
  h("td", { class: "cat", title: category(c.category) }, h("span", { class: "cut" }, category(c.category))),
  h("td", {}, h("span", { class: `status status-${c.status}` }, t(`s.${c.status}`))),
  h("td", { title: c.grid || "" }, gridLabel(c)),
  h("td", { class: "time", title: local(c.deadline) }, localShort(c.deadline)),
  h("td", { class: `left left-${c.urgency}` }, timeLeft(c)),
  h("td", { class: "who" }, assignee(c.assignment)),
  h("td", {}, c.supervisions && c.supervisions.length
    ? h("span", { class: "badge", title: c.supervisions.map((s) => s.reason).join("\n") }, `${t("badge")} ${c.supervisions.length}`)
    : "")));
  if (!rows.length) rows.push(h("tr", { class: "empty" }, h("td", { colspan: "8" }, t("empty"))));
  $("queue-body").replaceChildren(...rows);
}

function markSelected() {
  for (const tr of $("queue-body").children) tr.classList.toggle("on", tr.dataset.id === D.selected);
  const tr = [...$("queue-body").children].find((x) => x.dataset.id === D.selected);
  if (tr) tr.scrollIntoView({ block: "nearest" });
}

// ---- the map -------------------------------------------------------------------------------
const map = new maplibregl.Map({
  container: "map", style: "/style.json", attributionControl: false,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif",
  transformRequest: withToken,
});
window.__map = map;
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
map.on("error", (e) => D.errors.push(String((e && e.error && e.error.message) || e)));
map.on("idle", () => { window.__idle = true; });
let mapReady = false;
const EMPTY = { type: "FeatureCollection", features: [] };
const URGENCY_COLOUR = ["match", ["get", "urgency"], "overdue", "#d7301f", "due_soon", "#f08c00", "#2b8a3e"];

map.on("load", () => {
  for (const id of ["heat", "buildings-3d"]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", "none");
  if (map.getLayer("grids-fill")) map.setPaintProperty("grids-fill", "fill-opacity", 0.25);
  const firstSymbol = (map.getStyle().layers.find((l) => l.type === "symbol") || {}).id;
  map.addLayer({ id: "desk-grid-fill", type: "fill", source: "wangge", "source-layer": "grids",
    filter: ["==", ["get", "code"], ""], paint: { "fill-color": "#ff922b", "fill-opacity": 0.18 } }, firstSymbol);
  map.addLayer({ id: "desk-grid", type: "line", source: "wangge", "source-layer": "grids",
    filter: ["==", ["get", "code"], ""], paint: { "line-color": "#e8590c", "line-width": 4 } }, firstSymbol);
  map.addLayer({ id: "desk-components", type: "circle", source: "wangge", "source-layer": "components", minzoom: 15,
    filter: ["==", ["geometry-type"], "Point"],
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 15, 3, 18, 7],
      "circle-color": ["match", ["get", "status"], "damaged", "#d7191c", "missing", "#7b3294", "occupied", "#fdae61", "#4c6ef5"],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 1,
    } });
  map.addSource("desk-cases", { type: "geojson", data: EMPTY });
  map.addLayer({ id: "desk-cases", type: "circle", source: "desk-cases",
    paint: { "circle-radius": 5, "circle-color": URGENCY_COLOUR, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
  map.addSource("desk-selected", { type: "geojson", data: EMPTY });
  map.addLayer({ id: "desk-selected-halo", type: "circle", source: "desk-selected",
    paint: { "circle-radius": 16, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#1c3d6e", "circle-stroke-width": 3 } });
  map.addLayer({ id: "desk-selected", type: "circle", source: "desk-selected",
    paint: { "circle-radius": 8, "circle-color": URGENCY_COLOUR, "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
  map.on("click", "desk-cases", (e) => { const f = e.features && e.features[0]; if (f) select(f.properties.id); });
  for (const id of ["desk-cases", "desk-components"]) {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; tip.remove(); });
  }
  // A component's class and status under the pointer (as text).
  const tip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: "desk-tip" });
  map.on("mousemove", "desk-components", (e) => {
    const p = e.features[0].properties;
    tip.setLngLat(e.lngLat).setText([p.class, p.status].filter(Boolean).join(" · ")).addTo(map);
  });
  // The street (or the tiles' extent) in view.
  const view = D.views && reg.street && D.views.views.find((v) => v.name === reg.street);
  const b = (view && view.bounds) || (map.getSource("wangge") && map.getSource("wangge").bounds);
  if (b && !D.selected) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 20, duration: 0 });
  mapReady = true;
  drawCases();
  if (D.selected) showOnMap(current(), "jump");
});

function drawCases() {
  if (!mapReady) return;
  // The chosen case's marker follows its urgency; the view stays.
  const chosen = D.selected && D.cases.find((c) => c.id === D.selected);
  if (chosen) showOnMap(chosen, "none");
  map.getSource("desk-cases").setData({ type: "FeatureCollection", features: D.cases.filter((c) => c.lon != null && c.lat != null).map((c) => ({
    type: "Feature", geometry: { type: "Point", coordinates: [c.lon, c.lat] }, properties: { id: c.id, urgency: c.urgency },
  })) });
}

/// The case on the map: a marker and its grid outlined; `move` "fly" (zoom 16), "jump"
/// (at once) or "none" (the view stays).
function showOnMap(c, move = "fly") {
  if (!mapReady || !c) return;
  const here = c.lon != null && c.lat != null;
  map.getSource("desk-selected").setData(here ? { type: "FeatureCollection", features: [{ type: "Feature",
    geometry: { type: "Point", coordinates: [c.lon, c.lat] }, properties: { id: c.id, urgency: c.urgency || "on_track" } }] } : EMPTY);
  const filter = ["==", ["get", "code"], c.grid || ""];
  map.setFilter("desk-grid", filter);
  map.setFilter("desk-grid-fill", filter);
  if (move === "none") return;
  const id = c.id;
  if (here) {
    const camera = { center: [c.lon, c.lat], zoom: 16 };
    if (move === "jump") map.jumpTo(camera);
    else map.flyTo({ ...camera, duration: 800, essential: true });
    map.once("idle", () => { D.flown = id; });
  } else D.flown = id;
}

// ---- the selected case ---------------------------------------------------------------------
let detailSeq = 0;
let detail = null; // { id, c, history, inQueue }
const current = () => (detail && detail.id === D.selected ? detail.c : D.cases.find((c) => c.id === D.selected));

async function select(id) {
  if (!id) return;
  D.selected = id;
  markSelected();
  const c = D.cases.find((x) => x.id === id);
  if (c) showOnMap(c);
  await loadDetail(false);
  if (!c && detail && detail.id === id) showOnMap(detail.c);
}

/// The case as the queue has it (deadline, assignment, supervisions), or, out of the queue,
/// the stored incident with its assignment and supervisions read from the history.
async function loadDetail(keep) {
  const id = D.selected;
  if (!id) return;
  const seq = ++detailSeq;
  let history, one = null, inQueue = null;
  try {
    history = await api(`/api/incidents/${enc(id)}/history`);
    // The queue as it is now (a reload may have finished meanwhile).
    inQueue = D.cases.find((c) => c.id === id);
    if (!inQueue) one = await api(`/api/incidents/${enc(id)}`);
  } catch (e) {
    if (seq === detailSeq) refused(e);
    return;
  }
  if (seq !== detailSeq) return;
  let c = inQueue;
  if (!c) {
    const assigned = history.events.filter((e) => e.event === "assigned" && e.detail).pop();
    c = { ...one, deadline: null, hours_left: null, urgency: null,
      assignment: assigned ? { department: assigned.detail.department, worker: assigned.detail.worker, hours: assigned.detail.hours } : null,
      assigned_at: assigned ? assigned.at : null,
      supervisions: history.events.filter((e) => e.event === "supervised" && e.detail).map((e) => ({ at: e.at, by: e.detail.by, reason: e.detail.reason })),
      reworks: null, extension_hours: null };
  }
  renderDetail({ id, c, history, inQueue: !!inQueue }, keep);
  D.details += 1;
}

const KEEP = ["assign-department", "assign-worker", "assign-hours", "supervise-reason", "step-select", "eval-select", "eval-note"];

function renderDetail(d, keep) {
  // What the dispatcher was typing stays when the same case is redrawn by a live update.
  const kept = keep && detail && detail.id === d.id
    ? Object.fromEntries(KEEP.map((k) => [k, $(k) && $(k).value]).filter(([, v]) => v != null)) : {};
  detail = d;
  const c = d.c;
  const facts = h("dl", { class: "facts" },
    fact(t("d.category"), category(c.category), c.raw_category ? ` (${t("d.raw")}: ${c.raw_category})` : ""),
    fact(t("d.source"), !c.source ? "–" : TEXT[lang][`src.${c.source}`] || c.source),
    fact(t("d.where"), gridLabel(c), c.grid ? h("span", { class: "muted" }, ` ${c.grid}`) : ""),
    c.component ? fact(t("d.component"), c.component) : null,
    fact(t("d.reported"), local(c.time)),
    c.deadline ? fact(t("d.deadline"), local(c.deadline), " · ", h("b", { class: `left-${c.urgency}` }, timeLeft(c))) : null,
    fact(t("d.assignment"), c.assignment
      ? [assignee(c.assignment), " · ", c.assignment.hours != null ? t("d.limit", { n: c.assignment.hours }) : t("d.default.limit"),
        c.assigned_at ? h("span", { class: "muted" }, ` · ${t("d.assigned.at")} ${local(c.assigned_at)}`) : "",
        c.handle_by ? h("span", { id: "handle-by", class: Date.parse(c.handle_by) < Date.now() ? "late" : "" }, ` · ${t("d.handle.by", { t: local(c.handle_by) })}`) : ""]
      : h("span", { class: "muted" }, t("d.unassigned"))),
    fact(t("d.supervisions"), c.supervisions && c.supervisions.length
      ? h("ul", { id: "supervisions", class: "plain" }, c.supervisions.map((s) => h("li", {}, h("span", { class: "badge" }, t("badge")), " ",
        s.reason, h("span", { class: "muted" }, ` · ${s.by} · ${local(s.at)}`))))
      : h("span", { class: "muted" }, t("d.none"))),
    c.reworks ? fact(t("d.reworks"), t("d.times", { n: c.reworks })) : null,
    c.extension_hours ? fact(t("d.extension"), t("hours", { n: c.extension_hours })) : null);
  const steps = h("ol", { class: "steps" }, STEPS.map((s) => {
    const at = c.timeline && c.timeline[s];
    return h("li", { class: [at ? "done" : "", s === c.status ? "now" : ""].join(" ").trim() || null },
      h("b", {}, t(`step.${s}`)), h("span", { class: "muted" }, at ? local(at) : "–"));
  }));
  // The report itself is the case's time (older cases have no recorded "reported" event).
  const events = d.history.events.some((e) => e.event === "reported") || !c.time
    ? d.history.events : [{ event: "reported", at: c.time, detail: null }, ...d.history.events];
  const history = h("ol", { id: "history", class: "history" }, historyItems(events));
  $("detail").replaceChildren(...kids(
    h("div", { class: "detail-head" },
      h("h2", { id: "detail-id" }, c.id),
      h("span", { class: `status status-${c.status}` }, t(`s.${c.status}`)),
      c.urgency ? h("span", { class: `chip-text urgency-text-${c.urgency}` }, t(`u.${c.urgency}`)) : null,
      c.supervisions && c.supervisions.length ? h("span", { class: "badge" }, `${t("badge")} ${c.supervisions.length}`) : null),
    d.inQueue ? null : h("p", { class: "note" }, t("d.closed.note")),
    h("div", { class: "detail-cols" },
      h("div", { class: "info" }, facts, h("h3", {}, t("d.timeline")), steps, h("h3", {}, t("d.history")), history),
      h("div", { class: "actions" }, assignForm(c), superviseForm(c), stepForm(c)))));
  for (const [k, v] of Object.entries(kept)) {
    const e = $(k);
    if (!e || (e.tagName === "SELECT" && ![...e.options].some((o) => o.value === v))) continue;
    e.value = v;
    if (k === "assign-department") fillWorkers(c);
    if (k === "step-select") e.dispatchEvent(new Event("change"));
  }
}

function fact(label, ...value) {
  return [h("dt", {}, label), h("dd", {}, ...value)];
}

function historyItems(events) {
  let followedUp = false;
  const items = events.map((e) => {
    let name = t(`ev.${e.event}`);
    if (e.event === "dispatched" && followedUp) name = t("ev.rework");
    if (e.event === "followed_up") followedUp = true;
    return h("li", {}, h("time", {}, local(e.at)), " ", h("b", {}, name === `ev.${e.event}` ? e.event : name),
      e.detail ? h("span", { class: "what" }, ` ${describe(e)}`) : "");
  });
  return items.length ? items : [h("li", { class: "muted" }, t("d.none"))];
}

/// An event's detail in words (the server's JSON object; unknown keys as key: value).
function describe(e) {
  const x = e.detail || {};
  switch (e.event) {
    case "assigned":
      return [x.department ? depName(x.department) : null, x.worker ? workerName(x.worker) : null,
        x.hours != null ? t("d.limit", { n: x.hours }) : null, x.by].filter(Boolean).join(" · ");
    case "supervised":
      return [x.reason, x.by].filter(Boolean).join(" · ");
    case "extended":
      return [x.hours != null ? `+${t("hours", { n: x.hours })}` : null, x.reason].filter(Boolean).join(" · ");
    case "evaluated":
      return [x.evaluation ? t(`e.${x.evaluation}`) : null, x.note].filter(Boolean).join(" · ");
    default:
      return typeof x === "object" ? Object.entries(x).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ") : String(x);
  }
}

// ---- actions -------------------------------------------------------------------------------
function assignForm(c) {
  const open = c.status === "reported" || c.status === "dispatched";
  const current = c.assignment && reg.dep.has(c.assignment.department) ? c.assignment.department : null;
  const first = current || (reg.departments.find((d) => d.street) || reg.departments[0] || {}).code;
  const dep = h("select", { id: "assign-department", disabled: !open, onchange: () => fillWorkers(c) },
    reg.departments.map((d) => option(d.code, d.street ? d.name : `${d.name}（${t("a.district")}）`, d.code === first,
      { "data-street": d.street || null })));
  const worker = h("select", { id: "assign-worker", disabled: !open });
  const hours = h("input", { id: "assign-hours", type: "number", min: "0.5", step: "0.5", placeholder: t("a.hours.placeholder"), disabled: !open,
    value: c.assignment && c.assignment.hours != null ? String(c.assignment.hours) : null });
  const go = h("button", { id: "assign-go", type: "submit", disabled: !open }, t(c.status === "reported" ? "a.dispatch" : "a.reassign"));
  const form = h("form", { id: "assign-form", class: "action", onsubmit: (e) => { e.preventDefault(); assign(c); } },
    h("h3", {}, t("a.assign")),
    h("label", {}, h("span", {}, t("a.department")), dep),
    h("label", {}, h("span", {}, t("a.worker")), worker),
    h("label", {}, h("span", {}, t("a.hours")), hours),
    go,
    open ? null : h("p", { class: "muted small" }, t("a.assign.closed")));
  fillWorkersInto(dep.value, worker, c);
  return form;
}

function fillWorkers(c) {
  const dep = $("assign-department"), worker = $("assign-worker");
  if (dep && worker) fillWorkersInto(dep.value, worker, c);
}

/// The department's workers and "(nobody in particular)"; the one assigned now, or else the
/// grid worker of the case's grid, chosen.
function fillWorkersInto(department, select, c) {
  const list = reg.workers.filter((w) => w.department === department);
  const keep = select.value && list.some((w) => w.id === select.value) ? select.value : null;
  const assigned = c.assignment && c.assignment.department === department ? c.assignment.worker : null;
  const ofGrid = (list.find((w) => w.grid && w.grid === c.grid) || {}).id;
  const pick = keep || assigned || ofGrid || "";
  select.replaceChildren(option("", t("a.nobody"), pick === ""),
    ...list.map((w) => option(w.id, w.grid ? `${w.name}（${w.grid.slice(-3)}）` : w.name, w.id === pick)));
}

function superviseForm(c) {
  const closed = c.status === "closed";
  return h("form", { id: "supervise-form", class: "action", onsubmit: (e) => { e.preventDefault(); supervise(c); } },
    h("h3", {}, t("a.supervise")),
    h("label", { class: "wide" }, h("span", {}, t("a.reason")), h("input", { id: "supervise-reason", type: "text", maxlength: "200", disabled: closed })),
    h("button", { id: "supervise-go", type: "submit", disabled: closed }, t("a.supervise")));
}

function stepForm(c) {
  const next = NEXT[c.status] || [];
  const select = h("select", { id: "step-select", disabled: !next.length },
    next.map(([key, status], i) => option(status, t(`n.${key}`), i === 0, { "data-step": key })));
  const evaluation = h("select", { id: "eval-select" }, EVALUATIONS.map((e, i) => option(e, t(`e.${e}`), i === 0)));
  const note = h("input", { id: "eval-note", type: "text", maxlength: "200" });
  const closing = h("div", { id: "eval-fields", class: "closing" },
    h("label", {}, h("span", {}, t("a.evaluation")), evaluation),
    h("label", { class: "wide" }, h("span", {}, t("a.note")), note));
  const toggle = () => { closing.hidden = select.value !== "closed"; };
  select.addEventListener("change", toggle);
  toggle();
  return h("form", { id: "step-form", class: "action", onsubmit: (e) => { e.preventDefault(); step(c); } },
    h("h3", {}, t("a.step")),
    next.length ? h("label", {}, h("span", {}, t("a.next")), select) : null,
    next.length ? closing : null,
    h("button", { id: "step-go", type: "submit", disabled: !next.length }, t("a.step.go")),
    next.length ? null : h("p", { class: "muted small" }, t(c.status === "reported" ? "a.step.none.reported" : "a.step.none")));
}

/// The message line: a success, or the server's refusal (class error).
function say(text, error = false) {
  const m = $("desk-message");
  m.textContent = text;
  m.title = text;
  m.className = error ? "error" : "ok";
  D.message = { text, error };
}

function refused(e) {
  D.errors.push(`${e.status || "?"}: ${e.message}`);
  // A refusal with a code the page knows is said in the page's language (its named values
  // filled in: the desk's assignment rules, and the closed loop's and the scope's shared
  // with the grid worker's page); others with the server's text.
  const known = e.code && TEXT.zh[`code.${e.code}`] ? t(`code.${e.code}`, e.params || {})
    : caseReason(e, (s) => t(`s.${s}`));
  if (e.status) say(t("m.refused", { status: e.status, detail: known || e.message }), true);
  else say(t("m.failed", { detail: e.message || String(e) }), true);
}

let busy = false;
async function act(body, id, success) {
  if (busy) return;
  busy = true;
  document.body.classList.add("busy");
  const held = [...document.querySelectorAll("#detail button:not([disabled])")];
  for (const b of held) b.disabled = true;
  try {
    await api(`/api/incidents/${enc(id)}`, { method: "PATCH", body: JSON.stringify(body) });
    say(success, false);
  } catch (e) {
    refused(e);
  } finally {
    busy = false;
    document.body.classList.remove("busy");
    await loadQueue();
    await loadDetail(false);
    // Buttons of a detail that could not be redrawn work again.
    for (const b of held) if (b.isConnected) b.disabled = false;
  }
}

function assign(c) {
  const department = $("assign-department").value;
  const worker = $("assign-worker").value || null;
  const raw = $("assign-hours").value.trim();
  const hours = raw === "" ? null : Number(raw);
  const to = worker ? `${depName(department)} / ${workerName(worker)}` : depName(department);
  return act({ assign: { department, worker, hours } }, c.id, t(c.status === "reported" ? "m.dispatched" : "m.reassigned", { id: c.id, to }));
}

function supervise(c) {
  return act({ supervise: $("supervise-reason").value }, c.id, t("m.supervised", { id: c.id }));
}

function step(c) {
  const status = $("step-select").value;
  const key = $("step-select").selectedOptions[0] && $("step-select").selectedOptions[0].dataset.step;
  const body = { status };
  if (status === "closed") {
    body.evaluation = $("eval-select").value;
    const note = $("eval-note").value.trim();
    if (note) body.note = note;
  }
  return act(body, c.id, t("m.step", { id: c.id, status: t(`n.${key || status}`) }));
}

// ---- the KPI strip: the street's month (this one, or the latest with reports) --------------
async function loadKpis() {
  if (!reg.street) return;
  try {
    const a = await api(`/api/kpi/trend?months=13&month=${currentMonth()}&by=street&area=${enc(reg.street)}`);
    const months = (a.months || []).filter((m) => !m.suppressed);
    const now = months.find((m) => m.month === currentMonth() && m.reported > 0);
    const r = now || months.filter((m) => m.reported > 0).pop();
    if (!r) return;
    const [y, m] = r.month.split("-").map(Number);
    const monthName = lang === "zh" ? t("k.month", { y, m }) : new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString("en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
    const kpi = (label, value, cls) => h("span", { class: `kpi${cls ? ` ${cls}` : ""}` }, h("i", {}, label), " ", h("b", {}, value));
    $("kpis").replaceChildren(h("span", { class: "muted" }, monthName),
      kpi(t("k.reported"), String(r.reported)), kpi(t("k.closure"), pct(r.closure_rate)), kpi(t("k.on_time"), pct(r.on_time_rate)),
      kpi(t("k.overdue"), String(r.overdue), r.overdue ? "bad" : ""), kpi(t("k.satisfaction"), pct(r.satisfaction_rate)));
    D.kpi = { month: r.month, reported: r.reported };
  } catch (e) {
    D.errors.push(`kpi: ${e.message}`);
  }
}

// ---- live updates --------------------------------------------------------------------------
let reloadTimer = null, changed = new Set();
function live(e) {
  D.events += 1;
  let id = null;
  try { id = JSON.parse(e.data).id; } catch (_) { id = null; }
  if (id) changed.add(String(id));
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(async () => {
    const ids = changed;
    changed = new Set();
    await loadQueue();
    if (D.selected && (ids.has(D.selected) || e.type === "lagged") && !busy) await loadDetail(true);
  }, 500);
}

// The KPI strip follows the cases too, at most once a minute.
let kpisDue = 0;
function kpisSoon() {
  if (Date.now() < kpisDue) return;
  kpisDue = Date.now() + 60000;
  loadKpis().catch(() => {});
}

function connect() {
  const es = new EventSource(`/api/incidents/stream${token ? `?token=${enc(token)}` : ""}`);
  for (const kind of ["incident", "status", "lagged"]) {
    es.addEventListener(kind, live);
    es.addEventListener(kind, kpisSoon);
  }
  es.onopen = () => {
    $("live").textContent = t("live.on");
    $("live").className = "on";
    // Back after a break: catch up on what was missed.
    if (D.everOpen) live({ type: "lagged", data: "{}" });
    D.everOpen = true;
  };
  es.onerror = () => { $("live").textContent = t("live.off"); $("live").className = "off"; };
  D.stream = es;
}

// ---- start -----------------------------------------------------------------------------------
function applyTexts() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("page.title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("f-grid").placeholder = t("f.grid.placeholder");
  const other = new URL(location.href);
  other.searchParams.delete("token"); // kept in this browser; not in a link
  other.searchParams.set("lang", lang === "zh" ? "en" : "zh");
  $("lang").href = other.pathname + other.search;
  $("lang").textContent = t("lang.other");
}

async function start() {
  applyTexts();
  fillStatusFilter();
  fillCategoryFilter();
  if (!token) say(t("token.needed"), true);
  for (const id of ["f-status", "f-category", "f-worker"]) $(id).addEventListener("change", () => loadQueue());
  $("f-grid").addEventListener("change", () => loadQueue());
  $("f-grid").addEventListener("input", (e) => {
    const v = e.target.value.trim();
    if (v === "" || seenGrids.has(v)) loadQueue();
  });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); loadQueue(); });
  await Promise.all([loadRegister(), loadNames()]);
  await loadQueue();
  connect();
  loadKpis();
  const pick = params.get("case");
  if (pick) select(pick);
}

start().catch((e) => { D.errors.push(`start: ${e}`); refused(e); });
