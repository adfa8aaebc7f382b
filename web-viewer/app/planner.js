// Planner mode: the grids of a plan version coloured by fill (households / cap) and labelled
// with code and households; a grid's figures on click; edits (select buildings and move them
// to a grid, split, merge) that the server validates and stores as new versions, refused ones
// with the reason; undo/redo (restoring versions), save as (naming a version), compare two
// versions, re-partition a community with locked grids, exports, 3D buildings.
import { t, num, reason } from "./i18n.js";
import { api, show, setData, say, token, EMPTY, h, kids, table, boundsOf, firstLabel } from "./util.js";
import { setLegend, hover } from "./legend.js";
import { set3d, legend3d, buildingAt } from "./buildings3d.js";

// Figures with a definition on hover.
const DEFS = { fill: "def.fill", compactness: "def.compactness", reock: "def.reock", workers: "def.workers" };

const TILE_GRIDS = ["grids-fill", "grids-line", "grids-label"];
const OWN = ["plan-fill", "buildings-flat", "buildings-selected", "plan-line", "plan-locked", "plan-changed", "compare-a", "plan-label"];

export class Planner {
  constructor(map) {
    this.map = map;
    this.plans = [];
    this.plan = null; // the version shown and edited
    this.cap = 200;
    this.grids = new Map(); // code → properties
    this.selected = null; // grid code
    this.buildings = new Set(); // selected building keys
    this.tool = null; // "select" | "move" | "merge"
    this.history = []; // versions whose grids each undo step restores
    this.ptr = -1;
    this.locks = new Set();
    this.changed = [];
    this.comparison = null;
    this.threeD = false;
    this.sort = { key: "code", desc: false };
    this.names = null; // community key → name
    this.onClick = (e) => this.click(e).catch((err) => this.fail(err));
  }

  layers() {
    const map = this.map;
    if (map.getLayer("plan-fill")) return;
    setData(map, "plan-grids", EMPTY);
    setData(map, "compare-a", EMPTY);
    const below = map.getLayer("buildings-3d") ? "buildings-3d" : firstLabel(map);
    const labels = firstLabel(map); // lines under street and community labels
    map.addLayer({ id: "plan-fill", type: "fill", source: "plan-grids",
      paint: { "fill-color": ["interpolate", ["linear"], ["get", "fill_pct"], 0, "#f7fbff", 50, "#c6dbef", 80, "#6baed6", 100, "#2171b5"],
               "fill-opacity": 0.5 } }, below);
    // The style has a buildings layer only when the tiles have buildings.
    if (map.getLayer("buildings-3d")) {
      map.addLayer({ id: "buildings-flat", type: "fill", source: "wangge", "source-layer": "buildings", minzoom: 14,
        paint: { "fill-color": "#bfb6a8", "fill-outline-color": "#8c8273" } }, below);
      map.addLayer({ id: "buildings-selected", type: "fill", source: "wangge", "source-layer": "buildings", minzoom: 14,
        filter: ["in", ["get", "key"], ["literal", []]], paint: { "fill-color": "#e66101" } }, below);
    }
    map.addLayer({ id: "plan-line", type: "line", source: "plan-grids",
      paint: { "line-color": "#08306b", "line-width": ["case", ["==", ["get", "code"], ""], 3.5, 1] } }, labels);
    map.addLayer({ id: "plan-locked", type: "line", source: "plan-grids", filter: ["in", ["get", "code"], ["literal", []]],
      paint: { "line-color": "#7b3294", "line-width": 3, "line-dasharray": [2, 1] } }, labels);
    map.addLayer({ id: "plan-changed", type: "line", source: "plan-grids", filter: ["in", ["get", "code"], ["literal", []]],
      paint: { "line-color": "#d7301f", "line-width": 3 } }, labels);
    map.addLayer({ id: "compare-a", type: "line", source: "compare-a",
      paint: { "line-color": "#525252", "line-width": 1.5, "line-dasharray": [3, 2] } }, labels);
    const glyphs = map.getStyle().glyphs;
    if (glyphs) {
      const font = (map.getLayer("grids-label") && map.getLayoutProperty("grids-label", "text-font")) || ["DejaVu Sans Book"];
      map.addLayer({ id: "plan-label", type: "symbol", source: "plan-grids", minzoom: 14,
        layout: { "text-field": ["concat", ["slice", ["get", "code"], -3], "\n", ["to-string", ["get", "households"]]],
                  "text-font": font, "text-size": 11 },
        paint: { "text-color": "#08306b", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } });
    }
  }

