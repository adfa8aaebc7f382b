#!/usr/bin/env bash
# A local PostgreSQL 15 + PostGIS 3 for Wangge (Debian's cluster; `initdb` refuses to run as
# root, so the packaged cluster is used, never Docker): the cluster created and started, a
# login role `wangge` and a database DB (default `wangge`) owned by it with PostGIS.
# Prints the database's URL (add `?schema=NAME` for a workspace).
# Usage: scripts/pg-local.sh [DB]
set -euo pipefail
shopt -s lastpipe
db=${1:-wangge}
if [ -z "$(pg_lsclusters -h)" ]; then pg_createcluster 15 main >&2; fi
pg_lsclusters -h | while read -r ver name _port status _rest; do
  [ "$status" = online ] || pg_ctlcluster "$ver" "$name" start >&2
done
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge') THEN
    CREATE ROLE wangge LOGIN PASSWORD 'wangge'; END IF; END \$\$;" >&2
runuser -u postgres -- psql -X -q -tc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db OWNER wangge" >&2
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2
echo "postgres://wangge:wangge@127.0.0.1:5432/$db"
