#!/usr/bin/env python3
"""Partitioning at scale, checked by GEOS, with METIS side by side: one table.

Inputs: the synthetic compound city of 20,000 / 200,000 / 1,000,000 households (seeds 1, 1, 3:
seed 3 at 1M is where three grids used to be invalid) and the low-rise city of 20,000 and
200,000 address points (houses of 1-6 households; grids of 50-200 address points), plus the
real Nanjing OSM extract.

For each input: `wangge partition --threads 1 --dump-graph` with its wall time and peak RSS
(a wrapper whose only child it is), the summary's grid count and lower bound, the share of
internal boundary along streets, of street length used as a boundary and the grids spanning an
arterial; `tests/scripts/check_plan.py --streets` counts invalid grids and every other tiling
defect with GEOS (shapely) and measures the street figures again on the stored polygons; METIS (pymetis,
contiguous k-way, k searched upward from ceil(households/cap), as in partition_peers.py) on the
very same unit graph, with its own time. The low-rise rows also give the growth exponent of
wangge's time from 20k to 200k points.

Setup: pip install pymetis shapely; cargo build --release.
Run:   python3 benches/partition_scale.py [--bin target/release/wangge] [--quick]
"""
import argparse, json, math, os, re, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from partition_peers import CAP, metis, row  # noqa: E402

PROBE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
         "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True); "
         "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode); "
         "print(p.stdout)")


def timed(cmd):
    out = subprocess.run([sys.executable, "-c", PROBE] + cmd, check=True, capture_output=True, text=True).stdout
    first, rest = out.split("\n", 1)
    wall, rss_kb, code = first.split()
    return float(wall), int(rss_kb) / 1024, int(code), rest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/wangge"))
    ap.add_argument("--quick", action="store_true", help="leave out 1M households and 200k points")
    args = ap.parse_args()
    nanjing = os.path.join(ROOT, "..", "shared", "data", "osm", "nanjing-xuanwu.osm")
    inputs = [
        ("synthetic 20,000 households", ["--households", "20000", "--seed", "1"]),
        ("synthetic 200,000 households", ["--households", "200000", "--seed", "1"]),
        ("synthetic 1,000,000 households (seed 3)", ["--households", "1000000", "--seed", "3"]),
        ("low-rise 20,000 address points", ["--layout", "lowrise", "--households", "20000", "--seed", "1"]),
        ("low-rise 200,000 address points", ["--layout", "lowrise", "--households", "200000", "--seed", "1"]),
        ("Nanjing (OSM, estimated)", None),
    ]
    if args.quick:
        inputs = [i for i in inputs if "1,000,000" not in i[0] and "200,000 address" not in i[0]]
    tmp = tempfile.mkdtemp()
    table = []
    for name, gen in inputs:
        ws = os.path.join(tmp, "w.gpkg")
        if os.path.exists(ws):
            os.remove(ws)
        if gen is None:
            subprocess.run([args.bin, "import", nanjing, "--workspace", ws], check=True, capture_output=True)
        else:
            subprocess.run([args.bin, "generate", *gen, "--workspace", ws], check=True, capture_output=True)
        graph = os.path.join(tmp, "g.json")
        wall, rss, code, out = timed([args.bin, "partition", ws, "--threads", "1", "--dump-graph", graph,
                                      "--report", os.path.join(tmp, "r")])
        grab = lambda pat, cast=float: cast(re.search(pat, out).group(1))
        grids = grab(r"grids\s+(\d+)", int)
        lb = grab(r"lower bound ceil\(hh/cap\) (\d+)", int)
        street = grab(r"([\d.]+)% of internal boundary along streets")
        used = grab(r"([\d.]+)% of street length inside communities used as a boundary")
        arterial = grab(r"(\d+) grids span an arterial", int)
        violations = grab(r"hard constraints (\d+) violations", int)
        over = grab(r"\((\d+) over_cap", int)
        doc = json.load(open(graph))
        points = sum(len(c["households"]) for c in doc["communities"])
        lines = subprocess.run([sys.executable, os.path.join(ROOT, "tests/scripts/check_plan.py"), ws, "--streets"],
                               capture_output=True, text=True).stdout.strip().splitlines()
        geos, streets_line = lines[-1], next(l for l in lines if l.startswith("streets:"))
        g_street = float(re.search(r"([\d.]+)% of internal grid boundary", streets_line).group(1))
        g_arterial = int(re.search(r"(\d+) grids with an arterial", streets_line).group(1))
        invalid = int(re.search(r"invalid (\d+)", geos).group(1))
        defects = int(re.search(r": (\d+) defects", geos).group(1))
        t = time.perf_counter()
        m = row("METIS", doc["communities"], metis, 0, 0)
        metis_s = time.perf_counter() - t
        table.append(dict(name=name, units=points, grids=grids, lb=lb, invalid=invalid, defects=defects, over=over,
                          violations=violations, street=street, used=used, arterial=arterial, g_street=g_street,
                          g_arterial=g_arterial, wall=wall, compute=doc["compute_s"],
                          rss=rss, code=code, m_grids=m["grids"], m_lb=m["lb"], m_over=m["over"], m_disc=m["disc"],
                          m_secs=metis_s))
        print(f"{name}: done ({wall:.1f} s)", file=sys.stderr)

    print(f"wangge on one thread (--threads 1), cap {CAP}; GEOS = shapely {__import__('shapely').geos_version_string} via tests/scripts/check_plan.py.\n")
    print("| input | units | wangge grids / LB | invalid grids (GEOS) | other GEOS defects | over-cap | violations (own check) | boundary along streets (ours / GEOS) | street length used as boundary | grids spanning an arterial (ours / GEOS) | wangge compute s | wangge wall s | peak RSS MB | exit | METIS grids / LB | METIS over-cap / disconnected | METIS s | METIS / wangge time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['name']} | {r['units']} | {r['grids']}/{r['lb']} = {r['grids'] / r['lb']:.3f} | {r['invalid']} | "
              f"{r['defects'] - r['invalid']} | {r['over']} | {r['violations']} | {r['street']:.1f}% / {r['g_street']:.1f}% | "
              f"{r['used']:.1f}% | {r['arterial']} / {r['g_arterial']} | "
              f"{r['compute']:.2f} | {r['wall']:.2f} | {r['rss']:.0f} | {r['code']} | "
              f"{r['m_grids']}/{r['m_lb']} = {r['m_grids'] / r['m_lb']:.3f} | {r['m_over']} / {r['m_disc']} | "
              f"{r['m_secs']:.2f} | {r['m_secs'] / r['compute']:.2f} |")
    lr = [r for r in table if r["name"].startswith("low-rise")]
    if len(lr) == 2:
        k = math.log(lr[1]["compute"] / lr[0]["compute"]) / math.log(lr[1]["units"] / lr[0]["units"])
        print(f"\nlow-rise growth: compute time ~ points^{k:.2f} from {lr[0]['units']} to {lr[1]['units']} units.")


if __name__ == "__main__":
    main()
