// Does the viewer explain itself? In Debian's headless Chromium at 1920 x 1080, in zh-CN:
// - planner: a legend for the grid layer; a tooltip when hovering a grid (its name and
//   households); a click on a row of the grid list frames and selects the grid, a click on
//   a grid on the map highlights its row; sorting by households (▼) and by community name
//   (pinyin); a split through the panel keeps every other grid's code and households;
// - street office: by grid, its households per grid (compared with the planner's by the
//   test), a legend, a row → map and a map → row link;
// - both modes: no untranslated key and no English word in the interface's own text (data
//   values, the export format names and the OpenStreetMap credit excepted).
// Screenshots of both modes go to DIR. Prints a JSON summary.
// Usage: node web-viewer/test/explain.mjs BASE_URL DIR
import { launch, watch } from "./chromium.mjs";

const [base, dir] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
const seen = watch(page, new URL(base).host);
const out = {};
const step = (s) => { out.step = s; };

// Words allowed in the Chinese interface: formats, method names, the language switch.
const ALLOWED = new Set(["GeoJSON", "GeoPackage", "Shapefile", "CSV", "Polsby-Popper", "Reock", "EN", "Wangge", "OpenStreetMap"]);
/// English words and untranslated keys in the interface's own text (not the data tables).
async function english() {
  return page.evaluate((allowed) => {
    const found = [];
    const roots = [document.querySelector("header"), document.getElementById("panel"), document.getElementById("legend")].filter(Boolean);
    for (const root of roots) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        // Data: table cells and select options name places and plans; codes are digits.
        if (el.closest("td, option, #message")) continue;
        const text = n.textContent;
        for (const w of text.match(/[A-Za-z][A-Za-z-]{1,}/g) || []) if (!allowed.includes(w)) found.push(`${w} (in "${text.trim().slice(0, 40)}")`);
        for (const k of text.match(/\b[a-z]+\.[a-z_.]+\b/g) || []) found.push(`key ${k}`);
      }
      for (const el of root.querySelectorAll("[title], [placeholder]")) {
        for (const v of [el.getAttribute("title"), el.getAttribute("placeholder")]) {
          for (const w of (v || "").match(/[A-Za-z][A-Za-z-]{1,}/g) || []) if (!allowed.includes(w) && !/^wg_/.test(v)) found.push(`${w} (in title "${v.slice(0, 40)}")`);
        }
      }
    }
    return found;
  }, [...ALLOWED]);
}

/// A point inside a feature's geometry, in screen pixels (the map's own projection).
async function screenPointOf(code, layer) {
  return page.evaluate(([code, layer]) => {
    const map = window.__map;
    const fs = map.queryRenderedFeatures({ layers: [layer] }).filter((f) => f.properties.code === code);
    if (!fs.length) return null;
    // Try points of a grid over the feature's box until one hits the feature itself.
    const ring = (fs[0].geometry.type === "Polygon" ? fs[0].geometry.coordinates : fs[0].geometry.coordinates[0])[0];
    const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
    for (let i = 1; i < 16; i++) for (let j = 1; j < 16; j++) {
      const ll = [Math.min(...xs) + (Math.max(...xs) - Math.min(...xs)) * i / 16, Math.min(...ys) + (Math.max(...ys) - Math.min(...ys)) * j / 16];
      const p = map.project(ll);
      const hit = map.queryRenderedFeatures([p.x, p.y], { layers: [layer] })[0];
      if (hit && hit.properties.code === code) return { x: p.x, y: p.y };
    }
    return null;
  }, [code, layer]);
}

