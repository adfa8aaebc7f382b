// What the browser tests share: Debian's Chromium through playwright-core (no downloaded
// browser, software GL), and a watch on a page's requests and errors.
import { chromium } from "playwright-core";

/// `extraArgs`: more Chromium switches (e.g. `--ignore-certificate-errors-spki-list=…` to trust
/// a test server's self-signed certificate).
export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
      ...extraArgs,
    ],
  });
}

/// Collects requests to other hosts than `server`, failed requests and page or console errors
/// (console messages matching `expected` are counted apart).
export function watch(page, server, expected = null) {
  const w = { external: [], failed: [], aborted: [], errors: [], expected: 0 };
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!["data:", "blob:"].includes(u.protocol) && u.host !== server) w.external.push(r.url());
  });
  page.on("requestfailed", (r) => {
    const why = r.failure()?.errorText;
    // A tile the map stopped needing (the view moved on before it came) is cancelled by
    // MapLibre: counted apart, not a failure.
    const tile = /\/(tiles\/[^/]+|heat)\/\d+\/\d+\/\d+\.(mvt|png)$/.test(new URL(r.url()).pathname);
    if (tile && why === "net::ERR_ABORTED") w.aborted.push(r.url());
    else w.failed.push(`${r.url()}: ${why}`);
  });
  page.on("pageerror", (e) => w.errors.push(`page: ${e}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    if (expected && expected.test(m.text())) w.expected += 1;
    else w.errors.push(`console: ${m.text()}`);
  });
  return w;
}
