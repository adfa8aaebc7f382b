"""Shared by the walking cross-checks: Wangge's point distances from node distances, compared.

A point on edge (a, b) at position t with snap distance off is reached over the nearer end
(node distance plus the way along the edge) or straight along the edge from a facility on the
same edge; off is walked too. Distances beyond the limit count as not reached.
"""


def compare(doc, facilities, dist, ours, limit):
    """(points compared, largest difference in m, reachability mismatches) for one category."""
    edges = doc["edges"]
    compared, worst, mismatch = 0, 0.0, 0
    for p, snap in enumerate(doc["points"]):
        if snap is None:
            assert ours[p] is None
            continue
        edge, t, off = snap
        ea, eb, cost = edges[edge][0], edges[edge][1], edges[edge][2]
        d = min(dist[ea] + t * cost, dist[eb] + (1.0 - t) * cost)
        for fe, ft, foff in facilities:
            if fe == edge:
                d = min(d, foff + abs(t - ft) * cost)
        d += off
        if ours[p] is None:
            mismatch += int(d <= limit - 1e-6)
            continue
        if d > limit + 1e-6:
            mismatch += 1
            continue
        compared += 1
        worst = max(worst, float(abs(d - ours[p])))
    return compared, worst, mismatch


def starts(doc, facilities):
    """Cheapest starting cost per node at the ends of the facilities' edges."""
    edges = doc["edges"]
    out = {}
    for edge, t, off in facilities:
        ea, eb, cost = edges[edge][0], edges[edge][1], edges[edge][2]
        for node, s in ((ea, off + t * cost), (eb, off + (1.0 - t) * cost)):
            out[node] = min(out.get(node, float("inf")), s)
    return out
