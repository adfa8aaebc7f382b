#!/usr/bin/env python3
"""Live (uncached) vector tiles of a city of real size, an older binary against a newer one,
in the same run (issue 20).

The city: `wangge generate --households 400000 --seed 1`, partitioned. Each binary serves it
with `--no-cache` (every request encodes its tile), and wrk (Accept-Encoding gzip, random tiles
from a list) measures:
  1. z14 tiles, server pinned to core 0 and wrk to core 1, one connection: the CPU time of a
     tile (1 / req/s) and its latency;
  2. the same with 64 connections (queueing on one core);
  3. random z12-z16 tiles across the city's bounds, server and wrk sharing both cores
     (wrk 2 threads), 64 connections;
  4. the same with 8 connections.
  5. a plan edit through the API (splitting a grid; tiles cached and warm before it): the
     edit's answer time, and the first tile requests after it (z14 tiles, every one of
     them new after the edit), medians of five edits.
Writes one Markdown table (req/s, p50, p99, new/old) to benches/live_tiles.md.

Optional `--perf`: a 5-second `perf record` of the new server under scenario 1, with the top
entries of its profile (software clock; this machine has no hardware counters).

Run:   python3 benches/live_tiles.py --old OLD_BIN --new target/release/wangge
Needs: wrk (apt install wrk), taskset; perf (linux-perf) for --perf.
"""
import argparse
import importlib.util
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peers():
    """benches/tiles_peers.py: the wrk script (random tiles from a list, gzip accepted), the
    command runner and the port wait are shared with it."""
    spec = importlib.util.spec_from_file_location("tiles_peers", ROOT / "benches" / "tiles_peers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_P = _peers()
LUA, run, wait_port = _P.LUA, _P.run, _P.wait_port


def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_lists(port, work):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/tiles/all.json") as r:
        import json
        b = json.load(r)["bounds"]
    lists = {}
    for name, zooms in [("z14", [14]), ("z12-16", [12, 13, 14, 15, 16])]:
        paths = []
        for z in zooms:
            x0, y1 = tile(b[0], b[1], z)
            x1, y0 = tile(b[2], b[3], z)
            paths += [f"/tiles/all/{z}/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        random.seed(1)
        random.shuffle(paths)
        p = work / f"paths-{name}.txt"
        p.write_text("".join(s + "\n" for s in paths))
        lists[name] = (p, len(paths))
    return lists


def wrk(port, paths, duration, connections, threads=1, cpu="1"):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
           str(paths.parent / "tiles.lua"), f"http://127.0.0.1:{port}"]
    if cpu:
        cmd = ["taskset", "-c", cpu, *cmd]
    out = subprocess.run(cmd, env=dict(os.environ, TILES_LIST=str(paths)), check=True,
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    return {"rps": rps, "p50": pct(50), "p99": pct(99)}


SCENARIOS = [
    ("z14, 1 connection, server on core 0, wrk on core 1", "z14", 1, 1, "0", "1"),
    ("z14, 64 connections, server on core 0, wrk on core 1", "z14", 64, 1, "0", "1"),
    ("z12-z16, 64 connections, sharing both cores", "z12-16", 64, 2, None, None),
    ("z12-z16, 8 connections, sharing both cores", "z12-16", 8, 2, None, None),
]


def measure(binary, ws, port, lists, duration, perf_out=None):
    results = {}
    for name, lst, conns, threads, server_cpu, wrk_cpu in SCENARIOS:
        cmd = [binary, "serve", str(ws), "--bind", f"127.0.0.1:{port}", "--no-cache"]
        if server_cpu:
            cmd = ["taskset", "-c", server_cpu, *cmd]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port, proc)
            wrk(port, lists[lst][0], 3, conns, threads, wrk_cpu)  # warm: zooms prepared
            if perf_out and conns == 1:
                rec = subprocess.Popen(["perf", "record", "-F", "1000", "-e", "cpu-clock", "-p",
                                        str(proc.pid), "-o", str(perf_out), "--", "sleep", "5"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                results[name] = wrk(port, lists[lst][0], duration, conns, threads, wrk_cpu)
                rec.wait()
            else:
                results[name] = wrk(port, lists[lst][0], duration, conns, threads, wrk_cpu)
        finally:
            proc.terminate()
            proc.wait()
    return results


def http(method, url, body=None):
    import json
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req) as r:
            data = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        data, status = e.read(), e.code
    return status, data, (time.perf_counter() - t) * 1000


def edit_latency(binary, ws, port, lists, edits=5):
    """Median ms of an edit's answer and of the first tile after it, and the slowest of the
    first 16 tiles after it."""
    import json, shutil, statistics
    copy = ws.parent / f"edit-{Path(binary).name}.gpkg"
    shutil.copy(ws, copy)
    proc = subprocess.Popen([binary, "serve", str(copy), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    tiles = lists["z14"][0].read_text().split()
    answers, firsts, slowest = [], [], []
    try:
        wait_port(port, proc)
        for _ in range(edits):
            for t in tiles:
                http("GET", base + t)
            plans = json.loads(http("GET", base + "/api/plans")[1])["plans"]
            plan = plans[-1]["id"]
            grids = json.loads(http("GET", f"{base}/api/plans/{plan}/grids")[1])["features"]
            grids.sort(key=lambda f: -f["properties"]["households"])
            for g in grids:
                status, _, ms = http("POST", f"{base}/api/plans/{plan}/edits",
                                     {"op": "split", "grid": g["properties"]["code"]})
                if status == 201:
                    break
            else:
                raise RuntimeError("no grid could be split")
            answers.append(ms)
            times = [http("GET", base + t)[2] for t in tiles]
            firsts.append(times[0])
            slowest.append(max(times))
    finally:
        proc.terminate()
        proc.wait()
    return statistics.median(answers), statistics.median(firsts), statistics.median(slowest)


def top(perf_data, n=12):
    out = subprocess.run(["perf", "report", "-i", str(perf_data), "--no-children", "--sort",
                          "symbol", "--stdio"], capture_output=True, text=True).stdout
    rows = [l.strip() for l in out.splitlines() if re.match(r"^\s+[\d.]+%", l)]
    return [re.sub(r"\s+", " ", r)[:110] for r in rows[:n]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--households", type=int, default=400_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--perf", action="store_true")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="live_tiles."))
    (work / "tiles.lua").write_text(LUA)
    ws = work / "city.gpkg"
    run([a.new, "generate", "--households", str(a.households), "--seed", "1", "--workspace", str(ws)],
        stdout=subprocess.DEVNULL)
    run([a.new, "partition", str(ws)], stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([a.new, "serve", str(ws), "--bind", "127.0.0.1:18190"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(18190, proc)
        lists = tile_lists(18190, work)
    finally:
        proc.terminate()
        proc.wait()
    old = measure(a.old, ws, 18191, lists, a.duration, work / "old.perf" if a.perf else None)
    new = measure(a.new, ws, 18192, lists, a.duration, work / "new.perf" if a.perf else None)
    edit_old = edit_latency(a.old, ws, 18193, lists)
    edit_new = edit_latency(a.new, ws, 18194, lists)
    lines = [
        "# Live tiles: before and after (issue 20)",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')} with `python3 benches/live_tiles.py --old {a.old} "
        f"--new {a.new}`: synthetic city of {a.households:,} households (seed 1, partitioned), "
        f"every tile encoded on request (`--no-cache`), wrk {a.duration} s per row after 3 s of "
        f"warming; {lists['z14'][1]} z14 tiles and {lists['z12-16'][1]} z12-z16 tiles in the lists; "
        "this project's 2-core machine. Regenerate rather than trust.",
        "",
        "| scenario | old req/s | new req/s | new/old | old p50 ms | new p50 ms | old p99 ms | new p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, *_ in SCENARIOS:
        o, n = old[name], new[name]
        lines.append(f"| {name} | {o['rps']:,.0f} | {n['rps']:,.0f} | {n['rps'] / o['rps']:.2f} | "
                     f"{o['p50']:.2f} | {n['p50']:.2f} | {o['p99']:.2f} | {n['p99']:.2f} |")
    lines += [
        "",
        "| after a plan edit (medians of 5) | old ms | new ms |",
        "|---|---:|---:|",
        f"| the edit's answer (POST split) | {edit_old[0]:.1f} | {edit_new[0]:.1f} |",
        f"| the first z14 tile after it | {edit_old[1]:.1f} | {edit_new[1]:.1f} |",
        f"| the slowest of the first 16 z14 tiles after it | {edit_old[2]:.1f} | {edit_new[2]:.1f} |",
    ]
    if a.perf:
        for which in ["old", "new"]:
            lines += ["", f"Top of the {which} server's profile (scenario 1, perf, software clock):", "", "```"]
            lines += top(work / f"{which}.perf")
            lines += ["```"]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benches" / "live_tiles.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