/// Turns the mode's 3D view on: what it draws (extrusions, their grid colours), what a click
/// on a building shows; then off again.
async function threeD(mode) {
  await page.click("#three-d");
  await page.waitForFunction(() => window.__map.getPitch() > 40 && !window.__map.isMoving(), null, { timeout: 20000 });
  await page.waitForTimeout(1500);
  const drawn = await page.evaluate(() => {
    const fs = window.__map.queryRenderedFeatures({ layers: ["buildings-3d"] });
    return { buildings: fs.length, colours: [...new Set(fs.map((f) => f.properties.grid_colour))].filter((c) => c != null).length,
      extruded: fs.filter((f) => f.properties.height_m > 0).length,
      legend: [...document.querySelectorAll("#legend .legend-item")].map((e) => e.textContent).filter((x) => /楼栋|层数/.test(x)).length };
  });
  await page.screenshot({ path: `${dir}/${mode}-3d-1920x1080.png` });
  // A click on the building nearest the centre of the map.
  const pt = await page.evaluate(() => {
    const map = window.__map, c = map.getCanvas();
    let best = null;
    for (let r = 0; r < 300 && !best; r += 20) {
      for (const [dx, dy] of [[0, 0], [r, 0], [-r, 0], [0, r], [0, -r]]) {
        const x = c.clientWidth / 2 + dx, y = c.clientHeight / 2 + dy;
        if (map.queryRenderedFeatures([x, y], { layers: ["buildings-3d"] }).length) { best = { x, y }; break; }
      }
    }
    return best;
  });
  let info = null;
  if (pt) {
    const box = await mapBox();
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    await page.waitForSelector("#building-info", { timeout: 10000 });
    info = await page.evaluate(() => ({ text: document.getElementById("building-info").textContent, households: window.__building.households, grid: window.__building.grid }));
    await page.evaluate(() => document.querySelectorAll(".building-popup").forEach((p) => p.remove()));
  }
  await page.click("#three-d");
  await page.waitForFunction(() => window.__map.getPitch() < 1 && !window.__map.isMoving(), null, { timeout: 20000 });
  return { ...drawn, info };
}

const mapBox = async () => page.evaluate(() => { const r = document.getElementById("map").getBoundingClientRect(); return { x: r.x, y: r.y }; });
const tableData = (id) => page.evaluate((id) => [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) => ({
  id: tr.dataset.id, cells: [...tr.children].map((td) => td.textContent), on: tr.classList.contains("on"),
})), id);

