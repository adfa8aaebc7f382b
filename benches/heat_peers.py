#!/usr/bin/env python3
"""Heat maps at 1M, 10M (and with --full 100M) incidents, against datashader, in one run.

For each size, `cargo bench --bench heat` (benches/heat.rs) draws a two-year incident history
from the generator's synthetic city, builds Wangge's heat index (records, day-count pyramids,
H3 counts), reports ingest rate, heap and RSS, and times heat tiles (256 px, quartic kernel of
20 px, computed with no tile cache: "cold") at z8, z12 and z16 for the last 30 days and the
whole two years, on the tiles around the busiest spot. It writes the same points to
points.bin. datashader (PyPI) then aggregates those points into the same 256 x 256 tiles
(Canvas.points, count), on the points of the window (filtered before timing, which favours
datashader), after one warm-up call for numba. The ratio is datashader's time over Wangge's.

Warm tiles: `wangge serve` on the demo city (20,000 households) pinned to core 0, wrk on
core 1 (64 connections) over 100 heat tiles at z12-z16 requested once before: throughput
and p99 from the server's heat tile cache.

Run:   python3 benches/heat_peers.py [--full] [--duration 10]
Needs: datashader (pip), wrk (apt), cargo. Writes benches/heat_peers.md.
"""
import argparse
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "heat-bench"


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def wangge_side(n, tag, store):
    out = WORK / tag
    cmd = ["cargo", "bench", "--bench", "heat", "--", "--n", str(n), "--out", str(out)]
    if store:
        cmd += ["--store", "--store-batch", "100000"]
    run(cmd, cwd=ROOT)
    return json.loads((out / "result.json").read_text())


