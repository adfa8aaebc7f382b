// The case desk (案件调度台) in Debian's headless Chromium at 1280 x 800, with a street
// office's token: the queue loads most urgent first (deadline order) and the map goes idle;
// the first case to dispatch is dispatched to a section of the street with a 24-hour limit
// and becomes 处置中; it is supervised (督办); an assignment of 100000 hours is refused and
// the server's reason is shown; with a grid worker's token and grid, a new report POSTed
// from here appears in the open page by the event stream (no reload); a step the page asks
// for after the case moved elsewhere (its event not yet arrived) is refused and worded in
// Chinese, and the page then shows the case as it is. Screenshots in zh-CN
// and English. No request may leave the server's host; no failed request, no page error
// (the browser's console lines for the expected 4xx refusal are counted apart).
// Prints one JSON line last; exits 0 when all went well.
// Usage: node web-viewer/test/desk.mjs BASE_URL OFFICE_TOKEN SCREENSHOT_DIR [PATH [WORKER_TOKEN GRID]]
//   PATH defaults to /desk (the page is also at /viewer/desk.html).
import { launch, watch } from "./chromium.mjs";

const [base, office, dir, path = "/desk", workerToken, workerGrid] = process.argv.slice(2);
if (!base || !office || !dir) {
  console.error("usage: node desk.mjs BASE_URL OFFICE_TOKEN SCREENSHOT_DIR [PATH [WORKER_TOKEN GRID]]");
  process.exit(2);
}
const server = new URL(base).host;
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
// The refused assignment's 409 (and any 4xx the page is built to show) is logged by the browser.
const seen = watch(page, server, /status of 40[0-9]/);
if (process.env.DEBUG) page.on("console", (m) => console.error("console", m.type(), m.text()));
const out = { rows: null, first_urgency: null, ordered: null, dispatched_id: null, dispatched: false,
  supervised: false, refused_message: null, live_ms: null };
const step = (name) => { out.step = name; };
const url = (extra = "") => `${base}${path}?token=${encodeURIComponent(office)}${extra}`;
const desk = () => page.evaluate(() => window.__desk);
const caseOf = (id) => page.evaluate((id) => window.__desk.cases.find((c) => c.id === id) || null, id);
const mapSettled = (p) => p.waitForFunction(() => window.__map && window.__map.loaded() && !window.__map.isMoving() && window.__map.areTilesLoaded(),
  null, { timeout: 60000 });
/// The page's own words (headings, labels, table heads, buttons, options): no CJK in English.
const uiTexts = (p) => p.evaluate(() => [...document.querySelectorAll(
  "h1, h2:not(#detail-id), h3, th, label > span, button, #count, #f-status option, #assign-worker option:first-child, #eval-select option, #step-select option, .status, .facts dt, #live")]
  .map((e) => e.textContent.trim()).filter(Boolean));

