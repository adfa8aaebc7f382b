#!/usr/bin/env python3
"""Checks that service areas nest (5 ⊂ 10 ⊂ 15 minutes per category) with GEOS, through
shapely: `covers` on the exact coordinates `wangge coverage --areas` wrote, and the area of
any part outside (m², on a local equal-area frame). Independent of Wangge's own geometry.

Usage: check_nesting.py AREAS.geojson  → one JSON line {pairs, failures, worst_outside_m2}."""
import json, math, sys
from shapely.geometry import shape
from shapely.ops import transform

doc = json.load(open(sys.argv[1]))
by_cat = {}
for f in doc["features"]:
    p = f["properties"]
    by_cat.setdefault(p["category"], []).append((p["minutes"], shape(f["geometry"])))

def metres(g):
    c = g.centroid
    k = math.cos(math.radians(c.y))
    return transform(lambda x, y, z=None: ((x - c.x) * 111320 * k, (y - c.y) * 110574), g)

pairs = failures = 0
worst = 0.0
bad = []
for cat, areas in sorted(by_cat.items()):
    areas.sort(key=lambda a: a[0])
    for (m1, small), (m2, large) in zip(areas, areas[1:]):
        if small.is_empty:
            continue
        pairs += 1
        if not (small.is_valid and large.is_valid):
            failures += 1
            bad.append(f"{cat} {m1}/{m2}: invalid geometry")
            continue
        if not large.covers(small):
            failures += 1
            out = metres(small.difference(large)).area
            worst = max(worst, out)
            bad.append(f"{cat} {m1} min not covered by {m2} min: {out:.6f} m² outside")
print(json.dumps({"pairs": pairs, "failures": failures, "worst_outside_m2": worst, "bad": bad[:10]}))
