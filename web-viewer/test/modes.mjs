// The viewer's planner and street-office modes in Debian's headless Chromium
// (playwright-core), driven by real clicks on the map and the panel:
// - planner: a refused merge shows its reason; a split; a building moved to a neighbouring
//   grid changes the counts; undo brings them back; a comparison lists the move;
// - street office: coverage, siting, a what-if facility dropped on the map raises coverage,
//   the gap table sorts;
// - the zh/en switch; no console error (other than the refused edit's 422), no failed and no
//   non-local request. Screenshots of each mode go to DIR. Prints a JSON summary.
// Usage: node web-viewer/test/modes.mjs BASE_URL DIR
import { launch, watch } from "./chromium.mjs";

const [base, dir] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
// The browser logs every 4xx answer; the refused edit's 422 is expected.
const seen = watch(page, new URL(base).host, /status of 422/);
const { external, failed, errors } = seen;
if (process.env.DEBUG) page.on("console", (m) => console.error("console", m.type(), m.text()));
const out = {};
const step = (name) => { out.step = name; };

// Geometry helpers run in the page: a point inside a (multi)polygon, point in polygon.
const GEO = `
  window.__inside = (geom, [x, y]) => {
    const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.coordinates;
    return polys.some((rings) => rings.reduce((inside, ring) => {
      let c = false;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i], [xj, yj] = ring[j];
        if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
      }
      return inside !== c;
    }, false));
  };
  window.__interior = (geom) => {
    const ring = (geom.type === "Polygon" ? geom.coordinates : geom.coordinates[0])[0];
    const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
    const [w, e, s, n] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    let best = null, score = -1;
    for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
      const p = [w + ((e - w) * i) / 24, s + ((n - s) * j) / 24];
      if (!window.__inside(geom, p)) continue;
      // prefer points with room around them
      let room = 0;
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]])
        if (window.__inside(geom, [p[0] + dx * (e - w) / 12, p[1] + dy * (n - s) / 12])) room += 1;
      if (room > score) { score = room; best = p; }
    }
    return best;
  };`;
// Clicks the map at a lon/lat after centring it there.
async function clickAt(ll) {
  await page.evaluate((ll) => window.__map.jumpTo({ center: ll }), ll);
  await idle();
  const box = await page.locator("#map canvas").boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}
// A point inside grid `code` of the version shown.
const gridPoint = (code) => page.evaluate(async (code) => {
  const fc = await fetch(`/api/plans/${window.__app.modes.planner.plan}/grids`).then((r) => r.json());
  return window.__interior(fc.features.find((f) => f.properties.code === code).geometry);
}, code);
const idle = () => page.waitForFunction(() => window.__map.loaded() && !window.__map.isMoving(), null, { timeout: 60000 });
const planner = (expr) => page.evaluate(`(() => { const P = window.__app.modes.planner; return ${expr}; })()`);

