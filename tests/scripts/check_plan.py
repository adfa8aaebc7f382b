#!/usr/bin/env python3
"""Independent check of a stored grid plan with GEOS (shapely), not with Wangge's own geometry.

Usage: check_plan.py WORKSPACE.gpkg [PLAN_ID]

Reads the grids of the plan (default: the newest) and their communities straight from the
GeoPackage with sqlite3, and checks, in metres on a local equirectangular projection:
  - validity: every grid is a valid Polygon (GEOS is_valid; the reason is printed);
  - orientation: exterior rings counter-clockwise, holes clockwise (RFC 7946);
  - tiling per community: the union of its grids and the sum of their areas equal the
    community's area within 1e-6 relative (parts listed as unassigned exceptions excepted),
    pairwise overlap at most 1e-6 of the community's area;
  - cracks: the union of a community's grids has no interior ring that the community lacks;
  - slivers: no grid part of 20 m² or more that an inward buffer of 1 m removes entirely
    (what an opening by 1 m takes off the grid), unless the community itself is that narrow
    there.
Prints one line per defect (kind, grid code, location) and a summary line
`checked N grids in M communities: K defects (invalid a, orientation b, ...)`; exits 1 when
there is any defect.

With --streets it also measures, from the workspace's streets layer (footways, paths, cycleways,
steps and tracks left out), how grid boundaries follow streets (a report, not a defect): the share of internal grid boundary within 5 m of a street
line, the share of street length inside communities (more than 5 m from their edge) that runs
within 5 m of a grid boundary, and the grids an arterial (motorway, trunk, primary, secondary,
tertiary) runs through for more than 20 m of their interior (more than 5 m from their edge).
"""
import math
import sqlite3
import sys

import shapely
from shapely import wkb
from shapely.geometry import Polygon, MultiPolygon
from shapely.ops import transform, unary_union
from shapely.validation import explain_validity


def gpkg_geom(blob):
    flags = blob[3]
    env = (flags >> 1) & 7
    skip = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[env]
    return wkb.loads(bytes(blob[8 + skip:]))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    streets_report = "--streets" in sys.argv
    path = args[0]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    plan = int(args[1]) if len(args) > 1 else db.execute("SELECT max(plan_id) FROM grids").fetchone()[0]
    grids = db.execute("SELECT code, community, geom FROM grids WHERE plan_id = ?", (plan,)).fetchall()
    comms = {k: gpkg_geom(g) for k, g in db.execute("SELECT key, geom FROM communities")}
    unassigned = {}
    try:
        for c, text in db.execute("SELECT community, detail FROM plan_exceptions WHERE plan_id = ?", (plan,)):
            if "belongs to no grid" in (text or ""):
                m2 = float(text.split(" of ")[1].split(" m")[0])
                unassigned[c] = unassigned.get(c, 0.0) + m2
    except sqlite3.OperationalError:
        pass
    if not grids:
        print(f"plan {plan}: no grids")
        return 1
    lon0 = sum(gpkg_geom(g).centroid.x for _, _, g in grids) / len(grids)
    lat0 = sum(gpkg_geom(g).centroid.y for _, _, g in grids) / len(grids)
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0

    def to_m(geom):
        return transform(lambda x, y, z=None: ((x - lon0) * kx, (y - lat0) * ky), geom)

    defects = {"invalid": 0, "orientation": 0, "tiling": 0, "overlap": 0, "crack": 0, "sliver": 0, "type": 0}

    def report(kind, code, where, text):
        defects[kind] += 1
        if sum(defects.values()) <= 200:
            print(f"{kind}\t{code}\t{where.x:.6f},{where.y:.6f}\t{text}")

    by_comm = {}
    for code, comm, blob in grids:
        g = gpkg_geom(blob)
        if g.geom_type != "Polygon":
            report("type", code, g.representative_point(), f"a {g.geom_type}, not one Polygon")
            continue
        if not g.is_valid:
            report("invalid", code, g.representative_point(), explain_validity(g))
        if not g.exterior.is_ccw or any(r.is_ccw for r in g.interiors):
            report("orientation", code, g.representative_point(), "exterior not counter-clockwise or a hole not clockwise")
        by_comm.setdefault(comm, []).append((code, g, to_m(g)))

    for comm, members in by_comm.items():
        if comm not in comms:
            continue
        cm = to_m(comms[comm]).buffer(0) if not comms[comm].is_valid else to_m(comms[comm])
        area = cm.area
        parts = [m.buffer(0) if not m.is_valid else m for _, _, m in members]
        union = unary_union(parts)
        total = sum(p.area for p in parts) + unassigned.get(comm, 0.0)
        uarea = union.area + unassigned.get(comm, 0.0)
        where = members[0][1].representative_point()
        if area > 0 and (abs(total - area) / area > 1e-6 or abs(uarea - area) / area > 1e-6):
            report("tiling", comm, where, f"grid areas sum to {total:.3f} m², union {uarea:.3f} m², community {area:.3f} m²")
        tree = shapely.STRtree(parts)
        for i, p in enumerate(parts):
            for j in tree.query(p):
                if j <= i:
                    continue
                ov = p.intersection(parts[j]).area
                if ov > 1e-6 * max(area, 1.0):
                    report("overlap", f"{members[i][0]}|{members[j][0]}", members[i][1].representative_point(), f"overlap {ov:.4f} m²")
        # Cracks: holes of the union the community does not have.
        comm_holes = [Polygon(r) for poly in getattr(cm, "geoms", [cm]) for r in poly.interiors]
        for poly in getattr(union, "geoms", [union]):
            for r in poly.interiors:
                h = Polygon(r)
                if not any(h.difference(ch).area <= 1e-6 * max(h.area, 1e-9) + 1e-9 for ch in comm_holes):
                    c = h.representative_point()
                    report("crack", comm, transform(lambda x, y, z=None: (x / kx + lon0, y / ky + lat0), c), f"a gap of {h.area:.6f} m² between grids")
        # Slivers: what an opening by 1 m (inward buffer, then outward) takes off a grid, in
        # pieces of 20 m² or more, where the community itself is wider.
        comm_thin = None
        for (code, g, m), p in zip(members, parts):
            thin = p.difference(p.buffer(-1.0).buffer(1.0))
            for piece in getattr(thin, "geoms", [thin]):
                if piece.area < 20.0:
                    continue
                if comm_thin is None:
                    comm_thin = cm.difference(cm.buffer(-1.0).buffer(1.0))
                if piece.difference(comm_thin).area < 20.0:
                    continue  # the community itself is that narrow here
                c = piece.representative_point()
                report("sliver", code, transform(lambda x, y, z=None: (x / kx + lon0, y / ky + lat0), c), f"a part of {piece.area:.1f} m² narrower than 2 m")

    if streets_report:
        streets_line(db, by_comm, comms, to_m)

    n = sum(defects.values())
    detail = ", ".join(f"{k} {v}" for k, v in defects.items())
    print(f"plan {plan}: checked {len(grids)} grids in {len(by_comm)} communities with GEOS {shapely.geos_version_string}: {n} defects ({detail})")
    return 1 if n else 0


