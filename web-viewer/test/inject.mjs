// Markup in the data stays text: a community whose key and name are HTML with an onerror
// handler. The planner (a click on one of its grids), the street office (the gap table by
// community) and the wall (the busiest grids) must show the markup literally, create no
// element from it and run none of it (`window.__xss` counts runs). Prints a JSON summary.
// Usage: node web-viewer/test/inject.mjs BASE_URL KEY NAME
import { launch, watch } from "./chromium.mjs";

const [base, key, name] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const seen = watch(page, new URL(base).host);
await page.addInitScript(() => { window.__xss = 0; });
const out = {};
const step = (s) => { out.step = s; };
// Elements the payloads would create (an <img>, a <b>) inside the panels.
const made = (sel) => page.evaluate((sel) => document.querySelectorAll(`${sel} img, ${sel} b[onmouseover], ${sel} script`).length, sel);
const idle = () => page.waitForFunction(() => window.__map.loaded() && !window.__map.isMoving(), null, { timeout: 60000 });

try {
  step("planner");
  await page.goto(`${base}/viewer/?mode=planner`);
  await page.waitForFunction(() => window.__app && window.__app.ready && window.__idle, null, { timeout: 90000 });
  // A grid of the community: click inside it (a point found in the page).
  const at = await page.evaluate(async (key) => {
    const fc = await fetch(`/api/plans/${window.__app.modes.planner.plan}/grids`).then((r) => r.json());
    const mine = fc.features.filter((x) => x.properties.community === key);
    if (!mine.length) return { missing: [window.__app.modes.planner.plan, [...new Set(fc.features.map((x) => x.properties.community))]] };
    for (const f of mine) {
      const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const inside = ([x, y]) => {
        let c = false;
        for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          const [xi, yi] = ring[i], [xj, yj] = ring[j];
          if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
        }
        return c;
      };
      const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
      for (let i = 1; i < 30; i++) for (let j = 1; j < 30; j++) {
        const p = [Math.min(...xs) + ((Math.max(...xs) - Math.min(...xs)) * i) / 30,
          Math.min(...ys) + ((Math.max(...ys) - Math.min(...ys)) * j) / 30];
        if (inside(p)) return { p, code: f.properties.code };
      }
    }
    return null;
  }, key);
  if (!at || at.missing) throw new Error(`no grid of the community in the plan: ${JSON.stringify(at)} key ${key}`);
  out.code = at.code;
  await page.evaluate((p) => window.__map.jumpTo({ center: p, zoom: 17 }), at.p);
  await idle();
  const box = await page.locator("#map canvas").boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction((c) => document.querySelector("#grid-table")?.textContent.includes(c), at.code, { timeout: 30000 });
  out.planner = { text: await page.textContent("#grid-table"), made: await made("#panel") };

  step("office");
  await page.goto(`${base}/viewer/?mode=office`);
  await page.waitForFunction(() => window.__app && window.__app.ready && document.querySelector("#gap-table"), null, { timeout: 90000 });
  await page.click("#by-community");
  await page.waitForFunction(() => document.querySelector("#gap-table tbody tr"), null, { timeout: 30000 });
  out.office = { text: await page.textContent("#gap-table"), made: await made("#panel") };

  step("wall");
  await page.goto(`${base}/wall`);
  await page.waitForFunction(() => window.__wall && window.__wall.summaries > 0, null, { timeout: 90000 });
  await page.waitForFunction(() => document.querySelector("#grids li"), null, { timeout: 30000 });
  out.wall = { grids: await page.textContent("#grids"), made: await made("#panel") };
  out.xss = await page.evaluate(() => window.__xss);
  out.step = "done";
} catch (e) {
  out.error = String(e);
}
await browser.close();
console.log(JSON.stringify({ ...out, external: seen.external, failed: seen.failed, errors: seen.errors }));