try {
  // 1. The queue and the map.
  step("load");
  await page.goto(url());
  await page.waitForFunction(() => window.__desk && window.__desk.loaded >= 1, null, { timeout: 60000 });
  await page.waitForFunction(() => window.__idle, null, { timeout: 120000 });
  const first = await page.evaluate(() => {
    const rows = [...document.querySelectorAll("#queue-body tr[data-id]")];
    const cases = window.__desk.cases;
    const deadlines = cases.map((c) => Date.parse(c.deadline));
    return {
      rows: rows.length, cases: cases.length, count: window.__desk.count,
      first_urgency: rows[0] ? ["overdue", "due_soon", "on_track"].find((u) => rows[0].classList.contains(`urgency-${u}`)) || null : null,
      ordered: deadlines.every((d, i) => i === 0 || deadlines[i - 1] <= d),
      dom_order: rows.every((r, i) => r.dataset.id === cases[i].id),
      classed: rows.every((r) => /\burgency-(overdue|due_soon|on_track)\b/.test(r.className)),
      statuses: cases.reduce((m, c) => ({ ...m, [c.status]: (m[c.status] || 0) + 1 }), {}),
      title: document.title,
    };
  });
  Object.assign(out, { rows: first.rows, first_urgency: first.first_urgency, ordered: first.ordered && first.dom_order && first.classed,
    count: first.count, statuses: first.statuses, title: first.title });
  if (!first.rows) throw new Error("the queue is empty");

  // 2. Dispatch the first case waiting for it to the street's own section, 24 hours.
  step("dispatch");
  const target = await page.evaluate(() => (window.__desk.cases.find((c) => c.status === "reported") || {}).id || null);
  if (!target) throw new Error("no case to dispatch (status reported) in the queue");
  out.dispatched_id = target;
  await page.click(`#queue-body tr[data-id="${target.replace(/["\\]/g, "\\$&")}"]`);
  await page.waitForFunction((id) => window.__desk.selected === id && document.getElementById("detail-id")?.textContent === id
    && document.getElementById("assign-go"), target, { timeout: 30000 });
  out.button = await page.textContent("#assign-go");
  const department = await page.evaluate(() => {
    const opts = [...document.querySelectorAll("#assign-department option")];
    return (opts.find((o) => o.dataset.street) || opts[0] || {}).value || null;
  });
  if (!department) throw new Error("no department to dispatch to");
  out.department = department;
  await page.selectOption("#assign-department", department);
  await page.fill("#assign-hours", "24");
  await page.click("#assign-go");
  const dispatchedOrRefused = (id) => page.waitForFunction((id) => {
    const c = window.__desk.cases.find((x) => x.id === id);
    const m = document.getElementById("desk-message");
    return (c && c.status === "dispatched") || (m.classList.contains("error") && m.textContent) ? true : false;
  }, id, { timeout: 30000 });
  await dispatchedOrRefused(target);
  let c = await caseOf(target);
  if (!(c && c.status === "dispatched")) {
    // The category's own limit may be under 24 hours (an emergency's is 4): its default then.
    out.hours_refused = await page.textContent("#desk-message");
    await page.fill("#assign-hours", "");
    await page.click("#assign-go");
    await page.waitForFunction((id) => (window.__desk.cases.find((x) => x.id === id) || {}).status === "dispatched", target, { timeout: 30000 });
    c = await caseOf(target);
  }
  out.dispatched = !!(c && c.status === "dispatched" && c.assignment && c.assignment.department === department);
  out.assignment = c && c.assignment;
  out.row_status = await page.textContent(`#queue-body tr[data-id="${target}"] .status`);
  out.dispatch_message = await page.textContent("#desk-message");

  // 3. Supervise it.
  step("supervise");
  await page.waitForFunction(() => document.getElementById("supervise-go") && !document.getElementById("supervise-go").disabled, null, { timeout: 30000 });
  await page.fill("#supervise-reason", "请尽快处置");
  await page.click("#supervise-go");
  await page.waitForFunction((id) => {
    const c = window.__desk.cases.find((x) => x.id === id);
    return c && c.supervisions.length === 1 && document.querySelectorAll("#supervisions li").length === 1;
  }, target, { timeout: 30000 });
  c = await caseOf(target);
  out.supervised = c.supervisions.length === 1 && c.supervisions[0].reason === "请尽快处置";
  out.badge = await page.textContent(`#queue-body tr[data-id="${target}"] .badge`);

  // 4. An assignment the server refuses: its reason is shown as an error.
  step("refuse");
  await page.waitForFunction(() => document.getElementById("assign-go") && !document.getElementById("assign-go").disabled, null, { timeout: 30000 });
  out.reassign_button = await page.textContent("#assign-go");
  await page.fill("#assign-hours", "100000");
  await page.click("#assign-go");
  await page.waitForFunction(() => {
    const m = document.getElementById("desk-message");
    return m.classList.contains("error") && m.textContent.trim().length > 0;
  }, null, { timeout: 30000 });
  out.refused_message = (await page.textContent("#desk-message")).trim();
  c = await caseOf(target);
  out.unchanged_after_refusal = !!(c && c.status === "dispatched" && c.assignment && c.assignment.hours !== 100000);

  // 5. A new report from a grid worker reaches the open page over the event stream.
  step("live");
  if (workerToken && workerGrid) {
    let at = await page.evaluate((g) => {
      const c = window.__desk.cases.find((x) => x.grid === g && x.lon != null);
      return c ? [c.lon, c.lat] : null;
    }, workerGrid);
    if (!at) {
      const r = await fetch(`${base}/api/desk?grid=${encodeURIComponent(workerGrid)}&limit=1`, { headers: { authorization: `Bearer ${office}` } });
      const a = r.ok ? await r.json() : { cases: [] };
      at = a.cases.length ? [a.cases[0].lon, a.cases[0].lat] : null;
    }
    if (!at) throw new Error(`no case in grid ${workerGrid} to place the new report at`);
    const before = await desk();
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date()).map((x) => [x.type, x.value]));
    const time = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
    const posted = Date.now();
    const r = await fetch(`${base}/api/incidents`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${workerToken}` },
      body: JSON.stringify({ id: "DESK-LIVE-1", time, category: "facilities", lon: at[0], lat: at[1] }),
    });
    out.live_post = r.status;
    const text = await r.text();
    if (r.status !== 201) throw new Error(`POST /api/incidents answered ${r.status}: ${text}`);
    // A grid worker's ids live in its grid's namespace: `GRID:DESK-LIVE-1`.
    const answer = JSON.parse(text);
    if (!answer.added.length) throw new Error(`DESK-LIVE-1 was stored before (${JSON.stringify(answer)}): run on a fresh workspace`);
    const liveId = answer.added[0];
    out.live_id = liveId;
    await page.waitForFunction((id) => window.__desk.cases.some((c) => c.id === id), liveId, { timeout: 30000 });
    out.live_ms = Date.now() - posted;
    const after = await desk();
    out.live_events = after.events - before.events;
    out.live_reloads = after.loaded - before.loaded;
    out.live_row = await page.evaluate((id) => [...document.querySelectorAll("#queue-body tr[data-id]")].some((r) => r.dataset.id === id), liveId);
    out.live_urgency = (after.cases.find((c) => c.id === liveId) || {}).urgency || null;
    if (!(out.live_events > 0 && out.live_row)) throw new Error(`the new report came without an event (${out.live_events}) or row (${out.live_row})`);
  } else {
    out.live_skipped = "no WORKER_TOKEN and GRID given";
  }

  // 6. A stale step: the page's event stream is cut (an event still on its way), the case is
  // marked handled elsewhere, and the page, still showing it dispatched, asks for handled.
  // The server's refusal (incident.transition) is worded by the page in Chinese, and the
  // page then shows the case as it now is.
  step("stale");
  await page.evaluate(() => window.__desk.stream.close());
  const elsewhere = await fetch(`${base}/api/incidents/${encodeURIComponent(target)}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${office}` },
    body: JSON.stringify({ status: "handled" }),
  });
  if (elsewhere.status !== 200) throw new Error(`marking ${target} handled answered ${elsewhere.status}: ${await elsewhere.text()}`);
  await page.click(`#queue-body tr[data-id="${target.replace(/["\\]/g, "\\$&")}"]`);
  await page.waitForFunction(() => document.getElementById("step-select") && document.getElementById("step-select").value === "handled"
    && !document.getElementById("step-go").disabled, null, { timeout: 30000 });
  out.stale_page_status = (await caseOf(target)).status;
  await page.click("#step-go");
  await page.waitForFunction(() => {
    const m = document.getElementById("desk-message");
    return m.classList.contains("error") && m.textContent.includes("409");
  }, null, { timeout: 30000 });
  out.stale_message = (await page.textContent("#desk-message")).trim();
  await page.waitForFunction((id) => (window.__desk.cases.find((c) => c.id === id) || {}).status === "handled", target, { timeout: 30000 });
  out.stale_reloaded = (await caseOf(target)).status;

  // 7. Screenshots, the dispatched case chosen: zh-CN, then English.
  step("screenshots");
  await page.waitForFunction((id) => window.__desk.flown === id, target, { timeout: 30000 });
  await mapSettled(page);
  out.marker = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ["desk-selected"] }).length > 0);
  out.grid_outlined = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ["desk-grid"] }).length > 0);
  out.components_shown = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ["desk-components"] }).length);
  out.zoom = await page.evaluate(() => Math.round(window.__map.getZoom() * 10) / 10);
  await page.screenshot({ path: `${dir}/desk-zh.png` });
  out.zh_texts = (await uiTexts(page)).filter((s) => /[A-Za-z]{3,}/.test(s) && !/^(EN|wg_)/.test(s));
  await page.goto(url(`&lang=en&case=${encodeURIComponent(target)}`));
  await page.waitForFunction((id) => window.__desk && window.__desk.loaded >= 1 && window.__desk.details >= 1 && window.__desk.flown === id,
    target, { timeout: 60000 });
  await mapSettled(page);
  await page.screenshot({ path: `${dir}/desk-en.png` });
  const en = await uiTexts(page);
  out.en_title = await page.title();
  out.en_chinese = en.filter((s) => /[\u3400-\u9fff]/.test(s));
  out.shots = [`${dir}/desk-zh.png`, `${dir}/desk-en.png`];
  out.page_errors = (await desk()).errors.filter((e) => !/^40\d:/.test(e));
  step("done");
} catch (e) {
  seen.errors.push(`test (${out.step}): ${e.message || e}`);
  await page.screenshot({ path: `${dir}/desk-failed.png` }).catch(() => {});
}
await browser.close();
// The event stream is cut when the page goes away: not a failure.
const failed = seen.failed.filter((f) => !f.includes("/api/incidents/stream"));
const ok = out.step === "done" && out.ordered === true && out.dispatched && out.supervised && !!out.refused_message
  && (out.live_ms != null || !!out.live_skipped) && !(out.page_errors || []).length && !(out.en_chinese || []).length
  && !seen.external.length && !failed.length && !seen.errors.length;
console.log(JSON.stringify({ ok, external: seen.external, failed, errors: seen.errors, expected: seen.expected, ...out }));
process.exit(ok ? 0 : 1);
