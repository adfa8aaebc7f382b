// What the map's colours and symbols mean: a legend box over the map for the layers shown
// (ramps with numbers and units, fills, lines, points), and tooltips on hover naming the
// feature under the pointer with its key figures. Text only as text nodes.
import { h } from "./util.js";

let box = null;

/// Shows `items` in the legend (an empty list hides it). An item is
/// `{ ramp: [[value, colour], …], label, unit }`, `{ fill: colour, label }`,
/// `{ line: colour, dash, label }` or `{ circle: colour, label }`.
export function setLegend(items, title) {
  if (!box) {
    box = h("div", { id: "legend", role: "note" });
    document.getElementById("map").append(box);
  }
  box.replaceChildren(
    title ? h("b", {}, title) : null,
    ...items.map((it) => {
      if (it.ramp) {
        const stops = it.ramp.map(([v, c], i) => `${c} ${(i / Math.max(1, it.ramp.length - 1)) * 100}%`).join(", ");
        return h("div", { class: "legend-item", dataset: { layer: it.layer || "" } },
          h("div", {}, it.label, it.unit ? ` (${it.unit})` : ""),
          h("div", { class: "ramp", style: `background: linear-gradient(to right, ${stops})` }),
          h("div", { class: "ramp-numbers" }, it.ramp.map(([v]) => h("span", {}, v))));
      }
      const swatch = it.fill ? h("span", { class: "swatch", style: `background: ${it.fill}` })
        : it.line ? h("span", { class: "swatch line", style: `border-top: 3px ${it.dash ? "dashed" : "solid"} ${it.line}` })
          : h("span", { class: "swatch dot", style: `background: ${it.circle}` });
      return h("div", { class: "legend-item", dataset: { layer: it.layer || "" } }, swatch, " ", it.label);
    }),
  );
  box.hidden = items.length === 0;
}

/// Tooltips over `layers`: `describe(feature)` gives the lines to show (or null for none).
/// Returns a function that removes them.
export function hover(map, layers, describe) {
  const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: "tip", maxWidth: "320px" });
  const move = (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: layers.filter((l) => map.getLayer(l)) })[0];
    const lines = f && describe(f);
    if (!lines) {
      popup.remove();
      map.getCanvas().style.cursor = "";
      return;
    }
    map.getCanvas().style.cursor = "pointer";
    popup.setLngLat(e.lngLat).setDOMContent(h("div", { class: "tip-body" }, lines.map((l, i) => (i === 0 ? h("b", {}, l) : h("div", {}, l))))).addTo(map);
  };
  const out = () => popup.remove();
  map.on("mousemove", move);
  map.getCanvas().addEventListener("mouseleave", out);
  return () => {
    map.off("mousemove", move);
    map.getCanvas().removeEventListener("mouseleave", out);
    popup.remove();
  };
}
