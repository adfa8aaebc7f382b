#!/usr/bin/env bash
# The web viewer's offline assets: maplibre-gl (and playwright-core for the browser test) from
# npm, pinned by web-viewer/package-lock.json, and SDF glyph ranges of Debian's DejaVu Sans
# (fonts-dejavu-core) built locally with fontnik into web-viewer/fonts/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d web-viewer/node_modules/maplibre-gl ] && [ -d web-viewer/node_modules/fontnik ] ||
  npm ci --prefix web-viewer --no-audit --no-fund --loglevel=error
font="web-viewer/fonts/DejaVu Sans Book"
if [ ! -f "$font/0-255.pbf" ]; then
  mkdir -p "$font"
  node web-viewer/node_modules/fontnik/bin/build-glyphs /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "$font"
fi
