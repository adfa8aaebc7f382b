#!/usr/bin/env bash
# One command from a fresh machine to the main job on the embedded default:
# installs system packages, builds Wangge, generates the demo city (20,000 households, seed 1)
# into out/demo.gpkg, divides it into grids of at most 200 households (report and map in
# out/demo-plan.*), computes walking coverage of the life circles (out/demo-coverage.*),
# exports its vector tiles (tiles/demo.pmtiles), copies it into a local PostgreSQL/PostGIS
# (schema demo of database wangge), imports the real Nanjing Xuanwu OSM extract into out/nanjing.gpkg (with its coverage) when
# ../shared/data is present, and prints what each workspace holds (and what GDAL sees).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/viewer-deps.sh
cargo build --release --locked
mkdir -p out
bin=target/release/wangge
$bin generate --households 20000 --seed 1 --workspace out/demo.gpkg --force
$bin partition out/demo.gpkg --report out/demo-plan
$bin incidents assign out/demo.gpkg
$bin workers generate out/demo.gpkg --history
$bin coverage out/demo.gpkg --report out/demo-coverage.csv
$bin tiles export out/demo.gpkg -o tiles/demo.pmtiles
$bin report kpi out/demo.gpkg --month 2026-10 --by community --csv out/demo-kpi-2026-10.csv --charts out/demo-charts
$bin report index out/demo.gpkg --month 2026-10 --by community --csv out/demo-index-2026-10.csv
$bin report monthly out/demo.gpkg --month 2026-10 -o out/report-2026-10.html
nanjing=../shared/data/osm/nanjing-xuanwu.osm
if [ -f "$nanjing" ]; then
  rm -f out/nanjing.gpkg
  $bin import "$nanjing" --workspace out/nanjing.gpkg
  $bin info out/nanjing.gpkg
  $bin coverage out/nanjing.gpkg --report out/nanjing-coverage.csv
fi
# The same demo city in PostgreSQL/PostGIS (a local cluster; schema `demo`), copied from the
# GeoPackage with both digests printed: the city-wide backend several servers share.
pg=$(scripts/pg-local.sh wangge)
runuser -u postgres -- psql -X -q -d wangge -c "DROP SCHEMA IF EXISTS demo CASCADE"
$bin copy out/demo.gpkg "$pg?schema=demo"
echo
echo "GDAL reads the demo workspace as:"
ogrinfo -ro -so out/demo.gpkg
echo
echo "Grid plan map: out/demo-plan.map.png; coverage charts: out/demo-coverage.charts/;"
echo "monthly report (KPIs, social-condition index): out/report-2026-10.html;"
echo "open out/demo.gpkg in QGIS (layer grids), or export:"
echo "  $bin export out/demo.gpkg --layer grids -o out/grids.geojson"
echo "Other views: $bin serve tiles/demo.pmtiles (the exported archive); incidents"
echo "http://127.0.0.1:8080/api/incidents; live events: curl -N http://127.0.0.1:8080/api/incidents/stream"
echo "The PostgreSQL copy (its URL, with the local password, printed by scripts/pg-local.sh):"
echo "  $bin serve \"\$(scripts/pg-local.sh wangge)?schema=demo\" --bind 127.0.0.1:8081   (several behind nginx: docs/several-servers.md)"
if [ "${1:-}" = "--no-serve" ]; then
  echo "Serve the demo city: $bin serve out/demo.gpkg"
  exit 0
fi
echo
echo "Serving the demo city (offline; Ctrl-C stops):"
echo "  planner mode:        http://127.0.0.1:8080/viewer/?mode=planner"
echo "  street-office mode:  http://127.0.0.1:8080/viewer/?mode=office"
echo "  wall screen:         http://127.0.0.1:8080/wall"
echo "  case desk:           http://127.0.0.1:8080/desk"
echo "  grid worker's phone: http://127.0.0.1:8080/viewer/worker.html?grid=GRID (a grid code: $bin workers list out/demo.gpkg)"
exec $bin serve out/demo.gpkg
