#!/usr/bin/env python3
"""Cross-check of Wangge's walking distances against scipy's csgraph Dijkstra.

Reads the JSON written by `wangge coverage --dump-network FILE` (nodes, edges with walking
cost, snaps of address points and facilities, Wangge's distances per category), recomputes
every distance with scipy.sparse.csgraph.dijkstra from a virtual super-source linked to both
ends of every facility's edge, and prints one line of JSON: points compared, the largest
difference in metres, and mismatches in reachability at the search limit.

Usage: walk_crosscheck_scipy.py DUMP.json
"""
import json, sys

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra


def main():
    doc = json.load(open(sys.argv[1]))
    limit = float(doc["limit_m"])
    n = doc["nodes"]
    edges = doc["edges"]
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges], dtype=np.float64)
    pairs = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist())}
    assert len(pairs) == len(edges), "parallel edges in the exported network"
    compared, worst, reach_mismatch = 0, 0.0, 0
    for cat, c in doc["categories"].items():
        fac = c["facilities"]
        ours = c["walk_m"]
        if not fac:
            assert all(x is None for x in ours), cat
            continue
        # Super-source n; csgraph drops explicit zeros, so every start edge carries +1 m,
        # taken off again below.
        # (coo_matrix adds up duplicate entries: one start edge per node, the cheapest.)
        start = {}
        for edge, t, off in fac:
            ea, eb, cost = edges[edge][0], edges[edge][1], edges[edge][2]
            for node, s in ((ea, off + t * cost), (eb, off + (1.0 - t) * cost)):
                start[node] = min(start.get(node, float("inf")), s)
        rows = list(a) + list(b) + [n] * len(start)
        cols = list(b) + list(a) + list(start)
        vals = list(w) + list(w) + [1.0 + s for s in start.values()]
        g = coo_matrix((vals, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
        dist = dijkstra(g, directed=True, indices=n) - 1.0
        for p, snap in enumerate(doc["points"]):
            if snap is None:
                assert ours[p] is None
                continue
            edge, t, off = snap
            ea, eb, cost = edges[edge][0], edges[edge][1], edges[edge][2]
            d = min(dist[ea] + t * cost, dist[eb] + (1.0 - t) * cost)
            for fe, ft, foff in fac:
                if fe == edge:
                    d = min(d, foff + abs(t - ft) * cost)
            d += off
            if ours[p] is None:
                if d <= limit - 1e-6:
                    reach_mismatch += 1
                continue
            if d > limit + 1e-6:
                reach_mismatch += 1
                continue
            compared += 1
            worst = max(worst, abs(d - ours[p]))
    print(json.dumps({"compared": compared, "max_diff_m": worst, "reach_mismatch": reach_mismatch}))


if __name__ == "__main__":
    main()