ARTERIAL = {"motorway", "trunk", "primary", "secondary", "tertiary"}
# Ways that are not streets a grid boundary would follow (paths inside compounds).
NOT_STREETS = {"footway", "path", "cycleway", "steps", "bridleway", "corridor", "track"}


def streets_line(db, by_comm, comms, to_m):
    rows = [(hw, to_m(gpkg_geom(g))) for hw, g in db.execute("SELECT highway, geom FROM streets")
            if hw not in NOT_STREETS]
    if not rows:
        print("streets: the workspace has no streets")
        return
    lines = [g for _, g in rows]
    arterials = [g for hw, g in rows if hw.removesuffix("_link") in ARTERIAL]
    tree = shapely.STRtree(lines)
    art_tree = shapely.STRtree(arterials) if arterials else None
    internal = along = inside = used = 0.0
    spanning = 0
    for comm, members in by_comm.items():
        if comm not in comms:
            continue
        cm = to_m(comms[comm]).buffer(0)
        polys = [m.buffer(0) for _, _, m in members]
        edge = cm.boundary.buffer(0.01)
        inner = unary_union([p.boundary for p in polys]).difference(edge)
        near = [lines[i] for i in tree.query(cm.buffer(5.0))]
        street_zone = unary_union([l.buffer(5.0) for l in near]) if near else None
        internal += inner.length
        if street_zone is not None:
            along += inner.intersection(street_zone).length
            core = cm.buffer(-5.0)
            in_comm = unary_union([l.intersection(core) for l in near])
            inside += in_comm.length
            used += in_comm.intersection(inner.buffer(5.0)).length
        if art_tree is not None:
            for p in polys:
                interior = p.buffer(-5.0)
                if interior.is_empty:
                    continue
                run = sum(arterials[i].intersection(interior).length for i in art_tree.query(interior))
                if run > 20.0:
                    spanning += 1
    share = 100.0 * along / internal if internal else 0.0
    used_share = 100.0 * used / inside if inside else 0.0
    print(f"streets: {share:.1f}% of internal grid boundary within 5 m of a street; "
          f"{used_share:.1f}% of street length inside communities used as a grid boundary; "
          f"{spanning} grids with an arterial running more than 20 m through their interior")


if __name__ == "__main__":
    sys.exit(main())
