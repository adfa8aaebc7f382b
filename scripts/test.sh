#!/usr/bin/env bash
# All tests: system packages, formatting, clippy with warnings as errors, unit and integration
# tests (the integration tests read ../shared/data and run GDAL's ogrinfo).
set -euo pipefail
shopt -s lastpipe
cd "$(dirname "$0")/.."
# Disk: a fresh CI machine once ran out of space building the tests. The build is done once
# here, so no incremental caches (a quarter of target/); free space is printed before and
# after the builds, and the fuzz targets' own build directory is removed once they built.
export CARGO_INCREMENTAL=0
df -h . | sed 's/^/disk before the build: /'
scripts/install-deps.sh
# scipy for the walking-distance cross-check (tests/scripts/walk_crosscheck_scipy.py).
python3 -c "import scipy" 2>/dev/null || python3 -m pip install --quiet --root-user-action=ignore scipy
# shapely (GEOS) for the independent check of stored plans (tests/scripts/check_plan.py).
python3 -c "import shapely" 2>/dev/null || python3 -m pip install --quiet --root-user-action=ignore "shapely==2.*"
python3 -c "import pmtiles" 2>/dev/null || python3 -m pip install --quiet --root-user-action=ignore "pmtiles==3.*"
python3 -c "import openpyxl" 2>/dev/null || python3 -m pip install --quiet --root-user-action=ignore "openpyxl==3.*"   # the Excel tests read and write workbooks with it (an independent reader)
# The public MVT fixtures (tests/tiles.rs): npm package, pinned, into target/.
[ -d target/npm-fixtures/node_modules/@mapbox/mvt-fixtures ] ||
  npm install --prefix target/npm-fixtures --no-save --no-audit --no-fund --loglevel=error @mapbox/mvt-fixtures@4.0.0
# The viewer's scripts, glyphs and playwright-core for the browser test (tests/browser.rs).
scripts/viewer-deps.sh
# PostgreSQL (pgRouting for the walking cross-check; the PostgreSQL/PostGIS backend's tests in
# tests/postgis.rs): Debian's cluster started, a login role and a database with PostGIS, its
# URL in WANGGE_TEST_PG (each test works in a schema of its own).
WANGGE_TEST_PG=$(scripts/pg-local.sh wangge_test)
export WANGGE_TEST_PG
cargo fmt --all -- --check
# No status or translation decided by an error message's text (typed errors and codes only).
python3 tests/scripts/no_message_matching.py
# The code map's promises: rusqlite only in the GeoPackage backend, no module circles, long
# functions explained; and no declared dependency left unused (ARCHITECTURE.md).
python3 tests/scripts/check_layers.py --self-test
python3 tests/scripts/check_layers.py
python3 tests/scripts/unused_deps.py
cargo clippy --workspace --all-targets --locked -- -D warnings
# The fuzz targets build (cargo fuzz on the stable toolchain: RUSTC_BOOTSTRAP unlocks
# libFuzzer's instrumentation; tests/fuzz_seeds.rs replays their seeds; benches/fuzz.sh fuzzes).
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none -O)
rm -rf fuzz/target
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked -- --skip browser:: 2>&1 | tee "$log" || status=1
# The browser tests draw with Chromium's software renderer (a 4K wall screen among them): they
# run after the rest, one at a time, so that no other test starves them of the two cores.
cargo test --locked --test integration browser:: -- --test-threads=1 2>&1 | tee -a "$log" || status=1
df -h . | sed 's/^/disk after the build: /'
du -sh target | sed 's/^/build directory: /'
# One closing line with the totals over every test binary (the last cargo line is a doc-test
# run that may have 0 tests).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$log"
exit $status
