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

from walk_points import compare, starts


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
        # taken off again below (coo_matrix adds up duplicates: one start edge per node).
        start = starts(doc, fac)
        rows = list(a) + list(b) + [n] * len(start)
        cols = list(b) + list(a) + list(start)
        vals = list(w) + list(w) + [1.0 + s for s in start.values()]
        g = coo_matrix((vals, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
        dist = dijkstra(g, directed=True, indices=n) - 1.0
        c_, w_, m_ = compare(doc, fac, dist, ours, limit)
        compared, worst, reach_mismatch = compared + c_, max(worst, w_), reach_mismatch + m_
    print(json.dumps({"compared": compared, "max_diff_m": worst, "reach_mismatch": reach_mismatch}))


if __name__ == "__main__":
    main()