  async enter(panel) {
    this.panel = panel;
    this.layers();
    show(this.map, TILE_GRIDS, false);
    show(this.map, OWN, true);
    this.set3d(this.threeD);
    this.map.on("click", this.onClick);
    await this.loadPlans();
    if (this.plan == null) {
      panel.replaceChildren(h("p", { class: "muted" }, `${t("plan")}: –`));
      return;
    }
    this.unhover = hover(this.map, ["plan-fill"], (f) => {
      const g = this.grids.get(f.properties.code);
      return g && [`${this.communityName(g.community)} · ${t("grid")} ${g.code.slice(-3)}`,
        `${t("households")} ${num(g.households)} / ${this.cap} (${g.fill_pct}%)`, `${t("code")} ${g.code}`];
    });
    const first = !this.history.length;
    if (first) {
      this.history = [this.plan];
      this.ptr = 0;
    }
    await this.loadGrids();
    // The first time, frame the plan's grids (unless the address asks for a zoom).
    if (first && !new URLSearchParams(location.search).get("z")) {
      const b = new maplibregl.LngLatBounds();
      for (const f of this.fc.features) {
        for (const poly of f.geometry.coordinates) for (const c of poly[0]) b.extend(c);
      }
      if (!b.isEmpty()) this.map.fitBounds(b, { padding: 30, duration: 0 });
    }
  }

  leave() {
    this.map.off("click", this.onClick);
    if (this.unhover) this.unhover();
    setLegend([]);
    show(this.map, OWN, false);
    show(this.map, TILE_GRIDS, true);
    show(this.map, ["buildings-3d"], true);
    this.map.easeTo({ pitch: 0 });
  }

  async loadPlans() {
    const answer = await api("/api/plans");
    this.plans = answer.plans;
    this.current = answer.current;
    if (this.plan == null && this.current != null) this.plan = this.current;
  }

  async loadGrids() {
    const fc = await api(`/api/plans/${this.plan}/grids`);
    if (fc.community_names) this.names = new Map(Object.entries(fc.community_names));
    this.cap = fc.cap;
    this.grids = new Map(fc.features.map((f) => [f.properties.code, f.properties]));
    this.fc = fc;
    setData(this.map, "plan-grids", fc);
    this.paint();
    this.render();
    this.shown = fc.plan; // the version whose grids are on the map and in the panel
  }

  paint() {
    const map = this.map;
    map.setPaintProperty("plan-line", "line-width", ["case", ["==", ["get", "code"], this.selected || ""], 3.5, 1]);
    map.setFilter("plan-changed", ["in", ["get", "code"], ["literal", this.changed]]);
    map.setFilter("plan-locked", ["in", ["get", "code"], ["literal", [...this.locks]]]);
    if (map.getLayer("buildings-selected")) map.setFilter("buildings-selected", ["in", ["get", "key"], ["literal", [...this.buildings]]]);
  }

  set3d(on) {
    this.threeD = on;
    set3d(this.map, on);
    if (this.panel) this.legend();
  }

  fail(err) {
    const status = err && err.status;
    const stale = status === 409 && err.code === "plan.stale";
    const text = stale
      ? t("stale").replace("{current}", err.params.current)
      : status === 422 ? `${t("refused")}: ${reason(err)}` : String((err && err.message) || err);
    say(text, true);
    const el = this.panel && this.panel.querySelector("#plan-result");
    if (el) {
      el.className = "refused";
      el.textContent = text;
      if (stale) {
        // Another planner's change came first: offer to show the current version.
        const b = document.createElement("button");
        b.id = "plan-reload";
        b.textContent = t("reload");
        b.addEventListener("click", async () => {
          this.plan = Number(err.params.current);
          this.history = [this.plan];
          this.ptr = 0;
          await this.loadPlans();
          await this.loadGrids();
        });
        el.append(" ", b);
      }
    }
  }

