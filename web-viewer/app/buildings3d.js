// The 3D view of both modes: buildings extruded to their height and coloured by grid (a
// paler tone where the height is estimated from the kind's default storeys), and on a click
// a building's storeys, grid and entrances, with households only when the server gives them
// to this role (`/api/buildings/{key}`).
import { t, num } from "./i18n.js";
import { api, show, h } from "./util.js";

/// Turns the 3D view on or off.
export function set3d(map, on) {
  // Without the planner's flat layer, 2D shows the extrusions seen from above.
  show(map, ["buildings-3d"], on || !map.getLayer("buildings-flat"));
  show(map, ["buildings-flat"], !on);
  map.easeTo({ pitch: on ? 50 : 0, duration: 500 });
}

/// Legend lines of the 3D view.
export function legend3d() {
  return [
    { layer: "buildings-3d", fill: "#4292c6", label: t("legend.3d") },
    { layer: "buildings-3d", fill: "#c6dbef", label: t("legend.3d.estimated") },
  ];
}

/// The building under a click, if the 3D view shows one: its figures in a popup.
export async function buildingAt(map, e) {
  if (!map.getLayer("buildings-3d") || map.getLayoutProperty("buildings-3d", "visibility") !== "visible") return false;
  const f = map.queryRenderedFeatures(e.point, { layers: ["buildings-3d"] })[0];
  if (!f || !f.properties.key) return false;
  const b = await api(`/api/buildings/${encodeURIComponent(f.properties.key)}`);
  const lines = [
    h("b", {}, b.name || `${t("building")} ${b.key}`),
    h("div", {}, `${t("levels")} ${b.levels}${b.levels_given ? "" : ` (${t("estimated")})`} · ${t("height")} ${num(b.height_m)} m`),
    h("div", {}, `${t("grid")} ${b.grid ? b.grid.slice(-3) : "–"}`),
    b.households != null ? h("div", { id: "building-households" }, `${t("households")} ${num(b.households)}`) : null,
    h("div", { class: "muted" }, `${t("entrances")} ${b.entrances.length}`),
    h("ul", { class: "entrances" }, b.entrances.slice(0, 12).map((x) => h("li", {}, `${x.key}${x.grid ? ` · ${t("grid")} ${x.grid.slice(-3)}` : ""}${x.households != null ? ` · ${num(x.households)} ${t("hh")}` : ""}`))),
  ];
  new maplibregl.Popup({ className: "building-popup", maxWidth: "320px" })
    .setLngLat(e.lngLat).setDOMContent(h("div", { id: "building-info" }, lines)).addTo(map);
  window.__building = b;
  return true;
}
