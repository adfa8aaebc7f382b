#!/usr/bin/env python3
"""The two store backends side by side in the same run (issue 23): GeoPackage and
PostgreSQL/PostGIS, one and two servers.

1. Ingest: durable, acknowledged incidents per second. A fresh demo city (20,000 households)
   on each backend; N servers (`wangge serve`, loopback, open); 4 client threads per server
   POST batches of B incidents (JSON lists, new ids) round-robin for D seconds; an incident
   counts once its batch's 201 came back. Batches of 100 and 1,000.
2. Reads at scale: the demo city with M extra incidents (1M; `--quick` 100k) imported as a CSV
   (`wangge import --as incidents`, one transaction) into each backend, then one server: p50 /
   p99 of 200 sequential requests each of the KPI (current month, by district, street and
   community; a past month by community), a heat tile, a vector tile and the incident list;
   the server's resident memory after them.
3. Steps (--steps-only): acknowledged steps/s, one and two servers, 4 client threads a server
   moving reports of their own through the closed loop (PATCH); store_peers-steps.md.
Writes one Markdown table per part to benches/store_peers.md (ratio PostgreSQL / GeoPackage).

Run:   python3 benches/store_peers.py [--quick] [--bin target/release/wangge]
Needs: a release build; PostgreSQL with PostGIS (scripts/pg-local.sh starts Debian's cluster).
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=600):
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


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Servers:
    def __init__(self, bin_, ws, n, cwd):
        self.procs, self.ports = [], []
        for _ in range(n):
            # A port chosen free may be taken (a client's outgoing connection) before the
            # server binds it: the server then stops at once, and another port is tried.
            for attempt in range(5):
                port = free_port()
                errf = tempfile.TemporaryFile()
                p = subprocess.Popen([bin_, "serve", ws, "--bind", f"127.0.0.1:{port}"], cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=errf)
                try:
                    wait_port(port, p)
                except RuntimeError as e:
                    errf.seek(0)
                    err = errf.read().decode(errors="replace")[-300:]
                    if attempt == 4 or "in use" not in err.lower():
                        raise RuntimeError(f"{e}: {err}")
                    continue
                self.procs.append(p)
                self.ports.append(port)
                break

    def close(self):
        for p in self.procs:
            p.kill()
            p.wait()


def post(port, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/incidents", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=120) as r:
        r.read()
        return r.status


def get(port, path):
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=300) as r:
            r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        e.read()
        code = e.code
    return code, (time.perf_counter() - t) * 1e3


def city(bin_, d, pg, name, households=20000):
    """A demo city on one backend; returns its workspace argument."""
    gpkg = str(d / f"{name}.gpkg")
    for f in d.glob(f"{name}.gpkg*"):
        f.unlink()
    run([bin_, "generate", "--households", str(households), "--seed", "1", "--workspace", gpkg],
        stdout=subprocess.DEVNULL)
    run([bin_, "partition", gpkg], cwd=d, stdout=subprocess.DEVNULL)
    run([bin_, "incidents", "assign", gpkg, "--all"], stdout=subprocess.DEVNULL)
    CENTRE[:] = centre(gpkg)
    if pg is None:
        return gpkg
    url = f"{pg}?schema=bench_{name}"
    run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-d", pg.rsplit("/", 1)[1], "-c",
         f"DROP SCHEMA IF EXISTS bench_{name}, bench_{name}_public CASCADE"])
    run([bin_, "copy", gpkg, url], cwd=d, stdout=subprocess.DEVNULL)
    return url


def centre(gpkg):
    """The centre of a GeoPackage's communities (their extent in gpkg_contents)."""
    import sqlite3
    with sqlite3.connect(gpkg) as c:
        x0, y0, x1, y1 = c.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents "
                                   "WHERE table_name = 'communities'").fetchone()
    return (x0 + x1) / 2, (y0 + y1) / 2


def tile(lon, lat, z):
    import math
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


CENTRE = [118.78, 32.04]


