// Street-office mode: a facility category and 5/10/15 minutes; the service area, the
// uncovered households as gap areas and a sortable table per community or grid with coverage
// and the life-circle completeness rate; k siting suggestions with their marginal gains; and
// what-if: click the map to drop facilities and see coverage change.
import { t, num, category } from "./i18n.js";
import { api, show, setData, say, esc, EMPTY } from "./util.js";

const OWN = ["reach-area", "reach-area-line", "reach-gaps", "reach-gaps-line", "siting", "siting-label", "whatif"];

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
    this.onClick = (e) => this.click(e);
  }

  layers() {
    const map = this.map;
    if (map.getLayer("reach-area")) return;
    for (const id of ["reach-area", "reach-gaps", "siting", "whatif"]) setData(map, id, EMPTY);
    const below = map.getLayer("buildings-3d") ? "buildings-3d" : undefined;
    map.addLayer({ id: "reach-area", type: "fill", source: "reach-area", paint: { "fill-color": "#2166ac", "fill-opacity": 0.18 } }, below);
    map.addLayer({ id: "reach-area-line", type: "line", source: "reach-area", paint: { "line-color": "#2166ac", "line-width": 1 } }, below);
    map.addLayer({ id: "reach-gaps", type: "fill", source: "reach-gaps", paint: { "fill-color": "#d6604d", "fill-opacity": 0.35 } }, below);
    map.addLayer({ id: "reach-gaps-line", type: "line", source: "reach-gaps", paint: { "line-color": "#b2182b", "line-width": 1.5 } }, below);
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
    show(this.map, ["grids-fill"], false);
    this.map.on("click", this.onClick);
    panel.innerHTML = `<p class="muted">${t("loading")}</p>`;
    if (!this.catalogue) {
      this.catalogue = await api("/api/reach");
      const withFacilities = this.catalogue.categories.filter((c) => c.facilities > 0).map((c) => c.code);
      this.category = withFacilities.includes("kindergarten") ? "kindergarten" : withFacilities[0] || this.catalogue.categories[0].code;
    }
    await this.refresh();
  }

  leave() {
    this.map.off("click", this.onClick);
    show(this.map, OWN, false);
    show(this.map, ["grids-fill"], true);
    if (this.map.getLayer("facilities")) this.map.setFilter("facilities", null);
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
      if (this.map.getLayer("facilities")) this.map.setFilter("facilities", ["==", ["get", "category"], this.category]);
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
    if (!this.placing) return;
    this.added.push([e.lngLat.lng, e.lngLat.lat]);
    await this.runWhatIf();
    this.render();
  }

  async runWhatIf() {
    setData(this.map, "whatif", { type: "FeatureCollection", features: this.added.map((c) => ({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: {} })) });
    if (!this.added.length) {
      this.whatif = null;
      return;
    }
    try {
      this.whatif = await api("/api/reach/what-if", { method: "POST", body: JSON.stringify({ category: this.category, minutes: this.minutes, add: this.added }) });
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
    const rows = (this.by === "community" ? c.communities : c.grids).map((r) => ({ ...r, label: r.name || r.code }));
    const { key, desc } = this.sort;
    rows.sort((a, b) => {
      const x = a[key], y = b[key];
      const cmp = typeof x === "string" ? String(x).localeCompare(String(y)) : (x ?? -1) - (y ?? -1);
      return desc ? -cmp : cmp;
    });
    return rows;
  }

  render() {
    const p = this.panel;
    if (!p || !this.catalogue) return;
    const c = this.coverage;
    const w = this.whatif;
    const cats = this.catalogue.categories.map((x) =>
      `<option value="${esc(x.code)}"${x.code === this.category ? " selected" : ""}>${esc(category(x.code))} (${esc(x.facilities)})</option>`).join("");
    const head = (key, label, n = true) => `<th data-sort="${key}" class="${n ? "n" : ""}">${t(label)}</th>`;
    // A category the workspace has no data for shows "no data", never 0% (API `data`, `warnings`).
    const nodata = c && c.data === false;
    const pct = (v) => (v == null ? (nodata ? t("no.data") : "–") : `${v}%`);
    const warnings = c && c.warnings && c.warnings.length
      ? `<div id="warnings" class="warn">${c.warnings.map((x) => `<div>⚠ ${esc(x.message)}</div>`).join("")}</div>` : "";
    const notJudged = c && c.not_judged && c.not_judged.length
      ? ` <span class="muted" id="not-judged">${t("not.judged")}: ${c.not_judged.map((x) => esc(category(x))).join(", ")}</span>` : "";
    p.innerHTML = `
      <h2>${t("category")}</h2>
      <div class="row"><select id="category">${cats}</select></div>
      <h2>${t("minutes")}</h2>
      <div class="row">${[5, 10, 15].map((m) => `<label><input type="radio" name="minutes" value="${m}" ${m === this.minutes ? "checked" : ""}> ${m} ${t("min")}</label>`).join(" ")}</div>
      ${c ? `<div class="row"><span class="big" id="share">${pct(c.share)}</span>
        <span>${t("covered")} <b id="covered">${num(c.covered)}</b> / ${num(c.households)} · ${t("facilities")} ${c.facilities}</span></div>
        <div>${t("completeness")} (${c.circle ?? "–"}): <b id="completeness">${pct(c.completeness)}</b>${notJudged}</div>${warnings}` : ""}
      <h2>${t("gaps")} <span class="muted">${this.gaps ? this.gaps.features.length : 0}</span></h2>
      <div class="row"><button id="by-community" class="${this.by === "community" ? "on" : ""}">${t("by.community")}</button>
        <button id="by-grid" class="${this.by === "grid" ? "on" : ""}">${t("by.grid")}</button></div>
      <div class="wrap"><table id="gap-table"><thead><tr>${head("label", this.by === "community" ? "community" : "grid", false)}${head("households", "households")}${head("uncovered", "uncovered")}${head("share", "share")}${this.by === "community" ? head("completeness", "completeness.short") : ""}</tr></thead>
      <tbody>${this.rows().map((r) => `<tr><td>${esc(r.label)}</td><td class="n">${num(r.households)}</td><td class="n">${num(r.uncovered)}</td><td class="n">${pct(r.share)}</td>${this.by === "community" ? `<td class="n">${pct(r.completeness)}</td>` : ""}</tr>`).join("")}</tbody></table></div>
      <h2>${t("siting")}</h2>
      <div class="row">${t("k")} <input id="k" type="number" min="1" max="20" value="${this.siting ? this.siting.sites.length : 3}" style="width:4em"> <button id="suggest">${t("suggest")}</button></div>
      ${this.siting ? `<table id="siting-table"><tr><th>#</th><th class="n">${t("gain")}</th></tr>${this.siting.sites.map((s) => `<tr><td>${s.rank}</td><td class="n">+${num(s.gain)}</td></tr>`).join("")}</table>
        <div>${t("share")}: ${pct(this.siting.share_before)} → <b>${pct(this.siting.share_after)}</b></div>` : ""}
      <h2>${t("whatif")}</h2>
      <div class="row"><button id="place" class="${this.placing ? "on" : ""}">${t("whatif.hint")}</button> <button id="clear">${t("clear")}</button></div>
      ${w ? `<div id="whatif-result">${t("before.after")}: ${pct(w.share_before)} → <b id="whatif-after">${pct(w.share_after)}</b> (${w.change >= 0 ? "+" : ""}${num(w.change)} ${t("hh")})</div>` : ""}`;
    p.querySelector("#category").onchange = (e) => { this.category = e.target.value; this.added = []; this.refresh(); };
    for (const r of p.querySelectorAll("input[name=minutes]")) r.onchange = () => { this.minutes = Number(r.value); this.refresh(); };
    p.querySelector("#by-community").onclick = () => { this.by = "community"; this.render(); };
    p.querySelector("#by-grid").onclick = () => { this.by = "grid"; this.render(); };
    for (const th of p.querySelectorAll("th[data-sort]")) {
      th.onclick = () => {
        const key = th.dataset.sort;
        this.sort = { key, desc: this.sort.key === key ? !this.sort.desc : key !== "label" };
        this.render();
      };
    }
    p.querySelector("#suggest").onclick = () => this.suggest();
    p.querySelector("#place").onclick = () => { this.placing = !this.placing; this.map.getCanvas().style.cursor = this.placing ? "crosshair" : ""; this.render(); };
    p.querySelector("#clear").onclick = async () => { this.added = []; await this.runWhatIf(); this.render(); };
  }
}