try {
  step("planner loads");
  await page.goto(`${base}/viewer/?mode=planner`);
  await page.waitForFunction(() => window.__app && window.__app.ready && window.__idle, null, { timeout: 90000 });
  const fc = await page.evaluate(() => fetch(`/api/plans/${window.__app.modes.planner.plan}/grids`).then((r) => r.json()));
  // Two grids of one community together over the cap: a merge the server refuses.
  const byCommunity = {};
  for (const f of fc.features) (byCommunity[f.properties.community] ||= []).push(f.properties);
  const [community, grids] = Object.entries(byCommunity).find(([, g]) => g.length >= 3);
  grids.sort((a, b) => b.households - a.households);
  const [A, B] = [grids[0].code, grids[1].code];
  await page.evaluate(GEO);
  await page.evaluate(() => window.__map.jumpTo({ zoom: 16.5 }));

  step("refused merge");
  await clickAt(await gridPoint(A));
  await page.waitForFunction((a) => document.querySelector("#grid-table")?.textContent.includes(a), A);
  await page.click("#tool-merge");
  await clickAt(await gridPoint(B));
  await page.waitForSelector("#plan-result.refused", { timeout: 30000 });
  out.refused = await page.textContent("#plan-result");

  step("split");
  const before = await planner("P.shown");
  await clickAt(await gridPoint(A));
  await page.click("#tool-split");
  await page.waitForFunction((b) => window.__app.modes.planner.shown !== b, before, { timeout: 30000 });
  await idle();
  const halves = await planner("P.changed");
  out.split = { plan: await planner("P.plan"), grids: fc.features.length, after: await planner("P.grids.size"), halves };

  step("move a building");
  const [H1, H2] = halves;
  const h2Before = await planner(`P.grids.get("${H2}").households`);
  // Buildings inside H1 (their first corner), each tried in turn until the server accepts one.
  await clickAt(await gridPoint(H1));
  const candidates = await page.evaluate(async (h1) => {
    const fc = await fetch(`/api/plans/${window.__app.modes.planner.plan}/grids`).then((r) => r.json());
    const g = fc.features.find((f) => f.properties.code === h1).geometry;
    const seen = new Map();
    for (const b of window.__map.querySourceFeatures("wangge", { sourceLayer: "buildings" })) {
      const p = window.__interior(b.geometry);
      if (p && window.__inside(g, p) && !seen.has(b.properties.key)) seen.set(b.properties.key, p);
    }
    return [...seen.entries()];
  }, H1);
  out.candidates = candidates.length;
  let moved = null;
  const target = await gridPoint(H2);
  for (const [key, at] of candidates) {
    await page.click("#tool-select");
    await clickAt(at);
    await page.waitForFunction(() => document.querySelector("#n-selected")?.textContent === "1");
    await page.click("#tool-move");
    const plan = await planner("P.shown");
    await clickAt(target);
    await page.waitForFunction((p) => window.__app.modes.planner.shown !== p || document.querySelector("#plan-result.refused"), plan, { timeout: 30000 });
    if ((await planner("P.shown")) !== plan) { moved = key; break; }
    // Refused: deselect and try the next one.
    await page.click("#tool-select");
    await clickAt(at);
    await page.click("#tool-select");
  }
  await idle();
  out.moved = moved;
  const h2After = await planner(`P.grids.get("${H2}").households`);
  // Its table shows the new count.
  await clickAt(await gridPoint(H2));
  await page.waitForFunction((a) => document.querySelector("#grid-table")?.textContent.includes(a), H2);
  out.counts = { before: h2Before, after: h2After, shown: await page.textContent("#grid-households") };
  await page.evaluate(async (community) => {
    const fc = await fetch(`/api/plans/${window.__app.modes.planner.plan}/grids?community=${community}`).then((r) => r.json());
    const b = new maplibregl.LngLatBounds();
    for (const f of fc.features) for (const poly of f.geometry.coordinates) for (const c of poly[0]) b.extend(c);
    window.__map.fitBounds(b, { padding: 30, duration: 0 });
  }, community);
  await idle();
  await page.screenshot({ path: `${dir}/planner-move.png` });

  step("compare");
  await page.click("#compare");
  await page.waitForSelector("#cmp-moved");
  out.compare_moved = await page.textContent("#cmp-moved");

  step("undo");
  const movedPlan = await planner("P.shown");
  await page.click("#undo");
  await page.waitForFunction((p) => window.__app.modes.planner.shown !== p, movedPlan, { timeout: 30000 });
  await idle();
  out.undo = { households: await planner(`P.grids.get("${H2}").households`), shown: await page.textContent("#grid-households") };

  step("3d");
  await page.check("#three-d");
  await page.waitForTimeout(800);
  await idle();
  await page.screenshot({ path: `${dir}/planner-3d.png` });
  await page.uncheck("#three-d");

  step("street office");
  await page.click("#mode-office");
  await page.waitForSelector("#share", { timeout: 90000 });
  await page.evaluate(() => window.__map.setZoom(13.5));
  await idle();
  out.office = { share: await page.textContent("#share"), covered: await page.textContent("#covered"), completeness: await page.textContent("#completeness") };
  await page.click("#suggest");
  await page.waitForSelector("#siting-table");
  const site = await page.evaluate(() => window.__app.modes.office.siting.sites[0]);
  await page.click("#place");
  await clickAt(site.lonlat);
  await page.waitForSelector("#whatif-after", { timeout: 30000 });
  out.whatif = await page.evaluate(() => window.__app.modes.office.whatif);
  out.whatif_text = await page.textContent("#whatif-result");
  out.site_gain = site.gain;
  await page.click("th[data-sort=uncovered]");
  const col = await page.$$eval("#gap-table tbody tr td:nth-child(3)", (tds) => tds.map((td) => Number(td.textContent.replace(/[^0-9.]/g, ""))));
  out.sorted = col.every((v, i) => i === 0 || v <= col[i - 1]) || col.every((v, i) => i === 0 || v >= col[i - 1]);
  out.gap_rows = col.length;
  await page.evaluate((ll) => window.__map.jumpTo({ center: ll, zoom: 14.6 }), site.lonlat);
  await idle();
  await page.screenshot({ path: `${dir}/office.png` });

  step("language");
  await page.click("#lang");
  out.lang = { nav: await page.textContent("#mode-planner"), heading: await page.textContent("#panel h2") };
  await page.screenshot({ path: `${dir}/office-en.png` });
  await page.click("#lang");
  out.step = "done";
} catch (e) {
  errors.push(`test at ${out.step}: ${e}`);
  out.message = await page.textContent("#message").catch(() => "");
  out.panel = (await page.textContent("#panel").catch(() => "")).slice(0, 400);
  await page.screenshot({ path: `${dir}/failure.png` }).catch(() => {});
}
const mapErrors = await page.evaluate(() => window.__errors).catch(() => []);
errors.push(...mapErrors.map((e) => `map: ${e}`));
await browser.close();
const ok = out.step === "done" && !external.length && !failed.length && !errors.length;
console.log(JSON.stringify({ ok, external, failed, errors, refused_loads: seen.expected, ...out }));
process.exit(ok ? 0 : 1);
