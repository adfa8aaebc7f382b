// What the modes share: JSON requests, layer visibility, GeoJSON sources, the header message.

/// A line in the header: plain, or an error in red.
export function say(text, error = false) {
  const el = document.getElementById("message");
  el.textContent = text;
  el.className = error ? "error" : "";
}

// The access token: `?token=…` once (then kept in this browser), never built into the page.
const fromUrl = new URLSearchParams(location.search).get("token");
if (fromUrl) localStorage.setItem("wangge.token", fromUrl);
export const token = fromUrl || localStorage.getItem("wangge.token");

/// Headers with the token, if any.
export function auth(headers = {}) {
  return token ? { ...headers, authorization: `Bearer ${token}` } : headers;
}

/// MapLibre's transformRequest: the token on requests to this server.
export function withToken(url) {
  return token && url.startsWith(location.origin) ? { url, headers: auth() } : { url };
}

/// fetch JSON; a 4xx/5xx answer throws its text (the server names what is wrong).
export async function api(path, init) {
  const headers = auth(init && init.body ? { "content-type": "application/json" } : {});
  const r = await fetch(path, { ...(init || {}), headers });
  const text = await r.text();
  if (!r.ok) {
    // RFC 9457 problem details: the message is `detail`; `code` and `params` are what the
    // interface translates (never the English text).
    let problem = null;
    try { problem = JSON.parse(text); } catch (_) { problem = null; }
    const e = new Error((problem && problem.detail) || text || r.statusText);
    e.status = r.status;
    e.code = problem && problem.code;
    e.params = (problem && problem.params) || {};
    throw e;
  }
  return JSON.parse(text);
}

/// Shows or hides style layers that exist.
export function show(map, ids, visible) {
  for (const id of ids) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
}

/// A GeoJSON source's data, created on first use.
export function setData(map, id, data) {
  const src = map.getSource(id);
  if (src) src.setData(data);
  else map.addSource(id, { type: "geojson", data });
}

export const EMPTY = { type: "FeatureCollection", features: [] };

/// An element: `h("td", { class: "n", title: "…", onclick }, "text", child, …)`. Text goes
/// in as text nodes, never as markup (names and codes are data; a key may hold markup).
/// Attributes `false`/`null` are left out; `on…` functions become listeners.
export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k in e && typeof v !== "string") e[k] = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/// Children for `replaceChildren`: lists flattened, empty parts left out, text as text nodes.
export function kids(...c) {
  return c.flat(Infinity).filter((x) => x != null && x !== false).map((x) => (x instanceof Node ? x : document.createTextNode(String(x))));
}

/// Chinese names in pinyin order (ICU's zh collation), numbers by value.
const collator = new Intl.Collator("zh-CN", { numeric: true });
export function compare(x, y) {
  if (x == null && y == null) return 0;
  if (x == null) return -1;
  if (y == null) return 1;
  return typeof x === "number" && typeof y === "number" ? x - y : collator.compare(String(x), String(y));
}

/// A sortable table: `columns` [{ key, label, numeric, format, title }], `rows` objects with
/// `id`; a click on a header sorts by it (▲/▼ on the active one), a click on a row calls
/// `onRow(row)`. The table element carries `select(id)`: highlight and scroll to a row.
export function table({ id, columns, rows, sort, onSort, onRow, selected }) {
  const sorted = rows.slice().sort((a, b) => {
    const c = compare(a[sort.key], b[sort.key]);
    return sort.desc ? -c : c;
  });
  const head = h("tr", {}, columns.map((c) => h("th", {
    class: [c.numeric ? "n" : "", "sortable", c.key === sort.key ? (sort.desc ? "desc" : "asc") : ""].join(" ").trim(),
    title: c.title || null, dataset: { sort: c.key },
    "aria-sort": c.key === sort.key ? (sort.desc ? "descending" : "ascending") : "none",
    onclick: () => onSort({ key: c.key, desc: sort.key === c.key ? !sort.desc : c.numeric }),
  }, c.label, h("span", { class: "arrow" }, c.key === sort.key ? (sort.desc ? " ▼" : " ▲") : " ↕"))));
  const body = h("tbody", {}, sorted.map((r) => h("tr", {
    dataset: { id: r.id }, class: r.id === selected ? "on" : null, onclick: onRow ? () => onRow(r) : null,
  }, columns.map((c) => h("td", { class: c.numeric ? "n" : null }, c.format ? c.format(r[c.key], r) : r[c.key] ?? "–")))));
  const t = h("table", { id, class: "linked" }, h("thead", {}, head), body);
  t.select = (rid) => {
    for (const tr of body.children) tr.classList.toggle("on", tr.dataset.id === String(rid));
    const tr = [...body.children].find((x) => x.dataset.id === String(rid));
    if (tr) tr.scrollIntoView({ block: "nearest" });
    return tr;
  };
  return t;
}

/// The lon/lat bounds of GeoJSON geometries, or null.
export function boundsOf(geometries) {
  let b = null;
  const walk = (c) => {
    if (typeof c[0] === "number") {
      b = b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])] : [c[0], c[1], c[0], c[1]];
    } else for (const x of c) walk(x);
  };
  for (const g of geometries) if (g && g.coordinates) walk(g.coordinates);
  return b;
}

/// The first symbol layer of the style: own lines and fills go below it, so labels stay on top.
export function firstLabel(map) {
  const l = map.getStyle().layers.find((x) => x.type === "symbol");
  return l ? l.id : undefined;
}