def ingest(bin_, ws, d, servers, batch, seconds):
    srv = Servers(bin_, ws, servers, d)
    lon, lat = CENTRE
    stop = time.time() + seconds
    done = [0]
    errors = [0]
    lock = threading.Lock()

    def client(port, t):
        n = 0
        while time.time() < stop:
            items = [{"id": f"B{batch}-{servers}-{port}-{t}-{n}-{k}", "category": "noise",
                      "lon": lon + random.uniform(-0.01, 0.01), "lat": lat + random.uniform(-0.01, 0.01)}
                     for k in range(batch)]
            n += 1
            try:
                if post(port, json.dumps(items).encode()) == 201:
                    with lock:
                        done[0] += batch
            except Exception:
                with lock:
                    errors[0] += 1
    t0 = time.time()
    threads = [threading.Thread(target=client, args=(port, t)) for port in srv.ports for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    rss = max(rss_mb(p.pid) for p in srv.procs)
    srv.close()
    return done[0] / elapsed, errors[0], rss


STATUSES = ("dispatched", "handled", "followed_up", "closed")


def steps(bin_, ws, d, servers, seconds, clients=4, per=3000):
    """Acknowledged steps/s: `clients` threads a server, each moving reports of its own (posted
    first, not timed) through dispatched, handled, followed up and closed, a PATCH a step; a
    step counts once its 200 came back."""
    srv = Servers(bin_, ws, servers, d)
    lon, lat = CENTRE
    keys = {}
    for port in srv.ports:
        for t in range(clients):
            ks = [f"S{servers}-{port}-{t}-{k}" for k in range(per)]
            for j in range(0, per, 1000):
                post(port, json.dumps([{"id": k, "category": "noise", "lon": lon + random.uniform(-0.01, 0.01),
                                        "lat": lat + random.uniform(-0.01, 0.01)} for k in ks[j:j + 1000]]).encode())
            keys[(port, t)] = ks
    stop = time.time() + seconds
    done, errors, lock = [0], [0], threading.Lock()

    def client(port, t):
        for k in keys[(port, t)]:
            for status in STATUSES:
                if time.time() >= stop:
                    return
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/incidents/{k}", method="PATCH",
                                             data=json.dumps({"status": status}).encode(),
                                             headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=120) as r:
                        r.read()
                        ok = r.status == 200
                except Exception:
                    ok = False
                with lock:
                    if ok:
                        done[0] += 1
                    else:
                        errors[0] += 1
    t0 = time.time()
    threads = [threading.Thread(target=client, args=(port, t)) for port in srv.ports for t in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    srv.close()
    return done[0] / elapsed, errors[0]


def address_points(gpkg):
    """The lon/lat of a GeoPackage's address points (GeoPackage binary: a header and an
    envelope, then a WKB point)."""
    import sqlite3
    import struct
    out = []
    with sqlite3.connect(gpkg) as c:
        for (blob,) in c.execute("SELECT geom FROM address_points"):
            flags = blob[3]
            env = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 7]
            wkb = blob[8 + env:]
            order = "<" if wkb[0] == 1 else ">"
            out.append(struct.unpack(order + "dd", wkb[5:21]))
    return out


def add_incidents(bin_, ws, d, n, at=None):
    """n incidents over the last 12 months around the demo city, imported in one transaction:
    uniform over a box 0.04 degrees wide around its centre (about a tenth land in a
    community), or with `at` (lon/lat points: the city's address points) at one of them each,
    within about 10 m (nearly all in a community, as a district's geocoded hotline cases)."""
    path = d / (f"extra-{n}.csv" if at is None else f"extra-{n}-at-addresses.csv")
    if not path.exists():
        rnd = random.Random(7)
        now = time.time()
        cats = ["noise", "streetscape", "roads", "facilities", "greenery"]
        with path.open("w") as f:
            f.write("id,time,category,lon,lat\n")
            for i in range(n):
                t = time.strftime("%Y-%m-%d %H:%M", time.gmtime(now - rnd.uniform(0, 365 * 86400) + 8 * 3600))
                if at is None:
                    lon = CENTRE[0] + rnd.uniform(-0.02, 0.02)
                    lat = CENTRE[1] + rnd.uniform(-0.02, 0.02)
                else:
                    lon, lat = rnd.choice(at)
                    lon, lat = lon + rnd.uniform(-1e-4, 1e-4), lat + rnd.uniform(-1e-4, 1e-4)
                f.write(f"X{i},{t},{rnd.choice(cats)},{lon:.6f},{lat:.6f}\n")
    t = time.time()
    run([bin_, "import", "--workspace", ws, str(path), "--as", "incidents"], cwd=d, stdout=subprocess.DEVNULL)
    return time.time() - t


