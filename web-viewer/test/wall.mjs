// The wall screen at 3840 x 2160 (1920 x 1080 CSS pixels at device pixel ratio 2) in Debian's
// headless Chromium: it must load with no error and no request to another host, draw at the
// native resolution (canvas 3840 x 2160, @2x heat tiles, no CSS scaling), and update after an
// incident is POSTed (the SSE event arrives, the heat tiles are fetched again, the figures
// change). Prints a JSON summary; saves a screenshot.
// With a fifth argument `restart`, it then prints RESTART_ME, waits for a line on stdin (the
// test restarts the server on the same port) and checks that the page recovers by itself:
// the event stream reconnects and a new incident shows.
// Usage: node web-viewer/test/wall.mjs BASE_URL SCREENSHOT.png LON LAT [restart]
import { launch } from "./chromium.mjs";
import readline from "node:readline";

const [base, shot, lon, lat, mode] = process.argv.slice(2);
// With tokens in use: the wall's read-only leader token, and an admin token to report with.
const { WALL_TOKEN, ADMIN_TOKEN } = process.env;
const server = new URL(base).host;
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 2 });
const external = [], failed = [], errors = [], heat = [];
let restarting = false; // requests failing while the server is down are expected
page.on("request", (r) => {
  const u = new URL(r.url());
  if (["data:", "blob:"].includes(u.protocol)) return;
  if (u.host !== server) external.push(r.url());
  if (u.pathname.startsWith("/heat/")) heat.push({ path: u.pathname, t: Date.now() });
});
page.on("requestfailed", (r) => {
  // The event stream is closed when the page goes away; that is not a failure.
  if (!restarting && !r.url().includes("/api/incidents/stream")) failed.push(`${r.url()}: ${r.failure()?.errorText}`);
});
page.on("pageerror", (e) => errors.push(`page: ${e}`));
page.on("console", (m) => { if (m.type() === "error" && !restarting) errors.push(`console: ${m.text()}`); });
let summary = {};
try {
  await page.goto(`${base}/wall?rotate=3600${WALL_TOKEN ? `&token=${WALL_TOKEN}` : ""}`);
  await page.waitForFunction(() => window.__wall.idle && window.__wall.summaries > 0 && window.__wall.onTimeLoaded, null, { timeout: 180000 })
    .catch(async (e) => {
      const w = await page.evaluate(() => ({ idle: window.__wall.idle, summaries: window.__wall.summaries, onTimeLoaded: !!window.__wall.onTimeLoaded, errors: window.__wall.errors }));
      throw new Error(`${e.message}; the page had ${JSON.stringify(w)}`);
    });
  const before = await page.evaluate(() => ({
    canvas: [window.__map.getCanvas().width, window.__map.getCanvas().height],
    css: [window.__map.getCanvas().clientWidth, window.__map.getCanvas().clientHeight],
    today: window.__wall.today,
    on_time: window.__wall.onTime,
    on_time_shown: document.getElementById("ontime").textContent,
    shown: window.__wall.shown,
    handlers: window.__wall.handlers,
    handler_lists: Object.fromEntries(["departments", "workers"].map((id) =>
      [id, [...document.querySelectorAll(`#${id} li`)].map((li) => [li.firstChild.textContent, li.querySelector(".n") && li.querySelector(".n").textContent])])),
    kpi_month: document.getElementById("kpi-month").textContent,
    data_note: document.getElementById("data-note").textContent,
    clock: document.getElementById("clock").textContent,
    // What the clock should say: Beijing time now (the page's own clock may be a minute old).
    beijing: [0, -60000].map((d) => new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(Date.now() + d))),
    lists: Object.fromEntries(["grids", "cats", "rank-rate", "rank-overdue", "latest", "departments", "workers"].map((id) =>
      [id, [...document.querySelectorAll(`#${id} li`)].map((li) => li.textContent)])),
    counts: [...document.querySelectorAll("#grids li .n, #cats li .n")].map((n) => Number(n.textContent.replace(/,/g, ""))),
    transform: getComputedStyle(document.body).transform,
    // The interface's own words in zh-CN (data, i.e. list items and names, excepted).
    english_in_zh: [...document.querySelectorAll("h1, h2, .kpi span, .kpi i, #windows button, #legend-title, #clock, #data-note, #live > span, #crumbs button:first-child")]
      .flatMap((e) => (e.textContent.match(/[A-Za-z]{2,}/g) || []).map((w) => `${w} in "${e.textContent.trim().slice(0, 30)}"`)),
  }));
  // Drill down: a click on the first street of the ranking shows its communities.
  const firstStreet = await page.$("#rank-rate li");
  if (firstStreet) {
    await firstStreet.click();
    await page.waitForFunction(() => window.__wall.shown && window.__wall.shown.area !== "district", null, { timeout: 30000 });
    // The trend follows the drill-down: the street's months from /api/kpi/trend?by=street.
    await page.waitForFunction(() => window.__wall.trendArea === window.__wall.shown.area, null, { timeout: 30000 });
    before.drilled = await page.evaluate(() => ({ shown: window.__wall.shown, crumbs: document.getElementById("crumbs").textContent,
      communities: [...document.querySelectorAll("#rank-rate li")].map((li) => li.dataset.key),
      handlers: window.__wall.handlers,
      trend_area: window.__wall.trendArea,
      trend_bars: [...document.querySelectorAll("#trend rect title")].map((t) => t.textContent) }));
    await page.click("#crumbs button");
    await page.waitForFunction(() => window.__wall.shown.area === "district", null, { timeout: 30000 });
  }
  const heatBefore = heat.length;
  const posted = Date.now();
  const body = JSON.stringify([{ id: `wall-${posted}`, category: "noise", source: "hotline", lon: Number(lon), lat: Number(lat) },
                               { id: `wall-${posted}-b`, category: "noise", source: "hotline", lon: Number(lon), lat: Number(lat) },
                               { id: `wall-${posted}-c`, category: "noise", source: "hotline", lon: Number(lon), lat: Number(lat) }]);
  const r = await fetch(`${base}/api/incidents`, { method: "POST", headers: { "Content-Type": "application/json", ...(ADMIN_TOKEN ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : {}) }, body });
  if (r.status !== 201) errors.push(`POST answered ${r.status}: ${await r.text()}`);
  await page.waitForFunction((t) => window.__wall.events >= 3 && window.__wall.heatRefreshes > 0 && window.__wall.today >= t + 3,
                             before.today, { timeout: 30000 });
  const updated = Date.now();
  await page.waitForFunction(() => window.__wall.idle, null, { timeout: 60000 });
  const after = await page.evaluate(() => ({ events: window.__wall.events, today: window.__wall.today, errors: window.__wall.errors }));
  errors.push(...after.errors.map((e) => `map: ${e}`));
  await page.screenshot({ path: shot });
  summary = {
    ...before, today_after: after.today, events: after.events,
    heat_before: heatBefore, heat_after: heat.length - heatBefore,
    heat_2x: heat.filter((h) => h.path.endsWith("@2x.png")).length,
    // Event received, heat tiles asked for again and figures updated; then drawn (software
    // rendering of a 4K canvas is slow on a busy machine).
    seconds_to_update: (updated - posted) / 1000,
    seconds_to_drawn: (Date.now() - posted) / 1000,
  };
  // In English: the interface's own words, none in Chinese (names are data and stay).
  const en = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await en.goto(`${base}/wall?lang=en&rotate=0${WALL_TOKEN ? `&token=${WALL_TOKEN}` : ""}`);
  await en.waitForFunction(() => window.__wall.summaries > 0 && window.__wall.onTimeLoaded, null, { timeout: 120000 });
  summary.english = await en.evaluate(() => {
    const ui = [...document.querySelectorAll("h1, h2, .kpi span, .kpi i, #windows button, #legend-title, #clock, #data-note, #live > span, #crumbs button:first-child")];
    const texts = ui.map((e) => e.textContent.trim()).filter(Boolean);
    return { lang: document.documentElement.lang, texts, chinese: texts.filter((s) => /[\u3400-\u9fff]/.test(s)) };
  });
  await en.close();
  if (mode === "restart") {
    const rl = readline.createInterface({ input: process.stdin });
    restarting = true;
    console.log("RESTART_ME");
    await new Promise((resolve) => rl.once("line", resolve));
    rl.close();
    const seen = await page.evaluate(() => window.__wall.events);
    // The stream reconnects by itself; then a new incident must reach the page.
    await page.waitForFunction(() => window.__wall.reconnects > 0, null, { timeout: 60000 });
    restarting = false;
    const id = `wall-after-restart-${Date.now()}`;
    const r2 = await fetch(`${base}/api/incidents`, { method: "POST", headers: { "Content-Type": "application/json", ...(ADMIN_TOKEN ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : {}) },
      body: JSON.stringify({ id, category: "noise", lon: Number(lon), lat: Number(lat) }) });
    if (r2.status !== 201) errors.push(`POST after restart answered ${r2.status}`);
    await page.waitForFunction((n) => window.__wall.events > n, seen, { timeout: 30000 });
    summary.recovered = true;
  }
} catch (e) {
  errors.push(`test: ${e}`);
}
await browser.close();
const ok = external.length === 0 && failed.length === 0 && errors.length === 0 && summary.heat_after > 0;
console.log(JSON.stringify({ ok, external, failed, errors, ...summary }));
process.exit(ok ? 0 : 1);
