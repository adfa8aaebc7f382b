#!/usr/bin/env bash
# System packages Wangge needs on Debian 12: PROJ (linked by the proj crate through
# pkg-config), SQLite, clang for proj-sys' bindgen, and GDAL's ogrinfo (tests check that GDAL
# reads our GeoPackages), DejaVu Sans for map captions, PostgreSQL with pgRouting (tests
# cross-check walking distances against pgr_drivingDistance) and PostGIS 3 (the PostgreSQL
# workspace backend, named explicitly), Chromium (the map test drives it
# headless through playwright-core) with a CJK font for the labels it draws locally, openssl
# and curl (the TLS test makes a certificate and fetches with --cacert). Idempotent: does
# nothing when everything is there.
set -euo pipefail
pkgs=(pkg-config libproj-dev proj-data libsqlite3-dev sqlite3 clang libclang-dev gdal-bin fonts-dejavu-core
  postgresql postgresql-15-pgrouting postgresql-15-postgis-3 chromium fonts-wqy-microhei openssl curl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