def reads(bin_, ws, d, requests, trend=True):
    srv = Servers(bin_, ws, 1, d)
    port = srv.ports[0]
    month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))
    past = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600 - 90 * 86400))
    x14, y14 = tile(CENTRE[0], CENTRE[1], 14)
    paths = {
        "KPI district, this month": f"/api/kpi?month={month}&by=district",
        "KPI street, this month": f"/api/kpi?month={month}&by=street",
        "KPI community, this month": f"/api/kpi?month={month}&by=community",
        "KPI community, 3 months ago": f"/api/kpi?month={past}&by=community",
        "KPI district trend (12 months; a tenth of the requests)": f"/api/kpi/trend?month={month}",
        "heat tile z14": f"/heat/14/{x14}/{y14}.png",
        "vector tile z14": f"/tiles/all/14/{x14}/{y14}.mvt",
        "incident list (100)": "/api/incidents?limit=100",
    }
    if not trend:
        paths = {k: v for k, v in paths.items() if "trend" not in k}
    out = {}
    for name, path in paths.items():
        get(port, path)  # warm
        times = []
        # The trend reads twelve months: seconds a request on a GeoPackage, so fewer of them.
        for _ in range(requests if "trend" not in name else max(requests // 10, 10)):
            code, ms = get(port, path)
            times.append(ms)
        times.sort()
        if code != 200:
            raise RuntimeError(f"{path}: HTTP {code}")
        out[name] = (statistics.median(times), times[int(len(times) * 0.99) - 1], code)
    out.update(kpi_after_changes(port, month, max(requests // 10, 10)))
    rss = rss_mb(srv.procs[0].pid)
    srv.close()
    return out, rss


def kpi_after_changes(port, month, n):
    """The first KPI request after a change: a new report (a kept table brought up to date on
    PostgreSQL), then its dispatch (the month counted again), n rounds of each."""
    times = {}
    lon, lat = CENTRE
    for r in range(n):
        key = f"AFTER-{time.time()}-{r}"
        post(port, json.dumps([{"id": key, "category": "noise", "lon": lon, "lat": lat}]).encode())
        for level in ("district", "community"):
            times.setdefault(f"KPI {level}, this month, first request after a new report", []).append(
                get(port, f"/api/kpi?month={month}&by={level}")[1])
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/incidents/{key}", method="PATCH",
                                     data=b'{"status": "dispatched"}',
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            resp.read()
        for level in ("district", "community"):
            times.setdefault(f"KPI {level}, this month, first request after a step", []).append(
                get(port, f"/api/kpi?month={month}&by={level}")[1])
    out = {}
    for name, ts in times.items():
        ts.sort()
        out[name] = (statistics.median(ts), ts[max(int(len(ts) * 0.99) - 1, 0)], 200)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/wangge"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--extra", type=int, default=None,
                    help="incidents added before the reads (default 1,000,000; --quick 100,000)")
    ap.add_argument("--reads-only", action="store_true", help="skip the ingest table")
    ap.add_argument("--ingest-only", action="store_true", help="skip the reads table")
    ap.add_argument("--steps-only", action="store_true",
                    help="only the steps table (acknowledged steps/s, one and two servers)")
    ap.add_argument("--requests", type=int, default=None, help="requests per read row (default 200)")
    ap.add_argument("--no-trend", action="store_true", help="leave out the 12-month trend row")
    a = ap.parse_args()
    seconds = a.seconds or (5 if a.quick else 20)
    extra = a.extra or (100_000 if a.quick else 1_000_000)
    requests = a.requests or (50 if a.quick else 200)
    pg = subprocess.run([str(ROOT / "scripts/pg-local.sh"), "wangge_bench"], capture_output=True,
                        text=True, check=True).stdout.strip()
    lines = ["# Store backends: GeoPackage and PostgreSQL/PostGIS (benches/store_peers.py)", "",
             f"`python3 benches/store_peers.py{' --quick' if a.quick else ''}"
             f"{f' --extra {a.extra}' if a.extra else ''}{' --reads-only' if a.reads_only else ''}"
             f"{' --ingest-only' if a.ingest_only else ''}"
             f"{f' --requests {a.requests}' if a.requests else ''}{' --no-trend' if a.no_trend else ''}`, "
             f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores; loopback, open servers.", "",
             "## Ingest: acknowledged incidents/s (durable: committed before the 201)", "",
             "| servers | batch | GeoPackage | PostgreSQL | PostgreSQL / GeoPackage | errors (gpkg, pg) | server RSS MB (gpkg, pg) |",
             "|---:|---:|---:|---:|---:|---|---|"]
    if a.steps_only:
        lines = ["# Store backends: steps (benches/store_peers.py --steps-only)", "",
                 f"`python3 benches/store_peers.py --steps-only{f' --seconds {a.seconds:g}' if a.seconds else ''}`, "
                 f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores; loopback, open servers. A fresh demo "
                 "city (20,000 households) a cell; 4 client threads a server, each moving 3,000 reports of its "
                 f"own through dispatched, handled, followed up and closed (a PATCH a step) for {seconds:g} s; "
                 "a step counts once its 200 came back.", "",
                 "| servers | GeoPackage steps/s | PostgreSQL steps/s | PostgreSQL / GeoPackage | errors (gpkg, pg) |",
                 "|---:|---:|---:|---:|---|"]
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            for servers in (1, 2):
                rate = {}
                for backend in ("gpkg", "pg"):
                    ws = city(a.bin, d, pg if backend == "pg" else None, f"step{backend}")
                    rate[backend] = steps(a.bin, ws, d, servers, seconds)
                g, p = rate["gpkg"], rate["pg"]
                lines.append(f"| {servers} | {g[0]:,.0f} | {p[0]:,.0f} | {p[0] / g[0]:.2f} | {g[1]}, {p[1]} |")
                print(lines[-1], file=sys.stderr)
        (ROOT / "benches" / "store_peers-steps.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for servers in ((1, 2) if not a.reads_only else ()):
            for batch in (100, 1000):
                rate = {}
                for backend in ("gpkg", "pg"):
                    ws = city(a.bin, d, pg if backend == "pg" else None, f"ing{backend}")
                    rate[backend] = ingest(a.bin, ws, d, servers, batch, seconds)
                g, p = rate["gpkg"], rate["pg"]
                lines.append(f"| {servers} | {batch} | {g[0]:,.0f} | {p[0]:,.0f} | {p[0] / g[0]:.2f} | "
                             f"{g[1]}, {p[1]} | {g[2]:.0f}, {p[2]:.0f} |")
                print(lines[-1], file=sys.stderr)
        if not a.ingest_only:
            lines += ["", f"## Reads with {extra:,} extra incidents: p50 / p99 ms of {requests} sequential requests",
                      "", "(The rows after a change: a tenth as many rounds, at least ten.)", ""]
        res = {}
        for backend in (("gpkg", "pg") if not a.ingest_only else ()):
            ws = city(a.bin, d, pg if backend == "pg" else None, f"read{backend}")
            took = add_incidents(a.bin, ws, d, extra)
            res[backend] = (reads(a.bin, ws, d, requests, not a.no_trend), took)
        if res:
            lines += ["| request | GeoPackage p50 | p99 | PostgreSQL p50 | p99 | p99 PostgreSQL / GeoPackage |",
                      "|---|---:|---:|---:|---:|---:|"]
        for name in (res["gpkg"][0][0] if res else ()):
            g = res["gpkg"][0][0][name]
            p = res["pg"][0][0][name]
            lines.append(f"| {name} | {g[0]:.1f} | {g[1]:.1f} | {p[0]:.1f} | {p[1]:.1f} | {p[1] / g[1]:.2f} |")
        if res:
            lines += ["", f"Import of the {extra:,} incidents (one transaction): GeoPackage {res['gpkg'][1]:.1f} s, "
                      f"PostgreSQL {res['pg'][1]:.1f} s. Server RSS after the reads: GeoPackage "
                      f"{res['gpkg'][0][1]:.0f} MB, PostgreSQL {res['pg'][0][1]:.0f} MB (heat index included)."]
    name = "store_peers-quick.md" if a.quick else "store_peers.md"
    if a.ingest_only:
        name = "store_peers-ingest.md"
    if a.extra or a.reads_only:
        name = f"store_peers-{extra // 1_000_000}M-reads.md" if a.reads_only else f"store_peers-{extra}.md"
    out = ROOT / "benches" / name
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