  async click(e) {
    const pad = 3;
    const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
    if (this.tool === "select") {
      const layer = this.threeD ? "buildings-3d" : "buildings-flat";
      const b = this.map.queryRenderedFeatures(box, { layers: [layer] })[0];
      if (b && b.properties.key) {
        const k = b.properties.key;
        if (this.buildings.has(k)) this.buildings.delete(k);
        else this.buildings.add(k);
        this.paint();
        this.render();
      }
      return;
    }
    // In 3D without a tool: the building clicked, with its entrances.
    if (this.threeD && !this.tool && await buildingAt(this.map, e)) return;
    const g = this.map.queryRenderedFeatures(e.point, { layers: ["plan-fill"] })[0];
    if (!g) return;
    const code = g.properties.code;
    if (this.tool === "move") {
      this.tool = null;
      await this.edit({ op: "move", buildings: [...this.buildings], to: code }, () => this.buildings.clear());
    } else if (this.tool === "merge") {
      this.tool = null;
      await this.edit({ op: "merge", a: this.selected, b: code });
    } else {
      this.selectGrid(code, false);
    }
  }

  /// Sends an edit of the shown version; on success shows the new version.
  async edit(body, then) {
    say(t("loading"));
    try {
      const r = await api(`/api/plans/${this.plan}/edits`, { method: "POST", body: JSON.stringify(body) });
      if (then) then();
      await this.arrive(r, true);
    } catch (err) {
      // Redraw the panel first: the refusal (and a stale edit's reload button) goes on top.
      this.render(false);
      this.fail(err);
    }
  }

  /// A new version from the server: show it, and record it for undo when it is a new step.
  async arrive(r, step, said) {
    if (step) {
      this.history = this.history.slice(0, this.ptr + 1);
      this.history.push(r.plan);
      this.ptr = this.history.length - 1;
    }
    this.plan = r.plan;
    this.changed = r.changed || [];
    this.lastResult = r;
    await this.loadPlans();
    await this.loadGrids();
    const msg = `${said || `${t("edit.done")} #${r.plan}`} · ${t("moved")} ${num(r.moved_households)}`;
    say(msg);
    const el = this.panel.querySelector("#plan-result");
    if (el) { el.className = ""; el.textContent = msg; }
  }

  async step(delta) {
    const to = this.ptr + delta;
    if (to < 0 || to >= this.history.length) return;
    try {
      const from = this.history[to];
      const r = await api(`/api/plans/${from}/restore?base=${this.plan}`, { method: "POST", body: "{}" });
      this.ptr = to;
      // An undo (or redo) restores an earlier version's grids as a new version: said so.
      await this.arrive(r, false, t(delta < 0 ? "undo.done" : "redo.done").replace("{from}", from).replace("{plan}", r.plan));
    } catch (err) {
      this.fail(err);
    }
  }

  async compare() {
    const a = Number(this.panel.querySelector("#cmp-a").value);
    const b = Number(this.panel.querySelector("#cmp-b").value);
    try {
      const c = await api(`/api/plans/compare?a=${a}&b=${b}`);
      setData(this.map, "compare-a", await api(`/api/plans/${a}/grids`));
      if (b !== this.plan) {
        this.plan = b;
        await this.loadGrids();
      }
      this.changed = c.changed_in_b;
      this.comparison = c;
      this.paint();
      this.render();
    } catch (err) {
      this.fail(err);
    }
  }

  async repartition() {
    const g = this.grids.get(this.selected);
    if (!g) return say(t("no.grid"), true);
    const locks = [...this.locks].filter((c) => this.grids.get(c)?.community === g.community);
    say(t("loading"));
    try {
      const r = await api(`/api/plans/${this.plan}/partition`, { method: "POST", body: JSON.stringify({ community: g.community, locks }) });
      await this.arrive(r, true);
    } catch (err) {
      this.fail(err);
    }
  }