try {
  step("planner");
  await page.goto(`${base}/viewer/?mode=planner&lang=zh`);
  await page.waitForFunction(() => window.__app && window.__app.ready && document.querySelector("#grid-list tbody tr") && window.__map.loaded(), null, { timeout: 120000 });
  await page.waitForFunction(() => window.__idle, null, { timeout: 60000 });
  out.planner = {};
  out.planner.legend = await page.evaluate(() => [...document.querySelectorAll("#legend .legend-item")].map((e) => e.textContent));
  const before = await tableData("grid-list");
  out.planner.grids = Object.fromEntries(before.map((r) => [r.id, Number(r.cells[2].replace(/,/g, ""))]));
  // Hover a grid: the tooltip names it with its households.
  const target = before[Math.floor(before.length / 2)].id;
  const box = await mapBox();
  let pt = await screenPointOf(target, "plan-fill");
  if (!pt) throw new Error(`grid ${target} is not on screen`);
  await page.mouse.move(box.x + pt.x, box.y + pt.y);
  await page.waitForSelector(".tip-body", { timeout: 10000 });
  out.planner.tooltip = await page.textContent(".tip-body");
  // Row → map: a click on a row selects the grid (its figures in the panel, the map frames it).
  const rowCode = before[1].id;
  await page.click(`#grid-list tbody tr[data-id="${rowCode}"]`);
  await page.waitForFunction((c) => window.__app.modes.planner.selected === c && document.querySelector("#grid-table td")?.textContent === c, rowCode, { timeout: 10000 });
  await page.waitForFunction(() => window.__idle !== undefined && !window.__map.isMoving(), null, { timeout: 10000 });
  out.planner.row_to_map = { code: rowCode, shown: await page.textContent("#grid-table td"),
    on_screen: await page.evaluate((c) => window.__map.queryRenderedFeatures({ layers: ["plan-fill"] }).some((f) => f.properties.code === c), rowCode) };
  // Map → row: a click on another grid on the map highlights its row.
  const other = before.find((r) => r.id !== rowCode && r.id.slice(0, -3) === rowCode.slice(0, -3)) || before[0];
  await page.waitForTimeout(800);
  pt = await screenPointOf(other.id, "plan-fill");
  if (pt) {
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
    await page.waitForFunction((c) => document.querySelector(`#grid-list tr[data-id="${c}"]`)?.classList.contains("on"), other.id, { timeout: 10000 });
    out.planner.map_to_row = other.id;
  }
  // Sorting: households descending, then community names in pinyin order.
  await page.click('#grid-list th[data-sort="households"]');
  await page.waitForFunction(() => document.querySelector('#grid-list th[data-sort="households"]').classList.contains("desc"), null, { timeout: 5000 });
  const byHouseholds = (await tableData("grid-list")).map((r) => Number(r.cells[2].replace(/,/g, "")));
  out.planner.sorted_households = byHouseholds.every((v, i) => i === 0 || byHouseholds[i - 1] >= v);
  out.planner.arrow = await page.textContent('#grid-list th[data-sort="households"] .arrow');
  await page.click('#grid-list th[data-sort="community_name"]');
  await page.waitForFunction(() => document.querySelector('#grid-list th[data-sort="community_name"]').classList.contains("asc"), null, { timeout: 5000 });
  const names = (await tableData("grid-list")).map((r) => r.cells[1]);
  out.planner.pinyin = await page.evaluate((names) => {
    const c = new Intl.Collator("zh-CN");
    return names.every((n, i) => i === 0 || c.compare(names[i - 1], n) <= 0);
  }, names);
  out.planner.english = await english();
  await page.screenshot({ path: `${dir}/planner-1920x1080.png` });

  // 3D: extruded buildings coloured by grid; a click names a building's grid and households.
  out.planner.three_d = await threeD("planner");

  // A split: every other grid keeps its code and households.
  step("split");
  const fullest = before.slice().sort((a, b) => Number(b.cells[2].replace(/,/g, "")) - Number(a.cells[2].replace(/,/g, "")))[0].id;
  await page.click(`#grid-list tbody tr[data-id="${fullest}"]`);
  await page.waitForFunction((c) => window.__app.modes.planner.selected === c, fullest, { timeout: 10000 });
  const plan = await page.evaluate(() => window.__app.modes.planner.plan);
  await page.click("#tool-split");
  await page.waitForFunction((p) => { const m = window.__app.modes.planner; return m.plan !== p && m.shown === m.plan; }, plan, { timeout: 60000 });
  const after = Object.fromEntries((await tableData("grid-list")).map((r) => [r.id, Number(r.cells[2].replace(/,/g, ""))]));
  const changedCodes = Object.keys(out.planner.grids).filter((c) => c !== fullest && after[c] !== out.planner.grids[c]);
  out.split = { grid: fullest, kept: changedCodes.length === 0, changed: changedCodes,
    new: Object.keys(after).filter((c) => !(c in out.planner.grids)), still: fullest in after };
  out.planner.grids_after_split = after;

  step("office");
  await page.click("#mode-office");
  await page.waitForSelector("#gap-table tbody tr", { timeout: 120000 });
  await page.click("#by-grid");
  await page.waitForFunction(() => document.querySelectorAll("#gap-table tbody tr").length > 3, null, { timeout: 30000 });
  await page.waitForFunction(() => !window.__map.isMoving() && window.__map.loaded(), null, { timeout: 30000 });
  out.office = {};
  const orows = await tableData("gap-table");
  out.office.grids = Object.fromEntries(orows.map((r) => [r.id, Number(r.cells[1].replace(/,/g, ""))]));
  out.office.legend = await page.evaluate(() => [...document.querySelectorAll("#legend .legend-item")].map((e) => e.textContent));
  // Row → map: the chosen grid outlined on the map.
  const ocode = orows[0].id;
  await page.click(`#gap-table tbody tr[data-id="${ocode}"]`);
  await page.waitForFunction((c) => JSON.stringify(window.__map.getFilter("office-chosen-grid")).includes(c), ocode, { timeout: 10000 });
  out.office.row_to_map = ocode;
  // Map → row: a click on a grid on the map highlights its row.
  await page.waitForFunction(() => !window.__map.isMoving(), null, { timeout: 10000 });
  await page.waitForTimeout(800);
  const o2 = orows.find((r) => r.id !== ocode && r.id.slice(0, -3) === ocode.slice(0, -3)) || orows[1];
  const p2 = await screenPointOf(o2.id, "grids-fill");
  if (p2) {
    await page.mouse.click(box.x + p2.x, box.y + p2.y);
    await page.waitForFunction((c) => document.querySelector(`#gap-table tr[data-id="${c}"]`)?.classList.contains("on"), o2.id, { timeout: 10000 });
    out.office.map_to_row = o2.id;
  }
  await page.click("#by-community");
  await page.waitForSelector("#gap-table tbody tr", { timeout: 30000 });
  out.office.three_d = await threeD("office");
  out.office.english = await english();
  out.office.definitions = await page.evaluate(() => ["#share", "#completeness"].map((s) => document.querySelector(s)?.closest("[title]")?.getAttribute("title") || null));
  await page.screenshot({ path: `${dir}/office-1920x1080.png` });
  step("done");
} catch (e) {
  out.error = String(e);
  await page.screenshot({ path: `${dir}/explain-failure.png` }).catch(() => {});
}
await browser.close();
const ok = out.step === "done" && seen.errors.length === 0 && seen.external.length === 0 && seen.failed.length === 0;
console.log(JSON.stringify({ ok, ...out, external: seen.external, failed: seen.failed, errors: seen.errors }));
process.exit(ok ? 0 : 1);
