#!/usr/bin/env python3
"""Feature indices of a GeoJSON file whose polygon geometry GEOS (shapely) finds invalid, one
JSON line: {"features": N, "invalid": [indices]}. Cross-checks wangge's own validity."""
import json, sys
from shapely.geometry import shape

doc = json.load(open(sys.argv[1]))
bad = []
for i, f in enumerate(doc["features"]):
    g = f.get("geometry")
    if g and g["type"] in ("Polygon", "MultiPolygon") and not shape(g).is_valid:
        bad.append(i)
print(json.dumps({"features": len(doc["features"]), "invalid": bad}))
