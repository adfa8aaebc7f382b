// The wall screen's script (a module: the page's Content-Security-Policy allows no inline
// script).
// The wall screen: no interaction, dark, the live heat map (Server-Sent Events refresh it),
// views rotating from the district to each street, and the incident figures. Drawn at the
// screen's own resolution: MapLibre renders at devicePixelRatio, heat tiles come as @2x on
// high-density screens, nothing is scaled by CSS. Everything comes from this server.
// The wall's read-only token (a leader token): `/wall?token=…`, sent with every request.
const TOKEN = new URLSearchParams(location.search).get("token");
const AUTH = TOKEN ? { authorization: `Bearer ${TOKEN}` } : {};
const get = (path) => fetch(path, { headers: AUTH });
const W = window.__wall = { events: 0, heatRefreshes: 0, summaries: 0, errors: [], idle: false, reconnects: 0 };
const dpr = window.devicePixelRatio || 1;
const map = new maplibregl.Map({
  container: "map", style: "/style.json", interactive: false, attributionControl: false,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif",
  pixelRatio: dpr, fadeDuration: 0,
  transformRequest: (url) => (TOKEN && url.startsWith(location.origin) ? { url, headers: AUTH } : { url }),
});
window.__map = map;
map.on("error", (e) => W.errors.push(String((e && e.error && e.error.message) || e)));
map.on("idle", () => { W.idle = true; });

const heatUrl = (v) => `${location.origin}/heat/{z}/{x}/{y}${dpr >= 1.5 ? "@2x" : ""}.png?days=365&v=${v}`;
map.on("load", () => {
  const dark = {
    background: ["background-color", "#0b1220"], landuse: ["fill-color", "#111a2c"],
    green: ["fill-color", "#10261f"], water: ["fill-color", "#0d2540"],
    "communities-fill": ["fill-color", "#131d31"], "grids-fill": ["fill-opacity", 0.08],
    "streets-minor": ["line-color", "#24324d"], "streets-major": ["line-color", "#3b4d72"],
    "grids-line": ["line-color", "#2e4a3f"], "communities-line": ["line-color", "#5b6fa0"],
  };
  for (const [id, [prop, value]] of Object.entries(dark)) {
    if (map.getLayer(id)) map.setPaintProperty(id, prop, value);
  }
  for (const id of ["buildings-3d", "facilities", "streets-label", "grids-label", "facilities-label"]) {
    if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", "none");
  }
  map.getSource("heat").setTiles([heatUrl(0)]);
  map.setLayoutProperty("heat", "visibility", "visible");
  map.setPaintProperty("heat", "raster-opacity", 0.9);
  map.setPaintProperty("heat", "raster-fade-duration", 0);
  rotate();
});

// New incidents: redraw the heat tiles at most once a second.
let pending = false;
function refreshHeat() {
  if (pending) return;
  pending = true;
  setTimeout(() => {
    pending = false;
    W.heatRefreshes += 1;
    map.getSource("heat").setTiles([heatUrl(Date.now())]);
    loadSummary();
  }, 1000);
}

const es = new EventSource(`/api/incidents/stream${TOKEN ? `?token=${encodeURIComponent(TOKEN)}` : ""}`);
es.addEventListener("incident", (e) => {
  W.events += 1;
  const i = JSON.parse(e.data);
  document.getElementById("status").textContent = `最新事件 ${i.time.replace("T", " ").slice(0, 16)} · ${names[i.category] || i.category} · ${i.grid || i.community || ""}`;
  refreshHeat();
});
es.addEventListener("status", () => refreshHeat());
// After a server restart the stream reconnects by itself; catch up on what was missed.
es.onopen = () => { if (W.everOpen) { W.reconnects += 1; refreshHeat(); } W.everOpen = true; };

let names = {}; // category code → Chinese name
async function loadSummary() {
  try {
    const s = await (await get("/api/incidents/summary")).json();
    names = s.names || names;
    document.getElementById("today").textContent = s.today;
    document.getElementById("open").textContent = s.open;
    const r = s.last_30_days.closure_rate;
    document.getElementById("rate").textContent = r == null ? "–" : `${(r * 100).toFixed(1)}%`;
    // Text nodes only: names and codes are data (a community key may hold markup).
    const list = (id, lines) => document.getElementById(id).replaceChildren(...lines.map((line) => {
      const li = document.createElement("li");
      li.textContent = line;
      return li;
    }));
    list("cats", s.top_categories.map((c) => `${c.zh || c.category} ${c.count}`));
    // A leader's token gets communities, not grids (a grid is smaller than a community).
    const byGrid = s.top_grids.length > 0 || s.top_communities.length === 0;
    document.getElementById("grids-title").textContent = byGrid ? "30日高发网格" : "30日高发社区";
    list("grids", byGrid ? s.top_grids.map((g) => `${g.grid} ${g.count}`) : s.top_communities.map((c) => `${c.community} ${c.count}`));
    W.summaries += 1;
    W.today = s.today;
  } catch (e) {
    document.getElementById("status").textContent = "等待服务器…";
  }
}
loadSummary();
setInterval(loadSummary, 30000);

// On-time closure under the configured time limits (/api/kpi/trend): this month's cases, or
// last month's while none of this month's is closed yet. A monthly figure: every 5 minutes.
async function loadOnTime() {
  try {
    const r = await get("/api/kpi/trend?months=2");
    if (!r.ok) throw new Error(`${r.status}`);
    const months = (await r.json()).months;
    const m = [...months].reverse().find((x) => x.closed > 0);
    const o = m ? m.on_time_rate : null;
    document.getElementById("ontime").textContent = o == null ? "–" : `${(o * 100).toFixed(1)}%`;
    document.getElementById("ontime-label").textContent = m ? `${Number(m.month.slice(5))}月按期结案率` : "按期结案率";
    W.onTime = o;
    W.onTimeLoaded = true;
  } catch (e) {
    // Not there yet (server restarting, busy): try again soon, not in 5 minutes.
    document.getElementById("status").textContent = "等待服务器…";
    setTimeout(loadOnTime, 10000);
  }
}
loadOnTime();
setInterval(loadOnTime, 300000);
setInterval(() => { document.getElementById("clock").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false }); }, 1000);

// District first, then each street (街道), 20 s each.
let views = [], k = 0;
async function rotate() {
  try { views = (await (await get("/api/views")).json()).views; } catch (e) { views = []; }
  const next = () => {
    if (!views.length) return;
    const v = views[k % views.length];
    k += 1;
    document.getElementById("view").textContent = v.name === "district" ? "全区" : v.name;
    const [w, s, e, n] = v.bounds;
    map.fitBounds([[w, s], [e, n]], { padding: 40, duration: 1500 });
  };
  next();
  const seconds = Number(new URLSearchParams(location.search).get("rotate")) || 20;
  setInterval(next, seconds * 1000);
}
