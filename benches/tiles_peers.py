#!/usr/bin/env python3
"""Tile serving against Martin, in one run, on the same tiles.

A synthetic city (wangge generate, seed 1) is partitioned and exported once as a PMTiles
archive (wangge tiles export, z10-16). Then, one server at a time pinned to core 0 and wrk
pinned to core 1 (64 connections, one thread, random z14 tiles of the archive, Accept-Encoding
gzip):
  - wangge serve ARCHIVE.pmtiles          (tiles from memory)
  - martin ARCHIVE.pmtiles                 (crates.io martin, pinned, built once and cached)
  - wangge serve WORKSPACE.gpkg            (encoded on first request, then cached; warmed)
  - wangge serve WORKSPACE.gpkg --no-cache (every request encoded: the dynamic case), with 64
    connections (queueing on one core) and with one (the encoding latency itself)
Prints one table (req/s, p50, p99, ratio to Martin) and writes benches/tiles_peers.md.

Run:   python3 benches/tiles_peers.py [--households 400000] [--duration 10]
Needs: wrk (apt), python `pmtiles` (pip), cargo (builds martin into target/peers/martin once).
"""
import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARTIN_VERSION = "1.14.0"
PEERS = ROOT / "target" / "peers"


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def ensure_tools():
    if not shutil.which("wrk"):
        run(["apt-get", "install", "-y", "-qq", "wrk"])
    martin = PEERS / "martin" / "bin" / "martin"
    if not martin.exists():
        env = dict(os.environ, CARGO_TARGET_DIR=str(PEERS / "martin-build"))
        run(["cargo", "install", "martin", "--version", f"={MARTIN_VERSION}", "--locked",
             "--no-default-features", "--features", "pmtiles", "--root", str(PEERS / "martin")], env=env)
    return martin


def wait_port(port, proc, timeout=60):
    start = time.time()
    while time.time() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server ended: {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


LUA = """
local paths = {}
for line in io.lines(os.getenv("TILES_LIST")) do paths[#paths + 1] = line end
math.randomseed(1)
request = function()
  return wrk.format("GET", paths[math.random(#paths)], { ["Accept-Encoding"] = "gzip" })
end
"""


def wrk(port, paths_file, duration, connections=64):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
         "-s", str(PEERS / "tiles.lua"), f"http://127.0.0.1:{port}"],
        env=dict(os.environ, TILES_LIST=str(paths_file)), check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "non2xx": int(errors.group(1)) if errors else 0,
            "raw": out}


def serve(cmd, port, paths_file, duration, warm=False, connections=64):
    proc = subprocess.Popen(["taskset", "-c", "0", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        if warm:
            wrk(port, paths_file, max(3, duration // 2))
        return wrk(port, paths_file, duration, connections)
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=400_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "wangge"))
    args = ap.parse_args()
    martin = ensure_tools()
    work = PEERS / "tiles"
    work.mkdir(parents=True, exist_ok=True)
    (PEERS / "tiles.lua").write_text(LUA)
    ws = work / f"city{args.households}.gpkg"
    archive = work / f"city{args.households}.pmtiles"
    if not ws.exists():
        run([args.bin, "generate", "--households", str(args.households), "--seed", "1", "--workspace", str(ws)],
            stdout=subprocess.DEVNULL)
        run([args.bin, "partition", str(ws), "--report", str(work / "plan")], stdout=subprocess.DEVNULL)
    if archive.exists():
        archive.unlink()
    run([args.bin, "tiles", "export", str(ws), "-o", str(archive)], stdout=subprocess.DEVNULL)
    from pmtiles.reader import MmapSource, Reader, all_tiles
    with open(archive, "rb") as f:
        z14 = [(x, y) for (z, x, y), _ in all_tiles(Reader(MmapSource(f)).get_bytes) if z == 14]
    random.seed(1)
    stem = archive.stem
    lists = {}
    for name, fmt in [("wangge", "/tiles/all/14/{x}/{y}.mvt"), ("martin", f"/{stem}/14/{{x}}/{{y}}")]:
        p = work / f"paths-{name}.txt"
        p.write_text("".join(fmt.format(x=x, y=y) + "\n" for x, y in z14))
        lists[name] = p
    d = args.duration
    rows = [
        ("wangge, PMTiles archive", serve([args.bin, "serve", str(archive), "--bind", "127.0.0.1:18081"], 18081, lists["wangge"], d)),
        (f"Martin {MARTIN_VERSION}, PMTiles archive", serve([str(martin), str(archive), "--listen-addresses", "127.0.0.1:18082"], 18082, lists["martin"], d)),
        ("wangge, workspace, cached (warmed)", serve([args.bin, "serve", str(ws), "--bind", "127.0.0.1:18083"], 18083, lists["wangge"], d, warm=True)),
        ("wangge, workspace, dynamic (--no-cache)", serve([args.bin, "serve", str(ws), "--bind", "127.0.0.1:18084", "--no-cache"], 18084, lists["wangge"], d)),
        ("wangge, workspace, dynamic (--no-cache), 1 connection", serve([args.bin, "serve", str(ws), "--bind", "127.0.0.1:18085", "--no-cache"], 18085, lists["wangge"], d, connections=1)),
    ]
    martin_rps = rows[1][1]["rps"]
    lines = [
        "# Tile serving against Martin",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')} with `python3 benches/tiles_peers.py --households {args.households} --duration {d}`: "
        f"synthetic city of {args.households:,} households (seed 1), archive z10-16, {len(z14)} distinct z14 tiles requested at random; "
        "server pinned to core 0, wrk (1 thread, 64 connections unless noted, Accept-Encoding gzip) pinned to core 1, on this project's 2-core machine. "
        "Regenerate rather than trust.",
        "",
        "| server | req/s | p50 ms | p99 ms | non-2xx | req/s vs Martin |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']} | {r['rps'] / martin_rps:.2f} |")
    lines += [
        "",
        "Both archive servers send the same stored gzip bytes. With 64 connections on one core, a dynamic "
        "request waits behind the others (queueing), so its p50/p99 there are the queue, not the encoding; "
        "the one-connection row is the encoding latency of a z14 tile itself.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benches" / "tiles_peers.md").write_text(text)


if __name__ == "__main__":
    main()
