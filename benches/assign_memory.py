#!/usr/bin/env python3
"""`wangge incidents assign --all` at scale: wall time and peak RSS of two builds, side by side.

    python3 benches/assign_memory.py --bin NEW --old-bin OLD [--gpkg-incidents 1000000]
                                     [--pg URL?schema=...] [--runs 2]

A GeoPackage demo city (20,000 households) gets --gpkg-incidents incidents
(`store_peers.add_incidents`); a PostgreSQL workspace given by --pg is used as it is (the
10M bench schema). Each build runs `incidents assign WS --all` --runs times, alternating;
`/usr/bin/time -v` gives the wall time and the peak RSS. With --spoil, every GeoPackage
incident's grid is set to 'SPOILT' before each run (Python's sqlite3), so every one changes.
Prints a Markdown table.
"""
import argparse
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import store_peers  # noqa: E402


def measure(bin_, ws):
    p = subprocess.run(["/usr/bin/time", "-v", bin_, "incidents", "assign", ws, "--all"],
                       capture_output=True, text=True, check=True)
    looked = re.search(r"(\d+) incidents looked at, (\d+) given", p.stdout)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    secs = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    return int(looked.group(1)), int(looked.group(2)), secs, rss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--old-bin", required=True)
    ap.add_argument("--gpkg-incidents", type=int, default=1_000_000)
    ap.add_argument("--pg")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--spoil", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        workspaces = []
        if a.gpkg_incidents:
            ws = store_peers.city(a.bin, d, None, "assign")
            store_peers.add_incidents(a.bin, ws, d, a.gpkg_incidents)
            workspaces.append(("GeoPackage", ws))
        if a.pg:
            workspaces.append(("PostgreSQL", a.pg))
        print("| workspace | build | incidents | changed | wall s | peak RSS MB |")
        print("|---|---|---:|---:|---:|---:|")
        for name, ws in workspaces:
            for _ in range(a.runs):
                for label, b in (("old", a.old_bin), ("new", a.bin)):
                    if a.spoil and name == "GeoPackage":
                        with sqlite3.connect(ws) as c:
                            c.execute("UPDATE incidents SET grid = 'SPOILT'")
                    n, changed, secs, mb = measure(b, ws)
                    print(f"| {name} | {label} ({Path(b).name}) | {n:,} | {changed:,} | {secs:.1f} | {mb:,.0f} |",
                          flush=True)


if __name__ == "__main__":
    main()
