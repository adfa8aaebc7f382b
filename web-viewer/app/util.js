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

/// Text made safe for innerHTML.
export function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}
