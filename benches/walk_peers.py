#!/usr/bin/env python3
"""Walking coverage against pandana, on the very same graph and facilities, in one run.

For each input, `wangge coverage --dump-network` builds the walking network, snaps address
points and facilities and runs one bounded multi-source search per catalogue category; its own
timings (network build; snapping + searches) are read from its output. pandana (PyPI) then gets
the exported graph (same nodes, same edge costs) and the same facilities placed at the nearest
end of their edge, and answers nearest_pois per category within the same limit: its
preprocessing (contraction hierarchies) and query times are measured here. pandana's node
distances are checked against scipy's Dijkstra from the same nodes.

Inputs: the real Nanjing and Monaco extracts, the synthetic city of `wangge generate`
(1,000,000 households, about 11,000 nodes; 5,000,000 with --full) and regular street grids
written as OSM XML (10,000 nodes; about 200,000 with --full). Regular grids are the worst case
for pandana's contraction hierarchies: expect minutes.

Setup: pip install pandana; cargo build --release.
Run:   python3 benches/walk_peers.py [--full] [--bin target/release/wangge]
"""
import argparse, json, os, random, re, subprocess, sys, tempfile, time

import numpy as np
import pandas as pd


def osm_grid(path, side, seed=1):
    """A street grid of side x side nodes 50 m apart (footways and residential streets), one
    building with an entrance per block and facilities of the catalogue's categories."""
    rnd = random.Random(seed)
    lon0, lat0 = 118.70, 32.00
    dlon, dlat = 50 / 94_400.0, 50 / 111_000.0
    cats = [("amenity", "kindergarten"), ("amenity", "clinic"), ("shop", "convenience"),
            ("amenity", "school"), ("amenity", "marketplace"), ("shop", "supermarket")]
    nid = lambda i, j: 1 + i * side + j
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="walk_peers">\n')
        for i in range(side):
            for j in range(side):
                f.write(f'<node id="{nid(i, j)}" lat="{lat0 + i * dlat:.7f}" lon="{lon0 + j * dlon:.7f}"/>\n')
        extra = side * side + 10
        pois = []
        for k in range(max(6, side * side // 400)):
            i, j = rnd.randrange(side - 1), rnd.randrange(side - 1)
            key, val = cats[k % len(cats)]
            extra += 1
            f.write(f'<node id="{extra}" lat="{lat0 + (i + 0.5) * dlat:.7f}" lon="{lon0 + (j + 0.3) * dlon:.7f}">'
                    f'<tag k="{key}" v="{val}"/><tag k="name" v="poi {k}"/></node>\n')
        # a six-storey residential building in every other block
        buildings = []
        for i in range(0, side - 1, 2):
            for j in range(0, side - 1, 2):
                ids = []
                for (di, dj) in ((0.3, 0.3), (0.3, 0.7), (0.7, 0.7), (0.7, 0.3)):
                    extra += 1
                    ids.append(extra)
                    f.write(f'<node id="{extra}" lat="{lat0 + (i + di) * dlat:.7f}" lon="{lon0 + (j + dj) * dlon:.7f}"/>\n')
                buildings.append(ids)
        way = 10_000_000
        for i in range(side):
            way += 1
            hw = "residential" if i % 5 == 0 else "footway"
            f.write(f'<way id="{way}">' + "".join(f'<nd ref="{nid(i, j)}"/>' for j in range(side))
                    + f'<tag k="highway" v="{hw}"/></way>\n')
        for j in range(side):
            way += 1
            hw = "residential" if j % 5 == 0 else "footway"
            f.write(f'<way id="{way}">' + "".join(f'<nd ref="{nid(i, j)}"/>' for i in range(side))
                    + f'<tag k="highway" v="{hw}"/></way>\n')
        for ids in buildings:
            way += 1
            f.write(f'<way id="{way}">' + "".join(f'<nd ref="{n}"/>' for n in ids + ids[:1])
                    + '<tag k="building" v="apartments"/><tag k="building:levels" v="6"/></way>\n')
        f.write("</osm>\n")


def wangge(bin_, source, tmp):
    """source: an OSM file, or ("generate", households) for the synthetic city."""
    ws = os.path.join(tmp, "w.gpkg")
    if os.path.exists(ws):
        os.remove(ws)
    if isinstance(source, tuple):
        subprocess.run([bin_, "generate", "--households", str(source[1]), "--seed", "1", "--workspace", ws],
                       check=True, capture_output=True)
    else:
        subprocess.run([bin_, "import", source, "--workspace", ws], check=True, capture_output=True)
    dump = os.path.join(tmp, "net.json")
    t = time.perf_counter()
    out = subprocess.run([bin_, "coverage", ws, "--dump-network", dump, "--report", os.path.join(tmp, "c.csv")],
                         check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t
    m = re.search(r"network ([\d.]+) s, searches ([\d.]+) s", out)
    return json.load(open(dump)), float(m.group(1)), float(m.group(2)), wall


def pandana_run(doc):
    """pandana on the exported graph: (preprocess s, query s, node distances per category)."""
    import pandana
    edges = doc["edges"]
    xy = np.array(doc["xy"], dtype=float)
    nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
    e = pd.DataFrame({"from": [x[0] for x in edges], "to": [x[1] for x in edges], "w": [x[2] for x in edges]})
    t = time.perf_counter()
    net = pandana.Network(nodes["x"], nodes["y"], e["from"], e["to"], e[["w"]], twoway=True)
    prep = time.perf_counter() - t
    limit = doc["limit_m"]
    t = time.perf_counter()
    out = {}
    for cat, c in doc["categories"].items():
        if not c["facilities"]:
            continue
        # pandana places POIs on nodes: each facility at the nearer end of its edge
        ids = [edges[f[0]][0] if f[1] < 0.5 else edges[f[0]][1] for f in c["facilities"]]
        net.set_pois(cat, limit, 1, pd.Series(xy[ids, 0]), pd.Series(xy[ids, 1]))
        out[cat] = (ids, net.nearest_pois(limit, cat, num_pois=1)[1].to_numpy())
    query = time.perf_counter() - t
    return prep, query, out


def check(doc, pandana_dist):
    """Largest difference between pandana and a scipy search from the same nodes."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra
    edges = doc["edges"]
    n = doc["nodes"]
    a = [x[0] for x in edges]
    b = [x[1] for x in edges]
    w = [x[2] for x in edges]
    g = coo_matrix((w + w, (a + b, b + a)), shape=(n, n)).tocsr()
    worst = 0.0
    for cat, (ids, pd_d) in pandana_dist.items():
        d = dijkstra(g, directed=True, indices=sorted(set(ids)), min_only=True, limit=doc["limit_m"])
        ok = np.isfinite(d) & (pd_d < doc["limit_m"] - 1e-6)
        if ok.any():
            worst = max(worst, float(np.abs(d[ok] - pd_d[ok]).max()))
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/wangge")
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = os.path.join(root, "..", "shared", "data", "osm")
    tmp = tempfile.mkdtemp()
    inputs = [("Nanjing (OSM)", os.path.join(data, "nanjing-xuanwu.osm")),
              ("Monaco (OSM)", os.path.join(data, "monaco.osm.pbf"))]
    for households in [1_000_000] + ([5_000_000] if args.full else []):
        inputs.append((f"synthetic city {households:,} households", ("generate", households)))
    for side in [100] + ([450] if args.full else []):
        p = os.path.join(tmp, f"grid{side}.osm")
        osm_grid(p, side)
        inputs.append((f"synthetic street grid {side}x{side}", p))
    rows = []
    for name, osm in inputs:
        doc, build_s, search_s, wall = wangge(args.bin, osm, tmp)
        # pandana's C++ prints its progress on stdout: send it to stderr, keep stdout a table.
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
        try:
            prep, query, dist = pandana_run(doc)
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        worst = check(doc, dist)
        cats = len(dist)
        rows.append((name, doc["nodes"], len(doc["edges"]), cats, build_s, search_s, prep, query, worst))
        print(f"{name}: done", file=sys.stderr)
    print("| input | nodes | edges | categories | wangge network s | wangge snap+searches s | pandana preprocess s | pandana queries s | ratio pandana / wangge (total) | pandana vs scipy max diff m |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, n, m, cats, b, s, p, q, worst in rows:
        print(f"| {name} | {n} | {m} | {cats} | {b:.3f} | {s:.3f} | {p:.3f} | {q:.3f} | {(p + q) / max(b + s, 1e-9):.1f} | {worst:.2g} |")
    print("\nwangge times are its own (`wangge coverage` output: network build; snapping and one bounded search per "
          "category for every address point). pandana gets the same graph and edge costs, facilities at the nearer end "
          "of their edge; its distances are checked against scipy from the same nodes (last column). pandana keeps its "
          "own float precision (it stores distances as float32 internally).")


if __name__ == "__main__":
    main()
