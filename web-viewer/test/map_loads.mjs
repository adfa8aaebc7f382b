// Loads a page of `wangge serve` in Debian's headless Chromium (playwright-core, no
// downloaded browser), waits until the map is idle, and fails on any map or page error and
// on any request to a host other than the server. Prints a JSON summary; saves a screenshot.
// Usage: node web-viewer/test/map_loads.mjs URL SCREENSHOT.png
import { launch, watch } from "./chromium.mjs";

const [url, shot] = process.argv.slice(2);
const server = new URL(url).host;
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const { external, failed, errors } = watch(page, server);
const tiles = [];
const glyphs = [];
page.on("request", (r) => {
  const u = new URL(r.url());
  if (u.pathname.endsWith(".mvt") || u.pathname.startsWith("/heat/")) tiles.push(u.pathname);
  if (u.pathname.startsWith("/fonts/")) glyphs.push(decodeURIComponent(u.pathname));
});
let summary = {};
try {
  await page.goto(url);
  await page.waitForFunction(() => window.__idle === true || window.__errors.length > 0, null, { timeout: 90000 });
  const state = await page.evaluate(() => ({
    errors: window.__errors,
    layers: window.__map.getStyle().layers.length,
    rendered: window.__map.queryRenderedFeatures().length,
    zoom: window.__map.getZoom(),
  }));
  errors.push(...state.errors.map((e) => `map: ${e}`));
  await page.screenshot({ path: shot });
  summary = { ...state, tiles: tiles.length, heat_tiles: tiles.filter((t) => t.startsWith("/heat/")).length, glyphs };
} catch (e) {
  errors.push(`test: ${e}`);
}
await browser.close();
// CJK is drawn by the browser (localIdeographFontFamily): no range from U+2E80 up is asked for.
const cjk = glyphs.filter((g) => Number(g.split("/").pop().split("-")[0]) >= 0x2e80);
if (cjk.length) errors.push(`CJK glyph ranges requested: ${cjk.join(", ")}`);
const ok = external.length === 0 && failed.length === 0 && errors.length === 0 && summary.rendered > 0;
console.log(JSON.stringify({ ok, external, failed, errors, ...summary }));
process.exit(ok ? 0 : 1);
