// The Wangge viewer: one MapLibre map from this server's /style.json and two modes, planner
// (grid plans) and street office (service circles); the wall screen is /wall. Everything it
// loads comes from this server. CJK text is drawn by the browser's own fonts
// (localIdeographFontFamily): no CJK glyph requests.
import { apply, setLang, lang, t } from "./i18n.js";
import { Planner } from "./planner.js";
import { Office } from "./office.js";
import { say, withToken, h } from "./util.js";

const params = new URLSearchParams(location.search);
window.__errors = [];
window.__idle = false;
const map = new maplibregl.Map({
  container: "map",
  style: "/style.json",
  localIdeographFontFamily: "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif",
  attributionControl: false,
  transformRequest: withToken,
});
window.__map = map;
map.addControl(new maplibregl.NavigationControl(), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
map.on("error", (e) => window.__errors.push(String((e && e.error && e.error.message) || e)));
map.on("idle", () => { window.__idle = true; });


const app = window.__app = { mode: null, modes: {} };
const panel = document.getElementById("panel");

async function enter(mode) {
  if (app.mode === mode) return;
  if (app.mode) app.modes[app.mode].leave();
  app.mode = mode;
  for (const b of document.querySelectorAll("header nav button")) b.classList.toggle("active", b.dataset.mode === mode);
  const u = new URL(location.href);
  u.searchParams.set("mode", mode);
  history.replaceState(null, "", u);
  say("");
  await app.modes[mode].enter(panel);
  apply(panel);
}

map.once("load", async () => {
  // ?z=15 opens at another zoom, once the style's centre is in place; ?heat=1 shows the
  // incident heat layer.
  const z = Number(params.get("z"));
  if (z) map.jumpTo({ zoom: z });
  else {
    // Frame the district (the tiles' bounds) on load.
    const b = map.getSource("wangge") && map.getSource("wangge").bounds;
    if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 20, duration: 0 });
  }
  if (params.get("heat")) map.setLayoutProperty("heat", "visibility", "visible");
  app.modes.planner = new Planner(map, say);
  app.modes.office = new Office(map, say);
  for (const b of document.querySelectorAll("header nav button")) {
    b.onclick = () => enter(b.dataset.mode).catch((e) => say(String(e.message || e), true));
  }
  try {
    await enter(params.get("mode") === "office" ? "office" : "planner");
  } catch (e) {
    // 404: this server has no plans or streets for the mode (a tile archive, a workspace
    // without streets); the map still works.
    say(String(e.message || e), e.status !== 404);
    if (e.status === 401 || e.status === 403) askToken(e.status);
    else if (e.status !== 404) window.__errors.push(`mode: ${e}`);
  }
  app.ready = true;
});

/// The server asks for an access token (or a token with more rights): a field in the panel.
function askToken(status) {
  const input = h("input", { id: "token", size: 28, placeholder: "wg_…" });
  panel.replaceChildren(
    h("h2", {}, t("token.title")),
    h("p", { class: "muted" }, t(status === 401 ? "token.needed" : "token.role")),
    h("div", { class: "row" }, input, " ", h("button", { id: "token-use", onclick: () => {
      const v = input.value.trim();
      if (v) {
        localStorage.setItem("wangge.token", v);
        location.reload();
      }
    } }, t("token.use"))));
}

document.getElementById("lang").onclick = () => {
  setLang(lang === "zh" ? "en" : "zh");
  if (app.mode) app.modes[app.mode].render();
  apply();
};
apply();

