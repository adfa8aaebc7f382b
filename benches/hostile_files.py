#!/usr/bin/env python3
"""Hostile files against `wangge import`: time, peak memory and the verdict of each.

Cases, made on the fly in a temporary directory:
- a sparse 2 GB CSV (three rows, then `truncate -s 2G`: empty space the file system does not
  store, read back as NUL bytes), and the same for GeoJSON: refused where the text stops,
  memory bounded (not proportional to the 2 GB);
- a CSV of one 100 MB line: refused quoting at most 200 characters;
- a community polygon of 1,000,000 vertices (GeoJSON): imported (validity in O(n log n));
  the same ring made self-intersecting: refused naming the feature, and repaired with
  `--repair`;
- OSM XML of the dense generated city (about 3M nodes): peak memory per node kept.

Run: python3 benches/hostile_files.py [--bin target/release/wangge]
"""
import argparse, json, math, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    """(wall s, peak RSS MB of that process, exit code, stdout + stderr). GNU time measures
    the peak of the program itself (a forked child's rusage would count this script's pages)."""
    t = time.perf_counter()
    with tempfile.NamedTemporaryFile(mode="r") as rss, tempfile.TemporaryFile() as out:
        gnu_time = os.path.exists("/usr/bin/time")
        full = (["/usr/bin/time", "-f", "%M", "-o", rss.name] if gnu_time else []) + cmd
        p = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        out.seek(0)
        text = out.read().decode(errors="replace")
        peak = float(rss.read().strip().splitlines()[-1]) / 1024.0 if gnu_time else usage.ru_maxrss / 1024.0
    code = os.waitstatus_to_exitcode(status)
    return wall, peak, code, text


def polygon_geojson(path, n, bowtie=False):
    """One community of n vertices around a circle (a wavy edge), optionally crossing itself."""
    lon0, lat0 = 118.78, 32.04
    pts = []
    for i in range(n):
        a = i / n * 2 * math.pi
        r = 0.01 + 0.00003 * math.sin(a * 977)
        pts.append([round(lon0 + r * math.cos(a), 9), round(lat0 + r * math.sin(a), 9)])
    if bowtie:
        # Swap two far-apart vertices: the ring crosses itself twice.
        pts[10], pts[n // 2] = pts[n // 2], pts[10]
    pts.append(pts[0])
    with open(path, "w") as f:
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "BIG", "name": "大社区"},
                   "geometry": {"type": "Polygon", "coordinates": [pts]}}]}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "wangge"))
    ap.add_argument("--points", type=int, default=500_000, help="houses of the dense city for the OSM case")
    args = ap.parse_args()
    b = args.bin
    tmp = tempfile.mkdtemp(prefix="hostile.")
    rows = []

    def case(name, cmd, expect_ok, size, must=None):
        ws = os.path.join(tmp, "w.gpkg")
        for f in (ws, ws + "-wal", ws + "-shm"):
            if os.path.exists(f):
                os.remove(f)
        wall, rss, code, text = run(cmd + ["--workspace", ws])
        ok = (code == 0) == expect_ok and (must is None or must in text)
        first_error = next((l for l in text.splitlines() if l.startswith("error")), "")
        rows.append((name, size, wall, rss, "imported" if code == 0 else "refused", "yes" if ok else "NO",
                     len(first_error), first_error[:160]))
        print(f"{name}: {'ok' if ok else 'UNEXPECTED'} ({wall:.1f} s, {rss:.0f} MB)", file=sys.stderr)

    csv = os.path.join(tmp, "sparse.csv")
    with open(csv, "w") as f:
        f.write("id,lon,lat,households\nA1,118.78,32.04,10\nA2,118.79,32.05,12\nA3,118.80,32.06,8\n")
    subprocess.run(["truncate", "-s", "2G", csv], check=True)
    case("sparse CSV (3 rows + 2 GB hole)", [b, "import", csv, "--as", "addresses"], False, "2 GB", "NUL byte")

    gj = os.path.join(tmp, "sparse.geojson")
    with open(gj, "w") as f:
        f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A1","households":3},'
                '"geometry":{"type":"Point","coordinates":[118.78,32.04]}}')
    subprocess.run(["truncate", "-s", "2G", gj], check=True)
    case("sparse GeoJSON (1 feature + 2 GB hole)", [b, "import", gj, "--as", "addresses"], False, "2 GB", "not valid JSON")

    long = os.path.join(tmp, "long.csv")
    with open(long, "w") as f:
        f.write("id,lon,lat,households\n")
        f.write("A1,")
        for _ in range(100):
            f.write("9" * 1_000_000)
        f.write(",32.04,10\n")
    case("CSV with one 100 MB line", [b, "import", long, "--as", "addresses"], False, "100 MB", "longer than")

    big = os.path.join(tmp, "big.geojson")
    polygon_geojson(big, 1_000_000)
    size = f"{os.path.getsize(big) / 1e6:.0f} MB"
    case("community of 1,000,000 vertices", [b, "import", big, "--as", "communities"], True, size)
    bad = os.path.join(tmp, "bowtie.geojson")
    polygon_geojson(bad, 1_000_000, bowtie=True)
    case("the same, crossing itself", [b, "import", bad, "--as", "communities"], False, size, "self-intersection")
    case("the same with --repair", [b, "import", bad, "--as", "communities", "--repair"], True, size)

    osm = os.path.join(tmp, "city.osm")
    gen = os.path.join(tmp, "gen.gpkg")
    subprocess.run([b, "generate", "--layout", "dense", "--households", str(args.points), "--workspace", gen,
                    "--osm", osm], check=True, capture_output=True)
    nodes = sum(1 for line in open(osm) if line.startswith("  <node"))
    case(f"OSM XML, dense city ({nodes:,} nodes)", [b, "import", osm], True, f"{os.path.getsize(osm) / 1e6:.0f} MB")
    rss = rows[-1][3]

    print("| case | file | time s | peak MB | result | as expected | error length (chars) | error (start) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, size, wall, rss_, res, ok, n, err in rows:
        print(f"| {name} | {size} | {wall:.1f} | {rss_:.0f} | {res} | {ok} | {n} | {err.replace('|', '/')} |")
    print(f"\nOSM import: {rss * 1024 * 1024 / nodes:.0f} bytes of peak memory per node in the file "
          f"({nodes:,} nodes, {rss:.0f} MB).")


if __name__ == "__main__":
    main()