def datashader_side(tag, result):
    try:
        import datashader  # noqa: F401
    except ImportError:
        run([sys.executable, "-m", "pip", "install", "-q", "datashader"])
    import numpy as np
    import pandas as pd
    import datashader as ds

    pts = np.fromfile(WORK / tag / "points.bin", dtype=[("x", "<f8"), ("y", "<f8"), ("day", "<i4")])
    df = pd.DataFrame({"x": pts["x"], "y": pts["y"], "day": pts["day"]})
    del pts
    rows = []
    warmed = False
    for r in result["tiles"]:
        dw = df[df["day"] >= r["from_day"]] if r["from_day"] > 0 else df
        times = []
        while len(times) < r["samples"]:
            for b in r["tiles"]:
                cvs = ds.Canvas(plot_width=256, plot_height=256, x_range=(b[0], b[2]), y_range=(b[1], b[3]))
                if not warmed:
                    cvs.points(dw, "x", "y", agg=ds.count())
                    warmed = True
                t0 = time.perf_counter()
                agg = cvs.points(dw, "x", "y", agg=ds.count())
                times.append((time.perf_counter() - t0) * 1000)
                assert agg.shape == (256, 256)
        times.sort()
        rows.append({"p50": times[len(times) // 2], "p99": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]})
    return rows


LUA = """
local paths = {}
for line in io.lines(os.getenv("TILES_LIST")) do paths[#paths + 1] = line end
math.randomseed(1)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
"""


def warm_side(duration):
    if not shutil.which("wrk"):
        run(["apt-get", "install", "-y", "-qq", "wrk"])
    run(["cargo", "build", "--release"], cwd=ROOT)
    exe = ROOT / "target" / "release" / "wangge"
    ws = WORK / "demo.gpkg"
    if not ws.exists():
        run([exe, "generate", "--households", "20000", "--seed", "1", "--workspace", ws], stdout=subprocess.DEVNULL)
    import sqlite3
    con = sqlite3.connect(ws)
    x0, y0, x1, y1 = con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name='incidents'").fetchone()
    con.close()
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    paths = []
    for z, side in [(12, 2), (13, 2), (14, 3), (15, 4), (16, 6)]:
        n = 2 ** z
        cx = int((lon + 180) / 360 * n)
        cy = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
        for dx in range(side):
            for dy in range(side):
                paths.append(f"/heat/{z}/{cx + dx - side // 2}/{cy + dy - side // 2}.png")
    paths = paths[:100]
    lst = WORK / "heat-paths.txt"
    lst.write_text("\n".join(paths) + "\n")
    (WORK / "heat.lua").write_text(LUA)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["taskset", "-c", "0", exe, "serve", ws, "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        import urllib.request
        for p in paths:  # every tile computed once: later requests are cache hits
            urllib.request.urlopen(f"http://127.0.0.1:{port}{p}").read()
        out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{duration}s", "--latency",
                              "-s", str(WORK / "heat.lua"), f"http://127.0.0.1:{port}"],
                             env=dict(os.environ, TILES_LIST=str(lst)), check=True, capture_output=True, text=True).stdout
    finally:
        proc.terminate()
        proc.wait()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p99": p99, "non2xx": int(bad.group(1)) if bad else 0, "tiles": len(paths)}


def wangge_sections(summary):
    """The index's build, parts and size, and the filtered and partial-day windows (no peer:
    datashader's points carry no category or status)."""
    lines = ["", "Index build (ingest of every batch, then packing) and memory by part; the durable store's size on disk "
             "for the first million (the index itself lives in memory and is rebuilt from the store at start):", "",
             "| incidents | build s | records | day pyramids | block pyramids | hex counts | store on disk |",
             "|---|---|---|---|---|---|---|"]
    for n, w, *_ in summary:
        parts = w.get("heap_parts", {})
        gb = lambda k: f"{parts.get(k, 0) / 1e9:.2f} GB"
        st = w.get("store_ingest") or {}
        disk = f"{st['bytes'] / 1e9:.2f} GB ({st['incidents']:,})" if st.get("bytes") else "-"
        lines.append(f"| {n:,} | {w['ingest_s']:.0f} | {gb('records')} | {gb('day pyramids')} | "
                     f"{gb('block pyramids')} | {gb('hex counts')} | {disk} |")
    lines += ["", "Filtered and partial-day windows (cold; the most common category and status of the history; "
              "partial days start at 09:00 local time):", "",
              "| incidents | zoom | filter | window | p50 | p99 |", "|---|---|---|---|---|---|"]
    for n, w, *_ in summary:
        for r in w.get("filtered", []):
            lines.append(f"| {n:,} | z{r['z']} | {r['filter']} | {r['window']} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms |")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also 100M incidents")
    ap.add_argument("--quick", action="store_true", help="1M incidents only")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--reuse", action="store_true", help="reuse result.json and points.bin when present")
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = [(1_000_000, "1m")] + ([] if a.quick else [(10_000_000, "10m")]) + ([(100_000_000, "100m")] if a.full else [])
    lines = ["# Heat maps against datashader", "",
             "Measured on " + time.strftime("%Y-%m-%d") + " with `python3 benches/heat_peers.py" + (" --full" if a.full else "") + (" --quick" if a.quick else "") + "` on this 2-core machine; "
             "wangge and datashader in the same run on the same points and tiles.", ""]
    summary = []
    for n, tag in sizes:
        res_file = WORK / tag / "result.json"
        if a.reuse and res_file.exists() and (WORK / tag / "points.bin").exists():
            w = json.loads(res_file.read_text())
        else:
            w = wangge_side(n, tag, store=(n == 1_000_000))
        d = datashader_side(tag, w)
        summary.append((n, w, d))
    lines += ["| incidents | ingest (index) | heap | RSS | durable store ingest (batches of 100,000) |", "|---|---|---|---|---|"]
    for n, w, _ in summary:
        st = w.get("store_ingest")
        st_txt = f"{st['per_s']:,.0f}/s ({st['incidents']:,})" if st else "-"
        lines.append(f"| {n:,} | {w['ingest_per_s']:,.0f}/s | {w['heap_bytes'] / 1e9:.2f} GB | {w['rss_bytes'] / 1e9:.2f} GB | {st_txt} |")
    lines += ["", "Heat tiles, cold (computed, no tile cache; the process's very first tile, drawn before timing, "
              "took " + ", ".join(f"{w.get('first_tile_ms', 0):.0f} ms" for _, w, _ in summary) + "); "
              "datashader: count aggregation of the window's points.", "",
              "| incidents | zoom | window | wangge p50 | wangge p99 | datashader p50 | datashader p99 | ratio (p50) |",
              "|---|---|---|---|---|---|---|---|"]
    for n, w, d in summary:
        for r, dr in zip(w["tiles"], d):
            lines.append(f"| {n:,} | z{r['z']} | {r['window']} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | "
                         f"{dr['p50']:.2f} ms | {dr['p99']:.2f} ms | {dr['p50'] / r['p50_ms']:.1f}x |")
    lines += wangge_sections(summary)
    warm = warm_side(a.duration)
    lines += ["", f"Warm heat tiles (server cache, wrk 64 connections, {warm['tiles']} tiles, demo city): "
              f"{warm['rps']:,.0f} tiles/s, p99 {warm['p99']:.2f} ms, non-2xx {warm['non2xx']}.", ""]
    text = "\n".join(lines)
    print(text)
    (ROOT / "benches" / "heat_peers.md").write_text(text)


if __name__ == "__main__":
    main()
