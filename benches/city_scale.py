#!/usr/bin/env python3
"""Walking coverage at the size of a real city, end to end, with the phase breakdown and peak
memory, and pandana on a subsample of the same kind of city, in one run.

The city: `wangge generate --layout dense` (a street every 60 m with a vertex every 10 m,
houses of 1-6 households along the blocks; 500,000 houses give about 1,000,000 walking
nodes), also written as OSM XML with `--osm`, so that `import` is measured on the same city a
user would bring. Then, on the imported workspace, `wangge coverage` for every catalogue
category: wall time and peak RSS of the process, and its own phases (read, network, searches
with snapping, summary, write, report and charts). With `--before OLD_BIN`, the same import
and coverage with an older binary, side by side. `--areas` on the real Monaco extract (service
areas of every category and threshold) is timed too.

pandana (PyPI) cannot take the full city in reasonable time (its contraction hierarchies
took 189 s on a 10,000-node grid, benches/walk_peers.md), so it runs on a subsample: a dense
city of `--sample` houses, exported by `wangge coverage --dump-network`; both answer the same
nearest-facility queries within the same limit on the same graph, and pandana's distances are
checked against scipy's.

Goals (issue 18): coverage <= 10 s end to end and <= 1 GB peak, import <= 15 s.

Setup: pip install pandana scipy; cargo build --release.
Run:   python3 benches/city_scale.py [--points 500000] [--sample 2500] [--before OLD_BIN]
"""
import argparse, importlib.util, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_rss(cmd):
    """Wall time, peak RSS (MB, that process alone: wait4's rusage) and stdout of a command."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            sys.exit(f"{' '.join(cmd)} failed:\n{out}\n{err.read().decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024.0, out


def walk_peers():
    spec = importlib.util.spec_from_file_location("walk_peers", os.path.join(ROOT, "benches", "walk_peers.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "wangge"))
    ap.add_argument("--before", help="an older wangge binary to measure side by side")
    ap.add_argument("--points", type=int, default=500_000, help="houses of the dense city")
    ap.add_argument("--sample", type=int, default=2_500, help="houses of pandana's subsample")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="city_scale.")
    gen = os.path.join(tmp, "gen.gpkg")
    osm = os.path.join(tmp, "city.osm")
    w, _, out = run_rss([args.bin, "generate", "--layout", "dense", "--households", str(args.points),
                         "--workspace", gen, "--osm", osm])
    print(f"dense city: {out.strip().splitlines()[-1]} ({w:.1f} s; OSM {os.path.getsize(osm) / 1e6:.0f} MB)",
          file=sys.stderr)

    rows = []
    bins = [("this build", args.bin)] + ([("before", args.before)] if args.before else [])
    monaco = os.path.join(ROOT, "..", "shared", "data", "osm", "monaco.osm.pbf")
    for name, b in bins:
        ws = os.path.join(tmp, f"imp-{len(rows)}.gpkg")
        iw, irss, iout = run_rss([b, "import", osm, "--workspace", ws])
        imported = next((l for l in iout.splitlines() if l.startswith("imported")), "")
        cw, crss, cout = run_rss([b, "coverage", ws, "--report", os.path.join(tmp, "c.csv")])
        net = re.search(r"network\s+(\d+) nodes, (\d+) edges", cout)
        ph = {m.group(1): float(m.group(2)) for m in re.finditer(r"([a-z]+) ([\d.]+) s", cout.split("  time")[-1])}
        mw = os.path.join(tmp, f"monaco-{len(rows)}.gpkg")
        run_rss([b, "import", monaco, "--workspace", mw])
        aw, arss, _ = run_rss([b, "coverage", mw, "--areas", os.path.join(tmp, "areas.geojson"),
                               "--report", os.path.join(tmp, "m.csv")])
        rows.append((name, imported, net, iw, irss, cw, crss, ph, aw))
        print(f"{name}: done", file=sys.stderr)

    print(f"Dense city of {args.points:,} houses (`wangge generate --layout dense`), imported from its own OSM XML.\n")
    print("| binary | walking nodes | edges | import s | import peak MB | coverage s (end to end) | coverage peak MB "
          "| read s | network s | searches s | summary s | write s | report s | Monaco --areas s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, imported, net, iw, irss, cw, crss, ph, aw in rows:
        g = lambda k: f"{ph[k]:.2f}" if k in ph else "–"
        print(f"| {name} | {net.group(1) if net else '?'} | {net.group(2) if net else '?'} | {iw:.1f} | {irss:.0f} "
              f"| {cw:.1f} | {crss:.0f} | {g('read')} | {g('network')} | {g('searches')} | {g('summary')} "
              f"| {g('write')} | {g('report')} | {aw:.1f} |")
    print(f"\n(import: {rows[0][1]})")
    if len(rows) > 1:
        print(f"\nRatios before / this build: import {rows[1][3] / rows[0][3]:.2f}, coverage {rows[1][5] / rows[0][5]:.2f}, "
              f"coverage memory {rows[1][6] / rows[0][6]:.2f}, Monaco --areas {rows[1][8] / rows[0][8]:.1f}")

    # pandana on a subsample of the same kind of city, on the very same graph.
    wp = walk_peers()
    sub = os.path.join(tmp, "sub.gpkg")
    run_rss([args.bin, "generate", "--layout", "dense", "--households", str(args.sample), "--workspace", sub])
    dump = os.path.join(tmp, "net.json")
    t = time.perf_counter()
    _, _, out = run_rss([args.bin, "coverage", sub, "--dump-network", dump, "--report", os.path.join(tmp, "s.csv")])
    m = re.search(r"network ([\d.]+) s, searches ([\d.]+) s", out)
    build_s, search_s = float(m.group(1)), float(m.group(2))
    import json
    doc = json.load(open(dump))
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        prep, query, dist = wp.pandana_run(doc)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    worst = wp.check(doc, dist)
    print(f"\npandana on a subsample (dense city of {args.sample:,} houses), same graph, facilities and limit:\n")
    print("| nodes | edges | categories | wangge network s | wangge snap+searches s | pandana preprocess s "
          "| pandana queries s | ratio pandana / wangge | pandana vs scipy max diff m |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {doc['nodes']} | {len(doc['edges'])} | {len(dist)} | {build_s:.3f} | {search_s:.3f} | {prep:.3f} "
          f"| {query:.3f} | {(prep + query) / max(build_s + search_s, 1e-9):.1f} | {worst:.2g} |")


if __name__ == "__main__":
    main()
