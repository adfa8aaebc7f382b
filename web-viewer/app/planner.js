// Planner mode: the grids of a plan version coloured by fill (households / cap) and labelled
// with code and households; a grid's figures on click; edits (select buildings and move them
// to a grid, split, merge) that the server validates and stores as new versions, refused ones
// with the reason; undo/redo (restoring versions), save as (naming a version), compare two
// versions, re-partition a community with locked grids, exports, 3D buildings.
import { t, num, reason } from "./i18n.js";
import { api, show, setData, say, esc, token, EMPTY } from "./util.js";

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
    this.onClick = (e) => this.click(e).catch((err) => this.fail(err));
  }

  layers() {
    const map = this.map;
    if (map.getLayer("plan-fill")) return;
    setData(map, "plan-grids", EMPTY);
    setData(map, "compare-a", EMPTY);
    const below = map.getLayer("buildings-3d") ? "buildings-3d" : undefined;
    map.addLayer({ id: "plan-fill", type: "fill", source: "plan-grids",
      paint: { "fill-color": ["interpolate", ["linear"], ["get", "fill_pct"], 0, "#f7fbff", 50, "#c6dbef", 80, "#6baed6", 100, "#2171b5"],
               "fill-opacity": 0.5 } }, below);
    // The style has a buildings layer only when the tiles have buildings.
    if (below) {
      map.addLayer({ id: "buildings-flat", type: "fill", source: "wangge", "source-layer": "buildings", minzoom: 14,
        paint: { "fill-color": "#bfb6a8", "fill-outline-color": "#8c8273" } }, below);
      map.addLayer({ id: "buildings-selected", type: "fill", source: "wangge", "source-layer": "buildings", minzoom: 14,
        filter: ["in", ["get", "key"], ["literal", []]], paint: { "fill-color": "#e66101" } }, below);
    }
    map.addLayer({ id: "plan-line", type: "line", source: "plan-grids",
      paint: { "line-color": "#08306b", "line-width": ["case", ["==", ["get", "code"], ""], 3.5, 1] } });
    map.addLayer({ id: "plan-locked", type: "line", source: "plan-grids", filter: ["in", ["get", "code"], ["literal", []]],
      paint: { "line-color": "#7b3294", "line-width": 3, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "plan-changed", type: "line", source: "plan-grids", filter: ["in", ["get", "code"], ["literal", []]],
      paint: { "line-color": "#d7301f", "line-width": 3 } });
    map.addLayer({ id: "compare-a", type: "line", source: "compare-a",
      paint: { "line-color": "#525252", "line-width": 1.5, "line-dasharray": [3, 2] } });
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
      panel.innerHTML = `<p class="muted">${t("plan")}: –</p>`;
      return;
    }
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
    show(this.map, ["buildings-3d"], on);
    show(this.map, ["buildings-flat"], !on);
    this.map.easeTo({ pitch: on ? 50 : 0, duration: 500 });
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
      this.selected = code;
      this.paint();
      this.render();
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
  async arrive(r, step) {
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
    const msg = `${t("edit.done")} #${r.plan} · ${t("moved")} ${num(r.moved_households)}`;
    say(msg);
    const el = this.panel.querySelector("#plan-result");
    if (el) { el.className = ""; el.textContent = msg; }
  }

  async step(delta) {
    const to = this.ptr + delta;
    if (to < 0 || to >= this.history.length) return;
    try {
      const r = await api(`/api/plans/${this.history[to]}/restore?base=${this.plan}`, { method: "POST", body: "{}" });
      this.ptr = to;
      await this.arrive(r, false);
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

  render(clearResult = true) {
    const p = this.panel;
    if (!p || this.plan == null) return;
    const plan = this.plans.find((x) => x.id === this.plan) || {};
    const options = (sel) => this.plans.map((x) =>
      `<option value="${x.id}"${x.id === sel ? " selected" : ""}>#${x.id} ${esc(x.name || x.kind)}</option>`).join("");
    const g = this.grids.get(this.selected);
    const row = (k, v) => `<tr><th>${t(k)}</th><td class="n">${v}</td></tr>`;
    const result = p.querySelector("#plan-result");
    const keep = !clearResult && result ? [result.className, result.textContent] : ["", ""];
    const cmp = this.comparison;
    const tq = token ? `?token=${encodeURIComponent(token)}` : ""; // links cannot send a header
    p.innerHTML = `
      <h2>${t("plan")} <span id="plan-id">#${this.plan}</span> ${plan.name ? esc(plan.name) : ""}</h2>
      <div class="row">
        <select id="plan-pick">${options(this.plan)}</select>
        <span>${t("grids")} <b id="plan-grids">${num(plan.grids)}</b> · ${t("households")} <b>${num(plan.households)}</b></span>
      </div>
      <div class="row">
        <button id="undo" ${this.ptr > 0 ? "" : "disabled"}>${t("undo")}</button>
        <button id="redo" ${this.ptr < this.history.length - 1 ? "" : "disabled"}>${t("redo")}</button>
        <input id="save-name" size="10" placeholder="${t("save.placeholder")}">
        <button id="save">${t("save.as")}</button>
      </div>
      <h2>${t("grid")}</h2>
      <div id="grid-table">${g ? `<table>
        ${row("code", esc(g.code))}${row("community", esc(g.community))}${row("households", `<span id="grid-households">${num(g.households)}</span> / ${this.cap}`)}
        ${row("fill", `${esc(g.fill_pct)}%`)}${row("buildings", num(g.buildings))}${row("workers", num(g.workers))}
        ${row("compactness", esc(g.polsby_popper))}${row("reock", esc(g.reock))}${row("area", num(g.area_m2))}
        </table>` : `<p class="muted">${t("hint.grid")}</p>`}</div>
      <div class="row">
        <button id="tool-select" class="${this.tool === "select" ? "on" : ""}">${t("tool.select")}</button>
        <button id="tool-move" ${this.buildings.size ? "" : "disabled"} class="${this.tool === "move" ? "on" : ""}">${t("tool.move")}</button>
        <button id="tool-split" ${g ? "" : "disabled"}>${t("tool.split")}</button>
        <button id="tool-merge" ${g ? "" : "disabled"} class="${this.tool === "merge" ? "on" : ""}">${t("tool.merge")}</button>
      </div>
      <div class="muted">${this.tool ? t(`hint.${this.tool}`) : ""} ${this.buildings.size ? `${t("selected")}: <b id="n-selected">${this.buildings.size}</b>` : ""}</div>
      <div id="plan-result" class="${keep[0]}">${esc(keep[1])}</div>
      <div class="row">
        <button id="lock" ${g ? "" : "disabled"}>${g && this.locks.has(g.code) ? t("unlock") : t("lock")}</button>
        <button id="repartition" ${g ? "" : "disabled"}>${t("repartition")}</button>
      </div>
      <div class="muted">${this.locks.size ? `${t("locked")}: ${[...this.locks].map((c) => esc(c.slice(-3))).join(", ")}` : ""}</div>
      <h2>${t("compare.with")}</h2>
      <div class="row"><select id="cmp-a">${options(this.history[Math.max(0, this.ptr - 1)] ?? this.plan)}</select> →
        <select id="cmp-b">${options(this.plan)}</select> <button id="compare">${t("compare")}</button></div>
      ${cmp ? `<div id="compare-result">${t("compare.changed")}: <b>${cmp.changed_in_b.length}</b> · ${t("moved")}: <b id="cmp-moved">${num(cmp.moved_households)}</b>
        <table><tr><th>${t("address")}</th><th class="n">${t("households")}</th><th>${t("from")}</th><th>${t("to")}</th></tr>
        ${cmp.moves.slice(0, 50).map((m) => `<tr><td>${esc(m.address)}</td><td class="n">${m.households}</td><td>${esc(m.from.slice(-3))}</td><td>${esc(m.to.slice(-3))}</td></tr>`).join("")}
        </table>${cmp.moves.length > 50 ? `<p class="muted">… ${cmp.moves.length - 50}</p>` : ""}</div>` : ""}
      <h2>${t("export")}</h2>
      <div class="row">
        <a href="/api/plans/${this.plan}/export/geojson${tq}" download>GeoJSON</a> ·
        <a href="/api/plans/${this.plan}/export/gpkg${tq}" download>GeoPackage</a> ·
        <a href="/api/plans/${this.plan}/export/shp${tq}" download>Shapefile</a> ·
        <a href="/api/plans/${this.plan}/export/csv${tq}" download>${t("export.csv")}</a>
      </div>
      <label class="row"><input type="checkbox" id="three-d" ${this.threeD ? "checked" : ""}> ${t("three.d")}</label>`;
    const on = (id, f) => { const el = p.querySelector(`#${id}`); if (el) el.onclick = f; };
    p.querySelector("#plan-pick").onchange = async (e) => {
      this.plan = Number(e.target.value);
      this.changed = [];
      this.history = [this.plan];
      this.ptr = 0;
      await this.loadGrids().catch((err) => this.fail(err));
    };
    on("undo", () => this.step(-1));
    on("redo", () => this.step(1));
    on("save", async () => {
      const name = p.querySelector("#save-name").value.trim();
      if (!name) return;
      try {
        await api(`/api/plans/${this.plan}/name`, { method: "PUT", body: JSON.stringify({ name }) });
        await this.loadPlans();
        say(`${t("saved")} #${this.plan}: ${name}`);
        this.render();
      } catch (err) { this.fail(err); }
    });
    on("tool-select", () => { this.tool = this.tool === "select" ? null : "select"; this.render(); });
    on("tool-move", () => { this.tool = "move"; this.render(); });
    on("tool-merge", () => { this.tool = "merge"; this.render(); });
    on("tool-split", () => this.edit({ op: "split", grid: this.selected }));
    on("lock", () => {
      if (this.locks.has(this.selected)) this.locks.delete(this.selected);
      else this.locks.add(this.selected);
      this.paint();
      this.render();
    });
    on("repartition", () => this.repartition());
    on("compare", () => this.compare());
    p.querySelector("#three-d").onchange = (e) => this.set3d(e.target.checked);
  }
}
