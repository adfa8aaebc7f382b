#!/usr/bin/env python3
"""Cross-check of Wangge's walking distances against pgRouting's pgr_drivingDistance.

Reads the JSON of `wangge coverage --dump-network FILE`, loads the network into PostgreSQL
(the local cluster, through psql as the postgres user), and for every category runs
pgr_drivingDistance from a virtual node linked to both ends of every facility's edge (at the
facility's starting cost), bounded by the same limit. Point distances follow from the node
distances as in Wangge (nearer end plus the way along the edge, facilities on the point's own
edge, plus the snap distance). Prints one line of JSON: points compared, the largest
difference in metres and mismatches in reachability.

Usage: walk_crosscheck_pgrouting.py DUMP.json  (PostgreSQL 15 with postgresql-15-pgrouting; the
cluster is started when it is down; scripts/install-deps.sh installs both)
"""
import csv, io, json, os, subprocess, sys

from walk_points import compare, starts

DB = "wangge_check"


def psql(sql, db="postgres", stdin=None, tolerate=()):
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]
    if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0":
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode != 0 and not any(t in r.stderr for t in tolerate):
        sys.exit(f"psql failed: {r.stderr.strip()}\n{sql[:200]}")
    return r.stdout


def ensure_server():
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()
    if len(out) >= 4 and out[3] != "online":
        # Quietly: this script's stdout is one JSON line.
        subprocess.run(["pg_ctlcluster", out[0], out[1], "start"], check=True, capture_output=True)


def main():
    doc = json.load(open(sys.argv[1]))
    limit = float(doc["limit_m"])
    edges = doc["edges"]
    n = doc["nodes"]
    ensure_server()
    # Tests run side by side: a parallel run may create these first.
    if DB not in psql("SELECT datname FROM pg_database"):
        psql(f"CREATE DATABASE {DB}", tolerate=("already exists", "duplicate key"))
    psql("CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE", DB, tolerate=("already exists", "duplicate key"))
    rows = io.StringIO()
    w = csv.writer(rows)
    for i, (a, b, cost, _len) in enumerate(edges):
        w.writerow([i + 1, a + 1, b + 1, repr(cost), repr(cost)])
    # One table per run: tests run side by side.
    table = f"walk_edges_{os.getpid()}"
    psql(f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id bigint, source bigint, target bigint,"
         " cost float8, reverse_cost float8)", DB)
    psql(f"\\copy {table} FROM STDIN WITH (FORMAT csv)", DB, rows.getvalue())
    virtual = n + 1  # node ids are index + 1; the virtual source comes after them
    compared, worst, mismatch = 0, 0.0, 0
    for cat, c in doc["categories"].items():
        fac = c["facilities"]
        ours = c["walk_m"]
        if not fac:
            continue
        start = starts(doc, fac)
        virt = " UNION ALL ".join(
            f"SELECT {len(edges) + 1 + k}::bigint, {virtual}::bigint, {node + 1}::bigint, {s!r}::float8, -1::float8"
            for k, (node, s) in enumerate(sorted(start.items())))
        inner = (f"SELECT id, source, target, cost, reverse_cost FROM {table} UNION ALL " + virt).replace("'", "''")
        out = psql(f"COPY (SELECT node, agg_cost FROM pgr_drivingDistance('{inner}', {virtual}, {limit!r}, directed => true)) "
                   "TO STDOUT WITH (FORMAT csv)", DB)
        dist = [float("inf")] * n
        for node, agg in csv.reader(io.StringIO(out)):
            node = int(node)
            if node != virtual:
                dist[node - 1] = float(agg)
        c_, w_, m_ = compare(doc, fac, dist, ours, limit)
        compared, worst, mismatch = compared + c_, max(worst, w_), mismatch + m_
    psql(f"DROP TABLE {table}", DB)
    print(json.dumps({"compared": compared, "max_diff_m": worst, "reach_mismatch": mismatch}))


if __name__ == "__main__":
    main()