  /// The panel, built from elements (text nodes only).
  // Long: one panel of a planner's tools, each part a few lines.
  render(clearResult = true) {
    const p = this.panel;
    if (!p || this.plan == null) return;
    const plan = this.plans.find((x) => x.id === this.plan) || {};
    const option = (x, sel) => h("option", { value: x.id, selected: x.id === sel }, `#${x.id} ${x.name || t(`kind.${x.kind}`)}`);
    const options = (sel) => this.plans.map((x) => option(x, sel));
    const g = this.grids.get(this.selected);
    const row = (k, ...v) => h("tr", {}, h("th", { title: DEFS[k] ? t(DEFS[k]) : null }, t(k)), h("td", { class: "n" }, ...v));
    const old = p.querySelector("#plan-result");
    const keep = !clearResult && old ? [old.className, old.textContent] : ["", ""];
    const cmp = this.comparison;
    const tq = token ? `?token=${encodeURIComponent(token)}` : ""; // links cannot send a header
    const button = (id, label, { disabled = false, on = false, click } = {}) =>
      h("button", { id, disabled, class: on ? "on" : null, onclick: click }, label);
    const pick = h("select", { id: "plan-pick", onchange: async (e) => {
      this.plan = Number(e.target.value);
      this.changed = [];
      this.history = [this.plan];
      this.ptr = 0;
      await this.loadGrids().catch((err) => this.fail(err));
    } }, options(this.plan));
    const saveName = h("input", { id: "save-name", size: 10, placeholder: t("save.placeholder") });
    const gridRows = [...this.grids.values()].map((x) => ({ ...x, id: x.code, community_name: this.communityName(x.community) }));
    const grids = table({
      id: "grid-list",
      columns: [
        { key: "code", label: t("code"), title: t("code.title"), format: (v) => v.slice(-3) },
        { key: "community_name", label: t("community") },
        { key: "households", label: t("households"), numeric: true, format: (v) => num(v) },
        { key: "fill_pct", label: t("fill"), numeric: true, format: (v) => `${v}%`, title: t("def.fill") },
      ],
      rows: gridRows, sort: this.sort, selected: this.selected,
      onSort: (s) => { this.sort = s; this.render(false); },
      onRow: (r) => this.selectGrid(r.code, true),
    });
    this.table = grids;
    p.replaceChildren(...kids(
      h("h2", {}, t("plan"), " ", h("span", { id: "plan-id" }, `#${this.plan}`), " ", plan.name || ""),
      h("div", { class: "row" }, pick, h("span", {}, t("grids"), " ", h("b", { id: "plan-grids" }, num(plan.grids)), " · ",
        t("households"), " ", h("b", {}, num(plan.households)))),
      h("div", { class: "row" },
        button("undo", t("undo"), { disabled: this.ptr <= 0, click: () => this.step(-1) }),
        button("redo", t("redo"), { disabled: this.ptr >= this.history.length - 1, click: () => this.step(1) }),
        saveName,
        button("save", t("save.as"), { click: () => this.saveAs(saveName.value.trim()) })),
      h("h2", {}, t("grid")),
      h("div", { id: "grid-table" }, g ? h("table", {},
        row("code", g.code), row("community", this.communityName(g.community)),
        row("households", h("span", { id: "grid-households" }, num(g.households)), ` / ${this.cap}`),
        row("fill", `${g.fill_pct}%`), row("buildings", num(g.buildings)), row("workers", num(g.workers)),
        row("compactness", g.polsby_popper), row("reock", g.reock), row("area", num(g.area_m2)))
        : h("p", { class: "muted" }, t("hint.grid"))),
      h("div", { class: "row" },
        button("tool-select", t("tool.select"), { on: this.tool === "select", click: () => { this.tool = this.tool === "select" ? null : "select"; this.render(); } }),
        button("tool-move", t("tool.move"), { disabled: !this.buildings.size, on: this.tool === "move", click: () => { this.tool = "move"; this.render(); } }),
        button("tool-split", t("tool.split"), { disabled: !g, click: () => this.edit({ op: "split", grid: this.selected }) }),
        button("tool-merge", t("tool.merge"), { disabled: !g, on: this.tool === "merge", click: () => { this.tool = "merge"; this.render(); } })),
      h("div", { class: "muted" }, this.tool ? t(`hint.${this.tool}`) : "", " ",
        this.buildings.size ? [t("selected"), ": ", h("b", { id: "n-selected" }, this.buildings.size)] : ""),
      h("div", { id: "plan-result", class: keep[0] || null }, keep[1]),
      h("div", { class: "row" },
        button("lock", g && this.locks.has(g.code) ? t("unlock") : t("lock"), { disabled: !g, click: () => {
          if (this.locks.has(this.selected)) this.locks.delete(this.selected);
          else this.locks.add(this.selected);
          this.paint();
          this.render();
        } }),
        button("repartition", t("repartition"), { disabled: !g, click: () => this.repartition() }),
        button("renumber", t("renumber"), { disabled: !g, title: t("renumber.title"), click: () => this.edit({ op: "renumber", community: g.community }) })),
      h("div", { class: "muted" }, this.locks.size ? `${t("locked")}: ${[...this.locks].map((c) => c.slice(-3)).join(", ")}` : ""),
      h("h2", {}, t("grid.list"), " ", h("span", { class: "muted" }, num(gridRows.length))),
      h("div", { class: "wrap list" }, grids),
      h("h2", {}, t("compare.with")),
      h("div", { class: "row" },
        h("select", { id: "cmp-a" }, options(this.history[Math.max(0, this.ptr - 1)] ?? this.plan)), " → ",
        h("select", { id: "cmp-b" }, options(this.plan)), " ",
        button("compare", t("compare"), { click: () => this.compare() })),
      cmp ? h("div", { id: "compare-result" }, t("compare.changed"), ": ", h("b", {}, cmp.changed_in_b.length), " · ", t("moved"), ": ",
        h("b", { id: "cmp-moved" }, num(cmp.moved_households)),
        h("table", {}, h("tr", {}, h("th", {}, t("address")), h("th", { class: "n" }, t("households")), h("th", {}, t("from")), h("th", {}, t("to"))),
          cmp.moves.slice(0, 50).map((m) => h("tr", {}, h("td", {}, m.address), h("td", { class: "n" }, m.households), h("td", {}, m.from.slice(-3)), h("td", {}, m.to.slice(-3))))),
        cmp.moves.length > 50 ? h("p", { class: "muted" }, `… ${cmp.moves.length - 50}`) : null) : null,
      h("h2", {}, t("export")),
      h("div", { class: "row" },
        h("a", { href: `/api/plans/${this.plan}/export/geojson${tq}`, download: "" }, "GeoJSON"), " · ",
        h("a", { href: `/api/plans/${this.plan}/export/gpkg${tq}`, download: "" }, "GeoPackage"), " · ",
        h("a", { href: `/api/plans/${this.plan}/export/shp${tq}`, download: "" }, "Shapefile"), " · ",
        h("a", { href: `/api/plans/${this.plan}/export/csv${tq}`, download: "" }, t("export.csv"))),
      h("label", { class: "row" }, h("input", { type: "checkbox", id: "three-d", checked: this.threeD, onchange: (e) => this.set3d(e.target.checked) }), " ", t("three.d")),
    ));
    this.legend();
  }

