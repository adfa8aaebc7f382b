// The viewer on a server with access tokens: without one it asks for a token (the basemap
// still draws); a leader's token is refused the planner mode with the reason; an admin's
// token (given once as ?token=) opens it. No request leaves the server's host.
// Usage: node web-viewer/test/token.mjs BASE_URL LEADER_TOKEN ADMIN_TOKEN SCREENSHOT.png
import { launch, watch } from "./chromium.mjs";

const [base, leader, admin, shot] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
// The browser logs the 401 and 403 answers the page is built to handle.
const seen = watch(page, new URL(base).host, /status of 40[13]/);
const out = {};
try {
  await page.goto(`${base}/viewer/?mode=planner`);
  await page.waitForSelector("#token", { timeout: 60000 });
  out.asked = await page.textContent("#panel");
  await page.waitForFunction(() => window.__idle, null, { timeout: 60000 });
  out.basemap = await page.evaluate(() => window.__map.queryRenderedFeatures().length);
  await page.fill("#token", leader);
  await page.click("#token-use");
  await page.waitForSelector("#token", { timeout: 60000 });
  out.leader = await page.textContent("#panel");
  out.leader_message = await page.textContent("#message");
  await page.goto(`${base}/viewer/?mode=planner&token=${admin}`);
  await page.waitForSelector("#grid-table", { timeout: 60000 });
  out.admin_plan = await page.textContent("#plan-id");
  out.stored = await page.evaluate(() => localStorage.getItem("wangge.token") !== null);
  await page.screenshot({ path: shot });
  out.step = "done";
} catch (e) {
  seen.errors.push(`test: ${e}`);
}
await browser.close();
const ok = out.step === "done" && !seen.external.length && !seen.failed.length && !seen.errors.length;
console.log(JSON.stringify({ ok, ...seen, ...out }));
process.exit(ok ? 0 : 1);
