#!/usr/bin/env python3
"""Tile serving against Martin, in one run, on the same tiles.

A synthetic city (wangge generate, seed 1) is partitioned and exported once as a PMTiles
archive (wangge tiles export, z10-16). Then, one server at a time pinned to core 0 and wrk
pinned to core 1 (64 connections, one thread, random z14 tiles of the archive, Accept-Encoding
gzip):
  - wangge serve ARCHIVE.pmtiles          (tiles from memory)
  - martin ARCHIVE.pmtiles                 (crates.io martin, pinned, built once and cached)
  - nginx (Debian's, installed here) serving the archive's tiles unpacked to pre-gzipped
    files (gzip_static, content type application/vnd.mapbox-vector-tile, open_file_cache,
    one worker): the ceiling of serving stored tiles from this machine
  - wangge serve WORKSPACE.gpkg            (encoded on first request, then cached; warmed)
  - wangge serve WORKSPACE.gpkg --no-cache (every request encoded: the dynamic case), with 64
    connections (queueing on one core) and with one (the encoding latency itself)
Prints one table (req/s, p50, p99, the server's CPU use, ratios to Martin and to nginx) and
writes benches/tiles_peers.md. A server below about 90% CPU was not the bottleneck: wrk was.

Run:   python3 benches/tiles_peers.py [--households 400000] [--duration 10]
Needs: wrk and nginx (apt, installed when missing), python `pmtiles` (pip), cargo (builds
martin into target/peers/martin once).
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
    for tool in ["wrk", "nginx"]:
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            run(["apt-get", "install", "-y", "-qq", tool])
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


def cpu_seconds(pid):
    """User + system CPU seconds of a process and its children (nginx's worker)."""
    total = 0.0
    pids = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def serve(cmd, port, paths_file, duration, warm=False, connections=64):
    proc = subprocess.Popen(["taskset", "-c", "0", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        if warm:
            wrk(port, paths_file, max(3, duration // 2))
        c0, t0 = cpu_seconds(proc.pid), time.time()
        r = wrk(port, paths_file, duration, connections)
        r["cpu"] = (cpu_seconds(proc.pid) - c0) / (time.time() - t0)
        return r
    finally:
        proc.terminate()
        proc.wait()


NGINX_CONF = """
worker_processes 1;
daemon off;
user root;
pid {work}/nginx.pid;
error_log stderr error;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  open_file_cache max=100000 inactive=60s;
  open_file_cache_valid 3600s;
  client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
  types {{ application/vnd.mapbox-vector-tile mvt; }}
  server {{
    listen 127.0.0.1:{port};
    root {root};
    gzip_static on;
  }}
}}
"""


def nginx_side(archive, work, port):
    """The archive's tiles as pre-gzipped files, and an nginx command serving them."""
    from pmtiles.reader import MmapSource, Reader, all_tiles
    root = work / "nginx-root"
    if root.exists():
        shutil.rmtree(root)
    n = 0
    with open(archive, "rb") as f:
        for (z, x, y), data in all_tiles(Reader(MmapSource(f)).get_bytes):
            assert data[:2] == b"\x1f\x8b", "the archive stores gzip tiles"
            d = root / "tiles" / "all" / str(z) / str(x)
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{y}.mvt.gz").write_bytes(data)
            n += 1
    (work / "tmp").mkdir(exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=port, root=root))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-c", str(conf), "-e", "stderr"], n


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
    nginx_cmd, unpacked = nginx_side(archive, work, 18086)
    check = subprocess.Popen(["taskset", "-c", "0", *nginx_cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(18086, check)
        import urllib.request
        x, y = z14[0]
        req = urllib.request.Request(f"http://127.0.0.1:18086/tiles/all/14/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as resp:
            assert resp.headers["Content-Encoding"] == "gzip", resp.headers
            assert resp.headers["Content-Type"] == "application/vnd.mapbox-vector-tile", resp.headers
    finally:
        check.terminate()
        check.wait()
    rows = [
        ("wangge, PMTiles archive", serve([args.bin, "serve", str(archive), "--bind", "127.0.0.1:18081"], 18081, lists["wangge"], d)),
        (f"Martin {MARTIN_VERSION}, PMTiles archive", serve([str(martin), str(archive), "--listen-addresses", "127.0.0.1:18082"], 18082, lists["martin"], d)),
        (f"nginx, {unpacked:,} pre-gzipped files", serve(nginx_cmd, 18086, lists["wangge"], d)),
        ("wangge, workspace, cached (warmed)", serve([args.bin, "serve", str(ws), "--bind", "127.0.0.1:18083"], 18083, lists["wangge"], d, warm=True)),
        ("wangge, workspace, dynamic (--no-cache)", serve([args.bin, "serve", str(ws), "--bind", "127.0.0.1:18084", "--no-cache"], 18084, lists["wangge"], d)),
        ("wangge, workspace, dynamic (--no-cache), 1 connection", serve([args.bin, "serve", str(ws), "--bind", "127.0.0.1:18085", "--no-cache"], 18085, lists["wangge"], d, connections=1)),
    ]
    martin_rps = rows[1][1]["rps"]
    nginx_rps = rows[2][1]["rps"]
    lines = [
        "# Tile serving against Martin",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')} with `python3 benches/tiles_peers.py --households {args.households} --duration {d}`: "
        f"synthetic city of {args.households:,} households (seed 1), archive z10-16, {len(z14)} distinct z14 tiles requested at random; "
        "server pinned to core 0, wrk (1 thread, 64 connections unless noted, Accept-Encoding gzip) pinned to core 1, on this project's 2-core machine. "
        "Regenerate rather than trust.",
        "",
        "| server | req/s | p50 ms | p99 ms | non-2xx | server CPU | req/s vs Martin | req/s vs nginx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']} | {r['cpu']:.0%} | "
                     f"{r['rps'] / martin_rps:.2f} | {r['rps'] / nginx_rps:.2f} |")
    lines += [
        "",
        "The archive servers and nginx send the same stored gzip bytes. Server CPU is the server's share of its "
        "one core during the run: well below 100% means wrk (one thread on the other core) was the ceiling, not "
        "the server. With 64 connections on one core, a dynamic "
        "request waits behind the others (queueing), so its p50/p99 there are the queue, not the encoding; "
        "the one-connection row is the encoding latency of a z14 tile itself.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benches" / "tiles_peers.md").write_text(text)


if __name__ == "__main__":
    main()
