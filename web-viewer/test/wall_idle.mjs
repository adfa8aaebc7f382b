// CPU time of an idle wall screen: the page at 3840 x 2160 (1920 x 1080 CSS pixels at device
// pixel ratio 2) in Debian's headless Chromium with software GL, loaded and idle, then one
// minute with nothing happening (rotation off unless ROTATE is set). Sums the user and system
// time of every browser process (the node process's descendants, from /proc) over the minute.
// Also checks what a leader reads at 3 m: the smallest text in device pixels, and the lowest
// contrast of text against the panel behind it. Prints a JSON summary.
// Usage: node web-viewer/test/wall_idle.mjs BASE_URL SECONDS [ROTATE]
import { launch } from "./chromium.mjs";
import fs from "node:fs";

const [base, secondsArg, rotate] = process.argv.slice(2);
const seconds = Number(secondsArg) || 60;
const { WALL_TOKEN } = process.env;
const TICK = 100; // clock ticks per second (Linux USER_HZ)

/// User + system CPU seconds of every process below `root`.
function cpuBelow(root) {
  const stats = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
      stats.push({ pid: Number(d), ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / TICK });
    } catch (e) { /* gone */ }
  }
  const below = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of stats) if (!below.has(p.pid) && below.has(p.ppid)) { below.add(p.pid); grew = true; }
  }
  return stats.filter((p) => p.pid !== root && below.has(p.pid)).reduce((a, p) => a + p.cpu, 0);
}

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 2 });
const errors = [];
let requests = [];
page.on("request", (r) => requests.push(new URL(r.url()).pathname));
page.on("pageerror", (e) => errors.push(`page: ${e}`));
const out = {};
try {
  await page.goto(`${base}/wall?rotate=${rotate || 0}${WALL_TOKEN ? `&token=${WALL_TOKEN}` : ""}`);
  await page.waitForFunction(() => window.__wall && window.__wall.idle && window.__wall.summaries > 0 && window.__wall.onTimeLoaded, null, { timeout: 180000 });
  await page.waitForTimeout(5000); // tiles and fonts settle
  await page.waitForFunction(() => window.__wall.idle, null, { timeout: 60000 });
  const renders = await page.evaluate(() => window.__wall.renders);
  requests = [];
  const t0 = cpuBelow(process.pid);
  await page.waitForTimeout(seconds * 1000);
  const t1 = cpuBelow(process.pid);
  out.seconds = seconds;
  out.cpu_s = Number((t1 - t0).toFixed(2));
  out.cpu_s_per_minute = Number(((t1 - t0) * 60 / seconds).toFixed(2));
  out.requests = requests.length;
  out.request_examples = [...new Set(requests.map((p) => p.split("/").slice(0, 3).join("/")))].slice(0, 8);
  out.map_renders = (await page.evaluate(() => window.__wall.renders)) - renders;
  // Text a leader reads: size in device pixels, contrast against the panel (WCAG 2).
  Object.assign(out, await page.evaluate(() => {
    const lum = (c) => {
      const m = c.match(/[\d.]+/g).map(Number);
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]);
    };
    const panel = lum("rgb(11, 18, 32)");
    let smallest = 1e9, lowest = 1e9, where = "", whereContrast = "";
    for (const e of document.querySelectorAll("body *")) {
      if (e.closest("#map")) continue;
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !e.getClientRects().length) continue;
      const cs = getComputedStyle(e);
      if (cs.visibility === "hidden" || cs.display === "none") continue;
      const px = parseFloat(cs.fontSize) * devicePixelRatio;
      if (px < smallest) { smallest = px; where = `${e.tagName}#${e.id}.${e.className}: ${e.textContent.trim().slice(0, 30)}`; }
      // Background: the nearest ancestor with an opaque-enough colour, else the panel's.
      let bg = panel;
      for (let a = e; a; a = a.parentElement) {
        const b = getComputedStyle(a).backgroundColor;
        const alpha = b.startsWith("rgba") ? Number(b.match(/[\d.]+/g)[3]) : 1;
        if (b !== "rgba(0, 0, 0, 0)" && alpha > 0.5) { bg = lum(b); break; }
      }
      const fg = lum(cs.color);
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < lowest) { lowest = ratio; whereContrast = `${e.tagName}#${e.id}: ${e.textContent.trim().slice(0, 30)} (${cs.color})`; }
    }
    return { smallest_text_px: smallest, smallest_text: where, lowest_contrast: Number(lowest.toFixed(2)), lowest_contrast_text: whereContrast };
  }));
} catch (e) {
  errors.push(`test: ${e}`);
}
await browser.close();
console.log(JSON.stringify({ ok: errors.length === 0, errors, ...out }));
process.exit(errors.length === 0 ? 0 : 1);
