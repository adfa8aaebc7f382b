#!/usr/bin/env python3
"""Grid partitioning against its peers, on the very same units and adjacency.

One run, one table: Wangge's partitioner, PySAL spopt max-p (MaxPHeuristic, whose threshold is
a *minimum* per region: set to cap/2, the nearest analogue to a maximum) and METIS (pymetis,
contiguous k-way, searching k upward from ceil(households/cap) for the smallest k whose parts all
meet the cap) on synthetic cities of about 2,000 / 20,000 (/ 200,000 with --full) entrances and
on the real Nanjing extract with estimated households.

Wangge writes its unit graph with `wangge partition --dump-graph` (units = whole buildings, or
entrances of buildings above the cap; adjacency = shared Voronoi boundary inside the community);
the peers partition that graph community by community. Polsby-Popper of a peer's grid comes from
the units' cell areas and perimeters: P = sum of perimeters - 2 x shared boundary inside the grid.

Setup: pip install spopt pymetis; cargo build --release.
Run:   python3 benches/partition_peers.py [--full] [--bin target/release/wangge]
"""
import argparse, json, math, os, resource, signal, subprocess, sys, tempfile, time

CAP = 200
MAXP_TIMEOUT_S = 30
MAXP_TIMEOUTS = []


def run(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def components(members, nbrs):
    members = set(members)
    seen, count = set(), 0
    for s in members:
        if s in seen:
            continue
        count += 1
        stack = [s]
        seen.add(s)
        while stack:
            u = stack.pop()
            for v in nbrs[u]:
                if v in members and v not in seen:
                    seen.add(v)
                    stack.append(v)
    return count


def evaluate(c, labels):
    """Grids, over-cap, disconnected, PP list, cut edges of an assignment of free units."""
    n = len(c["households"])
    nbrs = [[] for _ in range(n)]
    for a, b, _, _ in c["edges"]:
        nbrs[a].append(b)
        nbrs[b].append(a)
    parts = {}
    for i, l in enumerate(labels):
        parts.setdefault(l, []).append(i)
    over = sum(1 for p in parts.values() if sum(c["households"][i] for i in p) > CAP)
    disc = sum(1 for p in parts.values() if components(p, nbrs) > 1)
    inner = {l: 0.0 for l in parts}
    cut = 0
    for a, b, length, _ in c["edges"]:
        if labels[a] == labels[b]:
            inner[labels[a]] += length
        else:
            cut += 1
    pp = []
    for l, p in parts.items():
        area = sum(c["area_m2"][i] for i in p)
        per = sum(c["perimeter_m"][i] for i in p) - 2 * inner[l]
        pp.append(4 * math.pi * area / per ** 2 if per > 0 else 0.0)
    return len(parts), over, disc, pp, cut


def metis(c):
    import pymetis
    n = len(c["households"])
    if n == 0:
        return []
    adj = [[] for _ in range(n)]
    for a, b, _, _ in c["edges"]:
        adj[a].append(b)
        adj[b].append(a)
    lb = max(1, math.ceil(sum(c["households"]) / CAP))
    best = None
    for k in range(lb, min(n, 3 * lb + 3) + 1):
        if k == 1:
            labels = [0] * n
        else:
            try:
                _, labels = pymetis.part_graph(k, adjacency=adj, vweights=c["households"], options=pymetis.Options(contig=1))
            except Exception:
                # METIS refuses contiguity on a disconnected graph: plain k-way
                _, labels = pymetis.part_graph(k, adjacency=adj, vweights=c["households"])
        sums = {}
        for i, l in enumerate(labels):
            sums[l] = sums.get(l, 0) + c["households"][i]
        best = labels
        if max(sums.values()) <= CAP:
            break
    return list(best)


def maxp(c):
    import geopandas as gpd
    import libpysal
    from shapely.geometry import Point
    from spopt.region import MaxPHeuristic
    n = len(c["households"])
    if n == 0:
        return []
    neighbors = {i: [] for i in range(n)}
    for a, b, _, _ in c["edges"]:
        neighbors[a].append(b)
        neighbors[b].append(a)
    if sum(c["households"]) < CAP / 2 or any(not v for v in neighbors.values()):
        # max-p cannot run with islands or below the threshold: one region per component
        return [0] * n
    gdf = gpd.GeoDataFrame({"hh": c["households"], "x": [p[0] for p in c["xy"]], "y": [p[1] for p in c["xy"]]},
                           geometry=[Point(p) for p in c["xy"]])
    w = libpysal.weights.W(neighbors, silence_warnings=True)
    model = MaxPHeuristic(gdf, w, ["x", "y"], "hh", CAP / 2, top_n=2, max_iterations_construction=20, max_iterations_sa=2)
    # max-p can loop without end on some small graphs: give each community MAXP_TIMEOUT_S, then
    # count it as one grid per unit (listed under the table).
    def stop(*_):
        raise TimeoutError
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(MAXP_TIMEOUT_S)
    try:
        model.solve()
    except TimeoutError:
        MAXP_TIMEOUTS.append(c["community"])
        return list(range(n))
    finally:
        signal.alarm(0)
    return [int(l) for l in model.labels_]


def row(name, comms, labels_of, secs, mem_mb):
    grids = over = disc = cut = lb = 0
    pps = []
    for c in comms:
        labels = labels_of(c)
        g, o, d, pp, cu = evaluate(c, labels) if len(labels) else (0, 0, 0, [], 0)
        grids += g + c["fixed_grids"]
        over += o
        disc += d
        cut += cu
        pps += pp
        lb += c["lower_bound"]
    pps.sort()
    mean = sum(pps) / len(pps) if pps else 0
    p10 = pps[int((len(pps) - 1) * 0.1)] if pps else 0
    return {"method": name, "grids": grids, "lb": lb, "over": over, "disc": disc, "pp_mean": mean, "pp_p10": p10,
            "cut": cut, "secs": secs, "mem_mb": mem_mb}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/wangge")
    ap.add_argument("--full", action="store_true", help="also 200,000 entrances (slow for max-p)")
    ap.add_argument("--skip-maxp-above", type=int, default=30000, help="max-p only up to this many units")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    nanjing = os.path.join(root, "..", "shared", "data", "osm", "nanjing-xuanwu.osm")
    sizes = [2_000, 20_000] + ([200_000] if args.full else [])
    inputs = [(f"synthetic {s * 20:,} households", s) for s in sizes] + [("Nanjing (OSM, estimated)", None)]
    tmp = tempfile.mkdtemp()
    table = []
    r_entrances = {}
    for name, entrances in inputs:
        ws = os.path.join(tmp, "w.gpkg")
        if os.path.exists(ws):
            os.remove(ws)
        if entrances is None:
            run([args.bin, "import", nanjing, "--workspace", ws])
        else:
            # the generator makes about one entrance per 20 households
            run([args.bin, "generate", "--households", str(entrances * 20), "--seed", "1", "--workspace", ws])
        graph = os.path.join(tmp, "g.json")
        # peak RSS of the partition command alone: measured by a wrapper whose only child it is
        probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                 "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
                 "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", probe, args.bin, "partition", ws, "--threads", "1", "--dump-graph", graph,
                              "--report", os.path.join(tmp, "r")], check=True, capture_output=True, text=True).stdout.split()
        wall, ours_mem = float(out[0]), int(out[1]) / 1024
        doc = json.load(open(graph))
        comms = doc["communities"]
        n_units = sum(len(c["households"]) for c in comms)
        # ours: the plan's own grids and PP from the true polygons
        o = {"method": "wangge", "grids": 0, "lb": 0, "over": 0, "disc": 0, "cut": 0, "secs": doc["compute_s"], "mem_mb": ours_mem}
        pps = []
        for c in comms:
            if c["ours"]:
                o["grids"] += c["ours"]["grids"]
                o["over"] += c["ours"]["over_cap"]
                o["disc"] += c["ours"]["disconnected"]
                pps += c["ours"]["pp"]
            o["lb"] += c["lower_bound"]
        pps.sort()
        o["pp_mean"] = sum(pps) / len(pps)
        o["pp_p10"] = pps[int((len(pps) - 1) * 0.1)]
        o["wall"] = wall
        rows = [o]
        t = time.perf_counter()
        rows.append(row("METIS (pymetis, contiguous)", comms, metis, 0, 0))
        rows[-1]["secs"] = time.perf_counter() - t
        rows[-1]["mem_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if n_units <= args.skip_maxp_above:
            t = time.perf_counter()
            rows.append(row("spopt max-p (threshold cap/2)", comms, maxp, 0, 0))
            rows[-1]["secs"] = time.perf_counter() - t
            rows[-1]["mem_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        table.append((name, n_units, rows))
        r_entrances[name] = doc.get("entrances", "?")
        print(f"{name}: {n_units} units, done", file=sys.stderr)

    print(f"wangge runs on one thread (--threads 1); cap {CAP}.\n")
    print("| input | method | grids / LB | over-cap grids | disconnected grids | PP mean | PP p10 | cut edges | time s | ratio time to wangge | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, n, rows in table:
        ours = rows[0]
        for r in rows:
            ratio = r["secs"] / ours["secs"] if ours["secs"] > 0 else float("nan")
            cut = r["cut"] if r["method"] != "wangge" else "-"
            print(f"| {name} ({n} units, {r_entrances[name]} entrances) | {r['method']} | {r['grids']}/{r['lb']} = {r['grids']/r['lb']:.3f} | {r['over']} | {r['disc']} | "
                  f"{r['pp_mean']:.3f} | {r['pp_p10']:.3f} | {cut} | {r['secs']:.3f} | {ratio:.1f} | {r['mem_mb']:.0f} |")
    print("\nwangge time = partitioning compute inside `wangge partition` (wall of the whole command incl. load, store and map: "
          + ", ".join(f"{t[0]} {t[2][0]['wall']:.2f} s" for t in table) + "); peer RSS is this Python process's peak.")
    if MAXP_TIMEOUTS:
        print(f"\nmax-p did not finish within {MAXP_TIMEOUT_S} s in {len(MAXP_TIMEOUTS)} communities "
              f"({', '.join(MAXP_TIMEOUTS)}); each is counted as one grid per unit.")


if __name__ == "__main__":
    main()
