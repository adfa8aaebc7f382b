// Two planners on one version: the page shows version N, another planner's edit of N lands
// first (through the API, as a second browser would), then this page splits a grid of N. The
// page must say that its version is no longer current, save nothing, and offer the current
// version; a click on the offer shows it. Prints a JSON summary.
// Usage: node web-viewer/test/stale.mjs BASE_URL
import { launch, watch } from "./chromium.mjs";

const [base] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
// The browser logs the refused edit's 409.
const seen = watch(page, new URL(base).host, /status of 409/);
const out = {};
const step = (s) => { out.step = s; };
try {
  step("planner");
  await page.goto(`${base}/viewer/?mode=planner`);
  await page.waitForFunction(() => window.__app && window.__app.ready && window.__idle, null, { timeout: 90000 });
  const shown = await page.evaluate(() => window.__app.modes.planner.plan);
  // Two grids that split: the most buildings first.
  const grids = await page.evaluate(async (p) => {
    const fc = await fetch(`/api/plans/${p}/grids`).then((r) => r.json());
    return fc.features.map((f) => f.properties).sort((a, b) => b.buildings - a.buildings).slice(0, 2).map((g) => g.code);
  }, shown);
  step("the other planner");
  const other = await page.evaluate(async ([p, g]) => {
    const r = await fetch(`/api/plans/${p}/edits`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ op: "split", grid: g }) });
    return { status: r.status, plan: (await r.json()).plan };
  }, [shown, grids[0]]);
  out.other = other;
  step("this planner's split");
  await page.evaluate((g) => { const P = window.__app.modes.planner; P.selected = g; P.render(); }, grids[1]);
  await page.click("#tool-split");
  await page.waitForSelector("#plan-result.refused #plan-reload", { timeout: 30000 });
  out.message = await page.textContent("#plan-result");
  out.plans = await page.evaluate(() => fetch("/api/plans").then((r) => r.json()).then((a) => a.plans.length));
  step("reload");
  await page.click("#plan-reload");
  await page.waitForFunction((c) => window.__app.modes.planner.plan === c, other.plan, { timeout: 30000 });
  out.shown_after = await page.evaluate(() => window.__app.modes.planner.plan);
  out.shown_before = shown;
  out.step = "done";
} catch (e) {
  out.error = String(e);
}
await browser.close();
console.log(JSON.stringify({ ...out, expected: seen.expected, external: seen.external, failed: seen.failed, errors: seen.errors }));
