// Street-office mode: a facility category and 5/10/15 minutes; the service area, the
// uncovered households as gap areas and a sortable table per community or grid with coverage
// and the life-circle completeness rate; k siting suggestions with their marginal gains; and
// what-if: click the map to drop facilities and see coverage change.
import { t, num, category } from "./i18n.js";
import { api, show, setData, say, EMPTY, h, kids, table, boundsOf, firstLabel } from "./util.js";
import { setLegend, hover } from "./legend.js";
import { set3d, legend3d, buildingAt } from "./buildings3d.js";

const OWN = ["reach-area", "reach-area-line", "reach-gaps", "reach-gaps-line", "siting", "siting-label", "whatif", "office-chosen", "office-chosen-grid"];

export class Office {
  constructor(map) {
    this.map = map;
    this.catalogue = null;
    this.category = null;
    this.minutes = 10;
    this.coverage = null;
    this.by = "community";
    this.sort = { key: "uncovered", desc: true };
    this.siting = null;
    this.added = [];
    this.whatif = null;
    this.placing = false;
    this.chosen = null; // community or grid code highlighted in the table and on the map
    this.threeD = false;
    this.onClick = (e) => this.click(e);
  }

  layers() {
    const map = this.map;
    if (map.getLayer("reach-area")) return;
    for (const id of ["reach-area", "reach-gaps", "siting", "whatif"]) setData(map, id, EMPTY);
    const below = map.getLayer("buildings-3d") ? "buildings-3d" : firstLabel(map);
    map.addLayer({ id: "reach-area", type: "fill", source: "reach-area", paint: { "fill-color": "#2166ac", "fill-opacity": 0.18 } }, below);
    map.addLayer({ id: "reach-area-line", type: "line", source: "reach-area", paint: { "line-color": "#2166ac", "line-width": 1 } }, below);
    map.addLayer({ id: "reach-gaps", type: "fill", source: "reach-gaps", paint: { "fill-color": "#d6604d", "fill-opacity": 0.35 } }, below);
    map.addLayer({ id: "reach-gaps-line", type: "line", source: "reach-gaps", paint: { "line-color": "#b2182b", "line-width": 1.5 } }, below);
    for (const [id, sourceLayer] of [["office-chosen", "communities"], ["office-chosen-grid", "grids"]]) {
      map.addLayer({ id, type: "line", source: "wangge", "source-layer": sourceLayer,
        filter: ["==", ["get", "code"], ""], paint: { "line-color": "#ff7f00", "line-width": 4 } }, firstLabel(map));
    }
    map.addLayer({ id: "siting", type: "circle", source: "siting",
      paint: { "circle-radius": 9, "circle-color": "#1a9850", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "whatif", type: "circle", source: "whatif",
      paint: { "circle-radius": 8, "circle-color": "#e66101", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    if (map.getStyle().glyphs) {
      const font = (map.getLayer("grids-label") && map.getLayoutProperty("grids-label", "text-font")) || ["DejaVu Sans Book"];
      map.addLayer({ id: "siting-label", type: "symbol", source: "siting",
        layout: { "text-field": ["to-string", ["get", "rank"]], "text-font": font, "text-size": 11, "text-allow-overlap": true },
        paint: { "text-color": "#ffffff" } });
    }
  }

  async enter(panel) {
    this.panel = panel;
    this.layers();
    show(this.map, OWN, true);
    show(this.map, ["grids-fill"], this.by === "grid");
    if (this.threeD) set3d(this.map, true);
    this.map.on("click", this.onClick);
    panel.replaceChildren(h("p", { class: "muted" }, t("loading")));
    this.unhover = hover(this.map, ["reach-gaps", "facilities", "communities-fill", "grids-fill"], (f) => this.describe(f));
    if (!this.catalogue) {
      this.catalogue = await api("/api/reach");
      const withFacilities = this.catalogue.categories.filter((c) => c.facilities > 0).map((c) => c.code);
      this.category = withFacilities.includes("kindergarten") ? "kindergarten" : withFacilities[0] || this.catalogue.categories[0].code;
    }
    await this.refresh();
  }

  leave() {
    this.map.off("click", this.onClick);
    if (this.threeD) set3d(this.map, false);
    if (this.unhover) this.unhover();
    setLegend([]);
    show(this.map, OWN, false);
    show(this.map, ["grids-fill"], true);
    for (const id of ["facilities", "facilities-label"]) if (this.map.getLayer(id)) this.map.setFilter(id, null);
  }

  /// A tooltip's lines for a feature under the pointer.
  describe(f) {
    const p = f.properties;
    if (f.layer.id === "reach-gaps") return [`${t("gap")} ${p.community_name || ""}`, `${t("uncovered")} ${num(p.households)} ${t("hh")}`, `${t("area")} ${num(p.area_m2)}`];
    if (f.layer.id === "facilities") return [p.name || category(p.category), category(p.category)];
    const code = p.code;
    const list = this.coverage && (f.layer.id === "communities-fill" ? this.coverage.communities : this.coverage.grids);
    const r = list && list.find((x) => x.code === code);
    if (!r) return null;
    const name = f.layer.id === "communities-fill" ? r.name : `${this.communityName(r.community)} ${code.slice(-3)}`;
    return [name, `${t("households")} ${num(r.households)} · ${t("uncovered")} ${num(r.uncovered)}`, `${t("share")} ${r.share == null ? "–" : `${r.share}%`}`];
  }

  query() {
    return `category=${encodeURIComponent(this.category)}&minutes=${this.minutes}`;
  }

  async refresh() {
    say(t("loading"));
    try {
      const [cov, area, gaps] = await Promise.all([
        api(`/api/reach/coverage?${this.query()}`),
        api(`/api/reach/area?${this.query()}`),
        api(`/api/reach/gaps?${this.query()}`),
      ]);
      this.coverage = cov;
      this.gaps = gaps;
      setData(this.map, "reach-area", area);
      setData(this.map, "reach-gaps", gaps);
      // Facilities of the category in view only (points and labels).
      for (const id of ["facilities", "facilities-label"]) {
        if (this.map.getLayer(id)) this.map.setFilter(id, ["==", ["get", "category"], this.category]);
      }
      this.siting = null;
      setData(this.map, "siting", EMPTY);
      await this.runWhatIf();
      say("");
    } catch (err) {
      say(String(err.message || err), true);
    }
    this.render();
  }

  async click(e) {
    if (!this.placing && this.threeD && await buildingAt(this.map, e).catch(() => false)) return;
    if (!this.placing) {
      const layer = this.by === "community" ? "communities-fill" : "grids-fill";
      const f = this.map.getLayer(layer) && this.map.queryRenderedFeatures(e.point, { layers: [layer] })[0];
      if (f) this.choose(f.properties.code, false);
      return;
    }
    this.added.push([e.lngLat.lng, e.lngLat.lat]);
    await this.runWhatIf();
    this.render();
  }

  async runWhatIf() {
    setData(this.map, "whatif", { type: "FeatureCollection", features: this.added.map((c) => ({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: {} })) });
    if (!this.added.length) {
      this.whatif = null;
      if (this.gaps) setData(this.map, "reach-gaps", this.gaps);
      return;
    }
    try {
      this.whatif = await api("/api/reach/what-if", { method: "POST", body: JSON.stringify({ category: this.category, minutes: this.minutes, add: this.added }) });
      // The gaps left after the change, redrawn.
      setData(this.map, "reach-gaps", this.whatif.gaps);
      say("");
    } catch (err) {
      this.added.pop();
      say(String(err.message || err), true);
    }
  }

  async suggest() {
    const k = Number(this.panel.querySelector("#k").value) || 3;
    say(t("loading"));
    try {
      this.siting = await api("/api/reach/siting", { method: "POST", body: JSON.stringify({ category: this.category, minutes: this.minutes, k }) });
      setData(this.map, "siting", { type: "FeatureCollection", features: this.siting.sites.map((s) => ({ type: "Feature", geometry: { type: "Point", coordinates: s.lonlat }, properties: { rank: s.rank, gain: s.gain } })) });
      say("");
    } catch (err) {
      say(String(err.message || err), true);
    }
    this.render();
  }

  rows() {
    const c = this.coverage;
    if (!c) return [];
    return (this.by === "community" ? c.communities : c.grids).map((r) => ({
      ...r, id: r.code,
      label: this.by === "community" ? r.name || r.code : `${this.communityName(r.community)} ${r.code.slice(-3)}`,
    }));
  }

  /// A life circle by its minutes, in the interface's language (the catalogue's name is data).
  circleName(name) {
    const c = name && this.catalogue.circles.find((x) => x.name === name);
    return c ? t("circle").replace("{minutes}", c.minutes) : "–";
  }

  communityName(key) {
    const c = this.coverage && this.coverage.communities.find((x) => x.code === key);
    return (c && c.name) || key || "";
  }

  /// A table row or a map feature chosen: both highlighted, the map framed on a row click.
  choose(code, fly) {
    this.chosen = code;
    const layer = this.by === "community" ? "communities" : "grids";
    const community = this.by === "community";
    if (this.map.getLayer("office-chosen")) this.map.setFilter("office-chosen", ["==", ["get", "code"], community ? code : ""]);
    if (this.map.getLayer("office-chosen-grid")) this.map.setFilter("office-chosen-grid", ["==", ["get", "code"], community ? "" : code]);
    if (this.table) this.table.select(code);
    if (fly) {
      const feats = this.map.querySourceFeatures("wangge", { sourceLayer: layer, filter: ["==", ["get", "code"], code] });
      const b = boundsOf(feats.map((f) => f.geometry));
      if (b) this.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 16, duration: 600 });
    }
  }

  /// What the street office's colours mean.
  legend() {
    const items = [
      { layer: "reach-area", fill: "rgba(33, 102, 172, 0.35)", label: t("legend.area").replace("{minutes}", this.minutes).replace("{category}", category(this.category)) },
      { layer: "reach-gaps", fill: "rgba(214, 96, 77, 0.6)", label: t("legend.gaps") },
      { layer: "facilities", circle: "#2166ac", label: t("legend.facilities").replace("{category}", category(this.category)) },
    ];
    if (this.siting) items.push({ layer: "siting", circle: "#1a9850", label: t("legend.siting") });
    if (this.added.length) items.push({ layer: "whatif", circle: "#e66101", label: t("legend.whatif") });
    if (this.chosen) items.push({ layer: "office-chosen", line: "#ff7f00", label: t("legend.chosen") });
    if (this.threeD) items.push(...legend3d());
    setLegend(items, t("legend"));
  }

  // Long: one panel of the street office's tools, each part a few lines.
  render() {
    const p = this.panel;
    if (!p || !this.catalogue) return;
    const c = this.coverage;
    const w = this.whatif;
    // A category the workspace has no data for shows "no data", never 0% (API `data`, `warnings`).
    const nodata = c && c.data === false;
    const pct = (v) => (v == null ? (nodata ? t("no.data") : "–") : `${v}%`);
    const cats = h("select", { id: "category", onchange: (e) => { this.category = e.target.value; this.added = []; this.refresh(); } },
      this.catalogue.categories.map((x) => h("option", { value: x.code, selected: x.code === this.category }, `${category(x.code)} (${x.facilities})`)));
    const minutes = [5, 10, 15].map((m) => h("label", {},
      h("input", { type: "radio", name: "minutes", value: m, checked: m === this.minutes, onchange: () => { this.minutes = m; this.refresh(); } }),
      ` ${m} ${t("min")}`));
    const columns = [
      { key: "label", label: t(this.by === "community" ? "community" : "grid") },
      { key: "households", label: t("households"), numeric: true, format: (v) => num(v) },
      { key: "uncovered", label: t("uncovered"), numeric: true, format: (v) => num(v) },
      { key: "share", label: t("share"), numeric: true, format: (v) => pct(v), title: t("def.share") },
    ];
    if (this.by === "community") columns.push({ key: "completeness", label: t("completeness.short"), numeric: true, format: (v) => pct(v), title: t("def.completeness") });
    const tbl = table({ id: "gap-table", columns, rows: this.rows(), sort: this.sort, selected: this.chosen,
      onSort: (s) => { this.sort = s; this.render(); }, onRow: (r) => this.choose(r.code, true) });
    this.table = tbl;
    const k = h("input", { id: "k", type: "number", min: 1, max: 20, value: this.siting ? this.siting.sites.length : 3, style: "width:4em" });
    p.replaceChildren(...kids(
      h("h2", {}, t("category")), h("div", { class: "row" }, cats),
      h("h2", {}, t("minutes")), h("div", { class: "row" }, minutes),
      c ? [h("div", { class: "row" }, h("span", { class: "big", id: "share", title: t("def.share") }, pct(c.share)),
        h("span", {}, t("covered"), " ", h("b", { id: "covered" }, num(c.covered)), ` / ${num(c.households)} ${t("hh")} · ${t("facilities")} ${c.facilities}`)),
      h("div", { title: t("def.completeness") }, `${t("completeness")} (${this.circleName(c.circle)}): `, h("b", { id: "completeness" }, pct(c.completeness)),
        c.not_judged && c.not_judged.length ? [" ", h("span", { class: "muted", id: "not-judged" }, `${t("not.judged")}: ${c.not_judged.map((x) => category(x)).join(", ")}`)] : null),
      c.warnings && c.warnings.length ? h("div", { id: "warnings", class: "warn" }, c.warnings.map((x) => h("div", {}, `⚠ ${t(`warn.${x.reason}`) !== `warn.${x.reason}` ? t(`warn.${x.reason}`).replace("{category}", category(x.category)) : x.message}`))) : null] : null,
      h("h2", {}, t("gaps"), " ", h("span", { class: "muted", id: "n-gaps" }, this.gapCount())),
      h("div", { class: "row" },
        h("button", { id: "by-community", class: this.by === "community" ? "on" : null, onclick: () => this.setBy("community") }, t("by.community")),
        h("button", { id: "by-grid", class: this.by === "grid" ? "on" : null, onclick: () => this.setBy("grid") }, t("by.grid"))),
      h("div", { class: "wrap list" }, tbl),
      h("h2", {}, t("siting")),
      h("div", { class: "row" }, t("k"), " ", k, " ", h("button", { id: "suggest", onclick: () => this.suggest() }, t("suggest"))),
      this.siting ? [h("table", { id: "siting-table" }, h("tr", {}, h("th", {}, "#"), h("th", { class: "n" }, t("gain"))),
        this.siting.sites.map((s) => h("tr", {}, h("td", {}, s.rank), h("td", { class: "n" }, `+${num(s.gain)}`)))),
      h("div", {}, `${t("share")}: ${pct(this.siting.share_before)} → `, h("b", {}, pct(this.siting.share_after)))] : null,
      h("h2", {}, t("whatif")),
      h("div", { class: "row" },
        h("button", { id: "place", class: this.placing ? "on" : null, onclick: () => { this.placing = !this.placing; this.map.getCanvas().style.cursor = this.placing ? "crosshair" : ""; this.render(); } }, t("whatif.hint")), " ",
        h("button", { id: "clear", onclick: async () => { this.added = []; await this.runWhatIf(); this.render(); } }, t("clear"))),
      w ? h("div", { id: "whatif-result" }, `${t("before.after")}: ${pct(w.share_before)} → `, h("b", { id: "whatif-after" }, pct(w.share_after)),
        ` (${w.change >= 0 ? "+" : ""}${num(w.change)} ${t("hh")})`) : null,
      h("label", { class: "row" }, h("input", { type: "checkbox", id: "three-d", checked: this.threeD, onchange: (e) => this.set3d(e.target.checked) }), " ", t("three.d")),
    ));
    this.legend();
  }

  /// The table by community or by grid; the grids show on the map when listed.
  setBy(by) {
    this.by = by;
    this.chosen = null;
    show(this.map, ["grids-fill"], by === "grid");
    for (const id of ["office-chosen", "office-chosen-grid"]) if (this.map.getLayer(id)) this.map.setFilter(id, ["==", ["get", "code"], ""]);
    this.render();
  }

  /// Gap areas shown: after a what-if, those left.
  gapCount() {
    const g = this.whatif ? this.whatif.gaps : this.gaps;
    return g ? g.features.length : 0;
  }

  set3d(on) {
    this.threeD = on;
    set3d(this.map, on);
    this.legend();
  }
}