  async saveAs(name) {
    if (!name) return;
    try {
      await api(`/api/plans/${this.plan}/name`, { method: "PUT", body: JSON.stringify({ name }) });
      await this.loadPlans();
      say(`${t("saved")} #${this.plan}: ${name}`);
      this.render();
    } catch (err) { this.fail(err); }
  }

  /// Selects a grid: highlighted on the map and in the list; `fly` frames it.
  selectGrid(code, fly) {
    this.selected = code;
    this.paint();
    this.render(false);
    if (this.table) this.table.select(code);
    const f = this.fc && this.fc.features.find((x) => x.properties.code === code);
    const b = f && boundsOf([f.geometry]);
    if (fly && b) this.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 17, duration: 600 });
  }

  communityName(key) {
    return (this.names && this.names.get(key)) || key;
  }

  /// What the planner's colours mean.
  legend() {
    const items = [
      { layer: "plan-fill", label: t("legend.fill"), unit: t("legend.fill.unit"),
        ramp: [["0", "#f7fbff"], ["50", "#c6dbef"], ["80", "#6baed6"], ["100", "#2171b5"]] },
      { layer: "plan-line", line: "#08306b", label: t("legend.grid") },
    ];
    if (this.changed.length) items.push({ layer: "plan-changed", line: "#d7301f", label: t("legend.changed") });
    if (this.locks.size) items.push({ layer: "plan-locked", line: "#7b3294", dash: true, label: t("legend.locked") });
    if (this.comparison) items.push({ layer: "compare-a", line: "#525252", dash: true, label: t("legend.compare") });
    if (this.buildings.size) items.push({ layer: "buildings-selected", fill: "#e66101", label: t("legend.selected") });
    if (this.threeD) items.push(...legend3d());
    setLegend(items, t("legend"));
  }
}
